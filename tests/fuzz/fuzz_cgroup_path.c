// SPDX-License-Identifier: GPL-2.0-only
/* Fuzz target: the cgroup path parser, and UTF-8 sanitizing of the same bytes at every size. */
// fuzz-sources: src/enrich/cgroup_path.c src/utf8.c
// fuzz-pkgs: glib-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "enrich/container.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *s, size_t size)
{
	if (strnlen(s, size) == size || !g_utf8_validate(s, -1, NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = g_strndup((const char *)data, size), out[80];
	struct flow_container c;
	size_t n, cut;
	int err;

	err = container__parse_cgroup_path(path, &c);
	if (err && err != -ENOENT)
		abort();
	check_field(c.runtime, sizeof(c.runtime));
	check_field(c.id, sizeof(c.id));
	check_field(c.pod_uid, sizeof(c.pod_uid));
	if (err && (c.runtime[0] || c.id[0]))
		abort();
	/* the raw bytes, NULs included, into a small field: valid and within it */
	n = utf8__sanitize(out, 1 + size % sizeof(out), (const char *)data, size);
	if (n != strlen(out) || n >= 1 + size % sizeof(out) || !utf8__valid(out, n))
		abort();
	cut = utf8__cut(out, n, size % (n + 1));
	if (cut > n || !utf8__valid(out, cut))
		abort();
	g_free(path);
	return 0;
}
