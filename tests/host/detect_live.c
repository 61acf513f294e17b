// SPDX-License-Identifier: GPL-2.0
/*
 * Detection in the live daemon: a real sovguardd (observation on, the
 * detection engine fed by daemon/detector.c) guards a test cgroup; children
 * in that cgroup do what a backdoor does, and the alerts must appear in the
 * alert store of the test's own state directory (DIR/state), read with
 * `sovguardctl alerts -j --state-dir`.
 *
 * Topology: each child joins the test cgroup; the network cases unshare
 * their network namespace (only lo, up) and talk to 127.0.0.1, or to test
 * hosts on that lo (public addresses of the test data, see "connection
 * heuristics" below), never beyond the namespace. The packet socket cases
 * stay in the host namespace, or take one of their own, where the daemon's
 * sweep of every namespace finds them: the socket is bound to no protocol
 * (it receives nothing) and sends nothing.
 *
 * Beacon runs in scaled time (a 60 s window); exfil and dnstun with
 * thresholds lowered by the test's configuration (MiB in place of 100 MiB,
 * 30 unique names in place of 200), so that each runs in seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/filter.h>
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
#include <unistd.h>

#include "kselftest_harness.h"
#include "sg_test.h"
#include "sg_child.h"

#define POLICY		"deny to 1.1.1.0/24\n"
#define DETECT_CONF	"detect.firstseen.learn = 0\n"
#define OUT_MAX		(1 << 20)
#define WAIT_MS		20000	/* an alert's way: records drained, fed, stored */

FIXTURE(live)
{
	struct sg_testenv env;
	char *out;
	int child;		/* a child left running, killed at teardown */
	char unit_cg[4200];	/* a sub-cgroup named like a unit, removed at teardown */
};

FIXTURE_SETUP(live)
{
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
	self->child = 0;
	self->unit_cg[0] = '\0';
	ASSERT_EQ(0, sg_testenv_init(&self->env, "detect_live"));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, DETECT_CONF));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, POLICY));
}

FIXTURE_TEARDOWN(live)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->unit_cg[0])
		rmdir(self->unit_cg);
	sg_testenv_cleanup(&self->env);
	free(self->out);
}

/* ---- the alert store -------------------------------------------------------- */

/* `sovguardctl alerts -j --state-dir DIR/state` into self->out. */
static int read_alerts(struct sg_testenv *env, char *out)
{
	char dir[600];
	char *argv[] = { env->ctl, "alerts", "-j", "--state-dir", dir, NULL };

	snprintf(dir, sizeof(dir), "%s/state", env->dir);
	return sg_run_as(0, 0, argv, out, OUT_MAX);
}

/* The first alert line of heuristic @heur that also holds @needle, or NULL. */
static const char *find_alert(char *out, const char *heur, const char *needle)
{
	char h[64], *line, *save = NULL;

	snprintf(h, sizeof(h), "\"%s\"", heur);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "\"heuristic\"") && strstr(line, h) &&
		    (!needle || strstr(line, needle)))
			return line;
	return NULL;
}

static const char *wait_alert_ms(struct sg_testenv *env, char *out, const char *heur,
				 const char *needle, int ms)
{
	const char *line;
	int i;

	for (i = 0; i < ms / 200; i++) {
		if (read_alerts(env, out) == 0) {
			line = find_alert(out, heur, needle);
			if (line)
				return line;
		}
		usleep(200000);
	}
	return NULL;
}

static const char *wait_alert(struct sg_testenv *env, char *out, const char *heur,
			      const char *needle)
{
	return wait_alert_ms(env, out, heur, needle, WAIT_MS);
}

/* ---- cases ------------------------------------------------------------------ */

TEST_F(live, fileless_memfd_exec_that_connects)
{
	const char *a;
	int pid;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		static const char *const args[] = { "sg-probe", "tcp", "127.0.0.1", "7101", NULL };
		sg_child_enter(self->env.cgroup, true);
		sg_child_tcp_listener("127.0.0.1", 7101);
		sg_child_memfd_exec("sg-live", self->env.probe, (char *const *)args);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	a = wait_alert(&self->env, self->out, "fileless", "\"src\":\"/memfd:");
	ASSERT_NE(NULL, a);
	TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, "\"evidence\""));
	EXPECT_NE(NULL, strstr(a, "127.0.0.1"));
}

TEST_F(live, revshell_socket_on_stdin_stdout)
{
	const char *a;
	int pid;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		sg_child_shell_on_socket(self->env.cgroup, 7102);
	ASSERT_EQ(0, sg_child_wait(pid));
	a = wait_alert(&self->env, self->out, "revshell", "stdin");
	ASSERT_NE(NULL, a);
	EXPECT_NE(NULL, strstr(a, "sh"));
	EXPECT_NE(NULL, strstr(a, "127.0.0.1:7102"));
}

static int listen_child(const char *cgroup, int port)
{
	int pid = fork();

	if (pid == 0) {
		sg_child_enter(cgroup, true);
		sg_child_tcp_listener("127.0.0.1", port);
		usleep(300000);
		_exit(0);
	}
	return pid < 0 ? -1 : sg_child_wait(pid);
}

TEST_F(live, listener_new)
{
	const char *a;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, listen_child(self->env.cgroup, 7103));
	a = wait_alert(&self->env, self->out, "listener", "127.0.0.1:7103");
	ASSERT_NE(NULL, a);
	EXPECT_NE(NULL, strstr(a, "detect_live"));	/* the subject: this executable */
	EXPECT_NE(NULL, strstr(a, "\"evidence\""));
}

/* In a cgroup of a systemd unit, the unit is the subject. */
TEST_F(live, unit_is_the_subject)
{
	const char *a;

	snprintf(self->unit_cg, sizeof(self->unit_cg), "%s/sg-live.service", self->env.cgroup);
	ASSERT_EQ(0, mkdir(self->unit_cg, 0755));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, listen_child(self->unit_cg, 7107));
	a = wait_alert(&self->env, self->out, "listener", "127.0.0.1:7107");
	ASSERT_NE(NULL, a);
	EXPECT_NE(NULL, strstr(a, "\"src\":\"sg-live.service\"")) {
		TH_LOG("%s", a);
	}
}

/*
 * An allow-listed executable raises no listener alert. The reload applies
 * the new detection settings; a revshell afterwards shows that alerts flow.
 */
TEST_F(live, allowed_exe_raises_none)
{
	int pid;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, DETECT_CONF
					     "detect.allow = listener exe */detect_live\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(0, listen_child(self->env.cgroup, 7104));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int cl;

		sg_child_enter(self->env.cgroup, true);
		sg_child_tcp_listener("127.0.0.1", 7105);
		cl = sg_child_tcp_connect("127.0.0.1", 7105);
		if (dup2(cl, 0) < 0 || dup2(cl, 1) < 0)
			_exit(118);
		execl("/bin/sh", "sh", "-c", "exit 0", (char *)NULL);
		_exit(119);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_NE(NULL, wait_alert(&self->env, self->out, "revshell", "127.0.0.1:7105"));
	ASSERT_EQ(0, read_alerts(&self->env, self->out));
	EXPECT_EQ(NULL, find_alert(self->out, "listener", "127.0.0.1:7104"));
}

/* A packet socket that existed before the daemon: the sweep at start. */
TEST_F(live, pktsock_found_by_the_sweep_at_start)
{
	const char *a;

	self->child = sg_child_packet_holder(self->env.cgroup, false, SG_FILTER_CLASSIC);
	ASSERT_GT(self->child, 0);
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	a = wait_alert(&self->env, self->out, "pktsock", "packet/raw");
	ASSERT_NE(NULL, a);
	TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, "detect_live"));
}

/* One made later: its SOCKET record brings the sweep forward. */
TEST_F(live, pktsock_made_while_running)
{
	const char *a;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	self->child = sg_child_packet_holder(self->env.cgroup, false, SG_FILTER_CLASSIC);
	ASSERT_GT(self->child, 0);
	a = wait_alert(&self->env, self->out, "pktsock", "packet/raw");
	ASSERT_NE(NULL, a);
	EXPECT_NE(NULL, strstr(a, "detect_live"));
}

/* One with an eBPF filter (SO_ATTACH_BPF), which sock_diag does not show. */
TEST_F(live, pktsock_ebpf_filter)
{
	char pid[32];
	const char *a;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	self->child = sg_child_packet_holder(self->env.cgroup, false, SG_FILTER_EBPF);
	ASSERT_GT(self->child, 0);
	snprintf(pid, sizeof(pid), "\"pid\":%d", self->child);
	a = wait_alert(&self->env, self->out, "pktsock", pid);
	ASSERT_NE(NULL, a);
	EXPECT_NE(NULL, strstr(a, "\"filter_type\":\"ebpf\"")) TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, "packet/raw"));
}

/* One in a network namespace of its own, made before the daemon: the sweep visits it. */
TEST_F(live, pktsock_in_another_netns_found_at_start)
{
	char pid[32];
	const char *a;

	self->child = sg_child_packet_holder(self->env.cgroup, true, SG_FILTER_CLASSIC);
	ASSERT_GT(self->child, 0);
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	snprintf(pid, sizeof(pid), "\"pid\":%d", self->child);
	a = wait_alert(&self->env, self->out, "pktsock", pid);
	ASSERT_NE(NULL, a);
	TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, "\"netns\":"));
}

/* ---- connection heuristics against test hosts ------------------------------- */

/*
 * The child's network namespace holds the test hosts: public addresses of
 * SG_TEST_DATA (193.0.6.0/24, NL) on its lo, with a listener on port 8443
 * that accepts and drains. Nothing leaves the namespace.
 *
 *   child netns: lo 127.0.0.1, 193.0.6.10, .11, .20, .21; listener *:8443
 *     beacon:  a process per call-back -> 193.0.6.10 (and .11, allow-listed)
 *     dnsless: DNS 127.0.0.53 "c2.example.test A 193.0.6.10", then
 *              connect .10 (answered), .21 (allow-listed), .20 (never answered)
 *     exfil:   one connection -> 193.0.6.30, 4 MiB out, nothing back
 *     dnstun:  DNS queries -> a resolver of the namespace on 193.0.6.53:53,
 *              40 unique names of long random labels under one domain
 */
#define HOST_PORT	8443
#define HOST_BEACON	"193.0.6.10"
#define HOST_BEACON_OK	"193.0.6.11"	/* allow-listed */
#define HOST_NO_DNS	"193.0.6.20"
#define HOST_NO_DNS_OK	"193.0.6.21"	/* allow-listed */
#define HOST_EXFIL	"193.0.6.30"
#define HOST_RESOLVER	"193.0.6.53"
#define FLUSH_MS	5000		/* the daemon scores every 5 s (SG_DET_FLUSH_MS) */

static void hosts_up(void)
{
	static const char *const hosts[] = { HOST_BEACON, HOST_BEACON_OK, HOST_NO_DNS,
					     HOST_NO_DNS_OK, HOST_EXFIL, HOST_RESOLVER };
	unsigned int i;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (sg_child_host_add(hosts[i]))
			_exit(130);
}

/*
 * A server process of the namespace: accept, read to the end, close; until
 * its parent, the child the test kills, is gone.
 */
static int host_server(void)
{
	int l = sg_child_tcp_listener("0.0.0.0", HOST_PORT), parent = getpid(), pid = fork();
	char buf[512];

	if (pid)
		return pid < 0 ? -1 : pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(135);
	for (;;) {
		int s = accept(l, NULL, NULL);

		if (s < 0)
			_exit(131);
		while (read(s, buf, sizeof(buf)) > 0)
			;
		close(s);
	}
}

/* One call-back: connect, 200 bytes, close. */
static void call_back(const char *host)
{
	int fd = sg_child_tcp_connect(host, HOST_PORT);

	sg_child_xfer(fd, true, 200);
	close(fd);
}

/*
 * Beaconing in scaled time: a 60 s window (24 bins of 2.5 s) in place of a
 * day, 12 connections in place of 36, a call-back every 3 s +-30 % in
 * place of minutes, from one looping process. The observation's flow
 * window scales with it (1 s in place of 10 s): within it a process's
 * connections to one destination are only counted, and counted ones are
 * not scored. The threshold is 70: the live data-size score sees each
 * connection twice, with 0 bytes and with its flow's bytes
 * (docs/detection.md, "Records"), and stays near 0.5.
 */
#define BEACON_CONF	DETECT_CONF "flow_window_ms = 1000\n" \
			"detect.window = 60\n" \
			"detect.beacon.min_conns = 12\n" \
			"detect.beacon.min_score = 70\n" \
			"detect.allow = beacon prefix " HOST_BEACON_OK "\n"
#define BEACON_PERIOD_MS	3000
#define BEACON_MAX		40	/* call-backs before the child gives up */

TEST_F_TIMEOUT(live, beacon_to_a_test_host, 180)
{
	const char *a;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, BEACON_CONF));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		unsigned int seed = 1, i;

		sg_child_enter(self->env.cgroup, true);
		hosts_up();
		if (host_server() < 0)
			_exit(133);
		for (i = 0; i < BEACON_MAX; i++) {
			call_back(HOST_BEACON);
			call_back(HOST_BEACON_OK);
			/* jitter uniform in +-30 % */
			seed = seed * 1103515245 + 12345;
			usleep((BEACON_PERIOD_MS * 7 / 10 +
				(seed >> 8) % (BEACON_PERIOD_MS * 6 / 10)) * 1000);
		}
		_exit(0);
	}
	a = wait_alert_ms(&self->env, self->out, "beacon", "\"dst\":\"" HOST_BEACON "\"",
			  BEACON_MAX * BEACON_PERIOD_MS + 2 * FLUSH_MS);
	ASSERT_NE(NULL, a);
	TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, "/detect_live\""));	/* the subject: this executable */
	EXPECT_NE(NULL, strstr(a, "\"interval_median\":"));
	/* the allowed one has as many call-backs: a flush later, still nothing */
	usleep(2 * FLUSH_MS * 1000);
	ASSERT_EQ(0, read_alerts(&self->env, self->out));
	EXPECT_EQ(NULL, find_alert(self->out, "beacon", HOST_BEACON_OK));
}

/*
 * DNS-less: a connection to an address a DNS answer named raises nothing,
 * one to an address never answered does, unless allow-listed.
 */
TEST_F(live, dnsless_only_without_an_answer)
{
	int pid;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, DETECT_CONF
					     "detect.allow = dnsless prefix " HOST_NO_DNS_OK "\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		sg_child_enter(self->env.cgroup, true);
		hosts_up();
		sg_child_tcp_listener("0.0.0.0", HOST_PORT);
		if (sg_child_dns_answer("c2.example.test", HOST_BEACON))
			_exit(134);
		close(sg_child_tcp_connect(HOST_BEACON, HOST_PORT));
		close(sg_child_tcp_connect(HOST_NO_DNS_OK, HOST_PORT));
		close(sg_child_tcp_connect(HOST_NO_DNS, HOST_PORT));
		usleep(200000);
		_exit(0);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	ASSERT_NE(NULL, wait_alert(&self->env, self->out, "dnsless",
				   "\"dst\":\"" HOST_NO_DNS "\""));
	/* the others were fed before it: a flush later they would be there */
	usleep(2 * FLUSH_MS * 1000);
	ASSERT_EQ(0, read_alerts(&self->env, self->out));
	EXPECT_EQ(NULL, find_alert(self->out, "dnsless", "\"dst\":\"" HOST_BEACON "\""));
	ASSERT_EQ(0, read_alerts(&self->env, self->out));	/* find_alert() cuts it in lines */
	EXPECT_EQ(NULL, find_alert(self->out, "dnsless", HOST_NO_DNS_OK));
}

/*
 * A short-lived implant: a fork (no exec) of this process, which was running
 * before the daemon, connects once and exits at once; its record is read
 * when it is gone (a batch is read past a fill threshold or on the flush
 * timer), so /proc/PID/exe is no help. The executable cached from the walk
 * of /proc at start names it (docs/detection.md, "Subject").
 */
TEST_F(live, gone_fork_named_by_its_executable)
{
	const char *a;
	int pid;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		sg_child_enter(self->env.cgroup, true);
		hosts_up();
		sg_child_tcp_listener("0.0.0.0", HOST_PORT);
		close(sg_child_tcp_connect(HOST_NO_DNS, HOST_PORT));
		_exit(0);
	}
	ASSERT_EQ(0, sg_child_wait(pid));
	a = wait_alert(&self->env, self->out, "dnsless", "\"dst\":\"" HOST_NO_DNS "\"");
	ASSERT_NE(NULL, a);
	TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, "/detect_live\""));	/* the subject: this executable */
	EXPECT_EQ(NULL, strstr(a, "\"src\":\"?\""));
}

/*
 * A child that did its part stays until the test kills it: records of a
 * process that is gone by the time the daemon reads them have no executable
 * to name (/proc/PID/exe, docs/detection.md "Subject"). It says it is done
 * with a byte on @fd; a child that exited instead has its status returned.
 */
static void child_done(int fd)
{
	if (write(fd, "", 1) != 1)
		_exit(140);
	for (;;)
		pause();
}

static int wait_done(int fd, int *pid)
{
	char c;
	int r = 0;

	if (read(fd, &c, 1) != 1) {
		r = sg_child_wait(*pid);
		*pid = 0;	/* reaped */
	}
	close(fd);
	return r;
}

/*
 * Exfiltration: one process sends 4 MiB to a test host that sends nothing
 * back. The flow's end brings its byte counts (bpf/observe.bpf.c); with the
 * threshold at 1 MiB and the ratio at 20 both the destination's series and
 * its jurisdiction's (NL in the test data) alert, and the alert carries the
 * destination's jurisdiction.
 */
#define EXFIL_BYTES	(4u << 20)
#define EXFIL_CONF	DETECT_CONF "detect.window = 60\n" \
			"detect.exfil.min_bytes = 1048576\n" \
			"detect.exfil.min_ratio = 20\n"

TEST_F(live, exfil_volume_to_a_test_host)
{
	const char *a;
	int p[2];

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, EXFIL_CONF));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		char c;
		int fd;

		close(p[0]);
		sg_child_enter(self->env.cgroup, true);
		hosts_up();
		if (host_server() < 0)
			_exit(133);
		fd = sg_child_tcp_connect(HOST_EXFIL, HOST_PORT);
		sg_child_xfer(fd, true, EXFIL_BYTES);
		shutdown(fd, SHUT_WR);
		/* the server's end: it read everything and closed */
		if (read(fd, &c, 1) != 0)
			_exit(136);
		close(fd);
		child_done(p[1]);
	}
	close(p[1]);
	ASSERT_EQ(0, wait_done(p[0], &self->child));
	a = wait_alert(&self->env, self->out, "exfil", "\"dst\":\"" HOST_EXFIL "\"");
	ASSERT_NE(NULL, a);
	TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, "/detect_live\""));	/* the subject: this executable */
	EXPECT_NE(NULL, strstr(a, "\"series\":\"address\""));
	EXPECT_NE(NULL, strstr(a, "\"bytes_in\":0"));
	EXPECT_NE(NULL, strstr(a, "\"bytes_out\":"));
	EXPECT_NE(NULL, strstr(a, "\"dst_country\":\"NL\""));
	EXPECT_NE(NULL, strstr(a, "\"dst_asn\":\"AS3333\""));
	EXPECT_NE(NULL, strstr(a, "\"dst_zones\":\"eu,eea,"));
	a = wait_alert(&self->env, self->out, "exfil", "\"dst\":\"jurisdiction:NL\"");
	ASSERT_NE(NULL, a);
	EXPECT_NE(NULL, strstr(a, "\"dst_country\":\"NL\""));
	EXPECT_NE(NULL, strstr(a, "\"series\":\"jurisdiction\""));
}

/* ---- DNS tunnelling ---------------------------------------------------------- */

#define TUN_DOMAIN	"tun.test"
#define TUN_NAMES	40
#define TUN_LABEL	40		/* base32 characters under the domain */
#define TUN_CONF	DETECT_CONF "detect.window = 60\n" \
			"detect.dnstun.min_unique = 30\n"

/* A query for @name (A, IN), id @id, into m. Return: its length. */
static size_t dns_query(__u8 *m, size_t len, __u16 id, const char *name)
{
	size_t at = 12;
	const char *p = name;

	if (len < 12 + strlen(name) + 6)
		return 0;
	memset(m, 0, 12);
	m[0] = id >> 8;
	m[1] = id;
	m[2] = 0x01;		/* RD */
	m[5] = 1;		/* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		m[at++] = n;
		memcpy(m + at, p, n);
		at += n;
		p += n + (dot ? 1 : 0);
	}
	m[at++] = 0;
	m[at++] = 0;
	m[at++] = 1;		/* A */
	m[at++] = 0;
	m[at++] = 1;		/* IN */
	return at;
}

/*
 * The resolver of the namespace: each query comes back as its answer, the
 * question kept and one A record (a pointer to the question's name,
 * HOST_EXFIL) added; until its parent, the child the test waits for, is gone.
 */
static int resolver(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), parent = getpid(), pid;

	if (fd < 0 || inet_pton(AF_INET, HOST_RESOLVER, &sa.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	pid = fork();
	if (pid) {
		close(fd);
		return pid < 0 ? -1 : pid;
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(135);
	for (;;) {
		static const __u8 rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		__u8 m[512];
		ssize_t n = recvfrom(fd, m, sizeof(m) - sizeof(rr) - 4, 0,
				     (struct sockaddr *)&from, &flen);

		if (n < 12)
			continue;
		m[2] |= 0x80;	/* QR */
		m[3] = 0x80;	/* RA, NOERROR */
		m[6] = 0;
		m[7] = 1;	/* ANCOUNT */
		memcpy(m + n, rr, sizeof(rr));
		inet_pton(AF_INET, HOST_EXFIL, m + n + sizeof(rr));
		sendto(fd, m, n + sizeof(rr) + 4, 0, (struct sockaddr *)&from, flen);
	}
}

/*
 * A tunnel's client: TUN_NAMES queries for unique names of TUN_LABEL random
 * base32 characters under TUN_DOMAIN, each answered by the resolver.
 */
TEST_F(live, dnstun_long_random_names_to_a_test_resolver)
{
	const char *a;
	int p[2];

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, TUN_CONF));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
		struct timeval tv = { .tv_sec = 2 };
		unsigned int seed = 7, i, k;
		int fd;

		close(p[0]);
		sg_child_enter(self->env.cgroup, true);
		hosts_up();
		if (resolver() < 0)
			_exit(137);
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || inet_pton(AF_INET, HOST_RESOLVER, &sa.sin_addr) != 1 ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
			_exit(138);
		for (i = 0; i < TUN_NAMES; i++) {
			char name[TUN_LABEL + sizeof(TUN_DOMAIN) + 1];
			__u8 m[512];
			size_t n;

			for (k = 0; k < TUN_LABEL; k++) {
				seed = seed * 1103515245 + 12345;
				name[k] = b32[(seed >> 16) % 32];
			}
			snprintf(name + TUN_LABEL, sizeof(name) - TUN_LABEL, ".%s", TUN_DOMAIN);
			n = dns_query(m, sizeof(m), 0x5300 + i, name);
			if (!n || sendto(fd, m, n, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)n ||
			    recv(fd, m, sizeof(m), 0) <= (ssize_t)n)
				_exit(139);
		}
		child_done(p[1]);
	}
	close(p[1]);
	ASSERT_EQ(0, wait_done(p[0], &self->child));
	a = wait_alert(&self->env, self->out, "dnstun", "\"dst\":\"" TUN_DOMAIN "\"");
	ASSERT_NE(NULL, a);
	TH_LOG("%s", a);
	EXPECT_NE(NULL, strstr(a, "/detect_live\""));	/* the subject: this executable */
	EXPECT_NE(NULL, strstr(a, "\"unique\":40"));
	EXPECT_NE(NULL, strstr(a, "\"mean_len\":40.0"));
	EXPECT_NE(NULL, strstr(a, "\"mean_entropy\":"));
	EXPECT_NE(NULL, strstr(a, "." TUN_DOMAIN "\""));	/* the example name */
}

TEST_F(live, status_and_events_show_detection)
{
	char *argv[] = { self->env.ctl, "--pin-root", self->env.pin_root, "--run-dir", NULL,
			 "status", "-j", NULL };
	char run[600];

	snprintf(run, sizeof(run), "%s/run", self->env.dir);
	argv[4] = run;
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, listen_child(self->env.cgroup, 7106));
	ASSERT_NE(NULL, wait_alert(&self->env, self->out, "listener", "127.0.0.1:7106"));
	ASSERT_EQ(0, sg_run_as(0, 0, argv, self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "\"detection\""));
	EXPECT_NE(NULL, strstr(self->out, "\"heuristics\""));
	EXPECT_NE(NULL, strstr(self->out, "\"fileless\""));
	EXPECT_NE(NULL, strstr(self->out, "\"listens\""));

	argv[5] = "events";
	ASSERT_EQ(0, sg_run_as(0, 0, argv, self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "\"type\":\"listen\""));
	EXPECT_NE(NULL, strstr(self->out, "\"type\":\"alert\""));
	EXPECT_NE(NULL, strstr(self->out, "\"seq\""));
}

/* A bad detect.* value in sovguard.conf is named by file, line and column. */
TEST_F(live, bad_detect_setting_named_by_line)
{
	char *argv[] = { self->env.daemon, "--check-config", "-c", self->env.config, NULL };
	char want[600];

	/* the eighth line: after the seven sg_testenv_write_config() writes */
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "detect.beacon = maybe\n"));
	EXPECT_NE(0, sg_run_as(0, 0, argv, self->out, OUT_MAX));
	snprintf(want, sizeof(want), "%s:8:17: detect.beacon", self->env.config);
	EXPECT_NE(NULL, strstr(self->out, want)) {
		TH_LOG("%s", self->out);
	}
}

/* What no single key can say is checked as analyze checks it. */
TEST_F(live, beacon_weights_must_sum_to_one)
{
	char *argv[] = { self->env.daemon, "--check-config", "-c", self->env.config, NULL };

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "detect.beacon.ts_weight = 0.9\n"));
	EXPECT_NE(0, sg_run_as(0, 0, argv, self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "weight sum to")) {
		TH_LOG("%s", self->out);
	}
}

TEST_HARNESS_MAIN
