/* SPDX-License-Identifier: GPL-2.0-only */
/* The flow table: socket lifecycle events in, flow records out. */
#ifndef SOCKFLOW_FLOW_TABLE_H
#define SOCKFLOW_FLOW_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "flow/expire.h"
#include "flow/record.h"
#include "sockflow.h"

struct flow_table;

/* Receives every record the table produces. */
typedef void (*flow_emit_fn)(void *ctx, const struct flow_record *r);

/*
 * Reads the live state of a socket still open in the kernel: counters,
 * last packet time and its process as known now. Returns 0, -EAGAIN when
 * nothing is new (no packets since the last snapshot), or -ENOENT if it is
 * gone (the table then keeps what it last saw). With @first, the socket
 * was never read since its open event: the kernel is asked in any case.
 */
typedef int (*flow_read_fn)(void *ctx, uint64_t cookie, bool first, struct sf_live *live);

/*
 * Reads a UDP conversation's state from the kernel into *@now, and with
 * @forget deletes it there (its flow ended). Returns 0 or -ENOENT.
 */
typedef int (*flow_udp_read_fn)(void *ctx, const struct sf_udp_key *key, bool forget,
				struct sf_udp_flow *now);

struct flow_table_options {
	uint32_t max_flows;
	struct flow_timeouts timeouts;
	flow_emit_fn emit;
	void *emit_ctx;
	flow_read_fn read;	/* may be NULL: no interim counters */
	flow_udp_read_fn udp_read;	/* may be NULL: UDP conversations are not deleted */
	void *read_ctx;		/* for both */
};

struct flow_table_stats {
	uint64_t flows;			/* in the table now */
	uint64_t created;
	uint64_t records;		/* emitted */
	uint64_t evicted;		/* ended early: table full (reason 5) */
	uint64_t nat_bindings;		/* translated connections known now */
	uint64_t nat_joined;		/* flows that got a binding after their ends split */
};

/*
 * A connection conntrack translated: the tuple its initiator sent and the
 * one its responder answers (addresses network order, IPv4 in the first 4
 * bytes; ports host order), and the namespace whose conntrack did it.
 */
struct flow_nat_binding {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t protocol;
	uint8_t nat;			/* FLOW_NAT_* */
	uint32_t netns_ino;
	struct {
		uint8_t src[16], dst[16];
		uint16_t sport, dport;
	} orig, reply;
};

struct flow_table *flow_table__new(const struct flow_table_options *opts);

/* Set how CLOCK_MONOTONIC maps to Unix time for records: realtime - monotonic, ns. */
void flow_table__set_clock(struct flow_table *t, int64_t realtime_offset_ns);

/* Change the timeouts (reload); flows in the table keep their state. */
void flow_table__set_timeouts(struct flow_table *t, const struct flow_timeouts *timeouts);

/* How often the table reads a live flow's counters: live data need not be fresher. */
uint64_t flow_table__refresh_interval(const struct flow_table *t);

/* Apply one kernel event. @now_ns is CLOCK_MONOTONIC. */
void flow_table__observe(struct flow_table *t, const struct sf_event *e, uint64_t now_ns);

/*
 * Apply the state of one UDP conversation from a fresh snapshot: its
 * flow is made, or its counters and owner brought up to date. A socket
 * with no known owner waits up to 2 s for one before its flow is made,
 * unless @final (the last snapshot before a flush).
 */
void flow_table__observe_udp(struct flow_table *t, const struct sf_udp_live *u, uint64_t now_ns,
			     bool final);

/*
 * Learn a translated connection. Its ends are joined into one flow keyed
 * by the tuple before NAT (also when one of them was seen first), and its
 * records carry the tuple after NAT.
 */
void flow_table__nat(struct flow_table *t, const struct flow_nat_binding *b, uint64_t now_ns);

/* A local TCP socket of a live flow: its cookie and its own view of the connection. */
struct flow_socket {
	uint64_t cookie;
	struct sf_tuple tuple;		/* local = the socket's side; netns_ino its namespace */
};

/*
 * Append the open TCP sockets of the flows with activity at or after
 * @since_ns to @out (a GArray of struct flow_socket); @since_ns 0: of
 * every flow, quiet ones included.
 */
void flow_table__live_sockets(const struct flow_table *t, GArray *out, uint64_t since_ns);

/*
 * Socket @cookie had packets since it was last read: its flow is looked at
 * again by the next expiry pass (a flow whose everything was reported is
 * otherwise not visited).
 */
void flow_table__wake(struct flow_table *t, uint64_t cookie);

/* Look at every flow again (after close events were lost: which sockets are gone?). */
void flow_table__wake_all(struct flow_table *t);

/* Emit every record that is due at @now_ns; returns how many. */
unsigned int flow_table__expire(struct flow_table *t, uint64_t now_ns);

/* End every flow now (shutdown, reload): reason 4, or 3 for closed ones. */
unsigned int flow_table__flush(struct flow_table *t, uint64_t now_ns);

void flow_table__stats(const struct flow_table *t, struct flow_table_stats *st);

void flow_table__free(struct flow_table *t);

#endif
