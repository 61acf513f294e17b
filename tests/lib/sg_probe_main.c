// SPDX-License-Identifier: GPL-2.0
/*
 * sg-probe KIND ADDR PORT: one connect() (KIND tcp or udp) or sendto()
 * (KIND sendto) to ADDR:PORT; exits with the errno it failed with, 0 on
 * success, 200+ when it could not try. Run by the host tests as the
 * process under test: its executable identity, uid and cgroup are what the
 * rules see. The caller has already put it in an empty network namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *in = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;
	socklen_t len;
	int fd, family, port;

	if (argc != 4)
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
	fd = socket(family, strcmp(argv[1], "tcp") ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return 212;
	if (!strcmp(argv[1], "sendto"))
		return sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
	return connect(fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
}
