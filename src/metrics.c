// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Prometheus endpoint ([metrics] listen): every counter of the stats
 * lines, named and typed the Prometheus way (sockflow_ prefix, counters
 * ending in _total), served over a minimal HTTP/1.0 on the daemon's main
 * loop. A scrape is one short request and one reply of a few KiB: the
 * socket is non-blocking, a client that sends nothing useful in 2 s or
 * cannot take the reply is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "metrics.h"

#define METRICS_REQUEST_MAX 4096

struct metrics_server {
	int fd;
	guint watch;
	metrics_snapshot_fn fill;
	void *ctx;
};

/* One metric family: its HELP and TYPE lines. */
static void family(GString *out, const char *name, const char *type, const char *help)
{
	g_string_append_printf(out, "# HELP sockflow_%s %s\n# TYPE sockflow_%s %s\n", name, help,
			       name, type);
}

static void sample(GString *out, const char *name, const char *labels, double v)
{
	g_string_append_printf(out, "sockflow_%s%s %.17g\n", name, labels ? labels : "", v);
}

/* A family of one sample without labels. */
static void single(GString *out, const char *name, const char *type, const char *help,
		   double v)
{
	family(out, name, type, help);
	sample(out, name, NULL, v);
}

/* @s as a label value: backslash, quote and newline escaped. */
static char *label_value(const char *s)
{
	GString *v = g_string_new(NULL);

	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			g_string_append_c(v, '\\');
		if (*s == '\n')
			g_string_append(v, "\\n");
		else
			g_string_append_c(v, *s);
	}
	return g_string_free(v, FALSE);
}

static void render_kernel(const struct metrics_snapshot *s, GString *out)
{
	const struct bpf_source_stats *b = &s->bpf;

	single(out, "kernel_events_total", "counter", "Socket events the BPF programs submitted.",
	       b->v[SF_STAT_EVENTS]);
	family(out, "kernel_lost_total", "counter",
	       "What the kernel side could not keep, by reason.");
	sample(out, "kernel_lost_total", "{reason=\"ringbuf_full\"}", b->v[SF_STAT_RINGBUF_FULL]);
	sample(out, "kernel_lost_total", "{reason=\"process_events_ringbuf_full\"}",
	       b->v[SF_STAT_PROC_EVENTS_LOST]);
	sample(out, "kernel_lost_total", "{reason=\"socket_map_full\"}", b->v[SF_STAT_SOCKS_FULL]);
	sample(out, "kernel_lost_total", "{reason=\"handshake_map_full\"}",
	       b->v[SF_STAT_HANDSHAKE_FULL]);
	sample(out, "kernel_lost_total", "{reason=\"udp_map_full\"}", b->v[SF_STAT_UDP_FULL]);
	sample(out, "kernel_lost_total", "{reason=\"udp_owner_not_kept\"}",
	       b->v[SF_STAT_UDP_OWNERS_FULL]);
	sample(out, "kernel_lost_total", "{reason=\"activity_mark_not_kept\"}",
	       b->v[SF_STAT_ACTIVE_FULL]);
}

static void render_flows(const struct metrics_snapshot *s, GString *out)
{
	single(out, "flows", "gauge", "Flows in the flow table now.", s->table.flows);
	single(out, "flows_created_total", "counter", "Flows the flow table started.",
	       s->table.created);
	single(out, "flows_evicted_total", "counter",
	       "Flows ended early because the flow table was full (flowEndReason 5).",
	       s->table.evicted);
	single(out, "records_total", "counter", "Flow records the flow table emitted.",
	       s->table.records);
	single(out, "records_filtered_total", "counter",
	       "Flow records the [filter] rules left out, on purpose.", s->filtered);
	single(out, "processes_cached", "gauge", "Processes in the process cache now.",
	       s->processes_cached);
	single(out, "nat_bindings", "gauge", "Translated connections known now (conntrack).",
	       s->table.nat_bindings);
	single(out, "sock_diag_namespaces", "gauge",
	       "Network namespaces the last sock_diag poll read.", s->diag_namespaces);
	single(out, "sock_diag_sockets", "gauge", "Sockets the last sock_diag poll read.",
	       s->diag_sockets);
	single(out, "sock_diag_poll_seconds", "gauge", "How long the last sock_diag poll took.",
	       s->diag_seconds);
	single(out, "sock_diag_namespaces_vanished_total", "counter",
	       "Network namespaces gone while they were polled.", s->diag_vanished);
}

static void render_conntrack(const struct metrics_snapshot *s, GString *out)
{
	const struct ct_source_stats *c = &s->ct;

	if (!s->conntrack)
		return;
	single(out, "conntrack_namespaces", "gauge", "Network namespaces whose conntrack is read.",
	       c->namespaces);
	single(out, "conntrack_events_total", "counter", "conntrack NEW events read.", c->events);
	single(out, "conntrack_translated_events_total", "counter",
	       "conntrack NEW events of translated connections.", c->nat_events);
	single(out, "conntrack_overruns_total", "counter",
	       "Times conntrack events were lost (receive buffer full); each is made up for "
	       "by re-reading the table.", c->overruns);
	single(out, "conntrack_resyncs_total", "counter", "conntrack tables re-read after an overrun.",
	       c->resyncs);
	single(out, "conntrack_resyncs_failed_total", "counter",
	       "conntrack table re-reads that failed (retried).", c->resync_failed);
}

static void render_exporters(const struct metrics_snapshot *s, GString *out)
{
	static const struct {
		const char *name, *type, *help;
		size_t offset;
	} fields[] = {
		{ "exporter_records_total", "counter", "Flow records handed to the exporter.",
		  offsetof(struct export_stats, records) },
		{ "exporter_records_sent_total", "counter",
		  "Flow records the exporter sent (TCP: acknowledged by the collector's kernel).",
		  offsetof(struct export_stats, records_sent) },
		{ "exporter_records_lost_total", "counter",
		  "Flow records the exporter lost (collector down and queue full, send errors, "
		  "TCP: never acknowledged when the connection died).",
		  offsetof(struct export_stats, records_lost) },
		{ "exporter_records_unconfirmed_total", "counter",
		  "Flow records counted sent (TCP: acknowledged) that a collector which reset "
		  "the connection may have left unread; an upper bound.",
		  offsetof(struct export_stats, records_unconfirmed) },
		{ "exporter_messages_sent_total", "counter", "Messages the exporter sent.",
		  offsetof(struct export_stats, messages_sent) },
		{ "exporter_send_errors_total", "counter", "Sends that failed.",
		  offsetof(struct export_stats, send_errors) },
		{ "exporter_connects_total", "counter", "TCP connections to the collector made.",
		  offsetof(struct export_stats, reconnects) },
	};
	char *labels[CONFIG_MAX_COLLECTORS + 1], *name;
	size_t f;
	int i;

	for (i = 0; i < s->n_sinks; i++) {
		name = label_value(s->sink_names[i]);
		labels[i] = g_strdup_printf("{exporter=\"%s\"}", name);
		g_free(name);
	}
	for (f = 0; f < G_N_ELEMENTS(fields); f++) {
		family(out, fields[f].name, fields[f].type, fields[f].help);
		for (i = 0; i < s->n_sinks; i++)
			sample(out, fields[f].name, labels[i],
			       *(const uint64_t *)((const char *)&s->sinks[i] + fields[f].offset));
	}
	family(out, "exporter_up", "gauge", "1 if the exporter's collector is reachable now "
	       "(TCP connected; UDP and files always 1).");
	for (i = 0; i < s->n_sinks; i++) {
		sample(out, "exporter_up", labels[i], s->sinks[i].connected);
		g_free(labels[i]);
	}
}

/* Which mechanism each capability uses, as an info metric. */
static void render_capabilities(const struct metrics_snapshot *s, GString *out)
{
	char labels[256];
	enum sf_mech m;
	int c;

	if (!s->kernel)
		return;
	family(out, "capability_info", "gauge", "The kernel mechanism each capability uses "
	       "(mechanism=\"none\": none works here); always 1.");
	for (c = 0; c < SF_CAP__MAX; c++) {
		m = s->kernel->chosen[c];
		snprintf(labels, sizeof(labels), "{capability=\"%s\",mechanism=\"%s\"}",
			 sf_cap__info(c)->name, m == SF_MECH_NONE ? "none" : sf_mech__info(m)->name);
		sample(out, "capability_info", labels, 1);
	}
}

void metrics__render(const struct metrics_snapshot *s, GString *out)
{
	render_flows(s, out);
	render_kernel(s, out);
	render_conntrack(s, out);
	render_exporters(s, out);
	render_capabilities(s, out);
}

/* Answer one request on @fd (blocking, bounded by its timeouts) and close it. */
static void serve(struct metrics_server *m, int fd)
{
	struct timeval tv = { .tv_sec = 2 };
	char req[METRICS_REQUEST_MAX + 1];
	struct metrics_snapshot snap;
	const char *status;
	GString *body, *reply;
	size_t len = 0, off;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The request line and headers, up to the blank line. */
	while (len < METRICS_REQUEST_MAX) {
		n = read(fd, req + len, METRICS_REQUEST_MAX - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[len] = '\0';
	body = g_string_new(NULL);
	if (!strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13)) {
		memset(&snap, 0, sizeof(snap));
		m->fill(m->ctx, &snap);
		metrics__render(&snap, body);
		status = "200 OK";
	} else if (!strncmp(req, "GET ", 4)) {
		g_string_append(body, "sockflow: metrics are at /metrics\n");
		status = "404 Not Found";
	} else {
		g_string_append(body, "sockflow: only GET /metrics\n");
		status = "405 Method Not Allowed";
	}
	reply = g_string_new(NULL);
	g_string_append_printf(reply, "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; "
			       "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			       status, body->len);
	g_string_append_len(reply, body->str, (gssize)body->len);
	for (off = 0; off < reply->len; off += (size_t)n) {
		n = write(fd, reply->str + off, reply->len - off);
		if (n <= 0)
			break;
	}
	g_string_free(body, TRUE);
	g_string_free(reply, TRUE);
	close(fd);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	struct metrics_server *m = data;
	int c;

	(void)cond;
	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		serve(m, c);
	return G_SOURCE_CONTINUE;
}

struct metrics_server *metrics_server__new(const char *addr, metrics_snapshot_fn fill,
					   void *ctx, char *msg, size_t msg_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	struct metrics_server *m;
	char host[256], port[8];
	int one = 1, fd = -1, rc;

	if (config__parse_listen(addr, host, sizeof(host), port, sizeof(port), msg, msg_len))
		return NULL;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(msg, msg_len, "metrics: %s: %s", addr, gai_strerror(rc));
		return NULL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		snprintf(msg, msg_len, "metrics: listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return NULL;
	}
	freeaddrinfo(ai);
	m = g_new0(struct metrics_server, 1);
	m->fd = fd;
	m->fill = fill;
	m->ctx = ctx;
	m->watch = g_unix_fd_add(fd, G_IO_IN, on_accept, m);
	return m;
}

void metrics_server__free(struct metrics_server *m)
{
	if (!m)
		return;
	g_source_remove(m->watch);
	close(m->fd);
	g_free(m);
}
