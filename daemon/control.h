/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's side of the control socket (protocol: lib/control_proto.h).
 */
#ifndef SG_CONTROL_H
#define SG_CONTROL_H

#include <stdbool.h>

#include "lib/control_proto.h"

struct sg_daemon;
struct json_object;

/* Refusals logged in one second at most; all are counted in the metrics. */
#define SG_CONTROL_REFUSALS_LOGGED	5

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS	59	/* asm-generic/socket.h, Linux 4.13 */
#endif

int sg_control_open(struct sg_daemon *d, int ep);
/* `sovguardctl status -j` as the daemon sees it (the "status" reply). */
struct json_object *sg_control_status_json(struct sg_daemon *d);
bool sg_control_event(struct sg_daemon *d, int fd);
void sg_control_close(struct sg_daemon *d);

#endif
