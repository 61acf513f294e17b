/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the engine's unit suites share (test_heur.c, test_proc.c,
 * test_conn_end.c): a sink that keeps the alerts an engine hands on, an
 * engine started with it, and IPv4 addresses as the engine keys them.
 * Header-only: each suite is one translation unit.
 */
#ifndef SG_DET_TEST_H
#define SG_DET_TEST_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "internal.h"

#define SG_TEST_ALERTS_MAX	256

/* The alerts seen, in order; those past SG_TEST_ALERTS_MAX are counted in lost. */
struct sg_test_alerts {
	unsigned int n, lost;
	struct {
		enum sg_heur h;
		unsigned int score;
		__u64 repeats;
		__u32 pid;
		char src[128], dst[SG_DETECT_NAME_MAX], exe[128];
		char ev[2048];			/* the evidence's JSON text */
		struct json_object *evidence;	/* a reference, put by sg_test_engine_free() */
	} a[SG_TEST_ALERTS_MAX];
};

static inline void sg_test_collect(void *ctx, const struct sg_alert *al)
{
	struct sg_test_alerts *s = ctx;

	if (s->n >= SG_TEST_ALERTS_MAX) {
		s->lost++;
		return;
	}
	s->a[s->n].h = al->heur;
	s->a[s->n].score = al->score;
	s->a[s->n].repeats = al->repeats;
	s->a[s->n].pid = al->pid;
	snprintf(s->a[s->n].src, sizeof(s->a[0].src), "%s", al->src);
	snprintf(s->a[s->n].dst, sizeof(s->a[0].dst), "%s", al->dst);
	snprintf(s->a[s->n].exe, sizeof(s->a[0].exe), "%s", al->exe ? al->exe : "");
	snprintf(s->a[s->n].ev, sizeof(s->a[0].ev), "%s",
		 json_object_to_json_string_ext(al->evidence, SG_JSON_LINE));
	s->a[s->n].evidence = json_object_get(al->evidence);
	s->n++;
}

/* Drop what @s holds and start it empty. */
static inline void sg_test_alerts_clear(struct sg_test_alerts *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		json_object_put(s->a[i].evidence);
	memset(s, 0, sizeof(*s));
}

/* A new engine of @cfg whose alerts go to @s (*d freed first). Return: sg_detect_new()'s. */
static inline int sg_test_engine_start(const struct sg_detect_config *cfg,
				       struct sg_test_alerts *s, struct sg_detect **d)
{
	struct sg_detect_sink sink = { sg_test_collect, s };

	sg_detect_free(*d);
	*d = NULL;
	return sg_detect_new(cfg, &sink, d);
}

static inline void sg_test_engine_free(struct sg_test_alerts *s, struct sg_detect **d)
{
	sg_detect_free(*d);
	*d = NULL;
	sg_test_alerts_clear(s);
}

/* Alerts of @h (to @dst, unless NULL). */
static inline int sg_test_count(const struct sg_test_alerts *s, enum sg_heur h, const char *dst)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < s->n; i++)
		if (s->a[i].h == h && (!dst || !strcmp(s->a[i].dst, dst)))
			n++;
	return n;
}

/* IPv4 text as the engine keys it: v4-mapped. */
static inline void sg_test_addr(struct in6_addr *a, const char *s)
{
	struct in_addr a4;

	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	inet_pton(AF_INET, s, &a4);
	memcpy(&a->s6_addr[12], &a4, 4);
}

#endif
