/* SPDX-License-Identifier: GPL-2.0-only */
/* Export sinks: where finished flow records go (IPFIX collectors, files, a terminal). */
#ifndef SOCKFLOW_EXPORT_H
#define SOCKFLOW_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "flow/record.h"

struct export_sink;

/* What a sink has done and lost since it was created. */
struct export_stats {
	uint64_t records;		/* records handed to the sink */
	uint64_t records_sent;		/* sent (TCP: acknowledged by the collector's kernel) */
	uint64_t records_lost;		/* queue full, encode errors, TCP: not acknowledged */
	uint64_t records_unconfirmed;	/* TCP: sent, then a reset said they may lie unread */
	uint64_t messages_sent;
	uint64_t send_errors;
	uint64_t reconnects;		/* TCP connections (re)established */
	int connected;			/* TCP: 1 if up now; others: 1 */
};

/* TCP: what connections that died took with them (summed when more than one died). */
struct export_drop {
	uint64_t connections;		/* connections that died */
	uint64_t records_lost;		/* in messages never acknowledged whole */
	uint64_t records_unconfirmed;	/* on a reset: acknowledged in the bound, maybe unread */
	uint64_t unread_bound_bytes;	/* that bound: 2 x the largest window (the last one died) */
	int err;			/* how the last one died: -ECONNRESET..., 0 EOF */
};

/*
 * What the rest of sockflow has lost or left out, totals since start:
 * the counters log_stats() prints, handed to every sink so that IPFIX
 * collectors see them too (an options record per stats interval). What
 * the sink itself lost it adds from its own export_stats.
 */
struct export_loss_stats {
	uint64_t ringbuf_events_lost;	/* flow events not reserved: ring buffer full */
	uint64_t process_events_lost;	/* exec/fork/exit/cgroup events: ring buffer full */
	uint64_t sockets_not_tracked;	/* socket map full or no kernel memory */
	uint64_t handshake_map_full;	/* handshake packets not kept */
	uint64_t flows_evicted;		/* flows ended early: flow table full */
	uint64_t flows_filtered;	/* records the filter dropped, on purpose */
	bool tcp_counts_estimated;	/* TCP counted from its sockets: segments, octets estimated */
};

/* Tunables common to every IPFIX sink. */
struct export_options {
	uint32_t observation_domain_id;
	uint32_t template_refresh_s;	/* UDP: re-send templates this often; 0: off */
	uint32_t template_refresh_messages;	/* UDP: and after this many messages; 0: off */
	uint32_t template_gap_s;	/* UDP: and before a message after this long quiet; 0: off */
	uint32_t buffer_records;	/* TCP: records kept while the collector is down */
	uint32_t enterprise_id;		/* PEN of sockflow's own elements; 0: 32473 */
	const char *template_name;	/* default, full, ntop, pmacct, minimal or a path; NULL: default */
	uint32_t udp_message_max;	/* UDP: largest message; 0: the route's MTU, at most 8 KiB */
};

/*
 * An IPFIX sink for one collector (UDP, TCP or file). Never blocks: TCP
 * connects in the background and reconnects with back-off. Reads the
 * field list @opts->template_name (an unknown element is an error naming
 * the file and line). Returns NULL with -errno in *err and a message in
 * @msg on failure.
 */
struct export_sink *export_sink__new_ipfix(const struct collector *c,
					   const struct export_options *opts,
					   int *err, char *msg, size_t msg_len);

/*
 * Check @opts' field list and PEN as export_sink__new_ipfix() would,
 * without a collector (for --check and reloads). Returns 0 or -errno with
 * a message in @msg.
 */
int export_sink__check_ipfix(const struct export_options *opts, char *msg, size_t msg_len);

/* A sink printing for a person (PRINT_TEXT) or one JSON object per record. */
/*
 * A NetFlow v9 (RFC 3954) exporter to the UDP collector @c (?protocol=v9):
 * the 5-tuple, both directions' counters, times, TCP flags and the local
 * user (NSEL 40000), with @opts' observation domain as source id and its
 * template re-send settings; biflow, or uniflow as @c says. Its stats
 * options records carry the exporter's own counters only.
 */
struct export_sink *export_sink__new_netflow9(const struct collector *c,
					      const struct export_options *opts, int *err,
					      char *msg, size_t msg_len);

struct export_sink *export_sink__new_print(FILE *out, enum print_format format);

/*
 * The export settings of collector @c: its URI's or profile's template and
 * observation domain, else @cfg's, and @cfg's for the rest.
 */
void export_options__of(const struct config *cfg, const struct collector *c,
			struct export_options *opts);

/*
 * Read and check the field list of [export] template and of every IPFIX
 * collector (its URI's or profile's), as the sinks would at start, and
 * that the TCP queues, full, take at most half of the memory (sockflow
 * --check; export__reopen_sinks() checks the memory too). With @resolve, warns of collector host
 * names that do not resolve now (--check: the daemon keeps trying them).
 * 0, or -errno after logging what is wrong.
 */
int export__check(const struct config *cfg, bool resolve);

/*
 * Build the sinks @cfg asks for (its collectors, then the print sink)
 * into @sinks; returns how many, or -errno after logging why.
 */
int export__open_sinks(const struct config *cfg, struct export_sink **sinks);

/*
 * As export__open_sinks() on a reload, from the running sinks @old (@n_old
 * of them): a collector whose effective settings are those of a running
 * sink (transport, address, protocol, records, field list as its file
 * reads now, observation domain, PEN, template and buffer settings: not
 * the URI text) is that sink, moved over with its queue, connection and
 * counters, and its slot in @old set to NULL; the others are opened anew.
 * What is left in @old is the caller's to flush and free. On failure
 * nothing in @old has moved. Returns how many, or -errno after logging why.
 */
int export__reopen_sinks(const struct config *cfg, struct export_sink **old, int n_old,
			 struct export_sink **sinks);

/*
 * At exit, after the last flush: give the collectors up to @drain_s
 * seconds ([export] exit_drain) to take what is queued (a TCP collector
 * that is down is retried every second; one that comes up gets it all),
 * then count what is left as lost, with a warning naming the collector.
 * Bounded, so that a collector that is down cannot outlast a service
 * manager's stop timeout.
 */
void export__drain_sinks(struct export_sink **sinks, int n, uint32_t drain_s);

/* Warn of what each TCP connection that died since the last call took with it. */
void export__log_drops(struct export_sink **sinks, int n);

/*
 * Print the nfacctd aggregate_primitives for the records pmacct gets: the
 * field list of the first IPFIX uniflow collector (?profile=pmacct), else
 * the pmacct list (sockflow --pmacct-primitives). 0, or -errno after
 * logging why.
 */
int export__print_pmacct_primitives(const struct config *cfg, FILE *out);

/* Hand one record to the sink. Returns 0 or -errno (the record is counted lost). */
int export_sink__add(struct export_sink *s, const struct flow_record *r);

/*
 * Send what is pending, re-send templates when due, retry a lost TCP
 * collector when its back-off has passed. Called from the daemon's timer
 * (and at shutdown). @now_ms is CLOCK_MONOTONIC in milliseconds.
 */
int export_sink__flush(struct export_sink *s, uint64_t now_ms);

void export_sink__stats(const struct export_sink *s, struct export_stats *st);

/*
 * TCP: whether the sink's connection died since the last call (for the
 * caller to log), and what it took; clears it. Other sinks: false.
 */
bool export_sink__take_drop(struct export_sink *s, struct export_drop *drop);

/*
 * Report @loss, with what the sink itself has sent and lost, to the
 * sink's collector: IPFIX sinks send an options record (template
 * TEMPLATES_TID_LOSS_STATS) in a message of its own now; the print sink
 * does nothing (the log has it). Totals, so a report that is lost is
 * made up for by the next. Returns 0 or -errno.
 */
int export_sink__add_stats(struct export_sink *s, const struct export_loss_stats *loss);

/*
 * SIGHUP, the sink kept: a file output writes what is pending, closes and
 * opens its path again for appending, templates first (logrotate moves
 * the file, then signals). Others: nothing. Returns 0 or -errno with a
 * message in @msg; a file that failed to open is tried again before the
 * next record, which is counted lost until it opens.
 */
int export_sink__reopen(struct export_sink *s, char *msg, size_t msg_len);

/*
 * At exit: flush as export_sink__flush(), retrying a TCP collector that
 * is down without its back-off (at least every second). Returns 1 while
 * records are queued that were neither sent nor counted lost, else 0.
 */
int export_sink__drain(struct export_sink *s, uint64_t now_ms);

/* At exit, after the drain: count what is still queued as lost and drop it. */
void export_sink__abandon(struct export_sink *s);

/* A short name for messages: the collector URI or "print". */
const char *export_sink__name(const struct export_sink *s);

/* Flush what can be sent and free; accepts NULL. */
void export_sink__free(struct export_sink *s);

#endif
