// SPDX-License-Identifier: GPL-2.0-only
/* The print sink: one line per record, for a person or as JSON. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <glib.h>

#include "export/sink.h"

/* Room for the longest line: two escaped names and two IPv6 addresses are far below. */
#define PRINT_LINE_MAX 2048

struct print_sink {
	struct export_sink base;
	FILE *out;			/* not ours: never closed here */
	enum print_format format;
	bool header_done;
	struct export_stats st;
};

/* A line being built; once it would overflow, further appends are dropped. */
struct line {
	char buf[PRINT_LINE_MAX];
	size_t len;
	bool truncated;
};

static const struct export_sink_ops print_ops;

static struct print_sink *to_print(const struct export_sink *s)
{
	return (struct print_sink *)s;
}

__attribute__((format(printf, 2, 3))) static void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->truncated)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(l->buf) - l->len) {
		l->truncated = true;
		return;
	}
	l->len += n;
}

#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* How a TCP connection ended, from its lifecycle flags: close, reset, refused or failed. */
static const char *tcp_end_word(uint8_t flags)
{
	if (flags & TCP_FLAG_ACK)
		return flags & TCP_FLAG_RST ? "reset" : "close";
	return flags & TCP_FLAG_RST ? "refused" : "failed";
}

static const char *end_reason_word(const struct flow_record *r)
{
	switch (r->end_reason) {
	case FLOW_END_IDLE:
		return "idle";
	case FLOW_END_ACTIVE:
		return "active";
	case FLOW_END_OF_FLOW:
		return r->key.protocol == IPPROTO_TCP ? tcp_end_word(r->tcp_flags) : "end";
	case FLOW_END_FORCED:
		return "forced";
	case FLOW_END_LACK_OF_RESOURCES:
		return "resources";
	default:
		return NULL;
	}
}

static const char *protocol_word(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	default:
		return NULL;
	}
}

/* "1.2.3.4:80" or "[::1]:80". */
static void format_endpoint(char *buf, size_t len, uint8_t family, const uint8_t *addr,
			    uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
}

/* "name[pid]", "-" when the end is not a known local process; unprintable bytes as \xHH. */
static void format_process(char *buf, size_t len, const struct flow_process *p)
{
	size_t i, n = 0, name_len;
	unsigned char c;

	if (!p->pid) {
		snprintf(buf, len, "-");
		return;
	}
	name_len = strnlen(p->name, sizeof(p->name));
	for (i = 0; i < name_len && n + 5 < len; i++) {
		c = p->name[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = c;
		else
			n += snprintf(buf + n, len - n, "\\x%02x", c);
	}
	snprintf(buf + n, len - n, "[%" PRIu32 "]", p->pid);
}

static void print_text(struct print_sink *s, struct line *l, const struct flow_record *r)
{
	char when[32], client[96], server[96], src[64], dst[64], bytes[48], pkts[48];
	const char *proto = protocol_word(r->key.protocol);
	const char *reason = end_reason_word(r);
	time_t secs = r->start_ms / 1000;
	struct tm tm;
	size_t n;

	if (!s->header_done) {
		line_add(l, "%-23s %-22s    %-22s %-6s %-23s    %-23s %21s %15s %8s %s\n",
			 "start", "client", "server", "proto", "client address",
			 "server address", "bytes c>s/s>c", "pkts c>s/s>c", "ms", "end");
		s->header_done = true;
	}
	if (!localtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));
	n = strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(when + n, sizeof(when) - n, ".%03u", (unsigned int)(r->start_ms % 1000));
	format_process(client, sizeof(client), &r->client);
	format_process(server, sizeof(server), &r->server);
	format_endpoint(src, sizeof(src), r->key.family, r->key.client_addr, r->key.client_port);
	format_endpoint(dst, sizeof(dst), r->key.family, r->key.server_addr, r->key.server_port);
	snprintf(bytes, sizeof(bytes), "%" PRIu64 "/%" PRIu64, r->fwd.octets, r->rev.octets);
	snprintf(pkts, sizeof(pkts), "%" PRIu64 "/%" PRIu64, r->fwd.packets, r->rev.packets);

	line_add(l, "%-23s %-22s -> %-22s ", when, client, server);
	if (proto)
		line_add(l, "%-6s ", proto);
	else
		line_add(l, "%-6u ", r->key.protocol);
	line_add(l, "%-23s -> %-23s %21s %15s %8" PRIu64 " ", src, dst, bytes, pkts,
		 r->end_ms >= r->start_ms ? r->end_ms - r->start_ms : 0);
	if (reason)
		line_add(l, "%s\n", reason);
	else
		line_add(l, "%u\n", r->end_reason);
}

/*
 * A JSON string: quotes, backslashes and control bytes escaped; in a
 * name that is not UTF-8, bytes above 0x7f as \u00XX (read as Latin-1).
 */
static void json_string(struct line *l, const char *str, size_t len)
{
	bool utf8 = g_utf8_validate(str, len, NULL);
	unsigned char c;
	size_t i;

	line_add(l, "\"");
	for (i = 0; i < len; i++) {
		c = str[i];
		if (c == '"' || c == '\\')
			line_add(l, "\\%c", c);
		else if (c == '\n')
			line_add(l, "\\n");
		else if (c == '\t')
			line_add(l, "\\t");
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			line_add(l, "\\u%04x", c);
		else
			line_add(l, "%c", c);
	}
	line_add(l, "\"");
}

static void json_process(struct line *l, const char *prefix, const struct flow_process *p)
{
	if (!p->pid)
		return;
	line_add(l, ",\"%s_PROC_PID\":%" PRIu32 ",\"%s_PROC_NAME\":", prefix, p->pid, prefix);
	json_string(l, p->name, strnlen(p->name, sizeof(p->name)));
	line_add(l, ",\"%s_PROC_UID\":%" PRIu32, prefix, p->uid);
}

/* Keys are the IPFIX element names the ipfix sink uses for the same values. */
static void print_json(struct line *l, const struct flow_record *r)
{
	const char *v = r->key.family == AF_INET6 ? "6" : "4";
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";

	inet_ntop(r->key.family, r->key.client_addr, src, sizeof(src));
	inet_ntop(r->key.family, r->key.server_addr, dst, sizeof(dst));
	line_add(l, "{\"flowStartMilliseconds\":%" PRIu64 ",\"flowEndMilliseconds\":%" PRIu64,
		 r->start_ms, r->end_ms);
	line_add(l, ",\"sourceIPv%sAddress\":\"%s\",\"destinationIPv%sAddress\":\"%s\"", v, src, v,
		 dst);
	line_add(l, ",\"sourceTransportPort\":%u,\"destinationTransportPort\":%u",
		 r->key.client_port, r->key.server_port);
	line_add(l, ",\"protocolIdentifier\":%u", r->key.protocol);
	line_add(l, ",\"octetDeltaCount\":%" PRIu64 ",\"packetDeltaCount\":%" PRIu64,
		 r->fwd.octets, r->fwd.packets);
	line_add(l, ",\"reverseOctetDeltaCount\":%" PRIu64 ",\"reversePacketDeltaCount\":%" PRIu64,
		 r->rev.octets, r->rev.packets);
	line_add(l,
		 ",\"sockflowPayloadOctets\":%" PRIu64 ",\"reverseSockflowPayloadOctets\":%" PRIu64,
		 r->fwd.payload, r->rev.payload);
	line_add(l, ",\"tcpControlBits\":%u,\"flowEndReason\":%u", r->tcp_flags, r->end_reason);
	json_process(l, "SRC", &r->client);
	json_process(l, "DST", &r->server);
	line_add(l, "}\n");
}

static int print_add(struct export_sink *sink, const struct flow_record *r)
{
	struct print_sink *s = to_print(sink);
	struct line l;

	l.len = 0;
	l.truncated = false;
	s->st.records++;
	if (s->format == PRINT_JSON)
		print_json(&l, r);
	else
		print_text(s, &l, r);
	if (l.truncated) {
		s->st.records_lost++;
		return -EOVERFLOW;
	}
	errno = 0;
	if (fwrite(l.buf, 1, l.len, s->out) != l.len || fflush(s->out)) {
		s->st.records_lost++;
		s->st.send_errors++;
		return errno ? -errno : -EIO;
	}
	s->st.records_sent++;
	s->st.messages_sent++;
	return 0;
}

static int print_flush(struct export_sink *sink, uint64_t now_ms)
{
	return fflush(to_print(sink)->out) ? -errno : 0;
}

static void print_stats(const struct export_sink *sink, struct export_stats *st)
{
	*st = to_print(sink)->st;
	st->connected = 1;
}

static const char *print_name(const struct export_sink *sink)
{
	return "print";
}

static void print_free(struct export_sink *sink)
{
	struct print_sink *s = to_print(sink);

	fflush(s->out);
	free(s);
}

struct export_sink *export_sink__new_print(FILE *out, enum print_format format)
{
	struct print_sink *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->base.ops = &print_ops;
	s->out = out;
	s->format = format;
	return &s->base;
}

static const struct export_sink_ops print_ops = {
	.add = print_add,
	.flush = print_flush,
	.stats = print_stats,
	.name = print_name,
	.free = print_free,
};
