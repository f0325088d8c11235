// SPDX-License-Identifier: GPL-2.0-only
/* Kernel side of sockflow: TCP socket lifecycle events and exact per-socket counters. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "sockflow.h"
#include "core_fixes.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

char LICENSE[] SEC("license") = "GPL";

/* Set by user space between open and load. */
const volatile __u64 wakeup_bytes = 1 << 20;	/* wake the reader past this backlog */

/*
 * State of every tracked TCP socket, keyed by socket cookie, which both
 * the tracepoints and the packet counters can compute. Entries are made at
 * connect/establish and deleted at close; user space reads live counters
 * through the iter/bpf_map_elem program below. (Socket storage was tried:
 * cheaper to find per packet, but creating and freeing it per connection
 * cost more than it saved.)
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);	/* max_sockets from the config */
	__type(key, __u64);
	__type(value, struct sf_sock);
} socks SEC(".maps");

/*
 * Who owns a listening port: filled when a socket enters LISTEN (process
 * context), read when a child is established in softirq, before accept()
 * names the real owner.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sf_listener_key);
	__type(value, struct sf_proc);
} listeners SEC(".maps");

/*
 * Packets of a passive open that the kernel charges to the listener (SYN,
 * SYN-ACK, final ACK), kept by tuple until the child socket exists. IPv4
 * addresses (also IPv4-mapped ones) are stored in the first 4 bytes.
 */
struct hs_key {
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 local_port;	/* host byte order */
	__u16 remote_port;	/* host byte order */
	__u32 family;		/* after folding IPv4-mapped addresses */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);	/* per-CPU LRU lists: no global lock */
	__uint(max_entries, 16384);
	__type(key, struct hs_key);
	__type(value, struct sf_handshake);
} handshakes SEC(".maps");

/*
 * UDP conversations, one per (local socket, peer): made by the first
 * packet, counted on every packet, read through the iterator and deleted
 * by user space once the conversation has been idle past its timeout.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);	/* max_udp_flows from the config */
	__type(key, struct sf_udp_key);
	__type(value, struct sf_udp_flow);
} udp_flows SEC(".maps");

/*
 * Who sends and receives on a UDP socket, by cookie. UDP sockets close
 * without a tracepoint, so the map is an LRU: owners of closed sockets
 * age out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, 65536);	/* max_udp_flows from the config */
	__type(key, __u64);
	__type(value, struct sf_owner);
} udp_owners SEC(".maps");

/*
 * Sockets with packets since user space last looked, by cookie: what the
 * next snapshot reads (without the map iterator), so that its cost follows
 * traffic, not the number of open sockets. User space empties it, then
 * bumps snap_gen; a socket is added at its first packet in a generation,
 * except the one it was made in: user space learns a new socket from its
 * open event and reads it once by itself (short connections never enter).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);	/* max_sockets from the config */
	__type(key, __u64);
	__type(value, __u8);
} active SEC(".maps");

/*
 * Written by user space: the snapshot generation (from 1: a new socket's
 * seen_gen 0 is never current), and whether it reads the active map.
 */
volatile __u32 snap_gen;
volatile __u32 track_active;

/*
 * Written by user space: 1 when TCP is counted from each socket's own
 * segment and byte counters (mechanism tcp_socket_counters) instead of
 * packet by packet; the packet programs then leave TCP alone.
 */
volatile __u32 tcp_socket_counters;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);	/* resized from the config */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SF_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline int is_v4mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

/* Move an IPv4-mapped IPv6 address into the IPv4 layout (first 4 bytes). */
static __always_inline void fold_v4mapped(__u8 *a)
{
	__u32 *w = (__u32 *)a;

	w[0] = w[3];
	w[1] = 0;
	w[2] = 0;
	w[3] = 0;
}

/* tp_btf hands us a trusted struct sock: plain loads, no probe-read helper calls. */
static __always_inline void read_tuple(const struct sock *sk, struct sf_tuple *t)
{
	const struct sock_common *c = &sk->__sk_common;
	__u16 family = c->skc_family;
	__u32 *la = (__u32 *)t->local_addr, *ra = (__u32 *)t->remote_addr;
	int i;

	__builtin_memset(t, 0, sizeof(*t));
	t->family = family;
	t->protocol = IPPROTO_TCP;
	t->local_port = c->skc_num;
	t->remote_port = bpf_ntohs(c->skc_dport);
	t->netns_ino = c->skc_net.net->ns.inum;
	if (family == AF_INET) {
		la[0] = c->skc_rcv_saddr;
		ra[0] = c->skc_daddr;
		return;
	}
	for (i = 0; i < 4; i++) {
		la[i] = c->skc_v6_rcv_saddr.in6_u.u6_addr32[i];
		ra[i] = c->skc_v6_daddr.in6_u.u6_addr32[i];
	}
}

/* The calling process, as the kernel knows it now. */
static __always_inline void proc_current(struct sf_proc *p)
{
	struct task_struct *task = bpf_get_current_task_btf();

	p->tgid = bpf_get_current_pid_tgid() >> 32;
	p->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(p->comm, sizeof(p->comm));
	__builtin_memcpy(p->parent_comm, task->real_parent->comm, sizeof(p->parent_comm));
	p->ppid = task->real_parent->tgid;
	p->start_boottime_ns = task_start_boottime(task);
	p->cgroup_id = bpf_get_current_cgroup_id();
}

static __always_inline void hs_key_from_tuple(struct hs_key *k, const struct sf_tuple *t)
{
	__builtin_memset(k, 0, sizeof(*k));
	__builtin_memcpy(k->local_addr, t->local_addr, 16);
	__builtin_memcpy(k->remote_addr, t->remote_addr, 16);
	k->local_port = t->local_port;
	k->remote_port = t->remote_port;
	k->family = t->family;
	if (t->family == AF_INET6 && is_v4mapped(k->local_addr) && is_v4mapped(k->remote_addr)) {
		fold_v4mapped(k->local_addr);
		fold_v4mapped(k->remote_addr);
		k->family = AF_INET;
	}
}

/* Emit an OPEN or CLOSE event for @s. */
static __always_inline void emit(const struct sf_sock *s, __u8 type, __u8 old_state)
{
	struct sf_event *e;
	__u64 flags;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(SF_STAT_RINGBUF_FULL);
		return;
	}
	e->cookie = s->cookie;
	e->start_ns = s->start_ns;
	e->last_ns = s->last_ns;
	e->tuple = s->tuple;
	e->proc = s->proc;
	e->cnt = s->cnt;
	e->q = s->q;
	e->flags = s->flags;
	e->pad2 = 0;
	e->type = type;
	e->role = s->role;
	e->old_state = old_state;
	e->pad = 0;
	stat_inc(SF_STAT_EVENTS);
	/* Batched consumption: wake the reader only when a backlog builds up. */
	flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/*
 * TCP's RTT estimate and retransmissions as TCP_INFO computes them, and
 * the segments it counted lost over the connection's life (tcp_sock.lost).
 * Returns the tcp_sock it read, NULL if @sk is none.
 */
static __always_inline struct tcp_sock *read_quality(const struct sock *sk,
						     struct sf_tcp_quality *q)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);

	if (!tp)
		return NULL;
	q->srtt_us = tp->srtt_us >> 3;
	q->rttvar_us = tp->mdev_us >> 2;
	if (tp->total_retrans > q->total_retrans)
		q->total_retrans = tp->total_retrans;
	if (tp->lost > q->lost)
		q->lost = tp->lost;
	return tp;
}

/*
 * For tcp_socket_counters: the segments and payload bytes TCP counted each
 * way, retransmissions included. User space estimates the IP-layer octets
 * from them (the header sizes depend on the family and on timestamps).
 */
static __always_inline void read_socket_counters(const struct sock *sk,
						 const struct tcp_sock *tp, struct sf_sock *s)
{
	s->cnt.packets[SF_DIR_OUT] = tp->segs_out;
	s->cnt.packets[SF_DIR_IN] = tp->segs_in;
	s->cnt.payload[SF_DIR_OUT] = tcp_bytes_sent(tp);
	s->cnt.payload[SF_DIR_IN] = tp->bytes_received;
	/* The peer's FIN took a sequence number, and bytes_received counted it (SOCK_DONE). */
	if ((sk->__sk_common.skc_flags & (1ul << SOCK_DONE)) && s->cnt.payload[SF_DIR_IN])
		s->cnt.payload[SF_DIR_IN]--;
	s->cnt.octets[SF_DIR_OUT] = 0;
	s->cnt.octets[SF_DIR_IN] = 0;
	__sync_fetch_and_or(&s->flags, SF_FLAG_SOCKET_COUNTERS);
	if (tp->tcp_header_len > sizeof(struct tcphdr))
		__sync_fetch_and_or(&s->flags, SF_FLAG_TCP_TIMESTAMPS);
}

/*
 * Accepted sockets whose server process is not known yet (it is named at
 * the socket's first send or receive, see owner.bpf.h). A count, so that
 * the per-call programs skip their map lookup while it is 0. Each count
 * is taken back exactly once, by whoever sets SF_FLAG_ACCEPTED first
 * (server_named_once()), so it can err high (an entry user space removed),
 * which costs lookups, never low, which would leave later servers unnamed.
 * Should it ever go below 0 it wraps, and the lookups simply always run.
 */
__u64 servers_unnamed;

static __always_inline void server_unnamed(void)
{
	__sync_fetch_and_add(&servers_unnamed, 1);
}

/* Mark @s named; true for the one caller that did it (and took its count back). */
static __always_inline bool server_named_once(struct sf_sock *s)
{
	if (__sync_fetch_and_or(&s->flags, SF_FLAG_ACCEPTED) & SF_FLAG_ACCEPTED)
		return false;
	__sync_fetch_and_add(&servers_unnamed, -1);
	return true;
}

/* Start tracking a socket as @init; -errno (counted) when the map is full. */
static __always_inline int track(const struct sf_sock *init)
{
	int err = bpf_map_update_elem(&socks, &init->cookie, init, BPF_NOEXIST);

	if (err)
		stat_inc(SF_STAT_SOCKS_FULL);
	return err;
}

/* A connect() started: track the socket, owned by the calling process. */
static __always_inline void on_connect(const struct sock *sk)
{
	struct sf_sock s = {};

	s.cookie = bpf_get_socket_cookie((void *)sk);
	read_tuple(sk, &s.tuple);
	proc_current(&s.proc);
	s.role = SF_ROLE_CLIENT;
	s.start_ns = bpf_ktime_get_ns();
	s.last_ns = s.start_ns;
	s.seen_gen = snap_gen;	/* user space reads a new socket once by itself */
	track(&s);
}

/*
 * A passive open completed (softirq): track the child, owned for now by
 * the listener's process, and take over the handshake packets the kernel
 * charged to the listener.
 */
static __always_inline void on_passive_established(const struct sock *sk)
{
	struct sf_listener_key lk = {};
	struct sf_handshake *hs;
	struct sf_proc *owner;
	struct hs_key hk;
	struct sf_sock s = {};

	s.cookie = bpf_get_socket_cookie((void *)sk);
	read_tuple(sk, &s.tuple);
	s.role = SF_ROLE_SERVER;
	s.flags = SF_FLAG_ESTABLISHED;
	s.proc.uid = sk->sk_uid.val;

	lk.netns_ino = s.tuple.netns_ino;
	lk.port = s.tuple.local_port;
	owner = bpf_map_lookup_elem(&listeners, &lk);
	if (owner)
		s.proc = *owner;
	s.proc.cgroup_id = sock_cgroup_id(sk);

	hs_key_from_tuple(&hk, &s.tuple);
	hs = tcp_socket_counters ? NULL : bpf_map_lookup_elem(&handshakes, &hk);
	if (hs) {
		s.cnt.packets[SF_DIR_IN] = hs->packets[SF_DIR_IN];
		s.cnt.packets[SF_DIR_OUT] = hs->packets[SF_DIR_OUT];
		s.cnt.octets[SF_DIR_IN] = hs->octets[SF_DIR_IN];
		s.cnt.octets[SF_DIR_OUT] = hs->octets[SF_DIR_OUT];
		s.start_ns = hs->first_ns;
		bpf_map_delete_elem(&handshakes, &hk);
	}
	if (!s.start_ns)
		s.start_ns = bpf_ktime_get_ns();
	s.last_ns = s.start_ns;
	s.seen_gen = snap_gen;
	if (track(&s) == 0) {
		server_unnamed();
		emit(&s, SF_EVENT_OPEN, TCP_SYN_RECV);
	}
}

/* States a socket closes from after a FIN went one way or the other. */
static __always_inline bool fin_state(int state)
{
	return state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSING ||
	       state == TCP_LAST_ACK || state == TCP_CLOSE_WAIT || state == TCP_TIME_WAIT;
}

/*
 * Every TCP state change. Only four matter, so the others return before
 * any map work: this runs about ten times per connection.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sf_set_state, const struct sock *sk, int oldstate, int newstate)
{
	struct tcp_sock *tp;
	struct sf_sock *s;
	__u64 cookie;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;

	switch (newstate) {
	case TCP_LISTEN: {
		struct sf_listener_key lk = {};
		struct sf_proc p = {};

		lk.netns_ino = sk->__sk_common.skc_net.net->ns.inum;
		lk.port = sk->__sk_common.skc_num;
		proc_current(&p);
		bpf_map_update_elem(&listeners, &lk, &p, BPF_ANY);
		return 0;
	}
	case TCP_SYN_SENT:
		on_connect(sk);
		return 0;
	case TCP_ESTABLISHED:
		cookie = bpf_get_socket_cookie((void *)sk);
		s = bpf_map_lookup_elem(&socks, &cookie);
		if (!s) {
			if (oldstate == TCP_SYN_RECV)
				on_passive_established(sk);
			return 0;
		}
		/* connect() entered SYN_SENT before it picked the source port. */
		read_tuple(sk, &s->tuple);
		__sync_fetch_and_or(&s->flags, SF_FLAG_ESTABLISHED);
		emit(s, SF_EVENT_OPEN, oldstate);
		return 0;
	case TCP_CLOSE:
		if (oldstate == TCP_LISTEN)
			return 0;
		cookie = bpf_get_socket_cookie((void *)sk);
		s = bpf_map_lookup_elem(&socks, &cookie);
		if (!s)
			return 0;
		/* The port is already released here: keep the tuple we have. */
		if (fin_state(oldstate))
			__sync_fetch_and_or(&s->flags, SF_FLAG_FIN);
		tp = read_quality(sk, &s->q);
		if (tcp_socket_counters && tp)
			read_socket_counters(sk, tp, s);
		emit(s, SF_EVENT_CLOSE, oldstate);
		if (s->role == SF_ROLE_SERVER)
			server_named_once(s);	/* closed before any I/O: nobody to wait for */
		bpf_map_delete_elem(&socks, &cookie);
		return 0;
	}
	return 0;
}

static __always_inline void flag_reset(const struct sock *sk, __u32 flag)
{
	struct sf_sock *s, gone = {};
	struct tcp_sock *tp;
	__u64 cookie;

	if (!sk)
		return;
	cookie = bpf_get_socket_cookie((void *)sk);
	s = bpf_map_lookup_elem(&socks, &cookie);
	if (s) {
		__sync_fetch_and_or(&s->flags, flag);
		return;
	}
	/*
	 * Closing with unread data, the kernel moves the socket to CLOSE (our
	 * close event) and only then sends its reset: tell user space apart.
	 */
	if (flag != SF_FLAG_RST_SENT || sk->__sk_common.skc_state != TCP_CLOSE ||
	    sk->sk_protocol != IPPROTO_TCP)
		return;
	gone.cookie = cookie;
	read_tuple(sk, &gone.tuple);
	/* CLOSE released the port number; the source port the packets carry stays. */
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (tp)
		gone.tuple.local_port = bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
	gone.flags = flag;
	emit(&gone, SF_EVENT_RESET, TCP_CLOSE);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(sf_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	flag_reset(sk, SF_FLAG_RST_SENT);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(sf_receive_reset, struct sock *sk)
{
	flag_reset(sk, SF_FLAG_RST_RECEIVED);
	return 0;
}

/*
 * A segment was retransmitted: keep the socket's running total for live
 * records (the close event reads it again, so it ends exact whichever side
 * of the tracepoint the kernel counts it on).
 */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(sf_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	struct sf_sock *s;
	__u64 cookie;

	if (!sk)
		return 0;
	cookie = bpf_get_socket_cookie((void *)sk);
	s = bpf_map_lookup_elem(&socks, &cookie);
	if (s)
		read_quality(sk, &s->q);
	return 0;
}

/* Where a packet's addresses and ports go, from the local socket's point of view. */
struct pkt_tuple {
	__u8 *local_addr;	/* 16 bytes each; IPv4 in the first 4 */
	__u8 *remote_addr;
	__u16 *local_port;	/* host byte order */
	__u16 *remote_port;
};

/*
 * The addresses and ports of the @protocol packet at skb data, seen by the
 * socket that sends (@dir OUT) or receives it (direct packet access, no
 * helper calls). Returns the packet's family and sets *@hdr to its IP
 * header length, or returns 0 for another protocol or a short packet.
 */
static __always_inline __u16 pkt_tuple(struct __sk_buff *skb, int dir, __u8 protocol,
				       const struct pkt_tuple *t, __u32 *hdr)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u16 *ports, family;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > end || ip->protocol != protocol)
			return 0;
		*hdr = ip->ihl * 4;
		if (*hdr < sizeof(*ip) || *hdr > 60)
			return 0;
		__builtin_memcpy(dir == SF_DIR_IN ? t->local_addr : t->remote_addr, &ip->daddr, 4);
		__builtin_memcpy(dir == SF_DIR_IN ? t->remote_addr : t->local_addr, &ip->saddr, 4);
		family = AF_INET;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != protocol)
			return 0;
		*hdr = sizeof(*ip6);
		__builtin_memcpy(dir == SF_DIR_IN ? t->local_addr : t->remote_addr, &ip6->daddr, 16);
		__builtin_memcpy(dir == SF_DIR_IN ? t->remote_addr : t->local_addr, &ip6->saddr, 16);
		family = AF_INET6;
	} else {
		return 0;
	}
	ports = data + *hdr;
	if ((void *)(ports + 2) > end)
		return 0;
	*t->local_port = bpf_ntohs(dir == SF_DIR_IN ? ports[1] : ports[0]);
	*t->remote_port = bpf_ntohs(dir == SF_DIR_IN ? ports[0] : ports[1]);
	return family;
}

/* Tuple of a listener's packet, from its headers. */
static __always_inline int hs_key_from_skb(struct __sk_buff *skb, int dir, struct hs_key *k)
{
	struct pkt_tuple t = { k->local_addr, k->remote_addr, &k->local_port, &k->remote_port };
	__u32 hdr;

	__builtin_memset(k, 0, sizeof(*k));
	k->family = pkt_tuple(skb, dir, IPPROTO_TCP, &t, &hdr);
	return k->family ? 0 : -1;
}

/* Count a packet of a passive open that the kernel runs through the listener. */
static __always_inline void account_handshake(struct __sk_buff *skb, int dir)
{
	struct sf_handshake *hs, fresh = {};
	struct hs_key k;

	if (hs_key_from_skb(skb, dir, &k))
		return;
	hs = bpf_map_lookup_elem(&handshakes, &k);
	if (!hs) {
		fresh.first_ns = bpf_ktime_get_ns();
		bpf_map_update_elem(&handshakes, &k, &fresh, BPF_NOEXIST);
		hs = bpf_map_lookup_elem(&handshakes, &k);
		if (!hs) {
			stat_inc(SF_STAT_HANDSHAKE_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&hs->packets[dir & 1], 1);
	__sync_fetch_and_add(&hs->octets[dir & 1], skb->len);
}

/* The transport protocol of the packet at skb data, 0 if unknown. */
static __always_inline __u8 pkt_protocol(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		return (void *)(ip + 1) <= end ? ip->protocol : 0;
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		return (void *)(ip6 + 1) <= end ? ip6->nexthdr : 0;
	}
	return 0;
}

/* TCP payload of the packet at skb data: IP-layer length minus both headers. */
static __always_inline __u32 tcp_payload(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 hdr;
	__u8 *b;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		b = data;
		if ((void *)(b + 1) > end)
			return 0;
		hdr = (*b & 0x0f) * 4;
	} else {
		hdr = sizeof(struct ipv6hdr);
	}
	if (hdr > 60)
		return 0;
	b = data + hdr + 12;
	if ((void *)(b + 1) > end)
		return 0;
	hdr += (*b >> 4) * 4;
	return skb->len > hdr ? skb->len - hdr : 0;
}

/*
 * A UDP datagram of socket @cookie: its conversation is named by the
 * packet's own addresses (an unconnected socket talks to many peers).
 */
static __always_inline void account_udp(struct __sk_buff *skb, __u64 cookie, int dir)
{
	struct sf_udp_key k = {};
	struct pkt_tuple t = { k.local_addr, k.remote_addr, &k.local_port, &k.remote_port };
	struct sf_udp_flow *f, fresh = {};
	__u32 hdr;

	k.cookie = cookie;
	k.family = pkt_tuple(skb, dir, IPPROTO_UDP, &t, &hdr);
	if (!k.family)
		return;

	f = bpf_map_lookup_elem(&udp_flows, &k);
	if (!f) {
		fresh.first_ns = bpf_ktime_get_ns();
		fresh.first_dir = dir;
		bpf_map_update_elem(&udp_flows, &k, &fresh, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&udp_flows, &k);
		if (!f) {
			stat_inc(SF_STAT_UDP_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&f->cnt.packets[dir & 1], 1);
	__sync_fetch_and_add(&f->cnt.octets[dir & 1], skb->len);
	if (skb->len > hdr + 8)
		__sync_fetch_and_add(&f->cnt.payload[dir & 1], skb->len - hdr - 8);
	f->last_ns = bpf_ktime_get_coarse_ns();
}

/* Note @s as active in this snapshot generation: once per generation, not per packet. */
static __always_inline void mark_active(struct sf_sock *s, __u64 cookie)
{
	__u32 gen = snap_gen;
	__u8 one = 1;

	if (s->seen_gen == gen)
		return;
	s->seen_gen = gen;
	if (track_active && bpf_map_update_elem(&active, &cookie, &one, BPF_ANY))
		stat_inc(SF_STAT_ACTIVE_FULL);
}

/*
 * Every IP packet of a tracked socket, at the cgroup v2 root. skb->len is
 * the IP-layer length here, as a capture would count it.
 */
static __always_inline void account(struct __sk_buff *skb, int dir)
{
	struct bpf_sock *sk = skb->sk;
	struct sf_sock *s;
	__u64 cookie;

	if (!sk)
		return;
	/* Counted from the sockets themselves: no lookup per TCP packet. */
	if (tcp_socket_counters && pkt_protocol(skb) == IPPROTO_TCP)
		return;
	cookie = bpf_get_socket_cookie(skb);
	s = bpf_map_lookup_elem(&socks, &cookie);
	if (s) {
		if (!s->tuple.local_port)
			s->tuple.local_port = sk->src_port;
		__sync_fetch_and_add(&s->cnt.packets[dir & 1], 1);
		__sync_fetch_and_add(&s->cnt.octets[dir & 1], skb->len);
		__sync_fetch_and_add(&s->cnt.payload[dir & 1], tcp_payload(skb));
		/*
		 * TCP stamps every skb it sends with its CLOCK_MONOTONIC departure
		 * time; reading it saves a clock read per packet (costly in VMs).
		 */
		if (dir == SF_DIR_OUT && skb->tstamp)
			s->last_ns = skb->tstamp;
		mark_active(s, cookie);
		return;
	}
	/* Not a tracked TCP socket: a UDP one, or a listener doing a handshake. */
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return;
	if (sk->protocol == IPPROTO_UDP)
		account_udp(skb, cookie, dir);
	else if (sk->protocol == IPPROTO_TCP && sk->state == BPF_TCP_LISTEN)
		account_handshake(skb, dir);
}

SEC("cgroup_skb/egress")
int sf_egress(struct __sk_buff *skb)
{
	account(skb, SF_DIR_OUT);
	return 1;
}

SEC("cgroup_skb/ingress")
int sf_ingress(struct __sk_buff *skb)
{
	account(skb, SF_DIR_IN);
	return 1;
}

/*
 * Live counters of the tracked sockets with packets in this snapshot
 * generation or the one before (user space bumps it, then reads): a socket
 * counted while the walk is past it is in the next read.
 */
SEC("iter/bpf_map_elem")
int sf_live_socks(struct bpf_iter__bpf_map_elem *ctx)
{
	struct sf_sock *s = ctx->value;
	struct sf_live out;

	if (!s || s->seen_gen + 1 < snap_gen)
		return 0;
	out.cookie = s->cookie;
	out.last_ns = s->last_ns;
	out.cnt = s->cnt;
	out.q = s->q;
	out.proc = s->proc;
	bpf_seq_write(ctx->meta->seq, &out, sizeof(out));
	return 0;
}

/* Every UDP conversation with its socket's owner, for user space. */
SEC("iter/bpf_map_elem")
int sf_live_udp(struct bpf_iter__bpf_map_elem *ctx)
{
	struct sf_udp_key *k = ctx->key;
	struct sf_udp_flow *f = ctx->value;
	struct sf_owner *o;
	struct sf_udp_live out = {};

	if (!k || !f)
		return 0;
	out.key = *k;
	out.flow = *f;
	o = bpf_map_lookup_elem(&udp_owners, &out.key.cookie);
	if (o)
		out.owner = *o;
	bpf_seq_write(ctx->meta->seq, &out, sizeof(out));
	return 0;
}

/* ---- sockets that were open before sockflow started ---- */

/* Which pass of the start-up walk runs: listeners first, so connections know their role. */
volatile __u32 existing_pass;

#define EXISTING_LISTENERS 0
#define EXISTING_CONNECTIONS 1

/* @task's process, as proc_current() would capture it were @task running. */
static __always_inline void proc_of_task(struct task_struct *task, struct sf_proc *p)
{
	p->tgid = task->tgid;
	p->uid = task->cred->uid.val;
	__builtin_memcpy(p->comm, task->comm, sizeof(p->comm));
	__builtin_memcpy(p->parent_comm, task->real_parent->comm, sizeof(p->parent_comm));
	p->ppid = task->real_parent->tgid;
	p->start_boottime_ns = task_start_boottime(task);
}

/* States a connection can be in while its owner still holds it: worth a flow. */
static __always_inline bool connection_state(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_SYN_SENT || fin_state(state);
}

/* A TCP connection found open at start: tracked from now on, reported to user space. */
static __always_inline void adopt_connection(struct bpf_iter__task_file *ctx,
					     struct task_struct *task, struct sock *sk)
{
	struct sf_listener_key lk = {};
	struct sf_sock s = {};

	s.cookie = bpf_get_socket_cookie(sk);
	read_tuple(sk, &s.tuple);
	proc_of_task(task, &s.proc);
	s.proc.cgroup_id = sock_cgroup_id(sk);
	lk.netns_ino = s.tuple.netns_ino;
	lk.port = s.tuple.local_port;
	/* Who called connect() is not recorded anywhere: a listening local port says server. */
	s.role = bpf_map_lookup_elem(&listeners, &lk) ? SF_ROLE_SERVER : SF_ROLE_CLIENT;
	s.flags = SF_FLAG_PREEXISTING | SF_FLAG_ACCEPTED;
	if (sk->__sk_common.skc_state != TCP_SYN_SENT)
		s.flags |= SF_FLAG_ESTABLISHED;
	read_quality(sk, &s.q);
	s.start_ns = bpf_ktime_get_ns();
	s.last_ns = s.start_ns;
	s.seen_gen = snap_gen;
	if (bpf_map_update_elem(&socks, &s.cookie, &s, BPF_NOEXIST))
		return;	/* tracked already, by an event since start, or the map is full */
	/*
	 * It may have closed between the state check and the insert, and then
	 * no close event will ever delete it.
	 */
	if (!connection_state(sk->__sk_common.skc_state)) {
		bpf_map_delete_elem(&socks, &s.cookie);
		return;
	}
	bpf_seq_write(ctx->meta->seq, &s, sizeof(s));
}

/*
 * Every open file of every process, twice: listeners are noted first, then
 * TCP connections are tracked like new ones and written out for user
 * space, and UDP sockets get their owner.
 */
SEC("iter/task_file")
int sf_existing(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct socket *sock;
	struct sock *sk;
	__u16 family;
	int state;

	if (!file || !task)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	state = sk->__sk_common.skc_state;
	if (sk->sk_protocol == IPPROTO_TCP) {
		if (existing_pass == EXISTING_LISTENERS && state == TCP_LISTEN) {
			struct sf_listener_key lk = {};
			struct sf_proc p = {};

			lk.netns_ino = sk->__sk_common.skc_net.net->ns.inum;
			lk.port = sk->__sk_common.skc_num;
			proc_of_task(task, &p);
			bpf_map_update_elem(&listeners, &lk, &p, BPF_NOEXIST);
		} else if (existing_pass == EXISTING_CONNECTIONS && connection_state(state)) {
			adopt_connection(ctx, task, sk);
		}
	} else if (sk->sk_protocol == IPPROTO_UDP && existing_pass == EXISTING_CONNECTIONS) {
		struct sf_owner o = {};
		__u64 cookie = bpf_get_socket_cookie(sk);

		proc_of_task(task, &o.proc);
		o.proc.cgroup_id = sock_cgroup_id(sk);
		o.netns_ino = sk->__sk_common.skc_net.net->ns.inum;
		bpf_map_update_elem(&udp_owners, &cookie, &o, BPF_NOEXIST);
	}
	return 0;
}

#include "owner.bpf.h"
#include "identity.bpf.h"
