// SPDX-License-Identifier: GPL-2.0-only
/* Fuzz target: the config file parser (config__load on a file holding the input). */
// fuzz-sources: src/config.c src/config_file.c src/collector.c src/source/mechanism.c src/text_file.c
// fuzz-pkgs: glib-2.0
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input as a regular file: a memfd, named by its /proc/self/fd path,
 * so config__load() reads it exactly as it reads the daemon's config.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	static struct config cfg;
	char err[1024];
	char *text;

	if (fd < 0) {
		fd = memfd_create("sockflow-fuzz-config", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	config__defaults(&cfg);
	err[0] = '\0';
	if (config__load(&cfg, path, err, sizeof(err)) == 0) {
		config__resolve(&cfg);
		text = config__to_string(&cfg);
		g_free(text);
	} else if (!err[0]) {
		/* every refusal says why */
		abort();
	}
	return 0;
}
