/*
 * balance.c - what a contract has left, and the work that keeps contracts
 * and time in order:
 *
 *   GET  /contracts/{id}/balance      a block's minutes, drawn in the order worked
 *   POST /contracts/{id}/renew        the next term, unused minutes carried in (rollover)
 *   the job's block warnings          80 % and 100 % of a block, once each
 *   POST /time-entries/approve-week   a manager approves a technician's week
 *
 * The balance uses the rounding of plan.c, so it shows what an invoice
 * will draw: every billable entry under the contract within its term,
 * invoiced or not.
 */
#include "billing.h"

#include "plan.h"

#include "auth/auth.h"
#include "core/calendar.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *rec, const char *name)
{
	return json_string_value(json_object_get(rec, name));
}

static int64_t num(const json_t *rec, const char *name)
{
	return json_integer_value(json_object_get(rec, name));
}

static void date_of(int64_t day, char out[11])
{
	char s[TIME_RFC3339_LEN];
	time_format(day * 86400, s);
	memcpy(out, s, 10);
	out[10] = '\0';
}

struct block {
	int64_t block, used, drawn, over;
};

/*
 * The block of contract c (a raw or visible contract record): every
 * billable entry in its term, in the order worked, rounded by its terms.
 * entries (may be NULL) gets one object per entry.
 */
static int block_of(struct resource_ctx *ctx, const json_t *c, struct block *b, json_t *entries)
{
	memset(b, 0, sizeof(*b));
	b->block = num(c, "block_minutes") + num(c, "carried_minutes");
	/* the term's days are the firm's, as the invoice run counts them */
	const char *ends = str(c, "ends_on");
	char from[TIME_RFC3339_LEN], until[TIME_RFC3339_LEN] = "9999-12-31T23:59:59Z";
	int64_t t0, t1;
	struct calendar_zone z;
	int rc = billing_zone(ctx, &z);
	if (rc != RC_OK)
		return rc;
	rc = calendar_zone_day_start(&z, date_day(str(c, "starts_on")), &t0) < 0 ||
		     (ends && calendar_zone_day_start(&z, date_day(ends) + 1, &t1) < 0)
		     ? RC_ERROR
		     : RC_OK;
	calendar_zone_release(&z);
	if (rc != RC_OK)
		return rc;
	time_format(t0, from);
	if (ends)
		time_format(t1, until);
	struct db_stmt *st = db_prepare(
		ctx->db,
		"SELECT e.id, e.started_at, e.minutes, e.invoice_id, t.number, e.user_id, t.id"
		" FROM time_entries e JOIN tickets t ON t.id = e.ticket_id"
		" WHERE t.contract_id = ? AND e.billable = 1 AND e.kind = 'ticket'"
		" AND e.archived_at IS NULL AND e.started_at >= ? AND e.started_at < ?"
		" ORDER BY e.started_at, e.id");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, num(c, "id"));
	db_bind_text(st, 2, from);
	db_bind_text(st, 3, until);
	while ((rc = db_step(st)) == RC_ROW) {
		int64_t billed = bill_round_minutes(db_col_int(st, 2),
						    (int)num(c, "billing_increment_minutes"),
						    (int)num(c, "minimum_minutes"));
		int64_t left = b->block - b->drawn;
		int64_t drawn = billed < left ? billed : left > 0 ? left : 0;
		b->drawn += drawn;
		b->over += billed - drawn;
		b->used += billed;
		if (!entries)
			continue;
		json_t *e = json_pack("{s:I, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "id",
				      (json_int_t)db_col_int(st, 0), "started_at",
				      db_col_text(st, 1), "ticket_id", (json_int_t)db_col_int(st, 6),
				      "ticket_number", db_col_text(st, 4),
				      "user_id", (json_int_t)db_col_int(st, 5), "minutes",
				      (json_int_t)db_col_int(st, 2), "billed_minutes",
				      (json_int_t)billed, "drawn_minutes", (json_int_t)drawn,
				      "overage_minutes", (json_int_t)(billed - drawn),
				      "remaining_minutes", (json_int_t)(b->block - b->drawn));
		if (e)
			json_object_set_new(e, "invoice_id", db_col_null(st, 3)
								  ? json_null()
								  : json_integer(db_col_int(st, 3)));
		json_array_append_new(entries, e);
	}
	db_done(st);
	return rc == RC_DONE ? RC_OK : rc;
}

int contract_balance(struct resource_ctx *ctx, int64_t id, json_t **out, json_t **errors)
{
	json_t *c;
	int rc = resource_get(ctx, &contract_resource, id, &c);
	if (rc != RC_OK)
		return rc;
	if (strcmp(str(c, "kind"), "block_hours") != 0) {
		*errors = arena_json(ctx->arena, json_array());
		resource_error(*errors, "kind",
			       arena_printf(ctx->arena, "a %s contract has no block of hours",
					    str(c, "kind")));
		return RC_CONFLICT;
	}
	json_t *entries = arena_json(ctx->arena, json_array());
	struct block b;
	rc = entries ? block_of(ctx, c, &b, entries) : RC_ERROR;
	if (rc != RC_OK)
		return rc == RC_RETRY ? RC_ERROR : rc;
	bool rollover = json_is_true(json_object_get(c, "rollover"));
	*out = arena_json(ctx->arena, json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?, s:b, s:i, s:O}", "contract_id",
		(json_int_t)id, "block_minutes", (json_int_t)b.block, "carried_minutes",
		(json_int_t)num(c, "carried_minutes"), "used_minutes", (json_int_t)b.used,
		"drawn_minutes", (json_int_t)b.drawn, "remaining_minutes",
		(json_int_t)(b.block - b.drawn), "overage_minutes", (json_int_t)b.over,
		"lapses_on", rollover ? NULL : str(c, "ends_on"), "rollover", rollover,
		"used_percent", b.block ? (int)(b.used * 100 / b.block) : 0, "entries", entries));
	return *out ? RC_OK : RC_ERROR;
}

/* Renewal ------------------------------------------------------------------------ */

/* The members a renewal copies: the terms, not the history. */
static const char *const renewed[] = {
	"company_id", "name", "kind", "sla_policy_id", "currency", "monthly_fee", "block_minutes",
	"block_price", "overage_rate", "billing_increment_minutes", "minimum_minutes", "rollover",
	"notes", "rates", "covered_work_type_ids", "parts_covered", "additions", NULL
};

static int renew(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		 json_t *errors)
{
	if (json_is_integer(json_object_get(cur, "renewed_by_id"))) {
		resource_error(errors, "renewed_by_id",
			       arena_printf(ctx->arena, "the contract was renewed already (contract %lld)",
					    (long long)num(cur, "renewed_by_id")));
		return RC_CONFLICT;
	}
	json_t *next = arena_json(ctx->arena, json_object());
	if (!next)
		return RC_ERROR;
	for (const char *const *m = renewed; *m; m++) {
		json_t *v = json_object_get(cur, *m);
		if (v && !json_is_null(v))
			json_object_set_new(next, *m, json_deep_copy(v));
	}
	char today[11], start[11], end[11];
	billing_today(ctx, today);
	const char *ends = str(cur, "ends_on");
	int64_t starts_day = ends ? date_day(ends) + 1 : date_day(today);
	date_of(starts_day, start);
	json_object_set_new(next, "starts_on", json_string(start));
	if (ends) {
		/* as long as this term */
		date_of(starts_day + (date_day(ends) - date_day(str(cur, "starts_on"))), end);
		json_object_set_new(next, "ends_on", json_string(end));
	}
	json_object_set_new(next, "status", json_string("active"));
	json_object_set_new(next, "renewed_from_id", json_integer(num(cur, "id")));
	if (strcmp(str(cur, "kind"), "block_hours") == 0 &&
	    json_is_true(json_object_get(cur, "rollover"))) {
		struct block b;
		int rc = block_of(ctx, cur, &b, NULL);
		if (rc != RC_OK)
			return rc;
		json_object_set_new(next, "carried_minutes", json_integer(b.block - b.drawn));
	}
	json_t *made, *errs = NULL;
	int rc = resource_create_trusted(ctx, &contract_resource, next, &made, &errs);
	if (rc != RC_OK) {
		if (errs)
			json_array_extend(errors, errs);
		return rc;
	}
	json_object_set_new(rec, "renewed_by_id", json_integer(num(made, "id")));
	if (!ends || strcmp(ends, today) < 0)
		json_object_set_new(rec, "status", json_string("ended"));
	if (!ends) {
		/* an open-ended term ends the day before the next begins */
		char last[11];
		date_of(starts_day - 1, last);
		json_object_set_new(rec, "ends_on", json_string(strcmp(last, str(cur, "starts_on")) < 0
								  ? str(cur, "starts_on")
								  : last));
	}
	ctx->reply = made;
	return RC_OK;
}

static const char *const renewable[] = { "active", "ended", "suspended", NULL };

const struct resource_action contract_renew = {
	.name = "renew", .from = renewable,
	.roles = ROLE_ADMIN | ROLE_MANAGER | ROLE_SALES | ROLE_BILLING,
	.flags = ACTION_CREATES | ACTION_IF_MATCH_OPTIONAL, .event = "renewed", .apply = renew,
	.summary = "Renew: the next term, with the block's unused minutes carried in (rollover)",
};

/* Warnings ---------------------------------------------------------------------- */

static const struct audit_actor system_actor = { .label = "system" };

int billing_block_warnings(struct db *db, char *error, size_t errlen)
{
	int64_t ids[500];
	int n = 0;
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT id FROM contracts WHERE kind = 'block_hours' AND status = 'active'"
			" AND archived_at IS NULL AND block_warnings < 3 ORDER BY id LIMIT 500",
			"");
	bool open = rc == RC_ROW;
	while (rc == RC_ROW && n < 500) {
		ids[n++] = db_col_int(st, 0);
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE && rc != RC_ROW) {
		snprintf(error, errlen, "cannot read block contracts: %s", db_errmsg(db));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct arena arena;
		arena_init(&arena);
		struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &system_actor,
					    .trusted = true };
		rc = db_begin(db);
		json_t *c = NULL;
		struct block b;
		unsigned fired = 0, fresh = 0;
		if (rc == RC_OK)
			rc = resource_get(&ctx, &contract_resource, ids[i], &c);
		if (rc == RC_OK && db_run(db, &st, "SELECT block_warnings FROM contracts WHERE id = ?",
					  "i", ids[i]) == RC_ROW) {
			fired = (unsigned)db_col_int(st, 0);
			db_done(st);
		}
		if (rc == RC_OK)
			rc = block_of(&ctx, c, &b, NULL);
		if (rc == RC_OK && b.block > 0) {
			static const int thresholds[] = { 80, 100 };
			for (int k = 0; k < 2; k++) {
				if (fired & (1u << k) || b.used * 100 < b.block * thresholds[k])
					continue;
				fresh |= 1u << k;
				json_t *data = arena_json(&arena, json_pack(
					"{s:i, s:I, s:I, s:I}", "percent", thresholds[k],
					"block_minutes", (json_int_t)b.block, "used_minutes",
					(json_int_t)b.used, "remaining_minutes",
					(json_int_t)(b.block - b.drawn)));
				rc = resource_event(&ctx, &contract_resource,
						    thresholds[k] == 80 ? "block_80_percent"
									: "block_used_up",
						    ids[i], data);
				if (rc != RC_OK)
					break;
			}
		}
		if (rc == RC_OK && fresh) {
			json_t *mask = arena_json(&arena, json_pack("{s:i}", "block_warnings",
								    (int)(fired | fresh)));
			json_t *out, *errors = NULL;
			rc = resource_update_trusted(&ctx, &contract_resource, ids[i], mask, &out,
						     &errors);
		}
		if (rc == RC_OK)
			rc = db_commit(db);
		else if (db_in_txn(db))
			db_rollback(db);
		arena_release(&arena);
		if (rc != RC_OK && rc != RC_NOT_FOUND && rc != RC_RETRY) {
			snprintf(error, errlen, "cannot check the block of contract %lld: %s",
				 (long long)ids[i], db_errmsg(db));
			return -1;
		}
	}
	return 0;
}

/* Approval ---------------------------------------------------------------------- */

int time_approve_week(struct resource_ctx *ctx, int64_t user, const char *week_of, bool undo,
		      json_t **out, json_t **errors)
{
	json_t *errs = arena_json(ctx->arena, json_array());
	if (!errs)
		return RC_ERROR;
	if (user < 1)
		resource_error(errs, "user_id", "is required: the technician whose week it is");
	if (!week_of || !date_valid(week_of))
		resource_error(errs, "week_of", "is required: a date YYYY-MM-DD in the week");
	json_t *who;
	int found = user > 0 ? resource_get(ctx, &user_resource, user, &who) : RC_OK;
	if (found == RC_NOT_FOUND)
		resource_error(errs, "user_id",
			       arena_printf(ctx->arena, "no user with id %lld", (long long)user));
	else if (found != RC_OK)
		return found;
	if (json_array_size(errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	/* Monday to Sunday (1970-01-01 was a Thursday), the firm's days */
	int64_t day = date_day(week_of), monday = day - ((day + 3) % 7), t0, t1;
	struct calendar_zone z;
	int zrc = billing_zone(ctx, &z);
	if (zrc != RC_OK)
		return zrc;
	zrc = calendar_zone_day_start(&z, monday, &t0) < 0 ||
			      calendar_zone_day_start(&z, monday + 7, &t1) < 0
		      ? RC_ERROR
		      : RC_OK;
	calendar_zone_release(&z);
	if (zrc != RC_OK)
		return zrc;
	char from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN];
	time_format(t0, from);
	time_format(t1, to);
	struct db_stmt *st = db_prepare(ctx->db,
					"SELECT id FROM time_entries WHERE user_id = ? AND started_at >= ?"
					" AND started_at < ? AND archived_at IS NULL AND invoice_id IS NULL"
					" AND (approved_at IS NULL) = ? ORDER BY started_at, id");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, user);
	db_bind_text(st, 2, from);
	db_bind_text(st, 3, to);
	db_bind_int(st, 4, undo ? 0 : 1);
	json_t *ids = arena_json(ctx->arena, json_array());
	int rc;
	while (ids && (rc = db_step(st)) == RC_ROW)
		json_array_append_new(ids, json_integer(db_col_int(st, 0)));
	db_done(st);
	if (!ids)
		return RC_ERROR;
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		json_t *rec, *why = NULL;
		rc = resource_act(ctx, &time_entry_resource, undo ? &time_unapprove : &time_approve,
				  json_integer_value(id), NULL, RESOURCE_ANY_VERSION, &rec, &why);
		if (rc != RC_OK) {
			if (why)
				*errors = why;
			return rc;
		}
	}
	char week[11];
	date_of(monday, week);
	*out = arena_json(ctx->arena, json_pack("{s:I, s:s, s:b, s:I, s:O}", "user_id",
						(json_int_t)user, "week_of", week, "undone", undo,
						undo ? "unapproved" : "approved",
						(json_int_t)json_array_size(ids), "entries", ids));
	return *out ? RC_OK : RC_ERROR;
}
