// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hookcheck.h"

/* Modules listed in /proc/modules; a hook owner missing there is hidden. */
static bool sg_module_listed(const char *name)
{
	char line[512], mod[SOVGUARD_NAME_MAXLEN + 1];
	bool found = false;
	FILE *f;

	/* kallsyms' pseudo modules: BPF programs, ftrace trampolines */
	if (!strcmp(name, "bpf") || !strncmp(name, "__builtin", 9))
		return true;
	f = fopen("/proc/modules", "re");
	if (!f)
		return true;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%64s", mod) == 1 && !strcmp(mod, name);
	fclose(f);
	return found;
}

const char *sg_hook_alert(const struct sg_kmod_hook *h, char *const *allow, size_t n_allow)
{
	const char *owner = h->owner[0] ? h->owner : NULL;
	bool allowed = !allow;
	size_t i;

	for (i = 0; owner && !allowed && i < n_allow; i++)
		allowed = !strcmp(allow[i], owner);
	if (h->owner_kind == SOVGUARD_OWNER_UNKNOWN)
		return "code outside the kernel and every module";
	if (owner && !sg_module_listed(owner))
		return "module not listed in /proc/modules";
	if (owner && !allowed)
		return "module not on the allow-list";
	return NULL;
}
