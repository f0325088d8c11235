/* SPDX-License-Identifier: GPL-2.0-only */
/* Clock reads in nanoseconds: CLOCK_MONOTONIC is the clock of every kernel timestamp. */
#ifndef SOCKFLOW_CLOCK_H
#define SOCKFLOW_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC, as bpf_ktime_get_ns() reads it. */
static inline uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* The same in milliseconds, as the exporters keep time. */
static inline uint64_t mono_ms(void)
{
	return now_ns() / 1000000;
}

#endif
