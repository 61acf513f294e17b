// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "uapi/sovguard.h"

/* One numbering of the modes on both ABIs (include/sovguard_egress.h). */
_Static_assert((int)SG_MODE_OFF == (int)SOVGUARD_MODE_OFF, "mode numbering");
_Static_assert((int)SG_MODE_AUDIT == (int)SOVGUARD_MODE_AUDIT, "mode numbering");
_Static_assert((int)SG_MODE_ENFORCE == (int)SOVGUARD_MODE_ENFORCE, "mode numbering");
_Static_assert((int)SG_MODE_MAX == (int)__SOVGUARD_MODE_MAX, "mode numbering");

static const char *const mode_names[SG_MODE_MAX] = {
	[SG_MODE_ENFORCE] = "enforce",
	[SG_MODE_AUDIT] = "audit",
	[SG_MODE_OFF] = "off",
};

static const char *const fail_names[SG_FAIL_MAX] = {
	[SG_FAIL_DENY] = "deny",
	[SG_FAIL_ALLOW] = "allow",
};

static const char *const hook_names[SG_HOOK_MAX] = {
	[SG_HOOK_CONNECT4] = "connect4",
	[SG_HOOK_CONNECT6] = "connect6",
	[SG_HOOK_SENDMSG4] = "sendmsg4",
	[SG_HOOK_SENDMSG6] = "sendmsg6",
	[SG_HOOK_SETSOCKOPT] = "setsockopt",
	[SG_HOOK_SKB_EGRESS] = "skb_egress",
	[SG_HOOK_SOCK_CREATE] = "sock_create",
};

static const char *const hook_pin_names[SG_HOOK_MAX] = {
	[SG_HOOK_CONNECT4] = SG_PIN_LINK_CONNECT4,
	[SG_HOOK_CONNECT6] = SG_PIN_LINK_CONNECT6,
	[SG_HOOK_SENDMSG4] = SG_PIN_LINK_SENDMSG4,
	[SG_HOOK_SENDMSG6] = SG_PIN_LINK_SENDMSG6,
	[SG_HOOK_SETSOCKOPT] = SG_PIN_LINK_SETSOCKOPT,
	[SG_HOOK_SKB_EGRESS] = SG_PIN_LINK_SKB_EGRESS,
	[SG_HOOK_SOCK_CREATE] = SG_PIN_LINK_SOCK_CREATE,
};

const char *sg_mode_name(__u32 mode)
{
	return mode < SG_MODE_MAX ? mode_names[mode] : "unknown";
}

/* The index of @s in @names[0..n), or -EINVAL. */
static int name_parse(const char *const *names, __u32 n, const char *s, __u32 *ret)
{
	__u32 i;

	for (i = 0; i < n; i++) {
		if (!strcmp(s, names[i])) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

int sg_mode_parse(const char *s, __u32 *ret)
{
	return name_parse(mode_names, SG_MODE_MAX, s, ret);
}

const char *sg_fail_name(__u32 fail)
{
	return fail < SG_FAIL_MAX ? fail_names[fail] : "unknown";
}

int sg_fail_parse(const char *s, __u32 *ret)
{
	return name_parse(fail_names, SG_FAIL_MAX, s, ret);
}

const char *sg_hook_name(__u32 hook)
{
	return hook < SG_HOOK_MAX ? hook_names[hook] : "unknown";
}

const char *sg_hook_pin_name(__u32 hook)
{
	return hook < SG_HOOK_MAX ? hook_pin_names[hook] : "unknown";
}

int sg_pin_path(char *buf, size_t len, const char *root, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", root, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}
