// SPDX-License-Identifier: GPL-2.0
/*
 * The detection engine: takes observations, keeps the DNS answers that
 * name destinations and the exec records of live processes, applies
 * allow-lists, hands each observation to the heuristics that are on and
 * counts the repeats of an alert; sg_detect_flush() scores them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "internal.h"

double sg_clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

struct json_object *sg_json_double(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

/* Decimal digits of v (0-255) at p; the end. */
static char *put_byte(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = '0' + v / 100;
	if (v >= 10)
		*p++ = '0' + v / 10 % 10;
	*p++ = '0' + v % 10;
	return p;
}

/* IPv4 by hand: every connection's key has its address, and inet_ntop goes through printf. */
const char *sg_detect_addr_str(const struct in6_addr *a, char buf[SG_DETECT_ADDR_STR])
{
	char *p = buf;
	int i;

	if (!IN6_IS_ADDR_V4MAPPED(a))
		return inet_ntop(AF_INET6, a, buf, SG_DETECT_ADDR_STR);
	for (i = 12; i < 16; i++) {
		p = put_byte(p, a->s6_addr[i]);
		*p++ = i < 15 ? '.' : '\0';
	}
	return buf;
}

void sg_exe_facts(struct sg_detect *d, const char *exe, bool *shell, __u32 *path_flags)
{
	struct sg_exe_memo *m;
	size_t len;
	uint64_t h;

	*shell = false;
	*path_flags = 0;
	if (!exe)
		return;
	len = strlen(exe);
	h = sg_hash(exe, len);
	m = &d->exe_memo[h & (SG_EXE_MEMO - 1)];
	if (!m->exe || m->hash != h || strcmp(m->exe, exe)) {
		if (m->exe)
			d->exe_memo_bytes -= strlen(m->exe) + 1;
		free(m->exe);
		m->exe = strdup(exe);
		if (!m->exe) {		/* answered, not remembered */
			*shell = sg_list_match(&d->cfg.shells, exe);
			*path_flags = sg_exe_path_flags(exe);
			return;
		}
		d->exe_memo_bytes += len + 1;
		m->hash = h;
		m->shell = sg_list_match(&d->cfg.shells, exe);
		m->path_flags = sg_exe_path_flags(exe);
	}
	*shell = m->shell;
	*path_flags = m->path_flags;
}

static bool in_prefix(const struct in6_addr *a, const struct in6_addr *p, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a->s6_addr, p->s6_addr, bytes))
		return false;
	if (!bits)
		return true;
	return !((a->s6_addr[bytes] ^ p->s6_addr[bytes]) & (0xff00 >> bits));
}

/* Not public: RFC 6890 special-purpose ranges, private, loopback, multicast. */
bool sg_addr_public(const struct in6_addr *a)
{
	static const struct { __u8 a, b, mask_b, bits; } v4[] = {
		{ 0, 0, 0, 8 }, { 10, 0, 0, 8 }, { 100, 64, 0xc0, 10 }, { 127, 0, 0, 8 },
		{ 169, 254, 0xff, 16 }, { 172, 16, 0xf0, 12 }, { 192, 168, 0xff, 16 },
		{ 198, 18, 0xfe, 15 },
	};
	const __u8 *b = a->s6_addr;
	size_t i;

	if (IN6_IS_ADDR_V4MAPPED(a)) {
		b += 12;
		if (b[0] >= 224)
			return false;
		for (i = 0; i < SG_ARRAY_SIZE(v4); i++) {
			if (b[0] != v4[i].a)
				continue;
			if (v4[i].bits == 8 || (b[1] & v4[i].mask_b) == v4[i].b)
				return false;
		}
		if ((b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2)) ||
		    (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
		    (b[0] == 203 && b[1] == 0 && b[2] == 113))
			return false;
		return true;
	}
	if ((b[0] & 0xe0) != 0x20)	/* global unicast is 2000::/3 */
		return false;
	return !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8);
}

bool sg_detect_allowed(struct sg_detect *d, enum sg_heur h, const struct in6_addr *src,
		       const char *subject, const struct in6_addr *dst, const char *name)
{
	const struct sg_detect_allow *a;
	unsigned int i;

	for (i = 0; i < d->cfg.n_allow; i++) {
		a = &d->cfg.allow[i];
		if (a->heur >= 0 && a->heur != (int)h)
			continue;
		switch (a->kind) {
		case SG_ALLOW_PREFIX:
			if (dst && in_prefix(dst, &a->addr, a->plen))
				goto hit;
			break;
		case SG_ALLOW_NAME:
			if (name && *name && !fnmatch(a->pattern, name, FNM_CASEFOLD))
				goto hit;
			break;
		case SG_ALLOW_SOURCE:
			if (a->is_prefix ? src && in_prefix(src, &a->addr, a->plen)
					 : subject && !fnmatch(a->pattern, subject, 0))
				goto hit;
			break;
		case SG_ALLOW_EXE:
			if (d->cur_exe && sg_exe_match(a->pattern, d->cur_exe))
				goto hit;
			break;
		case SG_ALLOW_UNIT:
			if (d->cur_unit && !fnmatch(a->pattern, d->cur_unit, 0))
				goto hit;
			break;
		}
	}
	return false;
hit:
	d->st.allowed[h]++;
	return true;
}

bool sg_detect_allowed_proc(struct sg_detect *d, enum sg_heur h, const char *exe,
			    const char *unit)
{
	const char *se = d->cur_exe, *su = d->cur_unit;
	bool r;

	d->cur_exe = exe;
	d->cur_unit = unit;
	r = sg_detect_allowed(d, h, NULL, NULL, NULL, NULL);
	d->cur_exe = se;
	d->cur_unit = su;
	return r;
}

const char *sg_basename(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

bool sg_exe_match(const char *pat, const char *path)
{
	if (!path)
		return false;
	return !fnmatch(pat, strchr(pat, '/') ? path : sg_basename(path), 0);
}

bool sg_list_match(const struct sg_list_config *l, const char *path)
{
	unsigned int i;

	for (i = 0; path && i < l->n; i++)
		if (sg_exe_match(l->name[i], path))
			return true;
	return false;
}

const char *sg_addr_port_str(const struct in6_addr *a, __u16 port, char *buf, size_t len)
{
	char s[SG_DETECT_ADDR_STR];

	sg_detect_addr_str(a, s);
	snprintf(buf, len, IN6_IS_ADDR_V4MAPPED(a) ? "%s:%u" : "[%s]:%u", s, port);
	return buf;
}

/* IPv4 (as v4-mapped) or IPv6 text. */
static bool addr_parse(const char *s, struct in6_addr *ret)
{
	struct in6_addr x = { .s6_addr = { [10] = 0xff, [11] = 0xff } };

	if (inet_pton(AF_INET, s, &x.s6_addr[12]) != 1 && inet_pton(AF_INET6, s, &x) != 1)
		return false;
	*ret = x;
	return true;
}

bool sg_alert_dst_addr(const struct sg_alert *a, struct in6_addr *ret)
{
	char buf[SG_DETECT_ADDR_STR + 8];
	const char *s = a->dst;
	char *c;

	if (!s || a->dst_local || strlen(s) >= sizeof(buf))
		return false;
	if (addr_parse(s, ret))
		return true;
	strcpy(buf, s[0] == '[' ? s + 1 : s);
	c = strrchr(buf, s[0] == '[' ? ']' : ':');
	if (!c)
		return false;
	*c = '\0';
	return addr_parse(buf, ret);
}

const char *sg_detect_name_of(struct sg_detect *d, const struct in6_addr *a)
{
	char key[SG_DETECT_ADDR_STR];
	struct sg_dns_entry *e;

	e = (struct sg_dns_entry *)sg_lru_find(&d->dns, sg_detect_addr_str(a, key));
	return e && e->name[0] ? e->name : NULL;
}

/*
 * Repeats of one (heuristic, subject, destination) within detect.suppress
 * of its alert are counted; the flush after the period hands the count on
 * as one summary.
 */
static bool suppressed(struct sg_detect *d, const struct sg_alert *a)
{
	char key[SG_KEY_MAX + 16];
	struct sg_suppress *e;
	bool created;

	if (d->cfg.suppress <= 0 || a->repeats)
		return false;
	if (snprintf(key, sizeof(key), "%s%c%s%c%s", sg_heur_name(a->heur), SG_KEY_SEP, a->src,
		     SG_KEY_SEP, a->dst) >= (int)sizeof(key))
		return false;
	e = (struct sg_suppress *)sg_lru_get(&d->suppress, key, true, &created);
	if (!e)
		return false;
	if (!created && a->ts_last - e->last_emit < d->cfg.suppress &&
	    a->ts_last >= e->last_emit) {
		if (!e->reps++)
			e->first_rep = a->ts_first;
		e->last_rep = a->ts_last;
		e->score = a->score;
		d->st.suppressed++;
		return true;
	}
	e->heur = a->heur;
	e->last_emit = a->ts_last;
	return false;
}

void sg_detect_emit_alert(struct sg_detect *d, const struct sg_alert *in)
{
	struct sg_alert a = *in;

	if (a.score > 100)
		a.score = 100;
	if (suppressed(d, &a))
		return;
	if (a.repeats)
		d->st.summaries++;
	else
		d->st.alerts[a.heur]++;
	if (d->sink.alert)
		d->sink.alert(d->sink.ctx, &a);
}

void sg_detect_emit(struct sg_detect *d, enum sg_heur h, unsigned int score, const char *src,
		    const char *dst, double first, double last, struct json_object *ev)
{
	struct sg_alert a = {
		.heur = h,
		.score = score,
		.src = src,
		.dst = dst,
		.ts_first = first,
		.ts_last = last,
		.evidence = ev,
	};

	sg_detect_emit_alert(d, &a);
}

static void suppress_flush(struct sg_detect *d, double now)
{
	struct sg_lru_node *pos, *tmp;

	sg_lru_for_each_safe(&d->suppress, pos, tmp) {
		struct sg_suppress *e = (struct sg_suppress *)pos;
		char hs[SG_KEY_MAX], rest[SG_KEY_MAX], src[SG_KEY_MAX], dst[SG_KEY_MAX];
		struct json_object *ev;
		struct sg_alert a = { 0 };

		if (now - e->last_emit < d->cfg.suppress)
			continue;
		if (!e->reps) {
			sg_lru_remove(&d->suppress, pos);
			continue;
		}
		sg_key_split(pos->key, hs, sizeof(hs), rest, sizeof(rest));
		sg_key_split(rest, src, sizeof(src), dst, sizeof(dst));
		ev = json_object_new_object();
		json_object_object_add(ev, "repeats", json_object_new_int64(e->reps));
		json_object_object_add(ev, "period", sg_json_double(d->cfg.suppress, 0));
		a.heur = e->heur;
		a.score = e->score;
		a.src = src;
		a.dst = dst;
		a.ts_first = e->first_rep;
		a.ts_last = e->last_rep;
		a.evidence = ev;
		a.repeats = e->reps;
		e->reps = 0;
		e->last_emit = now;
		sg_detect_emit_alert(d, &a);
		json_object_put(ev);
	}
}

static void dns_release(struct sg_lru *t, struct sg_lru_node *n)
{
}

static size_t str_bytes(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static void proc_release(struct sg_lru *t, struct sg_lru_node *n)
{
	struct sg_proc *p = (struct sg_proc *)n;

	t->bytes -= str_bytes(p->exe) + str_bytes(p->parent_exe);
	free(p->exe);
	free(p->parent_exe);
	p->exe = p->parent_exe = NULL;
}

static void open_release(struct sg_lru *t, struct sg_lru_node *n)
{
	struct sg_open *c = (struct sg_open *)n;

	if (c->name == c->name_buf)
		return;
	t->bytes -= str_bytes(c->name);
	free(c->name);
}

/* A pid's key in d->procs: its decimal digits (without printf: once per connection). */
static void pid_key(__u32 pid, char key[16])
{
	char tmp[16];
	int n = 0, i = 0;

	do {
		tmp[n++] = '0' + pid % 10;
		pid /= 10;
	} while (pid);
	while (n)
		key[i++] = tmp[--n];
	key[i] = '\0';
}

struct sg_proc *sg_detect_proc(struct sg_detect *d, __u32 pid)
{
	char key[16];

	if (!pid)
		return NULL;
	pid_key(pid, key);
	return (struct sg_proc *)sg_lru_find(&d->procs, key);
}

/* Paths equal but for a " (deleted)" suffix: a memfd's exe always has one. */
static bool same_exe(const char *a, const char *b)
{
	static const char del[] = " (deleted)";
	size_t la = strlen(a), lb = strlen(b), ld = sizeof(del) - 1;

	if (la >= ld && !strcmp(a + la - ld, del))
		la -= ld;
	if (lb >= ld && !strcmp(b + lb - ld, del))
		lb -= ld;
	return la == lb && !memcmp(a, b, la);
}

struct sg_proc *sg_detect_proc_of(struct sg_detect *d, const struct sg_obs *o)
{
	struct sg_proc *p = sg_detect_proc(d, o->pid);

	/* A record naming another executable: the pid was reused since. */
	if (p && o->kind != SG_DET_EXEC && o->exe && !same_exe(p->exe, o->exe))
		return NULL;
	return p;
}

void sg_alert_who(struct sg_alert *a, const struct sg_obs *o)
{
	a->unit = o->unit;
	a->exe = o->exe;
	a->pid = o->pid;
	a->uid = o->uid;
}

void sg_evidence_proc(struct json_object *ev, struct sg_detect *d, const struct sg_obs *o)
{
	struct sg_proc *p = sg_detect_proc_of(d, o);
	const char *exe = o->exe ? o->exe : p ? p->exe : NULL;

	if (exe)
		json_object_object_add(ev, "exe", json_object_new_string(exe));
	if (o->pid)
		json_object_object_add(ev, "pid", json_object_new_int64(o->pid));
	if (o->uid || p)
		json_object_object_add(ev, "uid", json_object_new_int64(p && !o->uid ? p->uid
										  : o->uid));
	if (o->unit)
		json_object_object_add(ev, "unit", json_object_new_string(o->unit));
	if (p) {
		json_object_object_add(ev, "ppid", json_object_new_int64(p->ppid));
		if (p->parent_exe)
			json_object_object_add(ev, "parent_exe",
					       json_object_new_string(p->parent_exe));
	}
}

int sg_detect_new(const struct sg_detect_config *cfg, const struct sg_detect_sink *sink,
		  struct sg_detect **ret)
{
	struct sg_detect *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	if (sink)
		d->sink = *sink;
	d->first_ts = -1;
	r = sg_lru_init(&d->dns, cfg->max_dns, sizeof(struct sg_dns_entry), dns_release, d);
	if (!r)
		r = sg_lru_init(&d->procs, cfg->max_series, sizeof(struct sg_proc), proc_release, d);
	if (!r)
		r = sg_lru_init(&d->suppress, cfg->max_suppress, sizeof(struct sg_suppress),
				dns_release, d);
	if (!r)
		r = sg_lru_init(&d->open, cfg->max_series, sizeof(struct sg_open), open_release, d);
	if (r)
		goto err;
	r = sg_beacon_new(d);
	if (!r)
		r = sg_exfil_new(d);
	if (!r)
		r = sg_dnstun_new(d);
	if (!r)
		r = sg_dnsless_new(d);
	if (!r)
		r = sg_firstseen_new(d);
	if (r)
		goto err;
	*ret = d;
	return 0;
err:
	sg_detect_free(d);
	return r;
}

void sg_detect_free(struct sg_detect *d)
{
	unsigned int i;

	if (!d)
		return;
	sg_beacon_free(d);
	sg_exfil_free(d);
	sg_dnstun_free(d);
	sg_dnsless_free(d);
	sg_firstseen_free(d);
	sg_lru_destroy(&d->dns);
	sg_lru_destroy(&d->procs);
	sg_lru_destroy(&d->suppress);
	sg_lru_destroy(&d->open);
	for (i = 0; i < SG_EXE_MEMO; i++)
		free(d->exe_memo[i].exe);
	free(d);
}

static int feed_dns(struct sg_detect *d, const struct sg_obs *o)
{
	char addr[SG_DETECT_ADDR_STR], src[SG_DETECT_ADDR_STR];
	struct sg_dns_entry *e;
	unsigned int i;
	int r = 0;

	d->st.dns++;
	if (!o->qname || !*o->qname) {
		d->st.ignored++;
		return 0;
	}
	for (i = 0; i < o->n_answers && i < SG_DETECT_ANSWERS_MAX; i++) {
		sg_detect_addr_str(&o->answers[i], addr);
		e = (struct sg_dns_entry *)sg_lru_get(&d->dns, addr, true, NULL);
		if (!e)
			return -ENOMEM;
		if (!e->name[0] || o->ts < e->first)
			e->first = o->ts;
		if (e->ts <= o->ts || !e->name[0]) {
			e->ts = o->ts;
			snprintf(e->name, sizeof(e->name), "%s", o->qname);
		}
	}
	if (d->cfg.on[SG_HEUR_DNSTUN])
		r = sg_dnstun_query(d, o, o->subject ? o->subject : sg_detect_addr_str(&o->src, src));
	return r;
}

static void addr_text(const struct in6_addr *a, const char *text, char buf[SG_DETECT_ADDR_STR])
{
	size_t len = text ? strlen(text) : SG_DETECT_ADDR_STR;

	if (len < SG_DETECT_ADDR_STR)
		memcpy(buf, text, len + 1);
	else
		sg_detect_addr_str(a, buf);
}

/*
 * The series' buckets of c's key (entry false), or later, once they are
 * there, their first entries (entry true): the lookups of one connection
 * wait for their cache misses together rather than one after another.
 */
static void series_prefetch(struct sg_detect *d, const struct sg_conn_ctx *c, bool entry)
{
	if (!c->key.len)
		return;
	if (d->cfg.on[SG_HEUR_BEACON])
		sg_beacon_prefetch(d, &c->key, entry);
	if (d->cfg.on[SG_HEUR_EXFIL])
		sg_exfil_prefetch(d, &c->key, entry);
	if (d->cfg.on[SG_HEUR_DNSLESS])
		sg_dnsless_prefetch(d, &c->key, entry);
}

/*
 * The connection's text and keys: (subject, destination) is the key of
 * beacon's, exfil's and dnsless's series alike, made and hashed once, and
 * the three buckets start loading at once.
 */
static void conn_ctx_init(struct sg_detect *d, struct sg_conn_ctx *c, const struct sg_obs *o)
{
	c->o = o;
	if (!o->subject)	/* the source is the subject: its text is every key's */
		addr_text(&o->src, o->src_str, c->src);
	addr_text(&o->dst, o->dst_str, c->dst);
	c->dst_public = sg_addr_public(&o->dst);
	if (!sg_lru_key_make(&c->key, o->subject ? o->subject : c->src, c->dst))
		series_prefetch(d, c, false);
}

/* (subject, name) once c->name is known: beacon's name series. */
static void conn_name_key(struct sg_detect *d, struct sg_conn_ctx *c)
{
	if (!c->name || !d->cfg.on[SG_HEUR_BEACON] ||
	    sg_lru_key_make(&c->nkey, c->o->subject ? c->o->subject : c->src, c->name))
		return;
	sg_beacon_prefetch(d, &c->nkey, false);
}

/* The key of a connection id in d->open: its hex digits. */
static void conn_id_key(__u64 id, char key[17])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 15; i >= 0; i--, id >>= 4)
		key[i] = hex[id & 0xf];
	key[16] = '\0';
}

/*
 * The heuristics that keep series of connections with their bytes (beacon,
 * exfil, dnsless): at a connection's start, and again with its bytes at its
 * end (c->end).
 */
static int series_conn(struct sg_detect *d, struct sg_conn_ctx *c)
{
	int r = 0;

	if (d->cfg.on[SG_HEUR_BEACON])
		r = sg_beacon_conn(d, c);
	if (!r && d->cfg.on[SG_HEUR_EXFIL])
		r = sg_exfil_conn(d, c);
	if (!r && d->cfg.on[SG_HEUR_DNSLESS])
		r = sg_dnsless_conn(d, c);
	return r;
}

/*
 * The bytes of a connection counted at its start, to the series that took
 * it; c is the end's context (conn_ctx_init()), judged as start: the end at
 * the start's time.
 */
static int feed_conn_end(struct sg_detect *d, struct sg_conn_ctx *c, struct sg_obs *start,
			 struct sg_open *op)
{
	int r;

	d->st.conn_ends++;
	*start = *c->o;
	start->ts = op->ts;
	c->o = start;
	c->end = true;
	c->took = &op->took;
	c->name = op->name;
	conn_name_key(d, c);
	series_prefetch(d, c, true);
	r = series_conn(d, c);
	sg_lru_remove(&d->open, &op->node);
	return r;
}

/* Remember a connection counted at its start (op, new) until its end comes. */
static int conn_open(struct sg_detect *d, const struct sg_conn_ctx *c, struct sg_open *op,
		     unsigned int took)
{
	op->ts = c->o->ts;
	op->took = took;
	if ((took & SG_TOOK_BEACON_NAME) && c->name) {
		size_t len = strlen(c->name) + 1;

		op->name = len <= sizeof(op->name_buf) ? op->name_buf : malloc(len);
		if (!op->name)
			return -ENOMEM;
		memcpy(op->name, c->name, len);
		if (op->name != op->name_buf)
			d->open.bytes += len;
	}
	return 0;
}

static int feed_conn(struct sg_detect *d, const struct sg_obs *o)
{
	unsigned int took = 0;
	struct sg_conn_ctx c = { .took = &took };
	struct sg_open *op = NULL;
	struct sg_dns_entry *e;
	struct sg_lru_key dk;
	struct sg_obs start;
	char key[17] = "";
	int r = 0;

	/* The keys first: their buckets load while the open connection is looked up. */
	conn_ctx_init(d, &c, o);
	if (o->conn_id && o->conn_end) {
		conn_id_key(o->conn_id, key);
		op = (struct sg_open *)sg_lru_find(&d->open, key);
		if (op)
			return feed_conn_end(d, &c, &start, op);
	}
	if (!sg_lru_key_make(&dk, c.dst, NULL))
		sg_lru_prefetch(&d->dns, &dk);
	if (o->conn_id && !o->conn_end) {
		bool created;

		/* Made now, filled once the heuristics have taken the connection. */
		conn_id_key(o->conn_id, key);
		op = (struct sg_open *)sg_lru_get(&d->open, key, true, &created);
		d->st.evicted_open = d->open.evictions;
		if (!op)
			return -ENOMEM;
		if (!created) {	/* its start again: a restart's overlap */
			d->st.ignored++;
			return 0;
		}
	}
	d->st.conns++;
	series_prefetch(d, &c, true);
	c.proc = sg_detect_proc_of(d, o);
	c.exe = o->exe ? o->exe : c.proc ? c.proc->exe : NULL;
	sg_exe_facts(d, c.exe, &c.exe_shell, &c.exe_path_flags);
	e = dk.len ? (struct sg_dns_entry *)sg_lru_find_key(&d->dns, &dk) : NULL;
	if (e) {
		c.name = e->name;
		c.name_age = o->ts - e->ts;
		c.name_first = e->first;
		conn_name_key(d, &c);
	}
	r = series_conn(d, &c);
	if (!r && d->cfg.on[SG_HEUR_FIRSTSEEN])
		r = sg_firstseen_conn(d, &c);
	if (!r && d->cfg.on[SG_HEUR_FILELESS])
		r = sg_fileless_conn(d, &c);
	if (!r && d->cfg.on[SG_HEUR_REVSHELL])
		r = sg_revshell_conn(d, &c);
	/* An end never seen started is a whole connection: nothing to wait for. */
	if (op && !o->conn_end && r)
		sg_lru_remove(&d->open, &op->node);	/* not counted: its end will be */
	else if (op && !o->conn_end)
		r = conn_open(d, &c, op, took);
	return r;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int feed_exec(struct sg_detect *d, const struct sg_obs *o)
{
	struct sg_proc *p;
	char key[16];
	bool created;
	int r = 0;

	d->st.execs++;
	if (!o->pid || !o->exe) {
		d->st.ignored++;
		return 0;
	}
	pid_key(o->pid, key);
	p = (struct sg_proc *)sg_lru_get(&d->procs, key, true, &created);
	if (!p)
		return -ENOMEM;
	d->st.evicted_procs = d->procs.evictions;
	if (!created)
		proc_release(&d->procs, &p->node);
	p->ts = o->ts;
	p->dev = o->exe_dev;
	p->ino = o->exe_ino;
	p->mtime = o->exe_mtime;
	p->flags = o->exe_flags | sg_exe_path_flags(o->exe);
	p->ppid = o->ppid;
	p->uid = o->uid;
	p->exe = dup_or_null(o->exe);
	p->parent_exe = dup_or_null(o->parent_exe);
	d->procs.bytes += str_bytes(p->exe) + str_bytes(p->parent_exe);
	if (!p->exe || (o->parent_exe && !p->parent_exe))
		return -ENOMEM;
	if (d->cfg.on[SG_HEUR_FIRSTSEEN])
		r = sg_firstseen_exec(d, o);
	if (!r && d->cfg.on[SG_HEUR_REVSHELL])
		r = sg_revshell_exec(d, o);
	return r;
}

static int feed_listen(struct sg_detect *d, const struct sg_obs *o)
{
	int r = 0;

	d->st.listens++;
	if (d->cfg.on[SG_HEUR_LISTENER])
		r = sg_listener_listen(d, o);
	if (!r && d->cfg.on[SG_HEUR_FILELESS])
		r = sg_fileless_listen(d, o);
	return r;
}

int sg_detect_feed(struct sg_detect *d, const struct sg_obs *o)
{
	int r;

	if (d->first_ts < 0 || o->ts < d->first_ts)
		d->first_ts = o->ts;
	if (o->ts > d->last_ts)
		d->last_ts = o->ts;
	d->cur_exe = o->exe;
	d->cur_unit = o->unit;
	switch (o->kind) {
	case SG_DET_DNS:
		r = feed_dns(d, o);
		break;
	case SG_DET_CONN:
		r = feed_conn(d, o);
		break;
	case SG_DET_EXEC:
		r = feed_exec(d, o);
		break;
	case SG_DET_LISTEN:
		r = feed_listen(d, o);
		break;
	case SG_DET_PKTSOCK:
		d->st.pktsocks++;
		r = d->cfg.on[SG_HEUR_PKTSOCK] ? sg_pktsock_obs(d, o) : 0;
		break;
	default:
		d->st.ignored++;
		r = -EINVAL;
		break;
	}
	d->cur_exe = d->cur_unit = NULL;
	return r;
}

void sg_detect_flush(struct sg_detect *d, double now)
{
	if (d->cfg.on[SG_HEUR_BEACON])
		sg_beacon_flush(d, now);
	if (d->cfg.on[SG_HEUR_EXFIL])
		sg_exfil_flush(d, now);
	if (d->cfg.on[SG_HEUR_DNSTUN])
		sg_dnstun_flush(d, now);
	if (d->cfg.on[SG_HEUR_DNSLESS])
		sg_dnsless_flush(d, now);
	suppress_flush(d, now);
}

void sg_detect_get_stats(const struct sg_detect *d, struct sg_detect_stats *st)
{
	*st = d->st;
	st->evicted_dns = d->dns.evictions;
	st->dns_entries = d->dns.n;
	st->procs = d->procs.n;
	st->suppress_entries = d->suppress.n;
	st->open = d->open.n;
	st->mem_bytes = sizeof(*d) + d->dns.bytes + d->procs.bytes + d->suppress.bytes +
			d->open.bytes + sg_beacon_bytes(d) + sg_exfil_bytes(d) +
			sg_dnstun_bytes(d) + sg_dnsless_bytes(d) + sg_firstseen_bytes(d) +
			d->exe_memo_bytes;
}
