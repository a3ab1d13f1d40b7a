/*
 * portal.c - the client portal's logins and their one-time links.
 *
 * A contact with portal_access signs in as a row of users with role
 * "portal" and contact_id set (user_resource's rows leave those out, so
 * the staff never see or edit them). The login is made by the first
 * invitation, with a random password nobody knows: it cannot be used
 * until the invitation's link sets one. Links (portal_links) keep only
 * the SHA-256 of their secret, work once, and a new one of a kind ends
 * the older ones of that login.
 */
#include "auth/auth.h"

#include "core/arena.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "resource/resource.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define INVITE_SECONDS (7 * 86400)
#define RESET_SECONDS 3600

static const char *kind_name(enum portal_link kind)
{
	return kind == PORTAL_INVITE ? "invite" : "reset";
}

/* A new link of kind for user_id, the older unused ones of that kind ended. */
static int link_new(struct resource_ctx *ctx, int64_t user_id, enum portal_link kind,
		    char token_out[AUTH_TOKEN_LEN], int64_t *expires_at)
{
	char hash[65], t_now[TIME_RFC3339_LEN], t_exp[TIME_RFC3339_LEN];
	int64_t now = ctx->now ? ctx->now : time_now();
	*expires_at = now + (kind == PORTAL_INVITE ? INVITE_SECONDS : RESET_SECONDS);
	time_format(now, t_now);
	time_format(*expires_at, t_exp);
	int rc = db_run(ctx->db, NULL,
			"UPDATE portal_links SET used_at = ? WHERE user_id = ? AND kind = ?"
			" AND used_at IS NULL",
			"sis", t_now, user_id, kind_name(kind));
	if (rc != RC_DONE)
		return rc;
	auth_random_token(token_out);
	auth_sha256_hex(token_out, hash);
	int64_t by = ctx->actor ? ctx->actor->user_id : 0;
	if (by)
		rc = db_run(ctx->db, NULL,
			    "INSERT INTO portal_links (user_id, kind, token_hash, created_at,"
			    " expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
			    "issssi", user_id, kind_name(kind), hash, t_now, t_exp, by);
	else
		rc = db_run(ctx->db, NULL,
			    "INSERT INTO portal_links (user_id, kind, token_hash, created_at,"
			    " expires_at) VALUES (?, ?, ?, ?, ?)",
			    "issss", user_id, kind_name(kind), hash, t_now, t_exp);
	return rc == RC_DONE ? RC_OK : rc;
}

int auth_portal_invite(struct resource_ctx *ctx, int64_t contact_id,
		       char token_out[AUTH_TOKEN_LEN], int64_t *expires_at, int64_t *user_id,
		       const char **problem)
{
	*problem = NULL;
	struct resource_ctx sys = *ctx;
	sys.trusted = true;
	sys.scope_company = 0;
	sys.parent_id = 0;
	json_t *contact, *out, *errors = NULL;
	int rc = resource_get(&sys, &contact_resource, contact_id, &contact);
	if (rc != RC_OK)
		return rc;
	if (json_is_string(json_object_get(contact, "archived_at"))) {
		*problem = "the contact is archived";
		return RC_CONFLICT;
	}
	if (!json_is_true(json_object_get(contact, "portal_access"))) {
		*problem = "the contact has no portal access: set portal_access to true first";
		return RC_CONFLICT;
	}
	char email[256];
	const char *addr = json_string_value(json_object_get(contact, "email"));
	if (!addr || !auth_email_normalize(addr, email, sizeof(email))) {
		*problem = "the contact has no e-mail address to sign in with";
		return RC_CONFLICT;
	}
	if (json_is_string(json_object_get(contact, "email_bounced_at"))) {
		*problem = "mail to the contact's address bounced: correct the address first";
		return RC_CONFLICT;
	}
	const char *name = arena_printf(ctx->arena, "%.100s %.99s",
					json_string_value(json_object_get(contact, "first_name")),
					json_string_value(json_object_get(contact, "last_name")));
	if (!name)
		return RC_ERROR;

	struct db_stmt *st;
	rc = db_run(ctx->db, &st, "SELECT id, contact_id FROM users WHERE email = ?", "s", email);
	if (rc == RC_ROW) {
		bool theirs = !db_col_null(st, 1) && db_col_int(st, 1) == contact_id;
		db_done(st);
		if (!theirs) {
			*problem = "the contact's address is another user's or portal login's";
			return RC_CONFLICT;
		}
	} else if (rc != RC_DONE) {
		return rc;
	}
	rc = db_run(ctx->db, &st, "SELECT id FROM users WHERE contact_id = ?", "i", contact_id);
	int64_t login = 0;
	if (rc == RC_ROW) {
		login = db_col_int(st, 0);
		db_done(st);
	} else if (rc != RC_DONE) {
		return rc;
	}
	if (login) {
		json_t *patch = arena_json(ctx->arena, json_pack("{s:s, s:s, s:b}", "email", email,
								 "name", name, "active", 1));
		rc = patch ? resource_update_trusted(ctx, &user_resource, login, patch, &out, &errors)
			   : RC_ERROR;
	} else {
		/* a password nobody knows: the login works once the invitation sets one */
		char unknown[AUTH_TOKEN_LEN];
		auth_random_token(unknown);
		json_t *body = arena_json(ctx->arena,
					  json_pack("{s:s, s:s, s:s, s:s, s:I}", "email", email, "name",
						    name, "role", "portal", "password", unknown,
						    "contact_id", (json_int_t)contact_id));
		sodium_memzero(unknown, sizeof(unknown));
		rc = body ? resource_create_trusted(ctx, &user_resource, body, &out, &errors)
			  : RC_ERROR;
		if (rc == RC_OK)
			login = json_integer_value(json_object_get(out, "id"));
	}
	if (rc == RC_INVALID || rc == RC_CONFLICT) {
		*problem = "the contact's address or name cannot be a portal login";
		return RC_CONFLICT;
	}
	if (rc != RC_OK)
		return rc;
	rc = link_new(ctx, login, PORTAL_INVITE, token_out, expires_at);
	if (rc != RC_OK)
		return rc;
	char t_now[TIME_RFC3339_LEN];
	time_format(ctx->now ? ctx->now : time_now(), t_now);
	json_t *mark = arena_json(ctx->arena, json_pack("{s:s}", "portal_invited_at", t_now));
	rc = mark ? resource_update_trusted(ctx, &contact_resource, contact_id, mark, &out, &errors)
		  : RC_ERROR;
	*user_id = login;
	return rc;
}

int auth_portal_reset_link(struct resource_ctx *ctx, int64_t user_id,
			   char token_out[AUTH_TOKEN_LEN], int64_t *expires_at)
{
	return link_new(ctx, user_id, PORTAL_RESET, token_out, expires_at);
}

int auth_portal_link_find(struct db *db, enum portal_link kind, const char *token, int64_t now,
			  int64_t *user_id, int64_t *link_id)
{
	if (!token || strlen(token) != AUTH_TOKEN_LEN - 1)
		return 0;
	char hash[65], t_now[TIME_RFC3339_LEN];
	auth_sha256_hex(token, hash);
	time_format(now, t_now);
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT l.id, l.user_id FROM portal_links l JOIN users u ON u.id = l.user_id"
			" WHERE l.token_hash = ? AND l.kind = ? AND l.used_at IS NULL"
			" AND l.expires_at > ? AND u.role = 'portal' AND u.active = 1",
			"sss", hash, kind_name(kind), t_now);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	*link_id = db_col_int(st, 0);
	*user_id = db_col_int(st, 1);
	db_done(st);
	return 1;
}

int auth_portal_link_use(struct db *db, int64_t link_id, int64_t now)
{
	char t_now[TIME_RFC3339_LEN];
	time_format(now, t_now);
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"UPDATE portal_links SET used_at = ? WHERE id = ? AND used_at IS NULL"
			" RETURNING id",
			"si", t_now, link_id);
	if (rc == RC_ROW) {
		db_done(st);
		return 1;
	}
	return rc == RC_DONE ? 0 : -1;
}

int auth_portal_find(struct db *db, const char *email, int64_t *user_id)
{
	char norm[256];
	if (!email || !auth_email_normalize(email, norm, sizeof(norm)))
		return 0;
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT u.id FROM users u JOIN contacts c ON c.id = u.contact_id"
			" WHERE u.email = ? AND u.role = 'portal' AND u.active = 1"
			" AND c.portal_access = 1 AND c.archived_at IS NULL",
			"s", norm);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	*user_id = db_col_int(st, 0);
	db_done(st);
	return 1;
}
