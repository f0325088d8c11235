// SPDX-License-Identifier: GPL-2.0-only
/* Sockets open before start: every TCP and UDP socket of every network namespace, and its owner. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "clock.h"
#include "log.h"
#include "procfs.h"
#include "source/diag.h"
#include "source/sockscan.h"

#define NSEC_PER_SEC 1000000000ull

/* LISTEN and what connection_state() in bpf/sockflow.bpf.c counts, TIME_WAIT aside: no owner. */
#define SCAN_TCP_STATES                                                                     \
	(1u << TCP_LISTEN | 1u << TCP_SYN_SENT | 1u << TCP_ESTABLISHED | 1u << TCP_FIN_WAIT1 | \
	 1u << TCP_FIN_WAIT2 | 1u << TCP_CLOSING | 1u << TCP_LAST_ACK | 1u << TCP_CLOSE_WAIT)
/* A UDP socket is ESTABLISHED once connected, CLOSE otherwise. */
#define SCAN_UDP_STATES (1u << TCP_ESTABLISHED | 1u << TCP_CLOSE)

/* "socket:[4294967295]" and a byte to tell a longer link from it. */
#define FD_LINK_MAX 32
/* /proc/PID/status up to its Uid: line, with a comm of 64 escaped bytes before it. */
#define STATUS_HEAD_MAX 1024

/*
 * One scan: the sockets dumped (TCP first, then UDP, in dump order) and
 * those of them still without an owner, by inode.
 */
struct scan {
	GArray *socks;			/* struct sockscan_socket */
	GHashTable *by_inode;		/* GUINT_TO_POINTER(inode) -> GUINT_TO_POINTER(index + 1) */
	const char *proc_root;
	uint64_t hz;
	uint64_t orphans;
	uint32_t unowned;		/* entries left in by_inode */
};

/* What the walk knows of the process whose fds it reads. */
struct holder {
	uint32_t pid;
	int dirfd;			/* /proc/PID: bound to this process, not to the number */
	bool read;			/* identity read into proc */
	bool gone;			/* could not be read: claims nothing */
	struct sf_proc proc;
};

/* Closed by its process, not yet gone: the states close() leads to, with no inode left. */
static bool tcp_orphan(const struct diag_socket *d)
{
	return !d->inode && (d->state == TCP_FIN_WAIT1 || d->state == TCP_FIN_WAIT2 ||
			     d->state == TCP_CLOSING || d->state == TCP_LAST_ACK);
}

static void scan__add(void *ctx, const struct diag_socket *d)
{
	struct scan *sc = ctx;
	struct sockscan_socket s = { 0 };
	gpointer key = GUINT_TO_POINTER(d->inode);

	if (d->tuple.protocol == IPPROTO_TCP && tcp_orphan(d)) {
		sc->orphans++;
		return;
	}
	/* A namespace is dumped once per protocol; this only guards the index. */
	if (d->inode && g_hash_table_contains(sc->by_inode, key))
		return;
	s.cookie = d->cookie;
	s.tuple = d->tuple;
	s.state = d->state;
	s.listener = d->tuple.protocol == IPPROTO_TCP && d->state == TCP_LISTEN;
	s.inode = d->inode;
	s.uid = d->uid;
	s.owner.cgroup_id = d->cgroup_id;
	g_array_append_val(sc->socks, s);
	if (d->inode) {
		g_hash_table_insert(sc->by_inode, key, GUINT_TO_POINTER(sc->socks->len));
		sc->unowned++;
	}
}

/* Copy a comm of @len bytes into a field of SF_COMM_LEN, cut as the kernel cuts it. */
static void comm_copy(char *dst, const char *src, size_t len)
{
	if (len > SF_COMM_LEN - 1)
		len = SF_COMM_LEN - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int stat_read(int dirfd, char *buf, struct procfs_stat *st)
{
	ssize_t n = procfs__read(dirfd, "stat", buf, PROCFS_STAT_MAX);

	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return procfs__parse_stat(buf, st);
}

/*
 * The parent's comm, if the process holding @ppid started no later than its
 * child (@child_ticks): a later holder of the number would be a newcomer
 * after the parent exited, and the child would have been reparented.
 */
static void parent_comm_read(const struct scan *sc, uint32_t ppid, uint64_t child_ticks,
			     char *out)
{
	char path[PATH_MAX], buf[PROCFS_STAT_MAX + 1];
	struct procfs_stat st;
	int dirfd;

	out[0] = '\0';
	if (!ppid)
		return;
	if (snprintf(path, sizeof(path), "%s/%u", sc->proc_root, ppid) >= (int)sizeof(path))
		return;
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	if (!stat_read(dirfd, buf, &st) && st.start_ticks <= child_ticks)
		comm_copy(out, st.comm, st.comm_len);
	close(dirfd);
}

/*
 * The identity of @h, as the BPF side's proc_of_task() takes it from the
 * task: stat and status through the process's own directory fd, so that a
 * pid reused meanwhile makes the reads fail instead of naming a newcomer.
 */
static int holder__read(const struct scan *sc, struct holder *h)
{
	char buf[PROCFS_STAT_MAX + 1];
	struct procfs_stat st;
	ssize_t n;
	int err;

	err = stat_read(h->dirfd, buf, &st);
	if (err)
		return err;
	h->proc.tgid = h->pid;
	h->proc.ppid = st.ppid;
	h->proc.start_boottime_ns = procfs__ticks_to_ns(st.start_ticks, sc->hz);
	comm_copy(h->proc.comm, st.comm, st.comm_len);
	n = procfs__read(h->dirfd, "status", buf, STATUS_HEAD_MAX);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	err = procfs__parse_status_uid(buf, &h->proc.uid);
	if (err)
		return err;
	parent_comm_read(sc, st.ppid, st.start_ticks, h->proc.parent_comm);
	return 0;
}

/* "socket:[INODE]": the inode, or 0 for any other link. */
static uint32_t socket_link_inode(const char *link, size_t len)
{
	static const char prefix[] = "socket:[";
	const size_t plen = sizeof(prefix) - 1;
	uint64_t v = 0;
	size_t i;

	if (len < plen + 2 || memcmp(link, prefix, plen) || link[len - 1] != ']')
		return 0;
	for (i = plen; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	return (uint32_t)v;
}

/*
 * Give @h the sockets among its open files that have no owner yet. Its
 * identity is read at its first such socket only. Returns 0, or the
 * -errno that made it unreadable (then it claimed nothing).
 */
static int holder__claim(struct scan *sc, struct holder *h)
{
	struct sockscan_socket *s;
	char link[FD_LINK_MAX];
	struct dirent *de;
	uint64_t cgroup_id;
	uint32_t inode;
	gpointer idx;
	ssize_t n;
	int fd, err = 0;
	DIR *d;

	fd = openat(h->dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while (sc->unowned && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link));
		/* A link as long as the buffer was cut: no socket link is that long. */
		if (n <= 0 || (size_t)n >= sizeof(link))
			continue;
		inode = socket_link_inode(link, (size_t)n);
		if (!inode)
			continue;
		idx = g_hash_table_lookup(sc->by_inode, GUINT_TO_POINTER(inode));
		if (!idx)
			continue;
		if (!h->read) {
			err = holder__read(sc, h);
			if (err)
				break;
			h->read = true;
		}
		s = &g_array_index(sc->socks, struct sockscan_socket, GPOINTER_TO_UINT(idx) - 1);
		cgroup_id = s->owner.cgroup_id;
		s->owner = h->proc;
		s->owner.cgroup_id = cgroup_id;
		g_hash_table_remove(sc->by_inode, GUINT_TO_POINTER(inode));
		sc->unowned--;
	}
	closedir(d);
	return err;
}

/* A pid as /proc names it: digits only, no leading zero, in range. */
static uint32_t pid_parse(const char *name)
{
	uint64_t v = 0;
	const char *p;

	if (name[0] < '1' || name[0] > '9')
		return 0;
	for (p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	return (uint32_t)v;
}

/*
 * Every process under proc_root, in the order /proc lists them (ascending
 * pids, thread-group leaders only), until every socket has an owner. A
 * thread that unshared its file table (CLONE_FILES off) and holds sockets
 * its leader does not is not seen; nor are they when the leader has exited
 * before its threads. ss -p has the same blind spots.
 */
static int scan__owners(struct scan *sc, struct sockscan_stats *st)
{
	struct dirent *de;
	struct holder h;
	uint32_t pid;
	int err;
	DIR *d;

	d = opendir(sc->proc_root);
	if (!d)
		return -errno;
	while (sc->unowned && (de = readdir(d))) {
		pid = pid_parse(de->d_name);
		if (!pid)
			continue;
		memset(&h, 0, sizeof(h));
		h.pid = pid;
		h.dirfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = h.dirfd < 0 ? -errno : holder__claim(sc, &h);
		if (h.dirfd >= 0)
			close(h.dirfd);
		st->processes++;
		if (err == -ENOENT || err == -ESRCH) {
			st->processes_vanished++;
			log_debug("sockscan: pid %u exited while read, ignoring", pid);
		} else if (err) {
			st->processes_failed++;
			log_debug("sockscan: pid %u: %s, ignoring", pid, strerror(-err));
		}
	}
	closedir(d);
	return 0;
}

/* One dump of every namespace's sockets of @protocol into @sc. */
static int scan__dump(struct scan *sc, const struct sockscan_options *o, uint8_t protocol,
		      uint32_t states, struct diag_poll_stats *dst)
{
	struct diag_poller_options po = {
		.proc_root = o->proc_root,
		.netns_dir = o->netns_dir,
		.states = states,
		.protocol = protocol,
	};
	struct diag_poller *p;
	int err;

	err = diag_poller__new(&p, &po);
	if (err)
		return err;
	err = diag_poller__poll(p, scan__add, sc, dst);
	diag_poller__free(p);
	return err;
}

static void scan__emit(const struct scan *sc, bool listeners, sockscan_fn fn, void *ctx,
		       struct sockscan_stats *st)
{
	const struct sockscan_socket *s;
	guint i;

	for (i = 0; i < sc->socks->len; i++) {
		s = &g_array_index(sc->socks, struct sockscan_socket, i);
		if (s->listener != listeners)
			continue;
		fn(ctx, s);
		st->sockets++;
		if (s->owner.tgid)
			st->owned++;
	}
}

int sockscan__run(const struct sockscan_options *o, sockscan_fn fn, void *ctx,
		  struct sockscan_stats *st)
{
	struct scan sc = {
		.proc_root = o->proc_root ? o->proc_root : "/proc",
		.hz = procfs__ticks_per_sec(),
	};
	struct diag_poll_stats tcp, udp;
	uint64_t start = now_ns();
	int err;

	memset(st, 0, sizeof(*st));
	sc.socks = g_array_new(FALSE, FALSE, sizeof(struct sockscan_socket));
	sc.by_inode = g_hash_table_new(g_direct_hash, g_direct_equal);
	/* TCP first: the array keeps dump order, and emits TCP before UDP. */
	err = scan__dump(&sc, o, IPPROTO_TCP, SCAN_TCP_STATES, &tcp);
	if (err)
		goto out_free;
	err = scan__dump(&sc, o, IPPROTO_UDP, SCAN_UDP_STATES, &udp);
	if (err)
		goto out_free;
	st->namespaces = tcp.namespaces;
	st->namespaces_lost = tcp.namespaces_vanished + tcp.namespaces_failed +
			      udp.namespaces_vanished + udp.namespaces_failed;
	st->orphans = sc.orphans;
	/* The dumps come first: a socket made after them has no entry for the walk to fill. */
	err = scan__owners(&sc, st);
	if (err)
		goto out_free;
	scan__emit(&sc, true, fn, ctx, st);
	scan__emit(&sc, false, fn, ctx, st);
out_free:
	g_hash_table_destroy(sc.by_inode);
	g_array_free(sc.socks, TRUE);
	st->duration_ns = now_ns() - start;
	return err;
}
