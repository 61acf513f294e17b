/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Detection in the daemon (docs/detection.md, "In the daemon"): observation
 * records become struct sg_obs for the engine of daemon/detect/, flushed on
 * a timer; alerts go to the store and the journal; the last decoded records
 * and alerts are kept for `sovguardctl events`.
 */
#ifndef SG_DETECTOR_H
#define SG_DETECTOR_H

#include <stdbool.h>
#include <linux/types.h>

#include "detect/detect.h"

struct sg_daemon;
struct sg_obs_event;
struct json_object;

#define SG_DET_FLUSH_MS		5000	/* sg_detect_flush() and the baseline save */
#define SG_DET_SWEEP_SECS	60	/* packet socket sweep */
#define SG_DET_CGROUPS_MAX	256	/* cgroup id -> unit cache (a multiple of 8) */
#define SG_DET_EXES_MAX		1024	/* dev/inode -> path cache (a multiple of 8) */
#define SG_DET_EVENTS_MAX	1024	/* the events ring */
#define SG_DET_EVENTS_REPLY_MAX	(1 << 20)	/* bytes of lines in one reply; "more" beyond */
#define SG_DET_CLOCK_EVERY	4096	/* records between two reads of the clocks' offset */

int sg_detector_start(struct sg_daemon *d, int ep);
void sg_detector_observed(struct sg_daemon *d, const struct sg_obs_event *ev);
/* true when @fd was the detector's timer (handled) */
bool sg_detector_event(struct sg_daemon *d, int fd);
/* After a reload: d->cfg.detect is the new configuration. */
void sg_detector_reload(struct sg_daemon *d, const struct sg_detect_config *old);
void sg_detector_hook(struct sg_daemon *d, const struct sg_hook_flag *h);
struct json_object *sg_detector_status(struct sg_daemon *d);
struct json_object *sg_detector_events(struct sg_daemon *d, __u64 after);
void sg_detector_stop(struct sg_daemon *d);

#endif
