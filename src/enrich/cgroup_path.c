// SPDX-License-Identifier: GPL-2.0-only
/* A cgroup path -> runtime, container id and pod UID: each runtime's layout, v1 and v2. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "enrich/cgroup_path.h"
#include "enrich/container.h"
#include "text.h"
#include "utf8.h"

#define POD_UID_LEN 36			/* 8-4-4-4-12; static pods use 32 hex digits */

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

const char *cgroup_path__runtime_name(enum container_runtime rt)
{
	return (size_t)rt < G_N_ELEMENTS(runtime_names) ? runtime_names[rt] : "";
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

bool cgroup_path__is_container_id(const char *s, size_t len)
{
	return len == CONTAINER_ID_LEN && text__is_lower_hex(s, len);
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
		if (!text__is_lower_hex(s, len))
			return false;
	} else if (len == POD_UID_LEN) {
		for (i = 0; i < len; i++) {
			bool sep = i == 8 || i == 13 || i == 18 || i == 23;

			if (sep ? s[i] != dash : !text__is_lower_hex(s + i, 1))
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
	if (!cgroup_path__is_container_id(c, n))
		return false;
	copy_str(id, size, c, n);
	return true;
}

/* The runtime behind a scope prefix of runc's systemd notation "slice:prefix:id". */
static enum container_runtime scope_prefix__runtime(const char *p, size_t n)
{
	static const struct {
		const char *prefix;
		enum container_runtime rt;
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
int cgroup_path__parse(const char *path, struct cgroup_parse *r)
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
			enum container_runtime rt = RT_NONE;
			char slice_pod[sizeof(pod)];

			while (*last != ':')
				last--;
			if (last > colon)
				rt = scope_prefix__runtime(colon + 1, (size_t)(last - colon - 1));
			if (rt != RT_NONE &&
			    cgroup_path__is_container_id(last + 1, (size_t)(c + n - last - 1))) {
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
		} else if (cgroup_path__is_container_id(c, n) && (prev_docker || prev_pod)) {
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
		/* a unit name is any bytes the creator chose: valid UTF-8 from here on */
		utf8__sanitize(r->id, sizeof(r->id), unit, unit_len);
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
