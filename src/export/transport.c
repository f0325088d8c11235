// SPDX-License-Identifier: GPL-2.0-only
/* Non-blocking UDP and TCP sockets to an IPFIX collector, with TCP reconnect and back-off. */

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "export/transport.h"

enum transport_state {
	TRANSPORT_DOWN,		/* no socket; connect at retry_at_ms */
	TRANSPORT_CONNECTING,	/* non-blocking connect in progress */
	TRANSPORT_UP,
};

/* One queued message: its length and the data records it carries. */
struct transport_msg {
	uint32_t len;
	uint32_t records;
};

/*
 * The socket and, for TCP, the encoded stream not yet written: bytes
 * [out_off, out_len) of out, made of the messages msgs[msg_head ...
 * msg_head + msg_count) (a ring), the first of which has head_done bytes
 * written already. A connection lost mid-message drops the rest: the next
 * connection starts a new IPFIX transport session with whole messages.
 */
struct transport {
	enum collector_transport kind;
	enum transport_state state;
	int fd;
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
	size_t head_done;

	struct transport_stats st;
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

int transport__new(struct transport **out, enum collector_transport kind, const char *host,
		   const char *port, char *msg, size_t msg_len)
{
	struct addrinfo hints = { 0 };
	struct transport *t;
	struct addrinfo *ai;
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

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = kind == COLLECTOR_UDP ? SOCK_DGRAM : SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &t->addrs);
	if (rc) {
		err = gai_to_errno(rc);
		snprintf(msg, msg_len, "resolve %s port %s: %s", host, port, gai_strerror(rc));
		goto err_free_transport;
	}
	for (ai = t->addrs; ai; ai = ai->ai_next)
		t->n_addrs++;
	t->addr = t->addrs;

	if (kind == COLLECTOR_TCP)
		goto done;

	/* UDP: connect() only sets the peer; it does not block. First usable address wins. */
	err = -EADDRNOTAVAIL;
	for (ai = t->addrs; ai; ai = ai->ai_next) {
		t->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			       ai->ai_protocol);
		if (t->fd < 0) {
			err = -errno;
			continue;
		}
		if (connect(t->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = -errno;
		close(t->fd);
		t->fd = -1;
	}
	if (t->fd < 0) {
		snprintf(msg, msg_len, "udp socket to %s port %s: %s", host, port, strerror(-err));
		goto err_free_addrs;
	}
	t->addr = ai;
	t->state = TRANSPORT_UP;
done:
	*out = t;
	return 0;

err_free_addrs:
	freeaddrinfo(t->addrs);
err_free_transport:
	free(t);
	return err;
}

/* Drop every queued message, counting its records lost. */
static void drop_queue(struct transport *t)
{
	while (t->msg_count) {
		t->st.records_lost += t->msgs[t->msg_head].records;
		t->msg_head = (t->msg_head + 1) % t->msg_cap;
		t->msg_count--;
	}
	t->msg_head = 0;
	t->head_done = 0;
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

/* TCP: close the socket; the back-off is scheduled by the next transport__poll(). */
static void drop_connection(struct transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->state = TRANSPORT_DOWN;
	t->retry_unscheduled = 1;
	drop_queue(t);
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
	drop_connection(t);
}

int transport__poll(struct transport *t, uint64_t now_ms)
{
	int up = 0;

	if (t->kind != COLLECTOR_TCP)
		return 0;
	if (t->state == TRANSPORT_UP)
		check_peer(t);
	if (t->retry_unscheduled) {
		t->retry_unscheduled = 0;
		schedule_retry(t, now_ms);
	}
	if (t->state == TRANSPORT_DOWN && now_ms >= t->retry_at_ms)
		up = start_connect(t, now_ms);
	else if (t->state == TRANSPORT_CONNECTING)
		up = finish_connect(t, now_ms);
	if (up) {
		t->tried = 0;
		t->backoff_ms = TRANSPORT_BACKOFF_MIN_MS;
		t->st.reconnects++;
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

/* Account for @n bytes written from the head of the queue. */
static void consume(struct transport *t, size_t n)
{
	struct transport_msg *m;
	size_t rest;

	t->out_off += n;
	while (n && t->msg_count) {
		m = &t->msgs[t->msg_head];
		rest = m->len - t->head_done;
		if (n < rest) {
			t->head_done += n;
			break;
		}
		n -= rest;
		t->head_done = 0;
		t->st.messages_sent++;
		t->st.records_sent += m->records;
		t->msg_head = (t->msg_head + 1) % t->msg_cap;
		t->msg_count--;
	}
	if (t->out_off == t->out_len) {
		t->out_off = 0;
		t->out_len = 0;
		t->msg_head = 0;
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
			return 0;
		err = n < 0 ? -errno : -EPIPE;
		t->st.send_errors++;
		drop_connection(t);
		return err;
	}
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
	bool refused = t->refused;

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
	t->msgs[(t->msg_head + t->msg_count) % t->msg_cap] =
		(struct transport_msg){ .len = len, .records = records };
	t->msg_count++;
	return transport__write(t);
}

size_t transport__pending(const struct transport *t)
{
	return t->out_len - t->out_off;
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
		drop_connection(t);
}

void transport__stats(const struct transport *t, struct transport_stats *st)
{
	*st = t->st;
}

void transport__free(struct transport *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->addrs)
		freeaddrinfo(t->addrs);
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
