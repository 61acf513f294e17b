// SPDX-License-Identifier: GPL-2.0
/*
 * sg_modloop: load and unload a module in a loop with the syscalls
 * themselves, so that the loop measures the module and not the start-up of
 * insmod and rmmod.
 *
 *   sg_modloop KO ROUNDS     every fourth round loads with mode=enforce
 *                            fail_mode=closed, takes a 100 ms lease through
 *                            daemon/lib/kmod_client.c and lets it lapse, so the
 *                            guard is engaged when the module goes
 *
 * Unloading retries while the module is busy (a scan dump in flight holds
 * a reference). Prints "# round N, Ss" every 25 rounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "kmod_client.h"

#define SG_MODLOOP_MAX_ROUNDS	100000
#define SG_UNLOAD_TRIES		200	/* 10 ms apart */

static int sg_load(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		err = -errno;
	close(fd);
	return err;
}

static int sg_unload(const char *name)
{
	int i;

	for (i = 0; i < SG_UNLOAD_TRIES; i++) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

int main(int argc, char **argv)
{
	struct timespec t0, t;
	int rounds, i, err;
	bool engage;

	rounds = argc == 3 ? atoi(argv[2]) : 0;
	if (rounds <= 0 || rounds > SG_MODLOOP_MAX_ROUNDS) {
		fprintf(stderr, "usage: sg_modloop KO ROUNDS (1..%d)\n", SG_MODLOOP_MAX_ROUNDS);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 1; i <= rounds; i++) {
		engage = !(i % 4);
		err = sg_load(argv[1], engage ? "mode=enforce fail_mode=closed" : "");
		if (err) {
			printf("# round %d: load: %s\n", i, strerror(-err));
			return 1;
		}
		if (engage) {
			err = sg_kmod_lease_renew(100, i);
			if (err)
				printf("# round %d: lease: %s\n", i, strerror(-err));
			usleep(150 * 1000);
		}
		err = sg_unload("sovguard");
		if (err) {
			printf("# round %d: unload: %s\n", i, strerror(-err));
			return 1;
		}
		if (!(i % 25)) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			printf("# round %d, %lds\n", i, (long)(t.tv_sec - t0.tv_sec));
			fflush(stdout);
		}
	}
	sg_kmod_close();
	return 0;
}
