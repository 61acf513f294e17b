// SPDX-License-Identifier: GPL-2.0
/*
 * Packet-socket backdoors: a packet socket (or a raw inet socket) with a
 * BPF filter attached (classic or eBPF), held by an executable that is not a known
 * capture tool (detect.pktsock.capture). Such a socket sees every packet
 * before netfilter does, which is how "magic packet" backdoors wait for
 * their trigger. Observations come from the kernel's socket-creation
 * records and from sg_detect_sweep_packet(), which walks the packet
 * sockets that already exist through sock_diag, in every network
 * namespace a process is in.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <json-c/json.h>

#include "internal.h"

#define SG_SWEEP_SOCKS_MAX	4096	/* packet sockets one sweep maps to processes */
#define SG_SWEEP_NETNS_MAX	256	/* network namespaces one sweep visits */
#define SG_SWEEP_BUF		32768

int sg_pktsock_obs(struct sg_detect *d, const struct sg_obs *o)
{
	struct sg_proc *p = sg_detect_proc_of(d, o);
	const char *exe = o->exe ? o->exe : p ? p->exe : NULL;
	struct sg_alert a = { .heur = SG_HEUR_PKTSOCK };
	bool packet = o->sock_family == AF_PACKET;
	struct json_object *ev;
	char dst[64];

	if (!o->sock_filter || (!packet && o->sock_type != SOCK_RAW))
		return 0;
	if (sg_list_match(&d->cfg.capture, exe) ||
	    sg_detect_allowed_proc(d, SG_HEUR_PKTSOCK, exe, o->unit))
		return 0;
	a.score = packet ? 90 : 80;
	if (a.score < d->cfg.min_score[SG_HEUR_PKTSOCK])
		return 0;
	snprintf(dst, sizeof(dst), "%s/%s/0x%04x", packet ? "packet" : "raw",
		 o->sock_type == SOCK_RAW ? "raw" : o->sock_type == SOCK_DGRAM ? "dgram" : "other",
		 (unsigned int)o->sock_proto);
	ev = json_object_new_object();
	sg_evidence_proc(ev, d, o);
	json_object_object_add(ev, "family", json_object_new_int(o->sock_family));
	json_object_object_add(ev, "type", json_object_new_int(o->sock_type));
	json_object_object_add(ev, "protocol", json_object_new_int(o->sock_proto));
	json_object_object_add(ev, "filter", json_object_new_boolean(o->sock_filter));
	json_object_object_add(ev, "filter_type", json_object_new_string(
		o->sock_filter == SG_SOCK_FILTER_EBPF ? "ebpf" : "classic"));
	if (o->sock_netns)
		json_object_object_add(ev, "netns", json_object_new_int64((int64_t)o->sock_netns));
	sg_alert_who(&a, o);
	a.exe = exe;
	a.src = o->subject ? o->subject : exe ? exe : "?";
	a.dst = dst;
	a.ts_first = a.ts_last = o->ts;
	a.evidence = ev;
	sg_detect_emit_alert(d, &a);
	json_object_put(ev);
	return 0;
}

struct psock {
	__u32 ino;
	__u8 type;
	__u16 proto;
	__u8 filter;		/* SG_SOCK_FILTER_* */
	__u32 pid, fd;		/* a holder and its descriptor */
	__u64 netns;		/* the network namespace's inode */
};

/* Dump the packet sockets of @fd's network namespace. Return: count or negative errno. */
static int diag_dump(int fd, __u64 netns, struct psock *out, size_t max)
{
	struct {
		struct nlmsghdr nlh;
		struct packet_diag_req r;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.r = {
			.sdiag_family = AF_PACKET,
			.pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_FILTER,
		},
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	static char buf[SG_SWEEP_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	int n = 0;

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h;
		ssize_t len = recv(fd, buf, sizeof(buf), 0);

		if (len < 0)
			return -errno;
		if (!len)
			return n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct packet_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *at;
			int alen;

			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -EPROTO;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			if ((size_t)n >= max)
				return -E2BIG;
			out[n] = (struct psock){
				.ino = m->pdiag_ino,
				.type = m->pdiag_type,
				.proto = m->pdiag_num,	/* already host order */
				.netns = netns,
			};
			alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (at = (struct rtattr *)(m + 1); RTA_OK(at, alen); at = RTA_NEXT(at, alen))
				/* A classic filter shows as its instructions; an empty
				 * attribute means we may not see it: count it as one. */
				if (at->rta_type == PACKET_DIAG_FILTER)
					out[n].filter = SG_SOCK_FILTER_CLASSIC;
			n++;
		}
	}
}

/* Find the holder of each socket inode through /proc/PID/fd. */
static void map_pids(struct psock *s, int n)
{
	char path[2 * NAME_MAX + 16], link[64];
	struct dirent *pe, *fe;
	DIR *proc, *fds;
	unsigned int ino;
	int i, left = n;

	proc = opendir("/proc");
	if (!proc)
		return;
	while (left && (pe = readdir(proc))) {
		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (left && (fe = readdir(fds))) {
			ssize_t l;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", pe->d_name, fe->d_name);
			l = readlink(path, link, sizeof(link) - 1);
			if (l <= 0)
				continue;
			link[l] = 0;
			if (sscanf(link, "socket:[%u]", &ino) != 1)
				continue;
			for (i = 0; i < n; i++) {
				if (s[i].ino == ino && !s[i].pid) {
					s[i].pid = (__u32)atoi(pe->d_name);
					s[i].fd = (__u32)atoi(fe->d_name);
					left--;
				}
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

/*
 * Return: 1 when the socket has an eBPF filter, 0 when not, -errno when it
 * could not be asked.
 *
 * An eBPF filter (SO_ATTACH_BPF) has no classic program, so sock_diag
 * leaves PACKET_DIAG_FILTER out. SO_GET_FILTER on the socket itself tells:
 * 0 without a filter, the classic length with one, EACCES for a program
 * that has no classic original. The socket is borrowed from its holder
 * with pidfd_getfd() (5.6) and checked to be the same inode.
 */
static int ebpf_filtered(const struct psock *s)
{
	struct stat st;
	socklen_t len = 0;
	int pfd, fd, r;

	pfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (pfd < 0)
		return -errno;
	fd = (int)syscall(SYS_pidfd_getfd, pfd, s->fd, 0);
	r = fd < 0 ? -errno : 0;
	close(pfd);
	if (r)
		return r;
	if (fstat(fd, &st) || st.st_ino != s->ino)
		r = -ESTALE;	/* the descriptor is another file now */
	else if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &len) < 0)
		r = errno == EACCES ? 1 : -errno;
	close(fd);
	return r;
}

/* The unit from the process's cgroup v2 path ("0::/system.slice/x.service"). */
static void read_unit(__u32 pid, char *unit, size_t len)
{
	char path[64], line[512], *nl, *b;
	FILE *f;

	unit[0] = 0;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4))
			continue;
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		b = strrchr(line, '/');
		if (b && (strstr(b, ".service") || strstr(b, ".scope")))
			snprintf(unit, len, "%s", b + 1);
	}
	fclose(f);
}

struct netns_sock {
	int nsfd;
	int fd;		/* out: a sock_diag socket made inside, or -errno */
};

/* A thread of its own enters the namespace: the daemon's threads stay where they are. */
static void *netns_sock_thread(void *arg)
{
	struct netns_sock *x = arg;

	if (setns(x->nsfd, CLONE_NEWNET) < 0)
		x->fd = -errno;
	else if ((x->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
		x->fd = -errno;
	return NULL;
}

/* A sock_diag socket of the namespace @nsfd (-1: ours). Return: fd or -errno. */
static int diag_socket(int nsfd)
{
	struct netns_sock x = { .nsfd = nsfd, .fd = -EINVAL };
	pthread_t t;
	int err;

	if (nsfd < 0) {
		x.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		return x.fd < 0 ? -errno : x.fd;
	}
	err = pthread_create(&t, NULL, netns_sock_thread, &x);
	if (err)
		return -err;
	pthread_join(t, NULL);
	return x.fd;
}

/*
 * The network namespaces to sweep: ours first, then every other one a
 * process is in (/proc/PID/ns/net, one descriptor per distinct inode), at
 * most SG_SWEEP_NETNS_MAX; the others are counted in @skipped. A namespace
 * no process is in (held only by a bind mount or a socket) is not found.
 */
static int netns_list(int *fds, __u64 *inos, int max, bool all, __u64 *skipped)
{
	static __u64 beyond[SG_SWEEP_NETNS_MAX];	/* skipped ones, each counted once */
	char path[2 * NAME_MAX + 16];
	struct dirent *pe;
	struct stat st;
	DIR *proc;
	int n = 0, nb = 0, i, fd;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	fds[n] = -1;
	inos[n++] = st.st_ino;
	if (!all)
		return n;
	proc = opendir("/proc");
	if (!proc)
		return n;
	while ((pe = readdir(proc))) {
		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", pe->d_name);
		if (stat(path, &st) < 0)
			continue;
		for (i = 0; i < n && inos[i] != st.st_ino; i++)
			;
		if (i < n)
			continue;
		if (n == max) {
			for (i = 0; i < nb && beyond[i] != st.st_ino; i++)
				;
			if (i == nb) {
				(*skipped)++;
				if (nb < max)
					beyond[nb++] = st.st_ino;
			}
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;	/* gone meanwhile */
		fds[n] = fd;
		inos[n++] = st.st_ino;
	}
	closedir(proc);
	return n;
}

int sg_detect_sweep_packet(struct sg_detect *d, double now)
{
	static struct psock socks[SG_SWEEP_SOCKS_MAX];
	static int nsfds[SG_SWEEP_NETNS_MAX];
	static __u64 nsinos[SG_SWEEP_NETNS_MAX];
	char path[64], exe[SG_DETECT_PATH_MAX], unit[SG_DETECT_NAME_MAX];
	struct stat st;
	int n = 0, nns, i, r = 0, fd;

	d->st.sweeps++;
	nns = netns_list(nsfds, nsinos, SG_SWEEP_NETNS_MAX, d->cfg.pktsock_all_netns,
			 &d->st.sweep_netns_skipped);
	if (nns < 0) {
		d->st.sweep_errors++;
		return nns;
	}
	for (i = 0; i < nns; i++) {
		fd = diag_socket(nsfds[i]);
		if (nsfds[i] >= 0)
			close(nsfds[i]);
		if (fd < 0) {
			/* its last process left meanwhile, or it refuses us */
			d->st.sweep_netns_skipped++;
			continue;
		}
		if (!r) {
			r = diag_dump(fd, nsinos[i], socks + n, SG_ARRAY_SIZE(socks) - n);
			if (r >= 0) {
				n += r;
				r = 0;
				d->st.sweep_netns++;
			}
		}
		close(fd);
	}
	if (r < 0) {
		d->st.sweep_errors++;
		return r;
	}
	map_pids(socks, n);
	for (i = 0; i < n; i++) {
		struct sg_obs o = {
			.kind = SG_DET_PKTSOCK,
			.ts = now,
			.pid = socks[i].pid,
			.sock_family = AF_PACKET,
			.sock_type = socks[i].type,
			.sock_proto = socks[i].proto,
			.sock_filter = socks[i].filter,
			.sock_netns = socks[i].netns,
		};
		ssize_t l = -1;

		if (socks[i].pid) {
			if (!o.sock_filter) {
				r = ebpf_filtered(&socks[i]);
				if (r > 0)
					o.sock_filter = SG_SOCK_FILTER_EBPF;
				else if (r < 0)
					d->st.sweep_unasked++;	/* gone, or not ours to borrow */
			}
			snprintf(path, sizeof(path), "/proc/%u/exe", socks[i].pid);
			l = readlink(path, exe, sizeof(exe) - 1);
			snprintf(path, sizeof(path), "/proc/%u", socks[i].pid);
			if (!stat(path, &st))
				o.uid = st.st_uid;
			read_unit(socks[i].pid, unit, sizeof(unit));
			if (unit[0])
				o.unit = unit;
		}
		if (l > 0) {
			exe[l] = 0;
			o.exe = exe;
		}
		o.subject = o.exe ? o.exe : "?";
		r = sg_detect_feed(d, &o);
		if (r)
			return r;
	}
	return n;
}
