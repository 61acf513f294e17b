// SPDX-License-Identifier: GPL-2.0
/*
 * The packet socket sweep on the host kernel: sock_diag finds a filtered
 * packet socket that already exists, /proc maps it to its holder, and the
 * pktsock heuristic alerts, or not when the holder is allow-listed.
 *
 * Topology: the test process enters a private network namespace
 * (unshare -n, only lo); a child it forks opens AF_PACKET/SOCK_RAW with a
 * classic BPF filter (SO_ATTACH_FILTER) and a second one without, and
 * waits; the sweep runs in that namespace and sees only those sockets.
 */
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>

#include "kselftest_harness.h"
#include <json-c/json.h>

#include "internal.h"

struct seen {
	unsigned int n;
	struct { enum sg_heur h; __u32 pid; char exe[256], ev[1024]; } a[16];
};

static void collect(void *ctx, const struct sg_alert *al)
{
	struct seen *s = ctx;

	if (s->n >= 16)
		return;
	s->a[s->n].h = al->heur;
	s->a[s->n].pid = al->pid;
	snprintf(s->a[s->n].exe, sizeof(s->a[0].exe), "%s", al->exe ? al->exe : "");
	snprintf(s->a[s->n].ev, sizeof(s->a[0].ev), "%s",
		 json_object_to_json_string_ext(al->evidence, SG_JSON_LINE));
	s->n++;
}

/* Fork a holder of two packet sockets, one filtered; its pid, or -1. */
static pid_t holder(void)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };	/* accept nothing */
	struct sock_fprog prog = { .len = 1, .filter = code };
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int a = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
		int b = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));

		c = a >= 0 && b >= 0 &&
		    !setsockopt(a, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1 || c != 'y') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static void sweep(struct __test_metadata *_metadata, const char *capture, struct seen *seen,
		  pid_t *ret_pid)
{
	struct sg_detect_config cfg;
	struct sg_detect_sink sink = { collect, seen };
	struct sg_detect *d;
	char err[256];
	pid_t pid;
	int n;

	if (geteuid())
		SKIP(return, "needs root for unshare -n and /proc/PID/fd");
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	sg_detect_config_init(&cfg);
	if (capture)
		ASSERT_EQ(0, sg_detect_config_set(&cfg, "detect.pktsock.capture", capture, err,
						  sizeof(err)));
	ASSERT_EQ(0, sg_detect_new(&cfg, &sink, &d));
	pid = holder();
	ASSERT_GT(pid, 0);
	n = sg_detect_sweep_packet(d, 1714521600.0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(2, n);
	EXPECT_EQ(1, d->st.sweeps);
	EXPECT_EQ(0, d->st.sweep_errors);
	EXPECT_EQ(2, d->st.pktsocks);
	sg_detect_free(d);
	*ret_pid = pid;
}

TEST(sweep_finds_filtered_packet_socket)
{
	struct seen seen = { 0 };
	char self_exe[256];
	ssize_t l;
	pid_t pid;

	sweep(_metadata, NULL, &seen, &pid);
	l = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	ASSERT_GT(l, 0);
	self_exe[l] = 0;
	ASSERT_EQ(1, seen.n);
	EXPECT_EQ(SG_HEUR_PKTSOCK, seen.a[0].h);
	EXPECT_EQ(pid, seen.a[0].pid);
	EXPECT_STREQ(self_exe, seen.a[0].exe);
	EXPECT_NE(NULL, strstr(seen.a[0].ev, "\"filter\":true")) TH_LOG("%s", seen.a[0].ev);
	EXPECT_NE(NULL, strstr(seen.a[0].ev, "\"protocol\":3")) TH_LOG("%s", seen.a[0].ev);
}

TEST(sweep_allow_listed_capture_tool_is_quiet)
{
	struct seen seen = { 0 };
	pid_t pid;

	sweep(_metadata, "+ unit-detect-*", &seen, &pid);
	EXPECT_EQ(0, seen.n);
}

TEST_HARNESS_MAIN
