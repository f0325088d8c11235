/* SPDX-License-Identifier: GPL-2.0-only */
/* Process identity cache: (pid, start time) -> executable, command line, parent, user. */
#ifndef SOCKFLOW_ENRICH_PROCESS_H
#define SOCKFLOW_ENRICH_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "flow/record.h"

struct process_cache;

struct process_cache_options {
	const char *proc_root;		/* "/proc"; tests point it at a fixture tree */
	uint32_t max_entries;		/* bound; the oldest exited entries go first */
	uint64_t exit_retention_ns;	/* keep an exited process this long for late records */
};

/* What the kernel reports when a process execs (sched_process_exec). */
struct process_exec {
	uint32_t pid;
	uint32_t ppid;
	uint32_t uid;
	uint64_t start_boottime_ns;
	char comm[FLOW_COMM_LEN];
	char exe[FLOW_PATH_LEN];	/* the path exec'd, as the kernel resolved it */
	char args[FLOW_CMDLINE_LEN];	/* arguments NUL-separated, as the kernel keeps them */
	size_t args_len;		/* bytes of args used */
};

struct process_cache *process_cache__new(const struct process_cache_options *opts);

/* A process exec'd: it now runs @e->exe (replaces what was cached for the pid). */
void process_cache__exec(struct process_cache *pc, const struct process_exec *e);

/* A process forked: the child runs its parent's program until it execs. */
void process_cache__fork(struct process_cache *pc, uint32_t parent_pid, uint64_t parent_start_ns,
			 uint32_t child_pid, uint64_t child_start_ns, uint64_t now_ns);

/* A process exited: kept for exit_retention_ns more, then dropped. */
void process_cache__exit(struct process_cache *pc, uint32_t pid, uint64_t start_boottime_ns,
			 uint64_t now_ns);

/*
 * Fill exe, cmdline, parent_name (and ppid when 0) and user of @p from the
 * cache, or from /proc when the process predates sockflow and still runs
 * (its start time is checked, so a reused pid is never taken for the old
 * process). Returns 0, or -ENOENT when nothing is known (fields left empty).
 */
int process_cache__fill(struct process_cache *pc, struct flow_process *p, uint64_t now_ns);

/* Drop exited entries whose retention has passed. */
void process_cache__expire(struct process_cache *pc, uint64_t now_ns);

size_t process_cache__size(const struct process_cache *pc);

void process_cache__free(struct process_cache *pc);

#endif
