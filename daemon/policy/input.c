// SPDX-License-Identifier: GPL-2.0
/*
 * Opening what a policy is made of: the configuration, rules files and
 * jurisdiction data. Whoever can write one of them decides what the
 * daemon allows, so each must be a regular file that only root (or the
 * user the daemon runs as) can change, on a path that only they can
 * change: the checks of sshd's StrictModes. A FIFO or a device is refused
 * before it can block the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static bool owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static void describe(const struct stat *st, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char pwbuf[1024];

	getpwuid_r(st->st_uid, &pw, pwbuf, sizeof(pwbuf), &res);
	snprintf(buf, len, "owned by %s (uid %u), mode %04o", res ? res->pw_name : "an unknown user",
		 (unsigned int)st->st_uid, (unsigned int)(st->st_mode & 07777));
}

static int refuse(char *msg, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(char *msg, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return err;
}

/*
 * One component: owned by a trusted user and writable by no one else. A
 * directory of the path (not the input itself) may be world-writable when
 * it is root's and sticky, as /tmp is: others cannot replace root's entries.
 */
static int check_one(const char *path, const struct stat *st, bool ancestor, char *msg,
		     size_t len)
{
	char what[200];

	if (owner_trusted(st->st_uid) &&
	    (!(st->st_mode & (S_IWGRP | S_IWOTH)) ||
	     (ancestor && S_ISDIR(st->st_mode) && st->st_uid == 0 && (st->st_mode & S_ISVTX))))
		return 0;
	describe(st, what, sizeof(what));
	return refuse(msg, len, -EPERM,
		      "not trusted: %s%s is %s; it must belong to root%s and be writable by no "
		      "group or others", ancestor ? "directory " : "it", ancestor ? path : "", what,
		      geteuid() ? " or the user sovguard runs as" : "");
}

/* Every directory on the real path of @fd, from its parent up to "/". */
static int check_path(int fd, const char *path, char *msg, size_t len)
{
	char real[PATH_MAX], link[64];
	struct stat st;
	ssize_t n;
	char *slash;
	int err;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n > 0 && real[0] == '/') {
		real[n] = '\0';
	} else if (!realpath(path, real)) {
		return refuse(msg, len, -errno, "cannot resolve the path: %s", strerror(errno));
	}
	for (;;) {
		slash = strrchr(real, '/');
		if (!slash)
			return 0;
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(real, &st) < 0)
			return refuse(msg, len, -errno, "cannot check directory %s: %s", real,
				      strerror(errno));
		err = check_one(real, &st, true, msg, len);
		if (err || slash == real)
			return err;
	}
}

/**
 * sg_input_open() - open a configuration, rules or data file, or a rules
 * directory, if it can be trusted.
 * @path: what to open
 * @flags: SG_INPUT_DIR for a directory, else a regular file is required
 * @ret_st: its stat, may be NULL
 * @msg: on error, why, without the path (the caller names it)
 *
 * The open never blocks (a FIFO is refused, not waited on); the returned
 * descriptor is close-on-exec and blocking.
 *
 * Return: the descriptor, or a negative errno: -EINVAL for what is neither
 * a regular file nor (with SG_INPUT_DIR) a directory, -EPERM for an input
 * or a directory on its path that someone else than root (or the user the
 * caller runs as) owns or can write.
 */
int sg_input_open(const char *path, unsigned int flags, struct stat *ret_st, char *msg,
		  size_t len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int err, fl;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
				(flags & SG_INPUT_DIR ? O_DIRECTORY : 0));
	if (fd < 0)
		return refuse(msg, len, -errno, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		return refuse(msg, len, -errno, "cannot stat: %s", strerror(errno));
	if (flags & SG_INPUT_DIR ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return refuse(msg, len, -EINVAL, flags & SG_INPUT_DIR ? "not a directory" :
									 "not a regular file");
	err = check_one(path, &st, false, msg, len);
	if (!err)
		err = check_path(fd, path, msg, len);
	if (err)
		return err;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return refuse(msg, len, -errno, "cannot open: %s", strerror(errno));
	if (ret_st)
		*ret_st = st;
	err = fd;
	fd = -1;
	return err;
}
