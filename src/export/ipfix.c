// SPDX-License-Identifier: GPL-2.0-only
/* IPFIX sinks: libfixbuf encodes, transport.c (UDP, TCP) or a file carries the messages. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <fixbuf/public.h>

#include "export/field_list.h"
#include "export/file_output.h"
#include "export/ipfix_session.h"
#include "export/sink.h"
#include "export/template_schedule.h"
#include "export/templates.h"
#include "export/transport.h"

/* Largest IPFIX message on a TCP connection. */
#define IPFIX_TCP_MSG_MAX 8192
/* Largest IPFIX message in a file: libfixbuf's own limit for file exporters. */
#define IPFIX_FILE_MSG_MAX 65496
/* A message header and a set header: what a message holds besides its records. */
#define IPFIX_MSG_OVERHEAD (16 + 4)

/*
 * One collector. libfixbuf runs in manual mode: a message is emitted
 * only by emit(), so each emitted message is known: the buffer exporter
 * copies it into msgbuf, and transport.c (UDP, TCP) or file_output.c
 * carries it. A file is written in whole messages; after a failed write
 * it is reopened before the next record, templates first.
 *
 * fbuf owns the session (templates, sequence number, domain) and the
 * exporter. For TCP it exists only while connected: each connection is a
 * new IPFIX transport session that starts with the templates. While the
 * collector is down, plain flow records wait in the ring queue[q_head ...
 * q_head + q_len) of q_cap entries and are encoded once connected. The ring
 * grows as records wait, up to q_max ([export] tcp_buffer_records), and is
 * given back once drained: a collector that is up costs no queue memory.
 *
 * Records are filled as the full internal structs of templates.h; sel
 * (from the field list) says which of their elements go on the wire.
 */
struct ipfix_sink {
	struct export_sink base;
	enum collector_transport kind;
	bool uniflow;			/* a record per direction, not RFC 5103 biflows */
	char *uri;
	struct export_options opts;

	fbInfoModel_t *model;
	struct templates_selection sel;
	struct applications *apps;	/* with applicationId in the list: the ones named so far */
	fBuf_t *fbuf;
	struct file_output *file;
	struct transport *tp;
	uint8_t *msgbuf;
	uint16_t msg_max;

	bool msg_open;			/* something appended since the last emit */
	uint32_t msg_records;		/* data records in that message */
	size_t msg_used;		/* its bytes so far, as libfixbuf will write them */
	uint16_t set_tid;		/* template of its open data set, 0 if none */
	struct template_schedule ts;	/* UDP: when the templates go out again */
	uint64_t now_ms;		/* the exporter's clock at its last flush */

	struct flow_record *queue;
	uint32_t q_head, q_len, q_cap, q_max;

	struct export_stats st;		/* records, records_lost before the transport */
};

static const struct export_sink_ops ipfix_ops;

static struct ipfix_sink *to_ipfix(const struct export_sink *s)
{
	return (struct ipfix_sink *)s;
}

static int encoder__open(struct ipfix_sink *s, char *msg, size_t msg_len)
{
	fbExporter_t *exporter;
	fbSession_t *session;
	int err;

	err = ipfix_session__new(&session, s->model, &s->sel, s->opts.observation_domain_id, msg,
				 msg_len);
	if (err)
		return err;
	exporter = fbExporterAllocBuffer(s->msgbuf, s->msg_max);
	s->fbuf = fBufAllocForExport(session, exporter);
	fBufSetAutomaticMode(s->fbuf, FALSE);
	s->msg_open = false;
	s->msg_records = 0;
	return 0;
}

/* Free the fBuf with its session and exporter. */
static void encoder__close(struct ipfix_sink *s)
{
	if (s->fbuf)
		fBufFree(s->fbuf);
	s->fbuf = NULL;
	s->msg_open = false;
	s->msg_records = 0;
}

/* Finish the message being built and hand it over. Returns 0 or -errno. */
static int emit(struct ipfix_sink *s)
{
	uint32_t records = s->msg_records;
	GError *gerr = NULL;
	int err = 0;
	size_t len;

	s->msg_used = 0;
	s->set_tid = 0;
	if (!s->msg_open)
		return 0;
	s->msg_open = false;
	s->msg_records = 0;
	if (!fBufEmit(s->fbuf, &gerr)) {
		s->st.records_lost += records;
		s->st.send_errors++;
		return ipfix__gerror_to_errno(gerr, "emit", NULL, 0);
	}
	len = fbExporterGetMsgLen(fBufGetExporter(s->fbuf));
	if (s->file) {
		err = file_output__write(s->file, s->msgbuf, len);
		if (err) {
			s->st.records_lost += records;
			s->st.send_errors++;
		} else {
			s->st.messages_sent++;
			s->st.records_sent += records;
		}
	} else {
		err = transport__send(s->tp, s->msgbuf, len, records);
		if (s->kind == COLLECTOR_UDP)
			template_schedule__message_sent(&s->ts, s->now_ms,
							transport__take_refused(s->tp));
	}
	return err;
}

/* One thing to append to the current message: a template, a type record or a flow record. */
struct item {
	uint16_t tid;
	const fbInfoElement_t *ie;	/* type record */
	uint8_t *rec;			/* flow record */
	size_t size;
};

static gboolean item_append(struct ipfix_sink *s, const struct item *it, GError **gerr)
{
	if (it->ie)
		return fbInfoElementWriteOptionsRecord(s->fbuf, it->ie, it->tid, it->tid, gerr);
	if (!it->rec)
		return fbSessionExportTemplate(fBufGetSession(s->fbuf), it->tid, gerr);
	return fBufSetInternalTemplate(s->fbuf, it->tid, gerr) &&
	       fBufSetExportTemplate(s->fbuf, it->tid, gerr) &&
	       fBufAppend(s->fbuf, it->rec, it->size, gerr);
}

/*
 * Append @it in libfixbuf's manual mode: at "end of message" (the message
 * is full, or a template set has to end before data, or data before a
 * template set) emit the message and try once more. Returns 0 if
 * appended, else -errno; a failed emit is counted where it happened.
 */
static int append_item(struct ipfix_sink *s, const struct item *it)
{
	GError *gerr = NULL;

	if (item_append(s, it, &gerr))
		goto appended;
	if (!g_error_matches(gerr, FB_ERROR_DOMAIN, FB_ERROR_EOM))
		goto err_gerror;
	g_clear_error(&gerr);
	emit(s);
	if (!item_append(s, it, &gerr))
		goto err_gerror;
appended:
	s->msg_open = true;
	if (!it->rec) {
		/* Not a data record: the next one starts a new message. */
		s->set_tid = 0;
		s->msg_used = s->msg_max;
	}
	return 0;

err_gerror:
	return ipfix__gerror_to_errno(gerr, "append", NULL, 0);
}

/*
 * Describe the non-IANA elements of the field list with RFC 5610 type
 * records (template and records; none for a list of IANA elements only),
 * and sockflow's loss counters, then send the flow templates and the loss
 * stats options template, so that a collector knows names and types
 * when it reads them. Each part is a message of its own. Returns 0 or
 * -errno.
 */
static int export_templates(struct ipfix_sink *s)
{
	const char *const *name;
	struct item it = { .tid = TEMPLATES_TID_IE_TYPE };
	int err = 0;

	if (!s->sel.described[0])
		goto flow_templates;
	err = append_item(s, &it);
	if (err)
		return err;
	err = emit(s);
	for (name = s->sel.described; *name; name++) {
		it.ie = fbInfoModelGetElementByName(s->model, *name);
		if (!it.ie)
			return -ENOENT;
		err = append_item(s, &it) ?: err;
	}
	err = emit(s) ?: err;

flow_templates:
	it = (struct item){ .tid = TEMPLATES_TID_FLOW4 };
	err = append_item(s, &it) ?: err;
	it.tid = TEMPLATES_TID_FLOW6;
	err = append_item(s, &it) ?: err;
	it.tid = TEMPLATES_TID_LOSS_STATS;
	err = append_item(s, &it) ?: err;
	if (s->apps) {
		/* A message of its own: nfcapd 1.7.1 reads one options template per set. */
		err = emit(s) ?: err;
		it.tid = TEMPLATES_TID_APPLICATION;
		err = append_item(s, &it) ?: err;
		/* A collector that lost the templates lost the mappings too. */
		applications__reset(s->apps);
	}
	err = emit(s) ?: err;
	template_schedule__templates_sent(&s->ts, s->now_ms);
	return err;
}

/*
 * UDP, before a new message: the templates first when the schedule says
 * the collector may not have them (see template_schedule.h).
 */
static int templates_if_due(struct ipfix_sink *s)
{
	if (s->kind != COLLECTOR_UDP || s->msg_open)
		return 0;
	/* A host name that has resolved since the last flush takes this message already. */
	if (!transport__is_up(s->tp))
		transport__poll(s->tp, s->now_ms);
	if (!template_schedule__due(&s->ts, s->now_ms))
		return 0;
	return export_templates(s);
}

/* Bytes a record of @len takes in the current message, with a new set header if needed. */
static size_t record_need(const struct ipfix_sink *s, uint16_t tid, size_t len)
{
	return (s->msg_used ? 0 : 16) + (s->set_tid == tid ? 0 : 4) + len;
}

/*
 * Append the data record @it of @len bytes on the wire to the current
 * message, or to a new one (with the templates first, if they are due)
 * when it would not fit. Returns 0 or -errno.
 */
static int append_record(struct ipfix_sink *s, const struct item *it, size_t len)
{
	int err;

	if (s->msg_open && s->msg_used + record_need(s, it->tid, len) > s->msg_max)
		emit(s);
	templates_if_due(s);	/* a failure to send them is counted by the transport */
	err = append_item(s, it);
	if (err)
		return err;
	s->msg_used += record_need(s, it->tid, len);
	s->set_tid = it->tid;
	return 0;
}

/*
 * @app's mapping to its name and path, before the first record naming it:
 * a data set of its own, as the flow record follows with another template.
 */
static void announce(struct ipfix_sink *s, struct application *app)
{
	struct templates_application rec;
	struct item it = { TEMPLATES_TID_APPLICATION, NULL, (uint8_t *)&rec, sizeof(rec) };

	templates__fill_application(&rec, s->opts.observation_domain_id, app);
	if (!append_record(s, &it, sizeof(rec) - sizeof(rec.paddingOctets)))
		app->announced = true;
}

/*
 * Encode one flow record into the current message. Returns 0, or -errno
 * if it is lost.
 *
 * A record too big for a message of its own (long command lines and
 * paths over UDP) has its long descriptive strings shortened to fit
 * (templates__fit()); everything else is sent whole.
 *
 * A message that would overflow is emitted before the record, not after
 * libfixbuf's "end of message": libfixbuf checks only a record's minimum
 * length (a 1-byte length per varfield) before it opens a new set, so a
 * record that then does not fit would leave an empty set at the end of
 * the message, which libfixbuf's own buffer collector rejects.
 */
static int append_direction(struct ipfix_sink *s, const struct flow_record *r,
			    enum templates_direction dir)
{
	size_t room = s->msg_max - IPFIX_MSG_OVERHEAD;
	struct application *app = NULL;
	struct templates_flow4 rec4;
	struct templates_flow6 rec6;
	struct item it = { 0 };
	size_t len;
	int err;

	if (s->apps)
		app = applications__of(s->apps,
				       applications__end(r, dir == TEMPLATES_RESPONDER));
	if (r->key.family == AF_INET) {
		templates__fill_flow4(&rec4, r, dir, app);
		it = (struct item){ TEMPLATES_TID_FLOW4, NULL, (uint8_t *)&rec4, sizeof(rec4) };
		len = templates__fit(&s->sel.layout[TEMPLATES_FLOW4], &rec4, room);
	} else if (r->key.family == AF_INET6) {
		templates__fill_flow6(&rec6, r, dir, app);
		it = (struct item){ TEMPLATES_TID_FLOW6, NULL, (uint8_t *)&rec6, sizeof(rec6) };
		len = templates__fit(&s->sel.layout[TEMPLATES_FLOW6], &rec6, room);
	} else {
		s->st.records_lost++;
		return -EAFNOSUPPORT;
	}
	if (len > room) {
		s->st.records_lost++;
		return -EMSGSIZE;
	}
	/* A mapping lost on the way goes again after the next template re-send. */
	if (app && !app->announced)
		announce(s, app);
	err = append_record(s, &it, len);
	if (err) {
		s->st.records_lost++;
		return err;
	}
	s->msg_records++;
	return 0;
}

/*
 * Encode @r: one biflow record, or (uniflow) a record for each direction
 * that had packets in this record's time. Returns 0, or -errno if one is
 * lost.
 */
static int append(struct ipfix_sink *s, const struct flow_record *r)
{
	int err = 0;

	if (!s->uniflow)
		return append_direction(s, r, TEMPLATES_INITIATOR);
	if (r->fwd.packets)
		err = append_direction(s, r, TEMPLATES_INITIATOR);
	if (r->rev.packets)
		err = append_direction(s, r, TEMPLATES_RESPONDER) ?: err;
	return err;
}

/* TCP: the connection broke while encoding; the open message goes with it. */
static void check_connection(struct ipfix_sink *s)
{
	if (s->kind != COLLECTOR_TCP || !s->fbuf || transport__is_up(s->tp))
		return;
	s->st.records_lost += s->msg_records;
	encoder__close(s);
}

static bool tcp_can_encode(const struct ipfix_sink *s)
{
	return s->fbuf && transport__is_up(s->tp) &&
	       transport__pending(s->tp) < TRANSPORT_TCP_HIGH_WATER;
}

/* The first ring of a queue that starts to fill; it doubles from there. */
#define QUEUE_FIRST_RECORDS 64u
/* A drained ring bigger than this is freed rather than kept for the next outage. */
#define QUEUE_KEEP_RECORDS 1024u

/* Make room for one more queued record. Returns 0, or -ENOBUFS when full or out of memory. */
static int queue_grow(struct ipfix_sink *s)
{
	struct flow_record *q;
	uint32_t cap, first;

	if (s->q_cap >= s->q_max)
		return -ENOBUFS;
	cap = s->q_cap ? (s->q_cap > s->q_max / 2 ? s->q_max : s->q_cap * 2)
		       : MIN(QUEUE_FIRST_RECORDS, s->q_max);
	q = malloc((size_t)cap * sizeof(*q));
	if (!q)
		return -ENOBUFS;
	/* Unwrap the ring: its oldest record goes first. */
	first = MIN(s->q_len, s->q_cap - s->q_head);
	if (s->q_len) {
		memcpy(q, s->queue + s->q_head, first * sizeof(*q));
		memcpy(q + first, s->queue, (s->q_len - first) * sizeof(*q));
	}
	free(s->queue);
	s->queue = q;
	s->q_head = 0;
	s->q_cap = cap;
	return 0;
}

/* Give back a big ring once it is empty. */
static void queue_shrink(struct ipfix_sink *s)
{
	if (s->q_len || s->q_cap <= QUEUE_KEEP_RECORDS)
		return;
	free(s->queue);
	s->queue = NULL;
	s->q_cap = 0;
	s->q_head = 0;
}

/* TCP: encode queued records while the connection takes them. */
static int drain_queue(struct ipfix_sink *s)
{
	int err = 0, rc;

	while (s->q_len && tcp_can_encode(s)) {
		rc = append(s, &s->queue[s->q_head]);
		err = err ?: rc;
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_len--;
		check_connection(s);
	}
	queue_shrink(s);
	return err;
}

/* The data records @r makes: one biflow, or one per direction that had packets. */
static uint32_t wire_records(const struct ipfix_sink *s, const struct flow_record *r)
{
	return s->uniflow ? !!r->fwd.packets + !!r->rev.packets : 1;
}

/*
 * A file closed by a failed write: open it again, templates first.
 * Records appended since the failure cannot go before them: their
 * message is dropped, counted lost. The session goes on, so the gap in
 * sequence numbers shows a reader that records are missing. Returns 0 if
 * the file is open (the templates written), else -errno.
 */
static int file_ready(struct ipfix_sink *s)
{
	char msg[256];
	int err;

	if (file_output__is_open(s->file))
		return 0;
	emit(s);	/* to a closed file: counted lost */
	err = file_output__reopen(s->file, msg, sizeof(msg));
	if (err)
		return err;
	err = export_templates(s);
	return file_output__is_open(s->file) ? err : -EIO;
}

static int ipfix_add(struct export_sink *sink, const struct flow_record *r)
{
	struct ipfix_sink *s = to_ipfix(sink);
	int err;

	s->st.records++;
	if (s->kind == COLLECTOR_FILE) {
		err = file_ready(s);
		if (err) {
			s->st.records_lost += wire_records(s, r);
			return err;
		}
	}
	if (s->kind != COLLECTOR_TCP)
		return append(s, r);
	if (!s->q_len && tcp_can_encode(s)) {
		err = append(s, r);
		check_connection(s);
		return err;
	}
	if (s->q_len == s->q_cap && queue_grow(s)) {
		s->st.records_lost++;
		return -ENOBUFS;
	}
	s->queue[(s->q_head + s->q_len) % s->q_cap] = *r;
	s->q_len++;
	return 0;
}

static int ipfix_flush(struct export_sink *sink, uint64_t now_ms)
{
	struct ipfix_sink *s = to_ipfix(sink);
	int err = 0;

	switch (s->kind) {
	case COLLECTOR_UDP:
		s->now_ms = now_ms;
		template_schedule__tick(&s->ts, now_ms);
		/* What is pending had its templates checked when its message began. */
		err = emit(s);
		/* A collector named by a host name that has just resolved gets them first. */
		if ((!transport__is_up(s->tp) && transport__poll(s->tp, now_ms) == 1) ||
		    template_schedule__refresh_due(&s->ts, now_ms))
			err = export_templates(s) ?: err;
		return err;
	case COLLECTOR_FILE:
		return emit(s);
	case COLLECTOR_TCP:
		break;
	}

	/* A new connection is a new transport session: new sequence numbers, templates first. */
	if (transport__poll(s->tp, now_ms) == 1)
		encoder__close(s);
	if (transport__is_up(s->tp) && !s->fbuf) {
		err = encoder__open(s, NULL, 0);
		if (!err)
			err = export_templates(s);
		check_connection(s);
	}
	if (!s->fbuf)
		return err;
	err = drain_queue(s) ?: err;
	if (s->fbuf)
		err = emit(s) ?: err;
	err = transport__write(s->tp) ?: err;
	check_connection(s);
	return err;
}

static void ipfix_stats(const struct export_sink *sink, struct export_stats *st)
{
	const struct ipfix_sink *s = to_ipfix(sink);

	*st = s->st;
	st->connected = 1;
	if (!s->tp)
		return;
	export_stats__add_transport(st, s->tp);
	/* TCP: connected; UDP: its host name resolved. */
	st->connected = transport__is_up(s->tp);
}

static bool ipfix_take_drop(struct export_sink *sink, struct export_drop *drop)
{
	struct ipfix_sink *s = to_ipfix(sink);

	return s->kind == COLLECTOR_TCP && transport__take_drop(s->tp, drop);
}

/*
 * One loss stats options record in a message of its own, after what is
 * pending. TCP: only while connected, as the records are totals the next
 * report makes up for one not sent; the data goes out at the next flush.
 */
static int ipfix_add_stats(struct export_sink *sink, const struct export_loss_stats *loss)
{
	struct ipfix_sink *s = to_ipfix(sink);
	struct templates_loss_stats rec;
	struct export_stats st;
	struct item it = { TEMPLATES_TID_LOSS_STATS, NULL, (uint8_t *)&rec, sizeof(rec) };
	int err;

	if (s->kind == COLLECTOR_TCP && !tcp_can_encode(s))
		return -ENOTCONN;
	if (s->kind == COLLECTOR_FILE && file_ready(s))
		return -EIO;
	if (!s->fbuf)
		return -ENOTCONN;	/* given up at exit (ipfix_abandon) */
	err = emit(s);
	err = templates_if_due(s) ?: err;
	ipfix_stats(sink, &st);
	templates__fill_loss_stats(&rec, s->opts.observation_domain_id, &st, loss);
	err = append_item(s, &it) ?: err;
	err = emit(s) ?: err;
	check_connection(s);
	return err;
}

/*
 * SIGHUP, a file kept: what is pending goes to the file as it was, then
 * the path is opened again, templates first, in the same session (the
 * sequence numbers go on). After logrotate's move the old file ends with
 * whole messages and the new one reads on its own.
 */
static int ipfix_reopen(struct export_sink *sink, char *msg, size_t msg_len)
{
	struct ipfix_sink *s = to_ipfix(sink);
	int err;

	if (s->kind != COLLECTOR_FILE)
		return 0;
	emit(s);	/* a failure is counted where it happened */
	err = file_output__reopen(s->file, msg, msg_len);
	if (err)
		return err;
	err = export_templates(s);
	if (err)
		snprintf(msg, msg_len, "write templates: %s", strerror(-err));
	return err;
}

/* At exit: flush; a TCP collector that is down is retried at least every second. */
static int ipfix_drain(struct export_sink *sink, uint64_t now_ms)
{
	struct ipfix_sink *s = to_ipfix(sink);

	if (s->kind == COLLECTOR_TCP)
		transport__hurry(s->tp, now_ms);
	ipfix_flush(sink, now_ms);
	return s->q_len || s->msg_records || (s->tp && transport__pending(s->tp));
}

/* At exit, time is up: what is still queued is counted lost. */
static void ipfix_abandon(struct export_sink *sink)
{
	struct ipfix_sink *s = to_ipfix(sink);

	for (; s->q_len; s->q_len--, s->q_head = (s->q_head + 1) % s->q_cap)
		s->st.records_lost += wire_records(s, &s->queue[s->q_head]);
	s->st.records_lost += s->msg_records;
	encoder__close(s);
	if (s->kind == COLLECTOR_TCP)
		transport__abandon(s->tp);
}

static const char *ipfix_name(const struct export_sink *sink)
{
	return to_ipfix(sink)->uri;
}

/* The one free path: any member may be missing, as when export_sink__new_ipfix() fails. */
static void ipfix_free(struct export_sink *sink)
{
	struct ipfix_sink *s = to_ipfix(sink);

	if (s->fbuf && (s->kind != COLLECTOR_TCP || transport__is_up(s->tp))) {
		emit(s);
		if (s->tp)
			transport__write(s->tp);
	}
	encoder__close(s);
	file_output__free(s->file);
	if (s->model)
		fbInfoModelFree(s->model);
	transport__free(s->tp);
	applications__free(s->apps);
	free(s->msgbuf);
	free(s->queue);
	free(s->uri);
	free(s);
}

int export_sink__check_ipfix(const struct export_options *opts, char *msg, size_t msg_len)
{
	struct templates_selection *sel;
	fbInfoModel_t *model;
	int err;

	sel = malloc(sizeof(*sel));
	if (!sel) {
		snprintf(msg, msg_len, "ipfix: out of memory");
		return -ENOMEM;
	}
	err = templates__load(&model, sel, opts->template_name, opts->enterprise_id, false, msg,
			      msg_len);
	fbInfoModelFree(model);
	free(sel);
	return err;
}

struct export_sink *export_sink__new_ipfix(const struct collector *c,
					   const struct export_options *opts,
					   int *err, char *msg, size_t msg_len)
{
	struct ipfix_sink *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		goto err_nomem;
	s->base.ops = &ipfix_ops;
	s->kind = c->transport;
	s->uniflow = c->records == COLLECTOR_UNIFLOW;
	s->opts = *opts;
	s->uri = strdup(c->uri);
	if (!s->uri)
		goto err_nomem_free_sink;
	s->opts.template_name = NULL;	/* the caller's; read here only */
	*err = templates__load(&s->model, &s->sel, opts->template_name, opts->enterprise_id,
			       s->uniflow, msg, msg_len);
	if (*err)
		goto err_free_sink;
	if (s->sel.application) {
		s->apps = applications__new(opts->enterprise_id ?: TEMPLATES_PEN_DEFAULT);
		if (!s->apps)
			goto err_nomem_free_sink;
	}

	switch (c->transport) {
	case COLLECTOR_FILE:
		s->msg_max = IPFIX_FILE_MSG_MAX;
		*err = file_output__new(&s->file, c->path, msg, msg_len);
		if (*err)
			goto err_free_sink;
		s->msgbuf = malloc(s->msg_max);
		if (!s->msgbuf)
			goto err_nomem_free_sink;
		break;
	case COLLECTOR_UDP:
	case COLLECTOR_TCP:
		*err = transport__new(&s->tp, c->transport, c->host, c->port, msg, msg_len);
		if (*err)
			goto err_free_sink;
		s->msg_max = c->transport == COLLECTOR_UDP ? transport__udp_message_max(s->tp, opts->udp_message_max)
							   : IPFIX_TCP_MSG_MAX;
		s->msgbuf = malloc(s->msg_max);
		if (!s->msgbuf)
			goto err_nomem_free_sink;
		break;
	default:
		*err = -EINVAL;
		snprintf(msg, msg_len, "ipfix: unknown transport %d", c->transport);
		goto err_free_sink;
	}

	/* Build the encoder once here, so template errors show at start-up. */
	*err = encoder__open(s, msg, msg_len);
	if (*err)
		goto err_free_sink;
	if (s->kind == COLLECTOR_TCP) {
		encoder__close(s);
		s->q_max = opts->buffer_records;
	} else {
		/*
		 * A UDP collector that is not up yet is no start-up error:
		 * the loss is counted and templates are sent again later.
		 */
		template_schedule__init(&s->ts, opts->template_refresh_s,
					opts->template_refresh_messages, opts->template_gap_s);
		*err = export_templates(s);
		if (*err && s->kind == COLLECTOR_FILE) {
			snprintf(msg, msg_len, "ipfix: write %s: %s", c->path, strerror(-*err));
			goto err_free_sink;
		}
	}
	*err = 0;
	return &s->base;

err_nomem_free_sink:
	*err = -ENOMEM;
	snprintf(msg, msg_len, "ipfix: out of memory");
err_free_sink:
	ipfix_free(&s->base);
	return NULL;
err_nomem:
	*err = -ENOMEM;
	snprintf(msg, msg_len, "ipfix: out of memory");
	return NULL;
}

static const struct export_sink_ops ipfix_ops = {
	.add = ipfix_add,
	.flush = ipfix_flush,
	.stats = ipfix_stats,
	.take_drop = ipfix_take_drop,
	.add_stats = ipfix_add_stats,
	.reopen = ipfix_reopen,
	.drain = ipfix_drain,
	.abandon = ipfix_abandon,
	.name = ipfix_name,
	.free = ipfix_free,
};
