// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests: when templates go out again over UDP. */
#include <glib.h>

#include "export/template_schedule.h"

/* refresh 60 s, every 100 messages, after 5 s quiet */
static struct template_schedule sent_at(uint64_t ms)
{
	struct template_schedule ts;

	template_schedule__init(&ts, 60, 100, 5);
	g_assert_true(template_schedule__due(&ts, 0));	/* never sent yet */
	template_schedule__templates_sent(&ts, 0);	/* before the clock runs */
	g_assert_false(template_schedule__due(&ts, 0));
	template_schedule__tick(&ts, ms);
	return ts;
}

static void test_quiet_gap(void)
{
	struct template_schedule ts = sent_at(1000);

	g_assert_false(template_schedule__due(&ts, 5999));
	g_assert_true(template_schedule__due(&ts, 6000));
	/* Messages keep the gap from opening. */
	template_schedule__message_sent(&ts, 5000, false);
	g_assert_false(template_schedule__due(&ts, 9999));
	g_assert_true(template_schedule__due(&ts, 10000));
	/* The gap alone never sends templates when nothing else goes out. */
	g_assert_false(template_schedule__refresh_due(&ts, 10000));
}

static void test_refresh_by_time_and_count(void)
{
	struct template_schedule ts = sent_at(0);
	uint64_t ms;
	int i;

	for (ms = 1000, i = 0; i < 99; i++, ms += 100)
		template_schedule__message_sent(&ts, ms, false);
	g_assert_false(template_schedule__due(&ts, ms));
	template_schedule__message_sent(&ts, ms, false);
	g_assert_true(template_schedule__due(&ts, ms));
	template_schedule__templates_sent(&ts, ms);
	g_assert_false(template_schedule__due(&ts, ms + 1));
	g_assert_false(template_schedule__refresh_due(&ts, ms + 59999));
	g_assert_true(template_schedule__refresh_due(&ts, ms + 60000));
	g_assert_true(template_schedule__due(&ts, ms + 60000));
}

static void test_refused(void)
{
	struct template_schedule ts = sent_at(0);

	template_schedule__message_sent(&ts, 100, true);
	g_assert_true(template_schedule__due(&ts, 101));
	template_schedule__templates_sent(&ts, 101);
	g_assert_false(template_schedule__due(&ts, 102));
}

static void test_all_off(void)
{
	struct template_schedule ts;

	template_schedule__init(&ts, 0, 0, 0);
	template_schedule__templates_sent(&ts, 0);
	template_schedule__tick(&ts, 0);
	template_schedule__message_sent(&ts, 1, false);
	g_assert_false(template_schedule__due(&ts, 86400000));
	g_assert_false(template_schedule__refresh_due(&ts, 86400000));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/template-schedule/quiet-gap", test_quiet_gap);
	g_test_add_func("/template-schedule/refresh-by-time-and-count",
			test_refresh_by_time_and_count);
	g_test_add_func("/template-schedule/refused", test_refused);
	g_test_add_func("/template-schedule/all-off", test_all_off);
	return g_test_run();
}
