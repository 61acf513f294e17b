// SPDX-License-Identifier: GPL-2.0
/*
 * Detection in the daemon: each observation record (daemon/observe.c)
 * becomes one struct sg_obs for the engine (daemon/detect/), which is
 * flushed every SG_DET_FLUSH_MS; packet sockets are swept at start, every
 * SG_DET_SWEEP_SECS and at the flush after a SOCKET record (a filter is
 * attached after socket(), so only the sweep sees it); flagged netfilter
 * hooks come from kguard.c.
 *
 * Subject: the systemd unit of the record's cgroup (cgroup id -> path by
 * file handle -> the deepest .service/.scope/... component, cached), else
 * the executable path (the EXEC record's path, or /proc/PID/exe read when
 * the record arrives, cached by device and inode).
 *
 * Connections: a CONNECT is fed at once (bytes 0) so that fileless,
 * revshell, firstseen and beacon see it while it lasts; a TCP one that will
 * have a FLOW_END carries its socket cookie as conn_id, and the FLOW_END
 * (conn_end, same id) only adds the bytes to it: each connection counts
 * once. A FLOW_END whose CONNECT the engine never saw (lost, or before this
 * daemon) counts as the connection, at its start time. Connections the
 * kernel only counted (repeats, summaries) are not fed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "daemon.h"
#include "detector.h"
#include "lib/log.h"
#include "lib/util.h"

#include "answer.h"
#include "detector_int.h"
#include "quarantine.h"

static double now_real(void)
{
	return sg_clock_s(CLOCK_REALTIME);
}

/*
 * A CLOCK_MONOTONIC stamp as seconds since the epoch. The clocks' offset
 * only moves when the wall clock is set or slewed: it is read again every
 * SG_DET_CLOCK_EVERY records and at each flush, not for every record.
 */
static double mono_to_real(struct sg_detector *t, __u64 ns)
{
	if (!t->clock_age--) {
		t->real_off = now_real() - sg_clock_s(CLOCK_MONOTONIC);
		t->clock_age = SG_DET_CLOCK_EVERY;
	}
	return t->real_off + ns / 1e9;
}

static void line_clear(struct sg_detector *t, struct sg_det_line *l)
{
	if (l->alert) {
		t->ring_bytes -= strlen(l->alert) + 1;
		free(l->alert);
		l->alert = NULL;
	}
	l->o.kind = SG_DET_CONN;
	l->o.subject = NULL;		/* no observation */
}

/* An alert's line, made now (alerts are few). */
static void ring_push(struct sg_detector *t, struct json_object *o)
{
	struct sg_det_line *l;

	t->seq++;
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)t->seq));
	l = &t->ring[t->seq % SG_DET_EVENTS_MAX];
	line_clear(t, l);
	l->alert = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	if (l->alert)
		t->ring_bytes += strlen(l->alert) + 1;
	json_object_put(o);
}

/* The daemon side's own heap: the caches and the events ring. */
static __u64 det_mem_bytes(const struct sg_detector *t)
{
	return sizeof(*t) + t->ring_bytes;
}

/* Copy s into the line's buffer at *at; NULL stays NULL. */
static const char *line_str(const char *s, char *buf, size_t *at)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	memcpy(buf + *at, s, n);
	*at += n;
	return buf + *at - n;
}

/* An observation's line: the record itself, in JSON when asked (ring_obs_json()). */
static void ring_obs(struct sg_detector *t, const struct sg_obs *o)
{
	struct sg_det_line *l;
	size_t need = 0, at = 0;
	const char *subject = o->subject ? o->subject : "?";
	const char *const strs[] = { subject, o->exe, o->unit, o->juris, o->qname };
	unsigned int i;

	t->seq++;
	l = &t->ring[t->seq % SG_DET_EVENTS_MAX];
	line_clear(t, l);
	for (i = 0; i < SG_ARRAY_SIZE(strs); i++)
		need += strs[i] ? strlen(strs[i]) + 1 : 0;
	if (need > l->cap) {
		char *nb = realloc(l->buf, need);

		if (!nb)
			return;		/* the line stays empty */
		t->ring_bytes += need - l->cap;
		l->buf = nb;
		l->cap = need;
	}
	l->o = *o;
	l->o.subject = line_str(subject, l->buf, &at);
	l->o.exe = line_str(o->exe, l->buf, &at);
	l->o.unit = line_str(o->unit, l->buf, &at);
	l->o.juris = line_str(o->juris, l->buf, &at);
	l->o.qname = line_str(o->qname, l->buf, &at);
	l->o.parent_exe = l->o.src_str = l->o.dst_str = NULL;
}

/*
 * The destination's jurisdiction, looked up per alert (alerts are few) as
 * `sovguardctl check` looks it up: its country and AS in the jurisdiction
 * data, the zones of the live policy that hold it, and the name the latest
 * DNS answer gave it. A jurisdiction series ("jurisdiction:CC") is that
 * country.
 */
static void alert_dst(struct sg_detector *t, struct sg_alert *a)
{
	struct sg_det_dst *x = &t->dst;
	struct sg_daemon *d = t->d;
	struct sg_lookup info = { .source = -1 };
	struct in6_addr addr;
	size_t at = 0;
	__u32 z;

	if (a->dst && !strncmp(a->dst, "jurisdiction:", 13) && strlen(a->dst + 13) == 2) {
		memcpy(x->cc, a->dst + 13, sizeof(x->cc));
		a->dst_country = x->cc;
		return;
	}
	if (!sg_alert_dst_addr(a, &addr))
		return;
	if (!a->dst_name && t->eng)
		a->dst_name = sg_detect_name_of(t->eng, &addr);
	if (!d->data || sg_data_lookup(d->data, &addr, &info))
		return;
	if (info.cc[0]) {
		memcpy(x->cc, info.cc, sizeof(x->cc));
		a->dst_country = x->cc;
	}
	if (info.asn) {
		snprintf(x->asn, sizeof(x->asn), "AS%u", info.asn);
		a->dst_asn = x->asn;
	}
	x->zones[0] = '\0';
	for (z = 0; d->pol && z < d->pol->nr_zones; z++) {
		const char *name = d->pol->zones[z].name;
		size_t n = strlen(name);

		if (!sg_zone_holds(d->pol, d->data, &d->pol->zones[z], &addr, &info))
			continue;
		if (at + n + 2 > sizeof(x->zones))
			break;		/* the names that fit */
		if (at)
			x->zones[at++] = ',';
		memcpy(x->zones + at, name, n + 1);
		at += n;
	}
	if (at)
		a->dst_zones = x->zones;
}

/*
 * An alert from the engine: counted, quarantined when the configuration
 * says so (before it is stored, so the stored alert says it), stored and
 * logged, and put into the events ring.
 */
static void on_alert(void *ctx, const struct sg_alert *in)
{
	struct sg_detector *t = ctx;
	struct json_object *o = json_object_new_object(), *al;
	struct sg_alert q = *in, *a = &q;

	if (a->heur < SG_HEUR_MAX)
		t->alerts[a->heur]++;
	alert_dst(t, a);
	q.quarantine = sg_quarantine_alert(t->d, a);
	t->live.alert(t->live.ctx, a);
	if (!o)
		return;
	json_object_object_add(o, "type", json_object_new_string("alert"));
	al = sg_alert_json(a);
	if (al && a->unit)
		json_object_object_add(al, "unit", json_object_new_string(a->unit));
	if (al && a->exe)
		json_object_object_add(al, "exe", json_object_new_string(a->exe));
	json_object_object_add(o, "alert", al);
	ring_push(t, o);
}


static void addr_of(const __u8 *a, __u8 family, struct in6_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (family == AF_INET) {
		ret->s6_addr[10] = ret->s6_addr[11] = 0xff;
		memcpy(&ret->s6_addr[12], a, 4);
	} else {
		memcpy(ret, a, 16);
	}
}

static void set_subject(struct sg_daemon *d, struct sg_det_obs *x, const struct sg_obs_subject *s,
			const char *exe)
{
	struct sg_obs *o = &x->o;

	o->unit = sg_det_cgroup_unit(d, s->cgroup_id);
	o->exe = exe ? exe : sg_det_subject_exe(d->det, s);
	o->pid = s->tgid;
	o->uid = s->uid;
	/* Both strings live in the caches until the next record, the name in x. */
	o->subject = o->unit ? o->unit : o->exe;
	if (!o->subject)
		o->subject = sg_det_comm_name(s, x->comm, sizeof(x->comm));
	if (!o->subject)
		o->subject = "?";
}

static void set_dst(struct sg_daemon *d, struct sg_det_obs *x, const struct sg_obs_tuple *tu)
{
	struct sg_lookup info = { .source = -1 };

	addr_of(tu->saddr, tu->family, &x->o.src);
	addr_of(tu->daddr, tu->family, &x->o.dst);
	x->o.dport = tu->dport;
	x->o.proto = tu->protocol;
	if (d->data && !sg_data_lookup(d->data, &x->o.dst, &info) && info.cc[0]) {
		memcpy(x->juris, info.cc, sizeof(x->juris));
		x->o.juris = x->juris;
	}
}

static void stdio_of(const struct sg_obs_fd *f, struct sg_obs_stdio *s)
{
	s->is_socket = f->type == SG_OBS_FD_SOCKET;
	s->family = f->t.family;
	if (s->is_socket && (f->t.family == AF_INET || f->t.family == AF_INET6)) {
		addr_of(f->t.daddr, f->t.family, &s->peer);
		s->port = f->t.dport;
	}
}

static const char *kind_name(enum sg_det_kind k)
{
	static const char *const n[] = { "conn", "dns", "exec", "listen", "pktsock" };

	return k < SG_ARRAY_SIZE(n) ? n[k] : "?";
}

/* An observation line in JSON, made when asked for. */
static struct json_object *ring_obs_json(const struct sg_obs *o, __u64 seq)
{
	struct json_object *j = json_object_new_object();
	char a[SG_DETECT_ADDR_STR];
	unsigned int i;

	if (!j)
		return NULL;
	json_object_object_add(j, "type", json_object_new_string(kind_name(o->kind)));
	json_object_object_add(j, "ts", json_object_new_double(o->ts));
	json_object_object_add(j, "subject", json_object_new_string(o->subject));
	if (o->exe)
		json_object_object_add(j, "exe", json_object_new_string(o->exe));
	if (o->unit)
		json_object_object_add(j, "unit", json_object_new_string(o->unit));
	json_object_object_add(j, "pid", json_object_new_int64(o->pid));
	json_object_object_add(j, "uid", json_object_new_int64(o->uid));
	switch (o->kind) {
	case SG_DET_CONN:
		json_object_object_add(j, "dst", json_object_new_string(
					       sg_detect_addr_str(&o->dst, a)));
		json_object_object_add(j, "dport", json_object_new_int(o->dport));
		json_object_object_add(j, "proto", json_object_new_int(o->proto));
		json_object_object_add(j, "failed", json_object_new_boolean(o->failed));
		json_object_object_add(j, "bytes_out", json_object_new_int64((int64_t)o->bytes_out));
		json_object_object_add(j, "bytes_in", json_object_new_int64((int64_t)o->bytes_in));
		if (o->juris)
			json_object_object_add(j, "juris", json_object_new_string(o->juris));
		break;
	case SG_DET_DNS: {
		struct json_object *arr = json_object_new_array();

		json_object_object_add(j, "qname", json_object_new_string(o->qname ? o->qname : ""));
		for (i = 0; i < o->n_answers; i++)
			json_object_array_add(arr, json_object_new_string(
						      sg_detect_addr_str(&o->answers[i], a)));
		json_object_object_add(j, "answers", arr);
		break;
	}
	case SG_DET_EXEC:
		json_object_object_add(j, "exe_flags", json_object_new_int(o->exe_flags));
		json_object_object_add(j, "ppid", json_object_new_int64(o->ppid));
		for (i = 0; i < 2; i++)
			if (o->stdio[i].is_socket)
				json_object_object_add(j, i ? "stdout_socket" : "stdin_socket",
						       json_object_new_int(o->stdio[i].family));
		break;
	case SG_DET_LISTEN:
		json_object_object_add(j, "addr", json_object_new_string(
					       sg_detect_addr_str(&o->src, a)));
		json_object_object_add(j, "lport", json_object_new_int(o->lport));
		json_object_object_add(j, "proto", json_object_new_int(o->proto));
		break;
	case SG_DET_PKTSOCK:
		json_object_object_add(j, "family", json_object_new_int(o->sock_family));
		json_object_object_add(j, "sock_type", json_object_new_int(o->sock_type));
		json_object_object_add(j, "sock_proto", json_object_new_int(o->sock_proto));
		break;
	}
	json_object_object_add(j, "seq", json_object_new_int64((int64_t)seq));
	return j;
}

void sg_detector_observed(struct sg_daemon *d, const struct sg_obs_event *ev)
{
	struct sg_detector *t = d->det;
	struct sg_det_obs *x;
	struct sg_obs *o;
	unsigned int i;

	if (!t || !t->eng || ev->kind == SG_OBS_EV_SUMMARY || !ev->hdr)
		return;
	x = &t->cur;
	o = &x->o;
	memset(o, 0, sizeof(*o));
	x->juris[0] = '\0';
	o->ts = mono_to_real(t, ev->hdr->ts_ns);
	o->dir = SG_DIR_OUT;
	switch (ev->kind) {
	case SG_OBS_CONNECT:
		o->kind = SG_DET_CONN;
		set_subject(d, x, &ev->connect->subj, NULL);
		set_dst(d, x, &ev->connect->t);
		o->failed = (ev->hdr->flags & SG_OBS_F_NO_HANDSHAKE) ||
			    ev->connect->verdict == SG_VERDICT_DENY;
		/* Only these get a FLOW_END (bpf/observe.bpf.c: SG_OBS_SK_REPORTED). */
		if (o->proto == IPPROTO_TCP && !o->failed)
			o->conn_id = ev->connect->cookie;
		break;
	case SG_OBS_FLOW_END:
		if (ev->hdr->flags & SG_OBS_F_NO_BYTES)
			return;		/* UDP: the CONNECT said it all */
		o->kind = SG_DET_CONN;
		set_subject(d, x, &ev->flow_end->subj, NULL);
		set_dst(d, x, &ev->flow_end->t);
		o->ts = mono_to_real(t, ev->flow_end->start_ns);
		o->bytes_out = ev->flow_end->bytes_sent;
		o->bytes_in = ev->flow_end->bytes_received;
		o->conn_id = ev->flow_end->cookie;
		o->conn_end = true;
		break;
	case SG_OBS_DNS: {
		const struct sg_dns_answer *an = ev->answer;

		if (!an)
			return;		/* counted as dns_unparsed */
		o->kind = SG_DET_DNS;
		set_subject(d, x, &ev->dns->subj, NULL);
		set_dst(d, x, &ev->dns->t);
		o->qname = an->name;
		for (i = 0; i < an->nr_addrs && o->n_answers < SG_DETECT_ANSWERS_MAX; i++)
			addr_of(an->addrs[i].addr, an->addrs[i].family, &o->answers[o->n_answers++]);
		break;
	}
	case SG_OBS_EXEC: {
		const struct sg_obs_exec *e = ev->exec;
		char *path = x->path, comm[SG_COMM_LEN + 1];
		const char *exe;

		path[0] = '\0';
		o->kind = SG_DET_EXEC;
		snprintf(comm, sizeof(comm), "%.*s", SG_COMM_LEN, e->subj.comm);
		/*
		 * The path as given may be relative or /proc/self/fd/N: the
		 * kernel's is better, while the process still runs this one.
		 */
		if (!sg_det_proc_exe_of(e->subj.tgid, e->subj.exe_dev, e->subj.exe_ino, path,
					sizeof(x->path)) &&
		    (ev->hdr->flags & SG_OBS_F_MEMFD) && !strncmp(comm, "memfd:", 6))
			/* gone already: named as /proc/PID/exe would have */
			snprintf(path, sizeof(x->path), "/%s (deleted)", comm);
		if (path[0] == '/' || e->path[0] == '/')
			exe = sg_det_exe_put(t, e->subj.exe_dev, e->subj.exe_ino,
				      path[0] == '/' ? path : e->path);
		else	/* gone already: the path as given, else its name */
			exe = e->path[0] ? e->path : comm;
		set_subject(d, x, &e->subj, exe);
		o->exe_dev = e->subj.exe_dev;
		o->exe_ino = e->subj.exe_ino;
		o->exe_flags = ((ev->hdr->flags & SG_OBS_F_DELETED) ? SG_EXE_DELETED : 0) |
			       ((ev->hdr->flags & SG_OBS_F_MEMFD) ? SG_EXE_MEMFD : 0) |
			       ((ev->hdr->flags & SG_OBS_F_WORLD_DIR) ? SG_EXE_WW_DIR : 0);
		o->ppid = e->ppid;
		if (sg_det_proc_exe(e->ppid, x->parent, sizeof(x->parent)))
			o->parent_exe = x->parent;
		for (i = 0; i < SG_OBS_STDIO; i++)
			stdio_of(&e->stdio[i], &o->stdio[i]);
		break;
	}
	case SG_OBS_LISTEN:
		o->kind = SG_DET_LISTEN;
		set_subject(d, x, &ev->listen->subj, NULL);
		addr_of(ev->listen->t.saddr, ev->listen->t.family, &o->src);
		o->lport = ev->listen->t.sport;
		o->proto = ev->listen->t.protocol;
		break;
	case SG_OBS_SOCKET:
		o->kind = SG_DET_PKTSOCK;
		set_subject(d, x, &ev->socket->subj, NULL);
		o->sock_family = ev->socket->family;
		o->sock_type = ev->socket->type;
		o->sock_proto = ev->socket->protocol;
		/* Its filter comes later: the next flush sweeps for it. */
		t->next_sweep = 0;
		break;
	default:
		return;
	}
	ring_obs(t, o);
	if (sg_detect_feed(t->eng, o) && o->kind != SG_DET_CONN)
		t->feed_errors++;
}

static int engine_new(struct sg_daemon *d, struct sg_detector *t)
{
	const struct sg_detect_config *cfg = &d->cfg.detect;
	int err;

	err = sg_mkdir_p(cfg->state_dir, 0700);
	if (err)
		sg_warn("detection: cannot create %s: %s", cfg->state_dir, strerror(-err));
	err = sg_alert_store_open(cfg->state_dir, cfg->alerts_max_bytes, &t->store);
	if (err) {
		sg_warn("detection: no alert store in %s (%s): alerts go to the journal only",
			cfg->state_dir, strerror(-err));
		t->store = NULL;
	}
	t->live = sg_detect_sink_live(t->store);
	t->sink = (struct sg_detect_sink){ .alert = on_alert, .ctx = t };
	err = sg_detect_new(cfg, &t->sink, &t->eng);
	if (err)
		return err;
	sg_detect_baseline_load(t->eng, stderr);
	return 0;
}

static void engine_free(struct sg_detector *t)
{
	if (t->eng) {
		sg_detect_flush(t->eng, now_real());
		sg_detect_baseline_save(t->eng);
		sg_detect_free(t->eng);
	}
	sg_alert_store_close(t->store);
	t->eng = NULL;
	t->store = NULL;
}

static void sweep(struct sg_detector *t)
{
	struct timespec m;

	clock_gettime(CLOCK_MONOTONIC, &m);
	if (m.tv_sec < t->next_sweep)
		return;
	t->next_sweep = m.tv_sec + SG_DET_SWEEP_SECS;
	sg_detect_sweep_packet(t->eng, now_real());
}

/*
 * The executables of the processes running now, those of the observed
 * subtree first: their forks' records name them even when gone before read.
 */
static void seed_exes(struct sg_daemon *d, struct sg_detector *t)
{
	const char *root = d->sysres.cgroup_root, *rel = d->cfg.cgroup;
	size_t n = strlen(root);
	char buf[SG_PATH_MAX + 2];

	if (!d->observe)
		return;
	if (n && !strncmp(rel, root, n) && (rel[n] == '/' || !rel[n]))
		rel += n;
	while (*rel == '/')
		rel++;
	snprintf(buf, sizeof(buf), "%s%s", *rel ? "/" : "", rel);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	sg_debug("detection: %u executables of running processes cached",
		 sg_det_exes_seed(t, buf));
}

int sg_detector_start(struct sg_daemon *d, int ep)
{
	struct itimerspec its = {
		.it_interval = { SG_DET_FLUSH_MS / 1000, (SG_DET_FLUSH_MS % 1000) * 1000000L },
		.it_value = { SG_DET_FLUSH_MS / 1000, (SG_DET_FLUSH_MS % 1000) * 1000000L },
	};
	struct epoll_event ev = { .events = EPOLLIN };
	struct sg_detector *t;
	int err;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->timer_fd = -1;
	t->d = d;
	err = engine_new(d, t);
	if (err) {
		engine_free(t);
		free(t);
		return sg_error_errno(err, "detection is off: %m");
	}
	t->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->timer_fd < 0 || timerfd_settime(t->timer_fd, 0, &its, NULL)) {
		err = -errno;
		if (t->timer_fd >= 0)
			close(t->timer_fd);
		engine_free(t);
		free(t);
		return sg_error_errno(err, "detection is off: timer: %m");
	}
	d->det = t;
	seed_exes(d, t);
	ev.data.fd = t->timer_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, t->timer_fd, &ev);
	sweep(t);
	return 0;
}

bool sg_detector_event(struct sg_daemon *d, int fd)
{
	struct sg_detector *t = d->det;
	__u64 n;

	if (!t || fd != t->timer_fd)
		return false;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return true;
	if (d->observe)
		sg_observe_drain(d->observe);
	t->clock_age = 0;	/* the next record reads the clocks' offset again */
	sg_detect_flush(t->eng, now_real());
	sweep(t);
	sg_detect_baseline_save(t->eng);
	return true;
}

/*
 * A new detection configuration rebuilds the engine: the heuristics' tables
 * (beacon series, DNS answers, exfil sums, repeat suppression) start empty;
 * the learned baseline is saved and loaded again, the alert store reopened
 * (in the new state directory), and the events ring and caches stay.
 */
void sg_detector_reload(struct sg_daemon *d, const struct sg_detect_config *old)
{
	struct sg_detector *t = d->det;

	/* The quarantine settings (last) are the daemon's, not the engine's. */
	if (!t || !memcmp(old, &d->cfg.detect, offsetof(struct sg_detect_config, quarantine)))
		return;
	engine_free(t);
	t->rebuilds++;
	if (engine_new(d, t)) {
		sg_warn("detection is off after the reload");
		engine_free(t);
		return;
	}
	t->next_sweep = 0;
	sweep(t);
	sg_info("detection: new settings applied (heuristic tables start empty)");
}

void sg_detector_hook(struct sg_daemon *d, const struct sg_hook_flag *h)
{
	if (d->det && d->det->eng)
		sg_detect_hook(d->det->eng, h, now_real());
}

struct json_object *sg_detector_status(struct sg_daemon *d)
{
	struct sg_detector *t = d->det;
	struct json_object *o = json_object_new_object(), *hs = json_object_new_object();
	struct sg_detect_stats st = { 0 };
	__u64 entries = 0;
	int h;

	json_object_object_add(o, "enabled", json_object_new_boolean(t && t->eng));
	if (!t || !t->eng) {
		json_object_put(hs);
		return o;
	}
	sg_detect_get_stats(t->eng, &st);
	for (h = 0; h < SG_HEUR_MAX; h++) {
		struct json_object *ho = json_object_new_object();

		json_object_object_add(ho, "on", json_object_new_boolean(d->cfg.detect.on[h]));
		json_object_object_add(ho, "alerts", json_object_new_int64((int64_t)t->alerts[h]));
		json_object_object_add(ho, "entries", json_object_new_int64((int64_t)st.entries[h]));
		json_object_object_add(ho, "evicted", json_object_new_int64((int64_t)st.evicted[h]));
		json_object_object_add(ho, "allowed", json_object_new_int64((int64_t)st.allowed[h]));
		json_object_object_add(hs, sg_heur_name(h), ho);
		entries += st.entries[h];
	}
	json_object_object_add(o, "heuristics", hs);
	/* Every table the engine holds, not only the heuristics' own. */
	entries += st.dns_entries + st.procs + st.suppress_entries + st.open;
	json_object_object_add(o, "entries", json_object_new_int64((int64_t)entries));
#define ADD(name, v) json_object_object_add(o, name, json_object_new_int64((int64_t)(v)))
	ADD("conns", st.conns);
	ADD("dns", st.dns);
	ADD("execs", st.execs);
	ADD("listens", st.listens);
	ADD("pktsocks", st.pktsocks);
	ADD("ignored", st.ignored);
	ADD("evicted_dns", st.evicted_dns);
	ADD("evicted_procs", st.evicted_procs);
	ADD("points_dropped", st.points_dropped);
	ADD("stale", st.stale);
	ADD("suppressed", st.suppressed);
	ADD("baseline_full", st.baseline_full);
	ADD("baseline_corrupt", st.baseline_corrupt);
	ADD("sweeps", st.sweeps);
	ADD("sweep_errors", st.sweep_errors);
	ADD("dns_entries", st.dns_entries);
	ADD("procs", st.procs);
	ADD("suppress_entries", st.suppress_entries);
	ADD("open_conns", st.open);
	ADD("evicted_open", st.evicted_open);
	ADD("conn_ends", st.conn_ends);
	ADD("conn_ends_lost", st.conn_ends_lost);
	ADD("memory", st.mem_bytes + det_mem_bytes(t));
	ADD("sweep_netns", st.sweep_netns);
	ADD("sweep_netns_skipped", st.sweep_netns_skipped);
	ADD("sweep_unasked", st.sweep_unasked);
	ADD("feed_errors", t->feed_errors);
	ADD("store_errors", t->store ? sg_alert_store_errors(t->store) : 0);
	ADD("rebuilds", t->rebuilds);
	ADD("events_seq", t->seq);
#undef ADD
	json_object_object_add(o, "state_dir", json_object_new_string(d->cfg.detect.state_dir));
	return o;
}

/* The ring's lines after sequence number @after, oldest first. */
struct json_object *sg_detector_events(struct sg_daemon *d, __u64 after)
{
	struct sg_detector *t = d->det;
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	size_t bytes = 0;
	__u64 first, s;

	if (!t) {
		json_object_object_add(o, "error", json_object_new_string("detection is off"));
		json_object_put(arr);
		return o;
	}
	if (after > t->seq)	/* from a daemon before this one: all we have */
		after = 0;
	first = t->seq > SG_DET_EVENTS_MAX ? t->seq - SG_DET_EVENTS_MAX + 1 : 1;
	if (after && after + 1 < first)
		json_object_object_add(o, "lost", json_object_new_int64((int64_t)(first - after - 1)));
	for (s = after + 1 > first ? after + 1 : first; s <= t->seq; s++) {
		const struct sg_det_line *l = &t->ring[s % SG_DET_EVENTS_MAX];
		struct json_object *j = NULL;
		const char *line = l->alert;

		if (!line && l->o.subject) {
			j = ring_obs_json(&l->o, s);
			line = j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN) : NULL;
		}
		if (!line)
			continue;
		bytes += strlen(line) + 8;
		if (bytes > SG_DET_EVENTS_REPLY_MAX) {
			json_object_put(j);
			json_object_object_add(o, "more", json_object_new_boolean(true));
			break;
		}
		json_object_array_add(arr, json_object_new_string(line));
		json_object_put(j);
	}
	json_object_object_add(o, "last", json_object_new_int64((int64_t)(s - 1)));
	json_object_object_add(o, "events", arr);
	return o;
}

void sg_detector_stop(struct sg_daemon *d)
{
	struct sg_detector *t = d->det;
	unsigned int i;

	if (!t)
		return;
	engine_free(t);
	if (t->timer_fd >= 0)
		close(t->timer_fd);
	for (i = 0; i < SG_DET_EVENTS_MAX; i++) {
		free(t->ring[i].alert);
		free(t->ring[i].buf);
	}
	free(t);
	d->det = NULL;
}
