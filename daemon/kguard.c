// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "kguard.h"
#include "lib/hookcheck.h"
#include "detector.h"
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
	char *allow[SG_HOOK_ALLOW_MAX], evidence[512];
	struct sg_kmod_hook *hooks = NULL;
	unsigned int i;
	size_t n, k;
	int err, marked = 0;

	err = sg_kmod_scan(&hooks, &n);
	if (err) {
		if (err != -ENOENT)
			sg_log_errno(LOG_WARNING, err, "Integrity scan failed: %m (%s)",
				     sg_kmod_errmsg());
		return;
	}
	for (i = 0; i < d->cfg.n_hook_allow; i++)
		allow[i] = d->cfg.hook_allow[i];
	for (k = 0; k < n; k++) {
		const struct sg_kmod_hook *h = &hooks[k];
		const char *why = sg_hook_alert(h, d->cfg.n_hook_allow ? allow : NULL,
						d->cfg.n_hook_allow);
		struct sg_log_field f[] = {
			{ "SG_ALERT", "kernel-hook" },
			{ "SG_EVIDENCE", evidence },
		};

		if (!why)
			continue;
		marked++;
		snprintf(evidence, sizeof(evidence),
			 "family %s hook %s%s%s priority %d owner %s (%s) symbol %s",
			 sg_kmod_pf_name(h->pf), sg_kmod_nf_hook_name(h->pf, h->num),
			 h->device[0] ? "@" : "", h->device, h->priority,
			 h->owner[0] ? h->owner : "-", sg_kmod_owner_name(h->owner_kind),
			 h->symbol[0] ? h->symbol : "-");
		sg_log_struct(LOG_ALERT, f, SG_ARRAY_SIZE(f), "alert: netfilter hook: %s: %s", why,
			      evidence);
		sg_detector_hook(d, &(struct sg_hook_flag){
			.module = h->owner[0] ? h->owner : NULL, .pf = h->pf,
			.hooknum = h->num, .priority = h->priority, .reason = why });
	}
	sg_info("integrity scan: %zu netfilter hooks, %d flagged", n, marked);
	free(hooks);
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
