// SPDX-License-Identifier: GPL-2.0
/*
 * Jurisdiction data loaders: libloc, MMDB, Tor geoip/geoip6, CIDR lists.
 * Each appends networks to the common table (data.c) and never resolves
 * overlaps itself.
 */
#include <endian.h>
#include <errno.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#define LIBLOC_PRIVATE	/* the on-disk structures in format.h, for validation */
#include <libloc/format.h>
#undef LIBLOC_PRIVATE
#include <libloc/libloc.h>
#include <libloc/database.h>
#include <libloc/network.h>
#include <libloc/as.h>
#include <maxminddb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "internal.h"

/* ---------------------------------------------------------------------------
 * libloc
 */

static void loc_ctxp(struct loc_ctx **p)
{
	if (*p)
		loc_unref(*p);
}

static void loc_dbp(struct loc_database **p)
{
	if (*p)
		loc_database_unref(*p);
}

static void loc_enump(struct loc_database_enumerator **p)
{
	if (*p)
		loc_database_enumerator_unref(*p);
}

/* Deepest path in a network tree: one level per address bit. */
#define LIBLOC_TREE_DEPTH	128

static uint32_t be32_at(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

/*
 * libloc trusts its file: offsets into the string pool and the network tree
 * are followed unchecked. Check the structure first, so that a truncated or
 * corrupt file is an error and not a crash: every section inside the file,
 * every string inside a NUL-terminated pool, the tree a tree of at most 128
 * levels whose nodes and networks exist.
 */
static int libloc_validate(const char *buf, size_t len, uint32_t *ret_nets)
{
	struct loc_database_header_v1 h;
	const size_t hoff = sizeof(struct loc_database_magic);
	uint32_t nr_nodes, nr_nets, nr_as, nr_cc;
	const size_t nsz = sizeof(struct loc_database_network_node_v1);
	struct {
		uint32_t node;
		uint32_t depth;
	} *stack = NULL;
	uint8_t *seen = NULL;
	size_t sp = 0;
	int err = -EINVAL;

	if (len < hoff + sizeof(h) || memcmp(buf, LOC_DATABASE_MAGIC, 7) ||
	    buf[7] != LOC_DATABASE_VERSION_1)
		return -EINVAL;
	memcpy(&h, buf + hoff, sizeof(h));
#define SECTION_OK(off, length) \
	((uint64_t)be32toh(off) + be32toh(length) <= len && be32toh(off) >= hoff + sizeof(h))
	if (!SECTION_OK(h.as_offset, h.as_length) ||
	    !SECTION_OK(h.network_data_offset, h.network_data_length) ||
	    !SECTION_OK(h.network_tree_offset, h.network_tree_length) ||
	    !SECTION_OK(h.countries_offset, h.countries_length) ||
	    !SECTION_OK(h.pool_offset, h.pool_length))
		return -EINVAL;
#undef SECTION_OK
	if (be16toh(h.signature1_length) > LOC_SIGNATURE_MAX_LENGTH ||
	    be16toh(h.signature2_length) > LOC_SIGNATURE_MAX_LENGTH)
		return -EINVAL;
	{
		uint32_t pool = be32toh(h.pool_offset), plen = be32toh(h.pool_length);

		if (!plen || buf[pool + plen - 1])
			return -EINVAL;
		if (be32toh(h.vendor) >= plen || be32toh(h.description) >= plen ||
		    be32toh(h.license) >= plen)
			return -EINVAL;
		nr_as = be32toh(h.as_length) / sizeof(struct loc_database_as_v1);
		for (uint32_t i = 0; i < nr_as; i++) {
			const char *a = buf + be32toh(h.as_offset) +
					i * sizeof(struct loc_database_as_v1);

			if (be32_at(a + offsetof(struct loc_database_as_v1, name)) >= plen)
				return -EINVAL;
		}
		nr_cc = be32toh(h.countries_length) / sizeof(struct loc_database_country_v1);
		for (uint32_t i = 0; i < nr_cc; i++) {
			const char *c = buf + be32toh(h.countries_offset) +
					i * sizeof(struct loc_database_country_v1);

			if (be32_at(c + offsetof(struct loc_database_country_v1, name)) >= plen)
				return -EINVAL;
		}
	}
	nr_nodes = be32toh(h.network_tree_length) / nsz;
	nr_nets = be32toh(h.network_data_length) / sizeof(struct loc_database_network_v1);
	if (!nr_nodes)
		return -EINVAL;
	seen = calloc(nr_nodes, 1);
	stack = calloc(2 * LIBLOC_TREE_DEPTH + 2, sizeof(*stack));
	if (!seen || !stack) {
		err = -ENOMEM;
		goto out;
	}
	stack[sp].node = 0;
	stack[sp++].depth = 0;
	seen[0] = 1;
	while (sp) {
		uint32_t n = stack[--sp].node, depth = stack[sp].depth;
		const char *p = buf + be32toh(h.network_tree_offset) + (size_t)n * nsz;
		uint32_t child[2] = { be32_at(p), be32_at(p + 4) }, net = be32_at(p + 8);

		if (net != UINT32_MAX && net >= nr_nets)
			goto out;
		for (int i = 0; i < 2; i++) {
			if (!child[i])
				continue;
			if (child[i] >= nr_nodes || seen[child[i]] || depth >= LIBLOC_TREE_DEPTH)
				goto out;
			seen[child[i]] = 1;
			stack[sp].node = child[i];
			stack[sp++].depth = depth + 1;
		}
	}
	*ret_nets = nr_nets;
	err = 0;
out:
	free(seen);
	free(stack);
	return err;
}

static void pkeyp(EVP_PKEY **p)
{
	EVP_PKEY_free(*p);
}

static void mdctxp(EVP_MD_CTX **p)
{
	EVP_MD_CTX_free(*p);
}

/*
 * libloc's signature scheme, as loc_database_verify() checks it: the key's
 * default digest over the magic, the header with both signatures and their
 * lengths zeroed, and everything after the header; either of the two
 * signatures may match (two slots, for a change of key). It is done here
 * over the mapped file because libloc 0.9.16 formats a hex dump of every
 * byte it hashes, debug log or not: 2.4 s for the world database, against
 * 0.05 s here. The tests hold both to the same answers.
 * Return: 1 verified, 0 not, -ENOKEY when the key cannot verify, -ENOMEM.
 */
static int libloc_sig_check(EVP_PKEY *key, const char *buf, size_t len)
{
	const size_t hoff = sizeof(struct loc_database_magic);
	const size_t body = hoff + sizeof(struct loc_database_header_v1);
	struct loc_database_header_v1 h;

	memcpy(&h, buf + hoff, sizeof(h));
	memset(h.signature1, 0, sizeof(h.signature1));
	memset(h.signature2, 0, sizeof(h.signature2));
	h.signature1_length = 0;
	h.signature2_length = 0;
	for (int slot = 0; slot < 2; slot++) {
		_cleanup_(mdctxp) EVP_MD_CTX *md = NULL;
		const struct loc_database_header_v1 *fh = (const void *)(buf + hoff);
		const unsigned char *sig = (const unsigned char *)(slot ? fh->signature2 :
									   fh->signature1);
		size_t slen = be16toh(slot ? fh->signature2_length : fh->signature1_length);
		int r;

		if (!slen)
			continue;
		md = EVP_MD_CTX_new();
		if (!md)
			return -ENOMEM;
		/* A key that cannot verify (an X25519 key, say) fails here. */
		if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) != 1 ||
		    EVP_DigestVerifyUpdate(md, buf, hoff) != 1 ||
		    EVP_DigestVerifyUpdate(md, &h, sizeof(h)) != 1 ||
		    EVP_DigestVerifyUpdate(md, buf + body, len - body) != 1)
			return -ENOKEY;
		r = EVP_DigestVerifyFinal(md, sig, slen);
		if (r == 1)
			return 1;
		/* r < 0 is a signature that does not even parse: not verified either. */
	}
	return 0;
}

/*
 * The database's signature against the key. buf has passed libloc_validate,
 * so the header is there and the signature lengths are in bounds.
 */
static int libloc_verify(const char *name, const char *buf, size_t len,
			 const struct sg_load_opts *opts, enum sg_sig_state *ret_sig, FILE *diag)
{
	enum sg_unsigned_policy policy = opts ? opts->unsigned_data : SG_UNSIGNED_REFUSE;
	const char *key = opts && opts->key ? opts->key : SG_LIBLOC_KEY_PATH;
	_cleanup_fclose_ FILE *kf = NULL;
	_cleanup_(pkeyp) EVP_PKEY *pkey = NULL;
	struct loc_database_header_v1 h;
	const char *why;
	int r;

	memcpy(&h, buf + sizeof(struct loc_database_magic), sizeof(h));
	if (!h.signature1_length && !h.signature2_length) {
		if (policy == SG_UNSIGNED_ALLOW) {
			*ret_sig = SG_SIG_UNSIGNED;
			return 0;
		}
		if (diag)
			fprintf(diag, "%s: libloc database has no signature; refused "
				"(data_unsigned = allow accepts it)\n", name);
		return -EBADMSG;
	}
	kf = fopen(key, "re");
	why = kf ? "not a PEM public key" : strerror(errno);
	if (kf)
		pkey = PEM_read_PUBKEY(kf, NULL, NULL, NULL);
	ERR_clear_error();
	if (!pkey) {
		if (policy == SG_UNSIGNED_ALLOW) {
			if (diag)
				fprintf(diag, "%s: warning: signature not verified: key %s: %s "
					"(accepted: data_unsigned = allow)\n", name, key, why);
			*ret_sig = SG_SIG_UNVERIFIED;
			return 0;
		}
		if (diag)
			fprintf(diag, "%s: cannot verify the signature: key %s: %s\n", name, key,
				why);
		return -ENOKEY;
	}
	r = libloc_sig_check(pkey, buf, len);
	ERR_clear_error();	/* what failed is said here; the queue is per thread */
	if (r == -ENOKEY && diag)
		fprintf(diag, "%s: cannot verify the signature: key %s cannot verify signatures\n",
			name, key);
	if (r < 0)
		return r;
	if (!r) {
		/* A signature that fails is a modified file, never accepted. */
		if (diag)
			fprintf(diag, "%s: bad signature: the database does not verify with key %s; "
				"refused\n", name, key);
		return -EBADMSG;
	}
	*ret_sig = SG_SIG_VERIFIED;
	return 0;
}

int sg_pol_load_libloc(struct sg_data *d, const char *name, const char *buf, size_t len, FILE *f,
		       const struct sg_load_opts *opts, time_t *created, enum sg_sig_state *sig,
		       FILE *diag)
{
	_cleanup_(loc_ctxp) struct loc_ctx *ctx = NULL;
	_cleanup_(loc_dbp) struct loc_database *db = NULL;
	_cleanup_(loc_enump) struct loc_database_enumerator *en = NULL;
	struct loc_network *net;
	struct loc_as *as;
	uint32_t nr_nets = 0;
	int err;

	err = libloc_validate(buf, len, &nr_nets);
	if (err) {
		if (diag && err == -EINVAL)
			fprintf(diag, "%s: not a readable libloc database (truncated or corrupt)\n",
				name);
		return err;
	}
	/* The signature is checked before libloc reads the file. */
	err = libloc_verify(name, buf, len, opts, sig, diag);
	if (err)
		return err;
	err = loc_new(&ctx);
	if (err)
		return -ENOMEM;
	/* libloc logs to stderr on its own; the caller reports errors. */
	loc_set_log_priority(ctx, 0);
	err = loc_database_new(ctx, &db, f);
	if (err) {
		if (diag)
			fprintf(diag, "%s: not a readable libloc database (truncated or corrupt)\n",
				name);
		return -EINVAL;
	}
	*created = loc_database_created_at(db);

	err = loc_database_enumerator_new(&en, db, LOC_DB_ENUMERATE_ASES, 0);
	if (err)
		return -ENOMEM;
	sg_pol_data_set_has_asn_info(d);
	for (;;) {
		as = NULL;
		err = loc_database_enumerator_next_as(en, &as);
		if (err || !as)
			break;
		err = sg_pol_data_add_asn(d, loc_as_get_number(as));
		loc_as_unref(as);
		if (err)
			return err;
	}
	loc_database_enumerator_unref(en);
	en = NULL;

	err = loc_database_enumerator_new(&en, db, LOC_DB_ENUMERATE_NETWORKS, 0);
	if (err || sg_pol_data_reserve(d, nr_nets))
		return -ENOMEM;
	for (;;) {
		const struct in6_addr *first, *last;
		const char *cc;
		uint8_t flags = 0;

		net = NULL;
		err = loc_database_enumerator_next_network(en, &net);
		if (err) {
			if (net)
				loc_network_unref(net);
			if (diag)
				fprintf(diag, "%s: corrupt network tree\n", name);
			return -EINVAL;
		}
		if (!net)
			break;
		first = loc_network_get_first_address(net);
		last = loc_network_get_last_address(net);
		cc = loc_network_get_country_code(net);
		if (!cc || !sg_country_valid(cc))
			cc = NULL;
		if (loc_network_has_flag(net, LOC_NETWORK_FLAG_ANONYMOUS_PROXY))
			flags |= SG_FLAG_ANONYMOUS_PROXY;
		if (loc_network_has_flag(net, LOC_NETWORK_FLAG_SATELLITE_PROVIDER))
			flags |= SG_FLAG_SATELLITE;
		if (loc_network_has_flag(net, LOC_NETWORK_FLAG_ANYCAST))
			flags |= SG_FLAG_ANYCAST;
		if (loc_network_has_flag(net, LOC_NETWORK_FLAG_DROP))
			flags |= SG_FLAG_DROP;
		err = -EINVAL;
		if (first && last)
			err = sg_pol_data_add(d, sg_addr_to_u128(first),
					      sg_addr_to_u128(last), cc,
					      loc_network_get_asn(net), flags, 0);
		loc_network_unref(net);
		if (err) {
			if (diag)
				fprintf(diag, "%s: cannot add network: %s\n", name, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * MMDB: walk the search tree with MMDB_read_node, depth first, left first.
 */

/* Two children per level on the stack at most. */
#define MMDB_STACK_MAX	(2 * 128 + 2)

struct mmdb_walk {
	uint32_t node;
	uint8_t depth;
	sg_u128 prefix;
};

static void mmdb_closep(MMDB_s **p)
{
	if (*p)
		MMDB_close(*p);
}

static int mmdb_record(struct sg_data *d, const char *name, MMDB_entry_s *entry, sg_u128 first,
		       sg_u128 last, FILE *diag)
{
	MMDB_entry_data_s ed;
	char cc[3] = "";
	uint32_t asn = 0;
	uint8_t flags = 0;
	int st;

	st = MMDB_get_value(entry, &ed, "country", "iso_code", NULL);
	if (st == MMDB_SUCCESS && ed.has_data && ed.type == MMDB_DATA_TYPE_UTF8_STRING &&
	    ed.data_size == 2) {
		memcpy(cc, ed.utf8_string, 2);
	} else if (st != MMDB_SUCCESS && st != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR &&
		   st != MMDB_INVALID_LOOKUP_PATH_ERROR) {
		goto corrupt;
	}
	if (cc[0] && !sg_country_valid(cc))
		cc[0] = 0;
	st = MMDB_get_value(entry, &ed, "autonomous_system_number", NULL);
	if (st == MMDB_SUCCESS && ed.has_data && ed.type == MMDB_DATA_TYPE_UINT32)
		asn = ed.uint32;
	else if (st != MMDB_SUCCESS && st != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR &&
		 st != MMDB_INVALID_LOOKUP_PATH_ERROR)
		goto corrupt;
	st = MMDB_get_value(entry, &ed, "traits", "is_anycast", NULL);
	if (st == MMDB_SUCCESS && ed.has_data && ed.type == MMDB_DATA_TYPE_BOOLEAN &&
	    ed.boolean)
		flags |= SG_FLAG_ANYCAST;
	if (!cc[0] && !asn && !flags)
		return 0;
	return sg_pol_data_add(d, first, last, cc, asn, flags, 0);
corrupt:
	if (diag)
		fprintf(diag, "%s: corrupt data record: %s\n", name, MMDB_strerror(st));
	return -EINVAL;
}

int sg_pol_load_mmdb(struct sg_data *d, const char *name, const char *path, time_t *created,
		  FILE *diag)
{
	MMDB_s mmdb;
	_cleanup_(mmdb_closep) MMDB_s *open_db = NULL;
	struct mmdb_walk stack[MMDB_STACK_MAX];
	unsigned int bits, sp = 0;
	uint32_t v4_start = UINT32_MAX;
	uint64_t visits = 0;
	int st, err;

	st = MMDB_open(path, MMDB_MODE_MMAP, &mmdb);
	if (st != MMDB_SUCCESS) {
		if (diag)
			fprintf(diag, "%s: not a readable MMDB file: %s\n", name,
				MMDB_strerror(st));
		return st == MMDB_IO_ERROR ? -EIO : -EINVAL;
	}
	open_db = &mmdb;
	*created = (time_t)mmdb.metadata.build_epoch;
	if (mmdb.metadata.ip_version != 4 && mmdb.metadata.ip_version != 6) {
		if (diag)
			fprintf(diag, "%s: unsupported ip_version %u\n", name,
				mmdb.metadata.ip_version);
		return -EINVAL;
	}
	bits = mmdb.metadata.ip_version == 6 ? 128 : 32;
	if (bits == 128) {
		/* IPv4 lives at ::/96; ::ffff:0:0/96 and 2002::/16 alias it. */
		uint32_t node = 0;

		for (unsigned int i = 0; i < 96; i++) {
			MMDB_search_node_s sn;

			if (MMDB_read_node(&mmdb, node, &sn) != MMDB_SUCCESS ||
			    sn.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE) {
				node = UINT32_MAX;
				break;
			}
			node = (uint32_t)sn.left_record;
		}
		v4_start = node;
	}

	stack[sp++] = (struct mmdb_walk){ 0, 0, 0 };
	while (sp) {
		struct mmdb_walk w = stack[--sp];
		MMDB_search_node_s sn;

		if (++visits > 2ull * mmdb.metadata.node_count + 2) {
			st = MMDB_CORRUPT_SEARCH_TREE_ERROR;
			goto corrupt;
		}
		st = MMDB_read_node(&mmdb, w.node, &sn);
		if (st != MMDB_SUCCESS)
			goto corrupt;
		/* Right first onto the stack, so the left half comes out first. */
		for (int side = 1; side >= 0; side--) {
			uint64_t rec = side ? sn.right_record : sn.left_record;
			uint8_t type = side ? sn.right_record_type : sn.left_record_type;
			MMDB_entry_s *entry = side ? &sn.right_record_entry : &sn.left_record_entry;
			unsigned int depth = w.depth + 1u;
			sg_u128 first = w.prefix | ((sg_u128)side << (bits - depth));
			sg_u128 host = depth >= bits ? 0 : ((sg_u128)1 << (bits - depth)) - 1;
			sg_u128 last = first | host;

			switch (type) {
			case MMDB_RECORD_TYPE_EMPTY:
				break;
			case MMDB_RECORD_TYPE_SEARCH_NODE:
				if (depth >= bits) {
					st = MMDB_CORRUPT_SEARCH_TREE_ERROR;
					goto corrupt;
				}
				if (bits == 128 && rec == v4_start && !(depth == 96 && first == 0))
					break;
				if (sp >= MMDB_STACK_MAX) {
					st = MMDB_CORRUPT_SEARCH_TREE_ERROR;
					goto corrupt;
				}
				stack[sp++] = (struct mmdb_walk){ (uint32_t)rec, (uint8_t)depth,
								  first };
				break;
			case MMDB_RECORD_TYPE_DATA:
				if (bits == 32 || (depth >= 96 && !(first >> 32))) {
					first |= SG_U128_V4_FIRST;
					last |= SG_U128_V4_FIRST;
				}
				err = mmdb_record(d, name, entry, first, last, diag);
				if (err)
					return err;
				break;
			default:
				st = MMDB_INVALID_DATA_ERROR;
				goto corrupt;
			}
		}
	}
	/* Only the AS databases carry operators; their absence is not an error. */
	return 0;
corrupt:
	if (diag)
		fprintf(diag, "%s: corrupt search tree: %s\n", name, MMDB_strerror(st));
	return -EINVAL;
}

/* ---------------------------------------------------------------------------
 * Text formats: one network per line, '#' comments.
 */

struct text_ctx {
	const char *name;
	FILE *diag;
	unsigned int errors;
};

static void text_error(struct text_ctx *t, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void text_error(struct text_ctx *t, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (++t->errors > SG_MAX_ERRORS || !t->diag)
		return;
	fprintf(t->diag, "%s:%u: ", t->name, line);
	va_start(ap, fmt);
	vfprintf(t->diag, fmt, ap);
	va_end(ap);
	fputc('\n', t->diag);
}

/* Calls fn for every line without its comment and surrounding blanks. */
static int for_each_line(struct text_ctx *t, const char *buf, size_t len,
			 int (*fn)(struct text_ctx *t, unsigned int lineno, char *line, void *arg),
			 void *arg)
{
	char line[SG_MAX_DATA_LINE_LEN + 1];
	unsigned int lineno = 0;
	size_t i = 0;
	int err;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - buf) : len, n = e - i;
		char *s, *hash;

		lineno++;
		if (n > SG_MAX_DATA_LINE_LEN) {
			text_error(t, lineno, "line longer than %u bytes", SG_MAX_DATA_LINE_LEN);
			i = e + 1;
			continue;
		}
		memcpy(line, buf + i, n);
		line[n] = 0;
		i = e + 1;
		if (memchr(line, 0, n)) {
			text_error(t, lineno, "NUL byte in text data");
			continue;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		s = line;
		while (isspace((unsigned char)*s))
			s++;
		n = strlen(s);
		while (n && isspace((unsigned char)s[n - 1]))
			s[--n] = 0;
		if (!n)
			continue;
		err = fn(t, lineno, s, arg);
		if (err)
			return err;
	}
	if (t->errors > SG_MAX_ERRORS && t->diag)
		fprintf(t->diag, "%s: too many errors (%u), only the first %u shown\n", t->name,
			t->errors, SG_MAX_ERRORS);
	return t->errors ? -EINVAL : 0;
}

static int tor_line(struct text_ctx *t, unsigned int lineno, char *s, void *arg)
{
	struct sg_data *d = arg;
	char *f[3], *save = NULL;
	sg_u128 lo, hi;
	const char *cc;
	int n = 0;

	for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == 3) {
			n++;
			break;
		}
		f[n++] = tok;
	}
	if (n != 3) {
		text_error(t, lineno, "expected LOW,HIGH,COUNTRY");
		return 0;
	}
	if (strchr(f[0], ':') || strchr(f[1], ':')) {
		struct in6_addr a, b;

		if (sg_addr_parse(f[0], &a) || sg_addr_parse(f[1], &b)) {
			text_error(t, lineno, "bad IPv6 address");
			return 0;
		}
		lo = sg_addr_to_u128(&a);
		hi = sg_addr_to_u128(&b);
	} else {
		unsigned long long a, b;

		if (sg_pol_parse_uint(f[0], UINT32_MAX, &a) ||
		    sg_pol_parse_uint(f[1], UINT32_MAX, &b)) {
			text_error(t, lineno, "bad IPv4 integer");
			return 0;
		}
		lo = SG_U128_V4_FIRST | a;
		hi = SG_U128_V4_FIRST | b;
	}
	if (lo > hi) {
		text_error(t, lineno, "range ends before it starts");
		return 0;
	}
	cc = f[2];
	if (!strcmp(cc, "??")) {
		cc = NULL;
	} else if (!sg_country_valid(cc)) {
		text_error(t, lineno, "unknown country code '%s'", cc);
		return 0;
	}
	return cc ? sg_pol_data_add(d, lo, hi, cc, 0, 0, 0) : 0;
}

int sg_pol_load_tor(struct sg_data *d, const char *name, const char *buf, size_t len, FILE *diag)
{
	struct text_ctx t = { .name = name, .diag = diag };

	return for_each_line(&t, buf, len, tor_line, d);
}

static bool label_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > SG_MAX_NAME_LEN || !islower((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    !strchr("-_.", s[i]))
			return false;
	return true;
}

static int cidr_line(struct text_ctx *t, unsigned int lineno, char *s, void *arg)
{
	struct sg_data *d = arg;
	char *save = NULL, *tok;
	struct in6_addr a;
	char cc[3] = "";
	uint32_t asn = 0;
	int label = 0;
	uint8_t len;
	sg_u128 lo, host;
	int err;

	tok = strtok_r(s, " \t", &save);
	err = sg_prefix_parse(tok, strlen(tok), &a, &len);
	if (err) {
		text_error(t, lineno, "'%s' is not a network prefix%s", tok,
			   err == -EDOM ? " (host bits set)" : "");
		return 0;
	}
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if ((tok[0] == 'a' || tok[0] == 'A') && (tok[1] == 's' || tok[1] == 'S') &&
		    isdigit((unsigned char)tok[2])) {
			unsigned long long v;

			if (sg_pol_parse_uint(tok + 2, UINT32_MAX, &v) || !v) {
				text_error(t, lineno, "bad AS number '%s'", tok);
				return 0;
			}
			asn = (uint32_t)v;
		} else if (strlen(tok) == 2) {
			if (!sg_country_valid(tok)) {
				text_error(t, lineno, "unknown country code '%s'", tok);
				return 0;
			}
			memcpy(cc, tok, 3);
		} else if (label_valid(tok)) {
			label = sg_pol_data_intern_label(d, tok, strlen(tok));
			if (label < 0) {
				text_error(t, lineno, "more than %u zone labels",
					   SG_MAX_DATA_LABELS);
				return 0;
			}
		} else {
			text_error(t, lineno, "'%s' is neither a country, an AS nor a zone label",
				   tok);
			return 0;
		}
	}
	if (!cc[0] && !asn && !label) {
		text_error(t, lineno, "network without a country, AS or zone label");
		return 0;
	}
	lo = sg_addr_to_u128(&a);
	host = len ? (((sg_u128)1 << (128 - len)) - 1) : ~(sg_u128)0;
	return sg_pol_data_add(d, lo, lo | host, cc, asn, 0, (uint16_t)label);
}

int sg_pol_load_cidr(struct sg_data *d, const char *name, const char *buf, size_t len, FILE *diag)
{
	struct text_ctx t = { .name = name, .diag = diag };

	return for_each_line(&t, buf, len, cidr_line, d);
}
