// SPDX-License-Identifier: GPL-2.0
/*
 * A live TCP connection reaches the engine twice: at its start (bytes 0,
 * with its id) and at its end (conn_end, the same id, the bytes). Each
 * connection must count once in the interval and connection counts and
 * once, with its bytes, in the size and volume sums; an end whose start
 * was never seen counts as the connection.
 */
#include <arpa/inet.h>

#include "kselftest_harness.h"
#include <json-c/json.h>

#include "det_test.h"

#define DAY 86400.0
#define T0 1714521600.0
/* The evidence of the alert of heuristic h for dst, or NULL. */
static struct json_object *evidence(const struct sg_test_alerts *s, enum sg_heur h,
				    const char *dst)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->a[i].h == h && !strcmp(s->a[i].dst, dst))
			return s->a[i].evidence;
	return NULL;
}

static double ev_num(struct json_object *ev, const char *key)
{
	return json_object_get_double(json_object_object_get(ev, key));
}

static struct sg_obs conn(double ts, const char *dst, __u64 id)
{
	struct sg_obs o = { .kind = SG_DET_CONN, .ts = ts, .subject = "beacon.service",
			    .dport = 443, .proto = 6, .dir = SG_DIR_OUT, .conn_id = id };

	sg_test_addr(&o.src, "10.0.0.1");
	sg_test_addr(&o.dst, dst);
	return o;
}

/* The end as the daemon feeds it: at the decision time, a little before the start. */
static struct sg_obs conn_end(double ts, const char *dst, __u64 id, __u64 out, __u64 in)
{
	struct sg_obs o = conn(ts - 0.004, dst, id);

	o.conn_end = true;
	o.bytes_out = out;
	o.bytes_in = in;
	return o;
}

FIXTURE(ce)
{
	struct sg_detect_config cfg;
	struct sg_detect *d;
	struct sg_test_alerts seen;
};

FIXTURE_SETUP(ce)
{
	self->d = NULL;
	memset(&self->seen, 0, sizeof(self->seen));
	sg_detect_config_init(&self->cfg);
	ASSERT_EQ(0, sg_test_engine_start(&self->cfg, &self->seen, &self->d));
}

FIXTURE_TEARDOWN(ce)
{
	sg_test_engine_free(&self->seen, &self->d);
}

/*
 * A beacon every 10 minutes with the same 4000 bytes each time: a perfect
 * size score. Zeros mixed in (the starts counted as connections of their
 * own) would halve the median and the size score with it.
 */
TEST_F(ce, beacon_size_and_count_take_each_connection_once)
{
	struct json_object *ev;
	struct sg_detect_stats st;
	struct sg_obs o;
	int k, n = 144;

	for (k = 0; k < n; k++) {
		double ts = T0 + k * 600.0;

		o = conn(ts, "45.1.2.3", 1000 + k);
		ASSERT_EQ(0, sg_detect_feed(self->d, &o));
		o = conn_end(ts, "45.1.2.3", 1000 + k, 3000, 1000);
		ASSERT_EQ(0, sg_detect_feed(self->d, &o));
	}
	sg_detect_flush(self->d, T0 + DAY);
	ev = evidence(&self->seen, SG_HEUR_BEACON, "45.1.2.3");
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(n, (int)ev_num(ev, "conns"));
	EXPECT_EQ(4000, (int)ev_num(ev, "size_median"));
	EXPECT_EQ(0, (int)ev_num(ev, "size_mad"));
	EXPECT_EQ(1000, (int)(ev_num(ev, "ds_score") * 1000));
	sg_detect_get_stats(self->d, &st);
	EXPECT_EQ(n, st.conns);
	EXPECT_EQ(n, st.conn_ends);
	EXPECT_EQ(0, st.conn_ends_lost);
	EXPECT_EQ(0, st.open);
}

/* The name series gets the bytes too, for short and long names alike. */
TEST_F(ce, beacon_name_series_takes_the_bytes)
{
	static const char *const names[] = {
		"c2.example.net",
		"a-name-longer-than-what-an-open-entry-holds-inline.cdn.example.net",
	};
	const char *dsts[] = { "45.1.3.1", "45.1.3.2" };
	struct sg_detect_stats st;
	struct json_object *ev;
	struct sg_obs o;
	int k, i, n = 144;

	for (i = 0; i < 2; i++) {
		o = conn(T0 - 60, dsts[i], 0);
		o.kind = SG_DET_DNS;
		o.qname = names[i];
		o.answers[0] = o.dst;
		o.n_answers = 1;
		ASSERT_EQ(0, sg_detect_feed(self->d, &o));
	}
	for (k = 0; k < n; k++) {
		for (i = 0; i < 2; i++) {
			double ts = T0 + k * 600.0 + i;

			o = conn(ts, dsts[i], 1 + 2 * k + i);
			ASSERT_EQ(0, sg_detect_feed(self->d, &o));
			o = conn_end(ts, dsts[i], 1 + 2 * k + i, 3000, 1000);
			ASSERT_EQ(0, sg_detect_feed(self->d, &o));
		}
		/* answers again within the window, so that the name still counts */
		if (k % 12 == 0)
			for (i = 0; i < 2; i++) {
				o = conn(T0 + k * 600.0 - 1, dsts[i], 0);
				o.kind = SG_DET_DNS;
				o.qname = names[i];
				o.answers[0] = o.dst;
				o.n_answers = 1;
				ASSERT_EQ(0, sg_detect_feed(self->d, &o));
			}
	}
	sg_detect_flush(self->d, T0 + DAY);
	for (i = 0; i < 2; i++) {
		ev = evidence(&self->seen, SG_HEUR_BEACON, names[i]);
		ASSERT_NE(NULL, ev);
		EXPECT_EQ(n, (int)ev_num(ev, "conns"));
		EXPECT_EQ(4000, (int)ev_num(ev, "size_median"));
	}
	sg_detect_get_stats(self->d, &st);
	EXPECT_EQ(0, st.conn_ends_lost);
	EXPECT_EQ(0, st.open);
}

/* Volume: the bytes once, the connections once. */
TEST_F(ce, exfil_sums_bytes_once_and_counts_connections_once)
{
	struct json_object *ev;
	struct sg_obs o;
	int k;

	for (k = 0; k < 30; k++) {
		o = conn(T0 + k * 60, "45.6.6.6", 1 + k);
		ASSERT_EQ(0, sg_detect_feed(self->d, &o));
		o = conn_end(T0 + k * 60, "45.6.6.6", 1 + k, 10 << 20, 2000);
		ASSERT_EQ(0, sg_detect_feed(self->d, &o));
	}
	sg_detect_flush(self->d, T0 + 3600);
	ev = evidence(&self->seen, SG_HEUR_EXFIL, "45.6.6.6");
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(30LL * (10 << 20), json_object_get_int64(json_object_object_get(ev, "bytes_out")));
	EXPECT_EQ(30 * 2000, json_object_get_int64(json_object_object_get(ev, "bytes_in")));
	EXPECT_EQ(30, json_object_get_int64(json_object_object_get(ev, "conns")));
}

/* dnsless scores the number of connections: the ends must not add to it. */
TEST_F(ce, dnsless_counts_connections_once)
{
	struct json_object *ev;
	struct sg_obs o;
	int k;

	for (k = 0; k < 4; k++) {
		o = conn(T0 + k * 60, "45.9.9.9", 50 + k);
		ASSERT_EQ(0, sg_detect_feed(self->d, &o));
		o = conn_end(T0 + k * 60, "45.9.9.9", 50 + k, 100, 200);
		ASSERT_EQ(0, sg_detect_feed(self->d, &o));
	}
	sg_detect_flush(self->d, T0 + 600);
	ev = evidence(&self->seen, SG_HEUR_DNSLESS, "45.9.9.9");
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(4, json_object_get_int64(json_object_object_get(ev, "conns")));
	EXPECT_EQ(400, json_object_get_int64(json_object_object_get(ev, "bytes_out")));
	EXPECT_EQ(800, json_object_get_int64(json_object_object_get(ev, "bytes_in")));
}

/* Ends whose starts were never fed (lost, or before the daemon) are the connections. */
TEST_F(ce, end_without_start_counts_as_the_connection)
{
	struct json_object *ev;
	struct sg_detect_stats st;
	struct sg_obs o;
	int k, n = 144;

	for (k = 0; k < n; k++) {
		o = conn_end(T0 + k * 600.0, "45.1.2.4", 5000 + k, 3000, 1000);
		ASSERT_EQ(0, sg_detect_feed(self->d, &o));
	}
	sg_detect_flush(self->d, T0 + DAY - 1);
	ev = evidence(&self->seen, SG_HEUR_BEACON, "45.1.2.4");
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(n, (int)ev_num(ev, "conns"));
	EXPECT_EQ(4000, (int)ev_num(ev, "size_median"));
	sg_detect_get_stats(self->d, &st);
	EXPECT_EQ(n, st.conns);
	EXPECT_EQ(0, st.conn_ends);
	EXPECT_EQ(0, st.open);
}

/* A start seen twice (a restart's overlap) is one connection; its end closes it. */
TEST_F(ce, repeated_start_is_one_connection)
{
	struct sg_detect_stats st;
	struct sg_obs o = conn(T0, "45.1.2.5", 77);

	ASSERT_EQ(0, sg_detect_feed(self->d, &o));
	ASSERT_EQ(0, sg_detect_feed(self->d, &o));
	sg_detect_get_stats(self->d, &st);
	EXPECT_EQ(1, st.conns);
	EXPECT_EQ(1, st.open);
	o = conn_end(T0, "45.1.2.5", 77, 10, 10);
	ASSERT_EQ(0, sg_detect_feed(self->d, &o));
	sg_detect_get_stats(self->d, &st);
	EXPECT_EQ(1, st.conns);
	EXPECT_EQ(1, st.conn_ends);
	EXPECT_EQ(0, st.open);
}

/* The open connections are a bounded table like the others. */
TEST_F(ce, open_connections_are_capped)
{
	struct sg_detect_stats st;
	struct sg_obs o;
	int k;

	self->cfg.max_series = 100;
	ASSERT_EQ(0, sg_test_engine_start(&self->cfg, &self->seen, &self->d));
	for (k = 0; k < 250; k++) {
		o = conn(T0 + k, "45.1.2.6", 1 + k);
		ASSERT_EQ(0, sg_detect_feed(self->d, &o));
	}
	sg_detect_get_stats(self->d, &st);
	EXPECT_EQ(100, st.open);
	EXPECT_EQ(150, st.evicted_open);
	EXPECT_GT(st.mem_bytes, 100 * sizeof(struct sg_open));
}

TEST_HARNESS_MAIN
