/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SG_LSM_H
#define SG_LSM_H

#include <stdbool.h>

bool sg_lsm_bpf_active(void);
const char *sg_guard_state(const char *pin_root);

#endif
