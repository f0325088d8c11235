/* SPDX-License-Identifier: GPL-2.0-only */
/* What the test tools share: define TOOL_NAME ("conngen") before including this. */
#ifndef SOCKFLOW_TESTS_TOOL_H
#define SOCKFLOW_TESTS_TOOL_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * A decimal number in [min, max], with an optional k or m suffix (x1024,
 * x1048576); no sign. 0, -EINVAL or -ERANGE.
 */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024, end++;
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	v *= mult;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* The value of option @opt, or die saying what is expected. */
static uint64_t arg_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_u64(s, min, max, &v))
		die("%s: '%s' is not a number in [%" PRIu64 ", %" PRIu64 "]", opt, s, min, max);
	return v;
}

/* A subcommand: argv[0] is its name, the rest its arguments. */
struct tool_command {
	const char *name;
	int (*run)(int argc, char **argv);
};

/*
 * Run the subcommand argv[1] names, from @cmds (ended by a NULL name);
 * -h/--help prints @usage to stdout. Nothing, or an unknown name: usage on
 * stderr, exit status 2.
 */
static inline int tool_main(int argc, char **argv, const struct tool_command *cmds,
			    void (*usage)(FILE *))
{
	const struct tool_command *c;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	for (c = cmds; argc >= 2 && c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	if (argc >= 2)
		fprintf(stderr, TOOL_NAME ": unknown mode '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

#endif
