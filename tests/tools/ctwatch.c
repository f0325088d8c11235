// SPDX-License-Identifier: GPL-2.0-only
/* ctwatch: run the conntrack source for a while, print each translated connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "source/conntrack.h"

#define TOOL_NAME "ctwatch"
#include "clock.h"
#include "tool.h"

#define DRAIN_INTERVAL_MS 10
#define RESCAN_INTERVAL_MS 1000

static volatile sig_atomic_t stop;

static void usage(FILE *f)
{
	fputs("usage: ctwatch --seconds N [--rcvbuf BYTES] [--stall MS] [--debug]\n"
	      "\n"
	      "Subscribe to conntrack NEW events in every network namespace (rescanned every\n"
	      "second) for N seconds. Prints \"ready namespaces N\" once subscribed, then per\n"
	      "translated connection (and \"namespaces N\" when a rescan changes it):\n"
	      "  nat netns=INO proto=tcp|udp nat=src|dst|both orig=SRC:SPORT->DST:DPORT\n"
	      "      reply=SRC:SPORT->DST:DPORT      (one line; IPv6 as [ADDR]:PORT)\n"
	      "and at the end:\n"
	      "  stats events N nat N overruns N resyncs N resync_entries N namespaces N\n"
	      "--rcvbuf: netlink receive buffer per namespace; --stall: wait MS before the\n"
	      "first read (to make the kernel drop events).\n",
	      f);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void endpoint_format(char *out, size_t len, uint8_t family, const uint8_t *addr,
			    uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(out, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

static void print_nat(void *ctx, const struct ct_nat *n)
{
	static const char *const kinds[] = { "none", "src", "dst", "both" };
	char os[INET6_ADDRSTRLEN + 8], od[INET6_ADDRSTRLEN + 8];
	char rs[INET6_ADDRSTRLEN + 8], rd[INET6_ADDRSTRLEN + 8];

	(void)ctx;
	endpoint_format(os, sizeof(os), n->family, n->orig.src, n->orig.sport);
	endpoint_format(od, sizeof(od), n->family, n->orig.dst, n->orig.dport);
	endpoint_format(rs, sizeof(rs), n->family, n->reply.src, n->reply.sport);
	endpoint_format(rd, sizeof(rd), n->family, n->reply.dst, n->reply.dport);
	printf("nat netns=%" PRIu32 " proto=%s nat=%s orig=%s->%s reply=%s->%s\n", n->netns_ino,
	       n->protocol == IPPROTO_TCP ? "tcp" : "udp", kinds[n->nat & 3], os, od, rs, rd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "stall", required_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ct_source_options o = {
		.proc_root = "/proc",
		.netns_dir = "/run/netns",
		.on_nat = print_nat,
	};
	uint32_t seconds = 0, stall_ms = 0, namespaces;
	uint64_t end, next_rescan;
	struct ct_source_stats st;
	struct ct_source *s;
	char msg[256];
	int c, err;

	log_set_level(SF_LOG_WARN);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seconds = (uint32_t)arg_u64("--seconds", optarg, 1, 86400);
			break;
		case 'r':
			o.rcvbuf_bytes = (uint32_t)arg_u64("--rcvbuf", optarg, 1, 1u << 30);
			break;
		case 't':
			stall_ms = (uint32_t)arg_u64("--stall", optarg, 0, 3600000);
			break;
		case 'd':
			log_set_level(SF_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (!seconds) {
		usage(stderr);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	err = ct_source__new(&s, &o, msg, sizeof(msg));
	if (err)
		die("%s", msg);
	ct_source__stats(s, &st);
	namespaces = st.namespaces;
	printf("ready namespaces %" PRIu32 "\n", namespaces);
	end = mono_ms() + (uint64_t)seconds * 1000;
	if (stall_ms)
		sleep_ms(stall_ms);
	next_rescan = mono_ms() + RESCAN_INTERVAL_MS;
	while (!stop && mono_ms() < end) {
		err = ct_source__drain(s);
		if (err < 0)
			die("drain: %s", strerror(-err));
		if (mono_ms() >= next_rescan) {
			err = ct_source__rescan(s);
			if (err)
				die("rescan: %s", strerror(-err));
			ct_source__stats(s, &st);
			if (st.namespaces != namespaces) {
				namespaces = st.namespaces;
				printf("namespaces %" PRIu32 "\n", namespaces);
			}
			next_rescan = mono_ms() + RESCAN_INTERVAL_MS;
		}
		sleep_ms(DRAIN_INTERVAL_MS);
	}
	/* What came in the last interval. */
	err = ct_source__drain(s);
	if (err < 0)
		die("drain: %s", strerror(-err));
	ct_source__stats(s, &st);
	printf("stats events %" PRIu64 " nat %" PRIu64 " overruns %" PRIu64 " resyncs %" PRIu64
	       " resync_entries %" PRIu64 " namespaces %" PRIu32 "\n",
	       st.events, st.nat_events, st.overruns, st.resyncs, st.resync_entries,
	       st.namespaces);
	if (st.namespaces_failed || st.resync_failed)
		fprintf(stderr, "ctwatch: namespaces_failed %" PRIu32 " resync_failed %" PRIu64 "\n",
			st.namespaces_failed, st.resync_failed);
	ct_source__free(s);
	if (fflush(stdout))
		die("stdout: %s", strerror(errno));
	return 0;
}
