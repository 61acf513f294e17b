// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the libloc data loader (see fuzz_data.h). */
#define FUZZ_KIND SG_SRC_LIBLOC
#include "fuzz_data.h"
