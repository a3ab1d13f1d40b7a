/*
 * test_quality.c - src/quality/draw.c: the sample size (ceil of the rate,
 * at least one, at most all), the splitmix64 generator against its
 * published outputs, and the seeded draw: the same seed and candidates (in
 * any order) give the same sample, a sample is k distinct candidates, and
 * every candidate is drawn about as often over many seeds.
 */
#include "quality/quality.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void sample_sizes(void **state)
{
	(void)state;
	static const struct {
		int64_t n, rate, want;
	} cases[] = {
		{ 0, 1000, 0 },		/* nothing finished: nothing drawn */
		{ 5, 0, 0 },		/* the draw is off */
		{ 1, 1000, 1 },		/* at least one */
		{ 3, 1000, 1 },
		{ 10, 1000, 1 },	/* exactly 10 % */
		{ 11, 1000, 2 },	/* 1.1 rounds up */
		{ 12, 1000, 2 },
		{ 20, 1000, 2 },
		{ 21, 1000, 3 },
		{ 7, 10000, 7 },	/* everything */
		{ 7, 20000, 7 },	/* never more than all */
		{ 3, 1, 1 },
		{ 10000, 1, 1 },
		{ 10001, 1, 2 },
		{ 4, 5000, 2 },
		{ 5, 5000, 3 },
		{ -1, 1000, 0 },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		assert_int_equal(qa_sample_size(cases[i].n, cases[i].rate), cases[i].want);
}

/* The outputs of Vigna's reference splitmix64.c for the seed 1234567. */
static void splitmix64_known_answers(void **state)
{
	(void)state;
	static const uint64_t want[] = { UINT64_C(6457827717110365317),
					 UINT64_C(3203168211198807973),
					 UINT64_C(9817491932198370423),
					 UINT64_C(4593380528125082431),
					 UINT64_C(16408922859458223821) };
	uint64_t s = 1234567;
	for (size_t i = 0; i < N_ELEMS(want); i++)
		assert_true(qa_prng_next(&s) == want[i]);
}

static void same_seed_same_sample(void **state)
{
	(void)state;
	int64_t a[] = { 41, 7, 19, 3, 88, 23, 5, 60, 14, 72, 31, 9 };
	int64_t b[] = { 88, 72, 60, 41, 31, 23, 19, 14, 9, 7, 5, 3 };	/* the same, reversed */
	for (uint64_t seed = 1; seed < 200; seed++) {
		int64_t x[N_ELEMS(a)], y[N_ELEMS(b)];
		memcpy(x, a, sizeof(a));
		memcpy(y, b, sizeof(b));
		qa_sample(seed * UINT64_C(0x9e3779b97f4a7c15), x, N_ELEMS(x), 3);
		qa_sample(seed * UINT64_C(0x9e3779b97f4a7c15), y, N_ELEMS(y), 3);
		assert_memory_equal(x, y, 3 * sizeof(int64_t));
		/* distinct, ascending, all candidates */
		for (int i = 0; i < 3; i++) {
			bool known = false;
			for (size_t j = 0; j < N_ELEMS(a); j++)
				known = known || a[j] == x[i];
			assert_true(known);
			if (i)
				assert_true(x[i - 1] < x[i]);
		}
	}
}

static void seeds_differ(void **state)
{
	(void)state;
	/* over many seeds the sample is not always the same (the seed matters) */
	int64_t first[2] = { 0, 0 };
	int differ = 0;
	for (uint64_t seed = 0; seed < 50; seed++) {
		int64_t x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
		qa_sample(seed, x, N_ELEMS(x), 2);
		if (seed == 0)
			memcpy(first, x, sizeof(first));
		else if (memcmp(first, x, sizeof(first)) != 0)
			differ++;
	}
	assert_true(differ > 30);
}

static void edges(void **state)
{
	(void)state;
	int64_t one[] = { 42 };
	qa_sample(99, one, 1, 1);
	assert_int_equal(one[0], 42);
	/* k above n takes all, sorted */
	int64_t all[] = { 9, 2, 5 };
	qa_sample(7, all, 3, 10);
	assert_int_equal(all[0], 2);
	assert_int_equal(all[1], 5);
	assert_int_equal(all[2], 9);
	/* nothing to draw from */
	qa_sample(7, NULL, 0, 0);
}

/* Each of 10 candidates is in a 1-of-10 sample about a tenth of the time. */
static void uniform_enough(void **state)
{
	(void)state;
	int hits[10] = { 0 };
	for (uint64_t seed = 0; seed < 20000; seed++) {
		int64_t x[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
		qa_sample(seed, x, 10, 1);
		hits[x[0]]++;
	}
	for (int i = 0; i < 10; i++) {
		assert_true(hits[i] > 1700);
		assert_true(hits[i] < 2300);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sample_sizes),
		cmocka_unit_test(splitmix64_known_answers),
		cmocka_unit_test(same_seed_same_sample),
		cmocka_unit_test(seeds_differ),
		cmocka_unit_test(edges),
		cmocka_unit_test(uniform_enough),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
