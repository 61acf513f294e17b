// SPDX-License-Identifier: GPL-2.0
/* check-config: validate data and rules without touching the kernel. */
#include <errno.h>

#include "internal.h"

static void data_freep(struct sg_data **d)
{
	sg_data_free(*d);
}

bool sg_input_unreadable(int err)
{
	switch (-err) {
	case ENOENT:
	case EACCES:
	case EIO:
	case ENOTDIR:
	case ELOOP:
	case ENAMETOOLONG:
	case EMFILE:
	case ENFILE:
		return true;
	}
	return false;
}

int sg_data_load_list(struct sg_data *d, const char *const *paths, unsigned int nr,
		      const struct sg_load_opts *opts, FILE *diag)
{
	unsigned int i;
	int err = 0;

	if (!nr)
		err = sg_data_load_default(d, NULL, opts, diag);
	for (i = 0; i < nr && !err; i++)
		err = sg_data_load(d, paths[i], opts, diag);
	if (!err)
		err = sg_data_finish(d);
	return err;
}

int sg_policy_check_dir(const char *rules_dir, const char *const *data_paths,
			unsigned int nr_data, const struct sg_load_opts *opts, FILE *diag,
			struct sg_check_summary *ret)
{
	_cleanup_(data_freep) struct sg_data *data = NULL;
	struct sg_policy *pol = NULL;
	int err;

	err = sg_data_new(&data);
	if (err)
		return err;
	/* A rule set is never judged against missing data: that fails too. */
	err = sg_data_load_list(data, data_paths, nr_data, opts, diag);
	if (err) {
		if (diag)
			fprintf(diag, "%s: jurisdiction data unusable: %s\n",
				nr_data == 1 ? data_paths[0] : nr_data ? "data" :
				SG_LIBLOC_PATH_UPDATED, strerror(-err));
		return sg_input_unreadable(err) ? err : -EINVAL;
	}
	err = sg_policy_load_dir(rules_dir, data, diag, &pol);
	if (err) {
		if (diag && err != -EINVAL && !sg_input_unreadable(err))
			fprintf(diag, "%s: %s\n", rules_dir, strerror(-err));
		return sg_input_unreadable(err) ? err : -EINVAL;
	}
	if (ret)
		*ret = (struct sg_check_summary){
			.nr_rules = pol->nr_rules,
			.default_verdict = pol->default_verdict,
			.nr_ranges = sg_data_nr_ranges(data),
			.nr_sources = sg_data_nr_sources(data),
		};
	sg_policy_free(pol);
	return 0;
}
