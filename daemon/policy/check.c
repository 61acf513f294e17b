// SPDX-License-Identifier: GPL-2.0
/* check-config: validate data and rules without touching the kernel. */
#include <errno.h>

#include "internal.h"

static void data_freep(struct sg_data **d)
{
	sg_data_free(*d);
}

int sg_policy_check_dir(const char *rules_dir, const char *data_path,
			const struct sg_load_opts *opts, FILE *diag)
{
	_cleanup_(data_freep) struct sg_data *data = NULL;
	struct sg_policy *pol = NULL;
	int err;

	err = sg_data_new(&data);
	if (err)
		return err;
	/* A rule set is never judged against missing data: that fails too. */
	err = sg_data_load_default(data, data_path, opts, diag);
	if (!err)
		err = sg_data_finish(data);
	if (err) {
		if (diag)
			fprintf(diag, "%s: jurisdiction data unusable: %s\n",
				data_path ? data_path : SG_LIBLOC_PATH_UPDATED, strerror(-err));
		return -EINVAL;
	}
	err = sg_policy_load_dir(rules_dir, data, diag, &pol);
	if (err) {
		if (diag && err != -EINVAL)
			fprintf(diag, "%s: %s\n", rules_dir, strerror(-err));
		return -EINVAL;
	}
	if (diag)
		fprintf(diag, "%s: %u rules, default %s: OK\n", rules_dir, pol->nr_rules,
			sg_verdict_name(pol->default_verdict));
	sg_policy_free(pol);
	return 0;
}
