// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for process.c and user.c: events, /proc fallback, pid reuse, parents, bounds. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "enrich/process.h"
#include "enrich/user.h"

/* Not in process.h yet; see process.c. */
uint64_t process_cache__evictions(const struct process_cache *pc);

#define NSEC_PER_SEC 1000000000ull
#define RETENTION_NS (5 * NSEC_PER_SEC)

static char *tmp_dir;
static uint64_t hz;

/* A boot time in ns inside clock tick @ticks, off its edge to show the rounding. */
static uint64_t tick_ns(uint64_t ticks)
{
	return ticks * NSEC_PER_SEC / hz + NSEC_PER_SEC / hz / 2;
}

/* A fresh, empty /proc-like directory for one test (g_free). */
static char *fixture_root(void)
{
	static unsigned int n;
	char *root = g_strdup_printf("%s/proc%u", tmp_dir, n++);

	g_assert_cmpint(g_mkdir_with_parents(root, 0755), ==, 0);
	return root;
}

/*
 * /proc/<pid> as the kernel shows it: stat (52 fields, the ones read set),
 * exe (a symlink; NULL: none, as for a zombie) and cmdline (@cmdline_len
 * bytes, NULs included).
 */
static void fixture_process(const char *root, uint32_t pid, const char *comm, uint32_t ppid,
			    uint64_t start_ticks, const char *exe, const char *cmdline,
			    size_t cmdline_len)
{
	char *dir = g_strdup_printf("%s/%u", root, pid);
	char *path, *stat;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	stat = g_strdup_printf("%u (%s) S %u %u %u 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %" PRIu64
			       " 2445312 237 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0"
			       " 0 0 0 0 0 0 0 0 0 0\n",
			       pid, comm, ppid, pid, pid, start_ticks);
	path = g_strdup_printf("%s/stat", dir);
	g_assert_true(g_file_set_contents(path, stat, -1, NULL));
	g_free(path);
	path = g_strdup_printf("%s/cmdline", dir);
	g_assert_true(g_file_set_contents(path, cmdline ? cmdline : "", (gssize)cmdline_len, NULL));
	g_free(path);
	path = g_strdup_printf("%s/exe", dir);
	g_unlink(path);
	if (exe)
		g_assert_cmpint(symlink(exe, path), ==, 0);
	g_free(path);
	g_free(stat);
	g_free(dir);
}

static void fixture_remove(const char *root, uint32_t pid)
{
	static const char *const names[] = { "stat", "cmdline", "exe" };
	char *path;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		path = g_strdup_printf("%s/%u/%s", root, pid, names[i]);
		g_unlink(path);
		g_free(path);
	}
	path = g_strdup_printf("%s/%u", root, pid);
	g_assert_cmpint(g_rmdir(path), ==, 0);
	g_free(path);
}

static struct process_cache *cache_new(const char *root, uint32_t max_entries)
{
	struct process_cache_options opts = {
		.proc_root = root,
		.max_entries = max_entries,
		.exit_retention_ns = RETENTION_NS,
	};
	struct process_cache *pc = process_cache__new(&opts);

	g_assert_nonnull(pc);
	return pc;
}

static void exec_event(struct process_cache *pc, uint32_t pid, uint32_t ppid, uint64_t start_ticks,
		       const char *comm, const char *exe, const char *cmdline)
{
	struct process_exec e;

	memset(&e, 0, sizeof(e));
	e.pid = pid;
	e.ppid = ppid;
	e.start_boottime_ns = tick_ns(start_ticks);
	g_strlcpy(e.comm, comm, sizeof(e.comm));
	g_strlcpy(e.exe, exe, sizeof(e.exe));
	/* The kernel's form: arguments NUL-separated. */
	e.args_len = g_strlcpy(e.args, cmdline, sizeof(e.args));
	e.args_len = MIN(e.args_len, sizeof(e.args) - 1);
	for (size_t i = 0; i < e.args_len; i++)
		e.args[i] = e.args[i] == ' ' ? '\0' : e.args[i];
	process_cache__exec(pc, &e);
}

/* One flow end as the kernel reports it; the enrich fields start dirty on purpose. */
static struct flow_process flow_end(uint32_t pid, uint64_t start_ns, uint32_t ppid)
{
	struct flow_process p;

	memset(&p, 'x', sizeof(p));
	p.pid = pid;
	p.uid = 0;
	p.ppid = ppid;
	p.start_boottime_ns = start_ns;
	p.name[0] = '\0';
	p.parent_name[0] = '\0';	/* the kernel did not name the parent */
	return p;
}

static void assert_empty(const struct flow_process *p)
{
	g_assert_cmpstr(p->exe, ==, "");
	g_assert_cmpstr(p->cmdline, ==, "");
}

/* exec -> fill: the event's program, command line and user; ppid when the flow had none. */
static void test_exec_fill(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	struct flow_process p;

	exec_event(pc, 100, 1, 5000, "curl", "/usr/bin/curl", "curl -s http://127.0.0.1/");
	g_assert_cmpuint(process_cache__size(pc), ==, 1);

	/* Any ns inside the same clock tick names the same process. */
	p = flow_end(100, 5000 * NSEC_PER_SEC / hz, 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/bin/curl");
	g_assert_cmpstr(p.cmdline, ==, "curl -s http://127.0.0.1/");
	g_assert_cmpstr(p.user, ==, "root");
	g_assert_cmpuint(p.ppid, ==, 1);

	/* The kernel's ppid wins over the cached one. */
	p = flow_end(100, tick_ns(5000), 77);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpuint(p.ppid, ==, 77);

	/* One tick later is another process. */
	p = flow_end(100, 5001 * NSEC_PER_SEC / hz, 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, -ENOENT);
	assert_empty(&p);
	g_assert_cmpstr(p.parent_name, ==, "");

	/* pid 0 is "not on this host": nothing to say, not even the user. */
	p = flow_end(0, 0, 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, -ENOENT);
	g_assert_cmpstr(p.user, ==, "");
	assert_empty(&p);

	/* A second exec of the same process replaces the program. */
	exec_event(pc, 100, 1, 5000, "sh", "/bin/sh", "sh -c true");
	p = flow_end(100, tick_ns(5000), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/bin/sh");
	g_assert_cmpuint(process_cache__size(pc), ==, 1);

	process_cache__free(pc);
	g_free(root);
}

/* A forked child runs its parent's program until it execs. */
static void test_fork_inherits(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	struct flow_process p;

	exec_event(pc, 200, 1, 1000, "nginx", "/usr/sbin/nginx", "nginx: master process");
	process_cache__fork(pc, 200, tick_ns(1000), 201, tick_ns(1010), 10);
	p = flow_end(201, tick_ns(1010), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 11), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/sbin/nginx");
	g_assert_cmpstr(p.cmdline, ==, "nginx: master process");
	g_assert_cmpuint(p.ppid, ==, 200);
	g_assert_cmpstr(p.parent_name, ==, "nginx");

	/* Then it execs: its own program, same parent. */
	exec_event(pc, 201, 200, 1010, "helper", "/usr/lib/helper", "helper --once");
	p = flow_end(201, tick_ns(1010), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 12), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/lib/helper");
	g_assert_cmpstr(p.parent_name, ==, "nginx");

	/* An exec reported before the fork that made the process: the exec's program stays. */
	exec_event(pc, 202, 200, 1030, "late", "/usr/bin/late", "late");
	process_cache__fork(pc, 200, tick_ns(1000), 202, tick_ns(1030), 12);
	p = flow_end(202, tick_ns(1030), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 12), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/bin/late");
	g_assert_cmpstr(p.parent_name, ==, "nginx");

	/* A thread is not a process. */
	process_cache__fork(pc, 200, tick_ns(1000), 200, tick_ns(1020), 13);
	g_assert_cmpuint(process_cache__size(pc), ==, 3);

	process_cache__free(pc);
	g_free(root);
}

/* Forked from a parent the cache never saw: /proc is read for the child when first needed. */
static void test_fork_unknown_parent(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	struct flow_process p;

	fixture_process(root, 301, "worker", 300, 2000, "/opt/w/worker", "worker\0-v", 10);
	process_cache__fork(pc, 300, tick_ns(1500), 301, tick_ns(2000), 1);
	p = flow_end(301, tick_ns(2000), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 2), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/opt/w/worker");
	g_assert_cmpstr(p.cmdline, ==, "worker -v");
	g_assert_cmpuint(p.ppid, ==, 300);	/* from the fork, not from /proc */

	/* Gone from /proc before anyone asked, pid since reused: ppid known, program not. */
	fixture_process(root, 302, "other", 1, 2600, "/usr/bin/other", "other", 5);
	process_cache__fork(pc, 300, tick_ns(1500), 302, tick_ns(2500), 3);
	p = flow_end(302, tick_ns(2500), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 4), ==, 0);
	assert_empty(&p);
	g_assert_cmpuint(p.ppid, ==, 300);

	process_cache__free(pc);
	g_free(root);
}

/* An exited process stays for late records until its retention has passed. */
static void test_exit_retention(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	uint64_t exit_ns = 100 * NSEC_PER_SEC;
	struct flow_process p;

	exec_event(pc, 400, 1, 3000, "dig", "/usr/bin/dig", "dig @127.0.0.1 x");
	exec_event(pc, 401, 1, 3001, "sleep", "/bin/sleep", "sleep 100");
	process_cache__exit(pc, 400, tick_ns(3000), exit_ns);
	process_cache__exit(pc, 400, tick_ns(3999), exit_ns);	/* unknown: ignored */

	process_cache__expire(pc, exit_ns + RETENTION_NS - 1);
	g_assert_cmpuint(process_cache__size(pc), ==, 2);
	p = flow_end(400, tick_ns(3000), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, exit_ns + RETENTION_NS - 1), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/bin/dig");

	process_cache__expire(pc, exit_ns + RETENTION_NS);
	g_assert_cmpuint(process_cache__size(pc), ==, 1);
	p = flow_end(400, tick_ns(3000), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, exit_ns + RETENTION_NS), ==, -ENOENT);
	assert_empty(&p);

	/* Live processes never expire. */
	process_cache__expire(pc, UINT64_MAX);
	g_assert_cmpuint(process_cache__size(pc), ==, 1);

	process_cache__free(pc);
	g_free(root);
}

/* Same pid, other start time: another process, from neither the cache nor /proc. */
static void test_pid_reuse(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	struct flow_process p;

	/* Cached old holder; /proc shows it too. The flow is from a newer holder. */
	exec_event(pc, 500, 1, 4000, "old", "/usr/bin/old", "old");
	fixture_process(root, 500, "old", 1, 4000, "/usr/bin/old", "old", 3);
	p = flow_end(500, tick_ns(4100), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, -ENOENT);
	assert_empty(&p);
	g_assert_cmpuint(process_cache__size(pc), ==, 1);

	/* Not cached at all; /proc holds a newer process under the pid. */
	fixture_process(root, 510, "new", 1, 9000, "/usr/bin/new", "new", 3);
	p = flow_end(510, tick_ns(8000), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 2), ==, -ENOENT);
	assert_empty(&p);
	g_assert_cmpuint(process_cache__size(pc), ==, 1);

	/* The newer holder execs: the old one is retired, still known for its late records. */
	exec_event(pc, 500, 1, 4100, "new", "/usr/bin/new", "new");
	fixture_process(root, 500, "new", 1, 4100, "/usr/bin/new", "new", 3);
	g_assert_cmpuint(process_cache__size(pc), ==, 2);
	p = flow_end(500, tick_ns(4000), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 3), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/bin/old");
	p = flow_end(500, tick_ns(4100), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 3), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/bin/new");
	process_cache__expire(pc, 3 + RETENTION_NS);
	g_assert_cmpuint(process_cache__size(pc), ==, 1);
	p = flow_end(500, tick_ns(4000), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 4), ==, -ENOENT);

	/* /proc shows a newer holder than the cached one: the cached one has exited. */
	exec_event(pc, 520, 1, 100, "gone", "/usr/bin/gone", "gone");
	fixture_process(root, 520, "now", 1, 200, "/usr/bin/now", "now", 3);
	p = flow_end(520, tick_ns(200), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 4 + RETENTION_NS), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/bin/now");
	g_assert_cmpuint(process_cache__size(pc), ==, 3);
	process_cache__expire(pc, 4 + 2 * RETENTION_NS);
	g_assert_cmpuint(process_cache__size(pc), ==, 2);

	process_cache__free(pc);
	g_free(root);
}

/* A process older than sockflow: found in /proc when its start time matches, then cached. */
static void test_proc_fallback(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	struct flow_process p;

	fixture_process(root, 600, "sshd", 1, 700, "/usr/sbin/sshd (deleted)",
			"sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", 55);
	p = flow_end(600, tick_ns(700), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	/* Replaced since it started: the kernel's " (deleted)" is kept. */
	g_assert_cmpstr(p.exe, ==, "/usr/sbin/sshd (deleted)");
	g_assert_cmpstr(p.cmdline, ==, "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups");
	g_assert_cmpuint(p.ppid, ==, 1);
	g_assert_cmpuint(process_cache__size(pc), ==, 1);

	/* Now served from the cache. */
	fixture_remove(root, 600);
	p = flow_end(600, tick_ns(700), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 2), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/sbin/sshd (deleted)");

	/* A zombie: no exe link, empty cmdline; known, with empty fields. */
	fixture_process(root, 610, "defunct", 1, 710, NULL, NULL, 0);
	p = flow_end(610, tick_ns(710), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 3), ==, 0);
	assert_empty(&p);

	/* A comm with spaces and parentheses does not shift the fields after it. */
	fixture_process(root, 620, "a) (b", 1, 720, "/x", "x", 1);
	fixture_process(root, 621, "child", 620, 730, "/y", "y", 1);
	p = flow_end(621, tick_ns(730), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 4), ==, 0);
	g_assert_cmpuint(p.ppid, ==, 620);
	g_assert_cmpstr(p.parent_name, ==, "a) (b");

	process_cache__free(pc);
	g_free(root);
}

/* Malformed stat files are nobody's process. */
static void test_proc_malformed(void)
{
	static const char *const bad[] = {
		"",
		"650 (x S 1 650",
		"650 (x) S 1 650 650 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0",		/* no field 22 */
		"650 (x) S 1 650 650 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7x0 0",	/* garbage */
		"650 (x) S 1 650 650 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999 0",
		"650 (x) S 4294967296 650 650 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 740 0",
	};
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	struct flow_process p;
	char *path;
	size_t i;

	fixture_process(root, 650, "x", 1, 740, "/x", "x", 1);
	path = g_strdup_printf("%s/650/stat", root);
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_true(g_file_set_contents(path, bad[i], -1, NULL));
		p = flow_end(650, tick_ns(740), 0);
		g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, -ENOENT);
		assert_empty(&p);
	}
	g_assert_cmpuint(process_cache__size(pc), ==, 0);
	g_free(path);
	process_cache__free(pc);
	g_free(root);
}

/* NULs become single spaces, trailing ones go; long lines are cut whole characters. */
static void test_cmdline(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	char long_args[400], expect[FLOW_CMDLINE_LEN];
	struct flow_process p;

	fixture_process(root, 700, "a", 1, 10, "/a", "a\0b c\0\0d\0\0", 11);
	p = flow_end(700, tick_ns(10), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.cmdline, ==, "a b c  d");

	/* 254 ASCII bytes then "é" (2 bytes): it does not fit in 255, so it goes whole. */
	memset(long_args, 'q', sizeof(long_args));
	long_args[3] = '\0';
	memcpy(long_args + 254, "\xc3\xa9", 2);
	fixture_process(root, 701, "q", 1, 11, "/q", long_args, sizeof(long_args));
	p = flow_end(701, tick_ns(11), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	memset(expect, 'q', 254);
	expect[3] = ' ';
	expect[254] = '\0';
	g_assert_cmpstr(p.cmdline, ==, expect);

	/* Plain ASCII fills all 255 bytes. */
	long_args[254] = 'q';
	long_args[255] = 'q';
	fixture_process(root, 702, "q", 1, 12, "/q", long_args, sizeof(long_args));
	p = flow_end(702, tick_ns(12), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpuint(strlen(p.cmdline), ==, FLOW_CMDLINE_LEN - 1);
	g_assert_true(g_utf8_validate(p.cmdline, -1, NULL));

	/* An exec event's fields need not be NUL-terminated. */
	{
		struct process_exec e;

		memset(&e, 'z', sizeof(e));
		e.pid = 703;
		e.ppid = 1;
		e.start_boottime_ns = tick_ns(13);
		process_cache__exec(pc, &e);
		p = flow_end(703, tick_ns(13), 0);
		g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
		g_assert_cmpuint(strlen(p.exe), ==, FLOW_PATH_LEN - 1);
		g_assert_cmpuint(strlen(p.cmdline), ==, FLOW_CMDLINE_LEN - 1);
	}

	process_cache__free(pc);
	g_free(root);
}

/*
 * Names are any bytes a process chose: Latin-1 in the kernel's comm, the
 * path and the arguments, and in /proc's, come out as valid UTF-8 with
 * U+FFFD for each byte that starts no character.
 */
static void test_utf8(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	struct flow_process p;

	exec_event(pc, 800, 1, 20, "caf\xe9", "/opt/caf\xe9", "caf\xe9 --x \xc0\xaf");
	p = flow_end(800, tick_ns(20), 0);
	g_strlcpy(p.name, "caf\xe9", sizeof(p.name));
	g_strlcpy(p.parent_name, "\xff" "bash", sizeof(p.parent_name));
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.name, ==, "caf\xef\xbf\xbd");
	g_assert_cmpstr(p.parent_name, ==, "\xef\xbf\xbd" "bash");
	g_assert_cmpstr(p.exe, ==, "/opt/caf\xef\xbf\xbd");
	g_assert_cmpstr(p.cmdline, ==, "caf\xef\xbf\xbd --x \xef\xbf\xbd\xef\xbf\xbd");

	/* from /proc: comm in stat, the exe link, cmdline */
	fixture_process(root, 801, "n\xe9t", 1, 21, "/usr/bin/n\xe9t", "n\xe9t\0", 5);
	p = flow_end(801, tick_ns(21), 1);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/usr/bin/n\xef\xbf\xbdt");
	g_assert_cmpstr(p.cmdline, ==, "n\xef\xbf\xbdt");
	process_cache__free(pc);
	g_free(root);
}

static bool is_cached(struct process_cache *pc, uint32_t pid, uint64_t start_ticks)
{
	struct flow_process p = flow_end(pid, tick_ns(start_ticks), 0);

	/* The fixture /proc is empty: only the cache can answer. */
	return process_cache__fill(pc, &p, 1) == 0;
}

/* When full, the oldest exited process goes first, then the least recently used live one. */
static void test_eviction_order(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 3);

	exec_event(pc, 801, 1, 1, "a", "/a", "a");
	exec_event(pc, 802, 1, 2, "b", "/b", "b");
	exec_event(pc, 803, 1, 3, "c", "/c", "c");
	process_cache__exit(pc, 803, tick_ns(3), 10);
	process_cache__exit(pc, 802, tick_ns(2), 11);
	g_assert_cmpuint(process_cache__size(pc), ==, 3);

	exec_event(pc, 804, 1, 4, "d", "/d", "d");
	g_assert_cmpuint(process_cache__size(pc), ==, 3);
	g_assert_cmpuint(process_cache__evictions(pc), ==, 1);
	g_assert_false(is_cached(pc, 803, 3));	/* exited first */
	g_assert_true(is_cached(pc, 802, 2));
	g_assert_true(is_cached(pc, 801, 1));	/* the oldest, but live */

	exec_event(pc, 805, 1, 5, "e", "/e", "e");
	g_assert_false(is_cached(pc, 802, 2));	/* the other exited one */
	g_assert_true(is_cached(pc, 801, 1));

	/* Only live ones left: 804 is now the least recently used (801 was just filled). */
	exec_event(pc, 806, 1, 6, "f", "/f", "f");
	g_assert_false(is_cached(pc, 804, 4));
	g_assert_true(is_cached(pc, 801, 1));
	g_assert_true(is_cached(pc, 805, 5));
	g_assert_true(is_cached(pc, 806, 6));
	g_assert_cmpuint(process_cache__evictions(pc), ==, 3);
	g_assert_cmpuint(process_cache__size(pc), ==, 3);

	/* Expiry is no eviction. */
	process_cache__exit(pc, 801, tick_ns(1), 20);
	process_cache__expire(pc, 20 + RETENTION_NS);
	g_assert_cmpuint(process_cache__size(pc), ==, 2);
	g_assert_cmpuint(process_cache__evictions(pc), ==, 3);

	process_cache__free(pc);
	g_free(root);
}

/* parent_name: the cached parent first, else /proc's holder of ppid if it predates the child. */
static void test_parent_name(void)
{
	char *root = fixture_root();
	struct process_cache *pc = cache_new(root, 0);
	struct flow_process p;

	/* Both cached. */
	exec_event(pc, 900, 1, 100, "parentd", "/usr/sbin/parentd", "parentd");
	exec_event(pc, 901, 900, 110, "kid", "/usr/bin/kid", "kid");
	p = flow_end(901, tick_ns(110), 900);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.parent_name, ==, "parentd");

	/* The parent as the kernel named it at the event wins: it may have exec'd since. */
	p = flow_end(901, tick_ns(110), 900);
	snprintf(p.parent_name, sizeof(p.parent_name), "sh");
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.parent_name, ==, "sh");

	/* The parent only in /proc, started before the child: read and cached. */
	fixture_process(root, 910, "bash", 1, 50, "/bin/bash", "-bash", 5);
	exec_event(pc, 911, 910, 120, "ls", "/bin/ls", "ls");
	p = flow_end(911, tick_ns(120), 910);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.parent_name, ==, "bash");
	g_assert_cmpuint(process_cache__size(pc), ==, 4);

	/* /proc's holder of the ppid started after the child: not its parent. */
	fixture_process(root, 920, "impostor", 1, 500, "/bin/i", "i", 1);
	exec_event(pc, 921, 920, 130, "orphan", "/bin/o", "o");
	p = flow_end(921, tick_ns(130), 920);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.parent_name, ==, "");

	/* Two cached holders of one pid: the last one to start before the child. */
	exec_event(pc, 930, 1, 10, "first", "/1", "1");
	exec_event(pc, 930, 1, 60, "second", "/2", "2");
	exec_event(pc, 931, 930, 70, "c1", "/c", "c");
	exec_event(pc, 932, 930, 40, "c2", "/c", "c");
	p = flow_end(931, tick_ns(70), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.parent_name, ==, "second");
	p = flow_end(932, tick_ns(40), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.parent_name, ==, "first");

	/* Forked: the parent is named by its start time; a later holder of its pid is not it. */
	exec_event(pc, 940, 1, 200, "spawner", "/s", "s");
	process_cache__fork(pc, 940, tick_ns(200), 941, tick_ns(210), 2);
	process_cache__exit(pc, 940, tick_ns(200), 3);
	process_cache__expire(pc, 3 + RETENTION_NS);
	exec_event(pc, 940, 1, 220, "later", "/l", "l");
	/* An earlier holder of the pid, reported late. */
	exec_event(pc, 940, 1, 150, "ancient", "/a", "a");
	p = flow_end(941, tick_ns(210), 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 4), ==, 0);
	g_assert_cmpstr(p.exe, ==, "/s");
	g_assert_cmpuint(p.ppid, ==, 940);
	g_assert_cmpstr(p.parent_name, ==, "");

	/* The process unknown, its parent known: the user and parent name still come. */
	p = flow_end(999, tick_ns(400), 900);
	g_assert_cmpint(process_cache__fill(pc, &p, 5), ==, -ENOENT);
	assert_empty(&p);
	g_assert_cmpstr(p.parent_name, ==, "parentd");
	g_assert_cmpstr(p.user, ==, "root");

	process_cache__free(pc);
	g_free(root);
}

/* A uid the passwd database does not know, or G_MAXUINT32 if all are known. */
static uint32_t unknown_uid(void)
{
	uint32_t uid;

	for (uid = 3999999999u; uid > 3999999000u; uid--) {
		if (!getpwuid(uid))
			return uid;
	}
	return G_MAXUINT32;
}

static void test_user_cache(void)
{
	struct user_cache *uc = user_cache__new();
	uint32_t nobody = unknown_uid();

	g_assert_nonnull(uc);
	g_assert_cmpstr(user_cache__name(uc, 0), ==, "root");
	g_assert_cmpstr(user_cache__name(uc, 0), ==, "root");
	g_assert_cmpuint(user_cache__size(uc), ==, 1);
	g_assert_cmpstr(user_cache__name(uc, nobody), ==, "");
	g_assert_cmpuint(user_cache__size(uc), ==, 2);	/* the miss is cached too */
	g_assert_cmpstr(user_cache__name(uc, nobody), ==, "");
	g_assert_cmpuint(user_cache__size(uc), ==, 2);
	user_cache__free(uc);
	user_cache__free(NULL);
}

/* Field 22 of /proc/self/stat, in clock ticks. */
static uint64_t self_start_ticks(void)
{
	char *text = NULL, **fields;
	uint64_t ticks;

	g_assert_true(g_file_get_contents("/proc/self/stat", &text, NULL, NULL));
	fields = g_strsplit(strrchr(text, ')') + 2, " ", -1);
	/* fields[0] is field 3 (state), so field 22 is fields[19]. */
	g_assert_cmpuint(g_strv_length(fields), >, 19);
	g_assert_true(g_ascii_string_to_unsigned(fields[19], 10, 0, G_MAXUINT64, &ticks, NULL));
	g_strfreev(fields);
	g_free(text);
	return ticks;
}

/* The test itself, through the real /proc. */
static void test_real_proc(void)
{
	struct process_cache *pc = cache_new("/proc", 0);
	uint64_t ticks = self_start_ticks();
	char expect[PATH_MAX], *parent_comm = NULL, *path;
	struct flow_process p;
	ssize_t n;
	int dirfd;

	/*
	 * Expected exe through /proc/PID as a directory: valgrind answers a
	 * plain readlink("/proc/self/exe") with its client's path instead.
	 */
	path = g_strdup_printf("/proc/%d", getpid());
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_assert_cmpint(dirfd, >=, 0);
	n = readlinkat(dirfd, "exe", expect, sizeof(expect) - 1);
	g_assert_cmpint(n, >, 0);
	expect[n] = '\0';
	close(dirfd);
	g_free(path);

	p = flow_end((uint32_t)getpid(), ticks * NSEC_PER_SEC / hz, 0);
	p.uid = (uint32_t)getuid();
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, 0);
	g_assert_cmpstr(p.exe, ==, expect);
	g_assert_nonnull(strstr(p.cmdline, "test_process"));
	g_assert_cmpuint(p.ppid, ==, (uint32_t)getppid());

	path = g_strdup_printf("/proc/%d/comm", getppid());
	g_assert_true(g_file_get_contents(path, &parent_comm, NULL, NULL));
	g_strchomp(parent_comm);
	g_assert_cmpstr(p.parent_name, ==, parent_comm);
	g_free(parent_comm);
	g_free(path);

	/* One tick off: not this process. */
	p = flow_end((uint32_t)getpid(), (ticks + 1) * NSEC_PER_SEC / hz, 0);
	process_cache__free(pc);
	pc = cache_new("/proc", 0);
	g_assert_cmpint(process_cache__fill(pc, &p, 1), ==, -ENOENT);
	assert_empty(&p);
	process_cache__free(pc);
}

/* rm -r of the fixture trees, which hold directories, files and symlinks only. */
static void remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;
	char *child;

	if (dir) {
		while ((name = g_dir_read_name(dir))) {
			child = g_build_filename(path, name, NULL);
			if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
				remove_tree(child);
			else
				g_unlink(child);
			g_free(child);
		}
		g_dir_close(dir);
	}
	g_rmdir(path);
}

int main(int argc, char **argv)
{
	long ticks = sysconf(_SC_CLK_TCK);
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(ticks, >, 0);
	hz = (uint64_t)ticks;
	tmp_dir = g_dir_make_tmp("test_process-XXXXXX", NULL);
	g_assert_nonnull(tmp_dir);

	g_test_add_func("/process/exec-fill", test_exec_fill);
	g_test_add_func("/process/fork-inherits", test_fork_inherits);
	g_test_add_func("/process/fork-unknown-parent", test_fork_unknown_parent);
	g_test_add_func("/process/exit-retention", test_exit_retention);
	g_test_add_func("/process/pid-reuse", test_pid_reuse);
	g_test_add_func("/process/proc-fallback", test_proc_fallback);
	g_test_add_func("/process/proc-malformed", test_proc_malformed);
	g_test_add_func("/process/cmdline", test_cmdline);
	g_test_add_func("/process/utf8", test_utf8);
	g_test_add_func("/process/eviction-order", test_eviction_order);
	g_test_add_func("/process/parent-name", test_parent_name);
	g_test_add_func("/process/real-proc", test_real_proc);
	g_test_add_func("/user/cache", test_user_cache);
	rc = g_test_run();

	remove_tree(tmp_dir);
	g_free(tmp_dir);
	return rc;
}
