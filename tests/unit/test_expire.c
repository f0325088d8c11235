// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: timeout rules -> flowEndReason, and the flow table that applies them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <glib.h>

#include "flow/expire.h"
#include "flow/table.h"

#define S (1000ull * 1000 * 1000)

static const struct flow_timeouts timeouts = {
	.active_ns = 60 * S,
	.idle_ns = 15 * S,
	.grace_ns = 1 * S,
};

static uint8_t due(uint64_t last_report, uint64_t last_activity, uint64_t closed, bool both,
		   bool unreported, uint64_t now, bool *final)
{
	struct flow_expire_state st = {
		.last_report_ns = last_report,
		.last_activity_ns = last_activity,
		.closed_ns = closed,
		.both_ends = both,
		.unreported = unreported,
	};
	return flow_expire__due(&st, &timeouts, now, final);
}

static void test_rules(void)
{
	bool final;

	/* Both local ends closed: end of flow at once. */
	g_assert_cmpuint(due(0, 5 * S, 6 * S, true, true, 6 * S, &final), ==, FLOW_END_OF_FLOW);
	g_assert_true(final);
	/* One end closed: wait for the other end during the grace period... */
	g_assert_cmpuint(due(0, 5 * S, 6 * S, false, true, 6 * S + S / 2, &final), ==, 0);
	g_assert_false(final);
	/* ...then end of flow. */
	g_assert_cmpuint(due(0, 5 * S, 6 * S, false, true, 7 * S, &final), ==, FLOW_END_OF_FLOW);
	g_assert_true(final);
	/* Live and nothing new since the last record: nothing, however old. */
	g_assert_cmpuint(due(0, 0, 0, true, false, 1000 * S, &final), ==, 0);
	/* Live, quiet for the idle timeout: idle record, flow stays. */
	g_assert_cmpuint(due(0, 10 * S, 0, true, true, 25 * S, &final), ==, FLOW_END_IDLE);
	g_assert_false(final);
	g_assert_cmpuint(due(0, 10 * S, 0, true, true, 25 * S - 1, &final), ==, 0);
	/* Live and busy past the active timeout: interim record. */
	g_assert_cmpuint(due(0, 59 * S, 0, true, true, 60 * S, &final), ==, FLOW_END_ACTIVE);
	g_assert_false(final);
	/* A kernel timestamp a little ahead of now is no reason to end anything. */
	g_assert_cmpuint(due(0, 61 * S, 0, true, true, 60 * S, &final), ==, FLOW_END_ACTIVE);
	g_assert_cmpuint(due(0, 61 * S, 61 * S, false, true, 60 * S, &final), ==, 0);
	/* Idle wins over active when both apply. */
	g_assert_cmpuint(due(0, 40 * S, 0, true, true, 60 * S, &final), ==, FLOW_END_IDLE);
}

/* UDP: no close ever comes, so idle ends the flow, reported or not. */
static void test_rules_udp(void)
{
	struct flow_expire_state st = {
		.last_report_ns = 0,
		.last_activity_ns = 10 * S,
		.both_ends = true,
		.unreported = true,
		.ends_when_idle = true,
	};
	bool final;

	g_assert_cmpuint(flow_expire__due(&st, &timeouts, 25 * S - 1, &final), ==, 0);
	g_assert_cmpuint(flow_expire__due(&st, &timeouts, 25 * S, &final), ==, FLOW_END_IDLE);
	g_assert_true(final);
	st.unreported = false;
	g_assert_cmpuint(flow_expire__due(&st, &timeouts, 25 * S, &final), ==, FLOW_END_IDLE);
	g_assert_true(final);
	/* Busy past the active timeout: an interim record, as for TCP. */
	st.unreported = true;
	st.last_activity_ns = 59 * S;
	g_assert_cmpuint(flow_expire__due(&st, &timeouts, 60 * S, &final), ==, FLOW_END_ACTIVE);
	g_assert_false(final);
}

/* A fake kernel: live counters by cookie, as the BPF socks map would hold them. */
struct fake {
	struct sf_counters cnt[4];
	uint64_t last_ns[4];
	bool gone[4];
	struct sf_proc proc[4];
	struct flow_record rec[64];
	int n;
	int reads;		/* live counter reads the table made */
	bool news_only;		/* as the daemon between sweeps: a gone socket reads as
				 * nothing new but its last TCP_INFO (zero counters) */
};

static void emit(void *ctx, const struct flow_record *r)
{
	struct fake *f = ctx;

	g_assert_cmpint(f->n, <, 64);
	f->rec[f->n++] = *r;
}

static int read_live(void *ctx, uint64_t cookie, bool first, struct sf_live *live)
{
	struct fake *f = ctx;

	(void)first;
	f->reads++;
	memset(live, 0, sizeof(*live));
	if (cookie >= 4 || f->gone[cookie]) {
		live->cookie = cookie;
		return f->news_only ? 0 : -ENOENT;
	}
	live->cookie = cookie;
	live->cnt = f->cnt[cookie];
	live->last_ns = f->last_ns[cookie];
	live->proc = f->proc[cookie];
	return 0;
}

static struct flow_table *table_new(struct fake *f, uint32_t max_flows)
{
	struct flow_table_options o = {
		.max_flows = max_flows,
		.timeouts = { .active_ns = 10 * S, .idle_ns = 30 * S, .grace_ns = 1 * S },
		.emit = emit,
		.emit_ctx = f,
		.read = read_live,
		.read_ctx = f,
	};
	struct flow_table *t = flow_table__new(&o);

	g_assert_nonnull(t);
	flow_table__set_clock(t, 0);
	return t;
}

/* An event for the client (cookie 1) or server (cookie 2) end of 127.0.0.1:40000 -> :80. */
static struct sf_event event(int type, int role, uint16_t client_port, uint64_t ts,
			     const char *comm, uint32_t pid)
{
	struct sf_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.role = role;
	e.cookie = role;
	e.start_ns = S;
	e.last_ns = ts;
	e.tuple.family = AF_INET;
	e.tuple.protocol = 6;
	inet_pton(AF_INET, "127.0.0.1", e.tuple.local_addr);
	inet_pton(AF_INET, "127.0.0.1", e.tuple.remote_addr);
	e.tuple.local_port = role == SF_ROLE_CLIENT ? client_port : 80;
	e.tuple.remote_port = role == SF_ROLE_CLIENT ? 80 : client_port;
	e.proc.tgid = pid;
	snprintf(e.proc.comm, sizeof(e.proc.comm), "%s", comm);
	e.flags = SF_FLAG_ESTABLISHED;
	return e;
}

static void set_counts(struct sf_counters *c, uint64_t out_p, uint64_t out_o, uint64_t in_p,
		       uint64_t in_o)
{
	c->packets[SF_DIR_OUT] = out_p;
	c->octets[SF_DIR_OUT] = out_o;
	c->packets[SF_DIR_IN] = in_p;
	c->octets[SF_DIR_IN] = in_o;
}

/*
 * A published port: the host client sees 127.0.0.1:40000 -> 127.0.0.1:18080,
 * the container's server 10.88.0.1:40000 -> 10.88.2.69:80 (DNAT and
 * masquerade in the host namespace, netns 7).
 */
static struct sf_event nat_end(int type, int role, const char *comm, uint32_t pid)
{
	struct sf_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.role = role;
	e.cookie = role;
	e.tuple.family = AF_INET;
	e.tuple.protocol = 6;
	if (role == SF_ROLE_CLIENT) {
		inet_pton(AF_INET, "127.0.0.1", e.tuple.local_addr);
		inet_pton(AF_INET, "127.0.0.1", e.tuple.remote_addr);
		e.tuple.local_port = 40000;
		e.tuple.remote_port = 18080;
		e.tuple.netns_ino = 7;
	} else {
		inet_pton(AF_INET, "10.88.2.69", e.tuple.local_addr);
		inet_pton(AF_INET, "10.88.0.1", e.tuple.remote_addr);
		e.tuple.local_port = 80;
		e.tuple.remote_port = 40000;
		e.tuple.netns_ino = 9;
	}
	e.proc.tgid = pid;
	snprintf(e.proc.comm, sizeof(e.proc.comm), "%s", comm);
	e.flags = SF_FLAG_ESTABLISHED;
	e.start_ns = 2 * S;
	e.last_ns = 2 * S;
	return e;
}

static void nat_bind(struct flow_table *t)
{
	struct flow_nat_binding b = { .family = AF_INET, .protocol = 6, .netns_ino = 7,
				      .nat = FLOW_NAT_SRC | FLOW_NAT_DST };

	inet_pton(AF_INET, "127.0.0.1", b.orig.src);
	inet_pton(AF_INET, "127.0.0.1", b.orig.dst);
	b.orig.sport = 40000;
	b.orig.dport = 18080;
	inet_pton(AF_INET, "10.88.2.69", b.reply.src);
	inet_pton(AF_INET, "10.88.0.1", b.reply.dst);
	b.reply.sport = 80;
	b.reply.dport = 40000;
	flow_table__nat(t, &b, 2 * S);
}

/* Binding first, client first, server first, both first: always one joined flow. */
static void test_nat_join(void)
{
	int order;

	for (order = 0; order < 4; order++) {
		struct fake f = { 0 };
		struct flow_table *t = table_new(&f, 16);
		struct sf_event c = nat_end(SF_EVENT_OPEN, SF_ROLE_CLIENT, "curl", 100);
		struct sf_event sv = nat_end(SF_EVENT_OPEN, SF_ROLE_SERVER, "httpd", 200);
		char addr[INET_ADDRSTRLEN];

		if (order == 0)
			nat_bind(t);
		if (order != 2)
			flow_table__observe(t, &c, 2 * S);
		if (order == 1)
			nat_bind(t);
		flow_table__observe(t, &sv, 2 * S);
		if (order == 2) {
			nat_bind(t);
			flow_table__observe(t, &c, 2 * S);
		}
		if (order == 3)
			nat_bind(t);
		c.type = sv.type = SF_EVENT_CLOSE;
		flow_table__observe(t, &c, 3 * S);
		flow_table__observe(t, &sv, 3 * S);
		flow_table__expire(t, 3 * S);

		g_test_message("order %d", order);
		g_assert_cmpint(f.n, ==, 1);
		g_assert_cmpstr(f.rec[0].client.name, ==, "curl");
		g_assert_cmpstr(f.rec[0].server.name, ==, "httpd");
		g_assert_cmpuint(f.rec[0].key.server_port, ==, 18080);
		g_assert_cmpuint(f.rec[0].post_nat.nat, ==, FLOW_NAT_SRC | FLOW_NAT_DST);
		g_assert_cmpuint(f.rec[0].post_nat.server_port, ==, 80);
		g_assert_cmpuint(f.rec[0].post_nat.client_port, ==, 40000);
		inet_ntop(AF_INET, f.rec[0].post_nat.server_addr, addr, sizeof(addr));
		g_assert_cmpstr(addr, ==, "10.88.2.69");
		inet_ntop(AF_INET, f.rec[0].post_nat.client_addr, addr, sizeof(addr));
		g_assert_cmpstr(addr, ==, "10.88.0.1");
		flow_table__free(t);
	}
}

/* Both ends on this host: one record, both processes, the larger count each way. */
static void test_join_both_ends(void)
{
	struct fake f = { 0 };
	struct flow_table *t = table_new(&f, 16);
	struct sf_event e;

	e = event(SF_EVENT_OPEN, SF_ROLE_CLIENT, 40000, 2 * S, "curl", 100);
	flow_table__observe(t, &e, 2 * S);
	e = event(SF_EVENT_OPEN, SF_ROLE_SERVER, 40000, 2 * S, "nginx", 200);
	flow_table__observe(t, &e, 2 * S);
	/* The client closed first: its TIME_WAIT ACK is seen by the server only. */
	e = event(SF_EVENT_CLOSE, SF_ROLE_CLIENT, 40000, 3 * S, "curl", 100);
	set_counts(&e.cnt, 5, 400, 4, 1200);
	flow_table__observe(t, &e, 3 * S);
	g_assert_cmpint(f.n, ==, 0);
	/* The server aborts (ESTABLISHED -> CLOSE): its reset comes after its close event. */
	e = event(SF_EVENT_CLOSE, SF_ROLE_SERVER, 40000, 3 * S, "nginx", 200);
	e.old_state = TCP_ESTABLISHED;
	set_counts(&e.cnt, 4, 1200, 6, 452);
	flow_table__observe(t, &e, 3 * S);
	g_assert_cmpint(f.n, ==, 0);
	e = event(SF_EVENT_RESET, SF_ROLE_SERVER, 40000, 3 * S, "nginx", 200);
	e.role = 0;
	e.flags = SF_FLAG_RST_SENT;
	flow_table__observe(t, &e, 3 * S);
	g_assert_cmpuint(flow_table__expire(t, 3 * S), ==, 1);

	g_assert_cmpint(f.n, ==, 1);
	g_assert_cmpuint(f.rec[0].server_q.resets_sent, ==, 1);
	g_assert_cmpuint(f.rec[0].client_q.resets_sent, ==, 0);
	g_assert_cmpuint(f.rec[0].end_reason, ==, FLOW_END_OF_FLOW);
	g_assert_cmpuint(f.rec[0].fwd.packets, ==, 6);
	g_assert_cmpuint(f.rec[0].fwd.octets, ==, 452);
	g_assert_cmpuint(f.rec[0].rev.packets, ==, 4);
	g_assert_cmpuint(f.rec[0].rev.octets, ==, 1200);
	g_assert_cmpstr(f.rec[0].client.name, ==, "curl");
	g_assert_cmpuint(f.rec[0].client.pid, ==, 100);
	g_assert_cmpstr(f.rec[0].server.name, ==, "nginx");
	g_assert_cmpuint(f.rec[0].key.client_port, ==, 40000);
	g_assert_cmpuint(f.rec[0].start_ms, ==, 1000);
	flow_table__free(t);
}

/* A long-lived flow: interim deltas at each active timeout add up to the totals. */
static void test_active_deltas_add_up(void)
{
	struct fake f = { 0 };
	struct flow_table *t = table_new(&f, 16);
	uint64_t now, fwd = 0, rev = 0, pk = 0;
	struct sf_event e;
	int i, interim = 0;

	e = event(SF_EVENT_OPEN, SF_ROLE_CLIENT, 40001, S, "client", 1);
	flow_table__observe(t, &e, S);
	for (now = S, i = 1; now <= 35 * S; now += S / 2, i++) {
		set_counts(&f.cnt[1], i * 2, i * 1000, i, i * 60);
		f.last_ns[1] = now;
		/* As the daemon does for the sockets a snapshot found with packets. */
		flow_table__wake(t, 1);
		flow_table__expire(t, now);
	}
	e = event(SF_EVENT_CLOSE, SF_ROLE_CLIENT, 40001, now, "client", 1);
	f.gone[1] = true;
	set_counts(&e.cnt, i * 2 + 1, i * 1000 + 52, i + 1, i * 60 + 52);
	flow_table__observe(t, &e, now);
	flow_table__expire(t, now + 2 * S);

	for (i = 0; i < f.n; i++) {
		fwd += f.rec[i].fwd.octets;
		rev += f.rec[i].rev.octets;
		pk += f.rec[i].fwd.packets;
		if (f.rec[i].end_reason == FLOW_END_ACTIVE)
			interim++;
	}
	g_assert_cmpint(interim, ==, 3);
	g_assert_cmpuint(f.rec[f.n - 1].end_reason, ==, FLOW_END_OF_FLOW);
	g_assert_cmpuint(fwd, ==, e.cnt.octets[SF_DIR_OUT]);
	g_assert_cmpuint(rev, ==, e.cnt.octets[SF_DIR_IN]);
	g_assert_cmpuint(pk, ==, e.cnt.packets[SF_DIR_OUT]);
	/* Records tile time: each starts where the previous one ended. */
	for (i = 1; i < f.n; i++)
		g_assert_cmpuint(f.rec[i].start_ms, ==, f.rec[i - 1].end_ms);
	flow_table__free(t);
}

/*
 * The server end is first named after the listener's owner; once the
 * kernel knows who accept()ed it, interim records carry that process.
 */
static void test_interim_learns_acceptor(void)
{
	struct fake f = { 0 };
	struct flow_table *t = table_new(&f, 16);
	struct sf_event e = event(SF_EVENT_OPEN, SF_ROLE_SERVER, 40004, S, "", 0);

	flow_table__observe(t, &e, S);
	f.proc[SF_ROLE_SERVER].tgid = 321;
	snprintf(f.proc[SF_ROLE_SERVER].comm, SF_COMM_LEN, "worker");
	set_counts(&f.cnt[SF_ROLE_SERVER], 3, 200, 3, 300);
	f.last_ns[SF_ROLE_SERVER] = 11 * S;
	flow_table__expire(t, 11 * S + 1);
	g_assert_cmpint(f.n, ==, 1);
	g_assert_cmpuint(f.rec[0].end_reason, ==, FLOW_END_ACTIVE);
	g_assert_cmpuint(f.rec[0].server.pid, ==, 321);
	g_assert_cmpstr(f.rec[0].server.name, ==, "worker");
	flow_table__free(t);
}

/* A refused connect: only the client end, ended after the grace period, with RST. */
static void test_refused_single_end(void)
{
	struct fake f = { 0 };
	struct flow_table *t = table_new(&f, 16);
	struct sf_event e = event(SF_EVENT_CLOSE, SF_ROLE_CLIENT, 40002, S, "client", 1);

	e.flags = SF_FLAG_RST_RECEIVED;
	set_counts(&e.cnt, 1, 60, 1, 40);
	flow_table__observe(t, &e, S);
	flow_table__expire(t, S + S / 2);
	g_assert_cmpint(f.n, ==, 0);
	flow_table__expire(t, 2 * S);
	g_assert_cmpint(f.n, ==, 1);
	g_assert_cmpuint(f.rec[0].end_reason, ==, FLOW_END_OF_FLOW);
	g_assert_cmpuint(f.rec[0].tcp_flags, ==, 0x06);	/* SYN|RST, never ACKed */
	g_assert_cmpuint(f.rec[0].server.pid, ==, 0);
	flow_table__free(t);
}

/* A full table ends its oldest flow with lack of resources. */
static void test_full_table_evicts_oldest(void)
{
	struct fake f = { 0 };
	struct flow_table *t = table_new(&f, 2);
	struct flow_table_stats st;
	struct sf_event e;
	uint16_t port;

	for (port = 50000; port < 50003; port++) {
		e = event(SF_EVENT_OPEN, SF_ROLE_CLIENT, port, S, "c", 1);
		e.cookie = 10 + port;
		flow_table__observe(t, &e, S);
	}
	g_assert_cmpint(f.n, ==, 1);
	g_assert_cmpuint(f.rec[0].end_reason, ==, FLOW_END_LACK_OF_RESOURCES);
	g_assert_cmpuint(f.rec[0].key.client_port, ==, 50000);
	flow_table__stats(t, &st);
	g_assert_cmpuint(st.evicted, ==, 1);
	g_assert_cmpuint(st.flows, ==, 2);

	/* Shutdown: every open flow is forced out. */
	g_assert_cmpuint(flow_table__flush(t, 2 * S), ==, 2);
	g_assert_cmpint(f.n, ==, 3);
	g_assert_cmpuint(f.rec[1].end_reason, ==, FLOW_END_FORCED);
	g_assert_cmpuint(f.rec[2].end_reason, ==, FLOW_END_FORCED);
	flow_table__free(t);
}

/*
 * An idle connection costs nothing: once everything it did is reported,
 * the expiry pass reads nothing for it until it is woken (new packets),
 * and it still ends when its close event comes. A lost close is found
 * after wake_all.
 */
static void test_quiet_flow_costs_nothing(void)
{
	struct fake f = { 0 };
	struct flow_table *t = table_new(&f, 16);
	struct sf_event e = event(SF_EVENT_OPEN, SF_ROLE_CLIENT, 40005, S, "c", 1);
	uint64_t now;
	int reads;

	flow_table__observe(t, &e, S);
	set_counts(&f.cnt[1], 2, 100, 2, 100);
	f.last_ns[1] = 2 * S;
	/* Active timeout (10 s): the activity is reported, then nothing is due. */
	for (now = S; now <= 40 * S; now += S / 2)
		flow_table__expire(t, now);
	g_assert_cmpint(f.n, ==, 1);
	g_assert_cmpuint(f.rec[0].end_reason, ==, FLOW_END_ACTIVE);
	reads = f.reads;
	for (; now <= 400 * S; now += S / 2)
		flow_table__expire(t, now);
	g_assert_cmpint(f.reads, ==, reads);
	g_assert_cmpint(f.n, ==, 1);

	/* Packets again: woken, read, and reported (its active timeout is long past). */
	set_counts(&f.cnt[1], 4, 300, 3, 150);
	f.last_ns[1] = now;
	flow_table__wake(t, 1);
	flow_table__expire(t, now);
	g_assert_cmpint(f.reads, ==, reads + 1);
	g_assert_cmpint(f.n, ==, 2);
	g_assert_cmpuint(f.rec[1].fwd.octets, ==, 200);

	/* Quiet again, and its close event is lost: found once every flow is looked at. */
	flow_table__expire(t, now + S);
	reads = f.reads;
	f.gone[1] = true;
	flow_table__expire(t, now + 100 * S);
	g_assert_cmpint(f.reads, ==, reads);
	g_assert_cmpint(f.n, ==, 2);
	flow_table__wake_all(t);
	flow_table__expire(t, now + 101 * S);
	/* Seen gone once; later reads bring only TCP_INFO (no counters), and it still ends. */
	f.news_only = true;
	flow_table__expire(t, now + 105 * S);
	flow_table__expire(t, now + 110 * S);
	g_assert_cmpint(f.n, ==, 3);
	g_assert_cmpuint(f.rec[2].end_reason, ==, FLOW_END_OF_FLOW);
	flow_table__free(t);
}

/* A close event lost in the kernel: the socket is gone from the map, the flow still ends. */
static void test_lost_close_recovers(void)
{
	struct fake f = { 0 };
	struct flow_table *t = table_new(&f, 16);
	struct sf_event e = event(SF_EVENT_OPEN, SF_ROLE_CLIENT, 40003, S, "c", 1);

	flow_table__observe(t, &e, S);
	f.gone[1] = true;
	/* First seen missing: its close event may still be in the ring buffer. */
	flow_table__expire(t, 10 * S);
	g_assert_cmpint(f.n, ==, 0);
	/* Still missing after the grace period: closed here... */
	flow_table__expire(t, 13 * S);
	g_assert_cmpint(f.n, ==, 0);
	/* ...and, with no other end, reported once its own grace has passed. */
	flow_table__expire(t, 15 * S);
	g_assert_cmpint(f.n, ==, 1);
	g_assert_cmpuint(f.rec[0].end_reason, ==, FLOW_END_OF_FLOW);
	flow_table__free(t);
}

/* One side of a loopback UDP conversation 127.0.0.1:5000 <-> :53, as a snapshot shows it. */
static struct sf_udp_live udp_side(uint64_t cookie, bool client, uint32_t pid, uint32_t netns)
{
	struct sf_udp_live u;

	memset(&u, 0, sizeof(u));
	u.key.cookie = cookie;
	u.key.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", u.key.local_addr);
	inet_pton(AF_INET, "127.0.0.1", u.key.remote_addr);
	u.key.local_port = client ? 5000 : 53;
	u.key.remote_port = client ? 53 : 5000;
	u.flow.first_ns = 1 * S;
	u.flow.last_ns = 1 * S;
	u.flow.first_dir = client ? SF_DIR_OUT : SF_DIR_IN;
	u.flow.cnt.packets[SF_DIR_OUT] = 1;
	u.flow.cnt.packets[SF_DIR_IN] = 1;
	u.owner.proc.tgid = pid;
	u.owner.netns_ino = netns;
	return u;
}

/*
 * A socket whose owner is not known yet has no namespace either: its side
 * waits for the owner (up to 2 s) rather than make a flow of its own, so
 * both sides of a loopback conversation still make one flow.
 */
static void test_udp_waits_for_owner(void)
{
	struct flow_table_stats st;
	struct fake f = { 0 };
	struct flow_table *t = table_new(&f, 1024);
	struct sf_udp_live client = udp_side(7, true, 0, 0);
	struct sf_udp_live server = udp_side(8, false, 200, 4026531840u);

	flow_table__observe_udp(t, &server, 1 * S + S / 2, false);
	flow_table__observe_udp(t, &client, 1 * S + S / 2, false);	/* no owner: waits */
	flow_table__stats(t, &st);
	g_assert_cmpuint(st.flows, ==, 1);
	client = udp_side(7, true, 100, 4026531840u);		/* owner known now */
	flow_table__observe_udp(t, &client, 2 * S, false);
	flow_table__stats(t, &st);
	g_assert_cmpuint(st.flows, ==, 1);			/* joined, not a second flow */
	flow_table__free(t);

	/* An owner that never shows up: the side gets a flow of its own after the wait. */
	t = table_new(&f, 1024);
	client = udp_side(7, true, 0, 0);
	flow_table__observe_udp(t, &client, 2 * S, false);
	flow_table__stats(t, &st);
	g_assert_cmpuint(st.flows, ==, 0);
	flow_table__observe_udp(t, &client, 3 * S, false);
	flow_table__stats(t, &st);
	g_assert_cmpuint(st.flows, ==, 1);
	flow_table__free(t);

	/* The last snapshot before exit waits for nothing. */
	t = table_new(&f, 1024);
	flow_table__observe_udp(t, &client, 1 * S + S / 2, true);
	flow_table__stats(t, &st);
	g_assert_cmpuint(st.flows, ==, 1);
	flow_table__free(t);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/expire/rules", test_rules);
	g_test_add_func("/expire/rules-udp", test_rules_udp);
	g_test_add_func("/table/join-both-ends", test_join_both_ends);
	g_test_add_func("/table/nat-join", test_nat_join);
	g_test_add_func("/table/active-deltas-add-up", test_active_deltas_add_up);
	g_test_add_func("/table/refused-single-end", test_refused_single_end);
	g_test_add_func("/table/interim-learns-acceptor", test_interim_learns_acceptor);
	g_test_add_func("/table/full-table-evicts-oldest", test_full_table_evicts_oldest);
	g_test_add_func("/table/lost-close-recovers", test_lost_close_recovers);
	g_test_add_func("/table/quiet-flow-costs-nothing", test_quiet_flow_costs_nothing);
	g_test_add_func("/table/udp-waits-for-owner", test_udp_waits_for_owner);
	return g_test_run();
}
