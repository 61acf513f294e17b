// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "sovguard";
static int log_max_level = LOG_INFO;
static int log_journal;

void sg_log_init(const char *ident, int max_level, int force_stderr)
{
	log_ident = ident;
	log_max_level = max_level;
	log_journal = !force_stderr && access("/run/systemd/journal/socket", W_OK) == 0;
}

int sg_log_use_journal(void)
{
	return log_journal;
}

static void log_emit(int level, int err, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_max_level)
		return;
	/* vsnprintf expands %m from errno: make it the error we were given. */
	if (err)
		errno = err < 0 ? -err : err;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_journal)
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level,
				"SYSLOG_IDENTIFIER=%s", log_ident, NULL);
	else
		fprintf(stderr, "%s: %s\n", log_ident, msg);
}

void sg_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, 0, fmt, ap);
	va_end(ap);
}

#define SG_LOG_FIELDS_MAX	32
#define SG_LOG_MSG_KEY		"MESSAGE="

void sg_log_struct(int level, const struct sg_log_field *fields, size_t n, const char *fmt, ...)
{
	const size_t key = sizeof(SG_LOG_MSG_KEY) - 1;
	char msg[1024] = SG_LOG_MSG_KEY, prio[32], ident[64];
	char *buf[SG_LOG_FIELDS_MAX] = { NULL };
	struct iovec iov[SG_LOG_FIELDS_MAX + 3];
	size_t i, k = 0;
	va_list ap;

	if (level > log_max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg + key, sizeof(msg) - key, fmt, ap);
	va_end(ap);
	if (!log_journal) {
		fprintf(stderr, "%s: %s\n", log_ident, msg + key);
		return;
	}
	snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
	snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
	iov[k++] = (struct iovec){ msg, strlen(msg) };
	iov[k++] = (struct iovec){ prio, strlen(prio) };
	iov[k++] = (struct iovec){ ident, strlen(ident) };
	for (i = 0; i < n && i < SG_LOG_FIELDS_MAX; i++) {
		if (asprintf(&buf[i], "%s=%s", fields[i].name, fields[i].value) < 0) {
			buf[i] = NULL;
			continue;
		}
		iov[k++] = (struct iovec){ buf[i], strlen(buf[i]) };
	}
	sd_journal_sendv(iov, k);
	for (i = 0; i < n && i < SG_LOG_FIELDS_MAX; i++)
		free(buf[i]);
}

int sg_log_errno(int level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, err, fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}
