// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the rule parser. The input is one rules file; a policy
 * that parses is also run through the reference evaluator, whose answer must
 * name a rule of the policy or the default.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static const char fuzz_cidr[] = "10.0.0.0/8 DE as16509\n"
				"10.1.0.0/16 FR as3320\n"
				"192.0.2.0/24 US as15169\n"
				"2001:db8::/32 NL as1136\n"
				"198.51.100.0/24 corp\n";

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static struct sg_data *data;
	static FILE *null;
	static const char *const probe[] = { "10.1.2.3", "10.2.0.1", "192.0.2.9",
					     "2001:db8::1", "198.51.100.7", "203.0.113.1" };
	struct sg_subject_info subj = { .cgroup = "/system.slice/billing.service",
					.uid = 1000, .gid = 1000 };
	struct sg_policy *pol = NULL;
	struct sg_parser *p;

	if (!data) {
		null = fopen("/dev/null", "w");
		if (sg_data_new(&data) ||
		    sg_data_load_buffer(data, "fuzz.cidr", fuzz_cidr, strlen(fuzz_cidr),
					&(struct sg_load_opts){ .unsigned_data = SG_UNSIGNED_ALLOW },
					stderr) ||
		    sg_data_finish(data))
			abort();
	}
	if (sg_parser_new(data, null, &p))
		return 0;
	sg_parser_add_buffer(p, "/etc/sovguard/rules.d/fuzz.rules", (const char *)buf, len);
	if (!sg_parser_finish(p, &pol)) {
		for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
			struct sg_decision d;
			struct in6_addr a;

			if (sg_addr_parse(probe[i], &a) ||
			    sg_ref_decide(pol, data, &subj, &a, 443, SG_PROTO_TCP, &d))
				abort();
			if (d.rule >= (int)pol->nr_rules || !d.id)
				abort();
		}
		sg_policy_free(pol);
	} else if (!sg_parser_nr_errors(p)) {
		abort();	/* refused without saying why */
	}
	sg_parser_free(p);
	return 0;
}
