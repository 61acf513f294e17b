/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Growable arrays and sorted tables of plain values, shared by the daemon
 * and the policy library (libc only).
 */
#ifndef SG_LIB_ARRAY_H
#define SG_LIB_ARRAY_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define SG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * sg_grow() - room for @need elements of @elem bytes in *@arr.
 * *@cap doubles (from 64) until it holds @need; *@arr is kept on failure.
 *
 * Return: 0 or -ENOMEM.
 */
static inline int sg_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	n = reallocarray(*arr, ncap, elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* qsort() and bsearch() order of uint32_t (and __u32) values. */
static inline int sg_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

#endif
