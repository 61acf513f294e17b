/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the policy compiler. sg_compile() (compile.c) runs its steps in
 * this order, each in its own file:
 *   compile_dst.c   interned rule bitmaps; the destination sweep
 *   compile_subj.c  port classes; subjects resolved to atoms
 *   image.c         the image: layout (with the subject hash table), emit,
 *                   header, decide
 * Everything here includes only compile.h and daemon/lib/.
 */
#ifndef SG_COMPILE_INTERNAL_H
#define SG_COMPILE_INTERNAL_H

#include "compile.h"
#include "lib/u128.h"

#define SG_PORT_CLASSES_MAX	65535u

/* Interned bitmaps: equal rule sets get one id (compile_dst.c). */
struct bitset_tab {
	__u32 nwords;
	__u64 *data;
	__u32 nr, cap;
	__u32 *slots;		/* id + 1, 0 empty */
	__u32 nslots;		/* power of two, > 2 * nr */
};

long sg_bitset_intern(struct bitset_tab *t, const __u64 *bits);
void sg_bitset_free(struct bitset_tab *t);

/* Destination keys seen so far (compile_dst.c). */
struct dkey_ent;

struct dkey_tab {
	struct dkey_ent *ents;
	__u32 nr, nslots;
};

/* An IPv4 range of one class, until the next one starts. */
struct v4_range {
	__u32 start;		/* host byte order */
	__u32 dst_class;
};

struct subj_ent {
	struct sg_subject_key key;
	__u32 rule;
};

struct compiler {
	const struct sg_policy *pol;
	const struct sg_data *data;
	FILE *diag;
	__u32 nr_rules, nr_chunks, nwords;

	/* what the policy refers to: anything else is "other" */
	bool cc_ref[26][26];
	__u32 *asn_ref;
	__u32 nr_asn_ref;
	__u8 flag_ref;
	__u8 *label_ref;	/* 65536 entries */

	bool *active;		/* prefix atoms covering the current segment */
	bool *truth;		/* per atom, for the key being evaluated */
	__u64 *bits;		/* scratch bitmap */

	struct bitset_tab dst;	/* destination classes */
	struct bitset_tab psets;/* sets of active prefix atoms */
	struct dkey_tab keys;

	struct v4_range *v4;
	__u32 nr_v4;
	size_t cap_v4;
	struct sg_v6_range *v6;
	__u32 nr_v6;
	size_t cap_v6;
	__u32 max_v4;		/* most ranges in one /16 */

	struct bitset_tab ports;	/* port classes */
	__u16 *pclass;		/* class of each (protocol, port) */

	struct subj_ent *subj;	/* sorted by key: runs of one key are an atom */
	__u32 nr_subj, nr_subj_atoms;
	__u32 levels, kinds;	/* cgroup levels and subject kinds in use */
	__u32 unresolved;	/* subject atoms that matched nothing */
	struct sg_subject_key *subj_table;
	__u32 subj_blocks;
};

static inline __u32 sg_blocks(__u32 n, __u32 per)
{
	return (n + per - 1) / per;
}

static inline void sg_image_freep(struct sg_image **img)
{
	sg_image_free(*img);
}

/* compile_dst.c: the rules' references, class 0, the sweep. */
int sg_compile_dst(struct compiler *c);
/* compile_subj.c */
int sg_compile_ports(struct compiler *c);
int sg_compile_subjects(struct compiler *c, const struct sg_resolver *res);
int sg_subj_cmp(const void *a, const void *b);
/* image.c */
int sg_image_layout(struct compiler *c, __u32 generation, struct sg_image **ret);
int sg_image_emit(struct sg_image *img, const struct compiler *c);

#endif
