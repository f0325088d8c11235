/* SPDX-License-Identifier: GPL-2.0-only */
/* Conntrack source: NAT'd TCP/UDP connections from conntrack NEW events in every netns. */
#ifndef SOCKFLOW_SOURCE_CONNTRACK_H
#define SOCKFLOW_SOURCE_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

struct ct_source;

/* Addresses in network byte order, IPv4 in the first 4 bytes (rest zero); ports host order. */
struct ct_tuple {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

#define CT_NAT_SRC 0x1			/* IPS_SRC_NAT */
#define CT_NAT_DST 0x2			/* IPS_DST_NAT */

/*
 * One translated connection. The orig tuple is what the initiator's socket
 * sees (local = src), the reply tuple what the responder's socket sees
 * (local = src): a DNAT shows as reply.src != orig.dst, a SNAT as
 * reply.dst != orig.src.
 */
struct ct_nat {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t protocol;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t nat;			/* CT_NAT_* */
	uint32_t netns_ino;		/* namespace whose conntrack translated it */
	struct ct_tuple orig;		/* as the initiator sent it */
	struct ct_tuple reply;		/* as the responder answers */
};

/*
 * Called for every translated connection of a NEW event, and for every
 * translated entry of a table dump (once when a namespace is subscribed,
 * and after an overrun): the same connection
 * may come more than once (an event, then a dump that still holds it).
 * @n is only valid during the call, which must not call back into the source.
 */
typedef void (*ct_nat_fn)(void *ctx, const struct ct_nat *n);

struct ct_source_options {
	const char *proc_root;		/* "/proc" */
	const char *netns_dir;		/* "/run/netns" */
	uint32_t rcvbuf_bytes;		/* netlink receive buffer per namespace (SO_RCVBUFFORCE) */
	ct_nat_fn on_nat;
	void *ctx;
};

struct ct_source_stats {
	uint64_t events;		/* NEW events read */
	uint64_t nat_events;		/* of which translated (handed to on_nat) */
	uint64_t overruns;		/* ENOBUFS: events the kernel could not queue for us */
	uint64_t resyncs;		/* full table dumps after an overrun */
	uint64_t resync_entries;	/* translated entries found by those dumps */
	uint64_t resync_failed;		/* dumps that failed (retried a second later) */
	uint64_t initial_entries;	/* translated entries found when a namespace was subscribed */
	uint32_t namespaces;		/* subscribed now */
	uint32_t namespaces_failed;	/* could not subscribe at the last rescan (not vanished) */
};

/*
 * Subscribe in every network namespace found now (see ct_source__rescan).
 * Fails, with a message in @msg, only when the scan cannot run or the own
 * namespace cannot be subscribed (no CAP_NET_ADMIN).
 */
int ct_source__new(struct ct_source **out, const struct ct_source_options *o, char *msg,
		   size_t msg_len);

/*
 * Subscribe in namespaces that appeared since the last scan, close those
 * that are no longer found (an open handle keeps its namespace alive).
 * Moves the calling thread into each new namespace and back. Returns 0 or
 * -errno; -ENOTRECOVERABLE: the thread could not return to its own one.
 */
int ct_source__rescan(struct ct_source *s);

/*
 * Non-blocking: read every event queued in every namespace, then dump the
 * table of each namespace that overran (at most once a second each; a
 * later overrun waits for the first drain after that second). Returns the
 * number of events read, or -errno.
 */
int ct_source__drain(struct ct_source *s);

void ct_source__stats(const struct ct_source *s, struct ct_source_stats *st);

void ct_source__free(struct ct_source *s);

#endif
