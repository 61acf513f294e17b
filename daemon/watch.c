// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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
	d->data_inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	d->data_debounce_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->data_inotify_fd < 0 || d->data_debounce_fd < 0)
		return sg_error_errno(-errno, "Failed to set up data watches: %m");
	return 0;
}

/* Watch @path's directory for its file name: one more entry in @w (SG_DATA_WATCH_MAX). */
static void watch_data_file(struct sg_daemon *d, struct sg_data_watch *w, unsigned int *n,
			    const char *path)
{
	char dir[SG_PATH_MAX], base[SG_PATH_MAX];
	int wd;

	if (*n >= SG_DATA_WATCH_MAX || strlen(path) >= sizeof(dir))
		return;
	strcpy(dir, path);
	strcpy(base, path);
	if (strlen(basename(base)) >= sizeof(w->name))
		return;
	wd = inotify_add_watch(d->data_inotify_fd, dirname(dir),
			       IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR);
	if (wd < 0) {
		sg_log_errno(LOG_WARNING, -errno, "Not watching %s for new jurisdiction data: %m",
			     path);
		return;
	}
	w[*n].wd = wd;
	strcpy(w[*n].name, basename(base));
	(*n)++;
}

/*
 * Watch every data file of the configuration, and where one is a symlink
 * (libloc's database.db may be), its target too. A directory watched
 * already keeps its watch (the kernel hands out the same wd): removing it
 * first would lose a change made right then.
 */
static void watch_data_update(struct sg_daemon *d)
{
	const char *defaults[] = { SG_LIBLOC_PATH_UPDATED, SG_LIBLOC_PATH_PACKAGED };
	struct sg_data_watch w[SG_DATA_WATCH_MAX];
	char target[PATH_MAX];
	unsigned int i, j, n = 0, nr;

	nr = d->cfg.n_data ? d->cfg.n_data : SG_ARRAY_SIZE(defaults);
	for (i = 0; i < nr; i++) {
		const char *path = d->cfg.n_data ? d->cfg.data[i] : defaults[i];

		watch_data_file(d, w, &n, path);
		if (realpath(path, target) && strcmp(target, path))
			watch_data_file(d, w, &n, target);
	}
	for (i = 0; i < d->nr_data_watches; i++) {
		for (j = 0; j < n && w[j].wd != d->data_watches[i].wd; j++)
			;
		if (j == n)
			inotify_rm_watch(d->data_inotify_fd, d->data_watches[i].wd);
	}
	memcpy(d->data_watches, w, n * sizeof(*w));
	d->nr_data_watches = n;
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
	watch_data_update(d);
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

/* Whether @buf names a watched data file. */
static bool data_change(struct sg_daemon *d, const char *buf, ssize_t len)
{
	const struct inotify_event *ev;
	unsigned int i;
	ssize_t off;

	for (off = 0; off + (ssize_t)sizeof(*ev) <= len; off += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)(buf + off);
		if (ev->mask & IN_Q_OVERFLOW)
			return true;
		for (i = 0; ev->len && i < d->nr_data_watches; i++)
			if (d->data_watches[i].wd == ev->wd &&
			    !strcmp(d->data_watches[i].name, ev->name))
				return true;
	}
	return false;
}

bool sg_watch_data_event(struct sg_daemon *d, int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	__u64 ticks;
	ssize_t n;

	if (fd == d->data_inotify_fd) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			changed |= data_change(d, buf, n);
		if (changed)
			arm(d->data_debounce_fd, SG_DATA_DEBOUNCE_MS, 0);
		return false;
	}
	return read(fd, &ticks, sizeof(ticks)) == sizeof(ticks);
}

void sg_watch_close(struct sg_daemon *d)
{
	if (d->data_inotify_fd >= 0)
		close(d->data_inotify_fd);
	if (d->data_debounce_fd >= 0)
		close(d->data_debounce_fd);
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	if (d->debounce_fd >= 0)
		close(d->debounce_fd);
	if (d->rescan_fd >= 0)
		close(d->rescan_fd);
}
