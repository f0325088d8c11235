/* SPDX-License-Identifier: GPL-2.0-only */
/* What the test tools share: define TOOL_NAME ("conngen") before including this. */
#ifndef SOCKFLOW_TESTS_TOOL_H
#define SOCKFLOW_TESTS_TOOL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* "TOOL_NAME: message" on stderr, then exit 1. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs(TOOL_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#endif
