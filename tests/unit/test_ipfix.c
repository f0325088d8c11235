// SPDX-License-Identifier: GPL-2.0-only
/* Export sinks: IPFIX round trips through libfixbuf (file, UDP, TCP) and the print formats. */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <fixbuf/public.h>

#include "export/export.h"
#include "export/templates.h"

/* Real time a test may wait for the kernel (connect, loopback delivery). */
#define WAIT_US (5 * G_USEC_PER_SEC)

/* A flow record with every field set; @i varies ports, counters and names. */
static void make_record(struct flow_record *r, int family, int i)
{
	memset(r, 0, sizeof(*r));
	r->key.family = family;
	if (family == AF_INET) {
		inet_pton(AF_INET, "192.0.2.10", r->key.client_addr);
		inet_pton(AF_INET, "198.51.100.20", r->key.server_addr);
	} else {
		inet_pton(AF_INET6, "2001:db8::a", r->key.client_addr);
		inet_pton(AF_INET6, "2001:db8:ffff::1:2", r->key.server_addr);
	}
	r->key.client_port = 10000 + i;
	r->key.server_port = 443;
	r->key.protocol = i % 3 ? IPPROTO_TCP : IPPROTO_UDP;
	r->start_ms = 1700000000000ULL + i;
	r->end_ms = r->start_ms + 1500 + i;
	r->fwd = (struct flow_counters){ 1000 + i, 10 + i, 500 + i };
	r->rev = (struct flow_counters){ 90000 + i, 70 + i, 80000 + i };
	r->client.pid = 1000 + i;
	r->client.uid = 500 + i;
	snprintf(r->client.name, sizeof(r->client.name), "cli%d", i);
	r->server.pid = 2000 + i;
	r->server.uid = 33;
	/* The longest name a comm can hold (15 bytes), and a quote. */
	snprintf(r->server.name, sizeof(r->server.name), "%s",
		 i % 2 ? "a-very-long-nam" : "nginx \"w\"");
	r->end_reason = 1 + i % 5;
	r->tcp_flags = 0x1b;
}

static void assert_same_record(const struct flow_record *want, const struct flow_record *got)
{
	size_t alen = want->key.family == AF_INET ? 4 : 16;

	g_assert_cmpuint(got->key.family, ==, want->key.family);
	g_assert_cmpmem(got->key.client_addr, alen, want->key.client_addr, alen);
	g_assert_cmpmem(got->key.server_addr, alen, want->key.server_addr, alen);
	g_assert_cmpuint(got->key.client_port, ==, want->key.client_port);
	g_assert_cmpuint(got->key.server_port, ==, want->key.server_port);
	g_assert_cmpuint(got->key.protocol, ==, want->key.protocol);
	g_assert_cmpuint(got->start_ms, ==, want->start_ms);
	g_assert_cmpuint(got->end_ms, ==, want->end_ms);
	g_assert_cmpuint(got->fwd.octets, ==, want->fwd.octets);
	g_assert_cmpuint(got->fwd.packets, ==, want->fwd.packets);
	g_assert_cmpuint(got->fwd.payload, ==, want->fwd.payload);
	g_assert_cmpuint(got->rev.octets, ==, want->rev.octets);
	g_assert_cmpuint(got->rev.packets, ==, want->rev.packets);
	g_assert_cmpuint(got->rev.payload, ==, want->rev.payload);
	g_assert_cmpuint(got->client.pid, ==, want->client.pid);
	g_assert_cmpuint(got->server.pid, ==, want->server.pid);
	g_assert_cmpuint(got->client.uid, ==, want->client.pid ? want->client.uid : 0);
	g_assert_cmpuint(got->server.uid, ==, want->server.pid ? want->server.uid : 0);
	g_assert_cmpstr(got->client.name, ==, want->client.pid ? want->client.name : "");
	g_assert_cmpstr(got->server.name, ==, want->server.pid ? want->server.name : "");
	g_assert_cmpuint(got->end_reason, ==, want->end_reason);
	g_assert_cmpuint(got->tcp_flags, ==, want->tcp_flags);
}

/*
 * A libfixbuf collector reading our messages back into the structs of
 * templates.h, and from them into flow records.
 */
struct decoder {
	fbInfoModel_t *model;
	fBuf_t *fbuf;			/* owns session (and collector, if any) */
	GArray *records;		/* struct flow_record */
	GArray *set_ids;		/* uint16_t, every set of every message, in order */
	GArray *seqs;			/* uint32_t sequence number of every message */
	GPtrArray *described;		/* names from RFC 5610 type records */
	guint flow_biflow_dir_bad;
};

static void name_from_varfield(char *name, const fbVarfield_t *v)
{
	g_assert_cmpuint(v->len, <, FLOW_COMM_LEN);
	memcpy(name, v->buf, v->len);
	name[v->len] = '\0';
}

static void add_internal(fbSession_t *session, uint16_t tid, fbTemplate_t *tmpl)
{
	GError *gerr = NULL;

	g_assert_nonnull(tmpl);
	g_assert_cmpuint(fbSessionAddTemplate(session, TRUE, tid, tmpl, &gerr), ==, tid);
	g_assert_no_error(gerr);
}

static fbTemplate_t *spec_template(fbInfoModel_t *model, fbInfoElementSpec_t *spec)
{
	fbTemplate_t *tmpl = fbTemplateAlloc(model);
	GError *gerr = NULL;

	g_assert_true(fbTemplateAppendSpecArray(tmpl, spec, UINT32_MAX, &gerr));
	g_assert_no_error(gerr);
	return tmpl;
}

/* A decoder on @path (an IPFIX file), or on buffers given to decoder_feed() when NULL. */
static void decoder_init(struct decoder *d, const char *path)
{
	fbCollector_t *collector = NULL;
	fbSession_t *session;
	GError *gerr = NULL;

	memset(d, 0, sizeof(*d));
	d->model = fbInfoModelAlloc();
	templates__add_elements(d->model);
	session = fbSessionAlloc(d->model);
	add_internal(session, TEMPLATES_TID_FLOW4, spec_template(d->model, templates_flow4_spec));
	add_internal(session, TEMPLATES_TID_FLOW6, spec_template(d->model, templates_flow6_spec));
	add_internal(session, TEMPLATES_TID_IE_TYPE,
		     fbInfoElementAllocTypeTemplate(d->model, &gerr));
	if (path) {
		collector = fbCollectorAllocFile(NULL, path, &gerr);
		g_assert_no_error(gerr);
	}
	d->fbuf = fBufAllocForCollection(session, collector);
	d->records = g_array_new(FALSE, TRUE, sizeof(struct flow_record));
	d->set_ids = g_array_new(FALSE, TRUE, sizeof(uint16_t));
	d->seqs = g_array_new(FALSE, TRUE, sizeof(uint32_t));
	d->described = g_ptr_array_new_with_free_func(g_free);
}

static void decoder_free(struct decoder *d)
{
	fBufFree(d->fbuf);
	fbInfoModelFree(d->model);
	g_array_free(d->records, TRUE);
	g_array_free(d->set_ids, TRUE);
	g_array_free(d->seqs, TRUE);
	g_ptr_array_free(d->described, TRUE);
}

/* Read every record libfixbuf has for us now. */
static void decoder_read(struct decoder *d)
{
	struct templates_flow4 r4;
	struct templates_flow6 r6;
	fbInfoElementOptRec_t ie;
	struct flow_record r;
	GError *gerr = NULL;
	uint16_t tid;
	size_t len;

	while (fBufNextCollectionTemplate(d->fbuf, &tid, &gerr)) {
		fBufSetInternalTemplate(d->fbuf, tid, &gerr);
		g_assert_no_error(gerr);
		memset(&r, 0, sizeof(r));
		switch (tid) {
		case TEMPLATES_TID_FLOW4:
			len = sizeof(r4);
			fBufNext(d->fbuf, (uint8_t *)&r4, &len, &gerr);
			g_assert_no_error(gerr);
			r.key.family = AF_INET;
			r4.sourceIPv4Address = htonl(r4.sourceIPv4Address);
			r4.destinationIPv4Address = htonl(r4.destinationIPv4Address);
			memcpy(r.key.client_addr, &r4.sourceIPv4Address, 4);
			memcpy(r.key.server_addr, &r4.destinationIPv4Address, 4);
#define FROM_COMMON(rec)                                                              \
	do {                                                                          \
		r.key.client_port = (rec).sourceTransportPort;                        \
		r.key.server_port = (rec).destinationTransportPort;                   \
		r.key.protocol = (rec).protocolIdentifier;                            \
		r.start_ms = (rec).flowStartMilliseconds;                             \
		r.end_ms = (rec).flowEndMilliseconds;                                 \
		r.fwd = (struct flow_counters){ (rec).octetDeltaCount,                \
						(rec).packetDeltaCount,               \
						(rec).sockflowPayloadOctets };        \
		r.rev = (struct flow_counters){ (rec).reverseOctetDeltaCount,         \
						(rec).reversePacketDeltaCount,        \
						(rec).reverseSockflowPayloadOctets }; \
		r.client.pid = (rec).SRC_PROC_PID;                                    \
		r.client.uid = (rec).SRC_PROC_UID;                                    \
		name_from_varfield(r.client.name, &(rec).SRC_PROC_NAME);              \
		r.server.pid = (rec).DST_PROC_PID;                                    \
		r.server.uid = (rec).DST_PROC_UID;                                    \
		name_from_varfield(r.server.name, &(rec).DST_PROC_NAME);              \
		r.end_reason = (rec).flowEndReason;                                   \
		r.tcp_flags = (rec).tcpControlBits;                                   \
		d->flow_biflow_dir_bad += (rec).biflowDirection != 1;                 \
	} while (0)
			FROM_COMMON(r4);
			g_array_append_val(d->records, r);
			break;
		case TEMPLATES_TID_FLOW6:
			len = sizeof(r6);
			fBufNext(d->fbuf, (uint8_t *)&r6, &len, &gerr);
			g_assert_no_error(gerr);
			r.key.family = AF_INET6;
			memcpy(r.key.client_addr, r6.sourceIPv6Address, 16);
			memcpy(r.key.server_addr, r6.destinationIPv6Address, 16);
			FROM_COMMON(r6);
			g_array_append_val(d->records, r);
			break;
		case TEMPLATES_TID_IE_TYPE:
			len = sizeof(ie);
			fBufNext(d->fbuf, (uint8_t *)&ie, &len, &gerr);
			g_assert_no_error(gerr);
			g_ptr_array_add(d->described,
					g_strndup((char *)ie.ie_name.buf, ie.ie_name.len));
			break;
		default:
			g_assert_not_reached();
		}
		g_assert_no_error(gerr);
	}
	/* The end of the input (file) or of the buffer. */
	g_assert_true(g_error_matches(gerr, FB_ERROR_DOMAIN, FB_ERROR_EOF) ||
		      g_error_matches(gerr, FB_ERROR_DOMAIN, FB_ERROR_EOM) ||
		      g_error_matches(gerr, FB_ERROR_DOMAIN, FB_ERROR_BUFSZ));
	g_clear_error(&gerr);
}

/* Note the header and set ids of one message of @len bytes. */
static void note_message(struct decoder *d, const uint8_t *msg, size_t len)
{
	uint16_t set_id, set_len;
	uint32_t seq;
	size_t off;

	g_assert_cmpuint(len, >=, 16);
	g_assert_cmpuint(msg[0] << 8 | msg[1], ==, 10);
	g_assert_cmpuint(msg[2] << 8 | msg[3], ==, len);
	memcpy(&seq, msg + 8, 4);
	seq = ntohl(seq);
	g_array_append_val(d->seqs, seq);
	for (off = 16; off + 4 <= len; off += set_len) {
		set_id = msg[off] << 8 | msg[off + 1];
		set_len = msg[off + 2] << 8 | msg[off + 3];
		/* No empty sets: libfixbuf's buffer collector rejects them. */
		g_assert_cmpuint(set_len, >, 4);
		g_array_append_val(d->set_ids, set_id);
	}
	g_assert_cmpuint(off, ==, len);
}

/* Decode the complete messages at the head of @stream and remove them. */
static void decoder_feed(struct decoder *d, GByteArray *stream)
{
	size_t len;

	while (stream->len >= 4) {
		len = stream->data[2] << 8 | stream->data[3];
		if (stream->len < len)
			break;
		note_message(d, stream->data, len);
		fBufSetBuffer(d->fbuf, stream->data, len);
		decoder_read(d);
		g_byte_array_remove_range(stream, 0, len);
	}
}

static const struct flow_record *decoded(const struct decoder *d, guint i)
{
	return &g_array_index(d->records, struct flow_record, i);
}

static int set_index(const struct decoder *d, uint16_t set_id)
{
	guint i;

	for (i = 0; i < d->set_ids->len; i++)
		if (g_array_index(d->set_ids, uint16_t, i) == set_id)
			return i;
	return -1;
}

static struct export_options default_opts(void)
{
	return (struct export_options){
		.observation_domain_id = 4242,
		.template_refresh_s = 10,
		.buffer_records = 16,
	};
}

static struct export_sink *new_sink(enum collector_transport kind, const char *host,
				    uint16_t port, const char *path,
				    const struct export_options *opts)
{
	struct collector c = { .transport = kind };
	struct export_sink *s;
	char msg[256] = "";
	int err = 1;

	if (path)
		g_strlcpy(c.path, path, sizeof(c.path));
	if (host) {
		g_strlcpy(c.host, host, sizeof(c.host));
		g_snprintf(c.port, sizeof(c.port), "%u", port);
	}
	g_snprintf(c.uri, sizeof(c.uri), "test:%s", path ? path : host);
	s = export_sink__new_ipfix(&c, opts, &err, msg, sizeof(msg));
	if (!s)
		g_error("new sink: %d %s", err, msg);
	g_assert_cmpint(err, ==, 0);
	g_assert_cmpstr(export_sink__name(s), ==, c.uri);
	return s;
}

/* Records of both families, pid 0 on one end, names up to 15 bytes, through a file. */
static void test_file_round_trip(void)
{
	struct export_options opts = default_opts();
	struct flow_record want[6];
	struct export_stats st;
	struct export_sink *s;
	struct decoder d;
	uint8_t head[16];
	char *dir, *path;
	uint32_t odid;
	FILE *f;
	int i;

	dir = g_dir_make_tmp("sockflow-ipfix-XXXXXX", NULL);
	g_assert_nonnull(dir);
	path = g_build_filename(dir, "flows.ipfix", NULL);
	s = new_sink(COLLECTOR_FILE, NULL, 0, path, &opts);
	for (i = 0; i < 6; i++) {
		make_record(&want[i], i % 2 ? AF_INET6 : AF_INET, i);
		if (i == 4) {
			want[i].client.pid = 0;
			want[i].server.pid = 0;
		}
		g_assert_cmpint(export_sink__add(s, &want[i]), ==, 0);
	}
	g_assert_cmpint(export_sink__flush(s, 1000), ==, 0);
	export_sink__stats(s, &st);
	g_assert_cmpuint(st.records, ==, 6);
	g_assert_cmpuint(st.records_sent, ==, 6);
	g_assert_cmpuint(st.records_lost, ==, 0);
	g_assert_cmpint(st.connected, ==, 1);
	export_sink__free(s);

	f = fopen(path, "rb");
	g_assert_nonnull(f);
	g_assert_cmpuint(fread(head, 1, sizeof(head), f), ==, sizeof(head));
	fclose(f);
	memcpy(&odid, head + 12, 4);
	g_assert_cmpuint(ntohl(odid), ==, 4242);

	decoder_init(&d, path);
	decoder_read(&d);
	g_assert_cmpuint(d.records->len, ==, 6);
	for (i = 0; i < 6; i++)
		assert_same_record(&want[i], decoded(&d, i));
	g_assert_cmpuint(d.flow_biflow_dir_bad, ==, 0);
	/* Every non-IANA element is described in-band (RFC 5610). */
	for (i = 0; templates_described_elements[i]; i++)
		g_assert_true(g_ptr_array_find_with_equal_func(
			d.described, templates_described_elements[i], g_str_equal, NULL));
	decoder_free(&d);

	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

static int bound_socket(int family, int type, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, one = 1;

	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(*port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sin6->sin6_port = htons(*port);
		len = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -errno;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* Read the datagrams waiting on @fd into @d; returns how many. */
static int read_datagrams(int fd, struct decoder *d, size_t *max_len)
{
	GByteArray *msg = g_byte_array_new();
	uint8_t buf[65536];
	int n = 0;
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if ((size_t)len > *max_len)
			*max_len = len;
		g_byte_array_append(msg, buf, len);
		decoder_feed(d, msg);
		g_assert_cmpuint(msg->len, ==, 0);
		n++;
	}
	g_byte_array_free(msg, TRUE);
	return n;
}

/* UDP: messages stay below 1400 bytes; templates at start and per refresh interval. */
static void udp_round_trip(int family, const char *host)
{
	struct export_options opts = default_opts();
	struct flow_record want[300];
	struct export_stats st;
	struct export_sink *s;
	size_t max_len = 0;
	struct decoder d;
	uint16_t port = 0;
	int fd, i, tsets;

	fd = bound_socket(family, SOCK_DGRAM, &port);
	if (fd < 0) {
		g_test_skip("no loopback for this family");
		return;
	}
	decoder_init(&d, NULL);
	s = new_sink(COLLECTOR_UDP, host, port, NULL, &opts);
	g_assert_cmpint(export_sink__flush(s, 1000), ==, 0);
	for (i = 0; i < 300; i++) {
		make_record(&want[i], i % 3 ? family : AF_INET, i);
		g_assert_cmpint(export_sink__add(s, &want[i]), ==, 0);
	}
	g_assert_cmpint(export_sink__flush(s, 5000), ==, 0);
	g_usleep(10000);
	read_datagrams(fd, &d, &max_len);

	g_assert_cmpuint(max_len, <=, 1400);
	g_assert_cmpuint(d.records->len, ==, 300);
	for (i = 0; i < 300; i++)
		assert_same_record(&want[i], decoded(&d, i));
	/* The template set came before the first data set. */
	g_assert_cmpint(set_index(&d, 2), >=, 0);
	g_assert_cmpint(set_index(&d, 2), <, set_index(&d, TEMPLATES_TID_FLOW4));
	export_sink__stats(s, &st);
	g_assert_cmpuint(st.records_sent, ==, 300);
	g_assert_cmpuint(st.records_lost, ==, 0);
	g_assert_cmpuint(st.send_errors, ==, 0);

	/* 10 s after the first flush (1000 ms) the templates go out again, not before. */
	tsets = 0;
	g_array_set_size(d.set_ids, 0);
	g_assert_cmpint(export_sink__flush(s, 10999), ==, 0);
	g_usleep(10000);
	read_datagrams(fd, &d, &max_len);
	g_assert_cmpint(set_index(&d, 2), <, 0);
	g_assert_cmpint(export_sink__flush(s, 11000), ==, 0);
	g_usleep(10000);
	read_datagrams(fd, &d, &max_len);
	for (i = 0; i < (int)d.set_ids->len; i++)
		tsets += g_array_index(d.set_ids, uint16_t, i) == 2;
	g_assert_cmpint(tsets, ==, 1);

	export_sink__free(s);
	decoder_free(&d);
	close(fd);
}

static void test_udp_ipv4(void)
{
	udp_round_trip(AF_INET, "127.0.0.1");
}

static void test_udp_ipv6(void)
{
	udp_round_trip(AF_INET6, "::1");
}

static uint64_t mono_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

/* Flush with a clock running 500 ms per round until the sink is connected. */
static uint64_t flush_until_connected(struct export_sink *s, uint64_t now)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_US;
	struct export_stats st;

	for (;;) {
		export_sink__flush(s, now);
		export_sink__stats(s, &st);
		if (st.connected)
			return now;
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		now += 500;
		g_usleep(2000);
	}
}

static int accept_one(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int fd;

	g_assert_cmpint(poll(&pfd, 1, WAIT_US / 1000), ==, 1);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	return fd;
}

/* Read from @fd, flushing @s, until @d holds @n flow records. */
static void read_records(int fd, struct export_sink *s, uint64_t now, struct decoder *d, guint n)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_US;
	GByteArray *stream = g_byte_array_new();
	uint8_t buf[16384];
	ssize_t len;

	while (d->records->len < n) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		export_sink__flush(s, now);
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len > 0) {
			g_byte_array_append(stream, buf, len);
			decoder_feed(d, stream);
			continue;
		}
		g_assert_true(len < 0 && errno == EAGAIN);
		g_usleep(1000);
	}
	g_assert_cmpuint(stream->len, ==, 0);
	g_byte_array_free(stream, TRUE);
}

/* Each TCP connection is a new transport session: sequence 0, descriptions and templates first. */
static void assert_session_start(const struct decoder *d)
{
	int flow4 = set_index(d, TEMPLATES_TID_FLOW4), flow6 = set_index(d, TEMPLATES_TID_FLOW6);
	int first_flow = flow4 < 0 ? flow6 : flow6 < 0 ? flow4 : MIN(flow4, flow6);

	g_assert_cmpuint(g_array_index(d->seqs, uint32_t, 0), ==, 0);
	g_assert_cmpuint(g_array_index(d->set_ids, uint16_t, 0), ==, 3);
	g_assert_cmpint(set_index(d, 2), >, 0);
	g_assert_cmpint(first_flow, >, set_index(d, 2));
}

/*
 * TCP: records wait in a bounded queue while the collector is down,
 * overflow is counted, and a collector that comes up (again) gets
 * templates first, then the queued records.
 */
static void test_tcp_reconnect(void)
{
	struct export_options opts = default_opts();
	struct flow_record want[10];
	struct export_stats st;
	struct export_sink *s;
	struct decoder d;
	uint16_t port = 0;
	uint64_t now = 1000;
	int lfd, cfd, i;

	/* A port with nothing listening. */
	lfd = bound_socket(AF_INET, SOCK_STREAM, &port);
	g_assert_cmpint(lfd, >=, 0);
	close(lfd);

	opts.buffer_records = 5;
	s = new_sink(COLLECTOR_TCP, "127.0.0.1", port, NULL, &opts);
	for (i = 0; i < 3; i++, now += 10)
		export_sink__flush(s, now);
	for (i = 0; i < 8; i++) {
		make_record(&want[i], i % 2 ? AF_INET6 : AF_INET, i);
		g_assert_cmpint(export_sink__add(s, &want[i]), ==, i < 5 ? 0 : -ENOBUFS);
	}
	export_sink__stats(s, &st);
	g_assert_cmpint(st.connected, ==, 0);
	g_assert_cmpuint(st.records, ==, 8);
	g_assert_cmpuint(st.records_lost, ==, 3);
	g_assert_cmpuint(st.records_sent, ==, 0);
	g_assert_cmpuint(st.reconnects, ==, 0);

	/* The collector comes up: templates, then the five queued records. */
	lfd = bound_socket(AF_INET, SOCK_STREAM, &port);
	g_assert_cmpint(lfd, >=, 0);
	g_assert_cmpint(listen(lfd, 4), ==, 0);
	now = flush_until_connected(s, now);
	cfd = accept_one(lfd);
	decoder_init(&d, NULL);
	read_records(cfd, s, now, &d, 5);
	for (i = 0; i < 5; i++)
		assert_same_record(&want[i], decoded(&d, i));
	assert_session_start(&d);
	export_sink__flush(s, now);
	export_sink__stats(s, &st);
	g_assert_cmpint(st.connected, ==, 1);
	g_assert_cmpuint(st.reconnects, ==, 1);
	g_assert_cmpuint(st.records_sent, ==, 5);
	decoder_free(&d);

	/* The collector goes away; the sink notices and buffers again. */
	close(cfd);
	export_sink__flush(s, now);
	export_sink__stats(s, &st);
	g_assert_cmpint(st.connected, ==, 0);
	for (i = 8; i < 10; i++) {
		make_record(&want[i], AF_INET6, i);
		g_assert_cmpint(export_sink__add(s, &want[i]), ==, 0);
	}
	/* Back-off: no new attempt right away. */
	export_sink__flush(s, now + 10);
	export_sink__stats(s, &st);
	g_assert_cmpint(st.connected, ==, 0);

	now = flush_until_connected(s, now + 10);
	cfd = accept_one(lfd);
	decoder_init(&d, NULL);
	read_records(cfd, s, now, &d, 2);
	assert_same_record(&want[8], decoded(&d, 0));
	assert_same_record(&want[9], decoded(&d, 1));
	assert_session_start(&d);
	export_sink__stats(s, &st);
	g_assert_cmpuint(st.reconnects, ==, 2);
	g_assert_cmpuint(st.records_sent, ==, 7);
	g_assert_cmpuint(st.records_lost, ==, 3);
	decoder_free(&d);

	export_sink__free(s);
	close(cfd);
	close(lfd);
}

/* Flush a few times at the same (fake) time, giving the kernel time to refuse a connect. */
static void flush_at(struct export_sink *s, uint64_t now)
{
	int i;

	for (i = 0; i < 4; i++) {
		export_sink__flush(s, now);
		g_usleep(2000);
	}
}

/*
 * TCP: the first attempt at the first flush, then back-off doubling from
 * 1 s: attempts at 0, 1, 3, 7, 15, 31 s, then every 30 s: 61 s.
 */
static void test_tcp_backoff(void)
{
	static const uint64_t attempts_ms[] = { 1000, 3000, 7000, 15000, 31000 };
	struct export_options opts = default_opts();
	struct export_stats st;
	struct export_sink *s;
	uint16_t port = 0;
	unsigned int i;
	int lfd, cfd;

	lfd = bound_socket(AF_INET, SOCK_STREAM, &port);
	g_assert_cmpint(lfd, >=, 0);
	close(lfd);
	s = new_sink(COLLECTOR_TCP, "127.0.0.1", port, NULL, &opts);
	flush_at(s, 0);
	for (i = 0; i < G_N_ELEMENTS(attempts_ms); i++) {
		flush_at(s, attempts_ms[i] - 1);
		flush_at(s, attempts_ms[i]);
	}
	export_sink__stats(s, &st);
	g_assert_cmpint(st.connected, ==, 0);

	/* The collector is up, but the next attempt is due only at 31 + 30 s. */
	lfd = bound_socket(AF_INET, SOCK_STREAM, &port);
	g_assert_cmpint(lfd, >=, 0);
	g_assert_cmpint(listen(lfd, 4), ==, 0);
	flush_at(s, 60999);
	export_sink__stats(s, &st);
	g_assert_cmpint(st.connected, ==, 0);
	flush_at(s, 61000);
	export_sink__stats(s, &st);
	g_assert_cmpint(st.connected, ==, 1);
	g_assert_cmpuint(st.reconnects, ==, 1);
	cfd = accept_one(lfd);
	export_sink__free(s);
	close(cfd);
	close(lfd);
}

/* TCP: a slow collector; partial writes and the queue must keep the stream whole and in order. */
static void test_tcp_partial_writes(void)
{
	struct export_options opts = default_opts();
	struct flow_record r;
	struct export_stats st;
	struct export_sink *s;
	struct decoder d;
	uint16_t port = 0;
	int lfd, cfd, i, rcvbuf = 4096;
	const int n = 30000;
	uint64_t now;

	lfd = bound_socket(AF_INET, SOCK_STREAM, &port);
	g_assert_cmpint(lfd, >=, 0);
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	g_assert_cmpint(listen(lfd, 4), ==, 0);
	opts.buffer_records = n;
	s = new_sink(COLLECTOR_TCP, "localhost", port, NULL, &opts);
	now = flush_until_connected(s, mono_ms());
	cfd = accept_one(lfd);

	/* Far more than the socket buffers and the high-water mark hold. */
	for (i = 0; i < n; i++) {
		make_record(&r, i % 2 ? AF_INET6 : AF_INET, i);
		g_assert_cmpint(export_sink__add(s, &r), ==, 0);
		if (i % 1000 == 0)
			export_sink__flush(s, now);
	}
	decoder_init(&d, NULL);
	read_records(cfd, s, now, &d, n);
	for (i = 0; i < n; i++) {
		make_record(&r, i % 2 ? AF_INET6 : AF_INET, i);
		assert_same_record(&r, decoded(&d, i));
	}
	export_sink__flush(s, now);
	export_sink__stats(s, &st);
	g_assert_cmpuint(st.records_lost, ==, 0);
	g_assert_cmpuint(st.records_sent, ==, n);
	g_assert_cmpuint(st.send_errors, ==, 0);
	decoder_free(&d);
	export_sink__free(s);
	close(cfd);
	close(lfd);
}

static char *print_one(enum print_format format, const struct flow_record *r, int times)
{
	struct export_sink *s;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	f = open_memstream(&out, &len);
	g_assert_nonnull(f);
	s = export_sink__new_print(f, format);
	g_assert_nonnull(s);
	g_assert_cmpstr(export_sink__name(s), ==, "print");
	for (i = 0; i < times; i++)
		g_assert_cmpint(export_sink__add(s, r), ==, 0);
	export_sink__free(s);
	fclose(f);
	return out;
}

static void test_print_json(void)
{
	struct flow_record r;
	char *out;

	make_record(&r, AF_INET6, 2);
	snprintf(r.client.name, sizeof(r.client.name), "a\"b\\c\x01\xff");
	out = print_one(PRINT_JSON, &r, 1);
	g_assert_cmpstr(out, ==,
			"{\"flowStartMilliseconds\":1700000000002,"
			"\"flowEndMilliseconds\":1700000001504,"
			"\"sourceIPv6Address\":\"2001:db8::a\","
			"\"destinationIPv6Address\":\"2001:db8:ffff::1:2\","
			"\"sourceTransportPort\":10002,\"destinationTransportPort\":443,"
			"\"protocolIdentifier\":6,"
			"\"octetDeltaCount\":1002,\"packetDeltaCount\":12,"
			"\"reverseOctetDeltaCount\":90002,\"reversePacketDeltaCount\":72,"
			"\"sockflowPayloadOctets\":502,\"reverseSockflowPayloadOctets\":80002,"
			"\"tcpControlBits\":27,\"flowEndReason\":3,"
			"\"SRC_PROC_PID\":1002,\"SRC_PROC_NAME\":\"a\\\"b\\\\c\\u0001\\u00ff\","
			"\"SRC_PROC_UID\":502,"
			"\"DST_PROC_PID\":2002,\"DST_PROC_NAME\":\"nginx \\\"w\\\"\","
			"\"DST_PROC_UID\":33}\n");
	g_free(out);

	/* Ends that are not local processes have no process keys. */
	make_record(&r, AF_INET, 1);
	r.server.pid = 0;
	out = print_one(PRINT_JSON, &r, 1);
	g_assert_nonnull(strstr(out, "\"sourceIPv4Address\":\"192.0.2.10\","));
	g_assert_nonnull(strstr(out, "\"SRC_PROC_NAME\":\"cli1\""));
	g_assert_null(strstr(out, "DST_PROC"));
	g_free(out);
}

static void test_print_text(void)
{
	struct flow_record r;
	char **lines;
	char *out;

	g_setenv("TZ", "UTC", TRUE);
	tzset();
	make_record(&r, AF_INET6, 4);
	r.server.pid = 0;
	out = print_one(PRINT_TEXT, &r, 2);
	lines = g_strsplit(out, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 4);	/* header, 2 records, "" */
	g_assert_true(g_str_has_prefix(lines[0], "start"));
	g_assert_cmpstr(lines[1], ==, lines[2]);
	g_assert_true(g_str_has_prefix(lines[1], "2023-11-14 22:13:20.004 cli4[1004]"));
	g_assert_nonnull(strstr(lines[1], " -> - "));
	g_assert_nonnull(strstr(lines[1], " tcp "));
	g_assert_nonnull(strstr(lines[1], "[2001:db8::a]:10004 "));
	g_assert_nonnull(strstr(lines[1], "-> [2001:db8:ffff::1:2]:443 "));
	g_assert_nonnull(strstr(lines[1], " 1004/90004 "));
	g_assert_nonnull(strstr(lines[1], " 14/74 "));
	g_assert_nonnull(strstr(lines[1], " 1504 resources"));
	g_strfreev(lines);
	g_free(out);

	make_record(&r, AF_INET, 0);
	out = print_one(PRINT_TEXT, &r, 1);
	g_assert_nonnull(strstr(out, "cli0[1000]"));
	g_assert_nonnull(strstr(out, "-> nginx \"w\"[2000]"));
	g_assert_nonnull(strstr(out, " udp "));
	g_assert_nonnull(strstr(out, "192.0.2.10:10000 "));
	g_assert_nonnull(strstr(out, "-> 198.51.100.20:443 "));
	g_assert_nonnull(strstr(out, " idle\n"));
	g_free(out);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ipfix/file_round_trip", test_file_round_trip);
	g_test_add_func("/ipfix/udp_ipv4", test_udp_ipv4);
	g_test_add_func("/ipfix/udp_ipv6", test_udp_ipv6);
	g_test_add_func("/ipfix/tcp_reconnect", test_tcp_reconnect);
	g_test_add_func("/ipfix/tcp_backoff", test_tcp_backoff);
	g_test_add_func("/ipfix/tcp_partial_writes", test_tcp_partial_writes);
	g_test_add_func("/print/json", test_print_json);
	g_test_add_func("/print/text", test_print_text);
	return g_test_run();
}
