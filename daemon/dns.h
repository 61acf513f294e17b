/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS answers as the observation reports them (SG_OBS_DNS records): the
 * question's name, and the addresses with their TTLs.
 */
#ifndef SG_DNS_H
#define SG_DNS_H

#include <stddef.h>
#include <linux/types.h>

#define SG_DNS_NAME_MAX		255	/* presentation form, without the NUL */
#define SG_DNS_ADDRS_MAX	32	/* addresses kept from one answer */
#define SG_DNS_HOPS_MAX		32	/* compression pointers one name may follow */

struct sg_dns_addr {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 addr[16];		/* network order, IPv4 in the first 4 bytes */
	__u32 ttl;		/* seconds */
};

struct sg_dns_answer {
	char name[SG_DNS_NAME_MAX + 1];	/* the question, lower case, no final dot */
	__u16 id;
	__u16 qtype;
	__u8 rcode;
	__u8 truncated;		/* TC set, or more addresses than kept */
	unsigned int nr_addrs;
	struct sg_dns_addr addrs[SG_DNS_ADDRS_MAX];
};

int sg_dns_parse(const __u8 *msg, size_t len, struct sg_dns_answer *ret);

#endif
