// SPDX-License-Identifier: GPL-2.0
/*
 * Operations: `sovguardctl status` with the daemon down, jurisdiction data
 * that stays fresh (replaced on disk, reloaded without SIGHUP; its age in
 * status), and the pre-deploy gate: `check-config DIR` and `check --rules
 * DIR` without a daemon, answering as the daemon then does.
 *
 *   rules: deny to au
 *
 * Topology: probes run in a child in the test cgroup inside an empty
 * network namespace (only lo): connect() to a public address gets EPERM
 * when denied and ENETUNREACH when let through; nothing leaves the host.
 * 193.0.6.1 is NL in the test data, AU in the replacement.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sg_test.h"

#define DATA_WAIT_MS	10000	/* for a replaced data file to be republished */
#define OLD_DAYS	100

#define DATA_NL_IS_AU                                                                              \
	"1.1.1.0/24 AU as13335\n"                                                                  \
	"8.8.8.0/24 US as15169\n"                                                                  \
	"193.0.6.0/24 AU as3333\n"

static bool log_wait(struct sg_testenv *env, const char *text, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (sg_testenv_log_has(env, text))
			return true;
		usleep(10000);
	}
	return false;
}

FIXTURE(ops)
{
	struct sg_testenv env;
};

FIXTURE_SETUP(ops)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "ops"));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to au\n"));
}

FIXTURE_TEARDOWN(ops)
{
	if (getenv("SG_KEEP_LOG")) {
		char c[700];

		snprintf(c, sizeof(c), "cat %s >&2", self->env.log);
		if (system(c)) {}
	}
	sg_testenv_cleanup(&self->env);
}

TEST_F(ops, status_with_the_daemon_down)
{
	char out[65536], cmd[9000];

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));
	ASSERT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "1.1.1.1", 443));

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "not running; enforcement stays pinned")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "programs:  4 of 4 attached")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "mode:      enforce")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "policy:    generation 1, 1 rules")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "counters:  ")) TH_LOG("%s", out);

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"running\":false")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"enforcement\":\"pinned\"")) TH_LOG("%s", out);

	/* Enforcement ended on purpose: status says nothing is enforced. */
	snprintf(cmd, sizeof(cmd), "'%s' --remove --stderr -c '%s' 2>/dev/null",
		 self->env.daemon, self->env.config);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "not running; nothing is enforced")) TH_LOG("%s", out);
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"enforcement\":\"none\"")) TH_LOG("%s", out);
}

TEST_F(ops, replaced_data_is_reloaded_without_sighup)
{
	__u32 gen0, gen = 0;
	int i;

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	gen0 = sg_testenv_generation(&self->env);
	ASSERT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "193.0.6.1", 443));

	/* Written atomically, by rename, as `location update` does. */
	ASSERT_EQ(0, sg_testenv_write_data(&self->env, DATA_NL_IS_AU));
	for (i = 0; i < DATA_WAIT_MS / 10; i++) {
		gen = sg_testenv_generation(&self->env);
		if (gen != gen0)
			break;
		usleep(10000);
	}
	ASSERT_NE(gen0, gen) TH_LOG("no new generation after the data was replaced");
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "jurisdiction data changed on disk"));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "193.0.6.1", 443));

	/* A corrupt replacement is refused whole; the running policy stays. */
	ASSERT_EQ(0, sg_testenv_write_data(&self->env, "193.0.6.0/24 NL as3333\nnot a network\n"));
	ASSERT_TRUE(log_wait(&self->env, "keeping the running policy and its data", DATA_WAIT_MS));
	EXPECT_EQ(gen, sg_testenv_generation(&self->env));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "193.0.6.1", 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "8.8.8.8", 443));
}

TEST_F(ops, status_shows_the_data_age)
{
	struct timespec ts[2];
	char out[65536], path[600];

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "data_warn_age = 60\n"));
	/* A CIDR list is as old as its file. */
	snprintf(path, sizeof(path), "%s/test.cidr", self->env.dir);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= OLD_DAYS * 86400 + 3600;
	ts[1] = ts[0];
	ASSERT_EQ(0, utimensat(AT_FDCWD, path, ts, 0));
	ASSERT_EQ(0, sg_testenv_start(&self->env));

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "100 days old) WARNING: older than data_warn_age"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"age_days\":100")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"stale\":true")) TH_LOG("%s", out);

	/* Fresh data: no warning. */
	ASSERT_EQ(0, sg_testenv_write_data(&self->env, SG_TEST_DATA));
	ASSERT_TRUE(log_wait(&self->env, "data reloaded", DATA_WAIT_MS));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "0 days old)\n")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "WARNING")) TH_LOG("%s", out);
}

/* sovguardctl's exit status (sg_testenv_ctl() returns pclose()'s). */
static int ctl_status(struct sg_testenv *env, const char *args, char *out, size_t len)
{
	int st = sg_testenv_ctl(env, args, out, len);

	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F(ops, check_config_gates_a_rules_directory)
{
	char out[65536], args[2048], path[600], nobody_out[4096];
	char *argv[] = { self->env.ctl, "check-config", path, "--config", self->env.config, NULL };

	/* No daemon runs: the gate needs none. */
	snprintf(path, sizeof(path), "%s/rules.d", self->env.dir);
	snprintf(args, sizeof(args), "check-config '%s' --config '%s'", path, self->env.config);
	ASSERT_EQ(0, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "rules.d: OK, 1 rules, default allow")) TH_LOG("%s", out);
	/* Readable files need no root. */
	ASSERT_EQ(0, sg_run_as(65534, 65534, argv, nobody_out, sizeof(nobody_out)))
		TH_LOG("%s", nobody_out);

	/* A broken file: every error at its place, exit status 1. */
	snprintf(path, sizeof(path), "%s/rules.d/20-bad.rules", self->env.dir);
	{
		FILE *f = fopen(path, "w");

		ASSERT_NE(NULL, f);
		fputs("allow to eu\ndeny  to xx port 80\n  frobnicate\n", f);
		fclose(f);
	}
	ASSERT_EQ(1, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "/rules.d/20-bad.rules:2:10: unknown country code 'xx'"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "/rules.d/20-bad.rules:3:3: expected ")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, ": OK")) TH_LOG("%s", out);
	/* The same through the configuration that names the directory. */
	snprintf(args, sizeof(args), "check-config '%s'", self->env.config);
	EXPECT_EQ(1, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "20-bad.rules:2:10: ")) TH_LOG("%s", out);
	unlink(path);

	/* A bad configuration line, with its column. */
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "mode = sometimes"));
	EXPECT_EQ(1, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "sovguard.conf:8:8: invalid value \"sometimes\" for mode"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));

	/* What cannot be read is not "invalid": exit status 3. */
	snprintf(args, sizeof(args), "check-config '%s/nothing.conf'", self->env.dir);
	EXPECT_EQ(3, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
	snprintf(args, sizeof(args), "check-config '%s/rules.d' --data '%s/nothing.cidr' "
		 "--config '%s'", self->env.dir, self->env.dir, self->env.config);
	EXPECT_EQ(3, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
}

#define OFFLINE_RULES                                                                              \
	"deny to au\n"                                                                             \
	"audit uid 4242 to us\n"                                                                   \
	"allow port 80 to us tcp\n"                                                                \
	"deny to us\n"                                                                             \
	"deny to ch udp\n"                                                                         \
	"deny exe %s to nl\n"

/* The value of a top-level member of sovguardctl's pretty JSON. */
static void member(const char *json, const char *key, char *ret, size_t len)
{
	char pat[64];
	const char *s, *e;

	snprintf(pat, sizeof(pat), "\n  \"%s\":", key);
	s = strstr(json, pat);
	if (!s) {
		snprintf(ret, len, "(no %s)", key);
		return;
	}
	s += strlen(pat);
	e = strstr(s, ",\n  \"");
	if (!e)
		e = s + strlen(s);
	snprintf(ret, len, "%.*s", (int)(e - s), s);
}

TEST_F(ops, offline_check_agrees_with_the_daemon)
{
	static const char *const keys[] = { "verdict", "effective", "mode", "rule", "rule_index",
					    "country", "asn", "zones" };
	const char *queries[][2] = {
		{ "1.1.1.1", "" },
		{ "8.8.8.8", "--uid 4242" },
		{ "8.8.8.8", "--port 80" },
		{ "8.8.8.8", "--port 80 --proto udp" },
		{ "9.9.9.9", "--proto udp" },
		{ "9.9.9.9", "" },
		{ "2606:4700::1", "" },
		{ "193.0.6.1", "" },
		{ "193.0.6.1", "--exe PROBE" },
		{ "194.0.0.1", "--port 22" },
	};
	char out[65536], on[65536], args[8192], rules[8192], subj[4200], a[4096], b[4096];
	char offline[2048];
	unsigned int i, k;

	snprintf(rules, sizeof(rules), OFFLINE_RULES, self->env.probe);
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, rules));
	snprintf(offline, sizeof(offline), "--rules '%s/rules.d' --config '%s'", self->env.dir,
		 self->env.config);

	/* Without a daemon: the verdict, and --expect for a pipeline. */
	snprintf(args, sizeof(args), "check 1.1.1.1 %s --expect deny", offline);
	EXPECT_EQ(0, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "1.1.1.1: deny by rule test.rules:1, offline from"))
		TH_LOG("%s", out);
	snprintf(args, sizeof(args), "check 9.9.9.9 %s --expect allow", offline);
	EXPECT_EQ(0, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
	snprintf(args, sizeof(args), "check 9.9.9.9 %s --expect deny", offline);
	EXPECT_EQ(1, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "9.9.9.9: allow, not deny")) TH_LOG("%s", out);
	snprintf(args, sizeof(args), "check 9.9.9.9 --rules '%s/none.d' --config '%s'",
		 self->env.dir, self->env.config);
	EXPECT_EQ(3, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);

	/* The daemon, from the kernel's tables, answers the same. */
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		const char *q = queries[i][1];

		if (!strcmp(q, "--exe PROBE"))
			snprintf(subj, sizeof(subj), "--exe '%s'", self->env.probe);
		else
			snprintf(subj, sizeof(subj), "%s", q);
		snprintf(args, sizeof(args), "-j check %s %s", queries[i][0], subj);
		ASSERT_EQ(0, ctl_status(&self->env, args, on, sizeof(on))) TH_LOG("%s", on);
		snprintf(args, sizeof(args), "-j check %s %s %s", queries[i][0], subj, offline);
		ASSERT_EQ(0, ctl_status(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			member(on, keys[k], a, sizeof(a));
			member(out, keys[k], b, sizeof(b));
			EXPECT_STREQ(a, b) TH_LOG("%s %s: %s", queries[i][0], q, keys[k]);
		}
	}
	/* Not every query allowed, not every one denied: the rules decided. */
	snprintf(args, sizeof(args), "-j check 193.0.6.1 --exe '%s'", self->env.probe);
	ASSERT_EQ(0, ctl_status(&self->env, args, on, sizeof(on)));
	member(on, "rule", a, sizeof(a));
	EXPECT_STREQ("\"test.rules:6\"", a);
	ASSERT_EQ(0, ctl_status(&self->env, "-j check 8.8.8.8 --port 80", on, sizeof(on)));
	member(on, "verdict", a, sizeof(a));
	EXPECT_STREQ("\"allow\"", a);
}

TEST_HARNESS_MAIN
