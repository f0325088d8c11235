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
#include "utf8.h"

/*
 * Room for the longest line: a JSON record with every string of both
 * ends at its longest (about 1,300 bytes an end) and every byte escaped
 * as \u00XX takes about 17,000 bytes.
 */
#define PRINT_LINE_MAX 32768
/* A container id in the text format, as docker and podman shorten it. */
#define PRINT_SHORT_ID_LEN 12

/* A line being built; once it would overflow, further appends are dropped. */
struct line {
	char buf[PRINT_LINE_MAX];
	size_t len;
	bool truncated;
};

struct print_sink {
	struct export_sink base;
	FILE *out;			/* not ours: never closed here */
	enum print_format format;
	bool header_done;
	struct export_stats st;
	struct line line;		/* here, not on the stack: it is big */
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

/* Append the first @max bytes of @s at @buf + @n; unprintable bytes as \xHH. Returns the new @n. */
static size_t append_escaped(char *buf, size_t len, size_t n, const char *s, size_t max)
{
	size_t i, s_len = strnlen(s, max);
	unsigned char c;

	for (i = 0; i < s_len && n + 5 < len; i++) {
		c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = c;
		else
			n += snprintf(buf + n, len - n, "\\x%02x", c);
	}
	buf[n] = '\0';
	return n;
}

/*
 * "name[pid]", and "@container" when the process runs in a container:
 * its name, else its id shortened to 12 characters ("curl[123]@web").
 * "-" when the end is not a known local process.
 */
static void format_process(char *buf, size_t len, const struct flow_process *p)
{
	const struct flow_container *c = &p->container;
	size_t n;

	if (!p->pid) {
		snprintf(buf, len, "-");
		return;
	}
	n = append_escaped(buf, len, 0, p->name, sizeof(p->name));
	n += snprintf(buf + n, len - n, "[%" PRIu32 "]", p->pid);
	/* A systemd unit is not a container; the host has no runtime. */
	if (!c->runtime[0] || !strcmp(c->runtime, "systemd") || n + 1 >= len)
		return;
	if (c->name[0]) {
		buf[n++] = '@';
		append_escaped(buf, len, n, c->name, sizeof(c->name));
	} else if (c->id[0]) {
		buf[n++] = '@';
		append_escaped(buf, len, n, c->id, PRINT_SHORT_ID_LEN);
	}
}

static void print_text(struct print_sink *s, struct line *l, const struct flow_record *r)
{
	char when[32], client[256], server[256], src[64], dst[64], bytes[48], pkts[48];
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
		line_add(l, "%s", reason);
	else
		line_add(l, "%u", r->end_reason);
	if (r->key.protocol == IPPROTO_TCP &&
	    (r->client_q.rtt_us || r->server_q.rtt_us || r->client_q.retrans || r->server_q.retrans))
		line_add(l, " rtt %.3f/%.3f ms retrans %" PRIu32 "/%" PRIu32,
			 r->client_q.rtt_us / 1000.0, r->server_q.rtt_us / 1000.0,
			 r->client_q.retrans, r->server_q.retrans);
	if (r->post_nat.nat) {
		format_endpoint(src, sizeof(src), r->key.family, r->post_nat.client_addr,
				r->post_nat.client_port);
		format_endpoint(dst, sizeof(dst), r->key.family, r->post_nat.server_addr,
				r->post_nat.server_port);
		line_add(l, " nat %s -> %s", src, dst);
	}
	if (r->flags & FLOW_RECORD_START_UNKNOWN)
		line_add(l, " (open before sockflow started)");
	line_add(l, "\n");
}

/*
 * A JSON string: quotes, backslashes and control bytes escaped. The enrich
 * stage made every name valid UTF-8; anything else still gets U+FFFD for
 * bytes that are not, so the line stays valid JSON.
 */
static void json_string(struct line *l, const char *str, size_t len)
{
	char *valid = NULL;
	unsigned char c;
	size_t i;

	if (!utf8__valid(str, len)) {
		/* each bad byte may grow to 3 */
		valid = g_malloc(len * 3 + 1);
		len = utf8__sanitize(valid, len * 3 + 1, str, len);
		str = valid;
	}
	line_add(l, "\"");
	for (i = 0; i < len; i++) {
		c = str[i];
		if (c == '"' || c == '\\')
			line_add(l, "\\%c", c);
		else if (c == '\n')
			line_add(l, "\\n");
		else if (c == '\t')
			line_add(l, "\\t");
		else if (c < 0x20 || c == 0x7f)
			line_add(l, "\\u%04x", c);
		else
			line_add(l, "%c", c);
	}
	line_add(l, "\"");
	g_free(valid);
}

/* ,"KEY":"value" for a NUL-terminated string in @size bytes; nothing when it is empty. */
static void json_member_string(struct line *l, const char *key, const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	if (!len)
		return;
	line_add(l, ",\"%s\":", key);
	json_string(l, s, len);
}

/* ,"KEY":value; nothing when it is 0 (unknown). */
static void json_member_u64(struct line *l, const char *key, uint64_t v)
{
	if (v)
		line_add(l, ",\"%s\":%" PRIu64, key, v);
}

/* The element names of one end's values: ntop's, then sockflow's own. */
struct end_keys {
	const char *pid, *name, *uid, *user, *ppid, *parent, *cmdline, *container_id;
	const char *exe, *container_name, *runtime, *image, *pod_name, *pod_namespace, *pod_uid;
	const char *netns, *cgroup_id, *cgroup;
};

static const struct end_keys client_keys = {
	"SRC_PROC_PID", "SRC_PROC_NAME", "SRC_PROC_UID", "SRC_PROC_USER_NAME",
	"SRC_FATHER_PROC_PID", "SRC_FATHER_PROC_NAME", "SRC_PROC_CMDLINE", "SRC_PROC_CONTAINER_ID",
	"sockflowSourceExecutable", "sockflowSourceContainerName",
	"sockflowSourceContainerRuntime", "sockflowSourceContainerImage", "sockflowSourcePodName",
	"sockflowSourcePodNamespace", "sockflowSourcePodUid", "sockflowSourceNetnsInode",
	"sockflowSourceCgroupId", "sockflowSourceCgroupPath",
};

static const struct end_keys server_keys = {
	"DST_PROC_PID", "DST_PROC_NAME", "DST_PROC_UID", "DST_PROC_USER_NAME",
	"DST_FATHER_PROC_PID", "DST_FATHER_PROC_NAME", "DST_PROC_CMDLINE", "DST_PROC_CONTAINER_ID",
	"sockflowDestinationExecutable", "sockflowDestinationContainerName",
	"sockflowDestinationContainerRuntime", "sockflowDestinationContainerImage",
	"sockflowDestinationPodName", "sockflowDestinationPodNamespace",
	"sockflowDestinationPodUid", "sockflowDestinationNetnsInode",
	"sockflowDestinationCgroupId", "sockflowDestinationCgroupPath",
};

#define JSON_STRING(l, key, s) json_member_string((l), (key), (s), sizeof(s))

/*
 * One end's process, when it is a local one: pid, name and uid always
 * (uid 0 is root), everything else only when known (not empty, not 0).
 */
static void json_process(struct line *l, const struct end_keys *k, const struct flow_process *p)
{
	const struct flow_container *c = &p->container;

	if (!p->pid)
		return;
	line_add(l, ",\"%s\":%" PRIu32 ",\"%s\":", k->pid, p->pid, k->name);
	json_string(l, p->name, strnlen(p->name, sizeof(p->name)));
	line_add(l, ",\"%s\":%" PRIu32, k->uid, p->uid);
	JSON_STRING(l, k->user, p->user);
	json_member_u64(l, k->ppid, p->ppid);
	JSON_STRING(l, k->parent, p->parent_name);
	JSON_STRING(l, k->cmdline, p->cmdline);
	JSON_STRING(l, k->container_id, c->id);
	JSON_STRING(l, k->exe, p->exe);
	JSON_STRING(l, k->container_name, c->name);
	JSON_STRING(l, k->runtime, c->runtime);
	JSON_STRING(l, k->image, c->image);
	JSON_STRING(l, k->pod_name, c->pod_name);
	JSON_STRING(l, k->pod_namespace, c->pod_namespace);
	JSON_STRING(l, k->pod_uid, c->pod_uid);
	json_member_u64(l, k->netns, p->netns_ino);
	json_member_u64(l, k->cgroup_id, p->cgroup_id);
	JSON_STRING(l, k->cgroup, p->cgroup);
}

/* TCP quality, as ntop's elements and sockflow's own; only what is known (not 0). */
static void json_quality(struct line *l, const struct flow_record *r)
{
	json_member_u64(l, "RETRANSMITTED_IN_PKTS", r->client_q.retrans);
	json_member_u64(l, "RETRANSMITTED_OUT_PKTS", r->server_q.retrans);
	json_member_u64(l, "CLIENT_NW_LATENCY_MS", flow_record__client_latency_ms(r));
	json_member_u64(l, "SERVER_NW_LATENCY_MS", flow_record__server_latency_ms(r));
	json_member_u64(l, "sockflowSourceRttMicroseconds", r->client_q.rtt_us);
	json_member_u64(l, "sockflowSourceRttVarMicroseconds", r->client_q.rttvar_us);
	json_member_u64(l, "sockflowDestinationRttMicroseconds", r->server_q.rtt_us);
	json_member_u64(l, "sockflowDestinationRttVarMicroseconds", r->server_q.rttvar_us);
	json_member_u64(l, "sockflowSourceLostSegments", r->client_q.lost);
	json_member_u64(l, "sockflowDestinationLostSegments", r->server_q.lost);
	json_member_u64(l, "sockflowSourceResetsSent", r->client_q.resets_sent);
	json_member_u64(l, "sockflowSourceResetsReceived", r->client_q.resets_received);
	json_member_u64(l, "sockflowDestinationResetsSent", r->server_q.resets_sent);
	json_member_u64(l, "sockflowDestinationResetsReceived", r->server_q.resets_received);
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
	if (r->post_nat.nat) {
		inet_ntop(r->key.family, r->post_nat.client_addr, src, sizeof(src));
		inet_ntop(r->key.family, r->post_nat.server_addr, dst, sizeof(dst));
		line_add(l, ",\"postNATSourceIPv%sAddress\":\"%s\","
			 "\"postNATDestinationIPv%sAddress\":\"%s\"", v, src, v, dst);
		line_add(l, ",\"postNAPTSourceTransportPort\":%u,"
			 "\"postNAPTDestinationTransportPort\":%u",
			 r->post_nat.client_port, r->post_nat.server_port);
	}
	line_add(l, ",\"protocolIdentifier\":%u", r->key.protocol);
	line_add(l, ",\"octetDeltaCount\":%" PRIu64 ",\"packetDeltaCount\":%" PRIu64,
		 r->fwd.octets, r->fwd.packets);
	line_add(l, ",\"reverseOctetDeltaCount\":%" PRIu64 ",\"reversePacketDeltaCount\":%" PRIu64,
		 r->rev.octets, r->rev.packets);
	line_add(l,
		 ",\"sockflowPayloadOctets\":%" PRIu64 ",\"reverseSockflowPayloadOctets\":%" PRIu64,
		 r->fwd.payload, r->rev.payload);
	line_add(l, ",\"tcpControlBits\":%u,\"flowEndReason\":%u", r->tcp_flags, r->end_reason);
	json_process(l, &client_keys, &r->client);
	json_process(l, &server_keys, &r->server);
	json_quality(l, r);
	json_member_u64(l, "sockflowFlowStartUnknown", !!(r->flags & FLOW_RECORD_START_UNKNOWN));
	line_add(l, "}\n");
}

static int print_add(struct export_sink *sink, const struct flow_record *r)
{
	struct print_sink *s = to_print(sink);
	struct line *l = &s->line;

	l->len = 0;
	l->truncated = false;
	s->st.records++;
	if (s->format == PRINT_JSON)
		print_json(l, r);
	else
		print_text(s, l, r);
	if (l->truncated) {
		s->st.records_lost++;
		return -EOVERFLOW;
	}
	errno = 0;
	if (fwrite(l->buf, 1, l->len, s->out) != l->len || fflush(s->out)) {
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
