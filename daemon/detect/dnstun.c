// SPDX-License-Identifier: GPL-2.0
/*
 * DNS tunnelling: per (subject, domain) the number of unique names under
 * the domain, their mean length and mean character entropy over a window.
 * The domain is the last two labels of the query name.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "internal.h"

#define SG_DNSTUN_EXAMPLE_MAX 64

struct domain {
	struct sg_lru_node node;
	__u64 *set;		/* open addressing, hash 0 = empty */
	unsigned int set_size, unique;
	bool saturated;
	__u64 queries;
	double sum_len, sum_entropy;
	unsigned int max_len;
	double start, first, last, last_alert;
	bool scored;
	char example[SG_DNSTUN_EXAMPLE_MAX];
};

struct sg_dnstun {
	struct sg_lru t;
};

static void domain_release(struct sg_lru *t, struct sg_lru_node *n)
{
	struct domain *e = (struct domain *)n;

	t->bytes -= e->set_size * sizeof(*e->set);
	free(e->set);
}

int sg_dnstun_new(struct sg_detect *d)
{
	struct sg_dnstun *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	d->dnstun = x;
	return sg_lru_init(&x->t, d->cfg.max_series, sizeof(struct domain), domain_release, d);
}

void sg_dnstun_free(struct sg_detect *d)
{
	if (!d->dnstun)
		return;
	sg_lru_destroy(&d->dnstun->t);
	free(d->dnstun);
	d->dnstun = NULL;
}

/* Heap bytes held, for sg_detect_get_stats(). */
size_t sg_dnstun_bytes(const struct sg_detect *d)
{
	return d->dnstun ? sizeof(*d->dnstun) + d->dnstun->t.bytes : 0;
}

/*
 * The distinct bytes of s, each summed once in ascending order (as a walk
 * over all 256 counts would, for the same result to the last bit): names
 * are short, and the walk was most of a DNS record's cost.
 */
double sg_entropy(const char *s, size_t len)
{
	unsigned int cnt[256] = { 0 };
	unsigned char seen[256];
	size_t i, j, n = 0;
	double h = 0;

	if (!len)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!cnt[c]++)
			seen[n++] = c;
	}
	for (i = 1; i < n; i++) {	/* insertion sort: a few dozen at most */
		unsigned char c = seen[i];

		for (j = i; j > 0 && seen[j - 1] > c; j--)
			seen[j] = seen[j - 1];
		seen[j] = c;
	}
	for (i = 0; i < n; i++) {
		double p = (double)cnt[seen[i]] / len;

		h -= p * log2(p);
	}
	return h;
}

/* Add h to the set; the set grows to max_unique_kept entries, then saturates. */
static int set_add(struct sg_lru *t, struct domain *e, __u64 h, unsigned int max_kept)
{
	unsigned int i, mask;

	if (!h)
		h = 1;
	if (e->unique * 2 >= e->set_size) {
		unsigned int ns = e->set_size ? e->set_size * 2 : 32, j;
		__u64 *n;

		if (e->unique >= max_kept) {
			e->saturated = true;
			return 0;
		}
		n = calloc(ns, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (j = 0; j < e->set_size; j++) {
			if (!e->set[j])
				continue;
			for (i = e->set[j] & (ns - 1); n[i]; i = (i + 1) & (ns - 1))
				;
			n[i] = e->set[j];
		}
		free(e->set);
		t->bytes += (ns - e->set_size) * sizeof(*n);
		e->set = n;
		e->set_size = ns;
	}
	mask = e->set_size - 1;
	for (i = h & mask; e->set[i]; i = (i + 1) & mask)
		if (e->set[i] == h)
			return 0;
	e->set[i] = h;
	e->unique++;
	return 0;
}

static void reset(struct domain *e, double ts)
{
	if (e->set)
		memset(e->set, 0, e->set_size * sizeof(*e->set));
	e->unique = 0;
	e->saturated = false;
	e->queries = 0;
	e->sum_len = e->sum_entropy = 0;
	e->max_len = 0;
	e->start = e->first = e->last = ts;
}

static unsigned int score_of(const struct sg_dnstun_config *c, const struct domain *e,
			     double *ret_len, double *ret_ent)
{
	double n = e->queries ? (double)e->queries : 1;

	*ret_len = e->sum_len / n;
	*ret_ent = e->sum_entropy / n;
	return (unsigned int)lround(100 * sg_clamp01((double)e->unique / c->min_unique) *
				    sg_clamp01(*ret_len / (c->min_len ? c->min_len : 1)) *
				    sg_clamp01(*ret_ent / (c->min_entropy > 0 ? c->min_entropy : 1)));
}

static void judge(struct sg_detect *d, struct domain *e, double now)
{
	const struct sg_dnstun_config *c = &d->cfg.dnstun;
	char src[SG_DETECT_NAME_MAX], dom[SG_DETECT_NAME_MAX];
	struct json_object *ev;
	double len, ent;
	unsigned int score;

	if (!e->queries)
		return;
	if (!e->scored) {
		e->scored = true;
		d->st.candidates[SG_HEUR_DNSTUN]++;
	}
	score = score_of(c, e, &len, &ent);
	if (score < d->cfg.min_score[SG_HEUR_DNSTUN])
		return;
	if (e->last_alert >= 0 && now - e->last_alert < d->cfg.window)
		return;
	e->last_alert = now;
	sg_key_split(e->node.key, src, sizeof(src), dom, sizeof(dom));
	ev = json_object_new_object();
	json_object_object_add(ev, "queries", json_object_new_int64((int64_t)e->queries));
	json_object_object_add(ev, "unique", json_object_new_int64(e->unique));
	json_object_object_add(ev, "unique_saturated", json_object_new_boolean(e->saturated));
	json_object_object_add(ev, "mean_len", sg_json_double(len, 1));
	json_object_object_add(ev, "max_len", json_object_new_int64(e->max_len));
	json_object_object_add(ev, "mean_entropy", sg_json_double(ent, 2));
	json_object_object_add(ev, "example", json_object_new_string(e->example));
	sg_detect_emit(d, SG_HEUR_DNSTUN, score, src, dom, e->first, e->last, ev);
	json_object_put(ev);
}

int sg_dnstun_query(struct sg_detect *d, const struct sg_obs *o, const char *src)
{
	char name[SG_DETECT_NAME_MAX], key[SG_KEY_MAX];
	const char *dom;
	size_t len, sublen, i, dots = 0;
	struct domain *e;
	bool created;
	int r;

	len = strlen(o->qname);
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	for (i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)o->qname[i]);
	while (len && name[len - 1] == '.')
		len--;
	name[len] = 0;
	/* The domain: the last two labels. */
	dom = name + len;
	while (dom > name) {
		if (dom[-1] == '.' && ++dots == 2)
			break;
		dom--;
	}
	if (dom == name)	/* no part under the domain */
		return 0;
	sublen = (size_t)(dom - name) - 1;
	if (sg_detect_allowed(d, SG_HEUR_DNSTUN, &o->src, o->subject, NULL, name) ||
	    sg_detect_allowed(d, SG_HEUR_DNSTUN, &o->src, o->subject, NULL, dom))
		return 0;
	if (sg_key_make(key, sizeof(key), src, dom))
		return 0;
	e = (struct domain *)sg_lru_get(&d->dnstun->t, key, true, &created);
	if (!e)
		return -ENOMEM;
	d->st.evicted[SG_HEUR_DNSTUN] = d->dnstun->t.evictions;
	d->st.entries[SG_HEUR_DNSTUN] = d->dnstun->t.n;
	if (created) {
		e->last_alert = -1;
		reset(e, o->ts);
	} else if (o->ts - e->start >= d->cfg.window) {
		judge(d, e, o->ts);
		reset(e, o->ts);
	}
	r = set_add(&d->dnstun->t, e, sg_hash(name, sublen), d->cfg.dnstun.max_unique_kept);
	if (r)
		return r;
	{
		char sub[SG_DETECT_NAME_MAX] = "";
		size_t k, m = 0;

		for (k = 0; k < sublen; k++)
			if (name[k] != '.')
				sub[m++] = name[k];
		e->sum_entropy += sg_entropy(sub, m);
	}
	e->queries++;
	e->sum_len += sublen;
	if (sublen > e->max_len) {
		e->max_len = sublen;
		snprintf(e->example, sizeof(e->example), "%.*s", (int)sizeof(e->example) - 1, name);
	}
	if (o->ts < e->first)
		e->first = o->ts;
	if (o->ts > e->last)
		e->last = o->ts;
	return 0;
}

void sg_dnstun_flush(struct sg_detect *d, double now)
{
	struct sg_lru_node *pos, *tmp;

	while ((pos = sg_lru_oldest(&d->dnstun->t)) &&
	       ((struct domain *)pos)->last < now - d->cfg.window)
		sg_lru_remove(&d->dnstun->t, pos);
	sg_lru_for_each_used_safe(&d->dnstun->t, pos, tmp)
		judge(d, (struct domain *)pos, now);
	sg_lru_next_gen(&d->dnstun->t);
	d->st.entries[SG_HEUR_DNSTUN] = d->dnstun->t.n;
}
