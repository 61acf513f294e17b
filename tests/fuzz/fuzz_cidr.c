// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the cidr data loader (see fuzz_data.h). */
#define FUZZ_KIND SG_SRC_CIDR
#include "fuzz_data.h"
