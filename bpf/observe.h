/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Observation, the part the egress programs run inline on their decision
 * path, and the maps both objects share by pinned name
 * (include/sovguard_egress.h, "Observation"). Include after vmlinux.h, the
 * libbpf helpers and sovguard_egress.h.
 *
 * A decision reads sg_obs_config once; with observation off that is all.
 * With it on, the socket's state (sg_obs_sk) gets the subject and the
 * decision, and a CONNECT record goes out unless the TCP state tracepoint
 * will send it with the source end (a TCP connect that goes ahead), the
 * pair was reported within the window (sg_obs_flows), or the socket already
 * reported this destination (an unconnected UDP send: the sends are counted
 * and reported with the flow's end).
 */
#ifndef SG_OBSERVE_H
#define SG_OBSERVE_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SG_OBS_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_obs_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sg_obs_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_obs_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SG_OBS_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_obs_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sg_obs_sock);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_obs_sk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_OBS_FLOWS_MAX);
	__type(key, struct sg_obs_flow_key);
	__type(value, struct sg_obs_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_obs_flows SEC(".maps");

#define SG_OBS_AF_INET		2
#define SG_OBS_AF_INET6		10
#define SG_OBS_TCP		6
#define SG_OBS_UDP		17

static __always_inline void sg_obs_count(__u32 kind, __u32 what)
{
	__u32 idx = SG_OBS_CNT(kind, what);
	__u64 *val = bpf_map_lookup_elem(&sg_obs_counters, &idx);

	if (val)
		*val += 1;
}

static __always_inline struct sg_obs_config *sg_obs_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sg_obs_config, &zero);
}

/* The kinds that are on (0: observation off). */
static __always_inline __u32 sg_obs_kinds(void)
{
	struct sg_obs_config *c = sg_obs_cfg();

	return c ? c->kinds : 0;
}

/* A record of @size for @kind, or NULL (lost, counted). */
static __always_inline void *sg_obs_reserve(__u32 kind, __u32 size, __u16 flags)
{
	struct sg_obs_hdr *h = bpf_ringbuf_reserve(&sg_obs_events, size, 0);

	if (!h) {
		sg_obs_count(kind, SG_OBS_DROPPED);
		return NULL;
	}
	h->kind = kind;
	h->size = size;
	h->version = SG_OBS_VERSION;
	h->pad = 0;
	h->flags = flags;
	h->ts_ns = bpf_ktime_get_ns();
	return h;
}

/*
 * Submit without waking the reader, unless the unread data has grown past
 * the configured threshold: the daemon's timer drains the rest.
 */
static __always_inline void sg_obs_submit(void *rec, __u32 kind)
{
	__u32 zero = 0;
	struct sg_obs_config *c = bpf_map_lookup_elem(&sg_obs_config, &zero);
	__u64 avail = bpf_ringbuf_query(&sg_obs_events, BPF_RB_AVAIL_DATA);

	sg_obs_count(kind, SG_OBS_SUBMITTED);
	bpf_ringbuf_submit(rec, c && avail >= c->wakeup_bytes ? BPF_RB_FORCE_WAKEUP :
								 BPF_RB_NO_WAKEUP);
}

/* The calling task, in a program that has one. */
static __always_inline void sg_obs_subject_fill(struct sg_obs_subject *s)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct inode *inode = BPF_CORE_READ(task, mm, exe_file, f_inode);
	__u64 id = bpf_get_current_pid_tgid();

	s->cgroup_id = bpf_get_current_cgroup_id();
	s->exe_ino = BPF_CORE_READ(inode, i_ino);
	s->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	s->pid = (__u32)id;
	s->tgid = id >> 32;
	s->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(s->comm, sizeof(s->comm));
}

static __always_inline bool sg_obs_same_addr(const __u8 *a, const __u32 *b)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == b[0] && w[1] == b[1] && w[2] == b[2] && w[3] == b[3];
}

static __always_inline void sg_obs_connect_emit(const struct sg_obs_sock *st, __u64 cookie,
						__u16 flags)
{
	struct sg_obs_connect *r;

	r = sg_obs_reserve(SG_OBS_CONNECT, sizeof(*r), flags);
	if (!r)
		return;
	r->subj = st->subj;
	r->t = st->t;
	r->cookie = cookie;
	r->rule = st->rule;
	r->generation = st->generation;
	r->verdict = st->verdict;
	r->hook = st->hook;
	r->mode = st->mode;
	r->pad = 0;
	r->repeats = st->repeats;
	sg_obs_submit(r, SG_OBS_CONNECT);
}

/* The end of a UDP flow: the sends decided for the socket's destination. */
static __always_inline void sg_obs_udp_end(const struct sg_obs_sock *st, __u64 cookie)
{
	struct sg_obs_flow_end *r;

	if (!(sg_obs_kinds() & (1u << SG_OBS_FLOW_END)))
		return;
	r = sg_obs_reserve(SG_OBS_FLOW_END, sizeof(*r), SG_OBS_F_NO_BYTES);
	if (!r)
		return;
	r->subj = st->subj;
	r->t = st->t;
	r->cookie = cookie;
	r->bytes_sent = 0;
	r->bytes_received = 0;
	r->sends = st->sends;
	r->start_ns = st->start_ns;
	sg_obs_submit(r, SG_OBS_FLOW_END);
}

/* sg_obs_decided()'s @how: what fits in one argument. */
#define SG_OBS_HOW(hook, family, verdict, mode)                                                    \
	((__u32)(hook) | (__u32)(family) << 8 | (__u32)(verdict) << 16 | (__u32)(mode) << 24)

/*
 * Observe one decision of a connect or sendmsg hook: @addr is the
 * destination (network order, IPv4 in the first word), @how packs hook,
 * family, the verdict as applied and the mode (SG_OBS_HOW), @generation is
 * 0 for a destination decided without the policy (loopback). A function of
 * its own: its stack does not add to the decision's.
 */
static __noinline int sg_obs_decided(struct bpf_sock_addr *ctx, const __u32 *addr, __u32 how,
				     __u32 rule, __u32 generation)
{
	struct bpf_sock *sk = ctx->sk;
	struct sg_obs_config *cfg = sg_obs_cfg();
	struct sg_obs_flow_key key;
	struct sg_obs_flow *f = NULL;
	struct sg_obs_sock *st;
	__u8 hook = how & 0xff, family = (how >> 8) & 0xff, verdict = (how >> 16) & 0xff;
	__u16 port = bpf_ntohs(ctx->user_port);
	bool sendmsg = hook == SG_HOOK_SENDMSG4 || hook == SG_HOOK_SENDMSG6;
	bool tcp = ctx->protocol == SG_OBS_TCP;
	__u64 cookie, now = 0, window = 0;

	if (!cfg || !(cfg->kinds & (1u << SG_OBS_CONNECT)) || !sk)
		return 0;
	if (tcp && cfg->flow_window_ms) {
		/* A pair reported within the window: counted, nothing more. */
		__builtin_memcpy(key.daddr, addr, 16);
		key.cgroup_id = bpf_get_current_cgroup_id();
		key.tgid = bpf_get_current_pid_tgid() >> 32;
		key.dport = port;
		key.family = family;
		key.verdict = verdict;
		window = cfg->flow_window_ms * 1000000ULL;
		now = bpf_ktime_get_ns();
		f = bpf_map_lookup_elem(&sg_obs_flows, &key);
		if (f) {
			__sync_fetch_and_add(&f->connects, 1);
			f->last_ns = now;
			if (now - f->reported_ns < window)
				return 0;
		}
	}
	st = bpf_sk_storage_get(&sg_obs_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		sg_obs_count(SG_OBS_CONNECT, SG_OBS_NO_STATE);
		return 0;
	}
	if (sendmsg && (st->flags & SG_OBS_SK_REPORTED) && st->t.dport == port &&
	    sg_obs_same_addr(st->t.daddr, addr)) {
		st->sends++;
		return 0;
	}
	if (sendmsg && (st->flags & SG_OBS_SK_REPORTED) && st->t.protocol == SG_OBS_UDP)
		sg_obs_udp_end(st, bpf_get_socket_cookie(ctx));	/* the sends so far */
	sg_obs_subject_fill(&st->subj);
	__builtin_memcpy(st->t.daddr, addr, 16);
	__builtin_memset(st->t.saddr, 0, 16);
	st->t.dport = port;
	st->t.sport = 0;
	st->t.family = family;
	st->t.protocol = ctx->protocol;
	st->t.pad = 0;
	st->start_ns = bpf_ktime_get_ns();
	st->sends = 1;
	st->rule = rule;
	st->generation = generation;
	st->verdict = verdict;
	st->hook = hook;
	st->mode = how >> 24;
	st->repeats = 0;
	if (f) {
		/* this connection is reported, the ones before it counted */
		__u64 c = f->connects;

		st->repeats = c - 1 - f->reported;
		f->reported = c;
		f->reported_ns = now;
	} else if (window) {
		struct sg_obs_flow n = {
			.subj = st->subj,
			.first_ns = now,
			.last_ns = now,
			.reported_ns = now,
			.connects = 1,
			.reported = 1,
		};

		/* full: no aggregation for this pair, nothing lost */
		bpf_map_update_elem(&sg_obs_flows, &key, &n, BPF_NOEXIST);
	}
	cookie = bpf_get_socket_cookie(ctx);
	if (ctx->protocol == SG_OBS_TCP && verdict != SG_VERDICT_DENY) {
		/* reported at ESTABLISHED, with the source end */
		st->flags = SG_OBS_SK_PENDING;
		return 0;
	}
	if (sk->src_port) {
		st->t.sport = sk->src_port;
		if (family == SG_OBS_AF_INET) {
			__u32 a = sk->src_ip4;

			__builtin_memcpy(st->t.saddr, &a, 4);
		}
	}
	st->flags = verdict != SG_VERDICT_DENY ? SG_OBS_SK_REPORTED : 0;
	sg_obs_connect_emit(st, cookie, sendmsg ? SG_OBS_F_SENDMSG : 0);
	return 0;
}

/* A loopback destination, allowed without the policy. */
static __always_inline void sg_obs_loopback(struct bpf_sock_addr *ctx, __u8 hook, __u8 family,
					    const __u32 *addr)
{
	sg_obs_decided(ctx, addr, SG_OBS_HOW(hook, family, SG_VERDICT_ALLOW, SG_MODE_ENFORCE),
		       SG_RULE_DEFAULT, 0);
}

/* Keep the decision's answer in its slot (@ans NULL: none yet). */
static __always_inline void sg_obs_answer(struct sg_slot *slot, const struct sg_answer *ans)
{
	slot->obs_rule = ans ? ans->rule : SG_RULE_DEFAULT;
	slot->obs_generation = ans ? ans->generation : 0;
	slot->obs_verdict = ans ? ans->verdict : SG_VERDICT_ALLOW;
}

/* Observe the decision kept in @slot; @refused: the caller gets EPERM. */
static __always_inline void sg_obs_slot(struct bpf_sock_addr *ctx, __u8 hook, __u8 family,
					const __u32 *addr, const struct sg_slot *slot, __u32 mode,
					bool refused)
{
	__u32 v = refused ? SG_VERDICT_DENY :
		  slot->obs_verdict != SG_VERDICT_ALLOW ? SG_VERDICT_AUDIT : SG_VERDICT_ALLOW;

	sg_obs_decided(ctx, addr, SG_OBS_HOW(hook, family, v, mode), slot->obs_rule,
		       slot->obs_generation);
}

#endif
