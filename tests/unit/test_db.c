/*
 * test_db.c - the portable database layer (src/db/db.h) on SQLite files in
 * a temporary directory: connections, migrations and the markers of their
 * files, the table list read from the schema, statements and their cache,
 * constraint errors, a full database (RC_FULL and the mark /healthz reads),
 * transactions and their retry under a second writer, a write sent "later"
 * (run at once here), full-text search
 * against hostile input, the per-thread pool, and SQLite's synchronous
 * setting.
 */
#include "core/alloc.h"
#include "core/buf.h"
#include "db/db.h"

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[] = "/tmp/servio-test-db-XXXXXX";

/* Writes "sqlite:<tmpdir>/<name>" into out and returns it. */
static const char *url_for(const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "sqlite:%s/%s", tmpdir, name);
	return out;
}

static struct db *open_db(const char *name)
{
	char url[512], err[512] = "";
	struct db *db = NULL;
	if (db_connect(url_for(name, url, sizeof(url)), &db, err, sizeof(err)) != RC_OK)
		fail_msg("cannot connect to %s: %s", url, err);
	assert_non_null(db);
	return db;
}

static struct db *open_migrated(const char *name)
{
	struct db *db = open_db(name);
	assert_int_equal(db_migrate(db, false), RC_OK);
	return db;
}

/* One integer from a query with no parameters. */
static int64_t scalar(struct db *db, const char *sql)
{
	struct db_stmt *st;
	int rc = db_run(db, &st, sql, "");
	if (rc != RC_ROW)
		fail_msg("%s: rc %d (%s)", sql, rc, db_errmsg(db));
	int64_t v = db_col_int(st, 0);
	db_done(st);
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int make_tmpdir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	DIR *d = opendir(tmpdir);
	if (!d)
		return -1;
	struct dirent *e;
	char path[1024];
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(tmpdir);
}

/* ---- connections ---- */

static void connect_and_basics(void **state)
{
	(void)state;
	struct db *db = open_db("basics.db");
	assert_string_equal(db_dialect(db), "sqlite");
	assert_non_null(db_errmsg(db));
	assert_false(db_in_txn(db));
	assert_string_equal(db_skip_locked(db), "");
	assert_int_equal(scalar(db, "SELECT 40 + 2"), 42);
	/* WAL and foreign keys are on for every connection */
	struct db_stmt *st;
	assert_int_equal(db_run(db, &st, "PRAGMA journal_mode", ""), RC_ROW);
	assert_string_equal(db_col_text(st, 0), "wal");
	db_done(st);
	assert_int_equal(scalar(db, "PRAGMA foreign_keys"), 1);
	db_disconnect(db);
	db_disconnect(NULL);	/* harmless */

	/* a plain path and "sqlite://" work too */
	char path[512];
	snprintf(path, sizeof(path), "%s/plain.db", tmpdir);
	char err[512];
	assert_int_equal(db_connect(path, &db, err, sizeof(err)), RC_OK);
	assert_int_equal(scalar(db, "SELECT 1"), 1);
	db_disconnect(db);
	snprintf(path, sizeof(path), "sqlite://%s/plain.db", tmpdir);
	assert_int_equal(db_connect(path, &db, err, sizeof(err)), RC_OK);
	db_disconnect(db);
	snprintf(path, sizeof(path), "%s/plain.db", tmpdir);
	assert_int_equal(access(path, F_OK), 0);
}

static void connect_failure(void **state)
{
	(void)state;
	struct db *db = (struct db *)0x1;	/* must stay untouched */
	char err[512] = "";
	int rc = db_connect("sqlite:/nonexistent-dir-servio/sub/x.db", &db, err, sizeof(err));
	assert_int_equal(rc, RC_ERROR);
	assert_ptr_equal(db, (struct db *)0x1);
	assert_non_null(strstr(err, "/nonexistent-dir-servio/sub/x.db"));

	/* out of memory while connecting is an error, not a crash */
	char url[512];
	url_for("oom.db", url, sizeof(url));
	for (long n = 0; n < 3; n++) {
		alloc_fail_after(n);
		rc = db_connect(url, &db, err, sizeof(err));
		alloc_fail_after(-1);
		if (rc == RC_OK) {
			db_disconnect(db);
			db = (struct db *)0x1;
		} else {
			assert_int_equal(rc, RC_ERROR);
		}
	}
}

/* ---- migrations ---- */

static void migrate_creates_schema(void **state)
{
	(void)state;
	struct db *db = open_db("migrate.db");
	int current = -1, latest = -1;
	/* before any migration there is no schema to report */
	assert_int_not_equal(db_schema_version(db, &current, &latest), RC_OK);

	assert_int_equal(db_migrate(db, false), RC_OK);
	assert_int_equal(db_schema_version(db, &current, &latest), RC_OK);
	assert_true(latest >= 2);
	assert_int_equal(current, latest);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM schema_migrations"), latest);
	/* one row a file, numbered from 1 without a gap, named as the file */
	assert_int_equal(scalar(db, "SELECT MIN(version) FROM schema_migrations"), 1);
	assert_int_equal(scalar(db, "SELECT MAX(version) FROM schema_migrations"), latest);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM schema_migrations WHERE"
				    " (version = 1 AND name = 'foundation')"
				    " OR (version = 3 AND name = 'list indexes')"), 2);
	/* a migration with nothing for SQLite (the PostgreSQL sequence) is recorded all the same */
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM schema_migrations WHERE version = 7"), 1);
	/* every table of the schema is there and empty but for the migrations,
	   the firm's one settings record, the default mail templates (seven
	   to clients, four to staff) and the default quality review checklist */
	char **tables = NULL;
	assert_int_equal(db_table_list(db, &tables), RC_OK);
	size_t ntables = 0;
	for (char **t = tables; *t; t++, ntables++) {
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", *t);
		int64_t n = scalar(db, sql);
		if (strcmp(*t, "settings") == 0)
			assert_int_equal(n, 1);
		else if (strcmp(*t, "mail_templates") == 0)
			assert_int_equal(n, 12);
		else if (strcmp(*t, "qa_templates") == 0)
			assert_int_equal(n, 1);
		else if (strcmp(*t, "schema_migrations") != 0)
			assert_int_equal(n, 0);
	}
	/* the list holds our tables, not SQLite's or the full-text index's */
	assert_int_equal(ntables, scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
					     " AND name NOT LIKE 'sqlite%' AND name NOT LIKE '%_fts%'"));
	db_table_list_free(tables);
	/* the full-text index of companies exists */
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM companies_fts"), 0);

	/* a second run applies nothing */
	struct db_stmt *st;
	assert_int_equal(db_run(db, &st, "SELECT group_concat(version || '@' || applied_at, ';')"
					 " FROM schema_migrations", ""), RC_ROW);
	char *before = xstrdup(db_col_text(st, 0));
	db_done(st);
	assert_int_equal(db_migrate(db, false), RC_OK);
	assert_int_equal(db_migrate(db, true), RC_OK);
	assert_int_equal(db_run(db, &st, "SELECT group_concat(version || '@' || applied_at, ';')"
					 " FROM schema_migrations", ""), RC_ROW);
	assert_string_equal(db_col_text(st, 0), before);
	db_done(st);
	xfree(before);
	assert_int_equal(db_schema_version(db, &current, &latest), RC_OK);
	assert_int_equal(current, latest);
	db_disconnect(db);

	/* a fresh connection to the migrated file sees the same and migrates nothing */
	db = open_db("migrate.db");
	assert_int_equal(db_migrate(db, false), RC_OK);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM schema_migrations"), latest);
	db_disconnect(db);
}

static void migrate_refuses_newer_schema(void **state)
{
	(void)state;
	struct db *db = open_migrated("newer.db");
	int current, latest;
	assert_int_equal(db_schema_version(db, &current, &latest), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO schema_migrations (version, name, applied_at)"
					  " VALUES (?, 'future', 'x')", "i", (int64_t)latest + 1),
			 RC_DONE);
	assert_int_equal(db_migrate(db, false), RC_ERROR);
	assert_non_null(strstr(db_errmsg(db), "newer than this program"));
	assert_int_equal(db_schema_version(db, &current, &latest), RC_OK);
	assert_int_equal(current, latest + 1);
	db_disconnect(db);
}

/* ---- migration files: the markers ---- */

/* The SQL text runs as on dialect; fails the test when it is refused. */
static char *migration_sql(const char *dialect, const char *text)
{
	struct buf b;
	buf_init(&b, 0);
	char err[256] = "";
	int rc = db_migration_sql(dialect, text, &b, err, sizeof(err));
	if (rc != RC_OK)
		fail_msg("%s refused: %s", dialect, err);
	char *sql = xstrdup(buf_str(&b));
	buf_release(&b);
	return sql;
}

static void migration_sections(void **state)
{
	(void)state;
	static const char text[] =
		"-- a table for both\n"
		"CREATE TABLE t (id @ID_PK@, a TEXT, b TEXT);\n"
		"-- @sqlite\n"
		"CREATE TABLE only_sqlite (x TEXT);\n"
		"-- @postgres\n"
		"-- (a comment of the PostgreSQL part)\n"
		"CREATE TABLE only_postgres (id @ID_PK@);\n"
		"-- @all\n"
		"CREATE INDEX t_a ON t(a);";	/* no newline at the end */
	char *sq = migration_sql("sqlite", text);
	assert_string_equal(sq,
			    "-- a table for both\n"
			    "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\n"
			    "CREATE TABLE only_sqlite (x TEXT);\n"
			    "CREATE INDEX t_a ON t(a);\n");
	char *pg = migration_sql("postgres", text);
	assert_string_equal(pg,
			    "-- a table for both\n"
			    "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
			    " a TEXT, b TEXT);\n"
			    "-- (a comment of the PostgreSQL part)\n"
			    "CREATE TABLE only_postgres (id BIGINT GENERATED BY DEFAULT AS IDENTITY"
			    " PRIMARY KEY);\n"
			    "CREATE INDEX t_a ON t(a);\n");
	/* what SQLite is given, it runs */
	struct db *db = open_db("sections.db");
	assert_int_equal(db_exec(db, sq), RC_OK);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
				    " ('t', 'only_sqlite', 't_a')"), 3);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'only_postgres'"),
			 0);
	db_disconnect(db);
	xfree(sq);
	xfree(pg);

	/* a file with only comments for a dialect has nothing to run there */
	static const char pg_only[] = "-- why\n\n-- @postgres\nCREATE SEQUENCE s;\n-- @all\n-- done\n";
	sq = migration_sql("sqlite", pg_only);
	assert_string_equal(sq, "");
	pg = migration_sql("postgres", pg_only);
	assert_string_equal(pg, "-- why\n\nCREATE SEQUENCE s;\n-- done\n");
	xfree(sq);
	xfree(pg);
	/* a placeholder may stand anywhere, more than once */
	sq = migration_sql("sqlite", "CREATE TABLE u (id @ID_PK@); -- @ID_PK@@ID_PK@\n");
	assert_string_equal(sq, "CREATE TABLE u (id INTEGER PRIMARY KEY); -- INTEGER PRIMARY KEY"
				"INTEGER PRIMARY KEY\n");
	xfree(sq);
}

static void migration_fts(void **state)
{
	(void)state;
	static const char text[] =
		"CREATE TABLE notes (id @ID_PK@, title TEXT, body TEXT);\n"
		"CREATE TABLE tags (id @ID_PK@, name TEXT);\n"
		"-- @fts notes title,body\n"
		"-- @fts tags name\n"
		"-- @postgres\n"
		"-- @fts pg_only name\n";
	char *sq = migration_sql("sqlite", text);
	assert_non_null(strstr(sq, "CREATE VIRTUAL TABLE notes_fts USING fts5(title, body,"
				   " content='notes', content_rowid='id',"
				   " tokenize='unicode61 remove_diacritics 2');"));
	/* only a change of an indexed column re-tokenizes the row */
	assert_non_null(strstr(sq, "CREATE TRIGGER notes_fts_au AFTER UPDATE OF title, body ON notes"
				   " BEGIN INSERT INTO notes_fts(notes_fts, rowid, title, body) VALUES"
				   " ('delete', old.id, old.title, old.body); INSERT INTO"
				   " notes_fts(rowid, title, body) VALUES (new.id, new.title,"
				   " new.body); END;"));
	assert_non_null(strstr(sq, "CREATE VIRTUAL TABLE tags_fts USING fts5(name,"));
	assert_null(strstr(sq, "pg_only"));
	assert_null(strstr(sq, "@fts"));

	char *pg = migration_sql("postgres", text);
	/* the unaccent wrapper once, then a generated column and a GIN index per table */
	const char *setup = strstr(pg, "CREATE EXTENSION IF NOT EXISTS unaccent;");
	assert_non_null(setup);
	assert_null(strstr(setup + 1, "CREATE EXTENSION"));
	assert_non_null(strstr(pg, "ALTER TABLE notes ADD COLUMN search_vector tsvector GENERATED"
				   " ALWAYS AS (to_tsvector('simple', servio_unaccent(coalesce(title,"
				   " '') || ' ' || coalesce(body, '')))) STORED; CREATE INDEX"
				   " notes_search ON notes USING GIN (search_vector)"
				   " WITH (gin_pending_list_limit = 64);"));
	assert_non_null(strstr(pg, "ALTER TABLE tags ADD COLUMN search_vector tsvector GENERATED"
				   " ALWAYS AS (to_tsvector('simple', servio_unaccent(coalesce(name,"
				   " '')))) STORED;"));
	assert_non_null(strstr(pg, "ALTER TABLE pg_only ADD COLUMN search_vector"));
	assert_true(strstr(pg, "CREATE TABLE notes") < setup);
	assert_null(strstr(pg, "fts5"));
	xfree(pg);

	/* an index made before that has its update trigger remade; PostgreSQL has nothing to do */
	char *remade = migration_sql("sqlite", "-- @ftstext notes title,body\n");
	assert_non_null(strstr(remade, "DROP TRIGGER IF EXISTS notes_fts_au;CREATE TRIGGER"
				       " notes_fts_au AFTER UPDATE OF title, body ON notes BEGIN"));
	pg = migration_sql("postgres", "-- @ftstext notes title,body\n");
	assert_string_equal(pg, "");
	xfree(pg);

	/* the words of an index: a table filled from it, kept by the rows' triggers */
	static const char words_text[] = "-- @sqlite\n"
		"CREATE VIRTUAL TABLE search_fts_tokens USING fts3tokenize('unicode61',"
		" 'remove_diacritics=2');\n-- @ftswords notes title,body\n";
	char *words = migration_sql("sqlite", words_text);
	assert_non_null(strstr(words, "CREATE TABLE notes_fts_words (word TEXT PRIMARY KEY)"
				      " WITHOUT ROWID;"));
	assert_non_null(strstr(words, "CREATE TRIGGER notes_fts_words_au AFTER UPDATE OF title,"
				      " body ON notes BEGIN INSERT OR IGNORE INTO notes_fts_words"
				      " (word) SELECT token FROM search_fts_tokens WHERE input ="
				      " coalesce(new.title, '') || ' ' || coalesce(new.body, ''); END;"));
	pg = migration_sql("postgres", words_text);
	assert_string_equal(pg, "");
	xfree(pg);

	/* on SQLite the index is built and follows the table, its trigger remade too */
	struct db *db = open_db("migration-fts.db");
	assert_int_equal(db_exec(db, sq), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO notes (title, body) VALUES"
					  " ('Drucker', 'Toner leer')", ""),
			 RC_DONE);
	assert_int_equal(db_exec(db, remade), RC_OK);
	assert_int_equal(db_exec(db, words), RC_OK);	/* from the rows indexed so far */
	xfree(sq);
	xfree(remade);
	xfree(words);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM notes_fts_words WHERE word IN"
				    " ('drucker', 'toner', 'leer')"), 3);
	assert_int_equal(db_run(db, NULL, "INSERT INTO notes (title, body) VALUES"
					  " ('Netz', 'Switch tauschen')", ""),
			 RC_DONE);
	assert_int_equal(db_run(db, NULL, "UPDATE notes SET body = 'Switch ersetzt' WHERE id = 2", ""),
			 RC_DONE);
	struct {
		const char *text;
		int64_t matches;
	} cases[] = { { "toner", 1 }, { "drucker toner", 1 }, { "tauschen", 0 }, { "ersetzt", 1 },
		      { "ersetz", 1 }, { "tausch", 0 }, { "sw", 1 }, { "drucker tau", 0 } };
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char *q = db_fts_query(db, "notes", cases[i].text);
		struct buf sql;
		buf_init(&sql, 0);
		buf_addstr(&sql, "SELECT COUNT(*) FROM notes WHERE ");
		assert_int_equal(db_fts_where(db, "notes", &sql), 0);
		struct db_stmt *st;
		assert_int_equal(db_run(db, &st, buf_str(&sql), "s", q), RC_ROW);
		if (db_col_int(st, 0) != cases[i].matches)
			fail_msg("\"%s\": %lld matches, want %lld", cases[i].text,
				 (long long)db_col_int(st, 0), (long long)cases[i].matches);
		db_done(st);
		buf_release(&sql);
		xfree(q);
	}
	/* words of rows written after: through the triggers, folded as the index folds them */
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM notes_fts_words WHERE word IN"
				    " ('netz', 'switch', 'tauschen', 'ersetzt')"), 4);
	char *q = db_fts_query(db, "notes", "NET");
	assert_string_equal(q, "(\"netz\")");
	xfree(q);
	db_disconnect(db);
}

static void migration_malformed_markers(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *err;	/* the start of the message */
	} cases[] = {
		{ "SELECT 1;\n-- @sqlit\n", "line 2: unknown marker \"-- @sqlit\"" },
		{ "-- @SQLITE\n", "line 1: unknown marker" },
		{ "-- @ID_PK@ is the key\n", "line 1: unknown marker" },
		{ "--@sqlite\n", "line 1: malformed marker \"--@sqlite\"" },
		{ "\n\n  -- @postgres\n", "line 3: malformed marker" },
		{ "--  @all\n", "line 1: malformed marker" },
		{ "-- @sqlite postgres\n", "line 1: malformed marker" },
		{ "-- @allx\n", "line 1: unknown marker" },
		{ "-- @fts\n", "line 1: malformed marker" },
		{ "-- @fts t\n", "line 1: malformed marker" },
		{ "-- @fts t \n", "line 1: malformed marker" },
		{ "-- @fts  t a\n", "line 1: malformed marker" },
		{ "-- @fts t a, b\n", "line 1: malformed marker" },
		{ "-- @fts t a,,b\n", "line 1: malformed marker" },
		{ "-- @fts t a,\n", "line 1: malformed marker" },
		{ "-- @fts t a b\n", "line 1: malformed marker" },
		{ "-- @fts 1t a\n", "line 1: malformed marker" },
		{ "-- @fts t a-b\n", "line 1: malformed marker" },
		{ "-- @fts t 'a'\n", "line 1: malformed marker" },
		{ "-- @ftstext t\n", "line 1: malformed marker" },
		{ "-- @ftstext  t a\n", "line 1: malformed marker" },
		{ "-- @ftswords t\n", "line 1: malformed marker" },
		{ "-- @ftstex t a\n", "line 1: unknown marker" },
		/* in the other dialect's section too: a typo never hides */
		{ "-- @postgres\nSELECT 1;\n-- @fst t a\n", "line 3: unknown marker" },
		/* a placeholder that is not one */
		{ "CREATE TABLE t (id @ID_PK, x @IDPK@);\n", "line 1: unknown placeholder" },
		{ "-- @sqlite\nCREATE TABLE t (id @ID_KEY@);\n", "line 2: unknown placeholder" },
	};
	const char *dialects[] = { "sqlite", "postgres" };
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		for (size_t d = 0; d < N_ELEMS(dialects); d++) {
			struct buf b;
			buf_init(&b, 0);
			char err[256] = "";
			int rc = db_migration_sql(dialects[d], cases[i].text, &b, err, sizeof(err));
			buf_release(&b);
			if (rc != RC_ERROR || strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
				fail_msg("%s, %s: rc %d, \"%s\"; want \"%s…\"", dialects[d],
					 cases[i].text, rc, err, cases[i].err);
		}
	}
	/* a dialect we do not have */
	struct buf b;
	buf_init(&b, 0);
	char err[256] = "";
	assert_int_equal(db_migration_sql("mysql", "SELECT 1;\n", &b, err, sizeof(err)), RC_ERROR);
	assert_non_null(strstr(err, "mysql"));
	buf_release(&b);
}

/* ---- the table list ---- */

static long position(char **tables, const char *name)
{
	for (long i = 0; tables[i]; i++)
		if (strcmp(tables[i], name) == 0)
			return i;
	return -1;
}

static void table_list_order(void **state)
{
	(void)state;
	/* names in the opposite order of the references, a self-reference, a
	   cycle, and tables that are not ours (sqlite_sequence, FTS5, a view) */
	struct db *db = open_db("order.db");
	assert_int_equal(db_exec(db,
		"CREATE TABLE a_child (id INTEGER PRIMARY KEY, m BIGINT REFERENCES m_middle(id),"
		" z BIGINT REFERENCES z_root(id));"
		"CREATE TABLE m_middle (id INTEGER PRIMARY KEY, z BIGINT REFERENCES z_root(id),"
		" up BIGINT REFERENCES m_middle(id));"
		"CREATE TABLE z_root (id INTEGER PRIMARY KEY);"
		"CREATE TABLE b_free (id INTEGER PRIMARY KEY AUTOINCREMENT);"
		"CREATE TABLE q_one (id INTEGER PRIMARY KEY, r BIGINT REFERENCES r_two(id));"
		"CREATE TABLE r_two (id INTEGER PRIMARY KEY, q BIGINT REFERENCES q_one(id));"
		"CREATE TABLE s_after (id INTEGER PRIMARY KEY, r BIGINT REFERENCES r_two(id));"
		"CREATE VIRTUAL TABLE c_fts USING fts5(x);"
		"CREATE VIEW v AS SELECT id FROM z_root;"
		"INSERT INTO b_free DEFAULT VALUES;"), RC_OK);
	char **tables = (char **)0x1;
	assert_int_equal(db_table_list(db, &tables), RC_OK);
	const char *want[] = { "b_free", "z_root", "m_middle", "a_child", "q_one", "r_two",
			       "s_after" };
	size_t n = 0;
	for (; tables[n]; n++)
		if (n >= N_ELEMS(want) || strcmp(tables[n], want[n]) != 0)
			fail_msg("table %zu is %s, want %s", n, tables[n],
				 n < N_ELEMS(want) ? want[n] : "none");
	assert_int_equal(n, N_ELEMS(want));
	db_table_list_free(tables);
	db_table_list_free(NULL);	/* harmless */

	/* out of memory anywhere in it is an error, never a crash or a leak */
	for (long k = 0; k < 24; k++) {
		tables = (char **)0x1;
		alloc_fail_after(k);
		int rc = db_table_list(db, &tables);
		alloc_fail_after(-1);
		if (rc == RC_OK) {
			assert_int_equal(position(tables, "s_after"), 6);
			db_table_list_free(tables);
		} else {
			assert_int_equal(rc, RC_ERROR);
			assert_ptr_equal(tables, (char **)0x1);
		}
	}
	db_disconnect(db);
	/* an empty database has no tables */
	db = open_db("order-empty.db");
	assert_int_equal(db_table_list(db, &tables), RC_OK);
	assert_null(tables[0]);
	db_table_list_free(tables);
	db_disconnect(db);
}

/* On the real schema no table comes before one it refers to, unless they refer in a circle. */
static void table_list_parents_first(void **state)
{
	(void)state;
	struct db *db = open_migrated("parents.db");
	char **tables;
	assert_int_equal(db_table_list(db, &tables), RC_OK);
	size_t n = 0;
	while (tables[n])
		n++;
	assert_true(n >= 30);
	/* reaches[a * n + b]: a refers to b, directly or through others */
	bool *reaches = xcalloc(n * n, sizeof(*reaches));
	assert_non_null(reaches);
	size_t edges = 0;
	for (size_t c = 0; c < n; c++) {
		struct db_stmt *st;
		int rc = db_run(db, &st, "SELECT \"table\" FROM pragma_foreign_key_list(?)", "s",
				tables[c]);
		while (rc == RC_ROW) {
			long p = position(tables, db_col_text(st, 0));
			assert_true(p >= 0);	/* a parent is in the list too */
			reaches[c * n + (size_t)p] = true;
			edges++;
			rc = db_step(st);
		}
		assert_int_equal(rc, RC_DONE);
		if (st)
			db_done(st);
	}
	assert_true(edges >= 40);
	bool *direct = xcalloc(n * n, sizeof(*direct));
	assert_non_null(direct);
	memcpy(direct, reaches, n * n * sizeof(*direct));
	for (size_t k = 0; k < n; k++)
		for (size_t a = 0; a < n; a++)
			for (size_t b = 0; b < n; b++)
				if (reaches[a * n + k] && reaches[k * n + b])
					reaches[a * n + b] = true;
	for (size_t c = 0; c < n; c++) {
		for (size_t p = c + 1; p < n; p++) {
			/*
			 * child c comes before a parent p it names: only inside a circle
			 * (a table that refers to one of a circle may come before the
			 * circle's other tables: its rows name only copied ones)
			 */
			if (direct[c * n + p] && !reaches[p * n + c])
				fail_msg("%s comes before %s, which it refers to", tables[c], tables[p]);
		}
	}
	xfree(direct);
	/* the circle there is: contracts and quotes refer to each other */
	long contracts = position(tables, "contracts"), quotes = position(tables, "quotes");
	assert_true(contracts >= 0 && quotes >= 0);
	assert_true(position(tables, "companies") < contracts);
	assert_true(quotes < position(tables, "tickets"));
	xfree(reaches);
	db_table_list_free(tables);
	db_disconnect(db);
}

/* ---- statements ---- */

static void run_formats_and_results(void **state)
{
	(void)state;
	struct db *db = open_db("run.db");
	assert_int_equal(db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, n BIGINT, s TEXT,"
				     " u TEXT UNIQUE)"), RC_OK);
	struct db_stmt *st = (struct db_stmt *)0x1;
	/* 'i', 's', 'n'; a NULL for 's' binds NULL */
	assert_int_equal(db_run(db, &st, "INSERT INTO t (n, s, u) VALUES (?, ?, ?)", "isn",
				(int64_t)INT64_MAX, "héllo"), RC_DONE);
	assert_null(st);	/* RC_DONE: nothing left open */
	assert_int_equal(db_changes(db), 1);
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (n, s, u) VALUES (?, ?, ?)", "iss",
				(int64_t)-5, (const char *)NULL, "b"), RC_DONE);
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (n, s, u) VALUES (?, ?, ?)", "iss",
				(int64_t)INT64_MIN, "", "c"), RC_DONE);

	assert_int_equal(db_run(db, &st, "SELECT id, n, s, u FROM t WHERE id = ?", "i",
				(int64_t)1), RC_ROW);
	assert_non_null(st);
	assert_int_equal(db_col_count(st), 4);
	assert_string_equal(db_col_name(st, 0), "id");
	assert_string_equal(db_col_name(st, 3), "u");
	assert_int_equal(db_col_int(st, 0), 1);
	assert_int_equal(db_col_int(st, 1), INT64_MAX);
	assert_string_equal(db_col_text(st, 2), "héllo");
	assert_false(db_col_null(st, 2));
	assert_true(db_col_null(st, 3));
	assert_null(db_col_text(st, 3));
	assert_int_equal(db_step(st), RC_DONE);
	db_done(st);

	assert_int_equal(db_run(db, &st, "SELECT n, s FROM t WHERE u = ?", "s", "b"), RC_ROW);
	assert_int_equal(db_col_int(st, 0), -5);
	assert_null(db_col_text(st, 1));
	db_done(st);
	assert_int_equal(db_run(db, &st, "SELECT n, s FROM t WHERE u = ?", "s", "c"), RC_ROW);
	assert_int_equal(db_col_int(st, 0), INT64_MIN);
	assert_string_equal(db_col_text(st, 1), "");	/* empty string is not NULL */
	assert_false(db_col_null(st, 1));
	db_done(st);

	/* no row: RC_DONE and *out NULL */
	st = (struct db_stmt *)0x1;
	assert_int_equal(db_run(db, &st, "SELECT n FROM t WHERE u = ?", "s", "zzz"), RC_DONE);
	assert_null(st);
	/* a row but nobody wants it: statement done all the same */
	assert_int_equal(db_run(db, NULL, "SELECT n FROM t WHERE u = ?", "s", "b"), RC_ROW);
	/* 'n' binds NULL: "= NULL" matches nothing, IS matches the NULL */
	assert_int_equal(db_run(db, &st, "SELECT COUNT(*) FROM t WHERE s IS ?", "n"), RC_ROW);
	assert_int_equal(db_col_int(st, 0), 1);
	db_done(st);

	/* multi-row iteration with db_step */
	assert_int_equal(db_run(db, &st, "SELECT id FROM t ORDER BY id", ""), RC_ROW);
	int rows = 1;
	int64_t last = db_col_int(st, 0);
	int rc;
	while ((rc = db_step(st)) == RC_ROW) {
		assert_true(db_col_int(st, 0) > last);
		last = db_col_int(st, 0);
		rows++;
	}
	assert_int_equal(rc, RC_DONE);
	db_done(st);
	assert_int_equal(rows, 3);

	/* db_changes counts the rows of the last write */
	assert_int_equal(db_run(db, NULL, "UPDATE t SET s = 'x'", ""), RC_DONE);
	assert_int_equal(db_changes(db), 3);
	assert_int_equal(db_run(db, NULL, "UPDATE t SET s = 'y' WHERE n < 0", ""), RC_DONE);
	assert_int_equal(db_changes(db), 2);
	assert_int_equal(db_run(db, NULL, "UPDATE t SET s = 'y' WHERE id = 999", ""), RC_DONE);
	assert_int_equal(db_changes(db), 0);
	assert_int_equal(db_run(db, NULL, "DELETE FROM t WHERE u = ?", "s", "c"), RC_DONE);
	assert_int_equal(db_changes(db), 1);

	/* errors: bad SQL is RC_ERROR / NULL, never a crash */
	assert_int_equal(db_exec(db, "THIS IS NOT SQL"), RC_ERROR);
	assert_null(db_prepare(db, "SELECT FROM WHERE"));
	assert_int_equal(db_run(db, &st, "SELECT * FROM no_such_table", ""), RC_ERROR);
	assert_null(st);
	assert_true(strlen(db_errmsg(db)) > 0);
	/* and the connection is still fine afterwards */
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM t"), 2);
	db_disconnect(db);
}

static void prepare_cache(void **state)
{
	(void)state;
	struct db *db = open_db("cache.db");
	const char *sql = "SELECT ? + 1";
	struct db_stmt *a = db_prepare(db, sql);
	assert_non_null(a);
	db_done(a);
	char copy[32];
	strcpy(copy, sql);	/* the cache is keyed by text, not by pointer */
	struct db_stmt *b = db_prepare(db, copy);
	assert_ptr_equal(a, b);
	db_done(b);
	struct db_stmt *c = db_prepare(db, "SELECT ? + 2");
	assert_non_null(c);
	assert_ptr_not_equal(a, c);
	db_done(c);

	/* a reused statement starts with no bindings from its last use */
	assert_int_equal(db_bind_int(a, 1, 41), RC_OK);
	assert_int_equal(db_step(a), RC_ROW);
	assert_int_equal(db_col_int(a, 0), 42);
	db_done(a);
	a = db_prepare(db, sql);
	assert_int_equal(db_step(a), RC_ROW);
	assert_true(db_col_null(a, 0));	/* NULL + 1 */
	db_done(a);

	/* many distinct statements: all work, early ones stay cached, none leak */
	struct db_stmt *first = db_prepare(db, "SELECT 0 + 0");
	assert_non_null(first);
	db_done(first);
	for (int i = 1; i < 700; i++) {
		char text[64];
		snprintf(text, sizeof(text), "SELECT %d + 0", i);
		struct db_stmt *st = db_prepare(db, text);
		assert_non_null(st);
		assert_int_equal(db_step(st), RC_ROW);
		assert_int_equal(db_col_int(st, 0), i);
		db_done(st);
	}
	assert_ptr_equal(db_prepare(db, "SELECT 0 + 0"), first);
	db_done(first);
	/* the same text past the cache's limit still gives a working statement each time */
	for (int k = 0; k < 3; k++) {
		struct db_stmt *st = db_prepare(db, "SELECT 699 + 0");
		assert_non_null(st);
		assert_int_equal(db_step(st), RC_ROW);
		assert_int_equal(db_col_int(st, 0), 699);
		db_done(st);
	}
	/* db_run on an uncached statement leaves it open on RC_ROW; db_done frees it */
	struct db_stmt *st;
	assert_int_equal(db_run(db, &st, "SELECT ? * 2 AS twice", "i", (int64_t)21), RC_ROW);
	assert_int_equal(db_col_int(st, 0), 42);
	db_done(st);
	db_done(NULL);	/* harmless */
	db_disconnect(db);
}

static void constraint_violations(void **state)
{
	(void)state;
	struct db *db = open_migrated("constraint.db");
	const char *ins = "INSERT INTO users (created_at, updated_at, email, name, role)"
			  " VALUES ('t', 't', ?, ?, 'admin')";
	assert_int_equal(db_run(db, NULL, ins, "ss", "a@example.com", "A"), RC_DONE);
	/* unique */
	assert_int_equal(db_run(db, NULL, ins, "ss", "a@example.com", "B"), RC_CONSTRAINT);
	/* not null */
	assert_int_equal(db_run(db, NULL, ins, "ss", "b@example.com", (const char *)NULL),
			 RC_CONSTRAINT);
	/* foreign key */
	assert_int_equal(db_run(db, NULL, "INSERT INTO contacts (created_at, updated_at,"
					  " company_id, first_name, last_name)"
					  " VALUES ('t', 't', 12345, 'A', 'B')", ""),
			 RC_CONSTRAINT);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM users"), 1);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM contacts"), 0);
	/* the statement that failed is reusable */
	assert_int_equal(db_run(db, NULL, ins, "ss", "c@example.com", "C"), RC_DONE);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM users"), 2);
	/* on SQLite a write sent "later" runs at once, in a transaction too (test_pg: PostgreSQL) */
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run_later(db, ins, "ss", "d@example.com", "D"), RC_DONE);
	assert_int_equal(db_run_later(db, ins, "ss", "d@example.com", "E"), RC_CONSTRAINT);
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM users"), 3);
	db_disconnect(db);
}

/*
 * A database with no room: SQLite's max_page_count caps the file at the
 * pages it has, so a write that needs a new page fails as on a full disk
 * (SQLITE_FULL, the code SQLite gives ENOSPC too). The failure is RC_FULL,
 * marks the database full (db_full) and this thread (db_full_seen); a read
 * still works; a rolled-back write does not clear the mark, a kept one does.
 */
static void full_database(void **state)
{
	(void)state;
	struct db *db = open_db("full.db");
	assert_int_equal(db_exec(db, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, b TEXT)"),
			 RC_OK);
	const char *ins = "INSERT INTO blobs (b) VALUES (printf('%.*c', 20000, 'x'))";
	assert_int_equal(db_run(db, NULL, ins, ""), RC_DONE);
	assert_false(db_full());
	db_full_seen_reset();
	assert_int_equal(db_exec(db, "PRAGMA max_page_count = 1"), RC_OK);	/* at least what it has */
	assert_int_equal(db_run(db, NULL, ins, ""), RC_FULL);
	assert_true(db_full());
	assert_true(db_full_seen());
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM blobs"), 1);
	/*
	 * in a transaction, at its statement, and the commit that never came
	 * clears nothing (a transaction runs on the writer connection: the
	 * limit is set there too)
	 */
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_exec(db, "PRAGMA max_page_count = 1"), RC_OK);
	assert_int_equal(db_run(db, NULL, "DELETE FROM blobs", ""), RC_DONE);
	assert_int_equal(db_run(db, NULL, ins, ""), RC_DONE);	/* the freed pages serve */
	assert_int_equal(db_run(db, NULL, ins, ""), RC_FULL);
	db_rollback(db);	/* SQLite may have rolled it back itself: SQLITE_FULL can */
	assert_false(db_in_txn(db));
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM blobs"), 1);
	assert_int_equal(db_run(db, NULL, "SELECT 1", ""), RC_ROW);
	assert_true(db_full());
	/* room again: the next write that is kept clears the mark */
	assert_int_equal(db_exec(db, "PRAGMA max_page_count = 1000000"), RC_OK);
	assert_int_equal(db_run(db, NULL, ins, ""), RC_DONE);
	assert_false(db_full());
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM blobs"), 2);
	db_full_seen_reset();
	assert_false(db_full_seen());
	db_disconnect(db);
}

/*
 * The probe /healthz runs: a committed one-row write, kept in one row. It
 * asks whether a small write can be kept: one that is kept clears the
 * mark a bigger write left (the API test fills the disk for real, where it
 * fails as well: test_storage_full.py).
 */
static void write_probe(void **state)
{
	(void)state;
	struct db *db = open_migrated("probe.db");
	assert_int_equal(db_write_probe(db, "2026-12-06T10:00:00Z"), RC_OK);
	assert_int_equal(db_write_probe(db, "2026-12-06T10:00:30Z"), RC_OK);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM write_probes"), 1);
	assert_false(db_full());
	assert_int_equal(db_exec(db, "CREATE TABLE filler (b TEXT)"), RC_OK);
	assert_int_equal(db_exec(db, "PRAGMA max_page_count = 1"), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO filler VALUES (printf('%.*c', 50000, 'x'))",
				""),
			 RC_FULL);
	assert_true(db_full());
	assert_int_equal(db_write_probe(db, "2026-12-06T10:01:00Z"), RC_OK);
	assert_false(db_full());
	db_disconnect(db);
}

/*
 * FULL (the default) commits with synchronous=NORMAL and syncs the WAL
 * itself after each commit that wrote (group commit); NORMAL never syncs a
 * commit; EACH is SQLite's synchronous=FULL (SERVIO_SQLITE_SYNCHRONOUS).
 */
static void sqlite_synchronous(void **state)
{
	(void)state;
	static const struct {
		enum db_sync mode;
		int pragma;		/* what SQLite is told */
		bool group_sync;	/* db.c syncs after a commit that wrote */
	} modes[] = {
		{ DB_SYNC_FULL, 1, true },
		{ DB_SYNC_NORMAL, 1, false },
		{ DB_SYNC_EACH, 2, false },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		db_sqlite_synchronous(modes[i].mode);
		struct db *db = open_db("sync.db");
		assert_int_equal(scalar(db, "PRAGMA synchronous"), modes[i].pragma);
		assert_int_equal(db_exec(db, "CREATE TABLE IF NOT EXISTS s (v INTEGER)"), RC_OK);
		unsigned long syncs = db_log_syncs(), waited = db_commits_synced();
		/* a transaction that wrote */
		assert_int_equal(db_begin(db), RC_OK);
		assert_int_equal(db_run(db, NULL, "INSERT INTO s VALUES (1)", ""), RC_DONE);
		assert_int_equal(db_commit(db), RC_OK);
		assert_int_equal(db_log_syncs() - syncs, modes[i].group_sync ? 1 : 0);
		/* a write outside a transaction */
		assert_int_equal(db_run(db, NULL, "INSERT INTO s VALUES (2)", ""), RC_DONE);
		assert_int_equal(db_log_syncs() - syncs, modes[i].group_sync ? 2 : 0);
		assert_int_equal(db_commits_synced() - waited, modes[i].group_sync ? 2 : 0);
		/* nothing written, nothing to sync */
		assert_int_equal(db_begin(db), RC_OK);
		assert_int_equal(scalar(db, "SELECT COUNT(*) FROM s") % 2, 0);
		assert_int_equal(db_commit(db), RC_OK);
		assert_int_equal(scalar(db, "SELECT COUNT(*) FROM s") > 0, 1);
		assert_int_equal(db_log_syncs() - syncs, modes[i].group_sync ? 2 : 0);
		db_disconnect(db);
	}
	db_sqlite_synchronous(DB_SYNC_FULL);
}

/* ---- transactions ---- */

struct txn_arg {
	const char *value;
	int calls;
	int retries_left;	/* return RC_RETRY this many times first */
	int result;		/* what to return after inserting */
	int64_t seen_before;	/* rows the function saw when it ran */
	bool outside_txn;	/* set when the function ever ran outside a transaction */
};

/* Runs on other threads too, so it reports instead of asserting. */
static int insert_fn(struct db *db, void *p)
{
	struct txn_arg *a = p;
	a->calls++;
	if (!db_in_txn(db))
		a->outside_txn = true;
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT COUNT(*) FROM t", "");
	if (rc != RC_ROW)
		return rc;
	a->seen_before = db_col_int(st, 0);
	db_done(st);
	rc = db_run(db, NULL, "INSERT INTO t (v) VALUES (?)", "s", a->value);
	if (rc != RC_DONE)
		return rc;
	if (a->retries_left > 0) {
		a->retries_left--;
		return RC_RETRY;
	}
	return a->result;
}

static struct db *open_table(const char *name)
{
	struct db *db = open_db(name);
	assert_int_equal(db_exec(db, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY,"
				     " v TEXT UNIQUE)"), RC_OK);
	return db;
}

static int64_t count_value(struct db *db, const char *v)
{
	struct db_stmt *st;
	assert_int_equal(db_run(db, &st, "SELECT COUNT(*) FROM t WHERE v = ?", "s", v), RC_ROW);
	int64_t n = db_col_int(st, 0);
	db_done(st);
	return n;
}

static void begin_commit_rollback(void **state)
{
	(void)state;
	struct db *db = open_table("begin.db");
	assert_int_equal(db_begin(db), RC_OK);
	assert_true(db_in_txn(db));
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (v) VALUES ('kept')", ""), RC_DONE);
	assert_int_equal(db_commit(db), RC_OK);
	assert_false(db_in_txn(db));
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (v) VALUES ('dropped')", ""), RC_DONE);
	assert_int_equal(count_value(db, "dropped"), 1);	/* visible inside */
	assert_int_equal(db_rollback(db), RC_OK);
	assert_false(db_in_txn(db));
	assert_int_equal(count_value(db, "kept"), 1);
	assert_int_equal(count_value(db, "dropped"), 0);
	db_disconnect(db);
}

/* db_set_commit_mark: the mark is written in the commits of the work, and only in them. */
static void commit_mark_rides_with_the_work(void **state)
{
	(void)state;
	struct db *db = open_table("mark.db");
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (v) VALUES ('pending')", ""), RC_DONE);
	int64_t id = scalar(db, "SELECT id FROM t WHERE v = 'pending'");
	db_set_commit_mark(db, "UPDATE t SET v = 'marked' WHERE id = ?", id);
	/* a rolled-back transaction leaves no mark */
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (v) VALUES ('dropped')", ""), RC_DONE);
	assert_int_equal(db_rollback(db), RC_OK);
	assert_int_equal(count_value(db, "pending"), 1);
	/* a committed one commits the mark with it */
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (v) VALUES ('work')", ""), RC_DONE);
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(count_value(db, "marked"), 1);
	assert_int_equal(count_value(db, "work"), 1);
	/* a mark that fails takes the work back with it */
	db_set_commit_mark(db, "UPDATE no_such_table SET v = 'x' WHERE id = ?", id);
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (v) VALUES ('unmarked')", ""), RC_DONE);
	assert_true(db_commit(db) < 0);
	assert_false(db_in_txn(db));
	assert_int_equal(count_value(db, "unmarked"), 0);
	/* once cleared, commits are plain again */
	db_set_commit_mark(db, NULL, 0);
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (v) VALUES ('plain')", ""), RC_DONE);
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(count_value(db, "plain"), 1);
	db_disconnect(db);
}

static void txn_commits_on_ok(void **state)
{
	(void)state;
	struct db *db = open_table("txn.db");
	struct txn_arg a = { .value = "committed", .result = RC_OK };
	assert_int_equal(db_txn(db, insert_fn, &a), RC_OK);
	assert_int_equal(a.calls, 1);
	assert_false(a.outside_txn);
	assert_false(db_in_txn(db));
	assert_int_equal(count_value(db, "committed"), 1);
	db_disconnect(db);

	/* committed means durable: another connection sees it */
	db = open_table("txn.db");
	assert_int_equal(count_value(db, "committed"), 1);
	db_disconnect(db);
}

static void txn_rolls_back_otherwise(void **state)
{
	(void)state;
	struct db *db = open_table("rollback.db");
	int results[] = { RC_ERROR, RC_CONSTRAINT, 4, 99 };
	for (size_t i = 0; i < N_ELEMS(results); i++) {
		struct txn_arg a = { .value = "rolled back", .result = results[i] };
		assert_int_equal(db_txn(db, insert_fn, &a), results[i]);
		assert_int_equal(a.calls, 1);		/* not retried */
		assert_false(db_in_txn(db));
		assert_int_equal(count_value(db, "rolled back"), 0);
	}
	/* a constraint error inside the function rolls back what came before it */
	struct txn_arg first = { .value = "dup", .result = RC_OK };
	assert_int_equal(db_txn(db, insert_fn, &first), RC_OK);
	struct txn_arg dup = { .value = "dup", .result = RC_OK };
	assert_int_equal(db_txn(db, insert_fn, &dup), RC_CONSTRAINT);
	assert_int_equal(dup.calls, 1);
	assert_int_equal(count_value(db, "dup"), 1);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM t"), 1);
	db_disconnect(db);
}

static void txn_retries_on_retry(void **state)
{
	(void)state;
	struct db *db = open_table("retry.db");
	struct txn_arg a = { .value = "third time", .retries_left = 2, .result = RC_OK };
	assert_int_equal(db_txn(db, insert_fn, &a), RC_OK);
	assert_int_equal(a.calls, 3);
	assert_false(a.outside_txn);
	/* the first two attempts were rolled back: one row, and each attempt saw none */
	assert_int_equal(count_value(db, "third time"), 1);
	assert_int_equal(a.seen_before, 0);
	assert_false(db_in_txn(db));

	/* a function that always loses gives up with RC_RETRY, rolled back, after a bounded number */
	struct txn_arg loser = { .value = "never", .retries_left = 1000, .result = RC_OK };
	assert_int_equal(db_txn(db, insert_fn, &loser), RC_RETRY);
	assert_true(loser.calls > 2);
	assert_true(loser.calls < 100);
	assert_false(db_in_txn(db));
	assert_int_equal(count_value(db, "never"), 0);

	/* a function that fails after retrying returns that failure */
	struct txn_arg later = { .value = "later", .retries_left = 1, .result = RC_ERROR };
	assert_int_equal(db_txn(db, insert_fn, &later), RC_ERROR);
	assert_int_equal(later.calls, 2);
	assert_int_equal(count_value(db, "later"), 0);
	db_disconnect(db);
}

/* While another connection holds the write lock, a plain begin says RC_RETRY. */
static void busy_is_retryable(void **state)
{
	(void)state;
	struct db *a = open_table("busy.db");
	struct db *b = open_table("busy.db");
	assert_int_equal(db_exec(b, "PRAGMA busy_timeout = 0"), RC_OK);
	assert_int_equal(db_begin(a), RC_OK);
	assert_int_equal(db_run(a, NULL, "INSERT INTO t (v) VALUES ('a')", ""), RC_DONE);
	assert_int_equal(db_begin(b), RC_RETRY);
	assert_false(db_in_txn(b));
	/* a write outside a transaction is refused the same way */
	assert_int_equal(db_run(b, NULL, "INSERT INTO t (v) VALUES ('b')", ""), RC_RETRY);
	/* readers are not blocked (WAL), and do not see uncommitted rows */
	assert_int_equal(count_value(b, "a"), 0);
	assert_int_equal(db_commit(a), RC_OK);
	assert_int_equal(count_value(b, "a"), 1);
	assert_int_equal(db_begin(b), RC_OK);
	assert_int_equal(db_commit(b), RC_OK);
	db_disconnect(a);
	db_disconnect(b);
}

struct contender {
	const char *url;
	struct txn_arg arg;
	int rc;
	int64_t started_ms, finished_ms;
};

static void *contend(void *p)
{
	struct contender *c = p;
	struct db *db = NULL;
	char err[512];
	if (db_connect(c->url, &db, err, sizeof(err)) != RC_OK) {
		c->rc = -100;
		return NULL;
	}
	c->started_ms = now_ms();
	c->rc = db_txn(db, insert_fn, &c->arg);
	c->finished_ms = now_ms();
	db_disconnect(db);
	return NULL;
}

/*
 * Writers of one process take turns at the process's write lock: many
 * threads writing at once, in transactions and outside them, never reach
 * SQLite's busy handler, and every write is kept. With FULL each write
 * waited for a WAL sync, and a sync can serve several commits.
 */
/* A table of repeatable values, for the writers below. */
static struct db *open_plain(const char *name)
{
	struct db *db = open_db(name);
	assert_int_equal(db_exec(db, "CREATE TABLE IF NOT EXISTS w (id INTEGER PRIMARY KEY, v TEXT)"),
			 RC_OK);
	return db;
}

struct writer {
	const char *url;
	int id, done, failed;
};

static int writer_txn(struct db *db, void *p)
{
	(void)p;
	for (int k = 0; k < 3; k++)
		if (db_run(db, NULL, "INSERT INTO w (v) VALUES ('txn')", "") != RC_DONE)
			return RC_ERROR;
	return RC_OK;
}

static void *writer_main(void *p)
{
	struct writer *w = p;
	struct db *db = NULL;
	char err[512];
	if (db_connect(w->url, &db, err, sizeof(err)) != RC_OK) {
		w->failed = 1;
		return NULL;
	}
	for (int i = 0; i < 40; i++) {
		int rc = (w->id % 2) ? db_txn(db, writer_txn, w)
				     : db_run(db, NULL, "INSERT INTO w (v) VALUES ('alone')", "");
		if (rc == RC_OK || rc == RC_DONE)
			w->done++;
		else
			w->failed++;
		/* a read between writes keeps a snapshot's worth of readers about */
		struct db_stmt *st;
		if (db_run(db, &st, "SELECT COUNT(*) FROM w", "") == RC_ROW)
			db_done(st);
	}
	db_disconnect(db);
	return NULL;
}

static void writers_take_turns(void **state)
{
	(void)state;
	struct db *db = open_plain("turns.db");
	char url[512];
	url_for("turns.db", url, sizeof(url));
	unsigned long busy = db_sqlite_busy_waits(), syncs = db_log_syncs();
	unsigned long waited = db_commits_synced();
	struct writer w[8];
	pthread_t th[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct writer){ .url = url, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(w[i].failed, 0);
		assert_int_equal(w[i].done, 40);
	}
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM w WHERE v = 'txn'"), 4 * 40 * 3);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM w WHERE v = 'alone'"), 4 * 40);
	assert_int_equal(db_sqlite_busy_waits() - busy, 0);
	/* every write waited for a sync; no more syncs than writes */
	assert_int_equal(db_commits_synced() - waited, 8 * 40);
	assert_true(db_log_syncs() - syncs >= 1);
	assert_true(db_log_syncs() - syncs <= 8 * 40);
	db_disconnect(db);
}

static long wal_bytes(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s-wal", tmpdir, name);
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int fill_txn(struct db *db, void *p)
{
	(void)p;
	/* about 1 MiB: 2,000 rows of 500 bytes */
	return db_run(db, NULL,
		      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
		      " INSERT INTO w (v) SELECT printf('%.*c', 500, 'x') FROM n", "") == RC_DONE
		       ? RC_OK
		       : RC_ERROR;
}

/*
 * With background checkpoints, commits never checkpoint: a reader that
 * holds an old snapshot lets the WAL grow past 64 MiB, and it stays so.
 * Once the reader is gone, one checkpoint pass (RESTART past 16 MiB)
 * makes the next commit start the WAL over, and journal_size_limit cuts
 * the file back to 48 MiB; below that the file keeps its size, and the
 * commits after the restart write over it from the start. The rows are
 * all there.
 */
static void checkpoint_pass_bounds_the_wal(void **state)
{
	(void)state;
	db_sqlite_background_checkpoints(true);
	struct db *db = open_plain("wal.db");
	struct db *reader = open_plain("wal.db");
	struct db *checkpointer = open_plain("wal.db");
	db_sqlite_background_checkpoints(false);

	/* a read transaction: its snapshot is from before the writes */
	assert_int_equal(db_exec(reader, "BEGIN"), RC_OK);
	assert_int_equal(scalar(reader, "SELECT COUNT(*) FROM w"), 0);
	for (int i = 0; i < 66; i++)
		assert_int_equal(db_txn(db, fill_txn, NULL), RC_OK);
	long grown = wal_bytes("wal.db");
	assert_true(grown > 64L << 20);
	/* the reader's snapshot keeps the frames: a pass cannot restart the WAL */
	assert_int_equal(db_checkpoint_pass(checkpointer), RC_RETRY);
	assert_int_equal(db_txn(db, fill_txn, NULL), RC_OK);
	assert_true(wal_bytes("wal.db") > grown);
	assert_int_equal(scalar(reader, "SELECT COUNT(*) FROM w"), 0);
	assert_int_equal(db_exec(reader, "COMMIT"), RC_OK);

	assert_int_equal(db_checkpoint_pass(checkpointer), RC_OK);
	assert_int_equal(db_txn(db, fill_txn, NULL), RC_OK);
	long cut = wal_bytes("wal.db");
	assert_true(cut <= 48L << 20);
	assert_true(cut > 16L << 20);
	for (int i = 0; i < 4; i++)
		assert_int_equal(db_txn(db, fill_txn, NULL), RC_OK);
	assert_int_equal(wal_bytes("wal.db"), cut);
	assert_int_equal(scalar(reader, "SELECT COUNT(*) FROM w"), 72 * 2000);
	db_disconnect(checkpointer);
	db_disconnect(reader);
	db_disconnect(db);
}

/*
 * A write transaction runs on the database's writer connection, which
 * closes with the last connection to its file: a database made again at
 * the same path gets the writes, not the file that was removed.
 */
static void writer_goes_with_its_last_connection(void **state)
{
	(void)state;
	struct db *a = open_table("again.db");
	struct db *other = open_table("again.db");
	/* the last write was another connection's: a's transaction takes the writer */
	assert_int_equal(db_run(other, NULL, "INSERT INTO t (v) VALUES ('zero')", ""), RC_DONE);
	db_disconnect(other);
	struct txn_arg one = { .value = "one" };
	assert_int_equal(db_txn(a, insert_fn, &one), RC_OK);
	db_disconnect(a);
	char path[512];
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/again.db%s", tmpdir,
			 (const char *[]){ "", "-wal", "-shm" }[i]);
		unlink(path);
	}
	struct db *b = open_table("again.db");
	struct txn_arg two = { .value = "two" };
	assert_int_equal(db_txn(b, insert_fn, &two), RC_OK);
	assert_int_equal(two.seen_before, 0);
	assert_int_equal(count_value(b, "two"), 1);
	assert_int_equal(count_value(b, "one"), 0);
	db_disconnect(b);
}

/*
 * The writer's statements are shared by the threads that take turns on
 * it. One let go after its transaction ended (the end reset it) is left
 * alone: the next writer, stepping the same statement meanwhile, reads
 * every row; stepping it late is refused.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int phase;
	const char *url;
	int rows;		/* what the second writer read */
} turns = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, 0 };

static void turn_wait(int phase)
{
	pthread_mutex_lock(&turns.lock);
	while (turns.phase < phase)
		pthread_cond_wait(&turns.changed, &turns.lock);
	pthread_mutex_unlock(&turns.lock);
}

static void turn_to(int phase)
{
	pthread_mutex_lock(&turns.lock);
	turns.phase = phase;
	pthread_cond_broadcast(&turns.changed);
	pthread_mutex_unlock(&turns.lock);
}

static const char turns_sql[] = "SELECT v FROM t ORDER BY id";

static void *second_writer(void *arg)
{
	(void)arg;
	struct db *db = NULL;
	char err[512];
	if (db_connect(turns.url, &db, err, sizeof(err)) != RC_OK)
		return NULL;
	turn_wait(1);
	struct db_stmt *st;
	if (db_begin(db) == RC_OK && db_run(db, &st, turns_sql, "") == RC_ROW) {
		turns.rows = 1;
		turn_to(2);
		turn_wait(3);
		while (db_step(st) == RC_ROW)
			turns.rows++;
		db_done(st);
		db_commit(db);
	}
	turn_to(4);
	db_disconnect(db);
	return NULL;
}

static void writer_statements_change_hands(void **state)
{
	(void)state;
	char url[512];
	turns.url = url_for("turns.db", url, sizeof(url));
	turns.phase = 0;
	struct db *db = open_table("turns.db");
	/* written by another connection: both transactions below take the writer */
	struct db *filler = open_table("turns.db");
	for (int i = 0; i < 3; i++)
		assert_int_equal(db_run(filler, NULL, "INSERT INTO t (v) VALUES (?)", "s",
					(const char *[]){ "a", "b", "c" }[i]), RC_DONE);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, second_writer, NULL), 0);

	struct db_stmt *st;
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run(db, &st, turns_sql, ""), RC_ROW);
	assert_string_equal(db_col_text(st, 0), "a");
	assert_int_equal(db_commit(db), RC_OK);
	turn_to(1);
	turn_wait(2);		/* the other writer has the statement, one row read */
	db_done(st);		/* late: left alone */
	assert_int_equal(db_step(st), RC_ERROR);
	turn_to(3);
	turn_wait(4);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(turns.rows, 3);
	db_disconnect(filler);
	db_disconnect(db);
}

/* An in-memory database is its connection's alone: its transactions stay there. */
static void memory_database_has_no_writer(void **state)
{
	(void)state;
	struct db *other = open_table("mem-other.db");
	assert_int_equal(db_run(other, NULL, "INSERT INTO t (v) VALUES ('x')", ""), RC_DONE);
	struct db *db = NULL;
	char err[512];
	assert_int_equal(db_connect("sqlite::memory:", &db, err, sizeof(err)), RC_OK);
	assert_int_equal(db_exec(db, "CREATE TABLE m (v TEXT)"), RC_OK);
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO m (v) VALUES ('a')", ""), RC_DONE);
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM m"), 1);
	db_disconnect(db);
	db_disconnect(other);
}

/* A connection that made the last write keeps writing on its own: its cache is warm. */
static void lone_writer_stays_on_its_connection(void **state)
{
	(void)state;
	struct db *db = open_table("lone.db");
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (v) VALUES ('a')", ""), RC_DONE);
	struct db_stmt *st;
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run(db, &st, "SELECT v FROM t", ""), RC_ROW);
	assert_int_equal(db_commit(db), RC_OK);
	/* on its own connection, the statement is still the thread's to let go */
	assert_string_equal(db_col_text(st, 0), "a");
	db_done(st);
	db_disconnect(db);
}

/* A second writer waits (or retries) until the first commits, then succeeds. */
static void txn_waits_for_other_writer(void **state)
{
	(void)state;
	struct db *first = open_table("contend.db");
	char url[512];
	url_for("contend.db", url, sizeof(url));
	assert_int_equal(db_begin(first), RC_OK);
	assert_int_equal(db_run(first, NULL, "INSERT INTO t (v) VALUES ('first')", ""), RC_DONE);

	struct contender c = { .url = url, .arg = { .value = "second", .result = RC_OK } };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, contend, &c), 0);
	int64_t hold_from = now_ms();
	sleep_ms(200);
	/* still holding: the second cannot have committed yet */
	int64_t released = now_ms();
	assert_int_equal(db_commit(first), RC_OK);
	assert_int_equal(pthread_join(th, NULL), 0);

	assert_int_equal(c.rc, RC_OK);
	assert_true(c.arg.calls >= 1);
	assert_false(c.arg.outside_txn);
	/* it ran after the first committed: it saw the first row ... */
	assert_int_equal(c.arg.seen_before, 1);
	/* ... and finished only after the lock was released */
	assert_true(c.finished_ms >= released - 5);
	assert_true(c.finished_ms - hold_from >= 150);
	assert_int_equal(count_value(first, "first"), 1);
	assert_int_equal(count_value(first, "second"), 1);
	/* ids in commit order */
	struct db_stmt *st;
	assert_int_equal(db_run(first, &st, "SELECT v FROM t ORDER BY id", ""), RC_ROW);
	assert_string_equal(db_col_text(st, 0), "first");
	assert_int_equal(db_step(st), RC_ROW);
	assert_string_equal(db_col_text(st, 0), "second");
	db_done(st);
	db_disconnect(first);
}

/* ---- backup ---- */

static void backup_copies(void **state)
{
	(void)state;
	struct db *db = open_table("backup-src.db");
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (v) VALUES ('saved')", ""), RC_DONE);
	char path[512], err[512] = "";
	snprintf(path, sizeof(path), "%s/backup-copy.db", tmpdir);
	assert_int_equal(db_backup(db, path, err, sizeof(err)), RC_OK);
	db_disconnect(db);
	db = open_db("backup-copy.db");
	assert_int_equal(count_value(db, "saved"), 1);
	db_disconnect(db);
	/* to a place that cannot be written: an error with a message */
	db = open_table("backup-src.db");
	err[0] = '\0';
	assert_int_equal(db_backup(db, "/nonexistent-dir-servio/x.db", err, sizeof(err)),
			 RC_ERROR);
	assert_true(strlen(err) > 0);
	db_disconnect(db);
}

/* ---- full-text search ---- */

static int64_t insert_company(struct db *db, const char *name, const char *email,
			      const char *notes)
{
	struct db_stmt *st;
	int rc = db_run(db, &st, "INSERT INTO companies (created_at, updated_at, name, kind, email,"
				 " notes) VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',"
				 " ?, 'client', ?, ?) RETURNING id",
			"sss", name, email, notes);
	assert_int_equal(rc, RC_ROW);
	int64_t id = db_col_int(st, 0);
	db_done(st);
	return id;
}

/*
 * Runs the full-text search for text over companies. Returns the number
 * of matches (-1 when the text has no words) and the first id in *first.
 * Fails the test on a database error.
 */
static int search(struct db *db, const char *text, int64_t *first)
{
	char *param = db_fts_query(db, "companies", text);
	if (!param)
		return -1;
	struct buf sql;
	buf_init(&sql, 0);
	buf_addstr(&sql, "SELECT id FROM companies WHERE ");
	assert_int_equal(db_fts_where(db, "companies", &sql), 0);
	buf_addstr(&sql, " ORDER BY id");
	assert_false(sql.failed);
	struct db_stmt *st;
	int rc = db_run(db, &st, buf_str(&sql), "s", param);
	buf_release(&sql);
	if (rc != RC_ROW && rc != RC_DONE)
		fail_msg("search for \"%s\" (as %s) failed: %d %s", text, param, rc,
			 db_errmsg(db));
	xfree(param);
	int n = 0;
	if (first)
		*first = 0;
	while (rc == RC_ROW) {
		if (n == 0 && first)
			*first = db_col_int(st, 0);
		n++;
		rc = db_step(st);
	}
	if (st)
		db_done(st);
	assert_int_equal(rc, RC_DONE);
	return n;
}

static void fts_finds_companies(void **state)
{
	(void)state;
	struct db *db = open_migrated("fts.db");
	int64_t acme = insert_company(db, "Acme Printing", "info@acme.example", NULL);
	int64_t globex = insert_company(db, "Globex Networks", NULL, "printer fleet in Berlin");
	int64_t cafe = insert_company(db, "Café Olé", NULL, NULL);
	int64_t first;
	struct {
		const char *text;
		int count;
		int64_t first;
	} cases[] = {
		{ "acm", 1, acme },
		{ "Acme", 1, acme },
		{ "ACME PRINTING", 1, acme },
		{ "printing acme", 1, acme },		/* any order */
		{ "  printing,   acme!! ", 1, acme },	/* punctuation separates */
		{ "print", 2, acme },			/* prefix, over name and notes */
		{ "printer", 1, globex },
		{ "acme globex", 0, 0 },		/* every word must match */
		{ "acme.example", 1, acme },		/* e-mail is indexed */
		{ "cafe", 1, cafe },			/* diacritics removed */
		{ "olé", 1, cafe },
		{ "berlin", 1, globex },
		{ "nothing-here-xyz", 0, 0 },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		int n = search(db, cases[i].text, &first);
		if (n != cases[i].count)
			fail_msg("\"%s\": %d matches, want %d", cases[i].text, n, cases[i].count);
		if (n > 0)
			assert_int_equal(first, cases[i].first);
	}
	/* only the last word is a prefix: the others are whole words */
	assert_int_equal(search(db, "acm printing", NULL), 0);
	assert_int_equal(search(db, "print acme", NULL), 0);
	assert_int_equal(search(db, "PRINTING ACM", &first), 1);
	assert_int_equal(first, acme);
	/* the prefix is spelled out as the index's words that start with it */
	char *q = db_fts_query(db, "companies", "Acme Print");
	assert_string_equal(q, "\"Acme\" AND (\"printer\" OR \"printing\")");
	xfree(q);
	q = db_fts_query(db, "companies", "acme zzz");
	assert_string_equal(q, "\"acme\" AND \"zzz\"*");	/* no such word: nothing to spell */
	xfree(q);
	q = db_fts_query(db, "companies", "olé");
	assert_string_equal(q, "\"olé\"*");	/* folded by the index, not here */
	xfree(q);
	/* a prefix of more words than are spelled out stays a prefix term */
	for (int i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Zeta%02d Labs", i);
		insert_company(db, name, NULL, NULL);
	}
	q = db_fts_query(db, "companies", "zeta");
	assert_string_equal(q, "\"zeta\"*");
	xfree(q);
	assert_int_equal(search(db, "zeta", NULL), 20);
	q = db_fts_query(db, "companies", "labs zeta1");
	assert_string_equal(q, "\"labs\" AND (\"zeta10\" OR \"zeta11\" OR \"zeta12\" OR"
			       " \"zeta13\" OR \"zeta14\" OR \"zeta15\" OR \"zeta16\" OR"
			       " \"zeta17\" OR \"zeta18\" OR \"zeta19\")");
	xfree(q);
	assert_int_equal(search(db, "labs zeta1", NULL), 10);
	/* the index follows updates and deletes */
	assert_int_equal(db_run(db, NULL, "UPDATE companies SET name = 'Initech' WHERE id = ?", "i",
				acme), RC_DONE);
	assert_int_equal(search(db, "acme printing", NULL), 0);
	assert_int_equal(search(db, "acme", &first), 1);	/* still in the e-mail */
	assert_int_equal(search(db, "initech", &first), 1);
	assert_int_equal(first, acme);
	assert_int_equal(db_run(db, NULL, "DELETE FROM companies WHERE id = ?", "i", globex),
			 RC_DONE);
	assert_int_equal(search(db, "globex", NULL), 0);
	assert_int_equal(search(db, "printer", NULL), 0);
	db_disconnect(db);
}

static void fts_query_shapes(void **state)
{
	(void)state;
	struct db *db = open_db("ftsq.db");
	/* no words: NULL */
	const char *empty[] = { "", " ", "\"", "*", "-", ":", "()", "\"*^-+:(){}[],.;'`~!@#$%&=|\\/?<>",
				"\t\n\r" };
	for (size_t i = 0; i < N_ELEMS(empty); i++) {
		char *q = db_fts_query(db, NULL, empty[i]);
		if (q)
			fail_msg("\"%s\" gave \"%s\", want NULL", empty[i], q);
	}
	/* words are quoted whole terms, the last a prefix: no query syntax survives */
	char *q = db_fts_query(db, NULL, "printer hp");
	assert_string_equal(q, "\"printer\" AND \"hp\"*");
	xfree(q);
	q = db_fts_query(db, NULL, "a\"b OR c*");
	assert_non_null(q);
	assert_null(strstr(q, "a\"b"));
	xfree(q);
	db_disconnect(db);
}

static void fts_hostile_input_never_errors(void **state)
{
	(void)state;
	struct db *db = open_migrated("hostile.db");
	insert_company(db, "Acme Printing", NULL, "OR AND NOT NEAR");
	const char *hostile[] = {
		"\"", "\"\"", "*", "acme*", "*acme", "NEAR(", "NEAR(acme printing, 2)", "OR",
		"acme OR", "OR acme", "AND", "NOT", "NOT acme", "-", "-acme", "acme -printing",
		":", "name:acme", "name : acme", "{name}: acme", "^acme", "acme^", "(", ")",
		"(acme", "acme)", "\"acme", "acme\"", "a\"b\"c", "+", "acme + printing", "'",
		"''", "acme'", "%", "_", "\\", "\\\"", "a\\\"b", "NEAR", "near/3", "AND OR NOT",
		"", " ", "\t", "\n", "日本", "😀", "—", "«acme»", "ﬀ", "Ünïcödé", "café*",
		"0", "-1", "1e10", "99999999999999999999", ";DROP TABLE companies;--",
		"'; DELETE FROM companies; --", "companies_fts MATCH 'x'", "x\x01y", "\x7f",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	for (size_t i = 0; i < N_ELEMS(hostile); i++) {
		int n = search(db, hostile[i], NULL);	/* fails the test on any db error */
		assert_true(n >= -1 && n <= 1);
	}
	/* many words, up to and past the join's limit */
	struct buf many;
	buf_init(&many, 0);
	for (int i = 0; i < 2000; i++)
		buf_addstr(&many, i % 2 ? "acme " : "\"OR\" ");
	int n = search(db, buf_str(&many), NULL);
	assert_true(n >= -1 && n <= 1);
	buf_release(&many);
	/* the table survived all of it */
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM companies"), 1);
	assert_int_equal(search(db, "acme", NULL), 1);
	db_disconnect(db);
}

/* ---- pool ---- */

struct pool_probe {
	struct db *db;
	struct db *again;
	int64_t answer;
};

static void *pool_thread(void *p)
{
	struct pool_probe *probe = p;
	probe->db = db_pool_get();
	probe->again = db_pool_get();
	if (probe->db) {
		struct db_stmt *st;
		if (db_run(probe->db, &st, "SELECT COUNT(*) FROM t", "") == RC_ROW) {
			probe->answer = db_col_int(st, 0);
			db_done(st);
		}
	}
	return NULL;	/* the pool closes this thread's connection at exit */
}

static void pool_per_thread(void **state)
{
	(void)state;
	struct db *setup = open_table("pool.db");
	assert_int_equal(db_run(setup, NULL, "INSERT INTO t (v) VALUES ('x'), ('y')", ""), RC_DONE);
	db_disconnect(setup);

	char url[512];
	db_pool_init(url_for("pool.db", url, sizeof(url)));
	struct db *mine = db_pool_get();
	assert_non_null(mine);
	assert_ptr_equal(db_pool_get(), mine);	/* same thread, same connection */
	assert_int_equal(scalar(mine, "SELECT COUNT(*) FROM t"), 2);

	struct pool_probe probes[3] = { { 0 } };
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, pool_thread, &probes[i]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < 3; i++) {
		assert_non_null(probes[i].db);
		assert_ptr_equal(probes[i].again, probes[i].db);
		assert_ptr_not_equal(probes[i].db, mine);
		assert_int_equal(probes[i].answer, 2);
	}
	/* ours is untouched by the others' exits */
	assert_ptr_equal(db_pool_get(), mine);
	assert_int_equal(scalar(mine, "SELECT COUNT(*) FROM t"), 2);

	/* release closes it; the next get opens a working one */
	db_pool_release();
	db_pool_release();	/* twice is harmless */
	struct db *fresh = db_pool_get();
	assert_non_null(fresh);
	assert_int_equal(scalar(fresh, "SELECT COUNT(*) FROM t"), 2);
	db_pool_release();

	/* a pool pointed at a place that cannot be opened gives NULL, not a crash */
	db_pool_init("sqlite:/nonexistent-dir-servio/pool.db");
	assert_null(db_pool_get());
	db_pool_init(url);
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(connect_and_basics),
		cmocka_unit_test(connect_failure),
		cmocka_unit_test(migrate_creates_schema),
		cmocka_unit_test(migrate_refuses_newer_schema),
		cmocka_unit_test(migration_sections),
		cmocka_unit_test(migration_fts),
		cmocka_unit_test(migration_malformed_markers),
		cmocka_unit_test(table_list_order),
		cmocka_unit_test(table_list_parents_first),
		cmocka_unit_test(run_formats_and_results),
		cmocka_unit_test(prepare_cache),
		cmocka_unit_test(constraint_violations),
		cmocka_unit_test(full_database),
		cmocka_unit_test(write_probe),
		cmocka_unit_test(sqlite_synchronous),
		cmocka_unit_test(begin_commit_rollback),
		cmocka_unit_test(commit_mark_rides_with_the_work),
		cmocka_unit_test(txn_commits_on_ok),
		cmocka_unit_test(txn_rolls_back_otherwise),
		cmocka_unit_test(txn_retries_on_retry),
		cmocka_unit_test(busy_is_retryable),
		cmocka_unit_test(txn_waits_for_other_writer),
		cmocka_unit_test(writer_goes_with_its_last_connection),
		cmocka_unit_test(writer_statements_change_hands),
		cmocka_unit_test(lone_writer_stays_on_its_connection),
		cmocka_unit_test(memory_database_has_no_writer),
		cmocka_unit_test(writers_take_turns),
		cmocka_unit_test(checkpoint_pass_bounds_the_wal),
		cmocka_unit_test(backup_copies),
		cmocka_unit_test(fts_finds_companies),
		cmocka_unit_test(fts_query_shapes),
		cmocka_unit_test(fts_hostile_input_never_errors),
		cmocka_unit_test(pool_per_thread),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
