// SPDX-License-Identifier: GPL-2.0
/*
 * libnl-genl client of sovguard.ko. Requests are built from the attribute
 * table in include/uapi/sovguard.h; replies become JSON objects whose keys
 * are documented in docs/kmod.md.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <json-c/json.h>

#include "uapi/sovguard.h"
#include "kmod_client.h"
#include "names.h"

#define SG_KMOD_ERRMSG_MAX 256

static struct nl_sock *sg_sk;
static int sg_family_id;
static char sg_errmsg[SG_KMOD_ERRMSG_MAX];

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

static int name_index(const char *const *tbl, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tbl[i] && !strcmp(tbl[i], s))
			return i;
	return -EINVAL;
}

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

static void sg_put_u64(struct json_object *o, const char *k, struct nlattr *a)
{
	if (a)
		json_object_object_add(o, k, json_object_new_uint64(nla_get_u64(a)));
}

static void sg_put_u32(struct json_object *o, const char *k, struct nlattr *a)
{
	if (a)
		json_object_object_add(o, k, json_object_new_int64(nla_get_u32(a)));
}

static void sg_put_name(struct json_object *o, const char *k, struct nlattr *a,
			const char *const *tbl, size_t n)
{
	uint32_t v;

	if (!a)
		return;
	v = nla_get_u32(a);
	json_object_object_add(o, k, json_object_new_string(v < n && tbl[v] ? tbl[v] : "?"));
}

#define SG_PUT_NAME(o, k, a, tbl) sg_put_name(o, k, a, tbl, sizeof(tbl) / sizeof((tbl)[0]))

static void sg_status_fill(struct json_object *o, struct nlattr **tb)
{
	if (tb[SOVGUARD_A_VERSION])
		json_object_object_add(o, "version",
				       json_object_new_string(nla_get_string(tb[SOVGUARD_A_VERSION])));
	if (tb[SOVGUARD_A_MODE])
		json_object_object_add(o, "mode", json_object_new_string(
					       sg_mode_name(nla_get_u32(tb[SOVGUARD_A_MODE]))));
	SG_PUT_NAME(o, "fail_mode", tb[SOVGUARD_A_FAIL_MODE], sg_fail_names);
	SG_PUT_NAME(o, "lease", tb[SOVGUARD_A_LEASE_STATE], sg_lease_names);
	sg_put_u32(o, "lease_timeout_ms", tb[SOVGUARD_A_LEASE_TIMEOUT_MS]);
	sg_put_u32(o, "lease_remaining_ms", tb[SOVGUARD_A_LEASE_REMAINING_MS]);
	sg_put_u64(o, "lease_expired_ms", tb[SOVGUARD_A_LEASE_EXPIRED_MS]);
	SG_PUT_NAME(o, "guard", tb[SOVGUARD_A_GUARD_STATE], sg_guard_names);
	sg_put_u32(o, "daemon_pid", tb[SOVGUARD_A_DAEMON_PID]);
	sg_put_u64(o, "generation", tb[SOVGUARD_A_GENERATION]);
	sg_put_u32(o, "allow_count", tb[SOVGUARD_A_ALLOW_COUNT]);
	if (tb[SOVGUARD_A_COUNTERS]) {
		static const char *const names[SOVGUARD_CNT_MAX + 1] = {
			[SOVGUARD_CNT_PACKETS] = "packets",
			[SOVGUARD_CNT_DROPPED] = "dropped",
			[SOVGUARD_CNT_WOULD_DROP] = "would_drop",
			[SOVGUARD_CNT_ALLOWED] = "allowed",
			[SOVGUARD_CNT_LEASE_RENEWALS] = "lease_renewals",
			[SOVGUARD_CNT_LEASE_EXPIRIES] = "lease_expiries",
		};
		struct json_object *c = json_object_new_object();
		struct nlattr *a;
		int rem;

		nla_for_each_nested(a, tb[SOVGUARD_A_COUNTERS], rem) {
			int t = nla_type(a);

			if (t <= SOVGUARD_CNT_MAX && names[t] && nla_len(a) == 8)
				json_object_object_add(c, names[t],
						       json_object_new_uint64(nla_get_u64(a)));
		}
		json_object_object_add(o, "counters", c);
	}
}

static int sg_status_parse(struct nlattr **tb, void *arg)
{
	sg_status_fill(arg, tb);
	return 0;
}

int sg_kmod_status_json(struct json_object **ret)
{
	struct json_object *o = json_object_new_object();
	int err;

	if (!o)
		return -ENOMEM;
	err = sg_request(SOVGUARD_CMD_STATUS_GET, 0, NULL, NULL, sg_status_parse, o);
	if (err) {
		json_object_put(o);
		return err;
	}
	*ret = o;
	return 0;
}

static const char *sg_jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return "?";
	return json_object_get_string(v);
}

void sg_kmod_status_print(FILE *f, struct json_object *st)
{
	struct json_object *c;
	const char *lease = sg_jstr(st, "lease");

	fprintf(f, "module:    sovguard.ko %s, mode %s, fail mode %s\n", sg_jstr(st, "version"),
		sg_jstr(st, "mode"), sg_jstr(st, "fail_mode"));
	if (!strcmp(lease, "valid"))
		fprintf(f, "lease:     valid, %s of %s ms left (pid %s, generation %s)\n",
			sg_jstr(st, "lease_remaining_ms"), sg_jstr(st, "lease_timeout_ms"),
			sg_jstr(st, "daemon_pid"), sg_jstr(st, "generation"));
	else if (!strcmp(lease, "expired"))
		fprintf(f, "lease:     EXPIRED %s ms ago (pid %s, generation %s)\n",
			sg_jstr(st, "lease_expired_ms"), sg_jstr(st, "daemon_pid"),
			sg_jstr(st, "generation"));
	else
		fprintf(f, "lease:     none\n");
	fprintf(f, "guard:     %s, %s allow-listed prefixes\n", sg_jstr(st, "guard"),
		sg_jstr(st, "allow_count"));
	if (json_object_object_get_ex(st, "counters", &c)) {
		fprintf(f, "guard counters:");
		json_object_object_foreach(c, k, v)
			fprintf(f, " %s %s", k, json_object_get_string(v));
		fprintf(f, "\n");
	}
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

int sg_kmod_fail_mode_parse(const char *s, int *ret)
{
	int v = name_index(sg_fail_names, SOVGUARD_FAIL_MAX + 1, s);

	if (v < 0)
		return -EINVAL;
	*ret = v;
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

struct sg_prefix_req {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16];
};

static int sg_prefix_parse(const char *s, struct sg_prefix_req *p)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long len;
	unsigned int max;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	len = max;
	if (slash) {
		errno = 0;
		len = strtoul(slash, &end, 10);
		if (errno || *end || end == slash || len > max)
			return -EINVAL;
	}
	p->len = len;
	return 0;
}

struct sg_allow_req {
	const struct sg_prefix_req *p;
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
		const struct sg_prefix_req *p = &a->p[i];

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

int sg_kmod_allow_set(char *const *prefixes, size_t n)
{
	struct sg_prefix_req p[SOVGUARD_ALLOW_MAX];
	struct sg_allow_req a = { p, n };
	size_t i;
	int err;

	if (n > SOVGUARD_ALLOW_MAX) {
		snprintf(sg_errmsg, sizeof(sg_errmsg), "at most %d prefixes", SOVGUARD_ALLOW_MAX);
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		err = sg_prefix_parse(prefixes[i], &p[i]);
		if (err) {
			snprintf(sg_errmsg, sizeof(sg_errmsg), "invalid prefix '%s'", prefixes[i]);
			return err;
		}
	}
	return sg_request(SOVGUARD_CMD_ALLOW_SET, 0, sg_allow_build, &a, NULL, NULL);
}

static int sg_allow_parse(struct nlattr **tb, void *arg)
{
	struct json_object *arr = arg;
	struct nlattr *e, *a;
	int rem, rem2;

	if (!tb[SOVGUARD_A_ALLOW_LIST])
		return 0;
	nla_for_each_nested(e, tb[SOVGUARD_A_ALLOW_LIST], rem) {
		char addr[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];
		int family = 0, len = -1;
		const void *data = NULL;

		nla_for_each_nested(a, e, rem2) {
			if (nla_type(a) == SOVGUARD_PREFIX_FAMILY)
				family = nla_get_u8(a);
			else if (nla_type(a) == SOVGUARD_PREFIX_LEN)
				len = nla_get_u8(a);
			else if (nla_type(a) == SOVGUARD_PREFIX_ADDR && nla_len(a) >= 4)
				data = nla_data(a);
		}
		if (!data || len < 0 || !inet_ntop(family, data, addr, sizeof(addr)))
			return -EPROTO;
		snprintf(buf, sizeof(buf), "%s/%d", addr, len);
		json_object_array_add(arr, json_object_new_string(buf));
	}
	return 0;
}

int sg_kmod_allow_json(struct json_object **ret)
{
	struct json_object *arr = json_object_new_array();
	int err;

	if (!arr)
		return -ENOMEM;
	err = sg_request(SOVGUARD_CMD_ALLOW_GET, 0, NULL, NULL, sg_allow_parse, arr);
	if (err) {
		json_object_put(arr);
		return err;
	}
	*ret = arr;
	return 0;
}

static const char *sg_pf_name(unsigned int pf)
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

static const char *sg_nf_hook_name(unsigned int pf, unsigned int num)
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

static int sg_scan_parse(struct nlattr **tb, void *arg)
{
	struct json_object *arr = arg, *o;
	struct nlattr *a, *h[SOVGUARD_HOOK_MAX + 1] = { 0 };
	unsigned int pf, num;
	int rem;

	if (!tb[SOVGUARD_A_HOOK])
		return 0;
	nla_for_each_nested(a, tb[SOVGUARD_A_HOOK], rem)
		if (nla_type(a) <= SOVGUARD_HOOK_MAX)
			h[nla_type(a)] = a;
	if (!h[SOVGUARD_HOOK_PF] || !h[SOVGUARD_HOOK_NUM] || !h[SOVGUARD_HOOK_PRIORITY] ||
	    !h[SOVGUARD_HOOK_OWNER_KIND])
		return -EPROTO;
	pf = nla_get_u8(h[SOVGUARD_HOOK_PF]);
	num = nla_get_u32(h[SOVGUARD_HOOK_NUM]);

	o = json_object_new_object();
	json_object_object_add(o, "family", json_object_new_string(sg_pf_name(pf)));
	json_object_object_add(o, "hook", json_object_new_string(sg_nf_hook_name(pf, num)));
	json_object_object_add(o, "hooknum", json_object_new_int(num));
	json_object_object_add(o, "priority",
			       json_object_new_int((int32_t)nla_get_u32(h[SOVGUARD_HOOK_PRIORITY])));
	if (h[SOVGUARD_HOOK_DEVICE])
		json_object_object_add(o, "device",
				       json_object_new_string(nla_get_string(h[SOVGUARD_HOOK_DEVICE])));
	if (h[SOVGUARD_HOOK_TYPE])
		json_object_object_add(o, "type",
				       json_object_new_int(nla_get_u32(h[SOVGUARD_HOOK_TYPE])));
	SG_PUT_NAME(o, "owner_kind", h[SOVGUARD_HOOK_OWNER_KIND], sg_owner_names);
	if (h[SOVGUARD_HOOK_OWNER_NAME])
		json_object_object_add(o, "owner", json_object_new_string(
						nla_get_string(h[SOVGUARD_HOOK_OWNER_NAME])));
	if (h[SOVGUARD_HOOK_SYMBOL])
		json_object_object_add(o, "symbol", json_object_new_string(
						nla_get_string(h[SOVGUARD_HOOK_SYMBOL])));
	json_object_array_add(arr, o);
	return 0;
}

int sg_kmod_scan_json(struct json_object **ret)
{
	struct json_object *arr = json_object_new_array();
	int err;

	if (!arr)
		return -ENOMEM;
	err = sg_request(SOVGUARD_CMD_SCAN, NLM_F_DUMP, NULL, NULL, sg_scan_parse, arr);
	if (err) {
		json_object_put(arr);
		return err;
	}
	*ret = arr;
	return 0;
}

#define SG_MODNAME_MAX 64

/* Modules listed in /proc/modules; a hook owner missing there is hidden. */
static bool sg_module_listed(const char *name)
{
	char line[512], mod[SG_MODNAME_MAX + 1];
	bool found = false;
	FILE *f;

	/* kallsyms' pseudo modules: BPF programs, ftrace trampolines */
	if (!strcmp(name, "bpf") || !strncmp(name, "__builtin", 9))
		return true;
	f = fopen("/proc/modules", "re");
	if (!f)
		return true;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%64s", mod) == 1 && !strcmp(mod, name);
	fclose(f);
	return found;
}

int sg_kmod_scan_flag(struct json_object *hooks, char *const *allow, size_t n_allow)
{
	size_t k, i;
	int flagged = 0;

	for (k = 0; k < json_object_array_length(hooks); k++) {
		struct json_object *h = json_object_array_get_idx(hooks, k), *v;
		const char *owner = NULL, *why = NULL, *kind = "";
		bool allowed = !allow;

		if (json_object_object_get_ex(h, "owner_kind", &v))
			kind = json_object_get_string(v);
		if (json_object_object_get_ex(h, "owner", &v))
			owner = json_object_get_string(v);
		for (i = 0; owner && !allowed && i < n_allow; i++)
			allowed = !strcmp(allow[i], owner);
		if (!strcmp(kind, "unknown"))
			why = "code outside the kernel and every module";
		else if (owner && !sg_module_listed(owner))
			why = "module not listed in /proc/modules";
		else if (owner && !allowed)
			why = "module not on the allow-list";
		if (why) {
			flagged++;
			json_object_object_add(h, "alert", json_object_new_string(why));
		}
	}
	return flagged;
}

struct sg_events_ctx {
	int (*fn)(struct json_object *ev, void *arg);
	void *arg;
	int ret;
};

static int sg_event_cb(struct nl_msg *msg, void *arg)
{
	struct sg_events_ctx *ctx = arg;
	struct nlattr *tb[SOVGUARD_A_MAX + 1];
	struct json_object *ev;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, SOVGUARD_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (genlmsg_hdr(nlmsg_hdr(msg))->cmd != SOVGUARD_CMD_EVENT)
		return NL_SKIP;
	ev = json_object_new_object();
	if (tb[SOVGUARD_A_EVENT])
		json_object_object_add(ev, "event", json_object_new_string(
						 SG_NAME(sg_event_names, nla_get_u32(tb[SOVGUARD_A_EVENT]))));
	sg_status_fill(ev, tb);
	ctx->ret = ctx->fn(ev, ctx->arg);
	json_object_put(ev);
	return ctx->ret ? NL_STOP : NL_OK;
}

int sg_kmod_events(int (*fn)(struct json_object *ev, void *arg), void *arg)
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
