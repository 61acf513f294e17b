/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One data loader under libFuzzer: load the input as FUZZ_KIND, resolve
 * overlaps, check the table is sorted and non-overlapping, look a few
 * addresses up. Each fuzz_<kind>.c defines FUZZ_KIND and includes this.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static FILE *null;
	struct sg_load_opts o = { .kind = FUZZ_KIND, .warn_age = 30 * 86400,
				  .unsigned_data = SG_UNSIGNED_ALLOW };
	static const char *const probe[] = { "10.1.2.3", "::1", "2001:db8::1", "0.0.0.0",
					     "255.255.255.255" };
	const struct sg_range *r;
	struct sg_data *d;

	if (!null)
		null = fopen("/dev/null", "w");
	if (sg_data_new(&d))
		return 0;
	if (sg_data_load_buffer(d, "fuzz", buf, len, &o, null) || sg_data_finish(d))
		goto out;
	r = sg_data_ranges(d);
	for (size_t i = 0; i < sg_data_nr_ranges(d); i++) {
		if (memcmp(&r[i].first, &r[i].last, 16) > 0)
			abort();
		if (i && memcmp(&r[i - 1].last, &r[i].first, 16) >= 0)
			abort();
	}
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		struct in6_addr a;
		struct sg_lookup l;

		if (sg_addr_parse(probe[i], &a) || sg_data_lookup(d, &a, &l))
			abort();
	}
out:
	sg_data_free(d);
	return 0;
}
