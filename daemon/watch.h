/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Following subjects: a unit that restarts gets a new cgroup (a new id), an
 * executable replaced at its path is a new inode. inotify on the parent
 * directories of every unit cgroup, cgroup and exe a rule names tells the
 * daemon to resolve them again; the policy is compiled again and published
 * only when what they resolve to changed. A slow timer does the same for
 * what inotify cannot see (a unit that was not running at all).
 *
 * The jurisdiction data is followed the same way, on an inotify instance of
 * its own: a data file written, created or renamed into place (`location
 * update` renames a new database in) reloads the data through the normal
 * all-or-nothing path, once things settle.
 */
#ifndef SG_WATCH_H
#define SG_WATCH_H

#define SG_WATCH_MAX		1024	/* directories watched */
#define SG_WATCH_DEBOUNCE_MS	100
#define SG_WATCH_RESCAN_S	10
/* Each data file and its symlink's target; the two default libloc paths. */
#define SG_DATA_WATCH_MAX	(2 * SG_DATA_SOURCES_MAX + 2)
#define SG_DATA_DEBOUNCE_MS	500

struct sg_daemon;

int sg_watch_init(struct sg_daemon *d);
void sg_watch_update(struct sg_daemon *d);
/* Return: true when the subjects must be resolved again now. */
bool sg_watch_event(struct sg_daemon *d, int fd);
/* Return: true when the jurisdiction data changed on disk and settled. */
bool sg_watch_data_event(struct sg_daemon *d, int fd);
void sg_watch_close(struct sg_daemon *d);

#endif
