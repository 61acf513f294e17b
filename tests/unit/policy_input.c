// SPDX-License-Identifier: GPL-2.0
/*
 * sg_input_open(): what a configuration, rules or data file must be to be
 * read at all. Files and directories under a fresh directory in /tmp (root's,
 * sticky and world-writable: an acceptable ancestor).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "policy.h"

FIXTURE(input)
{
	char dir[64];
	char path[128];
	char msg[SG_INPUT_MSG_LEN];
};

static int write_text(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, "x\n", 2) != 2)
		return -1;
	close(fd);
	return chmod(path, mode);
}

FIXTURE_SETUP(input)
{
	strcpy(self->dir, "/tmp/sg-input-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/file", self->dir);
	ASSERT_EQ(0, write_text(self->path, 0644));
	self->msg[0] = '\0';
}

FIXTURE_TEARDOWN(input)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

static int try_open(FIXTURE_DATA(input) *self, const char *path, unsigned int flags)
{
	int fd = sg_input_open(path, flags, NULL, self->msg, sizeof(self->msg));

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : fd;
}

TEST_F(input, trusted_file_opens_blocking)
{
	struct stat st;
	int fd;

	fd = sg_input_open(self->path, 0, &st, self->msg, sizeof(self->msg));
	ASSERT_GE(fd, 0) TH_LOG("%s", self->msg);
	EXPECT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(2, st.st_size);
	close(fd);
	EXPECT_EQ(0, try_open(self, self->dir, SG_INPUT_DIR));
}

/* A FIFO with no writer would block open(): refused at once instead. */
TEST_F(input, fifo_refused_without_waiting)
{
	snprintf(self->path, sizeof(self->path), "%s/fifo", self->dir);
	ASSERT_EQ(0, mkfifo(self->path, 0600));
	EXPECT_EQ(-EINVAL, try_open(self, self->path, 0));
	EXPECT_STREQ("not a regular file", self->msg);
}

TEST_F(input, kind_must_match)
{
	EXPECT_EQ(-EINVAL, try_open(self, self->dir, 0));
	EXPECT_GT(0, try_open(self, self->path, SG_INPUT_DIR));
	EXPECT_EQ(-ENOENT, try_open(self, "/nonexistent/file", 0));
}

TEST_F(input, writable_by_others_refused)
{
	ASSERT_EQ(0, chmod(self->path, 0666));
	EXPECT_EQ(-EPERM, try_open(self, self->path, 0));
	EXPECT_NE(NULL, strstr(self->msg, "mode 0666")) TH_LOG("%s", self->msg);
	ASSERT_EQ(0, chmod(self->path, 0620));
	EXPECT_EQ(-EPERM, try_open(self, self->path, 0));
}

TEST_F(input, owned_by_another_user_refused)
{
	if (geteuid())
		SKIP(return, "needs root to give the file away");
	ASSERT_EQ(0, chown(self->path, 65534, 65534));
	EXPECT_EQ(-EPERM, try_open(self, self->path, 0));
	EXPECT_NE(NULL, strstr(self->msg, "(uid 65534)")) TH_LOG("%s", self->msg);
}

/* Whoever can write a directory on the path can replace what is below it. */
TEST_F(input, writable_directory_on_the_path_refused)
{
	char sub[128], file[160], link[160];

	snprintf(sub, sizeof(sub), "%s/sub", self->dir);
	snprintf(file, sizeof(file), "%s/file", sub);
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, write_text(file, 0644));
	EXPECT_EQ(0, try_open(self, file, 0)) TH_LOG("%s", self->msg);
	ASSERT_EQ(0, chmod(sub, 0775));
	EXPECT_EQ(-EPERM, try_open(self, file, 0));
	EXPECT_NE(NULL, strstr(self->msg, sub)) TH_LOG("%s", self->msg);
	EXPECT_NE(NULL, strstr(self->msg, "0775")) TH_LOG("%s", self->msg);
	EXPECT_EQ(-EPERM, try_open(self, sub, SG_INPUT_DIR));

	/* A link from a trusted place does not launder the real path. */
	snprintf(link, sizeof(link), "%s/link", self->dir);
	ASSERT_EQ(0, symlink(file, link));
	EXPECT_EQ(-EPERM, try_open(self, link, 0));
	EXPECT_NE(NULL, strstr(self->msg, sub)) TH_LOG("%s", self->msg);
}

/* Root's sticky directories (/tmp) are fine on the way, not as the input. */
TEST_F(input, sticky_directory_only_as_an_ancestor)
{
	char sticky[128], file[160];

	if (geteuid())
		SKIP(return, "a sticky directory is acceptable when it is root's");
	snprintf(sticky, sizeof(sticky), "%s/sticky", self->dir);
	snprintf(file, sizeof(file), "%s/file", sticky);
	ASSERT_EQ(0, mkdir(sticky, 0755));
	ASSERT_EQ(0, chmod(sticky, 01777));
	ASSERT_EQ(0, write_text(file, 0644));
	EXPECT_EQ(0, try_open(self, file, 0)) TH_LOG("%s", self->msg);
	EXPECT_EQ(-EPERM, try_open(self, sticky, SG_INPUT_DIR));
	ASSERT_EQ(0, chmod(sticky, 0777));
	EXPECT_EQ(-EPERM, try_open(self, file, 0));
}

TEST_HARNESS_MAIN
