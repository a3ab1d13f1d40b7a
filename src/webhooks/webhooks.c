/*
 * webhooks.c - the webhooks resource (/api/v1/webhooks), its actions
 * (rotate-secret, test), the deliveries as a read-only log, the event
 * patterns an endpoint subscribes with, and Standard Webhooks signing.
 *
 * The secret is made by the server on create ("whsec_" and 32 random
 * bytes in base64, as Standard Webhooks writes them) and shown whole only
 * in the reply of the create and of rotate-secret; every other reply has
 * its masked form. The signing secrets are hidden columns, so they never
 * reach a reply, the audit log or an event. Webhooks are admins' business
 * only: a URL often carries a token of its own.
 */
#include "webhooks.h"

#include "auth/auth.h"
#include "billing/billing.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "kb/kb.h"
#include "quotes/quotes.h"
#include "resource/resource.h"
#include "service/service.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

const int webhook_retry_delays[WEBHOOK_ATTEMPTS - 1] = {
	5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600,
};

/* Event types -------------------------------------------------------------- */

/* The resources whose changes are events (those with .event; others are skipped). */
static const struct resource *const event_sources[] = {
	&ticket_resource, &ticket_note_resource, &time_entry_resource, &part_resource,
	&appointment_resource, &quote_resource, &contract_resource, &invoice_resource,
	&payment_resource, &credit_note_resource, &kb_article_resource, &kb_link_resource, NULL,
};

/* Events of the server's own that are no write (resource_event). */
static const char *const other_types[] = {
	"contract.block_80_percent", "contract.block_used_up", "ticket.assigned",
	"ticket.sla_warning", NULL,
};

static const char *const write_verbs[] = { "created", "updated", "archived", "restored", NULL };

/* Whether type is "<family>.<verb>" for the family and verb given. */
static bool is(const char *type, const char *family, const char *verb)
{
	size_t n = strlen(family);
	return strncmp(type, family, n) == 0 && type[n] == '.' && strcmp(type + n + 1, verb) == 0;
}

static bool type_known(const char *type)
{
	for (const struct resource *const *r = event_sources; *r; r++) {
		const char *family = (*r)->event;
		if (!family)
			continue;
		for (const char *const *v = write_verbs; *v; v++)
			if (is(type, family, *v))
				return true;
		for (const struct resource_action *const *a = (*r)->actions; a && *a; a++)
			if (is(type, family, (*a)->event ? (*a)->event : (*a)->name))
				return true;
	}
	for (const char *const *t = other_types; *t; t++)
		if (strcmp(type, *t) == 0)
			return true;
	return false;
}

static bool family_known(const char *family, size_t len)
{
	for (const struct resource *const *r = event_sources; *r; r++)
		if ((*r)->event && strlen((*r)->event) == len &&
		    strncmp((*r)->event, family, len) == 0)
			return true;
	return false;
}

bool webhook_pattern_valid(const char *pattern)
{
	size_t n = strlen(pattern);
	if (strcmp(pattern, "*") == 0)
		return true;
	if (n > 2 && strcmp(pattern + n - 2, ".*") == 0)
		return family_known(pattern, n - 2);
	return type_known(pattern);
}

bool webhook_pattern_match(const char *pattern, const char *type)
{
	size_t n = strlen(pattern);
	if (strcmp(pattern, "*") == 0)
		return true;
	if (n >= 2 && strcmp(pattern + n - 2, ".*") == 0)
		return strncmp(type, pattern, n - 1) == 0;	/* "ticket." */
	return strcmp(pattern, type) == 0;
}

bool webhook_patterns_match(const json_t *patterns, const char *type)
{
	size_t i;
	const json_t *p;
	json_array_foreach(patterns, i, p) {
		if (json_is_string(p) && webhook_pattern_match(json_string_value(p), type))
			return true;
	}
	return false;
}

/* Secrets and signatures ---------------------------------------------------- */

#define SECRET_PREFIX "whsec_"
#define KEY_BYTES 32
#define KEY_MAX 64

void webhook_secret_new(char out[WEBHOOK_SECRET_LEN])
{
	unsigned char key[KEY_BYTES];
	randombytes_buf(key, sizeof(key));
	memcpy(out, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1);
	sodium_bin2base64(out + sizeof(SECRET_PREFIX) - 1,
			  WEBHOOK_SECRET_LEN - (sizeof(SECRET_PREFIX) - 1), key, sizeof(key),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
}

int webhook_sign(const char *secret, const char *id, int64_t timestamp, const char *body,
		 size_t body_len, char out[WEBHOOK_SIGNATURE_LEN])
{
	if (strncmp(secret, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1) == 0)
		secret += sizeof(SECRET_PREFIX) - 1;
	unsigned char key[KEY_MAX];
	size_t key_len = 0;
	if (sodium_base642bin(key, sizeof(key), secret, strlen(secret), NULL, &key_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || key_len == 0)
		return -1;
	char ts[24];
	int n = snprintf(ts, sizeof(ts), ".%lld.", (long long)timestamp);
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (size_t)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, body_len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(key, sizeof(key));
	memcpy(out, "v1,", 3);
	sodium_bin2base64(out + 3, WEBHOOK_SIGNATURE_LEN - 3, mac, sizeof(mac),
			  sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

/* What replies show of a secret: its prefix and first characters. */
static json_t *masked(const char *secret)
{
	char m[32];
	snprintf(m, sizeof(m), "%.10s…", secret);
	return json_string(m);
}

/* The resource ---------------------------------------------------------------- */

static const struct field webhook_fields[] = {
	{ .name = "url", .type = FT_URL, .flags = F_REQUIRED | F_FILTER | F_SORT, .max = 2048,
	  .doc = "Where the events are POSTed: an http:// or https:// URL without a user name "
		 "or password. Any host the server can reach, the firm's intranet included "
		 "(see docs/WEBHOOKS.md on who may point it where). Redirects are not followed." },
	{ .name = "events", .type = FT_STRINGS, .flags = F_REQUIRED, .min = 50, .max = 100,
	  .doc = "The events sent: \"*\" for all, an event type (\"ticket.updated\"), or a "
		 "family (\"ticket.*\", which includes ticket.note.*). At least one." },
	{ .name = "description", .type = FT_TEXT, .min = 0, .max = 500,
	  .doc = "What the endpoint is for." },
	{ .name = "active", .type = FT_BOOL, .flags = F_FILTER, .dflt = "true",
	  .doc = "Whether events are sent to it. The server sets it false when the endpoint "
		 "answers 410 Gone; setting it true again clears disabled_reason." },
	{ .name = "disabled_reason", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 1, .max = 500,
	  .doc = "Why the server disabled it, or null." },
	{ .name = "secret", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 1, .max = 100,
	  .doc = "The signing secret (Standard Webhooks: \"whsec_\" and base64): whole only in "
		 "the reply of the create and of rotate-secret, else masked (\"whsec_AbCd…\")." },
	{ .name = "signing_secret", .type = FT_TEXT, .flags = F_HIDDEN },
	{ .name = "previous_secret", .type = FT_TEXT, .flags = F_HIDDEN },
	{ .name = "previous_secret_expires_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "Until when the secret replaced by the last rotation still signs beside the "
		 "new one (each request then carries two signatures), or null." },
	FIELD_END
};

/* A new secret into rec, and whole into the reply. */
static int new_secret(struct resource_ctx *ctx, json_t *rec)
{
	char secret[WEBHOOK_SECRET_LEN];
	webhook_secret_new(secret);
	json_t *extra = arena_json(ctx->arena, json_pack("{s:s}", "secret", secret));
	if (!extra || json_object_set_new(rec, "signing_secret", json_string(secret)) < 0 ||
	    json_object_set_new(rec, "secret", masked(secret)) < 0)
		return RC_ERROR;
	sodium_memzero(secret, sizeof(secret));
	ctx->reply_extra = extra;
	return RC_OK;
}

static int webhook_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			   json_t *errors)
{
	(void)errors;
	if (!cur)
		return new_secret(ctx, rec);
	/* switched on again by hand: the reason it was off is history (in the audit log) */
	if (json_is_true(json_object_get(rec, "active")) &&
	    !json_is_true(json_object_get(cur, "active")))
		json_object_set_new(rec, "disabled_reason", json_null());
	return RC_OK;
}

static int webhook_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	(void)ctx;
	const char *url = json_string_value(json_object_get(rec, "url"));
	if (url) {
		CURLU *u = curl_url();
		if (!u)
			return RC_ERROR;
		char *user = NULL, *password = NULL;
		if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
			resource_error(errors, "url", "is not a URL the server can send to");
		else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
			 curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
			resource_error(errors, "url", "must not hold a user name or password: "
						      "the signature authenticates the server");
		curl_free(user);
		curl_free(password);
		curl_url_cleanup(u);
	}
	const json_t *events = json_object_get(rec, "events");
	if (json_is_array(events) && json_array_size(events) == 0)
		resource_error(errors, "events", "must name at least one event (\"*\" for all)");
	size_t i;
	const json_t *p;
	json_array_foreach(events, i, p) {
		if (json_is_string(p) && !webhook_pattern_valid(json_string_value(p))) {
			resource_error(errors, "events",
				       "names an unknown event or family: use \"*\", a type such as "
				       "\"ticket.updated\", or a family such as \"ticket.*\"");
			break;
		}
	}
	return json_array_size(errors) ? RC_INVALID : RC_OK;
}

static int rotate(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		  json_t *errors)
{
	(void)body;
	(void)errors;
	char until[TIME_RFC3339_LEN];
	time_format(ctx->now + WEBHOOK_OLD_SECRET_SECONDS, until);
	json_object_set(rec, "previous_secret", json_object_get(cur, "signing_secret"));
	json_object_set_new(rec, "previous_secret_expires_at", json_string(until));
	return new_secret(ctx, rec);
}

/* Queues the delivery of payload to webhook now; RC_OK with *id. */
static int queue_delivery(struct resource_ctx *ctx, int64_t webhook, int64_t event,
			  int64_t replay_of, const char *msg_id, const char *type,
			  const char *payload, int64_t *id)
{
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st,
			"INSERT INTO webhook_deliveries (webhook_id, event_id, replay_of_id, msg_id,"
			" type, payload, status, attempts, next_attempt_at, created_at, updated_at)"
			" VALUES (?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, 'pending', 0, ?, ?, ?)"
			" RETURNING id",
			"iiisssss" "s", webhook, event, replay_of, msg_id, type, payload, now, now,
			now);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	*id = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

static int test_send(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
		     const json_t *body, json_t *errors)
{
	(void)rec;
	(void)body;
	(void)errors;
	int64_t webhook = json_integer_value(json_object_get(cur, "id"));
	char now[TIME_RFC3339_LEN], msg[40];
	time_format(ctx->now, now);
	unsigned char raw[8];
	randombytes_buf(raw, sizeof(raw));
	char hex[2 * sizeof(raw) + 1];
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	snprintf(msg, sizeof(msg), "msg_test_%s", hex);
	json_t *payload = arena_json(ctx->arena, json_pack(
		"{s:s, s:s, s:{s:I, s:s}}", "type", "webhook.test", "timestamp", now, "data",
		"webhook_id", (json_int_t)webhook, "message", "a test from Servio"));
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	if (!text)
		return RC_ERROR;
	int64_t id = 0;
	int rc = queue_delivery(ctx, webhook, 0, 0, msg, "webhook.test", text, &id);
	free(text);
	if (rc != RC_OK)
		return rc;
	ctx->reply_extra = arena_json(ctx->arena, json_pack("{s:I}", "delivery_id",
							     (json_int_t)id));
	return ctx->reply_extra ? RC_OK : RC_ERROR;
}

static const struct resource_action rotate_action = {
	.name = "rotate-secret", .roles = ROLE_ADMIN,
	.flags = ACTION_IF_MATCH_OPTIONAL | ACTION_SECRET_REPLY, .event = "secret_rotated",
	.apply = rotate,
	.summary = "Make a new signing secret (in the reply, once); the old one signs beside "
		   "it for 24 hours",
};

static const struct resource_action test_action = {
	.name = "test", .roles = ROLE_ADMIN, .flags = ACTION_IF_MATCH_OPTIONAL,
	.event = "tested", .apply = test_send,
	.summary = "Send a webhook.test message now (also to a disabled webhook); the reply's "
		   "delivery_id names its delivery",
};

static const struct resource_action *const webhook_actions[] = {
	&rotate_action, &test_action, NULL,
};

const struct resource webhook_resource = {
	.name = "webhooks",
	.singular = "webhook",
	.table = "webhooks",
	.fields = webhook_fields,
	.default_sort = "-created_at",
	.prepare = webhook_prepare,
	.check = webhook_check,
	.actions = webhook_actions,
	.doc = "Endpoints that receive the events (Standard Webhooks: signed, retried with "
	       "backoff for about a day, disabled by 410 Gone). Admins only.",
};

/* Deliveries ------------------------------------------------------------------ */

static const char *const delivery_statuses[] = { "pending", "delivered", "failed", NULL };

static const struct field delivery_fields[] = {
	{ .name = "webhook_id", .type = FT_REF, .ref = &webhook_resource, .flags = F_READ_ONLY,
	  .doc = "The webhook it goes to." },
	{ .name = "event_id", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .max = INT64_MAX, .doc = "The event it carries (GET /api/v1/events/{id}); null for a test." },
	{ .name = "replay_of_id", .type = FT_INT, .flags = F_READ_ONLY, .min = 1,
	  .max = INT64_MAX, .doc = "The delivery this one sends again, or null." },
	{ .name = "msg_id", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 1, .max = 100,
	  .doc = "The webhook-id header: the same on every attempt and replay." },
	{ .name = "type", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1, .max = 100,
	  .doc = "The event type (webhook.test for a test)." },
	{ .name = "status", .type = FT_ENUM, .enum_values = delivery_statuses,
	  .flags = F_READ_ONLY | F_FILTER,
	  .doc = "pending (not sent yet, or to be retried at next_attempt_at), delivered (a 2xx), "
		 "failed (410 Gone, or no 2xx after the last retry)." },
	{ .name = "attempts", .type = FT_INT, .flags = F_READ_ONLY, .min = 0, .max = 1000,
	  .doc = "Requests made so far." },
	{ .name = "last_status", .type = FT_INT, .flags = F_READ_ONLY, .min = 100, .max = 599,
	  .doc = "The HTTP status of the last attempt, or null (none yet, or no answer)." },
	{ .name = "last_error", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 1, .max = 1000,
	  .doc = "What went wrong on the last attempt, or null." },
	{ .name = "response_excerpt", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 0,
	  .max = WEBHOOK_EXCERPT_MAX, .doc = "The start of the last response's body (1 KiB at most)." },
	{ .name = "next_attempt_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "When it is (next) sent, while pending." },
	{ .name = "last_attempt_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "When it was last sent." },
	{ .name = "delivered_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "When the endpoint took it (a 2xx)." },
	{ .name = "payload", .type = FT_JSON, .flags = F_READ_ONLY,
	  .doc = "The body sent: {type, timestamp, data}." },
	{ .name = "locked_until", .type = FT_TIME, .flags = F_HIDDEN },
	{ .name = "created_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When it was queued." },
	{ .name = "updated_at", .type = FT_TIME, .flags = F_READ_ONLY,
	  .doc = "When it last changed." },
	FIELD_END
};

const struct resource webhook_delivery_resource = {
	.name = "webhook-deliveries",
	.singular = "webhook delivery",
	.table = "webhook_deliveries",
	.fields = delivery_fields,
	.default_sort = "-id",
	.read_only = true,
	.no_record_columns = true,
	.parent = &webhook_resource,
	.parent_field = "webhook_id",
	.doc = "The log of a webhook's messages, newest first: each event sent, test and replay, "
	       "with its attempts and the endpoint's last answer.",
};

struct replay {
	struct resource_ctx *ctx;
	int64_t webhook, delivery;
	json_t *out;
};

static int replay_txn(struct db *db, void *arg)
{
	struct replay *r = arg;
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT event_id, msg_id, type, payload FROM webhook_deliveries"
			" WHERE id = ? AND webhook_id = ?",
			"ii", r->delivery, r->webhook);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_NOT_FOUND : rc;
	int64_t event = db_col_null(st, 0) ? 0 : db_col_int(st, 0);
	struct arena *a = r->ctx->arena;
	const char *msg = arena_strdup(a, db_col_text(st, 1));
	const char *type = arena_strdup(a, db_col_text(st, 2));
	const char *payload = arena_strdup(a, db_col_text(st, 3));
	db_done(st);
	if (!msg || !type || !payload)
		return RC_ERROR;
	int64_t id = 0;	/* written on RC_OK; gcc -O2 cannot see it (-Wmaybe-uninitialized) */
	rc = queue_delivery(r->ctx, r->webhook, event, r->delivery, msg, type, payload, &id);
	if (rc != RC_OK)
		return rc;
	json_t *after = arena_json(a, json_pack("{s:I, s:I}", "delivery_id", (json_int_t)id,
						"replay_of_id", (json_int_t)r->delivery));
	if (!after)
		return RC_ERROR;
	rc = audit_write(db, r->ctx->actor, "replay", webhook_resource.name, r->webhook, NULL,
			 after);
	if (rc != RC_OK)
		return rc;
	struct resource_ctx read = *r->ctx;
	read.parent_id = r->webhook;
	return resource_get(&read, &webhook_delivery_resource, id, &r->out);
}

int webhook_replay(struct resource_ctx *ctx, int64_t webhook_id, int64_t delivery_id,
		   json_t **out)
{
	json_t *hook;
	int rc = resource_get(ctx, &webhook_resource, webhook_id, &hook);
	if (rc != RC_OK)
		return rc;
	if (!ctx->now)
		ctx->now = time_now();
	struct replay r = { .ctx = ctx, .webhook = webhook_id, .delivery = delivery_id };
	rc = db_txn(ctx->db, replay_txn, &r);
	if (rc == RC_OK)
		*out = r.out;
	return rc;
}
