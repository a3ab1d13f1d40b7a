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
#include "resource/resource.h"

#include <jansson.h>
#include <pthread.h>
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

/*
 * Each argon2id hash or check takes 64 MiB (MEMLIMIT_INTERACTIVE) for its
 * duration: sixteen sign-ins at once took 426 MB. At most HASHES_AT_ONCE
 * run together, the others wait their turn, so a storm of sign-ins costs
 * time, not memory; the hash itself is as strong as before. Two keep both
 * cores of a small machine busy, which is all more could do.
 */
#define HASHES_AT_ONCE 2

static pthread_mutex_t hash_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hash_turn = PTHREAD_COND_INITIALIZER;
static int hashing, hashing_peak;

static void hash_begin(void)
{
	pthread_mutex_lock(&hash_mutex);
	while (hashing >= HASHES_AT_ONCE)
		pthread_cond_wait(&hash_turn, &hash_mutex);
	if (++hashing > hashing_peak)
		hashing_peak = hashing;
	pthread_mutex_unlock(&hash_mutex);
}

static void hash_end(void)
{
	pthread_mutex_lock(&hash_mutex);
	hashing--;
	pthread_cond_signal(&hash_turn);
	pthread_mutex_unlock(&hash_mutex);
}

int auth_password_hashes_peak(void)
{
	pthread_mutex_lock(&hash_mutex);
	int peak = hashing_peak;
	pthread_mutex_unlock(&hash_mutex);
	return peak;
}

int auth_password_hash(const char *password, char out[AUTH_HASH_MAX])
{
	_Static_assert(AUTH_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");
	unsigned long long ops = fast_hashing() ? crypto_pwhash_OPSLIMIT_MIN
						: crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = fast_hashing() ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
	hash_begin();
	int rc = crypto_pwhash_str_alg(out, password, strlen(password), ops, mem,
				       crypto_pwhash_ALG_ARGON2ID13);
	hash_end();
	return rc != 0 ? -1 : 0;
}

bool auth_password_verify(const char *hash, const char *password)
{
	if (!hash || !*hash)
		return false;
	hash_begin();
	int rc = crypto_pwhash_str_verify(hash, password, strlen(password));
	hash_end();
	return rc == 0;
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

/*
 * One write of the users table through the engine, as actor, in its own
 * transaction (audited there: secrets are hidden columns the audit never
 * sees). action NULL: create from body; else the user action on id.
 * Returns the engine's result; *problem names a refusal for the caller.
 */
static int user_write(struct db *db, const struct audit_actor *actor,
		      const struct resource_action *action, int64_t id, json_t *body,
		      int64_t *made, const char **problem)
{
	struct arena arena;
	arena_init(&arena);
	struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = actor };
	json_t *out = NULL, *errors = NULL;
	int rc = !body ? RC_ERROR
	       : action ? resource_act_trusted(&ctx, &user_resource, action, id, body, &out, &errors)
			: resource_create_trusted(&ctx, &user_resource, body, &out, &errors);
	json_decref(body);
	if (rc == RC_OK && made)
		*made = json_integer_value(json_object_get(out, "id"));
	if (rc == RC_CONFLICT && !action)
		*problem = "a user with this e-mail exists";
	else if (rc == RC_NOT_FOUND)
		*problem = "no such user";
	else if (rc == RC_INVALID || rc == RC_CONFLICT)
		*problem = "the user's fields were refused";
	arena_release(&arena);
	return rc;
}

int auth_user_create(struct db *db, const struct audit_actor *actor, const char *email,
		     const char *name, unsigned role, const char *password, int64_t *id,
		     const char **problem)
{
	char norm[256];
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
	if ((*problem = auth_password_problem(password, norm, name)))
		return -1;
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "email", norm, "name", name, "role",
				 role_name(role), "password", password);
	return user_write(db, actor, NULL, 0, body, id, problem) == RC_OK ? 0 : -1;
}

int auth_user_set_password(struct db *db, const struct audit_actor *actor, int64_t id,
			   const char *password, int64_t keep_session, const char **problem)
{
	*problem = NULL;
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT email, name FROM users WHERE id = ?", "i", id);
	if (rc == RC_DONE)
		*problem = "no such user";
	if (rc != RC_ROW)
		return -1;
	char email[256], name[256];
	snprintf(email, sizeof(email), "%s", db_col_text(st, 0) ? db_col_text(st, 0) : "");
	snprintf(name, sizeof(name), "%s", db_col_text(st, 1) ? db_col_text(st, 1) : "");
	db_done(st);
	if ((*problem = auth_password_problem(password, email, name)))
		return -1;
	json_t *body = keep_session ? json_pack("{s:s, s:I}", "password", password, "keep_session_id",
						(json_int_t)keep_session)
				    : json_pack("{s:s}", "password", password);
	return user_write(db, actor, &user_act_password, id, body, NULL, problem) == RC_OK ? 0
											: -1;
}

int auth_user_disable(struct db *db, const struct audit_actor *actor, int64_t id)
{
	const char *problem = NULL;
	return user_write(db, actor, &user_act_disable, id, json_object(), NULL, &problem) == RC_OK
		       ? 0
		       : -1;
}

int auth_user_act(struct db *db, const struct audit_actor *actor,
		  const struct resource_action *action, int64_t id, json_t *body)
{
	const char *problem = NULL;
	return user_write(db, actor, action, id, body, NULL, &problem) == RC_OK ? 0 : -1;
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

bool auth_user_row(struct db_stmt *st, int col, struct arena *arena, int64_t id,
		   struct auth_user *u)
{
	memset(u, 0, sizeof(*u));
	if (db_col_null(st, col))
		return false;
	u->id = id;
	u->email = arena_strdup(arena, db_col_text(st, col));
	u->name = arena_strdup(arena, db_col_text(st, col + 1));
	u->role = role_parse(db_col_text(st, col + 2));
	u->totp_enabled = db_col_int(st, col + 3) != 0;
	u->contact_id = db_col_null(st, col + 4) ? 0 : db_col_int(st, col + 4);
	return true;
}

int auth_user_load(struct db *db, struct arena *arena, int64_t id, struct auth_user *u)
{
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"SELECT " AUTH_USER_COLUMNS " FROM users u"
			" WHERE u.id = ? AND u.active = 1 AND u.archived_at IS NULL",
			"i", id);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	bool found = auth_user_row(st, 0, arena, id, u);
	db_done(st);
	return found ? auth_user_check(db, arena, u) : 0;
}

int auth_user_check(struct db *db, struct arena *arena, struct auth_user *u)
{
	if (!u->email || !u->name || !u->role)
		return -1;
	if (u->role != ROLE_PORTAL)
		return u->contact_id ? 0 : 1;
	/* a portal login lives as long as its contact keeps access, an address and a live company */
	if (!u->contact_id)
		return 0;
	struct db_stmt *st;
	int rc = db_run(db, &st,
		    "SELECT c.company_id, c.portal_role FROM contacts c"
		    " JOIN companies co ON co.id = c.company_id"
		    " WHERE c.id = ? AND c.portal_access = 1 AND c.archived_at IS NULL"
		    " AND c.email IS NOT NULL AND co.archived_at IS NULL",
		    "i", u->contact_id);
	if (rc == RC_DONE)
		return 0;
	if (rc != RC_ROW)
		return -1;
	u->company_id = db_col_int(st, 0);
	u->portal_role = arena_strdup(arena, db_col_text(st, 1));
	db_done(st);
	return u->portal_role ? 1 : -1;
}
