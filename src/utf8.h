/* SPDX-License-Identifier: GPL-2.0-only */
/* Valid UTF-8 for every string from runtimes, /proc and the kernel before it is exported. */
#ifndef SOCKFLOW_UTF8_H
#define SOCKFLOW_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the @len bytes at @s are valid UTF-8 without a NUL. */
bool utf8__valid(const char *s, size_t len);

/*
 * How many of the @len bytes of valid UTF-8 at @s fit in @max bytes
 * without splitting a character: @len if it fits, else @max backed up to
 * the start of the character it falls in.
 */
size_t utf8__cut(const char *s, size_t len, size_t max);

/*
 * Copy the @len bytes at @src into @dst of @size bytes as a NUL-terminated
 * string of valid UTF-8: each byte that starts no valid character (a stray
 * continuation byte, an overlong form, a surrogate, a code point above
 * U+10FFFF, a truncated sequence, a NUL) becomes U+FFFD; what does not fit
 * is cut at a character boundary. @src and @dst must not overlap. Returns
 * the length written.
 */
size_t utf8__sanitize(char *dst, size_t size, const char *src, size_t len);

/* utf8__sanitize() in place for the NUL-terminated string in the @size bytes at @buf. */
size_t utf8__sanitize_field(char *buf, size_t size);

#endif
