// SPDX-License-Identifier: GPL-2.0
/*
 * A signed libloc database edited after signing (Google's network moved
 * from US to DE, so that "deny to us" no longer covers it): a real
 * sovguardd refuses to start on it and names the file, and refuses it on
 * reload while the running policy goes on denying.
 *
 * Topology: probes join the test cgroup and unshare their network namespace
 * (only lo up): connect() to a public address gets EPERM when sovguard
 * refuses it and ENETUNREACH when it lets it through; no packet leaves.
 * The key pair is made at test time with the openssl CLI.
 */
#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBLOC_PRIVATE	/* the network records' layout, to edit one */
#include <libloc/format.h>
#undef LIBLOC_PRIVATE

#include "kselftest_harness.h"
#include "policy_fixtures.h"
#include "sg_test.h"

#define GOOGLE4		"8.8.8.8"	/* in 8.8.8.0/24, US in the database */

static const struct fx_net world[] = {
	{ "1.1.1.0/24", "AU", 13335, 0 },
	{ "8.8.8.0/24", "US", 15169, 0 },
	{ "9.9.9.0/24", "CH", 19281, 0 },
};

/* The world above, signed with dir/k.key; dir/k.pem verifies it. */
static int make_signed_db(const char *dir, const char *path)
{
	static const uint32_t asns[] = { 13335, 15169, 19281 };
	char cmd[1024], kp[512];
	FILE *f, *key;
	int err;

	snprintf(cmd, sizeof(cmd),
		 "openssl ecparam -name prime256v1 -genkey -noout -out '%s/k.key' 2>/dev/null && "
		 "openssl ec -in '%s/k.key' -pubout -out '%s/k.pem' 2>/dev/null", dir, dir, dir);
	if (system(cmd))
		return -EIO;
	snprintf(kp, sizeof(kp), "%s/k.key", dir);
	key = fopen(kp, "r");
	f = fopen(path, "w+");	/* libloc's writer reads back what it signs */
	err = key && f ? fx_write_libloc_signed(f, world, 3, asns, 3, key) : -errno;
	if (f)
		fclose(f);
	if (key)
		fclose(key);
	return err;
}

/* Copy src to dst with every network in from moved to to: 0, or -ENOENT. */
static int edit_country(const char *src, const char *dst, const char *from, const char *to)
{
	struct loc_database_header_v1 h;
	struct loc_database_network_v1 n;
	char *buf = NULL;
	size_t len = 0, off, end;
	int found = 0;
	FILE *f = fopen(src, "r"), *out;

	if (!f)
		return -errno;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len);
	if (!buf || fread(buf, 1, len, f) != len) {
		fclose(f);
		free(buf);
		return -EIO;
	}
	fclose(f);
	memcpy(&h, buf + sizeof(struct loc_database_magic), sizeof(h));
	off = be32toh(h.network_data_offset);
	end = off + be32toh(h.network_data_length);
	for (; off + sizeof(n) <= end && end <= len; off += sizeof(n)) {
		memcpy(&n, buf + off, sizeof(n));
		if (!memcmp(n.country_code, from, 2)) {
			memcpy(buf + off + offsetof(struct loc_database_network_v1, country_code),
			       to, 2);
			found++;
		}
	}
	out = fopen(dst, "w");
	if (!out || fwrite(buf, 1, len, out) != len)
		found = 0;
	if (out)
		fclose(out);
	free(buf);
	return found ? 0 : -ENOENT;
}

static int log_has(struct sg_testenv *env, const char *s)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(env->log, "r");

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, s) != NULL;
}

/* The daemon writes its log as it goes: wait for a line, 10 s at most. */
static int log_wait(struct sg_testenv *env, const char *s)
{
	for (int i = 0; i < 1000; i++) {
		if (log_has(env, s))
			return 1;
		usleep(10000);
	}
	return 0;
}

FIXTURE(signature)
{
	struct sg_testenv env;
	char good[600], tampered[600], conf[1600];
};

FIXTURE_SETUP(signature)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "signature"));
	/* A local list beside the database: accepted unsigned (unsignable). */
	ASSERT_EQ(0, sg_testenv_write_data(&self->env, "194.0.0.0/16 DE as3320\n"));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, "deny to us\n"));
	snprintf(self->good, sizeof(self->good), "%s/world.db", self->env.dir);
	snprintf(self->tampered, sizeof(self->tampered), "%s/world-edited.db", self->env.dir);
	ASSERT_EQ(0, make_signed_db(self->env.dir, self->good));
	ASSERT_EQ(0, edit_country(self->good, self->tampered, "US", "DE"));
}

FIXTURE_TEARDOWN(signature)
{
	sg_testenv_cleanup(&self->env);
}

static int use_db(struct sg_testenv *env, char *conf, size_t len, const char *db)
{
	snprintf(conf, len, "mode = enforce\ndata = %s\ndata_key = %s/k.pem\n", db, env->dir);
	return sg_testenv_write_config(env, conf);
}

TEST_F(signature, start_refused_on_edited_database)
{
	ASSERT_EQ(0, use_db(&self->env, self->conf, sizeof(self->conf), self->tampered));
	EXPECT_EQ(-ECHILD, sg_testenv_start(&self->env));
	EXPECT_TRUE(log_has(&self->env, "world-edited.db: bad signature: the database does not "
					"verify with key "));
	/* Nothing was attached: no enforcement from a refused start. */
	EXPECT_EQ(0U, sg_testenv_generation(&self->env));
}

TEST_F(signature, reload_refused_keeps_running_policy)
{
	__u32 gen;

	ASSERT_EQ(0, use_db(&self->env, self->conf, sizeof(self->conf), self->good));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, GOOGLE4, 443));
	gen = sg_testenv_generation(&self->env);
	ASSERT_NE(0U, gen);

	ASSERT_EQ(0, use_db(&self->env, self->conf, sizeof(self->conf), self->tampered));
	EXPECT_EQ(-EINVAL, sg_testenv_reload(&self->env));
	EXPECT_TRUE(log_wait(&self->env, "keeping the running policy"));
	EXPECT_TRUE(log_has(&self->env, "world-edited.db: bad signature"));
	EXPECT_EQ(gen, sg_testenv_generation(&self->env));
	EXPECT_EQ(EPERM, sg_probe(self->env.cgroup, SG_PROBE_TCP_CONNECT, GOOGLE4, 443));
}

TEST_F(signature, status_shows_signature_state)
{
	char out[16384], want[1024];

	ASSERT_EQ(0, use_db(&self->env, self->conf, sizeof(self->conf), self->good));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
	/* The pid file comes before the control socket: ask until it answers (10 s). */
	for (int i = 0; i < 1000; i++) {
		ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status", out, sizeof(out))) TH_LOG("%s", out);
		if (!strstr(out, "cannot reach sovguardd"))
			break;
		usleep(10000);
	}
	snprintf(want, sizeof(want), "data:      %s/test.cidr (cidr, unsigned (allowed by config), "
		 "0 days old)\n           %s (libloc, verified, ", self->env.dir, self->good);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "status -j", out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"kind\":\"libloc\",\n        \"signature\":\"verified\""))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"data_unsigned\":\"unsignable\""));

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "check -j " GOOGLE4, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"signature\":\"verified\"")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
