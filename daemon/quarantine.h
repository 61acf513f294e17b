/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Quarantine, the optional response to an alert (docs/detection.md,
 * "Quarantine"): an alert at or above detect.quarantine.min_score adds a
 * deny rule for its subject (a systemd unit or an executable), or for its
 * subject and destination address, ahead of the operator's rules. The rule
 * is an ordinary rule with the id "quarantine:ID": it is compiled and
 * published with the rules files by sg_build_policy(), the path a reload
 * takes, so whatever a publish does (all or nothing, flows to a destination
 * denied now) a quarantine does too. The rules files are never written.
 *
 * The set lives in STATE_DIR/quarantine.json (replaced atomically), so a
 * restart or a reload keeps it; `sovguardctl release` removes entries.
 */
#ifndef SG_QUARANTINE_H
#define SG_QUARANTINE_H

#include <stdbool.h>
#include <linux/types.h>

#include "detect/detect.h"

#define SG_QUARANTINE_FILE	"quarantine.json"
#define SG_QUARANTINE_FILE_MAX	(8u << 20)	/* bytes of the state file we read */

struct sg_daemon;
struct sg_parser;
struct json_object;

/* Read the set from the state directory; a bad file is set aside. Return: 0 or -errno. */
int sg_quarantine_load(struct sg_daemon *d);
void sg_quarantine_free(struct sg_daemon *d);
/* The state directory changed (reload): write the set there too. */
void sg_quarantine_moved(struct sg_daemon *d, const char *old_state_dir);
/* sg_policy_load_dir_pre()'s hook: one rule per quarantine; @ctx is the daemon. */
int sg_quarantine_rules(struct sg_parser *p, void *ctx);
/*
 * An alert: when it calls for a quarantine, record it and publish the policy
 * with its rule. Return: the quarantine's id (a new one, or the one already
 * in force for this subject), or 0 when the alert quarantines nothing.
 */
__u32 sg_quarantine_alert(struct sg_daemon *d, const struct sg_alert *a);
/* {"cmd": "quarantine"}: the settings, the counters and every entry. */
struct json_object *sg_quarantine_json(struct sg_daemon *d);
/*
 * Release quarantine @id (every one with @all) and publish the policy
 * without it. Return: how many were released, -ENOENT for no such id, or
 * the publish's error (then nothing is released).
 */
int sg_quarantine_release(struct sg_daemon *d, __u32 id, bool all);
/* The id a rule belongs to, when it is a quarantine rule; else 0. */
__u32 sg_quarantine_rule_id(const char *rule_file, __u32 line);

#endif
