// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/time.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sovguard_egress.h"
#include "sg_test.h"
#include "sg_child.h"

static int cgroup2_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mnt[4096], fstype[64];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strlen(mnt) < len) {
			strcpy(buf, mnt);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/* bpffs on /sys/fs/bpf, as a fresh boot may not have it yet. */
static int bpffs_ensure(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) < 0)
		return -errno;
	if (st.f_type != BPF_FS_MAGIC && mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
		return -errno;
	return 0;
}

static int copy_exe(const char *from, const char *to)
{
	char buf[65536];
	int in, out, err = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			err = -EIO;
			break;
		}
	if (n < 0)
		err = -errno;
	close(in);
	if (close(out) < 0 && !err)
		err = -errno;
	return err;
}

int sg_testenv_init(struct sg_testenv *env, const char *name)
{
	char self[4096], root[4096], path[4200];
	ssize_t n;
	char *dir;

	memset(env, 0, sizeof(*env));
	if (cgroup2_mount(root, sizeof(root)) || bpffs_ensure())
		return -ENOENT;
	snprintf(env->cgroup, sizeof(env->cgroup), "%s/sovguard-test-%s-%d", root, name,
		 getpid());
	if (mkdir(env->cgroup, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(env->pin_root, sizeof(env->pin_root), "/sys/fs/bpf/sovguard-test-%s-%d", name,
		 getpid());
	snprintf(env->dir, sizeof(env->dir), "/tmp/sovguard-test-XXXXXX");
	if (!mkdtemp(env->dir))
		return -errno;
	/* Probes run as other uids: they must reach their copies in here. */
	if (chmod(env->dir, 0755) < 0)
		return -errno;
	snprintf(env->config, sizeof(env->config), "%s/sovguard.conf", env->dir);
	snprintf(self, sizeof(self), "%s/rules.d", env->dir);
	if (mkdir(self, 0755) < 0)
		return -errno;
	if (sg_testenv_write_data(env, SG_TEST_DATA) || sg_testenv_write_rules(env, ""))
		return -EIO;
	snprintf(env->log, sizeof(env->log), "%s/sovguardd.log", env->dir);

	/* Tests live in BUILD/tests/host/; the programs under test in BUILD/. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	dir = dirname(dirname(dirname(self)));
	snprintf(env->daemon, sizeof(env->daemon), "%s/sovguardd", dir);
	if (access(env->daemon, X_OK))
		return -errno;
	/*
	 * The checkout may sit where other uids cannot go (a clone in /root):
	 * what runs as another uid runs from copies in the world-readable
	 * test directory.
	 */
	snprintf(env->ctl, sizeof(env->ctl), "%s/sovguardctl", env->dir);
	snprintf(env->probe, sizeof(env->probe), "%s/sg-probe", env->dir);
	snprintf(path, sizeof(path), "%s/sovguardctl", dir);
	if (copy_exe(path, env->ctl))
		return -EIO;
	snprintf(path, sizeof(path), "%s/tests/sg-probe", dir);
	return copy_exe(path, env->probe);
}

static int write_file(const char *path, const char *text)
{
	char tmp[700];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return rename(tmp, path) ? -errno : 0;
}

int sg_testenv_write_config(struct sg_testenv *env, const char *extra)
{
	char buf[8192];

	snprintf(buf, sizeof(buf),
		 "cgroup = %s\npin_root = %s\nrun_dir = %s/run\nrules_dir = %s/rules.d\n"
		 "data = %s/test.cidr\ndata_unsigned = unsignable\ndetect.state_dir = %s/state\n%s\n",
		 env->cgroup, env->pin_root, env->dir, env->dir, env->dir, env->dir,
		 extra ? extra : "");
	return write_file(env->config, buf);
}

int sg_testenv_write_rules(struct sg_testenv *env, const char *rules)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/rules.d/test.rules", env->dir);
	return write_file(path, rules);
}

int sg_testenv_write_data(struct sg_testenv *env, const char *cidr)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/test.cidr", env->dir);
	return write_file(path, cidr);
}

/*
 * The daemon writes its pid file before it opens the control socket: ready
 * is when both are there and the socket takes a connection.
 */
static bool daemon_ready(struct sg_testenv *env)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[512];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/run/sovguardd.pid", env->dir);
	if (access(path, F_OK))
		return false;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/control", env->dir) >=
	    sizeof(sa.sun_path))
		return true;	/* cannot tell; the pid file has to do */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

int sg_testenv_spawn(struct sg_testenv *env)
{
	int pid = fork(), fd;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open(env->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(env->daemon, "sovguardd", "--foreground", "--stderr", "-c", env->config,
		      env->daemon_arg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int sg_testenv_start(struct sg_testenv *env)
{
	char pidfile[512];
	int i, pid;

	snprintf(pidfile, sizeof(pidfile), "%s/run/sovguardd.pid", env->dir);
	unlink(pidfile);
	pid = sg_testenv_spawn(env);
	if (pid < 0)
		return pid;
	env->pid = pid;
	/* Up to a minute: loading the world's jurisdiction data takes seconds. */
	for (i = 0; i < 6000; i++) {
		int status;

		if (daemon_ready(env))
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			env->pid = 0;
			return -ECHILD;
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

int sg_testenv_stop(struct sg_testenv *env, int sig)
{
	int status = 0;

	if (!env->pid)
		return 0;
	kill(env->pid, sig);
	waitpid(env->pid, &status, 0);
	env->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Whether the daemon's log, from @off on, has a line with @what. */
static bool log_has(struct sg_testenv *env, off_t off, const char *what)
{
	char buf[65536];
	ssize_t n;
	int fd;

	fd = open(env->log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = pread(fd, buf, sizeof(buf) - 1, off);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

/*
 * SIGHUP, then wait until the daemon has answered it: its log says the
 * reload is done ("reloaded", after the new generation and the mode are
 * both in place) or refused ("keeping the running policy"). A new
 * generation alone is not enough: the mode is written after it.
 */
int sg_testenv_reload(struct sg_testenv *env)
{
	__u32 gen = sg_testenv_generation(env);
	struct stat st0 = {};
	int i;

	stat(env->log, &st0);
	kill(env->pid, SIGHUP);
	for (i = 0; i < 1000; i++) {
		if (log_has(env, st0.st_size, "reloaded "))
			return sg_testenv_generation(env) != gen ? 0 : -EINVAL;
		if (log_has(env, st0.st_size, "keeping the running policy"))
			return -EINVAL;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

void sg_testenv_cleanup(struct sg_testenv *env)
{
	char cmd[8192];

	sg_testenv_stop(env, SIGTERM);
	/* A test may have left a broken config behind: --remove needs a good one. */
	sg_testenv_write_config(env, NULL);
	snprintf(cmd, sizeof(cmd), "'%s' --remove --stderr -c '%s' ; rm -rf '%s'",
		 env->daemon, env->config, env->dir);
	if (system(cmd) < 0)
		perror("cleanup");
	rmdir(env->cgroup);
}

int sg_testenv_control(struct sg_testenv *env, const char *req, char *rep, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 20 };
	ssize_t n;
	int fd, err = 0;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%.*s/run/control",
			     (int)(sizeof(sa.sun_path) - 13), env->dir) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, rep, len - 1, 0);
	if (n <= 0) {
		err = n < 0 ? -errno : -ECONNRESET;
		goto out;
	}
	rep[n] = '\0';
out:
	close(fd);
	return err;
}

long long sg_testenv_hits(struct sg_testenv *env, unsigned int index)
{
	char rep[65536], key[32];
	const char *p;

	if (sg_testenv_control(env, "{\"cmd\": \"rules\"}", rep, sizeof(rep)))
		return -1;
	snprintf(key, sizeof(key), "\"index\":%u,", index);
	p = strstr(rep, key);
	p = p ? strstr(p, "\"hits\":") : NULL;
	return p ? strtoll(p + 7, NULL, 10) : -1;
}

bool sg_testenv_log_has(struct sg_testenv *env, const char *text)
{
	static char buf[1 << 20];
	size_t n;
	FILE *f;

	f = fopen(env->log, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

int sg_run_as(uid_t uid, gid_t gid, char *const argv[], char *out, size_t len)
{
	return sg_run_as_groups(uid, gid, (gid_t)-1, argv, out, len);
}

int sg_run_as_groups(uid_t uid, gid_t gid, gid_t extra, char *const argv[], char *out,
		     size_t len)
{
	int pfd[2], pid, status;
	size_t off = 0;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (setgroups(extra != (gid_t)-1, &extra) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while (off + 1 < len && (n = read(pfd[0], out + off, len - 1 - off)) > 0)
		off += n;
	out[off] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

static int open_map(struct sg_testenv *env, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", env->pin_root, name);
	return bpf_obj_get(path);
}

int sg_testenv_counter(struct sg_testenv *env, unsigned int idx, __u64 *ret)
{
	int fd = open_map(env, SG_PIN_COUNTERS), ncpu = libbpf_num_possible_cpus(), c;
	__u64 vals[1024];

	if (fd < 0)
		return -errno;
	if (ncpu > 1024 || bpf_map_lookup_elem(fd, &idx, vals) < 0) {
		close(fd);
		return -EIO;
	}
	close(fd);
	*ret = 0;
	for (c = 0; c < ncpu; c++)
		*ret += vals[c];
	return 0;
}

/* One read of the live generation; 0 when the slot or its image is gone. */
static __u32 generation_once(struct sg_testenv *env)
{
	int fd = open_map(env, SG_PIN_POLICY), ifd;
	struct sg_image_hdr h = {};
	__u32 zero = 0, id;

	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, &id) < 0) {
		close(fd);
		return 0;
	}
	close(fd);
	ifd = bpf_map_get_fd_by_id(id);
	if (ifd < 0)
		return 0;
	bpf_map_lookup_elem(ifd, &zero, &h);
	close(ifd);
	return h.generation;
}

/*
 * The image id read from the slot may belong to an image the daemon frees
 * right then (a reload in flight): read again rather than report 0.
 */
__u32 sg_testenv_generation(struct sg_testenv *env)
{
	__u32 gen = 0;
	int i;

	for (i = 0; i < 100 && !gen; i++) {
		gen = generation_once(env);
		if (!gen && access(env->pin_root, F_OK))
			break;
		if (!gen)
			usleep(1000);
	}
	return gen;
}

static int do_probe(enum sg_probe_kind kind, const char *addr, int port)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *in = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;
	socklen_t len;
	int fd, family, type;

	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		family = AF_INET;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		len = sizeof(*in);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		family = AF_INET6;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		return 200;
	}
	type = kind == SG_PROBE_TCP_CONNECT ? SOCK_STREAM : SOCK_DGRAM;
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 201;
	if (kind == SG_PROBE_UDP_SENDTO) {
		if (sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0)
			return errno;
		return 0;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		return errno;
	return 0;
}

/* The probe child's errno, or a negative value when it could not try. */
static int probe_wait(int pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -ECHILD;
	if (WEXITSTATUS(status) >= 200)
		return -WEXITSTATUS(status);
	return WEXITSTATUS(status);
}

int sg_probe_exec(const char *exe, const char *cgroup, uid_t uid, gid_t gid,
		  enum sg_probe_kind kind, const char *addr, int port)
{
	static const char *const kinds[] = { "tcp", "udp", "sendto" };
	char portbuf[16];
	int pid;

	snprintf(portbuf, sizeof(portbuf), "%d", port);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sg_child_enter(cgroup, true);
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(204);
		execl(exe, exe, kinds[kind], addr, portbuf, (char *)NULL);
		_exit(205);
	}
	return probe_wait(pid);
}

int sg_probe(const char *cgroup, enum sg_probe_kind kind, const char *addr, int port)
{
	int pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sg_child_enter(cgroup, true);
		_exit(do_probe(kind, addr, port));
	}
	return probe_wait(pid);
}

int sg_test_pin_cpu(int cpu, cpu_set_t *saved)
{
	cpu_set_t one;

	if (sched_getaffinity(0, sizeof(*saved), saved))
		return -errno;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -errno : 0;
}

int sg_testenv_ctl(struct sg_testenv *env, const char *args, char *out, size_t len)
{
	char cmd[9000];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --pin-root '%s' --run-dir '%s/run' %s 2>&1", env->ctl,
		 env->pin_root, env->dir, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	return pclose(p);
}
