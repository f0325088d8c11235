// SPDX-License-Identifier: GPL-2.0-only
/*
 * tcpbench: the TCP workloads of sockflow's overhead benchmarks, on persistent
 * connections: request/response ping-pong (TCP_RR-like), bulk streams, and many
 * connections held open and mostly idle.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL_NAME "tcpbench"
#include "clock.h"
#include "tool.h"

/*
 * A client's first byte tells the server what to do with the connection:
 * echo everything back (request/response) or read and discard (bulk).
 */
#define MODE_ECHO 'e'
#define MODE_SINK 'd'
#define BULK_CHUNK (128 * 1024)
#define RR_MAX_SIZE 65536
#define HOLD_PAYLOAD 100

static void usage(FILE *f)
{
	fputs("usage:\n"
	      "  tcpbench serve [--port P]\n"
	      "  tcpbench rr    --port P [--conns C] [--size B] [--duration S]\n"
	      "  tcpbench bulk  --port P [--streams N] [--duration S]\n"
	      "  tcpbench hold  --conns N [--active K] [--interval MS]\n"
	      "\n"
	      "serve  Listen on 127.0.0.1:P (0: any free port), print \"ready PORT\"; serve each\n"
	      "       connection in a thread of its own until SIGTERM.\n"
	      "rr     C connections (default 1), one thread each, TCP_NODELAY at both ends:\n"
	      "       write B bytes (default 1), read B bytes back, again, for S seconds (10).\n"
	      "       Prints transactions=, rate_per_s=, p50_us=, p99_us= (every transaction's\n"
	      "       latency is kept, the percentiles are exact).\n"
	      "bulk   N connections (default 1), one thread each, writing 128 KiB at a time for\n"
	      "       S seconds (10). Prints bytes=, mbit_per_s= (bytes the kernel accepted).\n"
	      "hold   Listen, connect N times to itself and accept each, print \"ready N PORT\" and\n"
	      "       hold all 2N sockets open until SIGTERM. Every MS milliseconds (1000) the\n"
	      "       first K connections (0) each send 100 bytes to the other end, which reads\n"
	      "       them. Raises its open-files limit to the hard limit first.\n",
	      f);
}

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A listener on 127.0.0.1:@port (0: any); its port goes to *@bound. */
static int listen_on(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in a = loopback(port);
	socklen_t len = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096))
		die("listen on port %u: %s", port, strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&a, &len))
		die("getsockname: %s", strerror(errno));
	*bound = ntohs(a.sin_port);
	return fd;
}

static void set_nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY: %s", strerror(errno));
}

/* A connection to 127.0.0.1:@port whose first byte is @mode. */
static int connect_to(uint16_t port, char mode)
{
	struct sockaddr_in a = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect to port %u: %s", port, strerror(errno));
	set_nodelay(fd);
	if (mode && write(fd, &mode, 1) != 1)
		die("write: %s", strerror(errno));
	return fd;
}

/* Move exactly @len bytes (read them when @in, else write them); false at EOF or on an error. */
static bool io_full(int fd, char *buf, size_t len, bool in)
{
	while (len) {
		ssize_t n = in ? read(fd, buf, len) : write(fd, buf, len);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static bool read_full(int fd, char *buf, size_t len)
{
	return io_full(fd, buf, len, true);
}

static bool write_full(int fd, const char *buf, size_t len)
{
	return io_full(fd, (char *)buf, len, false);
}

/* ---- serve ---- */

static void *serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static char sink[BULK_CHUNK];	/* discarded bytes: threads may share it */
	char buf[RR_MAX_SIZE], mode;
	ssize_t n;

	set_nodelay(fd);
	if (read_full(fd, &mode, 1)) {
		if (mode == MODE_SINK) {
			while ((n = read(fd, sink, sizeof(sink))) > 0 || (n < 0 && errno == EINTR))
				;
		} else {
			while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
				if (n > 0 && !write_full(fd, buf, (size_t)n))
					break;
		}
	}
	close(fd);
	return NULL;
}

static int cmd_serve(int argc, char **argv)
{
	uint16_t port = 0;
	pthread_attr_t attr;
	pthread_t t;
	int lfd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = (uint16_t)arg_u64("--port", argv[++i], 0, 65535);
		else
			die("serve: unknown argument '%s'", argv[i]);
	}
	lfd = listen_on(port, &port);
	printf("ready %u\n", port);
	fflush(stdout);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept: %s", strerror(errno));
		}
		if (pthread_create(&t, &attr, serve_conn, (void *)(intptr_t)fd))
			die("pthread_create: %s", strerror(errno));
	}
}

/* ---- rr and bulk: client threads ---- */

struct client {
	pthread_t thread;
	uint16_t port;
	size_t size;		/* rr: bytes each way per transaction */
	uint64_t deadline_ns;
	uint64_t done;		/* transactions (rr), bytes (bulk) */
	uint32_t *lat_ns;	/* rr: one latency per transaction */
	size_t lat_cap;
};

static void *rr_client(void *arg)
{
	struct client *c = arg;
	char buf[RR_MAX_SIZE];
	int fd = connect_to(c->port, MODE_ECHO);

	memset(buf, 'x', c->size);
	while (!stopping) {
		uint64_t t0 = now_ns(), t1;

		if (t0 >= c->deadline_ns)
			break;
		if (!write_full(fd, buf, c->size) || !read_full(fd, buf, c->size))
			die("rr: connection ended: %s", strerror(errno));
		t1 = now_ns();
		if (c->done == c->lat_cap) {
			c->lat_cap = c->lat_cap ? c->lat_cap * 2 : 65536;
			c->lat_ns = realloc(c->lat_ns, c->lat_cap * sizeof(*c->lat_ns));
			if (!c->lat_ns)
				die("out of memory");
		}
		c->lat_ns[c->done++] = (uint32_t)(t1 - t0 > UINT32_MAX ? UINT32_MAX : t1 - t0);
	}
	close(fd);
	return NULL;
}

static void *bulk_client(void *arg)
{
	struct client *c = arg;
	static const char chunk[BULK_CHUNK];
	int fd = connect_to(c->port, MODE_SINK);

	while (!stopping && now_ns() < c->deadline_ns) {
		ssize_t n = write(fd, chunk, sizeof(chunk));

		if (n < 0 && errno != EINTR)
			die("bulk: write: %s", strerror(errno));
		if (n > 0)
			c->done += (uint64_t)n;
	}
	close(fd);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The @p-th percentile of @n sorted latencies, in microseconds. */
static double percentile_us(const uint32_t *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);

	return v[i] / 1000.0;
}

static int run_clients(int argc, char **argv, bool rr)
{
	uint64_t port = 0, count = 1, size = 1, duration = 10, total = 0, t0, t1;
	const char *count_opt = rr ? "--conns" : "--streams";
	struct client *c;
	double secs;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			die("%s: '%s' needs a value", argv[0], argv[i]);
		if (!strcmp(argv[i], "--port"))
			port = arg_u64("--port", argv[++i], 1, 65535);
		else if (!strcmp(argv[i], count_opt))
			count = arg_u64(count_opt, argv[++i], 1, 1024);
		else if (rr && !strcmp(argv[i], "--size"))
			size = arg_u64("--size", argv[++i], 1, RR_MAX_SIZE);
		else if (!strcmp(argv[i], "--duration"))
			duration = arg_u64("--duration", argv[++i], 1, 3600);
		else
			die("%s: unknown argument '%s'", argv[0], argv[i]);
	}
	if (!port)
		die("%s: --port is required", argv[0]);
	c = calloc(count, sizeof(*c));
	if (!c)
		die("out of memory");
	catch_stop();
	t0 = now_ns();
	for (uint64_t i = 0; i < count; i++) {
		c[i].port = (uint16_t)port;
		c[i].size = size;
		c[i].deadline_ns = t0 + duration * 1000000000ull;
		if (pthread_create(&c[i].thread, NULL, rr ? rr_client : bulk_client, &c[i]))
			die("pthread_create: %s", strerror(errno));
	}
	for (uint64_t i = 0; i < count; i++) {
		pthread_join(c[i].thread, NULL);
		total += c[i].done;
	}
	t1 = now_ns();
	secs = (double)(t1 - t0) / 1e9;
	if (!rr) {
		printf("streams=%" PRIu64 " bytes=%" PRIu64 " mbit_per_s=%.1f\n", count, total,
		       (double)total * 8 / secs / 1e6);
	} else {
		uint32_t *all = malloc((total ? total : 1) * sizeof(*all));
		size_t n = 0;

		if (!all)
			die("out of memory");
		for (uint64_t i = 0; i < count; i++) {
			memcpy(all + n, c[i].lat_ns, c[i].done * sizeof(*all));
			n += c[i].done;
			free(c[i].lat_ns);
		}
		if (!n)
			die("rr: no transaction completed");
		qsort(all, n, sizeof(*all), cmp_u32);
		printf("conns=%" PRIu64 " size=%" PRIu64 " transactions=%zu rate_per_s=%.1f "
		       "p50_us=%.1f p99_us=%.1f\n",
		       count, size, n, (double)n / secs, percentile_us(all, n, 50),
		       percentile_us(all, n, 99));
		free(all);
	}
	free(c);
	return 0;
}

/* ---- hold ---- */

static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int cmd_hold(int argc, char **argv)
{
	uint64_t conns = 0, active = 0, interval_ms = 1000;
	char buf[HOLD_PAYLOAD] = { 0 };
	uint16_t port;
	int lfd, *cli, *srv;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			die("hold: '%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "--conns"))
			conns = arg_u64("--conns", argv[++i], 1, 1000000);
		else if (!strcmp(argv[i], "--active"))
			active = arg_u64("--active", argv[++i], 0, 1000000);
		else if (!strcmp(argv[i], "--interval"))
			interval_ms = arg_u64("--interval", argv[++i], 1, 3600000);
		else
			die("hold: unknown argument '%s'", argv[i]);
	}
	if (!conns)
		die("hold: --conns is required");
	if (active > conns)
		active = conns;
	raise_nofile();
	catch_stop();
	cli = calloc(conns, sizeof(*cli));
	srv = calloc(conns, sizeof(*srv));
	if (!cli || !srv)
		die("out of memory");
	lfd = listen_on(0, &port);
	for (uint64_t i = 0; i < conns && !stopping; i++) {
		cli[i] = connect_to(port, 0);
		srv[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (srv[i] < 0)
			die("accept (connection %" PRIu64 "): %s", i + 1, strerror(errno));
	}
	printf("ready %" PRIu64 " %u\n", conns, port);
	fflush(stdout);
	while (!stopping) {
		struct timespec ts = { .tv_sec = (time_t)(interval_ms / 1000),
				       .tv_nsec = (long)(interval_ms % 1000) * 1000000 };

		for (uint64_t i = 0; i < active; i++)
			if (!write_full(cli[i], buf, sizeof(buf)) ||
			    !read_full(srv[i], buf, sizeof(buf)))
				die("hold: connection %" PRIu64 " ended", i + 1);
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int cmd_rr(int argc, char **argv)
{
	return run_clients(argc, argv, true);
}

static int cmd_bulk(int argc, char **argv)
{
	return run_clients(argc, argv, false);
}

int main(int argc, char **argv)
{
	static const struct tool_command cmds[] = {
		{ "serve", cmd_serve }, { "rr", cmd_rr }, { "bulk", cmd_bulk },
		{ "hold", cmd_hold }, { NULL, NULL },
	};

	return tool_main(argc, argv, cmds, usage);
}
