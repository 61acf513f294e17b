/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF LSM guard (bpf/guard.bpf.c): an lsm/bpf program that refuses
 * bpf() commands which change sovguard's kernel objects, to every process
 * but the daemon.
 *
 * sg_guard_objs: the protected objects, keyed by kind and id (map and link
 * ids are separate id spaces), value unused. The daemon writes the egress
 * maps and links, the live policy image and the guard's own maps and link;
 * it keeps the set current at every publish and after the watchdog restores
 * something. Programs are not in it: which program runs on a hook changes
 * through its link (BPF_LINK_UPDATE), and a loaded program is immutable.
 *
 * sg_guard_allow: the tgids (init pid namespace) allowed to change them,
 * value unused: the daemon's own, written before the guard is attached.
 *
 * Refused with EPERM to other processes, for a protected object named by
 * the command's fd: BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM,
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM, BPF_MAP_FREEZE, BPF_MAP_UPDATE_BATCH,
 * BPF_MAP_DELETE_BATCH, BPF_MAP_LOOKUP_AND_DELETE_BATCH (maps);
 * BPF_LINK_UPDATE, BPF_LINK_DETACH (links). docs/design.md says what this
 * does not cover.
 */
#ifndef SOVGUARD_GUARD_H
#define SOVGUARD_GUARD_H

enum sg_guard_kind {
	SG_GUARD_MAP = 1,
	SG_GUARD_LINK = 2,
};

struct sg_guard_key {
	__u32 kind;		/* enum sg_guard_kind */
	__u32 id;
};

#define SG_GUARD_OBJS_MAX	128	/* protected objects */
#define SG_GUARD_ALLOW_MAX	4	/* allowed tgids */

/* Counters (array sg_guard_stats): what the guard saw. */
enum sg_guard_stat {
	SG_GSTAT_REFUSED,	/* commands refused */
	SG_GSTAT_UNREADABLE,	/* fds the guard could not read: refused */
	SG_GSTAT_MAX,
};

#define SG_PIN_GUARD_LINK	"guard_link"
#define SG_PIN_GUARD_NEW	"guard_link_new"

#endif
