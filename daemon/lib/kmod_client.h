/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client of the "sovguard" generic netlink family (include/uapi/sovguard.h),
 * shared by sovguardd and sovguardctl: requests from and replies into the
 * structs below. All functions return 0 or a negative errno: -ENOENT when
 * the module is not loaded, the kernel's errno otherwise (EPERM, EINVAL,
 * ...); sg_kmod_errmsg() then holds the kernel's extended ack message. One
 * connection per process, opened on first use and reopened when the module
 * was reloaded; not thread-safe.
 */
#ifndef SG_KMOD_CLIENT_H
#define SG_KMOD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "uapi/sovguard.h"

/*
 * SOVGUARD_CMD_STATUS_GET's reply, and an event (SOVGUARD_CMD_EVENT, which
 * adds .event). A field holds a value only when its attribute came:
 * sg_kmod_has(st, SOVGUARD_A_*); counters likewise in .counters_has.
 */
struct sg_kmod_status {
	uint32_t has;			/* bit SOVGUARD_A_* for each attribute present */
	char version[SOVGUARD_VERSION_MAXLEN];
	uint32_t mode;			/* enum sg_mode: the module's numbering */
	uint32_t fail_mode;		/* enum sovguard_fail_mode */
	uint32_t lease;			/* enum sovguard_lease_state */
	uint32_t lease_timeout_ms;
	uint32_t lease_remaining_ms;
	uint64_t lease_expired_ms;
	uint32_t guard;			/* enum sovguard_guard_state */
	uint32_t daemon_pid;
	uint64_t generation;
	uint32_t allow_count;
	uint32_t event;			/* enum sovguard_event */
	uint32_t counters_has;		/* bit SOVGUARD_CNT_* for each counter present */
	uint64_t counters[SOVGUARD_CNT_MAX + 1];
};

static inline bool sg_kmod_has(const struct sg_kmod_status *st, unsigned int attr)
{
	return attr < 32 && (st->has & (1u << attr));
}

/* An allow-list entry: AF_INET (addr's first 4 bytes) or AF_INET6. */
struct sg_kmod_prefix {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16];
};

#define SG_KMOD_DEVICE_LEN	32	/* a netdev hook's device (IFNAMSIZ is 16) */

/* A netfilter hook of the initial namespace; "" for a string not sent. */
struct sg_kmod_hook {
	uint8_t pf;			/* NFPROTO_* */
	uint32_t num;			/* NF_INET_* / NF_ARP_* / NF_NETDEV_* */
	int32_t priority;
	bool has_type;
	uint32_t type;			/* the kernel's enum nf_hook_ops_type */
	uint32_t owner_kind;		/* enum sovguard_owner_kind */
	char device[SG_KMOD_DEVICE_LEN];
	char owner[SOVGUARD_NAME_MAXLEN];
	char symbol[SOVGUARD_SYMBOL_MAXLEN];
};

int sg_kmod_status(struct sg_kmod_status *ret);

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

/* The emergency allow-list: set (n 0 clears), and read into p[0..max). */
int sg_kmod_allow_set(const struct sg_kmod_prefix *p, size_t n);
int sg_kmod_allow_get(struct sg_kmod_prefix *p, size_t max, size_t *n);

/* Netfilter hooks of the initial namespace, *ret to be freed by the caller. */
int sg_kmod_scan(struct sg_kmod_hook **ret, size_t *n);

/*
 * Subscribe to the events group and call fn with each event until fn
 * returns non-zero (that value is returned) or an error occurs.
 */
int sg_kmod_events(int (*fn)(const struct sg_kmod_status *ev, void *arg), void *arg);

/* The kernel's extended ack message of the last failed request, or "". */
const char *sg_kmod_errmsg(void);

void sg_kmod_close(void);

/* Names of the uapi's numbers ("?" out of range; counters: NULL). */
const char *sg_kmod_fail_mode_name(uint32_t v);
const char *sg_kmod_lease_name(uint32_t v);
const char *sg_kmod_guard_name(uint32_t v);
const char *sg_kmod_event_name(uint32_t v);
const char *sg_kmod_owner_name(uint32_t v);
const char *sg_kmod_counter_name(uint32_t v);
const char *sg_kmod_pf_name(unsigned int pf);
const char *sg_kmod_nf_hook_name(unsigned int pf, unsigned int num);

#endif
