// SPDX-License-Identifier: GPL-2.0
/*
 * The policy image (include/sovguard_egress.h): its layout from the
 * compiler's tables, the blocks written in, and the decision over it in
 * userspace through the same bpf/decide.h the BPF programs use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"
#include "lib/cleanup.h"

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

/* ---- emit ----------------------------------------------------------------- */

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
	cnt = sg_blocks(n, SG_V4_LEAF_RANGES);
	total += cnt;
	while (cnt > SG_V4_NODE_KEYS + 1) {
		cnt = sg_blocks(cnt, SG_V4_NODE_KEYS + 1);
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
 * @keys: room for the first addresses of sg_blocks(n, SG_V4_LEAF_RANGES)
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
	cnt = sg_blocks(n, SG_V4_LEAF_RANGES);
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
		__u32 up = sg_blocks(cnt, SG_V4_NODE_KEYS + 1), at = *pool;

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

/* The IPv4 pool: a root per /16 that one range does not cover. */
static int emit_v4(struct sg_image *img, const struct compiler *c)
{
	_cleanup_free_ __u16 *keys = NULL;
	__u32 i, pool, from = 0;

	keys = calloc(sg_blocks(c->max_v4, SG_V4_LEAF_RANGES), sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	pool = sg_image_hdr(img)->v4_pool;
	for (i = 0; i < 65536; i++) {
		__u32 n = v4_bucket(c, i, &from);

		v4_tree(img, i, c->v4 + from, n, &pool, keys);
	}
	return 0;
}

static void emit_v6(struct sg_image *img, const struct compiler *c)
{
	const struct sg_image_hdr *h = sg_image_hdr(img);
	__u32 i;

	memcpy(&img->blk[h->v6_ranges], c->v6, c->nr_v6 * sizeof(*c->v6));
	/* Whole blocks: the tail repeats the last range (same start, same class). */
	for (i = c->nr_v6; i % 2; i++)
		((struct sg_v6_range *)&img->blk[h->v6_ranges])[i] = c->v6[c->nr_v6 - 1];
	fill_v6_index(img, c);
}

/* Rule bitmaps: destination classes, port classes, subject kinds, atoms. */
static void emit_rows(struct sg_image *img, const struct compiler *c)
{
	const struct sg_image_hdr *h = sg_image_hdr(img);
	const struct sg_policy *pol = c->pol;
	__u32 i, k, row;

	for (i = 0; i < c->dst.nr; i++)
		copy_row(img, h, i, c->dst.data + (size_t)i * c->nwords);
	for (i = 0; i < c->ports.nr; i++)
		copy_row(img, h, c->dst.nr + i, c->ports.data + (size_t)i * c->nwords);
	for (k = 0; k < SG_SUBJ_KINDS; k++)
		for (i = 0; i < c->nr_rules; i++)
			if (!(pol->rules[i].subject.mask & kind_mask(k)))
				set_bit_row(img, h, c->dst.nr + c->ports.nr + k, i);
	row = 0;
	for (i = 0; i < c->nr_subj; i++) {
		if (i && sg_subj_cmp(&c->subj[i - 1], &c->subj[i]))
			row++;
		set_bit_row(img, h, c->dst.nr + c->ports.nr + SG_SUBJ_KINDS + row, c->subj[i].rule);
	}
}

static void emit_rules(struct sg_image *img, const struct compiler *c)
{
	struct sg_rule_ent *re = (struct sg_rule_ent *)&img->blk[sg_image_hdr(img)->rules];
	__u32 i;

	for (i = 0; i < c->nr_rules; i++) {
		re[i].verdict = c->pol->rules[i].verdict;
		re[i].line = c->pol->rules[i].line;
	}
}

/**
 * sg_image_emit() - write the compiler's tables into a laid-out image.
 * @img: from sg_image_layout() for @c.
 * @c: the compiled tables.
 *
 * Return: 0 or -ENOMEM.
 */
int sg_image_emit(struct sg_image *img, const struct compiler *c)
{
	int err;

	err = emit_v4(img, c);
	if (err)
		return err;
	emit_v6(img, c);
	memcpy(&img->blk[SG_IMG_PORT_CLASS], c->pclass, SG_PORT_PROTOS * 65536 * sizeof(__u16));
	emit_rows(img, c);
	memcpy(&img->blk[sg_image_hdr(img)->subjects], c->subj_table,
	       (size_t)c->subj_blocks * SG_BLK_BYTES);
	emit_rules(img, c);
	return 0;
}

/* ---- layout --------------------------------------------------------------- */

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

			if (i && !sg_subj_cmp(&subj[i - 1], &subj[i]))
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
 * sg_image_layout() - place every table of the image and allocate it.
 * @c: the compiled tables; c->subj_table and c->max_v4 are set.
 * @generation: stamped into the header.
 * @ret: the image with its header and info written, untouched on failure.
 *
 * Return: 0, -E2BIG when a table exceeds the image's limits (said on
 * c->diag), -ENOMEM.
 */
int sg_image_layout(struct compiler *c, __u32 generation, struct sg_image **ret)
{
	_cleanup_(sg_image_freep) struct sg_image *img = NULL;
	struct sg_image_hdr hh = {
		.magic = SG_IMAGE_MAGIC,
		.generation = generation,
		.nr_rules = c->nr_rules,
		.nr_chunks = c->nr_chunks,
		.default_verdict = c->pol->default_verdict,
		.nr_dst_classes = c->dst.nr,
		.nr_port_classes = c->ports.nr,
		.cgroup_levels = c->levels,
		.subj_kinds = c->kinds,
	};
	struct sg_image_info info = {
		.nr_v4_ranges = c->nr_v4,
		.nr_v6_ranges = c->nr_v6,
		.nr_subjects = c->nr_subj_atoms,
	};
	__u32 at = SG_IMG_VARIABLE, from = 0, i;
	size_t total;
	int err;

	err = subject_table(c->subj, c->nr_subj, c->nr_subj_atoms, &c->subj_table,
			    &c->subj_blocks);
	if (err)
		return err;
	hh.subj_mask = c->subj_blocks - 1;
	if (c->dst.nr > 65536) {
		fprintf(c->diag, "%u destination classes; at most 65536\n", c->dst.nr);
		return -E2BIG;
	}
	hh.v4_pool = at;
	c->max_v4 = 0;
	for (i = 0; i < 65536; i++) {
		__u32 n = v4_bucket(c, i, &from);

		at += v4_pool_blocks(n);
		c->max_v4 = n > c->max_v4 ? n : c->max_v4;
	}
	hh.v6_ranges = at;
	at += sg_blocks(c->nr_v6, 2);
	hh.subjects = at;
	at += c->subj_blocks;
	hh.bits = at;
	total = (size_t)(c->dst.nr + c->ports.nr + SG_SUBJ_KINDS + c->nr_subj_atoms) * c->nr_chunks;
	if (at + total > SG_IMAGE_BLOCKS) {
		fprintf(c->diag, "compiled policy needs %zu blocks; at most %u\n", at + total,
			SG_IMAGE_BLOCKS);
		return -E2BIG;
	}
	at += total;
	hh.rules = at;
	at += sg_blocks(c->nr_rules, 8);
	hh.hits = at;
	at += sg_blocks(c->nr_rules, 8);
	if (at > SG_IMAGE_BLOCKS)
		return -E2BIG;
	info.nr_blocks = at;

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->nr_blocks = at;
	img->blk = calloc(at, sizeof(struct sg_blk));
	if (!img->blk)
		return -ENOMEM;
	memcpy(&img->blk[0], &hh, sizeof(hh));
	memcpy(&img->blk[1], &info, sizeof(info));
	*ret = img;
	img = NULL;
	return 0;
}

/* ---- header and decision -------------------------------------------------- */

void sg_image_free(struct sg_image *img)
{
	if (!img)
		return;
	free(img->blk);
	free(img);
}

/**
 * sg_image_set_nat64() - the NAT64 prefixes the configuration names.
 * @img: a compiled image, not yet published.
 * @nat64: the prefixes (nat64_prefix lines), @n of them.
 *
 * The compiler leaves the embed block empty: the well-known prefixes alone.
 * Return: 0, or the error of sg_nat64_block().
 */
int sg_image_set_nat64(struct sg_image *img, const struct sg_nat64 *nat64, unsigned int n)
{
	struct sg_embed_blk blk;
	int err = sg_nat64_block(nat64, n, &blk);

	if (!err)
		memcpy(&img->blk[SG_IMG_EMBED], &blk, sizeof(blk));
	return err;
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
