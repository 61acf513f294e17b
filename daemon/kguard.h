/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's side of sovguard.ko: the lease heartbeat and the periodic
 * integrity scan. Without the module both are idle; when it appears (or is
 * reloaded) the daemon takes it up at the next tick.
 *
 * Stop means release: on SIGTERM the daemon hands the lease back, so a
 * deliberate `systemctl stop` never engages the guard. A crash or hang
 * stops the heartbeat and the guard engages when the lease lapses.
 */
#ifndef SG_KGUARD_H
#define SG_KGUARD_H

#include <stdbool.h>

struct sg_daemon;

int sg_kguard_init(struct sg_daemon *d);
void sg_kguard_tick(struct sg_daemon *d);
void sg_kguard_scan(struct sg_daemon *d);
void sg_kguard_stop(struct sg_daemon *d);

#endif
