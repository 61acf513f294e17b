/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The quarantine set as data (quar_state.c): its entries, the rule each one
 * is, and the state file's JSON both ways. No daemon state: the fuzzer
 * (tests/fuzz/fuzz_quarantine.c) runs the same reader.
 *
 * STATE_DIR/quarantine.json:
 *   {"version": 1, "next_id": N, "quarantines": [{"id", "rule", "unit" | "exe",
 *    "dst" (address or null), "since" (Unix time), "generation",
 *    "alert": {"heuristic", "score", "dst", "last", "pid"}}]}
 */
#ifndef SG_QUAR_STATE_H
#define SG_QUAR_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "detect/detect.h"

#define SG_QUARANTINE_RULES	"quarantine"	/* rule ids are "quarantine:ID" */
#define SG_QUAR_RULE_MAX	(2 * SG_DETECT_PATH_MAX + 128)	/* one generated rule line */
#define SG_QUAR_ID_MAX		0x7fffffffu

struct json_object;

enum sg_quar_kind { SG_QUAR_UNIT, SG_QUAR_EXE };

struct sg_quar_entry {
	__u32 id;
	enum sg_quar_kind kind;
	char subject[SG_DETECT_PATH_MAX];
	bool has_dst;
	struct in6_addr dst;		/* v4-mapped for IPv4 */
	int heur;			/* enum sg_heur, -1 unknown */
	unsigned int score;
	__u32 pid;
	time_t since;
	__u32 generation;		/* the first policy generation with its rule */
	char alert_dst[SG_DETECT_NAME_MAX];
	char alert_last[SG_ALERT_TIME_MAX];
};

struct sg_quar_set {
	struct sg_quar_entry *e;
	unsigned int n, cap;
	__u32 next_id;			/* never 0: 0 is "no quarantine" */
};

const char *sg_quar_kind_name(enum sg_quar_kind k);
const char *sg_quar_addr_str(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN]);
/* The rule of @e in the rule language. Return: 0, -EINVAL when it cannot be written. */
int sg_quar_rule_text(const struct sg_quar_entry *e, char *buf, size_t len);
/* Whether that rule parses alone; the parser's message in @why when not. */
bool sg_quar_rule_ok(const struct sg_quar_entry *e, char *why, size_t len);
/* Add @e (a copy). Return: 0, -ENOMEM, -E2BIG past SG_QUARANTINE_MAX. */
int sg_quar_add(struct sg_quar_set *s, const struct sg_quar_entry *e);
void sg_quar_set_free(struct sg_quar_set *s);

struct json_object *sg_quar_entry_json(const struct sg_quar_entry *e);
/* The state file's object for @s. */
struct json_object *sg_quar_set_json(const struct sg_quar_set *s);
/*
 * Read the state file's object @o into the empty @s: each entry that is
 * not one we write (or repeats an id, or is past SG_QUARANTINE_MAX) goes to
 * @bad with its index from 1 and the reason, and is left out.
 * Return: 0, -EBADMSG when @o is no quarantine set, -ENOMEM.
 */
int sg_quar_parse(struct sg_quar_set *s, struct json_object *o,
		  void (*bad)(void *ctx, size_t idx, const char *why), void *ctx);

#endif
