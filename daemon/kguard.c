// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <json-c/json.h>
#include <systemd/sd-journal.h>

#include "daemon.h"
#include "kguard.h"
#include "lib/kmod_client.h"
#include "lib/log.h"
#include "lib/names.h"

int sg_kguard_init(struct sg_daemon *d)
{
	unsigned int ms = d->cfg.lease_timeout_ms / 3;
	struct itimerspec its = {
		.it_value = { .tv_nsec = 1000000 },
		.it_interval = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L },
	};

	d->kguard_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->kguard_fd < 0 || timerfd_settime(d->kguard_fd, 0, &its, NULL) < 0)
		return sg_error_errno(-errno, "Failed to set up the lease timer: %m");
	return 0;
}

/* Renew the lease; take the module up when it (re)appears. */
void sg_kguard_tick(struct sg_daemon *d)
{
	__u64 ticks;
	int err;

	if (read(d->kguard_fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	err = sg_kmod_lease_renew(d->cfg.lease_timeout_ms, d->gen);
	if (err == -ENOENT) {
		if (d->kmod_present)
			sg_warn("sovguard.ko is gone: no lease, no guard");
		d->kmod_present = false;
		return;
	}
	if (err) {
		if (d->kmod_present || !d->kmod_failed)
			sg_log_errno(LOG_ERR, err, "Failed to renew the module's lease: %m (%s)",
				     sg_kmod_errmsg());
		d->kmod_failed = true;
		return;
	}
	d->kmod_failed = false;
	if (!d->kmod_present) {
		d->kmod_present = true;
		err = sg_kmod_set_mode(d->cfg.mode, -1);
		if (err)
			sg_log_errno(LOG_WARNING, err, "Failed to set the module's mode: %m (%s)",
				     sg_kmod_errmsg());
		sg_info("sovguard.ko: lease of %u ms taken, renewed every %u ms",
			d->cfg.lease_timeout_ms, d->cfg.lease_timeout_ms / 3);
		d->next_scan = 0;
	}
	if (d->cfg.scan_interval && time(NULL) >= d->next_scan) {
		d->next_scan = time(NULL) + d->cfg.scan_interval;
		sg_kguard_scan(d);
	}
}

/* One alert for each netfilter hook whose owner is unknown or unexpected. */
void sg_kguard_scan(struct sg_daemon *d)
{
	char *allow[SG_HOOK_ALLOW_MAX];
	struct json_object *hooks = NULL;
	unsigned int i;
	size_t n;
	int err, marked;

	err = sg_kmod_scan_json(&hooks);
	if (err) {
		if (err != -ENOENT)
			sg_log_errno(LOG_WARNING, err, "Integrity scan failed: %m (%s)",
				     sg_kmod_errmsg());
		return;
	}
	for (i = 0; i < d->cfg.n_hook_allow; i++)
		allow[i] = d->cfg.hook_allow[i];
	marked = sg_kmod_scan_flag(hooks, d->cfg.n_hook_allow ? allow : NULL,
				   d->cfg.n_hook_allow);
	n = json_object_array_length(hooks);
	for (i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(hooks, i), *a;
		const char *js;

		if (!json_object_object_get_ex(h, "alert", &a))
			continue;
		js = json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN);
		if (sg_log_use_journal())
			sd_journal_send("MESSAGE=alert: netfilter hook: %s: %s",
					json_object_get_string(a), js, "PRIORITY=%d", LOG_ALERT,
					"SYSLOG_IDENTIFIER=sovguardd", "SG_ALERT=kernel-hook",
					"SG_EVIDENCE=%s", js, NULL);
		else
			sg_log(LOG_ALERT, "alert: netfilter hook: %s: %s", json_object_get_string(a),
			       js);
	}
	sg_info("integrity scan: %zu netfilter hooks, %d flagged", n, marked);
	json_object_put(hooks);
}

void sg_kguard_stop(struct sg_daemon *d)
{
	int err;

	if (d->kguard_fd >= 0)
		close(d->kguard_fd);
	d->kguard_fd = -1;
	if (!d->kmod_present)
		return;
	err = sg_kmod_lease_release();
	if (err && err != -ENOENT)
		sg_log_errno(LOG_WARNING, err, "Failed to release the lease: %m (%s)",
			     sg_kmod_errmsg());
	else
		sg_info("lease released: a stopped daemon does not engage the guard");
	sg_kmod_close();
}
