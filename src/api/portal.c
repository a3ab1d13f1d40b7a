/*
 * portal.c - the client portal's API: a contact with portal_access signs
 * in (an invitation sets the password; a reset link sets a new one) and
 * reaches their company's tickets, quotes, invoices, contracts, assets and
 * help articles under /api/v1/portal/.
 *
 * Nothing here scopes by hand: a portal session's context carries its
 * company (api_ctx_or_reply), and the engine shows and touches only that
 * company's records, masking what the portal may not see. What the portal
 * adds is which records of a resource a client sees at all (public notes,
 * quotes once sent, invoices once issued) and which areas a portal_role
 * reaches (api_portal_allows, checked by the authenticate hook).
 *
 *   POST /api/v1/contacts/:id/invite            staff: mail an invitation
 *   GET  /api/v1/portal/firm, /firm/logo        the firm's name and logo
 *   POST /api/v1/portal/auth/login              {email, password, totp?}
 *   GET  /api/v1/portal/auth/invitation/:token  whom an invitation is for
 *   POST /api/v1/portal/auth/activate           {token, password}: signed in
 *   POST /api/v1/portal/auth/reset-request      {email}: 202 whatever it is
 *   POST /api/v1/portal/auth/reset              {token, password}
 *   GET  /api/v1/portal/auth/me
 *   tickets, notes, confirm, reopen; assets, sites; contracts, balance;
 *   the quote and invoice routes live with theirs (sales.c, billing.c),
 *   the attachment routes in attachments.c.
 */
#include "api.h"

#include "auth/auth.h"
#include "billing/billing.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "kb/kb.h"
#include "mail/mail.h"
#include "quality/surveys.h"
#include "quotes/quotes.h"
#include "resource/audit.h"
#include "resource/resource.h"
#include "service/service.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which portal roles reach which routes; anything not listed, nobody. */
static const struct {
	const char *prefix;
	const char *roles;
} areas[] = {
	{ "/api/v1/portal/auth/", "technical billing admin" },
	{ "/api/v1/portal/tickets", "technical admin" },
	{ "/api/v1/portal/attachments/", "technical admin" },
	{ "/api/v1/portal/assets", "technical admin" },
	{ "/api/v1/portal/sites", "technical admin" },
	{ "/api/v1/portal/kb/", "technical admin" },
	{ "/api/v1/portal/quotes", "billing admin" },
	{ "/api/v1/portal/invoices", "billing admin" },
	{ "/api/v1/portal/balance", "billing admin" },
	{ "/api/v1/portal/contracts", "billing admin" },
};

bool api_portal_allows(const char *portal_role, const char *path)
{
	if (!portal_role || !path)
		return false;
	size_t n = strlen(portal_role);
	for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
		if (strncmp(path, areas[i].prefix, strlen(areas[i].prefix)) != 0)
			continue;
		for (const char *p = areas[i].roles; *p;) {
			size_t len = strcspn(p, " ");
			if (len == n && memcmp(p, portal_role, n) == 0)
				return true;
			p += len;
			p += *p == ' ';
		}
		return false;
	}
	return false;
}

const char *api_portal_area(size_t i, const char **roles)
{
	if (i >= sizeof(areas) / sizeof(areas[0]))
		return NULL;
	*roles = areas[i].roles;
	return areas[i].prefix;
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static struct audit_actor *actor_for(struct http_req *req, int64_t user_id, const char *label)
{
	struct audit_actor *a = arena_zalloc(&req->arena, sizeof(*a));
	if (a) {
		a->user_id = user_id;
		a->label = label;
		a->request_id = req->id;
		a->role = ROLE_PORTAL;
		a->address = req->remote_addr;
	}
	return a;
}


/* What a portal contact is, for login, activate and me. */
static json_t *contact_json(struct http_req *req, struct db *db, const struct auth_user *u)
{
	struct db_stmt *st;
	if (db_run(db, &st,
		   "SELECT c.first_name, c.last_name, c.email, co.name FROM contacts c"
		   " JOIN companies co ON co.id = c.company_id WHERE c.id = ?",
		   "i", u->contact_id) != RC_ROW)
		return NULL;
	json_t *c = http_json(req, json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:b}", "id",
					     (json_int_t)u->contact_id, "first_name",
					     db_col_text(st, 0), "last_name", db_col_text(st, 1),
					     "email", db_col_text(st, 2), "company_id",
					     (json_int_t)u->company_id, "company_name",
					     db_col_text(st, 3), "portal_role", u->portal_role,
					     "totp_enabled", u->totp_enabled));
	db_done(st);
	return c;
}

/* Signs the portal login in: a session, its cookie, the audit entry, the reply. */
static int sign_in(struct http_req *req, struct db *db, const struct auth_user *u, int status)
{
	struct auth_session_new s;
	int rc = api_session_start(req, db, u, &s);
	if (rc <= 0)
		return rc;
	json_t *c = contact_json(req, db, u);
	if (!c)
		return -1;
	http_set_header(req, "Cache-Control", "no-store");
	return http_reply_json(req, status, http_json(req, json_pack("{s:O, s:s}", "contact", c,
								     "csrf_token", s.csrf)));
}

/* Staff: the invitation ---------------------------------------------------- */

static int invite(struct http_req *req)
{
	int64_t id = api_parse_id(http_param(req, "id"));
	if (!api_no_query_or_reply(req))
		return 0;
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no contact with id \"%s\"",
					  http_param(req, "id"));
	if (req->body && (!json_is_object(req->body) || json_object_size(req->body)))
		return http_reply_problem(req, 422, "validation", NULL,
					  "an invitation takes no fields: send {} or nothing");
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	/* the link is on the firm's address or there is none: never the caller's Host */
	const char *base = settings_public_url(&ctx);
	if (!base)
		return http_reply_problem(req, 409, "conflict",
					  http_json(req, json_pack("[{s:s, s:s}]", "field", "public_url",
								   "message", "is not set")),
					  "public_url is not set: an admin enters the address clients "
					  "reach Servio at (Settings, public URL) before inviting");
	if (db_begin(ctx.db) != RC_OK)
		return -1;
	char token[AUTH_TOKEN_LEN];
	int64_t expires = 0, login = 0;
	const char *problem = NULL;
	json_t *contact = NULL;
	int rc = resource_get(&ctx, &contact_resource, id, &contact);
	if (rc == RC_OK)
		rc = auth_portal_invite(&ctx, id, token, &expires, &login, &problem);
	const char *url = NULL;
	bool queued = false;
	if (rc == RC_OK) {
		url = arena_printf(&req->arena, "%s/portal/activate/%s", base, token);
		const struct auth_user *u = api_user(req);
		json_t *vars = http_json(req, json_pack("{s:s, s:s, s:s}", "invite_url", url,
							"login_email", str(contact, "email"),
							"inviter_name", u->name));
		rc = vars ? mail_queue_contact(&ctx, "portal_invitation", id, str(contact, "email"),
					       vars, "invite_url", &queued)
			  : RC_ERROR;
	}
	if (rc != RC_OK) {
		db_rollback(ctx.db);
		sodium_memzero(token, sizeof(token));
		if (problem)
			return http_reply_problem(req, 409, "conflict",
						  http_json(req, json_pack("[{s:s, s:s}]", "field",
									   "contact", "message",
									   problem)),
						  "%s", problem);
		return api_reply_result(req, rc, NULL, NULL, 0, "contact", id);
	}
	if (db_commit(ctx.db) != RC_OK)
		return -1;
	sodium_memzero(token, sizeof(token));
	char at[TIME_RFC3339_LEN];
	time_format(expires, at);
	http_set_header(req, "Cache-Control", "no-store");
	return http_reply_json(req, 200, http_json(req, json_pack(
		"{s:I, s:s, s:s, s:b, s:s}", "contact_id", (json_int_t)id, "invite_url", url,
		"expires_at", at, "email_queued", queued, "note",
		"the link works once; a new invitation ends this one")));
}

/* The firm, for the sign-in page ------------------------------------------ */

static int firm(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	ctx.trusted = true;
	json_t *s;
	if (resource_get(&ctx, &settings_resource, SETTINGS_ID, &s) != RC_OK)
		return -1;
	bool logo = json_is_string(json_object_get(s, "logo_png"));
	return http_reply_json(req, 200, http_json(req, json_pack(
		"{s:O, s:O, s:O, s:O, s:s?}", "firm_name", json_object_get(s, "firm_name"), "phone",
		json_object_get(s, "phone") ? json_object_get(s, "phone") : json_null(), "email",
		json_object_get(s, "email") ? json_object_get(s, "email") : json_null(), "website",
		json_object_get(s, "website") ? json_object_get(s, "website") : json_null(),
		"logo_url", logo ? "/api/v1/portal/firm/logo" : NULL)));
}

static int firm_logo(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	ctx.trusted = true;
	json_t *s;
	if (resource_get(&ctx, &settings_resource, SETTINGS_ID, &s) != RC_OK)
		return -1;
	const char *b64 = str(s, "logo_png");
	if (!b64)
		return http_reply_problem(req, 404, "not-found", NULL, "the firm has no logo");
	size_t cap = strlen(b64) / 4 * 3 + 3, len = 0;
	unsigned char *png = arena_alloc(&req->arena, cap);
	if (!png || sodium_base642bin(png, cap, b64, strlen(b64), " \r\n", &len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;	/* settings accept only valid base64 PNG */
	http_set_header(req, "Cache-Control", "public, max-age=300");
	http_set_header(req, "X-Content-Type-Options", "nosniff");
	return http_reply_text(req, 200, "image/png", (const char *)png, len);
}

/* Signing in --------------------------------------------------------------- */

static int login(struct http_req *req)
{
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	struct auth_user u;
	int rc = api_credentials_or_reply(req, db, true, &u);
	return rc <= 0 ? rc : sign_in(req, db, &u, 200);
}

/*
 * The link's login for activate and reset, counted like a sign-in per
 * link and address (a guessed link is as good as a guessed password).
 * 1 with *user_id and *link_id; 0 after replying; -1 on error.
 */
static int link_or_reply(struct http_req *req, struct db *db, enum portal_link kind,
			 const char *token, int64_t *user_id, int64_t *link_id)
{
	char hash[65], key[48];
	auth_sha256_hex(token ? token : "", hash);
	snprintf(key, sizeof(key), "portal-link:%.16s", hash);
	int wait = api_login_limit_or_reply(req, db, key, req->remote_addr);
	if (wait != 0)
		return wait < 0 ? -1 : 0;
	int rc = auth_portal_link_find(db, kind, token, time_now(), user_id, link_id);
	if (rc == 1)
		auth_ratelimit_success(db, key, req->remote_addr, NULL);
	if (rc == 0)
		http_reply_problem(req, 404, "not-found", NULL,
				   kind == PORTAL_INVITE
					   ? "the invitation is unknown, used or expired: ask the "
					     "firm for a new one"
					   : "the reset link is unknown, used or expired: ask for a "
					     "new one");
	return rc;
}

static int invitation(struct http_req *req)
{
	if (!api_no_query_or_reply(req))
		return 0;
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	int64_t user, link;
	int rc = link_or_reply(req, db, PORTAL_INVITE, http_param(req, "token"), &user, &link);
	if (rc <= 0)
		return rc;
	struct auth_user u;
	rc = auth_user_load(db, &req->arena, user, &u);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return http_reply_problem(req, 404, "not-found", NULL,
					  "the invitation's contact no longer has portal access");
	json_t *c = contact_json(req, db, &u);
	if (!c)
		return -1;
	http_set_header(req, "Cache-Control", "no-store");
	http_set_header(req, "Referrer-Policy", "no-referrer");
	return http_reply_json(req, 200, http_json(req, json_pack(
		"{s:O, s:O, s:O}", "email", json_object_get(c, "email"), "first_name",
		json_object_get(c, "first_name"), "company_name", json_object_get(c, "company_name"))));
}

/* activate (kind invite: signs in) and reset (kind reset): {token, password} */
static int set_password(struct http_req *req, enum portal_link kind)
{
	static const char *const fields[] = { "token", "password", NULL };
	if (!api_strings_or_reply(req, fields, fields))
		return 0;
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	int64_t user, link;
	int rc = link_or_reply(req, db, kind, str(req->body, "token"), &user, &link);
	if (rc <= 0)
		return rc;
	struct auth_user u;
	rc = auth_user_load(db, &req->arena, user, &u);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return http_reply_problem(req, 404, "not-found", NULL,
					  "the link's contact no longer has portal access");
	const char *password = str(req->body, "password");
	const char *problem = auth_password_problem(password, u.email, u.name);
	if (problem)
		return http_reply_problem(req, 422, "validation",
					  http_json(req, json_pack("[{s:s, s:s}]", "field",
								   "password", "message", problem)),
					  "the password is refused: %s", problem);
	/* the link works once, even for two requests at the same moment */
	rc = auth_portal_link_use(db, link, time_now());
	if (rc < 0)
		return -1;
	if (rc == 0)
		return http_reply_problem(req, 404, "not-found", NULL,
					  "the link was used meanwhile");
	/* every session and API token of the login ends with its old password */
	if (auth_user_set_password(db, actor_for(req, u.id, u.email), u.id, password, 0, &problem) <
	    0)
		return problem ? http_reply_problem(req, 422, "validation", NULL, "%s", problem) : -1;
	if (kind == PORTAL_INVITE) {
		struct resource_ctx ctx;
		if (!api_ctx_or_reply(req, &ctx))
			return 0;
		ctx.actor = actor_for(req, u.id, u.email);
		char at[TIME_RFC3339_LEN];
		time_format(time_now(), at);
		json_t *cur, *out, *errors = NULL;
		ctx.trusted = true;
		if (resource_get(&ctx, &contact_resource, u.contact_id, &cur) != RC_OK)
			return -1;
		if (json_is_null(json_object_get(cur, "portal_activated_at")) ||
		    !json_object_get(cur, "portal_activated_at")) {
			json_t *patch = http_json(req, json_pack("{s:s}", "portal_activated_at", at));
			if (!patch || resource_update_trusted(&ctx, &contact_resource, u.contact_id,
							      patch, &out, &errors) != RC_OK)
				return -1;
		}
		return sign_in(req, db, &u, 200);
	}
	return http_reply_empty(req, 204);
}

static int activate(struct http_req *req)
{
	return set_password(req, PORTAL_INVITE);
}

static int reset(struct http_req *req)
{
	return set_password(req, PORTAL_RESET);
}

static int reset_request(struct http_req *req)
{
	static const char *const fields[] = { "email", NULL };
	if (!api_strings_or_reply(req, fields, fields))
		return 0;
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	char email[256], key[300];
	if (!auth_email_normalize(str(req->body, "email"), email, sizeof(email)))
		return http_reply_problem(req, 422, "validation",
					  http_json(req, json_pack("[{s:s, s:s}]", "field", "email",
								   "message",
								   "is not an e-mail address")),
					  "the e-mail address is not valid");
	/* a mail bomb is slowed like a password guess: per address asked for and per caller */
	snprintf(key, sizeof(key), "portal-reset:%s", email);
	int wait = api_login_limit_or_reply(req, ctx.db, key, req->remote_addr);
	if (wait != 0)
		return wait < 0 ? -1 : 0;
	int64_t user = 0;
	int rc = auth_portal_find(ctx.db, email, &user);
	if (rc < 0)
		return -1;
	/* no address to link to: no link (the asker gets the same answer) */
	const char *base = settings_public_url(&ctx);
	if (rc == 1 && !base) {
		log_warn("portal: a password reset was asked for, but public_url is not set: no "
			 "link sent");
		rc = 0;
	}
	if (rc == 1) {
		struct auth_user u;
		rc = auth_user_load(ctx.db, &req->arena, user, &u);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			ctx.actor = actor_for(req, u.id, u.email);
			char token[AUTH_TOKEN_LEN];
			int64_t expires;
			bool queued = false;
			if (db_begin(ctx.db) != RC_OK)
				return -1;
			rc = auth_portal_reset_link(&ctx, u.id, token, &expires);
			const char *url = arena_printf(&req->arena, "%s/portal/reset/%s", base,
						       token);
			sodium_memzero(token, sizeof(token));
			json_t *vars = http_json(req, json_pack("{s:s}", "reset_url", url));
			if (rc == RC_OK)
				rc = vars ? mail_queue_contact(&ctx, "portal_reset", u.contact_id,
							       u.email, vars, "reset_url", &queued)
					  : RC_ERROR;
			if (rc != RC_OK || db_commit(ctx.db) != RC_OK) {
				db_rollback(ctx.db);
				return -1;
			}
			if (!queued)
				log_info("portal: a password reset for contact %lld was asked for, but"
					 " outgoing mail is not set up", (long long)u.contact_id);
		}
	}
	/* the same answer whether the address has a login or not */
	return http_reply_json(req, 202, http_json(req, json_pack(
		"{s:s}", "note", "if the address has a portal login, a link to reset its "
				 "password is on its way (valid one hour)")));
}

static int me(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	json_t *c = contact_json(req, db, u);
	if (!c)
		return -1;
	http_set_header(req, "Cache-Control", "no-store");
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O, s:s}", "contact", c,
								  "csrf_token", u->csrf_token)));
}

/* Tickets ------------------------------------------------------------------ */

/* The ticket the path names, as the caller may see it; 0 after replying. */
static bool ticket_or_reply(struct http_req *req, struct resource_ctx *ctx, int64_t *id,
			    json_t **ticket)
{
	*id = api_parse_id(http_param(req, "id"));
	if (!*id) {
		http_reply_problem(req, 404, "not-found", NULL, "no ticket with id \"%s\"",
				   http_param(req, "id"));
		return false;
	}
	if (!api_ctx_or_reply(req, ctx))
		return false;
	int rc = resource_get(ctx, &ticket_resource, *id, ticket);
	if (rc != RC_OK) {
		api_reply_result(req, rc, NULL, NULL, 0, "ticket", *id);
		return false;
	}
	return true;
}

static const char *const priorities[] = { "critical", "high", "medium", "low", NULL };

/* What a client gives a new ticket; the engine checks the site and asset are theirs. */
static const struct field ticket_new_fields[] = {
	FIELD_TEXT("subject", F_REQUIRED, 1, 200),
	FIELD_TEXT("description", 0, 0, 50000),
	FIELD_ENUM("priority", 0, priorities, NULL),
	FIELD_INT("site_id", 0, 1, INT64_MAX),
	FIELD_INT("asset_id", 0, 1, INT64_MAX),
	FIELD_END
};

static int ticket_new(struct http_req *req)
{
	static const struct resource spec = { .name = "tickets", .singular = "ticket",
					      .fields = ticket_new_fields };
	if (!api_no_query_or_reply(req))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object {\"subject\": …} is required");
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return -1;
	if (resource_validate(&spec, req->body, true, errors))
		return http_reply_problem(req, 422, "validation", errors,
					  "the ticket has invalid fields");
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	const struct auth_user *u = api_user(req);
	json_t *body = http_json(req, json_deep_copy(req->body));
	if (!body)
		return -1;
	json_object_set_new(body, "contact_id", json_integer(u->contact_id));
	json_object_set_new(body, "channel", json_string("portal"));
	json_t *rec, *errs = NULL;
	int rc = resource_create(&ctx, &ticket_resource, body, &rec, &errs);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errs, 0, "ticket", 0);
	http_set_header(req, "Location",
			arena_printf(&req->arena, "/api/v1/portal/tickets/%lld",
				     (long long)json_integer_value(json_object_get(rec, "id"))));
	return api_reply_result(req, RC_OK, rec, NULL, 201, "ticket", 0);
}

/* The conversation: public notes, oldest first, with who wrote each. */
static int notes(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	json_t *ticket;
	if (!api_no_query_or_reply(req) || !ticket_or_reply(req, &ctx, &id, &ticket))
		return 0;
	struct db_stmt *st = db_prepare(ctx.db,
		"SELECT n.id, n.body, n.created_at, n.contact_id, u.name, c.first_name, c.last_name"
		" FROM ticket_notes n LEFT JOIN users u ON u.id = n.author_id"
		" LEFT JOIN contacts c ON c.id = n.contact_id"
		" WHERE n.ticket_id = ? AND n.visibility = 'public' AND n.archived_at IS NULL"
		" ORDER BY n.created_at, n.id LIMIT 1000");
	if (!st)
		return -1;
	db_bind_int(st, 1, id);
	json_t *data = http_json(req, json_array());
	int rc;
	while (data && (rc = db_step(st)) == RC_ROW) {
		bool client = !db_col_null(st, 3);
		const char *who = client ? arena_printf(&req->arena, "%s %s", db_col_text(st, 5),
							db_col_text(st, 6))
				  : db_col_text(st, 4);
		json_array_append_new(data, json_pack("{s:I, s:s, s:s, s:b, s:s}", "id",
						      (json_int_t)db_col_int(st, 0), "body",
						      db_col_text(st, 1), "created_at",
						      db_col_text(st, 2), "from_client", client,
						      "author_name", who ? who : "Service desk"));
	}
	db_done(st);
	if (!data || rc != RC_DONE)
		return -1;
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O}", "data", data)));
}

static int note_new(struct http_req *req)
{
	static const struct field fields[] = {
		FIELD_TEXT("body", F_REQUIRED, 1, 50000),
		FIELD_END
	};
	static const struct resource spec = { .name = "notes", .singular = "reply",
					      .fields = fields };
	struct resource_ctx ctx;
	int64_t id;
	json_t *ticket;
	/* the ticket first: another company's is a 404 whatever the body holds */
	if (!api_no_query_or_reply(req) || !ticket_or_reply(req, &ctx, &id, &ticket))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object {\"body\": …} is required");
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return -1;
	if (resource_validate(&spec, req->body, true, errors))
		return http_reply_problem(req, 422, "validation", errors,
					  "the reply has invalid fields");
	const char *status = str(ticket, "status");
	if (strcmp(status, "closed") == 0 || strcmp(status, "cancelled") == 0)
		return http_reply_problem(req, 409, "conflict",
					  http_json(req, json_pack("[{s:s, s:s}]", "field", "ticket",
								   "message", "is closed")),
					  "%s is %s: open a new ticket (mention %s in it)",
					  str(ticket, "number"), status, str(ticket, "number"));
	const struct auth_user *u = api_user(req);
	ctx.parent_id = id;
	json_t *body = http_json(req, json_pack("{s:O, s:s, s:I}", "body",
						json_object_get(req->body, "body"), "visibility",
						"public", "contact_id", (json_int_t)u->contact_id));
	json_t *rec, *errs = NULL;
	int rc = body ? resource_create(&ctx, &ticket_note_resource, body, &rec, &errs) : RC_ERROR;
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errs, 0, "ticket", id);
	return http_reply_json(req, 201, http_json(req, json_pack(
		"{s:O, s:O, s:O, s:b, s:s}", "id", json_object_get(rec, "id"), "body",
		json_object_get(rec, "body"), "created_at", json_object_get(rec, "created_at"),
		"from_client", 1, "author_name", u->name)));
}

/* confirm (resolved -> closed) and reopen (resolved -> in progress, with why) */
static int answer(struct http_req *req, bool confirm)
{
	struct resource_ctx ctx;
	int64_t id;
	json_t *ticket;
	if (!api_no_query_or_reply(req))
		return 0;
	if (confirm && req->body && (!json_is_object(req->body) || json_object_size(req->body)))
		return http_reply_problem(req, 422, "validation", NULL,
					  "confirming takes no fields: send {} or nothing");
	if (!confirm && !req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object {\"reason\": …} is required");
	if (!ticket_or_reply(req, &ctx, &id, &ticket))
		return 0;
	if (strcmp(str(ticket, "status"), "resolved") != 0)
		return http_reply_problem(req, 409, "conflict",
					  http_json(req, json_pack("[{s:s, s:s}]", "field", "status",
								   "message", "is not resolved")),
					  "%s is %s: only a resolved ticket can be %s",
					  str(ticket, "number"), str(ticket, "status"),
					  confirm ? "confirmed" : "reopened here");
	json_t *out, *errors = NULL;
	int rc = resource_act(&ctx, &ticket_resource, confirm ? &ticket_close : &ticket_reopen, id,
			      confirm ? NULL : req->body, RESOURCE_ANY_VERSION, &out, &errors);
	return api_reply_result(req, rc, out, errors, 200, "ticket", id);
}

static int confirm(struct http_req *req)
{
	return answer(req, true);
}

static int reopen(struct http_req *req)
{
	return answer(req, false);
}

/* Quotes and invoices: once they are the client's to see ------------------- */

static const char *const client_quotes[] = { "sent", "accepted", "declined", "expired", NULL };
static const char *const client_invoices[] = { "issued", "paid", "void", NULL };

static bool listed(const char *const *values, const char *v, size_t len)
{
	for (; *values; values++)
		if (strlen(*values) == len && memcmp(*values, v, len) == 0)
			return true;
	return false;
}

/*
 * A list of res the client sees: only records whose status is one of
 * values (a status filter asking for others is a 400; none is all of
 * them), each through view when not NULL. Replies; 0, or -1.
 */
static int list_only(struct http_req *req, const struct resource *res, const char *field,
		     const char *const *values, json_t *(*view)(struct http_req *, const json_t *))
{
	struct http_kv pairs[HTTP_MAX_QUERY + 1];
	int n = 0;
	bool given = false;
	for (int i = 0; i < req->nquery; i++) {
		const struct http_kv *kv = &req->query[i];
		if (strcmp(kv->name, field) == 0) {
			for (const char *p = kv->value; *p;) {
				size_t len = strcspn(p, ",");
				if (!listed(values, p, len))
					return http_reply_problem(req, 400, "bad-query", NULL,
								  "%s \"%.*s\" is not shown in "
								  "the portal", field, (int)len, p);
				p += len;
				p += *p == ',';
			}
			given = true;
		}
		pairs[n++] = *kv;
	}
	if (!given) {
		if (n >= HTTP_MAX_QUERY)
			return http_reply_problem(req, 400, "bad-query", NULL,
						  "too many query parameters");
		char all[128] = "";
		for (const char *const *v = values; *v; v++)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
				 v == values ? "" : ",", *v);
		pairs[n++] = (struct http_kv){ field, arena_strdup(&req->arena, all) };
	}
	struct resource_query q;
	const char *err;
	if (resource_query_parse(res, ROLE_PORTAL, pairs, n, &q, &req->arena, &err) < 0)
		return http_reply_problem(req, 400, "bad-query", NULL, "%s", err);
	struct resource_ctx ctx;
	if (!api_ctx_or_reply(req, &ctx))
		return 0;
	if (!res->company_field && !res->company_via)
		ctx.scope_company = 0;	/* no company's (help articles): the filter decides */
	json_t *data;
	const char *next = NULL;
	int rc = resource_list(&ctx, res, &q, &data, &next);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 0, res->singular, 0);
	if (view) {
		json_t *shown = http_json(req, json_array());
		size_t i;
		json_t *rec;
		json_array_foreach(data, i, rec)
			json_array_append(shown, view(req, rec));
		data = shown;
	}
	if (next) {
		const char *link = api_next_link(req, next);
		if (link)
			http_set_header(req, "Link", link);
	}
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O, s:s?}", "data", data,
								  "next_cursor", next)));
}

/*
 * The record ":id" (or ":id.pdf": *pdf set) names, if the client may see
 * it (its status one of values); 0 after replying 404.
 */
static bool record_or_reply(struct http_req *req, const struct resource *res,
			    const char *field, const char *const *values, struct resource_ctx *ctx,
			    int64_t *id, bool *pdf, json_t **rec)
{
	const char *p = http_param(req, "id");
	size_t n = p ? strlen(p) : 0;
	char digits[24] = "";
	*pdf = n > 4 && strcmp(p + n - 4, ".pdf") == 0;
	if (*pdf)
		n -= 4;
	if (n < sizeof(digits)) {
		memcpy(digits, p, n);
		digits[n] = '\0';
	}
	*id = api_parse_id(digits);
	if (!api_no_query_or_reply(req))
		return false;
	if (!*id) {
		http_reply_problem(req, 404, "not-found", NULL, "no %s with id \"%s\"",
				   res->singular, p ? p : "");
		return false;
	}
	if (!api_ctx_or_reply(req, ctx))
		return false;
	if (!res->company_field && !res->company_via)
		ctx->scope_company = 0;	/* no company's (help articles): the field decides */
	int rc = resource_get(ctx, res, *id, rec);
	const char *status = rc == RC_OK ? str(*rec, field) : NULL;
	if (rc == RC_OK && (!status || !listed(values, status, strlen(status))))
		rc = RC_NOT_FOUND;
	if (rc != RC_OK) {
		api_reply_result(req, rc, NULL, NULL, 0, res->singular, *id);
		return false;
	}
	return true;
}

static json_t *quote_view(struct http_req *req, const json_t *q)
{
	json_t *doc = api_quote_client_view(req, q);
	if (doc) {
		json_object_set(doc, "id", json_object_get(q, "id"));
		json_object_set_new(doc, "can_respond",
				    json_boolean(quote_open_to_answer(q, time_now())));
		json_object_set_new(doc, "pdf_url",
				    json_string(arena_printf(&req->arena,
							     "/api/v1/portal/quotes/%lld.pdf",
							     (long long)json_integer_value(
								     json_object_get(q, "id")))));
	}
	return doc;
}

static int quotes(struct http_req *req)
{
	return list_only(req, &quote_resource, "status", client_quotes, quote_view);
}

static int quote(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	bool pdf;
	json_t *q;
	if (!record_or_reply(req, &quote_resource, "status", client_quotes, &ctx, &id, &pdf, &q))
		return 0;
	json_t *doc = quote_view(req, q);
	if (!doc)
		return -1;
	if (!pdf)
		return http_reply_json(req, 200, doc);
	json_object_set(doc, "company_id", json_object_get(q, "company_id"));
	return api_quote_pdf(req, &ctx, doc);
}

/* accept {name} and decline {reason}: the client's answer, as on the quote's link */
static int quote_answer(struct http_req *req, const struct resource_action *action)
{
	struct resource_ctx ctx;
	int64_t id;
	bool pdf;
	json_t *q;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON body {\"%s\": …} is required",
					  action == &quote_accept ? "name" : "reason");
	if (!record_or_reply(req, &quote_resource, "status", client_quotes, &ctx, &id, &pdf, &q))
		return 0;
	if (pdf)
		return http_reply_problem(req, 404, "not-found", NULL, "no such route");
	if (!quote_open_to_answer(q, ctx.now))
		return http_reply_problem(req, 409, "conflict",
					  http_json(req, json_pack("[{s:s, s:s}]", "field", "status",
								   "message", "is not open to answer")),
					  "quote %s is %s: it can no longer be answered",
					  str(q, "number"), str(q, "status"));
	json_t *out = NULL, *errors = NULL;
	int rc = resource_act(&ctx, &quote_resource, action, id, req->body, RESOURCE_ANY_VERSION,
			      &out, &errors);
	if (rc == RC_OK)
		return http_reply_json(req, 200, quote_view(req, out));
	return api_reply_result(req, rc, NULL, errors, 200, "quote", id);
}

static int quote_accept_h(struct http_req *req)
{
	return quote_answer(req, &quote_accept);
}

static int quote_decline_h(struct http_req *req)
{
	return quote_answer(req, &quote_decline);
}

static int invoices(struct http_req *req)
{
	return list_only(req, &invoice_resource, "status", client_invoices, NULL);
}

static int invoice(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	bool pdf;
	json_t *inv;
	if (!record_or_reply(req, &invoice_resource, "status", client_invoices, &ctx, &id, &pdf, &inv))
		return 0;
	return api_invoice_get(req);	/* the record or its PDF, as the engine shows it to us */
}

/* Help articles: those the firm shows in the portal ------------------------ */

static const char *const portal_visible[] = { "portal", NULL };

static int articles(struct http_req *req)
{
	return list_only(req, &kb_article_resource, "visibility", portal_visible, NULL);
}

static int article(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	bool pdf;
	json_t *a;
	if (!record_or_reply(req, &kb_article_resource, "visibility", portal_visible, &ctx, &id,
			     &pdf, &a))
		return 0;
	if (pdf)
		return http_reply_problem(req, 404, "not-found", NULL, "no help article with id "
					  "\"%s\"", http_param(req, "id"));
	return api_reply_result(req, RC_OK, a, NULL, 200, "article", id);
}

/* The client's rating of a resolved ticket (its satisfaction survey) -------- */

static int survey_reply(struct http_req *req, struct resource_ctx *ctx, int64_t id, int status)
{
	json_t *view;
	int rc = survey_public_view(ctx, id, &view);
	if (rc == RC_NOT_FOUND)
		return http_reply_problem(req, 404, "not-found", NULL,
					  "ticket %lld has no survey: it is asked once it is resolved",
					  (long long)id);
	if (rc != RC_OK)
		return -1;
	return http_reply_json(req, status, view);
}

static int survey_get(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	json_t *ticket;
	if (!api_no_query_or_reply(req) || !ticket_or_reply(req, &ctx, &id, &ticket))
		return 0;
	return survey_reply(req, &ctx, id, 200);
}

/* {rating 1..5, comment?}: the same rules as the survey's link (changeable for 7 days) */
static int rate(struct http_req *req)
{
	struct resource_ctx ctx;
	int64_t id;
	json_t *ticket;
	/* the ticket first: another company's is a 404 whatever the body holds */
	if (!api_no_query_or_reply(req) || !ticket_or_reply(req, &ctx, &id, &ticket))
		return 0;
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object {\"rating\": 1…5} is required");
	json_t *errors = http_json(req, json_array());
	int rating;
	const char *comment;
	if (!errors)
		return -1;
	if (survey_decode_answer(req->body, &rating, &comment, errors))
		return http_reply_problem(req, 422, "validation", errors,
					  "the rating has invalid fields");
	int rc = survey_answer_ticket(&ctx, id, rating, comment, errors);
	if (rc == RC_NOT_FOUND)
		return http_reply_problem(req, 409, "conflict",
					  http_json(req, json_pack("[{s:s, s:s}]", "field", "ticket",
								   "message", "is not resolved yet")),
					  "%s can be rated once it is resolved", str(ticket, "number"));
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, errors, 0, "ticket", id);
	return survey_reply(req, &ctx, id, 200);
}

/* Contracts and the money owed --------------------------------------------- */

/* The company's active contracts, a block-hours one with what is left of its block. */
static int contracts(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	struct resource_query q;
	const char *err;
	static const struct http_kv active[] = { { "status", "active" }, { "limit", "200" } };
	if (resource_query_parse(&contract_resource, ROLE_PORTAL, active, 2, &q, &req->arena,
				 &err) < 0)
		return -1;
	json_t *list;
	const char *next = NULL;
	int rc = resource_list(&ctx, &contract_resource, &q, &list, &next);
	if (rc != RC_OK)
		return api_reply_result(req, rc, NULL, NULL, 0, "contract", 0);
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c) {
		if (strcmp(str(c, "kind"), "block_hours") != 0)
			continue;
		json_t *bal, *errors = NULL;
		rc = contract_balance(&ctx, json_integer_value(json_object_get(c, "id")), &bal,
				      &errors);
		if (rc != RC_OK)
			return api_reply_result(req, rc, NULL, errors, 0, "contract", 0);
		static const char *const members[] = { "block_minutes", "carried_minutes",
						       "used_minutes", "remaining_minutes",
						       "overage_minutes", "used_percent", "lapses_on",
						       "rollover", NULL };
		json_t *b = json_object();
		for (const char *const *m = members; b && *m; m++)
			if (json_object_get(bal, *m))
				json_object_set(b, *m, json_object_get(bal, *m));
		json_object_set_new(c, "block", b);
	}
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O}", "data", list)));
}

/* What the company owes: the balance of its issued invoices, and how much is overdue. */
static int balance(struct http_req *req)
{
	struct resource_ctx ctx;
	if (!api_no_query_or_reply(req) || !api_ctx_or_reply(req, &ctx))
		return 0;
	char today[TIME_RFC3339_LEN];
	time_format(ctx.now, today);
	today[10] = '\0';
	struct db_stmt *st = db_prepare(ctx.db,
		"SELECT currency, COUNT(*), COALESCE(SUM(balance), 0),"
		" COALESCE(SUM(CASE WHEN due_on < ? THEN balance ELSE 0 END), 0)"
		" FROM invoices WHERE company_id = ? AND status = 'issued' AND balance <> 0"
		" AND archived_at IS NULL GROUP BY currency ORDER BY currency");
	if (!st)
		return -1;
	db_bind_text(st, 1, today);
	db_bind_int(st, 2, ctx.scope_company);
	json_t *rows = http_json(req, json_array());
	int rc;
	while (rows && (rc = db_step(st)) == RC_ROW)
		json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:I}", "currency",
						      db_col_text(st, 0), "invoices_open",
						      (json_int_t)db_col_int(st, 1), "balance",
						      (json_int_t)db_col_int(st, 2), "overdue",
						      (json_int_t)db_col_int(st, 3)));
	db_done(st);
	if (!rows || rc != RC_DONE)
		return -1;
	return http_reply_json(req, 200, http_json(req, json_pack("{s:O}", "data", rows)));
}

#define PORTAL ROLE_PORTAL

static const struct http_route routes[] = {
	{ "POST", "/api/v1/contacts/:id/invite", invite, ROLE_ADMIN | ROLE_MANAGER,
	  HTTP_SECRET_REPLY, NULL },
	{ "GET", "/api/v1/portal/firm", firm, HTTP_PUBLIC, 0, NULL },
	{ "GET", "/api/v1/portal/firm/logo", firm_logo, HTTP_PUBLIC, 0, NULL },
	{ "POST", "/api/v1/portal/auth/login", login, HTTP_PUBLIC, HTTP_SECRET_REPLY | HTTP_SLOW,
	  NULL },
	{ "GET", "/api/v1/portal/auth/invitation/:token", invitation, HTTP_PUBLIC, 0, NULL },
	{ "POST", "/api/v1/portal/auth/activate", activate, HTTP_PUBLIC,
	  HTTP_SECRET_REPLY | HTTP_SLOW, NULL },
	{ "POST", "/api/v1/portal/auth/reset-request", reset_request, HTTP_PUBLIC, 0, NULL },
	{ "POST", "/api/v1/portal/auth/reset", reset, HTTP_PUBLIC, HTTP_SLOW, NULL },
	{ "GET", "/api/v1/portal/auth/me", me, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/tickets", api_resource_list, PORTAL, 0, &ticket_resource },
	{ "POST", "/api/v1/portal/tickets", ticket_new, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/tickets/:id", api_resource_get, PORTAL, 0, &ticket_resource },
	{ "GET", "/api/v1/portal/tickets/:id/notes", notes, PORTAL, 0, NULL },
	{ "POST", "/api/v1/portal/tickets/:id/notes", note_new, PORTAL, 0, NULL },
	{ "POST", "/api/v1/portal/tickets/:id/confirm", confirm, PORTAL, 0, NULL },
	{ "POST", "/api/v1/portal/tickets/:id/reopen", reopen, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/tickets/:id/survey", survey_get, PORTAL, 0, NULL },
	{ "POST", "/api/v1/portal/tickets/:id/rate", rate, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/assets", api_resource_list, PORTAL, 0, &asset_resource },
	{ "GET", "/api/v1/portal/assets/:id", api_resource_get, PORTAL, 0, &asset_resource },
	{ "GET", "/api/v1/portal/sites", api_resource_list, PORTAL, 0, &site_resource },
	{ "GET", "/api/v1/portal/kb/articles", articles, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/kb/articles/:id", article, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/quotes", quotes, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/quotes/:id", quote, PORTAL, 0, NULL },
	{ "POST", "/api/v1/portal/quotes/:id/accept", quote_accept_h, PORTAL, 0, NULL },
	{ "POST", "/api/v1/portal/quotes/:id/decline", quote_decline_h, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/invoices", invoices, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/invoices/:id", invoice, PORTAL, 0, &invoice_resource },
	{ "GET", "/api/v1/portal/contracts", contracts, PORTAL, 0, NULL },
	{ "GET", "/api/v1/portal/balance", balance, PORTAL, 0, NULL },
};

const struct api_routes api_portal_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
