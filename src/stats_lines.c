// SPDX-License-Identifier: GPL-2.0-only
/* The stats lines: the counters of a metrics snapshot as log lines, with warnings for losses. */
#include <glib.h>

#include "log.h"
#include "stats_lines.h"

void stats_lines__log(const struct metrics_snapshot *s, const char *when)
{
	const uint64_t *v = s->bpf.v;
	const struct export_stats *es;
	int i;

	log_info("stats%s: flows open %" G_GUINT64_FORMAT ", created %" G_GUINT64_FORMAT
		 ", records %" G_GUINT64_FORMAT ", filtered out %" G_GUINT64_FORMAT
		 ", evicted (table full) %" G_GUINT64_FORMAT
		 ", kernel events %" G_GUINT64_FORMAT ", lost: ring buffer full %" G_GUINT64_FORMAT
		 ", socket map full %" G_GUINT64_FORMAT ", handshake map full %" G_GUINT64_FORMAT
		 ", process/cgroup events %" G_GUINT64_FORMAT ", UDP map full %" G_GUINT64_FORMAT
		 ", UDP owners not kept %" G_GUINT64_FORMAT ", activity marks %" G_GUINT64_FORMAT
		 "; processes cached %zu; sock_diag: %u "
		 "namespaces, %" G_GUINT64_FORMAT " sockets in %.1f ms, %" G_GUINT64_FORMAT " namespaces vanished while polled",
		 when, s->table.flows, s->table.created, s->table.records, s->filtered, s->table.evicted,
		 v[SF_STAT_EVENTS], v[SF_STAT_RINGBUF_FULL], v[SF_STAT_SOCKS_FULL],
		 v[SF_STAT_HANDSHAKE_FULL], v[SF_STAT_PROC_EVENTS_LOST],
		 v[SF_STAT_UDP_FULL], v[SF_STAT_UDP_OWNERS_FULL], v[SF_STAT_ACTIVE_FULL],
		 s->processes_cached, s->diag_namespaces, s->diag_sockets, s->diag_seconds * 1e3,
		 s->diag_vanished);
	if (v[SF_STAT_RINGBUF_FULL])
		log_warn("bpf: %" G_GUINT64_FORMAT " events lost to a full ring buffer; raise "
			 "kernel.ringbuf_size_kib", v[SF_STAT_RINGBUF_FULL]);
	if (v[SF_STAT_SOCKS_FULL])
		log_warn("bpf: %" G_GUINT64_FORMAT " sockets not tracked: more than "
			 "kernel.max_sockets open, or no kernel memory", v[SF_STAT_SOCKS_FULL]);
	if (s->conntrack) {
		const struct ct_source_stats *cs = &s->ct;

		log_info("stats%s: conntrack: %u namespaces, NAT bindings %" G_GUINT64_FORMAT
			 " now, %" G_GUINT64_FORMAT " joined late; events %" G_GUINT64_FORMAT
			 ", translated %" G_GUINT64_FORMAT ", overruns %" G_GUINT64_FORMAT
			 ", resyncs %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " entries, %"
			 G_GUINT64_FORMAT " failed); %" G_GUINT64_FORMAT " translated before "
			 "subscribing", when, cs->namespaces, s->table.nat_bindings, s->table.nat_joined,
			 cs->events, cs->nat_events, cs->overruns, cs->resyncs, cs->resync_entries,
			 cs->resync_failed, cs->initial_entries);
	}
	if (v[SF_STAT_UDP_FULL])
		log_warn("bpf: %" G_GUINT64_FORMAT " UDP datagrams not counted: more than "
			 "kernel.max_udp_flows conversations at once", v[SF_STAT_UDP_FULL]);
	for (i = 0; i < s->n_sinks; i++) {
		es = &s->sinks[i];
		log_info("stats%s: export %s: records %" G_GUINT64_FORMAT ", sent %" G_GUINT64_FORMAT
			 ", lost %" G_GUINT64_FORMAT ", unconfirmed %" G_GUINT64_FORMAT
			 ", send errors %" G_GUINT64_FORMAT ", connects %" G_GUINT64_FORMAT "%s",
			 when, s->sink_names[i], es->records, es->records_sent,
			 es->records_lost, es->records_unconfirmed, es->send_errors, es->reconnects,
			 es->connected ? "" : " (collector down)");
	}
}
