// SPDX-License-Identifier: GPL-2.0
/*
 * sovguard observation: what the guarded subtree does on the network, for
 * the detectors. Connections are reported by the egress programs through
 * bpf/observe.h; this object adds what they cannot see: TCP source ends and
 * flow ends (tp_btf/inet_sock_set_state), listeners (post_bind, the same
 * tracepoint), UDP flow ends
 * (sock_release), DNS answers (cgroup_skb ingress), executions
 * (tp_btf/sched_process_exec) and packet and raw sockets (the socket()
 * syscall's exit). Records and maps: include/sovguard_egress.h,
 * "Observation". Every program only reads and reports: each returns "go
 * on", whatever happens.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "sovguard_egress.h"
#include "observe.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sg_obs_cgroup SEC(".maps");

#define SG_OK		1

/* The protocol of a packet socket (ETH_P_*, network order) is its own. */
struct packet_sock___sg {
	__be16 num;
} __attribute__((preserve_access_index));

#define SG_TCP_ESTABLISHED	1
#define SG_TCP_FIN_WAIT1	4
#define SG_TCP_FIN_WAIT2	5
#define SG_TCP_TIME_WAIT	6
#define SG_TCP_CLOSE		7
#define SG_TCP_CLOSE_WAIT	8
#define SG_TCP_LAST_ACK		9
#define SG_TCP_LISTEN		10
#define SG_TCP_CLOSING		11

#define SG_S_IFMT	00170000
#define SG_S_IFSOCK	0140000
#define SG_S_IFREG	0100000
#define SG_S_IFDIR	0040000
#define SG_S_IFCHR	0020000
#define SG_S_IFIFO	0010000
#define SG_S_IWOTH	00002

#define SG_AF_UNIX	1
#define SG_AF_PACKET	17
#define SG_SOCK_RAW	3
#define SG_ETH_P_IP	0x0800
#define SG_ETH_P_IPV6	0x86DD
#define SG_FDS_MAX	(1u << 20)	/* fd numbers a table lookup accepts */

static __always_inline bool sg_in_subtree(void)
{
	return bpf_current_task_under_cgroup(&sg_obs_cgroup, 0) == 1;
}

/* ---- TCP: source end, flow end, listen (state changes) ------------------ */

/*
 * Every TCP state change on the host passes here, so the common case is
 * short: a socket without observation state (not opened by the subtree
 * through the egress hooks, nor bound there) returns after one lookup. It
 * is cheaper than sockops, which runs some seven times a connection
 * (docs/performance.md).
 */
static __always_inline void sg_sk_local(const struct sock *sk, struct sg_obs_tuple *t)
{
	t->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (t->family == SG_OBS_AF_INET)
		bpf_core_read(t->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
	else
		bpf_core_read(t->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
}

static __always_inline void sg_flow_end(const struct sock *sk, struct sg_obs_sock *st)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
	struct sg_obs_flow_end *r;
	__u64 acked, rcvd;

	if (!tp)
		return;
	acked = tp->bytes_acked;
	rcvd = tp->bytes_received;
	/* Sequence space, not payload: the SYN, and each FIN that went through. */
	if (acked)
		acked--;
	if ((st->flags & SG_OBS_SK_FIN_OUT) && tp->snd_una == tp->snd_nxt && acked)
		acked--;
	if ((st->flags & SG_OBS_SK_FIN_IN) && rcvd)
		rcvd--;
	st->flags &= ~SG_OBS_SK_REPORTED;
	r = sg_obs_reserve(SG_OBS_FLOW_END, sizeof(*r), 0);
	if (!r)
		return;
	r->subj = st->subj;
	r->t = st->t;
	r->cookie = bpf_get_socket_cookie((void *)sk);
	r->bytes_sent = acked;
	r->bytes_received = rcvd;
	r->sends = st->sends;
	r->start_ns = st->start_ns;
	sg_obs_submit(r, SG_OBS_FLOW_END);
}

static __always_inline void sg_listen_tcp(const struct sock *sk, struct sg_obs_sock *st)
{
	struct sg_obs_listen *r;

	if (!st && !sg_in_subtree())
		return;
	r = sg_obs_reserve(SG_OBS_LISTEN, sizeof(*r), SG_OBS_F_LISTEN);
	if (!r)
		return;
	if (st)
		r->subj = st->subj;
	else
		sg_obs_subject_fill(&r->subj);	/* listen() runs in the task */
	__builtin_memset(&r->t, 0, sizeof(r->t));
	r->t.family = sk->__sk_common.skc_family;
	r->t.protocol = SG_OBS_TCP;
	sg_sk_local(sk, &r->t);
	r->cookie = bpf_get_socket_cookie((void *)sk);
	sg_obs_submit(r, SG_OBS_LISTEN);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sg_obs_tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct sg_obs_sock *st;
	__u32 kinds;

	if (sk->sk_protocol != SG_OBS_TCP)
		return 0;
	st = bpf_sk_storage_get(&sg_obs_sk, (void *)sk, 0, 0);
	if (newstate == SG_TCP_LISTEN) {
		if (sg_obs_kinds() & (1u << SG_OBS_LISTEN))
			sg_listen_tcp(sk, st);
		return 0;
	}
	if (!st)
		return 0;
	kinds = sg_obs_kinds();
	if (st->flags & SG_OBS_SK_PENDING) {
		/* Established, or failed: either way the source end is known. */
		if (newstate != SG_TCP_ESTABLISHED && newstate != SG_TCP_CLOSE)
			return 0;
		sg_sk_local(sk, &st->t);
		st->flags = SG_OBS_SK_REPORTED;
		if (kinds & (1u << SG_OBS_CONNECT))
			sg_obs_connect_emit(st, bpf_get_socket_cookie((void *)sk), 0);
	}
	if (!(st->flags & SG_OBS_SK_REPORTED))
		return 0;
	switch (newstate) {
	case SG_TCP_FIN_WAIT1:
	case SG_TCP_LAST_ACK:
		st->flags |= SG_OBS_SK_FIN_OUT;
		break;
	case SG_TCP_CLOSE_WAIT:
	case SG_TCP_CLOSING:
		st->flags |= SG_OBS_SK_FIN_IN;
		break;
	case SG_TCP_TIME_WAIT:
		if (oldstate == SG_TCP_FIN_WAIT2)
			st->flags |= SG_OBS_SK_FIN_IN;
		break;
	case SG_TCP_CLOSE:
		/*
		 * FIN_WAIT2 ends in TIME_WAIT when the peer's FIN arrives
		 * (this socket closes, a timewait one stays), or on the
		 * FIN_WAIT2 timeout without one: counted as the former.
		 */
		if (oldstate == SG_TCP_FIN_WAIT2)
			st->flags |= SG_OBS_SK_FIN_IN;
		if (kinds & (1u << SG_OBS_FLOW_END))
			sg_flow_end(sk, st);
		st->flags &= ~SG_OBS_SK_REPORTED;
		break;
	}
	return 0;
}

/* ---- listeners (bind) and UDP flow ends (cgroup sock) ------------------- */

static __always_inline int sg_post_bind(struct bpf_sock *sk, bool v6)
{
	struct sg_obs_listen *r;
	struct sg_obs_sock *st;

	if (!(sg_obs_kinds() & (1u << SG_OBS_LISTEN)))
		return SG_OK;
	if (sk->protocol != SG_OBS_TCP && sk->protocol != SG_OBS_UDP)
		return SG_OK;
	st = bpf_sk_storage_get(&sg_obs_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		sg_obs_count(SG_OBS_LISTEN, SG_OBS_NO_STATE);
		return SG_OK;
	}
	sg_obs_subject_fill(&st->subj);
	r = sg_obs_reserve(SG_OBS_LISTEN, sizeof(*r), 0);
	if (!r)
		return SG_OK;
	r->subj = st->subj;
	__builtin_memset(&r->t, 0, sizeof(r->t));
	r->t.family = v6 ? SG_OBS_AF_INET6 : SG_OBS_AF_INET;
	r->t.protocol = sk->protocol;
	r->t.sport = sk->src_port;
	if (!v6) {
		__u32 a = sk->src_ip4;

		__builtin_memcpy(r->t.saddr, &a, 4);
	} else {
		__u32 a[4] = { sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3] };

		__builtin_memcpy(r->t.saddr, a, 16);
	}
	r->cookie = bpf_get_socket_cookie(sk);
	sg_obs_submit(r, SG_OBS_LISTEN);
	return SG_OK;
}

SEC("cgroup/post_bind4")
int sg_obs_post_bind4(struct bpf_sock *sk)
{
	return sg_post_bind(sk, false);
}

SEC("cgroup/post_bind6")
int sg_obs_post_bind6(struct bpf_sock *sk)
{
	return sg_post_bind(sk, true);
}

/*
 * A UDP socket that reported a flow closes: its end, with the sends. A TCP
 * socket whose connect was allowed but never got to send a SYN (no route)
 * had no state change to report it: its CONNECT goes out here.
 */
SEC("cgroup/sock_release")
int sg_obs_sock_release(struct bpf_sock *sk)
{
	struct sg_obs_sock *st;

	if (sk->protocol != SG_OBS_UDP && sk->protocol != SG_OBS_TCP)
		return SG_OK;
	st = bpf_sk_storage_get(&sg_obs_sk, sk, 0, 0);
	if (!st)
		return SG_OK;
	if (sk->protocol == SG_OBS_TCP) {
		if ((st->flags & SG_OBS_SK_PENDING) && (sg_obs_kinds() & (1u << SG_OBS_CONNECT))) {
			st->flags = 0;
			sg_obs_connect_emit(st, bpf_get_socket_cookie(sk), SG_OBS_F_NO_HANDSHAKE);
		}
		return SG_OK;
	}
	if (st->flags & SG_OBS_SK_REPORTED)
		sg_obs_udp_end(st, bpf_get_socket_cookie(sk));
	return SG_OK;
}

/* ---- DNS answers (cgroup_skb ingress, softirq: no task) ----------------- */

SEC("cgroup_skb/ingress")
int sg_obs_ingress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct sg_obs_sock *st;
	struct sg_obs_dns *r;
	__u32 off, len, ulen;
	__u16 ports[2];
	__u8 family;

	if (!sk)
		return SG_OK;
	sk = bpf_sk_fullsock(sk);
	if (!sk || sk->protocol != SG_OBS_UDP)
		return SG_OK;
	if (!(sg_obs_kinds() & (1u << SG_OBS_DNS)))
		return SG_OK;
	if (skb->protocol == bpf_htons(SG_ETH_P_IP)) {
		__u8 vihl, proto;

		if (bpf_skb_load_bytes(skb, 0, &vihl, 1) || bpf_skb_load_bytes(skb, 9, &proto, 1) ||
		    proto != SG_OBS_UDP)
			return SG_OK;
		off = (vihl & 0xf) * 4;
		family = SG_OBS_AF_INET;
	} else if (skb->protocol == bpf_htons(SG_ETH_P_IPV6)) {
		__u8 next;

		if (bpf_skb_load_bytes(skb, 6, &next, 1) || next != SG_OBS_UDP)
			return SG_OK;
		off = 40;
		family = SG_OBS_AF_INET6;
	} else {
		return SG_OK;
	}
	if (off < 20 || off > 60 || bpf_skb_load_bytes(skb, off, ports, 4) ||
	    ports[0] != bpf_htons(53))
		return SG_OK;
	ulen = skb->len > off + 8 ? skb->len - off - 8 : 0;
	if (!ulen)
		return SG_OK;
	st = bpf_sk_storage_get(&sg_obs_sk, sk, 0, 0);
	r = sg_obs_reserve(SG_OBS_DNS, sizeof(*r),
			   (st ? 0 : SG_OBS_F_NO_SUBJECT) |
			   (ulen > SG_OBS_DNS_MAX ? SG_OBS_F_TRUNCATED : 0));
	if (!r)
		return SG_OK;
	if (st)
		r->subj = st->subj;
	else
		__builtin_memset(&r->subj, 0, sizeof(r->subj));
	__builtin_memset(&r->t, 0, sizeof(r->t));
	r->t.family = family;
	r->t.protocol = SG_OBS_UDP;
	r->t.sport = 53;
	r->t.dport = bpf_ntohs(ports[1]);
	if (family == SG_OBS_AF_INET) {
		bpf_skb_load_bytes(skb, 12, r->t.saddr, 4);
		bpf_skb_load_bytes(skb, 16, r->t.daddr, 4);
	} else {
		bpf_skb_load_bytes(skb, 8, r->t.saddr, 16);
		bpf_skb_load_bytes(skb, 24, r->t.daddr, 16);
	}
	r->cookie = bpf_get_socket_cookie(skb);
	len = ulen > SG_OBS_DNS_MAX ? SG_OBS_DNS_MAX : ulen;
	r->len = len;
	__builtin_memset(r->pad, 0, sizeof(r->pad));
	/*
	 * len is 1 to SG_OBS_DNS_MAX already; said again in a form 6.1's
	 * verifier follows (it refuses a size that may be 0, and the compiler
	 * folds a "len < 1 || len > MAX" test into one compare of len - 1, whose
	 * bounds that verifier does not carry back to len). The barrier keeps
	 * the compiler from dropping the mask it can prove useless.
	 */
	_Static_assert(!(SG_OBS_DNS_MAX & (SG_OBS_DNS_MAX - 1)), "a power of two");
	asm volatile("" : "+r"(len));
	len = ((len - 1) & (SG_OBS_DNS_MAX - 1)) + 1;
	if (bpf_skb_load_bytes(skb, off + 8, r->msg, len))
		r->len = 0;
	sg_obs_submit(r, SG_OBS_DNS);
	return SG_OK;
}

/* ---- executions and packet/raw sockets (tracing, any task) -------------- */

/* The open file behind @fd of the current task, or NULL. */
static __always_inline struct file *sg_fd_file(struct task_struct *task, __u32 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds) || fd >= SG_FDS_MAX)
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

static __always_inline void sg_sock_ends(struct sock *sk, struct sg_obs_tuple *t)
{
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->protocol = BPF_CORE_READ(sk, sk_protocol);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	t->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (t->family == SG_OBS_AF_INET) {
		bpf_core_read(t->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(t->daddr, 4, &sk->__sk_common.skc_daddr);
	} else if (t->family == SG_OBS_AF_INET6) {
		bpf_core_read(t->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(t->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

static __always_inline void sg_stdio(struct task_struct *task, __u32 fd, struct sg_obs_fd *o)
{
	struct file *f = sg_fd_file(task, fd);
	struct inode *inode;
	struct socket *sock;
	struct sock *sk;
	__u32 mode;

	__builtin_memset(o, 0, sizeof(*o));
	if (!f)
		return;
	inode = BPF_CORE_READ(f, f_inode);
	mode = BPF_CORE_READ(inode, i_mode) & SG_S_IFMT;
	o->ino = BPF_CORE_READ(inode, i_ino);
	switch (mode) {
	case SG_S_IFSOCK:
		o->type = SG_OBS_FD_SOCKET;
		break;
	case SG_S_IFREG:
	case SG_S_IFDIR:
		o->type = SG_OBS_FD_FILE;
		return;
	case SG_S_IFIFO:
		o->type = SG_OBS_FD_PIPE;
		return;
	case SG_S_IFCHR:
		o->type = SG_OBS_FD_CHAR;
		return;
	default:
		o->type = SG_OBS_FD_OTHER;
		return;
	}
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	o->sock_type = BPF_CORE_READ(sk, sk_type);
	sg_sock_ends(sk, &o->t);
	if (o->t.family == SG_AF_UNIX) {
		struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);

		if (peer)
			o->peer_ino = BPF_CORE_READ(peer, sk_socket, file, f_inode, i_ino);
	}
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sg_obs_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct sg_obs_exec *r;
	struct file *file;
	struct dentry *dentry;
	struct inode *inode;
	const char *filename;
	char name[SG_OBS_NAME_MAX];
	__u16 flags = 0;

	if (!(sg_obs_kinds() & (1u << SG_OBS_EXEC)) || !sg_in_subtree())
		return 0;
	file = BPF_CORE_READ(bprm, file);
	dentry = BPF_CORE_READ(file, f_path.dentry);
	inode = BPF_CORE_READ(file, f_inode);
	r = sg_obs_reserve(SG_OBS_EXEC, sizeof(*r), 0);
	if (!r)
		return 0;
	sg_obs_subject_fill(&r->subj);
	r->ppid = BPF_CORE_READ(task, real_parent, tgid);
	r->nlink = BPF_CORE_READ(inode, __i_nlink);
	r->dir_mode = BPF_CORE_READ(dentry, d_parent, d_inode, i_mode);
	r->pad = 0;
	__builtin_memset(name, 0, sizeof(name));
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(dentry, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
	    name[4] == 'd' && name[5] == ':')
		flags |= SG_OBS_F_MEMFD;
	else if (!r->nlink)
		flags |= SG_OBS_F_DELETED;
	if (!(flags & SG_OBS_F_MEMFD) && (r->dir_mode & SG_S_IWOTH))
		flags |= SG_OBS_F_WORLD_DIR;
	r->hdr.flags = flags;
	sg_stdio(task, 0, &r->stdio[0]);
	sg_stdio(task, 1, &r->stdio[1]);
	filename = BPF_CORE_READ(bprm, filename);
	if (bpf_probe_read_kernel_str(r->path, sizeof(r->path), filename) < 0)
		r->path[0] = '\0';
	sg_obs_submit(r, SG_OBS_EXEC);
	return 0;
}

/*
 * socket() made a packet or a raw socket. cgroup/sock_create runs only for
 * inet sockets, so the syscall: its entry sees the arguments (cheap, and
 * enough to pass over every other socket), its exit the new fd.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);	/* pid_tgid */
	__type(value, __u32);
} sg_obs_sockreq SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_socket")
int sg_obs_socket_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id;
	__u32 one = 1;

	if (ctx->args[0] != SG_AF_PACKET && (ctx->args[1] & 0xf) != SG_SOCK_RAW)
		return 0;
	if (!(sg_obs_kinds() & (1u << SG_OBS_SOCKET)) || !sg_in_subtree())
		return 0;
	id = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&sg_obs_sockreq, &id, &one, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_socket")
int sg_obs_socket(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task;
	struct sg_obs_socket *r;
	struct socket *sock;
	struct file *f;
	struct sock *sk;
	__u32 family, type;
	__u64 id = bpf_get_current_pid_tgid();
	long fd = ctx->ret;

	if (!bpf_map_lookup_elem(&sg_obs_sockreq, &id))
		return 0;
	bpf_map_delete_elem(&sg_obs_sockreq, &id);
	if (fd < 0)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	f = sg_fd_file(task, fd);
	if (!f)
		return 0;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	type = BPF_CORE_READ(sk, sk_type);
	r = sg_obs_reserve(SG_OBS_SOCKET, sizeof(*r), 0);
	if (!r)
		return 0;
	sg_obs_subject_fill(&r->subj);
	r->family = family;
	r->type = type;
	r->protocol = BPF_CORE_READ(sk, sk_protocol);
	if (family == SG_AF_PACKET && bpf_core_field_exists(struct packet_sock___sg, num))
		r->protocol = BPF_CORE_READ((struct packet_sock___sg *)sk, num);
	r->fd = fd;
	sg_obs_submit(r, SG_OBS_SOCKET);
	return 0;
}
