/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names of the egress ABI's numbers (include/sovguard_egress.h), one
 * table each: what the configuration, the logs, the control socket and
 * sovguardctl print and read. An out-of-range number is "unknown".
 */
#ifndef SG_NAMES_H
#define SG_NAMES_H

#include <stddef.h>
#include <linux/types.h>

#include "sovguard_egress.h"

/* enum sg_mode: "off", "audit", "enforce". */
const char *sg_mode_name(__u32 mode);
int sg_mode_parse(const char *s, __u32 *ret);

/* enum sg_fail: "deny", "allow". */
const char *sg_fail_name(__u32 fail);
int sg_fail_parse(const char *s, __u32 *ret);

/* enum sg_hook: "connect4", ...; its pinned link: SG_PIN_LINK_*. */
const char *sg_hook_name(__u32 hook);
const char *sg_hook_pin_name(__u32 hook);

/* @root/@name into @buf, or -ENAMETOOLONG. */
int sg_pin_path(char *buf, size_t len, const char *root, const char *name);

#endif
