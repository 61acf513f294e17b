/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_DAEMON_H
#define SG_DAEMON_H

#include <stdbool.h>
#include <time.h>

#include "compile.h"
#include "lib/config.h"
#include "egress.h"
#include "flows.h"
#include "observe.h"
#include "policy.h"
#include "subject.h"

struct sg_daemon {
	const char *config_path;
	bool config_named;		/* -c given: the file must exist */
	bool config_seen;		/* it existed once: it must stay */
	const char *mode_override;
	struct sg_settings cfg;
	struct sg_egress *egress;
	struct sg_sysresolver sysres;
	struct sg_resolver res;
	struct sg_data *data;
	struct sg_policy *pol;		/* the live generation's rules */
	struct sg_policy *prev_pol;	/* the one before: events still name it */
	__u32 gen, prev_gen;
	char pidfile[SG_PATH_MAX];
	struct sg_file_id pidfile_id;	/* the pidfile we wrote, removed on exit */
	unsigned long long events;
	int control_fd;
	struct sg_control *control;	/* its connections (control.c) */
	int inotify_fd, debounce_fd, rescan_fd;
	int watches[1024];		/* SG_WATCH_MAX */
	unsigned int nr_watches;
	/* Jurisdiction data replaced on disk: reload it (watch.c). */
	int data_inotify_fd, data_debounce_fd;
	struct sg_data_watch {
		int wd;
		char name[256];	/* a file name in the watched directory */
	} data_watches[2 * SG_DATA_SOURCES_MAX + 2];	/* SG_DATA_WATCH_MAX */
	unsigned int nr_data_watches;
	bool watch_any;
	/* event logging: rate limit and batch (sovguardd.c) */
	long log_second;
	unsigned int log_count, batch;
	unsigned long long log_suppressed, events_unlogged;
	/* sovguard.ko (kguard.c) */
	int kguard_fd;
	bool kmod_present, kmod_failed;
	time_t next_scan;
	int tamper_fd;			/* the watchdog's timer (tamper.c) */
	/* observation (observe.c): records for the detectors */
	struct sg_observe *observe;
	bool no_observe;
	unsigned long long obs_records;
	struct sg_guard *guard;		/* the bpf() guard, NULL when off (guard.c) */
	struct sg_detector *det;	/* detector.c; NULL when detection is off */
	/* metrics_file (metrics.c) */
	int metrics_fd;			/* its timer, -1 when never started */
	int metrics_last_err;
	unsigned long long metrics_write_errors;
	struct sg_quarantine *quar;	/* quarantine.c: deny rules alerts added */
	struct sg_flows flows;		/* flows.c: existing flows a new policy ended */
};

/*
 * Parse, compile and publish the policy of @cfg, all or nothing (build.c);
 * with @only_if_changed an image equal to the live one is not published.
 */
int sg_build_policy(struct sg_daemon *d, const struct sg_settings *cfg, bool new_data,
		    bool only_if_changed);
/*
 * Re-read configuration and rules, as SIGHUP does (sovguardd.c). Return: 0,
 * or -EINVAL when they were refused and the running policy stays.
 */
int sg_daemon_reload(struct sg_daemon *d);
/* One decision event from the egress programs: logged, rate-limited (events.c). */
int sg_on_event(void *ctx, const struct sg_event *ev);

#endif
