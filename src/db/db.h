/*
 * db.h - the only database API Servio has: one small portable layer over
 * SQLite (sqlite.c) and, later, PostgreSQL (pg.c). Domain code writes
 * portable SQL with "?" placeholders; dialect differences live in the
 * drivers and are reached through the functions below.
 *
 * Connections: a struct db is one connection, used by one thread at a time.
 * db_pool_get() hands each thread its own connection, opened on first use
 * and closed when the thread exits (the HTTP server's worker threads each
 * hold one).
 *
 * Statements: db_prepare() returns a statement cached on the connection by
 * its SQL text; db_done() resets it for the next caller. Statement text is
 * built only from constant strings (the resource tables), never from input;
 * every value is bound.
 *
 * Results (core/result.h): RC_OK, RC_ROW or RC_DONE on success, and a
 * negative result on failure: RC_ERROR (logged), RC_CONSTRAINT, RC_FULL
 * (logged) when there is no room left to write (SQLite: SQLITE_FULL, or an
 * I/O error from ENOSPC, EDQUOT or EFBIG; PostgreSQL: SQLSTATE 53100
 * disk_full), or RC_RETRY when the operation lost a race (SQLite busy,
 * PostgreSQL serialization failure or deadlock) and the whole transaction
 * may be tried again; db_txn() does that.
 */
#ifndef SERVIO_DB_H
#define SERVIO_DB_H

#include "core/result.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

/*
 * Opens a connection. url: "sqlite:PATH", a plain file path, or
 * "postgres://…". Returns RC_OK and sets *out, or RC_ERROR with a
 * message in err.
 */
int db_connect(const char *url, struct db **out, char *err, size_t errlen);
/* Another connection to db's database, for another thread. */
int db_connect_again(const struct db *db, struct db **out, char *err, size_t errlen);
void db_disconnect(struct db *db);

/* "sqlite" or "postgres". */
const char *db_dialect(const struct db *db);
/* The last error message on this connection ("" when none). */
const char *db_errmsg(struct db *db);

/* Runs SQL text with no parameters and no result (may hold several statements). */
int db_exec(struct db *db, const char *sql);

/* Returns a ready statement (cached by SQL text), or NULL (logged). */
struct db_stmt *db_prepare(struct db *db, const char *sql);
/*
 * db_prepare for text that lives and stays the same as long as the
 * process (a constant, or the engine's per-resource SQL): found again by
 * its address, without hashing and comparing the text.
 */
struct db_stmt *db_prepare_kept(struct db *db, const char *sql);
/* Parameters are numbered from 1. */
int db_bind_int(struct db_stmt *st, int idx, int64_t v);
int db_bind_text(struct db_stmt *st, int idx, const char *v);	/* NULL binds NULL */
int db_bind_null(struct db_stmt *st, int idx);
/* RC_ROW, RC_DONE or a negative result. */
int db_step(struct db_stmt *st);
/* Columns are numbered from 0; text is valid until the next step or done. */
int db_col_count(struct db_stmt *st);
bool db_col_null(struct db_stmt *st, int col);
int64_t db_col_int(struct db_stmt *st, int col);
const char *db_col_text(struct db_stmt *st, int col);	/* NULL for SQL NULL */
const char *db_col_name(struct db_stmt *st, int col);
/* Resets the statement and clears its bindings; always call when done. */
void db_done(struct db_stmt *st);
/* Rows changed by the last INSERT/UPDATE/DELETE on this connection. */
int64_t db_changes(struct db *db);

/*
 * Convenience for one-shot statements: binds args described by fmt
 * ('i' int64_t, 's' const char * or NULL, 'n' NULL), steps once, and
 * returns RC_ROW (the statement is left open: read columns, then
 * db_done) or RC_DONE (already done) or a negative result (done).
 */
int db_run(struct db *db, struct db_stmt **out, const char *sql, const char *fmt, ...);

/*
 * db_run for a write whose answer its caller does not wait for (an audit
 * entry, an event, a history line): in a transaction on PostgreSQL it is
 * sent at once and its answer read with the next statement's (a pipeline),
 * so that a run of them costs no round trip of its own. RC_DONE once
 * sent; a failure is returned by the next statement and by the commit,
 * and fails the transaction. Elsewhere it is db_run. No rows, no
 * db_changes: use db_run for those.
 */
int db_run_later(struct db *db, const char *sql, const char *fmt, ...);
/* The same for a statement prepared and bound by the caller (then db_done it). */
int db_step_later(struct db_stmt *st);

/*
 * The id the next row of table (an identity column "id") may be written
 * with, taken ahead in this transaction, so that a write need not read
 * its row back for it (and can be sent ahead: db_run_later): RC_OK and
 * *id, or a failure. Ids are taken a few at a time (1, 2, 4 … up to 64 a
 * statement) and those a transaction leaves are not used; in order within
 * a transaction, as a sequence gives them. db_ids_ahead says whether the
 * backend can (PostgreSQL); on SQLite, a row's id is known only once
 * written.
 */
bool db_ids_ahead(const struct db *db);
int db_next_id(struct db *db, const char *table, int64_t *id);

/*
 * db_txn for a transaction that locks every row it writes as it reads it
 * (each SELECT of them ends with db_for_update: " FOR UPDATE" on
 * PostgreSQL, "" on SQLite, whose writers take turns), and so needs no
 * more: on PostgreSQL it runs at REPEATABLE READ, not SERIALIZABLE, whose
 * predicate locks (promoted to a whole table past a few of its pages)
 * would fail such transactions over distinct rows running side by side.
 * A row another transaction changed since is a lost race (RC_RETRY),
 * retried as by db_txn. Its other reads see the snapshot it began with.
 */
int db_txn_locking(struct db *db, int (*fn)(struct db *db, void *arg), void *arg);
const char *db_for_update(const struct db *db);

/* Transactions. db_begin takes the write lock up front (SQLite IMMEDIATE). */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
bool db_in_txn(const struct db *db);

/*
 * From now on every transaction db_commit ends on this connection runs sql
 * (one integer parameter, param) just before its COMMIT, so that what sql
 * writes is committed exactly when some of the caller's work is: a crash
 * can leave both or neither. A failure of sql rolls the transaction back.
 * NULL sql stops it. sql must stay valid until then (a literal).
 */
void db_set_commit_mark(struct db *db, const char *sql, int64_t param);

/*
 * Runs fn inside a transaction, retrying the whole of it (with jittered
 * backoff, up to a limit) while fn or the commit returns RC_RETRY.
 * fn returns RC_OK to commit, anything else to roll back; that value is
 * returned. An allocation refused on this thread while fn ran
 * (alloc_failures) rolls back too, with RC_ERROR, even when fn absorbed it:
 * a write is whole or not made.
 */
int db_txn(struct db *db, int (*fn)(struct db *db, void *arg), void *arg);

/*
 * Full-text search, one interface over FTS5 and tsvector. db_fts_query
 * turns user text into the parameter of the fragments below (heap string,
 * caller xfree()s), or NULL when the text holds no words: every word must
 * match, the last one as a prefix (as it is being typed), the others
 * whole. table (NULL: none) is the searched table, whose index may spell
 * out the words the prefix stands for. db_fts_where appends to sql a WHERE
 * fragment with one "?" for it that restricts "id" of table to matching
 * rows (the table's search index comes from its migration), for a list in
 * id order that stops at its page. db_fts_among appends the same
 * condition for a list in another order, which reads every match to sort
 * them: on PostgreSQL it names the matches by their row address, one heap
 * fetch each, where an id costs a walk down the primary key first.
 */
struct buf;
char *db_fts_query(struct db *db, const char *table, const char *text);
int db_fts_where(struct db *db, const char *table, struct buf *sql);
int db_fts_among(struct db *db, const char *table, struct buf *sql);
/*
 * A search in id order (newest first) reads a window of rows first, then,
 * when that did not fill the page, the rest (see resource_list).
 * db_fts_bound finds the window's end past *after (NULL: from the start),
 * newest first when desc: the id of the skip-th match on SQLite (FTS5
 * hands out its matches in id order) or of the skip-th row on PostgreSQL
 * (a GIN index cannot): RC_ROW with *bound, RC_DONE when there are not
 * that many, or an error. Where the index leads (db_fts_drives: SQLite)
 * db_fts_drive appends a FROM source with one "?" for the query: table's
 * matching rows, named table, with the match's id as fts.fts_id (ORDER BY
 * it to read the index in order). db_fts_test appends a condition with
 * one "?" that tests the current row of table against the query, keeping
 * the index out of the plan: the way to go along another order.
 */
bool db_fts_drives(const struct db *db);
int db_fts_drive(struct db *db, const char *table, struct buf *sql);
int db_fts_test(struct db *db, const char *table, struct buf *sql);
int db_fts_bound(struct db *db, const char *table, const char *fts, bool desc,
		 const int64_t *after, int64_t skip, int64_t *bound);
/*
 * "More like this": db_fts_any_query joins the words of text as
 * alternatives, any of which may match (heap string, caller xfree()s;
 * NULL when there are no words), and db_fts_ranked appends to sql a
 * subquery "(SELECT id, score ...)" over table's matching rows with one
 * "?" for that parameter; a higher score is a better match (bm25 on
 * SQLite, ts_rank on PostgreSQL). Alias it and join it to the table.
 */
char *db_fts_any_query(struct db *db, const char *text);
int db_fts_ranked(struct db *db, const char *table, struct buf *sql);

/*
 * The clause that makes "SELECT … LIMIT n" claim rows that concurrent
 * claimers skip: " FOR UPDATE SKIP LOCKED" on PostgreSQL, "" on SQLite
 * (whose write transactions are serialized anyway). Append it last.
 */
const char *db_skip_locked(const struct db *db);

/*
 * Reading an outbox in commit order. A table whose txid column defaults to
 * the writing transaction (events, see migration 0014: pg_current_xact_id()
 * on PostgreSQL, 0 on SQLite) is read in (txid, id) order; this is a WHERE
 * condition true only of rows whose transaction has ended, so that no row
 * can still appear before the last one read. PostgreSQL: txid below the
 * snapshot's xmin; SQLite, whose writers commit one at a time in id order:
 * always true.
 */
const char *db_txid_ended(const struct db *db);
/*
 * The SQL expression of the current transaction's txid, as a txid column's
 * default writes it ("0" on SQLite). A txid above it came from another
 * database (servio copy): see webhooks/dispatch.c.
 */
const char *db_txid_now(const struct db *db);

/*
 * A consistent online backup of the whole database into a new file at
 * path, while others go on writing (SQLite). Returns RC_OK, or RC_ERROR
 * with a message in err (PostgreSQL: use pg_dump).
 */
int db_backup(struct db *db, const char *path, char *err, size_t errlen);

/*
 * Copies every table of from into to, which must be migrated to the same
 * schema version and empty. Then compares row counts and a SHA-256 per
 * table over every row in id order. Returns RC_OK, or RC_ERROR with a
 * message in err. verbose prints a line per table to stdout.
 */
int db_copy(struct db *from, struct db *to, bool verbose, char *err, size_t errlen);

/*
 * The checksum db_copy compares: SHA-256 (hex) over the table's rows in
 * key order, each column as text or NULL, plus the row count.
 */
int db_table_checksum(struct db *db, const char *table, char hex[65], int64_t *rows);

/*
 * The tables of the schema, read from the database: ours only (not SQLite's
 * own, the full-text index tables, or tables a PostgreSQL extension owns),
 * parents before children by their foreign keys and otherwise by name.
 * Where tables refer to each other in a circle, so that no order puts
 * every parent first, the circle's table that waits for the fewest others
 * comes first. On RC_OK *tables is a NULL-terminated heap array of heap
 * strings that the caller frees with db_table_list_free(); on failure
 * *tables is not written and db_errmsg() says why.
 */
int db_table_list(struct db *db, char ***tables);
/* Frees a list from db_table_list() and its strings; NULL is fine. */
void db_table_list_free(char **tables);

/*
 * Room to write. Any RC_FULL (a statement, BEGIN or COMMIT, on any
 * connection of the process) marks the database full; a write that is kept
 * afterwards (a commit, or a statement outside a transaction, that changed
 * rows) clears the mark. db_full() reads it: what /healthz reports without
 * writing itself. db_full_seen() says whether this thread met RC_FULL since
 * its db_full_seen_reset() (the API resets it as each request starts, so a
 * failure it could not name is answered as "no room" when that was why).
 */
bool db_full(void);
bool db_full_seen(void);
void db_full_seen_reset(void);
/*
 * A real write to learn whether there is room: the one row of write_probes
 * rewritten and committed (which sets or clears db_full's mark as any write
 * does). now: the time to write (RFC 3339). RC_OK, RC_FULL or a failure.
 */
int db_write_probe(struct db *db, const char *now);

/*
 * SQLite's durability for the connections opened after the call (call
 * before any thread opens one). DB_SYNC_FULL, the default: every commit is
 * on the disk before it is answered, with one fsync of the WAL shared by
 * the commits that finish together (group commit). DB_SYNC_NORMAL: no
 * fsync per commit, faster, and a power cut may lose the last commits (not
 * the database's consistency). DB_SYNC_EACH: SQLite's synchronous=FULL, an
 * fsync inside every COMMIT, one writer after the other (as durable as
 * FULL; kept to measure what group commit saves).
 */
enum db_sync { DB_SYNC_FULL, DB_SYNC_NORMAL, DB_SYNC_EACH };
void db_sqlite_synchronous(enum db_sync mode);

/*
 * One writer at a time. On SQLite a transaction (db_begin to its commit or
 * rollback), or a statement that writes outside one, holds the process's
 * write lock, so writers of this process queue there and wake at once
 * instead of sleeping in SQLite's busy handler. db_sqlite_busy_waits()
 * counts the busy handler's sleeps (waits for other processes' locks).
 * db_log_syncs() counts the WAL fsyncs of group commit (each makes every
 * commit finished before it durable); db_commits_synced() the commits
 * that waited for one.
 */
unsigned long db_sqlite_busy_waits(void);
/*
 * A reply that waits for its commits' sync off its thread (SQLite's FULL:
 * the HTTP thread goes on to other connections while the WAL syncs).
 * Between db_sync_defer_begin and db_sync_defer_end, a commit of this
 * thread that needs a sync returns without waiting for it (it is counted
 * in db_commits_synced all the same); db_sync_defer_end returns the number
 * the thread's commits wait for, 0 when none does. db_synced says whether
 * they are durable; db_sync_wait(db, n) waits for that on any thread, as
 * a commit would have: RC_OK, or the sync's failure (nothing then says the
 * commits are on the disk). Nothing to wait for on PostgreSQL.
 */
void db_sync_defer_begin(void);
uint64_t db_sync_defer_end(void);
bool db_synced(uint64_t upto);
int db_sync_wait(struct db *db, uint64_t upto);

/*
 * A request's reads in one transaction (SQLite: one snapshot, one round of
 * file locks instead of one per statement; a no-op on PostgreSQL). A write
 * or db_begin ends it first (the write commits on its own, as without it),
 * and so does db_exec. db_read_end ends it, if it is still open.
 */
int db_read_begin(struct db *db);
void db_read_end(struct db *db);
unsigned long db_log_syncs(void);
unsigned long db_commits_synced(void);

/*
 * Checkpoints off the request path (SQLite; a no-op elsewhere). Call
 * db_checkpointer_start before threads open their connections: those
 * connections then never checkpoint in a commit, and a thread of its own
 * runs db_checkpoint_pass every CHECKPOINT_MS (100 ms), and at once when a
 * commit leaves 16 MiB in the WAL. A pass copies into the database what no
 * reader still needs (PASSIVE); when the WAL has grown past 16 MiB it
 * takes the write lock and waits for the WAL's readers (RESTART, a short
 * wait: readers are quick), so the next commit starts the WAL over (and
 * journal_size_limit cuts a file grown past 48 MiB back to that).
 * db_checkpointer_stop ends the thread (a last pass first).
 */
int db_checkpointer_start(const char *url, char *err, size_t errlen);
void db_checkpointer_stop(void);
int db_checkpoint_pass(struct db *db);
/* Used by db_checkpointer_start; tests call it to turn autocheckpoints off. */
void db_sqlite_background_checkpoints(bool on);

/* Per-thread connections. Set the URL once before threads start. */
void db_pool_init(const char *url);
/* This thread's connection, opened on first use; NULL (logged) on failure. */
struct db *db_pool_get(void);
/* Closes this thread's connection now (also done at thread exit). */
void db_pool_release(void);

/*
 * Human numbers: the next value of a counter named in db_counters (1, 2,
 * …; unique, never reused, not gapless: a rolled-back transaction may use
 * one up). Callable inside a transaction. Returns RC_OK or a failure.
 */
int db_next_number(struct db *db, const char *counter, int64_t *value);
/*
 * Numbers that must have no gaps (invoices, credit notes): the counter's
 * next value in the caller's transaction, from a row of the counters table
 * that the transaction holds until it ends (so a rollback gives the number
 * back and concurrent callers wait or retry). Returns RC_OK or a failure.
 */
int db_next_gapless(struct db *db, const char *counter, int64_t *value);
/* The counters, NULL-terminated: "tickets". */
extern const char *const db_counters[];

/*
 * Schema: the migrations in src/db/migrations/, embedded at build time.
 * Applies the pending ones in order, one transaction each; several servers
 * may run it at once. A file whose markers do not read stops it before any
 * migration runs. On failure db_errmsg() says why (the failed migration
 * left nothing behind; those before it stay applied).
 */
int db_migrate(struct db *db, bool verbose);
/* Current schema version and the newest this program knows. */
int db_schema_version(struct db *db, int *current, int *latest);
/*
 * The SQL one migration file runs as on dialect ("sqlite" or "postgres"),
 * by the markers of src/db/migrations/README.md: the lines of its "-- @all"
 * sections and of that dialect's, with @ID_PK@ replaced by the dialect's
 * primary key type and each "-- @fts" line expanded into the dialect's
 * full-text index. Appends to out, which must be empty, and leaves it
 * empty when the file has only comments for that dialect. Returns RC_OK,
 * or RC_ERROR with a message naming the line in err (out then holds a part
 * to throw away).
 */
int db_migration_sql(const char *dialect, const char *text, struct buf *out, char *err,
		     size_t errlen);

#endif
