// SPDX-License-Identifier: GPL-2.0
/*
 * sovguardd: loads the egress programs, keeps their maps in line with the
 * configuration, and reports their decisions.
 *
 * On SIGTERM the daemon exits and leaves enforcement pinned under the pin
 * root: a stopped daemon never opens the door. `sovguardd --remove` ends
 * enforcement on purpose. SIGHUP reloads; a bad configuration is rejected
 * whole and the running policy stays.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "compile.h"
#include "lib/config.h"
#include "control.h"
#include "daemon.h"
#include "detector.h"
#include "egress.h"
#include "guard.h"
#include "lib/log.h"
#include "lib/names.h"
#include "policy.h"
#include "publish.h"
#include "subject.h"
#include "lib/util.h"
#include "watch.h"
#include "kguard.h"
#include "metrics.h"
#include "lib/kmod_client.h"
#include "tamper.h"
#include "quarantine.h"
#include "flows.h"

/*
 * The configuration file must exist when it was named with -c, and once it
 * has existed. Only the default file may be missing from the start: then
 * the built-in defaults apply, with a warning.
 */
static int load_config(struct sg_daemon *d, struct sg_settings *cfg)
{
	int err;

	err = sg_config_load(cfg, d->config_path, stderr);
	if (err == -ENOENT && !d->config_named && !d->config_seen) {
		sg_warn("%s does not exist: using built-in defaults (mode enforce, rules from %s)",
			d->config_path, cfg->rules_dir);
		err = 0;
	} else if (err == -ENOENT) {
		return sg_error_errno(err, "Rejected %s: %m%s", d->config_path,
				      d->config_named ? "" : " (it existed before)");
	} else if (err) {
		return sg_error_errno(err, "Rejected %s: %m", d->config_path);
	} else {
		d->config_seen = true;
	}
	if (d->mode_override && sg_mode_parse(d->mode_override, &cfg->mode))
		return sg_error_errno(-EINVAL, "Unknown mode \"%s\"", d->mode_override);
	return 0;
}

/*
 * Every observation record, for the detectors. Enforcement does not wait on
 * this: the kernel drops (and counts) what does not fit while we catch up.
 */
static void on_observed(void *ctx, const struct sg_obs_event *ev)
{
	struct sg_daemon *d = ctx;

	d->obs_records++;
	sg_detector_observed(d, ev);
}

/* The last records, and what observation read and lost over the run. */
static void observe_report(struct sg_daemon *d)
{
	struct sg_obs_stats st;
	unsigned long long dropped = 0, no_state = 0;
	unsigned int k;

	sg_observe_drain(d->observe);
	sg_observe_stats(d->observe, &st);
	for (k = 1; k < SG_OBS_KINDS; k++) {
		dropped += st.dropped[k];
		no_state += st.no_state[k];
	}
	sg_info("observation: %llu records read, %llu lost to a full buffer, %llu without socket "
		"state, %llu malformed (per kind: sovguardctl status)", d->obs_records, dropped,
		no_state, (unsigned long long)st.malformed);
}

/*
 * Observation beside enforcement: a failure here is reported and leaves
 * the daemon enforcing without it.
 */
static void observe_start(struct sg_daemon *d, int ep)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	if (d->no_observe)
		return;
	err = sg_observe_open(&d->observe, d->cfg.pin_root);
	if (!err)
		err = sg_observe_attach(d->observe, d->cfg.cgroup);
	if (!err)
		err = sg_observe_start(d->observe, on_observed, d);
	if (!err)
		err = sg_observe_set_flow_window(d->observe, d->cfg.flow_window_ms);
	if (err) {
		sg_warn("observation is off: %s", strerror(-err));
		sg_observe_close(d->observe);
		d->observe = NULL;
		return;
	}
	ev.data.fd = sg_observe_fd(d->observe);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = sg_observe_timer_fd(d->observe);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	/* Its maps and links are refused to others as the egress ones are. */
	sg_guard_sync(d->guard, d->egress, d->observe);
}

static int write_pidfile(struct sg_daemon *d)
{
	_cleanup_fclose_ FILE *f = NULL;
	int err;

	err = sg_mkdir_p(d->cfg.run_dir, 0755);
	if (err)
		return sg_error_errno(err, "Failed to create %s: %m", d->cfg.run_dir);
	if ((size_t)snprintf(d->pidfile, sizeof(d->pidfile), "%s/sovguardd.pid",
			     d->cfg.run_dir) >= sizeof(d->pidfile))
		return -ENAMETOOLONG;
	f = fopen(d->pidfile, "we");
	if (!f)
		return sg_error_errno(-errno, "Failed to write %s: %m", d->pidfile);
	fprintf(f, "%d\n", getpid());
	return sg_file_id_get(d->pidfile, &d->pidfile_id);
}

/* Where the daemon attached, pinned and listens is fixed until it restarts. */
static void keep_startup_setting(const char *key, char *now, const char *at_start)
{
	if (!strcmp(now, at_start))
		return;
	sg_warn("%s changed to %s: takes effect on restart; keeping %s", key, now, at_start);
	strcpy(now, at_start);
}

int sg_daemon_reload(struct sg_daemon *d)
{
	static struct sg_settings n;
	static struct sg_detect_config old;
	int err = -EINVAL;
	char old_state[sizeof(old.state_dir)];

	sd_notify(0, "RELOADING=1");
	sg_config_init(&n);
	if (load_config(d, &n) == 0) {
		bool new_data = n.n_data != d->cfg.n_data ||
				memcmp(n.data, d->cfg.data, sizeof(n.data)) ||
				n.data_max_days != d->cfg.data_max_days ||
				strcmp(n.data_key, d->cfg.data_key) ||
				n.data_unsigned != d->cfg.data_unsigned;

		keep_startup_setting("pin_root", n.pin_root, d->cfg.pin_root);
		keep_startup_setting("cgroup", n.cgroup, d->cfg.cgroup);
		keep_startup_setting("run_dir", n.run_dir, d->cfg.run_dir);
		keep_startup_setting("control_group", n.control_group, d->cfg.control_group);
		if (n.protect != d->cfg.protect) {
			sg_warn("protect changes at the next start; keeping %s",
				d->cfg.protect ? "lsm" : "off");
			n.protect = d->cfg.protect;
		}
		if (sg_build_policy(d, &n, new_data, false) == 0 && sg_egress_set_config(d->egress, n.mode, n.fail) == 0) {
			if (d->kmod_present && n.mode != d->cfg.mode &&
			    sg_kmod_set_mode(n.mode, -1))
				sg_warn("sovguard.ko keeps its mode: %s", sg_kmod_errmsg());
			old = d->cfg.detect;
			strcpy(old_state, old.state_dir);
			if (d->observe && n.flow_window_ms != d->cfg.flow_window_ms)
				sg_observe_set_flow_window(d->observe, n.flow_window_ms);
			sg_config_free(&d->cfg);
			d->cfg = n;
			sg_detector_reload(d, &old);
			sg_quarantine_moved(d, old_state);
			sg_watch_update(d);	/* the data files may be others now */
			sg_metrics_start(d, -1);
			sg_flows_end(d, "reload");
			sg_info("reloaded %s: mode %s", d->config_path, sg_mode_name(d->cfg.mode));
			err = 0;
		} else {
			sg_config_free(&n);
			sg_warn("keeping the running policy");
		}
	} else {
		sg_config_free(&n);
		sg_warn("keeping the running policy");
	}
	sd_notify(0, "READY=1");
	return err;
}

/* The jurisdiction data changed on disk: load it anew, all or nothing. */
static void data_changed(struct sg_daemon *d)
{
	sg_info("jurisdiction data changed on disk: reloading it");
	/* Published even when the image is the same: the data's age is new. */
	if (sg_build_policy(d, &d->cfg, true, false)) {
		sg_warn("keeping the running policy and its data");
	} else {
		sg_info("data reloaded: generation %u", d->gen);
		sg_flows_end(d, "data reload");
	}
}

/* The age of the oldest data source, in whole days. */
static long data_age_days(const struct sg_daemon *d)
{
	time_t now = time(NULL), oldest = now;
	size_t i;

	for (i = 0; d->data && i < sg_data_nr_sources(d->data); i++) {
		time_t created = sg_data_source(d->data, i)->created;

		if (created > 0 && created < oldest)
			oldest = created;
	}
	return (now - oldest) / 86400;
}

/*
 * Tell systemd that the loop runs: WATCHDOG=1 at half the WatchdogSec=
 * interval, only from here, so a loop that is stuck stops the pings; and a
 * STATUS= line when mode, rules or generation change. Returns the
 * epoll_wait() timeout in ms until the next ping (-1 without a watchdog).
 */
static int sg_notify_loop(struct sg_daemon *d)
{
	static uint64_t wd_usec, next_ping;
	static bool wd_probed;
	static char last[128];
	char status[sizeof(last)];
	struct timespec ts;
	uint64_t now;

	long age = data_age_days(d);

	snprintf(status, sizeof(status),
		 "STATUS=mode %s, %u rules, generation %u, data %ld days old%s",
		 sg_mode_name(d->cfg.mode), d->pol ? d->pol->nr_rules : 0, d->gen, age,
		 d->cfg.data_warn_days && age >= (long)d->cfg.data_warn_days ? " (stale)" : "");
	if (strcmp(status, last)) {
		sd_notify(0, status);
		strcpy(last, status);
	}
	if (!wd_probed) {
		wd_probed = true;
		if (sd_watchdog_enabled(0, &wd_usec) <= 0)
			wd_usec = 0;
	}
	if (!wd_usec)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (now >= next_ping) {
		sd_notify(0, "WATCHDOG=1");
		next_ping = now + wd_usec / 2;
	}
	return (int)((next_ping - now + 999) / 1000);
}

static int run(struct sg_daemon *d)
{
	_cleanup_close_ int sfd = -1, ep = -1;
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0)
		return sg_error_errno(-errno, "Failed to set up the event loop: %m");

	err = sg_sysresolver_init(&d->sysres);
	if (err)
		return sg_error_errno(err, "No cgroup v2 hierarchy: %m");
	sg_sysresolver_bind(&d->sysres, &d->res);
	/* Before the pins are adopted: a previous guard would refuse us. */
	err = sg_guard_start(&d->guard, d->cfg.pin_root, d->cfg.protect);
	if (err)
		return err;
	err = sg_egress_open(&d->egress, d->cfg.pin_root);
	if (err)
		return err;
	d->gen = sg_egress_generation(d->egress);
	/* Policy first, then the hooks: no decision is ever made without one. */
	err = sg_watch_init(d);
	if (err)
		return err;
	/* The quarantines in force before the restart are in the first policy. */
	err = sg_quarantine_load(d);
	if (err)
		return err;
	err = sg_build_policy(d, &d->cfg, true, false);
	if (err)
		return err;
	err = sg_egress_set_config(d->egress, d->cfg.mode, d->cfg.fail);
	if (err)
		return err;
	err = sg_egress_attach(d->egress, d->cfg.cgroup);
	if (err)
		return err;
	err = sg_guard_sync(d->guard, d->egress, d->observe);
	if (err)
		return err;
	/* Flows made before the programs were attached are decided now. */
	sg_flows_probe(d);
	sg_flows_end(d, "start");
	err = sg_egress_events(d->egress, sg_on_event, d);
	if (err)
		return err;
	observe_start(d, ep);
	sg_detector_start(d, ep);	/* off on failure, reported */
	err = write_pidfile(d);
	if (err)
		return err;

	err = sg_control_open(d, ep);
	if (err)
		return err;
	err = sg_kguard_init(d);
	if (err)
		return err;
	ev.data.fd = d->kguard_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d->kguard_fd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = d->inotify_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d->inotify_fd, &ev);
	ev.data.fd = d->debounce_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d->debounce_fd, &ev);
	ev.data.fd = d->rescan_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d->rescan_fd, &ev);
	ev.data.fd = d->data_inotify_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d->data_inotify_fd, &ev);
	ev.data.fd = d->data_debounce_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d->data_debounce_fd, &ev);
	ev.data.fd = sg_egress_events_fd(d->egress);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	err = sg_tamper_init(d);
	if (err)
		return err;
	ev.data.fd = d->tamper_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d->tamper_fd, &ev);
	err = sg_metrics_start(d, ep);
	if (err)
		return err;

	sg_info("enforcing on cgroup %s, mode %s, rules from %s, pinned in %s",
		d->cfg.cgroup, sg_mode_name(d->cfg.mode), d->cfg.rules_dir, d->cfg.pin_root);
	sd_notify(0, "READY=1");

	for (;;) {
		struct epoll_event out[4];
		int n, i;

		n = epoll_wait(ep, out, SG_ARRAY_SIZE(out), sg_notify_loop(d));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sg_error_errno(-errno, "epoll_wait: %m");
		for (i = 0; i < n; i++) {
			struct signalfd_siginfo si;

			if (sg_control_event(d, out[i].data.fd))
				continue;
			if (sg_detector_event(d, out[i].data.fd))
				continue;
			if (sg_metrics_event(d, out[i].data.fd))
				continue;
			if (out[i].data.fd == d->kguard_fd) {
				sg_kguard_tick(d);
				continue;
			}
			if (out[i].data.fd == d->tamper_fd) {
				sg_tamper_tick(d);
				continue;
			}
			if (out[i].data.fd == d->inotify_fd || out[i].data.fd == d->debounce_fd ||
			    out[i].data.fd == d->rescan_fd) {
				__u32 gen = d->gen;

				if (sg_watch_event(d, out[i].data.fd) &&
				    !sg_build_policy(d, &d->cfg, false, true) && d->gen != gen)
					sg_flows_end(d, "rules change");
				continue;
			}
			if (out[i].data.fd == d->data_inotify_fd ||
			    out[i].data.fd == d->data_debounce_fd) {
				if (sg_watch_data_event(d, out[i].data.fd))
					data_changed(d);
				continue;
			}
			if (d->observe && (out[i].data.fd == sg_observe_fd(d->observe) ||
					   out[i].data.fd == sg_observe_timer_fd(d->observe))) {
				sg_observe_drain(d->observe);
				continue;
			}
			if (out[i].data.fd != sfd) {
				d->batch = 0;
				err = sg_egress_poll(d->egress, 0);
				if (err && err != -EAGAIN)
					return sg_error_errno(err, "Failed to read events: %m");
				continue;
			}
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				sg_daemon_reload(d);
				continue;
			}
			sd_notify(0, "STOPPING=1");
			/* What stays in force must be whole: pins back first. */
			sg_egress_guard(d->egress, NULL);
			sg_kguard_stop(d);
			sg_egress_poll(d->egress, 0);
			if (d->observe)
				observe_report(d);
			sg_info("exiting on signal %u; enforcement stays pinned in %s",
				si.ssi_signo, d->cfg.pin_root);
			return 0;
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sovguardd [OPTIONS]\n"
		"Keep outbound connections inside the allowed jurisdictions.\n\n"
		"  -f, --foreground     stay in the foreground (under systemd: always)\n"
		"  -c, --config PATH    configuration file (default %s; a named one\n"
		"                       must exist, and so must one that existed)\n"
		"  -m, --mode MODE      override the configured mode: enforce, audit or off\n"
		"      --audit          same as --mode audit\n"
		"      --check-config   validate the configuration and exit; touches no kernel state\n"
		"      --remove         end enforcement: unpin programs, maps and the bpf() guard, then exit\n"
		"      --no-observe     enforce only: no observation records for the detectors\n"
		"      --stderr         log to stderr even when journald is present\n"
		"  -v, --verbose        debug logging\n"
		"  -h, --help           this help\n"
		"  -V, --version        print the version\n\n"
		"SIGHUP reloads the configuration; SIGTERM exits and leaves enforcement in\n"
		"force (pinned), so a stopped or crashed daemon never opens the door.\n",
		SG_CONFIG_DEFAULT);
}

int main(int argc, char **argv)
{
	enum { OPT_AUDIT = 256, OPT_CHECK, OPT_REMOVE, OPT_STDERR, OPT_NO_OBSERVE };
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "audit", no_argument, NULL, OPT_AUDIT },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "remove", no_argument, NULL, OPT_REMOVE },
		{ "stderr", no_argument, NULL, OPT_STDERR },
		{ "no-observe", no_argument, NULL, OPT_NO_OBSERVE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct sg_daemon d = {
		.config_path = SG_CONFIG_DEFAULT,
		.control_fd = -1,
		.inotify_fd = -1,
		.debounce_fd = -1,
		.rescan_fd = -1,
		.data_inotify_fd = -1,
		.data_debounce_fd = -1,
		.kguard_fd = -1,
		.tamper_fd = -1,
		.metrics_fd = -1,
	};
	bool foreground = false, check = false, remove_pins = false, to_stderr = false;
	int level = LOG_INFO, c, err;

	while ((c = getopt_long(argc, argv, "fc:m:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = true;
			break;
		case 'c':
			d.config_path = optarg;
			d.config_named = true;
			break;
		case 'm':
			d.mode_override = optarg;
			break;
		case OPT_AUDIT:
			d.mode_override = "audit";
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_REMOVE:
			remove_pins = true;
			break;
		case OPT_STDERR:
			to_stderr = true;
			break;
		case OPT_NO_OBSERVE:
			d.no_observe = true;
			break;
		case 'v':
			level = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sovguardd %s\n", SG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	sg_log_init("sovguardd", level, to_stderr || check);
	sg_config_init(&d.cfg);
	err = load_config(&d, &d.cfg);
	if (check) {
		const char *paths[SG_DATA_SOURCES_MAX];
		struct sg_check_summary sum = {};
		struct sg_load_opts lo;
		unsigned int n;

		sg_config_data_opts(&d.cfg, &lo);
		n = sg_config_data_paths(&d.cfg, paths);
		if (!err)
			err = sg_policy_check_dir(d.cfg.rules_dir, paths, n, &lo, stderr, &sum);
		if (!err)
			printf("%s: OK (mode %s, %u rules in %s, default %s)\n", d.config_path,
			       sg_mode_name(d.cfg.mode), sum.nr_rules, d.cfg.rules_dir,
			       sg_verdict_name(sum.default_verdict));
		sg_config_free(&d.cfg);
		return err ? 1 : 0;
	}
	if (err)
		return 1;
	if (remove_pins) {
		/* Unlinks only: the guard refuses bpf() commands, not these. */
		err = sg_guard_remove(d.cfg.pin_root);
		if (!err)
			err = sg_observe_remove(d.cfg.pin_root);
		if (!err)
			err = sg_egress_remove(d.cfg.pin_root);
		if (err)
			sg_error_errno(err, "Failed to remove pins in %s: %m", d.cfg.pin_root);
		else
			sg_info("enforcement removed from %s", d.cfg.pin_root);
		sg_config_free(&d.cfg);
		return err ? 1 : 0;
	}
	if (!foreground && !getenv("NOTIFY_SOCKET") && daemon(0, 0) < 0)
		return sg_error_errno(-errno, "Failed to daemonize: %m"), 1;

	err = run(&d);
	sg_control_close(&d);
	sg_metrics_stop(&d);
	sg_tamper_close(&d);
	sg_watch_close(&d);
	if (d.pidfile[0] && sg_unlink_own(d.pidfile, &d.pidfile_id) == -ESTALE)
		sg_warn("%s is not ours any more: left in place", d.pidfile);
	sg_observe_close(d.observe);
	sg_detector_stop(&d);
	sg_quarantine_free(&d);
	sg_egress_close(d.egress);
	sg_guard_close(d.guard, true);
	sg_sysresolver_done(&d.sysres);
	sg_policy_free(d.pol);
	sg_policy_free(d.prev_pol);
	sg_data_free(d.data);
	sg_config_free(&d.cfg);
	return err ? 1 : 0;
}
