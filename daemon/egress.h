/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_EGRESS_H
#define SG_EGRESS_H

#include <linux/types.h>
#include "sovguard_egress.h"
#include "config.h"

struct sg_egress;

typedef int (*sg_event_fn)(void *ctx, const struct sg_event *ev);

int sg_egress_open(struct sg_egress **ret, const char *pin_root, const char *cgroup_path);
int sg_egress_apply(struct sg_egress *e, const struct sg_config_file *cfg);
int sg_egress_events(struct sg_egress *e, sg_event_fn fn, void *ctx);
int sg_egress_events_fd(struct sg_egress *e);
int sg_egress_poll(struct sg_egress *e, int timeout_ms);
void sg_egress_close(struct sg_egress *e);
int sg_egress_remove(const char *pin_root);

/* Names of the pinned links, indexed by enum sg_hook. */
extern const char *const sg_link_names[SG_HOOK_MAX];

#endif
