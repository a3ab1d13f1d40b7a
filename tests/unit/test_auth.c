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

static void password_policy(void **state)
{
	(void)state;
	assert_non_null(auth_password_problem(""));
	assert_non_null(auth_password_problem("123456789"));		/* 9 */
	assert_null(auth_password_problem("1234567890"));		/* 10 */
	/* characters, not bytes: 9 two-byte letters are still too short */
	assert_non_null(auth_password_problem("ééééééééé"));
	assert_null(auth_password_problem("éééééééééé"));
	char big[600];
	memset(big, 'a', 512);
	big[512] = '\0';
	assert_null(auth_password_problem(big));
	memset(big, 'a', 513);
	big[513] = '\0';
	assert_non_null(auth_password_problem(big));
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

	assert_int_equal(auth_user_set_password(f->db, &actor, id, "another long password",
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

static void rate_limits(void **state)
{
	struct fixture *f = *state;
	const char *email = "eve@example.com";
	/* five attempts in a window may go on; the sixth is refused */
	for (int i = 0; i < 5; i++)
		assert_int_equal(auth_ratelimit_attempt(f->db, email, "10.0.0.1", T0 + i), 0);
	int wait = auth_ratelimit_attempt(f->db, email, "10.0.0.2", T0 + 60);
	assert_int_equal(wait, 15 * 60 - 60);
	/* a new window starts again */
	assert_int_equal(auth_ratelimit_attempt(f->db, email, "10.0.0.2", T0 + 15 * 60), 0);
	/* success forgets the account's count */
	for (int i = 0; i < 4; i++)
		assert_int_equal(auth_ratelimit_attempt(f->db, "frank@example.com", NULL, T0 + i), 0);
	assert_int_equal(auth_ratelimit_success(f->db, "frank@example.com", NULL), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(auth_ratelimit_attempt(f->db, "frank@example.com", NULL, T0 + 10 + i),
				 0);
	assert_true(auth_ratelimit_attempt(f->db, "frank@example.com", NULL, T0 + 20) > 0);
	/* one address trying many accounts: refused after 20 attempts */
	for (int i = 0; i < 20; i++) {
		char who[64];
		snprintf(who, sizeof(who), "user%d@example.com", i);
		assert_int_equal(auth_ratelimit_attempt(f->db, who, "10.9.9.9", T0 + i), 0);
	}
	assert_true(auth_ratelimit_attempt(f->db, "new@example.com", "10.9.9.9", T0 + 30) > 0);
	assert_int_equal(auth_ratelimit_attempt(f->db, "new@example.com", "10.9.9.8", T0 + 30), 0);
	/* a success from an address gives its attempt back */
	assert_int_equal(auth_ratelimit_attempt(f->db, "ok@example.com", "10.7.7.7", T0), 0);
	assert_int_equal(auth_ratelimit_success(f->db, "ok@example.com", "10.7.7.7"), 0);
	struct db_stmt *st;
	assert_int_equal(db_run(f->db, &st,
				"SELECT count FROM login_failures WHERE scope = 'address' AND key = ?",
				"s", "10.7.7.7"),
			 RC_ROW);
	assert_int_equal(db_col_int(st, 0), 0);
	db_done(st);
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
		cmocka_unit_test(password_policy),
		cmocka_unit_test(secrets),
		cmocka_unit_test(emails),
		cmocka_unit_test(totp_codes),
		cmocka_unit_test_setup_teardown(users, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(sessions, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(api_tokens, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(rate_limits, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(totp_enrolment, setup_db, teardown_db),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
