/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_TAMPER_H
#define SG_TAMPER_H

/* How often the kernel state is checked: at least once a second. */
#define SG_TAMPER_INTERVAL_MS	250
#define SG_MAX_CPUS		1024	/* per-CPU counters read at once */

struct sg_daemon;

int sg_tamper_init(struct sg_daemon *d);
void sg_tamper_tick(struct sg_daemon *d);
void sg_tamper_close(struct sg_daemon *d);
void sg_tamper_alert(const char *kind, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
