// SPDX-License-Identifier: GPL-2.0
/*
 * The heuristics one by one, fed observations directly as the live daemon
 * will: the RITA beacon formulas on hand-computed values, each heuristic's
 * positive and its look-alike negatives, allow-lists, caps and eviction.
 */
#include <arpa/inet.h>
#include <math.h>

#include "kselftest_harness.h"
#include <json-c/json.h>

#include "det_test.h"

#define DAY 86400.0
#define T0 1714521600.0

static uint64_t rng = 88172645463325252ULL;

static double uni(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng >> 11) * (1.0 / 9007199254740992.0);
}

static struct sg_obs conn(double ts, const char *src, const char *dst, __u64 out, __u64 in)
{
	struct sg_obs o = { .kind = SG_DET_CONN, .ts = ts, .subject = src, .dport = 443,
			    .proto = 6, .dir = SG_DIR_OUT, .bytes_out = out, .bytes_in = in };

	sg_test_addr(&o.src, src);
	sg_test_addr(&o.dst, dst);
	return o;
}

static struct sg_obs dns(double ts, const char *src, const char *name, const char *answer)
{
	struct sg_obs o = { .kind = SG_DET_DNS, .ts = ts, .subject = src, .qname = name };

	sg_test_addr(&o.src, src);
	if (answer) {
		sg_test_addr(&o.answers[0], answer);
		o.n_answers = 1;
	}
	return o;
}

FIXTURE(det)
{
	struct sg_detect_config cfg;
	struct sg_detect *d;
	struct sg_test_alerts seen;
};

FIXTURE_SETUP(det)
{
	sg_detect_config_init(&self->cfg);
	self->d = NULL;
	memset(&self->seen, 0, sizeof(self->seen));
}

FIXTURE_TEARDOWN(det)
{
	sg_test_engine_free(&self->seen, &self->d);
}

static struct sg_detect *start(struct __test_metadata *_metadata, FIXTURE_DATA(det) *self)
{
	EXPECT_EQ(0, sg_test_engine_start(&self->cfg, &self->seen, &self->d));
	return self->d;
}

/*
 * Observations are collected by feed() and replayed by hourly() in time
 * order with a flush at every hour, as analyze and the daemon run them.
 */
#define REPLAY_MAX 200000
static struct sg_obs replay[REPLAY_MAX];
static size_t n_replay;

static char replay_subject[REPLAY_MAX][32];

static void feed(struct sg_detect *d, const struct sg_obs *o)
{
	(void)d;
	if (n_replay >= REPLAY_MAX)
		return;
	replay[n_replay] = *o;
	/* the subject may live in the caller's loop */
	snprintf(replay_subject[n_replay], sizeof(replay_subject[0]), "%s", o->subject);
	replay[n_replay].subject = replay_subject[n_replay];
	n_replay++;
}

static int cmp_obs(const void *a, const void *b)
{
	const struct sg_obs *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static void hourly(struct sg_detect *d, double upto)
{
	double next = T0 + 3600;
	size_t i;

	qsort(replay, n_replay, sizeof(*replay), cmp_obs);
	for (i = 0; i < n_replay; i++) {
		while (replay[i].ts >= next) {
			sg_detect_flush(d, next);
			next += 3600;
		}
		sg_detect_feed(d, &replay[i]);
	}
	for (; next <= upto; next += 3600)
		sg_detect_flush(d, next);
	n_replay = 0;
}

/* RITA's statistics on a hand-computed case: intervals {50, 60, 60, 70, 200}:
 * Q1 55, Q2 60, Q3 135, Bowley (55 + 135 - 120) / 80 = 0.875, skew score
 * 0.125; |x - 60| = {10, 0, 0, 10, 140}, MAD 10, MAD score 50/60; ts score
 * (0.125 + 0.8333) / 2 = 0.4792. Sizes {100, 100, 100, 100, 100, 1000}:
 * quartile spread 0 < 10 so skew 0, MAD 0, ds score 1. */
TEST(rita_formulas)
{
	const double ts[] = { 0, 50, 110, 170, 240, 440 };
	const double by[] = { 100, 100, 100, 1000, 100, 100 };
	struct sg_detect_config cfg;
	struct sg_beacon_scores sc;

	sg_detect_config_init(&cfg);
	cfg.beacon.fill = false;
	ASSERT_EQ(0, sg_beacon_score(&cfg.beacon, ts, by, 6, 0, 440, &sc));
	EXPECT_EQ(5, sc.intervals);
	EXPECT_LT(fabs(sc.ts_skew - 0.875), 1e-9);
	EXPECT_LT(fabs(sc.ts_mad - 10), 1e-9);
	EXPECT_LT(fabs(sc.ts_median - 60), 1e-9);
	EXPECT_LT(fabs(sc.ts - (0.125 + 50.0 / 60) / 2), 1e-9);
	EXPECT_LT(fabs(sc.ds - 1), 1e-9);
	/* 6 points in 24 bins of 440 s / 24: 6 bars, the minimum for the
	 * duration score, spanning all the window: coverage 1. */
	EXPECT_EQ(6, sc.bars);
	EXPECT_LT(fabs(sc.dur - 1), 1e-9);

	/* The interval fill: 5 intervals of the median 60 s fill 300 of 440 s. */
	cfg.beacon.fill = true;
	ASSERT_EQ(0, sg_beacon_score(&cfg.beacon, ts, by, 6, 0, 440, &sc));
	EXPECT_LT(fabs(sc.fill - 300.0 / 440), 1e-9);
	EXPECT_LT(fabs(sc.ts - (0.125 + 50.0 / 60) / 2 * 300 / 440), 1e-9);
}

/*
 * The interval dispersion: 100 intervals of a +-50 % uniformly jittered
 * 300 s beacon (cv about 0.29, factor 1) against 100 Poisson arrivals of
 * mean 300 s (cv about 0.71 after the 2-median cut, factor about 0.2); a
 * 30000 s pause in the beacon is left out of the cv.
 */
TEST(beacon_dispersion_separates_jitter_from_poisson)
{
	static double ts[102], by[102];
	struct sg_detect_config cfg;
	struct sg_beacon_scores sc;
	double poisson_ts;
	int i;

	sg_detect_config_init(&cfg);
	for (i = 0, ts[0] = 0; i < 101; i++) {
		ts[i + 1] = ts[i] + 300 * (0.5 + uni()) + (i == 50 ? 30000 : 0);
		by[i] = 500;
	}
	by[101] = 500;
	ASSERT_EQ(0, sg_beacon_score(&cfg.beacon, ts, by, 102, 0, DAY, &sc));
	EXPECT_LT(sc.cv, 0.4);
	EXPECT_EQ(100, sc.cv_kept);
	EXPECT_EQ(1, sc.disp);

	for (i = 0, ts[0] = 0; i < 101; i++)
		ts[i + 1] = ts[i] + 1 - 300 * log(1 - uni());
	ASSERT_EQ(0, sg_beacon_score(&cfg.beacon, ts, by, 102, 0, DAY, &sc));
	EXPECT_GT(sc.cv, 0.6);
	EXPECT_LT(sc.disp, 0.5);
	poisson_ts = sc.ts;
	cfg.beacon.dispersion = false;
	ASSERT_EQ(0, sg_beacon_score(&cfg.beacon, ts, by, 102, 0, DAY, &sc));
	EXPECT_LT(poisson_ts, sc.ts * 0.5);
}

TEST(rita_perfect_beacon_scores_one)
{
	struct sg_detect_config cfg;
	struct sg_beacon_scores sc;
	static double ts[1440], by[1440];
	int i;

	sg_detect_config_init(&cfg);
	for (i = 0; i < 1440; i++) {
		ts[i] = T0 + 60.0 * i;
		by[i] = 512;
	}
	ASSERT_EQ(0, sg_beacon_score(&cfg.beacon, ts, by, 1440, T0, T0 + DAY - 60, &sc));
	EXPECT_LT(fabs(sc.score - 1), 1e-9);
	EXPECT_EQ(24, sc.bars);
	EXPECT_EQ(24, sc.longest_run);
}

static void beacon(struct sg_detect *d, const char *src, const char *dst, double period,
		   double jitter, bool with_dns, const char *name)
{
	double t = T0 + uni() * period;
	struct sg_obs o;

	for (; t < T0 + DAY; t += period * (1 + jitter * (2 * uni() - 1))) {
		if (with_dns) {
			o = dns(t - 0.1, src, name, dst);
			feed(d, &o);
		}
		o = conn(t, src, dst, 600 + (__u64)(uni() * 60), 200);
		feed(d, &o);
	}
}

TEST_F(det, beacon_with_half_jitter_is_found_by_address_and_name)
{
	struct sg_detect *d = start(_metadata, self);

	beacon(d, "10.0.0.1", "45.1.1.1", 300, 0.5, true, "c2.example.net");
	hourly(d, T0 + DAY);
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_BEACON, "45.1.1.1"));
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_BEACON, "c2.example.net"));
	ASSERT_GT(self->seen.n, 0);
	EXPECT_GE(self->seen.a[0].score, 85);
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"ts_score\""));
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"interval_median\""));
}

/* Poisson arrivals with varied sizes: the same rate, no regularity. */
TEST_F(det, poisson_background_is_not_a_beacon)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;
	int k;

	for (k = 0; k < 20; k++) {
		char src[32];
		double t = T0;

		snprintf(src, sizeof(src), "10.0.1.%d", k + 1);
		while ((t += -600 * log(1 - uni())) < T0 + DAY) {
			o = conn(t, src, "93.1.1.1", (__u64)(200 + 5000 * uni() * uni()), 3000);
			feed(d, &o);
		}
	}
	hourly(d, T0 + DAY);
	for (k = 0; k < (int)self->seen.n; k++)
		if (self->seen.a[k].h == SG_HEUR_BEACON)
			TH_LOG("%u %s %s", self->seen.a[k].score, self->seen.a[k].dst, self->seen.a[k].ev);
	EXPECT_EQ(0, sg_test_count(&self->seen, SG_HEUR_BEACON, NULL));
}

/* Browsing: bursts of seconds apart, a few times in working hours. */
TEST_F(det, browsing_bursts_are_not_a_beacon)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;
	int s, k;

	for (s = 0; s < 12; s++) {
		double t = T0 + 8 * 3600 + s * 2400 + uni() * 1200;

		for (k = 0; k < 20; k++) {
			t += 1 + uni() * 8;
			o = conn(t, "10.0.2.1", "93.2.2.2", (__u64)(300 + 3000 * uni()), 50000);
			feed(d, &o);
		}
	}
	hourly(d, T0 + DAY);
	EXPECT_EQ(0, sg_test_count(&self->seen, SG_HEUR_BEACON, NULL));
}

/* A scanner hammering one host: inbound and failed, every second for an hour. */
TEST_F(det, scanner_hammering_is_not_a_beacon)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;
	int k;

	for (k = 0; k < 3600; k++) {
		o = conn(T0 + k, "185.1.1.1", "10.0.0.5", 0, 0);
		o.dir = k % 2 ? SG_DIR_IN : SG_DIR_UNKNOWN;
		o.failed = true;
		feed(d, &o);
	}
	/* and a regular inbound prober all day: inbound is not scored */
	for (k = 0; k < 288; k++) {
		o = conn(T0 + k * 300, "185.2.2.2", "10.0.0.5", 40, 20);
		o.dir = SG_DIR_IN;
		feed(d, &o);
	}
	hourly(d, T0 + DAY);
	EXPECT_EQ(0, sg_test_count(&self->seen, SG_HEUR_BEACON, NULL));
}

TEST_F(det, beacon_allow_list_by_name_prefix_and_source)
{
	char err[256];
	struct sg_detect *d;

	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.allow", "beacon name *.ntp.org", err,
					  sizeof(err)));
	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.allow", "beacon prefix 45.2.0.0/16",
					  err, sizeof(err)));
	ASSERT_EQ(0, sg_detect_config_set(&self->cfg, "detect.allow", "all source 10.9.0.0/24", err,
					  sizeof(err)));
	d = start(_metadata, self);
	beacon(d, "10.0.0.1", "94.1.1.1", 120, 0.1, true, "0.pool.ntp.org");
	beacon(d, "10.0.0.2", "45.2.3.4", 120, 0.1, false, NULL);
	beacon(d, "10.9.0.7", "45.3.3.3", 120, 0.1, false, NULL);
	beacon(d, "10.0.0.3", "45.4.4.4", 120, 0.1, false, NULL);
	hourly(d, T0 + DAY);
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_BEACON, NULL));
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_BEACON, "45.4.4.4"));
}

TEST_F(det, series_cap_evicts_and_counts)
{
	struct sg_detect_stats st;
	struct sg_detect *d;
	struct sg_obs o;
	int k;

	self->cfg.max_series = 4;
	d = start(_metadata, self);
	for (k = 0; k < 10; k++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "45.9.9.%d", k + 1);
		o = conn(T0 + k, "10.0.0.1", dst, 100, 100);
		sg_detect_feed(d, &o);
	}
	sg_detect_get_stats(d, &st);
	EXPECT_EQ(6, st.evicted[SG_HEUR_BEACON]);
	EXPECT_EQ(4, st.entries[SG_HEUR_BEACON]);
}

TEST_F(det, point_budget_evicts_oldest_series)
{
	struct sg_detect_stats st;
	struct sg_detect *d;
	struct sg_obs o;
	int k;

	self->cfg.max_points_total = 100;
	d = start(_metadata, self);
	for (k = 0; k < 300; k++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "45.9.9.%d", k / 60 + 1);
		o = conn(T0 + k, "10.0.0.1", dst, 100, 100);
		sg_detect_feed(d, &o);
	}
	sg_detect_get_stats(d, &st);
	EXPECT_GE(st.evicted[SG_HEUR_BEACON], 3);
}

TEST_F(det, idle_entries_leave_after_a_window)
{
	struct sg_detect_stats st;
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;
	int k;

	for (k = 0; k < 10; k++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "45.9.9.%d", k + 1);
		o = conn(T0 + k, "10.0.0.1", dst, 100, 100);
		sg_detect_feed(d, &o);
		o = dns(T0 + k, "10.0.0.1", "x.y.example.com", NULL);
		sg_detect_feed(d, &o);
	}
	sg_detect_flush(d, T0 + 3600);
	sg_detect_get_stats(d, &st);
	EXPECT_EQ(10, st.entries[SG_HEUR_BEACON]);
	EXPECT_EQ(10, st.entries[SG_HEUR_EXFIL]);
	EXPECT_EQ(10, st.entries[SG_HEUR_DNSLESS]);
	EXPECT_EQ(1, st.entries[SG_HEUR_DNSTUN]);
	sg_detect_flush(d, T0 + DAY + 3600);
	sg_detect_get_stats(d, &st);
	for (k = 0; k < SG_HEUR_MAX; k++)
		EXPECT_EQ(0, st.entries[k]) TH_LOG("%s", sg_heur_name(k));
}

TEST_F(det, exfil_volume_to_one_destination)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;
	int k;

	for (k = 0; k < 30; k++) {
		o = conn(T0 + k * 60, "10.0.0.1", "45.6.6.6", 10 << 20, 2000);
		sg_detect_feed(d, &o);
		/* a download of the same volume is not exfiltration */
		o = conn(T0 + k * 60, "10.0.0.2", "45.7.7.7", 2000, 10 << 20);
		sg_detect_feed(d, &o);
		/* an upload with as much coming back (a sync) is not either */
		o = conn(T0 + k * 60, "10.0.0.3", "45.8.8.8", 10 << 20, 5 << 20);
		sg_detect_feed(d, &o);
	}
	sg_detect_flush(d, T0 + 3600);
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_EXFIL, NULL));
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_EXFIL, "45.6.6.6"));
	ASSERT_GT(self->seen.n, 0);
	EXPECT_NE(NULL, strstr(self->seen.a[0].ev, "\"bytes_out\":314572800"));
}

/* Spread over many addresses of one jurisdiction: only the jurisdiction sum
 * crosses the threshold. */
TEST_F(det, exfil_volume_to_one_jurisdiction)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;
	int k;

	for (k = 0; k < 40; k++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "45.6.%d.1", k);
		o = conn(T0 + k * 60, "10.0.0.1", dst, 5 << 20, 1000);
		o.juris = "XX";
		sg_detect_feed(d, &o);
	}
	sg_detect_flush(d, T0 + 3600);
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_EXFIL, NULL));
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_EXFIL, "jurisdiction:XX"));
}

TEST_F(det, exfil_window_forgets_old_traffic)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;
	int k;

	/* 60 MB a day, every day: never 100 MB in one window */
	for (k = 0; k < 72; k++) {
		o = conn(T0 + k * 3600, "10.0.0.1", "45.6.6.6", 2500000, 100);
		sg_detect_feed(d, &o);
		if (k % 6 == 5)
			sg_detect_flush(d, T0 + k * 3600 + 1);
	}
	EXPECT_EQ(0, sg_test_count(&self->seen, SG_HEUR_EXFIL, NULL));
}

static void tunnel(struct sg_detect *d, const char *src, const char *dom, int n, bool random,
		   int len)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	char name[300], lab[64];
	struct sg_obs o;
	int k, i;

	for (k = 0; k < n; k++) {
		for (i = 0; i < len; i++)
			lab[i] = random ? b32[(int)(uni() * 32)] : "abcdefgh"[i % 8];
		lab[len] = 0;
		if (random)
			snprintf(name, sizeof(name), "%s.%s", lab, dom);
		else
			snprintf(name, sizeof(name), "%.*s%d.%s", len, lab, k, dom);
		o = dns(T0 + k, src, name, NULL);
		sg_detect_feed(d, &o);
	}
}

TEST_F(det, dns_tunnel_long_random_unique_names)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;
	int k;

	tunnel(d, "10.0.0.1", "t.tunnel.net", 400, true, 50);
	/* many unique but short, low-entropy names: a CDN's image hosts */
	tunnel(d, "10.0.0.2", "static-cdn.com", 400, false, 3);
	/* one long random name asked again and again */
	for (k = 0; k < 400; k++) {
		o = dns(T0 + k, "10.0.0.3", "q7x2k9m4v8b3n6z1r5t0y2u7i4o9p3a8s6d1f5g0.cache.org", NULL);
		sg_detect_feed(d, &o);
	}
	sg_detect_flush(d, T0 + 3600);
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_DNSTUN, NULL));
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_DNSTUN, "tunnel.net"));
}

TEST(entropy)
{
	EXPECT_LT(fabs(sg_entropy("aaaa", 4)), 1e-9);
	EXPECT_LT(fabs(sg_entropy("abab", 4) - 1), 1e-9);
	EXPECT_LT(fabs(sg_entropy("abcdefgh", 8) - 3), 1e-9);
}

TEST_F(det, dnsless_public_destination_without_answer)
{
	struct sg_detect *d = start(_metadata, self);
	struct sg_obs o;

	o = dns(T0, "10.0.0.1", "www.example.com", "93.184.216.34");
	sg_detect_feed(d, &o);
	o = conn(T0 + 1, "10.0.0.1", "93.184.216.34", 500, 5000);
	sg_detect_feed(d, &o);
	o = conn(T0 + 2, "10.0.0.1", "91.200.1.1", 500, 5000);
	sg_detect_feed(d, &o);
	o = conn(T0 + 3, "10.0.0.1", "192.168.1.10", 500, 5000);	/* private */
	sg_detect_feed(d, &o);
	o = conn(T0 + 4, "10.0.0.1", "8.8.8.8", 50, 50);		/* DNS itself */
	o.dport = 53;
	sg_detect_feed(d, &o);
	/* an answer that came only an hour after the connection does not count */
	o = conn(T0 + 10, "10.0.0.1", "45.5.5.5", 500, 5000);
	sg_detect_feed(d, &o);
	o = dns(T0 + 3610, "10.0.0.1", "late.example.com", "45.5.5.5");
	sg_detect_feed(d, &o);
	sg_detect_flush(d, T0 + 3700);
	EXPECT_EQ(2, sg_test_count(&self->seen, SG_HEUR_DNSLESS, NULL));
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_DNSLESS, "91.200.1.1"));
	EXPECT_EQ(1, sg_test_count(&self->seen, SG_HEUR_DNSLESS, "45.5.5.5"));
}

TEST_F(det, heuristic_off_is_off)
{
	struct sg_detect *d;
	struct sg_obs o;

	self->cfg.on[SG_HEUR_DNSLESS] = false;
	d = start(_metadata, self);
	o = conn(T0 + 2, "10.0.0.1", "91.200.1.1", 500, 5000);
	sg_detect_feed(d, &o);
	sg_detect_flush(d, T0 + 3700);
	EXPECT_EQ(0, sg_test_count(&self->seen, SG_HEUR_DNSLESS, NULL));
}

TEST(public_addresses)
{
	const char *const priv[] = { "10.1.2.3", "127.0.0.1", "172.16.5.5", "172.31.255.1",
				     "192.168.0.1", "100.64.1.1", "169.254.1.1", "224.0.0.1",
				     "203.0.113.9", "0.1.2.3" };
	const char *const pub[] = { "8.8.8.8", "172.32.0.1", "100.128.0.1", "45.1.1.1" };
	struct in6_addr a;
	size_t i;

	for (i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		sg_test_addr(&a, priv[i]);
		EXPECT_FALSE(sg_addr_public(&a)) TH_LOG("%s", priv[i]);
	}
	for (i = 0; i < sizeof(pub) / sizeof(pub[0]); i++) {
		sg_test_addr(&a, pub[i]);
		EXPECT_TRUE(sg_addr_public(&a)) TH_LOG("%s", pub[i]);
	}
	inet_pton(AF_INET6, "2001:db8::1", &a);
	EXPECT_FALSE(sg_addr_public(&a));
	inet_pton(AF_INET6, "fd00::1", &a);
	EXPECT_FALSE(sg_addr_public(&a));
	inet_pton(AF_INET6, "2a00:1450::1", &a);
	EXPECT_TRUE(sg_addr_public(&a));
}

TEST_HARNESS_MAIN
