// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/log.h"
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

static bool watched(const int *wds, unsigned int n, int wd)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (wds[i] == wd)
			return true;
	return false;
}

/* Add (or find: the kernel returns the same wd) the watch on @path's parent. */
static void watch_dir(struct sg_daemon *d, int *wds, unsigned int *n, const char *path)
{
	char buf[2 * SG_PATH_MAX];
	int wd;

	if (*n >= SG_WATCH_MAX || strlen(path) >= sizeof(buf))
		return;
	strcpy(buf, path);
	wd = inotify_add_watch(d->inotify_fd, dirname(buf),
			       IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
			       IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR);
	if (wd >= 0 && !watched(wds, *n, wd))
		wds[(*n)++] = wd;
}

/*
 * Watch where every subject of the live policy lives. Directories watched
 * already keep their watch; only those no longer needed are removed. A
 * removal queues an IN_IGNORED event, which must not count as a change:
 * else every publish would cause another one.
 */
void sg_watch_update(struct sg_daemon *d)
{
	char path[2 * SG_PATH_MAX];
	int wds[SG_WATCH_MAX];
	unsigned int n = 0;
	bool any = false;
	__u32 i;

	for (i = 0; d->pol && i < d->pol->nr_rules; i++) {
		const struct sg_subject *s = &d->pol->rules[i].subject;

		if (s->mask & SG_SUBJ_EXE) {
			watch_dir(d, wds, &n, s->exe);
			any = true;
		}
		if (s->mask & SG_SUBJ_CGROUP) {
			snprintf(path, sizeof(path), "%s%s", d->sysres.cgroup_root, s->cgroup);
			watch_dir(d, wds, &n, path);
			any = true;
		}
		if (s->mask & SG_SUBJ_UNIT) {
			char rel[SG_PATH_MAX];

			if (!d->res.unit_cgroup(d->res.ctx, s->unit, rel, sizeof(rel))) {
				snprintf(path, sizeof(path), "%s%s", d->sysres.cgroup_root, rel);
				watch_dir(d, wds, &n, path);
			}
			any = true;
		}
	}
	for (i = 0; i < d->nr_watches; i++)
		if (!watched(wds, n, d->watches[i]))
			inotify_rm_watch(d->inotify_fd, d->watches[i]);
	memcpy(d->watches, wds, n * sizeof(*wds));
	d->nr_watches = n;
	if (any != d->watch_any)
		arm(d->rescan_fd, any ? SG_WATCH_RESCAN_S * 1000 : 0, any ? SG_WATCH_RESCAN_S : 0);
	d->watch_any = any;
}

/* Whether @buf holds an event that means a change in a watched directory. */
static bool real_change(struct sg_daemon *d, const char *buf, ssize_t len)
{
	const struct inotify_event *ev;
	ssize_t off;

	for (off = 0; off + (ssize_t)sizeof(*ev) <= len; off += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)(buf + off);
		/* Overflow: events were lost, some may have mattered. */
		if (ev->mask & IN_Q_OVERFLOW)
			return true;
		/*
		 * Watches we removed: their IN_IGNORED and any late event. The
		 * IN_IGNORED of a watch still wanted means its directory went.
		 */
		if (!watched(d->watches, d->nr_watches, ev->wd))
			continue;
		return true;
	}
	return false;
}

bool sg_watch_event(struct sg_daemon *d, int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	__u64 ticks;
	ssize_t n;

	if (fd == d->inotify_fd) {
		/* A change in a watched directory: resolve again, once things settle. */
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			changed |= real_change(d, buf, n);
		if (changed)
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
