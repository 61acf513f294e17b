// SPDX-License-Identifier: GPL-2.0
/* Bounded hash table with least-recently-used eviction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Eight bytes a step, each word folded in by a multiply, the whole mixed
 * at the end (murmur3's finaliser): every observation hashes several keys,
 * and FNV's byte-a-step loop was the engine's largest cost. Hashes are only
 * ever kept in memory.
 */
static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

uint64_t sg_hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xc2b2ae3d27d4eb4fULL;
		h ^= h >> 32;
	}
	for (w = 0; i < len; i++)	/* the last 0-7 bytes */
		w = (w << 8) | (unsigned char)s[i];
	h ^= mix64(w ^ 0x165667b19e3779f9ULL);
	return mix64(h);
}

int sg_lru_init(struct sg_lru *t, size_t cap, size_t entry_size,
		void (*release)(struct sg_lru *t, struct sg_lru_node *n), void *ctx)
{
	size_t nb = 64;

	if (!cap)
		return -EINVAL;
	/* load factor at most 1/2 */
	while (nb < 2 * cap && nb < ((size_t)1 << 25))
		nb <<= 1;
	memset(t, 0, sizeof(*t));
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->nbuckets = nb;
	t->bytes = nb * sizeof(*t->buckets);
	t->cap = cap;
	t->entry_size = entry_size;
	t->head.next = t->head.prev = &t->head;
	t->release = release;
	t->ctx = ctx;
	return 0;
}

static void unlink_node(struct sg_lru *t, struct sg_lru_node *n)
{
	struct sg_lru_node **pp = &t->buckets[n->hash & (t->nbuckets - 1)];

	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	t->n--;
}

/* Unlink and release n, keeping its memory: the caller frees or reuses it. */
static size_t detach(struct sg_lru *t, struct sg_lru_node *n)
{
	size_t len = strlen(n->key);

	unlink_node(t, n);
	if (t->release)
		t->release(t, n);
	t->bytes -= t->entry_size + len + 1;
	return len;
}

void sg_lru_remove(struct sg_lru *t, struct sg_lru_node *n)
{
	detach(t, n);
	free(n);
}

void sg_lru_destroy(struct sg_lru *t)
{
	struct sg_lru_node *pos, *tmp;

	if (!t->buckets)
		return;
	sg_lru_for_each_safe(t, pos, tmp)
		sg_lru_remove(t, pos);
	free(t->buckets);
	t->buckets = NULL;
}

struct sg_lru_node *sg_lru_oldest(struct sg_lru *t)
{
	return t->head.prev == &t->head ? NULL : t->head.prev;
}

static void to_front(struct sg_lru *t, struct sg_lru_node *n)
{
	if (t->head.next == n)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = t->head.next;
	n->prev = &t->head;
	t->head.next->prev = n;
	t->head.next = n;
}

static struct sg_lru_node *lookup(struct sg_lru *t, const char *key, size_t len, uint64_t h)
{
	struct sg_lru_node *n;

	for (n = t->buckets[h & (t->nbuckets - 1)]; n; n = n->hnext)
		if (n->hash == h && !strcmp(n->key, key))
			return n;
	return NULL;
}

struct sg_lru_node *sg_lru_find(struct sg_lru *t, const char *key)
{
	size_t len = strlen(key);

	return lookup(t, key, len, sg_hash(key, len));
}

struct sg_lru_node *sg_lru_find_key(struct sg_lru *t, const struct sg_lru_key *k)
{
	return lookup(t, k->s, k->len, k->hash);
}

void sg_lru_prefetch(const struct sg_lru *t, const struct sg_lru_key *k)
{
	__builtin_prefetch(&t->buckets[k->hash & (t->nbuckets - 1)]);
}

void sg_lru_prefetch_entry(const struct sg_lru *t, const struct sg_lru_key *k)
{
	const struct sg_lru_node *n = t->buckets[k->hash & (t->nbuckets - 1)];

	if (n) {
		__builtin_prefetch(n);
		/* its key follows the entry, a line or more further on */
		__builtin_prefetch((const char *)n + t->entry_size);
	}
}

static struct sg_lru_node *get(struct sg_lru *t, const char *key, size_t len, uint64_t h,
			       bool create, bool *created)
{
	struct sg_lru_node *n = lookup(t, key, len, h);
	char *k;

	if (created)
		*created = false;
	if (n) {
		to_front(t, n);
		n->gen = t->gen;
		return n;
	}
	if (!create)
		return NULL;
	if (t->n >= t->cap) {
		/*
		 * At the cap every new entry evicts one: its memory takes the
		 * new entry when the key fits (keys are a few bytes apart), a
		 * free() and a calloc() fewer per new entry.
		 */
		n = t->head.prev;
		t->evictions++;
		if (detach(t, n) >= len) {
			memset(n, 0, t->entry_size);
		} else {
			free(n);
			n = NULL;
		}
	}
	if (!n)
		n = calloc(1, t->entry_size + len + 1);
	if (!n)
		return NULL;
	t->bytes += t->entry_size + len + 1;
	k = (char *)n + t->entry_size;
	memcpy(k, key, len + 1);
	n->key = k;
	n->hash = h;
	n->gen = t->gen;
	n->hnext = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = n;
	n->next = t->head.next;
	n->prev = &t->head;
	t->head.next->prev = n;
	t->head.next = n;
	t->n++;
	if (created)
		*created = true;
	return n;
}

struct sg_lru_node *sg_lru_get(struct sg_lru *t, const char *key, bool create, bool *created)
{
	size_t len = strlen(key);

	return get(t, key, len, sg_hash(key, len), create, created);
}

struct sg_lru_node *sg_lru_get_key(struct sg_lru *t, const struct sg_lru_key *k, bool create,
				   bool *created)
{
	return get(t, k->s, k->len, k->hash, create, created);
}

int sg_lru_key_make(struct sg_lru_key *k, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;

	k->len = 0;
	k->hash = 0;
	if (la + lb + 2 > sizeof(k->s))
		return -ENAMETOOLONG;
	memcpy(k->s, a, la);
	if (b) {
		k->s[la++] = SG_KEY_SEP;
		memcpy(k->s + la, b, lb);
	}
	k->s[la + lb] = '\0';
	k->len = la + lb;
	k->hash = sg_hash(k->s, k->len);
	return 0;
}

int sg_key_make(char *buf, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + lb + 2 > len)
		return -ENAMETOOLONG;
	memcpy(buf, a, la);
	buf[la] = SG_KEY_SEP;
	memcpy(buf + la + 1, b, lb + 1);
	return 0;
}

void sg_key_split(const char *key, char *a, size_t alen, char *b, size_t blen)
{
	const char *sep = strchr(key, SG_KEY_SEP);
	size_t la = sep ? (size_t)(sep - key) : strlen(key);

	if (la >= alen)
		la = alen - 1;
	memcpy(a, key, la);
	a[la] = 0;
	snprintf(b, blen, "%s", sep ? sep + 1 : "");
}
