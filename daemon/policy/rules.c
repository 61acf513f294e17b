// SPDX-License-Identifier: GPL-2.0
/*
 * The rule language: lexer, parser, zone resolution. The grammar is in
 * docs/rules.md. Every file is read line by line; a syntax error ends its
 * line, an error in a value (unknown country, AS, zone) does not, so one pass
 * reports every error with its position. Zones may be used before they are
 * defined, in any file; they are resolved once all files are read.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define SG_MAX_ATOMS	(1u << 20)	/* distinct atoms in a policy */

/* ---------------------------------------------------------------------------
 * Parse-time structures
 */

enum item_kind {
	ITEM_ATOM,
	ITEM_ZONE,
};

struct pos {
	const char *file;	/* path as given, for diagnostics */
	uint32_t line, col;
};

struct item {
	enum item_kind kind;
	bool negated;
	struct pos pos;
	uint32_t atom;		/* ITEM_ATOM */
	const char *zone;	/* ITEM_ZONE */
};

struct items {
	struct item *v;
	size_t n, cap;
};

struct pzone {
	const char *name;
	struct pos pos;
	bool builtin;
	const char *defined_at;
	struct items items;
	int state;		/* 0 new, 1 resolving, 2 done */
	uint32_t *atoms;
	size_t nr_atoms;
};

struct prule {
	struct sg_rule r;
	struct pos pos;
	struct items to, op;
};

struct atom_table {
	struct sg_atom *v;
	size_t n, cap;
	uint32_t *hash;		/* open addressing, index + 1, 0 empty */
	size_t hcap;
};

struct sg_parser {
	const struct sg_data *data;
	FILE *diag;
	unsigned int errors;
	bool stopped;
	struct sg_pol_arena arena;
	struct atom_table atoms;
	struct pzone *zones;
	size_t nr_zones, cap_zones;
	struct prule *rules;
	size_t nr_rules, cap_rules;
	bool has_default;
	enum sg_verdict default_verdict;
	struct pos default_pos;
	const char *default_id;
	size_t nr_files;
	bool finished;
	const char *chain[SG_MAX_ZONE_DEPTH + 2];	/* zones being resolved */
};

struct sg_pol_policy_priv {
	struct sg_pol_arena arena;
};

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

static void perr(struct sg_parser *p, const struct pos *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct sg_parser *p, const struct pos *at, const char *fmt, ...)
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

/* ---------------------------------------------------------------------------
 * Atoms
 */

static uint64_t atom_hash(const struct sg_atom *a)
{
	const unsigned char *b = (const unsigned char *)a;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < sizeof(*a); i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static int atom_rehash(struct atom_table *t, size_t hcap)
{
	uint32_t *h = calloc(hcap, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t k = atom_hash(&t->v[i]) & (hcap - 1);

		while (h[k])
			k = (k + 1) & (hcap - 1);
		h[k] = (uint32_t)i + 1;
	}
	free(t->hash);
	t->hash = h;
	t->hcap = hcap;
	return 0;
}

/* a must be zeroed before it is filled in, so that padding compares equal. */
static int atom_intern(struct atom_table *t, const struct sg_atom *a, uint32_t *ret)
{
	size_t k;
	int err;

	if (2 * (t->n + 1) > t->hcap) {
		err = atom_rehash(t, t->hcap ? 2 * t->hcap : 256);
		if (err)
			return err;
	}
	k = atom_hash(a) & (t->hcap - 1);
	while (t->hash[k]) {
		if (!memcmp(&t->v[t->hash[k] - 1], a, sizeof(*a))) {
			*ret = t->hash[k] - 1;
			return 0;
		}
		k = (k + 1) & (t->hcap - 1);
	}
	if (t->n >= SG_MAX_ATOMS)
		return -E2BIG;
	err = sg_pol_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	if (err)
		return err;
	t->v[t->n] = *a;
	t->hash[k] = (uint32_t)t->n + 1;
	*ret = (uint32_t)t->n++;
	return 0;
}

static int items_add(struct items *it, const struct item *x)
{
	int err = sg_pol_grow((void **)&it->v, &it->cap, it->n + 1, sizeof(*it->v));

	if (err)
		return err;
	it->v[it->n++] = *x;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Lexer
 */

enum tok_type {
	T_WORD,
	T_STRING,
	T_COMMA,
	T_EQ,
	T_BANG,
};

struct tok {
	enum tok_type type;
	const char *s;		/* NUL-terminated copy */
	size_t len;
	uint32_t col;
};

struct line {
	struct sg_parser *p;
	const char *file;	/* path for diagnostics */
	const char *base;	/* basename for ids */
	uint32_t lineno;
	struct tok tok[SG_MAX_TOKENS];
	int n, i;
	char buf[2 * SG_MAX_LINE_LEN + 2];	/* every token NUL-terminated */
};

static struct pos lpos(const struct line *l, uint32_t col)
{
	return (struct pos){ l->file, l->lineno, col };
}

static bool is_word_char(char c)
{
	return (isgraph((unsigned char)c) || (c & 0x80)) && !strchr(",=#\"", c);
}

/* Returns -EINVAL after reporting if the line cannot be tokenized. */
static int lex(struct line *l, const char *s, size_t len)
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

static struct tok *peek(struct line *l)
{
	return l->i < l->n ? &l->tok[l->i] : NULL;
}

static struct tok *next(struct line *l)
{
	return l->i < l->n ? &l->tok[l->i++] : NULL;
}

static bool is_kw(const struct tok *t, const char *kw)
{
	return t && t->type == T_WORD && !strcmp(t->s, kw);
}

/* Column just past the last token, for "expected X" at the end of a line. */
static uint32_t end_col(const struct line *l)
{
	const struct tok *t;

	if (!l->n)
		return 1;
	t = &l->tok[l->n - 1];
	return t->col + (uint32_t)t->len + (t->type == T_STRING ? 2 : 0);
}

static void expected(struct line *l, const struct tok *t, const char *what)
{
	struct pos at = lpos(l, t ? t->col : end_col(l));

	if (t)
		perr(l->p, &at, "expected %s, got '%s'", what, t->s);
	else
		perr(l->p, &at, "expected %s at end of line", what);
}

static const char *const keywords[] = {
	"zone",	  "default", "allow", "deny",	  "audit", "name", "all",  "unit",
	"cgroup", "exe",     "uid",   "gid",	  "to",	   "located", "operator", "port",
	"proto",  "tcp",     "udp",   "country", "as",	   "asn",  "flag",
};

static bool is_keyword(const char *s)
{
	for (size_t i = 0; i < SG_POL_ARRAY_SIZE(keywords); i++)
		if (!strcmp(s, keywords[i]))
			return true;
	return false;
}

static bool is_asn_word(const char *s)
{
	if ((s[0] != 'a' && s[0] != 'A') || (s[1] != 's' && s[1] != 'S') || !s[2])
		return false;
	for (s += 2; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Zone and rule names: [a-z][a-z0-9_.-]*, not a keyword, country or AS. */
static bool check_name(struct line *l, const struct tok *t, const char *what)
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
	if (is_asn_word(t->s)) {
		perr(l->p, &at, "%s name '%s' would read as an AS number", what, t->s);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------------
 * Values
 */

static int parse_uint(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static int add_atom_item(struct line *l, struct items *out, const struct sg_atom *a, bool neg,
			 uint32_t col)
{
	struct item it = { .kind = ITEM_ATOM, .negated = neg, .pos = lpos(l, col) };
	int err;

	err = atom_intern(&l->p->atoms, a, &it.atom);
	if (!err)
		err = items_add(out, &it);
	if (err)
		perr(l->p, &it.pos, "%s", err == -E2BIG ? "too many distinct destinations" :
							   "out of memory");
	return err;
}

static void asn_item(struct line *l, struct items *out, const struct tok *t, const char *num,
		     bool neg)
{
	struct sg_parser *p = l->p;
	struct pos at = lpos(l, t->col);
	struct sg_atom a;
	unsigned long long v;

	if (parse_uint(num, UINT32_MAX, &v) || !v) {
		perr(p, &at, "'%s' is not an AS number (1-4294967295)", num);
		return;
	}
	if (!p->data) {
		perr(p, &at, "AS%llu cannot be checked: no jurisdiction data loaded", v);
		return;
	}
	if (!sg_data_has_asn_info(p->data)) {
		perr(p, &at, "AS%llu cannot be checked: the jurisdiction data has no AS numbers", v);
		return;
	}
	if (!sg_data_has_asn(p->data, (uint32_t)v)) {
		perr(p, &at, "unknown AS%llu (not in the jurisdiction data)", v);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.kind = SG_ATOM_ASN;
	a.asn = (uint32_t)v;
	add_atom_item(l, out, &a, neg, t->col);
}

static void country_item(struct line *l, struct items *out, const struct tok *t, bool neg)
{
	struct sg_atom a;

	if (!sg_country_valid(t->s)) {
		perr(l->p, &(struct pos){ l->file, l->lineno, t->col },
		     "unknown country code '%s' (ISO 3166-1 alpha-2)", t->s);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.kind = SG_ATOM_COUNTRY;
	a.cc[0] = (char)toupper((unsigned char)t->s[0]);
	a.cc[1] = (char)toupper((unsigned char)t->s[1]);
	add_atom_item(l, out, &a, neg, t->col);
}

static const struct {
	const char *name;
	uint8_t flag;
} flag_names[] = {
	{ "anonymous-proxy", SG_FLAG_ANONYMOUS_PROXY },
	{ "satellite", SG_FLAG_SATELLITE },
	{ "anycast", SG_FLAG_ANYCAST },
	{ "drop", SG_FLAG_DROP },
};

static struct pzone *find_zone(struct sg_parser *p, const char *name);

static bool looks_like_address(const char *s)
{
	if (strchr(s, ':') || strchr(s, '/'))
		return true;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	return true;
}

/* One destination item; false on a syntax error (the line is abandoned). */
static bool parse_item(struct line *l, struct items *out, bool neg)
{
	struct sg_parser *p = l->p;
	struct tok *t = next(l), *v;
	struct sg_atom a;
	struct pos at;

	if (!t || t->type != T_WORD) {
		expected(l, t, "a zone, country, AS or prefix");
		return false;
	}
	at = lpos(l, t->col);
	if (is_kw(t, "country") || is_kw(t, "as") || is_kw(t, "asn") || is_kw(t, "zone") ||
	    is_kw(t, "flag")) {
		v = next(l);
		if (!v || v->type != T_WORD) {
			expected(l, v, is_kw(t, "country") ? "a country code" :
				       is_kw(t, "zone")    ? "a zone name" :
				       is_kw(t, "flag")    ? "a flag name" :
							     "an AS number");
			return false;
		}
		if (is_kw(t, "country")) {
			country_item(l, out, v, neg);
		} else if (is_kw(t, "zone")) {
			struct item it = { .kind = ITEM_ZONE, .negated = neg,
					   .pos = lpos(l, v->col), .zone = v->s };

			it.zone = sg_pol_arena_strndup(&p->arena, v->s, v->len);
			if (!it.zone || items_add(out, &it))
				perr(p, &at, "out of memory");
		} else if (is_kw(t, "flag")) {
			size_t i;

			for (i = 0; i < SG_POL_ARRAY_SIZE(flag_names); i++)
				if (!strcmp(v->s, flag_names[i].name))
					break;
			if (i == SG_POL_ARRAY_SIZE(flag_names)) {
				perr(p, &(struct pos){ l->file, l->lineno, v->col },
				     "unknown flag '%s' (anonymous-proxy, satellite, anycast, drop)",
				     v->s);
				return true;
			}
			memset(&a, 0, sizeof(a));
			a.kind = SG_ATOM_FLAG;
			a.flag = flag_names[i].flag;
			add_atom_item(l, out, &a, neg, v->col);
		} else {
			asn_item(l, out, v, v->s, neg);
		}
		return true;
	}
	if (is_asn_word(t->s)) {
		asn_item(l, out, t, t->s + 2, neg);
		return true;
	}
	if (looks_like_address(t->s)) {
		int err;

		memset(&a, 0, sizeof(a));
		a.kind = SG_ATOM_PREFIX;
		err = sg_pol_parse_prefix(t->s, t->len, &a.prefix.addr, &a.prefix.len);
		if (err == -EDOM)
			perr(p, &at, "prefix '%s' has host bits set", t->s);
		else if (err == -ERANGE)
			perr(p, &at, "prefix length out of range in '%s'", t->s);
		else if (err)
			perr(p, &at, "'%s' is not an IPv4 or IPv6 prefix", t->s);
		else
			add_atom_item(l, out, &a, neg, t->col);
		return true;
	}
	/* Two letters are a country, unless they name a built-in zone (eu). */
	if (t->len == 2 && isalpha((unsigned char)t->s[0]) && isalpha((unsigned char)t->s[1]) &&
	    (sg_country_valid(t->s) || !find_zone(p, t->s))) {
		country_item(l, out, t, neg);
		return true;
	}
	if (islower((unsigned char)t->s[0])) {
		struct item it = { .kind = ITEM_ZONE, .negated = neg, .pos = at };

		it.zone = sg_pol_arena_strndup(&p->arena, t->s, t->len);
		if (!it.zone || items_add(out, &it))
			perr(p, &at, "out of memory");
		return true;
	}
	perr(p, &at, "'%s' is not a zone, country, AS or prefix", t->s);
	return false;
}

/* item { "," item }; max bounds the list. */
static bool parse_items(struct line *l, struct items *out, size_t max, const char *what)
{
	size_t count = 0;

	for (;;) {
		struct tok *t = peek(l);
		bool neg = false;

		if (t && t->type == T_BANG) {
			neg = true;
			next(l);
		}
		if (++count > max) {
			perr(l->p, &(struct pos){ l->file, l->lineno, t ? t->col : end_col(l) },
			     "more than %zu items in %s", max, what);
			return false;
		}
		if (!parse_item(l, out, neg))
			return false;
		t = peek(l);
		if (!t || t->type != T_COMMA)
			return true;
		next(l);
	}
}

/* ---------------------------------------------------------------------------
 * Statements
 */

static bool parse_verdict(const struct tok *t, enum sg_verdict *v)
{
	if (is_kw(t, "allow"))
		*v = SG_VERDICT_ALLOW;
	else if (is_kw(t, "deny"))
		*v = SG_VERDICT_DENY;
	else if (is_kw(t, "audit"))
		*v = SG_VERDICT_AUDIT;
	else
		return false;
	return true;
}

static struct pzone *find_zone(struct sg_parser *p, const char *name)
{
	for (size_t i = 0; i < p->nr_zones; i++)
		if (!strcmp(p->zones[i].name, name))
			return &p->zones[i];
	return NULL;
}

static void parse_zone(struct line *l, const struct tok *kw)
{
	struct sg_parser *p = l->p;
	struct tok *name = next(l), *t;
	struct pzone *z, *old;
	struct items items = { 0 };
	bool append = false;
	struct pos at;

	if (!name || name->type != T_WORD) {
		expected(l, name, "a zone name");
		return;
	}
	at = lpos(l, name->col);
	old = find_zone(p, name->s);
	if (old && old->builtin) {
		perr(p, &at, "zone '%s' is built in and cannot be redefined", name->s);
		return;
	}
	if (!check_name(l, name, "zone"))
		return;
	t = next(l);
	/* "zone NAME += ..." extends a zone, so a long one spans lines. */
	if (t && t->type == T_WORD && !strcmp(t->s, "+") && peek(l) && peek(l)->type == T_EQ) {
		append = true;
		t = next(l);
	}
	if (!t || t->type != T_EQ) {
		expected(l, t, "'=' or '+='");
		return;
	}
	if (!parse_items(l, &items, SG_MAX_ZONE_ITEMS, "a zone"))
		goto out;
	t = peek(l);
	if (t) {
		expected(l, t, "',' or end of line");
		goto out;
	}
	for (size_t i = 0; i < items.n; i++) {
		if (items.v[i].negated) {
			perr(p, &(struct pos){ l->file, l->lineno, items.v[i].pos.col - 1 },
			     "negation is not allowed inside a zone; negate where the zone is used");
		}
	}
	if (append) {
		if (!old) {
			perr(p, &at, "zone '%s' is extended before it is defined", name->s);
			goto out;
		}
		if (old->items.n + items.n > SG_MAX_ZONE_ITEMS) {
			perr(p, &at, "more than %u items in zone '%s'", SG_MAX_ZONE_ITEMS, name->s);
			goto out;
		}
		for (size_t i = 0; i < items.n; i++)
			if (items_add(&old->items, &items.v[i])) {
				perr(p, &at, "out of memory");
				break;
			}
		goto out;
	}
	if (old) {
		perr(p, &at, "duplicate zone '%s' (first defined at %s:%u)", name->s,
		     old->pos.file, old->pos.line);
		goto out;
	}
	if (p->nr_zones - sg_pol_nr_builtin_zones >= SG_MAX_ZONES) {
		perr(p, &at, "more than %u zones", SG_MAX_ZONES);
		goto out;
	}
	if (sg_pol_grow((void **)&p->zones, &p->cap_zones, p->nr_zones + 1, sizeof(*p->zones))) {
		perr(p, &at, "out of memory");
		goto out;
	}
	z = &p->zones[p->nr_zones++];
	memset(z, 0, sizeof(*z));
	z->name = sg_pol_arena_strndup(&p->arena, name->s, name->len);
	z->pos = at;
	z->defined_at = sg_pol_arena_printf(&p->arena, "%s:%u", l->base, l->lineno);
	z->items = items;
	return;
out:
	(void)kw;
	free(items.v);
}

static void parse_default(struct line *l, const struct tok *kw)
{
	struct sg_parser *p = l->p;
	struct tok *t = next(l);
	enum sg_verdict v;
	struct pos at = lpos(l, kw->col);

	if (!t || !parse_verdict(t, &v)) {
		expected(l, t, "allow, deny or audit");
		return;
	}
	if (peek(l)) {
		expected(l, peek(l), "end of line");
		return;
	}
	if (p->has_default) {
		perr(p, &at, "duplicate default (first at %s:%u)", p->default_pos.file,
		     p->default_pos.line);
		return;
	}
	p->has_default = true;
	p->default_verdict = v;
	p->default_pos = at;
	p->default_id = sg_pol_arena_printf(&p->arena, "%s:%u", l->base, l->lineno);
}

static bool path_ok(struct line *l, const struct tok *t, const char *what, bool is_cgroup)
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

static bool unit_ok(struct line *l, const struct tok *t)
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
	for (size_t i = 0; dot && dot != t->s && i < SG_POL_ARRAY_SIZE(suffixes); i++)
		suffix |= !strcmp(dot, suffixes[i]);
	if (!suffix) {
		perr(l->p, &at, "unit '%s' must end in .service, .scope or .slice", t->s);
		return false;
	}
	return true;
}

static bool parse_ports(struct line *l, struct prule *r)
{
	struct sg_parser *p = l->p;
	struct sg_port_range v[SG_MAX_PORT_RANGES];
	uint32_t n = 0;

	for (;;) {
		struct tok *t = next(l);
		unsigned long long lo, hi;
		char *dash;
		struct pos at;

		if (!t || t->type != T_WORD) {
			expected(l, t, "a port or port range");
			return false;
		}
		at = lpos(l, t->col);
		dash = strchr(t->s, '-');
		if (dash)
			*dash = 0;
		if (parse_uint(t->s, 65535, &lo) || (dash && parse_uint(dash + 1, 65535, &hi))) {
			if (dash)
				*dash = '-';
			perr(p, &at, "'%s' is not a port (1-65535) or range (LO-HI)", t->s);
			return false;
		}
		if (!dash)
			hi = lo;
		else
			*dash = '-';
		if (!lo || lo > hi) {
			perr(p, &at, "bad port range '%s'", t->s);
			return false;
		}
		if (n >= SG_MAX_PORT_RANGES) {
			perr(p, &at, "more than %u port ranges", SG_MAX_PORT_RANGES);
			return false;
		}
		v[n].lo = (uint16_t)lo;
		v[n].hi = (uint16_t)hi;
		n++;
		t = peek(l);
		if (!t || t->type != T_COMMA)
			break;
		next(l);
	}
	r->r.ports = sg_pol_arena_alloc(&p->arena, n * sizeof(*v));
	if (!r->r.ports)
		return false;
	memcpy((void *)r->r.ports, v, n * sizeof(*v));
	r->r.nr_ports = n;
	return true;
}

static bool parse_protos(struct line *l, struct prule *r)
{
	for (;;) {
		struct tok *t = next(l);

		if (is_kw(t, "tcp")) {
			r->r.proto_mask |= SG_PROTO_TCP;
		} else if (is_kw(t, "udp")) {
			r->r.proto_mask |= SG_PROTO_UDP;
		} else {
			expected(l, t, "tcp or udp");
			return false;
		}
		t = peek(l);
		if (!t || t->type != T_COMMA)
			return true;
		next(l);
	}
}

/* Clauses in any order, each at most once. */
enum clause {
	C_NAME,
	C_SUBJ_ALL,
	C_UNIT,
	C_CGROUP,
	C_EXE,
	C_UID,
	C_GID,
	C_TO,
	C_OPERATOR,
	C_PORT,
	C_PROTO,
	C_MAX,
};

static const char *const clause_kw[C_MAX] = {
	"name", "all", "unit", "cgroup", "exe", "uid", "gid", "to", "operator", "port", "proto",
};

static void parse_rule(struct line *l, const struct tok *vt, enum sg_verdict v)
{
	struct sg_parser *p = l->p;
	uint32_t seen[C_MAX] = { 0 };
	struct prule *r;
	struct tok *t;
	bool ok = true;

	if (p->nr_rules >= SG_MAX_RULES) {
		perr(p, &(struct pos){ l->file, l->lineno, vt->col }, "more than %u rules",
		     SG_MAX_RULES);
		return;
	}
	if (sg_pol_grow((void **)&p->rules, &p->cap_rules, p->nr_rules + 1, sizeof(*p->rules)))
		return;
	r = &p->rules[p->nr_rules];
	memset(r, 0, sizeof(*r));
	r->pos = lpos(l, vt->col);
	r->r.verdict = v;
	r->r.line = l->lineno;

	while (ok && (t = next(l))) {
		struct tok *a;
		unsigned long long n;
		int c;

		if (is_kw(t, "tcp") || is_kw(t, "udp")) {
			l->i--;
			c = C_PROTO;
		} else {
			for (c = 0; c < C_MAX; c++)
				if (is_kw(t, clause_kw[c]))
					break;
		}
		if (c == C_MAX) {
			expected(l, t, "name, all, unit, cgroup, exe, uid, gid, to, operator, "
				       "port or proto");
			ok = false;
			break;
		}
		if (seen[c]) {
			perr(p, &(struct pos){ l->file, l->lineno, t->col },
			     "'%s' given twice in one rule", clause_kw[c]);
			ok = false;
			break;
		}
		seen[c] = t->col;
		switch (c) {
		case C_NAME:
			a = next(l);
			if (!a || a->type != T_WORD) {
				expected(l, a, "a rule name");
				ok = false;
			} else if (check_name(l, a, "rule")) {
				r->r.name = sg_pol_arena_strndup(&p->arena, a->s, a->len);
			}
			break;
		case C_SUBJ_ALL:
			break;
		case C_UNIT:
		case C_CGROUP:
		case C_EXE:
			a = next(l);
			if (!a || (a->type != T_WORD && a->type != T_STRING)) {
				expected(l, a, c == C_UNIT ? "a unit name" : "a path");
				ok = false;
				break;
			}
			if (c == C_UNIT && unit_ok(l, a)) {
				r->r.subject.mask |= SG_SUBJ_UNIT;
				r->r.subject.unit = sg_pol_arena_strndup(&p->arena, a->s, a->len);
			} else if (c == C_CGROUP && path_ok(l, a, "cgroup", true)) {
				size_t len = a->len;

				while (len > 1 && a->s[len - 1] == '/')
					len--;
				r->r.subject.mask |= SG_SUBJ_CGROUP;
				r->r.subject.cgroup = sg_pol_arena_strndup(&p->arena, a->s, len);
			} else if (c == C_EXE && path_ok(l, a, "exe", false)) {
				r->r.subject.mask |= SG_SUBJ_EXE;
				r->r.subject.exe = sg_pol_arena_strndup(&p->arena, a->s, a->len);
			}
			break;
		case C_UID:
		case C_GID:
			a = next(l);
			if (!a || a->type != T_WORD) {
				expected(l, a, "a number");
				ok = false;
				break;
			}
			if (parse_uint(a->s, UINT32_MAX - 1, &n)) {
				perr(p, &(struct pos){ l->file, l->lineno, a->col },
				     "'%s' is not a numeric %s (0-4294967294)", a->s,
				     c == C_UID ? "uid" : "gid");
				break;
			}
			if (c == C_UID) {
				r->r.subject.mask |= SG_SUBJ_UID;
				r->r.subject.uid = (uid_t)n;
			} else {
				r->r.subject.mask |= SG_SUBJ_GID;
				r->r.subject.gid = (gid_t)n;
			}
			break;
		case C_TO:
			if (is_kw(peek(l), "located"))
				next(l);
			ok = parse_items(l, &r->to, SG_MAX_DEST_ITEMS, "a destination");
			break;
		case C_OPERATOR:
			ok = parse_items(l, &r->op, SG_MAX_DEST_ITEMS, "an operator list");
			break;
		case C_PORT:
			ok = parse_ports(l, r);
			break;
		case C_PROTO:
			ok = parse_protos(l, r);
			break;
		}
		if (ok && peek(l) && peek(l)->type != T_WORD) {
			expected(l, peek(l), "a keyword");
			ok = false;
		}
	}
	if (seen[C_SUBJ_ALL] && r->r.subject.mask) {
		perr(p, &(struct pos){ l->file, l->lineno, seen[C_SUBJ_ALL] },
		     "'all' cannot be combined with another subject");
	}
	if (!r->r.proto_mask)
		r->r.proto_mask = SG_PROTO_ANY;
	r->r.id = sg_pol_arena_printf(&p->arena, "%s:%u", l->base, l->lineno);
	r->r.file = l->base;
	if (r->r.name) {
		for (size_t i = 0; i < p->nr_rules; i++) {
			if (p->rules[i].r.name && !strcmp(p->rules[i].r.name, r->r.name)) {
				perr(p, &(struct pos){ l->file, l->lineno, seen[C_NAME] },
				     "duplicate rule name '%s' (first at %s)", r->r.name,
				     p->rules[i].r.id);
				break;
			}
		}
	}
	p->nr_rules++;
}

static void parse_line(struct line *l)
{
	struct tok *t = next(l);
	enum sg_verdict v;

	if (!t)
		return;
	if (is_kw(t, "zone"))
		parse_zone(l, t);
	else if (is_kw(t, "default"))
		parse_default(l, t);
	else if (parse_verdict(t, &v))
		parse_rule(l, t, v);
	else
		expected(l, t, "zone, default, allow, deny or audit");
}

int sg_parser_add_buffer(struct sg_parser *p, const char *name, const char *buf, size_t len)
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
	if (++p->nr_files > SG_MAX_FILES) {
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
		} else if (!lex(l, buf + i, n)) {
			parse_line(l);
		}
		i = e + 1;
	}
	free(l);
	return p->errors > before ? -EINVAL : 0;
}

int sg_parser_add_file(struct sg_parser *p, const char *path)
{
	_sg_pol_close_ int fd = -1;
	_sg_pol_free_ char *buf = NULL;
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

/* ---------------------------------------------------------------------------
 * Resolution
 */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static size_t sort_unique(uint32_t *v, size_t n)
{
	size_t j = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < n; i++)
		if (!j || v[j - 1] != v[i])
			v[j++] = v[i];
	return j;
}

struct u32vec {
	uint32_t *v;
	size_t n, cap;
};

static int u32_add(struct u32vec *x, const uint32_t *v, size_t n)
{
	int err;

	if (!n)
		return 0;
	err = sg_pol_grow((void **)&x->v, &x->cap, x->n + n, sizeof(*x->v));
	if (err)
		return err;
	memcpy(x->v + x->n, v, n * sizeof(*v));
	x->n += n;
	return 0;
}

static int resolve_zone(struct sg_parser *p, struct pzone *z, unsigned int depth);

/* Atoms of one item appended to out; label lookups for unknown zone names. */
static int item_atoms(struct sg_parser *p, const struct item *it, struct u32vec *out,
		      unsigned int depth)
{
	struct pzone *ref;
	int err;

	if (it->kind == ITEM_ATOM)
		return u32_add(out, &it->atom, 1);
	ref = find_zone(p, it->zone);
	if (!ref) {
		int label = p->data ? sg_data_find_label(p->data, it->zone) : -ENOENT;
		struct sg_atom a;
		uint32_t id;

		if (label < 0) {
			perr(p, &it->pos, "unknown zone '%s'", it->zone);
			return -ENOENT;
		}
		memset(&a, 0, sizeof(a));
		a.kind = SG_ATOM_LABEL;
		a.label = (uint16_t)label;
		err = atom_intern(&p->atoms, &a, &id);
		return err ? err : u32_add(out, &id, 1);
	}
	if (ref->state == 1) {
		char buf[256] = "";
		size_t k = 0, off = 0;

		while (k < depth && strcmp(p->chain[k], ref->name))
			k++;
		for (; k < depth && off < sizeof(buf); k++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s -> ",
						p->chain[k]);
		perr(p, &it->pos, "zone cycle: %s%s", buf, ref->name);
		return -ELOOP;
	}
	if (depth >= SG_MAX_ZONE_DEPTH) {
		perr(p, &it->pos, "zones nested deeper than %u", SG_MAX_ZONE_DEPTH);
		return -ELOOP;
	}
	err = resolve_zone(p, ref, depth);
	if (err)
		return err;
	return u32_add(out, ref->atoms, ref->nr_atoms);
}

static int resolve_zone(struct sg_parser *p, struct pzone *z, unsigned int depth)
{
	struct u32vec acc = { 0 };
	int err = 0, e;

	if (z->state == 2)
		return z->atoms ? 0 : -EINVAL;
	z->state = 1;
	p->chain[depth] = z->name;
	for (size_t i = 0; i < z->items.n; i++) {
		e = item_atoms(p, &z->items.v[i], &acc, depth + 1);
		if (e && !err)
			err = e;
		if (e == -ENOMEM)
			break;
	}
	z->state = 2;
	if (err) {
		free(acc.v);
		return err;
	}
	z->nr_atoms = sort_unique(acc.v, acc.n);
	z->atoms = sg_pol_arena_alloc(&p->arena,
				      (z->nr_atoms ? z->nr_atoms : 1) * sizeof(uint32_t));
	if (z->atoms && z->nr_atoms)
		memcpy(z->atoms, acc.v, z->nr_atoms * sizeof(uint32_t));
	free(acc.v);
	return z->atoms ? 0 : -ENOMEM;
}

/* Positive items form one term, each negated item a term of its own. */
static int build_dest(struct sg_parser *p, const struct items *items, bool operator,
		      struct sg_dest *out)
{
	struct sg_term *terms;
	struct u32vec pos = { 0 };
	size_t nt = 0, nneg = 0;
	int err = 0;

	for (size_t i = 0; i < items->n; i++)
		nneg += items->v[i].negated;
	terms = sg_pol_arena_alloc(&p->arena, (nneg + 1) * sizeof(*terms));
	if (!terms)
		return -ENOMEM;
	for (size_t i = 0; i < items->n; i++) {
		const struct item *it = &items->v[i];
		struct u32vec one = { 0 };
		struct u32vec *acc = it->negated ? &one : &pos;
		size_t from = acc->n;
		int e = item_atoms(p, it, acc, 0);

		if (!e && operator) {
			for (size_t k = from; k < acc->n; k++) {
				if (p->atoms.v[acc->v[k]].kind != SG_ATOM_ASN) {
					perr(p, &it->pos,
					     "operator matches AS numbers only; '%s' is not one",
					     it->kind == ITEM_ZONE ? it->zone : "this item");
					e = -EINVAL;
					break;
				}
			}
		}
		if (!e && it->negated) {
			uint32_t *v;

			one.n = sort_unique(one.v, one.n);
			v = sg_pol_arena_alloc(&p->arena, (one.n ? one.n : 1) * sizeof(*v));
			if (v) {
				if (one.n)
					memcpy(v, one.v, one.n * sizeof(*v));
				terms[nt++] = (struct sg_term){ true, (uint32_t)one.n, v };
			} else {
				e = -ENOMEM;
			}
		}
		free(one.v);
		if (e && !err)
			err = e;
	}
	if (!err && items->n > nneg) {
		uint32_t *v;

		pos.n = sort_unique(pos.v, pos.n);
		v = sg_pol_arena_alloc(&p->arena, (pos.n ? pos.n : 1) * sizeof(*v));
		if (!v) {
			err = -ENOMEM;
		} else {
			if (pos.n)
				memcpy(v, pos.v, pos.n * sizeof(*v));
			/* The positive term goes first: it is the common case. */
			memmove(terms + 1, terms, nt * sizeof(*terms));
			terms[0] = (struct sg_term){ false, (uint32_t)pos.n, v };
			nt++;
		}
	}
	free(pos.v);
	out->terms = terms;
	out->nr_terms = (uint32_t)nt;
	return err;
}

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
	for (size_t i = 0; i < sg_pol_nr_builtin_zones; i++) {
		const struct sg_pol_builtin_zone *b = &sg_pol_builtin_zones[i];
		struct pzone *z = &p->zones[p->nr_zones++];
		struct u32vec acc = { 0 };

		z->name = b->name;
		z->builtin = true;
		z->defined_at = "built-in";
		z->pos = (struct pos){ "built-in", 0, 0 };
		for (const char *s = b->members; *s; s += s[2] ? 3 : 2) {
			struct sg_atom a;
			uint32_t id;

			memset(&a, 0, sizeof(a));
			a.kind = SG_ATOM_COUNTRY;
			a.cc[0] = (char)toupper((unsigned char)s[0]);
			a.cc[1] = (char)toupper((unsigned char)s[1]);
			if (atom_intern(&p->atoms, &a, &id) || u32_add(&acc, &id, 1)) {
				free(acc.v);
				goto err_free;
			}
			if (!s[2])
				break;
		}
		z->nr_atoms = sort_unique(acc.v, acc.n);
		z->atoms = sg_pol_arena_alloc(&p->arena, z->nr_atoms * sizeof(uint32_t));
		if (z->atoms)
			memcpy(z->atoms, acc.v, z->nr_atoms * sizeof(uint32_t));
		free(acc.v);
		if (!z->atoms)
			goto err_free;
		z->state = 2;
	}
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

int sg_parser_finish(struct sg_parser *p, struct sg_policy **ret)
{
	struct sg_pol_policy_priv *priv;
	struct sg_policy *pol;
	struct sg_rule *rules;
	struct sg_zone *zones;
	struct sg_atom *atoms;

	if (p->finished)
		return -EALREADY;
	p->finished = true;
	for (size_t i = 0; i < p->nr_zones; i++)
		if (p->zones[i].state != 2)
			resolve_zone(p, &p->zones[i], 0);
	rules = sg_pol_arena_alloc(&p->arena, (p->nr_rules + 1) * sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	for (size_t i = 0; i < p->nr_rules; i++) {
		struct prule *r = &p->rules[i];

		rules[i] = r->r;
		rules[i].index = (uint32_t)i;
		build_dest(p, &r->to, false, &rules[i].located);
		build_dest(p, &r->op, true, &rules[i].operator);
	}
	if (p->errors)
		return -EINVAL;

	pol = sg_pol_arena_alloc(&p->arena, sizeof(*pol));
	zones = sg_pol_arena_alloc(&p->arena, p->nr_zones * sizeof(*zones));
	atoms = sg_pol_arena_alloc(&p->arena, (p->atoms.n + 1) * sizeof(*atoms));
	priv = calloc(1, sizeof(*priv));
	if (!pol || !zones || !atoms || !priv) {
		free(priv);
		return -ENOMEM;
	}
	memcpy(atoms, p->atoms.v, p->atoms.n * sizeof(*atoms));
	for (size_t i = 0; i < p->nr_zones; i++) {
		zones[i] = (struct sg_zone){
			.name = p->zones[i].name,
			.builtin = p->zones[i].builtin,
			.defined_at = p->zones[i].defined_at,
			.nr_atoms = (uint32_t)p->zones[i].nr_atoms,
			.atoms = p->zones[i].atoms,
		};
	}
	pol->nr_rules = (uint32_t)p->nr_rules;
	pol->rules = rules;
	pol->nr_atoms = (uint32_t)p->atoms.n;
	pol->atoms = atoms;
	pol->nr_zones = (uint32_t)p->nr_zones;
	pol->zones = zones;
	pol->default_verdict = p->has_default ? p->default_verdict : SG_VERDICT_ALLOW;
	pol->default_id = p->has_default ? p->default_id : "implicit";
	/* The policy takes the arena; the parser keeps only its scratch. */
	priv->arena = p->arena;
	p->arena.head = NULL;
	pol->priv = priv;
	*ret = pol;
	return 0;
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
	__attribute__((cleanup(parser_freep))) struct sg_parser *p = NULL;
	char *names[SG_MAX_FILES + 1], why[SG_INPUT_MSG_LEN];
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int err, dfd;

	err = sg_parser_new(data, diag, &p);
	if (err)
		return err;
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
			sg_parser_add_file(p, path);
		}
		err = sg_parser_finish(p, ret);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return err;
}
