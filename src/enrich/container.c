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
#include "text_file.h"

#define CONTAINER_ID_LEN 64		/* hex digits of a podman/docker/containerd/CRI-O id */
#define POD_UID_LEN 36			/* 8-4-4-4-12; static pods use 32 hex digits */
#define CGROUP_CACHE_MAX 16384		/* cgroup id -> path, live and removed cgroups */
#define CGROUP_MISS_MAX 4096		/* ids that a walk of the hierarchy did not find */
#define CGROUP_MISS_TTL_FACTOR 8	/* a miss is kept 8 refresh_ns (struct miss_entry) */
#define CGROUP_WALK_MAX_DEPTH 64
#define CGROUP_WALK_MAX_DIRS 262144
#define INFO_CACHE_MAX 4096		/* container id -> names */
#define STATE_FILE_MAX (16u << 20)	/* bytes; bigger runtime state files are not read */
#define JSON_MAX_DEPTH 64

/* Runtime state, below opts->state_root. */
#define CSTORAGE_DIR "var/lib/containers/storage"	/* containers/storage: podman, CRI-O */
#define CONTAINERD_TASK_DIR "run/containerd/io.containerd.runtime.v2.task"

enum runtime {
	RT_NONE,
	RT_PODMAN,
	RT_DOCKER,
	RT_CONTAINERD,
	RT_CRIO,
	RT_SYSTEMD,
	RT_KUBERNETES,		/* a pod's cgroup, no container in it */
};

/* The values of flow_container.runtime. */
static const char *const runtime_names[] = {
	[RT_NONE] = "",
	[RT_PODMAN] = "podman",
	[RT_DOCKER] = "docker",
	[RT_CONTAINERD] = "containerd",
	[RT_CRIO] = "cri-o",
	[RT_SYSTEMD] = "systemd",
	[RT_KUBERNETES] = "kubernetes",
};

/*
 * What a cgroup path says. @ambiguous: a bare id under a kubelet pod
 * cgroup (cgroupfs driver), which containerd and dockershim both create;
 * the runtime state decides, containerd is the guess.
 */
struct cgroup_parse {
	enum runtime rt;
	bool ambiguous;
	char id[sizeof(((struct flow_container *)0)->id)];
	char pod_uid[sizeof(((struct flow_container *)0)->pod_uid)];
};

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
	enum runtime rt;
	bool found;
	uint64_t checked_ns;
	char name[sizeof(((struct flow_container *)0)->name)];
	char image[sizeof(((struct flow_container *)0)->image)];
	char pod_name[sizeof(((struct flow_container *)0)->pod_name)];
	char pod_namespace[sizeof(((struct flow_container *)0)->pod_namespace)];
	char pod_uid[sizeof(((struct flow_container *)0)->pod_uid)];
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

/* Copy @len bytes of @src into @dst of @size as a string, truncated. */
static void copy_str(char *dst, size_t size, const char *src, size_t len)
{
	if (!size)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Cut an incomplete UTF-8 sequence off the end of @s (left by truncation). */
static void utf8_trim(char *s)
{
	size_t len = strlen(s), i = len, need;
	unsigned char c;

	while (i > 0 && len - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	c = (unsigned char)s[i - 1];
	if (c < 0x80)
		return;
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (len - (i - 1) < need)
		s[i - 1] = '\0';
}

/* ---- cgroup paths ------------------------------------------------------ */

static bool is_lower_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_container_id(const char *s, size_t len)
{
	return len == CONTAINER_ID_LEN && is_lower_hex(s, len);
}

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

/*
 * A Kubernetes pod UID as kubelet writes it in a cgroup name: a UUID,
 * with '_' for '-' in systemd slice names (@systemd), or the 32 hex digits
 * of a static pod's config hash. Into @out (dashes restored).
 */
static bool pod_uid__parse(const char *s, size_t len, bool systemd, char *out, size_t size)
{
	char dash = systemd ? '_' : '-';
	size_t i;

	if (len == 32) {
		if (!is_lower_hex(s, len))
			return false;
	} else if (len == POD_UID_LEN) {
		for (i = 0; i < len; i++) {
			bool sep = i == 8 || i == 13 || i == 18 || i == 23;

			if (sep ? s[i] != dash : !is_lower_hex(s + i, 1))
				return false;
		}
	} else {
		return false;
	}
	copy_str(out, size, s, len);
	for (i = 0; out[i]; i++)
		if (out[i] == '_')
			out[i] = '-';
	return true;
}

/* A kubelet slice: "kubepods-besteffort-pod<uid_>.slice", "kubelet-kubepods-pod<uid_>.slice". */
static bool pod_slice__parse(const char *c, size_t n, char *out, size_t size)
{
	const char *p;
	size_t i;

	if (!has_suffix(c, n, ".slice") || !g_strstr_len(c, n, "kubepods"))
		return false;
	n -= strlen(".slice");
	for (i = n; i >= 4; i--) {
		p = c + i - 4;
		if (!memcmp(p, "-pod", 4))
			return pod_uid__parse(c + i, n - i, true, out, size);
	}
	return false;
}

/*
 * "<prefix><64 hex>" with an optional ".scope" after it (systemd driver),
 * or "<prefix><64 hex>" alone (cgroupfs driver).
 */
static bool prefixed_id(const char *c, size_t n, const char *prefix, char *id, size_t size)
{
	size_t pl = strlen(prefix);

	if (!has_prefix(c, n, prefix))
		return false;
	c += pl;
	n -= pl;
	if (has_suffix(c, n, ".scope"))
		n -= strlen(".scope");
	if (!is_container_id(c, n))
		return false;
	copy_str(id, size, c, n);
	return true;
}

/* The runtime behind a scope prefix of runc's systemd notation "slice:prefix:id". */
static enum runtime scope_prefix__runtime(const char *p, size_t n)
{
	static const struct {
		const char *prefix;
		enum runtime rt;
	} prefixes[] = {
		{ "cri-containerd", RT_CONTAINERD },
		{ "crio", RT_CRIO },
		{ "docker", RT_DOCKER },
		{ "libpod", RT_PODMAN },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (n == strlen(prefixes[i].prefix) && !memcmp(p, prefixes[i].prefix, n))
			return prefixes[i].rt;
	return RT_NONE;
}

/*
 * Walk the components of @path; the innermost identity wins, so a
 * container nested in another (kind, minikube, docker-in-docker) is
 * named, not its host container. A container id takes the pod UID seen
 * above it; a pod cgroup below a container (a kind node) is a pod of its
 * own. Units of systemd count only when no container or pod is in the
 * path, and only services: a session or other scope is no identity.
 */
static int cgroup_path__parse(const char *path, struct cgroup_parse *r)
{
	const char *c, *next, *unit = NULL;
	bool seen_kubepods = false, prev_pod = false, prev_docker = false;
	size_t n, unit_len = 0;
	char pod[sizeof(r->pod_uid)] = "";

	memset(r, 0, sizeof(*r));
	if (!path)
		return -ENOENT;
	for (c = path; *c; c = next) {
		bool is_pod = false, is_docker;
		const char *colon;

		while (*c == '/')
			c++;
		if (!*c)
			break;
		next = strchr(c, '/');
		if (!next)
			next = c + strlen(c);
		n = (size_t)(next - c);
		is_docker = n == 6 && !memcmp(c, "docker", 6);

		colon = memchr(c, ':', n);
		if (colon) {
			/* runc's "slice:prefix:id" written as a cgroupfs path (containerd on v1) */
			const char *last = c + n - 1;
			enum runtime rt = RT_NONE;
			char slice_pod[sizeof(pod)];

			while (*last != ':')
				last--;
			if (last > colon)
				rt = scope_prefix__runtime(colon + 1, (size_t)(last - colon - 1));
			if (rt != RT_NONE &&
			    is_container_id(last + 1, (size_t)(c + n - last - 1))) {
				if (pod_slice__parse(c, (size_t)(colon - c), slice_pod,
						     sizeof(slice_pod)))
					memcpy(pod, slice_pod, sizeof(pod));
				r->rt = rt;
				r->ambiguous = false;
				copy_str(r->id, sizeof(r->id), last + 1, CONTAINER_ID_LEN);
				memcpy(r->pod_uid, pod, sizeof(pod));
			}
		} else if (has_prefix(c, n, "libpod-conmon-") || has_prefix(c, n, "crio-conmon-")) {
			/* the runtime's monitor, beside the container: not the container */
			r->rt = RT_NONE;
			r->id[0] = '\0';
			r->pod_uid[0] = '\0';
			pod[0] = '\0';
			unit = NULL;
		} else if (prefixed_id(c, n, "libpod-payload-", r->id, sizeof(r->id)) ||
			   prefixed_id(c, n, "libpod-", r->id, sizeof(r->id))) {
			r->rt = RT_PODMAN;
			r->ambiguous = false;
			memcpy(r->pod_uid, pod, sizeof(pod));
		} else if (has_suffix(c, n, ".scope") &&
			   prefixed_id(c, n, "docker-", r->id, sizeof(r->id))) {
			r->rt = RT_DOCKER;
			r->ambiguous = false;
			memcpy(r->pod_uid, pod, sizeof(pod));
		} else if (prefixed_id(c, n, "cri-containerd-", r->id, sizeof(r->id))) {
			r->rt = RT_CONTAINERD;
			r->ambiguous = false;
			memcpy(r->pod_uid, pod, sizeof(pod));
		} else if (prefixed_id(c, n, "crio-", r->id, sizeof(r->id))) {
			r->rt = RT_CRIO;
			r->ambiguous = false;
			memcpy(r->pod_uid, pod, sizeof(pod));
		} else if (is_container_id(c, n) && (prev_docker || prev_pod)) {
			/* cgroupfs driver: /docker/<id>, /kubepods/<qos>/pod<uid>/<id> */
			r->rt = prev_docker ? RT_DOCKER : RT_CONTAINERD;
			r->ambiguous = !prev_docker;
			copy_str(r->id, sizeof(r->id), c, n);
			memcpy(r->pod_uid, pod, sizeof(pod));
		} else if ((seen_kubepods && has_prefix(c, n, "pod") &&
			    pod_uid__parse(c + 3, n - 3, false, pod, sizeof(pod))) ||
			   pod_slice__parse(c, n, pod, sizeof(pod))) {
			is_pod = true;
			r->rt = RT_KUBERNETES;
			r->ambiguous = false;
			r->id[0] = '\0';
			memcpy(r->pod_uid, pod, sizeof(pod));
		} else if (has_suffix(c, n, ".service") || has_suffix(c, n, ".scope")) {
			unit = c;
			unit_len = n;
		}
		if (has_prefix(c, n, "kubepods"))
			seen_kubepods = true;
		prev_pod = is_pod;
		prev_docker = is_docker;
	}
	if (r->rt != RT_NONE)
		return 0;
	if (unit && has_suffix(unit, unit_len, ".service")) {
		r->rt = RT_SYSTEMD;
		copy_str(r->id, sizeof(r->id), unit, unit_len);
		return 0;
	}
	return -ENOENT;
}

int container__parse_cgroup_path(const char *path, struct flow_container *out)
{
	struct cgroup_parse r;
	int err;

	memset(out, 0, sizeof(*out));
	err = cgroup_path__parse(path, &r);
	if (err)
		return err;
	g_strlcpy(out->runtime, runtime_names[r.rt], sizeof(out->runtime));
	memcpy(out->id, r.id, sizeof(out->id));
	memcpy(out->pod_uid, r.pod_uid, sizeof(out->pod_uid));
	return 0;
}

/* ---- a small bounded JSON reader ---------------------------------------- */

/*
 * A cursor on a JSON value inside a buffer: p at the value, end at the
 * buffer's end. Only reads: finds string members by key path and walks
 * arrays, validating what it steps over. Never reads past end, recurses
 * at most JSON_MAX_DEPTH deep; strings are truncated to the caller's
 * buffer.
 */
struct json {
	const char *p;
	const char *end;
};

static void json__ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int json__hex4(const char *p, const char *end, unsigned int *v)
{
	int i;

	if (end - p < 4)
		return -EINVAL;
	*v = 0;
	for (i = 0; i < 4; i++) {
		int d = g_ascii_xdigit_value(p[i]);

		if (d < 0)
			return -EINVAL;
		*v = *v << 4 | (unsigned int)d;
	}
	return 0;
}

/* Append @len bytes to @out (of @size, @*used so far), dropping what does not fit. */
static void json__put(char *out, size_t size, size_t *used, const char *s, size_t len)
{
	if (!out || !size)
		return;
	if (*used + len >= size)
		len = *used + 1 < size ? size - 1 - *used : 0;
	memcpy(out + *used, s, len);
	*used += len;
	out[*used] = '\0';
}

/*
 * The string at @j (which must start with '"'), decoded into @out
 * (NULL: only skip it), truncated at a character boundary. Moves @j past
 * it. @truncated (may be NULL) says whether it fit.
 */
static int json__string(struct json *j, char *out, size_t size, bool *truncated)
{
	size_t used = 0;
	const char *p = j->p;

	if (out && size)
		out[0] = '\0';
	if (p >= j->end || *p != '"')
		return -EINVAL;
	for (p++; p < j->end && *p != '"'; ) {
		static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
		const char *run = p, *esc;
		unsigned int cp, lo;
		char buf[6];

		while (p < j->end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			p++;
		json__put(out, size, &used, run, (size_t)(p - run));
		if (p >= j->end || *p == '"')
			break;
		if ((unsigned char)*p < 0x20 || ++p >= j->end)
			return -EINVAL;
		esc = *p ? strchr(esc_in, *p) : NULL;
		if (esc) {
			json__put(out, size, &used, &esc_out[esc - esc_in], 1);
			p++;
			continue;
		}
		if (*p++ != 'u' || json__hex4(p, j->end, &cp))
			return -EINVAL;
		p += 4;
		if (cp >= 0xd800 && cp < 0xdc00 && j->end - p >= 6 && p[0] == '\\' &&
		    p[1] == 'u' && !json__hex4(p + 2, j->end, &lo) && lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		} else if ((cp >= 0xd800 && cp < 0xe000) || cp == 0) {
			cp = 0xfffd;	/* a lone surrogate; NUL would end the C string */
		}
		json__put(out, size, &used, buf, (size_t)g_unichar_to_utf8(cp, buf));
	}
	if (p >= j->end)
		return -EINVAL;
	j->p = p + 1;
	if (out && size && used + 1 >= size) {
		utf8_trim(out);
		if (truncated)
			*truncated = true;
	} else if (truncated) {
		*truncated = false;
	}
	return 0;
}

static int json__skip(struct json *j, int depth);

/* Step over an object or array at @j ('{' or '['), validating members. */
static int json__skip_container(struct json *j, int depth)
{
	char close = *j->p == '{' ? '}' : ']';
	bool object = close == '}';

	if (depth >= JSON_MAX_DEPTH)
		return -E2BIG;
	j->p++;
	json__ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		int err;

		json__ws(j);
		if (object) {
			err = json__string(j, NULL, 0, NULL);
			if (err)
				return err;
			json__ws(j);
			if (j->p >= j->end || *j->p != ':')
				return -EINVAL;
			j->p++;
		}
		err = json__skip(j, depth + 1);
		if (err)
			return err;
		json__ws(j);
		if (j->p >= j->end)
			return -EINVAL;
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		if (*j->p != ',')
			return -EINVAL;
		j->p++;
	}
}

/* Step over the value at @j. */
static int json__skip(struct json *j, int depth)
{
	static const char *const literals[] = { "true", "false", "null" };
	const char *start;
	size_t i;

	json__ws(j);
	if (j->p >= j->end)
		return -EINVAL;
	switch (*j->p) {
	case '"':
		return json__string(j, NULL, 0, NULL);
	case '{':
	case '[':
		return json__skip_container(j, depth);
	}
	for (i = 0; i < G_N_ELEMENTS(literals); i++) {
		size_t n = strlen(literals[i]);

		if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, literals[i], n)) {
			j->p += n;
			return 0;
		}
	}
	for (start = j->p; j->p < j->end && *j->p && strchr("+-0123456789.eE", *j->p); j->p++)
		;
	return j->p > start ? 0 : -EINVAL;
}

/* The value of member @key of the object at @obj, into @val. -ENOENT if absent. */
static int json__member(struct json obj, const char *key, struct json *val)
{
	char name[128];
	int err;

	json__ws(&obj);
	if (obj.p >= obj.end || *obj.p != '{')
		return -EINVAL;
	obj.p++;
	json__ws(&obj);
	if (obj.p < obj.end && *obj.p == '}')
		return -ENOENT;
	for (;;) {
		bool truncated;

		json__ws(&obj);
		err = json__string(&obj, name, sizeof(name), &truncated);
		if (err)
			return err;
		json__ws(&obj);
		if (obj.p >= obj.end || *obj.p != ':')
			return -EINVAL;
		obj.p++;
		json__ws(&obj);
		if (!truncated && !strcmp(name, key)) {
			*val = obj;
			return 0;
		}
		err = json__skip(&obj, 1);
		if (err)
			return err;
		json__ws(&obj);
		if (obj.p >= obj.end)
			return -EINVAL;
		if (*obj.p == '}')
			return -ENOENT;
		if (*obj.p != ',')
			return -EINVAL;
		obj.p++;
	}
}

/*
 * The string at key path @keys (NULL-terminated) from @v into @out.
 * Returns 0, -ENOENT (absent, or not a string; @out is "") or -EINVAL.
 */
static int json__get_str(struct json v, const char *const *keys, char *out, size_t size)
{
	int err;

	out[0] = '\0';
	for (; *keys; keys++) {
		err = json__member(v, *keys, &v);
		if (err)
			return err;
	}
	json__ws(&v);
	if (v.p >= v.end || *v.p != '"')
		return -ENOENT;
	return json__string(&v, out, size, NULL);
}

/* Array iteration: json__array_begin() on the '[', then json__array_next() until it returns 0. */
struct json_iter {
	struct json j;
	bool started;
};

static int json__array_begin(struct json v, struct json_iter *it)
{
	json__ws(&v);
	if (v.p >= v.end || *v.p != '[')
		return -EINVAL;
	v.p++;
	it->j = v;
	it->started = false;
	return 0;
}

/* The next element into @elem: 1, or 0 at the end, or -errno on malformed input. */
static int json__array_next(struct json_iter *it, struct json *elem)
{
	int err;

	json__ws(&it->j);
	if (it->j.p >= it->j.end)
		return -EINVAL;
	if (*it->j.p == ']')
		return 0;
	if (it->started) {
		if (*it->j.p != ',')
			return -EINVAL;
		it->j.p++;
		json__ws(&it->j);
	}
	it->started = true;
	*elem = it->j;
	err = json__skip(&it->j, 1);
	return err ? err : 1;
}

/* The first string of the array at key @key of @v ("names": ["x", ...]). */
static int json__first_str(struct json v, const char *key, char *out, size_t size)
{
	struct json_iter it;
	struct json arr, elem;
	int err;

	out[0] = '\0';
	err = json__member(v, key, &arr);
	if (!err)
		err = json__array_begin(arr, &it);
	if (!err)
		err = json__array_next(&it, &elem);
	if (err <= 0)
		return err ? err : -ENOENT;
	json__ws(&elem);
	if (elem.p >= elem.end || *elem.p != '"')
		return -ENOENT;
	return json__string(&elem, out, size, NULL);
}

/* ---- runtime state files ------------------------------------------------- */

static struct json json__doc(const char *buf, size_t len)
{
	struct json j = { buf, buf + len };

	json__ws(&j);
	return j;
}

/* The LRU cache of container names. */
static void ctr_info__touch(struct container_cache *cc, struct ctr_info *info)
{
	g_queue_unlink(&cc->info_lru, &info->link);
	g_queue_push_tail_link(&cc->info_lru, &info->link);
}

static void ctr_info__key(char *key, size_t size, enum runtime rt, const char *id)
{
	snprintf(key, size, "%s:%s", runtime_names[rt], id);
}

static struct ctr_info *ctr_info__find(struct container_cache *cc, enum runtime rt, const char *id)
{
	char key[sizeof(((struct ctr_info *)0)->key)];

	ctr_info__key(key, sizeof(key), rt, id);
	return g_hash_table_lookup(cc->infos, key);
}

/* The entry of (@rt, @id), made empty (not found) if new; the oldest entry goes past the bound. */
static struct ctr_info *ctr_info__get(struct container_cache *cc, enum runtime rt, const char *id)
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
	info->name[0] = info->image[0] = '\0';
	info->pod_name[0] = info->pod_namespace[0] = info->pod_uid[0] = '\0';
}

/*
 * A string member @inner of the JSON object that is itself held as a
 * string at member @key of @v (podman's metadata, CRI-O's labels).
 */
static int json__str_in_str(struct json v, const char *key, const char *inner, char *out,
			    size_t size)
{
	const char *inner_keys[] = { inner, NULL };
	struct json s, end;
	size_t cap;
	char *text;
	int err;

	out[0] = '\0';
	err = json__member(v, key, &s);
	if (err)
		return err;
	json__ws(&s);
	if (s.p >= s.end || *s.p != '"')
		return -ENOENT;
	end = s;
	err = json__string(&end, NULL, 0, NULL);
	if (err)
		return err;
	cap = (size_t)(end.p - s.p);	/* the decoded text is never longer */
	text = g_malloc(cap);
	err = json__string(&s, text, cap, NULL);
	if (!err)
		err = json__get_str(json__doc(text, strlen(text)), inner_keys, out, size);
	g_free(text);
	return err;
}

/* containers/storage's images.json: [{"id", "names": ["repo:tag", ...]}], image id -> first name. */
static void podman__load_images(struct container_cache *cc, const char *driver, GHashTable *images)
{
	struct json_iter it;
	struct json elem;
	char *path, *buf, id[CONTAINER_ID_LEN + 1], name[sizeof(((struct ctr_info *)0)->image)];
	size_t len;
	int ret;

	path = g_strdup_printf("%s/%s/%s-images/images.json", cc->state_root, CSTORAGE_DIR,
			       driver);
	ret = text_file__read(path, STATE_FILE_MAX, &buf, &len);
	g_free(path);
	if (ret)
		return;
	ret = json__array_begin(json__doc(buf, len), &it);
	while (!ret && json__array_next(&it, &elem) > 0) {
		static const char *const id_key[] = { "id", NULL };

		if (json__get_str(elem, id_key, id, sizeof(id)) ||
		    json__first_str(elem, "names", name, sizeof(name)) || !name[0])
			continue;
		g_hash_table_replace(images, g_strdup(id), g_strdup(name));
	}
	g_free(buf);
}

/*
 * podman (and anything else on containers/storage): the driver's
 * containers.json lists every container: {"id", "names": [...], "image"
 * (image id), "metadata": "<JSON string with image-name, name>"}. The
 * image name is the one the container was made from (metadata), else the
 * image's first name now. Every container listed is cached; read at most
 * once per refresh_ns.
 */
static const char *const podman_drivers[] = { "overlay", "vfs", "btrfs", "zfs" };

/*
 * A stamp of podman's containers.json files (mtime and size): podman
 * rewrites them when it creates a container, before the container's cgroup
 * exists, so a changed stamp means new names to read now.
 */
static uint64_t podman__stamp(const struct container_cache *cc)
{
	uint64_t stamp = 0;
	struct stat st;
	char *path;
	size_t d;

	for (d = 0; d < G_N_ELEMENTS(podman_drivers); d++) {
		path = g_strdup_printf("%s/%s/%s-containers/containers.json", cc->state_root,
				       CSTORAGE_DIR, podman_drivers[d]);
		if (stat(path, &st) == 0)
			stamp += (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
				 (uint64_t)st.st_mtim.tv_nsec + (uint64_t)st.st_size;
		g_free(path);
	}
	return stamp;
}

/* Whether podman's state changed since it was last read: a stat per file, no read. */
static bool podman__changed(const struct container_cache *cc)
{
	return !cc->podman_loaded || podman__stamp(cc) != cc->podman_stamp;
}

static void podman__load(struct container_cache *cc, uint64_t now)
{
	static const char *const *drivers = podman_drivers;
	static const char *const id_key[] = { "id", NULL };
	static const char *const image_key[] = { "image", NULL };
	size_t d;

	if (!container_cache__due(cc, cc->podman_loaded, cc->podman_ns, now, 1) &&
	    !podman__changed(cc))
		return;
	cc->podman_loaded = true;
	cc->podman_ns = now;
	cc->podman_stamp = podman__stamp(cc);
	for (d = 0; d < G_N_ELEMENTS(podman_drivers); d++) {
		GHashTable *images = NULL;
		struct json_iter it;
		struct json elem;
		char *path, *buf;
		size_t len;
		int ret;

		path = g_strdup_printf("%s/%s/%s-containers/containers.json", cc->state_root,
				       CSTORAGE_DIR, drivers[d]);
		ret = text_file__read(path, STATE_FILE_MAX, &buf, &len);
		g_free(path);
		if (ret)
			continue;
		ret = json__array_begin(json__doc(buf, len), &it);
		while (!ret && json__array_next(&it, &elem) > 0) {
			char id[CONTAINER_ID_LEN + 1], image_id[CONTAINER_ID_LEN + 1];
			struct ctr_info *info;

			if (json__get_str(elem, id_key, id, sizeof(id)) ||
			    !is_container_id(id, strlen(id)))
				continue;
			info = ctr_info__get(cc, RT_PODMAN, id);
			ctr_info__clear(info);
			info->found = true;
			info->checked_ns = now;
			if (json__first_str(elem, "names", info->name, sizeof(info->name)) ||
			    !info->name[0])
				json__str_in_str(elem, "metadata", "name", info->name,
						 sizeof(info->name));
			json__str_in_str(elem, "metadata", "image-name", info->image,
					 sizeof(info->image));
			if (info->image[0] || json__get_str(elem, image_key, image_id,
							    sizeof(image_id)))
				continue;
			if (!images) {
				images = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							       g_free);
				podman__load_images(cc, drivers[d], images);
			}
			if (g_hash_table_lookup(images, image_id))
				g_strlcpy(info->image, g_hash_table_lookup(images, image_id),
					  sizeof(info->image));
			else
				g_strlcpy(info->image, image_id, sizeof(info->image));
		}
		if (images)
			g_hash_table_destroy(images);
		g_free(buf);
	}
}

/* Read one JSON state file into @buf as a document. */
static int state__doc(const char *path, char **buf, struct json *doc)
{
	size_t len;
	int err = text_file__read(path, STATE_FILE_MAX, buf, &len);

	if (!err)
		*doc = json__doc(*buf, len);
	return err;
}

/*
 * docker: containers/<id>/config.v2.json: "Name" ("/name"),
 * "Config": {"Image", "Labels": {io.kubernetes.* when kubelet made it}}.
 */
static int docker__read(struct container_cache *cc, struct ctr_info *info)
{
	static const char *const name_key[] = { "Name", NULL };
	static const char *const image_key[] = { "Config", "Image", NULL };
	static const char *const image_id_key[] = { "Image", NULL };
	static const char *const kname_key[] = { "Config", "Labels", "io.kubernetes.container.name",
						 NULL };
	static const char *const pod_key[] = { "Config", "Labels", "io.kubernetes.pod.name", NULL };
	static const char *const ns_key[] = { "Config", "Labels", "io.kubernetes.pod.namespace",
					      NULL };
	static const char *const uid_key[] = { "Config", "Labels", "io.kubernetes.pod.uid", NULL };
	struct json doc;
	char *path, *buf;
	int err;

	path = g_strdup_printf("%s/var/lib/docker/containers/%s/config.v2.json", cc->state_root,
			       info->id);
	err = state__doc(path, &buf, &doc);
	g_free(path);
	if (err)
		return err;
	if (json__get_str(doc, kname_key, info->name, sizeof(info->name)) || !info->name[0]) {
		json__get_str(doc, name_key, info->name, sizeof(info->name));
		if (info->name[0] == '/')
			memmove(info->name, info->name + 1, strlen(info->name));
	}
	if (json__get_str(doc, image_key, info->image, sizeof(info->image)) || !info->image[0])
		json__get_str(doc, image_id_key, info->image, sizeof(info->image));
	json__get_str(doc, pod_key, info->pod_name, sizeof(info->pod_name));
	json__get_str(doc, ns_key, info->pod_namespace, sizeof(info->pod_namespace));
	json__get_str(doc, uid_key, info->pod_uid, sizeof(info->pod_uid));
	info->found = true;
	g_free(buf);
	return 0;
}

/* An annotation of an OCI config.json ("annotations": {...}) into @out. */
static int oci__annotation(struct json doc, const char *key, char *out, size_t size)
{
	const char *keys[] = { "annotations", key, NULL };

	return json__get_str(doc, keys, out, size);
}

/*
 * A pod sandbox (the pause container) has no container name; call it
 * "POD", the name kubelet gave it with docker.
 */
static void sandbox__name(struct json doc, const char *type_key, char *out, size_t size)
{
	char type[16];

	if (!oci__annotation(doc, type_key, type, sizeof(type)) && !strcmp(type, "sandbox"))
		g_strlcpy(out, "POD", size);
}

/* Annotation @key, else the same key in CRI-O's labels annotation (a JSON string). */
static void crio__annotation(struct json doc, const char *key, char *out, size_t size)
{
	struct json ann;

	if (!oci__annotation(doc, key, out, size) && out[0])
		return;
	if (!json__member(doc, "annotations", &ann))
		json__str_in_str(ann, "io.kubernetes.cri-o.Labels", key, out, size);
}

/*
 * CRI-O: overlay-containers/<id>/userdata/config.json (containers/storage
 * graph root, or the bundle in the run root), the OCI spec whose
 * annotations carry the kubelet's labels and CRI-O's own keys.
 */
static int crio__read(struct container_cache *cc, struct ctr_info *info)
{
	static const char *const roots[] = { "var/lib", "run" };
	struct json doc;
	char *path, *buf = NULL;
	size_t i;
	int err = -ENOENT;

	for (i = 0; i < G_N_ELEMENTS(roots) && err; i++) {
		path = g_strdup_printf("%s/%s/containers/storage/overlay-containers/%s/%s",
				       cc->state_root, roots[i], info->id, "userdata/config.json");
		err = state__doc(path, &buf, &doc);
		g_free(path);
	}
	if (err)
		return err;
	crio__annotation(doc, "io.kubernetes.container.name", info->name, sizeof(info->name));
	if (!info->name[0])
		sandbox__name(doc, "io.kubernetes.cri-o.ContainerType", info->name,
			      sizeof(info->name));
	if (oci__annotation(doc, "io.kubernetes.cri-o.ImageName", info->image,
			    sizeof(info->image)) || !info->image[0])
		oci__annotation(doc, "io.kubernetes.cri-o.Image", info->image, sizeof(info->image));
	crio__annotation(doc, "io.kubernetes.pod.name", info->pod_name, sizeof(info->pod_name));
	crio__annotation(doc, "io.kubernetes.pod.namespace", info->pod_namespace,
			 sizeof(info->pod_namespace));
	if (!info->pod_namespace[0])
		oci__annotation(doc, "io.kubernetes.cri-o.Namespace", info->pod_namespace,
				sizeof(info->pod_namespace));
	crio__annotation(doc, "io.kubernetes.pod.uid", info->pod_uid, sizeof(info->pod_uid));
	info->found = true;
	g_free(buf);
	return 0;
}

/*
 * containerd: the OCI bundle of a running task,
 * io.containerd.runtime.v2.task/<namespace>/<id>/config.json, with the
 * CRI plugin's annotations (k8s.io) or nerdctl's (default). The bundle
 * goes when the task does: names are caught while the container runs.
 */
static int containerd__read(struct container_cache *cc, struct ctr_info *info)
{
	static const char *const namespaces[] = { "k8s.io", "default" };
	struct json doc;
	char *path, *buf = NULL;
	size_t i;
	int err = -ENOENT;

	for (i = 0; i < G_N_ELEMENTS(namespaces) && err; i++) {
		path = g_strdup_printf("%s/%s/%s/%s/config.json", cc->state_root,
				       CONTAINERD_TASK_DIR, namespaces[i], info->id);
		err = state__doc(path, &buf, &doc);
		g_free(path);
	}
	if (err)
		return err;
	if (oci__annotation(doc, "io.kubernetes.cri.container-name", info->name,
			    sizeof(info->name)) || !info->name[0])
		sandbox__name(doc, "io.kubernetes.cri.container-type", info->name,
			      sizeof(info->name));
	if (!info->name[0])
		oci__annotation(doc, "nerdctl/name", info->name, sizeof(info->name));
	if (oci__annotation(doc, "io.kubernetes.cri.image-name", info->image,
			    sizeof(info->image)) || !info->image[0])
		oci__annotation(doc, "io.containerd.image.name", info->image, sizeof(info->image));
	oci__annotation(doc, "io.kubernetes.cri.sandbox-name", info->pod_name,
			sizeof(info->pod_name));
	oci__annotation(doc, "io.kubernetes.cri.sandbox-namespace", info->pod_namespace,
			sizeof(info->pod_namespace));
	oci__annotation(doc, "io.kubernetes.cri.sandbox-uid", info->pod_uid, sizeof(info->pod_uid));
	info->found = true;
	g_free(buf);
	return 0;
}

/* Read (@rt, @info->id)'s state into @info; podman's read refreshes every podman container. */
static void ctr_info__read(struct container_cache *cc, struct ctr_info *info, uint64_t now)
{
	ctr_info__clear(info);
	switch (info->rt) {
	case RT_DOCKER:
		docker__read(cc, info);
		break;
	case RT_CRIO:
		crio__read(cc, info);
		break;
	case RT_CONTAINERD:
		containerd__read(cc, info);
		break;
	default:
		break;
	}
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
	enum runtime rts[2] = { p->rt, RT_DOCKER };
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
	if (path && path_len) {
		g_strlcpy(path, e->path, path_len);
		utf8_trim(path);
	}
	if (cgroup_path__parse(e->path, &p))
		return 0;
	info = p.id[0] && p.rt != RT_SYSTEMD ? ctr_info__lookup(cc, &p) : NULL;
	g_strlcpy(out->runtime, runtime_names[info ? info->rt : p.rt], sizeof(out->runtime));
	memcpy(out->id, p.id, sizeof(out->id));
	memcpy(out->pod_uid, p.pod_uid, sizeof(out->pod_uid));
	if (!info)
		return 0;
	memcpy(out->name, info->name, sizeof(out->name));
	memcpy(out->image, info->image, sizeof(out->image));
	memcpy(out->pod_name, info->pod_name, sizeof(out->pod_name));
	memcpy(out->pod_namespace, info->pod_namespace, sizeof(out->pod_namespace));
	if (!out->pod_uid[0])
		memcpy(out->pod_uid, info->pod_uid, sizeof(out->pod_uid));
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
