// SPDX-License-Identifier: GPL-2.0
/*
 * Jurisdiction data from text: Tor's geoip/geoip6 files and CIDR lists,
 * appended to the common table (data.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---------------------------------------------------------------------------
 * Text formats: one network per line, '#' comments.
 */

struct text_ctx {
	const char *name;
	FILE *diag;
	unsigned int errors;
};

static void text_error(struct text_ctx *t, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void text_error(struct text_ctx *t, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (++t->errors > SG_MAX_ERRORS || !t->diag)
		return;
	fprintf(t->diag, "%s:%u: ", t->name, line);
	va_start(ap, fmt);
	vfprintf(t->diag, fmt, ap);
	va_end(ap);
	fputc('\n', t->diag);
}

/* Calls fn for every line without its comment and surrounding blanks. */
static int for_each_line(struct text_ctx *t, const char *buf, size_t len,
			 int (*fn)(struct text_ctx *t, unsigned int lineno, char *line, void *arg),
			 void *arg)
{
	char line[SG_MAX_DATA_LINE_LEN + 1];
	unsigned int lineno = 0;
	size_t i = 0;
	int err;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - buf) : len, n = e - i;
		char *s, *hash;

		lineno++;
		if (n > SG_MAX_DATA_LINE_LEN) {
			text_error(t, lineno, "line longer than %u bytes", SG_MAX_DATA_LINE_LEN);
			i = e + 1;
			continue;
		}
		memcpy(line, buf + i, n);
		line[n] = 0;
		i = e + 1;
		if (memchr(line, 0, n)) {
			text_error(t, lineno, "NUL byte in text data");
			continue;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		s = line;
		while (isspace((unsigned char)*s))
			s++;
		n = strlen(s);
		while (n && isspace((unsigned char)s[n - 1]))
			s[--n] = 0;
		if (!n)
			continue;
		err = fn(t, lineno, s, arg);
		if (err)
			return err;
	}
	if (t->errors > SG_MAX_ERRORS && t->diag)
		fprintf(t->diag, "%s: too many errors (%u), only the first %u shown\n", t->name,
			t->errors, SG_MAX_ERRORS);
	return t->errors ? -EINVAL : 0;
}

static int tor_line(struct text_ctx *t, unsigned int lineno, char *s, void *arg)
{
	struct sg_data *d = arg;
	char *f[3], *save = NULL;
	sg_u128 lo, hi;
	const char *cc;
	int n = 0;

	for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == 3) {
			n++;
			break;
		}
		f[n++] = tok;
	}
	if (n != 3) {
		text_error(t, lineno, "expected LOW,HIGH,COUNTRY");
		return 0;
	}
	if (strchr(f[0], ':') || strchr(f[1], ':')) {
		struct in6_addr a, b;

		if (sg_addr_parse(f[0], &a) || sg_addr_parse(f[1], &b)) {
			text_error(t, lineno, "bad IPv6 address");
			return 0;
		}
		lo = sg_addr_to_u128(&a);
		hi = sg_addr_to_u128(&b);
	} else {
		unsigned long long a, b;

		if (sg_pol_parse_uint(f[0], UINT32_MAX, &a) ||
		    sg_pol_parse_uint(f[1], UINT32_MAX, &b)) {
			text_error(t, lineno, "bad IPv4 integer");
			return 0;
		}
		lo = SG_U128_V4_FIRST | a;
		hi = SG_U128_V4_FIRST | b;
	}
	if (lo > hi) {
		text_error(t, lineno, "range ends before it starts");
		return 0;
	}
	cc = f[2];
	if (!strcmp(cc, "??")) {
		cc = NULL;
	} else if (!sg_country_valid(cc)) {
		text_error(t, lineno, "unknown country code '%s'", cc);
		return 0;
	}
	return cc ? sg_pol_data_add(d, lo, hi, cc, 0, 0, 0) : 0;
}

int sg_pol_load_tor(struct sg_data *d, const char *name, const char *buf, size_t len, FILE *diag)
{
	struct text_ctx t = { .name = name, .diag = diag };

	return for_each_line(&t, buf, len, tor_line, d);
}

static bool label_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > SG_MAX_NAME_LEN || !islower((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    !strchr("-_.", s[i]))
			return false;
	return true;
}

static int cidr_line(struct text_ctx *t, unsigned int lineno, char *s, void *arg)
{
	struct sg_data *d = arg;
	char *save = NULL, *tok;
	struct in6_addr a;
	char cc[3] = "";
	uint32_t asn = 0;
	int label = 0;
	uint8_t len;
	sg_u128 lo, host;
	int err;

	tok = strtok_r(s, " \t", &save);
	err = sg_prefix_parse(tok, strlen(tok), &a, &len);
	if (err) {
		text_error(t, lineno, "'%s' is not a network prefix%s", tok,
			   err == -EDOM ? " (host bits set)" : "");
		return 0;
	}
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if ((tok[0] == 'a' || tok[0] == 'A') && (tok[1] == 's' || tok[1] == 'S') &&
		    isdigit((unsigned char)tok[2])) {
			unsigned long long v;

			if (sg_pol_parse_uint(tok + 2, UINT32_MAX, &v) || !v) {
				text_error(t, lineno, "bad AS number '%s'", tok);
				return 0;
			}
			asn = (uint32_t)v;
		} else if (strlen(tok) == 2) {
			if (!sg_country_valid(tok)) {
				text_error(t, lineno, "unknown country code '%s'", tok);
				return 0;
			}
			memcpy(cc, tok, 3);
		} else if (label_valid(tok)) {
			label = sg_pol_data_intern_label(d, tok, strlen(tok));
			if (label < 0) {
				text_error(t, lineno, "more than %u zone labels",
					   SG_MAX_DATA_LABELS);
				return 0;
			}
		} else {
			text_error(t, lineno, "'%s' is neither a country, an AS nor a zone label",
				   tok);
			return 0;
		}
	}
	if (!cc[0] && !asn && !label) {
		text_error(t, lineno, "network without a country, AS or zone label");
		return 0;
	}
	lo = sg_addr_to_u128(&a);
	host = len ? (((sg_u128)1 << (128 - len)) - 1) : ~(sg_u128)0;
	return sg_pol_data_add(d, lo, lo | host, cc, asn, 0, (uint16_t)label);
}

int sg_pol_load_cidr(struct sg_data *d, const char *name, const char *buf, size_t len, FILE *diag)
{
	struct text_ctx t = { .name = name, .diag = diag };

	return for_each_line(&t, buf, len, cidr_line, d);
}
