// SPDX-License-Identifier: GPL-2.0
/*
 * Jurisdiction data: every loader on small files the tests write, overlap
 * resolution, point lookup, age and error handling, check-config.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define LIBLOC_PRIVATE	/* the header's layout, to find the network data */
#include <libloc/format.h>
#undef LIBLOC_PRIVATE
#include <libloc/database.h>

#include "kselftest_harness.h"
#include "policy_fixtures.h"

FIXTURE(data)
{
	char dir[64];
	char path[128];
	struct sg_data *d;
	char *diag;
	size_t diag_len;
	FILE *df;
};

FIXTURE_SETUP(data)
{
	strcpy(self->dir, "/tmp/sg-data-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/db", self->dir);
	ASSERT_EQ(0, sg_data_new(&self->d));
	self->diag = NULL;
	self->df = open_memstream(&self->diag, &self->diag_len);
	ASSERT_NE(NULL, self->df);
}

FIXTURE_TEARDOWN(data)
{
	char cmd[128];

	sg_data_free(self->d);
	fclose(self->df);
	free(self->diag);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len)
		abort();
	fclose(f);
}

static struct sg_lookup look(const struct sg_data *d, const char *addr)
{
	struct in6_addr a;
	struct sg_lookup l;

	memset(&l, 0, sizeof(l));
	if (sg_addr_parse(addr, &a) || sg_data_lookup(d, &a, &l))
		l.source = -2;
	return l;
}

/* The table is sorted, non-overlapping, and neighbours differ. */
static int table_ok(const struct sg_data *d)
{
	const struct sg_range *r = sg_data_ranges(d);

	for (size_t i = 0; i < sg_data_nr_ranges(d); i++) {
		if (memcmp(&r[i].first, &r[i].last, 16) > 0)
			return 0;
		if (i && memcmp(&r[i - 1].last, &r[i].first, 16) >= 0)
			return 0;
	}
	return 1;
}

static const struct fx_net nested[] = {
	{ "10.0.0.0/8", "DE", 64500, 0 },
	{ "10.1.0.0/16", "FR", 64501, 0 },
	{ "10.1.2.0/24", "FR", 64502, 1 },
	{ "192.0.2.0/24", "US", 64503, 0 },
	{ "2001:db8::/32", "NL", 64504, 0 },
	{ "2001:db8:1::/48", "BE", 0, 0 },
};

TEST_F(data, libloc)
{
	static const uint32_t asns[] = { 64500, 64501, 64502, 64503, 64504, 64999 };
	FILE *f = fopen(self->path, "w");
	const struct sg_source_info *src;
	struct sg_lookup l;

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fx_write_libloc(f, nested, 6, asns, 6));
	fclose(f);
	ASSERT_EQ(0, sg_data_load(self->d, self->path, &fx_unsigned_ok, self->df));
	ASSERT_EQ(0, sg_data_finish(self->d));
	EXPECT_TRUE(table_ok(self->d));

	src = sg_data_source(self->d, 0);
	ASSERT_NE(NULL, src);
	EXPECT_EQ(SG_SRC_LIBLOC, src->kind);
	EXPECT_EQ(6, src->nr_networks);
	EXPECT_LT(time(NULL) - 3600, src->created);
	/* The AS list, not only ASes that own networks. */
	EXPECT_TRUE(sg_data_has_asn(self->d, 64999));
	EXPECT_FALSE(sg_data_has_asn(self->d, 64998));

	l = look(self->d, "10.200.0.1");
	EXPECT_STREQ("DE", l.cc);
	EXPECT_EQ(64500, l.asn);
	EXPECT_EQ(0, l.source);
	l = look(self->d, "10.1.200.1");
	EXPECT_STREQ("FR", l.cc);
	EXPECT_EQ(64501, l.asn);
	EXPECT_EQ(0, l.flags);
	l = look(self->d, "10.1.2.255");
	EXPECT_EQ(64502, l.asn);
	EXPECT_EQ(SG_FLAG_ANYCAST, l.flags);
	l = look(self->d, "10.1.3.0");
	EXPECT_EQ(64501, l.asn);
	l = look(self->d, "10.255.255.255");
	EXPECT_EQ(64500, l.asn);
	l = look(self->d, "11.0.0.0");
	EXPECT_EQ(-1, l.source);
	EXPECT_STREQ("", l.cc);
	l = look(self->d, "::ffff:192.0.2.7");
	EXPECT_STREQ("US", l.cc);
	l = look(self->d, "2001:db8:1::1");
	EXPECT_STREQ("BE", l.cc);
	EXPECT_EQ(0, l.asn);
	l = look(self->d, "2001:db8:2::1");
	EXPECT_STREQ("NL", l.cc);
	/* 10/8 splits around 10.1/16, which splits around 10.1.2/24. */
	EXPECT_EQ(9, sg_data_nr_ranges(self->d));
	fflush(self->df);
	EXPECT_STREQ("", self->diag);
}

TEST_F(data, libloc_truncated)
{
	FILE *f = fopen(self->path, "w");
	struct stat st;

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fx_write_libloc(f, nested, 6, NULL, 0));
	fclose(f);
	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_EQ(0, truncate(self->path, st.st_size / 2));
	EXPECT_EQ(-EINVAL, sg_data_load(self->d, self->path, &fx_unsigned_ok, self->df));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "not a readable libloc database (truncated or corrupt)"))
		TH_LOG("%s", self->diag);
}

/* Offsets libloc would follow blindly are checked first. */
TEST_F(data, libloc_corrupt_header)
{
	/* magic (8), created_at (8), vendor, description, license, then five
	 * (offset, length) pairs: the string pool's length is at byte 64. */
	static const uint32_t huge = 0xffffff7f;
	FILE *f = fopen(self->path, "w");
	int fd;

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fx_write_libloc(f, nested, 6, NULL, 0));
	fclose(f);
	ASSERT_EQ(0, sg_data_load(self->d, self->path, &fx_unsigned_ok, self->df));
	fd = open(self->path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, pwrite(fd, &huge, 4, 64));
	close(fd);
	EXPECT_EQ(-EINVAL, sg_data_load(self->d, self->path, &fx_unsigned_ok, self->df));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "not a readable libloc database (truncated or corrupt)"))
		TH_LOG("%s", self->diag);
}

TEST_F(data, mmdb)
{
	static const struct fx_net nets[] = {
		{ "10.0.0.0/8", "DE", 0, 0 },
		{ "10.1.0.0/16", "FR", 64501, 0 },
		{ "192.0.2.128/25", NULL, 64503, 1 },
	};
	struct fx_buf b = { 0 };
	struct sg_lookup l;

	ASSERT_EQ(0, fx_build_mmdb(&b, nets, 3, 1700000000));
	write_file(self->path, b.p, b.n);
	free(b.p);
	ASSERT_EQ(0, sg_data_load(self->d, self->path, &fx_unsigned_ok, self->df)) {
		fflush(self->df);
		TH_LOG("%s", self->diag);
	}
	ASSERT_EQ(0, sg_data_finish(self->d));
	EXPECT_TRUE(table_ok(self->d));
	EXPECT_EQ(SG_SRC_MMDB, sg_data_source(self->d, 0)->kind);
	EXPECT_EQ(1700000000, sg_data_source(self->d, 0)->created);
	/* The tree splits 10/8 around 10.1/16; the table merges it back. */
	EXPECT_LE(3, sg_data_source(self->d, 0)->nr_networks);
	EXPECT_EQ(4, sg_data_nr_ranges(self->d));
	l = look(self->d, "10.9.9.9");
	EXPECT_STREQ("DE", l.cc);
	EXPECT_EQ(0, l.asn);
	l = look(self->d, "10.1.9.9");
	EXPECT_STREQ("FR", l.cc);
	EXPECT_EQ(64501, l.asn);
	l = look(self->d, "192.0.2.200");
	EXPECT_STREQ("", l.cc);
	EXPECT_EQ(64503, l.asn);
	EXPECT_EQ(SG_FLAG_ANYCAST, l.flags);
	l = look(self->d, "192.0.2.127");
	EXPECT_EQ(-1, l.source);
	EXPECT_TRUE(sg_data_has_asn(self->d, 64503));
}

TEST_F(data, mmdb_ipv6_tree)
{
	static const struct fx_net nets[] = {
		{ "10.0.0.0/8", "DE", 0, 0 },
		{ "2001:db8::/32", "NL", 64504, 1 },
	};
	struct fx_buf b = { 0 };
	struct sg_lookup l;

	ASSERT_EQ(0, fx_build_mmdb_v(&b, nets, 2, 1700000000, 6));
	write_file(self->path, b.p, b.n);
	free(b.p);
	ASSERT_EQ(0, sg_data_load(self->d, self->path, &fx_unsigned_ok, self->df)) {
		fflush(self->df);
		TH_LOG("%s", self->diag);
	}
	ASSERT_EQ(0, sg_data_finish(self->d));
	/* IPv4 is read once, at ::/96, not again through the ::ffff:0:0/96 alias. */
	EXPECT_EQ(2, sg_data_source(self->d, 0)->nr_networks);
	EXPECT_EQ(2, sg_data_nr_ranges(self->d));
	EXPECT_STREQ("DE", look(self->d, "10.1.2.3").cc);
	l = look(self->d, "2001:db8:ff::1");
	EXPECT_STREQ("NL", l.cc);
	EXPECT_EQ(64504, l.asn);
	EXPECT_EQ(SG_FLAG_ANYCAST, l.flags);
	EXPECT_EQ(-1, look(self->d, "2001:db9::1").source);
}

TEST_F(data, mmdb_truncated)
{
	static const struct fx_net nets[] = { { "10.0.0.0/8", "DE", 0, 0 } };
	struct fx_buf b = { 0 };

	ASSERT_EQ(0, fx_build_mmdb(&b, nets, 1, 1700000000));
	/* Cut into the search tree: the metadata marker is gone. */
	write_file(self->path, b.p, 10);
	free(b.p);
	EXPECT_NE(0, sg_data_load(self->d, self->path,
				  &(struct sg_load_opts){ .kind = SG_SRC_MMDB,
							  .unsigned_data = SG_UNSIGNED_ALLOW },
				  self->df));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "not a readable MMDB file")) TH_LOG("%s", self->diag);
}

TEST_F(data, tor_geoip)
{
	static const char v4[] = "# Tor geoip\n"
				 "16777216,16777471,AU\n"	/* 1.0.0.0-1.0.0.255 */
				 "16777472,16778239,CN\n"	/* 1.0.1.0-1.0.3.255 */
				 "16778240,16779263,??\n";
	static const char v6[] = "# Tor geoip6\n"
				 "2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\n";
	struct sg_lookup l;

	ASSERT_EQ(0, sg_data_load_buffer(self->d, "geoip", v4, strlen(v4), &fx_unsigned_ok, self->df));
	ASSERT_EQ(0, sg_data_load_buffer(self->d, "geoip6", v6, strlen(v6), &fx_unsigned_ok, self->df));
	ASSERT_EQ(0, sg_data_finish(self->d));
	EXPECT_EQ(SG_SRC_TOR_GEOIP, sg_data_source(self->d, 0)->kind);
	EXPECT_EQ(SG_SRC_TOR_GEOIP, sg_data_source(self->d, 1)->kind);
	EXPECT_FALSE(sg_data_has_asn_info(self->d));
	EXPECT_STREQ("AU", look(self->d, "1.0.0.200").cc);
	EXPECT_STREQ("CN", look(self->d, "1.0.2.1").cc);
	l = look(self->d, "1.0.4.1");
	EXPECT_EQ(-1, l.source);
	l = look(self->d, "2001:200:1::1");
	EXPECT_STREQ("JP", l.cc);
	EXPECT_EQ(1, l.source);
}

TEST_F(data, tor_errors)
{
	static const char bad[] = "1,2,DE\n"
				  "5,4,DE\n"
				  "x,9,DE\n"
				  "1,2\n"
				  "1,2,QQ\n"
				  "::1,zz,DE\n";

	EXPECT_EQ(-EINVAL, sg_data_load_buffer(self->d, "geoip", bad, strlen(bad),
					       &(struct sg_load_opts){ .kind = SG_SRC_TOR_GEOIP,
								  .unsigned_data = SG_UNSIGNED_ALLOW },
					       self->df));
	fflush(self->df);
	EXPECT_STREQ("geoip:2: range ends before it starts\n"
		     "geoip:3: bad IPv4 integer\n"
		     "geoip:4: expected LOW,HIGH,COUNTRY\n"
		     "geoip:5: unknown country code 'QQ'\n"
		     "geoip:6: bad IPv6 address\n",
		     self->diag);
}

TEST_F(data, cidr_list)
{
	static const char list[] = "# operator list\n"
				   "10.0.0.0/8   DE as64500\n"
				   "10.9.0.0/16  corp\n"
				   "2001:db8::/32 as64501 # no country\n"
				   "192.0.2.1 US\n";
	struct sg_lookup l;

	ASSERT_EQ(0, sg_data_load_buffer(self->d, "list", list, strlen(list), &fx_unsigned_ok, self->df));
	ASSERT_EQ(0, sg_data_finish(self->d));
	EXPECT_EQ(SG_SRC_CIDR, sg_data_source(self->d, 0)->kind);
	EXPECT_TRUE(sg_data_has_asn_info(self->d));
	EXPECT_TRUE(sg_data_has_asn(self->d, 64501));
	EXPECT_EQ(1, sg_data_find_label(self->d, "corp"));
	EXPECT_STREQ("corp", sg_data_label(self->d, 1));
	l = look(self->d, "10.9.1.1");
	EXPECT_STREQ("corp", l.label);
	EXPECT_EQ(1, l.label_id);
	EXPECT_STREQ("", l.cc);
	l = look(self->d, "10.8.1.1");
	EXPECT_EQ(NULL, l.label);
	EXPECT_EQ(64500, l.asn);
	EXPECT_EQ(64501, look(self->d, "2001:db8::5").asn);
	EXPECT_STREQ("US", look(self->d, "192.0.2.1").cc);
	EXPECT_EQ(-1, look(self->d, "192.0.2.2").source);
}

TEST_F(data, cidr_errors)
{
	static const char bad[] = "10.0.0.1/8 DE\n"
				  "10.0.0.0/8 XX\n"
				  "10.0.0.0/8 as0\n"
				  "10.0.0.0/8\n"
				  "banana DE\n"
				  "10.0.0.0/8 Bad!\n";

	EXPECT_EQ(-EINVAL, sg_data_load_buffer(self->d, "list", bad, strlen(bad), &fx_unsigned_ok, self->df));
	fflush(self->df);
	EXPECT_STREQ("list:1: '10.0.0.1/8' is not a network prefix (host bits set)\n"
		     "list:2: unknown country code 'XX'\n"
		     "list:3: bad AS number 'as0'\n"
		     "list:4: network without a country, AS or zone label\n"
		     "list:5: 'banana' is not a network prefix\n"
		     "list:6: 'Bad!' is neither a country, an AS nor a zone label\n",
		     self->diag);
}

TEST_F(data, overlap_resolution)
{
	/* Source 0: a /8 and a partial overlap; source 1 ties on 10.1/16. */
	static const char a[] = "10.0.0.0/8 DE\n10.1.0.0/16 FR\n";
	static const char b[] = "10.1.0.0/16 NL\n10.2.0.0/24 AT\n";
	/* Tor ranges need not be prefixes: 10.0.255.0 - 10.1.0.255 */
	static const char c[] = "167837440,167837951,BE\n";

	ASSERT_EQ(0, sg_data_load_buffer(self->d, "a", a, strlen(a), &fx_unsigned_ok, self->df));
	ASSERT_EQ(0, sg_data_load_buffer(self->d, "b", b, strlen(b), &fx_unsigned_ok, self->df));
	ASSERT_EQ(0, sg_data_load_buffer(self->d, "c", c, strlen(c), &fx_unsigned_ok, self->df));
	ASSERT_EQ(0, sg_data_finish(self->d));
	EXPECT_TRUE(table_ok(self->d));
	/* Equal size: the source read last wins. */
	EXPECT_STREQ("NL", look(self->d, "10.1.5.5").cc);
	EXPECT_EQ(1, look(self->d, "10.1.5.5").source);
	EXPECT_STREQ("AT", look(self->d, "10.2.0.9").cc);
	EXPECT_STREQ("DE", look(self->d, "10.2.1.0").cc);
	/* The 512-address range is more specific than both /8 and /16. */
	EXPECT_STREQ("DE", look(self->d, "10.0.254.255").cc);
	EXPECT_STREQ("BE", look(self->d, "10.0.255.0").cc);
	EXPECT_STREQ("BE", look(self->d, "10.1.0.255").cc);
	EXPECT_STREQ("NL", look(self->d, "10.1.1.0").cc);
	EXPECT_STREQ("DE", look(self->d, "10.255.255.255").cc);
	EXPECT_STREQ("DE", look(self->d, "10.0.0.0").cc);
	EXPECT_EQ(-1, look(self->d, "9.255.255.255").source);
}

/*
 * Random prefixes inside 10.0.0.0/8, nested, disjoint and repeated, listed
 * in tree order as a CIDR list (every network nests in the one before it
 * that it overlaps: the sweep's stack path) and once more
 * with one Tor range that overlaps without nesting (the heap path); each
 * address gets the country of the most specific network holding it, the
 * one listed last on a tie, as a brute-force reference says.
 */
static void random_sweep(struct __test_metadata *_metadata, struct sg_data *d, FILE *df,
			 bool with_range)
{
	static const char *const cc[] = { "DE", "FR", "NL", "AT", "BE", "PL", "SE", "IT" };
	enum { N = 400 };
	__u32 base[N + 1], mask[N + 1];
	int country[N + 1], n = 0, i, k;
	static char list[N * 32];
	size_t at = 0;
	unsigned int seed = 1234;

	for (i = 0; i < N; i++) {
		int len = 8 + rand_r(&seed) % 21;

		if (i && rand_r(&seed) % 8 == 0) {	/* the same network again */
			base[i] = base[i - 1 - rand_r(&seed) % i];
			mask[i] = mask[i - 1];
			for (k = 0; k < i; k++)
				if (base[k] == base[i]) {
					mask[i] = mask[k];
					break;
				}
		} else {
			mask[i] = ~0u << (32 - len);
			base[i] = (0x0a000000u | (rand_r(&seed) & 0x00ffffffu)) & mask[i];
		}
		country[i] = rand_r(&seed) % 8;
	}
	/* In tree order (address, then the larger first), as libloc lists. */
	for (i = 1; i < N; i++)
		for (k = i; k > 0 && (base[k - 1] > base[k] ||
				      (base[k - 1] == base[k] && mask[k - 1] > mask[k])); k--) {
			__u32 tb = base[k], tm = mask[k];
			int tc = country[k];

			base[k] = base[k - 1];
			mask[k] = mask[k - 1];
			country[k] = country[k - 1];
			base[k - 1] = tb;
			mask[k - 1] = tm;
			country[k - 1] = tc;
		}
	for (i = 0; i < N; i++) {
		at += snprintf(list + at, sizeof(list) - at, "%u.%u.%u.%u/%d %s\n",
			       base[i] >> 24, (base[i] >> 16) & 255, (base[i] >> 8) & 255,
			       base[i] & 255, 32 - __builtin_ctz(mask[i] ? mask[i] : 1), cc[country[i]]);
	}
	n = N;
	ASSERT_EQ(0, sg_data_load_buffer(d, "random", list, at, &fx_unsigned_ok, df));
	if (with_range) {	/* 10.20.0.128 - 10.40.0.127, no prefix */
		static const char tor[] = "169082496,170393727,SE\n";

		ASSERT_EQ(0, sg_data_load_buffer(d, "range", tor, strlen(tor), &fx_unsigned_ok, df));
		base[n] = 169082496;
		mask[n] = 170393727;	/* the last address, for a range */
		country[n++] = 6;
	}
	ASSERT_EQ(0, sg_data_finish(d));
	ASSERT_TRUE(table_ok(d));
	for (k = 0; k < 20000; k++) {
		__u32 a = 0x0a000000u | (rand_r(&seed) & 0x00ffffffu);
		unsigned long long best = ~0ULL;
		int want = -1;
		char s[20];
		struct sg_lookup l;

		for (i = 0; i < n; i++) {
			__u32 first = base[i], last = i < N ? base[i] | ~mask[i] : mask[i];
			unsigned long long size = (unsigned long long)last - first;

			if (a >= first && a <= last && size <= best) {
				best = size;
				want = country[i];
			}
		}
		snprintf(s, sizeof(s), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
			 a & 255);
		l = look(d, s);
		if (want < 0) {
			ASSERT_EQ(-1, l.source) TH_LOG("%s", s);
		} else {
			ASSERT_STREQ(cc[want], l.cc) TH_LOG("%s", s);
		}
	}
}

TEST_F(data, random_nested_networks)
{
	random_sweep(_metadata, self->d, self->df, false);
}

TEST_F(data, random_networks_and_a_range)
{
	random_sweep(_metadata, self->d, self->df, true);
}

TEST_F(data, full_address_space)
{
	static const char list[] = "::/0 DE\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128 FR\n";

	ASSERT_EQ(0, sg_data_load_buffer(self->d, "all", list, strlen(list), &fx_unsigned_ok, self->df));
	ASSERT_EQ(0, sg_data_finish(self->d));
	EXPECT_EQ(2, sg_data_nr_ranges(self->d));
	EXPECT_STREQ("DE", look(self->d, "::").cc);
	EXPECT_STREQ("DE", look(self->d, "1.2.3.4").cc);
	EXPECT_STREQ("FR", look(self->d, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").cc);
}

TEST_F(data, age)
{
	static const struct fx_net nets[] = { { "10.0.0.0/8", "DE", 0, 0 } };
	struct fx_buf b = { 0 };
	struct sg_load_opts o = { .now = 1700000000 + 40 * 86400, .warn_age = 30 * 86400,
				  .unsigned_data = SG_UNSIGNED_ALLOW };

	ASSERT_EQ(0, fx_build_mmdb(&b, nets, 1, 1700000000));
	write_file(self->path, b.p, b.n);
	free(b.p);
	EXPECT_EQ(0, sg_data_load(self->d, self->path, &o, self->df));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "warning: data is 40 days old (warning after 30)"))
		TH_LOG("%s", self->diag);
	o.max_age = 35 * 86400;
	EXPECT_EQ(-ESTALE, sg_data_load(self->d, self->path, &o, self->df));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "data is 40 days old, more than the allowed 35"))
		TH_LOG("%s", self->diag);
	/* From the future: no age can be proven. */
	o.now = 1700000000 - 2 * 86400;
	EXPECT_EQ(-ESTALE, sg_data_load(self->d, self->path, &o, self->df));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "creation time 1700000000 is in the future or invalid"))
		TH_LOG("%s", self->diag);
	o.max_age = 0;
	EXPECT_EQ(0, sg_data_load(self->d, self->path, &o, self->df));
}

TEST_F(data, unreadable)
{
	EXPECT_EQ(-ENOENT, sg_data_load(self->d, "/nonexistent/db", &fx_unsigned_ok, self->df));
	write_file(self->path, "", 0);
	EXPECT_EQ(-ENODATA, sg_data_load(self->d, self->path, &fx_unsigned_ok, self->df));
	write_file(self->path, "# only comments\n", 16);
	EXPECT_EQ(-ENODATA, sg_data_load(self->d, self->path, &fx_unsigned_ok, self->df));
	EXPECT_EQ(-EINVAL, sg_data_load(self->d, self->dir, &fx_unsigned_ok, self->df));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "/nonexistent/db: cannot open: No such file"));
	EXPECT_NE(NULL, strstr(self->diag, "empty file"));
	EXPECT_NE(NULL, strstr(self->diag, "no networks in cidr data"));
	EXPECT_NE(NULL, strstr(self->diag, "not a regular file"));
	/* Nothing loaded: finish refuses, lookups on unfinished data fail. */
	EXPECT_EQ(-2, look(self->d, "1.1.1.1").source);
}

/*
 * Signatures. Keys are made at test time with the openssl CLI: name.key
 * (private, for libloc's writer) and name.pem (public, for data_key).
 */
static int make_key(const char *dir, const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "openssl ecparam -name prime256v1 -genkey -noout -out '%s/%s.key' 2>/dev/null && "
		 "openssl ec -in '%s/%s.key' -pubout -out '%s/%s.pem' 2>/dev/null",
		 dir, name, dir, name, dir, name);
	return system(cmd) ? -EIO : 0;
}

/* Write the nested networks to path, signed with dir/name.key unless name is NULL. */
static int write_db(const char *path, const char *dir, const char *name)
{
	static const uint32_t asns[] = { 64500, 64501, 64502, 64503, 64504 };
	FILE *f = fopen(path, "w+"), *key = NULL;	/* the writer reads back what it signs */
	char kp[256];
	int err;

	if (!f)
		return -errno;
	if (name) {
		snprintf(kp, sizeof(kp), "%s/%s.key", dir, name);
		key = fopen(kp, "r");
		if (!key) {
			fclose(f);
			return -errno;
		}
	}
	err = fx_write_libloc_signed(f, nested, 6, asns, 5, key);
	fclose(f);
	if (key)
		fclose(key);
	return err;
}

/* Load path alone into fresh data; the source's signature state in *sig. */
static int load_one(const char *path, const struct sg_load_opts *o, FILE *df,
		    enum sg_sig_state *sig)
{
	struct sg_data *d;
	int err;

	if (sg_data_new(&d))
		return -ENOMEM;
	err = sg_data_load(d, path, o, df);
	*sig = sg_data_nr_sources(d) ? sg_data_source(d, 0)->sig : SG_SIG_NONE;
	if (err)
		*sig = SG_SIG_NONE;
	sg_data_free(d);
	return err;
}

/* Flip one bit of the first network's country code ("DE" becomes "EE"). */
static void flip_network_bit(const char *path)
{
	struct loc_database_header_v1 h;
	unsigned char c;
	long off;
	FILE *f = fopen(path, "r+");

	if (!f || fseek(f, sizeof(struct loc_database_magic), SEEK_SET) ||
	    fread(&h, sizeof(h), 1, f) != 1)
		abort();
	off = be32toh(h.network_data_offset) + offsetof(struct loc_database_network_v1,
							 country_code);
	if (fseek(f, off, SEEK_SET) || fread(&c, 1, 1, f) != 1)
		abort();
	c ^= 0x01;
	if (fseek(f, off, SEEK_SET) || fwrite(&c, 1, 1, f) != 1)
		abort();
	fclose(f);
}

/*
 * libloc's own answer, loc_database_verify(), which the loader's faster
 * check must match: 0 verified, 1 not (or no signature), -1 unusable key.
 */
static int libloc_verdict(const char *path, const char *key)
{
	struct loc_database *db = NULL;
	struct loc_ctx *ctx = NULL;
	FILE *f = fopen(path, "r"), *k = fopen(key, "r");
	int r = -2;

	if (f && k && !loc_new(&ctx)) {
		loc_set_log_priority(ctx, 0);
		if (!loc_database_new(ctx, &db, f)) {
			r = loc_database_verify(db, k);
			loc_database_unref(db);
		}
		loc_unref(ctx);
	}
	if (f)
		fclose(f);
	if (k)
		fclose(k);
	return r;
}

static bool diag_has(FILE *df, char **diag, const char *s)
{
	fflush(df);
	return *diag && strstr(*diag, s);
}

TEST_F(data, libloc_signature)
{
	char pem_a[160], pem_b[160], bad_key[160], missing[160];
	struct sg_load_opts o = { .key = pem_a };
	enum sg_sig_state sig;

	ASSERT_EQ(0, make_key(self->dir, "a"));
	ASSERT_EQ(0, make_key(self->dir, "b"));
	snprintf(pem_a, sizeof(pem_a), "%s/a.pem", self->dir);
	snprintf(pem_b, sizeof(pem_b), "%s/b.pem", self->dir);
	snprintf(bad_key, sizeof(bad_key), "%s/a.key", self->dir);	/* a private key */
	snprintf(missing, sizeof(missing), "%s/none.pem", self->dir);
	ASSERT_EQ(0, write_db(self->path, self->dir, "a"));

	/* Signed by the key: accepted, and said so. */
	ASSERT_EQ(0, load_one(self->path, &o, self->df, &sig)) TH_LOG("%s", self->diag);
	EXPECT_EQ(SG_SIG_VERIFIED, sig);
	EXPECT_STREQ("verified", sg_sig_state_name(sig));
	EXPECT_EQ(0, libloc_verdict(self->path, pem_a));
	EXPECT_EQ(1, libloc_verdict(self->path, pem_b));

	/* Another key: refused, allowed unsigned data or not. */
	o.key = pem_b;
	EXPECT_EQ(-EBADMSG, load_one(self->path, &o, self->df, &sig));
	o.unsigned_data = SG_UNSIGNED_ALLOW;
	EXPECT_EQ(-EBADMSG, load_one(self->path, &o, self->df, &sig));
	EXPECT_TRUE(diag_has(self->df, &self->diag, "/db: bad signature: the database does "
				      "not verify with key "));

	/* A key that cannot be used refuses, unless unverified data is allowed. */
	o.unsigned_data = SG_UNSIGNED_UNSIGNABLE;
	o.key = missing;
	EXPECT_EQ(-ENOKEY, load_one(self->path, &o, self->df, &sig));
	EXPECT_TRUE(diag_has(self->df, &self->diag, "/db: cannot verify the signature: key "));
	EXPECT_TRUE(diag_has(self->df, &self->diag, "none.pem: No such file or directory"));
	o.key = bad_key;
	EXPECT_EQ(-ENOKEY, load_one(self->path, &o, self->df, &sig));
	EXPECT_TRUE(diag_has(self->df, &self->diag, "a.key: not a PEM public key"));
	o.unsigned_data = SG_UNSIGNED_ALLOW;
	EXPECT_EQ(0, load_one(self->path, &o, self->df, &sig));
	EXPECT_EQ(SG_SIG_UNVERIFIED, sig);

	/* One bit of network data changed: refused, whatever is allowed. */
	flip_network_bit(self->path);
	o.key = pem_a;
	EXPECT_EQ(-EBADMSG, load_one(self->path, &o, self->df, &sig));
	o.unsigned_data = SG_UNSIGNED_REFUSE;
	EXPECT_EQ(-EBADMSG, load_one(self->path, &o, self->df, &sig));
	EXPECT_EQ(1, libloc_verdict(self->path, pem_a));
	/* The flipped file is well-formed: only the signature catches it. */
	EXPECT_EQ(0, load_one(self->path, &(struct sg_load_opts){ .key = missing,
				  .unsigned_data = SG_UNSIGNED_ALLOW }, self->df, &sig));
	flip_network_bit(self->path);
	EXPECT_EQ(0, load_one(self->path, &o, self->df, &sig));
	EXPECT_EQ(SG_SIG_VERIFIED, sig);
	EXPECT_EQ(0, libloc_verdict(self->path, pem_a));
}

/*
 * Single-bit flips anywhere in a signed database: each is refused, by the
 * structural check or by the signature. Only the unused tail of a signature
 * slot is outside the signed bytes, and nothing reads it.
 */
TEST_F(data, libloc_random_bit_flips)
{
	const size_t hoff = sizeof(struct loc_database_magic);
	const size_t sig1 = hoff + offsetof(struct loc_database_header_v1, signature1);
	const size_t sig_end = hoff + sizeof(struct loc_database_header_v1);
	char pem[160], flipped[160];
	struct sg_load_opts o = { .key = pem };
	enum sg_sig_state sig;
	unsigned int seed = 20261202, tried = 0;
	unsigned char *buf;
	long len;
	FILE *f;

	ASSERT_EQ(0, make_key(self->dir, "a"));
	snprintf(pem, sizeof(pem), "%s/a.pem", self->dir);
	snprintf(flipped, sizeof(flipped), "%s/flipped", self->dir);
	ASSERT_EQ(0, write_db(self->path, self->dir, "a"));
	f = fopen(self->path, "r");
	ASSERT_NE(NULL, f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((size_t)len, fread(buf, 1, len, f));
	fclose(f);

	while (tried < 64) {
		size_t pos = (size_t)rand_r(&seed) % (size_t)len;
		unsigned char bit = 1u << (rand_r(&seed) % 8);

		if (pos >= sig1 && pos < sig_end)
			continue;	/* the signature slots: covered below */
		buf[pos] ^= bit;
		write_file(flipped, buf, len);
		buf[pos] ^= bit;
		EXPECT_NE(0, load_one(flipped, &o, self->df, &sig)) TH_LOG("flip at %zu", pos);
		tried++;
	}
	/* The first bytes of the signature itself. */
	for (size_t pos = sig1; pos < sig1 + 64; pos += 7) {
		buf[pos] ^= 0x10;
		write_file(flipped, buf, len);
		buf[pos] ^= 0x10;
		EXPECT_EQ(-EBADMSG, load_one(flipped, &o, self->df, &sig)) TH_LOG("flip at %zu", pos);
	}
	write_file(flipped, buf, len);
	EXPECT_EQ(0, load_one(flipped, &o, self->df, &sig));
	free(buf);
}

TEST_F(data, libloc_unsigned)
{
	char pem[160];
	struct sg_load_opts o = { .key = pem };
	enum sg_sig_state sig;

	ASSERT_EQ(0, make_key(self->dir, "a"));
	snprintf(pem, sizeof(pem), "%s/a.pem", self->dir);
	ASSERT_EQ(0, write_db(self->path, self->dir, NULL));

	EXPECT_EQ(-EBADMSG, load_one(self->path, &o, self->df, &sig));
	EXPECT_EQ(1, libloc_verdict(self->path, pem));
	EXPECT_TRUE(diag_has(self->df, &self->diag, "/db: libloc database has no signature; "
				      "refused"));
	/* Zero options refuse too: verification is the default. */
	EXPECT_EQ(-EBADMSG, load_one(self->path, NULL, self->df, &sig));
	o.unsigned_data = SG_UNSIGNED_UNSIGNABLE;
	EXPECT_EQ(-EBADMSG, load_one(self->path, &o, self->df, &sig));
	o.unsigned_data = SG_UNSIGNED_ALLOW;
	EXPECT_EQ(0, load_one(self->path, &o, self->df, &sig));
	EXPECT_EQ(SG_SIG_UNSIGNED, sig);
	EXPECT_STREQ("unsigned (allowed by config)", sg_sig_state_name(sig));
}

TEST_F(data, unsignable_formats)
{
	static const char list[] = "10.0.0.0/8 DE\n";
	struct sg_load_opts o = { .unsigned_data = SG_UNSIGNED_REFUSE };
	enum sg_sig_state sig;

	write_file(self->path, list, strlen(list));
	EXPECT_EQ(-EBADMSG, load_one(self->path, &o, self->df, &sig));
	EXPECT_TRUE(diag_has(self->df, &self->diag, "/db: cidr data cannot carry a signature; "
				      "refused (data_unsigned = unsignable accepts it)"));
	EXPECT_EQ(-EBADMSG, load_one(self->path, NULL, self->df, &sig));
	o.unsigned_data = SG_UNSIGNED_UNSIGNABLE;
	EXPECT_EQ(0, load_one(self->path, &o, self->df, &sig));
	EXPECT_EQ(SG_SIG_UNSIGNED, sig);
	o.unsigned_data = SG_UNSIGNED_ALLOW;
	EXPECT_EQ(0, load_one(self->path, &o, self->df, &sig));
	EXPECT_EQ(SG_SIG_UNSIGNED, sig);
}

TEST(unsigned_policy_names)
{
	enum sg_unsigned_policy p;

	EXPECT_EQ(0, sg_unsigned_policy_parse("refuse", &p));
	EXPECT_EQ(SG_UNSIGNED_REFUSE, p);
	EXPECT_EQ(0, sg_unsigned_policy_parse("unsignable", &p));
	EXPECT_EQ(SG_UNSIGNED_UNSIGNABLE, p);
	EXPECT_EQ(0, sg_unsigned_policy_parse("allow", &p));
	EXPECT_EQ(SG_UNSIGNED_ALLOW, p);
	EXPECT_EQ(-EINVAL, sg_unsigned_policy_parse("yes", &p));
	EXPECT_STREQ("unsignable", sg_unsigned_policy_name(SG_UNSIGNED_UNSIGNABLE));
}

TEST_F(data, finish_without_sources)
{
	EXPECT_EQ(-ENODATA, sg_data_finish(self->d));
}

TEST_F(data, packaged_libloc)
{
	struct sg_lookup l;

	if (access(SG_LIBLOC_PATH_PACKAGED, R_OK))
		SKIP(return, "%s not installed", SG_LIBLOC_PATH_PACKAGED);
	if (access(SG_LIBLOC_KEY_PATH, R_OK))
		SKIP(return, "%s not installed (Debian's location package)", SG_LIBLOC_KEY_PATH);
	/* The distribution's database verifies with the distribution's key. */
	ASSERT_EQ(0, sg_data_load_default(self->d, NULL, NULL, self->df)) {
		fflush(self->df);
		TH_LOG("%s", self->diag);
	}
	EXPECT_EQ(SG_SIG_VERIFIED, sg_data_source(self->d, 0)->sig);
	EXPECT_EQ(0, libloc_verdict(SG_LIBLOC_PATH_PACKAGED, SG_LIBLOC_KEY_PATH));
	ASSERT_EQ(0, sg_data_finish(self->d));
	EXPECT_GT(sg_data_nr_ranges(self->d), 100000);
	EXPECT_TRUE(sg_data_has_asn(self->d, 16509));
	l = look(self->d, "2a00:1450:4001::1"); /* Google, Europe */
	EXPECT_EQ(15169, l.asn);
}

TEST_F(data, check_dir)
{
	char rules[160], file[200], data[160], missing[] = "/nonexistent.db";
	static const char list[] = "10.0.0.0/8 DE as64500\n";
	const char *paths[] = { data }, *nopaths[] = { missing };
	struct sg_check_summary sum = {};
	FILE *f;

	snprintf(rules, sizeof(rules), "%s/rules.d", self->dir);
	snprintf(data, sizeof(data), "%s/data.cidr", self->dir);
	ASSERT_EQ(0, mkdir(rules, 0755));
	write_file(data, list, strlen(list));
	snprintf(file, sizeof(file), "%s/10-a.rules", rules);
	write_file(file, "allow operator as64500\n", 23);
	snprintf(file, sizeof(file), "%s/20-b.rules", rules);
	write_file(file, "default deny\n", 13);
	snprintf(file, sizeof(file), "%s/ignored.txt", rules);
	write_file(file, "garbage\n", 8);
	EXPECT_EQ(0, sg_policy_check_dir(rules, paths, 1, &fx_unsigned_ok, self->df, &sum));
	EXPECT_EQ(1, sum.nr_rules);
	EXPECT_EQ(SG_VERDICT_DENY, sum.default_verdict);
	EXPECT_EQ(1, sum.nr_sources);

	snprintf(file, sizeof(file), "%s/05-bad.rules", rules);
	f = fopen(file, "w");
	ASSERT_NE(NULL, f);
	fputs("deny to xx\ndeny operator as1\n", f);
	fclose(f);
	EXPECT_EQ(-EINVAL, sg_policy_check_dir(rules, paths, 1, &fx_unsigned_ok, self->df, NULL));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "/05-bad.rules:1:9: unknown country code 'xx'"));
	EXPECT_NE(NULL, strstr(self->diag, "/05-bad.rules:2:15: unknown AS1 "));

	/* Whatever ends in .rules is read, and must be a file. */
	unlink(file);
	snprintf(file, sizeof(file), "%s/30-dir.rules", rules);
	ASSERT_EQ(0, mkdir(file, 0755));
	EXPECT_EQ(-EINVAL, sg_policy_check_dir(rules, paths, 1, &fx_unsigned_ok, self->df, NULL));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "/30-dir.rules:1:1: not a regular file\n"));
	rmdir(file);
	/* What cannot be read is told from what is wrong. */
	EXPECT_EQ(-ENOENT, sg_policy_check_dir("/nonexistent.d", paths, 1, &fx_unsigned_ok,
					       self->df, NULL));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "/nonexistent.d: rules directory: cannot open"));

	/* Missing data is an error, never an empty table. */
	EXPECT_EQ(-ENOENT, sg_policy_check_dir(rules, nopaths, 1, &fx_unsigned_ok, self->df, NULL));
	fflush(self->df);
	EXPECT_NE(NULL, strstr(self->diag, "jurisdiction data unusable"));
	/* Data that is there but wrong is invalid, not unreadable. */
	write_file(data, "not a network\n", 14);
	EXPECT_EQ(-EINVAL, sg_policy_check_dir(rules, paths, 1, &fx_unsigned_ok, self->df, NULL));
}

TEST(prefix_parse)
{
	struct sg_data *d = fx_data_cidr("0.0.0.0/0 DE\n");
	struct in6_addr a;

	ASSERT_NE(NULL, d);
	EXPECT_EQ(0, sg_addr_parse("1.2.3.4", &a));
	EXPECT_EQ(0xff, a.s6_addr[10]);
	EXPECT_EQ(4, a.s6_addr[15]);
	EXPECT_EQ(-EINVAL, sg_addr_parse("1.2.3", &a));
	/* 0.0.0.0/0 is all of IPv4, and only IPv4. */
	EXPECT_EQ(1, sg_data_nr_ranges(d));
	sg_data_free(d);
}

TEST_HARNESS_MAIN
