// SPDX-License-Identifier: GPL-2.0
/* Jurisdiction data from a MaxMind DB, appended to the common table (data.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <maxminddb.h>

#include "internal.h"

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
