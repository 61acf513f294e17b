// SPDX-License-Identifier: GPL-2.0
/*
 * Quarantine: a real sovguardd with detection on; an alert over
 * detect.quarantine.min_score adds a deny rule for its subject (or its
 * subject and destination) through the policy's publish path, kept in the
 * state directory, released with `sovguardctl release`.
 *
 *   rules:   default allow
 *   trigger: DIR/sg-bad, a copy of sg-probe named as a shell
 *            (detect.revshell.shells = sg-bad), connects to 9.9.9.9:443:
 *            a revshell alert of score 60 on the executable DIR/sg-bad
 *
 * Topology: every probe runs in a child in the test cgroup inside an empty
 * network namespace (only lo): connect() to a public address gets EPERM
 * when denied and ENETUNREACH when let through; nothing leaves the host.
 * DIR/sg-probe is the other subject, never quarantined.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sg_test.h"

#define OUT_MAX		(1 << 20)
#define WAIT_MS		20000	/* an alert's way: record drained, fed, quarantined */
#define TRIGGER		"9.9.9.9"
#define OTHER		"8.8.8.8"

#define CONF_BASE                                                                                  \
	"detect.firstseen = off\n"                                                                 \
	"detect.revshell.shells = sg-bad\n"                                                        \
	"detect.revshell.min_score = 50\n"
#define CONF_ON(mode)                                                                              \
	CONF_BASE "detect.quarantine = " mode "\n"                                                 \
		  "detect.quarantine.min_score = 50\n"                                             \
		  "detect.quarantine.heuristics = revshell, beacon\n"

FIXTURE(quar)
{
	struct sg_testenv env;
	char bad[600];
	char *out;
	char unit_cg[4200];	/* a sub-cgroup named like a unit, removed at teardown */
};

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

FIXTURE_SETUP(quar)
{
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
	self->unit_cg[0] = '\0';
	ASSERT_EQ(0, sg_testenv_init(&self->env, "quar"));
	snprintf(self->bad, sizeof(self->bad), "%s/sg-bad", self->env.dir);
	ASSERT_EQ(0, copy_exe(self->env.probe, self->bad));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "default allow\n"));
}

FIXTURE_TEARDOWN(quar)
{
	if (getenv("SG_KEEP_LOG")) {
		char c[700];

		snprintf(c, sizeof(c), "cat '%s' >&2", self->env.log);
		if (system(c) < 0)
			perror("log");
	}
	if (self->unit_cg[0])
		rmdir(self->unit_cg);
	sg_testenv_cleanup(&self->env);
	free(self->out);
}

static int probe(const char *exe, const char *cgroup, const char *addr)
{
	return sg_probe_exec(exe, cgroup, 0, 0, SG_PROBE_TCP_CONNECT, addr, 443);
}

/* The daemon's quarantine reply into @out. */
static int quarantine_state(struct sg_testenv *env, char *out)
{
	return sg_testenv_control(env, "{\"cmd\":\"quarantine\"}", out, OUT_MAX);
}

/* Until the quarantine reply holds @needle; false after WAIT_MS. */
static bool wait_state(struct sg_testenv *env, char *out, const char *needle)
{
	for (int i = 0; i < WAIT_MS / 100; i++) {
		if (quarantine_state(env, out) == 0 && strstr(out, needle))
			return true;
		usleep(100000);
	}
	return false;
}

/* sg-bad connects out once: the revshell alert that calls for a quarantine. */
static int trigger(FIXTURE_DATA(quar) *self, const char *addr)
{
	return probe(self->bad, self->env.cgroup, addr);
}

static int read_alerts(struct sg_testenv *env, char *out)
{
	char dir[600];
	char *argv[] = { env->ctl, "alerts", "-j", "--state-dir", dir, NULL };

	snprintf(dir, sizeof(dir), "%s/state", env->dir);
	return sg_run_as(0, 0, argv, out, OUT_MAX);
}

/* The stored revshell alert on sg-bad holding @needle, or NULL after @ms. */
static const char *wait_alert_with(struct sg_testenv *env, char *out, const char *needle, int ms)
{
	char *line, *save;

	for (int i = 0; i < ms / 200; i++) {
		if (read_alerts(env, out) == 0)
			for (save = NULL, line = strtok_r(out, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				if (strstr(line, "\"revshell\"") && strstr(line, "sg-bad") &&
				    strstr(line, needle))
					return line;
		usleep(200000);
	}
	return NULL;
}

static const char *wait_alert(struct sg_testenv *env, char *out)
{
	return wait_alert_with(env, out, "", WAIT_MS);
}

TEST_F(quar, subject_mode_denies_the_subject_everywhere)
{
	const char *a;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_ON("subject")));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	ASSERT_TRUE(wait_state(&self->env, self->out, "\"active\":1")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_NE(NULL, strstr(self->out, "sg-bad\"")); /* the exe (JSON escapes its slashes) */
	EXPECT_NE(NULL, strstr(self->out, "\"rule\":\"quarantine:1\""));

	EXPECT_EQ(EPERM, probe(self->bad, self->env.cgroup, TRIGGER));
	EXPECT_EQ(EPERM, probe(self->bad, self->env.cgroup, OTHER));
	EXPECT_EQ(ENETUNREACH, probe(self->env.probe, self->env.cgroup, TRIGGER));

	/* The stored alert says it quarantined; the log line carries the id. */
	a = wait_alert(&self->env, self->out);
	ASSERT_NE(NULL, a);
	EXPECT_NE(NULL, strstr(a, "\"quarantine\":1")) {
		TH_LOG("%s", a);
	}
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "quarantine 1 applied: deny exe"));

	/* rules and status show it. */
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "rules", self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "quarantine:1 (quarantine")) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status", self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "quarantine: subject, 1 in force")) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "quarantine", self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "revshell alert, score 60")) {
		TH_LOG("%s", self->out);
	}
}

/* In a unit's cgroup the unit is the subject: all of it is quarantined, nothing else. */
TEST_F(quar, a_unit_is_quarantined_whole)
{
	snprintf(self->unit_cg, sizeof(self->unit_cg), "%s/sg-quar.service", self->env.cgroup);
	ASSERT_EQ(0, mkdir(self->unit_cg, 0755));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_ON("subject")));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(ENETUNREACH, probe(self->bad, self->unit_cg, TRIGGER));
	ASSERT_TRUE(wait_state(&self->env, self->out, "\"unit\":\"sg-quar.service\"")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_EQ(EPERM, probe(self->env.probe, self->unit_cg, OTHER));
	EXPECT_EQ(ENETUNREACH, probe(self->env.probe, self->env.cgroup, OTHER));
	EXPECT_EQ(ENETUNREACH, probe(self->bad, self->env.cgroup, OTHER));
}

TEST_F(quar, destination_mode_denies_only_that_destination)
{
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_ON("destination")));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	ASSERT_TRUE(wait_state(&self->env, self->out, "\"dst\":\"" TRIGGER "\"")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_EQ(EPERM, probe(self->bad, self->env.cgroup, TRIGGER));
	EXPECT_EQ(ENETUNREACH, probe(self->env.probe, self->env.cgroup, TRIGGER));
	EXPECT_EQ(ENETUNREACH, probe(self->bad, self->env.cgroup, OTHER));
}

TEST_F(quar, release_restores_the_subject)
{
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_ON("subject")));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	ASSERT_TRUE(wait_state(&self->env, self->out, "\"active\":1"));
	ASSERT_EQ(EPERM, probe(self->bad, self->env.cgroup, TRIGGER));

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "release 1", self->out, OUT_MAX)) {
		TH_LOG("%s", self->out);
	}
	EXPECT_NE(NULL, strstr(self->out, "released 1"));
	EXPECT_EQ(ENETUNREACH, probe(self->bad, self->env.cgroup, TRIGGER));
	ASSERT_EQ(0, quarantine_state(&self->env, self->out));
	EXPECT_NE(NULL, strstr(self->out, "\"active\":0"));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "quarantine 1 released"));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "rules", self->out, OUT_MAX));
	EXPECT_EQ(NULL, strstr(self->out, "quarantine:1"));
	/* Gone is gone: a second release of it is an error. */
	EXPECT_NE(0, sg_testenv_ctl(&self->env, "release 1", self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "no quarantine 1")) {
		TH_LOG("%s", self->out);
	}
}

/*
 * Repeats after a release are summed up once detect.suppress is over: the
 * summary does not quarantine again (the repeats may be refused attempts).
 */
TEST_F(quar, a_summary_of_repeats_does_not_quarantine)
{
	const char *a;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_ON("subject")
					     "detect.suppress = 10\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	ASSERT_TRUE(wait_state(&self->env, self->out, "\"active\":1"));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "release --all", self->out, OUT_MAX));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	a = wait_alert_with(&self->env, self->out, "\"repeats\"", 3 * WAIT_MS);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(NULL, strstr(a, "\"quarantine\"")) {
		TH_LOG("%s", a);
	}
	ASSERT_EQ(0, quarantine_state(&self->env, self->out));
	EXPECT_NE(NULL, strstr(self->out, "\"active\":0"));
	EXPECT_EQ(ENETUNREACH, probe(self->bad, self->env.cgroup, TRIGGER));
}

/* The set is in the state directory: a restart and a reload keep it. */
TEST_F(quar, restart_and_reload_keep_it)
{
	__u32 gen;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_ON("subject")));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	ASSERT_TRUE(wait_state(&self->env, self->out, "\"active\":1"));
	gen = sg_testenv_generation(&self->env);

	ASSERT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	/* A new generation, built from the rules files and the saved set. */
	ASSERT_GT(sg_testenv_generation(&self->env), gen);
	EXPECT_EQ(EPERM, probe(self->bad, self->env.cgroup, TRIGGER));
	EXPECT_EQ(ENETUNREACH, probe(self->env.probe, self->env.cgroup, TRIGGER));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "rules", self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "quarantine:1"));

	/* A reload (quarantine off now: no new ones) keeps the one in force. */
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_BASE));
	gen = sg_testenv_generation(&self->env);
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_GT(sg_testenv_generation(&self->env), gen);
	EXPECT_EQ(EPERM, probe(self->bad, self->env.cgroup, TRIGGER));
	ASSERT_EQ(0, quarantine_state(&self->env, self->out));
	EXPECT_NE(NULL, strstr(self->out, "\"mode\":\"off\""));
	EXPECT_NE(NULL, strstr(self->out, "\"active\":1"));
}

static int write_state(struct sg_testenv *env, const char *text)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/state", env->dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/state/quarantine.json", env->dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f);
}

/*
 * The state file is read at start: a good entry is in force from the first
 * policy (quarantine off: no new ones, the old stay), a bad one is left out
 * and named, and new ids go on after the file's. A file that is no
 * quarantine set is set aside, and the daemon runs.
 */
TEST_F(quar, the_state_file_is_checked_at_start)
{
	char text[2048], path[700];

	snprintf(text, sizeof(text),
		 "{\"version\": 1, \"next_id\": 5, \"quarantines\": ["
		 "{\"id\": 5, \"exe\": \"%s\", \"since\": 1, "
		 "\"alert\": {\"heuristic\": \"revshell\", \"score\": 95}},"
		 "{\"id\": 6, \"exe\": \"relative/sg-probe\"}]}\n", self->bad);
	ASSERT_EQ(0, write_state(&self->env, text));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_BASE));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "entry 2 left out"));
	EXPECT_EQ(EPERM, probe(self->bad, self->env.cgroup, OTHER));
	EXPECT_EQ(ENETUNREACH, probe(self->env.probe, self->env.cgroup, OTHER));
	/* That refused attempt's alert is in, and quarantined nothing. */
	ASSERT_NE(NULL, wait_alert_with(&self->env, self->out, OTHER, WAIT_MS));
	ASSERT_EQ(0, quarantine_state(&self->env, self->out));
	EXPECT_NE(NULL, strstr(self->out, "\"active\":1"));
	EXPECT_NE(NULL, strstr(self->out, "\"rule\":\"quarantine:5\""));
	/* Released, then quarantined anew: the id after the file's last. */
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "release 5", self->out, OUT_MAX));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_ON("destination")));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	ASSERT_TRUE(wait_state(&self->env, self->out, "\"rule\":\"quarantine:6\"")) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));

	ASSERT_EQ(0, write_state(&self->env, "{\"quarantines\": 3\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "quarantine.json.bad"));
	snprintf(path, sizeof(path), "%s/state/quarantine.json.bad", self->env.dir);
	EXPECT_EQ(0, access(path, F_OK));
	EXPECT_EQ(ENETUNREACH, probe(self->bad, self->env.cgroup, TRIGGER));
}

/* Without detect.quarantine the same alert quarantines nothing. */
TEST_F(quar, off_by_default)
{
	const char *a;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_BASE
					     "detect.quarantine.min_score = 50\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	a = wait_alert(&self->env, self->out);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(NULL, strstr(a, "\"quarantine\""));
	EXPECT_EQ(ENETUNREACH, probe(self->bad, self->env.cgroup, TRIGGER));
	ASSERT_EQ(0, quarantine_state(&self->env, self->out));
	EXPECT_NE(NULL, strstr(self->out, "\"mode\":\"off\""));
	EXPECT_NE(NULL, strstr(self->out, "\"active\":0"));
}

/* A heuristic left out of detect.quarantine.heuristics quarantines nothing. */
TEST_F(quar, only_the_listed_heuristics)
{
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_ON("subject")
					     "detect.quarantine.heuristics = beacon\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	ASSERT_NE(NULL, wait_alert(&self->env, self->out));
	EXPECT_EQ(ENETUNREACH, probe(self->bad, self->env.cgroup, TRIGGER));
	ASSERT_EQ(0, quarantine_state(&self->env, self->out));
	EXPECT_NE(NULL, strstr(self->out, "\"active\":0"));
}

/* At detect.quarantine.max the next alert is refused, and counted. */
TEST_F(quar, the_cap_bounds_the_set)
{
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, CONF_ON("destination")
					     "detect.quarantine.max = 1\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(ENETUNREACH, trigger(self, TRIGGER));
	ASSERT_TRUE(wait_state(&self->env, self->out, "\"active\":1"));
	ASSERT_EQ(ENETUNREACH, trigger(self, OTHER));
	ASSERT_TRUE(wait_state(&self->env, self->out, "\"full\":1")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_NE(NULL, strstr(self->out, "\"active\":1"));
	EXPECT_EQ(ENETUNREACH, probe(self->bad, self->env.cgroup, OTHER));
}

/* A bad detect.quarantine value is named by file and line. */
TEST_F(quar, bad_setting_is_refused)
{
	char *argv[] = { self->env.daemon, "--check-config", "-c", self->env.config, NULL };

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "detect.quarantine = always\n"));
	EXPECT_NE(0, sg_run_as(0, 0, argv, self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "detect.quarantine: expected off, subject or "
					  "destination")) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(0, sg_testenv_write_config(&self->env,
					     "detect.quarantine.heuristics = beacon, nope\n"));
	EXPECT_NE(0, sg_run_as(0, 0, argv, self->out, OUT_MAX));
	EXPECT_NE(NULL, strstr(self->out, "unknown heuristic \"nope\""));
}

TEST_HARNESS_MAIN
