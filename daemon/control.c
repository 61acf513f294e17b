// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "control.h"
#include "daemon.h"
#include "detector.h"
#include "lib/log.h"
#include "lib/kmod_client.h"
#include "lib/names.h"
#include "lib/status_json.h"
#include "metrics.h"
#include "quarantine.h"
#include "flows.h"

#include "answer.h"
#include "compile.h"

/*
 * Connections: each is non-blocking, has until its deadline to send its
 * request and take the reply, and waits in the event loop meanwhile; a
 * reply that the socket cannot take at once is sent when it is writable.
 * When all SG_CONTROL_MAX_CONN slots are taken the oldest connection gives
 * way to the newest: clients that hold a connection open without asking
 * cannot lock others out.
 */
struct sg_control_conn {
	int fd;			/* -1: a free slot */
	long long deadline;	/* CLOCK_MONOTONIC, ms */
	struct ucred peer;	/* SO_PEERCRED at accept */
	bool member;		/* the peer is in the control group */
	char *reply;		/* waiting to be sent, or NULL */
	size_t reply_len;
};

struct sg_control {
	int ep;			/* the daemon's epoll */
	gid_t gid;		/* the control group; (gid_t)-1: none, root alone */
	unsigned long long refused;	/* requests refused for want of privilege */
	long refusal_second;	/* log rate limit of the refusals */
	unsigned int refusals_logged;
	int timer_fd;		/* fires at the earliest deadline */
	struct sg_file_id id;	/* the socket we bound */
	struct sg_control_conn conn[SG_CONTROL_MAX_CONN];
};

static struct json_object *error_reply(const char *fmt, const char *arg)
{
	struct json_object *o = json_object_new_object();
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static struct json_object *cmd_check(struct sg_daemon *d, struct json_object *req)
{
	struct sg_image live = {};
	struct sg_config kc;
	struct sg_query q;
	struct sg_answer ans = {};
	struct in6_addr a;
	struct json_object *o;
	char msg[512];	/* error_reply()'s room */
	__u32 mode, slot = 0;
	int err;

	if (sg_check_query(&d->res, req, &q, &a, msg, sizeof(msg)))
		return error_reply("%s", msg);

	/* What the kernel holds now, not what this daemon last wrote. */
	err = sg_egress_kernel_image(d->egress, &live, &kc, &slot);
	mode = sg_config_mode(&kc);
	if (err == -ENOENT)
		ans = (struct sg_answer){ .rule = SG_RULE_FAIL, .verdict = kc.fail == SG_FAIL_ALLOW ?
					  SG_VERDICT_ALLOW : SG_VERDICT_DENY };
	else if (err == -ESTALE)
		return error_reply("the kernel decides from a policy image this daemon did not "
				   "publish%s", "");
	else if (err || sg_image_decide(&live, &q, &ans))
		return error_reply("no consistent live policy%s", "");

	o = sg_check_reply(d->pol, d->data, req, &a, &ans, mode);
	json_object_object_add(o, "policy_slot", err ? NULL : json_object_new_int64(slot));
	return o;
}

/* The loaded jurisdiction data: each source, its kind and signature state. */
static struct json_object *cmd_data(struct sg_daemon *d, struct json_object *req)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

	for (size_t i = 0; i < sg_data_nr_sources(d->data); i++) {
		const struct sg_source_info *src = sg_data_source(d->data, i);
		struct json_object *so = json_object_new_object();

		json_object_object_add(so, "path", json_object_new_string(src->path));
		json_object_object_add(so, "kind",
				       json_object_new_string(sg_source_kind_name(src->kind)));
		json_object_object_add(so, "signature",
				       json_object_new_string(sg_sig_state_name(src->sig)));
		json_object_object_add(so, "created", json_object_new_int64(src->created));
		json_object_object_add(so, "networks", json_object_new_int64(src->nr_networks));
		json_object_array_add(arr, so);
	}
	json_object_object_add(o, "sources", arr);
	json_object_object_add(o, "data_unsigned", json_object_new_string(
				       sg_unsigned_policy_name(d->cfg.data_unsigned)));
	json_object_object_add(o, "data_key", json_object_new_string(d->cfg.data_key));
	json_object_object_add(o, "data_warn_age_days",
			       json_object_new_int64(d->cfg.data_warn_days));
	return o;
}

/* {"cmd": "events", "after": SEQ}: the events ring after SEQ (detector.c). */
static struct json_object *cmd_events(struct sg_daemon *d, struct json_object *req)
{
	long long after = 0;

	if (json_object_object_get(req, "after") &&
	    sg_req_int(req, "after", 0, LLONG_MAX, &after))
		return error_reply("\"after\" is not a sequence number%s", "");
	return sg_detector_events(d, (__u64)after);
}

static struct json_object *rule_json(__u32 index, const char *id, const char *name,
				     __u32 verdict, __u64 hits)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "index", index == SG_RULE_DEFAULT ? NULL :
					   json_object_new_int64(index));
	json_object_object_add(r, "id", json_object_new_string(id));
	json_object_object_add(r, "name", name ? json_object_new_string(name) : NULL);
	json_object_object_add(r, "verdict", json_object_new_string(sg_verdict_name(verdict)));
	json_object_object_add(r, "hits", json_object_new_int64(hits));
	return r;
}

/* The zone whose atoms are exactly @t's, or NULL (a country, an AS, a prefix...). */
static const struct sg_zone *term_zone(const struct sg_policy *pol, const struct sg_term *t)
{
	for (__u32 z = 0; z < pol->nr_zones; z++) {
		const struct sg_zone *zone = &pol->zones[z];

		if (zone->nr_atoms == t->nr_atoms &&
		    !memcmp(zone->atoms, t->atoms, t->nr_atoms * sizeof(*t->atoms)))
			return zone;
	}
	return NULL;
}

/*
 * The zones a rule names in its destinations ("eea", or "!eea" for `to
 * !eea`): what the metrics count decisions per zone by.
 */
static struct json_object *rule_zones(const struct sg_policy *pol, const struct sg_rule *r)
{
	const struct sg_dest *dests[] = { &r->located, &r->operator };
	struct json_object *arr = json_object_new_array();
	char name[256];

	for (size_t k = 0; k < SG_ARRAY_SIZE(dests); k++) {
		for (__u32 i = 0; i < dests[k]->nr_terms; i++) {
			const struct sg_term *t = &dests[k]->terms[i];
			const struct sg_zone *zone = term_zone(pol, t);

			if (!zone)
				continue;
			snprintf(name, sizeof(name), "%s%s", t->negated ? "!" : "", zone->name);
			json_object_array_add(arr, json_object_new_string(name));
		}
	}
	return arr;
}

/* {"cmd": "release", "id": N} or {"cmd": "release", "all": true}: changes state. */
static struct json_object *cmd_release(struct sg_daemon *d, struct json_object *req)
{
	struct json_object *o, *v;
	bool all = json_object_object_get_ex(req, "all", &v) && json_object_get_boolean(v);
	long long id = 0;
	int n;

	if (!all && sg_req_int(req, "id", 1, 0x7fffffff, &id))
		return error_reply("release needs \"id\" (a quarantine id) or \"all\"%s", "");
	n = sg_quarantine_release(d, (__u32)id, all);
	if (n == -ENOENT)
		return error_reply("no quarantine %s", json_object_get_string(
					   json_object_object_get(req, "id")));
	if (n < 0)
		return error_reply("release not done: the policy without the quarantine was not "
				   "published (%s); see the daemon's log", strerror(-n));
	o = json_object_new_object();
	json_object_object_add(o, "released", json_object_new_int(n));
	json_object_object_add(o, "generation", json_object_new_int64(d->gen));
	return o;
}

static struct json_object *cmd_rules(struct sg_daemon *d, struct json_object *req)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	const struct sg_image_hdr *h;
	const struct sg_blk *live;
	__u32 nr, i;

	live = sg_egress_live(d->egress, &nr);
	if (!live)
		return error_reply("no live policy%s", "");
	h = (const struct sg_image_hdr *)live;
	for (i = 0; i < d->pol->nr_rules && i < h->nr_rules; i++) {
		const struct sg_rule *r = &d->pol->rules[i];
		__u64 hits = __atomic_load_n(&live[h->hits + i / 8].w[i % 8], __ATOMIC_RELAXED);
		struct json_object *rj = rule_json(i, r->id, r->name, r->verdict, hits);
		__u32 qid = sg_quarantine_rule_id(r->file, r->line);

		if (qid)
			json_object_object_add(rj, "quarantine", json_object_new_int64(qid));
		json_object_object_add(rj, "zones", rule_zones(d->pol, r));
		json_object_array_add(arr, rj);
	}
	json_object_object_add(o, "generation", json_object_new_int64(h->generation));
	json_object_object_add(o, "rules", arr);
	json_object_object_add(o, "default", rule_json(SG_RULE_DEFAULT, d->pol->default_id, NULL,
						       d->pol->default_verdict, 0));
	return o;
}

/*
 * What `sovguardctl status -j` shows, gathered by the daemon: the kernel's
 * part through the same code sovguardctl uses (lib/status_json.c), and the
 * daemon's own. Members of the control group read status this way, as
 * they cannot open the pins.
 */
struct json_object *sg_control_status_json(struct sg_daemon *d)
{
	struct json_object *st = json_object_new_object(), *dmn = json_object_new_object();
	struct json_object *mod = NULL;

	json_object_object_add(st, "version", json_object_new_string(SG_VERSION));
	json_object_object_add(dmn, "running", json_object_new_boolean(true));
	json_object_object_add(dmn, "pid", json_object_new_int(getpid()));
	json_object_object_add(dmn, "events", json_object_new_int64(d->events));
	json_object_object_add(dmn, "events_unlogged", json_object_new_int64(d->events_unlogged));
	json_object_object_add(dmn, "control_refused",
			       json_object_new_int64(d->control ? d->control->refused : 0));
	json_object_object_add(dmn, "metrics_write_errors",
			       json_object_new_int64(d->metrics_write_errors));
	json_object_object_add(dmn, "kmod_lease", json_object_new_boolean(d->kmod_present));
	json_object_object_add(st, "daemon", dmn);
	json_object_object_add(st, "data", cmd_data(d, NULL));
	json_object_object_add(st, "flows", sg_flows_json(d));
	json_object_object_add(st, "detection", sg_detector_status(d));
	json_object_object_add(st, "bpf", sg_status_bpf_json(d->cfg.pin_root));
	json_object_object_add(st, "rules", cmd_rules(d, NULL));
	json_object_object_add(st, "module", sg_kmod_status_json(&mod) ? NULL : mod);
	return st;
}

static struct json_object *cmd_status(struct sg_daemon *d, struct json_object *req)
{
	return sg_control_status_json(d);
}

static struct json_object *cmd_metrics(struct sg_daemon *d, struct json_object *req)
{
	struct json_object *o;
	char *text = NULL;
	int err;

	err = sg_metrics_text(d, &text);
	if (err)
		return error_reply("cannot render the metrics: %s", strerror(-err));
	o = json_object_new_object();
	json_object_object_add(o, "text", json_object_new_string(text));
	free(text);
	return o;
}

static struct json_object *reload_reply(struct sg_daemon *d)
{
	struct json_object *o;

	if (sg_daemon_reload(d))
		return error_reply("reload refused: the running policy stays (the log says why)%s",
				   "");
	o = json_object_new_object();
	json_object_object_add(o, "generation", json_object_new_int64(d->gen));
	json_object_object_add(o, "mode", json_object_new_string(sg_mode_name(d->cfg.mode)));
	return o;
}

/* {"cmd": "reload"}: what SIGHUP does, with its outcome in the reply. */
static struct json_object *cmd_reload(struct sg_daemon *d, struct json_object *req)
{
	return reload_reply(d);
}

/*
 * {"cmd": "mode", "mode": "enforce" | "audit" | "off" | "config"}: the mode
 * until the daemon restarts, as --mode sets it; "config" returns to the
 * configuration's. Applied by a reload, all or nothing.
 */
static struct json_object *cmd_mode(struct sg_daemon *d, struct json_object *req)
{
	const char *s = sg_req_str(req, "mode"), *prev = d->mode_override;
	struct json_object *o;
	__u32 mode;

	if (s && !strcmp(s, "config"))
		d->mode_override = NULL;
	else if (s && !sg_mode_parse(s, &mode))
		d->mode_override = sg_mode_name(mode);
	else
		return error_reply("\"mode\" must be enforce, audit, off or config, not %s",
				   s ? s : "missing");
	o = reload_reply(d);
	if (json_object_object_get(o, "error"))
		d->mode_override = prev;
	return o;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void arm_timer(struct sg_control *c)
{
	struct itimerspec its = {};
	long long first = 0, now = now_ms(), ms;
	unsigned int i;

	for (i = 0; i < SG_CONTROL_MAX_CONN; i++)
		if (c->conn[i].fd >= 0 && (!first || c->conn[i].deadline < first))
			first = c->conn[i].deadline;
	if (first) {
		ms = first > now ? first - now : 1;
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000;
	}
	timerfd_settime(c->timer_fd, 0, &its, NULL);
}

static void conn_close(struct sg_control *c, struct sg_control_conn *conn)
{
	epoll_ctl(c->ep, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	free(conn->reply);
	*conn = (struct sg_control_conn){ .fd = -1 };
}

/* A live daemon answers on @path: never take its socket away. */
static bool socket_in_use(const struct sockaddr_un *sa)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	return fd >= 0 && (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
			   errno == EAGAIN);
}

/* The control group's gid, or (gid_t)-1 when there is no such group. */
static gid_t control_gid(const char *name)
{
	char buf[4096], *end;
	struct group gr, *found = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(name, &end, 10);
	if (*name && !*end && !errno && v < (gid_t)-1)
		return v;
	if (getgrnam_r(name, &gr, buf, sizeof(buf), &found) || !found)
		return (gid_t)-1;
	return found->gr_gid;
}

/*
 * The socket is root's and the control group's (0660), or root's alone
 * (0600) when the group does not exist or cannot be given the socket. The
 * daemon has no CAP_CHOWN under its unit: there the socket starts root's
 * alone and the unit's ExecStartPost gives it to the group. Either way the
 * daemon lets the group's members read (SO_PEERCRED, SO_PEERGROUPS): the
 * file's mode only decides who reaches it.
 */
static int socket_access(struct sg_daemon *d, struct sg_control *c, const char *path)
{
	const char *name = d->cfg.control_group;
	struct stat st;

	c->gid = control_gid(name);
	if (c->gid == (gid_t)-1)
		sg_log(strcmp(name, SG_CONTROL_GROUP_DEFAULT) ? LOG_WARNING : LOG_INFO,
		       "control socket: no group %s, root alone may use it", name);
	if (c->gid != (gid_t)-1 && (stat(path, &st) < 0 || st.st_gid != c->gid) &&
	    chown(path, -1, c->gid) < 0) {
		sg_info("control socket: cannot give %s to group %s (%m): root's alone until "
			"the service manager does (ExecStartPost of sovguard.service)", path, name);
		return chmod(path, 0600);
	}
	return chmod(path, c->gid == (gid_t)-1 ? 0600 : 0660);
}

int sg_control_open(struct sg_daemon *d, int ep)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct sg_control *c;
	unsigned int i;
	int fd, err;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" SG_CONTROL_SOCKET, d->cfg.run_dir) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (socket_in_use(&sa))
		return sg_error_errno(-EADDRINUSE, "Another sovguardd answers on %s", sa.sun_path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < SG_CONTROL_MAX_CONN; i++)
		c->conn[i].fd = -1;
	c->ep = ep;
	c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || c->timer_fd < 0) {
		err = -errno;
		goto err_close;
	}
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    socket_access(d, c, sa.sun_path) < 0 || listen(fd, SG_CONTROL_MAX_CONN) < 0 ||
	    sg_file_id_get(sa.sun_path, &c->id) < 0) {
		err = -errno;
		goto err_close;
	}
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto err_errno;
	ev.data.fd = c->timer_fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->timer_fd, &ev) < 0)
		goto err_errno;
	d->control_fd = fd;
	d->control = c;
	return 0;

err_errno:
	err = -errno;
err_close:
	if (fd >= 0)
		close(fd);
	if (c->timer_fd >= 0)
		close(c->timer_fd);
	free(c);
	return sg_error_errno(err, "Failed to open %s: %m", sa.sun_path);
}

static struct json_object *cmd_detect(struct sg_daemon *d, struct json_object *req)
{
	return sg_detector_status(d);
}

static struct json_object *cmd_quarantine(struct sg_daemon *d, struct json_object *req)
{
	return sg_quarantine_json(d);
}

static struct json_object *cmd_flows(struct sg_daemon *d, struct json_object *req)
{
	return sg_flows_json(d);
}

/*
 * Who may ask what: root or a member of the control group may read
 * (SG_CONTROL_READ), root alone may change what is enforced
 * (SG_CONTROL_ROOT). A new command is one line here.
 */
enum sg_control_priv {
	SG_CONTROL_READ,
	SG_CONTROL_ROOT,
};

static const struct sg_control_cmd {
	const char *name;
	struct json_object *(*fn)(struct sg_daemon *d, struct json_object *req);
	enum sg_control_priv priv;
} control_cmds[] = {
	{ "check", cmd_check, SG_CONTROL_READ },
	{ "rules", cmd_rules, SG_CONTROL_READ },
	{ "data", cmd_data, SG_CONTROL_READ },
	{ "detect", cmd_detect, SG_CONTROL_READ },
	{ "events", cmd_events, SG_CONTROL_READ },
	{ "status", cmd_status, SG_CONTROL_READ },
	{ "metrics", cmd_metrics, SG_CONTROL_READ },
	{ "reload", cmd_reload, SG_CONTROL_ROOT },
	{ "quarantine", cmd_quarantine, SG_CONTROL_READ },
	{ "flows", cmd_flows, SG_CONTROL_READ },
	{ "mode", cmd_mode, SG_CONTROL_ROOT },
	{ "release", cmd_release, SG_CONTROL_ROOT },
};

static bool allowed(const struct sg_control_conn *conn, enum sg_control_priv priv)
{
	return conn->peer.uid == 0 || (priv == SG_CONTROL_READ && conn->member);
}

/* Said to the client and logged, at most SG_CONTROL_REFUSALS_LOGGED a second. */
static struct json_object *refuse(struct sg_control *c, const struct sg_control_conn *conn,
				  const struct sg_control_cmd *cmd)
{
	const char *needs = cmd->priv == SG_CONTROL_ROOT ? "root" :
			    c->gid == (gid_t)-1 ? "root (no control group)" :
			    "root or the control group";
	struct timespec ts;
	char msg[128];

	c->refused++;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != c->refusal_second) {
		c->refusal_second = ts.tv_sec;
		c->refusals_logged = 0;
	}
	if (c->refusals_logged++ < SG_CONTROL_REFUSALS_LOGGED)
		sg_warn("control: refused \"%s\" to uid %u gid %u (pid %d): needs %s",
			cmd->name, conn->peer.uid, conn->peer.gid, conn->peer.pid, needs);
	snprintf(msg, sizeof(msg), "permission denied: '%s' needs %s", cmd->name, needs);
	return error_reply("%s", msg);
}

static struct json_object *answer(struct sg_daemon *d, const struct sg_control_conn *conn,
				  const char *buf, ssize_t n)
{
	const struct sg_control_cmd *cmd = NULL;
	struct json_tokener *tok;
	struct json_object *req, *rep;
	const char *name;
	size_t i;

	if (n > SG_CONTROL_MAX_MSG)
		return error_reply("request larger than %s bytes", "4096");
	tok = json_tokener_new_ex(8);
	req = tok ? json_tokener_parse_ex(tok, buf, n) : NULL;
	json_tokener_free(tok);
	name = req ? sg_req_str(req, "cmd") : NULL;
	for (i = 0; name && i < SG_ARRAY_SIZE(control_cmds); i++)
		if (!strcmp(name, control_cmds[i].name))
			cmd = &control_cmds[i];
	if (!req || !json_object_is_type(req, json_type_object))
		rep = error_reply("request is not a JSON object%s", "");
	else if (!name)
		rep = error_reply("request has no \"cmd\"%s", "");
	else if (!cmd)
		rep = error_reply("unknown command \"%s\"", name);
	else if (!allowed(conn, cmd->priv))
		rep = refuse(d->control, conn, cmd);
	else if (!d->pol)
		rep = error_reply("no policy loaded%s", "");
	else
		rep = cmd->fn(d, req);
	json_object_put(req);
	return rep;
}

/* Send the reply; false when the connection waits until it is writable. */
static bool send_reply(struct sg_control *c, struct sg_control_conn *conn)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.fd = conn->fd };
	int size;

	if (send(conn->fd, conn->reply, conn->reply_len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		return true;
	if (errno == EMSGSIZE && conn->reply_len < INT_MAX / 2) {
		/* One message: the send buffer must hold all of it. */
		size = conn->reply_len + 4096;
		if (!setsockopt(conn->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) &&
		    send(conn->fd, conn->reply, conn->reply_len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return true;
	}
	if (errno == EAGAIN && !epoll_ctl(c->ep, EPOLL_CTL_MOD, conn->fd, &ev))
		return false;
	sg_debug("control reply of %zu bytes: %m", conn->reply_len);
	return true;
}

static void conn_ready(struct sg_daemon *d, struct sg_control *c, struct sg_control_conn *conn)
{
	char buf[SG_CONTROL_MAX_MSG + 1];
	struct json_object *rep;
	const char *out;
	ssize_t n;

	if (!conn->reply) {
		n = recv(conn->fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c, conn);
			return;
		}
		buf[n < (ssize_t)sizeof(buf) ? n : (ssize_t)sizeof(buf) - 1] = '\0';
		rep = answer(d, conn, buf, n);
		out = json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN);
		conn->reply_len = strlen(out);
		conn->reply = conn->reply_len <= SG_CONTROL_MAX_REPLY ? strdup(out) : NULL;
		json_object_put(rep);
		if (!conn->reply) {
			sg_debug("control reply of %zu bytes not sent", conn->reply_len);
			conn_close(c, conn);
			return;
		}
	}
	if (send_reply(c, conn))
		conn_close(c, conn);
}

/*
 * Who is at the other end, as the kernel saw it at connect(): uid, and
 * whether the primary or a supplementary group is the control group
 * (SO_PEERGROUPS, Linux 4.13). Unknown means no privilege at all.
 */
static void peer_get(struct sg_control *c, struct sg_control_conn *conn)
{
	socklen_t len = sizeof(conn->peer);
	_cleanup_free_ gid_t *big = NULL;
	gid_t small[64], *groups = small;
	size_t i;

	conn->member = false;
	if (getsockopt(conn->fd, SOL_SOCKET, SO_PEERCRED, &conn->peer, &len) < 0) {
		conn->peer = (struct ucred){ .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
		return;
	}
	if (c->gid == (gid_t)-1)
		return;
	if (conn->peer.gid == c->gid) {
		conn->member = true;
		return;
	}
	len = sizeof(small);
	if (getsockopt(conn->fd, SOL_SOCKET, SO_PEERGROUPS, small, &len) < 0) {
		if (errno != ERANGE || !(big = malloc(len)) ||
		    getsockopt(conn->fd, SOL_SOCKET, SO_PEERGROUPS, big, &len) < 0)
			return;
		groups = big;
	}
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == c->gid)
			conn->member = true;
}

static void accept_all(struct sg_control *c, int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sg_control_conn *slot;
	unsigned int i, n;
	int fd;

	for (n = 0; n < SG_CONTROL_MAX_CONN; n++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			break;
		slot = &c->conn[0];
		for (i = 0; i < SG_CONTROL_MAX_CONN; i++) {
			if (c->conn[i].fd < 0) {
				slot = &c->conn[i];
				break;
			}
			if (c->conn[i].deadline < slot->deadline)
				slot = &c->conn[i];
		}
		if (slot->fd >= 0) {
			sg_debug("control: %d connections open, closing the oldest",
				 SG_CONTROL_MAX_CONN);
			conn_close(c, slot);
		}
		ev.data.fd = fd;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		*slot = (struct sg_control_conn){ .fd = fd,
						  .deadline = now_ms() + SG_CONTROL_TIMEOUT_MS };
		peer_get(c, slot);
	}
}

static void expire(struct sg_control *c)
{
	long long now = now_ms();
	__u64 ticks;
	unsigned int i;

	if (read(c->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		sg_debug("control timer: %m");
	for (i = 0; i < SG_CONTROL_MAX_CONN; i++)
		if (c->conn[i].fd >= 0 && c->conn[i].deadline <= now)
			conn_close(c, &c->conn[i]);
}

/**
 * sg_control_event() - serve @fd if it is the control socket's.
 *
 * Return: true when @fd belonged to the control socket (served), false
 * when it is someone else's.
 */
bool sg_control_event(struct sg_daemon *d, int fd)
{
	struct sg_control *c = d->control;
	unsigned int i;

	if (!c)
		return false;
	if (fd == d->control_fd) {
		accept_all(c, fd);
	} else if (fd == c->timer_fd) {
		expire(c);
	} else {
		for (i = 0; i < SG_CONTROL_MAX_CONN; i++)
			if (c->conn[i].fd == fd)
				break;
		if (i == SG_CONTROL_MAX_CONN)
			return false;
		conn_ready(d, c, &c->conn[i]);
	}
	arm_timer(c);
	return true;
}

void sg_control_close(struct sg_daemon *d)
{
	struct sg_control *c = d->control;
	char path[SG_PATH_MAX + 16];
	unsigned int i;

	if (d->control_fd < 0)
		return;
	close(d->control_fd);
	d->control_fd = -1;
	if (!c)
		return;
	for (i = 0; i < SG_CONTROL_MAX_CONN; i++)
		if (c->conn[i].fd >= 0)
			conn_close(c, &c->conn[i]);
	close(c->timer_fd);
	snprintf(path, sizeof(path), "%s/" SG_CONTROL_SOCKET, d->cfg.run_dir);
	if (sg_unlink_own(path, &c->id) == -ESTALE)
		sg_warn("%s is not ours any more: left in place", path);
	free(c);
	d->control = NULL;
}
