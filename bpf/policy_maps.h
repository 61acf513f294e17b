/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map a decision reads, for every object that decides: the policy
 * slots (one image, referenced twice, include/sovguard_egress.h). The
 * including object defines SG_POLICY_PIN: the egress programs pin the slot
 * by name, the test wrapper leaves it unpinned (or reuses a daemon's).
 */
#ifndef SG_POLICY_MAPS_H
#define SG_POLICY_MAPS_H

/* One fixed size (no BPF_F_INNER_MAP): lookups in the image are inlined. */
struct sg_image_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_IMAGE_BLOCKS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct sg_blk));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SG_POLICY_SLOTS);
	__type(key, __u32);
	SG_POLICY_PIN
	__array(values, struct sg_image_map);
} sg_policy SEC(".maps");

#define SG_IMG_T void *
#define SG_BLK(img, i) ({ __u32 __k = (i); (struct sg_blk *)bpf_map_lookup_elem(img, &__k); })
#define SG_HIT(p) __sync_fetch_and_add((p), 1)
#define SG_LOOP(n, fn, ctx) bpf_loop((n), (fn), (ctx), 0)
#include "decide.h"

#endif
