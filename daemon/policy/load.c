// SPDX-License-Identifier: GPL-2.0
/*
 * Loading jurisdiction data: a source's kind, its signature and age, and the
 * loader of its format (load_libloc.c, load_mmdb.c, load_text.c), which feeds
 * the common table (data.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "internal.h"

#define SG_MAX_DATA_FILE_SIZE	(512ul << 20)	/* text data files are read whole */

static const char LIBLOC_MAGIC[] = "LOCDBXX";
static const char MMDB_MARKER[] = "\xab\xcd\xefMaxMind.com";

static enum sg_source_kind detect_kind(const char *buf, size_t len)
{
	size_t mlen = sizeof(MMDB_MARKER) - 1;

	if (len >= sizeof(LIBLOC_MAGIC) - 1 && !memcmp(buf, LIBLOC_MAGIC, sizeof(LIBLOC_MAGIC) - 1))
		return SG_SRC_LIBLOC;
	if (len >= mlen && memmem(buf, len, MMDB_MARKER, mlen))
		return SG_SRC_MMDB;
	/* Text: Tor's files are "low,high,CC"; CIDR lists have no comma. */
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - buf) : len;
		size_t k = i;

		while (k < e && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\r'))
			k++;
		if (k < e && buf[k] != '#')
			return memchr(buf + k, ',', e - k) ? SG_SRC_TOR_GEOIP : SG_SRC_CIDR;
		i = e + 1;
	}
	return SG_SRC_CIDR;
}

static int check_age(const char *name, time_t created, const struct sg_load_opts *opts,
		     FILE *diag)
{
	time_t now, age;

	if (!opts || !created || (!opts->max_age && !opts->warn_age))
		return 0;
	now = opts->now ? opts->now : time(NULL);
	/* A date before 1970 or more than a day ahead proves nothing. */
	if (created < 0 || created > now + 86400) {
		if (diag)
			fprintf(diag, "%s: %screation time %lld is in the future or invalid\n",
				name, opts->max_age ? "" : "warning: ", (long long)created);
		return opts->max_age ? -ESTALE : 0;
	}
	age = created > now ? 0 : now - created;
	if (opts->max_age && age > opts->max_age) {
		if (diag)
			fprintf(diag, "%s: data is %lld days old, more than the allowed %lld\n",
				name, (long long)age / 86400, (long long)opts->max_age / 86400);
		return -ESTALE;
	}
	if (opts->warn_age && age > opts->warn_age && diag)
		fprintf(diag, "%s: warning: data is %lld days old (warning after %lld)\n", name,
			(long long)age / 86400, (long long)opts->warn_age / 86400);
	return 0;
}

/* Source data from memory; fd_path/fd let binary loaders open it by name. */
static int load_mem(struct sg_data *d, const char *name, const char *buf, size_t len, int fd,
		    time_t mtime, const struct sg_load_opts *opts, FILE *diag)
{
	enum sg_source_kind kind = opts ? opts->kind : SG_SRC_AUTO;
	time_t created = mtime;
	struct sg_source_info *src;
	char fdpath[64];
	int err;

	if (kind == SG_SRC_AUTO)
		kind = detect_kind(buf, len);
	err = sg_pol_data_begin_source(d, kind, name, &src);
	if (err) {
		if (diag)
			fprintf(diag, "%s: cannot add data source: %s\n", name, strerror(-err));
		return err;
	}
	if (kind != SG_SRC_LIBLOC) {
		/* Nothing to verify: these formats carry no signature. */
		if ((opts ? opts->unsigned_data : SG_UNSIGNED_REFUSE) == SG_UNSIGNED_REFUSE) {
			if (diag)
				fprintf(diag, "%s: %s data cannot carry a signature; refused "
					"(data_unsigned = unsignable accepts it)\n", name,
					sg_source_kind_name(kind));
			return -EBADMSG;
		}
		src->sig = SG_SIG_UNSIGNED;
	}
	switch (kind) {
	case SG_SRC_LIBLOC: {
		_cleanup_fclose_ FILE *f = NULL;
		int dfd = dup(fd);

		if (dfd < 0)
			return -errno;
		f = fdopen(dfd, "r");
		if (!f) {
			err = -errno;
			close(dfd);
			return err;
		}
		err = sg_pol_load_libloc(d, name, buf, len, f, opts, &created,
					 &src->sig, diag);
		break;
	}
	case SG_SRC_MMDB:
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		err = sg_pol_load_mmdb(d, name, fdpath, &created, diag);
		break;
	case SG_SRC_TOR_GEOIP:
		err = sg_pol_load_tor(d, name, buf, len, diag);
		break;
	case SG_SRC_CIDR:
	default:
		err = sg_pol_load_cidr(d, name, buf, len, diag);
		break;
	}
	src->created = created;
	if (err)
		return err;
	if (!src->nr_networks) {
		if (diag)
			fprintf(diag, "%s: no networks in %s data\n", name,
				sg_source_kind_name(kind));
		return -ENODATA;
	}
	return check_age(name, created, opts, diag);
}

int sg_data_load(struct sg_data *d, const char *path, const struct sg_load_opts *opts, FILE *diag)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	char why[SG_INPUT_MSG_LEN];
	void *map;
	int err;

	fd = sg_input_open(path, 0, &st, why, sizeof(why));
	if (fd < 0) {
		if (diag)
			fprintf(diag, "%s: %s\n", path, why);
		return fd;
	}
	if (!st.st_size) {
		if (diag)
			fprintf(diag, "%s: empty file\n", path);
		return -ENODATA;
	}
	if ((unsigned long)st.st_size > SG_MAX_DATA_FILE_SIZE) {
		if (diag)
			fprintf(diag, "%s: larger than %lu MiB\n", path,
				SG_MAX_DATA_FILE_SIZE >> 20);
		return -EFBIG;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		if (diag)
			fprintf(diag, "%s: cannot read: %s\n", path, strerror(-err));
		return err;
	}
	err = load_mem(d, path, map, st.st_size, fd, st.st_mtime, opts, diag);
	munmap(map, st.st_size);
	return err;
}

int sg_data_load_buffer(struct sg_data *d, const char *name, const void *buf, size_t len,
			const struct sg_load_opts *opts, FILE *diag)
{
	_cleanup_close_ int fd = -1;
	size_t off = 0;

	fd = memfd_create("sg-data", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, (const char *)buf + off, len - off);

		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return load_mem(d, name, buf, len, fd, 0, opts, diag);
}

int sg_data_load_default(struct sg_data *d, const char *path, const struct sg_load_opts *opts,
			 FILE *diag)
{
	if (path)
		return sg_data_load(d, path, opts, diag);
	if (!access(SG_LIBLOC_PATH_UPDATED, R_OK))
		return sg_data_load(d, SG_LIBLOC_PATH_UPDATED, opts, diag);
	return sg_data_load(d, SG_LIBLOC_PATH_PACKAGED, opts, diag);
}
