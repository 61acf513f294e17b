// SPDX-License-Identifier: GPL-2.0
/*
 * sovguard egress decisions at cgroup connect and sendmsg.
 *
 * Every outbound TCP connect, connected-UDP connect and unconnected UDP
 * sendmsg from the attached cgroup subtree is decided from the live policy
 * image (bpf/decide.h); the program returns 0 (the caller sees EPERM) for a
 * deny in enforce mode and 1 otherwise. cgroup/setsockopt decides the hops
 * of a source route the same way; cgroup_skb/egress decides, per packet,
 * what those hooks do not see, and cgroup/sock_create records each
 * socket's creator for it and decides raw and ping socket creation (at
 * the end of this file). Maps: include/sovguard_egress.h.
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

/*
 * Who created a socket (cgroup/sock_create): the subject of the packet-level
 * decision and of an MPTCP socket's subflows.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sg_sk_subject);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_sk_subj SEC(".maps");

static __always_inline void sg_count(__u32 idx)
{
	__u64 *val = bpf_map_lookup_elem(&sg_counters, &idx);

	if (val)
		*val += 1;
}

/*
 * Fill an event of the calling task, or with @skb of the subject given in
 * @slot (NULL: unknown): everything but the destination and answer. @skb
 * is a constant: the packet-level program must not reach a helper about
 * the current task, which cgroup_skb programs do not have.
 */
static __always_inline void sg_event_task(struct sg_event *ev, __u8 hook, __u32 mode,
					  __u8 verdict, const int skb, const struct sg_slot *slot)
{
	ev->ts_ns = bpf_ktime_get_ns();
	ev->hook = hook;
	ev->verdict = verdict;
	ev->mode = mode;
	ev->pad = 0;
	if (skb) {
		ev->cgroup_id = slot ? slot->given_cg : 0;
		ev->pid = slot ? slot->given_pid : 0;
		ev->uid = slot ? slot->q.uid : SG_SUBJ_UNKNOWN;
		__builtin_memset(ev->comm, 0, sizeof(ev->comm));
		if (slot)
			__builtin_memcpy(ev->comm, slot->given_comm, sizeof(ev->comm));
		return;
	}
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->uid = (__u32)bpf_get_current_uid_gid();	/* q->uid is 0 unless rules use it */
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/*
 * Report a decision. The answer is read from @ans only once the event is
 * reserved: values carried across the helper call would cost the verifier
 * dearly in the decision's many paths.
 */
static __always_inline void sg_report(const struct sg_slot *slot, __u8 hook, __u32 mode,
				      const struct sg_answer *ans, __u8 verdict, const int skb)
{
	const struct sg_query *q = &slot->q;
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
	sg_event_task(ev, hook, mode, verdict, skb, slot);
	bpf_ringbuf_submit(ev, 0);
}

/* Report a fail verdict (rule SG_RULE_FAIL) for the destination @addr. */
static __always_inline void sg_report_fail(const __u8 *addr, __u32 dst, __u8 hook, __u32 mode,
					   __u8 verdict, const int skb,
					   const struct sg_slot *slot)
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
	sg_event_task(ev, hook, mode, verdict, skb, slot);
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
 * computed and memoized. With @skb (a constant) the subject is the one the
 * caller gave in the slot: uid, gid and executable in the query, the
 * cgroup ancestry in q->cgroup and the own cgroup in given_cg.
 */
static __always_inline int sg_answer_get(void *img, const struct sg_image_hdr *h,
					 struct sg_slot *slot, struct sg_answer *ans, const int skb)
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

	if (skb) {
		if (h->cgroup_levels)
			cg = slot->given_cg;
	} else {
		if (h->subj_kinds & (1u << SG_SUBJ_KIND_UID | 1u << SG_SUBJ_KIND_GID)) {
			__u64 ugid = bpf_get_current_uid_gid();

			q->uid = (__u32)ugid;
			q->gid = ugid >> 32;
		}
		if (h->subj_kinds & (1u << SG_SUBJ_KIND_EXE))
			sg_task_exe(q);
		if (h->cgroup_levels)
			cg = bpf_get_current_cgroup_id();
	}

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
		if (h->cgroup_levels && !skb)
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

/* A protocol as a destination's query takes it: 255 is socket creation's. */
static __always_inline __u8 sg_wire_proto(__u32 protocol)
{
	return protocol == SG_IPPROTO_SOCKET ? 253 : protocol;
}

static __always_inline int sg_decide_slot(struct sg_slot *slot, __u8 hook, __u32 mode,
					  const int skb)
{
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
	if (sg_answer_get(img, h, slot, &ans, skb)) {
		sg_count(SG_CNT_IMAGE_ERROR);
		return SG_FAILED;
	}
	sg_obs_answer(slot, &ans);
	/* socket creation: only a socket rule refuses, never the default */
	if (hook == SG_HOOK_SOCK_CREATE && ans.rule == SG_RULE_DEFAULT)
		ans.verdict = SG_VERDICT_ALLOW;

	switch (sg_effective_verdict(mode, ans.verdict)) {
	case SG_VERDICT_ALLOW:
		sg_count(SG_CNT_ALLOW);
		return SG_ALLOW;
	case SG_VERDICT_AUDIT:
		/* An audit rule, or a deny that audit mode lets through. */
		sg_count(ans.verdict == SG_VERDICT_DENY ? SG_CNT_WOULD_DENY : SG_CNT_AUDIT);
		sg_report(slot, hook, mode, &ans, SG_VERDICT_AUDIT, skb);
		return SG_ALLOW;
	}
	sg_count(SG_CNT_DENY);
	sg_report(slot, hook, mode, &ans, SG_VERDICT_DENY, skb);
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
	return sg_decide_slot(slot, hook, mode, 0);
}

/* The same with the subject given in @slot (the packet-level program). */
__noinline int sg_decide_in_skb(struct sg_slot *slot, __u32 hook)
{
	__u32 fail, mode = sg_cfg(&fail);

	if (!slot)
		return SG_FAILED;
	return sg_decide_slot(slot, hook, mode, 1);
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
static __always_inline int sg_none(const struct sg_addr *a, __u32 dst, __u32 hook, __u32 why,
				   const int skb, const struct sg_slot *slot)
{
	__u32 fail, mode = sg_cfg(&fail);

	if (why)
		sg_count(why);
	sg_count(SG_CNT_FAIL);
	if (fail == SG_FAIL_ALLOW) {
		sg_count(SG_CNT_ALLOW);
		sg_report_fail((const __u8 *)a->w, dst, hook, mode, SG_VERDICT_ALLOW, skb, slot);
		return SG_ALLOW;
	}
	if (mode == SG_MODE_AUDIT) {
		sg_count(SG_CNT_WOULD_DENY);
		sg_report_fail((const __u8 *)a->w, dst, hook, mode, SG_VERDICT_AUDIT, skb, slot);
		return SG_ALLOW;
	}
	sg_count(SG_CNT_DENY);
	sg_report_fail((const __u8 *)a->w, dst, hook, mode, SG_VERDICT_DENY, skb, slot);
	return SG_REFUSE;
}

__noinline int sg_decide_none(const struct sg_addr *a, __u32 dst, __u32 hook, __u32 why)
{
	if (!a)
		return SG_REFUSE;
	return sg_none(a, dst, hook, why, 0, NULL);
}

/* The same for the packet-level program: the subject in @slot, if any. */
__noinline int sg_decide_none_skb(const struct sg_addr *a, __u32 dst, __u32 hook, __u32 why,
				  const struct sg_slot *slot)
{
	if (!a)
		return SG_REFUSE;
	return sg_none(a, dst, hook, why, 1, slot);
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

/*
 * A socket's creator record @s (sg_sk_subj) as the subject @slot gives the
 * decision; no record: the unknown subject, which no uid or gid atom matches.
 */
static __always_inline void sg_slot_give(struct sg_slot *slot, const struct sg_sk_subject *s)
{
	struct sg_query *q = &slot->q;

	if (s) {
		q->uid = s->uid;
		q->gid = s->gid;
		q->exe_dev = s->exe_dev;
		q->exe_ino = s->exe_ino;
		slot->given_pid = s->pid;
		__builtin_memcpy(slot->given_comm, s->comm, SG_COMM_LEN);
	} else {
		q->uid = SG_SUBJ_UNKNOWN;
		q->gid = SG_SUBJ_UNKNOWN;
		slot->given_pid = 0;
		__builtin_memset(slot->given_comm, 0, SG_COMM_LEN);
	}
}

/*
 * The subject of an MPTCP subflow's connect, into @slot as the packet-level
 * program gives its subject: the owner recorded on the MPTCP socket at
 * socket() (unknown without a record), and the cgroup the MPTCP socket was
 * created in, which its subflows inherit. Not the current task: the path
 * manager connects additional subflows from a kworker (or the netlink
 * caller). 1 when @sk is a subflow, 0 for any other socket.
 */
static __noinline int sg_mptcp_subject(struct bpf_sock *sk, struct sg_slot *slot)
{
	const struct sg_sk_subject *s;
	struct sg_query *q;
	struct mptcp_sock *msk;
	struct cgroup *cgrp, *anc;
	int level;
	__u32 L;

	if (!sk || !slot)
		return 0;
	msk = bpf_skc_to_mptcp_sock(sk);
	if (!msk)
		return 0;
	q = &slot->q;
	s = bpf_sk_storage_get(&sg_sk_subj, msk, 0, 0);
	sg_slot_give(slot, s);
	cgrp = BPF_CORE_READ((struct sock *)msk, sk_cgrp_data.cgroup);
	level = BPF_CORE_READ(cgrp, level);
	slot->given_cg = BPF_CORE_READ(cgrp, kn, id);
#pragma clang loop unroll(full)
	for (L = 0; L < SG_CGROUP_LEVELS; L++) {
		anc = NULL;
		if ((int)L <= level)
			bpf_core_read(&anc, sizeof(anc), &cgrp->ancestors[L]);
		q->cgroup[L] = anc ? BPF_CORE_READ(anc, kn, id) : 0;
	}
	slot->given = 1;
	return 1;
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
	q->protocol = sg_wire_proto(ctx->protocol);
	q->family = family;
	__builtin_memcpy(q->addr, addr, 16);
	sg_obs_answer(slot, NULL);
	/* TCP only: an MPTCP subflow is a TCP socket; the rest pay this test alone */
	if (ctx->protocol == SG_IPPROTO_TCP && sg_mptcp_subject(ctx->sk, slot)) {
		ret = sg_decide_in_skb(slot, hook);
		if (ret == SG_FAILED)
			ret = sg_decide_none_skb((const struct sg_addr *)addr,
						 SG_DST(bpf_ntohs(ctx->user_port), family,
							ctx->protocol),
						 hook, 0, slot);
		slot->given = 0;
	} else {
		ret = sg_decide_in(slot, hook);
	}
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
	q->protocol = sg_wire_proto(protocol);
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

/*
 * The packet-level backstop (cgroup_skb/egress): what the socket hooks do
 * not decide. include/sovguard_egress.h says what it decides; docs/design.md
 * ("Routes") says why. The subject comes from sg_sk_subj (defined above),
 * recorded at socket creation (cgroup/sock_create, below): a cgroup_skb
 * program may run in softirq or for another task, and has no helper about
 * the current task on the kernels sovguard supports.
 */

#define SG_ETH_P_IP		0x0800
#define SG_ETH_P_IPV6		0x86DD
#define SG_SOCK_STREAM		1
#define SG_SOCK_DGRAM		2
#define SG_SOCK_RAW		3
#define SG_ICMP_ECHO		8
#define SG_ICMPV6_ECHO		128
#define SG_NEXTHDR_HOP		0
#define SG_NEXTHDR_ROUTING	43
#define SG_NEXTHDR_FRAGMENT	44
#define SG_NEXTHDR_AUTH		51
#define SG_NEXTHDR_DEST		60
#define SG_V6_EXT_MAX		8	/* extension headers walked; more: refused */

/* The subject of the packet's socket, into @slot: its record, or unknown. */
static __noinline int sg_skb_subject(struct __sk_buff *skb, struct sg_slot *slot)
{
	const struct sg_sk_subject *s = NULL;
	struct sg_query *q;
	struct bpf_sock *sk;
	__u32 L;

	if (!slot)
		return 0;
	q = &slot->q;
	sk = skb->sk;
	if (sk)
		sk = bpf_sk_fullsock(sk);
	if (sk)
		s = bpf_sk_storage_get(&sg_sk_subj, sk, 0, 0);
	sg_slot_give(slot, s);
	slot->given = 1;
	slot->given_cg = bpf_skb_cgroup_id(skb);
#pragma clang loop unroll(full)
	for (L = 0; L < SG_CGROUP_LEVELS; L++)
		q->cgroup[L] = bpf_skb_ancestor_cgroup_id(skb, L);
	return 0;
}

/* The packet's protocol, port and the family, for sg_skb_hop(). */
#define SG_PKT(family, protocol, port) ((__u32)(port) << 16 | (family) << 8 | (protocol))

/* No work slot free anywhere: the fail verdict for the address at @off. */
static __noinline int sg_skb_nowork(struct __sk_buff *skb, __u32 off, __u32 fpp)
{
	struct sg_addr a = {};
	int ret;

	bpf_skb_load_bytes(skb, off, a.w, ((fpp >> 8) & 0xff) == SG_AF_INET ? 4 : 16);
	ret = sg_decide_none_skb(&a, SG_DST(fpp >> 16, (fpp >> 8) & 0xff, fpp & 0xff),
				 SG_HOOK_SKB_EGRESS, SG_CNT_NO_WORK, NULL);
	return ret == SG_ALLOW ? SG_ALLOW : SG_REFUSE;
}

/*
 * Decide the address at byte @off of the packet as a destination of
 * SG_PKT @fpp, for the socket's recorded subject (unknown without one).
 */
__noinline int sg_skb_hop(struct __sk_buff *skb, __u32 off, __u32 fpp)
{
	struct sg_slot *slot;
	__u64 *busy = NULL, bit = 0;
	__u32 fail, *w;
	int ret;

	if (sg_cfg(&fail) == SG_MODE_OFF) {
		sg_count(SG_CNT_ALLOW);
		return SG_ALLOW;
	}
	slot = sg_slot_claim(&busy, &bit);
	if (!slot || !busy)
		return sg_skb_nowork(skb, off, fpp);
	/* The address straight into the query: no copy of it on this frame. */
	__builtin_memset(&slot->q, 0, offsetof(struct sg_query, cgroup));
	w = (__u32 *)slot->q.addr;
	ret = SG_FAILED + 1;
	if (((fpp >> 8) & 0xff) == SG_AF_INET) {
		if (bpf_skb_load_bytes(skb, off, slot->q.addr, 4))
			ret = SG_REFUSE;
		else if ((bpf_ntohl(w[0]) >> 24) == 127)
			ret = SG_ALLOW;
	} else {
		if (bpf_skb_load_bytes(skb, off, slot->q.addr, 16))
			ret = SG_REFUSE;
		else if (!w[0] && !w[1] &&
			 ((!w[2] && w[3] == bpf_htonl(1)) ||
			  (w[2] == bpf_htonl(0xffff) && (bpf_ntohl(w[3]) >> 24) == 127)))
			ret = SG_ALLOW;
	}
	if (ret == SG_ALLOW)
		sg_count(SG_CNT_LOOPBACK);
	if (ret == SG_FAILED + 1) {
		slot->q.port = fpp >> 16;
		slot->q.protocol = sg_wire_proto(fpp & 0xff);
		slot->q.family = (fpp >> 8) & 0xff;
		sg_skb_subject(skb, slot);
		ret = sg_decide_in_skb(slot, SG_HOOK_SKB_EGRESS);
		if (ret == SG_FAILED)
			ret = sg_decide_none_skb((const struct sg_addr *)slot->q.addr,
						 SG_DST(fpp >> 16, (fpp >> 8) & 0xff, fpp & 0xff),
						 SG_HOOK_SKB_EGRESS, 0, slot);
		slot->given = 0;
	}
	__sync_fetch_and_and(busy, ~bit);
	return ret == SG_REFUSE ? SG_REFUSE : SG_ALLOW;
}

/*
 * What a packet's headers say, for the decisions, in one register (the
 * program's own frame stays empty: the decision's frames leave little of
 * the stack): SG_PKT() of the destination in bits 0-31, the offset of a
 * source route's first address in 32-43 and its number of addresses in
 * 44-49, and two flags.
 */
#define SG_PI_HOPS(off, n)	((__u64)((off) & 0xfff) << 32 | (__u64)((n) > 63 ? 63 : (n)) << 44)
#define SG_PI_PASS		(1ULL << 50)	/* passes undecided */
#define SG_PI_REFUSE		(1ULL << 51)	/* refused without a decision */

/* The IPv6 extension headers walked by sg_skb_v6_walk(). */
struct sg_v6_walk {
	__u32 off;		/* the next header's offset */
	__u32 next;		/* its type */
	__u32 rh;		/* the routing header's offset; 0: none */
	__u32 first_frag;	/* 0: a fragment that is not the first */
	__u32 bad;		/* too many headers, or unreadable */
};

static __always_inline void sg_skb_v6_walk(struct __sk_buff *skb, struct sg_v6_walk *w)
{
	__u8 b[4];
	__u32 k;

	for (k = 0; k < SG_V6_EXT_MAX; k++) {
		if (w->next != SG_NEXTHDR_HOP && w->next != SG_NEXTHDR_ROUTING &&
		    w->next != SG_NEXTHDR_FRAGMENT && w->next != SG_NEXTHDR_DEST &&
		    w->next != SG_NEXTHDR_AUTH)
			return;
		if (w->off > 2048 || bpf_skb_load_bytes(skb, w->off, b, 4)) {
			w->bad = 1;
			return;
		}
		if (w->next == SG_NEXTHDR_ROUTING) {
			if (w->rh) {
				w->bad = 1;	/* two routing headers */
				return;
			}
			w->rh = w->off;
		}
		if (w->next == SG_NEXTHDR_FRAGMENT)
			w->first_frag = !((b[2] << 8 | b[3]) & 0xfff8);
		w->off += w->next == SG_NEXTHDR_FRAGMENT ? 8 :
			  w->next == SG_NEXTHDR_AUTH	 ? (b[1] + 2) * 4 :
							   (b[1] + 1) * 8;
		w->next = b[0];
	}
	w->bad = 1;
}

/*
 * The destination port of a TCP, UDP or UDP-Lite header at @l4 (0 for
 * other protocols and for a fragment that is not the first), and in *type
 * the first byte there (an ICMP message's type).
 */
static __always_inline __u32 sg_skb_port(struct __sk_buff *skb, __u32 l4, __u32 protocol,
					 bool first_frag, __u32 *type)
{
	__u8 b[4] = {};

	*type = 0xff;
	if (!first_frag || bpf_skb_load_bytes(skb, l4, b, 4))
		return 0;
	*type = b[0];
	if (protocol != SG_IPPROTO_TCP && protocol != SG_IPPROTO_UDP &&
	    protocol != SG_IPPROTO_UDPLITE)
		return 0;
	return (__u32)b[2] << 8 | b[3];
}

/*
 * A socket nobody recorded (a kernel control socket, or one created before
 * the programs were attached) sending what the kernel's own ICMP and TCP
 * control sockets send for inbound traffic: an ICMP error or echo reply, a
 * TCP reset. It passes undecided.
 */
static __always_inline bool sg_skb_kernel_reply(struct bpf_sock *sk, __u32 protocol, __u32 type)
{
	if (sk->type != SG_SOCK_RAW || bpf_sk_storage_get(&sg_sk_subj, sk, 0, 0))
		return false;
	return protocol == SG_IPPROTO_TCP ||
	       (protocol == SG_IPPROTO_ICMP && type != SG_ICMP_ECHO) ||
	       (protocol == SG_IPPROTO_ICMPV6 && type != SG_ICMPV6_ECHO);
}

/*
 * Read the packet's headers into @pi: the destination, its protocol and
 * port, and where a source route's addresses are (IPv4 LSRR/SSRR option:
 * the hops still to go, then the destination; IPv6 routing header of type
 * 0, 2 or 4: its addresses). A frame of its own, beside the decisions
 * rather than under them: the decision's frames leave little of the stack.
 */
static __noinline __u64 sg_skb_parse(struct __sk_buff *skb, struct bpf_sock *sk)
{
	__u32 ihl, protocol, port, type, n, eth;
	__u64 pi;
	__u8 h[10];

	if (!sk)
		return SG_PI_PASS;
	eth = skb->protocol;
	if (eth == bpf_htons(SG_ETH_P_IP)) {
		struct sg_ipopt_walk w = {};

		if (bpf_skb_load_bytes(skb, 0, h, 10))
			return SG_PI_PASS;	/* no IPv4 header: nothing the kernel sends */
		ihl = (h[0] & 15) * 4;
		if (ihl < 20)
			ihl = 20;
		protocol = h[9];
		port = sg_skb_port(skb, ihl, protocol, !((h[6] & 0x1f) | h[7]), &type);
		if (sg_skb_kernel_reply(sk, protocol, type))
			return SG_PI_PASS;
		pi = SG_PKT(SG_AF_INET, protocol, port);
		n = ihl - 20;
		if (!n || n > SG_IPOPT_MAX)
			return pi;
		if (bpf_skb_load_bytes(skb, 20, w.buf, n))
			return SG_PI_REFUSE;
		w.len = n;
		bpf_loop(SG_IPOPT_MAX, sg_ipopt_cb, &w, 0);
		if (!w.srr || w.srr > SG_IPOPT_MAX || w.srr_len < 3)
			return pi;
		return pi | SG_PI_HOPS(20 + w.srr - 1 + 3, (w.srr_len - 3) / 4);
	}
	if (eth == bpf_htons(SG_ETH_P_IPV6)) {
		struct sg_v6_walk w = { .off = 40, .first_frag = 1 };

		if (bpf_skb_load_bytes(skb, 6, h, 1))
			return SG_PI_PASS;
		w.next = h[0];
		sg_skb_v6_walk(skb, &w);
		if (w.bad)
			return SG_PI_REFUSE;
		port = sg_skb_port(skb, w.off, w.next, w.first_frag, &type);
		if (sg_skb_kernel_reply(sk, w.next, type))
			return SG_PI_PASS;
		pi = SG_PKT(SG_AF_INET6, w.next, port);
		if (!w.rh)
			return pi;
		if (bpf_skb_load_bytes(skb, w.rh, h, 8))
			return SG_PI_REFUSE;
		/* type 0 (deprecated), 2 (home address), 4 (segment routing) */
		if (h[2] != 0 && h[2] != 2 && h[2] != 4)
			return SG_PI_REFUSE;
		n = h[1] / 2;
		if (h[2] == 4 && h[4] + 1 < n)
			n = h[4] + 1;	/* segments, then TLVs */
		if (w.rh + 8 > 0xfff)
			return SG_PI_REFUSE;
		return pi | SG_PI_HOPS(w.rh + 8, n);
	}
	return SG_PI_PASS;
}

/* A packet without IPv4 options or IPv6 extension headers: 1. */
static __noinline int sg_skb_plain(struct __sk_buff *skb, __u32 eth)
{
	__u8 b = 0;

	if (eth == bpf_htons(SG_ETH_P_IP))
		return !bpf_skb_load_bytes(skb, 0, &b, 1) && b == 0x45;
	if (eth == bpf_htons(SG_ETH_P_IPV6))
		return !bpf_skb_load_bytes(skb, 6, &b, 1) && b == SG_IPPROTO_UDP;
	return 0;
}

SEC("cgroup_skb/egress")
int sg_skb_egress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	__u32 k, fp, nhops, hops, step, eth = skb->protocol;
	__u64 pi;

	if (!sk)
		return SG_ALLOW;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return SG_ALLOW;
	/* the connect hooks decided it (IP options: cgroup/setsockopt) */
	if (sk->protocol == SG_IPPROTO_TCP && sk->type == SG_SOCK_STREAM)
		return SG_ALLOW;
	/* UDP without IPv4 options or IPv6 extension headers: sendmsg and connect decided it */
	if (sk->protocol == SG_IPPROTO_UDP && sk->type != SG_SOCK_RAW && sg_skb_plain(skb, eth))
		return SG_ALLOW;
	pi = sg_skb_parse(skb, sk);
	if (pi & SG_PI_PASS)
		return SG_ALLOW;
	nhops = (pi >> 44) & 63;
	if ((pi & SG_PI_REFUSE) || nhops > SG_ROUTE_HOPS_MAX) {
		sg_count(SG_CNT_DENY);
		return SG_REFUSE;
	}
	fp = (__u32)pi;
	step = ((fp >> 8) & 0xff) == SG_AF_INET ? 4 : 16;
	if (sg_skb_hop(skb, step == 4 ? 16 : 24, fp) == SG_REFUSE)
		return SG_REFUSE;
	/* a hop is a destination on port 0, as cgroup/setsockopt decides it */
	hops = (pi >> 32) & 0xfff;
	for (k = 0; k < SG_ROUTE_HOPS_MAX; k++) {
		if (k >= nhops)
			break;
		if (sg_skb_hop(skb, hops + k * step, fp & 0xffff) == SG_REFUSE)
			return SG_REFUSE;
	}
	return SG_ALLOW;
}

/*
 * Creation of a raw or ping socket, decided by the socket rules (`deny
 * socket raw`) as a query of its own (include/sovguard_egress.h): EPERM to
 * socket() when one refuses it.
 */
static __noinline int sg_socket_decide(__u32 kind)
{
	struct sg_addr a = {};
	struct sg_slot *slot;
	__u64 *busy = NULL, bit = 0;
	__u32 fail;
	int ret;

	if (sg_cfg(&fail) == SG_MODE_OFF)
		return SG_ALLOW;
	slot = sg_slot_claim(&busy, &bit);
	if (!slot || !busy) {
		ret = sg_decide_none(&a, SG_DST(kind, SG_AF_INET, SG_IPPROTO_SOCKET),
				     SG_HOOK_SOCK_CREATE, SG_CNT_NO_WORK);
		return ret == SG_ALLOW ? SG_ALLOW : SG_REFUSE;
	}
	__builtin_memset(&slot->q, 0, offsetof(struct sg_query, cgroup));
	slot->q.port = kind;
	slot->q.protocol = SG_IPPROTO_SOCKET;
	slot->q.family = SG_AF_INET;
	ret = sg_decide_in(slot, SG_HOOK_SOCK_CREATE);
	if (ret == SG_FAILED)
		ret = sg_decide_none(&a, SG_DST(kind, SG_AF_INET, SG_IPPROTO_SOCKET),
				     SG_HOOK_SOCK_CREATE, 0);
	__sync_fetch_and_and(busy, ~bit);
	return ret == SG_REFUSE ? SG_REFUSE : SG_ALLOW;
}

/*
 * Who creates a socket: recorded for the packet-level decision and, on an
 * MPTCP socket (protocol IPPROTO_MPTCP here, its subflows are kernel
 * sockets this hook does not see), for the connects of its subflows. TCP
 * stream sockets are left out: their packets pass it at once. Raw and ping
 * sockets are decided first (sg_socket_decide()).
 */
SEC("cgroup/sock_create")
int sg_sock_create(struct bpf_sock *sk)
{
	struct task_struct *task;
	struct sg_sk_subject *s;
	struct inode *inode;
	__u32 kind = 0;
	__u64 ugid;

	if (sk->protocol == SG_IPPROTO_TCP && sk->type == SG_SOCK_STREAM)
		return SG_ALLOW;
	if (sk->type == SG_SOCK_RAW)
		kind = SG_SOCKET_RAW;
	else if (sk->type == SG_SOCK_DGRAM &&
		 (sk->protocol == SG_IPPROTO_ICMP || sk->protocol == SG_IPPROTO_ICMPV6))
		kind = SG_SOCKET_PING;
	if (kind && sg_socket_decide(kind) == SG_REFUSE)
		return SG_REFUSE;
	s = bpf_sk_storage_get(&sg_sk_subj, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!s)
		return SG_ALLOW;
	ugid = bpf_get_current_uid_gid();
	s->uid = (__u32)ugid;
	s->gid = ugid >> 32;
	s->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	task = (struct task_struct *)bpf_get_current_task();
	inode = BPF_CORE_READ(task, mm, exe_file, f_inode);
	s->exe_ino = BPF_CORE_READ(inode, i_ino);
	s->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	return SG_ALLOW;
}
