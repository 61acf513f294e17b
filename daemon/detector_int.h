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
	char *ring[SG_DET_EVENTS_MAX];
	__u64 seq;			/* of the newest line */
};

/* Who a record's subject is (det_subject.c): its unit, its executable. */
const char *sg_det_cgroup_unit(struct sg_daemon *d, __u64 id);
const char *sg_det_exe_put(struct sg_detector *t, __u64 dev, __u64 ino, const char *path);
bool sg_det_proc_exe(__u32 pid, char *buf, size_t len);
const char *sg_det_subject_exe(struct sg_detector *t, const struct sg_obs_subject *s);

#endif
