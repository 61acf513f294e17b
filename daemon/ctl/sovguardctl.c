// SPDX-License-Identifier: GPL-2.0
/*
 * sovguardctl: query and steer sovguard. A table of subcommands, each with
 * its own --help; every listing also as JSON with -j.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "../answer.h"
#include "../lib/cleanup.h"
#include "../lib/config.h"
#include "../lib/control_proto.h"
#include "../lib/kmod_client.h"
#include "../lib/lsm.h"
#include "../lib/names.h"
#include "../lib/util.h"
#include "detect.h"
#include "ctl.h"
#include "policy.h"

/* How long events waits for the daemon's answer to one poll. */
#define SG_CTL_EVENTS_WAIT_MS	1000


const char *sg_ctl_jstr(struct json_object *o, const char *k)
{
	struct json_object *v = json_object_object_get(o, k);

	return v ? json_object_get_string(v) : "-";
}

bool sg_ctl_help_asked(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

bool sg_ctl_want_json(const struct sg_ctl *ctl, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			return true;
	return ctl->json;
}


/* Each data source's age in days, and whether it is past data_warn_age. */
/*
 * One request to the daemon's control socket; the reply, or NULL (said why).
 * A daemon that does not answer within @timeout_ms (stopped, hung) is said
 * so: a query never hangs on it.
 */
struct json_object *sg_ctl_call(const struct sg_ctl *ctl, struct json_object *req, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct json_object *rep, *e;
	const char *msg;
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" SG_CONTROL_SOCKET, ctl->run_dir);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "sovguardctl: cannot reach sovguardd at %s: %m%s\n", sa.sun_path,
			errno == EACCES || errno == EPERM ?
			" (run as root or as a member of the control group)" : "");
		return NULL;
	}
	msg = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	buf = malloc(SG_CONTROL_MAX_REPLY + 1);
	if (!buf || send(fd, msg, strlen(msg), 0) < 0 ||
	    (n = recv(fd, buf, SG_CONTROL_MAX_REPLY, 0)) <= 0) {
		fprintf(stderr, "sovguardctl: no answer from sovguardd%s: %m\n",
			errno == EAGAIN ? " (stopped or hung?)" : "");
		return NULL;
	}
	buf[n] = '\0';
	rep = json_tokener_parse(buf);
	if (!rep) {
		fprintf(stderr, "sovguardctl: malformed answer from sovguardd\n");
		return NULL;
	}
	if (json_object_object_get_ex(rep, "error", &e)) {
		fprintf(stderr, "sovguardctl: %s\n", json_object_get_string(e));
		json_object_put(rep);
		return NULL;
	}
	return rep;
}

struct json_object *sg_ctl_ask(const struct sg_ctl *ctl, const char *cmd, const char *key,
			       const char *val, int timeout_ms)
{
	struct json_object *req = json_object_new_object(), *rep;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (key)
		json_object_object_add(req, key, json_object_new_string(val));
	rep = sg_ctl_call(ctl, req, timeout_ms);
	json_object_put(req);
	return rep;
}

int sg_ctl_show(const struct sg_ctl *ctl, int argc, char **argv, const char *cmd,
		const char *key, const char *val, void (*text)(struct json_object *rep))
{
	struct json_object *rep = sg_ctl_ask(ctl, cmd, key, val, SG_CONTROL_TIMEOUT_MS);

	if (!rep)
		return -EIO;
	if (sg_ctl_want_json(ctl, argc, argv))
		sg_ctl_print_json(rep);
	else
		text(rep);
	json_object_put(rep);
	return 0;
}

static void json_putp(struct json_object **o)
{
	json_object_put(*o);
}

void sg_ctl_print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The exit status of an input error: unreadable, or wrong. */
static int input_status(int err)
{
	return sg_input_unreadable(err) ? SG_CTL_EXIT_UNREADABLE : SG_CTL_EXIT_FAIL;
}

static int add_data(struct sg_ctl_inputs *in, const char *path)
{
	if (in->nr_data >= SG_DATA_SOURCES_MAX) {
		fprintf(stderr, "sovguardctl: more than %d --data\n", SG_DATA_SOURCES_MAX);
		return -E2BIG;
	}
	in->data[in->nr_data++] = path;
	return 0;
}

static void check_print(struct json_object *rep)
{
	struct json_object *src = json_object_object_get(rep, "source");
	struct json_object *emb = json_object_object_get(rep, "embedded");

	printf("%s: %s", sg_ctl_jstr(rep, "addr"), sg_ctl_jstr(rep, "verdict"));
	if (strcmp(sg_ctl_jstr(rep, "verdict"), sg_ctl_jstr(rep, "effective")))
		printf(" (%s mode: %s)", sg_ctl_jstr(rep, "mode"), sg_ctl_jstr(rep, "effective"));
	if (json_object_object_get(rep, "offline"))
		printf(" by rule %s, offline from %s\n", sg_ctl_jstr(rep, "rule"),
		       sg_ctl_jstr(rep, "rules_dir"));
	else
		printf(" by rule %s, generation %s\n", sg_ctl_jstr(rep, "rule"),
		       sg_ctl_jstr(rep, "generation"));
	if (emb && json_object_get_boolean(json_object_object_get(emb, "refused")))
		printf("  embeds IPv4 %s (%s): refused before the rules, whatever the IPv4 "
		       "address\n", sg_ctl_jstr(emb, "ipv4"), sg_ctl_jstr(emb, "kind"));
	else if (emb)
		printf("  embeds IPv4 %s (%s): decided as that address\n",
		       sg_ctl_jstr(emb, "ipv4"), sg_ctl_jstr(emb, "kind"));
	printf("  country %s, AS%s, zones %s\n", sg_ctl_jstr(rep, "country"),
	       sg_ctl_jstr(rep, "asn"), json_object_to_json_string_ext(json_object_object_get(rep, "zones"),
					      JSON_C_TO_STRING_PLAIN));
	printf("  source %s %s\n", src ? sg_ctl_jstr(src, "kind") : "none",
	       src ? sg_ctl_jstr(src, "path") : "");
}

static void check_usage(void)
{
	printf("Usage: sovguardctl check ADDRESS [--exe PATH | --unit NAME | --cgroup PATH]\n"
	       "           [--uid N] [--gid N] [--port P] [--proto tcp|udp|udplite|icmp|raw]\n"
	       "           [--rules DIR [--config FILE] [--data PATH]...] [--expect VERDICT] [-j]\n"
	       "The verdict the kernel would give a connection to ADDRESS (port %d/tcp\n"
	       "unless said), from the live compiled tables: the rule, the destination's\n"
	       "country, operator AS and zones, and the data source that placed it.\n"
	       "An IPv6 address that embeds an IPv4 one (NAT64, 6to4, Teredo,\n"
	       "IPv4-mapped) is explained with the IPv4 address it is decided as.\n"
	       "With --rules, without the daemon: the rules in DIR compiled with the\n"
	       "jurisdiction data of the configuration (default %s) or\n"
	       "--data, decided by the same code; executables, units and cgroups by name.\n"
	       "--expect allow|deny|audit: exit 0 when the verdict is VERDICT, 1 when not.\n"
	       "Exit status 2: usage; 3: no answer (no daemon, rules or data unreadable\n"
	       "or invalid).\n", SG_CHECK_PORT_DEFAULT, SG_CONFIG_DEFAULT);
}

static int cmd_check(const struct sg_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exe", required_argument, NULL, 'e' },
		{ "unit", required_argument, NULL, 'u' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "uid", required_argument, NULL, 'U' },
		{ "gid", required_argument, NULL, 'G' },
		{ "port", required_argument, NULL, 'p' },
		{ "proto", required_argument, NULL, 'P' },
		{ "rules", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'C' },
		{ "data", required_argument, NULL, 'd' },
		{ "expect", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_(json_putp) struct json_object *req = json_object_new_object();
	_cleanup_(json_putp) struct json_object *rep = NULL;
	struct sg_ctl_inputs in = {};
	const char *expect = NULL;
	bool json = ctl->json;
	char *end;
	long v;
	int c, err;

	json_object_object_add(req, "cmd", json_object_new_string("check"));
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			json_object_object_add(req, "exe", json_object_new_string(optarg));
			break;
		case 'u':
			json_object_object_add(req, "unit", json_object_new_string(optarg));
			break;
		case 'c':
			json_object_object_add(req, "cgroup", json_object_new_string(optarg));
			break;
		case 'U':
		case 'G':
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (*end || errno || v < 0 || v > (c == 'p' ? 65535 : 0x7fffffffL)) {
				fprintf(stderr, "sovguardctl: bad number \"%s\"\n", optarg);
				return SG_CTL_EXIT_USAGE;
			}
			json_object_object_add(req, c == 'p' ? "port" : c == 'U' ? "uid" : "gid",
					       json_object_new_int64(v));
			break;
		case 'P':
			json_object_object_add(req, "proto", json_object_new_string(optarg));
			break;
		case 'r':
			in.rules_dir = optarg;
			break;
		case 'C':
			in.config = optarg;
			break;
		case 'd':
			if (add_data(&in, optarg))
				return SG_CTL_EXIT_USAGE;
			break;
		case 'x':
			if (strcmp(optarg, "allow") && strcmp(optarg, "deny") &&
			    strcmp(optarg, "audit")) {
				fprintf(stderr, "sovguardctl: --expect allow, deny or audit, not "
					"\"%s\"\n", optarg);
				return SG_CTL_EXIT_USAGE;
			}
			expect = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			check_usage();
			return SG_CTL_EXIT_OK;
		default:
			return SG_CTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sovguardctl: check takes one ADDRESS; see --help\n");
		return SG_CTL_EXIT_USAGE;
	}
	if (!in.rules_dir && (in.config || in.nr_data)) {
		fprintf(stderr, "sovguardctl: --config and --data go with --rules DIR\n");
		return SG_CTL_EXIT_USAGE;
	}
	json_object_object_add(req, "addr", json_object_new_string(argv[optind]));
	if (in.rules_dir) {
		err = sg_ctl_check_offline(&in, req, &rep);
		if (err)
			return SG_CTL_EXIT_UNREADABLE;
	} else {
		rep = sg_ctl_call(ctl, req, SG_CONTROL_TIMEOUT_MS);
		if (!rep)
			return SG_CTL_EXIT_UNREADABLE;
	}
	if (json)
		sg_ctl_print_json(rep);
	else
		check_print(rep);
	if (expect && strcmp(expect, sg_ctl_jstr(rep, "verdict"))) {
		fprintf(stderr, "sovguardctl: %s: %s, not %s\n", argv[optind],
			sg_ctl_jstr(rep, "verdict"), expect);
		return SG_CTL_EXIT_FAIL;
	}
	return SG_CTL_EXIT_OK;
}

static void rules_print(struct json_object *rep)
{
	struct json_object *arr, *r;
	size_t i;

	arr = json_object_object_get(rep, "rules");
	printf("generation %s\n%5s  %-7s %12s  %s\n", sg_ctl_jstr(rep, "generation"), "#", "verdict",
	       "hits", "rule");
	for (i = 0; i < json_object_array_length(arr); i++) {
		r = json_object_array_get_idx(arr, i);
		printf("%5s  %-7s %12s  %s%s%s%s\n", sg_ctl_jstr(r, "index"),
		       sg_ctl_jstr(r, "verdict"), sg_ctl_jstr(r, "hits"), sg_ctl_jstr(r, "id"),
		       json_object_object_get(r, "name") ? " " : "",
		       json_object_object_get(r, "name") ? sg_ctl_jstr(r, "name") : "",
		       json_object_object_get(r, "quarantine") ?
			       " (quarantine: sovguardctl quarantine)" : "");
	}
	r = json_object_object_get(rep, "default");
	printf("%5s  %-7s %12s  %s\n", "-", sg_ctl_jstr(r, "verdict"), "", sg_ctl_jstr(r, "id"));
}

static int cmd_rules(const struct sg_ctl *ctl, int argc, char **argv)
{
	if (sg_ctl_help_asked(argc, argv)) {
		printf("Usage: sovguardctl rules [-j]\n"
		       "The compiled rules in order, each with its verdict and how many\n"
		       "decisions it made in the kernel since it was loaded. Quarantine\n"
		       "rules (ids quarantine:N) come first and are marked.\n");
		return 0;
	}
	return sg_ctl_show(ctl, argc, argv, "rules", NULL, NULL, rules_print);
}

static void check_config_usage(void)
{
	printf("Usage: sovguardctl check-config [CONFIG]\n"
	       "       sovguardctl check-config DIR [--config FILE] [--data PATH]...\n"
	       "Validate the configuration (default %s), its rules and data,\n"
	       "or the rules in DIR with the data of FILE (default the same) or PATH,\n"
	       "as the daemon would load them, printing every error as\n"
	       "file:line:column: message. Touches no kernel state and needs no daemon.\n"
	       "Exit status 0: valid; 1: invalid; 2: usage; 3: an input could not be\n"
	       "read (missing, permission denied).\n", SG_CONFIG_DEFAULT);
}

static int cmd_check_config(const struct sg_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	_cleanup_free_ struct sg_settings *cfg = malloc(sizeof(*cfg));
	const char *paths[SG_DATA_SOURCES_MAX], *arg;
	struct sg_ctl_inputs in = {};
	struct sg_check_summary sum = {};
	struct sg_load_opts lo;
	struct stat st;
	unsigned int n;
	int c, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			in.config = optarg;
			break;
		case 'd':
			if (add_data(&in, optarg))
				return SG_CTL_EXIT_USAGE;
			break;
		case 'h':
			check_config_usage();
			return SG_CTL_EXIT_OK;
		default:
			return SG_CTL_EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		fprintf(stderr, "sovguardctl: check-config takes one CONFIG or DIR; see --help\n");
		return SG_CTL_EXIT_USAGE;
	}
	if (!cfg)
		return SG_CTL_EXIT_FAIL;
	arg = optind < argc ? argv[optind] : NULL;
	/* A directory is a rules directory; anything else names the configuration. */
	if (arg && !stat(arg, &st) && S_ISDIR(st.st_mode)) {
		in.rules_dir = arg;
	} else if (arg && (in.config || in.nr_data)) {
		fprintf(stderr, "sovguardctl: --config and --data go with a rules DIR\n");
		return SG_CTL_EXIT_USAGE;
	} else if (arg) {
		in.config = arg;
	}
	err = sg_ctl_settings(&in, cfg);
	if (err)
		return input_status(err);
	sg_config_data_opts(cfg, &lo);
	n = sg_config_data_paths(cfg, paths);
	err = sg_policy_check_dir(cfg->rules_dir, paths, n, &lo, stderr, &sum);
	if (err)
		return input_status(err);
	printf("%s: OK, %u rules, default %s, mode %s, data %zu ranges from %zu source%s\n",
	       in.rules_dir ? in.rules_dir : in.config ? in.config : SG_CONFIG_DEFAULT,
	       sum.nr_rules, sg_verdict_name(sum.default_verdict), sg_mode_name(cfg->mode),
	       sum.nr_ranges, sum.nr_sources, sum.nr_sources == 1 ? "" : "s");
	return SG_CTL_EXIT_OK;
}

static int cmd_analyze(const struct sg_ctl *ctl, int argc, char **argv)
{
	return sg_detect_analyze_main(argc, argv, ctl->json, sg_config_load_detect);
}

static int cmd_alerts(const struct sg_ctl *ctl, int argc, char **argv)
{
	return sg_detect_alerts_main(argc, argv, ctl->json);
}

static volatile sig_atomic_t events_stop;

static void events_sigint(int sig)
{
	events_stop = 1;
}

/*
 * The daemon's last decoded observations and alerts (its events ring), one
 * JSON line each; --follow asks again every SG_CTL_EVENTS_POLL_MS.
 */
#define SG_CTL_EVENTS_POLL_MS	500

static int cmd_events(const struct sg_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool follow = false, json = ctl->json, more = false;
	long long after = 0;
	int c;

	while ((c = getopt_long(argc, argv, "fjh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			follow = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: sovguardctl events [-f|--follow] [-j]\n"
			       "Print the observations and alerts the daemon decoded last (its\n"
			       "ring of %d), one JSON object a line with a sequence number;\n"
			       "--follow keeps printing new ones (every %d ms) until interrupted.\n",
			       1024, SG_CTL_EVENTS_POLL_MS);
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (follow) {
		signal(SIGINT, events_sigint);
		signal(SIGTERM, events_sigint);
	}
	do {
		struct json_object *req = json_object_new_object(), *rep, *arr;
		size_t i;

		json_object_object_add(req, "cmd", json_object_new_string("events"));
		json_object_object_add(req, "after", json_object_new_int64(after));
		rep = sg_ctl_call(ctl, req, SG_CTL_EVENTS_WAIT_MS);
		json_object_put(req);
		if (!rep)
			return -EIO;
		if (json_object_object_get(rep, "lost"))
			fprintf(stderr, "sovguardctl: %lld events left the ring unread\n",
				(long long)json_object_get_int64(json_object_object_get(rep, "lost")));
		arr = json_object_object_get(rep, "events");
		for (i = 0; i < json_object_array_length(arr); i++) {
			const char *line = json_object_get_string(json_object_array_get_idx(arr, i));
			struct json_object *e = json_tokener_parse(line);

			if (json || !e)
				printf("%s\n", line);
			else if (!strcmp(sg_ctl_jstr(e, "type"), "alert"))
				printf("#%s alert %s\n", sg_ctl_jstr(e, "seq"),
				       json_object_to_json_string_ext(json_object_object_get(e, "alert"),
								      JSON_C_TO_STRING_PLAIN |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
			else
				printf("#%s %s %s%s%s\n", sg_ctl_jstr(e, "seq"), sg_ctl_jstr(e, "type"),
				       sg_ctl_jstr(e, "subject"),
				       json_object_object_get(e, "dst") ? " -> " : "",
				       json_object_object_get(e, "dst") ? sg_ctl_jstr(e, "dst") : "");
			json_object_put(e);
		}
		after = json_object_get_int64(json_object_object_get(rep, "last"));
		more = json_object_get_boolean(json_object_object_get(rep, "more"));
		json_object_put(rep);
		fflush(stdout);
		if (follow && !more && !events_stop)
			usleep(SG_CTL_EVENTS_POLL_MS * 1000);
	} while ((follow || more) && !events_stop);
	return 0;
}

static int cmd_metrics(const struct sg_ctl *ctl, int argc, char **argv)
{
	struct json_object *rep;

	if (sg_ctl_help_asked(argc, argv) || argc > 1) {
		printf("Usage: sovguardctl metrics\n"
		       "The daemon's metrics in the Prometheus text format, as it writes them\n"
		       "to metrics_file for node_exporter (docs/operations.md, \"Metrics\").\n");
		return argc > 1 && !sg_ctl_help_asked(argc, argv) ? -EINVAL : 0;
	}
	rep = sg_ctl_ask(ctl, "metrics", NULL, NULL, SG_CONTROL_TIMEOUT_MS);
	if (!rep)
		return -EIO;
	fputs(sg_ctl_jstr(rep, "text"), stdout);
	json_object_put(rep);
	return 0;
}

static void print_reloaded(struct json_object *rep)
{
	printf("reloaded: generation %s, mode %s\n", sg_ctl_jstr(rep, "generation"),
	       sg_ctl_jstr(rep, "mode"));
}

static int cmd_reload(const struct sg_ctl *ctl, int argc, char **argv)
{
	if (sg_ctl_help_asked(argc, argv)) {
		printf("Usage: sovguardctl reload [-j]\n"
		       "Have the daemon re-read its configuration, rules and data, as SIGHUP\n"
		       "does, and say how it went: a set with an error is refused whole and\n"
		       "the running policy stays. Root only.\n");
		return 0;
	}
	return sg_ctl_show(ctl, argc, argv, "reload", NULL, NULL, print_reloaded);
}

static int cmd_mode(const struct sg_ctl *ctl, int argc, char **argv)
{
	if (sg_ctl_help_asked(argc, argv) || argc < 2 || argv[1][0] == '-') {
		printf("Usage: sovguardctl mode enforce|audit|off|config [-j]\n"
		       "Set the daemon's mode until it restarts, as sovguardd --mode does;\n"
		       "config returns to the mode of the configuration file. Applied by a\n"
		       "reload, all or nothing. Root only. (The module's own mode: module mode.)\n");
		return sg_ctl_help_asked(argc, argv) ? 0 : -EINVAL;
	}
	return sg_ctl_show(ctl, argc, argv, "mode", "mode", argv[1], print_reloaded);
}

static int cmd_version(const struct sg_ctl *ctl, int argc, char **argv)
{
	printf("sovguardctl %s\n", SG_VERSION);
	return 0;
}

static int cmd_help(const struct sg_ctl *ctl, int argc, char **argv);

static const struct sg_cmd commands[] = {
	{ "status", sg_cmd_status, "daemon, programs, counters and module state", false },
	{ "check", cmd_check, "the verdict for an address, with its rule and jurisdiction", true },
	{ "rules", cmd_rules, "the compiled rules with their kernel hit counters", false },
	{ "check-config", cmd_check_config, "validate configuration, rules and data", true },
	{ "module", sg_cmd_module, "kernel module: mode, lease, allow-list", false },
	{ "scan", sg_cmd_scan, "list the kernel's netfilter hooks and their owners", false },
	{ "analyze", cmd_analyze, "run the detection heuristics over Zeek logs", false },
	{ "alerts", cmd_alerts, "the detection alerts the daemon stored", false },
	{ "events", cmd_events, "the daemon's last observations and alerts, --follow", false },
	{ "metrics", cmd_metrics, "the daemon's metrics, Prometheus text format", false },
	{ "reload", cmd_reload, "re-read configuration, rules and data (root)", false },
	{ "mode", cmd_mode, "set the daemon's mode until it restarts (root)", false },
	{ "quarantine", sg_cmd_quarantine, "the deny rules alerts added (detect.quarantine)", false },
	{ "release", sg_cmd_release, "take a quarantine (or --all) out of the policy (root)", false },
	{ "version", cmd_version, "print the version", false },
	{ "help", cmd_help, "this help", false },
};

static int cmd_help(const struct sg_ctl *ctl, int argc, char **argv)
{
	size_t i;

	printf("Usage: sovguardctl [-j] [--pin-root DIR] [--run-dir DIR] COMMAND [ARGS]\n\n"
	       "Commands:\n");
	for (i = 0; i < SG_ARRAY_SIZE(commands); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].summary);
	printf("\n`sovguardctl COMMAND --help` describes each command.\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pin-root", required_argument, NULL, 'p' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct sg_ctl ctl = {
		.pin_root = SG_PIN_ROOT_DEFAULT,
		.run_dir = SG_RUN_DIR_DEFAULT,
	};
	size_t i;
	int c, first;

	while ((c = getopt_long(argc, argv, "+jp:r:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl.json = true;
			break;
		case 'p':
			ctl.pin_root = optarg;
			break;
		case 'r':
			ctl.run_dir = optarg;
			break;
		case 'h':
			return cmd_help(&ctl, 0, NULL);
		case 'V':
			return cmd_version(&ctl, 0, NULL);
		default:
			return 2;
		}
	}
	if (optind >= argc)
		return cmd_help(&ctl, 0, NULL) ? 1 : 0;

	first = optind;
	for (i = 0; i < SG_ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[first], commands[i].name))
			continue;
		/* Each command parses its own argv, its name being argv[0]. */
		optind = 0;
		c = commands[i].fn(&ctl, argc - first, argv + first);
		if (commands[i].exit_status)
			return c < 0 ? SG_CTL_EXIT_FAIL : c;
		return c ? 1 : 0;
	}
	fprintf(stderr, "sovguardctl: unknown command \"%s\"; see sovguardctl help\n",
		argv[first]);
	return 2;
}
