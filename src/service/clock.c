/*
 * clock.c - the SLA clocks of tickets, from the database to sla.c and
 * back: loads a ticket's policy, calendar and status history, computes
 * (sla_compute), and writes the due times and breach flags onto the
 * ticket. Three callers: every ticket write (ticket_sla_update, in its
 * transaction), GET /tickets/{id}/sla (ticket_sla_explain), and the job
 * that sweeps the open tickets every minute (sla_sweep_run: breaches that
 * happen with no write, and the 50/75/90/100 % warnings, once each).
 *
 * The sweep reads a page of open tickets with their histories in two
 * statements and computes them in memory, each policy's calendar loaded
 * once so that its memo of days serves every ticket; only the tickets
 * whose clocks or warnings change are written, a batch to a transaction,
 * through the engine (a new version and an audit entry each). In the
 * writing transaction a ticket still at the version the page read is
 * written from what was computed (its clocks' inputs cannot change
 * without a new version); one that changed meanwhile is read and computed
 * again. A sweep that changes nothing writes nothing and takes no write
 * lock.
 */
#include "service.h"

#include "internal.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/calendar.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "notify/notify.h"
#include "sla.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A policy with its calendar, ready for sla_compute. */
struct policy {
	int64_t id;
	char *name;
	json_t *targets;		/* [{priority, response_minutes, resolution_minutes}] */
	json_t *pauses;			/* ["waiting_customer", …] */
	const char *pause_list[16];
	size_t npauses;
	bool always_open;
	char tz[CALENDAR_TZ_MAX];
	struct calendar cal;
};

static void policy_release(struct policy *p)
{
	xfree(p->name);
	json_decref(p->targets);
	json_decref(p->pauses);
	calendar_release(&p->cal);
	memset(p, 0, sizeof(*p));
}

/* A policy's row with its calendar's: everything a policy is loaded from. */
#define POLICY_COLUMNS 7
static int policy_row(struct db *db, int64_t id, struct db_stmt **st)
{
	int rc = db_run(db, st,
			"SELECT p.name, p.targets, p.pause_statuses, c.timezone, c.always_open,"
			" c.hours, c.holidays FROM sla_policies p JOIN calendars c"
			" ON c.id = p.calendar_id WHERE p.id = ?",
			"i", id);
	return rc == RC_DONE ? RC_NOT_FOUND : rc;
}

/* Copies the columns of a policy's row (policy_row's) into cols (arena). false: out of memory. */
static bool policy_row_copy(struct arena *a, struct db_stmt *st, const char **cols)
{
	for (int i = 0; i < POLICY_COLUMNS; i++) {
		const char *v = db_col_text(st, i);
		cols[i] = v ? arena_strdup(a, v) : NULL;
		if (v && !cols[i])
			return false;
	}
	return true;
}

static bool same_text(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Whether a policy's row has the columns cols (as text, NULL for NULL). */
static bool policy_row_is(struct db_stmt *st, const char *const *cols)
{
	for (int i = 0; i < POLICY_COLUMNS; i++) {
		if (!same_text(db_col_text(st, i), cols[i]))
			return false;
	}
	return true;
}

/*
 * Loads policy id and its calendar from its row (policy_row's, done with
 * here). RC_OK or RC_ERROR (logged unless quiet).
 */
static int policy_from_row(struct db_stmt *st, int64_t id, bool quiet, struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->name = xstrdup(db_col_text(st, 0));
	p->targets = json_loads(db_col_text(st, 1), 0, NULL);
	p->pauses = json_loads(db_col_text(st, 2), 0, NULL);
	snprintf(p->tz, sizeof(p->tz), "%s", db_col_text(st, 3));
	p->always_open = db_col_int(st, 4);
	json_t *hours = json_loads(db_col_text(st, 5), 0, NULL);
	json_t *holidays = json_loads(db_col_text(st, 6), 0, NULL);
	db_done(st);
	char err[CALENDAR_ERR_LEN];
	int rc = calendar_init_json(&p->cal, p->tz, p->always_open, hours, holidays, err,
				    sizeof(err));
	json_decref(hours);
	json_decref(holidays);
	if (rc < 0 || !p->name || !p->targets || !p->pauses) {
		if (!quiet)
			log_error("cannot load SLA policy %lld: %s", (long long)id,
				  rc < 0 ? err : "out of memory");
		policy_release(p);
		return RC_ERROR;
	}
	size_t i;
	json_t *s;
	json_array_foreach(p->pauses, i, s)
		if (p->npauses < sizeof(p->pause_list) / sizeof(p->pause_list[0]))
			p->pause_list[p->npauses++] = json_string_value(s);
	return RC_OK;
}

/* Loads policy id and its calendar. RC_OK, RC_NOT_FOUND, RC_RETRY or RC_ERROR (logged). */
static int policy_load(struct db *db, int64_t id, struct policy *p)
{
	struct db_stmt *st;
	int rc = policy_row(db, id, &st);
	if (rc != RC_ROW) {
		memset(p, 0, sizeof(*p));
		return rc;
	}
	return policy_from_row(st, id, false, p);
}

/* Policies loaded once per sweep, their calendars' memos kept warm. */
struct policy_cache {
	struct policy p[32];
	int n;
	/* the clocks sweep_one has just computed for ticket computed_for (0: none) */
	int64_t computed_for;
	const struct sla_result *computed;
};

/* The loaded policy id, or NULL (not found, not loadable: logged; or the cache is full). */
static struct policy *cached_policy(struct db *db, struct policy_cache *c, int64_t id)
{
	for (int i = 0; i < c->n; i++)
		if (c->p[i].id == id)
			return &c->p[i];
	if (c->n == (int)(sizeof(c->p) / sizeof(c->p[0])))
		return NULL;
	if (policy_load(db, id, &c->p[c->n]) != RC_OK)
		return NULL;
	return &c->p[c->n++];
}

/*
 * The policies of the sweep running on this thread, or NULL: the sweep's
 * writes go through the engine, whose ticket hook (ticket_sla_update)
 * takes the policy from here rather than load it and convert its
 * calendar's days anew for each ticket, and the clocks sweep_one computed
 * in the same transaction rather than compute them again.
 */
static _Thread_local struct policy_cache *sweeping;

/* The policy's target for a priority, or SLA_NO_TARGET. */
static int64_t target_of(const struct policy *p, const char *priority, const char *which)
{
	size_t i;
	json_t *t;
	json_array_foreach(p->targets, i, t) {
		const char *pr = json_string_value(json_object_get(t, "priority"));
		json_t *m = json_object_get(t, which);
		if (pr && priority && strcmp(pr, priority) == 0 && json_is_integer(m))
			return json_integer_value(m);
	}
	return SLA_NO_TARGET;
}

/*
 * Appends a status change. Events come in id order; a clock skew between
 * servers must not unsort them.
 */
static void history_push(struct sla_change *h, size_t *n, int64_t at, const char *status)
{
	if (*n && at < h[*n - 1].at)
		at = h[*n - 1].at;
	h[*n] = (struct sla_change){ at, status };
	(*n)++;
}

/* Whether a ticket_events kind is one of a status history. */
static bool history_kind(const char *kind)
{
	return kind && (strcmp(kind, "created") == 0 || strcmp(kind, "status") == 0);
}

/*
 * The ticket's status history from ticket_events (created and status
 * events), plus `pending` (a change being written now) when not NULL.
 * Allocated from the arena.
 */
static int history_load(struct db *db, struct arena *a, int64_t ticket, int64_t created_at,
			const char *initial, const struct sla_change *pending,
			struct sla_change **out, size_t *n)
{
	size_t cap = 16;
	struct sla_change *h = arena_alloc(a, cap * sizeof(*h));
	*n = 0;
	if (!h)
		return RC_ERROR;
	if (ticket) {
		struct db_stmt *st = db_prepare(db, "SELECT at, to_value FROM ticket_events"
						    " WHERE ticket_id = ? AND kind IN ('created', 'status')"
						    " ORDER BY id");
		if (!st)
			return RC_ERROR;
		db_bind_int(st, 1, ticket);
		int rc;
		while ((rc = db_step(st)) == RC_ROW) {
			if (*n + 1 >= cap) {
				struct sla_change *more = arena_alloc(a, 2 * cap * sizeof(*h));
				if (!more)
					break;
				memcpy(more, h, *n * sizeof(*h));
				h = more;
				cap *= 2;
			}
			int64_t at;
			const char *to = db_col_text(st, 1);
			if (!to || time_parse(db_col_text(st, 0), &at) < 0)
				continue;
			history_push(h, n, at, arena_strdup(a, to));
		}
		db_done(st);
		if (rc != RC_DONE)
			return rc == RC_ROW ? RC_ERROR : rc;
	}
	if (*n == 0) {
		h[0].at = created_at;
		h[0].status = initial;
		*n = 1;
	}
	if (pending) {
		if (*n + 1 >= cap) {
			struct sla_change *more = arena_alloc(a, (cap + 1) * sizeof(*h));
			if (!more)
				return RC_ERROR;
			memcpy(more, h, *n * sizeof(*h));
			h = more;
		}
		h[*n] = *pending;
		if (h[*n].at < h[*n - 1].at)
			h[*n].at = h[*n - 1].at;
		(*n)++;
	}
	*out = h;
	return RC_OK;
}

static int64_t time_of(const json_t *rec, const char *name)
{
	int64_t t;
	const char *s = json_string_value(json_object_get(rec, name));
	return s && time_parse(s, &t) == 0 ? t : SLA_NONE;
}

static void set_time_or_null(json_t *rec, const char *name, bool has, int64_t t)
{
	char s[TIME_RFC3339_LEN];
	if (!has) {
		json_object_set_new(rec, name, json_null());
		return;
	}
	time_format(t, s);
	json_object_set_new(rec, name, json_string(s));
}

/* The clock members of a ticket record from a result (or cleared without a policy). */
static void apply_result(json_t *rec, const struct sla_result *r)
{
	set_time_or_null(rec, "response_due_at", r && r->response.has_target, r ? r->response.due_at : 0);
	set_time_or_null(rec, "resolution_due_at", r && r->resolution.has_target,
			 r ? r->resolution.due_at : 0);
	json_object_set_new(rec, "response_breached", json_boolean(r && r->response.breached));
	json_object_set_new(rec, "resolution_breached", json_boolean(r && r->resolution.breached));
	json_object_set_new(rec, "paused_minutes", json_integer(r ? r->paused_minutes : 0));
}

/* Fills in from a ticket's priority, times, policy and history. */
static void input_set(struct sla_input *in, struct policy *p, const char *priority,
		      int64_t created, int64_t responded, int64_t resolved,
		      const struct sla_change *h, size_t n, int64_t now)
{
	*in = (struct sla_input){
		.cal = &p->cal,
		.policy_id = p->id,
		.policy_name = p->name,
		.response_minutes = target_of(p, priority, "response_minutes"),
		.resolution_minutes = target_of(p, priority, "resolution_minutes"),
		.pause_statuses = p->pause_list,
		.npause_statuses = p->npauses,
		.created_at = created,
		.history = h,
		.nhistory = n,
		.first_responded_at = responded,
		.resolved_at = resolved,
		.now = now,
	};
}

/* Fills in from a ticket record, its policy and history. */
static void input_of(struct sla_input *in, struct policy *p, const json_t *rec, int64_t created,
		     const struct sla_change *h, size_t n, int64_t now)
{
	input_set(in, p, json_string_value(json_object_get(rec, "priority")), created,
		  time_of(rec, "first_responded_at"), time_of(rec, "resolved_at"), h, n, now);
}

/* Whether a write leaves every input of the clocks as it was (the sweep's own writes do). */
static bool same_inputs(const json_t *cur, const json_t *rec)
{
	static const char *const inputs[] = { "sla_policy_id", "status", "priority", "created_at",
					      "first_responded_at", "resolved_at", NULL };
	for (const char *const *m = inputs; *m; m++)
		if (!json_equal(json_object_get(cur, *m), json_object_get(rec, *m)))
			return false;
	return true;
}

/*
 * A new ticket's clocks, computed before its transaction (ticket_sla_plan)
 * from the policy row as it was read then and the ticket's inputs.
 */
struct sla_plan {
	int64_t policy_id;
	const char *row[POLICY_COLUMNS];	/* policy_row's columns as read then */
	const char *priority, *status;
	int64_t now, responded, resolved;
	struct sla_result result;
};

void ticket_sla_plan(struct resource_ctx *ctx, const json_t *rec)
{
	json_t *pid = json_object_get(rec, "sla_policy_id");
	if (!json_is_integer(pid))
		return;
	struct sla_plan *plan = arena_alloc(ctx->arena, sizeof(*plan));
	struct db_stmt *st;
	if (!plan || policy_row(ctx->db, json_integer_value(pid), &st) != RC_ROW)
		return;
	/* what to check in the transaction, and the policy, from the one row */
	if (!policy_row_copy(ctx->arena, st, plan->row)) {
		db_done(st);
		return;
	}
	struct policy p;
	if (policy_from_row(st, json_integer_value(pid), true, &p) != RC_OK)
		return;	/* the transaction loads it again and says why it cannot */
	/* as ticket_sla_update computes a new ticket: its history is its creation */
	const char *status = json_string_value(json_object_get(rec, "status"));
	const char *priority = json_string_value(json_object_get(rec, "priority"));
	struct sla_change created = { ctx->now, status };
	struct sla_input in;
	char err[SLA_ERR_LEN];
	input_of(&in, &p, rec, ctx->now, &created, 1, ctx->now);
	plan->policy_id = p.id;
	plan->priority = priority ? arena_strdup(ctx->arena, priority) : NULL;
	plan->status = status ? arena_strdup(ctx->arena, status) : NULL;
	plan->now = ctx->now;
	plan->responded = in.first_responded_at;
	plan->resolved = in.resolved_at;
	/* the strings are copies (rec may go first); clocks that cannot be
	   computed are left to the transaction, which says why */
	bool copied = (!priority || plan->priority) && plan->status;
	if (copied && sla_compute(&in, &plan->result, err, sizeof(err)) == 0)
		ctx->plan = plan;
	policy_release(&p);
}

/*
 * Whether the plan was computed from what a new ticket rec has now: its
 * policy's row, read again in the transaction, and its own inputs.
 * RC_OK (it holds), RC_STALE, or a failure of the read.
 */
static int plan_holds(struct resource_ctx *ctx, const struct sla_plan *plan, const json_t *rec)
{
	json_t *pid = json_object_get(rec, "sla_policy_id");
	if (plan->policy_id != json_integer_value(pid) || plan->now != ctx->now ||
	    !same_text(plan->priority, json_string_value(json_object_get(rec, "priority"))) ||
	    !same_text(plan->status, json_string_value(json_object_get(rec, "status"))) ||
	    plan->responded != time_of(rec, "first_responded_at") ||
	    plan->resolved != time_of(rec, "resolved_at"))
		return RC_STALE;
	struct db_stmt *st;
	int rc = policy_row(ctx->db, plan->policy_id, &st);
	if (rc != RC_ROW)
		return rc == RC_NOT_FOUND ? RC_STALE : rc;
	bool same = policy_row_is(st, plan->row);
	db_done(st);
	return same ? RC_OK : RC_STALE;
}

int ticket_sla_update(struct resource_ctx *ctx, const json_t *cur, json_t *rec)
{
	json_t *pid = json_object_get(rec, "sla_policy_id");
	if (!json_is_integer(pid)) {
		apply_result(rec, NULL);
		return RC_OK;
	}
	if (!cur && ctx->plan) {
		int rc = plan_holds(ctx, ctx->plan, rec);
		if (rc == RC_OK) {
			apply_result(rec, &((const struct sla_plan *)ctx->plan)->result);
			return RC_OK;
		}
		if (rc != RC_STALE)
			return rc;
	}
	if (sweeping && sweeping->computed_for && cur &&
	    json_integer_value(json_object_get(cur, "id")) == sweeping->computed_for &&
	    same_inputs(cur, rec)) {
		/* the sweep's write of the clocks it computed from this ticket as it is */
		apply_result(rec, sweeping->computed);
		return RC_OK;
	}
	struct policy own, *p = sweeping ? cached_policy(ctx->db, sweeping, json_integer_value(pid))
					 : NULL;
	int rc = RC_OK;
	if (!p) {
		rc = policy_load(ctx->db, json_integer_value(pid), &own);
		if (rc == RC_NOT_FOUND) {
			apply_result(rec, NULL);
			return RC_OK;
		}
		if (rc != RC_OK)
			return rc;
		p = &own;
	}
	int64_t created = cur ? time_of(cur, "created_at") : ctx->now;
	const char *status = json_string_value(json_object_get(rec, "status"));
	struct sla_change pending = { ctx->now, status };
	bool changes = cur && strcmp(json_string_value(json_object_get(cur, "status")), status) != 0;
	struct sla_change *h;
	size_t n;
	rc = history_load(ctx->db, ctx->arena, cur ? json_integer_value(json_object_get(cur, "id")) : 0,
			  created, status, changes ? &pending : NULL, &h, &n);
	if (rc == RC_OK) {
		struct sla_input in;
		struct sla_result r;
		char err[SLA_ERR_LEN];
		input_of(&in, p, rec, created, h, n, ctx->now);
		if (sla_compute(&in, &r, err, sizeof(err)) == 0) {
			apply_result(rec, &r);
		} else {
			/* a policy that cannot be computed (no working time) gives no due times */
			log_warn("SLA of ticket %s not computed: %s",
				 json_string_value(json_object_get(rec, "number")), err);
			apply_result(rec, NULL);
		}
	}
	if (p == &own)
		policy_release(&own);
	return rc;
}

int ticket_sla_explain(struct resource_ctx *ctx, int64_t id, json_t **out)
{
	json_t *t;
	int rc = resource_get(ctx, &ticket_resource, id, &t);
	if (rc != RC_OK)
		return rc;
	json_t *pid = json_object_get(t, "sla_policy_id");
	if (!json_is_integer(pid)) {
		*out = arena_json(ctx->arena,
				  json_pack("{s:I, s:n, s:s}", "ticket_id", (json_int_t)id, "policy",
					    "explanation",
					    "no SLA policy applies: the ticket's contract has none and"
					    " no policy is the default"));
		return *out ? RC_OK : RC_ERROR;
	}
	struct policy p;
	rc = policy_load(ctx->db, json_integer_value(pid), &p);
	if (rc != RC_OK) {
		return rc == RC_NOT_FOUND || rc == RC_RETRY ? RC_ERROR : rc;
	}
	struct sla_change *h;
	size_t n;
	int64_t created = time_of(t, "created_at");
	rc = history_load(ctx->db, ctx->arena, id, created,
			  json_string_value(json_object_get(t, "status")), NULL, &h, &n);
	struct sla_input in;
	struct sla_result r;
	struct sla_timeline tl;
	char err[SLA_ERR_LEN];
	if (rc == RC_OK) {
		input_of(&in, &p, t, created, h, n, time_now());
		if (sla_compute(&in, &r, err, sizeof(err)) < 0 ||
		    sla_timeline(ctx->arena, &in, &r, &tl, err, sizeof(err)) < 0) {
			log_warn("SLA of ticket %lld not explained: %s", (long long)id, err);
			rc = RC_ERROR;
		}
	}
	if (rc == RC_OK) {
		*out = arena_json(ctx->arena, sla_result_to_json(&in, &r, &tl));
		json_t *policy = json_object_get(*out, "policy");
		if (json_is_object(policy)) {
			/* the JSON's policy names the zone; say which calendar too */
			json_object_set_new(policy, "timezone", json_string(p.tz));
		}
		if (*out)
			json_object_set_new(*out, "ticket_id", json_integer(id));
		rc = *out ? RC_OK : RC_ERROR;
	}
	policy_release(&p);
	return rc == RC_RETRY ? RC_ERROR : rc;
}

/* The sweep --------------------------------------------------------------- */

static const char *const warn_names[] = { "50", "75", "90", "100" };
static const int warn_percents[] = { 50, 75, 90, 100 };

/* Whether status is one of the policy's pause statuses. */
static bool paused(const struct policy *p, const char *status)
{
	for (size_t i = 0; status && i < p->npauses; i++)
		if (strcmp(p->pause_list[i], status) == 0)
			return true;
	return false;
}

static const struct audit_actor sweeper = { .label = "system" };

/*
 * The writes of one open ticket, given its clocks computed now (r, as
 * record members in `computed`), the clock members it has (`stored`, as
 * the record has them) and the warnings it has fired: the clock members
 * when they changed (a trusted write of the ticket: a new version and an
 * audit entry), and the warnings not fired before (a history entry each,
 * and the hidden mask: in the same write, or alone as bookkeeping). A
 * paused ticket's resolution due time moves on every minute it stays
 * paused: that drift alone is not written (it would be a version and an
 * audit entry a minute); the next write of the ticket and GET
 * /tickets/{id}/sla show it, and a breach is written as it happens.
 */
static int sweep_write(struct resource_ctx *ctx, struct policy *p, int64_t id,
		       const char *status, const json_t *stored, const json_t *computed,
		       const struct sla_result *r, unsigned fired, int64_t now, int64_t *written)
{
	json_t *patch = arena_json(ctx->arena, json_object());
	if (!patch)
		return RC_ERROR;
	static const char *const members[] = { "response_due_at", "resolution_due_at",
					       "response_breached", "resolution_breached",
					       "paused_minutes", NULL };
	for (const char *const *m = members; *m; m++)
		if (!json_equal(json_object_get(stored, *m), json_object_get(computed, *m)))
			json_object_set(patch, *m, json_object_get(computed, *m));
	bool drift = paused(p, status) && !json_object_get(patch, "response_due_at") &&
		     !json_object_get(patch, "response_breached") &&
		     !json_object_get(patch, "resolution_breached");
	unsigned fresh = sla_warnings_new(r, fired);
	json_t *errors = NULL;
	bool write = json_object_size(patch) && !drift;
	int rc = RC_OK;
	if (write) {
		/* the warnings' mask rides along (hidden: no part of the audit entry) */
		if (fresh)
			json_object_set_new(patch, "sla_warnings", json_integer((int)(fired | fresh)));
		if (sweeping) {
			sweeping->computed_for = id;
			sweeping->computed = r;
		}
		rc = resource_update_trusted(ctx, &ticket_resource, id, patch, NULL, &errors);
		if (sweeping)
			sweeping->computed_for = 0;
		(*written)++;
	}
	char stamp[TIME_RFC3339_LEN];
	time_format(now, stamp);
	for (int bit = 0; rc == RC_OK && bit < 8; bit++) {
		if (!(fresh & (1u << bit)))
			continue;
		const char *clock = bit < SLA_WARN_RESOLUTION_SHIFT ? "response" : "resolution";
		const char *pct = warn_names[bit % 4];
		char detail[96];
		snprintf(detail, sizeof(detail), "{\"clock\":\"%s\",\"percent\":%s}", clock, pct);
		rc = db_run_later(ctx->db,
			    "INSERT INTO ticket_events (ticket_id, at, kind, from_value, to_value, detail)"
			    " VALUES (?, ?, 'sla_warning', ?, ?, ?)",
			    "issss", id, stamp, clock, pct, detail);
		rc = rc == RC_DONE ? RC_OK : rc;
		/* "ticket.sla_warning" for the event outbox and its observers (notifications) */
		json_t *data = rc == RC_OK ? arena_json(ctx->arena, json_pack(
			"{s:s, s:i, s:O?}", "clock", clock, "percent", warn_percents[bit % 4],
			"due_at", json_object_get(computed, bit < SLA_WARN_RESOLUTION_SHIFT
							     ? "response_due_at"
							     : "resolution_due_at"))) : NULL;
		if (rc == RC_OK)
			rc = data ? resource_event(ctx, &ticket_resource, "sla_warning", id, data)
				  : RC_ERROR;
	}
	if (rc == RC_OK && fresh && !write) {
		json_t *mask = arena_json(ctx->arena,
					  json_pack("{s:i}", "sla_warnings", (int)(fired | fresh)));
		rc = mask ? resource_update_trusted(ctx, &ticket_resource, id, mask, NULL, &errors)
			  : RC_ERROR;
	}
	return rc;
}

/* What a batch's transaction reads once (see batch_txn). */
struct sweep_memo {
	struct notify_memo *notices;
	struct resource_refs *refs;
	struct resource_rows *rows;	/* the tickets written from what their page read */
	bool ahead;		/* notices' records created ahead (ctx.creates_ahead) */
};

/* One open ticket, read and computed in the writing transaction, then sweep_write. */
static int sweep_one(struct db *db, struct policy *p, int64_t id, int64_t now,
		     const struct sweep_memo *memo, int64_t *written)
{
	struct arena a;
	arena_init(&a);
	struct resource_ctx ctx = { .db = db, .arena = &a, .actor = &sweeper, .trusted = true,
				    .memo = memo->notices, .refs = memo->refs,
				    .creates_ahead = memo->ahead };
	json_t *t = NULL;
	int rc = resource_get(&ctx, &ticket_resource, id, &t);
	struct db_stmt *st;
	unsigned fired = 0;
	if (rc == RC_OK && db_run(db, &st, "SELECT sla_warnings FROM tickets WHERE id = ?", "i",
				  id) == RC_ROW) {
		fired = (unsigned)db_col_int(st, 0);
		db_done(st);
	}
	struct sla_change *h;
	size_t n;
	int64_t created = t ? time_of(t, "created_at") : 0;
	if (rc == RC_OK)
		rc = history_load(db, &a, id, created,
				  json_string_value(json_object_get(t, "status")), NULL, &h, &n);
	struct sla_input in;
	struct sla_result r;
	char err[SLA_ERR_LEN];
	if (rc == RC_OK) {
		input_of(&in, p, t, created, h, n, now);
		if (sla_compute(&in, &r, err, sizeof(err)) < 0)
			rc = RC_NOT_FOUND;	/* skipped: nothing to compute with */
	}
	json_t *computed = rc == RC_OK ? arena_json(&a, json_object()) : NULL;
	if (rc == RC_OK && !computed)
		rc = RC_ERROR;
	if (rc == RC_OK) {
		apply_result(computed, &r);
		rc = sweep_write(&ctx, p, id, json_string_value(json_object_get(t, "status")), t,
				 computed, &r, fired, now, written);
	}
	arena_release(&a);
	return rc == RC_NOT_FOUND ? RC_OK : rc;
}

/* Open tickets read a page at a time, swept for real a batch to a transaction. */
#define SWEEP_PAGE	500
#define SWEEP_BATCH	200
_Static_assert(SWEEP_BATCH <= RESOURCE_ROWS_MAX, "a batch's rows are read in one statement");

/* The open tickets of a page, in id order (SWEEP_PAGE at most; index tickets_sla_open). */
#define OPEN_TICKETS \
	"SELECT id FROM tickets WHERE status NOT IN ('resolved', 'closed', 'cancelled')" \
	" AND sla_policy_id IS NOT NULL AND id > ? ORDER BY id LIMIT 500"
_Static_assert(SWEEP_PAGE == 500, "the LIMIT of OPEN_TICKETS");

/* The columns of a page's tickets that the clocks are computed from and written to. */
enum {
	C_ID, C_POLICY, C_STATUS, C_PRIORITY, C_CREATED, C_RESPONDED, C_RESOLVED,
	C_RESPONSE_DUE, C_RESOLUTION_DUE, C_RESPONSE_BREACHED, C_RESOLUTION_BREACHED,
	C_PAUSED, C_WARNINGS, C_VERSION
};

/* One open ticket of a page, with its status history (from the page's arena). */
struct open_ticket {
	int64_t id, policy_id, version;
	const char *status, *priority;
	const char *created, *responded, *resolved;	/* as stored */
	const char *response_due, *resolution_due;	/* as stored; NULL for SQL NULL */
	bool response_breached, resolution_breached;
	int64_t paused_minutes;
	unsigned fired;
	struct sla_change *h;
	size_t nh;
};

static const char *page_text(struct arena *a, struct db_stmt *st, int col)
{
	const char *s = db_col_text(st, col);
	return s ? arena_strdup(a, s) : NULL;
}

static int64_t parsed_or_none(const char *s)
{
	int64_t t;
	return s && time_parse(s, &t) == 0 ? t : SLA_NONE;
}

/*
 * Reads the page of open tickets after id `after`, with their status
 * histories, into t (room for SWEEP_PAGE). Two statements, no transaction:
 * a ticket written between them (or since) has a new version, and
 * sweep_read then reads and computes it again in the writing transaction.
 */
static int page_read(struct db *db, struct arena *a, int64_t after, struct open_ticket *t,
		     int *nt)
{
	struct db_stmt *st = db_prepare(
		db, "SELECT id, sla_policy_id, status, priority, created_at, first_responded_at,"
		    " resolved_at, response_due_at, resolution_due_at, response_breached,"
		    " resolution_breached, paused_minutes, sla_warnings, version FROM tickets"
		    " WHERE id IN (" OPEN_TICKETS ") ORDER BY id");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, after);
	int n = 0, rc;
	while ((rc = db_step(st)) == RC_ROW && n < SWEEP_PAGE) {
		struct open_ticket *o = &t[n++];
		*o = (struct open_ticket){
			.id = db_col_int(st, C_ID),
			.policy_id = db_col_int(st, C_POLICY),
			.status = page_text(a, st, C_STATUS),
			.priority = page_text(a, st, C_PRIORITY),
			.created = page_text(a, st, C_CREATED),
			.responded = page_text(a, st, C_RESPONDED),
			.resolved = page_text(a, st, C_RESOLVED),
			.response_due = page_text(a, st, C_RESPONSE_DUE),
			.resolution_due = page_text(a, st, C_RESOLUTION_DUE),
			.response_breached = db_col_int(st, C_RESPONSE_BREACHED) != 0,
			.resolution_breached = db_col_int(st, C_RESOLUTION_BREACHED) != 0,
			.paused_minutes = db_col_int(st, C_PAUSED),
			.fired = (unsigned)db_col_int(st, C_WARNINGS),
			.version = db_col_int(st, C_VERSION),
		};
	}
	db_done(st);
	if (rc != RC_DONE && rc != RC_ROW)
		return rc;
	*nt = n;
	if (!n)
		return RC_OK;
	/* the histories, ticket by ticket in the page's order, each in event id order */
	st = db_prepare(db, "SELECT ticket_id, kind, at, to_value FROM ticket_events"
			    " WHERE ticket_id IN (" OPEN_TICKETS ") ORDER BY ticket_id, id");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, after);
	size_t cap = 4 * (size_t)n, used = 0;
	struct sla_change *h = arena_alloc(a, cap * sizeof(*h));
	int i = 0;
	while (h && (rc = db_step(st)) == RC_ROW) {
		int64_t id = db_col_int(st, 0), at;
		const char *to = db_col_text(st, 3);
		if (!history_kind(db_col_text(st, 1)) || !to || time_parse(db_col_text(st, 2), &at) < 0)
			continue;
		while (i < n && t[i].id < id)
			i++;
		if (i == n)
			break;	/* a ticket of a page read later */
		if (t[i].id != id)
			continue;	/* not open when the page was read */
		if (used == cap) {
			/* a larger array; the histories so far move along */
			struct sla_change *more = arena_alloc(a, 2 * cap * sizeof(*h));
			if (!more) {
				h = NULL;
				break;
			}
			memcpy(more, h, used * sizeof(*h));
			for (int j = 0; j <= i; j++)
				if (t[j].nh)
					t[j].h = more + (t[j].h - h);
			h = more;
			cap *= 2;
		}
		if (!t[i].nh)
			t[i].h = h + used;
		history_push(t[i].h, &t[i].nh, at, arena_strdup(a, to));
		used++;
	}
	db_done(st);
	if (!h)
		return RC_ERROR;
	return rc == RC_DONE || rc == RC_ROW ? RC_OK : rc;
}

/* Whether a stored due time is what r says (as the engine would compare the JSON). */
static bool same_due(const char *stored, bool has, int64_t due)
{
	if (!has)
		return stored == NULL;
	char s[TIME_RFC3339_LEN];
	time_format(due, s);
	return stored && strcmp(stored, s) == 0;
}

/*
 * Whether sweep_write would write anything for ticket o (its clocks as
 * computed now in *r): they differ from the stored ones (but for a paused
 * ticket's drift, which it leaves), or a warning is due. A ticket that
 * cannot be computed is left, as sweep_one leaves it.
 */
static bool needs_sweep(struct policy *p, const struct open_ticket *o, int64_t now,
			struct sla_result *r)
{
	int64_t created = parsed_or_none(o->created);
	struct sla_change one = { created, o->status };
	struct sla_input in;
	char err[SLA_ERR_LEN];
	input_set(&in, p, o->priority, created, parsed_or_none(o->responded),
		  parsed_or_none(o->resolved), o->nh ? o->h : &one, o->nh ? o->nh : 1, now);
	if (sla_compute(&in, r, err, sizeof(err)) < 0)
		return false;
	bool response_due = !same_due(o->response_due, r->response.has_target, r->response.due_at);
	bool resolution_due =
		!same_due(o->resolution_due, r->resolution.has_target, r->resolution.due_at);
	bool response_breached = o->response_breached != r->response.breached;
	bool resolution_breached = o->resolution_breached != r->resolution.breached;
	bool paused_minutes = o->paused_minutes != r->paused_minutes;
	bool changed = response_due || resolution_due || response_breached ||
		       resolution_breached || paused_minutes;
	bool drift = paused(p, o->status) && !response_due && !response_breached &&
		     !resolution_breached;
	return (changed && !drift) || sla_warnings_new(r, o->fired) != 0;
}

/*
 * Whether every input of the clocks is a column whose change makes a new
 * version (so that a ticket still at the version a page read was not
 * changed since; its status history is written by the same writes). True
 * of the ticket table as it is; checked so that a change to it cannot
 * leave the sweep trusting a stale page.
 */
static bool inputs_versioned(void)
{
	static const char *const inputs[] = { "sla_policy_id", "status", "priority",
					      "first_responded_at", "resolved_at", NULL };
	for (const char *const *m = inputs; *m; m++) {
		const struct field *f = resource_field(&ticket_resource, *m);
		if (!f || f->flags & (F_HIDDEN | F_KEPT))
			return false;
	}
	return true;
}

/*
 * One ticket as a page read it (o) with its clocks computed then (r):
 * when it is still at the version read, r stands and sweep_write writes
 * from what the page read; otherwise (or when trust is off) sweep_one
 * reads and computes it again.
 */
static int sweep_read(struct db *db, struct policy *p, const struct open_ticket *o,
		      const struct sla_result *r, bool trust, int64_t version, unsigned fired,
		      int64_t now, const struct sweep_memo *memo, int64_t *written)
{
	int rc;
	if (!trust || version != o->version)
		return sweep_one(db, p, o->id, now, memo, written);
	struct arena a;
	arena_init(&a);
	struct resource_ctx ctx = { .db = db, .arena = &a, .actor = &sweeper, .trusted = true,
				    .memo = memo->notices, .refs = memo->refs, .rows = memo->rows,
				    .creates_ahead = memo->ahead };
	/* the clock members as the record has them (see row_to_json) */
	json_t *stored = arena_json(&a, json_pack(
		"{s:s?, s:s?, s:b, s:b, s:I}", "response_due_at", o->response_due,
		"resolution_due_at", o->resolution_due, "response_breached", o->response_breached,
		"resolution_breached", o->resolution_breached, "paused_minutes",
		(json_int_t)o->paused_minutes));
	json_t *computed = arena_json(&a, json_object());
	rc = RC_ERROR;
	if (stored && computed) {
		apply_result(computed, r);
		rc = sweep_write(&ctx, p, o->id, o->status, stored, computed, r, fired, now,
				 written);
	}
	arena_release(&a);
	return rc;
}

/* A batch of tickets to sweep for real in one transaction. */
struct batch {
	struct policy **p;
	struct open_ticket *const *o;
	const struct sla_result *r;
	size_t n;
	int64_t now;
	bool trust;		/* inputs_versioned() */
	int64_t written;	/* by the last attempt */
	size_t failed;		/* the ticket that failed it, or n */
	bool ahead;		/* may read rows ahead (and so send updates ahead) */
};

/*
 * The version and fired warnings of a batch's tickets as its transaction
 * sees them, in one statement (ids past n bound as 0, so that every batch
 * is the same statement); version -1 for a ticket gone since its page.
 */
static char versions_sql[1024];
static pthread_once_t versions_once = PTHREAD_ONCE_INIT;

static void versions_sql_build(void)
{
	struct buf b;
	buf_init(&b, sizeof(versions_sql));
	buf_addstr(&b, "SELECT id, version, sla_warnings FROM tickets WHERE id IN (?");
	for (int i = 1; i < SWEEP_BATCH; i++)
		buf_addstr(&b, ", ?");
	buf_addstr(&b, ") ORDER BY id");
	if (!b.failed && b.len < sizeof(versions_sql))
		memcpy(versions_sql, buf_str(&b), b.len + 1);
	buf_release(&b);
}

static int batch_versions(struct db *db, const struct batch *b, int64_t *version,
			  unsigned *fired)
{
	pthread_once(&versions_once, versions_sql_build);
	/* locked: the batch writes them (db_txn_locking) */
	char sql[sizeof(versions_sql) + 32];
	snprintf(sql, sizeof(sql), "%s%s", versions_sql, db_for_update(db));
	struct db_stmt *st = versions_sql[0] ? db_prepare(db, sql) : NULL;
	if (!st)
		return RC_ERROR;
	for (size_t i = 0; i < SWEEP_BATCH; i++) {
		db_bind_int(st, (int)i + 1, i < b->n ? b->o[i]->id : 0);
		if (i < b->n)
			version[i] = -1;
	}
	int rc;
	size_t at = 0;
	while ((rc = db_step(st)) == RC_ROW) {
		int64_t id = db_col_int(st, 0);
		while (at < b->n && b->o[at]->id < id)
			at++;	/* the batch is in id order, and so are the rows */
		if (at < b->n && b->o[at]->id == id) {
			version[at] = db_col_int(st, 1);
			fired[at] = (unsigned)db_col_int(st, 2);
		}
	}
	db_done(st);
	return rc == RC_DONE ? RC_OK : rc;
}

static int batch_txn(struct db *db, void *arg)
{
	struct batch *b = arg;
	/* db_txn may run this again after a lost race: each attempt counts afresh */
	b->written = 0;
	b->failed = b->n;
	int64_t version[SWEEP_BATCH];
	unsigned fired[SWEEP_BATCH];
	int rc = batch_versions(db, b, version, fired);
	if (rc != RC_OK)
		return rc;
	/*
	 * the sweep writes tickets' clocks and notices: what notices read of
	 * users and settings holds, and so does what the records they refer
	 * to are
	 */
	struct arena a;
	arena_init(&a);
	/*
	 * the rows of the tickets written from their page's reading, in one
	 * statement, where each statement is a round trip (PostgreSQL); on
	 * SQLite a statement is a call, and reading ahead saves nothing. So
	 * are the notices' records created: a failure of either is found
	 * again with b->ahead off.
	 */
	bool ahead = b->ahead && b->trust && strcmp(db_dialect(db), "postgres") == 0;
	struct sweep_memo memo = { notify_memo_new(&a), resource_refs_new(&a), NULL, ahead };
	rc = memo.notices && memo.refs ? RC_OK : RC_ERROR;
	int64_t ids[SWEEP_BATCH];
	size_t nids = 0;
	for (size_t i = 0; ahead && i < b->n; i++)
		if (version[i] == b->o[i]->version)
			ids[nids++] = b->o[i]->id;
	if (rc == RC_OK && nids) {
		struct resource_ctx ctx = { .db = db, .arena = &a, .actor = &sweeper,
					    .trusted = true };
		rc = resource_rows_read(&ctx, &a, &ticket_resource, ids, nids, &memo.rows);
		/* and their companies, whose names the notices of warnings give */
		int64_t companies[SWEEP_BATCH];
		size_t ncompanies = 0;
		for (size_t i = 0; rc == RC_OK && i < nids; i++) {
			json_t *t = resource_rows_get(memo.rows, &ticket_resource, ids[i]);
			int64_t c = json_integer_value(json_object_get(t, "company_id"));
			size_t k = 0;
			while (k < ncompanies && companies[k] != c)
				k++;
			if (c && k == ncompanies)
				companies[ncompanies++] = c;
		}
		if (rc == RC_OK && ncompanies)
			rc = resource_rows_read(&ctx, &a, &company_resource, companies, ncompanies,
						&memo.rows);
	}
	for (size_t i = 0; rc == RC_OK && i < b->n; i++) {
		if (version[i] < 0)
			continue;	/* gone */
		rc = sweep_read(db, b->p[i], b->o[i], &b->r[i], b->trust, version[i], fired[i],
				b->now, &memo, &b->written);
		if (rc != RC_OK)
			b->failed = i;
	}
	arena_release(&a);
	return rc;
}

/* The sweep's tally: what sweep_batches counts, and the first error. */
struct tally {
	int64_t written, failed, first_failed;
	char *error;
	size_t errlen;
};

/*
 * Sweeps tickets o (policies p, clocks computed r) for real, SWEEP_BATCH
 * to a transaction, counted in t. A ticket that fails is swept again
 * alone: the others' work is kept and it is counted in t->failed (its id
 * in t->first_failed, the message logged). Returns 0, or -1 with a
 * message in t->error when a transaction fails for no one ticket (a
 * commit, lost races past db_txn's retries).
 */
static int sweep_batches(struct db *db, struct policy **p, struct open_ticket *const *o,
			 const struct sla_result *r, size_t n, int64_t now, struct tally *t)
{
	bool trust = inputs_versioned();
	size_t i = 0;
	while (i < n) {
		struct batch b = { p + i, o + i, r + i, n - i < SWEEP_BATCH ? n - i : SWEEP_BATCH,
				   now, trust, 0, 0, true };
		int rc = db_txn_locking(db, batch_txn, &b);
		if (rc != RC_OK && rc != RC_RETRY) {
			/*
			 * an update sent ahead fails at a later statement or the
			 * commit, whose ticket is not the one that failed: again,
			 * each update waited for, to find it
			 */
			b.ahead = false;
			rc = db_txn_locking(db, batch_txn, &b);
		}
		if (rc == RC_OK) {
			t->written += b.written;
			i += b.n;
			continue;
		}
		if (rc == RC_RETRY || b.failed >= b.n) {
			snprintf(t->error, t->errlen, "cannot sweep tickets %lld to %lld: %s",
				 (long long)b.o[0]->id, (long long)b.o[b.n - 1]->id, db_errmsg(db));
			return -1;
		}
		/* the tickets before the one that failed, without it; then it alone */
		size_t k = b.failed;
		b.n = k;
		if (k && db_txn_locking(db, batch_txn, &b) != RC_OK) {
			snprintf(t->error, t->errlen, "cannot sweep tickets %lld to %lld: %s",
				 (long long)b.o[0]->id, (long long)b.o[k - 1]->id, db_errmsg(db));
			return -1;
		}
		t->written += k ? b.written : 0;
		struct batch one = { p + i + k, o + i + k, r + i + k, 1, now, trust, 0, 0, false };
		rc = db_txn_locking(db, batch_txn, &one);
		if (rc == RC_OK) {
			t->written += one.written;
		} else {
			log_error("SLA sweep: cannot sweep ticket %lld: %s", (long long)one.o[0]->id,
				  db_errmsg(db));
			if (!t->failed++)
				t->first_failed = one.o[0]->id;
		}
		i += k + 1;
	}
	return 0;
}

/*
 * On PostgreSQL a page's tickets are swept by two threads, each with its
 * connection: one transaction waits on the database while the other
 * works (one connection keeps one of two cores idle half the time). Their
 * batches lock their own tickets (db_txn_locking), so that they never
 * fail each other. The helper has its policies of its own (their
 * calendars memoise). It starts with the first page of HELPER_MIN
 * tickets to write (a sweep that changes a few needs no connection more).
 */
#define HELPER_MIN 64

struct helper {
	pthread_t thread;
	struct db *db;		/* its connection */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool work, quit;
	bool held;		/* work handed over whose result sweep_page has not added */
	/* the work: as sweep_batches takes it */
	struct open_ticket *const *o;
	const struct sla_result *r;
	size_t n;
	int64_t now;
	/* its result */
	int status;
	struct tally tally;	/* its error in error */
	char error[256];
};

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	struct policy_cache cache = { .n = 0 };
	struct policy **pols = xmalloc(SWEEP_PAGE * sizeof(*pols));
	struct db *db = h->db;
	sweeping = &cache;
	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->work && !h->quit)
			pthread_cond_wait(&h->cond, &h->lock);
		if (h->quit)
			break;
		pthread_mutex_unlock(&h->lock);
		size_t n = 0;
		int status = pols ? 0 : -1;
		for (size_t i = 0; status == 0 && i < h->n; i++, n++)
			if (!(pols[i] = cached_policy(db, &cache, h->o[i]->policy_id)))
				status = -1;	/* logged by policy_load */
		if (status < 0)
			snprintf(h->error, sizeof(h->error), "%s",
				 pols ? "cannot load a policy" : "out of memory");
		else
			status = sweep_batches(db, pols, h->o, h->r, n, h->now, &h->tally);
		pthread_mutex_lock(&h->lock);
		h->status = status;
		h->work = false;
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	sweeping = NULL;
	for (int i = 0; i < cache.n; i++)
		policy_release(&cache.p[i]);
	xfree(pols);
	return NULL;
}

/* A helper with its connection to db's database, or NULL (logged): the sweep goes on alone. */
static struct helper *helper_start(struct db *db)
{
	struct helper *h = xcalloc(1, sizeof(*h));
	char err[512] = "out of memory";
	if (!h || db_connect_again(db, &h->db, err, sizeof(err)) != RC_OK) {
		log_warn("SLA sweep: on one connection: %s", err);
		xfree(h);
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pthread_create(&h->thread, NULL, helper_main, h) != 0) {
		log_warn("SLA sweep: on one thread: cannot start another");
		pthread_mutex_destroy(&h->lock);
		pthread_cond_destroy(&h->cond);
		db_disconnect(h->db);
		xfree(h);
		return NULL;
	}
	return h;
}

static void helper_stop(struct helper *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->quit = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	db_disconnect(h->db);
	xfree(h);
}

/*
 * Waits for the work the helper has in hand, if any, and adds its result
 * to t (its failures after those counted before: its tickets came after
 * them). Returns -1 when it failed for no one ticket.
 */
static int helper_collect(struct helper *h, struct tally *t)
{
	if (!h || !h->held)
		return 0;
	pthread_mutex_lock(&h->lock);
	while (h->work)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
	h->held = false;
	t->written += h->tally.written;
	if (h->tally.failed && !t->failed)
		t->first_failed = h->tally.first_failed;
	t->failed += h->tally.failed;
	if (h->status < 0) {
		snprintf(t->error, t->errlen, "%s", h->error);
		return -1;
	}
	return 0;
}

/*
 * Sweeps a page's changed tickets: the last 53 % handed to the helper
 * (*hp, started if need be while *helpable), the rest done here. The
 * helper's part may still be in hand when this returns: the caller reads
 * and computes the next page meanwhile (into the other buffer), and the
 * next call, or helper_collect, waits for it first. This thread's share
 * is the smaller for that reading (the 1M sweep 10.3-10.9 s with halves
 * and a wait at each page's end, 9.2-10.1 s so).
 */
static int sweep_page(struct db *db, struct helper **hp, bool *helpable, struct policy **p,
		      struct open_ticket *const *o, const struct sla_result *r, size_t n,
		      int64_t now, struct tally *t)
{
	if (n >= HELPER_MIN && !*hp && *helpable)
		*helpable = (*hp = helper_start(db)) != NULL;
	struct helper *h = *hp;
	if (helper_collect(h, t) < 0)
		return -1;
	size_t mine = h && n >= HELPER_MIN ? n * 47 / 100 : n;
	if (mine < n) {
		pthread_mutex_lock(&h->lock);
		h->o = o + mine;
		h->r = r + mine;
		h->n = n - mine;
		h->now = now;
		h->tally = (struct tally){ .error = h->error, .errlen = sizeof(h->error) };
		h->work = h->held = true;
		pthread_cond_broadcast(&h->cond);
		pthread_mutex_unlock(&h->lock);
	}
	return sweep_batches(db, p, o, r, mine, now, t);
}

/*
 * A page as read and computed. Two take turns: the helper may still be
 * writing the part it was handed of one (pointers into it) while the
 * next is read into the other.
 */
struct sweep_buf {
	struct arena a;
	struct open_ticket *page;
	struct open_ticket **changed;
	struct sla_result *results;
};

int sla_sweep(struct db *db, int64_t now, int64_t *tickets, int64_t *written, char *error,
	      size_t errlen)
{
	struct policy_cache cache = { .n = 0 };
	struct sweep_buf buf[2];
	bool ok = true;
	for (int k = 0; k < 2; k++) {
		arena_init(&buf[k].a);
		buf[k].page = xmalloc(SWEEP_PAGE * sizeof(*buf[k].page));
		buf[k].changed = xmalloc(SWEEP_PAGE * sizeof(*buf[k].changed));
		buf[k].results = xmalloc(SWEEP_PAGE * sizeof(*buf[k].results));
		ok = ok && buf[k].page && buf[k].changed && buf[k].results;
	}
	struct policy **pols = xmalloc(SWEEP_PAGE * sizeof(*pols));
	struct tally t = { .error = error, .errlen = errlen };
	int64_t after = 0;
	*tickets = 0;
	int status = 0;
	if (!ok || !pols) {
		snprintf(error, errlen, "out of memory");
		status = -1;
	}
	sweeping = &cache;
	/* see sweep_page */
	struct helper *h = NULL;
	bool helpable = strcmp(db_dialect(db), "postgres") == 0;
	for (int turn = 0; status == 0; turn ^= 1) {
		struct sweep_buf *b = &buf[turn];
		arena_release(&b->a);	/* the helper's half of its page was collected */
		arena_init(&b->a);
		int n = 0;
		int rc = page_read(db, &b->a, after, b->page, &n);
		if (rc != RC_OK) {
			snprintf(error, errlen, "cannot read open tickets: %s", db_errmsg(db));
			status = -1;
			break;
		}
		size_t nsweep = 0;
		for (int i = 0; i < n; i++) {
			struct policy *p = cached_policy(db, &cache, b->page[i].policy_id);
			if (!p)
				continue;	/* logged by policy_load */
			if (needs_sweep(p, &b->page[i], now, &b->results[nsweep])) {
				pols[nsweep] = p;
				b->changed[nsweep++] = &b->page[i];
			}
		}
		if (n)
			after = b->page[n - 1].id;
		*tickets += n;
		/*
		 * the helper may keep the half it was handed while the next page
		 * is read into the other buffer, not past it: this one is next
		 */
		if (nsweep ? sweep_page(db, &h, &helpable, pols, b->changed, b->results, nsweep,
					now, &t) < 0
			   : helper_collect(h, &t) < 0)
			status = -1;
		if (n < SWEEP_PAGE)
			break;
	}
	if (helper_collect(h, &t) < 0 && status == 0)
		status = -1;
	helper_stop(h);
	sweeping = NULL;
	*written = t.written;
	if (status == 0 && t.failed) {
		snprintf(error, errlen, "cannot sweep %lld tickets, the first %lld (logged)",
			 (long long)t.failed, (long long)t.first_failed);
		status = -1;
	}
	for (int i = 0; i < cache.n; i++)
		policy_release(&cache.p[i]);
	for (int k = 0; k < 2; k++) {
		arena_release(&buf[k].a);
		xfree(buf[k].page);
		xfree(buf[k].changed);
		xfree(buf[k].results);
	}
	xfree(pols);
	return status;
}

enum job_result sla_sweep_run(struct db *db, const json_t *payload, char *error, size_t errlen)
{
	int64_t tickets, written;
	int64_t t0 = time_now(), started = time_mono_ns();
	/*
	 * A sweep that took longer than its minute finds the next one due:
	 * that one will do the work, so this one steps aside rather than let
	 * the queue grow behind a slow sweep. (servio worker --run forces it.)
	 */
	char t_now[TIME_RFC3339_LEN];
	time_format(t0, t_now);
	struct db_stmt *st;
	if (!json_is_true(json_object_get(payload, "forced")) &&
	    db_run(db, &st, "SELECT COUNT(*) FROM jobs WHERE kind = 'sla' AND state = 'queued'"
			    " AND run_at <= ?",
		   "s", t_now) == RC_ROW) {
		int64_t later = db_col_int(st, 0);
		db_done(st);
		if (later > 0) {
			log_info("SLA sweep skipped: a later one is due");
			return JOB_DONE;
		}
	}
	if (sla_sweep(db, time_now(), &tickets, &written, error, errlen) < 0)
		return JOB_RETRY;
	log_info("SLA sweep: %lld open tickets, %lld changed, %.1f s", (long long)tickets,
		 (long long)written, (double)(time_mono_ns() - started) / 1e9);
	return JOB_DONE;
}
