// SPDX-License-Identifier: GPL-2.0
/* Bump allocator: everything a policy points to is freed in one go. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SG_POL_CHUNK_SIZE	(64u << 10)

struct sg_pol_chunk {
	struct sg_pol_chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *sg_pol_arena_alloc(struct sg_pol_arena *a, size_t size)
{
	struct sg_pol_chunk *c = a->head;
	size_t align = sizeof(max_align_t);
	void *p;

	size = (size + align - 1) & ~(align - 1);
	if (!c || c->size - c->used < size) {
		size_t csize = size > SG_POL_CHUNK_SIZE ? size : SG_POL_CHUNK_SIZE;

		c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->size = csize;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *sg_pol_arena_strndup(struct sg_pol_arena *a, const char *s, size_t n)
{
	char *d = sg_pol_arena_alloc(a, n + 1);

	if (d)
		memcpy(d, s, n);
	return d;
}

char *sg_pol_arena_printf(struct sg_pol_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *d;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	d = sg_pol_arena_alloc(a, (size_t)n + 1);
	if (!d)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return d;
}

void sg_pol_arena_free(struct sg_pol_arena *a)
{
	while (a->head) {
		struct sg_pol_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}
