// SPDX-License-Identifier: GPL-2.0
/*
 * Labelled Zeek trace generator (see zeekgen.h). Actors (beacons, browsing
 * users, Poisson background, scanners, benign periodic jobs, a DNS tunnel,
 * an exfiltration, a DNS-less implant) each keep their next event time;
 * every hour the events of all actors are collected, sorted and written,
 * so memory stays one hour's worth whatever the length of the trace.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "zeekgen.h"

#define GEN_START	1714521600.0	/* 2024-05-01T00:00:00Z */
#define GEN_ADDR	48
#define GEN_NAME	256

struct ev {
	double ts;
	bool dns;
	char orig[GEN_ADDR], resp[GEN_ADDR];
	unsigned int oport, rport;
	bool udp;
	unsigned long long ob, rb;
	const char *state;
	char local;		/* 'T', 'F' or '-' */
	char *query;		/* dns */
	char answer[GEN_ADDR];
};

struct gen {
	const struct sg_zeekgen_opts *o;
	uint64_t rng;
	struct ev *ev;
	size_t n, alloc;
	unsigned long long conn_lines;
	FILE *labels;
	/* negative-series accounting: hash -> connection count */
	struct { uint64_t h; unsigned int conns; unsigned char heur; } *neg;
	size_t neg_size, neg_n;
	uint64_t *pos;		/* labelled keys */
	size_t pos_n, pos_alloc;
};

static uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ULL;
}

static double uni(struct gen *g)
{
	return (rnd(g) >> 11) * (1.0 / 9007199254740992.0);
}

static double expo(struct gen *g, double mean)
{
	return -mean * log(1 - uni(g));
}

static unsigned long long lognorm(struct gen *g, double median, double sigma)
{
	double u1 = uni(g) + 1e-12, u2 = uni(g);
	double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

	return (unsigned long long)(median * exp(sigma * z)) + 1;
}

static uint64_t khash(const char *a, const char *b, int heur)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)heur;
	const char *s;

	for (s = a; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	h = (h ^ 0x1f) * 0x100000001b3ULL;
	for (s = b; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h ? h : 1;
}

enum { H_BEACON, H_EXFIL, H_DNSTUN, H_DNSLESS, H_MAX };
static const char *const hname[H_MAX] = { "beacon", "exfil", "dnstun", "dnsless" };

static int neg_count(struct gen *g, const char *a, const char *b, int heur)
{
	uint64_t h = khash(a, b, heur);
	size_t i;

	if (g->neg_n * 2 >= g->neg_size) {
		size_t ns = g->neg_size ? g->neg_size * 2 : 4096, j;
		__typeof__(g->neg) n = calloc(ns, sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (j = 0; j < g->neg_size; j++) {
			if (!g->neg[j].h)
				continue;
			for (i = g->neg[j].h & (ns - 1); n[i].h; i = (i + 1) & (ns - 1))
				;
			n[i] = g->neg[j];
		}
		free(g->neg);
		g->neg = n;
		g->neg_size = ns;
	}
	for (i = h & (g->neg_size - 1); g->neg[i].h && g->neg[i].h != h;
	     i = (i + 1) & (g->neg_size - 1))
		;
	if (!g->neg[i].h) {
		g->neg[i].h = h;
		g->neg[i].heur = heur;
		g->neg_n++;
	}
	g->neg[i].conns++;
	return 0;
}

static void label(struct gen *g, int heur, const char *a, const char *b)
{
	if (g->pos_n == g->pos_alloc) {
		g->pos_alloc = g->pos_alloc ? 2 * g->pos_alloc : 64;
		g->pos = realloc(g->pos, g->pos_alloc * sizeof(*g->pos));
		if (!g->pos)
			abort();
	}
	g->pos[g->pos_n++] = khash(a, b, heur);
}

static bool is_pos(const struct gen *g, uint64_t h)
{
	size_t i;

	for (i = 0; i < g->pos_n; i++)
		if (g->pos[i] == h)
			return true;
	return false;
}

static struct ev *push(struct gen *g)
{
	struct ev *e;

	if (g->n == g->alloc) {
		size_t na = g->alloc ? 2 * g->alloc : 4096;
		struct ev *ne = realloc(g->ev, na * sizeof(*ne));

		if (!ne)
			abort();
		g->ev = ne;
		g->alloc = na;
	}
	e = &g->ev[g->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

static bool public_v4(const char *a)
{
	return strncmp(a, "10.", 3) && strncmp(a, "192.168.", 8) && strncmp(a, "172.16.", 7);
}

/* An outbound connection; name is the DNS name it was reached by, or NULL. */
static void conn(struct gen *g, double ts, const char *src, const char *dst, unsigned int port,
		 bool udp, unsigned long long ob, unsigned long long rb, const char *state,
		 const char *name)
{
	struct ev *e = push(g);

	e->ts = ts;
	snprintf(e->orig, sizeof(e->orig), "%s", src);
	snprintf(e->resp, sizeof(e->resp), "%s", dst);
	e->oport = 32768 + (unsigned int)(rnd(g) % 28000);
	e->rport = port;
	e->udp = udp;
	e->ob = ob;
	e->rb = rb;
	e->state = state;
	e->local = public_v4(src) && !strncmp(src, "5.9.", 4) ? 'T' : public_v4(src) ? 'F' : 'T';
	if (e->local != 'T' || !strcmp(state, "S0") || !strcmp(state, "REJ"))
		return;
	neg_count(g, src, dst, H_BEACON);
	if (name)
		neg_count(g, src, name, H_BEACON);
	if (public_v4(dst)) {
		neg_count(g, src, dst, H_EXFIL);
		if (port != 53)
			neg_count(g, src, dst, H_DNSLESS);
	}
}

static void inbound(struct gen *g, double ts, const char *src, const char *dst, unsigned int port,
		    const char *state, unsigned long long ob, unsigned long long rb)
{
	struct ev *e = push(g);

	e->ts = ts;
	snprintf(e->orig, sizeof(e->orig), "%s", src);
	snprintf(e->resp, sizeof(e->resp), "%s", dst);
	e->oport = 1024 + (unsigned int)(rnd(g) % 60000);
	e->rport = port;
	e->ob = ob;
	e->rb = rb;
	e->state = state;
	e->local = 'F';
}

static void dnsq(struct gen *g, double ts, const char *src, const char *name, const char *answer)
{
	struct ev *e = push(g);
	const char *dom = name + strlen(name);
	int dots = 0;

	e->ts = ts;
	e->dns = true;
	snprintf(e->orig, sizeof(e->orig), "%s", src);
	snprintf(e->resp, sizeof(e->resp), "10.1.0.53");
	e->oport = 1024 + (unsigned int)(rnd(g) % 60000);
	e->rport = 53;
	e->udp = true;
	e->query = strdup(name);
	if (answer)
		snprintf(e->answer, sizeof(e->answer), "%s", answer);
	while (dom > name && !(dom[-1] == '.' && ++dots == 2))
		dom--;
	if (dom > name)
		neg_count(g, src, dom, H_DNSTUN);
}

/* ---- actors ---- */

struct beacon {
	char src[GEN_ADDR], dst[GEN_ADDR], name[GEN_NAME];
	double period, jitter, size, size_jitter, next, resolved;
	bool inbound_state_failed;
};

struct site {
	char name[GEN_NAME], addr[GEN_ADDR];
};

#define N_SITES 300

struct world {
	struct beacon *b;
	unsigned int nb;
	struct site sites[N_SITES];
	double *user_next;		/* browsing session starts */
	unsigned int users;
	double *bg_next;		/* Poisson background flows */
	unsigned int bg;
	double ntp_next[16];
	double scrape_next;
	double saas_next[4];
	double apt_next[8];
	double cdn_next;
	unsigned int hosts;		/* hosts running NTP and apt */
	char sensor[GEN_ADDR];
	double tun_next[2];
	unsigned long long tun_seq;
	double implant_next;
	double exfil_next;
	unsigned int exfil_left;
	double backup_next;
};

static const unsigned int periods[] = { 30, 60, 120, 300, 600, 900, 1800 };
static const unsigned int scan_ports[] = { 22, 23, 80, 443, 445 };

static void site_init(struct gen *g, struct world *w)
{
	static const char *const tld[] = { "com", "net", "org", "io", "de" };
	unsigned int i;

	for (i = 0; i < N_SITES; i++) {
		snprintf(w->sites[i].name, GEN_NAME, "www.site%u.%s", i, tld[i % 5]);
		snprintf(w->sites[i].addr, GEN_ADDR, "93.%u.%u.%u", 100 + i / 250, i % 250 + 1,
			 (unsigned int)(rnd(g) % 200) + 10);
	}
}

static int world_init(struct gen *g, struct world *w)
{
	const struct sg_zeekgen_opts *o = g->o;
	bool noisy = o->profile == SG_ZEEKGEN_NOISY;
	unsigned int i;

	memset(w, 0, sizeof(*w));
	site_init(g, w);
	snprintf(w->sensor, GEN_ADDR, "5.9.10.20");
	if (o->profile == SG_ZEEKGEN_BENCH)
		return 0;
	w->nb = o->beacons;
	w->b = calloc(w->nb ? w->nb : 1, sizeof(*w->b));
	w->users = noisy ? 4 : 30;
	w->bg = noisy ? 20 : 120;
	w->hosts = noisy ? 4 : 16;
	w->user_next = calloc(w->users, sizeof(double));
	w->bg_next = calloc(w->bg, sizeof(double));
	if (!w->b || !w->user_next || !w->bg_next)
		return -ENOMEM;
	for (i = 0; i < w->nb; i++) {
		struct beacon *b = &w->b[i];

		if (noisy && i % 3 == 0)
			snprintf(b->src, GEN_ADDR, "%s", w->sensor);
		else
			snprintf(b->src, GEN_ADDR, "10.1.1.%u", i + 1);
		snprintf(b->dst, GEN_ADDR, "45.%u.%u.10", 33 + i / 200, i % 200 + 1);
		snprintf(b->name, GEN_NAME, "api%u.cloud-sync%u.net", i, i * 7 % 13);
		b->period = periods[i % (sizeof(periods) / sizeof(periods[0]))];
		b->jitter = w->nb > 1 ? o->max_jitter * i / (w->nb - 1) : o->max_jitter;
		b->size = 200 + (double)(rnd(g) % 4000);
		b->size_jitter = i % 2 ? 0.2 : 0;
		b->next = GEN_START + uni(g) * b->period;
		b->resolved = -1e18;
		fprintf(g->labels, "beacon\t%s\t%s\t%s\t%.3f\n", b->src, b->dst, b->name, b->jitter);
		label(g, H_BEACON, b->src, b->dst);
		label(g, H_BEACON, b->src, b->name);
	}
	for (i = 0; i < w->users; i++)
		w->user_next[i] = GEN_START + expo(g, 3600);
	for (i = 0; i < w->bg; i++)
		w->bg_next[i] = GEN_START + uni(g) * 600;
	for (i = 0; i < w->hosts && i < 16; i++)
		w->ntp_next[i] = GEN_START + uni(g) * 64;
	for (i = 0; i < 8; i++)
		w->apt_next[i] = GEN_START + uni(g) * 3600;
	for (i = 0; i < 4; i++)
		w->saas_next[i] = GEN_START + uni(g) * 10;
	w->scrape_next = GEN_START;
	w->cdn_next = GEN_START + uni(g) * 60;
	w->tun_next[0] = GEN_START + 3 * 3600;
	w->tun_next[1] = GEN_START + 14 * 3600;
	w->implant_next = GEN_START + 2 * 3600 + uni(g) * 3600;
	w->exfil_next = GEN_START + 20 * 3600;
	w->exfil_left = 40;
	w->backup_next = GEN_START + 2 * 3600;
	if (noisy)
		return 0;
	fprintf(g->labels, "dnstun\t10.1.6.1\texfil-dns.net\n");
	fprintf(g->labels, "dnstun\t10.1.6.2\tcdn-tunnel.org\n");
	label(g, H_DNSTUN, "10.1.6.1", "exfil-dns.net");
	label(g, H_DNSTUN, "10.1.6.2", "cdn-tunnel.org");
	fprintf(g->labels, "dnsless\t10.1.5.1\t91.200.1.1\n");
	label(g, H_DNSLESS, "10.1.5.1", "91.200.1.1");
	fprintf(g->labels, "exfil\t10.1.4.1\t45.60.1.1\n");
	label(g, H_EXFIL, "10.1.4.1", "45.60.1.1");
	/* The exfiltration's destination has no DNS name either. */
	fprintf(g->labels, "dnsless\t10.1.4.1\t45.60.1.1\n");
	label(g, H_DNSLESS, "10.1.4.1", "45.60.1.1");
	return 0;
}

static void world_free(struct world *w)
{
	free(w->b);
	free(w->user_next);
	free(w->bg_next);
}

static void b32(struct gen *g, char *out, size_t len)
{
	static const char a[] = "abcdefghijklmnopqrstuvwxyz234567";
	size_t i;

	for (i = 0; i + 1 < len; i++)
		out[i] = a[rnd(g) % 32];
	out[len - 1] = 0;
}

static void hour_actors(struct gen *g, struct world *w, double h0, double h1)
{
	const struct sg_zeekgen_opts *o = g->o;
	bool noisy = o->profile == SG_ZEEKGEN_NOISY;
	char src[GEN_ADDR], dst[GEN_ADDR], name[GEN_NAME];
	unsigned int i, k;

	/* Beacons: period x (1 +- jitter), size x (1 +- size jitter), DNS every 300 s. */
	for (i = 0; i < w->nb; i++) {
		struct beacon *b = &w->b[i];

		for (; b->next < h1; b->next += b->period * (1 + b->jitter * (2 * uni(g) - 1))) {
			if (b->next - b->resolved > 300) {
				dnsq(g, b->next - 0.05, b->src, b->name, b->dst);
				b->resolved = b->next;
			}
			conn(g, b->next, b->src, b->dst, 443, false,
			     (unsigned long long)(b->size * (1 + b->size_jitter * (2 * uni(g) - 1))),
			     120 + rnd(g) % 40, "SF", b->name);
		}
	}
	/* Browsing: sessions in working hours, bursts to a few sites. */
	for (i = 0; i < w->users; i++) {
		while (w->user_next[i] < h1) {
			double t = w->user_next[i];
			int hod = (int)fmod((t - GEN_START) / 3600, 24);
			unsigned int nsites = 2 + (unsigned int)(rnd(g) % 6), s;

			snprintf(src, sizeof(src), "10.1.2.%u", i + 1);
			for (s = 0; s < nsites && (hod >= 8 && hod < 19); s++) {
				/* favourites: a few sites each user returns to */
				const struct site *st = &w->sites[rnd(g) % 3 ? (i * 7 + rnd(g) % 4) % N_SITES
								: rnd(g) % N_SITES];
				unsigned int nc = 3 + (unsigned int)(rnd(g) % 25);

				dnsq(g, t, src, st->name, st->addr);
				for (k = 0; k < nc; k++) {
					t += expo(g, 4);
					conn(g, t, src, st->addr, 443, false, lognorm(g, 800, 0.8),
					     lognorm(g, 30000, 1.5), "SF", st->name);
				}
				t += expo(g, 60);
			}
			w->user_next[i] += expo(g, 40 * 60);
		}
	}
	/* Poisson background: each flow a mean gap of 2-30 min, all day. */
	for (i = 0; i < w->bg; i++) {
		const struct site *st = &w->sites[(i * 13 + 5) % N_SITES];
		double mean = 120 + (i % 15) * 120;

		snprintf(src, sizeof(src), "10.1.3.%u", i % 60 + 1);
		for (; w->bg_next[i] < h1; w->bg_next[i] += expo(g, mean)) {
			/* resolved at the first connection, then now and then */
			if (w->bg_next[i] < GEN_START + 600 || rnd(g) % 8 == 0)
				dnsq(g, w->bg_next[i] - 0.01, src, st->name, st->addr);
			conn(g, w->bg_next[i], src, st->addr, 443, false, lognorm(g, 1500, 1.0),
			     lognorm(g, 6000, 1.0), "SF", st->name);
		}
	}
	/* NTP: every host polls a pool server, 64 s doubling to 1024 s. */
	for (i = 0; i < w->hosts && i < 16; i++) {
		double t0 = w->ntp_next[i];

		if (noisy && i == 0)
			snprintf(src, sizeof(src), "%s", w->sensor);
		else
			snprintf(src, sizeof(src), "10.1.0.%u", i + 100);
		snprintf(name, sizeof(name), "%u.debian.pool.ntp.org", i % 4);
		snprintf(dst, sizeof(dst), "94.130.%u.123", i % 4 + 1);
		for (; w->ntp_next[i] < h1;) {
			double age = w->ntp_next[i] - GEN_START, poll = 64;

			while (poll < 1024 && age > poll * 20)
				poll *= 2;
			if (w->ntp_next[i] == t0 && t0 < GEN_START + 64)
				dnsq(g, t0 - 0.1, src, name, dst);
			conn(g, w->ntp_next[i], src, dst, 123, true, 48, 48, "SF", name);
			w->ntp_next[i] += poll + uni(g) * 2;
		}
	}
	/* Package timers: hourly apt checks against a mirror. */
	for (i = 0; i < 8 && i < w->hosts; i++) {
		snprintf(src, sizeof(src), "10.1.0.%u", i + 100);
		for (; w->apt_next[i] < h1; w->apt_next[i] += 3600 + uni(g) * 300) {
			dnsq(g, w->apt_next[i] - 0.2, src, "deb.debian.org", "151.101.2.132");
			conn(g, w->apt_next[i], src, "151.101.2.132", 80, false, 350,
			     20000 + rnd(g) % 1000, "SF", "deb.debian.org");
		}
	}
	/* Monitoring: scrapes every 15 s from the monitoring host, a SaaS agent every 10 s. */
	for (; w->scrape_next < h1; w->scrape_next += 15) {
		for (i = 0; i < 4; i++) {
			snprintf(dst, sizeof(dst), "10.1.0.%u", i + 100);
			conn(g, w->scrape_next + i * 0.01, "10.1.0.9", dst, 9100, false, 200,
			     15000 + rnd(g) % 500, "SF", NULL);
		}
	}
	for (i = 0; i < 4; i++) {
		snprintf(src, sizeof(src), "10.1.0.%u", i + 100);
		for (; w->saas_next[i] < h1; w->saas_next[i] += 10 + uni(g) * 0.5) {
			if (fmod(w->saas_next[i] - GEN_START, 3600) < 10.5)
				dnsq(g, w->saas_next[i] - 0.01, src, "intake.metrics.datadoghq.com",
				     "3.233.146.1");
			conn(g, w->saas_next[i], src, "3.233.146.1", 443, false, 1200 + rnd(g) % 100,
			     300, "SF", "intake.metrics.datadoghq.com");
		}
	}
	/* Normal DNS with many short unique names under one CDN domain. */
	for (; w->cdn_next < h1; w->cdn_next += expo(g, 20)) {
		snprintf(name, sizeof(name), "img%u.static-cdn.com", (unsigned int)(rnd(g) % 600));
		snprintf(src, sizeof(src), "10.1.2.%u", (unsigned int)(rnd(g) % w->users) + 1);
		dnsq(g, w->cdn_next, src, name, "104.16.1.1");
	}
	/* Scanners hammering one host: many sources, mostly S0/REJ, bursts. */
	{
		unsigned int nscan = noisy ? 60 : 6, per = noisy ? 400 : 200;
		const char *victim = noisy ? w->sensor : "10.1.0.5";

		for (i = 0; i < nscan; i++) {
			double t = h0 + uni(g) * 3000;
			unsigned int j, n = per / 2 + (unsigned int)(rnd(g) % per);
			static const char *const st[] = { "S0", "S0", "REJ", "S0", "RSTO", "SF" };

			snprintf(src, sizeof(src), "185.%u.%u.%u", 220 + i % 30, (unsigned int)(rnd(g) % 4),
				 i + 1);
			for (j = 0; j < n; j++) {
				const char *s = st[rnd(g) % 6];

				t += noisy ? uni(g) * 2 : uni(g);
				inbound(g, t, src, victim, scan_ports[j % 5], s,
					strcmp(s, "SF") ? 0 : 40, strcmp(s, "SF") ? 0 : 20);
			}
		}
		/* A slow, regular scanner all day long (inbound, so not a beacon). */
		for (k = 0; k < 12; k++)
			inbound(g, h0 + k * 300 + uni(g), "198.20.69.74", victim, 22, "SF", 22, 40);
	}
	if (noisy)
		return;
	/* DNS tunnel: thousands of long random names under one domain. */
	for (i = 0; i < 2; i++) {
		double end = w->tun_next[i] < GEN_START + 12 * 3600 ? GEN_START + 6 * 3600
								 : GEN_START + 16 * 3600;
		char lab[64];

		snprintf(src, sizeof(src), "10.1.6.%u", i + 1);
		for (; w->tun_next[i] < h1 && w->tun_next[i] < end; w->tun_next[i] += expo(g, 2)) {
			b32(g, lab, 40 + (size_t)(rnd(g) % 20));
			snprintf(name, sizeof(name), i ? "%s.%llu.cdn-tunnel.org" : "%s.t1.exfil-dns.net",
				 lab, w->tun_seq++);
			dnsq(g, w->tun_next[i], src, name, NULL);
		}
	}
	/* A DNS-less implant: a direct address, irregular, a few times. */
	for (; w->implant_next < h1 && w->implant_next < GEN_START + 20 * 3600;
	     w->implant_next += expo(g, 2 * 3600))
		conn(g, w->implant_next, "10.1.5.1", "91.200.1.1", 8443, false, 900, 4000, "SF", NULL);
	/* Exfiltration: 40 x 20 MB up in two hours, nothing much back. */
	for (; w->exfil_left && w->exfil_next < h1; w->exfil_left--, w->exfil_next += 180)
		conn(g, w->exfil_next, "10.1.4.1", "45.60.1.1", 443, false, 20000000 + rnd(g) % 100000,
		     3000, "SF", NULL);
	/* A nightly backup (allowed): 300 MB up to a named cloud host. */
	for (; w->backup_next < h1; w->backup_next += 86400) {
		dnsq(g, w->backup_next - 0.1, "10.1.0.100", "backup.example-cloud.com", "52.1.2.3");
		for (k = 0; k < 15; k++)
			conn(g, w->backup_next + k * 60, "10.1.0.100", "52.1.2.3", 443, false, 20000000,
			     5000, "SF", "backup.example-cloud.com");
	}
}

static void hour_bench(struct gen *g, struct world *w, double h0, double h1)
{
	unsigned long long per = g->o->conn_lines / (g->o->hours ? g->o->hours : 24) + 1, i;
	char src[GEN_ADDR];

	/* 2000 hosts, each with 8 favourite sites out of the 300 */
	for (i = 0; i < per && g->conn_lines + g->n < g->o->conn_lines; i++) {
		unsigned int host = (unsigned int)(rnd(g) % 2000);
		const struct site *st = &w->sites[(host * 37 + rnd(g) % 8) % N_SITES];

		snprintf(src, sizeof(src), "10.2.%u.%u", host / 250, host % 250 + 1);
		conn(g, h0 + uni(g) * (h1 - h0), src, st->addr, 443, false, lognorm(g, 1500, 1),
		     lognorm(g, 9000, 1.2), rnd(g) % 10 ? "SF" : "S0", NULL);
	}
}

/* ---- writers ---- */

struct out {
	gzFile f;
	bool json;
	bool noisy;
};

static const char conn_fields[] =
	"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
	"orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
	"orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents";
static const char dns_fields[] =
	"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\t"
	"qclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\t"
	"TTLs\trejected";

static void fmt_open(double t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d-%H-%M-%S", &tm);
}

static int out_open(struct out *w, const char *path, bool gz, bool json, bool noisy, bool dns,
		    double t)
{
	char op[32];

	w->f = gzopen(path, gz ? "wb1" : "wbT");
	if (!w->f) {
		fprintf(stderr, "zeekgen: %s: cannot create\n", path);
		return -EIO;
	}
	w->json = json;
	w->noisy = noisy;
	if (json)
		return 0;
	fmt_open(t, op, sizeof(op));
	/* The noisy sensor puts _node_name first: columns in another order. */
	gzprintf(w->f, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
		 "#unset_field\t-\n#path\t%s\n#open\t%s\n#fields\t%s%s\n#types\t%s%s\n",
		 dns ? "dns" : "conn", op, noisy ? "_node_name\t" : "", dns ? dns_fields : conn_fields,
		 noisy ? "string\t" : "",
		 dns ? "time\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\t"
		       "string\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\t"
		       "vector[string]\tvector[interval]\tbool"
		     : "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t"
		       "string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]");
	return 0;
}

static void out_close(struct out *w, double t)
{
	char op[32];

	if (!w->f)
		return;
	if (!w->json) {
		fmt_open(t, op, sizeof(op));
		gzprintf(w->f, "#close\t%s\n", op);
	}
	gzclose(w->f);
	w->f = NULL;
}

static void fmt_ts(const struct sg_zeekgen_opts *o, double ts, char *buf, size_t len)
{
	time_t t = (time_t)ts;
	struct tm tm;
	char d[32];

	if (!o->iso_time) {
		snprintf(buf, len, o->json ? "%.6f" : "%.6f", ts);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "\"%s.%06dZ\"", d, (int)((ts - floor(ts)) * 1e6));
}

static void write_ev(struct gen *g, struct out *c, struct out *d, const struct ev *e, size_t idx)
{
	const struct sg_zeekgen_opts *o = g->o;
	char ts[64], uid[24];
	const char *node = "sensor-01-eth0";

	fmt_ts(o, e->ts, ts, sizeof(ts));
	snprintf(uid, sizeof(uid), "C%08llx%06zx", (unsigned long long)(rnd(g) & 0xffffffff), idx & 0xffffff);
	if (e->dns) {
		if (o->json) {
			gzprintf(d->f, "{\"ts\":%s,\"uid\":\"%s\",\"id.orig_h\":\"%s\",\"id.orig_p\":%u,"
				 "\"id.resp_h\":\"%s\",\"id.resp_p\":53,\"proto\":\"udp\",\"query\":\"%s\","
				 "\"qtype_name\":\"A\",\"rcode_name\":\"NOERROR\"", ts, uid, e->orig, e->oport,
				 e->resp, e->query);
			if (e->answer[0])
				gzprintf(d->f, ",\"answers\":[\"%s\"],\"TTLs\":[300.0]", e->answer);
			gzprintf(d->f, "}\n");
			return;
		}
		gzprintf(d->f, "%s%s%s\t%s\t%s\t%u\t%s\t53\tudp\t%u\t0.012\t%s\t1\tC_INTERNET\t1\tA\t0\t"
			 "NOERROR\tF\tF\tT\tT\t0\t%s%s\t%s\tF\n", d->noisy ? node : "", d->noisy ? "\t" : "",
			 ts, uid, e->orig, e->oport, e->resp, (unsigned int)(rnd(g) % 65536), e->query,
			 e->answer[0] ? e->answer : "-",
			 e->answer[0] && rnd(g) % 4 == 0 ? ",cname.example.net" : "",
			 e->answer[0] ? "300.000000" : "-");
		return;
	}
	g->conn_lines++;
	if (o->json) {
		gzprintf(c->f, "{\"ts\":%s,\"uid\":\"%s\",\"id.orig_h\":\"%s\",\"id.orig_p\":%u,"
			 "\"id.resp_h\":\"%s\",\"id.resp_p\":%u,\"proto\":\"%s\",\"duration\":0.5,"
			 "\"orig_bytes\":%llu,\"resp_bytes\":%llu,\"conn_state\":\"%s\","
			 "\"local_orig\":%s,\"local_resp\":false,\"missed_bytes\":0}\n",
			 ts, uid, e->orig, e->oport, e->resp, e->rport, e->udp ? "udp" : "tcp", e->ob,
			 e->rb, e->state, e->local == 'T' ? "true" : "false");
		return;
	}
	/* Failed connections have no duration or byte counts: "-" as Zeek writes. */
	if (!strcmp(e->state, "S0") || !strcmp(e->state, "REJ"))
		gzprintf(c->f, "%s%s%s\t%s\t%s\t%u\t%s\t%u\t%s\t-\t-\t-\t-\t%s\t%c\tF\t0\tS\t1\t44\t0\t0\t"
			 "(empty)\n", c->noisy ? node : "", c->noisy ? "\t" : "", ts, uid, e->orig,
			 e->oport, e->resp, e->rport, e->udp ? "udp" : "tcp", e->state, e->local);
	else
		gzprintf(c->f, "%s%s%s\t%s\t%s\t%u\t%s\t%u\t%s\t%s\t0.512\t%llu\t%llu\t%s\t%c\tF\t0\t"
			 "ShADadFf\t10\t%llu\t10\t%llu\t(empty)\n", c->noisy ? node : "",
			 c->noisy ? "\t" : "", ts, uid, e->orig, e->oport, e->resp, e->rport,
			 e->udp ? "udp" : "tcp", e->rport == 443 ? "ssl" : "-", e->ob, e->rb, e->state,
			 e->local, e->ob + 400, e->rb + 400);
}

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

int sg_zeekgen_write(const struct sg_zeekgen_opts *o)
{
	struct gen g = { .o = o, .rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)o->seed * 0x2545F4914F6CDD1DULL) };
	bool noisy = o->profile == SG_ZEEKGEN_NOISY, gz = o->gzip || noisy;
	unsigned int hours = o->hours ? o->hours : 24, h;
	struct out c = { 0 }, d = { 0 };
	char path[4096], day[16];
	struct world w;
	size_t i;
	int r = 0;

	if (mkdir(o->dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/labels.tsv", o->dir);
	g.labels = fopen(path, "w");
	if (!g.labels)
		return -errno;
	r = world_init(&g, &w);
	if (r)
		goto out;
	for (h = 0; h < hours; h++) {
		double h0 = GEN_START + h * 3600.0, h1 = h0 + 3600;

		if (o->profile == SG_ZEEKGEN_BENCH)
			hour_bench(&g, &w, h0, h1);
		else
			hour_actors(&g, &w, h0, h1);
		qsort(g.ev, g.n, sizeof(*g.ev), cmp_ev);
		if (noisy) {
			time_t t = (time_t)h0;
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(day, sizeof(day), "%Y-%m-%d", &tm);
			snprintf(path, sizeof(path), "%s/%s", o->dir, day);
			mkdir(path, 0755);
			snprintf(path, sizeof(path), "%s/%s/conn.%02u:00:00-%02u:00:00.log.gz", o->dir, day,
				 h % 24, (h + 1) % 24 ? (h + 1) % 24 : 0);
			r = out_open(&c, path, true, o->json, true, false, h0);
			snprintf(path, sizeof(path), "%s/%s/dns.%02u:00:00-%02u:00:00.log.gz", o->dir, day,
				 h % 24, (h + 1) % 24 ? (h + 1) % 24 : 0);
			if (!r)
				r = out_open(&d, path, true, o->json, true, true, h0);
		} else if (!h) {
			snprintf(path, sizeof(path), "%s/conn.log%s", o->dir, gz ? ".gz" : "");
			r = out_open(&c, path, gz, o->json, false, false, h0);
			snprintf(path, sizeof(path), "%s/dns.log%s", o->dir, gz ? ".gz" : "");
			if (!r)
				r = out_open(&d, path, gz, o->json, false, true, h0);
		}
		if (r)
			goto out;
		/* Events past the hour (a session's tail) wait for the next one. */
		for (i = 0; i < g.n && (g.ev[i].ts < h1 || h + 1 == hours); i++) {
			write_ev(&g, &c, &d, &g.ev[i], i);
			free(g.ev[i].query);
		}
		memmove(g.ev, g.ev + i, (g.n - i) * sizeof(*g.ev));
		g.n -= i;
		if (noisy) {
			out_close(&c, h1);
			out_close(&d, h1);
		}
	}
	out_close(&c, GEN_START + hours * 3600.0);
	out_close(&d, GEN_START + hours * 3600.0);
	{
		unsigned long long neg[H_MAX] = { 0 };

		for (i = 0; i < g.neg_size; i++) {
			if (!g.neg[i].h || is_pos(&g, g.neg[i].h))
				continue;
			if (g.neg[i].heur == H_BEACON && g.neg[i].conns < SG_ZEEKGEN_BEACON_MIN)
				continue;
			neg[g.neg[i].heur]++;
		}
		for (i = 0; i < H_MAX; i++)
			fprintf(g.labels, "neg\t%s\t%llu\n", hname[i], neg[i]);
	}
	snprintf(path, sizeof(path), "%s/detect.conf", o->dir);
	{
		FILE *f = fopen(path, "w");

		if (!f) {
			r = -errno;
			goto out;
		}
		fprintf(f, "# Allow-list for the benign periodic jobs of this trace.\n"
			"detect.allow = beacon name *.ntp.org\n"
			"detect.allow = beacon name deb.debian.org\n"
			"detect.allow = beacon name *.datadoghq.com\n"
			"detect.allow = beacon source 10.1.0.9\n"
			"detect.allow = exfil name backup.*\n");
		fclose(f);
	}
out:
	world_free(&w);
	if (c.f)
		gzclose(c.f);
	if (d.f)
		gzclose(d.f);
	free(g.ev);
	free(g.neg);
	free(g.pos);
	fclose(g.labels);
	return r;
}
