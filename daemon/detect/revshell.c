// SPDX-License-Identifier: GPL-2.0
/*
 * Reverse shells: a shell or interpreter (detect.revshell.shells, matched
 * on the executable's basename) started with an inet socket as its stdin
 * or stdout, the peer being where the shell is driven from (score 95); and
 * a shell connecting out by itself (score 60: scripts fetching with
 * /dev/tcp, `python -c` downloads).
 */
#include <sys/socket.h>
#include <json-c/json.h>

#include "internal.h"

#define SG_REVSHELL_STDIO_SCORE	95
#define SG_REVSHELL_CONN_SCORE	60

static void emit(struct sg_detect *d, const struct sg_obs *o, const char *exe, unsigned int score,
		 const char *dst, struct json_object *ev)
{
	struct sg_alert a = { .heur = SG_HEUR_REVSHELL, .score = score };

	sg_evidence_proc(ev, d, o);
	sg_alert_who(&a, o);
	a.exe = exe;
	a.src = o->subject ? o->subject : exe;
	a.dst = dst;
	a.ts_first = a.ts_last = o->ts;
	a.evidence = ev;
	sg_detect_emit_alert(d, &a);
}

int sg_revshell_exec(struct sg_detect *d, const struct sg_obs *o)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	char peer[SG_DETECT_ADDR_STR + 16] = "", first[SG_DETECT_ADDR_STR + 16] = "";
	struct json_object *ev, *socks;
	unsigned int i, n = 0;

	if (!sg_list_match(&d->cfg.shells, o->exe) ||
	    SG_REVSHELL_STDIO_SCORE < d->cfg.min_score[SG_HEUR_REVSHELL])
		return 0;
	for (i = 0; i < 3; i++) {
		const struct sg_obs_stdio *s = &o->stdio[i];

		/* stderr alone is not the shell's input or output */
		if (i < 2 && s->is_socket && (s->family == AF_INET || s->family == AF_INET6))
			n++;
	}
	if (!n || sg_detect_allowed_proc(d, SG_HEUR_REVSHELL, o->exe, o->unit))
		return 0;
	ev = json_object_new_object();
	socks = json_object_new_object();
	for (i = 0; i < 3; i++) {
		const struct sg_obs_stdio *s = &o->stdio[i];
		struct json_object *so;

		if (!s->is_socket)
			continue;
		so = json_object_new_object();
		json_object_object_add(so, "family", json_object_new_string(
			s->family == AF_INET ? "inet" : s->family == AF_INET6 ? "inet6" :
			s->family == AF_UNIX ? "unix" : "other"));
		if (s->family == AF_INET || s->family == AF_INET6) {
			sg_addr_port_str(&s->peer, s->port, peer, sizeof(peer));
			json_object_object_add(so, "peer", json_object_new_string(peer));
			if (!first[0])
				snprintf(first, sizeof(first), "%s", peer);
		}
		json_object_object_add(socks, names[i], so);
	}
	json_object_object_add(ev, "event", json_object_new_string("exec"));
	json_object_object_add(ev, "sockets", socks);
	emit(d, o, o->exe, SG_REVSHELL_STDIO_SCORE, first, ev);
	json_object_put(ev);
	return 0;
}

int sg_revshell_conn(struct sg_detect *d, const struct sg_conn_ctx *c)
{
	const struct sg_obs *o = c->o;
	const char *exe = c->exe;
	char dst[SG_DETECT_ADDR_STR + 16];
	struct json_object *ev;

	if (o->dir == SG_DIR_IN || !c->exe_shell ||
	    SG_REVSHELL_CONN_SCORE < d->cfg.min_score[SG_HEUR_REVSHELL])
		return 0;
	if (sg_detect_allowed(d, SG_HEUR_REVSHELL, &o->src, o->subject, &o->dst, c->name) ||
	    sg_detect_allowed_proc(d, SG_HEUR_REVSHELL, exe, o->unit))
		return 0;
	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("connect"));
	json_object_object_add(ev, "proto", json_object_new_int(o->proto));
	if (c->name)
		json_object_object_add(ev, "name", json_object_new_string(c->name));
	emit(d, o, exe, SG_REVSHELL_CONN_SCORE, sg_addr_port_str(&o->dst, o->dport, dst,
								  sizeof(dst)), ev);
	json_object_put(ev);
	return 0;
}
