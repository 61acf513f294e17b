/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Zeek log reader: conn.log and dns.log as TSV (with the #fields header,
 * columns in any order) or JSON lines, plain or gzip, decoded into
 * struct sg_obs one record at a time. docs/detection.md lists the fields
 * read and how each is interpreted.
 */
#ifndef SG_ZEEK_H
#define SG_ZEEK_H

#include "detect.h"

#define SG_ZEEK_LINE_MAX	65536	/* bytes in one log line */
#define SG_ZEEK_FIELDS_MAX	256	/* columns in one TSV line */
#define SG_ZEEK_ERR_MAX		512

struct sg_zeek;

/* Return: 0 or negative errno with a message in err (file: reason). */
int sg_zeek_open(const char *path, enum sg_det_kind kind, struct sg_zeek **ret, char *err,
		 size_t errlen);
/* Read from fd (taken over), named name in messages. */
int sg_zeek_open_fd(int fd, const char *name, enum sg_det_kind kind, struct sg_zeek **ret,
		    char *err, size_t errlen);
/*
 * The next record; its strings stay valid until the next call.
 * Return: 1 for a record, 0 at the end, negative errno on bad input with
 * sg_zeek_error() saying file:line: what.
 */
int sg_zeek_next(struct sg_zeek *z, struct sg_obs *o);
const char *sg_zeek_error(const struct sg_zeek *z);
unsigned long long sg_zeek_lines(const struct sg_zeek *z);
void sg_zeek_close(struct sg_zeek *z);

/* Zeek's time: "1714521600.25" or ISO8601 "2024-05-01T00:00:00.25Z". */
int sg_zeek_parse_time(const char *s, double *ret);

#endif
