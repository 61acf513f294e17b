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
#include "../lib/util.h"
#include "ctl.h"
#include "policy.h"

/* How long status waits for the daemon's part before reporting without it. */
#define SG_CTL_STATUS_WAIT_MS	1000

static void json_put(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static int open_pinned(const char *root, const char *name)
{
	char path[SG_PATH_MAX];
	int fd;

	fd = sg_pin_path(path, sizeof(path), root, name);
	if (fd)
		return fd;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static const char *const counter_names[SG_CNT_MAX] = {
	[SG_CNT_ALLOW] = "allow",
	[SG_CNT_DENY] = "deny",
	[SG_CNT_AUDIT] = "audit",
	[SG_CNT_WOULD_DENY] = "would_deny",
	[SG_CNT_EVENTS_DROPPED] = "events_dropped",
	[SG_CNT_NO_POLICY] = "no_policy",
	[SG_CNT_LOOPBACK] = "loopback",
	[SG_CNT_IMAGE_ERROR] = "image_error",
	[SG_CNT_CACHE_HIT] = "cache_hit",
	[SG_CNT_BUSY] = "busy",
	[SG_CNT_BACKUP] = "backup_slot",
	[SG_CNT_NO_WORK] = "no_work_area",
	[SG_CNT_FAIL] = "fail_verdict",
};

static const char *const obs_kind_names[SG_OBS_KINDS] = {
	[SG_OBS_CONNECT] = "connect", [SG_OBS_FLOW_END] = "flow_end",
	[SG_OBS_EXEC] = "exec", [SG_OBS_LISTEN] = "listen",
	[SG_OBS_SOCKET] = "socket", [SG_OBS_DNS] = "dns",
};

static const char *const obs_link_names[] = {
	"obs_ingress", "obs_post_bind4", "obs_post_bind6", "obs_sock_release",
	"obs_tcp_state", "obs_exec", "obs_socket", "obs_socket_enter",
};

/*
 * Observation, from its pins: links in place, the kinds that are on, and
 * per kind what the kernel submitted and what it lost (ring buffer full,
 * no socket state). NULL when it was never loaded here.
 */
static struct json_object *observe_status(const char *root)
{
	_cleanup_close_ int cfd = open_pinned(root, "sg_obs_counters");
	_cleanup_close_ int kfd = open_pinned(root, "sg_obs_config");
	_cleanup_close_ int ffd = open_pinned(root, "sg_obs_flows");
	_cleanup_free_ __u64 *vals = NULL;
	struct json_object *o, *kinds;
	int ncpu = libbpf_num_possible_cpus(), c, links = 0;
	struct sg_obs_flow_key key, *prev = NULL;
	struct sg_obs_config kc = {};
	__u32 zero = 0, k, w;
	__u64 flows = 0;
	size_t i;

	if (cfd < 0 || ncpu <= 0)
		return NULL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return NULL;
	o = json_object_new_object();
	for (i = 0; i < SG_ARRAY_SIZE(obs_link_names); i++) {
		int fd = open_pinned(root, obs_link_names[i]);

		if (fd >= 0) {
			links++;
			close(fd);
		}
	}
	json_put(o, "links", json_object_new_int(links));
	json_put(o, "links_expected", json_object_new_int(SG_ARRAY_SIZE(obs_link_names)));
	if (kfd >= 0 && !bpf_map_lookup_elem(kfd, &zero, &kc)) {
		json_put(o, "kinds_on", json_object_new_int64(kc.kinds));
		json_put(o, "flow_window_ms", json_object_new_int64(kc.flow_window_ms));
	}
	while (ffd >= 0 && flows < SG_OBS_FLOWS_MAX && !bpf_map_get_next_key(ffd, prev, &key)) {
		flows++;
		prev = &key;
	}
	json_put(o, "flows", json_object_new_int64(flows));
	json_put(o, "flows_max", json_object_new_int64(SG_OBS_FLOWS_MAX));
	kinds = json_object_new_object();
	for (k = 1; k < SG_OBS_KINDS; k++) {
		static const char *const what[SG_OBS_WHATS] = { "submitted", "dropped",
								 "no_state" };
		struct json_object *ko = json_object_new_object();

		for (w = 0; w < SG_OBS_WHATS; w++) {
			__u32 idx = SG_OBS_CNT(k, w);
			__u64 sum = 0;

			if (bpf_map_lookup_elem(cfd, &idx, vals) == 0)
				for (c = 0; c < ncpu; c++)
					sum += vals[c];
			json_put(ko, what[w], json_object_new_int64(sum));
		}
		json_put(kinds, obs_kind_names[k], ko);
	}
	json_put(o, "records", kinds);
	return o;
}

static int read_counters(const char *root, __u64 out[SG_CNT_MAX])
{
	_cleanup_close_ int fd = open_pinned(root, SG_PIN_COUNTERS);
	_cleanup_free_ __u64 *vals = NULL;
	int ncpu = libbpf_num_possible_cpus();
	__u32 i;
	int c;

	if (fd < 0)
		return fd;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < SG_CNT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals) < 0)
			return -errno;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

/*
 * The image the programs decide from, found as they find it: slot 0's, or
 * slot 1's when slot 0 is empty or inconsistent. An fd, *slot and *h.
 */
static int open_live_image(const char *root, __u32 *slot, struct sg_image_hdr *h)
{
	_cleanup_close_ int outer = open_pinned(root, SG_PIN_POLICY);
	__u32 zero = 0, id, s;
	int fd;

	if (outer < 0)
		return outer;
	for (s = 0; s < SG_POLICY_SLOTS; s++) {
		if (bpf_map_lookup_elem(outer, &s, &id) < 0)
			continue;
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_map_lookup_elem(fd, &zero, h) && h->magic == SG_IMAGE_MAGIC) {
			*slot = s;
			return fd;
		}
		close(fd);
	}
	return -ENOENT;
}

static struct json_object *policy_status(const char *root)
{
	struct sg_image_hdr h = {};
	__u32 slot = 0;
	_cleanup_close_ int fd = open_live_image(root, &slot, &h);
	struct sg_image_info info = {};
	__u32 one = 1;
	struct json_object *o;

	if (fd < 0 || bpf_map_lookup_elem(fd, &one, &info) < 0)
		return NULL;
	o = json_object_new_object();
	json_put(o, "slot", json_object_new_int64(slot));
	json_put(o, "map_id", json_object_new_int64(h.image_id));
	json_put(o, "generation", json_object_new_int64(h.generation));
	json_put(o, "rules", json_object_new_int64(h.nr_rules));
	json_put(o, "default", json_object_new_string(sg_verdict_name(h.default_verdict)));
	json_put(o, "destination_classes", json_object_new_int64(h.nr_dst_classes));
	json_put(o, "port_classes", json_object_new_int64(h.nr_port_classes));
	json_put(o, "subject_atoms", json_object_new_int64(info.nr_subjects));
	json_put(o, "ipv4_ranges", json_object_new_int64(info.nr_v4_ranges));
	json_put(o, "ipv6_ranges", json_object_new_int64(info.nr_v6_ranges));
	json_put(o, "bytes", json_object_new_int64((__s64)info.nr_blocks * SG_BLK_BYTES));
	return o;
}

static struct json_object *bpf_status(const char *root)
{
	struct json_object *o = json_object_new_object(), *progs = json_object_new_array();
	struct json_object *cnt;
	struct sg_config kc = {};
	__u64 counters[SG_CNT_MAX];
	__u32 zero = 0, i;
	int fd;

	int attached = 0;

	json_put(o, "pin_root", json_object_new_string(root));
	for (i = 0; i < SG_HOOK_MAX; i++) {
		struct bpf_link_info info = {};
		struct bpf_prog_info pinfo = {};
		__u32 len = sizeof(info), plen = sizeof(pinfo);
		struct json_object *p;
		int pfd;

		fd = open_pinned(root, sg_hook_pin_name(i));
		if (fd < 0)
			continue;
		p = json_object_new_object();
		json_put(p, "hook", json_object_new_string(sg_hook_name(i)));
		if (!bpf_link_get_info_by_fd(fd, &info, &len)) {
			json_put(p, "link_id", json_object_new_int64(info.id));
			json_put(p, "prog_id", json_object_new_int64(info.prog_id));
			json_put(p, "cgroup_id", json_object_new_int64(info.cgroup.cgroup_id));
			/* A detached link keeps its pin, but no cgroup. */
			json_put(p, "attached", json_object_new_boolean(info.cgroup.cgroup_id != 0));
			attached += info.cgroup.cgroup_id != 0;
			pfd = bpf_prog_get_fd_by_id(info.prog_id);
			if (pfd >= 0 && !bpf_prog_get_info_by_fd(pfd, &pinfo, &plen))
				json_put(p, "prog_name", json_object_new_string(pinfo.name));
			if (pfd >= 0)
				close(pfd);
		}
		close(fd);
		json_object_array_add(progs, p);
	}
	json_put(o, "attached", json_object_new_boolean(attached == SG_HOOK_MAX));
	json_put(o, "links_attached", json_object_new_int(attached));
	json_put(o, "programs", progs);

	fd = open_pinned(root, SG_PIN_CONFIG);
	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &kc)) {
		json_put(o, "mode", json_object_new_string(sg_mode_name(sg_config_mode(&kc))));
		json_put(o, "fail", json_object_new_string(sg_fail_name(kc.fail)));
	}
	if (fd >= 0)
		close(fd);
	json_put(o, "policy", policy_status(root));
	json_put(o, "lsm", json_object_new_string(sg_guard_state(root)));

	if (!read_counters(root, counters)) {
		cnt = json_object_new_object();
		for (i = 0; i < SG_CNT_MAX; i++)
			json_put(cnt, counter_names[i], json_object_new_int64(counters[i]));
		json_put(o, "counters", cnt);
	}
	json_put(o, "observation", observe_status(root));
	return o;
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
	printf("detection: %lld entries, fed %lld conns %lld dns %lld execs %lld listens "
	       "%lld pktsocks; evicted dns %lld procs %lld, points dropped %lld, "
	       "suppressed %lld, feed errors %lld, store errors %lld (alerts in %s)\n",
	       jint(v, "entries"), jint(v, "conns"), jint(v, "dns"), jint(v, "execs"),
	       jint(v, "listens"), jint(v, "pktsocks"), jint(v, "evicted_dns"),
	       jint(v, "evicted_procs"), jint(v, "points_dropped"), jint(v, "suppressed"),
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
	struct json_object *st, *mod = NULL, *dmn, *req;
	int err;

	if (sg_ctl_help_asked(argc, argv)) {
		printf("Usage: sovguardctl status [-j]\n"
		       "Show the daemon, its jurisdiction data (kind and signature),\n"
		       "the attached programs, mode, counters and the\n"
		       "kernel module's state. Readable without privileges where the\n"
		       "module is concerned; the BPF part needs root.\n");
		return 0;
	}
	/* Without the right to read the pins, "nothing attached" would be a lie. */
	err = open_pinned(ctl->pin_root, SG_PIN_CONFIG);
	if (err == -EACCES || err == -EPERM) {
		fprintf(stderr, "sovguardctl: no permission to read the pinned state in %s (%s): "
				"run as root\n", ctl->pin_root, strerror(-err));
		return err;
	}
	if (err >= 0)
		close(err);
	st = json_object_new_object();
	json_put(st, "version", json_object_new_string(SG_VERSION));
	dmn = daemon_status(ctl->run_dir);
	json_put(st, "daemon", dmn);
	/* The jurisdiction data the daemon loaded, and whether it was verified. */
	if (json_object_get_boolean(json_object_object_get(dmn, "running"))) {
		req = json_object_new_object();
		json_put(req, "cmd", json_object_new_string("data"));
		json_put(st, "data", sg_ctl_call(ctl, req, SG_CTL_STATUS_WAIT_MS));
		json_object_put(req);
		req = json_object_new_object();
		json_put(req, "cmd", json_object_new_string("detect"));
		json_put(st, "detection", sg_ctl_call(ctl, req, SG_CTL_STATUS_WAIT_MS));
		json_object_put(req);
		req = json_object_new_object();
		json_put(req, "cmd", json_object_new_string("quarantine"));
		json_put(st, "quarantine", sg_ctl_call(ctl, req, SG_CTL_STATUS_WAIT_MS));
		json_object_put(req);
	}
	json_put(st, "bpf", bpf_status(ctl->pin_root));
	data_ages(json_object_object_get(st, "data"));
	/* With the daemon down, what the pins keep in force is all there is. */
	if (!json_object_get_boolean(json_object_object_get(dmn, "running")))
		json_put(dmn, "enforcement", json_object_new_string(
				 json_object_get_int(json_object_object_get(
					 json_object_object_get(st, "bpf"), "links_attached")) ?
				 "pinned" : "none"));
	err = sg_ctl_kmod_status_json(&mod);
	if (err && err != -ENOENT)
		fprintf(stderr, "sovguardctl: module status: %s\n", strerror(-err));
	json_put(st, "module", err ? NULL : mod);

	if (sg_ctl_want_json(ctl, argc, argv))
		printf("%s\n", json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_status(st);
	json_object_put(st);
	return 0;
}

