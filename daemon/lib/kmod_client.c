// SPDX-License-Identifier: GPL-2.0
/*
 * libnl-genl client of sovguard.ko: the transport, and the attributes of
 * include/uapi/sovguard.h to and from the structs of kmod_client.h. What the
 * replies look like to a user (JSON, text) is sovguardctl's business
 * (ctl/kmod_json.c); which scanned hooks are suspicious, lib/hookcheck.c's.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <stdlib.h>

#include "uapi/sovguard.h"
#include "kmod_client.h"
#include "names.h"

#define SG_KMOD_ERRMSG_MAX 256

static struct nl_sock *sg_sk;
static int sg_family_id;
static char sg_errmsg[SG_KMOD_ERRMSG_MAX];

const char *sg_kmod_errmsg(void)
{
	return sg_errmsg;
}

void sg_kmod_close(void)
{
	nl_socket_free(sg_sk);
	sg_sk = NULL;
	sg_family_id = 0;
}

static int sg_nlerr(int nlerr)
{
	switch (-nlerr) {
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

static int sg_connect(void)
{
	int one = 1, err;

	if (sg_sk)
		return 0;
	sg_sk = nl_socket_alloc();
	if (!sg_sk)
		return -ENOMEM;
	err = genl_connect(sg_sk);
	if (err < 0) {
		err = sg_nlerr(err);
		goto err_free;
	}
	/* Best effort: without it errors just carry no message. */
	setsockopt(nl_socket_get_fd(sg_sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	err = genl_ctrl_resolve(sg_sk, SOVGUARD_GENL_NAME);
	if (err < 0) {
		err = err == -NLE_OBJ_NOTFOUND ? -ENOENT : sg_nlerr(err);
		goto err_free;
	}
	sg_family_id = err;
	return 0;

err_free:
	sg_kmod_close();
	return err;
}

struct sg_req {
	struct nl_msg *msg;	/* the request, to name a rejected attribute */
	int err;		/* 1 while waiting, then 0 or -errno */
	int (*parse)(struct nlattr **tb, void *arg);
	void *arg;
};

/* Extended ack: the message and which attribute of our request it blames. */
static void sg_extack(const struct nlmsghdr *nlh, const struct nlmsgerr *e, struct nl_msg *req)
{
	const struct nlattr *a;
	size_t off = sizeof(*e);
	const char *msg = NULL;
	int rem, blamed = -1;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	off = NLMSG_ALIGN(off);
	if (off + NLMSG_HDRLEN > nlh->nlmsg_len)
		return;
	rem = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	for (a = (const void *)((const char *)e + off); nla_ok(a, rem); a = nla_next(a, &rem)) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG)
			msg = nla_data(a);
		else if (nla_type(a) == NLMSGERR_ATTR_OFFS && nla_len(a) >= 4 && req) {
			uint32_t o = *(const uint32_t *)nla_data(a);
			struct nlmsghdr *rh = nlmsg_hdr(req);

			if (o + sizeof(struct nlattr) <= rh->nlmsg_len)
				blamed = ((const struct nlattr *)((const char *)rh + o))->nla_type &
					 NLA_TYPE_MASK;
		}
	}
	if (msg && blamed >= 0)
		snprintf(sg_errmsg, sizeof(sg_errmsg), "%s (attribute %d)", msg, blamed);
	else if (msg)
		snprintf(sg_errmsg, sizeof(sg_errmsg), "%s", msg);
	else if (blamed >= 0)
		snprintf(sg_errmsg, sizeof(sg_errmsg), "invalid attribute %d", blamed);
}

static int sg_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct sg_req *r = arg;
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);

	r->err = e->error;
	if (e->error)
		sg_extack(nlh, e, r->msg);
	return NL_STOP;
}

static int sg_finish_cb(struct nl_msg *msg, void *arg)
{
	struct sg_req *r = arg;

	if (r->err > 0)
		r->err = 0;
	return NL_STOP;
}

static int sg_valid_cb(struct nl_msg *msg, void *arg)
{
	struct sg_req *r = arg;
	struct nlattr *tb[SOVGUARD_A_MAX + 1];
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, SOVGUARD_A_MAX, NULL);
	if (err < 0) {
		r->err = -EPROTO;
		return NL_STOP;
	}
	if (r->parse) {
		err = r->parse(tb, r->arg);
		if (err) {
			r->err = err;
			return NL_STOP;
		}
	}
	return NL_OK;
}

typedef int (*sg_build_fn)(struct nl_msg *msg, const void *arg);

static int sg_request_once(uint8_t cmd, int flags, sg_build_fn build, const void *barg,
			   int (*parse)(struct nlattr **tb, void *arg), void *parg)
{
	struct sg_req r = { .err = 1, .parse = parse, .arg = parg };
	struct nl_cb *cb = NULL;
	int err;

	err = sg_connect();
	if (err)
		return err;
	r.msg = nlmsg_alloc();
	cb = nl_cb_alloc(NL_CB_CUSTOM);
	if (!r.msg || !cb) {
		err = -ENOMEM;
		goto out;
	}
	if (!genlmsg_put(r.msg, NL_AUTO_PORT, NL_AUTO_SEQ, sg_family_id, 0, flags | NLM_F_ACK,
			 cmd, SOVGUARD_GENL_VERSION)) {
		err = -ENOMEM;
		goto out;
	}
	if (build) {
		err = build(r.msg, barg);
		if (err)
			goto out;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, sg_err_cb, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, sg_finish_cb, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, sg_finish_cb, &r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, sg_valid_cb, &r);

	err = nl_send_auto(sg_sk, r.msg);
	if (err < 0) {
		err = sg_nlerr(err);
		goto out;
	}
	while (r.err > 0) {
		err = nl_recvmsgs(sg_sk, cb);
		if (err < 0 && r.err > 0) {
			r.err = sg_nlerr(err);
			break;
		}
	}
	err = r.err;
out:
	nl_cb_put(cb);
	nlmsg_free(r.msg);
	return err;
}

/*
 * One request; when the module was reloaded since we resolved the family
 * (the old id is gone or reused), resolve again and retry once. A dump
 * sent while the module is being removed fails with EPROTONOSUPPORT (the
 * kernel cannot take a reference on it): that is "not loaded" too.
 */
static int sg_request(uint8_t cmd, int flags, sg_build_fn build, const void *barg,
		      int (*parse)(struct nlattr **tb, void *arg), void *parg)
{
	bool had_sock = sg_sk;
	int err;

	sg_errmsg[0] = '\0';
	err = sg_request_once(cmd, flags, build, barg, parse, parg);
	if (had_sock && (err == -ENOENT || err == -EOPNOTSUPP || err == -EIO ||
			 err == -EPROTONOSUPPORT)) {
		sg_kmod_close();
		sg_errmsg[0] = '\0';
		err = sg_request_once(cmd, flags, build, barg, parse, parg);
	}
	return err == -EPROTONOSUPPORT ? -ENOENT : err;
}

static void sg_copy_str(char *dst, size_t len, struct nlattr *a)
{
	snprintf(dst, len, "%s", a ? nla_get_string(a) : "");
}

static void sg_status_fill(struct sg_kmod_status *st, struct nlattr **tb)
{
	struct nlattr *a;
	int t, rem;

	memset(st, 0, sizeof(*st));
	for (t = 1; t <= SOVGUARD_A_MAX && t < 32; t++)
		if (tb[t])
			st->has |= 1u << t;
	sg_copy_str(st->version, sizeof(st->version), tb[SOVGUARD_A_VERSION]);
#define SG_GET(field, attr, get) do { if (tb[attr]) st->field = get(tb[attr]); } while (0)
	SG_GET(mode, SOVGUARD_A_MODE, nla_get_u32);
	SG_GET(fail_mode, SOVGUARD_A_FAIL_MODE, nla_get_u32);
	SG_GET(lease, SOVGUARD_A_LEASE_STATE, nla_get_u32);
	SG_GET(lease_timeout_ms, SOVGUARD_A_LEASE_TIMEOUT_MS, nla_get_u32);
	SG_GET(lease_remaining_ms, SOVGUARD_A_LEASE_REMAINING_MS, nla_get_u32);
	SG_GET(lease_expired_ms, SOVGUARD_A_LEASE_EXPIRED_MS, nla_get_u64);
	SG_GET(guard, SOVGUARD_A_GUARD_STATE, nla_get_u32);
	SG_GET(daemon_pid, SOVGUARD_A_DAEMON_PID, nla_get_u32);
	SG_GET(generation, SOVGUARD_A_GENERATION, nla_get_u64);
	SG_GET(allow_count, SOVGUARD_A_ALLOW_COUNT, nla_get_u32);
	SG_GET(event, SOVGUARD_A_EVENT, nla_get_u32);
#undef SG_GET
	if (!tb[SOVGUARD_A_COUNTERS])
		return;
	nla_for_each_nested(a, tb[SOVGUARD_A_COUNTERS], rem) {
		t = nla_type(a);
		if (sg_kmod_counter_name(t) && nla_len(a) == 8) {
			st->counters[t] = nla_get_u64(a);
			st->counters_has |= 1u << t;
		}
	}
}

static int sg_status_parse(struct nlattr **tb, void *arg)
{
	sg_status_fill(arg, tb);
	return 0;
}

int sg_kmod_status(struct sg_kmod_status *ret)
{
	return sg_request(SOVGUARD_CMD_STATUS_GET, 0, NULL, NULL, sg_status_parse, ret);
}

struct sg_mode_req {
	int mode;
	int fail;
};

static int sg_mode_build(struct nl_msg *msg, const void *arg)
{
	const struct sg_mode_req *m = arg;

	if (m->mode >= 0 && nla_put_u32(msg, SOVGUARD_A_MODE, m->mode))
		return -EMSGSIZE;
	if (m->fail >= 0 && nla_put_u32(msg, SOVGUARD_A_FAIL_MODE, m->fail))
		return -EMSGSIZE;
	return 0;
}

int sg_kmod_set_mode(int mode, int fail_mode)
{
	struct sg_mode_req m = { mode, fail_mode };

	if (mode >= SG_MODE_MAX || fail_mode > SOVGUARD_FAIL_MAX)
		return -EINVAL;
	return sg_request(SOVGUARD_CMD_MODE_SET, 0, sg_mode_build, &m, NULL, NULL);
}

struct sg_lease_req {
	uint32_t timeout_ms;
	uint64_t generation;
};

static int sg_lease_build(struct nl_msg *msg, const void *arg)
{
	const struct sg_lease_req *l = arg;

	if (l->timeout_ms && nla_put_u32(msg, SOVGUARD_A_LEASE_TIMEOUT_MS, l->timeout_ms))
		return -EMSGSIZE;
	if (nla_put_u64(msg, SOVGUARD_A_GENERATION, l->generation))
		return -EMSGSIZE;
	return 0;
}

int sg_kmod_lease_renew(uint32_t timeout_ms, uint64_t generation)
{
	struct sg_lease_req l = { timeout_ms, generation };

	return sg_request(SOVGUARD_CMD_LEASE_RENEW, 0, sg_lease_build, &l, NULL, NULL);
}

int sg_kmod_lease_release(void)
{
	return sg_request(SOVGUARD_CMD_LEASE_RELEASE, 0, NULL, NULL, NULL, NULL);
}

struct sg_allow_req {
	const struct sg_kmod_prefix *p;
	size_t n;
};

static int sg_allow_build(struct nl_msg *msg, const void *arg)
{
	const struct sg_allow_req *a = arg;
	struct nlattr *list, *e;
	size_t i;

	list = nla_nest_start(msg, SOVGUARD_A_ALLOW_LIST);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < a->n; i++) {
		const struct sg_kmod_prefix *p = &a->p[i];

		e = nla_nest_start(msg, SOVGUARD_A_ALLOW_ENTRY);
		if (!e || nla_put_u8(msg, SOVGUARD_PREFIX_FAMILY, p->family) ||
		    nla_put(msg, SOVGUARD_PREFIX_ADDR, p->family == AF_INET ? 4 : 16, p->addr) ||
		    nla_put_u8(msg, SOVGUARD_PREFIX_LEN, p->len))
			return -EMSGSIZE;
		nla_nest_end(msg, e);
	}
	nla_nest_end(msg, list);
	return 0;
}

int sg_kmod_allow_set(const struct sg_kmod_prefix *p, size_t n)
{
	struct sg_allow_req a = { p, n };

	if (n > SOVGUARD_ALLOW_MAX) {
		snprintf(sg_errmsg, sizeof(sg_errmsg), "at most %d prefixes", SOVGUARD_ALLOW_MAX);
		return -E2BIG;
	}
	return sg_request(SOVGUARD_CMD_ALLOW_SET, 0, sg_allow_build, &a, NULL, NULL);
}

struct sg_allow_list {
	struct sg_kmod_prefix *p;
	size_t max;
	size_t n;
};

static int sg_allow_parse(struct nlattr **tb, void *arg)
{
	struct sg_allow_list *l = arg;
	struct nlattr *e, *a;
	int rem, rem2;

	if (!tb[SOVGUARD_A_ALLOW_LIST])
		return 0;
	nla_for_each_nested(e, tb[SOVGUARD_A_ALLOW_LIST], rem) {
		struct sg_kmod_prefix p = { 0 };
		int len = -1, alen = 0;
		const void *data = NULL;

		nla_for_each_nested(a, e, rem2) {
			if (nla_type(a) == SOVGUARD_PREFIX_FAMILY)
				p.family = nla_get_u8(a);
			else if (nla_type(a) == SOVGUARD_PREFIX_LEN)
				len = nla_get_u8(a);
			else if (nla_type(a) == SOVGUARD_PREFIX_ADDR && nla_len(a) >= 4) {
				data = nla_data(a);
				alen = nla_len(a);
			}
		}
		if (!data || len < 0 || (p.family != AF_INET && p.family != AF_INET6) ||
		    alen < (p.family == AF_INET ? 4 : 16))
			return -EPROTO;
		if (l->n >= l->max)
			return -E2BIG;
		memcpy(p.addr, data, p.family == AF_INET ? 4 : 16);
		p.len = len;
		l->p[l->n++] = p;
	}
	return 0;
}

int sg_kmod_allow_get(struct sg_kmod_prefix *p, size_t max, size_t *n)
{
	struct sg_allow_list l = { p, max, 0 };
	int err;

	err = sg_request(SOVGUARD_CMD_ALLOW_GET, 0, NULL, NULL, sg_allow_parse, &l);
	if (err)
		return err;
	*n = l.n;
	return 0;
}

struct sg_hook_list {
	struct sg_kmod_hook *h;
	size_t n;
};

static int sg_scan_parse(struct nlattr **tb, void *arg)
{
	struct sg_hook_list *l = arg;
	struct nlattr *a, *h[SOVGUARD_HOOK_MAX + 1] = { 0 };
	struct sg_kmod_hook *hook, *grown;
	int rem;

	if (!tb[SOVGUARD_A_HOOK])
		return 0;
	nla_for_each_nested(a, tb[SOVGUARD_A_HOOK], rem)
		if (nla_type(a) <= SOVGUARD_HOOK_MAX)
			h[nla_type(a)] = a;
	if (!h[SOVGUARD_HOOK_PF] || !h[SOVGUARD_HOOK_NUM] || !h[SOVGUARD_HOOK_PRIORITY] ||
	    !h[SOVGUARD_HOOK_OWNER_KIND])
		return -EPROTO;
	if (l->n >= SOVGUARD_SCAN_MAX_HOOKS)
		return -E2BIG;
	grown = realloc(l->h, (l->n + 1) * sizeof(*l->h));
	if (!grown)
		return -ENOMEM;
	l->h = grown;
	hook = &l->h[l->n++];
	memset(hook, 0, sizeof(*hook));
	hook->pf = nla_get_u8(h[SOVGUARD_HOOK_PF]);
	hook->num = nla_get_u32(h[SOVGUARD_HOOK_NUM]);
	hook->priority = (int32_t)nla_get_u32(h[SOVGUARD_HOOK_PRIORITY]);
	hook->has_type = h[SOVGUARD_HOOK_TYPE];
	if (hook->has_type)
		hook->type = nla_get_u32(h[SOVGUARD_HOOK_TYPE]);
	hook->owner_kind = nla_get_u32(h[SOVGUARD_HOOK_OWNER_KIND]);
	sg_copy_str(hook->device, sizeof(hook->device), h[SOVGUARD_HOOK_DEVICE]);
	sg_copy_str(hook->owner, sizeof(hook->owner), h[SOVGUARD_HOOK_OWNER_NAME]);
	sg_copy_str(hook->symbol, sizeof(hook->symbol), h[SOVGUARD_HOOK_SYMBOL]);
	return 0;
}

int sg_kmod_scan(struct sg_kmod_hook **ret, size_t *n)
{
	struct sg_hook_list l = { NULL, 0 };
	int err;

	err = sg_request(SOVGUARD_CMD_SCAN, NLM_F_DUMP, NULL, NULL, sg_scan_parse, &l);
	if (err) {
		free(l.h);
		return err;
	}
	*ret = l.h;
	*n = l.n;
	return 0;
}

struct sg_events_ctx {
	int (*fn)(const struct sg_kmod_status *ev, void *arg);
	void *arg;
	int ret;
};

static int sg_event_cb(struct nl_msg *msg, void *arg)
{
	struct sg_events_ctx *ctx = arg;
	struct nlattr *tb[SOVGUARD_A_MAX + 1];
	struct sg_kmod_status ev;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, SOVGUARD_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (genlmsg_hdr(nlmsg_hdr(msg))->cmd != SOVGUARD_CMD_EVENT)
		return NL_SKIP;
	sg_status_fill(&ev, tb);
	ctx->ret = ctx->fn(&ev, ctx->arg);
	return ctx->ret ? NL_STOP : NL_OK;
}

int sg_kmod_events(int (*fn)(const struct sg_kmod_status *ev, void *arg), void *arg)
{
	struct sg_events_ctx ctx = { fn, arg, 0 };
	struct nl_sock *sk;
	int grp, err;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, sg_event_cb, &ctx);
	err = genl_connect(sk);
	if (err < 0) {
		err = sg_nlerr(err);
		goto out;
	}
	grp = genl_ctrl_resolve_grp(sk, SOVGUARD_GENL_NAME, SOVGUARD_MCGRP_EVENTS);
	if (grp < 0) {
		err = grp == -NLE_OBJ_NOTFOUND ? -ENOENT : sg_nlerr(grp);
		goto out;
	}
	err = nl_socket_add_membership(sk, grp);
	if (err < 0) {
		err = sg_nlerr(err);
		goto out;
	}
	while (!ctx.ret) {
		err = nl_recvmsgs_default(sk);
		if (err < 0) {
			err = sg_nlerr(err);
			goto out;
		}
	}
	err = ctx.ret;
out:
	nl_socket_free(sk);
	return err;
}
