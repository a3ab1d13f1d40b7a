/*
 * sessions.c - how a caller proves who they are after logging in: session
 * cookies (with a CSRF token), API tokens, TOTP codes, and the counters
 * that slow down password guessing. All of it lives in the database, so
 * any server of several can check any request; secrets are stored only as
 * SHA-256 hashes (they are 256 random bits, so no slow hash is needed).
 */
#include "auth/auth.h"

#include "core/alloc.h"
#include "core/arena.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "resource/audit.h"

#include <jansson.h>
#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define TOUCH_SECONDS 60

int auth_session_create(struct db *db, int64_t user_id, const char *remote_addr,
			unsigned idle_minutes, unsigned max_hours, int64_t now,
			struct auth_session_new *out)
{
	char hash[65], t_now[TIME_RFC3339_LEN], t_exp[TIME_RFC3339_LEN];
	auth_random_token(out->token);
	auth_random_token(out->csrf);
	auth_sha256_hex(out->token, hash);
	int64_t exp = now + (int64_t)idle_minutes * 60;
	if (exp > now + (int64_t)max_hours * 3600)
		exp = now + (int64_t)max_hours * 3600;
	time_format(now, t_now);
	time_format(exp, t_exp);
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"INSERT INTO sessions (token_hash, user_id, csrf_token, created_at,"
			" last_seen_at, expires_at, remote_addr) VALUES (?, ?, ?, ?, ?, ?, ?)"
			" RETURNING id",
			"sisssss", hash, user_id, out->csrf, t_now, t_now, t_exp, remote_addr);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	out->id = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

int auth_session_lookup(struct db *db, struct arena *arena, const char *token,
			unsigned idle_minutes, unsigned max_hours, int64_t now,
			struct auth_user *u)
{
	char hash[65];
	if (strlen(token) != AUTH_TOKEN_LEN - 1)
		return 0;
	auth_sha256_hex(token, hash);
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT s.id, s.user_id, s.csrf_token, s.created_at, s.last_seen_at,"
			" s.expires_at, " AUTH_USER_COLUMNS " FROM sessions s" AUTH_USER_JOIN("s")
			" WHERE s.token_hash = ?",
			"s", hash);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	int64_t id = db_col_int(st, 0), user_id = db_col_int(st, 1);
	int64_t created = 0, seen = 0, expires = 0;
	time_parse(db_col_text(st, 3), &created);
	time_parse(db_col_text(st, 4), &seen);
	time_parse(db_col_text(st, 5), &expires);
	char *csrf = arena_strdup(arena, db_col_text(st, 2));
	bool active = auth_user_row(st, 6, arena, user_id, u);
	db_done(st);
	if (!csrf)
		return -1;
	if (now >= expires) {
		auth_session_delete(db, id);
		return 0;
	}
	if (!active)
		return 0;
	rc = auth_user_check(db, arena, u);
	if (rc != 1)
		return rc;
	u->session_id = id;
	u->csrf_token = csrf;
	/* slide at most every minute, and often enough for short idle limits */
	int64_t touch = TOUCH_SECONDS;
	if ((int64_t)idle_minutes * 60 / 4 < touch)
		touch = (int64_t)idle_minutes * 60 / 4;
	if (now - seen >= touch) {
		/* slide the idle expiry, never past the session's absolute end */
		int64_t exp = now + (int64_t)idle_minutes * 60;
		if (exp > created + (int64_t)max_hours * 3600)
			exp = created + (int64_t)max_hours * 3600;
		char t_now[TIME_RFC3339_LEN], t_exp[TIME_RFC3339_LEN];
		time_format(now, t_now);
		time_format(exp, t_exp);
		db_run(db, NULL, "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?",
		       "ssi", t_now, t_exp, id);
	}
	return 1;
}

int auth_session_delete(struct db *db, int64_t session_id)
{
	return db_run(db, NULL, "DELETE FROM sessions WHERE id = ?", "i", session_id) == RC_DONE
		       ? 0
		       : -1;
}

int auth_session_delete_user(struct db *db, int64_t user_id, int64_t keep_id)
{
	return db_run(db, NULL, "DELETE FROM sessions WHERE user_id = ? AND id <> ?", "ii",
		      user_id, keep_id) == RC_DONE
		       ? 0
		       : -1;
}

int auth_revoke_user_credentials(struct db *db, const struct audit_actor *actor,
				 int64_t user_id, int64_t keep_id)
{
	int rc = db_run(db, NULL, "DELETE FROM sessions WHERE user_id = ? AND id <> ?", "ii",
			user_id, keep_id);
	if (rc != RC_DONE)
		return rc;
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	for (;;) {
		/* one at a time: each revocation has its audit entry */
		struct db_stmt *st;
		rc = db_run(db, &st, "SELECT id FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL"
			    " ORDER BY id LIMIT 1", "i", user_id);
		if (rc == RC_DONE)
			return RC_OK;
		if (rc != RC_ROW)
			return rc;
		int64_t id = db_col_int(st, 0);
		db_done(st);
		rc = db_run(db, NULL, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", "si", now,
			    id);
		if (rc != RC_DONE)
			return rc;
		json_t *after = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "revoked_at", now,
					  "reason", "password changed");
		rc = after ? audit_write(db, actor, "revoke", "api_tokens", id, NULL, after) : RC_ERROR;
		json_decref(after);
		if (rc != RC_OK)
			return rc;
	}
}

struct token_write {
	const struct audit_actor *actor;
	int64_t user_id, id, expires_at;
	const char *name, *hash, *prefix, *now;
	int result;		/* token_revoke: 1 when there was no live token */
};

static int token_create_txn(struct db *db, void *arg)
{
	struct token_write *w = arg;
	char exp[TIME_RFC3339_LEN];
	if (w->expires_at)
		time_format(w->expires_at, exp);
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at,"
			" expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			"isssss", w->user_id, w->name, w->hash, w->prefix, w->now,
			w->expires_at ? exp : NULL);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	w->id = db_col_int(st, 0);
	db_done(st);
	json_t *after = json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)w->id, "user_id",
				  (json_int_t)w->user_id, "name", w->name, "prefix", w->prefix);
	rc = audit_write(db, w->actor, "create", "api_tokens", w->id, NULL, after);
	json_decref(after);
	return rc;
}

int auth_token_create(struct db *db, const struct audit_actor *actor, int64_t user_id,
		      const char *name, int64_t expires_at, char out[AUTH_API_TOKEN_LEN],
		      int64_t *id)
{
	char secret[AUTH_TOKEN_LEN], hash[65], prefix[16], now[TIME_RFC3339_LEN];
	auth_random_token(secret);
	snprintf(out, AUTH_API_TOKEN_LEN, "svo_%s", secret);
	auth_sha256_hex(out, hash);
	snprintf(prefix, sizeof(prefix), "%.8s", secret);
	time_format(time_now(), now);
	struct token_write w = { .actor = actor, .user_id = user_id, .expires_at = expires_at,
				 .name = name, .hash = hash, .prefix = prefix, .now = now };
	if (db_txn(db, token_create_txn, &w) != RC_OK)
		return -1;
	*id = w.id;
	return 0;
}

static int token_revoke_txn(struct db *db, void *arg)
{
	struct token_write *w = arg;
	w->result = 0;
	int rc = db_run(db, NULL,
			"UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
			"si", w->now, w->id);
	if (rc != RC_DONE)
		return rc;
	if (db_changes(db) != 1) {
		w->result = 1;
		return RC_ERROR;	/* nothing to do: roll back */
	}
	json_t *after = json_pack("{s:I, s:s}", "id", (json_int_t)w->id, "revoked_at", w->now);
	rc = audit_write(db, w->actor, "revoke", "api_tokens", w->id, NULL, after);
	json_decref(after);
	return rc;
}

int auth_token_revoke(struct db *db, const struct audit_actor *actor, int64_t id)
{
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	struct token_write w = { .actor = actor, .id = id, .now = now };
	int rc = db_txn(db, token_revoke_txn, &w);
	if (w.result == 1)
		return 1;	/* no such live token */
	return rc == RC_OK ? 0 : -1;
}

int auth_token_lookup(struct db *db, struct arena *arena, const char *token, int64_t now,
		      struct auth_user *u)
{
	if (strncmp(token, "svo_", 4) != 0 || strlen(token) != AUTH_API_TOKEN_LEN - 1)
		return 0;
	char hash[65];
	auth_sha256_hex(token, hash);
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT t.id, t.user_id, t.expires_at, t.revoked_at, t.last_used_at, "
			AUTH_USER_COLUMNS " FROM api_tokens t" AUTH_USER_JOIN("t")
			" WHERE t.token_hash = ?",
			"s", hash);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	int64_t id = db_col_int(st, 0), user_id = db_col_int(st, 1), exp = 0, used = 0;
	bool revoked = !db_col_null(st, 3);
	bool expired = !db_col_null(st, 2) && time_parse(db_col_text(st, 2), &exp) == 0 &&
		       now >= exp;
	if (!db_col_null(st, 4))
		time_parse(db_col_text(st, 4), &used);
	bool active = auth_user_row(st, 5, arena, user_id, u);
	db_done(st);
	if (revoked || expired || !active)
		return 0;
	rc = auth_user_check(db, arena, u);
	if (rc != 1)
		return rc;
	u->token_id = id;
	if (now - used >= TOUCH_SECONDS) {
		char t_now[TIME_RFC3339_LEN];
		time_format(now, t_now);
		db_run(db, NULL, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", "si", t_now,
		       id);
	}
	return 1;
}

/*
 * Sign-in throttling. Each counter (scope, key) holds the attempts since
 * its last success and the delay its last attempt earned: the first
 * free attempts are not slowed, each one after waits twice as long as the
 * one before (1 s, 2 s, 4 s …) up to CAP_SECONDS: at least that long, as
 * the clock counts whole seconds (an attempt at second t that earns a
 * delay of d is followed by none before second t + d + 1). An attempt is counted
 * before its password is checked, by one statement that refuses it while
 * the counter is blocked, so guesses sent in parallel cannot slip past. A
 * counter quiet for its forget seconds starts again, and so does one whose
 * last attempt is in the future (the clock was set back).
 */
#define CAP_SECONDS (15 * 60)

static const struct {
	const char *scope;
	int64_t free, forget;
} throttles[] = {
	/* guesses at one account, from anywhere */
	{ "account", 3, 24 * 3600 },
	/* one address trying many accounts: a NAT or proxy is many people */
	{ "address", 20, 3600 },
	/* a known device's own mistakes */
	{ "device", 5, 24 * 3600 },
};
enum throttle { T_ACCOUNT, T_ADDRESS, T_DEVICE, T_MAX };
_Static_assert(sizeof(throttles) / sizeof(throttles[0]) == T_MAX, "a row per throttle");

/* whether the stored row starts again (quiet too long, or the clock went back) */
#define FRESH " (login_failures.window_start < ? OR login_failures.window_start > ?)"
#define UNSLOWED FRESH " OR login_failures.count + 1 < ?"

/* Counts one attempt: 0 when it may go on, else the seconds to wait (not counted), -1. */
static int throttle_attempt(struct db *db, enum throttle t, const char *key, int64_t now)
{
	_Static_assert(CAP_SECONDS > 1, "the delays double up to the cap");
	char t_now[TIME_RFC3339_LEN], t_old[TIME_RFC3339_LEN];
	time_format(now, t_now);
	time_format(now - throttles[t].forget, t_old);
	int64_t unslowed = throttles[t].free, cap = CAP_SECONDS;
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"INSERT INTO login_failures (scope, key, window_start, count, delay_seconds,"
			" blocked_until) VALUES (?, ?, ?, 1, 0, 0)"
			" ON CONFLICT (scope, key) DO UPDATE SET"
			" count = CASE WHEN" FRESH " THEN 1 ELSE login_failures.count + 1 END,"
			" delay_seconds = CASE WHEN" UNSLOWED " THEN 0"
			" WHEN login_failures.delay_seconds = 0 THEN 1"
			" WHEN login_failures.delay_seconds * 2 > ? THEN CAST(? AS BIGINT)"
			" ELSE login_failures.delay_seconds * 2 END,"
			" blocked_until = CASE WHEN" UNSLOWED " THEN 0"
			" WHEN login_failures.delay_seconds = 0 THEN CAST(? AS BIGINT) + 1"
			" WHEN login_failures.delay_seconds * 2 > ? THEN CAST(? AS BIGINT) + ?"
			" ELSE CAST(? AS BIGINT) + login_failures.delay_seconds * 2 END,"
			" window_start = ?"
			" WHERE login_failures.blocked_until < ? OR login_failures.blocked_until > ?"
			" RETURNING count",
			"sss" "ss" "ssiii" "ssiiiiiis" "ii",
			throttles[t].scope, key, t_now,
			t_old, t_now,
			t_old, t_now, unslowed, cap, cap,
			t_old, t_now, unslowed, now, cap, now, cap, now, t_now,
			now, now + cap);
	if (rc == RC_ROW) {
		db_done(st);
		return 0;
	}
	if (rc != RC_DONE)
		return -1;
	/* refused: the counter is blocked until its blocked_until */
	rc = db_run(db, &st, "SELECT blocked_until FROM login_failures WHERE scope = ? AND key = ?",
		    "ss", throttles[t].scope, key);
	if (rc != RC_ROW)
		return rc == RC_DONE ? 1 : -1;	/* forgotten meanwhile: a second */
	int64_t until = db_col_int(st, 0);
	db_done(st);
	/* whole seconds: the next attempt goes on once blocked_until has passed */
	return until >= now ? (int)(until - now + 1) : 1;
}

int auth_ratelimit_attempt(struct db *db, const char *account, const char *addr,
			   const char *device, int64_t now)
{
	if (device)
		return throttle_attempt(db, T_DEVICE, device, now);
	int wait = throttle_attempt(db, T_ACCOUNT, account, now);
	if (wait != 0 || !addr)
		return wait;
	return throttle_attempt(db, T_ADDRESS, addr, now);
}

int auth_ratelimit_success(struct db *db, const char *account, const char *addr,
			   const char *device)
{
	/*
	 * A known device's success forgets its own count only: the owner
	 * signing in must not hand the attacker of the account fresh guesses.
	 */
	if (device)
		return db_run(db, NULL, "DELETE FROM login_failures WHERE scope = ? AND key = ?",
			      "ss", throttles[T_DEVICE].scope, device) == RC_DONE ? 0 : -1;
	if (db_run(db, NULL, "DELETE FROM login_failures WHERE scope = ? AND key = ?", "ss",
		   throttles[T_ACCOUNT].scope, account) != RC_DONE)
		return -1;
	if (!addr)
		return 0;
	/*
	 * Takes this attempt off the address's count; below the free
	 * attempts that also lifts the delay it set (a busy NAT's sign-ins
	 * do not slow one another). Above, the delay stays: it is the
	 * spraying's.
	 */
	return db_run(db, NULL,
		      "UPDATE login_failures SET count = count - 1,"
		      " delay_seconds = CASE WHEN count - 1 < ? THEN 0 ELSE delay_seconds END,"
		      " blocked_until = CASE WHEN count - 1 < ? THEN 0 ELSE blocked_until END"
		      " WHERE scope = ? AND key = ? AND count > 0",
		      "iiss", throttles[T_ADDRESS].free, throttles[T_ADDRESS].free,
		      throttles[T_ADDRESS].scope, addr) == RC_DONE
		       ? 0
		       : -1;
}

int auth_totp_begin(struct db *db, const struct audit_actor *actor, int64_t user_id,
		    char *secret_out, size_t len)
{
	unsigned char raw[20];
	randombytes_buf(raw, sizeof(raw));
	char *b32 = NULL;
	size_t b32len = 0;
	if (oath_base32_encode((const char *)raw, sizeof(raw), &b32, &b32len) != OATH_OK)
		return -1;
	sodium_memzero(raw, sizeof(raw));
	if (b32len >= len) {
		free(b32);
		return -1;
	}
	memcpy(secret_out, b32, b32len);
	secret_out[b32len] = '\0';
	free(b32);
	return auth_user_act(db, actor, &user_act_totp_begin, user_id,
			     json_pack("{s:s}", "secret", secret_out));
}

bool auth_totp_valid(const char *secret_b32, const char *code, int64_t now, int64_t *step)
{
	if (!secret_b32 || strlen(code) != 6)
		return false;
	for (const char *p = code; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	char *raw = NULL;
	size_t rawlen = 0;
	if (oath_base32_decode(secret_b32, strlen(secret_b32), &raw, &rawlen) != OATH_OK)
		return false;
	int pos = 0;
	int rc = oath_totp_validate2(raw, rawlen, (time_t)now, OATH_TOTP_DEFAULT_TIME_STEP_SIZE,
				     OATH_TOTP_DEFAULT_START_TIME, 1, &pos, code);
	sodium_memzero(raw, rawlen);
	free(raw);
	if (rc < 0)
		return false;
	if (step)
		*step = now / OATH_TOTP_DEFAULT_TIME_STEP_SIZE + pos;
	return true;
}

int auth_totp_check(struct db *db, int64_t user_id, const char *code, int64_t now)
{
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT totp_secret FROM users WHERE id = ?", "i", user_id);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	char secret[128];
	const char *s = db_col_text(st, 0);
	snprintf(secret, sizeof(secret), "%s", s ? s : "");
	db_done(st);
	int64_t step = 0;
	bool ok = *secret && auth_totp_valid(secret, code, now, &step);
	sodium_memzero(secret, sizeof(secret));
	if (!ok)
		return 0;
	/* accept each time step once: a seen code is a replayed code */
	rc = db_run(db, NULL,
		    "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", "iii",
		    step, user_id, step);
	if (rc != RC_DONE)
		return -1;
	return db_changes(db) == 1 ? 1 : 0;
}

int auth_totp_set_enabled(struct db *db, const struct audit_actor *actor, int64_t user_id,
			  bool enabled)
{
	return auth_user_act(db, actor, enabled ? &user_act_totp_enable : &user_act_totp_disable,
			     user_id, json_object());
}
