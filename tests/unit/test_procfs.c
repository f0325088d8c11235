// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for procfs.c: stat and status parsing, tick <-> ns round trips, this process. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "procfs.h"

#define NSEC_PER_SEC 1000000000ull

/* Every tick, as ns and back, is the same tick; and the ns is the tick's first. */
static void test_ticks_round_trip(void)
{
	static const uint64_t hzs[] = { 100, 250, 300, 1000, 1024, 60, 7 };
	uint64_t base, t, ns;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(hzs); i++) {
		/* Around 0, and around 300 days of uptime. */
		for (base = 0; base <= 300ull * 86400 * hzs[i]; base += 300ull * 86400 * hzs[i]) {
			for (t = base; t < base + 3 * hzs[i] + 5; t++) {
				ns = procfs__ticks_to_ns(t, hzs[i]);
				g_assert_cmpuint(procfs__ns_to_ticks(ns, hzs[i]), ==, t);
				if (!ns)
					continue;
				g_assert_cmpuint(procfs__ns_to_ticks(ns - 1, hzs[i]), ==, t - 1);
			}
		}
	}
	/* USER_HZ 100: a tick is 10 ms exactly. */
	g_assert_cmpuint(procfs__ticks_to_ns(12345, 100), ==, 12345 * (NSEC_PER_SEC / 100));
}

static void test_parse_stat(void)
{
	struct procfs_stat st = { 0 };

	g_assert_cmpint(procfs__parse_stat("42 (a b) c)) S 7 42 42 0 -1 4194560 0 0 0 0 0 0 0 0"
					   " 20 0 1 0 123456 2445312 237\n", &st), ==, 0);
	g_assert_cmpuint(st.comm_len, ==, strlen("a b) c)"));
	g_assert_cmpint(memcmp(st.comm, "a b) c)", st.comm_len), ==, 0);
	g_assert_cmpuint(st.ppid, ==, 7);
	g_assert_cmpuint(st.start_ticks, ==, 123456);
	/* Cut before field 22, or a field that is no number. */
	g_assert_cmpint(procfs__parse_stat("42 (x) S 7 42 42 0\n", &st), ==, -EINVAL);
	g_assert_cmpint(procfs__parse_stat("42 (x) S 7x 42 42 0 -1 4194560 0 0 0 0 0 0 0 0"
					   " 20 0 1 0 123456\n", &st), ==, -EINVAL);
	g_assert_cmpint(procfs__parse_stat("42 x S 7\n", &st), ==, -EINVAL);
}

static void test_parse_status_uid(void)
{
	uint32_t uid = 1;

	g_assert_cmpint(procfs__parse_status_uid("Name:\tUid: 5\nUmask:\t0022\nState:\tS\n"
						 "Uid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
						 &uid), ==, 0);
	g_assert_cmpuint(uid, ==, 1000);
	g_assert_cmpint(procfs__parse_status_uid("Uid:\t0\t1\t1\t1\n", &uid), ==, 0);
	g_assert_cmpuint(uid, ==, 0);
	g_assert_cmpint(procfs__parse_status_uid("Name:\tx\nGid:\t0\n", &uid), ==, -EINVAL);
	g_assert_cmpint(procfs__parse_status_uid("Uid:\t\n", &uid), ==, -EINVAL);
	g_assert_cmpint(procfs__parse_status_uid("Uid:\t99999999999\t0\n", &uid), ==, -EINVAL);
}

/* This process, as the kernel shows it: its parent, its uid, a start time before now. */
static void test_self(void)
{
	char buf[PROCFS_STAT_MAX + 1], comm[32];
	struct procfs_stat st;
	uint32_t uid;
	ssize_t n;
	int dirfd;

	dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_assert_cmpint(dirfd, >=, 0);
	n = procfs__read(dirfd, "stat", buf, PROCFS_STAT_MAX);
	g_assert_cmpint(n, >, 0);
	buf[n] = '\0';
	g_assert_cmpint(procfs__parse_stat(buf, &st), ==, 0);
	g_assert_cmpuint(st.ppid, ==, (uint32_t)getppid());
	g_assert_cmpuint(st.comm_len, <, sizeof(comm));
	memcpy(comm, st.comm, st.comm_len);
	comm[st.comm_len] = '\0';
	g_assert_cmpstr(comm, ==, "test_procfs");
	n = procfs__read(dirfd, "status", buf, sizeof(buf) - 1);
	g_assert_cmpint(n, >, 0);
	buf[n] = '\0';
	g_assert_cmpint(procfs__parse_status_uid(buf, &uid), ==, 0);
	g_assert_cmpuint(uid, ==, (uint32_t)getuid());
	g_assert_cmpint(procfs__read(dirfd, "no-such-file", buf, 1), ==, -ENOENT);
	close(dirfd);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/procfs/ticks-round-trip", test_ticks_round_trip);
	g_test_add_func("/procfs/parse-stat", test_parse_stat);
	g_test_add_func("/procfs/parse-status-uid", test_parse_status_uid);
	g_test_add_func("/procfs/self", test_self);
	return g_test_run();
}
