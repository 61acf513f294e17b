// SPDX-License-Identifier: GPL-2.0
/*
 * The fail-safe guard: LOCAL_OUT hooks in every network namespace and the
 * daemon's lease. While the lease holds, the hooks only count; see
 * include/uapi/sovguard.h for what happens when it lapses.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/inetdevice.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netfilter/nf_conntrack.h>

#include "sg.h"

/* After conntrack has classified the packet, before mangle and filter. */
#define SG_HOOK_PRIORITY (NF_IP_PRI_CONNTRACK + 1)

static bool sg_prefix_match(const struct sg_prefix *p, u8 family,
			    const struct in6_addr *daddr)
{
	if (p->family != family)
		return false;
	if (family == AF_INET)
		return !((daddr->s6_addr32[0] ^ p->addr.s6_addr32[0]) &
			 inet_make_mask(p->len));
	return ipv6_prefix_equal(daddr, &p->addr, p->len);
}

static bool sg_allow_listed(u8 family, const struct in6_addr *daddr)
{
	const struct sg_allow *allow;
	u32 i;

	allow = rcu_dereference(sg_state.allow);
	for (i = 0; allow && i < allow->count; i++)
		if (sg_prefix_match(&allow->prefixes[i], family, daddr))
			return true;
	return false;
}

/*
 * Is this the first packet of a flow? Conntrack knows when it runs in the
 * namespace. Without it: a TCP SYN, or an ICMP echo request, opens a flow;
 * other TCP and ICMP packets (replies, errors, neighbour discovery) belong
 * to one, and every other protocol is treated as new: the guard errs on the
 * side of closing.
 */
static bool sg_new_flow(struct sk_buff *skb, u8 family)
{
	union {
		struct tcphdr th;
		struct icmphdr ih;
		struct icmp6hdr i6h;
	} _h;
	const struct tcphdr *th;
	const struct icmphdr *ih;
	const struct icmp6hdr *i6h;
	unsigned int thoff;
	u8 proto;
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;

	if (nf_ct_get(skb, &ctinfo) && ctinfo != IP_CT_UNTRACKED)
		return ctinfo == IP_CT_NEW;
#endif
	if (family == AF_INET) {
		proto = ip_hdr(skb)->protocol;
		thoff = skb_network_offset(skb) + ip_hdrlen(skb);
	} else {
		__be16 frag_off;
		int off;

		proto = ipv6_hdr(skb)->nexthdr;
		off = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
					    sizeof(struct ipv6hdr),
				       &proto, &frag_off);
		if (off < 0)
			return true;
		thoff = off;
	}

	switch (proto) {
	case IPPROTO_TCP:
		th = skb_header_pointer(skb, thoff, sizeof(_h.th), &_h);
		return !th || (th->syn && !th->ack);
	case IPPROTO_ICMP:
		ih = skb_header_pointer(skb, thoff, sizeof(_h.ih), &_h);
		return !ih || ih->type == ICMP_ECHO;
	case IPPROTO_ICMPV6:
		i6h = skb_header_pointer(skb, thoff, sizeof(_h.i6h), &_h);
		return !i6h || i6h->icmp6_type == ICMPV6_ECHO_REQUEST;
	}
	return true;
}

static unsigned int sg_guard_hook(u8 family, struct sk_buff *skb,
				  const struct nf_hook_state *state,
				  const struct in6_addr *daddr)
{
	u32 guard = READ_ONCE(sg_state.guard_state);

	this_cpu_inc(sg_state.counters->packets);
	if (likely(guard == SOVGUARD_GUARD_IDLE))
		return NF_ACCEPT;
	if (!sg_new_flow(skb, family))
		return NF_ACCEPT;
	if ((state->out && (state->out->flags & IFF_LOOPBACK)) ||
	    sg_allow_listed(family, daddr)) {
		this_cpu_inc(sg_state.counters->allowed);
		return NF_ACCEPT;
	}
	if (guard == SOVGUARD_GUARD_OPEN) {
		this_cpu_inc(sg_state.counters->would_drop);
		return NF_ACCEPT;
	}
	this_cpu_inc(sg_state.counters->dropped);
	return NF_DROP;
}

static unsigned int sg_guard_ipv4(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct in6_addr daddr = {};

	daddr.s6_addr32[0] = ip_hdr(skb)->daddr;
	return sg_guard_hook(AF_INET, skb, state, &daddr);
}

static unsigned int sg_guard_ipv6(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	return sg_guard_hook(AF_INET6, skb, state, &ipv6_hdr(skb)->daddr);
}

static const struct nf_hook_ops sg_guard_ops[] = {
	{
		.hook = sg_guard_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = SG_HOOK_PRIORITY,
	},
	{
		.hook = sg_guard_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = SG_HOOK_PRIORITY,
	},
};

static int __net_init sg_net_init(struct net *net)
{
	return nf_register_net_hooks(net, sg_guard_ops,
				     ARRAY_SIZE(sg_guard_ops));
}

static void __net_exit sg_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, sg_guard_ops, ARRAY_SIZE(sg_guard_ops));
}

static struct pernet_operations sg_net_ops = {
	.init = sg_net_init,
	.exit = sg_net_exit,
};

/**
 * sg_lease_renew() - take or extend the daemon's lease
 * @timeout_ms: validity from now
 * @generation: policy generation the daemon has published
 * @pid: the daemon's process id
 *
 * Called with sg_state.lock held.
 */
void sg_lease_renew(u32 timeout_ms, u64 generation, u32 pid)
{
	u32 old = sg_state.lease_state;
	unsigned long delay = msecs_to_jiffies(timeout_ms);

	lockdep_assert_held(&sg_state.lock);
	sg_state.lease_timeout_ms = timeout_ms;
	sg_state.lease_expires = jiffies + delay;
	sg_state.generation = generation;
	sg_state.daemon_pid = pid;
	sg_state.lease_state = SOVGUARD_LEASE_VALID;
	atomic64_inc(&sg_state.renewals);
	mod_delayed_work(system_wq, &sg_state.lease_work, delay);

	if (old == SOVGUARD_LEASE_VALID)
		return;
	pr_info_ratelimited("lease %s by pid %u (timeout %u ms, generation %llu)\n",
			    old == SOVGUARD_LEASE_EXPIRED ?
				"renewed after lapse" : "taken",
			    pid, timeout_ms, generation);
	sg_genl_notify(SOVGUARD_EVENT_LEASE);
	sg_state_update_guard();
}

/**
 * sg_lease_release() - clean hand-over: no lease, no guard
 *
 * Called with sg_state.lock held.
 */
void sg_lease_release(void)
{
	lockdep_assert_held(&sg_state.lock);
	/* The work re-checks the state under the lock: no need to wait. */
	cancel_delayed_work(&sg_state.lease_work);
	if (sg_state.lease_state == SOVGUARD_LEASE_NONE)
		return;
	pr_info_ratelimited("lease released by pid %d\n",
			    task_tgid_nr(current));
	sg_state.lease_state = SOVGUARD_LEASE_NONE;
	sg_genl_notify(SOVGUARD_EVENT_LEASE);
	sg_state_update_guard();
}

/**
 * sg_lease_work_fn() - the lease timer: mark a lease that was not renewed
 * @work: sg_state.lease_work
 */
void sg_lease_work_fn(struct work_struct *work)
{
	mutex_lock(&sg_state.lock);
	if (sg_state.lease_state != SOVGUARD_LEASE_VALID ||
	    time_before(jiffies, sg_state.lease_expires))
		goto out_unlock;

	sg_state.lease_state = SOVGUARD_LEASE_EXPIRED;
	sg_state.lease_lapsed = jiffies;
	atomic64_inc(&sg_state.expiries);
	pr_notice_ratelimited("lease of pid %u lapsed: no renewal within %u ms\n",
			      sg_state.daemon_pid, sg_state.lease_timeout_ms);
	sg_genl_notify(SOVGUARD_EVENT_LEASE);
	sg_state_update_guard();
out_unlock:
	mutex_unlock(&sg_state.lock);
}

/**
 * sg_allow_replace() - publish a new emergency allow-list
 * @allow: the new list (ownership passes to the guard), or NULL
 *
 * Called with sg_state.lock held.
 */
void sg_allow_replace(struct sg_allow *allow)
{
	struct sg_allow *old;

	lockdep_assert_held(&sg_state.lock);
	old = rcu_replace_pointer(sg_state.allow, allow,
				  lockdep_is_held(&sg_state.lock));
	sg_state.allow_count = allow ? allow->count : 0;
	if (old)
		kfree_rcu(old, rcu);
}

/**
 * sg_guard_init() - register the guard hooks in every network namespace
 *
 * Return: 0 or a negative errno from register_pernet_subsys().
 */
int sg_guard_init(void)
{
	return register_pernet_subsys(&sg_net_ops);
}

/**
 * sg_guard_exit() - stop the lease timer and remove the hooks
 *
 * Traffic that the guard was holding back flows again once this returns.
 */
void sg_guard_exit(void)
{
	struct sg_allow *allow;

	cancel_delayed_work_sync(&sg_state.lease_work);
	unregister_pernet_subsys(&sg_net_ops);
	/*
	 * Hook removal does not wait for packets still inside the hooks; they
	 * run under RCU and may touch the allow-list and the counters.
	 */
	synchronize_net();

	mutex_lock(&sg_state.lock);
	allow = rcu_replace_pointer(sg_state.allow, NULL,
				    lockdep_is_held(&sg_state.lock));
	mutex_unlock(&sg_state.lock);
	kfree(allow);
}
