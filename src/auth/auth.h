/*
 * auth.h - who the caller is: staff users and their roles, passwords
 * (argon2id), sessions with CSRF tokens, API tokens, TOTP, and the login
 * rate limits. Everything is kept in the database so several servers can
 * share it.
 *
 * Roles are bits so a route can allow several; a caller has exactly one.
 */
#ifndef SERVIO_AUTH_H
#define SERVIO_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;
struct arena;
struct resource;

/* resources.c: /api/v1/users and /api/v1/users/{id}/certifications */
extern const struct resource user_resource;
extern const struct resource certification_resource;
/* /api/v1/tokens: API tokens to list (read-only; see auth_token_create). */
extern const struct resource api_token_resource;

/*
 * The server's own changes to a user (actions of user_resource with no
 * route): set_password {password}, disable, totp_begin {secret},
 * totp_enable, totp_disable. Each is a trusted write with its audit entry
 * named after it; the secrets are hidden columns the audit never shows.
 */
struct resource_action;
extern const struct resource_action user_act_password;
extern const struct resource_action user_act_disable;
extern const struct resource_action user_act_totp_begin;
extern const struct resource_action user_act_totp_enable;
extern const struct resource_action user_act_totp_disable;

enum role {
	ROLE_ADMIN = 1u << 0,
	ROLE_MANAGER = 1u << 1,
	ROLE_TECHNICIAN = 1u << 2,
	ROLE_SALES = 1u << 3,
	ROLE_BILLING = 1u << 4,
	ROLE_PORTAL = 1u << 5,	/* a client contact in the portal */
};

#define ROLE_STAFF (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN | ROLE_SALES | ROLE_BILLING)
#define ROLE_ANYONE (ROLE_STAFF | ROLE_PORTAL)

/* "admin" -> ROLE_ADMIN; 0 for an unknown name. */
unsigned role_parse(const char *name);
/* ROLE_ADMIN -> "admin"; "" for anything else. */
const char *role_name(unsigned role);

/* The authenticated caller; strings live in the request arena. */
struct auth_user {
	int64_t id;
	const char *email;
	const char *name;
	unsigned role;
	bool totp_enabled;
	int64_t session_id;		/* 0 when authenticated by an API token */
	const char *csrf_token;		/* the session's, NULL for tokens */
	int64_t token_id;		/* 0 when authenticated by a session */
	/* a portal login (role ROLE_PORTAL): the contact, their company and portal_role */
	int64_t contact_id;
	int64_t company_id;
	const char *portal_role;	/* "technical", "billing" or "admin" */
};

struct audit_actor;

/* Passwords: argon2id via libsodium. SERVIO_ARGON2_FAST=1 picks the
 * cheapest parameters (tests under sanitizers only; never in production). */
#define AUTH_HASH_MAX 128
/* Returns 0 and fills out, or -1 (out of memory). */
int auth_password_hash(const char *password, char out[AUTH_HASH_MAX]);
bool auth_password_verify(const char *hash, const char *password);
/* The most hashes and checks that ever ran at once (never above two: their memory). */
int auth_password_hashes_peak(void);
/* Like auth_password_verify, but with no hash it spends the same time and fails. */
bool auth_password_verify_or_dummy(const char *hash, const char *password);
/*
 * password_policy.c: NULL when password is acceptable for the user of
 * email and name (either may be NULL), else what is wrong with it, for
 * people (a static string): too short once spaces at either end and
 * invisible characters are left out, only such characters, containing
 * the e-mail or name, or too easy to guess (zxcvbn score below 3).
 */
const char *auth_password_problem(const char *password, const char *email, const char *name);

/* Secrets: 256 random bits as base64url (43 characters). */
#define AUTH_TOKEN_LEN 44
void auth_random_token(char out[AUTH_TOKEN_LEN]);
/* SHA-256 of s as lowercase hex: how secrets are stored. */
void auth_sha256_hex(const char *s, char out[65]);

/* An e-mail address as users have it: trimmed, lowercased, checked. */
bool auth_email_normalize(const char *in, char *out, size_t outlen);

/*
 * Users. Each write is one transaction with its audit entry; secrets never
 * reach the audit log. Return 0, or -1 with *problem set for the caller's
 * message (a NULL problem means a database failure, logged).
 */
int auth_user_create(struct db *db, const struct audit_actor *actor, const char *email,
		     const char *name, unsigned role, const char *password, int64_t *id,
		     const char **problem);
/*
 * A new password ends every session (but keep_session, 0 for none: the
 * one making its own change) and revokes every API token of the user.
 */
int auth_user_set_password(struct db *db, const struct audit_actor *actor, int64_t id,
			   const char *password, int64_t keep_session, const char **problem);
/* Disables the user and ends all their sessions. */
int auth_user_disable(struct db *db, const struct audit_actor *actor, int64_t id);
/*
 * Applies one of the user actions above to user id as actor, in its own
 * transaction; takes body (a new reference: {} for none). 0 or -1.
 */
struct json_t;
int auth_user_act(struct db *db, const struct audit_actor *actor,
		  const struct resource_action *action, int64_t id, struct json_t *body);
/* Looks a user up by e-mail: 1 found (id set), 0 not found, -1 error. */
int auth_user_find(struct db *db, const char *email, int64_t *id);
/* Fills u (strings in the arena) for an active user: 1, 0 inactive/absent, -1 error. */
int auth_user_load(struct db *db, struct arena *arena, int64_t id, struct auth_user *u);
/*
 * auth_user_load for a lookup that reads the user in its own statement
 * (a token's, a session's: one round trip, not two): AUTH_USER_JOIN(t) joins
 * the active user of t.user_id as u, AUTH_USER_COLUMNS are the columns to
 * select from it, and auth_user_row reads them from column col of the
 * current row (all NULL: no active user) before the statement is done;
 * auth_user_check then finishes as auth_user_load does.
 */
#define AUTH_USER_COLUMNS "u.email, u.name, u.role, u.totp_enabled, u.contact_id"
#define AUTH_USER_JOIN(t) \
	" LEFT JOIN users u ON u.id = " t ".user_id AND u.active = 1 AND u.archived_at IS NULL"
bool auth_user_row(struct db_stmt *st, int col, struct arena *arena, int64_t id,
		   struct auth_user *u);
int auth_user_check(struct db *db, struct arena *arena, struct auth_user *u);

/*
 * The client portal's logins (portal.c): a contact with portal_access
 * signs in as a users row of role "portal" tied to the contact, which the
 * staff's /users never show. An invitation or a password reset is a
 * one-time link (the secret kept hashed): invitations live 7 days, resets
 * one hour; a new link of a kind ends the older ones.
 */
enum portal_link { PORTAL_INVITE, PORTAL_RESET };
/*
 * Makes (or finds) the contact's portal login, refreshing its e-mail and
 * name from the contact, and a new invitation link for it: token_out gets
 * the secret, *expires_at its end. The caller's transaction or none.
 * Returns RC_OK; RC_CONFLICT / RC_INVALID with *problem (no portal
 * access, no address, the address is another login's); or a failure.
 */
struct resource_ctx;
int auth_portal_invite(struct resource_ctx *ctx, int64_t contact_id,
		       char token_out[AUTH_TOKEN_LEN], int64_t *expires_at, int64_t *user_id,
		       const char **problem);
/* A new reset link for a portal login (token_out, *expires_at). RC_OK or a failure. */
int auth_portal_reset_link(struct resource_ctx *ctx, int64_t user_id,
			   char token_out[AUTH_TOKEN_LEN], int64_t *expires_at);
/*
 * The portal login a live, unused link of kind is for: 1 (*user_id,
 * *link_id set), 0 when unknown, used or expired, -1 on error.
 */
int auth_portal_link_find(struct db *db, enum portal_link kind, const char *token, int64_t now,
			  int64_t *user_id, int64_t *link_id);
/* Marks a link used (once: 1; 0 when it already was), -1 on error. */
int auth_portal_link_use(struct db *db, int64_t link_id, int64_t now);
/* The portal login of an e-mail address (active, contact with access): 1, 0, -1. */
int auth_portal_find(struct db *db, const char *email, int64_t *user_id);

/* Sessions, in the database so any server can serve any request. */
struct auth_session_new {
	char token[AUTH_TOKEN_LEN];	/* the cookie value */
	char csrf[AUTH_TOKEN_LEN];
	int64_t id;
};
/*
 * A new session of user_id: out filled on RC_OK, else a negative result
 * (RC_FULL: no room to write). Call it in the transaction that audits the
 * login, so neither is kept without the other.
 */
int auth_session_create(struct db *db, int64_t user_id, const char *remote_addr,
			unsigned idle_minutes, unsigned max_hours, int64_t now,
			struct auth_session_new *out);
/*
 * Finds the live session for a cookie value and slides its idle expiry
 * (at most once a minute). Returns 1 and fills u, 0 when absent, expired
 * or the user is inactive, -1 on error.
 */
int auth_session_lookup(struct db *db, struct arena *arena, const char *token,
			unsigned idle_minutes, unsigned max_hours, int64_t now,
			struct auth_user *u);
int auth_session_delete(struct db *db, int64_t session_id);
/* Ends every session of a user but keep_id (0 for all). */
int auth_session_delete_user(struct db *db, int64_t user_id, int64_t keep_id);
/*
 * After a password change: ends every session of the user but keep_id
 * (0 for all) and revokes every live API token, each revocation audited
 * under actor. Inside the caller's transaction; RC_OK or a failure.
 */
int auth_revoke_user_credentials(struct db *db, const struct audit_actor *actor,
				 int64_t user_id, int64_t keep_id);

/* API tokens: "svo_" + 43 characters, stored hashed. */
#define AUTH_API_TOKEN_LEN (4 + AUTH_TOKEN_LEN)
int auth_token_create(struct db *db, const struct audit_actor *actor, int64_t user_id,
		      const char *name, int64_t expires_at, char out[AUTH_API_TOKEN_LEN],
		      int64_t *id);
int auth_token_revoke(struct db *db, const struct audit_actor *actor, int64_t id);
/* 1 and fills u for a live token of an active user; 0 otherwise; -1 on error. */
int auth_token_lookup(struct db *db, struct arena *arena, const char *token, int64_t now,
		      struct auth_user *u);

/*
 * Sign-in throttling without lock-out (sessions.c). An attempt is counted
 * before its password is checked, in one statement, so parallel guesses
 * cannot slip past. Per account (3 free attempts, forgotten after a quiet
 * day) and per address (20, forgotten after a quiet hour), each attempt
 * after the free ones makes the next wait twice as long (1 s, 2 s, 4 s …
 * at most 15 minutes).
 * With device (the key auth_device_check gave for a known device of the
 * account) the attempt is counted on that device's own counter (5 free)
 * alone: the failures of others never slow the owner's known device.
 * Returns 0 when the attempt may go on, else the seconds to wait (> 0,
 * the attempt not counted), or -1 on error. addr and device may be NULL.
 *
 * A successful attempt calls auth_ratelimit_success: with device it
 * forgets that device's count; without, the account's, and it takes the
 * attempt off the address's count.
 */
int auth_ratelimit_attempt(struct db *db, const char *account, const char *addr,
			   const char *device, int64_t now);
int auth_ratelimit_success(struct db *db, const char *account, const char *addr,
			   const char *device);

/*
 * Known devices (devices.c): a signed cookie value bound to one account,
 * given after a successful sign-in, that lets its sign-ins be throttled
 * on their own (above). Valid AUTH_DEVICE_DAYS from its issue.
 */
/*
 * The server's secret key called name (link_keys), 32 bytes into key; made
 * on first use when make, else RC_NOT_FOUND. RC_OK, or a failure.
 */
#define AUTH_KEY_BYTES 32
int auth_server_key(struct db *db, const char *name, bool make, int64_t now,
		    unsigned char key[AUTH_KEY_BYTES]);

#define AUTH_DEVICE_MAX 128
#define AUTH_DEVICE_DAYS 365
/* A new value for user_id into out: 0, or -1 on error (logged by db). */
int auth_device_issue(struct db *db, int64_t user_id, int64_t now, char out[AUTH_DEVICE_MAX]);
/*
 * Whether value (may be NULL) is a valid device cookie of user_id at now:
 * 1 with key_out set to the device's throttle key, 0 when not, -1 on error.
 */
int auth_device_check(struct db *db, const char *value, int64_t user_id, int64_t now,
		      char key_out[AUTH_DEVICE_MAX]);

/* TOTP (RFC 6238, 30 s steps, 6 digits, ±1 step), secrets base32 in users. */
/* Starts enrolment: stores a new secret (not yet enabled). out: base32. */
int auth_totp_begin(struct db *db, const struct audit_actor *actor, int64_t user_id,
		    char *secret_out, size_t len);
/*
 * 1 when code is valid for the user's stored secret at now and its time
 * step is later than the last one accepted (a code works once: RFC 6238
 * 5.2), which it then records; 0 if not; -1 on error.
 */
int auth_totp_check(struct db *db, int64_t user_id, const char *code, int64_t now);
/* Validates a code against a base32 secret at now; *step gets its time step. */
bool auth_totp_valid(const char *secret_b32, const char *code, int64_t now, int64_t *step);
int auth_totp_set_enabled(struct db *db, const struct audit_actor *actor, int64_t user_id,
			  bool enabled);

#endif
