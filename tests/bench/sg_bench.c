// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: what sovguard costs, as ratios against a baseline measured in
 * the same run. Every network figure alternates rounds with and without the
 * programs (the process moves between a cgroup under sovguard and a sibling
 * that is not) and reports medians of the rounds.
 *
 * Topology: one process in a private network namespace; lo is up and holds
 * 198.18.0.1 (RFC 2544 benchmark space, no country in the data, so every
 * connection is decided by the full tables and falls to the default). A
 * server thread accepts there. UDP connects go to 64k addresses drawn from
 * the jurisdiction data; no route leads anywhere, so nothing leaves.
 *
 * usage: sg-bench [--rounds N] [--data PATH] [--policy-only | --net-only | --observe-only]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libloc/libloc.h>
#include <math.h>
#include <libloc/database.h>

#include "compile.h"
#include "observe.h"
#include "publish.h"
#include "sg_test.h"
#include "decide_test.skel.h"

#define TCP_CONNECTS	4096
#define UDP_DESTS	65536
#define SENDTOS		20480
#define LOAD_THREADS	16
#define BENCH_ADDR	"198.18.0.1"
#define BENCH_PORT	8443

static int rounds = 7;
static bool observe_only;
static const char *data_path;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)(p * (n - 1))];
}

static double median(double *v, size_t n)
{
	return pct(v, n, 0.5);
}

static void ratio_line(const char *what, double on, double off, const char *unit, double target)
{
	printf("%-44s %10.2f %-3s vs %10.2f %-3s  ratio %.3f  (target <= %.2f)\n", what, on, unit,
	       off, unit, on / off, target);
}

/* ---- the policy figures (no network) ------------------------------------- */

static double libloc_enumeration(const char *path, size_t *ret_n)
{
	struct loc_database_enumerator *en;
	struct loc_database *db;
	struct loc_network *net;
	struct loc_ctx *ctx;
	double t0, t;
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f || loc_new(&ctx))
		return -1;
	t0 = now_s();
	if (loc_database_new(ctx, &db, f) ||
	    loc_database_enumerator_new(&en, db, LOC_DB_ENUMERATE_NETWORKS, 0))
		return -1;
	while (!loc_database_enumerator_next_network(en, &net) && net) {
		n++;
		loc_network_unref(net);
	}
	t = now_s() - t0;
	loc_database_enumerator_unref(en);
	loc_database_unref(db);
	loc_unref(ctx);
	fclose(f);
	*ret_n = n;
	return t;
}

static int null_unit(void *ctx, const char *unit, char *path, size_t len)
{
	return -ENOENT;
}

static int null_cgroup(void *ctx, const char *path, __u64 *id)
{
	return -ENOENT;
}

static int null_exe(void *ctx, const char *path, __u32 *kdev, __u64 *ino)
{
	return -ENOENT;
}

static const struct sg_resolver null_resolver = { null_unit, null_cgroup, null_exe, NULL };

static const __u32 big_asns[] = {
	3320, 3209, 6805, 16509, 14618, 8075, 15169, 396982, 13335, 20940, 16276, 24940, 12876,
	51167, 197540, 8560, 3215, 12322, 5410, 1136, 3301, 1299, 174, 3356, 6939, 2914, 3257,
	6461, 6453, 7018, 701, 209, 7922, 22773, 20115, 4134, 4837, 9808, 4538, 4766, 2516, 17676,
	7713, 45609, 55836, 9498, 28573, 8151, 26599, 12389,
};

/* parse + compile + publish; the wall time of all three. */
static double build(const char *rules, const struct sg_data *data, int outer_fd, __u32 gen,
		    struct sg_image **ret_img)
{
	struct sg_parser *p = NULL;
	struct sg_policy *pol = NULL;
	struct sg_image *img = NULL;
	struct sg_live live = { .fd = -1 };
	double t0 = now_s(), t;

	if (sg_parser_new(data, stderr, &p) ||
	    sg_parser_add_buffer(p, "bench.rules", rules, strlen(rules)) ||
	    sg_parser_finish(p, &pol) ||
	    sg_compile(pol, data, &null_resolver, gen, stderr, &img) ||
	    sg_image_publish(outer_fd, img, &live))
		return -1;
	t = now_s() - t0;
	sg_parser_free(p);
	sg_policy_free(pol);
	sg_live_release(&live);
	if (ret_img)
		*ret_img = img;
	else
		sg_image_free(img);
	return t;
}

/* memlock of a map, as the kernel accounts it (fdinfo). */
static long long map_memlock(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int bench_policy(void)
{
	static char rules[1 << 20];
	struct sg_decide_test_bpf *skel;
	struct sg_image *img = NULL;
	struct sg_data *data = NULL;
	double t_enum[5], t_loads[5], t_load, t_typ[5], t_worst[3];
	size_t nnet = 0, at, nranges = 0, i, n4 = 0;
	char cc[3] = "";
	int r, fd;

	skel = sg_decide_test_bpf__open_and_load();
	if (!skel)
		return 1;
	fd = bpf_map__fd(skel->maps.sg_policy);

	/* Alternately, so that the machine's drift weighs on both alike. */
	for (r = 0; r < 5; r++) {
		double t0;

		t_enum[r] = libloc_enumeration(data_path, &nnet);
		sg_data_free(data);
		data = NULL;
		t0 = now_s();
		if (sg_data_new(&data) || sg_data_load(data, data_path, NULL, stderr) ||
		    sg_data_finish(data))
			return 1;
		t_loads[r] = now_s() - t0;
	}
	t_load = median(t_loads, 5);

	/* Typical: the EU-only example, 20 more countries, 50 operators. */
	at = snprintf(rules, sizeof(rules), "allow to eu name eu-only\n");
	{
		static const char *const c20[] = {
			"us", "cn", "ru", "gb", "ca", "au", "nz", "jp", "kr", "in",
			"br", "sg", "hk", "tw", "ir", "kp", "tr", "ae", "sa", "il",
		};

		for (i = 0; i < 20; i++)
			at += snprintf(rules + at, sizeof(rules) - at, "deny to %s\n", c20[i]);
	}
	for (i = 0; i < 50; i++)
		at += snprintf(rules + at, sizeof(rules) - at, "deny operator as%u\n", big_asns[i]);
	snprintf(rules + at, sizeof(rules) - at, "default deny\n");
	for (r = 0; r < 5; r++)
		t_typ[r] = build(rules, data, fd, r + 1, NULL);

	/* Worst case: every country its own class. */
	at = 0;
	for (cc[0] = 'a'; cc[0] <= 'z'; cc[0]++)
		for (cc[1] = 'a'; cc[1] <= 'z'; cc[1]++)
			if (sg_country_valid(cc))
				at += snprintf(rules + at, sizeof(rules) - at, "audit to country %s\n", cc);
	for (r = 0; r < 3; r++) {
		sg_image_free(img);
		img = NULL;
		t_worst[r] = build(rules, data, fd, 10 + r, &img);
	}
	printf("\n== policy (jurisdiction data %s: %zu networks)\n", data_path, nnet);
	printf("%-44s %10.3f s\n", "libloc plain network enumeration", median(t_enum, 5));
	printf("%-44s %10.3f s\n", "load data (enumerate, sort, overlap sweep)", t_load);
	printf("%-44s %10.3f s  (target <= 0.50 s)\n",
	       "compile + publish typical policy (71 rules)", median(t_typ, 5));
	printf("%-44s %10.3f s  ratio %.2f to plain enumeration\n",
	       "compile + publish, every country a class", median(t_worst, 3),
	       median(t_worst, 3) / median(t_enum, 5));
	printf("%-44s %10.3f s  ratio %.2f to plain enumeration (target <= 1.50)\n",
	       "from the database: load + compile + publish", t_load + median(t_worst, 3),
	       (t_load + median(t_worst, 3)) / median(t_enum, 5));

	/* Kernel memory: the worst-case image against an LPM trie of the data's IPv4 networks. */
	{
		const struct sg_range *rg = sg_data_ranges(data);
		struct sg_live live = { .fd = -1 };
		struct { __u32 plen; __u8 a[4]; } key;
		__u32 val = 0;
		int trie;
		FILE *nft;
		char nftpath[] = "/tmp/sg-bench-nft-XXXXXX";
		int nfd = mkstemp(nftpath);
		double t_nft;

		nranges = sg_data_nr_ranges(data);
		trie = bpf_map__fd(skel->maps.sg_bench_trie);
		nft = nfd >= 0 ? fdopen(nfd, "w") : NULL;
		if (nft)
			fprintf(nft, "table ip sgbench {\n set nets {\n  type ipv4_addr\n"
				     "  flags interval\n  elements = {\n");
		for (i = 0; i < nranges; i++) {
			const __u8 *f = rg[i].first.s6_addr, *l = rg[i].last.s6_addr;
			__u32 a, b, len;

			if (f[10] != 0xff || f[11] != 0xff || f[0] || l[10] != 0xff)
				continue;
			a = (__u32)f[12] << 24 | f[13] << 16 | f[14] << 8 | f[15];
			b = (__u32)l[12] << 24 | l[13] << 16 | l[14] << 8 | l[15];
			/* each range as the largest aligned prefix at its start */
			for (len = 0; len < 32; len++) {
				__u32 mask = len ? ~0u << (32 - len) : 0;

				if ((a & ~mask) == 0 && (a | ~mask) <= b)
					break;
			}
			key.plen = len;
			memcpy(key.a, &(__u32){ htonl(a) }, 4);
			bpf_map_update_elem(trie, &key, &val, BPF_ANY);
			if (nft)
				fprintf(nft, "%s%u.%u.%u.%u-%u.%u.%u.%u", n4 ? ",\n" : "", a >> 24,
					(a >> 16) & 255, (a >> 8) & 255, a & 255, b >> 24,
					(b >> 16) & 255, (b >> 8) & 255, b & 255);
			n4++;
		}
		if (nft) {
			fprintf(nft, "\n  }\n }\n}\n");
			fclose(nft);
		}
		sg_image_publish(fd, img, &live);
		{
			/* The decision alone, in the kernel: an IPv4 and an IPv6 query. */
			struct sg_query q = { .family = SG_AF_INET, .protocol = 6, .port = 443 };
			LIBBPF_OPTS(bpf_test_run_opts, to, .data_in = &q, .data_size_in = sizeof(q),
				    .repeat = 200000);
			struct sg_query q0 = q;
			LIBBPF_OPTS(bpf_test_run_opts, t0, .data_in = &q0,
				    .data_size_in = sizeof(q0), .repeat = 200000);
			int pfd = bpf_program__fd(skel->progs.sg_decide_test);

			inet_pton(AF_INET, "193.0.6.139", q.addr);
			bpf_prog_test_run_opts(pfd, &to);
			q.family = SG_AF_INET6;
			inet_pton(AF_INET6, "2a00:1450:4001::1", q.addr);
			LIBBPF_OPTS(bpf_test_run_opts, t6, .data_in = &q, .data_size_in = sizeof(q),
				    .repeat = 200000);
			bpf_prog_test_run_opts(pfd, &t6);
			/* baseline: the same program, no image to decide from */
			sg_live_release(&live);
			bpf_map_delete_elem(fd, &(__u32){ 0 });
			bpf_prog_test_run_opts(pfd, &t0);
			printf("%-44s %10u ns (IPv4), %u ns (IPv6) vs %u ns empty run\n",
			       "one decision, worst-case image (test run)", to.duration,
			       t6.duration, t0.duration);
			sg_image_publish(fd, img, &live);
		}
		printf("%-44s %10.1f MB vs %10.1f MB LPM trie (%zu IPv4 networks)  ratio %.2f "
		       "(target <= 35 MB); content %.1f MB\n", "kernel memory, worst-case image",
		       map_memlock(live.fd) / 1e6, map_memlock(trie) / 1e6, n4,
		       (double)map_memlock(live.fd) / map_memlock(trie),
		       img->nr_blocks * (double)SG_BLK_BYTES / 1e6);
		/* Cold lookups: 64k random IPv4 networks of the data, one run each. */
		{
			int dp = bpf_program__fd(skel->progs.sg_decide_test);
			int tp = bpf_program__fd(skel->progs.sg_trie_test);
			struct sg_query q = { .family = SG_AF_INET, .protocol = 17, .port = 443 };
			double sum_d = 0, sum_t = 0;
			unsigned int k, nq = 0;

			srand(7);
			for (k = 0; k < 65536; k++) {
				const struct sg_range *x = &rg[(size_t)rand() % nranges];
				LIBBPF_OPTS(bpf_test_run_opts, od, .data_in = &q,
					    .data_size_in = sizeof(q), .repeat = 1);
				LIBBPF_OPTS(bpf_test_run_opts, ot, .data_in = &q,
					    .data_size_in = sizeof(q), .repeat = 1);

				if (x->first.s6_addr[10] != 0xff || x->first.s6_addr[0])
					continue;
				memcpy(q.addr, &x->first.s6_addr[12], 4);
				if (bpf_prog_test_run_opts(dp, &od) || bpf_prog_test_run_opts(tp, &ot))
					continue;
				sum_d += od.duration;
				sum_t += ot.duration;
				nq++;
			}
			if (nq)
				printf("%-44s %10.0f ns vs %10.0f ns LPM trie lookup  ratio %.2f\n",
				       "cold decision, random data network (test run)", sum_d / nq,
				       sum_t / nq, sum_d / sum_t);
		}
		sg_live_release(&live);

		if (!access("/usr/sbin/nft", X_OK)) {
			char cmd[256];

			snprintf(cmd, sizeof(cmd), "unshare -n /usr/sbin/nft -f %s", nftpath);
			t_nft = now_s();
			if (system(cmd) == 0)
				printf("%-44s %10.3f s  (%zu intervals, for comparison)\n",
				       "nft -f, the IPv4 networks as an interval set", now_s() - t_nft,
				       n4);
		}
		unlink(nftpath);
	}
	sg_image_free(img);
	sg_data_free(data);
	sg_decide_test_bpf__destroy(skel);
	return 0;
}

/* ---- the network figures --------------------------------------------------- */

struct netbench {
	struct sg_testenv env;
	char off[4200];
	char home[8400];	/* our cgroup before the benchmark */
	struct in_addr udp_dst4[UDP_DESTS];
	int listen_fd;
};

static void join(const char *cgroup)
{
	char path[4300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		perror(path);
}

static void *server(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EBADF || errno == EINVAL)
				return NULL;
			continue;
		}
		close(fd);
	}
}

static int tcp_connect_once(const struct sockaddr_in *sa, double *lat)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;
	double t0;

	if (fd < 0)
		return -errno;
	t0 = now_s();
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? -errno : 0;
	*lat = (now_s() - t0) * 1e6;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	return r;
}

/*
 * One round of each figure: BLOCKS blocks, each measured once inside the
 * guarded cgroup and once beside it, the order alternating A B B A so that a
 * drift of the machine over the round (caches, frequency, the ephemeral
 * port search) weighs on both sides alike. Each figure has rounds of its
 * own, so that one workload's cache footprint does not land in another's.
 */
#define BLOCKS		64
#define TCP_BLOCK	(TCP_CONNECTS / BLOCKS)
#define UDP_BLOCK	(UDP_DESTS / BLOCKS)
#define SENDTO_BLOCK	(SENDTOS / BLOCKS)

enum { FIG_TCP, FIG_UDP, FIG_SENDTO };

struct side {
	double tcp[TCP_CONNECTS];
	double sum_s;
	int ntcp;
};

static void measure_block(struct netbench *nb, int fig, int b, struct side *sd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(BENCH_PORT) };
	double t0;
	int fd, i;

	inet_pton(AF_INET, BENCH_ADDR, &sa.sin_addr);
	if (fig == FIG_TCP) {
		for (i = 0; i < TCP_BLOCK; i++)
			tcp_connect_once(&sa, &sd->tcp[sd->ntcp++]);
		return;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	t0 = now_s();
	if (fig == FIG_UDP) {
		sa.sin_port = htons(443);
		for (i = 0; i < UDP_BLOCK; i++) {
			sa.sin_addr = nb->udp_dst4[b * UDP_BLOCK + i];
			connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		}
	} else {
		sa.sin_port = htons(9);
		for (i = 0; i < SENDTO_BLOCK; i++)
			sendto(fd, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa));
	}
	sd->sum_s += now_s() - t0;
	close(fd);
}

/* One round of figure @fig: both sides' blocks, interleaved. */
static void fig_round(struct netbench *nb, int fig, struct side *on, struct side *off)
{
	int b, k;

	memset(on, 0, sizeof(*on));
	memset(off, 0, sizeof(*off));
	for (b = 0; b < BLOCKS; b++)
		for (k = 0; k < 2; k++) {
			bool guarded = (b + k + b / 2) % 2;

			join(guarded ? nb->env.cgroup : nb->off);
			measure_block(nb, fig, b, guarded ? on : off);
		}
}

static void net_round(struct netbench *nb, int r, double *on50, double *off50, double *on99,
		      double *off99, double *onu, double *offu, double *ons, double *offs)
{
	static struct side on, off;

	fig_round(nb, FIG_TCP, &on, &off);
	on50[r] = pct(on.tcp, on.ntcp, 0.5);
	off50[r] = pct(off.tcp, off.ntcp, 0.5);
	on99[r] = pct(on.tcp, on.ntcp, 0.99);
	off99[r] = pct(off.tcp, off.ntcp, 0.99);
	fig_round(nb, FIG_UDP, &on, &off);
	onu[r] = on.sum_s / UDP_DESTS * 1e6;
	offu[r] = off.sum_s / UDP_DESTS * 1e6;
	fig_round(nb, FIG_SENDTO, &on, &off);
	ons[r] = on.sum_s / (BLOCKS * SENDTO_BLOCK) * 1e6;
	offs[r] = off.sum_s / (BLOCKS * SENDTO_BLOCK) * 1e6;
}

struct load {
	volatile int stop;
	volatile unsigned long unexpected, done;
};

static struct load *ld;

static void *loader(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(BENCH_PORT) };
	double lat;

	inet_pton(AF_INET, BENCH_ADDR, &sa.sin_addr);
	while (!ld->stop) {
		if (tcp_connect_once(&sa, &lat))
			__sync_fetch_and_add(&ld->unexpected, 1);
		__sync_fetch_and_add(&ld->done, 1);
	}
	return NULL;
}

/*
 * Observation on versus off, both sides under enforcement in the guarded
 * cgroup: before each "on" block the observation programs are attached and
 * every kind is on (each connect then makes a CONNECT and a FLOW_END
 * record), before each "off" block they are detached and the egress
 * programs' inline part is off (one map read). A reader thread drains the
 * ring buffer as the daemon does: on its timer and on the kernel's wakeups
 * past the fill threshold.
 */
static volatile int obs_stop;
static unsigned long long obs_read;
static __u32 obs_kinds = SG_OBS_ALL;

static void obs_count(void *ctx, const struct sg_obs_event *ev)
{
	obs_read++;
}

static void *obs_reader(void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	struct sg_observe *o = arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ev.data.fd = sg_observe_fd(o);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = sg_observe_timer_fd(o);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	while (!obs_stop)
		if (epoll_wait(ep, out, 2, 100) > 0)
			sg_observe_drain(o);
	close(ep);
	return NULL;
}

static double hook_ns(struct netbench *nb, const char *link, __u64 *ret_cnt);

static void bench_observe(struct netbench *nb)
{
	static struct side on, off;
	double on50[32], off50[32], on99[32], off99[32];
	struct sg_obs_stats st;
	struct sg_observe *o;
	pthread_t reader;
	int r, b, k, attached = 0;

	/* SG_BENCH_OBS_KINDS: which kinds the "on" side makes (bit per kind) */
	if (getenv("SG_BENCH_OBS_KINDS"))
		obs_kinds = strtoul(getenv("SG_BENCH_OBS_KINDS"), NULL, 0);
	if (sg_observe_open(&o, nb->env.pin_root) || sg_observe_start(o, obs_count, NULL)) {
		fprintf(stderr, "sg-bench: observation could not be loaded\n");
		return;
	}
	obs_stop = 0;
	pthread_create(&reader, NULL, obs_reader, o);
	join(nb->env.cgroup);
	for (r = 0; r < rounds; r++) {
		memset(&on, 0, sizeof(on));
		memset(&off, 0, sizeof(off));
		for (b = 0; b < BLOCKS; b++)
			for (k = 0; k < 2; k++) {
				bool observed = (b + k + b / 2) % 2;

				if (observed && !attached) {
					if (sg_observe_attach(o, nb->env.cgroup))
						goto out;
					attached = 1;
				} else if (!observed && attached) {
					sg_observe_detach(o);
					attached = 0;
				}
				sg_observe_set_kinds(o, observed ? obs_kinds : 0, 0);
				usleep(5000);	/* attach and detach settle (RCU) */
				measure_block(nb, FIG_TCP, b, observed ? &on : &off);
			}
		on50[r] = pct(on.tcp, on.ntcp, 0.5);
		off50[r] = pct(off.tcp, off.ntcp, 0.5);
		on99[r] = pct(on.tcp, on.ntcp, 0.99);
		off99[r] = pct(off.tcp, off.ntcp, 0.99);
	}
	printf("\n== observation (medians of %d alternating rounds; enforcing on both sides)\n",
	       rounds);
	/* Where the time goes: one more observed block with run-time statistics. */
	{
		static const char *const links[] = {
			"link_connect4", "obs_tcp_state", "obs_ingress", "obs_socket",
			"obs_sock_release",
		};
		int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		__u64 cnt0[8] = {}, cnt1[8] = {};
		double ns0[8] = {}, ns1[8] = {};
		size_t i;

		if (!attached && !sg_observe_attach(o, nb->env.cgroup))
			attached = 1;
		sg_observe_set_kinds(o, SG_OBS_ALL, 0);
		for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
			ns0[i] = hook_ns(nb, links[i], &cnt0[i]);
		memset(&on, 0, sizeof(on));
		measure_block(nb, FIG_TCP, 0, &on);
		for (i = 0; stats_fd >= 0 && i < sizeof(links) / sizeof(links[0]); i++) {
			ns1[i] = hook_ns(nb, links[i], &cnt1[i]);
			if (cnt1[i] > cnt0[i])
				printf("%-44s %10.0f ns a run, %.1f runs a connect\n", links[i],
				       (ns1[i] * cnt1[i] - ns0[i] * cnt0[i]) / (cnt1[i] - cnt0[i]),
				       (double)(cnt1[i] - cnt0[i]) / TCP_BLOCK);
		}
		if (stats_fd >= 0)
			close(stats_fd);
	}
	usleep(2 * SG_OBS_FLUSH_MS * 1000);
	sg_observe_stats(o, &st);
	ratio_line("TCP connect p50, observation on vs off", median(on50, rounds),
		   median(off50, rounds), "us", 1.10);
	ratio_line("TCP connect p99, observation on vs off", median(on99, rounds),
		   median(off99, rounds), "us", 1.10);
	printf("%-44s %10llu read, %llu connect + %llu flow_end submitted, %llu + %llu dropped\n",
	       "observation records", obs_read,
	       (unsigned long long)st.submitted[SG_OBS_CONNECT],
	       (unsigned long long)st.submitted[SG_OBS_FLOW_END],
	       (unsigned long long)st.dropped[SG_OBS_CONNECT],
	       (unsigned long long)st.dropped[SG_OBS_FLOW_END]);
	{
		double spread_on = 0, spread_off = 0;

		for (r = 0; r < rounds; r++) {
			spread_on = fmax(spread_on, fabs(on50[r] / median(on50, rounds) - 1));
			spread_off = fmax(spread_off, fabs(off50[r] / median(off50, rounds) - 1));
		}
		printf("%-44s %9.1f %% (on), %.1f %% (off): largest round off its median\n",
		       "noise of the p50 figures", spread_on * 100, spread_off * 100);
	}
out:
	obs_stop = 1;
	pthread_join(reader, NULL);
	sg_observe_detach(o);
	sg_observe_close(o);
}

/* p99 of our own connects while 16 threads connect, with or without reloads. */
static double loaded_p99(struct netbench *nb, bool reloading)
{
	static double lat[TCP_CONNECTS];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(BENCH_PORT) };
	pthread_t th[LOAD_THREADS];
	double next = now_s();
	int i, flip = 0;

	inet_pton(AF_INET, BENCH_ADDR, &sa.sin_addr);
	ld->stop = 0;
	for (i = 0; i < LOAD_THREADS; i++)
		pthread_create(&th[i], NULL, loader, NULL);
	for (i = 0; i < TCP_CONNECTS / 4; i++) {
		if (reloading && now_s() >= next) {
			sg_testenv_write_rules(&nb->env, flip++ % 2 ? "deny to au\n" : "deny to us\n");
			kill(nb->env.pid, SIGHUP);
			next = now_s() + 0.01;
		}
		if (tcp_connect_once(&sa, &lat[i]))
			ld->unexpected++;
	}
	ld->stop = 1;
	for (i = 0; i < LOAD_THREADS; i++)
		pthread_join(th[i], NULL);
	return pct(lat, TCP_CONNECTS / 4, 0.99);
}

static int fail(int where)
{
	fprintf(stderr, "sg-bench: network setup failed at step %d: %s\n", where, strerror(errno));
	return 1;
}

/* Mean run time of one hook program, from the kernel's BPF statistics. */
static double hook_ns(struct netbench *nb, const char *link, __u64 *ret_cnt)
{
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};
	__u32 ll = sizeof(li), pl = sizeof(pi);
	char path[600];
	int lfd, pfd;

	snprintf(path, sizeof(path), "%s/%s", nb->env.pin_root, link);
	lfd = bpf_obj_get(path);
	if (lfd < 0 || bpf_link_get_info_by_fd(lfd, &li, &ll))
		return -1;
	close(lfd);
	pfd = bpf_prog_get_fd_by_id(li.prog_id);
	if (pfd < 0 || bpf_prog_get_info_by_fd(pfd, &pi, &pl))
		return -1;
	close(pfd);
	*ret_cnt = pi.run_cnt;
	return pi.run_cnt ? (double)pi.run_time_ns / pi.run_cnt : 0;
}

static int bench_net(void)
{
	struct netbench *nb = calloc(1, sizeof(*nb));
	double on50[32], off50[32], on99[32], off99[32], onu[32], offu[32], ons[32], offs[32];
	double steady[8], rel[8];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(BENCH_PORT) };
	static char rules[1 << 20];
	struct sg_data *data = NULL;
	cpu_set_t home_cpus;
	pthread_t srv;
	size_t at = 0, nr, i;
	int r, one = 1, stats_fd;
	__u32 gen0;

	ld = mmap(NULL, sizeof(*ld), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!nb || sg_testenv_init(&nb->env, "bench"))
		return fail(1);
	snprintf(nb->off, sizeof(nb->off), "%s-off", nb->env.cgroup);
	{
		char line[4096], *own = NULL;
		FILE *f = fopen("/proc/self/cgroup", "r");

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "0::", 3))
				own = line + 3;
		if (f)
			fclose(f);
		if (own)
			own[strcspn(own, "\n")] = '\0';
		snprintf(nb->home, sizeof(nb->home), "%.*s%s",
			 (int)(strrchr(nb->env.cgroup, '/') - nb->env.cgroup), nb->env.cgroup,
			 own && strcmp(own, "/") ? own : "");
	}
	if (mkdir(nb->off, 0755) && errno != EEXIST)
		return fail(2);

	/* 1,000 rules that this process matches none of: every decision walks them all. */
	for (i = 0; i < 1000; i++) {
		switch (i % 4) {
		case 0:
			at += snprintf(rules + at, sizeof(rules) - at, "deny uid %zu to us, cn\n",
				       20000 + i);
			break;
		case 1:
			at += snprintf(rules + at, sizeof(rules) - at,
				       "deny to 11.%zu.%zu.0/24\n", (i * 7) % 256, i % 256);
			break;
		case 2:
			at += snprintf(rules + at, sizeof(rules) - at, "audit gid %zu operator as%u\n",
				       30000 + i, big_asns[i % 50]);
			break;
		default:
			at += snprintf(rules + at, sizeof(rules) - at, "deny to ru port %zu\n",
				       1 + i);
		}
	}
	snprintf(rules + at, sizeof(rules) - at, "default allow\n");
	if (getenv("SG_BENCH_RULES"))	/* measure another policy */
		snprintf(rules, sizeof(rules), "%s\n", getenv("SG_BENCH_RULES"));
	{
		char extra[4200];

		snprintf(extra, sizeof(extra), "data = %s\n", data_path);
		/* sg_testenv_write_config's data line comes first: ours overrides by order */
		if (sg_testenv_write_config(&nb->env, NULL) ||
		    sg_testenv_write_data(&nb->env, "") || sg_testenv_write_rules(&nb->env, rules))
			return fail(3);
		snprintf(extra, sizeof(extra),
			 "cgroup = %s\npin_root = %s\nrun_dir = %s/run\nrules_dir = %s/rules.d\n"
			 "data = %s\nmode = %s\n", nb->env.cgroup, nb->env.pin_root, nb->env.dir,
			 nb->env.dir, data_path,
			 getenv("SG_BENCH_MODE") ? getenv("SG_BENCH_MODE") : "enforce");
		FILE *f = fopen(nb->env.config, "w");

		if (!f)
			return fail(4);
		fputs(extra, f);
		fclose(f);
	}
	fprintf(stderr, "sg-bench: starting sovguardd with the world data and 1,000 rules\n");
	nb->env.daemon_arg = "--no-observe";	/* bench_observe() loads it itself */
	if (sg_testenv_start(&nb->env)) {
		fprintf(stderr, "sg-bench: sovguardd did not start; see %s\n", nb->env.log);
		return fail(5);
	}

	/* UDP destinations: random addresses inside the data's IPv4 networks. */
	if (sg_data_new(&data) || sg_data_load(data, data_path, NULL, stderr) ||
	    sg_data_finish(data))
		return fail(6);
	nr = sg_data_nr_ranges(data);
	srand(42);
	for (i = 0; i < UDP_DESTS;) {
		const struct sg_range *rg = &sg_data_ranges(data)[(size_t)rand() % nr];

		if (rg->first.s6_addr[10] != 0xff || rg->first.s6_addr[0])
			continue;
		memcpy(&nb->udp_dst4[i], &rg->first.s6_addr[12], 4);
		nb->udp_dst4[i].s_addr = htonl(ntohl(nb->udp_dst4[i].s_addr) + (rand() & 255));
		i++;
	}
	sg_data_free(data);

	if (unshare(CLONE_NEWNET) < 0 || system("ip link set lo up && ip addr add " BENCH_ADDR
						"/32 dev lo"))
		return fail(7);
	nb->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(nb->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, BENCH_ADDR, &sa.sin_addr);
	if (bind(nb->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(nb->listen_fd, 4096))
		return fail(8);
	pthread_create(&srv, NULL, server, &nb->listen_fd);
	/*
	 * The measuring thread on CPU 0, the server on the last CPU: where the
	 * scheduler puts the two otherwise moves a loopback connect's latency
	 * by more than the hook costs.
	 */
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) - 1, &set);
		pthread_setaffinity_np(srv, sizeof(set), &set);
		sg_test_pin_cpu(0, &home_cpus);
	}

	if (observe_only) {
		bench_observe(nb);
		goto done;
	}
	/*
	 * The ratios without run-time statistics, as servers run: with them on
	 * the kernel reads the clock twice around every program run, a cost
	 * the unguarded side does not pay. One more round with them on gives
	 * the programs' run time.
	 */
	for (r = 0; r < rounds; r++)
		net_round(nb, r, on50, off50, on99, off99, onu, offu, ons, offs);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd >= 0) {
		static double x[8][32];

		net_round(nb, 0, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
	}
	printf("\n== network (medians of %d alternating rounds; 1,000 rules, world data)\n",
	       rounds);
	ratio_line("TCP connect p50", median(on50, rounds), median(off50, rounds), "us", 1.02);
	ratio_line("TCP connect p99", median(on99, rounds), median(off99, rounds), "us", 1.02);
	ratio_line("UDP connect, 64k cold destinations (mean)", median(onu, rounds),
		   median(offu, rounds), "us", 1.5);
	ratio_line("UDP sendto (mean)", median(ons, rounds), median(offs, rounds), "us", 1.10);
	if (stats_fd >= 0) {
		__u64 c4 = 0, s4 = 0;
		double n4 = hook_ns(nb, "link_connect4", &c4), n5 = hook_ns(nb, "link_sendmsg4", &s4);

		printf("%-44s %10.0f ns (connect4, %llu runs), %.0f ns (sendmsg4, %llu runs)\n",
		       "hook program run time (bpf_stats)", n4, (unsigned long long)c4, n5,
		       (unsigned long long)s4);
		close(stats_fd);
	}

	sched_setaffinity(0, sizeof(home_cpus), &home_cpus);
	join(nb->env.cgroup);
	gen0 = sg_testenv_generation(&nb->env);
	ld->unexpected = 0;
	for (r = 0; r < 3; r++) {
		steady[r] = loaded_p99(nb, false);
		rel[r] = loaded_p99(nb, true);
	}
	printf("%-44s %10.2f us vs %10.2f us  ratio %.3f  (target <= 1.20); %u reloads, "
	       "%lu unexpected errors (target 0)\n", "connect p99 under 16 threads, reloading",
	       median(rel, 3), median(steady, 3), median(rel, 3) / median(steady, 3),
	       sg_testenv_generation(&nb->env) - gen0, ld->unexpected);
	sched_setaffinity(0, sizeof(home_cpus), &home_cpus);
	sg_test_pin_cpu(0, &home_cpus);
	bench_observe(nb);
	sched_setaffinity(0, sizeof(home_cpus), &home_cpus);

done:
	close(nb->listen_fd);
	/* Back where we came from, so that both test cgroups can go. */
	join(nb->home);
	sg_testenv_cleanup(&nb->env);
	rmdir(nb->off);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "data", required_argument, NULL, 'd' },
		{ "policy-only", no_argument, NULL, 'p' },
		{ "net-only", no_argument, NULL, 'n' },
		{ "observe-only", no_argument, NULL, 'o' },
		{}
	};
	bool policy_only = false, net_only = false;
	int c, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			rounds = atoi(optarg) > 0 && atoi(optarg) <= 31 ? atoi(optarg) : rounds;
		else if (c == 'd')
			data_path = optarg;
		else if (c == 'p')
			policy_only = true;
		else if (c == 'n')
			net_only = true;
		else if (c == 'o')
			net_only = observe_only = true;
		else
			return 2;
	}
	if (!data_path)
		data_path = access(SG_LIBLOC_PATH_UPDATED, R_OK) ? SG_LIBLOC_PATH_PACKAGED :
								  SG_LIBLOC_PATH_UPDATED;
	printf("sovguard benchmarks; %ld CPUs\n", sysconf(_SC_NPROCESSORS_ONLN));
	if (!net_only)
		err = bench_policy();
	if (!err && !policy_only)
		err = bench_net();
	return err;
}
