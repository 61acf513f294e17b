// SPDX-License-Identifier: GPL-2.0
/*
 * Policy compiler. One sweep over the sorted, non-overlapping jurisdiction
 * ranges, split further where a rule's prefix begins or ends, gives
 * elementary segments; each segment's destination class is the set of rules
 * whose destination it satisfies, interned as a bitmap. Adjacent segments
 * of one class merge. Ports and subjects get classes the same way. The
 * result is the image of include/sovguard_egress.h, decided by bpf/decide.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/sysmacros.h>

#include "compile.h"
#include "util.h"
#include "lib/array.h"
#include "lib/u128.h"

#define SG_IMG_T const struct sg_image *
#define SG_BLK(img, i) ((__u32)(i) < (img)->nr_blocks ? &(img)->blk[(__u32)(i)] : NULL)
#define SG_HIT(p) ((void)(p))
#define SG_LOOP(n, fn, ctx)                                                                        \
	do {                                                                                       \
		__u32 __i, __n = (n);                                                              \
		for (__i = 0; __i < __n; __i++)                                                    \
			if (fn(__i, ctx))                                                          \
				break;                                                             \
	} while (0)
#include "../bpf/decide.h"

#define V4_FIRST	((sg_u128)0xffff << 32)
#define V4_LAST		(V4_FIRST | 0xffffffffu)
#define SG_PORT_CLASSES_MAX	65535u

/* ---- interned bitmaps: equal rule sets get one id ----------------------- */

struct bitset_tab {
	__u32 nwords;
	__u64 *data;
	__u32 nr, cap;
	__u32 *slots;		/* id + 1, 0 empty */
	__u32 nslots;		/* power of two, > 2 * nr */
};

static __u64 hash_words(const __u64 *w, __u32 n)
{
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 i;

	for (i = 0; i < n; i++) {
		h ^= w[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

static int bitset_grow(struct bitset_tab *t)
{
	__u32 nslots = t->nslots ? 2 * t->nslots : 1024, i, id;
	__u32 *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (id = 0; id < t->nr; id++) {
		i = hash_words(t->data + (size_t)id * t->nwords, t->nwords) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = id + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/* Return: the id of @bits (new or existing), or a negative errno. */
static long bitset_intern(struct bitset_tab *t, const __u64 *bits)
{
	size_t sz = t->nwords * sizeof(__u64);
	__u32 i;
	int err;

	if (2 * (t->nr + 1) >= t->nslots) {
		err = bitset_grow(t);
		if (err)
			return err;
	}
	i = hash_words(bits, t->nwords) & (t->nslots - 1);
	while (t->slots[i]) {
		__u32 id = t->slots[i] - 1;

		if (!memcmp(t->data + (size_t)id * t->nwords, bits, sz))
			return id;
		i = (i + 1) & (t->nslots - 1);
	}
	if (t->nr == t->cap) {
		__u32 cap = t->cap ? 2 * t->cap : 256;
		__u64 *d = realloc(t->data, (size_t)cap * sz);

		if (!d)
			return -ENOMEM;
		t->data = d;
		t->cap = cap;
	}
	memcpy(t->data + (size_t)t->nr * t->nwords, bits, sz);
	t->slots[i] = t->nr + 1;
	return t->nr++;
}

static void bitset_free(struct bitset_tab *t)
{
	free(t->data);
	free(t->slots);
}

/* ---- destination keys: what a rule's destination can depend on ---------- */

struct dkey {
	__u32 asn;
	__u32 pset;		/* interned set of prefix atoms covering it */
	__u16 label;
	__u8 flags;
	char cc[2];
	__u8 pad[3];
};

struct dkey_ent {
	struct dkey key;
	__u32 cls;
	__u32 used;
};

struct dkey_tab {
	struct dkey_ent *ents;
	__u32 nr, nslots;
};

static __u64 hash_dkey(const struct dkey *k)
{
	return hash_words((const __u64 *)k, sizeof(*k) / sizeof(__u64));
}

static struct dkey_ent *dkey_find(struct dkey_tab *t, const struct dkey *k, int *err)
{
	__u32 i;

	*err = 0;
	if (2 * (t->nr + 1) >= t->nslots) {
		__u32 nslots = t->nslots ? 2 * t->nslots : 4096, j;
		struct dkey_ent *n = calloc(nslots, sizeof(*n));

		if (!n) {
			*err = -ENOMEM;
			return NULL;
		}
		for (j = 0; j < t->nslots; j++) {
			if (!t->ents[j].used)
				continue;
			i = hash_dkey(&t->ents[j].key) & (nslots - 1);
			while (n[i].used)
				i = (i + 1) & (nslots - 1);
			n[i] = t->ents[j];
		}
		free(t->ents);
		t->ents = n;
		t->nslots = nslots;
	}
	i = hash_dkey(k) & (t->nslots - 1);
	while (t->ents[i].used && memcmp(&t->ents[i].key, k, sizeof(*k)))
		i = (i + 1) & (t->nslots - 1);
	return &t->ents[i];
}

/* An IPv4 range of one class, until the next one starts. */
struct v4_range {
	__u32 start;		/* host byte order */
	__u32 dst_class;
};

struct compiler {
	const struct sg_policy *pol;
	const struct sg_data *data;
	FILE *diag;
	__u32 nr_rules, nr_chunks, nwords;

	/* what the policy refers to: anything else is "other" */
	bool cc_ref[26][26];
	__u32 *asn_ref;
	__u32 nr_asn_ref;
	__u8 flag_ref;
	__u8 *label_ref;	/* 65536 entries */

	bool *active;		/* prefix atoms covering the current segment */
	bool *truth;		/* per atom, for the key being evaluated */
	__u64 *bits;		/* scratch bitmap */

	struct bitset_tab dst;	/* destination classes */
	struct bitset_tab psets;/* sets of active prefix atoms */
	struct dkey_tab keys;

	struct v4_range *v4;
	__u32 nr_v4;
	size_t cap_v4;
	struct sg_v6_range *v6;
	__u32 nr_v6;
	size_t cap_v6;
};

static bool asn_referenced(const struct compiler *c, __u32 asn)
{
	return asn && bsearch(&asn, c->asn_ref, c->nr_asn_ref, sizeof(__u32), sg_cmp_u32);
}

static int collect_refs(struct compiler *c)
{
	const struct sg_policy *pol = c->pol;
	__u32 i, n = 0;

	c->asn_ref = calloc(pol->nr_atoms + 1, sizeof(__u32));
	c->label_ref = calloc(65536, 1);
	if (!c->asn_ref || !c->label_ref)
		return -ENOMEM;
	for (i = 0; i < pol->nr_atoms; i++) {
		const struct sg_atom *a = &pol->atoms[i];

		switch (a->kind) {
		case SG_ATOM_COUNTRY:
			if (a->cc[0] >= 'A' && a->cc[0] <= 'Z' && a->cc[1] >= 'A' && a->cc[1] <= 'Z')
				c->cc_ref[a->cc[0] - 'A'][a->cc[1] - 'A'] = true;
			break;
		case SG_ATOM_ASN:
			c->asn_ref[n++] = a->asn;
			break;
		case SG_ATOM_FLAG:
			c->flag_ref |= a->flag;
			break;
		case SG_ATOM_LABEL:
			c->label_ref[a->label] = 1;
			break;
		default:
			break;
		}
	}
	qsort(c->asn_ref, n, sizeof(__u32), sg_cmp_u32);
	c->nr_asn_ref = n;
	return 0;
}

static bool dest_ok(const struct compiler *c, const struct sg_dest *d)
{
	__u32 t, i;

	if (!d->nr_terms)
		return true;
	for (t = 0; t < d->nr_terms; t++) {
		const struct sg_term *term = &d->terms[t];
		bool any = false;

		for (i = 0; i < term->nr_atoms && !any; i++)
			any = c->truth[term->atoms[i]];
		if (any != term->negated)
			return true;
	}
	return false;
}

/* The rules whose destination a key satisfies, into c->bits. */
static void key_rules(struct compiler *c, const struct dkey *k)
{
	const struct sg_policy *pol = c->pol;
	__u32 i;

	for (i = 0; i < pol->nr_atoms; i++) {
		const struct sg_atom *a = &pol->atoms[i];

		switch (a->kind) {
		case SG_ATOM_COUNTRY:
			c->truth[i] = k->cc[0] == a->cc[0] && k->cc[1] == a->cc[1] && k->cc[0];
			break;
		case SG_ATOM_ASN:
			c->truth[i] = k->asn == a->asn;
			break;
		case SG_ATOM_FLAG:
			c->truth[i] = k->flags & a->flag;
			break;
		case SG_ATOM_LABEL:
			c->truth[i] = k->label && k->label == a->label;
			break;
		case SG_ATOM_PREFIX:
			c->truth[i] = c->active[i];
			break;
		default:
			c->truth[i] = false;
		}
	}
	memset(c->bits, 0, c->nwords * sizeof(__u64));
	for (i = 0; i < c->nr_rules; i++) {
		const struct sg_rule *r = &pol->rules[i];

		if (dest_ok(c, &r->located) && dest_ok(c, &r->operator))
			c->bits[i / 64] |= 1ULL << (i % 64);
	}
}

static long segment_class(struct compiler *c, const struct sg_range *r, __u32 pset)
{
	struct dkey k = { .pset = pset };
	struct dkey_ent *e;
	long cls;
	int err;

	if (r) {
		if (r->cc[0] >= 'A' && r->cc[0] <= 'Z' && r->cc[1] >= 'A' && r->cc[1] <= 'Z' &&
		    c->cc_ref[r->cc[0] - 'A'][r->cc[1] - 'A']) {
			k.cc[0] = r->cc[0];
			k.cc[1] = r->cc[1];
		}
		k.asn = asn_referenced(c, r->asn) ? r->asn : 0;
		k.flags = r->flags & c->flag_ref;
		k.label = c->label_ref[r->label] ? r->label : 0;
	}
	e = dkey_find(&c->keys, &k, &err);
	if (!e)
		return err;
	if (e->used)
		return e->cls;
	key_rules(c, &k);
	cls = bitset_intern(&c->dst, c->bits);
	if (cls < 0)
		return cls;
	e->key = k;
	e->cls = cls;
	e->used = 1;
	c->keys.nr++;
	return cls;
}

static int push_range(struct compiler *c, sg_u128 start, __u32 cls)
{
	if (start >= V4_FIRST && start <= V4_LAST) {
		if (c->nr_v4 && c->v4[c->nr_v4 - 1].dst_class == cls)
			return 0;
		if (sg_grow((void **)&c->v4, &c->cap_v4, c->nr_v4 + 1, sizeof(*c->v4)))
			return -ENOMEM;
		c->v4[c->nr_v4++] = (struct v4_range){ (__u32)(start - V4_FIRST), cls };
		return 0;
	}
	if (c->nr_v6 && c->v6[c->nr_v6 - 1].dst_class == cls)
		return 0;
	if (sg_grow((void **)&c->v6, &c->cap_v6, c->nr_v6 + 1, sizeof(*c->v6)))
		return -ENOMEM;
	c->v6[c->nr_v6++] = (struct sg_v6_range){
		.hi = (__u64)(start >> 64), .lo = (__u64)start, .dst_class = cls };
	return 0;
}

struct event {
	sg_u128 at;
	__s32 atom;		/* -1: a split only */
	__s32 add;
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

static long current_pset(struct compiler *c, const __u32 *prefix_atoms, __u32 nr_prefix)
{
	__u32 i;

	memset(c->bits, 0, c->psets.nwords * sizeof(__u64));
	for (i = 0; i < nr_prefix; i++)
		if (c->active[prefix_atoms[i]])
			c->bits[i / 64] |= 1ULL << (i % 64);
	return bitset_intern(&c->psets, c->bits);
}

/* Apply the prefix events at @at; return the id of the new set of prefixes. */
static long apply_events(struct compiler *c, const struct event *ev, __u32 nev, __u32 *ei,
			 sg_u128 at, const __u32 *prefix_atoms, __u32 nr_prefix)
{
	for (; *ei < nev && ev[*ei].at == at; (*ei)++)
		if (ev[*ei].atom >= 0)
			c->active[ev[*ei].atom] = ev[*ei].add;
	return current_pset(c, prefix_atoms, nr_prefix);
}

/* The sweep: every address gets exactly one class. */
static int sweep(struct compiler *c)
{
	const struct sg_range *ranges = sg_data_ranges(c->data);
	size_t nr_ranges = sg_data_nr_ranges(c->data), ri = 0;
	const struct sg_policy *pol = c->pol;
	_cleanup_free_ struct event *ev = NULL;
	_cleanup_free_ __u32 *prefix_atoms = NULL;
	__u32 nr_prefix = 0, nev = 0, ei = 0, i;
	sg_u128 cur = 0;
	long pset, cls;

	prefix_atoms = calloc(pol->nr_atoms + 1, sizeof(*prefix_atoms));
	ev = calloc(2 * pol->nr_atoms + 2, sizeof(*ev));
	if (!prefix_atoms || !ev)
		return -ENOMEM;
	for (i = 0; i < pol->nr_atoms; i++) {
		const struct sg_atom *a = &pol->atoms[i];
		sg_u128 first, last;

		if (a->kind != SG_ATOM_PREFIX)
			continue;
		prefix_atoms[nr_prefix++] = i;
		first = sg_addr_to_u128(&a->prefix.addr);
		last = first |
		       (a->prefix.len ? ~(~(sg_u128)0 << (128 - a->prefix.len)) : ~(sg_u128)0);
		ev[nev++] = (struct event){ first, i, 1 };
		if (last != ~(sg_u128)0)
			ev[nev++] = (struct event){ last + 1, i, 0 };
	}
	ev[nev++] = (struct event){ V4_FIRST, -1, 0 };
	ev[nev++] = (struct event){ V4_LAST + 1, -1, 0 };
	qsort(ev, nev, sizeof(*ev), cmp_event);

	c->psets.nwords = nr_prefix / 64 + 1;
	if (c->psets.nwords > c->nwords) {
		void *n = realloc(c->bits, c->psets.nwords * sizeof(__u64));

		if (!n)
			return -ENOMEM;
		c->bits = n;
	}
	/* Events at 0 take effect before the first segment. */
	pset = apply_events(c, ev, nev, &ei, 0, prefix_atoms, nr_prefix);
	if (pset < 0)
		return pset;

	for (;;) {
		const struct sg_range *r = NULL;
		sg_u128 next = ~(sg_u128)0, rfirst, rlast;
		bool last_segment;

		while (ri < nr_ranges && sg_addr_to_u128(&ranges[ri].last) < cur)
			ri++;
		if (ri < nr_ranges) {
			rfirst = sg_addr_to_u128(&ranges[ri].first);
			rlast = sg_addr_to_u128(&ranges[ri].last);
			if (rfirst <= cur) {
				r = &ranges[ri];
				next = rlast;
			} else {
				next = rfirst - 1;
			}
		}
		if (ei < nev && ev[ei].at - 1 < next)
			next = ev[ei].at - 1;

		cls = segment_class(c, r, pset);
		if (cls < 0)
			return cls;
		if (push_range(c, cur, cls))
			return -ENOMEM;

		last_segment = next == ~(sg_u128)0;
		if (last_segment)
			break;
		cur = next + 1;
		if (ei < nev && ev[ei].at == cur) {
			pset = apply_events(c, ev, nev, &ei, cur, prefix_atoms, nr_prefix);
			if (pset < 0)
				return pset;
		}
	}
	return 0;
}

/* ---- ports ---------------------------------------------------------------- */

static bool rule_port(const struct sg_rule *r, unsigned int proto, __u32 port)
{
	__u32 i;

	if (!(r->proto_mask & (proto ? SG_PROTO_UDP : SG_PROTO_TCP)))
		return false;
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
	for (r = 0; r < c->nr_rules; r++) {
		for (i = 0; i < c->pol->rules[r].nr_ports; i++) {
			cut[c->pol->rules[r].ports[i].lo] = 1;
			cut[c->pol->rules[r].ports[i].hi + 1] = 1;
		}
	}
	for (proto = 0; proto < 2; proto++) {
		for (p = 0; p < 65536; p++) {
			if (cut[p]) {
				memset(c->bits, 0, c->nwords * sizeof(__u64));
				for (r = 0; r < c->nr_rules; r++)
					if (rule_port(&c->pol->rules[r], proto, p))
						c->bits[r / 64] |= 1ULL << (r % 64);
				cls = bitset_intern(pt, c->bits);
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

/* ---- subjects ------------------------------------------------------------- */

struct subj_ent {
	struct sg_subject_key key;
	__u32 rule;
};

static int cmp_subj(const void *a, const void *b)
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

__u32 sg_kdev(dev_t dev)
{
	return (major(dev) << 20) | minor(dev);
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
	qsort(ents, n, sizeof(*ents), cmp_subj);
	*ret = ents;
	*ret_nr = n;
	return 0;
}

static __u32 kind_mask(__u32 k)
{
	static const __u32 m[SG_SUBJ_KINDS] = {
		[SG_SUBJ_KIND_CGROUP] = SG_SUBJ_UNIT | SG_SUBJ_CGROUP,
		[SG_SUBJ_KIND_EXE] = SG_SUBJ_EXE,
		[SG_SUBJ_KIND_UID] = SG_SUBJ_UID,
		[SG_SUBJ_KIND_GID] = SG_SUBJ_GID,
	};

	return m[k];
}

/* ---- image ---------------------------------------------------------------- */

static __u32 blocks(__u32 n, __u32 per)
{
	return (n + per - 1) / per;
}

static void set_bit_row(struct sg_image *img, const struct sg_image_hdr *h, __u32 row, __u32 rule)
{
	struct sg_blk *b = &img->blk[h->bits + row * h->nr_chunks + rule / SG_CHUNK_RULES];

	b->w[(rule % SG_CHUNK_RULES) / 64] |= 1ULL << (rule % 64);
}

static void copy_row(struct sg_image *img, const struct sg_image_hdr *h, __u32 row,
		     const __u64 *bits)
{
	memcpy(&img->blk[h->bits + row * h->nr_chunks], bits, h->nr_chunks * SG_BLK_BYTES);
}

static sg_u128 v6_start(const struct compiler *c, __u32 i)
{
	return ((sg_u128)c->v6[i].hi << 64) | c->v6[i].lo;
}

/* The IPv6 index over the top 16 bits (include/sovguard_egress.h). */
static void fill_v6_index(struct sg_image *img, const struct compiler *c)
{
	struct sg_index_ent *idx = (struct sg_index_ent *)&img->blk[SG_IMG_V6_INDEX];
	__u32 p, i = 0, f, g, n = c->nr_v6;

	for (p = 0; p < 65536; p++) {
		sg_u128 at = (sg_u128)p << 112;

		while (i + 1 < n && v6_start(c, i + 1) <= at)
			i++;
		idx[p].first = i;
	}
	idx[65536].first = n - 1;
	/* A bucket no range starts inside is one class: the index holds it. */
	for (p = 0; p < 65536; p++) {
		f = idx[p].first;
		g = idx[p + 1].first;
		if (p == 65535 ? f == n - 1 :
		    g == f || (g == f + 1 && v6_start(c, g) == (sg_u128)(p + 1) << 112))
			idx[p].direct = c->v6[f].dst_class + 1;
	}
}

/*
 * IPv4: for each /16, its class in the index when one range covers it, else
 * a root in the pool: a leaf, or a B-tree over leaves (include/
 * sovguard_egress.h). v4_bucket() finds the ranges covering /16 @p, from
 * *at on (advanced for the next /16).
 */
static __u32 v4_bucket(const struct compiler *c, __u32 p, __u32 *at)
{
	__u32 i = *at, last = p << 16 | 0xffff;

	while (i + 1 < c->nr_v4 && c->v4[i + 1].start <= p << 16)
		i++;
	*at = i;
	while (i + 1 < c->nr_v4 && c->v4[i + 1].start <= last)
		i++;
	return i - *at + 1;
}

/* Pool blocks of a /16 with @n ranges: root, leaves, levels of nodes. */
static __u32 v4_pool_blocks(__u32 n)
{
	__u32 cnt, total = 1;

	if (n <= 1)
		return 0;
	if (n <= SG_V4_LEAF_RANGES)
		return 1;
	cnt = blocks(n, SG_V4_LEAF_RANGES);
	total += cnt;
	while (cnt > SG_V4_NODE_KEYS + 1) {
		cnt = blocks(cnt, SG_V4_NODE_KEYS + 1);
		total += cnt;
	}
	return total;
}

/* Start of @r within the /16 at @base: 0 for the range reaching into it. */
static __u16 v4_rel(const struct v4_range *r, __u32 base)
{
	return r->start < base ? 0 : r->start - base;
}

static void v4_leaf(struct sg_blk *b, const struct v4_range *r, __u32 n, __u32 base)
{
	struct sg_v4_leaf *l = (struct sg_v4_leaf *)b;
	__u32 j;

	for (j = 0; j < SG_V4_LEAF_RANGES; j++) {
		l->e[j].start = j >= n ? 0xffff : v4_rel(&r[j], base);
		l->e[j].dst_class = r[j < n ? j : n - 1].dst_class;
	}
}

static void v4_node(struct sg_blk *b, __u16 height, __u32 child, const __u16 *keys, __u32 n)
{
	struct sg_v4_node *nd = (struct sg_v4_node *)b;
	__u32 k;

	nd->height = height;
	nd->nkeys = n - 1;
	nd->child = child;
	for (k = 0; k < SG_V4_NODE_KEYS; k++)
		nd->key[k] = k + 1 < n ? keys[k + 1] : 0xffff;
}

/*
 * The /16 @p with its @n ranges @r: its class in the index, or a root in
 * the pool from *pool on (advanced), with the leaves and nodes below it.
 * @keys: room for the first addresses of blocks(n, SG_V4_LEAF_RANGES)
 * children.
 */
static void v4_tree(struct sg_image *img, __u32 p, const struct v4_range *r, __u32 n,
		    __u32 *pool, __u16 *keys)
{
	__u32 *idx = (__u32 *)&img->blk[SG_IMG_V4_INDEX];
	__u32 base = p << 16, cnt, first, j, height = 1, root;

	if (n == 1) {
		idx[p] = SG_V4_DIRECT | r[0].dst_class;
		return;
	}
	root = (*pool)++;
	idx[p] = root;
	if (n <= SG_V4_LEAF_RANGES) {
		v4_leaf(&img->blk[root], r, n, base);
		return;
	}
	cnt = blocks(n, SG_V4_LEAF_RANGES);
	first = *pool;
	for (j = 0; j < cnt; j++) {
		__u32 k = j * SG_V4_LEAF_RANGES;

		v4_leaf(&img->blk[first + j], r + k, n - k < SG_V4_LEAF_RANGES ? n - k :
			SG_V4_LEAF_RANGES, base);
		keys[j] = v4_rel(&r[k], base);
	}
	*pool += cnt;
	/* Levels of nodes until one node holds them all: the root. */
	while (cnt > SG_V4_NODE_KEYS + 1) {
		__u32 up = blocks(cnt, SG_V4_NODE_KEYS + 1), at = *pool;

		for (j = 0; j < up; j++) {
			__u32 k = j * (SG_V4_NODE_KEYS + 1);
			__u32 m = cnt - k < SG_V4_NODE_KEYS + 1 ? cnt - k : SG_V4_NODE_KEYS + 1;

			v4_node(&img->blk[at + j], height, first + k, keys + k, m);
			keys[j] = keys[k];
		}
		*pool += up;
		cnt = up;
		first = at;
		height++;
	}
	v4_node(&img->blk[root], height, first, keys, cnt);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The subject atoms (the distinct keys of the sorted @subj, rows in that
 * order) as the image's hash table: blocks of four slots, a power of two of
 * them and at least twice the atoms' room, each atom within
 * SG_SUBJECT_PROBES blocks of its hash; grown until every atom is.
 */
static int subject_table(const struct subj_ent *subj, __u32 nr_subj, __u32 nr_atoms,
			 struct sg_subject_key **ret, __u32 *ret_blocks)
{
	__u32 nb = 1, i, p, s, row;

	while (nb * 2 < nr_atoms)
		nb *= 2;
	for (; nb <= 4 * SG_SUBJECTS_MAX; nb *= 2) {
		struct sg_subject_key *t = calloc((size_t)nb * 4, sizeof(*t));
		bool placed = true;

		if (!t)
			return -ENOMEM;
		row = 0;
		for (i = 0; i < nr_subj && placed; i++) {
			const struct sg_subject_key *k = &subj[i].key;
			__u32 at = sg_subject_hash(k->kind, k->dev, k->id);

			if (i && !cmp_subj(&subj[i - 1], &subj[i]))
				continue;
			if (i)
				row++;
			placed = false;
			for (p = 0; p < SG_SUBJECT_PROBES && !placed; p++)
				for (s = 0; s < 4 && !placed; s++) {
					struct sg_subject_key *slot = &t[((at + p) & (nb - 1)) * 4 + s];

					if (slot->row)
						continue;
					*slot = *k;
					slot->row = row + 1;
					placed = true;
				}
		}
		if (placed) {
			*ret = t;
			*ret_blocks = nb;
			return 0;
		}
		free(t);
	}
	return -E2BIG;
}

/**
 * sg_compile() - compile a policy against jurisdiction data.
 * @pol: the parsed rules.
 * @data: finished jurisdiction data.
 * @res: how subjects resolve to kernel identities.
 * @generation: stamped into the image and reported by every decision.
 * @diag: warnings (unresolved subjects) and errors.
 * @ret: the image, untouched on failure.
 *
 * Return: 0, -E2BIG when the policy exceeds a kernel table limit (the
 * message says which), -ENOMEM.
 */
int sg_compile(const struct sg_policy *pol, const struct sg_data *data,
	       const struct sg_resolver *res, __u32 generation, FILE *diag,
	       struct sg_image **ret)
{
	struct compiler c = { .pol = pol, .data = data, .diag = diag };
	struct bitset_tab ports = {};
	_cleanup_free_ __u16 *pclass = NULL;
	_cleanup_free_ struct subj_ent *subj = NULL;
	__u32 nr_subj = 0, levels = 0, kinds = 0, unresolved = 0, i, k, nr_atoms, row;
	struct sg_subject_key *subj_table = NULL;
	__u32 subj_blocks = 0, max_v4 = 0, pool, from;
	__u16 *keys = NULL;
	struct sg_image_hdr *h;
	struct sg_image *img = NULL;
	double t0 = now_ms();
	size_t total;
	int err;

	if (pol->nr_rules > SG_RULES_MAX) {
		fprintf(diag, "policy has %u rules; the kernel tables hold at most %u\n",
			pol->nr_rules, SG_RULES_MAX);
		return -E2BIG;
	}
	c.nr_rules = pol->nr_rules;
	c.nr_chunks = c.nr_rules ? blocks(c.nr_rules, SG_CHUNK_RULES) : 1;
	c.nwords = c.nr_chunks * SG_BLK_WORDS;
	c.dst.nwords = c.nwords;
	ports.nwords = c.nwords;
	c.active = calloc(pol->nr_atoms + 1, sizeof(bool));
	c.truth = calloc(pol->nr_atoms + 1, sizeof(bool));
	c.bits = calloc(c.nwords, sizeof(__u64));
	pclass = calloc(2 * 65536, sizeof(__u16));
	err = -ENOMEM;
	if (!c.active || !c.truth || !c.bits || !pclass)
		goto out;
	err = collect_refs(&c);
	if (err)
		goto out;
	/* Class 0 is the destination no rule names (include/sovguard_egress.h). */
	err = (int)bitset_intern(&c.dst, c.bits);
	if (err)
		goto out;
	err = sweep(&c);
	if (err)
		goto out;
	err = port_classes(&c, &ports, pclass);
	if (err == -E2BIG)
		fprintf(diag, "more than %u port classes\n", SG_PORT_CLASSES_MAX);
	if (err)
		goto out;
	err = subjects(&c, res, &subj, &nr_subj, &levels, &kinds, &unresolved);
	if (err)
		goto out;

	/* Distinct subject atoms: runs of equal keys in the sorted list. */
	nr_atoms = 0;
	for (i = 0; i < nr_subj; i++)
		if (!i || cmp_subj(&subj[i - 1], &subj[i]))
			nr_atoms++;
	if (nr_atoms > SG_SUBJECTS_MAX) {
		fprintf(diag, "%u subject atoms; at most %u\n", nr_atoms, SG_SUBJECTS_MAX);
		err = -E2BIG;
		goto out;
	}

	err = subject_table(subj, nr_subj, nr_atoms, &subj_table, &subj_blocks);
	if (err)
		goto out;

	img = calloc(1, sizeof(*img));
	err = -ENOMEM;
	if (!img)
		goto out;
	{
		struct sg_image_hdr hh = {
			.magic = SG_IMAGE_MAGIC,
			.generation = generation,
			.nr_rules = c.nr_rules,
			.nr_chunks = c.nr_chunks,
			.default_verdict = pol->default_verdict,
			.nr_dst_classes = c.dst.nr,
			.nr_port_classes = ports.nr,
			.cgroup_levels = levels,
			.subj_kinds = kinds,
			.subj_mask = subj_blocks - 1,
		};
		struct sg_image_info info = {
			.nr_v4_ranges = c.nr_v4,
			.nr_v6_ranges = c.nr_v6,
			.nr_subjects = nr_atoms,
		};
		__u32 at = SG_IMG_VARIABLE;

		if (c.dst.nr > 65536) {
			fprintf(diag, "%u destination classes; at most 65536\n", c.dst.nr);
			err = -E2BIG;
			goto out;
		}
		hh.v4_pool = at;
		from = 0;
		for (i = 0; i < 65536; i++) {
			__u32 n = v4_bucket(&c, i, &from);

			at += v4_pool_blocks(n);
			max_v4 = n > max_v4 ? n : max_v4;
		}
		hh.v6_ranges = at;
		at += blocks(c.nr_v6, 2);
		hh.subjects = at;
		at += subj_blocks;
		hh.bits = at;
		total = (size_t)(c.dst.nr + ports.nr + SG_SUBJ_KINDS + nr_atoms) * c.nr_chunks;
		if (at + total > SG_IMAGE_BLOCKS) {
			fprintf(diag, "compiled policy needs %zu blocks; at most %u\n", at + total,
				SG_IMAGE_BLOCKS);
			err = -E2BIG;
			goto out;
		}
		at += total;
		hh.rules = at;
		at += blocks(c.nr_rules, 8);
		hh.hits = at;
		at += blocks(c.nr_rules, 8);
		if (at > SG_IMAGE_BLOCKS) {
			err = -E2BIG;
			goto out;
		}
		info.nr_blocks = at;
		img->nr_blocks = at;
		img->blk = calloc(at, sizeof(struct sg_blk));
		if (!img->blk)
			goto out;
		memcpy(&img->blk[0], &hh, sizeof(hh));
		memcpy(&img->blk[1], &info, sizeof(info));
	}
	h = (struct sg_image_hdr *)&img->blk[0];

	err = -ENOMEM;
	keys = calloc(blocks(max_v4, SG_V4_LEAF_RANGES), sizeof(*keys));
	if (!keys)
		goto out;
	pool = h->v4_pool;
	from = 0;
	for (i = 0; i < 65536; i++) {
		__u32 n = v4_bucket(&c, i, &from);

		v4_tree(img, i, c.v4 + from, n, &pool, keys);
	}
	memcpy(&img->blk[h->v6_ranges], c.v6, c.nr_v6 * sizeof(*c.v6));
	/* Whole blocks: the tail repeats the last range (same start, same class). */
	for (i = c.nr_v6; i % 2; i++)
		((struct sg_v6_range *)&img->blk[h->v6_ranges])[i] = c.v6[c.nr_v6 - 1];
	fill_v6_index(img, &c);
	memcpy(&img->blk[SG_IMG_PORT_CLASS], pclass, 2 * 65536 * sizeof(__u16));

	for (i = 0; i < c.dst.nr; i++)
		copy_row(img, h, i, c.dst.data + (size_t)i * c.nwords);
	for (i = 0; i < ports.nr; i++)
		copy_row(img, h, c.dst.nr + i, ports.data + (size_t)i * c.nwords);
	for (k = 0; k < SG_SUBJ_KINDS; k++)
		for (i = 0; i < c.nr_rules; i++)
			if (!(pol->rules[i].subject.mask & kind_mask(k)))
				set_bit_row(img, h, c.dst.nr + ports.nr + k, i);
	memcpy(&img->blk[h->subjects], subj_table, (size_t)subj_blocks * SG_BLK_BYTES);
	row = 0;
	for (i = 0; i < nr_subj; i++) {
		if (i && cmp_subj(&subj[i - 1], &subj[i]))
			row++;
		set_bit_row(img, h, c.dst.nr + ports.nr + SG_SUBJ_KINDS + row, subj[i].rule);
	}
	for (i = 0; i < c.nr_rules; i++) {
		struct sg_rule_ent *re = (struct sg_rule_ent *)&img->blk[h->rules];

		re[i].verdict = pol->rules[i].verdict;
		re[i].line = pol->rules[i].line;
	}
	img->nr_unresolved = unresolved;
	img->compile_ms = now_ms() - t0;
	*ret = img;
	img = NULL;
	err = 0;
out:
	sg_image_free(img);
	bitset_free(&c.dst);
	bitset_free(&c.psets);
	bitset_free(&ports);
	free(c.keys.ents);
	free(c.v4);
	free(c.v6);
	free(c.active);
	free(c.truth);
	free(c.bits);
	free(c.asn_ref);
	free(c.label_ref);
	free(subj_table);
	free(keys);
	return err;
}

void sg_image_free(struct sg_image *img)
{
	if (!img)
		return;
	free(img->blk);
	free(img);
}

const struct sg_image_hdr *sg_image_hdr(const struct sg_image *img)
{
	return (const struct sg_image_hdr *)&img->blk[0];
}

int sg_image_decide(const struct sg_image *img, struct sg_query *q, struct sg_answer *ans)
{
	struct sg_blk mask[SG_CHUNKS_MAX];

	return sg_decide(img, sg_image_hdr(img), q, mask, ans);
}
