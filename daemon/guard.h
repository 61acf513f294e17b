/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_GUARD_H
#define SG_GUARD_H

#include <stdbool.h>

struct sg_guard;
struct sg_egress;
struct sg_observe;

/* How long a start waits for the previous daemon's guard to let go. */
#define SG_GUARD_WAIT_MS	2000

int sg_guard_start(struct sg_guard **ret, const char *pin_root, bool protect);
int sg_guard_sync(struct sg_guard *g, struct sg_egress *e, struct sg_observe *o);
int sg_guard_check(struct sg_guard *g);
void sg_guard_close(struct sg_guard *g, bool exiting);
int sg_guard_remove(const char *pin_root);

#endif
