/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ownership in systemd's manner: a variable declared _cleanup_free_ (or
 * _cleanup_close_, _cleanup_fclose_, _cleanup_(fn)) releases what it holds
 * when it goes out of scope; set it to NULL or -1 to hand the object on.
 * Shared by the daemon and the policy library, so it includes only libc.
 */
#ifndef SG_LIB_CLEANUP_H
#define SG_LIB_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void sg_freep(void *p)
{
	free(*(void **)p);
}

static inline void sg_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void sg_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* @fn takes a pointer to the variable: void fn(T **p) for a T *. */
#define _cleanup_(fn) __attribute__((cleanup(fn)))
#define _cleanup_free_ _cleanup_(sg_freep)
#define _cleanup_close_ _cleanup_(sg_closep)
#define _cleanup_fclose_ _cleanup_(sg_fclosep)

#endif
