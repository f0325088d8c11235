// SPDX-License-Identifier: GPL-2.0-only
/* sock_diag poller: find every network namespace, dump its TCP (or UDP) sockets with tcp_info. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include "clock.h"
#include "log.h"
#include "source/diag.h"
#include "source/netns.h"

/*
 * TCP states from include/net/tcp_states.h. <netinet/tcp.h> has all but
 * the last, but cannot be included next to <linux/tcp.h>, whose struct
 * tcp_info is the one with every field.
 */
#define DIAG_TCP_SYN_RECV 3
#define DIAG_TCP_LISTEN 10
#define DIAG_TCP_NEW_SYN_RECV 12	/* request sockets; inet_diag reports them as SYN_RECV */
#define DIAG_TCP_ALL_STATES 0x1ffeu	/* 1 << TCP_ESTABLISHED .. 1 << TCP_NEW_SYN_RECV */

/*
 * One recv() returns one skb of a dump, which the kernel sizes after our
 * largest read so far but caps at 32 KiB; a larger buffer costs nothing and
 * keeps working if that cap is ever raised.
 */
#define DIAG_RECV_BUF_LEN (128 * 1024)
/* A dump keeps a skb or two queued at a time; this keeps a small rmem_default out of the way. */
#define DIAG_SOCK_RCVBUF (1024 * 1024)

#define NSEC_PER_SEC 1000000000ull

struct diag_poller {
	char *proc_root;
	char *netns_dir;
	uint32_t states;		/* idiag_states to ask for */
	uint8_t protocol;		/* IPPROTO_TCP or IPPROTO_UDP */
	GArray *found;			/* struct netns_ref, this poll's scan */
	void *buf;			/* DIAG_RECV_BUF_LEN */
	uint32_t seq;
	bool per_family;		/* the kernel refused TCPDIAG_GETSOCK: SOCK_DIAG_BY_FAMILY */
};

/* What one dump needs to turn messages into callbacks. */
struct dump_ctx {
	diag_socket_fn fn;
	void *ctx;
	uint32_t netns_ino;
	uint8_t protocol;
	uint64_t sockets;
};

/* Why a namespace was left out of a poll; decides the counter it goes to. */
enum netns_outcome {
	NETNS_POLLED,
	NETNS_VANISHED,
	NETNS_FAILED,
};

/* The counter of @st that a namespace with @outcome goes to. */
static void outcome_count(struct diag_poll_stats *st, enum netns_outcome outcome)
{
	if (outcome == NETNS_POLLED)
		st->namespaces++;
	else if (outcome == NETNS_VANISHED)
		st->namespaces_vanished++;
	else
		st->namespaces_failed++;
}

static int diag__attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	/* Attributes newer than our headers are skipped, not an error. */
	if (mnl_attr_type_valid(a, INET_DIAG_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

/*
 * The kernel appends tcp_info fields over the years and sends its own
 * struct's size: copying what came into a zeroed struct leaves the fields an
 * older kernel lacks at 0 and drops what a newer one added.
 */
static void tcp_info__parse(const struct nlattr *a, struct diag_tcp_info *out)
{
	struct tcp_info ti = { 0 };
	size_t len = mnl_attr_get_payload_len(a);

	memcpy(&ti, mnl_attr_get_payload(a), len < sizeof(ti) ? len : sizeof(ti));
	out->rtt_us = ti.tcpi_rtt;
	out->rttvar_us = ti.tcpi_rttvar;
	out->min_rtt_us = ti.tcpi_min_rtt;
	out->total_retrans = ti.tcpi_total_retrans;
	out->lost = ti.tcpi_lost;
	out->bytes_acked = ti.tcpi_bytes_acked;
	out->bytes_received = ti.tcpi_bytes_received;
	out->bytes_retrans = ti.tcpi_bytes_retrans;
	out->bytes_sent = len >= offsetof(struct tcp_info, tcpi_bytes_sent) + 8 ?
				  ti.tcpi_bytes_sent : ti.tcpi_bytes_acked;
	out->segs_out = ti.tcpi_segs_out;
	out->segs_in = ti.tcpi_segs_in;
	out->delivery_rate = ti.tcpi_delivery_rate;
	out->idle_ms = ti.tcpi_last_data_sent;
	if (ti.tcpi_last_data_recv < out->idle_ms)
		out->idle_ms = ti.tcpi_last_data_recv;
	if (ti.tcpi_last_ack_recv < out->idle_ms)
		out->idle_ms = ti.tcpi_last_ack_recv;
	out->timestamps = ti.tcpi_options & TCPI_OPT_TIMESTAMPS;
}

/* One SOCK_DIAG_BY_FAMILY message: parse, then hand to the callback. */
static int diag__parse_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { NULL };
	struct dump_ctx *d = data;
	const struct inet_diag_msg *m;
	struct diag_socket s = { 0 };
	size_t alen;

	/* Replies carry the request's type. */
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY && nlh->nlmsg_type != TCPDIAG_GETSOCK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family == AF_INET)
		alen = 4;
	else if (m->idiag_family == AF_INET6)
		alen = 16;
	else
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*m), diag__attr_cb, tb) < 0)
		return MNL_CB_ERROR;

	s.cookie = (uint64_t)m->id.idiag_cookie[0] | (uint64_t)m->id.idiag_cookie[1] << 32;
	memcpy(s.tuple.local_addr, m->id.idiag_src, alen);
	memcpy(s.tuple.remote_addr, m->id.idiag_dst, alen);
	s.tuple.local_port = ntohs(m->id.idiag_sport);
	s.tuple.remote_port = ntohs(m->id.idiag_dport);
	s.tuple.family = m->idiag_family;
	s.tuple.protocol = d->protocol;
	s.tuple.netns_ino = d->netns_ino;
	s.state = m->idiag_state;
	s.uid = m->idiag_uid;
	s.inode = m->idiag_inode;
	/* Sent unasked since Linux 5.7 (commit 6e3a401fc5e8), not for minisocks. */
	if (tb[INET_DIAG_CGROUP_ID] && mnl_attr_get_payload_len(tb[INET_DIAG_CGROUP_ID]) >= 8)
		s.cgroup_id = mnl_attr_get_u64(tb[INET_DIAG_CGROUP_ID]);
	if (tb[INET_DIAG_INFO] && d->protocol == IPPROTO_TCP) {
		s.has_info = true;
		tcp_info__parse(tb[INET_DIAG_INFO], &s.info);
	}
	d->fn(d->ctx, &s);
	d->sockets++;
	return MNL_CB_OK;
}

/*
 * The request for the @protocol sockets of @family (AF_UNSPEC: both, TCP
 * only) in @buf.
 * inet_diag walks the whole established hash, every namespace's sockets
 * in it, once per dump, so a dump costs milliseconds even in an empty
 * namespace. SOCK_DIAG_BY_FAMILY needs one dump per family; the older
 * TCPDIAG_GETSOCK request dumps both families in one walk
 * (inet_diag_dump_compat), so it is asked for first.
 */
static struct nlmsghdr *diag__request(void *buf, uint32_t seq, uint8_t family, uint8_t protocol,
				      uint32_t states)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req2;
	struct inet_diag_req *req1;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (family == AF_UNSPEC) {
		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		req1 = mnl_nlmsg_put_extra_header(nlh, sizeof(*req1));
		req1->idiag_ext = 1 << (INET_DIAG_INFO - 1);
		req1->idiag_states = states;
	} else {
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req2 = mnl_nlmsg_put_extra_header(nlh, sizeof(*req2));
		req2->sdiag_family = family;
		req2->sdiag_protocol = protocol;
		/* UDP has no INET_DIAG_INFO; asking costs nothing there. */
		req2->idiag_ext = 1 << (INET_DIAG_INFO - 1);
		req2->idiag_states = states;
	}
	return nlh;
}

/* One dump of the sockets of @family (AF_UNSPEC: both) on @nl, a socket in the namespace. */
static int diag__dump(struct diag_poller *p, struct mnl_socket *nl, uint8_t family,
		      struct dump_ctx *d)
{
	char req_buf[MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct inet_diag_req_v2))
		     + MNL_ALIGN(sizeof(struct inet_diag_req))];
	unsigned int portid = mnl_socket_get_portid(nl);
	uint32_t seq = ++p->seq;
	struct nlmsghdr *nlh;
	ssize_t n;
	int rc;

	nlh = diag__request(req_buf, seq, family, p->protocol, p->states);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, p->buf, DIAG_RECV_BUF_LEN);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/*
		 * libmnl turns NLM_F_DUMP_INTR into EINTR. inet_diag does not
		 * set it (it has no generation count to compare), so any
		 * error here, that one included, fails the dump.
		 */
		errno = 0;
		rc = mnl_cb_run(p->buf, (size_t)n, seq, portid, diag__parse_msg, d);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0)
			return errno ? -errno : -EIO;
	}
}

/*
 * Both families: in one dump unless the kernel refused the one-walk request
 * before, or refuses it now, before any socket came (then never again).
 * TCPDIAG_GETSOCK knows TCP only: UDP is dumped per family.
 */
static int diag__dump_all(struct diag_poller *p, struct mnl_socket *nl, struct dump_ctx *d)
{
	uint64_t before = d->sockets;
	int err;

	if (!p->per_family && p->protocol == IPPROTO_TCP) {
		err = diag__dump(p, nl, AF_UNSPEC, d);
		if (!err || d->sockets != before || (err != -EINVAL && err != -EOPNOTSUPP &&
						     err != -ENOENT))
			return err;
		log_debug("diag: TCPDIAG_GETSOCK refused (%s), dumping per family",
			  strerror(-err));
		p->per_family = true;
	}
	err = diag__dump(p, nl, AF_INET, d);
	if (err)
		return err;
	return diag__dump(p, nl, AF_INET6, d);
}

/* Bigger queue than rmem_default; SO_RCVBUFFORCE needs CAP_NET_ADMIN, else what rmem_max allows. */
static void diag__set_rcvbuf(struct mnl_socket *nl)
{
	int fd = mnl_socket_get_fd(nl), size = DIAG_SOCK_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/*
 * A sock_diag socket inside namespace @ns. The namespace is entered only to
 * create the socket (a socket stays in the namespace it was made in) and
 * left at once. Returns 0, -ENOENT or -ESTALE when the namespace is gone
 * (the path is gone, or names another namespace now), -ENOTRECOVERABLE
 * when the thread could not go back, or another -errno.
 */
static int diag__open_in(const struct netns_ref *ns, const struct netns_self *self,
			 struct mnl_socket **out)
{
	struct mnl_socket *nl;
	int err;

	*out = NULL;
	err = netns__enter(self, ns);
	if (err)
		return err;
	nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!nl)
		err = -errno;
	if (netns__return(self, ns)) {
		log_error("diag: cannot return to the original network namespace: %s",
			  strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return -ENOTRECOVERABLE;
	}
	if (!nl)
		return err;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return err;
	}
	diag__set_rcvbuf(nl);
	*out = nl;
	return 0;
}

/* Poll one namespace: open a socket in it, dump both families, close. */
static int diag__poll_netns(struct diag_poller *p, const struct netns_ref *ns,
			    const struct netns_self *self, struct dump_ctx *d,
			    enum netns_outcome *outcome)
{
	struct mnl_socket *nl;
	int err;

	err = diag__open_in(ns, self, &nl);
	if (err == -ENOTRECOVERABLE)
		return err;
	if (err) {
		*outcome = err == -ENOENT || err == -ESTALE ? NETNS_VANISHED : NETNS_FAILED;
		log_debug("diag: netns %u (%s): %s before dump, ignoring", ns->ino,
			  ns->path ? ns->path : "own", strerror(-err));
		return 0;
	}
	d->netns_ino = ns->ino;
	err = diag__dump_all(p, nl, d);
	mnl_socket_close(nl);
	if (err) {
		*outcome = NETNS_VANISHED;
		log_debug("diag: netns %u (%s) vanished during dump (%s), ignoring", ns->ino,
			  ns->path ? ns->path : "own", strerror(-err));
		return 0;
	}
	*outcome = NETNS_POLLED;
	return 0;
}

/* The end of a poll or a lookup round: home again, no path kept, totals in @st. */
static void poll_end(struct diag_poller *p, struct netns_self *self, const struct dump_ctx *d,
		     uint64_t start, struct diag_poll_stats *st)
{
	netns__self_close(self);
	/* No path may keep a namespace from being freed until the next poll. */
	g_array_set_size(p->found, 0);
	st->sockets = d->sockets;
	st->duration_ns = now_ns() - start;
}

int diag_poller__poll(struct diag_poller *p, diag_socket_fn fn, void *ctx,
		      struct diag_poll_stats *st)
{
	struct dump_ctx d = { .fn = fn, .ctx = ctx, .protocol = p->protocol };
	enum netns_outcome outcome;
	uint64_t start = now_ns();
	struct netns_self self;
	int err;
	guint i;

	memset(st, 0, sizeof(*st));
	err = netns__self_open(&self);
	if (err)
		return err;
	err = netns__scan(&self, p->proc_root, p->netns_dir, p->found);
	if (err)
		goto out_close_self;
	for (i = 0; i < p->found->len; i++) {
		err = diag__poll_netns(p, &g_array_index(p->found, struct netns_ref, i), &self, &d,
				       &outcome);
		if (err)
			goto out_close_self;
		outcome_count(st, outcome);
	}
out_close_self:
	poll_end(p, &self, &d, start, st);
	return err;
}

/* Requests sent to the kernel at once: replies come one per request. */
#define DIAG_LOOKUP_BATCH 256

struct lookup_ctx {
	struct dump_ctx *d;
	size_t replies;			/* answers and errors of the batch so far */
};

static int diag__lookup_reply(const struct nlmsghdr *nlh, void *data)
{
	struct lookup_ctx *l = data;

	l->replies++;
	return diag__parse_msg(nlh, l->d);
}

/* A socket gone (ENOENT), or its tuple now another socket's (ESTALE): an answer too. */
static int diag__lookup_error(const struct nlmsghdr *nlh, void *data)
{
	struct lookup_ctx *l = data;

	(void)nlh;
	l->replies++;
	return MNL_CB_OK;
}

/* The exact request for @sk, a socket of @protocol, in @buf. */
static struct nlmsghdr *diag__lookup_request(void *buf, uint32_t seq, uint8_t protocol,
					     const struct diag_lookup *sk)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	size_t alen = sk->tuple.family == AF_INET6 ? 16 : 4;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = sk->tuple.family;
	req->sdiag_protocol = protocol;
	req->idiag_ext = 1 << (INET_DIAG_INFO - 1);
	req->idiag_states = ~0u;
	req->id.idiag_sport = htons(sk->tuple.local_port);
	req->id.idiag_dport = htons(sk->tuple.remote_port);
	memcpy(req->id.idiag_src, sk->tuple.local_addr, alen);
	memcpy(req->id.idiag_dst, sk->tuple.remote_addr, alen);
	req->id.idiag_cookie[0] = (uint32_t)sk->cookie;
	req->id.idiag_cookie[1] = (uint32_t)(sk->cookie >> 32);
	return nlh;
}

/* Send @n requests in one message buffer, then read an answer for each. */
static int diag__lookup_batch(struct diag_poller *p, struct mnl_socket *nl,
			      const struct diag_lookup *socks, size_t n, struct dump_ctx *d)
{
	static const size_t req_len = MNL_ALIGN(sizeof(struct nlmsghdr)) +
				      MNL_ALIGN(sizeof(struct inet_diag_req_v2));
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = diag__lookup_error };
	char req_buf[DIAG_LOOKUP_BATCH * MNL_ALIGN(sizeof(struct nlmsghdr) +
						   sizeof(struct inet_diag_req_v2))];
	unsigned int portid = mnl_socket_get_portid(nl);
	struct lookup_ctx l = { .d = d };
	ssize_t got;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		diag__lookup_request(req_buf + i * req_len, ++p->seq, p->protocol, &socks[i]);
	if (mnl_socket_sendto(nl, req_buf, n * req_len) < 0)
		return -errno;
	while (l.replies < n) {
		got = mnl_socket_recvfrom(nl, p->buf, DIAG_RECV_BUF_LEN);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* Sequence numbers 0: the answers of the whole batch are welcome. */
		rc = mnl_cb_run2(p->buf, (size_t)got, 0, portid, diag__lookup_reply, &l, ctl,
				 NLMSG_MIN_TYPE);
		if (rc < 0)
			return errno ? -errno : -EIO;
	}
	return 0;
}

static int lookup_by_netns(const void *a, const void *b)
{
	const struct diag_lookup *x = a, *y = b;

	return (x->tuple.netns_ino > y->tuple.netns_ino) - (x->tuple.netns_ino < y->tuple.netns_ino);
}

/* The sockets @socks[0..n) of namespace @ns, in batches. */
static int diag__lookup_netns(struct diag_poller *p, const struct netns_ref *ns,
			      const struct netns_self *self, const struct diag_lookup *socks,
			      size_t n, struct dump_ctx *d, enum netns_outcome *outcome)
{
	struct mnl_socket *nl;
	size_t i, len;
	int err;

	err = diag__open_in(ns, self, &nl);
	if (err == -ENOTRECOVERABLE)
		return err;
	if (err) {
		*outcome = err == -ENOENT || err == -ESTALE ? NETNS_VANISHED : NETNS_FAILED;
		return 0;
	}
	d->netns_ino = ns->ino;
	for (i = 0; i < n && !err; i += len) {
		len = n - i < DIAG_LOOKUP_BATCH ? n - i : DIAG_LOOKUP_BATCH;
		err = diag__lookup_batch(p, nl, socks + i, len, d);
	}
	mnl_socket_close(nl);
	if (err)
		log_debug("diag: netns %u: lookups failed (%s), ignoring", ns->ino, strerror(-err));
	*outcome = err ? NETNS_VANISHED : NETNS_POLLED;
	return 0;
}

int diag_poller__lookup(struct diag_poller *p, struct diag_lookup *socks, size_t n,
			diag_socket_fn fn, void *ctx, struct diag_poll_stats *st)
{
	struct dump_ctx d = { .fn = fn, .ctx = ctx, .protocol = p->protocol };
	enum netns_outcome outcome = NETNS_FAILED;
	uint64_t start = now_ns();
	const struct netns_ref *ns;
	struct netns_self self;
	GHashTable *by_ino;
	size_t i, j;
	int err;
	guint k;

	memset(st, 0, sizeof(*st));
	if (!n)
		return 0;
	qsort(socks, n, sizeof(*socks), lookup_by_netns);
	err = netns__self_open(&self);
	if (err)
		return err;
	err = netns__scan(&self, p->proc_root, p->netns_dir, p->found);
	if (err)
		goto out_close_self;
	by_ino = g_hash_table_new(NULL, NULL);
	for (k = 0; k < p->found->len; k++) {
		ns = &g_array_index(p->found, struct netns_ref, k);
		g_hash_table_insert(by_ino, GUINT_TO_POINTER(ns->ino), (void *)ns);
	}
	for (i = 0; i < n && !err; i = j) {
		for (j = i; j < n && socks[j].tuple.netns_ino == socks[i].tuple.netns_ino; j++)
			;
		ns = g_hash_table_lookup(by_ino, GUINT_TO_POINTER(socks[i].tuple.netns_ino));
		if (!ns) {
			st->namespaces_vanished++;
			continue;
		}
		err = diag__lookup_netns(p, ns, &self, socks + i, j - i, &d, &outcome);
		if (!err)
			outcome_count(st, outcome);
	}
	g_hash_table_destroy(by_ino);
out_close_self:
	poll_end(p, &self, &d, start, st);
	return err;
}

int diag_poller__new(struct diag_poller **out, const struct diag_poller_options *o)
{
	struct diag_poller *p;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->proc_root = strdup(o->proc_root ? o->proc_root : "/proc");
	p->netns_dir = strdup(o->netns_dir ? o->netns_dir : "/run/netns");
	p->buf = malloc(DIAG_RECV_BUF_LEN);
	p->found = netns__refs_new();
	if (!p->proc_root || !p->netns_dir || !p->buf) {
		diag_poller__free(p);
		return -ENOMEM;
	}
	p->protocol = o->protocol ? o->protocol : IPPROTO_TCP;
	if (p->protocol != IPPROTO_TCP && p->protocol != IPPROTO_UDP) {
		diag_poller__free(p);
		return -EPROTONOSUPPORT;
	}
	p->states = o->states ? o->states : DIAG_TCP_ALL_STATES & ~(1u << DIAG_TCP_LISTEN);
	/* Request sockets are TCP_NEW_SYN_RECV in the kernel's tables. */
	if (p->states & (1u << DIAG_TCP_SYN_RECV))
		p->states |= 1u << DIAG_TCP_NEW_SYN_RECV;
	*out = p;
	return 0;
}

void diag_poller__free(struct diag_poller *p)
{
	if (!p)
		return;
	if (p->found)
		g_array_free(p->found, TRUE);
	free(p->buf);
	free(p->netns_dir);
	free(p->proc_root);
	free(p);
}
