// SPDX-License-Identifier: GPL-2.0
/*
 * The packet socket sweep on the host kernel: sock_diag finds a filtered
 * packet socket that already exists, /proc maps it to its holder, and the
 * pktsock heuristic alerts, or not when the holder is allow-listed.
 *
 * Topology: the test process enters a private network namespace
 * (unshare -n, only lo); a child it forks opens AF_PACKET/SOCK_RAW with a
 * filter (classic, SO_ATTACH_FILTER, or eBPF, SO_ATTACH_BPF) and a second
 * one without, and waits; the sweep of that namespace alone
 * (detect.pktsock.all_netns off) sees only those sockets. For the sweep
 * of every namespace the child takes a network namespace of its own:
 *
 *   host netns ... test netns (sweep runs here) ... child netns (holder)
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
#include "sg_child.h"

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

/*
 * Fork a holder of two packet sockets, one filtered (eBPF with @ebpf), in
 * a network namespace of its own with @netns; its pid, or -1.
 */
static pid_t holder(bool ebpf, bool netns)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (netns && unshare(CLONE_NEWNET))
			_exit(1);
		/* they exit the child on failure: the parent reads no 'y' */
		sg_child_packet_socket(SOCK_RAW, ETH_P_ALL, ebpf ? SG_FILTER_EBPF : SG_FILTER_CLASSIC);
		sg_child_packet_socket(SOCK_DGRAM, ETH_P_IP, SG_FILTER_NONE);
		c = 'y';
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

static void sweep(struct __test_metadata *_metadata, const char *capture, bool ebpf,
		  struct seen *seen, pid_t *ret_pid)
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
	ASSERT_EQ(0, sg_detect_config_set(&cfg, "detect.pktsock.all_netns", "off", err,
					  sizeof(err)));
	if (capture)
		ASSERT_EQ(0, sg_detect_config_set(&cfg, "detect.pktsock.capture", capture, err,
						  sizeof(err)));
	ASSERT_EQ(0, sg_detect_new(&cfg, &sink, &d));
	pid = holder(ebpf, false);
	ASSERT_GT(pid, 0);
	n = sg_detect_sweep_packet(d, 1714521600.0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(2, n);
	EXPECT_EQ(1, d->st.sweeps);
	EXPECT_EQ(0, d->st.sweep_errors);
	EXPECT_EQ(2, d->st.pktsocks);
	EXPECT_EQ(1, d->st.sweep_netns);
	EXPECT_EQ(0, d->st.sweep_unasked);
	sg_detect_free(d);
	*ret_pid = pid;
}

TEST(sweep_finds_filtered_packet_socket)
{
	struct seen seen = { 0 };
	char self_exe[256];
	ssize_t l;
	pid_t pid;

	sweep(_metadata, NULL, false, &seen, &pid);
	l = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	ASSERT_GT(l, 0);
	self_exe[l] = 0;
	ASSERT_EQ(1, seen.n);
	EXPECT_EQ(SG_HEUR_PKTSOCK, seen.a[0].h);
	EXPECT_EQ(pid, seen.a[0].pid);
	EXPECT_STREQ(self_exe, seen.a[0].exe);
	EXPECT_NE(NULL, strstr(seen.a[0].ev, "\"filter\":true")) TH_LOG("%s", seen.a[0].ev);
	EXPECT_NE(NULL, strstr(seen.a[0].ev, "\"protocol\":3")) TH_LOG("%s", seen.a[0].ev);
	EXPECT_NE(NULL, strstr(seen.a[0].ev, "\"filter_type\":\"classic\"")) TH_LOG("%s", seen.a[0].ev);
}

/* sock_diag shows no eBPF filter: the socket itself is asked. */
TEST(sweep_finds_ebpf_filtered_packet_socket)
{
	struct seen seen = { 0 };
	pid_t pid;

	sweep(_metadata, NULL, true, &seen, &pid);
	ASSERT_EQ(1, seen.n);
	EXPECT_EQ(SG_HEUR_PKTSOCK, seen.a[0].h);
	EXPECT_EQ(pid, seen.a[0].pid);
	EXPECT_NE(NULL, strstr(seen.a[0].ev, "\"filter_type\":\"ebpf\"")) TH_LOG("%s", seen.a[0].ev);
}

/* A holder in a network namespace of its own is found by the sweep of every one. */
TEST(sweep_visits_every_network_namespace)
{
	struct sg_detect_config cfg;
	struct seen seen = { 0 };
	struct sg_detect_sink sink = { collect, &seen };
	struct sg_detect *d;
	unsigned int i, mine = 0;
	pid_t pid;
	int n;

	if (geteuid())
		SKIP(return, "needs root for unshare -n and setns");
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	sg_detect_config_init(&cfg);
	ASSERT_EQ(0, sg_detect_new(&cfg, &sink, &d));
	pid = holder(false, true);
	ASSERT_GT(pid, 0);
	n = sg_detect_sweep_packet(d, 1714521600.0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_LE(2, n);		/* the holder's two, and any on the host */
	EXPECT_LE(2, d->st.sweep_netns);	/* ours (empty), the holder's, the host's... */
	EXPECT_EQ(0, d->st.sweep_errors);
	for (i = 0; i < seen.n; i++)
		if (seen.a[i].pid == (__u32)pid)
			mine++;
	EXPECT_EQ(1, mine);
	sg_detect_free(d);
}

TEST(sweep_allow_listed_capture_tool_is_quiet)
{
	struct seen seen = { 0 };
	pid_t pid;

	sweep(_metadata, "+ unit-detect-*", false, &seen, &pid);
	EXPECT_EQ(0, seen.n);
}

TEST_HARNESS_MAIN
