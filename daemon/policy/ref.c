// SPDX-License-Identifier: GPL-2.0
/*
 * Reference evaluator: walks the rule list in order for one connection and
 * returns the first match, or the default. No compilation, no caching: it is
 * the oracle the compiled tables are tested against, so it stays obvious.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

bool sg_atom_matches(const struct sg_atom *atom, const struct in6_addr *addr,
		     const struct sg_lookup *info)
{
	sg_u128 a, p, mask;

	switch (atom->kind) {
	case SG_ATOM_COUNTRY:
		return info->cc[0] == atom->cc[0] && info->cc[1] == atom->cc[1];
	case SG_ATOM_ASN:
		return info->asn == atom->asn;
	case SG_ATOM_FLAG:
		return info->flags & atom->flag;
	case SG_ATOM_LABEL:
		return info->label_id && info->label_id == atom->label;
	case SG_ATOM_PREFIX:
		a = sg_addr_to_u128(addr);
		p = sg_addr_to_u128(&atom->prefix.addr);
		mask = atom->prefix.len ? ~(sg_u128)0 << (128 - atom->prefix.len) : 0;
		return (a & mask) == p;
	}
	return false;
}

static bool dest_matches(const struct sg_policy *pol, const struct sg_dest *dest,
			 const struct in6_addr *addr, const struct sg_lookup *info)
{
	if (!dest->nr_terms)
		return true;
	for (uint32_t t = 0; t < dest->nr_terms; t++) {
		const struct sg_term *term = &dest->terms[t];
		bool any = false;

		for (uint32_t i = 0; i < term->nr_atoms && !any; i++)
			any = sg_atom_matches(&pol->atoms[term->atoms[i]], addr, info);
		if (any != term->negated)
			return true;
	}
	return false;
}

/* The unit is the cgroup path component that names it. */
static bool unit_matches(const char *unit, const struct sg_subject_info *s)
{
	size_t n = strlen(unit);
	const char *c;

	if (s->unit)
		return !strcmp(s->unit, unit);
	for (c = s->cgroup; c && (c = strstr(c, unit)); c++)
		if (c > s->cgroup && c[-1] == '/' && (c[n] == '/' || !c[n]))
			return true;
	return false;
}

static bool cgroup_matches(const char *prefix, const char *cgroup)
{
	size_t n = strlen(prefix);

	if (!cgroup)
		return false;
	if (n == 1)
		return cgroup[0] == '/';
	return !strncmp(cgroup, prefix, n) && (cgroup[n] == '/' || !cgroup[n]);
}

/* By identity: a renamed or hard-linked copy matches, a replaced file does not. */
static bool exe_matches(const char *path, const struct sg_subject_info *s)
{
	struct stat st;

	if (!s->exe_dev && !s->exe_ino)
		return false;
	if (stat(path, &st) < 0)
		return false;
	return st.st_dev == s->exe_dev && st.st_ino == s->exe_ino;
}

static bool subject_matches(const struct sg_subject *r, const struct sg_subject_info *s)
{
	if ((r->mask & SG_SUBJ_UID) && s->uid != r->uid)
		return false;
	if ((r->mask & SG_SUBJ_GID) && s->gid != r->gid)
		return false;
	if ((r->mask & SG_SUBJ_UNIT) && !unit_matches(r->unit, s))
		return false;
	if ((r->mask & SG_SUBJ_CGROUP) && !cgroup_matches(r->cgroup, s->cgroup))
		return false;
	if ((r->mask & SG_SUBJ_EXE) && !exe_matches(r->exe, s))
		return false;
	return true;
}

static bool port_matches(const struct sg_rule *r, uint16_t port)
{
	if (!r->nr_ports)
		return true;
	for (uint32_t i = 0; i < r->nr_ports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

int sg_ref_decide(const struct sg_policy *pol, const struct sg_data *data,
		  const struct sg_subject_info *subj, const struct in6_addr *addr, uint16_t port,
		  uint8_t proto, struct sg_decision *ret)
{
	struct sg_lookup info;
	int err;

	if (!pol || !subj || !addr || !ret || (proto != SG_PROTO_TCP && proto != SG_PROTO_UDP))
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	info.source = -1;
	if (data) {
		err = sg_data_lookup(data, addr, &info);
		if (err)
			return err;
	}
	for (uint32_t i = 0; i < pol->nr_rules; i++) {
		const struct sg_rule *r = &pol->rules[i];

		if (!(r->proto_mask & proto) || !port_matches(r, port) ||
		    !subject_matches(&r->subject, subj) ||
		    !dest_matches(pol, &r->located, addr, &info) ||
		    !dest_matches(pol, &r->operator, addr, &info))
			continue;
		ret->verdict = r->verdict;
		ret->rule = (int)i;
		ret->id = r->id;
		return 0;
	}
	ret->verdict = pol->default_verdict;
	ret->rule = -1;
	ret->id = pol->default_id;
	return 0;
}
