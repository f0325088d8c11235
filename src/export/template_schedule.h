/* SPDX-License-Identifier: GPL-2.0-only */
/* When an exporter over UDP sends its templates again (a collector cannot say it restarted). */
#ifndef SOCKFLOW_EXPORT_TEMPLATE_SCHEDULE_H
#define SOCKFLOW_EXPORT_TEMPLATE_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Over UDP a collector that starts after the exporter, or restarts, has
 * no templates and drops every data set until they come again. The
 * templates go out again, before the next message:
 *   - every refresh_ms (RFC 7011 10.3.6's timeout);
 *   - every refresh_messages messages (its packet count; busy exporters);
 *   - when nothing went to the collector for gap_ms (it may have started or
 *     restarted meanwhile);
 *   - when the collector refused a datagram (ICMP port unreachable: nothing
 *     listened, so whatever listens next has no templates).
 * Each is off at 0.
 */
struct template_schedule {
	uint64_t refresh_ms;
	uint32_t refresh_messages;
	uint64_t gap_ms;
	uint64_t templates_ms;		/* CLOCK_MONOTONIC, when they last went out */
	uint64_t last_message_ms;	/* of any kind */
	uint32_t messages;		/* since the templates */
	bool refused;			/* a datagram was refused since the templates */
	bool sent;			/* the templates went out at least once */
	bool clock_known;		/* times count from the first template_schedule__tick() */
};

void template_schedule__init(struct template_schedule *ts, uint32_t refresh_s,
			     uint32_t refresh_messages, uint32_t gap_s);

/*
 * The exporter's clock, @now_ms, at each of its periodic flushes. What
 * happened before the first tick happened then (a sink is made before the
 * exporter's clock runs); the time rules apply from there.
 */
void template_schedule__tick(struct template_schedule *ts, uint64_t now_ms);

/* Whether the templates go out before a message sent at @now_ms. */
bool template_schedule__due(const struct template_schedule *ts, uint64_t now_ms);

/* Whether refresh_ms has passed: the templates go out at @now_ms even with nothing else. */
bool template_schedule__refresh_due(const struct template_schedule *ts, uint64_t now_ms);

/* The templates went out at @now_ms. */
void template_schedule__templates_sent(struct template_schedule *ts, uint64_t now_ms);

/* A message went out at @now_ms; @refused: the collector had refused one before it. */
void template_schedule__message_sent(struct template_schedule *ts, uint64_t now_ms,
				     bool refused);

#endif
