// SPDX-License-Identifier: GPL-2.0
/*
 * Reference evaluator: walks the rule list in order for one connection and
 * returns the first match, or the default. No compilation, no caching: it is
 * the oracle the compiled tables are tested against, so it stays obvious.
 */
#include <arpa/inet.h>
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

static bool port_matches(const struct sg_rule *r, uint8_t proto, uint16_t port)
{
	if (proto == SG_PROTO_SOCKET)
		return port < 8 && (r->socket_mask & (1u << port));
	if (!(proto & SG_PROTO_PORTED))
		port = 0;	/* icmp and raw have no ports */
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

	if (!pol || !subj || !addr || !ret ||
	    (proto != SG_PROTO_TCP && proto != SG_PROTO_UDP && proto != SG_PROTO_UDPLITE &&
	     proto != SG_PROTO_ICMP && proto != SG_PROTO_RAW && proto != SG_PROTO_SOCKET))
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

		if (!(r->proto_mask & proto) || !port_matches(r, proto, port) ||
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

/* Bit @i of @a, counted from the top as the RFCs count. */
static unsigned int bit(const struct in6_addr *a, unsigned int i)
{
	return a->s6_addr[i / 8] >> (7 - i % 8) & 1;
}

static bool in_prefix(const struct in6_addr *a, const struct in6_addr *p, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		if (bit(a, i) != bit(p, i))
			return false;
	return true;
}

/* The 32 bits of @a from bit @at on, skipping bits 64-71 (RFC 6052, 2.2). */
static uint32_t bits_from(const struct in6_addr *a, unsigned int at)
{
	uint32_t v = 0;
	unsigned int n = 0;

	for (unsigned int i = at; n < 32; i++) {
		if (i >= 64 && i < 72)
			continue;
		v = v << 1 | bit(a, i);
		n++;
	}
	return v;
}

static void mapped(uint32_t v, struct in6_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->s6_addr[10] = ret->s6_addr[11] = 0xff;
	for (unsigned int i = 0; i < 4; i++)
		ret->s6_addr[12 + i] = v >> (24 - 8 * i);
}

static bool is_prefix(const struct in6_addr *a, const char *p, unsigned int len)
{
	struct in6_addr pa;

	return inet_pton(AF_INET6, p, &pa) == 1 && in_prefix(a, &pa, len);
}

int sg_ref_embedded(const struct in6_addr *addr, const struct sg_nat64 *nat64, unsigned int n,
		    struct in6_addr *v4)
{
	for (unsigned int i = 0; i < n; i++) {
		if (in_prefix(addr, &nat64[i].addr, nat64[i].len)) {
			mapped(bits_from(addr, nat64[i].len), v4);
			return SG_EMBED_NAT64;
		}
	}
	if (is_prefix(addr, "::ffff:0:0", 96)) {
		mapped(bits_from(addr, 96), v4);
		return SG_EMBED_MAPPED;
	}
	if (is_prefix(addr, "64:ff9b::", 96)) {
		mapped(bits_from(addr, 96), v4);
		return SG_EMBED_NAT64;
	}
	if (is_prefix(addr, "64:ff9b:1::", 48)) {
		mapped(bits_from(addr, 96), v4);
		return SG_EMBED_NAT64_LOCAL;
	}
	if (is_prefix(addr, "2002::", 16)) {
		mapped(bits_from(addr, 16), v4);
		return SG_EMBED_6TO4;
	}
	if (is_prefix(addr, "2001::", 32)) {
		mapped(~bits_from(addr, 96), v4);
		return SG_EMBED_TEREDO;
	}
	return SG_EMBED_NONE;
}

int sg_nat64_parse(const char *s, struct sg_nat64 *ret)
{
	struct sg_nat64 p;
	int err;

	if (!strchr(s, '/') || !strchr(s, ':'))
		return -EINVAL;
	err = sg_prefix_parse(s, strlen(s), &p.addr, &p.len);
	if (err)
		return err == -EDOM ? -EINVAL : err;
	switch (p.len) {
	case 32: case 40: case 48: case 56: case 64: case 96:
		break;
	default:
		return -EDOM;
	}
	*ret = p;
	return 0;
}

int sg_nat64_block(const struct sg_nat64 *nat64, unsigned int n, struct sg_embed_blk *ret)
{
	if (n > SG_NAT64_PREFIXES_MAX)
		return -E2BIG;
	memset(ret, 0, sizeof(*ret));
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *a = nat64[i].addr.s6_addr;
		struct sg_nat64_prefix *p = &ret->nat64[i];

		for (unsigned int k = 0; k < 8; k++)
			p->hi = p->hi << 8 | a[k];
		p->mid = (uint32_t)a[8] << 24 | a[9] << 16 | a[10] << 8 | a[11];
		p->len = nat64[i].len;
	}
	return 0;
}

const char *sg_embed_name(unsigned int kind)
{
	static const char *const names[SG_EMBED_KINDS] = {
		[SG_EMBED_MAPPED] = "mapped",		[SG_EMBED_NAT64] = "nat64",
		[SG_EMBED_6TO4] = "6to4",		[SG_EMBED_NAT64_LOCAL] = "nat64-local",
		[SG_EMBED_TEREDO] = "teredo",
	};

	return kind < SG_EMBED_KINDS ? names[kind] : NULL;
}
