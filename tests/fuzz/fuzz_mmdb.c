// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the mmdb data loader (see fuzz_data.h). */
#define FUZZ_KIND SG_SRC_MMDB
#include "fuzz_data.h"
