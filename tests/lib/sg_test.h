/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for host tests: a test cgroup, a sovguardd instance of the test's
 * own (own pin root, own run dir, own config), and probes that run one
 * connect() or sendto() in a child inside a private network namespace where
 * only lo is up, so no packet can leave the machine:
 *
 *   test cgroup (cgroup2 mount)/sovguard-test-PID   <- programs attached here
 *     child: unshare(CLONE_NEWNET), lo up
 *       connect/sendto public address -> EPERM (denied) or ENETUNREACH (allowed)
 */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <stdbool.h>
#include <linux/types.h>

struct sg_testenv {
	char cgroup[4096];	/* absolute path of the test cgroup */
	char pin_root[256];
	char dir[256];		/* temp dir: config, run dir, daemon log */
	char config[512];
	char log[512];
	char daemon[4096];	/* path of the sovguardd under test */
	char ctl[4096];		/* path of the sovguardctl under test */
	int pid;		/* running daemon, 0 if none */
};

int sg_testenv_init(struct sg_testenv *env, const char *name);
int sg_testenv_write_config(struct sg_testenv *env, const char *extra);
int sg_testenv_start(struct sg_testenv *env);
int sg_testenv_stop(struct sg_testenv *env, int sig);
int sg_testenv_reload(struct sg_testenv *env);
void sg_testenv_cleanup(struct sg_testenv *env);
int sg_testenv_counter(struct sg_testenv *env, unsigned int idx, __u64 *ret);
__u32 sg_testenv_generation(struct sg_testenv *env);

enum sg_probe_kind {
	SG_PROBE_TCP_CONNECT,
	SG_PROBE_UDP_CONNECT,
	SG_PROBE_UDP_SENDTO,
};

/*
 * Run one probe in a child, inside @cgroup when not NULL, in a fresh network
 * namespace. Return: 0 if the call succeeded, else the errno it failed with
 * (negative values: the probe could not be set up).
 */
int sg_probe(const char *cgroup, enum sg_probe_kind kind, const char *addr, int port);

#endif
