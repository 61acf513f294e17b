/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * sovguard generic netlink ABI: the one description of the family that
 * sovguard.ko, sovguardd and sovguardctl share. Include <linux/types.h>
 * first; this header includes nothing.
 *
 * Family SOVGUARD_GENL_NAME ("sovguard"), version SOVGUARD_GENL_VERSION.
 * The family exists in the initial network namespace only. Every command is
 * validated strictly: an attribute that a command does not list, a wrong
 * type or length, or a value out of range fails the whole request with
 * EINVAL and an extended ack naming the attribute. Commands marked "admin"
 * need CAP_NET_ADMIN in the initial user namespace (EPERM otherwise, root
 * in a user namespace included). Unknown commands fail with EOPNOTSUPP.
 *
 * Commands
 * --------
 * SOVGUARD_CMD_STATUS_GET (do, anyone)
 *	Request: no attributes. Reply (same command):
 *	VERSION, MODE, FAIL_MODE, LEASE_STATE, LEASE_TIMEOUT_MS,
 *	LEASE_REMAINING_MS (0 unless the lease is valid), LEASE_EXPIRED_MS
 *	(how long ago it lapsed, only when LEASE_STATE is EXPIRED),
 *	GUARD_STATE, DAEMON_PID (0 when no lease was ever taken), GENERATION,
 *	ALLOW_COUNT and COUNTERS (nested, SOVGUARD_CNT_*).
 *
 * SOVGUARD_CMD_MODE_SET (do, admin)
 *	MODE and/or FAIL_MODE (at least one). Announces SOVGUARD_EVENT_MODE.
 *
 * SOVGUARD_CMD_LEASE_RENEW (do, admin)
 *	The daemon's heartbeat: LEASE_TIMEOUT_MS (optional, default is the
 *	module parameter lease_timeout_ms) and GENERATION (required, the
 *	generation of the policy the daemon has published). The lease is valid
 *	until LEASE_TIMEOUT_MS after this call; the caller's pid is recorded.
 *	Renewing an expired lease releases the guard. Announces
 *	SOVGUARD_EVENT_LEASE when the lease state changes.
 *
 * SOVGUARD_CMD_LEASE_RELEASE (do, admin)
 *	Clean hand-over (daemon stopped on purpose): the lease returns to
 *	NONE and the guard does not engage. No attributes.
 *
 * SOVGUARD_CMD_ALLOW_SET (do, admin)
 *	Replaces the emergency allow-list: ALLOW_LIST holding up to
 *	SOVGUARD_ALLOW_MAX ALLOW_ENTRY nests, each with PREFIX_FAMILY
 *	(AF_INET or AF_INET6), PREFIX_ADDR (4 or 16 bytes, network order) and
 *	PREFIX_LEN. Host bits must be zero. An empty ALLOW_LIST clears it.
 *
 * SOVGUARD_CMD_ALLOW_GET (do, anyone)
 *	Reply: ALLOW_LIST as above.
 *
 * SOVGUARD_CMD_SCAN (dump, admin)
 *	One message per netfilter hook registered in the initial network
 *	namespace, each holding one HOOK nest (SOVGUARD_HOOK_*): NFPROTO
 *	family, hook number, priority, device (netdev hooks), hook type,
 *	symbol and owner. OWNER_KIND is CORE (core kernel text), MODULE
 *	(OWNER_NAME holds the module) or UNKNOWN (code inside no module and
 *	outside the kernel image: what a hidden module looks like). The dump
 *	reads the hook tables under RCU; hooks that are registered or
 *	removed while it runs may be missing or listed twice. At most
 *	SOVGUARD_SCAN_MAX_HOOKS entries are listed.
 *
 * SOVGUARD_CMD_EVENT (notification on group SOVGUARD_MCGRP_EVENTS)
 *	EVENT (what changed) followed by the status attributes MODE,
 *	FAIL_MODE, LEASE_STATE, GUARD_STATE, GENERATION and DAEMON_PID.
 *	Subscribing needs CAP_NET_ADMIN.
 *
 * Fail-safe guard
 * ---------------
 * Netfilter LOCAL_OUT hooks (IPv4, IPv6) in every network namespace. While
 * the lease is valid, or was never taken, or was released, they only
 * count. When the lease lapses and MODE is ENFORCE with FAIL_MODE CLOSED,
 * the guard is ENGAGED: packets of new outbound flows are dropped unless
 * they leave through a loopback device or go to an allow-listed prefix;
 * packets of established flows pass. With FAIL_MODE OPEN, or MODE AUDIT,
 * a lapsed lease makes the guard OPEN: would-be drops are only counted.
 * MODE OFF never guards.
 */
#ifndef _UAPI_SOVGUARD_H
#define _UAPI_SOVGUARD_H

#define SOVGUARD_GENL_NAME	"sovguard"
#define SOVGUARD_GENL_VERSION	1
#define SOVGUARD_MCGRP_EVENTS	"events"

/* Explicit limits. */
#define SOVGUARD_ALLOW_MAX		64
#define SOVGUARD_LEASE_TIMEOUT_MIN_MS	100
#define SOVGUARD_LEASE_TIMEOUT_MAX_MS	3600000
#define SOVGUARD_SCAN_MAX_HOOKS		4096
#define SOVGUARD_VERSION_MAXLEN		32
#define SOVGUARD_NAME_MAXLEN		64	/* module name */
#define SOVGUARD_SYMBOL_MAXLEN		128	/* "func+0x0/0x40" */

enum sovguard_mode {
	SOVGUARD_MODE_OFF,
	SOVGUARD_MODE_AUDIT,
	SOVGUARD_MODE_ENFORCE,
	__SOVGUARD_MODE_MAX,
};
#define SOVGUARD_MODE_MAX (__SOVGUARD_MODE_MAX - 1)

enum sovguard_fail_mode {
	SOVGUARD_FAIL_OPEN,
	SOVGUARD_FAIL_CLOSED,
	__SOVGUARD_FAIL_MAX,
};
#define SOVGUARD_FAIL_MAX (__SOVGUARD_FAIL_MAX - 1)

enum sovguard_lease_state {
	SOVGUARD_LEASE_NONE,	/* never taken, or released */
	SOVGUARD_LEASE_VALID,
	SOVGUARD_LEASE_EXPIRED,
};

enum sovguard_guard_state {
	SOVGUARD_GUARD_IDLE,	/* counting only */
	SOVGUARD_GUARD_OPEN,	/* lease lapsed, would-be drops counted */
	SOVGUARD_GUARD_ENGAGED,	/* lease lapsed, new flows dropped */
};

enum sovguard_event {
	SOVGUARD_EVENT_MODE = 1,
	SOVGUARD_EVENT_LEASE,
	SOVGUARD_EVENT_GUARD,
};

enum sovguard_owner_kind {
	SOVGUARD_OWNER_UNKNOWN,
	SOVGUARD_OWNER_CORE,
	SOVGUARD_OWNER_MODULE,
};

enum sovguard_cmd {
	SOVGUARD_CMD_UNSPEC,
	SOVGUARD_CMD_STATUS_GET,
	SOVGUARD_CMD_MODE_SET,
	SOVGUARD_CMD_LEASE_RENEW,
	SOVGUARD_CMD_LEASE_RELEASE,
	SOVGUARD_CMD_ALLOW_SET,
	SOVGUARD_CMD_ALLOW_GET,
	SOVGUARD_CMD_SCAN,
	SOVGUARD_CMD_EVENT,
	__SOVGUARD_CMD_MAX,
};
#define SOVGUARD_CMD_MAX (__SOVGUARD_CMD_MAX - 1)

enum sovguard_attr {
	SOVGUARD_A_UNSPEC,
	SOVGUARD_A_VERSION,		/* string, module version */
	SOVGUARD_A_MODE,		/* u32, enum sovguard_mode */
	SOVGUARD_A_FAIL_MODE,		/* u32, enum sovguard_fail_mode */
	SOVGUARD_A_LEASE_STATE,		/* u32, enum sovguard_lease_state */
	SOVGUARD_A_LEASE_TIMEOUT_MS,	/* u32, SOVGUARD_LEASE_TIMEOUT_{MIN,MAX}_MS */
	SOVGUARD_A_LEASE_REMAINING_MS,	/* u32 */
	SOVGUARD_A_LEASE_EXPIRED_MS,	/* u64, ms since the lease lapsed */
	SOVGUARD_A_GUARD_STATE,		/* u32, enum sovguard_guard_state */
	SOVGUARD_A_DAEMON_PID,		/* u32 */
	SOVGUARD_A_GENERATION,		/* u64, policy generation */
	SOVGUARD_A_COUNTERS,		/* nest, SOVGUARD_CNT_* */
	SOVGUARD_A_ALLOW_COUNT,		/* u32 */
	SOVGUARD_A_ALLOW_LIST,		/* nest of SOVGUARD_A_ALLOW_ENTRY */
	SOVGUARD_A_ALLOW_ENTRY,		/* nest, SOVGUARD_PREFIX_* */
	SOVGUARD_A_HOOK,		/* nest, SOVGUARD_HOOK_* */
	SOVGUARD_A_EVENT,		/* u32, enum sovguard_event */
	SOVGUARD_A_PAD,
	__SOVGUARD_A_MAX,
};
#define SOVGUARD_A_MAX (__SOVGUARD_A_MAX - 1)

/* Counters since load, all u64, summed over network namespaces. */
enum sovguard_counter_attr {
	SOVGUARD_CNT_UNSPEC,
	SOVGUARD_CNT_PACKETS,		/* seen by the guard hooks */
	SOVGUARD_CNT_DROPPED,		/* dropped while ENGAGED */
	SOVGUARD_CNT_WOULD_DROP,	/* passed while OPEN */
	SOVGUARD_CNT_ALLOWED,		/* passed by loopback or allow-list */
	SOVGUARD_CNT_LEASE_RENEWALS,
	SOVGUARD_CNT_LEASE_EXPIRIES,
	SOVGUARD_CNT_PAD,
	__SOVGUARD_CNT_MAX,
};
#define SOVGUARD_CNT_MAX (__SOVGUARD_CNT_MAX - 1)

enum sovguard_prefix_attr {
	SOVGUARD_PREFIX_UNSPEC,
	SOVGUARD_PREFIX_FAMILY,		/* u8, AF_INET (2) or AF_INET6 (10) */
	SOVGUARD_PREFIX_ADDR,		/* binary, 4 or 16 bytes */
	SOVGUARD_PREFIX_LEN,		/* u8, 0..32 or 0..128 */
	__SOVGUARD_PREFIX_MAX,
};
#define SOVGUARD_PREFIX_MAX (__SOVGUARD_PREFIX_MAX - 1)

enum sovguard_hook_attr {
	SOVGUARD_HOOK_UNSPEC,
	SOVGUARD_HOOK_PF,		/* u8, NFPROTO_* */
	SOVGUARD_HOOK_NUM,		/* u32, NF_INET_* / NF_ARP_* / NF_NETDEV_* */
	SOVGUARD_HOOK_PRIORITY,		/* s32 */
	SOVGUARD_HOOK_DEVICE,		/* string, netdev hooks only */
	SOVGUARD_HOOK_TYPE,		/* u32, kernel's enum nf_hook_ops_type */
	SOVGUARD_HOOK_OWNER_KIND,	/* u32, enum sovguard_owner_kind */
	SOVGUARD_HOOK_OWNER_NAME,	/* string, module name */
	SOVGUARD_HOOK_SYMBOL,		/* string, "func+off/size" or address */
	__SOVGUARD_HOOK_MAX,
};
#define SOVGUARD_HOOK_MAX (__SOVGUARD_HOOK_MAX - 1)

#endif /* _UAPI_SOVGUARD_H */
