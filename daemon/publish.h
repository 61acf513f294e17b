/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_PUBLISH_H
#define SG_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include "compile.h"

/* A published image: the kernel's map, and our read-write mapping of it. */
struct sg_live {
	struct sg_blk *blk;
	__u32 nr_blocks;
	size_t len;
	int fd;
};

int sg_image_publish(int outer_fd, const struct sg_image *img, struct sg_live *ret);
void sg_live_release(struct sg_live *live);
bool sg_image_same(const struct sg_blk *live, __u32 nr, const struct sg_image *img);

#endif
