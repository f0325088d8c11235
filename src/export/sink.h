/* SPDX-License-Identifier: GPL-2.0-only */
/* What every export sink implements; the export_sink__* calls dispatch through it. */
#ifndef SOCKFLOW_EXPORT_SINK_H
#define SOCKFLOW_EXPORT_SINK_H

#include "export/export.h"

struct export_sink_ops {
	int (*add)(struct export_sink *s, const struct flow_record *r);
	int (*flush)(struct export_sink *s, uint64_t now_ms);
	void (*stats)(const struct export_sink *s, struct export_stats *st);
	/* NULL: never drops a connection */
	bool (*take_drop)(struct export_sink *s, struct export_drop *drop);
	/* NULL: a no-op (the print sink; the log has the counters) */
	int (*add_stats)(struct export_sink *s, const struct export_loss_stats *loss);
	const char *(*name)(const struct export_sink *s);
	/* NULL: nothing to reopen, nothing queued (a no-op, 0) */
	int (*reopen)(struct export_sink *s, char *msg, size_t msg_len);
	int (*drain)(struct export_sink *s, uint64_t now_ms);
	void (*abandon)(struct export_sink *s);
	void (*free)(struct export_sink *s);
};

/* The first member of every sink; the sink's own struct follows it. */
struct export_sink {
	const struct export_sink_ops *ops;
	char *identity;		/* its effective settings (setup.c), for reloads; NULL: none */
};

struct transport;

/* Add what @tp sent, lost, left unconfirmed and reconnected to @st (a network sink's stats). */
void export_stats__add_transport(struct export_stats *st, const struct transport *tp);

#endif
