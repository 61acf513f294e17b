// SPDX-License-Identifier: GPL-2.0
/*
 * The bypass suite: every route around the destination decision that
 * docs/design.md ("Routes") lists, tried from the guarded cgroup, each
 * asserted refused (EPERM); its allowed counterpart, where the route has
 * one, gets as far as the missing route (ENETUNREACH) or succeeds
 * (a socket option).
 *
 * Topology: each try is a child that joins the test cgroup, then unshares
 * its network namespace, where only lo exists and is up:
 *
 *   test cgroup (sovguardd of the test attached)
 *     child: unshare(CLONE_NEWNET), lo up
 *       socket(); [setsockopt(route)]; connect() or sendto() a public address
 *         -> EPERM (refused by sovguard) or ENETUNREACH (allowed: no route)
 *
 * No packet leaves the machine: the namespace has no route but lo's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/types.h>

#include "kselftest_harness.h"
#include "sovguard_egress.h"
#include "sg_test.h"
#include "sg_child.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE		136
#endif
#ifndef IPV6_2292PKTOPTIONS
#define IPV6_2292PKTOPTIONS	6
#endif

/* 1.1.1.0/24 and 2606:4700::/32 are denied, 8.8.8.0/24 for UDP only. */
#define POLICY		"deny to 1.1.1.0/24, 2606:4700::/32\ndeny to 8.8.8.0/24 udp\n"
#define NAT64_CONF	"nat64_prefix = 2001:db8:64::/96\nnat64_prefix = 2001:db8:6400::/48\n"

#define DENY4		"1.1.1.1"
#define ALLOW4		"9.9.9.9"
#define DENY6		"2606:4700::1111"
#define ALLOW6		"2620:fe::fe"

enum route_opt {
	OPT_NONE,
	OPT_RTHDR,		/* IPV6_RTHDR, segment routing: hops in the option */
	OPT_PKTOPTIONS,		/* IPV6_2292PKTOPTIONS carrying a routing header */
	OPT_LSRR,		/* IP_OPTIONS, loose source route via the hops */
};

struct try {
	const char *addr;	/* the destination */
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
	int protocol;		/* 0, or IPPROTO_UDPLITE */
	bool sendto;		/* sendto() rather than connect() */
	enum route_opt opt;
	const char *hops[2];	/* addresses the route option names */
};

/* A segment routing header naming @hops (final destination first). */
static size_t make_srh(const char *const hops[2], __u8 *buf)
{
	unsigned int n = hops[1] ? 2 : 1, i;

	memset(buf, 0, 8 + 16 * n);
	buf[0] = IPPROTO_UDP;	/* next header */
	buf[1] = 2 * n;		/* length in 8 bytes, the first 8 not counted */
	buf[2] = 4;		/* type 4: segment routing */
	buf[3] = n - 1;		/* segments left */
	buf[4] = n - 1;		/* last entry */
	for (i = 0; i < n; i++)
		if (inet_pton(AF_INET6, hops[i], buf + 8 + 16 * i) != 1)
			return 0;
	return 8 + 16 * n;
}

/* The option and its errno, or 0; the child's exit status. */
static int set_route(int fd, const struct try *t)
{
	__u8 buf[256] = {};
	size_t len;
	int r = 0;

	switch (t->opt) {
	case OPT_NONE:
		return 0;
	case OPT_RTHDR:
		len = make_srh(t->hops, buf);
		if (!len)
			return 210;
		r = setsockopt(fd, IPPROTO_IPV6, IPV6_RTHDR, buf, len);
		break;
	case OPT_PKTOPTIONS: {
		struct cmsghdr *c = (struct cmsghdr *)buf;

		len = make_srh(t->hops, CMSG_DATA(c));
		if (!len)
			return 210;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_RTHDR;
		c->cmsg_len = CMSG_LEN(len);
		r = setsockopt(fd, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, buf, CMSG_SPACE(len));
		break;
	}
	case OPT_LSRR:
		/* NOP, LSRR(len 11, pointer 4, two hops), END */
		buf[0] = 1;
		buf[1] = 131;
		buf[2] = 11;
		buf[3] = 4;
		if (inet_pton(AF_INET, t->hops[0], buf + 4) != 1 ||
		    inet_pton(AF_INET, t->hops[1], buf + 8) != 1)
			return 210;
		r = setsockopt(fd, IPPROTO_IP, IP_OPTIONS, buf, 12);
		break;
	}
	return r < 0 ? errno : 0;
}

static int do_try(const struct try *t)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *in = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;
	socklen_t len;
	int fd, r;

	if (inet_pton(AF_INET, t->addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(443);
		len = sizeof(*in);
	} else if (inet_pton(AF_INET6, t->addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(443);
		len = sizeof(*in6);
	} else {
		return 200;
	}
	fd = socket(ss.ss_family, t->type | SOCK_CLOEXEC, t->protocol);
	if (fd < 0)
		return 201;
	r = set_route(fd, t);
	if (r)
		return r;
	if (t->sendto)
		r = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len);
	else
		r = connect(fd, (struct sockaddr *)&ss, len);
	return r < 0 ? errno : 0;
}

/* Run @t in a child in @cgroup and an empty network namespace: its errno. */
static int try_route(const char *cgroup, const struct try *t)
{
	int pid, status;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sg_child_enter(cgroup, true);
		_exit(do_try(t));
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status) >= 200 ? -WEXITSTATUS(status) : WEXITSTATUS(status);
}

#define TCP(a)		((struct try){ .addr = (a), .type = SOCK_STREAM })
#define UDPLITE(a, s)	((struct try){ .addr = (a), .type = SOCK_DGRAM, \
				       .protocol = IPPROTO_UDPLITE, .sendto = (s) })

FIXTURE(bypass)
{
	struct sg_testenv env;
};

FIXTURE_SETUP(bypass)
{
	ASSERT_EQ(0, sg_testenv_init(&self->env, "bypass"));
	ASSERT_EQ(0, sg_testenv_write_config(&self->env, NAT64_CONF));
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, POLICY));
	ASSERT_EQ(0, sg_testenv_start(&self->env));
}

FIXTURE_TEARDOWN(bypass)
{
	sg_testenv_cleanup(&self->env);
}

/* Already closed: ::ffff:a.b.c.d is IPv4. */
TEST_F(bypass, ipv4_mapped)
{
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &TCP("::ffff:" DENY4)));
	EXPECT_EQ(ENETUNREACH, try_route(self->env.cgroup, &TCP("::ffff:" ALLOW4)));
}

TEST_F(bypass, nat64_well_known)
{
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &TCP("64:ff9b::" DENY4)));
	EXPECT_EQ(ENETUNREACH, try_route(self->env.cgroup, &TCP("64:ff9b::" ALLOW4)));
}

/* nat64_prefix of the configuration, /96 and /48 (bits 64-71 skipped). */
TEST_F(bypass, nat64_configured)
{
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &TCP("2001:db8:64::" DENY4)));
	EXPECT_EQ(ENETUNREACH, try_route(self->env.cgroup, &TCP("2001:db8:64::" ALLOW4)));
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &TCP("2001:db8:6400:101:1:100::")));
	EXPECT_EQ(ENETUNREACH, try_route(self->env.cgroup, &TCP("2001:db8:6400:909:9:900::")));
}

/* The local-use prefix with no configured length in it: refused. */
TEST_F(bypass, nat64_local_unconfigured)
{
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &TCP("64:ff9b:1::" ALLOW4)));
}

TEST_F(bypass, six_to_four)
{
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &TCP("2002:101:101::1")));
	EXPECT_EQ(ENETUNREACH, try_route(self->env.cgroup, &TCP("2002:909:909::1")));
}

/* Teredo is refused whatever its server and client (docs/design.md). */
TEST_F(bypass, teredo)
{
	/* server 9.9.9.9, client 1.1.1.1 (obfuscated: fefe:fefe) */
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &TCP("2001:0:909:909::fefe:fefe")));
	/* server and client 9.9.9.9 */
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &TCP("2001:0:909:909::f6f6:f6f6")));
}

/*
 * `udp` names UDP-Lite too: a rule denying udp denies it. Its connect() is
 * not seen by the connect hooks (the kernel's UDP-Lite has no pre_connect):
 * docs/design.md, "Routes".
 */
TEST_F(bypass, udplite)
{
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &UDPLITE("8.8.8.8", true)));
	EXPECT_EQ(ENETUNREACH, try_route(self->env.cgroup, &UDPLITE(ALLOW4, true)));
	/* the rule names udp only: TCP to the same network goes */
	EXPECT_EQ(ENETUNREACH, try_route(self->env.cgroup, &TCP("8.8.8.8")));
}

TEST_F(bypass, ipv6_routing_header)
{
	struct try t = { .addr = ALLOW6, .type = SOCK_DGRAM, .sendto = true,
			 .opt = OPT_RTHDR, .hops = { ALLOW6, DENY6 } };

	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &t));
	t.hops[1] = "2620:fe::9";
	EXPECT_EQ(ENETUNREACH, try_route(self->env.cgroup, &t));
}

TEST_F(bypass, ipv6_2292_pktoptions)
{
	struct try t = { .addr = ALLOW6, .type = SOCK_DGRAM, .sendto = true,
			 .opt = OPT_PKTOPTIONS, .hops = { ALLOW6, "2620:fe::9" } };

	/* refused whatever its hops: the obsolete API's routing header */
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &t));
}

TEST_F(bypass, ipv4_source_route)
{
	struct try t = { .addr = ALLOW4, .type = SOCK_DGRAM, .sendto = true,
			 .opt = OPT_LSRR, .hops = { DENY4, ALLOW4 } };

	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &t));
	t.hops[0] = "9.9.9.10";
	EXPECT_EQ(ENETUNREACH, try_route(self->env.cgroup, &t));
	t.hops[0] = ALLOW4;
	t.hops[1] = DENY4;
	EXPECT_EQ(EPERM, try_route(self->env.cgroup, &t));
}

/* sovguardctl check explains what an address embeds, and decides it so. */
TEST_F(bypass, check_explains_embedded)
{
	char out[8192];

	ASSERT_EQ(0, sg_testenv_control(&self->env,
					"{\"cmd\":\"check\",\"addr\":\"64:ff9b::" DENY4 "\"}",
					out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "\"kind\":\"nat64\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"ipv4\":\"" DENY4 "\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"verdict\":\"deny\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"country\":\"AU\"")) TH_LOG("%s", out);

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "check 2001:0:909:909::f6f6:f6f6", out,
				    sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "deny by rule refused")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "embeds IPv4 9.9.9.9 (teredo): refused")) TH_LOG("%s", out);

	ASSERT_EQ(0, sg_testenv_ctl(&self->env, "check ::ffff:" ALLOW4, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "embeds IPv4 " ALLOW4 " (mapped): decided as")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "allow")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
