// SPDX-License-Identifier: GPL-2.0
/*
 * Restarts and crashes never open a gap: a prober tries a denied connection
 * every millisecond while the daemon is stopped, killed and restarted over
 * and over, and not one attempt may get through.
 *
 *   rules: deny to au
 *
 * Topology: one prober child joins the test cgroup, unshares one network
 * namespace (only lo up) and loops connect() to 1.1.1.1:443 (AU): EPERM is
 * refused, anything else (ENETUNREACH: let through) is a gap. It counts
 * into shared memory, per cycle. Meanwhile the test cycles the daemon
 * SG_RESTART_CYCLES times (environment SG_RESTART_CYCLES overrides) over:
 *
 *   - SIGTERM, then start;
 *   - SIGKILL of the running daemon (a crash, or the OOM killer), then start;
 *   - SIGKILL during a reload (SIGHUP, then a kill after a random delay);
 *   - SIGKILL during start-up, right after fork or after a random delay
 *     (the OOM killer may strike anywhere), then a full start.
 *
 * Every cycle ends with a daemon that is ready. Asserted: no attempt got
 * through, each cycle saw attempts, and no kernel object leaked: the pins
 * under the pin root, the links on the test cgroup and the maps the
 * attached programs use stay the same in number.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "sovguard_egress.h"
#include "sg_test.h"
#include "sg_child.h"

#define SG_RESTART_CYCLES	250	/* default; SG_RESTART_CYCLES= overrides */
#define SG_RESTART_CYCLES_MAX	100000
#define SG_RESTART_TIMEOUT_S	3600	/* 1,000 cycles take 10-15 min on 2 busy cores */
#define SG_PROBE_INTERVAL_US	1000
#define SG_PROBE_WAIT_US	2000000	/* for the prober to try once in a cycle */
#define SG_KILL_DELAY_MAX_US	150000	/* kills during start-up land within this */
#define SG_MAPS_MAX		256

enum sg_cycle_kind {
	SG_CYCLE_TERM,
	SG_CYCLE_KILL,
	SG_CYCLE_KILL_RELOAD,
	SG_CYCLE_KILL_FORK,
	SG_CYCLE_KILL_STARTUP,
	SG_CYCLE_KINDS,
};

struct shared {
	volatile int stop, ready, cycle;
	volatile unsigned long refused, passed, failed;
	volatile int last_errno;
	volatile unsigned long per_cycle[SG_RESTART_CYCLES_MAX + 1];
};

/* The prober: one cgroup, one empty network namespace, one try a millisecond. */
static void prober(struct shared *sh, const char *cgroup)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(443) };

	/* A test that ends on an assertion must not leave the prober behind. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(1);
	sg_child_enter(cgroup, true);
	inet_pton(AF_INET, "1.1.1.1", &sa.sin_addr);
	sh->ready = 1;
	while (!sh->stop) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

		if (s < 0) {
			sh->failed++;
		} else {
			r = connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
			close(s);
			if (r == EPERM) {
				sh->refused++;
			} else {
				sh->passed++;
				sh->last_errno = r;
			}
			sh->per_cycle[sh->cycle]++;
		}
		usleep(SG_PROBE_INTERVAL_US);
	}
	_exit(0);
}

static void kill_wait(int pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int count_pins(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Links on @cg_id, and the distinct maps their programs use. */
static int count_kernel_objects(__u64 cg_id, int *ret_links, int *ret_maps)
{
	__u32 id = 0, maps[SG_MAPS_MAX], nmaps = 0, i, j;
	int links = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {};
		struct bpf_prog_info pinfo = {};
		__u32 len = sizeof(info), plen = sizeof(pinfo), ids[64];
		int fd = bpf_link_get_fd_by_id(id), pfd;

		if (fd < 0)
			continue;
		if (bpf_link_get_info_by_fd(fd, &info, &len) || info.type != BPF_LINK_TYPE_CGROUP ||
		    info.cgroup.cgroup_id != cg_id) {
			close(fd);
			continue;
		}
		close(fd);
		links++;
		pfd = bpf_prog_get_fd_by_id(info.prog_id);
		if (pfd < 0)
			continue;
		pinfo.nr_map_ids = 64;
		pinfo.map_ids = (__u64)(unsigned long)ids;
		if (!bpf_prog_get_info_by_fd(pfd, &pinfo, &plen))
			for (i = 0; i < pinfo.nr_map_ids && i < 64; i++) {
				for (j = 0; j < nmaps && maps[j] != ids[i]; j++)
					;
				if (j == nmaps && nmaps < SG_MAPS_MAX)
					maps[nmaps++] = ids[i];
			}
		close(pfd);
	}
	*ret_links = links;
	*ret_maps = nmaps;
	return 0;
}

static unsigned long cycles_wanted(void)
{
	const char *s = getenv("SG_RESTART_CYCLES");
	unsigned long n = s ? strtoul(s, NULL, 10) : SG_RESTART_CYCLES;

	return n && n <= SG_RESTART_CYCLES_MAX ? n : SG_RESTART_CYCLES;
}

FIXTURE(restart)
{
	struct sg_testenv env;
};

FIXTURE_SETUP(restart)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "restart"));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to au\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
}

FIXTURE_TEARDOWN(restart)
{
	sg_testenv_cleanup(&self->env);
}

TEST_F_TIMEOUT(restart, kill_and_restart_never_open_a_gap, SG_RESTART_TIMEOUT_S)
{
	unsigned long cycles = cycles_wanted(), c, idle = 0;
	int pins0, links0, maps0, pins, links, maps, pid, prober_pid, i, status;
	struct shared *sh;
	struct timespec t0, t1;
	struct stat st;

	ASSERT_EQ(0, stat(self->env.cgroup, &st));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	srandom(getpid());

	pins0 = count_pins(self->env.pin_root);
	ASSERT_LT(0, pins0);
	ASSERT_EQ(0, count_kernel_objects(st.st_ino, &links0, &maps0));
	ASSERT_LT(0, links0);
	ASSERT_LT(0, maps0);

	prober_pid = fork();
	ASSERT_LE(0, prober_pid);
	if (prober_pid == 0)
		prober(sh, self->env.cgroup);
	for (i = 0; i < 5000 && !sh->ready; i++)
		usleep(1000);
	ASSERT_EQ(1, sh->ready);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (c = 1; c <= cycles; c++) {
		enum sg_cycle_kind kind = c % SG_CYCLE_KINDS;
		unsigned long seen;

		sh->cycle = c;
		switch (kind) {
		case SG_CYCLE_TERM:
			sg_testenv_stop(&self->env, SIGTERM);
			break;
		case SG_CYCLE_KILL:
			sg_testenv_stop(&self->env, SIGKILL);
			break;
		case SG_CYCLE_KILL_RELOAD:
			kill(self->env.pid, SIGHUP);
			usleep(random() % 20000);
			sg_testenv_stop(&self->env, SIGKILL);
			break;
		case SG_CYCLE_KILL_FORK:
		case SG_CYCLE_KILL_STARTUP:
			sg_testenv_stop(&self->env, SIGKILL);
			pid = sg_testenv_spawn(&self->env);
			ASSERT_LT(0, pid);
			if (kind == SG_CYCLE_KILL_STARTUP)
				usleep(random() % SG_KILL_DELAY_MAX_US);
			kill_wait(pid);
			break;
		default:
			break;
		}
		ASSERT_EQ(0, sg_testenv_start(&self->env)) {
			TH_LOG("cycle %lu: the daemon did not come up", c);
		}
		seen = sh->per_cycle[c];
		for (i = 0; i < SG_PROBE_WAIT_US / 1000 && sh->per_cycle[c] == seen; i++)
			usleep(1000);
		if (!sh->per_cycle[c])
			idle++;
		if (sh->passed)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sh->stop = 1;
	waitpid(prober_pid, &status, 0);

	TH_LOG("%lu cycles in %.1f s: %lu refused, %lu through (last errno %d), %lu failed",
	       c - 1, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, sh->refused,
	       sh->passed, sh->last_errno, sh->failed);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0UL, sh->passed) {
		TH_LOG("a denied connection got through in cycle %lu", c);
	}
	EXPECT_EQ(0UL, idle);
	EXPECT_LT(cycles, sh->refused);

	pins = count_pins(self->env.pin_root);
	ASSERT_EQ(0, count_kernel_objects(st.st_ino, &links, &maps));
	EXPECT_EQ(pins0, pins);
	EXPECT_EQ(links0, links);
	EXPECT_EQ(maps0, maps);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
