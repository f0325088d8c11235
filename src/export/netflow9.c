// SPDX-License-Identifier: GPL-2.0-only
/*
 * NetFlow v9 (RFC 3954) export over UDP, for collectors that take v9 and not
 * IPFIX, and for what nfdump keeps of v9: one biflow record per conversation
 * with the 5-tuple, both directions' counters (IN_ and OUT_BYTES/PKTS), the
 * times, TCP flags, the tuple after NAT, the local user (NSEL field 40000)
 * and the local application (applicationId, mapped to its name by options
 * records), and both ends' processes as nProbe sends ntop's elements over
 * v9; or, uniflow, one record per direction, marked by biflowDirection,
 * each with its own source end first.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <glib.h>

#include "clock.h"
#include "export/applications.h"
#include "export/export.h"
#include "export/sink.h"
#include "export/template_schedule.h"
#include "export/templates.h"
#include "export/transport.h"
#include "utf8.h"

#define V9_VERSION 9
#define V9_HEADER_LEN 20
#define V9_SET_HEADER_LEN 4
#define V9_TEMPLATE_SET_ID 0
#define V9_OPTIONS_TEMPLATE_SET_ID 1
#define V9_TID_FLOW4 256
#define V9_TID_FLOW6 257
#define V9_TID_STATS 258
#define V9_TID_APPLICATION 259

/* Field types (RFC 3954 section 8, and Cisco's NSEL user name that nfdump reads). */
enum v9_type {
	V9_IN_BYTES = 1,
	V9_IN_PKTS = 2,
	V9_PROTOCOL = 4,
	V9_TCP_FLAGS = 6,
	V9_L4_SRC_PORT = 7,
	V9_IPV4_SRC_ADDR = 8,
	V9_L4_DST_PORT = 11,
	V9_IPV4_DST_ADDR = 12,
	V9_LAST_SWITCHED = 21,
	V9_FIRST_SWITCHED = 22,
	V9_OUT_BYTES = 23,
	V9_OUT_PKTS = 24,
	V9_IPV6_SRC_ADDR = 27,
	V9_IPV6_DST_ADDR = 28,
	V9_APPLICATION_DESCRIPTION = 94,
	V9_APPLICATION_ID = 95,
	V9_APPLICATION_NAME = 96,
	V9_XLATE_SRC_ADDR_IPV4 = 225,	/* postNATSourceIPv4Address, nfdump's %xsa */
	V9_XLATE_DST_ADDR_IPV4 = 226,
	V9_XLATE_SRC_PORT = 227,
	V9_XLATE_DST_PORT = 228,
	V9_BIFLOW_DIRECTION = 239,	/* uniflow: 1 initiator (client to server), 2 reverse */
	V9_XLATE_SRC_ADDR_IPV6 = 281,
	V9_XLATE_DST_ADDR_IPV6 = 282,
	V9_NSEL_USERNAME = 40000,
	/* nProbe's network delays (57472 + ntop's id), which nfdump shows as %cl and %sl */
	V9_CLIENT_NW_DELAY_SEC = 57554,
	V9_CLIENT_NW_DELAY_USEC = 57555,
	V9_SERVER_NW_DELAY_SEC = 57556,
	V9_SERVER_NW_DELAY_USEC = 57557,
	/* ntop's process elements the same way: 57472 + the element's id under PEN 35632 */
	V9_RETRANSMITTED_IN_PKTS = 57472 + 109,
	V9_RETRANSMITTED_OUT_PKTS = 57472 + 110,
	V9_SRC_PROC_PID = 57472 + 168,
	V9_SRC_PROC_NAME = 57472 + 169,
	V9_SRC_PROC_USER_NAME = 57472 + 372,
	V9_SRC_FATHER_PROC_PID = 57472 + 373,
	V9_SRC_FATHER_PROC_NAME = 57472 + 374,
	V9_DST_PROC_PID = 57472 + 375,
	V9_DST_PROC_NAME = 57472 + 376,
	V9_DST_PROC_USER_NAME = 57472 + 377,
	V9_DST_FATHER_PROC_PID = 57472 + 378,
	V9_DST_FATHER_PROC_NAME = 57472 + 379,
	V9_SRC_PROC_UID = 57472 + 425,
	V9_DST_PROC_UID = 57472 + 426,
};

/*
 * v9 has no variable-length fields. nfdump 1.7.1 keeps a user name of 17
 * to 65 octets as it is (16 or fewer it stores byte-swapped).
 */
#define V9_USERNAME_LEN 32

struct v9_field {
	uint16_t type;
	uint16_t len;
};

#define V9_COMMON_FIELDS                                                                  \
	{ V9_L4_SRC_PORT, 2 }, { V9_L4_DST_PORT, 2 }, { V9_PROTOCOL, 1 }, { V9_TCP_FLAGS, 1 }, \
	{ V9_IN_BYTES, 8 }, { V9_IN_PKTS, 8 }, { V9_FIRST_SWITCHED, 4 },                     \
	{ V9_LAST_SWITCHED, 4 }, { V9_NSEL_USERNAME, V9_USERNAME_LEN },                      \
	{ V9_CLIENT_NW_DELAY_SEC, 4 }, { V9_CLIENT_NW_DELAY_USEC, 4 },                        \
	{ V9_SERVER_NW_DELAY_SEC, 4 }, { V9_SERVER_NW_DELAY_USEC, 4 },                        \
	{ V9_APPLICATION_ID, APPLICATIONS_ID_LEN }
/* Both ends' processes, fixed-length and NUL-padded as v9 needs (pid 0: not local). */
#define V9_NTOP_FIELDS                                                                    \
	{ V9_SRC_PROC_PID, 4 }, { V9_SRC_PROC_NAME, FLOW_COMM_LEN }, { V9_SRC_PROC_UID, 4 },  \
	{ V9_SRC_PROC_USER_NAME, FLOW_USER_LEN }, { V9_SRC_FATHER_PROC_PID, 4 },            \
	{ V9_SRC_FATHER_PROC_NAME, FLOW_COMM_LEN }, { V9_DST_PROC_PID, 4 },                  \
	{ V9_DST_PROC_NAME, FLOW_COMM_LEN }, { V9_DST_PROC_UID, 4 },                         \
	{ V9_DST_PROC_USER_NAME, FLOW_USER_LEN }, { V9_DST_FATHER_PROC_PID, 4 },            \
	{ V9_DST_FATHER_PROC_NAME, FLOW_COMM_LEN }, { V9_RETRANSMITTED_IN_PKTS, 4 },         \
	{ V9_RETRANSMITTED_OUT_PKTS, 4 }
#define V9_NAT4_FIELDS                                                                    \
	{ V9_XLATE_SRC_ADDR_IPV4, 4 }, { V9_XLATE_DST_ADDR_IPV4, 4 }, { V9_XLATE_SRC_PORT, 2 }, \
	{ V9_XLATE_DST_PORT, 2 }
#define V9_NAT6_FIELDS                                                                    \
	{ V9_XLATE_SRC_ADDR_IPV6, 16 }, { V9_XLATE_DST_ADDR_IPV6, 16 },                      \
	{ V9_XLATE_SRC_PORT, 2 }, { V9_XLATE_DST_PORT, 2 }
#define V9_BIFLOW_FIELDS { V9_OUT_BYTES, 8 }, { V9_OUT_PKTS, 8 }
#define V9_UNIFLOW_FIELDS { V9_BIFLOW_DIRECTION, 1 }

/*
 * The exporter's counters as an options record, scoped to the system (the
 * source id): packets and flow records sent before it, and records lost
 * (IPFIX's notSentFlowTotalCount). sockflow's own loss counters have no
 * v9 field (v9 has no enterprise numbers); the log and IPFIX carry them.
 */
enum {
	V9_SCOPE_SYSTEM = 1,
	V9_TOTAL_PKTS_EXP = 41,
	V9_TOTAL_FLOWS_EXP = 42,
	V9_NOT_SENT_FLOWS = 166,
};
static const struct v9_field stats_scope[] = { { V9_SCOPE_SYSTEM, 4 } };
static const struct v9_field stats_fields[] = {
	{ V9_TOTAL_PKTS_EXP, 8 }, { V9_TOTAL_FLOWS_EXP, 8 }, { V9_NOT_SENT_FLOWS, 8 },
};
#define V9_STATS_RECORD_LEN (4 + 3 * 8)

/*
 * applicationId -> name and description, scoped to the system: one record
 * per application, sent before the first record that names it (and again
 * after templates are re-sent). nfdump 1.7.1 reads every record of such a
 * v9 options flowset.
 */
static const struct v9_field application_fields[] = {
	{ V9_APPLICATION_ID, APPLICATIONS_ID_LEN },
	{ V9_APPLICATION_NAME, APPLICATIONS_NAME_LEN },
	{ V9_APPLICATION_DESCRIPTION, APPLICATIONS_DESCRIPTION_LEN },
};
#define V9_APPLICATION_RECORD_LEN \
	(4 + APPLICATIONS_ID_LEN + APPLICATIONS_NAME_LEN + APPLICATIONS_DESCRIPTION_LEN)


static const struct v9_field fields4_bi[] = {
	{ V9_IPV4_SRC_ADDR, 4 }, { V9_IPV4_DST_ADDR, 4 }, V9_COMMON_FIELDS, V9_NAT4_FIELDS,
	V9_NTOP_FIELDS, V9_BIFLOW_FIELDS,
};
static const struct v9_field fields6_bi[] = {
	{ V9_IPV6_SRC_ADDR, 16 }, { V9_IPV6_DST_ADDR, 16 }, V9_COMMON_FIELDS, V9_NAT6_FIELDS,
	V9_NTOP_FIELDS, V9_BIFLOW_FIELDS,
};
static const struct v9_field fields4_uni[] = {
	{ V9_IPV4_SRC_ADDR, 4 }, { V9_IPV4_DST_ADDR, 4 }, V9_COMMON_FIELDS, V9_NAT4_FIELDS,
	V9_NTOP_FIELDS, V9_UNIFLOW_FIELDS,
};
static const struct v9_field fields6_uni[] = {
	{ V9_IPV6_SRC_ADDR, 16 }, { V9_IPV6_DST_ADDR, 16 }, V9_COMMON_FIELDS, V9_NAT6_FIELDS,
	V9_NTOP_FIELDS, V9_UNIFLOW_FIELDS,
};

/*
 * One record as a v9 record sees it: the conversation (biflow), or one of
 * its directions (uniflow; reverse: server to client).
 */
struct v9_view {
	const struct flow_record *r;
	bool reverse;
	const struct flow_process *src, *dst;	/* the record's source and destination ends */
	const struct flow_quality *src_q, *dst_q;
	const struct flow_process *local;	/* the end it is attributed to (pid 0: none) */
	const struct application *app;		/* local's; NULL: none */
};

struct v9_template {
	uint16_t id;
	const struct v9_field *fields;
	size_t n;
	size_t record_len;
};

struct v9_sink {
	struct export_sink base;
	char *uri;
	struct transport *tp;
	struct template_schedule ts;
	struct v9_template tmpl[2];	/* IPv4, IPv6 */
	struct applications *apps;	/* the applications records name */
	uint64_t now_ms;		/* the exporter's clock (CLOCK_MONOTONIC) at its last flush */
	uint64_t boot_real_ms;		/* sysUptime 0: when the sink was made, wall clock */
	uint32_t source_id;		/* the observation domain */
	bool uniflow;			/* ?records=uniflow: a record per direction */
	uint32_t sequence;		/* packets sent, as RFC 3954 counts them */

	uint8_t *pkt;			/* the packet being built */
	size_t pkt_max, pkt_len;
	uint16_t pkt_count;		/* records and templates in it */
	uint32_t pkt_records;		/* data records in it */
	size_t set_start;		/* its open flowset's header; 0: none */
	uint16_t set_id;

	struct export_stats st;		/* records, records_lost before the transport */
};

static const struct export_sink_ops v9_ops;

static struct v9_sink *to_v9(const struct export_sink *s)
{
	return (struct v9_sink *)s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static uint64_t real_ms(void)
{
	return clock_ns(CLOCK_REALTIME) / 1000000;
}

/* Milliseconds of sysUptime at wall-clock @ms (flows older than the sink start at 0). */
static uint32_t uptime_at(const struct v9_sink *s, uint64_t ms)
{
	return ms > s->boot_real_ms ? (uint32_t)(ms - s->boot_real_ms) : 0;
}

/* Close the open flowset: its length, padded to 4 octets. */
static void set_close(struct v9_sink *s)
{
	size_t len;

	if (!s->set_start)
		return;
	while ((s->pkt_len - s->set_start) % 4)
		s->pkt[s->pkt_len++] = 0;
	len = s->pkt_len - s->set_start;
	put16(s->pkt + s->set_start + 2, (uint16_t)len);
	s->set_start = 0;
	s->set_id = 0;
}

/* Send what the packet holds, if anything. */
static int v9_emit(struct v9_sink *s)
{
	/*
	 * Collectors take a record's time as unix_secs - sysUptime + FIRST_SWITCHED:
	 * the uptime is that of the whole second in unix_secs, so nothing is lost
	 * to the header's seconds.
	 */
	uint64_t now_real = real_ms() / 1000 * 1000;
	uint32_t records = s->pkt_records;
	int err;

	if (!s->pkt_count)
		return 0;
	set_close(s);
	put16(s->pkt, V9_VERSION);
	put16(s->pkt + 2, s->pkt_count);
	put32(s->pkt + 4, uptime_at(s, now_real));
	put32(s->pkt + 8, (uint32_t)(now_real / 1000));
	put32(s->pkt + 12, s->sequence++);
	put32(s->pkt + 16, s->source_id);
	err = transport__send(s->tp, s->pkt, s->pkt_len, records);
	template_schedule__message_sent(&s->ts, s->now_ms, transport__take_refused(s->tp));
	s->pkt_len = V9_HEADER_LEN;
	s->pkt_count = 0;
	s->pkt_records = 0;
	return err;
}

/* Room for @need more octets in a flowset @set_id, a new packet or flowset if need be. */
static int make_room(struct v9_sink *s, uint16_t set_id, size_t need)
{
	bool same_set = s->set_start && s->set_id == set_id;
	int err = 0;

	need += (same_set ? 0 : V9_SET_HEADER_LEN) + 3;	/* + padding */
	if (s->pkt_len + need > s->pkt_max) {
		err = v9_emit(s);
		same_set = false;
	}
	if (!same_set) {
		set_close(s);
		s->set_start = s->pkt_len;
		s->set_id = set_id;
		put16(s->pkt + s->pkt_len, set_id);
		s->pkt_len += V9_SET_HEADER_LEN;
	}
	return err;
}

/* @n field specifiers (type, length) at the end of the packet; room was made. */
static void put_specs(struct v9_sink *s, const struct v9_field *fields, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		put16(s->pkt + s->pkt_len, fields[k].type);
		put16(s->pkt + s->pkt_len + 2, fields[k].len);
		s->pkt_len += 4;
	}
}

/*
 * An options template @id of @scope and @fields at the end of the packet,
 * in a flowset of its own: nfcapd 1.7.1 reads only the first options
 * template of a flowset.
 */
static int put_options_template(struct v9_sink *s, uint16_t id, const struct v9_field *scope,
				size_t n_scope, const struct v9_field *fields, size_t n_fields)
{
	int err;

	set_close(s);
	err = make_room(s, V9_OPTIONS_TEMPLATE_SET_ID, 6 + 4 * (n_scope + n_fields));

	put16(s->pkt + s->pkt_len, id);
	put16(s->pkt + s->pkt_len + 2, 4 * n_scope);
	put16(s->pkt + s->pkt_len + 4, 4 * n_fields);
	s->pkt_len += 6;
	put_specs(s, scope, n_scope);
	put_specs(s, fields, n_fields);
	s->pkt_count++;
	return err;
}

/* Both flow templates and the options templates, in a packet of their own. */
static int v9_templates(struct v9_sink *s)
{
	const struct v9_template *t;
	size_t i;
	int err;

	err = v9_emit(s);
	for (i = 0; i < 2; i++) {
		t = &s->tmpl[i];
		err = make_room(s, V9_TEMPLATE_SET_ID, 4 + 4 * t->n) ?: err;
		put16(s->pkt + s->pkt_len, t->id);
		put16(s->pkt + s->pkt_len + 2, (uint16_t)t->n);
		s->pkt_len += 4;
		put_specs(s, t->fields, t->n);
		s->pkt_count++;
	}
	err = put_options_template(s, V9_TID_STATS, stats_scope, G_N_ELEMENTS(stats_scope),
				   stats_fields, G_N_ELEMENTS(stats_fields)) ?: err;
	err = put_options_template(s, V9_TID_APPLICATION, stats_scope, G_N_ELEMENTS(stats_scope),
				   application_fields, G_N_ELEMENTS(application_fields)) ?: err;
	err = v9_emit(s) ?: err;
	template_schedule__templates_sent(&s->ts, s->now_ms);
	/* A collector that lost the templates lost the mappings too. */
	applications__reset(s->apps);
	return err;
}

/*
 * @str in a fixed field of @len octets, cut at a character boundary to
 * leave at least one NUL at the end.
 */
static void put_string(uint8_t *p, const char *str, size_t len)
{
	size_t n = utf8__cut(str, strnlen(str, len), len - 1);

	memcpy(p, str, n);
	memset(p + n, 0, len - n);
}

/* The mapping of @app to its name and description, before the first record naming it. */
static int announce(struct v9_sink *s, struct application *app)
{
	uint8_t *p;
	int err;

	err = make_room(s, V9_TID_APPLICATION, V9_APPLICATION_RECORD_LEN);
	p = s->pkt + s->pkt_len;
	put32(p, s->source_id);
	p += 4;
	memcpy(p, app->id, APPLICATIONS_ID_LEN);
	p += APPLICATIONS_ID_LEN;
	put_string(p, app->name, APPLICATIONS_NAME_LEN);
	put_string(p + APPLICATIONS_NAME_LEN, app->description, APPLICATIONS_DESCRIPTION_LEN);
	s->pkt_len += V9_APPLICATION_RECORD_LEN;
	s->pkt_count++;
	app->announced = true;
	return err;
}

/*
 * @v's ends, the client first unless it is the responder's record, and the
 * one its single-slot fields (user, application) describe.
 */
static void view_ends(struct v9_view *v)
{
	const struct flow_record *r = v->r;

	v->src = v->reverse ? &r->server : &r->client;
	v->dst = v->reverse ? &r->client : &r->server;
	v->src_q = v->reverse ? &r->server_q : &r->client_q;
	v->dst_q = v->reverse ? &r->client_q : &r->server_q;
	v->local = applications__end(r, v->reverse);
}

/* An ntop process field of @proc (an end of the record; pid 0: not local, all zero). */
static void put_process_field(uint8_t *p, const struct v9_field *f,
			      const struct flow_process *proc)
{
	uint32_t pid = proc->pid;

	memset(p, 0, f->len);
	if (!pid)
		return;
	switch (f->type) {
	case V9_SRC_PROC_PID:
	case V9_DST_PROC_PID:
		put32(p, pid);
		break;
	case V9_SRC_PROC_UID:
	case V9_DST_PROC_UID:
		put32(p, proc->uid);
		break;
	case V9_SRC_FATHER_PROC_PID:
	case V9_DST_FATHER_PROC_PID:
		put32(p, proc->ppid);
		break;
	case V9_SRC_PROC_NAME:
	case V9_DST_PROC_NAME:
		put_string(p, proc->name, f->len);
		break;
	case V9_SRC_PROC_USER_NAME:
	case V9_DST_PROC_USER_NAME:
		put_string(p, proc->user, f->len);
		break;
	case V9_SRC_FATHER_PROC_NAME:
	case V9_DST_FATHER_PROC_NAME:
		put_string(p, proc->parent_name, f->len);
		break;
	}
}

static bool is_dst_process_field(uint16_t type)
{
	return (type >= V9_DST_PROC_PID && type <= V9_DST_FATHER_PROC_NAME) ||
	       type == V9_DST_PROC_UID;
}

static bool is_process_field(uint16_t type)
{
	return (type >= V9_SRC_PROC_PID && type <= V9_SRC_PROC_NAME) ||
	       (type >= V9_SRC_PROC_USER_NAME && type <= V9_DST_FATHER_PROC_NAME) ||
	       type == V9_SRC_PROC_UID || type == V9_DST_PROC_UID;
}

/* The tuple after NAT as the record's addresses go (0 when not translated). */
static void put_nat_field(uint8_t *p, const struct v9_field *f, const struct v9_view *v)
{
	const struct flow_nat *n = &v->r->post_nat;

	memset(p, 0, f->len);
	if (!n->nat)
		return;
	switch (f->type) {
	case V9_XLATE_SRC_ADDR_IPV4:
	case V9_XLATE_SRC_ADDR_IPV6:
		memcpy(p, v->reverse ? n->server_addr : n->client_addr, f->len);
		break;
	case V9_XLATE_DST_ADDR_IPV4:
	case V9_XLATE_DST_ADDR_IPV6:
		memcpy(p, v->reverse ? n->client_addr : n->server_addr, f->len);
		break;
	case V9_XLATE_SRC_PORT:
		put16(p, v->reverse ? n->server_port : n->client_port);
		break;
	case V9_XLATE_DST_PORT:
		put16(p, v->reverse ? n->client_port : n->server_port);
		break;
	}
}

static void put_field(uint8_t *p, const struct v9_field *f, const struct v9_view *v,
		      const struct v9_sink *s)
{
	const struct flow_record *r = v->r;
	const struct flow_counters *in = v->reverse ? &r->rev : &r->fwd;

	if (is_process_field(f->type)) {
		put_process_field(p, f, is_dst_process_field(f->type) ? v->dst : v->src);
		return;
	}
	switch (f->type) {
	case V9_XLATE_SRC_ADDR_IPV4:
	case V9_XLATE_SRC_ADDR_IPV6:
	case V9_XLATE_DST_ADDR_IPV4:
	case V9_XLATE_DST_ADDR_IPV6:
	case V9_XLATE_SRC_PORT:
	case V9_XLATE_DST_PORT:
		put_nat_field(p, f, v);
		break;
	case V9_RETRANSMITTED_IN_PKTS:
		put32(p, v->src_q->retrans);
		break;
	case V9_RETRANSMITTED_OUT_PKTS:
		put32(p, v->dst_q->retrans);
		break;
	case V9_IPV4_SRC_ADDR:
	case V9_IPV6_SRC_ADDR:
		memcpy(p, v->reverse ? r->key.server_addr : r->key.client_addr, f->len);
		break;
	case V9_IPV4_DST_ADDR:
	case V9_IPV6_DST_ADDR:
		memcpy(p, v->reverse ? r->key.client_addr : r->key.server_addr, f->len);
		break;
	case V9_L4_SRC_PORT:
		put16(p, v->reverse ? r->key.server_port : r->key.client_port);
		break;
	case V9_L4_DST_PORT:
		put16(p, v->reverse ? r->key.client_port : r->key.server_port);
		break;
	case V9_PROTOCOL:
		*p = r->key.protocol;
		break;
	case V9_TCP_FLAGS:
		*p = r->tcp_flags;
		break;
	case V9_IN_BYTES:
		put64(p, in->octets);
		break;
	case V9_IN_PKTS:
		put64(p, in->packets);
		break;
	case V9_OUT_BYTES:
		put64(p, r->rev.octets);
		break;
	case V9_OUT_PKTS:
		put64(p, r->rev.packets);
		break;
	case V9_FIRST_SWITCHED:
		put32(p, uptime_at(s, r->start_ms));
		break;
	case V9_LAST_SWITCHED:
		put32(p, uptime_at(s, r->end_ms));
		break;
	case V9_CLIENT_NW_DELAY_SEC:
		put32(p, flow_record__client_latency_us(r) / 1000000);
		break;
	case V9_CLIENT_NW_DELAY_USEC:
		put32(p, flow_record__client_latency_us(r) % 1000000);
		break;
	case V9_SERVER_NW_DELAY_SEC:
		put32(p, flow_record__server_latency_us(r) / 1000000);
		break;
	case V9_SERVER_NW_DELAY_USEC:
		put32(p, flow_record__server_latency_us(r) % 1000000);
		break;
	case V9_BIFLOW_DIRECTION:
		*p = v->reverse ? 2 : 1;
		break;
	case V9_NSEL_USERNAME:
		put_string(p, v->local->user, f->len);
		break;
	case V9_APPLICATION_ID:
		if (v->app)
			memcpy(p, v->app->id, APPLICATIONS_ID_LEN);
		else
			memset(p, 0, f->len);	/* engine 0: invalid, no application */
		break;
	}
}

/* One v9 record of @v, after the mapping of its application if that has not gone yet. */
static int put_record(struct v9_sink *s, struct v9_view *v)
{
	const struct v9_template *t = &s->tmpl[v->r->key.family == AF_INET6];
	struct application *app;
	size_t i;
	int err = 0;

	/* A host name that has resolved since the last flush takes this packet already. */
	if (!s->pkt_count && !transport__is_up(s->tp))
		transport__poll(s->tp, s->now_ms);
	if (!s->pkt_count && template_schedule__due(&s->ts, s->now_ms))
		err = v9_templates(s);
	view_ends(v);
	app = applications__of(s->apps, v->local);
	if (app && !app->announced)
		err = announce(s, app) ?: err;
	v->app = app;
	err = make_room(s, t->id, t->record_len) ?: err;
	for (i = 0; i < t->n; i++) {
		put_field(s->pkt + s->pkt_len, &t->fields[i], v, s);
		s->pkt_len += t->fields[i].len;
	}
	s->pkt_count++;
	s->pkt_records++;
	return err;
}

static int v9_add(struct export_sink *sink, const struct flow_record *r)
{
	struct v9_sink *s = to_v9(sink);
	struct v9_view v = { .r = r };
	int err = 0;

	s->st.records++;
	if (r->key.family != AF_INET && r->key.family != AF_INET6) {
		s->st.records_lost++;
		return -EAFNOSUPPORT;
	}
	if (!s->uniflow)
		return put_record(s, &v);
	/* A direction without packets in this record's time has no record. */
	if (r->fwd.packets)
		err = put_record(s, &v);
	v.reverse = true;
	if (r->rev.packets)
		err = put_record(s, &v) ?: err;
	return err;
}

static int v9_flush(struct export_sink *sink, uint64_t now_ms)
{
	struct v9_sink *s = to_v9(sink);
	int err;

	s->now_ms = now_ms;
	template_schedule__tick(&s->ts, now_ms);
	err = v9_emit(s);
	/* A collector named by a host name that has just resolved gets them first. */
	if ((!transport__is_up(s->tp) && transport__poll(s->tp, now_ms) == 1) ||
	    template_schedule__refresh_due(&s->ts, now_ms))
		err = v9_templates(s) ?: err;
	return err;
}

static void v9_stats(const struct export_sink *sink, struct export_stats *st)
{
	const struct v9_sink *s = to_v9(sink);

	*st = s->st;
	export_stats__add_transport(st, s->tp);
	/* Down only while its host name does not resolve. */
	st->connected = transport__is_up(s->tp);
}

/* The exporter's counters (see stats_fields) in a packet of their own, after what is pending. */
static int v9_add_stats(struct export_sink *sink, const struct export_loss_stats *loss)
{
	struct v9_sink *s = to_v9(sink);
	struct export_stats st;
	int err;

	(void)loss;	/* sockflow's own counters have no v9 field */
	err = v9_emit(s);
	if (template_schedule__due(&s->ts, s->now_ms))
		err = v9_templates(s) ?: err;
	v9_stats(sink, &st);
	err = make_room(s, V9_TID_STATS, V9_STATS_RECORD_LEN) ?: err;
	put32(s->pkt + s->pkt_len, s->source_id);
	put64(s->pkt + s->pkt_len + 4, st.messages_sent);
	put64(s->pkt + s->pkt_len + 12, st.records_sent);
	put64(s->pkt + s->pkt_len + 20, st.records_lost);
	s->pkt_len += V9_STATS_RECORD_LEN;
	s->pkt_count++;
	return v9_emit(s) ?: err;
}

static const char *v9_name(const struct export_sink *sink)
{
	return to_v9(sink)->uri;
}

static void v9_free(struct export_sink *sink)
{
	struct v9_sink *s = to_v9(sink);

	if (s->tp)
		v9_emit(s);
	transport__free(s->tp);
	applications__free(s->apps);
	free(s->pkt);
	free(s->uri);
	free(s);
}

static void template_init(struct v9_template *t, uint16_t id, const struct v9_field *fields,
			  size_t n)
{
	size_t i;

	t->id = id;
	t->fields = fields;
	t->n = n;
	t->record_len = 0;
	for (i = 0; i < n; i++)
		t->record_len += fields[i].len;
}

struct export_sink *export_sink__new_netflow9(const struct collector *c,
					      const struct export_options *opts, int *err,
					      char *msg, size_t msg_len)
{
	struct v9_sink *s = calloc(1, sizeof(*s));

	if (!s)
		goto err_nomem;
	s->uri = strdup(c->uri);
	if (!s->uri)
		goto err_nomem;
	s->base.ops = &v9_ops;
	s->source_id = opts->observation_domain_id;
	s->boot_real_ms = (real_ms() / 1000 - 1) * 1000;	/* a whole second, before any header's */
	s->uniflow = c->records == COLLECTOR_UNIFLOW;
	s->apps = applications__new(opts->enterprise_id ?: TEMPLATES_PEN_DEFAULT);
	if (!s->apps)
		goto err_nomem;
	if (s->uniflow) {
		template_init(&s->tmpl[0], V9_TID_FLOW4, fields4_uni, G_N_ELEMENTS(fields4_uni));
		template_init(&s->tmpl[1], V9_TID_FLOW6, fields6_uni, G_N_ELEMENTS(fields6_uni));
	} else {
		template_init(&s->tmpl[0], V9_TID_FLOW4, fields4_bi, G_N_ELEMENTS(fields4_bi));
		template_init(&s->tmpl[1], V9_TID_FLOW6, fields6_bi, G_N_ELEMENTS(fields6_bi));
	}
	template_schedule__init(&s->ts, opts->template_refresh_s, opts->template_refresh_messages,
				opts->template_gap_s);
	*err = transport__new(&s->tp, COLLECTOR_UDP, c->host, c->port, msg, msg_len);
	if (*err) {
		v9_free(&s->base);
		return NULL;
	}
	s->pkt_max = transport__udp_message_max(s->tp, opts->udp_message_max);
	s->pkt = malloc(s->pkt_max);
	if (!s->pkt)
		goto err_nomem;
	s->pkt_len = V9_HEADER_LEN;
	/* A collector that is not up yet is no start-up error: templates go again later. */
	v9_templates(s);
	*err = 0;
	return &s->base;

err_nomem:
	if (s)
		v9_free(&s->base);
	*err = -ENOMEM;
	snprintf(msg, msg_len, "netflow9: out of memory");
	return NULL;
}

static const struct export_sink_ops v9_ops = {
	.add = v9_add,
	.flush = v9_flush,
	.stats = v9_stats,
	.add_stats = v9_add_stats,
	.name = v9_name,
	.free = v9_free,
};
