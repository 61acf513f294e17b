// SPDX-License-Identifier: GPL-2.0
/*
 * Unexpected listeners: a bind/listen on a port by an executable that no
 * detect.listener.allow pair (EXE PORT|*) covers and that the learned
 * baseline (firstseen.c, the same learning period) did not see listen on
 * that protocol and port. Score 60, 75 on a port below 1024 or any
 * address, 90 for both.
 */
#include <json-c/json.h>

#include "internal.h"

static bool pair_allowed(const struct sg_detect_config *cfg, const char *exe, __u16 port)
{
	unsigned int i;

	for (i = 0; i < cfg->n_listen_allow; i++)
		if ((cfg->listen_allow[i].port < 0 || cfg->listen_allow[i].port == port) &&
		    sg_exe_match(cfg->listen_allow[i].exe, exe))
			return true;
	return false;
}

int sg_listener_listen(struct sg_detect *d, const struct sg_obs *o)
{
	struct sg_proc *p = sg_detect_proc_of(d, o);
	const char *exe = o->exe ? o->exe : p ? p->exe : NULL;
	struct sg_alert a = { .heur = SG_HEUR_LISTENER };
	char dst[SG_DETECT_ADDR_STR + 16];
	bool any = IN6_IS_ADDR_UNSPECIFIED(&o->src) ||
		   (IN6_IS_ADDR_V4MAPPED(&o->src) && !o->src.s6_addr32[3]);
	struct json_object *ev;
	enum sg_learn l = SG_LEARN_NEW;

	if (!exe || pair_allowed(&d->cfg, exe, o->lport) ||
	    sg_detect_allowed_proc(d, SG_HEUR_LISTENER, exe, o->unit))
		return 0;
	if (d->cfg.listener_learn) {
		l = sg_baseline_listen(d, exe, o->proto, o->lport, o->ts);
		if (l == SG_LEARN_KNOWN || l == SG_LEARN_LEARNED)
			return 0;
	}
	a.score = 60 + (o->lport < 1024 ? 15 : 0) + (any ? 15 : 0);
	if (a.score < d->cfg.min_score[SG_HEUR_LISTENER])
		return 0;
	ev = json_object_new_object();
	sg_evidence_proc(ev, d, o);
	json_object_object_add(ev, "port", json_object_new_int(o->lport));
	json_object_object_add(ev, "proto", json_object_new_int(o->proto));
	json_object_object_add(ev, "any_address", json_object_new_boolean(any));
	json_object_object_add(ev, "baseline", json_object_new_string(
		!d->cfg.listener_learn ? "off" : l == SG_LEARN_FULL ? "full" : "unknown"));
	sg_alert_who(&a, o);
	a.exe = exe;
	a.src = o->subject ? o->subject : exe;
	a.dst = sg_addr_port_str(&o->src, o->lport, dst, sizeof(dst));
	a.dst_local = true;
	a.ts_first = a.ts_last = o->ts;
	a.evidence = ev;
	sg_detect_emit_alert(d, &a);
	json_object_put(ev);
	return 0;
}
