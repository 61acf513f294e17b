// SPDX-License-Identifier: GPL-2.0
/*
 * The DNS answer parser for observation records. Its input comes from any
 * process that can send a datagram from port 53 to a guarded socket: every
 * length and pointer is checked against the message, names follow at most
 * SG_DNS_HOPS_MAX compression pointers, and only backwards.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define SG_DNS_HDR		12
#define SG_DNS_TYPE_A		1
#define SG_DNS_TYPE_AAAA	28
#define SG_DNS_CLASS_IN		1
#define SG_DNS_FLAG_QR		0x8000
#define SG_DNS_FLAG_TC		0x0200

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/*
 * The name at *@off: written to @out (may be NULL) in presentation form,
 * *@off moved past it in the message. Return: 0 or -EBADMSG.
 */
static int read_name(const __u8 *msg, size_t len, size_t *off, char *out)
{
	size_t pos = *off, at = 0, end = 0;
	unsigned int hops = 0;

	for (;;) {
		__u8 l;

		if (pos >= len)
			return -EBADMSG;
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= len || ++hops > SG_DNS_HOPS_MAX)
				return -EBADMSG;
			to = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
			if (!end)
				end = pos + 2;
			if (to >= pos)	/* only backwards: no loops */
				return -EBADMSG;
			pos = to;
			continue;
		}
		if (l & 0xc0)
			return -EBADMSG;	/* extended label types */
		if (!l) {
			pos++;
			break;
		}
		if (pos + 1 + l > len || at + l + 1 > SG_DNS_NAME_MAX)
			return -EBADMSG;
		if (out) {
			size_t i;

			if (at)
				out[at++] = '.';
			for (i = 0; i < l; i++) {
				char c = (char)msg[pos + 1 + i];

				out[at++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
			}
		} else {
			at += l + 1;
		}
		pos += 1 + (size_t)l;
	}
	if (out)
		out[at] = '\0';
	*off = end ? end : pos;
	return 0;
}

/**
 * sg_dns_parse() - the question and the A/AAAA records of a DNS response.
 * @msg: the message (no TCP length prefix).
 * @ret: filled on success; untouched on failure.
 *
 * A response must have one question; answers of other types (CNAME and
 * the like) are skipped, addresses past SG_DNS_ADDRS_MAX counted as
 * truncated.
 *
 * Return: 0, or -EBADMSG for anything that is not a well-formed response.
 */
int sg_dns_parse(const __u8 *msg, size_t len, struct sg_dns_answer *ret)
{
	struct sg_dns_answer a;
	unsigned int qd, an, i;
	size_t off = SG_DNS_HDR;
	__u16 flags;

	if (!msg || len < SG_DNS_HDR)
		return -EBADMSG;
	memset(&a, 0, sizeof(a));
	a.id = get16(msg);
	flags = get16(msg + 2);
	qd = get16(msg + 4);
	an = get16(msg + 6);
	if (!(flags & SG_DNS_FLAG_QR) || qd != 1)
		return -EBADMSG;
	a.rcode = flags & 0xf;
	a.truncated = !!(flags & SG_DNS_FLAG_TC);
	if (read_name(msg, len, &off, a.name) || off + 4 > len)
		return -EBADMSG;
	a.qtype = get16(msg + off);
	off += 4;
	for (i = 0; i < an; i++) {
		__u16 type, class, rdlen;
		__u32 ttl;

		if (read_name(msg, len, &off, NULL) || off + 10 > len)
			return -EBADMSG;
		type = get16(msg + off);
		class = get16(msg + off + 2);
		ttl = get32(msg + off + 4);
		rdlen = get16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			return -EBADMSG;
		if (class == SG_DNS_CLASS_IN &&
		    ((type == SG_DNS_TYPE_A && rdlen == 4) ||
		     (type == SG_DNS_TYPE_AAAA && rdlen == 16))) {
			if (a.nr_addrs < SG_DNS_ADDRS_MAX) {
				struct sg_dns_addr *d = &a.addrs[a.nr_addrs++];

				d->family = type == SG_DNS_TYPE_A ? AF_INET : AF_INET6;
				memcpy(d->addr, msg + off, rdlen);
				d->ttl = ttl;
			} else {
				a.truncated = 1;
			}
		} else if ((type == SG_DNS_TYPE_A || type == SG_DNS_TYPE_AAAA) &&
			   class == SG_DNS_CLASS_IN) {
			return -EBADMSG;	/* an address of the wrong size */
		}
		off += rdlen;
	}
	*ret = a;
	return 0;
}
