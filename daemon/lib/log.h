/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stddef.h>
#include <syslog.h>

/*
 * Logging to journald with structured fields when journald is there,
 * to stderr otherwise. Errors are logged once, where they are handled:
 *	return sg_log_errno(LOG_ERR, err, "Failed to attach %s: %m", name);
 * %m in the format prints strerror(-err).
 */
void sg_log_init(const char *ident, int max_level, int force_stderr);
void sg_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sg_log_errno(int level, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sg_log_use_journal(void);

/*
 * A message with structured fields: to journald as MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER and each NAME=value of fields[0..n); to stderr the
 * message alone.
 */
struct sg_log_field {
	const char *name;	/* upper case, e.g. "SG_VERDICT" */
	const char *value;
};
void sg_log_struct(int level, const struct sg_log_field *fields, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define sg_info(...) sg_log(LOG_INFO, __VA_ARGS__)
#define sg_warn(...) sg_log(LOG_WARNING, __VA_ARGS__)
#define sg_debug(...) sg_log(LOG_DEBUG, __VA_ARGS__)
#define sg_error_errno(err, ...) sg_log_errno(LOG_ERR, err, __VA_ARGS__)

#endif
