// SPDX-License-Identifier: GPL-2.0
/*
 * Rule language: every construct, every diagnostic with its position,
 * zones (built-ins, nesting, cycles, duplicates), limits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "policy_fixtures.h"

static const char test_cidr[] =
	"# test data\n"
	"10.0.0.0/8 DE as16509\n"
	"10.1.0.0/16 FR as3320\n"
	"192.0.2.0/24 US as15169\n"
	"2001:db8::/32 NL as1136\n"
	"198.51.100.0/24 corp\n";

FIXTURE(parse)
{
	struct sg_data *data;
	struct sg_policy *pol;
	char *diag;
};

FIXTURE_SETUP(parse)
{
	self->data = fx_data_cidr(test_cidr);
	ASSERT_NE(NULL, self->data);
	self->pol = NULL;
	self->diag = NULL;
}

FIXTURE_TEARDOWN(parse)
{
	sg_policy_free(self->pol);
	sg_data_free(self->data);
	free(self->diag);
}

static const struct sg_atom *atom(const struct sg_policy *p, const struct sg_term *t, int i)
{
	return &p->atoms[t->atoms[i]];
}

TEST_F(parse, empty_and_comments)
{
	ASSERT_EQ(0, fx_parse(self->data, "# nothing\n\n   \t# more\n", &self->pol, &self->diag));
	EXPECT_STREQ("", self->diag);
	EXPECT_EQ(0, self->pol->nr_rules);
	EXPECT_EQ(SG_VERDICT_ALLOW, self->pol->default_verdict);
	EXPECT_STREQ("implicit", self->pol->default_id);
}

TEST_F(parse, every_construct)
{
	static const char text[] =
		"zone corp = 10.0.0.0/8, 2001:db8::/32, as16509 # comment\n"
		"zone wide = corp, ch, country no, zone eea\n"
		"allow name billing-eu unit billing.service to eu port 443 proto tcp\n"
		"deny exe /opt/vendor/agent operator as16509, as 15169\n"
		"audit all to !eu, !wide\n"
		"deny to country de operator asn 16509 udp\n"
		"allow cgroup /system.slice/db.slice/ uid 1000 gid 100 port 53, 8000-8080 "
		"proto tcp, udp\n"
		"deny exe \"/opt/my app/bin\" to located 192.0.2.0/24, flag anycast\n"
		"allow to corp-list tcp\n"
		"default deny\n";
	const struct sg_policy *p;
	const struct sg_rule *r;
	const struct sg_zone *z;

	/* corp-list is used on line 9 and defined after the default, on line 11. */
	{
		char all[sizeof(text) + 64];

		snprintf(all, sizeof(all), "%szone corp-list = corp, corp\n", text);
		ASSERT_EQ(0, fx_parse(self->data, all, &self->pol, &self->diag))
			TH_LOG("%s", self->diag);
	}
	EXPECT_STREQ("", self->diag);
	p = self->pol;
	ASSERT_EQ(7, p->nr_rules);
	EXPECT_EQ(SG_VERDICT_DENY, p->default_verdict);
	EXPECT_STREQ("t.rules:10", p->default_id);

	r = &p->rules[0];
	EXPECT_STREQ("t.rules:3", r->id);
	EXPECT_STREQ("billing-eu", r->name);
	EXPECT_EQ(0, r->index);
	EXPECT_EQ(SG_VERDICT_ALLOW, r->verdict);
	EXPECT_EQ(SG_SUBJ_UNIT, r->subject.mask);
	EXPECT_STREQ("billing.service", r->subject.unit);
	ASSERT_EQ(1, r->located.nr_terms);
	EXPECT_FALSE(r->located.terms[0].negated);
	EXPECT_EQ(27, r->located.terms[0].nr_atoms);
	EXPECT_EQ(0, r->operator.nr_terms);
	EXPECT_EQ(SG_PROTO_TCP, r->proto_mask);
	ASSERT_EQ(1, r->nr_ports);
	EXPECT_EQ(443, r->ports[0].lo);
	EXPECT_EQ(443, r->ports[0].hi);

	r = &p->rules[1];
	EXPECT_EQ(SG_VERDICT_DENY, r->verdict);
	EXPECT_EQ(NULL, r->name);
	EXPECT_EQ(SG_SUBJ_EXE, r->subject.mask);
	EXPECT_STREQ("/opt/vendor/agent", r->subject.exe);
	EXPECT_EQ(0, r->located.nr_terms);
	ASSERT_EQ(1, r->operator.nr_terms);
	ASSERT_EQ(2, r->operator.terms[0].nr_atoms);
	EXPECT_EQ(SG_ATOM_ASN, atom(p, &r->operator.terms[0], 0)->kind);
	EXPECT_EQ(SG_PROTO_ANY, r->proto_mask);

	r = &p->rules[2];
	EXPECT_EQ(SG_VERDICT_AUDIT, r->verdict);
	EXPECT_EQ(0, r->subject.mask);
	ASSERT_EQ(2, r->located.nr_terms);
	EXPECT_TRUE(r->located.terms[0].negated);
	EXPECT_TRUE(r->located.terms[1].negated);
	EXPECT_EQ(27, r->located.terms[0].nr_atoms);
	/* wide = corp (3 atoms), CH, NO, eea (30, NO among them): 34 distinct */
	EXPECT_EQ(34, r->located.terms[1].nr_atoms);

	r = &p->rules[3];
	ASSERT_EQ(1, r->located.nr_terms);
	ASSERT_EQ(1, r->located.terms[0].nr_atoms);
	EXPECT_EQ(SG_ATOM_COUNTRY, atom(p, &r->located.terms[0], 0)->kind);
	EXPECT_STREQ("DE", atom(p, &r->located.terms[0], 0)->cc);
	ASSERT_EQ(1, r->operator.nr_terms);
	EXPECT_EQ(16509, atom(p, &r->operator.terms[0], 0)->asn);
	EXPECT_EQ(SG_PROTO_UDP | SG_PROTO_UDPLITE, r->proto_mask);	/* udp names UDP-Lite too */

	r = &p->rules[4];
	EXPECT_EQ(SG_SUBJ_CGROUP | SG_SUBJ_UID | SG_SUBJ_GID, r->subject.mask);
	EXPECT_STREQ("/system.slice/db.slice", r->subject.cgroup);
	EXPECT_EQ(1000, r->subject.uid);
	EXPECT_EQ(100, r->subject.gid);
	ASSERT_EQ(2, r->nr_ports);
	EXPECT_EQ(8000, r->ports[1].lo);
	EXPECT_EQ(8080, r->ports[1].hi);
	EXPECT_EQ(SG_PROTO_TCP | SG_PROTO_UDP | SG_PROTO_UDPLITE, r->proto_mask);

	r = &p->rules[5];
	EXPECT_STREQ("/opt/my app/bin", r->subject.exe);
	ASSERT_EQ(1, r->located.nr_terms);
	ASSERT_EQ(2, r->located.terms[0].nr_atoms);
	EXPECT_EQ(SG_ATOM_PREFIX, atom(p, &r->located.terms[0], 0)->kind);
	EXPECT_EQ(120, atom(p, &r->located.terms[0], 0)->prefix.len);
	EXPECT_EQ(SG_ATOM_FLAG, atom(p, &r->located.terms[0], 1)->kind);
	EXPECT_EQ(SG_FLAG_ANYCAST, atom(p, &r->located.terms[0], 1)->flag);

	r = &p->rules[6];
	ASSERT_EQ(1, r->located.nr_terms);
	EXPECT_EQ(3, r->located.terms[0].nr_atoms);

	z = sg_policy_find_zone(p, "corp");
	ASSERT_NE(NULL, z);
	EXPECT_FALSE(z->builtin);
	EXPECT_STREQ("t.rules:1", z->defined_at);
	EXPECT_EQ(3, z->nr_atoms);
}

/* icmp and raw: protocols without ports, beside the ported ones. */
TEST_F(parse, icmp_and_raw)
{
	const struct sg_policy *p;

	ASSERT_EQ(0, fx_parse(self->data, "deny to de icmp\ndeny proto raw, tcp port 22\n"
				"allow to fr\n", &self->pol, &self->diag));
	p = self->pol;
	ASSERT_EQ(3, p->nr_rules);
	EXPECT_EQ(SG_PROTO_ICMP, p->rules[0].proto_mask);
	EXPECT_EQ(SG_PROTO_RAW | SG_PROTO_TCP, p->rules[1].proto_mask);
	EXPECT_EQ(SG_PROTO_ANY, p->rules[2].proto_mask);
	EXPECT_TRUE(p->rules[2].proto_mask & SG_PROTO_ICMP);
	EXPECT_FALSE(p->rules[2].proto_mask & SG_PROTO_SOCKET);
}

/* `socket raw, ping`: a rule about socket creation only. */
TEST_F(parse, socket_rule)
{
	const struct sg_policy *p;

	ASSERT_EQ(0, fx_parse(self->data, "deny uid 1000 socket raw, ping\nallow socket raw\n",
			      &self->pol, &self->diag));
	p = self->pol;
	ASSERT_EQ(2, p->nr_rules);
	EXPECT_EQ(SG_PROTO_SOCKET, p->rules[0].proto_mask);
	EXPECT_EQ(1u << SG_SOCKET_RAW | 1u << SG_SOCKET_PING, p->rules[0].socket_mask);
	EXPECT_EQ(SG_SUBJ_UID, p->rules[0].subject.mask);
	EXPECT_EQ(1u << SG_SOCKET_RAW, p->rules[1].socket_mask);
}

TEST_F(parse, zone_extended)
{
	const struct sg_zone *z;

	ASSERT_EQ(0, fx_parse(self->data,
			      "zone corp = 10.0.0.0/8\n"
			      "zone corp += 2001:db8::/32, as16509\n"
			      "zone corp += de\n",
			      &self->pol, &self->diag))
		TH_LOG("%s", self->diag);
	z = sg_policy_find_zone(self->pol, "corp");
	ASSERT_NE(NULL, z);
	EXPECT_EQ(4, z->nr_atoms);
	EXPECT_STREQ("t.rules:1", z->defined_at);
}

TEST_F(parse, zone_item_limit)
{
	char *text = calloc(1, 8 * (SG_MAX_ZONE_ITEMS + 8));

	strcpy(text, "zone big = de");
	for (unsigned int i = 1; i < SG_MAX_ZONE_ITEMS; i++)
		strcat(text, i % 500 ? ",de" : "\nzone big += de");
	strcat(text, "\nzone big += fr\n");
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:10:6: more than 4096 items in zone 'big'\n", self->diag);
	free(text);
}

TEST_F(parse, builtin_zones)
{
	static const struct {
		const char *name;
		unsigned int n;
		const char *has, *hasnt;
	} want[] = {
		{ "eu", 27, "DE", "GB" },
		{ "eea", 30, "NO", "CH" },
		{ "five-eyes", 5, "NZ", "DE" },
		{ "fourteen-eyes", 14, "SE", "AT" },
	};

	ASSERT_EQ(0, fx_parse(self->data, "", &self->pol, &self->diag));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct sg_zone *z = sg_policy_find_zone(self->pol, want[i].name);
		bool has = false, hasnt = false;

		ASSERT_NE(NULL, z);
		EXPECT_TRUE(z->builtin);
		EXPECT_EQ(want[i].n, z->nr_atoms) TH_LOG("%s", want[i].name);
		for (uint32_t k = 0; k < z->nr_atoms; k++) {
			const struct sg_atom *a = &self->pol->atoms[z->atoms[k]];

			ASSERT_EQ(SG_ATOM_COUNTRY, a->kind);
			has |= !strcmp(a->cc, want[i].has);
			hasnt |= !strcmp(a->cc, want[i].hasnt);
		}
		EXPECT_TRUE(has) TH_LOG("%s lacks %s", want[i].name, want[i].has);
		EXPECT_FALSE(hasnt) TH_LOG("%s has %s", want[i].name, want[i].hasnt);
	}
}

TEST_F(parse, atoms_are_shared)
{
	ASSERT_EQ(0, fx_parse(self->data,
			      "deny to de\ndeny to DE, country de\nzone x = de\ndeny to x\n",
			      &self->pol, &self->diag));
	ASSERT_EQ(3, self->pol->nr_rules);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(1, self->pol->rules[i].located.terms[0].nr_atoms);
		EXPECT_EQ(self->pol->rules[0].located.terms[0].atoms[0],
			  self->pol->rules[i].located.terms[0].atoms[0]);
	}
}

TEST_F(parse, data_label)
{
	ASSERT_EQ(0, fx_parse(self->data, "allow to corp\n", &self->pol, &self->diag))
		TH_LOG("%s", self->diag);
	ASSERT_EQ(1, self->pol->rules[0].located.terms[0].nr_atoms);
	EXPECT_EQ(SG_ATOM_LABEL, atom(self->pol, &self->pol->rules[0].located.terms[0], 0)->kind);
}

/* Each case: input and the exact diagnostics it must produce. */
static const struct {
	const char *in;
	const char *out;
} errors[] = {
	{ "allow to xx\n", "t.rules:1:10: unknown country code 'xx' (ISO 3166-1 alpha-2)\n" },
	{ "allow to country zz\n",
	  "t.rules:1:18: unknown country code 'zz' (ISO 3166-1 alpha-2)\n" },
	{ "deny operator as64512\n", "t.rules:1:15: unknown AS64512 (not in the jurisdiction data)\n" },
	{ "deny to as 0\n", "t.rules:1:12: '0' is not an AS number (1-4294967295)\n" },
	{ "deny to as 4294967296\n",
	  "t.rules:1:12: '4294967296' is not an AS number (1-4294967295)\n" },
	{ "deny to asn x\n", "t.rules:1:13: 'x' is not an AS number (1-4294967295)\n" },
	{ "deny to nowhere\n", "t.rules:1:9: unknown zone 'nowhere'\n" },
	{ "deny to zone nowhere\n", "t.rules:1:14: unknown zone 'nowhere'\n" },
	{ "deny to 10.0.0.1/8\n", "t.rules:1:9: prefix '10.0.0.1/8' has host bits set\n" },
	{ "deny to 10.0.0.0/33\n", "t.rules:1:9: prefix length out of range in '10.0.0.0/33'\n" },
	{ "deny to 2001:db8::/129\n",
	  "t.rules:1:9: prefix length out of range in '2001:db8::/129'\n" },
	{ "deny to 10.0.0/8\n", "t.rules:1:9: '10.0.0/8' is not an IPv4 or IPv6 prefix\n" },
	{ "deny to flag teleport\n",
	  "t.rules:1:14: unknown flag 'teleport' (anonymous-proxy, satellite, anycast, drop)\n" },
	{ "deny to Europe\n", "t.rules:1:9: 'Europe' is not a zone, country, AS or prefix\n" },
	{ "deny to\n", "t.rules:1:8: expected a zone, country, AS or prefix at end of line\n" },
	{ "deny to de,\n", "t.rules:1:12: expected a zone, country, AS or prefix at end of line\n" },
	{ "deny to de fr\n",
	  "t.rules:1:12: expected name, all, unit, cgroup, exe, uid, gid, to, operator, port or "
	  "proto, got 'fr'\n" },
	{ "deny to country\n", "t.rules:1:16: expected a country code at end of line\n" },
	{ "deny to de = fr\n", "t.rules:1:12: expected a keyword, got '='\n" },
	{ "permit to de\n", "t.rules:1:1: expected zone, default, allow, deny or audit, got 'permit'\n" },
	{ "zone\n", "t.rules:1:5: expected a zone name at end of line\n" },
	{ "zone xy1 de\n", "t.rules:1:10: expected '=' or '+=', got 'de'\n" },
	{ "zone xy1 + de\n", "t.rules:1:10: expected '=' or '+=', got '+'\n" },
	{ "zone xyz += de\nzone xyz = fr\n",
	  "t.rules:1:6: zone 'xyz' is extended before it is defined\n" },
	{ "zone xy1 = de fr\n", "t.rules:1:15: expected ',' or end of line, got 'fr'\n" },
	{ "zone Corp = de\n", "t.rules:1:6: zone name 'Corp' must start with a lower-case letter\n" },
	{ "zone corp! = de\n",
	  "t.rules:1:6: zone name 'corp!' may only contain a-z, 0-9, '-', '_', '.'\n" },
	{ "zone to = de\n", "t.rules:1:6: zone name 'to' is a keyword\n" },
	{ "zone ab = de\n",
	  "t.rules:1:6: zone name 'ab' has two letters and would read as a country code\n" },
	{ "zone as13 = de\n", "t.rules:1:6: zone name 'as13' would read as an AS number\n" },
	{ "zone eu = de\n", "t.rules:1:6: zone 'eu' is built in and cannot be redefined\n" },
	{ "zone abc = de\nzone abc = fr\n",
	  "t.rules:2:6: duplicate zone 'abc' (first defined at t.rules:1)\n" },
	{ "zone abc = !de\n",
	  "t.rules:1:12: negation is not allowed inside a zone; negate where the zone is used\n" },
	{ "zone aaa = bbb\nzone bbb = ccc\nzone ccc = aaa\n",
	  "t.rules:3:12: zone cycle: aaa -> bbb -> ccc -> aaa\n" },
	{ "zone aaa = de, aaa\n", "t.rules:1:16: zone cycle: aaa -> aaa\n" },
	{ "zone ops = eu\ndeny operator ops\n",
	  "t.rules:2:15: operator matches AS numbers only; 'ops' is not one\n" },
	{ "deny operator de\n", "t.rules:1:15: operator matches AS numbers only; 'this item' is not one\n" },
	{ "default\n", "t.rules:1:8: expected allow, deny or audit at end of line\n" },
	{ "default drop\n", "t.rules:1:9: expected allow, deny or audit, got 'drop'\n" },
	{ "default deny now\n", "t.rules:1:14: expected end of line, got 'now'\n" },
	{ "default deny\ndefault allow\n", "t.rules:2:1: duplicate default (first at t.rules:1)\n" },
	{ "deny exe bin/sh\n", "t.rules:1:10: exe path 'bin/sh' must be absolute\n" },
	{ "deny exe /usr/../bin/sh\n",
	  "t.rules:1:10: exe path '/usr/../bin/sh' must be normalized (no '.', '..' or '//')\n" },
	{ "deny cgroup system.slice\n", "t.rules:1:13: cgroup path 'system.slice' must be absolute\n" },
	{ "deny exe \"/bin/sh\n", "t.rules:1:10: unterminated string\n" },
	{ "deny unit billing\n", "t.rules:1:11: unit 'billing' must end in .service, .scope or .slice\n" },
	{ "deny unit a/b.service\n", "t.rules:1:11: 'a/b.service' is not a valid systemd unit name\n" },
	{ "deny unit\n", "t.rules:1:10: expected a unit name at end of line\n" },
	{ "deny uid root\n", "t.rules:1:10: 'root' is not a numeric uid (0-4294967294)\n" },
	{ "deny gid -1\n", "t.rules:1:10: '-1' is not a numeric gid (0-4294967294)\n" },
	{ "deny uid 1 uid 2\n", "t.rules:1:12: 'uid' given twice in one rule\n" },
	{ "deny all uid 1\n", "t.rules:1:6: 'all' cannot be combined with another subject\n" },
	{ "deny port 0\n", "t.rules:1:11: bad port range '0'\n" },
	{ "deny port 90-80\n", "t.rules:1:11: bad port range '90-80'\n" },
	{ "deny port 65536\n", "t.rules:1:11: '65536' is not a port (1-65535) or range (LO-HI)\n" },
	{ "deny port http\n", "t.rules:1:11: 'http' is not a port (1-65535) or range (LO-HI)\n" },
	{ "deny proto sctp\n", "t.rules:1:12: expected tcp, udp, udplite, icmp or raw, got 'sctp'\n" },
	{ "deny icmp port 53\n", "t.rules:1:11: icmp and raw have no ports\n" },
	{ "deny socket packet\n",
	  "t.rules:1:13: packet sockets cannot be refused at creation (no cgroup hook sees them); "
	  "the packet-socket detector reports them\n" },
	{ "deny socket tcp\n", "t.rules:1:13: expected raw or ping, got 'tcp'\n" },
	{ "deny socket raw to de\n",
	  "t.rules:1:6: a socket rule names a subject only (no to, operator, port or protocol)\n" },
	{ "deny port 53 proto raw, icmp\n", "t.rules:1:6: icmp and raw have no ports\n" },
	{ "deny name x.y.z name q12\n", "t.rules:1:17: 'name' given twice in one rule\n" },
	{ "deny name abc to de\nallow name abc\n",
	  "t.rules:2:7: duplicate rule name 'abc' (first at t.rules:1)\n" },
	{ "deny name Abc\n", "t.rules:1:11: rule name 'Abc' must start with a lower-case letter\n" },
	{ "deny to de\x01\n", "t.rules:1:11: unexpected control character 0x01\n" },
};

TEST_F(parse, every_error_with_position)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		struct sg_policy *pol = NULL;
		char *diag = NULL;
		int err = fx_parse(self->data, errors[i].in, &pol, &diag);

		EXPECT_EQ(-EINVAL, err) TH_LOG("case %zu: %s", i, errors[i].in);
		EXPECT_EQ(NULL, pol);
		EXPECT_STREQ(errors[i].out, diag) TH_LOG("case %zu: %s", i, errors[i].in);
		sg_policy_free(pol);
		free(diag);
	}
}

TEST_F(parse, all_errors_in_one_pass)
{
	static const char text[] = "allow to xx, yy\n"
				   "deny to de\n"
				   "deny operator as1\n"
				   "zone abc = nope\n"
				   "bogus\n";

	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:1:10: unknown country code 'xx' (ISO 3166-1 alpha-2)\n"
		     "t.rules:1:14: unknown country code 'yy' (ISO 3166-1 alpha-2)\n"
		     "t.rules:3:15: unknown AS1 (not in the jurisdiction data)\n"
		     "t.rules:5:1: expected zone, default, allow, deny or audit, got 'bogus'\n"
		     "t.rules:4:12: unknown zone 'nope'\n",
		     self->diag);
}

TEST_F(parse, error_cap)
{
	size_t n = (SG_MAX_ERRORS + 10) * 12 + 1;
	char *text = calloc(1, n);
	char *last;

	for (int i = 0; i < SG_MAX_ERRORS + 10; i++)
		strcat(text, "deny to xx\n");
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	last = strrchr(self->diag, 't');
	ASSERT_NE(NULL, last);
	EXPECT_NE(NULL, strstr(self->diag, "t.rules:51:9: too many errors, stopping after 50\n"));
	EXPECT_EQ(NULL, strstr(self->diag, "t.rules:52:"));
	free(text);
}

TEST_F(parse, asn_needs_data)
{
	struct sg_data *tor;
	static const char geo[] = "167772160,184549375,DE\n";

	EXPECT_EQ(-EINVAL, fx_parse(NULL, "deny to as16509\n", &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:1:9: AS16509 cannot be checked: no jurisdiction data loaded\n",
		     self->diag);
	free(self->diag);
	ASSERT_EQ(0, sg_data_new(&tor));
	ASSERT_EQ(0, sg_data_load_buffer(tor, "geoip", geo, strlen(geo), &fx_unsigned_ok, stderr));
	ASSERT_EQ(0, sg_data_finish(tor));
	EXPECT_EQ(-EINVAL, fx_parse(tor, "deny to as16509\n", &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:1:9: AS16509 cannot be checked: the jurisdiction data has no AS "
		     "numbers\n",
		     self->diag);
	sg_data_free(tor);
}

TEST_F(parse, limits)
{
	char *text;
	size_t n;

	/* Line length */
	text = malloc(SG_MAX_LINE_LEN + 16);
	memset(text, ' ', SG_MAX_LINE_LEN + 1);
	strcpy(text + SG_MAX_LINE_LEN + 1, "x\n");
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:1:4097: line longer than 4096 bytes\n", self->diag);
	free(self->diag);
	self->diag = NULL;
	/* Exactly the limit is fine. */
	memset(text, ' ', SG_MAX_LINE_LEN);
	strcpy(text + SG_MAX_LINE_LEN, "\n");
	EXPECT_EQ(0, fx_parse(self->data, text, &self->pol, &self->diag));
	sg_policy_free(self->pol);
	self->pol = NULL;
	free(self->diag);
	self->diag = NULL;
	free(text);

	/* Tokens per line: every ',' is one. */
	text = malloc(SG_MAX_TOKENS + 8);
	memset(text, ',', SG_MAX_TOKENS + 1);
	strcpy(text + SG_MAX_TOKENS + 1, "\n");
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:1:1025: more than 1024 tokens on one line\n", self->diag);
	free(self->diag);
	self->diag = NULL;
	free(text);

	/* Items after `to` */
	text = calloc(1, 4 * (SG_MAX_DEST_ITEMS + 4));
	strcpy(text, "deny to de");
	for (unsigned int i = 0; i < SG_MAX_DEST_ITEMS; i++)
		strcat(text, ",fr");
	strcat(text, "\n");
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:1:777: more than 256 items in a destination\n", self->diag);
	free(self->diag);
	self->diag = NULL;
	free(text);

	/* Names and paths */
	text = calloc(1, SG_MAX_PATH_LEN + 64);
	strcpy(text, "deny name a");
	memset(text + strlen(text), 'b', SG_MAX_NAME_LEN);
	strcat(text, "\n");
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:1:11: rule name longer than 64 characters\n", self->diag);
	free(self->diag);
	self->diag = NULL;
	strcpy(text, "deny unit a");
	memset(text + strlen(text), 'b', SG_MAX_UNIT_LEN);
	strcat(text, ".service\n");
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:1:11: unit name longer than 256 characters\n", self->diag);
	free(self->diag);
	self->diag = NULL;
	free(text);

	/* Port ranges */
	text = calloc(1, 16 * (SG_MAX_PORT_RANGES + 2));
	strcpy(text, "deny port 1");
	for (int i = 0; i < SG_MAX_PORT_RANGES; i++)
		strcat(text, ",2");
	strcat(text, "\n");
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_NE(NULL, strstr(self->diag, "more than 32 port ranges")) TH_LOG("%s", self->diag);
	free(self->diag);
	self->diag = NULL;
	free(text);

	/* Zones */
	n = (SG_MAX_ZONES + 2) * 32;
	text = calloc(1, n);
	for (int i = 0; i <= SG_MAX_ZONES; i++)
		sprintf(text + strlen(text), "zone zone-%d = de\n", i);
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:1025:6: more than 1024 zones\n", self->diag);
	free(self->diag);
	self->diag = NULL;
	free(text);

	/* Rules */
	n = (SG_MAX_RULES + 2) * 12;
	text = calloc(1, n);
	for (int i = 0; i <= SG_MAX_RULES; i++)
		strcat(text + (i ? (size_t)(i - 1) * 11 : 0), "deny to de\n");
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:4097:1: more than 4096 rules\n", self->diag);
	free(text);
}

TEST_F(parse, nul_byte_and_file_size)
{
	struct sg_parser *p;
	static const char text[] = "deny to de\nde\0ny\n";
	char *big;
	size_t len;
	FILE *f = open_memstream(&self->diag, &len);

	ASSERT_EQ(0, sg_parser_new(self->data, f, &p));
	EXPECT_EQ(-EINVAL, sg_parser_add_buffer(p, "dir/n.rules", text, sizeof(text) - 1));
	big = calloc(1, SG_MAX_FILE_SIZE + 1);
	memset(big, '\n', SG_MAX_FILE_SIZE + 1);
	EXPECT_EQ(-EINVAL, sg_parser_add_buffer(p, "dir/big.rules", big, SG_MAX_FILE_SIZE + 1));
	free(big);
	EXPECT_EQ(-EINVAL, sg_parser_finish(p, &self->pol));
	EXPECT_EQ(2, sg_parser_nr_errors(p));
	sg_parser_free(p);
	fclose(f);
	EXPECT_STREQ("dir/n.rules:2:3: NUL byte in rules file\n"
		     "dir/big.rules:1:1: file larger than 1048576 bytes\n",
		     self->diag);
}

TEST_F(parse, file_count)
{
	struct sg_parser *p;
	size_t len;
	FILE *f = open_memstream(&self->diag, &len);

	ASSERT_EQ(0, sg_parser_new(self->data, f, &p));
	for (unsigned int i = 0; i < SG_MAX_FILES; i++)
		ASSERT_EQ(0, sg_parser_add_buffer(p, "f.rules", "", 0));
	EXPECT_EQ(-EINVAL, sg_parser_add_buffer(p, "last.rules", "", 0));
	EXPECT_EQ(-EINVAL, sg_parser_finish(p, &self->pol));
	sg_parser_free(p);
	fclose(f);
	EXPECT_STREQ("last.rules:1:1: more than 256 rules files\n", self->diag);
}

TEST_F(parse, zone_depth)
{
	char text[4096] = "";

	for (int i = 0; i < SG_MAX_ZONE_DEPTH + 2; i++)
		sprintf(text + strlen(text), "zone zone-%d = zone-%d\n", i, i + 1);
	sprintf(text + strlen(text), "zone zone-%d = de\n", SG_MAX_ZONE_DEPTH + 2);
	EXPECT_EQ(-EINVAL, fx_parse(self->data, text, &self->pol, &self->diag));
	EXPECT_STREQ("t.rules:32:16: zones nested deeper than 32\n", self->diag);
}

TEST_F(parse, ids_across_files)
{
	struct sg_parser *p;

	ASSERT_EQ(0, sg_parser_new(self->data, stderr, &p));
	ASSERT_EQ(0, sg_parser_add_buffer(p, "/etc/x/10-a.rules", "\nallow to de\n", 13));
	ASSERT_EQ(0, sg_parser_add_buffer(p, "/etc/x/20-b.rules", "deny name last\n", 15));
	ASSERT_EQ(0, sg_parser_finish(p, &self->pol));
	sg_parser_free(p);
	ASSERT_EQ(2, self->pol->nr_rules);
	EXPECT_STREQ("10-a.rules:2", self->pol->rules[0].id);
	EXPECT_STREQ("10-a.rules", self->pol->rules[0].file);
	EXPECT_EQ(2, self->pol->rules[0].line);
	EXPECT_STREQ("20-b.rules:1", self->pol->rules[1].id);
	EXPECT_STREQ("last", self->pol->rules[1].name);
	EXPECT_EQ(1, self->pol->rules[1].index);
}

/* Generated lines (quarantine rules): the id they are given, no file counted. */
TEST_F(parse, generated_lines)
{
	struct sg_parser *p;
	size_t len;
	FILE *f = open_memstream(&self->diag, &len);

	ASSERT_EQ(0, sg_parser_new(self->data, f, &p));
	ASSERT_EQ(0, sg_parser_add_line(p, "quarantine", 7, "deny exe \"/tmp/a \\\"b\" to 192.0.2.1"));
	EXPECT_EQ(-EINVAL, sg_parser_add_line(p, "quarantine", 8, "deny\nallow"));
	EXPECT_EQ(-EINVAL, sg_parser_add_line(p, "quarantine", 0, "deny"));
	/* The generated line took none of the SG_MAX_FILES. */
	for (unsigned int i = 0; i < SG_MAX_FILES; i++)
		ASSERT_EQ(0, sg_parser_add_buffer(p, "f.rules", "", 0));
	EXPECT_EQ(-EINVAL, sg_parser_add_line(p, "quarantine", 9, "deny exe relative"));
	sg_parser_free(p);
	fclose(f);
	EXPECT_STREQ("quarantine:9:10: exe path 'relative' must be absolute\n", self->diag);

	ASSERT_EQ(0, sg_parser_new(self->data, stderr, &p));
	ASSERT_EQ(0, sg_parser_add_line(p, "quarantine", 7, "deny exe \"/tmp/a \\\"b\" to 192.0.2.1"));
	ASSERT_EQ(0, sg_parser_add_buffer(p, "/etc/x/10-a.rules", "allow\n", 6));
	ASSERT_EQ(0, sg_parser_finish(p, &self->pol));
	sg_parser_free(p);
	ASSERT_EQ(2, self->pol->nr_rules);
	EXPECT_STREQ("quarantine:7", self->pol->rules[0].id);
	EXPECT_STREQ("quarantine", self->pol->rules[0].file);
	EXPECT_EQ(7, self->pol->rules[0].line);
	EXPECT_STREQ("/tmp/a \"b", self->pol->rules[0].subject.exe);
	EXPECT_EQ(SG_VERDICT_DENY, self->pol->rules[0].verdict);
	EXPECT_STREQ("10-a.rules:1", self->pol->rules[1].id);
}

TEST(country_codes)
{
	EXPECT_TRUE(sg_country_valid("DE"));
	EXPECT_TRUE(sg_country_valid("de"));
	EXPECT_TRUE(sg_country_valid("ZW"));
	EXPECT_TRUE(sg_country_valid("XK"));
	EXPECT_FALSE(sg_country_valid("EU"));
	EXPECT_FALSE(sg_country_valid("UK"));
	EXPECT_FALSE(sg_country_valid("D"));
	EXPECT_FALSE(sg_country_valid("DEU"));
	EXPECT_FALSE(sg_country_valid("1A"));
}

TEST_HARNESS_MAIN
