/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "sovguard_egress.h"
#include "util.h"

#define SG_CONFIG_MAX_BYTES	(1024 * 1024)
#define SG_CONFIG_MAX_LINE	1024

struct sg_prefix {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 len;
	__u8 addr[16];
	__u32 line;		/* where it was written: its rule id for now */
};

/*
 * /etc/sovguard/sovguard.conf: "key = value" lines, '#' comments.
 *	mode = enforce | audit | off
 *	cgroup = PATH          subtree to enforce on (relative to the cgroup2
 *	                       mount, or absolute); default: the whole system
 *	pin_root = PATH        default /sys/fs/bpf/sovguard
 *	run_dir = PATH         default /run/sovguard
 *	deny = PREFIX          an IPv4 or IPv6 prefix to refuse (repeatable)
 */
struct sg_config_file {
	__u32 mode;
	char cgroup[SG_PATH_MAX];
	char pin_root[SG_PATH_MAX];
	char run_dir[SG_PATH_MAX];
	struct sg_prefix *deny;
	unsigned int n_deny;
};

void sg_config_init(struct sg_config_file *cfg);
int sg_config_load(struct sg_config_file *cfg, const char *path, FILE *diag);
void sg_config_free(struct sg_config_file *cfg);
int sg_prefix_parse(const char *s, struct sg_prefix *ret);
int sg_mode_parse(const char *s, __u32 *ret);
const char *sg_mode_name(__u32 mode);
const char *sg_verdict_name(__u32 verdict);
const char *sg_hook_name(__u32 hook);

#endif
