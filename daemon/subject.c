// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>

#include "subject.h"
#include "lib/util.h"

#define SG_UNIT_SEARCH_DEPTH	4	/* slices nest units this deep at most */

static int find_dir(const char *root, const char *name, int depth, char *out, size_t len)
{
	DIR *d;
	struct dirent *de;
	char sub[SG_PATH_MAX];
	int err = -ENOENT;

	if (depth <= 0)
		return -ENOENT;
	d = opendir(root);
	if (!d)
		return -errno;
	while (err == -ENOENT && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", root, de->d_name) >= sizeof(sub))
			continue;
		if (!strcmp(de->d_name, name)) {
			err = strlen(sub) < len ? 0 : -ENAMETOOLONG;
			if (!err)
				strcpy(out, sub);
			break;
		}
		err = find_dir(sub, name, depth - 1, out, len);
	}
	closedir(d);
	return err;
}

static const char *unit_interface(const char *unit)
{
	static const struct {
		const char *suffix, *iface;
	} map[] = {
		{ ".service", "org.freedesktop.systemd1.Service" },
		{ ".scope", "org.freedesktop.systemd1.Scope" },
		{ ".slice", "org.freedesktop.systemd1.Slice" },
		{ ".socket", "org.freedesktop.systemd1.Socket" },
		{ ".mount", "org.freedesktop.systemd1.Mount" },
		{ ".swap", "org.freedesktop.systemd1.Swap" },
	};
	size_t n = strlen(unit), i;

	for (i = 0; i < SG_ARRAY_SIZE(map); i++) {
		size_t s = strlen(map[i].suffix);

		if (n > s && !strcmp(unit + n - s, map[i].suffix))
			return map[i].iface;
	}
	return NULL;
}

/* The unit's cgroup, as systemd has it now: it changes when the unit restarts. */
static int unit_cgroup(void *ctx, const char *unit, char *path, size_t len)
{
	struct sg_sysresolver *r = ctx;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *iface = unit_interface(unit), *obj;
	char *cg = NULL, found[SG_PATH_MAX];
	int err;

	if (r->bus && iface) {
		err = sd_bus_call_method(r->bus, "org.freedesktop.systemd1",
					 "/org/freedesktop/systemd1",
					 "org.freedesktop.systemd1.Manager", "GetUnit", &error,
					 &reply, "s", unit);
		if (err >= 0 && sd_bus_message_read(reply, "o", &obj) >= 0)
			err = sd_bus_get_property_string(r->bus, "org.freedesktop.systemd1", obj,
							 iface, "ControlGroup", &error, &cg);
		else if (err >= 0)
			err = -EBADMSG;
		sd_bus_message_unref(reply);
		sd_bus_error_free(&error);
		if (err < 0)
			return -ENOENT;	/* not loaded: not running */
		if (!cg || !*cg) {
			free(cg);
			return -ENOENT;
		}
		if (strlen(cg) >= len) {
			free(cg);
			return -ENAMETOOLONG;
		}
		strcpy(path, cg);
		free(cg);
		return 0;
	}
	/* No systemd: the unit's cgroup is the directory named after it. */
	err = find_dir(r->cgroup_root, unit, SG_UNIT_SEARCH_DEPTH, found, sizeof(found));
	if (err)
		return err;
	if (strlen(found) - strlen(r->cgroup_root) >= len)
		return -ENAMETOOLONG;
	strcpy(path, found + strlen(r->cgroup_root));
	return 0;
}

static int cgroup_id(void *ctx, const char *path, __u64 *id)
{
	struct sg_sysresolver *r = ctx;
	char full[SG_PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", r->cgroup_root,
			     strcmp(path, "/") ? path : "") >= sizeof(full))
		return -ENAMETOOLONG;
	if (stat(full, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* On cgroup v2 the directory's inode number is the cgroup id. */
	*id = st.st_ino;
	return 0;
}

static int exe_id(void *ctx, const char *path, __u32 *kdev, __u64 *ino)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*kdev = sg_kdev(st.st_dev);
	*ino = st.st_ino;
	return 0;
}

int sg_sysresolver_init(struct sg_sysresolver *r)
{
	sd_bus *bus = NULL;
	int err;

	memset(r, 0, sizeof(*r));
	err = sg_cgroup2_mount(r->cgroup_root, sizeof(r->cgroup_root));
	if (err)
		return err;
	if (access("/run/systemd/system", F_OK) == 0 && sd_bus_open_system(&bus) >= 0)
		r->bus = bus;
	return 0;
}

void sg_sysresolver_done(struct sg_sysresolver *r)
{
	if (r->bus)
		sd_bus_flush_close_unref(r->bus);
	r->bus = NULL;
}

void sg_sysresolver_bind(struct sg_sysresolver *r, struct sg_resolver *ret)
{
	ret->unit_cgroup = unit_cgroup;
	ret->cgroup_id = cgroup_id;
	ret->exe_id = exe_id;
	ret->ctx = r;
}
