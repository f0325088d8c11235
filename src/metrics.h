/* SPDX-License-Identifier: GPL-2.0-only */
/* The Prometheus endpoint: the stats lines' counters as text exposition, over HTTP. */
#ifndef SOCKFLOW_METRICS_H
#define SOCKFLOW_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "config.h"
#include "export/export.h"
#include "flow/table.h"
#include "source/bpf.h"
#include "source/conntrack.h"
#include "source/loader.h"

/* Everything the daemon counts, at one moment: what the stats lines print. */
struct metrics_snapshot {
	struct bpf_source_stats bpf;
	struct flow_table_stats table;
	uint64_t filtered;		/* records the [filter] left out */
	size_t processes_cached;
	uint32_t diag_namespaces;	/* at the last sock_diag poll */
	uint64_t diag_sockets;
	double diag_seconds;
	uint64_t diag_vanished;		/* namespaces gone while polled, since start */
	bool conntrack;			/* conntrack is read (ct below is set) */
	struct ct_source_stats ct;
	int n_sinks;
	const char *sink_names[CONFIG_MAX_COLLECTORS + 1];
	struct export_stats sinks[CONFIG_MAX_COLLECTORS + 1];
	const struct kernel_probe *kernel;	/* NULL: not known */
};

/* Append @s to @out as Prometheus text exposition (version 0.0.4). */
void metrics__render(const struct metrics_snapshot *s, GString *out);

/* Fills the snapshot a scrape answers with. */
typedef void (*metrics_snapshot_fn)(void *ctx, struct metrics_snapshot *s);

struct metrics_server;

/*
 * Listen on @addr ("ADDRESS:PORT", "[ADDRESS]:PORT") in the default GLib
 * main context and answer each HTTP GET of /metrics with what @fill puts
 * in a snapshot. Returns NULL with what went wrong in @msg.
 */
struct metrics_server *metrics_server__new(const char *addr, metrics_snapshot_fn fill,
					   void *ctx, char *msg, size_t msg_len);

/* Stop listening; accepts NULL. */
void metrics_server__free(struct metrics_server *m);

#endif
