/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decision, written once: compiled into the BPF programs, where SG_BLK()
 * is a lookup in the live policy image map, and into the daemon (image.c,
 * for the check request of the control socket that `sovguardctl check`
 * sends) and the tests, where it reads the live image or a copy of it. The image layout
 * is described in include/sovguard_egress.h.
 *
 * The including file defines, before including this one:
 *   SG_IMG_T             the image handle type
 *   SG_BLK(img, i)       pointer to block i (struct sg_blk *) or NULL
 *   SG_HIT(p)            count one match in the __u64 at p (may do nothing)
 *   SG_LOOP(n, fn, ctx)  call fn(i, ctx) for i in [0, n) until it returns 1
 *                        (bpf_loop() in BPF: its body is verified once)
 */
#ifndef SG_DECIDE_H
#define SG_DECIDE_H

/* A loop of constant trip count, unrolled by either compiler. */
#ifdef __clang__
#define SG_UNROLL _Pragma("clang loop unroll(full)")
#else
#define SG_UNROLL _Pragma("GCC unroll 32")
#endif

struct sg_decide_ctx {
	SG_IMG_T img;
	const struct sg_image_hdr *h;
	struct sg_query *q;
	struct sg_answer *ans;
	struct sg_blk *mask;	/* the subject's rule mask, SG_CHUNKS_MAX blocks */
	__u32 dst_row;
	__u32 port_row;
	__u32 first;	/* first chunk with a rule matching destination and port */
	int err;
	int found;
};

static __always_inline __u32 sg_ctz64(__u64 x)
{
	__u32 n = 0;

	if (!(x & 0xffffffffULL)) {
		n += 32;
		x >>= 32;
	}
	if (!(x & 0xffff)) {
		n += 16;
		x >>= 16;
	}
	if (!(x & 0xff)) {
		n += 8;
		x >>= 8;
	}
	if (!(x & 0xf)) {
		n += 4;
		x >>= 4;
	}
	if (!(x & 0x3)) {
		n += 2;
		x >>= 2;
	}
	if (!(x & 0x1))
		n += 1;
	return n;
}

static __always_inline int sg_index_get(SG_IMG_T img, __u32 base, __u32 i,
					struct sg_index_ent *ret)
{
	const struct sg_blk *b = SG_BLK(img, base + i / 8);

	if (!b)
		return -1;
	*ret = ((const struct sg_index_ent *)b->w)[i & 7];
	return 0;
}

static __always_inline __u64 sg_be64(const __u8 *p)
{
	return ((__u64)p[0] << 56) | ((__u64)p[1] << 48) | ((__u64)p[2] << 40) |
	       ((__u64)p[3] << 32) | ((__u64)p[4] << 24) | ((__u64)p[5] << 16) |
	       ((__u64)p[6] << 8) | p[7];
}

/*
 * The IPv6 search runs over blocks and compares only a block's first entry: no
 * access at a variable offset inside a block, so the verifier does not
 * track the search bounds precisely and prunes the loop's states; the last
 * block is scanned at constant offsets. Regions are padded to whole blocks
 * (ranges with copies of their last entry, subjects with keys above all).
 */

/*
 * Bucket @p of the index at @base: 1 with *cls when one range covers it, 0
 * with the ranges [*lo, *hi] to search, -1 when the image is inconsistent.
 */
static __always_inline int sg_bucket(SG_IMG_T img, __u32 base, __u32 p, __u32 *lo, __u32 *hi,
				     __u32 *cls)
{
	struct sg_index_ent e0, e1;

	if (sg_index_get(img, base, p, &e0))
		return -1;
	if (e0.direct) {
		*cls = e0.direct - 1;
		return 1;
	}
	if (sg_index_get(img, base, p + 1, &e1))
		return -1;
	*lo = e0.first;
	*hi = e1.first;
	return 0;
}

/* 1 when @k <= @x, else 0, without a branch (both below 2^32). */
static __always_inline __u32 sg_le(__u64 k, __u64 x)
{
	return (k - x - 1) >> 63;
}

/*
 * Destination class of an IPv4 address (host order): the /16's index
 * entry, its root block unless one class covers the /16, and when that is
 * not a leaf, one block per level of its tree. Each block is
 * read at constant offsets; the position inside it is counted, not
 * searched, so no branch depends on the address.
 */
static __always_inline int sg_dst_v4(SG_IMG_T img, const struct sg_image_hdr *h, __u32 a,
				     __u32 *ret)
{
	const struct sg_v4_leaf *l;
	const struct sg_v4_node *n;
	const struct sg_blk *b;
	__u32 x = a & 0xffff, height, d, i;

	b = SG_BLK(img, SG_IMG_V4_INDEX + (a >> 20));
	if (!b)
		return -1;
	i = ((const __u32 *)b->w)[(a >> 16) & 15];
	if (i & SG_V4_DIRECT) {
		*ret = i & ~SG_V4_DIRECT;
		return 0;
	}
	b = SG_BLK(img, i);
	if (!b)
		return -1;
	height = ((const __u16 *)b->w)[0];
	for (d = 0; d < SG_V4_HEIGHT_MAX && height; d++, height--) {
		n = (const struct sg_v4_node *)b->w;
		i = 0;
		SG_UNROLL
		for (int k = 0; k < SG_V4_NODE_KEYS; k++)
			i += sg_le(n->key[k], x);
		if (i > n->nkeys)
			i = n->nkeys;
		b = SG_BLK(img, n->child + i);
		if (!b)
			return -1;
	}
	if (height)
		return -1;
	l = (const struct sg_v4_leaf *)b->w;
	i = 0;
	SG_UNROLL
	for (int k = 1; k < SG_V4_LEAF_RANGES; k++)
		i += sg_le(l->e[k].start, x);
	*ret = l->e[i & (SG_V4_LEAF_RANGES - 1)].dst_class;
	return 0;
}

static __always_inline int sg_v6_le(const struct sg_v6_range *r, __u64 ahi, __u64 alo)
{
	return r->hi < ahi || (r->hi == ahi && r->lo <= alo);
}

static __always_inline int sg_dst_v6(SG_IMG_T img, const struct sg_image_hdr *h, __u64 ahi,
				     __u64 alo, __u32 *ret)
{
	const struct sg_v6_range *r;
	const struct sg_blk *b;
	__u32 lo, hi, mid, step;
	int k;

	k = sg_bucket(img, SG_IMG_V6_INDEX, ahi >> 48, &lo, &hi, ret);
	if (k)
		return k < 0 ? -1 : 0;
	lo /= 2;
	hi /= 2;
	for (step = 0; step < SG_SEARCH_STEPS; step++) {
		if (lo >= hi)
			break;
		mid = lo + (hi - lo + 1) / 2;
		b = SG_BLK(img, h->v6_ranges + mid);
		if (!b)
			return -1;
		if (sg_v6_le((const struct sg_v6_range *)b->w, ahi, alo))
			lo = mid;
		else
			hi = mid - 1;
	}
	b = SG_BLK(img, h->v6_ranges + lo);
	if (!b)
		return -1;
	r = (const struct sg_v6_range *)b->w;
	*ret = sg_v6_le(&r[1], ahi, alo) ? r[1].dst_class : r[0].dst_class;
	return 0;
}

/*
 * The IPv4 address that RFC 6052 puts after a prefix of @len bits (32, 40,
 * 48, 56, 64 or 96) in the address @hi:@lo; bits 64-71 are never part of it.
 */
static __always_inline __u32 sg_rfc6052_v4(__u64 hi, __u64 lo, __u32 len)
{
	switch (len) {
	case 32:
		return (__u32)hi;
	case 40:
		return (__u32)((hi & 0xffffff) << 8 | ((lo >> 48) & 0xff));
	case 48:
		return (__u32)((hi & 0xffff) << 16 | ((lo >> 40) & 0xffff));
	case 56:
		return (__u32)((hi & 0xff) << 24 | ((lo >> 32) & 0xffffff));
	case 64:
		return (__u32)(lo >> 24);
	}
	return (__u32)lo;
}

static __always_inline int sg_nat64_match(const struct sg_nat64_prefix *p, __u64 hi, __u64 lo)
{
	if (p->len == 96)
		return hi == p->hi && (__u32)(lo >> 32) == p->mid;
	if (p->len < 32 || p->len > 64)
		return 0;
	return (hi & ~0ULL << (64 - p->len)) == p->hi;
}

/**
 * sg_embedded() - the IPv4 address an IPv6 destination embeds.
 * @img: the image, whose embed block holds the configured NAT64 prefixes.
 * @hi: the address's first 64 bits, host order; @lo: its last 64 bits.
 * @v4: the IPv4 address (host order) for every kind but SG_EMBED_NONE.
 *
 * Configured prefixes first: one may lie inside the local-use prefix.
 *
 * Return: enum sg_embed_kind, or -1 when the image has no embed block.
 */
static __always_inline int sg_embedded(SG_IMG_T img, __u64 hi, __u64 lo, __u32 *v4)
{
	const struct sg_embed_blk *e;
	const struct sg_blk *b;

	b = SG_BLK(img, SG_IMG_EMBED);
	if (!b)
		return -1;
	e = (const struct sg_embed_blk *)b->w;
	SG_UNROLL
	for (int k = 0; k < SG_NAT64_PREFIXES_MAX; k++) {
		if (sg_nat64_match(&e->nat64[k], hi, lo)) {
			*v4 = sg_rfc6052_v4(hi, lo, e->nat64[k].len);
			return SG_EMBED_NAT64;
		}
	}
	*v4 = (__u32)lo;
	if (hi == 0 && lo >> 32 == 0xffff)
		return SG_EMBED_MAPPED;
	if (hi == 0x0064ff9b00000000ULL && lo >> 32 == 0)
		return SG_EMBED_NAT64;
	if (hi >> 16 == 0x0064ff9b0001ULL)
		return SG_EMBED_NAT64_LOCAL;
	if (hi >> 48 == 0x2002) {
		*v4 = (__u32)(hi >> 16);
		return SG_EMBED_6TO4;
	}
	if (hi >> 32 == 0x20010000) {
		*v4 = ~(__u32)lo;	/* the client's address, obfuscated (RFC 4380) */
		return SG_EMBED_TEREDO;
	}
	return SG_EMBED_NONE;
}

/* First block of the probe for a subject atom: shared with the compiler. */
static __always_inline __u32 sg_subject_hash(__u32 kind, __u32 dev, __u64 id)
{
	__u64 x = (id ^ ((__u64)dev << 32 | kind)) * 0x9e3779b97f4a7c15ULL;

	return (__u32)(x >> 32) ^ (__u32)x;
}

static __always_inline int sg_key_eq(const struct sg_subject_key *k, __u32 kind, __u32 dev,
				     __u64 id)
{
	return k->row && k->kind == kind && k->dev == dev && k->id == id;
}

/* Row of a subject atom, or -1: at most SG_SUBJECT_PROBES blocks. */
static __always_inline int sg_subject_find(SG_IMG_T img, const struct sg_image_hdr *h, __u32 kind,
					   __u32 dev, __u64 id)
{
	const struct sg_subject_key *k;
	const struct sg_blk *b;
	__u32 at = sg_subject_hash(kind, dev, id), p;

	for (p = 0; p < SG_SUBJECT_PROBES; p++) {
		b = SG_BLK(img, h->subjects + ((at + p) & h->subj_mask));
		if (!b)
			return -1;
		k = (const struct sg_subject_key *)b->w;
		if (sg_key_eq(&k[0], kind, dev, id))
			return k[0].row - 1;
		if (sg_key_eq(&k[1], kind, dev, id))
			return k[1].row - 1;
		if (sg_key_eq(&k[2], kind, dev, id))
			return k[2].row - 1;
		if (sg_key_eq(&k[3], kind, dev, id))
			return k[3].row - 1;
		if (!k[0].row || !k[1].row || !k[2].row || !k[3].row)
			return -1;
	}
	return -1;
}

static __always_inline void sg_match_add(struct sg_query *q, __u32 kind, int row)
{
	__u32 n = q->nmatch;

	if (row < 0 || n >= SG_MATCHES_MAX)
		return;
	q->match[n] = kind << 24 | (__u32)row;
	q->nmatch = n + 1;
}

/* SG_LOOP body: the cgroup atom at one level of the task's ancestry. */
static long sg_level_cb(__u32 level, void *data)
{
	struct sg_decide_ctx *c = data;
	struct sg_query *q = c->q;
	__u64 id;

	if (level >= SG_CGROUP_LEVELS)
		return 1;
	id = q->cgroup[level];
	if (!id || !(c->h->cgroup_levels & (1u << level)))
		return 0;
	sg_match_add(q, SG_SUBJ_KIND_CGROUP,
		     sg_subject_find(c->img, c->h, SG_SUBJ_KIND_CGROUP, 0, id));
	return 0;
}

static __always_inline const struct sg_blk *sg_row(const struct sg_decide_ctx *c, __u32 row,
						   __u32 chunk)
{
	return SG_BLK(c->img, c->h->bits + row * c->h->nr_chunks + chunk);
}

/* Count one match of @rule in the image's hit counters. */
static __always_inline void sg_count_hit(SG_IMG_T img, const struct sg_image_hdr *h, __u32 rule)
{
	struct sg_blk *hb = (struct sg_blk *)SG_BLK(img, h->hits + rule / 8);

	if (hb)
		SG_HIT(&hb->w[rule & 7]);
}

/*
 * SG_LOOP body: the subject's mask of one chunk, the rules whose subject the
 * task matches: for each kind of atom the image has, the rules that do not
 * constrain that kind or name one of the task's atoms of it.
 */
static long sg_mask_cb(__u32 chunk, void *data)
{
	struct sg_decide_ctx *c = data;
	const struct sg_image_hdr *h = c->h;
	const struct sg_query *q = c->q;
	const struct sg_blk *sb;
	struct sg_blk *out;
	__u32 wild = h->nr_dst_classes + h->nr_port_classes, k, i, w;
	__u64 m[SG_BLK_WORDS], s[SG_BLK_WORDS];

	if (chunk >= SG_CHUNKS_MAX)
		return 1;
	for (w = 0; w < SG_BLK_WORDS; w++)
		m[w] = ~0ULL;
	for (k = 0; k < SG_SUBJ_KINDS; k++) {
		if (!(h->subj_kinds & (1u << k)))
			continue;
		sb = sg_row(c, wild + k, chunk);
		if (!sb)
			goto broken;
		for (w = 0; w < SG_BLK_WORDS; w++)
			s[w] = sb->w[w];
		for (i = 0; i < SG_MATCHES_MAX; i++) {
			__u32 e;

			if (i >= q->nmatch)
				break;
			e = q->match[i];
			if (e >> 24 != k)
				continue;
			sb = sg_row(c, wild + SG_SUBJ_KINDS + (e & 0xffffff), chunk);
			if (!sb)
				goto broken;
			for (w = 0; w < SG_BLK_WORDS; w++)
				s[w] |= sb->w[w];
		}
		for (w = 0; w < SG_BLK_WORDS; w++)
			m[w] &= s[w];
	}
	out = &c->mask[chunk];
	for (w = 0; w < SG_BLK_WORDS; w++)
		out->w[w] = m[w];
	return 0;
broken:
	c->err = -1;
	return 1;
}

/* SG_LOOP body: the first rule of one chunk that matches; stops there. */
static long sg_rule_cb(__u32 i, void *data)
{
	struct sg_decide_ctx *c = data;
	const struct sg_image_hdr *h = c->h;
	const struct sg_blk *db, *pb, *rb;
	__u32 chunk = c->first + i, w, rule;
	__u64 m;

	if (chunk >= SG_CHUNKS_MAX)
		return 1;
	db = sg_row(c, c->dst_row, chunk);
	pb = sg_row(c, c->port_row, chunk);
	if (!db || !pb)
		goto broken;
	for (w = 0; w < SG_BLK_WORDS; w++) {
		m = db->w[w] & pb->w[w] & c->mask[chunk].w[w];
		if (!m)
			continue;
		rule = chunk * SG_CHUNK_RULES + w * 64 + sg_ctz64(m);
		rb = SG_BLK(c->img, h->rules + rule / 8);
		if (!rb)
			goto broken;
		c->ans->verdict = ((const struct sg_rule_ent *)rb->w)[rule & 7].verdict;
		c->ans->rule = rule;
		sg_count_hit(c->img, h, rule);
		c->found = 1;
		return 1;
	}
	return 0;
broken:
	c->err = -1;
	return 1;
}

/* The answer when no rule matches: the image's default verdict. */
static __always_inline void sg_answer_default(const struct sg_image_hdr *h, struct sg_answer *ans)
{
	ans->verdict = h->default_verdict;
	ans->rule = SG_RULE_DEFAULT;
}

/* Does some rule of @chunk match destination and port? Sets c->err if not readable. */
static __always_inline bool sg_chunk_candidates(struct sg_decide_ctx *c, __u32 chunk)
{
	const struct sg_blk *db, *pb;
	__u64 any = 0;
	__u32 w;

	db = sg_row(c, c->dst_row, chunk);
	pb = sg_row(c, c->port_row, chunk);
	if (!db || !pb) {
		c->err = -1;
		return false;
	}
	for (w = 0; w < SG_BLK_WORDS; w++)
		any |= db->w[w] & pb->w[w];
	return any;
}

/*
 * Where (protocol, port) sits in the port tables: TCP, UDP and UDP-Lite by
 * port, ICMP and ICMPv6 in one table and every other protocol in the next,
 * both at port 0 (they have no ports); socket creation by its kind.
 */
static __always_inline __u32 sg_port_index(__u32 protocol, __u32 port)
{
	switch (protocol) {
	case SG_IPPROTO_TCP:
		return SG_PORT_PROTO_TCP * 65536 + (port & 0xffff);
	case SG_IPPROTO_UDP:
		return SG_PORT_PROTO_UDP * 65536 + (port & 0xffff);
	case SG_IPPROTO_UDPLITE:
		return SG_PORT_PROTO_UDPLITE * 65536 + (port & 0xffff);
	case SG_IPPROTO_ICMP:
	case SG_IPPROTO_ICMPV6:
		return SG_PORT_PROTO_ICMP * 65536;
	case SG_IPPROTO_SOCKET:
		return SG_PORT_PROTO_SOCKET * 65536 + (port & 0xffff);
	}
	return SG_PORT_PROTO_OTHER * 65536;
}

/**
 * sg_decide_dst() - the first half of a decision: destination and port.
 * @c: the decision's context, filled here for the second half.
 *
 * Return: 1 when some rule matches destination and port (the subject
 * decides: sg_subject_mask(), then sg_decide_rules()), 0 when none does
 * (@ans holds the default), -1 when the image is inconsistent.
 */
static __always_inline int sg_decide_dst(SG_IMG_T img, const struct sg_image_hdr *h,
					 struct sg_query *q, struct sg_answer *ans,
					 struct sg_decide_ctx *c)
{
	const struct sg_blk *b;
	__u32 dst, i, a;
	__u16 pclass;
	int kind;

	*c = (struct sg_decide_ctx){ .img = img, .h = h, .q = q, .ans = ans };
	ans->generation = h->generation;
	if (q->family == SG_AF_INET) {
		a = ((__u32)q->addr[0] << 24) | ((__u32)q->addr[1] << 16) |
		    ((__u32)q->addr[2] << 8) | q->addr[3];
		ans->embed = SG_EMBED_NONE;
		ans->embed_v4 = 0;
		if (sg_dst_v4(img, h, a, &dst))
			return -1;
	} else {
		__u64 hi = sg_be64(q->addr), lo = sg_be64(q->addr + 8);

		kind = sg_embedded(img, hi, lo, &a);
		if (kind < 0)
			return -1;
		ans->embed = kind;
		ans->embed_v4 = kind ? a : 0;
		if (kind >= SG_EMBED_REFUSE) {
			ans->dst_class = 0;
			ans->verdict = SG_VERDICT_DENY;
			ans->rule = SG_RULE_REFUSED;
			return 0;
		}
		if (kind ? sg_dst_v4(img, h, a, &dst) : sg_dst_v6(img, h, hi, lo, &dst))
			return -1;
	}
	ans->dst_class = dst;
	c->dst_row = dst;
	if (dst == 0) {	/* no rule names the destination */
		sg_answer_default(h, ans);
		return 0;
	}

	i = sg_port_index(q->protocol, q->port);
	b = SG_BLK(img, SG_IMG_PORT_CLASS + i / 32);
	if (!b)
		return -1;
	pclass = ((const __u16 *)b->w)[i & 31];
	c->port_row = h->nr_dst_classes + pclass;

	/*
	 * A destination that rules name only with other ports: the default,
	 * without the subject too. A plain loop, not SG_LOOP: its body is
	 * small enough to verify for every chunk, and a callback is a call and
	 * a return per chunk.
	 */
	for (i = 0; i < SG_CHUNKS_MAX && i < h->nr_chunks; i++) {
		if (sg_chunk_candidates(c, i)) {
			c->first = i;
			return 1;
		}
		if (c->err)
			return -1;
	}
	sg_answer_default(h, ans);
	return 0;
}

/**
 * sg_subject_mask() - the rules whose subject the calling task matches.
 * @c: the context sg_decide_dst() filled; the query's subject (uid, gid,
 *     exe, the cgroup levels the header names) must be filled in by now.
 * @mask: SG_CHUNKS_MAX blocks, of which the image's nr_chunks are written.
 *
 * The mask depends on the image and the task's identity only, not on the
 * destination: a caller may keep it for the next decision of the same
 * task on the same image (bpf/egress.bpf.c does).
 *
 * Return: 0, or -1 when the image is inconsistent.
 */
static __always_inline int sg_subject_mask(struct sg_decide_ctx *c, struct sg_blk *mask)
{
	const struct sg_image_hdr *h = c->h;
	struct sg_query *q = c->q;
	SG_IMG_T img = c->img;

	c->mask = mask;
	q->nmatch = 0;
	if (h->cgroup_levels)
		SG_LOOP(SG_CGROUP_LEVELS, sg_level_cb, c);
	if (h->subj_kinds & (1u << SG_SUBJ_KIND_EXE))
		sg_match_add(q, SG_SUBJ_KIND_EXE,
			     sg_subject_find(img, h, SG_SUBJ_KIND_EXE, q->exe_dev, q->exe_ino));
	if (h->subj_kinds & (1u << SG_SUBJ_KIND_UID))
		sg_match_add(q, SG_SUBJ_KIND_UID,
			     sg_subject_find(img, h, SG_SUBJ_KIND_UID, 0, q->uid));
	if (h->subj_kinds & (1u << SG_SUBJ_KIND_GID))
		sg_match_add(q, SG_SUBJ_KIND_GID,
			     sg_subject_find(img, h, SG_SUBJ_KIND_GID, 0, q->gid));
	SG_LOOP(h->nr_chunks, sg_mask_cb, c);
	return c->err ? -1 : 0;
}

/**
 * sg_decide_rules() - the second half of a decision: the first rule that
 * matches destination, port and the subject's @mask (sg_subject_mask()).
 *
 * Return: 0 with the answer filled, or -1 when the image is inconsistent.
 */
static __always_inline int sg_decide_rules(struct sg_decide_ctx *c, struct sg_blk *mask)
{
	const struct sg_image_hdr *h = c->h;

	c->mask = mask;
	if (c->first < h->nr_chunks)
		SG_LOOP(h->nr_chunks - c->first, sg_rule_cb, c);
	if (c->err)
		return -1;
	if (!c->found)
		sg_answer_default(h, c->ans);
	return 0;
}

/**
 * sg_decide() - first matching rule for @q in the image @img.
 * @h: the image's header (block 0), read by the caller.
 * @q: the query, subject included; its work area (nmatch, match) is
 *     overwritten.
 * @mask: SG_CHUNKS_MAX blocks of work area for the subject's mask.
 *
 * Return: 0 with @ans filled, or -1 when the image is inconsistent (the
 * caller then applies its fail-safe).
 */
static __always_inline int sg_decide(SG_IMG_T img, const struct sg_image_hdr *h,
				     struct sg_query *q, struct sg_blk *mask,
				     struct sg_answer *ans)
{
	struct sg_decide_ctx c;
	int k = sg_decide_dst(img, h, q, ans, &c);

	if (k <= 0)
		return k;
	if (sg_subject_mask(&c, mask))
		return -1;
	return sg_decide_rules(&c, mask);
}

#endif /* SG_DECIDE_H */
