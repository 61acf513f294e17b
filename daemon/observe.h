/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Observation, daemon side: loads bpf/observe.bpf.c, attaches it to the
 * guarded cgroup beside the egress programs, drains its ring buffer in
 * batches and hands every record, checked and typed, to one callback (the
 * detectors'). Records: include/sovguard_egress.h, "Observation".
 */
#ifndef SG_OBSERVE_H
#define SG_OBSERVE_H

#include <stdbool.h>
#include <linux/types.h>
#include "sovguard_egress.h"
#include "dns.h"

struct sg_observe;
struct sg_guard_key;

/*
 * Not a kernel record: a subject-destination pair of sg_obs_flows taken out
 * idle, with the connections its last full report did not cover.
 */
#define SG_OBS_EV_SUMMARY	SG_OBS_KINDS

struct sg_obs_summary {
	const struct sg_obs_flow_key *key;
	const struct sg_obs_flow *flow;
	__u64 unreported;	/* connections since the last full report */
};

/* One record. The pointers are valid during the callback only. */
struct sg_obs_event {
	unsigned int kind;	/* enum sg_obs_kind, or SG_OBS_EV_SUMMARY */
	const struct sg_obs_hdr *hdr;
	union {
		const struct sg_obs_connect *connect;
		const struct sg_obs_flow_end *flow_end;
		const struct sg_obs_exec *exec;
		const struct sg_obs_listen *listen;
		const struct sg_obs_socket *socket;
		const struct sg_obs_dns *dns;
		const struct sg_obs_summary *summary;	/* hdr NULL */
	};
	const struct sg_dns_answer *answer;	/* DNS: parsed; NULL if malformed */
};

typedef void (*sg_obs_fn)(void *ctx, const struct sg_obs_event *ev);

/* Counters per kind (index: enum sg_obs_kind). The kernel's count what was
 * submitted and what was lost; the daemon's what it read. */
struct sg_obs_stats {
	__u64 submitted[SG_OBS_KINDS];
	__u64 dropped[SG_OBS_KINDS];	/* ring buffer full */
	__u64 no_state[SG_OBS_KINDS];	/* no socket state */
	__u64 received[SG_OBS_KINDS];
	__u64 malformed;		/* records refused: unknown size, version */
	__u64 dns_unparsed;		/* DNS records whose message did not parse */
	__u64 drains;			/* ring buffer drains */
	__u64 ring_bytes;		/* the ring buffer's size */
	__u64 ring_unread;		/* bytes waiting at the last drain */
	__u64 flows;			/* pairs in sg_obs_flows at the last sweep */
	__u64 summaries;		/* idle pairs taken out */
	__u64 flow_window_ms;
};

int sg_observe_open(struct sg_observe **ret, const char *pin_root);
int sg_observe_attach(struct sg_observe *o, const char *cgroup_path);
void sg_observe_detach(struct sg_observe *o);
int sg_observe_set_kinds(struct sg_observe *o, __u32 kinds, __u32 wakeup_bytes);
int sg_observe_set_flow_window(struct sg_observe *o, __u32 ms);
int sg_observe_sweep(struct sg_observe *o);
/* How the watchdog is told: sg_tamper_alert(). */
typedef void (*sg_observe_alert_fn)(const char *kind, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sg_observe_guard(struct sg_observe *o, sg_observe_alert_fn alert);
unsigned int sg_observe_objects(struct sg_observe *o, struct sg_guard_key *keys, unsigned int max);
int sg_observe_start(struct sg_observe *o, sg_obs_fn fn, void *ctx);
int sg_obs_decode(const void *data, size_t len, struct sg_obs_event *ev,
		  struct sg_dns_answer *ans);
int sg_observe_fd(struct sg_observe *o);
int sg_observe_timer_fd(struct sg_observe *o);
int sg_observe_drain(struct sg_observe *o);
void sg_observe_stats(struct sg_observe *o, struct sg_obs_stats *ret);
void sg_observe_close(struct sg_observe *o);
int sg_observe_remove(const char *pin_root);
const char *sg_obs_kind_name(unsigned int kind);

#endif
