// SPDX-License-Identifier: GPL-2.0
/*
 * Who an observation record's subject is: the systemd unit of its cgroup
 * (cgroup id -> path by file handle -> the deepest unit component), else
 * its executable, else its command name; both cached, bounded
 * (SG_DET_CGROUPS_MAX, SG_DET_EXES_MAX). The executables of the processes
 * that run when observation starts are cached then (sg_det_exes_seed()): a
 * fork of one of them is never exec'd while observed, and may be gone when
 * its record is read.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "compile.h"
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

/* A free way of the set of (@dev, @ino), or NULL when all are taken. */
static struct sg_det_exe *exe_free(struct sg_detector *t, __u64 dev, __u64 ino)
{
	unsigned int i, set = exe_set(dev, ino);

	for (i = set; i < set + SG_DET_WAYS; i++)
		if (!t->exes[i].path[0])
			return &t->exes[i];
	return NULL;
}

const char *sg_det_exe_put(struct sg_detector *t, __u64 dev, __u64 ino, const char *path)
{
	struct sg_det_exe *e = exe_find(t, dev, ino);

	if (!e)
		e = exe_free(t, dev, ino);
	if (!e)
		e = &t->exes[exe_set(dev, ino) + t->exe_next++ % SG_DET_WAYS];
	e->dev = dev;
	e->ino = ino;
	snprintf(e->path, sizeof(e->path), "%s", path);
	return e->path;
}

/*
 * The key the kernel gives a process's executable in records: its inode's
 * i_sb->s_dev, the kernel's dev_t (major << 20 | minor, sg_kdev()), and
 * i_ino; stat() of /proc/PID/exe gives the same numbers in glibc's dev_t.
 */
static bool proc_exe_key(__u32 pid, __u64 *dev, __u64 *ino)
{
	char link[32];
	struct stat st;

	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	if (stat(link, &st))
		return false;
	*dev = sg_kdev(st.st_dev);
	*ino = st.st_ino;
	return true;
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

/*
 * /proc/PID/exe as sg_det_proc_exe(), only while it is still the executable
 * (@dev, @ino) a record names: a process that has exec'd since is running
 * another program, whose path must not name the record's.
 */
bool sg_det_proc_exe_of(__u32 pid, __u64 dev, __u64 ino, char *buf, size_t len)
{
	__u64 d, i;

	if (sg_det_proc_exe(pid, buf, len) && proc_exe_key(pid, &d, &i) && d == dev && i == ino)
		return true;
	buf[0] = '\0';
	return false;
}

/*
 * The executable of a subject: cached by dev/inode, else /proc/PID/exe now,
 * of its process, else of its thread (the same file, while the thread lingers).
 */
const char *sg_det_subject_exe(struct sg_detector *t, const struct sg_obs_subject *s)
{
	struct sg_det_exe *e = exe_find(t, s->exe_dev, s->exe_ino);
	char path[SG_DETECT_PATH_MAX];

	if (e)
		return e->path;
	if (!sg_det_proc_exe_of(s->tgid, s->exe_dev, s->exe_ino, path, sizeof(path)) &&
	    (s->pid == s->tgid ||
	     !sg_det_proc_exe_of(s->pid, s->exe_dev, s->exe_ino, path, sizeof(path))))
		return NULL;
	return sg_det_exe_put(t, s->exe_dev, s->exe_ino, path);
}

/*
 * A subject known by nothing but its command name: "comm:NAME", which no
 * path or unit name can be; NULL when the record has none.
 */
const char *sg_det_comm_name(const struct sg_obs_subject *s, char *buf, size_t len)
{
	size_t i, n = strnlen(s->comm, SG_COMM_LEN);

	if (!n)
		return NULL;
	snprintf(buf, len, "comm:%.*s", (int)n, s->comm);
	for (i = 5; buf[i]; i++)	/* a name is the task's to choose */
		if (!isprint((unsigned char)buf[i]))
			buf[i] = '?';
	return buf;
}

/* @rel, cgroup path "/a/b" or "" for the root, holds @path ("/a/b/c"). */
static bool cgroup_under(const char *path, const char *rel)
{
	size_t n = strlen(rel);

	return !n || (!strncmp(path, rel, n) && (path[n] == '\0' || path[n] == '/'));
}

/* The cgroup v2 path of process @pid ("/a/b") into @buf; false if gone. */
static bool proc_cgroup(__u32 pid, char *buf, size_t len)
{
	char file[32], line[SG_PATH_MAX + 8];
	bool found = false;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%u/cgroup", pid);
	f = fopen(file, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		found = strlen(line + 3) < len;
		if (found)
			memcpy(buf, line + 3, strlen(line + 3) + 1);
	}
	fclose(f);
	return found;
}

/*
 * One walk of /proc: the executable of every process into the cache, those
 * of the processes in @rel (the observed subtree, "" for all) first, the
 * others only into free ways, so they never push out the first.
 * Return: the number of executables cached.
 */
unsigned int sg_det_exes_seed(struct sg_detector *t, const char *rel)
{
	char cg[SG_PATH_MAX], path[SG_DETECT_PATH_MAX];
	unsigned int pass, n = 0;
	struct dirent *de;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return 0;
	for (pass = 0; pass < 2; pass++, rewinddir(dir)) {
		while ((de = readdir(dir))) {
			__u64 dev, ino;
			__u32 pid;

			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			pid = (__u32)strtoul(de->d_name, NULL, 10);
			if (!pass && !(proc_cgroup(pid, cg, sizeof(cg)) && cgroup_under(cg, rel)))
				continue;
			if (!proc_exe_key(pid, &dev, &ino) || exe_find(t, dev, ino))
				continue;
			if (!sg_det_proc_exe(pid, path, sizeof(path)))
				continue;
			if (pass && !exe_free(t, dev, ino))
				continue;
			sg_det_exe_put(t, dev, ino, path);
			n++;
		}
		if (!*rel)	/* every process was in the first pass */
			break;
	}
	closedir(dir);
	return n;
}
