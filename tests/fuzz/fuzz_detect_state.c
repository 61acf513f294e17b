// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the files detection reads back from its state
 * directory. The first byte picks the baseline parser (firstseen.c) or the
 * alert store reader (store.c); the rest is the file. Every baseline error
 * must name "fuzz:LINE:", a refused baseline leaves it empty and learning,
 * and the table never exceeds its cap.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <json-c/json.h>

#include "../../daemon/detect/internal.h"	/* the policy library has an internal.h too */

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static int count_cb(void *ctx, struct json_object *o)
{
	(*(unsigned long *)ctx)++;
	return json_object_get_type(o) == json_type_object ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static struct sg_detect_config cfg;
	struct sg_detect *d = NULL;
	char path[64], *msg = NULL;
	unsigned long n = 0;
	size_t mlen = 0;
	FILE *f, *err;
	int fd, r;

	if (!len)
		return 0;
	if (buf[0] & 1) {
		fd = memfd_create("fuzz", MFD_CLOEXEC);
		if (fd < 0)
			return 0;
		if (write(fd, buf + 1, len - 1) == (ssize_t)(len - 1)) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			f = fopen("/dev/null", "w");
			r = sg_alerts_read(path, 0, f, count_cb, &n);
			if (r < 0 && r != -EIO)
				abort();
			fclose(f);
		}
		close(fd);
		return 0;
	}
	sg_detect_config_init(&cfg);
	cfg.firstseen.max_entries = 16;
	if (sg_detect_new(&cfg, NULL, &d))
		return 0;
	f = fmemopen((void *)(buf + 1), len - 1, "r");
	err = open_memstream(&msg, &mlen);
	if (f && err) {
		r = sg_baseline_parse(d, f, "fuzz", err);
		fflush(err);
		if (r && (strncmp(msg, "fuzz:", 5) || d->st.baseline_corrupt != 1))
			abort();
		if (d->st.entries[SG_HEUR_FIRSTSEEN] > 16)
			abort();
	}
	if (f)
		fclose(f);
	if (err)
		fclose(err);
	free(msg);
	sg_detect_free(d);
	return 0;
}
