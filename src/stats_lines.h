/* SPDX-License-Identifier: GPL-2.0-only */
/* The stats lines: the same snapshot the metrics endpoint serves, as log lines. */
#ifndef SOCKFLOW_STATS_LINES_H
#define SOCKFLOW_STATS_LINES_H

#include "metrics.h"

/* "stats@when: flows open ...", conntrack's line, one line per exporter, and warnings. */
void stats_lines__log(const struct metrics_snapshot *s, const char *when);

#endif
