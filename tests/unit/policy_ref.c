// SPDX-License-Identifier: GPL-2.0
/*
 * Reference evaluator: first match, default, negation, operator ASN,
 * subjects (unit, cgroup subtree, exe identity, uid/gid), ports, protocols.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "policy_fixtures.h"

static const char ref_cidr[] = "10.0.0.0/8 DE as16509\n"
			       "10.1.0.0/16 DE as3320\n"
			       "10.2.0.0/16 FR as16509\n"
			       "10.3.0.0/16 US as16509\n"
			       "10.4.0.0/16 GB as3320\n"
			       "10.9.0.0/16 corp\n"
			       "2001:db8::/32 NL as1136\n";

FIXTURE(ref)
{
	struct sg_data *data;
	struct sg_policy *pol;
	char *diag;
	struct sg_subject_info subj;
};

FIXTURE_SETUP(ref)
{
	self->data = fx_data_cidr(ref_cidr);
	ASSERT_NE(NULL, self->data);
	self->pol = NULL;
	self->diag = NULL;
	memset(&self->subj, 0, sizeof(self->subj));
	self->subj.cgroup = "/system.slice/other.service";
	self->subj.uid = 1000;
	self->subj.gid = 1000;
}

FIXTURE_TEARDOWN(ref)
{
	sg_policy_free(self->pol);
	sg_data_free(self->data);
	free(self->diag);
}

/* Parse or fail the test. */
#define POLICY(text)                                                                     \
	do {                                                                             \
		ASSERT_EQ(0, fx_parse(self->data, text, &self->pol, &self->diag))        \
			TH_LOG("%s", self->diag);                                        \
	} while (0)

static struct sg_decision decide(FIXTURE_DATA(ref) *self, const char *addr, uint16_t port,
				 uint8_t proto)
{
	struct sg_decision d = { .verdict = 99, .rule = -99 };
	struct in6_addr a;

	if (sg_addr_parse(addr, &a) ||
	    sg_ref_decide(self->pol, self->data, &self->subj, &a, port, proto, &d))
		d.rule = -99;
	return d;
}

static int verdict(FIXTURE_DATA(ref) *self, const char *addr)
{
	struct sg_decision d = decide(self, addr, 443, SG_PROTO_TCP);

	return d.rule == -99 ? -99 : (int)d.verdict;
}

TEST_F(ref, first_match_wins)
{
	struct sg_decision d;

	POLICY("allow to 10.1.0.0/16 name first\n"
	       "deny to de\n"
	       "audit to de\n"
	       "default audit\n");
	d = decide(self, "10.1.2.3", 443, SG_PROTO_TCP);
	EXPECT_EQ(SG_VERDICT_ALLOW, d.verdict);
	EXPECT_EQ(0, d.rule);
	EXPECT_STREQ("t.rules:1", d.id);
	d = decide(self, "10.5.0.1", 443, SG_PROTO_TCP);
	EXPECT_EQ(SG_VERDICT_DENY, d.verdict);
	EXPECT_EQ(1, d.rule);
	EXPECT_STREQ("t.rules:2", d.id);
	d = decide(self, "10.2.0.1", 443, SG_PROTO_TCP);
	EXPECT_EQ(SG_VERDICT_AUDIT, d.verdict);
	EXPECT_EQ(-1, d.rule);
	EXPECT_STREQ("t.rules:4", d.id);
}

TEST_F(ref, implicit_default_allows)
{
	struct sg_decision d;

	POLICY("deny to fr\n");
	d = decide(self, "10.1.0.1", 80, SG_PROTO_UDP);
	EXPECT_EQ(SG_VERDICT_ALLOW, d.verdict);
	EXPECT_EQ(-1, d.rule);
	EXPECT_STREQ("implicit", d.id);
}

TEST_F(ref, negation)
{
	POLICY("deny to !eu\ndefault allow\n");
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.1.0.1"));	/* DE */
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.3.0.1"));	/* US */
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.4.0.1"));	/* GB */
	/* No data for the address: it is not in the EU either. */
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "192.0.2.1"));
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "2001:db8::1"));	/* NL */
}

TEST_F(ref, negation_union)
{
	/* !eu, de: everything outside the EU, and Germany. */
	POLICY("deny to !eu, de\n");
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.1.0.1"));
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.2.0.1"));
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.3.0.1"));
}

TEST_F(ref, operator_asn)
{
	POLICY("deny to de operator as16509 name de-aws\n"
	       "audit operator as16509\n"
	       "allow to eu operator !as3320\n"
	       "default deny\n");
	/* Located in DE, operated by AS16509 */
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.200.0.1"));
	/* DE, other operator: not the first rule, not the second; third excludes it */
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.1.0.1"));
	EXPECT_EQ(-1, decide(self, "10.1.0.1", 443, SG_PROTO_TCP).rule);
	/* FR, AS16509: the second rule */
	EXPECT_EQ(SG_VERDICT_AUDIT, verdict(self, "10.2.0.1"));
	/* NL, AS1136: EU and not AS3320 */
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "2001:db8::1"));
}

TEST_F(ref, prefixes_and_labels)
{
	POLICY("deny to 10.1.2.0/24, 2001:db8:5::/48\n"
	       "audit to corp\n"
	       "default allow\n");
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.1.2.200"));
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.1.3.1"));
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "2001:db8:5:ffff::1"));
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "2001:db8:6::1"));
	EXPECT_EQ(SG_VERDICT_AUDIT, verdict(self, "10.9.1.1"));
	/* An IPv4 prefix never matches an IPv6 address that is not mapped. */
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "::10.1.2.200"));
}

TEST_F(ref, ports_and_protocols)
{
	POLICY("deny port 53 udp\n"
	       "deny port 8000-8080, 9000 proto tcp\n"
	       "audit tcp\n");
	EXPECT_EQ(SG_VERDICT_DENY, decide(self, "10.1.0.1", 53, SG_PROTO_UDP).verdict);
	EXPECT_EQ(SG_VERDICT_AUDIT, decide(self, "10.1.0.1", 53, SG_PROTO_TCP).verdict);
	EXPECT_EQ(SG_VERDICT_DENY, decide(self, "10.1.0.1", 8000, SG_PROTO_TCP).verdict);
	EXPECT_EQ(SG_VERDICT_DENY, decide(self, "10.1.0.1", 8080, SG_PROTO_TCP).verdict);
	EXPECT_EQ(SG_VERDICT_AUDIT, decide(self, "10.1.0.1", 8081, SG_PROTO_TCP).verdict);
	EXPECT_EQ(SG_VERDICT_DENY, decide(self, "10.1.0.1", 9000, SG_PROTO_TCP).verdict);
	EXPECT_EQ(SG_VERDICT_ALLOW, decide(self, "10.1.0.1", 9000, SG_PROTO_UDP).verdict);
	EXPECT_EQ(-99, decide(self, "10.1.0.1", 9000, SG_PROTO_ANY).rule);
}

TEST_F(ref, subjects)
{
	POLICY("deny unit billing.service to !eu\n"
	       "deny cgroup /user.slice uid 0\n"
	       "audit gid 50\n"
	       "allow cgroup /\n"
	       "default deny\n");
	self->subj.cgroup = "/system.slice/billing.service";
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.3.0.1"));
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.1.0.1"));
	/* The unit's sub-cgroups are the unit's. */
	self->subj.cgroup = "/system.slice/billing.service/worker";
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.3.0.1"));
	/* A name that only starts the same is another unit. */
	self->subj.cgroup = "/system.slice/billing.service2";
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.3.0.1"));
	/* A component, not a substring, and never read before the path. */
	self->subj.cgroup = "billing.service";
	EXPECT_EQ(-1, decide(self, "10.3.0.1", 443, SG_PROTO_TCP).rule);
	self->subj.cgroup = "/system.slice/xbilling.service";
	EXPECT_EQ(3, decide(self, "10.3.0.1", 443, SG_PROTO_TCP).rule);
	/* The caller may name the unit itself. */
	self->subj.cgroup = "/elsewhere";
	self->subj.unit = "billing.service";
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.3.0.1"));
	self->subj.unit = NULL;

	self->subj.cgroup = "/user.slice/user-0.slice/session-1.scope";
	self->subj.uid = 0;
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.1.0.1"));
	self->subj.uid = 1;
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.1.0.1"));
	self->subj.cgroup = "/user.slicex";
	self->subj.uid = 0;
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.1.0.1"));
	self->subj.gid = 50;
	EXPECT_EQ(SG_VERDICT_AUDIT, verdict(self, "10.1.0.1"));
	/* No cgroup known: neither the cgroup rules nor the default's fallback */
	self->subj.gid = 1;
	self->subj.cgroup = NULL;
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.1.0.1"));
	EXPECT_EQ(-1, decide(self, "10.1.0.1", 443, SG_PROTO_TCP).rule);
}

TEST_F(ref, exe_identity)
{
	char dir[] = "/tmp/sg-ref-XXXXXX", exe[64], link2[64], moved[64], rules[160];
	struct stat st;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(exe, sizeof(exe), "%s/agent", dir);
	snprintf(link2, sizeof(link2), "%s/agent-link", dir);
	snprintf(moved, sizeof(moved), "%s/renamed", dir);
	f = fopen(exe, "w");
	ASSERT_NE(NULL, f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	snprintf(rules, sizeof(rules), "deny exe %s operator as16509\n", exe);
	POLICY(rules);

	ASSERT_EQ(0, stat(exe, &st));
	self->subj.exe_dev = st.st_dev;
	self->subj.exe_ino = st.st_ino;
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.2.0.1"));
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.1.0.1"));

	/* A hard-linked copy run under another name is the same file. */
	ASSERT_EQ(0, link(exe, link2));
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.2.0.1"));

	/* The rule's path replaced by another file: resolved again, and the old
	 * file (still running as agent-link) no longer matches. */
	ASSERT_EQ(0, rename(exe, moved));
	f = fopen(exe, "w");
	ASSERT_NE(NULL, f);
	fclose(f);
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.2.0.1"));
	ASSERT_EQ(0, stat(exe, &st));
	self->subj.exe_dev = st.st_dev;
	self->subj.exe_ino = st.st_ino;
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.2.0.1"));

	/* Unknown identity never matches an exe rule. */
	self->subj.exe_dev = 0;
	self->subj.exe_ino = 0;
	EXPECT_EQ(SG_VERDICT_ALLOW, verdict(self, "10.2.0.1"));

	unlink(exe);
	unlink(link2);
	unlink(moved);
	rmdir(dir);
}

TEST_F(ref, builtin_zone_membership)
{
	POLICY("deny to five-eyes\naudit to fourteen-eyes\nallow to eea\ndefault deny\n");
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.3.0.1"));	/* US */
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "10.4.0.1"));	/* GB */
	EXPECT_EQ(SG_VERDICT_AUDIT, verdict(self, "10.1.0.1"));	/* DE */
	EXPECT_EQ(SG_VERDICT_AUDIT, verdict(self, "10.2.0.1"));	/* FR */
	EXPECT_EQ(SG_VERDICT_AUDIT, verdict(self, "2001:db8::1"));	/* NL */
	EXPECT_EQ(SG_VERDICT_DENY, verdict(self, "192.0.2.1"));	/* unknown */
}

/*
 * What a compiler does: evaluate atoms per data range instead of per
 * address. It must agree with the evaluator at every range's first address.
 */
TEST_F(ref, atoms_over_ranges)
{
	const struct sg_range *r = sg_data_ranges(self->data);
	const struct sg_term *term;
	unsigned int hits = 0;

	POLICY("deny to de, corp, as3320\n");
	term = &self->pol->rules[0].located.terms[0];
	for (size_t i = 0; i < sg_data_nr_ranges(self->data); i++) {
		struct sg_lookup info = { .asn = r[i].asn, .flags = r[i].flags,
					  .source = r[i].source, .label_id = r[i].label };
		struct sg_decision d;
		bool any = false;

		memcpy(info.cc, r[i].cc, 2);
		for (uint32_t k = 0; k < term->nr_atoms; k++)
			any |= sg_atom_matches(&self->pol->atoms[term->atoms[k]], &r[i].first, &info);
		ASSERT_EQ(0, sg_ref_decide(self->pol, self->data, &self->subj, &r[i].first, 443,
					   SG_PROTO_TCP, &d));
		EXPECT_EQ(any, d.rule == 0) TH_LOG("range %zu", i);
		hits += any;
	}
	/* 10/8 (DE, twice around 10.1/16 and the others), 10.1/16, 10.4/16, corp */
	EXPECT_LE(4, hits);
}

TEST_F(ref, bad_arguments)
{
	struct sg_decision d;
	struct in6_addr a = { 0 };

	POLICY("default deny\n");
	EXPECT_EQ(-EINVAL, sg_ref_decide(self->pol, self->data, &self->subj, &a, 1, 0, &d));
	EXPECT_EQ(-EINVAL, sg_ref_decide(NULL, self->data, &self->subj, &a, 1, SG_PROTO_TCP, &d));
	/* Without data, only prefixes can match. */
	EXPECT_EQ(0, sg_ref_decide(self->pol, NULL, &self->subj, &a, 1, SG_PROTO_TCP, &d));
	EXPECT_EQ(SG_VERDICT_DENY, d.verdict);
}

/*
 * Embedded IPv4: the examples of RFC 6052, 2.4 (192.0.2.33 after a prefix
 * of every length), the well-known prefixes, and what is refused.
 */
TEST(embedded_ipv4)
{
	static const char *const prefixes[] = {
		"2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48",
		"2001:db8:122:300::/56", "2001:db8:122:344::/64", "2001:db8:122:345::/96",
	};
	static const struct {
		const char *addr;
		int kind;
		const char *v4;
	} cases[] = {
		{ "2001:db8:c000:221::", SG_EMBED_NAT64, "192.0.2.33" },
		{ "2001:db8:1c0:2:21::", SG_EMBED_NAT64, "192.0.2.33" },
		{ "2001:db8:122:c000:2:2100::", SG_EMBED_NAT64, "192.0.2.33" },
		{ "2001:db8:122:3c0:0:221::", SG_EMBED_NAT64, "192.0.2.33" },
		{ "2001:db8:122:344:c0:2:2100:0", SG_EMBED_NAT64, "192.0.2.33" },
		{ "2001:db8:122:345::192.0.2.33", SG_EMBED_NAT64, "192.0.2.33" },
		{ "64:ff9b::192.0.2.33", SG_EMBED_NAT64, "192.0.2.33" },
		{ "64:ff9b::1:192.0.2.33", SG_EMBED_NONE, NULL },	/* not the /96 */
		{ "64:ff9b:1::192.0.2.33", SG_EMBED_NAT64_LOCAL, "192.0.2.33" },
		{ "::ffff:192.0.2.33", SG_EMBED_MAPPED, "192.0.2.33" },
		{ "2002:c000:221::1", SG_EMBED_6TO4, "192.0.2.33" },
		{ "2001:0:4136:e378:8000:63bf:3fff:fdd2", SG_EMBED_TEREDO, "192.0.2.45" },
		{ "2001:1::1", SG_EMBED_NONE, NULL },
		{ "2003::1", SG_EMBED_NONE, NULL },
		{ "2606:4700::1111", SG_EMBED_NONE, NULL },
	};
	struct sg_nat64 nat64[ARRAY_SIZE(prefixes)];
	struct in6_addr a, v4, want;
	unsigned int i;

	/* one configured prefix at a time: the /32 covers the longer ones */
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int n = i < ARRAY_SIZE(prefixes) ? 1 : 0;

		if (n)
			ASSERT_EQ(0, sg_nat64_parse(prefixes[i], &nat64[0]));
		ASSERT_EQ(0, sg_addr_parse(cases[i].addr, &a));
		EXPECT_EQ(cases[i].kind, sg_ref_embedded(&a, nat64, n, &v4))
			TH_LOG("%s", cases[i].addr);
		if (!cases[i].v4)
			continue;
		ASSERT_EQ(0, sg_addr_parse(cases[i].v4, &want));
		EXPECT_EQ(0, memcmp(&want, &v4, sizeof(v4))) TH_LOG("%s", cases[i].addr);
	}
	/* a configured prefix inside the local-use one decides there */
	ASSERT_EQ(0, sg_nat64_parse("64:ff9b:1:a::/64", &nat64[0]));
	ASSERT_EQ(0, sg_addr_parse("64:ff9b:1:a:c0:2:2100:0", &a));
	EXPECT_EQ(SG_EMBED_NAT64, sg_ref_embedded(&a, nat64, 1, &v4));
	ASSERT_EQ(0, sg_addr_parse("192.0.2.33", &want));
	EXPECT_EQ(0, memcmp(&want, &v4, sizeof(v4)));
}

TEST(nat64_prefix_syntax)
{
	struct sg_nat64 p;

	EXPECT_EQ(0, sg_nat64_parse("2001:db8:64::/96", &p));
	EXPECT_EQ(96, p.len);
	EXPECT_EQ(-EDOM, sg_nat64_parse("2001:db8:64::/80", &p));
	EXPECT_EQ(-EINVAL, sg_nat64_parse("2001:db8:64::1/96", &p));	/* host bits */
	EXPECT_EQ(-EINVAL, sg_nat64_parse("2001:db8:64::", &p));	/* no length */
	EXPECT_EQ(-EINVAL, sg_nat64_parse("10.0.0.0/8", &p));
}

/* `udp` names UDP-Lite too, `udplite` UDP-Lite alone. */
TEST_F(ref, udplite)
{
	POLICY("deny to 10.1.0.0/16 udp\naudit to 10.2.0.0/16 udplite\n");
	EXPECT_EQ(0, decide(self, "10.1.0.1", 53, SG_PROTO_UDPLITE).rule);
	EXPECT_EQ(0, decide(self, "10.1.0.1", 53, SG_PROTO_UDP).rule);
	EXPECT_EQ(-1, decide(self, "10.1.0.1", 53, SG_PROTO_TCP).rule);
	EXPECT_EQ(1, decide(self, "10.2.0.1", 53, SG_PROTO_UDPLITE).rule);
	EXPECT_EQ(-1, decide(self, "10.2.0.1", 53, SG_PROTO_UDP).rule);
}

/* icmp and raw: by destination, never by port; a rule with ports skips them. */
TEST_F(ref, icmp_and_raw)
{
	POLICY("deny to 10.1.0.0/16 icmp\naudit to 10.2.0.0/16 raw\n"
	       "deny to 10.3.0.0/16 port 53\ndeny to 10.4.0.0/16\n");
	EXPECT_EQ(0, decide(self, "10.1.0.1", 0, SG_PROTO_ICMP).rule);
	EXPECT_EQ(-1, decide(self, "10.1.0.1", 0, SG_PROTO_RAW).rule);
	EXPECT_EQ(-1, decide(self, "10.1.0.1", 0, SG_PROTO_TCP).rule);
	EXPECT_EQ(1, decide(self, "10.2.0.1", 0, SG_PROTO_RAW).rule);
	EXPECT_EQ(-1, decide(self, "10.2.0.1", 0, SG_PROTO_ICMP).rule);
	/* no ports for them: port 53 in the query changes nothing */
	EXPECT_EQ(-1, decide(self, "10.3.0.1", 53, SG_PROTO_ICMP).rule);
	EXPECT_EQ(2, decide(self, "10.3.0.1", 53, SG_PROTO_UDP).rule);
	/* a rule with no protocol: every protocol */
	EXPECT_EQ(3, decide(self, "10.4.0.1", 0, SG_PROTO_ICMP).rule);
	EXPECT_EQ(3, decide(self, "10.4.0.1", 0, SG_PROTO_RAW).rule);
}

/* A socket rule decides socket creation only; other rules never do. */
TEST_F(ref, socket_rule)
{
	POLICY("deny to 10.4.0.0/16\ndeny socket ping\naudit socket raw\n");
	EXPECT_EQ(1, decide(self, "0.0.0.0", SG_SOCKET_PING, SG_PROTO_SOCKET).rule);
	EXPECT_EQ(2, decide(self, "0.0.0.0", SG_SOCKET_RAW, SG_PROTO_SOCKET).rule);
	EXPECT_EQ(0, decide(self, "10.4.0.1", 0, SG_PROTO_RAW).rule);
	EXPECT_EQ(-1, decide(self, "10.5.0.1", 0, SG_PROTO_ICMP).rule);
}

TEST_HARNESS_MAIN
