/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Addresses as 128-bit integers: IPv6 as is, IPv4 mapped (::ffff:a.b.c.d),
 * so ranges of both compare and sweep as one number line. Shared by the
 * daemon and the policy library (libc only).
 */
#ifndef SG_LIB_U128_H
#define SG_LIB_U128_H

#include <endian.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

typedef unsigned __int128 sg_u128;

/* The IPv4 part of the line: ::ffff:0.0.0.0 to ::ffff:255.255.255.255. */
#define SG_U128_V4_FIRST	((sg_u128)0xffff << 32)
#define SG_U128_V4_LAST		(SG_U128_V4_FIRST | 0xffffffffu)

static inline sg_u128 sg_addr_to_u128(const struct in6_addr *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a->s6_addr, 8);
	memcpy(&lo, a->s6_addr + 8, 8);
	return (sg_u128)be64toh(hi) << 64 | be64toh(lo);
}

static inline void sg_u128_to_addr(sg_u128 v, struct in6_addr *a)
{
	uint64_t hi = htobe64((uint64_t)(v >> 64)), lo = htobe64((uint64_t)v);

	memcpy(a->s6_addr, &hi, 8);
	memcpy(a->s6_addr + 8, &lo, 8);
}

#endif
