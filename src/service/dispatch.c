/*
 * dispatch.c - who should take a ticket. Every active technician is scored
 * on what the ticket needs (required skills, certifications valid today)
 * and on what they already carry (open tickets, appointments booked in the
 * next 24 hours), and each gets the reasons in words, so a dispatcher can
 * see why the list is in this order rather than trust a number.
 */
#include "service.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

struct candidate {
	json_t *json;
	bool eligible;
	int skills_matched;
	int64_t open_tickets;
	int64_t booked_minutes;
	const char *name;
};

static int compare(const void *pa, const void *pb)
{
	const struct candidate *a = pa, *b = pb;
	if (a->eligible != b->eligible)
		return a->eligible ? -1 : 1;
	if (a->skills_matched != b->skills_matched)
		return b->skills_matched - a->skills_matched;
	if (a->open_tickets != b->open_tickets)
		return a->open_tickets < b->open_tickets ? -1 : 1;
	if (a->booked_minutes != b->booked_minutes)
		return a->booked_minutes < b->booked_minutes ? -1 : 1;
	return strcmp(a->name, b->name);
}

static bool has_string(const json_t *array, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(array, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* Skills: matched count, missing list and a reason. */
static void score_skills(struct candidate *c, const json_t *need, const json_t *have,
			 json_t *reasons)
{
	json_t *missing = json_array();
	size_t i;
	const json_t *s;
	json_array_foreach(need, i, s) {
		if (has_string(have, json_string_value(s)))
			c->skills_matched++;
		else
			json_array_append(missing, (json_t *)s);
	}
	if (json_array_size(need) == 0)
		json_array_append_new(reasons, json_string("the ticket needs no particular skill"));
	else if (json_array_size(missing) == 0)
		json_array_append_new(reasons, json_string("has every required skill"));
	else {
		/* "lacks skill: printers", "lacks skills: printers, wifi" */
		struct buf list;
		buf_init(&list, 0);
		size_t k;
		const json_t *skill;
		json_array_foreach(missing, k, skill)
			buf_addf(&list, "%s%s", k ? ", " : "", json_string_value(skill));
		json_array_append_new(reasons, json_sprintf("lacks skill%s: %s",
							    json_array_size(missing) > 1 ? "s" : "",
							    list.failed ? "" : buf_str(&list)));
		buf_release(&list);
		c->eligible = false;
	}
	json_object_set_new(c->json, "skills_matched", json_integer(c->skills_matched));
	json_object_set_new(c->json, "skills_missing", missing);
}

/* Certifications: each required one valid, expired or missing today. */
static int score_certifications(struct resource_ctx *ctx, struct candidate *c, int64_t user,
				const json_t *need, const char *today, json_t *reasons)
{
	json_t *certs = json_array();
	json_object_set_new(c->json, "certifications", certs);
	size_t i;
	const json_t *name;
	json_array_foreach(need, i, name) {
		const char *n = json_string_value(name);
		struct db_stmt *st;
		/* the latest expiry wins; no expiry at all is forever */
		int rc = db_run(ctx->db, &st,
				"SELECT COUNT(*), SUM(CASE WHEN expires_on IS NULL THEN 1 ELSE 0 END),"
				" MAX(expires_on) FROM user_certifications"
				" WHERE user_id = ? AND name = ? AND archived_at IS NULL",
				"is", user, n);
		if (rc != RC_ROW)
			return rc;
		int64_t count = db_col_int(st, 0), forever = db_col_int(st, 1);
		const char *until = db_col_text(st, 2);
		json_t *entry = json_pack("{s:s, s:s?}", "name", n, "expires_on",
					  forever ? NULL : until);
		const char *status;
		if (!count) {
			status = "missing";
			json_array_append_new(reasons, json_sprintf("has no %s certification", n));
		} else if (forever || (until && strcmp(until, today) >= 0)) {
			status = "valid";
			json_array_append_new(reasons,
					      forever ? json_sprintf("%s certification does not expire", n)
						      : json_sprintf("%s certification valid until %s", n,
								     until));
		} else {
			status = "expired";
			json_array_append_new(reasons, json_sprintf("%s certification expired on %s",
								    n, until ? until : "?"));
		}
		db_done(st);
		if (strcmp(status, "valid") != 0)
			c->eligible = false;
		json_object_set_new(entry, "status", json_string(status));
		json_array_append_new(certs, entry);
	}
	return RC_OK;
}

/* Open tickets and minutes booked in [now, now + 24 h). */
static int score_load(struct resource_ctx *ctx, struct candidate *c, int64_t user,
		      json_t *reasons)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"SELECT COUNT(*) FROM tickets WHERE assignee_id = ?"
			" AND status NOT IN ('resolved', 'closed', 'cancelled')",
			"i", user);
	if (rc != RC_ROW)
		return rc;
	c->open_tickets = db_col_int(st, 0);
	db_done(st);
	char from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN];
	time_format(ctx->now, from);
	time_format(ctx->now + 24 * 3600, to);
	st = db_prepare(ctx->db, "SELECT starts_at, ends_at FROM appointments WHERE user_id = ?"
				 " AND starts_at < ? AND ends_at > ? AND status <> 'cancelled'"
				 " AND archived_at IS NULL");
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, user);
	db_bind_text(st, 2, to);
	db_bind_text(st, 3, from);
	int64_t s, e, lo = ctx->now, hi = ctx->now + 24 * 3600;
	while ((rc = db_step(st)) == RC_ROW) {
		if (time_parse(db_col_text(st, 0), &s) < 0 || time_parse(db_col_text(st, 1), &e) < 0)
			continue;
		s = s < lo ? lo : s;
		e = e > hi ? hi : e;
		if (e > s)
			c->booked_minutes += (e - s) / 60;
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc;
	json_array_append_new(reasons, json_sprintf("%lld open ticket%s",
						    (long long)c->open_tickets,
						    c->open_tickets == 1 ? "" : "s"));
	json_array_append_new(reasons,
			      json_sprintf("%lld h %02lld min booked in the next 24 hours",
					   (long long)(c->booked_minutes / 60),
					   (long long)(c->booked_minutes % 60)));
	json_object_set_new(c->json, "open_tickets", json_integer(c->open_tickets));
	json_object_set_new(c->json, "booked_minutes_next_24h", json_integer(c->booked_minutes));
	return RC_OK;
}

int ticket_candidates(struct resource_ctx *ctx, int64_t id, json_t **out)
{
	json_t *ticket;
	int rc = resource_get(ctx, &ticket_resource, id, &ticket);
	if (rc != RC_OK)
		return rc;
	const json_t *skills = json_object_get(ticket, "required_skills");
	const json_t *certs = json_object_get(ticket, "required_certifications");
	char today[TIME_RFC3339_LEN];
	time_format(ctx->now, today);
	today[10] = '\0';

	/* the technicians first, then one look each at their certifications and load */
	struct db_stmt *st = db_prepare(ctx->db,
					"SELECT id, name, email, skills FROM users WHERE active = 1"
					" AND archived_at IS NULL AND role = 'technician' ORDER BY name, id");
	if (!st)
		return RC_ERROR;
	size_t n = 0, cap = 16;
	struct candidate *c = xcalloc(cap, sizeof(*c));
	while (c && (rc = db_step(st)) == RC_ROW) {
		if (n == cap) {
			struct candidate *more = xrealloc(c, 2 * cap * sizeof(*c));
			if (!more)
				break;
			c = more;
			memset(c + cap, 0, cap * sizeof(*c));
			cap *= 2;
		}
		json_t *have = json_loads(db_col_text(st, 3), 0, NULL);
		c[n].json = json_pack("{s:I, s:s, s:s, s:o}", "user_id", db_col_int(st, 0), "name",
				      db_col_text(st, 1), "email", db_col_text(st, 2), "skills",
				      have ? have : json_array());
		c[n].name = arena_strdup(ctx->arena, db_col_text(st, 1));
		c[n].eligible = true;
		n++;
	}
	db_done(st);
	int status = c && (rc == RC_DONE || rc == RC_ROW) ? RC_OK : RC_ERROR;
	for (size_t i = 0; status == RC_OK && i < n; i++) {
		json_t *reasons = json_array();
		int64_t user = json_integer_value(json_object_get(c[i].json, "user_id"));
		score_skills(&c[i], skills, json_object_get(c[i].json, "skills"), reasons);
		status = score_certifications(ctx, &c[i], user, certs, today, reasons);
		if (status == RC_OK)
			status = score_load(ctx, &c[i], user, reasons);
		json_object_set_new(c[i].json, "eligible", json_boolean(c[i].eligible));
		json_object_set_new(c[i].json, "reasons", reasons);
	}
	if (status == RC_OK) {
		qsort(c, n, sizeof(*c), compare);
		json_t *list = json_array();
		for (size_t i = 0; i < n; i++) {
			json_object_set_new(c[i].json, "rank", json_integer((json_int_t)i + 1));
			json_array_append(list, c[i].json);
		}
		*out = arena_json(ctx->arena,
				  json_pack("{s:I, s:O, s:O, s:o}", "ticket_id", (json_int_t)id,
					    "required_skills", skills, "required_certifications",
					    certs, "candidates", list));
		if (!*out)
			status = RC_ERROR;
	}
	for (size_t i = 0; c && i < n; i++)
		json_decref(c[i].json);
	xfree(c);
	return status == RC_RETRY ? RC_ERROR : status;
}
