// SPDX-License-Identifier: GPL-2.0
/*
 * The answer to `check`, shared by the daemon's control socket and
 * `sovguardctl check --rules` (answer.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "answer.h"
#include "lib/names.h"
#include "lib/util.h"

const char *sg_req_str(struct json_object *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int sg_req_int(struct json_object *req, const char *key, long long lo, long long hi,
		   long long *ret)
{
	struct json_object *v;
	long long n;

	if (!json_object_object_get_ex(req, key, &v))
		return -ENOENT;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	n = json_object_get_int64(v);
	if (n < lo || n > hi)
		return -ERANGE;
	*ret = n;
	return 0;
}

/* Fill q->cgroup[] with the ids of @path and its ancestors, by level. */
static int cgroup_ancestry(const struct sg_resolver *res, const char *path, struct sg_query *q)
{
	char sub[SG_PATH_MAX];
	size_t i, n = strlen(path);
	unsigned int level = 0;
	__u64 id;

	if (n >= sizeof(sub) || path[0] != '/')
		return -EINVAL;
	for (i = 0; i <= n; i++) {
		if (i && i < n && path[i] != '/')
			continue;
		if (i == 0) {
			strcpy(sub, "/");
		} else {
			memcpy(sub, path, i);
			sub[i] = '\0';
			if (sub[i - 1] == '/')
				continue;
		}
		if (level >= SG_CGROUP_LEVELS)
			return -E2BIG;
		if (res->cgroup_id(res->ctx, sub, &id))
			return -ENOENT;
		q->cgroup[level++] = id;
		if (i == n)
			break;
	}
	return 0;
}

#define FAIL(...) ({ snprintf(msg, len, __VA_ARGS__); -EINVAL; })

int sg_check_query(const struct sg_resolver *res, struct json_object *req, struct sg_query *q,
		   struct in6_addr *a, char *msg, size_t len)
{
	const char *s, *unit, *cg, *exe;
	char path[SG_PATH_MAX];
	long long n;
	int err;

	memset(q, 0, sizeof(*q));
	s = sg_req_str(req, "addr");
	if (!s || sg_addr_parse(s, a))
		return FAIL("\"addr\" must be an IPv4 or IPv6 address, not %s", s ? s : "missing");
	/* IPv4 comes as IPv4-mapped: decided as IPv4 (sg_embedded()), and explained. */
	q->family = SG_AF_INET6;
	memcpy(q->addr, a->s6_addr, 16);
	q->protocol = IPPROTO_TCP;
	s = sg_req_str(req, "proto");
	if (s && !strcmp(s, "udp"))
		q->protocol = IPPROTO_UDP;
	else if (s && !strcmp(s, "udplite"))
		q->protocol = SG_IPPROTO_UDPLITE;
	else if (s && !strcmp(s, "icmp"))
		q->protocol = SG_IPPROTO_ICMP;
	else if (s && !strcmp(s, "raw"))
		q->protocol = 253;	/* a protocol without a table (RFC 3692) */
	else if (s && strcmp(s, "tcp"))
		return FAIL("\"proto\" must be tcp, udp, udplite, icmp or raw, not %s", s);
	err = sg_req_int(req, "port", 0, 65535, &n);
	if (err && err != -ENOENT)
		return FAIL("\"port\" must be a number from 0 to 65535");
	q->port = err ? SG_CHECK_PORT_DEFAULT : n;
	if (!sg_req_int(req, "uid", 0, 0xffffffffLL, &n))
		q->uid = n;
	if (!sg_req_int(req, "gid", 0, 0xffffffffLL, &n))
		q->gid = n;

	unit = sg_req_str(req, "unit");
	cg = sg_req_str(req, "cgroup");
	exe = sg_req_str(req, "exe");
	if (unit) {
		if (res->unit_cgroup(res->ctx, unit, path, sizeof(path)))
			return FAIL("unit %s has no cgroup (not running?)", unit);
		cg = path;
	}
	if (cg && cgroup_ancestry(res, cg, q))
		return FAIL("no cgroup %s", cg);
	if (exe && res->exe_id(res->ctx, exe, &q->exe_dev, &q->exe_ino))
		return FAIL("cannot stat executable %s", exe);
	return 0;
}

bool sg_zone_holds(const struct sg_policy *pol, const struct sg_data *data,
		   const struct sg_zone *zone, const struct in6_addr *a,
		   const struct sg_lookup *info)
{
	__u32 i;

	for (i = 0; i < zone->nr_atoms; i++) {
		const struct sg_atom *atom = &pol->atoms[zone->atoms[i]];
		bool hit;

		if (atom->kind == SG_ATOM_LABEL)
			hit = info->label && !strcmp(info->label, sg_data_label(data, atom->label));
		else
			hit = sg_atom_matches(atom, a, info);
		if (hit)
			return true;
	}
	return false;
}

static struct json_object *zones_of(const struct sg_policy *pol, const struct sg_data *data,
				    const struct in6_addr *a, const struct sg_lookup *info)
{
	struct json_object *arr = json_object_new_array();
	__u32 z;

	for (z = 0; z < pol->nr_zones; z++)
		if (sg_zone_holds(pol, data, &pol->zones[z], a, info))
			json_object_array_add(arr, json_object_new_string(pol->zones[z].name));
	return arr;
}

const char *sg_rule_id(const struct sg_policy *pol, __u32 rule)
{
	if (rule == SG_RULE_FAIL)
		return "fail";
	if (rule == SG_RULE_REFUSED)
		return "refused";
	if (rule == SG_RULE_DEFAULT)
		return pol->default_id;
	return rule < pol->nr_rules ? pol->rules[rule].id : "?";
}

/* What an IPv6 destination embeds: {"kind", "ipv4", "refused"}. */
static struct json_object *embedded_of(const struct sg_answer *ans)
{
	struct json_object *e = json_object_new_object();
	__u32 be = htonl(ans->embed_v4);
	char v4[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &be, v4, sizeof(v4));
	json_object_object_add(e, "kind", json_object_new_string(sg_embed_name(ans->embed)));
	json_object_object_add(e, "ipv4", json_object_new_string(v4));
	json_object_object_add(e, "refused", json_object_new_boolean(ans->embed >= SG_EMBED_REFUSE));
	return e;
}

struct json_object *sg_check_reply(const struct sg_policy *pol, const struct sg_data *data,
				   struct json_object *req, const struct in6_addr *addr,
				   const struct sg_answer *ans, __u32 mode)
{
	struct json_object *o = json_object_new_object();
	struct sg_lookup info = {};
	struct in6_addr mapped;
	const struct in6_addr *a = addr;

	json_object_object_add(o, "addr", json_object_new_string(sg_req_str(req, "addr")));
	json_object_object_add(o, "verdict", json_object_new_string(sg_verdict_name(ans->verdict)));
	json_object_object_add(o, "effective",
			       json_object_new_string(sg_verdict_name(
					sg_effective_verdict(mode, ans->verdict))));
	json_object_object_add(o, "mode", json_object_new_string(sg_mode_name(mode)));
	json_object_object_add(o, "rule", json_object_new_string(sg_rule_id(pol, ans->rule)));
	json_object_object_add(o, "rule_index",
			       ans->rule >= SG_RULE_REFUSED ? NULL : json_object_new_int64(ans->rule));
	if (ans->rule < pol->nr_rules && pol->rules[ans->rule].name)
		json_object_object_add(o, "rule_name",
				       json_object_new_string(pol->rules[ans->rule].name));
	json_object_object_add(o, "generation", json_object_new_int64(ans->generation));
	json_object_object_add(o, "dst_class", json_object_new_int64(ans->dst_class));
	if (ans->embed) {
		/* The jurisdiction below is the embedded address's: the one decided. */
		mapped = (struct in6_addr){ .s6_addr = { [10] = 0xff, [11] = 0xff,
							 [12] = ans->embed_v4 >> 24,
							 [13] = ans->embed_v4 >> 16,
							 [14] = ans->embed_v4 >> 8,
							 [15] = ans->embed_v4 } };
		a = &mapped;
		json_object_object_add(o, "embedded", embedded_of(ans));
	} else {
		json_object_object_add(o, "embedded", NULL);
	}

	sg_data_lookup(data, a, &info);
	json_object_object_add(o, "country", info.cc[0] ? json_object_new_string(info.cc) : NULL);
	json_object_object_add(o, "asn", info.asn ? json_object_new_int64(info.asn) : NULL);
	json_object_object_add(o, "flags", json_object_new_int(info.flags));
	json_object_object_add(o, "zones", zones_of(pol, data, a, &info));
	if (info.source >= 0) {
		const struct sg_source_info *src = sg_data_source(data, info.source);
		struct json_object *so = json_object_new_object();

		json_object_object_add(so, "kind",
				       json_object_new_string(sg_source_kind_name(src->kind)));
		json_object_object_add(so, "path", json_object_new_string(src->path));
		json_object_object_add(so, "signature",
				       json_object_new_string(sg_sig_state_name(src->sig)));
		json_object_object_add(o, "source", so);
	} else {
		json_object_object_add(o, "source", NULL);
	}
	return o;
}
