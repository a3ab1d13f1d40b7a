/*
 * copy.c - "servio copy" moves a whole database to another backend, and
 * "servio backup" makes a consistent copy of a live SQLite database.
 */
#include "cli.h"

#include "core/blob.h"
#include "core/conf.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/*
 * Parses "--to X" / "--to=X" (the only argument these commands take), or
 * prints help. Returns 0 with *to set, 1 after printing help, 2 on misuse.
 */
static int to_arg(const char *cmd, const char *help, const char *what, int argc, char **argv,
		  const char **to)
{
	*to = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s", help);
			return 1;
		}
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
			*to = argv[++i];
		} else if (strncmp(argv[i], "--to=", 5) == 0) {
			*to = argv[i] + 5;
		} else {
			fprintf(stderr, "servio %s: unexpected argument \"%s\"\n", cmd, argv[i]);
			return 2;
		}
	}
	if (!*to || !**to) {
		fprintf(stderr, "servio %s: --to %s is required\n", cmd, what);
		return 2;
	}
	return 0;
}

/*
 * The attachment files stay in the data directory, which both databases
 * share: says how many the copied rows name and fails when one is missing
 * (a store copied from another machine without them). 0 or -1 (said).
 */
static int check_files(struct db *db)
{
	struct db_stmt *st;
	uint64_t files = 0, missing = 0;
	int rc = db_run(db, &st, "SELECT DISTINCT sha256 FROM attachments ORDER BY sha256", "");
	bool open = rc == RC_ROW;
	while (rc == RC_ROW) {
		char path[4096];
		struct stat sb;
		files++;
		if (blob_path_in(blob_root(), db_col_text(st, 0), path, sizeof(path)) < 0 ||
		    stat(path, &sb) < 0) {
			if (missing++ < 5)
				fprintf(stderr, "servio: attachment file %s is missing\n", path);
		}
		rc = db_step(st);
	}
	if (open)
		db_done(st);
	if (rc != RC_DONE) {
		fprintf(stderr, "servio: cannot list the attachments: %s\n", db_errmsg(db));
		return -1;
	}
	if (missing) {
		fprintf(stderr, "servio: %llu of the %llu attachment files the rows name are not in"
				" %s: copy them there from the old data directory\n",
			(unsigned long long)missing, (unsigned long long)files, blob_root());
		return -1;
	}
	if (files)
		printf("%llu attachment files in %s, named by the copied rows, all present\n",
		       (unsigned long long)files, blob_root());
	return 0;
}

int cmd_copy(struct conf *c, int argc, char **argv)
{
	const char *to;
	int rc0 = to_arg("copy",
			 "usage: servio copy --to URL\n\n"
			 "Copies every table of the configured database (--database-url) into\n"
			 "the empty database at URL (postgres://… or sqlite:PATH), which is\n"
			 "migrated first, in one transaction. Then compares row counts and a\n"
			 "SHA-256 of every table on both sides and fails if anything differs.\n"
			 "Attachment files stay in the data directory (both databases use\n"
			 "it): the copy checks that every file the rows name is there.\n"
			 "Stop the servers first: rows written during the copy are not copied.\n",
			 "URL", argc, argv, &to);
	if (rc0)
		return rc0 == 1 ? 0 : rc0;
	if (strcmp(to, c->database_url) == 0) {
		fprintf(stderr, "servio copy: the target is the source\n");
		return 2;
	}
	struct db *from = cli_open_db(c);
	if (!from)
		return 1;
	struct db *dst;
	char err[1024];
	if (db_connect(to, &dst, err, sizeof(err)) != RC_OK) {
		fprintf(stderr, "servio: %s\n", err);
		db_disconnect(from);
		return 1;
	}
	int rc = 1;
	if (db_migrate(dst, false) != RC_OK)
		fprintf(stderr, "servio: cannot migrate the target: %s\n", db_errmsg(dst));
	else if (db_copy(from, dst, true, err, sizeof(err)) != RC_OK)
		fprintf(stderr, "servio: %s\n", err);
	else if (check_files(dst) == 0) {
		printf("copied %s to %s; every table verified\n", c->database_url, to);
		rc = 0;
	}
	db_disconnect(dst);
	db_disconnect(from);
	return rc;
}

int cmd_backup(struct conf *c, int argc, char **argv)
{
	const char *to;
	int rc0 = to_arg("backup",
			 "usage: servio backup --to FILE\n\n"
			 "Writes a consistent copy of the SQLite database to FILE while the\n"
			 "server goes on serving (SQLite's online backup), then the attachment\n"
			 "files of the data directory to FILE.attachments/ (same layout as\n"
			 "DATA_DIR/attachments/). Neither may exist.\n"
			 "For PostgreSQL use pg_dump (see docs/DEPLOY.md).\n",
			 "FILE", argc, argv, &to);
	if (rc0)
		return rc0 == 1 ? 0 : rc0;
	struct stat st;
	if (stat(to, &st) == 0) {
		fprintf(stderr, "servio backup: \"%s\" exists; choose a new file\n", to);
		return 1;
	}
	char files_to[4096];
	if (snprintf(files_to, sizeof(files_to), "%s.attachments", to) >= (int)sizeof(files_to)) {
		fprintf(stderr, "servio backup: \"%s\" is too long a name\n", to);
		return 2;
	}
	if (stat(files_to, &st) == 0) {
		fprintf(stderr, "servio backup: \"%s\" exists; choose a new file\n", files_to);
		return 1;
	}
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	char err[512];
	int rc = db_backup(db, to, err, sizeof(err));
	db_disconnect(db);
	if (rc != RC_OK) {
		fprintf(stderr, "servio: %s\n", err);
		return 1;
	}
	/* the files after the rows: every file a copied row names is in the store by now */
	uint64_t files = 0, bytes = 0;
	if (blob_copy_all(files_to, &files, &bytes, err, sizeof(err)) < 0) {
		fprintf(stderr, "servio: the database is backed up to %s but its attachments are "
				"not: %s\n", to, err);
		return 1;
	}
	printf("backed up %s to %s", c->database_url, to);
	if (files)
		printf(", and %llu attachment files (%llu bytes) to %s",
		       (unsigned long long)files, (unsigned long long)bytes, files_to);
	printf("\n");
	return 0;
}
