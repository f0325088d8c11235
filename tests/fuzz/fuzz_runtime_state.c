// SPDX-License-Identifier: GPL-2.0-only
/* Fuzz target: the runtime state readers (docker, CRI-O, containerd, podman) on crafted JSON. */
// fuzz-sources: src/enrich/runtime_state.c src/enrich/cgroup_path.c src/utf8.c src/text_file.c
// fuzz-pkgs: glib-2.0 jansson
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "enrich/runtime_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every name that comes out is valid UTF-8 and NUL-terminated within its field. */
static void check_names(const struct runtime_names *n)
{
	const char *const s[] = { n->name, n->image, n->pod_name, n->pod_namespace, n->pod_uid };
	const size_t sz[] = { sizeof(n->name), sizeof(n->image), sizeof(n->pod_name),
			      sizeof(n->pod_namespace), sizeof(n->pod_uid) };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(s); i++)
		if (strnlen(s[i], sz[i]) == sz[i] || !g_utf8_validate(s[i], -1, NULL))
			abort();
}

static void on_podman(void *ctx, const char *id, const struct runtime_names *names)
{
	if (strlen(id) != CONTAINER_ID_LEN)
		abort();
	check_names(names);
}

/*
 * The first byte picks the reader: 0 docker's config.v2.json, 1 CRI-O's and
 * 2 containerd's OCI config.json, 3 podman's containers.json, then a NUL,
 * then images.json.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data + 1, *nul;
	struct runtime_names names;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	switch (data[0] % 4) {
	case 0:
		if (!runtime_state__parse_docker(buf, len, &names))
			check_names(&names);
		break;
	case 1:
		if (!runtime_state__parse_crio(buf, len, &names))
			check_names(&names);
		break;
	case 2:
		if (!runtime_state__parse_containerd(buf, len, &names))
			check_names(&names);
		break;
	default:
		nul = memchr(buf, '\0', len);
		if (nul)
			runtime_state__parse_podman(buf, (size_t)(nul - buf), nul + 1,
						    len - (size_t)(nul - buf) - 1, on_podman, NULL);
		else
			runtime_state__parse_podman(buf, len, NULL, 0, on_podman, NULL);
		break;
	}
	return 0;
}
