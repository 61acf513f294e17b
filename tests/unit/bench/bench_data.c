// SPDX-License-Identifier: GPL-2.0
/*
 * Times the libloc database: libloc's plain network enumeration alone, then
 * sg_data_load() (the same enumeration feeding the table) and sg_data_finish()
 * (sort and overlap sweep), in CPU seconds. usage: bench-data [DB]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libloc/libloc.h>
#include <libloc/database.h>

#include "policy.h"

/* CPU time of the process: steadier than wall time on a busy machine. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Random addresses: the table must answer as libloc's own lookup does. */
static int cross_check(const struct sg_data *d, const char *path)
{
	struct loc_database *db;
	struct loc_ctx *ctx;
	unsigned int seed = 1, bad = 0, hits = 0, i;
	FILE *f = fopen(path, "r");

	if (!f || loc_new(&ctx) || loc_database_new(ctx, &db, f))
		return 1;
	for (i = 0; i < 200000; i++) {
		struct in6_addr a = { 0 };
		struct loc_network *net = NULL;
		struct sg_lookup l;
		const char *cc = "";
		uint32_t asn = 0;

		if (i & 1) {
			a.s6_addr[10] = a.s6_addr[11] = 0xff;
			for (int k = 12; k < 16; k++)
				a.s6_addr[k] = (uint8_t)rand_r(&seed);
		} else {
			a.s6_addr[0] = 0x20 | (rand_r(&seed) & 1);
			for (int k = 1; k < 8; k++)
				a.s6_addr[k] = (uint8_t)rand_r(&seed);
		}
		if (!loc_database_lookup(db, &a, &net) && net) {
			cc = loc_network_get_country_code(net);
			if (!sg_country_valid(cc))
				cc = "";
			asn = loc_network_get_asn(net);
			hits++;
		}
		sg_data_lookup(d, &a, &l);
		if (strcmp(cc, l.cc) || asn != l.asn) {
			if (bad++ < 5)
				fprintf(stderr, "mismatch #%u: libloc %s AS%u, table %s AS%u\n", i,
					cc, asn, l.cc, l.asn);
		}
		if (net)
			loc_network_unref(net);
	}
	printf("cross-check against loc_database_lookup: %u addresses, %u in networks, "
	       "%u mismatches\n", i, hits, bad);
	loc_database_unref(db);
	loc_unref(ctx);
	fclose(f);
	return bad != 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 && argv[1][0] ? argv[1] : SG_LIBLOC_PATH_PACKAGED;
	struct loc_database_enumerator *en;
	struct loc_database *db;
	struct loc_network *net;
	struct loc_ctx *ctx;
	struct sg_data *d;
	double t0, t1, t2, t3;
	int bad;
	size_t n = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f || loc_new(&ctx)) {
		perror(path);
		return 1;
	}
	t0 = now();
	if (loc_database_new(ctx, &db, f) ||
	    loc_database_enumerator_new(&en, db, LOC_DB_ENUMERATE_NETWORKS, 0)) {
		fprintf(stderr, "%s: cannot open\n", path);
		return 1;
	}
	while (!loc_database_enumerator_next_network(en, &net) && net) {
		n++;
		loc_network_unref(net);
	}
	t1 = now();
	loc_database_enumerator_unref(en);
	loc_database_unref(db);
	loc_unref(ctx);
	fclose(f);
	printf("libloc plain enumeration: %zu networks in %.3f s\n", n, t1 - t0);

	if (sg_data_new(&d))
		return 1;
	t1 = now();
	if (sg_data_load(d, path, NULL, stderr))
		return 1;
	t2 = now();
	if (sg_data_finish(d))
		return 1;
	t3 = now();
	printf("sg_data_load (enumeration, ASes, table): %.3f s\n", t2 - t1);
	printf("sg_data_finish (sort, overlap sweep): %.3f s -> %zu ranges\n", t3 - t2,
	       sg_data_nr_ranges(d));
	printf("total %.3f s = %.2fx plain enumeration\n", t3 - t1, (t3 - t1) / (t1 - t0));
	bad = cross_check(d, path);
	sg_data_free(d);
	if (bad)
		return 1;
	return 0;
}
