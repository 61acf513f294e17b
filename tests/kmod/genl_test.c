// SPDX-License-Identifier: GPL-2.0
/*
 * The "sovguard" generic netlink family, spoken to in raw netlink so that
 * every byte of a malformed request is the test's choice: each command's
 * happy path, EPERM without CAP_NET_ADMIN and for root in a user namespace,
 * EINVAL with an extended ack for malformed, unknown and oversized
 * attributes, EOPNOTSUPP for unknown commands, the scan dump and the events
 * group. Loads sovguard.ko from $SG_BUILD/kmod/<release>/ when needed.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/types.h>

#include "kselftest_harness.h"
#include "uapi/sovguard.h"

#define BUF_SIZE 65536

struct nlreq {
	char buf[BUF_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *nest[4];
	int depth;
};

struct nlres {
	int err;			/* 0 or -errno from the ack */
	char msg[256];			/* NLMSGERR_ATTR_MSG */
	int offs;			/* NLMSGERR_ATTR_OFFS, -1 if none */
	int miss_type;			/* NLMSGERR_ATTR_MISS_TYPE, -1 if none */
	char reply[BUF_SIZE];		/* last reply message (do) */
	int nreplies;			/* messages received before the ack */
	char dump[BUF_SIZE * 4];	/* all replies, back to back (dump) */
	int dump_len;
};

static int sg_family;

static void req_init(struct nlreq *r, int cmd, int flags)
{
	struct genlmsghdr *g;

	memset(r->buf, 0, NLMSG_SPACE(GENL_HDRLEN));
	r->nlh = (struct nlmsghdr *)r->buf;
	r->nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh->nlmsg_type = sg_family;
	r->nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nlh->nlmsg_seq = 1;
	g = NLMSG_DATA(r->nlh);
	g->cmd = cmd;
	g->version = SOVGUARD_GENL_VERSION;
	r->depth = 0;
}

static struct nlattr *req_put(struct nlreq *r, int type, const void *data, int len)
{
	struct nlattr *a = (struct nlattr *)(r->buf + NLMSG_ALIGN(r->nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh->nlmsg_len = NLMSG_ALIGN(r->nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void req_u32(struct nlreq *r, int type, __u32 v)
{
	req_put(r, type, &v, sizeof(v));
}

static void req_u64(struct nlreq *r, int type, __u64 v)
{
	req_put(r, type, &v, sizeof(v));
}

static void req_u8(struct nlreq *r, int type, __u8 v)
{
	req_put(r, type, &v, sizeof(v));
}

static void req_nest(struct nlreq *r, int type)
{
	r->nest[r->depth++] = req_put(r, type | NLA_F_NESTED, NULL, 0);
}

static void req_nest_end(struct nlreq *r)
{
	struct nlattr *a = r->nest[--r->depth];

	a->nla_len = r->buf + r->nlh->nlmsg_len - (char *)a;
}

static void req_prefix(struct nlreq *r, int family, const char *addr, int len)
{
	unsigned char a[16];

	inet_pton(family, addr, a);
	req_nest(r, SOVGUARD_A_ALLOW_ENTRY);
	req_u8(r, SOVGUARD_PREFIX_FAMILY, family);
	req_put(r, SOVGUARD_PREFIX_ADDR, a, family == AF_INET ? 4 : 16);
	req_u8(r, SOVGUARD_PREFIX_LEN, len);
	req_nest_end(r);
}

static int nl_socket(void)
{
	int fd, one = 1;
	struct timeval tv = { .tv_sec = 5 };

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void parse_ack(struct nlres *res, struct nlmsghdr *nlh)
{
	struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off = sizeof(*e);
	struct nlattr *a;
	int rem;

	res->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	off = NLMSG_ALIGN(off);
	rem = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;
	for (a = (struct nlattr *)((char *)e + off); rem >= NLA_HDRLEN && a->nla_len <= rem;
	     rem -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		void *d = (char *)a + NLA_HDRLEN;

		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(res->msg, sizeof(res->msg), "%s", (char *)d);
		else if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_OFFS)
			res->offs = *(__u32 *)d;
		else if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MISS_TYPE)
			res->miss_type = *(__u32 *)d;
		if (a->nla_len < NLA_HDRLEN)
			break;
	}
}

/* Send one request on fd and collect replies until the ack or NLMSG_DONE. */
static int nl_xfer(int fd, struct nlreq *r, struct nlres *res)
{
	static char rbuf[BUF_SIZE];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n;

	memset(res, 0, offsetof(struct nlres, reply));
	res->offs = -1;
	res->miss_type = -1;
	res->dump_len = 0;
	if (sendto(fd, r->buf, r->nlh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *nlh;

		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				parse_ack(res, nlh);
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			res->nreplies++;
			memcpy(res->reply, nlh, nlh->nlmsg_len);
			if (res->dump_len + nlh->nlmsg_len <= sizeof(res->dump)) {
				memcpy(res->dump + res->dump_len, nlh, nlh->nlmsg_len);
				res->dump_len += NLMSG_ALIGN(nlh->nlmsg_len);
			}
		}
	}
}

static int resolve_family(void)
{
	struct nlreq *r = calloc(1, sizeof(*r));
	struct nlres *res = calloc(1, sizeof(*res));
	struct nlmsghdr *nlh;
	struct nlattr *a;
	int fd, rem, id = -ENOENT;

	fd = nl_socket();
	if (fd < 0 || !r || !res)
		goto out;
	req_init(r, CTRL_CMD_GETFAMILY, 0);
	r->nlh->nlmsg_type = GENL_ID_CTRL;
	req_put(r, CTRL_ATTR_FAMILY_NAME, SOVGUARD_GENL_NAME, sizeof(SOVGUARD_GENL_NAME));
	if (nl_xfer(fd, r, res) || res->err || !res->nreplies)
		goto out;
	nlh = (struct nlmsghdr *)res->reply;
	rem = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	for (a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN); rem >= NLA_HDRLEN;
	     rem -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			id = *(__u16 *)((char *)a + NLA_HDRLEN);
out:
	if (fd >= 0)
		close(fd);
	free(r);
	free(res);
	return id;
}

/* Top-level attribute of a reply message. */
static struct nlattr *msg_attr(const void *msg, int type)
{
	const struct nlmsghdr *nlh = msg;
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	int rem = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN;
	     rem -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
	return NULL;
}

static struct nlattr *nest_attr(const struct nlattr *nest, int type)
{
	struct nlattr *a = (struct nlattr *)((char *)nest + NLA_HDRLEN);
	int rem = nest->nla_len - NLA_HDRLEN;

	for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN;
	     rem -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
	return NULL;
}

#define ATTR_U32(a) ((int)*(__u32 *)((char *)(a) + NLA_HDRLEN))
#define ATTR_U64(a) (*(__u64 *)((char *)(a) + NLA_HDRLEN))
#define ATTR_STR(a) ((char *)(a) + NLA_HDRLEN)

static int load_module(void)
{
	const char *build = getenv("SG_BUILD");
	char cmd[4096];
	struct utsname u;

	if (resolve_family() > 0)
		return 0;
	if (!build || uname(&u))
		return -ENOENT;
	snprintf(cmd, sizeof(cmd), "insmod %s/kmod/%s/sovguard.ko", build, u.release);
	if (system(cmd))
		return -EIO;
	return 0;
}

/* Leave the module as we found it: unload it if this test loaded it. */
static int sg_was_loaded = -1;

static void __attribute__((constructor)) sg_note_loaded(void)
{
	sg_was_loaded = resolve_family() > 0;
}

static void __attribute__((destructor)) sg_restore_loaded(void)
{
	if (sg_was_loaded == 0 && resolve_family() > 0 && system("rmmod sovguard"))
		fprintf(stderr, "# rmmod sovguard failed\n");
}

static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].inheritable &= ~(1u << (CAP_NET_ADMIN % 32));
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

FIXTURE(sg)
{
	int fd;
	struct nlreq *r;
	struct nlres *res;
};

FIXTURE_SETUP(sg)
{
	ASSERT_EQ(0, load_module()) TH_LOG("sovguard.ko not loaded and not loadable");
	sg_family = resolve_family();
	ASSERT_LT(0, sg_family);
	self->fd = nl_socket();
	ASSERT_LE(0, self->fd);
	self->r = calloc(1, sizeof(*self->r));
	self->res = calloc(1, sizeof(*self->res));
	ASSERT_NE(NULL, self->r);
	ASSERT_NE(NULL, self->res);
}

FIXTURE_TEARDOWN(sg)
{
	/* Leave the module as a fresh load would: audit, closed, no lease. */
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(self->r, SOVGUARD_A_MODE, SOVGUARD_MODE_AUDIT);
	req_u32(self->r, SOVGUARD_A_FAIL_MODE, SOVGUARD_FAIL_CLOSED);
	nl_xfer(self->fd, self->r, self->res);
	req_init(self->r, SOVGUARD_CMD_LEASE_RELEASE, 0);
	nl_xfer(self->fd, self->r, self->res);
	req_init(self->r, SOVGUARD_CMD_ALLOW_SET, 0);
	req_nest(self->r, SOVGUARD_A_ALLOW_LIST);
	req_nest_end(self->r);
	nl_xfer(self->fd, self->r, self->res);
	close(self->fd);
	free(self->r);
	free(self->res);
}

static int do_status(int fd, struct nlreq *r, struct nlres *res)
{
	req_init(r, SOVGUARD_CMD_STATUS_GET, 0);
	if (nl_xfer(fd, r, res))
		return -EIO;
	return res->err;
}

TEST_F(sg, status)
{
	struct nlattr *a;

	ASSERT_EQ(0, do_status(self->fd, self->r, self->res));
	ASSERT_EQ(1, self->res->nreplies);
	a = msg_attr(self->res->reply, SOVGUARD_A_VERSION);
	ASSERT_NE(NULL, a);
	EXPECT_LT(0U, strlen(ATTR_STR(a)));
	a = msg_attr(self->res->reply, SOVGUARD_A_MODE);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(SOVGUARD_MODE_AUDIT, ATTR_U32(a));
	a = msg_attr(self->res->reply, SOVGUARD_A_LEASE_STATE);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(SOVGUARD_LEASE_NONE, ATTR_U32(a));
	a = msg_attr(self->res->reply, SOVGUARD_A_GUARD_STATE);
	ASSERT_NE(NULL, a);
	EXPECT_EQ(SOVGUARD_GUARD_IDLE, ATTR_U32(a));
	a = msg_attr(self->res->reply, SOVGUARD_A_COUNTERS);
	ASSERT_NE(NULL, a);
	EXPECT_NE(NULL, nest_attr(a, SOVGUARD_CNT_PACKETS));
	/* status takes no attributes */
	req_init(self->r, SOVGUARD_CMD_STATUS_GET, 0);
	req_u32(self->r, SOVGUARD_A_MODE, 1);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
}

TEST_F(sg, mode_set)
{
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(self->r, SOVGUARD_A_MODE, SOVGUARD_MODE_ENFORCE);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(self->r, SOVGUARD_A_FAIL_MODE, SOVGUARD_FAIL_OPEN);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	ASSERT_EQ(0, do_status(self->fd, self->r, self->res));
	EXPECT_EQ(SOVGUARD_MODE_ENFORCE, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_MODE)));
	EXPECT_EQ(SOVGUARD_FAIL_OPEN, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_FAIL_MODE)));
}

/* Each malformed request: EINVAL, a message, and the offending attribute. */
TEST_F(sg, malformed)
{
	struct nlattr *bad;
	__u8 big[32] = { 0 };

	/* no attribute at all */
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_STREQ("MODE or FAIL_MODE required", self->res->msg);

	/* value out of range */
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	bad = req_put(self->r, SOVGUARD_A_MODE, &(__u32){ 9 }, 4);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_LT(0U, strlen(self->res->msg));
	EXPECT_EQ((char *)bad - self->r->buf, self->res->offs);
	TH_LOG("out of range: %s", self->res->msg);

	/* wrong length */
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	bad = req_put(self->r, SOVGUARD_A_MODE, &(__u8){ 1 }, 1);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_LT(0U, strlen(self->res->msg));
	EXPECT_EQ((char *)bad - self->r->buf, self->res->offs);

	/* unknown attribute type */
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(self->r, SOVGUARD_A_MODE, SOVGUARD_MODE_AUDIT);
	bad = req_put(self->r, 200, &(__u32){ 0 }, 4);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_LT(0U, strlen(self->res->msg));
	EXPECT_EQ((char *)bad - self->r->buf, self->res->offs);

	/* known attribute that this command does not take */
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(self->r, SOVGUARD_A_MODE, SOVGUARD_MODE_AUDIT);
	bad = req_put(self->r, SOVGUARD_A_VERSION, "x", 2);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_EQ((char *)bad - self->r->buf, self->res->offs);

	/* lease timeout below and above the limits */
	req_init(self->r, SOVGUARD_CMD_LEASE_RENEW, 0);
	bad = req_put(self->r, SOVGUARD_A_LEASE_TIMEOUT_MS,
		      &(__u32){ SOVGUARD_LEASE_TIMEOUT_MIN_MS - 1 }, 4);
	req_u64(self->r, SOVGUARD_A_GENERATION, 1);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_EQ((char *)bad - self->r->buf, self->res->offs);
	req_init(self->r, SOVGUARD_CMD_LEASE_RENEW, 0);
	req_u32(self->r, SOVGUARD_A_LEASE_TIMEOUT_MS, SOVGUARD_LEASE_TIMEOUT_MAX_MS + 1);
	req_u64(self->r, SOVGUARD_A_GENERATION, 1);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_LT(0U, strlen(self->res->msg));

	/* required attribute missing */
	req_init(self->r, SOVGUARD_CMD_LEASE_RENEW, 0);
	req_u32(self->r, SOVGUARD_A_LEASE_TIMEOUT_MS, 1000);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_STREQ("GENERATION required", self->res->msg);
	EXPECT_EQ(SOVGUARD_A_GENERATION, self->res->miss_type);

	/* oversized binary attribute */
	req_init(self->r, SOVGUARD_CMD_ALLOW_SET, 0);
	req_nest(self->r, SOVGUARD_A_ALLOW_LIST);
	req_nest(self->r, SOVGUARD_A_ALLOW_ENTRY);
	req_u8(self->r, SOVGUARD_PREFIX_FAMILY, AF_INET6);
	bad = req_put(self->r, SOVGUARD_PREFIX_ADDR, big, sizeof(big));
	req_u8(self->r, SOVGUARD_PREFIX_LEN, 64);
	req_nest_end(self->r);
	req_nest_end(self->r);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_LT(0U, strlen(self->res->msg));
	EXPECT_EQ((char *)bad - self->r->buf, self->res->offs);

	/* non-zero reserved header field */
	req_init(self->r, SOVGUARD_CMD_STATUS_GET, 0);
	((struct genlmsghdr *)NLMSG_DATA(self->r->nlh))->reserved = 1;
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
}

TEST_F(sg, unknown_command)
{
	req_init(self->r, 99, 0);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EOPNOTSUPP, self->res->err);
	req_init(self->r, SOVGUARD_CMD_EVENT, 0);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EOPNOTSUPP, self->res->err);
	req_init(self->r, SOVGUARD_CMD_UNSPEC, 0);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EOPNOTSUPP, self->res->err);
}

TEST_F(sg, lease)
{
	struct nlattr *a;

	req_init(self->r, SOVGUARD_CMD_LEASE_RENEW, 0);
	req_u32(self->r, SOVGUARD_A_LEASE_TIMEOUT_MS, 60000);
	req_u64(self->r, SOVGUARD_A_GENERATION, 0x1234567890ull);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	ASSERT_EQ(0, do_status(self->fd, self->r, self->res));
	EXPECT_EQ(SOVGUARD_LEASE_VALID, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_LEASE_STATE)));
	EXPECT_EQ(0x1234567890ull, ATTR_U64(msg_attr(self->res->reply, SOVGUARD_A_GENERATION)));
	EXPECT_EQ(getpid(), ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_DAEMON_PID)));
	EXPECT_EQ(60000, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_LEASE_TIMEOUT_MS)));
	a = msg_attr(self->res->reply, SOVGUARD_A_LEASE_REMAINING_MS);
	ASSERT_NE(NULL, a);
	EXPECT_LT(50000, ATTR_U32(a));

	req_init(self->r, SOVGUARD_CMD_LEASE_RELEASE, 0);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	ASSERT_EQ(0, do_status(self->fd, self->r, self->res));
	EXPECT_EQ(SOVGUARD_LEASE_NONE, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_LEASE_STATE)));
	EXPECT_EQ(SOVGUARD_GUARD_IDLE, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_GUARD_STATE)));
}

TEST_F(sg, lease_lapse)
{
	/* enforce + closed: a lapsed lease engages the guard, renewal releases it */
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(self->r, SOVGUARD_A_MODE, SOVGUARD_MODE_ENFORCE);
	req_u32(self->r, SOVGUARD_A_FAIL_MODE, SOVGUARD_FAIL_CLOSED);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	req_init(self->r, SOVGUARD_CMD_LEASE_RENEW, 0);
	req_u32(self->r, SOVGUARD_A_LEASE_TIMEOUT_MS, 200);
	req_u64(self->r, SOVGUARD_A_GENERATION, 3);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	usleep(600 * 1000);
	ASSERT_EQ(0, do_status(self->fd, self->r, self->res));
	EXPECT_EQ(SOVGUARD_LEASE_EXPIRED, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_LEASE_STATE)));
	EXPECT_EQ(SOVGUARD_GUARD_ENGAGED, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_GUARD_STATE)));
	EXPECT_NE(NULL, msg_attr(self->res->reply, SOVGUARD_A_LEASE_EXPIRED_MS));

	/* open: the same lapse only counts */
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(self->r, SOVGUARD_A_FAIL_MODE, SOVGUARD_FAIL_OPEN);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, do_status(self->fd, self->r, self->res));
	EXPECT_EQ(SOVGUARD_GUARD_OPEN, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_GUARD_STATE)));

	req_init(self->r, SOVGUARD_CMD_LEASE_RENEW, 0);
	req_u64(self->r, SOVGUARD_A_GENERATION, 4);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	ASSERT_EQ(0, do_status(self->fd, self->r, self->res));
	EXPECT_EQ(SOVGUARD_LEASE_VALID, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_LEASE_STATE)));
	EXPECT_EQ(SOVGUARD_GUARD_IDLE, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_GUARD_STATE)));
}

TEST_F(sg, allow_list)
{
	struct nlattr *list, *e;
	int i, n = 0;

	req_init(self->r, SOVGUARD_CMD_ALLOW_SET, 0);
	req_nest(self->r, SOVGUARD_A_ALLOW_LIST);
	req_prefix(self->r, AF_INET, "192.0.2.0", 24);
	req_prefix(self->r, AF_INET6, "2001:db8::", 32);
	req_nest_end(self->r);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err) TH_LOG("%s", self->res->msg);

	req_init(self->r, SOVGUARD_CMD_ALLOW_GET, 0);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	list = msg_attr(self->res->reply, SOVGUARD_A_ALLOW_LIST);
	ASSERT_NE(NULL, list);
	for (e = (struct nlattr *)((char *)list + NLA_HDRLEN);
	     (char *)e < (char *)list + list->nla_len;
	     e = (struct nlattr *)((char *)e + NLA_ALIGN(e->nla_len))) {
		struct nlattr *len = nest_attr(e, SOVGUARD_PREFIX_LEN);

		ASSERT_NE(NULL, len);
		EXPECT_EQ(n ? 32 : 24, *((__u8 *)len + NLA_HDRLEN));
		n++;
	}
	EXPECT_EQ(2, n);
	ASSERT_EQ(0, do_status(self->fd, self->r, self->res));
	EXPECT_EQ(2, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_ALLOW_COUNT)));

	/* host bits beyond the prefix */
	req_init(self->r, SOVGUARD_CMD_ALLOW_SET, 0);
	req_nest(self->r, SOVGUARD_A_ALLOW_LIST);
	req_prefix(self->r, AF_INET, "192.0.2.1", 24);
	req_nest_end(self->r);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_LT(0U, strlen(self->res->msg));

	/* prefix longer than the family allows */
	req_init(self->r, SOVGUARD_CMD_ALLOW_SET, 0);
	req_nest(self->r, SOVGUARD_A_ALLOW_LIST);
	req_prefix(self->r, AF_INET, "192.0.2.0", 33);
	req_nest_end(self->r);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);

	/* unsupported family */
	req_init(self->r, SOVGUARD_CMD_ALLOW_SET, 0);
	req_nest(self->r, SOVGUARD_A_ALLOW_LIST);
	req_nest(self->r, SOVGUARD_A_ALLOW_ENTRY);
	req_u8(self->r, SOVGUARD_PREFIX_FAMILY, 3);
	req_put(self->r, SOVGUARD_PREFIX_ADDR, "\0\0\0\0", 4);
	req_u8(self->r, SOVGUARD_PREFIX_LEN, 0);
	req_nest_end(self->r);
	req_nest_end(self->r);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_STREQ("family must be AF_INET or AF_INET6", self->res->msg);

	/* more than SOVGUARD_ALLOW_MAX prefixes */
	req_init(self->r, SOVGUARD_CMD_ALLOW_SET, 0);
	req_nest(self->r, SOVGUARD_A_ALLOW_LIST);
	for (i = 0; i <= SOVGUARD_ALLOW_MAX; i++)
		req_prefix(self->r, AF_INET, "198.51.100.0", 24);
	req_nest_end(self->r);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	EXPECT_EQ(-EINVAL, self->res->err);
	EXPECT_LT(0U, strlen(self->res->msg));

	/* a failed set leaves the list as it was */
	ASSERT_EQ(0, do_status(self->fd, self->r, self->res));
	EXPECT_EQ(2, ATTR_U32(msg_attr(self->res->reply, SOVGUARD_A_ALLOW_COUNT)));
}

TEST_F(sg, scan)
{
	struct nlmsghdr *nlh;
	int len, own = 0, total = 0;

	req_init(self->r, SOVGUARD_CMD_SCAN, NLM_F_DUMP);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	len = self->res->dump_len;
	for (nlh = (struct nlmsghdr *)self->res->dump; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		struct nlattr *h = msg_attr(nlh, SOVGUARD_A_HOOK), *o, *p;

		ASSERT_NE(NULL, h);
		total++;
		o = nest_attr(h, SOVGUARD_HOOK_OWNER_NAME);
		p = nest_attr(h, SOVGUARD_HOOK_PRIORITY);
		ASSERT_NE(NULL, p);
		ASSERT_NE(NULL, nest_attr(h, SOVGUARD_HOOK_OWNER_KIND));
		if (o && !strcmp(ATTR_STR(o), "sovguard")) {
			EXPECT_EQ(NF_INET_LOCAL_OUT, ATTR_U32(nest_attr(h, SOVGUARD_HOOK_NUM)));
			EXPECT_EQ(SOVGUARD_OWNER_MODULE,
				  ATTR_U32(nest_attr(h, SOVGUARD_HOOK_OWNER_KIND)));
			own++;
		}
	}
	EXPECT_EQ(2, own);	/* IPv4 and IPv6 LOCAL_OUT */
	EXPECT_LE(2, total);
}

TEST_F(sg, events)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int grp = 0, ev, fd = -1, lapsed = 0, engaged;
	char buf[8192];
	ssize_t n;

	/* group id from the controller: CTRL_ATTR_MCAST_GROUPS */
	{
		struct nlattr *groups, *g;

		req_init(self->r, CTRL_CMD_GETFAMILY, 0);
		self->r->nlh->nlmsg_type = GENL_ID_CTRL;
		req_put(self->r, CTRL_ATTR_FAMILY_NAME, SOVGUARD_GENL_NAME,
			sizeof(SOVGUARD_GENL_NAME));
		ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
		groups = msg_attr(self->res->reply, CTRL_ATTR_MCAST_GROUPS);
		ASSERT_NE(NULL, groups);
		g = (struct nlattr *)((char *)groups + NLA_HDRLEN);
		ASSERT_STREQ(SOVGUARD_MCGRP_EVENTS, ATTR_STR(nest_attr(g, CTRL_ATTR_MCAST_GRP_NAME)));
		grp = ATTR_U32(nest_attr(g, CTRL_ATTR_MCAST_GRP_ID));
	}
	fd = nl_socket();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)));

	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(self->r, SOVGUARD_A_MODE, SOVGUARD_MODE_OFF);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);

	n = recv(fd, buf, sizeof(buf), 0);
	ASSERT_LT(0, n);
	ASSERT_EQ(SOVGUARD_CMD_EVENT, ((struct genlmsghdr *)NLMSG_DATA((struct nlmsghdr *)buf))->cmd);
	ev = ATTR_U32(msg_attr(buf, SOVGUARD_A_EVENT));
	EXPECT_EQ(SOVGUARD_EVENT_MODE, ev);
	EXPECT_EQ(SOVGUARD_MODE_OFF, ATTR_U32(msg_attr(buf, SOVGUARD_A_MODE)));

	/* a lease that lapses in enforce/closed: lease and guard announced */
	req_init(self->r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(self->r, SOVGUARD_A_MODE, SOVGUARD_MODE_ENFORCE);
	req_u32(self->r, SOVGUARD_A_FAIL_MODE, SOVGUARD_FAIL_CLOSED);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	req_init(self->r, SOVGUARD_CMD_LEASE_RENEW, 0);
	req_u32(self->r, SOVGUARD_A_LEASE_TIMEOUT_MS, 150);
	req_u64(self->r, SOVGUARD_A_GENERATION, 11);
	ASSERT_EQ(0, nl_xfer(self->fd, self->r, self->res));
	ASSERT_EQ(0, self->res->err);
	engaged = 0;
	while (!engaged && (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (ATTR_U32(msg_attr(buf, SOVGUARD_A_EVENT)) == SOVGUARD_EVENT_LEASE &&
		    ATTR_U32(msg_attr(buf, SOVGUARD_A_LEASE_STATE)) == SOVGUARD_LEASE_EXPIRED)
			lapsed = 1;
		if (ATTR_U32(msg_attr(buf, SOVGUARD_A_EVENT)) == SOVGUARD_EVENT_GUARD &&
		    ATTR_U32(msg_attr(buf, SOVGUARD_A_GUARD_STATE)) == SOVGUARD_GUARD_ENGAGED) {
			engaged = 1;
			EXPECT_EQ(11, (int)ATTR_U64(msg_attr(buf, SOVGUARD_A_GENERATION)));
		}
	}
	EXPECT_EQ(1, lapsed);
	EXPECT_EQ(1, engaged);
	close(fd);
}

/*
 * Every mutating command, the scan and the events group refused; status
 * and the allow-list still readable. Runs in a child with @setup applied.
 */
static int unprivileged_child(int (*setup)(void))
{
	struct nlreq *r = calloc(1, sizeof(*r));
	struct nlres *res = calloc(1, sizeof(*res));
	int fd, grp, bad = 0;

	if (!r || !res)
		return 100;
	if (setup())
		return errno == EPERM ? 77 : 100;
	fd = nl_socket();
	if (fd < 0)
		return 101;

#define EXPECT_ERR(want, what) do {						\
		if (nl_xfer(fd, r, res) || res->err != (want)) {		\
			fprintf(stderr, "# %s: got %d, want %d\n", what,	\
				res->err, want);				\
			bad++;							\
		}								\
	} while (0)

	req_init(r, SOVGUARD_CMD_STATUS_GET, 0);
	EXPECT_ERR(0, "status");
	req_init(r, SOVGUARD_CMD_ALLOW_GET, 0);
	EXPECT_ERR(0, "allow get");
	req_init(r, SOVGUARD_CMD_MODE_SET, 0);
	req_u32(r, SOVGUARD_A_MODE, SOVGUARD_MODE_OFF);
	EXPECT_ERR(-EPERM, "mode set");
	req_init(r, SOVGUARD_CMD_LEASE_RENEW, 0);
	req_u64(r, SOVGUARD_A_GENERATION, 1);
	EXPECT_ERR(-EPERM, "lease renew");
	req_init(r, SOVGUARD_CMD_LEASE_RELEASE, 0);
	EXPECT_ERR(-EPERM, "lease release");
	req_init(r, SOVGUARD_CMD_ALLOW_SET, 0);
	req_nest(r, SOVGUARD_A_ALLOW_LIST);
	req_nest_end(r);
	EXPECT_ERR(-EPERM, "allow set");
	req_init(r, SOVGUARD_CMD_SCAN, NLM_F_DUMP);
	EXPECT_ERR(-EPERM, "scan");
	grp = -1;
	{
		struct nlattr *groups;

		req_init(r, CTRL_CMD_GETFAMILY, 0);
		r->nlh->nlmsg_type = GENL_ID_CTRL;
		req_put(r, CTRL_ATTR_FAMILY_NAME, SOVGUARD_GENL_NAME, sizeof(SOVGUARD_GENL_NAME));
		groups = NULL;
		if (!nl_xfer(fd, r, res) && res->nreplies)
			groups = msg_attr(res->reply, CTRL_ATTR_MCAST_GROUPS);
		if (groups)
			grp = ATTR_U32(nest_attr((struct nlattr *)((char *)groups + NLA_HDRLEN),
						 CTRL_ATTR_MCAST_GRP_ID));
	}
	if (grp <= 0 || !setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) ||
	    errno != EPERM) {
		fprintf(stderr, "# events group: subscribed or wrong error (grp %d)\n", grp);
		bad++;
	}
#undef EXPECT_ERR
	close(fd);
	return bad;
}

static int run_child(int (*setup)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unprivileged_child(setup));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int setup_no_net_admin(void)
{
	return drop_net_admin();
}

static int setup_userns_root(void)
{
	/* EPERM here: a chroot, where the kernel refuses user namespaces */
	return unshare(CLONE_NEWUSER) ? -errno : 0;
}

TEST_F(sg, eperm_without_cap_net_admin)
{
	EXPECT_EQ(0, run_child(setup_no_net_admin));
}

TEST_F(sg, eperm_user_namespace_root)
{
	int rc = run_child(setup_userns_root);

	if (rc == 77)
		SKIP(return, "cannot create a user namespace here (chroot)");
	EXPECT_EQ(0, rc);
}

TEST_HARNESS_MAIN
