// SPDX-License-Identifier: GPL-2.0
/*
 * sovguardctl module ... and sovguardctl scan: the kernel module's
 * controls and its integrity scan.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <json-c/json.h>

#include "ctl.h"
#include "../lib/hookcheck.h"
#include "../lib/kmod_client.h"
#include "../lib/names.h"
#include "../lib/status_json.h"
#include "policy.h"

#define SG_SCAN_ALLOW_MAX	256	/* --allow module names */

static void sg_json_print(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int sg_kmod_fail(const char *what, int err)
{
	const char *msg = sg_kmod_errmsg();

	if (err == -ENOENT)
		fprintf(stderr, "sovguardctl: %s: sovguard.ko is not loaded\n", what);
	else if (msg[0])
		fprintf(stderr, "sovguardctl: %s: %s: %s\n", what, strerror(-err), msg);
	else
		fprintf(stderr, "sovguardctl: %s: %s\n", what, strerror(-err));
	return err;
}

/* Strip -j/--json from argv; returns the new argc. */
static int sg_take_json(int argc, char **argv, bool *json)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (i && (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")))
			*json = true;
		else
			argv[n++] = argv[i];
	}
	return n;
}

static void sg_module_usage(FILE *f)
{
	fprintf(f,
		"Usage: sovguardctl module [status] [-j]\n"
		"       sovguardctl module mode enforce|audit|off [fail open|closed]\n"
		"       sovguardctl module fail-mode open|closed\n"
		"       sovguardctl module allow [show] [-j]\n"
		"       sovguardctl module allow set PREFIX... | clear\n"
		"       sovguardctl module lease renew [TIMEOUT_MS [GENERATION]] | release\n"
		"       sovguardctl module events [-j]\n"
		"Show and steer sovguard.ko: its mode, the fail-safe guard's lease and\n"
		"emergency allow-list. status and allow show work without privileges;\n"
		"the rest need CAP_NET_ADMIN. events prints state changes as they happen.\n");
}

static int sg_module_status(bool json)
{
	struct json_object *st;
	int err;

	err = sg_kmod_status_json(&st);
	if (err)
		return sg_kmod_fail("status", err);
	if (json)
		sg_json_print(st);
	else
		sg_ctl_kmod_status_print(stdout, st);
	json_object_put(st);
	return 0;
}

/* "192.0.2.0/24", "2001:db8::/32", "198.51.100.7" as the module takes it. */
static int prefix_parse(const char *s, struct sg_kmod_prefix *ret)
{
	struct in6_addr a;
	uint8_t len;
	int err;

	err = sg_prefix_parse(s, strlen(s), &a, &len);
	if (err)
		return err;
	memset(ret, 0, sizeof(*ret));
	if (!strchr(s, ':')) {
		ret->family = AF_INET;
		ret->len = len - 96;
		memcpy(ret->addr, &a.s6_addr[12], 4);
	} else {
		ret->family = AF_INET6;
		ret->len = len;
		memcpy(ret->addr, a.s6_addr, 16);
	}
	return 0;
}

static int sg_module_allow(int argc, char **argv, bool json)
{
	struct json_object *arr;
	size_t i;
	int err;

	if (argc >= 1 && !strcmp(argv[0], "set")) {
		struct sg_kmod_prefix p[SOVGUARD_ALLOW_MAX];
		int n = argc - 1;

		if (n > SOVGUARD_ALLOW_MAX) {
			fprintf(stderr, "sovguardctl: allow set: at most %d prefixes\n",
				SOVGUARD_ALLOW_MAX);
			return -E2BIG;
		}
		for (i = 0; i < (size_t)n; i++) {
			err = prefix_parse(argv[1 + i], &p[i]);
			if (err) {
				fprintf(stderr, "sovguardctl: allow set: invalid prefix '%s'%s\n",
					argv[1 + i], err == -EDOM ? " (host bits set)" : "");
				return -EINVAL;
			}
		}
		err = sg_kmod_allow_set(p, n);
		return err ? sg_kmod_fail("allow set", err) : 0;
	}
	if (argc == 1 && !strcmp(argv[0], "clear")) {
		err = sg_kmod_allow_set(NULL, 0);
		return err ? sg_kmod_fail("allow clear", err) : 0;
	}
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "show"))) {
		sg_module_usage(stderr);
		return -EINVAL;
	}
	err = sg_ctl_kmod_allow_json(&arr);
	if (err)
		return sg_kmod_fail("allow", err);
	if (json) {
		sg_json_print(arr);
	} else {
		for (i = 0; i < json_object_array_length(arr); i++)
			printf("%s\n", json_object_get_string(json_object_array_get_idx(arr, i)));
	}
	json_object_put(arr);
	return 0;
}

static int sg_module_lease(int argc, char **argv)
{
	unsigned long long timeout = 0, gen = 0;
	char *end;
	int err;

	if (argc == 1 && !strcmp(argv[0], "release")) {
		err = sg_kmod_lease_release();
		return err ? sg_kmod_fail("lease release", err) : 0;
	}
	if (argc < 1 || argc > 3 || strcmp(argv[0], "renew")) {
		sg_module_usage(stderr);
		return -EINVAL;
	}
	if (argc > 1) {
		timeout = strtoull(argv[1], &end, 0);
		if (*end || timeout > UINT32_MAX)
			return sg_kmod_fail("lease renew", -EINVAL);
	}
	if (argc > 2) {
		gen = strtoull(argv[2], &end, 0);
		if (*end)
			return sg_kmod_fail("lease renew", -EINVAL);
	}
	err = sg_kmod_lease_renew(timeout, gen);
	return err ? sg_kmod_fail("lease renew", err) : 0;
}

static int sg_event_print(const struct sg_kmod_status *st, void *arg)
{
	struct json_object *ev = sg_ctl_kmod_event_json(st);
	const bool *json = arg;

	if (!ev)
		return -ENOMEM;

	if (*json) {
		printf("%s\n", json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN));
	} else {
		printf("event %s:", json_object_get_string(json_object_object_get(ev, "event")));
		json_object_object_foreach(ev, k, v)
			if (strcmp(k, "event"))
				printf(" %s %s", k, json_object_get_string(v));
		printf("\n");
	}
	json_object_put(ev);
	fflush(stdout);
	return 0;
}

int sg_cmd_module(const struct sg_ctl *ctl, int argc, char **argv)
{
	bool json = ctl->json;
	const char *sub;
	int err;

	if (sg_ctl_help_asked(argc, argv)) {
		sg_module_usage(stdout);
		return 0;
	}
	argc = sg_take_json(argc, argv, &json);
	sub = argc > 1 ? argv[1] : "status";

	if (!strcmp(sub, "status") && argc <= 2)
		return sg_module_status(json);
	if (!strcmp(sub, "mode") && (argc == 3 || (argc == 5 && !strcmp(argv[3], "fail")))) {
		__u32 mode;
		int fail = -1;

		err = sg_mode_parse(argv[2], &mode);
		if (!err && argc == 5)
			err = sg_kmod_fail_mode_parse(argv[4], &fail);
		if (!err)
			err = sg_kmod_set_mode(mode, fail);
		return err ? sg_kmod_fail("mode", err) : 0;
	}
	if (!strcmp(sub, "fail-mode") && argc == 3) {
		int fail;

		err = sg_kmod_fail_mode_parse(argv[2], &fail);
		if (!err)
			err = sg_kmod_set_mode(-1, fail);
		return err ? sg_kmod_fail("fail-mode", err) : 0;
	}
	if (!strcmp(sub, "allow"))
		return sg_module_allow(argc - 2, argv + 2, json);
	if (!strcmp(sub, "lease"))
		return sg_module_lease(argc - 2, argv + 2);
	if (!strcmp(sub, "events") && argc == 2) {
		err = sg_kmod_events(sg_event_print, &json);
		return err ? sg_kmod_fail("events", err) : 0;
	}
	sg_module_usage(stderr);
	return -EINVAL;
}

static void sg_scan_usage(FILE *f)
{
	fprintf(f,
		"Usage: sovguardctl scan [-j] [--allow MODULE[,MODULE...]]\n"
		"List every netfilter hook of the initial network namespace (IPv4, IPv6,\n"
		"ARP, bridge, netdev) with priority and owner. A hook whose code belongs\n"
		"to no known module and lies outside the kernel image, a module that\n"
		"/proc/modules does not list, and (with --allow) a module not on the\n"
		"list are flagged; the exit status is non-zero when anything is flagged.\n"
		"Needs CAP_NET_ADMIN.\n");
}

int sg_cmd_scan(const struct sg_ctl *ctl, int argc, char **argv)
{
	char *allow[SG_SCAN_ALLOW_MAX], *allow_buf = NULL, *tok, *save;
	bool json = ctl->json, use_allow = false;
	struct sg_kmod_hook *hooks = NULL;
	struct json_object *arr;
	int i, n_allow = 0, flagged = 0, err;
	size_t k, n;

	if (sg_ctl_help_asked(argc, argv)) {
		sg_scan_usage(stdout);
		return 0;
	}
	argc = sg_take_json(argc, argv, &json);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--allow") && i + 1 < argc) {
			use_allow = true;
			free(allow_buf);
			allow_buf = strdup(argv[++i]);
			if (!allow_buf)
				return -ENOMEM;
			n_allow = 0;
			for (tok = strtok_r(allow_buf, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (n_allow == SG_SCAN_ALLOW_MAX) {
					fprintf(stderr, "sovguardctl: scan: more than %d modules\n",
						SG_SCAN_ALLOW_MAX);
					free(allow_buf);
					return -E2BIG;
				}
				allow[n_allow++] = tok;
			}
		} else {
			sg_scan_usage(stderr);
			free(allow_buf);
			return -EINVAL;
		}
	}

	err = sg_kmod_scan(&hooks, &n);
	if (err) {
		free(allow_buf);
		return sg_kmod_fail("scan", err);
	}
	arr = json ? json_object_new_array() : NULL;
	if (!json)
		printf("%-7s %-12s %11s  %-20s %s\n", "FAMILY", "HOOK", "PRIORITY", "OWNER",
		       "SYMBOL");
	for (k = 0; k < n; k++) {
		const struct sg_kmod_hook *h = &hooks[k];
		const char *alert = sg_hook_alert(h, use_allow ? allow : NULL, n_allow);
		const char *owner = "kernel";
		char hook[64];

		flagged += !!alert;
		if (arr) {
			json_object_array_add(arr, sg_ctl_kmod_hook_json(h, alert));
			continue;
		}
		if (h->owner[0])
			owner = h->owner;
		else if (h->owner_kind == SOVGUARD_OWNER_UNKNOWN)
			owner = "UNKNOWN";
		snprintf(hook, sizeof(hook), "%s%s%s", sg_kmod_nf_hook_name(h->pf, h->num),
			 h->device[0] ? "@" : "", h->device);
		printf("%-7s %-12s %11d  %-20s %s%s%s\n", sg_kmod_pf_name(h->pf), hook,
		       h->priority, owner, h->symbol[0] ? h->symbol : "-",
		       alert ? "  ALERT: " : "", alert ? alert : "");
	}
	if (arr) {
		sg_json_print(arr);
		json_object_put(arr);
	}
	free(hooks);
	free(allow_buf);
	return flagged ? 2 : 0;
}
