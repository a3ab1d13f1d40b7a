/*
 * fuzz_time.c - libFuzzer harness for the time and date parsers every body
 * and filter goes through (core/timeutil.c): RFC 3339 times and
 * "YYYY-MM-DD" dates.
 *
 * Beyond "does not crash": a parsed time formats to a string that parses
 * to the same instant; a valid date is ten bytes and its day number is
 * that of the date rebuilt from it.
 */
#include "core/alloc.h"
#include "core/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return 0;
	char s[257];
	memcpy(s, data, size);
	s[size] = '\0';
	int64_t t;
	if (time_parse(s, &t) == 0) {
		/* years 0000..9999 format as four digits */
		if (t >= -62167219200LL && t <= 253402300799LL) {
			char out[TIME_RFC3339_LEN];
			int64_t again;
			time_format(t, out);
			if (time_parse(out, &again) < 0 || again != t)
				__builtin_trap();
		}
	}
	if (date_valid(s)) {
		if (strlen(s) != 10)
			__builtin_trap();
		unsigned y, m, d;
		if (sscanf(s, "%4u-%2u-%2u", &y, &m, &d) != 3 ||
		    date_day(s) != days_from_civil(y, m, d))
			__builtin_trap();
	}
	return 0;
}
