/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Labelled Zeek traces for the detection tests and bench: synthetic
 * conn.log / dns.log with known beacons, exfiltration, DNS tunnels and
 * DNS-less implants among benign traffic (docs/detection.md, "Evaluation").
 *
 * DIR/labels.tsv has one line per labelled positive:
 *   beacon SRC DST NAME JITTER   exfil SRC DST   dnstun SRC DOMAIN   dnsless SRC DST
 * and per heuristic the number of negative series ("neg HEUR N"): distinct
 * benign (subject, destination) pairs the heuristic could have flagged (for
 * beacon, those with at least SG_ZEEKGEN_BEACON_MIN connections).
 * DIR/detect.conf holds the allow-list that covers the benign periodic jobs.
 */
#ifndef SG_ZEEKGEN_H
#define SG_ZEEKGEN_H

#include <stdbool.h>

#define SG_ZEEKGEN_BEACON_MIN 36

enum sg_zeekgen_profile {
	SG_ZEEKGEN_OFFICE,	/* an office network: single conn.log/dns.log */
	SG_ZEEKGEN_NOISY,	/* internet-facing sensor: hourly gz in dated dirs */
	SG_ZEEKGEN_BENCH,	/* a single conn.log of about conn_lines lines */
};

struct sg_zeekgen_opts {
	const char *dir;
	enum sg_zeekgen_profile profile;
	bool json;			/* JSON lines instead of TSV */
	bool iso_time;			/* JSON ts as ISO8601 strings */
	bool gzip;			/* compress (the noisy profile always does) */
	unsigned int seed;
	unsigned int hours;		/* default 24 */
	unsigned int beacons;		/* labelled beacons, default 40 */
	double max_jitter;		/* beacon interval jitter spread 0..max, default 0.5 */
	unsigned long long conn_lines;	/* SG_ZEEKGEN_BENCH */
};

/* Return: 0 or negative errno (message on stderr). */
int sg_zeekgen_write(const struct sg_zeekgen_opts *o);

#endif
