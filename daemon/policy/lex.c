// SPDX-License-Identifier: GPL-2.0
/*
 * The rule language's lexer: one line into tokens (words, strings, ',', '=',
 * '!'), and the checks on the words that name things: zone and rule names,
 * paths, systemd units.
 */
#include <ctype.h>
#include <errno.h>

#include "rules_internal.h"

static bool is_word_char(char c)
{
	return (isgraph((unsigned char)c) || (c & 0x80)) && !strchr(",=#\"", c);
}

/* Returns -EINVAL after reporting if the line cannot be tokenized. */
int sg_pol_lex(struct line *l, const char *s, size_t len)
{
	char *out = l->buf;
	size_t i = 0;

	l->n = 0;
	l->i = 0;
	while (i < len) {
		struct tok *t;
		uint32_t col = (uint32_t)i + 1;
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if ((unsigned int)l->n >= SG_MAX_TOKENS) {
			perr(l->p, &(struct pos){ l->file, l->lineno, col },
			     "more than %u tokens on one line", SG_MAX_TOKENS);
			return -EINVAL;
		}
		t = &l->tok[l->n];
		t->col = col;
		t->s = out;
		if (c == ',' || c == '=' || c == '!') {
			t->type = c == ',' ? T_COMMA : c == '=' ? T_EQ : T_BANG;
			*out++ = c;
			t->len = 1;
			i++;
		} else if (c == '"') {
			t->type = T_STRING;
			i++;
			while (i < len && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < len &&
				    (s[i + 1] == '"' || s[i + 1] == '\\'))
					i++;
				*out++ = s[i++];
			}
			if (i >= len) {
				perr(l->p, &(struct pos){ l->file, l->lineno, col },
				     "unterminated string");
				return -EINVAL;
			}
			i++;
			t->len = (size_t)(out - t->s);
		} else if (!isprint((unsigned char)c) && !(c & 0x80)) {
			perr(l->p, &(struct pos){ l->file, l->lineno, col },
			     "unexpected control character 0x%02x", (unsigned char)c);
			return -EINVAL;
		} else {
			t->type = T_WORD;
			while (i < len && is_word_char(s[i]) && !(s[i] == '!' && out == t->s))
				*out++ = s[i++];
			t->len = (size_t)(out - t->s);
		}
		*out++ = 0;
		l->n++;
	}
	return 0;
}

/* Column just past the last token, for "expected X" at the end of a line. */
uint32_t sg_pol_end_col(const struct line *l)
{
	const struct tok *t;

	if (!l->n)
		return 1;
	t = &l->tok[l->n - 1];
	return t->col + (uint32_t)t->len + (t->type == T_STRING ? 2 : 0);
}

void sg_pol_expected(struct line *l, const struct tok *t, const char *what)
{
	struct pos at = lpos(l, t ? t->col : sg_pol_end_col(l));

	if (t)
		perr(l->p, &at, "expected %s, got '%s'", what, t->s);
	else
		perr(l->p, &at, "expected %s at end of line", what);
}

static const char *const keywords[] = {
	"zone",	  "default", "allow", "deny",	  "audit", "name", "all",  "unit",
	"cgroup", "exe",     "uid",   "gid",	  "to",	   "located", "operator", "port",
	"proto",  "tcp",     "udp",   "udplite", "country", "as",	   "asn",  "flag",
	"icmp",   "raw",     "socket", "ping",
};

static bool is_keyword(const char *s)
{
	for (size_t i = 0; i < SG_ARRAY_SIZE(keywords); i++)
		if (!strcmp(s, keywords[i]))
			return true;
	return false;
}

bool sg_pol_is_asn_word(const char *s)
{
	if ((s[0] != 'a' && s[0] != 'A') || (s[1] != 's' && s[1] != 'S') || !s[2])
		return false;
	for (s += 2; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Zone and rule names: [a-z][a-z0-9_.-]*, not a keyword, country or AS. */
bool sg_pol_check_name(struct line *l, const struct tok *t, const char *what)
{
	struct pos at = lpos(l, t->col);
	size_t n = t->len;

	if (t->type != T_WORD || !islower((unsigned char)t->s[0])) {
		perr(l->p, &at, "%s name '%s' must start with a lower-case letter", what, t->s);
		return false;
	}
	if (n > SG_MAX_NAME_LEN) {
		perr(l->p, &at, "%s name longer than %u characters", what, SG_MAX_NAME_LEN);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = t->s[i];

		if (!islower((unsigned char)c) && !isdigit((unsigned char)c) && !strchr("-_.", c)) {
			perr(l->p, &at, "%s name '%s' may only contain a-z, 0-9, '-', '_', '.'",
			     what, t->s);
			return false;
		}
	}
	if (is_keyword(t->s)) {
		perr(l->p, &at, "%s name '%s' is a keyword", what, t->s);
		return false;
	}
	if (n == 2) {
		perr(l->p, &at, "%s name '%s' has two letters and would read as a country code",
		     what, t->s);
		return false;
	}
	if (sg_pol_is_asn_word(t->s)) {
		perr(l->p, &at, "%s name '%s' would read as an AS number", what, t->s);
		return false;
	}
	return true;
}

bool sg_pol_path_ok(struct line *l, const struct tok *t, const char *what, bool is_cgroup)
{
	struct pos at = lpos(l, t->col);

	if (t->s[0] != '/') {
		perr(l->p, &at, "%s path '%s' must be absolute", what, t->s);
		return false;
	}
	if (t->len >= SG_MAX_PATH_LEN) {
		perr(l->p, &at, "%s path longer than %u bytes", what, SG_MAX_PATH_LEN - 1);
		return false;
	}
	if (strstr(t->s, "/../") || (t->len >= 3 && !strcmp(t->s + t->len - 3, "/..")) ||
	    strstr(t->s, "/./") || strstr(t->s, "//")) {
		perr(l->p, &at, "%s path '%s' must be normalized (no '.', '..' or '//')", what,
		     t->s);
		return false;
	}
	(void)is_cgroup;
	return true;
}

bool sg_pol_unit_ok(struct line *l, const struct tok *t)
{
	static const char *const suffixes[] = { ".service", ".scope", ".slice" };
	struct pos at = lpos(l, t->col);
	const char *dot = strrchr(t->s, '.');
	bool suffix = false;

	if (t->len > SG_MAX_UNIT_LEN) {
		perr(l->p, &at, "unit name longer than %u characters", SG_MAX_UNIT_LEN);
		return false;
	}
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];

		if (!isalnum((unsigned char)c) && !strchr(":-_.\\@", c)) {
			perr(l->p, &at, "'%s' is not a valid systemd unit name", t->s);
			return false;
		}
	}
	for (size_t i = 0; dot && dot != t->s && i < SG_ARRAY_SIZE(suffixes); i++)
		suffix |= !strcmp(dot, suffixes[i]);
	if (!suffix) {
		perr(l->p, &at, "unit '%s' must end in .service, .scope or .slice", t->s);
		return false;
	}
	return true;
}

