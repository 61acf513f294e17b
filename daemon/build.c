// SPDX-License-Identifier: GPL-2.0
/*
 * The policy from configuration, rules and data: parsed, compiled and
 * published all or nothing (docs/design.md, "Inputs and failure semantics").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compile.h"
#include "daemon.h"
#include "detector.h"
#include "egress.h"
#include "guard.h"
#include "lib/log.h"
#include "policy.h"
#include "publish.h"
#include "quarantine.h"
#include "watch.h"

/* Log the diagnostics a step wrote to a FILE (@buf), line by line. */
static void log_diag(int level, char *buf)
{
	char *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		sg_log(level, "%s", line);
}

/*
 * Parse, compile and publish the policy of @cfg, all or nothing: on any
 * error the live policy stays and nothing is changed. The quarantine rules
 * (quarantine.c) go ahead of the rules files': a quarantine and its release
 * are published here, as a reload is.
 */
int sg_build_policy(struct sg_daemon *d, const struct sg_settings *cfg, bool new_data,
			bool only_if_changed)
{
	struct sg_data *data = d->data;
	struct sg_policy *pol = NULL;
	struct sg_image *img = NULL;
	const struct sg_blk *live;
	char *buf = NULL;
	size_t len = 0;
	__u32 nr_live;
	FILE *diag;
	int err;

	live = sg_egress_live(d->egress, &nr_live);
	diag = open_memstream(&buf, &len);
	if (!diag)
		return -ENOMEM;
	err = 0;
	if (new_data || !data)
		err = sg_config_load_data(cfg, diag, &data);
	if (!err)
		err = sg_policy_load_dir_pre(cfg->rules_dir, data, sg_quarantine_rules, d, diag,
					     &pol);
	if (!err)
		err = sg_compile(pol, data, &d->res, d->gen + 1, diag, &img);
	if (!err)
		err = sg_image_set_nat64(img, cfg->nat64, cfg->n_nat64);
	fclose(diag);
	log_diag(err ? LOG_ERR : LOG_WARNING, buf);
	free(buf);
	if (!err && only_if_changed && sg_image_same(live, nr_live, img)) {
		sg_policy_free(pol);
		sg_image_free(img);
		return 0;
	}
	if (!err)
		err = sg_egress_publish(d->egress, img);
	if (!err)
		sg_guard_sync(d->guard, d->egress, d->observe);
	if (err) {
		sg_policy_free(pol);
		if (data != d->data)
			sg_data_free(data);
		sg_image_free(img);
		return sg_error_errno(err, "Policy from %s not applied: %m", cfg->rules_dir);
	}
	sg_info("generation %u: %u rules, %u destination classes, %u+%u ranges, %u KiB, "
		"compiled in %.0f ms", sg_image_hdr(img)->generation, pol->nr_rules,
		sg_image_hdr(img)->nr_dst_classes,
		((const struct sg_image_info *)&img->blk[1])->nr_v4_ranges,
		((const struct sg_image_info *)&img->blk[1])->nr_v6_ranges, img->nr_blocks * SG_BLK_BYTES / 1024,
		img->compile_ms);
	if (data != d->data) {
		sg_data_free(d->data);
		d->data = data;
	}
	sg_policy_free(d->prev_pol);
	d->prev_pol = d->pol;
	d->prev_gen = d->gen;
	d->pol = pol;
	d->gen = sg_image_hdr(img)->generation;
	sg_image_free(img);
	sg_watch_update(d);
	return 0;
}
