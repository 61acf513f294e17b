// SPDX-License-Identifier: GPL-2.0
/*
 * sovguardctl quarantine and release: the deny rules alerts added
 * (daemon/quarantine.c), and taking them out again.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "../lib/control_proto.h"
#include "ctl.h"

static void print_entry(struct json_object *e)
{
	struct json_object *al = json_object_object_get(e, "alert");
	const char *kind = json_object_object_get(e, "unit") ? "unit" : "exe";
	struct json_object *dst = json_object_object_get(e, "dst");

	printf("%5s  %-20s deny %s %s%s%s\n", sg_ctl_jstr(e, "id"), sg_ctl_jstr(e, "rule"), kind,
	       sg_ctl_jstr(e, kind), dst ? " to " : "", dst ? json_object_get_string(dst) : "");
	printf("       %s alert, score %s, at %s, destination %s; in force from generation %s\n",
	       sg_ctl_jstr(al, "heuristic"), sg_ctl_jstr(al, "score"), sg_ctl_jstr(al, "last"),
	       sg_ctl_jstr(al, "dst"), sg_ctl_jstr(e, "generation"));
}

static void quarantine_print(struct json_object *rep)
{
	struct json_object *arr = json_object_object_get(rep, "quarantines");
	struct json_object *ref = json_object_object_get(rep, "refused");
	size_t i;

	printf("quarantine: %s, score %s or more, %s of at most %s in force; refused: %s at the "
	       "cap, %s unnamed, %s without destination, %s not published\n",
	       sg_ctl_jstr(rep, "mode"), sg_ctl_jstr(rep, "min_score"), sg_ctl_jstr(rep, "active"),
	       sg_ctl_jstr(rep, "max"), sg_ctl_jstr(ref, "full"), sg_ctl_jstr(ref, "unnamed"),
	       sg_ctl_jstr(ref, "no_destination"), sg_ctl_jstr(ref, "not_published"));
	for (i = 0; i < json_object_array_length(arr); i++)
		print_entry(json_object_array_get_idx(arr, i));
}

int sg_cmd_quarantine(const struct sg_ctl *ctl, int argc, char **argv)
{
	if (sg_ctl_help_asked(argc, argv)) {
		printf("Usage: sovguardctl quarantine [-j]\n"
		       "The quarantines in force: each a deny rule (id quarantine:N) an alert\n"
		       "added ahead of the rules files, for the alert's subject or for its\n"
		       "subject and destination (detect.quarantine in sovguard.conf).\n"
		       "`sovguardctl release` takes them out.\n");
		return 0;
	}
	return sg_ctl_show(ctl, argc, argv, "quarantine", NULL, NULL, quarantine_print);
}

int sg_cmd_release(const struct sg_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct json_object *req, *rep;
	bool all = false, json = ctl->json;
	char *end;
	long id = 0;
	int c;

	while ((c = getopt_long(argc, argv, "ajh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: sovguardctl release ID | --all [-j]\n"
			       "Take quarantine ID (every quarantine with --all) out of the\n"
			       "policy: the daemon publishes the policy without its deny rule,\n"
			       "as a reload does, and logs it. Changes the daemon's state:\n"
			       "root only.\n");
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (all == (optind < argc) || argc - optind > 1) {
		fprintf(stderr, "sovguardctl: release takes one quarantine ID or --all; "
				"see --help\n");
		return -EINVAL;
	}
	if (!all) {
		errno = 0;
		id = strtol(argv[optind], &end, 10);
		if (*end || errno || id < 1 || id > 0x7fffffffL) {
			fprintf(stderr, "sovguardctl: \"%s\" is not a quarantine id\n",
				argv[optind]);
			return -EINVAL;
		}
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("release"));
	if (all)
		json_object_object_add(req, "all", json_object_new_boolean(true));
	else
		json_object_object_add(req, "id", json_object_new_int64(id));
	rep = sg_ctl_call(ctl, req, SG_CONTROL_TIMEOUT_MS);
	json_object_put(req);
	if (!rep)
		return -EIO;
	if (json)
		sg_ctl_print_json(rep);
	else
		printf("released %s quarantine(s); policy generation %s\n",
		       sg_ctl_jstr(rep, "released"), sg_ctl_jstr(rep, "generation"));
	json_object_put(rep);
	return 0;
}
