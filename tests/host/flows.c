// SPDX-License-Identifier: GPL-2.0
/*
 * Existing flows: a flow the policy allowed when it started is ended when a
 * reload or a quarantine makes its destination denied (existing_flows =
 * end, the default), through the kernel's socket destroy; a flow still
 * allowed survives; existing_flows = keep leaves them all.
 *
 * Topology, per flow: a "world" process (not in the test cgroup) takes a
 * network namespace of its own with lo up, puts the test hosts 193.0.6.10
 * (NL in the test data) and 9.9.9.10 (CH) on lo and listens there (TCP
 * PORT, UDP PORT); its child, the client, joins the test cgroup (or a
 * sub-cgroup), stays in that namespace and connects:
 *
 *   world (netns N, not guarded)           client (netns N, test cgroup)
 *     listen 193.0.6.10:PORT  <----TCP----   connect 193.0.6.10:PORT
 *     udp    193.0.6.10:PORT  <----UDP----   connect + send
 *
 * The daemon runs in the test's own namespace: it reaches N through the
 * client's /proc/PID/ns/net. Nothing leaves the host.
 *
 * After the policy change the test tells the client to look: it reports
 * what recv() and send() gave on its socket, and the world what its side
 * of the connection saw.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sg_child.h"
#include "sg_test.h"

#define OUT_MAX		(1 << 20)
#define PORT		4443
#define NL_HOST		"193.0.6.10"	/* 193.0.6.0/24 NL in SG_TEST_DATA */
#define CH_HOST		"9.9.9.10"	/* 9.9.9.0/24 CH */
#define WAIT_MS		20000

#define LIFE_S		60	/* a test's processes end by then whatever happens */
#define ALIVE		0	/* the client's report: its socket still works */

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE	136
#endif

/* What a flow's two ends saw after the policy change. */
struct report {
	int client;	/* ALIVE, or the errno recv()/send() failed with */
	int peer;	/* the world's side: 0 EOF, 1 data, or an errno; -1 for UDP */
};

struct flow {
	int pid;	/* the world */
	int go;		/* write a byte: the client looks */
	int result;	/* read struct report */
};

FIXTURE(flows)
{
	struct sg_testenv env;
	char *out;
	char sub[4200];	/* a sub-cgroup, removed at teardown */
};

FIXTURE_SETUP(flows)
{
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
	self->sub[0] = '\0';
	ASSERT_EQ(0, sg_testenv_init(&self->env, "flows"));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, ""));
}

FIXTURE_TEARDOWN(flows)
{
	if (getenv("SG_KEEP_LOG")) {
		char c[700];

		snprintf(c, sizeof(c), "cat '%s' >&2", self->env.log);
		if (system(c) < 0)
			perror("log");
	}
	/* The sub-cgroup first: its parent goes only once it is empty. */
	if (self->sub[0])
		rmdir(self->sub);
	sg_testenv_cleanup(&self->env);
	free(self->out);
}

static int udp_socket(const char *addr, int proto, bool server)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int fd = socket(AF_INET, SOCK_DGRAM, proto);

	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (fd < 0 || (server ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) :
				connect(fd, (struct sockaddr *)&sa, sizeof(sa))))
		_exit(110);
	return fd;
}

/* The client's look at its socket: ALIVE when nothing failed. */
static int look(int fd, bool udp)
{
	char c = 'x';

	if (recv(fd, &c, 1, MSG_DONTWAIT) < 0 && errno != EAGAIN)
		return errno;
	if (send(fd, &c, 1, MSG_NOSIGNAL) < 0)
		return errno;
	if (udp && recv(fd, &c, 1, MSG_DONTWAIT) < 0 && errno != EAGAIN)
		return errno;
	return ALIVE;
}

static void client(const char *cgroup, const char *addr, int udp, int ready, int go, int res)
{
	int fd;
	char c;

	alarm(LIFE_S);
	sg_child_enter(cgroup, false);
	fd = udp ? udp_socket(addr, udp, false) : sg_child_tcp_connect(addr, PORT);
	if (udp && send(fd, "h", 1, 0) != 1)
		_exit(111);
	if (write(ready, "c", 1) != 1 || read(go, &c, 1) != 1)
		_exit(112);
	c = look(fd, udp != 0);
	if (write(res, &c, 1) != 1)
		_exit(113);
	_exit(0);
}

/*
 * Start a flow from @cgroup to @addr; returns once it is established.
 * The world answers for the test hosts and reports both ends.
 */
/* The guarded side serves: it listens, the world connects in. */
static void server(const char *cgroup, const char *addr, int listening, int ready, int go,
		   int res)
{
	int lfd, fd;
	char c;

	alarm(LIFE_S);
	sg_child_enter(cgroup, false);
	lfd = sg_child_tcp_listener(addr, PORT);
	if (write(listening, "l", 1) != 1)
		_exit(114);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0 || write(ready, "c", 1) != 1 || read(go, &c, 1) != 1)
		_exit(115);
	c = look(fd, false);
	if (write(res, &c, 1) != 1)
		_exit(116);
	_exit(0);
}

static int flow_start_dir(struct flow *f, const char *cgroup, const char *addr, int udp,
			  bool inbound);

static int flow_start(struct flow *f, const char *cgroup, const char *addr, int udp)
{
	return flow_start_dir(f, cgroup, addr, udp, false);
}

static int flow_start_dir(struct flow *f, const char *cgroup, const char *addr, int udp,
			  bool inbound)
{
	int ready[2], go[2], res[2], cres[2], lis[2];
	char c;

	if (pipe(ready) || pipe(go) || pipe(res) || pipe(cres) || pipe(lis))
		return -errno;
	f->pid = fork();
	if (f->pid < 0)
		return -errno;
	if (f->pid == 0) {
		struct report r = { .peer = -1 };
		int lfd, afd = -1, pid, n;

		alarm(LIFE_S);
		sg_child_enter(NULL, true);
		if (sg_child_host_add(NL_HOST) || sg_child_host_add(CH_HOST))
			_exit(120);
		if (inbound) {
			pid = fork();
			if (pid == 0)
				server(cgroup, addr, lis[1], ready[1], go[0], cres[1]);
			/* Connect once the guarded side listens; it says "c" itself. */
			afd = pid > 0 && read(lis[0], &c, 1) == 1 ?
				      sg_child_tcp_connect(addr, PORT) : -1;
		} else {
			lfd = udp ? udp_socket(addr, udp, true) : sg_child_tcp_listener(addr, PORT);
			pid = fork();
			if (pid == 0)
				client(cgroup, addr, udp, ready[1], go[0], cres[1]);
			if (!udp)
				afd = accept(lfd, NULL, NULL);
		}
		if (pid < 0 || (!udp && afd < 0))
			_exit(121);
		if (read(cres[0], &c, 1) != 1)
			_exit(122);
		r.client = c;
		if (!udp) {
			/* The client sent a byte if it could; a reset or EOF otherwise. */
			struct timeval tv = { .tv_sec = 2 };

			setsockopt(afd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			n = recv(afd, &c, 1, 0);
			r.peer = n < 0 ? errno : n;
		}
		if (write(res[1], &r, sizeof(r)) != sizeof(r))
			_exit(123);
		waitpid(pid, NULL, 0);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	close(cres[0]);
	close(cres[1]);
	close(lis[0]);
	close(lis[1]);
	f->go = go[1];
	f->result = res[0];
	c = 0;
	if (read(ready[0], &c, 1) != 1 || c != 'c') {
		close(ready[0]);
		return -EIO;
	}
	close(ready[0]);
	return 0;
}

/* Let the client look; what both ends saw into @r. */
static int flow_report(struct flow *f, struct report *r)
{
	int err = 0;

	if (write(f->go, "g", 1) != 1 || read(f->result, r, sizeof(*r)) != sizeof(*r))
		err = -EIO;
	close(f->go);
	close(f->result);
	if (sg_child_wait(f->pid) != 0 && !err)
		err = -ECHILD;
	return err;
}

/* A number of the daemon's "flows" reply, or -1. */
static long long flows_count(struct sg_testenv *env, char *out, const char *what)
{
	char needle[64], *p;

	if (sg_testenv_control(env, "{\"cmd\":\"flows\"}", out, OUT_MAX))
		return -1;
	snprintf(needle, sizeof(needle), "\"%s\":", what);
	p = strstr(out, needle);
	return p ? strtoll(p + strlen(needle), NULL, 10) : -1;
}

static bool ended_by_abort(int e)
{
	return e == ECONNABORTED || e == ECONNRESET;
}

TEST_F(flows, a_reload_ends_a_flow_it_denies_and_keeps_the_others)
{
	struct flow nl, ch;
	struct report r;

	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, flow_start(&nl, self->env.cgroup, NL_HOST, 0));
	ASSERT_EQ(0, flow_start(&ch, self->env.cgroup, CH_HOST, 0));

	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to nl\ndefault allow\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));

	ASSERT_EQ(0, flow_report(&nl, &r));
	EXPECT_TRUE(ended_by_abort(r.client)) {
		TH_LOG("client saw %d (%s)", r.client, strerror(r.client));
	}
	/* The peer saw the end: a reset (or EOF), never the client's byte. */
	EXPECT_TRUE(r.peer == 0 || r.peer == ECONNRESET) {
		TH_LOG("peer saw %d", r.peer);
	}
	ASSERT_EQ(0, flow_report(&ch, &r));
	EXPECT_EQ(ALIVE, r.client);
	EXPECT_EQ(1, r.peer);

	EXPECT_EQ(1, flows_count(&self->env, self->out, "tcp")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "flow ended (reload): tcp " NL_HOST ":4443"));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "metrics", self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "sovguard_flows_ended_total{proto=\"tcp\"} 1")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_NE(NULL, strstr(self->out, "sovguard_flows_destroy{state=\"available\"} 1"));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status", self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "existing_flows end, socket destroy available; "
					  "ended tcp 1")) {
		TH_LOG("%s", self->out);
	}
}

/*
 * A connection into the subtree (the guarded side listens, a denied
 * address connects) was never decided by the egress programs: left alone.
 */
TEST_F(flows, inbound_connections_are_left)
{
	struct flow in;
	struct report r;

	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, flow_start_dir(&in, self->env.cgroup, NL_HOST, 0, true));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to nl\ndefault allow\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(0, flow_report(&in, &r));
	EXPECT_EQ(ALIVE, r.client);
	EXPECT_EQ(1, r.peer);
	EXPECT_EQ(0, flows_count(&self->env, self->out, "tcp"));
}

/* A flow made before the daemon attached is decided when it starts. */
TEST_F(flows, a_flow_from_before_the_start_is_ended)
{
	struct flow nl;
	struct report r;

	ASSERT_EQ(0, flow_start(&nl, self->env.cgroup, NL_HOST, 0));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to nl\ndefault allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	EXPECT_EQ(1, flows_count(&self->env, self->out, "tcp")) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(0, flow_report(&nl, &r));
	EXPECT_TRUE(ended_by_abort(r.client)) {
		TH_LOG("client saw %d (%s)", r.client, strerror(r.client));
	}
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "flow ended (start): tcp " NL_HOST));
}

/*
 * sock_diag names no executable: an exe rule is decided with the process
 * that holds the socket (its inode in /proc/PID/fd).
 */
TEST_F(flows, an_exe_rule_is_decided_by_the_owner)
{
	char self_exe[4096], rules[2 * 4096 + 64];
	struct flow nl;
	struct report r;
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	ASSERT_LT(0, n);
	self_exe[n] = '\0';
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, flow_start(&nl, self->env.cgroup, NL_HOST, 0));
	/* Another executable's rule leaves it... */
	snprintf(rules, sizeof(rules), "deny exe %s to nl\ndefault allow\n", self->env.probe);
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, rules));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	EXPECT_EQ(0, flows_count(&self->env, self->out, "tcp"));
	/* ...its own ends it. */
	snprintf(rules, sizeof(rules), "deny exe %s to nl\ndefault allow\n", self_exe);
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, rules));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	EXPECT_EQ(1, flows_count(&self->env, self->out, "tcp")) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(0, flow_report(&nl, &r));
	EXPECT_TRUE(ended_by_abort(r.client)) {
		TH_LOG("client saw %d (%s)", r.client, strerror(r.client));
	}
	/* The log names the process. */
	EXPECT_TRUE(sg_testenv_log_has(&self->env, " pid "));
}

TEST_F(flows, keep_leaves_them)
{
	struct flow nl;
	struct report r;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "existing_flows = keep\n"));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, flow_start(&nl, self->env.cgroup, NL_HOST, 0));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to nl\ndefault allow\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(0, flow_report(&nl, &r));
	EXPECT_EQ(ALIVE, r.client);
	EXPECT_EQ(1, r.peer);
	EXPECT_EQ(0, flows_count(&self->env, self->out, "tcp"));
	/* New connections are refused all the same. */
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, NL_HOST, PORT));
}

TEST_F(flows, a_connected_udp_socket_gets_an_error)
{
	struct flow nl;
	struct report r;

	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, flow_start(&nl, self->env.cgroup, NL_HOST, IPPROTO_UDP));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny udp to nl\ndefault allow\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(0, flow_report(&nl, &r));
	/* udp_abort(): the error once, then the socket is disconnected. */
	EXPECT_TRUE(r.client == ECONNABORTED || r.client == EDESTADDRREQ) {
		TH_LOG("client saw %d (%s)", r.client, strerror(r.client));
	}
	EXPECT_EQ(1, flows_count(&self->env, self->out, "udp")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_EQ(0, flows_count(&self->env, self->out, "tcp"));
}

/*
 * UDP-Lite's connect is not seen by the connect hooks (docs/design.md,
 * "Routes"); the sweep decides it as UDP-Lite, which `udp` names, but the
 * kernel has no destroy for UDP-Lite sockets (udplite_prot has no
 * diag_destroy): the flow is left, counted and said.
 */
TEST_F(flows, a_udplite_flow_is_decided_and_counted_when_it_cannot_end)
{
	struct flow nl, ch;
	struct report r, tr;

	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, flow_start(&nl, self->env.cgroup, NL_HOST, IPPROTO_UDPLITE));
	ASSERT_EQ(0, flow_start(&ch, self->env.cgroup, CH_HOST, 0));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny udp to nl\ndefault allow\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(0, flow_report(&nl, &r));
	/* What the protocol cannot do does not stop the others at the next change. */
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny udp to nl\ndeny to ch\n"
					    "default allow\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(0, flow_report(&ch, &tr));
	EXPECT_TRUE(ended_by_abort(tr.client)) {
		TH_LOG("client saw %d (%s)", tr.client, strerror(tr.client));
	}
	if (flows_count(&self->env, self->out, "udplite") == 1) {
		/* A kernel that destroys UDP-Lite too. */
		EXPECT_TRUE(r.client == ECONNABORTED || r.client == EDESTADDRREQ);
		return;
	}
	/* Left open, but its datagrams are the backstop's to refuse (cgroup_skb/egress). */
	EXPECT_EQ(EPERM, r.client) {
		TH_LOG("client saw %d (%s)", r.client, strerror(r.client));
	}
	EXPECT_EQ(1, flows_count(&self->env, self->out, "unsupported")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_NE(NULL, strstr(self->out, "\"no_destroy\":[\"udplite\"]"));
	EXPECT_NE(NULL, strstr(self->out, "\"destroy\":\"available\""));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "cannot destroy udplite sockets"));
}

/* A rule for TCP alone leaves the UDP flow to the same place. */
TEST_F(flows, only_what_the_new_policy_denies)
{
	struct flow nl;
	struct report r;

	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, flow_start(&nl, self->env.cgroup, NL_HOST, IPPROTO_UDP));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny tcp to nl\ndefault allow\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(0, flow_report(&nl, &r));
	EXPECT_EQ(ALIVE, r.client);
	EXPECT_EQ(0, flows_count(&self->env, self->out, "udp"));
}

/* In audit mode a reload that denies ends nothing: the programs would not refuse. */
TEST_F(flows, audit_mode_ends_nothing)
{
	struct flow nl;
	struct report r;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "mode = audit\n"));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, flow_start(&nl, self->env.cgroup, NL_HOST, 0));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to nl\ndefault allow\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(0, flow_report(&nl, &r));
	EXPECT_EQ(ALIVE, r.client);
}

#define CONF_QUARANTINE                                                                            \
	"detect.firstseen = off\n"                                                                 \
	"detect.revshell.shells = sg-bad\n"                                                        \
	"detect.revshell.min_score = 50\n"                                                         \
	"detect.quarantine = subject\n"                                                            \
	"detect.quarantine.min_score = 50\n"                                                       \
	"detect.quarantine.heuristics = revshell\n"

static int copy_exe(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -1;
	close(in);
	return close(out);
}

/*
 * A unit's alert quarantines the unit: its established flow is ended,
 * a flow of the rest of the subtree is not.
 */
TEST_F(flows, a_quarantine_ends_the_subjects_flows)
{
	struct flow in_unit, other;
	struct report r;
	char bad[600];
	int i;

	snprintf(self->sub, sizeof(self->sub), "%s/sg-flows.service", self->env.cgroup);
	ASSERT_EQ(0, mkdir(self->sub, 0755));
	snprintf(bad, sizeof(bad), "%s/sg-bad", self->env.dir);
	ASSERT_EQ(0, copy_exe(self->env.probe, bad));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_QUARANTINE));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, flow_start(&in_unit, self->sub, NL_HOST, 0));
	ASSERT_EQ(0, flow_start(&other, self->env.cgroup, NL_HOST, 0));

	/* A shell-named program of the unit talks out: revshell alert, quarantine. */
	ASSERT_EQ(ENETUNREACH, sg_probe_exec(bad, self->sub, 0, 0, SG_PROBE_TCP_CONNECT,
					     "9.9.9.9", 443));
	for (i = 0; i < WAIT_MS / 100; i++) {
		if (flows_count(&self->env, self->out, "tcp") == 1)
			break;
		usleep(100000);
	}
	EXPECT_EQ(1, flows_count(&self->env, self->out, "tcp")) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(0, flow_report(&in_unit, &r));
	EXPECT_TRUE(ended_by_abort(r.client)) {
		TH_LOG("client saw %d (%s)", r.client, strerror(r.client));
	}
	ASSERT_EQ(0, flow_report(&other, &r));
	EXPECT_EQ(ALIVE, r.client);
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "flow ended (quarantine 1): tcp " NL_HOST));
}

/* A bad existing_flows value is named by file and line. */
TEST_F(flows, bad_setting_is_refused)
{
	char *argv[] = { self->env.daemon, "--check-config", "-c", self->env.config, NULL };

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "existing_flows = drop\n"));
	EXPECT_NE(0, sg_run_as(0, 0, argv, self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "invalid value \"drop\" for existing_flows")) {
		TH_LOG("%s", self->out);
	}
}

TEST_HARNESS_MAIN
