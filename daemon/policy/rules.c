// SPDX-License-Identifier: GPL-2.0
/*
 * The rule language (docs/rules.md): the parser object, its diagnostics and
 * its input. Every file is read line by line, lexed (lex.c) and parsed
 * (parse.c); one pass reports every error with its position. Zones are
 * resolved once all files are read (resolve.c, sg_parser_finish()).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules_internal.h"

/* ---------------------------------------------------------------------------
 * Diagnostics
 */

static void verror(struct sg_parser *p, const struct pos *at, const char *fmt, va_list ap)
{
	if (p->stopped)
		return;
	if (++p->errors > SG_MAX_ERRORS) {
		p->stopped = true;
		if (p->diag)
			fprintf(p->diag, "%s:%u:%u: too many errors, stopping after %u\n", at->file,
				at->line, at->col, SG_MAX_ERRORS);
		return;
	}
	if (!p->diag)
		return;
	fprintf(p->diag, "%s:%u:%u: ", at->file, at->line, at->col);
	vfprintf(p->diag, fmt, ap);
	fputc('\n', p->diag);
}

void sg_pol_perr(struct sg_parser *p, const struct pos *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(p, at, fmt, ap);
	va_end(ap);
}

unsigned int sg_parser_nr_errors(const struct sg_parser *p)
{
	return p->errors;
}

struct pzone *sg_pol_find_zone(struct sg_parser *p, const char *name)
{
	for (size_t i = 0; i < p->nr_zones; i++)
		if (!strcmp(p->zones[i].name, name))
			return &p->zones[i];
	return NULL;
}

/* ---------------------------------------------------------------------------
 * The parser and its input
 */

int sg_parser_new(const struct sg_data *data, FILE *diag, struct sg_parser **ret)
{
	struct sg_parser *p = calloc(1, sizeof(*p));
	int err = -ENOMEM;

	if (!p)
		return -ENOMEM;
	p->data = data;
	p->diag = diag;
	p->zones = calloc(sg_pol_nr_builtin_zones, sizeof(*p->zones));
	if (!p->zones)
		goto err_free;
	p->cap_zones = sg_pol_nr_builtin_zones;
	err = sg_pol_add_builtin_zones(p);
	if (err)
		goto err_free;
	*ret = p;
	return 0;
err_free:
	sg_parser_free(p);
	return err;
}

void sg_parser_free(struct sg_parser *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr_zones; i++)
		free(p->zones[i].items.v);
	for (size_t i = 0; i < p->nr_rules; i++) {
		free(p->rules[i].to.v);
		free(p->rules[i].op.v);
	}
	free(p->zones);
	free(p->rules);
	free(p->atoms.v);
	free(p->atoms.hash);
	sg_pol_arena_free(&p->arena);
	free(p);
}

/*
 * Rules text named @name, its first line numbered @first; @is_file: it
 * counts against SG_MAX_FILES (generated lines do not).
 */
static int add_text(struct sg_parser *p, const char *name, const char *buf, size_t len,
		    uint32_t first, bool is_file)
{
	const char *slash = strrchr(name, '/'), *base = slash ? slash + 1 : name;
	unsigned int before = p->errors;
	const char *file, *id_base;
	struct line *l;
	size_t i = 0;

	if (p->finished)
		return -EALREADY;
	file = sg_pol_arena_strndup(&p->arena, name, strlen(name));
	id_base = sg_pol_arena_strndup(&p->arena, base, strlen(base));
	if (!file || !id_base)
		return -ENOMEM;
	if (is_file && ++p->nr_files > SG_MAX_FILES) {
		perr(p, &(struct pos){ file, 1, 1 }, "more than %u rules files", SG_MAX_FILES);
		return -EINVAL;
	}
	if (len > SG_MAX_FILE_SIZE) {
		perr(p, &(struct pos){ file, 1, 1 }, "file larger than %u bytes", SG_MAX_FILE_SIZE);
		return -EINVAL;
	}
	/* Tokens and their copies for one line: too big for the stack. */
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->p = p;
	l->file = file;
	l->base = id_base;
	l->lineno = first - 1;
	while (i < len && !p->stopped) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - buf) : len, n = e - i;
		const char *nul;

		l->lineno++;
		if (n > SG_MAX_LINE_LEN) {
			perr(p, &(struct pos){ l->file, l->lineno, SG_MAX_LINE_LEN + 1 },
			     "line longer than %u bytes", SG_MAX_LINE_LEN);
		} else if ((nul = memchr(buf + i, 0, n))) {
			perr(p, &(struct pos){ l->file, l->lineno, (uint32_t)(nul - buf - i) + 1 },
			     "NUL byte in rules file");
		} else if (!sg_pol_lex(l, buf + i, n)) {
			sg_pol_parse_line(l);
		}
		i = e + 1;
	}
	free(l);
	return p->errors > before ? -EINVAL : 0;
}

int sg_parser_add_buffer(struct sg_parser *p, const char *name, const char *buf, size_t len)
{
	return add_text(p, name, buf, len, 1, true);
}

/*
 * One rule the daemon generated (a quarantine), not read from a file: its
 * id is "NAME:LINENO", so it keeps the number it was given.
 */
int sg_parser_add_line(struct sg_parser *p, const char *name, uint32_t lineno, const char *text)
{
	if (!lineno || strchr(text, '\n'))
		return -EINVAL;
	return add_text(p, name, text, strlen(text), lineno, false);
}

int sg_parser_add_file(struct sg_parser *p, const char *path)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t off = 0;
	struct pos at = { path, 1, 1 };
	char why[SG_INPUT_MSG_LEN];
	int err;

	fd = sg_input_open(path, 0, &st, why, sizeof(why));
	if (fd < 0) {
		perr(p, &at, "%s", why);
		return fd;
	}
	if ((uint64_t)st.st_size > SG_MAX_FILE_SIZE) {
		perr(p, &at, "file larger than %u bytes", SG_MAX_FILE_SIZE);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n < 0) {
			err = -errno;
			perr(p, &at, "cannot read: %s", strerror(-err));
			return err;
		}
		if (!n)
			break;
		off += (size_t)n;
	}
	return sg_parser_add_buffer(p, path, buf, off);
}

void sg_policy_free(struct sg_policy *pol)
{
	struct sg_pol_policy_priv *priv;

	if (!pol)
		return;
	priv = pol->priv;
	sg_pol_arena_free(&priv->arena);
	free(priv);
}

const struct sg_zone *sg_policy_find_zone(const struct sg_policy *pol, const char *name)
{
	for (uint32_t i = 0; i < pol->nr_zones; i++)
		if (!strcmp(pol->zones[i].name, name))
			return &pol->zones[i];
	return NULL;
}

static void parser_freep(struct sg_parser **p)
{
	sg_parser_free(*p);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sg_policy_load_dir(const char *dir, const struct sg_data *data, FILE *diag,
		       struct sg_policy **ret)
{
	return sg_policy_load_dir_pre(dir, data, NULL, NULL, diag, ret);
}

int sg_policy_load_dir_pre(const char *dir, const struct sg_data *data,
			   int (*pre)(struct sg_parser *p, void *ctx), void *ctx, FILE *diag,
			   struct sg_policy **ret)
{
	_cleanup_(parser_freep) struct sg_parser *p = NULL;
	char *names[SG_MAX_FILES + 1], why[SG_INPUT_MSG_LEN];
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int err, dfd, unreadable = 0;

	err = sg_parser_new(data, diag, &p);
	if (err)
		return err;
	/* Rules ahead of the operator's: first match wins, so they win. */
	if (pre) {
		err = pre(p, ctx);
		if (err)
			return err;
	}
	dfd = sg_input_open(dir, SG_INPUT_DIR, NULL, why, sizeof(why));
	d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		err = dfd < 0 ? dfd : -errno;
		if (diag)
			fprintf(diag, "%s: rules directory: %s\n", dir,
				dfd < 0 ? why : strerror(-err));
		if (dfd >= 0)
			close(dfd);
		return err;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 7 || strcmp(de->d_name + len - 6, ".rules"))
			continue;
		if (n > SG_MAX_FILES) {
			err = -E2BIG;
			break;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (err == -E2BIG && diag)
		fprintf(diag, "%s: more than %u rules files\n", dir, SG_MAX_FILES);
	if (!err) {
		qsort(names, n, sizeof(*names), cmp_str);
		for (size_t i = 0; i < n; i++) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			err = sg_parser_add_file(p, path);
			if (sg_input_unreadable(err) && !unreadable)
				unreadable = err;
		}
		err = sg_parser_finish(p, ret);
		/* Every error is reported; a file that could not be read is said so. */
		if (err && unreadable)
			err = unreadable;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return err;
}
