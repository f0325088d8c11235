// SPDX-License-Identifier: GPL-2.0-only
/* The daemon: GLib main loop, signals and timers wiring source -> flow table -> exporters. */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <glib-unix.h>

#include "clock.h"
#include "daemon.h"
#include "enrich/container.h"
#include "enrich/process.h"
#include "export/export.h"
#include "flow/filter.h"
#include "flow/table.h"
#include "log.h"
#include "metrics.h"
#include "privileges.h"
#include "service_notify.h"
#include "signal_source.h"
#include "stats_lines.h"
#include "source/bpf.h"
#include "source/conntrack.h"
#include "source/diag.h"
#include "source/socket_counters.h"

#define DRAIN_INTERVAL_MS 100	/* batched ring-buffer consumption */
#define TICK_INTERVAL_MS 500	/* timeouts, export flushes */
#define GRACE_NS (1000ull * 1000 * 1000)
#define PROCESS_CACHE_ENTRIES 65536
#define PROCESS_EXIT_RETENTION_NS (300ull * 1000 * 1000 * 1000)	/* for late records */
#define CONTAINER_REFRESH_NS (2ull * 1000 * 1000 * 1000)
#define CT_RESCAN_NS (5ull * 1000 * 1000 * 1000)	/* new namespaces' conntrack */

struct daemon {
	struct config *cfg;
	daemon_reload_fn reload;
	void *reload_ctx;
	GMainLoop *loop;
	struct bpf_source *src;
	struct diag_poller *diag;	/* sock_diag over every netns; NULL if it failed */
	GHashTable *tcp_info;		/* cookie -> struct tcp_info_entry, last poll */
	GArray *live_sockets;		/* struct flow_socket: what the next poll asks for */
	struct diag_poll_stats diag_stats;	/* last poll */
	uint64_t diag_vanished;		/* namespaces gone while polled, since start */
	uint64_t last_poll_ns;
	bool socket_counters;		/* TCP counted from its sockets (tcp_socket_counters) */
	struct ct_source *ct;		/* conntrack in every netns; NULL: off or failed */
	uint64_t last_ct_rescan_ns;
	uint64_t ct_overruns_logged;
	struct flow_table *table;
	struct process_cache *procs;
	struct container_cache *containers;
	struct flow_filter *filter;	/* [filter]; NULL passes everything */
	uint64_t filtered;		/* records the filter dropped */
	struct export_sink *sinks[CONFIG_MAX_COLLECTORS + 1];
	int n_sinks;
	uint64_t last_stats_ns;
	uint64_t last_snapshot_ns;
	uint64_t activity_lost;		/* close events and activity marks lost, at the last snapshot */
	bool sweeping;			/* this expiry pass asks the kernel which sockets are gone */
	uint64_t drain_now_ns;		/* one clock read per ring-buffer drain */
	struct metrics_server *metrics;	/* [metrics] listen; NULL: off */
	int exit_status;
};

static void update_clock(struct daemon *d)
{
	uint64_t mono = now_ns();
	uint64_t real = clock_ns(CLOCK_REALTIME);

	flow_table__set_clock(d->table, (int64_t)(real - mono));
}

/* The enrich stage: who is behind an end, from the caches (at most small local file reads). */
static void enrich(struct daemon *d, struct flow_process *p)
{
	if (!p->pid)
		return;
	process_cache__fill(d->procs, p, d->drain_now_ns);
	if (p->cgroup_id)
		container_cache__fill(d->containers, p->cgroup_id, p->cgroup, sizeof(p->cgroup),
				      &p->container);
}

static void on_record(void *ctx, const struct flow_record *r)
{
	struct daemon *d = ctx;
	struct flow_record rec = *r;
	int i;

	enrich(d, &rec.client);
	enrich(d, &rec.server);
	if (!flow_filter__pass(d->filter, &rec)) {
		d->filtered++;
		return;
	}
	for (i = 0; i < d->n_sinks; i++)
		export_sink__add(d->sinks[i], &rec);
}

static void on_sock_event(void *ctx, const struct sf_event *e)
{
	struct daemon *d = ctx;

	flow_table__observe(d->table, e, d->drain_now_ns);
}

/* exec/fork/exit keep the process cache current, so short-lived processes stay named. */
static void on_proc_event(void *ctx, const struct sf_proc_event *e)
{
	struct daemon *d = ctx;
	struct process_exec x;

	switch (e->type) {
	case SF_EVENT_EXEC:
		memset(&x, 0, sizeof(x));
		x.pid = e->pid;
		x.ppid = e->ppid;
		x.uid = e->uid;
		x.start_boottime_ns = e->start_boottime_ns;
		memcpy(x.comm, e->comm, sizeof(x.comm) - 1);
		memcpy(x.exe, e->exe, MIN(sizeof(x.exe), sizeof(e->exe)) - 1);
		x.args_len = MIN(e->args_len, sizeof(x.args));
		memcpy(x.args, e->args, x.args_len);
		process_cache__exec(d->procs, &x);
		break;
	case SF_EVENT_FORK:
		process_cache__fork(d->procs, e->ppid, e->parent_start_boottime_ns, e->pid,
				    e->start_boottime_ns, d->drain_now_ns);
		break;
	case SF_EVENT_EXIT:
		process_cache__exit(d->procs, e->pid, e->start_boottime_ns, d->drain_now_ns);
		break;
	}
}

static void on_cgroup_event(void *ctx, const struct sf_cgroup_event *e)
{
	struct daemon *d = ctx;
	char path[SF_PATH_LEN];

	memcpy(path, e->path, sizeof(path));
	path[sizeof(path) - 1] = '\0';
	container_cache__cgroup_created(d->containers, e->id, path);
}

/* What the last poll learnt of a socket. */
struct tcp_info_entry {
	uint64_t cookie;
	struct sf_tcp_quality q;
	struct sf_counters cnt;		/* tcp_socket_counters: TCP's own counts, octets estimated */
	uint64_t last_ns;		/* tcp_socket_counters: last data or ACK, CLOCK_MONOTONIC */
};

/*
 * A socket's live state: counters from the BPF snapshot (or, counted from
 * the sockets themselves, from the last poll), TCP_INFO from the last poll
 * (alone when the socket had no packets since the snapshot before: zero
 * counters and no process leave the flow's as they are).
 */
static int read_live(void *ctx, uint64_t cookie, bool first, struct sf_live *live)
{
	struct daemon *d = ctx;
	const struct tcp_info_entry *polled;
	int err;

	polled = g_hash_table_lookup(d->tcp_info, &cookie);
	err = bpf_source__read(d->src, cookie, first || d->sweeping, live);
	if (err == -EAGAIN && polled) {
		memset(live, 0, sizeof(*live));
		live->cookie = cookie;
		err = 0;
	}
	if (err || !polled)
		return err;
	live->q.srtt_us = polled->q.srtt_us;
	live->q.rttvar_us = polled->q.rttvar_us;
	if (polled->q.total_retrans > live->q.total_retrans)
		live->q.total_retrans = polled->q.total_retrans;
	if (d->socket_counters) {
		live->cnt = polled->cnt;
		if (polled->last_ns > live->last_ns)
			live->last_ns = polled->last_ns;
	}
	return 0;
}

static void on_diag_socket(void *ctx, const struct diag_socket *s)
{
	struct daemon *d = ctx;
	struct tcp_info_entry *e;
	uint64_t idle_ns;

	if (!s->has_info)
		return;
	e = g_new0(struct tcp_info_entry, 1);
	e->cookie = s->cookie;
	e->q.srtt_us = s->info.rtt_us;
	e->q.rttvar_us = s->info.rttvar_us;
	e->q.total_retrans = s->info.total_retrans;
	if (d->socket_counters) {
		socket_counters__from_diag(&e->cnt, s);
		idle_ns = (uint64_t)s->info.idle_ms * 1000000;
		e->last_ns = d->last_poll_ns > idle_ns ? d->last_poll_ns - idle_ns : 0;
	}
	g_hash_table_replace(d->tcp_info, &e->cookie, e);
}

/* The flows of the sockets the last poll found: their counters may have moved. */
static void wake_polled(struct daemon *d)
{
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, d->tcp_info);
	while (g_hash_table_iter_next(&it, &key, NULL))
		flow_table__wake(d->table, *(uint64_t *)key);
}

/*
 * TCP_INFO of every socket in every network namespace, for the RTT and
 * retransmissions of live flows' interim records. A namespace that goes
 * away while it is polled is counted and skipped.
 */
static void poll_tcp_info(struct daemon *d, uint64_t now)
{
	int err;

	g_hash_table_remove_all(d->tcp_info);
	/*
	 * Only the sockets of flows with activity since the last poll (an idle
	 * socket's TCP_INFO has nothing new), each asked for by its tuple.
	 * Counted from the sockets themselves, activity is only known from
	 * here: every live socket is asked for, and its flow looks again.
	 */
	g_array_set_size(d->live_sockets, 0);
	flow_table__live_sockets(d->table, d->live_sockets,
				 d->socket_counters ? 0 : d->last_poll_ns);
	d->last_poll_ns = now;	/* the poll's time, for on_diag_socket() too */
	_Static_assert(sizeof(struct flow_socket) == sizeof(struct diag_lookup) &&
		       offsetof(struct flow_socket, tuple) == offsetof(struct diag_lookup, tuple),
		       "a flow socket is a diag lookup");
	err = diag_poller__lookup(d->diag, (struct diag_lookup *)d->live_sockets->data,
				  d->live_sockets->len, on_diag_socket, d, &d->diag_stats);
	d->diag_vanished += d->diag_stats.namespaces_vanished;
	if (err)
		log_warn("sock_diag: poll failed: %s", strerror(-err));
	if (d->socket_counters)
		wake_polled(d);
	log_debug("sock_diag: %u namespaces (%u vanished, %u failed), %" G_GUINT64_FORMAT
		  " sockets in %.1f ms", d->diag_stats.namespaces,
		  d->diag_stats.namespaces_vanished, d->diag_stats.namespaces_failed,
		  d->diag_stats.sockets, d->diag_stats.duration_ns / 1e6);
}

static int read_udp(void *ctx, const struct sf_udp_key *key, bool forget, struct sf_udp_flow *now)
{
	struct daemon *d = ctx;

	return bpf_source__udp_read(d->src, key, forget, now);
}

/*
 * A fresh snapshot: read the kernel's socket counters and hand every UDP
 * conversation to the table (only fresh ones: a conversation the table
 * ended is deleted from the kernel, and a stale copy would revive it).
 */
static void snapshot(struct daemon *d, uint64_t now, bool final)
{
	const struct sf_udp_live *udp;
	const struct sf_live *live;
	struct bpf_source_stats bs;
	uint64_t lost;
	size_t n, i;
	int err;

	err = bpf_source__snapshot(d->src);
	if (err) {
		log_warn("bpf: reading live counters failed: %s", strerror(-err));
		return;
	}
	d->last_snapshot_ns = now;
	/* Only sockets with packets since the last snapshot are in it: their flows wake. */
	n = bpf_source__live(d->src, &live);
	for (i = 0; i < n; i++)
		flow_table__wake(d->table, live[i].cookie);
	/*
	 * A close event or an activity mark the kernel could not keep: some
	 * quiet flow may have ended or moved unseen. Every flow is looked at.
	 */
	if (bpf_source__stats(d->src, &bs) == 0) {
		lost = bs.v[SF_STAT_RINGBUF_FULL] + bs.v[SF_STAT_ACTIVE_FULL];
		if (lost != d->activity_lost) {
			flow_table__wake_all(d->table);
			d->sweeping = true;
		}
		d->activity_lost = lost;
	}
	n = bpf_source__udp(d->src, &udp);
	for (i = 0; i < n; i++)
		flow_table__observe_udp(d->table, &udp[i], now, final);
}

static void free_sinks(struct daemon *d)
{
	int i;

	for (i = 0; i < d->n_sinks; i++)
		export_sink__free(d->sinks[i]);
	d->n_sinks = 0;
}

/* Compile @cfg's [filter] into *@out; 0, or -errno after logging why. */
static int open_filter(const struct config *cfg, struct flow_filter **out)
{
	unsigned int n_include, n_exclude;
	char msg[512];
	int err;

	err = flow_filter__new(out, &cfg->filter, msg, sizeof(msg));
	if (err) {
		log_error("filter: %s", msg);
		return err;
	}
	flow_filter__rules(*out, &n_include, &n_exclude);
	if (n_include || n_exclude)
		log_info("filter: %u include and %u exclude pattern(s); filtered flows are "
			 "still tracked, only not exported", n_include, n_exclude);
	return 0;
}

/* Everything the daemon counts now: for the stats lines and the metrics endpoint. */
static void fill_snapshot(void *ctx, struct metrics_snapshot *s)
{
	struct daemon *d = ctx;
	int i;

	bpf_source__stats(d->src, &s->bpf);
	flow_table__stats(d->table, &s->table);
	s->filtered = d->filtered;
	s->processes_cached = process_cache__size(d->procs);
	s->diag_namespaces = d->diag_stats.namespaces;
	s->diag_sockets = d->diag_stats.sockets;
	s->diag_seconds = d->diag_stats.duration_ns / 1e9;
	s->diag_vanished = d->diag_vanished;
	s->conntrack = d->ct != NULL;
	if (d->ct)
		ct_source__stats(d->ct, &s->ct);
	s->n_sinks = d->n_sinks;
	for (i = 0; i < d->n_sinks; i++) {
		s->sink_names[i] = export_sink__name(d->sinks[i]);
		export_sink__stats(d->sinks[i], &s->sinks[i]);
	}
	s->kernel = bpf_source__kernel(d->src);
}

/* Log the counters, and send the loss counters to every sink (IPFIX: an options record). */
static void log_stats(struct daemon *d, const char *when)
{
	struct export_loss_stats loss;
	struct metrics_snapshot s = { 0 };
	const uint64_t *v = s.bpf.v;
	int i;

	fill_snapshot(d, &s);
	loss = (struct export_loss_stats){
		.ringbuf_events_lost = v[SF_STAT_RINGBUF_FULL],
		.process_events_lost = v[SF_STAT_PROC_EVENTS_LOST],
		.sockets_not_tracked = v[SF_STAT_SOCKS_FULL],
		.handshake_map_full = v[SF_STAT_HANDSHAKE_FULL],
		.flows_evicted = s.table.evicted,
		.flows_filtered = s.filtered,
		.tcp_counts_estimated = d->socket_counters,
	};
	/* A lost report is counted nowhere: the next one carries the same totals. */
	for (i = 0; i < d->n_sinks; i++) {
		export_sink__add_stats(d->sinks[i], &loss);
		export_sink__stats(d->sinks[i], &s.sinks[i]);
	}
	stats_lines__log(&s, when);
	if (s.conntrack && s.ct.overruns > d->ct_overruns_logged)
		log_warn("conntrack: events lost %" G_GUINT64_FORMAT " time(s) (receive "
			 "buffer full; raise kernel.conntrack_rcvbuf_kib): tables re-read",
			 s.ct.overruns - d->ct_overruns_logged);
	d->ct_overruns_logged = s.ct.overruns;
}

/* A connection conntrack translated somewhere on this host. */
static void on_nat(void *ctx, const struct ct_nat *n)
{
	struct daemon *d = ctx;
	struct flow_nat_binding b = {
		.family = n->family,
		.protocol = n->protocol,
		.nat = (n->nat & CT_NAT_SRC ? FLOW_NAT_SRC : 0) |
		       (n->nat & CT_NAT_DST ? FLOW_NAT_DST : 0),
		.netns_ino = n->netns_ino,
	};

	memcpy(b.orig.src, n->orig.src, sizeof(b.orig.src));
	memcpy(b.orig.dst, n->orig.dst, sizeof(b.orig.dst));
	b.orig.sport = n->orig.sport;
	b.orig.dport = n->orig.dport;
	memcpy(b.reply.src, n->reply.src, sizeof(b.reply.src));
	memcpy(b.reply.dst, n->reply.dst, sizeof(b.reply.dst));
	b.reply.sport = n->reply.sport;
	b.reply.dport = n->reply.dport;
	flow_table__nat(d->table, &b, d->drain_now_ns);
}

/*
 * Hand every pending kernel event to the flow table: conntrack's first, so
 * a translated connection's binding is there when its sockets' events come
 * (conntrack reports it at the first packet, the sockets at the handshake).
 */
static int drain(struct daemon *d)
{
	int err;

	d->drain_now_ns = now_ns();
	if (d->ct) {
		err = ct_source__drain(d->ct);
		if (err < 0 && err != -EAGAIN)
			log_warn("conntrack: reading events failed: %s", strerror(-err));
	}
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
	 * it. A snapshot reads the sockets with packets since the last one (and
	 * the UDP conversations): one as often as the table reads live counters.
	 */
	drain(d);
	now = now_ns();
	if (now - d->last_snapshot_ns >= flow_table__refresh_interval(d->table))
		snapshot(d, now, false);
	if (d->ct && now - d->last_ct_rescan_ns >= CT_RESCAN_NS) {
		d->last_ct_rescan_ns = now;
		ct_source__rescan(d->ct);
	}
	if (d->diag && d->cfg->poll_interval_s &&
	    now - d->last_poll_ns >= (uint64_t)d->cfg->poll_interval_s * 1000000000ull)
		poll_tcp_info(d, now);
	update_clock(d);
	flow_table__expire(d->table, now);
	process_cache__expire(d->procs, now);
	for (i = 0; i < d->n_sinks; i++)
		export_sink__flush(d->sinks[i], now / 1000000);
	export__log_drops(d->sinks, d->n_sinks);
	d->sweeping = false;
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
	service_notify__stopping();
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
 * and swap in the new exporters, timeouts and filter. Flows stay in the table, so
 * nothing is counted twice or lost; a bad file keeps the running
 * configuration.
 */
static void apply_reload(struct daemon *d)
{
	struct export_sink *sinks[CONFIG_MAX_COLLECTORS + 1];
	struct flow_filter *filter;
	struct export_stats es;
	struct config next;
	int n, i, retired;

	if (d->reload(d->reload_ctx, &next) || open_filter(&next, &filter)) {
		log_error("reload: keeping the running configuration");
		return;
	}
	n = export__reopen_sinks(&next, d->sinks, d->n_sinks, sinks);
	if (n < 0) {
		flow_filter__free(filter);
		log_error("reload: keeping the running exporters");
		return;
	}
	/* What no collector of the new configuration is any more: flushed and closed. */
	for (i = 0, retired = 0; i < d->n_sinks; i++) {
		if (!d->sinks[i])
			continue;
		export_sink__flush(d->sinks[i], mono_ms());
		export_sink__stats(d->sinks[i], &es);
		if (es.records > es.records_sent + es.records_lost)
			log_warn("reload: %s closed with %" G_GUINT64_FORMAT " records not sent: lost",
				 export_sink__name(d->sinks[i]),
				 es.records - es.records_sent - es.records_lost);
		export_sink__free(d->sinks[i]);
		retired++;
	}
	log_info("reload: %d exporter(s) kept with their queues and counters, %d opened, "
		 "%d closed", d->n_sinks - retired, n - (d->n_sinks - retired), retired);
	memcpy(d->sinks, sinks, sizeof(sinks[0]) * n);
	d->n_sinks = n;
	flow_filter__free(d->filter);
	d->filter = filter;
	if (next.max_sockets != d->cfg->max_sockets || next.ringbuf_kib != d->cfg->ringbuf_kib ||
	    next.max_udp_flows != d->cfg->max_udp_flows)
		log_warn("reload: kernel map sizes apply at the next start only");
	next.max_sockets = d->cfg->max_sockets;
	next.max_udp_flows = d->cfg->max_udp_flows;
	next.ringbuf_kib = d->cfg->ringbuf_kib;
	if (strcmp(next.metrics_listen, d->cfg->metrics_listen))
		log_warn("reload: [metrics] listen applies at the next start only");
	memcpy(next.metrics_listen, d->cfg->metrics_listen, sizeof(next.metrics_listen));
	if (next.disabled_mechanisms != d->cfg->disabled_mechanisms)
		log_warn("reload: [kernel] disable_mechanisms applies at the next start only");
	next.disabled_mechanisms = d->cfg->disabled_mechanisms;
	memcpy(next.disable_mechanisms, d->cfg->disable_mechanisms,
	       sizeof(next.disable_mechanisms));
	*d->cfg = next;
	{
		struct flow_timeouts t = timeouts_of(d->cfg);

		flow_table__set_timeouts(d->table, &t);
	}
	log_info("reload: %s applied, %d exporter(s)",
		 d->cfg->path[0] ? d->cfg->path : "built-in defaults and options", n);
}

/* SIGHUP, bracketed for systemd (Type=notify): RELOADING=1 ... READY=1. */
static gboolean on_reload(gpointer data)
{
	service_notify__reloading();
	apply_reload(data);
	service_notify__ready();
	return G_SOURCE_CONTINUE;
}

/* A map read as the loop does them, for privileges__drop(). */
static int check_bpf_access(void *ctx)
{
	struct daemon *d = ctx;

	return bpf_source__check_access(d->src);
}

/* One line per capability: the mechanism chosen, what was refused, what is lost. */
static void log_kernel_choice(const struct kernel_probe *kp)
{
	char line[2048];
	int c;

	for (c = 0; c < SF_CAP__MAX; c++) {
		loader__describe(kp, c, line, sizeof(line));
		if (kp->chosen[c] == SF_MECH_NONE)
			log_warn("kernel: %s", line);
		else
			log_info("kernel: %s", line);
	}
	log_debug("kernel: mechanisms probed in %.1f ms", kp->probe_ns / 1e6);
}

int daemon_probe(const struct config *cfg)
{
	struct kernel_probe kp;
	char msg[1024], *table;
	int err;

	err = bpf_source__probe(&(struct bpf_source_options){
		.max_sockets = cfg->max_sockets,
		.max_udp_flows = cfg->max_udp_flows,
		.ringbuf_kib = cfg->ringbuf_kib,
		.disabled_mechanisms = cfg->disabled_mechanisms,
	}, &kp, msg, sizeof(msg));
	table = loader__table(&kp);
	fputs(table, stdout);
	g_free(table);
	table = privileges__table();
	fputs(table, stdout);
	g_free(table);
	if (err)
		log_error("bpf: %s", msg);
	return err;
}

int daemon_run(struct config *cfg, daemon_reload_fn reload, void *reload_ctx)
{
	struct daemon d = { .cfg = cfg, .reload = reload, .reload_ctx = reload_ctx };
	struct bpf_source_options so;
	struct flow_table_options to;
	char msg[1024];
	enum log_level level;
	guint signals;
	int n, err;

	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);
	/*
	 * Handlers before anything slow (loading the BPF programs takes a while): a
	 * SIGTERM or SIGINT during start-up then stops sockflow cleanly as soon as its
	 * loop runs, instead of killing it; a SIGHUP reloads then.
	 */
	signals = signal_source__add(on_stop, on_reload, &d);
	if (!signals) {
		err = -errno;
		log_error("signals: watching SIGTERM, SIGINT and SIGHUP failed: %s", strerror(-err));
		return err;
	}

	err = open_filter(cfg, &d.filter);
	if (err)
		goto err_free_filter;
	n = export__open_sinks(cfg, d.sinks);
	if (n < 0) {
		err = n;
		goto err_free_filter;
	}
	d.n_sinks = n;

	to = (struct flow_table_options){
		.max_flows = cfg->max_flows,
		.timeouts = timeouts_of(cfg),
		.emit = on_record,
		.emit_ctx = &d,
		.read = read_live,
		.udp_read = read_udp,
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
		.max_udp_flows = cfg->max_udp_flows,
		.ringbuf_kib = cfg->ringbuf_kib,
		.disabled_mechanisms = cfg->disabled_mechanisms,
		.on = {
			.sock = on_sock_event,
			.proc = on_proc_event,
			.cgroup = on_cgroup_event,
			.ctx = &d,
		},
	};
	d.procs = process_cache__new(&(struct process_cache_options){
		.proc_root = "/proc",
		.max_entries = PROCESS_CACHE_ENTRIES,
		.exit_retention_ns = PROCESS_EXIT_RETENTION_NS,
	});
	if (!d.procs) {
		err = -ENOMEM;
		goto err_free_table;
	}
	privileges__check();
	err = bpf_source__new(&d.src, &so, msg, sizeof(msg));
	if (err) {
		log_error("bpf: %s", msg);
		goto err_free_procs;
	}
	log_kernel_choice(bpf_source__kernel(d.src));
	d.socket_counters = bpf_source__socket_counters(d.src);
	d.containers = container_cache__new(&(struct container_cache_options){
		.cgroup2_root = bpf_source__cgroup2_root(d.src),
		.state_root = "/",
		.refresh_ns = CONTAINER_REFRESH_NS,
	});
	if (!d.containers) {
		err = -ENOMEM;
		goto err_free_src;
	}

	d.drain_now_ns = now_ns();
	d.tcp_info = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	d.live_sockets = g_array_new(FALSE, FALSE, sizeof(struct flow_socket));
	err = diag_poller__new(&d.diag, &(struct diag_poller_options){ .proc_root = "/proc" });
	if (err)
		log_warn("sock_diag: no poller (%s): live flows' records carry RTT and "
			 "retransmissions only from the kernel's tracepoints", strerror(-err));
	if (d.socket_counters && (!d.diag || !cfg->poll_interval_s))
		log_warn("tcp_socket_counters without sock_diag polls: a TCP flow's packets "
			 "and octets are known only at its end (no interim counts)");
	if (cfg->conntrack_rcvbuf_kib) {
		err = ct_source__new(&d.ct, &(struct ct_source_options){
			.proc_root = "/proc",
			.netns_dir = "/run/netns",
			.rcvbuf_bytes = cfg->conntrack_rcvbuf_kib * 1024,
			.on_nat = on_nat,
			.ctx = &d,
		}, msg, sizeof(msg));
		if (err)
			log_warn("conntrack: %s: records carry no tuples after NAT, and connections "
				 "through NAT are not joined", msg);
		d.last_ct_rescan_ns = now_ns();
	}
	n = bpf_source__adopt_existing(d.src);
	if (n == -ENOTSUP)
		;	/* no mechanism: said with the kernel lines */
	else if (n < 0)
		log_warn("bpf: finding the connections open before start failed: %s; they are "
			 "not exported", strerror(-n));
	else
		log_info("found %d TCP connection(s) open before start; their records say the "
			 "start time is not known", n);

	d.loop = g_main_loop_new(NULL, FALSE);
	g_unix_fd_add(bpf_source__fd(d.src), G_IO_IN, on_ring_ready, &d);
	g_timeout_add(DRAIN_INTERVAL_MS, on_drain, &d);
	g_timeout_add(TICK_INTERVAL_MS, on_tick, &d);
	if (cfg->metrics_listen[0]) {
		d.metrics = metrics_server__new(cfg->metrics_listen, fill_snapshot, &d, msg,
						sizeof(msg));
		if (!d.metrics)
			log_warn("%s: no metrics endpoint", msg);
		else
			log_info("metrics: Prometheus text at http://%s/metrics", cfg->metrics_listen);
	}
	signal(SIGPIPE, SIG_IGN);
	d.last_stats_ns = now_ns();
	/* Everything is loaded, attached and opened: what only that needed goes. */
	privileges__drop(check_bpf_access, &d);

	log_info("running: %d exporter(s), active timeout %us, idle timeout %us", d.n_sinks,
		 cfg->active_timeout_s, cfg->idle_timeout_s);
	err = service_notify__ready();
	if (err)
		log_warn("systemd: sending READY=1 to NOTIFY_SOCKET failed: %s", strerror(-err));
	g_main_loop_run(d.loop);

	drain(&d);
	snapshot(&d, now_ns(), true);
	/* Counted from the sockets themselves, open flows learn their last counts from a poll. */
	if (d.socket_counters && d.diag)
		poll_tcp_info(&d, now_ns());
	update_clock(&d);
	flow_table__flush(d.table, now_ns());
	export__drain_sinks(d.sinks, d.n_sinks, cfg->exit_drain_s);
	export__log_drops(d.sinks, d.n_sinks);
	log_stats(&d, " at exit");
	g_main_loop_unref(d.loop);
	diag_poller__free(d.diag);
	metrics_server__free(d.metrics);
	ct_source__free(d.ct);
	g_hash_table_destroy(d.tcp_info);
	g_array_free(d.live_sockets, TRUE);
	err = 0;
	container_cache__free(d.containers);
err_free_src:
	bpf_source__free(d.src);
err_free_procs:
	process_cache__free(d.procs);
err_free_table:
	flow_table__free(d.table);
err_free_sinks:
	free_sinks(&d);
err_free_filter:
	flow_filter__free(d.filter);
	g_source_remove(signals);
	return err;
}
