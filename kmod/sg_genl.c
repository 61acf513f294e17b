// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "sovguard". Commands, attributes and their
 * meaning are described in include/uapi/sovguard.h; the policies below
 * follow that table one to one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/socket.h>
#include <linux/inetdevice.h>
#include <net/genetlink.h>
#include <net/ipv6.h>

#include "sg.h"

enum sg_mcgrp {
	SG_MCGRP_EVENTS,
};

/*
 * Range checks are validation functions rather than NLA_POLICY_RANGE():
 * the ABI promises EINVAL with a message for any malformed, oversized or
 * out-of-range attribute, where the core's range check would say ERANGE.
 */
static int sg_validate_mode(const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	if (nla_get_u32(attr) > SOVGUARD_MODE_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "MODE must be off (0), audit (1) or enforce (2)");
		return -EINVAL;
	}
	return 0;
}

static int sg_validate_fail_mode(const struct nlattr *attr,
				 struct netlink_ext_ack *extack)
{
	if (nla_get_u32(attr) > SOVGUARD_FAIL_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "FAIL_MODE must be open (0) or closed (1)");
		return -EINVAL;
	}
	return 0;
}

static int sg_validate_timeout(const struct nlattr *attr,
			       struct netlink_ext_ack *extack)
{
	u32 v = nla_get_u32(attr);

	if (v < SOVGUARD_LEASE_TIMEOUT_MIN_MS ||
	    v > SOVGUARD_LEASE_TIMEOUT_MAX_MS) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "LEASE_TIMEOUT_MS outside 100..3600000");
		return -EINVAL;
	}
	return 0;
}

static int sg_validate_family(const struct nlattr *attr,
			      struct netlink_ext_ack *extack)
{
	u8 family = nla_get_u8(attr);

	if (family != AF_INET && family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	return 0;
}

static int sg_validate_addr(const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	if (nla_len(attr) != sizeof(struct in_addr) &&
	    nla_len(attr) != sizeof(struct in6_addr)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address must be 4 or 16 bytes");
		return -EINVAL;
	}
	return 0;
}

static int sg_validate_plen(const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	if (nla_get_u8(attr) > 128) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "prefix length above 128");
		return -EINVAL;
	}
	return 0;
}

static const struct nla_policy sg_mode_set_policy[SOVGUARD_A_MAX + 1] = {
	[SOVGUARD_A_MODE] = NLA_POLICY_VALIDATE_FN(NLA_U32, sg_validate_mode),
	[SOVGUARD_A_FAIL_MODE] =
		NLA_POLICY_VALIDATE_FN(NLA_U32, sg_validate_fail_mode),
};

static const struct nla_policy sg_lease_renew_policy[SOVGUARD_A_MAX + 1] = {
	[SOVGUARD_A_LEASE_TIMEOUT_MS] =
		NLA_POLICY_VALIDATE_FN(NLA_U32, sg_validate_timeout),
	[SOVGUARD_A_GENERATION] = { .type = NLA_U64 },
};

static const struct nla_policy sg_prefix_policy[SOVGUARD_PREFIX_MAX + 1] = {
	[SOVGUARD_PREFIX_FAMILY] =
		NLA_POLICY_VALIDATE_FN(NLA_U8, sg_validate_family),
	[SOVGUARD_PREFIX_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, sg_validate_addr),
	[SOVGUARD_PREFIX_LEN] = NLA_POLICY_VALIDATE_FN(NLA_U8, sg_validate_plen),
};

static const struct nla_policy sg_allow_list_policy[SOVGUARD_A_MAX + 1] = {
	[SOVGUARD_A_ALLOW_ENTRY] = NLA_POLICY_NESTED(sg_prefix_policy),
};

static const struct nla_policy sg_allow_set_policy[SOVGUARD_A_MAX + 1] = {
	[SOVGUARD_A_ALLOW_LIST] = NLA_POLICY_NESTED(sg_allow_list_policy),
};

static const struct genl_multicast_group sg_mcgrps[] = {
	[SG_MCGRP_EVENTS] = {
		.name = SOVGUARD_MCGRP_EVENTS,
#ifdef GENL_MCAST_CAP_NET_ADMIN
		.flags = GENL_MCAST_CAP_NET_ADMIN,
#endif
	},
};

static int sg_put_counters(struct sk_buff *skb)
{
	struct sg_pcpu_counters sum;
	struct nlattr *nest;

	sg_counters_sum(&sum);
	nest = nla_nest_start(skb, SOVGUARD_A_COUNTERS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, SOVGUARD_CNT_PACKETS, sum.packets,
			      SOVGUARD_CNT_PAD) ||
	    nla_put_u64_64bit(skb, SOVGUARD_CNT_DROPPED, sum.dropped,
			      SOVGUARD_CNT_PAD) ||
	    nla_put_u64_64bit(skb, SOVGUARD_CNT_WOULD_DROP, sum.would_drop,
			      SOVGUARD_CNT_PAD) ||
	    nla_put_u64_64bit(skb, SOVGUARD_CNT_ALLOWED, sum.allowed,
			      SOVGUARD_CNT_PAD) ||
	    nla_put_u64_64bit(skb, SOVGUARD_CNT_LEASE_RENEWALS,
			      atomic64_read(&sg_state.renewals),
			      SOVGUARD_CNT_PAD) ||
	    nla_put_u64_64bit(skb, SOVGUARD_CNT_LEASE_EXPIRIES,
			      atomic64_read(&sg_state.expiries),
			      SOVGUARD_CNT_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Called with sg_state.lock held. */
static int sg_put_status(struct sk_buff *skb, bool full)
{
	unsigned long now = jiffies;
	u32 remaining = 0;

	if (sg_state.lease_state == SOVGUARD_LEASE_VALID &&
	    time_before(now, sg_state.lease_expires))
		remaining = jiffies_to_msecs(sg_state.lease_expires - now);

	if (nla_put_u32(skb, SOVGUARD_A_MODE, sg_state.mode) ||
	    nla_put_u32(skb, SOVGUARD_A_FAIL_MODE, sg_state.fail_mode) ||
	    nla_put_u32(skb, SOVGUARD_A_LEASE_STATE, sg_state.lease_state) ||
	    nla_put_u32(skb, SOVGUARD_A_GUARD_STATE, sg_state.guard_state) ||
	    nla_put_u32(skb, SOVGUARD_A_DAEMON_PID, sg_state.daemon_pid) ||
	    nla_put_u64_64bit(skb, SOVGUARD_A_GENERATION, sg_state.generation,
			      SOVGUARD_A_PAD))
		return -EMSGSIZE;
	if (!full)
		return 0;

	if (nla_put_string(skb, SOVGUARD_A_VERSION, SG_KMOD_VERSION) ||
	    nla_put_u32(skb, SOVGUARD_A_LEASE_TIMEOUT_MS,
			sg_state.lease_timeout_ms) ||
	    nla_put_u32(skb, SOVGUARD_A_LEASE_REMAINING_MS, remaining) ||
	    nla_put_u32(skb, SOVGUARD_A_ALLOW_COUNT, sg_state.allow_count))
		return -EMSGSIZE;
	if (sg_state.lease_state == SOVGUARD_LEASE_EXPIRED &&
	    nla_put_u64_64bit(skb, SOVGUARD_A_LEASE_EXPIRED_MS,
			      jiffies_to_msecs(now - sg_state.lease_lapsed),
			      SOVGUARD_A_PAD))
		return -EMSGSIZE;
	return sg_put_counters(skb);
}

/**
 * sg_genl_notify() - announce a state change on the events group
 * @event: enum sovguard_event
 *
 * Called with sg_state.lock held, in process context.
 */
void sg_genl_notify(u32 event)
{
	struct sk_buff *skb;
	void *hdr;

	lockdep_assert_held(&sg_state.lock);
	if (!sg_state.announce ||
	    !genl_has_listeners(&sg_family, &init_net, SG_MCGRP_EVENTS))
		return;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &sg_family, 0, SOVGUARD_CMD_EVENT);
	if (!hdr)
		goto err_free;
	if (nla_put_u32(skb, SOVGUARD_A_EVENT, event) ||
	    sg_put_status(skb, false))
		goto err_free;
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&sg_family, skb, 0, SG_MCGRP_EVENTS, GFP_KERNEL);
	return;

err_free:
	nlmsg_free(skb);
}

static int sg_reply(struct genl_info *info,
		    int (*fill)(struct sk_buff *skb, bool full))
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &sg_family, 0,
				info->genlhdr->cmd);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	mutex_lock(&sg_state.lock);
	err = fill(msg, true);
	mutex_unlock(&sg_state.lock);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

static int sg_cmd_status_get(struct sk_buff *skb, struct genl_info *info)
{
	return sg_reply(info, sg_put_status);
}

static int sg_cmd_mode_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *m = info->attrs[SOVGUARD_A_MODE];
	struct nlattr *f = info->attrs[SOVGUARD_A_FAIL_MODE];
	u32 old_mode, old_fail;

	if (!m && !f) {
		GENL_SET_ERR_MSG(info, "MODE or FAIL_MODE required");
		return -EINVAL;
	}

	mutex_lock(&sg_state.lock);
	old_mode = sg_state.mode;
	old_fail = sg_state.fail_mode;
	if (m)
		sg_state.mode = nla_get_u32(m);
	if (f)
		sg_state.fail_mode = nla_get_u32(f);
	if (sg_state.mode != old_mode || sg_state.fail_mode != old_fail) {
		pr_info("mode %s, fail mode %s (set by pid %d)\n",
			sg_mode_names[sg_state.mode],
			sg_fail_names[sg_state.fail_mode], task_tgid_nr(current));
		sg_genl_notify(SOVGUARD_EVENT_MODE);
		sg_state_update_guard();
	}
	mutex_unlock(&sg_state.lock);
	return 0;
}

static int sg_cmd_lease_renew(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *t = info->attrs[SOVGUARD_A_LEASE_TIMEOUT_MS];
	u32 timeout;

	if (GENL_REQ_ATTR_CHECK(info, SOVGUARD_A_GENERATION)) {
		GENL_SET_ERR_MSG(info, "GENERATION required");
		return -EINVAL;
	}

	mutex_lock(&sg_state.lock);
	timeout = t ? nla_get_u32(t) : sg_state.default_timeout_ms;
	sg_lease_renew(timeout, nla_get_u64(info->attrs[SOVGUARD_A_GENERATION]),
		       task_tgid_nr(current));
	mutex_unlock(&sg_state.lock);
	return 0;
}

static int sg_cmd_lease_release(struct sk_buff *skb, struct genl_info *info)
{
	mutex_lock(&sg_state.lock);
	sg_lease_release();
	mutex_unlock(&sg_state.lock);
	return 0;
}

static int sg_parse_prefix(const struct nlattr *entry, struct sg_prefix *p,
			   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SOVGUARD_PREFIX_MAX + 1];
	struct in6_addr masked;
	unsigned int alen, maxlen;
	int err;

	err = nla_parse_nested(tb, SOVGUARD_PREFIX_MAX, entry,
			       sg_prefix_policy, extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, entry, tb, SOVGUARD_PREFIX_FAMILY) ||
	    NL_REQ_ATTR_CHECK(extack, entry, tb, SOVGUARD_PREFIX_ADDR) ||
	    NL_REQ_ATTR_CHECK(extack, entry, tb, SOVGUARD_PREFIX_LEN)) {
		NL_SET_ERR_MSG_ATTR(extack, entry,
				    "prefix needs FAMILY, ADDR and LEN");
		return -EINVAL;
	}

	memset(p, 0, sizeof(*p));
	p->family = nla_get_u8(tb[SOVGUARD_PREFIX_FAMILY]);
	p->len = nla_get_u8(tb[SOVGUARD_PREFIX_LEN]);
	switch (p->family) {
	case AF_INET:
		alen = sizeof(struct in_addr);
		maxlen = 32;
		break;
	case AF_INET6:
		alen = sizeof(struct in6_addr);
		maxlen = 128;
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, tb[SOVGUARD_PREFIX_FAMILY],
				    "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	if (nla_len(tb[SOVGUARD_PREFIX_ADDR]) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SOVGUARD_PREFIX_ADDR],
				    "address length does not match family");
		return -EINVAL;
	}
	if (p->len > maxlen) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SOVGUARD_PREFIX_LEN],
				    "prefix length too long for family");
		return -EINVAL;
	}
	nla_memcpy(&p->addr, tb[SOVGUARD_PREFIX_ADDR], alen);

	if (p->family == AF_INET) {
		if (p->addr.s6_addr32[0] & ~inet_make_mask(p->len))
			goto err_host_bits;
	} else {
		ipv6_addr_prefix(&masked, &p->addr, p->len);
		if (!ipv6_addr_equal(&masked, &p->addr))
			goto err_host_bits;
	}
	return 0;

err_host_bits:
	NL_SET_ERR_MSG_ATTR(extack, tb[SOVGUARD_PREFIX_ADDR],
			    "address has host bits set beyond the prefix length");
	return -EINVAL;
}

static int sg_cmd_allow_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *list = info->attrs[SOVGUARD_A_ALLOW_LIST];
	struct sg_allow *allow;
	struct nlattr *entry;
	u32 n = 0;
	int rem, err;

	if (GENL_REQ_ATTR_CHECK(info, SOVGUARD_A_ALLOW_LIST)) {
		GENL_SET_ERR_MSG(info, "ALLOW_LIST required");
		return -EINVAL;
	}

	nla_for_each_nested(entry, list, rem) {
		if (++n > SOVGUARD_ALLOW_MAX) {
			NL_SET_ERR_MSG_ATTR(info->extack, entry,
					    "more than SOVGUARD_ALLOW_MAX prefixes");
			return -EINVAL;
		}
	}

	allow = kzalloc(struct_size(allow, prefixes, n), GFP_KERNEL);
	if (!allow)
		return -ENOMEM;
	n = 0;
	nla_for_each_nested(entry, list, rem) {
		err = sg_parse_prefix(entry, &allow->prefixes[n], info->extack);
		if (err)
			goto err_free;
		n++;
	}
	allow->count = n;

	mutex_lock(&sg_state.lock);
	sg_allow_replace(allow);
	mutex_unlock(&sg_state.lock);
	return 0;

err_free:
	kfree(allow);
	return err;
}

static int sg_put_allow(struct sk_buff *skb, bool full)
{
	const struct sg_allow *allow;
	struct nlattr *list, *entry;
	u32 i;

	allow = rcu_dereference_protected(sg_state.allow,
					  lockdep_is_held(&sg_state.lock));
	list = nla_nest_start(skb, SOVGUARD_A_ALLOW_LIST);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; allow && i < allow->count; i++) {
		const struct sg_prefix *p = &allow->prefixes[i];

		entry = nla_nest_start(skb, SOVGUARD_A_ALLOW_ENTRY);
		if (!entry ||
		    nla_put_u8(skb, SOVGUARD_PREFIX_FAMILY, p->family) ||
		    nla_put(skb, SOVGUARD_PREFIX_ADDR,
			    p->family == AF_INET ? sizeof(struct in_addr) :
						   sizeof(struct in6_addr),
			    &p->addr) ||
		    nla_put_u8(skb, SOVGUARD_PREFIX_LEN, p->len))
			return -EMSGSIZE;
		nla_nest_end(skb, entry);
	}
	nla_nest_end(skb, list);
	return 0;
}

static int sg_cmd_allow_get(struct sk_buff *skb, struct genl_info *info)
{
	return sg_reply(info, sg_put_allow);
}

static const struct genl_ops sg_ops[] = {
	{
		.cmd = SOVGUARD_CMD_STATUS_GET,
		.doit = sg_cmd_status_get,
	},
	{
		.cmd = SOVGUARD_CMD_MODE_SET,
		.doit = sg_cmd_mode_set,
		.policy = sg_mode_set_policy,
		.maxattr = SOVGUARD_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SOVGUARD_CMD_LEASE_RENEW,
		.doit = sg_cmd_lease_renew,
		.policy = sg_lease_renew_policy,
		.maxattr = SOVGUARD_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SOVGUARD_CMD_LEASE_RELEASE,
		.doit = sg_cmd_lease_release,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SOVGUARD_CMD_ALLOW_SET,
		.doit = sg_cmd_allow_set,
		.policy = sg_allow_set_policy,
		.maxattr = SOVGUARD_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SOVGUARD_CMD_ALLOW_GET,
		.doit = sg_cmd_allow_get,
	},
	{
		.cmd = SOVGUARD_CMD_SCAN,
		.dumpit = sg_scan_dumpit,
		.flags = GENL_ADMIN_PERM,
	},
};

struct genl_family sg_family __ro_after_init = {
	.name = SOVGUARD_GENL_NAME,
	.version = SOVGUARD_GENL_VERSION,
	/* every command is new: strict header and attribute checks */
	.resv_start_op = 0,
	.netnsok = false,
	.module = THIS_MODULE,
	.ops = sg_ops,
	.n_ops = ARRAY_SIZE(sg_ops),
	.mcgrps = sg_mcgrps,
	.n_mcgrps = ARRAY_SIZE(sg_mcgrps),
};

/**
 * sg_genl_init() - register the generic netlink family
 *
 * Return: 0 or a negative errno from genl_register_family().
 */
int sg_genl_init(void)
{
	int err;

	err = genl_register_family(&sg_family);
	if (err)
		return err;
	mutex_lock(&sg_state.lock);
	sg_state.announce = true;
	mutex_unlock(&sg_state.lock);
	return 0;
}

/**
 * sg_genl_exit() - stop announcing and unregister the family
 *
 * Waits for commands in flight (genetlink serialises them with
 * unregistration).
 */
void sg_genl_exit(void)
{
	mutex_lock(&sg_state.lock);
	sg_state.announce = false;
	mutex_unlock(&sg_state.lock);
	genl_unregister_family(&sg_family);
}
