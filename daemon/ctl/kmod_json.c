// SPDX-License-Identifier: GPL-2.0
/*
 * The module's replies as sovguardctl shows them: JSON objects whose keys
 * docs/kmod.md documents, and text.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <json-c/json.h>

#include "../lib/hookcheck.h"
#include "../lib/kmod_client.h"
#include "../lib/names.h"
#include "../lib/status_json.h"
#include "ctl.h"

static void put(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

struct json_object *sg_ctl_kmod_event_json(const struct sg_kmod_status *ev)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (sg_kmod_has(ev, SOVGUARD_A_EVENT))
		put(o, "event", json_object_new_string(sg_kmod_event_name(ev->event)));
	sg_kmod_status_fill(o, ev);
	return o;
}

int sg_ctl_kmod_allow_json(struct json_object **ret)
{
	struct sg_kmod_prefix p[SOVGUARD_ALLOW_MAX];
	struct json_object *arr;
	size_t n, i;
	int err;

	err = sg_kmod_allow_get(p, SOVGUARD_ALLOW_MAX, &n);
	if (err)
		return err;
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		char addr[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];

		if (!inet_ntop(p[i].family, p[i].addr, addr, sizeof(addr))) {
			json_object_put(arr);
			return -EPROTO;
		}
		snprintf(buf, sizeof(buf), "%s/%d", addr, p[i].len);
		json_object_array_add(arr, json_object_new_string(buf));
	}
	*ret = arr;
	return 0;
}

struct json_object *sg_ctl_kmod_hook_json(const struct sg_kmod_hook *h, const char *alert)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	put(o, "family", json_object_new_string(sg_kmod_pf_name(h->pf)));
	put(o, "hook", json_object_new_string(sg_kmod_nf_hook_name(h->pf, h->num)));
	put(o, "hooknum", json_object_new_int(h->num));
	put(o, "priority", json_object_new_int(h->priority));
	if (h->device[0])
		put(o, "device", json_object_new_string(h->device));
	if (h->has_type)
		put(o, "type", json_object_new_int(h->type));
	put(o, "owner_kind", json_object_new_string(sg_kmod_owner_name(h->owner_kind)));
	if (h->owner[0])
		put(o, "owner", json_object_new_string(h->owner));
	if (h->symbol[0])
		put(o, "symbol", json_object_new_string(h->symbol));
	if (alert)
		put(o, "alert", json_object_new_string(alert));
	return o;
}

static const char *sg_jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return "?";
	return json_object_get_string(v);
}

void sg_ctl_kmod_status_print(FILE *f, struct json_object *st)
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
