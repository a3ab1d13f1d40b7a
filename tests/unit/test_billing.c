/*
 * test_billing.c - src/billing/plan.c: the billing rules of DESIGN.md with
 * exact amounts and the sentences a client reads. Rounding of time
 * (increments, minimums, increments that do not divide an hour), rates and
 * overrides, managed fees (whole, prorated at either end, every month
 * length, two months in one run, months already billed, covered and
 * uncovered work, covered parts), block hours (an entry that fills the
 * block, one that half fits, one after it), additions fixed and per
 * device, taxes, currencies, line order, and the inputs refused.
 */
#include "billing/plan.h"
#include "core/alloc.h"
#include "core/timeutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

enum { WT_REMOTE = 1, WT_ONSITE = 2 };

static int64_t day(int y, unsigned m, unsigned d)
{
	return days_from_civil(y, m, d);
}

static int64_t at(int y, unsigned m, unsigned d, int hh, int mm)
{
	return day(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

static const struct bill_company companies[] = {
	{ 1, "Acme", 825 },
	{ 2, "Globex", 0 },
	{ 3, "Initech", 1000 },
};

/* December 2026, the firm in 15-minute increments, labour untaxed. */
static struct bill_input input(void)
{
	struct bill_input in = { 0 };
	in.from = day(2026, 12, 1);
	in.to = day(2026, 12, 31);
	in.today = day(2027, 1, 2);
	in.firm.increment_minutes = 15;
	in.firm.minimum_minutes = 0;
	in.firm.labor_taxable = false;
	in.companies = companies;
	in.ncompanies = N_ELEMS(companies);
	return in;
}

static struct bill_contract contract(int64_t id, enum bill_kind kind, int64_t starts_on,
				     int64_t ends_on)
{
	struct bill_contract c = { 0 };
	c.id = id;
	c.company_id = 1;
	c.name = kind == BILL_MANAGED ? "Managed 2026" : kind == BILL_BLOCK_HOURS ? "Block 10h"
										: "Break-fix";
	c.kind = kind;
	c.currency = "USD";
	c.starts_on = starts_on;
	c.ends_on = ends_on;
	c.overage_rate = -1;
	c.increment_minutes = 15;
	c.minimum_minutes = 0;
	return c;
}

/* Remote support at 120.00 USD/h, or onsite work at 150.00 USD/h, on T-000123 by Jane Doe. */
static struct bill_entry entry(int64_t id, int64_t contract_id, int64_t work_type,
			       int64_t started_at, int64_t minutes)
{
	struct bill_entry e = { 0 };
	e.id = id;
	e.company_id = 1;
	e.contract_id = contract_id;
	e.work_type_id = work_type;
	e.work_type_name = work_type == WT_REMOTE ? "Remote support" : "Onsite";
	e.list_rate = work_type == WT_REMOTE ? 12000 : 15000;
	e.currency = "USD";
	e.started_at = started_at;
	e.minutes = minutes;
	e.ticket_number = "T-000123";
	e.user_name = "Jane Doe";
	return e;
}

static struct bill_part part(int64_t id, int64_t contract_id, const char *name, int64_t quantity,
			     int64_t unit_price)
{
	struct bill_part p = { 0 };
	p.id = id;
	p.company_id = 1;
	p.contract_id = contract_id;
	p.product_name = name;
	p.currency = "USD";
	p.quantity = quantity;
	p.unit_price = unit_price;
	p.taxable = true;
	p.ticket_number = "T-000123";
	return p;
}

/* ---- running a plan ---- */

static struct arena arena;

static int setup(void **state)
{
	(void)state;
	arena_init(&arena);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	arena_release(&arena);
	return 0;
}

static struct bill_plan plan(const struct bill_input *in)
{
	struct bill_plan out = { 0 };
	char err[256] = "";
	int rc = bill_plan(in, &arena, &out, err, sizeof(err));
	if (rc != 0)
		fail_msg("bill_plan: %s", err);
	return out;
}

/* The plan is refused with a message holding want, and out is not written. */
static void refused(const struct bill_input *in, const char *want)
{
	struct bill_plan out = { (struct bill_invoice *)&out, 4242 };
	char err[256] = "";
	assert_int_equal(bill_plan(in, &arena, &out, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
	assert_ptr_equal(out.invoices, (struct bill_invoice *)&out);
	assert_int_equal(out.ninvoices, 4242);
}

/* The one invoice of a plan that must have exactly one. */
static const struct bill_invoice *only(const struct bill_plan *pl)
{
	assert_int_equal(pl->ninvoices, 1);
	return &pl->invoices[0];
}

static void has_sources(const struct bill_line *l, size_t n, ...)
{
	va_list ap;
	assert_int_equal(l->nsources, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *type = va_arg(ap, const char *);
		int64_t id = va_arg(ap, int64_t);
		assert_string_equal(l->sources[i].type, type);
		assert_int_equal(l->sources[i].id, id);
	}
	va_end(ap);
}

#define SRC(type, id) (type), (int64_t)(id)

/* ---- the building blocks ---- */

static void rounding_minutes(void **state)
{
	(void)state;
	static const struct {
		int64_t minutes;
		int increment, minimum;
		int64_t want;
	} cases[] = {
		{ 45, 15, 0, 45 },
		{ 46, 15, 0, 60 },	/* a minute into the next increment bills all of it */
		{ 1, 15, 0, 15 },
		{ 0, 15, 0, 0 },
		{ 0, 15, 60, 60 },
		{ 45, 15, 60, 60 },	/* a minimum larger than the increment */
		{ 61, 15, 60, 75 },	/* above the minimum the increments count again */
		{ 50, 7, 0, 56 },	/* 7 does not divide 60: 8 increments */
		{ 49, 7, 0, 49 },
		{ 50, 25, 30, 50 },
		{ 51, 25, 30, 75 },
		{ 1, 1, 0, 1 },
		{ 89, 30, 0, 90 },
		{ 90, 60, 0, 120 },
		{ INT64_MAX, 1, 0, INT64_MAX },
		{ INT64_MAX - 6, 7, 0, INT64_MAX },	/* 2^63 - 1 is a multiple of 7 */
		/* impossible or too large: refused */
		{ -1, 15, 0, -1 },
		{ 10, 0, 0, -1 },
		{ 10, -15, 0, -1 },
		{ 10, 15, -1, -1 },
		{ INT64_MAX, 15, 0, -1 },
		{ INT64_MAX - 6, 8, 0, -1 },	/* one past the last multiple of 8 */
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++)
		assert_int_equal(bill_round_minutes(cases[i].minutes, cases[i].increment,
						    cases[i].minimum),
				 cases[i].want);
}

static void time_amounts(void **state)
{
	(void)state;
	static const struct {
		int64_t billed, rate, want;
	} cases[] = {
		{ 60, 12000, 12000 },
		{ 45, 12000, 9000 },
		{ 56, 12000, 11200 },
		{ 1, 30, 1 },		/* 0.5 exactly: away from zero */
		{ 1, 90, 2 },		/* 1.5 */
		{ 1, 29, 0 },		/* 0.483 */
		{ 1, 31, 1 },
		{ 7, 10, 1 },		/* 1.17 */
		{ 0, 12000, 0 },
		{ 20, 10000, 3333 },	/* 3333.33 */
		{ 40, 10000, 6667 },	/* 6666.67 */
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		int64_t got = -7;
		assert_int_equal(bill_time_amount(cases[i].billed, cases[i].rate, &got), 0);
		assert_int_equal(got, cases[i].want);
	}
	int64_t untouched = 77;
	assert_int_equal(bill_time_amount(INT64_MAX, 12000, &untouched), -1);
	assert_int_equal(bill_time_amount(INT64_MAX / 2, 121, &untouched), -1);
	assert_int_equal(bill_time_amount(-15, 12000, &untouched), -1);
	assert_int_equal(bill_time_amount(15, -1, &untouched), -1);
	assert_int_equal(untouched, 77);
	/* the largest that fits */
	assert_int_equal(bill_time_amount(INT64_MAX, 60, &untouched), 0);
	assert_int_equal(untouched, INT64_MAX);
}

static void proration(void **state)
{
	(void)state;
	static const struct {
		int64_t fee, covered, days, want;
	} cases[] = {
		{ 150000, 31, 31, 150000 },
		{ 150000, 17, 31, 82258 },	/* 82258.06 */
		{ 150000, 16, 31, 77419 },	/* 77419.35 */
		{ 150000, 10, 30, 50000 },
		{ 150000, 14, 28, 75000 },
		{ 150000, 14, 29, 72414 },	/* 72413.79 */
		{ 100000, 1, 29, 3448 },	/* 3448.28 */
		{ 1, 15, 30, 1 },		/* 0.5 exactly: away from zero */
		{ 3, 5, 30, 1 },		/* 0.5 */
		{ 1, 14, 30, 0 },
		{ 0, 17, 31, 0 },
		{ INT64_MAX, 31, 31, INT64_MAX },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		int64_t got = -7;
		assert_int_equal(bill_prorate(cases[i].fee, cases[i].covered, cases[i].days, &got),
				 0);
		assert_int_equal(got, cases[i].want);
	}
	int64_t untouched = 77;
	assert_int_equal(bill_prorate(150000, 32, 31, &untouched), -1);
	assert_int_equal(bill_prorate(150000, 1, 0, &untouched), -1);
	assert_int_equal(bill_prorate(-1, 1, 31, &untouched), -1);
	assert_int_equal(bill_prorate(150000, -1, 31, &untouched), -1);
	assert_int_equal(untouched, 77);
}

static void months(void **state)
{
	(void)state;
	assert_int_equal(bill_days_in_month(day(2026, 12, 15)), 31);
	assert_int_equal(bill_days_in_month(day(2026, 11, 30)), 30);
	assert_int_equal(bill_days_in_month(day(2026, 2, 1)), 28);
	assert_int_equal(bill_days_in_month(day(2028, 2, 29)), 29);	/* leap */
	assert_int_equal(bill_days_in_month(day(2100, 2, 10)), 28);	/* not leap: a century */
	assert_int_equal(bill_days_in_month(day(2000, 2, 10)), 29);	/* leap: 400 years */
	assert_int_equal(bill_days_in_month(day(1969, 12, 31)), 31);	/* before the epoch */
	assert_int_equal(bill_month_start(day(2026, 12, 15)), day(2026, 12, 1));
	assert_int_equal(bill_month_start(day(2026, 12, 1)), day(2026, 12, 1));
	assert_int_equal(bill_month_start(day(2028, 2, 29)), day(2028, 2, 1));
	assert_int_equal(bill_month_start(day(1969, 12, 31)), day(1969, 12, 1));
	/* outside the years 1 to 9999: no crash, a value that says so */
	assert_int_equal(bill_days_in_month(INT64_MAX), 0);
	assert_int_equal(bill_days_in_month(INT64_MIN), 0);
	assert_int_equal(bill_month_start(INT64_MAX), INT64_MAX);
}

static void rule_names(void **state)
{
	(void)state;
	assert_string_equal(bill_rule_names[RULE_TIME], "time");
	assert_string_equal(bill_rule_names[RULE_BLOCK_DRAW], "block_draw");
	assert_string_equal(bill_rule_names[RULE_BLOCK_OVERAGE], "block_overage");
	assert_string_equal(bill_rule_names[RULE_BLOCK_PURCHASE], "block_purchase");
	assert_string_equal(bill_rule_names[RULE_MANAGED_FEE], "managed_fee");
	assert_string_equal(bill_rule_names[RULE_ADDITION], "addition");
	assert_string_equal(bill_rule_names[RULE_PART], "part");
	assert_string_equal(bill_rule_names[RULE_MANUAL], "manual");
}

/* ---- time & materials ---- */

static void no_contract_bills_list_rates_with_the_firms_defaults(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.firm.minimum_minutes = 60;
	struct bill_entry e[] = { entry(7, 0, WT_REMOTE, at(2026, 12, 3, 9, 0), 45) };
	in.entries = e;
	in.nentries = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->company_id, 1);
	assert_string_equal(inv->currency, "USD");
	assert_int_equal(inv->tax_rate_bp, 825);
	assert_int_equal(inv->nlines, 1);
	const struct bill_line *l = &inv->lines[0];
	assert_int_equal(l->rule, RULE_TIME);
	assert_string_equal(l->description, "T-000123 Remote support: Jane Doe");
	assert_string_equal(l->explanation,
			    "45 min worked, billed 1:00 (15-min increments, 1:00 minimum) "
			    "at 120.00 USD/h");
	assert_int_equal(l->billed_minutes, 60);
	assert_int_equal(l->quantity, 1000);
	assert_int_equal(l->unit_price, 12000);
	assert_int_equal(l->amount, 12000);
	assert_false(l->taxable);
	assert_int_equal(l->contract_id, 0);
	assert_int_equal(l->month, 0);
	has_sources(l, 1, SRC("time_entry", 7));
	assert_int_equal(inv->subtotal, 12000);
	assert_int_equal(inv->tax, 0);
	assert_int_equal(inv->total, 12000);
}

static void tm_contract_minimum_larger_than_the_increment(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = contract(3, BILL_TIME_MATERIALS, day(2026, 1, 1), 0);
	c.minimum_minutes = 60;
	struct bill_entry e[] = {
		entry(1, 3, WT_REMOTE, at(2026, 12, 3, 9, 0), 20),
		entry(2, 3, WT_REMOTE, at(2026, 12, 4, 9, 0), 61),
		entry(3, 3, WT_REMOTE, at(2026, 12, 5, 9, 0), 90),
	};
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = N_ELEMS(e);
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 3);
	assert_int_equal(inv->lines[0].billed_minutes, 60);
	assert_int_equal(inv->lines[0].amount, 12000);
	assert_string_equal(inv->lines[0].explanation,
			    "20 min worked, billed 1:00 (15-min increments, 1:00 minimum) "
			    "at 120.00 USD/h");
	assert_int_equal(inv->lines[0].contract_id, 3);
	assert_int_equal(inv->lines[1].billed_minutes, 75);
	assert_int_equal(inv->lines[1].quantity, 1250);
	assert_int_equal(inv->lines[1].amount, 15000);
	assert_string_equal(inv->lines[1].explanation,
			    "1:01 worked, billed 1:15 (15-min increments, 1:00 minimum) "
			    "at 120.00 USD/h");
	assert_int_equal(inv->lines[2].billed_minutes, 90);
	assert_int_equal(inv->lines[2].amount, 18000);
	assert_int_equal(inv->subtotal, 45000);
}

static void increment_that_does_not_divide_an_hour(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = contract(3, BILL_TIME_MATERIALS, day(2026, 1, 1), 0);
	c.increment_minutes = 7;
	struct bill_entry e[] = { entry(1, 3, WT_REMOTE, at(2026, 12, 3, 9, 0), 50) };
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_line *l = &only(&pl)->lines[0];
	assert_int_equal(l->billed_minutes, 56);
	assert_int_equal(l->quantity, 933);	/* 0.9333 h, shown; the amount is from minutes */
	assert_int_equal(l->amount, 11200);
	assert_string_equal(l->explanation,
			    "50 min worked, billed 0:56 (7-min increments) at 120.00 USD/h");
}

static void by_the_minute(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.firm.increment_minutes = 1;
	struct bill_entry e[] = { entry(1, 0, WT_REMOTE, at(2026, 12, 3, 9, 0), 20) };
	e[0].list_rate = 10000;
	in.entries = e;
	in.nentries = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_line *l = &only(&pl)->lines[0];
	assert_int_equal(l->amount, 3333);
	assert_int_equal(l->quantity, 333);
	assert_string_equal(l->explanation,
			    "20 min worked, billed 0:20 (by the minute) at 100.00 USD/h");
}

static void rate_override_for_one_work_type(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = contract(3, BILL_TIME_MATERIALS, day(2026, 1, 1), 0);
	static const struct bill_rate rates[] = { { WT_REMOTE, 9000 } };
	c.rates = rates;
	c.nrates = 1;
	struct bill_entry e[] = {
		entry(1, 3, WT_REMOTE, at(2026, 12, 3, 9, 0), 60),
		entry(2, 3, WT_ONSITE, at(2026, 12, 4, 9, 0), 60),
	};
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 2;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->lines[0].unit_price, 9000);
	assert_int_equal(inv->lines[0].amount, 9000);
	assert_string_equal(inv->lines[0].explanation,
			    "1:00 worked, billed 1:00 (15-min increments) at 90.00 USD/h "
			    "(contract rate)");
	assert_int_equal(inv->lines[1].unit_price, 15000);	/* no override: list rate */
	assert_int_equal(inv->lines[1].amount, 15000);
	assert_string_equal(inv->lines[1].description, "T-000123 Onsite: Jane Doe");
	assert_string_equal(inv->lines[1].explanation,
			    "1:00 worked, billed 1:00 (15-min increments) at 150.00 USD/h");
}

static void half_away_from_zero_at_exactly_half(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.firm.increment_minutes = 1;
	in.firm.labor_taxable = true;
	static const struct bill_company half[] = { { 1, "Acme", 5000 } };	/* 50 % */
	in.companies = half;
	in.ncompanies = 1;
	struct bill_entry e[] = { entry(1, 0, WT_REMOTE, at(2026, 12, 3, 9, 0), 1) };
	e[0].list_rate = 30;		/* 1 min at 0.30/h = 0.5 -> 1 */
	struct bill_part p[] = { part(1, 0, "Washer", 500, 1) };	/* 0.5 x 0.01 -> 0.01 */
	p[0].taxable = false;
	in.entries = e;
	in.nentries = 1;
	in.parts = p;
	in.nparts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->lines[0].amount, 1);
	assert_int_equal(inv->lines[1].amount, 1);
	assert_string_equal(inv->lines[1].explanation, "0.5 x 0.01 USD");
	assert_int_equal(inv->subtotal, 2);
	assert_int_equal(inv->tax, 1);		/* 1 x 50 % = 0.5 -> 1 */
	assert_int_equal(inv->total, 3);
}

static void parts_bill_at_quantity_times_price(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_part p[] = {
		part(9, 0, "Toner cartridge", 2000, 4550),
		part(4, 0, "Cable", 1500, 333),		/* 4.995 -> 5.00 */
	};
	p[1].taxable = false;
	in.parts = p;
	in.nparts = 2;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);
	/* by id */
	assert_string_equal(inv->lines[0].description, "T-000123 Cable");
	assert_string_equal(inv->lines[0].explanation, "1.5 x 3.33 USD");
	assert_int_equal(inv->lines[0].amount, 500);
	assert_false(inv->lines[0].taxable);
	assert_int_equal(inv->lines[0].rule, RULE_PART);
	has_sources(&inv->lines[0], 1, SRC("part", 4));
	assert_string_equal(inv->lines[1].explanation, "2 x 45.50 USD");
	assert_int_equal(inv->lines[1].amount, 9100);
	assert_true(inv->lines[1].taxable);
	assert_int_equal(inv->subtotal, 9600);
	assert_int_equal(inv->tax, 751);	/* 9100 x 8.25 % = 750.75 */
	assert_int_equal(inv->total, 10351);
}

/* ---- managed services ---- */

static struct bill_contract managed(int64_t starts_on, int64_t ends_on)
{
	struct bill_contract c = contract(5, BILL_MANAGED, starts_on, ends_on);
	c.monthly_fee = 150000;
	return c;
}

static void managed_fee_for_a_whole_month(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 1);
	const struct bill_line *l = &inv->lines[0];
	assert_int_equal(l->rule, RULE_MANAGED_FEE);
	assert_string_equal(l->description, "Managed services: Managed 2026, December 2026");
	assert_string_equal(l->explanation,
			    "December 2026, the whole month: 1,500.00 USD, billed in advance");
	assert_int_equal(l->quantity, 1000);
	assert_int_equal(l->unit_price, 150000);
	assert_int_equal(l->amount, 150000);
	assert_true(l->taxable);
	assert_int_equal(l->month, day(2026, 12, 1));
	assert_int_equal(l->contract_id, 5);
	assert_int_equal(l->billed_minutes, 0);
	has_sources(l, 1, SRC("contract", 5));
	assert_int_equal(inv->tax, 12375);	/* 1,500.00 x 8.25 % */
	assert_int_equal(inv->total, 162375);
}

static void managed_contract_starting_mid_month(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 12, 15), 0);
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_line *l = &only(&pl)->lines[0];
	assert_int_equal(l->amount, 82258);
	assert_int_equal(l->unit_price, 150000);	/* the whole month; the amount prorated */
	assert_int_equal(l->month, day(2026, 12, 1));
	assert_string_equal(l->explanation,
			    "December 2026, 17 of 31 days (the contract starts on 15 December): "
			    "1,500.00 USD x 17/31, billed in advance");
}

static void first_part_begins_before_the_period(void **state)
{
	(void)state;
	/* the December part began on the 15th, before this run's period: only January */
	struct bill_input in = input();
	in.from = day(2026, 12, 20);
	in.to = day(2027, 1, 19);
	struct bill_contract c = managed(day(2026, 12, 15), 0);
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 1);
	assert_int_equal(inv->lines[0].month, day(2027, 1, 1));
	assert_int_equal(inv->lines[0].amount, 150000);
	/* a contract that starts after the period bills nothing yet */
	c = managed(day(2027, 1, 20), 0);
	pl = plan(&in);
	assert_int_equal(pl.ninvoices, 0);
}

static void ended_contracts_last_partial_month_of_30_days(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.from = day(2026, 11, 1);
	in.to = day(2026, 11, 30);
	struct bill_contract c = managed(day(2026, 1, 1), day(2026, 11, 10));
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_line *l = &only(&pl)->lines[0];
	assert_int_equal(l->amount, 50000);
	assert_string_equal(l->explanation,
			    "November 2026, 10 of 30 days (the contract ends on 10 November): "
			    "1,500.00 USD x 10/30, billed in advance");
	/* the month after it ended bills nothing */
	in.from = day(2026, 12, 1);
	in.to = day(2026, 12, 31);
	pl = plan(&in);
	assert_int_equal(pl.ninvoices, 0);
}

static void february_of_28_and_of_29_days(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.from = day(2026, 2, 1);
	in.to = day(2026, 2, 28);
	struct bill_contract c = managed(day(2025, 1, 1), day(2026, 2, 14));
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	assert_int_equal(only(&pl)->lines[0].amount, 75000);
	assert_string_equal(only(&pl)->lines[0].explanation,
			    "February 2026, 14 of 28 days (the contract ends on 14 February): "
			    "1,500.00 USD x 14/28, billed in advance");
	in.from = day(2028, 2, 1);
	in.to = day(2028, 2, 29);
	c.ends_on = day(2028, 2, 14);
	pl = plan(&in);
	assert_int_equal(only(&pl)->lines[0].amount, 72414);
	assert_string_equal(only(&pl)->lines[0].explanation,
			    "February 2028, 14 of 29 days (the contract ends on 14 February): "
			    "1,500.00 USD x 14/29, billed in advance");
	/* the whole of a leap February is the whole fee */
	c.ends_on = 0;
	pl = plan(&in);
	assert_int_equal(only(&pl)->lines[0].amount, 150000);
}

static void contract_starting_and_ending_in_one_month(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 12, 5), day(2026, 12, 20));
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_line *l = &only(&pl)->lines[0];
	assert_int_equal(l->amount, 77419);
	assert_string_equal(l->explanation,
			    "December 2026, 16 of 31 days "
			    "(the contract runs from 5 to 20 December): "
			    "1,500.00 USD x 16/31, billed in advance");
}

static void period_spanning_two_months_bills_two_fees(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.from = day(2026, 11, 1);
	struct bill_contract c = managed(day(2026, 11, 16), 0);
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);
	assert_int_equal(inv->lines[0].month, day(2026, 11, 1));
	assert_int_equal(inv->lines[0].amount, 75000);		/* 15 of 30 days */
	assert_string_equal(inv->lines[0].description,
			    "Managed services: Managed 2026, November 2026");
	assert_int_equal(inv->lines[1].month, day(2026, 12, 1));
	assert_int_equal(inv->lines[1].amount, 150000);
	assert_string_equal(inv->lines[1].description,
			    "Managed services: Managed 2026, December 2026");
	assert_int_equal(inv->subtotal, 225000);
}

static void fee_already_billed_is_not_billed_again(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.from = day(2026, 11, 1);
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	const int64_t billed[] = { day(2026, 11, 1) };
	c.months_billed = billed;
	c.nmonths_billed = 1;
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 1);
	assert_int_equal(inv->lines[0].month, day(2026, 12, 1));
	/* both billed: nothing at all */
	const int64_t both[] = { day(2026, 12, 1), day(2026, 11, 1) };
	c.months_billed = both;
	c.nmonths_billed = 2;
	pl = plan(&in);
	assert_int_equal(pl.ninvoices, 0);
}

static void covered_and_uncovered_work_types(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	static const int64_t covered[] = { WT_REMOTE };
	static const struct bill_rate rates[] = { { WT_ONSITE, 14000 } };
	c.covered_work_types = covered;
	c.ncovered = 1;
	c.rates = rates;
	c.nrates = 1;
	struct bill_entry e[] = {
		entry(11, 5, WT_REMOTE, at(2026, 12, 8, 10, 0), 100),
		entry(12, 5, WT_ONSITE, at(2026, 12, 9, 10, 0), 30),
		entry(10, 5, WT_REMOTE, at(2026, 12, 2, 10, 0), 45),
	};
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = N_ELEMS(e);
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);
	const struct bill_line *fee = &inv->lines[0];
	assert_int_equal(fee->rule, RULE_MANAGED_FEE);
	assert_int_equal(fee->amount, 150000);
	assert_string_equal(fee->explanation,
			    "December 2026, the whole month: 1,500.00 USD, billed in advance; "
			    "covered by the monthly fee: 2 entries, 2:25 worked");
	has_sources(fee, 3, SRC("contract", 5), SRC("time_entry", 10), SRC("time_entry", 11));
	const struct bill_line *t = &inv->lines[1];
	assert_int_equal(t->rule, RULE_TIME);
	assert_int_equal(t->contract_id, 5);
	assert_int_equal(t->amount, 7000);	/* 0:30 at the contract's 140.00 */
	assert_string_equal(t->explanation,
			    "30 min worked, billed 0:30 (15-min increments) at 140.00 USD/h "
			    "(contract rate); Onsite is not covered by the monthly fee");
	has_sources(t, 1, SRC("time_entry", 12));
	assert_int_equal(inv->subtotal, 157000);
	assert_int_equal(inv->tax, 12375);	/* the fee only: labour is untaxed */
}

static void covered_parts_and_all_work_types(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	c.parts_covered = true;		/* and no work types listed: all covered */
	struct bill_entry e[] = {
		entry(1, 5, WT_ONSITE, at(2026, 12, 8, 10, 0), 45),
	};
	struct bill_part p[] = {
		part(21, 5, "Toner", 2000, 4550),
		part(22, 5, "Cable", 1000, 500),
		part(23, 0, "Mouse", 1000, 1500),	/* no contract: billed */
	};
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 1;
	in.parts = p;
	in.nparts = 3;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);
	assert_string_equal(inv->lines[0].explanation,
			    "December 2026, the whole month: 1,500.00 USD, billed in advance; "
			    "covered by the monthly fee: 1 entry, 0:45 worked; "
			    "2 parts: Toner x 2, Cable");
	has_sources(&inv->lines[0], 4, SRC("contract", 5), SRC("time_entry", 1), SRC("part", 21),
		    SRC("part", 22));
	assert_int_equal(inv->lines[1].rule, RULE_PART);
	assert_string_equal(inv->lines[1].description, "T-000123 Mouse");
	assert_int_equal(inv->lines[1].amount, 1500);
	assert_int_equal(inv->subtotal, 151500);
}

static void parts_bill_under_a_managed_contract_unless_covered(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	struct bill_part p[] = { part(21, 5, "Toner", 2000, 4550) };
	in.contracts = &c;
	in.ncontracts = 1;
	in.parts = p;
	in.nparts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);
	assert_int_equal(inv->lines[1].rule, RULE_PART);
	assert_int_equal(inv->lines[1].contract_id, 5);
	assert_int_equal(inv->lines[1].amount, 9100);
	assert_string_equal(inv->lines[0].explanation,
			    "December 2026, the whole month: 1,500.00 USD, billed in advance");
}

static void covered_work_without_a_fee_this_run_gets_a_zero_line(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	const int64_t billed[] = { day(2026, 12, 1) };
	c.months_billed = billed;
	c.nmonths_billed = 1;
	c.parts_covered = true;
	struct bill_entry e[] = {
		entry(1, 5, WT_REMOTE, at(2026, 12, 8, 10, 0), 45),
		entry(2, 5, WT_REMOTE, at(2026, 12, 9, 10, 0), 825),
	};
	struct bill_part p[] = { part(21, 5, "Toner", 1000, 4550) };
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 2;
	in.parts = p;
	in.nparts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 1);
	const struct bill_line *l = &inv->lines[0];
	assert_int_equal(l->rule, RULE_MANAGED_FEE);
	assert_int_equal(l->amount, 0);
	assert_int_equal(l->unit_price, 0);
	assert_int_equal(l->month, 0);
	assert_int_equal(l->contract_id, 5);
	assert_string_equal(l->description,
			    "Managed services: Managed 2026, work covered by the fee");
	assert_string_equal(l->explanation,
			    "Covered by the monthly fee: 2 entries, 14:30 worked; 1 part: Toner");
	has_sources(l, 4, SRC("contract", 5), SRC("time_entry", 1), SRC("time_entry", 2),
		    SRC("part", 21));
	assert_int_equal(inv->total, 0);
}

static void covered_work_over_two_months_goes_on_the_first_fee(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.from = day(2026, 11, 1);
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	struct bill_entry e[] = {
		entry(1, 5, WT_REMOTE, at(2026, 11, 8, 10, 0), 30),
		entry(2, 5, WT_REMOTE, at(2026, 12, 9, 10, 0), 60),
	};
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 2;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);
	assert_string_equal(inv->lines[0].explanation,
			    "November 2026, the whole month: 1,500.00 USD, billed in advance; "
			    "covered by the monthly fee: 2 entries, 1:30 worked");
	assert_int_equal(inv->lines[0].nsources, 3);
	assert_string_equal(inv->lines[1].explanation,
			    "December 2026, the whole month: 1,500.00 USD, billed in advance");
	assert_int_equal(inv->lines[1].nsources, 1);
}

static void entry_outside_the_term_bills_as_without_a_contract(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.firm.minimum_minutes = 30;
	struct bill_contract c = managed(day(2026, 12, 15), 0);
	c.increment_minutes = 60;
	struct bill_entry e[] = {
		entry(1, 5, WT_REMOTE, at(2026, 12, 10, 10, 0), 20),	/* before it starts */
		entry(2, 5, WT_REMOTE, at(2026, 12, 16, 10, 0), 20),	/* covered */
	};
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 2;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);
	assert_int_equal(inv->lines[0].rule, RULE_MANAGED_FEE);
	assert_int_equal(inv->lines[0].nsources, 2);
	const struct bill_line *l = &inv->lines[1];
	assert_int_equal(l->rule, RULE_TIME);
	assert_int_equal(l->contract_id, 0);
	/* the firm's minimum, not the contract's hour */
	assert_int_equal(l->billed_minutes, 30);
	assert_int_equal(l->amount, 6000);
	assert_string_equal(l->explanation,
			    "20 min worked, billed 0:30 (15-min increments, 0:30 minimum) "
			    "at 120.00 USD/h; list rate: outside Managed 2026, which starts on "
			    "15 December 2026");

	/* after it ended */
	in.from = day(2026, 12, 1);
	c = managed(day(2026, 1, 1), day(2026, 11, 30));
	e[0] = entry(1, 5, WT_REMOTE, at(2026, 12, 10, 10, 0), 20);
	in.nentries = 1;
	pl = plan(&in);
	inv = only(&pl);
	assert_int_equal(inv->nlines, 1);
	assert_string_equal(inv->lines[0].explanation,
			    "20 min worked, billed 0:30 (15-min increments, 0:30 minimum) "
			    "at 120.00 USD/h; list rate: outside Managed 2026, which ended on "
			    "30 November 2026");
}

static void the_day_worked_is_the_firms_not_utcs(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 12, 15), 0);
	/* 23:30 UTC on the 14th is the 15th in Berlin: inside the term, covered */
	struct bill_entry e[] = { entry(1, 5, WT_REMOTE, at(2026, 12, 14, 23, 30), 20) };
	e[0].worked_on = day(2026, 12, 15);
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 1;
	struct bill_plan pl = plan(&in);
	assert_int_equal(only(&pl)->nlines, 1);
	assert_int_equal(only(&pl)->lines[0].nsources, 2);
	/* without it, the UTC day: outside */
	e[0].worked_on = 0;
	pl = plan(&in);
	assert_int_equal(only(&pl)->nlines, 2);
	assert_int_equal(only(&pl)->lines[1].contract_id, 0);
}

/* ---- block hours ---- */

static struct bill_contract block(void)
{
	struct bill_contract c = contract(8, BILL_BLOCK_HOURS, day(2026, 12, 1), day(2027, 11, 30));
	c.block_minutes = 600;
	c.block_price = 100000;
	c.overage_rate = 15000;
	return c;
}

static void block_exactly_filled_then_overage(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = block();
	struct bill_entry e[] = {
		entry(3, 8, WT_REMOTE, at(2026, 12, 20, 9, 0), 45),	/* after the block */
		entry(1, 8, WT_REMOTE, at(2026, 12, 2, 9, 0), 230),	/* billed 4:00 */
		entry(2, 8, WT_REMOTE, at(2026, 12, 9, 9, 0), 360),	/* exactly the rest */
	};
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 3;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 4);
	const struct bill_line *l = &inv->lines[0];
	assert_int_equal(l->rule, RULE_BLOCK_PURCHASE);
	assert_string_equal(l->description, "Block hours: Block 10h, 10:00 prepaid");
	assert_string_equal(l->explanation,
			    "10:00 hours prepaid from 1 December 2026 to 30 November 2027, drawn "
			    "down by the work in the order it is done");
	assert_int_equal(l->amount, 100000);
	assert_int_equal(l->quantity, 1000);
	assert_false(l->taxable);	/* prepaid labour */
	has_sources(l, 1, SRC("contract", 8));

	l = &inv->lines[1];
	assert_int_equal(l->rule, RULE_BLOCK_DRAW);
	assert_string_equal(l->description, "T-000123 Remote support: Jane Doe (block hours)");
	assert_string_equal(l->explanation,
			    "3:50 worked, billed 4:00 (15-min increments): 4:00 drawn, 6:00 left");
	assert_int_equal(l->billed_minutes, 240);
	assert_int_equal(l->quantity, 4000);
	assert_int_equal(l->unit_price, 0);
	assert_int_equal(l->amount, 0);
	has_sources(l, 1, SRC("time_entry", 1));

	l = &inv->lines[2];
	assert_int_equal(l->rule, RULE_BLOCK_DRAW);
	assert_string_equal(l->explanation,
			    "6:00 worked, billed 6:00 (15-min increments): 6:00 drawn, 0:00 left");
	assert_int_equal(l->billed_minutes, 360);
	assert_int_equal(l->amount, 0);

	l = &inv->lines[3];
	assert_int_equal(l->rule, RULE_BLOCK_OVERAGE);
	assert_string_equal(l->description,
			    "T-000123 Remote support: Jane Doe (beyond the block)");
	assert_string_equal(l->explanation,
			    "45 min worked, billed 0:45 (15-min increments), beyond the block of "
			    "10:00 at 150.00 USD/h (overage rate)");
	assert_int_equal(l->billed_minutes, 45);
	assert_int_equal(l->unit_price, 15000);
	assert_int_equal(l->amount, 11250);
	assert_int_equal(l->contract_id, 8);
	has_sources(l, 1, SRC("time_entry", 3));
	assert_int_equal(inv->subtotal, 111250);
}

static void entry_that_half_fits_is_split(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = block();
	c.block_purchase_billed = true;
	c.block_drawn_minutes = 540;	/* 1:00 left */
	struct bill_entry e[] = { entry(4, 8, WT_REMOTE, at(2026, 12, 2, 9, 0), 150) };
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);	/* the purchase is billed already */
	const struct bill_line *d = &inv->lines[0], *o = &inv->lines[1];
	assert_int_equal(d->rule, RULE_BLOCK_DRAW);
	assert_int_equal(d->billed_minutes, 60);
	assert_int_equal(d->quantity, 1000);
	assert_int_equal(d->amount, 0);
	assert_string_equal(d->explanation,
			    "2:30 worked, billed 2:30 (15-min increments): 1:00 drawn, 0:00 left; "
			    "the other 1:30 is beyond the block");
	has_sources(d, 1, SRC("time_entry", 4));
	assert_int_equal(o->rule, RULE_BLOCK_OVERAGE);
	assert_int_equal(o->billed_minutes, 90);
	assert_int_equal(o->quantity, 1500);
	assert_int_equal(o->amount, 22500);
	assert_string_equal(o->explanation,
			    "1:30 of 2:30 billed, beyond the block of 10:00 at 150.00 USD/h "
			    "(overage rate)");
	has_sources(o, 1, SRC("time_entry", 4));
	assert_int_equal(inv->subtotal, 22500);
}

static void overage_without_an_overage_rate_is_at_the_entrys_rate(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = block();
	static const struct bill_rate rates[] = { { WT_ONSITE, 13000 } };
	c.overage_rate = -1;
	c.rates = rates;
	c.nrates = 1;
	c.block_purchase_billed = true;
	c.block_drawn_minutes = 700;	/* more than the block: nothing left */
	struct bill_entry e[] = {
		entry(1, 8, WT_REMOTE, at(2026, 12, 2, 9, 0), 60),
		entry(2, 8, WT_ONSITE, at(2026, 12, 3, 9, 0), 60),
	};
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 2;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);
	assert_int_equal(inv->lines[0].rule, RULE_BLOCK_OVERAGE);
	assert_int_equal(inv->lines[0].amount, 12000);
	assert_string_equal(inv->lines[0].explanation,
			    "1:00 worked, billed 1:00 (15-min increments), beyond the block of "
			    "10:00 at 120.00 USD/h");
	assert_int_equal(inv->lines[1].amount, 13000);
	assert_string_equal(inv->lines[1].explanation,
			    "1:00 worked, billed 1:00 (15-min increments), beyond the block of "
			    "10:00 at 130.00 USD/h (contract rate)");
}

static void block_is_drawn_in_the_order_worked(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = block();
	c.block_purchase_billed = true;
	c.block_minutes = 60;
	int64_t t = at(2026, 12, 2, 9, 0);
	struct bill_entry e[] = {
		entry(9, 8, WT_REMOTE, t, 45),		/* same start, higher id: second */
		entry(8, 8, WT_REMOTE, t, 45),		/* draws first */
		entry(7, 8, WT_REMOTE, t + 60, 15),	/* later: overage */
	};
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 3;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 4);
	assert_int_equal(inv->lines[0].rule, RULE_BLOCK_DRAW);
	assert_int_equal(inv->lines[0].sources[0].id, 8);
	assert_int_equal(inv->lines[0].billed_minutes, 45);
	assert_string_equal(inv->lines[0].explanation,
			    "45 min worked, billed 0:45 (15-min increments): "
			    "0:45 drawn, 0:15 left");
	assert_int_equal(inv->lines[1].rule, RULE_BLOCK_DRAW);
	assert_int_equal(inv->lines[1].sources[0].id, 9);
	assert_int_equal(inv->lines[1].billed_minutes, 15);
	assert_int_equal(inv->lines[2].rule, RULE_BLOCK_OVERAGE);
	assert_int_equal(inv->lines[2].sources[0].id, 9);
	assert_int_equal(inv->lines[2].billed_minutes, 30);
	assert_int_equal(inv->lines[2].amount, 7500);
	assert_int_equal(inv->lines[3].rule, RULE_BLOCK_OVERAGE);
	assert_int_equal(inv->lines[3].sources[0].id, 7);
	assert_int_equal(inv->lines[3].amount, 3750);
}

static void zero_minutes_on_a_block_still_make_a_line(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = block();
	c.block_purchase_billed = true;
	struct bill_entry e[] = { entry(1, 8, WT_REMOTE, at(2026, 12, 2, 9, 0), 0) };
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_line *l = &only(&pl)->lines[0];
	assert_int_equal(l->rule, RULE_BLOCK_DRAW);
	assert_int_equal(l->billed_minutes, 0);
	assert_string_equal(l->explanation,
			    "0 min worked, billed 0:00 (15-min increments): 0:00 drawn, 10:00 left");
	has_sources(l, 1, SRC("time_entry", 1));
	/* with the block used up: still one line, nothing drawn */
	c.block_drawn_minutes = 600;
	pl = plan(&in);
	assert_int_equal(only(&pl)->lines[0].rule, RULE_BLOCK_DRAW);
	assert_int_equal(only(&pl)->lines[0].amount, 0);
}

static void block_purchase_billed_once_by_the_first_run_reaching_its_start(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = block();
	c.block_purchase_billed = true;
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	assert_int_equal(pl.ninvoices, 0);
	/* a later run, its start before the period, and the block not billed yet: it is now */
	c.block_purchase_billed = false;
	in.from = day(2027, 1, 1);
	in.to = day(2027, 1, 31);
	pl = plan(&in);
	assert_int_equal(only(&pl)->lines[0].rule, RULE_BLOCK_PURCHASE);
	/* never by an earlier one */
	in.from = day(2026, 11, 1);
	in.to = day(2026, 11, 30);
	pl = plan(&in);
	assert_int_equal(pl.ninvoices, 0);
	/* labour taxable: so is the prepaid block */
	in.from = day(2026, 12, 1);
	in.to = day(2026, 12, 31);
	in.firm.labor_taxable = true;
	c.ends_on = 0;
	pl = plan(&in);
	assert_true(only(&pl)->lines[0].taxable);
	assert_string_equal(only(&pl)->lines[0].explanation,
			    "10:00 hours prepaid from 1 December 2026, drawn down by the work in "
			    "the order it is done");
	assert_int_equal(only(&pl)->tax, 8250);
}

/* ---- recurring additions ---- */

static void additions_fixed_and_per_device(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	static const int64_t ids[] = { 31, 32, 33 };
	static const char *const names[] = { "PC-01", "PC-02", "PC-03" };
	const struct bill_addition adds[] = {
		{ .product_id = 40, .description = "Backup service", .unit_price = 1000,
		  .quantity = 2000, .taxable = false },
		{ .product_id = 41, .description = "Workstation monitoring", .unit_price = 2500,
		  .quantity = 3000, .taxable = true, .asset_kind = "workstation",
		  .asset_ids = ids, .asset_names = names, .nassets = 3 },
	};
	c.additions = adds;
	c.nadditions = 2;
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 3);
	assert_int_equal(inv->lines[0].rule, RULE_MANAGED_FEE);
	const struct bill_line *a = &inv->lines[1];
	assert_int_equal(a->rule, RULE_ADDITION);
	assert_string_equal(a->description, "Backup service, December 2026");
	assert_string_equal(a->explanation,
			    "2 x 10.00 USD a month; December 2026, the whole month");
	assert_int_equal(a->quantity, 2000);
	assert_int_equal(a->unit_price, 1000);
	assert_int_equal(a->amount, 2000);
	assert_false(a->taxable);
	assert_int_equal(a->month, day(2026, 12, 1));
	has_sources(a, 1, SRC("contract", 5));
	a = &inv->lines[2];
	assert_string_equal(a->description, "Workstation monitoring, December 2026");
	assert_string_equal(a->explanation,
			    "3 workstations: PC-01, PC-02, PC-03, 25.00 USD each a month; "
			    "December 2026, the whole month");
	assert_int_equal(a->quantity, 3000);
	assert_int_equal(a->amount, 7500);
	assert_true(a->taxable);
	has_sources(a, 4, SRC("contract", 5), SRC("asset", 31), SRC("asset", 32),
		    SRC("asset", 33));
	assert_int_equal(inv->subtotal, 159500);
	assert_int_equal(inv->tax, 12994);	/* 157,500 x 8.25 % = 12993.75 */
}

static void additions_prorated_with_the_fee(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 12, 15), 0);
	static const int64_t ids[] = { 31, 32, 33 };
	static const char *const names[] = { "PC-01", NULL, "PC-03" };
	const struct bill_addition adds[] = {
		{ .description = "Workstation monitoring", .unit_price = 2500,
		  .asset_kind = "workstation", .asset_ids = ids, .asset_names = names,
		  .nassets = 3 },
		{ .description = "Spare", .unit_price = 2500, .asset_kind = "printer",
		  .nassets = 0 },		/* no printers: no line */
	};
	c.additions = adds;
	c.nadditions = 2;
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 2);
	const struct bill_line *a = &inv->lines[1];
	assert_int_equal(a->amount, 4113);	/* 3 x 25.00 x 17/31 = 41.129, rounded once */
	assert_int_equal(a->quantity, 3000);	/* counted, whatever quantity said */
	assert_string_equal(a->explanation,
			    "3 workstations: PC-01, asset 32, PC-03, 25.00 USD each a month; "
			    "December 2026, 17 of 31 days (the contract starts on 15 December)");
}

static void additions_bill_monthly_on_any_contract(void **state)
{
	(void)state;
	struct bill_input in = input();
	in.from = day(2026, 11, 1);
	struct bill_contract c = contract(3, BILL_TIME_MATERIALS, day(2026, 1, 1), 0);
	static const int64_t ids[] = { 31 };
	static const char *const names[] = { "SRV-01" };
	const struct bill_addition adds[] = {
		{ .description = "Server monitoring", .unit_price = 5000, .asset_kind = "server",
		  .asset_ids = ids, .asset_names = names, .nassets = 1, .taxable = true },
	};
	c.additions = adds;
	c.nadditions = 1;
	const int64_t billed[] = { day(2026, 11, 1) };
	c.months_billed = billed;
	c.nmonths_billed = 1;
	in.contracts = &c;
	in.ncontracts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	assert_int_equal(inv->nlines, 1);
	assert_int_equal(inv->lines[0].month, day(2026, 12, 1));
	assert_int_equal(inv->lines[0].amount, 5000);
	assert_string_equal(inv->lines[0].explanation,
			    "1 server: SRV-01, 50.00 USD each a month; "
			    "December 2026, the whole month");
}

/* ---- invoices ---- */

static void tax_with_and_without_labor_taxable(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	static const int64_t covered[] = { WT_REMOTE };
	c.covered_work_types = covered;
	c.ncovered = 1;
	struct bill_entry e[] = { entry(1, 5, WT_ONSITE, at(2026, 12, 8, 10, 0), 48) };
	struct bill_part p[] = { part(2, 5, "Toner", 1000, 5000) };
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 1;
	in.parts = p;
	in.nparts = 1;
	struct bill_plan pl = plan(&in);
	const struct bill_invoice *inv = only(&pl);
	/* fee 1,500.00 + onsite 1:00 at 150.00 (untaxed) + toner 50.00 */
	assert_int_equal(inv->subtotal, 170000);
	assert_false(inv->lines[1].taxable);
	assert_int_equal(inv->tax, 12788);	/* 155,000 x 8.25 % = 12787.5 */
	assert_int_equal(inv->total, 182788);
	in.firm.labor_taxable = true;
	pl = plan(&in);
	inv = only(&pl);
	assert_true(inv->lines[1].taxable);
	assert_int_equal(inv->tax, 14025);	/* 170,000 x 8.25 % */
	assert_int_equal(inv->total, 184025);
}

static void two_currencies_make_two_invoices(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = managed(day(2026, 1, 1), 0);
	c.currency = "EUR";
	static const struct bill_rate rates[] = { { WT_ONSITE, 11000 } };
	static const int64_t covered[] = { WT_REMOTE };
	c.rates = rates;
	c.nrates = 1;
	c.covered_work_types = covered;
	c.ncovered = 1;
	struct bill_entry e[] = {
		entry(1, 0, WT_REMOTE, at(2026, 12, 8, 10, 0), 60),	/* USD, list */
		entry(2, 5, WT_ONSITE, at(2026, 12, 9, 10, 0), 60),	/* EUR, contract rate */
	};
	struct bill_part p[] = { part(3, 0, "Cable", 1000, 500) };
	in.contracts = &c;
	in.ncontracts = 1;
	in.entries = e;
	in.nentries = 2;
	in.parts = p;
	in.nparts = 1;
	struct bill_plan pl = plan(&in);
	assert_int_equal(pl.ninvoices, 2);
	const struct bill_invoice *eur = &pl.invoices[0], *usd = &pl.invoices[1];
	assert_string_equal(eur->currency, "EUR");
	assert_int_equal(eur->company_id, 1);
	assert_int_equal(eur->nlines, 2);
	assert_string_equal(eur->lines[0].explanation,
			    "December 2026, the whole month: 1,500.00 EUR, billed in advance");
	assert_string_equal(eur->lines[1].explanation,
			    "1:00 worked, billed 1:00 (15-min increments) at 110.00 EUR/h "
			    "(contract rate); Onsite is not covered by the monthly fee");
	assert_int_equal(eur->subtotal, 161000);
	assert_string_equal(usd->currency, "USD");
	assert_int_equal(usd->company_id, 1);
	assert_int_equal(usd->nlines, 2);
	assert_int_equal(usd->lines[0].amount, 12000);
	assert_int_equal(usd->lines[1].amount, 500);
	assert_int_equal(usd->subtotal, 12500);
	assert_int_equal(usd->tax, 41);		/* the cable: 5.00 x 8.25 % = 0.4125 */
}

static void invoices_by_company_lines_in_reading_order(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract cs[2] = { block(), managed(day(2026, 1, 1), 0) };
	cs[0].company_id = 3;
	cs[1].company_id = 3;
	const struct bill_addition adds[] = {
		{ .description = "Backup service", .unit_price = 1000, .quantity = 1000 },
	};
	cs[1].additions = adds;
	cs[1].nadditions = 1;
	cs[1].ncovered = 1;
	static const int64_t covered[] = { WT_ONSITE };
	cs[1].covered_work_types = covered;
	struct bill_entry e[] = {
		entry(1, 8, WT_REMOTE, at(2026, 12, 9, 10, 0), 60),
		entry(2, 0, WT_REMOTE, at(2026, 12, 8, 10, 0), 60),
		entry(3, 5, WT_REMOTE, at(2026, 12, 1, 10, 0), 60),
		entry(4, 0, WT_REMOTE, at(2026, 12, 1, 10, 0), 60),	/* company 2 */
	};
	for (size_t i = 0; i < 3; i++)
		e[i].company_id = 3;
	e[3].company_id = 2;
	struct bill_part p[] = { part(5, 0, "Cable", 1000, 500) };
	p[0].company_id = 3;
	in.contracts = cs;
	in.ncontracts = 2;
	in.entries = e;
	in.nentries = 4;
	in.parts = p;
	in.nparts = 1;
	struct bill_plan pl = plan(&in);
	assert_int_equal(pl.ninvoices, 2);	/* company 1 has nothing to bill */
	assert_int_equal(pl.invoices[0].company_id, 2);
	assert_int_equal(pl.invoices[0].tax_rate_bp, 0);
	assert_int_equal(pl.invoices[0].nlines, 1);
	const struct bill_invoice *inv = &pl.invoices[1];
	assert_int_equal(inv->company_id, 3);
	assert_int_equal(inv->tax_rate_bp, 1000);
	static const struct {
		enum bill_rule rule;
		int64_t contract_id;
		int64_t source;
	} want[] = {
		{ RULE_MANAGED_FEE, 5, 5 },
		{ RULE_ADDITION, 5, 5 },
		{ RULE_BLOCK_PURCHASE, 8, 8 },
		{ RULE_TIME, 5, 3 },		/* Dec 1: not covered, onsite is */
		{ RULE_TIME, 0, 2 },		/* Dec 8 */
		{ RULE_BLOCK_DRAW, 8, 1 },	/* Dec 9 */
		{ RULE_PART, 0, 5 },
	};
	assert_int_equal(inv->nlines, N_ELEMS(want));
	for (size_t i = 0; i < N_ELEMS(want); i++) {
		assert_int_equal(inv->lines[i].rule, want[i].rule);
		assert_int_equal(inv->lines[i].contract_id, want[i].contract_id);
		assert_int_equal(inv->lines[i].sources[0].id, want[i].source);
	}
	/* 1,500.00 + 10.00 + 1,000.00 + 120.00 + 120.00 + 0 + 5.00 */
	assert_int_equal(inv->subtotal, 275500);
	/* taxed: the fee and the cable; the addition is not, nor labour and the block */
	assert_int_equal(inv->tax, 15050);	/* (1,500.00 + 5.00) x 10 % */
}

static void nothing_to_bill_makes_no_invoice(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_plan pl = plan(&in);
	assert_int_equal(pl.ninvoices, 0);
	struct bill_contract c = contract(3, BILL_TIME_MATERIALS, day(2026, 1, 1), 0);
	in.contracts = &c;
	in.ncontracts = 1;
	pl = plan(&in);
	assert_int_equal(pl.ninvoices, 0);
}

/* ---- refused ---- */

static void impossible_inputs_are_refused(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract c = contract(3, BILL_TIME_MATERIALS, day(2026, 1, 1), 0);
	struct bill_entry e[] = { entry(7, 0, WT_REMOTE, at(2026, 12, 3, 9, 0), 45) };
	in.entries = e;
	in.nentries = 1;

	e[0].minutes = -5;
	refused(&in, "time entry 7: minutes -5 is negative");
	e[0].minutes = 45;

	in.firm.increment_minutes = 0;
	refused(&in, "the firm's billing increment 0 is not at least 1 minute");
	in.firm.increment_minutes = 15;

	e[0].contract_id = 3;
	refused(&in, "time entry 7: contract 3 is not given");
	in.contracts = &c;
	in.ncontracts = 1;
	c.increment_minutes = 0;
	refused(&in, "contract 3: billing increment 0 is not at least 1 minute");
	c.increment_minutes = 15;
	c.company_id = 9;
	refused(&in, "contract 3: company 9 is not given");
	c.company_id = 1;

	e[0].company_id = 9;
	refused(&in, "time entry 7: company 9 is not given");
	e[0].company_id = 1;

	c.currency = "EUR";
	refused(&in, "time entry 7: work type 1 is priced in USD, contract 3 bills in EUR");
	c.currency = "USD";

	in.from = day(2027, 1, 1);
	refused(&in, "the period is not two dates");
	in.from = day(2026, 12, 1);

	c.ends_on = day(2025, 1, 1);
	refused(&in, "contract 3: ends_on is not a date on or after starts_on");
	c.ends_on = 0;

	c.monthly_fee = -1;
	refused(&in, "contract 3: a negative fee, block price or overage rate");
	c.monthly_fee = 0;
	c.overage_rate = -2;
	refused(&in, "contract 3: a negative fee, block price or overage rate");
	c.overage_rate = -1;

	const struct bill_addition unnamed[] = {
		{ .description = "Monitoring", .unit_price = 2500, .asset_kind = "workstation",
		  .nassets = 2 },
	};
	c.additions = unnamed;
	c.nadditions = 1;
	refused(&in, "contract 3: addition 1 counts assets it does not name");
	c.additions = NULL;
	c.nadditions = 0;

	struct bill_contract twice[2] = { c, c };
	in.contracts = twice;
	in.ncontracts = 2;
	refused(&in, "contract 3 is given twice");
	in.contracts = &c;
	in.ncontracts = 1;

	struct bill_entry same[2] = { e[0], e[0] };
	same[1].started_at += 3600;
	in.entries = same;
	in.nentries = 2;
	refused(&in, "time entry 7 is given twice");
	in.entries = e;
	in.nentries = 1;

	e[0].contract_id = 0;
	e[0].currency = NULL;
	refused(&in, "time entry 7: no currency");
	e[0].currency = "USD";

	struct bill_part p[] = { part(4, 3, "Cable", -1000, 500) };
	in.parts = p;
	in.nparts = 1;
	refused(&in, "part 4: negative quantity or price");
	p[0].quantity = 1000;
	p[0].contract_id = 99;
	refused(&in, "part 4: contract 99 is not given");
	p[0].contract_id = 3;
	p[0].currency = "GBP";
	refused(&in, "part 4: priced in GBP, contract 3 bills in USD");
	p[0].currency = "USD";
	struct bill_part parts2[2] = { p[0], p[0] };
	in.parts = parts2;
	in.nparts = 2;
	refused(&in, "part 4 is given twice");
	in.parts = p;
	in.nparts = 1;

	/* a ticket of one company under another's contract */
	e[0].contract_id = 3;
	e[0].company_id = 2;
	refused(&in, "time entry 7: contract 3 is company 1's, not company 2's");
	e[0].company_id = 1;

	/* and with all that put right, it plans */
	struct bill_plan pl = plan(&in);
	assert_int_equal(pl.ninvoices, 1);
}

static void overflow_is_an_error_not_a_wrong_number(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_entry e[] = {
		entry(7, 0, WT_REMOTE, at(2026, 12, 3, 9, 0), INT64_MAX),
		entry(8, 0, WT_REMOTE, at(2026, 12, 4, 9, 0), 60),
	};
	in.entries = e;
	in.nentries = 1;
	refused(&in, "time entry 7: 9223372036854775807 minutes is too large");

	/* rounds fine, but the amount does not fit */
	e[0].minutes = INT64_MAX / 60;
	refused(&in, "time entry 7: the amount is too large");

	/* each line fits, their sum does not */
	e[0].minutes = 60;
	e[0].list_rate = INT64_MAX;
	e[1].list_rate = 1;
	in.nentries = 2;
	refused(&in, "company 1: the USD invoice is too large");

	/* the subtotal fits, the tax on it does not */
	e[0].list_rate = INT64_MAX - 1;
	in.nentries = 1;
	in.firm.labor_taxable = true;
	static const struct bill_company big_tax[] = { { 1, "Acme", 20000 } };
	in.companies = big_tax;
	in.ncompanies = 1;
	refused(&in, "company 1: the USD invoice is too large");

	/* parts and additions */
	in.nentries = 0;
	struct bill_part p[] = { part(4, 0, "Cable", INT64_MAX, 5000) };
	in.parts = p;
	in.nparts = 1;
	refused(&in, "part 4: the amount is too large");
	in.nparts = 0;
	struct bill_contract c = managed(day(2026, 12, 15), 0);
	const struct bill_addition adds[] = {
		{ .description = "Huge", .unit_price = INT64_MAX, .quantity = INT64_MAX },
	};
	c.additions = adds;
	c.nadditions = 1;
	in.contracts = &c;
	in.ncontracts = 1;
	refused(&in, "contract 5: addition 1 is too large");
}

static void out_of_memory_anywhere_is_reported(void **state)
{
	(void)state;
	struct bill_input in = input();
	struct bill_contract cs[2] = { managed(day(2026, 12, 15), 0), block() };
	cs[0].parts_covered = true;
	static const int64_t ids[] = { 31, 32 };
	static const char *const names[] = { "PC-01", "PC-02" };
	const struct bill_addition adds[] = {
		{ .description = "Monitoring", .unit_price = 2500, .asset_kind = "workstation",
		  .asset_ids = ids, .asset_names = names, .nassets = 2 },
	};
	cs[0].additions = adds;
	cs[0].nadditions = 1;
	cs[1].block_minutes = 60;
	struct bill_entry e[] = {
		entry(1, 5, WT_REMOTE, at(2026, 12, 16, 9, 0), 45),
		entry(2, 8, WT_REMOTE, at(2026, 12, 16, 9, 0), 90),
		entry(3, 0, WT_REMOTE, at(2026, 12, 16, 9, 0), 90),
	};
	struct bill_part p[] = { part(4, 5, "Toner", 1000, 500), part(5, 0, "Cable", 1000, 500) };
	in.contracts = cs;
	in.ncontracts = 2;
	in.entries = e;
	in.nentries = 3;
	in.parts = p;
	in.nparts = 2;
	/* enough lines to outgrow the first array of them */
	struct bill_entry many[100];
	for (size_t i = 0; i < N_ELEMS(many); i++)
		many[i] = entry(100 + (int64_t)i, 0, WT_ONSITE, at(2026, 12, 20, 9, 0), 30);
	int ok = 0;
	size_t want = 7;	/* fee, addition, purchase, draw, overage, time, part */
	for (long n = 0; n < 100000 && !ok; n++) {
		struct arena a;
		struct bill_plan out = { 0 };
		char err[128] = "";
		arena_init(&a);
		alloc_fail_after(n);
		int rc = bill_plan(&in, &a, &out, err, sizeof(err));
		alloc_fail_after(-1);
		if (rc == 0) {
			ok = 1;
			assert_int_equal(out.ninvoices, 1);
			assert_int_equal(out.invoices[0].nlines, want);
		} else {
			assert_string_equal(err, "out of memory");
		}
		arena_release(&a);
		if (ok && in.entries != many) {
			/* again, with more lines than the plan first makes room for */
			in.entries = many;
			in.nentries = N_ELEMS(many);
			want = 3 + N_ELEMS(many) + 1;
			ok = 0;
			n = -1;
		}
	}
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rounding_minutes),
		cmocka_unit_test(time_amounts),
		cmocka_unit_test(proration),
		cmocka_unit_test(months),
		cmocka_unit_test(rule_names),
		cmocka_unit_test(no_contract_bills_list_rates_with_the_firms_defaults),
		cmocka_unit_test(tm_contract_minimum_larger_than_the_increment),
		cmocka_unit_test(increment_that_does_not_divide_an_hour),
		cmocka_unit_test(by_the_minute),
		cmocka_unit_test(rate_override_for_one_work_type),
		cmocka_unit_test(half_away_from_zero_at_exactly_half),
		cmocka_unit_test(parts_bill_at_quantity_times_price),
		cmocka_unit_test(managed_fee_for_a_whole_month),
		cmocka_unit_test(managed_contract_starting_mid_month),
		cmocka_unit_test(first_part_begins_before_the_period),
		cmocka_unit_test(ended_contracts_last_partial_month_of_30_days),
		cmocka_unit_test(february_of_28_and_of_29_days),
		cmocka_unit_test(contract_starting_and_ending_in_one_month),
		cmocka_unit_test(period_spanning_two_months_bills_two_fees),
		cmocka_unit_test(fee_already_billed_is_not_billed_again),
		cmocka_unit_test(covered_and_uncovered_work_types),
		cmocka_unit_test(covered_parts_and_all_work_types),
		cmocka_unit_test(parts_bill_under_a_managed_contract_unless_covered),
		cmocka_unit_test(covered_work_without_a_fee_this_run_gets_a_zero_line),
		cmocka_unit_test(covered_work_over_two_months_goes_on_the_first_fee),
		cmocka_unit_test(entry_outside_the_term_bills_as_without_a_contract),
		cmocka_unit_test(the_day_worked_is_the_firms_not_utcs),
		cmocka_unit_test(block_exactly_filled_then_overage),
		cmocka_unit_test(entry_that_half_fits_is_split),
		cmocka_unit_test(overage_without_an_overage_rate_is_at_the_entrys_rate),
		cmocka_unit_test(block_is_drawn_in_the_order_worked),
		cmocka_unit_test(zero_minutes_on_a_block_still_make_a_line),
		cmocka_unit_test(block_purchase_billed_once_by_the_first_run_reaching_its_start),
		cmocka_unit_test(additions_fixed_and_per_device),
		cmocka_unit_test(additions_prorated_with_the_fee),
		cmocka_unit_test(additions_bill_monthly_on_any_contract),
		cmocka_unit_test(tax_with_and_without_labor_taxable),
		cmocka_unit_test(two_currencies_make_two_invoices),
		cmocka_unit_test(invoices_by_company_lines_in_reading_order),
		cmocka_unit_test(nothing_to_bill_makes_no_invoice),
		cmocka_unit_test(impossible_inputs_are_refused),
		cmocka_unit_test(overflow_is_an_error_not_a_wrong_number),
		cmocka_unit_test(out_of_memory_anywhere_is_reported),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
