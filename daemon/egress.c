// SPDX-License-Identifier: GPL-2.0
/*
 * Loads bpf/egress.bpf.c through its skeleton, adopts or creates the pinned
 * maps and links, and writes policy into the maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "egress_int.h"
#include "links.h"
#include "lib/log.h"
#include "lib/names.h"
#include "lib/util.h"

/* Map names, for sg_egress_remove(): the same names the BPF object pins. */
static const char *const sg_map_names[] = {
	SG_PIN_POLICY, SG_PIN_CONFIG, SG_PIN_COUNTERS, SG_PIN_EVENTS, SG_PIN_SK_SUBJ,
};

static struct bpf_program *hook_prog(struct sg_egress_bpf *skel, int hook)
{
	switch (hook) {
	case SG_HOOK_CONNECT4:
		return skel->progs.sg_connect4;
	case SG_HOOK_CONNECT6:
		return skel->progs.sg_connect6;
	case SG_HOOK_SENDMSG4:
		return skel->progs.sg_sendmsg4;
	case SG_HOOK_SETSOCKOPT:
		return skel->progs.sg_setsockopt;
	case SG_HOOK_SKB_EGRESS:
		return skel->progs.sg_skb_egress;
	case SG_HOOK_SOCK_CREATE:
		return skel->progs.sg_sock_create;
	default:
		return skel->progs.sg_sendmsg6;
	}
}

/* Take over the program of one hook (sg_link_adopt_or_attach()). */
static int adopt_or_attach(struct sg_egress *e, int hook, int cg_fd, __u64 cg_id)
{
	char path[SG_PATH_MAX];
	int err;

	err = sg_pin_path(path, sizeof(path), e->pin_root, sg_hook_pin_name(hook));
	if (err)
		return err;
	return sg_link_adopt_or_attach(hook_prog(e->skel, hook), path, true, cg_fd, cg_id,
				       &e->links[hook]);
}

/*
 * Generation of the image the kernel decides from now, or 0 when there is
 * none: a restarted daemon continues the count.
 */
static __u32 live_generation(struct sg_egress *e)
{
	struct sg_image_hdr h = {};
	__u32 zero = 0, id;
	int fd;

	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.sg_policy), &zero, &id) < 0)
		return 0;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, &h) < 0 || h.magic != SG_IMAGE_MAGIC)
		h.generation = 0;
	close(fd);
	return h.generation;
}

/*
 * Open and load the egress object into @e->skel (a previous one destroyed),
 * with or without the programs of kernels that may refuse them; @e->skel
 * is NULL when the object could not even be opened (logged).
 */
static int egress_load(struct sg_egress *e, const struct bpf_object_open_opts *opts,
		       bool setsockopt, bool skb)
{
	sg_egress_bpf__destroy(e->skel);
	e->skel = sg_egress_bpf__open_opts(opts);
	if (!e->skel)
		return sg_error_errno(-errno, "Failed to open BPF object: %m");
	bpf_program__set_autoload(e->skel->progs.sg_setsockopt, setsockopt);
	bpf_program__set_autoload(e->skel->progs.sg_skb_egress, skb);
	bpf_program__set_autoload(e->skel->progs.sg_sock_create, skb);
	e->no_setsockopt = !setsockopt;
	e->no_skb = !skb;
	return sg_egress_bpf__load(e->skel);
}

/**
 * sg_egress_open() - load the egress programs, not attached yet.
 * @ret: the loaded object, untouched on failure.
 * @pin_root: bpffs directory for maps and links (created, mode 0700).
 *
 * Maps already pinned under @pin_root are reused with their content (the
 * live policy among them), so a restart leaves no gap.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_egress_open(struct sg_egress **ret, const char *pin_root)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	struct sg_egress *e;
	int err;

	if (strlen(pin_root) >= SG_PATH_MAX)
		return -ENAMETOOLONG;
	err = sg_bpffs_ensure(pin_root);
	if (err)
		return sg_error_errno(err, "Failed to prepare %s: %m", pin_root);

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->live.fd = -1;
	e->cg_fd = -1;
	strcpy(e->pin_root, pin_root);

	/*
	 * Kernels before 6.4 give cgroup/setsockopt programs fewer helpers
	 * than the decision calls: enforce without it. The packet-level
	 * backstop is the other newcomer: without it too, should that fail.
	 */
	err = egress_load(e, &opts, true, true);
	if (err && e->skel) {
		err = egress_load(e, &opts, false, true);
		if (!err)
			sg_warn("this kernel refuses the cgroup/setsockopt program: source routes "
				"(IPV6_RTHDR, IP_OPTIONS) are not decided (docs/design.md, Routes)");
	}
	if (err && e->skel) {
		err = egress_load(e, &opts, false, false);
		if (!err)
			sg_warn("this kernel refuses the cgroup/setsockopt and cgroup_skb/egress "
				"programs: source routes, ping and raw sockets and other protocols "
				"are not decided (docs/design.md, Routes)");
	}
	if (!e->skel)
		goto err_free;
	if (err) {
		err = sg_error_errno(err, "Failed to load BPF programs: %m; pins in %s made by "
				     "another sovguard version? Run 'sovguardd --remove' once, "
				     "then start again", pin_root);
		goto err_destroy;
	}
	e->generation = live_generation(e);
	*ret = e;
	return 0;

err_destroy:
	sg_egress_bpf__destroy(e->skel);
err_free:
	free(e);
	return err;
}

/**
 * sg_egress_attach() - enforce on a cgroup subtree.
 * @cgroup_path: absolute, or relative to the cgroup2 mount.
 *
 * Pinned links on the same cgroup get the new programs swapped in.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_egress_attach(struct sg_egress *e, const char *cgroup_path)
{
	_cleanup_close_ int cg_fd = -1;
	__u64 cg_id;
	int err, hook;

	err = sg_cgroup_open(cgroup_path, &cg_fd, &cg_id);
	if (err)
		return err;
	for (hook = 0; hook < SG_HOOK_MAX; hook++) {
		if (sg_egress_hook_off(e, hook))
			continue;
		err = adopt_or_attach(e, hook, cg_fd, cg_id);
		if (err)
			return err;
	}
	/* Kept: the watchdog attaches again what someone detached. */
	if (e->cg_fd >= 0)
		close(e->cg_fd);
	e->cg_fd = cg_fd;
	e->cg_id = cg_id;
	cg_fd = -1;
	return 0;
}

/**
 * sg_egress_set_config() - mode (enforce, audit or off) and fail verdict,
 * effective at once; the watchdog keeps them so.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_egress_set_config(struct sg_egress *e, __u32 mode, __u32 fail)
{
	struct sg_config kc = { .mode_plus1 = SG_CONFIG_MODE(mode), .fail = fail };
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.sg_config), &zero, &kc, BPF_ANY) < 0)
		return sg_error_errno(-errno, "Failed to write sg_config: %m");
	e->want = kc;
	return 0;
}

__u32 sg_egress_generation(struct sg_egress *e)
{
	return e->generation;
}

const struct sg_blk *sg_egress_live(struct sg_egress *e, __u32 *ret_nr)
{
	*ret_nr = e->live.nr_blocks;
	return e->live.blk;
}

/**
 * sg_egress_publish() - make @img the live policy (see sg_image_publish()).
 *
 * Return: 0 or a negative errno (logged); on error the live policy stays.
 */
int sg_egress_publish(struct sg_egress *e, const struct sg_image *img)
{
	struct sg_live live;
	__u32 one = 1, id;
	int err;

	err = sg_image_publish(bpf_map__fd(e->skel->maps.sg_policy), img, &live);
	if (err == -ESTALE)
		return sg_error_errno(err, "Failed to publish a %u-block policy: the policy slot "
				      "pinned in %s was made by another sovguard version; run "
				      "'sovguardd --remove' once, then start again",
				      img->nr_blocks, e->pin_root);
	if (err)
		return sg_error_errno(err, "Failed to publish a %u-block policy: %m",
				      img->nr_blocks);
	sg_live_release(&e->live);
	e->live = live;
	e->generation = sg_image_hdr(img)->generation;
	/*
	 * Slot 1 now: when it is empty (a first publish). Else the watchdog
	 * does it on its next turn: slot 1 holds an older, consistent image
	 * meanwhile, and a reload costs one RCU grace period, not two.
	 */
	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.sg_policy), &one, &id) < 0) {
		err = sg_image_backup(bpf_map__fd(e->skel->maps.sg_policy), live.fd);
		if (err)
			sg_warn("Failed to fill the backup policy slot: %s", strerror(-err));
		e->backup_pending = err != 0;
	} else {
		e->backup_pending = true;
	}
	sg_image_free(e->copy);
	e->copy = sg_image_dup(img, live.id);
	if (!e->copy)
		sg_warn("no memory for a copy of the policy: its content goes unchecked");
	return 0;
}

/**
 * sg_egress_objects() - the maps and links the bpf() guard protects: every
 * map of the egress object, the live image and the links.
 * @keys: filled with up to @max keys.
 *
 * Return: the number of keys filled.
 */
unsigned int sg_egress_objects(struct sg_egress *e, struct sg_guard_key *keys, unsigned int max)
{
	unsigned int n = sg_guard_keys(e->skel->obj, NULL, 0, keys, max);

	if (n < max && e->live.fd >= 0)
		keys[n++] = (struct sg_guard_key){ SG_GUARD_MAP, e->live.id };
	return n + sg_guard_keys(NULL, e->links, SG_HOOK_MAX, keys + n, max - n);
}

static int rb_handler(void *ctx, void *data, size_t len)
{
	struct sg_egress *e = ctx;

	if (len < sizeof(struct sg_event))
		return 0;
	return e->event_fn(e->event_ctx, data);
}

int sg_egress_events(struct sg_egress *e, sg_event_fn fn, void *ctx)
{
	e->event_fn = fn;
	e->event_ctx = ctx;
	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.sg_events), rb_handler, e, NULL);
	if (!e->rb)
		return sg_error_errno(-errno, "Failed to open event ring buffer: %m");
	return 0;
}

int sg_egress_events_fd(struct sg_egress *e)
{
	return e->rb ? ring_buffer__epoll_fd(e->rb) : -EINVAL;
}

int sg_egress_poll(struct sg_egress *e, int timeout_ms)
{
	int n = ring_buffer__poll(e->rb, timeout_ms);

	return n < 0 && n != -EINTR ? n : 0;	/* -EAGAIN: the handler stopped early */
}

/**
 * sg_egress_close() - release the daemon's handles; pins stay in force.
 */
void sg_egress_close(struct sg_egress *e)
{
	int hook;

	if (!e)
		return;
	ring_buffer__free(e->rb);
	sg_live_release(&e->live);
	sg_image_free(e->copy);
	if (e->cg_fd >= 0)
		close(e->cg_fd);
	for (hook = 0; hook < SG_HOOK_MAX; hook++) {
		if (!e->links[hook])
			continue;
		/* Closing our handle must not detach: the pin keeps it. */
		bpf_link__disconnect(e->links[hook]);
		bpf_link__destroy(e->links[hook]);
	}
	sg_egress_bpf__destroy(e->skel);
	free(e);
}

/**
 * sg_egress_remove() - end enforcement: unpin every link and map.
 *
 * Return: 0 or a negative errno for the first pin that could not go.
 */
int sg_egress_remove(const char *pin_root)
{
	char path[SG_PATH_MAX];
	unsigned int i;
	int err = 0;

	for (i = 0; i < SG_HOOK_MAX; i++) {
		if (!sg_pin_path(path, sizeof(path), pin_root, sg_hook_pin_name(i)) &&
		    unlink(path) < 0 && errno != ENOENT && !err)
			err = -errno;
	}
	for (i = 0; i < SG_ARRAY_SIZE(sg_map_names); i++) {
		if (!sg_pin_path(path, sizeof(path), pin_root, sg_map_names[i]) &&
		    unlink(path) < 0 && errno != ENOENT && !err)
			err = -errno;
	}
	if (rmdir(pin_root) < 0 && errno != ENOENT && errno != ENOTEMPTY && !err)
		err = -errno;
	return err;
}
