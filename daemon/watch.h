/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Following subjects: a unit that restarts gets a new cgroup (a new id), an
 * executable replaced at its path is a new inode. inotify on the parent
 * directories of every unit cgroup, cgroup and exe a rule names tells the
 * daemon to resolve them again; the policy is compiled again and published
 * only when what they resolve to changed. A slow timer does the same for
 * what inotify cannot see (a unit that was not running at all).
 */
#ifndef SG_WATCH_H
#define SG_WATCH_H

#define SG_WATCH_MAX		1024	/* directories watched */
#define SG_WATCH_DEBOUNCE_MS	100
#define SG_WATCH_RESCAN_S	10

struct sg_daemon;

int sg_watch_init(struct sg_daemon *d);
void sg_watch_update(struct sg_daemon *d);
/* Return: true when the subjects must be resolved again now. */
bool sg_watch_event(struct sg_daemon *d, int fd);
void sg_watch_close(struct sg_daemon *d);

#endif
