// SPDX-License-Identifier: GPL-2.0
/*
 * Rules by subject, destination and verdict on the host kernel, through a
 * real sovguardd and the real hooks.
 *
 * Topology: the test cgroup T holds T/a, T/b and T/sgt-PID.service (a
 * "unit": without systemd the daemon finds a unit's cgroup by its name).
 * Each probe is a process that joins one of them, unshares its network
 * namespace (only lo, up), drops to a uid/gid and executes sg-probe or a
 * copy of it. A connect() to a public address then gets EPERM when refused
 * and ENETUNREACH when let through; no packet leaves the machine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/types.h>

#include "kselftest_harness.h"
#include "sovguard_egress.h"
#include "sg_test.h"

#define AU4	"1.1.1.1"	/* AU, as13335 in the test data */
#define US4	"8.8.8.8"	/* US, as15169 */
#define CH4	"9.9.9.9"	/* CH, as19281 */
#define CH6	"2620:fe::fe"
#define US6	"2001:4860::8888"

FIXTURE(subj)
{
	struct sg_testenv env;
	char a[4200], b[4200], unit[4200], unit_name[64], rel_a[4200];
	char agent[600], link[600];
};

static int copy_file(const char *from, const char *to)
{
	char cmd[9000];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 755 '%s'", from, to, to);
	return system(cmd);
}

FIXTURE_SETUP(subj)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "subj"));
	snprintf(self->a, sizeof(self->a), "%s/a", self->env.cgroup);
	snprintf(self->b, sizeof(self->b), "%s/b", self->env.cgroup);
	snprintf(self->unit_name, sizeof(self->unit_name), "sgt-%d.service", getpid());
	snprintf(self->unit, sizeof(self->unit), "%s/%s", self->env.cgroup, self->unit_name);
	ASSERT_EQ(0, mkdir(self->a, 0755));
	ASSERT_EQ(0, mkdir(self->b, 0755));
	ASSERT_EQ(0, mkdir(self->unit, 0755));
	/* The rule's cgroup path is relative to the cgroup2 mount. */
	snprintf(self->rel_a, sizeof(self->rel_a), "%s", strrchr(self->env.cgroup, '/'));
	strcat(self->rel_a, "/a");
	snprintf(self->agent, sizeof(self->agent), "%s/agent", self->env.dir);
	snprintf(self->link, sizeof(self->link), "%s/agent-link", self->env.dir);
	ASSERT_EQ(0, copy_file(self->env.probe, self->agent));
	ASSERT_EQ(0, link(self->agent, self->link));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
}

FIXTURE_TEARDOWN(subj)
{
	sg_testenv_cleanup(&self->env);
	rmdir(self->a);
	rmdir(self->b);
	rmdir(self->unit);
	rmdir(self->env.cgroup);
}

static int start_with(struct sg_testenv *env, const char *rules)
{
	if (sg_testenv_write_rules(env, rules))
		return -EIO;
	return sg_testenv_start(env);
}

#define PROBE(exe, cg, kind, addr) sg_probe_exec((exe), (cg), 0, 0, (kind), (addr), 443)

TEST_F(subj, cgroup_subtree_only)
{
	char rules[4400];

	snprintf(rules, sizeof(rules), "deny cgroup %s to au\n", self->rel_a);
	ASSERT_EQ(0, start_with(&self->env, rules));
	EXPECT_EQ(EPERM, PROBE(self->env.probe, self->a, SG_PROBE_TCP_CONNECT, AU4));
	EXPECT_EQ(ENETUNREACH, PROBE(self->env.probe, self->a, SG_PROBE_TCP_CONNECT, US4));
	EXPECT_EQ(ENETUNREACH, PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, AU4));
	EXPECT_EQ(ENETUNREACH,
		  PROBE(self->env.probe, self->env.cgroup, SG_PROBE_TCP_CONNECT, AU4));
}

TEST_F(subj, unit_and_its_restart)
{
	char rules[256];
	int i, r = -1;

	snprintf(rules, sizeof(rules), "deny unit %s to au, us\n", self->unit_name);
	ASSERT_EQ(0, start_with(&self->env, rules));
	EXPECT_EQ(EPERM, PROBE(self->env.probe, self->unit, SG_PROBE_TCP_CONNECT, AU4));
	EXPECT_EQ(EPERM, PROBE(self->env.probe, self->unit, SG_PROBE_UDP_SENDTO, US6));
	EXPECT_EQ(ENETUNREACH, PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, AU4));

	/* The unit restarts: a new cgroup of the same name, a new id. */
	ASSERT_EQ(0, rmdir(self->unit));
	ASSERT_EQ(0, mkdir(self->unit, 0755));
	for (i = 0; i < 100 && r != EPERM; i++) {
		r = PROBE(self->env.probe, self->unit, SG_PROBE_TCP_CONNECT, AU4);
		if (r != EPERM)
			usleep(50000);
	}
	EXPECT_EQ(EPERM, r) TH_LOG("the rule did not follow the unit's new cgroup");
}

TEST_F(subj, exe_by_identity)
{
	char rules[700], renamed[700], fresh[700];
	int i, r = -1;

	snprintf(rules, sizeof(rules), "deny exe %s to au\n", self->agent);
	ASSERT_EQ(0, start_with(&self->env, rules));
	EXPECT_EQ(EPERM, PROBE(self->agent, self->b, SG_PROBE_TCP_CONNECT, AU4));
	EXPECT_EQ(EPERM, PROBE(self->link, self->b, SG_PROBE_TCP_CONNECT, AU4));
	EXPECT_EQ(ENETUNREACH, PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, AU4));

	snprintf(renamed, sizeof(renamed), "%s/renamed", self->env.dir);
	ASSERT_EQ(0, rename(self->link, renamed));
	EXPECT_EQ(EPERM, PROBE(renamed, self->b, SG_PROBE_TCP_CONNECT, AU4));

	/* Replace the file at the rule's path: the new file is matched, the
	 * old one (still reachable as "renamed") no longer is. */
	snprintf(fresh, sizeof(fresh), "%s/agent.new", self->env.dir);
	ASSERT_EQ(0, copy_file(self->env.probe, fresh));
	ASSERT_EQ(0, rename(fresh, self->agent));
	for (i = 0; i < 100 && r != EPERM; i++) {
		r = PROBE(self->agent, self->b, SG_PROBE_TCP_CONNECT, AU4);
		if (r != EPERM)
			usleep(50000);
	}
	EXPECT_EQ(EPERM, r) TH_LOG("the replaced executable is not matched");
	EXPECT_EQ(ENETUNREACH, PROBE(renamed, self->b, SG_PROBE_TCP_CONNECT, AU4));
}

TEST_F(subj, uid_and_gid)
{
	ASSERT_EQ(0, start_with(&self->env, "deny uid 4242 to au\n"
						       "deny gid 4343 to us\n"));
	EXPECT_EQ(EPERM, sg_probe_exec(self->env.probe, self->b, 4242, 0, SG_PROBE_TCP_CONNECT,
				       AU4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe_exec(self->env.probe, self->b, 4242, 0,
					     SG_PROBE_TCP_CONNECT, US4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe_exec(self->env.probe, self->b, 4241, 0,
					     SG_PROBE_TCP_CONNECT, AU4, 443));
	EXPECT_EQ(EPERM, sg_probe_exec(self->env.probe, self->b, 4241, 4343,
				       SG_PROBE_UDP_SENDTO, US4, 53));
}

/*
 * The subject memo answers for a subject it has seen, and another subject
 * is another entry: processes that differ only in cgroup, uid or executable
 * take turns on one CPU toward one destination, and each gets its own
 * verdict every time while the memo answers every decision after each
 * subject's first.
 */
TEST_F(subj, subject_memo_keys_on_the_subject)
{
	__u64 hit0, hit1;
	cpu_set_t saved;
	char rules[9000];
	int i;

	snprintf(rules, sizeof(rules), "deny cgroup %s to au\n"
				       "deny uid 4242 to au\n"
				       "deny exe %s to au\n", self->rel_a, self->agent);
	ASSERT_EQ(0, start_with(&self->env, rules));
	ASSERT_EQ(0, sg_test_pin_cpu(0, &saved));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_CACHE_HIT, &hit0));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(EPERM, PROBE(self->env.probe, self->a, SG_PROBE_TCP_CONNECT, AU4));
		EXPECT_EQ(ENETUNREACH, PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, AU4));
		EXPECT_EQ(EPERM, sg_probe_exec(self->env.probe, self->b, 4242, 0,
					       SG_PROBE_TCP_CONNECT, AU4, 443));
		EXPECT_EQ(ENETUNREACH, sg_probe_exec(self->env.probe, self->b, 4241, 0,
						     SG_PROBE_TCP_CONNECT, AU4, 443));
		EXPECT_EQ(EPERM, PROBE(self->agent, self->b, SG_PROBE_TCP_CONNECT, AU4));
	}
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_CACHE_HIT, &hit1));
	sched_setaffinity(0, sizeof(saved), &saved);
	/* five subjects, each computed once and then remembered */
	EXPECT_EQ(15ULL, hit1 - hit0) TH_LOG("the memo answered %llu of 20 decisions",
					     (unsigned long long)(hit1 - hit0));
}

TEST_F(subj, country_operator_default)
{
	ASSERT_EQ(0, start_with(&self->env, "allow to ch\n"
						       "deny operator as13335\n"
						       "default deny\n"));
	EXPECT_EQ(ENETUNREACH, PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, CH4));
	EXPECT_EQ(ENETUNREACH, PROBE(self->env.probe, self->b, SG_PROBE_UDP_SENDTO, CH6));
	EXPECT_EQ(EPERM, PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, AU4));
	EXPECT_EQ(EPERM, PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, US4));
	/* Addresses the data knows nothing about fall to the default. */
	EXPECT_EQ(EPERM, PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, "203.0.113.7"));
	/* Loopback is always allowed: the closed port answers. */
	EXPECT_EQ(ECONNREFUSED,
		  PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, "127.0.0.1"));
	EXPECT_EQ(ECONNREFUSED, PROBE(self->env.probe, self->b, SG_PROBE_TCP_CONNECT, "::1"));
}

/* audit on every hook: the connection goes through, is counted, reported. */
TEST_F(subj, audit_every_hook)
{
	static const struct {
		enum sg_probe_kind kind;
		const char *addr, *logged;
	} cases[] = {
		{ SG_PROBE_TCP_CONNECT, CH4, "audit connect4 9.9.9.9" },
		{ SG_PROBE_UDP_CONNECT, CH4, "audit connect4 9.9.9.9" },
		{ SG_PROBE_UDP_SENDTO, CH4, "audit sendmsg4 9.9.9.9" },
		{ SG_PROBE_TCP_CONNECT, CH6, "audit connect6 2620:fe::fe" },
		{ SG_PROBE_UDP_SENDTO, CH6, "audit sendmsg6 2620:fe::fe" },
		{ SG_PROBE_TCP_CONNECT, "::ffff:9.9.9.9", "audit connect6 9.9.9.9" },
	};
	__u64 before, after;
	char log[1 << 16];
	unsigned int i;
	FILE *f;
	size_t n;

	ASSERT_EQ(0, start_with(&self->env, "audit to ch name watch-ch\n"));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_AUDIT, &before));
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		EXPECT_EQ(ENETUNREACH, PROBE(self->env.probe, self->b, cases[i].kind,
					     cases[i].addr));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_AUDIT, &after));
	EXPECT_EQ(before + ARRAY_SIZE(cases), after);

	usleep(200000);
	f = fopen(self->env.log, "r");
	ASSERT_NE(NULL, f) TH_LOG("no daemon log");
	n = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *want = cases[i].logged;

		EXPECT_TRUE(strstr(log, want) != NULL) TH_LOG("no \"%s\" in the log", want);
	}
	EXPECT_NE(NULL, strstr(log, "watch-ch"));
}

TEST_HARNESS_MAIN
