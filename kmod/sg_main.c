// SPDX-License-Identifier: GPL-2.0
/*
 * sovguard.ko: the kernel-side anchor of sovguard. A generic netlink control
 * plane, a fail-safe guard on LOCAL_OUT and an integrity scan of the
 * netfilter hooks. The ABI and the semantics are described in
 * include/uapi/sovguard.h and docs/kmod.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/jiffies.h>
#include <net/genetlink.h>

#include "sg.h"

const char * const sg_mode_names[] = {
	[SOVGUARD_MODE_OFF] = "off",
	[SOVGUARD_MODE_AUDIT] = "audit",
	[SOVGUARD_MODE_ENFORCE] = "enforce",
};

const char * const sg_fail_names[] = {
	[SOVGUARD_FAIL_OPEN] = "open",
	[SOVGUARD_FAIL_CLOSED] = "closed",
};

const char * const sg_guard_names[] = {
	[SOVGUARD_GUARD_IDLE] = "idle",
	[SOVGUARD_GUARD_OPEN] = "open",
	[SOVGUARD_GUARD_ENGAGED] = "engaged",
};

static char *mode = "audit";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "Initial mode: enforce, audit or off (default audit)");

static char *fail_mode = "closed";
module_param(fail_mode, charp, 0444);
MODULE_PARM_DESC(fail_mode,
		 "What the guard does when the daemon's lease lapses in enforce mode: closed (drop new outbound flows except loopback and the emergency allow-list) or open (count only); default closed");

static unsigned int lease_timeout_ms = 10000;
module_param(lease_timeout_ms, uint, 0444);
MODULE_PARM_DESC(lease_timeout_ms,
		 "Lease timeout in ms when a renewal names none (100..3600000, default 10000)");

struct sg_state sg_state = {
	.lock = __MUTEX_INITIALIZER(sg_state.lock),
};

/**
 * sg_state_update_guard() - derive the guard state from mode and lease
 *
 * Called with sg_state.lock held after any change of mode, fail mode or
 * lease state. Logs and announces a transition once.
 */
void sg_state_update_guard(void)
{
	u32 old = sg_state.guard_state, new;

	lockdep_assert_held(&sg_state.lock);

	if (sg_state.mode == SOVGUARD_MODE_OFF ||
	    sg_state.lease_state != SOVGUARD_LEASE_EXPIRED)
		new = SOVGUARD_GUARD_IDLE;
	else if (sg_state.mode == SOVGUARD_MODE_ENFORCE &&
		 sg_state.fail_mode == SOVGUARD_FAIL_CLOSED)
		new = SOVGUARD_GUARD_ENGAGED;
	else
		new = SOVGUARD_GUARD_OPEN;

	if (new == old)
		return;

	WRITE_ONCE(sg_state.guard_state, new);
	if (new == SOVGUARD_GUARD_ENGAGED)
		pr_warn("daemon lease lapsed: guard engaged, new outbound flows are dropped\n");
	else
		pr_info("guard %s (was %s)\n", sg_guard_names[new],
			sg_guard_names[old]);
	sg_genl_notify(SOVGUARD_EVENT_GUARD);
}

/**
 * sg_counters_sum() - add up the per-CPU packet counters
 * @sum: result
 */
void sg_counters_sum(struct sg_pcpu_counters *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct sg_pcpu_counters *c;

		c = per_cpu_ptr(sg_state.counters, cpu);
		sum->packets += READ_ONCE(c->packets);
		sum->dropped += READ_ONCE(c->dropped);
		sum->would_drop += READ_ONCE(c->would_drop);
		sum->allowed += READ_ONCE(c->allowed);
	}
}

static int sg_parse_params(void)
{
	int m, f;

	m = match_string(sg_mode_names, ARRAY_SIZE(sg_mode_names), mode);
	if (m < 0) {
		pr_err("invalid mode=%s (enforce, audit or off)\n", mode);
		return -EINVAL;
	}
	f = match_string(sg_fail_names, ARRAY_SIZE(sg_fail_names), fail_mode);
	if (f < 0) {
		pr_err("invalid fail_mode=%s (closed or open)\n", fail_mode);
		return -EINVAL;
	}
	if (lease_timeout_ms < SOVGUARD_LEASE_TIMEOUT_MIN_MS ||
	    lease_timeout_ms > SOVGUARD_LEASE_TIMEOUT_MAX_MS) {
		pr_err("invalid lease_timeout_ms=%u (%u..%u)\n",
		       lease_timeout_ms, SOVGUARD_LEASE_TIMEOUT_MIN_MS,
		       SOVGUARD_LEASE_TIMEOUT_MAX_MS);
		return -EINVAL;
	}
	sg_state.mode = m;
	sg_state.fail_mode = f;
	sg_state.lease_timeout_ms = lease_timeout_ms;
	sg_state.default_timeout_ms = lease_timeout_ms;
	return 0;
}

static int __init sg_init(void)
{
	int err;

	err = sg_parse_params();
	if (err)
		return err;

	sg_state.counters = alloc_percpu(struct sg_pcpu_counters);
	if (!sg_state.counters)
		return -ENOMEM;
	INIT_DELAYED_WORK(&sg_state.lease_work, sg_lease_work_fn);

	err = sg_guard_init();
	if (err)
		goto err_free_counters;

	err = sg_genl_init();
	if (err)
		goto err_guard_exit;

	pr_info("version %s loaded: mode %s, fail mode %s\n", SG_KMOD_VERSION,
		sg_mode_names[sg_state.mode], sg_fail_names[sg_state.fail_mode]);
	return 0;

err_guard_exit:
	sg_guard_exit();
err_free_counters:
	free_percpu(sg_state.counters);
	return err;
}

static void __exit sg_exit(void)
{
	sg_genl_exit();
	sg_guard_exit();
	free_percpu(sg_state.counters);
	pr_info("unloaded\n");
}

module_init(sg_init);
module_exit(sg_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("sovguard developers");
MODULE_DESCRIPTION("sovguard: control plane, fail-safe egress guard and netfilter hook integrity scan");
MODULE_VERSION(SG_KMOD_VERSION);
MODULE_ALIAS_GENL_FAMILY(SOVGUARD_GENL_NAME);
