/* SPDX-License-Identifier: GPL-2.0-only */
/* Who serves an accepted TCP socket and who owns a UDP socket: three ways to see socket I/O. */
#ifndef SOCKFLOW_OWNER_BPF_H
#define SOCKFLOW_OWNER_BPF_H

/*
 * Included by sockflow.bpf.c after its maps and helpers. Each mechanism is
 * a pair (or two pairs) of programs that user space loads and attaches only
 * if it is the best this kernel accepts:
 *   sock_length_tp  tp_btf sock:sock_send_length / sock_recv_length (6.3+)
 *   fentry          fentry on inet_sendmsg/inet_recvmsg and the inet6 ones
 *   kprobe          kprobes on the same functions
 * All fire in the calling process's context, on socket I/O only. (A
 * syscall-exit tracepoint on accept() would put every syscall of every
 * task on the slow tracing path.)
 */

/*
 * The first process to send or receive on an accepted socket is its server
 * end: the accept() caller, or whoever it handed the socket to.
 */
static __always_inline void name_server(__u64 cookie)
{
	struct sf_sock *s;

	s = bpf_map_lookup_elem(&socks, &cookie);
	if (!s || s->role != SF_ROLE_SERVER || (s->flags & SF_FLAG_ACCEPTED))
		return;
	/* Two first calls racing on one socket: one names it, once. */
	if (server_named_once(s))
		proc_current(&s->proc);
}

/*
 * A UDP socket's owner is whoever last sent or received on it, so a
 * socket handed to another process is named after the new one. Only a
 * change of process costs more than one lookup. @sk may be a probe-read
 * pointer: only CO-RE reads go through it.
 */
static __always_inline void name_udp_owner(const struct sock *sk, __u64 cookie)
{
	struct sf_owner *o, fresh = {};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	o = bpf_map_lookup_elem(&udp_owners, &cookie);
	if (o && o->proc.tgid == tgid)
		return;
	proc_current(&fresh.proc);
	fresh.proc.cgroup_id = sock_cgroup_id(sk);
	fresh.netns_ino = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (bpf_map_update_elem(&udp_owners, &cookie, &fresh, BPF_ANY))
		stat_inc(SF_STAT_UDP_OWNERS_FULL);
}

/*
 * Whether a send or receive call on a socket of @family and @protocol may
 * have someone to name. Most calls are on TCP connections whose ends are
 * named already: with no accepted socket waiting for its first I/O, they
 * return here, before any map lookup.
 */
static __always_inline bool io_may_name(__u16 family, __u8 protocol)
{
	if (family != AF_INET && family != AF_INET6)
		return false;
	if (protocol == IPPROTO_TCP)
		return servers_unnamed != 0;
	return protocol == IPPROTO_UDP;
}

/* A send or receive call on socket @cookie: a TCP server end or a UDP owner is named. */
static __always_inline void on_socket_io(const struct sock *sk, __u8 protocol, __u64 cookie)
{
	if (protocol == IPPROTO_TCP)
		name_server(cookie);
	else
		name_udp_owner(sk, cookie);
}

/* @sk is a BTF pointer the verifier trusts (tracepoint or fentry argument). */
static __always_inline void on_btf_socket_io(const struct sock *sk)
{
	if (!sk || !io_may_name(sk->__sk_common.skc_family, sk->sk_protocol))
		return;
	on_socket_io(sk, sk->sk_protocol, bpf_get_socket_cookie((void *)sk));
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sf_send_length, struct sock *sk, int ret, int flags)
{
	on_btf_socket_io(sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sf_recv_length, struct sock *sk, int ret, int flags)
{
	on_btf_socket_io(sk);
	return 0;
}

SEC("fentry/inet_sendmsg")
int BPF_PROG(sf_send_fentry, struct socket *sock)
{
	on_btf_socket_io(sock->sk);
	return 0;
}

SEC("fentry/inet_recvmsg")
int BPF_PROG(sf_recv_fentry, struct socket *sock)
{
	on_btf_socket_io(sock->sk);
	return 0;
}

SEC("fentry/inet6_sendmsg")
int BPF_PROG(sf_send6_fentry, struct socket *sock)
{
	on_btf_socket_io(sock->sk);
	return 0;
}

SEC("fentry/inet6_recvmsg")
int BPF_PROG(sf_recv6_fentry, struct socket *sock)
{
	on_btf_socket_io(sock->sk);
	return 0;
}

/*
 * A kprobe's pointers are plain numbers to the verifier: fields are read
 * with CO-RE probe reads, and the socket cookie (no helper for kprobes) is
 * the one the kernel stored when it was first asked for. A TCP socket
 * sockflow tracks has one since connect/accept; a UDP socket once its first
 * datagram was counted, so its first send before that is not seen.
 */
static __always_inline void on_kprobe_socket_io(const struct socket *sock)
{
	const struct sock *sk = BPF_CORE_READ(sock, sk);
	__u8 protocol;
	__u64 cookie;

	if (!sk)
		return;
	protocol = BPF_CORE_READ(sk, sk_protocol);
	if (!io_may_name(BPF_CORE_READ(sk, __sk_common.skc_family), protocol))
		return;
	cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	if (!cookie)
		return;
	on_socket_io(sk, protocol, cookie);
}

SEC("kprobe/inet_sendmsg")
int BPF_KPROBE(sf_send_kprobe, struct socket *sock)
{
	on_kprobe_socket_io(sock);
	return 0;
}

SEC("kprobe/inet_recvmsg")
int BPF_KPROBE(sf_recv_kprobe, struct socket *sock)
{
	on_kprobe_socket_io(sock);
	return 0;
}

SEC("kprobe/inet6_sendmsg")
int BPF_KPROBE(sf_send6_kprobe, struct socket *sock)
{
	on_kprobe_socket_io(sock);
	return 0;
}

SEC("kprobe/inet6_recvmsg")
int BPF_KPROBE(sf_recv6_kprobe, struct socket *sock)
{
	on_kprobe_socket_io(sock);
	return 0;
}

#endif
