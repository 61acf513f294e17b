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

#define SG_DATA_SOURCES_MAX	16
#define SG_RULES_DIR_DEFAULT	"/etc/sovguard/rules.d"

/*
 * /etc/sovguard/sovguard.conf: "key = value" lines, '#' comments.
 *	mode = enforce | audit | off
 *	cgroup = PATH          subtree to enforce on (relative to the cgroup2
 *	                       mount, or absolute); default: the whole system
 *	pin_root = PATH        default /sys/fs/bpf/sovguard
 *	run_dir = PATH         default /run/sovguard
 *	rules_dir = PATH       default /etc/sovguard/rules.d
 *	data = PATH            jurisdiction data file (libloc, MMDB, Tor geoip,
 *	                       CIDR list; repeatable, first listed wins where
 *	                       they overlap); default: the libloc database
 *	data_warn_age = DAYS   warn when the data is older (default 60)
 *	data_max_age = DAYS    refuse older data (default 0: any age)
 */
struct sg_config_file {
	__u32 mode;
	char cgroup[SG_PATH_MAX];
	char pin_root[SG_PATH_MAX];
	char run_dir[SG_PATH_MAX];
	char rules_dir[SG_PATH_MAX];
	char data[SG_DATA_SOURCES_MAX][SG_PATH_MAX];
	unsigned int n_data;
	unsigned int data_warn_days;
	unsigned int data_max_days;
};

void sg_config_init(struct sg_config_file *cfg);
int sg_config_load(struct sg_config_file *cfg, const char *path, FILE *diag);
void sg_config_free(struct sg_config_file *cfg);
int sg_mode_parse(const char *s, __u32 *ret);
const char *sg_mode_name(__u32 mode);
const char *sg_verdict_str(__u32 verdict);
const char *sg_hook_name(__u32 hook);

/* Names of the pinned links, indexed by enum sg_hook. */
extern const char *const sg_link_names[SG_HOOK_MAX];

#endif
