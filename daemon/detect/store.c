// SPDX-License-Identifier: GPL-2.0
/*
 * The alert store: STATE_DIR/alerts.jsonl, one alert per line as
 * sg_alert_json() gives it, rotated to alerts.jsonl.1 at a size cap (the
 * generation rotation deletes is counted in the new file's first line),
 * and the reader `sovguardctl alerts` uses.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "internal.h"

struct sg_alert_store {
	char path[SG_DETECT_PATH_MAX + 32];
	FILE *f;
	__u64 size, max_bytes, lines, errors;
	__u64 dropped;			/* alerts rotation deleted, since the store began */
};

#define SG_ROTATED_PREFIX "{\"rotated\""

/* The cumulative count in the head line of the current file, if any. */
static __u64 head_dropped(const char *path)
{
	char line[256];
	unsigned long long n;
	char *p;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	n = 0;
	if (fgets(line, sizeof(line), f) && !strncmp(line, SG_ROTATED_PREFIX,
						      strlen(SG_ROTATED_PREFIX))) {
		p = strstr(line, "\"dropped\":");
		if (!p || sscanf(p + 10, "%llu", &n) != 1)
			n = 0;
	}
	fclose(f);
	return n;
}

static int store_reopen(struct sg_alert_store *s)
{
	struct stat st;
	int fd;

	fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	s->f = fdopen(fd, "a");
	if (!s->f) {
		close(fd);
		return -errno;
	}
	s->size = fstat(fd, &st) ? 0 : (__u64)st.st_size;
	return 0;
}

/* Alert lines in a file (rotation lines left out). */
static __u64 count_alerts(const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	__u64 n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0)
		n += !!strncmp(line, SG_ROTATED_PREFIX, strlen(SG_ROTATED_PREFIX));
	free(line);
	fclose(f);
	return n;
}

int sg_alert_store_open(const char *state_dir, __u64 max_bytes, struct sg_alert_store **ret)
{
	struct sg_alert_store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	if (mkdir(state_dir, 0700) && errno != EEXIST) {
		r = -errno;
		goto err;
	}
	if (snprintf(s->path, sizeof(s->path), "%s/%s", state_dir, SG_ALERTS_FILE) >=
	    (int)sizeof(s->path)) {
		r = -ENAMETOOLONG;
		goto err;
	}
	s->max_bytes = max_bytes;
	s->dropped = head_dropped(s->path);
	r = store_reopen(s);
	if (r)
		goto err;
	*ret = s;
	return 0;
err:
	free(s);
	return r;
}

void sg_alert_store_close(struct sg_alert_store *s)
{
	if (!s)
		return;
	if (s->f)
		fclose(s->f);
	free(s);
}

static int store_rotate(struct sg_alert_store *s)
{
	char old[sizeof(s->path) + 2], t[SG_ALERT_TIME_MAX];
	__u64 dropped;
	int r;

	snprintf(old, sizeof(old), "%s.1", s->path);
	dropped = count_alerts(old);
	fclose(s->f);
	s->f = NULL;
	if (rename(s->path, old))
		return -errno;
	r = store_reopen(s);
	if (r)
		return r;
	s->dropped += dropped;
	sg_alert_time((double)time(NULL), t);
	s->size += fprintf(s->f, SG_ROTATED_PREFIX ":\"%s\",\"dropped\":%llu}\n", t,
			   (unsigned long long)s->dropped);
	return 0;
}

int sg_alert_store_write(struct sg_alert_store *s, const struct sg_alert *a)
{
	struct json_object *o;
	const char *line;
	size_t len;
	int r = 0;

	if (!s->f) {
		r = store_reopen(s);
		if (r)
			goto err;
	}
	o = sg_alert_json(a);
	if (!o) {
		r = -ENOMEM;
		goto err;
	}
	line = json_object_to_json_string_ext(o, SG_JSON_LINE);
	len = strlen(line) + 1;
	if (len > SG_ALERTS_LINE_MAX) {
		/* Only the evidence can be this long: keep the alert without it. */
		json_object_object_add(o, "evidence", json_object_new_string("(too long)"));
		line = json_object_to_json_string_ext(o, SG_JSON_LINE);
		len = strlen(line) + 1;
	}
	if (s->size && s->size + len > s->max_bytes) {
		r = store_rotate(s);
		if (r) {
			json_object_put(o);
			goto err;
		}
	}
	if (fprintf(s->f, "%s\n", line) < 0 || fflush(s->f))
		r = -EIO;
	s->size += len;
	s->lines++;
	json_object_put(o);
	if (!r)
		return 0;
err:
	s->errors++;
	return r;
}

static void store_alert(void *ctx, const struct sg_alert *a)
{
	sg_alert_store_write(ctx, a);
}

struct sg_detect_sink sg_alert_store_sink(struct sg_alert_store *s)
{
	struct sg_detect_sink k = { store_alert, s };

	return k;
}

__u64 sg_alert_store_errors(const struct sg_alert_store *s)
{
	return s->errors;
}

/* "YYYY-MM-DDTHH:MM:SS" with "Z", "+HH:MM" or "-HH:MM", or a date alone. */
static int parse_iso(const char *s, double *ret)
{
	struct tm tm = { 0 };
	const char *p;
	int off = 0, oh, om;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p) {
		memset(&tm, 0, sizeof(tm));
		p = strptime(s, "%Y-%m-%d", &tm);
		if (!p || *p)
			return -EINVAL;
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || strlen(p) != 6 || oh > 23 || om > 59)
			return -EINVAL;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	}
	if (*p)
		return -EINVAL;
	*ret = (double)timegm(&tm) - off;
	return 0;
}

int sg_alerts_parse_since(const char *s, double now, double *ret)
{
	char *end;
	double v;

	if (!parse_iso(s, ret))
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0) || end[0] == 0 || end[1])
		return -EINVAL;
	switch (*end) {
	case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	case 'w': v *= 7 * 86400; break;
	default: return -EINVAL;
	}
	*ret = now - v;
	return 0;
}

static int read_one(const char *path, double since, FILE *errf,
		    int (*cb)(void *ctx, struct json_object *alert), void *ctx, int *bad)
{
	static char line[SG_ALERTS_LINE_MAX + 2];
	unsigned int lineno = 0;
	struct json_object *o, *v;
	double t;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n')) {
			int c;

			fprintf(errf, "%s:%u: line longer than %d\n", path, lineno, SG_ALERTS_LINE_MAX);
			(*bad)++;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object)) {
			fprintf(errf, "%s:%u: not a JSON object\n", path, lineno);
			(*bad)++;
			json_object_put(o);
			continue;
		}
		if (json_object_object_get_ex(o, "rotated", &v)) {
			r = cb(ctx, o);
		} else if (!json_object_object_get_ex(o, "heuristic", &v) ||
			   !json_object_object_get_ex(o, "last", &v) ||
			   !json_object_is_type(v, json_type_string) ||
			   parse_iso(json_object_get_string(v), &t)) {
			fprintf(errf, "%s:%u: not an alert (heuristic, last)\n", path, lineno);
			(*bad)++;
		} else if (t >= since) {
			r = cb(ctx, o);
		}
		json_object_put(o);
		if (r)
			break;
	}
	if (!r && ferror(f))
		r = -EIO;
	fclose(f);
	return r;
}

int sg_alerts_read(const char *path, double since, FILE *errf,
		   int (*cb)(void *ctx, struct json_object *alert), void *ctx)
{
	char old[SG_DETECT_PATH_MAX + 40];
	int bad = 0, r;

	if (snprintf(old, sizeof(old), "%s.1", path) >= (int)sizeof(old))
		return -ENAMETOOLONG;
	r = read_one(old, since, errf, cb, ctx, &bad);
	if (!r)
		r = read_one(path, since, errf, cb, ctx, &bad);
	return r ? r : bad;
}
