/* SPDX-License-Identifier: GPL-2.0-only */
/* Names of a container from its runtime's state files (podman, docker, containerd, CRI-O). */
#ifndef SOCKFLOW_ENRICH_RUNTIME_STATE_H
#define SOCKFLOW_ENRICH_RUNTIME_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "enrich/cgroup_path.h"
#include "flow/record.h"

#define RUNTIME_STATE_FILE_MAX (16u << 20)	/* bytes; bigger state files are not read */

/* What a runtime's state says about one container; every string valid UTF-8, "" if unknown. */
struct runtime_names {
	char name[sizeof(((struct flow_container *)0)->name)];
	char image[sizeof(((struct flow_container *)0)->image)];
	char pod_name[sizeof(((struct flow_container *)0)->pod_name)];
	char pod_namespace[sizeof(((struct flow_container *)0)->pod_namespace)];
	char pod_uid[sizeof(((struct flow_container *)0)->pod_uid)];
};

/*
 * Read the state of container @id of @rt (RT_DOCKER, RT_CRIO or
 * RT_CONTAINERD) below @state_root ("" for "/") into @out. Returns 0, or
 * -ENOENT (no state), -EFBIG (file too big), -EINVAL (malformed, or over
 * the parse's memory budget).
 */
int runtime_state__read(const char *state_root, enum container_runtime rt, const char *id,
			struct runtime_names *out);

/* Called for each container of podman's (containers/storage's) lists. */
typedef void (*runtime_state_podman_fn)(void *ctx, const char *id,
					const struct runtime_names *names);

/* Every container of containers/storage's containers.json files, of every storage driver. */
void runtime_state__podman_each(const char *state_root, runtime_state_podman_fn fn, void *ctx);

/*
 * A stamp (mtime and size) of those containers.json files: podman rewrites
 * them when it creates a container, before its cgroup exists, so a changed
 * stamp means names to read now. A stat per file, no read.
 */
uint64_t runtime_state__podman_stamp(const char *state_root);

/*
 * The parsers behind the readers, on a buffer (for the fuzz targets): a
 * docker config.v2.json, a CRI-O or containerd OCI config.json, and
 * containers.json with images.json (@images may be NULL or empty).
 * Return 0 or -EINVAL.
 */
int runtime_state__parse_docker(const char *buf, size_t len, struct runtime_names *out);
int runtime_state__parse_crio(const char *buf, size_t len, struct runtime_names *out);
int runtime_state__parse_containerd(const char *buf, size_t len, struct runtime_names *out);
int runtime_state__parse_podman(const char *containers, size_t containers_len,
				const char *images, size_t images_len, runtime_state_podman_fn fn,
				void *ctx);

#endif
