// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's inputs and its own interfaces under hostile or careless
 * conditions: rules, data and configuration that are not files, not
 * trustworthy or not there; run_dir changed under a running daemon; slow
 * and unprivileged clients; and a policy with every kind of subject that
 * must not be published again and again when nothing changed.
 *
 * Topology: the test cgroup T holds T/a and T/sgt-PID.service (a "unit":
 * without systemd the daemon finds a unit's cgroup by its name). Probes
 * join one of them and an empty network namespace (only lo, up); a
 * connect() to a public address gets EPERM when refused and ENETUNREACH
 * when let through, and no packet leaves the machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sg_test.h"

#define AU4		"1.1.1.1"	/* AU in the test data */
#define US4		"8.8.8.8"	/* US */
#define NOBODY		65534
#define QUIET_S		60	/* how long an unchanged policy must stay put */
#define IDLE_CLIENTS	10
#define LARGE_RULES	4000	/* a "rules" reply of some 300 KB */

FIXTURE(trust)
{
	struct sg_testenv env;
	char a[4200], unit[4200], unit_name[64], rel_a[4200];
	char fifo[700], evil[700], rules_dir[300];
};

FIXTURE_SETUP(trust)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "trust"));
	snprintf(self->a, sizeof(self->a), "%s/a", self->env.cgroup);
	snprintf(self->unit_name, sizeof(self->unit_name), "sgt-%d.service", getpid());
	snprintf(self->unit, sizeof(self->unit), "%s/%s", self->env.cgroup, self->unit_name);
	ASSERT_EQ(0, mkdir(self->a, 0755));
	ASSERT_EQ(0, mkdir(self->unit, 0755));
	snprintf(self->rel_a, sizeof(self->rel_a), "%s/a", strrchr(self->env.cgroup, '/'));
	snprintf(self->rules_dir, sizeof(self->rules_dir), "%s/rules.d", self->env.dir);
	snprintf(self->fifo, sizeof(self->fifo), "%s/00-fifo.rules", self->rules_dir);
	snprintf(self->evil, sizeof(self->evil), "%s/00-evil.rules", self->rules_dir);
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to au\n"));
}

FIXTURE_TEARDOWN(trust)
{
	char data_fifo[600];
	int fd;

	/* A daemon stuck in open() on a FIFO gets its writer, and EOF. */
	snprintf(data_fifo, sizeof(data_fifo), "%s/fifo.cidr", self->env.dir);
	fd = open(self->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	fd = open(data_fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	sg_testenv_cleanup(&self->env);
	rmdir(self->a);
	rmdir(self->unit);
	rmdir(self->env.cgroup);
}

static int write_as(const char *path, const char *text, uid_t uid, mode_t mode)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	if (fclose(f))
		return -errno;
	if (chown(path, uid, 0) < 0 || chmod(path, mode) < 0)
		return -errno;
	return 0;
}

/* The rules are still the trusted ones: AU refused, and the daemon answers. */
static void assert_policy_kept(struct __test_metadata *_metadata, struct sg_testenv *env,
			       __u32 gen)
{
	char rep[4096];

	EXPECT_EQ(gen, sg_testenv_generation(env));
	EXPECT_EQ(EPERM, sg_probe(env->cgroup, SG_PROBE_TCP_CONNECT, AU4, 443));
	EXPECT_EQ(0, sg_testenv_control(env, "{\"cmd\": \"rules\"}", rep, sizeof(rep)));
	EXPECT_NE(NULL, strstr(rep, "\"generation\""));
}

/*
 * Every kind of subject is watched, and nothing changes: one generation
 * for a minute, rescans and all, and the hit counters keep counting.
 */
TEST_F_TIMEOUT(trust, every_subject_kind_stays_one_generation, QUIET_S + 60)
{
	char rules[9000];
	__u32 gen;
	int i;

	snprintf(rules, sizeof(rules), "deny cgroup %s to au\n"
				       "deny unit %s to au\n"
				       "deny exe %s to us\n"
				       "deny uid 4242 to us\n", self->rel_a, self->unit_name,
		 self->env.probe);
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, rules));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	gen = sg_testenv_generation(&self->env);
	ASSERT_NE(0U, gen);
	EXPECT_EQ(EPERM, sg_probe_exec(self->env.probe, self->a, 0, 0, SG_PROBE_TCP_CONNECT,
				       AU4, 443));
	EXPECT_EQ(EPERM, sg_probe_exec(self->env.probe, self->a, 0, 0, SG_PROBE_TCP_CONNECT,
				       AU4, 443));
	EXPECT_EQ(2LL, sg_testenv_hits(&self->env, 0));
	for (i = 0; i < QUIET_S && sg_testenv_generation(&self->env) == gen; i++)
		sleep(1);
	EXPECT_EQ(gen, sg_testenv_generation(&self->env))
		TH_LOG("generation %u became %u with nothing changed", gen,
		       sg_testenv_generation(&self->env));
	EXPECT_EQ(EPERM, sg_probe_exec(self->env.probe, self->a, 0, 0, SG_PROBE_TCP_CONNECT,
				       AU4, 443));
	EXPECT_EQ(3LL, sg_testenv_hits(&self->env, 0));
}

TEST_F(trust, fifo_in_rules_dir_refused_at_start)
{
	ASSERT_EQ(0, mkfifo(self->fifo, 0600));
	EXPECT_EQ(-ECHILD, sg_testenv_start(&self->env));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "00-fifo.rules"));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "not a regular file"));
}

TEST_F(trust, fifo_in_rules_dir_refused_on_reload)
{
	__u32 gen;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	gen = sg_testenv_generation(&self->env);
	ASSERT_EQ(0, mkfifo(self->fifo, 0600));
	EXPECT_EQ(-EINVAL, sg_testenv_reload(&self->env));
	assert_policy_kept(_metadata, &self->env, gen);
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "00-fifo.rules"));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "not a regular file"));
}

TEST_F(trust, fifo_as_data_refused_on_reload)
{
	char extra[700];
	__u32 gen;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	gen = sg_testenv_generation(&self->env);
	snprintf(extra, sizeof(extra), "data = %s/fifo.cidr\n", self->env.dir);
	snprintf(self->fifo, sizeof(self->fifo), "%s/fifo.cidr", self->env.dir);
	ASSERT_EQ(0, mkfifo(self->fifo, 0600));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, extra));
	EXPECT_EQ(-EINVAL, sg_testenv_reload(&self->env));
	assert_policy_kept(_metadata, &self->env, gen);
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "fifo.cidr: not a regular file"));
}

/* An untrusted rules file is refused at start and on reload, by name. */
static void untrusted_refused(struct __test_metadata *_metadata, FIXTURE_DATA(trust) *self,
			      const char *path, const char *owner, const char *mode)
{
	EXPECT_EQ(-ECHILD, sg_testenv_start(&self->env));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, path)) TH_LOG("%s not named", path);
	EXPECT_TRUE(sg_testenv_log_has(&self->env, owner)) TH_LOG("owner %s not named", owner);
	EXPECT_TRUE(sg_testenv_log_has(&self->env, mode)) TH_LOG("mode %s not named", mode);
	sg_testenv_stop(&self->env, SIGTERM);
}

TEST_F(trust, rules_owned_by_nobody)
{
	__u32 gen;

	ASSERT_EQ(0, write_as(self->evil, "allow to au\n", NOBODY, 0644));
	untrusted_refused(_metadata, self, self->evil, "nobody", "0644");
	ASSERT_EQ(0, unlink(self->evil));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	gen = sg_testenv_generation(&self->env);
	ASSERT_EQ(0, write_as(self->evil, "allow to au\n", NOBODY, 0644));
	EXPECT_EQ(-EINVAL, sg_testenv_reload(&self->env));
	assert_policy_kept(_metadata, &self->env, gen);
}

TEST_F(trust, rules_writable_by_others)
{
	__u32 gen;

	ASSERT_EQ(0, write_as(self->evil, "allow to au\n", 0, 0666));
	untrusted_refused(_metadata, self, self->evil, "root", "0666");
	ASSERT_EQ(0, unlink(self->evil));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	gen = sg_testenv_generation(&self->env);
	ASSERT_EQ(0, write_as(self->evil, "allow to au\n", 0, 0666));
	EXPECT_EQ(-EINVAL, sg_testenv_reload(&self->env));
	assert_policy_kept(_metadata, &self->env, gen);
}

TEST_F(trust, rules_dir_writable_by_group)
{
	__u32 gen;

	ASSERT_EQ(0, chmod(self->rules_dir, 0775));
	untrusted_refused(_metadata, self, self->rules_dir, "root", "0775");
	ASSERT_EQ(0, chmod(self->rules_dir, 0755));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	gen = sg_testenv_generation(&self->env);
	ASSERT_EQ(0, chmod(self->rules_dir, 0775));
	EXPECT_EQ(-EINVAL, sg_testenv_reload(&self->env));
	assert_policy_kept(_metadata, &self->env, gen);
	chmod(self->rules_dir, 0755);
}

TEST_F(trust, config_and_data_writable_by_others)
{
	char data[600], extra[700];
	__u32 gen;

	ASSERT_EQ(0, chmod(self->env.config, 0666));
	untrusted_refused(_metadata, self, self->env.config, "root", "0666");
	ASSERT_EQ(0, chmod(self->env.config, 0644));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	gen = sg_testenv_generation(&self->env);
	/* A second data source, its file given away to nobody. */
	snprintf(data, sizeof(data), "%s/more.cidr", self->env.dir);
	ASSERT_EQ(0, write_as(data, "198.51.100.0/24 FR as64500\n", NOBODY, 0644));
	snprintf(extra, sizeof(extra), "data = %s\nmode = audit\n", data);
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, extra));
	EXPECT_EQ(-EINVAL, sg_testenv_reload(&self->env));
	assert_policy_kept(_metadata, &self->env, gen);
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "more.cidr"));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "nobody"));
}

TEST_F(trust, named_config_missing_at_start)
{
	char saved[sizeof(self->env.config)];

	strcpy(saved, self->env.config);
	strcat(self->env.config, ".missing");
	EXPECT_EQ(-ECHILD, sg_testenv_start(&self->env));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, self->env.config));
	EXPECT_FALSE(sg_testenv_log_has(&self->env, "built-in defaults"));
	strcpy(self->env.config, saved);
}

TEST_F(trust, config_vanished_on_reload)
{
	__u32 gen;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	gen = sg_testenv_generation(&self->env);
	ASSERT_EQ(0, unlink(self->env.config));
	EXPECT_EQ(-EINVAL, sg_testenv_reload(&self->env));
	assert_policy_kept(_metadata, &self->env, gen);
	EXPECT_FALSE(sg_testenv_log_has(&self->env, "built-in defaults"));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, self->env.config));
}

static int bind_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return fd;
}

/*
 * run_dir is kept from start-up; on exit the daemon removes its own socket
 * and pidfile and nothing that another instance put there.
 */
TEST_F(trust, run_dir_kept_and_only_own_files_removed)
{
	char extra[700], run2[600], other[700], control[600], pidfile[600], rep[4096];
	int fd;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	snprintf(run2, sizeof(run2), "%s/run2", self->env.dir);
	snprintf(other, sizeof(other), "%s/control", run2);
	snprintf(control, sizeof(control), "%s/run/control", self->env.dir);
	snprintf(pidfile, sizeof(pidfile), "%s/run/sovguardd.pid", self->env.dir);
	ASSERT_EQ(0, mkdir(run2, 0755));
	fd = bind_unix(other);
	ASSERT_GE(fd, 0);
	snprintf(extra, sizeof(extra), "run_dir = %s\n", run2);
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, extra));
	kill(self->env.pid, SIGHUP);
	usleep(500000);
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "run_dir"));
	EXPECT_EQ(0, sg_testenv_control(&self->env, "{\"cmd\": \"rules\"}", rep, sizeof(rep)));
	EXPECT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));
	close(fd);
	EXPECT_EQ(0, access(other, F_OK)) TH_LOG("another instance's socket was removed");
	EXPECT_NE(0, access(control, F_OK)) TH_LOG("the daemon left its socket behind");
	EXPECT_NE(0, access(pidfile, F_OK)) TH_LOG("the daemon left its pidfile behind");

	/* Replaced while it ran: what is there now is not ours to remove. */
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, unlink(control));
	fd = bind_unix(control);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));
	close(fd);
	EXPECT_EQ(0, access(control, F_OK)) TH_LOG("a socket not the daemon's was removed");
}

/* Idle connections do not hold up others: an answer while they are open. */
TEST_F(trust, idle_clients_do_not_stall_the_control_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char run_dir[600], out[65536], probe;
	int fds[IDLE_CLIENTS], i;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	snprintf(run_dir, sizeof(run_dir), "%s/run", self->env.dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.*s/control",
		 (int)sizeof(sa.sun_path) - 9, run_dir);
	for (i = 0; i < IDLE_CLIENTS; i++) {
		fds[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		ASSERT_GE(fds[i], 0);
		ASSERT_EQ(0, connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)));
	}
	{
		char *const argv[] = { self->env.ctl, "--run-dir", run_dir, "rules", NULL };

		EXPECT_EQ(0, sg_run_as(0, 0, argv, out, sizeof(out)));
	}
	EXPECT_NE(NULL, strstr(out, "deny")) TH_LOG("sovguardctl rules: %s", out);
	/* The idle ones are still open: the answer did not wait for them. */
	for (i = 0; i < IDLE_CLIENTS; i++) {
		EXPECT_EQ(-1, recv(fds[i], &probe, 1, MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
		close(fds[i]);
	}
}

/* A reply larger than a socket buffer by default still goes out whole. */
TEST_F(trust, large_reply_is_sent)
{
	static char rules[LARGE_RULES * 64], out[1 << 22];
	char run_dir[600];
	char *const argv[] = { self->env.ctl, "--run-dir", run_dir, "-j", "rules", NULL };
	size_t off = 0;
	int i;

	for (i = 0; i < LARGE_RULES; i++)
		off += snprintf(rules + off, sizeof(rules) - off,
				"deny to 10.%d.%d.0/24 name r%04d\n", i / 256, i % 256, i);
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, rules));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	snprintf(run_dir, sizeof(run_dir), "%s/run", self->env.dir);
	EXPECT_EQ(0, sg_run_as(0, 0, argv, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "r3999")) TH_LOG("%.300s", out);
}

TEST_F(trust, status_without_privileges_says_so)
{
	char run_dir[600], out[65536];
	char *const argv[] = { self->env.ctl, "--pin-root", self->env.pin_root, "--run-dir",
			       run_dir, "status", NULL };

	snprintf(run_dir, sizeof(run_dir), "%s/run", self->env.dir);
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	EXPECT_NE(0, sg_run_as(NOBODY, NOBODY, argv, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "ermission")) TH_LOG("sovguardctl status: %s", out);
	EXPECT_EQ(NULL, strstr(out, "not running")) TH_LOG("sovguardctl status: %s", out);
}

TEST_HARNESS_MAIN
