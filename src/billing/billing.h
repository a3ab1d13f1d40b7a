/*
 * billing.h - getting paid: invoices (drafts made by invoice runs from the
 * contracts' rules, issued with gapless numbers, paid, voided, corrected by
 * credit notes), the runs themselves, payments, block-hour balances and
 * their warnings, and the reports on revenue, cost and utilisation.
 *
 * The rules of a run are plan.c's (pure, unit-tested); run.c loads their
 * inputs in one transaction and writes the drafts through the engine, so
 * every invoice, every time entry and part it bills, and every month it
 * bills, is in the audit log. A run never bills anything twice: uninvoiced
 * work only, and a unique row per contract and month billed.
 *
 * Every json_t handed out belongs to ctx->arena.
 */
#ifndef SERVIO_BILLING_H
#define SERVIO_BILLING_H

#include "core/spool.h"
#include "resource/resource.h"

extern const struct resource invoice_resource;		/* /api/v1/invoices */
extern const struct resource invoice_run_resource;	/* /api/v1/invoice-runs */
extern const struct resource payment_resource;		/* /api/v1/invoices/{id}/payments */
extern const struct resource credit_note_resource;	/* /api/v1/credit-notes */

/*
 * POST /contracts/{id}/renew: the next term of the contract, a new one
 * starting the day after this one ends (today when it has no end) for as
 * long, with the block's unused minutes carried in when rollover; this one
 * ends. The reply is the new contract (201).
 */
extern const struct resource_action contract_renew;

/*
 * POST /invoice-runs: plans (and unless dry_run writes as drafts) the
 * invoices of the period [from, to] (dates in the firm's time zone, both
 * included) for every company or one (company 0: all). The reply, {run,
 * dry_run, from, to, invoices: [...]}, is written to out as JSON text an
 * invoice at a time, flushed after each (a month of a large firm is tens
 * of megabytes of text, never held as values); out holds only it when
 * this returns RC_OK, and is left to the caller to release either way.
 * A dry run's invoices are exactly those the real run makes, without ids
 * and numbers. *run_id: the run made (0 for a dry run). RC_INVALID with
 * errors for a bad period.
 */
int invoice_run(struct resource_ctx *ctx, const char *from, const char *to, int64_t company,
		bool dry_run, struct spool *out, int64_t *run_id, json_t **errors);

/*
 * GET /contracts/{id}/balance: a block-hours contract's block, what its
 * billable time drew in the order worked, what is left or over, when the
 * rest lapses, and the entries that drew it. RC_CONFLICT (errors) for a
 * contract of another kind.
 */
int contract_balance(struct resource_ctx *ctx, int64_t id, json_t **out, json_t **errors);

/*
 * The job's part (service desk, every minute is fine): records the 80 %
 * and 100 % warnings of each active block-hours contract once each (an
 * event each). Returns 0, or -1 with error.
 */
struct db;
int billing_block_warnings(struct db *db, char *error, size_t errlen);

/*
 * POST /time-entries/approve-week {user_id, week_of, undo?}: approves (or
 * takes back the approval of) every entry of the user in the week of
 * week_of (Monday to Sunday, the firm's time zone) that is not invoiced.
 * *out is {approved: N, entries: [ids]}.
 */
int time_approve_week(struct resource_ctx *ctx, int64_t user, const char *week_of, bool undo,
		      json_t **out, json_t **errors);

/*
 * GET /exports/invoices?format=&from=&to=: the issued invoices (issued_on
 * from `from` up to the day before `to`, as the reports count periods) as
 * the accounting product's import file. *text and
 * *content_type are arena strings.
 */
int invoices_export(struct resource_ctx *ctx, const char *format, const char *from,
		    const char *to, const char **text, size_t *len, const char **content_type,
		    const char **filename, json_t **errors);

/*
 * Reports over [from, to] (dates; either may be NULL), *out owned by the
 * arena:
 *   profitability: revenue (issued invoices, in their month of service)
 *     less credit notes, labour cost (minutes worked x cost rate) and parts
 *     cost per client, per contract and per month;
 *   utilisation: per technician, billable minutes / working minutes of
 *     their calendar;
 *   block_burn: per block-hours contract and month, minutes drawn;
 *   revenue_by_kind: invoiced revenue per contract kind and month;
 *   ar_ageing: issued invoices with a balance, by days past due (current,
 *     1-30, 31-60, 61-90, 90+) per company, as of to (or today).
 */
int report_profitability(struct resource_ctx *ctx, const char *from, const char *to,
			 json_t **out);
int report_utilisation(struct resource_ctx *ctx, const char *from, const char *to,
		       json_t **out);
int report_block_burn(struct resource_ctx *ctx, const char *from, const char *to, json_t **out);
int report_revenue_by_kind(struct resource_ctx *ctx, const char *from, const char *to,
			   json_t **out);
int report_ar_ageing(struct resource_ctx *ctx, const char *as_of, json_t **out);

/* The firm's date today (its time zone), "YYYY-MM-DD", in out. */
void billing_today(struct resource_ctx *ctx, char out[11]);

/* Opens the firm's time zone (settings); RC_OK (release z after) or a failure. */
struct calendar_zone;
int billing_zone(struct resource_ctx *ctx, struct calendar_zone *z);

#endif
