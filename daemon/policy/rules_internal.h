/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the rule language (docs/rules.md): four files that include this
 * header (and through it internal.h), never each other:
 *   rules.c    the parser object, diagnostics, reading files and directories
 *   lex.c      a line into tokens; the checks on names, paths and units
 *   parse.c    tokens into zones, defaults and rules (destination items)
 *   resolve.c  atoms; zones and destinations resolved once all files are read
 */
#ifndef SG_POLICY_RULES_INTERNAL_H
#define SG_POLICY_RULES_INTERNAL_H

#include "internal.h"

#define SG_MAX_ATOMS	(1u << 20)	/* distinct atoms in a policy */

/* Parse-time structures */

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

static inline struct pos lpos(const struct line *l, uint32_t col)
{
	return (struct pos){ l->file, l->lineno, col };
}

static inline struct tok *peek(struct line *l)
{
	return l->i < l->n ? &l->tok[l->i] : NULL;
}

static inline struct tok *next(struct line *l)
{
	return l->i < l->n ? &l->tok[l->i++] : NULL;
}

static inline bool is_kw(const struct tok *t, const char *kw)
{
	return t && t->type == T_WORD && !strcmp(t->s, kw);
}

/* rules.c: an error at @at, counted; printed up to SG_MAX_ERRORS. */
void sg_pol_perr(struct sg_parser *p, const struct pos *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define perr(p, at, ...) sg_pol_perr(p, at, __VA_ARGS__)
struct pzone *sg_pol_find_zone(struct sg_parser *p, const char *name);

/* lex.c */
int sg_pol_lex(struct line *l, const char *s, size_t len);
uint32_t sg_pol_end_col(const struct line *l);
void sg_pol_expected(struct line *l, const struct tok *t, const char *what);
bool sg_pol_is_asn_word(const char *s);
bool sg_pol_check_name(struct line *l, const struct tok *t, const char *what);
bool sg_pol_path_ok(struct line *l, const struct tok *t, const char *what, bool is_cgroup);
bool sg_pol_unit_ok(struct line *l, const struct tok *t);

/* parse.c */
void sg_pol_parse_line(struct line *l);

/* resolve.c */
int sg_pol_atom_intern(struct atom_table *t, const struct sg_atom *a, uint32_t *ret);
int sg_pol_add_builtin_zones(struct sg_parser *p);

#endif
