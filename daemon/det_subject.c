// SPDX-License-Identifier: GPL-2.0
/*
 * Who an observation record's subject is: the systemd unit of its cgroup
 * (cgroup id -> path by file handle -> the deepest unit component), else
 * its executable; both cached, bounded (SG_DET_CGROUPS_MAX, SG_DET_EXES_MAX).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "detector_int.h"
#include "lib/log.h"
#include "lib/util.h"

/*
 * Both caches are set-associative, SG_DET_WAYS entries a set chosen by the
 * key's hash, replaced in turn: a record's lookup reads one set, not the
 * whole cache (up to 1024 entries, for every record).
 */
#define SG_DET_WAYS	8

static unsigned int set_of(__u64 key, unsigned int entries)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (unsigned int)(key % (entries / SG_DET_WAYS)) * SG_DET_WAYS;
}

/* The unit a cgroup path belongs to: its deepest unit component. */
static void unit_of_path(const char *path, char *unit, size_t len)
{
	static const char *const sfx[] = { ".service", ".scope", ".socket", ".mount", ".swap" };
	const char *p = path, *e;

	unit[0] = '\0';
	while (p && *p) {
		size_t n, i;

		while (*p == '/')
			p++;
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		for (i = 0; i < SG_ARRAY_SIZE(sfx); i++) {
			size_t k = strlen(sfx[i]);

			if (n > k && n < len && !memcmp(p + n - k, sfx[i], k)) {
				memcpy(unit, p, n);
				unit[n] = '\0';
			}
		}
		p = e;
	}
}

const char *sg_det_cgroup_unit(struct sg_daemon *d, __u64 id)
{
	struct sg_detector *t = d->det;
	struct {
		struct file_handle fh;
		__u64 id;
	} h = { .fh = { .handle_bytes = sizeof(__u64), .handle_type = FILEID_KERNFS } };
	struct sg_det_cgroup *c;
	char link[64], path[PATH_MAX];
	int mfd, fd;
	ssize_t n;
	unsigned int i, set;

	if (!id)
		return NULL;
	set = set_of(id, SG_DET_CGROUPS_MAX);
	for (i = set; i < set + SG_DET_WAYS; i++)
		if (t->cgroups[i].id == id)
			return t->cgroups[i].unit[0] ? t->cgroups[i].unit : NULL;
	c = &t->cgroups[set + t->cgroup_next++ % SG_DET_WAYS];
	c->id = id;
	c->unit[0] = '\0';
	h.id = id;
	mfd = open(d->sysres.cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return NULL;
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(mfd);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	path[n] = '\0';
	unit_of_path(path + strlen(d->sysres.cgroup_root), c->unit, sizeof(c->unit));
	return c->unit[0] ? c->unit : NULL;
}

static unsigned int exe_set(__u64 dev, __u64 ino)
{
	return set_of(ino ^ (dev << 40) ^ (dev >> 24), SG_DET_EXES_MAX);
}

static struct sg_det_exe *exe_find(struct sg_detector *t, __u64 dev, __u64 ino)
{
	unsigned int i, set = exe_set(dev, ino);

	for (i = set; i < set + SG_DET_WAYS; i++)
		if (t->exes[i].ino == ino && t->exes[i].dev == dev && t->exes[i].path[0])
			return &t->exes[i];
	return NULL;
}

const char *sg_det_exe_put(struct sg_detector *t, __u64 dev, __u64 ino, const char *path)
{
	struct sg_det_exe *e = exe_find(t, dev, ino);

	if (!e)
		e = &t->exes[exe_set(dev, ino) + t->exe_next++ % SG_DET_WAYS];
	e->dev = dev;
	e->ino = ino;
	snprintf(e->path, sizeof(e->path), "%s", path);
	return e->path;
}

bool sg_det_proc_exe(__u32 pid, char *buf, size_t len)
{
	char link[32];
	ssize_t n;

	if (!pid)
		return false;
	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, buf, len - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* The executable of a subject: cached by dev/inode, else /proc/PID/exe now. */
const char *sg_det_subject_exe(struct sg_detector *t, const struct sg_obs_subject *s)
{
	struct sg_det_exe *e = exe_find(t, s->exe_dev, s->exe_ino);
	char path[SG_DETECT_PATH_MAX];

	if (e)
		return e->path;
	if (!sg_det_proc_exe(s->tgid, path, sizeof(path)))
		return NULL;
	return sg_det_exe_put(t, s->exe_dev, s->exe_ino, path);
}
