// SPDX-License-Identifier: GPL-2.0-only
/* The one logger: "sockflow: LEVEL: message" lines on stderr, filtered by level. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static const char *const level_names[] = {
	[SF_LOG_ERROR] = "error",
	[SF_LOG_WARN] = "warn",
	[SF_LOG_INFO] = "info",
	[SF_LOG_DEBUG] = "debug",
};

static enum log_level max_level = SF_LOG_INFO;

void log_set_level(enum log_level level)
{
	max_level = level > SF_LOG_DEBUG ? SF_LOG_DEBUG : level;
}

int log_parse_level(const char *s, enum log_level *out)
{
	unsigned int i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(s, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Build the whole line first and hand it to one write(), so lines from
 * concurrent writers (the daemon, libbpf's print callback) do not interleave.
 * Long messages are cut and end in "...". errno is kept for the caller.
 */
void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno;
	size_t n, off = 0;
	ssize_t w;
	va_list ap;
	int len;

	if (level > max_level)
		return;
	if (level > SF_LOG_DEBUG)
		level = SF_LOG_DEBUG;

	n = (size_t)snprintf(line, sizeof(line), "sockflow: %s: ", level_names[level]);
	va_start(ap, fmt);
	errno = saved_errno;	/* for %m */
	len = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if ((size_t)len >= sizeof(line) - n - 1) {
		n = sizeof(line) - 5;
		memcpy(line + n, "...", 3);
		n += 3;
	} else {
		n += (size_t)len;
	}
	while (n > 0 && line[n - 1] == '\n')
		n--;
	line[n++] = '\n';

	while (off < n) {
		w = write(STDERR_FILENO, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	errno = saved_errno;
}
