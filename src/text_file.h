/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading a whole small text file: config, field lists, runtime state. */
#ifndef SOCKFLOW_TEXT_FILE_H
#define SOCKFLOW_TEXT_FILE_H

#include <stddef.h>

/*
 * All of @path, at most @max bytes, NUL-terminated into *@text (g_free) and
 * its length into *@len (without the NUL; the text may hold NUL bytes, the
 * caller decides). Opened without blocking, so a FIFO or device in its
 * place cannot hang the caller; only a regular file is read, /dev/null as
 * empty. Returns 0 or a negative errno: -EISDIR for a directory, -EFTYPE
 * for anything else that is not a regular file, -EFBIG when larger than
 * @max, or open's and read's own.
 */
int text_file__read(const char *path, size_t max, char **text, size_t *len);

/* Linux has no EFTYPE ("inappropriate file type"); this one is ours. */
#ifndef EFTYPE
#define EFTYPE 4096
#endif

/* A short reason for an error of text_file__read(): "not a regular file", strerror. */
const char *text_file__strerror(int err);

#endif
