// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the tor data loader (see fuzz_data.h). */
#define FUZZ_KIND SG_SRC_TOR_GEOIP
#include "fuzz_data.h"
