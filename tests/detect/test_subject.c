// SPDX-License-Identifier: GPL-2.0
/*
 * Who a live record's subject is when its process is gone before the record
 * is read (daemon/det_subject.c): the executables cached by the walk of
 * /proc at start, keyed as the kernel keys them (the inode's i_sb->s_dev in
 * the kernel's dev_t encoding, and i_ino), else the command name as
 * "comm:NAME".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "detector_int.h"

/* The kernel's MKDEV(): major in the top 12 bits, minor in the low 20. */
#define KDEV(ma, mi)	(((__u32)(ma) << 20) | (__u32)(mi))

/*
 * glibc's dev_t keeps the low 8 bits of the minor apart from the rest: only
 * a conversion makes a minor past 255 (anonymous devices of overlayfs,
 * btrfs subvolumes, tmpfs) or a major past 255 match the kernel's number.
 */
TEST(kdev_is_the_kernel_encoding)
{
	EXPECT_EQ(KDEV(8, 1), sg_kdev(makedev(8, 1)));
	EXPECT_EQ(KDEV(0, 300), sg_kdev(makedev(0, 300)));
	EXPECT_EQ(KDEV(259, 65537), sg_kdev(makedev(259, 65537)));
	EXPECT_EQ(KDEV(4095, 0xfffff), sg_kdev(makedev(4095, 0xfffff)));
	EXPECT_NE((__u32)makedev(0, 300), sg_kdev(makedev(0, 300)));
}

/* A fork that has exited: its pid, which names no process now. */
static __u32 gone_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return (__u32)pid;
}

/* The subject of a record of this process, its executable as the kernel keys it. */
static struct sg_obs_subject self_subject(__u32 pid)
{
	struct sg_obs_subject s = { .pid = pid, .tgid = pid };
	struct stat st;

	if (!stat("/proc/self/exe", &st)) {
		s.exe_dev = sg_kdev(st.st_dev);
		s.exe_ino = st.st_ino;
	}
	memcpy(s.comm, "test_subject", 12);
	return s;
}

TEST(seed_names_a_gone_process_by_its_executable)
{
	struct sg_detector *t = calloc(1, sizeof(*t));
	struct sg_obs_subject s = self_subject(gone_pid());
	char self[SG_DETECT_PATH_MAX];
	const char *exe;

	ASSERT_NE(NULL, t);
	ASSERT_TRUE(sg_det_proc_exe((__u32)getpid(), self, sizeof(self)));
	/* nothing cached, the process gone: no executable */
	EXPECT_EQ(NULL, sg_det_subject_exe(t, &s));
	/* the walk of /proc caches this process's executable under the kernel's key */
	EXPECT_LT(0, sg_det_exes_seed(t, ""));
	exe = sg_det_subject_exe(t, &s);
	ASSERT_NE(NULL, exe);
	EXPECT_STREQ(self, exe);
	free(t);
}

/*
 * A process that exec'd another program after the record was made: its
 * /proc/PID/exe names the new one, which must not name the record's
 * executable (a shell's connect before "exec sh" named as sh).
 */
TEST(proc_exe_of_refuses_another_executable)
{
	struct sg_detector *t = calloc(1, sizeof(*t));
	struct sg_obs_subject s = self_subject((__u32)getpid());
	char buf[SG_DETECT_PATH_MAX], self[SG_DETECT_PATH_MAX];

	ASSERT_NE(NULL, t);
	ASSERT_TRUE(sg_det_proc_exe((__u32)getpid(), self, sizeof(self)));
	EXPECT_TRUE(sg_det_proc_exe_of((__u32)getpid(), s.exe_dev, s.exe_ino, buf, sizeof(buf)));
	EXPECT_STREQ(self, buf);
	/* the record's executable is another inode: no path, nothing left in @buf */
	EXPECT_FALSE(sg_det_proc_exe_of((__u32)getpid(), s.exe_dev, s.exe_ino + 1, buf,
					sizeof(buf)));
	EXPECT_STREQ("", buf);
	s.exe_ino++;
	EXPECT_EQ(NULL, sg_det_subject_exe(t, &s));
	free(t);
}

/* This process's cgroup v2 path ("/a/b"), as /proc/self/cgroup gives it. */
static void self_cgroup(char *buf, size_t len)
{
	char line[4200];
	FILE *f = fopen("/proc/self/cgroup", "re");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + 3);
		}
	if (f)
		fclose(f);
}

/*
 * The processes of the observed subtree first: the others go into free ways
 * only, and never push out what is there; those of the subtree do.
 */
TEST(observed_subtree_first)
{
	struct sg_detector *t = calloc(1, sizeof(*t));
	struct sg_obs_subject s = self_subject(gone_pid());
	char cg[4200];
	unsigned int i, kept = 0;

	ASSERT_NE(NULL, t);
	for (i = 0; i < SG_DET_EXES_MAX; i++) {
		t->exes[i].dev = ~0ULL;
		t->exes[i].ino = i;
		strcpy(t->exes[i].path, "/full");
	}
	/* no process in that cgroup: the others find no free way */
	EXPECT_EQ(0, sg_det_exes_seed(t, "/sg-no-such-cgroup"));
	for (i = 0; i < SG_DET_EXES_MAX; i++)
		kept += t->exes[i].dev == ~0ULL && !strcmp(t->exes[i].path, "/full");
	EXPECT_EQ(SG_DET_EXES_MAX, kept);
	EXPECT_EQ(NULL, sg_det_subject_exe(t, &s));
	/* this process is in its own cgroup: cached in a full set */
	self_cgroup(cg, sizeof(cg));
	ASSERT_NE('\0', cg[0]);
	if (!strcmp(cg, "/"))
		cg[0] = '\0';
	EXPECT_LT(0, sg_det_exes_seed(t, cg));
	EXPECT_NE(NULL, sg_det_subject_exe(t, &s));
	free(t);
}

TEST(comm_names_what_has_no_executable)
{
	struct sg_obs_subject s = { 0 };
	char buf[SG_COMM_LEN + 6];

	EXPECT_EQ(NULL, sg_det_comm_name(&s, buf, sizeof(buf)));
	memcpy(s.comm, "implant", 7);
	EXPECT_STREQ("comm:implant", sg_det_comm_name(&s, buf, sizeof(buf)));
	/* a full name has no terminator in the record */
	memset(s.comm, 'x', SG_COMM_LEN);
	ASSERT_NE(NULL, sg_det_comm_name(&s, buf, sizeof(buf)));
	EXPECT_EQ(5 + SG_COMM_LEN, strlen(buf));
	/* the task chooses its name: no control bytes into logs */
	memcpy(s.comm, "a\nb\033", 5);
	EXPECT_STREQ("comm:a?b?", sg_det_comm_name(&s, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
