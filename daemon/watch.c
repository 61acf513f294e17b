// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "watch.h"

static void arm(int tfd, long ms, long interval_s)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 },
		.it_interval = { .tv_sec = interval_s },
	};

	timerfd_settime(tfd, 0, &its, NULL);
}

int sg_watch_init(struct sg_daemon *d)
{
	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	d->debounce_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->rescan_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->inotify_fd < 0 || d->debounce_fd < 0 || d->rescan_fd < 0)
		return sg_error_errno(-errno, "Failed to set up subject watches: %m");
	return 0;
}

static void watch_dir(struct sg_daemon *d, const char *path)
{
	char buf[2 * SG_PATH_MAX];
	int wd;

	if (d->nr_watches >= SG_WATCH_MAX || strlen(path) >= sizeof(buf))
		return;
	strcpy(buf, path);
	wd = inotify_add_watch(d->inotify_fd, dirname(buf),
			       IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
			       IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR);
	if (wd >= 0)
		d->watches[d->nr_watches++] = wd;
}

/* Watch where every subject of the live policy lives. */
void sg_watch_update(struct sg_daemon *d)
{
	char path[2 * SG_PATH_MAX];
	bool any = false;
	__u32 i;

	while (d->nr_watches)
		inotify_rm_watch(d->inotify_fd, d->watches[--d->nr_watches]);
	for (i = 0; d->pol && i < d->pol->nr_rules; i++) {
		const struct sg_subject *s = &d->pol->rules[i].subject;

		if (s->mask & SG_SUBJ_EXE) {
			watch_dir(d, s->exe);
			any = true;
		}
		if (s->mask & SG_SUBJ_CGROUP) {
			snprintf(path, sizeof(path), "%s%s", d->sysres.cgroup_root, s->cgroup);
			watch_dir(d, path);
			any = true;
		}
		if (s->mask & SG_SUBJ_UNIT) {
			char rel[SG_PATH_MAX];

			if (!d->res.unit_cgroup(d->res.ctx, s->unit, rel, sizeof(rel))) {
				snprintf(path, sizeof(path), "%s%s", d->sysres.cgroup_root, rel);
				watch_dir(d, path);
			}
			any = true;
		}
	}
	d->watch_any = any;
	arm(d->rescan_fd, any ? SG_WATCH_RESCAN_S * 1000 : 0, any ? SG_WATCH_RESCAN_S : 0);
}

bool sg_watch_event(struct sg_daemon *d, int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	__u64 ticks;

	if (fd == d->inotify_fd) {
		/* Any change in a watched directory: resolve again, once things settle. */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		arm(d->debounce_fd, SG_WATCH_DEBOUNCE_MS, 0);
		return false;
	}
	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return false;
	return d->watch_any;
}

void sg_watch_close(struct sg_daemon *d)
{
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	if (d->debounce_fd >= 0)
		close(d->debounce_fd);
	if (d->rescan_fd >= 0)
		close(d->rescan_fd);
}
