/*
 * test_alerts.c - the pure rules of the monitoring intake: the ticket
 * priority of each severity, which priority is the more urgent (a repeat
 * only ever raises it), and when a ticket counts as worked (so that the
 * alert's clear must not resolve it).
 */
#include "service/service.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void severities_map_to_priorities(void **state)
{
	(void)state;
	assert_string_equal(alert_priority("critical"), "critical");
	assert_string_equal(alert_priority("high"), "high");
	assert_string_equal(alert_priority("warning"), "medium");
	assert_string_equal(alert_priority("info"), "low");
	assert_null(alert_priority("disaster"));
	assert_null(alert_priority("Critical"));
	assert_null(alert_priority(""));
	assert_null(alert_priority(NULL));
	/* every severity has a priority */
	for (const char *const *s = alert_severities; *s; s++)
		assert_non_null(alert_priority(*s));
}

static void priorities_are_ordered(void **state)
{
	(void)state;
	static const char *const order[] = { "critical", "high", "medium", "low" };
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 4; j++)
			assert_int_equal(alert_priority_higher(order[i], order[j]), i < j);
		/* anything unknown is below every priority */
		assert_true(alert_priority_higher(order[i], NULL));
		assert_false(alert_priority_higher(NULL, order[i]));
		assert_false(alert_priority_higher("urgent", order[i]));
	}
	assert_false(alert_priority_higher(NULL, NULL));
}

static void untouched_is_not_worked(void **state)
{
	(void)state;
	struct alert_work w = { .status = "new" };
	assert_false(alert_worked(&w));
	/* the intake's own notes (repeats, a clear) are no work */
	w.notes = 3;
	w.own_notes = 3;
	assert_false(alert_worked(&w));
}

static void each_kind_of_work_counts(void **state)
{
	(void)state;
	static const char *const statuses[] = { "assigned", "in_progress", "waiting_customer",
						"waiting_parts", "escalated" };
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct alert_work w = { .status = statuses[i] };
		assert_true(alert_worked(&w));
	}
	struct alert_work base = { .status = "new", .notes = 1, .own_notes = 1 };
	struct alert_work w = base;
	w.assigned = true;
	assert_true(alert_worked(&w));
	w = base;
	w.time_entries = 1;
	assert_true(alert_worked(&w));
	w = base;
	w.parts = 1;
	assert_true(alert_worked(&w));
	w = base;
	w.notes = 2;	/* one note by someone else */
	assert_true(alert_worked(&w));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(severities_map_to_priorities),
		cmocka_unit_test(priorities_are_ordered),
		cmocka_unit_test(untouched_is_not_worked),
		cmocka_unit_test(each_kind_of_work_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
