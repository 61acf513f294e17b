// SPDX-License-Identifier: GPL-2.0
/*
 * Detection settings: defaults and the "detect.* = value" keys
 * (docs/detection.md lists every key). The daemon's configuration parser
 * hands detection's keys to sg_detect_config_set(), for sovguardd and for
 * `sovguardctl analyze --config` alike (daemon/lib/config.c).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const heur_names[SG_HEUR_MAX] = {
	[SG_HEUR_BEACON] = "beacon",
	[SG_HEUR_EXFIL] = "exfil",
	[SG_HEUR_DNSTUN] = "dnstun",
	[SG_HEUR_DNSLESS] = "dnsless",
	[SG_HEUR_FIRSTSEEN] = "firstseen",
	[SG_HEUR_FILELESS] = "fileless",
	[SG_HEUR_REVSHELL] = "revshell",
	[SG_HEUR_LISTENER] = "listener",
	[SG_HEUR_PKTSOCK] = "pktsock",
	[SG_HEUR_HOOKSCAN] = "hookscan",
};

/* Shells and interpreters a reverse shell runs (basenames, fnmatch). */
static const char *const default_shells[] = {
	"sh", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "ash", "busybox",
	"python", "python[0-9]*", "perl", "perl5*", "ruby", "ruby[0-9]*", "php", "php[0-9]*",
	"lua", "lua[0-9]*", "node", "nodejs", "tclsh*", "awk", "gawk", "nc", "nc.*", "ncat",
	"netcat", "socat", "telnet", "openssl",
};

/* Programs that open filtered packet sockets by design. */
static const char *const default_capture[] = {
	"tcpdump", "dumpcap", "tshark", "wireshark", "dhclient", "dhcpcd", "dhcpd", "udhcpc",
	"systemd-networkd", "NetworkManager", "wpa_supplicant", "hostapd", "lldpd", "lldpad",
	"ladvd", "arpwatch", "zeek", "bro", "suricata", "snort", "p0f", "iftop", "nethogs",
	"keepalived", "dnsmasq", "radvd", "isc-dhcp-server", "kea-dhcp4", "kea-dhcp6",
	"systemd-timesyncd", "ptp4l", "ntpd", "chronyd",
};

/* Modules expected to own netfilter hooks. */
static const char *const default_hook_modules[] = {
	"sovguard", "nf_conntrack", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_nat", "nf_tables",
	"iptable_*", "ip6table_*", "arptable_*", "ebtable_*", "br_netfilter", "nft_*",
	"nf_synproxy_core", "ipt_*", "ip_vs", "nf_flow_table*", "selinux", "apparmor",
};

static void list_init(struct sg_list_config *l, const char *const *v, size_t n)
{
	size_t i;

	l->n = 0;
	for (i = 0; i < n && i < SG_DETECT_LIST_MAX; i++)
		snprintf(l->name[l->n++], SG_DETECT_NAME_MAX, "%s", v[i]);
}

const char *sg_heur_name(enum sg_heur h)
{
	return h < SG_HEUR_MAX ? heur_names[h] : "?";
}

static int heur_from_name(const char *s, size_t len)
{
	int h;

	for (h = 0; h < SG_HEUR_MAX; h++)
		if (strlen(heur_names[h]) == len && !strncmp(heur_names[h], s, len))
			return h;
	return -1;
}

void sg_detect_config_init(struct sg_detect_config *cfg)
{
	int h;

	memset(cfg, 0, sizeof(*cfg));
	for (h = 0; h < SG_HEUR_MAX; h++) {
		cfg->on[h] = true;
		cfg->min_score[h] = 50;
	}
	cfg->min_score[SG_HEUR_BEACON] = 85;
	cfg->window = 86400;
	cfg->flush_every = 3600;
	cfg->max_series = 65536;
	cfg->max_dns = 262144;
	cfg->max_points_total = 4000000;
	cfg->max_alerts = 100000;

	/* RITA v5 defaults (default-config.hjson), except min_conns. */
	cfg->beacon.min_conns = 36;
	cfg->beacon.max_points = 4096;
	cfg->beacon.skip_failed = true;
	cfg->beacon.inbound = false;
	cfg->beacon.fill = true;
	cfg->beacon.dispersion = true;
	cfg->beacon.cv_full = 0.4;
	cfg->beacon.cv_zero = 0.8;
	cfg->beacon.ts_weight = 0.25;
	cfg->beacon.ds_weight = 0.25;
	cfg->beacon.hist_weight = 0.25;
	cfg->beacon.dur_weight = 0.25;
	cfg->beacon.hist_mode_sensitivity = 0.05;
	cfg->beacon.hist_bimodal_outlier_removal = 1;
	cfg->beacon.hist_bimodal_min_hours = 11;
	cfg->beacon.dur_min_hours = 6;
	cfg->beacon.dur_ideal_hours = 12;

	cfg->exfil.min_bytes = 100ULL << 20;
	cfg->exfil.min_ratio = 20;

	cfg->dnstun.min_unique = 200;
	cfg->dnstun.min_len = 24;
	cfg->dnstun.min_entropy = 3.5;
	cfg->dnstun.max_unique_kept = 4096;

	cfg->dnsless.min_conns = 1;
	cfg->dnsless.max_age = 86400;

	cfg->min_score[SG_HEUR_FIRSTSEEN] = 50;
	cfg->firstseen.learn = 7 * 86400;
	cfg->firstseen.max_entries = 65536;
	cfg->listener_learn = true;
	cfg->pktsock_all_netns = true;
	list_init(&cfg->shells, default_shells, SG_ARRAY_SIZE(default_shells));
	list_init(&cfg->capture, default_capture, SG_ARRAY_SIZE(default_capture));
	list_init(&cfg->hook_modules, default_hook_modules, SG_ARRAY_SIZE(default_hook_modules));
	cfg->suppress = 3600;
	cfg->max_suppress = 65536;
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", "/var/lib/sovguard");
	cfg->alerts_max_bytes = 16ULL << 20;
	cfg->quarantine.mode = SG_QUARANTINE_OFF;
	cfg->quarantine.min_score = 90;
	cfg->quarantine.max = 64;
	for (h = 0; h < SG_HEUR_MAX; h++)
		cfg->quarantine.heur[h] = true;
}

const char *sg_quarantine_mode_name(enum sg_quarantine_mode m)
{
	static const char *const n[] = { "off", "subject", "destination" };

	return m < SG_ARRAY_SIZE(n) ? n[m] : "?";
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_u64(const char *v, __u64 min, __u64 max, __u64 *out)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static int parse_uint(const char *v, unsigned int min, unsigned int max, unsigned int *out)
{
	__u64 x;
	int r = parse_u64(v, min, max, &x);

	if (!r)
		*out = x;
	return r;
}

static int parse_double(const char *v, double min, double max, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || *end || !(x >= min && x <= max))
		return -EINVAL;
	*out = x;
	return 0;
}

/* "ADDR[/LEN]" as a v6 (v4-mapped) prefix. */
static int parse_prefix(const char *v, struct in6_addr *addr, unsigned int *plen)
{
	char buf[SG_DETECT_ADDR_STR + 8];
	struct in_addr a4;
	char *slash;
	unsigned int len, max;
	bool v4;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	v4 = inet_pton(AF_INET, buf, &a4) == 1;
	if (v4) {
		memset(addr, 0, sizeof(*addr));
		addr->s6_addr[10] = addr->s6_addr[11] = 0xff;
		memcpy(&addr->s6_addr[12], &a4, 4);
	} else if (inet_pton(AF_INET6, buf, addr) != 1) {
		return -EINVAL;
	}
	max = v4 ? 32 : 128;
	len = max;
	if (slash && parse_uint(slash, 0, max, &len))
		return -EINVAL;
	*plen = v4 ? len + 96 : len;
	return 0;
}

/* "HEUR|all prefix|name|source VALUE" */
static int parse_allow(struct sg_detect_config *cfg, const char *v, char *err, size_t errlen)
{
	struct sg_detect_allow *a;
	const char *p = v, *w;
	size_t n;

	if (cfg->n_allow >= SG_DETECT_ALLOW_MAX)
		return fail(err, errlen, "more than %d detect.allow entries", SG_DETECT_ALLOW_MAX);
	a = &cfg->allow[cfg->n_allow];
	memset(a, 0, sizeof(*a));
	n = strcspn(p, " \t");
	a->heur = n == 3 && !strncmp(p, "all", 3) ? -1 : heur_from_name(p, n);
	if (a->heur < 0 && !(n == 3 && !strncmp(p, "all", 3)))
		return fail(err, errlen, "detect.allow: unknown heuristic \"%.*s\"", (int)n, p);
	p += n;
	p += strspn(p, " \t");
	w = p;
	n = strcspn(p, " \t");
	p += n;
	p += strspn(p, " \t");
	if (!*p || p[strcspn(p, " \t")])
		return fail(err, errlen,
			    "detect.allow: expected HEURISTIC prefix|name|source|exe|unit VALUE");
	if (n == 6 && !strncmp(w, "prefix", 6)) {
		a->kind = SG_ALLOW_PREFIX;
		if (parse_prefix(p, &a->addr, &a->plen))
			return fail(err, errlen, "detect.allow: bad prefix \"%s\"", p);
		a->is_prefix = true;
	} else if (n == 4 && !strncmp(w, "name", 4)) {
		a->kind = SG_ALLOW_NAME;
	} else if (n == 6 && !strncmp(w, "source", 6)) {
		a->kind = SG_ALLOW_SOURCE;
		a->is_prefix = !parse_prefix(p, &a->addr, &a->plen);
	} else if (n == 3 && !strncmp(w, "exe", 3)) {
		a->kind = SG_ALLOW_EXE;
	} else if (n == 4 && !strncmp(w, "unit", 4)) {
		a->kind = SG_ALLOW_UNIT;
	} else {
		return fail(err, errlen,
			    "detect.allow: \"%.*s\" is not prefix, name, source, exe or unit",
			    (int)n, w);
	}
	if (strlen(p) >= sizeof(a->pattern))
		return fail(err, errlen, "detect.allow: value longer than %d", SG_DETECT_NAME_MAX - 1);
	strcpy(a->pattern, p);
	cfg->n_allow++;
	return 0;
}

/* "NAME..." replaces the list, "+ NAME..." adds to it. */
static int parse_list(struct sg_list_config *l, const char *key, const char *v, char *err,
		      size_t errlen)
{
	struct sg_list_config nl = { 0 };
	const char *p = v;
	size_t n;

	if (*p == '+') {
		nl = *l;
		p++;
	}
	for (;;) {
		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (!n)
			break;
		if (nl.n >= SG_DETECT_LIST_MAX)
			return fail(err, errlen, "%s: more than %d names", key, SG_DETECT_LIST_MAX);
		if (n >= SG_DETECT_NAME_MAX)
			return fail(err, errlen, "%s: name longer than %d", key,
				    SG_DETECT_NAME_MAX - 1);
		memcpy(nl.name[nl.n], p, n);
		nl.name[nl.n++][n] = 0;
		p += n;
	}
	*l = nl;
	return 0;
}

/* "EXE PORT|*" */
static int parse_listen_allow(struct sg_detect_config *cfg, const char *v, char *err,
			      size_t errlen)
{
	struct sg_listen_pair *lp;
	size_t n = strcspn(v, " \t");
	const char *port = v + n;
	unsigned int x;

	if (cfg->n_listen_allow >= SG_DETECT_PAIRS_MAX)
		return fail(err, errlen, "more than %d detect.listener.allow entries",
			    SG_DETECT_PAIRS_MAX);
	port += strspn(port, " \t");
	if (!n || n >= SG_DETECT_NAME_MAX || !*port)
		return fail(err, errlen, "detect.listener.allow: expected EXE PORT|*");
	lp = &cfg->listen_allow[cfg->n_listen_allow];
	if (!strcmp(port, "*"))
		lp->port = -1;
	else if (!parse_uint(port, 0, 65535, &x))
		lp->port = (int)x;
	else
		return fail(err, errlen, "detect.listener.allow: bad port \"%s\"", port);
	memcpy(lp->exe, v, n);
	lp->exe[n] = 0;
	cfg->n_listen_allow++;
	return 0;
}

static int parse_quarantine(struct sg_quarantine_config *q, const char *v, char *err,
			    size_t errlen)
{
	enum sg_quarantine_mode m;

	for (m = SG_QUARANTINE_OFF; m <= SG_QUARANTINE_DESTINATION; m++)
		if (!strcmp(v, sg_quarantine_mode_name(m))) {
			q->mode = m;
			return 0;
		}
	return fail(err, errlen, "detect.quarantine: expected off, subject or destination, "
		    "got \"%s\"", v);
}

/* "all", or heuristic names separated by commas or blanks. */
static int parse_quarantine_heur(struct sg_quarantine_config *q, const char *v, char *err,
				 size_t errlen)
{
	bool on[SG_HEUR_MAX] = { false };
	const char *p = v;
	size_t n;
	int h;

	if (!strcmp(v, "all")) {
		for (h = 0; h < SG_HEUR_MAX; h++)
			q->heur[h] = true;
		return 0;
	}
	for (;;) {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (!n)
			break;
		h = heur_from_name(p, n);
		if (h < 0)
			return fail(err, errlen, "detect.quarantine.heuristics: unknown heuristic "
				    "\"%.*s\"", (int)n, p);
		on[h] = true;
		p += n;
	}
	memcpy(q->heur, on, sizeof(on));
	return 0;
}

struct knob {
	const char *key;
	enum { K_BOOL, K_UINT, K_U64, K_DOUBLE } type;
	size_t off;
	double min, max;
};

#define KB(k, f) { k, K_BOOL, offsetof(struct sg_detect_config, f), 0, 0 }
#define KU(k, f, lo, hi) { k, K_UINT, offsetof(struct sg_detect_config, f), lo, hi }
#define K64(k, f, lo, hi) { k, K_U64, offsetof(struct sg_detect_config, f), lo, hi }
#define KD(k, f, lo, hi) { k, K_DOUBLE, offsetof(struct sg_detect_config, f), lo, hi }

static const struct knob knobs[] = {
	KB("detect.beacon", on[SG_HEUR_BEACON]),
	KB("detect.exfil", on[SG_HEUR_EXFIL]),
	KB("detect.dnstun", on[SG_HEUR_DNSTUN]),
	KB("detect.dnsless", on[SG_HEUR_DNSLESS]),
	KB("detect.firstseen", on[SG_HEUR_FIRSTSEEN]),
	KB("detect.fileless", on[SG_HEUR_FILELESS]),
	KB("detect.revshell", on[SG_HEUR_REVSHELL]),
	KB("detect.listener", on[SG_HEUR_LISTENER]),
	KB("detect.pktsock", on[SG_HEUR_PKTSOCK]),
	KB("detect.hookscan", on[SG_HEUR_HOOKSCAN]),
	KU("detect.firstseen.min_score", min_score[SG_HEUR_FIRSTSEEN], 0, 100),
	KU("detect.fileless.min_score", min_score[SG_HEUR_FILELESS], 0, 100),
	KU("detect.revshell.min_score", min_score[SG_HEUR_REVSHELL], 0, 100),
	KU("detect.listener.min_score", min_score[SG_HEUR_LISTENER], 0, 100),
	KU("detect.pktsock.min_score", min_score[SG_HEUR_PKTSOCK], 0, 100),
	KU("detect.hookscan.min_score", min_score[SG_HEUR_HOOKSCAN], 0, 100),
	KD("detect.firstseen.learn", firstseen.learn, 0, 365 * 86400),
	KU("detect.firstseen.max_entries", firstseen.max_entries, 16, 1U << 22),
	KB("detect.listener.learn", listener_learn),
	KB("detect.pktsock.all_netns", pktsock_all_netns),
	KD("detect.suppress", suppress, 0, 30 * 86400),
	KU("detect.max_suppress", max_suppress, 1, 1U << 24),
	K64("detect.alerts.max_bytes", alerts_max_bytes, 4096, 1ULL << 40),
	KU("detect.beacon.min_score", min_score[SG_HEUR_BEACON], 0, 100),
	KU("detect.exfil.min_score", min_score[SG_HEUR_EXFIL], 0, 100),
	KU("detect.dnstun.min_score", min_score[SG_HEUR_DNSTUN], 0, 100),
	KU("detect.dnsless.min_score", min_score[SG_HEUR_DNSLESS], 0, 100),
	KD("detect.window", window, 60, 30 * 86400),
	KD("detect.flush_every", flush_every, 1, 30 * 86400),
	KU("detect.max_series", max_series, 1, 1U << 24),
	KU("detect.max_dns", max_dns, 1, 1U << 24),
	K64("detect.max_points", max_points_total, 1, 1ULL << 32),
	KU("detect.max_alerts", max_alerts, 1, 1U << 24),
	KU("detect.beacon.min_conns", beacon.min_conns, 4, 1U << 20),
	KU("detect.beacon.max_points", beacon.max_points, 4, 1U << 20),
	KB("detect.beacon.skip_failed", beacon.skip_failed),
	KB("detect.beacon.inbound", beacon.inbound),
	KB("detect.beacon.fill", beacon.fill),
	KB("detect.beacon.dispersion", beacon.dispersion),
	KD("detect.beacon.cv_full", beacon.cv_full, 0, 10),
	KD("detect.beacon.cv_zero", beacon.cv_zero, 0.01, 10),
	KD("detect.beacon.ts_weight", beacon.ts_weight, 0, 1),
	KD("detect.beacon.ds_weight", beacon.ds_weight, 0, 1),
	KD("detect.beacon.hist_weight", beacon.hist_weight, 0, 1),
	KD("detect.beacon.dur_weight", beacon.dur_weight, 0, 1),
	KD("detect.beacon.hist_mode_sensitivity", beacon.hist_mode_sensitivity, 0.001, 1),
	KU("detect.beacon.hist_bimodal_outlier_removal", beacon.hist_bimodal_outlier_removal, 0, 24),
	KU("detect.beacon.hist_bimodal_min_hours", beacon.hist_bimodal_min_hours, 6, 24),
	KU("detect.beacon.dur_min_hours", beacon.dur_min_hours, 1, 24),
	KU("detect.beacon.dur_ideal_hours", beacon.dur_ideal_hours, 1, 24),
	K64("detect.exfil.min_bytes", exfil.min_bytes, 1, 1ULL << 50),
	KD("detect.exfil.min_ratio", exfil.min_ratio, 1, 1e9),
	KU("detect.dnstun.min_unique", dnstun.min_unique, 1, 1U << 20),
	KU("detect.dnstun.min_len", dnstun.min_len, 0, 253),
	KD("detect.dnstun.min_entropy", dnstun.min_entropy, 0, 8),
	KU("detect.dnstun.max_unique_kept", dnstun.max_unique_kept, 16, 1U << 20),
	KU("detect.dnsless.min_conns", dnsless.min_conns, 1, 1U << 30),
	KD("detect.dnsless.max_age", dnsless.max_age, 1, 30 * 86400),
	KU("detect.quarantine.min_score", quarantine.min_score, 0, 100),
	KU("detect.quarantine.max", quarantine.max, 1, SG_QUARANTINE_MAX),
};

int sg_detect_config_set(struct sg_detect_config *cfg, const char *key, const char *value,
			 char *err, size_t errlen)
{
	const struct knob *k;
	char *p;
	size_t i;
	__u64 x64;
	double xd;
	int r = 0;

	if (strncmp(key, "detect.", 7) && strcmp(key, "detect"))
		return -ENOENT;
	if (!strcmp(key, "detect.allow"))
		return parse_allow(cfg, value, err, errlen);
	if (!strcmp(key, "detect.listener.allow"))
		return parse_listen_allow(cfg, value, err, errlen);
	if (!strcmp(key, "detect.revshell.shells"))
		return parse_list(&cfg->shells, key, value, err, errlen);
	if (!strcmp(key, "detect.pktsock.capture"))
		return parse_list(&cfg->capture, key, value, err, errlen);
	if (!strcmp(key, "detect.hookscan.modules"))
		return parse_list(&cfg->hook_modules, key, value, err, errlen);
	if (!strcmp(key, "detect.quarantine"))
		return parse_quarantine(&cfg->quarantine, value, err, errlen);
	if (!strcmp(key, "detect.quarantine.heuristics"))
		return parse_quarantine_heur(&cfg->quarantine, value, err, errlen);
	if (!strcmp(key, "detect.state_dir")) {
		if (*value != '/' || strlen(value) >= sizeof(cfg->state_dir) - 32)
			return fail(err, errlen, "detect.state_dir: expected an absolute path "
				    "shorter than %zu", sizeof(cfg->state_dir) - 32);
		strcpy(cfg->state_dir, value);
		return 0;
	}
	if (!strcmp(key, "detect")) {
		bool on;
		int h;

		if (parse_bool(value, &on))
			return fail(err, errlen, "detect: expected on or off, got \"%s\"", value);
		for (h = 0; h < SG_HEUR_MAX; h++)
			cfg->on[h] = on;
		return 0;
	}
	for (i = 0; i < SG_ARRAY_SIZE(knobs); i++) {
		k = &knobs[i];
		if (strcmp(k->key, key))
			continue;
		p = (char *)cfg + k->off;
		switch (k->type) {
		case K_BOOL:
			r = parse_bool(value, (bool *)p);
			if (r)
				return fail(err, errlen, "%s: expected on or off, got \"%s\"", key, value);
			return 0;
		case K_UINT:
			r = parse_uint(value, k->min, k->max, (unsigned int *)p);
			break;
		case K_U64:
			r = parse_u64(value, k->min, k->max, &x64);
			if (!r)
				memcpy(p, &x64, sizeof(x64));
			break;
		case K_DOUBLE:
			r = parse_double(value, k->min, k->max, &xd);
			if (!r)
				memcpy(p, &xd, sizeof(xd));
			break;
		}
		if (r)
			return fail(err, errlen, "%s: expected a number in [%g, %g], got \"%s\"", key,
				    k->min, k->max, value);
		return 0;
	}
	return fail(err, errlen, "unknown key \"%s\"", key);
}

/**
 * sg_detect_config_check() - what no single key can say: the beacon weights
 * sum to 1, cv_zero exceeds cv_full. Every problem goes to @errf, prefixed
 * with @path.
 *
 * Return: 0, or -EINVAL.
 */
int sg_detect_config_check(const struct sg_detect_config *cfg, const char *path, FILE *errf)
{
	double wsum = cfg->beacon.ts_weight + cfg->beacon.ds_weight + cfg->beacon.hist_weight +
		      cfg->beacon.dur_weight;
	int errors = 0;

	if (cfg->beacon.cv_zero <= cfg->beacon.cv_full) {
		fprintf(errf, "%s: detect.beacon.cv_zero must exceed detect.beacon.cv_full\n", path);
		errors++;
	}
	if (wsum < 0.999 || wsum > 1.001) {
		fprintf(errf, "%s: detect.beacon.*_weight sum to %g, not 1\n", path, wsum);
		errors++;
	}
	return errors ? -EINVAL : 0;
}
