/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's side of the control socket (protocol: lib/control_proto.h).
 */
#ifndef SG_CONTROL_H
#define SG_CONTROL_H

#include <stdbool.h>

#include "lib/control_proto.h"

struct sg_daemon;

int sg_control_open(struct sg_daemon *d, int ep);
bool sg_control_event(struct sg_daemon *d, int fd);
void sg_control_close(struct sg_daemon *d);

#endif
