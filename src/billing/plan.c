/*
 * plan.c - the billing rules of DESIGN.md ("Contracts and billing") as one
 * pure function: which rule bills each time entry and part, the monthly
 * fees, additions and block purchases a run is due, how block hours are
 * drawn, what a managed fee covers, and the invoices per company and
 * currency with their totals. Every amount is computed in integers and
 * rounded once; every line carries the sentence that explains it.
 *
 * The plan works in passes over plain arrays: contracts first (fees,
 * additions, block purchases), then the time entries in the order worked
 * (so a block is drawn down in that order), then the parts, then the work
 * a managed fee covered is hung on the fee line (or a zero line of its
 * own); finally the lines are sorted into invoices and totalled. Strings
 * are composed in a capped struct buf and copied into the arena.
 */
#include "plan.h"

#include "core/buf.h"
#include "core/money.h"
#include "core/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const char *const bill_rule_names[] = {
	[RULE_TIME] = "time",
	[RULE_BLOCK_DRAW] = "block_draw",
	[RULE_BLOCK_OVERAGE] = "block_overage",
	[RULE_BLOCK_PURCHASE] = "block_purchase",
	[RULE_MANAGED_FEE] = "managed_fee",
	[RULE_ADDITION] = "addition",
	[RULE_PART] = "part",
	[RULE_MANUAL] = "manual",
};
_Static_assert(N_ELEMS(bill_rule_names) == RULE__MAX, "one name per rule");

/* ---- days and months ---- */

/* Dates are "YYYY-MM-DD": the years 1 to 9999. */
static bool day_ok(int64_t day)
{
	return day >= days_from_civil(1, 1, 1) && day <= days_from_civil(9999, 12, 31);
}

int bill_days_in_month(int64_t day)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t y;
	unsigned m, d;
	if (!day_ok(day))
		return 0;
	civil_from_days(day, &y, &m, &d);
	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return len[m - 1];
}

int64_t bill_month_start(int64_t day)
{
	int64_t y;
	unsigned m, d;
	if (!day_ok(day))
		return day;
	civil_from_days(day, &y, &m, &d);
	return days_from_civil(y, m, 1);
}

/* Floor division of a timestamp into its UTC day. */
static int64_t utc_day(int64_t t)
{
	int64_t q = t / 86400;
	return t % 86400 < 0 ? q - 1 : q;
}

/* ---- the arithmetic ---- */

static int fits(__int128 v, int64_t *out)
{
	if (v > INT64_MAX || v < INT64_MIN)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int64_t bill_round_minutes(int64_t minutes, int increment, int minimum)
{
	if (minutes < 0 || increment < 1 || minimum < 0)
		return -1;
	int64_t steps = minutes / increment + (minutes % increment != 0);
	if (steps > INT64_MAX / increment)
		return -1;
	int64_t billed = steps * increment;
	return billed < minimum ? minimum : billed;
}

int bill_time_amount(int64_t billed_minutes, int64_t hourly_rate, int64_t *amount)
{
	if (billed_minutes < 0 || hourly_rate < 0)
		return -1;
	return fits(money_div_round((__int128)billed_minutes * hourly_rate, 60), amount);
}

int bill_prorate(int64_t fee, int64_t covered_days, int64_t days_in_month, int64_t *amount)
{
	if (fee < 0 || days_in_month < 1 || covered_days < 0 || covered_days > days_in_month)
		return -1;
	return fits(money_div_round((__int128)fee * covered_days, days_in_month), amount);
}

/* Billed minutes as hours in thousandths, for a time line's quantity. */
static int hours_thousandths(int64_t minutes, int64_t *out)
{
	return fits(money_div_round((__int128)minutes * 1000, 60), out);
}

/*
 * An addition for (part of) a month: round(quantity/1000 x unit_price x
 * covered / days), rounded once. quantity x unit_price fits 127 bits;
 * the factor of at most 31 is checked before it is applied.
 */
static int addition_amount(int64_t quantity, int64_t unit_price, int64_t covered, int64_t dim,
			   int64_t *out)
{
	const __int128 max = (__int128)(~(unsigned __int128)0 >> 1);
	__int128 qp = (__int128)quantity * unit_price;
	if (qp > max / covered)
		return -1;
	return fits(money_div_round(qp * covered, 1000 * dim), out);
}

/* ---- text for people ---- */

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December",
};

/* "1:05", "14:30", "0:45" */
static void add_hmm(struct buf *b, int64_t minutes)
{
	buf_addf(b, "%lld:%02lld", (long long)(minutes / 60), (long long)(minutes % 60));
}

/* Minutes worked: "45 min" under an hour, else "2:30". */
static void add_worked(struct buf *b, int64_t minutes)
{
	if (minutes < 60)
		buf_addf(b, "%lld min", (long long)minutes);
	else
		add_hmm(b, minutes);
}

static void add_money(struct buf *b, int64_t minor, const char *currency)
{
	char text[MONEY_TEXT_LEN];
	money_format(minor, currency, text);
	buf_addstr(b, text);
}

/* Thousandths as people write them: 2000 "2", 1500 "1.5", 125 "0.125". */
static void add_quantity(struct buf *b, int64_t q)
{
	uint64_t mag = q < 0 ? (uint64_t)0 - (uint64_t)q : (uint64_t)q;
	buf_addf(b, "%s%llu", q < 0 ? "-" : "", (unsigned long long)(mag / 1000));
	unsigned frac = (unsigned)(mag % 1000);
	if (frac == 0)
		return;
	char digits[8];
	snprintf(digits, sizeof(digits), "%03u", frac);
	for (int i = 2; i > 0 && digits[i] == '0'; i--)
		digits[i] = '\0';
	buf_addf(b, ".%s", digits);
}

/* "December 2026" */
static void add_month(struct buf *b, int64_t day)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	buf_addf(b, "%s %lld", month_names[m - 1], (long long)y);
}

/* "15 December 2026", or "15 December" without the year */
static void add_date(struct buf *b, int64_t day, bool year)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	buf_addf(b, "%u %s", d, month_names[m - 1]);
	if (year)
		buf_addf(b, " %lld", (long long)y);
}

/* "(15-min increments, 1:00 minimum)" */
static void add_increments(struct buf *b, int increment, int minimum)
{
	if (increment == 1)
		buf_addstr(b, "(by the minute");
	else
		buf_addf(b, "(%d-min increments", increment);
	if (minimum > 0) {
		buf_addstr(b, ", ");
		add_hmm(b, minimum);
		buf_addstr(b, " minimum");
	}
	buf_addch(b, ')');
}

static const char *contract_name(const struct bill_contract *c, char out[32])
{
	if (c->name && c->name[0])
		return c->name;
	snprintf(out, 32, "contract %lld", (long long)c->id);
	return out;
}

/* ---- the plan being built ---- */

/* A contract and what this run did with it. */
struct cstate {
	const struct bill_contract *c;
	size_t fee_line;		/* index of its first fee line in this run, or SIZE_MAX */
	int64_t drawn;			/* block minutes drawn, earlier invoices included */
	size_t covered_entries, covered_parts;
	int64_t covered_minutes;
};

/* The groups of an invoice, in reading order. */
enum { G_MONTHLY, G_PURCHASE, G_TIME, G_PART };

/* A line and where it goes: its invoice, then its place on it. */
struct pline {
	int64_t company_id;
	const char *currency;
	int group;			/* G_MONTHLY, G_PURCHASE, G_TIME, G_PART */
	int64_t k1, k2, k3;		/* the order within the group */
	size_t seq;			/* the order of planning: the sort is stable */
	struct bill_line line;
};

struct plan {
	const struct bill_input *in;
	struct arena *arena;
	char *err;
	size_t errlen;
	const struct bill_company **companies;	/* sorted by id */
	struct cstate *cs;			/* sorted by contract id */
	const struct bill_entry **entries;	/* in the order worked */
	const struct bill_part **parts;		/* by id */
	struct cstate **entry_cover;		/* whose fee covers entries[i], or NULL */
	struct cstate **part_cover;
	struct pline *lines;
	size_t nlines, cap;
};

static int fail(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct plan *p, const char *fmt, ...)
{
	if (p->errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int oom(struct plan *p)
{
	return fail(p, "out of memory");
}

/* n elements of size bytes from the arena, zeroed; NULL (error written) on failure. */
static void *alloc_array(struct plan *p, size_t n, size_t size)
{
	size_t bytes;
	void *v = NULL;
	if (!__builtin_mul_overflow(n, size, &bytes))
		v = arena_zalloc(p->arena, bytes);
	if (!v)
		oom(p);
	return v;
}

/* The buffer's text, copied into the arena; releases the buffer. NULL on failure. */
static const char *text_take(struct plan *p, struct buf *b)
{
	char *s = b->failed ? NULL : arena_strdup(p->arena, buf_str(b));
	buf_release(b);
	if (!s)
		oom(p);
	return s;
}

/* A new line, zeroed but for its invoice and order; NULL (error written) when out of memory. */
static struct pline *line_new(struct plan *p, int64_t company_id, const char *currency, int group,
			      int64_t k1, int64_t k2, int64_t k3)
{
	if (p->nlines == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct pline *grown = alloc_array(p, cap, sizeof(*grown));
		if (!grown)
			return NULL;
		if (p->nlines)
			memcpy(grown, p->lines, p->nlines * sizeof(*grown));
		p->lines = grown;
		p->cap = cap;
	}
	struct pline *l = &p->lines[p->nlines];
	memset(l, 0, sizeof(*l));
	l->company_id = company_id;
	l->currency = currency;
	l->group = group;
	l->k1 = k1;
	l->k2 = k2;
	l->k3 = k3;
	l->seq = p->nlines++;
	return l;
}

/* Gives a line one source. Returns 0, or -1 when out of memory. */
static int source_one(struct plan *p, struct bill_line *l, const char *type, int64_t id)
{
	l->sources = alloc_array(p, 1, sizeof(*l->sources));
	if (!l->sources)
		return -1;
	l->sources[0].type = type;
	l->sources[0].id = id;
	l->nsources = 1;
	return 0;
}

/* ---- lookups ---- */

static int cmp_company(const void *a, const void *b)
{
	int64_t x = (*(const struct bill_company *const *)a)->id;
	int64_t y = (*(const struct bill_company *const *)b)->id;
	return (x > y) - (x < y);
}

static int cmp_cstate(const void *a, const void *b)
{
	int64_t x = ((const struct cstate *)a)->c->id, y = ((const struct cstate *)b)->c->id;
	return (x > y) - (x < y);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct bill_entry *x = *(const struct bill_entry *const *)a;
	const struct bill_entry *y = *(const struct bill_entry *const *)b;
	if (x->started_at != y->started_at)
		return (x->started_at > y->started_at) - (x->started_at < y->started_at);
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Fails when an id is given twice: the same work would be billed twice. Sorts ids. */
static int unique_ids(struct plan *p, const char *what, int64_t *ids, size_t n)
{
	if (n < 2)
		return 0;
	qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			return fail(p, "%s %lld is given twice", what, (long long)ids[i]);
	return 0;
}

static int cmp_part(const void *a, const void *b)
{
	int64_t x = (*(const struct bill_part *const *)a)->id;
	int64_t y = (*(const struct bill_part *const *)b)->id;
	return (x > y) - (x < y);
}

static const struct bill_company *company_find(const struct plan *p, int64_t id)
{
	size_t lo = 0, hi = p->in->ncompanies;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t v = p->companies[mid]->id;
		if (v == id)
			return p->companies[mid];
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct cstate *contract_find(const struct plan *p, int64_t id)
{
	size_t lo = 0, hi = p->in->ncontracts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t v = p->cs[mid].c->id;
		if (v == id)
			return &p->cs[mid];
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool in_term(const struct bill_contract *c, int64_t day)
{
	return day >= c->starts_on && (c->ends_on == 0 || day <= c->ends_on);
}

static bool covers_work_type(const struct bill_contract *c, int64_t work_type_id)
{
	if (c->ncovered == 0)
		return true;
	for (size_t i = 0; i < c->ncovered; i++)
		if (c->covered_work_types[i] == work_type_id)
			return true;
	return false;
}

static bool month_billed(const struct bill_contract *c, int64_t month)
{
	for (size_t i = 0; i < c->nmonths_billed; i++)
		if (c->months_billed[i] == month)
			return true;
	return false;
}

/* ---- checking the inputs ---- */

static int check_contract(struct plan *p, const struct bill_contract *c)
{
	long long id = (long long)c->id;
	if (c->id == 0)
		return fail(p, "contract 0: a contract needs an id");
	if (!company_find(p, c->company_id))
		return fail(p, "contract %lld: company %lld is not given", id,
			    (long long)c->company_id);
	if ((unsigned)c->kind > BILL_BLOCK_HOURS)
		return fail(p, "contract %lld: unknown kind %d", id, (int)c->kind);
	if (!c->currency || !c->currency[0])
		return fail(p, "contract %lld: no currency", id);
	if (!day_ok(c->starts_on))
		return fail(p, "contract %lld: starts_on is not a date", id);
	if (c->ends_on != 0 && (!day_ok(c->ends_on) || c->ends_on < c->starts_on))
		return fail(p, "contract %lld: ends_on is not a date on or after starts_on", id);
	if (c->increment_minutes < 1)
		return fail(p, "contract %lld: billing increment %d is not at least 1 minute", id,
			    c->increment_minutes);
	if (c->minimum_minutes < 0)
		return fail(p, "contract %lld: minimum %d minutes is negative", id,
			    c->minimum_minutes);
	if (c->monthly_fee < 0 || c->block_price < 0 || c->overage_rate < -1)
		return fail(p, "contract %lld: a negative fee, block price or overage rate", id);
	if (c->block_minutes < 0 || c->block_drawn_minutes < 0)
		return fail(p, "contract %lld: negative block minutes", id);
	for (size_t i = 0; i < c->nrates; i++)
		if (c->rates[i].hourly_rate < 0)
			return fail(p, "contract %lld: the rate for work type %lld is negative", id,
				    (long long)c->rates[i].work_type_id);
	for (size_t i = 0; i < c->nadditions; i++) {
		const struct bill_addition *a = &c->additions[i];
		if (a->unit_price < 0 || (!a->asset_kind && a->quantity < 0))
			return fail(p, "contract %lld: addition %zu has a negative price or quantity",
				    id, i + 1);
		if (a->asset_kind && a->nassets > 0 && !a->asset_ids)
			return fail(p, "contract %lld: addition %zu counts assets it does not name",
				    id, i + 1);
		if (a->nassets > (size_t)(INT64_MAX / 1000))
			return fail(p, "contract %lld: addition %zu counts too many assets", id,
				    i + 1);
	}
	return 0;
}

static int check_input(struct plan *p)
{
	const struct bill_input *in = p->in;
	if (!day_ok(in->from) || !day_ok(in->to) || in->from > in->to)
		return fail(p, "the period is not two dates, from on or before to");
	if (in->firm.increment_minutes < 1)
		return fail(p, "the firm's billing increment %d is not at least 1 minute",
			    in->firm.increment_minutes);
	if (in->firm.minimum_minutes < 0)
		return fail(p, "the firm's minimum %d minutes is negative",
			    in->firm.minimum_minutes);
	for (size_t i = 0; i < in->ncompanies; i++)
		if (in->companies[i].tax_rate_bp < 0)
			return fail(p, "company %lld: negative tax rate",
				    (long long)in->companies[i].id);
	for (size_t i = 0; i < in->ncontracts; i++)
		if (check_contract(p, &in->contracts[i]) < 0)
			return -1;
	for (size_t i = 1; i < in->ncompanies; i++)
		if (p->companies[i]->id == p->companies[i - 1]->id)
			return fail(p, "company %lld is given twice",
				    (long long)p->companies[i]->id);
	for (size_t i = 1; i < in->ncontracts; i++)
		if (p->cs[i].c->id == p->cs[i - 1].c->id)
			return fail(p, "contract %lld is given twice", (long long)p->cs[i].c->id);
	int64_t *ids = alloc_array(p, (in->nentries > in->nparts ? in->nentries : in->nparts) + 1,
				   sizeof(*ids));
	if (!ids)
		return -1;
	for (size_t i = 0; i < in->nentries; i++)
		ids[i] = in->entries[i].id;
	if (unique_ids(p, "time entry", ids, in->nentries) < 0)
		return -1;
	for (size_t i = 0; i < in->nparts; i++)
		ids[i] = in->parts[i].id;
	return unique_ids(p, "part", ids, in->nparts);
}

/*
 * The contract a piece of work belongs to, checked: NULL with *cs NULL for
 * none. Returns 0, or -1 (error written) when it is not given or is
 * another company's.
 */
static int work_contract(struct plan *p, const char *what, int64_t id, int64_t company_id,
			 int64_t contract_id, struct cstate **cs)
{
	*cs = NULL;
	if (!company_find(p, company_id))
		return fail(p, "%s %lld: company %lld is not given", what, (long long)id,
			    (long long)company_id);
	if (contract_id == 0)
		return 0;
	struct cstate *found = contract_find(p, contract_id);
	if (!found)
		return fail(p, "%s %lld: contract %lld is not given", what, (long long)id,
			    (long long)contract_id);
	if (found->c->company_id != company_id)
		return fail(p, "%s %lld: contract %lld is company %lld's, not company %lld's",
			    what, (long long)id, (long long)contract_id,
			    (long long)found->c->company_id, (long long)company_id);
	*cs = found;
	return 0;
}

/* ---- fees, additions and block purchases ---- */

/*
 * "December 2026, the whole month", or
 * "December 2026, 17 of 31 days (the contract starts on 15 December)"
 */
static void add_month_part(struct buf *b, int64_t month, int64_t first, int64_t last)
{
	int dim = bill_days_in_month(month);
	add_month(b, month);
	if (first == month && last == month + dim - 1) {
		buf_addstr(b, ", the whole month");
		return;
	}
	buf_addf(b, ", %lld of %d days (the contract ", (long long)(last - first + 1), dim);
	if (first != month && last != month + dim - 1) {
		buf_addf(b, "runs from %lld to ", (long long)(first - month + 1));
		add_date(b, last, false);
	} else if (first != month) {
		buf_addstr(b, "starts on ");
		add_date(b, first, false);
	} else {
		buf_addstr(b, "ends on ");
		add_date(b, last, false);
	}
	buf_addch(b, ')');
}

static int plan_fee(struct plan *p, struct cstate *cs, int64_t month, int64_t first, int64_t last)
{
	const struct bill_contract *c = cs->c;
	int dim = bill_days_in_month(month);
	int64_t days = last - first + 1, amount;
	char name[32];
	if (bill_prorate(c->monthly_fee, days, dim, &amount) < 0)
		return fail(p, "contract %lld: the fee is too large", (long long)c->id);
	struct pline *pl = line_new(p, c->company_id, c->currency, G_MONTHLY, c->id, month, 0);
	if (!pl)
		return -1;
	struct bill_line *l = &pl->line;
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	buf_addf(&b, "Managed services: %s, ", contract_name(c, name));
	add_month(&b, month);
	l->description = text_take(p, &b);
	buf_init(&b, BUF_DEFAULT_MAX);
	add_month_part(&b, month, first, last);
	buf_addstr(&b, ": ");
	add_money(&b, c->monthly_fee, c->currency);
	if (days != dim)
		buf_addf(&b, " x %lld/%d", (long long)days, dim);
	buf_addstr(&b, ", billed in advance");
	l->explanation = text_take(p, &b);
	if (!l->description || !l->explanation)
		return -1;
	l->quantity = 1000;
	l->unit_price = c->monthly_fee;
	l->amount = amount;
	l->taxable = true;
	l->contract_id = c->id;
	l->rule = RULE_MANAGED_FEE;
	l->month = month;
	if (cs->fee_line == SIZE_MAX)
		cs->fee_line = p->nlines - 1;
	return source_one(p, l, "contract", c->id);
}

/* "workstations": the asset kind, plural for a count other than one. */
static void add_kind(struct buf *b, const char *kind, size_t n)
{
	size_t len = strlen(kind);
	buf_addstr(b, kind);
	if (n == 1)
		return;
	if (len > 0 && (kind[len - 1] == 's' || kind[len - 1] == 'x' ||
			(len > 1 && kind[len - 1] == 'h' &&
			 (kind[len - 2] == 'c' || kind[len - 2] == 's'))))
		buf_addstr(b, "es");
	else
		buf_addch(b, 's');
}

static int plan_addition(struct plan *p, const struct bill_contract *c, size_t idx,
			 int64_t month, int64_t first, int64_t last)
{
	const struct bill_addition *a = &c->additions[idx];
	int64_t quantity = a->asset_kind ? (int64_t)a->nassets * 1000 : a->quantity, amount;
	int dim = bill_days_in_month(month);
	if (quantity == 0)
		return 0;	/* no device of the kind: nothing to bill */
	if (addition_amount(quantity, a->unit_price, last - first + 1, dim, &amount) < 0)
		return fail(p, "contract %lld: addition %zu is too large", (long long)c->id,
			    idx + 1);
	struct pline *pl = line_new(p, c->company_id, c->currency, G_MONTHLY, c->id, month,
				    (int64_t)idx + 1);
	if (!pl)
		return -1;
	struct bill_line *l = &pl->line;
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	buf_addf(&b, "%s, ", a->description && a->description[0] ? a->description : "Addition");
	add_month(&b, month);
	l->description = text_take(p, &b);
	buf_init(&b, BUF_DEFAULT_MAX);
	if (a->asset_kind) {
		buf_addf(&b, "%zu ", a->nassets);
		add_kind(&b, a->asset_kind, a->nassets);
		for (size_t i = 0; i < a->nassets; i++) {
			buf_addstr(&b, i == 0 ? ": " : ", ");
			if (a->asset_names && a->asset_names[i])
				buf_addstr(&b, a->asset_names[i]);
			else
				buf_addf(&b, "asset %lld", (long long)a->asset_ids[i]);
		}
		buf_addstr(&b, ", ");
		add_money(&b, a->unit_price, c->currency);
		buf_addstr(&b, " each a month; ");
	} else {
		add_quantity(&b, quantity);
		buf_addstr(&b, " x ");
		add_money(&b, a->unit_price, c->currency);
		buf_addstr(&b, " a month; ");
	}
	add_month_part(&b, month, first, last);
	l->explanation = text_take(p, &b);
	if (!l->description || !l->explanation)
		return -1;
	l->quantity = quantity;
	l->unit_price = a->unit_price;
	l->amount = amount;
	l->taxable = a->taxable;
	l->contract_id = c->id;
	l->rule = RULE_ADDITION;
	l->month = month;
	size_t n = a->asset_kind ? 1 + a->nassets : 1;
	l->sources = alloc_array(p, n, sizeof(*l->sources));
	if (!l->sources)
		return -1;
	l->sources[0].type = "contract";
	l->sources[0].id = c->id;
	for (size_t i = 1; i < n; i++) {
		l->sources[i].type = "asset";
		l->sources[i].id = a->asset_ids[i - 1];
	}
	l->nsources = n;
	return 0;
}

/*
 * The months whose fee and additions this run bills: each calendar month
 * of the contract whose part (from starts_on in its first month) begins
 * inside the period and is not billed yet.
 */
static int plan_months(struct plan *p, struct cstate *cs)
{
	const struct bill_contract *c = cs->c;
	int64_t lo = c->starts_on > p->in->from ? c->starts_on : p->in->from;
	int64_t hi = c->ends_on && c->ends_on < p->in->to ? c->ends_on : p->in->to;
	if (lo > hi)
		return 0;
	for (int64_t m = bill_month_start(lo); m <= hi; m += bill_days_in_month(m)) {
		int64_t first = m > c->starts_on ? m : c->starts_on;
		int64_t last = m + bill_days_in_month(m) - 1;
		if (c->ends_on && c->ends_on < last)
			last = c->ends_on;
		if (first < p->in->from || first > p->in->to || month_billed(c, m))
			continue;
		if (c->kind == BILL_MANAGED && c->monthly_fee > 0 &&
		    plan_fee(p, cs, m, first, last) < 0)
			return -1;
		for (size_t i = 0; i < c->nadditions; i++)
			if (plan_addition(p, c, i, m, first, last) < 0)
				return -1;
	}
	return 0;
}

static int plan_block_purchase(struct plan *p, const struct bill_contract *c)
{
	char name[32];
	/*
	 * The first run whose period reaches starts_on bills it; a run that
	 * comes later (the contract was entered after its start's run) still
	 * does, once: a block nobody bills is money lost.
	 */
	if (c->kind != BILL_BLOCK_HOURS || c->block_purchase_billed || c->starts_on > p->in->to)
		return 0;
	struct pline *pl = line_new(p, c->company_id, c->currency, G_PURCHASE, c->id, 0, 0);
	if (!pl)
		return -1;
	struct bill_line *l = &pl->line;
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	buf_addf(&b, "Block hours: %s, ", contract_name(c, name));
	add_hmm(&b, c->block_minutes);
	buf_addstr(&b, " prepaid");
	l->description = text_take(p, &b);
	buf_init(&b, BUF_DEFAULT_MAX);
	add_hmm(&b, c->block_minutes);
	buf_addstr(&b, " hours prepaid from ");
	add_date(&b, c->starts_on, true);
	if (c->ends_on) {
		buf_addstr(&b, " to ");
		add_date(&b, c->ends_on, true);
	}
	buf_addstr(&b, ", drawn down by the work in the order it is done");
	l->explanation = text_take(p, &b);
	if (!l->description || !l->explanation)
		return -1;
	l->quantity = 1000;
	l->unit_price = c->block_price;
	l->amount = c->block_price;
	l->taxable = p->in->firm.labor_taxable;
	l->contract_id = c->id;
	l->rule = RULE_BLOCK_PURCHASE;
	return source_one(p, l, "contract", c->id);
}

/* ---- time ---- */

/* How one entry is billed: its terms and its rate. */
struct terms {
	const struct bill_contract *c;	/* NULL: time & materials at list rates */
	const char *currency;
	int increment, minimum;
	int64_t billed;
};

/*
 * The entry's hourly rate under t: the contract's override, else the
 * work type's list rate, which must then be in the contract's currency.
 */
static int entry_rate(struct plan *p, const struct bill_entry *e, const struct terms *t,
		      int64_t *rate, bool *override)
{
	*override = false;
	if (t->c) {
		for (size_t i = 0; i < t->c->nrates; i++)
			if (t->c->rates[i].work_type_id == e->work_type_id) {
				*rate = t->c->rates[i].hourly_rate;
				*override = true;
				return 0;
			}
		if (e->currency && strcmp(e->currency, t->currency) != 0)
			return fail(p,
				    "time entry %lld: work type %lld is priced in %s, contract %lld "
				    "bills in %s and has no rate for it",
				    (long long)e->id, (long long)e->work_type_id, e->currency,
				    (long long)t->c->id, t->currency);
	}
	*rate = e->list_rate;
	return 0;
}

/* "T-000123 Remote support: Jane Doe", with what is known of the three. */
static const char *entry_description(struct plan *p, const struct bill_entry *e,
				     const char *suffix)
{
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	if (e->ticket_number && e->ticket_number[0])
		buf_addf(&b, "%s ", e->ticket_number);
	buf_addstr(&b, e->work_type_name && e->work_type_name[0] ? e->work_type_name : "Work");
	if (e->user_name && e->user_name[0])
		buf_addf(&b, ": %s", e->user_name);
	if (suffix)
		buf_addstr(&b, suffix);
	return text_take(p, &b);
}

/* "45 min worked, billed 1:00 (15-min increments, 1:00 minimum)" */
static void add_billed(struct buf *b, const struct bill_entry *e, const struct terms *t)
{
	add_worked(b, e->minutes);
	buf_addstr(b, " worked, billed ");
	add_hmm(b, t->billed);
	buf_addch(b, ' ');
	add_increments(b, t->increment, t->minimum);
}

/* " at 120.00 USD/h (contract rate)" */
static void add_rate(struct buf *b, int64_t rate, const char *currency, const char *whose)
{
	buf_addstr(b, " at ");
	add_money(b, rate, currency);
	buf_addstr(b, "/h");
	if (whose)
		buf_addf(b, " (%s)", whose);
}

/*
 * Adds a time line of minutes at rate for e. Returns 0, or -1 (error
 * written). explanation is the buffer's text, released here.
 */
static int time_line(struct plan *p, const struct bill_entry *e, const struct terms *t,
		     enum bill_rule rule, int64_t minutes, int64_t rate, struct buf *explanation)
{
	int64_t amount = 0, quantity;
	if ((rule != RULE_BLOCK_DRAW && bill_time_amount(minutes, rate, &amount) < 0) ||
	    hours_thousandths(minutes, &quantity) < 0) {
		buf_release(explanation);
		return fail(p, "time entry %lld: the amount is too large", (long long)e->id);
	}
	struct pline *pl = line_new(p, e->company_id, t->currency, G_TIME, e->started_at, e->id,
				    rule == RULE_BLOCK_OVERAGE);
	if (!pl) {
		buf_release(explanation);
		return -1;
	}
	struct bill_line *l = &pl->line;
	l->explanation = text_take(p, explanation);
	l->description = entry_description(p, e,
					   rule == RULE_BLOCK_DRAW ? " (block hours)"
					   : rule == RULE_BLOCK_OVERAGE ? " (beyond the block)"
									: NULL);
	if (!l->description || !l->explanation)
		return -1;
	l->quantity = quantity;
	l->unit_price = rule == RULE_BLOCK_DRAW ? 0 : rate;
	l->amount = amount;
	l->taxable = p->in->firm.labor_taxable;
	l->contract_id = t->c ? t->c->id : 0;
	l->rule = rule;
	l->billed_minutes = minutes;
	return source_one(p, l, "time_entry", e->id);
}

/* Block hours: draw what fits, the rest (or all, once the block is used) is overage. */
static int plan_block_entry(struct plan *p, struct cstate *cs, const struct bill_entry *e,
			    const struct terms *t)
{
	const struct bill_contract *c = cs->c;
	int64_t left = c->block_minutes - cs->drawn, draw, over, rate = 0;
	bool override = false;
	struct buf b;
	if (left < 0)
		left = 0;
	draw = t->billed < left ? t->billed : left;
	over = t->billed - draw;
	if (over > 0) {
		if (c->overage_rate >= 0)
			rate = c->overage_rate;
		else if (entry_rate(p, e, t, &rate, &override) < 0)
			return -1;
	}
	if (draw > 0 || over == 0) {	/* a 0:00 entry too: it must be invoiced once */
		buf_init(&b, BUF_DEFAULT_MAX);
		add_billed(&b, e, t);
		buf_addstr(&b, ": ");
		add_hmm(&b, draw);
		buf_addstr(&b, " drawn, ");
		add_hmm(&b, left - draw);
		buf_addstr(&b, " left");
		if (over > 0) {
			buf_addstr(&b, "; the other ");
			add_hmm(&b, over);
			buf_addstr(&b, " is beyond the block");
		}
		if (time_line(p, e, t, RULE_BLOCK_DRAW, draw, 0, &b) < 0)
			return -1;
		cs->drawn += draw;
	}
	if (over == 0)
		return 0;
	buf_init(&b, BUF_DEFAULT_MAX);
	if (draw > 0) {
		add_hmm(&b, over);
		buf_addstr(&b, " of ");
		add_hmm(&b, t->billed);
		buf_addstr(&b, " billed");
	} else {
		add_billed(&b, e, t);
	}
	buf_addstr(&b, ", beyond the block of ");
	add_hmm(&b, c->block_minutes);
	add_rate(&b, rate, t->currency,
		 c->overage_rate >= 0 ? "overage rate" : override ? "contract rate" : NULL);
	return time_line(p, e, t, RULE_BLOCK_OVERAGE, over, rate, &b);
}

static int plan_entry(struct plan *p, size_t idx)
{
	const struct bill_entry *e = p->entries[idx];
	struct cstate *cs;
	char name[32];
	if (work_contract(p, "time entry", e->id, e->company_id, e->contract_id, &cs) < 0)
		return -1;
	if (e->minutes < 0)
		return fail(p, "time entry %lld: minutes %lld is negative", (long long)e->id,
			    (long long)e->minutes);
	if (e->list_rate < 0)
		return fail(p, "time entry %lld: the work type's rate is negative",
			    (long long)e->id);
	int64_t day = e->worked_on ? e->worked_on : utc_day(e->started_at);
	if (!day_ok(day))
		return fail(p, "time entry %lld: started_at is not a date", (long long)e->id);
	bool outside = cs && !in_term(cs->c, day);
	struct terms t = { 0 };
	if (cs && !outside) {
		t.c = cs->c;
		t.currency = cs->c->currency;
		t.increment = cs->c->increment_minutes;
		t.minimum = cs->c->minimum_minutes;
	} else {
		t.currency = e->currency;
		t.increment = p->in->firm.increment_minutes;
		t.minimum = p->in->firm.minimum_minutes;
		if (!t.currency || !t.currency[0])
			return fail(p, "time entry %lld: no currency for work type %lld",
				    (long long)e->id, (long long)e->work_type_id);
	}
	if (t.c && t.c->kind == BILL_MANAGED && covers_work_type(t.c, e->work_type_id)) {
		if (__builtin_add_overflow(cs->covered_minutes, e->minutes, &cs->covered_minutes))
			return fail(p, "contract %lld: too many minutes covered",
				    (long long)cs->c->id);
		cs->covered_entries++;
		p->entry_cover[idx] = cs;
		return 0;
	}
	t.billed = bill_round_minutes(e->minutes, t.increment, t.minimum);
	if (t.billed < 0)
		return fail(p, "time entry %lld: %lld minutes is too large", (long long)e->id,
			    (long long)e->minutes);
	if (t.c && t.c->kind == BILL_BLOCK_HOURS)
		return plan_block_entry(p, cs, e, &t);
	int64_t rate;
	bool override;
	if (entry_rate(p, e, &t, &rate, &override) < 0)
		return -1;
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	add_billed(&b, e, &t);
	add_rate(&b, rate, t.currency, override ? "contract rate" : NULL);
	if (outside) {
		buf_addf(&b, "; list rate: outside %s, which ", contract_name(cs->c, name));
		if (day < cs->c->starts_on) {
			buf_addstr(&b, "starts on ");
			add_date(&b, cs->c->starts_on, true);
		} else {
			buf_addstr(&b, "ended on ");
			add_date(&b, cs->c->ends_on, true);
		}
	} else if (t.c && t.c->kind == BILL_MANAGED) {
		buf_addf(&b, "; %s is not covered by the monthly fee",
			 e->work_type_name && e->work_type_name[0] ? e->work_type_name
								   : "this work");
	}
	return time_line(p, e, &t, RULE_TIME, t.billed, rate, &b);
}

/* ---- parts ---- */

static int plan_part(struct plan *p, size_t idx)
{
	const struct bill_part *pt = p->parts[idx];
	struct cstate *cs;
	if (work_contract(p, "part", pt->id, pt->company_id, pt->contract_id, &cs) < 0)
		return -1;
	if (pt->quantity < 0 || pt->unit_price < 0)
		return fail(p, "part %lld: negative quantity or price", (long long)pt->id);
	if (cs && cs->c->kind == BILL_MANAGED && cs->c->parts_covered) {
		cs->covered_parts++;
		p->part_cover[idx] = cs;
		return 0;
	}
	const char *currency = cs ? cs->c->currency : pt->currency;
	if (!currency || !currency[0])
		return fail(p, "part %lld: no currency", (long long)pt->id);
	if (cs && pt->currency && strcmp(pt->currency, currency) != 0)
		return fail(p, "part %lld: priced in %s, contract %lld bills in %s",
			    (long long)pt->id, pt->currency, (long long)cs->c->id, currency);
	int64_t amount;
	if (money_line_amount(pt->quantity, pt->unit_price, 0, &amount) < 0)
		return fail(p, "part %lld: the amount is too large", (long long)pt->id);
	struct pline *pl = line_new(p, pt->company_id, currency, G_PART, pt->id, 0, 0);
	if (!pl)
		return -1;
	struct bill_line *l = &pl->line;
	struct buf b;
	buf_init(&b, BUF_DEFAULT_MAX);
	if (pt->ticket_number && pt->ticket_number[0])
		buf_addf(&b, "%s ", pt->ticket_number);
	buf_addstr(&b, pt->product_name && pt->product_name[0] ? pt->product_name : "Part");
	l->description = text_take(p, &b);
	buf_init(&b, BUF_DEFAULT_MAX);
	add_quantity(&b, pt->quantity);
	buf_addstr(&b, " x ");
	add_money(&b, pt->unit_price, currency);
	l->explanation = text_take(p, &b);
	if (!l->description || !l->explanation)
		return -1;
	l->quantity = pt->quantity;
	l->unit_price = pt->unit_price;
	l->amount = amount;
	l->taxable = pt->taxable;
	l->contract_id = cs ? cs->c->id : 0;
	l->rule = RULE_PART;
	return source_one(p, l, "part", pt->id);
}

/* ---- work covered by a managed fee ---- */

/* "covered by the monthly fee: 12 entries, 14:30 worked; 2 parts: Toner x 2, Cable" */
static void add_covered(struct plan *p, struct buf *b, const struct cstate *cs, bool capital)
{
	buf_addstr(b, capital ? "Covered" : "covered");
	buf_addstr(b, " by the monthly fee: ");
	if (cs->covered_entries > 0) {
		buf_addf(b, "%zu %s, ", cs->covered_entries,
			 cs->covered_entries == 1 ? "entry" : "entries");
		add_hmm(b, cs->covered_minutes);
		buf_addstr(b, " worked");
	}
	if (cs->covered_parts == 0)
		return;
	if (cs->covered_entries > 0)
		buf_addstr(b, "; ");
	buf_addf(b, "%zu %s", cs->covered_parts, cs->covered_parts == 1 ? "part" : "parts");
	const char *sep = ": ";
	for (size_t i = 0; i < p->in->nparts; i++) {
		if (p->part_cover[i] != cs)
			continue;
		const struct bill_part *pt = p->parts[i];
		buf_addf(b, "%s%s", sep,
			 pt->product_name && pt->product_name[0] ? pt->product_name : "part");
		if (pt->quantity != 1000) {
			buf_addstr(b, " x ");
			add_quantity(b, pt->quantity);
		}
		sep = ", ";
	}
}

/*
 * Shows a contract's covered work on its first fee line of this run, or
 * on a zero managed_fee line when the run bills it no fee: the entries and
 * parts become the line's sources, so they are invoiced once.
 */
static int plan_covered(struct plan *p, struct cstate *cs)
{
	const struct bill_contract *c = cs->c;
	struct bill_line *l;
	struct buf b;
	char name[32];
	if (cs->covered_entries == 0 && cs->covered_parts == 0)
		return 0;
	buf_init(&b, BUF_DEFAULT_MAX);
	if (cs->fee_line != SIZE_MAX) {
		l = &p->lines[cs->fee_line].line;
		buf_addf(&b, "%s; ", l->explanation);
		add_covered(p, &b, cs, false);
	} else {
		struct pline *pl = line_new(p, c->company_id, c->currency, G_MONTHLY, c->id,
					    INT64_MAX, 0);
		if (!pl) {
			buf_release(&b);
			return -1;
		}
		l = &pl->line;
		add_covered(p, &b, cs, true);
		l->quantity = 1000;
		l->taxable = true;
		l->contract_id = c->id;
		l->rule = RULE_MANAGED_FEE;
		struct buf d;
		buf_init(&d, BUF_DEFAULT_MAX);
		buf_addf(&d, "Managed services: %s, work covered by the fee",
			 contract_name(c, name));
		l->description = text_take(p, &d);
		if (!l->description) {
			buf_release(&b);
			return -1;
		}
	}
	l->explanation = text_take(p, &b);
	if (!l->explanation)
		return -1;
	size_t n = 1 + cs->covered_entries + cs->covered_parts, k = 1;
	struct bill_source *src = alloc_array(p, n, sizeof(*src));
	if (!src)
		return -1;
	src[0].type = "contract";
	src[0].id = c->id;
	for (size_t i = 0; i < p->in->nentries; i++)
		if (p->entry_cover[i] == cs) {
			src[k].type = "time_entry";
			src[k++].id = p->entries[i]->id;
		}
	for (size_t i = 0; i < p->in->nparts; i++)
		if (p->part_cover[i] == cs) {
			src[k].type = "part";
			src[k++].id = p->parts[i]->id;
		}
	l->sources = src;
	l->nsources = k;
	return 0;
}

/* ---- invoices ---- */

static int cmp_i64(int64_t x, int64_t y)
{
	return (x > y) - (x < y);
}

static int cmp_pline(const void *a, const void *b)
{
	const struct pline *x = a, *y = b;
	int c = cmp_i64(x->company_id, y->company_id);
	if (!c)
		c = strcmp(x->currency, y->currency);
	if (!c)
		c = x->group - y->group;
	if (!c)
		c = cmp_i64(x->k1, y->k1);
	if (!c)
		c = cmp_i64(x->k2, y->k2);
	if (!c)
		c = cmp_i64(x->k3, y->k3);
	if (!c)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

static int make_invoice(struct plan *p, struct bill_invoice *inv, const struct pline *from,
			size_t n)
{
	const struct bill_company *co = company_find(p, from->company_id);
	int64_t subtotal = 0, taxable = 0, tax, total;
	inv->company_id = from->company_id;
	inv->currency = from->currency;
	inv->tax_rate_bp = co->tax_rate_bp;
	inv->lines = alloc_array(p, n, sizeof(*inv->lines));
	if (!inv->lines)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct bill_line *l = &from[i].line;
		inv->lines[i] = *l;
		if (__builtin_add_overflow(subtotal, l->amount, &subtotal) ||
		    (l->taxable && __builtin_add_overflow(taxable, l->amount, &taxable)))
			return fail(p, "company %lld: the %s invoice is too large",
				    (long long)inv->company_id, inv->currency);
	}
	if (money_apply_bp(taxable, co->tax_rate_bp, &tax) < 0 ||
	    __builtin_add_overflow(subtotal, tax, &total))
		return fail(p, "company %lld: the %s invoice is too large",
			    (long long)inv->company_id, inv->currency);
	inv->nlines = n;
	inv->subtotal = subtotal;
	inv->tax = tax;
	inv->total = total;
	return 0;
}

static int make_invoices(struct plan *p, struct bill_plan *out)
{
	size_t n = 0;
	if (p->nlines > 0)
		qsort(p->lines, p->nlines, sizeof(*p->lines), cmp_pline);
	for (size_t i = 0; i < p->nlines; i++)
		if (i == 0 || p->lines[i].company_id != p->lines[i - 1].company_id ||
		    strcmp(p->lines[i].currency, p->lines[i - 1].currency) != 0)
			n++;
	struct bill_invoice *inv = alloc_array(p, n ? n : 1, sizeof(*inv));
	if (!inv)
		return -1;
	for (size_t i = 0, k = 0; i < p->nlines; k++) {
		size_t j = i + 1;
		while (j < p->nlines && p->lines[j].company_id == p->lines[i].company_id &&
		       strcmp(p->lines[j].currency, p->lines[i].currency) == 0)
			j++;
		if (make_invoice(p, &inv[k], &p->lines[i], j - i) < 0)
			return -1;
		i = j;
	}
	out->invoices = inv;
	out->ninvoices = n;
	return 0;
}

/* ---- the plan ---- */

static int plan_setup(struct plan *p)
{
	const struct bill_input *in = p->in;
	p->companies = alloc_array(p, in->ncompanies + 1, sizeof(*p->companies));
	p->cs = alloc_array(p, in->ncontracts + 1, sizeof(*p->cs));
	p->entries = alloc_array(p, in->nentries + 1, sizeof(*p->entries));
	p->parts = alloc_array(p, in->nparts + 1, sizeof(*p->parts));
	p->entry_cover = alloc_array(p, in->nentries + 1, sizeof(*p->entry_cover));
	p->part_cover = alloc_array(p, in->nparts + 1, sizeof(*p->part_cover));
	if (!p->companies || !p->cs || !p->entries || !p->parts || !p->entry_cover ||
	    !p->part_cover)
		return -1;
	for (size_t i = 0; i < in->ncompanies; i++)
		p->companies[i] = &in->companies[i];
	for (size_t i = 0; i < in->ncontracts; i++) {
		p->cs[i].c = &in->contracts[i];
		p->cs[i].fee_line = SIZE_MAX;
		p->cs[i].drawn = in->contracts[i].block_drawn_minutes;
	}
	for (size_t i = 0; i < in->nentries; i++)
		p->entries[i] = &in->entries[i];
	for (size_t i = 0; i < in->nparts; i++)
		p->parts[i] = &in->parts[i];
	if (in->ncompanies > 1)
		qsort(p->companies, in->ncompanies, sizeof(*p->companies), cmp_company);
	if (in->ncontracts > 1)
		qsort(p->cs, in->ncontracts, sizeof(*p->cs), cmp_cstate);
	if (in->nentries > 1)
		qsort(p->entries, in->nentries, sizeof(*p->entries), cmp_entry);
	if (in->nparts > 1)
		qsort(p->parts, in->nparts, sizeof(*p->parts), cmp_part);
	return 0;
}

int bill_plan(const struct bill_input *in, struct arena *arena, struct bill_plan *out,
	      char *err, size_t errlen)
{
	struct plan p = { .in = in, .arena = arena, .err = err, .errlen = errlen };
	if (plan_setup(&p) < 0 || check_input(&p) < 0)
		return -1;
	for (size_t i = 0; i < in->ncontracts; i++)
		if (plan_months(&p, &p.cs[i]) < 0 || plan_block_purchase(&p, p.cs[i].c) < 0)
			return -1;
	for (size_t i = 0; i < in->nentries; i++)
		if (plan_entry(&p, i) < 0)
			return -1;
	for (size_t i = 0; i < in->nparts; i++)
		if (plan_part(&p, i) < 0)
			return -1;
	for (size_t i = 0; i < in->ncontracts; i++)
		if (plan_covered(&p, &p.cs[i]) < 0)
			return -1;
	return make_invoices(&p, out);
}
