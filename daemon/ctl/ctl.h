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

#include "../lib/config.h"

struct sg_ctl {
	bool json;		/* -j: print JSON instead of text */
	const char *pin_root;	/* --pin-root: where the BPF objects are pinned */
	const char *run_dir;	/* --run-dir: the daemon's runtime directory */
};

struct sg_cmd {
	const char *name;
	int (*fn)(const struct sg_ctl *ctl, int argc, char **argv);
	const char *summary;	/* one line for `sovguardctl --help` */
	bool exit_status;	/* fn returns its exit status (SG_CTL_EXIT_*) */
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
/*
 * The request {"cmd": @cmd} (with @key: @val when @key is not NULL) to the
 * control socket; the reply, or NULL (said why), as sg_ctl_call().
 */
struct json_object *sg_ctl_ask(const struct sg_ctl *ctl, const char *cmd, const char *key,
			       const char *val, int timeout_ms);
/*
 * What most commands do: sg_ctl_ask() @cmd, then print the reply as JSON
 * (-j) or through @text. 0, or -EIO when there was no reply (said why).
 */
int sg_ctl_show(const struct sg_ctl *ctl, int argc, char **argv, const char *cmd,
		const char *key, const char *val, void (*text)(struct json_object *rep));

/*
 * Exit statuses of the commands that promise them (sovguardctl(8), EXIT
 * STATUS): check-config and check. Others exit 0 or 1.
 */
#define SG_CTL_EXIT_OK		0
#define SG_CTL_EXIT_FAIL	1	/* invalid; check --expect: another verdict */
#define SG_CTL_EXIT_USAGE	2
#define SG_CTL_EXIT_UNREADABLE	3	/* an input could not be read, or no answer */

/* What the offline commands read instead of the daemon (offline.c). */
struct sg_ctl_inputs {
	const char *config;	/* --config; NULL: SG_CONFIG_DEFAULT if it exists */
	const char *rules_dir;	/* over the configuration's rules_dir */
	const char *data[SG_DATA_SOURCES_MAX];	/* --data, over the configuration's */
	unsigned int nr_data;
};

struct sg_settings;
/* The settings: the configuration file, then what @in says over it. */
int sg_ctl_settings(const struct sg_ctl_inputs *in, struct sg_settings *cfg);
/*
 * The daemon's reply to the check request @req, computed here from the
 * rules and data @in names (diagnostics on stderr). Return: 0, the error of
 * an input that could not be read (sg_input_unreadable()), or another
 * negative errno.
 */
int sg_ctl_check_offline(const struct sg_ctl_inputs *in, struct json_object *req,
			 struct json_object **ret);

/* sovguardctl status (status.c). */
int sg_cmd_status(const struct sg_ctl *ctl, int argc, char **argv);
/* sovguardctl quarantine and release (quarantine.c). */
int sg_cmd_quarantine(const struct sg_ctl *ctl, int argc, char **argv);
int sg_cmd_release(const struct sg_ctl *ctl, int argc, char **argv);

#endif
