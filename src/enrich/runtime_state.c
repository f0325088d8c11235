// SPDX-License-Identifier: GPL-2.0-only
/* Names of a container from its runtime's state files, parsed by jansson within a memory budget. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <jansson.h>

#include "enrich/runtime_state.h"
#include "text_file.h"
#include "utf8.h"

/* Runtime state, below the state root. */
#define CSTORAGE_DIR "var/lib/containers/storage"	/* containers/storage: podman, CRI-O */
#define CONTAINERD_TASK_DIR "run/containerd/io.containerd.runtime.v2.task"

/*
 * What jansson may allocate for a document, estimated from its shape before
 * it is parsed: JSON_MEM_PER_TOKEN for each '[', '{', ',' and ':' outside
 * strings (each starts a value, an array or an object with its hash table),
 * JSON_MEM_PER_BYTE for the text (string copies, the lexer's buffer) and
 * JSON_MEM_BASE. Measured with jansson 2.14 on Debian 12 x86_64 (our 16-byte
 * header counted): an object with its table about 250 bytes, an array 150,
 * a number 40, so the estimate is an upper bound; the state files in
 * tests/data take 3.5 to 7.7 bytes per byte of text. A document whose
 * estimate passes JSON_MEM_MAX, or nested deeper than JSON_MAX_DEPTH (state
 * files nest less than 10 deep), is refused before jansson sees it: jansson
 * 2.14 asserts (aborts) when an allocation fails in its lexer, so our
 * allocator's limit is a backstop that a parse must never reach.
 */
#define JSON_MEM_PER_TOKEN 512u
#define JSON_MEM_PER_BYTE 4u
#define JSON_MEM_BASE (64u << 10)
#define JSON_MEM_MAX (256u << 20)
#define JSON_MAX_DEPTH 64
#define JSON_MEM_HEADER 16u		/* keeps malloc's alignment */

/*
 * jansson's allocations are counted so each parse stays within its budget:
 * json_mem_limit is the most that may be live (SIZE_MAX: no parse running).
 * Parses run on the daemon's one thread; thread-local all the same, so a
 * parse elsewhere never sees another's budget.
 */
static _Thread_local size_t json_mem_used;
static _Thread_local size_t json_mem_limit = SIZE_MAX;

static void *json_mem__alloc(size_t size)
{
	size_t total, *p;

	if (size > SIZE_MAX - JSON_MEM_HEADER)
		return NULL;
	total = size + JSON_MEM_HEADER;
	if (json_mem_used > json_mem_limit || total > json_mem_limit - json_mem_used)
		return NULL;
	p = malloc(total);
	if (!p)
		return NULL;
	p[0] = total;
	json_mem_used += total;
	return (char *)p + JSON_MEM_HEADER;
}

static void json_mem__free(void *ptr)
{
	size_t *p;

	if (!ptr)
		return;
	p = (size_t *)(void *)((char *)ptr - JSON_MEM_HEADER);
	json_mem_used -= p[0];
	free(p);
}

/*
 * What parsing @len bytes at @buf may allocate (see JSON_MEM_PER_TOKEN); 0
 * when the document is refused: nested deeper than JSON_MAX_DEPTH, or an
 * estimate over JSON_MEM_MAX.
 */
static size_t json_mem__budget(const char *buf, size_t len)
{
	size_t i, tokens = 0, depth = 0;
	bool in_string = false;
	char c;

	if (len > (JSON_MEM_MAX - JSON_MEM_BASE) / JSON_MEM_PER_BYTE)
		return 0;
	for (i = 0; i < len; i++) {
		c = buf[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			in_string = true;
			break;
		case '[':
		case '{':
			if (++depth > JSON_MAX_DEPTH)
				return 0;
			tokens++;
			break;
		case ']':
		case '}':
			if (depth)
				depth--;
			break;
		case ',':
		case ':':
			tokens++;
			break;
		}
	}
	if (tokens > (JSON_MEM_MAX - JSON_MEM_BASE - len * JSON_MEM_PER_BYTE) / JSON_MEM_PER_TOKEN)
		return 0;
	return JSON_MEM_BASE + len * JSON_MEM_PER_BYTE + tokens * JSON_MEM_PER_TOKEN;
}

/*
 * Parse @len bytes of JSON within a budget on top of what is live (a
 * document parsed from a string of another stays within both). \u0000 is
 * allowed: it becomes U+FFFD with the rest of the string's bad bytes.
 */
static json_t *state_json__load(const char *buf, size_t len)
{
	static gsize alloc_set;
	size_t saved = json_mem_limit, budget = json_mem__budget(buf, len);
	json_error_t jerr;
	json_t *doc;

	if (!budget)
		return NULL;
	if (g_once_init_enter(&alloc_set)) {
		/* before jansson allocates anything: every pointer it frees is ours */
		json_set_alloc_funcs(json_mem__alloc, json_mem__free);
		g_once_init_leave(&alloc_set, 1);
	}
	json_mem_limit = json_mem_used > SIZE_MAX - budget ? SIZE_MAX : json_mem_used + budget;
	doc = json_loadb(buf, len, JSON_ALLOW_NUL, &jerr);
	json_mem_limit = saved;
	return doc;
}

/* The value at key path @keys (NULL-terminated) below @v; NULL if absent. */
static json_t *state_json__get(json_t *v, const char *const *keys)
{
	for (; v && *keys; keys++)
		v = json_is_object(v) ? json_object_get(v, *keys) : NULL;
	return v;
}

/* The string at @keys below @v into @out, valid UTF-8, cut to fit. -ENOENT: absent or no string. */
static int state_json__str(json_t *v, const char *const *keys, char *out, size_t size)
{
	out[0] = '\0';
	v = state_json__get(v, keys);
	if (!json_is_string(v))
		return -ENOENT;
	utf8__sanitize(out, size, json_string_value(v), json_string_length(v));
	return 0;
}

/* Member @key of object @v as a string into @out (see state_json__str). */
static int state_json__member(json_t *v, const char *key, char *out, size_t size)
{
	const char *keys[] = { key, NULL };

	return state_json__str(v, keys, out, size);
}

/* The first string of the array at member @key of @v ("names": ["x", ...]). */
static int state_json__first_str(json_t *v, const char *key, char *out, size_t size)
{
	json_t *arr = json_is_object(v) ? json_object_get(v, key) : NULL, *first;

	out[0] = '\0';
	first = json_is_array(arr) ? json_array_get(arr, 0) : NULL;
	if (!json_is_string(first))
		return -ENOENT;
	utf8__sanitize(out, size, json_string_value(first), json_string_length(first));
	return 0;
}

/*
 * A string member @inner of the JSON object that is itself held as a
 * string at member @key of @v (podman's metadata, CRI-O's labels).
 */
static int state_json__str_in_str(json_t *v, const char *key, const char *inner, char *out,
				  size_t size)
{
	json_t *s = json_is_object(v) ? json_object_get(v, key) : NULL, *doc;
	int err;

	out[0] = '\0';
	if (!json_is_string(s))
		return -ENOENT;
	doc = state_json__load(json_string_value(s), json_string_length(s));
	if (!doc)
		return -EINVAL;
	err = state_json__member(doc, inner, out, size);
	json_decref(doc);
	return err;
}

/* A state file, at most RUNTIME_STATE_FILE_MAX bytes (a FIFO in its place is refused). */
static int read_state_file(const char *path, char **buf, size_t *len)
{
	return text_file__read(path, RUNTIME_STATE_FILE_MAX, buf, len);
}

/* ---- docker, CRI-O, containerd: one file per container ------------------- */

/*
 * docker: containers/<id>/config.v2.json: "Name" ("/name"),
 * "Config": {"Image", "Labels": {io.kubernetes.* when kubelet made it}}.
 */
static void docker__names(json_t *doc, struct runtime_names *out)
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

	if (state_json__str(doc, kname_key, out->name, sizeof(out->name)) || !out->name[0]) {
		state_json__str(doc, name_key, out->name, sizeof(out->name));
		if (out->name[0] == '/')
			memmove(out->name, out->name + 1, strlen(out->name));
	}
	if (state_json__str(doc, image_key, out->image, sizeof(out->image)) || !out->image[0])
		state_json__str(doc, image_id_key, out->image, sizeof(out->image));
	state_json__str(doc, pod_key, out->pod_name, sizeof(out->pod_name));
	state_json__str(doc, ns_key, out->pod_namespace, sizeof(out->pod_namespace));
	state_json__str(doc, uid_key, out->pod_uid, sizeof(out->pod_uid));
}

/* An annotation of an OCI config.json ("annotations": {...}) into @out. */
static int oci__annotation(json_t *doc, const char *key, char *out, size_t size)
{
	const char *keys[] = { "annotations", key, NULL };

	return state_json__str(doc, keys, out, size);
}

/*
 * A pod sandbox (the pause container) has no container name; call it
 * "POD", the name kubelet gave it with docker.
 */
static void sandbox__name(json_t *doc, const char *type_key, char *out, size_t size)
{
	char type[16];

	if (!oci__annotation(doc, type_key, type, sizeof(type)) && !strcmp(type, "sandbox"))
		g_strlcpy(out, "POD", size);
}

/* Annotation @key, else the same key in CRI-O's labels annotation (a JSON string). */
static void crio__annotation(json_t *doc, const char *key, char *out, size_t size)
{
	static const char *const ann_key[] = { "annotations", NULL };

	if (!oci__annotation(doc, key, out, size) && out[0])
		return;
	state_json__str_in_str(state_json__get(doc, ann_key), "io.kubernetes.cri-o.Labels", key,
			       out, size);
}

/* CRI-O: the OCI spec whose annotations carry the kubelet's labels and CRI-O's own keys. */
static void crio__names(json_t *doc, struct runtime_names *out)
{
	crio__annotation(doc, "io.kubernetes.container.name", out->name, sizeof(out->name));
	if (!out->name[0])
		sandbox__name(doc, "io.kubernetes.cri-o.ContainerType", out->name,
			      sizeof(out->name));
	if (oci__annotation(doc, "io.kubernetes.cri-o.ImageName", out->image,
			    sizeof(out->image)) || !out->image[0])
		oci__annotation(doc, "io.kubernetes.cri-o.Image", out->image, sizeof(out->image));
	crio__annotation(doc, "io.kubernetes.pod.name", out->pod_name, sizeof(out->pod_name));
	crio__annotation(doc, "io.kubernetes.pod.namespace", out->pod_namespace,
			 sizeof(out->pod_namespace));
	if (!out->pod_namespace[0])
		oci__annotation(doc, "io.kubernetes.cri-o.Namespace", out->pod_namespace,
				sizeof(out->pod_namespace));
	crio__annotation(doc, "io.kubernetes.pod.uid", out->pod_uid, sizeof(out->pod_uid));
}

/* containerd: the CRI plugin's annotations (k8s.io) or nerdctl's (default). */
static void containerd__names(json_t *doc, struct runtime_names *out)
{
	if (oci__annotation(doc, "io.kubernetes.cri.container-name", out->name,
			    sizeof(out->name)) || !out->name[0])
		sandbox__name(doc, "io.kubernetes.cri.container-type", out->name,
			      sizeof(out->name));
	if (!out->name[0])
		oci__annotation(doc, "nerdctl/name", out->name, sizeof(out->name));
	if (oci__annotation(doc, "io.kubernetes.cri.image-name", out->image,
			    sizeof(out->image)) || !out->image[0])
		oci__annotation(doc, "io.containerd.image.name", out->image, sizeof(out->image));
	oci__annotation(doc, "io.kubernetes.cri.sandbox-name", out->pod_name,
			sizeof(out->pod_name));
	oci__annotation(doc, "io.kubernetes.cri.sandbox-namespace", out->pod_namespace,
			sizeof(out->pod_namespace));
	oci__annotation(doc, "io.kubernetes.cri.sandbox-uid", out->pod_uid, sizeof(out->pod_uid));
}

/* Parse @buf with @names_fn into @out (cleared first). */
static int state__parse(const char *buf, size_t len, void (*names_fn)(json_t *,
			struct runtime_names *), struct runtime_names *out)
{
	json_t *doc;

	memset(out, 0, sizeof(*out));
	doc = state_json__load(buf, len);
	if (!doc)
		return -EINVAL;
	names_fn(doc, out);
	json_decref(doc);
	return 0;
}

int runtime_state__parse_docker(const char *buf, size_t len, struct runtime_names *out)
{
	return state__parse(buf, len, docker__names, out);
}

int runtime_state__parse_crio(const char *buf, size_t len, struct runtime_names *out)
{
	return state__parse(buf, len, crio__names, out);
}

int runtime_state__parse_containerd(const char *buf, size_t len, struct runtime_names *out)
{
	return state__parse(buf, len, containerd__names, out);
}

/* Read and parse the first of @paths (NULL-terminated) that can be read. */
static int state__read_first(char **paths, int (*parse)(const char *, size_t,
			     struct runtime_names *), struct runtime_names *out)
{
	int err = -ENOENT;
	size_t len;
	char *buf;

	for (; *paths && err; paths++) {
		err = read_state_file(*paths, &buf, &len);
		if (!err) {
			err = parse(buf, len, out);
			g_free(buf);
		}
	}
	return err;
}

int runtime_state__read(const char *state_root, enum container_runtime rt, const char *id,
			struct runtime_names *out)
{
	char *paths[3] = { NULL, NULL, NULL };
	int err;

	memset(out, 0, sizeof(*out));
	switch (rt) {
	case RT_DOCKER:
		paths[0] = g_strdup_printf("%s/var/lib/docker/containers/%s/config.v2.json",
					   state_root, id);
		err = state__read_first(paths, runtime_state__parse_docker, out);
		break;
	case RT_CRIO:
		/* containers/storage's graph root, or the bundle in the run root */
		paths[0] = g_strdup_printf("%s/var/lib/containers/storage/overlay-containers/%s/"
					   "userdata/config.json", state_root, id);
		paths[1] = g_strdup_printf("%s/run/containers/storage/overlay-containers/%s/"
					   "userdata/config.json", state_root, id);
		err = state__read_first(paths, runtime_state__parse_crio, out);
		break;
	case RT_CONTAINERD:
		/* the OCI bundle of a running task: gone when the task is */
		paths[0] = g_strdup_printf("%s/%s/k8s.io/%s/config.json", state_root,
					   CONTAINERD_TASK_DIR, id);
		paths[1] = g_strdup_printf("%s/%s/default/%s/config.json", state_root,
					   CONTAINERD_TASK_DIR, id);
		err = state__read_first(paths, runtime_state__parse_containerd, out);
		break;
	default:
		err = -ENOENT;
		break;
	}
	g_free(paths[0]);
	g_free(paths[1]);
	return err;
}

/* ---- podman: one list of every container ---------------------------------- */

static const char *const podman_drivers[] = { "overlay", "vfs", "btrfs", "zfs" };

/*
 * images.json: [{"id", "names": ["repo:tag", ...]}], image id -> first
 * name, parsed only when a container needs it. Either from a file or a
 * buffer (@path NULL).
 */
struct podman_images {
	const char *path;
	const char *buf;
	size_t len;
	GHashTable *by_id;	/* NULL: not read yet */
};

static void podman_images__load(struct podman_images *im)
{
	char name[sizeof(((struct runtime_names *)0)->image)];
	char *file = NULL, id[CONTAINER_ID_LEN + 1];
	const char *buf = im->buf;
	size_t len = im->len, i;
	json_t *doc, *elem;

	im->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (im->path) {
		if (read_state_file(im->path, &file, &len))
			return;
		buf = file;
	}
	doc = buf ? state_json__load(buf, len) : NULL;
	json_array_foreach(doc, i, elem) {
		if (state_json__member(elem, "id", id, sizeof(id)) ||
		    state_json__first_str(elem, "names", name, sizeof(name)) || !name[0])
			continue;
		g_hash_table_replace(im->by_id, g_strdup(id), g_strdup(name));
	}
	json_decref(doc);
	g_free(file);
}

/*
 * containers.json lists every container: {"id", "names": [...], "image"
 * (image id), "metadata": "<JSON string with image-name, name>"}. The
 * image name is the one the container was made from (metadata), else the
 * image's first name now.
 */
static int podman__parse(const char *buf, size_t len, struct podman_images *im,
			 runtime_state_podman_fn fn, void *ctx)
{
	json_t *doc = state_json__load(buf, len), *elem;
	char id[CONTAINER_ID_LEN + 1], image_id[CONTAINER_ID_LEN + 1];
	struct runtime_names names;
	const char *image;
	size_t i;

	if (!json_is_array(doc)) {
		json_decref(doc);
		return -EINVAL;
	}
	json_array_foreach(doc, i, elem) {
		if (state_json__member(elem, "id", id, sizeof(id)) ||
		    !cgroup_path__is_container_id(id, strlen(id)))
			continue;
		memset(&names, 0, sizeof(names));
		if (state_json__first_str(elem, "names", names.name, sizeof(names.name)) ||
		    !names.name[0])
			state_json__str_in_str(elem, "metadata", "name", names.name,
					       sizeof(names.name));
		state_json__str_in_str(elem, "metadata", "image-name", names.image,
				       sizeof(names.image));
		if (!names.image[0] && !state_json__member(elem, "image", image_id,
							    sizeof(image_id))) {
			if (!im->by_id)
				podman_images__load(im);
			image = g_hash_table_lookup(im->by_id, image_id);
			g_strlcpy(names.image, image ? image : image_id, sizeof(names.image));
		}
		fn(ctx, id, &names);
	}
	json_decref(doc);
	return 0;
}

int runtime_state__parse_podman(const char *containers, size_t containers_len,
				const char *images, size_t images_len, runtime_state_podman_fn fn,
				void *ctx)
{
	struct podman_images im = { .buf = images, .len = images_len };
	int err = podman__parse(containers, containers_len, &im, fn, ctx);

	if (im.by_id)
		g_hash_table_destroy(im.by_id);
	return err;
}

void runtime_state__podman_each(const char *state_root, runtime_state_podman_fn fn, void *ctx)
{
	size_t d, len;

	for (d = 0; d < G_N_ELEMENTS(podman_drivers); d++) {
		struct podman_images im = { 0 };
		char *path, *buf, *images_path;

		path = g_strdup_printf("%s/%s/%s-containers/containers.json", state_root,
				       CSTORAGE_DIR, podman_drivers[d]);
		if (read_state_file(path, &buf, &len)) {
			g_free(path);
			continue;
		}
		g_free(path);
		images_path = g_strdup_printf("%s/%s/%s-images/images.json", state_root,
					      CSTORAGE_DIR, podman_drivers[d]);
		im.path = images_path;
		podman__parse(buf, len, &im, fn, ctx);
		if (im.by_id)
			g_hash_table_destroy(im.by_id);
		g_free(images_path);
		g_free(buf);
	}
}

uint64_t runtime_state__podman_stamp(const char *state_root)
{
	uint64_t stamp = 0;
	struct stat st;
	char *path;
	size_t d;

	for (d = 0; d < G_N_ELEMENTS(podman_drivers); d++) {
		path = g_strdup_printf("%s/%s/%s-containers/containers.json", state_root,
				       CSTORAGE_DIR, podman_drivers[d]);
		if (stat(path, &st) == 0)
			stamp += (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
				 (uint64_t)st.st_mtim.tv_nsec + (uint64_t)st.st_size;
		g_free(path);
	}
	return stamp;
}
