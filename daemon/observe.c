// SPDX-License-Identifier: GPL-2.0
/*
 * Loads bpf/observe.bpf.c through its skeleton, reusing the maps the egress
 * object shares with it by pinned name; attaches its programs with pinned
 * links; drains the ring buffer on a timer and on the kernel's rare
 * wakeups (past a fill threshold), and passes each record, checked, to the
 * callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/timerfd.h>
#include <time.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "observe.h"
#include "links.h"
#include "observe.skel.h"
#include "lib/log.h"
#include "lib/util.h"

enum sg_obs_link {
	SG_OBS_LINK_INGRESS,
	SG_OBS_LINK_POST_BIND4,
	SG_OBS_LINK_POST_BIND6,
	SG_OBS_LINK_SOCK_RELEASE,
	SG_OBS_LINK_TCP_STATE,
	SG_OBS_LINK_EXEC,
	SG_OBS_LINK_SOCKET,
	SG_OBS_LINK_SOCKET_ENTER,
	SG_OBS_LINKS,
};

/* Links on the cgroup come first; the rest are tracing links. */
#define SG_OBS_CGROUP_LINKS	SG_OBS_LINK_TCP_STATE

static const char *const sg_obs_link_names[SG_OBS_LINKS] = {
	"obs_ingress", "obs_post_bind4", "obs_post_bind6",
	"obs_sock_release", "obs_tcp_state", "obs_exec", "obs_socket", "obs_socket_enter",
};

static const char *const sg_obs_map_names[] = {
	"sg_obs_events", "sg_obs_config", "sg_obs_counters", "sg_obs_sk", "sg_obs_cgroup",
	"sg_obs_flows",
};

static const char *const sg_obs_kind_names[SG_OBS_KINDS] = {
	[SG_OBS_CONNECT] = "connect", [SG_OBS_FLOW_END] = "flow_end",
	[SG_OBS_EXEC] = "exec", [SG_OBS_LISTEN] = "listen",
	[SG_OBS_SOCKET] = "socket", [SG_OBS_DNS] = "dns",
};

/* The smallest record a kind may have: its struct in this version. */
static const size_t sg_obs_sizes[SG_OBS_KINDS] = {
	[SG_OBS_CONNECT] = sizeof(struct sg_obs_connect),
	[SG_OBS_FLOW_END] = sizeof(struct sg_obs_flow_end),
	[SG_OBS_EXEC] = sizeof(struct sg_obs_exec),
	[SG_OBS_LISTEN] = sizeof(struct sg_obs_listen),
	[SG_OBS_SOCKET] = sizeof(struct sg_obs_socket),
	[SG_OBS_DNS] = sizeof(struct sg_obs_dns),
};

struct sg_observe {
	struct sg_observe_bpf *skel;
	struct bpf_link *links[SG_OBS_LINKS];
	struct ring_buffer *rb;
	int timer_fd;
	sg_obs_fn fn;
	void *ctx;
	struct sg_obs_stats st;
	__u32 kinds, wakeup_bytes, window_ms;
	__u64 next_sweep_ns;
	int cg_fd;		/* the observed cgroup, for the watchdog to attach again */
	__u64 cg_id;
	char pin_root[SG_PATH_MAX];
};

const char *sg_obs_kind_name(unsigned int kind)
{
	return kind < SG_OBS_KINDS && sg_obs_kind_names[kind] ? sg_obs_kind_names[kind] : "?";
}

static struct bpf_program *link_prog(struct sg_observe_bpf *skel, int i)
{
	switch (i) {
	case SG_OBS_LINK_INGRESS:
		return skel->progs.sg_obs_ingress;
	case SG_OBS_LINK_POST_BIND4:
		return skel->progs.sg_obs_post_bind4;
	case SG_OBS_LINK_POST_BIND6:
		return skel->progs.sg_obs_post_bind6;
	case SG_OBS_LINK_SOCK_RELEASE:
		return skel->progs.sg_obs_sock_release;
	case SG_OBS_LINK_TCP_STATE:
		return skel->progs.sg_obs_tcp_state;
	case SG_OBS_LINK_EXEC:
		return skel->progs.sg_obs_exec;
	case SG_OBS_LINK_SOCKET:
		return skel->progs.sg_obs_socket;
	default:
		return skel->progs.sg_obs_socket_enter;
	}
}

static int pin_path(char *buf, size_t len, const char *root, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", root, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/**
 * sg_observe_open() - load the observation programs, not attached yet.
 * @ret: the loaded object, untouched on failure.
 * @pin_root: bpffs directory shared with the egress programs.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_observe_open(struct sg_observe **ret, const char *pin_root)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	struct sg_observe *o;
	int err;

	if (strlen(pin_root) >= SG_PATH_MAX)
		return -ENAMETOOLONG;
	err = sg_bpffs_ensure(pin_root);
	if (err)
		return sg_error_errno(err, "Failed to prepare %s: %m", pin_root);
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->timer_fd = -1;
	o->cg_fd = -1;
	o->window_ms = SG_OBS_FLOW_WINDOW_MS;
	strcpy(o->pin_root, pin_root);
	o->skel = sg_observe_bpf__open_opts(&opts);
	if (!o->skel) {
		err = sg_error_errno(-errno, "Failed to open the observation BPF object: %m");
		goto err_free;
	}
	err = sg_observe_bpf__load(o->skel);
	if (err) {
		err = sg_error_errno(err, "Failed to load the observation programs "
				     "(stale pins in %s?): %m", pin_root);
		goto err_destroy;
	}
	o->st.ring_bytes = SG_OBS_EVENTS_BYTES;
	o->st.flow_window_ms = o->window_ms;
	*ret = o;
	return 0;

err_destroy:
	sg_observe_bpf__destroy(o->skel);
err_free:
	free(o);
	return err;
}

/*
 * A cgroup link pinned on the same cgroup gets the new program swapped in;
 * a tracing link cannot be updated, so the new one is attached first and
 * takes over the pin (events may come twice for a moment, never not at
 * all).
 */
static int adopt_or_attach(struct sg_observe *o, int i, int cg_fd, __u64 cg_id)
{
	char path[SG_PATH_MAX];
	int err;

	err = pin_path(path, sizeof(path), o->pin_root, sg_obs_link_names[i]);
	if (err)
		return err;
	return sg_link_adopt_or_attach(link_prog(o->skel, i), path, i < SG_OBS_CGROUP_LINKS, cg_fd,
				       cg_id, &o->links[i]);
}

/*
 * The socket() tracepoint is found through tracefs, which systemd mounts
 * on /sys/kernel/tracing at boot; a system without it gets it mounted.
 */
static void tracefs_ensure(void)
{
	static const char dir[] = "/sys/kernel/tracing";
	struct statfs st;

	if (statfs(dir, &st) == 0 && st.f_type != TRACEFS_MAGIC &&
	    mount("tracefs", dir, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		sg_debug("Failed to mount tracefs on %s: %m", dir);
}

/**
 * sg_observe_attach() - observe a cgroup subtree (the egress one).
 * @cgroup_path: absolute, or relative to the cgroup2 mount.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_observe_attach(struct sg_observe *o, const char *cgroup_path)
{
	_cleanup_close_ int cg_fd = -1;
	__u32 zero = 0;
	__u64 cg_id;
	int err, i;

	err = sg_cgroup_open(cgroup_path, &cg_fd, &cg_id);
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(o->skel->maps.sg_obs_cgroup), &zero, &cg_fd,
				BPF_ANY) < 0)
		return sg_error_errno(-errno, "Failed to set the observed cgroup: %m");
	tracefs_ensure();
	for (i = 0; i < SG_OBS_LINKS; i++) {
		err = adopt_or_attach(o, i, cg_fd, cg_id);
		if (err && i >= SG_OBS_LINK_SOCKET) {
			/* the rest still works: said, and shown in status */
			sg_warn("Packet and raw sockets are not observed: %s", strerror(-err));
			continue;
		}
		if (err)
			return err;
	}
	if (o->cg_fd >= 0)
		close(o->cg_fd);
	o->cg_fd = cg_fd;
	o->cg_id = cg_id;
	cg_fd = -1;		/* kept: the watchdog attaches to it again */
	return 0;
}

/* Attach link @i anew (the old one is defunct), and pin the new one in its place. */
static int reattach(struct sg_observe *o, int i, const char *path)
{
	struct bpf_program *prog = link_prog(o->skel, i);
	struct bpf_link *fresh;
	int err;

	fresh = i < SG_OBS_CGROUP_LINKS ? bpf_program__attach_cgroup(prog, o->cg_fd) :
					  bpf_program__attach(prog);
	if (!fresh)
		return sg_error_errno(-errno, "Failed to attach %s again: %m", sg_obs_link_names[i]);
	bpf_link__disconnect(o->links[i]);
	bpf_link__detach(o->links[i]);
	bpf_link__destroy(o->links[i]);
	o->links[i] = fresh;
	unlink(path);
	err = bpf_link__pin(fresh, path);
	if (err)
		return sg_error_errno(err, "Failed to pin %s again: %m", sg_obs_link_names[i]);
	return 0;
}

/* One link: attached (a cgroup link to the observed cgroup), running our program, pinned. */
static int guard_link(struct sg_observe *o, int i, sg_observe_alert_fn alert)
{
	const char *name = sg_obs_link_names[i];
	struct bpf_program *prog = link_prog(o->skel, i);
	struct bpf_link_info info = {};
	__u32 len = sizeof(info), prog_id = sg_bpf_obj_id(bpf_program__fd(prog));
	bool cgroup = i < SG_OBS_CGROUP_LINKS;
	char path[SG_PATH_MAX];
	int err, pin_fd, n = 0;
	__u32 pinned = 0;

	if (!o->links[i] || pin_path(path, sizeof(path), o->pin_root, name))
		return 0;
	if (bpf_link_get_info_by_fd(bpf_link__fd(o->links[i]), &info, &len) < 0 ||
	    (cgroup && info.cgroup.cgroup_id != o->cg_id) || !info.prog_id) {
		alert("tamper", name, "detached; attaching again");
		err = reattach(o, i, path);
		return err ? err : 1;
	}
	if (info.prog_id != prog_id) {
		alert("tamper", name, "runs program %u instead of %u; putting ours back",
		      info.prog_id, prog_id);
		/* a tracing link cannot take another program: a new one replaces it */
		err = cgroup ? bpf_link__update_program(o->links[i], prog) : reattach(o, i, path);
		if (err)
			return sg_error_errno(err, "Failed to restore the program of %s: %m", name);
		n++;
	}
	pin_fd = bpf_obj_get(path);
	if (pin_fd >= 0) {
		pinned = sg_bpf_obj_id(pin_fd);
		close(pin_fd);
	}
	if (pinned != sg_bpf_obj_id(bpf_link__fd(o->links[i]))) {
		alert("tamper", name, "pin removed or replaced in %s; pinning again", o->pin_root);
		unlink(path);
		err = bpf_obj_pin(bpf_link__fd(o->links[i]), path) < 0 ? -errno : 0;
		if (err)
			return sg_error_errno(err, "Failed to pin %s again: %m", name);
		n++;
	}
	return n;
}

/**
 * sg_observe_guard() - the watchdog's check of the observation links, as
 * of the egress ones (daemon/tamper.c): each one attached (a cgroup link to
 * the observed cgroup), running our program and pinned. What differs is
 * put back, and said through @alert.
 *
 * Return: the number of links restored, or a negative errno (logged) when
 * one could not be.
 */
int sg_observe_guard(struct sg_observe *o, sg_observe_alert_fn alert)
{
	int i, r, n = 0, err = 0;

	if (o->cg_fd < 0)
		return 0;	/* not attached */
	for (i = 0; i < SG_OBS_LINKS; i++) {
		r = guard_link(o, i, alert);
		if (r < 0 && !err)
			err = r;
		n += r > 0 ? r : 0;
	}
	return err ? err : n;
}

/**
 * sg_observe_objects() - what the bpf() guard protects of observation: every
 * map of its object and its attached links (as sg_egress_objects()).
 *
 * Return: the number of keys written to @keys, at most @max.
 */
unsigned int sg_observe_objects(struct sg_observe *o, struct sg_guard_key *keys, unsigned int max)
{
	return sg_guard_keys(o->skel->obj, o->links, SG_OBS_LINKS, keys, max);
}

/**
 * sg_observe_detach() - stop observing: the links go, pins included.
 *
 * The maps stay; records already in the ring buffer can still be drained.
 */
void sg_observe_detach(struct sg_observe *o)
{
	int i;

	for (i = 0; i < SG_OBS_LINKS; i++) {
		if (!o->links[i])
			continue;
		bpf_link__unpin(o->links[i]);
		bpf_link__destroy(o->links[i]);
		o->links[i] = NULL;
	}
}

/**
 * sg_observe_set_kinds() - which records the kernel makes (0: none).
 * @wakeup_bytes: unread data that wakes the reader; 0 for the default.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_observe_set_kinds(struct sg_observe *o, __u32 kinds, __u32 wakeup_bytes)
{
	struct sg_obs_config c = {
		.kinds = kinds & SG_OBS_ALL,
		.wakeup_bytes = wakeup_bytes ? wakeup_bytes : SG_OBS_WAKEUP_BYTES,
		.flow_window_ms = o->window_ms,
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(o->skel->maps.sg_obs_config), &zero, &c, BPF_ANY))
		return sg_error_errno(-errno, "Failed to write sg_obs_config: %m");
	o->kinds = c.kinds;
	o->wakeup_bytes = c.wakeup_bytes;
	return 0;
}

/**
 * sg_observe_set_flow_window() - how often a subject-destination pair of TCP
 * connections is reported in full (0: every connection).
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_observe_set_flow_window(struct sg_observe *o, __u32 ms)
{
	o->window_ms = ms;
	o->st.flow_window_ms = ms;
	return sg_observe_set_kinds(o, o->kinds, o->wakeup_bytes);
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/**
 * sg_observe_sweep() - take the pairs idle for a window out of sg_obs_flows,
 * and pass on those with connections no full report covered.
 *
 * Each entry comes out with one atomic lookup-and-delete, so a connection
 * counted meanwhile is in the summary or in a new entry, never in neither.
 *
 * Return: pairs taken out, or a negative errno.
 */
int sg_observe_sweep(struct sg_observe *o)
{
	int fd = bpf_map__fd(o->skel->maps.sg_obs_flows), n = 0;
	struct sg_obs_flow_key key, *prev = NULL, *idle_keys;
	__u64 now = mono_ns(), idle = (__u64)(o->window_ms ? o->window_ms :
					      SG_OBS_FLOW_WINDOW_MS) * 1000000ULL;
	size_t nidle = 0, i;
	struct sg_obs_flow f;
	__u64 present = 0;

	idle_keys = malloc(SG_OBS_FLOWS_MAX * sizeof(*idle_keys));
	if (!idle_keys)
		return -ENOMEM;
	while (present < SG_OBS_FLOWS_MAX && !bpf_map_get_next_key(fd, prev, &key)) {
		idle_keys[nidle] = key;
		prev = &idle_keys[nidle];
		present++;
		if (!bpf_map_lookup_elem(fd, &key, &f) && now - f.last_ns >= idle)
			nidle++;
		else
			prev = &key;
	}
	for (i = 0; i < nidle; i++) {
		if (bpf_map_lookup_and_delete_elem(fd, &idle_keys[i], &f))
			continue;
		present--;
		n++;
		o->st.summaries++;
		if (f.connects > f.reported && o->fn) {
			struct sg_obs_summary sum = {
				.key = &idle_keys[i], .flow = &f,
				.unreported = f.connects - f.reported,
			};
			struct sg_obs_event ev = { .kind = SG_OBS_EV_SUMMARY, .summary = &sum };

			o->fn(o->ctx, &ev);
		}
	}
	free(idle_keys);
	o->st.flows = present;
	return n;
}

/**
 * sg_obs_decode() - check a record of @len bytes and describe it in @ev.
 * @ans: where a DNS record's answer is parsed to (@ev->answer then points
 *	 at it).
 *
 * Return: 0; -EBADMSG for a record of no known kind, version or size (@ev
 * untouched); -ENODATA for a DNS record whose message does not parse (@ev
 * filled, without an answer).
 */
int sg_obs_decode(const void *data, size_t len, struct sg_obs_event *ev,
		  struct sg_dns_answer *ans)
{
	const struct sg_obs_hdr *h = data;

	if (len < sizeof(*h) || h->size > len || h->version != SG_OBS_VERSION ||
	    !h->kind || h->kind >= SG_OBS_KINDS || h->size < sg_obs_sizes[h->kind])
		return -EBADMSG;
	*ev = (struct sg_obs_event){ .kind = h->kind, .hdr = h, .connect = data };
	if (h->kind == SG_OBS_DNS) {
		const struct sg_obs_dns *d = data;

		if (d->len > SG_OBS_DNS_MAX || sg_dns_parse(d->msg, d->len, ans))
			return -ENODATA;
		ev->answer = ans;
	}
	return 0;
}

static int rb_handler(void *ctx, void *data, size_t len)
{
	struct sg_observe *o = ctx;
	struct sg_obs_event ev;
	struct sg_dns_answer ans;
	int err = sg_obs_decode(data, len, &ev, &ans);

	if (err == -EBADMSG) {
		o->st.malformed++;
		return 0;
	}
	o->st.received[ev.kind]++;
	if (err == -ENODATA)
		o->st.dns_unparsed++;
	if (o->fn)
		o->fn(o->ctx, &ev);
	return 0;
}

/**
 * sg_observe_start() - read records into @fn from now on, and turn every
 * kind on.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_observe_start(struct sg_observe *o, sg_obs_fn fn, void *ctx)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = SG_OBS_FLUSH_MS * 1000000L },
		.it_value = { .tv_nsec = SG_OBS_FLUSH_MS * 1000000L },
	};

	o->fn = fn;
	o->ctx = ctx;
	o->rb = ring_buffer__new(bpf_map__fd(o->skel->maps.sg_obs_events), rb_handler, o, NULL);
	if (!o->rb)
		return sg_error_errno(-errno, "Failed to open the observation ring buffer: %m");
	o->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (o->timer_fd < 0 || timerfd_settime(o->timer_fd, 0, &its, NULL) < 0)
		return sg_error_errno(-errno, "Failed to set the observation timer: %m");
	return sg_observe_set_kinds(o, SG_OBS_ALL, 0);
}

int sg_observe_fd(struct sg_observe *o)
{
	return o->rb ? ring_buffer__epoll_fd(o->rb) : -EINVAL;
}

int sg_observe_timer_fd(struct sg_observe *o)
{
	return o->timer_fd;
}

/**
 * sg_observe_drain() - read every record waiting, in one batch.
 *
 * Return: records read, or a negative errno.
 */
int sg_observe_drain(struct sg_observe *o)
{
	__u64 ticks;
	int n;

	if (o->timer_fd >= 0 && read(o->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return -errno;
	if (!o->rb)
		return -EINVAL;
	if (mono_ns() >= o->next_sweep_ns) {
		sg_observe_sweep(o);
		o->next_sweep_ns = mono_ns() + (__u64)(o->window_ms ? o->window_ms :
						       SG_OBS_FLOW_WINDOW_MS) * 1000000ULL / 2;
	}
	o->st.ring_unread = ring__avail_data_size(ring_buffer__ring(o->rb, 0));
	o->st.drains++;
	n = ring_buffer__consume(o->rb);
	return n < 0 && n != -EINTR ? n : n < 0 ? 0 : n;
}

/**
 * sg_observe_stats() - the kernel's counters (summed over CPUs) and ours.
 */
void sg_observe_stats(struct sg_observe *o, struct sg_obs_stats *ret)
{
	int fd = bpf_map__fd(o->skel->maps.sg_obs_counters), ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 k, w;

	*ret = o->st;
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (k = 1; k < SG_OBS_KINDS; k++)
		for (w = 0; w < SG_OBS_WHATS; w++) {
			__u32 idx = SG_OBS_CNT(k, w);
			__u64 sum = 0;
			int c;

			if (bpf_map_lookup_elem(fd, &idx, vals) < 0)
				continue;
			for (c = 0; c < ncpu; c++)
				sum += vals[c];
			if (w == SG_OBS_SUBMITTED)
				ret->submitted[k] = sum;
			else if (w == SG_OBS_DROPPED)
				ret->dropped[k] = sum;
			else
				ret->no_state[k] = sum;
		}
	free(vals);
}

/**
 * sg_observe_close() - release the daemon's handles; pinned links stay.
 */
void sg_observe_close(struct sg_observe *o)
{
	int i;

	if (!o)
		return;
	ring_buffer__free(o->rb);
	if (o->timer_fd >= 0)
		close(o->timer_fd);
	for (i = 0; i < SG_OBS_LINKS; i++) {
		int fd;

		if (!o->links[i])
			continue;
		/* The pin keeps the link: ours goes, without detaching it. */
		fd = bpf_link__fd(o->links[i]);
		bpf_link__disconnect(o->links[i]);
		bpf_link__destroy(o->links[i]);
		close(fd);
	}
	if (o->cg_fd >= 0)
		close(o->cg_fd);
	sg_observe_bpf__destroy(o->skel);
	free(o);
}

/**
 * sg_observe_remove() - unpin every observation link and map.
 *
 * Return: 0 or a negative errno for the first pin that could not go.
 */
int sg_observe_remove(const char *pin_root)
{
	char path[SG_PATH_MAX];
	unsigned int i;
	int err = 0;

	for (i = 0; i < SG_OBS_LINKS; i++)
		if (!pin_path(path, sizeof(path), pin_root, sg_obs_link_names[i]) &&
		    unlink(path) < 0 && errno != ENOENT && !err)
			err = -errno;
	for (i = 0; i < SG_ARRAY_SIZE(sg_obs_map_names); i++)
		if (!pin_path(path, sizeof(path), pin_root, sg_obs_map_names[i]) &&
		    unlink(path) < 0 && errno != ENOENT && !err)
			err = -errno;
	return err;
}
