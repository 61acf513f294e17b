/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixtures for the policy library's tests and fuzz seeds: small libloc
 * databases written with libloc's own writer, small MMDB files encoded by
 * hand (format: MaxMind DB File Format Specification 2.0), rules parsed from
 * strings with their diagnostics captured.
 */
#ifndef SG_POLICY_FIXTURES_H
#define SG_POLICY_FIXTURES_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libloc/libloc.h>
#include <libloc/as.h>
#include <libloc/country.h>
#include <libloc/network.h>
#include <libloc/writer.h>
#include <arpa/inet.h>

#include "policy.h"

struct fx_net {
	const char *prefix;	/* "a.b.c.d/n" or "x::/n" (IPv6 in IPv6 MMDBs only) */
	const char *cc;		/* NULL: none */
	uint32_t asn;		/* 0: none */
	int anycast;
};

/*
 * libloc database with these networks and ASes, signed with the PEM private
 * key in key_file when there is one (then f must be open for reading too:
 * libloc signs what it reads back); 0 or negative errno.
 */
static inline int fx_write_libloc_signed(FILE *f, const struct fx_net *nets, size_t n,
					 const uint32_t *asns, size_t nr_asns, FILE *key_file)
{
	struct loc_ctx *ctx = NULL;
	struct loc_writer *w = NULL;
	int err = -EINVAL;

	if (loc_new(&ctx))
		return -ENOMEM;
	loc_set_log_priority(ctx, 0);
	if (loc_writer_new(ctx, &w, key_file, NULL))
		goto out;
	loc_writer_set_vendor(w, "sovguard tests");
	for (size_t i = 0; i < nr_asns; i++) {
		struct loc_as *as;

		if (loc_writer_add_as(w, &as, asns[i]))
			goto out;
		loc_as_set_name(as, "test AS");
		loc_as_unref(as);
	}
	for (size_t i = 0; i < n; i++) {
		struct loc_network *net;

		if (loc_writer_add_network(w, &net, nets[i].prefix))
			goto out;
		if (nets[i].cc)
			loc_network_set_country_code(net, nets[i].cc);
		if (nets[i].asn)
			loc_network_set_asn(net, nets[i].asn);
		if (nets[i].anycast)
			loc_network_set_flag(net, LOC_NETWORK_FLAG_ANYCAST);
		loc_network_unref(net);
	}
	err = loc_writer_write(w, f, LOC_DATABASE_VERSION_1) ? -EIO : 0;
	fflush(f);
out:
	if (w)
		loc_writer_unref(w);
	loc_unref(ctx);
	return err;
}

static inline int fx_write_libloc(FILE *f, const struct fx_net *nets, size_t n,
				  const uint32_t *asns, size_t nr_asns)
{
	return fx_write_libloc_signed(f, nets, n, asns, nr_asns, NULL);
}

/* Options for test data, which carries no signature. */
static const struct sg_load_opts fx_unsigned_ok = { .unsigned_data = SG_UNSIGNED_ALLOW };

/* ---------------------------------------------------------------------------
 * MMDB, IPv4 tree, 24-bit records.
 */

struct fx_buf {
	uint8_t *p;
	size_t n, cap;
};

static inline void fx_put(struct fx_buf *b, const void *v, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->n, v, n);
	b->n += n;
}

static inline void fx_byte(struct fx_buf *b, uint8_t v)
{
	fx_put(b, &v, 1);
}

static inline void fx_str(struct fx_buf *b, const char *s)
{
	fx_byte(b, (uint8_t)(2 << 5 | strlen(s)));
	fx_put(b, s, strlen(s));
}

/* type: 5 uint16, 6 uint32, 9 uint64 (extended) */
static inline void fx_uint(struct fx_buf *b, int type, uint64_t v)
{
	uint8_t bytes[8];
	int n = 0;

	for (uint64_t t = v; t; t >>= 8)
		n++;
	for (int i = 0; i < n; i++)
		bytes[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	if (type > 7) {
		fx_byte(b, (uint8_t)n);
		fx_byte(b, (uint8_t)(type - 7));
	} else {
		fx_byte(b, (uint8_t)(type << 5 | n));
	}
	fx_put(b, bytes, (size_t)n);
}

static inline void fx_map(struct fx_buf *b, int n)
{
	fx_byte(b, (uint8_t)(7 << 5 | n));
}

struct fx_node {
	uint32_t rec[2];	/* node index, or FX_EMPTY, or FX_DATA + offset */
};

#define FX_EMPTY	0x80000000u
#define FX_DATA		0x40000000u
#define FX_MAX_NODES	4096

static inline int fx_bit(const uint8_t *a, unsigned int i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

/* Walks to the record for (a, len), creating nodes; returns its address. */
static inline uint32_t *fx_record(struct fx_node *node, uint32_t *nr_nodes, const uint8_t *a,
				  unsigned int len)
{
	uint32_t cur = 0;

	for (unsigned int depth = 0;; depth++) {
		int bit = fx_bit(a, depth);
		uint32_t r = node[cur].rec[bit];

		if (depth == len - 1)
			return &node[cur].rec[bit];
		if (r & FX_EMPTY || r & FX_DATA) {
			if (*nr_nodes >= FX_MAX_NODES)
				return NULL;
			node[*nr_nodes].rec[0] = node[*nr_nodes].rec[1] = r;
			node[cur].rec[bit] = *nr_nodes;
			r = (*nr_nodes)++;
		}
		cur = r;
	}
}

/*
 * MMDB image of nets; ip_version 4 or 6. An IPv6 tree holds IPv4 at ::/96
 * and, as MaxMind's files do, aliases ::ffff:0:0/96 to the same subtree.
 */
static inline int fx_build_mmdb_v(struct fx_buf *out, const struct fx_net *nets, size_t n,
				  uint64_t build_epoch, int ip_version)
{
	static struct fx_node node[FX_MAX_NODES];
	struct fx_buf data = { 0 };
	uint32_t nr_nodes = 1;
	int order[64];

	if (n > 64)
		return -E2BIG;
	/* Shorter prefixes first, so longer ones split their records. */
	for (size_t i = 0; i < n; i++)
		order[i] = (int)i;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			unsigned int li = atoi(strchr(nets[order[i]].prefix, '/') + 1);
			unsigned int lj = atoi(strchr(nets[order[j]].prefix, '/') + 1);

			if (lj < li) {
				int t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
		}
	node[0].rec[0] = node[0].rec[1] = FX_EMPTY;
	for (size_t k = 0; k < n; k++) {
		const struct fx_net *x = &nets[order[k]];
		uint32_t off = (uint32_t)data.n, *rec;
		int fields = !!x->cc + !!x->asn + !!x->anycast;
		uint8_t a[16] = { 0 };
		char addr[64];
		const char *slash = strchr(x->prefix, '/');
		unsigned int len = (unsigned int)atoi(slash + 1);

		snprintf(addr, sizeof(addr), "%.*s", (int)(slash - x->prefix), x->prefix);
		if (strchr(addr, ':')) {
			if (ip_version != 6 || inet_pton(AF_INET6, addr, a) != 1)
				return -EINVAL;
		} else {
			if (inet_pton(AF_INET, addr, ip_version == 6 ? a + 12 : a) != 1)
				return -EINVAL;
			if (ip_version == 6)
				len += 96;
		}
		if (!len || len > (ip_version == 6 ? 128u : 32u))
			return -EINVAL;
		fx_map(&data, fields);
		if (x->cc) {
			fx_str(&data, "country");
			fx_map(&data, 1);
			fx_str(&data, "iso_code");
			fx_str(&data, x->cc);
		}
		if (x->asn) {
			fx_str(&data, "autonomous_system_number");
			fx_uint(&data, 6, x->asn);
		}
		if (x->anycast) {
			fx_str(&data, "traits");
			fx_map(&data, 1);
			fx_str(&data, "is_anycast");
			fx_byte(&data, 1);	/* boolean true: extended type 14 */
			fx_byte(&data, 14 - 7);
		}
		rec = fx_record(node, &nr_nodes, a, len);
		if (!rec)
			return -E2BIG;
		*rec = FX_DATA | off;
	}
	if (ip_version == 6) {
		static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff };
		uint32_t v4 = 0, *rec;

		for (unsigned int i = 0; i < 96 && !(v4 & (FX_EMPTY | FX_DATA)); i++)
			v4 = node[v4].rec[0];
		if (!(v4 & (FX_EMPTY | FX_DATA))) {
			rec = fx_record(node, &nr_nodes, mapped, 96);
			if (!rec)
				return -E2BIG;
			*rec = v4;
		}
	}
	for (uint32_t i = 0; i < nr_nodes; i++) {
		for (int s = 0; s < 2; s++) {
			uint32_t r = node[i].rec[s], v;

			if (r & FX_EMPTY)
				v = nr_nodes;
			else if (r & FX_DATA)
				v = nr_nodes + 16 + (r & ~FX_DATA);
			else
				v = r;
			fx_byte(out, (uint8_t)(v >> 16));
			fx_byte(out, (uint8_t)(v >> 8));
			fx_byte(out, (uint8_t)v);
		}
	}
	for (int i = 0; i < 16; i++)
		fx_byte(out, 0);
	fx_put(out, data.p, data.n);
	free(data.p);
	fx_put(out, "\xab\xcd\xefMaxMind.com", 14);
	fx_map(out, 9);
	fx_str(out, "binary_format_major_version");
	fx_uint(out, 5, 2);
	fx_str(out, "binary_format_minor_version");
	fx_uint(out, 5, 0);
	fx_str(out, "build_epoch");
	fx_uint(out, 9, build_epoch);
	fx_str(out, "database_type");
	fx_str(out, "sovguard-test");
	fx_str(out, "description");
	fx_map(out, 0);
	fx_str(out, "ip_version");
	fx_uint(out, 5, (uint64_t)ip_version);
	fx_str(out, "languages");
	fx_byte(out, 0);	/* empty array: extended type 11 */
	fx_byte(out, 11 - 7);
	fx_str(out, "node_count");
	fx_uint(out, 6, nr_nodes);
	fx_str(out, "record_size");
	fx_uint(out, 5, 24);
	return 0;
}

static inline int fx_build_mmdb(struct fx_buf *out, const struct fx_net *nets, size_t n,
				uint64_t build_epoch)
{
	return fx_build_mmdb_v(out, nets, n, build_epoch, 4);
}

/* ---------------------------------------------------------------------------
 * Rules from strings
 */

/* Data from a CIDR list; NULL on failure. */
static inline struct sg_data *fx_data_cidr(const char *text)
{
	struct sg_data *d;

	if (sg_data_new(&d))
		return NULL;
	if (sg_data_load_buffer(d, "test.cidr", text, strlen(text), &fx_unsigned_ok, stderr) ||
	    sg_data_finish(d)) {
		sg_data_free(d);
		return NULL;
	}
	return d;
}

/*
 * Parse text as file "t.rules"; *diag gets every diagnostic (caller frees).
 * Return: the parser's result.
 */
static inline int fx_parse(const struct sg_data *data, const char *text, struct sg_policy **pol,
			   char **diag)
{
	struct sg_parser *p;
	size_t dlen;
	FILE *f = open_memstream(diag, &dlen);
	int err;

	*pol = NULL;
	if (!f)
		return -ENOMEM;
	err = sg_parser_new(data, f, &p);
	if (!err) {
		sg_parser_add_buffer(p, "t.rules", text, strlen(text));
		err = sg_parser_finish(p, pol);
		sg_parser_free(p);
	}
	fclose(f);
	return err;
}

#endif
