// SPDX-License-Identifier: GPL-2.0-only
/* The flow table: joins socket ends into flows, turns their counters into delta records. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib.h>

#include "flow/key.h"
#include "flow/table.h"
#include "flow/table_internal.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* How long a UDP conversation whose socket has no known owner waits for one. */
#define UDP_OWNER_WAIT_NS (2ull * 1000 * 1000 * 1000)

static guint key_hash(gconstpointer k)
{
	return flow_key__hash(k);
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return flow_key__equal(a, b);
}

/* A UDP conversation's kernel key: every byte set, so hashed and compared as bytes. */
static guint udp_key_hash(gconstpointer k)
{
	const uint8_t *b = k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(struct sf_udp_key); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static gboolean udp_key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct sf_udp_key)) == 0;
}

void flow_table__set_timeouts(struct flow_table *t, const struct flow_timeouts *timeouts)
{
	const struct flow_timeouts *to = timeouts;

	t->opts.timeouts = *to;
	/* Live counters are read a few times per shortest timeout, not every tick. */
	t->check_interval_ns = (to->active_ns < to->idle_ns ? to->active_ns : to->idle_ns) / 4;
}

uint64_t flow_table__refresh_interval(const struct flow_table *t)
{
	return t->check_interval_ns;
}

/* A flow's memory, with its UDP conversations' names (the flows hash owns flows). */
static void flow_free(gpointer p)
{
	struct flow *f = p;

	g_free(f->end[0].udp_key);
	g_free(f->end[1].udp_key);
	free(f);
}

struct flow_table *flow_table__new(const struct flow_table_options *opts)
{
	struct flow_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->opts = *opts;
	t->flows = g_hash_table_new_full(key_hash, key_equal, NULL, flow_free);
	t->tcp_ends = g_hash_table_new(g_int64_hash, g_int64_equal);
	t->udp_ends = g_hash_table_new(udp_key_hash, udp_key_equal);
	t->nat_pre = g_hash_table_new_full(key_hash, key_equal, NULL, free);
	t->nat_post = g_hash_table_new(key_hash, key_equal);
	flow_table__set_timeouts(t, &t->opts.timeouts);
	return t;
}

void flow_table__set_clock(struct flow_table *t, int64_t realtime_offset_ns)
{
	t->realtime_offset_ns = realtime_offset_ns;
}

static uint64_t to_epoch_ms(const struct flow_table *t, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + t->realtime_offset_ns) / 1000000;
}

static struct flow *oldest(const struct flow_table *t)
{
	return t->lists[FLOW_LIST_AGE].first;
}

static void list_append(struct flow_table *t, enum flow_list_id id, struct flow *f)
{
	struct flow_list *l = &t->lists[id];

	f->link[id].prev = l->last;
	f->link[id].next = NULL;
	if (l->last)
		l->last->link[id].next = f;
	else
		l->first = f;
	l->last = f;
}

static void list_unlink(struct flow_table *t, enum flow_list_id id, struct flow *f)
{
	struct flow_list *l = &t->lists[id];
	struct flow_link *k = &f->link[id];

	if (k->prev)
		k->prev->link[id].next = k->next;
	else
		l->first = k->next;
	if (k->next)
		k->next->link[id].prev = k->prev;
	else
		l->last = k->prev;
}

/*
 * Put @f on the busy list (again); with @refresh, its counters are read at
 * the next expiry pass (the kernel saw packets), else when they are due.
 */
void table__busy_add(struct flow_table *t, struct flow *f, bool refresh)
{
	if (refresh)
		f->checked_ns = 0;
	if (f->busy)
		return;
	f->busy = true;
	list_append(t, FLOW_LIST_BUSY, f);
}

static void busy_remove(struct flow_table *t, struct flow *f)
{
	if (!f->busy)
		return;
	list_unlink(t, FLOW_LIST_BUSY, f);
	f->busy = false;
}

/* Index end @idx of @f by its socket cookie (TCP ends; UDP ones are indexed by conversation). */
void table__index_end(struct flow_table *t, struct flow *f, int idx)
{
	if (f->end[idx].cookie && !f->end[idx].udp)
		g_hash_table_replace(t->tcp_ends, &f->end[idx].cookie, f);
}

void table__unindex_end(struct flow_table *t, struct flow *f, int idx)
{
	if (f->end[idx].cookie && !f->end[idx].udp &&
	    g_hash_table_lookup(t->tcp_ends, &f->end[idx].cookie) == f)
		g_hash_table_remove(t->tcp_ends, &f->end[idx].cookie);
}

/* Absolute counters of one flow direction: @dir 0 is client -> server. */
static void flow_total(const struct flow *f, int dir, struct flow_counters *c)
{
	const struct sf_counters *cl = &f->end[0].cnt, *sv = &f->end[1].cnt;
	int cl_dir = dir == 0 ? SF_DIR_OUT : SF_DIR_IN;
	int sv_dir = dir == 0 ? SF_DIR_IN : SF_DIR_OUT;

	c->octets = max_u64(cl->octets[cl_dir], sv->octets[sv_dir]);
	c->packets = max_u64(cl->packets[cl_dir], sv->packets[sv_dir]);
	c->payload = max_u64(cl->payload[cl_dir], sv->payload[sv_dir]);
}

static void counters_merge(struct sf_counters *dst, const struct sf_counters *src)
{
	int d;

	for (d = 0; d < 2; d++) {
		dst->packets[d] = max_u64(dst->packets[d], src->packets[d]);
		dst->octets[d] = max_u64(dst->octets[d], src->octets[d]);
		dst->payload[d] = max_u64(dst->payload[d], src->payload[d]);
	}
}

/* RTT: the latest known; retransmissions and losses only grow. */
static void quality_merge(struct sf_tcp_quality *dst, const struct sf_tcp_quality *src)
{
	if (src->srtt_us) {
		dst->srtt_us = src->srtt_us;
		dst->rttvar_us = src->rttvar_us;
	}
	if (src->total_retrans > dst->total_retrans)
		dst->total_retrans = src->total_retrans;
	if (src->lost > dst->lost)
		dst->lost = src->lost;
}

/* Take the kernel's view of an end's process unless it knows less than we do. */
static void end_set_process(struct flow_end *end, const struct sf_proc *p)
{
	uint64_t cgroup_id = end->proc.cgroup_id;

	if (!p->tgid && end->proc.tgid)
		return;
	end->proc = *p;
	if (!end->proc.cgroup_id)
		end->proc.cgroup_id = cgroup_id;
}

/*
 * The record's view of an end: what the kernel captured. The enrich stage
 * adds executable, command line, user and container from its caches.
 */
static void end_to_process(const struct flow_end *end, struct flow_process *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = end->proc.tgid;
	p->uid = end->proc.uid;
	memcpy(p->name, end->proc.comm, sizeof(p->name));
	p->name[sizeof(p->name) - 1] = '\0';
	memcpy(p->parent_name, end->proc.parent_comm, sizeof(p->parent_name));
	p->parent_name[sizeof(p->parent_name) - 1] = '\0';
	p->ppid = end->proc.ppid;
	p->start_boottime_ns = end->proc.start_boottime_ns;
	p->cgroup_id = end->proc.cgroup_id;
	p->netns_ino = end->netns_ino;
}

/* Pull the kernel's current counters of the flow's open ends. */
static void flow_refresh(struct flow_table *t, struct flow *f, uint64_t now_ns)
{
	struct sf_live live;
	int i, err;

	f->checked_ns = now_ns;
	if (!t->opts.read)
		return;
	for (i = 0; i < 2; i++) {
		if (!f->end[i].open || f->end[i].udp)
			continue;
		err = t->opts.read(t->opts.read_ctx, f->end[i].cookie, f->end[i].unread, &live);
		/*
		 * Gone from the kernel, yet no close event: it may still be on its
		 * way, so wait the grace period; after that it was lost (ring
		 * buffer full) and the end is closed here. A socket the kernel no
		 * longer has never comes back (cookies are not reused): later reads
		 * need not say so again, they may only have TCP_INFO to add.
		 */
		if (err == -ENOENT && !f->end[i].missing_ns)
			f->end[i].missing_ns = now_ns;
		if (f->end[i].missing_ns) {
			if (now_ns - f->end[i].missing_ns >= t->opts.timeouts.grace_ns)
				f->end[i].open = false;
			continue;
		}
		if (err)
			continue;
		f->end[i].unread = false;
		counters_merge(&f->end[i].cnt, &live.cnt);
		quality_merge(&f->end[i].q, &live.q);
		end_set_process(&f->end[i], &live.proc);
		f->last_activity_ns = max_u64(f->last_activity_ns, live.last_ns);
	}
	if (!f->closed_ns && flow_all_closed(f))
		f->closed_ns = now_ns;
}

static uint8_t flow_tcp_flags(const struct flow *f)
{
	uint32_t flags = f->end[0].flags | f->end[1].flags;
	uint8_t bits = TCP_FLAG_SYN;

	if (f->key.protocol != IPPROTO_TCP)
		return 0;
	/* A connection found open at start: its SYN was before our time. */
	if (flags & SF_FLAG_PREEXISTING)
		bits = 0;

	if (flags & SF_FLAG_ESTABLISHED)
		bits |= TCP_FLAG_ACK;
	if (flags & SF_FLAG_FIN)
		bits |= TCP_FLAG_FIN;
	if (flags & (SF_FLAG_RST_SENT | SF_FLAG_RST_RECEIVED))
		bits |= TCP_FLAG_RST;
	return bits;
}

/* An end's quality for a record: retransmissions and losses since the last one. */
static void end_to_quality(const struct flow_end *end, uint32_t *sent_retrans,
			   uint32_t *sent_lost, struct flow_quality *q)
{
	memset(q, 0, sizeof(*q));
	q->rtt_us = end->q.srtt_us;
	q->rttvar_us = end->q.rttvar_us;
	q->retrans = end->q.total_retrans - *sent_retrans;
	q->lost = end->q.lost - *sent_lost;
	*sent_retrans = end->q.total_retrans;
	*sent_lost = end->q.lost;
	q->resets_sent = !!(end->flags & SF_FLAG_RST_SENT);
	q->resets_received = !!(end->flags & SF_FLAG_RST_RECEIVED);
}

/* Emit the flow's counters since its last record, with @reason. */
static void flow_report(struct flow_table *t, struct flow *f, uint8_t reason, uint64_t now_ns)
{
	struct flow_record r;
	struct flow_counters total;
	int dir;

	memset(&r, 0, sizeof(r));
	r.key = f->key;
	for (dir = 0; dir < 2; dir++) {
		struct flow_counters *delta = dir == 0 ? &r.fwd : &r.rev;

		flow_total(f, dir, &total);
		delta->octets = total.octets - f->sent[dir].octets;
		delta->packets = total.packets - f->sent[dir].packets;
		delta->payload = total.payload - f->sent[dir].payload;
		f->sent[dir] = total;
	}
	r.start_ms = to_epoch_ms(t, f->record_start_ns);
	r.end_ms = to_epoch_ms(t, max_u64(f->last_activity_ns, f->record_start_ns));
	end_to_process(&f->end[0], &r.client);
	end_to_process(&f->end[1], &r.server);
	end_to_quality(&f->end[0], &f->sent_retrans[0], &f->sent_lost[0], &r.client_q);
	end_to_quality(&f->end[1], &f->sent_retrans[1], &f->sent_lost[1], &r.server_q);
	r.end_reason = reason;
	r.tcp_flags = flow_tcp_flags(f);
	r.flags = f->record_flags;
	r.post_nat = f->nat;
	t->opts.emit(t->opts.emit_ctx, &r);
	t->stats.records++;

	f->last_report_ns = now_ns;
	f->reported_activity_ns = f->last_activity_ns;
	f->record_start_ns = max_u64(f->last_activity_ns, f->record_start_ns);
}

void table__remove_flow(struct flow_table *t, struct flow *f)
{
	struct nat_entry *e;
	int i;

	if (f->nat_id) {
		e = g_hash_table_lookup(t->nat_pre, &f->key);
		if (e && e->id == f->nat_id)
			table_nat__entry_drop(t, e);
	}
	for (i = 0; i < 2; i++) {
		if (f->end[i].udp)
			g_hash_table_remove(t->udp_ends, f->end[i].udp_key);
		table__unindex_end(t, f, i);
	}
	list_unlink(t, FLOW_LIST_AGE, f);
	busy_remove(t, f);
	g_hash_table_remove(t->flows, &f->key);
}

/* Merge a UDP conversation's kernel state into its end. */
static void udp_end_update(struct flow *f, struct flow_end *end, const struct sf_udp_flow *u)
{
	counters_merge(&end->cnt, &u->cnt);
	f->last_activity_ns = max_u64(f->last_activity_ns, u->last_ns);
}

/*
 * A UDP flow is over: take its conversations out of the kernel, with any
 * datagrams counted since the last snapshot, so the next datagram starts
 * a new flow and nothing is counted twice or lost.
 */
static void udp_forget(struct flow_table *t, struct flow *f)
{
	struct sf_udp_flow last;
	int i;

	for (i = 0; i < 2; i++) {
		if (!f->end[i].udp || !f->end[i].open)
			continue;
		f->end[i].open = false;
		if (t->opts.udp_read &&
		    t->opts.udp_read(t->opts.read_ctx, f->end[i].udp_key, true, &last) == 0)
			udp_end_update(f, &f->end[i], &last);
	}
}

/* Report @f a last time and drop it. */
static void flow_finish(struct flow_table *t, struct flow *f, uint8_t reason, uint64_t now_ns)
{
	if (reason != FLOW_END_OF_FLOW)
		flow_refresh(t, f, now_ns);
	udp_forget(t, f);
	/* A conversation quiet since its last record has nothing more to say. */
	if (f->key.protocol != IPPROTO_UDP || !f->reported_activity_ns ||
	    f->last_activity_ns > f->reported_activity_ns)
		flow_report(t, f, reason, now_ns);
	table__remove_flow(t, f);
}

static struct flow *flow_create(struct flow_table *t, const struct flow_key *key,
				uint64_t start_ns, uint64_t now_ns)
{
	struct flow *f;

	while (g_hash_table_size(t->flows) >= t->opts.max_flows && (f = oldest(t))) {
		flow_finish(t, f, FLOW_END_LACK_OF_RESOURCES, now_ns);
		t->stats.evicted++;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->key = *key;
	f->record_start_ns = start_ns;
	f->last_report_ns = now_ns;
	f->last_activity_ns = start_ns;
	f->checked_ns = now_ns;
	g_hash_table_insert(t->flows, &f->key, f);
	list_append(t, FLOW_LIST_AGE, f);
	table__busy_add(t, f, false);
	t->stats.created++;
	return f;
}

static bool flow_both_ends(const struct flow *f)
{
	return f->end[0].cookie && f->end[1].cookie;
}

/* A reset a socket sent after its close event: flag the end that socket was. */
static void observe_late_reset(struct flow_table *t, const struct sf_event *e)
{
	struct flow_key key;
	struct flow *f;
	int idx;

	for (idx = 0; idx < 2; idx++) {
		flow_key__from_tuple(&key, &e->tuple, idx + 1);
		f = g_hash_table_lookup(t->flows, &key);
		if (f && f->end[idx].cookie == e->cookie) {
			f->end[idx].flags |= e->flags;
			f->end[idx].may_reset = false;
			table__busy_add(t, f, false);
			return;
		}
	}
}

void flow_table__observe(struct flow_table *t, const struct sf_event *e, uint64_t now_ns)
{
	struct flow_key key;
	struct flow_end *end;
	struct flow *f;
	int idx;

	if (e->type == SF_EVENT_RESET) {
		observe_late_reset(t, e);
		return;
	}
	if (e->role != SF_ROLE_CLIENT && e->role != SF_ROLE_SERVER)
		return;
	idx = e->role - 1;
	flow_key__from_tuple(&key, &e->tuple, e->role);
	table_nat__translate(t, &key);
	f = g_hash_table_lookup(t->flows, &key);
	if (f && f->end[idx].cookie && f->end[idx].cookie != e->cookie) {
		/* The tuple is in use again by a new socket: the old flow is over. */
		flow_finish(t, f, f->closed_ns ? FLOW_END_OF_FLOW : FLOW_END_FORCED, now_ns);
		f = NULL;
	}
	if (!f) {
		f = flow_create(t, &key, e->start_ns, now_ns);
		if (!f)
			return;
	}
	table_nat__attach(t, f);
	if (e->start_ns && e->start_ns < f->record_start_ns && !f->reported_activity_ns)
		f->record_start_ns = e->start_ns;

	table__busy_add(t, f, false);
	end = &f->end[idx];
	end->cookie = e->cookie;
	table__index_end(t, f, idx);
	end->flags |= e->flags;
	if (e->flags & SF_FLAG_PREEXISTING)
		f->record_flags |= FLOW_RECORD_START_UNKNOWN;
	counters_merge(&end->cnt, &e->cnt);
	quality_merge(&end->q, &e->q);
	end_set_process(end, &e->proc);
	end->netns_ino = e->tuple.netns_ino;
	f->last_activity_ns = max_u64(f->last_activity_ns, e->last_ns);

	if (e->type == SF_EVENT_OPEN) {
		end->open = true;
		end->unread = true;
		f->closed_ns = 0;
		return;
	}
	end->open = false;
	/*
	 * Straight from ESTABLISHED or CLOSE_WAIT to CLOSE, no reset seen: an
	 * abort (unread data, SO_LINGER 0), whose reset the kernel sends after
	 * the close event.
	 */
	end->may_reset = (e->old_state == TCP_ESTABLISHED || e->old_state == TCP_CLOSE_WAIT) &&
			 !(end->flags & (SF_FLAG_RST_SENT | SF_FLAG_RST_RECEIVED));
	if (!flow_all_closed(f))
		return;
	f->closed_ns = now_ns;
	/* Otherwise the next expiry pass reports it, with that reset. */
	if (flow_both_ends(f) && !f->end[0].may_reset && !f->end[1].may_reset)
		flow_finish(t, f, FLOW_END_OF_FLOW, now_ns);
}

/* The flow a UDP conversation belongs to: the one it joined, or by its tuple. */
static struct flow *udp_flow_of(struct flow_table *t, const struct sf_udp_live *u, int *idx,
				uint64_t now_ns)
{
	struct sf_tuple tuple;
	struct flow_key key;
	struct flow *f;
	int role;

	f = g_hash_table_lookup(t->udp_ends, &u->key);
	if (f) {
		*idx = f->end[0].udp && memcmp(f->end[0].udp_key, &u->key, sizeof(u->key)) == 0 ?
			       0 : 1;
		return f;
	}
	/* Whoever sent the first datagram started the conversation: the client. */
	role = u->flow.first_dir == SF_DIR_OUT ? SF_ROLE_CLIENT : SF_ROLE_SERVER;
	*idx = role - 1;
	memset(&tuple, 0, sizeof(tuple));
	memcpy(tuple.local_addr, u->key.local_addr, sizeof(tuple.local_addr));
	memcpy(tuple.remote_addr, u->key.remote_addr, sizeof(tuple.remote_addr));
	tuple.local_port = u->key.local_port;
	tuple.remote_port = u->key.remote_port;
	tuple.family = u->key.family;
	tuple.protocol = IPPROTO_UDP;
	tuple.netns_ino = u->owner.netns_ino;
	flow_key__from_tuple(&key, &tuple, role);
	table_nat__translate(t, &key);
	f = g_hash_table_lookup(t->flows, &key);
	if (f && f->end[*idx].udp) {
		/* The same addresses, another socket: the old conversation is over. */
		flow_finish(t, f, FLOW_END_IDLE, now_ns);
		f = NULL;
	}
	if (!f)
		f = flow_create(t, &key, u->flow.first_ns, now_ns);
	if (!f)
		return NULL;
	table_nat__attach(t, f);
	f->end[*idx].udp_key = g_memdup2(&u->key, sizeof(u->key));
	f->end[*idx].udp = true;
	f->end[*idx].cookie = u->key.cookie;
	f->end[*idx].open = true;
	f->end[*idx].netns_ino = u->owner.netns_ino;
	g_hash_table_insert(t->udp_ends, f->end[*idx].udp_key, f);
	return f;
}

void flow_table__observe_udp(struct flow_table *t, const struct sf_udp_live *u, uint64_t now_ns,
			     bool final)
{
	struct flow_end *end;
	struct flow *f;
	int idx;

	/*
	 * No owner yet (the socket's first datagram went before a process was
	 * seen on it: kprobes cannot name a socket before it has a cookie)
	 * means no namespace either, and a loopback conversation would be
	 * keyed apart from its other end. The kernel keeps counting: wait a
	 * little for the owner before making the flow.
	 */
	if (!final && !u->owner.proc.tgid && !g_hash_table_lookup(t->udp_ends, &u->key) &&
	    now_ns < u->flow.first_ns + UDP_OWNER_WAIT_NS)
		return;
	f = udp_flow_of(t, u, &idx, now_ns);
	if (!f)
		return;
	end = &f->end[idx];
	udp_end_update(f, end, &u->flow);
	if (u->owner.proc.tgid)
		end_set_process(end, &u->owner.proc);
	if (u->owner.netns_ino)
		end->netns_ino = u->owner.netns_ino;
	if (u->flow.first_ns < f->record_start_ns && !f->reported_activity_ns)
		f->record_start_ns = u->flow.first_ns;
}

/*
 * A UDP flow that looks idle from the last snapshot: read its
 * conversations again, since datagrams may have come since.
 */
static void udp_recheck(struct flow_table *t, struct flow *f)
{
	struct sf_udp_flow now;
	int i;

	for (i = 0; i < 2; i++)
		if (f->end[i].udp && f->end[i].open && t->opts.udp_read &&
		    t->opts.udp_read(t->opts.read_ctx, f->end[i].udp_key, false, &now) == 0)
			udp_end_update(f, &f->end[i], &now);
}

/*
 * The socket behind end @idx of @f: the client's sees the conversation
 * before NAT (the key), the server's after it.
 */
static void end_socket(const struct flow *f, int idx, struct flow_socket *s)
{
	const uint8_t *client = f->key.client_addr, *server = f->key.server_addr;
	uint16_t cport = f->key.client_port, sport = f->key.server_port;

	if (idx == 1 && f->nat.nat) {
		client = f->nat.client_addr;
		server = f->nat.server_addr;
		cport = f->nat.client_port;
		sport = f->nat.server_port;
	}
	memset(s, 0, sizeof(*s));
	s->cookie = f->end[idx].cookie;
	memcpy(s->tuple.local_addr, idx == 0 ? client : server, 16);
	memcpy(s->tuple.remote_addr, idx == 0 ? server : client, 16);
	s->tuple.local_port = idx == 0 ? cport : sport;
	s->tuple.remote_port = idx == 0 ? sport : cport;
	s->tuple.family = f->key.family;
	s->tuple.protocol = IPPROTO_TCP;
	s->tuple.netns_ino = f->end[idx].netns_ino;
}

void flow_table__live_sockets(const struct flow_table *t, GArray *out, uint64_t since_ns)
{
	/* Since ever: quiet flows too, which only the age list has. */
	enum flow_list_id list = since_ns ? FLOW_LIST_BUSY : FLOW_LIST_AGE;
	struct flow_socket s;
	const struct flow *f;
	int i;

	for (f = t->lists[list].first; f; f = f->link[list].next) {
		if (f->key.protocol != IPPROTO_TCP || f->last_activity_ns < since_ns)
			continue;
		for (i = 0; i < 2; i++) {
			if (!f->end[i].open || !f->end[i].cookie)
				continue;
			end_socket(f, i, &s);
			g_array_append_val(out, s);
		}
	}
}

/*
 * Nothing to do until the flow's next event or activity: a TCP flow with
 * every end open and present and everything reported (its RTT comes with
 * its next activity too).
 */
static bool flow_quiet(const struct flow *f)
{
	int i;

	if (f->key.protocol != IPPROTO_TCP || f->closed_ns ||
	    f->last_activity_ns > f->reported_activity_ns)
		return false;
	for (i = 0; i < 2; i++)
		if (f->end[i].cookie && (!f->end[i].open || f->end[i].missing_ns))
			return false;
	return true;
}

void flow_table__wake(struct flow_table *t, uint64_t cookie)
{
	struct flow *f = g_hash_table_lookup(t->tcp_ends, &cookie);

	if (f)
		table__busy_add(t, f, true);
}

void flow_table__wake_all(struct flow_table *t)
{
	struct flow *f;

	for (f = oldest(t); f; f = f->link[FLOW_LIST_AGE].next)
		table__busy_add(t, f, true);
}

static void expire_state(const struct flow *f, struct flow_expire_state *st)
{
	st->last_report_ns = f->last_report_ns;
	st->last_activity_ns = f->last_activity_ns;
	st->closed_ns = f->closed_ns;
	st->both_ends = flow_both_ends(f);
	st->unreported = f->last_activity_ns > f->reported_activity_ns;
	st->ends_when_idle = f->key.protocol == IPPROTO_UDP;
}

unsigned int flow_table__expire(struct flow_table *t, uint64_t now_ns)
{
	struct flow_expire_state st;
	struct flow *f, *next;
	unsigned int n = 0;
	uint8_t reason;
	bool final;

	table_nat__sweep(t, now_ns);
	for (f = t->lists[FLOW_LIST_BUSY].first; f; f = next) {
		next = f->link[FLOW_LIST_BUSY].next;
		if (!f->closed_ns && now_ns - f->checked_ns >= t->check_interval_ns)
			flow_refresh(t, f, now_ns);
		expire_state(f, &st);
		reason = flow_expire__due(&st, &t->opts.timeouts, now_ns, &final);
		if (reason == FLOW_END_IDLE && final && f->key.protocol == IPPROTO_UDP) {
			udp_recheck(t, f);
			expire_state(f, &st);
			reason = flow_expire__due(&st, &t->opts.timeouts, now_ns, &final);
		}
		if (!reason) {
			if (flow_quiet(f))
				busy_remove(t, f);
			continue;
		}
		if (final)
			flow_finish(t, f, reason, now_ns);
		else
			flow_report(t, f, reason, now_ns);
		n++;
	}
	return n;
}

unsigned int flow_table__flush(struct flow_table *t, uint64_t now_ns)
{
	unsigned int n = 0;
	struct flow *f;

	while ((f = oldest(t))) {
		flow_finish(t, f, f->closed_ns ? FLOW_END_OF_FLOW : FLOW_END_FORCED, now_ns);
		n++;
	}
	return n;
}

void flow_table__stats(const struct flow_table *t, struct flow_table_stats *st)
{
	*st = t->stats;
	st->flows = g_hash_table_size(t->flows);
	st->nat_bindings = g_hash_table_size(t->nat_pre);
}

void flow_table__free(struct flow_table *t)
{
	if (!t)
		return;
	if (t->udp_ends)
		g_hash_table_destroy(t->udp_ends);
	if (t->tcp_ends)
		g_hash_table_destroy(t->tcp_ends);
	if (t->nat_post)
		g_hash_table_destroy(t->nat_post);
	if (t->nat_pre)
		g_hash_table_destroy(t->nat_pre);
	if (t->flows)
		g_hash_table_destroy(t->flows);
	free(t);
}
