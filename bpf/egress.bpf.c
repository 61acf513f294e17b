// SPDX-License-Identifier: GPL-2.0
/*
 * sovguard egress decisions at cgroup connect and sendmsg.
 *
 * Every outbound TCP connect, connected-UDP connect and unconnected UDP
 * sendmsg from the attached cgroup subtree is decided from the live policy
 * image (bpf/decide.h); the program returns 0 (the caller sees EPERM) for a
 * deny in enforce mode and 1 otherwise. Maps: include/sovguard_egress.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "sovguard_egress.h"

#define SG_ALLOW	1
#define SG_REFUSE	0

char LICENSE[] SEC("license") = "GPL";

/* The ancestry of the calling task, read only when a decision needs it. */
static __always_inline void sg_fill_cgroups(struct sg_query *q, const struct sg_image_hdr *h)
{
	__u32 L;

	/*
	 * Unrolled: 6.1's verifier refuses a loop whose back-edge lands right
	 * after a helper call ("back-edge from insn"), the shape clang gives
	 * this one.
	 */
#pragma clang loop unroll(full)
	for (L = 0; L < SG_CGROUP_LEVELS; L++)
		q->cgroup[L] = h->cgroup_levels & (1u << L) ?
				       bpf_get_current_ancestor_cgroup_id(L) : 0;
}

#define SG_POLICY_PIN __uint(pinning, LIBBPF_PIN_BY_NAME);
#include "policy_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SG_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_work);
} sg_work SEC(".maps");

#include "observe.h"

static __always_inline void sg_count(__u32 idx)
{
	__u64 *val = bpf_map_lookup_elem(&sg_counters, &idx);

	if (val)
		*val += 1;
}

static __always_inline void sg_report(const struct sg_query *q, __u8 hook, __u32 mode,
				      const struct sg_answer *ans, __u8 verdict)
{
	struct sg_event *ev;

	ev = bpf_ringbuf_reserve(&sg_events, sizeof(*ev), 0);
	if (!ev) {
		sg_count(SG_CNT_EVENTS_DROPPED);
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->uid = (__u32)bpf_get_current_uid_gid();	/* q->uid is 0 unless rules use it */
	ev->rule = ans->rule;
	ev->generation = ans->generation;
	ev->port = q->port;
	ev->hook = hook;
	ev->verdict = verdict;
	ev->family = q->family;
	ev->protocol = q->protocol;
	ev->mode = mode;
	ev->pad = 0;
	__builtin_memcpy(ev->addr, q->addr, 16);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline int sg_memo_same(const struct sg_memo_key *k, const struct sg_query *q,
					__u64 cg, __u32 image_id)
{
	return k->image_id == image_id && k->cgroup_id == cg && k->uid == q->uid &&
	       k->gid == q->gid && k->exe_ino == q->exe_ino && k->exe_dev == q->exe_dev;
}

/* Executable identity of the calling task: what `exe PATH` rules match. */
static __always_inline void sg_task_exe(struct sg_query *q)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct inode *inode = BPF_CORE_READ(task, mm, exe_file, f_inode);

	q->exe_ino = BPF_CORE_READ(inode, i_ino);
	q->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
}

/*
 * The answer for @q from the image @img. Destination and port come first:
 * when no rule names them the default applies and nothing about the task is
 * read. Otherwise the subject decides, and only what the image decides on
 * is read (uid and gid, executable, cgroup); the rules that subject matches
 * come from the slot's memo when it has them for this image, else they are
 * computed and memoized.
 */
static __always_inline int sg_answer_get(void *img, const struct sg_image_hdr *h,
					 struct sg_slot *slot, struct sg_answer *ans)
{
	struct sg_query *q = &slot->q;
	struct sg_decide_ctx c;
	struct sg_memo_key *k;
	__u64 cg = 0;
	__u32 m;
	int r, hit;

	r = sg_decide_dst(img, h, q, ans, &c);
	if (r <= 0)
		return r;

	if (h->subj_kinds & (1u << SG_SUBJ_KIND_UID | 1u << SG_SUBJ_KIND_GID)) {
		__u64 ugid = bpf_get_current_uid_gid();

		q->uid = (__u32)ugid;
		q->gid = ugid >> 32;
	}
	if (h->subj_kinds & (1u << SG_SUBJ_KIND_EXE))
		sg_task_exe(q);
	if (h->cgroup_levels)
		cg = bpf_get_current_cgroup_id();

	for (m = 0; m < SG_MEMO_ENTRIES; m++)
		if (h->image_id && sg_memo_same(&slot->key[m], q, cg, h->image_id))
			break;
	hit = m < SG_MEMO_ENTRIES;
	/*
	 * Through the slot, which is this decision's alone: the verifier then
	 * checks what follows once, not once for every entry.
	 */
	slot->cur = hit ? m : slot->next++;
	m = *(volatile __u32 *)&slot->cur & (SG_MEMO_ENTRIES - 1);
	k = &slot->key[m];
	if (hit) {
		sg_count(SG_CNT_CACHE_HIT);
	} else {
		if (h->cgroup_levels)
			sg_fill_cgroups(q, h);
		k->image_id = 0;
		if (sg_subject_mask(&c, slot->mask[m]))
			return -1;
		k->cgroup_id = cg;
		k->uid = q->uid;
		k->gid = q->gid;
		k->exe_ino = q->exe_ino;
		k->exe_dev = q->exe_dev;
		k->image_id = h->image_id;
	}
	return sg_decide_rules(&c, slot->mask[m]);
}

/* The live image and its header in *h, or NULL when there is none (yet). */
static __always_inline void *sg_live_image(const struct sg_image_hdr **h)
{
	__u32 zero = 0;
	void *img;

	img = bpf_map_lookup_elem(&sg_policy, &zero);
	*h = img ? (const struct sg_image_hdr *)SG_BLK(img, 0) : NULL;
	return *h && (*h)->magic == SG_IMAGE_MAGIC ? img : NULL;
}

/* The verdict when no decision can be computed: the image's default. */
static __always_inline __u32 sg_fallback_verdict(void)
{
	const struct sg_image_hdr *h;

	return sg_live_image(&h) ? h->default_verdict : SG_VERDICT_ALLOW;
}

static __always_inline int sg_decide_slot(struct sg_slot *slot, __u8 hook, __u32 mode)
{
	struct sg_query *q = &slot->q;
	struct sg_answer ans = {};
	const struct sg_image_hdr *h;
	void *img;

	img = sg_live_image(&h);
	if (!img) {
		sg_count(SG_CNT_NO_POLICY);
		return SG_ALLOW;
	}

	if (sg_answer_get(img, h, slot, &ans)) {
		/* A broken image never opens the door: the default applies. */
		sg_count(SG_CNT_IMAGE_ERROR);
		sg_answer_default(h, &ans);
	}
	sg_obs_answer(slot, &ans);

	if (ans.verdict == SG_VERDICT_ALLOW) {
		sg_count(SG_CNT_ALLOW);
		return SG_ALLOW;
	}
	if (ans.verdict == SG_VERDICT_AUDIT) {
		sg_count(SG_CNT_AUDIT);
		sg_report(q, hook, mode, &ans, SG_VERDICT_AUDIT);
		return SG_ALLOW;
	}
	if (mode == SG_MODE_AUDIT) {
		sg_count(SG_CNT_WOULD_DENY);
		sg_report(q, hook, mode, &ans, SG_VERDICT_AUDIT);
		return SG_ALLOW;
	}
	sg_count(SG_CNT_DENY);
	sg_report(q, hook, mode, &ans, SG_VERDICT_DENY);
	return SG_REFUSE;
}

/*
 * The decision in @slot, as a global function: the verifier checks it once,
 * not once for every slot a caller may have claimed.
 */
__noinline int sg_decide_in(struct sg_slot *slot, __u32 hook, __u32 mode)
{
	if (!slot)
		return SG_ALLOW;
	return sg_decide_slot(slot, hook, mode);
}

/*
 * Decide the destination @family/@addr (network order, IPv4 in the first
 * word) in a work slot of this CPU's own. A decision preempted on a
 * preemptible kernel keeps its slot; the one that runs meanwhile takes
 * another. With every slot taken (a pile of preempted decisions that does
 * not occur in practice), the default verdict applies, counted as busy.
 */
static __always_inline int sg_decide_task(struct bpf_sock_addr *ctx, __u8 hook, __u8 family,
					  const __u32 *addr)
{
	struct sg_config *cfg;
	struct sg_work *w;
	struct sg_slot *slot;
	struct sg_query *q;
	__u32 zero = 0, mode;
	int i, ret;

	cfg = bpf_map_lookup_elem(&sg_config, &zero);
	mode = cfg ? cfg->mode : SG_MODE_ENFORCE;
	if (mode == SG_MODE_OFF) {
		sg_count(SG_CNT_ALLOW);
		return SG_ALLOW;
	}
	w = bpf_map_lookup_elem(&sg_work, &zero);
	if (!w)
		return SG_ALLOW;
#pragma clang loop unroll(full)
	for (i = 0; i < SG_SLOTS; i++)
		if (!(__sync_fetch_and_or(&w->busy, 1ULL << i) & (1ULL << i)))
			break;
	if (i >= SG_SLOTS) {
		sg_count(SG_CNT_BUSY);
		if (sg_fallback_verdict() == SG_VERDICT_DENY && mode == SG_MODE_ENFORCE)
			return SG_REFUSE;
		return SG_ALLOW;
	}
	slot = &w->slot[i];
	q = &slot->q;
	/* The inputs; the work area behind them is written before it is read. */
	__builtin_memset(q, 0, offsetof(struct sg_query, cgroup));
	q->port = bpf_ntohs(ctx->user_port);
	q->protocol = ctx->protocol;
	q->family = family;
	__builtin_memcpy(q->addr, addr, 16);
	sg_obs_answer(slot, NULL);
	ret = sg_decide_in(slot, hook, mode);
	sg_obs_slot(ctx, hook, family, addr, slot, mode, ret == SG_REFUSE);
	__sync_fetch_and_and(&w->busy, ~(1ULL << i));
	return ret == SG_REFUSE ? SG_REFUSE : SG_ALLOW;
}

static __always_inline int sg_decide4(struct bpf_sock_addr *ctx, __u8 hook)
{
	__u32 a[4] = { ctx->user_ip4 };

	if (((__u8 *)a)[0] == 127) {
		sg_count(SG_CNT_LOOPBACK);
		sg_obs_loopback(ctx, hook, SG_AF_INET, a);
		return SG_ALLOW;
	}
	return sg_decide_task(ctx, hook, SG_AF_INET, a);
}

static __always_inline int sg_decide6(struct bpf_sock_addr *ctx, __u8 hook)
{
	__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };

	/* ::ffff:a.b.c.d is an IPv4 destination and follows IPv4 policy. */
	if (a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0x0000ffff)) {
		__u32 a4[4] = { a[3] };

		if (((__u8 *)a4)[0] == 127) {
			sg_count(SG_CNT_LOOPBACK);
			sg_obs_loopback(ctx, hook, SG_AF_INET, a4);
			return SG_ALLOW;
		}
		return sg_decide_task(ctx, hook, SG_AF_INET, a4);
	}
	if (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == bpf_htonl(1)) {
		sg_count(SG_CNT_LOOPBACK);
		sg_obs_loopback(ctx, hook, SG_AF_INET6, a);
		return SG_ALLOW;
	}
	return sg_decide_task(ctx, hook, SG_AF_INET6, a);
}

SEC("cgroup/connect4")
int sg_connect4(struct bpf_sock_addr *ctx)
{
	return sg_decide4(ctx, SG_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int sg_connect6(struct bpf_sock_addr *ctx)
{
	return sg_decide6(ctx, SG_HOOK_CONNECT6);
}

SEC("cgroup/sendmsg4")
int sg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sg_decide4(ctx, SG_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int sg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sg_decide6(ctx, SG_HOOK_SENDMSG6);
}
