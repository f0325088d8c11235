// SPDX-License-Identifier: GPL-2.0-only
/* Timeout rules mapped to flowEndReason (RFC 5102 flowEndReason, IE 136). */
#include "flow/expire.h"
#include "flow/record.h"

/*
 * In order of precedence:
 *   every local end closed: end of flow (3), final; a flow with only one
 *     local end seen waits grace_ns in case its other end shows up late
 *     (a reset before accept() reaches us after the client's close);
 *   a conversation without a close (UDP), quiet for idle_ns: idle (1),
 *     final; the next datagram starts a new flow;
 *   live, quiet for idle_ns after activity: idle (1); the socket lives on
 *     and the next activity starts a new record;
 *   live, active_ns since the last record with activity: active timeout (2).
 */
/* Time from @then to @now; kernel timestamps may be a little ahead of @now. */
static uint64_t since(uint64_t now_ns, uint64_t then_ns)
{
	return now_ns > then_ns ? now_ns - then_ns : 0;
}

uint8_t flow_expire__due(const struct flow_expire_state *f, const struct flow_timeouts *t,
			 uint64_t now_ns, bool *final)
{
	*final = false;
	if (f->closed_ns) {
		if (f->both_ends || since(now_ns, f->closed_ns) >= t->grace_ns) {
			*final = true;
			return FLOW_END_OF_FLOW;
		}
		return 0;
	}
	if (f->ends_when_idle && since(now_ns, f->last_activity_ns) >= t->idle_ns) {
		*final = true;
		return FLOW_END_IDLE;
	}
	if (!f->unreported)
		return 0;
	if (since(now_ns, f->last_activity_ns) >= t->idle_ns)
		return FLOW_END_IDLE;
	if (since(now_ns, f->last_report_ns) >= t->active_ns)
		return FLOW_END_ACTIVE;
	return 0;
}
