// SPDX-License-Identifier: GPL-2.0
/*
 * Operations: `sovguardctl status` with the daemon down, jurisdiction data
 * that stays fresh (replaced on disk, reloaded without SIGHUP; its age in
 * status), the metrics (`sovguardctl metrics` and the textfile for
 * node_exporter), who may use the control socket, and the pre-deploy gate:
 * `check-config DIR` and `check --rules DIR` without a daemon, answering as
 * the daemon then does.
 *
 *   rules: deny to au
 *
 * Topology: probes run in a child in the test cgroup inside an empty
 * network namespace (only lo): connect() to a public address gets EPERM
 * when denied and ENETUNREACH when let through; nothing leaves the host.
 * 193.0.6.1 is NL in the test data, AU in the replacement.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <grp.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
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
#define METRICS_WAIT_MS	10000	/* for the textfile to be written anew (every 1 s) */
#define NOBODY		65534
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


/*
 * The exposition format 0.0.4, checked line by line: every family has one
 * # HELP and one # TYPE before its samples, which come together; names
 * match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*;
 * label values are quoted with only \\, \" and \n escaped; counters end in
 * _total; every value is a number. The number of samples, or -1 with the
 * reason in @why.
 */
static int exposition_check(const char *text, char *why, size_t len)
{
	char fam[256] = "", typed[256] = "", helped[256] = "", done[65536] = " ";
	const char *p = text, *eol, *q;
	int samples = 0, lineno = 0;
	char type[32];

#define BAD(fmt, ...)                                                                              \
	do {                                                                                       \
		snprintf(why, len, "line %d: " fmt, lineno, ##__VA_ARGS__);                        \
		return -1;                                                                         \
	} while (0)
	if (!*text || text[strlen(text) - 1] != '\n')
		BAD("no text, or no final newline");
	for (; *p; p = eol + 1) {
		char name[256], probe[260];
		size_t n = 0;

		lineno++;
		eol = strchr(p, '\n');
		if (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7)) {
			bool help = p[2] == 'H';

			for (q = p + 7; q < eol && *q != ' ' && n < sizeof(name) - 1; q++)
				name[n++] = *q;
			name[n] = '\0';
			if (q >= eol || q[1] == '\n')
				BAD("%.7s without text", p);
			if (strcmp(name, fam)) {
				snprintf(probe, sizeof(probe), " %s ", name);
				if (strstr(done, probe))
					BAD("family %s appears twice", name);
				if (strlen(done) + strlen(name) + 2 < sizeof(done))
					strcat(strcat(done, name), " ");
				snprintf(fam, sizeof(fam), "%s", name);
			}
			if (help) {
				if (!strcmp(helped, name))
					BAD("second HELP for %s", name);
				snprintf(helped, sizeof(helped), "%s", name);
			} else {
				if (!strcmp(typed, name))
					BAD("second TYPE for %s", name);
				snprintf(typed, sizeof(typed), "%s", name);
				snprintf(type, sizeof(type), "%.*s", (int)(eol - q - 1), q + 1);
				if (strcmp(type, "counter") && strcmp(type, "gauge"))
					BAD("type %s", type);
			}
			continue;
		}
		if (*p == '#')
			BAD("a comment that is neither HELP nor TYPE");
		q = p;
		if (!isalpha((unsigned char)*q) && *q != '_' && *q != ':')
			BAD("name starts with '%c'", *q);
		while (q < eol && (isalnum((unsigned char)*q) || *q == '_' || *q == ':'))
			name[n++] = *q++;
		name[n] = '\0';
		if (strcmp(name, fam) || strcmp(name, typed) || strcmp(name, helped))
			BAD("sample %s outside its family (with HELP and TYPE)", name);
		if (!strcmp(type, "counter") &&
		    (n < 6 || strcmp(name + n - 6, "_total")))
			BAD("counter %s without _total", name);
		if (*q == '{') {
			for (q++; *q != '}';) {
				if (!isalpha((unsigned char)*q) && *q != '_')
					BAD("label name of %s", name);
				while (isalnum((unsigned char)*q) || *q == '_')
					q++;
				if (q[0] != '=' || q[1] != '"')
					BAD("label of %s not =\"", name);
				for (q += 2; *q != '"'; q++) {
					if (*q == '\n' || !*q)
						BAD("unterminated label value in %s", name);
					if (*q == '\\' && !strchr("\\\"n", *++q))
						BAD("bad escape \\%c in %s", *q, name);
				}
				q++;
				if (*q == ',')
					q++;
				else if (*q != '}')
					BAD("labels of %s", name);
			}
			q++;
		}
		if (*q != ' ')
			BAD("no value after %s", name);
		strtod(q + 1, (char **)&q);
		if (q != eol)
			BAD("value of %s is not a number", name);
		samples++;
	}
	return samples;
#undef BAD
}

/* The value of the first sample of @name whose line holds every label in @want (NULL-ended). */
static long long metric(const char *text, const char *name, ...)
{
	const char *p, *eol, *w;
	size_t n = strlen(name);
	va_list ap;
	bool all;

	for (p = text; p && *p; p = eol ? eol + 1 : NULL) {
		eol = strchr(p, '\n');
		if (strncmp(p, name, n) || (p[n] != '{' && p[n] != ' '))
			continue;
		all = true;
		va_start(ap, name);
		while ((w = va_arg(ap, const char *)))
			if (!memmem(p, eol - p, w, strlen(w)))
				all = false;
		va_end(ap);
		if (all)
			return strtoll(memrchr(p, ' ', eol - p), NULL, 10);
	}
	return -1;
}

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/* sovguardctl ARGS as @uid with primary group @gid and the group @extra. */
static int ctl_as(struct sg_testenv *env, uid_t uid, gid_t gid, gid_t extra, const char *args,
		  char *out, size_t len)
{
	char cmd[12000];
	char *const argv[] = { "/bin/sh", "-c", cmd, NULL };
	int st;

	snprintf(cmd, sizeof(cmd), "exec '%s' --pin-root '%s' --run-dir '%s/run' %s", env->ctl,
		 env->pin_root, env->dir, args);
	st = sg_run_as_groups(uid, gid, extra, argv, out, len);
	return st < 0 ? -1 : st;
}

/* A gid no group has: the test's control group, without touching /etc/group. */
static gid_t free_gid(void)
{
	gid_t g;

	for (g = 60000 + getpid() % 1000; g < 65000; g++)
		if (!getgrgid(g))
			return g;
	return (gid_t)-1;
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
	EXPECT_NE(NULL, strstr(out, SG_TEST_LINKS_ALL)) TH_LOG("%s", out);
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

/*
 * The metrics move with real decisions: a denied probe is one more hit of
 * its rule and one more deny; the text is well formed; the textfile is
 * only ever renamed into place (never written where the collector reads)
 * and is written anew every metrics_interval.
 */
TEST_F(ops, metrics_follow_decisions)
{
	static char out[1 << 20], file[1 << 20];
	char extra[4096], dir[600], path[1500], odd[700], why[1024];
	long long hits0, deny0, zone0, hits = -1;
	int ifd, i, moved = 0, direct = 0;
	char ev[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct stat st;
	ssize_t n;

	/* A data source whose name needs escaping in a label value. */
	snprintf(odd, sizeof(odd), "%s/q\"uo\\te.cidr", self->env.dir);
	ASSERT_EQ(0, sg_testenv_write_data(&self->env, SG_TEST_DATA));
	snprintf(path, sizeof(path), "cp '%s/test.cidr' '%s'", self->env.dir, odd);
	ASSERT_EQ(0, system(path));
	snprintf(dir, sizeof(dir), "%s/textfile", self->env.dir);
	ASSERT_EQ(0, mkdir(dir, 0755));
	snprintf(path, sizeof(path), "%s/sovguard.prom", dir);
	snprintf(extra, sizeof(extra), "metrics_file = %s\nmetrics_interval = 1s\ndata = %s\n",
		 path, odd);
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, extra));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env,
					    "zone oceania = au\ndeny name no-au to oceania\n"));
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ASSERT_LE(0, ifd);
	ASSERT_LE(0, inotify_add_watch(ifd, dir, IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE |
						 IN_MOVED_TO));
	ASSERT_EQ(0, sg_testenv_start(&self->env));

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "metrics", out, sizeof(out))) TH_LOG("%s", out);
	ASSERT_LT(20, exposition_check(out, why, sizeof(why))) TH_LOG("%s\n%s", why, out);
	EXPECT_EQ(1, metric(out, "sovguard_build_info", NULL));
	EXPECT_EQ(1, metric(out, "sovguard_mode", "mode=\"enforce\"", NULL));
	EXPECT_EQ(0, metric(out, "sovguard_mode", "mode=\"audit\"", NULL));
	EXPECT_EQ(1, metric(out, "sovguard_policy_generation", NULL));
	EXPECT_EQ(SG_TEST_LINKS, metric(out, "sovguard_programs_attached", NULL));
	EXPECT_LE(0, metric(out, "sovguard_data_age_seconds", "q\\\"uo\\\\te.cidr\"", NULL))
		TH_LOG("%s", out);
	EXPECT_LE(0, metric(out, "sovguard_events_dropped_total", "source=\"decision\"", NULL));
	EXPECT_LE(0, metric(out, "sovguard_alerts_total", "heuristic=\"beacon\"", NULL))
		TH_LOG("%s", out);
	hits0 = metric(out, "sovguard_rule_hits_total", "index=\"0\"", "name=\"no-au\"",
		       "verdict=\"deny\"", NULL);
	deny0 = metric(out, "sovguard_decisions_total", "verdict=\"deny\"", NULL);
	zone0 = metric(out, "sovguard_zone_hits_total", "zone=\"oceania\"", "verdict=\"deny\"",
		       NULL);
	ASSERT_LE(0, hits0) TH_LOG("%s", out);
	ASSERT_LE(0, zone0) TH_LOG("%s", out);
	ASSERT_LE(0, deny0);

	ASSERT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "1.1.1.1", 443));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "metrics", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(hits0 + 1, metric(out, "sovguard_rule_hits_total", "index=\"0\"", NULL));
	EXPECT_EQ(deny0 + 1, metric(out, "sovguard_decisions_total", "verdict=\"deny\"", NULL));
	EXPECT_EQ(zone0 + 1, metric(out, "sovguard_zone_hits_total", "zone=\"oceania\"",
				    "verdict=\"deny\"", NULL)) TH_LOG("%s", out);

	/* The textfile catches up: refreshed, whole at every read. */
	for (i = 0; i < METRICS_WAIT_MS / 10; i++) {
		if (!read_text(path, file, sizeof(file))) {
			ASSERT_LT(20, exposition_check(file, why, sizeof(why)))
				TH_LOG("%s\n%s", why, file);
			hits = metric(file, "sovguard_rule_hits_total", "index=\"0\"", NULL);
			if (hits == hits0 + 1)
				break;
		}
		usleep(10000);
	}
	EXPECT_EQ(hits0 + 1, hits);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0644u, st.st_mode & 0777);
	usleep(2500 * 1000);	/* at least two more writes */
	ASSERT_EQ(0, sg_testenv_stop(&self->env, SIGTERM));

	while ((n = read(ifd, ev, sizeof(ev))) > 0) {
		for (char *e = ev; e < ev + n;) {
			struct inotify_event *ie = (struct inotify_event *)e;

			if (ie->len && !strcmp(ie->name, "sovguard.prom")) {
				if (ie->mask & IN_MOVED_TO)
					moved++;
				else
					direct++;
			}
			e += sizeof(*ie) + ie->len;
		}
	}
	close(ifd);
	EXPECT_EQ(0, direct) TH_LOG("sovguard.prom was created or written in place");
	EXPECT_LE(3, moved) TH_LOG("renamed into place %d times", moved);
	/* No temporary file left behind. */
	snprintf(extra, sizeof(extra), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	EXPECT_EQ(0, system(extra));
}

/*
 * Who may use the control socket: root everything; the control group read
 * (as primary or supplementary group) but not reload or change the mode;
 * anyone else nothing, refused by the socket's mode (0660) and, should the
 * mode be opened, by the daemon.
 */
TEST_F(ops, control_socket_peer_credentials)
{
	static char out[1 << 20];
	char extra[128], sock[600], args[64];
	gid_t g = free_gid();
	struct stat st;

	ASSERT_NE((gid_t)-1, g);
	snprintf(extra, sizeof(extra), "control_group = %u\n", g);
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, extra));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to au\n"));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	snprintf(sock, sizeof(sock), "%s/run/control", self->env.dir);
	ASSERT_EQ(0, stat(sock, &st));
	EXPECT_EQ(0660u, st.st_mode & 0777);
	EXPECT_EQ(g, st.st_gid);

	/* Not in the group: the socket's mode says no. */
	EXPECT_NE(0, ctl_as(&self->env, NOBODY, NOBODY, -1, "metrics", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "Permission denied")) TH_LOG("%s", out);
	/* And the daemon says no when the mode would let it through. */
	ASSERT_EQ(0, chmod(sock, 0666));
	EXPECT_NE(0, ctl_as(&self->env, NOBODY, NOBODY, -1, "metrics", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "permission denied: 'metrics' needs root or the control "
				    "group")) TH_LOG("%s", out);
	EXPECT_NE(0, ctl_as(&self->env, NOBODY, NOBODY, -1, "status", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "permission denied: 'status'")) TH_LOG("%s", out);
	EXPECT_TRUE(sg_testenv_log_has(&self->env, "control: refused \"metrics\" to uid 65534"));
	ASSERT_EQ(0, chmod(sock, 0660));

	/* The group reads: as its primary group and as a supplementary one. */
	EXPECT_EQ(0, ctl_as(&self->env, NOBODY, g, -1, "metrics", out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\nsovguard_rule_hits_total{")) TH_LOG("%s", out);
	EXPECT_EQ(0, ctl_as(&self->env, NOBODY, NOBODY, g, "metrics", out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_EQ(0, ctl_as(&self->env, NOBODY, g, -1, "status", out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "mode:      enforce")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, SG_TEST_LINKS_ALL)) TH_LOG("%s", out);
	EXPECT_EQ(0, ctl_as(&self->env, NOBODY, g, -1, "rules", out, sizeof(out)))
		TH_LOG("%s", out);

	/* ... but does not change anything. */
	EXPECT_NE(0, ctl_as(&self->env, NOBODY, g, -1, "reload", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "permission denied: 'reload' needs root")) TH_LOG("%s", out);
	EXPECT_NE(0, ctl_as(&self->env, NOBODY, NOBODY, g, "mode audit", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "permission denied: 'mode' needs root")) TH_LOG("%s", out);
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "1.1.1.1", 443));
	EXPECT_EQ(1u, sg_testenv_generation(&self->env));

	/* Root does. */
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "reload", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "reloaded: generation 2, mode enforce")) TH_LOG("%s", out);
	snprintf(args, sizeof(args), "mode audit");
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, args, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "mode audit")) TH_LOG("%s", out);
	EXPECT_EQ(ENETUNREACH, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "1.1.1.1", 443));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "metrics", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(1, metric(out, "sovguard_mode", "mode=\"audit\"", NULL));
	EXPECT_LE(3, metric(out, "sovguard_control_refused_total", NULL));
	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "mode config", out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, "1.1.1.1", 443));
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
