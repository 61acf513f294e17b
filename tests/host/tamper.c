// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel state defends itself: a real sovguardd on a test cgroup and
 * pin root, its objects tampered with as root would (bpftool, or the bpf()
 * calls bpftool makes), and the checks that it is noticed (an alert in the
 * daemon's log), restored within a second, and that nothing fails open
 * meanwhile. The daemon is stopped (SIGSTOP) while a test looks at the
 * tampered state, so that `sovguardctl status -j` can be caught reporting
 * the kernel's real state before the watchdog repairs it.
 *
 *   test cgroup (cgroup2 mount)/sovguard-test-tamper-PID   <- programs here
 *     probe child: unshare(CLONE_NEWNET), lo up
 *       connect public address -> EPERM (denied) or ENETUNREACH (allowed)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "sovguard_egress.h"
#include "sg_test.h"

#define DENY4		"1.1.1.1"	/* in 1.1.1.0/24: denied by the policy */
#define ALLOW4		"9.9.9.9"	/* allowed by the policy's default */
#define POLICY		"deny to 1.1.1.0/24\n"
#define RESTORE_MS	1000		/* the watchdog checks 4 times a second */

FIXTURE(tamper)
{
	struct sg_testenv env;
};

FIXTURE_SETUP(tamper)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "tamper"));
	/* The watchdog alone: on a BPF LSM kernel the guard would refuse the tampering. */
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "protect = off"));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, POLICY));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
}

FIXTURE_TEARDOWN(tamper)
{
	if (self->env.pid)
		kill(self->env.pid, SIGCONT);
	sg_testenv_cleanup(&self->env);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st < 0 ? -1 : WEXITSTATUS(st);
}

/* The number after "KEY": in a JSON text, or -1. */
static long json_int(const char *json, const char *key)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static bool log_has(struct sg_testenv *env, const char *s)
{
	static char buf[1 << 20];
	FILE *f = fopen(env->log, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, s) != NULL;
}

/* Wait up to @ms for the probe of @addr to give @want. */
static int probe_until(struct sg_testenv *env, const char *addr, int want, int ms)
{
	int r = -1, i;

	for (i = 0; i <= ms / 50; i++) {
		r = sg_probe(env->cgroup, SG_PROBE_TCP_CONNECT, addr, 443);
		if (r == want)
			return r;
		usleep(50000);
	}
	return r;
}

static bool pin_exists(struct sg_testenv *env, const char *name, int ms)
{
	char path[600];
	int i;

	snprintf(path, sizeof(path), "%s/%s", env->pin_root, name);
	for (i = 0; i <= ms / 50; i++) {
		if (access(path, F_OK) == 0)
			return true;
		usleep(50000);
	}
	return false;
}

static __u64 counter(struct sg_testenv *env, unsigned int idx)
{
	__u64 v = 0;

	sg_testenv_counter(env, idx, &v);
	return v;
}

/* A map of the running programs by name, found from the pinned link. */
static int prog_map(struct sg_testenv *env, const char *name)
{
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};
	struct bpf_map_info mi;
	__u32 ids[32], len = sizeof(li), plen = sizeof(pi), mlen, i;
	char path[600];
	int fd, pfd, mfd;

	snprintf(path, sizeof(path), "%s/link_connect4", env->pin_root);
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_link_get_info_by_fd(fd, &li, &len))
		return -1;
	close(fd);
	pfd = bpf_prog_get_fd_by_id(li.prog_id);
	pi.nr_map_ids = 32;
	pi.map_ids = (__u64)(unsigned long)ids;
	if (pfd < 0 || bpf_prog_get_info_by_fd(pfd, &pi, &plen))
		return -1;
	close(pfd);
	for (i = 0; i < pi.nr_map_ids && i < 32; i++) {
		mfd = bpf_map_get_fd_by_id(ids[i]);
		memset(&mi, 0, sizeof(mi));
		mlen = sizeof(mi);
		if (mfd >= 0 && !bpf_map_get_info_by_fd(mfd, &mi, &mlen) && !strcmp(mi.name, name))
			return mfd;
		if (mfd >= 0)
			close(mfd);
	}
	return -1;
}

/* Set the busy word at the start of every CPU's (or the one) value of @name. */
static int set_busy(struct sg_testenv *env, const char *name, bool percpu, __u64 busy)
{
	int fd = prog_map(env, name), ncpu = percpu ? libbpf_num_possible_cpus() : 1, c;
	size_t sz = percpu ? (sizeof(struct sg_work) + 7) / 8 * 8 : sizeof(struct sg_spare);
	__u32 zero = 0;
	char *vals;
	int err;

	if (fd < 0)
		return -ENOENT;
	vals = calloc(ncpu, sz);
	if (!vals)
		return -ENOMEM;
	for (c = 0; c < ncpu; c++)
		*(__u64 *)(vals + c * sz) = busy;
	err = bpf_map_update_elem(fd, &zero, vals, BPF_ANY) ? -errno : 0;
	free(vals);
	close(fd);
	return err;
}

TEST_F(tamper, link_detach_detected_and_restored)
{
	char out[16384];

	ASSERT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	ASSERT_EQ(0, kill(self->env.pid, SIGSTOP));
	ASSERT_EQ(0, run("bpftool link detach pinned %s/link_connect4", self->env.pin_root));
	/* Detached, pin still there: status must not count it attached. */
	EXPECT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out)));
	EXPECT_EQ(SG_TEST_LINKS - 1, json_int(out, "links_attached")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"attached\":false")) TH_LOG("%s", out);
	ASSERT_EQ(0, kill(self->env.pid, SIGCONT));
	EXPECT_EQ(EPERM, probe_until(&self->env, DENY4, EPERM, RESTORE_MS));
	EXPECT_TRUE(log_has(&self->env, "ALERT tamper: link_connect4: detached"));
	EXPECT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out)));
	EXPECT_EQ(SG_TEST_LINKS, json_int(out, "links_attached")) TH_LOG("%s", out);
}

TEST_F(tamper, link_unpin_repinned_and_survives_stop)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/link_sendmsg4", self->env.pin_root);
	ASSERT_EQ(0, unlink(path));
	EXPECT_TRUE(pin_exists(&self->env, "link_sendmsg4", RESTORE_MS));
	EXPECT_TRUE(log_has(&self->env, "ALERT tamper: link_sendmsg4: pin removed"));
	/* Unpinned again, then stopped at once: enforcement still stays. */
	ASSERT_EQ(0, unlink(path));
	EXPECT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));
	EXPECT_EQ(0, access(path, F_OK));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_UDP_SENDTO, DENY4, 53));
}

TEST_F(tamper, mode_off_restored)
{
	char out[16384];

	ASSERT_EQ(0, kill(self->env.pid, SIGSTOP));
	ASSERT_EQ(0, run("bpftool map update pinned %s/sg_config key 0 0 0 0 value %u 0 0 0 0 0 0 0",
			 self->env.pin_root, SG_CONFIG_MODE(SG_MODE_OFF)));
	EXPECT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"mode\":\"off\"")) TH_LOG("%s", out);
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	ASSERT_EQ(0, kill(self->env.pid, SIGCONT));
	EXPECT_EQ(EPERM, probe_until(&self->env, DENY4, EPERM, RESTORE_MS));
	EXPECT_TRUE(log_has(&self->env, "ALERT tamper: sg_config: mode off"));
}

/*
 * Slot 0 deleted: the backup slot keeps the rules deciding. Both deleted:
 * under a default-allow policy everything but loopback is refused (fail =
 * deny, the default), with events; then both come back.
 */
TEST_F(tamper, empty_slots_never_allow)
{
	__u64 backup0 = counter(&self->env, SG_CNT_BACKUP);
	__u64 fail0 = counter(&self->env, SG_CNT_FAIL);
	char out[16384];

	ASSERT_EQ(0, kill(self->env.pid, SIGSTOP));
	ASSERT_EQ(0, run("bpftool map delete pinned %s/sg_policy key 0 0 0 0", self->env.pin_root));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
	EXPECT_LT(backup0, counter(&self->env, SG_CNT_BACKUP));
	EXPECT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"slot\":1")) TH_LOG("%s", out);

	ASSERT_EQ(0, run("bpftool map delete pinned %s/sg_policy key 1 0 0 0", self->env.pin_root));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
	EXPECT_EQ(ECONNREFUSED, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "127.0.0.1", 9));
	EXPECT_LE(fail0 + 2, counter(&self->env, SG_CNT_FAIL));
	EXPECT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"policy\":null")) TH_LOG("%s", out);

	ASSERT_EQ(0, kill(self->env.pid, SIGCONT));
	EXPECT_EQ(ENETUNREACH, probe_until(&self->env, ALLOW4, ENETUNREACH, RESTORE_MS));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_TRUE(log_has(&self->env, "ALERT tamper: sg_policy: slot 0"));
	EXPECT_TRUE(log_has(&self->env, "rule fail verdict"));
	EXPECT_EQ(0, sg_testenv_ctl(&self->env, "-j check 9.9.9.9", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"policy_slot\":0")) TH_LOG("%s", out);
}

/* fail = allow: with no image left, connections pass, counted and reported. */
TEST_F(tamper, fail_allow_is_counted)
{
	__u64 fail0 = counter(&self->env, SG_CNT_FAIL);
	char out[16384];

	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "fail = allow\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	EXPECT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"fail\":\"allow\"")) TH_LOG("%s", out);
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	ASSERT_EQ(0, kill(self->env.pid, SIGSTOP));
	ASSERT_EQ(0, run("bpftool map delete pinned %s/sg_policy key 0 0 0 0 && "
			 "bpftool map delete pinned %s/sg_policy key 1 0 0 0",
			 self->env.pin_root, self->env.pin_root));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(fail0 + 1, counter(&self->env, SG_CNT_FAIL));
	ASSERT_EQ(0, kill(self->env.pid, SIGCONT));
	EXPECT_EQ(EPERM, probe_until(&self->env, DENY4, EPERM, RESTORE_MS));
	EXPECT_TRUE(log_has(&self->env, "allow connect4 1.1.1.1 port 443"));
}

/* The published image is frozen: its magic cannot be zeroed from userspace. */
TEST_F(tamper, image_frozen)
{
	int outer, img;
	__u32 zero = 0, id;
	struct sg_blk b = {};
	char path[600];
	void *mem;

	snprintf(path, sizeof(path), "%s/sg_policy", self->env.pin_root);
	outer = bpf_obj_get(path);
	ASSERT_LE(0, outer);
	ASSERT_EQ(0, bpf_map_lookup_elem(outer, &zero, &id));
	img = bpf_map_get_fd_by_id(id);
	ASSERT_LE(0, img);
	EXPECT_NE(0, bpf_map_update_elem(img, &zero, &b, BPF_ANY));
	EXPECT_EQ(EPERM, errno);
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, img, 0);
	EXPECT_EQ(MAP_FAILED, mem);
	EXPECT_NE(0, run("bpftool map update id %u key 0 0 0 0 value %s 2>/dev/null", id,
			 "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
			 "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	close(img);
	close(outer);
}

/*
 * Bug 9: every work slot of every CPU taken (as a pile of preempted
 * decisions would): a spare slot decides by the rules, counted as busy and
 * reported. Every spare slot taken too: the fail verdict, counted and
 * reported, never the image's default.
 */
TEST_F(tamper, busy_slots_still_apply_rules)
{
	__u64 busy0 = counter(&self->env, SG_CNT_BUSY);
	__u64 nowork0 = counter(&self->env, SG_CNT_NO_WORK);

	ASSERT_EQ(0, set_busy(&self->env, "sg_work", true, (1ULL << SG_SLOTS) - 1));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
	EXPECT_LE(busy0 + 2, counter(&self->env, SG_CNT_BUSY));
	EXPECT_EQ(nowork0, counter(&self->env, SG_CNT_NO_WORK));

	ASSERT_EQ(0, set_busy(&self->env, "sg_spare", false, (1ULL << SG_SPARE_SLOTS) - 1));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, DENY4, 443));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
	EXPECT_LE(nowork0 + 2, counter(&self->env, SG_CNT_NO_WORK));

	ASSERT_EQ(0, set_busy(&self->env, "sg_spare", false, 0));
	ASSERT_EQ(0, set_busy(&self->env, "sg_work", true, 0));
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, ALLOW4, 443));
	usleep(2 * RESTORE_MS * 1000);
	EXPECT_TRUE(log_has(&self->env, "ALERT busy: sg_counters"));
	EXPECT_TRUE(log_has(&self->env, "rule fail verdict"));
}

/*
 * The observation links: each cgroup link detached (bpftool link detach;
 * the kernel refuses to detach tracing links: EOPNOTSUPP), each link
 * unpinned, while the daemon runs; each must be named in an alert and be
 * attached and pinned again.
 */
static const struct {
	const char *name;
	bool cgroup;
} obs_links[] = {
	{ "obs_ingress", true }, { "obs_post_bind4", true }, { "obs_post_bind6", true },
	{ "obs_sock_release", true }, { "obs_tcp_state", false }, { "obs_exec", false },
	{ "obs_socket", false }, { "obs_socket_enter", false },
};

/* The link pinned as @name is attached (a cgroup link: to @cg_id) within @ms. */
static bool link_attached(struct sg_testenv *env, const char *name, __u64 cg_id, int ms)
{
	char path[600];
	int i, fd;

	snprintf(path, sizeof(path), "%s/%s", env->pin_root, name);
	for (i = 0; i <= ms / 50; i++) {
		struct bpf_link_info li = {};
		__u32 len = sizeof(li);
		bool ok;

		fd = bpf_obj_get(path);
		ok = fd >= 0 && !bpf_link_get_info_by_fd(fd, &li, &len) && li.prog_id &&
		     (li.type != BPF_LINK_TYPE_CGROUP || li.cgroup.cgroup_id == cg_id);
		if (fd >= 0)
			close(fd);
		if (ok)
			return true;
		usleep(50000);
	}
	return false;
}

static __u64 cgroup_id(const char *path)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h = { .fh.handle_bytes = sizeof(__u64) };
	int mnt;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0) < 0)
		return 0;
	return h.id;
}

TEST_F(tamper, observation_links_detached_restored)
{
	__u64 cg = cgroup_id(self->env.cgroup);
	char want[128];
	unsigned int i;

	ASSERT_TRUE(cg != 0);
	for (i = 0; i < sizeof(obs_links) / sizeof(obs_links[0]); i++) {
		const char *name = obs_links[i].name;

		ASSERT_TRUE(link_attached(&self->env, name, cg, 0)) TH_LOG("%s", name);
		if (!obs_links[i].cgroup)
			continue;
		ASSERT_EQ(0, run("bpftool link detach pinned %s/%s", self->env.pin_root, name));
		EXPECT_TRUE(link_attached(&self->env, name, cg, RESTORE_MS))
			TH_LOG("%s not attached again", name);
		snprintf(want, sizeof(want), "ALERT tamper: %s: detached", name);
		EXPECT_TRUE(log_has(&self->env, want)) TH_LOG("no \"%s\"", want);
	}
}

TEST_F(tamper, observation_links_unpinned_repinned)
{
	char path[600], want[128];
	unsigned int i;

	for (i = 0; i < sizeof(obs_links) / sizeof(obs_links[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", self->env.pin_root, obs_links[i].name);
		ASSERT_EQ(0, unlink(path)) TH_LOG("%s", path);
		EXPECT_TRUE(pin_exists(&self->env, obs_links[i].name, RESTORE_MS)) TH_LOG("%s", path);
		snprintf(want, sizeof(want), "ALERT tamper: %s: pin removed", obs_links[i].name);
		EXPECT_TRUE(log_has(&self->env, want)) TH_LOG("no \"%s\"", want);
	}
}

TEST_HARNESS_MAIN
