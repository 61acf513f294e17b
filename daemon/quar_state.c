// SPDX-License-Identifier: GPL-2.0
/*
 * The quarantine set as data (quar_state.h): each entry's rule in the rule
 * language, and the state file's JSON read and written. What is read back
 * is checked as strictly as what an alert makes: an entry whose rule does
 * not parse alone is left out, so a bad file never stops a policy from
 * building.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "policy.h"
#include "quar_state.h"

const char *sg_quar_kind_name(enum sg_quar_kind k)
{
	return k == SG_QUAR_UNIT ? "unit" : "exe";
}

const char *sg_quar_addr_str(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN])
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		return inet_ntop(AF_INET, &a->s6_addr[12], buf, INET6_ADDRSTRLEN);
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/*
 * The rule of @e as the rule language has it. A path goes in quotes, its
 * '"' and '\' escaped; a control character cannot be written at all.
 * Return: 0, or -EINVAL when the subject cannot be written.
 */
int sg_quar_rule_text(const struct sg_quar_entry *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t n = 0;
	const char *s;

#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (n + 1 >= len)                                                                  \
			return -EINVAL;                                                            \
		buf[n++] = (c);                                                                    \
	} while (0)
	n = (size_t)snprintf(buf, len, "deny %s \"", sg_quar_kind_name(e->kind));
	for (s = e->subject; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return -EINVAL;
		if (*s == '"' || *s == '\\')
			PUT('\\');
		PUT(*s);
	}
	PUT('"');
#undef PUT
	buf[n] = '\0';
	if (e->has_dst && (size_t)snprintf(buf + n, len - n, " to %s",
					   sg_quar_addr_str(&e->dst, a)) >= len - n)
		return -EINVAL;
	return 0;
}

/* Whether the rule of @e parses alone; the parser's message in @why. */
bool sg_quar_rule_ok(const struct sg_quar_entry *e, char *why, size_t len)
{
	char line[SG_QUAR_RULE_MAX], *msg = NULL;
	struct sg_parser *p = NULL;
	struct sg_policy *pol = NULL;
	size_t mlen = 0;
	FILE *diag;
	int err;

	if (sg_quar_rule_text(e, line, sizeof(line))) {
		snprintf(why, len, "the %s cannot be written in a rule",
			 sg_quar_kind_name(e->kind));
		return false;
	}
	diag = open_memstream(&msg, &mlen);
	if (!diag)
		return snprintf(why, len, "out of memory"), false;
	err = sg_parser_new(NULL, diag, &p);
	if (!err)
		err = sg_parser_add_line(p, SG_QUARANTINE_RULES, e->id ? e->id : 1, line);
	if (!err)
		err = sg_parser_finish(p, &pol);
	sg_parser_free(p);
	sg_policy_free(pol);
	fclose(diag);
	if (err) {
		if (msg && mlen && msg[mlen - 1] == '\n')
			msg[mlen - 1] = '\0';
		snprintf(why, len, "%s", msg && *msg ? msg : strerror(-err));
	}
	free(msg);
	return !err;
}

struct json_object *sg_quar_entry_json(const struct sg_quar_entry *e)
{
	struct json_object *o = json_object_new_object(), *al = json_object_new_object();
	char a[INET6_ADDRSTRLEN], rule[32];

	snprintf(rule, sizeof(rule), SG_QUARANTINE_RULES ":%u", e->id);
	json_object_object_add(o, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "rule", json_object_new_string(rule));
	json_object_object_add(o, sg_quar_kind_name(e->kind), json_object_new_string(e->subject));
	json_object_object_add(o, "dst", !e->has_dst ? NULL :
				json_object_new_string(sg_quar_addr_str(&e->dst, a)));
	json_object_object_add(o, "since", json_object_new_int64(e->since));
	json_object_object_add(o, "generation", json_object_new_int64(e->generation));
	json_object_object_add(al, "heuristic", json_object_new_string(sg_heur_name(e->heur)));
	json_object_object_add(al, "score", json_object_new_int(e->score));
	json_object_object_add(al, "dst", json_object_new_string(e->alert_dst));
	json_object_object_add(al, "last", json_object_new_string(e->alert_last));
	if (e->pid)
		json_object_object_add(al, "pid", json_object_new_int64(e->pid));
	json_object_object_add(o, "alert", al);
	return o;
}

static const char *jget(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static long long jint(struct json_object *o, const char *k, long long dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

static int heur_of(const char *name)
{
	int h;

	for (h = 0; name && h < SG_HEUR_MAX; h++)
		if (!strcmp(name, sg_heur_name(h)))
			return h;
	return -1;
}

/* One entry of the file back; false when it is not one we wrote. */
static bool entry_from_json(struct json_object *o, struct sg_quar_entry *e, char *why,
			    size_t len)
{
	struct json_object *al = json_object_object_get(o, "alert");
	const char *unit = jget(o, "unit"), *exe = jget(o, "exe"), *dst = jget(o, "dst");
	long long id = jint(o, "id", 0);

	memset(e, 0, sizeof(*e));
	if (id <= 0 || id > 0x7fffffff || !!unit == !!exe) {
		snprintf(why, len, "not a quarantine entry");
		return false;
	}
	e->id = (__u32)id;
	e->kind = unit ? SG_QUAR_UNIT : SG_QUAR_EXE;
	if (snprintf(e->subject, sizeof(e->subject), "%s", unit ? unit : exe) >=
	    (int)sizeof(e->subject)) {
		snprintf(why, len, "subject too long");
		return false;
	}
	if (dst && sg_addr_parse(dst, &e->dst)) {
		snprintf(why, len, "bad destination \"%s\"", dst);
		return false;
	}
	e->has_dst = dst != NULL;
	e->since = (time_t)jint(o, "since", 0);
	e->heur = heur_of(jget(al, "heuristic"));
	e->score = (unsigned int)jint(al, "score", 0);
	e->pid = (__u32)jint(al, "pid", 0);
	snprintf(e->alert_dst, sizeof(e->alert_dst), "%s", jget(al, "dst") ?: "");
	snprintf(e->alert_last, sizeof(e->alert_last), "%s", jget(al, "last") ?: "");
	return sg_quar_rule_ok(e, why, len);
}

int sg_quar_add(struct sg_quar_set *q, const struct sg_quar_entry *e)
{
	if (q->n >= SG_QUARANTINE_MAX)
		return -E2BIG;
	if (q->n == q->cap) {
		unsigned int cap = q->cap ? 2 * q->cap : 16;
		void *p = reallocarray(q->e, cap, sizeof(*q->e));

		if (!p)
			return -ENOMEM;
		q->e = p;
		q->cap = cap;
	}
	q->e[q->n++] = *e;
	return 0;
}

void sg_quar_set_free(struct sg_quar_set *s)
{
	free(s->e);
	*s = (struct sg_quar_set){ .next_id = 1 };
}

struct json_object *sg_quar_set_json(const struct sg_quar_set *s)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	unsigned int i;

	for (i = 0; i < s->n; i++)
		json_object_array_add(arr, sg_quar_entry_json(&s->e[i]));
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "next_id", json_object_new_int64(s->next_id));
	json_object_object_add(o, "quarantines", arr);
	return o;
}

static bool has_id(const struct sg_quar_set *s, __u32 id)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (s->e[i].id == id)
			return true;
	return false;
}

int sg_quar_parse(struct sg_quar_set *s, struct json_object *o,
		  void (*bad)(void *ctx, size_t idx, const char *why), void *ctx)
{
	struct json_object *arr = o ? json_object_object_get(o, "quarantines") : NULL;
	long long next = jint(o, "next_id", 1);
	char why[512];
	size_t i;
	int err;

	if (!o || !json_object_is_type(o, json_type_object) || !arr ||
	    !json_object_is_type(arr, json_type_array) || jint(o, "version", 0) != 1)
		return -EBADMSG;
	s->next_id = next >= 1 && next <= SG_QUAR_ID_MAX ? (__u32)next : 1;
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct sg_quar_entry e;

		if (!entry_from_json(json_object_array_get_idx(arr, i), &e, why, sizeof(why))) {
			bad(ctx, i + 1, why);
			continue;
		}
		if (has_id(s, e.id)) {
			bad(ctx, i + 1, "its id is taken by an entry before it");
			continue;
		}
		err = sg_quar_add(s, &e);
		if (err == -E2BIG) {
			bad(ctx, i + 1, "more than SG_QUARANTINE_MAX entries");
			continue;
		}
		if (err)
			return err;
		/* New ids go on after every id in use; past the last one, back to 1. */
		if (e.id >= s->next_id)
			s->next_id = e.id < SG_QUAR_ID_MAX ? e.id + 1 : 1;
	}
	return 0;
}
