/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the policy library. */
#ifndef SG_POLICY_INTERNAL_H
#define SG_POLICY_INTERNAL_H

#include <endian.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "../lib/array.h"
#include "../lib/cleanup.h"
#include "../lib/u128.h"

/* Bump allocator: a policy is freed in one go. */
struct sg_pol_arena {
	struct sg_pol_chunk *head;
};

void *sg_pol_arena_alloc(struct sg_pol_arena *a, size_t size);
char *sg_pol_arena_strndup(struct sg_pol_arena *a, const char *s, size_t n);
char *sg_pol_arena_printf(struct sg_pol_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sg_pol_arena_free(struct sg_pol_arena *a);

/* A decimal number <= @max, nothing else (no sign, no space): 0, -EINVAL
 * for anything but digits, -ERANGE above @max (text.c). */
int sg_pol_parse_uint(const char *s, unsigned long long max, unsigned long long *ret);

/* Built-in zones (zones.c). */
struct sg_pol_builtin_zone {
	const char *name;
	const char *members;	/* space-separated lower-case ISO codes */
	const char *as_of;	/* date the membership was checked */
};

extern const struct sg_pol_builtin_zone sg_pol_builtin_zones[];
extern const size_t sg_pol_nr_builtin_zones;

/* Data loaders: append raw networks, before the sweep. */
struct sg_pol_raw {
	sg_u128 first, last;
	uint32_t asn;
	char cc[2];
	uint8_t flags;
	uint8_t source;
	uint16_t label;
	uint32_t seq;		/* input order, breaks ties */
};

int sg_pol_data_begin_source(struct sg_data *d, enum sg_source_kind kind, const char *name,
			     struct sg_source_info **ret);
int sg_pol_data_reserve(struct sg_data *d, size_t n);
int sg_pol_data_add(struct sg_data *d, sg_u128 first, sg_u128 last, const char *cc, uint32_t asn,
		 uint8_t flags, uint16_t label);
int sg_pol_data_add_asn(struct sg_data *d, uint32_t asn);
int sg_pol_data_intern_label(struct sg_data *d, const char *name, size_t len);
void sg_pol_data_set_has_asn_info(struct sg_data *d);

int sg_pol_load_libloc(struct sg_data *d, const char *name, const char *buf, size_t len, FILE *f,
		       const struct sg_load_opts *opts, time_t *created, enum sg_sig_state *sig,
		       FILE *diag);
int sg_pol_load_mmdb(struct sg_data *d, const char *name, const char *path, time_t *created,
		  FILE *diag);
int sg_pol_load_tor(struct sg_data *d, const char *name, const char *buf, size_t len, FILE *diag);
int sg_pol_load_cidr(struct sg_data *d, const char *name, const char *buf, size_t len, FILE *diag);


#endif
