/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sovguard policy engine: the rule language and the jurisdiction data.
 *
 * A pure userspace library (no kernel, no BPF). It yields two immutable
 * objects that a compiler turns into maps:
 *
 *   struct sg_data    sorted, non-overlapping address ranges, each with a
 *                     country, an operator ASN, flags and the source that
 *                     answered; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d),
 *                     so there is one 128-bit address space and one table.
 *   struct sg_policy  the rules in order. Every destination is made of atoms
 *                     (country, ASN, prefix, flag) from one de-duplicated
 *                     table, so the address space can be partitioned by the
 *                     set of atoms each address matches.
 *
 * Errors are negative errno. Diagnostics go to a caller's FILE as
 * "file:line:col: message", every error found, capped at SG_MAX_ERRORS.
 * The language is documented in docs/rules.md.
 */
#ifndef SG_POLICY_H
#define SG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "sovguard_egress.h"	/* enum sg_verdict, SG_RULES_MAX: the ABI */

/* Limits on everything a user controls. */
#define SG_MAX_ERRORS		50u		/* diagnostics printed before giving up */
#define SG_MAX_FILE_SIZE	(1u << 20)	/* bytes per rules file */
#define SG_MAX_FILES		256u		/* *.rules files in a directory */
#define SG_MAX_LINE_LEN		4096u		/* bytes per line, newline excluded */
#define SG_MAX_TOKENS		1024u		/* tokens per line */
#define SG_MAX_RULES		SG_RULES_MAX	/* rules in the whole set: what the kernel holds */
#define SG_MAX_ZONES		1024u		/* user zones in the whole set */
#define SG_MAX_ZONE_ITEMS	4096u		/* direct items of one zone */
#define SG_MAX_ZONE_DEPTH	32u		/* zone-in-zone nesting */
#define SG_MAX_DEST_ITEMS	256u		/* items after `to` or `operator` */
#define SG_MAX_PORT_RANGES	32u		/* ranges after `port` */
#define SG_MAX_NAME_LEN		64u		/* zone and rule names */
#define SG_MAX_PATH_LEN		4096u		/* exe and cgroup paths */
#define SG_MAX_UNIT_LEN		256u		/* systemd unit names (systemd's own limit) */
#define SG_MAX_DATA_LINE_LEN	1024u		/* bytes per line of a text data file */
#define SG_MAX_DATA_RANGES	(16u << 20)	/* ranges from all data sources */
#define SG_MAX_DATA_SOURCES	16u		/* data files loaded together */
#define SG_MAX_DATA_LABELS	1024u		/* zone labels in CIDR lists */

/* ---------------------------------------------------------------------------
 * Inputs: every configuration, rules and data file is opened through
 * sg_input_open() (input.c), which refuses what is not a regular file and
 * what someone other than root or the caller's user can change.
 */

#define SG_INPUT_DIR		(1u << 0)	/* open a directory, not a file */
#define SG_INPUT_MSG_LEN	512u		/* room for sg_input_open()'s reason */

struct stat;

int sg_input_open(const char *path, unsigned int flags, struct stat *ret_st, char *msg,
		  size_t len);

/* ---------------------------------------------------------------------------
 * Jurisdiction data
 */

enum sg_source_kind {
	SG_SRC_AUTO = 0,	/* detect from the file's content */
	SG_SRC_LIBLOC,		/* IPFire location database (libloc) */
	SG_SRC_MMDB,		/* MaxMind / DB-IP MMDB (libmaxminddb) */
	SG_SRC_TOR_GEOIP,	/* Tor geoip (IPv4 integers) or geoip6 file */
	SG_SRC_CIDR,		/* "PREFIX [CC|ZONE] [asN]" per line */
};

const char *sg_source_kind_name(enum sg_source_kind kind);

/* Network flags, as libloc has them. */
#define SG_FLAG_ANONYMOUS_PROXY	(1u << 0)
#define SG_FLAG_SATELLITE	(1u << 1)
#define SG_FLAG_ANYCAST		(1u << 2)
#define SG_FLAG_DROP		(1u << 3)
#define SG_FLAG_ALL		0x0fu

/* Where the built-in defaults look for the libloc database, in order. */
#define SG_LIBLOC_PATH_UPDATED	"/var/lib/location/database.db"
#define SG_LIBLOC_PATH_PACKAGED	"/usr/share/libloc-location/location.db"
/* IPFire's public signing key, where Debian's `location` package installs it. */
#define SG_LIBLOC_KEY_PATH	"/var/lib/location/signing-key.pem"

/*
 * What may be loaded without a verified signature. Only libloc databases
 * carry one; MMDB, Tor geoip and CIDR lists cannot. A libloc signature that
 * fails to verify is refused whatever this says.
 */
enum sg_unsigned_policy {
	SG_UNSIGNED_REFUSE = 0,	/* every source verified against the key */
	SG_UNSIGNED_UNSIGNABLE,	/* also formats that have no signature */
	SG_UNSIGNED_ALLOW,	/* also unsigned libloc, or one whose key is unusable */
};

/* How a loaded source's provenance was established. */
enum sg_sig_state {
	SG_SIG_NONE = 0,	/* not loaded */
	SG_SIG_VERIFIED,	/* libloc signature verified against the key */
	SG_SIG_UNSIGNED,	/* no signature (format or file), allowed by config */
	SG_SIG_UNVERIFIED,	/* signed, but the key was unusable; allowed by config */
};

const char *sg_sig_state_name(enum sg_sig_state sig);
int sg_unsigned_policy_parse(const char *s, enum sg_unsigned_policy *ret);
const char *sg_unsigned_policy_name(enum sg_unsigned_policy p);

/* One row of the table. cc is "" (all zero) when the source has no country. */
struct sg_range {
	struct in6_addr first;
	struct in6_addr last;
	uint32_t asn;		/* 0: unknown */
	char cc[2];		/* ISO 3166 alpha-2, upper case */
	uint8_t flags;		/* SG_FLAG_* */
	uint8_t source;		/* index into sg_data_source() */
	uint16_t label;		/* 0: none; else sg_data_label(label) */
	uint16_t pad;
};

struct sg_source_info {
	enum sg_source_kind kind;
	const char *path;
	time_t created;		/* as the data says, else the file's mtime */
	size_t nr_networks;	/* networks read before overlap resolution */
	enum sg_sig_state sig;
};

struct sg_load_opts {
	enum sg_source_kind kind;
	time_t now;		/* 0: time(NULL) */
	time_t warn_age;	/* seconds; 0: no warning */
	time_t max_age;		/* seconds; 0: any age; older is -ESTALE */
	const char *key;	/* PEM public key for libloc; NULL: SG_LIBLOC_KEY_PATH */
	enum sg_unsigned_policy unsigned_data;
};

struct sg_lookup {
	char cc[3];		/* NUL-terminated; "" when unknown */
	uint32_t asn;
	uint8_t flags;
	int source;		/* -1: no range covers the address */
	uint16_t label_id;	/* 0: none; as in struct sg_range */
	const char *label;	/* NULL: none */
};

struct sg_data;

int sg_data_new(struct sg_data **ret);
void sg_data_free(struct sg_data *d);
/*
 * Read one source; diagnostics (with the path) to diag. NULL opts are the
 * zero opts: detect the kind, refuse what does not verify against
 * SG_LIBLOC_KEY_PATH (-EBADMSG: unsigned or bad signature, -ENOKEY: the key
 * is unusable).
 */
int sg_data_load(struct sg_data *d, const char *path, const struct sg_load_opts *opts,
		 FILE *diag);
/* Same from memory (fuzzers, tests); name is used in diagnostics. */
int sg_data_load_buffer(struct sg_data *d, const char *name, const void *buf, size_t len,
			const struct sg_load_opts *opts, FILE *diag);
/* path NULL: SG_LIBLOC_PATH_UPDATED if readable, else SG_LIBLOC_PATH_PACKAGED. */
int sg_data_load_default(struct sg_data *d, const char *path, const struct sg_load_opts *opts,
			 FILE *diag);
/* Resolve overlaps (most specific wins) in one sweep; the data is then immutable. */
int sg_data_finish(struct sg_data *d);

size_t sg_data_nr_ranges(const struct sg_data *d);
const struct sg_range *sg_data_ranges(const struct sg_data *d);
size_t sg_data_nr_sources(const struct sg_data *d);
const struct sg_source_info *sg_data_source(const struct sg_data *d, unsigned int idx);
const char *sg_data_label(const struct sg_data *d, unsigned int label);
int sg_data_find_label(const struct sg_data *d, const char *name);
bool sg_data_has_asn(const struct sg_data *d, uint32_t asn);
bool sg_data_has_asn_info(const struct sg_data *d);
int sg_data_lookup(const struct sg_data *d, const struct in6_addr *addr, struct sg_lookup *ret);

/* IPv4 as IPv4-mapped, IPv6 as is. */
int sg_addr_parse(const char *s, struct in6_addr *ret);
/*
 * The first @n bytes of @s, "a.b.c.d/n" or "x::/n" or a bare address, into
 * @addr (IPv4 mapped) and @len (of the 128 bits, so 96 + n for IPv4): 0,
 * -EINVAL, -ERANGE for a length too long, -EDOM for host bits set.
 */
int sg_prefix_parse(const char *s, size_t n, struct in6_addr *addr, uint8_t *len);
bool sg_country_valid(const char *cc);

/* ---------------------------------------------------------------------------
 * Policy
 */

#define SG_PROTO_TCP	(1u << 0)
#define SG_PROTO_UDP	(1u << 1)
#define SG_PROTO_UDPLITE (1u << 2)	/* `udplite` alone; `udp` names it too */
#define SG_PROTO_ICMP	(1u << 3)	/* ICMP and ICMPv6: ping sockets, raw ICMP */
#define SG_PROTO_RAW	(1u << 4)	/* every other IP protocol (raw sockets) */
#define SG_PROTO_ANY	(SG_PROTO_TCP | SG_PROTO_UDP | SG_PROTO_UDPLITE | SG_PROTO_ICMP | \
			 SG_PROTO_RAW)
/*
 * Socket creation (`socket raw`, `socket ping`): a rule of its own kind,
 * decided at socket() and never for a packet; not in SG_PROTO_ANY.
 */
#define SG_PROTO_SOCKET	(1u << 5)
/* Protocols with ports: a rule naming ports names only these. */
#define SG_PROTO_PORTED	(SG_PROTO_TCP | SG_PROTO_UDP | SG_PROTO_UDPLITE)

enum sg_atom_kind {
	SG_ATOM_COUNTRY = 1,	/* located in country */
	SG_ATOM_ASN,		/* operated by AS */
	SG_ATOM_PREFIX,		/* address in prefix */
	SG_ATOM_FLAG,		/* network carries flag */
	SG_ATOM_LABEL,		/* labelled in a CIDR list */
};

struct sg_atom {
	enum sg_atom_kind kind;
	union {
		char cc[3];	/* upper case, NUL-terminated */
		uint32_t asn;
		struct {
			struct in6_addr addr;	/* masked */
			uint8_t len;		/* 0..128, IPv4 as len + 96 */
		} prefix;
		uint8_t flag;
		uint16_t label;
	};
};

/* A term matches if the address matches any of its atoms, inverted if negated. */
struct sg_term {
	bool negated;
	uint32_t nr_atoms;
	const uint32_t *atoms;		/* indexes into policy->atoms, ascending */
};

/* A set of terms matches if any term does; an empty set matches everything. */
struct sg_dest {
	uint32_t nr_terms;
	const struct sg_term *terms;
};

#define SG_SUBJ_UNIT	(1u << 0)
#define SG_SUBJ_CGROUP	(1u << 1)
#define SG_SUBJ_EXE	(1u << 2)
#define SG_SUBJ_UID	(1u << 3)
#define SG_SUBJ_GID	(1u << 4)

/* All the present parts must match; mask 0 is everything. */
struct sg_subject {
	uint32_t mask;
	const char *unit;
	const char *cgroup;	/* absolute, no trailing '/', subtree match */
	const char *exe;	/* matched by (st_dev, st_ino) of this path */
	uid_t uid;
	gid_t gid;
};

struct sg_port_range {
	uint16_t lo, hi;
};

struct sg_rule {
	uint32_t index;			/* position in the set, from 0 */
	const char *id;			/* "file:line", stable */
	const char *name;		/* NULL when unnamed */
	const char *file;		/* basename of the rules file */
	uint32_t line;
	enum sg_verdict verdict;
	struct sg_subject subject;
	struct sg_dest located;		/* `to ...` */
	struct sg_dest operator;	/* `operator ...` */
	uint8_t proto_mask;		/* SG_PROTO_*, never 0 */
	uint8_t socket_mask;		/* SG_PROTO_SOCKET: bit SG_SOCKET_* of each kind */
	uint32_t nr_ports;		/* 0: any port */
	const struct sg_port_range *ports;
};

struct sg_zone {
	const char *name;
	bool builtin;
	const char *defined_at;		/* "file:line", or "built-in" */
	uint32_t nr_atoms;
	const uint32_t *atoms;		/* flattened union, ascending */
};

struct sg_policy {
	uint32_t nr_rules;
	const struct sg_rule *rules;
	uint32_t nr_atoms;
	const struct sg_atom *atoms;
	uint32_t nr_zones;		/* user zones and the built-ins */
	const struct sg_zone *zones;
	enum sg_verdict default_verdict;
	const char *default_id;		/* "file:line", or "implicit" */
	void *priv;
};

struct sg_parser;

/*
 * data may be NULL: then ASNs and CIDR-list labels cannot be checked and
 * are refused (check-config always passes data).
 */
int sg_parser_new(const struct sg_data *data, FILE *diag, struct sg_parser **ret);
void sg_parser_free(struct sg_parser *p);
/* name: the path shown in diagnostics; its basename goes into rule ids. */
int sg_parser_add_buffer(struct sg_parser *p, const char *name, const char *buf, size_t len);
int sg_parser_add_file(struct sg_parser *p, const char *path);
/*
 * One generated rule line (no newline), not a file: its id is
 * "NAME:LINENO" (the daemon's quarantine rules are "quarantine:ID").
 */
int sg_parser_add_line(struct sg_parser *p, const char *name, uint32_t lineno, const char *text);
/* Resolve zones, check the set; -EINVAL if any error was reported. */
int sg_parser_finish(struct sg_parser *p, struct sg_policy **ret);
unsigned int sg_parser_nr_errors(const struct sg_parser *p);

/* "allow", "deny", "audit"; "unknown" out of range. */
const char *sg_verdict_name(enum sg_verdict v);

/*
 * Every *.rules in @dir, in lexical (strcmp) order, every error reported.
 * Return: 0; the error of the first input that could not be read
 * (sg_input_unreadable()); -EINVAL for anything else wrong.
 */
int sg_policy_load_dir(const char *dir, const struct sg_data *data, FILE *diag,
		       struct sg_policy **ret);
/* The same with rules that @pre adds ahead of the directory's (NULL: none). */
int sg_policy_load_dir_pre(const char *dir, const struct sg_data *data,
			   int (*pre)(struct sg_parser *p, void *ctx), void *ctx, FILE *diag,
			   struct sg_policy **ret);
void sg_policy_free(struct sg_policy *pol);
const struct sg_zone *sg_policy_find_zone(const struct sg_policy *pol, const char *name);

/* ---------------------------------------------------------------------------
 * Reference evaluator: first match over the rule list, no compilation.
 */

struct sg_subject_info {
	const char *cgroup;	/* cgroup v2 path, e.g. /system.slice/x.service */
	const char *unit;	/* NULL: derived from cgroup */
	dev_t exe_dev;		/* identity of the executable; 0/0: unknown */
	ino_t exe_ino;
	uid_t uid;
	gid_t gid;
};

struct sg_decision {
	enum sg_verdict verdict;
	int rule;		/* index, -1 for the default */
	const char *id;		/* rule id, or the default's */
};

int sg_ref_decide(const struct sg_policy *pol, const struct sg_data *data,
		  const struct sg_subject_info *subj, const struct in6_addr *addr, uint16_t port,
		  uint8_t proto, struct sg_decision *ret);

/* A NAT64 prefix of the configuration: nat64_prefix = ADDR/LEN. */
struct sg_nat64 {
	struct in6_addr addr;	/* masked to len */
	uint8_t len;		/* 32, 40, 48, 56, 64 or 96 */
};

/*
 * The IPv4 address that the IPv6 destination @addr embeds (the table in
 * include/sovguard_egress.h, "Embedded IPv4"), written out bit by bit from
 * the RFCs as the reference for bpf/decide.h's sg_embedded(): the kind
 * (enum sg_embed_kind) and, for every kind but SG_EMBED_NONE, the IPv4
 * address in @v4 as IPv4-mapped. @nat64: the configured prefixes, tried
 * first, in order.
 */
int sg_ref_embedded(const struct in6_addr *addr, const struct sg_nat64 *nat64, unsigned int n,
		    struct in6_addr *v4);
/* "nat64" for "2001:db8:64::/96": 0, -EINVAL, or -EDOM for a length RFC 6052 has not. */
int sg_nat64_parse(const char *s, struct sg_nat64 *ret);
/* The image's embed block for @n configured prefixes (at most SG_NAT64_PREFIXES_MAX). */
int sg_nat64_block(const struct sg_nat64 *nat64, unsigned int n, struct sg_embed_blk *ret);
/* "mapped", "nat64", "6to4", "nat64-local", "teredo"; NULL for none. */
const char *sg_embed_name(unsigned int kind);
/*
 * Whether an address with these data attributes matches one atom. Labels
 * compare by id, so policy and lookup must come from the same sg_data.
 * A compiler can fill info from a struct sg_range (cc, asn, flags, label).
 */
bool sg_atom_matches(const struct sg_atom *atom, const struct in6_addr *addr,
		     const struct sg_lookup *info);

/* ---------------------------------------------------------------------------
 * check-config: the data and the rules, checked as the daemon would load
 * them, without touching the kernel.
 */

/*
 * Whether @err says an input could not be read (missing, not permitted,
 * an I/O error) rather than that what it holds is wrong: a pre-deploy gate
 * tells "the gate could not look" from "the configuration is bad".
 */
bool sg_input_unreadable(int err);

/*
 * Load the @nr data sources of @paths in order (nr 0: the default libloc
 * database) and finish the table. Return: 0, or the first source's error.
 */
int sg_data_load_list(struct sg_data *d, const char *const *paths, unsigned int nr,
		      const struct sg_load_opts *opts, FILE *diag);

struct sg_check_summary {
	uint32_t nr_rules;
	enum sg_verdict default_verdict;
	size_t nr_ranges;		/* of the jurisdiction data */
	size_t nr_sources;
};

/*
 * Load the data sources (as sg_data_load_list()), parse every rules file in
 * @rules_dir and print every diagnostic to @diag; nothing on success.
 * Return: 0 (@ret filled when not NULL); the error of an input that could
 * not be read (sg_input_unreadable()); else -EINVAL when anything is wrong.
 */
int sg_policy_check_dir(const char *rules_dir, const char *const *data, unsigned int nr_data,
			const struct sg_load_opts *opts, FILE *diag,
			struct sg_check_summary *ret);

#endif
