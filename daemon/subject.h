/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_SUBJECT_H
#define SG_SUBJECT_H

#include "compile.h"
#include "lib/util.h"

/* The daemon's resolver: systemd over D-Bus for units (a cgroup tree search
 * without systemd), the cgroup v2 mount for cgroup paths, stat() for exes. */
struct sg_sysresolver {
	char cgroup_root[SG_PATH_MAX];
	void *bus;		/* sd_bus *, NULL when there is no system bus */
};

int sg_sysresolver_init(struct sg_sysresolver *r);
void sg_sysresolver_done(struct sg_sysresolver *r);
void sg_sysresolver_bind(struct sg_sysresolver *r, struct sg_resolver *ret);

#endif
