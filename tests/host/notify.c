// SPDX-License-Identifier: GPL-2.0
/*
 * sovguardd and systemd's notify protocol, without systemd: the test binds
 * the NOTIFY_SOCKET datagram socket itself and reads what the daemon says.
 * READY=1 once enforcing, a STATUS= line with mode, rules and generation
 * that follows a reload, and WATCHDOG=1 pings from the main loop while
 * WATCHDOG_USEC is set (sovguard.service: WatchdogSec=).
 *
 * Topology: the daemon guards a test cgroup of its own; no probe runs.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sg_test.h"

/* 0.4 s: a ping every 0.2 s at the latest. */
#define WATCHDOG_USEC	"400000"

FIXTURE(notify)
{
	struct sg_testenv env;
	int sock;
};

FIXTURE_SETUP(notify)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	ASSERT_EQ(0, sg_testenv_init(&self->env, "notify"));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "mode = audit"));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to au\n"));
	ASSERT_GT(sizeof(sa.sun_path), strlen(self->env.dir) + sizeof("/notify") - 1);
	strcpy(sa.sun_path, self->env.dir);
	strcat(sa.sun_path, "/notify");
	self->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->sock);
	ASSERT_EQ(0, bind(self->sock, (struct sockaddr *)&sa, sizeof(sa)));
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	setenv("WATCHDOG_USEC", WATCHDOG_USEC, 1);
	unsetenv("WATCHDOG_PID");
	ASSERT_EQ(0, sg_testenv_start(&self->env));
}

FIXTURE_TEARDOWN(notify)
{
	sg_testenv_cleanup(&self->env);
	close(self->sock);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
}

struct seen {
	bool ready;
	unsigned int pings;
	char status[256];	/* the last STATUS= */
};

/* Collect notifications for @ms milliseconds, or until @until appears. */
static void collect(int sock, int ms, const char *until, struct seen *s)
{
	struct timespec t0, t;
	char buf[1024];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		long left;
		ssize_t n;
		char *line, *save = NULL;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
		n = recv(sock, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!strcmp(line, "READY=1"))
				s->ready = true;
			else if (!strcmp(line, "WATCHDOG=1"))
				s->pings++;
			else if (!strncmp(line, "STATUS=", 7))
				snprintf(s->status, sizeof(s->status), "%s", line + 7);
			if (until && !strcmp(line, until))
				return;
		}
	}
}

TEST_F(notify, ready_and_status)
{
	struct seen s = {};
	char want[128];

	collect(self->sock, 3000, NULL, &s);
	EXPECT_TRUE(s.ready);
	snprintf(want, sizeof(want), "mode audit, 1 rules, generation %u, data 0 days old",
		 sg_testenv_generation(&self->env));
	EXPECT_STREQ(want, s.status);
}

TEST_F(notify, watchdog_pings_from_the_loop)
{
	struct seen s = {};

	/* Ten intervals of 0.2 s: two pings is a loop that runs. */
	collect(self->sock, 2000, NULL, &s);
	EXPECT_LE(2U, s.pings);
	/* A stopped loop sends nothing: systemd would kill and restart it. */
	kill(self->env.pid, SIGSTOP);
	collect(self->sock, 100, NULL, &s);
	s.pings = 0;
	collect(self->sock, 1000, NULL, &s);
	kill(self->env.pid, SIGCONT);
	EXPECT_EQ(0U, s.pings);
}

TEST_F(notify, status_follows_reload)
{
	struct seen s = {};
	char want[128];

	collect(self->sock, 500, NULL, &s);
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, "mode = enforce"));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to au\ndeny to ch\n"));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	snprintf(want, sizeof(want), "STATUS=mode enforce, 2 rules, generation %u, data 0 days old",
		 sg_testenv_generation(&self->env));
	collect(self->sock, 5000, want, &s);
	EXPECT_STREQ(want + 7, s.status);
}

TEST_HARNESS_MAIN
