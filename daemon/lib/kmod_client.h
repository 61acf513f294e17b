/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client of the "sovguard" generic netlink family (include/uapi/sovguard.h),
 * shared by sovguardd and sovguardctl. All functions return 0 or a negative
 * errno: -ENOENT when the module is not loaded, the kernel's errno otherwise
 * (EPERM, EINVAL, ...); sg_kmod_errmsg() then holds the kernel's extended
 * ack message. One connection per process, opened on first use and reopened
 * when the module was reloaded; not thread-safe.
 */
#ifndef SG_KMOD_CLIENT_H
#define SG_KMOD_CLIENT_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* SOVGUARD_CMD_STATUS_GET as a JSON object (see docs/kmod.md). */
int sg_kmod_status_json(struct json_object **ret);
void sg_kmod_status_print(FILE *f, struct json_object *st);

/*
 * @mode: enum sg_mode, which numbers the modes as the module does;
 * @fail_mode: enum sovguard_fail_mode. -1 keeps the value.
 */
int sg_kmod_set_mode(int mode, int fail_mode);
/* "open", "closed" -> enum sovguard_fail_mode. */
int sg_kmod_fail_mode_parse(const char *s, int *ret);

/* The daemon's heartbeat and its clean hand-over. timeout_ms 0: default. */
int sg_kmod_lease_renew(uint32_t timeout_ms, uint64_t generation);
int sg_kmod_lease_release(void);

/* Emergency allow-list: "192.0.2.0/24", "2001:db8::/32", "198.51.100.7". */
int sg_kmod_allow_set(char *const *prefixes, size_t n);
int sg_kmod_allow_json(struct json_object **ret);

/* Netfilter hooks of the initial namespace: a JSON array of objects. */
int sg_kmod_scan_json(struct json_object **ret);

/*
 * Mark suspicious hooks of a scan with an "alert" string: code outside the
 * kernel and every module, a module /proc/modules does not list, and (when
 * allow is not NULL) a module not named in allow[0..n_allow). Returns how
 * many hooks were marked. The daemon raises one alert per marked hook.
 */
int sg_kmod_scan_flag(struct json_object *hooks, char *const *allow, size_t n_allow);

/*
 * Subscribe to the events group and call fn with each event as JSON until
 * fn returns non-zero (that value is returned) or an error occurs.
 */
int sg_kmod_events(int (*fn)(struct json_object *ev, void *arg), void *arg);

/* The kernel's extended ack message of the last failed request, or "". */
const char *sg_kmod_errmsg(void);

void sg_kmod_close(void);

#endif
