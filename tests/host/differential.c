// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test of the policy compiler and the kernel tables.
 *
 * The reference is the policy library's plain evaluator: first match over
 * the rule list, no compilation. For random jurisdiction data, random rule
 * sets and random (subject, address, port, protocol) tuples, the verdict and
 * rule index must agree three ways: the reference, the compiled image
 * decided in userspace (what the daemon runs for `sovguardctl check`), and
 * the same image decided by the kernel (bpf/decide.h in a tc program under
 * BPF_PROG_TEST_RUN, the same code the cgroup hooks run).
 *
 * Addresses include IPv6 ones that embed IPv4 (NAT64 well-known and
 * configured prefixes of every RFC 6052 length, 6to4, Teredo, IPv4-mapped),
 * so the kernel's extraction is checked against the reference's own.
 *
 * SG_DIFF_TUPLES (default 1000000) sets the number of tuples, SG_SEED the
 * random seed (printed, so that a failure can be replayed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "compile.h"
#include "publish.h"
#include "decide_test.skel.h"

#define NR_POLICIES	20
#define NR_EXES		3
#define NR_NAT64	3	/* configured NAT64 prefixes of each policy */

static __u64 rng_state;

static __u64 rnd(void)
{
	/* splitmix64 */
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 rndn(__u32 n)
{
	return rnd() % n;
}

static const char *const countries[] = {
	"DE", "FR", "NL", "IE", "IT", "ES", "SE", "PL", "US", "GB", "CA", "AU",
	"NZ", "CN", "RU", "JP", "CH", "NO", "IS", "BR", "IN", "SG",
};
static const char *const zones[] = { "eu", "eea", "five-eyes", "fourteen-eyes", "myzone" };
static const __u32 asns[] = { 3320, 16509, 8075, 15169, 13335, 3333, 1136, 65001, 65002, 7018 };

static const char *const cgroups[] = {
	"/", "/system.slice", "/system.slice/a.service", "/system.slice/a.service/sub",
	"/system.slice/b.service", "/user.slice/user-1000.slice/s.scope",
};
static const char *const units[] = { "a.service", "b.service", "c.service" };

struct env {
	char dir[64];
	char exes[NR_EXES][128];
	struct sg_decide_test_bpf *skel;
	struct sg_data *data;
	/* the data's prefixes, to aim addresses at edges */
	struct in6_addr pfx[4096];
	__u8 pfx_len[4096];
	unsigned int nr_pfx;
	struct sg_nat64 nat64[NR_NAT64];
};

static void rand_v4_prefix(struct env *e, char *buf, size_t len, struct in6_addr *a, __u8 *plen)
{
	__u32 addr = rnd(), l = 8 + rndn(25);

	addr &= l == 32 ? ~0u : ~(~0u >> l);
	snprintf(buf, len, "%u.%u.%u.%u/%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
		 addr & 255, l);
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	addr = htonl(addr);
	memcpy(&a->s6_addr[12], &addr, 4);
	*plen = l + 96;
}

static void rand_v6_prefix(struct env *e, char *buf, size_t len, struct in6_addr *a, __u8 *plen)
{
	__u32 l = 16 + rndn(49), i;
	char s[INET6_ADDRSTRLEN];

	memset(a, 0, sizeof(*a));
	a->s6_addr[0] = 0x20 | rndn(2);	/* 2000::/3 */
	for (i = 1; i < 8; i++)
		a->s6_addr[i] = rnd();
	for (i = l; i < 128; i++)
		a->s6_addr[i / 8] &= ~(0x80 >> (i % 8));
	inet_ntop(AF_INET6, a, s, sizeof(s));
	snprintf(buf, len, "%s/%u", s, l);
	*plen = l;
}

static int make_data(struct env *e, FILE *diag)
{
	struct sg_load_opts opts = { .kind = SG_SRC_CIDR, .unsigned_data = SG_UNSIGNED_UNSIGNABLE };
	char path[128], p[96];
	unsigned int i;
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/data.cidr", e->dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	e->nr_pfx = 0;
	for (i = 0; i < 3000 && e->nr_pfx < 4096; i++) {
		if (rndn(3))
			rand_v4_prefix(e, p, sizeof(p), &e->pfx[e->nr_pfx], &e->pfx_len[e->nr_pfx]);
		else
			rand_v6_prefix(e, p, sizeof(p), &e->pfx[e->nr_pfx], &e->pfx_len[e->nr_pfx]);
		e->nr_pfx++;
		fprintf(f, "%s %s as%u\n", p, countries[rndn(ARRAY_SIZE(countries))],
			asns[rndn(ARRAY_SIZE(asns))]);
	}
	/* Every AS the rules may name must be known to the data. */
	for (i = 0; i < ARRAY_SIZE(asns); i++)
		fprintf(f, "198.18.%u.0/24 DE as%u\n", i, asns[i]);
	fclose(f);
	sg_data_free(e->data);
	e->data = NULL;
	err = sg_data_new(&e->data);
	if (!err)
		err = sg_data_load(e->data, path, &opts, diag);
	if (!err)
		err = sg_data_finish(e->data);
	return err;
}

static void dest_item(struct env *e, char *out, size_t len)
{
	struct in6_addr a;
	__u8 l;
	char p[96];

	switch (rndn(5)) {
	case 0:
	case 1:
		snprintf(out, len, "%s", countries[rndn(ARRAY_SIZE(countries))]);
		break;
	case 2:
		snprintf(out, len, "%s", zones[rndn(ARRAY_SIZE(zones))]);
		break;
	case 3:
		snprintf(out, len, "as%u", asns[rndn(ARRAY_SIZE(asns))]);
		break;
	default:
		if (rndn(2))
			rand_v4_prefix(e, p, sizeof(p), &a, &l);
		else
			rand_v6_prefix(e, p, sizeof(p), &a, &l);
		snprintf(out, len, "%s", p);
	}
}

static void gen_rules(struct env *e, char *buf, size_t len, unsigned int nr_rules)
{
	static const char *const verdicts[] = { "allow", "deny", "audit" };
	size_t at = 0;
	unsigned int r, i, n;
	char item[128];
	bool ported;

#define EMIT(...) (at += snprintf(buf + at, at < len ? len - at : 0, __VA_ARGS__))
	EMIT("zone myzone = de, fr, as65001, 10.0.0.0/8, 2001:db8::/32\n");
	for (r = 0; r < nr_rules; r++) {
		EMIT("%s", verdicts[rndn(3)]);
		if (!rndn(2)) {
			switch (rndn(3)) {
			case 0:
				EMIT(" unit %s", units[rndn(ARRAY_SIZE(units))]);
				break;
			case 1:
				EMIT(" cgroup %s", cgroups[rndn(ARRAY_SIZE(cgroups))]);
				break;
			}
			if (!rndn(3))
				EMIT(" exe %s", e->exes[rndn(NR_EXES)]);
			if (!rndn(3))
				EMIT(" uid %u", rndn(2) ? 1000 : rndn(2));
			if (!rndn(4))
				EMIT(" gid %u", rndn(2) ? 100 : 0);
		}
		if (rndn(20) < 19) {
			n = 1 + rndn(2);
			EMIT(" to");
			for (i = 0; i < n; i++) {
				dest_item(e, item, sizeof(item));
				EMIT("%s %s%s", i ? "," : "", rndn(12) ? "" : "!", item);
			}
		}
		if (!rndn(5)) {
			n = 1 + rndn(2);
			EMIT(" operator");
			for (i = 0; i < n; i++)
				EMIT("%s %sas%u", i ? "," : "", rndn(4) ? "" : "!",
				     asns[rndn(ARRAY_SIZE(asns))]);
		}
		ported = rndn(10) < 3;
		if (ported) {
			__u32 lo = 1 + rndn(1024);

			if (rndn(2))
				EMIT(" port %u", lo);
			else
				EMIT(" port %u-%u, %u", lo, lo + rndn(5000), 1 + rndn(65535));
		}
		/* icmp and raw have no ports: alone only in a rule without them */
		if (rndn(10) < 3)
			EMIT(" %s", (const char *const[]){ "tcp", "udp", "udplite", "tcp, icmp",
							   "udp, raw", "icmp", "raw" }[rndn(ported ? 5 : 7)]);
		EMIT("\n");
	}
	if (rndn(2))
		EMIT("default %s\n", verdicts[rndn(3)]);
#undef EMIT
}

/* The resolver of the test: cgroup ids are hashes of their paths. */
static __u64 path_id(const char *p)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (*p)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h | 1;
}

static int t_unit_cgroup(void *ctx, const char *unit, char *path, size_t len)
{
	return snprintf(path, len, "/system.slice/%s", unit) < (int)len ? 0 : -ENAMETOOLONG;
}

static int t_cgroup_id(void *ctx, const char *path, __u64 *id)
{
	*id = path_id(path);
	return 0;
}

static int t_exe_id(void *ctx, const char *path, __u32 *kdev, __u64 *ino)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*kdev = sg_kdev(st.st_dev);
	*ino = st.st_ino;
	return 0;
}

static const struct sg_resolver test_resolver = {
	.unit_cgroup = t_unit_cgroup,
	.cgroup_id = t_cgroup_id,
	.exe_id = t_exe_id,
};

static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };

/* Random NAT64 prefixes for a policy, of every RFC 6052 length. */
static void rand_nat64(struct env *e)
{
	static const __u8 lens[] = { 32, 40, 48, 56, 64, 96 };
	unsigned int i, b;

	for (i = 0; i < NR_NAT64; i++) {
		struct sg_nat64 *p = &e->nat64[i];

		memset(p, 0, sizeof(*p));
		p->len = lens[rndn(ARRAY_SIZE(lens))];
		p->addr.s6_addr[0] = 0x20;
		p->addr.s6_addr[1] = 0x01;
		for (b = 2; b < p->len / 8; b++)
			p->addr.s6_addr[b] = rnd();
		if (p->len == 96 && rndn(2))
			p->addr.s6_addr[8] = 0;	/* RFC 6052: bits 64-71 are 0 */
	}
}

/* An address that embeds @v4 (network order) as @kind would place it. */
static void rand_embedded(struct env *e, const __u8 *v4, struct in6_addr *a)
{
	unsigned int at, i, k = rndn(7);

	memset(a, 0, sizeof(*a));
	for (i = 0; i < 16; i++)
		a->s6_addr[i] = rnd();
	switch (k) {
	case 0:	/* 64:ff9b::/96 */
	case 1:	/* 64:ff9b:1::/48 */
		memset(a, 0, sizeof(*a));
		a->s6_addr[1] = 0x64;
		a->s6_addr[2] = 0xff;
		a->s6_addr[3] = 0x9b;
		a->s6_addr[5] = k;
		memcpy(&a->s6_addr[12], v4, 4);
		break;
	case 2:	/* 2002::/16 */
		a->s6_addr[0] = 0x20;
		a->s6_addr[1] = 0x02;
		memcpy(&a->s6_addr[2], v4, 4);
		break;
	case 3:	/* Teredo */
		memcpy(a->s6_addr, "\x20\x01\0\0", 4);
		for (i = 0; i < 4; i++)
			a->s6_addr[12 + i] = ~v4[i];
		break;
	default: { /* a configured prefix, RFC 6052 positions */
		const struct sg_nat64 *p = &e->nat64[rndn(NR_NAT64)];

		memcpy(a->s6_addr, p->addr.s6_addr, p->len / 8);
		for (at = p->len / 8, i = 0; i < 4; i++, at++) {
			if (at == 8)
				at++;
			a->s6_addr[at] = v4[i];
		}
		break;
	}
	}
}

/* An address: near a data prefix's edges, inside one, or anywhere. */
static void rand_addr(struct env *e, struct in6_addr *a)
{
	unsigned int i, bit;

	if (!rndn(5)) {	/* one that embeds an address near the data's */
		struct in6_addr m;

		do
			rand_addr(e, &m);
		while (memcmp(m.s6_addr, v4mapped, 12));
		rand_embedded(e, &m.s6_addr[12], a);
		return;
	}
	if (rndn(4) && e->nr_pfx) {
		i = rndn(e->nr_pfx);
		*a = e->pfx[i];
		for (bit = e->pfx_len[i]; bit < 128; bit++)
			if (rndn(2))
				a->s6_addr[bit / 8] |= 0x80 >> (bit % 8);
		if (!rndn(4)) {
			/* one before the prefix: the previous range's last address */
			for (i = 15; i < 16; i--)
				if (a->s6_addr[i]--)
					break;
		}
		return;
	}
	memset(a, 0, sizeof(*a));
	if (rndn(2)) {
		__u32 v = rnd();

		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v, 4);
	} else {
		for (i = 0; i < 16; i++)
			a->s6_addr[i] = rnd();
	}
}


struct subject {
	const char *cgroup;
	int exe;		/* -1: an exe no rule names */
	__u32 uid, gid;
};

static void fill_subject(struct env *e, const struct subject *s, struct sg_query *q,
			 struct sg_subject_info *si)
{
	char sub[256];
	unsigned int level = 0;
	size_t i, n = strlen(s->cgroup);
	struct stat st;

	memset(si, 0, sizeof(*si));
	si->cgroup = s->cgroup;
	si->uid = q->uid = s->uid;
	si->gid = q->gid = s->gid;
	q->cgroup[level++] = path_id("/");
	for (i = 1; i <= n; i++) {
		if (i < n && s->cgroup[i] != '/')
			continue;
		if (n == 1)
			break;
		memcpy(sub, s->cgroup, i);
		sub[i] = '\0';
		q->cgroup[level++] = path_id(sub);
	}
	if (s->exe >= 0 && !stat(e->exes[s->exe], &st)) {
		si->exe_dev = st.st_dev;
		si->exe_ino = st.st_ino;
		q->exe_dev = sg_kdev(st.st_dev);
		q->exe_ino = st.st_ino;
	} else {
		q->exe_dev = 7;	/* some other file */
		q->exe_ino = 424242;
	}
}

static int kernel_decide(struct env *e, const struct sg_query *q, __u32 *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = q, .data_size_in = sizeof(*q),
		    .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(e->skel->progs.sg_decide_test), &opts);

	if (err)
		return err;
	*ret = opts.retval;
	return 0;
}

/* Parse @rules over the env's data, compile generation @gen, publish it. */
static int publish_rules(struct env *e, const char *rules, __u32 gen, struct sg_policy **pol,
			 struct sg_image **img, struct sg_live *live)
{
	struct sg_parser *parser = NULL;
	int err;

	err = sg_parser_new(e->data, stderr, &parser);
	if (!err)
		err = sg_parser_add_buffer(parser, "test.rules", rules, strlen(rules));
	if (!err)
		err = sg_parser_finish(parser, pol);
	sg_parser_free(parser);
	if (!err)
		err = sg_compile(*pol, e->data, &test_resolver, gen, stderr, img);
	if (!err)
		err = sg_image_publish(bpf_map__fd(e->skel->maps.sg_policy), *img, live);
	return err;
}

FIXTURE(diff)
{
	struct env e;
};

FIXTURE_SETUP(diff)
{
	const char *seed = getenv("SG_SEED");
	unsigned int i;

	rng_state = seed ? strtoull(seed, NULL, 0) : (__u64)time(NULL);
	TH_LOG("SG_SEED=%llu", (unsigned long long)rng_state);
	strcpy(self->e.dir, "/tmp/sovguard-diff-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->e.dir));
	for (i = 0; i < NR_EXES; i++) {
		FILE *f;

		snprintf(self->e.exes[i], sizeof(self->e.exes[i]), "%s/exe%u", self->e.dir, i);
		f = fopen(self->e.exes[i], "w");
		ASSERT_NE(NULL, f);
		fclose(f);
	}
	self->e.skel = sg_decide_test_bpf__open_and_load();
	ASSERT_NE(NULL, self->e.skel);
}

FIXTURE_TEARDOWN(diff)
{
	char cmd[128];

	sg_decide_test_bpf__destroy(self->e.skel);
	sg_data_free(self->e.data);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->e.dir);
	if (system(cmd))
		perror(cmd);
}

TEST_F(diff, random_policies_agree)
{
	const char *env_n = getenv("SG_DIFF_TUPLES");
	unsigned long total = env_n ? strtoul(env_n, NULL, 10) : 1000000, done = 0, bad = 0;
	unsigned long per = total / NR_POLICIES + 1, kinds[6] = {}, ekinds[SG_EMBED_KINDS] = {};
	static char rules[1 << 20];
	char *diagbuf = NULL;
	size_t diaglen = 0;
	unsigned int p;

	for (p = 0; p < NR_POLICIES && done < total; p++) {
		struct sg_parser *parser = NULL;
		struct sg_policy *pol = NULL;
		struct sg_image *img = NULL;
		struct sg_live live = { .fd = -1 };
		unsigned long t;
		FILE *diag = open_memstream(&diagbuf, &diaglen);
		/* one large set, to span several bitmap chunks */
		unsigned int nr_rules = p == 1 ? 1100 : 1 + rndn(30);

		ASSERT_EQ(0, make_data(&self->e, diag));
		gen_rules(&self->e, rules, sizeof(rules), nr_rules);
		ASSERT_EQ(0, sg_parser_new(self->e.data, diag, &parser));
		ASSERT_EQ(0, sg_parser_add_buffer(parser, "diff.rules", rules, strlen(rules)));
		if (sg_parser_finish(parser, &pol)) {
			fclose(diag);
			TH_LOG("rules rejected: %s\n%s", diagbuf, rules);
			ASSERT_TRUE(false);
		}
		sg_parser_free(parser);
		ASSERT_EQ(0, sg_compile(pol, self->e.data, &test_resolver, p + 1, diag, &img));
		fclose(diag);
		rand_nat64(&self->e);
		ASSERT_EQ(0, sg_image_set_nat64(img, self->e.nat64, NR_NAT64));
		ASSERT_EQ(0, sg_image_publish(bpf_map__fd(self->e.skel->maps.sg_policy), img, &live));

		for (t = 0; t < per && done < total; t++, done++) {
			static const struct subject subjects[] = {
				{ "/", -1, 0, 0 },
				{ "/system.slice/a.service", 0, 0, 0 },
				{ "/system.slice/a.service/sub", 1, 1000, 100 },
				{ "/system.slice/b.service", 2, 1000, 0 },
				{ "/user.slice/user-1000.slice/s.scope", 0, 1000, 100 },
				{ "/system.slice", -1, 1, 100 },
			};
			const struct subject *s = &subjects[rndn(ARRAY_SIZE(subjects))];
			struct sg_subject_info si;
			struct sg_decision ref;
			struct sg_answer ans = {};
			struct sg_query q = {};
			struct in6_addr a, v4;
			__u32 kret, want, want_rule;
			static const __u8 protos[] = { SG_PROTO_TCP, SG_PROTO_UDP, SG_PROTO_UDPLITE,
						       SG_PROTO_ICMP, SG_PROTO_RAW };
			/* the IP protocol numbers of each: ICMPv6 is icmp, GRE and SCTP raw */
			static const __u8 icmps[] = { 1, 58 }, raws[] = { 47, 132, 253 };
			__u8 proto = protos[rndn(5)];
			__u16 port = rndn(3) ? rndn(65536) : 1 + rndn(1100);
			int kind;

			rand_addr(&self->e, &a);
			fill_subject(&self->e, s, &q, &si);
			if (!memcmp(a.s6_addr, v4mapped, 12) && rndn(2)) {
				q.family = SG_AF_INET;	/* as the programs pass it */
				memcpy(q.addr, &a.s6_addr[12], 4);
				kinds[0]++;
			} else {
				q.family = SG_AF_INET6;
				memcpy(q.addr, a.s6_addr, 16);
				kinds[1]++;
			}
			q.port = port;
			q.protocol = proto == SG_PROTO_TCP ? 6 : proto == SG_PROTO_UDP ? 17 :
				     proto == SG_PROTO_UDPLITE ? 136 :
				     proto == SG_PROTO_ICMP ? icmps[rndn(2)] : raws[rndn(3)];

			kind = sg_ref_embedded(&a, self->e.nat64, NR_NAT64, &v4);
			ekinds[kind]++;
			if (kind >= SG_EMBED_REFUSE) {
				ref = (struct sg_decision){ .verdict = SG_VERDICT_DENY, .rule = -1 };
				want_rule = SG_RULE_REFUSED;
			} else {
				ASSERT_EQ(0, sg_ref_decide(pol, self->e.data, &si, kind ? &v4 : &a,
							   port, proto, &ref));
				want_rule = ref.rule < 0 ? SG_RULE_DEFAULT : (__u32)ref.rule;
			}
			ASSERT_EQ(0, sg_image_decide(img, &q, &ans));
			ASSERT_EQ(0, kernel_decide(&self->e, &q, &kret));
			want = ref.verdict | ((want_rule == SG_RULE_DEFAULT ? 0 : want_rule + 1) << 2) |
			       ((p + 1) << 16);
			if (kret != want || ans.verdict != (__u32)ref.verdict || ans.rule != want_rule ||
			    ans.embed != (__u32)(q.family == SG_AF_INET ? 0 : kind)) {
				char as[INET6_ADDRSTRLEN];

				if (bad++ < 5) {
					inet_ntop(AF_INET6, &a, as, sizeof(as));
					TH_LOG("policy %u: %s port %u proto %u subject %s: reference %d/%d, "
					       "image %u/%d, kernel %#x (want %#x)", p, as, port, proto,
					       s->cgroup, ref.verdict, ref.rule, ans.verdict,
					       (int)ans.rule, kret, want);
				}
			}
			kinds[2] += ref.rule >= 0;
			kinds[3 + ref.verdict]++;
		}
		sg_live_release(&live);
		sg_image_free(img);
		sg_policy_free(pol);
	}
	free(diagbuf);
	TH_LOG("%lu tuples (%lu IPv4, %lu IPv6; %lu decided by a rule; %lu allow, %lu deny, "
	       "%lu audit), %lu disagreements", done, kinds[0], kinds[1], kinds[2], kinds[3],
	       kinds[4], kinds[5], bad);
	TH_LOG("embedded: %lu mapped, %lu NAT64, %lu 6to4, %lu local-use NAT64, %lu Teredo",
	       ekinds[SG_EMBED_MAPPED], ekinds[SG_EMBED_NAT64], ekinds[SG_EMBED_6TO4],
	       ekinds[SG_EMBED_NAT64_LOCAL], ekinds[SG_EMBED_TEREDO]);
	EXPECT_EQ(0UL, bad);
	EXPECT_EQ(total, done);
	for (int k = SG_EMBED_MAPPED; k < SG_EMBED_KINDS; k++)
		EXPECT_GT(ekinds[k], done / 100);
	/* A test whose tuples all fall to the default would prove little. */
	EXPECT_GT(kinds[2], done / 10);
	EXPECT_LT(kinds[2], done - done / 10);
	EXPECT_GT(kinds[3], done / 20);
	EXPECT_GT(kinds[4], done / 20);
	EXPECT_GT(kinds[5], done / 20);
}

/*
 * The subject table at its limit: SG_SUBJECTS_MAX uid and gid atoms drawn at
 * random (so that many share hash blocks and probe on), each the only
 * subject of its rule. Every atom finds its own rule, in userspace and in
 * the kernel, and ids that are no atom find none.
 */
TEST_F(diff, full_subject_table)
{
	static char rules[1 << 20];
	static __u32 ids[SG_SUBJECTS_MAX];
	struct sg_live live = { .fd = -1 };
	struct sg_policy *pol = NULL;
	struct sg_image *img = NULL;
	unsigned int i, j, bad = 0, n = SG_RULES_MAX;
	size_t at = 0;

	ASSERT_EQ(0, make_data(&self->e, stderr));
	for (i = 0; i < n; i++) {
		do {	/* distinct ids, odd: even ids are the misses below */
			ids[i] = (rnd() % 4000000) | 1;
			for (j = 0; j < i && ids[j] != ids[i]; j++)
				;
		} while (j < i);
		at += snprintf(rules + at, sizeof(rules) - at, "%s %s %u\n",
			       i % 3 ? "deny" : "audit", i % 2 ? "gid" : "uid", ids[i]);
	}
	ASSERT_EQ(0, publish_rules(&self->e, rules, 7, &pol, &img, &live));

	for (i = 0; i < 2 * n; i++) {
		struct sg_query q = { .family = SG_AF_INET, .protocol = 6, .port = 443 };
		unsigned int r = i / 2;
		struct sg_answer ans;
		__u32 id = i % 2 ? ids[r] : ids[r] + 1, kret, want_rule, want_verdict;

		q.addr[0] = 9;
		if (r % 2)
			q.gid = id;
		else
			q.uid = id;
		want_rule = i % 2 ? r : SG_RULE_DEFAULT;
		want_verdict = i % 2 ? (r % 3 ? SG_VERDICT_DENY : SG_VERDICT_AUDIT) :
				       SG_VERDICT_ALLOW;
		ASSERT_EQ(0, sg_image_decide(img, &q, &ans));
		ASSERT_EQ(0, kernel_decide(&self->e, &q, &kret));
		if (ans.rule != want_rule || ans.verdict != want_verdict ||
		    kret != (want_verdict | (i % 2 ? (r + 1) << 2 : 0) | 7 << 16)) {
			if (bad++ < 5)
				TH_LOG("%s %u: image rule %d verdict %u, kernel %#x; want rule %d",
				       r % 2 ? "gid" : "uid", id, (int)ans.rule, ans.verdict, kret,
				       (int)want_rule);
		}
	}
	EXPECT_EQ(0U, bad);
	sg_live_release(&live);
	sg_image_free(img);
	sg_policy_free(pol);
}

/*
 * IPv4 /16s crowded with networks, so that their ranges form a leaf or a
 * tree of every height the image uses (up to 65536 ranges in one /16:
 * height 3): 10.1/16 with 12 networks, 10.2/16 with 400, 10.3/16 with
 * 6000, 10.4/16 with every address a network of its own. Neighbours
 * alternate between countries that rules tell apart, so no two merge.
 * Every address of those /16s, and of the /16s around them, is decided
 * in userspace against the reference, and one in five also in the kernel.
 */
TEST_F(diff, dense_networks_agree)
{
	static const unsigned int counts[] = { 12, 400, 6000, 65536 };
	static const char *const cc[] = { "DE", "FR", "NL", "AT" };
	static const struct subject subj = { "/", -1, 0, 0 };
	struct sg_live live = { .fd = -1 };
	struct sg_policy *pol = NULL;
	struct sg_image *img = NULL;
	struct sg_load_opts opts = { .kind = SG_SRC_CIDR, .unsigned_data = SG_UNSIGNED_UNSIGNABLE };
	const char *rules = "deny to de\naudit to fr\nallow to nl port 443\ndeny to nl\n"
			    "default allow\n";
	unsigned long checked = 0, in_kernel = 0, bad = 0;
	const struct sg_v4_node *root;
	char path[128];
	unsigned int b, i, x;
	FILE *f;

	snprintf(path, sizeof(path), "%s/dense.cidr", self->e.dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	for (b = 0; b < ARRAY_SIZE(counts); b++) {
		unsigned int n = counts[b], step = 65536 / n;

		for (i = 0; i < n; i++) {
			/* network i: a random length that fits its share of the /16 */
			unsigned int at = i * step, len = 32;

			while (len > 16 && (1u << (33 - len)) <= step && !(at & ((1u << (33 - len)) - 1)))
				len--;
			if (rndn(2) && len < 32)
				len += rndn(33 - len);
			fprintf(f, "10.%u.%u.%u/%u %s\n", b + 1, at >> 8, at & 255, len,
				cc[i % ARRAY_SIZE(cc)]);
		}
	}
	fclose(f);
	sg_data_free(self->e.data);
	self->e.data = NULL;
	ASSERT_EQ(0, sg_data_new(&self->e.data));
	ASSERT_EQ(0, sg_data_load(self->e.data, path, &opts, stderr));
	ASSERT_EQ(0, sg_data_finish(self->e.data));
	ASSERT_EQ(0, publish_rules(&self->e, rules, 9, &pol, &img, &live));
	/* the /16 of every address a network: the tallest tree there is */
	root = (const struct sg_v4_node *)&img->blk[((const __u32 *)&img->blk[SG_IMG_V4_INDEX])
						   [10 << 8 | 4]];
	EXPECT_EQ(3, root->height);

	for (b = 0; b <= ARRAY_SIZE(counts) + 1; b++) {
		for (x = 0; x < 65536; x++) {
			struct in6_addr a = { .s6_addr = { [10] = 0xff, [11] = 0xff, [12] = 10,
							   [13] = b, [14] = x >> 8, [15] = x } };
			struct sg_subject_info si;
			struct sg_query q = {};
			struct sg_decision ref;
			struct sg_answer ans;
			__u16 port = x % 3 ? 443 : 80;
			__u32 kret, want;

			fill_subject(&self->e, &subj, &q, &si);
			q.family = SG_AF_INET;
			memcpy(q.addr, &a.s6_addr[12], 4);
			q.port = port;
			q.protocol = 6;
			ASSERT_EQ(0, sg_ref_decide(pol, self->e.data, &si, &a, port, SG_PROTO_TCP,
						   &ref));
			ASSERT_EQ(0, sg_image_decide(img, &q, &ans));
			want = ref.verdict | ((ref.rule < 0 ? 0 : ref.rule + 1) << 2) | 9 << 16;
			kret = want;
			if (x % 5 == b % 5) {
				ASSERT_EQ(0, kernel_decide(&self->e, &q, &kret));
				in_kernel++;
			}
			checked++;
			if (kret != want || ans.verdict != (__u32)ref.verdict ||
			    (ref.rule < 0 ? ans.rule != SG_RULE_DEFAULT :
					    ans.rule != (__u32)ref.rule)) {
				if (bad++ < 5)
					TH_LOG("10.%u.%u.%u port %u: reference %d/%d, image %u/%d, "
					       "kernel %#x (want %#x)", b, x >> 8, x & 255, port,
					       ref.verdict, ref.rule, ans.verdict, (int)ans.rule,
					       kret, want);
			}
		}
	}
	TH_LOG("%lu addresses, %lu of them in the kernel, %lu disagreements", checked,
	       in_kernel, bad);
	EXPECT_EQ(0UL, bad);
	sg_live_release(&live);
	sg_image_free(img);
	sg_policy_free(pol);
}

TEST_HARNESS_MAIN
