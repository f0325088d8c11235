// SPDX-License-Identifier: GPL-2.0-only
/* From a configuration to its sinks: settings checked, sinks opened, reopened and drained. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <unistd.h>

#include <string.h>

#include <glib.h>

#include "clock.h"
#include "export/export.h"
#include "export/field_list.h"
#include "export/pmacct.h"
#include "export/sink.h"
#include "flow/record.h"
#include "log.h"

/* Whether running sink @j is already taken by one of the first @i wanted ones. */
static bool sink_taken(const int *from, int i, int j)
{
	int k;

	for (k = 0; k < i; k++)
		if (from[k] == j)
			return true;
	return false;
}

void export_options__of(const struct config *cfg, const struct collector *c,
			struct export_options *opts)
{
	*opts = (struct export_options){
		.observation_domain_id = c->has_observation_domain ? c->observation_domain
								   : cfg->observation_domain_id,
		.template_refresh_s = cfg->template_refresh_s,
		.template_refresh_messages = cfg->template_refresh_messages,
		.template_gap_s = cfg->template_gap_s,
		.buffer_records = cfg->tcp_buffer_records,
		.enterprise_id = cfg->enterprise_id,
		.template_name = c->template_name[0] ? c->template_name : cfg->template,
	};
}

/*
 * The TCP queues at their fullest, all collectors together, against this
 * machine's memory: what passes here cannot fail start-up for want of it
 * (the queues grow as records wait). Returns 0 or -ENOMEM after logging.
 */
static int check_queue_memory(const struct config *cfg)
{
	uint64_t record = sizeof(struct flow_record), per_queue, total, mem;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	int i, n_tcp = 0;

	for (i = 0; i < cfg->n_collectors; i++)
		n_tcp += cfg->collectors[i].transport == COLLECTOR_TCP;
	if (!n_tcp || pages <= 0 || page <= 0)
		return 0;
	per_queue = record * cfg->tcp_buffer_records;
	total = per_queue * (uint64_t)n_tcp;
	mem = (uint64_t)pages * (uint64_t)page;
	if (total <= mem / 2)
		return 0;
	log_error("[export] tcp_buffer_records: %d TCP collector%s x %u records x %" PRIu64 " bytes "
		  "is %" PRIu64 " MiB when full, more than half of the %" PRIu64 " MiB of memory; "
		  "expected at most %" PRIu64, n_tcp, n_tcp == 1 ? "" : "s", cfg->tcp_buffer_records,
		  record, total >> 20, mem >> 20, mem / 2 / record / (uint64_t)n_tcp);
	return -ENOMEM;
}

/*
 * A collector's host name that does not resolve now: a warning, as the
 * daemon keeps looking it up (DNS may be down at boot); records meanwhile
 * are lost (UDP) or queued (TCP).
 */
static void check_resolves(const struct collector *c)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC }, *addrs;
	int rc;

	if (c->transport == COLLECTOR_FILE)
		return;
	hints.ai_socktype = c->transport == COLLECTOR_UDP ? SOCK_DGRAM : SOCK_STREAM;
	rc = getaddrinfo(c->host, c->port, &hints, &addrs);
	if (!rc) {
		freeaddrinfo(addrs);
		return;
	}
	log_warn("collector %s: %s does not resolve now (%s); sockflow keeps looking it up, "
		 "%s", c->uri, c->host, gai_strerror(rc), c->transport == COLLECTOR_UDP ?
		 "counting the records meanwhile as lost" : "queueing the records meanwhile");
}

int export__check(const struct config *cfg, bool resolve)
{
	struct export_options opts;
	char msg[512];
	int i, err;

	err = check_queue_memory(cfg);
	if (err)
		return err;
	export_options__of(cfg, &(struct collector){ 0 }, &opts);
	err = export_sink__check_ipfix(&opts, msg, sizeof(msg));
	if (err) {
		log_error("[export] template: %s", msg);
		return err;
	}
	for (i = 0; i < cfg->n_collectors; i++) {
		if (resolve)
			check_resolves(&cfg->collectors[i]);
		if (cfg->collectors[i].protocol != COLLECTOR_IPFIX)
			continue;
		export_options__of(cfg, &cfg->collectors[i], &opts);
		err = export_sink__check_ipfix(&opts, msg, sizeof(msg));
		if (err) {
			log_error("collector %s: %s", cfg->collectors[i].uri, msg);
			return err;
		}
	}
	return 0;
}

/*
 * What makes a collector the one it was: its effective settings (not its
 * URI text) and, for IPFIX, the elements of its field list as the file
 * says now. NULL: out of memory, or a field list that cannot be read (the
 * sink's own creation says why).
 */
static char *collector_identity(const struct collector *c, const struct export_options *o)
{
	struct field_list *fl = NULL;
	char msg[256];
	GString *id;
	size_t i;

	if (c->protocol == COLLECTOR_IPFIX &&
	    field_list__load(&fl, o->template_name, msg, sizeof(msg)))
		return NULL;
	id = g_string_new(NULL);
	g_string_append_printf(id, "%d %s %s %s %d %d %u %u %u %u %u %u %u %u", c->transport,
			       c->host, c->port, c->path, c->protocol, c->records,
			       o->observation_domain_id, o->template_refresh_s,
			       o->template_refresh_messages, o->template_gap_s, o->buffer_records,
			       o->enterprise_id, o->udp_message_max, fl ? (unsigned int)fl->n : 0);
	for (i = 0; fl && i < fl->n; i++)
		g_string_append_printf(id, " %s", fl->entries[i].name);
	field_list__free(fl);
	return g_string_free(id, FALSE);
}

/* The identity of sink i of @cfg (its collectors, then the print sink); as collector_identity(). */
static char *sink_identity(const struct config *cfg, int i)
{
	struct export_options opts;

	if (i == cfg->n_collectors)
		return g_strdup_printf("print %d", cfg->print);
	export_options__of(cfg, &cfg->collectors[i], &opts);
	return collector_identity(&cfg->collectors[i], &opts);
}

/* Sink i of @cfg as new; it takes @identity (may be NULL). */
static struct export_sink *open_sink(const struct config *cfg, int i, char *identity, int *err)
{
	const struct collector *c = &cfg->collectors[i];
	struct export_options opts;
	struct export_sink *s;
	char msg[512];

	if (i == cfg->n_collectors) {
		s = export_sink__new_print(stdout, cfg->print);
		*err = s ? 0 : -ENOMEM;
	} else {
		export_options__of(cfg, c, &opts);
		s = c->protocol == COLLECTOR_NETFLOW9 ?
			    export_sink__new_netflow9(c, &opts, err, msg, sizeof(msg)) :
			    export_sink__new_ipfix(c, &opts, err, msg, sizeof(msg));
		if (!s)
			log_error("export: %s: %s", c->uri, msg);
	}
	if (!s) {
		g_free(identity);
		return NULL;
	}
	s->identity = identity;
	return s;
}

/* How many sinks @cfg asks for: its collectors, and the print sink if printing. */
static int sinks_wanted(const struct config *cfg)
{
	return cfg->n_collectors + (cfg->print == PRINT_TEXT || cfg->print == PRINT_JSON);
}

int export__open_sinks(const struct config *cfg, struct export_sink **sinks)
{
	return export__reopen_sinks(cfg, NULL, 0, sinks);
}

int export__reopen_sinks(const struct config *cfg, struct export_sink **old, int n_old,
			 struct export_sink **sinks)
{
	int n = sinks_wanted(cfg), from[CONFIG_MAX_COLLECTORS + 1];
	char *id[CONFIG_MAX_COLLECTORS + 1];
	char msg[512];
	int i, j, err;

	/* As --check: at start-up, and a reload that asks for more keeps what runs. */
	err = check_queue_memory(cfg);
	if (err)
		return err;

	/* Which running sink each wanted one is: the same effective settings. */
	for (i = 0; i < n; i++) {
		from[i] = -1;
		id[i] = sink_identity(cfg, i);
		for (j = 0; id[i] && j < n_old; j++) {
			if (old[j] && old[j]->identity && !strcmp(old[j]->identity, id[i]) &&
			    !sink_taken(from, i, j)) {
				from[i] = j;
				break;
			}
		}
	}
	/*
	 * A file output that goes is flushed before its path may be opened
	 * anew: its last message must not follow the new sink's templates.
	 */
	for (j = 0; j < n_old; j++)
		if (old[j] && !sink_taken(from, n, j))
			export_sink__flush(old[j], mono_ms());
	for (i = 0; i < n; i++) {
		sinks[i] = NULL;
		if (from[i] >= 0) {
			g_free(id[i]);
			continue;
		}
		sinks[i] = open_sink(cfg, i, id[i], &err);
		if (!sinks[i]) {
			for (j = i + 1; j < n; j++)
				g_free(id[j]);
			goto err_free;
		}
	}
	/*
	 * All opened: the kept ones move over, with their queues, connections
	 * and counters; a kept file is reopened (after logrotate's move, a new
	 * file).
	 */
	for (i = 0; i < n; i++) {
		if (from[i] >= 0) {
			sinks[i] = old[from[i]];
			old[from[i]] = NULL;
			if (export_sink__reopen(sinks[i], msg, sizeof(msg)))
				log_error("reload: %s: %s; its records are counted lost until it "
					  "opens", export_sink__name(sinks[i]), msg);
		}
	}
	return n;

err_free:
	while (i > 0)
		export_sink__free(sinks[--i]);
	return err ? err : -EINVAL;
}

/* At exit, how often the sinks are flushed while collectors take what is queued. */
#define EXIT_DRAIN_POLL_MS 20

void export__drain_sinks(struct export_sink **sinks, int n, uint32_t drain_s)
{
	uint64_t deadline_ms = mono_ms() + drain_s * 1000ull;
	bool queued, left[CONFIG_MAX_COLLECTORS + 1] = { false };
	struct export_stats before, after;
	int i;

	for (;;) {
		queued = false;
		for (i = 0; i < n; i++) {
			left[i] = export_sink__drain(sinks[i], mono_ms());
			queued |= left[i];
		}
		if (!queued || mono_ms() >= deadline_ms)
			break;
		g_usleep(EXIT_DRAIN_POLL_MS * 1000);
	}
	/* Only the sinks still holding records give them up; the others still report at exit. */
	for (i = 0; i < n; i++) {
		if (!left[i])
			continue;
		export_sink__stats(sinks[i], &before);
		export_sink__abandon(sinks[i]);
		export_sink__stats(sinks[i], &after);
		if (after.records_lost > before.records_lost)
			log_warn("exit: %s did not take %" G_GUINT64_FORMAT " queued records "
				 "within exit_drain (%u s): lost", export_sink__name(sinks[i]),
				 after.records_lost - before.records_lost, drain_s);
	}
}

int export__print_pmacct_primitives(const struct config *cfg, FILE *out)
{
	struct export_options opts;
	char msg[512];
	int i, err;

	export_options__of(cfg, &(struct collector){ .template_name = "pmacct" }, &opts);
	for (i = 0; i < cfg->n_collectors; i++) {
		const struct collector *c = &cfg->collectors[i];

		if (c->protocol == COLLECTOR_IPFIX && c->records == COLLECTOR_UNIFLOW) {
			export_options__of(cfg, c, &opts);
			break;
		}
	}
	err = pmacct__print_primitives(out, &opts, msg, sizeof(msg));
	if (err)
		log_error("%s", msg);
	return err;
}

/* Say what each TCP collector connection that died since the last call took with it. */
void export__log_drops(struct export_sink **sinks, int n)
{
	struct export_drop dr;
	int i;

	for (i = 0; i < n; i++) {
		if (!export_sink__take_drop(sinks[i], &dr))
			continue;
		if (dr.err == -ECONNRESET)
			log_warn("%s: connection reset: %" G_GUINT64_FORMAT " records lost (never "
				 "acknowledged), %" G_GUINT64_FORMAT " unconfirmed (acknowledged "
				 "within the last %" G_GUINT64_FORMAT " bytes, maybe unread)",
				 export_sink__name(sinks[i]), dr.records_lost,
				 dr.records_unconfirmed, dr.unread_bound_bytes);
		else if (dr.records_lost || dr.records_unconfirmed)
			log_warn("%s: connection lost (%s): %" G_GUINT64_FORMAT " records lost "
				 "(never acknowledged), %" G_GUINT64_FORMAT " unconfirmed",
				 export_sink__name(sinks[i]),
				 dr.err ? g_strerror(-dr.err) : "closed by the collector",
				 dr.records_lost, dr.records_unconfirmed);
	}
}
