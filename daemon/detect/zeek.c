// SPDX-License-Identifier: GPL-2.0
/*
 * Zeek conn.log / dns.log reader. zlib reads plain and gzip files alike
 * (gzread's transparent mode); TSV headers are honoured as Zeek writes
 * them (#separator with \x escapes, #set_separator, #empty_field,
 * #unset_field, #fields, #close and further header blocks); JSON lines are
 * parsed with json-c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <json-c/json.h>

#include "internal.h"
#include "zeek.h"

enum field {
	F_TS,
	F_ORIG_H,
	F_RESP_H,
	F_RESP_P,
	F_PROTO,
	F_ORIG_BYTES,
	F_RESP_BYTES,
	F_STATE,
	F_LOCAL_ORIG,
	F_QUERY,
	F_ANSWERS,
	F_MAX,
};

static const char *const field_names[F_MAX] = {
	[F_TS] = "ts",
	[F_ORIG_H] = "id.orig_h",
	[F_RESP_H] = "id.resp_h",
	[F_RESP_P] = "id.resp_p",
	[F_PROTO] = "proto",
	[F_ORIG_BYTES] = "orig_bytes",
	[F_RESP_BYTES] = "resp_bytes",
	[F_STATE] = "conn_state",
	[F_LOCAL_ORIG] = "local_orig",
	[F_QUERY] = "query",
	[F_ANSWERS] = "answers",
};

enum fmt { FMT_UNKNOWN, FMT_TSV, FMT_JSON };

struct sg_zeek {
	gzFile gz;
	char name[SG_ZEEK_ERR_MAX / 2];
	enum sg_det_kind kind;
	enum fmt fmt;
	unsigned long long line;
	char buf[SG_ZEEK_LINE_MAX + 2];
	char err[SG_ZEEK_ERR_MAX + 64];
	/* TSV header state */
	char sep, set_sep;
	char empty[32], unset[32];
	bool have_fields;
	unsigned int nfields;
	int col[F_MAX];
	char *cols[SG_ZEEK_FIELDS_MAX];
	/* JSON */
	struct json_tokener *tok;
	struct json_object *jobj;
	char subject[INET6_ADDRSTRLEN];
	char dst_text[INET6_ADDRSTRLEN];
	char qname[SG_DETECT_NAME_MAX];
};

static int zfail(struct sg_zeek *z, const char *fmt, ...)
{
	char msg[SG_ZEEK_ERR_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(z->err, sizeof(z->err), "%s:%llu: %s", z->name, z->line, msg);
	return -EINVAL;
}

const char *sg_zeek_error(const struct sg_zeek *z)
{
	return z->err;
}

unsigned long long sg_zeek_lines(const struct sg_zeek *z)
{
	return z->line;
}

int sg_zeek_open_fd(int fd, const char *name, enum sg_det_kind kind, struct sg_zeek **ret,
		    char *err, size_t errlen)
{
	struct sg_zeek *z = calloc(1, sizeof(*z));

	if (!z) {
		close(fd);
		return -ENOMEM;
	}
	z->gz = gzdopen(fd, "rb");
	if (!z->gz) {
		close(fd);
		free(z);
		snprintf(err, errlen, "%s: cannot open for reading", name);
		return -EIO;
	}
	gzbuffer(z->gz, 1 << 17);
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->kind = kind;
	z->sep = '\t';
	z->set_sep = ',';
	strcpy(z->empty, "(empty)");
	strcpy(z->unset, "-");
	*ret = z;
	return 0;
}

int sg_zeek_open(const char *path, enum sg_det_kind kind, struct sg_zeek **ret, char *err,
		 size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	return sg_zeek_open_fd(fd, path, kind, ret, err, errlen);
}

void sg_zeek_close(struct sg_zeek *z)
{
	if (!z)
		return;
	if (z->gz)
		gzclose(z->gz);
	if (z->jobj)
		json_object_put(z->jobj);
	if (z->tok)
		json_tokener_free(z->tok);
	free(z);
}

/* One line into z->buf without its newline. Return: 1, 0 at the end, <0. */
static int read_line(struct sg_zeek *z)
{
	size_t len;
	int errnum;

	if (!gzgets(z->gz, z->buf, sizeof(z->buf))) {
		const char *m = gzerror(z->gz, &errnum);

		if (errnum && errnum != Z_BUF_ERROR) {
			z->line++;
			return zfail(z, "read error: %s", m);
		}
		/* A truncated gzip member ends with Z_BUF_ERROR. */
		if (errnum == Z_BUF_ERROR) {
			z->line++;
			return zfail(z, "truncated gzip data");
		}
		return 0;
	}
	z->line++;
	len = strlen(z->buf);
	if (len && z->buf[len - 1] == '\n') {
		z->buf[--len] = 0;
	} else if (len >= sizeof(z->buf) - 1) {
		return zfail(z, "line longer than %d bytes", SG_ZEEK_LINE_MAX);
	} else if (len < sizeof(z->buf) - 1 && !gzeof(z->gz)) {
		/* gzgets stops at a NUL byte too */
		return zfail(z, "NUL byte in line");
	}
	if (len && z->buf[len - 1] == '\r')
		z->buf[--len] = 0;
	return 1;
}

/* Zeek writes "\x09" for a tab in the header values. */
static int unescape_char(const char *s, char *out)
{
	unsigned int v;

	if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
	    isxdigit((unsigned char)s[3]) && !s[4]) {
		if (sscanf(s + 2, "%2x", &v) != 1)
			return -EINVAL;
		*out = (char)v;
		return 0;
	}
	if (s[0] && !s[1]) {
		*out = s[0];
		return 0;
	}
	return -EINVAL;
}

static int header(struct sg_zeek *z, char *l)
{
	char *val, *p;
	unsigned int n = 0, i;

	if (!strncmp(l, "#separator", 10) && (l[10] == ' ' || l[10] == '\t')) {
		z->have_fields = false;
		if (unescape_char(l + 11, &z->sep))
			return zfail(z, "bad #separator \"%s\"", l + 11);
		return 0;
	}
	val = strchr(l, z->sep);
	if (!val)
		return 0;	/* a comment Zeek does not write; ignored */
	*val++ = 0;
	if (!strcmp(l, "#set_separator")) {
		if (unescape_char(val, &z->set_sep))
			return zfail(z, "bad #set_separator \"%s\"", val);
	} else if (!strcmp(l, "#empty_field")) {
		snprintf(z->empty, sizeof(z->empty), "%s", val);
	} else if (!strcmp(l, "#unset_field")) {
		snprintf(z->unset, sizeof(z->unset), "%s", val);
	} else if (!strcmp(l, "#fields")) {
		for (i = 0; i < F_MAX; i++)
			z->col[i] = -1;
		for (p = val; p; n++) {
			char *next = strchr(p, z->sep);

			if (next)
				*next++ = 0;
			if (n >= SG_ZEEK_FIELDS_MAX)
				return zfail(z, "more than %d fields", SG_ZEEK_FIELDS_MAX);
			for (i = 0; i < F_MAX; i++)
				if (!strcmp(p, field_names[i]))
					z->col[i] = (int)n;
			p = next;
		}
		z->nfields = n;
		if (z->col[F_TS] < 0 || z->col[F_ORIG_H] < 0 ||
		    (z->kind == SG_DET_CONN && z->col[F_RESP_H] < 0) ||
		    (z->kind == SG_DET_DNS && z->col[F_QUERY] < 0))
			return zfail(z, "#fields lacks %s", z->kind == SG_DET_CONN ?
				     "ts, id.orig_h or id.resp_h" : "ts, id.orig_h or query");
		z->have_fields = true;
	}
	return 0;
}

int sg_zeek_parse_time(const char *s, double *ret)
{
	struct tm tm;
	const char *p;
	char *end;
	double frac = 0, off = 0;
	time_t t;

	if (!*s)
		return -EINVAL;
	if (!strchr(s, '-') || isspace((unsigned char)*s)) {
		errno = 0;
		*ret = strtod(s, &end);
		return errno || *end || end == s || !(*ret >= 0 && *ret < 1e11) ? -EINVAL : 0;
	}
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		const char *q = p + 1;

		while (isdigit((unsigned char)*q))
			q++;
		if (q == p + 1)
			return -EINVAL;
		frac = strtod(p, NULL);
		p = q;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm;

		if (strlen(p) != 6 || sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 23 || mm > 59)
			return -EINVAL;
		off = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
		p += 6;
	}
	if (*p)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = (double)t + frac - off;
	return 0;
}

static int parse_addr(const char *s, struct in6_addr *a)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, a) == 1 ? 0 : -EINVAL;
}

static bool is_unset(const struct sg_zeek *z, const char *s)
{
	return !s || !*s || !strcmp(s, z->unset) || !strcmp(s, z->empty);
}

static int parse_count(struct sg_zeek *z, const char *what, const char *s, __u64 max, __u64 *ret)
{
	unsigned long long v;
	char *end;

	*ret = 0;
	if (is_unset(z, s))
		return 0;
	if (!isdigit((unsigned char)*s))
		return zfail(z, "%s: not a count: \"%.40s\"", what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return zfail(z, "%s: not a count: \"%.40s\"", what, s);
	*ret = v;
	return 0;
}

static bool state_failed(const char *s)
{
	static const char *const failed[] = { "S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR", "OTH" };
	size_t i;

	for (i = 0; i < SG_ARRAY_SIZE(failed); i++)
		if (!strcmp(s, failed[i]))
			return true;
	return false;
}

/* Fields as strings (NULL when absent); shared by both formats. */
static int decode(struct sg_zeek *z, const char *const v[F_MAX], struct sg_obs *o)
{
	__u64 x;
	int r;

	memset(o, 0, sizeof(*o));
	o->kind = z->kind;
	if (is_unset(z, v[F_TS]) || sg_zeek_parse_time(v[F_TS], &o->ts))
		return zfail(z, "ts: bad time \"%.40s\"", v[F_TS] ? v[F_TS] : "");
	if (is_unset(z, v[F_ORIG_H]) || parse_addr(v[F_ORIG_H], &o->src))
		return zfail(z, "id.orig_h: bad address \"%.60s\"", v[F_ORIG_H] ? v[F_ORIG_H] : "");
	snprintf(z->subject, sizeof(z->subject), "%s", v[F_ORIG_H]);
	o->subject = z->subject;
	if (v[F_RESP_H] && !is_unset(z, v[F_RESP_H]) && parse_addr(v[F_RESP_H], &o->dst))
		return zfail(z, "id.resp_h: bad address \"%.60s\"", v[F_RESP_H]);
	if (z->kind == SG_DET_CONN && is_unset(z, v[F_RESP_H]))
		return zfail(z, "id.resp_h: missing");
	/*
	 * The engine keys on address text; an IPv4 address inet_pton accepted
	 * is already in canonical form, so it is passed on rather than printed
	 * again. IPv6 text may be written several ways: the engine prints it.
	 */
	if (!strchr(v[F_ORIG_H], ':'))
		o->src_str = o->subject;
	if (z->kind == SG_DET_CONN && !strchr(v[F_RESP_H], ':')) {
		snprintf(z->dst_text, sizeof(z->dst_text), "%s", v[F_RESP_H]);
		o->dst_str = z->dst_text;
	}
	r = parse_count(z, "id.resp_p", v[F_RESP_P], 65535, &x);
	if (r)
		return r;
	o->dport = (__u16)x;
	if (v[F_PROTO])
		o->proto = !strcmp(v[F_PROTO], "tcp") ? 6 : !strcmp(v[F_PROTO], "udp") ? 17 : 0;
	if (z->kind == SG_DET_CONN) {
		r = parse_count(z, "orig_bytes", v[F_ORIG_BYTES], 1ULL << 56, &o->bytes_out);
		if (!r)
			r = parse_count(z, "resp_bytes", v[F_RESP_BYTES], 1ULL << 56, &o->bytes_in);
		if (r)
			return r;
		o->failed = v[F_STATE] && state_failed(v[F_STATE]);
		if (v[F_LOCAL_ORIG] && !strcmp(v[F_LOCAL_ORIG], "T"))
			o->dir = SG_DIR_OUT;
		else if (v[F_LOCAL_ORIG] && !strcmp(v[F_LOCAL_ORIG], "F"))
			o->dir = SG_DIR_IN;
		return 1;
	}
	if (!is_unset(z, v[F_QUERY])) {
		snprintf(z->qname, sizeof(z->qname), "%s", v[F_QUERY]);
		o->qname = z->qname;
	}
	return 1;
}

static void add_answer(struct sg_obs *o, const char *s)
{
	if (o->n_answers < SG_DETECT_ANSWERS_MAX && !parse_addr(s, &o->answers[o->n_answers]))
		o->n_answers++;
}

static int next_tsv(struct sg_zeek *z, char *l, struct sg_obs *o)
{
	const char *v[F_MAX] = { 0 };
	unsigned int n = 0, i;
	char *p;
	int r;

	if (!z->have_fields)
		return zfail(z, "data before the #fields header");
	for (p = l; p; n++) {
		char *next = strchr(p, z->sep);

		if (next)
			*next++ = 0;
		if (n >= z->nfields)
			return zfail(z, "more than the %u fields of #fields", z->nfields);
		z->cols[n] = p;
		p = next;
	}
	if (n != z->nfields)
		return zfail(z, "%u fields, #fields has %u", n, z->nfields);
	for (i = 0; i < F_MAX; i++)
		if (z->col[i] >= 0)
			v[i] = z->cols[z->col[i]];
	r = decode(z, v, o);
	if (r == 1 && z->kind == SG_DET_DNS && !is_unset(z, v[F_ANSWERS])) {
		char *a = z->cols[z->col[F_ANSWERS]], *next;

		for (; a; a = next) {
			next = strchr(a, z->set_sep);
			if (next)
				*next++ = 0;
			add_answer(o, a);
		}
	}
	return r;
}

static const char *jstr(struct json_object *obj, const char *k, char *buf, size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, k, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (json_object_is_type(v, json_type_double)) {
		snprintf(buf, len, "%.6f", json_object_get_double(v));
		return buf;
	}
	if (json_object_is_type(v, json_type_int)) {
		snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
		return buf;
	}
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? "T" : "F";
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";	/* arrays and objects where a scalar belongs */
}

static int next_json(struct sg_zeek *z, const char *l, struct sg_obs *o)
{
	char nb[F_MAX][40];
	const char *v[F_MAX];
	struct json_object *ans;
	enum json_tokener_error je;
	size_t i;
	int r;

	if (!z->tok) {
		z->tok = json_tokener_new();
		if (!z->tok)
			return -ENOMEM;
	}
	if (z->jobj) {
		json_object_put(z->jobj);
		z->jobj = NULL;
	}
	json_tokener_reset(z->tok);
	z->jobj = json_tokener_parse_ex(z->tok, l, (int)strlen(l));
	je = json_tokener_get_error(z->tok);
	if (!z->jobj || je != json_tokener_success)
		return zfail(z, "bad JSON: %s", je == json_tokener_continue ? "unterminated"
						 : json_tokener_error_desc(je));
	if ((size_t)json_tokener_get_parse_end(z->tok) != strlen(l))
		return zfail(z, "bad JSON: data after the object");
	if (!json_object_is_type(z->jobj, json_type_object))
		return zfail(z, "bad JSON: not an object");
	for (i = 0; i < F_MAX; i++)
		v[i] = jstr(z->jobj, field_names[i], nb[i], sizeof(nb[i]));
	if (!v[F_TS] || !v[F_ORIG_H] || (z->kind == SG_DET_CONN && !v[F_RESP_H]))
		return zfail(z, "lacks ts, id.orig_h%s", z->kind == SG_DET_CONN ? " or id.resp_h" : "");
	r = decode(z, v, o);
	if (r == 1 && z->kind == SG_DET_DNS && json_object_object_get_ex(z->jobj, "answers", &ans) &&
	    json_object_is_type(ans, json_type_array)) {
		for (i = 0; i < json_object_array_length(ans); i++) {
			struct json_object *a = json_object_array_get_idx(ans, i);

			if (json_object_is_type(a, json_type_string))
				add_answer(o, json_object_get_string(a));
		}
	}
	return r;
}

int sg_zeek_next(struct sg_zeek *z, struct sg_obs *o)
{
	char *l;
	int r;

	if (z->err[0])
		return -EINVAL;
	for (;;) {
		r = read_line(z);
		if (r <= 0)
			return r;
		l = z->buf;
		if (!*l)
			continue;
		if (z->fmt == FMT_UNKNOWN)
			z->fmt = *l == '{' ? FMT_JSON : FMT_TSV;
		if (z->fmt == FMT_JSON)
			return next_json(z, l, o);
		if (*l == '#') {
			r = header(z, l);
			if (r)
				return r;
			continue;
		}
		return next_tsv(z, l, o);
	}
}
