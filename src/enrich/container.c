// SPDX-License-Identifier: GPL-2.0-only
/* Container identity: cgroup id -> path -> runtime, container id, pod; names from runtime state. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "clock.h"
#include "enrich/container.h"
#include "enrich/cgroup_path.h"
#include "enrich/runtime_state.h"
#include "utf8.h"

#define CGROUP_CACHE_MAX 16384		/* cgroup id -> path, live and removed cgroups */
#define CGROUP_MISS_MAX 4096		/* ids that a walk of the hierarchy did not find */
#define CGROUP_MISS_TTL_FACTOR 8	/* a miss is kept 8 refresh_ns (struct miss_entry) */
#define CGROUP_WALK_MAX_DEPTH 64
#define CGROUP_WALK_MAX_DIRS 262144
#define INFO_CACHE_MAX 4096		/* container id -> names */

/* One cgroup v2 directory: its id (the directory's inode number) and path from the v2 root. */
struct cgroup_entry {
	uint64_t id;
	GList link;		/* in container_cache.cgroup_lru, data = this */
	char path[];		/* "/" or "/a/b" */
};

/*
 * A cgroup id that a walk of the hierarchy did not find. Cgroup ids are
 * never reused and a cgroup exists before any task runs in it, so an id
 * missing from a walk that started after the id was seen belongs to a
 * cgroup that is gone for good: the miss is kept long (several
 * refresh_ns), not forever, only in case the walk was cut short.
 */
struct miss_entry {
	uint64_t id;
	uint64_t ts_ns;
	GList link;		/* in container_cache.miss_lru */
};

/*
 * Names of one container as one runtime's state has them; found false:
 * looked at checked_ns, not there. Keyed by runtime and id: CRI-O's
 * containers are also in containers/storage's list that podman reads.
 */
struct ctr_info {
	char key[24 + CONTAINER_ID_LEN];	/* "<runtime>:<id>" */
	const char *id;				/* in key */
	enum container_runtime rt;
	bool found;
	uint64_t checked_ns;
	struct runtime_names names;
	GList link;		/* in container_cache.info_lru */
};

/*
 * Three bounded caches, each a hash table plus a least-recently-used
 * queue whose head is dropped first: cgroups (kept after the cgroup is
 * removed, so late flows still resolve), misses (negative cache), and
 * container names (kept after the container is gone, same reason).
 */
struct container_cache {
	char *cgroup2_root;
	char *state_root;
	uint64_t refresh_ns;

	GHashTable *cgroups;		/* uint64_t *id -> struct cgroup_entry * */
	GQueue cgroup_lru;
	GHashTable *misses;		/* uint64_t *id -> struct miss_entry * */
	GQueue miss_lru;
	bool walked;
	uint64_t walk_ns;		/* last walk of the hierarchy */

	GHashTable *infos;		/* char *key -> struct ctr_info * */
	GQueue info_lru;
	bool podman_loaded;
	uint64_t podman_ns;		/* last read of podman's containers.json */
	uint64_t podman_stamp;		/* mtime and size of those files at that read */
};

/* @last (if @done) is at least @factor refresh_ns old. */
static bool container_cache__due(const struct container_cache *cc, bool done, uint64_t last,
				 uint64_t now, uint64_t factor)
{
	if (!done)
		return true;
	if (cc->refresh_ns > UINT64_MAX / factor)
		return false;
	return now - last >= cc->refresh_ns * factor;
}

/* The LRU cache of container names. */
static void ctr_info__touch(struct container_cache *cc, struct ctr_info *info)
{
	g_queue_unlink(&cc->info_lru, &info->link);
	g_queue_push_tail_link(&cc->info_lru, &info->link);
}

static void ctr_info__key(char *key, size_t size, enum container_runtime rt, const char *id)
{
	snprintf(key, size, "%s:%s", cgroup_path__runtime_name(rt), id);
}

static struct ctr_info *ctr_info__find(struct container_cache *cc, enum container_runtime rt,
				       const char *id)
{
	char key[sizeof(((struct ctr_info *)0)->key)];

	ctr_info__key(key, sizeof(key), rt, id);
	return g_hash_table_lookup(cc->infos, key);
}

/* The entry of (@rt, @id), made empty (not found) if new; the oldest entry goes past the bound. */
static struct ctr_info *ctr_info__get(struct container_cache *cc, enum container_runtime rt,
				      const char *id)
{
	struct ctr_info *info = ctr_info__find(cc, rt, id);

	if (info)
		return info;
	info = g_new0(struct ctr_info, 1);
	ctr_info__key(info->key, sizeof(info->key), rt, id);
	info->id = strchr(info->key, ':') + 1;
	info->rt = rt;
	info->link.data = info;
	g_hash_table_insert(cc->infos, info->key, info);
	g_queue_push_tail_link(&cc->info_lru, &info->link);
	while (cc->info_lru.length > INFO_CACHE_MAX) {
		struct ctr_info *old = g_queue_peek_head(&cc->info_lru);

		g_queue_unlink(&cc->info_lru, &old->link);
		g_hash_table_remove(cc->infos, old->key);
		g_free(old);
	}
	return info;
}

static void ctr_info__clear(struct ctr_info *info)
{
	info->found = false;
	memset(&info->names, 0, sizeof(info->names));
}

/* Whether podman's state changed since it was last read. */
static bool podman__changed(const struct container_cache *cc)
{
	return !cc->podman_loaded ||
	       runtime_state__podman_stamp(cc->state_root) != cc->podman_stamp;
}

struct podman_load {
	struct container_cache *cc;
	uint64_t now;
};

static void podman__found(void *ctx, const char *id, const struct runtime_names *names)
{
	struct podman_load *pl = ctx;
	struct ctr_info *info = ctr_info__get(pl->cc, RT_PODMAN, id);

	info->names = *names;
	info->found = true;
	info->checked_ns = pl->now;
}

/*
 * podman (and anything else on containers/storage): every container listed
 * is cached; read at most once per refresh_ns, or at once when the files
 * changed.
 */
static void podman__load(struct container_cache *cc, uint64_t now)
{
	struct podman_load pl = { cc, now };

	if (!container_cache__due(cc, cc->podman_loaded, cc->podman_ns, now, 1) &&
	    !podman__changed(cc))
		return;
	cc->podman_loaded = true;
	cc->podman_ns = now;
	cc->podman_stamp = runtime_state__podman_stamp(cc->state_root);
	runtime_state__podman_each(cc->state_root, podman__found, &pl);
}

/* Read (@rt, @info->id)'s state into @info (podman's is read for all its containers at once). */
static void ctr_info__read(struct container_cache *cc, struct ctr_info *info, uint64_t now)
{
	ctr_info__clear(info);
	info->found = !runtime_state__read(cc->state_root, info->rt, info->id, &info->names);
	info->checked_ns = now;
}

/*
 * The names of container @p->id, from the cache or, at most once per
 * refresh_ns for an id not found, from its runtime's state (a bare id
 * under a pod cgroup: containerd's, then docker's). NULL if not found:
 * runtime not installed, state gone, or not there yet.
 */
static struct ctr_info *ctr_info__lookup(struct container_cache *cc, const struct cgroup_parse *p)
{
	enum container_runtime rts[2] = { p->rt, RT_DOCKER };
	size_t n = p->ambiguous ? 2 : 1, i;
	struct ctr_info *info;
	uint64_t now = 0;

	for (i = 0; i < n; i++) {
		info = ctr_info__find(cc, rts[i], p->id);
		if (info && info->found) {
			ctr_info__touch(cc, info);
			return info;
		}
	}
	for (i = 0; i < n; i++) {
		if (!now)
			now = now_ns();
		info = ctr_info__find(cc, rts[i], p->id);
		if (info && !container_cache__due(cc, true, info->checked_ns, now, 1) &&
		    !(rts[i] == RT_PODMAN && podman__changed(cc)))
			continue;
		if (rts[i] == RT_PODMAN) {
			podman__load(cc, now);
			info = ctr_info__get(cc, RT_PODMAN, p->id);
			if (!info->found)
				info->checked_ns = now;
		} else {
			info = ctr_info__get(cc, rts[i], p->id);
			ctr_info__read(cc, info, now);
		}
		ctr_info__touch(cc, info);
		if (info->found)
			return info;
	}
	return NULL;
}

/* ---- cgroup id -> path --------------------------------------------------- */

static void cgroup_entry__insert(struct container_cache *cc, uint64_t id, const char *path)
{
	struct cgroup_entry *e = g_hash_table_lookup(cc->cgroups, &id);
	struct miss_entry *m = g_hash_table_lookup(cc->misses, &id);
	size_t len;

	if (m) {
		g_queue_unlink(&cc->miss_lru, &m->link);
		g_hash_table_remove(cc->misses, &id);
		g_free(m);
	}
	if (e) {
		if (!strcmp(e->path, path)) {
			g_queue_unlink(&cc->cgroup_lru, &e->link);
			g_queue_push_tail_link(&cc->cgroup_lru, &e->link);
			return;
		}
		g_queue_unlink(&cc->cgroup_lru, &e->link);
		g_hash_table_remove(cc->cgroups, &id);
		g_free(e);
	}
	len = strlen(path);
	e = g_malloc(sizeof(*e) + len + 2);
	e->id = id;
	e->link.data = e;
	e->link.prev = e->link.next = NULL;
	if (path[0] != '/') {
		e->path[0] = '/';
		memcpy(e->path + 1, path, len + 1);
	} else {
		memcpy(e->path, path, len + 1);
	}
	g_hash_table_insert(cc->cgroups, &e->id, e);
	g_queue_push_tail_link(&cc->cgroup_lru, &e->link);
	while (cc->cgroup_lru.length > CGROUP_CACHE_MAX) {
		struct cgroup_entry *old = g_queue_peek_head(&cc->cgroup_lru);

		g_queue_unlink(&cc->cgroup_lru, &old->link);
		g_hash_table_remove(cc->cgroups, &old->id);
		g_free(old);
	}
}

static void miss__insert(struct container_cache *cc, uint64_t id, uint64_t now)
{
	struct miss_entry *m = g_hash_table_lookup(cc->misses, &id);

	if (m) {
		g_queue_unlink(&cc->miss_lru, &m->link);
	} else {
		m = g_new0(struct miss_entry, 1);
		m->id = id;
		m->link.data = m;
		g_hash_table_insert(cc->misses, &m->id, m);
	}
	m->ts_ns = now;
	g_queue_push_tail_link(&cc->miss_lru, &m->link);
	while (cc->miss_lru.length > CGROUP_MISS_MAX) {
		struct miss_entry *old = g_queue_peek_head(&cc->miss_lru);

		g_queue_unlink(&cc->miss_lru, &old->link);
		g_hash_table_remove(cc->misses, &old->id);
		g_free(old);
	}
}

/*
 * Record every directory of the v2 hierarchy (id = inode number, as the
 * kernel's cgroup id is the kernfs node id). Depth-first with an explicit
 * stack; bounded in depth and directories. @want's entry is inserted
 * last, so a walk bigger than the cache does not evict what it was for.
 * Returns 0 when the walk was complete, -errno when cut short.
 */
static int cgroup__walk(struct container_cache *cc, uint64_t want, bool *found)
{
	GPtrArray *stack = g_ptr_array_new();
	char *want_path = NULL;
	size_t dirs = 0;
	struct stat st;
	int root_fd, err = 0;

	*found = false;
	root_fd = open(cc->cgroup2_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		err = -errno;
		goto out;
	}
	if (fstat(root_fd, &st)) {
		err = -errno;
		goto out_close;
	}
	if ((uint64_t)st.st_ino == want)
		want_path = g_strdup("/");
	else
		cgroup_entry__insert(cc, st.st_ino, "/");
	g_ptr_array_add(stack, g_strdup(""));
	while (stack->len) {
		char *rel = g_ptr_array_index(stack, stack->len - 1);
		unsigned int depth = 0;
		struct dirent *de;
		const char *s;
		DIR *dir;
		int fd;

		g_ptr_array_set_size(stack, stack->len - 1);
		for (s = rel; *s; s++)
			depth += *s == '/';
		fd = openat(root_fd, rel[0] ? rel : ".",
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || !(dir = fdopendir(fd))) {
			/* removed while we walked: nothing below it to find */
			if (fd >= 0)
				close(fd);
			g_free(rel);
			continue;
		}
		while ((de = readdir(dir))) {
			char *child;

			if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
				continue;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
			    !S_ISDIR(st.st_mode))
				continue;
			if (++dirs > CGROUP_WALK_MAX_DIRS || depth + 1 >= CGROUP_WALK_MAX_DEPTH) {
				err = -E2BIG;
				continue;
			}
			child = rel[0] ? g_strdup_printf("%s/%s", rel, de->d_name)
				       : g_strdup(de->d_name);
			if ((uint64_t)st.st_ino == want) {
				g_free(want_path);
				want_path = g_strdup_printf("/%s", child);
			} else {
				cgroup_entry__insert(cc, st.st_ino, child);
			}
			g_ptr_array_add(stack, child);
		}
		closedir(dir);
		g_free(rel);
	}
	if (want_path) {
		cgroup_entry__insert(cc, want, want_path);
		*found = true;
	}
out_close:
	close(root_fd);
out:
	g_free(want_path);
	g_ptr_array_free(stack, TRUE);
	return err;
}

/*
 * The entry of cgroup @id: cached, or found by a walk of the hierarchy.
 * A walk runs at most once per refresh_ns, and not at all for an id a
 * recent walk did not find.
 */
static struct cgroup_entry *cgroup__lookup(struct container_cache *cc, uint64_t id)
{
	struct cgroup_entry *e = g_hash_table_lookup(cc->cgroups, &id);
	struct miss_entry *m;
	uint64_t now;
	bool found;
	int err;

	if (e) {
		g_queue_unlink(&cc->cgroup_lru, &e->link);
		g_queue_push_tail_link(&cc->cgroup_lru, &e->link);
		return e;
	}
	now = now_ns();
	m = g_hash_table_lookup(cc->misses, &id);
	if (m && !container_cache__due(cc, true, m->ts_ns, now, CGROUP_MISS_TTL_FACTOR))
		return NULL;
	if (!container_cache__due(cc, cc->walked, cc->walk_ns, now, 1))
		return NULL;
	cc->walked = true;
	cc->walk_ns = now;
	err = cgroup__walk(cc, id, &found);
	if (found)
		return g_hash_table_lookup(cc->cgroups, &id);
	if (!err)
		miss__insert(cc, id, now);
	return NULL;
}

/* ---- the cache ----------------------------------------------------------- */

struct container_cache *container_cache__new(const struct container_cache_options *opts)
{
	struct container_cache *cc;

	if (!opts || !opts->cgroup2_root || !opts->state_root)
		return NULL;
	cc = g_new0(struct container_cache, 1);
	cc->cgroup2_root = g_strdup(opts->cgroup2_root);
	/* "/" + "/var/lib/..." would work too; keep the joined paths tidy */
	cc->state_root = strcmp(opts->state_root, "/") ? g_strdup(opts->state_root) : g_strdup("");
	cc->refresh_ns = opts->refresh_ns;
	cc->cgroups = g_hash_table_new(g_int64_hash, g_int64_equal);
	cc->misses = g_hash_table_new(g_int64_hash, g_int64_equal);
	cc->infos = g_hash_table_new(g_str_hash, g_str_equal);
	g_queue_init(&cc->cgroup_lru);
	g_queue_init(&cc->miss_lru);
	g_queue_init(&cc->info_lru);
	return cc;
}

/*
 * Besides recording the path, look the container up now: a container's
 * state exists before its cgroup does, and a short-lived container's
 * state may be gone by the time its flows are exported.
 */
void container_cache__cgroup_created(struct container_cache *cc, uint64_t id, const char *path)
{
	struct cgroup_parse p;

	if (!cc || !path)
		return;
	cgroup_entry__insert(cc, id, path);
	if (!cgroup_path__parse(path, &p) && p.id[0] && p.rt != RT_SYSTEMD)
		ctr_info__lookup(cc, &p);
}

int container_cache__fill(struct container_cache *cc, uint64_t cgroup_id, char *path,
			  size_t path_len, struct flow_container *out)
{
	struct cgroup_entry *e;
	struct ctr_info *info;
	struct cgroup_parse p;

	memset(out, 0, sizeof(*out));
	if (path && path_len)
		path[0] = '\0';
	if (!cc)
		return -ENOENT;
	e = cgroup__lookup(cc, cgroup_id);
	if (!e)
		return -ENOENT;
	if (path && path_len)
		utf8__sanitize(path, path_len, e->path, strlen(e->path));
	if (cgroup_path__parse(e->path, &p))
		return 0;
	info = p.id[0] && p.rt != RT_SYSTEMD ? ctr_info__lookup(cc, &p) : NULL;
	g_strlcpy(out->runtime, cgroup_path__runtime_name(info ? info->rt : p.rt),
		  sizeof(out->runtime));
	memcpy(out->id, p.id, sizeof(out->id));
	memcpy(out->pod_uid, p.pod_uid, sizeof(out->pod_uid));
	if (!info)
		return 0;
	memcpy(out->name, info->names.name, sizeof(out->name));
	memcpy(out->image, info->names.image, sizeof(out->image));
	memcpy(out->pod_name, info->names.pod_name, sizeof(out->pod_name));
	memcpy(out->pod_namespace, info->names.pod_namespace, sizeof(out->pod_namespace));
	if (!out->pod_uid[0])
		memcpy(out->pod_uid, info->names.pod_uid, sizeof(out->pod_uid));
	return 0;
}

static void free_list(GQueue *q)
{
	GList *l = q->head;

	while (l) {
		GList *next = l->next;

		g_free(l->data);
		l = next;
	}
	g_queue_init(q);
}

void container_cache__free(struct container_cache *cc)
{
	if (!cc)
		return;
	if (cc->cgroups)
		g_hash_table_destroy(cc->cgroups);
	if (cc->misses)
		g_hash_table_destroy(cc->misses);
	if (cc->infos)
		g_hash_table_destroy(cc->infos);
	free_list(&cc->cgroup_lru);
	free_list(&cc->miss_lru);
	free_list(&cc->info_lru);
	g_free(cc->cgroup2_root);
	g_free(cc->state_root);
	g_free(cc);
}
