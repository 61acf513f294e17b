// SPDX-License-Identifier: GPL-2.0
/*
 * bench-detect: `analyze` throughput and peak memory on a generated conn.log
 * of 1 M lines (gzip), against a baseline measured in the same run on the
 * same file: counting its lines through zlib, what `zcat | wc -l` does.
 * Each side runs in its own child so that getrusage(RUSAGE_CHILDREN)-style
 * maxrss (from wait4) is its own peak.
 *
 * usage: sg-bench-detect [LINES]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "detect.h"
#include "zeekgen.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int count_lines(const char *path, unsigned long long *ret)
{
	static char buf[1 << 16];
	unsigned long long n = 0;
	gzFile f = gzopen(path, "rb");
	int k, i;

	if (!f)
		return -EIO;
	gzbuffer(f, 1 << 17);
	while ((k = gzread(f, buf, sizeof(buf))) > 0)
		for (i = 0; i < k; i++)
			n += buf[i] == '\n';
	gzclose(f);
	*ret = n;
	return k < 0 ? -EIO : 0;
}

static void null_alert(void *ctx, const struct sg_alert *a)
{
	(*(unsigned long long *)ctx)++;
}

struct result {
	double secs;		/* wall */
	double cpu;		/* user + system, from wait4 */
	long maxrss_kb;
	unsigned long long lines, alerts, evicted;
	int status;
};

/* Run fn in a child; its wall time and peak RSS come back through a pipe and wait4. */
static int measure(int (*fn)(const char *, struct result *), const char *arg, struct result *res)
{
	struct rusage ru;
	int p[2], st;
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct result r = { 0 };
		double t0 = now();

		close(p[0]);
		r.status = fn(arg, &r);
		r.secs = now() - t0;
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], res, sizeof(*res)) != sizeof(*res))
		res->status = -EIO;
	close(p[0]);
	if (wait4(pid, &st, 0, &ru) < 0)
		return -errno;
	res->maxrss_kb = ru.ru_maxrss;
	res->cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		   ru.ru_stime.tv_usec / 1e6;
	return res->status;
}

static int run_baseline(const char *path, struct result *r)
{
	return count_lines(path, &r->lines);
}

static int run_analyze(const char *path, struct result *r)
{
	struct sg_detect_config cfg;
	struct sg_analyze a = { .cfg = &cfg, .errf = stderr };
	char *paths[1] = { (char *)path };
	int h, err;

	sg_detect_config_init(&cfg);
	a.sink.alert = null_alert;
	a.sink.ctx = &r->alerts;
	err = sg_detect_analyze_paths(&a, paths, 1);
	r->lines = a.lines;
	for (h = 0; h < SG_HEUR_MAX; h++)
		r->evicted += a.stats.evicted[h];
	r->evicted += a.stats.evicted_dns;
	return err;
}

int main(int argc, char **argv)
{
	unsigned long long lines = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	char dir[] = "/tmp/sg-bench-detect-XXXXXX", path[128], cmd[160];
	struct sg_zeekgen_opts o = {
		.profile = SG_ZEEKGEN_BENCH, .gzip = true, .seed = 1, .hours = 24,
		.conn_lines = lines,
	};
	struct result base = { 0 }, an = { 0 };
	double t0;
	int err;

	if (!mkdtemp(dir))
		return 1;
	o.dir = dir;
	t0 = now();
	err = sg_zeekgen_write(&o);
	if (err) {
		fprintf(stderr, "bench-detect: generating: %s\n", strerror(-err));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/conn.log.gz", dir);
	printf("detect: conn.log.gz of %llu connections generated in %.1f s\n", lines, now() - t0);
	err = measure(run_baseline, path, &base);
	if (!err)
		err = measure(run_analyze, path, &an);
	if (err) {
		fprintf(stderr, "bench-detect: %s\n", strerror(-err));
		goto out;
	}
	/* Per CPU second: the build machine is shared, wall time is not ours alone. */
	printf("detect: baseline zlib line count  %10.0f lines/cpu-s (%10.0f lines/s wall)  "
	       "peak RSS %7ld KiB\n", base.lines / base.cpu, base.lines / base.secs,
	       base.maxrss_kb);
	printf("detect: analyze (all heuristics)  %10.0f lines/cpu-s (%10.0f lines/s wall)  "
	       "peak RSS %7ld KiB  (%llu alerts, %llu evicted)\n", an.lines / an.cpu,
	       an.lines / an.secs, an.maxrss_kb, an.alerts, an.evicted);
	printf("detect: analyze / baseline: throughput %.3f, peak memory %.2f\n",
	       (an.lines / an.cpu) / (base.lines / base.cpu),
	       (double)an.maxrss_kb / (double)base.maxrss_kb);
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		err = err ? err : -EIO;
	return err ? 1 : 0;
}
