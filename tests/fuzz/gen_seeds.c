// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the binary seed corpora (small libloc and MMDB files) that cannot
 * live in git as text: gen-seeds DIR -> DIR/libloc/seed-*, DIR/mmdb/seed-*.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "policy_fixtures.h"

static const struct fx_net seed_nets[] = {
	{ "10.0.0.0/8", "DE", 64500, 0 },
	{ "10.1.0.0/16", "FR", 64501, 0 },
	{ "10.1.2.0/24", NULL, 64502, 1 },
	{ "192.0.2.0/24", "US", 0, 0 },
};

static const struct fx_net seed_nets6[] = {
	{ "2001:db8::/32", "NL", 64504, 0 },
	{ "2001:db8:1::/48", "BE", 0, 1 },
};

static int open_seed(const char *dir, const char *kind, int n, FILE **ret)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, kind);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%d", dir, kind, n);
	*ret = fopen(path, "w");
	if (!*ret) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const uint32_t asns[] = { 64500, 64501, 64502, 64504 };
	struct fx_buf b = { 0 };
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-seeds DIR\n");
		return 2;
	}
	if (open_seed(argv[1], "libloc", 1, &f) || fx_write_libloc(f, seed_nets, 4, asns, 4))
		return 1;
	fclose(f);
	if (open_seed(argv[1], "libloc", 2, &f) || fx_write_libloc(f, seed_nets6, 2, NULL, 0))
		return 1;
	fclose(f);
	if (open_seed(argv[1], "mmdb", 1, &f) || fx_build_mmdb(&b, seed_nets, 4, 1700000000))
		return 1;
	fwrite(b.p, 1, b.n, f);
	fclose(f);
	free(b.p);
	b = (struct fx_buf){ 0 };
	if (open_seed(argv[1], "mmdb", 2, &f) || fx_build_mmdb_v(&b, seed_nets6, 2, 1700000000, 6))
		return 1;
	fwrite(b.p, 1, b.n, f);
	fclose(f);
	free(b.p);
	return 0;
}
