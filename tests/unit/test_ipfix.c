// SPDX-License-Identifier: GPL-2.0-only
/* Export sinks: IPFIX round trips through libfixbuf (file, UDP, TCP), field lists, printing. */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <fixbuf/public.h>

#include "export/applications.h"
#include "export/export.h"
#include "export/templates.h"

/* Real time a test may wait for the kernel (connect, loopback delivery). */
#define WAIT_US (5 * G_USEC_PER_SEC)

#define PEN_REVERSE 29305

/* The field lists of templates/, by what they carry. */
enum tmpl {
	TMPL_FULL,	/* everything */
	TMPL_DEFAULT,	/* everything but the finer TCP quality elements */
	TMPL_NTOP,	/* IANA + ntop */
	TMPL_MINIMAL,	/* IANA only */
};

static char *tmp_dir;

/* A file in the test's temporary directory; g_free() the path. */
static char *tmp_path(const char *name)
{
	return g_build_filename(tmp_dir, name, NULL);
}

/* A flow record with every field set; @i varies ports, counters and names. */
static void make_record(struct flow_record *r, int family, int i)
{
	struct flow_container *c = &r->server.container;

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
	if (r->key.protocol == IPPROTO_TCP) {
		r->client_q = (struct flow_quality){ 2500 + i, 300 + i, 3 + i, 1, 0, 1 };
		r->server_q = (struct flow_quality){ 4100 + i, 200, i, 0, 1, 0 };
	}
	if (i % 2)
		r->flags = FLOW_RECORD_START_UNKNOWN;
	if (i % 4 == 1) {
		/* Published port: the server sees the host's bridge address and the container's. */
		if (family == AF_INET) {
			inet_pton(AF_INET, "10.88.0.1", r->post_nat.client_addr);
			inet_pton(AF_INET, "10.88.2.69", r->post_nat.server_addr);
		} else {
			inet_pton(AF_INET6, "fd00::1", r->post_nat.client_addr);
			inet_pton(AF_INET6, "fd00::2:45", r->post_nat.server_addr);
		}
		r->post_nat.client_port = 30000 + i;
		r->post_nat.server_port = 80;
		r->post_nat.nat = FLOW_NAT_SRC | FLOW_NAT_DST;
	}

	r->client.pid = 1000 + i;
	r->client.uid = 500 + i;
	snprintf(r->client.name, sizeof(r->client.name), "cli%d", i);
	r->client.ppid = 999;
	r->client.netns_ino = 4026531840u;
	r->client.start_boottime_ns = 123456789;
	r->client.cgroup_id = 0x100000000ull + i;
	snprintf(r->client.parent_name, sizeof(r->client.parent_name), "bash");
	snprintf(r->client.user, sizeof(r->client.user), "user%d", i);
	snprintf(r->client.exe, sizeof(r->client.exe), "/usr/bin/cli%d", i);
	snprintf(r->client.cmdline, sizeof(r->client.cmdline), "cli%d --name \"caf\xc3\xa9\" -v",
		 i);
	snprintf(r->client.cgroup, sizeof(r->client.cgroup), "/user.slice/user-%d.slice", 500 + i);

	r->server.pid = 2000 + i;
	r->server.uid = 33;
	/* The longest name a comm can hold (15 bytes), and a quote. */
	snprintf(r->server.name, sizeof(r->server.name), "%s",
		 i % 2 ? "a-very-long-nam" : "nginx \"w\"");
	r->server.ppid = 1;
	r->server.netns_ino = 4026532177u + i;
	r->server.cgroup_id = 7000 + i;
	snprintf(r->server.parent_name, sizeof(r->server.parent_name), "conmon");
	snprintf(r->server.user, sizeof(r->server.user), "www-data");
	snprintf(r->server.exe, sizeof(r->server.exe), "/usr/sbin/nginx");
	snprintf(r->server.cmdline, sizeof(r->server.cmdline), "nginx: worker process");
	snprintf(r->server.cgroup, sizeof(r->server.cgroup),
		 "/machine.slice/libpod-%064x.scope", 0xabc0 + i);
	snprintf(c->runtime, sizeof(c->runtime), "podman");
	snprintf(c->id, sizeof(c->id), "%064x", 0xabc0 + i);
	snprintf(c->name, sizeof(c->name), "web%d", i);
	snprintf(c->image, sizeof(c->image), "localhost/busybox:latest");
	if (i % 2) {
		snprintf(c->pod_name, sizeof(c->pod_name), "web-7d4b9c-x%d", i);
		snprintf(c->pod_namespace, sizeof(c->pod_namespace), "shop");
		snprintf(c->pod_uid, sizeof(c->pod_uid), "0b4a1c2e-3f5d-4e6a-8b7c-9d0e1f2a3b%02d",
			 i % 100);
	}
	r->end_reason = 1 + i % 5;
	r->tcp_flags = 0x1b;
}

/* Fill @s (@size bytes) to its last byte with @pattern repeated, then 'x's. */
static void fill_max(char *s, size_t size, const char *pattern)
{
	size_t n = 0, p = strlen(pattern);

	while (n + p < size) {
		memcpy(s + n, pattern, p);
		n += p;
	}
	memset(s + n, 'x', size - 1 - n);
	s[size - 1] = '\0';
}

#define FILL_MAX(field, pattern) fill_max((field), sizeof(field), (pattern))

/*
 * Every string of both ends at its longest. The long ones that may be
 * cut are two-byte UTF-8 characters after one ASCII byte, so that a cut
 * can fall inside a character.
 */
static void make_max_record(struct flow_record *r, int family, int i)
{
	struct flow_process *ends[] = { &r->client, &r->server };
	struct flow_process *p;
	size_t e;

	make_record(r, family, i);
	for (e = 0; e < G_N_ELEMENTS(ends); e++) {
		p = ends[e];
		p->pid = UINT32_MAX - e;
		p->uid = UINT32_MAX;
		p->ppid = UINT32_MAX;
		p->netns_ino = UINT32_MAX;
		p->cgroup_id = UINT64_MAX;
		FILL_MAX(p->name, "n");
		FILL_MAX(p->parent_name, "p");
		FILL_MAX(p->user, "u");
		FILL_MAX(p->exe, e ? "\xc3\xa9" : "/\xc3\xa9");
		FILL_MAX(p->cmdline, e ? "c\xc3\xa9" : "\xc3\xa9");
		FILL_MAX(p->cgroup, "/g\xc3\xa9");
		FILL_MAX(p->container.runtime, "r");
		FILL_MAX(p->container.id, "0123456789abcdef");
		FILL_MAX(p->container.name, "cn");
		FILL_MAX(p->container.image, "\xc3\xa9i");
		FILL_MAX(p->container.pod_name, "pn");
		FILL_MAX(p->container.pod_namespace, "ns");
		FILL_MAX(p->container.pod_uid, "0b4a1c2e-");
	}
}

/* What sockflow's own elements carry of one end (ntop has no element for these). */
static void clear_sockflow_fields(struct flow_process *p)
{
	char id[sizeof(p->container.id)];

	memcpy(id, p->container.id, sizeof(id));
	memset(&p->container, 0, sizeof(p->container));
	memcpy(p->container.id, id, sizeof(id));	/* SRC/DST_PROC_CONTAINER_ID: ntop's */
	memset(p->exe, 0, sizeof(p->exe));
	memset(p->cgroup, 0, sizeof(p->cgroup));
	p->netns_ino = 0;
	p->cgroup_id = 0;
}

/* What a collector reads back of @in when the field list @t is sent. */
static void expected(struct flow_record *out, const struct flow_record *in, enum tmpl t)
{
	struct flow_process *ends[] = { &out->client, &out->server };
	size_t e;

	*out = *in;
	for (e = 0; e < G_N_ELEMENTS(ends); e++) {
		ends[e]->start_boottime_ns = 0;	/* not exported */
		if (!ends[e]->pid || t == TMPL_MINIMAL)
			memset(ends[e], 0, sizeof(*ends[e]));
		else if (t == TMPL_NTOP)
			clear_sockflow_fields(ends[e]);
	}
	if (t != TMPL_FULL) {
		struct flow_quality *q[] = { &out->client_q, &out->server_q };

		/* ntop's elements: retransmissions, and RTTs only as ms latencies. */
		for (e = 0; e < G_N_ELEMENTS(q); e++)
			*q[e] = (struct flow_quality){ .retrans = q[e]->retrans };
		out->flags = 0;
	}
	if (t > TMPL_DEFAULT) {
		out->fwd.payload = 0;
		out->rev.payload = 0;
	}
	if (t == TMPL_MINIMAL) {
		out->client_q.retrans = 0;
		out->server_q.retrans = 0;
	}
}

static void assert_same_quality(const struct flow_quality *want, const struct flow_quality *got)
{
	g_assert_cmpuint(got->rtt_us, ==, want->rtt_us);
	g_assert_cmpuint(got->rttvar_us, ==, want->rttvar_us);
	g_assert_cmpuint(got->retrans, ==, want->retrans);
	g_assert_cmpuint(got->lost, ==, want->lost);
	g_assert_cmpuint(got->resets_sent, ==, want->resets_sent);
	g_assert_cmpuint(got->resets_received, ==, want->resets_received);
}

static void assert_same_process(const struct flow_process *want, const struct flow_process *got)
{
	const struct flow_container *wc = &want->container, *gc = &got->container;

	g_assert_cmpuint(got->pid, ==, want->pid);
	g_assert_cmpuint(got->uid, ==, want->uid);
	g_assert_cmpstr(got->name, ==, want->name);
	g_assert_cmpuint(got->ppid, ==, want->ppid);
	g_assert_cmpuint(got->netns_ino, ==, want->netns_ino);
	g_assert_cmpuint(got->cgroup_id, ==, want->cgroup_id);
	g_assert_cmpstr(got->parent_name, ==, want->parent_name);
	g_assert_cmpstr(got->user, ==, want->user);
	g_assert_cmpstr(got->exe, ==, want->exe);
	g_assert_cmpstr(got->cmdline, ==, want->cmdline);
	g_assert_cmpstr(got->cgroup, ==, want->cgroup);
	g_assert_cmpstr(gc->runtime, ==, wc->runtime);
	g_assert_cmpstr(gc->id, ==, wc->id);
	g_assert_cmpstr(gc->name, ==, wc->name);
	g_assert_cmpstr(gc->image, ==, wc->image);
	g_assert_cmpstr(gc->pod_name, ==, wc->pod_name);
	g_assert_cmpstr(gc->pod_namespace, ==, wc->pod_namespace);
	g_assert_cmpstr(gc->pod_uid, ==, wc->pod_uid);
}

/* @got is what a collector read of @sent under the field list @t. */
static void assert_record_as(const struct flow_record *sent, const struct flow_record *got,
			     enum tmpl t)
{
	size_t alen = sent->key.family == AF_INET ? 4 : 16;
	struct flow_record want;

	expected(&want, sent, t);
	g_assert_cmpuint(got->key.family, ==, want.key.family);
	g_assert_cmpmem(got->key.client_addr, alen, want.key.client_addr, alen);
	g_assert_cmpmem(got->key.server_addr, alen, want.key.server_addr, alen);
	g_assert_cmpuint(got->key.client_port, ==, want.key.client_port);
	g_assert_cmpuint(got->key.server_port, ==, want.key.server_port);
	g_assert_cmpuint(got->key.protocol, ==, want.key.protocol);
	g_assert_cmpuint(got->start_ms, ==, want.start_ms);
	g_assert_cmpuint(got->end_ms, ==, want.end_ms);
	g_assert_cmpuint(got->fwd.octets, ==, want.fwd.octets);
	g_assert_cmpuint(got->fwd.packets, ==, want.fwd.packets);
	g_assert_cmpuint(got->fwd.payload, ==, want.fwd.payload);
	g_assert_cmpuint(got->rev.octets, ==, want.rev.octets);
	g_assert_cmpuint(got->rev.packets, ==, want.rev.packets);
	g_assert_cmpuint(got->rev.payload, ==, want.rev.payload);
	assert_same_process(&want.client, &got->client);
	assert_same_process(&want.server, &got->server);
	g_assert_cmpmem(got->post_nat.client_addr, alen, want.post_nat.client_addr, alen);
	g_assert_cmpmem(got->post_nat.server_addr, alen, want.post_nat.server_addr, alen);
	g_assert_cmpuint(got->post_nat.client_port, ==, want.post_nat.client_port);
	g_assert_cmpuint(got->post_nat.server_port, ==, want.post_nat.server_port);
	g_assert_cmpuint(!!got->post_nat.nat, ==, !!want.post_nat.nat);
	assert_same_quality(&want.client_q, &got->client_q);
	assert_same_quality(&want.server_q, &got->server_q);
	g_assert_cmpuint(got->flags, ==, want.flags);
	g_assert_cmpuint(got->end_reason, ==, want.end_reason);
	g_assert_cmpuint(got->tcp_flags, ==, want.tcp_flags);
}

static void assert_same_record(const struct flow_record *want, const struct flow_record *got)
{
	assert_record_as(want, got, TMPL_DEFAULT);
}

/*
 * A libfixbuf collector reading our messages back into the full structs
 * of templates.h, and from them into flow records.
 */
struct decoder {
	fbInfoModel_t *model;
	fBuf_t *fbuf;			/* owns session (and collector, if any) */
	GArray *records;		/* struct flow_record */
	GArray *set_ids;		/* uint16_t, every set of every message, in order */
	GArray *seqs;			/* uint32_t sequence number of every message */
	GPtrArray *described;		/* "PEN/ID NAME" from RFC 5610 type records */
	GArray *loss;			/* struct templates_loss_stats, options records */
	GArray *directions;		/* uint8_t biflowDirection of every flow record */
	GArray *app_ids;		/* uint8_t[APPLICATIONS_ID_LEN] of every flow record */
	GArray *apps;			/* struct templates_application, options records */
	GArray *app_before;		/* guint: flow records decoded before each of them */
	guint flow_biflow_dir_bad;	/* records whose biflowDirection is not 1 */
};

/* A decoded string into the NUL-terminated field @dst of @size bytes. */
static void string_from_varfield(char *dst, size_t size, const fbVarfield_t *v)
{
	g_assert_cmpuint(v->len, <, size);
	if (v->len)
		memcpy(dst, v->buf, v->len);
	dst[v->len] = '\0';
}

#define FROM_VARFIELD(dst, v) string_from_varfield((dst), sizeof(dst), &(v))

/*
 * TCP quality of the record's source (client_q) and destination (server_q);
 * ntop's latencies are the connection's client's and server's, so a
 * responder's record (@direction 2, source = server) has them the other
 * way round.
 */
static void quality_to_record(struct flow_record *r, const struct templates_quality *q,
			      uint8_t direction)
{
	const struct flow_quality *to_client, *to_server;

	r->client_q = (struct flow_quality){
		q->sockflowSourceRttMicroseconds, q->sockflowSourceRttVarMicroseconds,
		q->RETRANSMITTED_IN_PKTS, q->sockflowSourceLostSegments,
		q->sockflowSourceResetsSent, q->sockflowSourceResetsReceived,
	};
	r->server_q = (struct flow_quality){
		q->sockflowDestinationRttMicroseconds, q->sockflowDestinationRttVarMicroseconds,
		q->RETRANSMITTED_OUT_PKTS, q->sockflowDestinationLostSegments,
		q->sockflowDestinationResetsSent, q->sockflowDestinationResetsReceived,
	};
	r->flags = q->sockflowFlowStartUnknown ? FLOW_RECORD_START_UNKNOWN : 0;
	/* ntop's latencies are what the RTTs make of them, whichever were sent. */
	to_client = direction == 2 ? &r->client_q : &r->server_q;
	to_server = direction == 2 ? &r->server_q : &r->client_q;
	if (to_client->rtt_us)
		g_assert_cmpuint(q->CLIENT_NW_LATENCY_MS, ==, to_client->rtt_us / 2000);
	if (to_server->rtt_us)
		g_assert_cmpuint(q->SERVER_NW_LATENCY_MS, ==, to_server->rtt_us / 2000);
}

static void ends_to_record(struct flow_record *r, const struct templates_ends *e)
{
	struct flow_process *c = &r->client, *s = &r->server;

	c->pid = e->SRC_PROC_PID;
	s->pid = e->DST_PROC_PID;
	c->uid = e->SRC_PROC_UID;
	s->uid = e->DST_PROC_UID;
	c->ppid = e->SRC_FATHER_PROC_PID;
	s->ppid = e->DST_FATHER_PROC_PID;
	c->netns_ino = e->sockflowSourceNetnsInode;
	s->netns_ino = e->sockflowDestinationNetnsInode;
	c->cgroup_id = e->sockflowSourceCgroupId;
	s->cgroup_id = e->sockflowDestinationCgroupId;
	FROM_VARFIELD(c->name, e->SRC_PROC_NAME);
	FROM_VARFIELD(s->name, e->DST_PROC_NAME);
	FROM_VARFIELD(c->user, e->SRC_PROC_USER_NAME);
	FROM_VARFIELD(s->user, e->DST_PROC_USER_NAME);
	FROM_VARFIELD(c->parent_name, e->SRC_FATHER_PROC_NAME);
	FROM_VARFIELD(s->parent_name, e->DST_FATHER_PROC_NAME);
	FROM_VARFIELD(c->cmdline, e->SRC_PROC_CMDLINE);
	FROM_VARFIELD(s->cmdline, e->DST_PROC_CMDLINE);
	FROM_VARFIELD(c->container.id, e->SRC_PROC_CONTAINER_ID);
	FROM_VARFIELD(s->container.id, e->DST_PROC_CONTAINER_ID);
	FROM_VARFIELD(c->exe, e->sockflowSourceExecutable);
	FROM_VARFIELD(s->exe, e->sockflowDestinationExecutable);
	FROM_VARFIELD(c->container.name, e->sockflowSourceContainerName);
	FROM_VARFIELD(s->container.name, e->sockflowDestinationContainerName);
	FROM_VARFIELD(c->container.runtime, e->sockflowSourceContainerRuntime);
	FROM_VARFIELD(s->container.runtime, e->sockflowDestinationContainerRuntime);
	FROM_VARFIELD(c->container.image, e->sockflowSourceContainerImage);
	FROM_VARFIELD(s->container.image, e->sockflowDestinationContainerImage);
	FROM_VARFIELD(c->container.pod_name, e->sockflowSourcePodName);
	FROM_VARFIELD(s->container.pod_name, e->sockflowDestinationPodName);
	FROM_VARFIELD(c->container.pod_namespace, e->sockflowSourcePodNamespace);
	FROM_VARFIELD(s->container.pod_namespace, e->sockflowDestinationPodNamespace);
	FROM_VARFIELD(c->container.pod_uid, e->sockflowSourcePodUid);
	FROM_VARFIELD(s->container.pod_uid, e->sockflowDestinationPodUid);
	FROM_VARFIELD(c->cgroup, e->sockflowSourceCgroupPath);
	FROM_VARFIELD(s->cgroup, e->sockflowDestinationCgroupPath);
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

/*
 * A decoder of sockflow's elements under @pen, on @path (an IPFIX file),
 * or on buffers given to decoder_feed() when NULL.
 */
static void decoder_init_pen(struct decoder *d, const char *path, uint32_t pen)
{
	fbCollector_t *collector = NULL;
	fbSession_t *session;
	fbTemplate_t *tmpl;
	GError *gerr = NULL;

	memset(d, 0, sizeof(*d));
	d->model = fbInfoModelAlloc();
	templates__add_elements(d->model, pen);
	session = fbSessionAlloc(d->model);
	add_internal(session, TEMPLATES_TID_FLOW4, spec_template(d->model, templates_flow4_spec));
	add_internal(session, TEMPLATES_TID_FLOW6, spec_template(d->model, templates_flow6_spec));
	add_internal(session, TEMPLATES_TID_IE_TYPE,
		     fbInfoElementAllocTypeTemplate(d->model, &gerr));
	tmpl = spec_template(d->model, templates_loss_stats_spec);
	fbTemplateSetOptionsScope(tmpl, 1);
	add_internal(session, TEMPLATES_TID_LOSS_STATS, tmpl);
	tmpl = spec_template(d->model, templates_application_spec);
	fbTemplateSetOptionsScope(tmpl, 1);
	add_internal(session, TEMPLATES_TID_APPLICATION, tmpl);
	if (path) {
		collector = fbCollectorAllocFile(NULL, path, &gerr);
		g_assert_no_error(gerr);
	}
	d->fbuf = fBufAllocForCollection(session, collector);
	d->records = g_array_new(FALSE, TRUE, sizeof(struct flow_record));
	d->set_ids = g_array_new(FALSE, TRUE, sizeof(uint16_t));
	d->seqs = g_array_new(FALSE, TRUE, sizeof(uint32_t));
	d->described = g_ptr_array_new_with_free_func(g_free);
	d->loss = g_array_new(FALSE, TRUE, sizeof(struct templates_loss_stats));
	d->directions = g_array_new(FALSE, TRUE, sizeof(uint8_t));
	d->app_ids = g_array_new(FALSE, TRUE, APPLICATIONS_ID_LEN);
	d->apps = g_array_new(FALSE, TRUE, sizeof(struct templates_application));
	d->app_before = g_array_new(FALSE, TRUE, sizeof(guint));
}

static void decoder_init(struct decoder *d, const char *path)
{
	decoder_init_pen(d, path, TEMPLATES_PEN_DEFAULT);
}

static void decoder_free(struct decoder *d)
{
	fBufFree(d->fbuf);
	fbInfoModelFree(d->model);
	g_array_free(d->records, TRUE);
	g_array_free(d->set_ids, TRUE);
	g_array_free(d->seqs, TRUE);
	g_ptr_array_free(d->described, TRUE);
	g_array_free(d->loss, TRUE);
	g_array_free(d->directions, TRUE);
	g_array_free(d->app_ids, TRUE);
	g_array_free(d->apps, TRUE);
	g_array_free(d->app_before, TRUE);
}

/* Read every record libfixbuf has for us now. */
static void decoder_read(struct decoder *d)
{
	struct templates_flow4 r4;
	struct templates_flow6 r6;
	struct templates_loss_stats ls;
	struct templates_application app;
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
			r4.postNATSourceIPv4Address = htonl(r4.postNATSourceIPv4Address);
			r4.postNATDestinationIPv4Address = htonl(r4.postNATDestinationIPv4Address);
			memcpy(r.post_nat.client_addr, &r4.postNATSourceIPv4Address, 4);
			memcpy(r.post_nat.server_addr, &r4.postNATDestinationIPv4Address, 4);
#define FROM_COMMON(rec)                                                              \
	do {                                                                          \
		r.key.client_port = (rec).tail.sourceTransportPort;                   \
		r.key.server_port = (rec).tail.destinationTransportPort;              \
		r.key.protocol = (rec).tail.protocolIdentifier;                       \
		r.post_nat.client_port = (rec).tail.postNAPTSourceTransportPort;      \
		r.post_nat.server_port = (rec).tail.postNAPTDestinationTransportPort; \
		r.post_nat.nat = r.post_nat.server_port ? FLOW_NAT_DST : 0;           \
		r.start_ms = (rec).counters.flowStartMilliseconds;                    \
		r.end_ms = (rec).counters.flowEndMilliseconds;                        \
		r.fwd = (struct flow_counters){ (rec).counters.octetDeltaCount,       \
						(rec).counters.packetDeltaCount,      \
						(rec).counters.sockflowPayloadOctets }; \
		r.rev = (struct flow_counters){                                       \
			(rec).counters.reverseOctetDeltaCount,                        \
			(rec).counters.reversePacketDeltaCount,                       \
			(rec).counters.reverseSockflowPayloadOctets };                \
		ends_to_record(&r, &(rec).ends);                                      \
		quality_to_record(&r, &(rec).quality, (rec).tail.biflowDirection);   \
		r.end_reason = (rec).tail.flowEndReason;                              \
		r.tcp_flags = (rec).tail.tcpControlBits;                              \
		d->flow_biflow_dir_bad += (rec).tail.biflowDirection != 1;            \
		g_array_append_val(d->directions, (rec).tail.biflowDirection);       \
		g_array_append_vals(d->app_ids, (rec).tail.applicationId, 1);        \
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
			memcpy(r.post_nat.client_addr, r6.postNATSourceIPv6Address, 16);
			memcpy(r.post_nat.server_addr, r6.postNATDestinationIPv6Address, 16);
			FROM_COMMON(r6);
			g_array_append_val(d->records, r);
			break;
		case TEMPLATES_TID_IE_TYPE:
			len = sizeof(ie);
			fBufNext(d->fbuf, (uint8_t *)&ie, &len, &gerr);
			g_assert_no_error(gerr);
			g_ptr_array_add(d->described,
					g_strdup_printf("%u/%u %.*s", ie.ie_pen, ie.ie_id,
							(int)ie.ie_name.len,
							(char *)ie.ie_name.buf));
			break;
		case TEMPLATES_TID_APPLICATION:
			len = sizeof(app);
			fBufNext(d->fbuf, (uint8_t *)&app, &len, &gerr);
			g_assert_no_error(gerr);
			g_array_append_val(d->apps, app);
			g_array_append_val(d->app_before, d->records->len);
			break;
		case TEMPLATES_TID_LOSS_STATS:
			len = sizeof(ls);
			memset(&ls, 0xff, sizeof(ls));
			fBufNext(d->fbuf, (uint8_t *)&ls, &len, &gerr);
			g_assert_no_error(gerr);
			g_array_append_val(d->loss, ls);
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

/* One field of a template as it is on the wire. */
struct wire_field {
	uint32_t pen;
	uint16_t id;
	uint16_t len;
};

/*
 * The fields of template @tid in the IPFIX messages of @data (a file's
 * bytes), as "PEN/ID" strings in wire order; options templates count too.
 */
static GPtrArray *wire_template(const uint8_t *data, size_t size, uint16_t tid,
				GArray *fields_out)
{
	GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
	size_t msg, off, set_end, rec;
	uint16_t set_id, set_len, msg_len, t, count, scope, i, id;
	struct wire_field f;

	for (msg = 0; msg + 16 <= size; msg += msg_len) {
		msg_len = data[msg + 2] << 8 | data[msg + 3];
		g_assert_cmpuint(msg_len, >=, 16);
		for (off = msg + 16; off + 4 <= msg + msg_len; off += set_len) {
			set_id = data[off] << 8 | data[off + 1];
			set_len = data[off + 2] << 8 | data[off + 3];
			set_end = off + set_len;
			if (set_id != 2 && set_id != 3)
				continue;
			for (rec = off + 4; rec + 4 <= set_end;) {
				t = data[rec] << 8 | data[rec + 1];
				count = data[rec + 2] << 8 | data[rec + 3];
				rec += 4;
				if (set_id == 3) {
					scope = data[rec] << 8 | data[rec + 1];
					rec += 2;
					(void)scope;
				}
				for (i = 0; i < count; i++) {
					id = data[rec] << 8 | data[rec + 1];
					f.len = data[rec + 2] << 8 | data[rec + 3];
					f.pen = 0;
					rec += 4;
					if (id & 0x8000) {
						f.pen = (uint32_t)data[rec] << 24 |
							data[rec + 1] << 16 | data[rec + 2] << 8 |
							data[rec + 3];
						rec += 4;
					}
					f.id = id & 0x7fff;
					if (t != tid)
						continue;
					g_ptr_array_add(fields,
							g_strdup_printf("%u/%u", f.pen, f.id));
					if (fields_out)
						g_array_append_val(fields_out, f);
				}
				if (t == tid)
					return fields;
			}
		}
	}
	return fields;
}

static gboolean has_string(GPtrArray *a, const char *s)
{
	return g_ptr_array_find_with_equal_func(a, s, g_str_equal, NULL);
}

static struct export_options default_opts(void)
{
	return (struct export_options){
		.observation_domain_id = 4242,
		.template_refresh_s = 10,
		.buffer_records = 16,
	};
}

/* export_sink__new_ipfix() for a test: -errno and the message when it fails. */
static struct export_sink *try_sink(enum collector_transport kind, const char *host,
				    uint16_t port, const char *path,
				    const struct export_options *opts, int *err, char *msg,
				    size_t msg_len)
{
	struct collector c = { .transport = kind };

	if (path)
		g_strlcpy(c.path, path, sizeof(c.path));
	if (host) {
		g_strlcpy(c.host, host, sizeof(c.host));
		g_snprintf(c.port, sizeof(c.port), "%u", port);
	}
	g_snprintf(c.uri, sizeof(c.uri), "test:%s", path ? path : host);
	*err = 1;
	return export_sink__new_ipfix(&c, opts, err, msg, msg_len);
}

static struct export_sink *new_sink(enum collector_transport kind, const char *host,
				    uint16_t port, const char *path,
				    const struct export_options *opts)
{
	struct export_sink *s;
	char msg[512] = "";
	int err;

	s = try_sink(kind, host, port, path, opts, &err, msg, sizeof(msg));
	if (!s)
		g_error("new sink: %d %s", err, msg);
	g_assert_cmpint(err, ==, 0);
	g_assert_true(g_str_has_prefix(export_sink__name(s), "test:"));
	return s;
}

/* An element of the default field list, as it goes on the wire; pen 1 stands for ours. */
struct wire_element {
	const char *name;
	uint32_t pen;
	uint16_t id;
	enum tmpl min_tmpl;	/* the smallest list that has it */
	int family;		/* AF_INET or AF_INET6 for addresses, else 0 */
};

#define PEN_OURS 1

static const struct wire_element wire_elements[] = {
	{ "flowStartMilliseconds", 0, 152, TMPL_MINIMAL, 0 },
	{ "flowEndMilliseconds", 0, 153, TMPL_MINIMAL, 0 },
	{ "sourceIPv4Address", 0, 8, TMPL_MINIMAL, AF_INET },
	{ "destinationIPv4Address", 0, 12, TMPL_MINIMAL, AF_INET },
	{ "sourceIPv6Address", 0, 27, TMPL_MINIMAL, AF_INET6 },
	{ "destinationIPv6Address", 0, 28, TMPL_MINIMAL, AF_INET6 },
	{ "sourceTransportPort", 0, 7, TMPL_MINIMAL, 0 },
	{ "destinationTransportPort", 0, 11, TMPL_MINIMAL, 0 },
	{ "protocolIdentifier", 0, 4, TMPL_MINIMAL, 0 },
	{ "octetDeltaCount", 0, 1, TMPL_MINIMAL, 0 },
	{ "packetDeltaCount", 0, 2, TMPL_MINIMAL, 0 },
	{ "reverseOctetDeltaCount", PEN_REVERSE, 1, TMPL_MINIMAL, 0 },
	{ "reversePacketDeltaCount", PEN_REVERSE, 2, TMPL_MINIMAL, 0 },
	{ "tcpControlBits", 0, 6, TMPL_MINIMAL, 0 },
	{ "flowEndReason", 0, 136, TMPL_MINIMAL, 0 },
	{ "biflowDirection", 0, 239, TMPL_MINIMAL, 0 },
	{ "applicationId", 0, 95, TMPL_FULL, 0 },
	{ "SRC_PROC_PID", TEMPLATES_PEN_NTOP, 168, TMPL_NTOP, 0 },
	{ "SRC_PROC_NAME", TEMPLATES_PEN_NTOP, 169, TMPL_NTOP, 0 },
	{ "SRC_PROC_USER_NAME", TEMPLATES_PEN_NTOP, 372, TMPL_NTOP, 0 },
	{ "SRC_FATHER_PROC_PID", TEMPLATES_PEN_NTOP, 373, TMPL_NTOP, 0 },
	{ "SRC_FATHER_PROC_NAME", TEMPLATES_PEN_NTOP, 374, TMPL_NTOP, 0 },
	{ "DST_PROC_PID", TEMPLATES_PEN_NTOP, 375, TMPL_NTOP, 0 },
	{ "DST_PROC_NAME", TEMPLATES_PEN_NTOP, 376, TMPL_NTOP, 0 },
	{ "DST_PROC_USER_NAME", TEMPLATES_PEN_NTOP, 377, TMPL_NTOP, 0 },
	{ "DST_FATHER_PROC_PID", TEMPLATES_PEN_NTOP, 378, TMPL_NTOP, 0 },
	{ "DST_FATHER_PROC_NAME", TEMPLATES_PEN_NTOP, 379, TMPL_NTOP, 0 },
	{ "SRC_PROC_UID", TEMPLATES_PEN_NTOP, 425, TMPL_NTOP, 0 },
	{ "DST_PROC_UID", TEMPLATES_PEN_NTOP, 426, TMPL_NTOP, 0 },
	{ "SRC_PROC_CMDLINE", TEMPLATES_PEN_NTOP, 556, TMPL_NTOP, 0 },
	{ "DST_PROC_CMDLINE", TEMPLATES_PEN_NTOP, 557, TMPL_NTOP, 0 },
	{ "SRC_PROC_CONTAINER_ID", TEMPLATES_PEN_NTOP, 558, TMPL_NTOP, 0 },
	{ "DST_PROC_CONTAINER_ID", TEMPLATES_PEN_NTOP, 559, TMPL_NTOP, 0 },
	{ "sockflowPayloadOctets", PEN_OURS, 1001, TMPL_DEFAULT, 0 },
	{ "reverseSockflowPayloadOctets", PEN_OURS, 0x4000 | 1001, TMPL_DEFAULT, 0 },
	{ "sockflowSourceExecutable", PEN_OURS, 1002, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationExecutable", PEN_OURS, 1003, TMPL_DEFAULT, 0 },
	{ "sockflowSourceContainerName", PEN_OURS, 1004, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationContainerName", PEN_OURS, 1005, TMPL_DEFAULT, 0 },
	{ "sockflowSourceContainerRuntime", PEN_OURS, 1006, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationContainerRuntime", PEN_OURS, 1007, TMPL_DEFAULT, 0 },
	{ "sockflowSourceContainerImage", PEN_OURS, 1008, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationContainerImage", PEN_OURS, 1009, TMPL_DEFAULT, 0 },
	{ "sockflowSourcePodName", PEN_OURS, 1010, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationPodName", PEN_OURS, 1011, TMPL_DEFAULT, 0 },
	{ "sockflowSourcePodNamespace", PEN_OURS, 1012, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationPodNamespace", PEN_OURS, 1013, TMPL_DEFAULT, 0 },
	{ "sockflowSourcePodUid", PEN_OURS, 1014, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationPodUid", PEN_OURS, 1015, TMPL_DEFAULT, 0 },
	{ "sockflowSourceNetnsInode", PEN_OURS, 1016, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationNetnsInode", PEN_OURS, 1017, TMPL_DEFAULT, 0 },
	{ "sockflowSourceCgroupId", PEN_OURS, 1018, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationCgroupId", PEN_OURS, 1019, TMPL_DEFAULT, 0 },
	{ "sockflowSourceCgroupPath", PEN_OURS, 1020, TMPL_DEFAULT, 0 },
	{ "sockflowDestinationCgroupPath", PEN_OURS, 1021, TMPL_DEFAULT, 0 },
	{ "postNATSourceIPv4Address", 0, 225, TMPL_MINIMAL, AF_INET },
	{ "postNATDestinationIPv4Address", 0, 226, TMPL_MINIMAL, AF_INET },
	{ "postNATSourceIPv6Address", 0, 281, TMPL_MINIMAL, AF_INET6 },
	{ "postNATDestinationIPv6Address", 0, 282, TMPL_MINIMAL, AF_INET6 },
	{ "postNAPTSourceTransportPort", 0, 227, TMPL_MINIMAL, 0 },
	{ "postNAPTDestinationTransportPort", 0, 228, TMPL_MINIMAL, 0 },
	{ "RETRANSMITTED_IN_PKTS", TEMPLATES_PEN_NTOP, 109, TMPL_NTOP, 0 },
	{ "RETRANSMITTED_OUT_PKTS", TEMPLATES_PEN_NTOP, 110, TMPL_NTOP, 0 },
	{ "CLIENT_NW_LATENCY_MS", TEMPLATES_PEN_NTOP, 123, TMPL_NTOP, 0 },
	{ "SERVER_NW_LATENCY_MS", TEMPLATES_PEN_NTOP, 124, TMPL_NTOP, 0 },
	{ "sockflowSourceRttMicroseconds", PEN_OURS, 1028, TMPL_FULL, 0 },
	{ "sockflowDestinationRttMicroseconds", PEN_OURS, 1029, TMPL_FULL, 0 },
	{ "sockflowSourceRttVarMicroseconds", PEN_OURS, 1030, TMPL_FULL, 0 },
	{ "sockflowDestinationRttVarMicroseconds", PEN_OURS, 1031, TMPL_FULL, 0 },
	{ "sockflowSourceLostSegments", PEN_OURS, 1032, TMPL_FULL, 0 },
	{ "sockflowDestinationLostSegments", PEN_OURS, 1033, TMPL_FULL, 0 },
	{ "sockflowSourceResetsSent", PEN_OURS, 1034, TMPL_FULL, 0 },
	{ "sockflowDestinationResetsSent", PEN_OURS, 1035, TMPL_FULL, 0 },
	{ "sockflowSourceResetsReceived", PEN_OURS, 1036, TMPL_FULL, 0 },
	{ "sockflowDestinationResetsReceived", PEN_OURS, 1037, TMPL_FULL, 0 },
	{ "sockflowFlowStartUnknown", PEN_OURS, 1038, TMPL_FULL, 0 },
};

/* The loss stats options template on the wire, scope first; padding stays inside. */
static const struct wire_element loss_elements[] = {
	{ "observationDomainId", 0, 149, TMPL_MINIMAL, 0 },
	{ "sockflowTcpCountsEstimated", PEN_OURS, 1039, TMPL_MINIMAL, 0 },
	{ "exportedMessageTotalCount", 0, 41, TMPL_MINIMAL, 0 },
	{ "exportedFlowRecordTotalCount", 0, 42, TMPL_MINIMAL, 0 },
	{ "notSentFlowTotalCount", 0, 166, TMPL_MINIMAL, 0 },
	{ "sockflowRingbufLostEventTotalCount", PEN_OURS, 1022, TMPL_MINIMAL, 0 },
	{ "sockflowProcessLostEventTotalCount", PEN_OURS, 1023, TMPL_MINIMAL, 0 },
	{ "sockflowUntrackedSocketTotalCount", PEN_OURS, 1024, TMPL_MINIMAL, 0 },
	{ "sockflowHandshakeNotKeptTotalCount", PEN_OURS, 1025, TMPL_MINIMAL, 0 },
	{ "sockflowEvictedFlowTotalCount", PEN_OURS, 1026, TMPL_MINIMAL, 0 },
	{ "sockflowFilteredFlowTotalCount", PEN_OURS, 1027, TMPL_MINIMAL, 0 },
	{ "sockflowUnconfirmedFlowTotalCount", PEN_OURS, 1040, TMPL_MINIMAL, 0 },
};

/*
 * The templates in the file @data: exactly the elements of @t for each
 * family, with @pen for sockflow's own; the loss stats options template,
 * whatever @t; and the RFC 5610 descriptions (in @d) exactly for the
 * elements of both that are neither IANA's nor RFC 5103's.
 */
static void assert_wire_templates(const uint8_t *data, size_t size, const struct decoder *d,
				  enum tmpl t, uint32_t pen)
{
	static const uint16_t tids[] = { TEMPLATES_TID_FLOW4, TEMPLATES_TID_FLOW6 };
	static const int families[] = { AF_INET, AF_INET6 };
	const struct wire_element *w;
	GPtrArray *fields;
	guint n_described = 0, n;
	char key[64];
	size_t f, i;
	uint32_t p;

	for (f = 0; f < G_N_ELEMENTS(tids); f++) {
		fields = wire_template(data, size, tids[f], NULL);
		n = 0;
		for (i = 0; i < G_N_ELEMENTS(wire_elements); i++) {
			w = &wire_elements[i];
			p = w->pen == PEN_OURS ? pen : w->pen;
			g_snprintf(key, sizeof(key), "%u/%u", p, w->id);
			if (w->min_tmpl < t || (w->family && w->family != families[f])) {
				g_assert_false(has_string(fields, key));
				continue;
			}
			g_test_message("template %#x: %s %s", tids[f], w->name, key);
			g_assert_true(has_string(fields, key));
			n++;
		}
		/* Nothing else, and each element once. */
		g_assert_cmpuint(fields->len, ==, n);
		g_ptr_array_free(fields, TRUE);
	}
	for (i = 0; i < G_N_ELEMENTS(wire_elements); i++) {
		w = &wire_elements[i];
		if (w->min_tmpl < t || !w->pen || w->pen == PEN_REVERSE)
			continue;
		g_snprintf(key, sizeof(key), "%u/%u %s", w->pen == PEN_OURS ? pen : w->pen, w->id,
			   w->name);
		g_assert_true(has_string(d->described, key));
		n_described++;
	}
	fields = wire_template(data, size, TEMPLATES_TID_LOSS_STATS, NULL);
	g_assert_cmpuint(fields->len, ==, G_N_ELEMENTS(loss_elements));
	for (i = 0; i < G_N_ELEMENTS(loss_elements); i++) {
		w = &loss_elements[i];
		g_snprintf(key, sizeof(key), "%u/%u", w->pen == PEN_OURS ? pen : w->pen, w->id);
		g_assert_cmpstr(g_ptr_array_index(fields, i), ==, key);
		if (!w->pen)
			continue;
		g_snprintf(key, sizeof(key), "%u/%u %s", pen, w->id, w->name);
		g_assert_true(has_string(d->described, key));
		n_described++;
	}
	g_ptr_array_free(fields, TRUE);
	g_assert_cmpuint(d->described->len, ==, n_described);
}

/*
 * Records of both families, pid 0 on one record's ends, every field, through
 * a file written with the field list @t and sockflow's elements under @pen
 * (0: the default).
 */
static void file_round_trip(enum tmpl t, const char *template_name, uint32_t pen)
{
	struct export_options opts = default_opts();
	struct flow_record want[6];
	struct export_stats st;
	struct export_sink *s;
	struct decoder d;
	gchar *data;
	gsize size;
	uint32_t odid;
	char *path;
	int i;

	path = tmp_path("flows.ipfix");
	opts.template_name = template_name;
	opts.enterprise_id = pen;
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

	g_assert_true(g_file_get_contents(path, &data, &size, NULL));
	g_assert_cmpuint(size, >=, 16);
	memcpy(&odid, data + 12, 4);
	g_assert_cmpuint(ntohl(odid), ==, 4242);

	decoder_init_pen(&d, path, pen ? pen : TEMPLATES_PEN_DEFAULT);
	decoder_read(&d);
	g_assert_cmpuint(d.records->len, ==, 6);
	for (i = 0; i < 6; i++)
		assert_record_as(&want[i], decoded(&d, i), t);
	g_assert_cmpuint(d.flow_biflow_dir_bad, ==, 0);
	assert_wire_templates((uint8_t *)data, size, &d, t, pen ? pen : TEMPLATES_PEN_DEFAULT);
	decoder_free(&d);

	g_free(data);
	g_unlink(path);
	g_free(path);
}

/* No template chosen is the default list. */
static void test_file_round_trip(void)
{
	file_round_trip(TMPL_DEFAULT, NULL, 0);
}

/* How many data sets of template @tid the IPFIX messages of @data hold; each @set_len long. */
static int set_count(const char *data, size_t size, uint16_t tid, uint16_t set_len_want)
{
	const uint8_t *p = (const uint8_t *)data;
	uint16_t msg_len, set_id, set_len;
	size_t msg, off;
	int n = 0;

	for (msg = 0; msg + 16 <= size; msg += msg_len) {
		msg_len = p[msg + 2] << 8 | p[msg + 3];
		g_assert_cmpuint(msg_len, >=, 16);
		for (off = msg + 16; off + 4 <= msg + msg_len; off += set_len) {
			set_id = p[off] << 8 | p[off + 1];
			set_len = p[off + 2] << 8 | p[off + 3];
			g_assert_cmpuint(set_len, >=, 4);
			if (set_id != tid)
				continue;
			g_assert_cmpuint(set_len, ==, set_len_want);
			n++;
		}
	}
	return n;
}

/*
 * The decoder's mapping of applicationId @id, which must have come before
 * flow record @k; NULL if there is none.
 */
static const struct templates_application *mapping_of(const struct decoder *d,
						       const uint8_t *id, guint k)
{
	const struct templates_application *a;
	guint i;

	for (i = 0; i < d->apps->len; i++) {
		a = &g_array_index(d->apps, struct templates_application, i);
		if (!memcmp(a->applicationId, id, APPLICATIONS_ID_LEN) &&
		    g_array_index(d->app_before, guint, i) <= k)
			return a;
	}
	return NULL;
}

/*
 * A field list with applicationId: each record carries its local end's
 * application (the client's, the server's when only it is local, none
 * without a local end): engine 20, sockflow's PEN, a selector the same for
 * the same executable; each application's mapping (file name, path,
 * observation domain) comes once in the session, before its first record,
 * each in a data set of its own.
 */
static void test_file_applications(void)
{
	struct export_options opts = default_opts();
	struct flow_record want[6];
	const struct templates_application *a;
	const struct flow_process *end;
	struct export_sink *s;
	static const uint8_t none[APPLICATIONS_ID_LEN];
	const uint8_t *id;
	struct decoder d;
	gchar *data;
	gsize size;
	char *path;
	int i;

	path = tmp_path("apps.ipfix");
	opts.template_name = "full";
	s = new_sink(COLLECTOR_FILE, NULL, 0, path, &opts);
	for (i = 0; i < 6; i++) {
		make_record(&want[i], i % 2 ? AF_INET6 : AF_INET, i % 3);
		if (i == 4)
			want[i].client.pid = 0;	/* the server's application */
		if (i == 5)
			want[i].client.pid = want[i].server.pid = 0;
		g_assert_cmpint(export_sink__add(s, &want[i]), ==, 0);
	}
	g_assert_cmpint(export_sink__flush(s, 1000), ==, 0);
	export_sink__free(s);

	decoder_init(&d, path);
	decoder_read(&d);
	g_assert_cmpuint(d.records->len, ==, 6);
	/* cli0, cli1, cli2 (records 0-3) and nginx (record 4), each once. */
	g_assert_cmpuint(d.apps->len, ==, 4);
	for (i = 0; i < 6; i++) {
		id = &g_array_index(d.app_ids, uint8_t, i * APPLICATIONS_ID_LEN);
		if (i == 5) {
			g_assert_cmpmem(id, APPLICATIONS_ID_LEN, none, APPLICATIONS_ID_LEN);
			continue;
		}
		end = i == 4 ? &want[i].server : &want[i].client;
		g_assert_cmpuint(id[0], ==, APPLICATIONS_ENGINE_PANA_L7_PEN);
		g_assert_cmpuint((uint32_t)id[1] << 24 | id[2] << 16 | id[3] << 8 | id[4], ==,
				 TEMPLATES_PEN_DEFAULT);
		a = mapping_of(&d, id, (guint)i);
		g_assert_nonnull(a);
		g_assert_cmpstr(a->applicationName, ==, strrchr(end->exe, '/') + 1);
		g_assert_cmpstr(a->applicationDescription, ==, end->exe);
		g_assert_cmpuint(a->observationDomainId, ==, 4242);
	}
	/* Records 0 and 3 are both cli0's: one id. */
	g_assert_cmpmem(&g_array_index(d.app_ids, uint8_t, 0), APPLICATIONS_ID_LEN,
			&g_array_index(d.app_ids, uint8_t, 3 * APPLICATIONS_ID_LEN),
			APPLICATIONS_ID_LEN);
	decoder_free(&d);

	/* Each mapping is a data set of its own: nfcapd 1.7.1 reads one per set. */
	g_assert_true(g_file_get_contents(path, &data, &size, NULL));
	g_assert_cmpint(set_count(data, size, TEMPLATES_TID_APPLICATION,
				  4 + sizeof(struct templates_application) - 3), ==, 4);
	g_free(data);
	g_unlink(path);
	g_free(path);
}

/*
 * An executable path longer than the mapping's description, with a
 * 2-byte character across the cut: the description ends before it (valid
 * UTF-8), and the same path is still the same application (no collision).
 */
static void test_applications_utf8_cut(void)
{
	struct applications *t = applications__new(TEMPLATES_PEN_DEFAULT);
	struct flow_process p = { .pid = 1 };
	struct application *a, *b;
	size_t len;

	memset(p.exe, 'a', sizeof(p.exe) - 1);
	p.exe[0] = '/';
	memcpy(p.exe + APPLICATIONS_DESCRIPTION_LEN - 2, "\xc3\xa9", 2);
	p.exe[240] = '\0';
	a = applications__of(t, &p);
	g_assert_nonnull(a);
	len = strlen(a->description);
	g_assert_cmpuint(len, ==, APPLICATIONS_DESCRIPTION_LEN - 2);
	g_assert_true(g_utf8_validate(a->description, -1, NULL));
	g_assert_true(g_utf8_validate(a->name, -1, NULL));
	b = applications__of(t, &p);
	g_assert_true(a == b);
	g_assert_cmpuint(applications__collisions(t), ==, 0);
	applications__free(t);
}

/* @r as its responder's uniflow record names it: the server as source, its counters only. */
static void responder_view(struct flow_record *out, const struct flow_record *r)
{
	*out = *r;
	memcpy(out->key.client_addr, r->key.server_addr, 16);
	memcpy(out->key.server_addr, r->key.client_addr, 16);
	out->key.client_port = r->key.server_port;
	out->key.server_port = r->key.client_port;
	memcpy(out->post_nat.client_addr, r->post_nat.server_addr, 16);
	memcpy(out->post_nat.server_addr, r->post_nat.client_addr, 16);
	out->post_nat.client_port = r->post_nat.server_port;
	out->post_nat.server_port = r->post_nat.client_port;
	out->fwd = r->rev;
	out->client = r->server;
	out->server = r->client;
	out->client_q = r->server_q;
	out->server_q = r->client_q;
}

/*
 * ?records=uniflow: a record per direction with packets, the initiator's
 * (biflowDirection 1) and then the responder's (2, source and destination
 * swapped, with their processes, quality and NAT tuple); no reverse
 * counters in the template.
 */
static void test_file_uniflow(void)
{
	struct export_options opts = default_opts();
	struct collector c = { .transport = COLLECTOR_FILE, .records = COLLECTOR_UNIFLOW };
	struct flow_record want[4], view;
	struct export_stats st;
	struct export_sink *s;
	struct decoder d;
	char msg[256];
	char *path = tmp_path("uniflow.ipfix");
	guint k = 0;
	int i, err;

	g_strlcpy(c.path, path, sizeof(c.path));
	g_free(path);
	g_strlcpy(c.uri, "test:uniflow", sizeof(c.uri));
	s = export_sink__new_ipfix(&c, &opts, &err, msg, sizeof(msg));
	g_assert_nonnull(s);
	for (i = 0; i < 4; i++) {
		make_record(&want[i], i % 2 ? AF_INET6 : AF_INET, i);
		if (i == 3)
			want[i].rev.packets = 0;	/* nothing came back: one record */
		g_assert_cmpint(export_sink__add(s, &want[i]), ==, 0);
	}
	g_assert_cmpint(export_sink__flush(s, 1000), ==, 0);
	export_sink__stats(s, &st);
	g_assert_cmpuint(st.records_sent, ==, 7);
	export_sink__free(s);

	decoder_init(&d, c.path);
	decoder_read(&d);
	g_assert_cmpuint(d.records->len, ==, 7);
	for (i = 0; i < 4; i++) {
		view = want[i];
		view.rev = (struct flow_counters){ 0 };
		g_assert_cmpuint(g_array_index(d.directions, uint8_t, k), ==, 1);
		assert_record_as(&view, decoded(&d, k++), TMPL_DEFAULT);
		if (i == 3)
			break;
		responder_view(&view, &want[i]);
		view.rev = (struct flow_counters){ 0 };
		g_assert_cmpuint(g_array_index(d.directions, uint8_t, k), ==, 2);
		assert_record_as(&view, decoded(&d, k++), TMPL_DEFAULT);
	}
	decoder_free(&d);
	g_unlink(c.path);
}

static void test_file_template_default(void)
{
	file_round_trip(TMPL_DEFAULT, "default", TEMPLATES_PEN_DEFAULT);
	file_round_trip(TMPL_FULL, "full", TEMPLATES_PEN_DEFAULT);
}

static void test_file_template_ntop(void)
{
	file_round_trip(TMPL_NTOP, "ntop", 0);
}

/* IANA (and RFC 5103 reverse) elements only: no ntop, no sockflow, no RFC 5610 records. */
static void test_file_template_minimal(void)
{
	file_round_trip(TMPL_MINIMAL, "minimal", 0);
}

/* Another PEN: sockflow's elements, and their descriptions, carry it; ntop's keep theirs. */
static void test_file_enterprise_id(void)
{
	file_round_trip(TMPL_DEFAULT, "default", 4200000000u);
	file_round_trip(TMPL_DEFAULT, "default", 12345);
}

/* The scope count of options template @tid in the IPFIX messages of @data, or -1. */
static int wire_scope_count(const uint8_t *data, size_t size, uint16_t tid)
{
	size_t msg, off;
	uint16_t msg_len, set_id, set_len;

	for (msg = 0; msg + 16 <= size; msg += msg_len) {
		msg_len = data[msg + 2] << 8 | data[msg + 3];
		g_assert_cmpuint(msg_len, >=, 16);
		for (off = msg + 16; off + 4 <= msg + msg_len; off += set_len) {
			set_id = data[off] << 8 | data[off + 1];
			set_len = data[off + 2] << 8 | data[off + 3];
			g_assert_cmpuint(set_len, >=, 4);
			/* An options template set; its first record is ours or not. */
			if (set_id == 3 && set_len >= 10 &&
			    (data[off + 4] << 8 | data[off + 5]) == tid)
				return data[off + 8] << 8 | data[off + 9];
		}
	}
	return -1;
}

static void assert_loss_stats(const struct templates_loss_stats *got,
			      const struct export_loss_stats *want, uint64_t messages,
			      uint64_t records_sent)
{
	g_assert_cmpuint(got->observationDomainId, ==, 4242);
	g_assert_cmpuint(got->exportedMessageTotalCount, ==, messages);
	g_assert_cmpuint(got->exportedFlowRecordTotalCount, ==, records_sent);
	g_assert_cmpuint(got->notSentFlowTotalCount, ==, 0);
	g_assert_cmpuint(got->sockflowRingbufLostEventTotalCount, ==, want->ringbuf_events_lost);
	g_assert_cmpuint(got->sockflowProcessLostEventTotalCount, ==, want->process_events_lost);
	g_assert_cmpuint(got->sockflowUntrackedSocketTotalCount, ==, want->sockets_not_tracked);
	g_assert_cmpuint(got->sockflowHandshakeNotKeptTotalCount, ==, want->handshake_map_full);
	g_assert_cmpuint(got->sockflowEvictedFlowTotalCount, ==, want->flows_evicted);
	g_assert_cmpuint(got->sockflowFilteredFlowTotalCount, ==, want->flows_filtered);
	g_assert_cmpuint(got->sockflowUnconfirmedFlowTotalCount, ==, 0);
	g_assert_cmpuint(got->sockflowTcpCountsEstimated, ==, want->tcp_counts_estimated);
}

/*
 * Loss counters as options records through a file, between flow records:
 * the options template is scoped by observationDomainId, and libfixbuf's
 * collector reads every counter back, with what the sink had sent.
 */
static void test_file_loss_stats(void)
{
	struct export_options opts = default_opts();
	struct export_loss_stats loss[2] = {
		{ 1, 2, 3, 4, 5, 6, false },
		{ 10000000000ull, 20, 30, 40, 50, UINT64_MAX, true },
	};
	uint64_t messages[2];
	struct flow_record r;
	struct export_stats st;
	struct export_sink *s;
	struct decoder d;
	gchar *data;
	gsize size;
	char *path;
	int i;

	path = tmp_path("loss.ipfix");
	s = new_sink(COLLECTOR_FILE, NULL, 0, path, &opts);
	for (i = 0; i < 2; i++) {
		make_record(&r, AF_INET, i);
		g_assert_cmpint(export_sink__add(s, &r), ==, 0);
	}
	g_assert_cmpint(export_sink__flush(s, 1000), ==, 0);
	export_sink__stats(s, &st);
	messages[0] = st.messages_sent;
	g_assert_cmpint(export_sink__add_stats(s, &loss[0]), ==, 0);
	/* A pending record goes out first, in a message of its own. */
	make_record(&r, AF_INET6, 2);
	g_assert_cmpint(export_sink__add(s, &r), ==, 0);
	g_assert_cmpint(export_sink__add_stats(s, &loss[1]), ==, 0);
	messages[1] = messages[0] + 2;
	export_sink__stats(s, &st);
	g_assert_cmpuint(st.messages_sent, ==, messages[1] + 1);
	g_assert_cmpuint(st.records_sent, ==, 3);
	export_sink__free(s);

	g_assert_true(g_file_get_contents(path, &data, &size, NULL));
	g_assert_cmpint(wire_scope_count((uint8_t *)data, size, TEMPLATES_TID_LOSS_STATS), ==, 1);
	decoder_init(&d, path);
	decoder_read(&d);
	g_assert_cmpuint(d.records->len, ==, 3);
	g_assert_cmpuint(d.loss->len, ==, 2);
	assert_loss_stats(&g_array_index(d.loss, struct templates_loss_stats, 0), &loss[0],
			  messages[0], 2);
	assert_loss_stats(&g_array_index(d.loss, struct templates_loss_stats, 1), &loss[1],
			  messages[1], 3);
	assert_wire_templates((uint8_t *)data, size, &d, TMPL_DEFAULT, TEMPLATES_PEN_DEFAULT);
	decoder_free(&d);

	g_free(data);
	g_unlink(path);
	g_free(path);
}

/* A field list given by path, in its own order and with comments: the same records. */
static void test_file_template_path(void)
{
	char *list = tmp_path("mine.tmpl");
	const char *srcdir = g_getenv("top_srcdir");
	char *default_path, *text, **lines;
	GString *rev = g_string_new("# reversed, with comments\n\n");
	int i, n;

	if (!srcdir) {
		g_test_skip("top_srcdir not set (run through make check)");
		goto out;
	}
	default_path = g_build_filename(srcdir, "templates", "default.tmpl", NULL);
	g_assert_true(g_file_get_contents(default_path, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	n = g_strv_length(lines);
	for (i = n - 1; i >= 0; i--)
		g_string_append_printf(rev, "  %s  # line %d\n", lines[i], i);
	g_assert_true(g_file_set_contents(list, rev->str, -1, NULL));
	file_round_trip(TMPL_DEFAULT, list, 0);
	g_strfreev(lines);
	g_free(text);
	g_free(default_path);
out:
	g_string_free(rev, TRUE);
	g_unlink(list);
	g_free(list);
}

/* A field list that must be refused, with @want (after "FILE:") in the message. */
struct bad_list {
	const char *text;	/* NULL: no file at all */
	const char *want;
};

static const struct bad_list bad_lists[] = {
	{ "# x\nflowEndReason\n\nsourceIPv4Addres\n", ":4: unknown element \"sourceIPv4Addres\"; "
	  "expected an IPFIX element name sockflow exports" },
	{ "flowEndReason\nipTTL # IANA, but sockflow has no value for it\n",
	  ":2: ipTTL is an IPFIX element sockflow does not fill" },
	{ "flowEndReason\nflowEndReason\n", ":2: flowEndReason is listed twice (first on line 1)" },
	{ "flowEndReason protocolIdentifier\n",
	  ":1: \"flowEndReason protocolIdentifier\" is not an element name; expected one IPFIX "
	  "element name per line" },
	{ "flow-end-reason\n", ":1: \"flow-end-reason\" is not an element name" },
	{ "# nothing\n\n", ": no elements; expected one IPFIX element name per line" },
	{ "sourceIPv4Address\n", ": no element of IPv6 records" },
	{ "flowEndReason\n\xff\n", ":2: \"\xff\" is not an element name" },
};

/* Unknown or bad names in a field list stop the sink at creation, naming the file and line. */
static void test_bad_template(void)
{
	struct export_options opts = default_opts();
	char *list = tmp_path("bad.tmpl"), *out = tmp_path("bad.ipfix"), *want;
	char msg[512];
	size_t i;
	int err;

	opts.template_name = list;
	for (i = 0; i < G_N_ELEMENTS(bad_lists); i++) {
		g_assert_true(g_file_set_contents(list, bad_lists[i].text, -1, NULL));
		msg[0] = '\0';
		g_assert_null(try_sink(COLLECTOR_FILE, NULL, 0, out, &opts, &err, msg,
				       sizeof(msg)));
		g_test_message("list %zu: %s", i, msg);
		g_assert_cmpint(err, ==, -EINVAL);
		want = g_strconcat(list, bad_lists[i].want, NULL);
		g_assert_true(g_str_has_prefix(msg, want));
		/* --check finds the same without a collector. */
		msg[0] = '\0';
		g_assert_cmpint(export_sink__check_ipfix(&opts, msg, sizeof(msg)), ==, -EINVAL);
		g_assert_true(g_str_has_prefix(msg, want));
		g_free(want);
	}
	opts.template_name = "minimal";
	g_assert_cmpint(export_sink__check_ipfix(&opts, msg, sizeof(msg)), ==, 0);

	/* A name that is no list, a list that is not there, a directory. */
	opts.template_name = "nonesuch";
	g_assert_null(try_sink(COLLECTOR_FILE, NULL, 0, out, &opts, &err, msg, sizeof(msg)));
	g_assert_cmpint(err, ==, -ENOENT);
	g_assert_true(g_str_has_prefix(msg, "template \"nonesuch\": no nonesuch.tmpl in "));
	g_assert_nonnull(strstr(msg, "expected default, full, ntop, pmacct, minimal or a file path"));
	opts.template_name = "../default";
	g_assert_null(try_sink(COLLECTOR_FILE, NULL, 0, out, &opts, &err, msg, sizeof(msg)));
	g_assert_cmpint(err, ==, -ENOENT);
	g_assert_nonnull(strstr(msg, "../default: No such file or directory"));
	opts.template_name = ".default";
	g_assert_null(try_sink(COLLECTOR_FILE, NULL, 0, out, &opts, &err, msg, sizeof(msg)));
	g_assert_cmpint(err, ==, -EINVAL);
	g_assert_nonnull(strstr(msg, "template \".default\" is not a name"));
	opts.template_name = tmp_dir;
	g_assert_null(try_sink(COLLECTOR_FILE, NULL, 0, out, &opts, &err, msg, sizeof(msg)));
	g_assert_cmpint(err, ==, -EISDIR);
	g_assert_nonnull(strstr(msg, "Is a directory"));

	/* Nothing was written: the list is read before the output is opened. */
	g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
	g_unlink(list);
	g_free(list);
	g_free(out);
}

/* A cut string: a prefix of @full, at most @full's length, and whole UTF-8 characters. */
static void assert_cut(const char *full, const char *got)
{
	size_t len = strlen(got);

	g_assert_cmpuint(len, <=, strlen(full));
	g_assert_cmpmem(got, len, full, len);
	g_assert_true(g_utf8_validate(got, len, NULL));
}

/*
 * A record whose every string is at its longest, decoded from a message
 * of at most @max bytes. @cut: the long descriptive strings may have been
 * shortened (UDP), else everything is whole.
 */
static void assert_max_record(const struct flow_record *want, const struct flow_record *got,
			      bool cut)
{
	struct flow_record w = *want, g = *got;
	struct flow_process *we[] = { &w.client, &w.server }, *ge[] = { &g.client, &g.server };
	size_t e;

	if (!cut) {
		assert_same_record(want, got);
		return;
	}
	for (e = 0; e < G_N_ELEMENTS(we); e++) {
		assert_cut(we[e]->exe, ge[e]->exe);
		assert_cut(we[e]->cmdline, ge[e]->cmdline);
		assert_cut(we[e]->cgroup, ge[e]->cgroup);
		assert_cut(we[e]->container.image, ge[e]->container.image);
		/* Cut, since they do not fit whole. */
		g_assert_cmpuint(strlen(ge[e]->cmdline), <, strlen(we[e]->cmdline));
		g_assert_cmpuint(strlen(ge[e]->exe), <, strlen(we[e]->exe));
		/* Not to nothing: about 55 bytes each are left. */
		g_assert_cmpuint(strlen(ge[e]->cmdline), >=, 40);
		memcpy(ge[e]->exe, we[e]->exe, sizeof(we[e]->exe));
		memcpy(ge[e]->cmdline, we[e]->cmdline, sizeof(we[e]->cmdline));
		memcpy(ge[e]->cgroup, we[e]->cgroup, sizeof(we[e]->cgroup));
		memcpy(ge[e]->container.image, we[e]->container.image,
		       sizeof(we[e]->container.image));
	}
	/* Everything else is whole: ids and names are never cut. */
	assert_same_record(&w, &g);
}

/* Records at their longest through a file: whole (a file message holds 64 KB). */
static void test_file_max_lengths(void)
{
	struct export_options opts = default_opts();
	struct flow_record want[4];
	struct export_sink *s;
	struct decoder d;
	char *path = tmp_path("max.ipfix");
	int i;

	s = new_sink(COLLECTOR_FILE, NULL, 0, path, &opts);
	for (i = 0; i < 4; i++) {
		make_max_record(&want[i], i % 2 ? AF_INET6 : AF_INET, i);
		g_assert_cmpint(export_sink__add(s, &want[i]), ==, 0);
	}
	export_sink__free(s);
	decoder_init(&d, path);
	decoder_read(&d);
	g_assert_cmpuint(d.records->len, ==, 4);
	for (i = 0; i < 4; i++)
		assert_max_record(&want[i], decoded(&d, i), false);
	decoder_free(&d);
	g_unlink(path);
	g_free(path);
}

/* templates__fit() cuts the longest strings first, to a common length, at character boundaries. */
static void test_fit(void)
{
	struct templates_selection sel;
	struct field_list *fl;
	struct templates_flow6 rec;
	struct flow_record r;
	fbInfoModel_t *model = fbInfoModelAlloc();
	char msg[256];
	size_t len, full;

	templates__add_elements(model, TEMPLATES_PEN_DEFAULT);
	g_assert_cmpint(field_list__parse(&fl, "t.tmpl", "sourceIPv6Address\nSRC_PROC_CMDLINE\n"
					  "DST_PROC_CMDLINE\nSRC_PROC_NAME\n", msg, sizeof(msg)),
			==, 0);
	g_assert_cmpint(templates__select(&sel, model, fl, false, msg, sizeof(msg)), ==, 0);
	make_record(&r, AF_INET6, 1);
	FILL_MAX(r.client.cmdline, "\xc3\xa9");	/* 254 bytes of é, then one 'x' */
	snprintf(r.server.cmdline, sizeof(r.server.cmdline), "short");
	templates__fill_flow6(&rec, &r, TEMPLATES_INITIATOR, NULL);
	full = 16 + (3 + 255) + (1 + 5) + (1 + 4);
	g_assert_cmpuint(templates__encoded_len(&sel.layout[TEMPLATES_FLOW6], &rec), ==, full);
	g_assert_cmpuint(templates__fit(&sel.layout[TEMPLATES_FLOW6], &rec, full), ==, full);

	/* 101 bytes for the client's command line: 100, a whole number of é. */
	len = templates__fit(&sel.layout[TEMPLATES_FLOW6], &rec, 16 + 102 + 6 + 5);
	g_assert_cmpuint(rec.ends.SRC_PROC_CMDLINE.len, ==, 100);
	g_assert_cmpuint(len, ==, 16 + 101 + 6 + 5);
	g_assert_cmpuint(rec.ends.DST_PROC_CMDLINE.len, ==, 5);
	g_assert_cmpuint(rec.ends.SRC_PROC_NAME.len, ==, 4);	/* "cli1": never cut */

	/* Below the short one's length both are cut to the same length (3 -> 2 for é). */
	len = templates__fit(&sel.layout[TEMPLATES_FLOW6], &rec, 16 + 4 + 4 + 5);
	g_assert_cmpuint(rec.ends.SRC_PROC_CMDLINE.len, ==, 2);
	g_assert_cmpuint(rec.ends.DST_PROC_CMDLINE.len, ==, 3);
	g_assert_cmpuint(len, <=, 16 + 4 + 4 + 5);

	/* Too small even with them empty: the strings are emptied and the length says so. */
	len = templates__fit(&sel.layout[TEMPLATES_FLOW6], &rec, 20);
	g_assert_cmpuint(rec.ends.SRC_PROC_CMDLINE.len, ==, 0);
	g_assert_cmpuint(len, ==, 16 + 1 + 1 + 5);

	field_list__free(fl);
	fbInfoModelFree(model);
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

/*
 * UDP: messages fill what the route carries, at most 8 KiB (loopback's MTU
 * is larger); templates at start and per refresh interval.
 */
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
		/* Loopback delivers at once; read before the socket's buffer fills. */
		if (i % 20 == 19)
			read_datagrams(fd, &d, &max_len);
	}
	g_assert_cmpint(export_sink__flush(s, 5000), ==, 0);
	g_usleep(10000);
	read_datagrams(fd, &d, &max_len);

	g_assert_cmpuint(max_len, <=, 8192);
	g_assert_cmpuint(max_len, >, 1400);
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

/*
 * UDP with 1,400-byte messages (a route with a 1,500-byte MTU): records
 * with every string at its longest (about 2.7 KB each whole) still go out,
 * one per datagram, their long descriptive strings cut at character
 * boundaries; ids and names whole. Records of the usual size around them
 * are not cut.
 */
static void udp_max_lengths(int family, const char *host)
{
	struct export_options opts = default_opts();
	struct flow_record want[6];
	struct export_stats st;
	struct export_sink *s;
	size_t max_len = 0;
	struct decoder d;
	uint16_t port = 0;
	int fd, i;

	fd = bound_socket(family, SOCK_DGRAM, &port);
	if (fd < 0) {
		g_test_skip("no loopback for this family");
		return;
	}
	decoder_init(&d, NULL);
	opts.udp_message_max = 1400;
	s = new_sink(COLLECTOR_UDP, host, port, NULL, &opts);
	for (i = 0; i < 6; i++) {
		if (i % 3 == 2)
			make_record(&want[i], i % 2 ? AF_INET6 : AF_INET, i);
		else
			make_max_record(&want[i], i % 2 ? AF_INET6 : AF_INET, i);
		g_assert_cmpint(export_sink__add(s, &want[i]), ==, 0);
	}
	g_assert_cmpint(export_sink__flush(s, 1000), ==, 0);
	g_usleep(10000);
	read_datagrams(fd, &d, &max_len);
	g_assert_cmpuint(max_len, <=, 1400);
	g_assert_cmpuint(max_len, >=, 1300);	/* a cut record fills its datagram */
	g_assert_cmpuint(d.records->len, ==, 6);
	for (i = 0; i < 6; i++)
		assert_max_record(&want[i], decoded(&d, i), i % 3 != 2);
	export_sink__stats(s, &st);
	g_assert_cmpuint(st.records_sent, ==, 6);
	g_assert_cmpuint(st.records_lost, ==, 0);
	export_sink__free(s);
	decoder_free(&d);
	close(fd);
}

static void test_udp_max_lengths_ipv4(void)
{
	udp_max_lengths(AF_INET, "127.0.0.1");
}

static void test_udp_max_lengths_ipv6(void)
{
	udp_max_lengths(AF_INET6, "::1");
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

/* Bytes @fd holds unread. */
static int unread_bytes(int fd)
{
	int n = 0;

	g_assert_cmpint(ioctl(fd, FIONREAD, &n), ==, 0);
	return n;
}

/*
 * TCP: a collector that never reads, then dies with unread data (a
 * reset). Records count sent only as acknowledged; on the reset every
 * record not acknowledged is lost, exactly, and not sent again: the next
 * connection gets exactly the records after them. As the collector read
 * nothing, every record sent is unconfirmed (the 2 x window bound holds).
 */
static void test_tcp_reset_unread(void)
{
	struct export_options opts = default_opts();
	struct export_drop drop = { 0 };
	struct export_stats st;
	struct export_sink *s;
	struct flow_record r;
	struct decoder d;
	uint16_t port = 0;
	int lfd, cfd, i, unread, still = 0, rcvbuf = 32768;
	const int n = 30000;
	gint64 deadline;
	uint64_t now, gone;

	lfd = bound_socket(AF_INET, SOCK_STREAM, &port);
	g_assert_cmpint(lfd, >=, 0);
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	g_assert_cmpint(listen(lfd, 4), ==, 0);
	opts.buffer_records = n;
	s = new_sink(COLLECTOR_TCP, "127.0.0.1", port, NULL, &opts);
	now = flush_until_connected(s, mono_ms());
	cfd = accept_one(lfd);
	for (i = 0; i < n; i++) {
		make_record(&r, i % 2 ? AF_INET6 : AF_INET, i);
		g_assert_cmpint(export_sink__add(s, &r), ==, 0);
	}
	/* Flush until the collector's queue holds still: its window is closed. */
	deadline = g_get_monotonic_time() + WAIT_US;
	for (unread = -1; still < 10; g_usleep(5000)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		export_sink__flush(s, now);
		still = unread_bytes(cfd) == unread ? still + 1 : 0;
		unread = unread_bytes(cfd);
	}
	export_sink__stats(s, &st);
	g_assert_cmpuint(st.records_sent, >, 0);
	g_assert_cmpuint(st.records_sent, <, n);
	g_assert_cmpuint(st.records_lost, ==, 0);
	g_assert_false(export_sink__take_drop(s, &drop));

	/* Closed with unread data: the kernel resets the connection. */
	close(cfd);
	deadline = g_get_monotonic_time() + WAIT_US;
	do {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(1000);
		export_sink__flush(s, now);
		export_sink__stats(s, &st);
	} while (st.connected);
	g_assert_true(export_sink__take_drop(s, &drop));
	g_assert_false(export_sink__take_drop(s, &drop));
	g_assert_cmpint(drop.err, ==, -ECONNRESET);
	g_assert_cmpuint(drop.connections, ==, 1);
	g_assert_cmpuint(drop.records_lost, >, 0);
	g_assert_cmpuint(drop.records_lost, ==, st.records_lost);
	g_assert_cmpuint(drop.records_unconfirmed, ==, st.records_sent);
	g_assert_cmpuint(st.records_unconfirmed, ==, st.records_sent);
	g_assert_cmpuint(drop.unread_bound_bytes, >=, (uint64_t)unread);
	gone = st.records_sent + st.records_lost;
	g_assert_cmpuint(gone, <, n);
	g_test_message("sent %" PRIu64 ", lost %" PRIu64 ", unread %d bytes, bound %" PRIu64,
		       st.records_sent, st.records_lost, unread, drop.unread_bound_bytes);

	/* The next connection: the records after those, each once. */
	now = flush_until_connected(s, now + 1000);
	cfd = accept_one(lfd);
	decoder_init(&d, NULL);
	read_records(cfd, s, now, &d, n - gone);
	assert_session_start(&d);
	for (i = gone; i < n; i++) {
		make_record(&r, i % 2 ? AF_INET6 : AF_INET, i);
		assert_same_record(&r, decoded(&d, i - gone));
	}
	g_assert_cmpuint(d.records->len, ==, n - gone);
	decoder_free(&d);
	export_sink__free(s);
	close(cfd);
	close(lfd);
}

/* TCP: records at their longest fit a message (8 KB) whole, several to a message. */
static void test_tcp_max_lengths(void)
{
	struct export_options opts = default_opts();
	struct flow_record want[5];
	struct export_sink *s;
	struct decoder d;
	uint16_t port = 0;
	int lfd, cfd, i;
	uint64_t now;

	lfd = bound_socket(AF_INET, SOCK_STREAM, &port);
	g_assert_cmpint(lfd, >=, 0);
	g_assert_cmpint(listen(lfd, 4), ==, 0);
	s = new_sink(COLLECTOR_TCP, "127.0.0.1", port, NULL, &opts);
	now = flush_until_connected(s, mono_ms());
	cfd = accept_one(lfd);
	for (i = 0; i < 5; i++) {
		make_max_record(&want[i], i % 2 ? AF_INET6 : AF_INET, i);
		g_assert_cmpint(export_sink__add(s, &want[i]), ==, 0);
	}
	decoder_init(&d, NULL);
	read_records(cfd, s, now, &d, 5);
	for (i = 0; i < 5; i++)
		assert_max_record(&want[i], decoded(&d, i), false);
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
	char *out, *want;

	make_record(&r, AF_INET6, 2);
	snprintf(r.client.name, sizeof(r.client.name), "a\"b\\c\x01\xff");
	out = print_one(PRINT_JSON, &r, 1);
	want = g_strdup_printf(
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
			"\"SRC_PROC_PID\":1002,\"SRC_PROC_NAME\":\"a\\\"b\\\\c\\u0001\xef\xbf\xbd\","
			"\"SRC_PROC_UID\":502,\"SRC_PROC_USER_NAME\":\"user2\","
			"\"SRC_FATHER_PROC_PID\":999,\"SRC_FATHER_PROC_NAME\":\"bash\","
			"\"SRC_PROC_CMDLINE\":\"cli2 --name \\\"caf\xc3\xa9\\\" -v\","
			"\"sockflowSourceExecutable\":\"/usr/bin/cli2\","
			"\"sockflowSourceNetnsInode\":4026531840,"
			"\"sockflowSourceCgroupId\":4294967298,"
			"\"sockflowSourceCgroupPath\":\"/user.slice/user-502.slice\","
			"\"DST_PROC_PID\":2002,\"DST_PROC_NAME\":\"nginx \\\"w\\\"\","
			"\"DST_PROC_UID\":33,\"DST_PROC_USER_NAME\":\"www-data\","
			"\"DST_FATHER_PROC_PID\":1,\"DST_FATHER_PROC_NAME\":\"conmon\","
			"\"DST_PROC_CMDLINE\":\"nginx: worker process\","
			"\"DST_PROC_CONTAINER_ID\":\"%064x\","
			"\"sockflowDestinationExecutable\":\"/usr/sbin/nginx\","
			"\"sockflowDestinationContainerName\":\"web2\","
			"\"sockflowDestinationContainerRuntime\":\"podman\","
			"\"sockflowDestinationContainerImage\":\"localhost/busybox:latest\","
			"\"sockflowDestinationNetnsInode\":4026532179,"
			"\"sockflowDestinationCgroupId\":7002,"
			"\"sockflowDestinationCgroupPath\":"
			"\"/machine.slice/libpod-%064x.scope\","
			"\"RETRANSMITTED_IN_PKTS\":5,\"RETRANSMITTED_OUT_PKTS\":2,"
			"\"CLIENT_NW_LATENCY_MS\":2,\"SERVER_NW_LATENCY_MS\":1,"
			"\"sockflowSourceRttMicroseconds\":2502,"
			"\"sockflowSourceRttVarMicroseconds\":302,"
			"\"sockflowDestinationRttMicroseconds\":4102,"
			"\"sockflowDestinationRttVarMicroseconds\":200,"
			"\"sockflowSourceLostSegments\":1,\"sockflowSourceResetsReceived\":1,"
			"\"sockflowDestinationResetsSent\":1}\n",
			0xabc2, 0xabc2);
	g_assert_cmpstr(out, ==, want);
	g_free(want);
	g_free(out);

	/* Pods, when known; zero ids and empty strings are left out. */
	make_record(&r, AF_INET, 3);
	r.client.ppid = 0;
	r.client.cgroup_id = 0;
	r.client.user[0] = '\0';
	out = print_one(PRINT_JSON, &r, 1);
	g_assert_nonnull(strstr(out, ",\"sockflowDestinationPodName\":\"web-7d4b9c-x3\","
				     "\"sockflowDestinationPodNamespace\":\"shop\","
				     "\"sockflowDestinationPodUid\":"
				     "\"0b4a1c2e-3f5d-4e6a-8b7c-9d0e1f2a3b03\","));
	g_assert_null(strstr(out, "SRC_FATHER_PROC_PID"));
	g_assert_null(strstr(out, "sockflowSourceCgroupId"));
	g_assert_null(strstr(out, "SRC_PROC_USER_NAME"));
	g_assert_nonnull(strstr(out, "\"SRC_FATHER_PROC_NAME\":\"bash\""));
	g_free(out);

	/* Every string at its longest and every byte escaped still makes one line. */
	make_max_record(&r, AF_INET6, 0);
	memset(r.client.cmdline, 0x01, sizeof(r.client.cmdline) - 1);
	memset(r.server.exe, 0x7f, sizeof(r.server.exe) - 1);
	out = print_one(PRINT_JSON, &r, 1);
	g_assert_true(g_str_has_suffix(out, "\"}\n"));
	g_assert_nonnull(strstr(out, "\"sockflowDestinationCgroupPath\":\"/g"));
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
	g_assert_nonnull(strstr(out, "cli0[1000] "));
	g_assert_nonnull(strstr(out, "-> nginx \"w\"[2000]@web0 "));
	g_assert_nonnull(strstr(out, " udp "));
	g_assert_nonnull(strstr(out, "192.0.2.10:10000 "));
	g_assert_nonnull(strstr(out, "-> 198.51.100.20:443 "));
	g_assert_nonnull(strstr(out, " idle\n"));
	g_free(out);

	/* A container without a name: its id, shortened; a systemd unit is no container. */
	make_record(&r, AF_INET, 1);
	r.server.container.name[0] = '\0';
	snprintf(r.server.container.id, sizeof(r.server.container.id), "%s",
		 "3f1e9c2ab7d0445566778899aabbccddeeff00112233445566778899aabbccdd");
	snprintf(r.client.container.runtime, sizeof(r.client.container.runtime), "systemd");
	snprintf(r.client.container.id, sizeof(r.client.container.id), "sshd.service");
	snprintf(r.client.container.name, sizeof(r.client.container.name), "sshd");
	out = print_one(PRINT_TEXT, &r, 1);
	g_assert_nonnull(strstr(out, " cli1[1001] "));
	g_assert_nonnull(strstr(out, "-> a-very-long-nam[2001]@3f1e9c2ab7d0 "));
	g_free(out);

	/* Unprintable bytes in a container name are escaped, as in process names. */
	make_record(&r, AF_INET, 1);
	snprintf(r.server.container.name, sizeof(r.server.container.name), "w\te b");
	out = print_one(PRINT_TEXT, &r, 1);
	g_assert_nonnull(strstr(out, "[2001]@w\\x09e b "));
	g_free(out);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmp_dir = g_dir_make_tmp("sockflow-ipfix-XXXXXX", NULL);
	g_assert_nonnull(tmp_dir);
	g_test_add_func("/ipfix/file_round_trip", test_file_round_trip);
	g_test_add_func("/ipfix/template/default", test_file_template_default);
	g_test_add_func("/ipfix/template/ntop", test_file_template_ntop);
	g_test_add_func("/ipfix/template/minimal", test_file_template_minimal);
	g_test_add_func("/ipfix/template/path", test_file_template_path);
	g_test_add_func("/ipfix/template/bad", test_bad_template);
	g_test_add_func("/ipfix/enterprise_id", test_file_enterprise_id);
	g_test_add_func("/ipfix/loss_stats", test_file_loss_stats);
	g_test_add_func("/ipfix/fit", test_fit);
	g_test_add_func("/ipfix/file_max_lengths", test_file_max_lengths);
	g_test_add_func("/ipfix/udp_ipv4", test_udp_ipv4);
	g_test_add_func("/ipfix/udp_ipv6", test_udp_ipv6);
	g_test_add_func("/ipfix/udp_max_lengths_ipv4", test_udp_max_lengths_ipv4);
	g_test_add_func("/ipfix/udp_max_lengths_ipv6", test_udp_max_lengths_ipv6);
	g_test_add_func("/ipfix/tcp_reconnect", test_tcp_reconnect);
	g_test_add_func("/ipfix/tcp_backoff", test_tcp_backoff);
	g_test_add_func("/ipfix/tcp_partial_writes", test_tcp_partial_writes);
	g_test_add_func("/ipfix/tcp_reset_unread", test_tcp_reset_unread);
	g_test_add_func("/ipfix/tcp_max_lengths", test_tcp_max_lengths);
	g_test_add_func("/ipfix/file_uniflow", test_file_uniflow);
	g_test_add_func("/ipfix/file_applications", test_file_applications);
	g_test_add_func("/ipfix/applications_utf8_cut", test_applications_utf8_cut);
	g_test_add_func("/print/json", test_print_json);
	g_test_add_func("/print/text", test_print_text);
	rc = g_test_run();
	g_rmdir(tmp_dir);
	g_free(tmp_dir);
	return rc;
}
