// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel network-hook integrity: one netfilter hook the kernel module's
 * scan flagged, reported through the engine as every other alert. A hook
 * in code no module owns scores 100; one owned by a module outside
 * detect.hookscan.modules 80; one owned by an expected module is not
 * reported.
 */
#include <errno.h>
#include <json-c/json.h>

#include "internal.h"

static const char *pf_name(int pf)
{
	switch (pf) {
	case 1: return "inet";
	case 2: return "ipv4";
	case 3: return "arp";
	case 5: return "netdev";
	case 7: return "bridge";
	case 10: return "ipv6";
	default: return "pf";
	}
}

int sg_detect_hook(struct sg_detect *d, const struct sg_hook_flag *h, double now)
{
	struct sg_alert a = { .heur = SG_HEUR_HOOKSCAN };
	const char *mod = h->module && *h->module ? h->module : NULL;
	char dst[64];
	struct json_object *ev;

	if (!d->cfg.on[SG_HEUR_HOOKSCAN])
		return 0;
	if (h->pf < 0 || h->pf > 255 || h->hooknum > 7)
		return -EINVAL;
	if (mod && sg_list_match(&d->cfg.hook_modules, mod))
		return 0;
	a.score = mod ? 80 : 100;
	if (a.score < d->cfg.min_score[SG_HEUR_HOOKSCAN])
		return 0;
	snprintf(dst, sizeof(dst), "%s/%d/hook%u/prio%d", pf_name(h->pf), h->pf, h->hooknum,
		 h->priority);
	ev = json_object_new_object();
	json_object_object_add(ev, "module", mod ? json_object_new_string(mod) : NULL);
	json_object_object_add(ev, "pf", json_object_new_int(h->pf));
	json_object_object_add(ev, "hooknum", json_object_new_int((int)h->hooknum));
	json_object_object_add(ev, "priority", json_object_new_int(h->priority));
	if (h->reason)
		json_object_object_add(ev, "reason", json_object_new_string(h->reason));
	a.src = mod ? mod : "unknown code";
	a.dst = dst;
	a.ts_first = a.ts_last = now;
	a.evidence = ev;
	sg_detect_emit_alert(d, &a);
	json_object_put(ev);
	return 0;
}
