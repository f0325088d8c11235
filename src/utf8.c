// SPDX-License-Identifier: GPL-2.0-only
/* Valid UTF-8 for every string from runtimes, /proc and the kernel before it is exported. */
#include <string.h>

#include <glib.h>

#include "utf8.h"

#define UTF8_REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */
#define UTF8_REPLACEMENT_LEN 3

bool utf8__valid(const char *s, size_t len)
{
	/* GLib refuses NUL within max_len, overlong forms, surrogates and > U+10FFFF. */
	return len <= G_MAXSSIZE && g_utf8_validate(s, (gssize)len, NULL);
}

size_t utf8__cut(const char *s, size_t len, size_t max)
{
	size_t cut = max;

	if (len <= max)
		return len;
	/* s[cut] is the first byte left out: a continuation byte means a split character. */
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	return cut;
}

size_t utf8__sanitize(char *dst, size_t size, const char *src, size_t len)
{
	size_t used = 0, room, n;
	const char *end;

	if (!size)
		return 0;
	room = size - 1;
	while (len && used < room) {
		/* The valid run at @src, then one byte that starts no valid character. */
		g_utf8_validate(src, (gssize)MIN(len, (size_t)G_MAXSSIZE), &end);
		n = (size_t)(end - src);
		if (n) {
			n = utf8__cut(src, n, room - used);
			memcpy(dst + used, src, n);
			used += n;
			if (n < (size_t)(end - src))
				break;
			src += n;
			len -= n;
			continue;
		}
		if (room - used < UTF8_REPLACEMENT_LEN)
			break;
		memcpy(dst + used, UTF8_REPLACEMENT, UTF8_REPLACEMENT_LEN);
		used += UTF8_REPLACEMENT_LEN;
		src++;
		len--;
	}
	dst[used] = '\0';
	return used;
}

size_t utf8__sanitize_field(char *buf, size_t size)
{
	size_t len, n;
	char *copy;

	if (!size)
		return 0;
	len = strnlen(buf, size);
	if (len < size && utf8__valid(buf, len))
		return len;
	copy = g_strndup(buf, MIN(len, size - 1));
	n = utf8__sanitize(buf, size, copy, strlen(copy));
	g_free(copy);
	return n;
}
