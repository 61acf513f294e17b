/* SPDX-License-Identifier: GPL-2.0 */
/* Detection internals: the bounded LRU table and the heuristics' hooks. */
#ifndef SG_DETECT_INTERNAL_H
#define SG_DETECT_INTERNAL_H

#include <stdint.h>
#include <stddef.h>

#include "detect.h"

/*
 * A hash table with a cap and least-recently-used eviction. Entries embed
 * struct sg_lru_node first and carry their key (a string) right after the
 * entry; release() frees what the entry owns (not the entry itself).
 */
struct sg_lru_node {
	struct sg_lru_node *hnext;
	struct sg_lru_node *prev, *next;	/* LRU list, most recent first */
	uint64_t hash;
	uint64_t gen;				/* the table's gen when last used */
	const char *key;
};

struct sg_lru {
	struct sg_lru_node **buckets;
	size_t nbuckets;
	size_t n, cap;
	size_t entry_size;
	struct sg_lru_node head;
	void (*release)(struct sg_lru *t, struct sg_lru_node *n);
	void *ctx;
	uint64_t evictions;
	uint64_t gen;		/* advanced by each flush */
	/*
	 * Heap bytes the table holds: buckets, entries with their keys, and
	 * what the owner adds for the allocations its entries own.
	 */
	size_t bytes;
};

int sg_lru_init(struct sg_lru *t, size_t cap, size_t entry_size,
		void (*release)(struct sg_lru *t, struct sg_lru_node *n), void *ctx);
void sg_lru_destroy(struct sg_lru *t);
/* Find key; with create, add it (evicting the LRU entry at the cap). NULL on ENOMEM. */
struct sg_lru_node *sg_lru_get(struct sg_lru *t, const char *key, bool create, bool *created);
struct sg_lru_node *sg_lru_find(struct sg_lru *t, const char *key);
void sg_lru_remove(struct sg_lru *t, struct sg_lru_node *n);
/* The least recently used entry, or NULL. */
struct sg_lru_node *sg_lru_oldest(struct sg_lru *t);

#define sg_lru_for_each_safe(t, pos, tmp) \
	for ((pos) = (t)->head.next, (tmp) = (pos)->next; (pos) != &(t)->head; \
	     (pos) = (tmp), (tmp) = (pos)->next)

/*
 * The entries used since the last sg_lru_next_gen(): they lead the LRU
 * list, so a flush visits only what changed and stops at the first entry
 * that did not.
 */
#define sg_lru_for_each_used_safe(t, pos, tmp) \
	for ((pos) = (t)->head.next, (tmp) = (pos)->next; \
	     (pos) != &(t)->head && (pos)->gen == (t)->gen; (pos) = (tmp), (tmp) = (pos)->next)

static inline void sg_lru_next_gen(struct sg_lru *t)
{
	t->gen++;
}

uint64_t sg_hash(const char *s, size_t len);

#ifndef SG_ARRAY_SIZE
#define SG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* JSON text of a stored or logged alert: one line, paths unescaped. */
#define SG_JSON_LINE (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Keys join the subject and the destination with a byte neither contains. */
#define SG_KEY_SEP ('\x1f')
#define SG_KEY_MAX (2 * SG_DETECT_NAME_MAX + 2)
int sg_key_make(char *buf, size_t len, const char *a, const char *b);

/*
 * A key made and hashed once, for every table a record is looked up in
 * (a connection's (subject, destination) is beacon's, exfil's and
 * dnsless's key): len 0 when it could not be made (too long).
 */
struct sg_lru_key {
	uint64_t hash;
	size_t len;
	char s[SG_KEY_MAX];
};

/* a SEP b, or a alone when b is NULL. Return: 0 or -ENAMETOOLONG (len 0). */
int sg_lru_key_make(struct sg_lru_key *k, const char *a, const char *b);
struct sg_lru_node *sg_lru_get_key(struct sg_lru *t, const struct sg_lru_key *k, bool create,
				   bool *created);
struct sg_lru_node *sg_lru_find_key(struct sg_lru *t, const struct sg_lru_key *k);
/*
 * Start loading k's bucket: the lookups of one record then wait for their
 * cache misses together rather than one after the other.
 */
void sg_lru_prefetch(const struct sg_lru *t, const struct sg_lru_key *k);
/* Then, once the bucket is there, the first entry it holds. */
void sg_lru_prefetch_entry(const struct sg_lru *t, const struct sg_lru_key *k);
/* Split a key in place into its two halves (copies into the buffers). */
void sg_key_split(const char *key, char *a, size_t alen, char *b, size_t blen);

struct sg_beacon;
struct sg_exfil;
struct sg_dnstun;
struct sg_dnsless;
struct sg_firstseen;
struct sg_listener;

/* Logs are not sorted: an answer this much after a connection still names it. */
#define SG_DETECT_REORDER_S 60

struct sg_dns_entry {
	struct sg_lru_node node;
	double first;			/* first answer with this address */
	double ts;			/* latest answer */
	char name[SG_DETECT_NAME_MAX];
};

/* What the engine knows of a live process, from its exec record. */
struct sg_proc {
	struct sg_lru_node node;
	double ts;			/* exec time */
	__u64 dev, ino;
	double mtime;
	__u32 flags, ppid, uid;
	char *exe, *parent_exe;		/* owned */
};

/*
 * A live connection counted at its start (sg_obs.conn_id), until its end
 * brings the bytes: which series took it, so the bytes go there and only
 * there.
 */
#define SG_TOOK_BEACON_ADDR	0x1
#define SG_TOOK_BEACON_NAME	0x2
#define SG_TOOK_EXFIL		0x4
#define SG_TOOK_DNSLESS		0x8

#define SG_OPEN_NAME_INLINE	48	/* most names fit: no allocation per connection */

struct sg_open {
	struct sg_lru_node node;
	double ts;			/* the start, as fed */
	unsigned int took;		/* SG_TOOK_* */
	char *name;			/* the beacon name series': name_buf, owned, or NULL */
	char name_buf[SG_OPEN_NAME_INLINE];
};

/* An alert given, for counting its repeats within detect.suppress. */
struct sg_suppress {
	struct sg_lru_node node;
	double last_emit;
	double first_rep, last_rep;	/* of the repeats counted */
	__u64 reps;
	unsigned int score;
	enum sg_heur heur;
};

/*
 * What the connection heuristics ask of an executable's path (a shell?
 * fileless path flags?), remembered per path: fnmatch over the shell list
 * for every connection would cost more than the rest of the engine.
 * Direct-mapped by the path's hash; a configuration change makes a new
 * engine, so the answers never go stale.
 */
#define SG_EXE_MEMO	256

struct sg_exe_memo {
	uint64_t hash;
	char *exe;			/* owned; NULL when the slot is empty */
	bool shell;			/* sg_list_match(&cfg.shells, exe) */
	__u32 path_flags;		/* sg_exe_path_flags(exe) */
};

struct sg_detect {
	struct sg_detect_config cfg;
	struct sg_detect_sink sink;
	struct sg_detect_stats st;
	struct sg_lru dns;		/* answer address -> latest name */
	struct sg_beacon *beacon;
	struct sg_exfil *exfil;
	struct sg_dnstun *dnstun;
	struct sg_dnsless *dnsless;
	struct sg_firstseen *firstseen;	/* also the listener baseline */
	struct sg_lru procs;		/* pid -> struct sg_proc */
	struct sg_lru suppress;		/* heur, src, dst -> struct sg_suppress */
	struct sg_lru open;		/* conn_id -> struct sg_open */
	/* The observation being fed, for exe and unit allow-list entries. */
	const char *cur_exe, *cur_unit;
	double first_ts;		/* earliest observation, for the window start */
	double last_ts;
	struct sg_exe_memo exe_memo[SG_EXE_MEMO];
	size_t exe_memo_bytes;
};

/* Context a connection is judged in, computed once by the engine. */
struct sg_conn_ctx {
	const struct sg_obs *o;
	char src[SG_DETECT_ADDR_STR];	/* made only when o has no subject: it stands in */
	char dst[SG_DETECT_ADDR_STR];
	const char *name;		/* name a DNS answer gave dst, or NULL */
	double name_age;		/* seconds since the latest answer (may be < 0) */
	double name_first;		/* time of the first answer */
	bool dst_public;
	/*
	 * The end of a connection counted at its start: o has its start time
	 * and name is the one its start had; heuristics add the bytes to the
	 * series that took it (took) and count nothing else.
	 */
	bool end;
	unsigned int *took;		/* SG_TOOK_*: set by each heuristic that counts it */
	/* (subject, dst) and (subject, name): made and hashed once for the series. */
	struct sg_lru_key key, nkey;
	/* The process (sg_detect_proc_of()) and its executable, looked up once. */
	struct sg_proc *proc;
	const char *exe;
	bool exe_shell;			/* sg_exe_facts() of exe */
	__u32 exe_path_flags;
};

/* The remembered facts of exe (NULL: none, not a shell). */
void sg_exe_facts(struct sg_detect *d, const char *exe, bool *shell, __u32 *path_flags);

bool sg_detect_allowed(struct sg_detect *d, enum sg_heur h, const struct in6_addr *src,
		       const char *subject, const struct in6_addr *dst, const char *name);
void sg_detect_emit(struct sg_detect *d, enum sg_heur h, unsigned int score, const char *src,
		    const char *dst, double first, double last, struct json_object *ev);
/* Emit a filled alert (repeats within detect.suppress are counted instead). */
void sg_detect_emit_alert(struct sg_detect *d, const struct sg_alert *a);
/* exe or unit allow-list entries for h. */
bool sg_detect_allowed_proc(struct sg_detect *d, enum sg_heur h, const char *exe,
			    const char *unit);
/* The process pid from its exec record, or NULL. */
struct sg_proc *sg_detect_proc(struct sg_detect *d, __u32 pid);
/* The same for the process of o, unless o names another executable (pid reused). */
struct sg_proc *sg_detect_proc_of(struct sg_detect *d, const struct sg_obs *o);
/* fnmatch pat on path, or on its basename when pat has no '/'. */
bool sg_exe_match(const char *pat, const char *path);
bool sg_list_match(const struct sg_list_config *l, const char *path);
const char *sg_basename(const char *path);
/* The alert's who: unit, exe, pid and uid from o (and its exec record). */
void sg_alert_who(struct sg_alert *a, const struct sg_obs *o);
/* Evidence common to process alerts: exe, pid, uid, unit, parent. */
void sg_evidence_proc(struct json_object *ev, struct sg_detect *d, const struct sg_obs *o);
const char *sg_addr_port_str(const struct in6_addr *a, __u16 port, char *buf, size_t len);
bool sg_addr_public(const struct in6_addr *a);
double sg_clamp01(double v);
/* A JSON number printed with that many decimals (json-c prints %.17g). */
struct json_object *sg_json_double(double v, int decimals);

int sg_beacon_new(struct sg_detect *d);
void sg_beacon_free(struct sg_detect *d);
size_t sg_beacon_bytes(const struct sg_detect *d);
int sg_beacon_conn(struct sg_detect *d, const struct sg_conn_ctx *c);
void sg_beacon_prefetch(const struct sg_detect *d, const struct sg_lru_key *k, bool entry);
void sg_beacon_flush(struct sg_detect *d, double now);

/* The RITA sub-scores, exposed for the unit tests. */
struct sg_beacon_scores {
	double ts, ds, hist, dur, score;
	double ts_skew, ts_mad, ts_median, fill;
	double cv, disp;		/* interval dispersion and its factor */
	unsigned int cv_kept;
	double ds_skew, ds_mad, ds_median;
	unsigned int bars, longest_run;
	double coverage, consistency;
	unsigned int n, intervals;
};
int sg_beacon_score(const struct sg_beacon_config *cfg, const double *ts, const double *bytes,
		    size_t n, double win_min, double win_max, struct sg_beacon_scores *out);

int sg_exfil_new(struct sg_detect *d);
void sg_exfil_free(struct sg_detect *d);
size_t sg_exfil_bytes(const struct sg_detect *d);
int sg_exfil_conn(struct sg_detect *d, const struct sg_conn_ctx *c);
void sg_exfil_prefetch(const struct sg_detect *d, const struct sg_lru_key *k, bool entry);
void sg_exfil_flush(struct sg_detect *d, double now);

int sg_dnstun_new(struct sg_detect *d);
void sg_dnstun_free(struct sg_detect *d);
size_t sg_dnstun_bytes(const struct sg_detect *d);
int sg_dnstun_query(struct sg_detect *d, const struct sg_obs *o, const char *src);
void sg_dnstun_flush(struct sg_detect *d, double now);
/* Shannon entropy of s in bits per character. */
double sg_entropy(const char *s, size_t len);

int sg_dnsless_new(struct sg_detect *d);
void sg_dnsless_free(struct sg_detect *d);
size_t sg_dnsless_bytes(const struct sg_detect *d);
int sg_dnsless_conn(struct sg_detect *d, const struct sg_conn_ctx *c);
void sg_dnsless_prefetch(const struct sg_detect *d, const struct sg_lru_key *k, bool entry);
void sg_dnsless_flush(struct sg_detect *d, double now);

int sg_firstseen_new(struct sg_detect *d);
void sg_firstseen_free(struct sg_detect *d);
size_t sg_firstseen_bytes(const struct sg_detect *d);
int sg_firstseen_conn(struct sg_detect *d, const struct sg_conn_ctx *c);
int sg_firstseen_exec(struct sg_detect *d, const struct sg_obs *o);
/* listener.c uses the same baseline: is (exe, proto, port) known, learning? */
enum sg_learn { SG_LEARN_KNOWN, SG_LEARN_LEARNED, SG_LEARN_NEW, SG_LEARN_FULL };
enum sg_learn sg_baseline_listen(struct sg_detect *d, const char *exe, __u8 proto, __u16 port,
				 double ts);
/* Parse a baseline file's text (for the fuzzer); errors to errf as name:line. */
int sg_baseline_parse(struct sg_detect *d, FILE *f, const char *name, FILE *errf);

int sg_fileless_conn(struct sg_detect *d, const struct sg_conn_ctx *c);
int sg_fileless_listen(struct sg_detect *d, const struct sg_obs *o);
/* The SG_EXE_* flags of an exe path itself ("/memfd:x (deleted)", "/tmp/x"). */
__u32 sg_exe_path_flags(const char *exe);

int sg_revshell_exec(struct sg_detect *d, const struct sg_obs *o);
int sg_revshell_conn(struct sg_detect *d, const struct sg_conn_ctx *c);

int sg_listener_listen(struct sg_detect *d, const struct sg_obs *o);

int sg_pktsock_obs(struct sg_detect *d, const struct sg_obs *o);

/* The journal fields of an alert but SOVGUARD_EVIDENCE (journal.c). */
#define SG_JOURNAL_FIELDS	18
#define SG_JOURNAL_FIELD_MAX	(SG_DETECT_PATH_MAX + 64)
unsigned int sg_journal_fields(const struct sg_alert *a, char f[][SG_JOURNAL_FIELD_MAX]);

#endif
