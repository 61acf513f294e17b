// SPDX-License-Identifier: GPL-2.0
/*
 * The bounded table (daemon/detect/lru.c): at the cap the least recently
 * used entry is evicted, a used one outlives the unused ones, and the
 * evicted entry's memory takes the new entry when the key fits, cleared.
 */
#include <stdio.h>

#include "kselftest_harness.h"
#include "internal.h"

struct ent {
	struct sg_lru_node node;
	double last;
};

static struct ent *use(struct sg_lru *t, const char *key, double last)
{
	struct ent *e = (struct ent *)sg_lru_get(t, key, true, NULL);

	if (e)
		e->last = last;
	return e;
}

static void fill(struct sg_lru *t, int n, double last)
{
	char key[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		use(t, key, last);
	}
}

FIXTURE(lru) {
	struct sg_lru t;
};

FIXTURE_SETUP(lru)
{
	memset(&self->t, 0, sizeof(self->t));
}

FIXTURE_TEARDOWN(lru)
{
	sg_lru_destroy(&self->t);
}

TEST_F(lru, used_entry_outlives_unused_ones)
{
	ASSERT_EQ(0, sg_lru_init(&self->t, 4, sizeof(struct ent), NULL, NULL));
	fill(&self->t, 4, 1);			/* k3 k2 k1 k0 */
	use(&self->t, "k0", 2);			/* the LRU end: to the front */
	use(&self->t, "new", 3);		/* evicts k1 */
	EXPECT_EQ(1, self->t.evictions);
	EXPECT_NE(NULL, sg_lru_find(&self->t, "k0"));
	EXPECT_EQ(NULL, sg_lru_find(&self->t, "k1"));
	EXPECT_NE(NULL, sg_lru_find(&self->t, "k2"));
	EXPECT_EQ(self->t.head.prev, sg_lru_find(&self->t, "k2"));
}

TEST_F(lru, evicted_memory_takes_the_new_entry)
{
	struct sg_lru_node *old;
	size_t bytes;
	struct ent *e;

	ASSERT_EQ(0, sg_lru_init(&self->t, 2, sizeof(struct ent), NULL, NULL));
	use(&self->t, "aaaa", 7);
	use(&self->t, "bb", 7);
	bytes = self->t.bytes;
	old = self->t.head.prev;		/* aaaa */
	e = (struct ent *)sg_lru_get(&self->t, "cc", true, NULL); /* fits: aaaa's memory */
	ASSERT_NE(NULL, e);
	EXPECT_EQ(old, &e->node);
	EXPECT_STREQ("cc", e->node.key);
	EXPECT_EQ(0, e->last);			/* cleared, as calloc() would */
	EXPECT_EQ(bytes - 2, self->t.bytes);	/* accounted by the key it holds */
	EXPECT_EQ(NULL, sg_lru_find(&self->t, "aaaa"));
	e = use(&self->t, "dddddddd", 0);	/* bb's memory is too short */
	ASSERT_NE(NULL, e);
	EXPECT_STREQ("dddddddd", e->node.key);
	EXPECT_EQ(2, self->t.n);
	EXPECT_EQ(2, self->t.evictions);
}

TEST_HARNESS_MAIN
