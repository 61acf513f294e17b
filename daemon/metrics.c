// SPDX-License-Identifier: GPL-2.0
/*
 * Metrics (metrics.h): the Prometheus text format 0.0.4. Each family has
 * its # HELP and # TYPE lines and all its samples together; counters end
 * in _total, times are in seconds; label values are escaped (\\, \", \n).
 * The names and their meaning are documented in docs/operations.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <json-c/json.h>

#include "control.h"
#include "daemon.h"
#include "lib/kmod_client.h"
#include "lib/log.h"
#include "lib/names.h"
#include "lib/status_json.h"
#include "metrics.h"

#define SG_METRICS_LABELS_MAX	2048	/* the labels of one sample, escaped */
/* What ends the labels of sample(): a typed null pointer. */
#define NO_LABELS		((const char *)NULL)

static struct json_object *jo(struct json_object *o, const char *k)
{
	return o ? json_object_object_get(o, k) : NULL;
}

static long long ji(struct json_object *o, const char *k)
{
	return (long long)json_object_get_int64(jo(o, k));
}

static const char *js(struct json_object *o, const char *k)
{
	struct json_object *v = jo(o, k);

	return v ? json_object_get_string(v) : NULL;
}

static size_t alen(struct json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* Each key @k and value @v of @o; nothing when @o is not an object. */
#define foreach_key(o, key, val)                                                                   \
	for (struct lh_entry *_e = json_object_is_type(o, json_type_object) ?                      \
				   json_object_get_object(o)->head : NULL;                         \
	     _e; _e = _e->next)                                                                    \
		for (const char *key = lh_entry_k(_e), *_once = key; _once; _once = NULL)          \
			for (struct json_object *val = (struct json_object *)lh_entry_v(_e);       \
			     _once; _once = NULL)

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP sovguard_%s %s\n# TYPE sovguard_%s %s\n", name, help, name, type);
}

/*
 * One sample: sovguard_@name{labels} @v. The labels are pairs of name and
 * value, ended by NO_LABELS; a NULL value is written as "".
 */
static void sample(FILE *f, const char *name, long long v, ...)
{
	char buf[SG_METRICS_LABELS_MAX], *p = buf, *end = buf + sizeof(buf) - 4;
	const char *k, *val;
	va_list ap;

	va_start(ap, v);
	while ((k = va_arg(ap, const char *))) {
		val = va_arg(ap, const char *);
		p += snprintf(p, end - p, "%s%s=\"", p == buf ? "" : ",", k);
		for (; val && *val && p < end - 2; val++) {
			if (*val == '\\' || *val == '"')
				*p++ = '\\';
			if (*val == '\n') {
				*p++ = '\\';
				*p++ = 'n';
			} else {
				*p++ = *val;
			}
		}
		if (p >= end)	/* cannot happen with the labels below */
			break;
		*p++ = '"';
	}
	va_end(ap);
	*p = '\0';
	fprintf(f, "sovguard_%s%s%s%s %lld\n", name, p == buf ? "" : "{", buf, p == buf ? "" : "}",
		v);
}

/* A state set: one sample per state, 1 for the current one. */
static void states(FILE *f, const char *name, const char *label, const char *now,
		   const char *const *all, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sample(f, name, now && !strcmp(now, all[i]), label, all[i], NO_LABELS);
}

static void render_daemon(FILE *f, struct json_object *st)
{
	static const char *const modes[] = { "enforce", "audit", "off" };
	static const char *const fails[] = { "deny", "allow" };
	static const char *const lsm[] = { "active", "off", "unavailable" };
	struct json_object *b = jo(st, "bpf"), *dmn = jo(st, "daemon"), *p = jo(b, "policy");

	family(f, "build_info", "gauge", "sovguardd's version, always 1.");
	sample(f, "build_info", 1, "version", js(st, "version"), NO_LABELS);
	family(f, "mode", "gauge", "The enforcement mode in the kernel: 1 for the current one.");
	if (jo(b, "mode"))
		states(f, "mode", "mode", js(b, "mode"), modes, SG_ARRAY_SIZE(modes));
	family(f, "fail_verdict", "gauge",
	       "The verdict when the rules cannot decide: 1 for the configured one.");
	if (jo(b, "fail"))
		states(f, "fail_verdict", "verdict", js(b, "fail"), fails, SG_ARRAY_SIZE(fails));
	family(f, "programs_attached", "gauge", "Enforcement programs attached to the cgroup.");
	sample(f, "programs_attached", ji(b, "links_attached"), NO_LABELS);
	family(f, "programs_expected", "gauge", "Enforcement programs there are to attach.");
	sample(f, "programs_expected", SG_HOOK_MAX, NO_LABELS);
	family(f, "lsm_guard", "gauge",
	       "The BPF LSM guard of sovguard's objects: 1 for its state.");
	states(f, "lsm_guard", "state", js(b, "lsm"), lsm, SG_ARRAY_SIZE(lsm));

	family(f, "policy_generation", "gauge",
	       "Generation of the policy the kernel decides from.");
	if (p)
		sample(f, "policy_generation", ji(p, "generation"), NO_LABELS);
	family(f, "policy_rules", "gauge", "Rules in the live policy.");
	if (p)
		sample(f, "policy_rules", ji(p, "rules"), NO_LABELS);
	family(f, "policy_image_bytes", "gauge", "Size of the live policy image.");
	if (p)
		sample(f, "policy_image_bytes", ji(p, "bytes"), NO_LABELS);
	family(f, "policy_backup_slot", "gauge", "1 when the kernel decides from the backup slot.");
	if (p)
		sample(f, "policy_backup_slot", ji(p, "slot") != 0, NO_LABELS);
	family(f, "decision_events_total", "counter",
	       "Decision events (deny, audit) the daemon read from the kernel.");
	sample(f, "decision_events_total", ji(dmn, "events"), NO_LABELS);
	family(f, "control_refused_total", "counter",
	       "Control socket requests refused for want of privilege.");
	sample(f, "control_refused_total", ji(dmn, "control_refused"), NO_LABELS);
	family(f, "metrics_write_errors_total", "counter",
	       "Failed writes of the metrics file (metrics_file).");
	sample(f, "metrics_write_errors_total", ji(dmn, "metrics_write_errors"), NO_LABELS);
}

/*
 * Per zone and verdict, the decisions of the rules that name the zone in
 * their destinations (`to eea`, `to !eea`): the kernel counts per rule, a
 * zone's figure is the sum of its rules'. A rule naming two zones counts in
 * both; decisions by the default or by rules naming no zone are in no zone.
 */
static void render_zones(FILE *f, struct json_object *rules)
{
	struct json_object *sums = json_object_new_object();
	char key[512];

	for (size_t i = 0; i < alen(rules); i++) {
		struct json_object *r = json_object_array_get_idx(rules, i), *zones = jo(r, "zones");

		for (size_t z = 0; z < alen(zones); z++) {
			const char *zn = json_object_get_string(json_object_array_get_idx(zones, z));
			const char *verdict = js(r, "verdict");
			struct json_object *sum;

			if (!zn || !verdict)
				continue;
			snprintf(key, sizeof(key), "%s\n%s", zn, verdict);
			if (json_object_object_get_ex(sums, key, &sum))
				json_object_set_int64(sum, json_object_get_int64(sum) + ji(r, "hits"));
			else
				json_object_object_add(sums, key, json_object_new_int64(ji(r, "hits")));
		}
	}
	family(f, "zone_hits_total", "counter",
	       "Decisions of the rules that name each zone, by verdict; starts again with each "
	       "generation.");
	json_object_object_foreach(sums, k, v) {
		char *nl;

		snprintf(key, sizeof(key), "%s", k);
		nl = strchr(key, '\n');
		if (!nl)
			continue;
		*nl = '\0';
		sample(f, "zone_hits_total", json_object_get_int64(v), "zone", key, "verdict", nl + 1,
		       NO_LABELS);
	}
	json_object_put(sums);
}

static void render_decisions(FILE *f, struct json_object *st)
{
	static const char *const verdicts[] = { "allow", "deny", "audit", "would_deny" };
	struct json_object *cnt = jo(jo(st, "bpf"), "counters");
	struct json_object *arr = jo(jo(st, "rules"), "rules");
	char index[16];
	size_t i;

	family(f, "decisions_total", "counter",
	       "Decisions of the egress programs by verdict (would_deny: audit mode).");
	for (i = 0; cnt && i < SG_ARRAY_SIZE(verdicts); i++)
		sample(f, "decisions_total", ji(cnt, verdicts[i]), "verdict", verdicts[i],
		       NO_LABELS);
	family(f, "decision_conditions_total", "counter",
	       "Decisions made under a condition: loopback, cache hit, no policy, fail verdict...");
	for (i = 0; cnt && i < SG_CNT_MAX; i++) {
		size_t v;

		if (i == SG_CNT_EVENTS_DROPPED)
			continue;
		for (v = 0; v < SG_ARRAY_SIZE(verdicts); v++)
			if (!strcmp(sg_counter_names[i], verdicts[v]))
				break;
		if (v == SG_ARRAY_SIZE(verdicts))
			sample(f, "decision_conditions_total", ji(cnt, sg_counter_names[i]),
			       "condition", sg_counter_names[i], NO_LABELS);
	}
	family(f, "rule_hits_total", "counter",
	       "Decisions each rule made in the kernel; starts again with each generation.");
	for (i = 0; i < alen(arr); i++) {
		struct json_object *r = json_object_array_get_idx(arr, i);

		snprintf(index, sizeof(index), "%lld", ji(r, "index"));
		sample(f, "rule_hits_total", ji(r, "hits"), "index", index, "rule", js(r, "id"),
		       "name", js(r, "name"), "verdict", js(r, "verdict"), NO_LABELS);
	}
	render_zones(f, arr);
}

/* Every loss in one family, by where (source), what (kind) and why. */
static void render_drops(FILE *f, struct json_object *st)
{
	struct json_object *cnt = jo(jo(st, "bpf"), "counters"), *det = jo(st, "detection");
	struct json_object *rec = jo(jo(jo(st, "bpf"), "observation"), "records");
	const char *n = "events_dropped_total";

	family(f, n, "counter", "Events lost, by source, kind and reason (never silently).");
	if (cnt)
		sample(f, n, ji(cnt, "events_dropped"), "source", "decision", "kind", "decision",
		       "reason", "ring_full", NO_LABELS);
	sample(f, n, ji(jo(st, "daemon"), "events_unlogged"), "source", "daemon", "kind",
	       "decision_log", "reason", "rate_limited", NO_LABELS);
	foreach_key(rec, kind, v) {
		sample(f, n, ji(v, "dropped"), "source", "observation", "kind", kind, "reason",
		       "ring_full", NO_LABELS);
		sample(f, n, ji(v, "no_state"), "source", "observation", "kind", kind, "reason",
		       "no_state", NO_LABELS);
	}
	if (!json_object_get_boolean(jo(det, "enabled")))
		return;
	sample(f, n, ji(det, "evicted_dns"), "source", "detector", "kind", "dns", "reason",
	       "evicted", NO_LABELS);
	sample(f, n, ji(det, "evicted_procs"), "source", "detector", "kind", "process", "reason",
	       "evicted", NO_LABELS);
	sample(f, n, ji(det, "points_dropped"), "source", "detector", "kind", "point", "reason",
	       "dropped", NO_LABELS);
	foreach_key(jo(det, "heuristics"), h, hv)
		sample(f, n, ji(hv, "evicted"), "source", "detector", "kind", h, "reason",
		       "evicted", NO_LABELS);
}

static void render_observation(FILE *f, struct json_object *st)
{
	struct json_object *o = jo(jo(st, "bpf"), "observation");

	family(f, "observation_records_total", "counter",
	       "Observation records the kernel submitted, by kind.");
	foreach_key(jo(o, "records"), kind, v)
		sample(f, "observation_records_total", ji(v, "submitted"), "kind", kind, NO_LABELS);
	family(f, "observation_flows", "gauge", "Subject-destination pairs tracked in the kernel.");
	if (o)
		sample(f, "observation_flows", ji(o, "flows"), NO_LABELS);
	family(f, "observation_flows_max", "gauge", "The most pairs the kernel tracks.");
	if (o)
		sample(f, "observation_flows_max", ji(o, "flows_max"), NO_LABELS);
}

static void render_data(FILE *f, struct json_object *st, time_t now)
{
	struct json_object *data = jo(st, "data"), *srcs = jo(data, "sources");
	size_t i;

	family(f, "data_age_seconds", "gauge",
	       "Age of each jurisdiction data source (from its creation time).");
	for (i = 0; i < alen(srcs); i++) {
		struct json_object *s = json_object_array_get_idx(srcs, i);
		long long created = ji(s, "created");

		sample(f, "data_age_seconds", created > 0 && now > created ? now - created : 0,
		       "source", js(s, "path"), NO_LABELS);
	}
	family(f, "data_source_info", "gauge",
	       "Each jurisdiction data source, its kind and signature state; always 1.");
	for (i = 0; i < alen(srcs); i++) {
		struct json_object *s = json_object_array_get_idx(srcs, i);

		sample(f, "data_source_info", 1, "source", js(s, "path"), "kind", js(s, "kind"),
		       "signature", js(s, "signature"), NO_LABELS);
	}
	family(f, "data_networks", "gauge", "Networks each jurisdiction data source holds.");
	for (i = 0; i < alen(srcs); i++) {
		struct json_object *s = json_object_array_get_idx(srcs, i);

		sample(f, "data_networks", ji(s, "networks"), "source", js(s, "path"), NO_LABELS);
	}
	family(f, "data_warn_age_seconds", "gauge", "data_warn_age: older data is warned about.");
	if (data)
		sample(f, "data_warn_age_seconds", ji(data, "data_warn_age_days") * 86400,
		       NO_LABELS);
}

static void render_detection(FILE *f, struct json_object *st)
{
	static const char *const fed[] = { "conns", "dns", "execs", "listens", "pktsocks" };
	static const char *const errs[] = { "feed_errors", "store_errors", "sweep_errors",
					    "baseline_corrupt" };
	struct json_object *det = jo(st, "detection"), *hs = jo(det, "heuristics");
	bool on = json_object_get_boolean(jo(det, "enabled"));
	char kind[32];
	size_t i;

	family(f, "detection_enabled", "gauge", "1 when backdoor detection runs.");
	sample(f, "detection_enabled", on, NO_LABELS);
	family(f, "alerts_total", "counter", "Detection alerts raised, by heuristic.");
	foreach_key(hs, h, hv)
		sample(f, "alerts_total", ji(hv, "alerts"), "heuristic", h, NO_LABELS);
	family(f, "detector_heuristic_enabled", "gauge", "1 for each heuristic that is on.");
	foreach_key(hs, h2, hv2)
		sample(f, "detector_heuristic_enabled", json_object_get_boolean(jo(hv2, "on")),
		       "heuristic", h2, NO_LABELS);
	family(f, "detector_entries", "gauge", "Entries each heuristic keeps in memory.");
	foreach_key(hs, h3, hv3)
		sample(f, "detector_entries", ji(hv3, "entries"), "heuristic", h3, NO_LABELS);
	family(f, "detector_observations_total", "counter",
	       "Observations fed to the detectors, by kind.");
	for (i = 0; on && i < SG_ARRAY_SIZE(fed); i++)
		sample(f, "detector_observations_total", ji(det, fed[i]), "kind", fed[i],
		       NO_LABELS);
	family(f, "detector_errors_total", "counter",
	       "Detector failures: feeding, storing alerts, sweeps, corrupt baselines.");
	for (i = 0; on && i < SG_ARRAY_SIZE(errs); i++) {
		snprintf(kind, sizeof(kind), "%s", errs[i]);
		if (strstr(kind, "_errors"))
			*strstr(kind, "_errors") = '\0';
		sample(f, "detector_errors_total", ji(det, errs[i]), "kind", kind, NO_LABELS);
	}
}

/* Existing flows a new policy ended (flows.c). */
static void render_flows(FILE *f, struct json_object *st)
{
	static const char *const destroy[] = { "available", "unavailable", "refused", "unknown" };
	static const char *const left[] = { "failed", "unsupported", "no_owner", "undecided" };
	struct json_object *fl = jo(st, "flows");
	size_t i;

	family(f, "flows_ended_total", "counter",
	       "Established flows ended because a new policy denies them, by protocol.");
	foreach_key(jo(fl, "ended"), p, v)
		sample(f, "flows_ended_total", json_object_get_int64(v), "proto", p, NO_LABELS);
	family(f, "flows_not_ended_total", "counter",
	       "Flows a new policy denies that were not ended, by reason.");
	for (i = 0; fl && i < SG_ARRAY_SIZE(left); i++)
		sample(f, "flows_not_ended_total", ji(fl, left[i]), "reason", left[i], NO_LABELS);
	family(f, "flows_destroy", "gauge",
	       "The kernel's socket destroy (sock_diag): 1 for its state.");
	if (fl)
		states(f, "flows_destroy", "state", js(fl, "destroy"), destroy,
		       SG_ARRAY_SIZE(destroy));
}

/* Every name a uapi enum has, as the client names it. */
static size_t kmod_names(const char *(*name)(uint32_t), const char **out, size_t max)
{
	size_t n = 0;

	while (n < max && strcmp(name(n), "?")) {
		out[n] = name(n);
		n++;
	}
	return n;
}

static void render_module(FILE *f, struct json_object *st)
{
	struct json_object *m = jo(st, "module");
	const char *names[8];
	size_t n;

	family(f, "module_loaded", "gauge", "1 when sovguard.ko answers.");
	sample(f, "module_loaded", m != NULL, NO_LABELS);
	family(f, "module_lease_held", "gauge", "1 while this daemon holds the module's lease.");
	sample(f, "module_lease_held", json_object_get_boolean(jo(jo(st, "daemon"), "kmod_lease")),
	       NO_LABELS);
	family(f, "module_lease", "gauge", "The module's lease state: 1 for the current one.");
	if (jo(m, "lease")) {
		n = kmod_names(sg_kmod_lease_name, names, SG_ARRAY_SIZE(names));
		states(f, "module_lease", "state", js(m, "lease"), names, n);
	}
	family(f, "module_lease_remaining_seconds", "gauge", "Time left on the module's lease.");
	if (jo(m, "lease_remaining_ms"))
		sample(f, "module_lease_remaining_seconds", ji(m, "lease_remaining_ms") / 1000,
		       NO_LABELS);
	family(f, "module_guard", "gauge",
	       "The module's netfilter fail-safe guard: 1 for its current state.");
	if (jo(m, "guard")) {
		n = kmod_names(sg_kmod_guard_name, names, SG_ARRAY_SIZE(names));
		states(f, "module_guard", "state", js(m, "guard"), names, n);
	}
	family(f, "module_guard_packets_total", "counter",
	       "Packets the module's guard saw, by what it did with them.");
	foreach_key(jo(m, "counters"), k, v)
		if (strncmp(k, "lease_", 6))
			sample(f, "module_guard_packets_total", json_object_get_int64(v), "action",
			       k, NO_LABELS);
	family(f, "module_lease_events_total", "counter", "Lease renewals and expiries.");
	foreach_key(jo(m, "counters"), k2, v2)
		if (!strncmp(k2, "lease_", 6))
			sample(f, "module_lease_events_total", json_object_get_int64(v2), "event",
			       k2 + 6, NO_LABELS);
}

int sg_metrics_render(struct json_object *st, time_t now, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -errno;
	render_daemon(f, st);
	render_decisions(f, st);
	render_drops(f, st);
	render_observation(f, st);
	render_data(f, st, now);
	render_detection(f, st);
	render_flows(f, st);
	render_module(f, st);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

int sg_metrics_text(struct sg_daemon *d, char **ret)
{
	struct json_object *st = sg_control_status_json(d);
	int err = sg_metrics_render(st, time(NULL), ret);

	json_object_put(st);
	return err;
}

/*
 * Into a temporary file beside @path (a name the collector skips: it reads
 * *.prom only), synced, then renamed over @path: the collector sees the
 * old file or the new one, whole.
 */
static int write_atomically(const char *path, const char *text)
{
	char tmp[SG_PATH_MAX + 16], dir[SG_PATH_MAX], base[SG_PATH_MAX];
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd, err = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dirname(dir), basename(base)) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		off += n;
	}
	/* The collector runs as another user: readable by all, like the text. */
	if (!err && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void metrics_write(struct sg_daemon *d)
{
	char *text = NULL;
	int err;

	err = sg_metrics_text(d, &text);
	if (!err)
		err = write_atomically(d->cfg.metrics_file, text);
	free(text);
	if (err) {
		d->metrics_write_errors++;
		/* Said once per failure streak; counted every time. */
		if (d->metrics_last_err != err)
			sg_log_errno(LOG_WARNING, err, "Failed to write the metrics to %s: %m",
				     d->cfg.metrics_file);
	} else if (d->metrics_last_err) {
		sg_info("metrics written to %s again", d->cfg.metrics_file);
	}
	d->metrics_last_err = err;
}

int sg_metrics_start(struct sg_daemon *d, int ep)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct itimerspec its = {};

	/* Made at start even when off: a reload may turn it on. */
	if (d->metrics_fd < 0) {
		d->metrics_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (d->metrics_fd < 0)
			return sg_error_errno(-errno, "Failed to set up the metrics timer: %m");
		ev.data.fd = d->metrics_fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, d->metrics_fd, &ev) < 0) {
			close(d->metrics_fd);
			d->metrics_fd = -1;
			return sg_error_errno(-errno, "Failed to set up the metrics timer: %m");
		}
	}
	if (d->cfg.metrics_file[0]) {
		its.it_interval.tv_sec = d->cfg.metrics_interval;
		its.it_value.tv_nsec = 1;	/* at once, then every interval */
	}
	timerfd_settime(d->metrics_fd, 0, &its, NULL);
	return 0;
}

bool sg_metrics_event(struct sg_daemon *d, int fd)
{
	__u64 ticks;

	if (fd < 0 || fd != d->metrics_fd)
		return false;
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		sg_debug("metrics timer: %m");
	if (d->cfg.metrics_file[0])
		metrics_write(d);
	return true;
}

void sg_metrics_stop(struct sg_daemon *d)
{
	if (d->metrics_fd >= 0)
		close(d->metrics_fd);
	d->metrics_fd = -1;
}
