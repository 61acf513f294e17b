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

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

struct sg_testenv {
	char cgroup[4096];	/* absolute path of the test cgroup */
	char pin_root[256];
	char dir[256];		/* temp dir: config, run dir, daemon log */
	char config[512];
	char log[512];
	char daemon[4096];	/* path of the sovguardd under test */
	char ctl[4096];		/* copy of the sovguardctl under test, in dir */
	char probe[4096];	/* copy of sg-probe, in dir (any uid may run it) */
	int pid;		/* running daemon, 0 if none */
	const char *daemon_arg;	/* one more sovguardd option, or NULL */
};

/*
 * The enforcement programs the daemon attaches to the cgroup (the pinned
 * link_* of sg_hook_names[]): what status counts as "N of N attached".
 */
#define SG_TEST_LINKS		7
#define SG_TEST_LINKS_ALL	"programs:  7 of 7 attached"

int sg_testenv_init(struct sg_testenv *env, const char *name);
/*
 * The test jurisdiction dataset (a CIDR list): real public networks mapped
 * to countries and operators, used only as destinations that nothing can
 * reach from the probes' empty network namespaces.
 */
#define SG_TEST_DATA                                                                               \
	"1.1.1.0/24 AU as13335\n"                                                                  \
	"2606:4700::/32 US as13335\n"                                                              \
	"9.9.9.0/24 CH as19281\n"                                                                  \
	"2620:fe::/48 CH as19281\n"                                                                \
	"8.8.8.0/24 US as15169\n"                                                                  \
	"2001:4860::/32 US as15169\n"                                                              \
	"193.0.6.0/24 NL as3333\n"                                                                 \
	"2001:67c:2e8::/48 NL as3333\n"                                                            \
	"194.0.0.0/16 DE as3320\n"

int sg_testenv_write_config(struct sg_testenv *env, const char *extra);
int sg_testenv_write_rules(struct sg_testenv *env, const char *rules);
int sg_testenv_write_data(struct sg_testenv *env, const char *cidr);
/* Fork and exec the daemon (log to env->log); its pid, or -errno. No wait. */
int sg_testenv_spawn(struct sg_testenv *env);
int sg_testenv_start(struct sg_testenv *env);
int sg_testenv_stop(struct sg_testenv *env, int sig);
int sg_testenv_reload(struct sg_testenv *env);
void sg_testenv_cleanup(struct sg_testenv *env);
int sg_testenv_counter(struct sg_testenv *env, unsigned int idx, __u64 *ret);
__u32 sg_testenv_generation(struct sg_testenv *env);
/* One request on the daemon's control socket; the reply in @rep. */
int sg_testenv_control(struct sg_testenv *env, const char *req, char *rep, size_t len);
/* The hit counter of rule @index, from the control socket's "rules". */
long long sg_testenv_hits(struct sg_testenv *env, unsigned int index);
/* Whether the daemon's log holds @text. */
bool sg_testenv_log_has(struct sg_testenv *env, const char *text);
/*
 * Run the test's sovguardctl against the test daemon's pins and run dir
 * with @args; its stdout and stderr in @out. Return: its exit status (as
 * pclose() gives it), or -1.
 */
int sg_testenv_ctl(struct sg_testenv *env, const char *args, char *out, size_t len);
/*
 * Run @argv as @uid/@gid with stdout and stderr into @out (NUL-terminated).
 * Return: the exit status, or a negative errno.
 */
int sg_run_as(uid_t uid, gid_t gid, char *const argv[], char *out, size_t len);
/* The same with the one supplementary group @extra ((gid_t)-1: none). */
int sg_run_as_groups(uid_t uid, gid_t gid, gid_t extra, char *const argv[], char *out,
		     size_t len);

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

/* The same, by executing @exe (an sg-probe, or a copy of it) as uid/gid. */
int sg_probe_exec(const char *exe, const char *cgroup, uid_t uid, gid_t gid,
		  enum sg_probe_kind kind, const char *addr, int port);

/*
 * Run the calling thread (and the probes it forks) on CPU @cpu only, where
 * per-CPU state such as the subject memo is one and the same; *saved gets
 * the affinity to restore with sched_setaffinity(). Return: 0 or -errno.
 */
int sg_test_pin_cpu(int cpu, cpu_set_t *saved);

#endif
