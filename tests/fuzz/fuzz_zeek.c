// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the Zeek log reader (daemon/detect/zeek.c) and the
 * detection engine behind it. The first byte picks conn or dns, the rest is
 * the file, read through a memfd as analyze reads a file (zlib, so gzip
 * input is exercised too). Records go to an engine with small caps so that
 * eviction runs; every error must carry "fuzz:LINE:".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect.h"
#include "zeek.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static struct sg_detect_config cfg;
	enum sg_det_kind kind;
	struct sg_detect *d = NULL;
	struct sg_zeek *z;
	struct sg_obs o;
	char err[512];
	int fd, r, n = 0;

	if (!len)
		return 0;
	kind = buf[0] & 1 ? SG_DET_DNS : SG_DET_CONN;
	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, buf + 1, len - 1) != (ssize_t)(len - 1) || lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return 0;
	}
	if (sg_zeek_open_fd(fd, "fuzz", kind, &z, err, sizeof(err)))
		return 0;
	sg_detect_config_init(&cfg);
	cfg.max_series = 8;
	cfg.max_dns = 8;
	cfg.max_points_total = 64;
	cfg.beacon.min_conns = 4;
	cfg.flush_every = 60;
	if (sg_detect_new(&cfg, NULL, &d))
		goto out;
	while ((r = sg_zeek_next(z, &o)) == 1) {
		if (sg_detect_feed(d, &o))
			abort();
		if (++n % 16 == 0)
			sg_detect_flush(d, o.ts);
	}
	if (r < 0 && strncmp(sg_zeek_error(z), "fuzz:", 5))
		abort();
	sg_detect_flush(d, 2e9);
out:
	sg_detect_free(d);
	sg_zeek_close(z);
	return 0;
}
