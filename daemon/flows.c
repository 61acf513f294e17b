// SPDX-License-Identifier: GPL-2.0
/*
 * Existing flows (flows.h). The programs decide a flow when it starts; a
 * policy published later (reload, rules or data changed on disk, a
 * quarantine) does not reach a connection already made. After each
 * publish this sweep finds the sockets of the guarded subtree through
 * sock_diag (inet_diag dumps of TCP, UDP and UDP-Lite, IPv4 and IPv6), in
 * the daemon's network namespace and in every namespace a process of the
 * subtree is in, decides each one with the live image as the programs
 * would (sg_image_decide(), the decision `sovguardctl check` gives), and
 * destroys those the policy denies in enforce mode: TCP is aborted (the
 * application gets ECONNABORTED, the peer a reset), a UDP socket gets
 * ECONNABORTED and is disconnected.
 *
 * The subject is the socket's: its cgroup (INET_DIAG_CGROUP_ID, the cgroup
 * of the process that created it) and its uid; the executable and the gid
 * come from a process of the subtree that holds the socket (its inode in
 * /proc/PID/fd), looked for only when the policy decides on them.
 * Connections into the subtree (a local port some listener or unconnected
 * socket of the namespace holds) were never decided by the programs and
 * are left alone. docs/design.md, "Existing flows", says the limits.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/rtnetlink.h>
#include <json-c/json.h>

#include "answer.h"
#include "daemon.h"
#include "flows.h"
#include "lib/log.h"
#include "lib/names.h"
#include "lib/util.h"
#include "links.h"

#define SG_FLOWS_RECV_BYTES	32768

static __u32 diag_seq;	/* each request's sequence number: replies are matched to it */

/* The kernel's socket states (include/net/tcp_states.h); UDP uses two of them. */
enum {
	SK_ESTABLISHED = 1,
	SK_SYN_SENT = 2,
	SK_CLOSE = 7,
	SK_CLOSE_WAIT = 8,
	SK_LISTEN = 10,
};

static const __u8 proto_nr[SG_FLOWS_PROTOS] = { IPPROTO_TCP, IPPROTO_UDP, SG_IPPROTO_UDPLITE };

const char *sg_flows_proto_name(unsigned int p)
{
	static const char *const names[SG_FLOWS_PROTOS] = { "tcp", "udp", "udplite" };

	return p < SG_FLOWS_PROTOS ? names[p] : "?";
}

/* One socket of a dump. */
struct sk_ent {
	struct inet_diag_sockid id;
	__u64 cgroup_id;	/* 0: the kernel gave none */
	__u32 uid;
	__u32 inode;
	__u8 family;
	__u8 state;
};

/* A cgroup of the guarded subtree and its ancestry, as the programs read it. */
struct cg_ent {
	__u64 id;
	__u64 cgroup[SG_CGROUP_LEVELS];
	char path[SG_PATH_MAX];	/* relative to the cgroup2 mount */
};

struct owner {
	__u32 inode;
	int pid;
};

struct sweep {
	struct sg_daemon *d;
	struct sg_image img;
	const struct sg_image_hdr *h;
	struct cg_ent *cg;
	size_t nr_cg;
	int *pids;
	size_t nr_pids;
	struct owner *owners;	/* sorted by inode; built when first needed */
	size_t nr_owners;
	bool owners_built;
	bool truncated;
	unsigned int ended, logged;
	__u32 mode;		/* the kernel's */
	const char *why;
};

/* ---- the guarded subtree ----------------------------------------------------- */

static int cmp_cg(const void *a, const void *b)
{
	const struct cg_ent *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct cg_ent *cg_find(const struct sweep *s, __u64 id)
{
	struct cg_ent key = { .id = id };

	return s->nr_cg ? bsearch(&key, s->cg, s->nr_cg, sizeof(*s->cg), cmp_cg) : NULL;
}

static void add_pids(struct sweep *s, const char *dir)
{
	char path[SG_PATH_MAX + 16];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1) {
		if (s->nr_pids >= SG_FLOWS_PIDS_MAX) {
			s->truncated = true;
			break;
		}
		s->pids[s->nr_pids++] = pid;
	}
	fclose(f);
}

/* @full's cgroup (at @level, ancestry @anc) and everything below it. */
static void walk(struct sweep *s, const char *root, const char *full, unsigned int level,
		 const __u64 *anc)
{
	struct cg_ent *e;
	struct dirent *de;
	struct stat st;
	char sub[SG_PATH_MAX];
	DIR *dir;

	if (stat(full, &st) || !S_ISDIR(st.st_mode))
		return;
	if (s->nr_cg >= SG_FLOWS_CGROUPS_MAX || level >= SG_CGROUP_LEVELS) {
		s->truncated = true;
		return;
	}
	e = &s->cg[s->nr_cg++];
	memset(e, 0, sizeof(*e));
	e->id = st.st_ino;	/* cgroup v2: the directory's inode number is the id */
	memcpy(e->cgroup, anc, sizeof(e->cgroup));
	e->cgroup[level] = e->id;
	snprintf(e->path, sizeof(e->path), "%s", full[strlen(root)] ? full + strlen(root) : "/");
	add_pids(s, full);
	dir = opendir(full);
	if (!dir)
		return;
	anc = e->cgroup;	/* e stays: the array does not move */
	while ((de = readdir(dir))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", full, de->d_name) >= sizeof(sub))
			continue;
		walk(s, root, sub, level + 1, anc);
	}
	closedir(dir);
}

/* The guarded cgroup's path under the mount, as sg_cgroup_open() takes it. */
static int guarded_path(const struct sg_daemon *d, char *full, size_t len)
{
	const char *root = d->sysres.cgroup_root, *cg = d->cfg.cgroup;

	if (cg[0] == '/' && strcmp(cg, "/") && !strncmp(cg, root, strlen(root)) &&
	    access(cg, F_OK) == 0)
		return snprintf(full, len, "%s", cg) >= (int)len ? -ENAMETOOLONG : 0;
	return snprintf(full, len, "%s%s%s", root, cg[0] == '/' ? "" : "/",
			strcmp(cg, "/") ? cg : "") >= (int)len ? -ENAMETOOLONG : 0;
}

static int subtree_load(struct sweep *s)
{
	const char *root = s->d->sysres.cgroup_root;
	__u64 anc[SG_CGROUP_LEVELS] = {};
	char full[SG_PATH_MAX], pre[SG_PATH_MAX];
	unsigned int level = 0;
	struct stat st;
	size_t i, n, len;
	int err;

	err = guarded_path(s->d, full, sizeof(full));
	if (err)
		return err;
	while (strlen(full) > 1 && full[strlen(full) - 1] == '/')
		full[strlen(full) - 1] = '\0';
	/* The ancestors above the guarded cgroup: the mount, then each level. */
	n = strlen(root);
	len = strlen(full);	/* below sizeof(pre): both are SG_PATH_MAX */
	for (i = n; i <= len; i++) {
		if (full[i] != '/' && full[i] != '\0')
			continue;
		memcpy(pre, full, i);
		pre[i] = '\0';
		if (!strcmp(pre, full))
			break;
		if (level >= SG_CGROUP_LEVELS || stat(pre, &st))
			return -ENOENT;
		anc[level++] = st.st_ino;
		if (!full[i])
			break;
	}
	s->cg = calloc(SG_FLOWS_CGROUPS_MAX, sizeof(*s->cg));
	s->pids = calloc(SG_FLOWS_PIDS_MAX, sizeof(*s->pids));
	if (!s->cg || !s->pids)
		return -ENOMEM;
	walk(s, root, full, level, anc);
	qsort(s->cg, s->nr_cg, sizeof(*s->cg), cmp_cg);
	return s->nr_cg ? 0 : -ENOENT;
}

/* ---- owners: the processes that hold a socket ------------------------------- */

static int cmp_owner(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static void owners_build(struct sweep *s)
{
	size_t cap = 0, i;
	char path[320], link[64];
	struct dirent *de;
	unsigned long ino;
	DIR *dir;
	ssize_t n;

	s->owners_built = true;
	for (i = 0; i < s->nr_pids; i++) {
		snprintf(path, sizeof(path), "/proc/%d/fd", s->pids[i]);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fd/%s", s->pids[i], de->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (sscanf(link, "socket:[%lu]", &ino) != 1)
				continue;
			if (s->nr_owners == cap) {
				struct owner *o;

				if (cap >= SG_FLOWS_SOCKETS_MAX)
					break;
				cap = cap ? cap * 2 : 256;
				o = realloc(s->owners, cap * sizeof(*o));
				if (!o)
					break;
				s->owners = o;
			}
			s->owners[s->nr_owners++] = (struct owner){ .inode = ino,
								    .pid = s->pids[i] };
		}
		closedir(dir);
	}
	if (s->nr_owners)
		qsort(s->owners, s->nr_owners, sizeof(*s->owners), cmp_owner);
}

static int owner_of(struct sweep *s, __u32 inode)
{
	struct owner key = { .inode = inode }, *o;

	if (!s->owners_built)
		owners_build(s);
	o = s->nr_owners ? bsearch(&key, s->owners, s->nr_owners, sizeof(key), cmp_owner) : NULL;
	return o ? o->pid : 0;
}

/* The executable and the real uid and gid of @pid, as the programs read a task's. */
static int owner_identity(int pid, struct sg_query *q)
{
	char path[64], line[256];
	unsigned int uid, gid;
	struct stat st;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st) == 0) {
		q->exe_dev = sg_kdev(st.st_dev);
		q->exe_ino = st.st_ino;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u", &uid) == 1) {
			q->uid = uid;
			found++;
		} else if (sscanf(line, "Gid: %u", &gid) == 1) {
			q->gid = gid;
			found++;
		}
	}
	fclose(f);
	return found == 2 ? 0 : -ENOENT;
}

/* ---- sock_diag ------------------------------------------------------------- */

struct netns_arg {
	int nsfd;
	int fd;		/* out: the diag socket, or -errno */
};

static int diag_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

/* A thread of its own enters the namespace: the daemon's threads stay where they are. */
static void *netns_thread(void *p)
{
	struct netns_arg *a = p;

	a->fd = setns(a->nsfd, CLONE_NEWNET) < 0 ? -errno : diag_socket();
	return NULL;
}

/* A sock_diag socket of the namespace @nsfd: it answers for its namespace. */
static int diag_socket_in(int nsfd)
{
	struct netns_arg a = { .nsfd = nsfd, .fd = -EINVAL };
	pthread_t t;
	int err;

	err = pthread_create(&t, NULL, netns_thread, &a);
	if (err)
		return -err;
	pthread_join(t, NULL);
	return a.fd;
}

/* Dump the sockets of @family and @proto in @states; *ret (malloc'ed), *nr. */
static int dump(int fd, __u8 family, __u8 proto, __u32 states, struct sk_ent **ret,
		size_t *nr, bool *truncated)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = ++diag_seq },
		.r = { .sdiag_family = family, .sdiag_protocol = proto, .idiag_states = states },
	};
	static char buf[SG_FLOWS_RECV_BYTES];	/* the event loop's alone */
	struct sk_ent *v = *ret;
	size_t cap = *nr, n = *nr;
	bool done = false;
	ssize_t len;

	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	while (!done) {
		struct nlmsghdr *h;

		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return len < 0 ? -errno : -EIO;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a;
			int alen;

			if (h->nlmsg_seq != req.nlh.nlmsg_seq)
				continue;	/* the rest of a dump given up before */
			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				/* No such protocol here (udp_diag not built): nothing to end. */
				return e->error == -ENOENT ? 0 : e->error ? e->error : -EIO;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			if (n >= SG_FLOWS_SOCKETS_MAX) {
				*truncated = true;
				continue;
			}
			if (n == cap) {
				struct sk_ent *nv;

				cap = cap ? cap * 2 : 256;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					return -ENOMEM;
				v = *ret = nv;
			}
			v[n] = (struct sk_ent){ .id = m->id, .uid = m->idiag_uid,
						.inode = m->idiag_inode, .family = m->idiag_family,
						.state = m->idiag_state };
			alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == INET_DIAG_CGROUP_ID &&
				    RTA_PAYLOAD(a) >= (int)sizeof(__u64))
					memcpy(&v[n].cgroup_id, RTA_DATA(a), sizeof(__u64));
			*nr = ++n;
		}
	}
	return 0;
}

/* Destroy one socket: 0, or the kernel's negative errno. */
static int destroy(int fd, __u8 proto, const struct sk_ent *e)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DESTROY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = ++diag_seq },
		.r = { .sdiag_family = e->family, .sdiag_protocol = proto, .idiag_states = ~0u,
		       .id = e->id },
	};
	char buf[512];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t len;

	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	for (;;) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return -errno;
		if (!NLMSG_OK(h, (size_t)len))
			return -EIO;
		if (h->nlmsg_seq == req.nlh.nlmsg_seq)
			break;
	}
	if (h->nlmsg_type != NLMSG_ERROR)
		return -EIO;
	return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
}

void sg_flows_probe(struct sg_daemon *d)
{
	struct sk_ent none = { .family = AF_INET, .id = { .idiag_cookie = { INET_DIAG_NOCOOKIE,
									      INET_DIAG_NOCOOKIE } } };
	_cleanup_close_ int fd = diag_socket();
	int err = fd < 0 ? fd : destroy(fd, IPPROTO_TCP, &none);

	/* No socket has that address: a kernel that destroys says so. */
	if (err == -ENOENT || err == 0) {
		d->flows.destroy = SG_DESTROY_AVAILABLE;
	} else if (err == -EOPNOTSUPP) {
		d->flows.destroy = SG_DESTROY_UNAVAILABLE;
		sg_warn("existing flows: this kernel has no socket destroy "
			"(CONFIG_INET_DIAG_DESTROY): flows a new policy denies keep running "
			"until they close");
	} else if (err == -EPERM || err == -EACCES) {
		d->flows.destroy = SG_DESTROY_REFUSED;
		sg_warn("existing flows: socket destroy refused (CAP_NET_ADMIN): flows a new "
			"policy denies keep running until they close");
	} else {
		d->flows.destroy = SG_DESTROY_UNKNOWN;
		sg_warn("existing flows: socket destroy could not be probed: %s", strerror(-err));
	}
}

/* ---- deciding ---------------------------------------------------------------- */

static bool is_loopback(const struct sg_query *q)
{
	static const __u8 v6lo[16] = { [15] = 1 };

	if (q->family == SG_AF_INET)
		return q->addr[0] == 127;
	return !memcmp(q->addr, v6lo, 16);
}

/* The destination as the programs see it: IPv4-mapped IPv6 is IPv4. */
static bool dst_of(const struct sk_ent *e, struct sg_query *q)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	const __u8 *a = (const __u8 *)e->id.idiag_dst;
	static const __u8 zero[16];

	if (e->family == AF_INET) {
		q->family = SG_AF_INET;
		memcpy(q->addr, a, 4);
	} else if (!memcmp(a, mapped, 12)) {
		q->family = SG_AF_INET;
		memcpy(q->addr, a + 12, 4);
	} else {
		q->family = SG_AF_INET6;
		memcpy(q->addr, a, 16);
	}
	q->port = ntohs(e->id.idiag_dport);
	return q->port && memcmp(q->addr, zero, q->family == SG_AF_INET ? 4 : 16);
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const __u16 *)a - (int)*(const __u16 *)b;
}

static void addr_str(const struct sg_query *q, char *buf, size_t len)
{
	inet_ntop(q->family == SG_AF_INET ? AF_INET : AF_INET6, q->addr, buf, len);
}

static void log_ended(struct sweep *s, unsigned int p, const struct sg_query *q,
		      const struct cg_ent *cg, const struct sk_ent *e, int pid,
		      const struct sg_answer *ans)
{
	const struct sg_policy *pol = s->d->pol;
	char a[INET6_ADDRSTRLEN], port[8], rule[64], gen[16], uid[16], pids[16];
	struct sg_log_field f[] = {
		{ "SOVGUARD_FLOW", "ended" },
		{ "SOVGUARD_PROTO", sg_flows_proto_name(p) },
		{ "SOVGUARD_DST", a },
		{ "SOVGUARD_DPORT", port },
		{ "SOVGUARD_CGROUP", cg->path },
		{ "SOVGUARD_UID", uid },
		{ "SG_RULE", rule },
		{ "SG_GENERATION", gen },
		{ "SOVGUARD_SUBJECT_PID", pids },
	};

	if (s->logged >= SG_FLOWS_LOG_MAX) {
		s->d->flows.unlogged++;
		return;
	}
	s->logged++;
	addr_str(q, a, sizeof(a));
	snprintf(port, sizeof(port), "%u", q->port);
	snprintf(rule, sizeof(rule), "%s", sg_rule_id(pol, ans->rule));
	snprintf(gen, sizeof(gen), "%u", ans->generation);
	snprintf(uid, sizeof(uid), "%u", e->uid);
	snprintf(pids, sizeof(pids), "%d", pid);
	sg_log_struct(LOG_WARNING, f, SG_ARRAY_SIZE(f) - !pid,
		      "flow ended (%s): %s %s%s%s:%u from cgroup %s uid %u%s%s denied by rule %s, "
		      "generation %u", s->why, sg_flows_proto_name(p), q->family == SG_AF_INET6 ?
		      "[" : "", a, q->family == SG_AF_INET6 ? "]" : "", q->port, cg->path,
		      e->uid, pid ? " pid " : "", pid ? pids : "", rule, ans->generation);
}

/*
 * The sockets of one protocol in one namespace: dump them (both families),
 * note the ports held by listeners (TCP) or unconnected sockets (UDP), and
 * end each connected one of the subtree the policy denies.
 */
static void sweep_proto(struct sweep *s, int fd, unsigned int p)
{
	struct sg_flows *fl = &s->d->flows;
	__u32 states = p == SG_FLOWS_TCP ?
			       (1u << SK_ESTABLISHED | 1u << SK_SYN_SENT | 1u << SK_CLOSE_WAIT |
				1u << SK_LISTEN) :
			       (1u << SK_ESTABLISHED | 1u << SK_CLOSE);
	__u32 need_owner = 1u << SG_SUBJ_KIND_EXE | 1u << SG_SUBJ_KIND_GID;
	_cleanup_free_ struct sk_ent *v = NULL;
	_cleanup_free_ __u16 *held = NULL;
	size_t n = 0, nh = 0, i;
	int err;

	err = dump(fd, AF_INET, proto_nr[p], states, &v, &n, &s->truncated);
	if (!err)
		err = dump(fd, AF_INET6, proto_nr[p], states, &v, &n, &s->truncated);
	if (err) {
		sg_warn("existing flows: %s sockets not listed: %s", sg_flows_proto_name(p),
			strerror(-err));
		return;
	}
	held = calloc(n + 1, sizeof(*held));
	if (!held)
		return;
	for (i = 0; i < n; i++)
		if (v[i].state == SK_LISTEN || (p != SG_FLOWS_TCP && v[i].state == SK_CLOSE))
			held[nh++] = ntohs(v[i].id.idiag_sport);
	qsort(held, nh, sizeof(*held), cmp_u16);

	for (i = 0; i < n; i++) {
		const struct sk_ent *e = &v[i];
		struct sg_query q = {};
		struct sg_answer ans = {};
		const struct cg_ent *cg;
		__u16 sport = ntohs(e->id.idiag_sport);
		int pid = 0;

		if (e->state == SK_LISTEN || e->state == SK_CLOSE || !dst_of(e, &q) ||
		    is_loopback(&q))
			continue;
		if (nh && bsearch(&sport, held, nh, sizeof(*held), cmp_u16))
			continue;	/* into the subtree, not out of it */
		if (!e->cgroup_id) {
			fl->undecided++;
			continue;
		}
		cg = cg_find(s, e->cgroup_id);
		if (!cg)
			continue;	/* not ours */
		q.protocol = proto_nr[p];
		q.uid = e->uid;
		memcpy(q.cgroup, cg->cgroup, sizeof(q.cgroup));
		if (s->h->subj_kinds & need_owner) {
			pid = owner_of(s, e->inode);
			if (!pid || owner_identity(pid, &q)) {
				fl->no_owner++;
				continue;
			}
		}
		if (sg_image_decide(&s->img, &q, &ans)) {
			fl->undecided++;
			continue;
		}
		if (sg_effective_verdict(s->mode, ans.verdict) != SG_VERDICT_DENY)
			continue;
		if (fl->destroy == SG_DESTROY_UNAVAILABLE || fl->cannot[p]) {
			fl->unsupported++;
			continue;
		}
		err = destroy(fd, proto_nr[p], e);
		if (err == -ENOENT) {
			fl->gone++;
		} else if (err == -EOPNOTSUPP) {
			/* UDP-Lite: its proto has no diag_destroy, whatever the config. */
			fl->unsupported++;
			fl->cannot[p] = true;
			sg_warn("existing flows: this kernel cannot destroy %s sockets: such flows "
				"a new policy denies keep running until they close (counted)",
				sg_flows_proto_name(p));
		} else if (err) {
			fl->failed++;
			sg_warn("existing flows: %s socket %u not ended: %s", sg_flows_proto_name(p),
				e->inode, strerror(-err));
		} else {
			fl->ended[p]++;
			s->ended++;
			if (!pid && s->logged < SG_FLOWS_LOG_MAX)
				pid = owner_of(s, e->inode);
			log_ended(s, p, &q, cg, e, pid, &ans);
		}
	}
}

static void sweep_netns(struct sweep *s, int fd)
{
	unsigned int p;

	for (p = 0; p < SG_FLOWS_PROTOS; p++)
		sweep_proto(s, fd, p);
}

struct ns_id {
	dev_t dev;
	ino_t ino;
};

/* Every network namespace the subtree's processes are in, the daemon's first. */
static void sweep_namespaces(struct sweep *s)
{
	_cleanup_free_ struct ns_id *seen = calloc(SG_FLOWS_NETNS_MAX, sizeof(*seen));
	size_t nseen = 0, i, k;
	char path[64];
	struct stat st;

	if (!seen)
		return;
	if (stat("/proc/self/ns/net", &st) == 0)
		seen[nseen++] = (struct ns_id){ st.st_dev, st.st_ino };
	{
		_cleanup_close_ int fd = diag_socket();

		if (fd >= 0)
			sweep_netns(s, fd);
	}
	for (i = 0; i < s->nr_pids; i++) {
		_cleanup_close_ int nsfd = -1, fd = -1;

		snprintf(path, sizeof(path), "/proc/%d/ns/net", s->pids[i]);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || fstat(nsfd, &st))
			continue;
		for (k = 0; k < nseen; k++)
			if (seen[k].dev == st.st_dev && seen[k].ino == st.st_ino)
				break;
		if (k < nseen)
			continue;
		if (nseen >= SG_FLOWS_NETNS_MAX) {
			s->truncated = true;
			break;
		}
		seen[nseen++] = (struct ns_id){ st.st_dev, st.st_ino };
		fd = diag_socket_in(nsfd);
		if (fd < 0) {
			sg_warn("existing flows: network namespace of pid %d not swept: %s",
				s->pids[i], strerror(-fd));
			continue;
		}
		sweep_netns(s, fd);
	}
	s->d->flows.namespaces = nseen;
}

unsigned int sg_flows_end(struct sg_daemon *d, const char *why)
{
	struct sweep s = { .d = d, .why = why };
	struct sg_config kc;
	__u32 slot;
	int err;

	if (d->cfg.flows_keep || !d->egress || !d->pol)
		return 0;
	if (sg_egress_kernel_image(d->egress, &s.img, &kc, &slot))
		return 0;	/* no image of ours: the fail verdict or tamper response decides */
	s.mode = sg_config_mode(&kc);	/* what the programs apply */
	if (s.mode != SG_MODE_ENFORCE)
		return 0;
	s.h = sg_image_hdr(&s.img);
	d->flows.sweeps++;
	err = subtree_load(&s);
	if (err) {
		sg_warn("existing flows: the guarded cgroup %s could not be read: %s",
			d->cfg.cgroup, strerror(-err));
		goto out;
	}
	sweep_namespaces(&s);
	if (s.truncated) {
		d->flows.truncated++;
		sg_warn("existing flows: a limit of the sweep was reached (%u cgroups, %u "
			"processes, %u namespaces, %u sockets): some flows were not looked at",
			SG_FLOWS_CGROUPS_MAX, SG_FLOWS_PIDS_MAX, SG_FLOWS_NETNS_MAX,
			SG_FLOWS_SOCKETS_MAX);
	}
	if (s.ended)
		sg_info("existing flows: %u ended after %s (generation %u)%s", s.ended, why,
			s.h->generation,
			s.ended > s.logged ? "; not all logged one by one (rate limit)" : "");
out:
	free(s.cg);
	free(s.pids);
	free(s.owners);
	return s.ended;
}

static const char *destroy_name(enum sg_flows_destroy x)
{
	switch (x) {
	case SG_DESTROY_AVAILABLE:
		return "available";
	case SG_DESTROY_UNAVAILABLE:
		return "unavailable";
	case SG_DESTROY_REFUSED:
		return "refused";
	default:
		return "unknown";
	}
}

struct json_object *sg_flows_json(const struct sg_daemon *d)
{
	const struct sg_flows *f = &d->flows;
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	struct json_object *no = json_object_new_array();
	unsigned int p;

	json_object_object_add(o, "existing_flows",
			       json_object_new_string(d->cfg.flows_keep ? "keep" : "end"));
	json_object_object_add(o, "destroy", json_object_new_string(destroy_name(f->destroy)));
	for (p = 0; p < SG_FLOWS_PROTOS; p++)
		if (f->cannot[p])
			json_object_array_add(no, json_object_new_string(sg_flows_proto_name(p)));
	json_object_object_add(o, "no_destroy", no);
	json_object_object_add(o, "sweeps", json_object_new_int64(f->sweeps));
	for (p = 0; p < SG_FLOWS_PROTOS; p++)
		json_object_object_add(e, sg_flows_proto_name(p), json_object_new_int64(f->ended[p]));
	json_object_object_add(o, "ended", e);
	json_object_object_add(o, "failed", json_object_new_int64(f->failed));
	json_object_object_add(o, "unsupported", json_object_new_int64(f->unsupported));
	json_object_object_add(o, "gone", json_object_new_int64(f->gone));
	json_object_object_add(o, "no_owner", json_object_new_int64(f->no_owner));
	json_object_object_add(o, "undecided", json_object_new_int64(f->undecided));
	json_object_object_add(o, "truncated", json_object_new_int64(f->truncated));
	json_object_object_add(o, "unlogged", json_object_new_int64(f->unlogged));
	json_object_object_add(o, "namespaces", json_object_new_int64(f->namespaces));
	return o;
}
