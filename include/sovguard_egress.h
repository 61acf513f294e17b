/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sovguard egress ABI: the types shared by bpf/egress.bpf.c and the daemon
 * and CLI that load, fill and read its maps.
 *
 * This header includes nothing: include <linux/types.h> (userspace) or
 * vmlinux.h (BPF) first.
 *
 * Maps (pinned by name under the pin root, /sys/fs/bpf/sovguard by default):
 *
 *   sg_deny4, sg_deny6  LPM tries of denied prefixes. Key: struct sg_lpm4_key
 *                       or sg_lpm6_key; value: struct sg_match (the rule that
 *                       produced the entry). IPv4-mapped IPv6 destinations
 *                       (::ffff:a.b.c.d) are looked up in sg_deny4.
 *   sg_config           array, one struct sg_config at index 0: the runtime
 *                       mode and the policy generation.
 *   sg_counters         per-CPU array of __u64 indexed by enum sg_counter.
 *   sg_events           ring buffer of struct sg_event: every deny and audit
 *                       decision. A record that does not fit is counted in
 *                       SG_CNT_EVENTS_DROPPED, never lost silently.
 *
 * Links (pinned by the daemon under the pin root): link_connect4,
 * link_connect6, link_sendmsg4, link_sendmsg6. A pinned link keeps its
 * program attached when the daemon exits; a new daemon replaces the program
 * inside the link (BPF_LINK_UPDATE), so enforcement has no gap.
 */
#ifndef SOVGUARD_EGRESS_H
#define SOVGUARD_EGRESS_H

#define SG_DENY_MAX_ENTRIES	65536	/* prefixes per address family */
#define SG_EVENTS_BYTES		(256 * 1024)
#define SG_COMM_LEN		16

enum sg_verdict {
	SG_VERDICT_ALLOW = 0,
	SG_VERDICT_DENY = 1,
	SG_VERDICT_AUDIT = 2,
	SG_VERDICT_MAX,
};

/* Global mode: enforce applies verdicts; audit turns deny into "would deny"
 * (allowed, counted and reported); off allows everything without lookups. */
enum sg_mode {
	SG_MODE_ENFORCE = 0,
	SG_MODE_AUDIT = 1,
	SG_MODE_OFF = 2,
	SG_MODE_MAX,
};

enum sg_hook {
	SG_HOOK_CONNECT4 = 0,
	SG_HOOK_CONNECT6 = 1,
	SG_HOOK_SENDMSG4 = 2,
	SG_HOOK_SENDMSG6 = 3,
	SG_HOOK_MAX,
};

enum sg_counter {
	SG_CNT_ALLOW = 0,	/* allowed (no rule matched, or allow) */
	SG_CNT_DENY,		/* refused with EPERM */
	SG_CNT_AUDIT,		/* audit verdict: allowed and reported */
	SG_CNT_WOULD_DENY,	/* deny verdict in audit mode: allowed */
	SG_CNT_EVENTS_DROPPED,	/* ring buffer full: event lost, counted */
	SG_CNT_MAX,
};

struct sg_lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct sg_lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct sg_match {
	__u32 rule_id;
	__u8 verdict;		/* enum sg_verdict */
	__u8 pad[3];
};

struct sg_config {
	__u32 mode;		/* enum sg_mode */
	__u32 generation;	/* policy generation, reported in events */
};

struct sg_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cgroup_id;
	__u32 pid;		/* thread group id */
	__u32 uid;
	__u32 rule_id;
	__u32 generation;
	__u16 port;		/* destination port, host byte order */
	__u8 hook;		/* enum sg_hook */
	__u8 verdict;		/* enum sg_verdict, as applied */
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 protocol;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 mode;		/* enum sg_mode at decision time */
	__u8 pad;
	__u8 addr[16];		/* v4 in the first 4 bytes */
	char comm[SG_COMM_LEN];
};

#endif /* SOVGUARD_EGRESS_H */
