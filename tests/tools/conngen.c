// SPDX-License-Identifier: GPL-2.0-only
/* conngen: TCP/UDP traffic generator and server for sockflow's tests and benchmarks. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, htobe64 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/tcp.h> /* glibc's struct tcp_info ends before tcpi_segs_out, bytes_acked */
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "conngen"
#include "clock.h"
#include "tool.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/*
 * Wire protocol. Every TCP connection and every UDP datagram from a client starts
 * with this header (all fields big-endian):
 *   magic     "cgn1"
 *   req_len   total bytes the client sends, header included (>= CG_HDR_LEN)
 *   reply_len bytes the server sends back
 * TCP: the server reads req_len bytes, writes reply_len bytes and closes first (so
 * TIME_WAIT lands on the server side, not on the client's ephemeral ports); the
 * client reads to EOF, then closes. A TCP client that sends nothing (req_len 0) just
 * closes; the server closes on EOF.
 * UDP: each datagram is answered with one datagram of reply_len bytes (0: no reply).
 */
#define CG_MAGIC "cgn1"
#define CG_HDR_LEN 16
#define CG_MAX_LIST 64
#define CG_BUF_LEN 65536
#define CG_UDP_MAX 65507
#define CG_IO_TIMEOUT_S 5

struct cg_hdr {
	char magic[4];
	uint32_t req_len_be;
	uint64_t reply_len_be;
};

static unsigned char zero_buf[CG_BUF_LEN];

/* Bytes to move in one read/write call: what is left, at most one buffer. */
static size_t io_len(uint64_t left)
{
	return left < CG_BUF_LEN ? left : CG_BUF_LEN;
}

static void usage(FILE *f)
{
	fputs("usage:\n"
	      "  conngen serve    [--addr A] [--port P] [--v6] [--udp [--ports N]] [--threads T]\n"
	      "  conngen client   --addr A --port P [--count N] [--send S1,S2..] [--recv R1,R2..]\n"
	      "                   [--bind A] [--udp] [--hold SECONDS [--chunk B] [--interval MS]]\n"
	      "                   [--refused] [--tcpinfo]\n"
	      "  conngen storm    --addr A --port P [--src A1[-A2]] [--duration S] [--threads T]\n"
	      "                   [--send S] [--recv R]\n"
	      "  conngen resolver [--addr A] --port P --peers N --rounds K [--send S] [--recv R]\n"
	      "                   [--v6] [--bind A]\n"
	      "  conngen flood    [--addr A] --port P --rate R --duration S [--size B]\n"
	      "                   [--connect] [--v6]\n"
	      "\n"
	      "serve   Listen on A:P (default 127.0.0.1, or ::1 with --v6; port 0 picks a free\n"
	      "        one) with T threads (default: online CPUs), each with its own\n"
	      "        SO_REUSEPORT socket and epoll loop. Prints \"ready ADDR PORT\" on stdout\n"
	      "        once listening. Runs until SIGTERM or SIGINT, then exits 0; with --udp it\n"
	      "        first prints \"received N dgrams B bytes\" on stdout: the datagrams and\n"
	      "        payload bytes read so far (not those still queued in the sockets).\n"
	      "        --ports N     with --udp and --port P (not 0): serve the N ports P..P+N-1,\n"
	      "                      one socket per port, all in one thread (no --threads)\n"
	      "client  N sequential connections (default 1). Connection i writes S[i] bytes\n"
	      "        (the 16-byte request header included, so S is 0 or >= 16) and reads\n"
	      "        R[i] bytes; the lists cycle. S 0 means connect and close at once.\n"
	      "        Prints one line per connection on stdout: \"LOCAL_PORT SENT RECV\",\n"
	      "        where SENT and RECV are application bytes, as tshark's tcp.len sums.\n"
	      "        --bind A      source address (port chosen by the kernel)\n"
	      "        --udp         one connected UDP socket per \"connection\": one datagram\n"
	      "                      of S bytes out, one of R bytes back\n"
	      "        --hold S      keep each connection open S seconds, trickling --chunk\n"
	      "                      bytes (default 1024) every --interval ms (default 100),\n"
	      "                      chunks = S * 1000 / interval. TCP: SENT is 16 + chunks *\n"
	      "                      chunk, --send is not used. UDP: chunks datagrams of chunk\n"
	      "                      bytes, then the S-byte request. Prints \"open LOCAL_PORT\"\n"
	      "                      on stdout once connected.\n"
	      "        --refused     expect ECONNREFUSED (no listener on P); the socket is\n"
	      "                      bound first so LOCAL_PORT is known; prints \"PORT 0 0\"\n"
	      "        --tcpinfo     TCP: just before closing each connection, print the\n"
	      "                      kernel's TCP_INFO for it (before its \"LOCAL_PORT SENT\n"
	      "                      RECV\" line): \"tcpinfo total_retrans=N retrans=N lost=N\n"
	      "                      rtt_us=N rttvar_us=N segs_out=N bytes_acked=N\n"
	      "                      local_port=N\"\n"
	      "        Exit 1 if a connection fails or a size differs from the request.\n"
	      "storm   Short TCP connections as fast as possible for S seconds (default 10)\n"
	      "        from T threads (default 2 x CPUs): connect, write S (default 64),\n"
	      "        read R (default 64), close. Source addresses cycle over the IPv4\n"
	      "        range A1-A2 (default 127.1.0.1-127.1.0.254), ports chosen at connect\n"
	      "        time (IP_BIND_ADDRESS_NO_PORT). Prints one line:\n"
	      "        \"storm connections=N failed=F duration_s=D rate_per_s=R\".\n"
	      "        Exit 1 if no connection succeeded.\n"
	      "resolver\n"
	      "        One unconnected UDP socket (bound to --bind A if given, port chosen\n"
	      "        by the kernel) talks to the N peers A:P..A:P+N-1 (A defaults to\n"
	      "        127.0.0.1, or ::1 with --v6), like a DNS resolver: K rounds, each\n"
	      "        sending one datagram of S bytes (default 64, header included) to every\n"
	      "        peer in turn with sendto and waiting for its R-byte reply (default 128;\n"
	      "        0: no reply) with recvfrom. Prints one line per peer on stdout,\n"
	      "        \"peer ADDR PORT SENT_DGRAMS SENT_BYTES RECV_DGRAMS RECV_BYTES\" (payload\n"
	      "        bytes), then \"local LOCAL_PORT\". Exit 1 if a reply does not come within\n"
	      "        5 s or is not R bytes from the peer asked. Server: serve --udp --ports N.\n"
	      "flood   One UDP socket sends datagrams of B bytes (default 64, header included,\n"
	      "        no reply asked) to A:P (A as for resolver) at R datagrams/s for S\n"
	      "        seconds, paced in batches of about 1 ms against CLOCK_MONOTONIC; when it\n"
	      "        falls behind it sends as fast as it can and stops after S seconds.\n"
	      "        --connect     connect the socket and use send (default: sendto)\n"
	      "        Prints one line: \"flood sent N dgrams B bytes in T s rate X/s local\n"
	      "        LOCAL_PORT\" (B payload bytes, X the rate achieved). Server: serve --udp.\n"
	      "        Exit 1 if a send fails.\n"
	      "Sizes accept a k or m suffix (x1024, x1048576).\n",
	      f);
}

/* "a,b,c" -> list; returns the number of entries. */
static int arg_list(const char *opt, const char *s, uint64_t max, uint64_t *list)
{
	char buf[1024], *tok, *save = NULL;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		die("%s: list too long", opt);
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == CG_MAX_LIST)
			die("%s: more than %d entries", opt, CG_MAX_LIST);
		list[n++] = arg_u64(opt, tok, 0, max);
	}
	if (!n)
		die("%s: empty list", opt);
	return n;
}

/* Numeric IPv4 or IPv6 address + port -> sockaddr. */
static int parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

static uint16_t sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static const void *sockaddr_addr(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return &((const struct sockaddr_in *)ss)->sin_addr;
	return &((const struct sockaddr_in6 *)ss)->sin6_addr;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return sockaddr_port(&ss);
}

static double now_s(void)
{
	return now_ns() / 1e9;
}

static void set_io_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void hdr_fill(struct cg_hdr *h, uint32_t req_len, uint64_t reply_len)
{
	memcpy(h->magic, CG_MAGIC, 4);
	h->req_len_be = htonl(req_len);
	h->reply_len_be = htobe64(reply_len);
}

/* Validates a received header; 0 or -EPROTO. */
static int hdr_parse(const void *buf, uint32_t *req_len, uint64_t *reply_len)
{
	struct cg_hdr h;

	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, CG_MAGIC, 4))
		return -EPROTO;
	*req_len = ntohl(h.req_len_be);
	*reply_len = be64toh(h.reply_len_be);
	if (*req_len < CG_HDR_LEN)
		return -EPROTO;
	return 0;
}

/* Writes the header (if any) then zeros up to total bytes; returns bytes written or -errno. */
static int64_t write_request(int fd, const struct cg_hdr *h, uint64_t total)
{
	uint64_t done = 0;

	while (done < total) {
		struct iovec iov[2];
		int n = 0;
		ssize_t w;

		if (done < CG_HDR_LEN) {
			iov[n].iov_base = (char *)h + done;
			iov[n++].iov_len = CG_HDR_LEN - done;
		}
		iov[n].iov_base = zero_buf;
		iov[n].iov_len = total - done - (done < CG_HDR_LEN ? CG_HDR_LEN - done : 0);
		if (iov[n].iov_len > sizeof(zero_buf))
			iov[n].iov_len = sizeof(zero_buf);
		n += iov[n].iov_len > 0;
		w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += w;
	}
	return done;
}

/* Reads to EOF; returns bytes read or -errno. */
static int64_t read_to_eof(int fd)
{
	static __thread unsigned char buf[CG_BUF_LEN];
	uint64_t got = 0;

	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r == 0)
			return got;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += r;
	}
}

/* ---- serve ---------------------------------------------------------------- */

enum conn_state { CONN_READ_HDR, CONN_READ_BODY, CONN_WRITE_REPLY };

/* One accepted TCP connection in a worker's epoll set. */
struct conn {
	int fd;
	enum conn_state state;
	uint32_t hdr_got;
	unsigned char hdr[CG_HDR_LEN];
	uint64_t req_left;   /* body bytes still to read */
	uint64_t reply_left; /* reply bytes still to write */
	uint32_t events;     /* currently registered epoll events */
};

struct serve_opts {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool udp;
};

static int listen_socket(const struct serve_opts *o)
{
	int one = 1;
	/* Non-blocking: each epoll loop accepts or reads until EAGAIN. */
	int type = (o->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK;
	int fd = socket(o->addr.ss_family, type, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&o->addr, o->addr_len) ||
	    (!o->udp && listen(fd, 4096))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Advances one connection as far as it can without blocking; true when it is done. buf is
 * scratch space of CG_BUF_LEN bytes. */
static bool conn_step(struct conn *c, unsigned char *buf)
{
	for (;;) {
		ssize_t n;

		switch (c->state) {
		case CONN_READ_HDR:
			n = read(c->fd, c->hdr + c->hdr_got, CG_HDR_LEN - c->hdr_got);
			if (n == 0)
				return true;
			if (n < 0)
				return errno != EAGAIN && errno != EINTR;
			c->hdr_got += n;
			if (c->hdr_got == CG_HDR_LEN) {
				uint32_t req_len;

				if (hdr_parse(c->hdr, &req_len, &c->reply_left))
					return true;
				c->req_left = req_len - CG_HDR_LEN;
				c->state = c->req_left ? CONN_READ_BODY : CONN_WRITE_REPLY;
			}
			break;
		case CONN_READ_BODY:
			n = read(c->fd, buf, io_len(c->req_left));
			if (n == 0)
				return true;
			if (n < 0)
				return errno != EAGAIN && errno != EINTR;
			c->req_left -= n;
			if (!c->req_left)
				c->state = CONN_WRITE_REPLY;
			break;
		case CONN_WRITE_REPLY:
			if (!c->reply_left)
				return true;
			n = write(c->fd, zero_buf, io_len(c->reply_left));
			if (n < 0)
				return errno != EAGAIN && errno != EINTR;
			c->reply_left -= n;
			break;
		}
	}
}

static void conn_want(int ep, struct conn *c)
{
	uint32_t ev = c->state == CONN_WRITE_REPLY ? EPOLLOUT : EPOLLIN;
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (ev == c->events)
		return;
	epoll_ctl(ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e);
	c->events = ev;
}

static void serve_tcp(int lfd)
{
	unsigned char *buf = malloc(CG_BUF_LEN);
	struct epoll_event evs[128];
	struct epoll_event le = { .events = EPOLLIN, .data.ptr = NULL };
	int one = 1;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (!buf || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &le))
		die("serve: epoll setup: %s", strerror(errno));
	for (;;) {
		int n = epoll_wait(ep, evs, 128, -1);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c) {
				if (conn_step(c, buf))
					conn_close(ep, c);
				else
					conn_want(ep, c);
				continue;
			}
			for (;;) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (fd < 0)
					break;
				c = calloc(1, sizeof(*c));
				if (!c) {
					close(fd);
					continue;
				}
				c->fd = fd;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				if (conn_step(c, buf)) {
					close(fd);
					free(c);
				} else {
					conn_want(ep, c);
				}
			}
		}
	}
}

/* One serving thread: its sockets (one per port) and, for UDP, what it has read. */
struct worker {
	pthread_t tid;
	int *fds;
	int n_fds;
	bool udp;
	uint64_t dgrams, bytes; /* updated atomically: the main thread reads them at exit */
	char pad[64];
};

/* Reads one UDP socket until EAGAIN, answering each request that asks for a reply. */
static void udp_drain(struct worker *w, int fd, unsigned char *buf)
{
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, CG_UDP_MAX + 1, 0, (struct sockaddr *)&peer, &plen);
		uint32_t req_len;
		uint64_t reply_len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN, or an error that recvfrom has now cleared */
		}
		__atomic_fetch_add(&w->dgrams, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&w->bytes, n, __ATOMIC_RELAXED);
		if (n < CG_HDR_LEN || hdr_parse(buf, &req_len, &reply_len) || !reply_len)
			continue;
		if (reply_len > CG_UDP_MAX)
			reply_len = CG_UDP_MAX;
		memset(buf, 0, reply_len);
		sendto(fd, buf, reply_len, 0, (struct sockaddr *)&peer, plen);
	}
}

static void serve_udp(struct worker *w)
{
	unsigned char *buf = malloc(CG_UDP_MAX + 1);
	struct epoll_event evs[64];
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (!buf || ep < 0)
		die("serve: epoll setup: %s", strerror(errno));
	for (int i = 0; i < w->n_fds; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.fd = w->fds[i] };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, w->fds[i], &e))
			die("serve: epoll setup: %s", strerror(errno));
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++)
			udp_drain(w, evs[i].data.fd, buf);
	}
}

static void *serve_worker(void *arg)
{
	struct worker *w = arg;

	if (w->udp)
		serve_udp(w);
	else
		serve_tcp(w->fds[0]);
	return NULL;
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "v6", no_argument, NULL, '6' },
		{ "udp", no_argument, NULL, 'u' },
		{ "threads", required_argument, NULL, 't' },
		{ "ports", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct serve_opts o = { 0 };
	const char *addr = NULL;
	uint64_t port = 0, ports = 0, dgrams = 0, bytes = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t threads = 0;
	struct worker *w;
	char name[INET6_ADDRSTRLEN];
	sigset_t stop;
	bool v6 = false;
	int c, sig;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = arg_u64("--port", optarg, 0, 65535);
			break;
		case '6':
			v6 = true;
			break;
		case 'u':
			o.udp = true;
			break;
		case 't':
			threads = arg_u64("--threads", optarg, 1, 256);
			break;
		case 'P':
			ports = arg_u64("--ports", optarg, 1, 65535);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (ports) {
		if (!o.udp)
			die("serve: --ports is for --udp only");
		if (!port)
			die("serve: --ports needs --port P, the first port (not 0)");
		if (port + ports - 1 > 65535)
			die("serve: --port %" PRIu64 " --ports %" PRIu64 " goes past port 65535",
			    port, ports);
		if (threads)
			die("serve: --ports serves all ports from one thread; drop --threads");
		threads = 1;
	} else {
		ports = 1;
	}
	if (!threads)
		threads = ncpu > 0 ? ncpu : 1;
	if (!addr)
		addr = v6 ? "::1" : "127.0.0.1";
	if (parse_addr(addr, port, &o.addr, &o.addr_len))
		die("serve: --addr '%s' is not a numeric IPv4/IPv6 address", addr);
	w = calloc(threads, sizeof(*w));
	if (!w)
		die("serve: out of memory");
	/* The first socket picks the port when --port 0; the others join it. */
	for (uint64_t i = 0; i < threads; i++) {
		w[i].udp = o.udp;
		w[i].n_fds = ports;
		w[i].fds = calloc(ports, sizeof(*w[i].fds));
		if (!w[i].fds)
			die("serve: out of memory");
		for (uint64_t j = 0; j < ports; j++) {
			sockaddr_set_port(&o.addr, port + j);
			w[i].fds[j] = listen_socket(&o);
			if (w[i].fds[j] < 0)
				die("serve: listen on %s port %" PRIu64 ": %s", addr, port + j,
				    strerror(-w[i].fds[j]));
			if (!port)
				port = local_port(w[i].fds[j]);
		}
	}
	/* Only this thread takes SIGTERM and SIGINT (the workers inherit the mask), so it can
	 * report what the workers counted. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	for (uint64_t i = 0; i < threads; i++)
		if (pthread_create(&w[i].tid, NULL, serve_worker, &w[i]))
			die("serve: cannot start thread");
	inet_ntop(o.addr.ss_family, sockaddr_addr(&o.addr), name, sizeof(name));
	printf("ready %s %" PRIu64 "\n", name, port);
	fflush(stdout);
	while (sigwait(&stop, &sig))
		;
	if (o.udp) {
		for (uint64_t i = 0; i < threads; i++) {
			dgrams += __atomic_load_n(&w[i].dgrams, __ATOMIC_RELAXED);
			bytes += __atomic_load_n(&w[i].bytes, __ATOMIC_RELAXED);
		}
		printf("received %" PRIu64 " dgrams %" PRIu64 " bytes\n", dgrams, bytes);
	}
	return 0;
}

/* ---- client ------------------------------------------------------------- */

struct client_opts {
	struct sockaddr_storage dst, src;
	socklen_t dst_len, src_len;
	bool have_src, udp, refused, tcpinfo;
	uint64_t count;
	uint64_t send[CG_MAX_LIST], recv[CG_MAX_LIST];
	int n_send, n_recv;
	uint64_t hold_s, chunk, interval_ms;
};

/* Result of one client conversation: bytes, and the local port for the test to match on. */
struct client_result {
	uint16_t lport;
	uint64_t sent, recv;
};

static int client_socket(const struct client_opts *o)
{
	int one = 1;
	int fd = socket(o->dst.ss_family, (o->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("client: socket: %s", strerror(errno));
	set_io_timeouts(fd, CG_IO_TIMEOUT_S);
	if (!o->udp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((o->have_src || o->refused) && bind(fd, (const struct sockaddr *)&o->src, o->src_len))
		die("client: bind source address: %s", strerror(errno));
	return fd;
}

static void sleep_until(double t)
{
	double d = t - now_s();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* TCP --hold: the header first, then chunk bytes every interval; returns bytes sent. */
static uint64_t tcp_trickle(int fd, const struct client_opts *o, uint64_t reply_len)
{
	uint64_t chunks = o->hold_s * 1000 / o->interval_ms;
	uint64_t total = CG_HDR_LEN + chunks * o->chunk;
	double t0 = now_s();
	struct cg_hdr h;

	if (total > UINT32_MAX)
		die("client: --hold sends %" PRIu64 " bytes, more than the 4 GiB request limit",
		    total);
	hdr_fill(&h, total, reply_len);
	if (write_request(fd, &h, CG_HDR_LEN) != CG_HDR_LEN)
		die("client: write: %s", strerror(errno));
	for (uint64_t i = 1; i <= chunks; i++) {
		sleep_until(t0 + i * o->interval_ms / 1000.0);
		for (uint64_t left = o->chunk; left;) {
			ssize_t w = write(fd, zero_buf, io_len(left));

			if (w < 0 && errno != EINTR)
				die("client: write: %s", strerror(errno));
			if (w > 0)
				left -= w;
		}
	}
	return total;
}

/* --tcpinfo: the kernel's counters for a connection about to be closed, for tests that compare
 * sockflow's retransmission counters with them. */
static void tcpinfo_print(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		die("client: getsockopt TCP_INFO: %s", strerror(errno));
	printf("tcpinfo total_retrans=%u retrans=%u lost=%u rtt_us=%u rttvar_us=%u segs_out=%u"
	       " bytes_acked=%" PRIu64 " local_port=%u\n",
	       ti.tcpi_total_retrans, ti.tcpi_retrans, ti.tcpi_lost, ti.tcpi_rtt, ti.tcpi_rttvar,
	       ti.tcpi_segs_out, (uint64_t)ti.tcpi_bytes_acked, local_port(fd));
}

static int client_tcp(const struct client_opts *o, uint64_t send_len, uint64_t reply_len,
		      struct client_result *res)
{
	int fd = client_socket(o);
	struct cg_hdr h;
	int64_t n;

	if (o->refused)
		res->lport = local_port(fd);
	if (connect(fd, (const struct sockaddr *)&o->dst, o->dst_len)) {
		int err = errno;

		close(fd);
		if (o->refused && err == ECONNREFUSED)
			return 0;
		fprintf(stderr, "conngen: client: connect to port %u: %s\n", sockaddr_port(&o->dst),
			strerror(err));
		return -1;
	}
	if (o->refused) {
		close(fd);
		fprintf(stderr, "conngen: client: --refused but port %u accepted\n",
			sockaddr_port(&o->dst));
		return -1;
	}
	res->lport = local_port(fd);
	if (o->hold_s) {
		printf("open %u\n", res->lport);
		fflush(stdout);
		res->sent = tcp_trickle(fd, o, reply_len);
	} else if (send_len) {
		hdr_fill(&h, send_len, reply_len);
		n = write_request(fd, &h, send_len);
		if (n < 0)
			die("client: write: %s", strerror((int)-n));
		res->sent = n;
	} else {
		/* Nothing to send: close first; the server closes on EOF. */
		if (o->tcpinfo)
			tcpinfo_print(fd);
		close(fd);
		return 0;
	}
	n = read_to_eof(fd);
	if (o->tcpinfo)
		tcpinfo_print(fd);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "conngen: client: read: %s\n", strerror((int)-n));
		return -1;
	}
	res->recv = n;
	return 0;
}

/* UDP: one connected socket; one datagram of send bytes (or a trickle), one reply back. */
static int client_udp(const struct client_opts *o, uint64_t send_len, uint64_t reply_len,
		      struct client_result *res)
{
	static unsigned char buf[CG_UDP_MAX + 1];
	int fd = client_socket(o);
	struct cg_hdr h;
	ssize_t n;

	if (connect(fd, (const struct sockaddr *)&o->dst, o->dst_len))
		die("client: connect udp: %s", strerror(errno));
	res->lport = local_port(fd);
	if (o->hold_s) {
		uint64_t chunks = o->hold_s * 1000 / o->interval_ms;
		double t0 = now_s();

		printf("open %u\n", res->lport);
		fflush(stdout);
		hdr_fill(&h, o->chunk, 0);
		memcpy(buf, &h, sizeof(h));
		memset(buf + sizeof(h), 0, o->chunk - sizeof(h));
		for (uint64_t i = 1; i <= chunks; i++) {
			sleep_until(t0 + i * o->interval_ms / 1000.0);
			if (send(fd, buf, o->chunk, 0) < 0)
				die("client: send: %s", strerror(errno));
			res->sent += o->chunk;
		}
	}
	hdr_fill(&h, send_len, reply_len);
	memcpy(buf, &h, sizeof(h));
	memset(buf + sizeof(h), 0, send_len - sizeof(h));
	if (send(fd, buf, send_len, 0) != (ssize_t)send_len)
		die("client: send: %s", strerror(errno));
	res->sent += send_len;
	if (reply_len) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			fprintf(stderr, "conngen: client: udp reply: %s\n", strerror(errno));
			close(fd);
			return -1;
		}
		res->recv = n;
	}
	close(fd);
	return 0;
}

static int cmd_client(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "send", required_argument, NULL, 's' },
		{ "recv", required_argument, NULL, 'r' },
		{ "bind", required_argument, NULL, 'b' },
		{ "udp", no_argument, NULL, 'u' },
		{ "hold", required_argument, NULL, 'H' },
		{ "chunk", required_argument, NULL, 'C' },
		{ "interval", required_argument, NULL, 'I' },
		{ "refused", no_argument, NULL, 'R' },
		{ "tcpinfo", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct client_opts o = {
		.count = 1,
		.n_send = 1,
		.send = { 64 },
		.n_recv = 1,
		.recv = { 64 },
		.chunk = 1024,
		.interval_ms = 100,
	};
	const char *addr = NULL, *src = NULL;
	uint64_t port = 0;
	int failed = 0, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = arg_u64("--port", optarg, 1, 65535);
			break;
		case 'n':
			o.count = arg_u64("--count", optarg, 1, UINT32_MAX);
			break;
		case 's':
			o.n_send = arg_list("--send", optarg, UINT32_MAX, o.send);
			break;
		case 'r':
			o.n_recv = arg_list("--recv", optarg, UINT64_MAX / 2, o.recv);
			break;
		case 'b':
			src = optarg;
			break;
		case 'u':
			o.udp = true;
			break;
		case 'H':
			o.hold_s = arg_u64("--hold", optarg, 1, 86400);
			break;
		case 'C':
			o.chunk = arg_u64("--chunk", optarg, 1, CG_UDP_MAX);
			break;
		case 'I':
			o.interval_ms = arg_u64("--interval", optarg, 1, 3600000);
			break;
		case 'R':
			o.refused = true;
			break;
		case 'T':
			o.tcpinfo = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!addr || !port)
		die("client: --addr and --port are required");
	if (parse_addr(addr, port, &o.dst, &o.dst_len))
		die("client: --addr '%s' is not a numeric IPv4/IPv6 address", addr);
	if (src && parse_addr(src, 0, &o.src, &o.src_len))
		die("client: --bind '%s' is not a numeric IPv4/IPv6 address", src);
	if (src && o.src.ss_family != o.dst.ss_family)
		die("client: --bind and --addr are of different address families");
	if (!src && o.refused) {
		/* Bind to the wildcard address so the port is allocated before connect. */
		parse_addr(o.dst.ss_family == AF_INET ? "0.0.0.0" : "::", 0, &o.src, &o.src_len);
	}
	o.have_src = src != NULL;
	for (int i = 0; i < o.n_send; i++) {
		if (o.send[i] && o.send[i] < CG_HDR_LEN)
			die("client: --send %" PRIu64 " is below the %d-byte request header",
			    o.send[i], CG_HDR_LEN);
		if (o.udp && (o.send[i] < CG_HDR_LEN || o.send[i] > CG_UDP_MAX))
			die("client: --udp --send must be in [%d, %d]", CG_HDR_LEN, CG_UDP_MAX);
	}
	for (int i = 0; i < o.n_recv; i++)
		if (o.udp && o.recv[i] > CG_UDP_MAX)
			die("client: --udp --recv must be at most %d", CG_UDP_MAX);
	if (o.udp && o.hold_s && o.chunk < CG_HDR_LEN)
		die("client: --udp --chunk must be at least %d", CG_HDR_LEN);
	if (o.udp && o.refused)
		die("client: --refused is TCP only");
	if (o.udp && o.tcpinfo)
		die("client: --tcpinfo is TCP only");
	if (o.refused && o.tcpinfo)
		die("client: --tcpinfo needs a connection; not with --refused");

	for (uint64_t i = 0; i < o.count; i++) {
		uint64_t send_len = o.send[i % o.n_send], reply_len = o.recv[i % o.n_recv];
		struct client_result res = { 0 };
		int err;

		if (o.refused)
			send_len = reply_len = 0;
		else if (!o.hold_s && !o.udp && !send_len && reply_len)
			die("client: --recv %" PRIu64 " needs a request (--send >= %d)", reply_len,
			    CG_HDR_LEN);
		if (o.udp)
			err = client_udp(&o, send_len, reply_len, &res);
		else
			err = client_tcp(&o, send_len, reply_len, &res);
		if (err) {
			failed++;
			continue;
		}
		printf("%u %" PRIu64 " %" PRIu64 "\n", res.lport, res.sent, res.recv);
		fflush(stdout);
		if (!o.hold_s && !o.udp && res.sent != send_len)
			failed++;
		if (res.recv != reply_len) {
			fprintf(stderr,
				"conngen: client: port %u received %" PRIu64
				" bytes, expected %" PRIu64 "\n",
				res.lport, res.recv, reply_len);
			failed++;
		}
	}
	return failed ? 1 : 0;
}

/* ---- storm -------------------------------------------------------------- */

struct storm {
	struct sockaddr_storage dst;
	socklen_t dst_len;
	uint32_t src_lo, src_hi; /* host byte order, inclusive */
	uint64_t send, recv;
	double deadline;
};

/* Per-thread counters; padded so threads do not share a cache line. */
struct storm_worker {
	pthread_t tid;
	struct storm *s;
	uint32_t src_next;
	uint64_t ok, failed;
	int first_err;
	char pad[64];
};

static int storm_one(struct storm_worker *w)
{
	const struct storm *s = w->s;
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct cg_hdr h;
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int err = 0;
	int64_t n;

	if (fd < 0)
		return errno;
	set_io_timeouts(fd, 2);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	src.sin_addr.s_addr = htonl(w->src_next);
	w->src_next = w->src_next == s->src_hi ? s->src_lo : w->src_next + 1;
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (const struct sockaddr *)&s->dst, s->dst_len)) {
		err = errno;
		goto out_close;
	}
	hdr_fill(&h, s->send, s->recv);
	n = write_request(fd, &h, s->send);
	if (n < 0) {
		err = (int)-n;
		goto out_close;
	}
	n = read_to_eof(fd);
	if (n < 0)
		err = (int)-n;
	else if ((uint64_t)n != s->recv)
		err = EPROTO;
out_close:
	close(fd);
	return err;
}

static void *storm_worker(void *arg)
{
	struct storm_worker *w = arg;

	while (now_s() < w->s->deadline) {
		int err = storm_one(w);

		if (!err) {
			w->ok++;
			continue;
		}
		if (!w->first_err)
			w->first_err = err;
		w->failed++;
		/* A full conntrack table or port range fails fast; do not spin on it. */
		if (err == EADDRNOTAVAIL || err == EMFILE)
			usleep(1000);
	}
	return NULL;
}

static uint32_t arg_ipv4(const char *opt, const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		die("%s: '%s' is not a numeric IPv4 address", opt, s);
	return ntohl(a.s_addr);
}

static int cmd_storm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 'S' },
		{ "duration", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "send", required_argument, NULL, 's' },
		{ "recv", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct storm s = { .send = 64, .recv = 64 };
	const char *addr = "127.0.0.1", *src = "127.1.0.1-127.1.0.254";
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t port = 0, duration = 10, threads = 2 * (ncpu > 0 ? ncpu : 1);
	uint64_t ok = 0, failed = 0;
	struct storm_worker *w;
	char range[64], *dash;
	double t0, elapsed;
	int c, first_err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = arg_u64("--port", optarg, 1, 65535);
			break;
		case 'S':
			src = optarg;
			break;
		case 'd':
			duration = arg_u64("--duration", optarg, 1, 86400);
			break;
		case 't':
			threads = arg_u64("--threads", optarg, 1, 1024);
			break;
		case 's':
			s.send = arg_u64("--send", optarg, CG_HDR_LEN, 65536);
			break;
		case 'r':
			s.recv = arg_u64("--recv", optarg, 0, 65536);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!port)
		die("storm: --port is required");
	if (parse_addr(addr, port, &s.dst, &s.dst_len) || s.dst.ss_family != AF_INET)
		die("storm: --addr '%s' is not a numeric IPv4 address", addr);
	if (strlen(src) >= sizeof(range))
		die("storm: --src '%s' too long", src);
	strcpy(range, src);
	dash = strchr(range, '-');
	if (dash)
		*dash++ = '\0';
	s.src_lo = arg_ipv4("--src", range);
	s.src_hi = dash ? arg_ipv4("--src", dash) : s.src_lo;
	if (s.src_hi < s.src_lo)
		die("storm: --src range '%s' is backwards", src);

	w = calloc(threads, sizeof(*w));
	if (!w)
		die("storm: out of memory");
	t0 = now_s();
	s.deadline = t0 + duration;
	for (uint64_t i = 0; i < threads; i++) {
		w[i].s = &s;
		/* Threads start at different addresses so they do not fight over one port range. */
		w[i].src_next = s.src_lo + (uint32_t)(i * (s.src_hi - s.src_lo + 1) / threads);
		if (pthread_create(&w[i].tid, NULL, storm_worker, &w[i]))
			die("storm: cannot start thread");
	}
	for (uint64_t i = 0; i < threads; i++) {
		pthread_join(w[i].tid, NULL);
		ok += w[i].ok;
		failed += w[i].failed;
		if (!first_err)
			first_err = w[i].first_err;
	}
	elapsed = now_s() - t0;
	if (first_err)
		fprintf(stderr, "conngen: storm: %" PRIu64 " connections failed, first error: %s\n",
			failed, strerror(first_err));
	printf("storm connections=%" PRIu64 " failed=%" PRIu64 " duration_s=%.3f rate_per_s=%.1f\n",
	       ok, failed, elapsed, ok / elapsed);
	free(w);
	return ok ? 0 : 1;
}

/* ---- resolver ------------------------------------------------------------ */

/* What the resolver exchanged with one peer; payload bytes. */
struct peer_count {
	uint64_t sent_dgrams, sent_bytes, recv_dgrams, recv_bytes;
};

/* --addr (default by --v6) and --port as a destination; dies on a bad or mismatched address. */
static void arg_dst(const char *mode, const char *addr, bool v6, uint16_t port,
		    struct sockaddr_storage *dst, socklen_t *dst_len)
{
	if (!addr)
		addr = v6 ? "::1" : "127.0.0.1";
	if (parse_addr(addr, port, dst, dst_len))
		die("%s: --addr '%s' is not a numeric IPv4/IPv6 address", mode, addr);
	if (v6 && dst->ss_family != AF_INET6)
		die("%s: --v6 with the IPv4 --addr '%s'", mode, addr);
}

/* Waits for the reply to a request sent to dst: R bytes from dst itself, or dies. */
static void resolver_reply(int fd, const struct sockaddr_storage *dst, unsigned char *buf,
			   uint64_t want)
{
	uint16_t port = sockaddr_port(dst);
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;

	do {
		flen = sizeof(from);
		n = recvfrom(fd, buf, CG_UDP_MAX + 1, 0, (struct sockaddr *)&from, &flen);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		die("resolver: no reply from port %u within %d s", port, CG_IO_TIMEOUT_S);
	if (n < 0)
		die("resolver: recvfrom port %u: %s", port, strerror(errno));
	if (from.ss_family != dst->ss_family || sockaddr_port(&from) != port ||
	    memcmp(sockaddr_addr(&from), sockaddr_addr(dst),
		   dst->ss_family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr)))
		die("resolver: waiting for port %u, got a reply from port %u", port,
		    sockaddr_port(&from));
	if ((uint64_t)n != want)
		die("resolver: reply of %zd bytes from port %u, expected %" PRIu64, n, port, want);
}

static int cmd_resolver(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "peers", required_argument, NULL, 'N' },
		{ "rounds", required_argument, NULL, 'K' },
		{ "send", required_argument, NULL, 's' },
		{ "recv", required_argument, NULL, 'r' },
		{ "v6", no_argument, NULL, '6' },
		{ "bind", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *addr = NULL, *src = NULL;
	uint64_t port = 0, peers = 0, rounds = 0, send_len = 64, recv_len = 128;
	struct sockaddr_storage dst, src_addr;
	socklen_t dst_len, src_len;
	struct peer_count *count;
	unsigned char *req, *buf;
	char name[INET6_ADDRSTRLEN];
	struct cg_hdr h;
	bool v6 = false;
	int c, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = arg_u64("--port", optarg, 1, 65535);
			break;
		case 'N':
			peers = arg_u64("--peers", optarg, 1, 65535);
			break;
		case 'K':
			rounds = arg_u64("--rounds", optarg, 1, UINT32_MAX);
			break;
		case 's':
			send_len = arg_u64("--send", optarg, CG_HDR_LEN, CG_UDP_MAX);
			break;
		case 'r':
			recv_len = arg_u64("--recv", optarg, 0, CG_UDP_MAX);
			break;
		case '6':
			v6 = true;
			break;
		case 'b':
			src = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!port || !peers || !rounds)
		die("resolver: --port, --peers and --rounds are required");
	if (port + peers - 1 > 65535)
		die("resolver: --port %" PRIu64 " --peers %" PRIu64 " goes past port 65535", port,
		    peers);
	arg_dst("resolver", addr, v6, port, &dst, &dst_len);
	if (src && parse_addr(src, 0, &src_addr, &src_len))
		die("resolver: --bind '%s' is not a numeric IPv4/IPv6 address", src);
	if (src && src_addr.ss_family != dst.ss_family)
		die("resolver: --bind and --addr are of different address families");

	count = calloc(peers, sizeof(*count));
	req = calloc(1, send_len);
	buf = malloc(CG_UDP_MAX + 1);
	if (!count || !req || !buf)
		die("resolver: out of memory");
	hdr_fill(&h, send_len, recv_len);
	memcpy(req, &h, sizeof(h));
	fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("resolver: socket: %s", strerror(errno));
	set_io_timeouts(fd, CG_IO_TIMEOUT_S);
	if (src && bind(fd, (struct sockaddr *)&src_addr, src_len))
		die("resolver: bind %s: %s", src, strerror(errno));

	for (uint64_t r = 0; r < rounds; r++) {
		for (uint64_t i = 0; i < peers; i++) {
			sockaddr_set_port(&dst, port + i);
			if (sendto(fd, req, send_len, 0, (struct sockaddr *)&dst, dst_len) !=
			    (ssize_t)send_len)
				die("resolver: sendto port %" PRIu64 ": %s", port + i,
				    strerror(errno));
			count[i].sent_dgrams++;
			count[i].sent_bytes += send_len;
			if (!recv_len)
				continue;
			resolver_reply(fd, &dst, buf, recv_len);
			count[i].recv_dgrams++;
			count[i].recv_bytes += recv_len;
		}
	}

	inet_ntop(dst.ss_family, sockaddr_addr(&dst), name, sizeof(name));
	for (uint64_t i = 0; i < peers; i++)
		printf("peer %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		       name, port + i, count[i].sent_dgrams, count[i].sent_bytes,
		       count[i].recv_dgrams, count[i].recv_bytes);
	printf("local %u\n", local_port(fd));
	close(fd);
	free(buf);
	free(req);
	free(count);
	return 0;
}

/* ---- flood --------------------------------------------------------------- */

/* One datagram; dies on any error but EINTR (ECONNREFUSED: nobody on a connected port). */
static void flood_send(int fd, const unsigned char *buf, uint64_t size,
		       const struct sockaddr_storage *dst, socklen_t dst_len, bool connected)
{
	for (;;) {
		ssize_t n = connected ? send(fd, buf, size, 0)
				      : sendto(fd, buf, size, 0, (const struct sockaddr *)dst,
					       dst_len);

		if (n == (ssize_t)size)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNREFUSED)
			die("flood: port %u refused datagrams; is conngen serve --udp running?",
			    sockaddr_port(dst));
		die("flood: send to port %u: %s", sockaddr_port(dst),
		    n < 0 ? strerror(errno) : "short write");
	}
}

static int cmd_flood(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'R' },
		{ "duration", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "connect", no_argument, NULL, 'c' },
		{ "v6", no_argument, NULL, '6' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *addr = NULL;
	uint64_t port = 0, rate = 0, duration = 0, size = 64, total, batch, sent = 0;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	double t0, deadline, last_due, now, elapsed;
	unsigned char *buf;
	struct cg_hdr h;
	bool v6 = false, connected = false;
	int c, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = arg_u64("--port", optarg, 1, 65535);
			break;
		case 'R':
			rate = arg_u64("--rate", optarg, 1, 100000000);
			break;
		case 'd':
			duration = arg_u64("--duration", optarg, 1, 86400);
			break;
		case 's':
			size = arg_u64("--size", optarg, CG_HDR_LEN, CG_UDP_MAX);
			break;
		case 'c':
			connected = true;
			break;
		case '6':
			v6 = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!port || !rate || !duration)
		die("flood: --port, --rate and --duration are required");
	arg_dst("flood", addr, v6, port, &dst, &dst_len);

	buf = calloc(1, size);
	if (!buf)
		die("flood: out of memory");
	hdr_fill(&h, size, 0);
	memcpy(buf, &h, sizeof(h));
	fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("flood: socket: %s", strerror(errno));
	if (connected && connect(fd, (struct sockaddr *)&dst, dst_len))
		die("flood: connect to port %" PRIu64 ": %s", port, strerror(errno));

	/*
	 * Datagram i is due at t0 + i / rate. Each pass sends what is due (at most 1024, so
	 * the deadline is checked often when behind), then sleeps until the next batch of
	 * about 1 ms is due. Behind by more than a batch at the deadline: stop there.
	 */
	total = rate * duration;
	batch = rate / 1000 ? rate / 1000 : 1;
	t0 = now_s();
	deadline = t0 + duration;
	last_due = t0 + (double)(total - 1) / rate;
	while (sent < total) {
		uint64_t due;

		now = now_s();
		if (now >= deadline && total - sent > batch)
			break;
		due = (uint64_t)((now - t0) * rate) + 1;
		if (due > total)
			due = total;
		if (sent >= due) {
			double next = t0 + (double)(sent + batch - 1) / rate;

			sleep_until(next < last_due ? next : last_due);
			continue;
		}
		for (uint64_t n = due - sent < 1024 ? due - sent : 1024; n; n--, sent++)
			flood_send(fd, buf, size, &dst, dst_len, connected);
	}
	/* The run is S seconds long even when the last datagram was due a little earlier. */
	elapsed = now_s() - t0;
	if (elapsed < duration)
		elapsed = duration;
	if (sent < total)
		fprintf(stderr,
			"conngen: flood: fell behind: %" PRIu64 " of %" PRIu64
			" datagrams in %" PRIu64 " s\n",
			sent, total, duration);
	printf("flood sent %" PRIu64 " dgrams %" PRIu64 " bytes in %.3f s rate %.1f/s local %u\n",
	       sent, sent * size, elapsed, sent / elapsed, local_port(fd));
	close(fd);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct tool_command cmds[] = {
		{ "serve", cmd_serve }, { "client", cmd_client }, { "storm", cmd_storm },
		{ "resolver", cmd_resolver }, { "flood", cmd_flood }, { NULL, NULL },
	};

	signal(SIGPIPE, SIG_IGN);
	return tool_main(argc, argv, cmds, usage);
}
