/* SPDX-License-Identifier: GPL-2.0-only */
/* Sockets open before start: every TCP and UDP socket of every network namespace, and its owner. */
#ifndef SOCKFLOW_SOURCE_SOCKSCAN_H
#define SOCKFLOW_SOURCE_SOCKSCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "sockflow.h"

/*
 * What the BPF iterator over every task's files (sf_existing) finds, for
 * kernels whose verifier refuses it: a sock_diag dump of every namespace,
 * as in `ss -tuanpe`, and the owners' socket inodes from /proc/PID/fd, as
 * in `ss -p`. No libbpf here: the caller puts the results into its maps.
 */
struct sockscan_options {
	const char *proc_root;		/* "/proc"; must be the host pid namespace's, for tgids
					 * that match the kernel's; tests point it at a fixture */
	const char *netns_dir;		/* "/run/netns" (ip netns), may be missing */
};

/*
 * One socket. cookie is what bpf_get_socket_cookie() returns for it; the
 * tuple follows the BPF side (struct sf_tuple: local = the socket's own end,
 * addresses in network byte order with IPv4 in the first 4 bytes, ports in
 * host byte order, netns_ino its namespace's inode, protocol IPPROTO_TCP or
 * IPPROTO_UDP).
 *
 * TCP sockets are reported in LISTEN and in the states
 * connection_state() in bpf/sockflow.bpf.c counts (SYN_SENT, ESTABLISHED
 * and the FIN states but TIME_WAIT); UDP sockets in any state.
 *
 * owner is the process holding the socket, read from /proc as the BPF side
 * reads the task (tgid, real uid, comm, ppid, parent_comm,
 * start_boottime_ns at /proc's tick precision: the first ns of the tick,
 * which the process cache turns back into the same tick). Of several
 * processes holding one socket (forked, or passed over a unix socket), the
 * one with the lowest pid is named. owner.tgid is 0 when no process holds
 * it: a kernel socket, one in flight in an SCM_RIGHTS message, one whose
 * process exited since the dump, or (inode 0) a connection still waiting
 * in its listener's accept queue. owner.cgroup_id is the socket's own
 * cgroup v2 id, as the BPF side takes it, even without an owner; 0 when the
 * kernel predates INET_DIAG_CGROUP_ID (5.7).
 */
struct sockscan_socket {
	uint64_t cookie;
	struct sf_tuple tuple;
	uint8_t state;			/* a TCP state of <netinet/tcp.h>; UDP: ESTABLISHED (connected)
					 * or CLOSE */
	bool listener;			/* TCP in LISTEN */
	uint32_t inode;			/* socket inode; 0 only for TCP in an accept queue */
	uint32_t uid;			/* the socket's own uid (sock_diag's idiag_uid) */
	struct sf_proc owner;
};

/*
 * Called once per socket: every TCP listener of every namespace first, so
 * that the caller can tell a server's connections (a listener on the same
 * netns_ino and local port) from a client's; then the TCP connections; then
 * the UDP sockets.
 */
typedef void (*sockscan_fn)(void *ctx, const struct sockscan_socket *s);

struct sockscan_stats {
	uint32_t namespaces;		/* dumped to the end (the TCP dump's count) */
	uint32_t namespaces_lost;	/* vanished or failed during the TCP or the UDP dump
					 * (one lost in both counts twice) */
	uint64_t sockets;		/* reported */
	uint64_t owned;			/* of them, with an owner (owner.tgid != 0) */
	uint64_t orphans;		/* not reported: TCP closed by its process (no inode), the
					 * kernel finishing the close */
	uint32_t processes;		/* whose open files were read */
	uint32_t processes_vanished;	/* exited while read; its sockets go to another holder
					 * or none */
	uint32_t processes_failed;	/* unreadable for another reason (permissions) */
	uint64_t duration_ns;		/* CLOCK_MONOTONIC, the whole scan */
};

/*
 * Dump every namespace's TCP and UDP sockets, walk /proc/PID/fd of every
 * process once (thread-group leaders only, as /proc lists them), then pass
 * each socket to @fn in the order above. Changes the calling thread's
 * network namespace while it runs and restores it. Returns 0 (namespaces
 * and processes lost on the way are counted in @st), or -errno when the
 * scan could not run (-ENOTRECOVERABLE: the thread is stuck in another
 * namespace); @fn is not called then.
 */
int sockscan__run(const struct sockscan_options *o, sockscan_fn fn, void *ctx,
		  struct sockscan_stats *st);

#endif
