// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "publish.h"

/**
 * sg_image_publish() - make @img the policy every later decision uses.
 * @outer_fd: the sg_policy map (ARRAY_OF_MAPS, SG_POLICY_SLOTS slots).
 * @ret: the published image, for reading hit counters; untouched on error.
 *
 * The image goes into a map of its own, beside the live one; one update of
 * the single slot switches every later decision to it. The kernel returns
 * from that update only after the decisions in flight on the old image have
 * finished (map-in-map updates wait for an RCU grace period), so the old
 * image may be released when this returns.
 *
 * The live copy's header gets the new map's id (image_id), which no other
 * live image has: the programs' subject memo keys on it. Then the map is
 * frozen: no syscall writes it again (the programs still count hits in
 * it), and our mapping of it is read-only. Only slot 0 is written here;
 * the caller puts the image into the other slots (sg_image_backup()).
 *
 * Return: 0 or a negative errno; on error the live policy stays. -ESTALE:
 * the slot refused the image map (it was made for another image layout, by
 * another sovguard version).
 */
int sg_image_publish(int outer_fd, const struct sg_image *img, struct sg_live *ret)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	size_t page = sysconf(_SC_PAGESIZE);
	size_t len = ((size_t)img->nr_blocks * SG_BLK_BYTES + page - 1) / page * page;
	struct bpf_map_info info = {};
	__u32 zero = 0, ilen = sizeof(info);
	void *mem;
	int fd, err;

	if (img->nr_blocks > SG_IMAGE_BLOCKS)
		return -E2BIG;
	/* Always SG_IMAGE_BLOCKS: the programs' lookups are inlined for that size. */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sg_image", sizeof(__u32), SG_BLK_BYTES,
			    SG_IMAGE_BLOCKS, &opts);
	if (fd < 0)
		return -errno;
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	memcpy(mem, img->blk, (size_t)img->nr_blocks * SG_BLK_BYTES);
	if (bpf_map_get_info_by_fd(fd, &info, &ilen) < 0 || !info.id) {
		err = errno ? -errno : -EINVAL;
		munmap(mem, len);
		close(fd);
		return err;
	}
	((struct sg_image_hdr *)mem)->image_id = info.id;
	/* A writable mapping keeps a map from freezing: read-only from here. */
	munmap(mem, len);
	if (bpf_map_freeze(fd) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	mem = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	if (bpf_map_update_elem(outer_fd, &zero, &fd, BPF_ANY) < 0) {
		err = errno == EINVAL ? -ESTALE : -errno;
		munmap(mem, len);
		close(fd);
		return err;
	}
	*ret = (struct sg_live){ .blk = mem, .nr_blocks = img->nr_blocks, .len = len, .fd = fd,
				 .id = info.id };
	return 0;
}

/**
 * sg_image_backup() - put the image map @fd into every slot but slot 0: a
 * second reference that keeps the rules deciding if slot 0 is emptied
 * behind our back. Each slot update waits for an RCU grace period.
 *
 * Return: 0 or a negative errno.
 */
int sg_image_backup(int outer_fd, int fd)
{
	__u32 k;

	for (k = 1; k < SG_POLICY_SLOTS; k++)
		if (bpf_map_update_elem(outer_fd, &k, &fd, BPF_ANY) < 0)
			return errno == EINVAL ? -ESTALE : -errno;
	return 0;
}

void sg_live_release(struct sg_live *live)
{
	if (live->blk)
		munmap((void *)live->blk, live->len);
	if (live->fd >= 0)
		close(live->fd);
	live->blk = NULL;
	live->fd = -1;
}

/**
 * sg_image_same() - whether @img decides exactly as the live image @live.
 * @live: the published image's blocks, @nr of them
 *
 * What the publisher and the programs write into a live image does not
 * count: its generation, the map id stamped into image_id, and the hit
 * counters (the last region). A rebuild that yields the same image is not
 * published again, and the counters keep counting.
 *
 * Return: true when the two differ in nothing else.
 */
bool sg_image_same(const struct sg_blk *live, __u32 nr, const struct sg_image *img)
{
	const struct sg_image_hdr *h = sg_image_hdr(img);
	struct sg_image_hdr lh;

	if (!live || nr != img->nr_blocks || h->hits < 1 || h->hits > nr)
		return false;
	memcpy(&lh, live, sizeof(lh));
	lh.generation = h->generation;
	lh.image_id = h->image_id;
	return !memcmp(&lh, h, sizeof(lh)) &&
	       !memcmp(&live[1], &img->blk[1], (size_t)(h->hits - 1) * SG_BLK_BYTES);
}

/**
 * sg_image_dup() - a copy of @img as published under the map id @id (the
 * header's image_id stamped), for comparing with the live image.
 *
 * Return: the copy (free with sg_image_free()), or NULL without memory.
 */
struct sg_image *sg_image_dup(const struct sg_image *img, __u32 id)
{
	struct sg_image *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	*c = *img;
	c->blk = malloc((size_t)img->nr_blocks * SG_BLK_BYTES);
	if (!c->blk) {
		free(c);
		return NULL;
	}
	memcpy(c->blk, img->blk, (size_t)img->nr_blocks * SG_BLK_BYTES);
	((struct sg_image_hdr *)c->blk)->image_id = id;
	return c;
}
