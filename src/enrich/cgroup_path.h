/* SPDX-License-Identifier: GPL-2.0-only */
/* A cgroup path -> runtime, container id and pod UID (pure string work, no I/O). */
#ifndef SOCKFLOW_ENRICH_CGROUP_PATH_H
#define SOCKFLOW_ENRICH_CGROUP_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "flow/record.h"

#define CONTAINER_ID_LEN 64		/* hex digits of a podman/docker/containerd/CRI-O id */

enum container_runtime {
	RT_NONE,
	RT_PODMAN,
	RT_DOCKER,
	RT_CONTAINERD,
	RT_CRIO,
	RT_SYSTEMD,
	RT_KUBERNETES,		/* a pod's cgroup, no container in it */
};

/* The value of flow_container.runtime for @rt ("" for RT_NONE). */
const char *cgroup_path__runtime_name(enum container_runtime rt);

/*
 * What a cgroup path says. @ambiguous: a bare id under a kubelet pod
 * cgroup (cgroupfs driver), which containerd and dockershim both create;
 * the runtime state decides, containerd is the guess. @id is valid UTF-8.
 */
struct cgroup_parse {
	enum container_runtime rt;
	bool ambiguous;
	char id[sizeof(((struct flow_container *)0)->id)];
	char pod_uid[sizeof(((struct flow_container *)0)->pod_uid)];
};

/* Returns 0, or -ENOENT when @path names no container, pod or service. */
int cgroup_path__parse(const char *path, struct cgroup_parse *r);

/* 64 lower-case hex digits. */
bool cgroup_path__is_container_id(const char *s, size_t len);

#endif
