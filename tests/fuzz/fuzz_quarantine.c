// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the quarantine state file (daemon/quar_state.c), as
 * the daemon reads it at start. Whatever the file holds, every entry taken
 * in must be a rule that parses (else the daemon's first policy would not
 * build), its id unique and not 0, the set within SG_QUARANTINE_MAX, and
 * what is taken in must read back the same once written.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "quar_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static void ignore(void *ctx, size_t idx, const char *why)
{
	(*(size_t *)ctx)++;
	if (!idx || !why || !*why)
		abort();
}

static void check(const struct sg_quar_set *s)
{
	static char line[SG_QUAR_RULE_MAX], why[512];
	unsigned int i, j;

	if (s->n > SG_QUARANTINE_MAX || !s->next_id || s->next_id > SG_QUAR_ID_MAX)
		abort();
	for (i = 0; i < s->n; i++) {
		if (!s->e[i].id || s->e[i].id > SG_QUAR_ID_MAX)
			abort();
		for (j = 0; j < i; j++)
			if (s->e[j].id == s->e[i].id)
				abort();
		if (sg_quar_rule_text(&s->e[i], line, sizeof(line)) ||
		    !sg_quar_rule_ok(&s->e[i], why, sizeof(why)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct sg_quar_set s = { .next_id = 1 }, again = { .next_id = 1 };
	struct json_tokener *tok = json_tokener_new_ex(32);
	struct json_object *o, *w;
	size_t bad = 0;
	int err;

	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
	json_tokener_free(tok);
	err = sg_quar_parse(&s, o, ignore, &bad);
	json_object_put(o);
	if (err && err != -EBADMSG && err != -ENOMEM)
		abort();
	check(&s);
	if (!err) {
		w = sg_quar_set_json(&s);
		err = sg_quar_parse(&again, w, ignore, &bad);
		json_object_put(w);
		if (err == -EBADMSG || (!err && (again.n != s.n || again.next_id != s.next_id)))
			abort();
	}
	sg_quar_set_free(&s);
	sg_quar_set_free(&again);
	return 0;
}
