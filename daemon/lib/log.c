// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
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

int sg_log_errno(int level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, err, fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}
