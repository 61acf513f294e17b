/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinned links that outlive the daemon, shared by the egress programs
 * (egress.c) and observation (observe.c).
 */
#ifndef SG_LINKS_H
#define SG_LINKS_H

#include <stdbool.h>
#include <linux/types.h>

struct bpf_link;
struct bpf_object;
struct bpf_program;
struct sg_guard_key;

__u32 sg_bpf_obj_id(int fd);

/* @cgroup_path (absolute, or relative to the cgroup2 mount): fd and id. */
int sg_cgroup_open(const char *cgroup_path, int *ret_fd, __u64 *ret_id);

int sg_link_adopt_or_attach(struct bpf_program *prog, const char *path, bool cgroup, int cg_fd,
			    __u64 cg_id, struct bpf_link **ret);

/*
 * The bpf() guard's keys (include/sovguard_guard.h) of every map of @obj
 * (none when NULL) and of each of @nr_links @links that is attached; at most
 * @max written. Return: the number written.
 */
unsigned int sg_guard_keys(struct bpf_object *obj, struct bpf_link *const *links,
			   unsigned int nr_links, struct sg_guard_key *keys, unsigned int max);

#endif
