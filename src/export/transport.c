// SPDX-License-Identifier: GPL-2.0-only
/* Non-blocking UDP and TCP sockets to an IPFIX collector, with TCP reconnect and back-off. */

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "export/resolve.h"
#include "export/transport.h"

enum transport_state {
	TRANSPORT_DOWN,		/* no socket; connect at retry_at_ms */
	TRANSPORT_CONNECTING,	/* non-blocking connect in progress */
	TRANSPORT_UP,
};

/* One TCP message: where it ends in the connection's byte stream, and its data records. */
struct transport_msg {
	uint64_t end;
	uint32_t records;
};

/*
 * The socket and, for TCP, the messages of the current connection not yet
 * acknowledged by the collector's kernel, in msgs[msg_head ... msg_head +
 * msg_count) (a ring). The first n_acked of them are acknowledged already
 * and counted sent: they are kept while they lie within 2 x peer_wnd_max
 * bytes of the acknowledged end, as a reset may reveal them unread (see
 * drop_messages()). Of the stream, bytes [0, written) went to the
 * socket, [0, acked) were acknowledged; the bytes [out_off, out_len) of
 * out are the ones not yet written. A connection lost drops every message
 * not acknowledged, partly written ones too: the next connection starts a
 * new IPFIX transport session with whole messages, and nothing reaches
 * the collector twice.
 */
struct transport {
	enum collector_transport kind;
	enum transport_state state;
	int fd;
	char *host, *port;		/* a host name, looked up again before each connection */
	struct resolve *resolving;	/* that lookup, while it runs */
	bool stale;			/* the addresses are to be looked up again first */
	struct addrinfo *addrs;		/* from getaddrinfo(), tried in turn */
	struct addrinfo *addr;		/* the one in use or to try next */
	int n_addrs;
	int tried;			/* addresses failed in this round */
	uint64_t retry_at_ms;
	int retry_unscheduled;		/* lost outside poll: schedule on the next poll */
	uint32_t backoff_ms;
	uint64_t connect_start_ms;
	bool refused;			/* UDP: a datagram was refused since the last take */

	uint8_t *out;
	size_t out_off, out_len, out_cap;
	struct transport_msg *msgs;
	size_t msg_head, msg_count, msg_cap;
	size_t n_acked;
	uint64_t queued, written, acked;	/* stream offsets on this connection */
	uint32_t peer_wnd_max;		/* the largest receive window the collector offered */

	struct transport_stats st;
	struct export_drop drop;	/* what lost connections took, since the last take */
};

static int gai_to_errno(int rc)
{
	switch (rc) {
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_NONAME:
	case EAI_NODATA:
		return -ENOENT;
	default:
		return -EINVAL;
	}
}

/* UDP: a socket connected to the first usable address. Returns 0 or -errno. */
static int udp_open(struct transport *t)
{
	struct addrinfo *ai;
	int err = -EADDRNOTAVAIL;

	/* connect() only sets the peer; it does not block. */
	for (ai = t->addrs; ai; ai = ai->ai_next) {
		t->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			       ai->ai_protocol);
		if (t->fd < 0) {
			err = -errno;
			continue;
		}
		if (connect(t->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			t->addr = ai;
			t->state = TRANSPORT_UP;
			return 0;
		}
		err = -errno;
		close(t->fd);
		t->fd = -1;
	}
	return err;
}

/* Take @addrs (may be NULL) as the addresses to use from now on. */
static void set_addrs(struct transport *t, struct addrinfo *addrs)
{
	struct addrinfo *ai;

	if (t->addrs)
		freeaddrinfo(t->addrs);
	t->addrs = addrs;
	t->addr = addrs;
	t->n_addrs = 0;
	t->tried = 0;
	for (ai = addrs; ai; ai = ai->ai_next)
		t->n_addrs++;
}

int transport__new(struct transport **out, enum collector_transport kind, const char *host,
		   const char *port, char *msg, size_t msg_len)
{
	struct addrinfo hints = { 0 }, *addrs;
	struct transport *t;
	int rc, err;

	*out = NULL;
	if (kind != COLLECTOR_UDP && kind != COLLECTOR_TCP) {
		snprintf(msg, msg_len, "transport: not a socket transport");
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(msg, msg_len, "transport: out of memory");
		return -ENOMEM;
	}
	t->kind = kind;
	t->fd = -1;
	t->state = TRANSPORT_DOWN;
	t->backoff_ms = TRANSPORT_BACKOFF_MIN_MS;

	/*
	 * An address is used as it is. A name is looked up in the background
	 * (transport__poll()): DNS may be down, at boot say, and the records
	 * meanwhile are lost (UDP) or wait in the sink's queue (TCP).
	 */
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = kind == COLLECTOR_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(host, port, &hints, &addrs);
	if (rc == EAI_NONAME) {
		t->host = strdup(host);
		t->port = strdup(port);
		if (!t->host || !t->port) {
			snprintf(msg, msg_len, "transport: out of memory");
			err = -ENOMEM;
			goto err_free_transport;
		}
		t->stale = true;
		/* Started now, its answer is likely in by the first record; NULL: poll retries. */
		t->resolving = resolve__start(host, port, hints.ai_socktype);
		goto done;
	}
	if (rc) {
		err = gai_to_errno(rc);
		snprintf(msg, msg_len, "resolve %s port %s: %s", host, port, gai_strerror(rc));
		goto err_free_transport;
	}
	set_addrs(t, addrs);
	if (kind == COLLECTOR_TCP)
		goto done;
	err = udp_open(t);
	if (err) {
		snprintf(msg, msg_len, "udp socket to %s port %s: %s", host, port, strerror(-err));
		goto err_free_transport;
	}
done:
	*out = t;
	return 0;

err_free_transport:
	transport__free(t);
	return err;
}

static struct transport_msg *msg_at(struct transport *t, size_t i)
{
	return &t->msgs[(t->msg_head + i) % t->msg_cap];
}

/* Bytes back from the acknowledged end that a collector's kernel may hold unread. */
static uint64_t unread_bound(const struct transport *t)
{
	return 2 * (uint64_t)t->peer_wnd_max;
}

/* Count the messages the collector's kernel acknowledged whole as sent; forget old ones. */
static void mark_acked(struct transport *t)
{
	struct transport_msg *m;

	while (t->n_acked < t->msg_count) {
		m = msg_at(t, t->n_acked);
		if (m->end > t->acked)
			break;
		t->st.messages_sent++;
		t->st.records_sent += m->records;
		t->n_acked++;
	}
	while (t->n_acked && msg_at(t, 0)->end + unread_bound(t) <= t->acked) {
		t->msg_head = (t->msg_head + 1) % t->msg_cap;
		t->msg_count--;
		t->n_acked--;
	}
}

/*
 * TCP: read how far the collector's kernel acknowledged the stream, and
 * the largest window it offered. Read from connect on: a stalling
 * collector's window only shrinks after that.
 */
static void read_acks(struct transport *t)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	uint64_t acked;

	memset(&ti, 0, sizeof(ti));
	if (t->fd < 0 || getsockopt(t->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return;
	if (len >= offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof(ti.tcpi_snd_wnd) &&
	    ti.tcpi_snd_wnd > t->peer_wnd_max)
		t->peer_wnd_max = ti.tcpi_snd_wnd;
	/* The SYN counts one byte; so would a FIN, which is why acked stops at written. */
	if (len >= offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked))
		acked = ti.tcpi_bytes_acked ? ti.tcpi_bytes_acked - 1 : 0;
	else
		acked = t->written;	/* before Linux 4.2: no better than written */
	if (acked > t->written)
		acked = t->written;
	if (acked > t->acked)
		t->acked = acked;
	mark_acked(t);
}

/*
 * TCP: the connection died (@err: 0 for EOF, else -errno): what was not
 * acknowledged is lost. On a reset, the collector's process may have left
 * acknowledged data unread (a reader that dies with unread data makes its
 * kernel reset the connection), which the exporter cannot see. It can be
 * no more than what the collector's kernel accepted beyond what its
 * process had read: at most one window received before the last read and
 * one offered after it, so the records acknowledged within the last 2 x
 * the largest window are counted unconfirmed. A reasoned bound, not a
 * proven one: tests/integration/tcp_stall.sh measures it against Recv-Q.
 */
static void drop_messages(struct transport *t, int err)
{
	uint64_t lost = 0, unconfirmed = 0;
	struct transport_msg *m;
	size_t i;

	read_acks(t);
	for (i = 0; i < t->msg_count; i++) {
		m = msg_at(t, i);
		if (i >= t->n_acked)
			lost += m->records;
		else if (err == -ECONNRESET && m->end + unread_bound(t) > t->acked)
			unconfirmed += m->records;
	}
	t->st.records_lost += lost;
	t->st.records_unconfirmed += unconfirmed;
	t->drop.connections++;
	t->drop.records_lost += lost;
	t->drop.records_unconfirmed += unconfirmed;
	t->drop.unread_bound_bytes = unread_bound(t);
	t->drop.err = err;
	t->msg_head = 0;
	t->msg_count = 0;
	t->n_acked = 0;
	t->queued = t->written = t->acked = 0;
	t->peer_wnd_max = 0;
	t->out_off = 0;
	t->out_len = 0;
}

static void schedule_retry(struct transport *t, uint64_t now_ms)
{
	t->retry_at_ms = now_ms + t->backoff_ms;
	t->backoff_ms *= 2;
	if (t->backoff_ms > TRANSPORT_BACKOFF_MAX_MS)
		t->backoff_ms = TRANSPORT_BACKOFF_MAX_MS;
}

/*
 * TCP: the connection died (@err as drop_messages()): close the socket; the
 * back-off is scheduled by the next transport__poll().
 */
static void drop_connection(struct transport *t, int err)
{
	drop_messages(t, err);
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->state = TRANSPORT_DOWN;
	t->retry_unscheduled = 1;
}

static void next_addr(struct transport *t)
{
	t->addr = t->addr && t->addr->ai_next ? t->addr->ai_next : t->addrs;
}

/* Best effort: a dead peer breaks the connection after TRANSPORT_USER_TIMEOUT_MS. */
static void set_tcp_options(int fd)
{
	unsigned int user_timeout_ms = TRANSPORT_USER_TIMEOUT_MS;
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof(user_timeout_ms));
}

/*
 * Start connecting to t->addr, moving on to the next address at once when
 * one fails at once. Returns 1 if connected already, 0 if in progress or
 * if every address failed (then the back-off is scheduled).
 */
static int start_connect(struct transport *t, uint64_t now_ms)
{
	struct addrinfo *ai;

	for (; t->tried < t->n_addrs; t->tried++, next_addr(t)) {
		ai = t->addr;
		t->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			       ai->ai_protocol);
		if (t->fd < 0)
			continue;
		set_tcp_options(t->fd);
		if (connect(t->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			t->state = TRANSPORT_UP;
			return 1;
		}
		if (errno == EINPROGRESS) {
			t->state = TRANSPORT_CONNECTING;
			t->connect_start_ms = now_ms;
			return 0;
		}
		close(t->fd);
		t->fd = -1;
	}
	t->tried = 0;
	next_addr(t);
	schedule_retry(t, now_ms);
	t->stale = t->host != NULL;
	return 0;
}

/* A connect in progress: 1 if it completed, 0 if still pending; on failure try the next address. */
static int finish_connect(struct transport *t, uint64_t now_ms)
{
	struct pollfd pfd = { .fd = t->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (poll(&pfd, 1, 0) == 0) {
		if (now_ms - t->connect_start_ms < TRANSPORT_CONNECT_TIMEOUT_MS)
			return 0;
		soerr = ETIMEDOUT;
	} else if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
		soerr = errno;
	}
	if (!soerr) {
		t->state = TRANSPORT_UP;
		return 1;
	}
	close(t->fd);
	t->fd = -1;
	t->state = TRANSPORT_DOWN;
	t->tried++;
	next_addr(t);
	return start_connect(t, now_ms);
}

/*
 * An IPFIX collector never sends; a readable socket means EOF or an error
 * (collector gone), or bytes we discard.
 */
static void check_peer(struct transport *t)
{
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN | POLLRDHUP };
	uint8_t scratch[512];
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0)
		return;
	for (;;) {
		n = recv(t->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;
	}
	drop_connection(t, n < 0 ? -errno : 0);
}

/*
 * A host name's addresses: start a lookup once the back-off has passed,
 * take its answer when there is one. Returns 1 when fresh addresses have
 * just come, else 0 (a failed lookup is tried again after the back-off).
 */
static int resolve_step(struct transport *t, uint64_t now_ms)
{
	struct addrinfo *addrs;
	int gai_rc;

	if (!t->resolving) {
		if (now_ms < t->retry_at_ms)
			return 0;
		t->resolving = resolve__start(t->host, t->port,
					      t->kind == COLLECTOR_UDP ? SOCK_DGRAM : SOCK_STREAM);
		if (!t->resolving) {
			schedule_retry(t, now_ms);
			return 0;
		}
	}
	if (!resolve__take(t->resolving, &addrs, &gai_rc))
		return 0;
	resolve__free(t->resolving);
	t->resolving = NULL;
	if (gai_rc) {
		schedule_retry(t, now_ms);
		return 0;
	}
	set_addrs(t, addrs);
	t->stale = false;
	return 1;
}

/* UDP: a host name not looked up yet; 1 once the socket is up with its addresses. */
static int udp_poll(struct transport *t, uint64_t now_ms)
{
	if (t->state == TRANSPORT_UP || resolve_step(t, now_ms) != 1)
		return 0;
	if (udp_open(t)) {
		t->stale = true;
		schedule_retry(t, now_ms);
		return 0;
	}
	t->backoff_ms = TRANSPORT_BACKOFF_MIN_MS;
	return 1;
}

int transport__poll(struct transport *t, uint64_t now_ms)
{
	int up = 0;

	if (t->kind != COLLECTOR_TCP)
		return udp_poll(t, now_ms);
	if (t->state == TRANSPORT_UP) {
		read_acks(t);
		check_peer(t);
	}
	if (t->retry_unscheduled) {
		t->retry_unscheduled = 0;
		schedule_retry(t, now_ms);
		/* A name may point elsewhere now: look it up again before reconnecting. */
		t->stale = t->host != NULL;
	}
	if (t->state == TRANSPORT_DOWN && t->stale) {
		if (resolve_step(t, now_ms) == 1)
			up = start_connect(t, now_ms);
	} else if (t->state == TRANSPORT_DOWN && now_ms >= t->retry_at_ms) {
		up = start_connect(t, now_ms);
	} else if (t->state == TRANSPORT_CONNECTING) {
		up = finish_connect(t, now_ms);
	}
	if (up) {
		t->tried = 0;
		t->backoff_ms = TRANSPORT_BACKOFF_MIN_MS;
		t->st.reconnects++;
		/* The window offered while nothing is buffered yet: the largest. */
		read_acks(t);
	}
	return up;
}

int transport__udp_payload_max(const struct transport *t)
{
	socklen_t len = sizeof(int);
	int mtu, v6;

	if (t->kind != COLLECTOR_UDP || t->fd < 0)
		return -ENOTCONN;
	v6 = t->addr->ai_family == AF_INET6;
	if (getsockopt(t->fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &len))
		return -errno;
	return mtu - (v6 ? 40 : 20) - 8;
}

int transport__is_up(const struct transport *t)
{
	return t->state == TRANSPORT_UP;
}

/* Account for @n bytes written from the head of the unwritten bytes. */
static void consume(struct transport *t, size_t n)
{
	t->out_off += n;
	t->written += n;
	if (t->out_off == t->out_len) {
		t->out_off = 0;
		t->out_len = 0;
	}
}

int transport__write(struct transport *t)
{
	ssize_t n;
	int err;

	if (t->kind != COLLECTOR_TCP || t->state != TRANSPORT_UP)
		return 0;
	while (t->out_off < t->out_len) {
		n = send(t->fd, t->out + t->out_off, t->out_len - t->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			consume(t, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		err = n < 0 ? -errno : -EPIPE;
		t->st.send_errors++;
		drop_connection(t, err);
		return err;
	}
	read_acks(t);
	return 0;
}

/* Make room for one more message of @len bytes in the TCP queue. */
static int reserve(struct transport *t, size_t len)
{
	struct transport_msg *msgs;
	size_t cap, i;
	uint8_t *out;

	if (t->out_off && t->out_len + len > t->out_cap) {
		memmove(t->out, t->out + t->out_off, t->out_len - t->out_off);
		t->out_len -= t->out_off;
		t->out_off = 0;
	}
	if (t->out_len + len > t->out_cap) {
		cap = t->out_cap ? t->out_cap : 16384;
		while (cap < t->out_len + len)
			cap *= 2;
		out = realloc(t->out, cap);
		if (!out)
			return -ENOMEM;
		t->out = out;
		t->out_cap = cap;
	}
	if (t->msg_count == t->msg_cap) {
		cap = t->msg_cap ? t->msg_cap * 2 : 64;
		msgs = malloc(cap * sizeof(*msgs));
		if (!msgs)
			return -ENOMEM;
		for (i = 0; i < t->msg_count; i++)
			msgs[i] = t->msgs[(t->msg_head + i) % t->msg_cap];
		free(t->msgs);
		t->msgs = msgs;
		t->msg_cap = cap;
		t->msg_head = 0;
	}
	return 0;
}

bool transport__take_refused(struct transport *t)
{
	/* Down (a host name not resolved yet), nothing reached the collector either. */
	bool refused = t->refused || t->state != TRANSPORT_UP;

	t->refused = false;
	return refused;
}

int transport__send(struct transport *t, const uint8_t *msg, size_t len, uint32_t records)
{
	ssize_t n;
	int err;

	if (t->state != TRANSPORT_UP) {
		t->st.records_lost += records;
		return -ENOTCONN;
	}
	if (t->kind == COLLECTOR_UDP) {
		n = send(t->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		/*
		 * ECONNREFUSED reports an ICMP error for an earlier datagram
		 * (nothing listening) and sent nothing; count it and send
		 * this one anyway, as a collector may come up at any time.
		 */
		if (n < 0 && errno == ECONNREFUSED) {
			t->st.send_errors++;
			t->refused = true;
			n = send(t->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		if (n == (ssize_t)len) {
			t->st.messages_sent++;
			t->st.records_sent += records;
			return 0;
		}
		err = n < 0 ? -errno : -EMSGSIZE;
		t->st.send_errors++;
		t->st.records_lost += records;
		return err;
	}
	err = reserve(t, len);
	if (err) {
		t->st.records_lost += records;
		return err;
	}
	memcpy(t->out + t->out_len, msg, len);
	t->out_len += len;
	t->queued += len;
	t->msg_count++;
	*msg_at(t, t->msg_count - 1) =
		(struct transport_msg){ .end = t->queued, .records = records };
	return transport__write(t);
}

size_t transport__pending(const struct transport *t)
{
	return t->queued - t->acked;
}

void transport__hurry(struct transport *t, uint64_t now_ms)
{
	t->backoff_ms = TRANSPORT_BACKOFF_MIN_MS;
	if (t->state == TRANSPORT_DOWN && t->retry_at_ms > now_ms + TRANSPORT_BACKOFF_MIN_MS)
		t->retry_at_ms = now_ms;
}

void transport__abandon(struct transport *t)
{
	if (t->kind == COLLECTOR_TCP)
		drop_connection(t, 0);
}

void transport__stats(const struct transport *t, struct transport_stats *st)
{
	*st = t->st;
}

bool transport__take_drop(struct transport *t, struct export_drop *drop)
{
	if (!t->drop.connections)
		return false;
	*drop = t->drop;
	t->drop = (struct export_drop){ 0 };
	return true;
}

void transport__free(struct transport *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->addrs)
		freeaddrinfo(t->addrs);
	resolve__free(t->resolving);
	free(t->host);
	free(t->port);
	free(t->out);
	free(t->msgs);
	free(t);
}

/*
 * Messages over UDP fill the datagram the route to the collector carries
 * unfragmented, up to 8 KiB: pmacct's nfacctd reads at most 10,000 bytes.
 * On loopback that is 8 KiB, ~6 times fewer sends than 1,400 bytes. When
 * the route's MTU is not known: 1,400, which fits 1,500 with IPv6.
 */
#define UDP_MSG_MAX 8192
#define UDP_MSG_MIN 512
#define UDP_MSG_UNKNOWN 1400

uint16_t transport__udp_message_max(const struct transport *t, uint32_t want)
{
	int room = want ? (int)want : transport__udp_payload_max(t);

	if (room < 0)
		return UDP_MSG_UNKNOWN;
	if (room > UDP_MSG_MAX)
		return UDP_MSG_MAX;
	return room < UDP_MSG_MIN ? UDP_MSG_MIN : (uint16_t)room;
}
