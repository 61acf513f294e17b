// SPDX-License-Identifier: GPL-2.0
/*
 * Jurisdiction data: the common table every loader feeds, the overlap
 * resolution sweep and the point lookup.
 *
 * Loaders append networks (first, last, attributes). sg_data_finish() sorts
 * them by first address and resolves overlaps in one pass with a heap of the
 * open networks: at every boundary the most specific open network (smallest
 * size; on a tie the one read last) owns the addresses up to the next
 * boundary. Nested CIDR networks and the arbitrary ranges of Tor's files are
 * handled alike. Neighbouring output ranges with equal attributes merge.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "internal.h"

struct sg_data {
	struct sg_pol_raw *raw;
	size_t nr_raw, cap_raw;
	struct sg_range *ranges;
	size_t nr_ranges;
	uint32_t *asns;
	size_t nr_asns, cap_asns;
	uint32_t asn_recent[1024];	/* direct-mapped filter of repeats */
	bool has_asn_info;
	bool finished;
	struct sg_source_info sources[SG_MAX_DATA_SOURCES];
	size_t nr_sources;
	char *labels[SG_MAX_DATA_LABELS + 1];	/* [0] unused: label 0 is none */
	size_t nr_labels;
};

const char *sg_source_kind_name(enum sg_source_kind kind)
{
	switch (kind) {
	case SG_SRC_AUTO:
		return "auto";
	case SG_SRC_LIBLOC:
		return "libloc";
	case SG_SRC_MMDB:
		return "mmdb";
	case SG_SRC_TOR_GEOIP:
		return "tor-geoip";
	case SG_SRC_CIDR:
		return "cidr";
	}
	return "?";
}

const char *sg_sig_state_name(enum sg_sig_state sig)
{
	switch (sig) {
	case SG_SIG_NONE:
		break;
	case SG_SIG_VERIFIED:
		return "verified";
	case SG_SIG_UNSIGNED:
		return "unsigned (allowed by config)";
	case SG_SIG_UNVERIFIED:
		return "not verified, key unusable (allowed by config)";
	}
	return "none";
}

static const char *const unsigned_names[] = {
	[SG_UNSIGNED_REFUSE] = "refuse",
	[SG_UNSIGNED_UNSIGNABLE] = "unsignable",
	[SG_UNSIGNED_ALLOW] = "allow",
};

int sg_unsigned_policy_parse(const char *s, enum sg_unsigned_policy *ret)
{
	for (size_t i = 0; i < sizeof(unsigned_names) / sizeof(unsigned_names[0]); i++) {
		if (!strcmp(s, unsigned_names[i])) {
			*ret = (enum sg_unsigned_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sg_unsigned_policy_name(enum sg_unsigned_policy p)
{
	return (unsigned int)p <= SG_UNSIGNED_ALLOW ? unsigned_names[p] : "?";
}

int sg_data_new(struct sg_data **ret)
{
	struct sg_data *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->nr_labels = 1;
	*ret = d;
	return 0;
}

void sg_data_free(struct sg_data *d)
{
	if (!d)
		return;
	free(d->raw);
	free(d->ranges);
	free(d->asns);
	for (size_t i = 0; i < d->nr_sources; i++)
		free((char *)d->sources[i].path);
	for (size_t i = 1; i < d->nr_labels; i++)
		free(d->labels[i]);
	free(d);
}

/* Room for @n more networks at once: a loader that knows its count. */
int sg_pol_data_reserve(struct sg_data *d, size_t n)
{
	if (n > SG_MAX_DATA_RANGES)
		n = SG_MAX_DATA_RANGES;
	return sg_grow((void **)&d->raw, &d->cap_raw, d->nr_raw + n, sizeof(*d->raw));
}

int sg_pol_data_add(struct sg_data *d, sg_u128 first, sg_u128 last, const char *cc, uint32_t asn,
		 uint8_t flags, uint16_t label)
{
	struct sg_pol_raw *r;
	int err;

	if (first > last)
		return -EINVAL;
	if (d->nr_raw >= SG_MAX_DATA_RANGES)
		return -E2BIG;
	err = sg_grow((void **)&d->raw, &d->cap_raw, d->nr_raw + 1, sizeof(*d->raw));
	if (err)
		return err;
	r = &d->raw[d->nr_raw];
	r->first = first;
	r->last = last;
	r->asn = asn;
	r->cc[0] = cc && cc[0] ? (char)(cc[0] & ~0x20) : 0;
	r->cc[1] = cc && cc[0] ? (char)(cc[1] & ~0x20) : 0;
	r->flags = flags & SG_FLAG_ALL;
	r->source = (uint8_t)(d->nr_sources - 1);
	r->label = label;
	r->seq = (uint32_t)d->nr_raw;
	d->nr_raw++;
	d->sources[d->nr_sources - 1].nr_networks++;
	if (asn) {
		d->has_asn_info = true;
		return sg_pol_data_add_asn(d, asn);
	}
	return 0;
}

int sg_pol_data_add_asn(struct sg_data *d, uint32_t asn)
{
	int err;

	/*
	 * A million networks name some eighty thousand ASes: skip the repeats
	 * a small filter remembers (the list is sorted and deduplicated in
	 * sg_data_finish() anyway).
	 */
	if (asn && d->asn_recent[asn % 1024] == asn)
		return 0;
	d->asn_recent[asn % 1024] = asn;
	err = sg_grow((void **)&d->asns, &d->cap_asns, d->nr_asns + 1, sizeof(*d->asns));
	if (err)
		return err;
	d->asns[d->nr_asns++] = asn;
	return 0;
}

void sg_pol_data_set_has_asn_info(struct sg_data *d)
{
	d->has_asn_info = true;
}

int sg_pol_data_intern_label(struct sg_data *d, const char *name, size_t len)
{
	for (size_t i = 1; i < d->nr_labels; i++)
		if (strlen(d->labels[i]) == len && !memcmp(d->labels[i], name, len))
			return (int)i;
	if (d->nr_labels > SG_MAX_DATA_LABELS)
		return -E2BIG;
	d->labels[d->nr_labels] = strndup(name, len);
	if (!d->labels[d->nr_labels])
		return -ENOMEM;
	return (int)d->nr_labels++;
}

static int cmp_raw(const void *a, const void *b)
{
	const struct sg_pol_raw *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* true if raw a is more specific than raw b */
static inline bool raw_better(const struct sg_pol_raw *a, const struct sg_pol_raw *b)
{
	sg_u128 sa = a->last - a->first, sb = b->last - b->first;

	if (sa != sb)
		return sa < sb;
	return a->seq > b->seq;
}

struct heap {
	uint32_t *v;
	size_t n;
	const struct sg_pol_raw *raw;
};

static void heap_push(struct heap *h, uint32_t idx)
{
	size_t i = h->n++;

	h->v[i] = idx;
	while (i) {
		size_t p = (i - 1) / 2;

		if (!raw_better(&h->raw[h->v[i]], &h->raw[h->v[p]]))
			break;
		idx = h->v[p];
		h->v[p] = h->v[i];
		h->v[i] = idx;
		i = p;
	}
}

static void heap_pop(struct heap *h)
{
	size_t i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t t;

		if (l < h->n && raw_better(&h->raw[h->v[l]], &h->raw[h->v[m]]))
			m = l;
		if (r < h->n && raw_better(&h->raw[h->v[r]], &h->raw[h->v[m]]))
			m = r;
		if (m == i)
			break;
		t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
}

static void emit(struct sg_data *d, sg_u128 first, sg_u128 last, const struct sg_pol_raw *r)
{
	struct sg_range *prev = d->nr_ranges ? &d->ranges[d->nr_ranges - 1] : NULL;
	struct sg_range *o;

	if (prev && sg_addr_to_u128(&prev->last) + 1 == first && prev->asn == r->asn &&
	    !memcmp(prev->cc, r->cc, 2) && prev->flags == r->flags &&
	    prev->source == r->source && prev->label == r->label) {
		sg_u128_to_addr(last, &prev->last);
		return;
	}
	o = &d->ranges[d->nr_ranges++];
	memset(o, 0, sizeof(*o));
	sg_u128_to_addr(first, &o->first);
	sg_u128_to_addr(last, &o->last);
	o->asn = r->asn;
	memcpy(o->cc, r->cc, 2);
	o->flags = r->flags;
	o->source = r->source;
	o->label = r->label;
}

/*
 * The sweep for networks that nest (every one inside the one it overlaps,
 * as CIDR networks from one tree do): the innermost open network is the
 * top of a stack, no heap needed. Returns -EAGAIN, having emitted nothing
 * that counts, when two networks overlap without nesting.
 */
static int sweep_nested(struct sg_data *d, uint32_t *stack)
{
	const struct sg_pol_raw *raw = d->raw, *t;
	size_t sp = 0, i;
	sg_u128 cur = 0;
	bool done = false;

	for (i = 0; i <= d->nr_raw; i++) {
		const struct sg_pol_raw *r = i < d->nr_raw ? &raw[i] : NULL;

		/* close the networks that end before r (all of them at the end) */
		while (sp && (!r || raw[stack[sp - 1]].last < r->first)) {
			t = &raw[stack[--sp]];
			if (!done && cur <= t->last) {
				emit(d, cur, t->last, t);
				done = t->last == ~(sg_u128)0;
				cur = t->last + 1;
			}
		}
		if (!r)
			break;
		if (!sp) {
			cur = r->first;
		} else {
			t = &raw[stack[sp - 1]];
			if (r->last > t->last)
				return -EAGAIN;
			if (cur < r->first) {
				emit(d, cur, r->first - 1, t);
				cur = r->first;
			}
		}
		stack[sp++] = (uint32_t)i;
	}
	return 0;
}

int sg_data_finish(struct sg_data *d)
{
	struct heap h = { .raw = d->raw };
	size_t i = 0, j = 0;
	sg_u128 cur = 0;

	if (d->finished)
		return -EALREADY;
	if (!d->nr_sources)
		return -ENODATA;

	if (d->nr_asns) {
		qsort(d->asns, d->nr_asns, sizeof(*d->asns), sg_cmp_u32);
		for (i = 0; i < d->nr_asns; i++)
			if (!j || d->asns[j - 1] != d->asns[i])
				d->asns[j++] = d->asns[i];
		d->nr_asns = j;
	}

	/* libloc enumerates its tree in address order: skip the sort then. */
	for (i = 1; i < d->nr_raw; i++)
		if (cmp_raw(&d->raw[i - 1], &d->raw[i]) > 0)
			break;
	if (i < d->nr_raw)
		qsort(d->raw, d->nr_raw, sizeof(*d->raw), cmp_raw);
	/*
	 * Every network adds at most two boundaries, so 2n + 1 ranges at most.
	 * Not zeroed: pages never written are never touched.
	 */
	d->ranges = reallocarray(NULL, 2 * d->nr_raw + 1, sizeof(*d->ranges));
	h.v = reallocarray(NULL, d->nr_raw + 1, sizeof(*h.v));
	if (!d->ranges || !h.v) {
		free(h.v);
		return -ENOMEM;
	}
	h.raw = d->raw;

	if (!sweep_nested(d, h.v))
		goto swept;
	d->nr_ranges = 0;
	i = 0;
	while (i < d->nr_raw || h.n) {
		const struct sg_pol_raw *top;
		sg_u128 end;

		if (!h.n)
			cur = d->raw[i].first;
		while (i < d->nr_raw && d->raw[i].first == cur)
			heap_push(&h, (uint32_t)i++);
		while (h.n && d->raw[h.v[0]].last < cur)
			heap_pop(&h);
		if (!h.n)
			continue;
		top = &d->raw[h.v[0]];
		end = top->last;
		if (i < d->nr_raw && d->raw[i].first - 1 < end)
			end = d->raw[i].first - 1;
		emit(d, cur, end, top);
		if (end == ~(sg_u128)0)
			break;
		cur = end + 1;
	}
swept:
	free(h.v);
	if (d->nr_ranges) {
		struct sg_range *r = reallocarray(d->ranges, d->nr_ranges, sizeof(*r));

		if (r)
			d->ranges = r;
	}

	/* The raw networks are no longer needed: give the memory back. */
	free(d->raw);
	d->raw = NULL;
	d->nr_raw = d->cap_raw = 0;
	d->finished = true;
	return 0;
}

size_t sg_data_nr_ranges(const struct sg_data *d)
{
	return d->nr_ranges;
}

const struct sg_range *sg_data_ranges(const struct sg_data *d)
{
	return d->ranges;
}

size_t sg_data_nr_sources(const struct sg_data *d)
{
	return d->nr_sources;
}

const struct sg_source_info *sg_data_source(const struct sg_data *d, unsigned int idx)
{
	return idx < d->nr_sources ? &d->sources[idx] : NULL;
}

const char *sg_data_label(const struct sg_data *d, unsigned int label)
{
	return label && label < d->nr_labels ? d->labels[label] : NULL;
}

int sg_data_find_label(const struct sg_data *d, const char *name)
{
	for (size_t i = 1; i < d->nr_labels; i++)
		if (!strcmp(d->labels[i], name))
			return (int)i;
	return -ENOENT;
}

bool sg_data_has_asn_info(const struct sg_data *d)
{
	return d->has_asn_info;
}

bool sg_data_has_asn(const struct sg_data *d, uint32_t asn)
{
	size_t lo = 0, hi = d->nr_asns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->asns[mid] == asn)
			return true;
		if (d->asns[mid] < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int sg_data_lookup(const struct sg_data *d, const struct in6_addr *addr, struct sg_lookup *ret)
{
	sg_u128 a = sg_addr_to_u128(addr);
	size_t lo = 0, hi = d->nr_ranges;
	const struct sg_range *r = NULL;

	if (!d->finished)
		return -EINVAL;
	/* Last range whose first address is <= a. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sg_addr_to_u128(&d->ranges[mid].first) <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && sg_addr_to_u128(&d->ranges[lo - 1].last) >= a)
		r = &d->ranges[lo - 1];

	memset(ret, 0, sizeof(*ret));
	ret->source = -1;
	if (!r)
		return 0;
	ret->cc[0] = r->cc[0];
	ret->cc[1] = r->cc[1];
	ret->asn = r->asn;
	ret->flags = r->flags;
	ret->source = r->source;
	ret->label_id = r->label;
	ret->label = sg_data_label(d, r->label);
	return 0;
}

int sg_addr_parse(const char *s, struct in6_addr *ret)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(ret, 0, sizeof(*ret));
		ret->s6_addr[10] = 0xff;
		ret->s6_addr[11] = 0xff;
		memcpy(&ret->s6_addr[12], &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, ret) == 1)
		return 0;
	return -EINVAL;
}

/* "a.b.c.d/n" or "x::/n" (or a bare address); IPv4 comes out mapped. */
int sg_prefix_parse(const char *s, size_t n, struct in6_addr *addr, uint8_t *len)
{
	char buf[64];
	const char *slash;
	unsigned long plen;
	bool v4;
	sg_u128 v, mask;
	char *end;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	slash = strchr(buf, '/');
	if (slash)
		buf[slash - buf] = 0;
	v4 = !strchr(buf, ':');
	if (sg_addr_parse(buf, addr))
		return -EINVAL;
	if (slash) {
		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || *end || plen > (v4 ? 32u : 128u))
			return -ERANGE;
	} else {
		plen = v4 ? 32 : 128;
	}
	if (v4)
		plen += 96;
	v = sg_addr_to_u128(addr);
	mask = plen ? ~(sg_u128)0 << (128 - plen) : 0;
	if (v & ~mask)
		return -EDOM;	/* host bits set */
	*len = (uint8_t)plen;
	return 0;
}

/* A new source @name of @kind, its record in *ret (filled by the loader). */
int sg_pol_data_begin_source(struct sg_data *d, enum sg_source_kind kind, const char *name,
			     struct sg_source_info **ret)
{
	struct sg_source_info *s;

	if (d->finished)
		return -EALREADY;
	if (d->nr_sources >= SG_MAX_DATA_SOURCES)
		return -E2BIG;
	s = &d->sources[d->nr_sources];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->path = strdup(name);
	if (!s->path)
		return -ENOMEM;
	d->nr_sources++;
	*ret = s;
	return 0;
}
