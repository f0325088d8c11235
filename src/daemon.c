// SPDX-License-Identifier: GPL-2.0-only
/* The daemon: GLib main loop, signals and timers wiring source -> flow table -> exporters. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <glib-unix.h>

#include "daemon.h"
#include "export/export.h"
#include "flow/table.h"
#include "log.h"
#include "source/bpf.h"

#define DRAIN_INTERVAL_MS 100	/* batched ring-buffer consumption */
#define TICK_INTERVAL_MS 500	/* timeouts, export flushes */
#define GRACE_NS (1000ull * 1000 * 1000)

struct daemon {
	struct config *cfg;
	daemon_reload_fn reload;
	void *reload_ctx;
	GMainLoop *loop;
	struct bpf_source *src;
	struct flow_table *table;
	struct export_sink *sinks[CONFIG_MAX_COLLECTORS + 1];
	int n_sinks;
	uint64_t last_stats_ns;
	uint64_t last_snapshot_ns;
	uint64_t drain_now_ns;		/* one clock read per ring-buffer drain */
	int exit_status;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static void update_clock(struct daemon *d)
{
	uint64_t mono = now_ns();
	uint64_t real = clock_ns(CLOCK_REALTIME);

	flow_table__set_clock(d->table, (int64_t)(real - mono));
}

static void on_record(void *ctx, const struct flow_record *r)
{
	struct daemon *d = ctx;
	int i;

	for (i = 0; i < d->n_sinks; i++)
		export_sink__add(d->sinks[i], r);
}

static void on_event(void *ctx, const struct sf_event *e)
{
	struct daemon *d = ctx;

	flow_table__observe(d->table, e, d->drain_now_ns);
}

static int read_live(void *ctx, uint64_t cookie, struct sf_live *live)
{
	struct daemon *d = ctx;

	return bpf_source__read(d->src, cookie, live);
}

static void free_sinks(struct daemon *d)
{
	int i;

	for (i = 0; i < d->n_sinks; i++)
		export_sink__free(d->sinks[i]);
	d->n_sinks = 0;
}

/* Build the sinks @cfg asks for into @sinks; returns how many, or -errno. */
static int open_sinks(const struct config *cfg, struct export_sink **sinks)
{
	struct export_options opts = {
		.observation_domain_id = cfg->observation_domain_id,
		.template_refresh_s = cfg->template_refresh_s,
		.buffer_records = cfg->tcp_buffer_records,
	};
	char msg[512];
	int i, n = 0, err = 0;

	for (i = 0; i < cfg->n_collectors; i++) {
		sinks[n] = export_sink__new_ipfix(&cfg->collectors[i], &opts, &err, msg, sizeof(msg));
		if (!sinks[n]) {
			log_error("export: %s: %s", cfg->collectors[i].uri, msg);
			goto err_free;
		}
		n++;
	}
	if (cfg->print == PRINT_TEXT || cfg->print == PRINT_JSON) {
		sinks[n] = export_sink__new_print(stdout, cfg->print);
		if (!sinks[n]) {
			err = -ENOMEM;
			goto err_free;
		}
		n++;
	}
	return n;

err_free:
	while (n > 0)
		export_sink__free(sinks[--n]);
	return err ? err : -EINVAL;
}

static void log_stats(struct daemon *d, const char *when)
{
	struct bpf_source_stats bs;
	struct flow_table_stats ts;
	struct export_stats es;
	int i;

	bpf_source__stats(d->src, &bs);
	flow_table__stats(d->table, &ts);
	log_info("stats%s: flows open %" G_GUINT64_FORMAT ", created %" G_GUINT64_FORMAT
		 ", records %" G_GUINT64_FORMAT ", evicted (table full) %" G_GUINT64_FORMAT
		 ", kernel events %" G_GUINT64_FORMAT ", lost: ring buffer full %" G_GUINT64_FORMAT
		 ", socket map full %" G_GUINT64_FORMAT ", handshake map full %" G_GUINT64_FORMAT,
		 when, ts.flows, ts.created, ts.records, ts.evicted, bs.v[SF_STAT_EVENTS],
		 bs.v[SF_STAT_RINGBUF_FULL], bs.v[SF_STAT_SOCKS_FULL], bs.v[SF_STAT_HANDSHAKE_FULL]);
	if (bs.v[SF_STAT_RINGBUF_FULL])
		log_warn("bpf: %" G_GUINT64_FORMAT " events lost to a full ring buffer; raise "
			 "kernel.ringbuf_size_kib", bs.v[SF_STAT_RINGBUF_FULL]);
	if (bs.v[SF_STAT_SOCKS_FULL])
		log_warn("bpf: %" G_GUINT64_FORMAT " sockets not tracked: more than "
			 "kernel.max_sockets open, or no kernel memory", bs.v[SF_STAT_SOCKS_FULL]);
	for (i = 0; i < d->n_sinks; i++) {
		export_sink__stats(d->sinks[i], &es);
		log_info("stats%s: export %s: records %" G_GUINT64_FORMAT ", sent %" G_GUINT64_FORMAT
			 ", lost %" G_GUINT64_FORMAT ", send errors %" G_GUINT64_FORMAT
			 ", connects %" G_GUINT64_FORMAT "%s",
			 when, export_sink__name(d->sinks[i]), es.records, es.records_sent,
			 es.records_lost, es.send_errors, es.reconnects,
			 es.connected ? "" : " (collector down)");
	}
}

/* Hand every pending kernel event to the flow table. */
static int drain(struct daemon *d)
{
	d->drain_now_ns = now_ns();
	return bpf_source__drain(d->src);
}

static gboolean on_drain(gpointer data)
{
	struct daemon *d = data;
	int n = drain(d);

	if (n < 0 && n != -EINTR)
		log_warn("bpf: draining the ring buffer failed: %s", strerror(-n));
	return G_SOURCE_CONTINUE;
}

static gboolean on_ring_ready(gint fd, GIOCondition cond, gpointer data)
{
	return on_drain(data);
}

static gboolean on_tick(gpointer data)
{
	struct daemon *d = data;
	uint64_t now;
	int i;

	/*
	 * Drain before the snapshot: every socket the table knows is then in
	 * it. A snapshot walks the whole kernel map, so take one only as often
	 * as the table reads live counters.
	 */
	drain(d);
	now = now_ns();
	if (now - d->last_snapshot_ns >= flow_table__refresh_interval(d->table)) {
		bpf_source__snapshot(d->src);
		d->last_snapshot_ns = now;
	}
	update_clock(d);
	flow_table__expire(d->table, now);
	for (i = 0; i < d->n_sinks; i++)
		export_sink__flush(d->sinks[i], now / 1000000);
	if (d->cfg->stats_interval_s &&
	    now - d->last_stats_ns >= (uint64_t)d->cfg->stats_interval_s * 1000000000ull) {
		d->last_stats_ns = now;
		log_stats(d, "");
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_stop(gpointer data)
{
	struct daemon *d = data;

	log_info("stopping: exporting open flows");
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

static struct flow_timeouts timeouts_of(const struct config *cfg)
{
	struct flow_timeouts t = {
		.active_ns = (uint64_t)cfg->active_timeout_s * 1000000000ull,
		.idle_ns = (uint64_t)cfg->idle_timeout_s * 1000000000ull,
		.grace_ns = GRACE_NS,
	};
	return t;
}

/*
 * SIGHUP: rebuild the configuration as at start-up (file, then options)
 * and swap in the new exporters and timeouts. Flows stay in the table, so
 * nothing is counted twice or lost; a bad file keeps the running
 * configuration.
 */
static gboolean on_reload(gpointer data)
{
	struct daemon *d = data;
	struct export_sink *sinks[CONFIG_MAX_COLLECTORS + 1];
	struct config next;
	int n, i;

	if (d->reload(d->reload_ctx, &next)) {
		log_error("reload: keeping the running configuration");
		return G_SOURCE_CONTINUE;
	}
	n = open_sinks(&next, sinks);
	if (n < 0) {
		log_error("reload: keeping the running exporters");
		return G_SOURCE_CONTINUE;
	}
	for (i = 0; i < d->n_sinks; i++)
		export_sink__flush(d->sinks[i], now_ns() / 1000000);
	free_sinks(d);
	memcpy(d->sinks, sinks, sizeof(sinks[0]) * n);
	d->n_sinks = n;
	if (next.max_sockets != d->cfg->max_sockets || next.ringbuf_kib != d->cfg->ringbuf_kib)
		log_warn("reload: kernel map sizes apply at the next start only");
	next.max_sockets = d->cfg->max_sockets;
	next.ringbuf_kib = d->cfg->ringbuf_kib;
	*d->cfg = next;
	{
		struct flow_timeouts t = timeouts_of(d->cfg);

		flow_table__set_timeouts(d->table, &t);
	}
	log_info("reload: %s applied, %d exporter(s)",
		 d->cfg->path[0] ? d->cfg->path : "built-in defaults and options", n);
	return G_SOURCE_CONTINUE;
}

int daemon_run(struct config *cfg, daemon_reload_fn reload, void *reload_ctx)
{
	struct daemon d = { .cfg = cfg, .reload = reload, .reload_ctx = reload_ctx };
	struct bpf_source_options so;
	struct flow_table_options to;
	char msg[1024];
	enum log_level level;
	int n, err;

	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);

	n = open_sinks(cfg, d.sinks);
	if (n < 0)
		return n;
	d.n_sinks = n;

	to = (struct flow_table_options){
		.max_flows = cfg->max_flows,
		.timeouts = timeouts_of(cfg),
		.emit = on_record,
		.emit_ctx = &d,
		.read = read_live,
		.read_ctx = &d,
	};
	d.table = flow_table__new(&to);
	if (!d.table) {
		err = -ENOMEM;
		goto err_free_sinks;
	}
	update_clock(&d);

	so = (struct bpf_source_options){
		.max_sockets = cfg->max_sockets,
		.ringbuf_kib = cfg->ringbuf_kib,
		.on_event = on_event,
		.ctx = &d,
	};
	err = bpf_source__new(&d.src, &so, msg, sizeof(msg));
	if (err) {
		log_error("bpf: %s", msg);
		goto err_free_table;
	}

	d.loop = g_main_loop_new(NULL, FALSE);
	g_unix_fd_add(bpf_source__fd(d.src), G_IO_IN, on_ring_ready, &d);
	g_timeout_add(DRAIN_INTERVAL_MS, on_drain, &d);
	g_timeout_add(TICK_INTERVAL_MS, on_tick, &d);
	g_unix_signal_add(SIGTERM, on_stop, &d);
	g_unix_signal_add(SIGINT, on_stop, &d);
	g_unix_signal_add(SIGHUP, on_reload, &d);
	signal(SIGPIPE, SIG_IGN);
	d.last_stats_ns = now_ns();

	log_info("running: %d exporter(s), active timeout %us, idle timeout %us", d.n_sinks,
		 cfg->active_timeout_s, cfg->idle_timeout_s);
	g_main_loop_run(d.loop);

	drain(&d);
	bpf_source__snapshot(d.src);
	update_clock(&d);
	flow_table__flush(d.table, now_ns());
	for (n = 0; n < d.n_sinks; n++)
		export_sink__flush(d.sinks[n], now_ns() / 1000000);
	log_stats(&d, " at exit");
	g_main_loop_unref(d.loop);
	err = 0;
	bpf_source__free(d.src);
err_free_table:
	flow_table__free(d.table);
err_free_sinks:
	free_sinks(&d);
	return err;
}
