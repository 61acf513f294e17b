// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "control.h"
#include "daemon.h"
#include "detector.h"
#include "lib/log.h"
#include "lib/names.h"

#include "compile.h"

static struct json_object *error_reply(const char *fmt, const char *arg)
{
	struct json_object *o = json_object_new_object();
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static const char *get_str(struct json_object *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int get_int(struct json_object *req, const char *key, long long lo, long long hi,
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
static int cgroup_ancestry(struct sg_daemon *d, const char *path, struct sg_query *q)
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
		if (d->res.cgroup_id(d->res.ctx, sub, &id))
			return -ENOENT;
		q->cgroup[level++] = id;
		if (i == n)
			break;
	}
	return 0;
}

static struct json_object *zones_of(struct sg_daemon *d, const struct in6_addr *a,
				    const struct sg_lookup *info)
{
	struct json_object *arr = json_object_new_array();
	__u32 z, i;

	for (z = 0; z < d->pol->nr_zones; z++) {
		const struct sg_zone *zone = &d->pol->zones[z];

		for (i = 0; i < zone->nr_atoms; i++) {
			const struct sg_atom *atom = &d->pol->atoms[zone->atoms[i]];
			bool hit;

			if (atom->kind == SG_ATOM_LABEL)
				hit = info->label && !strcmp(info->label,
							     sg_data_label(d->data, atom->label));
			else
				hit = sg_atom_matches(atom, a, info);
			if (hit) {
				json_object_array_add(arr, json_object_new_string(zone->name));
				break;
			}
		}
	}
	return arr;
}

static const char *rule_id(struct sg_daemon *d, __u32 rule)
{
	if (rule == SG_RULE_FAIL)
		return "fail";
	if (rule == SG_RULE_REFUSED)
		return "refused";
	if (rule == SG_RULE_DEFAULT)
		return d->pol->default_id;
	return rule < d->pol->nr_rules ? d->pol->rules[rule].id : "?";
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

static struct json_object *cmd_check(struct sg_daemon *d, struct json_object *req)
{
	struct sg_image live = {};
	struct sg_config kc;
	__u32 mode;
	struct sg_query q = {};
	struct sg_answer ans = {};
	struct sg_lookup info = {};
	struct in6_addr a;
	struct json_object *o;
	const char *s, *unit, *cg, *exe;
	char path[SG_PATH_MAX];
	long long n;
	__u32 slot = 0;
	int err;

	s = get_str(req, "addr");
	if (!s || sg_addr_parse(s, &a))
		return error_reply("\"addr\" must be an IPv4 or IPv6 address, not %s",
				   s ? s : "missing");
	/* IPv4 comes as IPv4-mapped: decided as IPv4 (sg_embedded()), and explained. */
	q.family = SG_AF_INET6;
	memcpy(q.addr, a.s6_addr, 16);
	q.protocol = IPPROTO_TCP;
	s = get_str(req, "proto");
	if (s && !strcmp(s, "udp"))
		q.protocol = IPPROTO_UDP;
	else if (s && !strcmp(s, "udplite"))
		q.protocol = SG_IPPROTO_UDPLITE;
	else if (s && strcmp(s, "tcp"))
		return error_reply("\"proto\" must be tcp, udp or udplite, not %s", s);
	err = get_int(req, "port", 0, 65535, &n);
	if (err && err != -ENOENT)
		return error_reply("\"port\" must be a number from 0 to 65535%s", "");
	q.port = err ? 443 : n;
	if (!get_int(req, "uid", 0, 0xffffffffLL, &n))
		q.uid = n;
	if (!get_int(req, "gid", 0, 0xffffffffLL, &n))
		q.gid = n;

	unit = get_str(req, "unit");
	cg = get_str(req, "cgroup");
	exe = get_str(req, "exe");
	if (unit) {
		if (d->res.unit_cgroup(d->res.ctx, unit, path, sizeof(path)))
			return error_reply("unit %s has no cgroup (not running?)", unit);
		cg = path;
	}
	if (cg && cgroup_ancestry(d, cg, &q))
		return error_reply("no cgroup %s", cg);
	if (exe && d->res.exe_id(d->res.ctx, exe, &q.exe_dev, &q.exe_ino))
		return error_reply("cannot stat executable %s", exe);

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

	o = json_object_new_object();
	json_object_object_add(o, "addr", json_object_new_string(get_str(req, "addr")));
	json_object_object_add(o, "verdict", json_object_new_string(sg_verdict_name(ans.verdict)));
	json_object_object_add(o, "effective",
			       json_object_new_string(sg_verdict_name(
					sg_effective_verdict(mode, ans.verdict))));
	json_object_object_add(o, "mode", json_object_new_string(sg_mode_name(mode)));
	json_object_object_add(o, "policy_slot", err ? NULL : json_object_new_int64(slot));
	json_object_object_add(o, "rule", json_object_new_string(rule_id(d, ans.rule)));
	json_object_object_add(o, "rule_index",
			       ans.rule >= SG_RULE_REFUSED ? NULL : json_object_new_int64(ans.rule));
	if (ans.rule < d->pol->nr_rules &&
	    d->pol->rules[ans.rule].name)
		json_object_object_add(o, "rule_name",
				       json_object_new_string(d->pol->rules[ans.rule].name));
	json_object_object_add(o, "generation", json_object_new_int64(ans.generation));
	json_object_object_add(o, "dst_class", json_object_new_int64(ans.dst_class));
	if (ans.embed) {
		/* The jurisdiction below is the embedded address's: the one decided. */
		a = (struct in6_addr){ .s6_addr = { [10] = 0xff, [11] = 0xff,
						    [12] = ans.embed_v4 >> 24,
						    [13] = ans.embed_v4 >> 16,
						    [14] = ans.embed_v4 >> 8, [15] = ans.embed_v4 } };
		json_object_object_add(o, "embedded", embedded_of(&ans));
	} else {
		json_object_object_add(o, "embedded", NULL);
	}

	sg_data_lookup(d->data, &a, &info);
	json_object_object_add(o, "country", info.cc[0] ? json_object_new_string(info.cc) : NULL);
	json_object_object_add(o, "asn", info.asn ? json_object_new_int64(info.asn) : NULL);
	json_object_object_add(o, "flags", json_object_new_int(info.flags));
	json_object_object_add(o, "zones", zones_of(d, &a, &info));
	if (info.source >= 0) {
		const struct sg_source_info *src = sg_data_source(d->data, info.source);
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

/* The loaded jurisdiction data: each source, its kind and signature state. */
static struct json_object *cmd_data(struct sg_daemon *d)
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
	    get_int(req, "after", 0, LLONG_MAX, &after))
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

static struct json_object *cmd_rules(struct sg_daemon *d)
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

		json_object_array_add(arr, rule_json(i, r->id, r->name, r->verdict, hits));
	}
	json_object_object_add(o, "generation", json_object_new_int64(h->generation));
	json_object_object_add(o, "rules", arr);
	json_object_object_add(o, "default", rule_json(SG_RULE_DEFAULT, d->pol->default_id, NULL,
						       d->pol->default_verdict, 0));
	return o;
}

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
	char *reply;		/* waiting to be sent, or NULL */
	size_t reply_len;
};

struct sg_control {
	int ep;			/* the daemon's epoll */
	int timer_fd;		/* fires at the earliest deadline */
	struct sg_file_id id;	/* the socket we bound */
	struct sg_control_conn conn[SG_CONTROL_MAX_CONN];
};

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
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(sa.sun_path, 0600) < 0 ||
	    listen(fd, SG_CONTROL_MAX_CONN) < 0 || sg_file_id_get(sa.sun_path, &c->id) < 0) {
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

static struct json_object *answer(struct sg_daemon *d, const char *buf, ssize_t n)
{
	struct json_tokener *tok;
	struct json_object *req, *rep;
	const char *cmd;

	if (n > SG_CONTROL_MAX_MSG)
		return error_reply("request larger than %s bytes", "4096");
	tok = json_tokener_new_ex(8);
	req = tok ? json_tokener_parse_ex(tok, buf, n) : NULL;
	json_tokener_free(tok);
	cmd = req ? get_str(req, "cmd") : NULL;
	if (!req || !json_object_is_type(req, json_type_object))
		rep = error_reply("request is not a JSON object%s", "");
	else if (!cmd)
		rep = error_reply("request has no \"cmd\"%s", "");
	else if (!d->pol)
		rep = error_reply("no policy loaded%s", "");
	else if (!strcmp(cmd, "check"))
		rep = cmd_check(d, req);
	else if (!strcmp(cmd, "rules"))
		rep = cmd_rules(d);
	else if (!strcmp(cmd, "data"))
		rep = cmd_data(d);
	else if (!strcmp(cmd, "detect"))
		rep = sg_detector_status(d);
	else if (!strcmp(cmd, "events"))
		rep = cmd_events(d, req);
	else
		rep = error_reply("unknown command \"%s\"", cmd);
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
		rep = answer(d, buf, n);
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
