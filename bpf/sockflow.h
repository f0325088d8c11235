/* SPDX-License-Identifier: GPL-2.0-only */
/* Types shared by the BPF programs and user space: fixed-width only. */
#ifndef SOCKFLOW_BPF_SHARED_H
#define SOCKFLOW_BPF_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SF_COMM_LEN 16

#define SF_PATH_LEN 256
#define SF_ARGS_LEN 256

/* Ring-buffer record types; every record starts with its type as a __u32. */
enum sf_event_type {
	SF_EVENT_OPEN = 1,	/* struct sf_event: reached ESTABLISHED (client or server end) */
	SF_EVENT_CLOSE = 2,	/* struct sf_event: reached CLOSE, final counters */
	SF_EVENT_EXEC = 3,	/* struct sf_proc_event: a process exec'd */
	SF_EVENT_FORK = 4,	/* struct sf_proc_event: a new process (not a thread) */
	SF_EVENT_EXIT = 5,	/* struct sf_proc_event: a process (its last thread) exited */
	SF_EVENT_CGROUP = 6,	/* struct sf_cgroup_event: a cgroup v2 directory was made */
	SF_EVENT_RESET = 7,	/* struct sf_event: a reset sent after the CLOSE event (flags, tuple) */
};

/* Which end of the connection a local socket is. */
enum sf_role {
	SF_ROLE_CLIENT = 1,	/* called connect() */
	SF_ROLE_SERVER = 2,	/* created by a listener */
};

/* Counter index: direction as seen by the local socket. */
enum sf_dir {
	SF_DIR_OUT = 0,
	SF_DIR_IN = 1,
};

/* sf_sock.flags and sf_event.flags */
#define SF_FLAG_ESTABLISHED	(1u << 0)	/* the handshake completed */
#define SF_FLAG_RST_SENT	(1u << 1)
#define SF_FLAG_RST_RECEIVED	(1u << 2)
#define SF_FLAG_FIN		(1u << 3)	/* went through a FIN state */
#define SF_FLAG_ACCEPTED	(1u << 4)	/* proc first did I/O on the accepted socket */
#define SF_FLAG_PREEXISTING	(1u << 5)	/* open when sockflow started: start time unknown */
#define SF_FLAG_SOCKET_COUNTERS	(1u << 6)	/* cnt holds TCP's own segment and byte counts */
#define SF_FLAG_TCP_TIMESTAMPS	(1u << 7)	/* the connection carries TCP timestamps */

/*
 * A socket's 4-tuple from its own point of view. Addresses are in network
 * byte order, IPv4 in the first 4 bytes with the rest zero; ports are in
 * host byte order. family is AF_INET or AF_INET6 as the socket says, so an
 * IPv6 socket talking to an IPv4-mapped peer keeps AF_INET6 here; user
 * space folds that case into IPv4.
 */
struct sf_tuple {
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 local_port;
	__u16 remote_port;
	__u16 family;
	__u8 protocol;
	__u8 pad;
	__u32 netns_ino;
};

/*
 * The process behind a socket end, captured in the kernel at the event, so
 * a process that exits a moment later is still named. (tgid, start time)
 * names a process even after its pid is reused.
 */
struct sf_proc {
	__u32 tgid;		/* 0: unknown */
	__u32 uid;
	char comm[SF_COMM_LEN];
	char parent_comm[SF_COMM_LEN];	/* the parent's, at the same moment */
	__u32 ppid;
	__u32 pad;
	__u64 start_boottime_ns;
	__u64 cgroup_id;	/* cgroup v2 id of the socket */
};

/*
 * Exact IP-layer counters of one socket, indexed by enum sf_dir: every
 * packet the socket sent or received, headers included, as a capture on
 * the interface would count it. payload[] is transport payload (TCP
 * segment data, retransmissions included).
 */
struct sf_counters {
	__u64 packets[2];
	__u64 octets[2];
	__u64 payload[2];
};

/*
 * TCP's own view of the path, read from the socket: the smoothed round-trip
 * time and its variation (as TCP_INFO reports them), every segment it
 * retransmitted and every one it counted lost. Zero until known.
 */
struct sf_tcp_quality {
	__u32 srtt_us;
	__u32 rttvar_us;
	__u32 total_retrans;
	__u32 lost;
};

/* Per-socket storage (socks map) of one tracked TCP socket. */
struct sf_sock {
	__u64 cookie;		/* socket cookie: how user space names the socket */
	struct sf_tuple tuple;
	struct sf_proc proc;
	struct sf_counters cnt;
	struct sf_tcp_quality q;
	__u64 start_ns;		/* CLOCK_MONOTONIC */
	__u64 last_ns;		/* last packet sent: TCP's own departure time, no clock read */
	__u32 flags;
	__u8 role;
	__u8 pad[3];
	__u32 seen_gen;		/* snapshot generation of its last counted packet */
};

/* What the live-socket iterator writes per tracked socket. */
struct sf_live {
	__u64 cookie;
	__u64 last_ns;
	struct sf_counters cnt;
	struct sf_tcp_quality q;
	struct sf_proc proc;	/* the accept() caller once known */
};

/* Key of the listeners map: a listening port in a network namespace. */
struct sf_listener_key {
	__u32 netns_ino;
	__u16 port;		/* host byte order */
	__u16 pad;
};

/* Value of the handshake map: packets a listener handled for a child. */
struct sf_handshake {
	__u64 packets[2];
	__u64 octets[2];
	__u64 first_ns;
};

/* Ring-buffer record of a socket's lifecycle. */
struct sf_event {
	__u32 type;		/* SF_EVENT_OPEN or SF_EVENT_CLOSE */
	__u8 role;		/* enum sf_role */
	__u8 old_state;		/* TCP state left (CLOSE events) */
	__u16 pad;
	__u64 cookie;
	__u64 start_ns;		/* CLOCK_MONOTONIC */
	__u64 last_ns;		/* last packet sent */
	struct sf_tuple tuple;
	struct sf_proc proc;
	struct sf_counters cnt;
	struct sf_tcp_quality q;
	__u32 flags;
	__u32 pad2;
};

/*
 * A UDP conversation of one local socket with one peer, as the packets
 * name it (an unconnected socket has many). Addresses in network byte
 * order (IPv4 in the first 4 bytes), ports in host byte order, family
 * AF_INET or AF_INET6 of the packets. Every byte is set: it is a map key.
 */
struct sf_udp_key {
	__u64 cookie;
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 local_port;
	__u16 remote_port;
	__u16 family;
	__u16 pad;
};

/* Counters of one UDP conversation (udp_flows map), exact at the IP layer. */
struct sf_udp_flow {
	struct sf_counters cnt;
	__u64 first_ns;		/* CLOCK_MONOTONIC */
	__u64 last_ns;		/* CLOCK_MONOTONIC_COARSE: a clock read per packet costs */
	__u8 first_dir;		/* enum sf_dir of the first packet: OUT means we started it */
	__u8 pad[7];
};

/* The process behind a UDP socket: the last one to send or receive on it. */
struct sf_owner {
	struct sf_proc proc;
	__u32 netns_ino;
	__u32 pad;
};

/* What the UDP iterator writes per conversation. */
struct sf_udp_live {
	struct sf_udp_key key;
	struct sf_udp_flow flow;
	struct sf_owner owner;	/* proc.tgid 0: nobody sent or received on it yet */
};

/* Ring-buffer record of a process's lifecycle (exec, fork, exit). */
struct sf_proc_event {
	__u32 type;		/* SF_EVENT_EXEC, SF_EVENT_FORK or SF_EVENT_EXIT */
	__u32 pid;		/* thread-group id */
	__u32 ppid;
	__u32 uid;
	__u64 start_boottime_ns;
	__u64 parent_start_boottime_ns;	/* FORK */
	char comm[SF_COMM_LEN];
	__u32 args_len;		/* EXEC: bytes of args used */
	__u32 pad;
	char exe[SF_PATH_LEN];	/* EXEC: absolute path of the file run (as /proc/PID/exe) */
	char args[SF_ARGS_LEN];	/* EXEC: arguments, NUL-separated, truncated */
};

/* Ring-buffer record of a new cgroup v2 directory. */
struct sf_cgroup_event {
	__u32 type;		/* SF_EVENT_CGROUP */
	__u32 pad;
	__u64 id;		/* cgroup id (kernfs node id) */
	char path[SF_PATH_LEN];	/* relative to the v2 root, starting with '/' */
};

/* Indexes of the per-CPU stats array: everything the kernel side lost. */
enum sf_stat {
	SF_STAT_RINGBUF_FULL,	/* event not reserved: ring buffer full */
	SF_STAT_SOCKS_FULL,	/* socket not tracked: max_sockets reached or no memory */
	SF_STAT_HANDSHAKE_FULL,	/* handshake packets not kept */
	SF_STAT_EVENTS,		/* events submitted */
	SF_STAT_PROC_EVENTS_LOST,	/* exec/fork/exit/cgroup events lost: ring buffer full */
	SF_STAT_UDP_FULL,	/* UDP datagrams not counted: max_udp_flows reached */
	SF_STAT_UDP_OWNERS_FULL,	/* UDP socket owner not kept: no memory */
	SF_STAT_ACTIVE_FULL,	/* socket's activity not noted: no memory */
	SF_STAT__MAX,
};

#endif
