// SPDX-License-Identifier: GPL-2.0
/*
 * Test wrapper around bpf/decide.h: cgroup sock_addr programs cannot run
 * under BPF_PROG_TEST_RUN, a tc program can. The "packet" is a struct
 * sg_query; the return value packs the answer:
 *   bits 0-1 verdict, bits 2-15 rule index + 1 (0: the default),
 *   bits 16-31 the low 16 bits of the generation; 0xffffffff: no image or
 *   an inconsistent one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "sovguard_egress.h"

char LICENSE[] SEC("license") = "GPL";

#define SG_POLICY_PIN
#include "policy_maps.h"

/* Query and subject mask do not fit the 512-byte stack beside the decision. */
struct sg_test_work {
	struct sg_query q;
	struct sg_blk mask[SG_CHUNKS_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_test_work);
} sg_scratch SEC(".maps");

SEC("tc")
int sg_decide_test(struct __sk_buff *skb)
{
	const struct sg_image_hdr *h;
	struct sg_answer ans = {};
	struct sg_test_work *w;
	__u32 zero = 0;
	void *img;

	w = bpf_map_lookup_elem(&sg_scratch, &zero);
	if (!w || bpf_skb_load_bytes(skb, 0, &w->q, sizeof(w->q)))
		return -1;
	img = bpf_map_lookup_elem(&sg_policy, &zero);
	h = img ? (const struct sg_image_hdr *)SG_BLK(img, 0) : NULL;
	if (!h || h->magic != SG_IMAGE_MAGIC || sg_decide(img, h, &w->q, w->mask, &ans))
		return -1;
	return (ans.verdict & 3) | ((ans.rule == SG_RULE_DEFAULT ? 0 : ans.rule + 1) << 2) |
	       (ans.generation << 16);
}

/* The stock alternative, for sg-bench: one LPM trie lookup of the same query. */
struct sg_trie_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1 << 20);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sg_trie_key);
	__type(value, __u32);
} sg_bench_trie SEC(".maps");

SEC("tc")
int sg_trie_test(struct __sk_buff *skb)
{
	struct sg_trie_key k = { .prefixlen = 32 };
	__u32 *v;

	if (bpf_skb_load_bytes(skb, 0, k.addr, 4))
		return -1;
	v = bpf_map_lookup_elem(&sg_bench_trie, &k);
	return v ? *v : 0;
}
