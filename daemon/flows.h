/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Existing flows (flows.c): after a policy is published, the established
 * TCP, UDP and UDP-Lite sockets of the guarded subtree whose destination
 * the new policy denies are ended through the kernel's socket destroy
 * (sock_diag SOCK_DESTROY). docs/design.md, "Existing flows".
 */
#ifndef SG_FLOWS_H
#define SG_FLOWS_H

#include <stdbool.h>
#include <linux/types.h>

struct sg_daemon;
struct json_object;

/* Limits of one sweep: more is left for the next one, and said. */
#define SG_FLOWS_CGROUPS_MAX	65536	/* cgroups of the guarded subtree */
#define SG_FLOWS_PIDS_MAX	65536	/* processes looked at for namespaces and owners */
#define SG_FLOWS_NETNS_MAX	1024	/* network namespaces swept */
#define SG_FLOWS_SOCKETS_MAX	(1 << 20)	/* sockets of one namespace and protocol */
#define SG_FLOWS_LOG_MAX	20	/* ended flows logged one by one per sweep */

enum sg_flows_proto {
	SG_FLOWS_TCP,
	SG_FLOWS_UDP,
	SG_FLOWS_UDPLITE,
	SG_FLOWS_PROTOS,
};

/* What the kernel's socket destroy is here: probed at start. */
enum sg_flows_destroy {
	SG_DESTROY_UNKNOWN,
	SG_DESTROY_AVAILABLE,
	SG_DESTROY_UNAVAILABLE,	/* EOPNOTSUPP: no CONFIG_INET_DIAG_DESTROY */
	SG_DESTROY_REFUSED,	/* EPERM: no CAP_NET_ADMIN */
};

struct sg_flows {
	enum sg_flows_destroy destroy;
	__u64 sweeps;
	__u64 ended[SG_FLOWS_PROTOS];
	__u64 failed;		/* destroy refused for another reason */
	__u64 unsupported;	/* flows left: no destroy here, or none for the protocol */
	__u64 gone;		/* closed before the destroy reached them */
	__u64 no_owner;		/* left: the policy needs an owner process, none found */
	__u64 undecided;	/* left: no cgroup id, subtree too deep, or no image */
	__u64 namespaces;	/* network namespaces in the last sweep */
	__u64 truncated;	/* sweeps that hit a limit above */
	__u64 unlogged;		/* ended flows not logged one by one */
	bool cannot[SG_FLOWS_PROTOS];	/* the kernel refused a destroy: EOPNOTSUPP */
};

/* Probe the socket destroy of this kernel, and say what it is. */
void sg_flows_probe(struct sg_daemon *d);
/*
 * End the flows the live policy now denies (existing_flows = end, mode
 * enforce); @why names the change for the log ("reload", "quarantine 3").
 * Return: the number of flows ended.
 */
unsigned int sg_flows_end(struct sg_daemon *d, const char *why);
/* The counters, for status and metrics. */
struct json_object *sg_flows_json(const struct sg_daemon *d);
const char *sg_flows_proto_name(unsigned int p);

#endif
