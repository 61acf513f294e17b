// SPDX-License-Identifier: GPL-2.0
/*
 * sovguardctl without the daemon: check-config on a rules directory and
 * `check ADDRESS --rules DIR`. The rules are parsed and compiled with the
 * jurisdiction data into a policy image in memory, as the daemon compiles
 * them (sg_compile()), and the address is decided by sg_image_decide(), the
 * kernel's bpf/decide.h over the same bytes; the reply is the daemon's
 * (answer.c). Nothing in the kernel is read or written.
 *
 * Subjects are taken by name, not resolved on this host: the pipeline that
 * asks is rarely the server the rules are for. An executable is its path,
 * a cgroup its path, a unit the cgroup systemd gives a system unit by
 * default (/system.slice/NAME; a slice at its place in the slice tree).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "../answer.h"
#include "../compile.h"
#include "../lib/cleanup.h"
#include "../lib/config.h"
#include "../lib/util.h"
#include "ctl.h"

/* The kernel dev_t offline executables claim: no device has it. */
#define SG_OFFLINE_EXE_DEV	0xffffffffu

static __u64 name_id(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h | 1;	/* never 0: 0 is "no cgroup" at a level */
}

static int offline_cgroup_id(void *ctx, const char *path, __u64 *id)
{
	*id = name_id(path);
	return 0;
}

static int offline_exe_id(void *ctx, const char *path, __u32 *kdev, __u64 *ino)
{
	*kdev = SG_OFFLINE_EXE_DEV;
	*ino = name_id(path);
	return 0;
}

/* systemd's default place: a-b.slice is /a.slice/a-b.slice, others in system.slice. */
static int offline_unit_cgroup(void *ctx, const char *unit, char *path, size_t len)
{
	size_t n = strlen(unit), stem, off = 0, i;

	if (n <= 6 || strcmp(unit + n - 6, ".slice"))
		return snprintf(path, len, "/system.slice/%s", unit) < (int)len ? 0 : -ENAMETOOLONG;
	if (!strcmp(unit, "-.slice"))
		return snprintf(path, len, "/") < (int)len ? 0 : -ENAMETOOLONG;
	stem = n - 6;
	for (i = 1; i <= stem; i++) {
		if (i < stem && unit[i] != '-')
			continue;
		off += snprintf(path + off, off < len ? len - off : 0, "/%.*s.slice", (int)i, unit);
		if (off >= len)
			return -ENAMETOOLONG;
	}
	return 0;
}

static const struct sg_resolver offline_resolver = {
	.unit_cgroup = offline_unit_cgroup,
	.cgroup_id = offline_cgroup_id,
	.exe_id = offline_exe_id,
};

static int set_str(char *dst, size_t len, const char *src)
{
	return snprintf(dst, len, "%s", src) < (int)len ? 0 : -ENAMETOOLONG;
}

int sg_ctl_settings(const struct sg_ctl_inputs *in, struct sg_settings *cfg)
{
	const char *path = in->config ? in->config : SG_CONFIG_DEFAULT;
	unsigned int i;
	int err;

	sg_config_init(cfg);
	err = sg_config_load(cfg, path, stderr);
	if (err == -ENOENT && !in->config) {
		fprintf(stderr, "%s: not found; the built-in defaults apply\n", path);
	} else if (err == -ENOENT) {
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(-err));
		return err;
	} else if (err) {
		return err;
	}
	if (in->rules_dir && set_str(cfg->rules_dir, sizeof(cfg->rules_dir), in->rules_dir))
		return -ENAMETOOLONG;
	if (in->nr_data)
		cfg->n_data = 0;
	for (i = 0; i < in->nr_data; i++) {
		if (set_str(cfg->data[i], sizeof(cfg->data[i]), in->data[i]))
			return -ENAMETOOLONG;
		cfg->n_data++;
	}
	return 0;
}

static void data_freep(struct sg_data **d)
{
	sg_data_free(*d);
}

static void policy_freep(struct sg_policy **p)
{
	sg_policy_free(*p);
}

static void image_freep(struct sg_image **img)
{
	sg_image_free(*img);
}

int sg_ctl_check_offline(const struct sg_ctl_inputs *in, struct json_object *req,
			 struct json_object **ret)
{
	_cleanup_(data_freep) struct sg_data *data = NULL;
	_cleanup_(policy_freep) struct sg_policy *pol = NULL;
	_cleanup_(image_freep) struct sg_image *img = NULL;
	_cleanup_free_ struct sg_settings *cfg = malloc(sizeof(*cfg));
	struct sg_answer ans = {};
	struct json_object *o;
	struct sg_query q;
	struct in6_addr a;
	char msg[SG_PATH_MAX + 64];
	int err;

	if (!cfg)
		return -ENOMEM;
	err = sg_ctl_settings(in, cfg);
	if (err)
		return err;
	err = sg_config_load_data(cfg, stderr, &data);
	if (err) {
		fprintf(stderr, "sovguardctl: jurisdiction data unusable: %s\n", strerror(-err));
		return err;
	}
	err = sg_policy_load_dir(cfg->rules_dir, data, stderr, &pol);
	if (err)
		return err;
	err = sg_compile(pol, data, &offline_resolver, 1, stderr, &img);
	if (!err)
		err = sg_image_set_nat64(img, cfg->nat64, cfg->n_nat64);
	if (err) {
		fprintf(stderr, "sovguardctl: %s: cannot compile: %s\n", cfg->rules_dir,
			strerror(-err));
		return err;
	}
	if (sg_check_query(&offline_resolver, req, &q, &a, msg, sizeof(msg))) {
		fprintf(stderr, "sovguardctl: %s\n", msg);
		return -EINVAL;
	}
	err = sg_image_decide(img, &q, &ans);
	if (err)
		return err;
	o = sg_check_reply(pol, data, req, &a, &ans, cfg->mode);
	/* No generation: this image was never published. */
	json_object_object_add(o, "generation", NULL);
	json_object_object_add(o, "offline", json_object_new_boolean(true));
	json_object_object_add(o, "rules_dir", json_object_new_string(cfg->rules_dir));
	*ret = o;
	return 0;
}
