// SPDX-License-Identifier: GPL-2.0
/*
 * sg_test_hook.ko: built only for the tests. Registers one IPv4 PRE_ROUTING
 * hook in the initial network namespace at a priority given as a module
 * parameter, so that the integrity scan test can look for it by owner name
 * and priority and check that it is gone after removal.
 */
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <net/net_namespace.h>

static int priority = -1234;
module_param(priority, int, 0444);
MODULE_PARM_DESC(priority, "Priority of the test hook (default -1234)");

static unsigned int sg_test_hook_fn(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	return NF_ACCEPT;
}

static struct nf_hook_ops sg_test_ops = {
	.hook = sg_test_hook_fn,
	.pf = NFPROTO_IPV4,
	.hooknum = NF_INET_PRE_ROUTING,
};

static int __init sg_test_hook_init(void)
{
	sg_test_ops.priority = priority;
	return nf_register_net_hook(&init_net, &sg_test_ops);
}

static void __exit sg_test_hook_exit(void)
{
	nf_unregister_net_hook(&init_net, &sg_test_ops);
}

module_init(sg_test_hook_init);
module_exit(sg_test_hook_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("sovguard test: one netfilter hook for the integrity scan");
