/*
 * resources.c - staff users and their certifications as resources, for
 * /api/v1/users: the engine does list, get, create and patch; the hooks
 * here hash passwords, normalize e-mail addresses and end the sessions of
 * a user whose password changes or who is deactivated.
 */
#include "auth.h"

#include "catalog/catalog.h"
#include "crm/crm.h"
#include "db/db.h"
#include "resource/resource.h"
#include "service/service.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *const staff_roles[] = { "admin", "manager", "technician", "sales",
					   "billing", "portal", NULL };

static const struct field user_fields[] = {
	{ .name = "email", .type = FT_EMAIL, .flags = F_REQUIRED | F_FILTER | F_SORT, .max = 254,
	  .doc = "Unique, stored in lower case." },
	FIELD_TEXT("name", F_REQUIRED | F_FILTER | F_SORT, 1, 200),
	{ .name = "role", .type = FT_ENUM, .flags = F_REQUIRED | F_FILTER | F_SORT,
	  .enum_values = staff_roles,
	  .doc = "You cannot change your own role. `portal` is a client contact's portal login, "
		 "which the server makes (`POST /contacts/{id}/invite`) and this list never shows." },
	{ .name = "active", .type = FT_BOOL, .flags = F_FILTER, .dflt = "true",
	  .doc = "Deactivating ends the user's sessions; you cannot deactivate yourself." },
	{ .name = "skills", .type = FT_STRINGS, .min = 50, .max = 60, .dflt = "[]",
	  .doc = "What the user can do, for dispatch (for example `wifi`, `printers`)." },
	{ .name = "totp_enabled", .type = FT_BOOL, .flags = F_READ_ONLY,
	  .doc = "Whether the user signs in with a second factor." },
	{ .name = "password", .type = FT_TEXT, .flags = F_REQUIRED | F_WRITE_ONLY, .min = 1,
	  .max = 512,
	  .doc = "At least 10 characters not counting spaces at either end or invisible "
		 "characters (at most 512 bytes), not containing the user's e-mail or name, and "
		 "not easy to guess (zxcvbn score 3 or more). Changing it ends the user's sessions "
		 "and revokes their API tokens." },
	/* what an hour of the user's costs the firm: managers' business alone */
	{ .name = "cost_rate", .type = FT_MONEY, .min = 0, .max = 100000000000,
	  .hidden_from = ROLE_TECHNICIAN | ROLE_SALES | ROLE_BILLING,
	  .doc = "What an hour of the user's time costs the firm (for profitability); seen by "
		 "managers and admins only." },
	{ .name = "calendar_id", .type = FT_REF, .ref = &calendar_resource, .flags = F_FILTER,
	  .doc = "The user's working hours (for utilisation); default the default SLA policy's "
		 "calendar." },
	{ .name = "default_work_type_id", .type = FT_REF, .ref = &work_type_resource,
	  .flags = F_FILTER,
	  .doc = "The work type of the time a visit's check-out logs, unless the check-out says." },
	{ .name = "manager_id", .type = FT_REF, .ref = &user_resource, .flags = F_FILTER,
	  .read_only_for = ROLE_TECHNICIAN | ROLE_SALES | ROLE_BILLING,
	  .doc = "Whom the user reports to: told of a bad satisfaction rating on their work "
		 "(every manager when unset)." },
	{ .name = "notify_email", .type = FT_STRINGS, .flags = F_READ_ONLY, .min = 10, .max = 40,
	  .dflt = "[\"assigned\",\"client_replied\",\"sla_warning\",\"quote_accepted\","
		  "\"negative_rating\"]",
	  .doc = "The kinds of notification the user has sent by e-mail too; each user sets "
		 "their own (`PATCH /api/v1/me/notification-settings`)." },
	{ .name = "contact_id", .type = FT_REF, .flags = F_READ_ONLY, .ref = &contact_resource,
	  .doc = "The contact of a portal login; always null here (staff only)." },
	{ .name = "password_hash", .type = FT_TEXT, .flags = F_HIDDEN },
	{ .name = "totp_secret", .type = FT_TEXT, .flags = F_HIDDEN },
	{ .name = "totp_last_step", .type = FT_INT, .flags = F_HIDDEN },
	FIELD_END
};

/* Sessions end when the password changes or the user is deactivated. */
static int user_prepare(struct resource_ctx *ctx, const json_t *cur, json_t *rec, json_t *errors)
{
	const char *email = json_string_value(json_object_get(rec, "email"));
	char norm[256];
	if (email && auth_email_normalize(email, norm, sizeof(norm)))
		json_object_set_new(rec, "email", json_string(norm));
	/* portal logins are the server's to make (auth_portal_invite), never a role to give */
	const char *role = json_string_value(json_object_get(rec, "role"));
	if (!ctx->trusted && role && strcmp(role, "portal") == 0 &&
	    (!cur || !json_equal(json_object_get(cur, "role"), json_object_get(rec, "role")))) {
		resource_error(errors, "role", "portal logins are made by inviting a contact "
					       "(POST /api/v1/contacts/{id}/invite)");
		return RC_OK;
	}
	const char *pw = json_string_value(json_object_get(rec, "password"));
	bool ends_sessions = false, new_password = false;
	if (pw) {
		const char *problem =
			auth_password_problem(pw, json_string_value(json_object_get(rec, "email")),
					      json_string_value(json_object_get(rec, "name")));
		if (problem) {
			resource_error(errors, "password", problem);
			return RC_OK;
		}
		char hash[AUTH_HASH_MAX];
		if (auth_password_hash(pw, hash) < 0)
			return RC_ERROR;
		json_object_set_new(rec, "password_hash", json_string(hash));
		json_object_del(rec, "password");
		new_password = cur != NULL;
	}
	if (cur && json_is_true(json_object_get(cur, "active")) &&
	    json_is_false(json_object_get(rec, "active"))) {
		if (json_integer_value(json_object_get(cur, "id")) == ctx->actor->user_id) {
			resource_error(errors, "active", "you cannot deactivate yourself");
			return RC_OK;
		}
		ends_sessions = true;
	}
	if (cur && json_integer_value(json_object_get(cur, "id")) == ctx->actor->user_id &&
	    json_is_string(json_object_get(rec, "role")) &&
	    !json_equal(json_object_get(cur, "role"), json_object_get(rec, "role"))) {
		resource_error(errors, "role", "you cannot change your own role");
		return RC_OK;
	}
	int64_t id = cur ? json_integer_value(json_object_get(cur, "id")) : 0;
	/* someone else set it (an admin's reset): whoever knew the old one is out */
	if (new_password)
		return auth_revoke_user_credentials(ctx->db, ctx->actor, id, 0);
	if (ends_sessions) {
		int rc = db_run(ctx->db, NULL, "DELETE FROM sessions WHERE user_id = ?", "i", id);
		if (rc != RC_DONE)
			return rc;
	}
	return RC_OK;
}

/* The server's own changes to a user: each a trusted action, audited under its name. */

static const struct field password_body[] = {
	FIELD_TEXT("password", F_REQUIRED, 1, 512),
	/* the session that changes its own password goes on */
	FIELD_INT("keep_session_id", 0, 1, INT64_MAX),
	FIELD_END
};

/* A new password: every session (but the one to keep) ends, every API token is revoked. */
static int set_password(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			const json_t *body, json_t *errors)
{
	const char *pw = json_string_value(json_object_get(body, "password"));
	const char *problem = auth_password_problem(pw,
						    json_string_value(json_object_get(cur, "email")),
						    json_string_value(json_object_get(cur, "name")));
	if (problem) {
		resource_error(errors, "password", problem);
		return RC_INVALID;
	}
	char hash[AUTH_HASH_MAX];
	if (auth_password_hash(pw, hash) < 0)
		return RC_ERROR;
	json_object_set_new(rec, "password_hash", json_string(hash));
	sodium_memzero(hash, sizeof(hash));
	json_t *keep = json_object_get(body, "keep_session_id");
	return auth_revoke_user_credentials(ctx->db, ctx->actor,
					    json_integer_value(json_object_get(cur, "id")),
					    json_is_integer(keep) ? json_integer_value(keep) : 0);
}

static int disable(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		   json_t *errors)
{
	json_object_set_new(rec, "active", json_false());
	return RC_OK;	/* user_prepare ends the sessions */
}

static const struct field secret_body[] = {
	FIELD_TEXT("secret", F_REQUIRED, 16, 128),
	FIELD_END
};

/* A new secret, not yet enabled: the user confirms a code first. */
static int totp_begin(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
		      const json_t *body, json_t *errors)
{
	json_object_set(rec, "totp_secret", json_object_get(body, "secret"));
	json_object_set_new(rec, "totp_enabled", json_false());
	json_object_set_new(rec, "totp_last_step", json_integer(0));
	return RC_OK;
}

static int totp_enable(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
		       const json_t *body, json_t *errors)
{
	if (!json_is_string(json_object_get(cur, "totp_secret"))) {
		resource_error(errors, "totp_enabled", "no authenticator secret to enable");
		return RC_CONFLICT;
	}
	json_object_set_new(rec, "totp_enabled", json_true());
	return RC_OK;
}

static int totp_disable(struct resource_ctx *ctx, const json_t *cur, json_t *rec,
			const json_t *body, json_t *errors)
{
	json_object_set_new(rec, "totp_enabled", json_false());
	json_object_set_new(rec, "totp_secret", json_null());
	return RC_OK;
}

const struct resource_action user_act_password = { .name = "password", .body = password_body,
						     .event = "password_changed",
						     .apply = set_password };
const struct resource_action user_act_disable = { .name = "disable", .event = "disabled",
					      .apply = disable };
const struct resource_action user_act_totp_begin = { .name = "totp_begin", .body = secret_body,
						 .apply = totp_begin };
const struct resource_action user_act_totp_enable = { .name = "totp_enable", .apply = totp_enable };
const struct resource_action user_act_totp_disable = { .name = "totp_disable",
						   .apply = totp_disable };

static const struct resource_action *const user_actions[] = {
	&user_act_password, &user_act_disable, &user_act_totp_begin, &user_act_totp_enable, &user_act_totp_disable,
	NULL
};

const struct resource user_resource = {
	.name = "users",
	.singular = "user",
	.table = "users",
	.fields = user_fields,
	.default_sort = "name",
	.prepare = user_prepare,
	.actions = user_actions,
	.rows = "contact_id IS NULL",
	.doc = "Staff users: who signs in, with which role.",
};

static const struct field certification_fields[] = {
	{ .name = "user_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &user_resource, .doc = "The user (from the path)." },
	FIELD_TEXT("name", F_REQUIRED | F_FILTER | F_SORT, 1, 200),
	FIELD_TEXT("issuer", F_FILTER, 1, 200),
	FIELD_TEXT("number", 0, 1, 100),
	FIELD_DATE("issued_on", F_SORT),
	{ .name = "expires_on", .type = FT_DATE, .flags = F_FILTER | F_SORT,
	  .doc = "Not before `issued_on`." },
	FIELD_END
};

static int certification_check(struct resource_ctx *ctx, const json_t *rec, json_t *errors)
{
	const char *from = json_string_value(json_object_get(rec, "issued_on"));
	const char *to = json_string_value(json_object_get(rec, "expires_on"));
	if (from && to && strcmp(to, from) < 0)
		resource_error(errors, "expires_on", "must not be before issued_on");
	return RC_OK;
}

const struct resource certification_resource = {
	.name = "certifications",
	.singular = "certification",
	.table = "user_certifications",
	.fields = certification_fields,
	.default_sort = "name",
	.check = certification_check,
	.parent = &user_resource,
	.parent_field = "user_id",
	.doc = "A user's certifications, with expiry dates: dispatch checks them against a "
	       "ticket's `required_certifications`.",
};

/*
 * API tokens as records to list (their secrets are never stored, and
 * their hashes never shown); made and revoked by auth_token_create and
 * auth_token_revoke.
 */
static const struct field token_fields[] = {
	{ .name = "user_id", .type = FT_REF, .flags = F_READ_ONLY | F_FILTER,
	  .ref = &user_resource, .doc = "The user the token acts as." },
	{ .name = "name", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER | F_SORT, .min = 1,
	  .max = 100, .doc = "What it is for." },
	/* the first characters after "svo_", to tell tokens apart */
	{ .name = "prefix", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 1, .max = 20,
	  .doc = "The first characters after `svo_`, to tell tokens apart." },
	FIELD_TIME("created_at", F_READ_ONLY | F_FILTER | F_SORT),
	{ .name = "last_used_at", .type = FT_TIME, .flags = F_READ_ONLY | F_SORT,
	  .doc = "When it was last used; null before its first use." },
	{ .name = "expires_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "When it stops working by itself; null: never." },
	{ .name = "revoked_at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER,
	  .doc = "When it was revoked; null while it works." },
	FIELD_END
};

const struct resource api_token_resource = {
	.name = "tokens",
	.singular = "API token",
	.table = "api_tokens",
	.fields = token_fields,
	.default_sort = "-id",
	.read_only = true,
	.no_record_columns = true,
	.doc = "API tokens, never with their secret or its hash.",
};
