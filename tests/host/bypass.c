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
 *
 * The packet-level routes (ping and raw sockets, other protocols,
 * connected UDP-Lite, source routes as ancillary data) need a packet that
 * is routed: their child puts the test world's addresses on its own lo
 * (the denied ones and the allowed ones), so a packet the backstop lets
 * through is delivered inside the namespace and answered there:
 *
 *     child: unshare(CLONE_NEWNET), lo up with 1.1.1.1, 9.9.9.9, 8.8.8.8,
 *            194.0.0.1, 193.0.6.1, 2606:4700::1111, 2620:fe::fe
 *       ping / raw / UDP-Lite / sendmsg(cmsg) to one of them
 *         -> EPERM (dropped by cgroup_skb/egress) or delivered (allowed)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <sys/time.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/types.h>
#include <linux/mptcp.h>
#include <sys/prctl.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sovguard_egress.h"
#include "sg_test.h"
#include "sg_child.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE		136
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP		262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP		284
#endif
#ifndef IPV6_2292PKTOPTIONS
#define IPV6_2292PKTOPTIONS	6
#endif

/*
 * 1.1.1.0/24 and 2606:4700::/32 are denied, 8.8.8.0/24 for UDP only,
 * 194.0.0.0/16 for ICMP only, 193.0.6.0/24 for the protocols without a
 * table of their own (raw).
 */
#define POLICY		"deny to 1.1.1.0/24, 2606:4700::/32\ndeny to 8.8.8.0/24 udp\n" \
			"deny to 194.0.0.0/16 icmp\ndeny to 193.0.6.0/24 raw\n" \
			"deny uid 65534 to 9.9.9.0/24 icmp\ndeny gid 65533 socket raw, ping\n" \
			"deny uid 65534 to " MPTCP_ADD4 "/32 port 4433 tcp\n"
/*
 * The address an MPTCP peer announces: port 4433 there denied to uid 65534,
 * not to a kworker. Only that port: the listener's side, in the same
 * namespace, gets the address announced too and may open a subflow to it
 * on the client's port.
 */
#define MPTCP_ADD4	"9.9.9.8"
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

/* ---- the packet-level backstop (cgroup_skb/egress) ------------------------ */

enum pkt_kind {
	PKT_PING,		/* ping socket: echo request, then the reply */
	PKT_RAW_HDRINCL,	/* IPPROTO_RAW: a hand-built UDP datagram to .hdr_dst */
	PKT_RAW_PROTO,		/* SOCK_RAW of protocol .proto */
	PKT_UDPLITE_CONNECTED,	/* connect(), then send() */
	PKT_UDP_CMSG_LSRR,	/* sendmsg() with an IP_RETOPTS cmsg: LSRR via .hop */
	PKT_UDP_ERROR,		/* connected UDP to a closed port: the ICMP error */
	PKT_TCP,		/* TCP to a listener of the namespace */
	PKT_SOCKET_ONLY,	/* socket() only: SOCK_RAW of .proto */
};

struct pkt {
	enum pkt_kind kind;
	const char *addr;
	const char *hdr_dst;	/* PKT_RAW_HDRINCL: the header's destination */
	const char *hop;	/* PKT_UDP_CMSG_LSRR */
	int proto;
	uid_t uid;		/* the socket's creator, when not 0 */
	gid_t gid;		/* its group, when not 0 (uid 0 keeps CAP_NET_RAW) */
	int type;		/* PKT_SOCKET_ONLY: SOCK_DGRAM (ping) or SOCK_RAW (0) */
};

static const char *const world4[] = { DENY4, ALLOW4, "8.8.8.8", "194.0.0.1", "193.0.6.1" };
static const char *const world6[] = { DENY6, ALLOW6, "64:ff9b::" DENY4 };

static int world_up(void)
{
	char cmd[256];
	unsigned int i;
	FILE *f;

	for (i = 0; i < sizeof(world4) / sizeof(world4[0]); i++)
		if (sg_child_host_add(world4[i]))
			return 204;
	for (i = 0; i < sizeof(world6) / sizeof(world6[0]); i++) {
		snprintf(cmd, sizeof(cmd), "ip -6 addr add %s/128 dev lo nodad 2>/dev/null",
			 world6[i]);
		if (system(cmd))
			return 205;
	}
	/* ping sockets for every group of this namespace */
	f = fopen("/proc/sys/net/ipv4/ping_group_range", "w");
	if (!f || fputs("0 2147483647\n", f) < 0 || fclose(f))
		return 206;
	return 0;
}

static int sa_of(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return AF_INET6;
	}
	return -1;
}

static void rcv_timeout(int fd)
{
	struct timeval tv = { .tv_sec = 1 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* An echo request through a ping socket; 0 once its reply is back. */
static int pkt_ping(const struct sockaddr_storage *ss, socklen_t len, int fam)
{
	__u8 msg[16] = {}, buf[256];
	int fd;

	fd = socket(fam, SOCK_DGRAM, fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return 207;
	msg[0] = fam == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	memcpy(msg + 8, "payload!", 8);
	rcv_timeout(fd);
	if (sendto(fd, msg, sizeof(msg), 0, (const struct sockaddr *)ss, len) < 0)
		return errno;
	if (recv(fd, buf, sizeof(buf), 0) < 0)
		return errno;
	return 0;
}

/* IPv4 and UDP headers by hand, to @dst, sent to @ss. */
static int pkt_hdrincl(const struct sockaddr_storage *ss, socklen_t len, const char *dst)
{
	struct {
		struct iphdr ip;
		struct udphdr udp;
		char data[4];
	} __attribute__((packed)) p = {};
	int fd;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		return 207;
	p.ip.version = 4;
	p.ip.ihl = 5;
	p.ip.ttl = 64;
	p.ip.protocol = IPPROTO_UDP;
	p.ip.tot_len = htons(sizeof(p));
	if (inet_pton(AF_INET, "127.0.0.1", &p.ip.saddr) != 1 ||
	    inet_pton(AF_INET, dst, &p.ip.daddr) != 1)
		return 200;
	p.udp.source = htons(4000);
	p.udp.dest = htons(53);
	p.udp.len = htons(sizeof(p.udp) + sizeof(p.data));
	memcpy(p.data, "data", 4);
	if (sendto(fd, &p, sizeof(p), 0, (const struct sockaddr *)ss, len) < 0)
		return errno;
	return 0;
}

static int pkt_cmsg_lsrr(const struct sockaddr_storage *ss, socklen_t len, const char *hop)
{
	char cbuf[CMSG_SPACE(12)] = {};
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr m = { .msg_name = (void *)ss, .msg_namelen = len, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	__u8 *o = CMSG_DATA(c);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 207;
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_RETOPTS;
	c->cmsg_len = CMSG_LEN(12);
	/* NOP, LSRR(len 7, pointer 4, one hop), then END padding */
	o[0] = 1;
	o[1] = 131;
	o[2] = 7;
	o[3] = 4;
	if (inet_pton(AF_INET, hop, o + 4) != 1)
		return 200;
	if (sendmsg(fd, &m, 0) < 0)
		return errno;
	return 0;
}

static int do_pkt(const struct pkt *t)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen;
	char buf[64];
	int fam, fd, lfd, r;

	r = world_up();
	if (r)
		return r;
	if (t->gid && setresgid(t->gid, t->gid, t->gid))
		return 210;
	if (t->uid && (setresgid(t->uid, t->uid, t->uid) || setresuid(t->uid, t->uid, t->uid)))
		return 210;
	/* port 0: a raw IPv6 socket takes sin6_port for its protocol */
	fam = sa_of(t->addr, t->kind == PKT_RAW_PROTO ? 0 : 4433, &ss, &len);
	if (fam < 0)
		return 200;
	switch (t->kind) {
	case PKT_PING:
		return pkt_ping(&ss, len, fam);
	case PKT_RAW_HDRINCL:
		return pkt_hdrincl(&ss, len, t->hdr_dst);
	case PKT_RAW_PROTO:
		fd = socket(fam, SOCK_RAW, t->proto);
		if (fd < 0)
			return 207;
		return sendto(fd, "data", 4, 0, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
	case PKT_UDPLITE_CONNECTED:
		/* a receiver of its own, so that the datagram is delivered when allowed */
		lfd = socket(fam, SOCK_DGRAM, IPPROTO_UDPLITE);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) < 0)
			return 208;
		fd = socket(fam, SOCK_DGRAM, IPPROTO_UDPLITE);
		if (fd < 0)
			return 207;
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			return 209;	/* not refused here: UDP-Lite has no pre_connect */
		if (send(fd, "x", 1, 0) < 0)
			return errno;
		rcv_timeout(lfd);
		return recv(lfd, buf, sizeof(buf), 0) < 0 ? errno : 0;
	case PKT_UDP_CMSG_LSRR:
		return pkt_cmsg_lsrr(&ss, len, t->hop);
	case PKT_UDP_ERROR:
		fd = socket(fam, SOCK_DGRAM, 0);
		if (fd < 0)
			return 207;
		rcv_timeout(fd);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0 || send(fd, "x", 1, 0) < 0)
			return errno;
		r = recv(fd, buf, sizeof(buf), 0);
		return r < 0 ? errno : 0;
	case PKT_TCP:
		lfd = socket(fam, SOCK_STREAM, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) < 0 || listen(lfd, 1) < 0)
			return 208;
		fd = socket(fam, SOCK_STREAM, 0);
		if (fd < 0)
			return 207;
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			return errno;
		plen = sizeof(peer);
		return accept(lfd, (struct sockaddr *)&peer, &plen) < 0 ? errno : 0;
	case PKT_SOCKET_ONLY:
		fd = socket(fam, t->type ? t->type : SOCK_RAW, t->proto);
		return fd < 0 ? errno : 0;
	}
	return 200;
}

static int try_pkt(const char *cgroup, const struct pkt *t)
{
	int pid, status;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sg_child_enter(cgroup, true);
		_exit(do_pkt(t));
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status) >= 200 ? -WEXITSTATUS(status) : WEXITSTATUS(status);
}

static __u64 counter(struct sg_testenv *env, unsigned int idx)
{
	__u64 v = 0;

	sg_testenv_counter(env, idx, &v);
	return v;
}

/*
 * A ping socket's echo request: decided as icmp to its destination. IPv4
 * gives the sender EPERM; the kernel's ICMPv6 ping drops the error of its
 * send, so there the request is dropped and counted, and no reply comes.
 */
TEST_F(bypass, ping_socket)
{
	__u64 denied = counter(&self->env, SG_CNT_DENY);
	int i, r = -1;

	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_PING, .addr = DENY4 }));
	EXPECT_EQ(denied + 1, counter(&self->env, SG_CNT_DENY));
	EXPECT_EQ(EAGAIN, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_PING, .addr = DENY6 }));
	EXPECT_EQ(denied + 2, counter(&self->env, SG_CNT_DENY));
	/*
	 * Embedded IPv4 is decided as the IPv4 address, for ICMPv6 too. Now and
	 * then this request leaves no decision and no reply (seen once in
	 * seven runs, cause not known yet): a few tries until one is counted.
	 */
	for (i = 0; i < 3 && counter(&self->env, SG_CNT_DENY) == denied + 2; i++)
		r = try_pkt(self->env.cgroup,
			    &(struct pkt){ .kind = PKT_PING, .addr = "64:ff9b::" DENY4 });
	EXPECT_EQ(EAGAIN, r);
	EXPECT_EQ(denied + 3, counter(&self->env, SG_CNT_DENY));
	/* allowed: the echo reply comes back */
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_PING, .addr = ALLOW4 }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_PING, .addr = ALLOW6 }));
	EXPECT_EQ(denied + 3, counter(&self->env, SG_CNT_DENY));
}

/*
 * The subject of a packet is the socket's creator, recorded at socket():
 * a uid rule decides ping sockets too.
 */
TEST_F(bypass, ping_subject)
{
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup,
				 &(struct pkt){ .kind = PKT_PING, .addr = ALLOW4, .uid = 65534 }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_PING, .addr = ALLOW4 }));
}

/* `icmp` names ICMP alone; `udp` does not name it. */
TEST_F(bypass, icmp_rule)
{
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_PING, .addr = "194.0.0.1" }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_TCP, .addr = "194.0.0.1" }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_PING, .addr = "8.8.8.8" }));
}

/* IPPROTO_RAW: the header's destination and protocol decide, not sendto's. */
TEST_F(bypass, raw_hdrincl)
{
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup,
				 &(struct pkt){ .kind = PKT_RAW_HDRINCL, .addr = ALLOW4, .hdr_dst = DENY4 }));
	/* hand-built UDP is udp: 8.8.8.0/24 is denied for udp */
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup,
				 &(struct pkt){ .kind = PKT_RAW_HDRINCL, .addr = ALLOW4, .hdr_dst = "8.8.8.8" }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup,
			     &(struct pkt){ .kind = PKT_RAW_HDRINCL, .addr = ALLOW4, .hdr_dst = ALLOW4 }));
}

/* A protocol no socket hook sees (253, for experiments): decided as raw. */
TEST_F(bypass, unknown_protocol)
{
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_RAW_PROTO, .addr = DENY4,
								   .proto = 253 }));
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_RAW_PROTO, .addr = DENY6,
								   .proto = 253 }));
	/* `raw` names it, not ICMP or TCP */
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_RAW_PROTO, .addr = "193.0.6.1",
								   .proto = 253 }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_PING, .addr = "193.0.6.1" }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_RAW_PROTO, .addr = ALLOW4,
							       .proto = 253 }));
}

/* UDP-Lite has no pre_connect: its connected sends are decided per packet. */
TEST_F(bypass, udplite_connected)
{
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_UDPLITE_CONNECTED, .addr = "8.8.8.8" }));
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_UDPLITE_CONNECTED, .addr = DENY6 }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_UDPLITE_CONNECTED, .addr = ALLOW4 }));
}

/* A source route as ancillary data: every hop, at packet level. */
TEST_F(bypass, ipv4_source_route_cmsg)
{
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_UDP_CMSG_LSRR, .addr = ALLOW4,
								   .hop = DENY4 }));
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_UDP_CMSG_LSRR, .addr = DENY4,
								   .hop = ALLOW4 }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_UDP_CMSG_LSRR, .addr = ALLOW4,
							       .hop = "9.9.9.9" }));
}

/*
 * `deny gid 65533 socket raw, ping`: socket() refused for that group (uid 0
 * keeps CAP_NET_RAW, so only the rule can refuse), created for others.
 */
TEST_F(bypass, socket_rule)
{
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_SOCKET_ONLY,
		.addr = ALLOW4, .proto = 253, .gid = 65533 }));
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_SOCKET_ONLY,
		.addr = ALLOW6, .proto = IPPROTO_ICMPV6, .gid = 65533 }));
	EXPECT_EQ(EPERM, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_SOCKET_ONLY,
		.addr = ALLOW4, .proto = IPPROTO_ICMP, .type = SOCK_DGRAM, .gid = 65533 }));
	/* other sockets of the group, and raw sockets of other groups */
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_SOCKET_ONLY,
		.addr = ALLOW4, .proto = IPPROTO_UDP, .type = SOCK_DGRAM, .gid = 65533 }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_SOCKET_ONLY,
		.addr = ALLOW4, .proto = 253 }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_SOCKET_ONLY,
		.addr = ALLOW4, .proto = IPPROTO_ICMP, .type = SOCK_DGRAM }));
}

/* What allowed flows get back still arrives: errors, and TCP works. */
TEST_F(bypass, allowed_flows_unchanged)
{
	int i, r = -1;

	EXPECT_EQ(ECONNREFUSED, try_pkt(self->env.cgroup,
					&(struct pkt){ .kind = PKT_UDP_ERROR, .addr = ALLOW4 }));
	/* the kernel's ICMP errors share a host-wide rate limit: a few tries */
	for (i = 0; i < 3 && r != ECONNREFUSED; i++)
		r = try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_UDP_ERROR, .addr = ALLOW6 });
	EXPECT_EQ(ECONNREFUSED, r);
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_TCP, .addr = ALLOW4 }));
	EXPECT_EQ(0, try_pkt(self->env.cgroup, &(struct pkt){ .kind = PKT_TCP, .addr = ALLOW6 }));
}

/*
 * MPTCP in the child's namespace: a listener on 0.0.0.0:4433 (root), whose
 * in-kernel path manager announces MPTCP_ADD4 (endpoint "signal", limits on
 * both ends: one namespace), and a client of @uid connecting to @dst. The
 * client's path manager opens the additional subflow to the announced
 * address from a kworker. Returns the client's additional subflows after
 * up to 3 s (0: none opened), or the connect's errno.
 */
static int do_mptcp(const char *dst, uid_t uid)
{
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(4433) };
	struct sockaddr_storage ss;
	struct mptcp_info info;
	socklen_t len, ilen;
	char buf[8];
	int lfd, fd, afd, i;

	if (world_up() || sg_child_host_add(MPTCP_ADD4))
		return 204;
	if (system("ip mptcp limits set subflows 2 add_addr_accepted 2") ||
	    system("ip mptcp endpoint add " MPTCP_ADD4 " dev lo signal"))
		return 211;
	prctl(PR_SET_NAME, "sg-mptcp");
	lfd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&any, sizeof(any)) < 0 || listen(lfd, 4) < 0)
		return 208;
	if (uid && (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
		return 210;
	if (sa_of(dst, 4433, &ss, &len) != AF_INET)
		return 200;
	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	if (fd < 0)
		return 207;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		return errno;
	/* data both ways: the connection is fully established, the address announced */
	afd = accept(lfd, NULL, NULL);
	if (afd < 0 || send(fd, "x", 1, 0) != 1 || recv(afd, buf, 1, 0) != 1 ||
	    send(afd, "y", 1, 0) != 1 || recv(fd, buf, 1, 0) != 1)
		return 212;
	for (i = 0; i < 30; i++) {
		struct timespec ts = { .tv_nsec = 100000000 };

		memset(&info, 0, sizeof(info));
		ilen = sizeof(info);
		if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &ilen) < 0)
			return 213;
		if (info.mptcpi_subflows)
			break;
		nanosleep(&ts, NULL);
	}
	return info.mptcpi_subflows;
}

static int try_mptcp(const char *cgroup, const char *dst, uid_t uid, int *ret_pid)
{
	int pid, status;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sg_child_enter(cgroup, true);
		_exit(do_mptcp(dst, uid));
	}
	*ret_pid = pid;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status) >= 200 ? -WEXITSTATUS(status) : WEXITSTATUS(status);
}

/*
 * MPTCP subflows are decided for the MPTCP socket's owner: the first one
 * (connected in the owner's task) and the one the path manager opens from
 * a kworker to the address the peer announces. `deny uid 65534 to
 * MPTCP_ADD4` does not match a kworker (uid 0): decided by the current
 * task, that subflow would be opened. The owner is named in the event.
 */
TEST_F(bypass, mptcp_subflow_owner)
{
	__u64 denied = counter(&self->env, SG_CNT_DENY);
	char line[128];
	int pid = 0;

	if (access("/proc/sys/net/mptcp/enabled", F_OK))
		SKIP(return, "no MPTCP in this kernel");
	/* the scenario builds: root's client gets its additional subflow */
	ASSERT_EQ(1, try_mptcp(self->env.cgroup, ALLOW4, 0, &pid));
	/* the first subflow, connected by the owner */
	EXPECT_EQ(EPERM, try_mptcp(self->env.cgroup, MPTCP_ADD4, 65534, &pid));
	EXPECT_EQ(denied + 1, counter(&self->env, SG_CNT_DENY));
	/* the announced address, connected from a kworker */
	EXPECT_EQ(0, try_mptcp(self->env.cgroup, ALLOW4, 65534, &pid));
	EXPECT_EQ(denied + 2, counter(&self->env, SG_CNT_DENY));
	snprintf(line, sizeof(line), MPTCP_ADD4 " port 4433 by sg-mptcp[%d] uid 65534", pid);
	for (int i = 0; i < 20 && !sg_testenv_log_has(&self->env, line); i++)
		usleep(100000);
	EXPECT_TRUE(sg_testenv_log_has(&self->env, line));
}

/*
 * The same with a cgroup rule: the subflow is decided in the cgroup the
 * MPTCP socket was created in, which the kworker is not in. Root's client
 * in a child cgroup that `deny cgroup` names.
 */
TEST_F(bypass, mptcp_subflow_cgroup)
{
	__u64 denied = counter(&self->env, SG_CNT_DENY);
	char sub[4200], rules[8192];
	int pid = 0;

	if (access("/proc/sys/net/mptcp/enabled", F_OK))
		SKIP(return, "no MPTCP in this kernel");
	snprintf(sub, sizeof(sub), "%s/mptcp", self->env.cgroup);
	ASSERT_EQ(0, mkdir(sub, 0755));
	snprintf(rules, sizeof(rules), "deny cgroup %s/mptcp to " MPTCP_ADD4 "/32 port 4433 tcp\n%s",
		 strrchr(self->env.cgroup, '/'), POLICY);
	ASSERT_EQ(0, sg_testenv_write_rules(&self->env, rules));
	ASSERT_EQ(0, sg_testenv_reload(&self->env));
	EXPECT_EQ(1, try_mptcp(self->env.cgroup, ALLOW4, 0, &pid));
	EXPECT_EQ(denied, counter(&self->env, SG_CNT_DENY));
	EXPECT_EQ(0, try_mptcp(sub, ALLOW4, 0, &pid));
	EXPECT_EQ(denied + 1, counter(&self->env, SG_CNT_DENY));
	rmdir(sub);
}

TEST_HARNESS_MAIN
