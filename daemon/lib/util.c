// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "util.h"

/**
 * sg_cgroup2_mount() - find where the cgroup v2 hierarchy is mounted.
 *
 * Read from /proc/self/mountinfo: /sys/fs/cgroup on a unified-only system,
 * /sys/fs/cgroup/unified on a hybrid one; never assumed.
 *
 * Return: 0 with the path in @buf, -ENOENT if no cgroup2 is mounted.
 */
int sg_cgroup2_mount(char *buf, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char mnt[SG_PATH_MAX], fstype[64];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (strlen(mnt) >= len)
			return -ENAMETOOLONG;
		strcpy(buf, mnt);
		return 0;
	}
	return -ENOENT;
}

int sg_mkdir_p(const char *path, mode_t mode)
{
	char tmp[SG_PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/**
 * sg_bpffs_ensure() - make sure @pin_root lives on a bpf filesystem.
 *
 * Mounts bpffs on the parent of @pin_root when that is not one yet (the
 * usual /sys/fs/bpf on a fresh boot), then creates @pin_root with mode 0700.
 *
 * Return: 0 or a negative errno.
 */
int sg_bpffs_ensure(const char *pin_root)
{
	char parent[SG_PATH_MAX];
	struct statfs st;
	char *slash;
	int err;

	if (strlen(pin_root) >= sizeof(parent))
		return -ENAMETOOLONG;
	strcpy(parent, pin_root);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';

	err = sg_mkdir_p(parent, 0755);
	if (err)
		return err;
	if (statfs(parent, &st) < 0)
		return -errno;
	if (st.f_type != BPF_FS_MAGIC &&
	    mount("bpf", parent, "bpf", 0, "mode=0700") < 0)
		return -errno;
	if (mkdir(pin_root, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (chmod(pin_root, 0700) < 0)
		return -errno;
	return 0;
}

int sg_read_pidfile(const char *path, pid_t *ret_pid)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	int pid;

	if (!f)
		return -errno;
	if (fscanf(f, "%d", &pid) != 1 || pid <= 0)
		return -EINVAL;
	*ret_pid = pid;
	return 0;
}

int sg_file_id_get(const char *path, struct sg_file_id *ret)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	*ret = (struct sg_file_id){ .dev = st.st_dev, .ino = st.st_ino };
	return 0;
}

/**
 * sg_unlink_own() - remove @path if it is still the file @id recorded.
 *
 * A socket or pidfile that another instance has put in its place since
 * (or a run_dir that now means another directory) is left alone.
 *
 * Return: 0 when removed, -ESTALE when @path is another file now, or a
 * negative errno.
 */
int sg_unlink_own(const char *path, const struct sg_file_id *id)
{
	struct sg_file_id now;
	int err;

	if (!id->ino)
		return -ENOENT;
	err = sg_file_id_get(path, &now);
	if (err)
		return err;
	if (now.dev != id->dev || now.ino != id->ino)
		return -ESTALE;
	return unlink(path) < 0 ? -errno : 0;
}
