/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Metrics in the Prometheus text exposition format (0.0.4), rendered from
 * what `sovguardctl status -j` shows (sg_control_status_json()): for
 * `sovguardctl metrics`, and written atomically every metrics_interval to
 * metrics_file for node_exporter's textfile collector. Every metric is in
 * docs/operations.md, "Metrics".
 */
#ifndef SG_METRICS_H
#define SG_METRICS_H

#include <stdbool.h>
#include <time.h>

struct sg_daemon;
struct json_object;

/* The exposition of status @st at @now; *ret to be freed. 0 or -errno. */
int sg_metrics_render(struct json_object *st, time_t now, char **ret);
/* The daemon's metrics now. */
int sg_metrics_text(struct sg_daemon *d, char **ret);
/*
 * At start (@ep: the loop's), and after a reload (@ep unused): write
 * d->cfg.metrics_file now and every metrics_interval, or stop when unset.
 */
int sg_metrics_start(struct sg_daemon *d, int ep);
/* true when @fd was the metrics timer (the file was written) */
bool sg_metrics_event(struct sg_daemon *d, int fd);
void sg_metrics_stop(struct sg_daemon *d);

#endif
