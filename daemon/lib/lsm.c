// SPDX-License-Identifier: GPL-2.0
/*
 * Whether the kernel runs BPF LSM, and whether sovguard's guard
 * (bpf/guard.bpf.c) is attached there: what sovguardd decides at start and
 * what sovguardctl status reports, both from the kernel.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cleanup.h"
#include "lsm.h"
#include "sovguard_guard.h"
#include "util.h"

/**
 * sg_lsm_bpf_active() - "bpf" is among the kernel's active LSMs (the lsm=
 * boot parameter, or CONFIG_LSM).
 */
bool sg_lsm_bpf_active(void)
{
	_cleanup_fclose_ FILE *f = fopen("/sys/kernel/security/lsm", "re");
	char buf[512], *tok, *save = NULL;

	if (!f || !fgets(buf, sizeof(buf), f))
		return false;
	for (tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save))
		if (!strcmp(tok, "bpf"))
			return true;
	return false;
}

/**
 * sg_guard_state() - "active" when the guard's link pinned under @pin_root
 * is attached at the kernel's bpf() hook; else "off" when the kernel runs
 * BPF LSM, "unavailable" when it does not.
 */
const char *sg_guard_state(const char *pin_root)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[SG_PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", pin_root, SG_PIN_GUARD_LINK) <
	    (int)sizeof(path)) {
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (!bpf_link_get_info_by_fd(fd, &info, &len) &&
			    info.type == BPF_LINK_TYPE_TRACING &&
			    info.tracing.attach_type == BPF_LSM_MAC && info.prog_id) {
				close(fd);
				return "active";
			}
			close(fd);
		}
	}
	return sg_lsm_bpf_active() ? "off" : "unavailable";
}
