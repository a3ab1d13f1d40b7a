/*
 * test_quote_terms.c - src/quotes/terms.c: a quote's coverage and response
 * time in the words the client reads, from a calendar's hours.
 */
#include "quotes/terms.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void hours_case(const char *json, bool always, const char *want)
{
	json_t *hours = json_loads(json, 0, NULL);
	assert_non_null(hours);
	char out[QUOTE_TERMS_LEN];
	quote_hours_text(hours, always, out, sizeof(out));
	assert_string_equal(out, want);
	json_decref(hours);
}

#define D(w, s, e) "{\"weekday\":" #w ",\"start\":\"" s "\",\"end\":\"" e "\"}"

static void weekdays_collapse(void **state)
{
	(void)state;
	hours_case("[" D(1, "08:00", "18:00") "," D(2, "08:00", "18:00") "," D(3, "08:00", "18:00")
		   "," D(4, "08:00", "18:00") "," D(5, "08:00", "18:00") "]",
		   false, "Mon\xe2\x80\x93" "Fri 08:00\xe2\x80\x93" "18:00");
	/* given out of order, a Saturday morning apart */
	hours_case("[" D(6, "09:00", "12:00") "," D(2, "07:00", "20:00") "," D(1, "07:00", "20:00")
		   "]",
		   false, "Mon\xe2\x80\x93" "Tue 07:00\xe2\x80\x93" "20:00; Sat 09:00\xe2\x80\x93"
			  "12:00");
}

static void gaps_and_single_days(void **state)
{
	(void)state;
	/* Wednesday differs, so Monday-Tuesday and Thursday-Friday stay apart */
	hours_case("[" D(1, "08:00", "17:00") "," D(2, "08:00", "17:00") "," D(3, "08:00", "12:00")
		   "," D(4, "08:00", "17:00") "," D(5, "08:00", "17:00") "]",
		   false, "Mon\xe2\x80\x93" "Tue 08:00\xe2\x80\x93" "17:00; Wed 08:00\xe2\x80\x93"
			  "12:00; Thu\xe2\x80\x93" "Fri 08:00\xe2\x80\x93" "17:00");
	hours_case("[" D(7, "10:00", "14:00") "]", false, "Sun 10:00\xe2\x80\x93" "14:00");
}

static void ranges_join_and_split(void **state)
{
	(void)state;
	/* touching ranges read as one, a lunch break as two */
	hours_case("[" D(1, "08:00", "12:00") "," D(1, "12:00", "17:00") "]", false,
		   "Mon 08:00\xe2\x80\x93" "17:00");
	hours_case("[" D(1, "13:00", "17:00") "," D(1, "08:00", "12:00") "," D(2, "08:00", "12:00")
		   "," D(2, "13:00", "17:00") "]",
		   false, "Mon\xe2\x80\x93" "Tue 08:00\xe2\x80\x93" "12:00, 13:00\xe2\x80\x93" "17:00");
}

static void around_the_clock(void **state)
{
	(void)state;
	hours_case("[]", true, "around the clock");
	hours_case("[" D(1, "00:00", "24:00") "," D(2, "00:00", "24:00") "," D(3, "00:00", "24:00")
		   "," D(4, "00:00", "24:00") "," D(5, "00:00", "24:00") "," D(6, "00:00", "24:00")
		   "," D(7, "00:00", "24:00") "]",
		   false, "around the clock");
	/* every weekday all day but not the weekend is no 24x7 */
	hours_case("[" D(1, "00:00", "24:00") "]", false, "Mon 00:00\xe2\x80\x93" "24:00");
}

static void nothing_readable(void **state)
{
	(void)state;
	hours_case("[]", false, "");
	hours_case("[" D(8, "08:00", "17:00") "," D(1, "17:00", "08:00") "," D(2, "8:00", "9:00")
		   "]",
		   false, "");
}

static void small_buffer_stays_terminated(void **state)
{
	(void)state;
	json_t *hours = json_loads("[" D(1, "08:00", "17:00") "," D(3, "08:00", "17:00") "]", 0,
				   NULL);
	char out[8];
	quote_hours_text(hours, false, out, sizeof(out));
	assert_int_equal(strlen(out), 7);
	assert_memory_equal(out, "Mon 08:", 7);
	json_decref(hours);
}

static void response_in_working_hours(void **state)
{
	(void)state;
	static const struct {
		int64_t minutes;
		bool always;
		const char *want;
	} cases[] = {
		{ 240, false, "within 4 working hours" },
		{ 60, false, "within 1 working hour" },
		{ 30, false, "within 30 working minutes" },
		{ 90, false, "within 90 working minutes" },
		{ 1, false, "within 1 working minute" },
		{ 2880, false, "within 48 working hours" },
		{ 240, true, "within 4 hours" },
		{ 45, true, "within 45 minutes" },
		{ 0, false, "" },
		{ -5, false, "" },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char out[QUOTE_TERMS_LEN];
		quote_response_text(cases[i].minutes, cases[i].always, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
}

static void qualifications_never_say_none(void **state)
{
	(void)state;
	char out[256];
	const char *plain = "Ana Lopez: CompTIA A+ (CompTIA)";
	assert_ptr_equal(quote_qualifications_text(plain, out, sizeof(out)), plain);
	assert_string_equal(quote_qualifications_text("Ana Lopez: CompTIA A+\nBo Berg: no current "
						       "certifications\nCy Chan: CCNA",
						       out, sizeof(out)),
			    "Ana Lopez: CompTIA A+\nCy Chan: CCNA");
	assert_null(quote_qualifications_text("Bo Berg: no current certifications", out,
					      sizeof(out)));
	assert_null(quote_qualifications_text("", out, sizeof(out)));
	assert_null(quote_qualifications_text(NULL, out, sizeof(out)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(weekdays_collapse),
		cmocka_unit_test(gaps_and_single_days),
		cmocka_unit_test(ranges_join_and_split),
		cmocka_unit_test(around_the_clock),
		cmocka_unit_test(nothing_readable),
		cmocka_unit_test(small_buffer_stays_terminated),
		cmocka_unit_test(response_in_working_hours),
		cmocka_unit_test(qualifications_never_say_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
