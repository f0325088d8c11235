// SPDX-License-Identifier: GPL-2.0-only
/* Small readers of /proc/PID files, shared by the process cache and the socket scan. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

#define NSEC_PER_SEC 1000000000ull
#define STAT_FIELD_PPID 4		/* proc_pid_stat(5), counting from 1 */
#define STAT_FIELD_STARTTIME 22

/* A checked decimal number filling all @len bytes at @s. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int procfs__parse_stat(const char *buf, struct procfs_stat *st)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	const char *p, *tok;
	unsigned int field = 2;
	uint64_t v;

	if (!open || !close || close < open)
		return -EINVAL;
	st->comm = open + 1;
	st->comm_len = (size_t)(close - open - 1);
	for (p = close + 1; field < STAT_FIELD_STARTTIME;) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -EINVAL;
		for (tok = p; *p && *p != ' ' && *p != '\n'; p++)
			;
		field++;
		if (field == STAT_FIELD_PPID) {
			if (parse_u64(tok, (size_t)(p - tok), &v) < 0 || v > UINT32_MAX)
				return -EINVAL;
			st->ppid = (uint32_t)v;
		} else if (field == STAT_FIELD_STARTTIME) {
			if (parse_u64(tok, (size_t)(p - tok), &st->start_ticks) < 0)
				return -EINVAL;
		}
	}
	return 0;
}

/* "Uid:\tREAL\tEFFECTIVE\tSAVED\tFS": the first number. */
int procfs__parse_status_uid(const char *buf, uint32_t *uid)
{
	const char *p = buf, *tok;
	uint64_t v;

	if (strncmp(p, "Uid:", 4)) {
		p = strstr(buf, "\nUid:");
		if (!p)
			return -EINVAL;
		p++;
	}
	for (p += 4; *p == '\t' || *p == ' '; p++)
		;
	for (tok = p; *p >= '0' && *p <= '9'; p++)
		;
	if ((*p != '\t' && *p != ' ' && *p != '\n') ||
	    parse_u64(tok, (size_t)(p - tok), &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	*uid = (uint32_t)v;
	return 0;
}

ssize_t procfs__read(int dirfd, const char *name, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;
	int fd, rc;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

uint64_t procfs__ticks_per_sec(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	return hz > 0 ? (uint64_t)hz : 100;
}

uint64_t procfs__ns_to_ticks(uint64_t ns, uint64_t hz)
{
	return ns / NSEC_PER_SEC * hz + ns % NSEC_PER_SEC * hz / NSEC_PER_SEC;
}

uint64_t procfs__ticks_to_ns(uint64_t ticks, uint64_t hz)
{
	return ticks / hz * NSEC_PER_SEC + (ticks % hz * NSEC_PER_SEC + hz - 1) / hz;
}
