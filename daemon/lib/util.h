/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_UTIL_H
#define SG_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>

#include "array.h"
#include "cleanup.h"

#define SG_PIN_ROOT_DEFAULT	"/sys/fs/bpf/sovguard"
#define SG_CONFIG_DEFAULT	"/etc/sovguard/sovguard.conf"
#define SG_RUN_DIR_DEFAULT	"/run/sovguard"
#define SG_PATH_MAX		4096

/* Which file a path named when we made it: removed on exit only if still so. */
struct sg_file_id {
	dev_t dev;
	ino_t ino;
};

int sg_file_id_get(const char *path, struct sg_file_id *ret);
int sg_unlink_own(const char *path, const struct sg_file_id *id);
int sg_cgroup2_mount(char *buf, size_t len);
int sg_mkdir_p(const char *path, mode_t mode);
int sg_bpffs_ensure(const char *pin_root);
int sg_read_pidfile(const char *path, pid_t *ret_pid);

/* Clock @id now, in seconds and in nanoseconds. */
static inline double sg_clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint64_t sg_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif
