// SPDX-License-Identifier: GPL-2.0
/*
 * sg-probe KIND ADDR PORT: one connect() (KIND tcp or udp) or sendto()
 * (KIND sendto) to ADDR:PORT; exits with the errno it failed with, 0 on
 * success, 200+ when it could not try. Run by the host tests as the
 * process under test: its executable identity, uid and cgroup are what the
 * rules see. The caller has already put it in an empty network namespace.
 *
 * sg-probe loop ADDR PORT FILE: a TCP connect() to ADDR:PORT every
 * millisecond until FILE.stop exists, keeping "TRIES OTHER" in FILE (OTHER:
 * tries that did not fail with EPERM, i.e. got through); exits 0 when every
 * try was refused. The VM's restart suite runs it across service restarts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int try_connect(int family, const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM, 0), err;

	if (fd < 0)
		return 212;
	err = connect(fd, (const struct sockaddr *)ss, len) < 0 ? errno : 0;
	close(fd);
	return err;
}

/* Rewrite @fd with the counts, so a reader sees the latest pair at once. */
static void put_counts(int fd, unsigned long tries, unsigned long other)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%lu %lu\n", tries, other);

	if (pwrite(fd, buf, n, 0) != n)
		exit(213);
}

static int loop(int family, const struct sockaddr_storage *ss, socklen_t len, const char *file)
{
	unsigned long tries = 0, other = 0;
	char stop[4096];
	int fd;

	if (snprintf(stop, sizeof(stop), "%s.stop", file) >= (int)sizeof(stop))
		return 214;
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return 215;
	while (access(stop, F_OK)) {
		if (try_connect(family, ss, len) != EPERM)
			other++;
		tries++;
		if (!(tries % 64) || other)
			put_counts(fd, tries, other);
		usleep(1000);
	}
	put_counts(fd, tries, other);
	close(fd);
	return other ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *in = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;
	socklen_t len;
	int fd, family, port;

	if (argc != 4 && !(argc == 5 && !strcmp(argv[1], "loop")))
		return 210;
	port = atoi(argv[3]);
	if (inet_pton(AF_INET, argv[2], &in->sin_addr) == 1) {
		family = in->sin_family = AF_INET;
		in->sin_port = htons(port);
		len = sizeof(*in);
	} else if (inet_pton(AF_INET6, argv[2], &in6->sin6_addr) == 1) {
		family = in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		return 211;
	}
	if (argc == 5)
		return loop(family, &ss, len, argv[4]);
	fd = socket(family, strcmp(argv[1], "tcp") ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return 212;
	if (!strcmp(argv[1], "sendto"))
		return sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
	return connect(fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
}
