// SPDX-License-Identifier: GPL-2.0
/*
 * Reload under load: the policy flips between two rule sets about 100
 * times a second while connections run.
 *
 *   A:  deny to au                     (rule 0)
 *   B:  allow to 192.0.2.0/24          (rule 0, matches nothing here)
 *       deny to us                     (rule 1)
 *
 * Topology: a child joins the test cgroup and an empty network namespace
 * (only lo) and runs SG_CONNECTORS threads that connect in a loop to an AU
 * and a US address: each attempt must end in EPERM or ENETUNREACH, nothing
 * else. Meanwhile two threads of the test decide the same two queries with
 * BPF_PROG_TEST_RUN against the daemon's own pinned policy slot; each answer
 * carries its generation, and all answers of one generation must come from
 * one rule set: never a mix.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "sovguard_egress.h"
#include "sg_test.h"
#include "decide_test.skel.h"

#define SG_CONNECTORS	16
#define FLIPS		200
#define FLIP_US		10000
#define FLIP_WAIT_US	5000000	/* for one reload to be published */
#define GENS		65536

#define RULES_A "deny to au\n"
#define RULES_B "allow to 192.0.2.0/24\ndeny to us\n"

struct shared {
	volatile int stop;
	volatile unsigned long attempts, refused, passed, unexpected;
	volatile unsigned long au_refused, au_passed;
	volatile int last_errno;
};

static struct shared *sh;

static void *connector(void *arg)
{
	long id = (long)arg;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(443) };

	inet_pton(AF_INET, id & 1 ? "8.8.8.8" : "1.1.1.1", &sa.sin_addr);
	while (!sh->stop) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), r;

		if (fd < 0)
			continue;
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
		close(fd);
		__sync_fetch_and_add(&sh->attempts, 1);
		if (r == EPERM) {
			__sync_fetch_and_add(&sh->refused, 1);
			if (!(id & 1))
				__sync_fetch_and_add(&sh->au_refused, 1);
		} else if (r == ENETUNREACH) {
			__sync_fetch_and_add(&sh->passed, 1);
			if (!(id & 1))
				__sync_fetch_and_add(&sh->au_passed, 1);
		} else {
			__sync_fetch_and_add(&sh->unexpected, 1);
			sh->last_errno = r;
		}
	}
	return NULL;
}

/* Which rule set an answer belongs to: 1 = A, 2 = B, 3 = neither. */
static int ruleset_of(int au, __u32 ret)
{
	__u32 verdict = ret & 3, rule = (ret >> 2) & 0x3fff;

	if (au)
		return verdict == SG_VERDICT_DENY && rule == 1 ? 1 :
		       verdict == SG_VERDICT_ALLOW && rule == 0 ? 2 : 3;
	return verdict == SG_VERDICT_ALLOW && rule == 0 ? 1 :
	       verdict == SG_VERDICT_DENY && rule == 2 ? 2 : 3;
}

struct tester {
	int prog_fd;
	volatile int *stop;
	unsigned char *seen;	/* per generation: OR of ruleset_of() */
	unsigned long runs, errors;
};

static void *tester(void *arg)
{
	struct tester *t = arg;
	struct sg_query q[2] = {};

	setpriority(PRIO_PROCESS, 0, 10);
	q[0].family = q[1].family = SG_AF_INET;
	q[0].protocol = q[1].protocol = 6;
	q[0].port = q[1].port = 443;
	inet_pton(AF_INET, "1.1.1.1", q[0].addr);
	inet_pton(AF_INET, "8.8.8.8", q[1].addr);
	while (!*t->stop) {
		int i;

		for (i = 0; i < 2; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &q[i],
				    .data_size_in = sizeof(q[i]), .repeat = 1);

			if (bpf_prog_test_run_opts(t->prog_fd, &opts) || opts.retval == 0xffffffff) {
				t->errors++;
				continue;
			}
			__atomic_fetch_or(&t->seen[opts.retval >> 16], ruleset_of(i == 0, opts.retval),
					  __ATOMIC_RELAXED);
			t->runs++;
		}
	}
	return NULL;
}

FIXTURE(reload)
{
	struct sg_testenv env;
};

FIXTURE_SETUP(reload)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "reload"));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, RULES_A));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
}

FIXTURE_TEARDOWN(reload)
{
	sg_testenv_cleanup(&self->env);
}

TEST_F(reload, flips_under_load_never_mix)
{
	static unsigned char seen[GENS];
	struct sg_decide_test_bpf *skel;
	struct tester t[2] = {};
	pthread_t tt[2];
	volatile int stop = 0;
	__u32 gen0, gen1;
	char path[512];
	int pid, status, i, fd, mixed = 0;
	__u64 busy;
	struct timespec t0, t1;
	double secs;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset((void *)sh, 0, sizeof(*sh));

	/* The test wrapper decides from the daemon's own policy slot. */
	skel = sg_decide_test_bpf__open();
	ASSERT_NE(NULL, skel);
	snprintf(path, sizeof(path), "%s/sg_policy", self->env.pin_root);
	fd = bpf_obj_get(path);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, bpf_map__reuse_fd(skel->maps.sg_policy, fd));
	close(fd);
	ASSERT_EQ(0, sg_decide_test_bpf__load(skel));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		pthread_t th[SG_CONNECTORS];
		char procs[4200];
		FILE *f;
		long n;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", self->env.cgroup);
		f = fopen(procs, "we");
		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
			_exit(1);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		/* Load, not starvation: the daemon and the flips keep their share. */
		if (nice(10) < 0)
			_exit(1);
		for (n = 0; n < SG_CONNECTORS; n++)
			pthread_create(&th[n], NULL, connector, (void *)n);
		for (n = 0; n < SG_CONNECTORS; n++)
			pthread_join(th[n], NULL);
		_exit(0);
	}

	for (i = 0; i < 2; i++) {
		t[i].prog_fd = bpf_program__fd(skel->progs.sg_decide_test);
		t[i].stop = &stop;
		t[i].seen = seen;
		pthread_create(&tt[i], NULL, tester, &t[i]);
	}

	gen0 = sg_testenv_generation(&self->env);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/*
	 * Each flip waits until the daemon has published it (signals sent
	 * faster than it reloads would merge), so the count of generations does
	 * not depend on how busy the machine is.
	 */
	for (i = 0; i < FLIPS; i++) {
		__u32 before = sg_testenv_generation(&self->env);
		int w;

		ASSERT_EQ(0, sg_testenv_write_rules(&self->env, i % 2 ? RULES_A : RULES_B));
		kill(self->env.pid, SIGHUP);
		for (w = 0; w < FLIP_WAIT_US / 1000 && sg_testenv_generation(&self->env) == before;
		     w++)
			usleep(1000);
		usleep(FLIP_US);
	}
	gen1 = sg_testenv_generation(&self->env);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	stop = 1;
	sh->stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(tt[i], NULL);
	waitpid(pid, &status, 0);
	sg_decide_test_bpf__destroy(skel);

	for (i = 0; i < GENS; i++)
		if (seen[i] & (seen[i] - 1)) {
			if (mixed++ < 5)
				TH_LOG("generation %d answered from more than one rule set (%#x)", i,
				       seen[i]);
		}
	TH_LOG("%u generations published in %.1f s (%.0f a second); %lu connects (%lu refused, %lu passed), "
	       "%lu unexpected (last errno %d); %lu+%lu test runs",
	       gen1 - gen0, secs, (gen1 - gen0) / secs, sh->attempts, sh->refused, sh->passed, sh->unexpected,
	       sh->last_errno, t[0].runs, t[1].runs);
	EXPECT_EQ(0, mixed);
	EXPECT_EQ(0UL, sh->unexpected);
	EXPECT_EQ(0UL, t[0].errors + t[1].errors);
	/* The flips really happened, and the connectors saw both rule sets. */
	EXPECT_EQ(gen1 - gen0, (__u32)FLIPS);
	EXPECT_GT(sh->au_refused, 0UL);
	EXPECT_GT(sh->au_passed, 0UL);
	EXPECT_GT(t[0].runs, 1000UL);
	/* Every decision under that load had a work slot of its own. */
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_BUSY, &busy));
	EXPECT_EQ(0ULL, busy);
}

TEST_HARNESS_MAIN
