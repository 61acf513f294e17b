// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the DNS answer parser (daemon/dns.c), whose input any
 * process can send to a guarded socket from port 53. Whatever the input, a
 * parse that succeeds must hold what the answer said: a name within its
 * bounds and at most SG_DNS_ADDRS_MAX addresses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_dns_answer a;
	unsigned int i;

	if (sg_dns_parse(data, size, &a))
		return 0;
	if (strnlen(a.name, sizeof(a.name)) > SG_DNS_NAME_MAX || a.nr_addrs > SG_DNS_ADDRS_MAX)
		abort();
	for (i = 0; i < a.nr_addrs; i++)
		if (a.addrs[i].family != AF_INET && a.addrs[i].family != AF_INET6)
			abort();
	return 0;
}
