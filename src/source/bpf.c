// SPDX-License-Identifier: GPL-2.0-only
/* BPF skeleton lifecycle: probe, size, load, attach; ring-buffer draining; counter reads. */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <glib.h>

#include "log.h"
#include "source/bpf.h"
#include "sockflow.skel.h"

#define PRIVATE_CGROUP2_PATH "/run/sockflow/cgroup2"

struct bpf_source {
	struct sockflow_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *live_iter;
	struct bpf_link *udp_iter;
	struct bpf_link *existing_iter;
	struct sf_live *live;		/* last snapshot of tracked sockets */
	size_t n_live, cap_live;
	GHashTable *live_index;		/* &live[i].cookie -> &live[i] */
	struct sf_udp_live *udp;	/* last snapshot of UDP conversations */
	size_t n_udp, cap_udp;
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
			src->on.sock(src->on.ctx, data);
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

int bpf_source__new(struct bpf_source **out, const struct bpf_source_options *opts,
		    char *msg, size_t msg_len)
{
	LIBBPF_OPTS(bpf_iter_attach_opts, iter_opts);
	union bpf_iter_link_info link_info;
	struct bpf_source *src;
	int err;

	*out = NULL;
	libbpf_set_print(libbpf_to_log);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(msg, msg_len, "kernel has no BTF (/sys/kernel/btf/vmlinux): "
			 "sockflow needs CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->cgroup_fd = -1;
	src->on = opts->on;
	src->ncpus = libbpf_num_possible_cpus();
	if (src->ncpus < 1) {
		err = src->ncpus;
		snprintf(msg, msg_len, "cannot count possible CPUs");
		goto err_free;
	}

	src->skel = sockflow_bpf__open();
	if (!src->skel) {
		err = -errno;
		snprintf(msg, msg_len, "opening the BPF object failed: %s", strerror(-err));
		goto err_free;
	}
	bpf_map__set_max_entries(src->skel->maps.events, opts->ringbuf_kib * 1024);
	bpf_map__set_max_entries(src->skel->maps.socks, opts->max_sockets);
	bpf_map__set_max_entries(src->skel->maps.udp_flows, opts->max_udp_flows);
	bpf_map__set_max_entries(src->skel->maps.udp_owners, opts->max_udp_flows);
	/* Attached below: the iterators need their maps, the counters their cgroup. */
	bpf_program__set_autoattach(src->skel->progs.sf_live_socks, false);
	bpf_program__set_autoattach(src->skel->progs.sf_live_udp, false);
	bpf_program__set_autoattach(src->skel->progs.sf_existing, false);
	src->skel->rodata->wakeup_bytes = (uint64_t)opts->ringbuf_kib * 1024 / 4;

	err = sockflow_bpf__load(src->skel);
	if (err) {
		snprintf(msg, msg_len, "loading the BPF programs failed: %s "
			 "(needs root with CAP_BPF and CAP_PERFMON; --log-level debug shows the "
			 "verifier log)", strerror(-err));
		goto err_free;
	}
	err = sockflow_bpf__attach(src->skel);
	if (err) {
		snprintf(msg, msg_len, "attaching tracepoints failed: %s", strerror(-err));
		goto err_free;
	}

	err = cgroup2_root(src->cgroup2_root, sizeof(src->cgroup2_root));
	if (err) {
		snprintf(msg, msg_len, "no cgroup v2 hierarchy and mounting one at %s failed: %s",
			 PRIVATE_CGROUP2_PATH, strerror(-err));
		goto err_free;
	}
	src->cgroup_fd = open(src->cgroup2_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src->cgroup_fd < 0) {
		err = -errno;
		snprintf(msg, msg_len, "opening cgroup v2 root %s: %s", src->cgroup2_root,
			 strerror(errno));
		goto err_free;
	}
	src->skel->links.sf_egress =
		bpf_program__attach_cgroup(src->skel->progs.sf_egress, src->cgroup_fd);
	src->skel->links.sf_ingress =
		bpf_program__attach_cgroup(src->skel->progs.sf_ingress, src->cgroup_fd);
	if (!src->skel->links.sf_egress || !src->skel->links.sf_ingress) {
		err = -errno;
		snprintf(msg, msg_len, "attaching packet counters to cgroup %s failed: %s",
			 src->cgroup2_root, strerror(errno));
		goto err_free;
	}

	memset(&link_info, 0, sizeof(link_info));
	link_info.map.map_fd = bpf_map__fd(src->skel->maps.socks);
	iter_opts.link_info = &link_info;
	iter_opts.link_info_len = sizeof(link_info);
	src->live_iter = bpf_program__attach_iter(src->skel->progs.sf_live_socks, &iter_opts);
	link_info.map.map_fd = bpf_map__fd(src->skel->maps.udp_flows);
	src->udp_iter = bpf_program__attach_iter(src->skel->progs.sf_live_udp, &iter_opts);
	src->existing_iter = bpf_program__attach_iter(src->skel->progs.sf_existing, NULL);
	if (!src->live_iter || !src->udp_iter || !src->existing_iter) {
		err = -errno;
		snprintf(msg, msg_len, "creating the socket iterators failed: %s", strerror(errno));
		goto err_free;
	}
	src->live_index = g_hash_table_new(g_int64_hash, g_int64_equal);

	src->rb = ring_buffer__new(bpf_map__fd(src->skel->maps.events), handle_event, src, NULL);
	if (!src->rb) {
		err = -errno;
		snprintf(msg, msg_len, "setting up the ring buffer failed: %s", strerror(errno));
		goto err_free;
	}
	*out = src;
	return 0;

err_free:
	bpf_source__free(src);
	return err;
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

int bpf_source__snapshot(struct bpf_source *src)
{
	size_t i;
	int err;

	err = read_iter(src->live_iter, sizeof(*src->live), (void **)&src->live, &src->n_live,
			&src->cap_live);
	if (err)
		return err;
	g_hash_table_remove_all(src->live_index);
	for (i = 0; i < src->n_live; i++)
		g_hash_table_insert(src->live_index, &src->live[i].cookie, &src->live[i]);
	return read_iter(src->udp_iter, sizeof(*src->udp), (void **)&src->udp, &src->n_udp,
			 &src->cap_udp);
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

int bpf_source__adopt_existing(struct bpf_source *src)
{
	struct sf_sock *socks = NULL;
	size_t n = 0, cap = 0, i;
	struct sf_event e;
	int err;

	/* Listeners first: the second pass tells a server's connections by their port. */
	src->skel->bss->existing_pass = 0;
	err = read_iter(src->existing_iter, sizeof(*socks), (void **)&socks, &n, &cap);
	if (err)
		goto out;
	src->skel->bss->existing_pass = 1;
	err = read_iter(src->existing_iter, sizeof(*socks), (void **)&socks, &n, &cap);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.type = SF_EVENT_OPEN;
		e.role = socks[i].role;
		e.cookie = socks[i].cookie;
		e.start_ns = socks[i].start_ns;
		e.last_ns = socks[i].last_ns;
		e.tuple = socks[i].tuple;
		e.proc = socks[i].proc;
		e.q = socks[i].q;
		e.flags = socks[i].flags;
		src->on.sock(src->on.ctx, &e);
	}
	err = (int)n;
out:
	free(socks);
	return err;
}

int bpf_source__read(struct bpf_source *src, uint64_t cookie, struct sf_live *live)
{
	const struct sf_live *l = g_hash_table_lookup(src->live_index, &cookie);

	if (!l)
		return -ENOENT;
	*live = *l;
	return 0;
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
	bpf_link__destroy(src->live_iter);
	bpf_link__destroy(src->udp_iter);
	bpf_link__destroy(src->existing_iter);
	free(src->udp);
	if (src->live_index)
		g_hash_table_destroy(src->live_index);
	free(src->live);
	sockflow_bpf__destroy(src->skel);
	if (src->cgroup_fd >= 0)
		close(src->cgroup_fd);
	free(src);
}
