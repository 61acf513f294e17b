/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The answer to `check` (lib/control_proto.h): a request's connection as a
 * query of the compiled image, and the reply built from the image's answer.
 * The daemon answers from the image the kernel holds (control.c),
 * `sovguardctl check --rules` from one it compiles offline (ctl/offline.c):
 * one decision, sg_image_decide(), and one reply for both.
 */
#ifndef SG_ANSWER_H
#define SG_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "compile.h"

struct json_object;

/* The port a check asks about when the request names none. */
#define SG_CHECK_PORT_DEFAULT	443

/* A request's string member @key, or NULL when absent or not a string. */
const char *sg_req_str(struct json_object *req, const char *key);
/* Its integer member @key within [lo, hi]: 0, -ENOENT, -EINVAL, -ERANGE. */
int sg_req_int(struct json_object *req, const char *key, long long lo, long long hi,
	       long long *ret);

/* The id of @rule of @pol ("fail", "refused", the default's, a rule's), as check names it. */
const char *sg_rule_id(const struct sg_policy *pol, __u32 rule);

/*
 * Fill @q (and @addr, the destination as the data is keyed) from the
 * request's "addr", "proto", "port", "uid", "gid", "unit", "cgroup" and
 * "exe", the subject resolved through @res.
 * Return: 0, or a negative errno with the reason in @msg.
 */
int sg_check_query(const struct sg_resolver *res, struct json_object *req, struct sg_query *q,
		   struct in6_addr *addr, char *msg, size_t len);

/*
 * The reply to @req: @ans's verdict and rule, what @mode makes of the
 * verdict, the destination's country, operator, flags, zones and the data
 * source that placed it.
 */
struct json_object *sg_check_reply(const struct sg_policy *pol, const struct sg_data *data,
				   struct json_object *req, const struct in6_addr *addr,
				   const struct sg_answer *ans, __u32 mode);

/*
 * Whether @zone of @pol holds address @a, whose jurisdiction data says
 * @info: the zone list of a check's reply, and of an alert's destination.
 */
bool sg_zone_holds(const struct sg_policy *pol, const struct sg_data *data,
		   const struct sg_zone *zone, const struct in6_addr *a,
		   const struct sg_lookup *info);

#endif
