/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy compiler: rules x jurisdiction data -> the policy image that
 * the BPF programs decide from (layout: include/sovguard_egress.h).
 */
#ifndef SG_COMPILE_H
#define SG_COMPILE_H

#include <stdio.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <linux/types.h>

#include "sovguard_egress.h"
#include "policy.h"

/* How rule subjects become kernel identities; the daemon's implementation
 * is in subject.c, tests bring their own. Each returns 0 or a negative
 * errno; -ENOENT means "not there now" (the atom matches nothing until it
 * appears and the policy is compiled again). */
struct sg_resolver {
	int (*unit_cgroup)(void *ctx, const char *unit, char *path, size_t len);
	int (*cgroup_id)(void *ctx, const char *path, __u64 *id);
	int (*exe_id)(void *ctx, const char *path, __u32 *kdev, __u64 *ino);
	void *ctx;
};

struct sg_image {
	struct sg_blk *blk;
	__u32 nr_blocks;
	__u32 nr_unresolved;	/* subject atoms that matched nothing */
	double compile_ms;
};

/* Build the image of generation @generation. Diagnostics to @diag. */
int sg_compile(const struct sg_policy *pol, const struct sg_data *data,
	       const struct sg_resolver *res, __u32 generation, FILE *diag,
	       struct sg_image **ret);
void sg_image_free(struct sg_image *img);
/* Write the configured NAT64 prefixes into a compiled image's embed block. */
int sg_image_set_nat64(struct sg_image *img, const struct sg_nat64 *nat64, unsigned int n);
const struct sg_image_hdr *sg_image_hdr(const struct sg_image *img);

/* The kernel's decision, computed in userspace from the same image. */
int sg_image_decide(const struct sg_image *img, struct sg_query *q, struct sg_answer *ans);

/*
 * Kernel dev_t encoding (MAJOR << 20 | MINOR: an inode's i_sb->s_dev, as
 * BPF reads it) of a userspace dev_t. Inline: the detector uses it too.
 */
static inline __u32 sg_kdev(dev_t dev)
{
	return (major(dev) << 20) | minor(dev);
}
/* Depth of a cgroup path: "/" is 0, "/a" is 1, "/a/b" is 2. */
unsigned int sg_cgroup_level(const char *path);

#endif
