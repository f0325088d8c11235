/* SPDX-License-Identifier: GPL-2.0-only */
/* Timeouts: when a flow gets a record, and which flowEndReason it carries. */
#ifndef SOCKFLOW_FLOW_EXPIRE_H
#define SOCKFLOW_FLOW_EXPIRE_H

#include <stdbool.h>
#include <stdint.h>

struct flow_timeouts {
	uint64_t active_ns;	/* interim record of a live flow this often */
	uint64_t idle_ns;	/* a live flow quiet this long gets a record */
	uint64_t grace_ns;	/* a closed flow waits this long for its other local end */
};

/* What the expiry rules need to know about one flow, all CLOCK_MONOTONIC ns. */
struct flow_expire_state {
	uint64_t last_report_ns;	/* last record, or the flow's start */
	uint64_t last_activity_ns;	/* last packet seen */
	uint64_t closed_ns;		/* every known end closed at; 0 if one is open */
	bool both_ends;			/* client and server end are both local */
	bool unreported;		/* activity since the last record */
	bool ends_when_idle;		/* no close to wait for (UDP): idle is the end */
};

/*
 * The one place that maps timeouts to flowEndReason. Returns 0 when nothing
 * is due, else the reason of the record to emit now; *final says whether
 * the flow leaves the table with it.
 */
uint8_t flow_expire__due(const struct flow_expire_state *f, const struct flow_timeouts *t,
			 uint64_t now_ns, bool *final);

#endif
