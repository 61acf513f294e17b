// SPDX-License-Identifier: GPL-2.0
/*
 * Alert sinks: the one JSON form of an alert (what `analyze -j` prints and
 * what the daemon will log), and a sink that writes one JSON line per alert
 * to a stream.
 */
#include <time.h>
#include <json-c/json.h>

#include "internal.h"

void sg_alert_time(double ts, char buf[SG_ALERT_TIME_MAX])
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, SG_ALERT_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, SG_ALERT_TIME_MAX, "%.0f", ts);
}

struct json_object *sg_alert_json(const struct sg_alert *a)
{
	struct json_object *o = json_object_new_object();
	char t[SG_ALERT_TIME_MAX];

	if (!o)
		return NULL;
	json_object_object_add(o, "heuristic", json_object_new_string(sg_heur_name(a->heur)));
	json_object_object_add(o, "score", json_object_new_int((int)a->score));
	json_object_object_add(o, "src", json_object_new_string(a->src));
	json_object_object_add(o, "dst", json_object_new_string(a->dst));
	sg_alert_time(a->ts_first, t);
	json_object_object_add(o, "first", json_object_new_string(t));
	sg_alert_time(a->ts_last, t);
	json_object_object_add(o, "last", json_object_new_string(t));
	if (a->unit)
		json_object_object_add(o, "unit", json_object_new_string(a->unit));
	if (a->exe)
		json_object_object_add(o, "exe", json_object_new_string(a->exe));
	if (a->pid)
		json_object_object_add(o, "pid", json_object_new_int64(a->pid));
	if (a->pid || a->exe)
		json_object_object_add(o, "uid", json_object_new_int64(a->uid));
	if (a->dst_country)
		json_object_object_add(o, "dst_country", json_object_new_string(a->dst_country));
	if (a->dst_asn)
		json_object_object_add(o, "dst_asn", json_object_new_string(a->dst_asn));
	if (a->dst_zones)
		json_object_object_add(o, "dst_zones", json_object_new_string(a->dst_zones));
	if (a->dst_name)
		json_object_object_add(o, "dst_name", json_object_new_string(a->dst_name));
	if (a->repeats)
		json_object_object_add(o, "repeats", json_object_new_int64((int64_t)a->repeats));
	if (a->quarantine)
		json_object_object_add(o, "quarantine", json_object_new_int64(a->quarantine));
	json_object_object_add(o, "evidence", json_object_get(a->evidence));
	return o;
}

static void json_lines_alert(void *ctx, const struct sg_alert *a)
{
	struct json_object *o = sg_alert_json(a);

	if (!o)
		return;
	fprintf(ctx, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

struct sg_detect_sink sg_detect_sink_json_lines(FILE *f)
{
	struct sg_detect_sink s = { json_lines_alert, f };

	return s;
}
