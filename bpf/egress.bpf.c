// SPDX-License-Identifier: GPL-2.0
/*
 * sovguard egress decisions at cgroup connect and sendmsg.
 *
 * Every outbound TCP connect, connected-UDP connect and unconnected UDP
 * sendmsg from the attached cgroup subtree is looked up in the deny tables;
 * the program returns 0 (the caller sees EPERM) for a deny in enforce mode
 * and 1 otherwise. Map layout and semantics: include/sovguard_egress.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sovguard_egress.h"

#define AF_INET		2
#define AF_INET6	10

#define SG_ALLOW	1
#define SG_REFUSE	0

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SG_DENY_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sg_lpm4_key);
	__type(value, struct sg_match);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_deny4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SG_DENY_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sg_lpm6_key);
	__type(value, struct sg_match);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_deny6 SEC(".maps");

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

static __always_inline void sg_count(__u32 idx)
{
	__u64 *val = bpf_map_lookup_elem(&sg_counters, &idx);

	if (val)
		*val += 1;
}

/* A decision's input, independent of the hook that produced it. */
struct sg_flow {
	__u8 addr[16];
	__u16 port;
	__u8 family;
	__u8 protocol;
	__u8 hook;
};

static __always_inline const struct sg_match *sg_lookup(const struct sg_flow *flow)
{
	if (flow->family == AF_INET) {
		struct sg_lpm4_key k4 = { .prefixlen = 32 };

		__builtin_memcpy(k4.addr, flow->addr, 4);
		return bpf_map_lookup_elem(&sg_deny4, &k4);
	} else {
		struct sg_lpm6_key k6 = { .prefixlen = 128 };

		__builtin_memcpy(k6.addr, flow->addr, 16);
		return bpf_map_lookup_elem(&sg_deny6, &k6);
	}
}

static __always_inline void sg_report(const struct sg_flow *flow, const struct sg_config *cfg,
				      __u32 rule_id, __u8 verdict)
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
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->rule_id = rule_id;
	ev->generation = cfg->generation;
	ev->port = flow->port;
	ev->hook = flow->hook;
	ev->verdict = verdict;
	ev->family = flow->family;
	ev->protocol = flow->protocol;
	ev->mode = cfg->mode;
	ev->pad = 0;
	__builtin_memcpy(ev->addr, flow->addr, 16);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
}

/*
 * sg_decide() - the verdict for one flow; shared by every hook.
 *
 * Return: SG_ALLOW or SG_REFUSE, the sock_addr program return value.
 */
static __always_inline int sg_decide(const struct sg_flow *flow)
{
	const struct sg_match *m;
	struct sg_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&sg_config, &zero);
	if (!cfg || cfg->mode == SG_MODE_OFF) {
		sg_count(SG_CNT_ALLOW);
		return SG_ALLOW;
	}

	m = sg_lookup(flow);
	if (!m || m->verdict == SG_VERDICT_ALLOW) {
		sg_count(SG_CNT_ALLOW);
		return SG_ALLOW;
	}
	if (m->verdict == SG_VERDICT_AUDIT) {
		sg_count(SG_CNT_AUDIT);
		sg_report(flow, cfg, m->rule_id, SG_VERDICT_AUDIT);
		return SG_ALLOW;
	}
	if (cfg->mode == SG_MODE_AUDIT) {
		sg_count(SG_CNT_WOULD_DENY);
		sg_report(flow, cfg, m->rule_id, SG_VERDICT_AUDIT);
		return SG_ALLOW;
	}
	sg_count(SG_CNT_DENY);
	sg_report(flow, cfg, m->rule_id, SG_VERDICT_DENY);
	return SG_REFUSE;
}

static __always_inline int sg_decide4(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct sg_flow flow = {
		.family = AF_INET,
		.hook = hook,
	};
	__u32 ip = ctx->user_ip4;

	__builtin_memcpy(flow.addr, &ip, 4);
	flow.port = bpf_ntohs(ctx->user_port);
	flow.protocol = ctx->protocol;
	return sg_decide(&flow);
}

static __always_inline int sg_decide6(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct sg_flow flow = {
		.hook = hook,
	};
	__u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1];
	__u32 w2 = ctx->user_ip6[2], w3 = ctx->user_ip6[3];

	flow.port = bpf_ntohs(ctx->user_port);
	flow.protocol = ctx->protocol;
	/* ::ffff:a.b.c.d is an IPv4 destination and follows IPv4 policy. */
	if (w0 == 0 && w1 == 0 && w2 == bpf_htonl(0x0000ffff)) {
		flow.family = AF_INET;
		__builtin_memcpy(flow.addr, &w3, 4);
	} else {
		flow.family = AF_INET6;
		__builtin_memcpy(flow.addr, &w0, 4);
		__builtin_memcpy(flow.addr + 4, &w1, 4);
		__builtin_memcpy(flow.addr + 8, &w2, 4);
		__builtin_memcpy(flow.addr + 12, &w3, 4);
	}
	return sg_decide(&flow);
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
