// SPDX-License-Identifier: GPL-2.0
/*
 * The detection engine: takes observations, keeps the DNS answers that
 * name destinations, applies allow-lists and hands each observation to the
 * heuristics that are on; sg_detect_flush() scores them.
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

const char *sg_detect_addr_str(const struct in6_addr *a, char buf[SG_DETECT_ADDR_STR])
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &a->s6_addr[12], buf, SG_DETECT_ADDR_STR);
	else
		inet_ntop(AF_INET6, a, buf, SG_DETECT_ADDR_STR);
	return buf;
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
		}
	}
	return false;
hit:
	d->st.allowed[h]++;
	return true;
}

void sg_detect_emit(struct sg_detect *d, enum sg_heur h, unsigned int score, const char *src,
		    const char *dst, double first, double last, struct json_object *ev)
{
	struct sg_alert a = {
		.heur = h,
		.score = score > 100 ? 100 : score,
		.src = src,
		.dst = dst,
		.ts_first = first,
		.ts_last = last,
		.evidence = ev,
	};

	d->st.alerts[h]++;
	if (d->sink.alert)
		d->sink.alert(d->sink.ctx, &a);
}

static void dns_release(struct sg_lru *t, struct sg_lru_node *n)
{
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
	if (r)
		goto err;
	r = sg_beacon_new(d);
	if (!r)
		r = sg_exfil_new(d);
	if (!r)
		r = sg_dnstun_new(d);
	if (!r)
		r = sg_dnsless_new(d);
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
	if (!d)
		return;
	sg_beacon_free(d);
	sg_exfil_free(d);
	sg_dnstun_free(d);
	sg_dnsless_free(d);
	sg_lru_destroy(&d->dns);
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

static int feed_conn(struct sg_detect *d, const struct sg_obs *o)
{
	struct sg_conn_ctx c = { .o = o };
	struct sg_dns_entry *e;
	int r = 0;

	d->st.conns++;
	addr_text(&o->src, o->src_str, c.src);
	addr_text(&o->dst, o->dst_str, c.dst);
	c.dst_public = sg_addr_public(&o->dst);
	e = (struct sg_dns_entry *)sg_lru_find(&d->dns, c.dst);
	if (e) {
		c.name = e->name;
		c.name_age = o->ts - e->ts;
		c.name_first = e->first;
	}
	if (d->cfg.on[SG_HEUR_BEACON])
		r = sg_beacon_conn(d, &c);
	if (!r && d->cfg.on[SG_HEUR_EXFIL])
		r = sg_exfil_conn(d, &c);
	if (!r && d->cfg.on[SG_HEUR_DNSLESS])
		r = sg_dnsless_conn(d, &c);
	return r;
}

int sg_detect_feed(struct sg_detect *d, const struct sg_obs *o)
{
	if (d->first_ts < 0 || o->ts < d->first_ts)
		d->first_ts = o->ts;
	if (o->ts > d->last_ts)
		d->last_ts = o->ts;
	return o->kind == SG_OBS_DNS ? feed_dns(d, o) : feed_conn(d, o);
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
}

void sg_detect_get_stats(const struct sg_detect *d, struct sg_detect_stats *st)
{
	*st = d->st;
	st->evicted_dns = d->dns.evictions;
}
