/*
 * auth.c - signing in and out, the current user, TOTP enrolment, password
 * change, and the authenticate hook every non-public route goes through.
 *
 * Sessions ride in an HttpOnly, SameSite=Lax cookie; every unsafe method on
 * a session must carry its CSRF token in X-CSRF-Token. Programs use
 * "Authorization: Bearer svo_…" and need no CSRF token (no ambient
 * credential a browser would attach).
 */
#include "api.h"

#include "auth/auth.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "resource/audit.h"
#include "resource/resource.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define COOKIE "servio_session"
/* the portal's own cookie: a client's session never rides on a staff route, nor the reverse */
#define PORTAL_COOKIE "servio_portal"
#define PORTAL_PREFIX "/api/v1/portal/"
/* known devices (auth/devices.c), sent to the sign-in routes of their side alone */
#define DEVICE_COOKIE "servio_device"
#define PORTAL_DEVICE_COOKIE "servio_portal_device"

bool api_portal_path(const char *path)
{
	return path && strncmp(path, PORTAL_PREFIX, strlen(PORTAL_PREFIX)) == 0;
}

/*
 * Checks that the body is an object whose members are all in allowed and
 * strings, and that every name in required is present and non-empty.
 * Replies 400/422 and returns false otherwise.
 */
bool api_strings_or_reply(struct http_req *req, const char *const *allowed,
			  const char *const *required)
{
	if (!req->body) {
		http_reply_problem(req, 400, "body-required", NULL, "a JSON object body is required");
		return false;
	}
	json_t *errors = http_json(req, json_array());
	const char *key;
	json_t *v;
	if (!errors)
		return http_reply_json(req, 500, NULL), false;	/* out of memory: a 500 */
	json_object_foreach(req->body, key, v) {
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known)
			json_array_append_new(errors, json_pack("{s:s, s:s}", "field", key,
								"message", "is not a field here"));
		else if (!json_is_string(v))
			json_array_append_new(errors, json_pack("{s:s, s:s}", "field", key,
								"message", "must be a string"));
	}
	for (const char *const *r = required; *r; r++) {
		json_t *val = json_object_get(req->body, *r);
		if (!val || (json_is_string(val) && !*json_string_value(val)))
			json_array_append_new(errors, json_pack("{s:s, s:s}", "field", *r,
								"message", "is required"));
	}
	if (json_array_size(errors)) {
		http_reply_problem(req, 422, "validation", errors, "the request has invalid fields");
		return false;
	}
	return true;
}

static const char *str(struct http_req *req, const char *name)
{
	return json_string_value(json_object_get(req->body, name));
}

static struct audit_actor *actor_for(struct http_req *req, int64_t user_id, const char *label)
{
	struct audit_actor *a = arena_zalloc(&req->arena, sizeof(*a));
	if (a) {
		a->user_id = user_id;
		a->label = label;
		a->request_id = req->id;
	}
	return a;
}

static json_t *user_json(const struct auth_user *u, struct db *db)
{
	json_t *skills = NULL;
	struct db_stmt *st;
	if (db_run(db, &st, "SELECT skills FROM users WHERE id = ?", "i", u->id) == RC_ROW) {
		skills = json_loads(db_col_text(st, 0), 0, NULL);
		db_done(st);
	}
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:b}", "id", (json_int_t)u->id, "email",
			 u->email, "name", u->name, "role", role_name(u->role), "skills",
			 skills ? skills : json_array(), "totp_enabled", u->totp_enabled);
}

void api_session_cookie(struct http_req *req, const char *value, long max_age)
{
	char cookie[256];
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%ld%s",
		 api_portal_path(req->path) ? PORTAL_COOKIE : COOKIE, value, max_age,
		 api_https(req) ? "; Secure" : "");
	http_set_header(req, "Set-Cookie", cookie);
}

/* Replies 429 for an attempt that must wait seconds: Retry-After and when, in words. */
static int reply_throttled(struct http_req *req, int wait)
{
	char retry[16], at[TIME_RFC3339_LEN];
	snprintf(retry, sizeof(retry), "%d", wait);
	time_format(time_now() + wait, at);
	http_set_header(req, "Retry-After", retry);
	http_reply_problem(req, 429, "rate-limited", NULL,
			   "too many failed attempts: try again in %d second%s (at %s)", wait,
			   wait == 1 ? "" : "s", at);
	return wait;
}

/* Counts an attempt against the key (and address); replies 429 while it must wait. */
int api_login_limit_or_reply(struct http_req *req, struct db *db, const char *key,
			     const char *addr)
{
	int wait = auth_ratelimit_attempt(db, key, addr, NULL, time_now());
	return wait > 0 ? reply_throttled(req, wait) : wait;
}

/* The known-device cookie of the route's side: only the sign-in routes see it. */
static void device_cookie(struct http_req *req, const char *value)
{
	bool portal = api_portal_path(req->path);
	char cookie[AUTH_DEVICE_MAX + 160];
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=%s; HttpOnly; SameSite=Strict; Max-Age=%ld%s",
		 portal ? PORTAL_DEVICE_COOKIE : DEVICE_COOKIE, value,
		 portal ? PORTAL_PREFIX "auth/" : "/api/v1/auth/", (long)AUTH_DEVICE_DAYS * 86400,
		 api_https(req) ? "; Secure" : "");
	http_set_header(req, "Set-Cookie", cookie);
}

int api_credentials_or_reply(struct http_req *req, struct db *db, bool portal,
			     struct auth_user *u)
{
	static const char *const allowed[] = { "email", "password", "totp", NULL };
	static const char *const required[] = { "email", "password", NULL };
	if (!api_strings_or_reply(req, allowed, required))
		return 0;
	char email[256];
	if (!auth_email_normalize(str(req, "email"), email, sizeof(email)))
		snprintf(email, sizeof(email), "%.200s", str(req, "email"));

	struct db_stmt *st;
	char hash[AUTH_HASH_MAX] = "";
	int64_t id = 0, now = time_now();
	bool active = false;
	int rc = db_run(db, &st, "SELECT id, password_hash, active FROM users WHERE email = ?", "s",
			email);
	if (rc == RC_ROW) {
		id = db_col_int(st, 0);
		snprintf(hash, sizeof(hash), "%s", db_col_text(st, 1) ? db_col_text(st, 1) : "");
		active = db_col_int(st, 2) != 0;
		db_done(st);
	} else if (rc != RC_DONE) {
		return -1;
	}
	/* a known device of this account is slowed by its own failures alone */
	char device[AUTH_DEVICE_MAX];
	rc = auth_device_check(db, http_cookie(req, portal ? PORTAL_DEVICE_COOKIE : DEVICE_COOKIE),
			       id, now, device);
	if (rc < 0)
		return -1;
	const char *known = rc == 1 ? device : NULL;

	/* counted before the password is checked, so parallel guesses cannot slip past */
	int wait = auth_ratelimit_attempt(db, email, req->remote_addr, known, now);
	if (wait != 0) {
		sodium_memzero(hash, sizeof(hash));
		return wait < 0 ? -1 : (reply_throttled(req, wait), 0);
	}

	/* Unknown users cost the same time as known ones: no account probing. */
	bool ok = auth_password_verify_or_dummy(hash, str(req, "password"));
	sodium_memzero(hash, sizeof(hash));
	/* a portal login (which also ends when its contact loses access) signs in to the portal alone */
	rc = ok && active ? auth_user_load(db, &req->arena, id, u) : 0;
	if (rc < 0)
		return -1;
	if (rc == 0 || (u->role == ROLE_PORTAL) != portal)
		return http_reply_problem(req, 401, "invalid-credentials", NULL,
					  "invalid email or password");
	if (u->totp_enabled) {
		const char *code = str(req, "totp");
		if (!code || !*code)
			return http_reply_problem(req, 401, "totp-required", NULL,
						  "this account needs the 6-digit code from its "
						  "authenticator app in \"totp\"");
		rc = auth_totp_check(db, id, code, now);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return http_reply_problem(req, 401, "invalid-totp", NULL,
						  "the authenticator code is wrong, expired or "
						  "already used");
	}
	if (auth_ratelimit_success(db, email, req->remote_addr, known) < 0)
		return -1;
	/* this browser is a known device of the account from now on */
	if (auth_device_issue(db, id, now, device) < 0)
		return -1;
	device_cookie(req, device);
	return 1;
}

static int login(struct http_req *req)
{
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	struct auth_user u;
	int rc = api_credentials_or_reply(req, db, false, &u);
	if (rc <= 0)
		return rc;
	struct auth_session_new s;
	rc = api_session_start(req, db, &u, &s);
	if (rc <= 0)
		return rc;
	return http_reply_json(req, 200, http_json(req, json_pack("{s:o, s:s}", "user",
								  user_json(&u, db), "csrf_token",
								  s.csrf)));
}

struct session_start {
	struct http_req *req;
	const struct auth_user *u;
	struct auth_session_new *s;
};

/* The session and its audit entry: one transaction, so neither is kept alone. */
static int session_start_txn(struct db *db, void *arg)
{
	struct session_start *w = arg;
	const struct auth_user *u = w->u;
	int rc = auth_session_create(db, u->id, w->req->remote_addr,
				     api_settings.session_idle_minutes,
				     api_settings.session_max_hours, time_now(), w->s);
	if (rc != RC_OK)
		return rc;
	json_t *after = http_json(w->req, json_pack("{s:I, s:s?}", "session_id",
						    (json_int_t)w->s->id, "remote_addr",
						    w->req->remote_addr));
	if (!after)
		return RC_ERROR;
	if (u->role == ROLE_PORTAL)
		json_object_set_new(after, "contact_id", json_integer(u->contact_id));
	struct audit_actor *actor = actor_for(w->req, u->id, u->email);
	if (!actor)
		return RC_ERROR;
	return audit_write(db, actor, "login", "users", u->id, NULL, after);
}

int api_session_start(struct http_req *req, struct db *db, const struct auth_user *u,
		      struct auth_session_new *s)
{
	struct session_start w = { req, u, s };
	int rc = db_txn(db, session_start_txn, &w);
	if (rc != RC_OK) {
		sodium_memzero(s->token, sizeof(s->token));
		if (rc == RC_FULL)
			return api_reply_full(req);
		return -1;
	}
	api_session_cookie(req, s->token, (long)api_settings.session_max_hours * 3600);
	sodium_memzero(s->token, sizeof(s->token));
	return 1;
}

static int logout(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	if (u->session_id && auth_session_delete(db, u->session_id) < 0)
		return -1;
	api_session_cookie(req, "", 0);
	return http_reply_empty(req, 204);
}

static int me(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	json_t *body = http_json(req, json_pack("{s:o}", "user", user_json(u, db)));
	if (u->csrf_token)
		json_object_set_new(body, "csrf_token", json_string(u->csrf_token));
	return http_reply_json(req, 200, body);
}

static int totp_begin(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	if (u->totp_enabled)
		return http_reply_problem(req, 409, "totp-enabled", NULL,
					  "two-factor sign-in is already on; turn it off first");
	char secret[64];
	if (auth_totp_begin(db, actor_for(req, u->id, u->email), u->id, secret, sizeof(secret)) <
	    0)
		return -1;
	char *url = arena_printf(&req->arena,
				 "otpauth://totp/Servio:%s?secret=%s&issuer=Servio&algorithm=SHA1"
				 "&digits=6&period=30",
				 u->email, secret);
	return http_reply_json(req, 200, http_json(req, json_pack("{s:s, s:s}", "secret", secret,
								  "otpauth_url", url ? url : "")));
}

static int code_or_reply(struct http_req *req, struct db *db, const struct auth_user *u)
{
	static const char *const allowed[] = { "code", NULL };
	if (!api_strings_or_reply(req, allowed, allowed))
		return 0;
	/* no 6 digits is no guess: refused without counting */
	const char *code = str(req, "code");
	bool digits = strlen(code) == 6;
	for (const char *p = code; digits && *p; p++)
		digits = *p >= '0' && *p <= '9';
	if (!digits)
		return http_reply_problem(req, 422, "validation",
					  http_json(req, json_pack("[{s:s, s:s}]", "field", "code",
								   "message", "must be 6 digits")),
					  "the authenticator code must be 6 digits");
	/* its own counter: someone guessing the account's password cannot block enrolment */
	char key[40];
	snprintf(key, sizeof(key), "totp:%lld", (long long)u->id);
	int wait = api_login_limit_or_reply(req, db, key, NULL);
	if (wait != 0)
		return wait < 0 ? -1 : 0;
	int rc = auth_totp_check(db, u->id, str(req, "code"), time_now());
	if (rc == 0)
		http_reply_problem(req, 422, "validation",
				   http_json(req, json_pack("[{s:s, s:s}]", "field", "code", "message",
							    "is wrong, expired or already used")),
				   "the authenticator code is wrong, expired or already used");
	else if (rc == 1 && auth_ratelimit_success(db, key, NULL, NULL) < 0)
		return -1;
	return rc;
}

static int totp_confirm(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	if (u->totp_enabled)
		return http_reply_problem(req, 409, "totp-enabled", NULL,
					  "two-factor sign-in is already on");
	int rc = code_or_reply(req, db, u);
	if (rc <= 0)
		return rc;
	if (auth_totp_set_enabled(db, actor_for(req, u->id, u->email), u->id, true) < 0)
		return -1;
	return http_reply_json(req, 200, http_json(req, json_pack("{s:b}", "totp_enabled", 1)));
}

static int totp_disable(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	if (!u->totp_enabled)
		return http_reply_problem(req, 409, "totp-disabled", NULL,
					  "two-factor sign-in is not on");
	int rc = code_or_reply(req, db, u);
	if (rc <= 0)
		return rc;
	if (auth_totp_set_enabled(db, actor_for(req, u->id, u->email), u->id, false) < 0)
		return -1;
	return http_reply_empty(req, 204);
}

static int change_password(struct http_req *req)
{
	static const char *const fields[] = { "current_password", "new_password", NULL };
	if (!api_strings_or_reply(req, fields, fields))
		return 0;
	const struct auth_user *u = api_user(req);
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	/*
	 * Slowed like a sign-in, so a stolen session is no password oracle,
	 * on a counter of its own: guesses at the account's sign-in never
	 * keep its owner from changing the password.
	 */
	char key[40];
	snprintf(key, sizeof(key), "password:%lld", (long long)u->id);
	int wait = api_login_limit_or_reply(req, db, key, NULL);
	if (wait != 0)
		return wait < 0 ? -1 : 0;
	struct db_stmt *st;
	char hash[AUTH_HASH_MAX] = "";
	if (db_run(db, &st, "SELECT password_hash FROM users WHERE id = ?", "i", u->id) != RC_ROW)
		return -1;
	snprintf(hash, sizeof(hash), "%s", db_col_text(st, 0) ? db_col_text(st, 0) : "");
	db_done(st);
	bool ok = auth_password_verify_or_dummy(hash, str(req, "current_password"));
	sodium_memzero(hash, sizeof(hash));
	if (!ok)
		return http_reply_problem(req, 422, "validation",
					  http_json(req, json_pack("[{s:s, s:s}]", "field",
								   "current_password", "message",
								   "is not your password")),
					  "the current password is wrong");
	if (auth_ratelimit_success(db, key, NULL, NULL) < 0)
		return -1;
	const char *problem = auth_password_problem(str(req, "new_password"), u->email, u->name);
	if (problem)
		return http_reply_problem(req, 422, "validation",
					  http_json(req, json_pack("[{s:s, s:s}]", "field",
								   "new_password", "message", problem)),
					  "the new password is refused: %s", problem);
	/* every other session and every API token of this user ends; this session goes on */
	if (auth_user_set_password(db, actor_for(req, u->id, u->email), u->id,
				   str(req, "new_password"), u->session_id, &problem) < 0)
		return problem ? http_reply_problem(req, 422, "validation",
						    http_json(req, json_pack("[{s:s, s:s}]", "field",
									     "new_password", "message",
									     problem)),
						    "the new password is refused: %s", problem)
			       : -1;
	return http_reply_empty(req, 204);
}

static bool safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

int api_authenticate(struct http_req *req)
{
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 1;
	struct auth_user *u = arena_zalloc(&req->arena, sizeof(*u));
	if (!u)
		return -1;
	int64_t now = time_now();
	const char *authz = http_header(req, "Authorization");
	int rc;
	if (authz) {
		if (strncasecmp(authz, "Bearer ", 7) != 0) {
			http_set_header(req, "WWW-Authenticate", "Bearer");
			http_reply_problem(req, 401, "unauthenticated", NULL,
					   "Authorization must be \"Bearer <token>\"");
			return 1;
		}
		const char *token = authz + 7;
		while (*token == ' ')
			token++;
		/*
		 * the token and its user in one snapshot, which a request
		 * without a body shares with its handler (hook_release ends it)
		 */
		db_read_begin(db);
		rc = auth_token_lookup(db, &req->arena, token, now, u);
		req->via_session = false;
	} else {
		const char *cookie = http_cookie(req, api_portal_path(req->path) ? PORTAL_COOKIE
										  : COOKIE);
		db_read_begin(db);
		rc = cookie ? auth_session_lookup(db, &req->arena, cookie,
						  api_settings.session_idle_minutes,
						  api_settings.session_max_hours, now, u)
			    : 0;
		req->via_session = true;
	}
	if (rc < 0)
		return -1;
	if (rc == 0) {
		http_set_header(req, "WWW-Authenticate", "Bearer");
		http_reply_problem(req, 401, "unauthenticated", NULL,
				   authz ? "the API token is unknown, revoked or expired"
					 : "sign in first: the session is missing or has expired");
		return 1;
	}
	/* a portal login works on the portal's routes alone, and only by its session */
	if (u->role == ROLE_PORTAL && (!req->via_session || !api_portal_path(req->path))) {
		http_reply_problem(req, 403, "forbidden", NULL,
				   "a client portal sign-in can use only /api/v1/portal/ routes");
		return 1;
	}
	if (u->role == ROLE_PORTAL && !api_portal_allows(u->portal_role, req->path)) {
		http_reply_problem(req, 403, "forbidden", NULL,
				   "your portal role (%s) does not include this; ask your "
				   "company's portal admin", u->portal_role);
		return 1;
	}
	if (req->via_session && !safe_method(req->method)) {
		const char *sent = http_header(req, "X-CSRF-Token");
		size_t n = strlen(u->csrf_token);
		if (!sent || strlen(sent) != n ||
		    sodium_memcmp(sent, u->csrf_token, n) != 0) {
			http_reply_problem(req, 403, "csrf", NULL,
					   "X-CSRF-Token is missing or wrong: send the csrf_token "
					   "from sign-in (or GET /api/v1/me)");
			return 1;
		}
	}
	req->role = u->role;
	req->user_id = u->id;
	req->principal = u;
	return 0;
}

/*
 * API tokens for programs. Everyone manages their own; admins anyone's.
 * A token's secret is shown once, in the reply that makes it.
 */
static int tokens_list(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	if (u->role & ROLE_ADMIN)
		return api_resource_list(req);
	/* the others see their own: user_id is theirs, named or not */
	char mine[24];
	snprintf(mine, sizeof(mine), "%lld", (long long)u->id);
	for (int i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, "user_id") == 0) {
			if (strcmp(req->query[i].value, mine) != 0)
				return http_reply_problem(req, 403, "forbidden", NULL,
							  "only admins list other users' tokens");
			return api_resource_list(req);
		}
	if (req->nquery >= HTTP_MAX_QUERY)
		return http_reply_problem(req, 400, "bad-query", NULL, "too many query parameters");
	req->query[req->nquery].name = "user_id";
	req->query[req->nquery].value = arena_strdup(&req->arena, mine);
	req->nquery++;
	return api_resource_list(req);
}

static int token_new(struct http_req *req)
{
	static const struct field fields[] = {
		FIELD_TEXT("name", F_REQUIRED, 1, 100),
		FIELD_INT("expires_days", 0, 1, 3650),
		FIELD_INT("user_id", 0, 1, INT64_MAX),
		FIELD_END
	};
	static const struct resource body_spec = { .name = "tokens", .singular = "API token",
						   .fields = fields };
	const struct auth_user *u = api_user(req);
	if (!req->body)
		return http_reply_problem(req, 400, "body-required", NULL,
					  "a JSON object {\"name\": …} is required");
	json_t *errors = http_json(req, json_array());
	if (!errors)
		return -1;
	if (resource_validate(&body_spec, req->body, true, errors))
		return http_reply_problem(req, 422, "validation", errors,
					  "the API token has invalid fields");
	json_t *who = json_object_get(req->body, "user_id");
	int64_t user = json_is_integer(who) ? json_integer_value(who) : u->id;
	if (user != u->id && !(u->role & ROLE_ADMIN))
		return http_reply_problem(req, 403, "forbidden", NULL,
					  "only admins make tokens for other users");
	struct db *db = api_db_or_reply(req);
	if (!db)
		return 0;
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT active FROM users WHERE id = ?", "i", user);
	if (rc != RC_ROW && rc != RC_DONE)
		return -1;
	bool active = rc == RC_ROW && db_col_int(st, 0) != 0;
	if (rc == RC_ROW)
		db_done(st);
	if (!active) {
		resource_error(errors, "user_id", rc == RC_ROW ? "the user is disabled; a token would not work"
							       : "refers to no user");
		return http_reply_problem(req, 422, "validation", errors,
					  "the API token has invalid fields");
	}
	json_t *days = json_object_get(req->body, "expires_days");
	int64_t expires = json_is_integer(days) ? time_now() + json_integer_value(days) * 86400 : 0;
	char token[AUTH_API_TOKEN_LEN];
	int64_t id;
	const char *name = json_string_value(json_object_get(req->body, "name"));
	if (auth_token_create(db, actor_for(req, u->id, u->email), user, name, expires, token,
			      &id) != 0)
		return -1;
	char at[TIME_RFC3339_LEN];
	if (expires)
		time_format(expires, at);
	http_set_header(req, "Location", arena_printf(&req->arena, "/api/v1/tokens/%lld",
						      (long long)id));
	return http_reply_json(req, 201,
			       http_json(req, json_pack("{s:I, s:I, s:s, s:s?, s:s, s:s}", "id",
							(json_int_t)id, "user_id", (json_int_t)user,
							"name", name, "expires_at",
							expires ? at : NULL, "token", token, "note",
							"shown once: send it as \"Authorization:"
							" Bearer <token>\"")));
}

static int token_delete(struct http_req *req)
{
	const struct auth_user *u = api_user(req);
	int64_t id = api_parse_id(http_param(req, "id"));
	struct db *db = id ? api_db_or_reply(req) : NULL;
	if (!id)
		return http_reply_problem(req, 404, "not-found", NULL, "no API token with id \"%s\"",
					  http_param(req, "id"));
	if (!db)
		return 0;
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT user_id FROM api_tokens WHERE id = ? AND revoked_at IS NULL",
			"i", id);
	if (rc != RC_ROW && rc != RC_DONE)
		return -1;
	int64_t owner = rc == RC_ROW ? db_col_int(st, 0) : 0;
	if (rc == RC_ROW)
		db_done(st);
	/* someone else's token is as good as none to a non-admin */
	if (!owner || (owner != u->id && !(u->role & ROLE_ADMIN)))
		return http_reply_problem(req, 404, "not-found", NULL, "no active API token with id %lld",
					  (long long)id);
	rc = auth_token_revoke(db, actor_for(req, u->id, u->email), id);
	if (rc == 1)
		return http_reply_problem(req, 404, "not-found", NULL, "no active API token with id %lld",
					  (long long)id);
	return rc == 0 ? http_reply_empty(req, 204) : -1;
}

static const struct http_route routes[] = {
	{ "GET", "/api/v1/tokens", tokens_list, ROLE_STAFF, 0, &api_token_resource },
	{ "GET", "/api/v1/tokens/:id", api_resource_get, ROLE_ADMIN, 0, &api_token_resource },
	{ "POST", "/api/v1/tokens", token_new, ROLE_STAFF, HTTP_SECRET_REPLY, NULL },
	{ "DELETE", "/api/v1/tokens/:id", token_delete, ROLE_STAFF, HTTP_RAW_BODY, NULL },
	{ "POST", "/api/v1/auth/login", login, HTTP_PUBLIC, HTTP_SECRET_REPLY | HTTP_SLOW, NULL },
	{ "POST", "/api/v1/auth/logout", logout, ROLE_STAFF, HTTP_RAW_BODY, NULL },
	{ "GET", "/api/v1/me", me, ROLE_STAFF, 0, NULL },
	{ "POST", "/api/v1/me/totp", totp_begin, ROLE_STAFF, HTTP_RAW_BODY | HTTP_SECRET_REPLY, NULL },
	{ "POST", "/api/v1/me/totp/confirm", totp_confirm, ROLE_STAFF, 0, NULL },
	{ "DELETE", "/api/v1/me/totp", totp_disable, ROLE_STAFF, 0, NULL },
	{ "POST", "/api/v1/me/password", change_password, ROLE_STAFF, HTTP_SLOW, NULL },
	/* the portal's own: the same rules for a client contact's login (see portal.c) */
	{ "POST", "/api/v1/portal/auth/logout", logout, ROLE_PORTAL, HTTP_RAW_BODY, NULL },
	{ "POST", "/api/v1/portal/auth/totp", totp_begin, ROLE_PORTAL,
	  HTTP_RAW_BODY | HTTP_SECRET_REPLY, NULL },
	{ "POST", "/api/v1/portal/auth/totp/confirm", totp_confirm, ROLE_PORTAL, 0, NULL },
	{ "DELETE", "/api/v1/portal/auth/totp", totp_disable, ROLE_PORTAL, 0, NULL },
	{ "POST", "/api/v1/portal/auth/password", change_password, ROLE_PORTAL, HTTP_SLOW, NULL },
};

const struct api_routes api_auth_routes = { routes, sizeof(routes) / sizeof(routes[0]) };
