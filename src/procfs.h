/* SPDX-License-Identifier: GPL-2.0-only */
/* Small readers of /proc/PID files, shared by the process cache and the socket scan. */
#ifndef SOCKFLOW_PROCFS_H
#define SOCKFLOW_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* /proc/PID/stat: 52 numbers and a name of 64 bytes at most. */
#define PROCFS_STAT_MAX 2048

/*
 * What the start of /proc/PID/stat says about a process. comm points into
 * the buffer parsed (it is not NUL-terminated there); the caller copies
 * and cuts it as its field needs.
 */
struct procfs_stat {
	const char *comm;
	size_t comm_len;
	uint32_t ppid;
	uint64_t start_ticks;		/* field 22: ticks since boot (sysconf(_SC_CLK_TCK)) */
};

/*
 * Read at most @size bytes of @name under @dirfd (O_CLOEXEC). Returns the
 * length or a negative errno. Through a /proc/PID directory fd, the read
 * fails once that process has exited, even if its pid is reused.
 */
ssize_t procfs__read(int dirfd, const char *name, char *buf, size_t size);

/*
 * Parse /proc/PID/stat (@buf, NUL-terminated): "pid (comm) state ppid ...".
 * comm may hold spaces and parentheses, so it ends at the last ')'.
 * Returns 0 or -EINVAL.
 */
int procfs__parse_stat(const char *buf, struct procfs_stat *st);

/* The real uid from a /proc/PID/status text (@buf, NUL-terminated). 0 or -EINVAL. */
int procfs__parse_status_uid(const char *buf, uint32_t *uid);

/* sysconf(_SC_CLK_TCK), the unit of /proc start times; 100 if it cannot say. */
uint64_t procfs__ticks_per_sec(void);

/*
 * floor(ns * hz / 1e9) without overflow: how the kernel turns
 * task->start_boottime into field 22 of /proc/PID/stat (nsec_to_clock_t).
 */
uint64_t procfs__ns_to_ticks(uint64_t ns, uint64_t hz);

/*
 * The first ns of tick @ticks: ceil(ticks * 1e9 / hz), so that
 * procfs__ns_to_ticks() gives @ticks back for any hz.
 */
uint64_t procfs__ticks_to_ns(uint64_t ticks, uint64_t hz);

#endif
