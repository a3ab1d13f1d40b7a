/*
 * users.c - staff users: roles, passwords (argon2id), secrets, and the
 * writes to the users table, each with its audit entry.
 */
#include "auth/auth.h"

#include "core/alloc.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "resource/audit.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	unsigned role;
	const char *name;
} roles[] = {
	{ ROLE_ADMIN, "admin" },	 { ROLE_MANAGER, "manager" }, { ROLE_TECHNICIAN, "technician" },
	{ ROLE_SALES, "sales" },	 { ROLE_BILLING, "billing" }, { ROLE_PORTAL, "portal" },
};

unsigned role_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].name, name) == 0)
			return roles[i].role;
	return 0;
}

const char *role_name(unsigned role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == role)
			return roles[i].name;
	return "";
}

static bool fast_hashing(void)
{
	const char *v = getenv("SERVIO_ARGON2_FAST");
	return v && strcmp(v, "1") == 0;
}

int auth_password_hash(const char *password, char out[AUTH_HASH_MAX])
{
	_Static_assert(AUTH_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");
	unsigned long long ops = fast_hashing() ? crypto_pwhash_OPSLIMIT_MIN
						: crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = fast_hashing() ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
	if (crypto_pwhash_str_alg(out, password, strlen(password), ops, mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -1;
	return 0;
}

bool auth_password_verify(const char *hash, const char *password)
{
	if (!hash || !*hash)
		return false;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* A hash of a password nobody has, so unknown users cost as much as known ones. */
static const char *dummy_hash(void)
{
	static char hash[AUTH_HASH_MAX];
	static int ready;
	if (!ready) {
		char pw[AUTH_TOKEN_LEN];
		auth_random_token(pw);
		ready = auth_password_hash(pw, hash) == 0;
	}
	return hash;
}

bool auth_password_verify_or_dummy(const char *hash, const char *password)
{
	if (hash && *hash)
		return auth_password_verify(hash, password);
	auth_password_verify(dummy_hash(), password);
	return false;
}

const char *auth_password_problem(const char *password)
{
	size_t n = strlen(password), chars = 0;
	for (const char *p = password; *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			chars++;
	if (chars < 10)
		return "must be at least 10 characters";
	if (n > 512)
		return "must be at most 512 bytes";
	return NULL;
}

void auth_random_token(char out[AUTH_TOKEN_LEN])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, AUTH_TOKEN_LEN, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void auth_sha256_hex(const char *s, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(out, 65, h, sizeof(h));
}

bool auth_email_normalize(const char *in, char *out, size_t outlen)
{
	while (*in == ' ' || *in == '\t')
		in++;
	size_t n = strlen(in);
	while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n < 3 || n > 254 || n >= outlen)
		return false;
	size_t at = 0, ats = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= ' ' || c == 0x7f || strchr("<>()[]\\,;:\"", c))
			return false;
		if (c == '@') {
			at = i;
			ats++;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[n] = '\0';
	if (ats != 1 || at == 0 || at > 64)
		return false;
	const char *domain = out + at + 1;
	size_t dlen = strlen(domain);
	return dlen >= 3 && strchr(domain, '.') && domain[0] != '.' && domain[dlen - 1] != '.' &&
	       !strstr(domain, "..");
}

/* The user as the audit log shows it: no password hash, no TOTP secret. */
static json_t *user_json(struct db *db, int64_t id)
{
	struct db_stmt *st;
	if (db_run(db, &st,
		   "SELECT id, email, name, role, active, skills, totp_enabled, created_at,"
		   " updated_at, version, archived_at FROM users WHERE id = ?",
		   "i", id) != RC_ROW)
		return NULL;
	json_t *skills = json_loads(db_col_text(st, 5), 0, NULL);
	const char *archived = db_col_text(st, 10);
	json_t *u = json_pack("{s:I, s:s, s:s, s:s, s:b, s:o, s:b, s:s, s:s, s:I, s:o}", "id",
			      (json_int_t)db_col_int(st, 0), "email", db_col_text(st, 1), "name",
			      db_col_text(st, 2), "role", db_col_text(st, 3), "active",
			      (int)db_col_int(st, 4), "skills", skills ? skills : json_array(),
			      "totp_enabled", (int)db_col_int(st, 6), "created_at",
			      db_col_text(st, 7), "updated_at", db_col_text(st, 8), "version",
			      (json_int_t)db_col_int(st, 9), "archived_at",
			      archived ? json_string(archived) : json_null());
	db_done(st);
	return u;
}

struct user_write {
	const struct audit_actor *actor;
	const char *email, *name, *hash, *role;
	int64_t id;
	const char *action;	/* "create", "update", "disable" */
	const char *sql;	/* for updates: one statement binding (hash?, now, id) */
	const char *problem;
};

static int audit_user(struct db *db, const struct audit_actor *actor, const char *action,
		      int64_t id, json_t *before)
{
	json_t *after = user_json(db, id);
	int rc = after ? audit_write(db, actor, action, "users", id, before, after) : RC_ERROR;
	json_decref(after);
	return rc;
}

static int create_txn(struct db *db, void *arg)
{
	struct user_write *w = arg;
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"INSERT INTO users (created_at, updated_at, email, name, role, password_hash)"
			" VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			"ssssss", now, now, w->email, w->name, w->role, w->hash);
	if (rc == RC_CONSTRAINT) {
		w->problem = "a user with this e-mail exists";
		return RC_CONSTRAINT;
	}
	if (rc != RC_ROW)
		return rc;
	w->id = db_col_int(st, 0);
	db_done(st);
	return audit_user(db, w->actor, "create", w->id, NULL);
}

int auth_user_create(struct db *db, const struct audit_actor *actor, const char *email,
		     const char *name, unsigned role, const char *password, int64_t *id,
		     const char **problem)
{
	char norm[256], hash[AUTH_HASH_MAX];
	*problem = NULL;
	if (!auth_email_normalize(email, norm, sizeof(norm))) {
		*problem = "the e-mail address is not valid";
		return -1;
	}
	if (!name || !*name || strlen(name) > 200) {
		*problem = "the name must be 1 to 200 characters";
		return -1;
	}
	if (!*role_name(role) || role == ROLE_PORTAL) {
		*problem = "the role must be admin, manager, technician, sales or billing";
		return -1;
	}
	if ((*problem = auth_password_problem(password)))
		return -1;
	if (auth_password_hash(password, hash) < 0) {
		*problem = "out of memory";
		return -1;
	}
	struct user_write w = { .actor = actor, .email = norm, .name = name, .hash = hash,
				.role = role_name(role) };
	int rc = db_txn(db, create_txn, &w);
	sodium_memzero(hash, sizeof(hash));
	if (rc != RC_OK) {
		*problem = w.problem;
		return -1;
	}
	*id = w.id;
	return 0;
}

static int update_txn(struct db *db, void *arg)
{
	struct user_write *w = arg;
	json_t *before = user_json(db, w->id);
	if (!before) {
		w->problem = "no such user";
		return RC_ERROR;
	}
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	int rc = w->hash ? db_run(db, NULL, w->sql, "ssi", w->hash, now, w->id)
			 : db_run(db, NULL, w->sql, "si", now, w->id);
	if (rc == RC_DONE)
		rc = audit_user(db, w->actor, w->action, w->id, before);
	json_decref(before);
	if (rc == RC_DONE)
		rc = RC_OK;
	if (rc == RC_OK && strcmp(w->action, "disable") == 0)
		rc = db_run(db, NULL, "DELETE FROM sessions WHERE user_id = ?", "i", w->id) == RC_DONE
			     ? RC_OK
			     : RC_ERROR;
	return rc;
}

int auth_user_set_password(struct db *db, const struct audit_actor *actor, int64_t id,
			   const char *password, const char **problem)
{
	char hash[AUTH_HASH_MAX];
	if ((*problem = auth_password_problem(password)))
		return -1;
	if (auth_password_hash(password, hash) < 0) {
		*problem = "out of memory";
		return -1;
	}
	struct user_write w = { .actor = actor, .id = id, .hash = hash, .action = "password",
				.sql = "UPDATE users SET password_hash = ?, updated_at = ?,"
				       " version = version + 1 WHERE id = ?" };
	int rc = db_txn(db, update_txn, &w);
	sodium_memzero(hash, sizeof(hash));
	*problem = w.problem;
	return rc == RC_OK ? 0 : -1;
}

int auth_user_disable(struct db *db, const struct audit_actor *actor, int64_t id)
{
	struct user_write w = { .actor = actor, .id = id, .action = "disable",
				.sql = "UPDATE users SET active = 0, updated_at = ?,"
				       " version = version + 1 WHERE id = ?" };
	return db_txn(db, update_txn, &w) == RC_OK ? 0 : -1;
}

int auth_user_find(struct db *db, const char *email, int64_t *id)
{
	char norm[256];
	if (!auth_email_normalize(email, norm, sizeof(norm)))
		return 0;
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT id FROM users WHERE email = ?", "s", norm);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	*id = db_col_int(st, 0);
	db_done(st);
	return 1;
}

int auth_user_load(struct db *db, struct arena *arena, int64_t id, struct auth_user *u)
{
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT email, name, role, totp_enabled FROM users"
			" WHERE id = ? AND active = 1 AND archived_at IS NULL",
			"i", id);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	memset(u, 0, sizeof(*u));
	u->id = id;
	u->email = arena_strdup(arena, db_col_text(st, 0));
	u->name = arena_strdup(arena, db_col_text(st, 1));
	u->role = role_parse(db_col_text(st, 2));
	u->totp_enabled = db_col_int(st, 3) != 0;
	db_done(st);
	if (!u->email || !u->name || !u->role)
		return -1;
	return 1;
}
