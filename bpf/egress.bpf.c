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
	__uint(max_entries, SG_VCACHE_ENTRIES);
	__type(key, __u32);
	__type(value, struct sg_vcache_ent);
} sg_vcache SEC(".maps");

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

/* Slot of the verdict cache for @q and the task's cgroup @cg. */
static __always_inline __u32 sg_vcache_slot(const struct sg_query *q, __u64 cg)
{
	const __u64 *a = (const __u64 *)q->addr;
	__u64 x;

	x = a[0] * 0x9e3779b97f4a7c15ULL ^ a[1];
	x = (x ^ ((__u64)q->port << 8 | q->protocol)) * 0xff51afd7ed558ccdULL;
	x = (x ^ cg ^ ((__u64)q->uid << 32 | q->gid) ^ q->exe_ino) * 0xc4ceb9fe1a85ec53ULL;
	return (__u32)(x >> 32) & (SG_VCACHE_ENTRIES - 1);
}

static __always_inline int sg_vcache_same(const struct sg_vcache_ent *e, const struct sg_query *q,
					  __u64 cg, __u32 image_id)
{
	const __u64 *a = (const __u64 *)q->addr, *b = (const __u64 *)e->addr;

	return e->image_id == image_id && b[0] == a[0] && b[1] == a[1] && e->cgroup_id == cg &&
	       e->port == q->port && e->protocol == q->protocol && e->family == q->family &&
	       e->uid == q->uid && e->gid == q->gid && e->exe_ino == q->exe_ino &&
	       e->exe_dev == q->exe_dev;
}

static __always_inline void sg_vcache_fill(struct sg_vcache_ent *e, const struct sg_query *q,
					   __u64 cg, __u32 image_id, const struct sg_answer *ans)
{
	__builtin_memcpy(e->addr, q->addr, 16);
	e->cgroup_id = cg;
	e->exe_ino = q->exe_ino;
	e->exe_dev = q->exe_dev;
	e->uid = q->uid;
	e->gid = q->gid;
	e->port = q->port;
	e->family = q->family;
	e->protocol = q->protocol;
	e->rule = ans->rule;
	e->verdict = ans->verdict;
	e->image_id = image_id;
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
 * is read (uid and gid, executable, cgroup); the verdict cache answers when
 * this CPU decided the same query on the same image recently (the rule's
 * hit counter still counts it), else the full decision runs and is
 * memoized.
 */
static __always_inline int sg_answer_get(void *img, const struct sg_image_hdr *h,
					 struct sg_query *q, struct sg_answer *ans)
{
	struct sg_vcache_ent *e;
	struct sg_decide_ctx c;
	__u32 slot;
	__u64 cg = 0;
	int k;

	k = sg_decide_dst(img, h, q, ans, &c);
	if (k <= 0)
		return k;

	if (h->subj_kinds & (1u << SG_SUBJ_KIND_UID | 1u << SG_SUBJ_KIND_GID)) {
		__u64 ugid = bpf_get_current_uid_gid();

		q->uid = (__u32)ugid;
		q->gid = ugid >> 32;
	}
	if (h->subj_kinds & (1u << SG_SUBJ_KIND_EXE))
		sg_task_exe(q);
	if (h->cgroup_levels)
		cg = bpf_get_current_cgroup_id();

	slot = sg_vcache_slot(q, cg);
	e = bpf_map_lookup_elem(&sg_vcache, &slot);
	if (e && h->image_id && sg_vcache_same(e, q, cg, h->image_id)) {
		ans->verdict = e->verdict;
		ans->rule = e->rule;
		sg_count(SG_CNT_CACHE_HIT);
		if (ans->rule != SG_RULE_DEFAULT)
			sg_count_hit(img, h, ans->rule);
		return 0;
	}

	if (h->cgroup_levels)
		sg_fill_cgroups(q, h);
	if (sg_decide_subject(&c))
		return -1;
	if (e)
		sg_vcache_fill(e, q, cg, h->image_id, ans);
	return 0;
}

static __always_inline int sg_decide_task(struct sg_query *q, __u8 hook)
{
	struct sg_answer ans = {};
	const struct sg_image_hdr *h;
	struct sg_config *cfg;
	__u32 zero = 0, mode;
	void *img;

	cfg = bpf_map_lookup_elem(&sg_config, &zero);
	mode = cfg ? cfg->mode : SG_MODE_ENFORCE;
	if (mode == SG_MODE_OFF) {
		sg_count(SG_CNT_ALLOW);
		return SG_ALLOW;
	}
	img = bpf_map_lookup_elem(&sg_policy, &zero);
	h = img ? (const struct sg_image_hdr *)SG_BLK(img, 0) : NULL;
	if (!h || h->magic != SG_IMAGE_MAGIC) {
		sg_count(SG_CNT_NO_POLICY);
		return SG_ALLOW;
	}

	if (sg_answer_get(img, h, q, &ans)) {
		/* A broken image never opens the door: the default applies. */
		sg_count(SG_CNT_IMAGE_ERROR);
		ans.verdict = h->default_verdict;
		ans.rule = SG_RULE_DEFAULT;
	}

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

static __always_inline struct sg_query *sg_query_get(struct bpf_sock_addr *ctx)
{
	struct sg_query *q;
	__u32 zero = 0;

	q = bpf_map_lookup_elem(&sg_scratch, &zero);
	if (!q)
		return NULL;
	/* The inputs; the work area behind them is written before it is read. */
	__builtin_memset(q, 0, offsetof(struct sg_query, cgroup));
	q->port = bpf_ntohs(ctx->user_port);
	q->protocol = ctx->protocol;
	return q;
}

static __always_inline int sg_decide4(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct sg_query *q = sg_query_get(ctx);
	__u32 ip = ctx->user_ip4;

	if (!q)
		return SG_ALLOW;
	q->family = SG_AF_INET;
	__builtin_memcpy(q->addr, &ip, 4);
	if (q->addr[0] == 127) {
		sg_count(SG_CNT_LOOPBACK);
		return SG_ALLOW;
	}
	return sg_decide_task(q, hook);
}

static __always_inline int sg_decide6(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct sg_query *q = sg_query_get(ctx);
	__u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1];
	__u32 w2 = ctx->user_ip6[2], w3 = ctx->user_ip6[3];

	if (!q)
		return SG_ALLOW;
	/* ::ffff:a.b.c.d is an IPv4 destination and follows IPv4 policy. */
	if (w0 == 0 && w1 == 0 && w2 == bpf_htonl(0x0000ffff)) {
		q->family = SG_AF_INET;
		__builtin_memcpy(q->addr, &w3, 4);
		if (q->addr[0] == 127) {
			sg_count(SG_CNT_LOOPBACK);
			return SG_ALLOW;
		}
		return sg_decide_task(q, hook);
	}
	if (w0 == 0 && w1 == 0 && w2 == 0 && w3 == bpf_htonl(1)) {
		sg_count(SG_CNT_LOOPBACK);
		return SG_ALLOW;
	}
	q->family = SG_AF_INET6;
	__builtin_memcpy(q->addr, &w0, 4);
	__builtin_memcpy(q->addr + 4, &w1, 4);
	__builtin_memcpy(q->addr + 8, &w2, 4);
	__builtin_memcpy(q->addr + 12, &w3, 4);
	return sg_decide_task(q, hook);
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
