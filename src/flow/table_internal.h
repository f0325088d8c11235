/* SPDX-License-Identifier: GPL-2.0-only */
/* The flow table's own structs, shared by table.c and table_nat.c only. */
#ifndef SOCKFLOW_FLOW_TABLE_INTERNAL_H
#define SOCKFLOW_FLOW_TABLE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "flow/table.h"

/* One local socket of a flow, as last reported by the kernel. */
struct flow_end {
	uint64_t cookie;		/* socket cookie; 0: this end is not local or not seen */
	struct sf_counters cnt;		/* absolute, monotonic per socket */
	struct sf_proc proc;		/* as the kernel captured it */
	struct sf_tcp_quality q;	/* RTT latest, retransmissions and losses absolute */
	uint64_t missing_ns;		/* open here, but absent from the kernel since */
	struct sf_udp_key *udp_key;	/* a UDP conversation: its name in the kernel (owned) */
	uint32_t flags;			/* SF_FLAG_* */
	uint32_t netns_ino;
	bool open;
	bool may_reset;			/* closed aborting: its reset may come after the close */
	bool unread;			/* open event seen, live counters never read since */
	bool udp;			/* a UDP conversation (udp_key set) */
};

/*
 * The lists a flow is on, each through a link of its own:
 *   AGE   every flow, oldest first: the one evicted when the table is full;
 *   BUSY  flows with something to do (activity not yet reported, an end
 *         closed or missing, a UDP conversation): what the expiry pass
 *         visits. A TCP flow with everything reported leaves it ("quiet")
 *         until its next event or activity: idle connections cost nothing.
 */
enum flow_list_id { FLOW_LIST_AGE, FLOW_LIST_BUSY, FLOW_LIST__MAX };

struct flow;
struct flow_link {
	struct flow *prev, *next;
};
struct flow_list {
	struct flow *first, *last;
};

/*
 * A conversation. Its counters in each direction are the larger of what
 * the two local ends counted: the sender's socket and the receiver's socket
 * see the same packets, except those the kernel handles after one of them
 * has closed (TIME_WAIT), which the other one still counts.
 */
struct flow {
	struct flow_key key;
	struct flow_end end[2];		/* [0] client, [1] server */
	uint64_t record_start_ns;	/* start of the next record */
	uint64_t last_report_ns;
	uint64_t last_activity_ns;
	uint64_t reported_activity_ns;	/* last_activity_ns when the last record went out */
	uint64_t checked_ns;		/* live counters last read */
	uint64_t closed_ns;		/* every seen end closed; 0 while one is open */
	struct flow_counters sent[2];	/* totals already exported: [0] fwd, [1] rev */
	uint32_t sent_retrans[2];	/* per end, already exported */
	uint32_t sent_lost[2];
	uint8_t record_flags;		/* FLOW_RECORD_* */
	struct flow_nat nat;		/* after NAT, when conntrack translated it */
	uint64_t nat_id;		/* the nat_entry it came from; 0: none */
	struct flow_link link[FLOW_LIST__MAX];
	bool busy;			/* on FLOW_LIST_BUSY */
};

/*
 * A translated connection, found by the key before NAT (what the client's
 * socket sees) and by the key after it (what the server's socket sees).
 */
struct nat_entry {
	struct flow_key pre;
	struct flow_key post;
	struct flow_nat after;
	uint64_t id;
	uint64_t seen_ns;
	bool used;			/* a flow took it: it goes with that flow */
};

/* Bindings no flow took (forwarded traffic, ends not tracked) go after this long. */
#define NAT_UNUSED_NS (60ull * 1000 * 1000 * 1000)
#define NAT_SWEEP_NS (10ull * 1000 * 1000 * 1000)

struct flow_table {
	struct flow_table_options opts;
	GHashTable *flows;		/* struct flow_key * -> struct flow * */
	GHashTable *udp_ends;		/* struct sf_udp_key * -> struct flow * */
	GHashTable *tcp_ends;		/* &end.cookie (uint64_t *) -> struct flow * */
	GHashTable *nat_pre;		/* struct flow_key * -> struct nat_entry * (owns it) */
	GHashTable *nat_post;		/* struct flow_key * -> struct nat_entry * */
	uint64_t nat_next_id;
	uint64_t nat_swept_ns;
	struct flow_list lists[FLOW_LIST__MAX];
	uint64_t check_interval_ns;
	int64_t realtime_offset_ns;
	struct flow_table_stats stats;
};

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline bool flow_all_closed(const struct flow *f)
{
	return !f->end[0].open && !f->end[1].open;
}

/* table.c: the busy list (with @refresh, counters are read at the next pass), the cookie index. */
void table__busy_add(struct flow_table *t, struct flow *f, bool refresh);
void table__index_end(struct flow_table *t, struct flow *f, int idx);
void table__unindex_end(struct flow_table *t, struct flow *f, int idx);
/* Take @f out of every index and list, and free it. */
void table__remove_flow(struct flow_table *t, struct flow *f);

/* table_nat.c: conntrack's bindings, and the flows they join. */
void table_nat__entry_drop(struct flow_table *t, struct nat_entry *e);
void table_nat__translate(struct flow_table *t, struct flow_key *key);
void table_nat__attach(struct flow_table *t, struct flow *f);
void table_nat__sweep(struct flow_table *t, uint64_t now_ns);

#endif
