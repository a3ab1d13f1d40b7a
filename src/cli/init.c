/*
 * init.c - "servio init": create the data directory and the database,
 * apply the migrations, and create the first administrator. Running it
 * again changes nothing that exists.
 *
 * The admin comes from SERVIO_ADMIN_EMAIL / SERVIO_ADMIN_PASSWORD, or is
 * admin@servio.local with a generated password. A generated password is
 * printed last, framed, and kept in DATA_DIR/first-admin.txt (mode 0600,
 * only the owner reads it), which "servio serve" shows again under the
 * address it listens on until the file is deleted.
 *
 * The firm's public_url (the start of every link clients are given) is
 * filled from the listen address while it is unset, so that links work
 * from the start; a firm behind a proxy or on a domain sets its own in
 * Settings.
 */
#include "cli.h"

#include "auth/auth.h"
#include "core/arena.h"
#include "core/conf.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "resource/audit.h"
#include "resource/resource.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_p(const char *path)
{
	char tmp[1024];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

static int count_users(struct db *db, int64_t *n)
{
	struct db_stmt *st;
	if (db_run(db, &st, "SELECT COUNT(*) FROM users", "") != RC_ROW)
		return -1;
	*n = db_col_int(st, 0);
	db_done(st);
	return 0;
}

/* A password people can type: 20 characters from an unambiguous alphabet. */
static void generate_password(char out[21])
{
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	for (int i = 0; i < 20; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[20] = '\0';
}

/*
 * public_url from the listen address, when it has none: a loopback or
 * wildcard address is http://localhost:PORT (http://localhost:8080 by
 * default). Left unset for port 0 (a free port: no address to know).
 * Through the engine, audited as the command line. Returns 0, or -1 (said).
 */
static int fill_public_url(const struct conf *c, struct db *db)
{
	if (c->listen_port == 0)
		return 0;
	struct arena arena;
	arena_init(&arena);
	struct audit_actor actor = { .label = "cli" };
	struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &actor,
				    .now = time_now(), .trusted = true };
	int rc = RC_OK;
	if (!settings_public_url(&ctx)) {
		const char *h = c->listen_host;
		bool local = strcmp(h, "127.0.0.1") == 0 || strcmp(h, "0.0.0.0") == 0 ||
			     strcmp(h, "::") == 0 || strcmp(h, "::1") == 0 || !*h;
		const char *url = arena_printf(&arena, strchr(h, ':') && !local ? "http://[%s]:%u"
										 : "http://%s:%u",
					       local ? "localhost" : h, c->listen_port);
		json_t *patch = url ? arena_json(&arena, json_pack("{s:s}", "public_url", url))
				    : NULL;
		json_t *out, *errors = NULL;
		rc = patch ? resource_update_trusted(&ctx, &settings_resource, SETTINGS_ID, patch,
						     &out, &errors)
			   : RC_ERROR;
		if (rc == RC_OK)
			printf("public URL (the start of client links): %s; change it in Settings\n",
			       url);
		else
			fprintf(stderr, "servio: cannot set the public URL: %s\n",
				rc == RC_INVALID ? "the listen address makes no valid URL"
						 : db_errmsg(db));
	}
	arena_release(&arena);
	return rc == RC_OK ? 0 : -1;
}

/*
 * The first admin's sign-in, for the owner only: written once (never over
 * an existing file), mode 0600 from its creation. Returns 0, or -1 (said).
 */
static int save_first_admin(const struct conf *c, const char *email, const char *password)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", c->data_dir, CLI_FIRST_ADMIN_FILE) >=
	    (int)sizeof(path))
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "servio: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	fprintf(f, "e-mail:   %s\npassword: %s\n\n"
		   "The first admin of this Servio. Sign in, change the password (account menu),\n"
		   "then delete this file: servio serve shows it at start-up while it exists.\n",
		email, password);
	return fclose(f) == 0 ? 0 : -1;
}

int cmd_init(struct conf *c, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: servio init\n\n"
			       "Creates the data directory and the database, applies the migrations\n"
			       "and creates the first admin from SERVIO_ADMIN_EMAIL and\n"
			       "SERVIO_ADMIN_PASSWORD (or admin@servio.local with a generated password,\n"
			       "printed once). Safe to run again: it changes nothing that exists.\n");
			return 0;
		}
		fprintf(stderr, "servio init: unexpected argument \"%s\"\n", argv[i]);
		return 2;
	}
	if (mkdir_p(c->data_dir) < 0) {
		fprintf(stderr, "servio: cannot create data directory \"%s\": %s\n", c->data_dir,
			strerror(errno));
		return 1;
	}
	struct db *db;
	char err[512];
	if (db_connect(c->database_url, &db, err, sizeof(err)) != RC_OK) {
		fprintf(stderr, "servio: %s\n", err);
		return 1;
	}
	if (db_migrate(db, true) != RC_OK) {
		fprintf(stderr, "servio: cannot migrate the database: %s\n", db_errmsg(db));
		db_disconnect(db);
		return 1;
	}
	if (fill_public_url(c, db) < 0) {
		db_disconnect(db);
		return 1;
	}
	int64_t users;
	if (count_users(db, &users) < 0) {
		fprintf(stderr, "servio: cannot read users: %s\n", db_errmsg(db));
		db_disconnect(db);
		return 1;
	}
	if (users > 0) {
		printf("database ready at %s (it already has users; nothing else to do)\n",
		       c->database_url);
		db_disconnect(db);
		return 0;
	}

	const char *email = c->admin_email ? c->admin_email : "admin@servio.local";
	const char *password = c->admin_password;
	char generated[21];
	if (!password) {
		generate_password(generated);
		password = generated;
	}
	struct audit_actor actor = { .label = "cli" };
	const char *problem = NULL;
	int64_t id;
	int rc = auth_user_create(db, &actor, email, "Administrator", ROLE_ADMIN, password, &id,
				  &problem);
	db_disconnect(db);
	if (rc != 0) {
		fprintf(stderr, "servio: cannot create the admin \"%s\": %s\n", email,
			problem ? problem : "database error");
		return 1;
	}
	printf("database ready at %s\n", c->database_url);
	if (password != generated) {
		printf("created admin %s with the password given in SERVIO_ADMIN_PASSWORD\n", email);
		return 0;
	}
	int saved = save_first_admin(c, email, generated);
	char where[4200];
	snprintf(where, sizeof(where), "kept in %s/%s", c->data_dir, CLI_FIRST_ADMIN_FILE);
	cli_banner("The first admin", email, generated,
		   saved == 0 ? where : "not saved: write it down now");
	sodium_memzero(generated, sizeof(generated));
	return 0;
}
