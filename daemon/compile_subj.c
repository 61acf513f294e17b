// SPDX-License-Identifier: GPL-2.0
/*
 * Port and subject classes. Every port of each protocol gets the set of
 * rules it satisfies, interned like destinations; rule subjects resolve to
 * kernel identities (cgroup id, executable inode, uid, gid), one atom per
 * distinct identity (image.c places them in the subject hash table).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "compile_internal.h"
#include "lib/util.h"

/* ---- ports ---------------------------------------------------------------- */

/* The rules' protocol bit of each port table (enum sg_port_proto). */
static const __u8 table_proto[SG_PORT_PROTOS] = {
	[SG_PORT_PROTO_TCP] = SG_PROTO_TCP,
	[SG_PORT_PROTO_UDP] = SG_PROTO_UDP,
	[SG_PORT_PROTO_UDPLITE] = SG_PROTO_UDPLITE,
	[SG_PORT_PROTO_ICMP] = SG_PROTO_ICMP,
	[SG_PORT_PROTO_OTHER] = SG_PROTO_RAW,
	[SG_PORT_PROTO_SOCKET] = SG_PROTO_SOCKET,
};

static bool rule_port(const struct sg_rule *r, unsigned int proto, __u32 port)
{
	__u32 i;

	if (!(r->proto_mask & table_proto[proto]))
		return false;
	if (proto == SG_PORT_PROTO_SOCKET)
		return port < SG_SOCKET_KINDS && (r->socket_mask & (1u << port));
	if (!r->nr_ports)
		return true;
	for (i = 0; i < r->nr_ports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

static int port_classes(struct compiler *c, struct bitset_tab *pt, __u16 *pclass)
{
	_cleanup_free_ __u8 *cut = calloc(65537, 1);
	unsigned int proto;
	__u32 p, i, r;
	long cls = -1;

	if (!cut)
		return -ENOMEM;
	cut[0] = 1;
	for (p = 1; p <= SG_SOCKET_KINDS; p++)
		cut[p] = 1;	/* the socket kinds */
	for (r = 0; r < c->nr_rules; r++) {
		for (i = 0; i < c->pol->rules[r].nr_ports; i++) {
			cut[c->pol->rules[r].ports[i].lo] = 1;
			cut[c->pol->rules[r].ports[i].hi + 1] = 1;
		}
	}
	for (proto = 0; proto < SG_PORT_PROTOS; proto++) {
		for (p = 0; p < 65536; p++) {
			if (cut[p]) {
				memset(c->bits, 0, c->nwords * sizeof(__u64));
				for (r = 0; r < c->nr_rules; r++)
					if (rule_port(&c->pol->rules[r], proto, p))
						c->bits[r / 64] |= 1ULL << (r % 64);
				cls = sg_bitset_intern(pt, c->bits);
				if (cls < 0)
					return cls;
				if (cls >= SG_PORT_CLASSES_MAX)
					return -E2BIG;
			}
			pclass[proto * 65536 + p] = cls;
		}
	}
	return 0;
}

/**
 * sg_compile_ports() - the class of every (protocol, port).
 * @c: the compiler.
 *
 * Return: 0, -E2BIG with more than SG_PORT_CLASSES_MAX classes (said on
 * c->diag), -ENOMEM.
 */
int sg_compile_ports(struct compiler *c)
{
	int err;

	c->ports.nwords = c->nwords;
	c->pclass = calloc(SG_PORT_PROTOS * 65536, sizeof(*c->pclass));
	if (!c->pclass)
		return -ENOMEM;
	err = port_classes(c, &c->ports, c->pclass);
	if (err == -E2BIG)
		fprintf(c->diag, "more than %u port classes\n", SG_PORT_CLASSES_MAX);
	return err;
}

/* ---- subjects ------------------------------------------------------------- */

int sg_subj_cmp(const void *a, const void *b)
{
	const struct sg_subject_key *x = &((const struct subj_ent *)a)->key;
	const struct sg_subject_key *y = &((const struct subj_ent *)b)->key;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

unsigned int sg_cgroup_level(const char *path)
{
	unsigned int n = 0;
	const char *p;

	for (p = path; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			n++;
	return n;
}

static int resolve_cgroup(const struct sg_resolver *res, const char *path, __u64 *id,
			  __u32 *level)
{
	int err = res->cgroup_id(res->ctx, path, id);

	if (err)
		return err;
	*level = sg_cgroup_level(path);
	return *level < SG_CGROUP_LEVELS ? 0 : -E2BIG;
}

/* Record one resolved atom of @rule, or say why it matches nothing for now. */
static void add_atom(struct compiler *c, struct subj_ent *ents, __u32 *n, __u32 r,
		     const struct sg_subject_key *k, int err, const char *what, const char *name,
		     __u32 *unresolved)
{
	if (!err) {
		ents[(*n)++] = (struct subj_ent){ *k, r };
		return;
	}
	fprintf(c->diag, "%s: %s %s: %s; the rule matches nothing until it is there\n",
		c->pol->rules[r].id, what, name, strerror(-err));
	(*unresolved)++;
}

/* One entry per (rule, constrained kind) whose atom resolved. */
static int subjects(struct compiler *c, const struct sg_resolver *res,
		    struct subj_ent **ret, __u32 *ret_nr, __u32 *levels, __u32 *kinds,
		    __u32 *unresolved)
{
	struct subj_ent *ents = calloc((size_t)c->nr_rules * SG_SUBJ_KINDS + 1, sizeof(*ents));
	__u32 n = 0, r, lvl = 0;
	char path[SG_PATH_MAX];
	int err;

	if (!ents)
		return -ENOMEM;
	for (r = 0; r < c->nr_rules; r++) {
		const struct sg_rule *rule = &c->pol->rules[r];
		const struct sg_subject *s = &rule->subject;
		struct sg_subject_key k;

		if ((s->mask & SG_SUBJ_UNIT) && (s->mask & SG_SUBJ_CGROUP)) {
			fprintf(c->diag, "%s: a rule names a unit or a cgroup, not both\n", rule->id);
			free(ents);
			return -EINVAL;
		}
		if (s->mask & (SG_SUBJ_UNIT | SG_SUBJ_CGROUP)) {
			*kinds |= 1u << SG_SUBJ_KIND_CGROUP;
			k = (struct sg_subject_key){ .kind = SG_SUBJ_KIND_CGROUP };
			err = s->mask & SG_SUBJ_UNIT ?
				      res->unit_cgroup(res->ctx, s->unit, path, sizeof(path)) :
				      snprintf(path, sizeof(path), "%s", s->cgroup) >=
						      (int)sizeof(path) ?
				      -ENAMETOOLONG : 0;
			if (!err)
				err = resolve_cgroup(res, path, &k.id, &lvl);
			if (!err)
				*levels |= 1u << lvl;
			add_atom(c, ents, &n, r, &k, err, s->mask & SG_SUBJ_UNIT ? "unit" : "cgroup",
				 s->mask & SG_SUBJ_UNIT ? s->unit : s->cgroup, unresolved);
		}
		if (s->mask & SG_SUBJ_EXE) {
			*kinds |= 1u << SG_SUBJ_KIND_EXE;
			k = (struct sg_subject_key){ .kind = SG_SUBJ_KIND_EXE };
			err = res->exe_id(res->ctx, s->exe, &k.dev, &k.id);
			add_atom(c, ents, &n, r, &k, err, "exe", s->exe, unresolved);
		}
		if (s->mask & SG_SUBJ_UID) {
			*kinds |= 1u << SG_SUBJ_KIND_UID;
			k = (struct sg_subject_key){ .kind = SG_SUBJ_KIND_UID, .id = s->uid };
			add_atom(c, ents, &n, r, &k, 0, "uid", "", unresolved);
		}
		if (s->mask & SG_SUBJ_GID) {
			*kinds |= 1u << SG_SUBJ_KIND_GID;
			k = (struct sg_subject_key){ .kind = SG_SUBJ_KIND_GID, .id = s->gid };
			add_atom(c, ents, &n, r, &k, 0, "gid", "", unresolved);
		}
	}
	qsort(ents, n, sizeof(*ents), sg_subj_cmp);
	*ret = ents;
	*ret_nr = n;
	return 0;
}

/**
 * sg_compile_subjects() - resolve the rules' subjects into atoms.
 * @c: the compiler.
 * @res: how subjects resolve to kernel identities.
 *
 * Return: 0, -EINVAL for a rule naming a unit and a cgroup, -E2BIG with more
 * than SG_SUBJECTS_MAX atoms (both said on c->diag), -ENOMEM.
 */
int sg_compile_subjects(struct compiler *c, const struct sg_resolver *res)
{
	__u32 i;
	int err;

	err = subjects(c, res, &c->subj, &c->nr_subj, &c->levels, &c->kinds, &c->unresolved);
	if (err)
		return err;
	/* Distinct subject atoms: runs of equal keys in the sorted list. */
	c->nr_subj_atoms = 0;
	for (i = 0; i < c->nr_subj; i++)
		if (!i || sg_subj_cmp(&c->subj[i - 1], &c->subj[i]))
			c->nr_subj_atoms++;
	if (c->nr_subj_atoms > SG_SUBJECTS_MAX) {
		fprintf(c->diag, "%u subject atoms; at most %u\n", c->nr_subj_atoms,
			SG_SUBJECTS_MAX);
		return -E2BIG;
	}
	return 0;
}
