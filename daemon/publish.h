/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_PUBLISH_H
#define SG_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include "compile.h"

/* A published image: the kernel's (frozen) map, and our read-only mapping of it. */
struct sg_live {
	const struct sg_blk *blk;
	__u32 nr_blocks;
	__u32 id;		/* the map's id, also in the header's image_id */
	size_t len;
	int fd;
};

int sg_image_publish(int outer_fd, const struct sg_image *img, struct sg_live *ret);
int sg_image_backup(int outer_fd, int fd);
struct sg_image *sg_image_dup(const struct sg_image *img, __u32 id);
void sg_live_release(struct sg_live *live);
bool sg_image_same(const struct sg_blk *live, __u32 nr, const struct sg_image *img);

#endif
