// SPDX-License-Identifier: GPL-2.0
/*
 * DNS-less connection: a connection to a public destination that no DNS
 * answer seen before it named (within dnsless.max_age), per (subject,
 * destination). DNS itself (port 53 and 853) is left out: resolvers are
 * configured by address.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "internal.h"

struct pair {
	struct sg_lru_node node;
	__u64 conns;
	__u64 bytes_out, bytes_in;
	double first, last;
	__u16 dport;
	bool alerted;
	bool scored;
};

struct sg_dnsless {
	struct sg_lru t;
};

int sg_dnsless_new(struct sg_detect *d)
{
	struct sg_dnsless *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	d->dnsless = x;
	return sg_lru_init(&x->t, d->cfg.max_series, sizeof(struct pair), NULL, d);
}

void sg_dnsless_free(struct sg_detect *d)
{
	if (!d->dnsless)
		return;
	sg_lru_destroy(&d->dnsless->t);
	free(d->dnsless);
	d->dnsless = NULL;
}

/* Heap bytes held, for sg_detect_get_stats(). */
size_t sg_dnsless_bytes(const struct sg_detect *d)
{
	return d->dnsless ? sizeof(*d->dnsless) + d->dnsless->t.bytes : 0;
}

void sg_dnsless_prefetch(const struct sg_detect *d, const struct sg_lru_key *k, bool entry)
{
	if (entry)
		sg_lru_prefetch_entry(&d->dnsless->t, k);
	else
		sg_lru_prefetch(&d->dnsless->t, k);
}

int sg_dnsless_conn(struct sg_detect *d, const struct sg_conn_ctx *c)
{
	const struct sg_obs *o = c->o;
	const char *subject = o->subject ? o->subject : c->src;
	struct pair *p;
	bool created;

	if (c->end) {
		p = NULL;
		if ((*c->took & SG_TOOK_DNSLESS) && c->key.len)
			p = (struct pair *)sg_lru_get_key(&d->dnsless->t, &c->key, false, NULL);
		if (p) {
			p->bytes_out += o->bytes_out;
			p->bytes_in += o->bytes_in;
		}
		return 0;
	}
	if (o->dir == SG_DIR_IN || o->failed || !c->dst_public || o->dport == 53 || o->dport == 853)
		return 0;
	if (c->name && c->name_first <= o->ts + SG_DETECT_REORDER_S &&
	    c->name_age <= d->cfg.dnsless.max_age)
		return 0;
	if (sg_detect_allowed(d, SG_HEUR_DNSLESS, &o->src, subject, &o->dst, NULL))
		return 0;
	if (!c->key.len)
		return 0;
	p = (struct pair *)sg_lru_get_key(&d->dnsless->t, &c->key, true, &created);
	if (!p)
		return -ENOMEM;
	d->st.evicted[SG_HEUR_DNSLESS] = d->dnsless->t.evictions;
	d->st.entries[SG_HEUR_DNSLESS] = d->dnsless->t.n;
	if (created) {
		p->first = p->last = o->ts;
		p->dport = o->dport;
	}
	*c->took |= SG_TOOK_DNSLESS;
	p->conns++;
	p->bytes_out += o->bytes_out;
	p->bytes_in += o->bytes_in;
	if (o->ts < p->first)
		p->first = o->ts;
	if (o->ts > p->last)
		p->last = o->ts;
	return 0;
}

void sg_dnsless_flush(struct sg_detect *d, double now)
{
	struct sg_lru_node *pos, *tmp;
	char src[SG_DETECT_NAME_MAX], dst[SG_DETECT_NAME_MAX];

	while ((pos = sg_lru_oldest(&d->dnsless->t)) &&
	       ((struct pair *)pos)->last < now - d->cfg.window)
		sg_lru_remove(&d->dnsless->t, pos);
	sg_lru_for_each_used_safe(&d->dnsless->t, pos, tmp) {
		struct pair *p = (struct pair *)pos;
		struct json_object *ev;
		unsigned int score;

		if (!p->scored) {
			p->scored = true;
			d->st.candidates[SG_HEUR_DNSLESS]++;
		}
		if (p->alerted || p->conns < d->cfg.dnsless.min_conns)
			continue;
		/* 50 for one connection, +10 per doubling. */
		score = (unsigned int)lround(50 + 10 * log2((double)p->conns));
		if (score > 100)
			score = 100;
		if (score < d->cfg.min_score[SG_HEUR_DNSLESS])
			continue;
		p->alerted = true;
		sg_key_split(pos->key, src, sizeof(src), dst, sizeof(dst));
		ev = json_object_new_object();
		json_object_object_add(ev, "conns", json_object_new_int64((int64_t)p->conns));
		json_object_object_add(ev, "dport", json_object_new_int(p->dport));
		json_object_object_add(ev, "bytes_out", json_object_new_int64((int64_t)p->bytes_out));
		json_object_object_add(ev, "bytes_in", json_object_new_int64((int64_t)p->bytes_in));
		sg_detect_emit(d, SG_HEUR_DNSLESS, score, src, dst, p->first, p->last, ev);
		json_object_put(ev);
	}
	sg_lru_next_gen(&d->dnsless->t);
	d->st.entries[SG_HEUR_DNSLESS] = d->dnsless->t.n;
}
