// SPDX-License-Identifier: GPL-2.0
/*
 * Packet-socket backdoors: a packet socket (or a raw inet socket) with a
 * classic BPF filter attached, held by an executable that is not a known
 * capture tool (detect.pktsock.capture). Such a socket sees every packet
 * before netfilter does, which is how "magic packet" backdoors wait for
 * their trigger. Observations come from the kernel's socket-creation
 * records and from sg_detect_sweep_packet(), which walks the packet
 * sockets that already exist through sock_diag.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
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
#include <json-c/json.h>

#include "internal.h"

#define SG_SWEEP_SOCKS_MAX	4096	/* packet sockets one sweep maps to processes */
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
	bool filter;
	__u32 pid;
};

/* Dump this namespace's packet sockets. Return: count or negative errno. */
static int diag_dump(struct psock *out, size_t max)
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
	int fd, r, n = 0;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
		r = -errno;
		goto out;
	}
	while (!done) {
		struct nlmsghdr *h;
		ssize_t len = recv(fd, buf, sizeof(buf), 0);

		if (len < 0) {
			r = -errno;
			goto out;
		}
		if (!len)
			break;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct packet_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *at;
			int alen;

			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				r = e->error ? e->error : -EPROTO;
				goto out;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			if ((size_t)n >= max) {
				r = -E2BIG;
				goto out;
			}
			out[n].ino = m->pdiag_ino;
			out[n].type = m->pdiag_type;
			out[n].proto = m->pdiag_num;	/* already host order */
			out[n].filter = false;
			out[n].pid = 0;
			alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (at = (struct rtattr *)(m + 1); RTA_OK(at, alen); at = RTA_NEXT(at, alen))
				/* A classic filter shows as its instructions; an empty
				 * attribute means we may not see it: count it as one. */
				if (at->rta_type == PACKET_DIAG_FILTER)
					out[n].filter = true;
			n++;
		}
	}
	r = n;
out:
	close(fd);
	return r;
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
					left--;
				}
			}
		}
		closedir(fds);
	}
	closedir(proc);
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

int sg_detect_sweep_packet(struct sg_detect *d, double now)
{
	static struct psock socks[SG_SWEEP_SOCKS_MAX];
	char path[64], exe[SG_DETECT_PATH_MAX], unit[SG_DETECT_NAME_MAX];
	struct stat st;
	int n, i, r;

	d->st.sweeps++;
	n = diag_dump(socks, SG_ARRAY_SIZE(socks));
	if (n < 0) {
		d->st.sweep_errors++;
		return n;
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
		};
		ssize_t l = -1;

		if (socks[i].pid) {
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
