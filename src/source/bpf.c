// SPDX-License-Identifier: GPL-2.0-only
/* The BPF source: set-up through the loader, ring-buffer draining, live counter reads. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <mntent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <glib.h>

#include "clock.h"
#include "log.h"
#include "source/bpf.h"
#include "source/diag.h"
#include "source/mapdump.h"
#include "source/sockscan.h"
#include "source/socket_counters.h"
#include "sockflow.skel.h"

#define PRIVATE_CGROUP2_PATH "/run/sockflow/cgroup2"

struct bpf_source {
	struct sockflow_bpf *skel;
	struct kernel_probe kp;		/* what this kernel accepts, what is used */
	struct ring_buffer *rb;
	struct sf_live *live;		/* last snapshot: sockets with packets since the one before */
	size_t n_live, cap_live;
	GHashTable *live_index;		/* &live[i].cookie -> &live[i] */
	struct sf_udp_live *udp;	/* last snapshot of UDP conversations */
	size_t n_udp, cap_udp;
	struct map_dump active_dump;	/* without the map iterator: the active set, taken */
	struct map_dump udp_dump;	/* and the UDP map, read whole */
	int cgroup_fd;
	int ncpus;
	struct bpf_source_handlers on;
	char cgroup2_root[4096];
};

/* libbpf's messages at debug level, one log line per line (a verifier log has many). */
static int libbpf_to_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *text = g_strdup_vprintf(fmt, ap), *line, *next;

	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		log_debug("libbpf: %s", line);
	}
	g_free(text);
	return 0;
}

/* The cgroup v2 root from /proc/mounts, or a private mount made for us. */
static int cgroup2_root(char *path, size_t len)
{
	struct mntent *m;
	FILE *f;

	f = setmntent("/proc/mounts", "re");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(path, len, "%s", m->mnt_dir);
			endmntent(f);
			return 0;
		}
	}
	endmntent(f);
	if (mkdir("/run/sockflow", 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(PRIVATE_CGROUP2_PATH, 0755) && errno != EEXIST)
		return -errno;
	if (mount("cgroup2", PRIVATE_CGROUP2_PATH, "cgroup2", 0, NULL) && errno != EBUSY)
		return -errno;
	snprintf(path, len, "%s", PRIVATE_CGROUP2_PATH);
	return 0;
}

/* A socket event; one with TCP's own counters gets its octets estimated first. */
static void on_sock_event(struct bpf_source *src, const struct sf_event *e)
{
	struct sf_event copy;

	if (!(e->flags & SF_FLAG_SOCKET_COUNTERS)) {
		src->on.sock(src->on.ctx, e);
		return;
	}
	copy = *e;
	socket_counters__estimate(&copy.cnt, &copy.tuple, copy.flags);
	src->on.sock(src->on.ctx, &copy);
}

/* Every ring-buffer record starts with its type; hand it to the matching handler. */
static int handle_event(void *ctx, void *data, size_t size)
{
	struct bpf_source *src = ctx;
	__u32 type;

	if (size < sizeof(type))
		return 0;
	memcpy(&type, data, sizeof(type));
	switch (type) {
	case SF_EVENT_OPEN:
	case SF_EVENT_CLOSE:
	case SF_EVENT_RESET:
		if (size >= sizeof(struct sf_event))
			on_sock_event(src, data);
		break;
	case SF_EVENT_EXEC:
	case SF_EVENT_FORK:
	case SF_EVENT_EXIT:
		if (size >= sizeof(struct sf_proc_event))
			src->on.proc(src->on.ctx, data);
		break;
	case SF_EVENT_CGROUP:
		if (size >= sizeof(struct sf_cgroup_event))
			src->on.cgroup(src->on.ctx, data);
		break;
	}
	return 0;
}

/* Find (or mount) the cgroup v2 root and open it for the packet counters. */
static int open_cgroup2(struct bpf_source *src, char *msg, size_t msg_len)
{
	int err = cgroup2_root(src->cgroup2_root, sizeof(src->cgroup2_root));

	if (err) {
		snprintf(msg, msg_len, "no cgroup v2 hierarchy and mounting one at %s failed: %s",
			 PRIVATE_CGROUP2_PATH, strerror(-err));
		return err;
	}
	src->cgroup_fd = open(src->cgroup2_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src->cgroup_fd < 0) {
		err = -errno;
		snprintf(msg, msg_len, "opening cgroup v2 root %s: %s", src->cgroup2_root,
			 strerror(errno));
	}
	return err;
}

/* Everything up to a loaded and attached skeleton; @try_all probes every mechanism. */
static int source_open(struct bpf_source **out, const struct bpf_source_options *opts,
		       bool try_all, char *msg, size_t msg_len)
{
	struct bpf_source *src;
	int c, err;

	*out = NULL;
	libbpf_set_print(libbpf_to_log);
	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->cgroup_fd = -1;
	src->on = opts->on;
	for (c = 0; c < SF_CAP__MAX; c++)
		src->kp.chosen[c] = SF_MECH_NONE;	/* nothing tried yet */
	src->ncpus = libbpf_num_possible_cpus();
	if (src->ncpus < 1) {
		err = src->ncpus;
		snprintf(msg, msg_len, "cannot count possible CPUs");
		goto err_free;
	}
	err = open_cgroup2(src, msg, msg_len);
	if (err)
		goto err_free;
	err = loader__load(&(struct loader_options){
		.max_sockets = opts->max_sockets,
		.max_udp_flows = opts->max_udp_flows,
		.ringbuf_kib = opts->ringbuf_kib,
		.disabled = opts->disabled_mechanisms,
		.cgroup_fd = src->cgroup_fd,
		.try_all = try_all,
	}, &src->kp, &src->skel, msg, msg_len);
	/*
	 * Where programs had to be loaded one by one, libbpf parsed the
	 * kernel's BTF each time: give that heap back.
	 */
	malloc_trim(0);
	if (err)
		goto err_free;
	*out = src;
	return 0;

err_free:
	*out = src;	/* the probe results stay readable until freed */
	return err;
}

/*
 * Start the next snapshot generation: a socket counts itself active again
 * at its next packet (see mark_active() in sockflow.bpf.c).
 */
static void next_generation(struct bpf_source *src)
{
	__atomic_fetch_add(&src->skel->bss->snap_gen, 1, __ATOMIC_SEQ_CST);
}

int bpf_source__new(struct bpf_source **out, const struct bpf_source_options *opts,
		    char *msg, size_t msg_len)
{
	struct bpf_source *src;
	int err;

	err = source_open(&src, opts, false, msg, msg_len);
	if (err) {
		bpf_source__free(src);
		*out = NULL;
		return err;
	}
	map_dump__init(&src->active_dump, sizeof(__u64), sizeof(__u8));
	map_dump__init(&src->udp_dump, sizeof(struct sf_udp_key), sizeof(struct sf_udp_flow));
	/* The map iterator picks active sockets itself; the other readers need the set. */
	src->skel->bss->track_active = src->kp.chosen[SF_CAP_LIVE_COUNTERS] != SF_MECH_MAP_ITER;
	src->skel->bss->tcp_socket_counters = bpf_source__socket_counters(src);
	next_generation(src);
	src->live_index = g_hash_table_new(g_int64_hash, g_int64_equal);
	src->rb = ring_buffer__new(bpf_map__fd(src->skel->maps.events), handle_event, src, NULL);
	if (!src->rb) {
		err = -errno;
		snprintf(msg, msg_len, "setting up the ring buffer failed: %s", strerror(errno));
		bpf_source__free(src);
		return err;
	}
	*out = src;
	return 0;
}

int bpf_source__probe(const struct bpf_source_options *opts, struct kernel_probe *kp,
		      char *msg, size_t msg_len)
{
	struct bpf_source *src;
	int err;

	err = source_open(&src, opts, true, msg, msg_len);
	if (src)
		*kp = src->kp;
	bpf_source__free(src);
	return err;
}

bool bpf_source__socket_counters(const struct bpf_source *src)
{
	return src->kp.chosen[SF_CAP_TCP_COUNTERS] == SF_MECH_TCP_SOCKET_COUNTERS;
}

const struct kernel_probe *bpf_source__kernel(const struct bpf_source *src)
{
	return &src->kp;
}

const char *bpf_source__cgroup2_root(const struct bpf_source *src)
{
	return src->cgroup2_root;
}

int bpf_source__fd(const struct bpf_source *src)
{
	return ring_buffer__epoll_fd(src->rb);
}

int bpf_source__drain(struct bpf_source *src)
{
	return ring_buffer__consume(src->rb);
}

/*
 * Run iterator @link once, reading its fixed-size records of @size bytes
 * into *@buf (grown as needed, *@cap records); *@n is how many it wrote.
 */
static int read_iter(struct bpf_link *link, size_t size, void **buf, size_t *n, size_t *cap)
{
	ssize_t got = 0;
	size_t bytes = 0;
	int fd;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	for (;;) {
		if (bytes + size > *cap * size) {
			size_t more = *cap ? *cap * 2 : 1024;
			void *p = realloc(*buf, more * size);

			if (!p) {
				close(fd);
				return -ENOMEM;
			}
			*buf = p;
			*cap = more;
		}
		got = read(fd, (char *)*buf + bytes, *cap * size - bytes);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		bytes += got;
	}
	close(fd);
	*n = bytes / size;
	return got < 0 ? -errno : 0;
}

/* Live counters of a tracked socket, as the map iterator would write them. */
static void live_of_sock(struct sf_live *l, const struct sf_sock *s)
{
	l->cookie = s->cookie;
	l->last_ns = s->last_ns;
	l->cnt = s->cnt;
	l->q = s->q;
	l->proc = s->proc;
}

/* Grow *@buf (*@cap records of @size bytes) to hold @n records. */
static int grow(void **buf, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n <= *cap)
		return 0;
	p = realloc(*buf, n * size);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

/*
 * Without the map iterator: the active set is emptied first and the
 * generation moved on after, so a packet counted in between is either in
 * the socket read below or notes the socket in the next set.
 */
static int live_from_active(struct bpf_source *src, bool batch)
{
	int socks = bpf_map__fd(src->skel->maps.socks);
	struct sf_sock s;
	size_t i, n = 0;
	int err;

	err = map_dump__take(&src->active_dump, bpf_map__fd(src->skel->maps.active), batch);
	if (err)
		return err;
	next_generation(src);
	err = grow((void **)&src->live, &src->cap_live, src->active_dump.n, sizeof(*src->live));
	if (err)
		return err;
	for (i = 0; i < src->active_dump.n; i++) {
		/* Gone since (closed): its close event carries the last counters. */
		if (bpf_map_lookup_elem(socks, (__u64 *)src->active_dump.keys + i, &s))
			continue;
		live_of_sock(&src->live[n++], &s);
	}
	src->n_live = n;
	return 0;
}

/* Without the map iterator: the UDP map read whole, shaped as the iterator shapes it. */
static int udp_from_map(struct bpf_source *src, bool batch)
{
	int owners = bpf_map__fd(src->skel->maps.udp_owners);
	const struct sf_udp_key *k;
	struct sf_udp_live *u;
	struct sf_owner last = { 0 };
	__u64 last_cookie = 0;
	bool have_last = false;
	size_t i;
	int err;

	err = map_dump__read(&src->udp_dump, bpf_map__fd(src->skel->maps.udp_flows), batch);
	if (!err)
		err = grow((void **)&src->udp, &src->cap_udp, src->udp_dump.n, sizeof(*src->udp));
	if (err)
		return err;
	for (i = 0; i < src->udp_dump.n; i++) {
		k = (const struct sf_udp_key *)src->udp_dump.keys + i;
		u = &src->udp[i];
		memset(u, 0, sizeof(*u));
		u->key = *k;
		u->flow = ((const struct sf_udp_flow *)src->udp_dump.values)[i];
		/* A socket's conversations are often neighbours: one lookup for a run. */
		if (!have_last || last_cookie != k->cookie) {
			if (bpf_map_lookup_elem(owners, &k->cookie, &last))
				memset(&last, 0, sizeof(last));
			last_cookie = k->cookie;
			have_last = true;
		}
		u->owner = last;
	}
	src->n_udp = src->udp_dump.n;
	return 0;
}

int bpf_source__snapshot(struct bpf_source *src)
{
	enum sf_mech how = src->kp.chosen[SF_CAP_LIVE_COUNTERS];
	size_t i;
	int err;

	if (how == SF_MECH_MAP_ITER) {
		/* Moved on first: the iterator takes this generation and the one before. */
		next_generation(src);
		err = read_iter(src->skel->links.sf_live_socks, sizeof(*src->live),
				(void **)&src->live, &src->n_live, &src->cap_live);
	} else {
		err = live_from_active(src, how == SF_MECH_MAP_BATCH);
	}
	if (err)
		return err;
	g_hash_table_remove_all(src->live_index);
	for (i = 0; i < src->n_live; i++)
		g_hash_table_insert(src->live_index, &src->live[i].cookie, &src->live[i]);
	if (how != SF_MECH_MAP_ITER)
		return udp_from_map(src, how == SF_MECH_MAP_BATCH);
	return read_iter(src->skel->links.sf_live_udp, sizeof(*src->udp), (void **)&src->udp,
			 &src->n_udp, &src->cap_udp);
}

size_t bpf_source__live(const struct bpf_source *src, const struct sf_live **live)
{
	*live = src->live;
	return src->n_live;
}

size_t bpf_source__udp(const struct bpf_source *src, const struct sf_udp_live **udp)
{
	*udp = src->udp;
	return src->n_udp;
}

int bpf_source__udp_read(struct bpf_source *src, const struct sf_udp_key *key, bool forget,
			 struct sf_udp_flow *now)
{
	int fd = bpf_map__fd(src->skel->maps.udp_flows);
	int err;

	err = forget ? bpf_map_lookup_and_delete_elem(fd, key, now) :
		       bpf_map_lookup_elem(fd, key, now);
	return err ? -errno : 0;
}

/* The OPEN event a socket found open at start is handed on as. */
static void event_of_sock(struct sf_event *e, const struct sf_sock *s)
{
	memset(e, 0, sizeof(*e));
	e->type = SF_EVENT_OPEN;
	e->role = s->role;
	e->cookie = s->cookie;
	e->start_ns = s->start_ns;
	e->last_ns = s->last_ns;
	e->tuple = s->tuple;
	e->proc = s->proc;
	e->q = s->q;
	e->flags = s->flags;
}

/* Sockets open at start, found by the task_file iterator in the kernel. */
static int adopt_by_iterator(struct bpf_source *src)
{
	struct sf_sock *socks = NULL;
	size_t n = 0, cap = 0, i;
	struct sf_event e;
	int err;

	/* Listeners first: the second pass tells a server's connections by their port. */
	src->skel->bss->existing_pass = 0;
	err = read_iter(src->skel->links.sf_existing, sizeof(*socks), (void **)&socks, &n, &cap);
	if (err)
		goto out;
	src->skel->bss->existing_pass = 1;
	err = read_iter(src->skel->links.sf_existing, sizeof(*socks), (void **)&socks, &n, &cap);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		event_of_sock(&e, &socks[i]);
		src->on.sock(src->on.ctx, &e);
	}
	err = (int)n;
out:
	free(socks);
	return err;
}

/* What the socket scan's callback needs: the maps, and what it adopted. */
struct scan_adopt {
	struct bpf_source *src;
	uint64_t now_ns;			/* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
	GHashTable *listeners;			/* (netns_ino << 16 | port) -> owner, or NULL */
	GArray *adopted;			/* struct sf_sock tracked from now on */
	GHashTable *by_cookie;			/* cookie -> index in adopted + 1 */
	bool *still_open;			/* by index in adopted */
};

/*
 * One socket of the scan, shaped as the task_file iterator shapes it:
 * listeners noted (the accepting process's stand-in), connections tracked,
 * UDP sockets' owners kept. A connection still in its listener's accept
 * queue has no owner yet: it is the listener's until its first I/O names
 * the accepting process.
 */
static void on_scanned(void *ctx, const struct sockscan_socket *s)
{
	struct scan_adopt *a = ctx;
	struct sockflow_bpf *skel = a->src->skel;
	struct sf_listener_key lk = { s->tuple.netns_ino, s->tuple.local_port, 0 };
	const struct sf_proc *listener;
	struct sf_owner o = { 0 };
	struct sf_sock t = { 0 };
	guint64 id = (guint64)s->tuple.netns_ino << 16 | s->tuple.local_port;

	if (s->tuple.protocol == IPPROTO_UDP) {
		if (!s->owner.tgid)
			return;
		o.proc = s->owner;
		o.netns_ino = s->tuple.netns_ino;
		bpf_map_update_elem(bpf_map__fd(skel->maps.udp_owners), &s->cookie, &o,
				    BPF_NOEXIST);
		return;
	}
	if (s->listener) {
		if (!s->owner.tgid)
			return;
		bpf_map_update_elem(bpf_map__fd(skel->maps.listeners), &lk, &s->owner,
				    BPF_NOEXIST);
		g_hash_table_insert(a->listeners, g_memdup2(&id, sizeof(id)),
				    g_memdup2(&s->owner, sizeof(s->owner)));
		return;
	}
	listener = g_hash_table_lookup(a->listeners, &id);
	if (!s->owner.tgid && !listener)
		return;
	t.cookie = s->cookie;
	t.tuple = s->tuple;
	/* Who called connect() is not recorded anywhere: a listening local port says server. */
	t.role = listener ? SF_ROLE_SERVER : SF_ROLE_CLIENT;
	t.proc = s->owner.tgid ? s->owner : *listener;
	t.proc.cgroup_id = s->owner.cgroup_id;
	t.flags = SF_FLAG_PREEXISTING;
	if (s->owner.tgid)
		t.flags |= SF_FLAG_ACCEPTED;
	if (s->state != TCP_SYN_SENT)
		t.flags |= SF_FLAG_ESTABLISHED;
	t.start_ns = a->now_ns;
	t.last_ns = a->now_ns;
	t.seen_gen = skel->bss->snap_gen;
	/* Tracked already (an event since start), or the map is full: not adopted. */
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.socks), &t.cookie, &t, BPF_NOEXIST))
		return;
	/* Waiting in an accept queue: its first send or receive names it (owner.bpf.h). */
	if (t.role == SF_ROLE_SERVER && !(t.flags & SF_FLAG_ACCEPTED))
		__atomic_fetch_add(&skel->bss->servers_unnamed, 1, __ATOMIC_RELAXED);
	g_array_append_val(a->adopted, t);
}

/* A socket adopted from the scan that is still there: handed to the sock handler. */
static void on_still_open(void *ctx, const struct diag_socket *d)
{
	struct scan_adopt *a = ctx;
	guint i = GPOINTER_TO_UINT(g_hash_table_lookup(a->by_cookie, &d->cookie));

	if (i)
		a->still_open[i - 1] = true;
}

/*
 * Sockets open at start, from sock_diag and /proc (sockscan.c). A
 * connection that closed between the dump and its insertion into the map
 * would stay there with no close event to remove it: each one is looked
 * up again once tracked, and dropped if it is gone.
 */
static int adopt_by_scan(struct bpf_source *src)
{
	struct scan_adopt a = { .src = src };
	struct sockscan_stats st;
	struct diag_poll_stats dst;
	struct diag_poller *diag = NULL;
	struct diag_lookup *look;
	struct sf_sock *t;
	struct sf_event e;
	int err, n = 0;
	guint i;

	a.now_ns = now_ns();
	a.listeners = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	a.adopted = g_array_new(FALSE, TRUE, sizeof(struct sf_sock));
	err = sockscan__run(&(struct sockscan_options){ .proc_root = "/proc",
							.netns_dir = "/run/netns" },
			    on_scanned, &a, &st);
	if (err)
		goto out;

	look = g_new0(struct diag_lookup, a.adopted->len ? a.adopted->len : 1);
	a.by_cookie = g_hash_table_new(g_int64_hash, g_int64_equal);
	a.still_open = g_new0(bool, a.adopted->len ? a.adopted->len : 1);
	for (i = 0; i < a.adopted->len; i++) {
		t = &g_array_index(a.adopted, struct sf_sock, i);
		look[i].cookie = t->cookie;
		look[i].tuple = t->tuple;
		g_hash_table_insert(a.by_cookie, &t->cookie, GUINT_TO_POINTER(i + 1));
	}
	err = diag_poller__new(&diag, &(struct diag_poller_options){ .proc_root = "/proc" });
	if (!err)
		err = diag_poller__lookup(diag, look, a.adopted->len, on_still_open, &a, &dst);
	diag_poller__free(diag);
	g_free(look);
	if (err)
		goto out;

	for (i = 0; i < a.adopted->len; i++) {
		t = &g_array_index(a.adopted, struct sf_sock, i);
		if (!a.still_open[i]) {
			bpf_map_delete_elem(bpf_map__fd(src->skel->maps.socks), &t->cookie);
			continue;
		}
		event_of_sock(&e, t);
		src->on.sock(src->on.ctx, &e);
		n++;
	}
	err = n;
out:
	if (a.by_cookie)
		g_hash_table_destroy(a.by_cookie);
	g_free(a.still_open);
	g_array_free(a.adopted, TRUE);
	g_hash_table_destroy(a.listeners);
	return err;
}

int bpf_source__adopt_existing(struct bpf_source *src)
{
	switch (src->kp.chosen[SF_CAP_EXISTING_SOCKETS]) {
	case SF_MECH_TASK_FILE_ITER:
		return adopt_by_iterator(src);
	case SF_MECH_SOCK_DIAG_SCAN:
		return adopt_by_scan(src);
	default:
		return -ENOTSUP;
	}
}

int bpf_source__read(struct bpf_source *src, uint64_t cookie, bool from_kernel,
		     struct sf_live *live)
{
	const struct sf_live *l = g_hash_table_lookup(src->live_index, &cookie);
	struct sf_sock s;

	if (l) {
		*live = *l;
		return 0;
	}
	if (!from_kernel)
		return -EAGAIN;
	if (bpf_map_lookup_elem(bpf_map__fd(src->skel->maps.socks), &cookie, &s))
		return -errno;
	live_of_sock(live, &s);
	return 0;
}

int bpf_source__check_access(struct bpf_source *src)
{
	uint64_t *vals = calloc(src->ncpus, sizeof(*vals));
	uint32_t key = 0;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(src->skel->maps.stats), &key, vals))
		err = -errno;
	free(vals);
	return err;
}

int bpf_source__stats(struct bpf_source *src, struct bpf_source_stats *st)
{
	int fd = bpf_map__fd(src->skel->maps.stats);
	uint64_t *vals;
	uint32_t i;
	int cpu;

	memset(st, 0, sizeof(*st));
	vals = calloc(src->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < SF_STAT__MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (cpu = 0; cpu < src->ncpus; cpu++)
			st->v[i] += vals[cpu];
	}
	free(vals);
	return 0;
}

void bpf_source__free(struct bpf_source *src)
{
	if (!src)
		return;
	ring_buffer__free(src->rb);
	map_dump__free(&src->active_dump);
	map_dump__free(&src->udp_dump);
	free(src->udp);
	if (src->live_index)
		g_hash_table_destroy(src->live_index);
	free(src->live);
	sockflow_bpf__destroy(src->skel);
	if (src->cgroup_fd >= 0)
		close(src->cgroup_fd);
	free(src);
}
