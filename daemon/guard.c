// SPDX-License-Identifier: GPL-2.0
/*
 * Loads bpf/guard.bpf.c through its skeleton where the kernel runs BPF LSM:
 * an lsm/bpf program that refuses bpf() changes to sovguard's maps and
 * links to every process but this daemon (include/sovguard_guard.h). Its
 * link is pinned, so the refusal outlives the daemon; a new daemon attaches
 * its own guard first and then replaces the pin of the old one, so there is
 * no moment without one. docs/design.md says what it covers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "egress.h"
#include "guard.h"
#include "guard.skel.h"
#include "links.h"
#include "lib/log.h"
#include "lib/lsm.h"
#include "lib/names.h"
#include "lib/util.h"
#include "observe.h"
#include "tamper.h"

struct sg_guard {
	struct sg_guard_bpf *skel;
	struct bpf_link *link;
	bool full_said;		/* SG_GUARD_OBJS_MAX reached, said */
	__u32 link_id;
	char pin_root[SG_PATH_MAX];
	struct sg_guard_key keys[SG_GUARD_OBJS_MAX];	/* as written to sg_guard_objs */
	unsigned int nr_keys;
	__u64 refused;					/* SG_GSTAT_REFUSED last seen */
};

static __u32 fd_link_id(int fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_link_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

static __u32 pinned_link_id(const char *path)
{
	int fd = bpf_obj_get(path);
	__u32 id = fd_link_id(fd);

	if (fd >= 0)
		close(fd);
	return id;
}

/* Until the link @id is released (its pin went and nobody else holds it). */
static int wait_released(__u32 id)
{
	struct timespec step = { .tv_nsec = 10 * 1000000L };
	int i, fd;

	for (i = 0; i < SG_GUARD_WAIT_MS / 10; i++) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0 && errno == ENOENT)
			return 0;
		if (fd >= 0)
			close(fd);
		nanosleep(&step, NULL);
	}
	return -EBUSY;
}

/* Take the pin of @path away from the link it holds and wait for that link to go. */
static int drop_old(const char *path, __u32 old_id)
{
	if (!old_id)
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		return sg_error_errno(-errno, "Failed to remove the guard's pin %s: %m", path);
	if (wait_released(old_id))
		return sg_error_errno(-EBUSY, "The previous guard (link %u) is still held by "
				      "another process: its refusals stay", old_id);
	return 0;
}

static int guard_attach(struct sg_guard *g, const char *path, __u32 old_id)
{
	char tmp[SG_PATH_MAX];
	__u32 tgid = getpid();
	__u8 one = 1;
	int err;

	g->skel = sg_guard_bpf__open_and_load();
	if (!g->skel)
		return -errno;
	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.sg_guard_allow), &tgid, &one,
				BPF_ANY) < 0)
		return -errno;
	g->link = bpf_program__attach_lsm(g->skel->progs.sg_guard_bpf);
	if (!g->link)
		return -errno;
	g->link_id = fd_link_id(bpf_link__fd(g->link));
	/* Pinned aside, then renamed over the old pin: one guard at least, always. */
	err = sg_pin_path(tmp, sizeof(tmp), g->pin_root, SG_PIN_GUARD_NEW);
	if (err)
		return err;
	unlink(tmp);
	if (bpf_obj_pin(bpf_link__fd(g->link), tmp) < 0)
		return sg_error_errno(-errno, "Failed to pin the guard at %s: %m", tmp);
	if (rename(tmp, path) < 0) {
		err = -errno;
		unlink(tmp);
		return sg_error_errno(err, "Failed to pin the guard at %s: %m", path);
	}
	/* The old guard lost its pin with the rename; it refuses us until it goes. */
	if (old_id && wait_released(old_id))
		sg_error_errno(-EBUSY, "The previous guard (link %u) is still held by another "
			       "process: its refusals stay", old_id);
	return 0;
}

static void guard_free(struct sg_guard *g)
{
	if (g->link) {
		bpf_link__disconnect(g->link);
		bpf_link__destroy(g->link);
	}
	sg_guard_bpf__destroy(g->skel);
	free(g);
}

/**
 * sg_guard_start() - refuse bpf() changes to sovguard's objects by other
 * processes, where the kernel allows it. Called before the egress pins are
 * adopted: a previous daemon's guard would refuse this daemon.
 * @ret: the guard, or NULL when it does not run (said once, in the log).
 * @protect: the configuration's protect = lsm; off removes a pinned guard.
 *
 * Return: 0, or a negative errno (logged) when a previous guard could not
 * be removed.
 */
int sg_guard_start(struct sg_guard **ret, const char *pin_root, bool protect)
{
	char path[SG_PATH_MAX];
	struct sg_guard *g;
	__u32 old_id;
	int err;

	*ret = NULL;
	err = sg_pin_path(path, sizeof(path), pin_root, SG_PIN_GUARD_LINK);
	if (err)
		return err;
	old_id = pinned_link_id(path);
	if (!protect) {
		sg_info("protect = off: bpf() on sovguard's objects is not refused");
		return drop_old(path, old_id);
	}
	if (!sg_lsm_bpf_active()) {
		sg_info("the kernel runs no BPF LSM (no \"bpf\" in /sys/kernel/security/lsm): "
			"bpf() on sovguard's objects is not refused");
		return drop_old(path, old_id);
	}
	err = sg_bpffs_ensure(pin_root);
	if (err)
		return sg_error_errno(err, "Failed to prepare %s: %m", pin_root);
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	strcpy(g->pin_root, pin_root);
	err = guard_attach(g, path, old_id);
	if (err) {
		sg_warn("Failed to attach the BPF LSM guard: %s; bpf() on sovguard's objects is "
			"not refused", strerror(-err));
		guard_free(g);
		return drop_old(path, pinned_link_id(path) == old_id ? old_id : 0);
	}
	sg_info("BPF LSM guard active (link %u): bpf() changes to sovguard's objects are "
		"refused to other processes", g->link_id);
	*ret = g;
	return 0;
}

static unsigned int own_keys(struct sg_guard *g, struct sg_guard_key *keys, unsigned int max)
{
	return sg_guard_keys(g->skel->obj, &g->link, 1, keys, max);
}

static bool has_key(const struct sg_guard_key *keys, unsigned int n, const struct sg_guard_key *k)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (keys[i].kind == k->kind && keys[i].id == k->id)
			return true;
	return false;
}

/**
 * sg_guard_sync() - protect what the daemon owns now (after an attach, a
 * publish, a restore); objects gone are dropped from the set.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_guard_sync(struct sg_guard *g, struct sg_egress *e, struct sg_observe *o)
{
	struct sg_guard_key want[SG_GUARD_OBJS_MAX];
	int fd;
	unsigned int n, i;
	__u8 one = 1;

	if (!g)
		return 0;
	n = own_keys(g, want, SG_GUARD_OBJS_MAX);
	n += sg_egress_objects(e, want + n, SG_GUARD_OBJS_MAX - n);
	if (o)
		n += sg_observe_objects(o, want + n, SG_GUARD_OBJS_MAX - n);
	if (n == SG_GUARD_OBJS_MAX && !g->full_said)
		sg_warn("the bpf() guard protects %u objects, its most: any more are not "
			"protected", n);
	g->full_said = n == SG_GUARD_OBJS_MAX;
	if (n == g->nr_keys && !memcmp(want, g->keys, n * sizeof(want[0])))
		return 0;
	fd = bpf_map__fd(g->skel->maps.sg_guard_objs);
	/* New ones first: the set never lacks a live object. */
	for (i = 0; i < n; i++)
		if (!has_key(g->keys, g->nr_keys, &want[i]) &&
		    bpf_map_update_elem(fd, &want[i], &one, BPF_ANY) < 0)
			return sg_error_errno(-errno, "Failed to protect %s %u: %m",
					      want[i].kind == SG_GUARD_MAP ? "map" : "link",
					      want[i].id);
	for (i = 0; i < g->nr_keys; i++)
		if (!has_key(want, n, &g->keys[i]))
			bpf_map_delete_elem(fd, &g->keys[i]);
	memcpy(g->keys, want, n * sizeof(want[0]));
	g->nr_keys = n;
	return 0;
}

/**
 * sg_guard_check() - the watchdog's turn: the guard's pin is its link, and
 * refusals since the last turn are reported.
 *
 * Return: 1 when the pin was made again, 0, or a negative errno (logged).
 */
int sg_guard_check(struct sg_guard *g)
{
	char path[SG_PATH_MAX];
	__u64 refused = 0;
	__u32 idx = SG_GSTAT_REFUSED;
	int err;

	if (!g)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.sg_guard_stats), &idx, &refused) &&
	    refused > g->refused)
		sg_tamper_alert("tamper", "bpf", "%llu bpf() command%s on sovguard's objects "
				"refused", (unsigned long long)(refused - g->refused),
				refused - g->refused == 1 ? "" : "s");
	g->refused = refused;
	err = sg_pin_path(path, sizeof(path), g->pin_root, SG_PIN_GUARD_LINK);
	if (err)
		return err;
	if (pinned_link_id(path) == g->link_id)
		return 0;
	sg_tamper_alert("tamper", SG_PIN_GUARD_LINK, "pin removed or replaced in %s; pinning again",
			g->pin_root);
	if (unlink(path) < 0 && errno != ENOENT)
		return sg_error_errno(-errno, "Failed to pin the guard again: %m");
	if (bpf_obj_pin(bpf_link__fd(g->link), path) < 0)
		return sg_error_errno(-errno, "Failed to pin the guard again: %m");
	return 1;
}

/**
 * sg_guard_close() - release the daemon's handles; the pinned guard stays.
 * @exiting: the daemon's tgid leaves the allowed set (a later process with
 * the same pid is not the daemon).
 */
void sg_guard_close(struct sg_guard *g, bool exiting)
{
	__u32 tgid = getpid();

	if (!g)
		return;
	if (exiting)
		bpf_map_delete_elem(bpf_map__fd(g->skel->maps.sg_guard_allow), &tgid);
	guard_free(g);
}

/**
 * sg_guard_remove() - unpin the guard (sovguardd --remove): it goes with
 * the last process that holds it.
 *
 * Return: 0 or a negative errno.
 */
int sg_guard_remove(const char *pin_root)
{
	static const char *const names[] = { SG_PIN_GUARD_NEW, SG_PIN_GUARD_LINK };
	char path[SG_PATH_MAX];
	unsigned int i;
	int err = 0;

	for (i = 0; i < SG_ARRAY_SIZE(names); i++)
		if (!sg_pin_path(path, sizeof(path), pin_root, names[i]) && unlink(path) < 0 &&
		    errno != ENOENT && !err)
			err = -errno;
	return err;
}
