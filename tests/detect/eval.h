/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the detection suites: generate a labelled trace, run the
 * analysis over it in-process and score the alerts against the labels.
 */
#ifndef SG_DETECT_EVAL_H
#define SG_DETECT_EVAL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "config.h"
#include "detect.h"
#include "zeekgen.h"

#define EVAL_MAX 4096

struct eval_alert {
	enum sg_heur heur;
	unsigned int score;
	char src[64], dst[SG_DETECT_NAME_MAX];
};

struct eval_label {
	enum sg_heur heur;
	char src[64], dst[64], name[SG_DETECT_NAME_MAX];
	double jitter;
	bool found;
};

struct eval {
	struct eval_alert *alerts;
	size_t n_alerts;
	struct eval_label labels[EVAL_MAX];
	size_t n_labels;
	unsigned long long neg[SG_HEUR_MAX];
	/* results */
	unsigned int pos[SG_HEUR_MAX], found[SG_HEUR_MAX], false_alerts[SG_HEUR_MAX];
	unsigned int min_true[SG_HEUR_MAX], max_false[SG_HEUR_MAX];	/* scores */
	struct sg_analyze a;
};

static void eval_sink(void *ctx, const struct sg_alert *al)
{
	struct eval *e = ctx;
	struct eval_alert *x;
	size_t i;

	for (i = 0; i < e->n_alerts; i++) {
		x = &e->alerts[i];
		if (x->heur == al->heur && !strcmp(x->src, al->src) && !strcmp(x->dst, al->dst)) {
			if (al->score > x->score)
				x->score = al->score;
			return;
		}
	}
	if (e->n_alerts >= EVAL_MAX)
		return;
	x = &e->alerts[e->n_alerts++];
	x->heur = al->heur;
	x->score = al->score;
	snprintf(x->src, sizeof(x->src), "%s", al->src);
	snprintf(x->dst, sizeof(x->dst), "%s", al->dst);
}

static int eval_heur(const char *s)
{
	int h;

	for (h = 0; h < SG_HEUR_MAX; h++)
		if (!strcmp(s, sg_heur_name(h)))
			return h;
	return -1;
}

static int eval_load_labels(struct eval *e, const char *dir)
{
	char path[4096], line[1024], a[64], b[64], c[64], d[SG_DETECT_NAME_MAX];
	FILE *f;
	int h, n;

	snprintf(path, sizeof(path), "%s/labels.tsv", dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct eval_label *l;

		n = sscanf(line, "%63s %63s %63s %255s", a, b, c, d);
		h = n == 3 && !strcmp(a, "neg") ? eval_heur(b) : -1;
		if (h >= 0) {
			e->neg[h] = strtoull(c, NULL, 10);
			continue;
		}
		h = eval_heur(a);
		if (h < 0 || n < 3 || e->n_labels >= EVAL_MAX)
			continue;
		l = &e->labels[e->n_labels++];
		memset(l, 0, sizeof(*l));
		l->heur = h;
		snprintf(l->src, sizeof(l->src), "%s", b);
		snprintf(l->dst, sizeof(l->dst), "%s", c);
		if (n == 4) {
			char *tab = strchr(line, '\t');

			snprintf(l->name, sizeof(l->name), "%s", d);
			(void)tab;
			sscanf(line, "%*s %*s %*s %*s %lf", &l->jitter);
		}
	}
	fclose(f);
	return 0;
}

static bool eval_match(const struct eval_label *l, const struct eval_alert *x)
{
	return l->heur == x->heur && !strcmp(l->src, x->src) &&
	       (!strcmp(l->dst, x->dst) || (l->name[0] && !strcmp(l->name, x->dst)));
}

/* Generate with opts, analyze with cfg (NULL: defaults + DIR/detect.conf), score. */
static int eval_run(struct eval *e, struct sg_zeekgen_opts *opts, struct sg_detect_config *cfg)
{
	static struct sg_detect_config defcfg;
	char tmpl[] = "/tmp/sg-detect-XXXXXX", conf[4096], cmd[4200];
	char *paths[1];
	size_t i, j;
	int r, h;

	memset(e, 0, sizeof(*e));
	e->alerts = calloc(EVAL_MAX, sizeof(*e->alerts));
	if (!e->alerts || !mkdtemp(tmpl))
		return -ENOMEM;
	opts->dir = tmpl;
	r = sg_zeekgen_write(opts);
	if (!r)
		r = eval_load_labels(e, tmpl);
	if (!cfg) {
		sg_detect_config_init(&defcfg);
		snprintf(conf, sizeof(conf), "%s/detect.conf", tmpl);
		if (!r)
			r = sg_config_load_detect(conf, &defcfg, stderr);
		cfg = &defcfg;
	}
	if (!r) {
		e->a.cfg = cfg;
		e->a.errf = stderr;
		e->a.sink.alert = eval_sink;
		e->a.sink.ctx = e;
		paths[0] = tmpl;
		r = sg_detect_analyze_paths(&e->a, paths, 1);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	if (system(cmd))
		r = r ? r : -EIO;
	if (r)
		return r;
	for (i = 0; i < e->n_labels; i++) {
		unsigned int best = 0;

		e->pos[e->labels[i].heur]++;
		for (j = 0; j < e->n_alerts; j++) {
			if (!eval_match(&e->labels[i], &e->alerts[j]))
				continue;
			e->labels[i].found = true;
			if (e->alerts[j].score > best)
				best = e->alerts[j].score;
		}
		h = e->labels[i].heur;
		if (e->labels[i].found && (!e->min_true[h] || best < e->min_true[h]))
			e->min_true[h] = best;
		if (e->labels[i].found)
			e->found[e->labels[i].heur]++;
	}
	for (j = 0; j < e->n_alerts; j++) {
		bool ok = false;

		for (i = 0; i < e->n_labels && !ok; i++)
			ok = eval_match(&e->labels[i], &e->alerts[j]);
		if (!ok) {
			h = e->alerts[j].heur;
			if (e->alerts[j].score > e->max_false[h])
				e->max_false[h] = e->alerts[j].score;
			e->false_alerts[e->alerts[j].heur]++;
			printf("# false %s alert %s -> %s score %u\n", sg_heur_name(e->alerts[j].heur),
			       e->alerts[j].src, e->alerts[j].dst, e->alerts[j].score);
		}
	}
	for (i = 0; i < e->n_labels; i++)
		if (!e->labels[i].found)
			printf("# missed %s %s -> %s %s jitter %.2f\n", sg_heur_name(e->labels[i].heur),
			       e->labels[i].src, e->labels[i].dst, e->labels[i].name, e->labels[i].jitter);
	for (h = 0; h < SG_HEUR_MAX; h++)
		printf("# %-8s recall %u/%u = %.3f, false alerts %u/%llu = %.4f, "
		       "lowest true score %u, highest false %u\n", sg_heur_name(h),
		       e->found[h], e->pos[h], e->pos[h] ? (double)e->found[h] / e->pos[h] : 1.0,
		       e->false_alerts[h], e->neg[h],
		       e->neg[h] ? (double)e->false_alerts[h] / e->neg[h] : 0.0, e->min_true[h],
		       e->max_false[h]);
	fflush(stdout);
	return 0;
}

static double eval_recall(const struct eval *e, int h)
{
	return e->pos[h] ? (double)e->found[h] / e->pos[h] : 1.0;
}

/* False alerts per negative series; alerts on the name and the address of
 * one benign flow count twice, as two series. */
static double eval_false(const struct eval *e, int h)
{
	return e->neg[h] ? (double)e->false_alerts[h] / e->neg[h] : (e->false_alerts[h] ? 1.0 : 0);
}

static void eval_free(struct eval *e)
{
	free(e->alerts);
}

#endif
