// SPDX-License-Identifier: GPL-2.0
/*
 * sg_test_hook.ko: built only for the tests. Registers one IPv4 PRE_ROUTING
 * hook in the initial network namespace at a priority given as a module
 * parameter, so that the integrity scan test can look for it by owner name
 * and priority and check that it is gone after removal.
 *
 * With local_out=1 it also holds IPv4 and IPv6 LOCAL_OUT hooks, which keeps
 * those hooks' static keys enabled while sovguard.ko comes and goes: QEMU's
 * multi-threaded TCG can run stale code while the kernel patches a static
 * branch under traffic, which is the emulator's fault, not the module's.
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

static bool local_out;
module_param(local_out, bool, 0444);
MODULE_PARM_DESC(local_out, "Also hook IPv4 and IPv6 LOCAL_OUT (default no)");

static struct nf_hook_ops sg_test_ops[] = {
	{
		.hook = sg_test_hook_fn,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
	},
	{
		.hook = sg_test_hook_fn,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
	},
	{
		.hook = sg_test_hook_fn,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
	},
};

static unsigned int sg_test_nhooks(void)
{
	return local_out ? ARRAY_SIZE(sg_test_ops) : 1;
}

static int __init sg_test_hook_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sg_test_ops); i++)
		sg_test_ops[i].priority = priority;
	return nf_register_net_hooks(&init_net, sg_test_ops, sg_test_nhooks());
}

static void __exit sg_test_hook_exit(void)
{
	nf_unregister_net_hooks(&init_net, sg_test_ops, sg_test_nhooks());
}

module_init(sg_test_hook_init);
module_exit(sg_test_hook_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("sovguard test: one netfilter hook for the integrity scan");
