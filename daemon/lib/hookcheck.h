/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which netfilter hooks of a scan (sg_kmod_scan()) are suspicious: the
 * daemon's integrity watcher raises an alert for each, `sovguardctl scan`
 * marks them.
 */
#ifndef SG_HOOKCHECK_H
#define SG_HOOKCHECK_H

#include <stddef.h>

#include "kmod_client.h"

/*
 * Why @h is suspicious, or NULL: code outside the kernel and every module,
 * a module /proc/modules does not list, and (when @allow is not NULL) a
 * module not named in allow[0..n_allow).
 */
const char *sg_hook_alert(const struct sg_kmod_hook *h, char *const *allow, size_t n_allow);

#endif
