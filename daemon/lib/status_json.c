// SPDX-License-Identifier: GPL-2.0
/*
 * What is enforced, read from the kernel (lib/status_json.h): sovguardctl
 * status and the daemon's "status" and metrics share these.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "kmod_client.h"
#include "lsm.h"
#include "names.h"
#include "policy.h"
#include "status_json.h"
#include "util.h"

static void json_put(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

int sg_status_open_pinned(const char *root, const char *name)
{
	char path[SG_PATH_MAX];
	int fd;

	fd = sg_pin_path(path, sizeof(path), root, name);
	if (fd)
		return fd;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

const char *const sg_counter_names[SG_CNT_MAX] = {
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
	_cleanup_close_ int cfd = sg_status_open_pinned(root, "sg_obs_counters");
	_cleanup_close_ int kfd = sg_status_open_pinned(root, "sg_obs_config");
	_cleanup_close_ int ffd = sg_status_open_pinned(root, "sg_obs_flows");
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
		int fd = sg_status_open_pinned(root, obs_link_names[i]);

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
	_cleanup_close_ int fd = sg_status_open_pinned(root, SG_PIN_COUNTERS);
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
	_cleanup_close_ int outer = sg_status_open_pinned(root, SG_PIN_POLICY);
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

struct json_object *sg_status_bpf_json(const char *root)
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

		fd = sg_status_open_pinned(root, sg_hook_pin_name(i));
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

	fd = sg_status_open_pinned(root, SG_PIN_CONFIG);
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
			json_put(cnt, sg_counter_names[i], json_object_new_int64(counters[i]));
		json_put(o, "counters", cnt);
	}
	json_put(o, "observation", observe_status(root));
	return o;
}

/* The status attributes present in @st into @o, in the module's order. */
void sg_kmod_status_fill(struct json_object *o, const struct sg_kmod_status *st)
{
	unsigned int t;

	if (sg_kmod_has(st, SOVGUARD_A_VERSION))
		json_put(o, "version", json_object_new_string(st->version));
	if (sg_kmod_has(st, SOVGUARD_A_MODE))
		json_put(o, "mode", json_object_new_string(sg_mode_name(st->mode)));
	if (sg_kmod_has(st, SOVGUARD_A_FAIL_MODE))
		json_put(o, "fail_mode",
			 json_object_new_string(sg_kmod_fail_mode_name(st->fail_mode)));
	if (sg_kmod_has(st, SOVGUARD_A_LEASE_STATE))
		json_put(o, "lease", json_object_new_string(sg_kmod_lease_name(st->lease)));
	if (sg_kmod_has(st, SOVGUARD_A_LEASE_TIMEOUT_MS))
		json_put(o, "lease_timeout_ms", json_object_new_int64(st->lease_timeout_ms));
	if (sg_kmod_has(st, SOVGUARD_A_LEASE_REMAINING_MS))
		json_put(o, "lease_remaining_ms", json_object_new_int64(st->lease_remaining_ms));
	if (sg_kmod_has(st, SOVGUARD_A_LEASE_EXPIRED_MS))
		json_put(o, "lease_expired_ms", json_object_new_uint64(st->lease_expired_ms));
	if (sg_kmod_has(st, SOVGUARD_A_GUARD_STATE))
		json_put(o, "guard", json_object_new_string(sg_kmod_guard_name(st->guard)));
	if (sg_kmod_has(st, SOVGUARD_A_DAEMON_PID))
		json_put(o, "daemon_pid", json_object_new_int64(st->daemon_pid));
	if (sg_kmod_has(st, SOVGUARD_A_GENERATION))
		json_put(o, "generation", json_object_new_uint64(st->generation));
	if (sg_kmod_has(st, SOVGUARD_A_ALLOW_COUNT))
		json_put(o, "allow_count", json_object_new_int64(st->allow_count));
	if (sg_kmod_has(st, SOVGUARD_A_COUNTERS)) {
		struct json_object *c = json_object_new_object();

		for (t = 0; t <= SOVGUARD_CNT_MAX; t++)
			if (st->counters_has & (1u << t))
				json_put(c, sg_kmod_counter_name(t),
					 json_object_new_uint64(st->counters[t]));
		json_put(o, "counters", c);
	}
}

int sg_kmod_status_json(struct json_object **ret)
{
	struct sg_kmod_status st;
	struct json_object *o;
	int err;

	err = sg_kmod_status(&st);
	if (err)
		return err;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	sg_kmod_status_fill(o, &st);
	*ret = o;
	return 0;
}

