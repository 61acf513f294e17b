// SPDX-License-Identifier: GPL-2.0
/*
 * sovguard's BPF LSM guard: refuses bpf() commands that would change one of
 * sovguard's kernel objects (include/sovguard_guard.h) unless the caller is
 * the daemon. The command names its object by fd; the fd is resolved here
 * through the caller's file table to the map or link and its id.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "sovguard_guard.h"

#define EPERM	1

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_GUARD_OBJS_MAX);
	__type(key, struct sg_guard_key);
	__type(value, __u8);
} sg_guard_objs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SG_GUARD_ALLOW_MAX);
	__type(key, __u32);
	__type(value, __u8);
} sg_guard_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SG_GSTAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} sg_guard_stats SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&sg_guard_stats, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/*
 * The id of the object behind @fd in the caller's file table, read as a
 * map's or a link's (@kind, from the command): 0 when there is no such fd
 * or the file holds nothing readable there, -1 when the table could not be
 * read. The file's f_op is not compared (that would take kallsyms, which
 * the service cannot read): a file of another kind gives a meaningless id,
 * and a command on it fails by itself (EINVAL), or with EPERM should that
 * id be protected.
 */
static __always_inline long fd_object_id(int fd, __u32 kind)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt;
	struct file **fds, *file = NULL;
	const void *priv;
	__u32 id = 0;

	if (fd < 0)
		return 0;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return -1;
	if ((unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return -1;
	if (!file)
		return 0;
	priv = BPF_CORE_READ(file, private_data);
	if (!priv)
		return 0;
	if (kind == SG_GUARD_MAP)
		bpf_core_read(&id, sizeof(id), &((struct bpf_map *)priv)->id);
	else
		bpf_core_read(&id, sizeof(id), &((struct bpf_link *)priv)->id);
	return id;
}

SEC("lsm/bpf")
int BPF_PROG(sg_guard_bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
	struct sg_guard_key key = {};
	__u32 tgid;
	long id;
	int fd;

	switch (cmd) {
	case BPF_MAP_UPDATE_ELEM:
	case BPF_MAP_DELETE_ELEM:
	case BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case BPF_MAP_FREEZE:
		key.kind = SG_GUARD_MAP;
		fd = attr->map_fd;
		break;
	case BPF_MAP_UPDATE_BATCH:
	case BPF_MAP_DELETE_BATCH:
	case BPF_MAP_LOOKUP_AND_DELETE_BATCH:
		key.kind = SG_GUARD_MAP;
		fd = attr->batch.map_fd;
		break;
	case BPF_LINK_UPDATE:
		key.kind = SG_GUARD_LINK;
		fd = attr->link_update.link_fd;
		break;
	case BPF_LINK_DETACH:
		key.kind = SG_GUARD_LINK;
		fd = attr->link_detach.link_fd;
		break;
	default:
		return 0;
	}
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_lookup_elem(&sg_guard_allow, &tgid))
		return 0;
	id = fd_object_id(fd, key.kind);
	if (id < 0) {
		count(SG_GSTAT_UNREADABLE);
		count(SG_GSTAT_REFUSED);
		return -EPERM;
	}
	if (!id)
		return 0;
	key.id = id;
	if (!bpf_map_lookup_elem(&sg_guard_objs, &key))
		return 0;
	count(SG_GSTAT_REFUSED);
	return -EPERM;
}
