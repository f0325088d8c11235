// SPDX-License-Identifier: GPL-2.0-only
/* Conntrack source: NAT'd TCP/UDP connections from conntrack NEW events in every netns. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/filter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <glib.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "clock.h"
#include "log.h"
#include "source/conntrack.h"
#include "source/netns.h"

#define NSEC_PER_SEC 1000000000ull
/* A namespace's table is dumped at most this often, however often it overruns. */
#define CT_RESYNC_INTERVAL_NS NSEC_PER_SEC
/* Used when the caller leaves rcvbuf_bytes at 0. */
#define CT_DEFAULT_RCVBUF (4u * 1024 * 1024)
/* Event messages per recvmmsg() call, and room for each (a NEW event takes ~300 bytes). */
#define CT_BATCH 32
#define CT_MSG_BYTES 4096

/* Where one recvmmsg() call puts its messages. */
struct ct_batch {
	struct mmsghdr msgs[CT_BATCH];
	struct iovec iov[CT_BATCH];
	uint8_t buf[CT_BATCH][CT_MSG_BYTES];
};

/*
 * One subscribed namespace. Both handles were created inside it and keep
 * it alive until closed: a namespace the scan no longer finds is closed.
 */
struct ct_netns {
	struct ct_source *src;
	uint32_t ino;
	uint32_t generation;		/* the last rescan that found it */
	struct nfct_handle *events;	/* NEW events, non-blocking */
	struct nfct_handle *query;	/* blocking, for table dumps after an overrun */
	bool resync_pending;		/* overran since its last dump */
	bool initial_pending;		/* just subscribed: its table not read yet */
	bool initial_dump;		/* the dump running is that first read */
	uint64_t last_resync_ns;	/* CLOCK_MONOTONIC; 0: never */
};

struct ct_source {
	char *proc_root;
	char *netns_dir;
	uint32_t rcvbuf_bytes;
	ct_nat_fn on_nat;
	void *ctx;
	GHashTable *by_ino;		/* GUINT_TO_POINTER(ino) -> struct ct_netns */
	GArray *found;			/* struct netns_ref, scratch of one rescan */
	uint32_t generation;
	int own_err;			/* the own namespace's subscription at the last rescan */
	struct ct_batch *batch;		/* scratch of one event read */
	struct ct_source_stats st;
};

/* One direction of @ct; IPv4 addresses go to the first 4 bytes of the zeroed arrays. */
static void ct__tuple(const struct nf_conntrack *ct, uint8_t family, bool reply,
		      struct ct_tuple *t)
{
	const void *a;
	uint32_t v4;

	if (family == AF_INET) {
		v4 = nfct_get_attr_u32(ct, reply ? ATTR_REPL_IPV4_SRC : ATTR_IPV4_SRC);
		memcpy(t->src, &v4, 4);
		v4 = nfct_get_attr_u32(ct, reply ? ATTR_REPL_IPV4_DST : ATTR_IPV4_DST);
		memcpy(t->dst, &v4, 4);
	} else {
		a = nfct_get_attr(ct, reply ? ATTR_REPL_IPV6_SRC : ATTR_IPV6_SRC);
		if (a)
			memcpy(t->src, a, 16);
		a = nfct_get_attr(ct, reply ? ATTR_REPL_IPV6_DST : ATTR_IPV6_DST);
		if (a)
			memcpy(t->dst, a, 16);
	}
	t->sport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_SRC : ATTR_PORT_SRC));
	t->dport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_DST : ATTR_PORT_DST));
}

/*
 * Hand @ct to on_nat if it is a translated TCP or UDP connection; returns
 * whether it was. NEW events are sent when the entry is confirmed, after
 * the last NAT hook (POSTROUTING or LOCAL_IN) ran, so their status already
 * holds both NAT bits.
 */
static bool ct__emit(struct ct_source *s, uint32_t netns_ino, const struct nf_conntrack *ct)
{
	struct ct_nat n;
	uint32_t status;
	uint8_t family, proto;

	if (!nfct_attr_is_set(ct, ATTR_STATUS))
		return false;
	status = nfct_get_attr_u32(ct, ATTR_STATUS);
	if (!(status & (IPS_SRC_NAT | IPS_DST_NAT)))
		return false;
	family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	if ((family != AF_INET && family != AF_INET6) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return false;
	memset(&n, 0, sizeof(n));
	n.family = family;
	n.protocol = proto;
	n.nat = (status & IPS_SRC_NAT ? CT_NAT_SRC : 0) | (status & IPS_DST_NAT ? CT_NAT_DST : 0);
	n.netns_ino = netns_ino;
	ct__tuple(ct, family, false, &n.orig);
	ct__tuple(ct, family, true, &n.reply);
	s->on_nat(s->ctx, &n);
	return true;
}

static int ct__on_event(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_netns *ns = data;

	(void)type;
	ns->src->st.events++;
	if (ct__emit(ns->src, ns->ino, ct))
		ns->src->st.nat_events++;
	return NFCT_CB_CONTINUE;
}

static int ct__on_dump(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_netns *ns = data;

	(void)type;
	if (!ct__emit(ns->src, ns->ino, ct))
		return NFCT_CB_CONTINUE;
	if (ns->initial_dump)
		ns->src->st.initial_entries++;
	else
		ns->src->st.resync_entries++;
	return NFCT_CB_CONTINUE;
}

static void ct_netns__free(void *data)
{
	struct ct_netns *ns = data;

	if (!ns)
		return;
	if (ns->events)
		nfct_close(ns->events);
	if (ns->query)
		nfct_close(ns->query);
	free(ns);
}

/*
 * The event socket: non-blocking, close-on-exec (libnfnetlink opens it
 * without), and a receive queue big enough for a burst of NEW events
 * between two drains. SO_RCVBUFFORCE needs CAP_NET_ADMIN, else
 * net.core.rmem_max caps SO_RCVBUF. NETLINK_NO_ENOBUFS stays off on
 * purpose: ENOBUFS is how we learn that events were lost and a dump is due.
 */
static int ct__setup_events_fd(int fd, uint32_t rcvbuf_bytes)
{
	int size = rcvbuf_bytes > INT32_MAX / 2 ? INT32_MAX / 2 : (int)rcvbuf_bytes;
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC))
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
		return -errno;
	return 0;
}

/* From the kernel's uapi, kept here: libnetfilter_conntrack has its own copies. */
#define CT_NLMSG_ATTRS 20	/* nlmsghdr (16) + nfgenmsg (4): where attributes start */
#define CT_ATTR_STATUS 3	/* CTA_STATUS, a big-endian u32 */
#define CT_STATUS_NAT 0x30	/* IPS_SRC_NAT | IPS_DST_NAT */

/*
 * Only translated connections matter, and on a busy host most are not:
 * drop the others in the kernel, before they are queued for us (no wake-up,
 * no parsing, no buffer space, fewer overruns). The kernel's own netlink
 * attribute search (SKF_AD_NLATTR) finds CTA_STATUS; a message without one
 * is kept.
 */
static int ct__filter_untranslated(int fd)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_IMM, CT_NLMSG_ATTRS),
		BPF_STMT(BPF_LDX | BPF_IMM, CT_ATTR_STATUS),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_NLATTR),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, 0),		/* no status: keep */
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 4),			/* the attribute's value */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, CT_STATUS_NAT),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),				/* not translated */
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		return -errno;
	return 0;
}

/*
 * Open both handles of @ns; the caller has moved the thread into it, as a
 * netlink socket belongs to the namespace it was created in.
 */
static int ct_netns__open_here(struct ct_netns *ns, uint32_t rcvbuf_bytes)
{
	int err;

	ns->events = nfct_open(CONNTRACK, NF_NETLINK_CONNTRACK_NEW);
	if (!ns->events)
		return errno ? -errno : -EIO;
	ns->query = nfct_open(CONNTRACK, 0);
	if (!ns->query)
		return errno ? -errno : -EIO;
	if (fcntl(nfct_fd(ns->query), F_SETFD, FD_CLOEXEC))
		return -errno;
	err = ct__setup_events_fd(nfct_fd(ns->events), rcvbuf_bytes);
	if (!err)
		err = ct__filter_untranslated(nfct_fd(ns->events));
	if (err)
		return err;
	if (nfct_callback_register(ns->query, NFCT_T_ALL, ct__on_dump, ns))
		return -ENOMEM;
	return 0;
}

/*
 * Subscribe in @ref: enter, open, return. -ENOENT and -ESTALE mean the
 * namespace went away since the scan; -ENOTRECOVERABLE that the thread is
 * stuck in it.
 */
static int ct_source__subscribe(struct ct_source *s, const struct netns_self *self,
				const struct netns_ref *ref)
{
	struct ct_netns *ns;
	int err;

	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->src = s;
	ns->ino = ref->ino;
	ns->generation = s->generation;
	err = netns__enter(self, ref);
	if (err) {
		free(ns);
		return err;
	}
	err = ct_netns__open_here(ns, s->rcvbuf_bytes);
	if (netns__return(self, ref)) {
		ct_netns__free(ns);
		return -ENOTRECOVERABLE;
	}
	if (err) {
		ct_netns__free(ns);
		return err;
	}
	/* Connections translated before we listened: read the table once, at the next drain. */
	ns->initial_pending = true;
	g_hash_table_insert(s->by_ino, GUINT_TO_POINTER(ns->ino), ns);
	return 0;
}

static gboolean ct_netns__is_gone(void *key, void *value, void *data)
{
	struct ct_netns *ns = value;
	const uint32_t *generation = data;

	(void)key;
	return ns->generation != *generation;
}

int ct_source__rescan(struct ct_source *s)
{
	const struct netns_ref *ref;
	struct netns_self self;
	struct ct_netns *ns;
	uint32_t failed = 0;
	int err;
	guint i;

	err = netns__self_open(&self);
	if (err)
		return err;
	err = netns__scan(&self, s->proc_root, s->netns_dir, s->found);
	if (err)
		goto out_close_self;
	s->generation++;
	for (i = 0; i < s->found->len; i++) {
		ref = &g_array_index(s->found, struct netns_ref, i);
		ns = g_hash_table_lookup(s->by_ino, GUINT_TO_POINTER(ref->ino));
		if (ns) {
			ns->generation = s->generation;
			continue;
		}
		err = ct_source__subscribe(s, &self, ref);
		if (!ref->path)
			s->own_err = err;
		if (err == -ENOTRECOVERABLE)
			goto out_close_self;
		if (err) {
			log_debug("conntrack: netns %u (%s): cannot subscribe: %s, ignoring",
				  ref->ino, ref->path ? ref->path : "own", strerror(-err));
			if (err != -ENOENT && err != -ESTALE)
				failed++;
		}
	}
	err = 0;
	g_hash_table_foreach_remove(s->by_ino, ct_netns__is_gone, &s->generation);
	s->st.namespaces_failed = failed;
out_close_self:
	netns__self_close(&self);
	/* No path may keep a namespace from being freed until the next scan. */
	g_array_set_size(s->found, 0);
	s->st.namespaces = g_hash_table_size(s->by_ino);
	return err;
}

/* Every translated entry of @ns's table to on_nat. */
static int ct_netns__dump(struct ct_netns *ns)
{
	/* AF_UNSPEC: ctnetlink dumps every family in one walk. */
	uint32_t family = AF_UNSPEC;

	return nfct_query(ns->query, NFCT_Q_DUMP, &family) ? -errno : 0;
}

/* The connections translated before @ns was subscribed. */
static void ct_netns__read_initial(struct ct_netns *ns)
{
	int err;

	ns->initial_pending = false;
	ns->initial_dump = true;
	err = ct_netns__dump(ns);
	if (err)
		log_debug("conntrack: netns %u: first table read failed: %s", ns->ino,
			  strerror(-err));
	ns->initial_dump = false;
}

/* What events an overrun lost, from the table. */
static void ct_netns__resync(struct ct_netns *ns, uint64_t now)
{
	int err;

	ns->last_resync_ns = now;
	ns->src->st.resyncs++;
	err = ct_netns__dump(ns);
	if (err) {
		ns->src->st.resync_failed++;
		log_debug("conntrack: netns %u: table dump failed: %s, retrying", ns->ino,
			  strerror(-err));
		return;
	}
	ns->resync_pending = false;
}

/* The scratch of event reads: each message slot points at its own buffer, once. */
static struct ct_batch *ct_batch__new(void)
{
	struct ct_batch *b = calloc(1, sizeof(*b));
	int i;

	for (i = 0; b && i < CT_BATCH; i++) {
		b->iov[i] = (struct iovec){ b->buf[i], CT_MSG_BYTES };
		b->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &b->iov[i], .msg_iovlen = 1 };
	}
	return b;
}

/* The conntrack messages in one datagram of @ns's event socket, each handed on. */
static void ct_netns__parse(struct ct_netns *ns, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	struct nf_conntrack *ct;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_type != (NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW))
			continue;
		ct = nfct_new();
		if (!ct)
			return;
		if (nfct_nlmsg_parse(nlh, ct) == 0)
			ct__on_event(NFCT_T_NEW, ct, ns);
		nfct_destroy(ct);
	}
}

/*
 * Up to CT_BATCH queued events of @ns in one system call: in a storm of
 * translated connections, one call per event was most of what sockflow
 * spent on them. Returns the datagrams read, or -errno: EAGAIN when the
 * queue is empty, ENOBUFS (once) when the kernel dropped events for lack
 * of room.
 */
static int ct_netns__read(struct ct_netns *ns)
{
	struct ct_batch *b = ns->src->batch;
	int n, i;

	n = recvmmsg(nfct_fd(ns->events), b->msgs, CT_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		if (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			log_debug("conntrack: netns %u: an event longer than %d bytes skipped",
				  ns->ino, CT_MSG_BYTES);
		else
			ct_netns__parse(ns, b->buf[i], b->msgs[i].msg_len);
	}
	return n;
}

/* Read @ns's event queue empty; after an overrun (ENOBUFS) reading goes on. */
static void ct_netns__drain(struct ct_netns *ns, uint64_t now)
{
	int n;

	for (;;) {
		n = ct_netns__read(ns);
		if (n == CT_BATCH)
			continue;
		if (n >= 0)
			break;	/* a short batch: the queue is empty */
		if (n == -ENOBUFS) {
			ns->src->st.overruns++;
			ns->resync_pending = true;
			continue;
		}
		if (n != -EAGAIN && n != -EWOULDBLOCK)
			log_debug("conntrack: netns %u: reading events: %s", ns->ino,
				  strerror(-n));
		break;
	}
	if (ns->initial_pending)
		ct_netns__read_initial(ns);
	if (ns->resync_pending &&
	    (!ns->last_resync_ns || now - ns->last_resync_ns >= CT_RESYNC_INTERVAL_NS))
		ct_netns__resync(ns, now);
}

int ct_source__drain(struct ct_source *s)
{
	uint64_t before = s->st.events, now = now_ns();
	GHashTableIter it;
	void *value;

	g_hash_table_iter_init(&it, s->by_ino);
	while (g_hash_table_iter_next(&it, NULL, &value))
		ct_netns__drain(value, now);
	return (int)MIN(s->st.events - before, (uint64_t)INT32_MAX);
}

void ct_source__stats(const struct ct_source *s, struct ct_source_stats *st)
{
	*st = s->st;
}

int ct_source__new(struct ct_source **out, const struct ct_source_options *o, char *msg,
		   size_t msg_len)
{
	struct ct_source *s;
	int err;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->proc_root = strdup(o->proc_root ? o->proc_root : "/proc");
	s->netns_dir = strdup(o->netns_dir ? o->netns_dir : "/run/netns");
	s->rcvbuf_bytes = o->rcvbuf_bytes ? o->rcvbuf_bytes : CT_DEFAULT_RCVBUF;
	s->on_nat = o->on_nat;
	s->ctx = o->ctx;
	s->by_ino = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, ct_netns__free);
	s->found = netns__refs_new();
	s->batch = ct_batch__new();
	if (!s->proc_root || !s->netns_dir || !s->batch) {
		snprintf(msg, msg_len, "conntrack: out of memory");
		err = -ENOMEM;
		goto err_free;
	}
	err = ct_source__rescan(s);
	if (err) {
		snprintf(msg, msg_len, "conntrack: cannot scan network namespaces under %s: %s",
			 s->proc_root, strerror(-err));
		goto err_free;
	}
	/* Other namespaces can fail alone; if the own one does, none will work. */
	if (s->own_err) {
		err = s->own_err;
		snprintf(msg, msg_len,
			 "conntrack: cannot subscribe to conntrack events: %s; run as root "
			 "(CAP_NET_ADMIN)", strerror(-err));
		goto err_free;
	}
	*out = s;
	return 0;

err_free:
	ct_source__free(s);
	return err;
}

void ct_source__free(struct ct_source *s)
{
	if (!s)
		return;
	if (s->by_ino)
		g_hash_table_destroy(s->by_ino);
	if (s->found)
		g_array_free(s->found, TRUE);
	free(s->batch);
	free(s->netns_dir);
	free(s->proc_root);
	free(s);
}
