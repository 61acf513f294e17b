// SPDX-License-Identifier: GPL-2.0
/*
 * Fileless or hidden executables: a process whose executable is a memfd,
 * was deleted after it started, or lives in a world-writable directory,
 * seen connecting out or listening. The flags come from the process's exec
 * record (kept per pid by the engine) or from the path the connection or
 * listener record carries ("/memfd:name (deleted)", "/tmp/x").
 */
#include <string.h>
#include <json-c/json.h>

#include "internal.h"

/* Directories anyone may write to on a stock system. */
static const char *const ww_dirs[] = { "/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/",
				       "/dev/mqueue/" };

__u32 sg_exe_path_flags(const char *exe)
{
	size_t n, i;
	__u32 fl = 0;

	if (!exe)
		return 0;
	n = strlen(exe);
	if (!strncmp(exe, "/memfd:", 7))
		fl |= SG_EXE_MEMFD;
	if (n > 10 && !strcmp(exe + n - 10, " (deleted)"))
		fl |= SG_EXE_DELETED;
	for (i = 0; i < SG_ARRAY_SIZE(ww_dirs); i++)
		if (!strncmp(exe, ww_dirs[i], strlen(ww_dirs[i])))
			fl |= SG_EXE_WW_DIR;
	return fl;
}

/* memfd 95, deleted 85, world-writable directory 70; the highest applies. */
static unsigned int flags_score(__u32 fl)
{
	return fl & SG_EXE_MEMFD ? 95 : fl & SG_EXE_DELETED ? 85 : fl & SG_EXE_WW_DIR ? 70 : 0;
}

/* p: o's process (sg_detect_proc_of()), exe: its executable, fl: exe's path flags. */
static int check(struct sg_detect *d, const struct sg_obs *o, struct sg_proc *p, const char *exe,
		 __u32 fl, const char *what, const char *dst)
{
	struct json_object *ev, *flags;
	unsigned int score;
	struct sg_alert a;

	fl |= p ? p->flags : 0;
	score = flags_score(fl);
	a = (struct sg_alert){ .heur = SG_HEUR_FILELESS, .score = score };

	if (!score || score < d->cfg.min_score[SG_HEUR_FILELESS])
		return 0;
	if (sg_detect_allowed_proc(d, SG_HEUR_FILELESS, exe, o->unit))
		return 0;
	ev = json_object_new_object();
	flags = json_object_new_array();
	if (fl & SG_EXE_MEMFD)
		json_object_array_add(flags, json_object_new_string("memfd"));
	if (fl & SG_EXE_DELETED)
		json_object_array_add(flags, json_object_new_string("deleted"));
	if (fl & SG_EXE_WW_DIR)
		json_object_array_add(flags, json_object_new_string("world-writable-dir"));
	json_object_object_add(ev, "flags", flags);
	json_object_object_add(ev, "event", json_object_new_string(what));
	sg_evidence_proc(ev, d, o);
	if (p) {
		json_object_object_add(ev, "exec_time", sg_json_double(p->ts, 3));
		json_object_object_add(ev, "exe_ino", json_object_new_int64((int64_t)p->ino));
	}
	if (o->kind == SG_DET_CONN) {
		json_object_object_add(ev, "dport", json_object_new_int(o->dport));
		json_object_object_add(ev, "proto", json_object_new_int(o->proto));
	}
	sg_alert_who(&a, o);
	a.exe = exe;
	a.src = o->subject ? o->subject : exe ? exe : "?";
	a.dst = dst;
	a.dst_local = o->kind == SG_DET_LISTEN;
	a.ts_first = p ? p->ts : o->ts;
	a.ts_last = o->ts;
	a.evidence = ev;
	sg_detect_emit_alert(d, &a);
	json_object_put(ev);
	return 0;
}

int sg_fileless_conn(struct sg_detect *d, const struct sg_conn_ctx *c)
{
	if (c->o->dir == SG_DIR_IN)
		return 0;
	return check(d, c->o, c->proc, c->exe, c->exe_path_flags, "connect", c->dst);
}

int sg_fileless_listen(struct sg_detect *d, const struct sg_obs *o)
{
	char dst[SG_DETECT_ADDR_STR + 16];

	struct sg_proc *p = sg_detect_proc_of(d, o);
	const char *exe = o->exe ? o->exe : p ? p->exe : NULL;

	sg_addr_port_str(&o->src, o->lport, dst, sizeof(dst));
	return check(d, o, p, exe, sg_exe_path_flags(exe), "listen", dst);
}
