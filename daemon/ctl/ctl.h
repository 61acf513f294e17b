/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sovguardctl: a table of subcommands, each a function with its own --help.
 * Every listing is available as JSON with -j (global flag, before the
 * subcommand, or the subcommand's own -j).
 */
#ifndef SG_CTL_H
#define SG_CTL_H

#include <stdbool.h>
#include <stdio.h>

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

/* -h or --help among a subcommand's arguments (argv[1..argc)). */
bool sg_ctl_help_asked(int argc, char **argv);

/* Subcommands provided by the module client (daemon/ctl/ctl_kmod.c). */
int sg_cmd_module(const struct sg_ctl *ctl, int argc, char **argv);
int sg_cmd_scan(const struct sg_ctl *ctl, int argc, char **argv);

/* The module's replies as JSON and text (daemon/ctl/kmod_json.c). */
struct json_object;
struct sg_kmod_status;
struct sg_kmod_hook;
int sg_ctl_kmod_status_json(struct json_object **ret);
void sg_ctl_kmod_status_print(FILE *f, struct json_object *st);
struct json_object *sg_ctl_kmod_event_json(const struct sg_kmod_status *ev);
int sg_ctl_kmod_allow_json(struct json_object **ret);
struct json_object *sg_ctl_kmod_hook_json(const struct sg_kmod_hook *h, const char *alert);

/* What the subcommands share (sovguardctl.c). */
bool sg_ctl_want_json(const struct sg_ctl *ctl, int argc, char **argv);
const char *sg_ctl_jstr(struct json_object *o, const char *k);
void sg_ctl_print_json(struct json_object *o);
/*
 * One request to the daemon's control socket; the reply, or NULL (said why
 * on stderr). A daemon that does not answer within @timeout_ms is said so.
 */
struct json_object *sg_ctl_call(const struct sg_ctl *ctl, struct json_object *req, int timeout_ms);

/* sovguardctl status (status.c). */
int sg_cmd_status(const struct sg_ctl *ctl, int argc, char **argv);
/* sovguardctl quarantine and release (quarantine.c). */
int sg_cmd_quarantine(const struct sg_ctl *ctl, int argc, char **argv);
int sg_cmd_release(const struct sg_ctl *ctl, int argc, char **argv);

#endif
