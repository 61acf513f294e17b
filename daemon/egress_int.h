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
	__u64 cg_id;
	__u64 seen[SG_CNT_MAX];		/* counters at the last check */
};

#endif
