/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The egress object's insides, shared by egress.c (load, attach, publish)
 * and tamper.c (verify and restore what it owns in the kernel).
 */
#ifndef SG_EGRESS_INT_H
#define SG_EGRESS_INT_H

#include <bpf/libbpf.h>

#include "egress.h"
#include "egress.skel.h"
#include "publish.h"
#include "lib/util.h"

struct sg_egress {
	struct sg_egress_bpf *skel;
	struct bpf_link *links[SG_HOOK_MAX];
	struct ring_buffer *rb;
	sg_event_fn event_fn;
	void *event_ctx;
	char pin_root[SG_PATH_MAX];
	__u32 generation;
	struct sg_live live;		/* the published image, mapped read-only */
	struct sg_image *copy;		/* what we published, to compare and restore */
	struct sg_config want;		/* what sg_config must hold */
	bool backup_pending;		/* slot 1 still holds an older image */
	int cg_fd;			/* the enforced cgroup, once attached */
	bool no_setsockopt;		/* the kernel refused cgroup/setsockopt */
	bool no_skb;			/* ... or cgroup_skb/egress and sock_create */
	__u64 cg_id;
	__u64 seen[SG_CNT_MAX];		/* counters at the last check */
};

/* A hook whose program this kernel refused: not attached, not guarded. */
static inline bool sg_egress_hook_off(const struct sg_egress *e, int hook)
{
	return (hook == SG_HOOK_SETSOCKOPT && e->no_setsockopt) ||
	       ((hook == SG_HOOK_SKB_EGRESS || hook == SG_HOOK_SOCK_CREATE) && e->no_skb);
}

#endif
