/*
 * sqlite.c - the SQLite driver: WAL, a busy handler, foreign keys on,
 * FTS5 for full-text search. SQLITE_BUSY and SQLITE_LOCKED are retryable;
 * SQLITE_FULL, and an I/O error whose cause is a full disk, quota or file
 * size limit, are RC_FULL.
 *
 * Writers: db.c lets one thread of the process write at a time, so the busy
 * handler only waits for other processes (a separate worker, a backup).
 *
 * Durability (db_sqlite_synchronous, SERVIO_SQLITE_SYNCHRONOUS): FULL, the
 * default, answers a commit only once it is on the disk. SQLite would fsync
 * the WAL in every COMMIT, one writer after the other; here SQLite commits
 * with synchronous=NORMAL (no fsync) and db.c syncs the WAL after the
 * commit, outside the write lock, once for every commit that finished
 * before the sync began (group commit): the same guarantee, one fsync
 * shared by many requests. EACH is SQLite's own synchronous=FULL, for
 * comparison; NORMAL never syncs a commit (a power cut may lose the last
 * ones, never the database's consistency).
 *
 * Checkpoints: with db_sqlite_background_checkpoints() (servio serve) the
 * connections never checkpoint in a commit (wal_autocheckpoint=0): db.c's
 * checkpointer thread does it with sq_checkpoint, off the request path.
 * journal_size_limit trims the WAL file back whenever it restarts.
 */
#include "driver.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "walbuf.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum db_sync sync_mode = DB_SYNC_FULL;
static bool background_checkpoints;

/*
 * The WAL file is cut back to this when it restarts (journal_size_limit).
 * The checkpointer restarts it once it holds 16 MiB, and writes go on
 * while it gets there, so under a steady write load it peaks higher (~36
 * MiB at 2,000 ticket creates a second). Cutting it back to 16 MiB at each
 * restart made the kernel drop the pages past that and allocate them
 * again for the next round: commits took twice as long (a create's COMMIT
 * 106 µs against 59 µs, measured). Kept up to 48 MiB (under the 64 MiB
 * issue 15 allows, with room for a burst), a restarted WAL overwrites
 * pages the kernel has.
 */
#define WAL_KEEP_BYTES (48 << 20)

void db_sqlite_synchronous(enum db_sync mode)
{
	sync_mode = mode;
}

/*
 * The checkpointer's nudge: a connection's commit that leaves the WAL with
 * `frames` or more calls it (SQLite's WAL hook, after the write lock is
 * given back). Set before the connections open.
 */
static void (*_Atomic nudge_fn)(void);
static atomic_int nudge_frames;

void sqlite_checkpoint_nudge(void (*fn)(void), int frames)
{
	atomic_store(&nudge_frames, frames);
	atomic_store(&nudge_fn, fn);
}

static int wal_grown(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)arg;
	(void)db;
	(void)name;
	void (*fn)(void) = atomic_load(&nudge_fn);
	if (fn && frames >= atomic_load(&nudge_frames))
		fn();
	return SQLITE_OK;
}

void db_sqlite_background_checkpoints(bool on)
{
	background_checkpoints = on;
}

static atomic_ulong busy_waits;

unsigned long db_sqlite_busy_waits(void)
{
	return atomic_load(&busy_waits);
}

/*
 * Another process holds the lock: wait 1, 2, 4 … 32 ms at a time, five
 * seconds in all (SQLite's own busy_timeout, counted: in-process writers
 * queue in db.c and should never come here).
 */
static int busy_wait(void *arg, int count)
{
	(void)arg;
	static const int ms[] = { 1, 2, 4, 8, 16, 32 };
	int total = 0;
	for (int i = 0; i < count; i++)
		total += ms[i < 5 ? i : 5];
	if (total >= 5000)
		return 0;
	atomic_fetch_add(&busy_waits, 1);
	sqlite3_sleep(ms[count < 5 ? count : 5]);
	return 1;
}

/*
 * A RESTART checkpoint waits for the WAL's readers while this process's
 * writers queue behind it: readers are quick, so look again every 50 µs
 * (SQLite's own timeout sleeps 1, 2, 5 … ms: ~7 ms a restart, every
 * writer waiting), 100 ms in all.
 */
static int restart_wait(void *arg, int count)
{
	(void)arg;
	if (count >= 2000)
		return 0;
	struct timespec ts = { 0, 50 * 1000 };
	nanosleep(&ts, NULL);
	return 1;
}

/*
 * SQLite's memory statistics take a global mutex on every allocation. The
 * VFS of walbuf.c writes a commit's WAL frames at once.
 */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	int rc = walbuf_register();
	if (rc != SQLITE_OK)
		log_error("cannot register the WAL-gathering VFS: %s; writing frames one by one",
			  sqlite3_errstr(rc));
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

static int open_with(const char *url, int mutex, void **out, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	sqlite3 *db = NULL;
	const char *path = path_of(url);
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | mutex,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database \"%s\": %s", path,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return RC_ERROR;
	}
	sqlite3_busy_handler(db, busy_wait, NULL);
	sqlite3_extended_result_codes(db, 1);
	char setup[256], *msg = NULL;
	snprintf(setup, sizeof(setup),
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
		 " PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=%d;%s",
		 sync_mode == DB_SYNC_EACH ? "FULL" : "NORMAL", WAL_KEEP_BYTES,
		 background_checkpoints ? " PRAGMA wal_autocheckpoint=0;" : "");
	rc = sqlite3_exec(db, setup, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up database \"%s\": %s", path,
			 msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sqlite3_close(db);
		return RC_ERROR;
	}
	if (background_checkpoints)
		sqlite3_wal_hook(db, wal_grown, NULL);
	*out = db;
	return RC_OK;
}

/* A connection one thread at a time uses (db.c's per-thread pool). */
static int sq_open(const char *url, void **out, char *err, size_t errlen)
{
	return open_with(url, SQLITE_OPEN_NOMUTEX, out, err, errlen);
}

/*
 * The writer: one thread at a time writes through it (db.c's write lock),
 * but a statement may be reset by a thread after the lock has moved on, so
 * SQLite's own mutex guards each call (an uncontended lock, ~20 ns).
 */
static int sq_open_writer(const char *url, void **out, char *err, size_t errlen)
{
	return open_with(url, SQLITE_OPEN_FULLMUTEX, out, err, errlen);
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

static bool sq_stmt_writes(void *st)
{
	return !sqlite3_stmt_readonly(st);
}

/* What db.c's group commit needs: a commit was made without syncing. */
static bool sq_needs_log_sync(void)
{
	return sync_mode == DB_SYNC_FULL;
}

/*
 * fsync the WAL through this connection's own handle of it: an fsync
 * flushes the file, whichever descriptor wrote it, so the commits other
 * connections finished before this call are on the disk after it too.
 */
static int sq_sync_log(void *conn)
{
	const char *file = sqlite3_db_filename(conn, "main");
	if (!file || !*file)
		return RC_OK;	/* a database in memory: nothing to put on a disk */
	sqlite3_file *wal = NULL;
	int rc = sqlite3_file_control(conn, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
	if (rc == SQLITE_OK && wal && !wal->pMethods) {
		/* a connection that has not read yet (its thread only wrote, on
		 * db.c's writer) opens the WAL with its first read, and keeps it */
		rc = sqlite3_exec(conn, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_file_control(conn, "main", SQLITE_FCNTL_JOURNAL_POINTER,
						  &wal);
	}
	if (rc != SQLITE_OK || !wal || !wal->pMethods)
		return RC_ERROR;
	return map_err(conn, wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL));
}

/*
 * fsync the database file: a PASSIVE checkpoint copies pages into it
 * without syncing (SQLite syncs only once the whole WAL is in), so a
 * RESTART would otherwise sync every page the passive passes copied,
 * with every writer waiting.
 */
static int sq_sync_data(void *conn)
{
	sqlite3_file *db = NULL;
	int rc = sqlite3_file_control(conn, "main", SQLITE_FCNTL_FILE_POINTER, &db);
	if (rc != SQLITE_OK || !db || !db->pMethods)
		return RC_ERROR;
	return map_err(conn, db->pMethods->xSync(db, SQLITE_SYNC_NORMAL));
}

/*
 * One checkpoint: PASSIVE copies what no reader still needs into the
 * database without waiting; RESTART (the caller holds the write lock)
 * waits for the readers of the WAL's older frames, so the next commit
 * starts the WAL over, and journal_size_limit cuts it back. frames: the
 * WAL's frames before, and how many are now in the database.
 */
static int sq_checkpoint(void *conn, bool restart, int64_t *frames, int64_t *copied)
{
	int log = 0, done = 0;
	if (restart)
		sqlite3_busy_handler(conn, restart_wait, NULL);
	int rc = sqlite3_wal_checkpoint_v2(conn, "main",
					   restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE,
					   &log, &done);
	if (restart)
		sqlite3_busy_handler(conn, busy_wait, NULL);
	*frames = log;
	*copied = done;
	return map_err(conn, rc);
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
	.open_writer = sq_open_writer,
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
	.stmt_writes = sq_stmt_writes,
	.needs_log_sync = sq_needs_log_sync,
	.sync_log = sq_sync_log,
	.checkpoint = sq_checkpoint,
	.sync_data = sq_sync_data,
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
	/* one snapshot and one round of file locks for all of a request's reads */
	.read_begin_sql = "BEGIN",
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
