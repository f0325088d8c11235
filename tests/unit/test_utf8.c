// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for utf8.c: invalid sequences, overlong forms, surrogates, cuts at every length. */
#include <string.h>

#include <glib.h>

#include "utf8.h"

#define FFFD "\xef\xbf\xbd"

/* @in (of @len bytes) sanitized into a roomy buffer must be @want. */
static void check(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n = utf8__sanitize(out, sizeof(out), in, len);

	g_assert_cmpstr(out, ==, want);
	g_assert_cmpuint(n, ==, strlen(want));
	g_assert_true(g_utf8_validate(out, -1, NULL));
}

static void test_valid(void)
{
	check("", 0, "");
	check("abc", 3, "abc");
	/* 1- to 4-byte characters, the highest code point, U+FFFD itself */
	check("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	check("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf");
	check(FFFD, 3, FFFD);
	g_assert_true(utf8__valid("a\xc3\xa9", 3));
	g_assert_false(utf8__valid("a\0b", 3));
}

static void test_invalid(void)
{
	/* stray continuation bytes, each replaced */
	check("a\x80\xbf" "b", 4, "a" FFFD FFFD "b");
	/* bytes that never occur in UTF-8 */
	check("\xc0\xc1\xf5\xff", 4, FFFD FFFD FFFD FFFD);
	/* a lead byte without its continuation, then ASCII */
	check("\xc3" "x", 2, FFFD "x");
	check("\xe2\x82" "x", 3, FFFD FFFD "x");
	check("\xf0\x9f\x98" "x", 4, FFFD FFFD FFFD "x");
	/* truncated at the end of the input */
	check("ab\xf0\x9f\x98", 5, "ab" FFFD FFFD FFFD);
	/* NUL inside the given length */
	check("a\0b", 3, "a" FFFD "b");
	/* Latin-1 as a process name may come */
	check("caf\xe9", 4, "caf" FFFD);
	g_assert_false(utf8__valid("caf\xe9", 4));
}

static void test_overlong(void)
{
	/* "/" as 2, 3 and 4 bytes; NUL as 2 bytes */
	check("\xc0\xaf", 2, FFFD FFFD);
	check("\xe0\x80\xaf", 3, FFFD FFFD FFFD);
	check("\xf0\x80\x80\xaf", 4, FFFD FFFD FFFD FFFD);
	check("\xc0\x80", 2, FFFD FFFD);
	/* the largest overlong 3-byte form, U+07FF */
	check("\xe0\x9f\xbf", 3, FFFD FFFD FFFD);
}

static void test_surrogates_and_range(void)
{
	/* U+D800, U+DFFF as CESU-style 3-byte forms */
	check("\xed\xa0\x80", 3, FFFD FFFD FFFD);
	check("\xed\xbf\xbf", 3, FFFD FFFD FFFD);
	/* a surrogate pair written as two 3-byte forms */
	check("\xed\xa0\xbd\xed\xb8\x80", 6, FFFD FFFD FFFD FFFD FFFD FFFD);
	/* U+110000 */
	check("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD);
	/* U+D7FF and U+E000 are fine */
	check("\xed\x9f\xbf\xee\x80\x80", 6, "\xed\x9f\xbf\xee\x80\x80");
}

/*
 * Every output size for a mix of widths and bad bytes: the result is valid
 * UTF-8, fits, and is a prefix of the uncut result that ends on a
 * character boundary.
 */
static void test_truncation(void)
{
	static const char in[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff" "b\xed\xa0\x80z";
	char full[128], out[128];
	size_t full_len = utf8__sanitize(full, sizeof(full), in, sizeof(in) - 1), size, n;
	size_t len;

	for (size = 0; size <= full_len + 1; size++) {
		memset(out, 'x', sizeof(out));
		n = utf8__sanitize(out, size, in, sizeof(in) - 1);
		if (!size) {
			g_assert_cmpuint(n, ==, 0);
			g_assert_cmpint(out[0], ==, 'x');
			continue;
		}
		g_assert_cmpuint(n, <, size);
		g_assert_cmpuint(strlen(out), ==, n);
		g_assert_true(g_utf8_validate(out, -1, NULL));
		g_assert_true(!memcmp(out, full, n));
		/* nothing was dropped that would have fitted */
		if (n < full_len)
			g_assert_cmpuint(n + (size_t)(g_utf8_next_char(full + n) - (full + n)), >=,
					 size);
	}
	/* utf8__cut at every limit on valid text */
	len = strlen(full);
	for (size = 0; size <= len + 1; size++) {
		n = utf8__cut(full, len, size);
		g_assert_cmpuint(n, <=, MIN(size, len));
		g_assert_true(g_utf8_validate(full, (gssize)n, NULL));
		if (size < len)
			g_assert_cmpuint(n + (size_t)(g_utf8_next_char(full + n) - (full + n)), >,
					 size);
	}
}

static void test_field(void)
{
	char buf[8] = "ab\xff\xfe";
	char ok[8] = "ab\xc3\xa9";
	char full[4] = { 'a', 'b', 'c', 'd' };	/* no NUL in the field */

	g_assert_cmpuint(utf8__sanitize_field(buf, sizeof(buf)), ==, 5);
	g_assert_cmpstr(buf, ==, "ab" FFFD);
	g_assert_cmpuint(utf8__sanitize_field(ok, sizeof(ok)), ==, 4);
	g_assert_cmpstr(ok, ==, "ab\xc3\xa9");
	g_assert_cmpuint(utf8__sanitize_field(full, sizeof(full)), ==, 3);
	g_assert_cmpstr(full, ==, "abc");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/utf8/valid", test_valid);
	g_test_add_func("/utf8/invalid", test_invalid);
	g_test_add_func("/utf8/overlong", test_overlong);
	g_test_add_func("/utf8/surrogates", test_surrogates_and_range);
	g_test_add_func("/utf8/truncation", test_truncation);
	g_test_add_func("/utf8/field", test_field);
	return g_test_run();
}
