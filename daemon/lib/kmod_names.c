// SPDX-License-Identifier: GPL-2.0
/* Names of the module's numbers (include/uapi/sovguard.h). */
#include <errno.h>
#include <string.h>
#include <linux/netfilter.h>

#include "kmod_client.h"

static const char *const sg_fail_names[] = {
	[SOVGUARD_FAIL_OPEN] = "open",
	[SOVGUARD_FAIL_CLOSED] = "closed",
};

static const char *const sg_lease_names[] = {
	[SOVGUARD_LEASE_NONE] = "none",
	[SOVGUARD_LEASE_VALID] = "valid",
	[SOVGUARD_LEASE_EXPIRED] = "expired",
};

static const char *const sg_guard_names[] = {
	[SOVGUARD_GUARD_IDLE] = "idle",
	[SOVGUARD_GUARD_OPEN] = "open",
	[SOVGUARD_GUARD_ENGAGED] = "engaged",
};

static const char *const sg_event_names[] = {
	[SOVGUARD_EVENT_MODE] = "mode",
	[SOVGUARD_EVENT_LEASE] = "lease",
	[SOVGUARD_EVENT_GUARD] = "guard",
};

static const char *const sg_owner_names[] = {
	[SOVGUARD_OWNER_UNKNOWN] = "unknown",
	[SOVGUARD_OWNER_CORE] = "kernel",
	[SOVGUARD_OWNER_MODULE] = "module",
};

#define SG_NAME(tbl, v) ((v) < sizeof(tbl) / sizeof((tbl)[0]) && (tbl)[v] ? (tbl)[v] : "?")

static const char *const sg_counter_names[SOVGUARD_CNT_MAX + 1] = {
	[SOVGUARD_CNT_PACKETS] = "packets",
	[SOVGUARD_CNT_DROPPED] = "dropped",
	[SOVGUARD_CNT_WOULD_DROP] = "would_drop",
	[SOVGUARD_CNT_ALLOWED] = "allowed",
	[SOVGUARD_CNT_LEASE_RENEWALS] = "lease_renewals",
	[SOVGUARD_CNT_LEASE_EXPIRIES] = "lease_expiries",
};

const char *sg_kmod_fail_mode_name(uint32_t v)
{
	return SG_NAME(sg_fail_names, v);
}

const char *sg_kmod_lease_name(uint32_t v)
{
	return SG_NAME(sg_lease_names, v);
}

const char *sg_kmod_guard_name(uint32_t v)
{
	return SG_NAME(sg_guard_names, v);
}

const char *sg_kmod_event_name(uint32_t v)
{
	return SG_NAME(sg_event_names, v);
}

const char *sg_kmod_owner_name(uint32_t v)
{
	return SG_NAME(sg_owner_names, v);
}

const char *sg_kmod_counter_name(uint32_t v)
{
	return v <= SOVGUARD_CNT_MAX ? sg_counter_names[v] : NULL;
}

static int name_index(const char *const *tbl, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tbl[i] && !strcmp(tbl[i], s))
			return i;
	return -EINVAL;
}

int sg_kmod_fail_mode_parse(const char *s, int *ret)
{
	int v = name_index(sg_fail_names, SOVGUARD_FAIL_MAX + 1, s);

	if (v < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

const char *sg_kmod_pf_name(unsigned int pf)
{
	switch (pf) {
	case NFPROTO_IPV4:
		return "ipv4";
	case NFPROTO_IPV6:
		return "ipv6";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	case NFPROTO_INET:
		return "inet";
	}
	return "?";
}

const char *sg_kmod_nf_hook_name(unsigned int pf, unsigned int num)
{
	static const char *const inet[] = { "prerouting", "input", "forward", "output",
					    "postrouting" };
	static const char *const arp[] = { "input", "output", "forward" };
	static const char *const netdev[] = { "ingress", "egress" };

	switch (pf) {
	case NFPROTO_ARP:
		return SG_NAME(arp, num);
	case NFPROTO_NETDEV:
		return SG_NAME(netdev, num);
	}
	return SG_NAME(inet, num);
}
