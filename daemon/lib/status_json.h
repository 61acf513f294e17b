/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What is enforced, read from the kernel as JSON: the pinned programs,
 * mode, policy image, decision counters and observation (the "bpf" object
 * of `sovguardctl status -j`), and the module's status. sovguardctl shows
 * them; sovguardd answers "status" and renders its metrics from the same
 * objects, so each fact is gathered in one place.
 */
#ifndef SG_STATUS_JSON_H
#define SG_STATUS_JSON_H

#include "sovguard_egress.h"

struct json_object;
struct sg_kmod_status;

/* The key of each decision counter (SG_CNT_*) in "counters". */
extern const char *const sg_counter_names[SG_CNT_MAX];

/* An fd of the object pinned as @name under @root, or -errno. */
int sg_status_open_pinned(const char *root, const char *name);
/* The "bpf" object: programs, mode, policy, lsm, counters, observation. */
struct json_object *sg_status_bpf_json(const char *root);
/* The module's status attributes present in @st into @o. */
void sg_kmod_status_fill(struct json_object *o, const struct sg_kmod_status *st);
/* The module's status as JSON in *ret: 0, -ENOENT without the module. */
int sg_kmod_status_json(struct json_object **ret);

#endif
