// SPDX-License-Identifier: GPL-2.0
/*
 * Destination classes. One sweep over the sorted, non-overlapping
 * jurisdiction ranges, split further where a rule's prefix begins or ends,
 * gives elementary segments; each segment's destination class is the set of
 * rules whose destination it satisfies, interned as a bitmap. Adjacent
 * segments of one class merge into one range of the image.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"
#include "lib/array.h"
#include "lib/cleanup.h"

/* ---- interned bitmaps: equal rule sets get one id ----------------------- */

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
long sg_bitset_intern(struct bitset_tab *t, const __u64 *bits)
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

void sg_bitset_free(struct bitset_tab *t)
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
	cls = sg_bitset_intern(&c->dst, c->bits);
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
	if (start >= SG_U128_V4_FIRST && start <= SG_U128_V4_LAST) {
		if (c->nr_v4 && c->v4[c->nr_v4 - 1].dst_class == cls)
			return 0;
		if (sg_grow((void **)&c->v4, &c->cap_v4, c->nr_v4 + 1, sizeof(*c->v4)))
			return -ENOMEM;
		c->v4[c->nr_v4++] = (struct v4_range){ (__u32)(start - SG_U128_V4_FIRST), cls };
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
	return sg_bitset_intern(&c->psets, c->bits);
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
	ev[nev++] = (struct event){ SG_U128_V4_FIRST, -1, 0 };
	ev[nev++] = (struct event){ SG_U128_V4_LAST + 1, -1, 0 };
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

/**
 * sg_compile_dst() - the destination classes and the address ranges.
 * @c: the compiler, its scratch allocated.
 *
 * Return: 0 or -ENOMEM.
 */
int sg_compile_dst(struct compiler *c)
{
	long cls;
	int err;

	err = collect_refs(c);
	if (err)
		return err;
	/* Class 0 is the destination no rule names (include/sovguard_egress.h). */
	cls = sg_bitset_intern(&c->dst, c->bits);
	if (cls)
		return (int)cls;
	return sweep(c);
}
