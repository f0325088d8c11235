// SPDX-License-Identifier: GPL-2.0-only
/* The flow table's NAT side: conntrack's bindings, and joining the ends they translate. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "flow/key.h"
#include "flow/table.h"
#include "flow/table_internal.h"

/* Forget @e (it is in nat_pre, maybe in nat_post). */
void table_nat__entry_drop(struct flow_table *t, struct nat_entry *e)
{
	if (g_hash_table_lookup(t->nat_post, &e->post) == e)
		g_hash_table_remove(t->nat_post, &e->post);
	g_hash_table_remove(t->nat_pre, &e->pre);
}

/* An end that sees a connection after NAT belongs to the flow keyed before it. */
void table_nat__translate(struct flow_table *t, struct flow_key *key)
{
	const struct nat_entry *e = g_hash_table_lookup(t->nat_post, key);

	if (e)
		*key = e->pre;
}

/* Give @f the tuple after NAT, if conntrack translated its connection. */
void table_nat__attach(struct flow_table *t, struct flow *f)
{
	struct nat_entry *e;

	if (f->nat_id)
		return;
	e = g_hash_table_lookup(t->nat_pre, &f->key);
	if (!e)
		return;
	f->nat = e->after;
	f->nat_id = e->id;
	e->used = true;
}

/* Move @from's ends into @to where @to has none, then drop @from. */
static void flow_merge(struct flow_table *t, struct flow *to, struct flow *from)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (to->end[i].cookie || !from->end[i].cookie)
			continue;
		if (from->end[i].udp)
			g_hash_table_remove(t->udp_ends, from->end[i].udp_key);
		table__unindex_end(t, from, i);
		to->end[i] = from->end[i];
		memset(&from->end[i], 0, sizeof(from->end[i]));
		if (to->end[i].udp)
			g_hash_table_insert(t->udp_ends, to->end[i].udp_key, to);
		table__index_end(t, to, i);
	}
	table__busy_add(t, to, false);
	if (from->record_start_ns < to->record_start_ns && !to->reported_activity_ns)
		to->record_start_ns = from->record_start_ns;
	to->last_activity_ns = max_u64(to->last_activity_ns, from->last_activity_ns);
	to->record_flags |= from->record_flags;
	if (!flow_all_closed(to))
		to->closed_ns = 0;
	else if (!to->closed_ns)
		to->closed_ns = from->closed_ns;
	if (!from->end[0].cookie && !from->end[1].cookie)
		table__remove_flow(t, from);
}

/* The two ends' keys of a binding: before NAT (the client's view) and after it. */
static void nat_keys(const struct flow_nat_binding *b, struct flow_key *pre, struct flow_key *post)
{
	struct sf_tuple tu;

	memset(&tu, 0, sizeof(tu));
	tu.family = b->family;
	tu.protocol = b->protocol;
	tu.netns_ino = b->netns_ino;
	memcpy(tu.local_addr, b->orig.src, 16);
	memcpy(tu.remote_addr, b->orig.dst, 16);
	tu.local_port = b->orig.sport;
	tu.remote_port = b->orig.dport;
	flow_key__from_tuple(pre, &tu, SF_ROLE_CLIENT);
	memcpy(tu.local_addr, b->reply.dst, 16);
	memcpy(tu.remote_addr, b->reply.src, 16);
	tu.local_port = b->reply.dport;
	tu.remote_port = b->reply.sport;
	flow_key__from_tuple(post, &tu, SF_ROLE_CLIENT);
}

void flow_table__nat(struct flow_table *t, const struct flow_nat_binding *b, uint64_t now_ns)
{
	struct flow *pre_flow, *post_flow;
	struct nat_entry *e, *old;

	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	nat_keys(b, &e->pre, &e->post);
	if (flow_key__equal(&e->pre, &e->post)) {
		free(e);
		return;
	}
	memcpy(e->after.client_addr, e->post.client_addr, sizeof(e->after.client_addr));
	memcpy(e->after.server_addr, e->post.server_addr, sizeof(e->after.server_addr));
	e->after.client_port = e->post.client_port;
	e->after.server_port = e->post.server_port;
	e->after.nat = b->nat;
	e->id = ++t->nat_next_id;
	e->seen_ns = now_ns;
	/* The same connection again (an update, a resync), or its tuple reused. */
	old = g_hash_table_lookup(t->nat_pre, &e->pre);
	if (old)
		table_nat__entry_drop(t, old);
	g_hash_table_insert(t->nat_pre, &e->pre, e);
	g_hash_table_replace(t->nat_post, &e->post, e);

	/* An end seen before its binding made a flow of its own: join it now. */
	post_flow = g_hash_table_lookup(t->flows, &e->post);
	pre_flow = g_hash_table_lookup(t->flows, &e->pre);
	if (post_flow && pre_flow) {
		flow_merge(t, pre_flow, post_flow);
		t->stats.nat_joined++;
	} else if (post_flow) {
		g_hash_table_steal(t->flows, &post_flow->key);
		post_flow->key = e->pre;
		g_hash_table_insert(t->flows, &post_flow->key, post_flow);
		pre_flow = post_flow;
		t->stats.nat_joined++;
	}
	if (pre_flow) {
		pre_flow->nat_id = 0;
		table_nat__attach(t, pre_flow);
	}
}

/* Drop bindings no flow took within NAT_UNUSED_NS. */
static gboolean nat_unused(gpointer key, gpointer value, gpointer data)
{
	struct nat_entry *e = value;
	struct flow_table *t = ((void **)data)[0];
	uint64_t now_ns = *(uint64_t *)((void **)data)[1];

	if (e->used || now_ns - e->seen_ns < NAT_UNUSED_NS)
		return FALSE;
	if (g_hash_table_lookup(t->nat_post, &e->post) == e)
		g_hash_table_remove(t->nat_post, &e->post);
	return TRUE;
}

void table_nat__sweep(struct flow_table *t, uint64_t now_ns)
{
	void *data[2] = { t, &now_ns };

	if (now_ns - t->nat_swept_ns < NAT_SWEEP_NS)
		return;
	t->nat_swept_ns = now_ns;
	g_hash_table_foreach_remove(t->nat_pre, nat_unused, data);
}
