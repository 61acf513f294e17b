// SPDX-License-Identifier: GPL-2.0
/*
 * Jurisdiction data from a libloc database: validated, its signature
 * checked, its networks appended to the common table (data.c), which
 * resolves overlaps.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#define LIBLOC_PRIVATE	/* the on-disk structures in format.h, for validation */
#include <libloc/format.h>
#undef LIBLOC_PRIVATE
#include <libloc/libloc.h>
#include <libloc/database.h>
#include <libloc/network.h>
#include <libloc/as.h>
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
