// SPDX-License-Identifier: GPL-2.0
/* Small text helpers shared by the rule parser and the text data loaders. */
#include <ctype.h>
#include <errno.h>

#include "internal.h"

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
