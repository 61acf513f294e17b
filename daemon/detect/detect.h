/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Backdoor detection (docs/detection.md). One engine, driven by connection
 * and DNS observations: the live daemon feeds it records decoded from its
 * kernel events, `sovguardctl analyze` feeds it records decoded from Zeek
 * logs; both call sg_detect_feed() and sg_detect_flush() the same way, so
 * offline analysis runs exactly the live code.
 *
 * Heuristics: beacon (RITA-style beacon scoring per (subject, destination)
 * and (subject, name)), exfil (bytes out far above bytes in, per destination
 * and per jurisdiction), dnstun (DNS tunnelling under one domain), dnsless
 * (a public destination no DNS answer produced); from the live daemon's
 * process records: firstseen (an executable never seen talking out before,
 * against a learned baseline kept on disk), fileless (memfd, deleted or
 * world-writable-directory executables that connect or listen), revshell (a
 * shell with a network socket as stdin/stdout, or connecting out), listener
 * (a bind/listen nobody expected), pktsock (a filtered packet socket held by
 * something that is not a capture tool) and hookscan (a netfilter hook the
 * integrity scan flagged).
 *
 * All state is bounded: every table has a configured cap and evicts its
 * least recently used entry; evictions are counted in struct sg_detect_stats.
 */
#ifndef SG_DETECT_H
#define SG_DETECT_H

#include <stdbool.h>
#include <stdio.h>
#include <netinet/in.h>
#include <linux/types.h>

struct json_object;

enum sg_heur {
	SG_HEUR_BEACON,
	SG_HEUR_EXFIL,
	SG_HEUR_DNSTUN,
	SG_HEUR_DNSLESS,
	SG_HEUR_FIRSTSEEN,
	SG_HEUR_FILELESS,
	SG_HEUR_REVSHELL,
	SG_HEUR_LISTENER,
	SG_HEUR_PKTSOCK,
	SG_HEUR_HOOKSCAN,
	SG_HEUR_MAX,
};

#define SG_DETECT_NAME_MAX	256	/* a DNS name with its terminator */
#define SG_DETECT_ADDR_STR	INET6_ADDRSTRLEN
#define SG_DETECT_ANSWERS_MAX	16	/* addresses kept from one DNS answer */
#define SG_DETECT_ALLOW_MAX	256	/* detect.allow lines */
#define SG_DETECT_PATH_MAX	4096	/* an executable path or a state directory */
#define SG_DETECT_LIST_MAX	64	/* names in a shell or capture-tool list */
#define SG_DETECT_PAIRS_MAX	256	/* detect.listener.allow lines */

enum sg_det_kind {
	SG_DET_CONN,
	SG_DET_DNS,
	SG_DET_EXEC,		/* a process started (execve) */
	SG_DET_LISTEN,		/* a socket bound and listening (TCP) or bound (UDP) */
	SG_DET_PKTSOCK,		/* a packet or raw socket created or found */
};

/* SG_DET_EXEC exe_flags */
#define SG_EXE_DELETED		0x1	/* the file was unlinked (" (deleted)") */
#define SG_EXE_MEMFD		0x2	/* a memfd_create() file, no path on disk */
#define SG_EXE_WW_DIR		0x4	/* in a world-writable directory (/tmp, /dev/shm) */

/* One of a process's standard streams, when it is an inet socket. */
struct sg_obs_stdio {
	bool is_socket;
	__u16 family;			/* AF_INET, AF_INET6, AF_UNIX, ... */
	struct in6_addr peer;		/* v4-mapped for AF_INET */
	__u16 port;
};

enum sg_obs_dir {
	SG_DIR_UNKNOWN,	/* treated as outbound */
	SG_DIR_OUT,	/* the subject opened it (Zeek local_orig T) */
	SG_DIR_IN,	/* opened from outside (Zeek local_orig F) */
};

/* struct sg_obs.sock_filter */
#define SG_SOCK_FILTER_NONE	0
#define SG_SOCK_FILTER_CLASSIC	1	/* SO_ATTACH_FILTER */
#define SG_SOCK_FILTER_EBPF	2	/* SO_ATTACH_BPF: a SOCKET_FILTER program */

/* Addresses are IPv6, IPv4 as v4-mapped (::ffff:a.b.c.d). */
struct sg_obs {
	enum sg_det_kind kind;
	double ts;			/* seconds since the epoch */
	const char *subject;		/* who: source address offline, unit or exe live */
	/* Live only: the process (NULL / 0 when unknown). */
	const char *exe;		/* executable path */
	const char *unit;		/* systemd unit */
	__u32 pid, uid;
	struct in6_addr src;
	struct in6_addr dst;
	/* The addresses as text when the decoder has them (canonical form), or NULL. */
	const char *src_str, *dst_str;
	__u16 dport;
	__u8 proto;			/* IPPROTO_TCP, IPPROTO_UDP, 0 unknown */
	enum sg_obs_dir dir;
	bool failed;			/* no session established (Zeek S0, REJ, ...) */
	__u64 bytes_out;		/* payload bytes subject -> destination */
	__u64 bytes_in;
	/*
	 * Live TCP: the connection's identity (the socket cookie), 0 when
	 * none. A connection fed with an id is counted at its start; its end
	 * (conn_end, the bytes) then only adds the bytes to it. An end whose
	 * start was never fed (dropped, or before the daemon) is counted as a
	 * connection of its own, at ts.
	 */
	__u64 conn_id;
	bool conn_end;
	const char *juris;		/* destination jurisdiction, NULL if unknown */
	/* SG_DET_DNS */
	const char *qname;		/* query name, NULL or "" if none */
	unsigned int n_answers;
	struct in6_addr answers[SG_DETECT_ANSWERS_MAX];
	/* SG_DET_EXEC: exe, pid, uid, unit above and */
	__u64 exe_dev, exe_ino;
	double exe_mtime;
	__u32 exe_flags;		/* SG_EXE_* */
	__u32 ppid;
	const char *parent_exe;
	struct sg_obs_stdio stdio[3];	/* stdin, stdout, stderr */
	/* SG_DET_LISTEN: src and proto above, and the local port */
	__u16 lport;
	/* SG_DET_PKTSOCK */
	int sock_family, sock_type, sock_proto;
	__u8 sock_filter;		/* a filter is attached: SG_SOCK_FILTER_* */
	__u64 sock_netns;		/* sweep: its network namespace's inode, 0 unknown */
};

enum sg_allow_kind {
	SG_ALLOW_PREFIX,	/* destination address in prefix */
	SG_ALLOW_NAME,		/* destination name matches pattern (fnmatch) */
	SG_ALLOW_SOURCE,	/* source address in prefix, or subject matches pattern */
	SG_ALLOW_EXE,		/* executable path matches pattern */
	SG_ALLOW_UNIT,		/* systemd unit matches pattern */
};

struct sg_detect_allow {
	int heur;			/* enum sg_heur, or -1 for every heuristic */
	enum sg_allow_kind kind;
	bool is_prefix;			/* SOURCE: prefix rather than pattern */
	struct in6_addr addr;
	unsigned int plen;		/* prefix length on the v6 (mapped) address */
	char pattern[SG_DETECT_NAME_MAX];
};

struct sg_beacon_config {
	unsigned int min_conns;		/* distinct seconds in the window to score */
	unsigned int max_points;	/* per series; oldest dropped beyond */
	bool skip_failed;		/* leave out connections with no session */
	bool inbound;			/* also score inbound connections */
	bool fill;			/* weigh the ts score by the interval fill */
	bool dispersion;		/* weigh the ts score by the interval dispersion */
	double cv_full, cv_zero;	/* interval CV of a full / a zero dispersion factor */
	double ts_weight, ds_weight, hist_weight, dur_weight;
	double hist_mode_sensitivity;
	unsigned int hist_bimodal_outlier_removal;
	unsigned int hist_bimodal_min_hours;
	unsigned int dur_min_hours;
	unsigned int dur_ideal_hours;
};

struct sg_exfil_config {
	__u64 min_bytes;		/* bytes out in the window */
	double min_ratio;		/* bytes out / (bytes in + 1) */
};

struct sg_dnstun_config {
	unsigned int min_unique;	/* unique names under one domain */
	unsigned int min_len;		/* mean length of the part under the domain */
	double min_entropy;		/* mean Shannon entropy, bits per character */
	unsigned int max_unique_kept;	/* per domain, for the unique count */
};

struct sg_dnsless_config {
	unsigned int min_conns;
	double max_age;			/* a DNS answer older than this does not count */
};

struct sg_firstseen_config {
	double learn;			/* seconds of learning from the baseline's start */
	unsigned int max_entries;	/* executables and listeners in the baseline */
};

struct sg_list_config {
	unsigned int n;
	char name[SG_DETECT_LIST_MAX][SG_DETECT_NAME_MAX];	/* fnmatch on the basename */
};

struct sg_listen_pair {
	char exe[SG_DETECT_NAME_MAX];	/* fnmatch on the path, or on the basename without '/' */
	int port;			/* -1 for any */
};

/*
 * The optional response (the daemon's, docs/detection.md "Quarantine"): an
 * alert at or above min_score from one of the heuristics in heur[] adds a
 * deny rule for its subject, or for its subject and destination address.
 */
enum sg_quarantine_mode {
	SG_QUARANTINE_OFF,
	SG_QUARANTINE_SUBJECT,		/* the subject, every destination */
	SG_QUARANTINE_DESTINATION,	/* the subject to the alert's destination address */
};

#define SG_QUARANTINE_MAX	1024	/* the most detect.quarantine.max may say */

struct sg_quarantine_config {
	enum sg_quarantine_mode mode;
	unsigned int min_score;
	bool heur[SG_HEUR_MAX];		/* heuristics whose alerts may quarantine */
	unsigned int max;		/* quarantines in force at once */
};

struct sg_detect_config {
	bool on[SG_HEUR_MAX];
	unsigned int min_score[SG_HEUR_MAX];
	double window;			/* seconds of history every heuristic looks at */
	double flush_every;		/* offline: score every this many seconds of log time */
	unsigned int max_series;	/* entries per heuristic table */
	unsigned int max_dns;		/* answer addresses remembered */
	__u64 max_points_total;		/* beacon points over all series */
	unsigned int max_alerts;	/* alerts kept by the analyze sink */
	struct sg_beacon_config beacon;
	struct sg_exfil_config exfil;
	struct sg_dnstun_config dnstun;
	struct sg_dnsless_config dnsless;
	struct sg_firstseen_config firstseen;
	struct sg_list_config shells;		/* revshell: shells and interpreters */
	struct sg_list_config capture;		/* pktsock: known capture tools */
	struct sg_list_config hook_modules;	/* hookscan: modules expected to hook */
	bool listener_learn;			/* listener: learn a baseline like firstseen */
	bool pktsock_all_netns;			/* sweep every network namespace, not ours only */
	unsigned int n_listen_allow;
	struct sg_listen_pair listen_allow[SG_DETECT_PAIRS_MAX];
	double suppress;			/* repeats of one alert within this are counted */
	unsigned int max_suppress;		/* alerts remembered for that */
	char state_dir[SG_DETECT_PATH_MAX];	/* baseline and alert store */
	__u64 alerts_max_bytes;			/* alerts.jsonl rotation size */
	unsigned int n_allow;
	struct sg_detect_allow allow[SG_DETECT_ALLOW_MAX];
	/* Last: the engine does not use it, a change of it alone does not rebuild it. */
	struct sg_quarantine_config quarantine;
};

const char *sg_quarantine_mode_name(enum sg_quarantine_mode m);

/* Defaults: every heuristic on, the constants of docs/detection.md. */
void sg_detect_config_init(struct sg_detect_config *cfg);

/*
 * One "key = value" setting; keys start with "detect.". Return: 0, -ENOENT
 * for a key that is not detection's (the caller may own it), -EINVAL for a
 * bad value (message in err, up to errlen bytes).
 */
int sg_detect_config_set(struct sg_detect_config *cfg, const char *key, const char *value,
			 char *err, size_t errlen);

/* The checks across keys, for a configuration set key by key. */
int sg_detect_config_check(const struct sg_detect_config *cfg, const char *path, FILE *errf);

const char *sg_heur_name(enum sg_heur h);

struct sg_alert {
	enum sg_heur heur;
	unsigned int score;		/* 0-100 */
	const char *src;		/* subject */
	const char *dst;		/* address, name, domain or jurisdiction */
	double ts_first, ts_last;
	struct json_object *evidence;	/* borrowed: take a reference to keep it */
	/* Live only, NULL / 0 when unknown. */
	const char *unit, *exe;
	__u32 pid, uid;
	const char *dst_country, *dst_asn, *dst_zones, *dst_name;
	/* A summary of repeats suppressed within detect.suppress: their count. */
	__u64 repeats;
	/* dst is the subject's own (listening) address, not where it connects to. */
	bool dst_local;
	/* Live only: the quarantine this alert put in force or found in force (0: none). */
	__u32 quarantine;
};

struct sg_detect_sink {
	void (*alert)(void *ctx, const struct sg_alert *a);
	void *ctx;
};

struct sg_detect_stats {
	__u64 conns, dns;		/* observations fed */
	__u64 ignored;			/* observations no heuristic used */
	__u64 evicted[SG_HEUR_MAX];	/* entries evicted at a table cap */
	__u64 evicted_dns;		/* DNS answers evicted */
	__u64 points_dropped;		/* beacon points dropped at max_points */
	__u64 stale;			/* exfil: older than its bucket's slice, not summed */
	__u64 allowed[SG_HEUR_MAX];	/* observations an allow-list entry covered */
	__u64 candidates[SG_HEUR_MAX];	/* series scored at least once */
	__u64 alerts[SG_HEUR_MAX];
	__u64 entries[SG_HEUR_MAX];	/* current table sizes */
	__u64 execs, listens, pktsocks;	/* process observations fed */
	__u64 evicted_procs;		/* process table entries evicted */
	__u64 suppressed;		/* repeats counted instead of alerted */
	__u64 summaries;		/* summaries of suppressed repeats */
	__u64 baseline_corrupt;		/* baseline files refused on load */
	__u64 baseline_full;		/* executables not learned at the baseline cap */
	__u64 sweeps, sweep_errors;	/* packet socket sweeps */
	__u64 conn_ends;		/* ends added to a connection counted at its start */
	__u64 conn_ends_lost;		/* of which one its beacon point had left */
	__u64 open, evicted_open;	/* connections waiting for their end */
	__u64 dns_entries, procs, suppress_entries;	/* the engine's own tables */
	__u64 mem_bytes;		/* heap held by every table and scratch buffer */
	__u64 sweep_netns;		/* network namespaces swept */
	__u64 sweep_netns_skipped;	/* not swept: beyond the cap, or not entered */
	__u64 sweep_unasked;		/* sockets not asked for an eBPF filter */
};

/*
 * The JSON form of an alert: {"heuristic", "score", "src", "dst", "first",
 * "last" (ISO 8601 UTC), "evidence"}, and "quarantine" (its id) when the
 * alert put its subject in quarantine; NULL on ENOMEM. The caller owns it.
 */
struct json_object *sg_alert_json(const struct sg_alert *a);
#define SG_ALERT_TIME_MAX 32
void sg_alert_time(double ts, char buf[SG_ALERT_TIME_MAX]);
/* A sink writing sg_alert_json() of each alert as one line to f. */
struct sg_detect_sink sg_detect_sink_json_lines(FILE *f);

/*
 * journald: one alert as a journal entry with SOVGUARD_ALERT=<heuristic>,
 * SOVGUARD_SCORE, SOVGUARD_SUBJECT_UNIT/EXE/PID/UID, SOVGUARD_DST,
 * SOVGUARD_DST_COUNTRY/ASN/ZONES/NAME when known, SOVGUARD_REPEATS for a
 * summary, SOVGUARD_QUARANTINE (its id) when the alert quarantined its
 * subject, and SOVGUARD_EVIDENCE (JSON); to stderr as one JSON line when
 * journald does not take it. Return: 0 to the journal, 1 to stderr.
 */
int sg_alert_journal(const struct sg_alert *a);
struct sg_detect_sink sg_detect_sink_journal(void);

/*
 * The alert store: STATE_DIR/alerts.jsonl, one sg_alert_json() per line,
 * rotated to alerts.jsonl.1 at detect.alerts.max_bytes; each new file
 * starts with {"rotated": TIME, "dropped": N}, N the alerts rotation has
 * deleted since the store began (the latest such line has the total).
 */
#define SG_ALERTS_FILE		"alerts.jsonl"
#define SG_ALERTS_LINE_MAX	65536

struct sg_alert_store;

int sg_alert_store_open(const char *state_dir, __u64 max_bytes, struct sg_alert_store **ret);
void sg_alert_store_close(struct sg_alert_store *s);
int sg_alert_store_write(struct sg_alert_store *s, const struct sg_alert *a);
/* A sink writing to the store (errors counted in the store). */
struct sg_detect_sink sg_alert_store_sink(struct sg_alert_store *s);
__u64 sg_alert_store_errors(const struct sg_alert_store *s);
/* The daemon's sink: each alert to the store (when not NULL) and to the journal. */
struct sg_detect_sink sg_detect_sink_live(struct sg_alert_store *store);

/*
 * Read PATH.1 then PATH, calling cb for each alert whose "last" is at or
 * after since (seconds since the epoch; 0 for all); rotation lines go to
 * cb with "rotated" set. Malformed lines are reported to errf as
 * file:line: reason and skipped. Return: number of malformed lines
 * (0 when clean) or negative errno; the callback's non-zero stops the read
 * and is returned.
 */
int sg_alerts_read(const char *path, double since, FILE *errf,
		   int (*cb)(void *ctx, struct json_object *alert), void *ctx);
/*
 * "2024-05-01T10:00:00Z", an ISO 8601 time with an offset or a date, or an
 * age before now: "90s", "30m", "1h", "2d", "1w".
 */
int sg_alerts_parse_since(const char *s, double now, double *ret);
/* `sovguardctl alerts`: argv[0] is "alerts". Return: 0 or negative errno. */
int sg_detect_alerts_main(int argc, char **argv, bool json);

struct sg_detect;

/* Return: 0 or negative errno; *ret untouched on failure. */
int sg_detect_new(const struct sg_detect_config *cfg, const struct sg_detect_sink *sink,
		  struct sg_detect **ret);
void sg_detect_free(struct sg_detect *d);

/* Feed one observation; time may go back a little (logs are not sorted). */
int sg_detect_feed(struct sg_detect *d, const struct sg_obs *o);

/*
 * Score every series at time now and hand the alerts to the sink. The live
 * daemon calls it on a timer; analyze every flush_every seconds of log
 * time and once at the end.
 */
void sg_detect_flush(struct sg_detect *d, double now);

void sg_detect_get_stats(const struct sg_detect *d, struct sg_detect_stats *st);

/*
 * The learned baseline (firstseen executables, listener exe/port pairs) in
 * STATE_DIR/baseline: load at start, save periodically and at exit (atomic
 * rename). A corrupt file is reported to errf as file:line, counted in
 * baseline_corrupt, and learning starts again. Return: 0 (also for a
 * missing or corrupt file) or negative errno.
 */
#define SG_BASELINE_FILE	"baseline"
int sg_detect_baseline_load(struct sg_detect *d, FILE *errf);
int sg_detect_baseline_save(struct sg_detect *d);

/*
 * Sweep the packet sockets (sock_diag) of every network namespace a process
 * is in (of ours only with detect.pktsock.all_netns off), map them to
 * processes through /proc/PID/fd, ask the holder's socket for an eBPF
 * filter, and feed each as an SG_DET_PKTSOCK at time now, so a
 * packet-socket backdoor started before sovguard is found.
 * Return: sockets found or negative errno (counted in sweep_errors).
 */
int sg_detect_sweep_packet(struct sg_detect *d, double now);

/* A netfilter hook the kernel module's integrity scan flagged. */
struct sg_hook_flag {
	const char *module;		/* owning module, NULL for code in no module */
	int pf;				/* NFPROTO_* */
	unsigned int hooknum;
	int priority;
	const char *reason;		/* what the scan saw, or NULL */
};

/* Report it as a hookscan alert through the engine's sink. Return: 0 or -EINVAL. */
int sg_detect_hook(struct sg_detect *d, const struct sg_hook_flag *h, double now);

struct sg_detect;

/* Format an address (v4-mapped as dotted quad). */
const char *sg_detect_addr_str(const struct in6_addr *a, char buf[SG_DETECT_ADDR_STR]);

/*
 * The address an alert's destination names: "ADDR", "ADDR:PORT" or
 * "[ADDR]:PORT"; not a listener's own address (dst_local), a name, a
 * domain or a jurisdiction. Return: true with *ret set.
 */
bool sg_alert_dst_addr(const struct sg_alert *a, struct in6_addr *ret);

/* The name the latest DNS answer the engine holds gave address @a, or NULL. */
const char *sg_detect_name_of(struct sg_detect *d, const struct in6_addr *a);

/*
 * Offline analysis of Zeek logs: paths are conn.* / dns.* files or
 * directories of them (searched SG_ANALYZE_DEPTH_MAX deep); files are read
 * in path order, each conn file merged in time with the dns file of the same
 * directory and suffix. Alerts go to sink as the engine emits them.
 */
#define SG_ANALYZE_FILES_MAX	100000
#define SG_ANALYZE_DEPTH_MAX	4

struct sg_analyze {
	const struct sg_detect_config *cfg;
	struct sg_detect_sink sink;
	FILE *errf;			/* errors as file:line: message */
	/* results */
	unsigned long long files, lines, records;
	double first_ts, last_ts;
	struct sg_detect_stats stats;
};

/* Return: 0 when the analysis ran to the end, negative errno otherwise. */
int sg_detect_analyze_paths(struct sg_analyze *a, char *const *paths, size_t n);

/*
 * How analyze reads --config FILE: the detect.* settings of a sovguard.conf
 * as the daemon reads it (sovguardctl passes sg_config_load_detect(), so
 * that one parser reads the file). Return: 0 or negative errno, reported.
 */
typedef int (*sg_detect_config_loader)(const char *path, struct sg_detect_config *ret,
				       FILE *errf);

/* `sovguardctl analyze`: argv[0] is "analyze". Return: 0 or negative errno. */
int sg_detect_analyze_main(int argc, char **argv, bool json, sg_detect_config_loader load);

#endif
