// SPDX-License-Identifier: GPL-2.0-only
/* When templates go out again over UDP: time, message count, a quiet gap, a refusal. */
#include "export/template_schedule.h"

void template_schedule__init(struct template_schedule *ts, uint32_t refresh_s,
			     uint32_t refresh_messages, uint32_t gap_s)
{
	*ts = (struct template_schedule){
		.refresh_ms = (uint64_t)refresh_s * 1000,
		.refresh_messages = refresh_messages,
		.gap_ms = (uint64_t)gap_s * 1000,
	};
}

void template_schedule__tick(struct template_schedule *ts, uint64_t now_ms)
{
	if (ts->clock_known)
		return;
	ts->clock_known = true;
	ts->templates_ms = now_ms;
	ts->last_message_ms = now_ms;
}

bool template_schedule__refresh_due(const struct template_schedule *ts, uint64_t now_ms)
{
	return ts->clock_known && ts->refresh_ms && now_ms - ts->templates_ms >= ts->refresh_ms;
}

bool template_schedule__due(const struct template_schedule *ts, uint64_t now_ms)
{
	if (!ts->sent || ts->refused || template_schedule__refresh_due(ts, now_ms))
		return true;
	if (ts->refresh_messages && ts->messages >= ts->refresh_messages)
		return true;
	return ts->clock_known && ts->gap_ms && now_ms - ts->last_message_ms >= ts->gap_ms;
}

void template_schedule__templates_sent(struct template_schedule *ts, uint64_t now_ms)
{
	ts->templates_ms = now_ms;
	ts->last_message_ms = now_ms;
	ts->messages = 0;
	ts->refused = false;
	ts->sent = true;
}

void template_schedule__message_sent(struct template_schedule *ts, uint64_t now_ms,
				     bool refused)
{
	ts->last_message_ms = now_ms;
	ts->messages++;
	if (refused)
		ts->refused = true;
}
