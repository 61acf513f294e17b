/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sovguard.ko internals shared by the module's files. The ABI towards user
 * space is include/uapi/sovguard.h.
 */
#ifndef SG_KMOD_H
#define SG_KMOD_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/rcupdate.h>
#include <linux/in6.h>
#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>

struct genl_family;

#include "uapi/sovguard.h"

#ifndef SG_KMOD_VERSION
#define SG_KMOD_VERSION "0.1.0"
#endif

struct sg_prefix {
	u8 family;			/* AF_INET or AF_INET6 */
	u8 len;
	struct in6_addr addr;		/* IPv4 in s6_addr32[0] */
};

struct sg_allow {
	struct rcu_head rcu;
	u32 count;
	struct sg_prefix prefixes[];
};

struct sg_pcpu_counters {
	u64 packets;
	u64 dropped;
	u64 would_drop;
	u64 allowed;
};

/*
 * All fields below lock are written under it; the netfilter hooks read
 * guard_state with READ_ONCE() and the allow-list under RCU.
 */
struct sg_state {
	struct mutex lock;
	u32 mode;
	u32 fail_mode;
	u32 lease_state;
	u32 guard_state;
	u32 lease_timeout_ms;		/* of the current lease */
	u32 default_timeout_ms;		/* module parameter */
	unsigned long lease_expires;	/* jiffies */
	unsigned long lease_lapsed;	/* jiffies, when it expired */
	u32 daemon_pid;
	u64 generation;
	bool announce;			/* family registered: notify */
	struct delayed_work lease_work;
	struct sg_allow __rcu *allow;
	u32 allow_count;
	struct sg_pcpu_counters __percpu *counters;
	atomic64_t renewals;
	atomic64_t expiries;
};

extern struct sg_state sg_state;

/* sg_main.c */
extern const char * const sg_mode_names[];
extern const char * const sg_fail_names[];
extern const char * const sg_guard_names[];
void sg_state_update_guard(void);
void sg_counters_sum(struct sg_pcpu_counters *sum);

/* sg_genl.c */
extern struct genl_family sg_family;
int sg_genl_init(void);
void sg_genl_exit(void);
void sg_genl_notify(u32 event);

/* sg_guard.c */
int sg_guard_init(void);
void sg_guard_exit(void);
void sg_lease_work_fn(struct work_struct *work);
void sg_lease_renew(u32 timeout_ms, u64 generation, u32 pid);
void sg_lease_release(void);
void sg_allow_replace(struct sg_allow *allow);

/* sg_scan.c */
int sg_scan_dumpit(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* SG_KMOD_H */
