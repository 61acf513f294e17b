/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "policy.h"
#include "sovguard_egress.h"
#include "util.h"
#include "../detect/detect.h"

#define SG_CONFIG_MAX_BYTES	(1024 * 1024)
#define SG_CONFIG_MAX_LINE	1024

#define SG_DATA_SOURCES_MAX	16
#define SG_RULES_DIR_DEFAULT	"/etc/sovguard/rules.d"
#define SG_HOOK_ALLOW_MAX	64
#define SG_MODULE_NAME_LEN	64	/* MODULE_NAME_LEN is 56 on 64-bit */
#define SG_GROUP_NAME_LEN	33	/* useradd's limit is 32 */
#define SG_CONTROL_GROUP_DEFAULT "sovguard"
#define SG_METRICS_INTERVAL_MAX	3600

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
 *	data_key = PATH        PEM public key that libloc databases must verify
 *	                       with (default SG_LIBLOC_KEY_PATH, from Debian's
 *	                       `location` package)
 *	data_unsigned = refuse | unsignable | allow
 *	                       what loads without a verified signature: nothing
 *	                       (default); also MMDB, Tor geoip and CIDR lists,
 *	                       which cannot be signed; also an unsigned libloc
 *	                       database or one whose key is unusable. A bad
 *	                       signature is always refused (docs/configuration.md)
 *	data_warn_age = DAYS   warn when the data is older (default 60)
 *	data_max_age = DAYS    refuse older data (default 0: any age)
 *	lease_timeout_ms = N   the module's lease (default 10000); renewed every
 *	                       third of it while sovguard.ko is loaded
 *	scan_interval = SECS   integrity scan of the kernel's netfilter hooks
 *	                       (default 300, 0: never)
 *	flow_window_ms = N     observation: a process's TCP connections to one
 *	                       destination are reported in full at most this
 *	                       often, the others counted (default 10000, 0: all)
 *	hook_allow = MOD ...   modules whose netfilter hooks are expected
 *	fail = deny | allow    verdict when the rules cannot decide (no
 *	                       consistent policy image in the kernel, no work
 *	                       area); default deny (docs/design.md)
 *	protect = lsm | off    refuse bpf() changes to sovguard's objects by
 *	                       other processes with a BPF LSM program where
 *	                       the kernel runs BPF LSM (default lsm)
 *	existing_flows = end | keep
 *	                       what a new policy (reload, quarantine) does to
 *	                       established flows it denies: end them through
 *	                       the kernel's socket destroy (default), or keep
 *	                       them until they close (docs/design.md)
 *	metrics_file = PATH    write the metrics (Prometheus text format) to
 *	                       PATH for node_exporter's textfile collector,
 *	                       atomically (default: none; docs/operations.md)
 *	metrics_interval = SECS  how often (default 15, 1..3600; "15s" too)
 *	control_group = GROUP  group (name or number) whose members may read
 *	                       through the control socket (default sovguard;
 *	                       root alone when no such group exists)
 *	nat64_prefix = P/LEN   a NAT64 prefix of the network (RFC 6052 length;
 *	                       repeatable, SG_NAT64_PREFIXES_MAX): its addresses
 *	                       are decided as the IPv4 address they embed
 *	detect.* = ...         backdoor detection (docs/detection.md), handed to
 *	                       sg_detect_config_set(); on by default
 *
 * pin_root, cgroup, run_dir and control_group are fixed from start-up: a reload that changes
 * them keeps the old values and says so. The file is read only when root
 * alone can change it (sg_input_open()).
 */
/* The settings the file holds; struct sg_config is the BPF map value. */
struct sg_settings {
	__u32 mode;
	char cgroup[SG_PATH_MAX];
	char pin_root[SG_PATH_MAX];
	char run_dir[SG_PATH_MAX];
	char rules_dir[SG_PATH_MAX];
	char data[SG_DATA_SOURCES_MAX][SG_PATH_MAX];
	unsigned int n_data;
	char data_key[SG_PATH_MAX];
	enum sg_unsigned_policy data_unsigned;
	unsigned int data_warn_days;
	unsigned int data_max_days;
	unsigned int lease_timeout_ms;
	unsigned int scan_interval;
	unsigned int flow_window_ms;
	char hook_allow[SG_HOOK_ALLOW_MAX][SG_MODULE_NAME_LEN];
	unsigned int n_hook_allow;
	__u32 fail;		/* enum sg_fail */
	bool protect;		/* protect = lsm */
	bool flows_keep;	/* existing_flows = keep */
	char metrics_file[SG_PATH_MAX];	/* "" when off */
	unsigned int metrics_interval;	/* seconds */
	char control_group[SG_GROUP_NAME_LEN];
	struct sg_nat64 nat64[SG_NAT64_PREFIXES_MAX];	/* nat64_prefix */
	unsigned int n_nat64;
	struct sg_detect_config detect;	/* detect.* keys */
};

void sg_config_init(struct sg_settings *cfg);
int sg_config_load(struct sg_settings *cfg, const char *path, FILE *diag);
void sg_config_free(struct sg_settings *cfg);
/*
 * The detect.* settings of the configuration file @path (a sovguard.conf,
 * or a file of detect.* keys alone), read and checked as the daemon reads
 * it, into @ret; untouched on any error (reported to @diag). `sovguardctl
 * analyze --config` takes its settings from here.
 */
int sg_config_load_detect(const char *path, struct sg_detect_config *ret, FILE *diag);
/* How @cfg says jurisdiction data is loaded: ages, key, unsigned data. */
void sg_config_data_opts(const struct sg_settings *cfg, struct sg_load_opts *ret);
/*
 * The jurisdiction data @cfg names (every data source in order, else the
 * default database), loaded with its options and finished; diagnostics
 * to @diag. Return: 0 or the failing source's negative errno.
 */
int sg_config_load_data(const struct sg_settings *cfg, FILE *diag, struct sg_data **ret);
/* The data sources as sg_policy_check_dir() takes them; the count. */
unsigned int sg_config_data_paths(const struct sg_settings *cfg,
				  const char *ret[SG_DATA_SOURCES_MAX]);

#endif
