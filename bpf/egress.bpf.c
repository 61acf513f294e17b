// SPDX-License-Identifier: GPL-2.0
/*
 * sovguard egress decisions at cgroup connect and sendmsg.
 *
 * Every outbound TCP connect, connected-UDP connect and unconnected UDP
 * sendmsg from the attached cgroup subtree is decided from the live policy
 * image (bpf/decide.h); the program returns 0 (the caller sees EPERM) for a
 * deny in enforce mode and 1 otherwise. cgroup/setsockopt decides the hops
 * of a source route the same way (at the end of this file). Maps:
 * include/sovguard_egress.h.
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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_spare);
} sg_spare SEC(".maps");

#include "observe.h"

static __always_inline void sg_count(__u32 idx)
{
	__u64 *val = bpf_map_lookup_elem(&sg_counters, &idx);

	if (val)
		*val += 1;
}

/* Fill an event of the calling task: everything but the destination and answer. */
static __always_inline void sg_event_task(struct sg_event *ev, __u8 hook, __u32 mode,
					  __u8 verdict)
{
	ev->ts_ns = bpf_ktime_get_ns();
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->uid = (__u32)bpf_get_current_uid_gid();	/* q->uid is 0 unless rules use it */
	ev->hook = hook;
	ev->verdict = verdict;
	ev->mode = mode;
	ev->pad = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/*
 * Report a decision. The answer is read from @ans only once the event is
 * reserved: values carried across the helper call would cost the verifier
 * dearly in the decision's many paths.
 */
static __always_inline void sg_report(const struct sg_query *q, __u8 hook, __u32 mode,
				      const struct sg_answer *ans, __u8 verdict)
{
	struct sg_event *ev;

	ev = bpf_ringbuf_reserve(&sg_events, sizeof(*ev), 0);
	if (!ev) {
		sg_count(SG_CNT_EVENTS_DROPPED);
		return;
	}
	ev->rule = ans->rule;
	ev->generation = ans->generation;
	ev->port = q->port;
	ev->family = q->family;
	ev->protocol = q->protocol;
	__builtin_memcpy(ev->addr, q->addr, 16);
	sg_event_task(ev, hook, mode, verdict);
	bpf_ringbuf_submit(ev, 0);
}

/* Report a fail verdict (rule SG_RULE_FAIL) for the destination @addr. */
static __always_inline void sg_report_fail(const __u8 *addr, __u32 dst, __u8 hook, __u32 mode,
					   __u8 verdict)
{
	struct sg_event *ev;

	ev = bpf_ringbuf_reserve(&sg_events, sizeof(*ev), 0);
	if (!ev) {
		sg_count(SG_CNT_EVENTS_DROPPED);
		return;
	}
	ev->rule = SG_RULE_FAIL;
	ev->generation = 0;
	ev->port = dst >> 16;
	ev->family = (__u8)(dst >> 8);
	ev->protocol = (__u8)dst;
	__builtin_memcpy(ev->addr, addr, 16);
	sg_event_task(ev, hook, mode, verdict);
	bpf_ringbuf_submit(ev, 0);
}

/* The destination of a fail report, packed in one register. */
#define SG_DST(port, family, protocol) ((__u32)(port) << 16 | (family) << 8 | (protocol))

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

static __always_inline void *sg_image_at(__u32 k, const struct sg_image_hdr **h)
{
	void *img;

	img = bpf_map_lookup_elem(&sg_policy, &k);
	*h = img ? (const struct sg_image_hdr *)SG_BLK(img, 0) : NULL;
	return *h && (*h)->magic == SG_IMAGE_MAGIC ? img : NULL;
}

/*
 * The policy slot to decide from when slot 0 is empty or its image
 * inconsistent (tampered with): 1, counted, or -1 when neither holds a
 * consistent image. A global function: the common path does not call it,
 * and the verifier checks it once.
 */
__noinline int sg_live_slot(void)
{
	const struct sg_image_hdr *h;

	if (sg_image_at(0, &h))
		return 0;
	if (!sg_image_at(1, &h))
		return -1;
	sg_count(SG_CNT_BACKUP);
	return 1;
}

/* The mode and the fail verdict; a zeroed sg_config enforces and fails closed. */
static __always_inline __u32 sg_cfg(__u32 *fail)
{
	struct sg_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&sg_config, &zero);
	*fail = cfg ? cfg->fail : SG_FAIL_DENY;
	return sg_config_mode(cfg);
}

#define SG_FAILED	2	/* sg_decide_in(): the rules could not decide */

static __always_inline int sg_decide_slot(struct sg_slot *slot, __u8 hook, __u32 mode)
{
	struct sg_query *q = &slot->q;
	struct sg_answer ans = {};
	const struct sg_image_hdr *h;
	void *img = NULL;
	int k;

	img = sg_image_at(0, &h);
	if (!img) {
		k = sg_live_slot();
		if (k >= 0)
			img = sg_image_at(k, &h);
	}
	if (!img) {
		sg_count(SG_CNT_NO_POLICY);
		return SG_FAILED;
	}
	if (sg_answer_get(img, h, slot, &ans)) {
		sg_count(SG_CNT_IMAGE_ERROR);
		return SG_FAILED;
	}
	sg_obs_answer(slot, &ans);

	switch (sg_effective_verdict(mode, ans.verdict)) {
	case SG_VERDICT_ALLOW:
		sg_count(SG_CNT_ALLOW);
		return SG_ALLOW;
	case SG_VERDICT_AUDIT:
		/* An audit rule, or a deny that audit mode lets through. */
		sg_count(ans.verdict == SG_VERDICT_DENY ? SG_CNT_WOULD_DENY : SG_CNT_AUDIT);
		sg_report(q, hook, mode, &ans, SG_VERDICT_AUDIT);
		return SG_ALLOW;
	}
	sg_count(SG_CNT_DENY);
	sg_report(q, hook, mode, &ans, SG_VERDICT_DENY);
	return SG_REFUSE;
}

/*
 * The decision in @slot, as a global function: the verifier checks it once,
 * not once for every slot a caller may have claimed, per-CPU or spare.
 * SG_FAILED when no slot holds a consistent image or the image is
 * inconsistent: the caller applies the fail verdict (sg_decide_none()).
 */
__noinline int sg_decide_in(struct sg_slot *slot, __u32 hook)
{
	__u32 fail, mode = sg_cfg(&fail);

	if (!slot)
		return SG_FAILED;
	return sg_decide_slot(slot, hook, mode);
}

/* An IPv4 or IPv6 destination, network order, IPv4 in the first word. */
struct sg_addr {
	__u32 w[4];
};

/*
 * The rules could not decide (@why, a counter: no consistent image, an
 * inconsistent one, no work area): the fail verdict applies, counted in
 * SG_CNT_FAIL and always reported with rule SG_RULE_FAIL; audit mode never
 * refuses. Never the image's default, never "allow" unless configured.
 */
__noinline int sg_decide_none(const struct sg_addr *a, __u32 dst, __u32 hook, __u32 why)
{
	__u32 fail, mode = sg_cfg(&fail);

	if (!a)
		return SG_REFUSE;
	if (why)
		sg_count(why);
	sg_count(SG_CNT_FAIL);
	if (fail == SG_FAIL_ALLOW) {
		sg_count(SG_CNT_ALLOW);
		sg_report_fail((const __u8 *)a->w, dst, hook, mode, SG_VERDICT_ALLOW);
		return SG_ALLOW;
	}
	if (mode == SG_MODE_AUDIT) {
		sg_count(SG_CNT_WOULD_DENY);
		sg_report_fail((const __u8 *)a->w, dst, hook, mode, SG_VERDICT_AUDIT);
		return SG_ALLOW;
	}
	sg_count(SG_CNT_DENY);
	sg_report_fail((const __u8 *)a->w, dst, hook, mode, SG_VERDICT_DENY);
	return SG_REFUSE;
}

/*
 * A spare slot, shared by all CPUs, for a decision that found every slot of
 * its CPU taken: its index, or -1 when every spare slot is taken too.
 */
__noinline int sg_spare_claim(void)
{
	struct sg_spare *sp;
	__u32 zero = 0;
	int i;

	sp = bpf_map_lookup_elem(&sg_spare, &zero);
	if (!sp)
		return -1;
#pragma clang loop unroll(full)
	for (i = 0; i < SG_SPARE_SLOTS; i++)
		if (!(__sync_fetch_and_or(&sp->busy, 1ULL << i) & (1ULL << i)))
			break;
	return i < SG_SPARE_SLOTS ? i : -1;
}

/*
 * Decide the destination @family/@addr (network order, IPv4 in the first
 * word) in a work slot of this CPU's own. A decision preempted on a
 * preemptible kernel keeps its slot; the one that runs meanwhile takes
 * another. With every slot of the CPU taken (a pile of preempted
 * decisions), a spare slot shared by all CPUs decides, counted as busy;
 * with none of those free either, the fail verdict applies, counted and
 * reported. Never the image's default without the rules.
 */
static __always_inline struct sg_slot *sg_slot_claim(__u64 **ret_busy, __u64 *ret_bit)
{
	struct sg_slot *slot = NULL;
	struct sg_spare *sp;
	struct sg_work *w;
	__u64 *busy = NULL, bit = 0;
	__u32 zero = 0;
	int i = SG_SLOTS;

	w = bpf_map_lookup_elem(&sg_work, &zero);
	if (w) {
#pragma clang loop unroll(full)
		for (i = 0; i < SG_SLOTS; i++)
			if (!(__sync_fetch_and_or(&w->busy, 1ULL << i) & (1ULL << i)))
				break;
	}
	if (w && i < SG_SLOTS) {
		slot = &w->slot[i];
		busy = &w->busy;
		bit = 1ULL << i;
	} else {
		sg_count(SG_CNT_BUSY);
		i = sg_spare_claim();
		sp = i >= 0 && i < SG_SPARE_SLOTS ? bpf_map_lookup_elem(&sg_spare, &zero) : NULL;
		if (sp) {
			barrier_var(sp);	/* no arithmetic on it before the check */
			i &= SG_SPARE_SLOTS - 1;
			slot = &sp->slot[i];
			busy = &sp->busy;
			bit = 1ULL << i;
		}
	}
	*ret_busy = busy;
	*ret_bit = bit;
	return busy ? slot : NULL;
}

static __always_inline int sg_decide_task(struct bpf_sock_addr *ctx, __u8 hook, __u8 family,
					  const __u32 *addr)
{
	struct sg_slot *slot;
	struct sg_query *q;
	__u64 *busy = NULL, bit = 0;
	__u32 fail;
	int ret;

	/* Mode and fail verdict are read again where they apply: fewer spills. */
	if (sg_cfg(&fail) == SG_MODE_OFF) {
		sg_count(SG_CNT_ALLOW);
		return SG_ALLOW;
	}
	slot = sg_slot_claim(&busy, &bit);
	if (!slot || !busy) {
		ret = sg_decide_none((const struct sg_addr *)addr,
				     SG_DST(bpf_ntohs(ctx->user_port), family, ctx->protocol), hook,
				     SG_CNT_NO_WORK);
		return ret == SG_ALLOW ? SG_ALLOW : SG_REFUSE;
	}
	q = &slot->q;
	/* The inputs; the work area behind them is written before it is read. */
	__builtin_memset(q, 0, offsetof(struct sg_query, cgroup));
	q->port = bpf_ntohs(ctx->user_port);
	q->protocol = ctx->protocol;
	q->family = family;
	__builtin_memcpy(q->addr, addr, 16);
	sg_obs_answer(slot, NULL);
	ret = sg_decide_in(slot, hook);
	if (ret == SG_FAILED)
		ret = sg_decide_none((const struct sg_addr *)addr,
				     SG_DST(bpf_ntohs(ctx->user_port), family, ctx->protocol),
				     hook, 0);
	sg_obs_slot(ctx, hook, family, addr, slot, sg_cfg(&fail), ret == SG_REFUSE);
	__sync_fetch_and_and(busy, ~bit);
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

/*
 * Source routes. A socket option that makes packets travel through hops
 * before their destination (IPv6 routing header, IPv4 loose or strict
 * source route) is decided hop by hop, each hop as a destination on port
 * 0 with the socket's protocol: the connect and sendmsg hooks see only the
 * final destination, the packet goes to the first hop. Any hop denied
 * refuses the option (EPERM). Ancillary data (sendmsg cmsg) is not seen
 * here: docs/design.md, "Routes".
 */
#define SG_SOL_IP		0
#define SG_SOL_IPV6		41
#define SG_IP_OPTIONS		4
#define SG_IPV6_2292PKTOPTIONS	6
#define SG_IPV6_2292RTHDR	5
#define SG_IPV6_RTHDR		57
#define SG_IPOPT_END		0
#define SG_IPOPT_NOOP		1
#define SG_IPOPT_LSRR		131
#define SG_IPOPT_SSRR		137
#define SG_IPOPT_MAX		40	/* bytes of IPv4 options */
#define SG_ROUTE_HOPS_MAX	16	/* addresses of a routing header decided; more: refused */
#define SG_CMSG_MAX		8	/* messages of IPV6_2292PKTOPTIONS looked at; more: refused */
#define SG_PAGE_SIZE		4096

/*
 * One hop: the address at byte @off of the option value (IPv4 when @fp's
 * family says so), decided like a connect to it in a slot of its own;
 * @fp packs family << 8 | protocol. Read here, not by the caller: the
 * decision's own frames leave the caller's stack little room.
 */
__noinline int sg_decide_hop(struct bpf_sockopt *ctx, __u32 off, __u32 fp)
{
	__u32 family = fp >> 8, protocol = fp & 0xff, fail;
	struct sg_addr a = {};
	struct sg_slot *slot;
	struct sg_query *q;
	__u64 *busy = NULL, bit = 0;
	__u8 *p, *end;
	int ret;

	if (!ctx || off > SG_PAGE_SIZE)
		return SG_REFUSE;
	p = ctx->optval;
	end = ctx->optval_end;
	p += off;
	if (family == SG_AF_INET) {
		if (p + 4 > end)
			return SG_REFUSE;
		__builtin_memcpy(&a.w[0], p, 4);
	} else {
		if (p + 16 > end)
			return SG_REFUSE;
		__builtin_memcpy(a.w, p, 16);
	}
	if (sg_cfg(&fail) == SG_MODE_OFF)
		return SG_ALLOW;
	slot = sg_slot_claim(&busy, &bit);
	if (!slot || !busy) {
		ret = sg_decide_none(&a, SG_DST(0, family, protocol), SG_HOOK_SETSOCKOPT,
				     SG_CNT_NO_WORK);
		return ret == SG_ALLOW ? SG_ALLOW : SG_REFUSE;
	}
	q = &slot->q;
	__builtin_memset(q, 0, offsetof(struct sg_query, cgroup));
	q->protocol = protocol;
	q->family = family;
	__builtin_memcpy(q->addr, a.w, 16);
	ret = sg_decide_in(slot, SG_HOOK_SETSOCKOPT);
	if (ret == SG_FAILED)
		ret = sg_decide_none(&a, SG_DST(0, family, protocol), SG_HOOK_SETSOCKOPT, 0);
	__sync_fetch_and_and(busy, ~bit);
	return ret == SG_REFUSE ? SG_REFUSE : SG_ALLOW;
}

/* The IPv4 options being walked by sg_ipopt_cb(). */
struct sg_ipopt_walk {
	__u8 buf[SG_IPOPT_MAX + 8];
	__u32 len;		/* bytes in buf */
	__u32 next;		/* where the next option starts */
	__u32 srr;		/* where the last source route starts, + 1; 0: none */
	__u32 srr_len;
};

/*
 * bpf_loop body over the option bytes: at the start of each option, note a
 * source route and step over it. The verifier checks the body once; an
 * unrolled walk has a path for every shape of the options.
 */
static long sg_ipopt_cb(__u32 i, void *data)
{
	struct sg_ipopt_walk *w = data;
	__u32 type, olen;

	if (i != w->next)
		return 0;
	if (i >= w->len || i >= SG_IPOPT_MAX)
		return 1;
	type = w->buf[i];
	if (type == SG_IPOPT_END)
		return 1;
	if (type == SG_IPOPT_NOOP) {
		w->next = i + 1;
		return 0;
	}
	olen = w->buf[i + 1];
	if (olen < 2 || i + olen > w->len)
		return 1;	/* the kernel refuses it (EINVAL) */
	if (type == SG_IPOPT_LSRR || type == SG_IPOPT_SSRR) {
		w->srr = i + 1;
		w->srr_len = olen;
	}
	w->next = i + olen;
	return 0;
}

/*
 * Where the IPv4 options of @ctx hold a source route: its first byte + 1
 * in *srr (0: none) and its length. A function of its own: the walk's
 * frame is not on the stack beside the decisions that follow.
 */
static __noinline int sg_ipopt_find(struct bpf_sockopt *ctx, __u32 *srr, __u32 *srr_len)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	struct sg_ipopt_walk w = {};
	__u32 len;

	for (len = 0; len < SG_IPOPT_MAX; len++) {
		if (p + len + 1 > end)
			break;
		w.buf[len] = p[len];
	}
	w.len = len;
	bpf_loop(SG_IPOPT_MAX, sg_ipopt_cb, &w, 0);
	*srr = w.srr;
	*srr_len = w.srr_len;
	return 0;
}

/* IPv4 options: every address of a loose or strict source route. */
static __always_inline int sg_ip_options(struct bpf_sockopt *ctx, __u32 protocol)
{
	__u32 srr = 0, srr_len = 0, j;

	sg_ipopt_find(ctx, &srr, &srr_len);
	if (!srr || srr > SG_IPOPT_MAX)
		return SG_ALLOW;
	for (j = 3; j + 4 <= SG_IPOPT_MAX; j += 4) {
		if (j + 4 > srr_len)
			break;
		if (sg_decide_hop(ctx, srr - 1 + j, SG_AF_INET << 8 | protocol) == SG_REFUSE)
			return SG_REFUSE;
	}
	return SG_ALLOW;
}

/* An IPv6 routing header: the home address (type 2) or the segments (type 4). */
static __always_inline int sg_rthdr(struct bpf_sockopt *ctx, __u32 protocol)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	__u32 n, k;

	if (p + 8 > end)
		return SG_ALLOW;	/* too short: the kernel refuses it */
	n = p[1] / 2;
	if (p[2] == 4 && p[4] + 1 < n)
		n = p[4] + 1;	/* segment routing: first_segment + 1 segments, then TLVs */
	if (n > SG_ROUTE_HOPS_MAX)
		return SG_REFUSE;
	for (k = 0; k < SG_ROUTE_HOPS_MAX; k++) {
		if (k >= n)
			break;
		if (sg_decide_hop(ctx, 8 + k * 16, SG_AF_INET6 << 8 | protocol) == SG_REFUSE)
			return SG_REFUSE;
	}
	return SG_ALLOW;
}

/*
 * RFC 2292 sticky options: a buffer of control messages. One that carries a
 * routing header is refused without looking at its hops, and so is a
 * buffer with more than SG_CMSG_MAX messages: the API is obsolete, and its
 * routing header is the one route this hook would otherwise have to parse
 * twice.
 */
static __noinline int sg_pktoptions(struct bpf_sockopt *ctx)
{
	__u8 *p = ctx->optval, *end = ctx->optval_end;
	__u32 off = 0, k;
	__u64 clen;
	int level, type;

	for (k = 0; k < SG_CMSG_MAX; k++) {
		__u8 *c;

		if (off > SG_PAGE_SIZE)
			return SG_ALLOW;
		c = p + off;
		if (c + 16 > end)
			return SG_ALLOW;
		__builtin_memcpy(&clen, c, 8);
		__builtin_memcpy(&level, c + 8, 4);
		__builtin_memcpy(&type, c + 12, 4);
		if (level == SG_SOL_IPV6 && (type == SG_IPV6_RTHDR || type == SG_IPV6_2292RTHDR))
			return SG_REFUSE;
		if (clen < 16 || clen > SG_PAGE_SIZE)
			return SG_ALLOW;	/* the kernel refuses it (EINVAL) */
		off += (clen + 7) & ~7ULL;
	}
	if (off > SG_PAGE_SIZE)
		return SG_ALLOW;
	return p + off + 1 > end ? SG_ALLOW : SG_REFUSE;
}

SEC("cgroup/setsockopt")
int sg_setsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	__u32 protocol = sk ? sk->protocol & 0xff : 0;
	int ret = SG_ALLOW;

	if (ctx->level == SG_SOL_IP && ctx->optname == SG_IP_OPTIONS)
		ret = sg_ip_options(ctx, protocol);
	else if (ctx->level == SG_SOL_IPV6 && ctx->optname == SG_IPV6_RTHDR)
		ret = sg_rthdr(ctx, protocol);
	else if (ctx->level == SG_SOL_IPV6 && ctx->optname == SG_IPV6_2292PKTOPTIONS)
		ret = sg_pktoptions(ctx);
	/*
	 * The program sees at most a page of the value: longer ones go to the
	 * kernel as they are (optlen 0), which older kernels otherwise refuse
	 * with EFAULT. None of the options above is that long.
	 */
	if (ret == SG_ALLOW && ctx->optlen > SG_PAGE_SIZE)
		ctx->optlen = 0;
	return ret;
}
