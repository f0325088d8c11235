/* SPDX-License-Identifier: GPL-2.0-only */
/* Small checks on text that several layers make: container ids, filter patterns. */
#ifndef SOCKFLOW_TEXT_H
#define SOCKFLOW_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The @len bytes at @s are lower-case hex digits, as container ids are written. */
static inline bool text__is_lower_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

#endif
