/* SPDX-License-Identifier: GPL-2.0-only */
/* sock_diag poller: every TCP (or UDP) socket of every network namespace, with its tcp_info. */
#ifndef SOCKFLOW_SOURCE_DIAG_H
#define SOCKFLOW_SOURCE_DIAG_H

#include <stdbool.h>
#include <stdint.h>

#include "sockflow.h"

struct diag_poller;

/*
 * The part of the kernel's struct tcp_info that sockflow uses. A field the
 * running kernel does not send (its tcp_info is older and shorter) stays 0.
 */
struct diag_tcp_info {
	uint32_t rtt_us, rttvar_us, min_rtt_us;
	uint32_t total_retrans;		/* segments retransmitted over the connection's life */
	uint32_t lost;			/* tcpi_lost: segments currently thought lost */
	uint64_t bytes_acked, bytes_received, bytes_retrans;
	uint64_t bytes_sent;		/* payload sent, retransmissions included (4.19+;
					 * bytes_acked before) */
	uint32_t segs_out, segs_in;
	uint64_t delivery_rate;		/* bytes/s */
	uint32_t idle_ms;		/* since the last data sent or received or ACK received */
	bool timestamps;		/* TCP timestamps in use (TCPI_OPT_TIMESTAMPS) */
};

/*
 * One socket of one dump. cookie is inet_diag's idiag_cookie, the value
 * bpf_get_socket_cookie() returns for the same socket.
 */
struct diag_socket {
	uint64_t cookie;
	struct sf_tuple tuple;		/* protocol: the poller's; netns_ino: the namespace */
	uint8_t state;			/* TCP_ESTABLISHED.. as in <netinet/tcp.h>; UDP: ESTABLISHED
					 * (connected) or CLOSE */
	uint32_t uid, inode;		/* 0 for TIME_WAIT and SYN_RECV minisocks */
	uint64_t cgroup_id;		/* cgroup v2 id of the socket (INET_DIAG_CGROUP_ID, Linux
					 * 5.7+); 0 when the kernel does not send it */
	bool has_info;			/* tcp_info present (TCP only, not for minisocks) */
	struct diag_tcp_info info;
};

/*
 * Called once per socket, namespace after namespace. Sockets of a namespace
 * whose dump fails midway may already have been passed when it is counted
 * as vanished.
 */
typedef void (*diag_socket_fn)(void *ctx, const struct diag_socket *s);

struct diag_poll_stats {
	uint32_t namespaces;		/* polled to the end of their dumps */
	uint32_t namespaces_vanished;	/* found by the scan but gone before/while polled: dropped */
	uint32_t namespaces_failed;	/* other errors (not a netns, no permission, no memory) */
	uint64_t sockets;
	uint64_t duration_ns;		/* CLOCK_MONOTONIC, scan included */
};

struct diag_poller_options {
	const char *proc_root;		/* "/proc" */
	const char *netns_dir;		/* "/run/netns" (ip netns), may be missing */
	uint32_t states;		/* bitmask of 1 << TCP state to dump; 0: all but LISTEN */
	uint8_t protocol;		/* IPPROTO_TCP (also 0) or IPPROTO_UDP */
};

int diag_poller__new(struct diag_poller **out, const struct diag_poller_options *o);

/*
 * Find every network namespace (the caller's, those of all processes under
 * proc_root, the bind mounts in netns_dir) and dump the sockets of the
 * poller's protocol in each to @fn. Changes the calling thread's network
 * namespace while it runs and restores it before returning. Returns 0 (a
 * namespace lost or failing is counted in @st, not an error), or -errno
 * when the poll could not run;
 * -ENOTRECOVERABLE means the thread could not return to its own namespace.
 */
int diag_poller__poll(struct diag_poller *p, diag_socket_fn fn, void *ctx,
		      struct diag_poll_stats *st);

/* A socket to look up: its own tuple (local = src; netns_ino its namespace) and cookie. */
struct diag_lookup {
	uint64_t cookie;
	struct sf_tuple tuple;
};

/*
 * TCP_INFO of the sockets in @socks only (reordered by namespace): one
 * exact request per socket, sent in batches to each namespace that holds
 * some. The kernel finds each by its hash bucket, where a dump walks the
 * whole table, every namespace's sockets, for every namespace asked: with
 * a table shared by all namespaces (the default), a dump of 100
 * namespaces costs 100 walks. Sockets that are gone are skipped; @st
 * counts the namespaces entered and the sockets found.
 */
int diag_poller__lookup(struct diag_poller *p, struct diag_lookup *socks, size_t n,
			diag_socket_fn fn, void *ctx, struct diag_poll_stats *st);

void diag_poller__free(struct diag_poller *p);

#endif
