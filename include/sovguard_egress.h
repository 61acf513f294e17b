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
 *   sg_policy    ARRAY_OF_MAPS with SG_POLICY_SLOTS slots, both holding
 *                the compiled policy of the live generation, an image of
 *                struct sg_blk (below). A new generation is built beside
 *                the live one in a map of its own, frozen (BPF_MAP_FREEZE:
 *                no syscall writes it again) and published by replacing
 *                slot 0: every decision looks up slot 0 once and reads
 *                only that image, so no decision ever mixes two
 *                generations. Slot 1 is a second reference to the live
 *                image (written by the daemon after slot 0, within a
 *                quarter second): when slot 0 is empty or its image
 *                inconsistent (a tampered slot), the decision reads slot 1,
 *                counted in SG_CNT_BACKUP. With neither, the fail verdict
 *                of sg_config applies (SG_CNT_NO_POLICY, SG_CNT_FAIL, an
 *                event with rule SG_RULE_FAIL).
 *   sg_config    ARRAY, one struct sg_config: the runtime mode and the
 *                fail verdict.
 *   sg_counters  PERCPU_ARRAY of __u64 indexed by enum sg_counter.
 *   sg_events    RINGBUF of struct sg_event: every deny and audit decision;
 *                one that does not fit is counted in SG_CNT_EVENTS_DROPPED.
 *   sg_work      PERCPU_ARRAY of struct sg_work, not pinned: each program
 *                object's per-CPU work areas for decisions in flight, with
 *                the subject memo (below).
 *   sg_spare     ARRAY, one struct sg_spare, not pinned: SG_SPARE_SLOTS work
 *                areas shared by all CPUs for a decision that finds every
 *                slot of its CPU taken (SG_CNT_BUSY); it still decides by
 *                the rules. With no spare slot free either, the fail
 *                verdict applies (SG_CNT_NO_WORK, SG_CNT_FAIL, an event).
 *
 *   sg_sk_subj   SK_STORAGE of struct sg_sk_subject: who created a socket
 *                (cgroup/sock_create, in the creating task), for the
 *                packet-level decision, where no task is reliably current,
 *                and for the connects of an MPTCP socket's subflows, which
 *                the path manager makes from a kworker (the record on the
 *                MPTCP socket; docs/design.md, "Routes").
 *
 * Links (pinned by the daemon under the pin root): link_connect4,
 * link_connect6, link_sendmsg4, link_sendmsg6, link_setsockopt,
 * link_skb_egress, link_sock_create. A pinned
 * link keeps its program attached when the daemon exits; a new daemon
 * replaces the program inside the link (BPF_LINK_UPDATE), so enforcement
 * has no gap.
 *
 * cgroup/setsockopt decides the addresses a socket option names as hops of
 * a source route (IPV6_RTHDR, IPV6_2292PKTOPTIONS, IP_OPTIONS with LSRR or
 * SSRR): each is decided as a destination on port 0 with the socket's
 * protocol, and the option is refused (EPERM) when any of them is denied.
 * Its events carry hook SG_HOOK_SETSOCKOPT and the hop's address.
 *
 * cgroup_skb/egress is the packet-level backstop: it decides, with the same
 * image and decision, the packets the socket hooks do not see: ping
 * sockets (ICMP, ICMPv6), raw sockets (the destination and protocol of the
 * IP header they built), protocols without socket hooks (connected
 * UDP-Lite, any other IP protocol) and source routes that ride in the
 * packet (IPv4 LSRR/SSRR options, IPv6 routing headers: every hop, as
 * cgroup/setsockopt decides them). Packets of TCP sockets, and of UDP
 * sockets without IP options or IPv6 extension headers, pass at once: the
 * connect and sendmsg hooks decided them. The subject is the socket's
 * creator, recorded by cgroup/sock_create in sg_sk_subj; a socket without
 * a record (created before the programs were attached) is decided with an
 * unknown subject: uid and gid SG_SUBJ_UNKNOWN and no executable, so only
 * the rules that do not name a uid, gid or executable match it (its
 * cgroup is the socket's). A denied packet is dropped (the sender gets
 * EPERM where the kernel passes the verdict up: ping, raw and UDP sockets)
 * with an event of hook SG_HOOK_SKB_EGRESS. A socket without a record that
 * sends what the kernel's own control sockets send (a TCP segment, an ICMP
 * message other than an echo request) passes undecided: those are the
 * kernel's resets, errors and echo replies for inbound traffic.
 *
 * The policy image
 * ----------------
 * An array of 64-byte blocks. Block 0 is struct sg_image_hdr, block 1
 * struct sg_image_info; every region is a run of blocks, at the fixed
 * SG_IMG_* block numbers below or where the header says:
 *
 *   embed      one block, struct sg_embed_blk: the NAT64 prefixes the
 *              configuration names (nat64_prefix), whose addresses are
 *              decided as the IPv4 address they embed (below)
 *   v4_index   65536 __u32, 16 a block, one for each /16 of IPv4 (by its
 *              top 16 bits): SG_V4_DIRECT | class when one range covers the
 *              /16, else the block of its root in the pool
 *   v4_pool    the roots: a struct sg_v4_leaf when at most SG_V4_LEAF_RANGES
 *              ranges cover the /16 (one block decides), else a struct
 *              sg_v4_node of a small B-tree over them, with its other nodes
 *              and leaves; where the header says
 *   v6_index   65537 struct sg_index_ent, 8 a block: v6_index[p].first is
 *              the first IPv6 range that can contain an address whose top
 *              16 bits are p; when one range covers all of them, .direct
 *              holds its class + 1 and the decision reads no range at all
 *   v6_ranges  struct sg_v6_range, 2 a block, sorted by start, covering all
 *              of IPv6 except ::ffff:0:0/96 (IPv4-mapped addresses are IPv4)
 *   port_class 6 x 65536 __u16 (TCP, UDP, UDP-Lite, ICMP, other, socket;
 *              SG_PORT_PROTO_*), 32 a block: port class. ICMP and ICMPv6
 *              share a table, every other IP protocol uses the fifth; both
 *              are read at port 0 only. The sixth is socket creation, by
 *              enum sg_socket_kind
 *   subjects   struct sg_subject_key, 4 a block: the subject atoms in an
 *              open-addressed hash table of subj_mask + 1 blocks (a power of
 *              two); an atom sits in one of the SG_SUBJECT_PROBES blocks
 *              from sg_subject_hash() on, and a block with a free slot ends
 *              the probe
 *   bits       rule bitmaps, SG_CHUNK_RULES rules a block; a class with
 *              nr_chunks blocks. Rows: destination classes, then port
 *              classes, then the SG_SUBJ_KINDS "wildcard" rows (rules that
 *              do not constrain that kind of subject), then subject atoms
 *   rules      struct sg_rule_ent, 8 a block, by rule index
 *   hits       __u64 per rule, 8 a block: match counters of this generation
 *
 * Destination class 0 is the one that no rule names (its row is empty): a
 * decision that finds it applies the default without reading port, bitmaps
 * or anything about the task.
 *
 * Decision: with D the destination's class, P its port class and, for each
 * subject kind k, S_k = wildcard_k | OR(rows of k's atoms that match the
 * calling task), the matching rules are D & P & S_cgroup & S_exe & S_uid &
 * S_gid; the lowest set bit is the first matching rule (first match
 * wins); none means the default verdict. bpf/decide.h implements it once,
 * for the kernel and for the daemon's answer to `sovguardctl check`.
 *
 * Embedded IPv4. An IPv6 destination that carries an IPv4 address which
 * the traffic goes on to reach is decided as that IPv4 address (the rules
 * for the IPv6 prefix itself do not apply): IPv4-mapped ::ffff:0:0/96, the
 * NAT64 prefixes the configuration names (RFC 6052 lengths 32, 40, 48, 56,
 * 64 and 96; bits 64-71 are skipped), the well-known NAT64 prefix
 * 64:ff9b::/96 and 6to4 2002::/16 (bits 16-47). Two kinds are refused
 * outright (verdict deny, rule SG_RULE_REFUSED): Teredo 2001::/32, whose
 * traffic reaches its client through a relay and a server that the address
 * alone does not vouch for, and the local-use NAT64 prefix 64:ff9b:1::/48
 * where no configured prefix says where in it the IPv4 address sits.
 * Configured prefixes are tried first, in order.
 *
 * Version history of the image (SG_IMAGE_MAGIC): SGP3 the layout without
 * the embed block and with two port tables; SGP4 with the embed block and
 * three port tables (other protocols read TCP's); SGP5 this one, six
 * port tables.
 */
#ifndef SOVGUARD_EGRESS_H
#define SOVGUARD_EGRESS_H

#define SG_EVENTS_BYTES		(256 * 1024)
#define SG_COMM_LEN		16

#define SG_BLK_WORDS		8		/* __u64 in a block */
#define SG_BLK_BYTES		64
/*
 * Every image map has exactly SG_IMAGE_BLOCKS blocks (16 MiB; an image uses
 * a prefix of it): an inner map of one fixed size lets the verifier inline
 * the program's lookups in it, which a map of any size (BPF_F_INNER_MAP)
 * does not, and a decision reads some twenty blocks.
 */
#define SG_IMAGE_BLOCKS		(1u << 18)
#define SG_CHUNK_RULES		512		/* rule bits in one block */
#define SG_RULES_MAX		4096u		/* rules the kernel tables hold */
#define SG_CHUNKS_MAX		(SG_RULES_MAX / SG_CHUNK_RULES)
#define SG_INDEX_ENTRIES	65537		/* top-16-bit index, plus the end */
#define SG_CGROUP_LEVELS	16		/* cgroup depth a subject may sit at */
#define SG_SUBJECTS_MAX		4096u		/* subject atoms in one policy (< 2^13) */
#define SG_SEARCH_STEPS		24		/* binary search bound: 2^24 entries */
#define SG_SUBJECT_PROBES	4		/* blocks a subject lookup reads, at most */
#define SG_IMAGE_MAGIC		0x53475035	/* "SGP5" */
#define SG_SLOTS		4		/* decisions in flight on one CPU */
#define SG_MEMO_ENTRIES		8		/* subjects one work slot remembers */
#define SG_SPARE_SLOTS		16		/* shared work slots, for all CPUs */
#define SG_POLICY_SLOTS		2		/* references to the live image */

enum sg_verdict {
	SG_VERDICT_ALLOW = 0,
	SG_VERDICT_DENY = 1,
	SG_VERDICT_AUDIT = 2,
	SG_VERDICT_MAX,
};

/*
 * Global mode: enforce applies verdicts; audit turns deny into "would deny"
 * (allowed, counted and reported); off allows everything without lookups.
 * Numbered as the module's enum sovguard_mode (include/uapi/sovguard.h,
 * fixed since its v1; daemon/lib/names.c asserts it), so one number means
 * one mode on both ABIs. OFF is 0: struct sg_config never stores the mode
 * itself (below), and a zeroed entry is enforce.
 */
enum sg_mode {
	SG_MODE_OFF = 0,
	SG_MODE_AUDIT = 1,
	SG_MODE_ENFORCE = 2,
	SG_MODE_MAX,
};

/*
 * Names under the pin root: the maps (pinned by name, LIBBPF_PIN_BY_NAME:
 * these are the map variables' names in bpf/egress.bpf.c) and the links.
 */
#define SG_PIN_POLICY		"sg_policy"
#define SG_PIN_CONFIG		"sg_config"
#define SG_PIN_COUNTERS		"sg_counters"
#define SG_PIN_EVENTS		"sg_events"
#define SG_PIN_LINK_CONNECT4	"link_connect4"
#define SG_PIN_LINK_CONNECT6	"link_connect6"
#define SG_PIN_LINK_SENDMSG4	"link_sendmsg4"
#define SG_PIN_LINK_SENDMSG6	"link_sendmsg6"
#define SG_PIN_LINK_SETSOCKOPT	"link_setsockopt"
#define SG_PIN_LINK_SKB_EGRESS	"link_skb_egress"
#define SG_PIN_LINK_SOCK_CREATE	"link_sock_create"
#define SG_PIN_SK_SUBJ		"sg_sk_subj"

#define SG_RULE_DEFAULT		0xffffffffu	/* the `default` verdict decided */
#define SG_RULE_FAIL		0xfffffffeu	/* the fail verdict decided */
#define SG_RULE_REFUSED		0xfffffffdu	/* a route refused before the rules
						 * (enum sg_embed_kind, source routes) */

/*
 * The fail verdict: what applies when a decision cannot be made by the
 * rules (no consistent image in either policy slot, an inconsistent image,
 * no work area). 0 is deny, so a zeroed sg_config fails closed.
 */
enum sg_fail {
	SG_FAIL_DENY = 0,	/* refused with EPERM (audit mode: would deny) */
	SG_FAIL_ALLOW = 1,	/* allowed, counted and reported */
	SG_FAIL_MAX,
};

enum sg_hook {
	SG_HOOK_CONNECT4 = 0,
	SG_HOOK_CONNECT6 = 1,
	SG_HOOK_SENDMSG4 = 2,
	SG_HOOK_SENDMSG6 = 3,
	SG_HOOK_SETSOCKOPT = 4,	/* a source route's hop (its address) */
	SG_HOOK_SKB_EGRESS = 5,	/* a packet the socket hooks do not decide */
	SG_HOOK_SOCK_CREATE = 6,	/* raw or ping socket creation (socket rules);
					 * records every socket's creator */
	SG_HOOK_MAX,
};

enum sg_counter {
	SG_CNT_ALLOW = 0,	/* allowed (no rule matched, or allow) */
	SG_CNT_DENY,		/* refused with EPERM */
	SG_CNT_AUDIT,		/* audit verdict: allowed and reported */
	SG_CNT_WOULD_DENY,	/* deny verdict in audit mode: allowed */
	SG_CNT_EVENTS_DROPPED,	/* ring buffer full: event lost, counted */
	SG_CNT_NO_POLICY,	/* no consistent image in any slot: fail verdict */
	SG_CNT_LOOPBACK,	/* loopback destination: always allowed */
	SG_CNT_IMAGE_ERROR,	/* inconsistent image: fail verdict applied */
	SG_CNT_CACHE_HIT,	/* subject's rule mask from the subject memo */
	SG_CNT_BUSY,		/* no free work slot on the CPU: a spare slot decided */
	SG_CNT_BACKUP,		/* slot 0 empty or inconsistent: slot 1 decided */
	SG_CNT_NO_WORK,		/* no spare slot free either: fail verdict */
	SG_CNT_FAIL,		/* the fail verdict applied, for any cause */
	SG_CNT_MAX,
};

/* Kinds of subject atom; a rule constrains any subset of them. A unit is
 * its cgroup, so a rule names a unit or a cgroup, not both. */
enum sg_subj_kind {
	SG_SUBJ_KIND_CGROUP = 0,	/* cgroup id (a unit's or a path's), subtree */
	SG_SUBJ_KIND_EXE,	/* executable: kernel dev_t and inode */
	SG_SUBJ_KIND_UID,
	SG_SUBJ_KIND_GID,
	SG_SUBJ_KINDS,
};

struct sg_blk {
	__u64 w[SG_BLK_WORDS];
};

/* Block 0: everything a decision needs to find its way, in one block. */
struct sg_image_hdr {
	__u32 magic;		/* SG_IMAGE_MAGIC */
	__u32 generation;
	__u32 image_id;		/* id of the kernel map holding this image,
				 * stamped by the publisher: no two live images
				 * share one, so the subject memo keys on it */
	__u32 nr_rules;
	__u32 nr_chunks;	/* blocks in one bitmap row */
	__u32 default_verdict;	/* enum sg_verdict */
	__u32 v4_pool;		/* region starts, in blocks */
	__u32 v6_ranges;
	__u32 subjects;
	__u32 subj_mask;	/* subject table blocks - 1 */
	__u32 bits;		/* first bitmap row */
	__u32 rules;
	__u32 hits;
	__u32 nr_dst_classes;	/* bitmap rows: destination classes first, */
	__u32 nr_port_classes;	/* then port classes, wildcards, atoms */
	__u16 cgroup_levels;	/* bit L: some unit/cgroup atom sits at level L */
	__u16 subj_kinds;	/* bit k: some atom of enum sg_subj_kind k */
};

/* Block 1: facts about the image for userspace; decisions never read it. */
struct sg_image_info {
	__u32 nr_v4_ranges;
	__u32 nr_v6_ranges;
	__u32 nr_blocks;	/* the image's size */
	__u32 nr_subjects;	/* subject atoms */
	__u32 pad[12];
};

/* Port tables, in this order. */
enum sg_port_proto {
	SG_PORT_PROTO_TCP = 0,
	SG_PORT_PROTO_UDP,
	SG_PORT_PROTO_UDPLITE,
	SG_PORT_PROTO_ICMP,	/* ICMP and ICMPv6, port 0 */
	SG_PORT_PROTO_OTHER,	/* every other IP protocol, port 0 */
	SG_PORT_PROTO_SOCKET,	/* socket creation: port is enum sg_socket_kind */
	SG_PORT_PROTOS,
};

/* Regions of fixed size sit at fixed blocks; the rest follow. */
#define SG_INDEX_BLOCKS		((SG_INDEX_ENTRIES + 7) / 8)
#define SG_PORT_BLOCKS		(SG_PORT_PROTOS * 65536 / 32)
#define SG_IMG_EMBED		2
#define SG_IMG_V4_INDEX		3
#define SG_IMG_V6_INDEX		(SG_IMG_V4_INDEX + 65536 / 16)
#define SG_IMG_PORT_CLASS	(SG_IMG_V6_INDEX + SG_INDEX_BLOCKS)
#define SG_IMG_VARIABLE		(SG_IMG_PORT_CLASS + SG_PORT_BLOCKS)

/*
 * A configured NAT64 prefix (block SG_IMG_EMBED). An address matches when
 * its first len bits equal the prefix's; its IPv4 address then sits where
 * RFC 6052 puts it for that length.
 */
#define SG_NAT64_PREFIXES_MAX	4

struct sg_nat64_prefix {
	__u64 hi;		/* bits 0-63, host byte order, masked */
	__u32 mid;		/* bits 64-95, host byte order (a /96 only) */
	__u8 len;		/* 32, 40, 48, 56, 64 or 96; 0: unused entry */
	__u8 pad[3];
};

struct sg_embed_blk {
	struct sg_nat64_prefix nat64[SG_NAT64_PREFIXES_MAX];
};

/* What an IPv6 destination embeds (struct sg_answer.embed). */
enum sg_embed_kind {
	SG_EMBED_NONE = 0,	/* plain IPv6 */
	SG_EMBED_MAPPED,	/* ::ffff:0:0/96 */
	SG_EMBED_NAT64,		/* 64:ff9b::/96 or a configured NAT64 prefix */
	SG_EMBED_6TO4,		/* 2002::/16 */
	SG_EMBED_REFUSE,	/* the kinds from here on are refused: */
	SG_EMBED_NAT64_LOCAL = SG_EMBED_REFUSE,	/* in 64:ff9b:1::/48, not configured */
	SG_EMBED_TEREDO,	/* 2001::/32; embed_v4 is the client's address */
	SG_EMBED_KINDS,
};

struct sg_index_ent {
	__u32 first;		/* range holding the bucket's first address */
	__u32 direct;		/* class + 1 when that range covers the whole
				 * bucket, else 0 */
};

/*
 * IPv4, within one /16: addresses are their low 16 bits (x). A leaf holds
 * up to 16 ranges sorted by start, the first starting at 0; unused entries
 * repeat the last range's class with start 0xffff. The class of x is that
 * of the last entry whose start <= x. An inner node of height h (its
 * children have height h - 1, leaves 0) leads to child i, where i is the
 * number of keys <= x (at most nkeys); key[i] is the first address of
 * child i + 1, and the children are consecutive blocks from .child on. A
 * /16's root is a leaf when its first word is 0, else a node.
 */
#define SG_V4_DIRECT		0x80000000u	/* v4_index: a class, no root */
#define SG_V4_LEAF_RANGES	16
#define SG_V4_NODE_KEYS		28
#define SG_V4_HEIGHT_MAX	4	/* 65536 ranges need height 3 */

struct sg_v4_leaf_ent {
	__u16 start;
	__u16 dst_class;
};

struct sg_v4_leaf {
	struct sg_v4_leaf_ent e[SG_V4_LEAF_RANGES];
};

struct sg_v4_node {
	__u16 height;		/* 1 .. SG_V4_HEIGHT_MAX */
	__u16 nkeys;		/* keys in use: nkeys + 1 children */
	__u32 child;		/* block of child 0 */
	__u16 key[SG_V4_NODE_KEYS];
};

struct sg_v6_range {
	__u64 hi;		/* address, host byte order halves */
	__u64 lo;
	__u32 dst_class;
	__u32 pad[3];
};

struct sg_subject_key {
	__u16 kind;		/* enum sg_subj_kind */
	__u16 row;		/* the atom's bitmap row + 1; 0: a free slot */
	__u32 dev;		/* exe: kernel dev_t (MAJOR << 20 | MINOR) */
	__u64 id;		/* cgroup id, inode, uid or gid */
};

struct sg_rule_ent {
	__u32 verdict;		/* enum sg_verdict */
	__u32 line;		/* rule's line, for events without the daemon */
};

/*
 * The sg_config map's value. mode_plus1 is SG_CONFIG_MODE(mode), the mode
 * plus one: any other value, 0 of a zeroed or never written entry above all,
 * reads as enforce (sg_config_mode()), so no missing or broken configuration
 * ever turns enforcement off.
 */
struct sg_config {
	__u32 mode_plus1;	/* SG_CONFIG_MODE(enum sg_mode) */
	__u32 fail;		/* enum sg_fail */
};

#define SG_CONFIG_MODE(mode)	((__u32)(mode) + 1)

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The mode @cfg holds; enforce for NULL (no entry) and for any bad value. */
static __always_inline __u32 sg_config_mode(const struct sg_config *cfg)
{
	if (!cfg || cfg->mode_plus1 - 1 >= SG_MODE_MAX)
		return SG_MODE_ENFORCE;
	return cfg->mode_plus1 - 1;
}

/*
 * The verdict a decision takes effect as under @mode: off allows; audit lets
 * a deny through as an audit ("would deny"); enforce applies it. The BPF
 * programs act on it, the daemon's check reply reports it.
 */
static __always_inline __u32 sg_effective_verdict(__u32 mode, __u32 verdict)
{
	if (mode == SG_MODE_OFF)
		return SG_VERDICT_ALLOW;
	if (mode == SG_MODE_AUDIT && verdict == SG_VERDICT_DENY)
		return SG_VERDICT_AUDIT;
	return verdict;
}

struct sg_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cgroup_id;
	__u32 pid;		/* thread group id */
	__u32 uid;
	__u32 rule;		/* rule index in its generation, or SG_RULE_DEFAULT */
	__u32 generation;
	__u16 port;		/* destination port, host byte order */
	__u8 hook;		/* enum sg_hook */
	__u8 verdict;		/* enum sg_verdict, as applied */
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 protocol;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, ... */
	__u8 mode;		/* enum sg_mode at decision time */
	__u8 pad;
	__u8 addr[16];		/* v4 in the first 4 bytes */
	char comm[SG_COMM_LEN];
};

/*
 * One decision's input and output, as bpf/decide.h takes them. The
 * programs fill a query from the socket and the calling task; the test
 * wrapper (tests/bpf/) and the daemon's check request (daemon/control.c)
 * fill it from their own input.
 */
#define SG_AF_INET		2
#define SG_AF_INET6		10
#define SG_IPPROTO_TCP		6
#define SG_IPPROTO_UDP		17
#define SG_IPPROTO_UDPLITE	136
#define SG_IPPROTO_ICMP		1
#define SG_IPPROTO_ICMPV6	58
/*
 * Socket creation, decided as a query of its own: protocol SG_IPPROTO_SOCKET
 * (255, IANA's reserved number, which the packet-level decision reads as
 * "other"), the kind as the port, destination 0.0.0.0 (every rule without
 * `to` matches it; a socket rule has none). Only rules with `socket` have
 * bits in that port table; when none matches, the socket is created,
 * whatever the default.
 */
#define SG_IPPROTO_SOCKET	255

enum sg_socket_kind {
	SG_SOCKET_RAW = 1,	/* SOCK_RAW, AF_INET or AF_INET6, any protocol */
	SG_SOCKET_PING = 2,	/* SOCK_DGRAM, IPPROTO_ICMP or IPPROTO_ICMPV6 */
	SG_SOCKET_KINDS,
};
/* The subject of a socket nobody recorded (struct sg_sk_subject): no uid or
 * gid atom has this value, no executable inode 0. */
#define SG_SUBJ_UNKNOWN		0xffffffffu
/* Subject atoms that can match one task: a cgroup atom at every level,
 * plus exe, uid and gid. */
#define SG_MATCHES_MAX		(SG_CGROUP_LEVELS + 3)

struct sg_query {
	__u8 addr[16];		/* network order; IPv4 in the first 4 bytes */
	__u8 family;		/* SG_AF_INET or SG_AF_INET6 */
	__u8 protocol;		/* the socket's: IPPROTO_TCP, _UDP, _UDPLITE, ... */
	__u16 port;		/* host order */
	__u32 uid;
	__u32 gid;
	__u32 exe_dev;		/* kernel dev_t */
	__u32 nmatch;		/* work area of the decision from here on */
	__u64 exe_ino;
	__u64 cgroup[SG_CGROUP_LEVELS];	/* ancestor cgroup id at each level, 0: none */
	__u32 match[SG_MATCHES_MAX];	/* kind << 24 | atom row */
};

struct sg_answer {
	__u32 verdict;		/* enum sg_verdict */
	__u32 rule;		/* rule index, SG_RULE_DEFAULT or SG_RULE_REFUSED */
	__u32 generation;
	__u32 dst_class;
	__u32 embed;		/* enum sg_embed_kind of an IPv6 destination */
	__u32 embed_v4;		/* the IPv4 address it embeds, host byte order */
};

/*
 * The subject memo. Which rules a task's subject matches (the mask S of the
 * decision above, nr_chunks blocks) depends only on the image and on the
 * task's identity: uid, gid, its own cgroup (whose ancestry never changes)
 * and its executable, each only when the image decides on it (else 0). An
 * entry that equals the task in all of them, image_id included, holds the
 * mask, so a decision for another destination of the same task needs no
 * subject lookup and no subject row. A new image has a new id, which
 * retires every entry of the old one at once; a miss replaces the entries
 * in turn.
 */
struct sg_memo_key {
	__u64 cgroup_id;	/* the task's own cgroup */
	__u64 exe_ino;
	__u32 exe_dev;
	__u32 uid;
	__u32 gid;
	__u32 image_id;		/* 0: empty entry */
};

/*
 * Per-CPU work areas. A program on a preemptible kernel can be preempted
 * in the middle of a decision, and another decision then runs on the same
 * CPU: each decision claims a slot of its own (an atomic bit in busy) for
 * its query and keeps its memo there, so no two decisions ever share one.
 * When all SG_SLOTS of the CPU are taken, the decision claims one of the
 * SG_SPARE_SLOTS slots shared by all CPUs (struct sg_spare) the same way.
 */
struct sg_slot {
	struct sg_query q;
	struct sg_memo_key key[SG_MEMO_ENTRIES];
	__u32 next;		/* the entry the next miss replaces */
	__u32 cur;		/* the entry of the decision in flight */
	__u32 obs_rule;		/* the decision's answer, for observation */
	__u32 obs_generation;
	__u32 obs_verdict;	/* enum sg_verdict as applied */
	__u32 given;		/* 1: the subject is in q, given_cg and given_*,
				 * not the current task's (cgroup_skb, MPTCP subflows) */
	__u32 given_pid;
	char given_comm[SG_COMM_LEN];
	__u32 pad[3];
	__u64 given_cg;		/* the socket's cgroup */
	struct sg_blk mask[SG_MEMO_ENTRIES][SG_CHUNKS_MAX];
};

struct sg_work {
	__u64 busy;		/* bit i: slot i in use */
	__u64 pad[7];
	struct sg_slot slot[SG_SLOTS];
};

struct sg_spare {
	__u64 busy;		/* bit i: slot i in use */
	__u64 pad[7];
	struct sg_slot slot[SG_SPARE_SLOTS];
};

/*
 * Who created a socket (sg_sk_subj): what a decision needs of its subject
 * and what its event reports. uid and gid SG_SUBJ_UNKNOWN, exe 0: unknown.
 */
struct sg_sk_subject {
	__u64 exe_ino;
	__u32 exe_dev;		/* kernel dev_t */
	__u32 uid;
	__u32 gid;
	__u32 pid;		/* thread group id */
	char comm[SG_COMM_LEN];
};

/*
 * Observation
 * -----------
 * What the guarded subtree does on the network, for the detectors: every
 * connection and UDP flow (allowed ones too), flow ends with byte counts,
 * process executions, listeners, packet and raw sockets and DNS answers.
 * The programs live in bpf/observe.bpf.c (tp_btf/inet_sock_set_state,
 * cgroup_skb/ingress, cgroup sock hooks, tp_btf/sched_process_exec, the
 * syscalls socket() tracepoints); the egress programs call bpf/observe.h
 * inline on their decision path. Enforcement never waits on observation:
 * a record that does not fit is dropped and counted, never retried.
 *
 * Maps (pinned by name under the pin root, shared by both objects):
 *
 *   sg_obs_events    RINGBUF of records, SG_OBS_EVENTS_BYTES. Records are
 *                    submitted with BPF_RB_NO_WAKEUP until the unread data
 *                    reaches sg_obs_config.wakeup_bytes; the daemon drains it
 *                    on a timer (SG_OBS_FLUSH_MS) and on those wakeups.
 *   sg_obs_config    ARRAY, one struct sg_obs_config: which kinds are on.
 *                    All off (the value at creation) makes the inline
 *                    calls return after one map read.
 *   sg_obs_counters  PERCPU_ARRAY of __u64, SG_OBS_CNT(kind, what): records
 *                    submitted, records lost to a full ring buffer, and
 *                    records that could not be made (no socket state).
 *   sg_obs_flows     HASH of struct sg_obs_flow by struct sg_obs_flow_key,
 *                    SG_OBS_FLOWS_MAX entries: TCP connections per subject
 *                    and destination. The first connection of a pair, and
 *                    the first after sg_obs_config.flow_window_ms, is
 *                    reported in full (CONNECT, FLOW_END); the others in
 *                    the window are only counted here, and the next full
 *                    CONNECT carries their number (repeats). The daemon
 *                    takes out idle entries with their count (a summary
 *                    to the detectors). A full map means no aggregation,
 *                    never a loss: the connection is reported in full.
 *   sg_obs_sk        SK_STORAGE of struct sg_obs_sock: per socket, who
 *                    opened the flow (set at connect/sendmsg/bind, in
 *                    process context) and its decision, read later where
 *                    no task is current (TCP state changes and
 *                    cgroup_skb in softirq).
 *   sg_obs_cgroup    CGROUP_ARRAY, one entry: the guarded cgroup, which
 *                    the tracing programs (exec, socket) filter on.
 *
 * Links (pinned under the pin root): obs_ingress, obs_post_bind4,
 * obs_post_bind6, obs_sock_release, obs_tcp_state, obs_exec, obs_socket,
 * obs_socket_enter. Cgroup links are updated in place by a new daemon;
 * tracing links are replaced (the new one first), so a restart leaves no
 * gap (it may leave a duplicate).
 *
 * Records. Every record begins with struct sg_obs_hdr: kind (enum
 * sg_obs_kind), size (the whole record, bytes) and version
 * (SG_OBS_VERSION). A reader skips kinds it does not know, and refuses a
 * record shorter than its kind's struct; a newer version only appends.
 *
 *   CONNECT   a connect() (TCP or UDP) or an unconnected UDP sendmsg() to a
 *             destination the socket has not sent to before, decided:
 *             subject, 5-tuple, verdict, rule, generation. TCP is
 *             aggregated per pair (sg_obs_flows): a full CONNECT carries
 *             the repeats before it. A TCP connect that goes ahead is
 *             reported at ESTABLISHED (or the CLOSE of a failed connect),
 *             when the kernel has picked the source address and port, or,
 *             failing before its SYN, at release (SG_OBS_F_NO_HANDSHAKE);
 *             denied ones and UDP at the decision (sport 0: not bound
 *             yet).
 *   FLOW_END  a socket with a reported flow closes: TCP with bytes sent
 *             and received (payload: SYN and FIN not counted, from
 *             bytes_acked and bytes_received at TCP_CLOSE), UDP with the
 *             number of sends decided (bytes 0, SG_OBS_F_NO_BYTES), at
 *             release or when an unconnected socket sends elsewhere.
 *   EXEC      a task of the subtree executes a file: the file's identity,
 *             whether it is deleted, memfd-backed or in a world-writable
 *             directory, the path as given to execve, the parent, and
 *             what fds 0 and 1 are (a socket: its family, ends and peer).
 *   LISTEN    a bind() of a TCP or UDP socket (post_bind) and a TCP
 *             listen() (the TCP state change).
 *   SOCKET    socket() made a packet socket (AF_PACKET) or a raw one.
 *   DNS       a UDP datagram from port 53 reached a socket of the subtree
 *             (cgroup_skb ingress): the DNS message, up to SG_OBS_DNS_MAX
 *             bytes, and the socket's subject as recorded at its last send.
 *             The daemon parses it (daemon/dns.c).
 */
#define SG_OBS_VERSION		1
#define SG_OBS_EVENTS_BYTES	(4 * 1024 * 1024)
#define SG_OBS_WAKEUP_BYTES	(SG_OBS_EVENTS_BYTES / 4)	/* default */
#define SG_OBS_FLUSH_MS		200	/* the daemon drains at least this often */
#define SG_OBS_PATH_MAX		256	/* exec path as given, truncated */
#define SG_OBS_DNS_MAX		512	/* DNS message bytes copied, at most */
#define SG_OBS_NAME_MAX		16	/* d_name bytes read to spot a memfd */
#define SG_OBS_FLOWS_MAX	16384	/* subject-destination pairs aggregated */
#define SG_OBS_FLOW_WINDOW_MS	10000	/* default: a pair's full report at most this often */

enum sg_obs_kind {
	SG_OBS_CONNECT = 1,
	SG_OBS_FLOW_END,
	SG_OBS_EXEC,
	SG_OBS_LISTEN,
	SG_OBS_SOCKET,
	SG_OBS_DNS,
	SG_OBS_KINDS,		/* kinds are 1 .. SG_OBS_KINDS - 1 */
};

enum sg_obs_what {
	SG_OBS_SUBMITTED = 0,	/* in the ring buffer */
	SG_OBS_DROPPED,		/* ring buffer full: lost, counted */
	SG_OBS_NO_STATE,	/* no socket state for it: not made, counted */
	SG_OBS_WHATS,
};

#define SG_OBS_CNT(kind, what)	((kind) * SG_OBS_WHATS + (what))
#define SG_OBS_CNT_MAX		(SG_OBS_KINDS * SG_OBS_WHATS)

/* sg_obs_config.kinds: bit k for enum sg_obs_kind k. */
#define SG_OBS_ALL		(((1u << SG_OBS_KINDS) - 1) & ~1u)

struct sg_obs_config {
	__u32 kinds;		/* bit per enum sg_obs_kind; 0: all off */
	__u32 wakeup_bytes;	/* wake the reader beyond this much unread data */
	__u32 flow_window_ms;	/* sg_obs_flows window; 0: no aggregation */
	__u32 pad;
};

/* Record flags (sg_obs_*.flags). */
#define SG_OBS_F_DELETED	0x0001	/* exec: the file has no link left */
#define SG_OBS_F_MEMFD		0x0002	/* exec: the file is a memfd */
#define SG_OBS_F_WORLD_DIR	0x0004	/* exec: its directory is world-writable */
#define SG_OBS_F_NO_BYTES	0x0008	/* flow end: no byte counts (UDP) */
#define SG_OBS_F_TRUNCATED	0x0010	/* dns: message longer than SG_OBS_DNS_MAX */
#define SG_OBS_F_LISTEN		0x0020	/* listen: listen(), not bind() */
#define SG_OBS_F_NO_SUBJECT	0x0040	/* the subject is unknown (all 0) */
#define SG_OBS_F_SENDMSG	0x0080	/* connect: an unconnected UDP send */
#define SG_OBS_F_NO_HANDSHAKE	0x0100	/* connect: TCP allowed, but it failed before
					 * sending a SYN (no route): no source end */

struct sg_obs_hdr {
	__u16 kind;		/* enum sg_obs_kind */
	__u16 size;		/* of the whole record */
	__u8 version;		/* SG_OBS_VERSION */
	__u8 pad;
	__u16 flags;		/* SG_OBS_F_* */
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
};

/* Who: the task, and what it runs (the executable's dev_t and inode; the
 * path comes with its EXEC record). */
struct sg_obs_subject {
	__u64 cgroup_id;
	__u64 exe_ino;
	__u32 exe_dev;		/* kernel dev_t */
	__u32 pid;		/* thread id */
	__u32 tgid;		/* process id */
	__u32 uid;
	char comm[SG_COMM_LEN];
};

/* Addresses in network order (IPv4 in the first 4 bytes), ports in host
 * order. */
struct sg_obs_tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 family;		/* AF_INET, AF_INET6 */
	__u8 protocol;		/* IPPROTO_TCP, IPPROTO_UDP */
	__u16 pad;
};

struct sg_obs_connect {
	struct sg_obs_hdr hdr;
	struct sg_obs_subject subj;
	struct sg_obs_tuple t;
	__u64 cookie;		/* socket cookie: joins FLOW_END and DNS */
	__u32 rule;		/* rule index, or SG_RULE_DEFAULT */
	__u32 generation;	/* 0: not decided (loopback, no policy) */
	__u8 verdict;		/* enum sg_verdict as applied */
	__u8 hook;		/* enum sg_hook */
	__u8 mode;		/* enum sg_mode */
	__u8 pad;
	__u32 repeats;		/* TCP: connections of the same subject to the
				 * same destination and verdict since the
				 * previous CONNECT, counted, not reported */
};

struct sg_obs_flow_end {
	struct sg_obs_hdr hdr;
	struct sg_obs_subject subj;
	struct sg_obs_tuple t;
	__u64 cookie;
	__u64 bytes_sent;	/* payload the peer acknowledged */
	__u64 bytes_received;	/* payload received in order */
	__u64 sends;		/* UDP: sends decided for this destination */
	__u64 start_ns;		/* when the flow was decided */
};

enum sg_obs_fd_type {
	SG_OBS_FD_NONE = 0,	/* closed */
	SG_OBS_FD_FILE,		/* a regular file or directory */
	SG_OBS_FD_PIPE,
	SG_OBS_FD_CHAR,		/* a character device: a tty, /dev/null */
	SG_OBS_FD_SOCKET,
	SG_OBS_FD_OTHER,
};

/* One of the executed task's standard fds. For a socket: its ends; for a
 * unix socket the inodes of both ends (daddr/saddr unused). */
struct sg_obs_fd {
	struct sg_obs_tuple t;	/* family 0 unless a socket */
	__u64 ino;		/* the fd's inode */
	__u64 peer_ino;		/* unix socket: the peer's socket inode */
	__u8 type;		/* enum sg_obs_fd_type */
	__u8 sock_type;		/* SOCK_STREAM, SOCK_DGRAM, ... */
	__u8 pad[6];
};

#define SG_OBS_STDIO		2	/* fds 0 and 1 */

struct sg_obs_exec {
	struct sg_obs_hdr hdr;
	struct sg_obs_subject subj;	/* after the exec: the new executable */
	__u32 ppid;		/* parent's tgid */
	__u32 nlink;		/* the file's links */
	__u32 dir_mode;		/* mode of the file's directory */
	__u32 pad;
	struct sg_obs_fd stdio[SG_OBS_STDIO];
	char path[SG_OBS_PATH_MAX];	/* as given to execve, NUL-terminated */
};

struct sg_obs_listen {
	struct sg_obs_hdr hdr;
	struct sg_obs_subject subj;	/* F_NO_SUBJECT: listen() without bind() */
	struct sg_obs_tuple t;		/* the local end in saddr/sport */
	__u64 cookie;
};

struct sg_obs_socket {
	struct sg_obs_hdr hdr;
	struct sg_obs_subject subj;
	__u32 family;		/* AF_PACKET, AF_INET, AF_INET6 */
	__u32 type;		/* SOCK_RAW, SOCK_DGRAM, ... */
	__u32 protocol;		/* as the kernel holds it (AF_PACKET: network order) */
	__u32 fd;
};

struct sg_obs_dns {
	struct sg_obs_hdr hdr;
	struct sg_obs_subject subj;	/* of the socket's last send */
	struct sg_obs_tuple t;		/* the answer: saddr is the server */
	__u64 cookie;
	__u16 len;		/* bytes in msg */
	__u16 pad[3];
	__u8 msg[SG_OBS_DNS_MAX];
};

/* Per socket state (sg_obs_sk). */
#define SG_OBS_SK_PENDING	0x01	/* TCP connect to report at ESTABLISHED */
#define SG_OBS_SK_REPORTED	0x02	/* a CONNECT went out: a FLOW_END will */
#define SG_OBS_SK_FIN_OUT	0x04	/* we sent a FIN */
#define SG_OBS_SK_FIN_IN	0x08	/* the peer sent a FIN */

struct sg_obs_sock {
	struct sg_obs_subject subj;
	struct sg_obs_tuple t;	/* the last destination reported */
	__u64 start_ns;
	__u64 sends;
	__u32 rule;
	__u32 generation;
	__u8 verdict;
	__u8 hook;
	__u8 mode;
	__u8 flags;		/* SG_OBS_SK_* */
	__u32 repeats;		/* for the CONNECT to come */
};

/* sg_obs_flows: a subject (process, cgroup) and a destination, TCP. */
struct sg_obs_flow_key {
	__u8 daddr[16];
	__u64 cgroup_id;
	__u32 tgid;
	__u16 dport;
	__u8 family;
	__u8 verdict;		/* as applied */
};

struct sg_obs_flow {
	struct sg_obs_subject subj;	/* of the first connection */
	__u64 first_ns;		/* the entry's first connection */
	__u64 last_ns;		/* its latest */
	__u64 reported_ns;	/* its latest full report */
	__u64 connects;		/* connections since the entry was made */
	__u64 reported;		/* of which covered by full reports */
};

#endif /* SOVGUARD_EGRESS_H */
