/*
 * test_money.c - src/core/money.c: rounding half away from zero, document
 * line amounts and rates, overflow refused rather than wrapped, minor
 * units per currency and the text people read.
 */
#include "core/money.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- money_div_round ---- */

static void div_round_half_away_from_zero(void **state)
{
	(void)state;
	static const struct {
		int64_t num, den, want;
	} cases[] = {
		{ 0, 7, 0 },
		{ 5, 2, 3 },	/* 2.5: exact half goes up ... */
		{ -5, 2, -3 },	/* ... and down for negatives, never to even */
		{ 7, 2, 4 },	/* 3.5 */
		{ -7, 2, -4 },
		{ 1, 2, 1 },
		{ -1, 2, -1 },
		{ 1, 3, 0 },
		{ -1, 3, 0 },
		{ 4, 3, 1 },	/* 1.33 */
		{ 5, 3, 2 },	/* 1.67 */
		{ -4, 3, -1 },
		{ -5, 3, -2 },
		{ 14, 10, 1 },
		{ 15, 10, 2 },
		{ -14, 10, -1 },
		{ -15, 10, -2 },
		{ 149999, 100000, 1 },
		{ 150000, 100000, 2 },
		{ -150000, 100000, -2 },
		{ 6, 3, 2 },	/* exact quotients are left alone */
		{ -6, 3, -2 },
		{ 42, 1, 42 },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		__int128 got = money_div_round(cases[i].num, cases[i].den);
		assert_true(got == cases[i].want);
	}
}

static void div_round_beyond_int64(void **state)
{
	(void)state;
	/* 128-bit numerators: (INT64_MAX * 1000 + 500) / 1000 rounds up past INT64_MAX */
	__int128 num = (__int128)INT64_MAX * 1000 + 500;
	assert_true(money_div_round(num, 1000) == (__int128)INT64_MAX + 1);
	assert_true(money_div_round(-num, 1000) == -(__int128)INT64_MAX - 1);
	assert_true(money_div_round(num - 1, 1000) == (__int128)INT64_MAX);
}

/* ---- money_line_amount ---- */

static int64_t line(int64_t qty, int64_t price, int64_t bp)
{
	int64_t out = 0x5a5a5a5a;
	assert_int_equal(money_line_amount(qty, price, bp, &out), 0);
	return out;
}

static void line_amounts(void **state)
{
	(void)state;
	assert_int_equal(line(1000, 12500, 0), 12500);		/* 1 x 125.00 */
	assert_int_equal(line(2000, 12500, 0), 25000);
	/* 1.5 x 3.33 = 4.995, less 10 % = 4.4955 -> 4.50 */
	assert_int_equal(line(1500, 333, 1000), 450);
	/* 0.333 x 1.00 = 0.333 -> 0.33; 0.335 -> 0.335 -> 0.34 (a half, up) */
	assert_int_equal(line(333, 100, 0), 33);
	assert_int_equal(line(335, 100, 0), 34);
	assert_int_equal(line(1500, 1, 0), 2);			/* 1.5 minor units -> 2 */
	/* credit lines round away from zero too */
	assert_int_equal(line(1500, -1, 0), -2);
	assert_int_equal(line(1000, -333, 1000), -300);		/* -299.7 */
	assert_int_equal(line(-1500, 333, 1000), -450);
	/* a full discount is free, whatever the quantity */
	assert_int_equal(line(1500, 333, 10000), 0);
	assert_int_equal(line(999999999, 99999999, 10000), 0);
	assert_int_equal(line(0, 12500, 0), 0);
	assert_int_equal(line(1000, 0, 500), 0);
	/* 12.5 % off 1 x 0.01 = 0.00875 -> 0.01 */
	assert_int_equal(line(1000, 1, 1250), 1);
	/* the largest amount that fits */
	assert_int_equal(line(1000, INT64_MAX, 0), INT64_MAX);
	assert_int_equal(line(1000, INT64_MIN, 0), INT64_MIN);
}

static void line_amount_overflow_is_refused(void **state)
{
	(void)state;
	int64_t out = 77;
	assert_int_equal(money_line_amount(2000, INT64_MAX, 0, &out), -1);
	assert_int_equal(out, 77);		/* left alone on failure */
	assert_int_equal(money_line_amount(INT64_MAX, INT64_MAX, 0, &out), -1);
	assert_int_equal(money_line_amount(INT64_MIN, INT64_MAX, 0, &out), -1);
	assert_int_equal(money_line_amount(INT64_MAX, INT64_MIN, 0, &out), -1);
	assert_int_equal(money_line_amount(INT64_MIN, INT64_MIN, 0, &out), -1);
	/* a nonsense discount must not overflow the intermediate product either */
	assert_int_equal(money_line_amount(INT64_MAX, INT64_MAX, INT64_MIN, &out), -1);
	assert_int_equal(money_line_amount(INT64_MAX, INT64_MAX, INT64_MAX, &out), -1);
	assert_int_equal(out, 77);
	/* a huge quantity at a zero price, or fully discounted, is still 0 */
	assert_int_equal(money_line_amount(INT64_MAX, 0, 0, &out), 0);
	assert_int_equal(out, 0);
	assert_int_equal(money_line_amount(INT64_MAX, INT64_MAX, 10000, &out), 0);
	assert_int_equal(out, 0);
}

/* ---- money_apply_bp ---- */

static int64_t apply(int64_t base, int64_t bp)
{
	int64_t out = 0x5a5a5a5a;
	assert_int_equal(money_apply_bp(base, bp, &out), 0);
	return out;
}

static void apply_bp(void **state)
{
	(void)state;
	assert_int_equal(apply(10000, 825), 825);
	assert_int_equal(apply(1234, 825), 102);	/* 101.805 */
	assert_int_equal(apply(-1234, 825), -102);
	assert_int_equal(apply(2, 2500), 1);		/* 0.5, a half: up */
	assert_int_equal(apply(-2, 2500), -1);
	assert_int_equal(apply(6, 2500), 2);		/* 1.5 */
	assert_int_equal(apply(161820, 825), 13350);	/* 13350.15 */
	assert_int_equal(apply(0, 825), 0);
	assert_int_equal(apply(12345, 0), 0);
	assert_int_equal(apply(12345, 10000), 12345);
	assert_int_equal(apply(INT64_MAX, 10000), INT64_MAX);
	assert_int_equal(apply(INT64_MIN, 10000), INT64_MIN);

	int64_t out = 77;
	assert_int_equal(money_apply_bp(INT64_MAX, 20000, &out), -1);
	assert_int_equal(money_apply_bp(INT64_MAX, INT64_MAX, &out), -1);
	assert_int_equal(money_apply_bp(INT64_MIN, INT64_MAX, &out), -1);
	assert_int_equal(out, 77);
}

/* ---- money_exponent and money_format ---- */

static void exponents(void **state)
{
	(void)state;
	assert_int_equal(money_exponent("USD"), 2);
	assert_int_equal(money_exponent("EUR"), 2);
	assert_int_equal(money_exponent("JPY"), 0);
	assert_int_equal(money_exponent("KRW"), 0);
	assert_int_equal(money_exponent("KWD"), 3);
	assert_int_equal(money_exponent("BHD"), 3);
	assert_int_equal(money_exponent(NULL), 2);
}

static void formats(void **state)
{
	(void)state;
	static const struct {
		int64_t minor;
		const char *cur, *want;
	} cases[] = {
		{ 0, "USD", "0.00 USD" },
		{ 5, "USD", "0.05 USD" },
		{ -5, "USD", "-0.05 USD" },
		{ 100, "USD", "1.00 USD" },
		{ 99999, "USD", "999.99 USD" },
		{ 100000, "USD", "1,000.00 USD" },
		{ 123456, "USD", "1,234.56 USD" },
		{ -1234567, "USD", "-12,345.67 USD" },
		{ 123456789, "EUR", "1,234,567.89 EUR" },
		{ 0, "JPY", "0 JPY" },
		{ 1500, "JPY", "1,500 JPY" },
		{ -1234567, "JPY", "-1,234,567 JPY" },
		{ 999, "JPY", "999 JPY" },
		{ 0, "KWD", "0.000 KWD" },
		{ 5, "KWD", "0.005 KWD" },
		{ 1234567, "KWD", "1,234.567 KWD" },
		{ -1000, "KWD", "-1.000 KWD" },
		{ INT64_MAX, "USD", "92,233,720,368,547,758.07 USD" },
		{ INT64_MIN, "USD", "-92,233,720,368,547,758.08 USD" },
		{ INT64_MIN, "JPY", "-9,223,372,036,854,775,808 JPY" },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char out[MONEY_TEXT_LEN];
		memset(out, 'x', sizeof(out));
		money_format(cases[i].minor, cases[i].cur, out);
		assert_string_equal(out, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(div_round_half_away_from_zero),
		cmocka_unit_test(div_round_beyond_int64),
		cmocka_unit_test(line_amounts),
		cmocka_unit_test(line_amount_overflow_is_refused),
		cmocka_unit_test(apply_bp),
		cmocka_unit_test(exponents),
		cmocka_unit_test(formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
