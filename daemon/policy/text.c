// SPDX-License-Identifier: GPL-2.0
/* Small text helpers shared by the rule parser and the text data loaders. */
#include <ctype.h>
#include <errno.h>

#include "internal.h"

static const char *const verdict_names[SG_VERDICT_MAX] = {
	[SG_VERDICT_ALLOW] = "allow",
	[SG_VERDICT_DENY] = "deny",
	[SG_VERDICT_AUDIT] = "audit",
};

const char *sg_verdict_name(enum sg_verdict v)
{
	return (unsigned int)v < SG_VERDICT_MAX ? verdict_names[v] : "unknown";
}

int sg_pol_parse_uint(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}
