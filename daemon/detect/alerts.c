// SPDX-License-Identifier: GPL-2.0
/* `sovguardctl alerts`: the alert store, as a table or JSON lines. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "internal.h"

struct list_ctx {
	bool json;
	unsigned long long n, dropped;
};

static const char *str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "-";
}

static int list_one(void *ctx, struct json_object *o)
{
	struct list_ctx *c = ctx;
	struct json_object *v;

	if (json_object_object_get_ex(o, "rotated", &v)) {
		/* cumulative: the latest line has the total */
		if (json_object_object_get_ex(o, "dropped", &v))
			c->dropped = json_object_get_int64(v);
		if (!c->json)
			return 0;
	}
	c->n++;
	if (c->json) {
		printf("%s\n", json_object_to_json_string_ext(o, SG_JSON_LINE));
		return 0;
	}
	if (c->n == 1)
		printf("%-20s %-9s %5s %-32s %-30s %s\n", "LAST", "HEURISTIC", "SCORE", "SUBJECT",
		       "DESTINATION", "REPEATS");
	printf("%-20s %-9s %5s %-32.32s %-30.30s", str(o, "last"), str(o, "heuristic"),
	       str(o, "score"), str(o, "src"), str(o, "dst"));
	if (json_object_object_get_ex(o, "repeats", &v))
		printf(" %s", json_object_get_string(v));
	putchar('\n');
	return 0;
}

int sg_detect_alerts_main(int argc, char **argv, bool json)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char path[SG_DETECT_PATH_MAX + 32];
	const char *dir = "/var/lib/sovguard";
	struct list_ctx c = { 0 };
	double since = 0;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "s:d:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (sg_alerts_parse_since(optarg, (double)time(NULL), &since)) {
				fprintf(stderr, "sovguardctl: --since: \"%s\" is neither an ISO 8601 "
					"time nor N[smhdw]\n", optarg);
				return -EINVAL;
			}
			break;
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: sovguardctl alerts [--since T] [--state-dir DIR] [-j]\n"
			       "The alerts the daemon stored in DIR/alerts.jsonl (and its rotated\n"
			       "alerts.jsonl.1), oldest first. T is an ISO 8601 time\n"
			       "(2024-05-01T10:00:00Z) or an age (90s, 30m, 1h, 2d, 1w). DIR is\n"
			       "detect.state_dir, /var/lib/sovguard by default. A table, or with -j\n"
			       "the stored JSON lines. See docs/detection.md.\n");
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sovguardctl: alerts: unexpected \"%s\"; see --help\n", argv[optind]);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, SG_ALERTS_FILE);
	c.json = json;
	r = sg_alerts_read(path, since, stderr, list_one, &c);
	if (r < 0) {
		fprintf(stderr, "sovguardctl: %s: %s\n", path, strerror(-r));
		return r;
	}
	if (!json) {
		if (!c.n)
			printf("no alerts\n");
		if (c.dropped)
			printf("(%llu older alert(s) dropped by rotation)\n", c.dropped);
	}
	return r ? -EBADMSG : 0;
}
