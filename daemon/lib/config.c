// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "config.h"
#include "names.h"
#include "policy.h"

void sg_config_init(struct sg_settings *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = SG_MODE_ENFORCE;
	strcpy(cfg->cgroup, "/");
	strcpy(cfg->pin_root, SG_PIN_ROOT_DEFAULT);
	strcpy(cfg->run_dir, SG_RUN_DIR_DEFAULT);
	strcpy(cfg->rules_dir, SG_RULES_DIR_DEFAULT);
	strcpy(cfg->data_key, SG_LIBLOC_KEY_PATH);
	cfg->data_unsigned = SG_UNSIGNED_REFUSE;
	cfg->data_warn_days = 60;
	cfg->lease_timeout_ms = 10000;
	cfg->scan_interval = 300;
	cfg->flow_window_ms = 10000;	/* SG_OBS_FLOW_WINDOW_MS */
	cfg->fail = SG_FAIL_DENY;
	cfg->protect = true;
	cfg->metrics_interval = 15;
	strcpy(cfg->control_group, SG_CONTROL_GROUP_DEFAULT);
	sg_detect_config_init(&cfg->detect);
}

void sg_config_free(struct sg_settings *cfg)
{
	cfg->n_data = 0;
}

void sg_config_data_opts(const struct sg_settings *cfg, struct sg_load_opts *ret)
{
	*ret = (struct sg_load_opts){
		.kind = SG_SRC_AUTO,
		.warn_age = (time_t)cfg->data_warn_days * 86400,
		.max_age = (time_t)cfg->data_max_days * 86400,
		.key = cfg->data_key,
		.unsigned_data = cfg->data_unsigned,
	};
}

int sg_config_load_detect(const char *path, struct sg_detect_config *ret, FILE *diag)
{
	_cleanup_free_ struct sg_settings *cfg = malloc(sizeof(*cfg));
	int err;

	if (!cfg)
		return -ENOMEM;
	sg_config_init(cfg);
	err = sg_config_load(cfg, path, diag);
	if (err == -ENOENT)
		fprintf(diag, "%s: cannot open: %s\n", path, strerror(-err));
	if (!err)
		*ret = cfg->detect;
	sg_config_free(cfg);
	return err;
}

unsigned int sg_config_data_paths(const struct sg_settings *cfg,
				  const char *ret[SG_DATA_SOURCES_MAX])
{
	unsigned int i;

	for (i = 0; i < cfg->n_data && i < SG_DATA_SOURCES_MAX; i++)
		ret[i] = cfg->data[i];
	return i;
}

int sg_config_load_data(const struct sg_settings *cfg, FILE *diag, struct sg_data **ret)
{
	const char *paths[SG_DATA_SOURCES_MAX];
	struct sg_load_opts opts;
	struct sg_data *data;
	unsigned int n;
	int err;

	sg_config_data_opts(cfg, &opts);
	n = sg_config_data_paths(cfg, paths);
	err = sg_data_new(&data);
	if (err)
		return err;
	err = sg_data_load_list(data, paths, n, &opts, diag);
	if (err) {
		sg_data_free(data);
		return err;
	}
	*ret = data;
	return 0;
}

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int set_path(char *dst, const char *val)
{
	if (!*val || strlen(val) >= SG_PATH_MAX)
		return -EINVAL;
	strcpy(dst, val);
	return 0;
}

static int add_data(struct sg_settings *cfg, const char *val)
{
	if (cfg->n_data >= SG_DATA_SOURCES_MAX)
		return -E2BIG;
	return set_path(cfg->data[cfg->n_data++], val);
}

static int set_protect(bool *dst, const char *val)
{
	if (strcmp(val, "lsm") && strcmp(val, "off"))
		return -EINVAL;
	*dst = !strcmp(val, "lsm");
	return 0;
}

static int set_flows(bool *keep, const char *val)
{
	if (strcmp(val, "end") && strcmp(val, "keep"))
		return -EINVAL;
	*keep = !strcmp(val, "keep");
	return 0;
}

static int set_uint(unsigned int *dst, const char *val, unsigned long lo, unsigned long hi)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (!isdigit((unsigned char)*val) || *end || errno || v < lo || v > hi)
		return -EINVAL;
	*dst = v;
	return 0;
}

static int set_days(unsigned int *dst, const char *val)
{
	return set_uint(dst, val, 0, 36500);
}

/* "15" or "15s". */
static int set_seconds(unsigned int *dst, char *val, unsigned long lo, unsigned long hi)
{
	size_t n = strlen(val);

	if (n > 1 && val[n - 1] == 's')
		val[n - 1] = '\0';
	return set_uint(dst, val, lo, hi);
}

/* A group name as useradd takes it, or a number. */
static int set_group(char *dst, const char *val)
{
	size_t i, n = strlen(val);

	if (!n || n >= SG_GROUP_NAME_LEN || val[0] == '-')
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)val[i]) && !strchr("_.-", val[i]))
			return -EINVAL;
	strcpy(dst, val);
	return 0;
}

static int set_hook_allow(struct sg_settings *cfg, char *val)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(val, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
		if (cfg->n_hook_allow >= SG_HOOK_ALLOW_MAX || strlen(tok) >= SG_MODULE_NAME_LEN)
			return -E2BIG;
		strcpy(cfg->hook_allow[cfg->n_hook_allow++], tok);
	}
	return 0;
}

/* nat64_prefix = ADDR/LEN, repeatable: the message for a bad one in @why. */
static int add_nat64(struct sg_settings *cfg, const char *val, const char **why)
{
	int err;

	if (cfg->n_nat64 >= SG_NAT64_PREFIXES_MAX) {
		*why = "more than 4 NAT64 prefixes";
		_Static_assert(SG_NAT64_PREFIXES_MAX == 4, "the message says 4");
		return -E2BIG;
	}
	err = sg_nat64_parse(val, &cfg->nat64[cfg->n_nat64]);
	if (err == -EDOM)
		*why = "a NAT64 prefix is 32, 40, 48, 56, 64 or 96 bits long (RFC 6052)";
	else if (err)
		*why = "expected an IPv6 prefix ADDR/LEN with no bits set after LEN";
	else
		cfg->n_nat64++;
	return err;
}

/**
 * sg_config_load() - read @path into @cfg, all or nothing.
 * @diag: where every error goes as "file:line: message".
 *
 * On error @cfg is left as it was, so the running configuration stays. The
 * file is opened with sg_input_open(): a FIFO, or a file that someone else
 * than root can change, is refused (reported to @diag).
 *
 * Return: 0, -EINVAL after reporting every bad line, -ENOENT (not reported)
 * when there is no such file, or another negative errno when the file
 * cannot be read or is not trusted.
 */
int sg_config_load(struct sg_settings *cfg, const char *path, FILE *diag)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[SG_CONFIG_MAX_LINE + 2], why[SG_INPUT_MSG_LEN];
	_cleanup_free_ struct sg_settings *n = NULL;
	char derr[256];
	unsigned int lineno = 0;
	int errors = 0, err, fd;
	struct stat st;

	fd = sg_input_open(path, 0, &st, why, sizeof(why));
	if (fd < 0) {
		if (fd != -ENOENT)
			fprintf(diag, "%s: %s\n", path, why);
		return fd;
	}
	f = fdopen(fd, "r");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	if (st.st_size > SG_CONFIG_MAX_BYTES) {
		fprintf(diag, "%s: larger than %d bytes\n", path, SG_CONFIG_MAX_BYTES);
		return -EFBIG;
	}

	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	sg_config_init(n);
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *key, *val;

		lineno++;
		if (strlen(line) > SG_CONFIG_MAX_LINE) {
			fprintf(diag, "%s:%u:%d: line longer than %d characters\n", path, lineno,
				SG_CONFIG_MAX_LINE + 1, SG_CONFIG_MAX_LINE);
			errors++;
			/* Skip the rest of the overlong line. */
			while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
				;
			continue;
		}
		s = strchr(line, '#');
		if (s)
			*s = '\0';
		s = strip(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			fprintf(diag, "%s:%u:%td: expected \"key = value\"\n", path, lineno,
				s - line + 1);
			errors++;
			continue;
		}
		*eq = '\0';
		key = strip(s);
		val = strip(eq + 1);

		if (!strcmp(key, "mode"))
			err = sg_mode_parse(val, &n->mode);
		else if (!strcmp(key, "cgroup"))
			err = set_path(n->cgroup, val);
		else if (!strcmp(key, "pin_root"))
			err = val[0] == '/' ? set_path(n->pin_root, val) : -EINVAL;
		else if (!strcmp(key, "run_dir"))
			err = val[0] == '/' ? set_path(n->run_dir, val) : -EINVAL;
		else if (!strcmp(key, "rules_dir"))
			err = val[0] == '/' ? set_path(n->rules_dir, val) : -EINVAL;
		else if (!strcmp(key, "data"))
			err = add_data(n, val);
		else if (!strcmp(key, "data_key"))
			err = val[0] == '/' ? set_path(n->data_key, val) : -EINVAL;
		else if (!strcmp(key, "data_unsigned"))
			err = sg_unsigned_policy_parse(val, &n->data_unsigned);
		else if (!strcmp(key, "data_warn_age"))
			err = set_days(&n->data_warn_days, val);
		else if (!strcmp(key, "data_max_age"))
			err = set_days(&n->data_max_days, val);
		else if (!strcmp(key, "lease_timeout_ms"))
			err = set_uint(&n->lease_timeout_ms, val, 100, 3600000);
		else if (!strcmp(key, "scan_interval"))
			err = set_uint(&n->scan_interval, val, 0, 86400);
		else if (!strcmp(key, "flow_window_ms"))
			err = set_uint(&n->flow_window_ms, val, 0, 600000);
		else if (!strcmp(key, "hook_allow"))
			err = set_hook_allow(n, val);
		else if (!strcmp(key, "fail"))
			err = sg_fail_parse(val, &n->fail);
		else if (!strcmp(key, "protect"))
			err = set_protect(&n->protect, val);
		else if (!strcmp(key, "existing_flows"))
			err = set_flows(&n->flows_keep, val);
		else if (!strcmp(key, "metrics_file"))
			err = val[0] == '/' ? set_path(n->metrics_file, val) : -EINVAL;
		else if (!strcmp(key, "metrics_interval"))
			err = set_seconds(&n->metrics_interval, val, 1, SG_METRICS_INTERVAL_MAX);
		else if (!strcmp(key, "control_group"))
			err = set_group(n->control_group, val);
		else if (!strcmp(key, "nat64_prefix")) {
			const char *msg = "";

			err = add_nat64(n, val, &msg);
			if (err) {
				fprintf(diag, "%s:%u: nat64_prefix %s: %s\n", path, lineno, val,
					msg);
				errors++;
				continue;
			}
		}
		else if (!strncmp(key, "detect.", 7)) {
			err = sg_detect_config_set(&n->detect, key, val, derr, sizeof(derr));
			if (err == -EINVAL) {
				fprintf(diag, "%s:%u:%td: %s\n", path, lineno, val - line + 1,
					derr);
				errors++;
				continue;
			}
			if (err == -ENOENT)
				err = -ENOKEY;
		} else
			err = -ENOKEY;

		if (err == -ENOKEY)
			fprintf(diag, "%s:%u:%td: unknown key \"%s\"\n", path, lineno,
				key - line + 1, key);
		else if (err == -E2BIG)
			fprintf(diag, "%s:%u:%td: more than %d %s, or a name too long\n", path,
				lineno, val - line + 1,
				!strcmp(key, "data") ? SG_DATA_SOURCES_MAX : SG_HOOK_ALLOW_MAX,
				!strcmp(key, "data") ? "data sources" : "modules");
		else if (err)
			fprintf(diag, "%s:%u:%td: invalid value \"%s\" for %s\n", path, lineno,
				val - line + 1, val, key);
		if (err)
			errors++;
	}
	if (ferror(f)) {
		sg_config_free(n);
		return -EIO;
	}
	if (sg_detect_config_check(&n->detect, path, diag))
		errors++;
	if (errors) {
		sg_config_free(n);
		return -EINVAL;
	}
	sg_config_free(cfg);
	*cfg = *n;
	return 0;
}
