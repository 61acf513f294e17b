/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sovguardctl: a table of subcommands, each a function with its own --help.
 * Every listing is available as JSON with -j (global flag, before the
 * subcommand, or the subcommand's own -j).
 */
#ifndef SG_CTL_H
#define SG_CTL_H

#include <stdbool.h>

struct sg_ctl {
	bool json;		/* -j: print JSON instead of text */
	const char *pin_root;	/* --pin-root: where the BPF objects are pinned */
	const char *run_dir;	/* --run-dir: the daemon's runtime directory */
};

struct sg_cmd {
	const char *name;
	int (*fn)(const struct sg_ctl *ctl, int argc, char **argv);
	const char *summary;	/* one line for `sovguardctl --help` */
};

/* Subcommands provided by the module client (daemon/ctl/ctl_kmod.c). */
int sg_cmd_module(const struct sg_ctl *ctl, int argc, char **argv);
int sg_cmd_scan(const struct sg_ctl *ctl, int argc, char **argv);

#endif
