// SPDX-License-Identifier: GPL-2.0
/* Detection settings: defaults, every kind of key, allow-lists, bad values. */
#include <math.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "config.h"
#include "detect.h"

TEST(defaults_are_on)
{
	struct sg_detect_config c;
	int h;

	sg_detect_config_init(&c);
	for (h = 0; h < SG_HEUR_MAX; h++)
		EXPECT_TRUE(c.on[h]);
	EXPECT_EQ(85, c.min_score[SG_HEUR_BEACON]);
	EXPECT_LT(fabs(c.beacon.ts_weight + c.beacon.ds_weight + c.beacon.hist_weight +
		       c.beacon.dur_weight - 1), 1e-9);
}

TEST(keys)
{
	struct sg_detect_config c;
	char err[256];

	sg_detect_config_init(&c);
	EXPECT_EQ(0, sg_detect_config_set(&c, "detect.beacon", "off", err, sizeof(err)));
	EXPECT_FALSE(c.on[SG_HEUR_BEACON]);
	EXPECT_EQ(0, sg_detect_config_set(&c, "detect.beacon.min_score", "70", err, sizeof(err)));
	EXPECT_EQ(70, c.min_score[SG_HEUR_BEACON]);
	EXPECT_EQ(0, sg_detect_config_set(&c, "detect.exfil.min_bytes", "1000000000", err,
					  sizeof(err)));
	EXPECT_EQ(1000000000ULL, c.exfil.min_bytes);
	EXPECT_EQ(0, sg_detect_config_set(&c, "detect.window", "604800", err, sizeof(err)));
	EXPECT_LT(fabs(c.window - 604800), 1e-9);
	EXPECT_EQ(0, sg_detect_config_set(&c, "detect", "off", err, sizeof(err)));
	EXPECT_FALSE(c.on[SG_HEUR_DNSTUN]);
	EXPECT_EQ(-ENOENT, sg_detect_config_set(&c, "rules_dir", "/x", err, sizeof(err)));
}

/* The response's keys: off by default, every heuristic may, at most 64. */
TEST(quarantine_keys)
{
	struct sg_detect_config c;
	char err[256];
	int h;

	sg_detect_config_init(&c);
	EXPECT_EQ(SG_QUARANTINE_OFF, c.quarantine.mode);
	EXPECT_EQ(90, c.quarantine.min_score);
	EXPECT_EQ(64, c.quarantine.max);
	for (h = 0; h < SG_HEUR_MAX; h++)
		EXPECT_TRUE(c.quarantine.heur[h]);
	EXPECT_EQ(0, sg_detect_config_set(&c, "detect.quarantine", "destination", err,
					  sizeof(err)));
	EXPECT_EQ(SG_QUARANTINE_DESTINATION, c.quarantine.mode);
	EXPECT_STREQ("destination", sg_quarantine_mode_name(c.quarantine.mode));
	EXPECT_EQ(0, sg_detect_config_set(&c, "detect.quarantine.heuristics", "revshell,beacon",
					  err, sizeof(err)));
	for (h = 0; h < SG_HEUR_MAX; h++)
		EXPECT_EQ(h == SG_HEUR_REVSHELL || h == SG_HEUR_BEACON, c.quarantine.heur[h]);
	EXPECT_EQ(0, sg_detect_config_set(&c, "detect.quarantine.heuristics", "all", err,
					  sizeof(err)));
	EXPECT_TRUE(c.quarantine.heur[SG_HEUR_PKTSOCK]);
	EXPECT_EQ(0, sg_detect_config_set(&c, "detect.quarantine.max", "1024", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, sg_detect_config_set(&c, "detect.quarantine.max", "1025", err,
						sizeof(err)));
	EXPECT_EQ(-EINVAL, sg_detect_config_set(&c, "detect.quarantine.max", "0", err,
						sizeof(err)));
	EXPECT_EQ(-EINVAL, sg_detect_config_set(&c, "detect.quarantine", "on", err, sizeof(err)));
	/* A bad list leaves the one before. */
	EXPECT_EQ(-EINVAL, sg_detect_config_set(&c, "detect.quarantine.heuristics", "beacon x",
						err, sizeof(err)));
	EXPECT_TRUE(c.quarantine.heur[SG_HEUR_PKTSOCK]);
}

TEST(bad_values)
{
	static const char *const bad[][2] = {
		{ "detect.beacon", "maybe" },
		{ "detect.beacon.min_score", "101" },
		{ "detect.beacon.min_score", "-1" },
		{ "detect.beacon.min_score", "7x" },
		{ "detect.beacon.min_conns", "3" },
		{ "detect.window", "10" },
		{ "detect.beacon.ts_weight", "2" },
		{ "detect.nosuch", "1" },
		{ "detect.allow", "beacon name" },
		{ "detect.allow", "bogus name x" },
		{ "detect.allow", "beacon prefix 10.0.0.0/33" },
		{ "detect.allow", "beacon prefix nothere" },
		{ "detect.allow", "beacon color red" },
	};
	struct sg_detect_config c;
	char err[256];
	size_t i;

	sg_detect_config_init(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		EXPECT_EQ(-EINVAL, sg_detect_config_set(&c, bad[i][0], bad[i][1], err, sizeof(err)))
			TH_LOG("%s = %s", bad[i][0], bad[i][1]);
		EXPECT_NE(0, err[0]);
	}
	EXPECT_EQ(0, c.n_allow);
}

TEST(allow_entries)
{
	struct sg_detect_config c;
	char err[256];

	sg_detect_config_init(&c);
	ASSERT_EQ(0, sg_detect_config_set(&c, "detect.allow", "beacon name *.ntp.org", err,
					  sizeof(err)));
	ASSERT_EQ(0, sg_detect_config_set(&c, "detect.allow", "all prefix 2001:db8::/32", err,
					  sizeof(err)));
	ASSERT_EQ(0, sg_detect_config_set(&c, "detect.allow", "dnsless source 10.1.0.0/16", err,
					  sizeof(err)));
	ASSERT_EQ(0, sg_detect_config_set(&c, "detect.allow", "exfil source backup-*", err,
					  sizeof(err)));
	ASSERT_EQ(4, c.n_allow);
	EXPECT_EQ(SG_HEUR_BEACON, c.allow[0].heur);
	EXPECT_EQ(SG_ALLOW_NAME, c.allow[0].kind);
	EXPECT_STREQ("*.ntp.org", c.allow[0].pattern);
	EXPECT_EQ(-1, c.allow[1].heur);
	EXPECT_EQ(32, c.allow[1].plen);
	EXPECT_TRUE(c.allow[2].is_prefix);
	EXPECT_EQ(96 + 16, c.allow[2].plen);
	EXPECT_FALSE(c.allow[3].is_prefix);
}

/* Write @text to a fresh file named from @path (a mkstemp template). */
static int write_conf(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/*
 * analyze --config reads the file through the daemon's loader: every error
 * with file:line:column, nothing taken from a file with an error, the
 * daemon's own keys known (a typo among them is an error too).
 */
TEST(file_errors_name_file_and_line)
{
	char path[] = "/tmp/sg-detect-conf-XXXXXX";
	struct sg_detect_config c;
	char *buf = NULL;
	size_t len = 0;
	FILE *errf;

	ASSERT_EQ(0, write_conf(path, "# detection\n"
			       "detect.beacon.min_score = 90   # stricter\n"
			       "rules_dir = /etc/sovguard/rules.d\n"
			       "detect.dnstun = sometimes\n"
			       "no equals sign here\n"
			       "detect.allow = beacon name *.ntp.org\n"
			       "rulesdir = /etc\n"));
	errf = open_memstream(&buf, &len);
	sg_detect_config_init(&c);
	EXPECT_EQ(-EINVAL, sg_config_load_detect(path, &c, errf));
	fclose(errf);
	EXPECT_NE(NULL, strstr(buf, ":4:17: detect.dnstun: expected on or off")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, ":5:1: expected \"key = value\"")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, ":7:1: unknown key \"rulesdir\"")) TH_LOG("%s", buf);
	EXPECT_EQ(NULL, strstr(buf, ":3:")) TH_LOG("%s", buf);
	/* All or nothing: the good lines of a bad file are not taken either. */
	EXPECT_EQ(85, c.min_score[SG_HEUR_BEACON]);
	EXPECT_EQ(0, c.n_allow);
	free(buf);
	unlink(path);
}

TEST(file_settings_are_the_daemons)
{
	char path[] = "/tmp/sg-detect-conf-XXXXXX";
	struct sg_detect_config c;

	/* A whole sovguard.conf: the daemon's keys beside detection's. */
	ASSERT_EQ(0, write_conf(path, "mode = audit\n"
			       "data_unsigned = unsignable\n"
			       "detect.beacon.min_score = 90\n"
			       "detect.allow = beacon name *.ntp.org\n"
			       "detect.dnstun = off\n"));
	sg_detect_config_init(&c);
	ASSERT_EQ(0, sg_config_load_detect(path, &c, stderr));
	EXPECT_EQ(90, c.min_score[SG_HEUR_BEACON]);
	EXPECT_EQ(1, c.n_allow);
	EXPECT_FALSE(c.on[SG_HEUR_DNSTUN]);
	unlink(path);
	/* A file that is not there is said so. */
	EXPECT_EQ(-ENOENT, sg_config_load_detect(path, &c, stderr));
}

TEST_HARNESS_MAIN
