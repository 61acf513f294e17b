// SPDX-License-Identifier: GPL-2.0
/*
 * make bench-detector (part of make bench): the live detector's costs, each
 * against a baseline measured in the same run.
 *
 *   throughput  observation records through sg_detector_observed(), the
 *               function sovguardd calls for each ring buffer record, on one
 *               CPU (pinned), in CPU time; the baseline is the same loop
 *               that only checks, parses (DNS) and copies the records, as
 *               the ring buffer reader does. A realistic mix: connections
 *               (CONNECT and FLOW_END) to 20,000 destinations, most to a
 *               few hundred, DNS answers, execs. Target: 1,000,000 a second.
 *   rate        records made at a paced 100,000 a second for several
 *               seconds by a BPF program (tests/bpf/obs_feed.bpf.c, run by
 *               BPF_PROG_TEST_RUN) into the pinned observation ring buffer,
 *               read by daemon/observe.c and fed to the detector as the
 *               daemon does. made = read + counted drops, or exit 1.
 *   memory      1,000,000 distinct destinations (a DNS answer, a CONNECT
 *               and a FLOW_END each) with the default caps: the state's
 *               memory and entries as status shows them, the process's RSS
 *               and peak RSS, the evictions that hold them.
 *
 * usage: sg-bench-detector [--events N] [--rate R] [--seconds S] [--dests N]
 *                          [--only throughput|rate|memory]
 * Runs as root (bpffs, BPF_PROG_TEST_RUN); the rate part is skipped, said,
 * where BPF is not available. Exit 1 when a check fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "daemon.h"
#include "detector.h"
#include "detector_int.h"
#include "dns.h"
#include "observe.h"
#include "lib/log.h"
#include "lib/util.h"
#include "obs_feed.skel.h"
#include "quarantine.h"

/*
 * The detector calls the quarantine for every alert. The bench runs with
 * quarantine off, its default, where the call answers 0 without looking
 * further; linking quarantine.c would pull in the whole policy build.
 */
__u32 sg_quarantine_alert(struct sg_daemon *d, const struct sg_alert *a)
{
	return 0;
}

#define TARGET_RATE	1000000.0	/* events a CPU second */
#define DESTS_MIX	20000
#define DESTS_POPULAR	500
#define EXES		16
#define CGROUPS		4

static unsigned long long n_events = 1000000, n_dests = 1000000;
static double rate = 100000, seconds = 5;
static const char *only;
static int failed;

static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double cpu_now(void)
{
	return sg_clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static double mono_now(void)
{
	return sg_clock_s(CLOCK_MONOTONIC);
}

/* VmRSS and VmHWM of this process, KiB. */
static void rss(long *cur, long *peak)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	*cur = *peak = -1;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "VmRSS: %ld", cur);
		sscanf(line, "VmHWM: %ld", peak);
	}
	if (f)
		fclose(f);
}

/* ---- the daemon around the detector ------------------------------------ */

struct env {
	struct sg_daemon d;
	int ep;
	char state[64];
	__u64 cgroup_id;		/* ours: resolves to a unit, as live */
	__u64 exe_ino;
	__u32 exe_dev;
};

static int env_start(struct env *e)
{
	char path[2 * SG_PATH_MAX + 8], line[SG_PATH_MAX];
	struct stat st;
	FILE *f;
	int err;

	memset(e, 0, sizeof(*e));
	sg_detect_config_init(&e->d.cfg.detect);
	snprintf(e->state, sizeof(e->state), "/tmp/sg-bench-detector.XXXXXX");
	if (!mkdtemp(e->state))
		return -errno;
	snprintf(e->d.cfg.detect.state_dir, sizeof(e->d.cfg.detect.state_dir), "%s", e->state);
	if (sg_cgroup2_mount(e->d.sysres.cgroup_root, sizeof(e->d.sysres.cgroup_root)))
		e->d.sysres.cgroup_root[0] = '\0';
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, sizeof(path), "%s%s", e->d.sysres.cgroup_root, line + 3);
		if (!stat(path, &st))
			e->cgroup_id = st.st_ino;
	}
	if (f)
		fclose(f);
	if (!stat("/proc/self/exe", &st)) {
		e->exe_ino = st.st_ino;
		e->exe_dev = (major(st.st_dev) << 20) | minor(st.st_dev);
	}
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	err = sg_detector_start(&e->d, e->ep);
	return err;
}

static void env_stop(struct env *e)
{
	char cmd[128];

	sg_detector_stop(&e->d);
	close(e->ep);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->state);
	if (system(cmd))
		fprintf(stderr, "bench-detector: could not remove %s\n", e->state);
}

static struct json_object *status_of(struct env *e)
{
	return sg_detector_status(&e->d);
}

static long long jget(struct json_object *o, const char *k)
{
	return (long long)json_object_get_int64(json_object_object_get(o, k));
}

/* Evictions of every table, as status reports them. */
static long long evictions(struct json_object *s)
{
	struct json_object *hs = json_object_object_get(s, "heuristics");
	long long n = jget(s, "evicted_dns") + jget(s, "evicted_procs") + jget(s, "evicted_open");

	json_object_object_foreach(hs, k, h) {
		(void)k;
		n += jget(h, "evicted");
	}
	return n;
}

/* ---- records, laid out as the ring buffer holds them ------------------- */

/* A DNS response: NAME A ADDR (one answer, compressed name). Return: length. */
static size_t dns_msg(__u8 *m, const char *name, __u32 addr_be, size_t *addr_off)
{
	size_t n = 12, l;
	const char *p = name, *dot;

	memset(m, 0, 12);
	m[2] = 0x81;	/* QR, RD */
	m[3] = 0x80;	/* RA */
	m[5] = 1;	/* one question */
	m[7] = 1;	/* one answer */
	while (*p) {
		dot = strchr(p, '.');
		l = dot ? (size_t)(dot - p) : strlen(p);
		m[n++] = l;
		memcpy(m + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	m[n++] = 0;
	m[n++] = 0; m[n++] = 1;		/* A */
	m[n++] = 0; m[n++] = 1;		/* IN */
	m[n++] = 0xc0; m[n++] = 12;	/* the name above */
	m[n++] = 0; m[n++] = 1;
	m[n++] = 0; m[n++] = 1;
	m[n++] = 0; m[n++] = 0; m[n++] = 0x0e; m[n++] = 0x10;	/* TTL 3600 */
	m[n++] = 0; m[n++] = 4;
	*addr_off = n;
	memcpy(m + n, &addr_be, 4);
	return n + 4;
}

struct recs {
	__u8 *buf;
	size_t len, cap;
	size_t *off;
	size_t n, ncap;
};

static void *rec_add(struct recs *r, size_t size)
{
	size_t sz = (size + 7) & ~(size_t)7;
	void *p;

	if (r->len + sz > r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1 << 24;
		r->buf = realloc(r->buf, r->cap);
	}
	if (r->n == r->ncap) {
		r->ncap = r->ncap ? r->ncap * 2 : 1 << 16;
		r->off = realloc(r->off, r->ncap * sizeof(*r->off));
	}
	if (!r->buf || !r->off) {
		fprintf(stderr, "bench-detector: out of memory\n");
		exit(1);
	}
	p = r->buf + r->len;
	memset(p, 0, sz);
	r->off[r->n++] = r->len;
	r->len += sz;
	return p;
}

static void hdr(struct sg_obs_hdr *h, unsigned int kind, size_t size, __u64 ts)
{
	h->kind = kind;
	h->size = size;
	h->version = SG_OBS_VERSION;
	h->ts_ns = ts;
}

static void subject(const struct env *e, struct sg_obs_subject *s, unsigned int who)
{
	/* Our cgroup resolves to a unit; the others to none (the exe is the subject). */
	s->cgroup_id = who % CGROUPS ? 0x7f000000ULL + who % CGROUPS : e->cgroup_id;
	s->exe_ino = e->exe_ino + who % EXES;
	s->exe_dev = e->exe_dev;
	s->pid = s->tgid = getpid();
	s->uid = 0;
	memcpy(s->comm, "bench", 6);
}

static __u32 dest(unsigned long long i)
{
	return htonl(0x2d000000u | (__u32)(i * 2654435761u % 0xffffff));
}

static void tuple(struct sg_obs_tuple *t, __u32 daddr, __u8 proto)
{
	__u32 s = htonl(0x0a000001);

	memcpy(t->saddr, &s, 4);
	memcpy(t->daddr, &daddr, 4);
	t->sport = 40000 + (rnd() & 0x3fff);
	t->dport = proto == IPPROTO_TCP ? 443 : 53;
	t->family = AF_INET;
	t->protocol = proto;
}

static void add_connect(const struct env *e, struct recs *r, __u64 ts, unsigned int who,
			__u32 daddr, __u64 cookie)
{
	struct sg_obs_connect *c = rec_add(r, sizeof(*c));

	hdr(&c->hdr, SG_OBS_CONNECT, sizeof(*c), ts);
	subject(e, &c->subj, who);
	tuple(&c->t, daddr, IPPROTO_TCP);
	c->cookie = cookie;
	c->rule = SG_RULE_DEFAULT;
	c->generation = 1;
	c->verdict = SG_VERDICT_ALLOW;
}

static void add_flow_end(const struct env *e, struct recs *r, __u64 ts, __u64 start,
			 unsigned int who, __u32 daddr, __u64 cookie)
{
	struct sg_obs_flow_end *f = rec_add(r, sizeof(*f));

	hdr(&f->hdr, SG_OBS_FLOW_END, sizeof(*f), ts);
	subject(e, &f->subj, who);
	tuple(&f->t, daddr, IPPROTO_TCP);
	f->cookie = cookie;
	f->bytes_sent = 200 + rnd() % 2000;
	f->bytes_received = 1000 + rnd() % 30000;
	f->start_ns = start;
}

static void add_dns(const struct env *e, struct recs *r, __u64 ts, unsigned int who, __u32 addr,
		    unsigned long long i)
{
	struct sg_obs_dns *d = rec_add(r, sizeof(*d));
	char name[64];
	size_t off;

	hdr(&d->hdr, SG_OBS_DNS, sizeof(*d), ts);
	subject(e, &d->subj, who);
	tuple(&d->t, htonl(0x7f000035), IPPROTO_UDP);
	snprintf(name, sizeof(name), "h%llu.example.net", i);
	d->len = dns_msg(d->msg, name, addr, &off);
}

static void add_exec(const struct env *e, struct recs *r, __u64 ts, unsigned int who)
{
	struct sg_obs_exec *x = rec_add(r, sizeof(*x));

	hdr(&x->hdr, SG_OBS_EXEC, sizeof(*x), ts);
	subject(e, &x->subj, who);
	x->ppid = getppid();
	x->nlink = 1;
	x->dir_mode = 040755;
	x->stdio[0].type = x->stdio[1].type = SG_OBS_FD_CHAR;
	snprintf(x->path, sizeof(x->path), "/usr/bin/worker%u", who % EXES);
}

static __u64 mono_ns(void)
{
	return sg_clock_ns(CLOCK_MONOTONIC);
}

/*
 * The mix, n records at 10 us apart (100,000 a second of record time),
 * ending an hour ago: 1 % execs, 15 % DNS answers, the rest connections
 * (a CONNECT, and its FLOW_END a few dozen records later). 70 % of the
 * connections go to DESTS_POPULAR destinations, the rest to DESTS_MIX.
 */
#define OPEN_MAX 64

static void make_mix(const struct env *e, struct recs *r, unsigned long long n)
{
	struct { __u64 cookie, start; __u32 daddr; unsigned int who; } open[OPEN_MAX];
	unsigned int nopen = 0, k;
	__u64 t0 = mono_ns() - 3600ULL * 1000000000ULL - n * 10000ULL, cookie = 1;
	unsigned long long i;

	for (i = 0; i < n; i++) {
		__u64 ts = t0 + i * 10000ULL, x = rnd() % 100;
		unsigned int who = rnd() % 64;
		unsigned long long d = rnd() % 100 < 70 ? rnd() % DESTS_POPULAR : rnd() % DESTS_MIX;

		if (x == 0) {
			add_exec(e, r, ts, who);
		} else if (x <= 15) {
			add_dns(e, r, ts, who, dest(d), d);
		} else if (nopen == OPEN_MAX || (nopen && rnd() % 2)) {
			k = rnd() % nopen;
			add_flow_end(e, r, ts, open[k].start, open[k].who, open[k].daddr,
				     open[k].cookie);
			open[k] = open[--nopen];
		} else {
			open[nopen].cookie = cookie++;
			open[nopen].start = ts - 2000;
			open[nopen].daddr = dest(d);
			open[nopen].who = who;
			add_connect(e, r, ts, who, dest(d), open[nopen].cookie);
			nopen++;
		}
	}
}

/* What observe.c's reader does with a record before the callback. */
static bool decode(const __u8 *rec, struct sg_obs_event *ev, struct sg_dns_answer *ans)
{
	const struct sg_obs_hdr *h = (const void *)rec;

	return sg_obs_decode(rec, h->size, ev, ans) != -EBADMSG;
}

/*
 * Before the run (not timed): the EXES executables started (their EXEC
 * records name the made-up inodes, as a real start would), then every
 * destination of the mix named once.
 */
static void name_all(struct env *e)
{
	struct recs r = { 0 };
	__u64 t0 = mono_ns() - 7200ULL * 1000000000ULL;
	unsigned long long i;

	for (i = 0; i < EXES; i++)
		add_exec(e, &r, t0, (unsigned int)i);
	for (i = 0; i < DESTS_MIX; i++)
		add_dns(e, &r, t0 + i, 0, dest(i), i);
	for (i = 0; i < r.n; i++) {
		struct sg_dns_answer ans;
		struct sg_obs_event ev;

		if (decode(r.buf + r.off[i], &ev, &ans))
			sg_detector_observed(&e->d, &ev);
	}
	free(r.buf);
	free(r.off);
}

static void pin_to_this_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("bench-detector: sched_setaffinity");
}

/* Move every record's time on by dt (the next round follows the last). */
static void shift(struct recs *r, __u64 dt)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct sg_obs_hdr *h = (void *)(r->buf + r->off[i]);

		h->ts_ns += dt;
		if (h->kind == SG_OBS_FLOW_END)
			((struct sg_obs_flow_end *)h)->start_ns += dt;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define ROUNDS 3

/*
 * Rounds of the whole mix, each after the one before in record time (the
 * detector's state carries on, as in a daemon that runs): the best round
 * counts, the machine being shared; the median is printed beside it.
 */
static void bench_throughput(void)
{
	struct env e;
	struct recs r = { 0 };
	static __u8 copy[sizeof(struct sg_obs_exec) + sizeof(struct sg_obs_dns)];
	struct sg_dns_answer ans;
	struct sg_obs_event ev;
	struct json_object *st;
	double c0, w0, base[ROUNDS], det[ROUNDS], wall[ROUNDS], base_rate, det_rate;
	unsigned long long i, fed = 0, sum = 0;
	long long alerts = 0;
	int err = env_start(&e), k;

	if (err) {
		fprintf(stderr, "bench-detector: detector: %s\n", strerror(-err));
		failed = 1;
		return;
	}
	pin_to_this_cpu();
	make_mix(&e, &r, n_events);
	name_all(&e);
	for (k = 0; k < ROUNDS; k++) {
		if (k)
			shift(&r, n_events * 10000ULL);
		/* Baseline: check, parse and copy each record; nothing else. */
		c0 = cpu_now();
		for (i = 0; i < r.n; i++) {
			const __u8 *rec = r.buf + r.off[i];

			if (!decode(rec, &ev, &ans))
				continue;
			memcpy(copy, rec, ev.hdr->size);
			sum += copy[8] + (ev.answer ? ev.answer->nr_addrs : 0);
		}
		base[k] = r.n / (cpu_now() - c0);

		/* The same, then sovguardd's callback; a flush every 5 s of records. */
		c0 = cpu_now();
		w0 = mono_now();
		for (i = 0; i < r.n; i++) {
			if (!decode(r.buf + r.off[i], &ev, &ans))
				continue;
			sg_detector_observed(&e.d, &ev);
			fed++;
			if (!(i % 500000) && i)
				sg_detect_flush(e.d.det->eng, time(NULL));
		}
		sg_detect_flush(e.d.det->eng, time(NULL));
		det[k] = r.n / (cpu_now() - c0);
		wall[k] = r.n / (mono_now() - w0);
		printf("detector: round %d: baseline %10.0f, detector %10.0f records/cpu-s "
		       "(%10.0f /s wall)\n", k + 1, base[k], det[k], wall[k]);
	}
	qsort(base, ROUNDS, sizeof(double), cmp_double);
	qsort(det, ROUNDS, sizeof(double), cmp_double);
	base_rate = base[ROUNDS - 1];
	det_rate = det[ROUNDS - 1];
	st = status_of(&e);
	{
		struct json_object *hs = json_object_object_get(st, "heuristics");

		json_object_object_foreach(hs, hk, h) {
			(void)hk;
			alerts += jget(h, "alerts");
		}
	}
	printf("detector: baseline decode+copy        %10.0f records/cpu-s  (best of %d, median "
	       "%.0f; %zu records, check %llu)\n", base_rate, ROUNDS, base[ROUNDS / 2], r.n,
	       sum % 10);
	printf("detector: sg_detector_observed        %10.0f records/cpu-s  (best of %d, median "
	       "%.0f; one CPU; %lld conns %lld ends %lld dns %lld execs, %lld alerts)\n",
	       det_rate, ROUNDS, det[ROUNDS / 2], jget(st, "conns"), jget(st, "conn_ends"),
	       jget(st, "dns"), jget(st, "execs"), alerts);
	printf("detector: detector / baseline %.3f, detector / target (1,000,000/s) %.2f%s\n",
	       det_rate / base_rate, det_rate / TARGET_RATE,
	       det_rate < TARGET_RATE ? "  BELOW TARGET" : "");
	json_object_put(st);
	free(r.buf);
	free(r.off);
	env_stop(&e);
}

/* ---- the paced rate through the real ring buffer ----------------------- */

struct consumer {
	struct env *e;
	struct sg_observe *o;
	volatile bool stop;
	unsigned long long records;
};

static void on_record(void *ctx, const struct sg_obs_event *ev)
{
	struct consumer *c = ctx;

	c->records++;
	sg_detector_observed(&c->e->d, ev);
}

/* sovguardd's loop, for the observation and detector fds. */
static void *consume(void *arg)
{
	struct consumer *c = arg;
	struct epoll_event ev = { .events = EPOLLIN }, out[8];
	int ep = epoll_create1(EPOLL_CLOEXEC), n, i;

	ev.data.fd = sg_observe_fd(c->o);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = sg_observe_timer_fd(c->o);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = c->e->d.det->timer_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	while (!c->stop) {
		n = epoll_wait(ep, out, 8, 100);
		for (i = 0; i < n; i++)
			if (!sg_detector_event(&c->e->d, out[i].data.fd))
				sg_observe_drain(c->o);
	}
	close(ep);
	return NULL;
}

static __u64 made_total(int fd)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 *v = calloc(ncpu > 0 ? ncpu : 1, sizeof(*v)), sum = 0;
	__u32 zero = 0;

	if (v && !bpf_map_lookup_elem(fd, &zero, v))
		for (i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

static void bench_rate(void)
{
	char pin_root[64];
	struct env e;
	struct consumer c = { 0 };
	struct sg_obs_feed_bpf *skel = NULL;
	struct sg_obs_stats st;
	__u8 pkt[128] = { 0 };
	size_t addr_off;
	pthread_t th;
	double t0, t_end, elapsed;
	__u64 made = 0, submitted = 0, dropped = 0, read = 0, no_state = 0, want, runs = 0;
	unsigned int k, tick_us = 1000;
	struct timespec next;
	int err, prog_fd;

	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/sg-bench-detector-%d", getpid());
	err = env_start(&e);
	if (err) {
		fprintf(stderr, "bench-detector: detector: %s\n", strerror(-err));
		failed = 1;
		return;
	}
	c.e = &e;
	if (sg_observe_open(&c.o, pin_root)) {
		printf("rate: SKIP (the observation programs do not load here)\n");
		goto out;
	}
	{
		LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);

		skel = sg_obs_feed_bpf__open_opts(&opts);
	}
	if (!skel)
		goto err_bpf;
	skel->rodata->feed_cgroup_id = e.cgroup_id;
	skel->rodata->feed_exe_ino = e.exe_ino;
	skel->rodata->feed_exe_dev = e.exe_dev;
	skel->rodata->feed_tgid = getpid();
	skel->rodata->feed_dns_len = dns_msg(pkt, "bench.example.net", htonl(0x2d000001),
					     &addr_off);
	skel->rodata->feed_dns_addr_off = addr_off;
	if (sg_obs_feed_bpf__load(skel))
		goto err_bpf;
	if (sg_observe_start(c.o, on_record, &c))
		goto err_bpf;
	prog_fd = bpf_program__fd(skel->progs.sg_obs_feed);
	pthread_create(&th, NULL, consume, &c);

	/* Paced: every tick the records due by then, in one test run. */
	want = (__u64)(rate * seconds);
	clock_gettime(CLOCK_MONOTONIC, &next);
	t0 = mono_now();
	while (runs < want) {
		__u64 due = (__u64)((mono_now() - t0) * rate) + 1;
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt));

		if (due > want)
			due = want;
		if (due > runs) {
			topts.repeat = due - runs;
			if (bpf_prog_test_run_opts(prog_fd, &topts))
				goto err_bpf;
			runs = due;
		}
		next.tv_nsec += tick_us * 1000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	t_end = mono_now();
	elapsed = t_end - t0;
	/* The reader drains on its timer: wait until it has everything or a second passed. */
	for (k = 0; k < 40; k++) {
		sg_observe_stats(c.o, &st);
		submitted = dropped = read = 0;
		for (int i = 1; i < SG_OBS_KINDS; i++) {
			submitted += st.submitted[i];
			dropped += st.dropped[i];
			no_state += st.no_state[i];
			read += st.received[i];
		}
		if (read >= submitted)
			break;
		usleep(50000);
	}
	c.stop = true;
	pthread_join(th, NULL);
	made = made_total(bpf_map__fd(skel->maps.sg_feed_made));
	sg_observe_stats(c.o, &st);
	printf("rate: target %.0f records/s for %.0f s: made %llu in %.2f s (%.0f /s)\n", rate,
	       seconds, (unsigned long long)made, elapsed, made / elapsed);
	printf("rate: read %llu (detector fed %llu), dropped (counted) %llu, malformed %llu, "
	       "unexplained %lld, ring drains %llu\n",
	       (unsigned long long)read, c.records, (unsigned long long)dropped,
	       (unsigned long long)st.malformed, (long long)(made - read - dropped),
	       (unsigned long long)st.drains);
	printf("rate: read / made %.4f, rate achieved / target %.3f%s%s\n",
	       made ? (double)read / made : 0, made / elapsed / rate,
	       made / elapsed < 0.9 * rate ? " (the producer lagged: the CPUs are shared)" : "",
	       made != read + dropped || runs != made ? "  FAIL: records unaccounted for" : "");
	if (made != read + dropped || runs != made || submitted != read)
		failed = 1;
	goto out;
err_bpf:
	fprintf(stderr, "bench-detector: rate: BPF: %s\n", strerror(errno));
	failed = 1;
out:
	sg_obs_feed_bpf__destroy(skel);
	sg_observe_close(c.o);
	sg_observe_remove(pin_root);
	rmdir(pin_root);
	env_stop(&e);
}

/* ---- memory at a million destinations ---------------------------------- */

static void mem_line(struct env *e, const char *what, unsigned long long dests, double cpu)
{
	struct json_object *st = status_of(e);
	long cur, peak;

	rss(&cur, &peak);
	printf("memory: %-9s %8llu dests  state %8lld KiB in %8lld entries  RSS %7ld KiB  "
	       "peak %7ld KiB  evictions %9lld%s", what, dests, jget(st, "memory") / 1024,
	       jget(st, "entries"), cur, peak, evictions(st), cpu > 0 ? "" : "\n");
	if (cpu > 0)
		printf("  (%.0f dests/cpu-s)\n", dests / cpu);
	json_object_put(st);
}

static void bench_memory(void)
{
	struct env e;
	struct recs r = { 0 };
	struct sg_dns_answer ans;
	struct sg_obs_event ev;
	__u64 t0 = mono_ns() - 3ULL * 3600 * 1000000000ULL;
	unsigned long long i, j, next = 100000, step = 10000;
	double c0;
	long rss0, peak0, rss1, peak1;
	struct json_object *st;
	int err = env_start(&e);

	if (err) {
		fprintf(stderr, "bench-detector: detector: %s\n", strerror(-err));
		failed = 1;
		return;
	}
	/* The batch buffer first, touched, so that the RSS after is the detector's. */
	rec_add(&r, 1);
	memset(r.buf, 0, r.cap);
	mem_line(&e, "start", 0, 0);
	rss(&rss0, &peak0);
	c0 = cpu_now();
	for (i = 0; i < n_dests; i += step) {
		unsigned long long end = i + step < n_dests ? i + step : n_dests;

		r.len = r.n = 0;
		for (j = i; j < end; j++) {
			__u64 ts = t0 + j * 10000ULL;
			__u32 a = htonl(0x2d000000u + (__u32)j);	/* 45.0.0.0/8: 16 M distinct */

			add_dns(&e, &r, ts, j, a, j);
			add_connect(&e, &r, ts + 1000, j, a, j + 1);
			add_flow_end(&e, &r, ts + 5000, ts + 500, j, a, j + 1);
		}
		for (j = 0; j < r.n; j++)
			if (decode(r.buf + r.off[j], &ev, &ans))
				sg_detector_observed(&e.d, &ev);
		sg_detect_flush(e.d.det->eng, time(NULL));
		if (end >= next || end == n_dests) {
			mem_line(&e, "fed", end, cpu_now() - c0);
			next += next < 250000 ? 150000 : 250000;
		}
	}
	rss(&rss1, &peak1);
	st = status_of(&e);
	{
		const struct sg_detect_config *cfg = &e.d.cfg.detect;
		/* beacon, exfil, dnstun, dnsless, procs, open; the baseline; DNS; suppression */
		long long caps = 6LL * cfg->max_series + cfg->firstseen.max_entries + 1 +
				 cfg->max_dns + cfg->max_suppress;

		printf("memory: entries %lld <= the caps' sum %lld: %s\n", jget(st, "entries"), caps,
		       jget(st, "entries") <= caps ? "bounded" : "FAIL: beyond the caps");
		if (jget(st, "entries") > caps)
			failed = 1;
	}
	printf("memory: after / before: RSS %.2f, peak RSS %.2f; state %lld KiB = %.1f%% of the "
	       "RSS growth; %lld evictions keep every table at its cap\n",
	       (double)rss1 / rss0, (double)peak1 / peak0, jget(st, "memory") / 1024,
	       rss1 > rss0 ? 100.0 * jget(st, "memory") / 1024 / (rss1 - rss0) : 0,
	       evictions(st));
	json_object_put(st);
	free(r.buf);
	free(r.off);
	env_stop(&e);
}

/* Each part in a process of its own: its RSS figures are its own. */
static void run_part(void (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("bench-detector: fork");
		failed = 1;
		return;
	}
	if (!pid) {
		fn();
		fflush(stdout);
		_exit(failed);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		failed = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "events", required_argument, NULL, 'e' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "dests", required_argument, NULL, 'd' },
		{ "only", required_argument, NULL, 'o' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			n_events = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			break;
		case 'd':
			n_dests = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			only = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [--events N] [--rate R] [--seconds S] [--dests N] "
				"[--only throughput|rate|memory]\n", argv[0]);
			return 2;
		}
	}
	sg_log_init("sg-bench-detector", LOG_WARNING, 1);
	if (!only || !strcmp(only, "throughput"))
		run_part(bench_throughput);
	if (!only || !strcmp(only, "rate"))
		run_part(bench_rate);
	if (!only || !strcmp(only, "memory"))
		run_part(bench_memory);
	return failed;
}
