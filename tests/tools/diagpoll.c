// SPDX-License-Identifier: GPL-2.0-only
/* diagpoll: run the sock_diag poller from the command line; hold many TCP connections open. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "source/diag.h"

#define TOOL_NAME "diagpoll"
#include "tool.h"

/* Descriptors hold needs beyond its 2N + 1 sockets: stdio and some slack. */
#define HOLD_FD_SLACK 64

struct poll_out {
	bool json;
	uint32_t poll;			/* 1-based number of the current poll */
};

static void usage(FILE *f)
{
	fputs("usage:\n"
	      "  diagpoll poll [--repeat N] [--json] [--states MASK] [--proc DIR] [--netns-dir DIR]\n"
	      "                [--lookup] [--debug]\n"
	      "  diagpoll hold --conns N [--addr A]\n"
	      "\n"
	      "poll  Dump the TCP sockets of every network namespace N times (default 1).\n"
	      "      Per poll one line on stdout:\n"
	      "        namespaces N vanished N sockets N ms X failed N\n"
	      "      With --json, before it one JSON object per socket: poll, cookie, netns,\n"
	      "      state (number, as in <netinet/tcp.h>), local, remote (ADDR:PORT, IPv6 as\n"
	      "      [ADDR]:PORT), has_info, rtt_us, rttvar_us, total_retrans, bytes_acked,\n"
	      "      bytes_received, segs_out, segs_in. --states: bitmask of 1 << TCP_xxx\n"
	      "      (default all but LISTEN). Exit 1 if a poll could not run.\n"
	      "      --lookup: one dump first (not counted) finds the established sockets; each\n"
	      "      poll then asks for exactly those, socket by socket, as sockflow does.\n"
	      "hold  In the current namespace, listen on A (default 127.0.0.1), port chosen\n"
	      "      by the kernel, make N connections to it and accept them (2N + 1 sockets),\n"
	      "      print \"ready ADDR PORT\" on stdout, then sleep until killed.\n",
	      f);
}

/* "ADDR:PORT", or "[ADDR]:PORT" for IPv6, as ss prints them. */
static void endpoint_format(char *out, size_t len, uint16_t family, const uint8_t *addr,
			    uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(out, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

static void poll_socket(void *ctx, const struct diag_socket *s)
{
	const struct poll_out *o = ctx;
	char local[INET6_ADDRSTRLEN + 8], remote[INET6_ADDRSTRLEN + 8];
	const struct diag_tcp_info *i = &s->info;

	if (!o->json)
		return;
	endpoint_format(local, sizeof(local), s->tuple.family, s->tuple.local_addr,
			s->tuple.local_port);
	endpoint_format(remote, sizeof(remote), s->tuple.family, s->tuple.remote_addr,
			s->tuple.remote_port);
	printf("{\"poll\":%" PRIu32 ",\"cookie\":%" PRIu64 ",\"netns\":%" PRIu32
	       ",\"state\":%u,\"local\":\"%s\",\"remote\":\"%s\",\"has_info\":%s"
	       ",\"rtt_us\":%" PRIu32 ",\"rttvar_us\":%" PRIu32 ",\"total_retrans\":%" PRIu32
	       ",\"bytes_acked\":%" PRIu64 ",\"bytes_received\":%" PRIu64
	       ",\"segs_out\":%" PRIu32 ",\"segs_in\":%" PRIu32 "}\n",
	       o->poll, s->cookie, s->tuple.netns_ino, s->state, local, remote,
	       s->has_info ? "true" : "false", i->rtt_us, i->rttvar_us, i->total_retrans,
	       i->bytes_acked, i->bytes_received, i->segs_out, i->segs_in);
}

/* The established sockets of a dump, to look up again one by one. */
static void collect_socket(void *ctx, const struct diag_socket *s)
{
	GArray *socks = ctx;
	struct diag_lookup l = { .cookie = s->cookie, .tuple = s->tuple };

	if (s->state == 1 /* TCP_ESTABLISHED */)
		g_array_append_val(socks, l);
}

static int cmd_poll(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "states", required_argument, NULL, 's' },
		{ "proc", required_argument, NULL, 'p' },
		{ "netns-dir", required_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "lookup", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct diag_poller_options po = { .proc_root = "/proc", .netns_dir = "/run/netns" };
	struct poll_out out = { 0 };
	struct diag_poll_stats st;
	struct diag_poller *p;
	GArray *socks = NULL;
	uint32_t repeat = 1;
	int c, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repeat = (uint32_t)arg_u64("--repeat", optarg, 1, UINT32_MAX);
			break;
		case 'j':
			out.json = true;
			break;
		case 's':
			po.states = (uint32_t)arg_u64("--states", optarg, 0, UINT32_MAX);
			break;
		case 'p':
			po.proc_root = optarg;
			break;
		case 'n':
			po.netns_dir = optarg;
			break;
		case 'd':
			log_set_level(SF_LOG_DEBUG);
			break;
		case 'l':
			socks = g_array_new(FALSE, FALSE, sizeof(struct diag_lookup));
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	err = diag_poller__new(&p, &po);
	if (err)
		die("poller: %s", strerror(-err));
	if (socks) {
		err = diag_poller__poll(p, collect_socket, socks, &st);
		if (err)
			die("the first dump: %s", strerror(-err));
	}
	for (out.poll = 1; out.poll <= repeat; out.poll++) {
		if (socks)
			err = diag_poller__lookup(p, (struct diag_lookup *)socks->data, socks->len,
						  poll_socket, &out, &st);
		else
			err = diag_poller__poll(p, poll_socket, &out, &st);
		if (err) {
			diag_poller__free(p);
			die("poll %" PRIu32 ": %s", out.poll, strerror(-err));
		}
		printf("namespaces %" PRIu32 " vanished %" PRIu32 " sockets %" PRIu64
		       " ms %.3f failed %" PRIu32 "\n",
		       st.namespaces, st.namespaces_vanished, st.sockets,
		       (double)st.duration_ns / 1e6, st.namespaces_failed);
	}
	diag_poller__free(p);
	if (socks)
		g_array_free(socks, TRUE);
	if (fflush(stdout))
		die("stdout: %s", strerror(errno));
	return 0;
}

/* Room for @need descriptors: raise the soft limit, and the hard one if it is lower (root). */
static void nofile_raise(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("cannot raise the open file limit to %llu: %s", (unsigned long long)need,
		    strerror(errno));
}

static int cmd_hold(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conns", required_argument, NULL, 'c' },
		{ "addr", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = "127.0.0.1";
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len;
	uint32_t conns = 0, i;
	int c, lfd, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conns = (uint32_t)arg_u64("--conns", optarg, 1, 1000000);
			break;
		case 'a':
			addr = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (!conns)
		die("hold: --conns is required");
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		len = sizeof(*sin6);
	} else {
		die("--addr: '%s' is not a numeric IPv4 or IPv6 address", addr);
	}
	nofile_raise((rlim_t)conns * 2 + 1 + HOLD_FD_SLACK);

	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, SOMAXCONN) ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len))
		die("listen on %s: %s", addr, strerror(errno));
	/* One connect, one accept: the accept queue never holds more than one. */
	for (i = 0; i < conns; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len))
			die("connection %" PRIu32 ": %s", i + 1, strerror(errno));
		if (accept4(lfd, NULL, NULL, SOCK_CLOEXEC) < 0)
			die("accept %" PRIu32 ": %s", i + 1, strerror(errno));
	}
	printf("ready %s %u\n", addr,
	       ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port));
	if (fflush(stdout))
		die("stdout: %s", strerror(errno));
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	log_set_level(SF_LOG_WARN);
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "poll"))
		return cmd_poll(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hold"))
		return cmd_hold(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 1;
}
