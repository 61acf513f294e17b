// SPDX-License-Identifier: GPL-2.0
/*
 * First seen: an executable talking out that the learned baseline does not
 * know. During detect.firstseen.learn seconds from the baseline's start
 * every executable that connects out is learned; after it, an unknown one
 * alerts once and is learned. The baseline is keyed on the path, so a
 * package upgrade that replaces the file is not news; the new inode and
 * mtime are recorded and reported (score 30, under the default threshold).
 *
 * The same baseline holds the listener heuristic's (exe, protocol, port)
 * pairs. It lives in STATE_DIR/baseline (docs/detection.md gives the
 * format), saved with an atomic rename and bounded by
 * detect.firstseen.max_entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "internal.h"

#define SG_BASELINE_VERSION	1
#define SG_BASELINE_LINE_MAX	(3 * SG_DETECT_PATH_MAX + 256)
#define SG_FIRSTSEEN_SCORE	70	/* an unknown executable talking out */
#define SG_FIRSTSEEN_REPLACED	30	/* a known path with a new inode */

struct bl_entry {
	struct sg_lru_node node;
	double first;
	__u64 dev, ino;
	double mtime;
	__u64 prev_ino;			/* before the last replacement, 0 if none */
	double prev_mtime, changed;
};

struct sg_firstseen {
	struct sg_lru t;
	double learn_start;		/* -1: from the first observation */
};

static void bl_release(struct sg_lru *t, struct sg_lru_node *n)
{
}

int sg_firstseen_new(struct sg_detect *d)
{
	struct sg_firstseen *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->learn_start = -1;
	d->firstseen = f;
	/* The cap is checked before adding: learned entries are never evicted. */
	return sg_lru_init(&f->t, d->cfg.firstseen.max_entries + 1, sizeof(struct bl_entry),
			   bl_release, f);
}

void sg_firstseen_free(struct sg_detect *d)
{
	if (!d->firstseen)
		return;
	sg_lru_destroy(&d->firstseen->t);
	free(d->firstseen);
	d->firstseen = NULL;
}

/* Heap bytes held, for sg_detect_get_stats(). */
size_t sg_firstseen_bytes(const struct sg_detect *d)
{
	return d->firstseen ? sizeof(*d->firstseen) + d->firstseen->t.bytes : 0;
}

static bool learning(struct sg_detect *d, double ts)
{
	struct sg_firstseen *f = d->firstseen;

	if (f->learn_start < 0)
		f->learn_start = ts;
	return ts < f->learn_start + d->cfg.firstseen.learn;
}

/* Find key; with add, learn it (NULL and counted at the cap). */
static struct bl_entry *bl_get(struct sg_detect *d, const char *key, bool add, double ts,
			       bool *added)
{
	struct sg_firstseen *f = d->firstseen;
	struct bl_entry *e = (struct bl_entry *)sg_lru_find(&f->t, key);

	*added = false;
	if (e || !add)
		return e;
	if (f->t.n >= d->cfg.firstseen.max_entries) {
		d->st.baseline_full++;
		return NULL;
	}
	e = (struct bl_entry *)sg_lru_get(&f->t, key, true, added);
	if (e && *added)
		e->first = ts;
	d->st.entries[SG_HEUR_FIRSTSEEN] = f->t.n;
	return e;
}

static void exe_key(char *buf, size_t len, const char *exe)
{
	size_t n = strlen(exe);

	if (n + 5 > len)
		n = len - 5;
	memcpy(buf, "exe", 3);
	buf[3] = SG_KEY_SEP;
	memcpy(buf + 4, exe, n);
	buf[4 + n] = '\0';
}

/* Record a new identity of a known path; true when it replaced another. */
static bool identity(struct bl_entry *e, __u64 dev, __u64 ino, double mtime, double ts)
{
	bool replaced = e->ino && ino && (e->ino != ino || e->dev != dev);

	if (!ino)
		return false;
	if (replaced) {
		e->prev_ino = e->ino;
		e->prev_mtime = e->mtime;
		e->changed = ts;
	}
	e->dev = dev;
	e->ino = ino;
	e->mtime = mtime;
	return replaced;
}

static void ev_identity(struct json_object *ev, const struct bl_entry *e)
{
	json_object_object_add(ev, "exe_dev", json_object_new_int64((int64_t)e->dev));
	json_object_object_add(ev, "exe_ino", json_object_new_int64((int64_t)e->ino));
	json_object_object_add(ev, "exe_mtime", sg_json_double(e->mtime, 0));
	if (e->prev_ino) {
		json_object_object_add(ev, "prev_ino", json_object_new_int64((int64_t)e->prev_ino));
		json_object_object_add(ev, "prev_mtime", sg_json_double(e->prev_mtime, 0));
		json_object_object_add(ev, "replaced_at", sg_json_double(e->changed, 0));
	}
}

static void report(struct sg_detect *d, const struct sg_obs *o, const char *exe,
		   const char *dst, unsigned int score, const struct bl_entry *e, bool replaced)
{
	struct sg_firstseen *f = d->firstseen;
	struct json_object *ev;
	struct sg_alert a = { .heur = SG_HEUR_FIRSTSEEN, .score = score };

	if (score < d->cfg.min_score[SG_HEUR_FIRSTSEEN])
		return;
	ev = json_object_new_object();
	sg_evidence_proc(ev, d, o);
	if (!o->exe)
		json_object_object_add(ev, "exe", json_object_new_string(exe));
	json_object_object_add(ev, "event", json_object_new_string(replaced ? "replaced"
										 : "new"));
	if (o->kind == SG_DET_CONN) {
		json_object_object_add(ev, "dport", json_object_new_int(o->dport));
		json_object_object_add(ev, "proto", json_object_new_int(o->proto));
	}
	ev_identity(ev, e);
	json_object_object_add(ev, "learned_until",
			       sg_json_double(f->learn_start + d->cfg.firstseen.learn, 0));
	json_object_object_add(ev, "baseline_size", json_object_new_int64(f->t.n));
	sg_alert_who(&a, o);
	a.exe = exe;
	a.src = o->subject ? o->subject : exe;
	a.dst = dst;
	a.ts_first = a.ts_last = o->ts;
	a.evidence = ev;
	sg_detect_emit_alert(d, &a);
	json_object_put(ev);
}

int sg_firstseen_conn(struct sg_detect *d, const struct sg_conn_ctx *c)
{
	const struct sg_obs *o = c->o;
	struct sg_proc *p = c->proc;
	const char *exe = c->exe;
	char key[SG_DETECT_PATH_MAX + 8];
	struct bl_entry *e;
	bool learn, added, replaced = false;

	if (!exe || o->dir == SG_DIR_IN)
		return 0;
	if (sg_detect_allowed(d, SG_HEUR_FIRSTSEEN, &o->src, o->subject, &o->dst, c->name) ||
	    sg_detect_allowed_proc(d, SG_HEUR_FIRSTSEEN, exe, o->unit))
		return 0;
	learn = learning(d, o->ts);
	exe_key(key, sizeof(key), exe);
	e = bl_get(d, key, true, o->ts, &added);
	if (!e) {
		if (!learn) {
			struct bl_entry tmp = { 0 };

			report(d, o, exe, c->dst, SG_FIRSTSEEN_SCORE, &tmp, false);
		}
		return 0;
	}
	if (p && !strcmp(p->exe, exe))
		replaced = identity(e, p->dev, p->ino, p->mtime, o->ts);
	if (added && !learn)
		report(d, o, exe, c->dst, SG_FIRSTSEEN_SCORE, e, false);
	else if (replaced)
		report(d, o, exe, c->dst, SG_FIRSTSEEN_REPLACED, e, true);
	return 0;
}

/* An exec of a known executable records its identity (a replaced file). */
int sg_firstseen_exec(struct sg_detect *d, const struct sg_obs *o)
{
	char key[SG_DETECT_PATH_MAX + 8];
	struct bl_entry *e;
	bool added;

	exe_key(key, sizeof(key), o->exe);
	e = bl_get(d, key, false, o->ts, &added);
	if (e && identity(e, o->exe_dev, o->exe_ino, o->exe_mtime, o->ts))
		report(d, o, o->exe, "-", SG_FIRSTSEEN_REPLACED, e, true);
	return 0;
}

enum sg_learn sg_baseline_listen(struct sg_detect *d, const char *exe, __u8 proto, __u16 port,
				 double ts)
{
	char key[SG_DETECT_PATH_MAX + 32];
	bool learn = learning(d, ts), added;

	snprintf(key, sizeof(key), "listen%c%u%c%u%c%s", SG_KEY_SEP, proto, SG_KEY_SEP, port,
		 SG_KEY_SEP, exe);
	if (!bl_get(d, key, true, ts, &added))
		return SG_LEARN_FULL;
	if (!added)
		return SG_LEARN_KNOWN;
	return learn ? SG_LEARN_LEARNED : SG_LEARN_NEW;
}

/* Paths are written with bytes outside '!'..'~' and '%' as %XX. */
static void put_path(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c <= ' ' || c > '~' || c == '%')
			fprintf(f, "%%%02X", c);
		else
			fputc(c, f);
	}
}

static int get_path(const char *s, char *out, size_t len)
{
	size_t n = 0;
	unsigned int x;

	for (; *s; s++) {
		if (n + 1 >= len)
			return -ENAMETOOLONG;
		if (*s == '%') {
			if (sscanf(s + 1, "%2x", &x) != 1 || !s[1] || !s[2] || !x)
				return -EINVAL;
			out[n++] = (char)x;
			s += 2;
		} else if ((unsigned char)*s <= ' ' || (unsigned char)*s > '~') {
			return -EINVAL;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = 0;
	return n ? 0 : -EINVAL;
}

/* The word at line + pos, the last on the line, into out (as long as line). */
static bool last_word(const char *line, int pos, char *out)
{
	size_t n;

	if (pos <= 0)
		return false;
	line += pos;
	n = strcspn(line, " \t\n");
	if (!n || line[n] != '\n')
		return false;
	memcpy(out, line, n);
	out[n] = 0;
	return true;
}

static void bl_clear(struct sg_detect *d)
{
	struct sg_firstseen *f = d->firstseen;
	struct sg_lru_node *pos, *tmp;

	sg_lru_for_each_safe(&f->t, pos, tmp)
		sg_lru_remove(&f->t, pos);
	f->learn_start = -1;
}

#define BL_FAIL(...) do { \
	fprintf(errf, "%s:%u: ", name, lineno); \
	fprintf(errf, __VA_ARGS__); \
	fputc('\n', errf); \
	goto corrupt; \
} while (0)

int sg_baseline_parse(struct sg_detect *d, FILE *f, const char *name, FILE *errf)
{
	static char line[SG_BASELINE_LINE_MAX + 2], path[SG_DETECT_PATH_MAX];
	char key[SG_DETECT_PATH_MAX + 32], word[16], rest[SG_BASELINE_LINE_MAX + 2];
	unsigned long long dev, ino, pino;
	unsigned int lineno = 0, version = 0, proto, port;
	int pos;
	double first, mtime, pmtime, changed, ls = -1;
	struct bl_entry *e;
	bool added;

	bl_clear(d);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n'))
			BL_FAIL("line longer than %d or not terminated", SG_BASELINE_LINE_MAX);
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%15s", word) != 1)
			BL_FAIL("empty line");
		if (!version && strcmp(word, "version"))
			BL_FAIL("expected \"version %d\" first", SG_BASELINE_VERSION);
		if (!strcmp(word, "version")) {
			if (version || sscanf(line, "version %u", &version) != 1 ||
			    version != SG_BASELINE_VERSION)
				BL_FAIL("unsupported version (this reads %d)", SG_BASELINE_VERSION);
		} else if (!strcmp(word, "learn_start")) {
			if (sscanf(line, "learn_start %lf", &ls) != 1 || !(ls >= 0 && ls < 1e11))
				BL_FAIL("bad learn_start");
		} else if (!strcmp(word, "exe")) {
			pos = 0;
			if (sscanf(line, "exe %lf %llu %llu %lf %llu %lf %lf %n", &first, &dev, &ino,
				   &mtime, &pino, &pmtime, &changed, &pos) != 7 || !last_word(line, pos,
											 rest))
				BL_FAIL("expected exe FIRST DEV INO MTIME PREV_INO PREV_MTIME "
					"CHANGED PATH");
			if (get_path(rest, path, sizeof(path)))
				BL_FAIL("bad path");
			exe_key(key, sizeof(key), path);
			e = bl_get(d, key, true, first, &added);
			if (!e)
				BL_FAIL("more than %u entries", d->cfg.firstseen.max_entries);
			if (!added)
				BL_FAIL("%s twice", path);
			e->dev = dev;
			e->ino = ino;
			e->mtime = mtime;
			e->prev_ino = pino;
			e->prev_mtime = pmtime;
			e->changed = changed;
		} else if (!strcmp(word, "listen")) {
			pos = 0;
			if (sscanf(line, "listen %lf %u %u %n", &first, &proto, &port, &pos) != 3 ||
			    !last_word(line, pos, rest) || proto > 255 || port > 65535)
				BL_FAIL("expected listen FIRST PROTO PORT PATH");
			if (get_path(rest, path, sizeof(path)))
				BL_FAIL("bad path");
			snprintf(key, sizeof(key), "listen%c%u%c%u%c%s", SG_KEY_SEP, proto,
				 SG_KEY_SEP, port, SG_KEY_SEP, path);
			e = bl_get(d, key, true, first, &added);
			if (!e)
				BL_FAIL("more than %u entries", d->cfg.firstseen.max_entries);
			if (!added)
				BL_FAIL("listener %s %u twice", path, port);
		} else {
			BL_FAIL("unknown record \"%s\"", word);
		}
	}
	if (ferror(f))
		BL_FAIL("read error");
	if (!version)
		BL_FAIL("empty file");
	if (ls < 0)
		BL_FAIL("no learn_start");
	d->firstseen->learn_start = ls;
	return 0;
corrupt:
	bl_clear(d);
	d->st.baseline_corrupt++;
	return -EBADMSG;
}

static void state_path(struct sg_detect *d, char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", d->cfg.state_dir, file);
}

int sg_detect_baseline_load(struct sg_detect *d, FILE *errf)
{
	char path[SG_DETECT_PATH_MAX + 32];
	FILE *f;
	int r;

	state_path(d, path, sizeof(path), SG_BASELINE_FILE);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		fprintf(errf, "%s: %s\n", path, strerror(-r));
		return r;
	}
	r = sg_baseline_parse(d, f, path, errf);
	fclose(f);
	if (r)
		fprintf(errf, "%s: baseline ignored, learning again\n", path);
	d->st.entries[SG_HEUR_FIRSTSEEN] = d->firstseen->t.n;
	return 0;
}

int sg_detect_baseline_save(struct sg_detect *d)
{
	struct sg_firstseen *fs = d->firstseen;
	char path[SG_DETECT_PATH_MAX + 32], tmp[SG_DETECT_PATH_MAX + 32];
	char a[SG_DETECT_PATH_MAX + 32], b[SG_DETECT_PATH_MAX + 32];
	struct sg_lru_node *pos, *t;
	unsigned int proto, port;
	FILE *f = NULL;
	int fd, r = 0;

	if (mkdir(d->cfg.state_dir, 0700) && errno != EEXIST)
		return -errno;
	state_path(d, path, sizeof(path), SG_BASELINE_FILE);
	state_path(d, tmp, sizeof(tmp), "." SG_BASELINE_FILE ".XXXXXX");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		goto err_unlink;
	}
	/* Saved before any observation: learning starts now, not at the epoch. */
	if (fs->learn_start < 0)
		fs->learn_start = (double)time(NULL);
	fprintf(f, "# sovguard detection baseline (docs/detection.md)\nversion %d\n"
		"learn_start %.3f\n", SG_BASELINE_VERSION, fs->learn_start);
	/* Oldest first, so a reload keeps the order. */
	for (pos = fs->t.head.prev, t = pos->prev; pos != &fs->t.head; pos = t, t = pos->prev) {
		struct bl_entry *e = (struct bl_entry *)pos;

		sg_key_split(pos->key, a, sizeof(a), b, sizeof(b));
		if (!strcmp(a, "exe")) {
			fprintf(f, "exe %.3f %llu %llu %.0f %llu %.0f %.0f ", e->first,
				(unsigned long long)e->dev, (unsigned long long)e->ino, e->mtime,
				(unsigned long long)e->prev_ino, e->prev_mtime, e->changed);
			put_path(f, b);
		} else {
			char *s1 = strchr(b, SG_KEY_SEP), *s2 = s1 ? strchr(s1 + 1, SG_KEY_SEP) : NULL;

			if (!s2 || sscanf(b, "%u", &proto) != 1 || sscanf(s1 + 1, "%u", &port) != 1)
				continue;
			fprintf(f, "listen %.3f %u %u ", e->first, proto, port);
			put_path(f, s2 + 1);
		}
		fputc('\n', f);
	}
	if (fflush(f) || fsync(fileno(f)))
		r = -errno;
	if (fclose(f) && !r)
		r = -errno;
	if (r)
		goto err_unlink;
	if (rename(tmp, path)) {
		r = -errno;
		goto err_unlink;
	}
	return 0;
err_unlink:
	unlink(tmp);
	return r;
}
