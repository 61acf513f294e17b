// SPDX-License-Identifier: GPL-2.0
/*
 * Observation on the host kernel: a real sovguardd enforces on a test
 * cgroup (started with --no-observe), and the test itself loads the
 * observation programs through daemon/observe.c, attaches them to the same
 * cgroup and reads their records, exactly as the daemon would.
 *
 * Topology: each case forks a child that joins the test cgroup, unshares
 * its network namespace (only lo, up) and does the one thing the case
 * observes: a loopback TCP exchange, an exec, a listener, a packet or raw
 * socket, a DNS exchange with a responder on 127.0.0.53:53 of its own, or
 * a flood of UDP connects. Nothing leaves the namespace: the denied
 * destination (1.1.1.1) is refused, and would be unreachable.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "sovguard_egress.h"
#include "sg_test.h"
#include "sg_child.h"
#include "observe.h"
#include "lib/log.h"

#define POLICY		"deny to 1.1.1.0/24\n"
#define RECORDS_MAX	(1 << 17)
#define FLOOD		40000	/* UDP connects: more records than the ring holds */
#define DENY_EVERY	1000	/* a denied connect among them every so often */

struct rec {
	__u8 *data;
	struct sg_dns_answer answer;
	bool parsed;
};

struct seen {
	struct rec *r;
	size_t n;
	size_t lost;		/* beyond RECORDS_MAX: a test defect */
};

static void on_record(void *ctx, const struct sg_obs_event *ev)
{
	struct seen *s = ctx;
	struct rec *r;

	if (s->n >= RECORDS_MAX) {
		s->lost++;
		return;
	}
	r = &s->r[s->n++];
	r->data = malloc(ev->hdr->size);
	if (r->data)
		memcpy(r->data, ev->hdr, ev->hdr->size);
	r->parsed = ev->answer != NULL;
	if (ev->answer)
		r->answer = *ev->answer;
}

static void seen_clear(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->r[i].data);
	s->n = 0;
}

FIXTURE(observe)
{
	struct sg_testenv env;
	struct sg_observe *o;
	struct seen seen;
	__u64 cg_id;
};

FIXTURE_SETUP(observe)
{
	struct stat st;

	sg_log_init("observe-test", LOG_WARNING, 1);
	self->seen.r = calloc(RECORDS_MAX, sizeof(*self->seen.r));
	ASSERT_NE(NULL, self->seen.r);
	ASSERT_EQ(0, sg_testenv_init(&self->env, "observe"));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, POLICY));
	self->env.daemon_arg = "--no-observe";
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, stat(self->env.cgroup, &st));
	self->cg_id = st.st_ino;
	ASSERT_EQ(0, sg_observe_open(&self->o, self->env.pin_root));
	ASSERT_EQ(0, sg_observe_attach(self->o, self->env.cgroup));
	ASSERT_EQ(0, sg_observe_start(self->o, on_record, &self->seen));
}

FIXTURE_TEARDOWN(observe)
{
	sg_observe_close(self->o);
	seen_clear(&self->seen);
	free(self->seen.r);
	sg_observe_remove(self->env.pin_root);
	sg_testenv_cleanup(&self->env);
}

/* ---- records ---------------------------------------------------------------- */

/* Drain until @want records of @kind from @tgid arrived, or 3 s passed. */
static size_t wait_records(FIXTURE_DATA(observe) *self, unsigned int kind, __u32 tgid,
			   size_t want)
{
	size_t i, n = 0;
	int t;

	for (t = 0; t < 300; t++) {
		sg_observe_drain(self->o);
		for (n = 0, i = 0; i < self->seen.n; i++) {
			const struct sg_obs_hdr *h = (void *)self->seen.r[i].data;
			const struct sg_obs_subject *s = (void *)(h + 1);

			if (h && h->kind == kind && (!tgid || s->tgid == tgid))
				n++;
		}
		if (n >= want)
			break;
		usleep(10000);
	}
	return n;
}

/* The @nth record of @kind from @tgid (0 for any), or NULL. */
static const void *find(FIXTURE_DATA(observe) *self, unsigned int kind, __u32 tgid, size_t nth)
{
	size_t i;

	for (i = 0; i < self->seen.n; i++) {
		const struct sg_obs_hdr *h = (void *)self->seen.r[i].data;
		const struct sg_obs_subject *s = (void *)(h + 1);

		if (h && h->kind == kind && (!tgid || s->tgid == tgid) && !nth--)
			return h;
	}
	return NULL;
}

static __u64 obs_counter(FIXTURE_DATA(observe) *self, unsigned int kind, unsigned int what)
{
	struct sg_obs_stats st;

	sg_observe_stats(self->o, &st);
	return what == SG_OBS_DROPPED ? st.dropped[kind] :
	       what == SG_OBS_SUBMITTED ? st.submitted[kind] : st.no_state[kind];
}

static __u32 ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* ---- connections ------------------------------------------------------------ */

#define SENT		12345
#define RECEIVED	678

TEST_F(observe, tcp_connect_and_flow_end)
{
	const struct sg_obs_connect *c;
	const struct sg_obs_flow_end *f;
	struct stat self_exe;
	int pfd[2], pid;
	__u16 sport = 0;
	__u32 lo = ip4("127.0.0.1");

	ASSERT_EQ(0, stat("/proc/self/exe", &self_exe));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sockaddr_in me;
		socklen_t len = sizeof(me);
		int l, cl, s;

		sg_child_enter(self->env.cgroup, true);
		l = sg_child_tcp_listener("127.0.0.1", 7001);
		cl = sg_child_tcp_connect("127.0.0.1", 7001);
		s = accept(l, NULL, NULL);
		getsockname(cl, (struct sockaddr *)&me, &len);
		if (write(pfd[1], &me.sin_port, 2) != 2)
			_exit(105);
		sg_child_xfer(cl, true, SENT);
		sg_child_xfer(s, false, SENT);
		sg_child_xfer(s, true, RECEIVED);
		sg_child_xfer(cl, false, RECEIVED);
		close(cl);		/* our FIN first, then the peer's */
		if (read(s, &len, 1) != 0)
			_exit(106);
		close(s);
		usleep(100000);
		_exit(0);
	}
	ASSERT_EQ(2, read(pfd[0], &sport, 2));
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(1, wait_records(self, SG_OBS_CONNECT, pid, 1));
	ASSERT_EQ(1, wait_records(self, SG_OBS_FLOW_END, pid, 1));

	c = find(self, SG_OBS_CONNECT, pid, 0);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(SG_OBS_VERSION, c->hdr.version);
	EXPECT_EQ(sizeof(*c), c->hdr.size);
	EXPECT_EQ(pid, c->subj.tgid);
	EXPECT_EQ(pid, c->subj.pid);
	EXPECT_EQ(0, c->subj.uid);
	EXPECT_EQ(self->cg_id, c->subj.cgroup_id);
	EXPECT_EQ(self_exe.st_ino, c->subj.exe_ino);
	EXPECT_EQ(AF_INET, c->t.family);
	EXPECT_EQ(IPPROTO_TCP, c->t.protocol);
	EXPECT_EQ(0, memcmp(c->t.daddr, &lo, 4));
	EXPECT_EQ(0, memcmp(c->t.saddr, &lo, 4));
	EXPECT_EQ(7001, c->t.dport);
	EXPECT_EQ(ntohs(sport), c->t.sport);
	EXPECT_EQ(SG_VERDICT_ALLOW, c->verdict);
	EXPECT_EQ(SG_HOOK_CONNECT4, c->hook);

	f = find(self, SG_OBS_FLOW_END, pid, 0);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(c->cookie, f->cookie);
	EXPECT_EQ(ntohs(sport), f->t.sport);
	EXPECT_EQ(7001, f->t.dport);
	EXPECT_EQ(SENT, f->bytes_sent);
	EXPECT_EQ(RECEIVED, f->bytes_received);
	EXPECT_EQ(0, f->hdr.flags & SG_OBS_F_NO_BYTES);
}

TEST_F(observe, denied_connect_recorded_with_rule)
{
	const struct sg_obs_connect *c;
	__u32 deny = ip4("1.1.1.1");
	int pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(443) };
		int fd;

		sg_child_enter(self->env.cgroup, true);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_addr.s_addr = deny;
		_exit(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(1, wait_records(self, SG_OBS_CONNECT, pid, 1));
	c = find(self, SG_OBS_CONNECT, pid, 0);
	EXPECT_EQ(SG_VERDICT_DENY, c->verdict);
	EXPECT_EQ(0, c->rule);
	EXPECT_EQ(sg_testenv_generation(&self->env), c->generation);
	EXPECT_EQ(0, memcmp(c->t.daddr, &deny, 4));
	EXPECT_EQ(443, c->t.dport);
}

/* A child that makes @n TCP connections to a loopback listener of its own. */
static int tcp_connects(FIXTURE_DATA(observe) *self, int port, int n)
{
	int pid = fork();

	if (pid == 0) {
		int l, i;

		sg_child_enter(self->env.cgroup, true);
		l = sg_child_tcp_listener("127.0.0.1", port);
		for (i = 0; i < n; i++) {
			int cl = sg_child_tcp_connect("127.0.0.1", port), s = accept(l, NULL, NULL);

			close(cl);
			close(s);
		}
		_exit(0);
	}
	return pid;
}

TEST_F(observe, tcp_pairs_aggregated_in_window)
{
	const struct sg_obs_connect *c;
	int pid;

	/* a window no test run outlasts: one full report, the rest counted */
	ASSERT_EQ(0, sg_observe_set_flow_window(self->o, 60000));
	pid = tcp_connects(self, 7004, 5);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(1, wait_records(self, SG_OBS_CONNECT, pid, 1));
	usleep(100000);
	EXPECT_EQ(1, wait_records(self, SG_OBS_CONNECT, pid, 2));
	c = find(self, SG_OBS_CONNECT, pid, 0);
	EXPECT_EQ(0, c->repeats);
	EXPECT_EQ(1, wait_records(self, SG_OBS_FLOW_END, pid, 1));
}

TEST_F(observe, tcp_pairs_reported_again_after_window)
{
	const struct sg_obs_connect *c;
	int pid;

	/* in one process: 4 connects, a pause past the window, one more */
	ASSERT_EQ(0, sg_observe_set_flow_window(self->o, 300));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int l, i;

		sg_child_enter(self->env.cgroup, true);
		l = sg_child_tcp_listener("127.0.0.1", 7005);
		for (i = 0; i < 5; i++) {
			int cl, s;

			if (i == 4)
				usleep(600000);
			cl = sg_child_tcp_connect("127.0.0.1", 7005);
			s = accept(l, NULL, NULL);
			close(cl);
			close(s);
		}
		_exit(0);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(2, wait_records(self, SG_OBS_CONNECT, pid, 2));
	c = find(self, SG_OBS_CONNECT, pid, 1);
	EXPECT_EQ(3, c->repeats);
}

struct summaries {
	__u32 tgid;
	__u64 unreported;
	int n;
};

static void on_summary(void *ctx, const struct sg_obs_event *ev)
{
	struct summaries *s = ctx;

	if (ev->kind == SG_OBS_EV_SUMMARY && ev->summary->key->tgid == s->tgid) {
		s->unreported += ev->summary->unreported;
		s->n++;
	}
}

TEST_F(observe, idle_pairs_summed_up_by_the_sweep)
{
	struct summaries sum = {};
	struct sg_observe *o2;
	int pid;

	ASSERT_EQ(0, sg_observe_set_flow_window(self->o, 200));
	pid = tcp_connects(self, 7006, 4);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, sg_child_wait(pid));
	usleep(400000);
	/* a second reader on the same pins, to see the summaries */
	ASSERT_EQ(0, sg_observe_open(&o2, self->env.pin_root));
	ASSERT_EQ(0, sg_observe_start(o2, on_summary, &sum));
	sum.tgid = pid;
	ASSERT_EQ(0, sg_observe_set_flow_window(o2, 200));
	EXPECT_LE(1, sg_observe_sweep(o2));
	EXPECT_EQ(1, sum.n);
	EXPECT_EQ(3, sum.unreported);
	sg_observe_close(o2);
}

TEST_F(observe, tcp_connect_without_route_recorded)
{
	const struct sg_obs_connect *c;
	__u32 allow = ip4("9.9.9.9");
	int pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(443) };
		int fd;

		sg_child_enter(self->env.cgroup, true);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_addr.s_addr = allow;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != ENETUNREACH)
			_exit(1);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(1, wait_records(self, SG_OBS_CONNECT, pid, 1));
	c = find(self, SG_OBS_CONNECT, pid, 0);
	EXPECT_EQ(SG_VERDICT_ALLOW, c->verdict);
	EXPECT_EQ(SG_OBS_F_NO_HANDSHAKE, c->hdr.flags);
	EXPECT_EQ(0, memcmp(c->t.daddr, &allow, 4));
	EXPECT_EQ(0, c->t.sport);
}

TEST_F(observe, udp_sends_per_destination)
{
	const struct sg_obs_connect *c0, *c1;
	const struct sg_obs_flow_end *f0, *f1;
	int pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
		struct sockaddr_in b = { .sin_family = AF_INET, .sin_port = htons(9) };
		int fd, i;

		sg_child_enter(self->env.cgroup, true);
		a.sin_addr.s_addr = ip4("127.0.0.2");
		b.sin_addr.s_addr = ip4("127.0.0.3");
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		for (i = 0; i < 5; i++)
			sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
		for (i = 0; i < 2; i++)
			sendto(fd, "x", 1, 0, (struct sockaddr *)&b, sizeof(b));
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(2, wait_records(self, SG_OBS_CONNECT, pid, 2));
	ASSERT_EQ(2, wait_records(self, SG_OBS_FLOW_END, pid, 2));
	c0 = find(self, SG_OBS_CONNECT, pid, 0);
	c1 = find(self, SG_OBS_CONNECT, pid, 1);
	f0 = find(self, SG_OBS_FLOW_END, pid, 0);
	f1 = find(self, SG_OBS_FLOW_END, pid, 1);
	EXPECT_EQ(SG_OBS_F_SENDMSG, c0->hdr.flags);
	EXPECT_EQ(2, c0->t.daddr[3]);
	EXPECT_EQ(3, c1->t.daddr[3]);
	EXPECT_EQ(2, f0->t.daddr[3]);
	EXPECT_EQ(5, f0->sends);
	EXPECT_EQ(3, f1->t.daddr[3]);
	EXPECT_EQ(2, f1->sends);
	EXPECT_EQ(SG_OBS_F_NO_BYTES, f1->hdr.flags);
}

/* ---- executions ------------------------------------------------------------- */

static const char *const true_argv[] = { "true", NULL };

TEST_F(observe, exec_memfd)
{
	const struct sg_obs_exec *e;
	int pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		sg_child_enter(self->env.cgroup, true);
		sg_child_memfd_exec("sg-observe", "/bin/true", (char *const *)true_argv);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(1, wait_records(self, SG_OBS_EXEC, pid, 1));
	e = find(self, SG_OBS_EXEC, pid, 0);
	EXPECT_EQ(SG_OBS_F_MEMFD, e->hdr.flags & (SG_OBS_F_MEMFD | SG_OBS_F_DELETED));
	EXPECT_EQ(self->cg_id, e->subj.cgroup_id);
	EXPECT_EQ(getpid(), e->ppid);
	EXPECT_EQ(0, strncmp(e->subj.comm, "memfd:", 6));
}

TEST_F(observe, exec_deleted_file)
{
	const struct sg_obs_exec *e;
	char path[600];
	struct stat st;
	int pid, pfd[2];

	snprintf(path, sizeof(path), "%s/sg-true", self->env.dir);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd;

		sg_child_enter(self->env.cgroup, true);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
		if (fd < 0)
			_exit(114);
		sg_child_copy_file(fd, "/bin/true");
		close(fd);
		fd = open(path, O_RDONLY);
		if (fd < 0 || fstat(fd, &st) || unlink(path))
			_exit(115);
		if (write(pfd[1], &st.st_ino, sizeof(st.st_ino)) != sizeof(st.st_ino))
			_exit(116);
		fexecve(fd, (char *const *)true_argv, environ);
		_exit(117);
	}
	ASSERT_EQ(sizeof(st.st_ino), read(pfd[0], &st.st_ino, sizeof(st.st_ino)));
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(1, wait_records(self, SG_OBS_EXEC, pid, 1));
	e = find(self, SG_OBS_EXEC, pid, 0);
	EXPECT_EQ(SG_OBS_F_DELETED, e->hdr.flags & (SG_OBS_F_MEMFD | SG_OBS_F_DELETED));
	EXPECT_EQ(0, e->hdr.flags & SG_OBS_F_WORLD_DIR);	/* a mkdtemp directory */
	EXPECT_EQ(0, e->nlink);
	EXPECT_EQ(st.st_ino, e->subj.exe_ino);
}

TEST_F(observe, exec_plain_and_world_writable)
{
	const struct sg_obs_exec *e;
	char dir[600], path[700];
	int pid;

	snprintf(dir, sizeof(dir), "%s/ww", self->env.dir);
	snprintf(path, sizeof(path), "%s/sg-true", dir);
	ASSERT_EQ(0, mkdir(dir, 0777));
	ASSERT_EQ(0, chmod(dir, 01777));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd;

		sg_child_enter(self->env.cgroup, true);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
		if (fd < 0)
			_exit(114);
		sg_child_copy_file(fd, "/bin/true");
		close(fd);
		execv(path, (char *const *)true_argv);
		_exit(117);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(1, wait_records(self, SG_OBS_EXEC, pid, 1));
	e = find(self, SG_OBS_EXEC, pid, 0);
	EXPECT_EQ(SG_OBS_F_WORLD_DIR, e->hdr.flags);
	EXPECT_STREQ(path, e->path);
	EXPECT_EQ(1, e->nlink);
}

TEST_F(observe, exec_stdio_unix_socket)
{
	const struct sg_obs_exec *e;
	struct stat s0, s1;
	int sv[2], pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, fstat(sv[0], &s0));
	ASSERT_EQ(0, fstat(sv[1], &s1));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		sg_child_enter(self->env.cgroup, true);
		if (dup2(sv[0], 0) < 0 || dup2(sv[0], 1) < 0)
			_exit(118);
		execl("/bin/sh", "sh", "-i", "-c", "exit 0", (char *)NULL);
		_exit(119);
	}
	close(sv[0]);
	ASSERT_EQ(0, sg_child_wait(pid));
	close(sv[1]);
	ASSERT_EQ(1, wait_records(self, SG_OBS_EXEC, pid, 1));
	e = find(self, SG_OBS_EXEC, pid, 0);
	EXPECT_EQ(SG_OBS_FD_SOCKET, e->stdio[0].type);
	EXPECT_EQ(SG_OBS_FD_SOCKET, e->stdio[1].type);
	EXPECT_EQ(AF_UNIX, e->stdio[0].t.family);
	EXPECT_EQ(SOCK_STREAM, e->stdio[0].sock_type);
	EXPECT_EQ(s0.st_ino, e->stdio[0].ino);
	EXPECT_EQ(s1.st_ino, e->stdio[0].peer_ino);
}

TEST_F(observe, exec_stdio_tcp_socket)
{
	const struct sg_obs_exec *e;
	__u32 lo = ip4("127.0.0.1");
	int pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		sg_child_shell_on_socket(self->env.cgroup, 7002);
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(1, wait_records(self, SG_OBS_EXEC, pid, 1));
	e = find(self, SG_OBS_EXEC, pid, 0);
	EXPECT_EQ(SG_OBS_FD_SOCKET, e->stdio[0].type);
	EXPECT_EQ(SG_OBS_FD_SOCKET, e->stdio[1].type);
	EXPECT_EQ(AF_INET, e->stdio[0].t.family);
	EXPECT_EQ(IPPROTO_TCP, e->stdio[0].t.protocol);
	EXPECT_EQ(7002, e->stdio[1].t.dport);
	EXPECT_EQ(0, memcmp(e->stdio[1].t.daddr, &lo, 4));
	EXPECT_NE(0, e->stdio[1].t.sport);
}

TEST_F(observe, exec_outside_subtree_not_recorded)
{
	int pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(119);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	EXPECT_EQ(0, wait_records(self, SG_OBS_EXEC, pid, 0));
	usleep(300000);
	EXPECT_EQ(0, wait_records(self, SG_OBS_EXEC, pid, 0));
}

static int exec_true_in(const char *cgroup)
{
	int pid = fork();

	if (pid == 0) {
		sg_child_enter(cgroup, true);
		execl("/bin/true", "true", (char *)NULL);
		_exit(119);
	}
	return pid;
}

/*
 * The daemon goes (its handles closed, as at exit), the pinned links stay:
 * what happens meanwhile is in the ring buffer for the next one, which
 * adopts the links.
 */
TEST_F(observe, restart_leaves_no_gap)
{
	int pid1, pid2;

	sg_observe_close(self->o);
	self->o = NULL;
	pid1 = exec_true_in(self->env.cgroup);
	ASSERT_GE(pid1, 0);
	ASSERT_EQ(0, sg_child_wait(pid1));
	ASSERT_EQ(0, sg_observe_open(&self->o, self->env.pin_root));
	ASSERT_EQ(0, sg_observe_start(self->o, on_record, &self->seen));
	ASSERT_EQ(1, wait_records(self, SG_OBS_EXEC, pid1, 1));
	ASSERT_EQ(0, sg_observe_attach(self->o, self->env.cgroup));
	pid2 = exec_true_in(self->env.cgroup);
	ASSERT_GE(pid2, 0);
	ASSERT_EQ(0, sg_child_wait(pid2));
	ASSERT_EQ(1, wait_records(self, SG_OBS_EXEC, pid2, 1));
	usleep(100000);
	/* tracing links are replaced, not doubled: one record an exec */
	EXPECT_EQ(1, wait_records(self, SG_OBS_EXEC, pid2, 2));
}

/* ---- listeners, packet and raw sockets -------------------------------------- */

TEST_F(observe, bind_and_listen)
{
	const struct sg_obs_listen *b, *l;
	size_t i;
	int pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		sg_child_enter(self->env.cgroup, true);
		sg_child_tcp_listener("127.0.0.1", 7003);
		_exit(0);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	/* the bind (post_bind: subject) and the listen (sockops: subject from the bind) */
	ASSERT_EQ(2, wait_records(self, SG_OBS_LISTEN, pid, 2));
	b = find(self, SG_OBS_LISTEN, pid, 0);
	l = find(self, SG_OBS_LISTEN, pid, 1);
	if (b->hdr.flags & SG_OBS_F_LISTEN) {
		const struct sg_obs_listen *t = b;

		b = l;
		l = t;
	}
	EXPECT_EQ(0, b->hdr.flags);
	EXPECT_EQ(SG_OBS_F_LISTEN, l->hdr.flags);
	for (i = 0; i < 2; i++) {
		const struct sg_obs_listen *x = i ? l : b;

		EXPECT_EQ(7003, x->t.sport);
		EXPECT_EQ(IPPROTO_TCP, x->t.protocol);
		EXPECT_EQ(pid, x->subj.tgid);
		EXPECT_EQ(self->cg_id, x->subj.cgroup_id);
	}
	EXPECT_EQ(b->cookie, l->cookie);
}

TEST_F(observe, packet_and_raw_sockets)
{
	const struct sg_obs_socket *a, *b, *c;
	int pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		sg_child_enter(self->env.cgroup, true);
		if (socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) < 0)
			_exit(120);
		if (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0)
			_exit(121);
		if (socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP)) < 0)	/* cooked */
			_exit(123);
		if (socket(AF_INET, SOCK_DGRAM, 0) < 0)	/* neither: no record */
			_exit(122);
		_exit(0);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(3, wait_records(self, SG_OBS_SOCKET, pid, 3));
	usleep(50000);
	EXPECT_EQ(3, wait_records(self, SG_OBS_SOCKET, pid, 4));
	a = find(self, SG_OBS_SOCKET, pid, 0);
	b = find(self, SG_OBS_SOCKET, pid, 1);
	c = find(self, SG_OBS_SOCKET, pid, 2);
	EXPECT_EQ(AF_PACKET, c->family);
	EXPECT_EQ(SOCK_DGRAM, c->type);
	EXPECT_EQ(htons(ETH_P_IP), c->protocol);
	EXPECT_EQ(AF_PACKET, a->family);
	EXPECT_EQ(SOCK_RAW, a->type);
	EXPECT_EQ(htons(ETH_P_ALL), a->protocol);
	EXPECT_EQ(AF_INET, b->family);
	EXPECT_EQ(SOCK_RAW, b->type);
	EXPECT_EQ(IPPROTO_ICMP, b->protocol);
	EXPECT_EQ(self->cg_id, a->subj.cgroup_id);
}

/* ---- DNS -------------------------------------------------------------------- */

/* example.test: A 192.0.2.7 (TTL 300) and AAAA 2001:db8::7 (TTL 60). */
static size_t dns_answer(__u8 *m, __u16 id)
{
	static const __u8 q[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
				  0, 1, 0, 1 };
	static const __u8 a[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 7 };
	static const __u8 aaaa[] = { 0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16, 0x20, 0x01, 0x0d,
				     0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
	size_t n = 0;

	m[n++] = id >> 8;
	m[n++] = id & 0xff;
	m[n++] = 0x81;
	m[n++] = 0x80;
	m[n++] = 0;
	m[n++] = 1;
	m[n++] = 0;
	m[n++] = 2;
	memset(m + n, 0, 4);
	n += 4;
	memcpy(m + n, q, sizeof(q));
	n += sizeof(q);
	memcpy(m + n, a, sizeof(a));
	n += sizeof(a);
	memcpy(m + n, aaaa, sizeof(aaaa));
	return n + sizeof(aaaa);
}

TEST_F(observe, dns_answer_attributed)
{
	const struct sg_obs_dns *d;
	const struct rec *r = NULL;
	__u32 stub = ip4("127.0.0.53");
	size_t i;
	int pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		__u8 m[512];
		int srv, cli;
		size_t n;

		sg_child_enter(self->env.cgroup, true);
		sa.sin_addr.s_addr = stub;
		srv = socket(AF_INET, SOCK_DGRAM, 0);
		cli = socket(AF_INET, SOCK_DGRAM, 0);
		if (srv < 0 || cli < 0 || bind(srv, (struct sockaddr *)&sa, sizeof(sa)))
			_exit(130);
		if (sendto(cli, "q", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) != 1 ||
		    recvfrom(srv, m, sizeof(m), 0, (struct sockaddr *)&from, &flen) != 1)
			_exit(131);
		n = dns_answer(m, 0x1234);
		if (sendto(srv, m, n, 0, (struct sockaddr *)&from, flen) != (ssize_t)n ||
		    recv(cli, m, sizeof(m), 0) != (ssize_t)n)
			_exit(132);
		_exit(0);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_EQ(1, wait_records(self, SG_OBS_DNS, pid, 1));
	for (i = 0; i < self->seen.n; i++)
		if (((struct sg_obs_hdr *)self->seen.r[i].data)->kind == SG_OBS_DNS)
			r = &self->seen.r[i];
	ASSERT_NE(NULL, r);
	d = (const void *)r->data;
	EXPECT_EQ(0, d->hdr.flags);
	EXPECT_EQ(pid, d->subj.tgid);
	EXPECT_EQ(self->cg_id, d->subj.cgroup_id);
	EXPECT_EQ(0, memcmp(d->t.saddr, &stub, 4));
	EXPECT_EQ(53, d->t.sport);
	ASSERT_TRUE(r->parsed);
	EXPECT_STREQ("example.test", r->answer.name);
	EXPECT_EQ(0x1234, r->answer.id);
	ASSERT_EQ(2, r->answer.nr_addrs);
	EXPECT_EQ(AF_INET, r->answer.addrs[0].family);
	EXPECT_EQ(ip4("192.0.2.7"), *(__u32 *)r->answer.addrs[0].addr);
	EXPECT_EQ(300, r->answer.addrs[0].ttl);
	EXPECT_EQ(AF_INET6, r->answer.addrs[1].family);
	EXPECT_EQ(7, r->answer.addrs[1].addr[15]);
	EXPECT_EQ(60, r->answer.addrs[1].ttl);
	/* the query's own datagram came from an ephemeral port: no record */
	EXPECT_EQ(1, wait_records(self, SG_OBS_DNS, 0, 1));
}

/* ---- overrun ---------------------------------------------------------------- */

TEST_F(observe, flood_counted_exactly_and_enforced)
{
	__u64 dropped0, dropped1, no_state0, no_state1;
	size_t got;
	int pid;

	/* every connection in full: the ring's accounting, not the pairs' */
	ASSERT_EQ(0, sg_observe_set_flow_window(self->o, 0));
	dropped0 = obs_counter(self, SG_OBS_CONNECT, SG_OBS_DROPPED);
	no_state0 = obs_counter(self, SG_OBS_CONNECT, SG_OBS_NO_STATE);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		struct sockaddr_in deny = { .sin_family = AF_INET, .sin_port = htons(443) };
		int fd, i, t;

		sg_child_enter(self->env.cgroup, true);
		deny.sin_addr.s_addr = ip4("1.1.1.1");
		sa.sin_addr.s_addr = ip4("127.0.0.1");
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		for (i = 0; i < FLOOD; i++) {
			sa.sin_port = htons(10000 + i % 50000);
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
				_exit(140);
			if (i % DENY_EVERY)
				continue;
			t = socket(AF_INET, SOCK_STREAM, 0);
			if (connect(t, (struct sockaddr *)&deny, sizeof(deny)) == 0 || errno != EPERM)
				_exit(141);
			close(t);
		}
		_exit(0);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	got = wait_records(self, SG_OBS_CONNECT, pid, FLOOD + FLOOD / DENY_EVERY);
	dropped1 = obs_counter(self, SG_OBS_CONNECT, SG_OBS_DROPPED);
	no_state1 = obs_counter(self, SG_OBS_CONNECT, SG_OBS_NO_STATE);
	EXPECT_EQ(0, self->seen.lost);
	EXPECT_EQ(no_state0, no_state1);
	EXPECT_LT(0, dropped1 - dropped0);	/* it did overrun */
	EXPECT_EQ(FLOOD + FLOOD / DENY_EVERY, got + (dropped1 - dropped0));
	TH_LOG("%d records: %zu read, %llu dropped and counted", FLOOD + FLOOD / DENY_EVERY, got,
	       (unsigned long long)(dropped1 - dropped0));
}

TEST_HARNESS_MAIN
