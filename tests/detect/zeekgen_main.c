// SPDX-License-Identifier: GPL-2.0
/* sg-zeekgen: write a labelled Zeek trace (tests/detect/zeekgen.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zeekgen.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "iso-time", no_argument, NULL, 'i' },
		{ "gzip", no_argument, NULL, 'z' },
		{ "seed", required_argument, NULL, 's' },
		{ "hours", required_argument, NULL, 'H' },
		{ "beacons", required_argument, NULL, 'b' },
		{ "jitter", required_argument, NULL, 'J' },
		{ "lines", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct sg_zeekgen_opts o = { .beacons = 40, .max_jitter = 0.5, .hours = 24, .seed = 1 };
	int c, r;

	while ((c = getopt_long(argc, argv, "p:jizs:H:b:J:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!strcmp(optarg, "office"))
				o.profile = SG_ZEEKGEN_OFFICE;
			else if (!strcmp(optarg, "noisy"))
				o.profile = SG_ZEEKGEN_NOISY;
			else if (!strcmp(optarg, "bench"))
				o.profile = SG_ZEEKGEN_BENCH;
			else
				goto usage;
			break;
		case 'j':
			o.json = true;
			break;
		case 'i':
			o.iso_time = true;
			break;
		case 'z':
			o.gzip = true;
			break;
		case 's':
			o.seed = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'H':
			o.hours = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'b':
			o.beacons = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'J':
			o.max_jitter = strtod(optarg, NULL);
			break;
		case 'l':
			o.conn_lines = strtoull(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	o.dir = argv[optind];
	r = sg_zeekgen_write(&o);
	if (r)
		fprintf(stderr, "sg-zeekgen: %s\n", strerror(-r));
	return r ? 1 : 0;
usage:
	fprintf(stderr, "usage: sg-zeekgen [--profile office|noisy|bench] [--json [--iso-time]]\n"
			"                  [--gzip] [--seed N] [--hours N] [--beacons N] [--jitter J]\n"
			"                  [--lines N] DIR\n");
	return c == 'h' ? 0 : 2;
}
