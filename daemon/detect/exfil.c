// SPDX-License-Identifier: GPL-2.0
/*
 * Exfiltration volume: bytes out far above bytes in, per (subject,
 * destination) and per (subject, jurisdiction), summed over the window in
 * SG_EXFIL_BUCKETS slices so that old traffic leaves the sum.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "internal.h"

#define SG_EXFIL_BUCKETS 24

struct flow {
	struct sg_lru_node node;
	__u64 out[SG_EXFIL_BUCKETS], in[SG_EXFIL_BUCKETS];
	long long slot[SG_EXFIL_BUCKETS];	/* which window slice a bucket holds */
	__u64 conns;
	double first, last, last_alert;
	bool scored;
	bool juris;
};

struct sg_exfil {
	struct sg_lru t;
};

int sg_exfil_new(struct sg_detect *d)
{
	struct sg_exfil *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	d->exfil = x;
	return sg_lru_init(&x->t, d->cfg.max_series, sizeof(struct flow), NULL, d);
}

void sg_exfil_free(struct sg_detect *d)
{
	if (!d->exfil)
		return;
	sg_lru_destroy(&d->exfil->t);
	free(d->exfil);
	d->exfil = NULL;
}

/* Heap bytes held, for sg_detect_get_stats(). */
size_t sg_exfil_bytes(const struct sg_detect *d)
{
	return d->exfil ? sizeof(*d->exfil) + d->exfil->t.bytes : 0;
}

static long long slot_of(const struct sg_detect *d, double ts)
{
	return (long long)floor(ts / (d->cfg.window / SG_EXFIL_BUCKETS));
}

/* count: a connection; else the bytes of one counted before. */
static int add(struct sg_detect *d, const struct sg_lru_key *key, bool juris,
	       const struct sg_obs *o, bool count)
{
	long long sl = slot_of(d, o->ts);
	struct flow *f;
	bool created;
	int i = (int)(((sl % SG_EXFIL_BUCKETS) + SG_EXFIL_BUCKETS) % SG_EXFIL_BUCKETS);

	f = (struct flow *)sg_lru_get_key(&d->exfil->t, key, true, &created);
	if (!f)
		return -ENOMEM;
	d->st.evicted[SG_HEUR_EXFIL] = d->exfil->t.evictions;
	d->st.entries[SG_HEUR_EXFIL] = d->exfil->t.n;
	if (created) {
		f->first = o->ts;
		f->last_alert = -1;
		f->juris = juris;
		for (i = 0; i < SG_EXFIL_BUCKETS; i++)
			f->slot[i] = LLONG_MIN;
		i = (int)(((sl % SG_EXFIL_BUCKETS) + SG_EXFIL_BUCKETS) % SG_EXFIL_BUCKETS);
	}
	if (f->slot[i] != sl) {
		if (f->slot[i] > sl) {	/* older than the window this bucket holds */
			d->st.stale++;
			return 0;
		}
		f->slot[i] = sl;
		f->out[i] = f->in[i] = 0;
	}
	f->out[i] += o->bytes_out;
	f->in[i] += o->bytes_in;
	f->conns += count;
	if (o->ts < f->first)
		f->first = o->ts;
	if (o->ts > f->last)
		f->last = o->ts;
	return 0;
}

void sg_exfil_prefetch(const struct sg_detect *d, const struct sg_lru_key *k, bool entry)
{
	if (entry)
		sg_lru_prefetch_entry(&d->exfil->t, k);
	else
		sg_lru_prefetch(&d->exfil->t, k);
}

int sg_exfil_conn(struct sg_detect *d, const struct sg_conn_ctx *c)
{
	const struct sg_obs *o = c->o;
	const char *subject = o->subject ? o->subject : c->src;
	char j[SG_DETECT_NAME_MAX];
	struct sg_lru_key key;
	int r;

	if (c->end && !(*c->took & SG_TOOK_EXFIL))
		return 0;
	if (!c->end && (o->dir == SG_DIR_IN || o->failed || !c->dst_public ||
			sg_detect_allowed(d, SG_HEUR_EXFIL, &o->src, subject, &o->dst, c->name)))
		return 0;
	if (!c->key.len)
		return 0;
	r = add(d, &c->key, false, o, !c->end);
	if (r)
		return r;
	*c->took |= SG_TOOK_EXFIL;
	if (!o->juris || !*o->juris)
		return 0;
	snprintf(j, sizeof(j), "jurisdiction:%s", o->juris);
	if (sg_lru_key_make(&key, subject, j))
		return 0;
	return add(d, &key, true, o, !c->end);
}

/* Score 0-100: 50 at both thresholds, +25 each at 16x the threshold. */
static unsigned int score_of(const struct sg_exfil_config *xc, __u64 out, double ratio)
{
	double vol = sg_clamp01(log2((double)out / xc->min_bytes) / 4);
	double rat = sg_clamp01(log2(ratio / xc->min_ratio) / 4);

	return (unsigned int)lround(100 * (0.5 + 0.25 * vol + 0.25 * rat));
}

void sg_exfil_flush(struct sg_detect *d, double now)
{
	const struct sg_exfil_config *xc = &d->cfg.exfil;
	long long cur = slot_of(d, now);
	struct sg_lru_node *pos, *tmp;
	char src[SG_DETECT_NAME_MAX], dst[SG_DETECT_NAME_MAX];

	while ((pos = sg_lru_oldest(&d->exfil->t)) &&
	       ((struct flow *)pos)->last < now - d->cfg.window)
		sg_lru_remove(&d->exfil->t, pos);
	sg_lru_for_each_used_safe(&d->exfil->t, pos, tmp) {
		struct flow *f = (struct flow *)pos;
		struct json_object *ev;
		__u64 out = 0, in = 0;
		unsigned int score;
		double ratio;
		int i;

		for (i = 0; i < SG_EXFIL_BUCKETS; i++) {
			if (f->slot[i] <= cur - SG_EXFIL_BUCKETS || f->slot[i] > cur)
				continue;
			out += f->out[i];
			in += f->in[i];
		}
		if (!f->scored) {
			f->scored = true;
			d->st.candidates[SG_HEUR_EXFIL]++;
		}
		ratio = (double)out / ((double)in + 1);
		if (out < xc->min_bytes || ratio < xc->min_ratio)
			continue;
		score = score_of(xc, out, ratio);
		if (score < d->cfg.min_score[SG_HEUR_EXFIL])
			continue;
		if (f->last_alert >= 0 && now - f->last_alert < d->cfg.window)
			continue;
		f->last_alert = now;
		sg_key_split(pos->key, src, sizeof(src), dst, sizeof(dst));
		ev = json_object_new_object();
		json_object_object_add(ev, "series",
				       json_object_new_string(f->juris ? "jurisdiction" : "address"));
		json_object_object_add(ev, "bytes_out", json_object_new_int64((int64_t)out));
		json_object_object_add(ev, "bytes_in", json_object_new_int64((int64_t)in));
		json_object_object_add(ev, "ratio", sg_json_double(ratio, 1));
		json_object_object_add(ev, "conns", json_object_new_int64((int64_t)f->conns));
		json_object_object_add(ev, "window", sg_json_double(d->cfg.window, 0));
		sg_detect_emit(d, SG_HEUR_EXFIL, score, src, dst, f->first, f->last, ev);
		json_object_put(ev);
	}
	sg_lru_next_gen(&d->exfil->t);
	d->st.entries[SG_HEUR_EXFIL] = d->exfil->t.n;
}
