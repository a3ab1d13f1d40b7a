/*
 * plan.h - the billing rules of DESIGN.md ("Contracts and billing") as one
 * pure function: given the companies, their contracts, the uninvoiced work
 * (time entries, parts) and what earlier invoices already billed, plan the
 * invoices of one run, line by line, each with its rule, the sentence that
 * explains it to a client, and its sources.
 *
 * No database and no clock: the invoice run (run.c) loads the inputs in
 * its transaction and writes the plan as drafts; a dry run returns the
 * same plan. Money is integer minor units; quantities are thousandths;
 * days are days since 1970-01-01 (days_from_civil); times are Unix
 * seconds in UTC. Every rounding is half away from zero, once per line.
 *
 * Ownership: every string and array of the output is allocated from the
 * arena given to bill_plan; inputs are borrowed.
 */
#ifndef SERVIO_BILLING_PLAN_H
#define SERVIO_BILLING_PLAN_H

#include "core/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bill_kind { BILL_TIME_MATERIALS, BILL_MANAGED, BILL_BLOCK_HOURS };

enum bill_rule {
	RULE_TIME,		/* a billable time entry at its rate */
	RULE_BLOCK_DRAW,	/* time drawn from prepaid block hours: amount 0 */
	RULE_BLOCK_OVERAGE,	/* time beyond the block, at the overage rate */
	RULE_BLOCK_PURCHASE,	/* the block itself, billed once */
	RULE_MANAGED_FEE,	/* a month's fee (prorated when partly covered); covered work */
	RULE_ADDITION,		/* a contract's recurring addition for a month */
	RULE_PART,		/* a billable part */
	RULE_MANUAL,		/* typed by a person on a draft (never planned) */
	RULE__MAX
};

/* "time", "block_draw", …: the API's names, indexed by enum bill_rule. */
extern const char *const bill_rule_names[];

/* A work type's own rate, or a contract's override for it. */
struct bill_rate {
	int64_t work_type_id;
	int64_t hourly_rate;
};

/* A recurring addition: fixed quantity, or counted per active asset of a kind. */
struct bill_addition {
	int64_t product_id;		/* 0 when none */
	const char *description;
	int64_t unit_price;
	int64_t quantity;		/* thousandths; for asset_kind ones the count x 1000 */
	bool taxable;
	const char *asset_kind;		/* NULL: fixed quantity */
	const int64_t *asset_ids;	/* the assets counted (asset_kind ones) */
	const char *const *asset_names;
	size_t nassets;
};

struct bill_contract {
	int64_t id;
	int64_t company_id;
	const char *name;
	enum bill_kind kind;
	const char *currency;
	int64_t starts_on, ends_on;	/* days; ends_on 0: open-ended */
	int64_t monthly_fee;		/* managed */
	int64_t block_minutes;		/* block hours, with any rollover carried in */
	int64_t block_price;
	int64_t overage_rate;		/* per hour; -1: none (the entry's rate applies) */
	int increment_minutes;		/* billing_increment_minutes, >= 1 */
	int minimum_minutes;		/* >= 0 */
	const struct bill_rate *rates;	/* overrides by work type */
	size_t nrates;
	const int64_t *covered_work_types;	/* managed: covered by the fee; none = all */
	size_t ncovered;
	bool parts_covered;		/* managed: parts are not billed */
	const struct bill_addition *additions;
	size_t nadditions;
	/* what earlier invoices billed (the run never bills anything twice) */
	bool block_purchase_billed;
	int64_t block_drawn_minutes;	/* drawn by entries already invoiced */
	const int64_t *months_billed;	/* first days of the months whose fee (and additions) are billed */
	size_t nmonths_billed;
};

struct bill_entry {
	int64_t id;
	int64_t company_id;		/* the ticket's company */
	int64_t contract_id;		/* the ticket's contract, 0 for none */
	int64_t work_type_id;
	const char *work_type_name;
	int64_t list_rate;		/* the work type's hourly_rate */
	const char *currency;		/* the work type's currency */
	int64_t started_at;		/* Unix seconds */
	int64_t minutes;
	const char *ticket_number;	/* "T-000123", for the description */
	const char *user_name;
	/*
	 * The day (days) started_at falls on in the firm's time zone, which
	 * decides whether the entry is inside its contract's term; 0: the
	 * UTC day of started_at.
	 */
	int64_t worked_on;
};

struct bill_part {
	int64_t id;
	int64_t company_id;
	int64_t contract_id;
	const char *product_name;
	const char *currency;		/* the product's */
	int64_t quantity;		/* thousandths */
	int64_t unit_price;
	bool taxable;
	const char *ticket_number;
};

struct bill_company {
	int64_t id;
	const char *name;
	int64_t tax_rate_bp;		/* the company's, else the firm's */
};

/* The firm's defaults, for work under no contract. */
struct bill_firm {
	int increment_minutes;		/* settings billing_increment_minutes, default 15 */
	int minimum_minutes;		/* settings minimum_minutes, default 0 */
	bool labor_taxable;		/* settings labor_taxable */
};

struct bill_input {
	int64_t from, to;		/* the period: days, both included */
	int64_t today;			/* the run's date (days): counts assets "as of" */
	struct bill_firm firm;
	const struct bill_company *companies;
	size_t ncompanies;
	const struct bill_contract *contracts;
	size_t ncontracts;
	/* uninvoiced billable work in the period, any order (the plan sorts) */
	const struct bill_entry *entries;
	size_t nentries;
	const struct bill_part *parts;
	size_t nparts;
};

struct bill_source {
	const char *type;		/* "time_entry", "part", "contract", "asset" */
	int64_t id;
};

/*
 * A planned line. The amount is the rule's, rounded once, and is not
 * recomputed from quantity x unit_price: time lines bill billed_minutes x
 * unit_price (an hourly rate) / 60, their quantity being the billed hours
 * rounded to thousandths; fee and addition lines show the whole month in
 * quantity x unit_price and bill the prorated part in amount (the
 * explanation gives the days); block_draw lines and the line showing
 * work covered by a managed fee have unit_price 0 and amount 0.
 *
 * Taxable: managed fees always (a fee is a service charge, not labour);
 * time, block_draw, block_overage and block_purchase lines (prepaid
 * labour) when bill_firm.labor_taxable; additions and parts by their own
 * flag.
 *
 * What the run records so that the next run bills nothing twice: the
 * sources of type time_entry and part are invoiced (covered work is a
 * source of its fee line or of a zero managed_fee line); the month of a
 * managed_fee or addition line goes into months_billed; a block_purchase
 * line sets block_purchase_billed; block_drawn_minutes is the sum of
 * billed_minutes of the contract's block_draw lines.
 */
struct bill_line {
	const char *description;
	int64_t quantity;		/* thousandths: hours for time, months for fees, count */
	int64_t unit_price;
	int64_t amount;
	bool taxable;
	int64_t contract_id;		/* 0: none */
	enum bill_rule rule;
	int64_t billed_minutes;		/* time lines; 0 otherwise */
	const char *explanation;	/* a sentence a client understands */
	struct bill_source *sources;
	size_t nsources;
	int64_t month;			/* fee and addition lines: the month's first day; else 0 */
};

struct bill_invoice {
	int64_t company_id;
	const char *currency;
	int64_t tax_rate_bp;
	struct bill_line *lines;
	size_t nlines;
	int64_t subtotal, tax, total;
};

struct bill_plan {
	struct bill_invoice *invoices;	/* by company id, then currency */
	size_t ninvoices;
};

/*
 * Plans the run: one invoice per company and currency that has anything
 * to bill. Returns 0, or -1 with a message in err (an amount too large,
 * a contract or company referred to but not given, out of memory).
 *
 * Where DESIGN.md leaves a choice, the plan makes it so:
 * - a contract's months are those whose part (from starts_on in the
 *   first) begins inside the period; each bills the managed fee (when
 *   monthly_fee > 0) and the additions, which bill on a contract of any
 *   kind; an addition counted by asset_kind takes its quantity from
 *   nassets, and one whose quantity is 0 makes no line;
 * - work a managed fee covers is shown on the contract's first fee line
 *   of this run (however many months it bills), else on one zero
 *   managed_fee line of its own (month 0);
 * - the block is bought by the run whose period holds starts_on, not by
 *   a later one;
 * - under a contract every line is in the contract's currency, so a
 *   price from a work type or product in another currency (a time entry
 *   the contract has no rate for, a part) is refused, not converted;
 * - refused as impossible: a negative minute count, rate, price,
 *   quantity or fee; an increment below 1; a date outside the years 1 to
 *   9999; work whose contract is another company's; an id given twice.
 *
 * Lines are in reading order: fees and additions (by contract, month),
 * block purchases, time in the order worked (started_at, then id; a
 * split entry's draw before its overage), parts by id.
 */
int bill_plan(const struct bill_input *in, struct arena *arena, struct bill_plan *out,
	      char *err, size_t errlen);

/*
 * The building blocks, exposed for the balance endpoint and the tests:
 *
 * bill_round_minutes: max(minimum, ceil(minutes / increment) x increment).
 * bill_time_amount: round(billed x hourly_rate / 60); -1 on overflow.
 * bill_prorate: round(fee x covered_days / days_in_month); -1 on overflow.
 * bill_days_in_month: 28..31 for the month holding day.
 * bill_month_start: the first day of the month holding day.
 *
 * Impossible inputs are refused like an overflow: bill_round_minutes
 * returns -1 for negative minutes, an increment below 1, a negative
 * minimum or a result beyond int64_t; bill_time_amount and bill_prorate
 * return -1 (writing nothing) for a negative input, and bill_prorate for
 * days_in_month < 1 or covered_days beyond it. The day functions take
 * days of the years 1 to 9999 (what bill_plan accepts); outside them
 * bill_days_in_month returns 0 and bill_month_start returns day.
 */
int64_t bill_round_minutes(int64_t minutes, int increment, int minimum);
int bill_time_amount(int64_t billed_minutes, int64_t hourly_rate, int64_t *amount);
int bill_prorate(int64_t fee, int64_t covered_days, int64_t days_in_month, int64_t *amount);
int bill_days_in_month(int64_t day);
int64_t bill_month_start(int64_t day);

#endif
