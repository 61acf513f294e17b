// SPDX-License-Identifier: GPL-2.0
/*
 * sg_hammer: keep the "sovguard" family busy from one process while the
 * module is loaded and unloaded under it. Each round sends status, lease
 * allow-list get, mode set, a scan and now and then a short lease renewal
 * through daemon/lib/kmod_client.c,
 * which must survive the family disappearing and coming back with a new id.
 *
 *   sg_hammer SECONDS     run that long, or until SIGTERM; print how many
 *                         calls succeeded and how many found no module
 *                         (both expected); fail on any other error
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kmod_client.h"
#include "uapi/sovguard.h"

#define SG_HAMMER_MAX_S	3600

static volatile sig_atomic_t sg_stop;

static void sg_on_term(int sig)
{
	sg_stop = 1;
}

#define SG_HAMMER_REPORT_MAX 10

static int sg_count(const char *what, int err, unsigned long *ok, unsigned long *absent)
{
	static int reported;

	if (!err)
		(*ok)++;
	else if (err == -ENOENT || err == -EOPNOTSUPP)
		(*absent)++;
	else {
		if (reported++ < SG_HAMMER_REPORT_MAX)
			printf("sg_hammer: %s: %s %s\n", what, strerror(-err), sg_kmod_errmsg());
		return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long ok = 0, absent = 0, other = 0, round = 0;
	struct sg_kmod_prefix allow[SOVGUARD_ALLOW_MAX];
	struct sg_kmod_status st;
	struct sg_kmod_hook *hooks;
	size_t n;
	time_t end;
	int secs, err;

	secs = argc > 1 ? atoi(argv[1]) : 0;
	if (secs <= 0 || secs > SG_HAMMER_MAX_S) {
		fprintf(stderr, "usage: sg_hammer SECONDS (1..%d)\n", SG_HAMMER_MAX_S);
		return 2;
	}
	signal(SIGTERM, sg_on_term);
	end = time(NULL) + secs;
	while (!sg_stop && time(NULL) < end) {
		err = sg_kmod_status(&st);
		other += !!sg_count("status", err, &ok, &absent);
		/* a short lease, renewed now and then: the guard engages and lets go */
		if (!(++round % 20))
			other += !!sg_count("renew", sg_kmod_lease_renew(100, round), &ok, &absent);
		err = sg_kmod_allow_get(allow, SOVGUARD_ALLOW_MAX, &n);
		other += !!sg_count("allow", err, &ok, &absent);
		other += !!sg_count("mode", sg_kmod_set_mode(SOVGUARD_MODE_ENFORCE, -1), &ok, &absent);
		err = sg_kmod_scan(&hooks, &n);
		if (!err)
			free(hooks);
		other += !!sg_count("scan", err, &ok, &absent);
		usleep(20000);
	}
	printf("sg_hammer: %lu ok, %lu without module, %lu other errors\n", ok, absent, other);
	return other ? 1 : 0;
}
