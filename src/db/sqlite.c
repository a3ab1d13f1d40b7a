/*
 * sqlite.c - the SQLite driver: WAL, a busy timeout, foreign keys on,
 * FTS5 for full-text search. SQLITE_BUSY and SQLITE_LOCKED are retryable;
 * SQLITE_FULL, and an I/O error whose cause is a full disk, quota or file
 * size limit, are RC_FULL.
 *
 * Durability: synchronous=FULL by default, so a commit that was answered
 * survives a power cut (WAL with NORMAL may lose the last commits, though
 * never the database's consistency); db_sqlite_synchronous() chooses
 * NORMAL for whoever prefers the speed (SERVIO_SQLITE_SYNCHRONOUS).
 */
#include "driver.h"

#include "core/alloc.h"
#include "core/buf.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static bool synchronous_normal;

void db_sqlite_synchronous(bool full)
{
	synchronous_normal = !full;
}

static int map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return RC_OK;
	case SQLITE_ROW:
		return RC_ROW;
	case SQLITE_DONE:
		return RC_DONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return RC_RETRY;
	case SQLITE_CONSTRAINT:
		return RC_CONSTRAINT;
	case SQLITE_FULL:
		return RC_FULL;
	default:
		return RC_ERROR;
	}
}

/*
 * map_rc, and the I/O errors whose cause is want of room: SQLite answers
 * ENOSPC on a write with SQLITE_FULL itself, but other calls (fsync,
 * ftruncate, a file size limit's EFBIG, a quota's EDQUOT) come back as
 * SQLITE_IOERR_*, with the errno kept on the connection (or, where SQLite
 * 3.40 keeps none, still in errno: called right after the failed call).
 */
static int map_err(sqlite3 *db, int rc)
{
	if ((rc & 0xff) == SQLITE_IOERR) {
		/* the connection's errno when SQLite kept it, else the failed call's (just now) */
		int e = db ? sqlite3_system_errno(db) : 0;
		if (!e)
			e = errno;
		if (e == ENOSPC || e == EDQUOT || e == EFBIG)
			return RC_FULL;
	}
	return map_rc(rc);
}

static const char *path_of(const char *url)
{
	if (strncmp(url, "sqlite://", 9) == 0)
		return url + 9;
	if (strncmp(url, "sqlite:", 7) == 0)
		return url + 7;
	return url;
}

static int sq_open(const char *url, void **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	const char *path = path_of(url);
	int rc = sqlite3_open_v2(path, &db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database \"%s\": %s", path,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return RC_ERROR;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_extended_result_codes(db, 1);
	char *msg = NULL;
	rc = sqlite3_exec(db,
			  synchronous_normal ? "PRAGMA journal_mode=WAL;"
					       "PRAGMA synchronous=NORMAL;"
					       "PRAGMA foreign_keys=ON;"
					       "PRAGMA temp_store=MEMORY;"
					     : "PRAGMA journal_mode=WAL;"
					       "PRAGMA synchronous=FULL;"
					       "PRAGMA foreign_keys=ON;"
					       "PRAGMA temp_store=MEMORY;",
			  NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up database \"%s\": %s", path,
			 msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sqlite3_close(db);
		return RC_ERROR;
	}
	*out = db;
	return RC_OK;
}

static void sq_close(void *conn)
{
	sqlite3_close_v2(conn);
}

static const char *sq_errmsg(void *conn)
{
	return sqlite3_errmsg(conn);
}

static int sq_exec(void *conn, const char *sql)
{
	return map_err(conn, sqlite3_exec(conn, sql, NULL, NULL, NULL));
}

static int sq_prepare(void *conn, const char *sql, void **out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = map_err(conn, rc);
		return rc == RC_RETRY || rc == RC_FULL ? rc : RC_ERROR;
	}
	*out = st;
	return RC_OK;
}

static void sq_finalize(void *st)
{
	sqlite3_finalize(st);
}

static int sq_bind_int(void *st, int idx, int64_t v)
{
	return map_rc(sqlite3_bind_int64(st, idx, v));
}

static int sq_bind_text(void *st, int idx, const char *v)
{
	if (!v)
		return map_rc(sqlite3_bind_null(st, idx));
	return map_rc(sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT));
}

static int sq_bind_null(void *st, int idx)
{
	return map_rc(sqlite3_bind_null(st, idx));
}

static int sq_step(void *st)
{
	return map_err(sqlite3_db_handle(st), sqlite3_step(st));
}

static int sq_col_count(void *st)
{
	return sqlite3_column_count(st);
}

static bool sq_col_null(void *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL;
}

static int64_t sq_col_int(void *st, int col)
{
	return sqlite3_column_int64(st, col);
}

static const char *sq_col_text(void *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static const char *sq_col_name(void *st, int col)
{
	return sqlite3_column_name(st, col);
}

static void sq_reset(void *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int64_t sq_changes(void *conn)
{
	return sqlite3_changes64(conn);
}

static int64_t sq_total_changes(void *conn)
{
	return sqlite3_total_changes64(conn);
}

/*
 * Every searchable table T has an external-content FTS5 table T_fts whose
 * rowid is T.id, and its vocabulary T_fts_terms (see the migrations). Here
 * the matches are fetched once and the list's own order sorts them.
 */
static int sq_fts_where(const char *table, struct buf *sql)
{
	return buf_addf(sql, "id IN (SELECT rowid FROM %s_fts WHERE %s_fts MATCH ?)", table,
			table);
}

/*
 * FTS5 hands out its matches in rowid order, either way, one at a time
 * (whole words: a prefix term would merge every matching word's list
 * first, which is why db_fts_query spells prefixes out): a search newest
 * first reads as many as the page takes.
 */
static int sq_fts_drive(const char *table, struct buf *sql)
{
	return buf_addf(sql, "(SELECT rowid AS fts_id FROM %s_fts WHERE %s_fts MATCH ?) AS fts"
			     " JOIN %s ON %s.id = fts.fts_id", table, table, table, table);
}

static int sq_fts_test(const char *table, struct buf *sql)
{
	return buf_addf(sql, "EXISTS (SELECT 1 FROM %s_fts WHERE %s_fts MATCH ? AND rowid = %s.id)",
			table, table, table);
}

/* bm25() is lower for a better match: its negation is the score */
static int sq_fts_ranked(const char *table, struct buf *sql)
{
	return buf_addf(sql, "(SELECT rowid AS id, -bm25(%s_fts) AS score FROM %s_fts"
			     " WHERE %s_fts MATCH ?)", table, table, table);
}

/* The online backup API: a consistent copy while other connections write. */
static int sq_backup(void *conn, const char *path, char *err, size_t errlen)
{
	sqlite3 *dest = NULL;
	int rc = sqlite3_open_v2(path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot create \"%s\": %s", path,
			 dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
		sqlite3_close(dest);
		return RC_ERROR;
	}
	sqlite3_backup *b = sqlite3_backup_init(dest, "main", conn, "main");
	if (!b) {
		snprintf(err, errlen, "cannot start backup: %s", sqlite3_errmsg(dest));
		sqlite3_close(dest);
		return RC_ERROR;
	}
	do {
		/* all pages in one step: in WAL mode writers go on meanwhile, and a
		 * writer's commit cannot restart a copy that is already done */
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup failed: %s", sqlite3_errstr(rc));
		sqlite3_close(dest);
		remove(path);	/* no half-written backup left behind */
		return RC_ERROR;
	}
	/* a self-contained file: no WAL beside it */
	sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_close(dest);
	return RC_OK;
}

const struct db_driver db_sqlite_driver = {
	.name = "sqlite",
	.id_pk = "INTEGER PRIMARY KEY",
	.open = sq_open,
	.close = sq_close,
	.errmsg = sq_errmsg,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_int = sq_bind_int,
	.bind_text = sq_bind_text,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.col_count = sq_col_count,
	.col_null = sq_col_null,
	.col_int = sq_col_int,
	.col_text = sq_col_text,
	.col_name = sq_col_name,
	.reset = sq_reset,
	.changes = sq_changes,
	.total_changes = sq_total_changes,
	.backup = sq_backup,
	/*
	 * table_list tells the FTS5 tables ("virtual") and their "shadow" tables
	 * apart; a full-text index's words are its own too (made from its rows)
	 */
	.tables_sql = "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"
		      " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
		      " AND name NOT LIKE '%\\_fts\\_words' ESCAPE '\\'",
	.foreign_keys_sql = "SELECT t.name, f.\"table\" FROM pragma_table_list t,"
			    " pragma_foreign_key_list(t.name) f WHERE t.schema = 'main'"
			    " AND t.type = 'table'",
	.defer_constraints_sql = "PRAGMA defer_foreign_keys = ON",
	.skip_locked = "",
	.txid_ended = "1 = 1",
	.txid_now = "0",
	.begin_sql = "BEGIN IMMEDIATE",
	.next_number_sql = "INSERT INTO counters (name, value) VALUES ('%s', 1) ON CONFLICT (name)"
			   " DO UPDATE SET value = counters.value + 1 RETURNING value",
	.fts_where = sq_fts_where,
	.fts_drive = sq_fts_drive,
	.fts_test = sq_fts_test,
	/* the skip-th match */
	.fts_bound_sql = "SELECT rowid FROM %s_fts WHERE %s_fts MATCH ? AND rowid %s ?"
			 " ORDER BY rowid %s LIMIT 1 OFFSET ?",
	.fts_bound_matches = true,
	/*
	 * User text becomes quoted words, so no FTS5 syntax in it reaches the
	 * parser: printer hp -> "printer" AND ("hp" OR "hpe"), or "printer" AND
	 * "hp"* where the prefix stands for too many words. The words of an
	 * index are listed in TABLE_fts_words (migration search_words).
	 */
	.fts_quote = "\"",
	.fts_and = " AND ",
	.fts_or = " OR ",
	.fts_prefix = "*",
	.fts_terms_sql = "SELECT word FROM %s_fts_words WHERE word >= ? AND word < ? ORDER BY word"
			 " LIMIT ?",
	.fts_ranked = sq_fts_ranked,
};
