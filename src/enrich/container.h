/* SPDX-License-Identifier: GPL-2.0-only */
/* Container identity: cgroup -> runtime, container id, name, image, Kubernetes pod. */
#ifndef SOCKFLOW_ENRICH_CONTAINER_H
#define SOCKFLOW_ENRICH_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "flow/record.h"

struct container_cache;

struct container_cache_options {
	const char *cgroup2_root;	/* where the v2 hierarchy is mounted */
	const char *state_root;		/* "/" normally; tests point it at a fixture tree
					 * holding var/lib/containers, var/lib/docker, run/... */
	uint64_t refresh_ns;		/* re-read a runtime's state at most this often */
};

/*
 * Parse a cgroup path (v1 or v2, any runtime's layout: podman, docker,
 * containerd/CRI, CRI-O, kubelet's pod slices, systemd units) into
 * runtime, container id and pod uid. Pure: no I/O. Returns 0, or -ENOENT
 * when the path names no container (host processes: runtime "").
 */
int container__parse_cgroup_path(const char *path, struct flow_container *out);

struct container_cache *container_cache__new(const struct container_cache_options *opts);

/* The kernel saw cgroup @id created at @path (relative to the v2 root). */
void container_cache__cgroup_created(struct container_cache *cc, uint64_t id, const char *path);

/*
 * The cgroup v2 path of @cgroup_id into @path (from creation events, or a
 * walk of the hierarchy on a miss, rate-limited), and the container behind
 * it into @out with names from the runtime's state. Never blocks on a
 * runtime's API. Returns 0, or -ENOENT if the cgroup is unknown.
 */
int container_cache__fill(struct container_cache *cc, uint64_t cgroup_id, char *path,
			  size_t path_len, struct flow_container *out);

void container_cache__free(struct container_cache *cc);

#endif
