/* SPDX-License-Identifier: GPL-2.0 */
/* Private to detector.c and det_subject.c: the detector's state. */
#ifndef SG_DETECTOR_INT_H
#define SG_DETECTOR_INT_H

#include <stdbool.h>
#include <time.h>
#include <linux/types.h>

#include "daemon.h"
#include "detector.h"

#ifndef FILEID_KERNFS
#define FILEID_KERNFS	0xfe
#endif

struct sg_det_cgroup {
	__u64 id;
	char unit[SG_DETECT_NAME_MAX];	/* "" when no unit */
};

struct sg_det_exe {
	__u64 dev, ino;
	char path[SG_DETECT_PATH_MAX];
};

/*
 * A line of the events ring: an alert as its JSON text, or an observation
 * as it was fed (its strings copied into buf, which is kept and reused),
 * put in JSON only when `sovguardctl events` asks for it: making the JSON
 * of every record would cost more than detecting on it.
 */
struct sg_det_line {
	char *alert;			/* owned; NULL for an observation */
	struct sg_obs o;
	char *buf;			/* o's strings */
	size_t cap;
};

/* The observation being decoded, and what its fields point to. */
struct sg_det_obs {
	struct sg_obs o;
	char juris[3];
	char comm[SG_COMM_LEN + 6];	/* "comm:NAME", a subject without an executable */
	char parent[SG_DETECT_PATH_MAX];
	char path[SG_DETECT_PATH_MAX];
};

/* An alert's destination: its jurisdiction, as its fields point to it. */
#define SG_DET_ZONES_MAX	1024	/* bytes of "zone,zone,..." */

struct sg_det_dst {
	char cc[3];
	char asn[16];			/* "AS" and the number */
	char zones[SG_DET_ZONES_MAX];
};

struct sg_detector {
	struct sg_daemon *d;		/* for the quarantine an alert may call for */
	struct sg_detect *eng;
	struct sg_alert_store *store;
	struct sg_detect_sink live;
	struct sg_detect_sink sink;	/* live + the events ring */
	int timer_fd;
	time_t next_sweep;
	struct sg_det_cgroup cgroups[SG_DET_CGROUPS_MAX];
	unsigned int cgroup_next;
	struct sg_det_exe exes[SG_DET_EXES_MAX];
	unsigned int exe_next;
	__u64 alerts[SG_HEUR_MAX];
	__u64 feed_errors, rebuilds;
	/* the events ring: the last SG_DET_EVENTS_MAX lines, seq 1.. */
	struct sg_det_line ring[SG_DET_EVENTS_MAX];
	__u64 seq;			/* of the newest line */
	size_t ring_bytes;		/* held by its lines */
	struct sg_det_obs cur;		/* sg_detector_observed()'s */
	struct sg_det_dst dst;		/* on_alert()'s */
	/* CLOCK_REALTIME - CLOCK_MONOTONIC, read again every SG_DET_CLOCK_EVERY records */
	double real_off;
	unsigned int clock_age;
};

/* Who a record's subject is (det_subject.c): its unit, its executable, its name. */
const char *sg_det_cgroup_unit(struct sg_daemon *d, __u64 id);
const char *sg_det_exe_put(struct sg_detector *t, __u64 dev, __u64 ino, const char *path);
bool sg_det_proc_exe(__u32 pid, char *buf, size_t len);
bool sg_det_proc_exe_of(__u32 pid, __u64 dev, __u64 ino, char *buf, size_t len);
const char *sg_det_subject_exe(struct sg_detector *t, const struct sg_obs_subject *s);
const char *sg_det_comm_name(const struct sg_obs_subject *s, char *buf, size_t len);
unsigned int sg_det_exes_seed(struct sg_detector *t, const char *rel);

#endif
