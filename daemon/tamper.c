// SPDX-License-Identifier: GPL-2.0
/*
 * The watchdog over what sovguardd owns in the kernel: every
 * SG_TAMPER_INTERVAL_MS it checks the links (attached to our cgroup, with
 * our programs), the pins under the pin root (ours, not removed or
 * replaced), sg_config (mode and fail verdict as configured), the policy
 * slots (the live image in each) and the live image's content (as
 * published, hit counters aside), and the observation links (observe.c).
 * Whatever differs raises an alert
 * (journald: SOVGUARD_ALERT=tamper, SG_OBJECT=...; stderr without journald)
 * and is put back at once. Decisions that could not be made by the rules
 * (fail verdict, spare slots, the backup slot) are reported from the
 * counters. docs/design.md describes what a tampered state enforces until
 * then.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <systemd/sd-journal.h>

#include "daemon.h"
#include "egress_int.h"
#include "guard.h"
#include "lib/log.h"
#include "lib/names.h"
#include "links.h"
#include "observe.h"
#include "tamper.h"

static const char *const sg_pinned_maps[] = {
	SG_PIN_POLICY, SG_PIN_CONFIG, SG_PIN_COUNTERS, SG_PIN_EVENTS,
};

void sg_tamper_alert(const char *kind, const char *object, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sg_log_use_journal())
		sd_journal_send("MESSAGE=%s alert: %s: %s", kind, object, msg, "PRIORITY=%d",
				LOG_ALERT, "SYSLOG_IDENTIFIER=sovguardd", "SOVGUARD_ALERT=%s", kind,
				"SG_OBJECT=%s", object, NULL);
	else
		sg_log(LOG_ALERT, "ALERT %s: %s: %s", kind, object, msg);
}

static __u32 pinned_id(const char *root, const char *name)
{
	char path[SG_PATH_MAX + 64];
	__u32 id;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	id = sg_bpf_obj_id(fd);
	close(fd);
	return id;
}

/* Make @root/@name the pin of @fd again, whatever is there now. */
static int repin(const char *root, const char *name, int fd)
{
	char path[SG_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return bpf_obj_pin(fd, path) < 0 ? -errno : 0;
}

static struct bpf_program *hook_prog(struct sg_egress *e, int hook)
{
	switch (hook) {
	case SG_HOOK_CONNECT4:
		return e->skel->progs.sg_connect4;
	case SG_HOOK_CONNECT6:
		return e->skel->progs.sg_connect6;
	case SG_HOOK_SENDMSG4:
		return e->skel->progs.sg_sendmsg4;
	case SG_HOOK_SETSOCKOPT:
		return e->skel->progs.sg_setsockopt;
	case SG_HOOK_SKB_EGRESS:
		return e->skel->progs.sg_skb_egress;
	case SG_HOOK_SOCK_CREATE:
		return e->skel->progs.sg_sock_create;
	default:
		return e->skel->progs.sg_sendmsg6;
	}
}

/* One hook's link: attached to our cgroup with our program, and pinned. */
static int guard_link(struct sg_egress *e, int hook, struct sg_kstate *k)
{
	struct bpf_program *prog = hook_prog(e, hook);
	const char *name = sg_hook_pin_name(hook);
	struct bpf_link_info info = {};
	__u32 len = sizeof(info), prog_id = sg_bpf_obj_id(bpf_program__fd(prog));
	struct bpf_link *link = e->links[hook], *fresh;
	int err, n = 0;

	if (!link || e->cg_fd < 0)
		return 0;
	if (bpf_link_get_info_by_fd(bpf_link__fd(link), &info, &len) < 0 ||
	    info.cgroup.cgroup_id != e->cg_id) {
		sg_tamper_alert("tamper", name, "detached from cgroup %llu; attaching again",
			 (unsigned long long)e->cg_id);
		fresh = bpf_program__attach_cgroup(prog, e->cg_fd);
		if (!fresh)
			return sg_error_errno(-errno, "Failed to attach %s again: %m", name);
		/* The old link is defunct: drop its pin and our handle. */
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		e->links[hook] = link = fresh;
		err = repin(e->pin_root, name, bpf_link__fd(link));
		if (err)
			return sg_error_errno(err, "Failed to pin %s again: %m", name);
		n++;
	} else if (info.prog_id != prog_id) {
		sg_tamper_alert("tamper", name, "runs program %u instead of %u; putting ours back",
			 info.prog_id, prog_id);
		err = bpf_link__update_program(link, prog);
		if (err)
			return sg_error_errno(err, "Failed to restore the program of %s: %m", name);
		n++;
	} else {
		k->links_ok |= 1u << hook;
	}
	if (pinned_id(e->pin_root, name) != sg_bpf_obj_id(bpf_link__fd(link))) {
		sg_tamper_alert("tamper", name, "pin removed or replaced in %s; pinning again",
			 e->pin_root);
		err = repin(e->pin_root, name, bpf_link__fd(link));
		if (err)
			return sg_error_errno(err, "Failed to pin %s again: %m", name);
		n++;
	} else {
		k->pins_ok |= 1u << hook;
	}
	return n;
}

static int guard_map_pins(struct sg_egress *e, struct sg_kstate *k)
{
	struct bpf_object *obj = e->skel->obj;
	unsigned int i;
	int fd, err, n = 0;

	for (i = 0; i < SG_ARRAY_SIZE(sg_pinned_maps); i++) {
		fd = bpf_map__fd(bpf_object__find_map_by_name(obj, sg_pinned_maps[i]));
		if (pinned_id(e->pin_root, sg_pinned_maps[i]) == sg_bpf_obj_id(fd)) {
			k->pins_ok |= 1u << (SG_HOOK_MAX + i);
			continue;
		}
		sg_tamper_alert("tamper", sg_pinned_maps[i], "pin removed or replaced in %s; pinning again",
			 e->pin_root);
		err = repin(e->pin_root, sg_pinned_maps[i], fd);
		if (err)
			return sg_error_errno(err, "Failed to pin %s again: %m", sg_pinned_maps[i]);
		n++;
	}
	return n;
}

static int guard_config(struct sg_egress *e, struct sg_kstate *k)
{
	int fd = bpf_map__fd(e->skel->maps.sg_config);
	struct sg_config kc = {};
	__u32 zero = 0;

	if (!bpf_map_lookup_elem(fd, &zero, &kc) && kc.mode_plus1 == e->want.mode_plus1 &&
	    kc.fail == e->want.fail) {
		k->config_ok = true;
		return 0;
	}
	sg_tamper_alert("tamper", "sg_config", "mode %s, fail %s instead of mode %s, fail %s; restoring",
		 sg_mode_name(kc.mode_plus1 - 1), sg_fail_name(kc.fail),
		 sg_mode_name(e->want.mode_plus1 - 1),
		 sg_fail_name(e->want.fail));
	if (bpf_map_update_elem(fd, &zero, &e->want, BPF_ANY) < 0)
		return sg_error_errno(-errno, "Failed to restore sg_config: %m");
	return 1;
}

/* The live image's content as published: header and tables, hits aside. */
static bool image_intact(struct sg_egress *e)
{
	const struct sg_image_hdr *h;

	if (!e->copy || !e->live.blk)
		return true;
	h = sg_image_hdr(e->copy);
	if (h->hits > e->copy->nr_blocks)
		return true;
	return !memcmp(e->live.blk, e->copy->blk, (size_t)h->hits * SG_BLK_BYTES);
}

static int guard_image(struct sg_egress *e, struct sg_kstate *k)
{
	int outer = bpf_map__fd(e->skel->maps.sg_policy);
	struct sg_image *copy = e->copy;
	struct sg_live live;
	__u32 s, id;
	int err, n = 0;

	if (e->live.fd < 0)
		return 0;
	if (!image_intact(e)) {
		sg_tamper_alert("tamper", "sg_image", "content of the live image (map %u) changed; "
			 "publishing it again", e->live.id);
		err = sg_image_publish(outer, copy, &live);
		if (err)
			return sg_error_errno(err, "Failed to publish the policy again: %m");
		sg_live_release(&e->live);
		e->live = live;
		e->copy = sg_image_dup(copy, live.id);
		sg_image_free(copy);
		e->backup_pending = true;
		return 1;
	}
	k->image_ok = true;
	if (e->backup_pending) {
		/* Not tampering: the publish left slot 1 to this turn. */
		err = sg_image_backup(outer, e->live.fd);
		if (err)
			return sg_error_errno(err, "Failed to fill the backup policy slot: %m");
		e->backup_pending = false;
	}
	for (s = 0; s < SG_POLICY_SLOTS; s++) {
		if (!bpf_map_lookup_elem(outer, &s, &id) && id == e->live.id) {
			k->slots_ok |= 1u << s;
			continue;
		}
		sg_tamper_alert("tamper", "sg_policy", "slot %u does not hold the live image (map %u); "
			 "restoring", s, e->live.id);
		if (bpf_map_update_elem(outer, &s, &e->live.fd, BPF_ANY) < 0)
			return sg_error_errno(-errno, "Failed to restore policy slot %u: %m", s);
		n++;
	}
	return n;
}

/* Decisions the rules could not make, or made in a spare area: reported. */
static void report_counters(struct sg_egress *e, bool report)
{
	static const struct {
		unsigned int idx;
		const char *kind, *what;
	} watched[] = {
		{ SG_CNT_FAIL, "failsafe", "decisions took the fail verdict" },
		{ SG_CNT_NO_POLICY, "failsafe", "decisions found no consistent policy image" },
		{ SG_CNT_IMAGE_ERROR, "failsafe", "decisions found the policy image inconsistent" },
		{ SG_CNT_NO_WORK, "failsafe", "decisions found no work area free" },
		{ SG_CNT_BACKUP, "tamper", "decisions read the backup policy slot" },
		{ SG_CNT_BUSY, "busy", "decisions found every work slot of their CPU taken "
				      "(decided in a spare slot)" },
	};
	int fd = bpf_map__fd(e->skel->maps.sg_counters), ncpu = libbpf_num_possible_cpus();
	__u64 vals[SG_MAX_CPUS], sum;
	unsigned int i;
	int c;

	if (ncpu <= 0 || ncpu > SG_MAX_CPUS)
		return;
	for (i = 0; i < SG_ARRAY_SIZE(watched); i++) {
		__u32 idx = watched[i].idx;

		if (bpf_map_lookup_elem(fd, &idx, vals) < 0)
			continue;
		for (sum = 0, c = 0; c < ncpu; c++)
			sum += vals[c];
		if (report && sum > e->seen[idx])
			sg_tamper_alert(watched[i].kind, "sg_counters", "%llu %s",
				 (unsigned long long)(sum - e->seen[idx]), watched[i].what);
		e->seen[idx] = sum;
	}
}

/**
 * sg_egress_guard() - check what the daemon owns in the kernel and restore
 * what differs, with an alert for each.
 * @found: what was found intact (before restoring).
 *
 * Return: the number of objects restored, or a negative errno (logged)
 * when one could not be.
 */
int sg_egress_guard(struct sg_egress *e, struct sg_kstate *found)
{
	struct sg_kstate k = {};
	int hook, r, n = 0, err = 0;

	for (hook = 0; hook < SG_HOOK_MAX; hook++) {
		if (sg_egress_hook_off(e, hook))
			continue;
		r = guard_link(e, hook, &k);
		if (r < 0 && !err)
			err = r;
		n += r > 0 ? r : 0;
	}
	r = guard_map_pins(e, &k);
	if (r < 0 && !err)
		err = r;
	n += r > 0 ? r : 0;
	r = guard_config(e, &k);
	if (r < 0 && !err)
		err = r;
	n += r > 0 ? r : 0;
	r = guard_image(e, &k);
	if (r < 0 && !err)
		err = r;
	n += r > 0 ? r : 0;
	report_counters(e, true);
	if (found)
		*found = k;
	return err ? err : n;
}

/**
 * sg_egress_kernel_image() - the image the kernel decides from now, as the
 * programs find it: slot 0's, else slot 1's.
 * @ret: the image (not owned: valid until the next publish).
 * @ret_kc: sg_config as the kernel holds it.
 * @ret_slot: the slot the image was found in.
 *
 * Return: 0; -ENOENT when no slot holds a consistent image (the fail
 * verdict decides; @ret_kc is filled); -ESTALE when the kernel decides from
 * an image this daemon did not publish.
 */
int sg_egress_kernel_image(struct sg_egress *e, struct sg_image *ret, struct sg_config *ret_kc,
			   __u32 *ret_slot)
{
	int outer = bpf_map__fd(e->skel->maps.sg_policy);
	struct sg_image_hdr h;
	__u32 zero = 0, s, id;
	int fd;

	*ret_kc = (struct sg_config){};
	bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.sg_config), &zero, ret_kc);
	for (s = 0; s < SG_POLICY_SLOTS; s++) {
		if (bpf_map_lookup_elem(outer, &s, &id) < 0)
			continue;
		if (id == e->live.id && e->live.blk) {
			if (((const struct sg_image_hdr *)e->live.blk)->magic != SG_IMAGE_MAGIC)
				continue;
			ret->blk = (struct sg_blk *)e->live.blk;
			ret->nr_blocks = e->live.nr_blocks;
			*ret_slot = s;
			return 0;
		}
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_map_lookup_elem(fd, &zero, &h) && h.magic == SG_IMAGE_MAGIC) {
			close(fd);
			return -ESTALE;
		}
		close(fd);
	}
	return -ENOENT;
}

/**
 * sg_tamper_init() - the watchdog's timer, in d->tamper_fd.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_tamper_init(struct sg_daemon *d)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = SG_TAMPER_INTERVAL_MS * 1000000L },
		.it_value = { .tv_nsec = SG_TAMPER_INTERVAL_MS * 1000000L },
	};
	int fd;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0) {
		if (fd >= 0)
			close(fd);
		return sg_error_errno(-errno, "Failed to set up the watchdog timer: %m");
	}
	d->tamper_fd = fd;
	/* Counters from before this daemon are not news. */
	report_counters(d->egress, false);
	return 0;
}

void sg_tamper_tick(struct sg_daemon *d)
{
	__u64 ticks;
	int n, r;

	if (read(d->tamper_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	n = sg_egress_guard(d->egress, NULL);
	if (d->observe) {
		r = sg_observe_guard(d->observe, sg_tamper_alert);
		n += r > 0 ? r : 0;
	}
	r = sg_guard_check(d->guard);
	n += r > 0 ? r : 0;
	/* New ids after a restore or a publish: protected from now on. */
	sg_guard_sync(d->guard, d->egress, d->observe);
	if (n > 0)
		sg_warn("restored %d object%s of the kernel state", n, n == 1 ? "" : "s");
}

void sg_tamper_close(struct sg_daemon *d)
{
	if (d->tamper_fd >= 0)
		close(d->tamper_fd);
	d->tamper_fd = -1;
}
