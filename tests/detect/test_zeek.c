// SPDX-License-Identifier: GPL-2.0
/*
 * The Zeek reader on every format feature: TSV headers (#separator \x09,
 * #set_separator, #empty_field, #unset_field, #fields in any order, extra
 * columns, #close and a second header block), JSON lines with float and
 * ISO8601 times, gzip, dated directories with rotated names, and bad input
 * reported as file:line.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>
#include <getopt.h>
#include <zlib.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "config.h"
#include "zeek.h"

static const char conn_tsv[] =
	"#separator \\x09\n"
	"#set_separator\t,\n"
	"#empty_field\t(empty)\n"
	"#unset_field\t-\n"
	"#path\tconn\n"
	"#open\t2024-05-01-00-00-00\n"
	"#fields\t_node_name\tresp_bytes\tid.resp_p\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\t"
	"proto\torig_bytes\tconn_state\tlocal_orig\ttunnel_parents\n"
	"#types\tstring\tcount\tport\ttime\tstring\taddr\tport\taddr\tenum\tcount\tstring\tbool\t"
	"set[string]\n"
	"sensor-1\t2000\t443\t1714521600.500000\tC1\t10.0.0.1\t5000\t45.1.1.1\ttcp\t300\tSF\tT\t"
	"(empty)\n"
	"sensor-1\t-\t22\t1714521601.000000\tC2\t185.1.1.1\t6000\t10.0.0.5\ttcp\t-\tS0\tF\t(empty)\n"
	"#close\t2024-05-01-01-00-00\n"
	/* a second block, another column order and separator, IPv6 */
	"#separator \\x7c\n"
	"#set_separator|,\n"
	"#empty_field|(empty)\n"
	"#unset_field|-\n"
	"#fields|ts|id.orig_h|id.resp_h|id.resp_p|orig_bytes|resp_bytes|conn_state\n"
	"1714521700.25|2001:db8::1|2a00:1450::5|443|10|20|REJ\n";

static const char dns_tsv[] =
	"#separator \\x09\n"
	"#set_separator\t,\n"
	"#empty_field\t(empty)\n"
	"#unset_field\t-\n"
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\tanswers\tTTLs\n"
	"1714521599.9\tD1\t10.0.0.1\t5353\t10.0.0.53\t53\tc2.example.net\t"
	"cname.example.net,45.1.1.1,2a00:1450::5\t300,300,300\n"
	"1714521599.95\tD2\t10.0.0.1\t5353\t10.0.0.53\t53\tnx.example.net\t-\t-\n";

static const char conn_json[] =
	"{\"ts\":1714521600.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":5000,"
	"\"id.resp_h\":\"45.1.1.1\",\"id.resp_p\":443,\"proto\":\"tcp\",\"orig_bytes\":300,"
	"\"resp_bytes\":2000,\"conn_state\":\"SF\",\"local_orig\":true,\"_node_name\":\"s1\"}\n"
	"\n"
	"{\"ts\":\"2024-05-01T00:00:01.250000Z\",\"id.orig_h\":\"185.1.1.1\",\"id.resp_h\":\"10.0.0.5\","
	"\"id.resp_p\":22,\"conn_state\":\"S0\",\"local_orig\":false}\n"
	"{\"ts\":\"2024-05-01T02:00:02+02:00\",\"id.orig_h\":\"10.0.0.2\",\"id.resp_h\":\"45.2.2.2\"}\n";

static const char dns_json[] =
	"{\"ts\":\"2024-05-01T00:00:00Z\",\"id.orig_h\":\"10.0.0.1\",\"query\":\"c2.example.net\","
	"\"answers\":[\"cname.example.net\",\"45.1.1.1\"],\"TTLs\":[300.0,300.0]}\n";

FIXTURE(zk)
{
	char dir[64];
	char err[1024];
};

FIXTURE_SETUP(zk)
{
	strcpy(self->dir, "/tmp/sg-zeek-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(zk)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cleanup failed");
}

static void put(const char *dir, const char *name, const char *text, bool gz)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (gz) {
		gzFile f = gzopen(path, "wb");

		gzwrite(f, text, (unsigned int)strlen(text));
		gzclose(f);
	} else {
		FILE *f = fopen(path, "w");

		fputs(text, f);
		fclose(f);
	}
}

static const char *a2s(const struct in6_addr *a, char *buf)
{
	return sg_detect_addr_str(a, buf);
}

/* Read every record of one file; return the count or a negative error. */
static int read_all(const char *dir, const char *name, enum sg_det_kind kind,
		    struct sg_obs *out, int max, char *err)
{
	char path[512];
	struct sg_zeek *z;
	struct sg_obs o;
	int n = 0, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = sg_zeek_open(path, kind, &z, err, 1024);
	if (r)
		return r;
	static char qnames[8][SG_DETECT_NAME_MAX];

	while ((r = sg_zeek_next(z, &o)) == 1) {
		if (n >= max)
			continue;
		out[n] = o;
		/* the reader's strings live until its next record */
		if (o.qname && n < 8) {
			snprintf(qnames[n], sizeof(qnames[n]), "%s", o.qname);
			out[n].qname = qnames[n];
		}
		out[n].subject = NULL;
		n++;
	}
	if (r < 0)
		snprintf(err, 1024, "%s", sg_zeek_error(z));
	sg_zeek_close(z);
	return r < 0 ? r : n;
}

TEST_F(zk, tsv_columns_in_any_order_and_header_blocks)
{
	struct sg_obs o[8];
	char b[64];

	put(self->dir, "conn.log", conn_tsv, false);
	ASSERT_EQ(3, read_all(self->dir, "conn.log", SG_DET_CONN, o, 8, self->err))
		TH_LOG("%s", self->err);
	EXPECT_LT(fabs(o[0].ts - 1714521600.5), 1e-6);
	EXPECT_STREQ("45.1.1.1", a2s(&o[0].dst, b));
	EXPECT_EQ(443, o[0].dport);
	EXPECT_EQ(300, o[0].bytes_out);
	EXPECT_EQ(2000, o[0].bytes_in);
	EXPECT_EQ(SG_DIR_OUT, o[0].dir);
	EXPECT_FALSE(o[0].failed);
	EXPECT_EQ(6, o[0].proto);
	/* "-" bytes are 0; S0 failed; local_orig F inbound */
	EXPECT_EQ(0, o[1].bytes_in);
	EXPECT_TRUE(o[1].failed);
	EXPECT_EQ(SG_DIR_IN, o[1].dir);
	/* second block: | separated, IPv6, no local_orig */
	EXPECT_STREQ("2a00:1450::5", a2s(&o[2].dst, b));
	EXPECT_EQ(10, o[2].bytes_out);
	EXPECT_TRUE(o[2].failed);
	EXPECT_EQ(SG_DIR_UNKNOWN, o[2].dir);
}

TEST_F(zk, tsv_dns_answers_set_and_unset)
{
	struct sg_obs o[4];
	char b[64];

	put(self->dir, "dns.log", dns_tsv, false);
	ASSERT_EQ(2, read_all(self->dir, "dns.log", SG_DET_DNS, o, 4, self->err))
		TH_LOG("%s", self->err);
	EXPECT_EQ(2, o[0].n_answers);	/* the CNAME is not an address */
	EXPECT_STREQ("45.1.1.1", a2s(&o[0].answers[0], b));
	EXPECT_STREQ("2a00:1450::5", a2s(&o[0].answers[1], b));
	EXPECT_EQ(0, o[1].n_answers);
}

TEST_F(zk, json_lines_float_and_iso_times)
{
	struct sg_obs o[4];
	char b[64];

	put(self->dir, "conn.log", conn_json, false);
	ASSERT_EQ(3, read_all(self->dir, "conn.log", SG_DET_CONN, o, 4, self->err))
		TH_LOG("%s", self->err);
	EXPECT_LT(fabs(o[0].ts - 1714521600.5), 1e-6);
	EXPECT_EQ(SG_DIR_OUT, o[0].dir);
	EXPECT_EQ(2000, o[0].bytes_in);
	EXPECT_LT(fabs(o[1].ts - 1714521601.25), 1e-6);
	EXPECT_TRUE(o[1].failed);
	EXPECT_EQ(SG_DIR_IN, o[1].dir);
	/* 02:00:02+02:00 is 00:00:02Z */
	EXPECT_LT(fabs(o[2].ts - 1714521602), 1e-6);
	EXPECT_STREQ("45.2.2.2", a2s(&o[2].dst, b));

	put(self->dir, "dns.log", dns_json, false);
	ASSERT_EQ(1, read_all(self->dir, "dns.log", SG_DET_DNS, o, 4, self->err));
	EXPECT_EQ(1, o[0].n_answers);
	EXPECT_STREQ("c2.example.net", o[0].qname);
}

TEST_F(zk, gzip_reads_as_plain)
{
	struct sg_obs o[8];

	put(self->dir, "conn.log.gz", conn_tsv, true);
	ASSERT_EQ(3, read_all(self->dir, "conn.log.gz", SG_DET_CONN, o, 8, self->err))
		TH_LOG("%s", self->err);
	EXPECT_EQ(2000, o[0].bytes_in);
}

TEST(iso_times)
{
	double t;

	ASSERT_EQ(0, sg_zeek_parse_time("2024-05-01T00:00:00Z", &t));
	EXPECT_LT(fabs(t - 1714521600), 1e-9);
	ASSERT_EQ(0, sg_zeek_parse_time("2024-05-01T00:00:00.5-01:30", &t));
	EXPECT_LT(fabs(t - (1714521600.5 + 5400)), 1e-6);
	ASSERT_EQ(0, sg_zeek_parse_time("1714521600.000001", &t));
	EXPECT_NE(0, sg_zeek_parse_time("2024-05-01 00:00:00", &t));
	EXPECT_NE(0, sg_zeek_parse_time("2024-05-01T00:00:00Zjunk", &t));
	EXPECT_NE(0, sg_zeek_parse_time("12ab", &t));
	EXPECT_NE(0, sg_zeek_parse_time("", &t));
}

/* Real sensor layout: dated directories, hourly rotated gz, current logs. */
TEST_F(zk, directory_layout_in_time_order)
{
	struct sg_detect_config cfg;
	struct sg_analyze a = { .cfg = &cfg, .errf = stderr };
	char sub[512], *paths[1] = { self->dir };

	sg_detect_config_init(&cfg);
	snprintf(sub, sizeof(sub), "%s/2024-05-01", self->dir);
	ASSERT_EQ(0, mkdir(sub, 0755));
	put(sub, "conn.00:00:00-01:00:00.log.gz", conn_tsv, true);
	put(sub, "dns.00:00:00-01:00:00.log.gz", dns_tsv, true);
	put(sub, "conn.01:00:00-02:00:00.log.gz", conn_json, true);
	put(sub, "weird.00:00:00-01:00:00.log.gz", "junk\n", true);
	put(sub, "conn-summary.log", "junk\n", false);
	put(self->dir, "conn.log", conn_tsv, false);
	ASSERT_EQ(0, sg_detect_analyze_paths(&a, paths, 1));
	EXPECT_EQ(4, a.files);
	EXPECT_EQ(3 + 2 + 3 + 3, a.records);
	EXPECT_EQ(2, a.stats.dns);
}

struct bad {
	const char *name, *text, *want;
	enum sg_det_kind kind;
};

TEST_F(zk, malformed_input_names_file_and_line)
{
	static const struct bad bad[] = {
		{ "conn.log", "1714521600\t10.0.0.1\t45.1.1.1\n", "conn.log:1: data before the #fields",
		  SG_DET_CONN },
		{ "conn.log", "#separator \\x09\n#fields\tts\tid.orig_h\n",
		  "conn.log:2: #fields lacks", SG_DET_CONN },
		{ "conn.log", "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n"
			      "1\t10.0.0.1\t45.1.1.1\n1\t10.0.0.1\n", "conn.log:4: 2 fields, #fields has 3",
		  SG_DET_CONN },
		{ "conn.log", "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n"
			      "1\t10.0.0.1\t45.1.1.1\n1\t10.0.0.999\t45.1.1.1\n",
		  "conn.log:4: id.orig_h: bad address", SG_DET_CONN },
		{ "conn.log", "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n"
			      "yesterday\t10.0.0.1\t45.1.1.1\n", "conn.log:3: ts: bad time", SG_DET_CONN },
		{ "conn.log", "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\torig_bytes\n"
			      "1\t10.0.0.1\t45.1.1.1\t-12\n", "conn.log:3: orig_bytes: not a count",
		  SG_DET_CONN },
		{ "conn.log", "#separator \\t\n", "conn.log:1: bad #separator", SG_DET_CONN },
		{ "conn.log", "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"45.1.1.1\"}\n{\"ts\":1,\n",
		  "conn.log:2: bad JSON", SG_DET_CONN },
		{ "conn.log", "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\"}\n", "conn.log:1: lacks", SG_DET_CONN },
		{ "conn.log", "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"45.1.1.1\"} x\n",
		  "conn.log:1: bad JSON: data after", SG_DET_CONN },
		{ "dns.log", "#separator \\x09\n#fields\tts\tid.orig_h\n", "dns.log:2: #fields lacks",
		  SG_DET_DNS },
	};
	struct sg_obs o[4];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(self->dir, bad[i].name, bad[i].text, false);
		EXPECT_EQ(-EINVAL, read_all(self->dir, bad[i].name, bad[i].kind, o, 4, self->err))
			TH_LOG("case %zu", i);
		EXPECT_NE(NULL, strstr(self->err, bad[i].want)) TH_LOG("case %zu: %s", i, self->err);
	}
}

TEST_F(zk, long_line_and_truncated_gzip)
{
	static char big[SG_ZEEK_LINE_MAX + 100];
	char path[512];
	struct sg_obs o[4];
	int fd;

	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	put(self->dir, "conn.log", big, false);
	EXPECT_EQ(-EINVAL, read_all(self->dir, "conn.log", SG_DET_CONN, o, 4, self->err));
	EXPECT_NE(NULL, strstr(self->err, "conn.log:1: line longer than")) TH_LOG("%s", self->err);

	put(self->dir, "conn.log.gz", conn_tsv, true);
	snprintf(path, sizeof(path), "%s/conn.log.gz", self->dir);
	fd = open(path, O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 60));
	close(fd);
	EXPECT_EQ(-EINVAL, read_all(self->dir, "conn.log.gz", SG_DET_CONN, o, 4, self->err));
	EXPECT_NE(NULL, strstr(self->err, "conn.log.gz:")) TH_LOG("%s", self->err);
}

/* A conn.log given alone brings its dns.log; given twice it is read once. */
TEST_F(zk, conn_file_brings_its_dns_file)
{
	struct sg_detect_config cfg;
	struct sg_analyze a = { .cfg = &cfg, .errf = stderr };
	char c[512], dn[512], *paths[3] = { c, c, dn };

	sg_detect_config_init(&cfg);
	put(self->dir, "conn.log", conn_tsv, false);
	put(self->dir, "dns.log", dns_tsv, false);
	snprintf(c, sizeof(c), "%s/conn.log", self->dir);
	snprintf(dn, sizeof(dn), "%s/dns.log", self->dir);
	ASSERT_EQ(0, sg_detect_analyze_paths(&a, paths, 1));
	EXPECT_EQ(2, a.files);
	EXPECT_EQ(2, a.stats.dns);
	ASSERT_EQ(0, sg_detect_analyze_paths(&a, paths, 3));
	EXPECT_EQ(2, a.files);
	EXPECT_EQ(5, a.records);
}

/* The command: -j prints one JSON object per alert, exit 0 with or without alerts. */
static int run_cmd(const char *out, char **argv, int argc)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved, r;

	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	close(fd);
	optind = 0;
	r = sg_detect_analyze_main(argc, argv, false, sg_config_load_detect);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return r;
}

TEST_F(zk, analyze_command_json_lines)
{
	char out[512], dir[128], line[4096];
	char *argv[] = { "analyze", "--zeek", dir, "-j", NULL };
	int n = 0;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/logs", self->dir);
	ASSERT_EQ(0, mkdir(dir, 0755));
	put(dir, "conn.log", conn_json, false);
	put(dir, "dns.log", dns_tsv, false);
	snprintf(out, sizeof(out), "%s/out", self->dir);
	ASSERT_EQ(0, run_cmd(out, argv, 4));
	f = fopen(out, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		struct json_object *o = json_tokener_parse(line), *v;

		ASSERT_NE(NULL, o) TH_LOG("%s", line);
		EXPECT_TRUE(json_object_object_get_ex(o, "heuristic", &v));
		EXPECT_TRUE(json_object_object_get_ex(o, "score", &v));
		EXPECT_TRUE(json_object_object_get_ex(o, "src", &v));
		EXPECT_TRUE(json_object_object_get_ex(o, "evidence", &v));
		EXPECT_TRUE(json_object_object_get_ex(o, "dst", &v));
		/* 10.0.0.2 reached 45.2.2.2 with no DNS answer */
		EXPECT_STREQ("45.2.2.2", json_object_get_string(v));
		json_object_put(o);
		n++;
	}
	fclose(f);
	EXPECT_EQ(1, n);

	/* nothing to find is still a successful run */
	put(dir, "conn.log", conn_tsv, false);
	ASSERT_EQ(0, run_cmd(out, argv, 4));
	/* malformed input is not */
	put(dir, "conn.log", "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n1\t2\n", false);
	EXPECT_EQ(-EINVAL, run_cmd(out, argv, 4));
}

static int count_lines(const char *path)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* --config is read as sovguardd reads sovguard.conf; --set applies over it. */
TEST_F(zk, analyze_config_is_a_sovguard_conf)
{
	char out[512], dir[128], conf[256], set[] = "detect.dnsless=on";
	char *argv[] = { "analyze", "--zeek", dir, "-j", "--config", conf, "--set", set, NULL };
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/logs", self->dir);
	ASSERT_EQ(0, mkdir(dir, 0755));
	put(dir, "conn.log", conn_json, false);
	put(dir, "dns.log", dns_tsv, false);
	snprintf(out, sizeof(out), "%s/out", self->dir);
	snprintf(conf, sizeof(conf), "%s/sovguard.conf", self->dir);
	f = fopen(conf, "w");
	ASSERT_NE(NULL, f);
	fputs("mode = audit\nrules_dir = /etc/sovguard/rules.d\ndetect.dnsless = off\n", f);
	fclose(f);

	/* The one dnsless alert of this trace is off in the file... */
	ASSERT_EQ(0, run_cmd(out, argv, 6));
	EXPECT_EQ(0, count_lines(out));
	/* ...and on again with --set over it. */
	ASSERT_EQ(0, run_cmd(out, argv, 8));
	EXPECT_EQ(1, count_lines(out));
	/* A file the daemon would refuse is refused here too. */
	f = fopen(conf, "w");
	ASSERT_NE(NULL, f);
	fputs("detect.dnsless = off\nmdoe = audit\n", f);
	fclose(f);
	EXPECT_EQ(-EINVAL, run_cmd(out, argv, 6));
}

TEST_F(zk, analyze_reports_unreadable_paths)
{
	struct sg_detect_config cfg;
	struct sg_analyze a = { .cfg = &cfg, .errf = stderr };
	char p[512], *paths[1] = { p };

	sg_detect_config_init(&cfg);
	snprintf(p, sizeof(p), "%s/nothing-here", self->dir);
	EXPECT_EQ(-ENOENT, sg_detect_analyze_paths(&a, paths, 1));
	/* a directory without logs is an error too, not an empty success */
	paths[0] = self->dir;
	EXPECT_EQ(-ENOENT, sg_detect_analyze_paths(&a, paths, 1));
	/* a file that is not named like a Zeek log */
	snprintf(p, sizeof(p), "%s/http.log", self->dir);
	paths[0] = p;
	put(self->dir, "http.log", "x\n", false);
	EXPECT_EQ(-EINVAL, sg_detect_analyze_paths(&a, paths, 1));
}

TEST_HARNESS_MAIN
