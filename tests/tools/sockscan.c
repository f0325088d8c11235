// SPDX-License-Identifier: GPL-2.0-only
/* sockscan: run the start-up socket scan from the command line, one line per socket. */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "source/sockscan.h"

#define TOOL_NAME "sockscan"
#include "tool.h"

static void usage(FILE *f)
{
	fputs("usage: sockscan [--proc DIR] [--netns-dir DIR] [--quiet] [--repeat N] [--debug]\n"
	      "\n"
	      "Scan every network namespace's TCP and UDP sockets and their owners, as sockflow\n"
	      "does at start, and print one line per socket (listeners first), fields separated\n"
	      "by single spaces:\n"
	      "  PROTO STATE NETNS LOCAL REMOTE COOKIE INODE UID PID COMM OWNER_UID PPID\n"
	      "  PARENT_COMM START_NS CGROUP_ID\n"
	      "PROTO tcp or udp; STATE as ss names it (LISTEN, ESTAB, UNCONN, ...); LOCAL and\n"
	      "REMOTE ADDR:PORT, IPv6 [ADDR]:PORT, port 0 as 0; COOKIE in hex, as ss -e prints\n"
	      "sk:COOKIE; UID the socket's; PID 0 when no process holds it (then COMM,\n"
	      "PARENT_COMM \"-\" and OWNER_UID, PPID, START_NS 0). Names escape bytes outside\n"
	      "'!'..'~' and '\\' as \\xHH; empty ones are \"-\". Then a summary line:\n"
	      "  namespaces N lost N sockets N owned N orphans N processes N vanished N\n"
	      "  failed N ms X\n"
	      "--quiet prints the summary only; --repeat N scans N times (one summary each).\n",
	      f);
}

/* ss's names for the states sock_diag reports. */
static const char *state_name(uint8_t state)
{
	static const char *const names[] = {
		[TCP_ESTABLISHED] = "ESTAB",	  [TCP_SYN_SENT] = "SYN-SENT",
		[TCP_SYN_RECV] = "SYN-RECV",	  [TCP_FIN_WAIT1] = "FIN-WAIT-1",
		[TCP_FIN_WAIT2] = "FIN-WAIT-2",	  [TCP_TIME_WAIT] = "TIME-WAIT",
		[TCP_CLOSE] = "UNCONN",		  [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
		[TCP_LAST_ACK] = "LAST-ACK",	  [TCP_LISTEN] = "LISTEN",
		[TCP_CLOSING] = "CLOSING",
	};

	return state < sizeof(names) / sizeof(names[0]) && names[state] ? names[state] : "UNKNOWN";
}

static void endpoint_print(uint16_t family, const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, a, sizeof(a));
	printf(family == AF_INET6 ? " [%s]:%u" : " %s:%u", a, port);
}

/* A name of at most @size bytes, escaped so that it is one field. */
static void name_print(const char *s, size_t size)
{
	size_t i;

	putchar(' ');
	if (!s[0]) {
		putchar('-');
		return;
	}
	for (i = 0; i < size && s[i]; i++) {
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '\\')
			printf("\\x%02x", (unsigned char)s[i]);
		else
			putchar(s[i]);
	}
}

static void socket_print(void *ctx, const struct sockscan_socket *s)
{
	const struct sf_proc *o = &s->owner;

	if (*(const bool *)ctx)
		return;
	printf("%s %s %" PRIu32, s->tuple.protocol == IPPROTO_TCP ? "tcp" : "udp",
	       state_name(s->state), s->tuple.netns_ino);
	endpoint_print(s->tuple.family, s->tuple.local_addr, s->tuple.local_port);
	endpoint_print(s->tuple.family, s->tuple.remote_addr, s->tuple.remote_port);
	printf(" %" PRIx64 " %" PRIu32 " %" PRIu32 " %" PRIu32, s->cookie, s->inode, s->uid,
	       o->tgid);
	name_print(o->comm, sizeof(o->comm));
	printf(" %" PRIu32 " %" PRIu32, o->uid, o->ppid);
	name_print(o->parent_comm, sizeof(o->parent_comm));
	printf(" %" PRIu64 " %" PRIu64 "\n", (uint64_t)o->start_boottime_ns,
	       (uint64_t)o->cgroup_id);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "proc", required_argument, NULL, 'p' },
		{ "netns-dir", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockscan_options so = { .proc_root = "/proc", .netns_dir = "/run/netns" };
	struct sockscan_stats st;
	uint64_t repeat = 1, i;
	bool quiet = false;
	int c, err;

	log_set_level(SF_LOG_WARN);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			so.proc_root = optarg;
			break;
		case 'n':
			so.netns_dir = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'r':
			repeat = arg_u64("--repeat", optarg, 1, UINT32_MAX);
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
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	for (i = 0; i < repeat; i++) {
		err = sockscan__run(&so, socket_print, &quiet, &st);
		if (err)
			die("scan %" PRIu64 ": %s", i + 1, strerror(-err));
		printf("namespaces %" PRIu32 " lost %" PRIu32 " sockets %" PRIu64 " owned %" PRIu64
		       " orphans %" PRIu64 " processes %" PRIu32 " vanished %" PRIu32
		       " failed %" PRIu32 " ms %.3f\n",
		       st.namespaces, st.namespaces_lost, st.sockets, st.owned, st.orphans,
		       st.processes, st.processes_vanished, st.processes_failed,
		       (double)st.duration_ns / 1e6);
	}
	if (fflush(stdout))
		die("stdout: %s", strerror(errno));
	return 0;
}
