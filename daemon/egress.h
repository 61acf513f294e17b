/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_EGRESS_H
#define SG_EGRESS_H

#include <stdbool.h>
#include <linux/types.h>
#include "sovguard_egress.h"
#include "sovguard_guard.h"
#include "lib/config.h"
#include "compile.h"

struct sg_egress;

typedef int (*sg_event_fn)(void *ctx, const struct sg_event *ev);

int sg_egress_open(struct sg_egress **ret, const char *pin_root);
int sg_egress_attach(struct sg_egress *e, const char *cgroup_path);
int sg_egress_set_config(struct sg_egress *e, __u32 mode, __u32 fail);
int sg_egress_publish(struct sg_egress *e, const struct sg_image *img);
__u32 sg_egress_generation(struct sg_egress *e);
const struct sg_blk *sg_egress_live(struct sg_egress *e, __u32 *ret_nr);
int sg_egress_events(struct sg_egress *e, sg_event_fn fn, void *ctx);
int sg_egress_events_fd(struct sg_egress *e);
int sg_egress_poll(struct sg_egress *e, int timeout_ms);
void sg_egress_close(struct sg_egress *e);
int sg_egress_remove(const char *pin_root);
unsigned int sg_egress_objects(struct sg_egress *e, struct sg_guard_key *keys, unsigned int max);

/* tamper.c: what the kernel holds of ours, checked and restored. */
struct sg_kstate {
	__u32 links_ok;		/* bit per hook: attached to our cgroup, our program */
	__u32 pins_ok;		/* bit per hook (links), then per pinned map */
	__u32 slots_ok;		/* bit per policy slot holding the live image */
	bool config_ok;		/* sg_config as configured */
	bool image_ok;		/* the live image as published */
};

int sg_egress_guard(struct sg_egress *e, struct sg_kstate *found);
int sg_egress_kernel_image(struct sg_egress *e, struct sg_image *ret, struct sg_config *ret_kc,
			   __u32 *ret_slot);

#endif
