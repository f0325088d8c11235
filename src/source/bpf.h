/* SPDX-License-Identifier: GPL-2.0-only */
/* The BPF source: loads the kernel programs, drains their events, reads live counters. */
#ifndef SOCKFLOW_SOURCE_BPF_H
#define SOCKFLOW_SOURCE_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockflow.h"
#include "source/loader.h"

struct bpf_source;

/* Called for every kernel event, in ring-buffer order, by its kind. */
struct bpf_source_handlers {
	void (*sock)(void *ctx, const struct sf_event *e);
	void (*proc)(void *ctx, const struct sf_proc_event *e);
	void (*cgroup)(void *ctx, const struct sf_cgroup_event *e);
	void *ctx;
};

struct bpf_source_options {
	uint32_t max_sockets;		/* tracked sockets at most */
	uint32_t max_udp_flows;		/* UDP conversations at once, and UDP sockets' owners */
	uint32_t ringbuf_kib;		/* power of two */
	uint32_t disabled_mechanisms;	/* 1 << enum sf_mech: never used */
	struct bpf_source_handlers on;
};

/* What the kernel side lost or did, summed over CPUs. */
struct bpf_source_stats {
	uint64_t v[SF_STAT__MAX];
	uint64_t sockets;		/* live sockets tracked (sampled) */
};

/*
 * Open, size, load and attach everything, each capability from the best
 * mechanism this kernel accepts (see loader.h). On failure returns -errno
 * with what failed and what to do in @msg.
 */
int bpf_source__new(struct bpf_source **out, const struct bpf_source_options *opts,
		    char *msg, size_t msg_len);

/* What this kernel accepts and which mechanism each capability uses. */
/*
 * Whether TCP is counted from the sockets' own counters (tcp_socket_counters):
 * close events carry them, estimated octets included; live sockets' counts
 * then come from sock_diag polls, not from bpf_source__read().
 */
bool bpf_source__socket_counters(const struct bpf_source *src);

const struct kernel_probe *bpf_source__kernel(const struct bpf_source *src);

/*
 * Try every mechanism (attaching each for a moment) and fill @kp, without
 * starting anything: `sockflow --probe`. Returns 0, or -errno with @msg
 * when a required capability is missing (@kp is filled either way).
 */
int bpf_source__probe(const struct bpf_source_options *opts, struct kernel_probe *kp,
		      char *msg, size_t msg_len);

/* Where the cgroup v2 hierarchy is mounted (found or mounted at start). */
const char *bpf_source__cgroup2_root(const struct bpf_source *src);

/* The fd to poll for readable events. */
int bpf_source__fd(const struct bpf_source *src);

/* Drain the ring buffer; returns events handled or -errno. */
int bpf_source__drain(struct bpf_source *src);

/*
 * Take a snapshot: the counters of the tracked sockets with packets since
 * the last one (idle sockets cost nothing) and every UDP conversation.
 */
int bpf_source__snapshot(struct bpf_source *src);

/* The sockets of the last snapshot: how many, in *@live. */
size_t bpf_source__live(const struct bpf_source *src, const struct sf_live **live);

/* The UDP conversations of the last snapshot, with their owners: how many, in *@udp. */
size_t bpf_source__udp(const struct bpf_source *src, const struct sf_udp_live **udp);

/*
 * Read a UDP conversation's state now into *@now; with @forget, delete it
 * from the kernel too (it ended), atomically with the read, so datagrams
 * counted since the snapshot are not lost. 0, or -ENOENT.
 */
int bpf_source__udp_read(struct bpf_source *src, const struct sf_udp_key *key, bool forget,
			 struct sf_udp_flow *now);

/*
 * Track the TCP connections that were open before sockflow started (and
 * note listeners and UDP sockets' owners): each is handed to the sock
 * handler as an OPEN event flagged SF_FLAG_PREEXISTING, found with the
 * mechanism chosen for existing_sockets. Returns how many, -ENOTSUP when
 * no mechanism is left, or -errno.
 */
int bpf_source__adopt_existing(struct bpf_source *src);

/*
 * State of socket @cookie from the last snapshot: 0, or -EAGAIN when it
 * had no packets since the one before (nothing new). With @from_kernel,
 * such a socket is read from the kernel now instead: 0, or -ENOENT when
 * the kernel no longer tracks it (closed).
 */
int bpf_source__read(struct bpf_source *src, uint64_t cookie, bool from_kernel,
		     struct sf_live *live);

int bpf_source__stats(struct bpf_source *src, struct bpf_source_stats *st);

/* One read of a map, as the loop does them: 0, or -errno (-EPERM: privileges are missing). */
int bpf_source__check_access(struct bpf_source *src);

void bpf_source__free(struct bpf_source *src);

#endif
