// SPDX-License-Identifier: GPL-2.0
/*
 * The rule language's parser: the tokens of one line into a zone, the
 * default or a rule. A syntax error ends the line; an error in a value
 * (unknown country, AS, flag) is reported and the line goes on, so one pass
 * reports every error with its position. Zone names stay names here:
 * resolve.c turns them into atoms.
 */
#include <ctype.h>
#include <errno.h>

#include "rules_internal.h"

static int items_add(struct items *it, const struct item *x)
{
	int err = sg_grow((void **)&it->v, &it->cap, it->n + 1, sizeof(*it->v));

	if (err)
		return err;
	it->v[it->n++] = *x;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Values
 */

static int add_atom_item(struct line *l, struct items *out, const struct sg_atom *a, bool neg,
			 uint32_t col)
{
	struct item it = { .kind = ITEM_ATOM, .negated = neg, .pos = lpos(l, col) };
	int err;

	err = sg_pol_atom_intern(&l->p->atoms, a, &it.atom);
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

	if (sg_pol_parse_uint(num, UINT32_MAX, &v) || !v) {
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
		sg_pol_expected(l, t, "a zone, country, AS or prefix");
		return false;
	}
	at = lpos(l, t->col);
	if (is_kw(t, "country") || is_kw(t, "as") || is_kw(t, "asn") || is_kw(t, "zone") ||
	    is_kw(t, "flag")) {
		v = next(l);
		if (!v || v->type != T_WORD) {
			sg_pol_expected(l, v, is_kw(t, "country") ? "a country code" :
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

			for (i = 0; i < SG_ARRAY_SIZE(flag_names); i++)
				if (!strcmp(v->s, flag_names[i].name))
					break;
			if (i == SG_ARRAY_SIZE(flag_names)) {
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
	if (sg_pol_is_asn_word(t->s)) {
		asn_item(l, out, t, t->s + 2, neg);
		return true;
	}
	if (looks_like_address(t->s)) {
		int err;

		memset(&a, 0, sizeof(a));
		a.kind = SG_ATOM_PREFIX;
		err = sg_prefix_parse(t->s, t->len, &a.prefix.addr, &a.prefix.len);
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
	    (sg_country_valid(t->s) || !sg_pol_find_zone(p, t->s))) {
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
			struct pos at = lpos(l, t ? t->col : sg_pol_end_col(l));

			perr(l->p, &at, "more than %zu items in %s", max, what);
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

static void parse_zone(struct line *l, const struct tok *kw)
{
	struct sg_parser *p = l->p;
	struct tok *name = next(l), *t;
	struct pzone *z, *old;
	struct items items = { 0 };
	bool append = false;
	struct pos at;

	if (!name || name->type != T_WORD) {
		sg_pol_expected(l, name, "a zone name");
		return;
	}
	at = lpos(l, name->col);
	old = sg_pol_find_zone(p, name->s);
	if (old && old->builtin) {
		perr(p, &at, "zone '%s' is built in and cannot be redefined", name->s);
		return;
	}
	if (!sg_pol_check_name(l, name, "zone"))
		return;
	t = next(l);
	/* "zone NAME += ..." extends a zone, so a long one spans lines. */
	if (t && t->type == T_WORD && !strcmp(t->s, "+") && peek(l) && peek(l)->type == T_EQ) {
		append = true;
		t = next(l);
	}
	if (!t || t->type != T_EQ) {
		sg_pol_expected(l, t, "'=' or '+='");
		return;
	}
	if (!parse_items(l, &items, SG_MAX_ZONE_ITEMS, "a zone"))
		goto out;
	t = peek(l);
	if (t) {
		sg_pol_expected(l, t, "',' or end of line");
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
	if (sg_grow((void **)&p->zones, &p->cap_zones, p->nr_zones + 1, sizeof(*p->zones))) {
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
		sg_pol_expected(l, t, "allow, deny or audit");
		return;
	}
	if (peek(l)) {
		sg_pol_expected(l, peek(l), "end of line");
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
			sg_pol_expected(l, t, "a port or port range");
			return false;
		}
		at = lpos(l, t->col);
		dash = strchr(t->s, '-');
		if (dash)
			*dash = 0;
		if (sg_pol_parse_uint(t->s, 65535, &lo) ||
		    (dash && sg_pol_parse_uint(dash + 1, 65535, &hi))) {
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
			/* UDP-Lite is UDP with a partial checksum: `udp` names both */
			r->r.proto_mask |= SG_PROTO_UDP | SG_PROTO_UDPLITE;
		} else if (is_kw(t, "udplite")) {
			r->r.proto_mask |= SG_PROTO_UDPLITE;
		} else if (is_kw(t, "icmp")) {
			r->r.proto_mask |= SG_PROTO_ICMP;
		} else if (is_kw(t, "raw")) {
			r->r.proto_mask |= SG_PROTO_RAW;
		} else {
			sg_pol_expected(l, t, "tcp, udp, udplite, icmp or raw");
			return false;
		}
		t = peek(l);
		if (!t || t->type != T_COMMA)
			return true;
		next(l);
	}
}

/* `socket raw, ping`: the kinds of socket whose creation the rule decides. */
static bool parse_sockets(struct line *l, struct prule *r)
{
	for (;;) {
		struct tok *t = next(l);

		if (is_kw(t, "raw")) {
			r->r.socket_mask |= 1u << SG_SOCKET_RAW;
		} else if (is_kw(t, "ping")) {
			r->r.socket_mask |= 1u << SG_SOCKET_PING;
		} else if (t && t->type == T_WORD && !strcmp(t->s, "packet")) {
			perr(l->p, &(struct pos){ l->file, l->lineno, t->col },
			     "packet sockets cannot be refused at creation (no cgroup hook sees "
			     "them); the packet-socket detector reports them");
			return false;
		} else {
			sg_pol_expected(l, t, "raw or ping");
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
	C_SOCKET,
	C_MAX,
};

static const char *const clause_kw[C_MAX] = {
	"name", "all", "unit", "cgroup", "exe", "uid", "gid", "to", "operator", "port", "proto",
	"socket",
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
	if (sg_grow((void **)&p->rules, &p->cap_rules, p->nr_rules + 1, sizeof(*p->rules)))
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

		if (is_kw(t, "tcp") || is_kw(t, "udp") || is_kw(t, "udplite") || is_kw(t, "icmp") ||
		    is_kw(t, "raw")) {
			l->i--;
			c = C_PROTO;
		} else {
			for (c = 0; c < C_MAX; c++)
				if (is_kw(t, clause_kw[c]))
					break;
		}
		if (c == C_MAX) {
			sg_pol_expected(l, t, "name, all, unit, cgroup, exe, uid, gid, to, "
					"operator, port or proto");
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
				sg_pol_expected(l, a, "a rule name");
				ok = false;
			} else if (sg_pol_check_name(l, a, "rule")) {
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
				sg_pol_expected(l, a, c == C_UNIT ? "a unit name" : "a path");
				ok = false;
				break;
			}
			if (c == C_UNIT && sg_pol_unit_ok(l, a)) {
				r->r.subject.mask |= SG_SUBJ_UNIT;
				r->r.subject.unit = sg_pol_arena_strndup(&p->arena, a->s, a->len);
			} else if (c == C_CGROUP && sg_pol_path_ok(l, a, "cgroup", true)) {
				size_t len = a->len;

				while (len > 1 && a->s[len - 1] == '/')
					len--;
				r->r.subject.mask |= SG_SUBJ_CGROUP;
				r->r.subject.cgroup = sg_pol_arena_strndup(&p->arena, a->s, len);
			} else if (c == C_EXE && sg_pol_path_ok(l, a, "exe", false)) {
				r->r.subject.mask |= SG_SUBJ_EXE;
				r->r.subject.exe = sg_pol_arena_strndup(&p->arena, a->s, a->len);
			}
			break;
		case C_UID:
		case C_GID:
			a = next(l);
			if (!a || a->type != T_WORD) {
				sg_pol_expected(l, a, "a number");
				ok = false;
				break;
			}
			if (sg_pol_parse_uint(a->s, UINT32_MAX - 1, &n)) {
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
		case C_SOCKET:
			ok = parse_sockets(l, r);
			break;
		}
		if (ok && peek(l) && peek(l)->type != T_WORD) {
			sg_pol_expected(l, peek(l), "a keyword");
			ok = false;
		}
	}
	if (seen[C_SUBJ_ALL] && r->r.subject.mask) {
		perr(p, &(struct pos){ l->file, l->lineno, seen[C_SUBJ_ALL] },
		     "'all' cannot be combined with another subject");
	}
	if (seen[C_SOCKET] && (seen[C_TO] || seen[C_OPERATOR] || seen[C_PORT] || seen[C_PROTO]))
		perr(p, &(struct pos){ l->file, l->lineno, seen[C_SOCKET] },
		     "a socket rule names a subject only (no to, operator, port or protocol)");
	if (seen[C_SOCKET])
		r->r.proto_mask = SG_PROTO_SOCKET;
	else if (!r->r.proto_mask)
		r->r.proto_mask = SG_PROTO_ANY;
	else if (seen[C_PORT] && !(r->r.proto_mask & SG_PROTO_PORTED))
		perr(p, &(struct pos){ l->file, l->lineno, seen[C_PORT] },
		     "icmp and raw have no ports");
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

void sg_pol_parse_line(struct line *l)
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
		sg_pol_expected(l, t, "zone, default, allow, deny or audit");
}

