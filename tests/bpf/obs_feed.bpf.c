// SPDX-License-Identifier: GPL-2.0
/*
 * Observation records at a rate no loopback connect loop reaches: each run
 * (BPF_PROG_TEST_RUN of a tc program, `repeat` times a call) makes one
 * record with bpf/observe.h's own reserve and submit, into the pinned
 * sg_obs_events the daemon's reader drains. Every fifth record is a DNS
 * answer (the "packet" is its message), the others are TCP connections,
 * each a CONNECT followed by its FLOW_END (same cookie), two to each
 * destination the answer before them names (feed_dests of them in
 * 45.0.0.0/8). Used by the detector benchmark
 * (tests/bench/bench_detector.c); counts what it made in sg_feed_made.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "sovguard_egress.h"
#include "observe.h"

char LICENSE[] SEC("license") = "GPL";

#define FEED_DNS_COPY	128	/* packet bytes copied: the message and padding */

const volatile __u64 feed_cgroup_id;
const volatile __u64 feed_exe_ino;
const volatile __u32 feed_exe_dev;
const volatile __u32 feed_tgid;
const volatile __u32 feed_dests = 100000;
const volatile __u16 feed_dns_len;
const volatile __u16 feed_dns_addr_off;	/* the A record's address in the message */

/* Per CPU: records attempted (the sequence). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sg_feed_made SEC(".maps");

static __always_inline void feed_subject(struct sg_obs_subject *s)
{
	__builtin_memset(s, 0, sizeof(*s));
	s->cgroup_id = feed_cgroup_id;
	s->exe_ino = feed_exe_ino;
	s->exe_dev = feed_exe_dev;
	s->pid = feed_tgid;
	s->tgid = feed_tgid;
	__builtin_memcpy(s->comm, "sg-feed", 8);
}

static __always_inline void feed_tuple(struct sg_obs_tuple *t, __u64 conn)
{
	__u32 daddr = bpf_htonl(0x2d000000 | (__u32)(conn / 2 % feed_dests));
	__u32 saddr = bpf_htonl(0x0a000001);

	__builtin_memset(t, 0, sizeof(*t));
	__builtin_memcpy(t->saddr, &saddr, 4);
	__builtin_memcpy(t->daddr, &daddr, 4);
	t->sport = 40000 + (conn & 0x3fff);
	t->dport = 443;
	t->family = SG_OBS_AF_INET;
	t->protocol = SG_OBS_TCP;
}

static __always_inline int feed_connect(__u64 conn)
{
	struct sg_obs_connect *r = sg_obs_reserve(SG_OBS_CONNECT, sizeof(*r), 0);

	if (!r)
		return 0;
	feed_subject(&r->subj);
	feed_tuple(&r->t, conn);
	r->cookie = conn + 1;
	r->rule = SG_RULE_DEFAULT;
	r->generation = 1;
	r->verdict = SG_VERDICT_ALLOW;
	r->hook = 0;
	r->mode = SG_MODE_ENFORCE;
	r->pad = 0;
	r->repeats = 0;
	sg_obs_submit(r, SG_OBS_CONNECT);
	return 0;
}

static __always_inline int feed_flow_end(__u64 conn)
{
	struct sg_obs_flow_end *r = sg_obs_reserve(SG_OBS_FLOW_END, sizeof(*r), 0);

	if (!r)
		return 0;
	feed_subject(&r->subj);
	feed_tuple(&r->t, conn);
	r->cookie = conn + 1;
	r->bytes_sent = 300 + (conn & 0xff);
	r->bytes_received = 4000;
	r->sends = 0;
	r->start_ns = r->hdr.ts_ns - 1000000;
	sg_obs_submit(r, SG_OBS_FLOW_END);
	return 0;
}

/* The answer names the destination of the two connections that follow it. */
static __always_inline int feed_dns(struct __sk_buff *skb, __u64 g)
{
	__u32 daddr = bpf_htonl(0x2d000000 | (__u32)(g % feed_dests));
	__u32 off = feed_dns_addr_off & 0x7f;
	struct sg_obs_dns *r = sg_obs_reserve(SG_OBS_DNS, sizeof(*r), 0);
	__u32 server = bpf_htonl(0x7f000035);

	if (!r)
		return 0;
	feed_subject(&r->subj);
	__builtin_memset(&r->t, 0, sizeof(r->t));
	__builtin_memcpy(r->t.saddr, &server, 4);
	r->t.sport = 53;
	r->t.family = SG_OBS_AF_INET;
	r->t.protocol = SG_OBS_UDP;
	r->cookie = 0;
	r->len = feed_dns_len;
	r->pad[0] = r->pad[1] = r->pad[2] = 0;
	if (bpf_skb_load_bytes(skb, 0, r->msg, FEED_DNS_COPY))
		r->len = 0;
	__builtin_memcpy(&r->msg[off], &daddr, 4);
	sg_obs_submit(r, SG_OBS_DNS);
	return 0;
}

SEC("tc")
int sg_obs_feed(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u64 *made = bpf_map_lookup_elem(&sg_feed_made, &zero);
	__u64 n, g;

	if (!made)
		return 0;
	n = (*made)++;
	g = n / 5;
	switch (n % 5) {
	case 0:
		return feed_dns(skb, g);
	case 1:
		return feed_connect(2 * g);
	case 2:
		return feed_flow_end(2 * g);
	case 3:
		return feed_connect(2 * g + 1);
	default:
		return feed_flow_end(2 * g + 1);
	}
}
