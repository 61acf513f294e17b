// SPDX-License-Identifier: GPL-2.0
/* The decisions the egress programs report, to journald or stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <systemd/sd-journal.h>

#include "daemon.h"
#include "lib/log.h"
#include "lib/names.h"

static const char *rule_name(struct sg_daemon *d, __u32 gen, __u32 rule, char *buf, size_t len)
{
	const struct sg_policy *pol = gen == d->gen ? d->pol : gen == d->prev_gen ? d->prev_pol :
			NULL;

	if (rule == SG_RULE_FAIL)
		return "fail verdict";
	if (rule == SG_RULE_REFUSED)
		return "refused route";
	if (pol && rule == SG_RULE_DEFAULT)
		return pol->default_id;
	if (pol && rule < pol->nr_rules && pol->rules[rule].name) {
		snprintf(buf, len, "%s %s", pol->rules[rule].id, pol->rules[rule].name);
		return buf;
	}
	if (pol && rule < pol->nr_rules)
		return pol->rules[rule].id;
	if (rule == SG_RULE_DEFAULT)
		snprintf(buf, len, "default (generation %u)", gen);
	else
		snprintf(buf, len, "#%u (generation %u)", rule, gen);
	return buf;
}

/*
 * A flood of decisions must not flood the journal nor starve the daemon:
 * at most SG_EVENT_LOG_RATE events a second are logged one by one, the
 * rest are counted and summed up once a second; and one wake-up handles at
 * most SG_EVENT_BATCH events before signals and requests get their turn.
 */
#define SG_EVENT_LOG_RATE	200
#define SG_EVENT_BATCH		256

static bool event_log_allowed(struct sg_daemon *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != d->log_second) {
		if (d->log_suppressed)
			sg_warn("%llu decisions not logged in the last %lds (more than %d a second)",
				d->log_suppressed, (long)(ts.tv_sec - d->log_second),
				SG_EVENT_LOG_RATE);
		d->log_second = ts.tv_sec;
		d->log_count = 0;
		d->log_suppressed = 0;
	}
	if (d->log_count >= SG_EVENT_LOG_RATE) {
		d->log_suppressed++;
		d->events_unlogged++;
		return false;
	}
	d->log_count++;
	return true;
}

int sg_on_event(void *ctx, const struct sg_event *ev)
{
	struct sg_daemon *d = ctx;
	char dst[INET6_ADDRSTRLEN] = "?", rbuf[160], port[8], proto[8], gen[16], pid[16], uid[16];
	char comm[SG_COMM_LEN + 1], cgid[24];
	const char *rule;
	struct sg_log_field f[] = {
		{ "SG_VERDICT", sg_verdict_name(ev->verdict) },
		{ "SG_HOOK", sg_hook_name(ev->hook) },
		{ "SG_DEST", dst }, { "SG_PORT", port }, { "SG_PROTO", proto },
		{ "SG_RULE", rbuf }, { "SG_GENERATION", gen }, { "SG_PID", pid },
		{ "SG_UID", uid }, { "SG_COMM", comm }, { "SG_CGROUP_ID", cgid },
	};

	d->events++;
	if (++d->batch >= SG_EVENT_BATCH)
		return -EAGAIN;		/* the rest on the next turn */
	if (!event_log_allowed(d))
		return 0;
	rule = rule_name(d, ev->generation, ev->rule, rbuf, sizeof(rbuf));
	if (rule != rbuf)	/* SG_RULE names rbuf */
		snprintf(rbuf, sizeof(rbuf), "%s", rule);
	inet_ntop(ev->family, ev->addr, dst, sizeof(dst));
	snprintf(port, sizeof(port), "%u", ev->port);
	snprintf(proto, sizeof(proto), "%u", ev->protocol);
	snprintf(gen, sizeof(gen), "%u", ev->generation);
	snprintf(pid, sizeof(pid), "%u", ev->pid);
	snprintf(uid, sizeof(uid), "%u", ev->uid);
	snprintf(comm, sizeof(comm), "%.*s", SG_COMM_LEN, ev->comm);
	snprintf(cgid, sizeof(cgid), "%llu", (unsigned long long)ev->cgroup_id);
	sg_log_struct(ev->verdict == SG_VERDICT_DENY ? LOG_WARNING : LOG_NOTICE, f, SG_ARRAY_SIZE(f),
		      "%s %s %s port %u by %s[%u] uid %u (rule %s, mode %s)",
		      sg_verdict_name(ev->verdict), sg_hook_name(ev->hook), dst, ev->port, comm,
		      ev->pid, ev->uid, rbuf, sg_mode_name(ev->mode));
	return 0;
}
