/*
 * test_auth.c - passwords, secrets, e-mail normalisation, TOTP, and the
 * database-backed parts of auth (users, sessions, API tokens, login rate
 * limits) on a fresh SQLite database, with the clock passed in.
 */
#include "auth/auth.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "db/db.h"
#include "resource/audit.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static const struct audit_actor actor = { .label = "test" };
static const int64_t T0 = 1795000000;	/* 2026-11-18, a fixed "now" */

static void roles_round_trip(void **state)
{
	(void)state;
	const char *names[] = { "admin", "manager", "technician", "sales", "billing", "portal" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		unsigned r = role_parse(names[i]);
		assert_int_not_equal(r, 0);
		assert_string_equal(role_name(r), names[i]);
	}
	assert_int_equal(role_parse("root"), 0);
	assert_int_equal(role_parse("Admin"), 0);
	assert_string_equal(role_name(0), "");
	assert_string_equal(role_name(ROLE_ADMIN | ROLE_SALES), "");
}

static void passwords(void **state)
{
	(void)state;
	char hash[AUTH_HASH_MAX];
	assert_int_equal(auth_password_hash("correct horse battery", hash), 0);
	assert_non_null(strstr(hash, "$argon2id$"));
	assert_true(auth_password_verify(hash, "correct horse battery"));
	assert_false(auth_password_verify(hash, "correct horse batterY"));
	assert_false(auth_password_verify(hash, ""));
	assert_false(auth_password_verify("", "x"));
	assert_false(auth_password_verify(NULL, "x"));
	assert_false(auth_password_verify_or_dummy(NULL, "whatever-password"));
	assert_false(auth_password_verify_or_dummy("", "whatever-password"));
	assert_true(auth_password_verify_or_dummy(hash, "correct horse battery"));

	/* the same password hashes differently each time (salt) */
	char hash2[AUTH_HASH_MAX];
	assert_int_equal(auth_password_hash("correct horse battery", hash2), 0);
	assert_string_not_equal(hash, hash2);
}

/* Eight sign-ins at once: every check is right, and no more than two ran together. */
struct signin {
	const char *hash;
	int right, wrong;
};

static void *signin_main(void *p)
{
	struct signin *si = p;
	for (int i = 0; i < 2; i++) {
		si->right += auth_password_verify(si->hash, "correct horse battery");
		si->wrong += auth_password_verify(si->hash, "incorrect horse battery");
	}
	return NULL;
}

static void hashing_is_bounded(void **state)
{
	(void)state;
	char hash[AUTH_HASH_MAX];
	assert_int_equal(auth_password_hash("correct horse battery", hash), 0);
	struct signin si[8];
	pthread_t th[8];
	for (int i = 0; i < 8; i++) {
		si[i] = (struct signin){ .hash = hash };
		assert_int_equal(pthread_create(&th[i], NULL, signin_main, &si[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(si[i].right, 2);
		assert_int_equal(si[i].wrong, 0);
	}
	/* eight threads wanted to: at most two did at a time (unbounded, all eight would) */
	assert_in_range(auth_password_hashes_peak(), 1, 2);
}

/* The policy's verdict, and that a refusal is a message for people. */
static const char *verdict(const char *password, const char *email, const char *name)
{
	const char *problem = auth_password_problem(password, email, name);
	if (problem)
		assert_true(strlen(problem) > 10);
	return problem;
}

static void password_policy(void **state)
{
	(void)state;
	const char *email = "alice.smith@example.com", *name = "Alice Smith";
	/* what the probe found accepted */
	assert_non_null(strstr(verdict("          ", email, name), "only spaces"));
	/* ten ZERO WIDTH SPACEs */
	const char *zw = "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b";
	assert_non_null(strstr(verdict(zw, email, name), "invisible"));
	assert_non_null(strstr(verdict("\u2060\ufeff\u00a0\u3000\u2800\u200d\u3164\u00ad\u180e\u2800",
				       email, name), "invisible"));
	assert_non_null(strstr(verdict("1234567890", email, name), "too easy to guess"));
	assert_non_null(strstr(verdict("password12", email, name), "too easy to guess"));
	assert_non_null(strstr(verdict("password12", NULL, NULL), "common password"));
	/* the user's own address or name, however dressed */
	assert_non_null(strstr(verdict(email, email, name), "your name or e-mail"));
	assert_non_null(strstr(verdict("ALICE.SMITH-rocks-2026", email, name), "your name or e-mail"));
	assert_non_null(strstr(verdict("xx Alice Smith xx", email, name), "your name or e-mail"));
	assert_non_null(verdict("AliceSmith-1987", email, name));
	/* length counts what is seen: spaces at either end and fillers do not count */
	assert_non_null(strstr(verdict("   kq7#Zp2!   ", NULL, NULL), "at least 10"));
	assert_non_null(strstr(verdict("kq7\u200b#Zp2!\u200bx", NULL, NULL), "at least 10"));
	/* a filler does not hide a common password from zxcvbn */
	assert_non_null(verdict("pass\u200bword12", NULL, NULL));
	assert_non_null(strstr(verdict("gggggggggggggggggggg", NULL, NULL), "repeats"));
	/* long passphrases of unrelated words pass, with spaces inside */
	assert_null(verdict("correct horse battery staple", email, name));
	assert_null(verdict("  blue piano under the lighthouse  ", email, name));
	assert_null(verdict("Adm1n-Pass-For-Tests-Only-7f3c!", NULL, NULL));
	/* characters, not bytes; at most 512 bytes */
	assert_null(verdict("s\u00e9l\u00e9nite parapluie d\u00e9j\u00e0", email, name));
	char big[600];
	for (int i = 0; i < 512; i++)
		big[i] = "kq7#Zp2!wm4$Lr9x"[(i * 7 + i / 16) % 16];
	big[512] = '\0';
	assert_null(verdict(big, NULL, NULL));
	big[512] = 'y';
	big[513] = '\0';
	assert_non_null(strstr(verdict(big, NULL, NULL), "512 bytes"));
}

static void secrets(void **state)
{
	(void)state;
	char seen[50][AUTH_TOKEN_LEN];
	for (int i = 0; i < 50; i++) {
		auth_random_token(seen[i]);
		assert_int_equal(strlen(seen[i]), 43);
		for (const char *p = seen[i]; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	char hex[65];
	auth_sha256_hex("abc", hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void emails(void **state)
{
	(void)state;
	char out[256];
	assert_true(auth_email_normalize("  Ann.Lee@Example.COM ", out, sizeof(out)));
	assert_string_equal(out, "ann.lee@example.com");
	assert_true(auth_email_normalize("a+tag@sub.example.org", out, sizeof(out)));
	const char *bad[] = { "", "plain", "@example.com", "a@", "a@b", "a@.com", "a@com.",
			      "a@b..com", "a b@example.com", "a@@example.com", "<a>@example.com",
			      "a@example.com;b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(auth_email_normalize(bad[i], out, sizeof(out)));
	assert_false(auth_email_normalize("a@example.com", out, 5));	/* no room */
}

static void totp_codes(void **state)
{
	(void)state;
	oath_init();
	const char raw[20] = "12345678901234567890";	/* the RFC 6238 test key */
	char *b32 = NULL;
	size_t b32len;
	assert_int_equal(oath_base32_encode(raw, sizeof(raw), &b32, &b32len), OATH_OK);
	char code[16];
	assert_int_equal(oath_totp_generate(raw, sizeof(raw), (time_t)T0, 30, 0, 6, code),
			 OATH_OK);
	int64_t step = 0;
	assert_true(auth_totp_valid(b32, code, T0, &step));
	assert_int_equal(step, T0 / 30);
	assert_true(auth_totp_valid(b32, code, T0 + 30, &step));
	assert_int_equal(step, T0 / 30);	/* the step of the code, not of the clock */
	assert_true(auth_totp_valid(b32, code, T0 + 30, NULL));	/* one step late */
	assert_true(auth_totp_valid(b32, code, T0 - 30, NULL));	/* one step early */
	assert_false(auth_totp_valid(b32, code, T0 + 60, NULL));	/* two steps: refused */
	assert_false(auth_totp_valid(b32, code, T0 - 60, NULL));
	assert_false(auth_totp_valid(b32, code, T0 + 90, NULL));	/* three steps: refused */
	assert_false(auth_totp_valid(b32, code, T0 - 90, NULL));
	/* RFC 6238 appendix B, SHA-1, at 59 s: 94287082 -> last six digits */
	assert_true(auth_totp_valid(b32, "287082", 59, NULL));
	assert_false(auth_totp_valid(b32, "287083", 59, NULL));
	assert_false(auth_totp_valid(b32, "28708", 59, NULL));
	assert_false(auth_totp_valid(b32, "2870822", 59, NULL));
	assert_false(auth_totp_valid(b32, "abcdef", 59, NULL));
	assert_false(auth_totp_valid(NULL, "287082", 59, NULL));
	assert_false(auth_totp_valid("!!!", "287082", 59, NULL));
	free(b32);
}

struct fixture {
	char dir[64];
	struct db *db;
	struct arena arena;
};

static int setup_db(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/servio-test-auth-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	char url[128], err[256];
	snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
	if (db_connect(url, &f->db, err, sizeof(err)) != RC_OK || db_migrate(f->db, false) != RC_OK)
		return -1;
	arena_init(&f->arena);
	*state = f;
	return 0;
}

static int teardown_db(void **state)
{
	struct fixture *f = *state;
	db_disconnect(f->db);
	arena_release(&f->arena);
	char path[128];
	const char *files[] = { "t.db", "t.db-wal", "t.db-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int64_t make_user(struct fixture *f, const char *email, unsigned role)
{
	int64_t id = 0;
	const char *problem = NULL;
	assert_int_equal(auth_user_create(f->db, &actor, email, "Test User", role,
					  "a good long password", &id, &problem),
			 0);
	assert_true(id > 0);
	return id;
}

static void users(void **state)
{
	struct fixture *f = *state;
	int64_t id = make_user(f, "Ann@Example.com", ROLE_TECHNICIAN);
	int64_t found = 0;
	assert_int_equal(auth_user_find(f->db, "ann@example.com", &found), 1);
	assert_int_equal(found, id);
	assert_int_equal(auth_user_find(f->db, "nobody@example.com", &found), 0);

	const char *problem = NULL;
	int64_t id2;
	assert_int_equal(auth_user_create(f->db, &actor, "ann@example.com", "Dup", ROLE_SALES,
					  "a good long password", &id2, &problem),
			 -1);
	assert_non_null(problem);
	assert_int_equal(auth_user_create(f->db, &actor, "bob@example.com", "Bob", ROLE_SALES,
					  "short", &id2, &problem),
			 -1);
	assert_non_null(strstr(problem, "10"));
	assert_int_equal(auth_user_create(f->db, &actor, "bob.jones@example.com", "Bob Jones",
					  ROLE_SALES, "bob.jones-2026", &id2, &problem),
			 -1);
	assert_non_null(strstr(problem, "e-mail"));
	assert_int_equal(auth_user_create(f->db, &actor, "bob@example.com", "Bob", ROLE_PORTAL,
					  "a good long password", &id2, &problem),
			 -1);

	struct auth_user u;
	assert_int_equal(auth_user_load(f->db, &f->arena, id, &u), 1);
	assert_string_equal(u.email, "ann@example.com");
	assert_int_equal(u.role, ROLE_TECHNICIAN);

	/* the audit log has the creation, and no password hash anywhere */
	struct db_stmt *st;
	assert_int_equal(db_run(f->db, &st,
				"SELECT after FROM audit_log WHERE resource = 'users' AND record_id = ?",
				"i", id),
			 RC_ROW);
	assert_null(strstr(db_col_text(st, 0), "argon2"));
	assert_null(strstr(db_col_text(st, 0), "password"));
	db_done(st);

	assert_int_equal(auth_user_set_password(f->db, &actor, id, "password12", 0, &problem), -1);
	assert_non_null(strstr(problem, "too easy to guess"));
	assert_int_equal(auth_user_set_password(f->db, &actor, id, "another long password", 0,
						&problem),
			 0);
	assert_int_equal(auth_user_disable(f->db, &actor, id), 0);
	assert_int_equal(auth_user_load(f->db, &f->arena, id, &u), 0);
}

static void sessions(void **state)
{
	struct fixture *f = *state;
	int64_t id = make_user(f, "carl@example.com", ROLE_MANAGER);
	struct auth_session_new s;
	assert_int_equal(auth_session_create(f->db, id, "127.0.0.1", 30, 8, T0, &s), 0);
	struct auth_user u;
	assert_int_equal(auth_session_lookup(f->db, &f->arena, s.token, 30, 8, T0 + 60, &u), 1);
	assert_int_equal(u.id, id);
	assert_string_equal(u.csrf_token, s.csrf);
	assert_int_equal(u.session_id, s.id);

	/* the stored value is a hash, never the cookie */
	struct db_stmt *st;
	assert_int_equal(db_run(f->db, &st, "SELECT token_hash FROM sessions WHERE id = ?", "i",
				s.id),
			 RC_ROW);
	assert_string_not_equal(db_col_text(st, 0), s.token);
	assert_int_equal(strlen(db_col_text(st, 0)), 64);
	db_done(st);

	/* use slides the idle expiry: alive 29 minutes after the last use */
	assert_int_equal(auth_session_lookup(f->db, &f->arena, s.token, 30, 8, T0 + 25 * 60, &u),
			 1);
	assert_int_equal(auth_session_lookup(f->db, &f->arena, s.token, 30, 8, T0 + 54 * 60, &u),
			 1);
	/* idle for longer than 30 minutes: gone, and deleted */
	assert_int_equal(auth_session_lookup(f->db, &f->arena, s.token, 30, 8, T0 + 90 * 60, &u),
			 0);
	assert_int_equal(auth_session_lookup(f->db, &f->arena, s.token, 30, 8, T0 + 60, &u), 0);

	/* the absolute limit holds however busy the session is */
	assert_int_equal(auth_session_create(f->db, id, NULL, 30, 1, T0, &s), 0);
	for (int64_t t = T0; t < T0 + 3600; t += 20 * 60)
		assert_int_equal(auth_session_lookup(f->db, &f->arena, s.token, 30, 1, t, &u), 1);
	assert_int_equal(auth_session_lookup(f->db, &f->arena, s.token, 30, 1, T0 + 3600, &u), 0);

	/* unknown, malformed */
	assert_int_equal(auth_session_lookup(f->db, &f->arena, "nope", 30, 8, T0, &u), 0);
	char other[AUTH_TOKEN_LEN];
	auth_random_token(other);
	assert_int_equal(auth_session_lookup(f->db, &f->arena, other, 30, 8, T0, &u), 0);

	/* disabling the user ends the session */
	assert_int_equal(auth_session_create(f->db, id, NULL, 30, 8, T0, &s), 0);
	assert_int_equal(auth_user_disable(f->db, &actor, id), 0);
	assert_int_equal(auth_session_lookup(f->db, &f->arena, s.token, 30, 8, T0, &u), 0);
}

static void api_tokens(void **state)
{
	struct fixture *f = *state;
	int64_t id = make_user(f, "dana@example.com", ROLE_BILLING);
	char tok[AUTH_API_TOKEN_LEN];
	int64_t tid;
	assert_int_equal(auth_token_create(f->db, &actor, id, "script", 0, tok, &tid), 0);
	assert_int_equal(strncmp(tok, "svo_", 4), 0);
	assert_int_equal(strlen(tok), 47);
	struct auth_user u;
	assert_int_equal(auth_token_lookup(f->db, &f->arena, tok, T0, &u), 1);
	assert_int_equal(u.id, id);
	assert_int_equal(u.token_id, tid);
	assert_null(u.csrf_token);

	char wrong[AUTH_API_TOKEN_LEN];
	memcpy(wrong, tok, sizeof(wrong));
	wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_token_lookup(f->db, &f->arena, wrong, T0, &u), 0);
	assert_int_equal(auth_token_lookup(f->db, &f->arena, tok + 4, T0, &u), 0);

	assert_int_equal(auth_token_revoke(f->db, &actor, tid), 0);
	assert_int_equal(auth_token_lookup(f->db, &f->arena, tok, T0, &u), 0);
	assert_int_equal(auth_token_revoke(f->db, &actor, tid), 1);	/* already revoked */

	/* expiry */
	assert_int_equal(auth_token_create(f->db, &actor, id, "short-lived", T0 + 100, tok, &tid),
			 0);
	assert_int_equal(auth_token_lookup(f->db, &f->arena, tok, T0 + 99, &u), 1);
	assert_int_equal(auth_token_lookup(f->db, &f->arena, tok, T0 + 100, &u), 0);
}

static int64_t stored_count(struct fixture *f, const char *scope, const char *key)
{
	struct db_stmt *st;
	int rc = db_run(f->db, &st, "SELECT count FROM login_failures WHERE scope = ? AND key = ?",
			"ss", scope, key);
	if (rc == RC_DONE)
		return 0;
	assert_int_equal(rc, RC_ROW);
	int64_t n = db_col_int(st, 0);
	db_done(st);
	return n;
}

static int attempt(struct fixture *f, const char *who, const char *addr, const char *device,
		   int64_t now)
{
	return auth_ratelimit_attempt(f->db, who, addr, device, now);
}

static void rate_limits(void **state)
{
	struct fixture *f = *state;
	const char *eve = "eve@example.com";
	/* three attempts go on at once; then each waits twice as long as the one before */
	for (int i = 0; i < 3; i++)
		assert_int_equal(attempt(f, eve, "10.0.0.1", NULL, T0), 0);
	/* whole seconds: a delay of 1 s after second T0 lets second T0 + 2 in */
	assert_int_equal(attempt(f, eve, "10.0.0.2", NULL, T0), 2);
	assert_int_equal(attempt(f, eve, "10.0.0.2", NULL, T0 + 1), 1);
	assert_int_equal(attempt(f, eve, "10.0.0.2", NULL, T0 + 2), 0);
	assert_int_equal(attempt(f, eve, NULL, NULL, T0 + 4), 1);
	assert_int_equal(attempt(f, eve, NULL, NULL, T0 + 5), 0);
	assert_int_equal(attempt(f, eve, NULL, NULL, T0 + 5), 5);
	/* a refused attempt is not counted */
	assert_int_equal(stored_count(f, "account", eve), 5);
	/* the delay stops growing at 15 minutes */
	int64_t t = T0 + 10;
	for (int i = 0; i < 20; i++) {
		int w;
		while ((w = attempt(f, eve, NULL, NULL, t)) > 0)
			t += w;
		assert_int_equal(w, 0);
	}
	assert_int_equal(attempt(f, eve, NULL, NULL, t), 15 * 60 + 1);
	/* success forgets the account's count and its delay */
	assert_int_equal(auth_ratelimit_success(f->db, eve, NULL, NULL), 0);
	assert_int_equal(attempt(f, eve, NULL, NULL, t), 0);
	assert_int_equal(stored_count(f, "account", eve), 1);

	/* a day of quiet forgets, and so does a clock set back */
	const char *frank = "frank@example.com";
	for (int i = 0; i < 4; i++)
		attempt(f, frank, NULL, NULL, T0 + 2 * i);
	assert_true(attempt(f, frank, NULL, NULL, T0 + 7) > 0);
	assert_int_equal(attempt(f, frank, NULL, NULL, T0 + 7 + 24 * 3600 + 1), 0);
	assert_int_equal(stored_count(f, "account", frank), 1);
	for (int i = 0; i < 3; i++)
		attempt(f, frank, NULL, NULL, T0 + 24 * 3600 + 10);
	assert_true(attempt(f, frank, NULL, NULL, T0 + 24 * 3600 + 10) > 0);
	assert_int_equal(attempt(f, frank, NULL, NULL, T0), 0);

	/* one address trying many accounts: slowed after 20 attempts, forgotten after an hour */
	for (int i = 0; i < 20; i++) {
		char who[64];
		snprintf(who, sizeof(who), "user%d@example.com", i);
		assert_int_equal(attempt(f, who, "10.9.9.9", NULL, T0), 0);
	}
	assert_int_equal(attempt(f, "new@example.com", "10.9.9.9", NULL, T0), 2);
	assert_int_equal(attempt(f, "new@example.com", "10.9.9.8", NULL, T0), 0);

	/* a success from an address gives its attempt back */
	assert_int_equal(attempt(f, "ok@example.com", "10.7.7.7", NULL, T0), 0);
	assert_int_equal(auth_ratelimit_success(f->db, "ok@example.com", "10.7.7.7", NULL), 0);
	assert_int_equal(stored_count(f, "address", "10.7.7.7"), 0);

	/* a known device is slowed by its own failures alone */
	const char *gina = "gina@example.com";
	for (int i = 0; i < 3; i++)
		attempt(f, gina, "10.1.1.1", NULL, T0);
	assert_true(attempt(f, gina, "10.1.1.1", NULL, T0) > 0);
	assert_true(attempt(f, "x@example.com", "10.9.9.9", NULL, T0) > 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(attempt(f, gina, "10.9.9.9", "7:device-a", T0), 0);
	assert_int_equal(attempt(f, gina, "10.9.9.9", "7:device-a", T0), 2);
	assert_int_equal(attempt(f, gina, "10.9.9.9", "7:device-b", T0), 0);
	/* its success forgets its own count, never the account's (the attacker's) */
	assert_int_equal(auth_ratelimit_success(f->db, gina, "10.9.9.9", "7:device-a"), 0);
	assert_int_equal(attempt(f, gina, "10.9.9.9", "7:device-a", T0), 0);
	assert_true(attempt(f, gina, "10.1.1.1", NULL, T0) > 0);
	assert_int_equal(stored_count(f, "account", gina), 3);
	/* an address quiet for an hour starts again */
	assert_int_equal(attempt(f, "new2@example.com", "10.9.9.9", NULL, T0 + 3601), 0);
	assert_int_equal(stored_count(f, "address", "10.9.9.9"), 1);
}

static void devices(void **state)
{
	struct fixture *f = *state;
	char value[AUTH_DEVICE_MAX], again[AUTH_DEVICE_MAX], key[AUTH_DEVICE_MAX],
		key2[AUTH_DEVICE_MAX];
	assert_int_equal(auth_device_issue(f->db, 7, T0, value), 0);
	assert_int_equal(auth_device_issue(f->db, 7, T0, again), 0);
	assert_string_not_equal(value, again);	/* each browser its own device */
	assert_int_equal(auth_device_check(f->db, value, 7, T0 + 60, key), 1);
	assert_int_equal(strncmp(key, "7:", 2), 0);
	assert_int_equal(auth_device_check(f->db, again, 7, T0 + 60, key2), 1);
	assert_string_not_equal(key, key2);
	/* bound to its account, its issue date and its signature */
	assert_int_equal(auth_device_check(f->db, value, 8, T0, key), 0);
	assert_int_equal(auth_device_check(f->db, value, 0, T0, key), 0);
	assert_int_equal(auth_device_check(f->db, value, 7, T0 + 366 * 86400, key), 0);
	char forged[AUTH_DEVICE_MAX];
	snprintf(forged, sizeof(forged), "8%s", value + 1);
	assert_int_equal(auth_device_check(f->db, forged, 8, T0, key), 0);
	snprintf(forged, sizeof(forged), "%s", value);
	char *last = forged + strlen(forged) - 2;
	*last = *last == 'A' ? 'B' : 'A';
	assert_int_equal(auth_device_check(f->db, forged, 7, T0, key), 0);
	const char *junk[] = { "", "7", "7.", "7..1.", "7.abc.1795000000.", "x.y.z.w", NULL };
	for (const char **j = junk; *j; j++)
		assert_int_equal(auth_device_check(f->db, *j, 7, T0, key), 0);
	assert_int_equal(auth_device_check(f->db, NULL, 7, T0, key), 0);
	/* a new server key (another database) knows none of them */
	assert_int_equal(db_run(f->db, NULL, "DELETE FROM link_keys WHERE name = 'devices'", ""),
			 RC_DONE);
	assert_int_equal(auth_device_check(f->db, value, 7, T0 + 60, key), 0);
}

static void password_change_revokes(void **state)
{
	struct fixture *f = *state;
	int64_t id = make_user(f, "hal@example.com", ROLE_MANAGER);
	struct auth_session_new mine, other;
	assert_int_equal(auth_session_create(f->db, id, NULL, 30, 8, T0, &mine), 0);
	assert_int_equal(auth_session_create(f->db, id, NULL, 30, 8, T0, &other), 0);
	char tok[AUTH_API_TOKEN_LEN];
	int64_t tid;
	assert_int_equal(auth_token_create(f->db, &actor, id, "script", 0, tok, &tid), 0);
	const char *problem = NULL;
	/* a refused password changes nothing */
	assert_int_equal(auth_user_set_password(f->db, &actor, id, "1234567890", mine.id, &problem),
			 -1);
	struct auth_user u;
	assert_int_equal(auth_token_lookup(f->db, &f->arena, tok, T0, &u), 1);
	assert_int_equal(auth_user_set_password(f->db, &actor, id, "violet harbour tram sixteen",
						mine.id, &problem),
			 0);
	assert_int_equal(auth_session_lookup(f->db, &f->arena, mine.token, 30, 8, T0, &u), 1);
	assert_int_equal(auth_session_lookup(f->db, &f->arena, other.token, 30, 8, T0, &u), 0);
	assert_int_equal(auth_token_lookup(f->db, &f->arena, tok, T0, &u), 0);
	/* the revocation is audited */
	struct db_stmt *st;
	assert_int_equal(db_run(f->db, &st,
				"SELECT after FROM audit_log WHERE resource = 'api_tokens'"
				" AND record_id = ? AND action = 'revoke'",
				"i", tid),
			 RC_ROW);
	assert_non_null(strstr(db_col_text(st, 0), "password changed"));
	db_done(st);
	/* a change by someone else (0: keep none) ends every session */
	assert_int_equal(auth_user_set_password(f->db, &actor, id, "amber canal whistle forty", 0,
						&problem),
			 0);
	assert_int_equal(auth_session_lookup(f->db, &f->arena, mine.token, 30, 8, T0, &u), 0);
}

static void totp_enrolment(void **state)
{
	struct fixture *f = *state;
	int64_t id = make_user(f, "gina@example.com", ROLE_ADMIN);
	char secret[64];
	assert_int_equal(auth_totp_begin(f->db, &actor, id, secret, sizeof(secret)), 0);
	assert_int_equal(strlen(secret), 32);	/* 20 bytes in base32 */
	char *raw = NULL;
	size_t rawlen;
	assert_int_equal(oath_base32_decode(secret, strlen(secret), &raw, &rawlen), OATH_OK);
	char code[16];
	assert_int_equal(oath_totp_generate(raw, rawlen, (time_t)T0, 30, 0, 6, code), OATH_OK);
	free(raw);
	assert_int_equal(auth_totp_check(f->db, id, code, T0), 1);
	/* the same code again, even within its step: refused (RFC 6238 5.2) */
	assert_int_equal(auth_totp_check(f->db, id, code, T0 + 1), 0);
	assert_int_equal(auth_totp_check(f->db, id, "000000", T0 + 3600), 0);
	assert_int_equal(auth_totp_set_enabled(f->db, &actor, id, true), 0);
	struct auth_user u;
	assert_int_equal(auth_user_load(f->db, &f->arena, id, &u), 1);
	assert_true(u.totp_enabled);
	assert_int_equal(auth_totp_set_enabled(f->db, &actor, id, false), 0);
	assert_int_equal(auth_totp_check(f->db, id, code, T0 + 60), 0);	/* secret removed */
}

int main(void)
{
	alloc_install_json();
	if (sodium_init() < 0)
		return 1;
	setenv("SERVIO_ARGON2_FAST", "1", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roles_round_trip),
		cmocka_unit_test(passwords),
		cmocka_unit_test(hashing_is_bounded),
		cmocka_unit_test(password_policy),
		cmocka_unit_test(secrets),
		cmocka_unit_test(emails),
		cmocka_unit_test(totp_codes),
		cmocka_unit_test_setup_teardown(users, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(sessions, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(api_tokens, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(rate_limits, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(devices, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(password_change_revokes, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(totp_enrolment, setup_db, teardown_db),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
