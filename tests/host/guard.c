// SPDX-License-Identifier: GPL-2.0
/*
 * The bpf() guard's probe and report on a kernel without BPF LSM (or where
 * lsm programs cannot load): the daemon says once that bpf() is not
 * refused, runs and enforces as without the guard, and `sovguardctl status`
 * reports "lsm" from the kernel. The guard's refusals are tested in the VM
 * (tests/vm/t-guard.sh), on a kernel booted with bpf in lsm=.
 *
 *   test cgroup (cgroup2 mount)/sovguard-test-guard-PID   <- programs here
 *     probe child: unshare(CLONE_NEWNET), lo up
 *       connect public address -> EPERM (denied) or ENETUNREACH (allowed)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#include "kselftest_harness.h"
#include "sg_test.h"

#define DENY4		"1.1.1.1"	/* in 1.1.1.0/24: denied by the policy */
#define POLICY		"deny to 1.1.1.0/24\n"

/* What the kernel offers, read here independently of the code under test. */
static bool kernel_runs_bpf_lsm(void)
{
	char buf[512] = "";
	FILE *f = fopen("/sys/kernel/security/lsm", "re");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	return strstr(buf, "bpf") != NULL;
}

/* sovguardctl status -j's "lsm" for the test daemon's pins, in @ret. */
static int status_lsm(struct sg_testenv *env, char *ret, size_t len)
{
	char out[16384];
	const char *p;
	size_t n;

	sg_testenv_ctl(env, "status -j", out, sizeof(out));
	p = strstr(out, "\"lsm\":\"");
	if (!p)
		return -1;
	p += strlen("\"lsm\":\"");
	n = strcspn(p, "\"");
	if (n >= len)
		return -1;
	memcpy(ret, p, n);
	ret[n] = '\0';
	return 0;
}

FIXTURE(guard)
{
	struct sg_testenv env;
};

FIXTURE_SETUP(guard)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "guard"));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, POLICY));
}

FIXTURE_TEARDOWN(guard)
{
	sg_testenv_cleanup(&self->env);
}

TEST_F(guard, unavailable_reported_daemon_enforces)
{
	char lsm[32];

	if (kernel_runs_bpf_lsm())
		SKIP(return, "the kernel runs BPF LSM: tests/vm/t-guard.sh covers it");
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "the kernel runs no BPF LSM"));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	ASSERT_EQ(0, status_lsm(&self->env, lsm, sizeof(lsm)));
	EXPECT_STREQ("unavailable", lsm);
	/* Nothing pinned for a guard that does not run. */
	EXPECT_FALSE(sg_testenv_log_has(&self->env, "BPF LSM guard active"));
	EXPECT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));
}

TEST_F(guard, protect_off_said_and_reported)
{
	char lsm[32];

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "protect = off"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "protect = off"));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	ASSERT_EQ(0, status_lsm(&self->env, lsm, sizeof(lsm)));
	EXPECT_STREQ(kernel_runs_bpf_lsm() ? "off" : "unavailable", lsm);
}

TEST_F(guard, bad_protect_value_names_the_line)
{
	char cmd[9000], out[4096], buf[8192], line[32] = "";
	unsigned int lineno = 0;
	size_t n;
	FILE *f;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "protect = maybe"));
	/* Where the line landed among those the test environment writes. */
	f = fopen(self->env.config, "r");
	ASSERT_NE(NULL, f);
	while (fgets(buf, sizeof(buf), f)) {
		lineno++;
		if (!strncmp(buf, "protect", 7))
			snprintf(line, sizeof(line), ":%u:", lineno);
	}
	fclose(f);
	ASSERT_STRNE("", line);
	snprintf(cmd, sizeof(cmd), "'%s' --check -c '%s' 2>&1", self->env.daemon,
		 self->env.config);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	EXPECT_NE(0, pclose(f));
	EXPECT_NE(NULL, strstr(out, "invalid value \"maybe\" for protect")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, line)) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
