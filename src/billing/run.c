/*
 * run.c - invoice runs: POST /api/v1/invoice-runs {from, to, company_id?,
 * dry_run}. In one transaction, a batch of companies at a time: load what
 * the period may bill (the uninvoiced billable time and parts, the
 * contracts with what earlier invoices billed of them, the companies), let
 * plan.c apply the rules, and (unless a dry run) write the plan: one draft
 * invoice per company and currency, every time entry and part marked with
 * its invoice, every month of fees and every block purchase as a row of
 * billed_periods; then the run record's summary. All through the engine's
 * trusted writes, so the audit log shows what each run billed. The reply
 * is written as each invoice is made, to the caller's spool (which moves
 * it to a file past its threshold): a batch's work and plan are all a run
 * holds at once.
 *
 * Running again bills nothing twice: only uninvoiced work is loaded, and
 * billed_periods has one row per contract, kind and month. Two runs at once
 * are serialized by the database (SQLite's write lock; PostgreSQL's
 * SERIALIZABLE transactions, retried); the unique key is the last guard.
 */
#include "billing.h"

#include "plan.h"

#include "auth/auth.h"
#include "core/calendar.h"
#include "core/jsonout.h"
#include "core/log.h"
#include "core/money.h"
#include "core/spool.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPAN_DAYS 366

static const char *str(const json_t *rec, const char *name)
{
	return json_string_value(json_object_get(rec, name));
}

static int64_t num(const json_t *rec, const char *name)
{
	return json_integer_value(json_object_get(rec, name));
}

/* "YYYY-MM-DD" of a day, in the arena. */
static const char *date_of(struct arena *a, int64_t day)
{
	char s[TIME_RFC3339_LEN];
	time_format(day * 86400, s);
	return arena_strndup(a, s, 10);
}

/* A batch's inputs, loaded into arena arrays. */
struct load {
	struct resource_ctx *ctx;
	struct arena *arena;	/* the batch's: released when its invoices are written */
	struct bill_input in;
	struct calendar_zone *zone;	/* the firm's: the day an entry was worked */
	int64_t lo, hi;		/* the batch: the companies with ids in [lo, hi] */
	bool approval;
	char from_t[TIME_RFC3339_LEN], to_t[TIME_RFC3339_LEN];
	/* growable arrays (arena: the old copies stay until the batch ends) */
	struct bill_entry *entries;
	struct bill_part *parts;
	struct bill_contract *contracts;
	struct bill_company *companies;
	size_t cap_entries, cap_parts, cap_contracts, cap_companies;
};

#define GROW(l, arr, n, cap)                                                                 \
	do {                                                                                 \
		if ((n) == (cap)) {                                                          \
			size_t c2 = (cap) ? (cap) * 2 : 64;                                  \
			void *m = arena_alloc((l)->arena, c2 * sizeof(*(arr)));              \
			if (!m)                                                              \
				return RC_ERROR;                                             \
			if (n)                                                               \
				memcpy(m, (arr), (n) * sizeof(*(arr)));                      \
			(arr) = m;                                                           \
			(cap) = c2;                                                          \
		}                                                                            \
	} while (0)

static const char *dup(struct load *l, struct db_stmt *st, int col)
{
	const char *s = db_col_text(st, col);
	return s ? arena_strdup(l->arena, s) : NULL;
}

/*
 * The batch's uninvoiced billable time of the period. The unary + keeps
 * SQLite off the index on invoice_id, which holds every entry never billed
 * (most of a firm's history, the non-billable ones forever): the period's
 * entries come from the index on started_at, in the order wanted.
 */
static int load_entries(struct load *l)
{
	struct db_stmt *st = db_prepare(
		l->ctx->db,
		"SELECT e.id, t.company_id, t.contract_id, e.work_type_id, w.name, w.hourly_rate,"
		" w.currency, e.started_at, e.minutes, t.number, u.name, e.approved_at"
		" FROM time_entries e JOIN tickets t ON t.id = e.ticket_id"
		" JOIN work_types w ON w.id = e.work_type_id JOIN users u ON u.id = e.user_id"
		" WHERE +e.invoice_id IS NULL AND e.billable = 1 AND e.kind = 'ticket'"
		" AND e.archived_at IS NULL AND e.started_at >= ? AND e.started_at < ?"
		" AND t.company_id BETWEEN ? AND ? ORDER BY e.started_at, e.id");
	if (!st)
		return RC_ERROR;
	db_bind_text(st, 1, l->from_t);
	db_bind_text(st, 2, l->to_t);
	db_bind_int(st, 3, l->lo);
	db_bind_int(st, 4, l->hi);
	int rc;
	size_t n = 0;
	while ((rc = db_step(st)) == RC_ROW) {
		if (l->approval && db_col_null(st, 11))
			continue;	/* only approved time bills */
		GROW(l, l->entries, n, l->cap_entries);
		struct bill_entry *e = &l->entries[n++];
		memset(e, 0, sizeof(*e));
		e->id = db_col_int(st, 0);
		e->company_id = db_col_int(st, 1);
		e->contract_id = db_col_null(st, 2) ? 0 : db_col_int(st, 2);
		e->work_type_id = db_col_int(st, 3);
		e->work_type_name = dup(l, st, 4);
		e->list_rate = db_col_int(st, 5);
		e->currency = dup(l, st, 6);
		time_parse(db_col_text(st, 7), &e->started_at);
		int64_t local;
		if (calendar_zone_local(l->zone, e->started_at, &local) == 0)
			e->worked_on = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
		e->minutes = db_col_int(st, 8);
		e->ticket_number = dup(l, st, 9);
		e->user_name = dup(l, st, 10);
	}
	db_done(st);
	l->in.entries = l->entries;
	l->in.nentries = n;
	return rc == RC_DONE ? RC_OK : rc;
}

static int load_parts(struct load *l)
{
	struct db_stmt *st = db_prepare(
		l->ctx->db,
		"SELECT p.id, t.company_id, t.contract_id, r.name, r.currency, p.quantity,"
		" p.unit_price, r.taxable, t.number FROM ticket_parts p"
		" JOIN tickets t ON t.id = p.ticket_id JOIN products r ON r.id = p.product_id"
		" WHERE p.invoice_id IS NULL AND p.billable = 1 AND p.archived_at IS NULL"
		" AND p.created_at >= ? AND p.created_at < ? AND t.company_id BETWEEN ? AND ?"
		" ORDER BY p.created_at, p.id");
	if (!st)
		return RC_ERROR;
	db_bind_text(st, 1, l->from_t);
	db_bind_text(st, 2, l->to_t);
	db_bind_int(st, 3, l->lo);
	db_bind_int(st, 4, l->hi);
	int rc;
	size_t n = 0;
	while ((rc = db_step(st)) == RC_ROW) {
		GROW(l, l->parts, n, l->cap_parts);
		struct bill_part *p = &l->parts[n++];
		memset(p, 0, sizeof(*p));
		p->id = db_col_int(st, 0);
		p->company_id = db_col_int(st, 1);
		p->contract_id = db_col_null(st, 2) ? 0 : db_col_int(st, 2);
		p->product_name = dup(l, st, 3);
		p->currency = dup(l, st, 4);
		p->quantity = db_col_int(st, 5);
		p->unit_price = db_col_int(st, 6);
		p->taxable = db_col_int(st, 7) != 0;
		p->ticket_number = dup(l, st, 8);
	}
	db_done(st);
	l->in.parts = l->parts;
	l->in.nparts = n;
	return rc == RC_DONE ? RC_OK : rc;
}

static bool contract_listed(const struct load *l, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (l->contracts[i].id == id)
			return true;
	return false;
}

/* Ids (arena) of the integers of a JSON array text. */
static int64_t *ids_of(struct load *l, const char *text, size_t *n)
{
	json_t *a = arena_json(l->arena, json_loads(text ? text : "[]", 0, NULL));
	*n = 0;
	int64_t *ids = arena_alloc(l->arena, (json_array_size(a) + 1) * sizeof(*ids));
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (ids && json_is_integer(v))
			ids[(*n)++] = json_integer_value(v);
	return ids;
}

/* What earlier invoices billed of contract c, and its additions' assets. */
static int contract_history(struct load *l, struct bill_contract *c, const char *rates_text,
			    const char *additions_text)
{
	struct db *db = l->ctx->db;
	struct arena *a = l->arena;
	/* the months of fees (and additions) billed, and the block bought */
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT kind, month FROM billed_periods WHERE contract_id = ?",
			"i", c->id);
	size_t n = 0, cap = 0;
	int64_t *months = NULL;
	bool open = rc == RC_ROW;
	while (rc == RC_ROW) {
		if (strcmp(db_col_text(st, 0), "block_purchase") == 0) {
			c->block_purchase_billed = true;
		} else {
			if (n == cap) {
				size_t c2 = cap ? cap * 2 : 16;
				int64_t *m = arena_alloc(a, c2 * sizeof(*m));
				if (!m) {
					db_done(st);
					return RC_ERROR;
				}
				if (n)
					memcpy(m, months, n * sizeof(*m));
				months = m;
				cap = c2;
			}
			months[n++] = date_day(db_col_text(st, 1));
		}
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE)
		return rc;
	c->months_billed = months;
	c->nmonths_billed = n;
	rc = db_run(db, &st,
		    "SELECT COALESCE(SUM(l.billed_minutes), 0) FROM invoice_lines l"
		    " JOIN invoices i ON i.id = l.invoice_id WHERE l.contract_id = ?"
		    " AND l.rule = 'block_draw' AND i.status <> 'void' AND i.archived_at IS NULL",
		    "i", c->id);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	c->block_drawn_minutes = db_col_int(st, 0);
	db_done(st);
	/* rate overrides */
	json_t *rates = arena_json(a, json_loads(rates_text ? rates_text : "[]", 0, NULL));
	struct bill_rate *r = arena_alloc(a, (json_array_size(rates) + 1) * sizeof(*r));
	if (!r)
		return RC_ERROR;
	size_t i, nr = 0;
	json_t *v;
	json_array_foreach(rates, i, v) {
		r[nr].work_type_id = num(v, "work_type_id");
		r[nr++].hourly_rate = num(v, "hourly_rate");
	}
	c->rates = r;
	c->nrates = nr;
	/* additions; a per-device one counts the company's active assets of its kind today */
	json_t *adds = arena_json(a, json_loads(additions_text ? additions_text : "[]", 0, NULL));
	struct bill_addition *ad = arena_zalloc(a, (json_array_size(adds) + 1) * sizeof(*ad));
	if (!ad)
		return RC_ERROR;
	size_t na = 0;
	json_array_foreach(adds, i, v) {
		struct bill_addition *x = &ad[na++];
		x->product_id = num(v, "product_id");
		x->description = str(v, "description");
		x->unit_price = num(v, "unit_price");
		x->taxable = !json_is_false(json_object_get(v, "taxable"));
		int64_t q = 1000;
		if (json_object_get(v, "quantity"))
			resource_quantity(json_object_get(v, "quantity"), &q);
		x->quantity = q;
		x->asset_kind = str(v, "asset_kind");
		if (!x->asset_kind)
			continue;
		rc = db_run(db, &st, "SELECT COUNT(*) FROM assets WHERE company_id = ? AND kind = ?"
				     " AND archived_at IS NULL",
			    "is", c->company_id, x->asset_kind);
		if (rc != RC_ROW)
			return rc == RC_DONE ? RC_ERROR : rc;
		size_t count = (size_t)db_col_int(st, 0);
		db_done(st);
		int64_t *aids = arena_alloc(a, (count + 1) * sizeof(*aids));
		const char **names = arena_alloc(a, (count + 1) * sizeof(*names));
		if (!aids || !names)
			return RC_ERROR;
		size_t k = 0;
		rc = db_run(db, &st, "SELECT id, name FROM assets WHERE company_id = ? AND kind = ?"
				     " AND archived_at IS NULL ORDER BY name, id",
			    "is", c->company_id, x->asset_kind);
		open = rc == RC_ROW;
		while (rc == RC_ROW) {
			if (k < count) {
				aids[k] = db_col_int(st, 0);
				names[k++] = arena_strdup(a, db_col_text(st, 1));
			}
			rc = db_step(st);
		}
		if (open)
			db_done(st);
		if (rc != RC_DONE)
			return rc;
		x->asset_ids = aids;
		x->asset_names = names;
		x->nassets = k;
		x->quantity = (int64_t)k * 1000;
	}
	c->additions = ad;
	c->nadditions = na;
	return RC_OK;
}

/*
 * The contracts the period may bill: those of the work loaded, and every
 * active (or since ended) one whose term overlaps the period, for its fees,
 * additions and block.
 */
static int load_contracts(struct load *l)
{
	struct db_stmt *st = db_prepare(
		l->ctx->db,
		"SELECT id, company_id, name, kind, currency, starts_on, ends_on, monthly_fee,"
		" block_minutes, block_price, overage_rate, billing_increment_minutes,"
		" minimum_minutes, rates, covered_work_type_ids, parts_covered, additions,"
		" carried_minutes, status FROM contracts WHERE archived_at IS NULL"
		" AND company_id BETWEEN ? AND ? ORDER BY id");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, l->lo);
	db_bind_int(st, 2, l->hi);
	int rc;
	size_t n = 0;
	const char **rates = NULL, **adds = NULL;
	size_t cap_text = 0;
	while ((rc = db_step(st)) == RC_ROW) {
		int64_t id = db_col_int(st, 0);
		int64_t starts = date_day(db_col_text(st, 5));
		int64_t ends = db_col_null(st, 6) ? 0 : date_day(db_col_text(st, 6));
		const char *status = db_col_text(st, 18);
		bool billing = (strcmp(status, "active") == 0 || strcmp(status, "ended") == 0) &&
			       starts <= l->in.to && (!ends || ends >= l->in.from);
		bool worked = false;
		for (size_t i = 0; i < l->in.nentries && !worked; i++)
			worked = l->in.entries[i].contract_id == id;
		for (size_t i = 0; i < l->in.nparts && !worked; i++)
			worked = l->in.parts[i].contract_id == id;
		if (!billing && !worked)
			continue;
		GROW(l, l->contracts, n, l->cap_contracts);
		if (n >= cap_text) {
			size_t c2 = l->cap_contracts;
			const char **r2 = arena_alloc(l->arena, c2 * sizeof(*r2));
			const char **a2 = arena_alloc(l->arena, c2 * sizeof(*a2));
			if (!r2 || !a2)
				return RC_ERROR;
			if (n) {
				memcpy(r2, rates, n * sizeof(*r2));
				memcpy(a2, adds, n * sizeof(*a2));
			}
			rates = r2;
			adds = a2;
			cap_text = c2;
		}
		struct bill_contract *c = &l->contracts[n];
		memset(c, 0, sizeof(*c));
		c->id = id;
		c->company_id = db_col_int(st, 1);
		c->name = dup(l, st, 2);
		const char *kind = db_col_text(st, 3);
		c->kind = strcmp(kind, "managed") == 0	 ? BILL_MANAGED
			  : strcmp(kind, "block_hours") == 0 ? BILL_BLOCK_HOURS
							      : BILL_TIME_MATERIALS;
		c->currency = dup(l, st, 4);
		c->starts_on = starts;
		c->ends_on = ends;
		/* a suspended contract bills its work but no fees */
		c->monthly_fee = billing ? db_col_int(st, 7) : 0;
		c->block_minutes = db_col_int(st, 8) + db_col_int(st, 17);
		c->block_price = db_col_int(st, 9);
		c->overage_rate = db_col_null(st, 10) ? -1 : db_col_int(st, 10);
		c->increment_minutes = (int)db_col_int(st, 11);
		c->minimum_minutes = (int)db_col_int(st, 12);
		rates[n] = dup(l, st, 13);
		c->covered_work_types = ids_of(l, db_col_text(st, 14), &c->ncovered);
		c->parts_covered = db_col_int(st, 15) != 0;
		adds[n] = billing ? dup(l, st, 16) : NULL;
		n++;
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = contract_history(l, &l->contracts[i], rates[i], adds[i]);
		if (rc != RC_OK)
			return rc;
	}
	/* work under a contract archived since bills at list rates */
	for (size_t i = 0; i < l->in.nentries; i++)
		if (l->entries[i].contract_id && !contract_listed(l, n, l->entries[i].contract_id))
			l->entries[i].contract_id = 0;
	for (size_t i = 0; i < l->in.nparts; i++)
		if (l->parts[i].contract_id && !contract_listed(l, n, l->parts[i].contract_id))
			l->parts[i].contract_id = 0;
	l->in.contracts = l->contracts;
	l->in.ncontracts = n;
	return RC_OK;
}

/* The companies named by the work and the contracts, with their tax rates. */
static int load_companies(struct load *l, int64_t firm_tax)
{
	size_t n = 0;
	for (int pass = 0; pass < 3; pass++) {
		size_t count = pass == 0 ? l->in.nentries : pass == 1 ? l->in.nparts
								     : l->in.ncontracts;
		for (size_t i = 0; i < count; i++) {
			int64_t id = pass == 0 ? l->entries[i].company_id
				     : pass == 1 ? l->parts[i].company_id
						 : l->contracts[i].company_id;
			bool known = false;
			for (size_t k = 0; k < n && !known; k++)
				known = l->companies[k].id == id;
			if (known)
				continue;
			GROW(l, l->companies, n, l->cap_companies);
			struct db_stmt *st;
			int rc = db_run(l->ctx->db, &st,
					"SELECT name, tax_rate_bp FROM companies WHERE id = ?", "i", id);
			if (rc != RC_ROW)
				return rc == RC_DONE ? RC_ERROR : rc;
			l->companies[n].id = id;
			l->companies[n].name = dup(l, st, 0);
			l->companies[n].tax_rate_bp = db_col_null(st, 1) ? firm_tax : db_col_int(st, 1);
			db_done(st);
			n++;
		}
	}
	l->in.companies = l->companies;
	l->in.ncompanies = n;
	return RC_OK;
}

/* A planned line as the invoice's JSON (without its id: the invoice numbers them). */
static json_t *line_json(struct arena *a, const struct bill_line *ln)
{
	json_t *sources = json_array();
	for (size_t i = 0; sources && i < ln->nsources; i++)
		json_array_append_new(sources, json_pack("{s:s, s:I}", "type", ln->sources[i].type,
							 "id", (json_int_t)ln->sources[i].id));
	json_t *j = json_pack("{s:s, s:o, s:I, s:I, s:b, s:s, s:I, s:s, s:o}", "description",
			      ln->description, "quantity", resource_quantity_json(ln->quantity),
			      "unit_price", (json_int_t)ln->unit_price, "amount",
			      (json_int_t)ln->amount, "taxable", ln->taxable, "rule",
			      bill_rule_names[ln->rule], "billed_minutes",
			      (json_int_t)ln->billed_minutes, "explanation", ln->explanation,
			      "sources", sources ? sources : json_array());
	if (!j)
		return NULL;
	/* an item leaves out what it does not have (the engine's rule for stored arrays) */
	if (ln->contract_id)
		json_object_set_new(j, "contract_id", json_integer(ln->contract_id));
	if (ln->month)
		json_object_set_new(j, "month", json_string(date_of(a, ln->month)));
	return j;
}

/*
 * The planned invoice as a draft's body (what a dry run shows, what a real
 * run writes): a new value for the caller to release; its dates are a's.
 */
static json_t *invoice_json(const struct load *l, struct arena *a, const struct bill_invoice *inv)
{
	json_t *lines = json_array();
	for (size_t i = 0; lines && i < inv->nlines; i++) {
		json_t *j = line_json(a, &inv->lines[i]);
		if (j)
			json_object_set_new(j, "id", json_integer((json_int_t)i + 1));
		json_array_append_new(lines, j);
	}
	return json_pack("{s:I, s:s, s:I, s:s, s:s, s:o, s:I, s:I, s:I}", "company_id",
			 (json_int_t)inv->company_id, "currency", inv->currency, "tax_rate_bp",
			 (json_int_t)inv->tax_rate_bp, "period_from", date_of(a, l->in.from),
			 "period_to", date_of(a, l->in.to), "lines", lines ? lines : json_array(),
			 "subtotal", (json_int_t)inv->subtotal, "tax", (json_int_t)inv->tax, "total",
			 (json_int_t)inv->total);
}

static int mark_sources(struct resource_ctx *ctx, int64_t invoice, const struct bill_invoice *inv);

/* Writes one planned invoice as a draft, marks what it bills and writes the draft to out. */
static int write_draft(struct resource_ctx *ctx, const json_t *draft, const struct bill_invoice *inv,
		       struct buf *out)
{
	json_t *made, *errs = NULL;
	int rc = resource_create_trusted(ctx, &invoice_resource, draft, &made, &errs);
	if (rc != RC_OK) {
		char *e = errs ? json_dumps(errs, JSON_COMPACT) : NULL;
		log_error("invoice run: cannot write the draft of company %lld: %s",
			  (long long)inv->company_id, e ? e : "");
		free(e);
		return rc == RC_INVALID || rc == RC_CONFLICT ? RC_ERROR : rc;
	}
	if (num(made, "total") != inv->total) {
		log_error("invoice run: the draft of company %lld totals %lld, the plan %lld",
			  (long long)inv->company_id, (long long)num(made, "total"),
			  (long long)inv->total);
		return RC_ERROR;
	}
	rc = mark_sources(ctx, num(made, "id"), inv);
	if (rc != RC_OK)
		return rc;
	return json_write(out, made) == 0 ? RC_OK : RC_ERROR;
}

/* Marks what a written invoice bills: its work, its months, its block. */
static int mark_sources(struct resource_ctx *ctx, int64_t invoice, const struct bill_invoice *inv)
{
	json_t *mark = arena_json(ctx->arena, json_pack("{s:I}", "invoice_id", (json_int_t)invoice));
	if (!mark)
		return RC_ERROR;
	for (size_t i = 0; i < inv->nlines; i++) {
		const struct bill_line *ln = &inv->lines[i];
		for (size_t k = 0; k < ln->nsources; k++) {
			const struct bill_source *s = &ln->sources[k];
			json_t *out, *errors = NULL;
			int rc = RC_OK;
			if (strcmp(s->type, "time_entry") == 0) {
				rc = resource_update_trusted(ctx, &time_entry_resource, s->id, mark, &out,
							     &errors);
			} else if (strcmp(s->type, "part") == 0) {
				struct db_stmt *st;
				rc = db_run(ctx->db, &st, "SELECT ticket_id FROM ticket_parts WHERE id = ?",
					    "i", s->id);
				if (rc == RC_ROW) {
					struct resource_ctx c = *ctx;
					c.parent_id = db_col_int(st, 0);
					db_done(st);
					rc = resource_update_trusted(&c, &part_resource, s->id, mark, &out,
								     &errors);
				}
			}
			if (rc == RC_STALE || rc == RC_NOT_FOUND || rc == RC_DONE)
				rc = RC_RETRY;	/* changed under us: plan again */
			if (rc != RC_OK)
				return rc;
		}
		const char *kind = ln->rule == RULE_BLOCK_PURCHASE ? "block_purchase"
				   : ln->rule == RULE_MANAGED_FEE || ln->rule == RULE_ADDITION
					   ? "month"
					   : NULL;
		if (!kind || !ln->contract_id || (ln->rule == RULE_MANAGED_FEE && !ln->month))
			continue;
		/* a month's first day; '' for the block, bought once */
		char month[11] = "";
		char t[TIME_RFC3339_LEN];
		if (ln->month) {
			time_format(ln->month * 86400, t);
			memcpy(month, t, 10);
			month[10] = '\0';
		}
		/* a fee and its additions share the month: one row */
		int rc = db_run(ctx->db, NULL,
				"INSERT INTO billed_periods (contract_id, kind, month, invoice_id)"
				" VALUES (?, ?, ?, ?) ON CONFLICT (contract_id, kind, month) DO NOTHING",
				"issi", ln->contract_id, kind, month, invoice);
		if (rc != RC_DONE)
			return rc == RC_CONSTRAINT ? RC_RETRY : rc;
	}
	return RC_OK;
}

/*
 * A dry run's transaction body returns this (no result of core/result.h)
 * so that db_txn rolls back: it wrote nothing, and it must not.
 */
#define DRY_RUN_DONE 100

struct run {
	struct resource_ctx *ctx;
	const char *from, *to;
	int64_t company;
	bool dry_run;
	struct spool *out;
	int64_t run_id;
	json_t *errors;
};

/*
 * One planned invoice: a dry run's copy, or a real run's draft written
 * and read back, appended to the reply's text. Each has an arena of its
 * own, released once its text is out: what the engine made on the way
 * (the records read back, audit and event bodies) does not pile up over
 * thousands of invoices, and the reply is never held as values.
 */
static int run_invoice(struct run *r, const struct load *l, const struct bill_invoice *inv)
{
	struct arena scratch;
	arena_init(&scratch);
	int rc = RC_ERROR;
	json_t *draft = invoice_json(l, &scratch, inv);
	if (draft && r->dry_run) {
		json_object_set_new(draft, "status", json_string("draft"));
		json_object_set_new(draft, "number", json_null());
		rc = json_write(&r->out->b, draft) == 0 ? RC_OK : RC_ERROR;
	} else if (draft) {
		json_object_set_new(draft, "run_id", json_integer(r->run_id));
		/* the totals are the invoice's own to compute: they must come out the same */
		json_object_del(draft, "subtotal");
		json_object_del(draft, "tax");
		json_object_del(draft, "total");
		struct resource_ctx each = *r->ctx;
		each.arena = &scratch;
		rc = write_draft(&each, draft, inv, &r->out->b);
		r->ctx->now = each.now;
	}
	json_decref(draft);
	arena_release(&scratch);
	if (rc == RC_OK && spool_flush(r->out) < 0)
		rc = RC_ERROR;
	return rc;
}

/*
 * A run goes through the companies in batches of this many, by id: what
 * it holds at once (the work loaded, the plan, their text) is a batch's,
 * however large the firm.
 */
#define RUN_BATCH_COMPANIES 500

/* The last company id of the batch after company id `after`; 0 when none is left. */
static int batch_end(struct db *db, int64_t after, int64_t *hi)
{
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT MAX(id) FROM (SELECT id FROM companies WHERE id > ? ORDER BY id"
			" LIMIT ?) batch",
			"ii", after, (int64_t)RUN_BATCH_COMPANIES);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	*hi = db_col_null(st, 0) ? 0 : db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

/*
 * One batch of companies, l->lo to l->hi: their work, contracts and tax
 * rates loaded, planned, and their invoices made and written to the reply,
 * each with its line in summary; *made counts the invoices.
 */
static int run_batch(struct run *r, struct load *l, int64_t firm_tax, struct buf *summary,
		     size_t *made)
{
	struct arena batch;
	arena_init(&batch);
	l->arena = &batch;
	l->entries = NULL;
	l->parts = NULL;
	l->contracts = NULL;
	l->companies = NULL;
	l->cap_entries = l->cap_parts = l->cap_contracts = l->cap_companies = 0;
	l->in.nentries = l->in.nparts = l->in.ncontracts = l->in.ncompanies = 0;
	int rc = load_entries(l);
	if (rc == RC_OK)
		rc = load_parts(l);
	if (rc == RC_OK)
		rc = load_contracts(l);
	if (rc == RC_OK)
		rc = load_companies(l, firm_tax);
	struct bill_plan plan = { 0 };
	char err[256];
	if (rc == RC_OK && bill_plan(&l->in, &batch, &plan, err, sizeof(err)) < 0) {
		log_error("invoice run %s..%s: %s", r->from, r->to, err);
		resource_error(r->errors, "", err);
		rc = RC_CONFLICT;
	}
	for (size_t i = 0; rc == RC_OK && i < plan.ninvoices; i++) {
		const struct bill_invoice *inv = &plan.invoices[i];
		if (*made)
			buf_addch(&r->out->b, ',');
		rc = run_invoice(r, l, inv);
		/* as json_write writes {company_id, currency, lines, total} */
		buf_addstr(summary, *made ? ",{\"company_id\":" : "{\"company_id\":");
		json_write_integer(summary, inv->company_id);
		buf_addstr(summary, ",\"currency\":");
		json_write_string(summary, inv->currency, strlen(inv->currency));
		buf_addstr(summary, ",\"lines\":");
		json_write_integer(summary, (json_int_t)inv->nlines);
		buf_addstr(summary, ",\"total\":");
		json_write_integer(summary, inv->total);
		if (buf_addch(summary, '}') < 0 && rc == RC_OK)
			rc = RC_ERROR;
		(*made)++;
	}
	arena_release(&batch);
	l->arena = NULL;
	return rc;
}

/*
 * The run record's count and summary, once every invoice is made. The
 * update has an arena of its own and asks for no record back: the
 * summary's values (3.8 MB at 10,000 invoices) are gone again before the
 * record is written to the reply from its row.
 */
static int finish_run(struct run *r, const struct buf *summary, size_t made)
{
	struct arena scratch;
	arena_init(&scratch);
	struct resource_ctx each = *r->ctx;
	each.arena = &scratch;
	json_t *list = arena_json(&scratch, json_loadb(summary->data, summary->len, 0, NULL));
	json_t *patch = list ? arena_json(&scratch, json_pack("{s:I, s:O}", "invoices",
							      (json_int_t)made, "summary", list))
			     : NULL, *errs = NULL;
	int rc = patch ? resource_update_trusted(&each, &invoice_run_resource, r->run_id, patch,
						 NULL, &errs)
		       : RC_ERROR;
	r->ctx->now = each.now;
	arena_release(&scratch);
	return rc == RC_OK ? RC_OK : rc == RC_INVALID || rc == RC_NOT_FOUND ? RC_ERROR : rc;
}

static int run_txn(struct db *db, void *arg)
{
	struct run *r = arg;
	struct resource_ctx *ctx = r->ctx;
	struct arena *a = ctx->arena;
	struct buf *b = &r->out->b;
	spool_reset(r->out);	/* a retried transaction writes its reply again */
	r->run_id = 0;
	r->errors = arena_json(a, json_array());
	json_t *s;
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	sys.scope_company = 0;
	int rc = resource_get(&sys, &settings_resource, SETTINGS_ID, &s);
	if (rc != RC_OK || !r->errors)
		return rc == RC_OK ? RC_ERROR : rc;
	struct load l = { .ctx = ctx };
	l.in.from = date_day(r->from);
	l.in.to = date_day(r->to);
	char today[11];
	billing_today(ctx, today);
	l.in.today = date_day(today);
	l.in.firm.increment_minutes = (int)num(s, "billing_increment_minutes");
	l.in.firm.minimum_minutes = (int)num(s, "minimum_minutes");
	l.in.firm.labor_taxable = json_is_true(json_object_get(s, "labor_taxable"));
	l.approval = json_is_true(json_object_get(s, "time_approval"));
	json_t *run = NULL;
	if (!r->dry_run) {
		json_t *body = arena_json(a, json_pack("{s:s, s:s, s:I}", "period_from", r->from,
						       "period_to", r->to, "invoices", (json_int_t)0));
		if (!body)
			return RC_ERROR;
		if (r->company)
			json_object_set_new(body, "company_id", json_integer(r->company));
		if (ctx->actor && ctx->actor->user_id)
			json_object_set_new(body, "run_by_id", json_integer(ctx->actor->user_id));
		json_t *errs = NULL;
		rc = resource_create_trusted(ctx, &invoice_run_resource, body, &run, &errs);
		if (rc != RC_OK)
			return rc == RC_INVALID ? RC_ERROR : rc;
		r->run_id = num(run, "id");
	}
	/* the period's days are the firm's: their instants from its time zone */
	struct calendar_zone z;
	char err[CALENDAR_ERR_LEN];
	int64_t t0, t1;
	if (calendar_zone_init(&z, str(s, "timezone"), err, sizeof(err)) < 0)
		return RC_ERROR;
	if (calendar_zone_day_start(&z, l.in.from, &t0) < 0 ||
	    calendar_zone_day_start(&z, l.in.to + 1, &t1) < 0) {
		calendar_zone_release(&z);
		return RC_ERROR;
	}
	time_format(t0, l.from_t);
	time_format(t1, l.to_t);
	l.zone = &z;
	/* {"dry_run":…,"from":…,"to":…,"invoices":[…],"run":…}, an invoice at a time */
	buf_addstr(b, r->dry_run ? "{\"dry_run\":true,\"from\":" : "{\"dry_run\":false,\"from\":");
	json_write_string(b, r->from, strlen(r->from));
	buf_addstr(b, ",\"to\":");
	json_write_string(b, r->to, strlen(r->to));
	buf_addstr(b, ",\"invoices\":[");
	size_t made = 0;
	struct buf summary;
	buf_init(&summary, 0);
	buf_addch(&summary, '[');
	if (r->company) {
		l.lo = l.hi = r->company;
		rc = run_batch(r, &l, num(s, "tax_rate_bp"), &summary, &made);
	} else {
		for (int64_t after = 0;; after = l.hi) {
			rc = batch_end(db, after, &l.hi);
			if (rc != RC_OK || !l.hi)
				break;
			l.lo = after + 1;
			rc = run_batch(r, &l, num(s, "tax_rate_bp"), &summary, &made);
			if (rc != RC_OK)
				break;
		}
	}
	calendar_zone_release(&z);
	if (rc == RC_OK && buf_addch(&summary, ']') < 0)
		rc = RC_ERROR;
	if (rc == RC_OK && run)
		rc = finish_run(r, &summary, made);
	buf_release(&summary);
	if (rc != RC_OK)
		return rc;
	buf_addstr(b, "],\"run\":");
	if (run) {
		int64_t version;
		rc = resource_get_text(ctx, &invoice_run_resource, r->run_id, b, &version);
		if (rc != RC_OK)
			return rc == RC_NOT_FOUND ? RC_ERROR : rc;
	} else {
		buf_addstr(b, "null");
	}
	/* the whole text in one place before the commit: nothing to fail after it */
	if (buf_addstr(b, "}") < 0 || spool_finish(r->out) < 0)
		return RC_ERROR;
	return r->dry_run ? DRY_RUN_DONE : RC_OK;
}

int invoice_run(struct resource_ctx *ctx, const char *from, const char *to, int64_t company,
		bool dry_run, struct spool *out, int64_t *run_id, json_t **errors)
{
	json_t *errs = arena_json(ctx->arena, json_array());
	if (!errs)
		return RC_ERROR;
	if (!from || !date_valid(from))
		resource_error(errs, "from", "is required: a date YYYY-MM-DD");
	if (!to || !date_valid(to))
		resource_error(errs, "to", "is required: a date YYYY-MM-DD");
	if (!json_array_size(errs) && strcmp(to, from) < 0)
		resource_error(errs, "to", "must not be before from");
	if (!json_array_size(errs) && date_day(to) - date_day(from) >= MAX_SPAN_DAYS)
		resource_error(errs, "to", "a run covers at most 366 days");
	if (json_array_size(errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	if (company) {
		int64_t owner;
		int rc = resource_company_of(ctx, &company_resource, company, &owner);
		if (rc == RC_NOT_FOUND) {
			resource_error(errs, "company_id", "refers to no company");
			*errors = errs;
			return RC_INVALID;
		}
		if (rc != RC_OK)
			return rc;
	}
	ctx->now = time_now();
	struct run r = { .ctx = ctx, .from = from, .to = to, .company = company,
			 .dry_run = dry_run, .out = out };
	int rc = db_txn(ctx->db, run_txn, &r);
	if (rc == DRY_RUN_DONE)
		rc = RC_OK;
	if (rc == RC_OK) {
		*run_id = r.run_id;
		return RC_OK;
	}
	if ((rc == RC_INVALID || rc == RC_CONFLICT) && r.errors)
		*errors = r.errors;
	return rc;
}
