/*
 * users.c - "servio user" and "servio token": staff users and API tokens
 * from the command line (the first admin, scripts, locked-out admins).
 * Changes are audited with the actor "cli".
 */
#include "cli.h"

#include "auth/auth.h"
#include "core/arena.h"
#include "core/conf.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "resource/audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const struct audit_actor cli_actor = { .label = "cli" };

/* Finds "--name VALUE" or "--name=VALUE" in argv; NULL when absent. */
static const char *opt(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], name) == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	}
	return NULL;
}

/* Refuses arguments that are not among the known options. */
static bool args_known(const char *cmd, int argc, char **argv, const char *const *known,
		       int positional)
{
	for (int i = 0; i < argc; i++) {
		bool ok = false;
		for (const char *const *k = known; *k && !ok; k++) {
			size_t n = strlen(*k);
			if (strcmp(argv[i], *k) == 0 && i + 1 < argc) {
				ok = true;
				i++;
			} else if (strncmp(argv[i], *k, n) == 0 && argv[i][n] == '=') {
				ok = true;
			}
		}
		if (!ok && argv[i][0] != '-' && positional > 0) {
			positional--;
			ok = true;
		}
		if (!ok) {
			fprintf(stderr, "servio %s: unexpected argument \"%s\"\n", cmd, argv[i]);
			return false;
		}
	}
	return true;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* Reads a line from the terminal without echo. Returns 0, or -1. */
static int read_secret(const char *prompt, char *out, size_t len)
{
	if (!isatty(STDIN_FILENO))
		return -1;
	struct termios old, quiet;
	fprintf(stderr, "%s", prompt);
	tcgetattr(STDIN_FILENO, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	char *r = fgets(out, (int)len, stdin);
	tcsetattr(STDIN_FILENO, TCSANOW, &old);
	fprintf(stderr, "\n");
	if (!r)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* The password from --password, SERVIO_NEW_PASSWORD, or the terminal (twice). */
static const char *password_from(int argc, char **argv, char *buf, size_t len)
{
	const char *p = opt(argc, argv, "--password");
	if (p)
		return p;
	p = getenv("SERVIO_NEW_PASSWORD");
	if (p && *p)
		return p;
	char again[600];
	if (read_secret("password: ", buf, len) < 0 ||
	    read_secret("password again: ", again, sizeof(again)) < 0) {
		fprintf(stderr, "servio: give the password with --password, SERVIO_NEW_PASSWORD or "
				"on a terminal\n");
		return NULL;
	}
	if (strcmp(buf, again) != 0) {
		fprintf(stderr, "servio: the passwords differ\n");
		return NULL;
	}
	return buf;
}

static int64_t user_id_or_say(struct db *db, const char *email)
{
	int64_t id = 0;
	int rc = auth_user_find(db, email, &id);
	if (rc == 0)
		fprintf(stderr, "servio: no user with e-mail \"%s\"\n", email);
	else if (rc < 0)
		fprintf(stderr, "servio: cannot read users: %s\n", db_errmsg(db));
	return rc == 1 ? id : 0;
}

static int user_add(struct conf *c, int argc, char **argv)
{
	static const char *const known[] = { "--email", "--name", "--role", "--password", NULL };
	if (wants_help(argc, argv)) {
		printf("usage: servio user add --email E --name N --role R [--password P]\n\n"
		       "Adds a staff user. R is admin, manager, technician, sales or billing.\n"
		       "The password comes from --password, SERVIO_NEW_PASSWORD, or is asked\n"
		       "for twice on the terminal; it must have at least 10 characters.\n");
		return 0;
	}
	if (!args_known("user add", argc, argv, known, 0))
		return 2;
	const char *email = opt(argc, argv, "--email"), *name = opt(argc, argv, "--name"),
		   *role = opt(argc, argv, "--role");
	if (!email || !name || !role) {
		fprintf(stderr, "servio user add: --email, --name and --role are required\n");
		return 2;
	}
	unsigned r = role_parse(role);
	if (!r || r == ROLE_PORTAL) {
		fprintf(stderr, "servio user add: role must be admin, manager, technician, sales or "
				"billing, not \"%s\"\n", role);
		return 2;
	}
	char buf[600];
	const char *password = password_from(argc, argv, buf, sizeof(buf));
	if (!password)
		return 1;
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	int64_t id;
	const char *problem;
	int rc = auth_user_create(db, &cli_actor, email, name, r, password, &id, &problem);
	db_disconnect(db);
	if (rc < 0) {
		fprintf(stderr, "servio: cannot add user \"%s\": %s\n", email,
			problem ? problem : "database error");
		return 1;
	}
	char norm[256];
	printf("added user %lld: %s (%s)\n", (long long)id,
	       auth_email_normalize(email, norm, sizeof(norm)) ? norm : email, role);
	return 0;
}

static int user_list(struct conf *c, int argc, char **argv)
{
	static const char *const known[] = { NULL };
	if (wants_help(argc, argv)) {
		printf("usage: servio user list\n\nLists staff users.\n");
		return 0;
	}
	if (!args_known("user list", argc, argv, known, 0))
		return 2;
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	struct db_stmt *st = db_prepare(db, "SELECT id, email, name, role, active, totp_enabled"
					    " FROM users ORDER BY id");
	if (!st) {
		db_disconnect(db);
		return 1;
	}
	printf("%-6s %-32s %-24s %-11s %-7s %s\n", "id", "email", "name", "role", "active",
	       "totp");
	int rc;
	while ((rc = db_step(st)) == RC_ROW)
		printf("%-6lld %-32s %-24s %-11s %-7s %s\n", (long long)db_col_int(st, 0),
		       db_col_text(st, 1), db_col_text(st, 2), db_col_text(st, 3),
		       db_col_int(st, 4) ? "yes" : "no", db_col_int(st, 5) ? "on" : "off");
	db_done(st);
	db_disconnect(db);
	return rc == RC_DONE ? 0 : 1;
}

static int user_passwd(struct conf *c, int argc, char **argv)
{
	static const char *const known[] = { "--email", "--password", NULL };
	if (wants_help(argc, argv)) {
		printf("usage: servio user passwd --email E [--password P]\n\n"
		       "Sets a user's password (from --password, SERVIO_NEW_PASSWORD or the\n"
		       "terminal) and ends their sessions.\n");
		return 0;
	}
	if (!args_known("user passwd", argc, argv, known, 0))
		return 2;
	const char *email = opt(argc, argv, "--email");
	if (!email) {
		fprintf(stderr, "servio user passwd: --email is required\n");
		return 2;
	}
	char buf[600];
	const char *password = password_from(argc, argv, buf, sizeof(buf));
	if (!password)
		return 1;
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	int64_t id = user_id_or_say(db, email);
	const char *problem = NULL;
	int rc = id ? auth_user_set_password(db, &cli_actor, id, password, 0, &problem) : -1;
	if (rc == 0)
		rc = auth_session_delete_user(db, id, 0);
	db_disconnect(db);
	if (rc < 0) {
		if (id)
			fprintf(stderr, "servio: cannot set the password: %s\n",
				problem ? problem : "database error");
		return 1;
	}
	printf("password changed for %s; their sessions have ended\n", email);
	return 0;
}

static int user_disable(struct conf *c, int argc, char **argv)
{
	static const char *const known[] = { "--email", NULL };
	if (wants_help(argc, argv)) {
		printf("usage: servio user disable --email E\n\n"
		       "Disables a user: they can no longer sign in, their sessions end and\n"
		       "their API tokens stop working. Their records and history stay.\n");
		return 0;
	}
	if (!args_known("user disable", argc, argv, known, 0))
		return 2;
	const char *email = opt(argc, argv, "--email");
	if (!email) {
		fprintf(stderr, "servio user disable: --email is required\n");
		return 2;
	}
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	int64_t id = user_id_or_say(db, email);
	int rc = id ? auth_user_disable(db, &cli_actor, id) : -1;
	db_disconnect(db);
	if (rc < 0)
		return 1;
	printf("disabled %s\n", email);
	return 0;
}

struct subcommand {
	const char *name;
	int (*run)(struct conf *, int, char **);
};

/* Runs the subcommand argv[0] names, or explains the usage. */
static int dispatch(const char *cmd, const struct subcommand *subs, size_t n, const char *usage,
		    struct conf *c, int argc, char **argv)
{
	if (argc < 1) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	if (argv[0][0] == '-' && wants_help(argc, argv)) {
		printf("%s", usage);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].run(c, argc - 1, argv + 1);
	fprintf(stderr, "servio %s: unknown subcommand \"%s\"\n\n%s", cmd, argv[0], usage);
	return 2;
}

static const char user_usage[] =
	"usage: servio user add|list|passwd|disable [ARGS]\n\n"
	"  add --email E --name N --role R [--password P]   add a staff user\n"
	"  list                                             list staff users\n"
	"  passwd --email E [--password P]                  set a user's password\n"
	"  disable --email E                                stop a user from signing in\n\n"
	"run \"servio user SUBCOMMAND --help\" for its arguments\n";

int cmd_user(struct conf *c, int argc, char **argv)
{
	static const struct subcommand subs[] = { { "add", user_add },
						  { "list", user_list },
						  { "passwd", user_passwd },
						  { "disable", user_disable } };
	return dispatch("user", subs, sizeof(subs) / sizeof(subs[0]), user_usage, c, argc, argv);
}

static int token_create(struct conf *c, int argc, char **argv)
{
	static const char *const known[] = { "--email", "--name", "--expires-days", NULL };
	if (wants_help(argc, argv)) {
		printf("usage: servio token create --email E --name N [--expires-days D]\n\n"
		       "Creates an API token for the user and prints it once. Programs send it\n"
		       "as \"Authorization: Bearer <token>\" and act with the user's role.\n");
		return 0;
	}
	if (!args_known("token create", argc, argv, known, 0))
		return 2;
	const char *email = opt(argc, argv, "--email"), *name = opt(argc, argv, "--name"),
		   *days = opt(argc, argv, "--expires-days");
	if (!email || !name || !*name || strlen(name) > 100) {
		fprintf(stderr, "servio token create: --email and --name (1 to 100 characters) are "
				"required\n");
		return 2;
	}
	int64_t expires = 0;
	if (days) {
		char *end;
		errno = 0;
		long d = strtol(days, &end, 10);
		if (errno || *end || d < 1 || d > 3650) {
			fprintf(stderr, "servio token create: --expires-days must be 1 to 3650\n");
			return 2;
		}
		expires = time_now() + (int64_t)d * 86400;
	}
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	int64_t uid = user_id_or_say(db, email), id;
	struct arena arena;
	struct auth_user u;
	arena_init(&arena);
	if (uid && auth_user_load(db, &arena, uid, &u) != 1) {
		fprintf(stderr, "servio: %s is disabled; a token for them would not work\n", email);
		uid = 0;
	}
	arena_release(&arena);
	char token[AUTH_API_TOKEN_LEN];
	int rc = uid ? auth_token_create(db, &cli_actor, uid, name, expires, token, &id) : -1;
	db_disconnect(db);
	if (rc < 0) {
		if (uid)
			fprintf(stderr, "servio: cannot create the token\n");
		return 1;
	}
	printf("%s\n", token);
	fprintf(stderr, "token %lld for %s; it is shown only this once\n", (long long)id, email);
	return 0;
}

static int token_list(struct conf *c, int argc, char **argv)
{
	static const char *const known[] = { "--email", NULL };
	if (wants_help(argc, argv)) {
		printf("usage: servio token list [--email E]\n\n"
		       "Lists API tokens (never their secrets), optionally of one user.\n");
		return 0;
	}
	if (!args_known("token list", argc, argv, known, 0))
		return 2;
	const char *email = opt(argc, argv, "--email");
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	int64_t uid = 0;
	if (email && !(uid = user_id_or_say(db, email))) {
		db_disconnect(db);
		return 1;
	}
	struct db_stmt *st = db_prepare(db,
		"SELECT t.id, u.email, t.name, t.prefix, t.created_at, t.last_used_at,"
		" t.expires_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
		" WHERE ? = 0 OR t.user_id = ? ORDER BY t.id");
	if (!st) {
		db_disconnect(db);
		return 1;
	}
	db_bind_int(st, 1, uid);
	db_bind_int(st, 2, uid);
	printf("%-6s %-28s %-20s %-14s %-21s %-21s %s\n", "id", "user", "name", "prefix",
	       "created", "last used", "state");
	int rc;
	while ((rc = db_step(st)) == RC_ROW) {
		const char *state = db_col_text(st, 7) ? "revoked" : "active";
		int64_t exp;
		if (!db_col_text(st, 7) && db_col_text(st, 6) &&
		    time_parse(db_col_text(st, 6), &exp) == 0 && exp <= time_now())
			state = "expired";
		printf("%-6lld %-28s %-20s svo_%-10s %-21s %-21s %s\n", (long long)db_col_int(st, 0),
		       db_col_text(st, 1), db_col_text(st, 2), db_col_text(st, 3),
		       db_col_text(st, 4), db_col_text(st, 5) ? db_col_text(st, 5) : "never", state);
	}
	db_done(st);
	db_disconnect(db);
	return rc == RC_DONE ? 0 : 1;
}

static int token_revoke(struct conf *c, int argc, char **argv)
{
	static const char *const known[] = { NULL };
	if (wants_help(argc, argv)) {
		printf("usage: servio token revoke ID\n\n"
		       "Revokes an API token at once (see \"servio token list\" for ids).\n");
		return 0;
	}
	if (!args_known("token revoke", argc, argv, known, 1) || argc != 1) {
		fprintf(stderr, "servio token revoke: give the token's id\n");
		return 2;
	}
	char *end;
	errno = 0;
	long long id = strtoll(argv[0], &end, 10);
	if (errno || *end || id < 1) {
		fprintf(stderr, "servio token revoke: \"%s\" is not a token id\n", argv[0]);
		return 2;
	}
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	int rc = auth_token_revoke(db, &cli_actor, id);
	db_disconnect(db);
	if (rc == 1)
		fprintf(stderr, "servio: no active token with id %lld\n", id);
	if (rc != 0)
		return 1;
	printf("revoked token %lld\n", id);
	return 0;
}

static const char token_usage[] =
	"usage: servio token create|list|revoke [ARGS]\n\n"
	"  create --email E --name N [--expires-days D]   create a token (printed once)\n"
	"  list [--email E]                               list tokens\n"
	"  revoke ID                                      revoke a token\n\n"
	"run \"servio token SUBCOMMAND --help\" for its arguments\n";

int cmd_token(struct conf *c, int argc, char **argv)
{
	static const struct subcommand subs[] = { { "create", token_create },
						  { "list", token_list },
						  { "revoke", token_revoke } };
	return dispatch("token", subs, sizeof(subs) / sizeof(subs[0]), token_usage, c, argc, argv);
}
