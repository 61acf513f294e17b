// SPDX-License-Identifier: GPL-2.0
/*
 * Quarantine (quarantine.h): the set of deny rules alerts added, kept in
 * the state directory, turned into rules for every build of the policy.
 *
 * Subject: the alert's systemd unit, else its executable (what the alert's
 * "src" names live). An executable with no path on disk (memfd, deleted)
 * cannot be named by a rule, and neither can a unit the rule language does
 * not take: such an alert quarantines nothing, and says why. In
 * destination mode the rule also names the alert's destination address; an
 * alert without one (a listener, a packet socket, a DNS domain)
 * quarantines nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "daemon.h"
#include "flows.h"
#include "lib/log.h"
#include "lib/util.h"
#include "policy.h"
#include "quar_state.h"
#include "quarantine.h"

struct sg_quarantine {
	struct sg_quar_set set;
	/* alerts over the threshold that quarantined nothing, by reason */
	__u64 refused_full, refused_unnamed, refused_no_dst, failed;
	__u64 applied, released;
};

int sg_quarantine_rules(struct sg_parser *p, void *ctx)
{
	struct sg_daemon *d = ctx;
	const struct sg_quar_set *s = d->quar ? &d->quar->set : NULL;
	char line[SG_QUAR_RULE_MAX];
	unsigned int i;
	int err;

	for (i = 0; s && i < s->n; i++) {
		err = sg_quar_rule_text(&s->e[i], line, sizeof(line));
		if (!err)
			err = sg_parser_add_line(p, SG_QUARANTINE_RULES, s->e[i].id, line);
		if (err)
			return err;
	}
	return 0;
}

__u32 sg_quarantine_rule_id(const char *rule_file, __u32 line)
{
	return rule_file && !strcmp(rule_file, SG_QUARANTINE_RULES) ? line : 0;
}

/* ---- the state file --------------------------------------------------------- */

static void state_path(const struct sg_daemon *d, const char *dir, char *buf, size_t len,
		       const char *name)
{
	snprintf(buf, len, "%s/%s", dir ? dir : d->cfg.detect.state_dir, name);
}

/* Replace the file with the set, atomically: a crash leaves the old or the new. */
static int save(struct sg_daemon *d, const char *dir)
{
	struct json_object *o = sg_quar_set_json(&d->quar->set);
	char path[SG_DETECT_PATH_MAX + 32], tmp[SG_DETECT_PATH_MAX + 32];
	const char *text;
	FILE *f;
	int fd, err = 0;

	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	err = sg_mkdir_p(dir ? dir : d->cfg.detect.state_dir, 0700);
	state_path(d, dir, path, sizeof(path), SG_QUARANTINE_FILE);
	state_path(d, dir, tmp, sizeof(tmp), "." SG_QUARANTINE_FILE ".XXXXXX");
	fd = err ? -1 : mkostemp(tmp, O_CLOEXEC);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		err = err ?: -errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto out;
	}
	fprintf(f, "%s\n", text);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	json_object_put(o);
	if (err)
		sg_error_errno(err, "quarantine: cannot write %s: %m; the set in force is "
			       "not saved", path);
	return err;
}

/* The file is not ours: keep it for a look, and start empty. */
static void set_aside(const char *path, const char *why)
{
	char bad[SG_DETECT_PATH_MAX + 40];

	snprintf(bad, sizeof(bad), "%s.bad", path);
	if (rename(path, bad))
		snprintf(bad, sizeof(bad), "(not moved: %s)", strerror(errno));
	sg_log(LOG_ERR, "quarantine: %s: %s; no quarantine from it is in force, the file is %s",
	       path, why, bad);
}

static void left_out(void *ctx, size_t idx, const char *why)
{
	sg_log(LOG_ERR, "quarantine: %s: entry %zu left out: %s", (const char *)ctx, idx, why);
}

static int load_file(struct sg_daemon *d, const char *path)
{
	struct sg_quar_set *s = &d->quar->set;
	struct json_object *o;
	struct stat st;
	int err;

	if (stat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode) || st.st_size > SG_QUARANTINE_FILE_MAX) {
		set_aside(path, "not a regular file of at most 8 MiB");
		return 0;
	}
	o = json_object_from_file(path);
	err = sg_quar_parse(s, o, left_out, (void *)path);
	json_object_put(o);
	if (err == -EBADMSG) {
		sg_quar_set_free(s);
		set_aside(path, "not a quarantine set of version 1");
		return 0;
	}
	if (err)
		return err;
	if (s->n)
		sg_info("quarantine: %u in force from %s", s->n, path);
	return 0;
}

int sg_quarantine_load(struct sg_daemon *d)
{
	char path[SG_DETECT_PATH_MAX + 32];
	int err;

	d->quar = calloc(1, sizeof(*d->quar));
	if (!d->quar)
		return -ENOMEM;
	d->quar->set.next_id = 1;
	state_path(d, NULL, path, sizeof(path), SG_QUARANTINE_FILE);
	err = load_file(d, path);
	if (err)
		return sg_error_errno(err, "quarantine: cannot read %s: %m", path);
	return 0;
}

void sg_quarantine_free(struct sg_daemon *d)
{
	if (!d->quar)
		return;
	sg_quar_set_free(&d->quar->set);
	free(d->quar);
	d->quar = NULL;
}

void sg_quarantine_moved(struct sg_daemon *d, const char *old_state_dir)
{
	if (d->quar && d->quar->set.n && strcmp(old_state_dir, d->cfg.detect.state_dir))
		save(d, NULL);
}

/* ---- from an alert ---------------------------------------------------------- */

static bool has_suffix(const char *s, const char *sfx)
{
	size_t n = strlen(s), k = strlen(sfx);

	return n > k && !strcmp(s + n - k, sfx);
}

/* Who the alert is about, as a rule can name it; @why says why not. */
static bool subject_of(const struct sg_alert *a, struct sg_quar_entry *e, char *why, size_t len)
{
	const char *s = a->unit ? a->unit : a->exe ? a->exe : a->src;

	if (!s || !*s) {
		snprintf(why, len, "the alert has no subject");
		return false;
	}
	if (a->unit || (!a->exe && s[0] != '/')) {
		e->kind = SG_QUAR_UNIT;
	} else {
		e->kind = SG_QUAR_EXE;
		if (s[0] != '/' || !strncmp(s, "/memfd:", 7) || has_suffix(s, " (deleted)")) {
			snprintf(why, len, "executable %s has no path on disk a rule can name", s);
			return false;
		}
	}
	if (snprintf(e->subject, sizeof(e->subject), "%s", s) >= (int)sizeof(e->subject)) {
		snprintf(why, len, "subject too long");
		return false;
	}
	return true;
}

/* An entry in force that already covers @e: same subject, and every or the same destination. */
static struct sg_quar_entry *covering(struct sg_quarantine *q, const struct sg_quar_entry *e)
{
	unsigned int i;

	for (i = 0; i < q->set.n; i++) {
		struct sg_quar_entry *x = &q->set.e[i];

		if (x->kind == e->kind && !strcmp(x->subject, e->subject) &&
		    (!x->has_dst || (e->has_dst && !memcmp(&x->dst, &e->dst, sizeof(e->dst)))))
			return x;
	}
	return NULL;
}

/* The journal entry for a quarantine applied or released, with its fields. */
static void log_entry(const struct sg_quar_entry *e, const char *action, __u32 gen)
{
	char id[16], rule[32], score[16], pid[16], g[16], a[INET6_ADDRSTRLEN] = "";
	struct sg_log_field f[] = {
		{ "SOVGUARD_QUARANTINE", id },
		{ "SOVGUARD_QUARANTINE_ACTION", action },
		{ "SG_RULE", rule },
		{ "SG_GENERATION", g },
		{ e->kind == SG_QUAR_UNIT ? "SOVGUARD_SUBJECT_UNIT" : "SOVGUARD_SUBJECT_EXE",
		  e->subject },
		{ "SOVGUARD_ALERT", sg_heur_name(e->heur) },
		{ "SOVGUARD_SCORE", score },
		{ "SOVGUARD_SUBJECT_PID", pid },
		{ "SOVGUARD_DST", a },
	};
	size_t n = SG_ARRAY_SIZE(f);

	snprintf(id, sizeof(id), "%u", e->id);
	snprintf(rule, sizeof(rule), SG_QUARANTINE_RULES ":%u", e->id);
	snprintf(score, sizeof(score), "%u", e->score);
	snprintf(pid, sizeof(pid), "%u", e->pid);
	snprintf(g, sizeof(g), "%u", gen);
	if (e->has_dst)
		sg_quar_addr_str(&e->dst, a);
	else
		n--;
	sg_log_struct(LOG_WARNING, f, n, "quarantine %u %s: deny %s %s%s%s (%s alert, score %u), "
		      "rule %s, generation %u", e->id, action, sg_quar_kind_name(e->kind),
		      e->subject, e->has_dst ? " to " : "", a, sg_heur_name(e->heur), e->score,
		      rule, gen);
}

/* The next id no entry has, from next_id on (ids wrap after SG_QUAR_ID_MAX). */
static __u32 free_id(const struct sg_quar_set *s)
{
	__u32 id = s->next_id;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].id == id) {
			id = id < SG_QUAR_ID_MAX ? id + 1 : 1;
			i = -1u;	/* look again from the start */
		}
	return id;
}

/*
 * Whether @a calls for a quarantine under @c at all. A summary of repeats
 * does not: the alert it sums up did, and the repeats may be attempts the
 * quarantine refused before a release.
 */
static bool wanted(const struct sg_quarantine_config *c, const struct sg_alert *a)
{
	return c->mode != SG_QUARANTINE_OFF && !a->repeats && a->heur < SG_HEUR_MAX &&
	       c->heur[a->heur] && a->score >= c->min_score;
}

__u32 sg_quarantine_alert(struct sg_daemon *d, const struct sg_alert *a)
{
	const struct sg_quarantine_config *c = &d->cfg.detect.quarantine;
	struct sg_quarantine *q = d->quar;
	struct sg_quar_entry e = { 0 }, *x;
	char why[512];
	int err;

	if (!q || !wanted(c, a))
		return 0;
	if (!subject_of(a, &e, why, sizeof(why))) {
		q->refused_unnamed++;
		sg_warn("quarantine: %s alert (score %u) on %s not quarantined: %s",
			sg_heur_name(a->heur), a->score, a->src, why);
		return 0;
	}
	if (c->mode == SG_QUARANTINE_DESTINATION) {
		e.has_dst = sg_alert_dst_addr(a, &e.dst);
		if (!e.has_dst) {
			q->refused_no_dst++;
			sg_warn("quarantine: %s alert (score %u) on %s not quarantined: %s is no "
				"destination address (detect.quarantine = destination)",
				sg_heur_name(a->heur), a->score, a->src, a->dst);
			return 0;
		}
	}
	x = covering(q, &e);
	if (x)
		return x->id;
	if (q->set.n >= c->max) {
		q->refused_full++;
		sg_warn("quarantine: %s alert (score %u) on %s not quarantined: %u quarantines in "
			"force, the most detect.quarantine.max allows", sg_heur_name(a->heur),
			a->score, a->src, q->set.n);
		return 0;
	}
	e.id = free_id(&q->set);
	e.heur = a->heur;
	e.score = a->score;
	e.pid = a->pid;
	e.since = time(NULL);
	snprintf(e.alert_dst, sizeof(e.alert_dst), "%s", a->dst ? a->dst : "");
	sg_alert_time(a->ts_last, e.alert_last);
	if (!sg_quar_rule_ok(&e, why, sizeof(why))) {
		q->refused_unnamed++;
		sg_warn("quarantine: %s alert (score %u) on %s not quarantined: %s",
			sg_heur_name(a->heur), a->score, a->src, why);
		return 0;
	}
	err = sg_quar_add(&q->set, &e);
	if (!err)
		err = sg_build_policy(d, &d->cfg, false, false);
	if (err) {
		if (q->set.n && q->set.e[q->set.n - 1].id == e.id)
			q->set.n--;
		q->failed++;
		sg_error_errno(err, "quarantine: %s alert (score %u) on %s not quarantined: the "
			       "policy with its rule was not published: %m", sg_heur_name(a->heur),
			       a->score, a->src);
		return 0;
	}
	q->set.next_id = e.id < SG_QUAR_ID_MAX ? e.id + 1 : 1;
	q->set.e[q->set.n - 1].generation = d->gen;
	q->applied++;
	save(d, NULL);
	log_entry(&q->set.e[q->set.n - 1], "applied", d->gen);
	snprintf(why, sizeof(why), "quarantine %u", e.id);
	sg_flows_end(d, why);
	return e.id;
}

/* ---- control ---------------------------------------------------------------- */

struct json_object *sg_quarantine_json(struct sg_daemon *d)
{
	const struct sg_quarantine_config *c = &d->cfg.detect.quarantine;
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	struct json_object *hs = json_object_new_array(), *ref = json_object_new_object();
	struct sg_quarantine *q = d->quar;
	unsigned int i;
	int h;

	for (h = 0; h < SG_HEUR_MAX; h++)
		if (c->heur[h])
			json_object_array_add(hs, json_object_new_string(sg_heur_name(h)));
	for (i = 0; q && i < q->set.n; i++)
		json_object_array_add(arr, sg_quar_entry_json(&q->set.e[i]));
	json_object_object_add(o, "mode", json_object_new_string(sg_quarantine_mode_name(c->mode)));
	json_object_object_add(o, "min_score", json_object_new_int(c->min_score));
	json_object_object_add(o, "heuristics", hs);
	json_object_object_add(o, "max", json_object_new_int(c->max));
	json_object_object_add(o, "active", json_object_new_int(q ? q->set.n : 0));
	json_object_object_add(o, "applied", json_object_new_int64(q ? q->applied : 0));
	json_object_object_add(o, "released", json_object_new_int64(q ? q->released : 0));
	json_object_object_add(ref, "full", json_object_new_int64(q ? q->refused_full : 0));
	json_object_object_add(ref, "unnamed", json_object_new_int64(q ? q->refused_unnamed : 0));
	json_object_object_add(ref, "no_destination",
			       json_object_new_int64(q ? q->refused_no_dst : 0));
	json_object_object_add(ref, "not_published", json_object_new_int64(q ? q->failed : 0));
	json_object_object_add(o, "refused", ref);
	json_object_object_add(o, "quarantines", arr);
	return o;
}

int sg_quarantine_release(struct sg_daemon *d, __u32 id, bool all)
{
	struct sg_quarantine *q = d->quar;
	struct sg_quar_entry *gone;
	unsigned int i, k = 0, n;
	int err;

	if (!q)
		return -ENOENT;
	gone = calloc(q->set.n + 1, sizeof(*gone));
	if (!gone)
		return -ENOMEM;
	/* Out of the set, in order; put back when the policy without them fails. */
	for (i = 0, n = 0; i < q->set.n; i++) {
		if (all || q->set.e[i].id == id)
			gone[k++] = q->set.e[i];
		else
			q->set.e[n++] = q->set.e[i];
	}
	if (!k) {
		free(gone);
		return all ? 0 : -ENOENT;
	}
	q->set.n = n;
	err = sg_build_policy(d, &d->cfg, false, false);
	if (err) {
		/* q->set.e has room: the released were in it. */
		memcpy(&q->set.e[q->set.n], gone, k * sizeof(*gone));
		q->set.n += k;
		free(gone);
		return sg_error_errno(err, "quarantine: release not done: the policy without it "
				      "was not published: %m");
	}
	q->released += k;
	save(d, NULL);
	for (i = 0; i < k; i++)
		log_entry(&gone[i], "released", d->gen);
	free(gone);
	return (int)k;
}
