// SPDX-License-Identifier: GPL-2.0
/*
 * `sovguardctl analyze`: Zeek logs through the detection engine. Files are
 * found (dated directories, rotated and gzip names), ordered, and each
 * conn file is merged in time with its dns file so that DNS answers precede
 * the connections they name; the engine is flushed every flush_every
 * seconds of log time as the live daemon flushes on its timer.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <json-c/json.h>

#include "internal.h"
#include "zeek.h"

struct logfile {
	char *path;
	char *group;		/* directory + name after "conn"/"dns" */
	enum sg_det_kind kind;
};

struct filelist {
	struct logfile *f;
	size_t n, alloc;
};

static void filelist_free(struct filelist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->f[i].path);
		free(l->f[i].group);
	}
	free(l->f);
}

/* conn.log, conn.log.gz, conn.00:00:00-01:00:00.log.gz; the same for dns. */
static int log_kind(const char *base, const char **rest)
{
	size_t len = strlen(base);

	if (!((len > 4 && !strcmp(base + len - 4, ".log")) ||
	      (len > 7 && !strcmp(base + len - 7, ".log.gz"))))
		return -1;
	if (!strncmp(base, "conn.", 5)) {
		*rest = base + 5;
		return SG_DET_CONN;
	}
	if (!strncmp(base, "dns.", 4)) {
		*rest = base + 4;
		return SG_DET_DNS;
	}
	return -1;
}

static int add_file(struct filelist *l, const char *path, FILE *errf, bool explicit)
{
	const char *base = strrchr(path, '/'), *rest;
	struct logfile *f;
	int kind;

	base = base ? base + 1 : path;
	kind = log_kind(base, &rest);
	if (kind < 0) {
		if (explicit) {
			fprintf(errf, "%s: not a Zeek conn.* or dns.* log (.log or .log.gz)\n", path);
			return -EINVAL;
		}
		return 0;
	}
	if (l->n >= SG_ANALYZE_FILES_MAX) {
		fprintf(errf, "%s: more than %d log files\n", path, SG_ANALYZE_FILES_MAX);
		return -E2BIG;
	}
	if (l->n == l->alloc) {
		size_t na = l->alloc ? 2 * l->alloc : 64;
		struct logfile *nf = realloc(l->f, na * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		l->f = nf;
		l->alloc = na;
	}
	f = &l->f[l->n];
	f->kind = kind;
	f->path = strdup(path);
	if (asprintf(&f->group, "%.*s%s", (int)(base - path), path, rest) < 0)
		f->group = NULL;
	if (!f->path || !f->group) {
		free(f->path);
		free(f->group);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static int walk(struct filelist *l, const char *dir, int depth, FILE *errf)
{
	struct dirent *de;
	struct stat st;
	char *p;
	DIR *d;
	int r = 0;

	d = opendir(dir);
	if (!d) {
		r = -errno;
		fprintf(errf, "%s: %s\n", dir, strerror(-r));
		return r;
	}
	while (!r && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (stat(p, &st)) {
			r = -errno;
			fprintf(errf, "%s: %s\n", p, strerror(-r));
		} else if (S_ISDIR(st.st_mode)) {
			if (depth < SG_ANALYZE_DEPTH_MAX)
				r = walk(l, p, depth + 1, errf);
		} else if (S_ISREG(st.st_mode)) {
			r = add_file(l, p, errf, false);
		}
		free(p);
	}
	closedir(d);
	return r;
}

static int cmp_file(const void *a, const void *b)
{
	const struct logfile *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	return c ? c : (int)x->kind - (int)y->kind;
}

/* A conn file given alone brings its dns file (same directory and suffix), and back. */
static int add_sibling(struct filelist *l, const char *path, FILE *errf)
{
	const char *base = strrchr(path, '/'), *rest;
	struct stat st;
	char *sib;
	int kind, r = 0;

	base = base ? base + 1 : path;
	kind = log_kind(base, &rest);
	if (asprintf(&sib, "%.*s%s%s", (int)(base - path), path,
		     kind == SG_DET_CONN ? "dns." : "conn.", rest) < 0)
		return -ENOMEM;
	if (!stat(sib, &st) && S_ISREG(st.st_mode))
		r = add_file(l, sib, errf, true);
	free(sib);
	return r;
}

/* The same file named twice (given, and found as a sibling) is read once. */
static void dedup(struct filelist *l)
{
	size_t i, j = 0;

	for (i = 0; i < l->n; i++) {
		if (j && !strcmp(l->f[j - 1].path, l->f[i].path)) {
			free(l->f[i].path);
			free(l->f[i].group);
			continue;
		}
		l->f[j++] = l->f[i];
	}
	l->n = j;
}

struct stream {
	struct sg_zeek *z;
	struct sg_obs o;
	bool have;
};

static int advance(struct sg_analyze *a, struct stream *s)
{
	int r;

	if (!s->z)
		return 0;
	r = sg_zeek_next(s->z, &s->o);
	if (r < 0) {
		fprintf(a->errf, "%s\n", sg_zeek_error(s->z));
		return r;
	}
	s->have = r == 1;
	return 0;
}

static int run_group(struct sg_analyze *a, struct sg_detect *d, const struct logfile *conn,
		     const struct logfile *dns, double *next_flush)
{
	struct stream s[2] = { 0 };
	const struct logfile *lf[2] = { conn, dns };
	char err[SG_ZEEK_ERR_MAX];
	int i, r = 0;

	for (i = 0; i < 2; i++) {
		if (!lf[i])
			continue;
		r = sg_zeek_open(lf[i]->path, lf[i]->kind, &s[i].z, err, sizeof(err));
		if (r) {
			fprintf(a->errf, "%s\n", err);
			goto out;
		}
		a->files++;
		r = advance(a, &s[i]);
		if (r)
			goto out;
	}
	while (s[0].have || s[1].have) {
		/* DNS first on a tie: an answer precedes the connection it names. */
		struct stream *c = !s[0].have ? &s[1] : !s[1].have ? &s[0] :
				   s[1].o.ts <= s[0].o.ts ? &s[1] : &s[0];
		double ts = c->o.ts;

		if (a->records == 0 || ts < a->first_ts)
			a->first_ts = ts;
		if (ts > a->last_ts)
			a->last_ts = ts;
		a->records++;
		r = sg_detect_feed(d, &c->o);
		if (r) {
			fprintf(a->errf, "analyze: %s\n", strerror(-r));
			goto out;
		}
		if (*next_flush < 0)
			*next_flush = floor(ts / a->cfg->flush_every + 1) * a->cfg->flush_every;
		if (a->last_ts >= *next_flush) {
			sg_detect_flush(d, *next_flush);
			*next_flush += a->cfg->flush_every;
			if (*next_flush <= a->last_ts)
				*next_flush = floor(a->last_ts / a->cfg->flush_every + 1) *
					      a->cfg->flush_every;
		}
		r = advance(a, c);
		if (r)
			goto out;
	}
out:
	for (i = 0; i < 2; i++) {
		if (s[i].z) {
			a->lines += sg_zeek_lines(s[i].z);
			sg_zeek_close(s[i].z);
		}
	}
	return r;
}

int sg_detect_analyze_paths(struct sg_analyze *a, char *const *paths, size_t n)
{
	struct filelist l = { 0 };
	struct sg_detect *d = NULL;
	double next_flush = -1;
	struct stat st;
	size_t i;
	int r = 0;

	a->files = a->lines = a->records = 0;
	a->first_ts = a->last_ts = 0;
	for (i = 0; !r && i < n; i++) {
		if (stat(paths[i], &st)) {
			r = -errno;
			fprintf(a->errf, "%s: %s\n", paths[i], strerror(-r));
		} else if (S_ISDIR(st.st_mode)) {
			r = walk(&l, paths[i], 0, a->errf);
		} else {
			r = add_file(&l, paths[i], a->errf, true);
			if (!r)
				r = add_sibling(&l, paths[i], a->errf);
		}
	}
	if (r)
		goto out;
	if (!l.n) {
		fprintf(a->errf, "analyze: no conn.* or dns.* log found\n");
		r = -ENOENT;
		goto out;
	}
	qsort(l.f, l.n, sizeof(*l.f), cmp_file);
	dedup(&l);
	r = sg_detect_new(a->cfg, &a->sink, &d);
	if (r) {
		fprintf(a->errf, "analyze: %s\n", strerror(-r));
		goto out;
	}
	for (i = 0; !r && i < l.n; i++) {
		const struct logfile *conn = NULL, *dns = NULL;

		if (l.f[i].kind == SG_DET_CONN)
			conn = &l.f[i];
		else
			dns = &l.f[i];
		if (conn && i + 1 < l.n && !strcmp(l.f[i + 1].group, conn->group)) {
			dns = &l.f[i + 1];
			i++;
		}
		r = run_group(a, d, conn, dns, &next_flush);
	}
	if (!r)
		sg_detect_flush(d, a->last_ts);
	sg_detect_get_stats(d, &a->stats);
out:
	sg_detect_free(d);
	filelist_free(&l);
	return r;
}

/* The command's sink: one entry per (heuristic, src, dst), its best score. */
struct ranked {
	struct sg_lru_node node;
	enum sg_heur heur;
	unsigned int score;
	unsigned int times;
	double first, last;
	struct json_object *evidence;
};

struct rank_sink {
	struct sg_lru t;
	unsigned int cap;
	unsigned long long dropped;
};

static void ranked_release(struct sg_lru *t, struct sg_lru_node *n)
{
	json_object_put(((struct ranked *)n)->evidence);
}

static void rank_alert(void *ctx, const struct sg_alert *al)
{
	struct rank_sink *rs = ctx;
	char key[SG_KEY_MAX + 16], hk[SG_DETECT_NAME_MAX + 16];
	struct ranked *e;
	bool created;

	snprintf(hk, sizeof(hk), "%s%c%s", sg_heur_name(al->heur), SG_KEY_SEP, al->src);
	if (sg_key_make(key, sizeof(key), hk, al->dst))
		return;
	e = (struct ranked *)sg_lru_find(&rs->t, key);
	if (!e) {
		if (rs->t.n >= rs->cap) {
			rs->dropped++;
			return;
		}
		e = (struct ranked *)sg_lru_get(&rs->t, key, true, &created);
		if (!e) {
			rs->dropped++;
			return;
		}
		e->heur = al->heur;
		e->first = al->ts_first;
	}
	e->times++;
	if (al->ts_first < e->first)
		e->first = al->ts_first;
	if (al->ts_last > e->last)
		e->last = al->ts_last;
	if (!e->evidence || al->score > e->score) {
		e->score = al->score;
		json_object_put(e->evidence);
		e->evidence = json_object_get(al->evidence);
	}
}

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = *(struct ranked *const *)a, *y = *(struct ranked *const *)b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->heur != y->heur)
		return (int)x->heur - (int)y->heur;
	return strcmp(x->node.key, y->node.key);
}

static void print_results(struct rank_sink *rs, const struct sg_analyze *a, bool json)
{
	struct ranked **v = NULL;
	struct sg_lru_node *pos, *tmp;
	size_t n = 0, i;
	int h;

	v = calloc(rs->t.n ? rs->t.n : 1, sizeof(*v));
	if (!v)
		return;
	sg_lru_for_each_safe(&rs->t, pos, tmp)
		v[n++] = (struct ranked *)pos;
	qsort(v, n, sizeof(*v), cmp_ranked);
	if (!json)
		printf("%5s  %-8s %-20s %-20s %-32s %-20s %s\n", "SCORE", "HEUR", "FIRST", "LAST",
		       "SRC", "DST", "EVIDENCE");
	for (i = 0; i < n; i++) {
		struct ranked *e = v[i];
		char hn[16], src[SG_DETECT_NAME_MAX], dst[SG_DETECT_NAME_MAX], rest[SG_KEY_MAX];
		char t1[SG_ALERT_TIME_MAX], t2[SG_ALERT_TIME_MAX];

		sg_key_split(e->node.key, hn, sizeof(hn), rest, sizeof(rest));
		sg_key_split(rest, src, sizeof(src), dst, sizeof(dst));
		if (json) {
			struct sg_alert al = {
				.heur = e->heur, .score = e->score, .src = src, .dst = dst,
				.ts_first = e->first, .ts_last = e->last, .evidence = e->evidence,
			};
			struct json_object *o = sg_alert_json(&al);

			if (!o)
				break;
			json_object_object_add(o, "alerts", json_object_new_int(e->times));
			printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		} else {
			sg_alert_time(e->first, t1);
			sg_alert_time(e->last, t2);
			printf("%5u  %-8s %-20s %-20s %-32s %-20s %s\n", e->score, hn, t1, t2, src, dst,
			       json_object_to_json_string_ext(e->evidence, JSON_C_TO_STRING_PLAIN));
		}
	}
	free(v);
	/* The summary goes to stderr with -j so stdout stays one alert per line. */
	{
		FILE *out = json ? stderr : stdout;
		char t1[SG_ALERT_TIME_MAX], t2[SG_ALERT_TIME_MAX];

		sg_alert_time(a->first_ts, t1);
		sg_alert_time(a->last_ts, t2);
		fprintf(out, "\n%zu alert(s); %llu file(s), %llu line(s), %llu record(s) "
			"(%llu conn, %llu dns), %s to %s\n", n, a->files, a->lines, a->records,
			(unsigned long long)a->stats.conns, (unsigned long long)a->stats.dns, t1, t2);
		for (h = 0; h <= SG_HEUR_DNSLESS; h++)	/* what Zeek logs feed */
			fprintf(out, "  %-8s %s: %llu candidate(s), %llu alert(s), %llu allowed, "
				"%llu evicted\n", sg_heur_name(h), a->cfg->on[h] ? "on " : "off",
				(unsigned long long)a->stats.candidates[h],
				(unsigned long long)a->stats.alerts[h],
				(unsigned long long)a->stats.allowed[h],
				(unsigned long long)a->stats.evicted[h]);
		fprintf(out, "  evicted DNS answers %llu, beacon points dropped %llu, "
			"stale exfil records %llu, alerts dropped %llu\n",
			(unsigned long long)a->stats.evicted_dns,
			(unsigned long long)a->stats.points_dropped,
			(unsigned long long)a->stats.stale, rs->dropped);
	}
}

int sg_detect_analyze_main(int argc, char **argv, bool json, sg_detect_config_loader load)
{
	static const struct option opts[] = {
		{ "zeek", required_argument, NULL, 'z' },
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static struct sg_detect_config cfg;
	struct rank_sink rs = { 0 };
	struct sg_analyze a = { .cfg = &cfg, .errf = stderr };
	char **paths = NULL, **sets = NULL, msg[512], *eq;
	const char *config = NULL;
	size_t np = 0, ns = 0, i;
	int c, r;

	sg_detect_config_init(&cfg);
	paths = calloc(argc + 1, sizeof(*paths));
	sets = calloc(argc + 1, sizeof(*sets));
	if (!paths || !sets) {
		r = -ENOMEM;
		goto out;
	}
	while ((c = getopt_long(argc, argv, "z:c:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'z':
			paths[np++] = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 's':
			sets[ns++] = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: sovguardctl analyze --zeek PATH [--zeek PATH...] [--config FILE]\n"
			       "                           [--set detect.KEY=VALUE] [-j]\n"
			       "Run the detection heuristics (beacon, exfil, dnstun, dnsless) over Zeek\n"
			       "logs. PATH is a conn.* or dns.* log (.log or .log.gz, TSV or JSON lines;\n"
			       "a conn log brings its dns log) or a directory of them (dated\n"
			       "subdirectories, rotated names). FILE is a sovguard.conf (or one of\n"
			       "detect.* = value lines alone), read as sovguardd reads it; --set\n"
			       "applies over it. Prints the alerts ranked by score, or with -j one JSON\n"
			       "object per alert (the summary on stderr). Exit status 0 when the\n"
			       "analysis ran, whether or not it found anything.\n"
			       "See docs/detection.md.\n");
			r = 0;
			goto out;
		default:
			r = -EINVAL;
			goto out;
		}
	}
	while (optind < argc)
		paths[np++] = argv[optind++];
	/* The file first, as the daemon reads it; each --set over it, in order. */
	if (config) {
		r = load ? load(config, &cfg, stderr) : -EOPNOTSUPP;
		if (r)
			goto out;
	}
	for (i = 0; i < ns; i++) {
		eq = strchr(sets[i], '=');
		if (!eq) {
			fprintf(stderr, "sovguardctl: --set wants KEY=VALUE\n");
			r = -EINVAL;
			goto out;
		}
		*eq = 0;
		r = sg_detect_config_set(&cfg, sets[i], eq + 1, msg, sizeof(msg));
		if (r) {
			fprintf(stderr, "sovguardctl: --set: %s\n",
				r == -ENOENT ? "not a detect.* key" : msg);
			r = -EINVAL;
			goto out;
		}
	}
	if (ns && sg_detect_config_check(&cfg, "--set", stderr)) {
		r = -EINVAL;
		goto out;
	}
	if (!np) {
		fprintf(stderr, "sovguardctl: analyze needs --zeek PATH; see --help\n");
		r = -EINVAL;
		goto out;
	}
	rs.cap = cfg.max_alerts;
	r = sg_lru_init(&rs.t, cfg.max_alerts, sizeof(struct ranked), ranked_release, &rs);
	if (r)
		goto out;
	a.sink.alert = rank_alert;
	a.sink.ctx = &rs;
	r = sg_detect_analyze_paths(&a, paths, np);
	if (!r)
		print_results(&rs, &a, json);
	sg_lru_destroy(&rs.t);
out:
	free(paths);
	free(sets);
	return r;
}
