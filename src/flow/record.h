/* SPDX-License-Identifier: GPL-2.0-only */
/* The plain flow record that the flow table hands to every exporter. */
#ifndef SOCKFLOW_FLOW_RECORD_H
#define SOCKFLOW_FLOW_RECORD_H

#include <stdint.h>

#define FLOW_COMM_LEN 16

/* flowEndReason, IANA IE 136 (RFC 5102 section 5.11.3). */
enum flow_end_reason {
	FLOW_END_IDLE = 1,
	FLOW_END_ACTIVE = 2,
	FLOW_END_OF_FLOW = 3,
	FLOW_END_FORCED = 4,
	FLOW_END_LACK_OF_RESOURCES = 5,
};

/*
 * Canonical flow key: the conversation as the initiator sees it, so both
 * local ends of one connection map to the same key. Addresses in network
 * byte order (IPv4 in the first 4 bytes, the rest zero); IPv4-mapped IPv6
 * addresses are folded into family AF_INET. Ports in host byte order.
 * Every byte, padding included, is set, so keys compare with memcmp.
 */
struct flow_key {
	uint8_t client_addr[16];
	uint8_t server_addr[16];
	uint16_t client_port;
	uint16_t server_port;
	uint32_t netns_ino;	/* loopback conversations only; 0 otherwise */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t protocol;	/* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t pad[6];		/* to whole 64-bit words, for hashing */
};

#define FLOW_USER_LEN 32
#define FLOW_PATH_LEN 256
#define FLOW_CMDLINE_LEN 256

/*
 * The container behind a process, from its cgroup and the runtime's own
 * state. Every string NUL-terminated, "" when unknown; runtime "" means the
 * process runs on the host outside any container or unit.
 */
struct flow_container {
	char runtime[16];		/* podman, docker, containerd, cri-o, systemd */
	char id[72];			/* container id (64 hex for most runtimes); unit name for systemd */
	char name[64];
	char image[128];
	char pod_name[64];		/* Kubernetes, from CRI annotations or the runtime */
	char pod_namespace[64];
	char pod_uid[40];
};

/*
 * One end's process; pid 0 means the end is not on this host or unknown.
 * pid, uid, name, ppid, start time, cgroup id and netns come from the
 * kernel at the moment of the event; the rest is filled by the enrich
 * stage from its caches (empty when unknown).
 */
struct flow_process {
	uint32_t pid;			/* thread-group id */
	uint32_t uid;
	char name[FLOW_COMM_LEN];	/* NUL-terminated command name */
	uint32_t ppid;
	uint32_t netns_ino;		/* network namespace of this end's socket */
	uint64_t start_boottime_ns;	/* with pid, names the process: pids are reused */
	uint64_t cgroup_id;		/* cgroup v2 id */
	char parent_name[FLOW_COMM_LEN];
	char user[FLOW_USER_LEN];
	char exe[FLOW_PATH_LEN];	/* full executable path */
	char cmdline[FLOW_CMDLINE_LEN];	/* arguments joined by spaces, truncated */
	char cgroup[FLOW_PATH_LEN];	/* cgroup v2 path */
	struct flow_container container;
};

/* Counters of one direction, deltas since the previous record of the flow. */
struct flow_counters {
	uint64_t octets;	/* IP layer, headers included (IE 1) */
	uint64_t packets;	/* IP packets (IE 2) */
	uint64_t payload;	/* transport payload octets */
};

/*
 * TCP's view of the path from one local end's socket: its smoothed RTT
 * and variation (latest, 0 when unknown), the segments it retransmitted
 * and the ones it counted lost (deltas since the previous record), and the
 * resets it sent and received.
 */
struct flow_quality {
	uint32_t rtt_us;
	uint32_t rttvar_us;
	uint32_t retrans;
	uint32_t lost;
	uint8_t resets_sent;
	uint8_t resets_received;
};

/* flow_record.flags */
#define FLOW_RECORD_START_UNKNOWN 0x01	/* open when sockflow started: start is when it was found */

/* flow_nat.nat: which translations the connection went through. */
#define FLOW_NAT_SRC 0x01
#define FLOW_NAT_DST 0x02

/*
 * The conversation after NAT on this host, when conntrack translated it:
 * the client and server addresses and ports as the server sees them (an
 * unchanged side keeps its value). Layout as in struct flow_key.
 */
struct flow_nat {
	uint8_t client_addr[16];
	uint8_t server_addr[16];
	uint16_t client_port;
	uint16_t server_port;
	uint8_t nat;			/* FLOW_NAT_*; 0: not translated */
};

/*
 * What an exporter receives: one record per finished flow, per active
 * timeout of a long-lived flow, or per forced end. Times are Unix epoch
 * milliseconds.
 */
struct flow_record {
	struct flow_key key;
	uint64_t start_ms;
	uint64_t end_ms;
	struct flow_counters fwd;	/* client -> server */
	struct flow_counters rev;	/* server -> client */
	struct flow_process client;
	struct flow_process server;
	struct flow_quality client_q;	/* TCP only; from the client's socket when it is local */
	struct flow_quality server_q;
	struct flow_nat post_nat;	/* key is the conversation before NAT */
	uint8_t end_reason;		/* enum flow_end_reason */
	uint8_t tcp_flags;		/* union of TCP flags seen (IE 6) */
	uint8_t flags;			/* FLOW_RECORD_* */
};

/*
 * ntop's network latencies: half the RTT of the path from each end, as
 * nProbe reports them. The server's socket measures the path to the
 * client, the client's the path to the server; 0 when that end is not
 * local.
 */
static inline uint32_t flow_record__client_latency_us(const struct flow_record *r)
{
	return r->server_q.rtt_us / 2;
}

static inline uint32_t flow_record__server_latency_us(const struct flow_record *r)
{
	return r->client_q.rtt_us / 2;
}

static inline uint32_t flow_record__client_latency_ms(const struct flow_record *r)
{
	return flow_record__client_latency_us(r) / 1000;
}

static inline uint32_t flow_record__server_latency_ms(const struct flow_record *r)
{
	return flow_record__server_latency_us(r) / 1000;
}

#endif
