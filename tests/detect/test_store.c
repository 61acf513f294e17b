// SPDX-License-Identifier: GPL-2.0
/*
 * The alert store: write, rotate at the size cap with the dropped count,
 * read back with --since; malformed lines named file:line; the --since
 * forms; the journal helper's fallback.
 */
#include <sys/stat.h>

#include "kselftest_harness.h"
#include <json-c/json.h>

#include "internal.h"

#define T0 1714521600.0

FIXTURE(store)
{
	char dir[64];
	char path[128];
};

FIXTURE_SETUP(store)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/sg-detect-store-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/%s", self->dir, SG_ALERTS_FILE);
}

FIXTURE_TEARDOWN(store)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

struct got {
	unsigned int n, rotated;
	unsigned long long dropped;
	char first_dst[64], last_dst[64];
	char last_exe[64];
};

static int got_one(void *ctx, struct json_object *o)
{
	struct got *g = ctx;
	struct json_object *v;

	if (json_object_object_get_ex(o, "rotated", &v)) {
		g->rotated++;
		if (json_object_object_get_ex(o, "dropped", &v))
			g->dropped = json_object_get_int64(v);
		return 0;
	}
	json_object_object_get_ex(o, "dst", &v);
	if (!g->n++)
		snprintf(g->first_dst, sizeof(g->first_dst), "%s", json_object_get_string(v));
	snprintf(g->last_dst, sizeof(g->last_dst), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "exe", &v))
		snprintf(g->last_exe, sizeof(g->last_exe), "%s", json_object_get_string(v));
	return 0;
}

static void put(struct __test_metadata *_metadata, struct sg_alert_store *s, double ts, int i)
{
	struct json_object *ev = json_object_new_object();
	char dst[32];
	struct sg_alert a = {
		.heur = SG_HEUR_REVSHELL, .score = 95, .src = "/usr/bin/bash", .dst = dst,
		.ts_first = ts, .ts_last = ts, .evidence = ev, .exe = "/usr/bin/bash",
		.pid = 100 + i, .uid = 0,
	};

	snprintf(dst, sizeof(dst), "198.51.100.%d:4444", i);
	json_object_object_add(ev, "i", json_object_new_int(i));
	EXPECT_EQ(0, sg_alert_store_write(s, &a));
	json_object_put(ev);
}

TEST_F(store, round_trip_rotate_and_since)
{
	struct sg_alert_store *s;
	struct got g = { 0 };
	struct stat st;
	char old[160];
	int i;

	/* about 200 bytes a line: 4096 bytes hold 20, 80 make 4 files, 2 deleted */
	ASSERT_EQ(0, sg_alert_store_open(self->dir, 4096, &s));
	for (i = 0; i < 80; i++)
		put(_metadata, s, T0 + i * 60, i);
	sg_alert_store_close(s);
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_LE(st.st_size, 4096);
	snprintf(old, sizeof(old), "%s.1", self->path);
	ASSERT_EQ(0, stat(old, &st));

	ASSERT_EQ(0, sg_alerts_read(self->path, 0, stderr, got_one, &g));
	/* what was written = what is read + what rotation dropped */
	EXPECT_GE(g.rotated, 2);
	EXPECT_EQ(80, g.n + g.dropped) TH_LOG(
		"read %u, dropped %llu, rotations seen %u", g.n, g.dropped, g.rotated);
	EXPECT_STREQ("198.51.100.79:4444", g.last_dst);
	EXPECT_STREQ("/usr/bin/bash", g.last_exe);

	/* --since: the last 5 minutes of alert time */
	memset(&g, 0, sizeof(g));
	ASSERT_EQ(0, sg_alerts_read(self->path, T0 + 75 * 60, stderr, got_one, &g));
	EXPECT_EQ(5, g.n);
	EXPECT_STREQ("198.51.100.75:4444", g.first_dst);
}

TEST_F(store, malformed_lines_are_named_and_skipped)
{
	struct got g = { 0 };
	FILE *f, *err;
	char *msg = NULL;
	size_t len = 0;

	f = fopen(self->path, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "{\"heuristic\":\"pktsock\",\"score\":90,\"src\":\"x\",\"dst\":\"y\","
		"\"first\":\"2024-05-01T00:00:00Z\",\"last\":\"2024-05-01T00:00:00Z\"}\n"
		"not json\n{\"heuristic\":\"pktsock\"}\n");
	fclose(f);
	err = open_memstream(&msg, &len);
	EXPECT_EQ(2, sg_alerts_read(self->path, 0, err, got_one, &g));
	fclose(err);
	EXPECT_EQ(1, g.n);
	EXPECT_NE(NULL, strstr(msg, "alerts.jsonl:2: not a JSON object")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "alerts.jsonl:3: not an alert")) TH_LOG("%s", msg);
	free(msg);
}

TEST(since_forms)
{
	double t;

	ASSERT_EQ(0, sg_alerts_parse_since("2024-05-01T00:00:00Z", 0, &t));
	EXPECT_EQ(T0, t);
	ASSERT_EQ(0, sg_alerts_parse_since("2024-05-01T02:00:00+02:00", 0, &t));
	EXPECT_EQ(T0, t);
	ASSERT_EQ(0, sg_alerts_parse_since("2024-05-01", 0, &t));
	EXPECT_EQ(T0, t);
	ASSERT_EQ(0, sg_alerts_parse_since("1h", T0, &t));
	EXPECT_EQ(T0 - 3600, t);
	ASSERT_EQ(0, sg_alerts_parse_since("2d", T0, &t));
	EXPECT_EQ(T0 - 2 * 86400, t);
	EXPECT_EQ(-EINVAL, sg_alerts_parse_since("1y", T0, &t));
	EXPECT_EQ(-EINVAL, sg_alerts_parse_since("h", T0, &t));
	EXPECT_EQ(-EINVAL, sg_alerts_parse_since("2024-05-01T00:00:00+2", T0, &t));
}

/* The structured fields: what is known, nothing that is not. */
TEST(journal_fields)
{
	static char f[SG_JOURNAL_FIELDS][SG_JOURNAL_FIELD_MAX];
	struct sg_alert a = { .heur = SG_HEUR_REVSHELL, .score = 95, .src = "web.service",
			      .dst = "198.51.100.7:4444", .unit = "web.service",
			      .exe = "/usr/bin/bash", .pid = 40, .uid = 33, .dst_country = "NL",
			      .dst_asn = "AS64500", .dst_zones = "eea", .dst_name = "c2.example",
			      .repeats = 2, .quarantine = 4 };
	const char *want[] = {
		"SOVGUARD_ALERT=revshell", "SOVGUARD_SCORE=95", "SOVGUARD_DST=198.51.100.7:4444",
		"SOVGUARD_SUBJECT_UNIT=web.service", "SOVGUARD_SUBJECT_EXE=/usr/bin/bash",
		"SOVGUARD_SUBJECT_PID=40", "SOVGUARD_SUBJECT_UID=33", "SOVGUARD_DST_COUNTRY=NL",
		"SOVGUARD_DST_ASN=AS64500", "SOVGUARD_DST_ZONES=eea",
		"SOVGUARD_DST_NAME=c2.example", "PRIORITY=2", "SOVGUARD_REPEATS=2",
		"SOVGUARD_QUARANTINE=4",
	};
	unsigned int n, i, j;

	n = sg_journal_fields(&a, f);
	ASSERT_LE(n, SG_JOURNAL_FIELDS - 1);
	for (i = 0; i < SG_ARRAY_SIZE(want); i++) {
		for (j = 0; j < n && strcmp(f[j], want[i]); j++)
			;
		EXPECT_LT(j, n) TH_LOG("missing %s", want[i]);
	}
	/* an offline alert has no process or destination details */
	memset(&a, 0, sizeof(a));
	a.heur = SG_HEUR_BEACON;
	a.src = "10.0.0.1";
	a.dst = "x";
	a.repeats = 3;
	n = sg_journal_fields(&a, f);
	for (j = 0; j < n; j++)
		EXPECT_EQ(NULL, strstr(f[j], "SUBJECT_PID")) TH_LOG("%s", f[j]);
	for (j = 0; j < n && strcmp(f[j], "SOVGUARD_REPEATS=3"); j++)
		;
	EXPECT_LT(j, n);
}

/* The JSON form says which quarantine an alert caused, and only then. */
TEST(json_quarantine)
{
	struct sg_alert a = { .heur = SG_HEUR_REVSHELL, .score = 95, .src = "/x", .dst = "y" };
	struct json_object *o = sg_alert_json(&a), *v;

	ASSERT_NE(NULL, o);
	EXPECT_FALSE(json_object_object_get_ex(o, "quarantine", &v));
	json_object_put(o);
	a.quarantine = 12;
	o = sg_alert_json(&a);
	ASSERT_TRUE(json_object_object_get_ex(o, "quarantine", &v));
	EXPECT_EQ(12, json_object_get_int(v));
	json_object_put(o);
}

/* Without a journal socket the alert goes to stderr as a JSON line. */
TEST(journal_fallback_to_stderr)
{
	struct json_object *ev = json_object_new_object();
	struct sg_alert a = { .heur = SG_HEUR_PKTSOCK, .score = 90, .src = "/x", .dst = "packet",
			      .evidence = ev, .exe = "/x", .pid = 7 };
	int r = sg_alert_journal(&a);

	EXPECT_TRUE(r == 0 || r == 1);
	json_object_put(ev);
}

TEST_HARNESS_MAIN
