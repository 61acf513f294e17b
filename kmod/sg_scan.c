// SPDX-License-Identifier: GPL-2.0
/*
 * Integrity scan: list the netfilter hooks of the initial network namespace
 * with their owner, so that user space can spot hooks of modules it does not
 * expect and code that belongs to no module at all.
 *
 * The hook tables are read under RCU, as the packet path reads them; a dump
 * that spans several messages resumes by position, so hooks registered or
 * removed in between may be missed or repeated (documented in the ABI).
 */
#include <linux/kernel.h>
#include <linux/kallsyms.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_arp.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "sg.h"

struct sg_scan_table {
	u8 pf;
	u8 hooknum;
};

/* Per-namespace tables, in dump order; netdev hooks follow per device. */
static const struct sg_scan_table sg_scan_tables[] = {
	{ NFPROTO_IPV4, NF_INET_PRE_ROUTING },
	{ NFPROTO_IPV4, NF_INET_LOCAL_IN },
	{ NFPROTO_IPV4, NF_INET_FORWARD },
	{ NFPROTO_IPV4, NF_INET_LOCAL_OUT },
	{ NFPROTO_IPV4, NF_INET_POST_ROUTING },
	{ NFPROTO_IPV6, NF_INET_PRE_ROUTING },
	{ NFPROTO_IPV6, NF_INET_LOCAL_IN },
	{ NFPROTO_IPV6, NF_INET_FORWARD },
	{ NFPROTO_IPV6, NF_INET_LOCAL_OUT },
	{ NFPROTO_IPV6, NF_INET_POST_ROUTING },
#ifdef CONFIG_NETFILTER_FAMILY_ARP
	{ NFPROTO_ARP, NF_ARP_IN },
	{ NFPROTO_ARP, NF_ARP_OUT },
	{ NFPROTO_ARP, NF_ARP_FORWARD },
#endif
#ifdef CONFIG_NETFILTER_FAMILY_BRIDGE
	{ NFPROTO_BRIDGE, NF_INET_PRE_ROUTING },
	{ NFPROTO_BRIDGE, NF_INET_LOCAL_IN },
	{ NFPROTO_BRIDGE, NF_INET_FORWARD },
	{ NFPROTO_BRIDGE, NF_INET_LOCAL_OUT },
	{ NFPROTO_BRIDGE, NF_INET_POST_ROUTING },
#endif
};

/* netdev hooks per device: ingress, then egress where the kernel has it */
#define SG_SCAN_DEV_HOOKS 2

enum sg_scan_pos {
	SG_POS_TABLE,	/* index into sg_scan_tables, then netdev phase */
	SG_POS_ENTRY,	/* next entry within the hook table */
	SG_POS_DEV,	/* position in the device list */
	SG_POS_DEV_HOOK,
	SG_POS_COUNT,	/* entries sent so far */
};

static struct nf_hook_entries *sg_scan_table_entries(struct net *net,
						     const struct sg_scan_table *t)
{
	switch (t->pf) {
	case NFPROTO_IPV4:
		return rcu_dereference(net->nf.hooks_ipv4[t->hooknum]);
	case NFPROTO_IPV6:
		return rcu_dereference(net->nf.hooks_ipv6[t->hooknum]);
#ifdef CONFIG_NETFILTER_FAMILY_ARP
	case NFPROTO_ARP:
		return rcu_dereference(net->nf.hooks_arp[t->hooknum]);
#endif
#ifdef CONFIG_NETFILTER_FAMILY_BRIDGE
	case NFPROTO_BRIDGE:
		return rcu_dereference(net->nf.hooks_bridge[t->hooknum]);
#endif
	}
	return NULL;
}

static struct nf_hook_entries *sg_scan_dev_entries(struct net_device *dev,
						   unsigned int which)
{
#ifdef CONFIG_NETFILTER_INGRESS
	if (which == NF_NETDEV_INGRESS)
		return rcu_dereference(dev->nf_hooks_ingress);
#endif
#ifdef CONFIG_NETFILTER_EGRESS
	if (which == NF_NETDEV_EGRESS)
		return rcu_dereference(dev->nf_hooks_egress);
#endif
	return NULL;
}

/*
 * Owner of the hook function, from kallsyms: "func+off/size [module]" for
 * module text, "func+off/size" for the kernel image and a bare address for
 * code that kallsyms does not know.
 */
static int sg_scan_put_owner(struct sk_buff *skb, const void *fn)
{
	char sym[KSYM_SYMBOL_LEN];
	char *mod, *end;
	u32 kind;

	sprint_symbol(sym, (unsigned long)fn);
	mod = strstr(sym, " [");
	if (mod) {
		*mod = '\0';
		mod += 2;
		end = strchr(mod, ']');
		if (end)
			*end = '\0';
		kind = SOVGUARD_OWNER_MODULE;
	} else if (!strncmp(sym, "0x", 2)) {
		kind = SOVGUARD_OWNER_UNKNOWN;
	} else {
		kind = SOVGUARD_OWNER_CORE;
	}

	if (nla_put_u32(skb, SOVGUARD_HOOK_OWNER_KIND, kind) ||
	    nla_put_string(skb, SOVGUARD_HOOK_SYMBOL, sym))
		return -EMSGSIZE;
	if (mod && nla_put_string(skb, SOVGUARD_HOOK_OWNER_NAME, mod))
		return -EMSGSIZE;
	return 0;
}

static int sg_scan_put(struct sk_buff *skb, struct netlink_callback *cb,
		       u8 pf, u32 hooknum, const struct nf_hook_ops *ops,
		       const struct net_device *dev)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &sg_family, NLM_F_MULTI, SOVGUARD_CMD_SCAN);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, SOVGUARD_A_HOOK);
	if (!nest)
		goto err_cancel;
	if (nla_put_u8(skb, SOVGUARD_HOOK_PF, pf) ||
	    nla_put_u32(skb, SOVGUARD_HOOK_NUM, hooknum) ||
	    nla_put_s32(skb, SOVGUARD_HOOK_PRIORITY, ops->priority) ||
	    nla_put_u32(skb, SOVGUARD_HOOK_TYPE, ops->hook_ops_type) ||
	    (dev && nla_put_string(skb, SOVGUARD_HOOK_DEVICE, dev->name)) ||
	    sg_scan_put_owner(skb, ops->hook))
		goto err_cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * Send the entries of one table from position *entry on. Returns -EMSGSIZE
 * when the message is full (resume at *entry), 0 when the table is done.
 */
static int sg_scan_entries(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct nf_hook_entries *e, u8 pf, u32 hooknum,
			   const struct net_device *dev)
{
	struct nf_hook_ops **ops;
	long *entry = &cb->args[SG_POS_ENTRY];
	long *count = &cb->args[SG_POS_COUNT];
	int err;

	if (!e)
		return 0;
	ops = nf_hook_entries_get_hook_ops(e);
	for (; *entry < e->num_hook_entries; (*entry)++) {
		if (*count >= SOVGUARD_SCAN_MAX_HOOKS)
			return 0;
		err = sg_scan_put(skb, cb, pf, hooknum, ops[*entry], dev);
		if (err)
			return err;
		(*count)++;
	}
	*entry = 0;
	return 0;
}

/**
 * sg_scan_dumpit() - SOVGUARD_CMD_SCAN: one message per netfilter hook
 * @skb: message to fill
 * @cb: dump state; cb->args hold the position (enum sg_scan_pos)
 *
 * Return: skb->len while there is more to send, 0 at the end, or a
 * negative errno.
 */
int sg_scan_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = &init_net;
	long *table = &cb->args[SG_POS_TABLE];
	struct net_device *dev;
	long idx;
	int err = 0;

	rcu_read_lock();
	for (; *table < ARRAY_SIZE(sg_scan_tables); (*table)++) {
		const struct sg_scan_table *t = &sg_scan_tables[*table];

		err = sg_scan_entries(skb, cb, sg_scan_table_entries(net, t),
				      t->pf, t->hooknum, NULL);
		if (err)
			goto out_unlock;
	}

	idx = 0;
	for_each_netdev_rcu(net, dev) {
		long *hook = &cb->args[SG_POS_DEV_HOOK];

		if (idx++ < cb->args[SG_POS_DEV])
			continue;
		for (; *hook < SG_SCAN_DEV_HOOKS; (*hook)++) {
			err = sg_scan_entries(skb, cb,
					      sg_scan_dev_entries(dev, *hook),
					      NFPROTO_NETDEV, *hook, dev);
			if (err)
				goto out_unlock;
		}
		*hook = 0;
		cb->args[SG_POS_DEV]++;
	}

out_unlock:
	rcu_read_unlock();
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err;
}
