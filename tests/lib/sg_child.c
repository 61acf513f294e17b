// SPDX-License-Identifier: GPL-2.0
/* What the host tests' children do (sg_child.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/filter.h>

#include "sg_child.h"

#define SG_DNS_STUB	"127.0.0.53"

int sg_lo_up(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

void sg_child_enter(const char *cgroup, bool netns)
{
	char path[4200], buf[32];
	int fd, n;

	if (cgroup) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		n = snprintf(buf, sizeof(buf), "%d\n", getpid());
		if (fd < 0 || write(fd, buf, n) != n)
			_exit(SG_CHILD_NO_CGROUP);
		close(fd);
	}
	if (netns && (unshare(CLONE_NEWNET) < 0 || sg_lo_up() < 0))
		_exit(SG_CHILD_NO_NETNS);
}

int sg_child_host_add(const char *addr)
{
	struct ifreq ifr = {};
	struct sockaddr_in *sa = (struct sockaddr_in *)&ifr.ifr_addr;
	static unsigned int label;
	int fd, err = 0;

	/* An alias label per address: each SIOCSIFADDR adds one, not replaces. */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo:%u", ++label);
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		err = -errno;
	sa->sin_addr.s_addr = htonl(0xffffffff);
	if (!err && ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

static void sin_of(struct sockaddr_in *sa, const char *addr, int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	inet_pton(AF_INET, addr, &sa->sin_addr);
}

int sg_child_tcp_listener(const char *addr, int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sin_of(&sa, addr, port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64))
		_exit(102);
	return fd;
}

int sg_child_tcp_connect(const char *addr, int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin_of(&sa, addr, port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(103);
	return fd;
}

void sg_child_xfer(int fd, bool out, size_t n)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	while (n) {
		ssize_t k = out ? write(fd, buf, n < sizeof(buf) ? n : sizeof(buf)) :
				  read(fd, buf, n < sizeof(buf) ? n : sizeof(buf));

		if (k <= 0)
			_exit(104);
		n -= k;
	}
}

void sg_child_copy_file(int out, const char *from)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (in < 0)
		_exit(110);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			_exit(111);
	close(in);
}

void sg_child_memfd_exec(const char *name, const char *exe, char *const argv[])
{
	int fd = memfd_create(name, 0);

	if (fd < 0)
		_exit(112);
	sg_child_copy_file(fd, exe);
	fexecve(fd, argv, environ);
	_exit(113);
}

/* A SOCKET_FILTER program "return 0" (accept nothing), by the bpf() call. */
static int ebpf_filter_load(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr = {
		.prog_type = BPF_PROG_TYPE_SOCKET_FILTER,
		.insns = (__u64)(unsigned long)insns,
		.insn_cnt = 2,
		.license = (__u64)(unsigned long)"GPL",
	};

	return syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

int sg_child_packet_socket(int type, int proto, enum sg_filter_kind filter)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = code };
	int fd = socket(AF_PACKET, type, htons(proto)), pfd;

	if (fd < 0)
		_exit(120);
	switch (filter) {
	case SG_FILTER_CLASSIC:
		if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
			_exit(121);
		break;
	case SG_FILTER_EBPF:
		pfd = ebpf_filter_load();
		if (pfd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &pfd, sizeof(pfd)))
			_exit(122);
		close(pfd);	/* the socket holds the program */
		break;
	default:
		break;
	}
	return fd;
}

int sg_child_packet_holder(const char *cgroup, bool netns, enum sg_filter_kind filter)
{
	int pfd[2], pid;
	char c;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		sg_child_enter(cgroup, netns);
		sg_child_packet_socket(SOCK_RAW, 0, filter);
		if (write(pfd[1], "x", 1) != 1)
			_exit(123);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (pid > 0 && read(pfd[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(pfd[0]);
	return pid < 0 ? -1 : pid;
}

/* "@name A @a4", TTL 300, answering query @id. Return: its length, or 0. */
static size_t dns_answer(__u8 *m, size_t len, __u16 id, const char *name, const __u8 a4[4])
{
	static const __u8 hdr[] = { 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0 };
	static const __u8 rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4 };
	size_t n = 0, l;
	const char *p, *dot;

	if (strlen(name) + 2 + sizeof(hdr) + 2 + 4 + sizeof(rr) + 4 > len)
		return 0;
	m[n++] = id >> 8;
	m[n++] = id & 0xff;
	memcpy(m + n, hdr, sizeof(hdr));
	n += sizeof(hdr);
	for (p = name; *p; p = *dot ? dot + 1 : dot) {
		dot = strchrnul(p, '.');
		l = dot - p;
		if (!l || l > 63)
			return 0;
		m[n++] = l;
		memcpy(m + n, p, l);
		n += l;
	}
	m[n++] = 0;
	memcpy(m + n, "\0\1\0\1", 4);	/* type A, class IN */
	n += 4;
	memcpy(m + n, rr, sizeof(rr));
	n += sizeof(rr);
	memcpy(m + n, a4, 4);
	return n + 4;
}

int sg_child_dns_answer(const char *name, const char *addr)
{
	struct sockaddr_in sa, from;
	socklen_t flen = sizeof(from);
	__u8 m[512], a4[4];
	int srv, cli, ret = -1;
	ssize_t n;

	if (inet_pton(AF_INET, addr, a4) != 1)
		return -1;
	sin_of(&sa, SG_DNS_STUB, 53);
	srv = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cli = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (srv < 0 || cli < 0 || bind(srv, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	/* The query's content does not matter: the answer is what is observed. */
	if (sendto(cli, "q", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) != 1 ||
	    recvfrom(srv, m, sizeof(m), 0, (struct sockaddr *)&from, &flen) != 1)
		goto out;
	n = dns_answer(m, sizeof(m), 0x5347, name, a4);
	if (!n || sendto(srv, m, n, 0, (struct sockaddr *)&from, flen) != n ||
	    recv(cli, m, sizeof(m), 0) != n)
		goto out;
	ret = 0;
out:
	if (srv >= 0)
		close(srv);
	if (cli >= 0)
		close(cli);
	return ret;
}

void sg_child_shell_on_socket(const char *cgroup, int port)
{
	int l, cl;

	sg_child_enter(cgroup, true);
	l = sg_child_tcp_listener("127.0.0.1", port);
	cl = sg_child_tcp_connect("127.0.0.1", port);
	if (dup2(cl, 0) < 0 || dup2(cl, 1) < 0)
		_exit(118);
	close(l);
	execl("/bin/sh", "sh", "-c", "exit 0", (char *)NULL);
	_exit(119);
}

int sg_child_wait(int pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}
