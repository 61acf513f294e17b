/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host tests' children do: join the test cgroup, take a network
 * namespace of their own (only lo, up, and the test hosts' addresses put
 * on it), listen, connect, exchange bytes, run a program from memory, hold
 * a packet socket with a filter, ask a DNS responder of their own. They run
 * in a forked child and _exit() with a code of their own when a step
 * fails (100-149; sg_child_enter() 202-203), so that the parent's
 * sg_child_wait() names the step.
 * Standalone (no libbpf): the detection unit suites link it too.
 *
 *   test cgroup/...                 <- sg_child_enter(cgroup, true)
 *     child: unshare(CLONE_NEWNET), lo up, 193.0.6.10/32 on lo (sg_child_host_add)
 *       connect 193.0.6.10:PORT     -> a listener of the same namespace
 *       DNS 127.0.0.53:53           -> a responder of the same namespace
 */
#ifndef SG_CHILD_H
#define SG_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Bring up lo in the calling process's network namespace. Return: 0 or -1. */
int sg_lo_up(void);
/*
 * Join @cgroup (NULL: stay); with @netns, a network namespace of its own
 * with lo up. A step that fails exits SG_CHILD_NO_CGROUP or
 * SG_CHILD_NO_NETNS: 200 and more, as sg-probe's "could not try", so that
 * no failure reads as an errno (101 is ENETUNREACH, "let through").
 */
#define SG_CHILD_NO_CGROUP	202
#define SG_CHILD_NO_NETNS	203
void sg_child_enter(const char *cgroup, bool netns);
/*
 * Put IPv4 @addr (/32) on lo of the calling process's network namespace: a
 * test host the namespace's own processes reach, nothing beyond it.
 * Return: 0 or -errno.
 */
int sg_child_host_add(const char *addr);
int sg_child_tcp_listener(const char *addr, int port);
int sg_child_tcp_connect(const char *addr, int port);
/*
 * In a child: join @cgroup and a network namespace of its own, connect to
 * a listener of its own on 127.0.0.1:@port and run `sh -c "exit 0"` with
 * that connection as standard input and output, a reverse shell's shape.
 * Never returns.
 */
void sg_child_shell_on_socket(const char *cgroup, int port) __attribute__((noreturn));
/* Write (@out) or read @n bytes. */
void sg_child_xfer(int fd, bool out, size_t n);
/* Copy the file @from into @out. */
void sg_child_copy_file(int out, const char *from);
/* Execute a copy of @exe from a memfd named @name. Does not return. */
void sg_child_memfd_exec(const char *name, const char *exe, char *const argv[]);

enum sg_filter_kind {
	SG_FILTER_NONE,
	SG_FILTER_CLASSIC,	/* SO_ATTACH_FILTER, one instruction: accept nothing */
	SG_FILTER_EBPF,		/* SO_ATTACH_BPF, a SOCKET_FILTER program: the same */
};

/* An AF_PACKET socket of @type for @proto (ETH_P_*; 0: none, it receives nothing). */
int sg_child_packet_socket(int type, int proto, enum sg_filter_kind filter);
/*
 * Fork a child that joins @cgroup (a network namespace of its own with
 * @netns) and holds a SOCK_RAW packet socket with @filter until killed.
 * Return: its pid, once the socket is there, or -1.
 */
int sg_child_packet_holder(const char *cgroup, bool netns, enum sg_filter_kind filter);

/*
 * One DNS exchange in the calling process's namespace: a responder on
 * 127.0.0.53:53 answers a query from another socket with "@name A @addr".
 * Return: 0 or -1.
 */
int sg_child_dns_answer(const char *name, const char *addr);

/* Its exit status, or -1 when it did not exit. */
int sg_child_wait(int pid);

#endif
