/*
 * surveys.c - satisfaction surveys (see surveys.h): the resource, the
 * observer that makes a resolved ticket's survey, the secret link, and
 * answering with its rules (the window to change, the negative-rating
 * alert and follow-up).
 */
#include "surveys.h"

#include "auth/auth.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "mail/mail.h"
#include "notify/notify.h"
#include "service/service.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The resource ----------------------------------------------------------------- */

static const struct field survey_fields[] = {
	{ .name = "ticket_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER | F_NOT_NULL,
	  .ref = &ticket_resource, .doc = "The service order it asks about (one survey each)." },
	{ .name = "company_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER | F_NOT_NULL,
	  .ref = &company_resource, .doc = "The ticket's client." },
	{ .name = "contact_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &contact_resource, .doc = "The ticket's contact, whom it was sent to." },
	{ .name = "technician_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &user_resource,
	  .doc = "Who had the ticket when it was (last) resolved; null when nobody." },
	{ .name = "sent_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT | F_NOT_NULL,
	  .doc = "When the ticket was (last) resolved, which made or sent the survey again." },
	{ .name = "answered", .type = FT_BOOL, .flags = F_READ_ONLY | F_FILTER | F_NOT_NULL,
	  .dflt = "false", .doc = "Whether the client has answered." },
	{ .name = "rating", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER | F_SORT, .min = 1,
	  .max = 5, .doc = "1 (very poor) to 5 (excellent); null until answered." },
	{ .name = "comment", .type = FT_TEXT, .flags = F_READ_ONLY, .max = SURVEY_COMMENT_MAX,
	  .doc = "The client's words, if any." },
	{ .name = "answered_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When the answer was given (or last changed)." },
	{ .name = "first_answered_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "The first answer: it may be changed for 7 days after it." },
	{ .name = "alerted_user_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &user_resource,
	  .doc = "The manager a rating of 1 or 2 opened a follow-up for." },
	{ .name = "url", .type = FT_TEXT, .flags = F_READ_ONLY | F_COMPUTED, .max = 2100,
	  .doc = "The client's link, to pass on another way: settings `public_url` + "
		 "`/s/<token>`, or `/s/<token>` when `public_url` is unset." },
	{ .name = "token_hash", .type = FT_TEXT, .flags = F_HIDDEN },
	FIELD_END
};

static const struct field answer_fields[] = {
	{ .name = "rating", .type = FT_INT, .flags = F_REQUIRED, .min = 1, .max = 5,
	  .doc = "1 (very poor) to 5 (excellent)." },
	{ .name = "comment", .type = FT_TEXT, .min = 0, .max = SURVEY_COMMENT_MAX,
	  .doc = "Anything the client wants to add." },
	FIELD_END
};

static int answer(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors);

/* The server's own: survey_answer_ticket applies it (no route). */
static const struct resource_action answer_action = {
	.name = "answer", .body = answer_fields, .event = "answered", .apply = answer,
	.summary = "The client's answer",
};
static const struct resource_action *const survey_actions[] = { &answer_action, NULL };

const struct resource survey_resource = {
	.name = "surveys",
	.singular = "survey",
	.table = "surveys",
	.fields = survey_fields,
	.default_sort = "-sent_at",
	.company_field = "company_id",
	.actions = survey_actions,
	.event = "survey",
	.doc = "Satisfaction surveys: one per resolved service order, made when it is resolved "
	       "and answered by the client through its link (`url`) or the portal with a "
	       "`rating` of 1 to 5 and an optional `comment`; an answer may be changed for 7 days. "
	       "Read-only: nobody makes or edits one by hand.",
};

/* The link --------------------------------------------------------------------- */

#define KEY_NAME "surveys"

/* The server's key for survey links, made once on first use (make): RC_OK or not. */
static int link_key(struct resource_ctx *ctx, bool make, unsigned char key[AUTH_KEY_BYTES])
{
	return auth_server_key(ctx->db, KEY_NAME, make, ctx->now ? ctx->now : time_now(), key);
}

/* The token of ticket's survey (base64url, 43 characters) into out. */
static void derive_token(const unsigned char *key, int64_t ticket_id, char out[AUTH_TOKEN_LEN])
{
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "survey:ticket:%lld", (long long)ticket_id);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, key);
	sodium_bin2base64(out, AUTH_TOKEN_LEN, mac, sizeof(mac),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static const char *url_with(struct resource_ctx *ctx, const char *base,
			    const unsigned char *key, int64_t ticket_id)
{
	char token[AUTH_TOKEN_LEN];
	derive_token(key, ticket_id, token);
	return arena_printf(ctx->arena, "%s/s/%s", base ? base : "", token);
}

const char *survey_url(struct resource_ctx *ctx, const json_t *survey)
{
	unsigned char key[AUTH_KEY_BYTES];
	if (link_key(ctx, false, key) != RC_OK)
		return NULL;
	const char *url = url_with(ctx, settings_public_url(ctx), key, num(survey, "ticket_id"));
	sodium_memzero(key, sizeof(key));
	return url;
}

int survey_add_urls(struct resource_ctx *ctx, json_t *list)
{
	if (!json_array_size(list))
		return RC_OK;
	unsigned char key[AUTH_KEY_BYTES];
	int rc = link_key(ctx, false, key);
	if (rc != RC_OK)
		return rc;
	const char *base = settings_public_url(ctx);
	size_t i;
	json_t *rec;
	json_array_foreach(list, i, rec) {
		const char *url = url_with(ctx, base, key, num(rec, "ticket_id"));
		if (!url) {
			rc = RC_ERROR;
			break;
		}
		json_object_set_new(rec, "url", json_string(url));
	}
	sodium_memzero(key, sizeof(key));
	return rc;
}

int survey_by_token(struct resource_ctx *ctx, const char *token, int64_t *ticket_id)
{
	if (!token || strlen(token) != AUTH_TOKEN_LEN - 1)
		return RC_NOT_FOUND;
	char hash[65];
	auth_sha256_hex(token, hash);
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT ticket_id FROM surveys WHERE token_hash = ?"
			" AND archived_at IS NULL", "s", hash);
	if (rc == RC_DONE)
		return RC_NOT_FOUND;
	if (rc != RC_ROW)
		return rc;
	*ticket_id = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

/* Making one --------------------------------------------------------------------- */

static const struct audit_actor survey_actor = { .label = "surveys" };

/* The survey id of a ticket: RC_OK, RC_NOT_FOUND or a failure. */
static int survey_of(struct resource_ctx *ctx, int64_t ticket_id, int64_t *id)
{
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, "SELECT id FROM surveys WHERE ticket_id = ?", "i", ticket_id);
	if (rc == RC_DONE)
		return RC_NOT_FOUND;
	if (rc != RC_ROW)
		return rc;
	*id = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

static int report_errors(const char *what, int rc, json_t *errors)
{
	if (rc == RC_INVALID || rc == RC_CONFLICT) {
		char *e = json_dumps(errors, JSON_COMPACT);
		log_error("surveys: cannot %s: %s", what, e ? e : "");
		free(e);
		return RC_ERROR;
	}
	return rc;
}

/* sys: a trusted, unscoped copy of ctx (the server's own writes). */
static struct resource_ctx system_ctx(const struct resource_ctx *ctx)
{
	struct resource_ctx sys = *ctx;
	sys.parent_id = 0;
	sys.trusted = true;
	sys.scope_company = 0;
	sys.action = NULL;
	if (!sys.actor)
		sys.actor = &survey_actor;
	return sys;
}

int survey_ensure(struct resource_ctx *ctx, const json_t *ticket, json_t **out)
{
	struct resource_ctx sys = system_ctx(ctx);
	int64_t ticket_id = num(ticket, "id"), id = 0;
	int rc = survey_of(&sys, ticket_id, &id);
	if (rc == RC_OK)
		return resource_get(&sys, &survey_resource, id, out);
	if (rc != RC_NOT_FOUND)
		return rc;
	unsigned char key[AUTH_KEY_BYTES];
	rc = link_key(&sys, true, key);
	if (rc != RC_OK)
		return rc;
	char token[AUTH_TOKEN_LEN], hash[65], now[TIME_RFC3339_LEN];
	derive_token(key, ticket_id, token);
	sodium_memzero(key, sizeof(key));
	auth_sha256_hex(token, hash);
	time_format(sys.now ? sys.now : time_now(), now);
	json_t *row = arena_json(sys.arena, json_pack(
		"{s:I, s:I, s:s, s:s, s:b}", "ticket_id", (json_int_t)ticket_id, "company_id",
		(json_int_t)num(ticket, "company_id"), "sent_at", now, "token_hash", hash,
		"answered", 0));
	if (!row)
		return RC_ERROR;
	if (num(ticket, "contact_id"))
		json_object_set(row, "contact_id", json_object_get(ticket, "contact_id"));
	if (num(ticket, "assignee_id"))
		json_object_set(row, "technician_id", json_object_get(ticket, "assignee_id"));
	json_t *errors = NULL;
	rc = resource_create_trusted(&sys, &survey_resource, row, out, &errors);
	return report_errors("make a survey", rc, errors);
}

/* Resolved by the action, or by a PATCH of its status (resolved_at is set by that write). */
static bool resolved_event(const char *type, const json_t *data)
{
	if (strcmp(type, "ticket.resolved") == 0)
		return true;
	return strcmp(type, "ticket.updated") == 0 && str(data, "status") &&
	       strcmp(str(data, "status"), "resolved") == 0 && str(data, "resolved_at") &&
	       str(data, "updated_at") && strcmp(str(data, "resolved_at"), str(data, "updated_at")) == 0;
}

/* A resolved ticket's survey: made, or (resolved again) sent again with its answer kept. */
static int observe(struct resource_ctx *ctx, const char *type, const struct resource *res,
		   int64_t id, const json_t *data)
{
	if (res != &ticket_resource || !resolved_event(type, data))
		return RC_OK;
	struct resource_ctx sys = system_ctx(ctx);
	json_t *ticket, *survey;
	int rc = resource_get(&sys, &ticket_resource, id, &ticket);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_OK : rc;
	rc = survey_ensure(&sys, ticket, &survey);
	if (rc != RC_OK)
		return rc;
	char now[TIME_RFC3339_LEN];
	time_format(sys.now, now);
	if (str(survey, "sent_at") && strcmp(str(survey, "sent_at"), now) == 0)
		return RC_OK;	/* made just now (by this observer or the resolved mail) */
	json_t *patch = arena_json(sys.arena, json_pack("{s:s, s:O}", "sent_at", now,
							"technician_id",
							num(ticket, "assignee_id")
								? json_object_get(ticket, "assignee_id")
								: json_null()));
	if (!patch)
		return RC_ERROR;
	if (num(ticket, "contact_id"))
		json_object_set(patch, "contact_id", json_object_get(ticket, "contact_id"));
	json_t *out, *errors = NULL;
	rc = resource_update_trusted(&sys, &survey_resource, num(survey, "id"), patch, &out, &errors);
	return report_errors("send a survey again", rc, errors);
}

void survey_startup(void)
{
	resource_observe(observe);
}

/* Answering ------------------------------------------------------------------------ */

int survey_decode_answer(const json_t *body, int *rating, const char **comment, json_t *errors)
{
	int n = resource_validate_fields(answer_fields, "survey answer", body, errors);
	if (n)
		return n;
	*rating = (int)num(body, "rating");
	*comment = str(body, "comment");
	return 0;
}

/* The end of the window to change an answer first given at first (RFC 3339), into out. */
static bool changeable_until(const char *first, char out[TIME_RFC3339_LEN])
{
	int64_t t;
	if (!first || time_parse(first, &t) < 0)
		return false;
	time_format(t + (int64_t)SURVEY_CHANGE_DAYS * 86400, out);
	return true;
}

static int history(struct resource_ctx *ctx, int64_t ticket, const char *kind, const char *from,
		   const char *to, const char *detail)
{
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	int rc = db_run(ctx->db, NULL,
			"INSERT INTO ticket_events (ticket_id, at, kind, from_value, to_value,"
			" actor_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
			"issssns", ticket, now, kind, from, to, detail);
	return rc == RC_DONE ? RC_OK : rc;
}

/*
 * Whom a bad rating alerts: the assignee's manager when it has one (active),
 * else every active manager; *first is whom the follow-up is for.
 */
static int managers_for(struct resource_ctx *ctx, const json_t *ticket, int64_t *ids, int max,
			int *n)
{
	*n = 0;
	json_t *assignee, *manager;
	if (num(ticket, "assignee_id") &&
	    resource_get(ctx, &user_resource, num(ticket, "assignee_id"), &assignee) == RC_OK &&
	    num(assignee, "manager_id") &&
	    resource_get(ctx, &user_resource, num(assignee, "manager_id"), &manager) == RC_OK &&
	    json_is_true(json_object_get(manager, "active"))) {
		ids[(*n)++] = num(manager, "id");
		return RC_OK;
	}
	struct db_stmt *st = db_prepare(ctx->db, "SELECT id FROM users WHERE role = 'manager'"
					" AND active = 1 AND archived_at IS NULL ORDER BY id");
	if (!st)
		return RC_ERROR;
	int rc;
	while ((rc = db_step(st)) == RC_ROW && *n < max)
		ids[(*n)++] = db_col_int(st, 0);
	db_done(st);
	return rc == RC_DONE || rc == RC_ROW ? RC_OK : rc;
}

/* A rating of 1 or 2: the managers told, a follow-up opened for the first, a history entry. */
static int alert(struct resource_ctx *ctx, json_t *rec, int rating, const char *comment)
{
	struct resource_ctx sys = system_ctx(ctx);
	json_t *ticket, *contact;
	int64_t ticket_id = num(rec, "ticket_id");
	int rc = resource_get(&sys, &ticket_resource, ticket_id, &ticket);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_ERROR : rc;
	const char *client = "the client";
	if (num(rec, "contact_id") &&
	    resource_get(&sys, &contact_resource, num(rec, "contact_id"), &contact) == RC_OK)
		client = arena_printf(sys.arena, "%s %s", str(contact, "first_name"),
				      str(contact, "last_name"));
	int64_t managers[64];
	int n;
	if ((rc = managers_for(&sys, ticket, managers, 64, &n)) != RC_OK)
		return rc;
	const char *excerpt = comment && *comment ? mail_truncate(sys.arena, comment, 300) : NULL;
	const char *note = arena_printf(sys.arena, "Rated %d/5 by %s%s%s", rating, client,
					excerpt ? ": " : "", excerpt ? excerpt : "");
	if (!note)
		return RC_ERROR;
	char now[TIME_RFC3339_LEN];
	time_format(sys.now, now);
	json_t *patch = arena_json(sys.arena, json_pack("{s:s, s:s}", "follow_up_at", now,
							"follow_up_note",
							mail_truncate(sys.arena, note, 1000)));
	if (!patch)
		return RC_ERROR;
	json_object_set_new(patch, "follow_up_user_id",
			    n ? json_integer(managers[0]) : json_null());
	json_t *out, *errors = NULL;
	rc = resource_update_trusted(&sys, &ticket_resource, ticket_id, patch, &out, &errors);
	if ((rc = report_errors("open a follow-up", rc, errors)) != RC_OK)
		return rc;
	if (n)
		json_object_set_new(rec, "alerted_user_id", json_integer(managers[0]));
	rc = history(&sys, ticket_id, "negative_rating", NULL,
		     arena_printf(sys.arena, "%d", rating), note);
	if (rc != RC_OK)
		return rc;
	return notify_negative_rating(&sys, ticket, rating, client, comment, managers, n);
}

static int answer(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors)
{
	char now[TIME_RFC3339_LEN], until[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	if (changeable_until(str(cur, "first_answered_at"), until) && strcmp(now, until) > 0) {
		resource_error(errors, "rating", arena_printf(
			ctx->arena, "the answer is final: it could be changed until %s", until));
		return RC_CONFLICT;
	}
	int rating = (int)num(body, "rating");
	const char *comment = str(body, "comment");
	json_t *prev = json_object_get(cur, "rating");
	json_object_set_new(rec, "rating", json_integer(rating));
	json_object_set_new(rec, "comment", comment && *comment ? json_string(comment) : json_null());
	json_object_set_new(rec, "answered", json_true());
	json_object_set_new(rec, "answered_at", json_string(now));
	if (!str(cur, "first_answered_at"))
		json_object_set_new(rec, "first_answered_at", json_string(now));
	int rc = history(ctx, num(cur, "ticket_id"), "survey_answered",
			 json_is_integer(prev) ? arena_printf(ctx->arena, "%lld",
							      (long long)json_integer_value(prev))
					       : NULL,
			 arena_printf(ctx->arena, "%d", rating), NULL);
	if (rc != RC_OK)
		return rc;
	/* the first bad answer, or a change down to one, alerts; 2 -> 1 has been heard */
	if (rating <= 2 && (!json_is_integer(prev) || json_integer_value(prev) > 2))
		return alert(ctx, rec, rating, comment);
	return RC_OK;
}

int survey_answer_ticket(struct resource_ctx *ctx, int64_t ticket_id, int rating,
			 const char *comment, json_t *errors)
{
	int64_t id = 0;
	int rc = survey_of(ctx, ticket_id, &id);
	if (rc != RC_OK)
		return rc;
	json_t *survey;
	/* the caller's scope decides: another company's survey is none */
	if ((rc = resource_get(ctx, &survey_resource, id, &survey)) != RC_OK)
		return rc;
	json_t *body = arena_json(ctx->arena, json_pack("{s:i}", "rating", rating));
	if (!body)
		return RC_ERROR;
	if (comment)
		json_object_set_new(body, "comment", json_string(comment));
	if (survey_decode_answer(body, &rating, &comment, errors))
		return RC_INVALID;
	struct resource_ctx sys = system_ctx(ctx);
	json_t *out, *errs = NULL;
	rc = resource_act_trusted(&sys, &survey_resource, &answer_action, id, body, &out, &errs);
	if ((rc == RC_INVALID || rc == RC_CONFLICT) && errs)
		json_array_extend(errors, errs);
	return rc;
}

/* What the client sees --------------------------------------------------------------- */

int survey_public_view(struct resource_ctx *ctx, int64_t ticket_id, json_t **out)
{
	struct resource_ctx sys = system_ctx(ctx);
	int64_t id = 0;
	int rc = survey_of(&sys, ticket_id, &id);
	json_t *survey, *ticket, *settings, *contact = NULL;
	if (rc != RC_OK || (rc = resource_get(&sys, &survey_resource, id, &survey)) != RC_OK ||
	    (rc = resource_get(&sys, &ticket_resource, ticket_id, &ticket)) != RC_OK ||
	    (rc = resource_get(&sys, &settings_resource, SETTINGS_ID, &settings)) != RC_OK)
		return rc;
	if (num(survey, "contact_id"))
		resource_get(&sys, &contact_resource, num(survey, "contact_id"), &contact);
	char until[TIME_RFC3339_LEN], now[TIME_RFC3339_LEN];
	bool has_until = changeable_until(str(survey, "first_answered_at"), until);
	time_format(sys.now ? sys.now : time_now(), now);
	json_t *v = arena_json(sys.arena, json_object());
	if (!v)
		return RC_ERROR;
	json_object_set(v, "ticket_number", json_object_get(ticket, "number"));
	json_object_set(v, "ticket_subject", json_object_get(ticket, "subject"));
	static const char *const firm[][2] = { { "firm_name", "firm_name" },
					       { "firm_phone", "phone" },
					       { "firm_email", "email" },
					       { "firm_website", "website" } };
	for (size_t i = 0; i < sizeof(firm) / sizeof(firm[0]); i++) {
		json_t *f = json_object_get(settings, firm[i][1]);
		json_object_set(v, firm[i][0], f ? f : json_null());
	}
	json_t *first = contact ? json_object_get(contact, "first_name") : NULL;
	json_object_set(v, "contact_name", first ? first : json_null());
	static const char *const own[] = { "rating", "comment", "answered_at", NULL };
	for (const char *const *m = own; *m; m++) {
		json_t *f = json_object_get(survey, *m);
		json_object_set(v, *m, f ? f : json_null());
	}
	json_object_set_new(v, "changeable_until", has_until ? json_string(until) : json_null());
	json_object_set_new(v, "can_answer", json_boolean(!has_until || strcmp(now, until) <= 0));
	*out = v;
	return RC_OK;
}
