// SPDX-License-Identifier: GPL-2.0
/*
 * Egress enforcement on the host kernel: the real programs attached to a
 * test cgroup by a real sovguardd, real sockets.
 *
 * Topology: every probe is a child that joins the test cgroup (or not),
 * then unshares its network namespace so that only lo exists and is up.
 * A connect() or sendto() to a public address there fails with EPERM when
 * sovguard refuses it, and with ENETUNREACH when sovguard lets it through:
 * no route exists, so no packet ever leaves the machine.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>

#include "kselftest_harness.h"
#include "sovguard_egress.h"
#include "sg_test.h"

/* Real public networks, used only as destinations nothing can reach. */
#define DENY4		"1.1.1.1"	/* in 1.1.1.0/24 */
#define ALLOW4		"9.9.9.9"
#define DENY6		"2606:4700::1111"	/* in 2606:4700::/32 */
#define ALLOW6		"2620:fe::fe"
#define DENY4_MAPPED	"::ffff:1.1.1.1"
#define ALLOW4_MAPPED	"::ffff:9.9.9.9"

#define POLICY		"deny to 1.1.1.0/24, 2606:4700::/32\n"

FIXTURE(egress)
{
	struct sg_testenv env;
};

FIXTURE_SETUP(egress)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "egress"));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, POLICY));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
}

FIXTURE_TEARDOWN(egress)
{
	sg_testenv_cleanup(&self->env);
}

TEST_F(egress, tcp_connect4)
{
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
}

TEST_F(egress, udp_connect4)
{
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_UDP_CONNECT, DENY4, 53));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_UDP_CONNECT, ALLOW4, 53));
}

TEST_F(egress, udp_sendmsg4)
{
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, DENY4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, ALLOW4, 443));
}

TEST_F(egress, tcp_connect6)
{
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY6, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW6, 443));
}

TEST_F(egress, udp_sendmsg6)
{
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, DENY6, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, ALLOW6, 443));
}

TEST_F(egress, mapped_v4_in_v6)
{
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4_MAPPED, 443));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, DENY4_MAPPED, 443));
	EXPECT_EQ(ENETUNREACH,
		  sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4_MAPPED, 443));
	EXPECT_EQ(ENETUNREACH,
		  sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, ALLOW4_MAPPED, 443));
}

TEST_F(egress, outside_cgroup_untouched)
{
	EXPECT_EQ(ENETUNREACH, sg_probe(NULL, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(NULL, SG_PROBE_UDP_SENDTO, DENY6, 443));
}

TEST_F(egress, counters_move)
{
	__u64 deny0, deny1, allow0, allow1;

	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_DENY, &deny0));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_ALLOW, &allow0));
	ASSERT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	ASSERT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, DENY6, 443));
	ASSERT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_DENY, &deny1));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_ALLOW, &allow1));
	EXPECT_EQ(deny0 + 2, deny1);
	EXPECT_GE(allow1, allow0 + 1);
}

TEST_F(egress, audit_mode_allows_and_counts)
{
	__u64 would0, would1, deny0, deny1;

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "mode = audit\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_WOULD_DENY, &would0));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_DENY, &deny0));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_WOULD_DENY, &would1));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_DENY, &deny1));
	EXPECT_EQ(would0 + 1, would1);
	EXPECT_EQ(deny0, deny1);
}

/* Write the pinned sg_config entry as a stray writer (or a bug) might. */
static int set_config(struct sg_testenv *env, const struct sg_config *cfg)
{
	char path[512];
	__u32 zero = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", env->pin_root, SG_PIN_CONFIG);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_update_elem(fd, &zero, cfg, BPF_ANY) ? -errno : 0;
	close(fd);
	return err;
}

/*
 * Mode off is 0 (the module's numbering), but a zeroed sg_config entry, or
 * one holding no valid mode, still enforces: the map stores the mode plus
 * one. The written "off" shows that the programs read what is written.
 */
TEST_F(egress, zeroed_config_still_denies)
{
	struct sg_config off = { .mode_plus1 = SG_CONFIG_MODE(SG_MODE_OFF) };
	struct sg_config zeroed = {};
	struct sg_config bad = { .mode_plus1 = SG_CONFIG_MODE(SG_MODE_MAX) };

	ASSERT_EQ(0, set_config(&self->env, &off));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	ASSERT_EQ(0, set_config(&self->env, &zeroed));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, DENY6, 443));
	ASSERT_EQ(0, set_config(&self->env, &bad));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
}

TEST_F(egress, reload_changes_policy)
{
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to 9.9.9.0/24\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
}

/*
 * A memoized subject lives exactly as long as its image: after repeated
 * decisions on one CPU (answered from the memo) a reload turns both
 * verdicts around at once, and the next decisions are the new image's.
 */
TEST_F(egress, subject_memo_ends_with_its_image)
{
	__u64 hit0, hit1;
	cpu_set_t saved;
	int i;

	ASSERT_EQ(0, sg_test_pin_cpu(0, &saved));
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_CACHE_HIT, &hit0));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
		EXPECT_EQ(ENETUNREACH,
			  sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
	}
	/* DENY4 is named by a rule: the subject computed once, then from the
	 * memo (ALLOW4, which no rule names, never needs the subject) */
	ASSERT_EQ(0, sg_testenv_counter(&self->env, SG_CNT_CACHE_HIT, &hit1));
	EXPECT_EQ(3ULL, hit1 - hit0);

	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to 9.9.9.0/24\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(ENETUNREACH,
			  sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
		EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
	}
	sched_setaffinity(0, sizeof(saved), &saved);
}

TEST_F(egress, bad_config_keeps_running_policy)
{
	__u32 gen = sg_testenv_generation(&self->env);

	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to 9.9.9.0/33\nbogus\n"));
	EXPECT_NE(0, sg_testenv_reload(&self->env));
	EXPECT_EQ(gen, sg_testenv_generation(&self->env));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
}

/*
 * A prober in the test cgroup connects to a denied address in a loop while
 * the daemon is stopped and started again; every single attempt, including
 * those made while no daemon runs, must be refused.
 */
TEST_F(egress, restart_keeps_enforcement)
{
	struct shared {
		volatile int stop;
		volatile unsigned long attempts, refused, other;
	} *sh;
	unsigned long mark;
	int pid, status, i;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset((void *)sh, 0, sizeof(*sh));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char path[4200], buf[32];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", self->env.cgroup);
		f = fopen(path, "we");
		if (!f)
			_exit(1);
		snprintf(buf, sizeof(buf), "%d\n", getpid());
		fputs(buf, f);
		fclose(f);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		while (!sh->stop) {
			int r = sg_probe(NULL, SG_PROBE_TCP_CONNECT, DENY4, 443);

			sh->attempts++;
			if (r == EPERM)
				sh->refused++;
			else
				sh->other++;
		}
		_exit(0);
	}

	for (i = 0; i < 500 && sh->attempts < 20; i++)
		usleep(10000);
	ASSERT_GE(sh->attempts, 20UL);

	ASSERT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));
	mark = sh->attempts;
	for (i = 0; i < 500 && sh->attempts < mark + 20; i++)
		usleep(10000);
	EXPECT_GE(sh->attempts, mark + 20) TH_LOG("no attempts while the daemon was down");

	ASSERT_EQ(0, sg_testenv_start(&self->env));
	mark = sh->attempts;
	for (i = 0; i < 500 && sh->attempts < mark + 20; i++)
		usleep(10000);

	sh->stop = 1;
	waitpid(pid, &status, 0);
	EXPECT_EQ(0UL, sh->other) TH_LOG("%lu of %lu attempts were not refused", sh->other,
				       sh->attempts);
	EXPECT_EQ(sh->attempts, sh->refused);
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, DENY4, 443));
}

TEST_F(egress, ctl_check_from_live_tables)
{
	char out[8192];

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "check -j 1.1.1.1 --port 53 --proto udp", out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"verdict\":\"deny\""));
	EXPECT_NE(NULL, strstr(out, "\"rule\":\"test.rules:1\""));
	EXPECT_NE(NULL, strstr(out, "\"country\":\"AU\""));
	EXPECT_NE(NULL, strstr(out, "\"asn\":13335"));
	EXPECT_NE(NULL, strstr(out, "\"zones\":[\n    \"five-eyes\""));
	EXPECT_NE(NULL, strstr(out, "\"kind\":\"cidr\""));

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "-j check 9.9.9.9", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"verdict\":\"allow\""));
	EXPECT_NE(NULL, strstr(out, "\"rule\":\"implicit\""));
	EXPECT_NE(NULL, strstr(out, "\"country\":\"CH\""));

	EXPECT_NE(0, sg_testenv_ctl(&self->env, "check not-an-address", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "must be an IPv4 or IPv6 address"));
}

TEST_F(egress, ctl_rules_count_hits)
{
	char out[8192];

	ASSERT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	ASSERT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, DENY6, 443));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "rules -j", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"id\":\"test.rules:1\""));
	EXPECT_NE(NULL, strstr(out, "\"hits\":2")) TH_LOG("%s", out);
}

TEST_F(egress, missing_data_never_allows_everything)
{
	/* A daemon whose data is gone refuses to start ... */
	ASSERT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "data = /nonexistent/location.db\n"));
	EXPECT_NE(0, sg_testenv_start(&self->env));
	/* ... and the pinned policy it leaves keeps deciding. */
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));

	/* A running daemon keeps its policy when a reload names missing data. */
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NULL));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "data = /nonexistent/location.db\n"));
	EXPECT_NE(0, sg_testenv_reload(&self->env));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
}

/*
 * Pins left by a sovguard whose image maps had another layout: the slot's
 * template (here an inner map of any size, BPF_F_INNER_MAP) does not take
 * this version's images. The daemon must refuse to start with a message
 * that says what to do, not run on a policy it cannot replace.
 */
TEST(stale_policy_slot_is_named)
{
	LIBBPF_OPTS(bpf_map_create_opts, inner_opts, .map_flags = BPF_F_INNER_MAP);
	struct sg_testenv env;
	char path[600], log[8192] = "";
	int inner, outer;
	FILE *f;
	size_t n;

	ASSERT_EQ(0, sg_testenv_init(&env, "stale"));
	ASSERT_EQ(0, sg_testenv_write_config(&env, NULL));
	ASSERT_EQ(0, sg_testenv_write_rules(&env, POLICY));
	ASSERT_EQ(0, mkdir(env.pin_root, 0700));
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "old_image", 4, SG_BLK_BYTES, 1, &inner_opts);
	ASSERT_LE(0, inner);
	LIBBPF_OPTS(bpf_map_create_opts, outer_opts, .inner_map_fd = inner);
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "sg_policy", 4, 4, 1, &outer_opts);
	ASSERT_LE(0, outer);
	snprintf(path, sizeof(path), "%s/sg_policy", env.pin_root);
	ASSERT_EQ(0, bpf_obj_pin(outer, path));
	close(outer);
	close(inner);

	EXPECT_NE(0, sg_testenv_start(&env));
	f = fopen(env.log, "r");
	ASSERT_NE(NULL, f);
	n = fread(log, 1, sizeof(log) - 1, f);
	log[n] = '\0';
	fclose(f);
	EXPECT_NE(NULL, strstr(log, "another sovguard version")) TH_LOG("%s", log);
	EXPECT_NE(NULL, strstr(log, "'sovguardd --remove' once")) TH_LOG("%s", log);
	sg_testenv_cleanup(&env);
}

TEST_HARNESS_MAIN
