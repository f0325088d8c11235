// SPDX-License-Identifier: GPL-2.0-only
/* Process identity cache: (pid, start time) -> executable, command line, parent, user. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "enrich/process.h"
#include "enrich/user.h"
#include "procfs.h"
#include "utf8.h"

/*
 * One process, named by its pid and its start time in clock ticks since
 * boot: the precision of /proc/PID/stat, so that kernel events (in ns) and
 * /proc name a process the same way. Two processes with one pid and one
 * start tick would need the pid space to wrap within a tick.
 *
 * Every entry is on exactly one age list: live (least recently used first)
 * or exited (earliest exit first). exe and cmdline are NULL when unknown and
 * otherwise already cut to fit their struct flow_process fields.
 */
struct process_entry {
	uint32_t pid;
	uint32_t ppid;			/* 0: unknown */
	uint64_t start_ticks;
	uint64_t parent_start_ticks;	/* valid when parent_start_known */
	bool parent_start_known;	/* seen being forked: the parent is named exactly */
	bool identity_known;		/* exe and cmdline came from exec, the parent or /proc */
	bool proc_tried;		/* /proc was read for it once; not again */
	bool exited;
	uint64_t exited_ns;
	char comm[FLOW_COMM_LEN];
	char *exe;
	char *cmdline;
	struct process_entry *same_pid;		/* next entry with this pid: earlier holders */
	struct process_entry *older, *newer;	/* neighbours on the live or the exited list */
};

struct entry_list {
	struct process_entry *oldest, *newest;
};

struct process_cache {
	char *proc_root;
	uint32_t max_entries;		/* 0: no bound */
	uint64_t exit_retention_ns;
	uint64_t ticks_per_sec;		/* sysconf(_SC_CLK_TCK), the unit of /proc start times */
	uint64_t now_ns;		/* latest time seen; exec events carry none */
	GHashTable *by_pid;		/* GUINT_TO_POINTER(pid) -> chain of entries via same_pid */
	size_t n_entries;
	struct entry_list live;
	struct entry_list exited;
	struct user_cache *users;
	uint64_t evictions;
};

/* What the start of /proc/PID/stat says about a process. */
struct proc_stat {
	char comm[FLOW_COMM_LEN];
	uint32_t ppid;
	uint64_t start_ticks;
};

/* The /proc/PID/stat tick that kernel time @ns falls in. */
static uint64_t ns_to_ticks(const struct process_cache *pc, uint64_t ns)
{
	return procfs__ns_to_ticks(ns, pc->ticks_per_sec);
}

static void clock_seen(struct process_cache *pc, uint64_t now_ns)
{
	if (now_ns > pc->now_ns)
		pc->now_ns = now_ns;
}

/*
 * A copy of what fits a field of @size bytes (at most FLOW_PATH_LEN), made
 * valid UTF-8 (IPFIX strings are UTF-8) and cut at a character boundary;
 * NULL for "" or no memory (both mean unknown).
 */
static char *text_dup(const char *src, size_t len, size_t size)
{
	char buf[MAX(FLOW_PATH_LEN, FLOW_CMDLINE_LEN)];

	if (!utf8__sanitize(buf, MIN(size, sizeof(buf)), src, len))
		return NULL;
	return strdup(buf);
}

static void field_set(char *dst, size_t size, const char *src)
{
	utf8__sanitize(dst, size, src ? src : "", src ? strlen(src) : 0);
}

static void str_set(char **dst, char *src)
{
	free(*dst);
	*dst = src;
}

static void list_unlink(struct entry_list *l, struct process_entry *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		l->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		l->newest = e->older;
	e->older = e->newer = NULL;
}

static void list_append(struct entry_list *l, struct process_entry *e)
{
	e->older = l->newest;
	e->newer = NULL;
	if (l->newest)
		l->newest->newer = e;
	else
		l->oldest = e;
	l->newest = e;
}

static struct entry_list *entry__list(struct process_cache *pc, const struct process_entry *e)
{
	return e->exited ? &pc->exited : &pc->live;
}

static struct process_entry *chain_head(const struct process_cache *pc, uint32_t pid)
{
	return g_hash_table_lookup(pc->by_pid, GUINT_TO_POINTER(pid));
}

static struct process_entry *entry__find(const struct process_cache *pc, uint32_t pid,
					 uint64_t start_ticks)
{
	struct process_entry *e;

	for (e = chain_head(pc, pid); e; e = e->same_pid) {
		if (e->start_ticks == start_ticks)
			return e;
	}
	return NULL;
}

/* Used now: the last live entry to be evicted. Exited entries keep their exit order. */
static void entry__touch(struct process_cache *pc, struct process_entry *e)
{
	if (e->exited)
		return;
	list_unlink(&pc->live, e);
	list_append(&pc->live, e);
}

static void entry__mark_exited(struct process_cache *pc, struct process_entry *e, uint64_t now_ns)
{
	list_unlink(&pc->live, e);
	e->exited = true;
	e->exited_ns = now_ns;
	list_append(&pc->exited, e);
}

static void entry__drop(struct process_cache *pc, struct process_entry *e)
{
	struct process_entry **link;
	gpointer key = GUINT_TO_POINTER(e->pid);
	struct process_entry *head = chain_head(pc, e->pid);

	if (head == e) {
		if (e->same_pid)
			g_hash_table_insert(pc->by_pid, key, e->same_pid);
		else
			g_hash_table_remove(pc->by_pid, key);
	} else {
		for (link = &head->same_pid; *link != e; link = &(*link)->same_pid)
			;
		*link = e->same_pid;
	}
	list_unlink(entry__list(pc, e), e);
	pc->n_entries--;
	free(e->exe);
	free(e->cmdline);
	free(e);
}

/* Make room for one more: the oldest exited process goes first, then the least used live one. */
static void process_cache__evict_one(struct process_cache *pc)
{
	struct process_entry *victim = pc->exited.oldest ? pc->exited.oldest : pc->live.oldest;

	if (!victim)
		return;
	entry__drop(pc, victim);
	pc->evictions++;
}

/*
 * A new, empty live entry; NULL when out of memory. It may evict any other
 * entry, so callers hold no other entry pointer across this call.
 */
static struct process_entry *entry__new(struct process_cache *pc, uint32_t pid,
					uint64_t start_ticks)
{
	struct process_entry *e;

	if (pc->max_entries && pc->n_entries >= pc->max_entries)
		process_cache__evict_one(pc);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->pid = pid;
	e->start_ticks = start_ticks;
	e->same_pid = chain_head(pc, pid);
	g_hash_table_insert(pc->by_pid, GUINT_TO_POINTER(pid), e);
	list_append(&pc->live, e);
	pc->n_entries++;
	return e;
}

/*
 * A process that started at @start_ticks holds @pid: every live entry of an
 * earlier holder has exited, even though its exit was never reported.
 */
static void process_cache__retire_pid(struct process_cache *pc, uint32_t pid,
				      uint64_t start_ticks)
{
	struct process_entry *e;

	for (e = chain_head(pc, pid); e; e = e->same_pid) {
		if (!e->exited && e->start_ticks < start_ticks)
			entry__mark_exited(pc, e, pc->now_ns);
	}
}

/* /proc/PID/stat, its comm cut to fit a cache field. */
static int proc_stat__parse(const char *buf, struct proc_stat *st)
{
	struct procfs_stat ps;
	int err;

	err = procfs__parse_stat(buf, &ps);
	if (err)
		return err;
	utf8__sanitize(st->comm, sizeof(st->comm), ps.comm, ps.comm_len);
	st->ppid = ps.ppid;
	st->start_ticks = ps.start_ticks;
	return 0;
}

/*
 * The executable, as the kernel names it. A binary deleted or replaced
 * since it started (a package upgrade, or a dropper that cleans up after
 * itself) reads "PATH (deleted)": the suffix is kept, as it is worth seeing.
 */
static char *proc_read_exe(int dirfd)
{
	char buf[FLOW_PATH_LEN];
	ssize_t n = readlinkat(dirfd, "exe", buf, sizeof(buf));

	return n > 0 ? text_dup(buf, (size_t)n, FLOW_PATH_LEN) : NULL;
}

/*
 * A command line from @len bytes of NUL-separated arguments (the kernel's
 * and /proc's form), joined by one space each (an empty argument shows as
 * two spaces, as ps shows it). @buf is changed in place.
 */
static char *args_join(char *buf, size_t len)
{
	size_t i;

	while (len && buf[len - 1] == '\0')
		len--;
	for (i = 0; i < len; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	return text_dup(buf, len, FLOW_CMDLINE_LEN);
}

/* The arguments from /proc; only what fits is read. */
static char *proc_read_cmdline(int dirfd)
{
	char buf[FLOW_CMDLINE_LEN];
	ssize_t n = procfs__read(dirfd, "cmdline", buf, sizeof(buf));

	return n > 0 ? args_join(buf, (size_t)n) : NULL;
}

/*
 * Read process @pid from /proc, if the one that holds the pid now started
 * between @min_ticks and @max_ticks; otherwise the pid names another
 * process and nothing is taken. Stat, exe and cmdline are read through one
 * directory fd, which stays bound to that process: if it exits and its pid
 * is reused meanwhile, the reads fail instead of describing the newcomer.
 * Returns the entry (created, or an existing one completed), or NULL.
 * May evict other entries.
 */
/*
 * Open /proc/@pid and read its stat into @st, if the process holding the
 * pid started between @min_ticks and @max_ticks: the directory fd, or -1.
 */
static int proc_open_checked(struct process_cache *pc, uint32_t pid, uint64_t min_ticks,
			     uint64_t max_ticks, struct proc_stat *st)
{
	char path[PATH_MAX], buf[PROCFS_STAT_MAX + 1];
	ssize_t n;
	int dirfd, len;

	len = snprintf(path, sizeof(path), "%s/%u", pc->proc_root, pid);
	if (len < 0 || (size_t)len >= sizeof(path))
		return -1;
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	n = procfs__read(dirfd, "stat", buf, PROCFS_STAT_MAX);
	if (n > 0) {
		buf[n] = '\0';
		if (proc_stat__parse(buf, st) == 0 && st->start_ticks >= min_ticks &&
		    st->start_ticks <= max_ticks)
			return dirfd;
	}
	close(dirfd);
	return -1;
}

static struct process_entry *process_cache__load(struct process_cache *pc, uint32_t pid,
						 uint64_t min_ticks, uint64_t max_ticks)
{
	struct process_entry *e = NULL;
	struct proc_stat st = { .ppid = 0 };
	char *exe, *cmdline;
	int dirfd;

	dirfd = proc_open_checked(pc, pid, min_ticks, max_ticks, &st);
	if (dirfd < 0)
		return NULL;
	exe = proc_read_exe(dirfd);
	cmdline = proc_read_cmdline(dirfd);

	e = entry__find(pc, pid, st.start_ticks);
	if (e && e->identity_known) {
		/* Already described by an exec or fork event: keep that. */
		free(exe);
		free(cmdline);
		goto out_close;
	}
	if (!e) {
		process_cache__retire_pid(pc, pid, st.start_ticks);
		e = entry__new(pc, pid, st.start_ticks);
	}
	if (!e) {
		free(exe);
		free(cmdline);
		goto out_close;
	}
	/* A fork event's ppid is the real parent; /proc's may be a reaper since. */
	if (!e->ppid)
		e->ppid = st.ppid;
	memcpy(e->comm, st.comm, sizeof(e->comm));
	str_set(&e->exe, exe);
	str_set(&e->cmdline, cmdline);
	e->identity_known = true;
	e->proc_tried = true;
out_close:
	close(dirfd);
	return e;
}

struct process_cache *process_cache__new(const struct process_cache_options *opts)
{
	struct process_cache *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return NULL;
	pc->proc_root = strdup(opts->proc_root ? opts->proc_root : "/proc");
	pc->users = user_cache__new();
	if (!pc->proc_root || !pc->users)
		goto err_free;
	pc->max_entries = opts->max_entries;
	pc->exit_retention_ns = opts->exit_retention_ns;
	pc->ticks_per_sec = procfs__ticks_per_sec();
	pc->by_pid = g_hash_table_new(g_direct_hash, g_direct_equal);
	return pc;

err_free:
	process_cache__free(pc);
	return NULL;
}

/*
 * The full path of what process (@pid, @ticks) runs, from /proc, if it is
 * still that process; NULL otherwise. For an execve() given a relative path.
 */
static char *proc_exe_now(struct process_cache *pc, uint32_t pid, uint64_t ticks)
{
	struct proc_stat st = { .ppid = 0 };
	char *exe;
	int dirfd;

	dirfd = proc_open_checked(pc, pid, ticks, ticks, &st);
	if (dirfd < 0)
		return NULL;
	exe = proc_read_exe(dirfd);
	close(dirfd);
	return exe;
}

void process_cache__exec(struct process_cache *pc, const struct process_exec *ev)
{
	char args[FLOW_CMDLINE_LEN];
	char *exe;
	uint64_t ticks = ns_to_ticks(pc, ev->start_boottime_ns);
	struct process_entry *e;

	if (!ev->pid)
		return;
	process_cache__retire_pid(pc, ev->pid, ticks);
	e = entry__find(pc, ev->pid, ticks);
	if (e)
		entry__touch(pc, e);
	else
		e = entry__new(pc, ev->pid, ticks);
	if (!e)
		return;
	/* Same process, new program: its parent stays, unless it was reparented. */
	if (e->ppid != ev->ppid)
		e->parent_start_known = false;
	e->ppid = ev->ppid;
	utf8__sanitize(e->comm, sizeof(e->comm), ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	/* A relative execve() path says little; the running process may tell the full one. */
	exe = ev->exe[0] == '/' ? NULL : proc_exe_now(pc, ev->pid, ticks);
	if (!exe)
		exe = text_dup(ev->exe, strnlen(ev->exe, sizeof(ev->exe)), FLOW_PATH_LEN);
	str_set(&e->exe, exe);
	memcpy(args, ev->args, sizeof(args));
	str_set(&e->cmdline, args_join(args, MIN(ev->args_len, sizeof(args))));
	e->identity_known = true;
}

void process_cache__fork(struct process_cache *pc, uint32_t parent_pid, uint64_t parent_start_ns,
			 uint32_t child_pid, uint64_t child_start_ns, uint64_t now_ns)
{
	uint64_t parent_ticks = ns_to_ticks(pc, parent_start_ns);
	uint64_t child_ticks = ns_to_ticks(pc, child_start_ns);
	struct process_entry *parent, *child;
	char comm[FLOW_COMM_LEN] = "";
	char *exe = NULL, *cmdline = NULL;
	bool known = false;

	clock_seen(pc, now_ns);
	/* A new thread is no new process; the kernel side should not send these. */
	if (!child_pid || child_pid == parent_pid)
		return;
	/*
	 * Copy what the child inherits first: making room for it may evict the
	 * parent. A parent that predates sockflow is read from /proc now, while
	 * it surely runs; the child may be gone before any record needs it.
	 */
	parent = entry__find(pc, parent_pid, parent_ticks);
	if (!parent || !parent->identity_known)
		parent = process_cache__load(pc, parent_pid, parent_ticks, parent_ticks);
	if (parent) {
		entry__touch(pc, parent);
		memcpy(comm, parent->comm, sizeof(comm));
		known = parent->identity_known;
		exe = parent->exe ? strdup(parent->exe) : NULL;
		cmdline = parent->cmdline ? strdup(parent->cmdline) : NULL;
	}
	process_cache__retire_pid(pc, child_pid, child_ticks);
	child = entry__find(pc, child_pid, child_ticks);
	if (!child) {
		child = entry__new(pc, child_pid, child_ticks);
	} else if (child->identity_known) {
		/* Its exec came first: keep the program it runs now. */
		known = false;
	}
	if (!child)
		goto out_free;
	child->ppid = parent_pid;
	child->parent_start_ticks = parent_ticks;
	child->parent_start_known = true;
	if (known) {
		memcpy(child->comm, comm, sizeof(child->comm));
		str_set(&child->exe, exe);
		str_set(&child->cmdline, cmdline);
		exe = cmdline = NULL;
		child->identity_known = true;
	}
	/* Otherwise process_cache__fill() reads /proc when it first needs the child. */
out_free:
	free(exe);
	free(cmdline);
}

void process_cache__exit(struct process_cache *pc, uint32_t pid, uint64_t start_boottime_ns,
			 uint64_t now_ns)
{
	struct process_entry *e = entry__find(pc, pid, ns_to_ticks(pc, start_boottime_ns));

	clock_seen(pc, now_ns);
	if (e && !e->exited)
		entry__mark_exited(pc, e, now_ns);
}

/*
 * The parent of a process that started at @child_ticks: the process that
 * held @ppid when the child started, the one that started last before it.
 * With @exact, the parent's own start is known (from the fork) and nothing
 * else will do. In /proc, a holder of @ppid that started no later than the
 * child is its parent: a later holder could only have started after the
 * parent exited, and so after the child started.
 */
static struct process_entry *process_cache__parent(struct process_cache *pc, uint32_t ppid,
						   uint64_t child_ticks, bool exact,
						   uint64_t parent_ticks)
{
	uint64_t lo = exact ? parent_ticks : 0, hi = exact ? parent_ticks : child_ticks;
	struct process_entry *e, *best = NULL;

	for (e = chain_head(pc, ppid); e; e = e->same_pid) {
		if (e->start_ticks >= lo && e->start_ticks <= hi &&
		    (!best || e->start_ticks > best->start_ticks))
			best = e;
	}
	if (best)
		entry__touch(pc, best);
	else
		best = process_cache__load(pc, ppid, lo, hi);
	return best;
}

/*
 * Returns 0 when the process itself is known (cached or found in /proc with
 * the same start time), else -ENOENT with exe and cmdline empty. user comes
 * from p->uid either way; parent_name stays as the kernel named it at the
 * event when it did, else comes from p->ppid: the kernel's own word at the
 * event, whatever became of the process since.
 */
int process_cache__fill(struct process_cache *pc, struct flow_process *p, uint64_t now_ns)
{
	uint64_t ticks = ns_to_ticks(pc, p->start_boottime_ns);
	uint64_t parent_ticks = 0;
	struct process_entry *e, *parent;
	bool parent_exact = false;
	int rc = -ENOENT;

	clock_seen(pc, now_ns);
	p->exe[0] = p->cmdline[0] = p->user[0] = '\0';
	if (!p->pid)
		return -ENOENT;
	/* the kernel's names are any bytes a process chose: valid UTF-8 from here on */
	utf8__sanitize_field(p->name, sizeof(p->name));
	utf8__sanitize_field(p->parent_name, sizeof(p->parent_name));
	field_set(p->user, sizeof(p->user), user_cache__name(pc->users, p->uid));

	e = entry__find(pc, p->pid, ticks);
	if (e && !e->identity_known && !e->proc_tried) {
		/* Forked from a parent we did not know: /proc has it, if it still runs. */
		e->proc_tried = true;
		process_cache__load(pc, p->pid, ticks, ticks);
	} else if (!e) {
		e = process_cache__load(pc, p->pid, ticks, ticks);
	}
	if (e) {
		entry__touch(pc, e);
		field_set(p->exe, sizeof(p->exe), e->exe);
		field_set(p->cmdline, sizeof(p->cmdline), e->cmdline);
		if (!p->ppid)
			p->ppid = e->ppid;
		if (e->parent_start_known && e->ppid == p->ppid) {
			parent_exact = true;
			parent_ticks = e->parent_start_ticks;
		}
		rc = 0;
	}
	/* From here on @e may be evicted by loading the parent. */
	if (p->ppid) {
		parent = process_cache__parent(pc, p->ppid, ticks, parent_exact, parent_ticks);
		/* The kernel named the parent at the event; a later exec may have renamed it. */
		if (parent && !p->parent_name[0])
			field_set(p->parent_name, sizeof(p->parent_name), parent->comm);
	}
	return rc;
}

void process_cache__expire(struct process_cache *pc, uint64_t now_ns)
{
	struct process_entry *e;

	clock_seen(pc, now_ns);
	while ((e = pc->exited.oldest)) {
		if (now_ns < e->exited_ns || now_ns - e->exited_ns < pc->exit_retention_ns)
			break;
		entry__drop(pc, e);
	}
}

size_t process_cache__size(const struct process_cache *pc)
{
	return pc->n_entries;
}

/*
 * Entries dropped to stay within max_entries (not those that expired).
 * Not yet declared in process.h; a stats getter would belong there.
 */
uint64_t process_cache__evictions(const struct process_cache *pc)
{
	return pc->evictions;
}

void process_cache__free(struct process_cache *pc)
{
	if (!pc)
		return;
	while (pc->live.oldest)
		entry__drop(pc, pc->live.oldest);
	while (pc->exited.oldest)
		entry__drop(pc, pc->exited.oldest);
	if (pc->by_pid)
		g_hash_table_destroy(pc->by_pid);
	user_cache__free(pc->users);
	free(pc->proc_root);
	free(pc);
}
