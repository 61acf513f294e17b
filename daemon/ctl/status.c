// SPDX-License-Identifier: GPL-2.0
/*
 * sovguardctl status: what is enforced, read from the kernel (the pinned
 * programs, maps and policy image, the module) and, when it runs, from the
 * daemon (its data sources, detection). Works with the daemon down.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "../lib/config.h"
#include "../lib/control_proto.h"
#include "../lib/kmod_client.h"
#include "../lib/lsm.h"
#include "../lib/names.h"
#include "../lib/status_json.h"
#include "../lib/util.h"
#include "ctl.h"
#include "policy.h"

/* How long status waits for the daemon's part before reporting without it. */
#define SG_CTL_STATUS_WAIT_MS	1000

static void json_put(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *daemon_status(const char *run_dir)
{
	struct json_object *o = json_object_new_object();
	char path[SG_PATH_MAX];
	pid_t pid = 0;
	bool running;

	snprintf(path, sizeof(path), "%s/sovguardd.pid", run_dir);
	/* EPERM: the process exists, it is just not ours to signal. */
	running = !sg_read_pidfile(path, &pid) && (kill(pid, 0) == 0 || errno == EPERM);
	json_put(o, "running", json_object_new_boolean(running));
	if (running)
		json_put(o, "pid", json_object_new_int(pid));
	return o;
}

static long long jint(struct json_object *o, const char *k)
{
	return (long long)json_object_get_int64(json_object_object_get(o, k));
}

/* The daemon's detection engine: per heuristic on/off, alerts, entries. */
static void print_detection(struct json_object *v)
{
	struct json_object *hs;

	if (!v || !json_object_get_boolean(json_object_object_get(v, "enabled"))) {
		printf("detection: off\n");
		return;
	}
	printf("detection: %lld entries in %lld KiB, fed %lld conns (%lld ends) %lld dns "
	       "%lld execs %lld listens %lld pktsocks; evicted dns %lld procs %lld open %lld, "
	       "points dropped %lld, suppressed %lld, feed errors %lld, store errors %lld "
	       "(alerts in %s)\n",
	       jint(v, "entries"), jint(v, "memory") / 1024, jint(v, "conns"), jint(v, "conn_ends"),
	       jint(v, "dns"), jint(v, "execs"), jint(v, "listens"), jint(v, "pktsocks"),
	       jint(v, "evicted_dns"), jint(v, "evicted_procs"), jint(v, "evicted_open"),
	       jint(v, "points_dropped"), jint(v, "suppressed"),
	       jint(v, "feed_errors"), jint(v, "store_errors"), sg_ctl_jstr(v, "state_dir"));
	hs = json_object_object_get(v, "heuristics");
	json_object_object_foreach(hs, k, h)
		printf("  %-9s %-3s alerts %lld entries %lld evicted %lld\n", k,
		       json_object_get_boolean(json_object_object_get(h, "on")) ? "on" : "off",
		       jint(h, "alerts"), jint(h, "entries"), jint(h, "evicted"));
}

static void print_status(struct json_object *st)
{
	struct json_object *b, *d, *m, *v, *progs, *cnt;
	size_t i;

	d = json_object_object_get(st, "daemon");
	printf("daemon:    ");
	if (json_object_get_boolean(json_object_object_get(d, "running")))
		printf("running (pid %d)\n", json_object_get_int(json_object_object_get(d, "pid")));
	else if (!strcmp(sg_ctl_jstr(d, "enforcement"), "pinned"))
		printf("not running; enforcement stays pinned: the programs, mode and policy "
		       "below hold\n           until the daemon is back or 'sovguardd --remove' "
		       "ends them\n");
	else
		printf("not running; nothing is enforced\n");
	v = json_object_object_get(st, "data");
	v = v ? json_object_object_get(v, "sources") : NULL;
	for (i = 0; v && i < json_object_array_length(v); i++) {
		struct json_object *s = json_object_array_get_idx(v, i);

		printf("%s %s (%s, %s, %s days old)%s\n", i ? "          " : "data:     ",
		       json_object_get_string(json_object_object_get(s, "path")),
		       json_object_get_string(json_object_object_get(s, "kind")),
		       json_object_get_string(json_object_object_get(s, "signature")),
		       sg_ctl_jstr(s, "age_days"),
		       json_object_get_boolean(json_object_object_get(s, "stale")) ?
		       " WARNING: older than data_warn_age, run 'location update'" : "");
	}

	b = json_object_object_get(st, "bpf");
	progs = json_object_object_get(b, "programs");
	printf("programs:  %d of %d attached, %zu pinned (in %s)\n",
	       json_object_get_int(json_object_object_get(b, "links_attached")), SG_HOOK_MAX,
	       json_object_array_length(progs),
	       json_object_get_string(json_object_object_get(b, "pin_root")));
	for (i = 0; i < json_object_array_length(progs); i++) {
		struct json_object *p = json_object_array_get_idx(progs, i);

		printf("  %-9s prog %s link %s cgroup %s%s\n",
		       json_object_get_string(json_object_object_get(p, "hook")),
		       json_object_get_string(json_object_object_get(p, "prog_id")),
		       json_object_get_string(json_object_object_get(p, "link_id")),
		       json_object_get_string(json_object_object_get(p, "cgroup_id")),
		       json_object_get_boolean(json_object_object_get(p, "attached")) ? "" :
		       " DETACHED");
	}
	if (json_object_object_get_ex(b, "mode", &v))
		printf("mode:      %s, fail verdict %s\n", json_object_get_string(v),
		       sg_ctl_jstr(b, "fail"));
	if (json_object_object_get_ex(b, "policy", &v) && v) {
		printf("policy:    generation %s, %s rules, default %s, %s destination classes "
		       "over %s+%s ranges, %lld KiB\n",
		       json_object_get_string(json_object_object_get(v, "generation")),
		       json_object_get_string(json_object_object_get(v, "rules")),
		       json_object_get_string(json_object_object_get(v, "default")),
		       json_object_get_string(json_object_object_get(v, "destination_classes")),
		       json_object_get_string(json_object_object_get(v, "ipv4_ranges")),
		       json_object_get_string(json_object_object_get(v, "ipv6_ranges")),
		       (long long)json_object_get_int64(json_object_object_get(v, "bytes")) / 1024);
		if (json_object_get_int(json_object_object_get(v, "slot")))
			printf("           (from the backup slot: slot 0 is empty)\n");
	} else {
		printf("policy:    none in the kernel (the fail verdict decides)\n");
	}
	printf("lsm:       %s\n", sg_ctl_jstr(b, "lsm"));
	if (json_object_object_get_ex(b, "counters", &cnt)) {
		printf("counters: ");
		json_object_object_foreach(cnt, k, val)
			printf(" %s %s", k, json_object_get_string(val));
		printf("\n");
	}
	if (json_object_object_get_ex(b, "observation", &v) && v) {
		printf("observing: %d of %d links, %s flow pairs (of %s), records",
		       json_object_get_int(json_object_object_get(v, "links")),
		       json_object_get_int(json_object_object_get(v, "links_expected")),
		       json_object_get_string(json_object_object_get(v, "flows")),
		       json_object_get_string(json_object_object_get(v, "flows_max")));
		json_object_object_foreach(json_object_object_get(v, "records"), k, val)
			printf(" %s %s/%s/%s", k,
			       json_object_get_string(json_object_object_get(val, "submitted")),
			       json_object_get_string(json_object_object_get(val, "dropped")),
			       json_object_get_string(json_object_object_get(val, "no_state")));
		printf(" (submitted/dropped/no state)\n");
	} else {
		printf("observing: no\n");
	}
	print_detection(json_object_object_get(st, "detection"));
	v = json_object_object_get(st, "flows");
	if (v) {
		struct json_object *e = json_object_object_get(v, "ended");

		printf("flows:     existing_flows %s, socket destroy %s; ended tcp %lld udp %lld "
		       "udplite %lld, failed %lld, left (no destroy) %lld\n",
		       sg_ctl_jstr(v, "existing_flows"), sg_ctl_jstr(v, "destroy"),
		       jint(e, "tcp"), jint(e, "udp"), jint(e, "udplite"), jint(v, "failed"),
		       jint(v, "unsupported"));
		e = json_object_object_get(v, "no_destroy");
		if (e && json_object_array_length(e))
			printf("           the kernel cannot destroy %s sockets\n",
			       json_object_to_json_string(e));
	}
	v = json_object_object_get(st, "quarantine");
	if (v)
		printf("quarantine: %s, %lld in force (at most %lld)%s\n", sg_ctl_jstr(v, "mode"),
		       jint(v, "active"), jint(v, "max"),
		       jint(v, "active") ? ": sovguardctl quarantine" : "");
	m = json_object_object_get(st, "module");
	if (m && json_object_get_type(m) == json_type_object)
		sg_ctl_kmod_status_print(stdout, m);
	else
		printf("module:    not loaded\n");
}

static void data_ages(struct json_object *data)
{
	struct json_object *srcs = data ? json_object_object_get(data, "sources") : NULL;
	__s64 warn = json_object_get_int64(json_object_object_get(data, "data_warn_age_days"));
	time_t now = time(NULL);
	size_t i;

	for (i = 0; srcs && i < json_object_array_length(srcs); i++) {
		struct json_object *s = json_object_array_get_idx(srcs, i);
		__s64 created = json_object_get_int64(json_object_object_get(s, "created"));
		__s64 age = created > 0 && now > created ? (now - created) / 86400 : 0;

		json_put(s, "age_days", json_object_new_int64(age));
		json_put(s, "stale", json_object_new_boolean(warn > 0 && created > 0 &&
							     now - created > warn * 86400));
	}
}

int sg_cmd_status(const struct sg_ctl *ctl, int argc, char **argv)
{
	struct json_object *st, *mod = NULL, *dmn;
	int err;

	if (sg_ctl_help_asked(argc, argv)) {
		printf("Usage: sovguardctl status [-j]\n"
		       "Show the daemon, its jurisdiction data (kind and signature),\n"
		       "the attached programs, mode, counters and the\n"
		       "kernel module's state. Readable without privileges where the\n"
		       "module is concerned; the BPF part needs root, or the daemon reads\n"
		       "it for members of its control group.\n");
		return 0;
	}
	/*
	 * Without the right to read the pins, "nothing attached" would be a
	 * lie: ask the daemon, which reads them for root and the control group.
	 */
	err = sg_status_open_pinned(ctl->pin_root, SG_PIN_CONFIG);
	if (err == -EACCES || err == -EPERM) {
		st = sg_ctl_ask(ctl, "status", NULL, NULL, SG_CONTROL_TIMEOUT_MS);
		if (!st) {
			fprintf(stderr, "sovguardctl: no permission to read the pinned state in %s "
					"(%s), and no answer from the daemon: run as root or as a "
					"member of the control group\n", ctl->pin_root, strerror(-err));
			return err;
		}
		data_ages(json_object_object_get(st, "data"));
		goto print;
	}
	if (err >= 0)
		close(err);
	st = json_object_new_object();
	json_put(st, "version", json_object_new_string(SG_VERSION));
	dmn = daemon_status(ctl->run_dir);
	json_put(st, "daemon", dmn);
	/* The jurisdiction data the daemon loaded, and whether it was verified. */
	if (json_object_get_boolean(json_object_object_get(dmn, "running"))) {
		const int w = SG_CTL_STATUS_WAIT_MS;

		json_put(st, "data", sg_ctl_ask(ctl, "data", NULL, NULL, w));
		json_put(st, "detection", sg_ctl_ask(ctl, "detect", NULL, NULL, w));
		json_put(st, "quarantine", sg_ctl_ask(ctl, "quarantine", NULL, NULL, w));
		json_put(st, "flows", sg_ctl_ask(ctl, "flows", NULL, NULL, w));
	}
	json_put(st, "bpf", sg_status_bpf_json(ctl->pin_root));
	data_ages(json_object_object_get(st, "data"));
	/* With the daemon down, what the pins keep in force is all there is. */
	if (!json_object_get_boolean(json_object_object_get(dmn, "running")))
		json_put(dmn, "enforcement", json_object_new_string(
				 json_object_get_int(json_object_object_get(
					 json_object_object_get(st, "bpf"), "links_attached")) ?
				 "pinned" : "none"));
	err = sg_kmod_status_json(&mod);
	if (err && err != -ENOENT)
		fprintf(stderr, "sovguardctl: module status: %s\n", strerror(-err));
	json_put(st, "module", err ? NULL : mod);

print:
	if (sg_ctl_want_json(ctl, argc, argv))
		printf("%s\n", json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_status(st);
	json_object_put(st);
	return 0;
}

