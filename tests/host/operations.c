// SPDX-License-Identifier: GPL-2.0
/*
 * Operations: `sovguardctl status` with the daemon down, and jurisdiction
 * data that stays fresh (replaced on disk, reloaded without SIGHUP; its age
 * in status).
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
	EXPECT_NE(NULL, strstr(out, "programs:  5 of 5 attached")) TH_LOG("%s", out);
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

TEST_HARNESS_MAIN
