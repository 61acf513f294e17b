// SPDX-License-Identifier: GPL-2.0
/*
 * Alerts to the journal with structured fields (docs/detection.md lists
 * them), so `journalctl SOVGUARD_ALERT=revshell` finds them; to stderr as
 * a JSON line when journald does not take the entry.
 */
#include <stdio.h>
#include <systemd/sd-journal.h>
#include <json-c/json.h>

#include "internal.h"

unsigned int sg_journal_fields(const struct sg_alert *a, char f[][SG_JOURNAL_FIELD_MAX])
{
	unsigned int n = 0;

#define F(...) snprintf(f[n++], SG_JOURNAL_FIELD_MAX, __VA_ARGS__)
	F("PRIORITY=%d", a->score >= 80 ? 2 : 4);
	F("SOVGUARD_ALERT=%s", sg_heur_name(a->heur));
	F("SOVGUARD_SCORE=%u", a->score);
	F("SOVGUARD_SUBJECT=%s", a->src);
	F("SOVGUARD_DST=%s", a->dst);
	if (a->unit)
		F("SOVGUARD_SUBJECT_UNIT=%s", a->unit);
	if (a->exe)
		F("SOVGUARD_SUBJECT_EXE=%s", a->exe);
	if (a->pid) {
		F("SOVGUARD_SUBJECT_PID=%u", a->pid);
		F("SOVGUARD_SUBJECT_UID=%u", a->uid);
	}
	if (a->dst_country)
		F("SOVGUARD_DST_COUNTRY=%s", a->dst_country);
	if (a->dst_asn)
		F("SOVGUARD_DST_ASN=%s", a->dst_asn);
	if (a->dst_zones)
		F("SOVGUARD_DST_ZONES=%s", a->dst_zones);
	if (a->dst_name)
		F("SOVGUARD_DST_NAME=%s", a->dst_name);
	if (a->repeats)
		F("SOVGUARD_REPEATS=%llu", (unsigned long long)a->repeats);
	if (a->quarantine)
		F("SOVGUARD_QUARANTINE=%u", a->quarantine);
	F("MESSAGE=sovguard: %s%s alert, score %u: %s -> %s%s", sg_heur_name(a->heur),
	  a->repeats ? " repeated" : "", a->score, a->src, a->dst,
	  a->quarantine ? " (quarantined)" : "");
#undef F
	return n;
}

int sg_alert_journal(const struct sg_alert *a)
{
	char f[SG_JOURNAL_FIELDS][SG_JOURNAL_FIELD_MAX];
	struct iovec iov[SG_JOURNAL_FIELDS + 1];
	const char *ev = a->evidence ? json_object_to_json_string_ext(a->evidence,
								    SG_JSON_LINE) : "{}";
	struct json_object *o;
	char *msg = NULL;
	unsigned int n, i;
	int r;

	n = sg_journal_fields(a, f);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = f[i];
		iov[i].iov_len = strlen(f[i]);
	}
	/* The evidence may be longer than a fixed field. */
	if (asprintf(&msg, "SOVGUARD_EVIDENCE=%s", ev) < 0)
		msg = NULL;
	if (msg) {
		iov[n].iov_base = msg;
		iov[n++].iov_len = strlen(msg);
	}
	r = sd_journal_sendv(iov, (int)n);
	free(msg);
	if (!r)
		return 0;
	o = sg_alert_json(a);
	if (o)
		fprintf(stderr, "%s\n", json_object_to_json_string_ext(o, SG_JSON_LINE));
	json_object_put(o);
	return 1;
}

static void journal_alert(void *ctx, const struct sg_alert *a)
{
	sg_alert_journal(a);
}

struct sg_detect_sink sg_detect_sink_journal(void)
{
	struct sg_detect_sink s = { journal_alert, NULL };

	return s;
}

static void live_alert(void *ctx, const struct sg_alert *a)
{
	if (ctx)
		sg_alert_store_write(ctx, a);
	sg_alert_journal(a);
}

struct sg_detect_sink sg_detect_sink_live(struct sg_alert_store *store)
{
	struct sg_detect_sink s = { live_alert, store };

	return s;
}
