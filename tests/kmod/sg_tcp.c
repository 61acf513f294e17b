// SPDX-License-Identifier: GPL-2.0
/*
 * sg_tcp: the TCP ends of the guard test.
 *
 *   sg_tcp listen ADDR PORT          accept and echo until killed
 *   sg_tcp connect ADDR PORT         exit 0 if a connection is established
 *                                    and echoes, else print the errno name
 *   sg_tcp hold ADDR PORT FILE       connect, wait until FILE exists, then
 *                                    exchange data on the same connection
 *   sg_tcp flood ADDR PORT SECONDS   connect and exchange data over and over
 *
 * Timeouts are short and fixed: a dropped SYN must not hang the test.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define SG_TCP_TIMEOUT_MS	3000
#define SG_TCP_HOLD_MAX_S	60

static int sg_addr(const char *host, const char *port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(atoi(port));
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(atoi(port));
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static int sg_listen(struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM, 0), one = 1, c;
	char buf[256];
	ssize_t n;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)ss, len) || listen(fd, 64)) {
		perror("listen");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			while ((n = read(c, buf, sizeof(buf))) > 0)
				if (write(c, buf, n) != n)
					break;
			_exit(0);
		}
		close(c);
	}
}

static int sg_wait(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, SG_TCP_TIMEOUT_MS) == 1 ? 0 : -ETIMEDOUT;
}

static int sg_connect(struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t elen = sizeof(err);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)ss, len) && errno != EINPROGRESS) {
		err = -errno;
		goto err_close;
	}
	if (sg_wait(fd, POLLOUT)) {
		err = -ETIMEDOUT;
		goto err_close;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err) {
		err = -err;
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return err;
}

static int sg_echo(int fd)
{
	char buf[8];

	if (write(fd, "ping", 4) != 4)
		return -errno;
	if (sg_wait(fd, POLLIN))
		return -ETIMEDOUT;
	if (read(fd, buf, sizeof(buf)) != 4 || memcmp(buf, "ping", 4))
		return -EIO;
	return 0;
}

static int sg_report(int err)
{
	if (!err) {
		printf("ok\n");
		return 0;
	}
	printf("%s\n", strerrorname_np(-err) ? strerrorname_np(-err) : strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct stat st;
	int fd, i;

	if (argc < 4 || sg_addr(argv[2], argv[3], &ss, &len)) {
		fprintf(stderr, "usage: sg_tcp listen|connect|hold|flood ADDR PORT [FILE|SECONDS]\n");
		return 2;
	}
	if (!strcmp(argv[1], "listen"))
		return sg_listen(&ss, len);
	if (!strcmp(argv[1], "flood") && argc == 5) {
		time_t end = time(NULL) + atoi(argv[4]);

		while (time(NULL) < end) {
			fd = sg_connect(&ss, len);
			if (fd >= 0) {
				sg_echo(fd);
				close(fd);
			}
			usleep(20000);
		}
		return 0;
	}
	fd = sg_connect(&ss, len);
	if (fd < 0)
		return sg_report(fd);
	if (!strcmp(argv[1], "hold") && argc == 5) {
		for (i = 0; i < SG_TCP_HOLD_MAX_S * 10 && stat(argv[4], &st); i++)
			usleep(100 * 1000);
	}
	return sg_report(sg_echo(fd));
}
