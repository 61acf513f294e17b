// SPDX-License-Identifier: GPL-2.0
/*
 * The rule language's atoms and resolution. Every destination is made of
 * atoms from one de-duplicated table. Zones may be used before they are
 * defined, in any file; they are resolved, with their cycles and depth
 * checked, once all files are read, and each rule's destination becomes
 * terms of sorted atom ids.
 */
#include <ctype.h>
#include <errno.h>

#include "rules_internal.h"

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
int sg_pol_atom_intern(struct atom_table *t, const struct sg_atom *a, uint32_t *ret)
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
	err = sg_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	if (err)
		return err;
	t->v[t->n] = *a;
	t->hash[k] = (uint32_t)t->n + 1;
	*ret = (uint32_t)t->n++;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Resolution
 */

static size_t sort_unique(uint32_t *v, size_t n)
{
	size_t j = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), sg_cmp_u32);
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
	err = sg_grow((void **)&x->v, &x->cap, x->n + n, sizeof(*x->v));
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
	ref = sg_pol_find_zone(p, it->zone);
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
		err = sg_pol_atom_intern(&p->atoms, &a, &id);
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

/* The built-in zones (zones.c), resolved: the first zones of every parser. */
int sg_pol_add_builtin_zones(struct sg_parser *p)
{
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
			if (sg_pol_atom_intern(&p->atoms, &a, &id) || u32_add(&acc, &id, 1)) {
				free(acc.v);
				return -ENOMEM;
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
			return -ENOMEM;
		z->state = 2;
	}
	return 0;
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
