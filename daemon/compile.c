// SPDX-License-Identifier: GPL-2.0
/*
 * Policy compiler: rules x jurisdiction data -> the image of
 * include/sovguard_egress.h, decided by bpf/decide.h. sg_compile() runs the
 * steps in order over one struct compiler (compile_internal.h): destination
 * classes from a sweep over the address space (compile_dst.c), port classes
 * and subject atoms (compile_subj.c), then the image's layout and contents
 * (image.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "compile_internal.h"
#include "lib/cleanup.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compiler_init(struct compiler *c)
{
	const struct sg_policy *pol = c->pol;

	c->nr_rules = pol->nr_rules;
	c->nr_chunks = c->nr_rules ? sg_blocks(c->nr_rules, SG_CHUNK_RULES) : 1;
	c->nwords = c->nr_chunks * SG_BLK_WORDS;
	c->dst.nwords = c->nwords;
	c->active = calloc(pol->nr_atoms + 1, sizeof(bool));
	c->truth = calloc(pol->nr_atoms + 1, sizeof(bool));
	c->bits = calloc(c->nwords, sizeof(__u64));
	if (!c->active || !c->truth || !c->bits)
		return -ENOMEM;
	return 0;
}

static void compiler_done(struct compiler *c)
{
	sg_bitset_free(&c->dst);
	sg_bitset_free(&c->psets);
	sg_bitset_free(&c->ports);
	free(c->keys.ents);
	free(c->v4);
	free(c->v6);
	free(c->active);
	free(c->truth);
	free(c->bits);
	free(c->asn_ref);
	free(c->label_ref);
	free(c->pclass);
	free(c->subj);
	free(c->subj_table);
}

/**
 * sg_compile() - compile a policy against jurisdiction data.
 * @pol: the parsed rules.
 * @data: finished jurisdiction data.
 * @res: how subjects resolve to kernel identities.
 * @generation: stamped into the image and reported by every decision.
 * @diag: warnings (unresolved subjects) and errors.
 * @ret: the image, untouched on failure.
 *
 * Return: 0, -E2BIG when the policy exceeds a kernel table limit (the
 * message says which), -ENOMEM.
 */
int sg_compile(const struct sg_policy *pol, const struct sg_data *data,
	       const struct sg_resolver *res, __u32 generation, FILE *diag,
	       struct sg_image **ret)
{
	_cleanup_(compiler_done) struct compiler c = { .pol = pol, .data = data, .diag = diag };
	_cleanup_(sg_image_freep) struct sg_image *img = NULL;
	double t0 = now_ms();
	int err;

	if (pol->nr_rules > SG_RULES_MAX) {
		fprintf(diag, "policy has %u rules; the kernel tables hold at most %u\n",
			pol->nr_rules, SG_RULES_MAX);
		return -E2BIG;
	}
	err = compiler_init(&c);
	if (err)
		return err;
	err = sg_compile_dst(&c);
	if (err)
		return err;
	err = sg_compile_ports(&c);
	if (err)
		return err;
	err = sg_compile_subjects(&c, res);
	if (err)
		return err;
	err = sg_image_layout(&c, generation, &img);
	if (err)
		return err;
	err = sg_image_emit(img, &c);
	if (err)
		return err;
	img->nr_unresolved = c.unresolved;
	img->compile_ms = now_ms() - t0;
	*ret = img;
	img = NULL;
	return 0;
}
