// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "links.h"
#include "sovguard_guard.h"
#include "lib/log.h"

/**
 * sg_bpf_obj_id() - the id of any BPF object (map, program, link): the
 * second word of its info, whatever its type.
 *
 * Return: the id, or 0 when @fd is none.
 */
__u32 sg_bpf_obj_id(int fd)
{
	__u32 buf[64] = {}, len = sizeof(buf);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, buf, &len) < 0)
		return 0;
	return buf[1];
}
#include "lib/util.h"

unsigned int sg_guard_keys(struct bpf_object *obj, struct bpf_link *const *links,
			   unsigned int nr_links, struct sg_guard_key *keys, unsigned int max)
{
	struct bpf_map *map;
	unsigned int n = 0, i;
	__u32 id;

	for (map = obj ? bpf_object__next_map(obj, NULL) : NULL; map;
	     map = bpf_object__next_map(obj, map)) {
		id = sg_bpf_obj_id(bpf_map__fd(map));
		if (n < max && id)
			keys[n++] = (struct sg_guard_key){ SG_GUARD_MAP, id };
	}
	for (i = 0; i < nr_links; i++) {
		id = links[i] ? sg_bpf_obj_id(bpf_link__fd(links[i])) : 0;
		if (n < max && id)
			keys[n++] = (struct sg_guard_key){ SG_GUARD_LINK, id };
	}
	return n;
}

/**
 * sg_cgroup_open() - open the cgroup a daemon enforces or observes on.
 * @cgroup_path: absolute, or relative to the cgroup2 mount (found from the
 *	mount table)
 * @ret_fd: an O_RDONLY directory fd, untouched on failure
 * @ret_id: its cgroup id (on cgroup v2 the directory's inode number)
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_cgroup_open(const char *cgroup_path, int *ret_fd, __u64 *ret_id)
{
	char root[SG_PATH_MAX], path[SG_PATH_MAX];
	struct stat st;
	int fd, err;

	if (cgroup_path[0] == '/' && strcmp(cgroup_path, "/") && access(cgroup_path, F_OK) == 0) {
		if (strlen(cgroup_path) >= sizeof(path))
			return -ENAMETOOLONG;
		strcpy(path, cgroup_path);
	} else {
		err = sg_cgroup2_mount(root, sizeof(root));
		if (err)
			return sg_error_errno(err, "No cgroup v2 hierarchy mounted: %m");
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, cgroup_path) >=
		    sizeof(path))
			return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sg_error_errno(-errno, "Failed to open cgroup %s: %m", path);
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*ret_id = st.st_ino;
	*ret_fd = fd;
	return 0;
}

/**
 * sg_link_adopt_or_attach() - run @prog through the link pinned at @path.
 * @cgroup: a cgroup link (on @cg_fd, whose id is @cg_id); else a tracing
 *	link, attached by the program's own section
 * @ret: the link, owned by the caller, untouched on failure
 *
 * A cgroup link pinned on the same cgroup gets @prog swapped in atomically
 * (BPF_LINK_UPDATE): no decision is ever made by nothing. Otherwise a new
 * link is attached and pinned first, and only then does a link left on
 * another cgroup (or an old tracing link, which cannot be updated) go: for
 * a moment both may run, never neither.
 *
 * Return: 0 or a negative errno (logged).
 */
int sg_link_adopt_or_attach(struct bpf_program *prog, const char *path, bool cgroup, int cg_fd,
			    __u64 cg_id, struct bpf_link **ret)
{
	struct bpf_link_info info = {};
	__u32 info_len = sizeof(info);
	struct bpf_link *old, *link;
	int err;

	old = access(path, F_OK) == 0 ? bpf_link__open(path) : NULL;
	if (old && cgroup && !bpf_link_get_info_by_fd(bpf_link__fd(old), &info, &info_len) &&
	    info.type == BPF_LINK_TYPE_CGROUP && info.cgroup.cgroup_id == cg_id) {
		err = bpf_link__update_program(old, prog);
		if (err) {
			bpf_link__destroy(old);
			return sg_error_errno(err, "Failed to update pinned %s: %m", path);
		}
		*ret = old;
		sg_debug("adopted %s", path);
		return 0;
	}
	link = cgroup ? bpf_program__attach_cgroup(prog, cg_fd) : bpf_program__attach(prog);
	if (!link) {
		err = -errno;
		bpf_link__destroy(old);
		return sg_error_errno(err, "Failed to attach %s: %m", path);
	}
	if (old) {
		bpf_link__unpin(old);
		bpf_link__detach(old);
		bpf_link__destroy(old);
	}
	err = bpf_link__pin(link, path);
	if (err) {
		bpf_link__destroy(link);
		return sg_error_errno(err, "Failed to pin %s: %m", path);
	}
	*ret = link;
	return 0;
}
