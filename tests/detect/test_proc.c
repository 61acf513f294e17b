// SPDX-License-Identifier: GPL-2.0
/*
 * The heuristics on the live daemon's process observations: firstseen,
 * fileless, revshell, listener, pktsock and hookscan, each with a positive,
 * an allow-listed negative and its look-alikes; exe and unit allow-list
 * entries; repeat suppression.
 */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/if_ether.h>

#include "kselftest_harness.h"
#include <json-c/json.h>

#include "det_test.h"

#define T0 1714521600.0
#define DAY 86400.0

static void dump(const struct sg_test_alerts *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		printf("# alert %s %u %s -> %s %s\n", sg_heur_name(s->a[i].h), s->a[i].score,
		       s->a[i].src, s->a[i].dst, s->a[i].ev);
}

static int count(const struct sg_test_alerts *s, enum sg_heur h)
{
	return sg_test_count(s, h, NULL);
}

static struct sg_obs conn(double ts, const char *exe, __u32 pid, const char *dst, __u16 port)
{
	struct sg_obs o = { .kind = SG_DET_CONN, .ts = ts, .subject = exe, .exe = exe, .pid = pid,
			    .dport = port, .proto = IPPROTO_TCP, .dir = SG_DIR_OUT };

	sg_test_addr(&o.src, "10.0.0.2");
	sg_test_addr(&o.dst, dst);
	return o;
}

static struct sg_obs exec_obs(double ts, const char *exe, __u32 pid, __u64 ino, __u32 flags)
{
	struct sg_obs o = { .kind = SG_DET_EXEC, .ts = ts, .subject = exe, .exe = exe, .pid = pid,
			    .exe_dev = 2049, .exe_ino = ino, .exe_mtime = T0 - DAY,
			    .exe_flags = flags, .ppid = 1, .parent_exe = "/usr/lib/systemd/systemd" };

	return o;
}

static struct sg_obs listen_obs(double ts, const char *exe, __u32 pid, const char *local,
				__u16 port)
{
	struct sg_obs o = { .kind = SG_DET_LISTEN, .ts = ts, .subject = exe, .exe = exe,
			    .pid = pid, .proto = IPPROTO_TCP, .lport = port };

	sg_test_addr(&o.src, local);
	return o;
}

FIXTURE(det)
{
	struct sg_detect_config cfg;
	struct sg_detect *d;
	struct sg_test_alerts seen;
	char dir[64];
};

FIXTURE_SETUP(det)
{
	sg_detect_config_init(&self->cfg);
	self->cfg.firstseen.learn = DAY;
	/* the connection heuristics have their own suite */
	self->cfg.on[SG_HEUR_BEACON] = self->cfg.on[SG_HEUR_EXFIL] = false;
	self->cfg.on[SG_HEUR_DNSTUN] = self->cfg.on[SG_HEUR_DNSLESS] = false;
	self->d = NULL;
	memset(&self->seen, 0, sizeof(self->seen));
	snprintf(self->dir, sizeof(self->dir), "/tmp/sg-detect-proc-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->cfg.state_dir, sizeof(self->cfg.state_dir), "%s/state", self->dir);
}

FIXTURE_TEARDOWN(det)
{
	char cmd[128];

	sg_test_engine_free(&self->seen, &self->d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

static struct sg_detect *start(struct __test_metadata *_metadata, FIXTURE_DATA(det) *self)
{
	EXPECT_EQ(0, sg_test_engine_start(&self->cfg, &self->seen, &self->d));
	return self->d;
}

static void feed(struct __test_metadata *_metadata, struct sg_detect *d, struct sg_obs o)
{
	EXPECT_EQ(0, sg_detect_feed(d, &o));
}

/* Learned during the first day, a new executable alerts once after it. */
TEST_F(det, firstseen_after_learning)
{
	struct sg_detect *d = start(_metadata, self);

	feed(_metadata, d, conn(T0, "/usr/bin/curl", 10, "93.184.216.34", 443));
	feed(_metadata, d, conn(T0 + 3600, "/usr/sbin/chronyd", 11, "94.130.1.123", 123));
	EXPECT_EQ(0, count(&self->seen, SG_HEUR_FIRSTSEEN));
	/* after the learning period: known stays quiet, new alerts once */
	feed(_metadata, d, conn(T0 + DAY + 10, "/usr/bin/curl", 12, "93.184.216.34", 443));
	feed(_metadata, d, exec_obs(T0 + DAY + 20, "/opt/x/agent", 13, 777, 0));
	feed(_metadata, d, conn(T0 + DAY + 21, "/opt/x/agent", 13, "45.33.1.10", 8443));
	feed(_metadata, d, conn(T0 + DAY + 22, "/opt/x/agent", 13, "45.33.1.10", 8443));
	ASSERT_EQ(1, count(&self->seen, SG_HEUR_FIRSTSEEN));
	EXPECT_STREQ("/opt/x/agent", self->seen.a[0].exe);
	EXPECT_STREQ("45.33.1.10", self->seen.a[0].dst);
	EXPECT_EQ(13, self->seen.a[0].pid);
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"exe_ino\":777"));
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"dport\":8443"));
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"event\":\"new\""));
}

TEST_F(det, firstseen_allow_list_by_exe_and_unit)
{
	char err[256];
	struct sg_detect *d;
	struct sg_obs o;

	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.allow", "firstseen exe /opt/x/*",
					  err, sizeof(err)));
	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.allow", "all unit backup-*.service",
					  err, sizeof(err)));
	d = start(_metadata, self);
	feed(_metadata, d, conn(T0, "/usr/bin/curl", 10, "93.184.216.34", 443));
	feed(_metadata, d, conn(T0 + DAY + 21, "/opt/x/agent", 13, "45.33.1.10", 8443));
	o = conn(T0 + DAY + 22, "/usr/bin/restic", 14, "45.33.1.11", 443);
	o.unit = "backup-nightly.service";
	feed(_metadata, d, o);
	EXPECT_EQ(0, count(&self->seen, SG_HEUR_FIRSTSEEN));
	EXPECT_EQ(2, self->d->st.allowed[SG_HEUR_FIRSTSEEN]);
	/* the same without the entries alerts */
	o.unit = "other.service";
	o.exe = "/usr/bin/rclone";
	feed(_metadata, d, o);
	EXPECT_EQ(1, count(&self->seen, SG_HEUR_FIRSTSEEN));
}

/*
 * The baseline survives a save and a load, including a replaced file (an
 * upgrade: same path, new inode) that does not alert at the default
 * threshold and is reported with its old and new inode at threshold 0.
 */
TEST_F(det, baseline_survives_restart_and_replaced_file)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs l;

	feed(_metadata, d, exec_obs(T0, "/usr/bin/curl", 10, 100, 0));
	feed(_metadata, d, conn(T0 + 1, "/usr/bin/curl", 10, "93.184.216.34", 443));
	feed(_metadata, d, conn(T0 + 2, "/usr/bin/odd path\nname", 9, "93.184.216.34", 443));
	feed(_metadata, d, listen_obs(T0 + 3, "/usr/sbin/sshd", 5, "0.0.0.0", 22));
	ASSERT_EQ(0, sg_detect_baseline_save(d));

	/* a restart after the learning period */
	d = start(_metadata, self);
	ASSERT_EQ(0, sg_detect_baseline_load(d, stderr));
	EXPECT_EQ(0, d->st.baseline_corrupt);
	feed(_metadata, d, conn(T0 + 2 * DAY, "/usr/bin/odd path\nname", 19, "93.184.216.34", 443));
	feed(_metadata, d, listen_obs(T0 + 2 * DAY, "/usr/sbin/sshd", 15, "0.0.0.0", 22));
	/* the upgrade replaced curl */
	feed(_metadata, d, exec_obs(T0 + 2 * DAY, "/usr/bin/curl", 20, 200, 0));
	feed(_metadata, d, conn(T0 + 2 * DAY + 1, "/usr/bin/curl", 20, "93.184.216.34", 443));
	EXPECT_EQ(0, self->seen.n);

	/* the same at threshold 0 shows the replacement */
	self->cfg.min_score[SG_HEUR_FIRSTSEEN] = 0;
	d = start(_metadata, self);
	ASSERT_EQ(0, sg_detect_baseline_load(d, stderr));
	feed(_metadata, d, exec_obs(T0 + 2 * DAY, "/usr/bin/curl", 20, 200, 0));
	ASSERT_EQ(1, self->seen.n);
	EXPECT_EQ(30, self->seen.a[0].score);
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"event\":\"replaced\""));
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"exe_ino\":200"));
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"prev_ino\":100"));
	/* and a listener the baseline does not know still alerts */
	l = listen_obs(T0 + 2 * DAY, "/usr/sbin/sshd", 15, "0.0.0.0", 2222);
	feed(_metadata, d, l);
	EXPECT_EQ(1, count(&self->seen, SG_HEUR_LISTENER));
}

/* A corrupt baseline is reported with file:line, counted, and learning restarts. */
TEST_F(det, baseline_corrupt_file_restarts_learning)
{
	char path[SG_DETECT_PATH_MAX + 16];
	struct sg_detect *d;
	FILE *f, *err;
	char *msg = NULL;
	size_t len = 0;

	ASSERT_EQ(0, mkdir(self->cfg.state_dir, 0700));
	snprintf(path, sizeof(path), "%s/baseline", self->cfg.state_dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "version 1\nlearn_start 1714521600\nexe 1 2 3 4 5 6 7 /usr/bin/a\nexe 1 2\n");
	fclose(f);
	d = start(_metadata, self);
	err = open_memstream(&msg, &len);
	ASSERT_EQ(0, sg_detect_baseline_load(d, err));
	fclose(err);
	EXPECT_NE(NULL, strstr(msg, "/baseline:4: expected exe")) TH_LOG("%s", msg);
	free(msg);
	EXPECT_EQ(1, d->st.baseline_corrupt);
	/* learning again from the next observation: /usr/bin/a is not known,
	 * and nothing alerts while learning */
	feed(_metadata, d, conn(T0 + 10 * DAY, "/usr/bin/b", 10, "93.184.216.34", 443));
	feed(_metadata, d, conn(T0 + 10 * DAY + 5, "/usr/bin/a", 11, "93.184.216.34", 443));
	EXPECT_EQ(0, count(&self->seen, SG_HEUR_FIRSTSEEN));
}

/* A baseline saved before any observation starts learning then, not at the epoch. */
TEST_F(det, baseline_saved_empty_keeps_learning)
{
	double now = (double)time(NULL);
	struct sg_detect *d = start(_metadata, self);

	ASSERT_EQ(0, sg_detect_baseline_save(d));
	d = start(_metadata, self);
	ASSERT_EQ(0, sg_detect_baseline_load(d, stderr));
	feed(_metadata, d, conn(now + 60, "/usr/bin/curl", 10, "93.184.216.34", 443));
	EXPECT_EQ(0, count(&self->seen, SG_HEUR_FIRSTSEEN));
	feed(_metadata, d, conn(now + DAY + 60, "/usr/bin/wget", 11, "93.184.216.34", 443));
	EXPECT_EQ(1, count(&self->seen, SG_HEUR_FIRSTSEEN));
}

TEST_F(det, baseline_is_bounded)
{
	char exe[32];
	struct sg_detect *d;
	int i;

	self->cfg.firstseen.max_entries = 16;
	d = start(_metadata, self);
	for (i = 0; i < 20; i++) {
		snprintf(exe, sizeof(exe), "/usr/bin/t%d", i);
		feed(_metadata, d, conn(T0 + i, exe, 10 + i, "93.184.216.34", 443));
	}
	EXPECT_EQ(4, d->st.baseline_full);
	EXPECT_EQ(16, d->st.entries[SG_HEUR_FIRSTSEEN]);
}

/* memfd, deleted and world-writable executables that connect or listen. */
TEST_F(det, fileless_memfd_deleted_and_tmp)
{
	struct sg_detect *d = start(_metadata, self);

	feed(_metadata, d, exec_obs(T0, "/memfd:x", 30, 5, SG_EXE_MEMFD));
	feed(_metadata, d, conn(T0 + 5, NULL, 30, "45.33.1.10", 443));
	ASSERT_EQ(1, count(&self->seen, SG_HEUR_FILELESS)) dump(&self->seen);
	EXPECT_EQ(1, self->seen.n) dump(&self->seen);
	EXPECT_EQ(95, self->seen.a[0].score);
	EXPECT_EQ(30, self->seen.a[0].pid);
	EXPECT_STREQ("/memfd:x", self->seen.a[0].exe);
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"flags\":[\"memfd\"]"));
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"event\":\"connect\""));
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"parent_exe\":\"/usr/lib/systemd/systemd\""))
		TH_LOG("%s", self->seen.a[0].ev);

	/* deleted after exec: the listener record names it */
	feed(_metadata, d, listen_obs(T0 + 6, "/usr/local/bin/x (deleted)", 31, "0.0.0.0", 4444));
	EXPECT_EQ(2, count(&self->seen, SG_HEUR_FILELESS));
	EXPECT_EQ(85, self->seen.a[self->seen.n - 1].score);
	feed(_metadata, d, conn(T0 + 7, "/dev/shm/.x", 32, "45.33.1.10", 443));
	EXPECT_EQ(3, count(&self->seen, SG_HEUR_FILELESS));
	/* an ordinary executable is not */
	feed(_metadata, d, exec_obs(T0 + 8, "/usr/bin/curl", 33, 6, 0));
	feed(_metadata, d, conn(T0 + 9, NULL, 33, "45.33.1.10", 443));
	EXPECT_EQ(3, count(&self->seen, SG_HEUR_FILELESS));
}

/* The exec record counts for the same executable only: a reused pid does not inherit it. */
TEST_F(det, fileless_exec_record_of_a_reused_pid)
{
	struct sg_detect *d = start(_metadata, self);

	feed(_metadata, d, exec_obs(T0, "/memfd:x", 30, 5, SG_EXE_MEMFD));
	feed(_metadata, d, conn(T0 + 5, "/memfd:x (deleted)", 30, "45.33.1.10", 443));
	EXPECT_EQ(1, count(&self->seen, SG_HEUR_FILELESS));
	feed(_metadata, d, exec_obs(T0 + 6, "/dev/shm/y", 31, 6, SG_EXE_WW_DIR));
	feed(_metadata, d, conn(T0 + 7, "/usr/bin/curl", 31, "45.33.1.10", 443));
	EXPECT_EQ(1, count(&self->seen, SG_HEUR_FILELESS));
}

TEST_F(det, fileless_allow_listed_exe)
{
	char err[256];
	struct sg_detect *d;

	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.allow", "fileless exe /tmp/build-*",
					  err, sizeof(err)));
	d = start(_metadata, self);
	feed(_metadata, d, conn(T0, "/tmp/build-42", 32, "45.33.1.10", 443));
	EXPECT_EQ(0, count(&self->seen, SG_HEUR_FILELESS));
	feed(_metadata, d, conn(T0, "/tmp/other", 33, "45.33.1.10", 443));
	EXPECT_EQ(1, count(&self->seen, SG_HEUR_FILELESS));
}

static struct sg_obs shell(double ts, const char *exe, __u32 pid, bool sock_in)
{
	struct sg_obs o = exec_obs(ts, exe, pid, 9, 0);

	if (sock_in) {
		o.stdio[0].is_socket = o.stdio[1].is_socket = true;
		o.stdio[0].family = o.stdio[1].family = AF_INET;
		sg_test_addr(&o.stdio[0].peer, "198.51.100.7");
		sg_test_addr(&o.stdio[1].peer, "198.51.100.7");
		o.stdio[0].port = o.stdio[1].port = 4444;
	}
	return o;
}

TEST_F(det, revshell_socket_stdin_reports_peer)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;

	feed(_metadata, d, shell(T0, "/usr/bin/bash", 40, true));
	feed(_metadata, d, shell(T0 + 1, "/usr/bin/python3.11", 41, true));
	ASSERT_EQ(2, count(&self->seen, SG_HEUR_REVSHELL));
	EXPECT_EQ(95, self->seen.a[0].score);
	EXPECT_STREQ("198.51.100.7:4444", self->seen.a[0].dst);
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"stdin\":{\"family\":\"inet\","
						   "\"peer\":\"198.51.100.7:4444\"}"));
	/* the same shell on a terminal, and a non-shell on a socket: nothing */
	feed(_metadata, d, shell(T0 + 2, "/usr/bin/bash", 42, false));
	feed(_metadata, d, shell(T0 + 3, "/usr/sbin/sshd", 43, true));
	/* a unix socket as stdin is systemd's socket activation, not a peer */
	o = shell(T0 + 4, "/usr/bin/bash", 44, false);
	o.stdio[0].is_socket = true;
	o.stdio[0].family = AF_UNIX;
	feed(_metadata, d, o);
	EXPECT_EQ(2, count(&self->seen, SG_HEUR_REVSHELL));
	/* a shell connecting out */
	feed(_metadata, d, conn(T0 + 5, "/bin/sh", 45, "45.33.1.10", 80));
	EXPECT_EQ(3, count(&self->seen, SG_HEUR_REVSHELL));
	EXPECT_EQ(60, self->seen.a[self->seen.n - 1].score);
	EXPECT_STREQ("45.33.1.10:80", self->seen.a[self->seen.n - 1].dst);
}

TEST_F(det, revshell_allow_listed_and_custom_list)
{
	char err[256];
	struct sg_detect *d;

	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.allow", "revshell unit inetd-*",
					  err, sizeof(err)));
	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.revshell.shells", "+ myrepl",
					  err, sizeof(err)));
	d = start(_metadata, self);
	{
		struct sg_obs o = shell(T0, "/usr/bin/bash", 40, true);

		o.unit = "inetd-echo.service";
		feed(_metadata, d, o);
	}
	EXPECT_EQ(0, count(&self->seen, SG_HEUR_REVSHELL));
	feed(_metadata, d, shell(T0, "/opt/myrepl", 41, true));
	EXPECT_EQ(1, count(&self->seen, SG_HEUR_REVSHELL));
	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.revshell.shells", "zsh",
					  err, sizeof(err)));
	EXPECT_EQ(1, self->cfg.shells.n);
}

TEST_F(det, listener_unexpected_allowed_and_learned)
{
	char err[256];
	struct sg_detect *d;

	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.listener.allow", "nginx 443",
					  err, sizeof(err)));
	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.listener.allow",
					  "/usr/sbin/named *", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, sg_detect_config_set(&self->cfg, "detect.listener.allow", "x 70000",
						err, sizeof(err)));
	d = start(_metadata, self);
	/* learned on the first day */
	feed(_metadata, d, listen_obs(T0, "/usr/sbin/sshd", 5, "0.0.0.0", 22));
	EXPECT_EQ(0, count(&self->seen, SG_HEUR_LISTENER));
	feed(_metadata, d, listen_obs(T0 + DAY, "/usr/sbin/sshd", 6, "0.0.0.0", 22));
	feed(_metadata, d, listen_obs(T0 + DAY, "/usr/sbin/nginx", 7, "0.0.0.0", 443));
	feed(_metadata, d, listen_obs(T0 + DAY, "/usr/sbin/named", 8, "127.0.0.1", 953));
	EXPECT_EQ(0, count(&self->seen, SG_HEUR_LISTENER));
	/* nginx on another port, and a new listener */
	feed(_metadata, d, listen_obs(T0 + DAY, "/usr/sbin/nginx", 7, "127.0.0.1", 8080));
	feed(_metadata, d, listen_obs(T0 + DAY, "/usr/bin/python3", 9, "0.0.0.0", 31337));
	ASSERT_EQ(2, count(&self->seen, SG_HEUR_LISTENER));
	EXPECT_EQ(60, self->seen.a[0].score);
	EXPECT_STREQ("127.0.0.1:8080", self->seen.a[0].dst);
	EXPECT_EQ(75, self->seen.a[1].score);
	EXPECT_NE(NULL, strstr(self->seen.a[1].ev, "\"port\":31337"));
	EXPECT_NE(NULL, strstr(self->seen.a[1].ev, "\"any_address\":true"));
}

static struct sg_obs psock(double ts, const char *exe, __u32 pid, bool filter)
{
	struct sg_obs o = { .kind = SG_DET_PKTSOCK, .ts = ts, .subject = exe, .exe = exe,
			    .pid = pid, .sock_family = AF_PACKET, .sock_type = SOCK_RAW,
			    .sock_proto = ETH_P_ALL, .sock_filter = filter };

	return o;
}

TEST_F(det, pktsock_filtered_packet_socket)
{
	char err[256];
	struct sg_detect *d;

	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.pktsock.capture", "+ mysniff",
					  err, sizeof(err)));
	d = start(_metadata, self);
	feed(_metadata, d, psock(T0, "/usr/sbin/tcpdump", 50, true));
	feed(_metadata, d, psock(T0, "/usr/sbin/dhclient", 51, true));
	feed(_metadata, d, psock(T0, "/opt/mysniff", 52, true));
	feed(_metadata, d, psock(T0, "/usr/lib/x/.kworker", 53, false));
	EXPECT_EQ(0, count(&self->seen, SG_HEUR_PKTSOCK));
	feed(_metadata, d, psock(T0, "/usr/lib/x/.kworker", 53, true));
	ASSERT_EQ(1, count(&self->seen, SG_HEUR_PKTSOCK));
	EXPECT_EQ(90, self->seen.a[0].score);
	EXPECT_STREQ("packet/raw/0x0003", self->seen.a[0].dst);
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"filter\":true"));
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"pid\":53"));
}

TEST_F(det, hookscan_reports_flagged_hooks)
{
	struct sg_hook_flag unknown = { .module = NULL, .pf = 2, .hooknum = 0,
					.priority = -300, .reason = "address in no module" };
	struct sg_hook_flag ours = { .module = "nf_conntrack", .pf = 2, .hooknum = 1 };
	struct sg_hook_flag odd = { .module = "diamorphine", .pf = 10, .hooknum = 3,
				    .priority = 100 };
	struct sg_hook_flag bad = { .module = NULL, .pf = 2, .hooknum = 9 };
	struct sg_detect *d = start(_metadata, self);

	EXPECT_EQ(0, sg_detect_hook(d, &unknown, T0));
	EXPECT_EQ(0, sg_detect_hook(d, &ours, T0));
	EXPECT_EQ(0, sg_detect_hook(d, &odd, T0));
	EXPECT_EQ(-EINVAL, sg_detect_hook(d, &bad, T0));
	ASSERT_EQ(2, count(&self->seen, SG_HEUR_HOOKSCAN));
	EXPECT_STREQ("unknown code", self->seen.a[0].src);
	EXPECT_STREQ("ipv4/2/hook0/prio-300", self->seen.a[0].dst);
	EXPECT_EQ(100, self->seen.a[0].score);
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"reason\":\"address in no module\""));
	EXPECT_STREQ("diamorphine", self->seen.a[1].src);
	EXPECT_EQ(80, self->seen.a[1].score);
}

/* Repeats within detect.suppress: one alert, then one summary with the count. */
TEST_F(det, repeats_are_suppressed_and_summarised)
{
	struct sg_detect *d;
	int i;

	self->cfg.suppress = 600;
	d = start(_metadata, self);
	for (i = 0; i < 5; i++)
		feed(_metadata, d, conn(T0 + i * 60, "/bin/sh", 45, "45.33.1.10", 80));
	/* another destination is another alert */
	feed(_metadata, d, conn(T0 + 10, "/bin/sh", 45, "45.33.1.11", 80));
	EXPECT_EQ(2, count(&self->seen, SG_HEUR_REVSHELL));
	EXPECT_EQ(2, self->seen.n) dump(&self->seen);
	EXPECT_EQ(4, d->st.suppressed);
	sg_detect_flush(d, T0 + 300);
	EXPECT_EQ(2, self->seen.n);		/* the period is not over */
	sg_detect_flush(d, T0 + 700);
	ASSERT_EQ(3, self->seen.n);
	EXPECT_EQ(4, self->seen.a[2].repeats);
	EXPECT_STREQ("45.33.1.10:80", self->seen.a[2].dst);
	EXPECT_NE(NULL, strstr(self->seen.a[2].ev, "\"repeats\":4"));
	EXPECT_EQ(1, d->st.summaries);
	EXPECT_EQ(2, d->st.alerts[SG_HEUR_REVSHELL]);
	/* after the period a repeat is an alert again */
	feed(_metadata, d, conn(T0 + 1400, "/bin/sh", 45, "45.33.1.10", 80));
	EXPECT_EQ(4, self->seen.n);
	EXPECT_EQ(0, self->seen.a[3].repeats);
}

TEST(config_keys)
{
	struct sg_detect_config cfg;
	char err[256];

	sg_detect_config_init(&cfg);
	EXPECT_EQ(0, sg_detect_config_set(&cfg, "detect.firstseen.learn", "3600", err,
					  sizeof(err)));
	EXPECT_EQ(3600, cfg.firstseen.learn);
	EXPECT_EQ(0, sg_detect_config_set(&cfg, "detect.state_dir", "/srv/sg", err, sizeof(err)));
	EXPECT_STREQ("/srv/sg", cfg.state_dir);
	EXPECT_EQ(-EINVAL, sg_detect_config_set(&cfg, "detect.state_dir", "rel", err,
						sizeof(err)));
	EXPECT_EQ(-EINVAL, sg_detect_config_set(&cfg, "detect.allow", "all exe", err,
						sizeof(err)));
	EXPECT_EQ(-EINVAL, sg_detect_config_set(&cfg, "detect.allow", "all path /x", err,
						sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "exe or unit"));
	EXPECT_EQ(0, sg_detect_config_set(&cfg, "detect.pktsock", "off", err, sizeof(err)));
	EXPECT_FALSE(cfg.on[SG_HEUR_PKTSOCK]);
	EXPECT_STREQ("hookscan", sg_heur_name(SG_HEUR_HOOKSCAN));
}

TEST_HARNESS_MAIN
