// SPDX-License-Identifier: GPL-2.0
/*
 * Beaconing: per (subject, destination address) and (subject, name) series
 * of connection times and sizes over a sliding window, scored the way RITA
 * v5 scores beacons (activecm/rita, analysis/beacons.go): interval
 * regularity, size regularity, the histogram of connection times across the
 * window and how much of the window the series spans. docs/detection.md
 * gives the formulas and constants.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "internal.h"

#define SG_BEACON_HIST_BINS 24	/* RITA: one bar per hour of a day's window */
#define SG_BEACON_CV_CUT 2.0	/* intervals longer than this many medians: gaps */

struct point {
	double ts;
	double bytes;
};

struct series {
	struct sg_lru_node node;
	struct point *p;
	size_t n, alloc;
	double last_alert;
	bool scored;
	bool by_name;
};

struct sg_beacon {
	struct sg_lru t;
	struct sg_detect *d;
	__u64 points;
	double *s_ts, *s_bytes, *s_tmp;	/* scoring scratch, max_points each */
};

static void series_release(struct sg_lru *t, struct sg_lru_node *n)
{
	struct sg_beacon *b = t->ctx;
	struct series *s = (struct series *)n;

	b->points -= s->n;
	t->bytes -= s->alloc * sizeof(*s->p);
	free(s->p);
}

int sg_beacon_new(struct sg_detect *d)
{
	struct sg_beacon *b = calloc(1, sizeof(*b));
	size_t m = d->cfg.beacon.max_points;
	int r;

	if (!b)
		return -ENOMEM;
	b->d = d;
	r = sg_lru_init(&b->t, d->cfg.max_series, sizeof(struct series), series_release, b);
	b->s_ts = malloc(m * sizeof(double));
	b->s_bytes = malloc(m * sizeof(double));
	b->s_tmp = malloc(m * sizeof(double));
	d->beacon = b;
	if (r)
		return r;
	return b->s_ts && b->s_bytes && b->s_tmp ? 0 : -ENOMEM;
}

void sg_beacon_free(struct sg_detect *d)
{
	struct sg_beacon *b = d->beacon;

	if (!b)
		return;
	sg_lru_destroy(&b->t);
	free(b->s_ts);
	free(b->s_bytes);
	free(b->s_tmp);
	free(b);
	d->beacon = NULL;
}

/* Heap bytes held, for sg_detect_get_stats(). */
size_t sg_beacon_bytes(const struct sg_detect *d)
{
	if (!d->beacon)
		return 0;
	return sizeof(*d->beacon) + d->beacon->t.bytes + 3 * d->cfg.beacon.max_points * sizeof(double);
}

static void drop_front(struct sg_beacon *b, struct series *s, size_t k)
{
	if (!k)
		return;
	memmove(s->p, s->p + k, (s->n - k) * sizeof(*s->p));
	s->n -= k;
	b->points -= k;
}

static int add_point(struct sg_beacon *b, const struct sg_lru_key *key, bool by_name, double ts,
		     double bytes)
{
	const struct sg_detect_config *cfg = &b->d->cfg;
	struct sg_lru_node *oldest;
	struct series *s;
	bool created;
	size_t i;

	while (b->points >= cfg->max_points_total && (oldest = sg_lru_oldest(&b->t))) {
		sg_lru_remove(&b->t, oldest);
		b->t.evictions++;
	}
	s = (struct series *)sg_lru_get_key(&b->t, key, true, &created);
	if (!s)
		return -ENOMEM;
	if (created)
		s->last_alert = -1;
	b->d->st.evicted[SG_HEUR_BEACON] = b->t.evictions;
	b->d->st.entries[SG_HEUR_BEACON] = b->t.n;
	s->by_name = by_name;
	if (s->n == cfg->beacon.max_points) {
		drop_front(b, s, 1);
		b->d->st.points_dropped++;
	}
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 16;
		struct point *np;

		if (na > cfg->beacon.max_points)
			na = cfg->beacon.max_points;
		np = realloc(s->p, na * sizeof(*np));
		if (!np)
			return -ENOMEM;
		b->t.bytes += (na - s->alloc) * sizeof(*np);
		s->p = np;
		s->alloc = na;
	}
	/* Logs are nearly sorted: insert from the end. */
	i = s->n;
	while (i > 0 && s->p[i - 1].ts > ts) {
		s->p[i] = s->p[i - 1];
		i--;
	}
	s->p[i].ts = ts;
	s->p[i].bytes = bytes;
	s->n++;
	b->points++;
	return 0;
}

/* Add a connection's end bytes to its point (the one at its start time). */
static void add_bytes(struct sg_beacon *b, const struct sg_lru_key *key, double ts, double bytes)
{
	struct series *s = (struct series *)sg_lru_get_key(&b->t, key, false, NULL);
	size_t i;

	for (i = s ? s->n : 0; i > 0 && s->p[i - 1].ts >= ts; i--) {
		if (s->p[i - 1].ts == ts) {
			s->p[i - 1].bytes += bytes;
			return;
		}
	}
	b->d->st.conn_ends_lost++;	/* dropped or evicted since */
}

void sg_beacon_prefetch(const struct sg_detect *d, const struct sg_lru_key *k, bool entry)
{
	if (entry)
		sg_lru_prefetch_entry(&d->beacon->t, k);
	else
		sg_lru_prefetch(&d->beacon->t, k);
}

int sg_beacon_conn(struct sg_detect *d, const struct sg_conn_ctx *c)
{
	const struct sg_obs *o = c->o;
	const struct sg_beacon_config *bc = &d->cfg.beacon;
	const char *subject = o->subject ? o->subject : c->src;
	double bytes = (double)o->bytes_out + (double)o->bytes_in;
	int r;

	if (c->end) {
		if ((*c->took & SG_TOOK_BEACON_ADDR) && c->key.len)
			add_bytes(d->beacon, &c->key, o->ts, bytes);
		if ((*c->took & SG_TOOK_BEACON_NAME) && c->name && c->nkey.len)
			add_bytes(d->beacon, &c->nkey, o->ts, bytes);
		return 0;
	}
	if ((o->failed && bc->skip_failed) || (o->dir == SG_DIR_IN && !bc->inbound))
		return 0;
	if (sg_detect_allowed(d, SG_HEUR_BEACON, &o->src, subject, &o->dst, c->name))
		return 0;
	if (!c->key.len)
		return 0;
	r = add_point(d->beacon, &c->key, false, o->ts, bytes);
	if (r)
		return r;
	*c->took |= SG_TOOK_BEACON_ADDR;
	if (!c->name || c->name_age > d->cfg.window)
		return 0;
	if (!c->nkey.len)
		return 0;
	r = add_point(d->beacon, &c->nkey, true, o->ts, bytes);
	if (!r)
		*c->took |= SG_TOOK_BEACON_NAME;
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of sorted v[0..n). */
static double median(const double *v, size_t n)
{
	if (!n)
		return 0;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * RITA's calculateStatisticalScore over sorted v: the mean of the Bowley
 * skewness score and the median-absolute-deviation score; tmp has n slots.
 */
static double stat_score(const double *v, size_t n, double mad_default, double *tmp,
			 double *ret_skew, double *ret_mad, double *ret_median)
{
	size_t c1 = n / 2, c2 = n % 2 ? n / 2 + 1 : n / 2, i;
	double q1 = median(v, c1), q2 = median(v, n), q3 = median(v + c2, n - c2);
	double den = q3 - q1, skew = 0, mad, mad_score = mad_default;

	/* Quartile spread under 10 (seconds or bytes) counts as symmetric. */
	if (den >= 10 && q2 != q1 && q2 != q3)
		skew = (q1 + q3 - 2 * q2) / den;
	for (i = 0; i < n; i++)
		tmp[i] = fabs(v[i] - q2);
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	mad = median(tmp, n);
	if (q2 >= 1)
		mad_score = (q2 - mad) / q2;
	if (mad_score < 0 || isnan(mad_score))
		mad_score = 0;
	*ret_skew = skew;
	*ret_mad = mad;
	*ret_median = q2;
	return ((1 - fabs(skew)) + mad_score) / 2;
}

static double hist_score(const struct sg_beacon_config *cfg, const double *ts, size_t n,
			 double lo, double hi, unsigned int *ret_bars, unsigned int *ret_run)
{
	unsigned int hist[SG_BEACON_HIST_BINS] = { 0 }, mode_bins[SG_BEACON_HIST_BINS];
	unsigned int largest = 0, bars = 0, run = 0, longest = 0, nmodes = 0, top1 = 0, top2 = 0;
	unsigned int modes[SG_BEACON_HIST_BINS], i, j;
	double step = (hi - lo) / SG_BEACON_HIST_BINS, mean, sd = 0, cv, cv_score, fit = 0, binw;
	size_t k;
	int bin;

	for (k = 0; k < n; k++) {
		if (ts[k] < lo)
			continue;
		bin = (int)((ts[k] - lo) / step);
		if (bin >= SG_BEACON_HIST_BINS)
			bin = SG_BEACON_HIST_BINS - 1;
		hist[bin]++;
	}
	mean = (double)n / SG_BEACON_HIST_BINS;
	for (i = 0; i < SG_BEACON_HIST_BINS; i++) {
		sd += (hist[i] - mean) * (hist[i] - mean);
		if (hist[i]) {
			bars++;
			if (hist[i] > largest)
				largest = hist[i];
		}
	}
	sd = sqrt(sd / SG_BEACON_HIST_BINS);
	cv = mean > 0 ? sd / mean : 1;
	cv_score = cv > 1 ? 0 : 1 - cv;

	/* Longest run of non-empty bars, wrapping around the window. */
	for (i = 0; i < 2 * SG_BEACON_HIST_BINS; i++) {
		if (hist[i % SG_BEACON_HIST_BINS]) {
			run++;
		} else {
			if (run > longest)
				longest = run;
			run = 0;
		}
	}
	if (run > longest)
		longest = run;
	if (longest > SG_BEACON_HIST_BINS)
		longest = SG_BEACON_HIST_BINS;

	/* Bimodal fit: bars grouped by height in steps of sensitivity x tallest. */
	binw = ceil(largest * cfg->hist_mode_sensitivity);
	if (binw < 1)
		binw = 1;
	for (i = 0; i < SG_BEACON_HIST_BINS; i++) {
		unsigned int m;

		if (!hist[i])
			continue;
		m = (unsigned int)(floor(hist[i] / binw) * binw);
		for (j = 0; j < nmodes && modes[j] != m; j++)
			;
		if (j == nmodes) {
			modes[nmodes] = m;
			mode_bins[nmodes++] = 0;
		}
		mode_bins[j]++;
	}
	if (bars >= cfg->hist_bimodal_min_hours) {
		double adj;

		for (j = 0; j < nmodes; j++) {
			if (mode_bins[j] > top1) {
				top2 = top1;
				top1 = mode_bins[j];
			} else if (mode_bins[j] > top2) {
				top2 = mode_bins[j];
			}
		}
		adj = (double)bars - cfg->hist_bimodal_outlier_removal;
		if (adj < 1)
			adj = 1;
		fit = sg_clamp01((top1 + top2) / adj);
	}
	*ret_bars = bars;
	*ret_run = longest;
	return cv_score > fit ? cv_score : fit;
}

int sg_beacon_score(const struct sg_beacon_config *cfg, const double *ts, const double *bytes,
		    size_t n, double win_min, double win_max, struct sg_beacon_scores *out)
{
	double *iv, *sz, *tmp, prev;
	size_t i, ni = 0;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	out->n = n;
	if (n < 4 || win_max <= win_min)
		return -EINVAL;
	iv = malloc(n * sizeof(double));
	sz = malloc(n * sizeof(double));
	tmp = malloc(n * sizeof(double));
	if (!iv || !sz || !tmp) {
		r = -ENOMEM;
		goto out;
	}
	/* Intervals between distinct seconds, as RITA's uint32 timestamps. */
	prev = floor(ts[0]);
	for (i = 1; i < n; i++) {
		double t = floor(ts[i]);

		if (t > prev)
			iv[ni++] = t - prev;
		prev = t;
	}
	out->intervals = ni;
	if (ni < 3)
		goto out;
	qsort(iv, ni, sizeof(double), cmp_double);
	out->ts = stat_score(iv, ni, 1, tmp, &out->ts_skew, &out->ts_mad, &out->ts_median);
	/*
	 * Interval fill (not in RITA): the share of the series' span that
	 * intervals of the median length would fill. About 1 for a beacon at any
	 * symmetric jitter, ln 2 for Poisson arrivals, near 0 for bursts whose
	 * seconds-apart intervals RITA's statistics call regular.
	 */
	out->fill = 1;
	if (cfg->fill && floor(ts[n - 1]) > floor(ts[0]))
		out->fill = sg_clamp01(ni * out->ts_median / (floor(ts[n - 1]) - floor(ts[0])));
	out->ts *= out->fill;
	/*
	 * Dispersion (not in RITA): the coefficient of variation of the
	 * intervals up to SG_BEACON_CV_CUT medians (longer ones are missed
	 * check-ins or pauses). About 0.29 for uniform +-50 % jitter, 0.71 for
	 * Poisson arrivals cut the same way; the ts score falls linearly from
	 * cv_full to cv_zero.
	 */
	out->disp = 1;
	if (cfg->dispersion) {
		double cut = SG_BEACON_CV_CUT * out->ts_median, sum = 0, sq = 0, mean;
		size_t kept = 0;

		for (i = 0; i < ni && iv[i] <= cut; i++) {
			sum += iv[i];
			kept++;
		}
		mean = kept ? sum / kept : 0;
		for (i = 0; i < kept; i++)
			sq += (iv[i] - mean) * (iv[i] - mean);
		out->cv = kept > 1 && mean > 0 ? sqrt(sq / (kept - 1)) / mean : 0;
		out->cv_kept = kept;
		out->disp = sg_clamp01((cfg->cv_zero - out->cv) / (cfg->cv_zero - cfg->cv_full));
		out->ts *= out->disp;
	}

	memcpy(sz, bytes, n * sizeof(double));
	qsort(sz, n, sizeof(double), cmp_double);
	out->ds = stat_score(sz, n, 0, tmp, &out->ds_skew, &out->ds_mad, &out->ds_median);

	out->hist = hist_score(cfg, ts, n, win_min, win_max, &out->bars, &out->longest_run);

	if (out->bars >= cfg->dur_min_hours && ts[n - 1] > ts[0]) {
		out->coverage = sg_clamp01((ts[n - 1] - ts[0]) / (win_max - win_min));
		out->consistency = sg_clamp01((double)out->longest_run / cfg->dur_ideal_hours);
		out->dur = out->coverage > out->consistency ? out->coverage : out->consistency;
	}
	out->score = sg_clamp01(out->ts * cfg->ts_weight + out->ds * cfg->ds_weight +
				out->hist * cfg->hist_weight + out->dur * cfg->dur_weight);
	r = 0;
out:
	free(iv);
	free(sz);
	free(tmp);
	return r;
}

static struct json_object *evidence(const struct series *s, const struct sg_beacon_scores *sc)
{
	struct json_object *o = json_object_new_object();

#define PUT_D(k, v) json_object_object_add(o, k, sg_json_double(v, 3))
#define PUT_I(k, v) json_object_object_add(o, k, json_object_new_int64(v))
	json_object_object_add(o, "series", json_object_new_string(s->by_name ? "name" : "address"));
	PUT_I("conns", sc->n);
	PUT_I("intervals", sc->intervals);
	PUT_D("ts_score", sc->ts);
	PUT_D("ds_score", sc->ds);
	PUT_D("hist_score", sc->hist);
	PUT_D("dur_score", sc->dur);
	PUT_D("interval_median", sc->ts_median);
	PUT_D("interval_mad", sc->ts_mad);
	PUT_D("interval_skew", sc->ts_skew);
	PUT_D("interval_fill", sc->fill);
	PUT_D("interval_cv", sc->cv);
	PUT_I("interval_cv_kept", sc->cv_kept);
	PUT_D("interval_dispersion", sc->disp);
	PUT_D("size_median", sc->ds_median);
	PUT_D("size_mad", sc->ds_mad);
	PUT_D("size_skew", sc->ds_skew);
	PUT_I("hist_bars", sc->bars);
	PUT_I("longest_run", sc->longest_run);
	PUT_D("coverage", sc->coverage);
	PUT_D("consistency", sc->consistency);
#undef PUT_D
#undef PUT_I
	return o;
}

void sg_beacon_flush(struct sg_detect *d, double now)
{
	struct sg_beacon *b = d->beacon;
	const struct sg_detect_config *cfg = &d->cfg;
	struct sg_lru_node *pos, *tmp;
	struct sg_beacon_scores sc;
	double lo = now - cfg->window;
	size_t i, k, uniq;

	if (d->first_ts > lo)
		lo = d->first_ts;
	/* Series with no connection in the window leave from the LRU end. */
	while ((pos = sg_lru_oldest(&b->t)) &&
	       (!((struct series *)pos)->n ||
		((struct series *)pos)->p[((struct series *)pos)->n - 1].ts < now - cfg->window))
		sg_lru_remove(&b->t, pos);
	/* Only series that got connections since the last flush are scored again. */
	sg_lru_for_each_used_safe(&b->t, pos, tmp) {
		struct series *s = (struct series *)pos;
		char src[SG_DETECT_NAME_MAX], dst[SG_DETECT_NAME_MAX];
		unsigned int score;

		for (k = 0; k < s->n && s->p[k].ts < now - cfg->window; k++)
			;
		drop_front(b, s, k);
		if (!s->n) {
			sg_lru_remove(&b->t, pos);
			continue;
		}
		for (i = 0, uniq = 0; i < s->n; i++) {
			b->s_ts[i] = s->p[i].ts;
			b->s_bytes[i] = s->p[i].bytes;
			if (!i || floor(s->p[i].ts) != floor(s->p[i - 1].ts))
				uniq++;
		}
		if (uniq < cfg->beacon.min_conns)
			continue;
		if (sg_beacon_score(&cfg->beacon, b->s_ts, b->s_bytes, s->n, lo, now, &sc))
			continue;
		if (!s->scored) {
			s->scored = true;
			d->st.candidates[SG_HEUR_BEACON]++;
		}
		score = (unsigned int)lround(sc.score * 100);
		if (score < cfg->min_score[SG_HEUR_BEACON])
			continue;
		if (s->last_alert >= 0 && now - s->last_alert < cfg->window)
			continue;
		s->last_alert = now;
		sg_key_split(pos->key, src, sizeof(src), dst, sizeof(dst));
		{
			struct json_object *ev = evidence(s, &sc);

			sg_detect_emit(d, SG_HEUR_BEACON, score, src, dst, s->p[0].ts,
				       s->p[s->n - 1].ts, ev);
			json_object_put(ev);
		}
	}
	sg_lru_next_gen(&b->t);
	d->st.entries[SG_HEUR_BEACON] = b->t.n;
}
