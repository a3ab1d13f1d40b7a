/*
 * driver.h - what a database driver provides to db.c. Internal to db/.
 *
 * A driver turns portable SQL into its dialect at prepare time (the
 * PostgreSQL driver numbers the "?" placeholders) and maps its error codes
 * onto enum result. db.c owns the statement cache, transactions and retry.
 */
#ifndef SERVIO_DB_DRIVER_H
#define SERVIO_DB_DRIVER_H

#include "db.h"

#include "core/buf.h"

struct db_driver {
	const char *name;	/* "sqlite", "postgres" */
	/* Column type for an integer primary key that numbers itself. */
	const char *id_pk;
	int (*open)(const char *url, void **conn, char *err, size_t errlen);
	void (*close)(void *conn);
	const char *(*errmsg)(void *conn);
	int (*exec)(void *conn, const char *sql);
	int (*prepare)(void *conn, const char *sql, void **stmt);
	void (*finalize)(void *stmt);
	int (*bind_int)(void *stmt, int idx, int64_t v);
	int (*bind_text)(void *stmt, int idx, const char *v);
	int (*bind_null)(void *stmt, int idx);
	int (*step)(void *stmt);
	/*
	 * A write in a transaction whose answer may come later (db_run_later):
	 * RC_DONE once sent, its failure returned by a later step or exec;
	 * NULL when the backend has no such thing (step is used).
	 */
	int (*step_later)(void *stmt);
	int (*col_count)(void *stmt);
	bool (*col_null)(void *stmt, int col);
	int64_t (*col_int)(void *stmt, int col);
	const char *(*col_text)(void *stmt, int col);
	const char *(*col_name)(void *stmt, int col);
	void (*reset)(void *stmt);
	int64_t (*changes)(void *conn);
	/* Rows changed by INSERT/UPDATE/DELETE since the connection opened. */
	int64_t (*total_changes)(void *conn);
	/*
	 * One writer at a time (SQLite): stmt_writes says a statement may
	 * write, so db.c takes the process's write lock for it outside a
	 * transaction; NULL when the backend lets writers work side by side.
	 */
	bool (*stmt_writes)(void *stmt);
	/*
	 * The connection every write transaction of the process uses, in turn
	 * (db.c's writer): like open, but safe to call from any thread, as a
	 * statement may be reset by its thread after the lock has moved on.
	 */
	int (*open_writer)(const char *url, void **conn, char *err, size_t errlen);
	/*
	 * Group commit: needs_log_sync says commits are made without an fsync
	 * that durability wants; sync_log makes every commit finished so far
	 * durable. NULL when the backend syncs its own commits.
	 */
	bool (*needs_log_sync)(void);
	int (*sync_log)(void *conn);
	/*
	 * A checkpoint (db_checkpoint_pass); NULL when the backend has its own.
	 * sync_data puts on the disk what checkpoints have copied so far.
	 */
	int (*checkpoint)(void *conn, bool restart, int64_t *frames, int64_t *copied);
	int (*sync_data)(void *conn);
	/* Online backup to a file; NULL when the backend has its own tools. */
	int (*backup)(void *conn, const char *path, char *err, size_t errlen);
	/* SQL run after copying rows into table (to move an identity past them), or NULL. */
	const char *after_copy_sql;
	/* Suffix for a SELECT that claims rows other workers skip ("" if writers serialize). */
	const char *skip_locked;
	/* A condition true of the rows whose txid column names an ended transaction (db_txid_ended). */
	const char *txid_ended;
	/* The expression of the current transaction's txid (db_txid_now). */
	const char *txid_now;
	/* Taken around all of db_migrate to serialize migrators, or NULL. */
	const char *migrate_lock_sql, *migrate_unlock_sql;
	/*
	 * The schema, for db_table_list: tables_sql gives the names of our
	 * tables (no internal, full-text index or extension tables), one a
	 * row; foreign_keys_sql the (child, parent) table of every foreign key.
	 */
	const char *tables_sql;
	const char *foreign_keys_sql;
	/* Run first in db_copy's transaction so rows may refer forward. */
	const char *defer_constraints_sql;
	/* A failed COMMIT has already ended the transaction (no ROLLBACK after). */
	bool commit_failure_ends_txn;
	/* BEGIN that takes the write lock. */
	const char *begin_sql;
	/*
	 * BEGIN of db_txn_locking's transactions, whose reads of the rows
	 * they write lock them (for_update), or NULL (begin_sql).
	 */
	const char *begin_locking_sql;
	const char *for_update;
	/* BEGIN of a read transaction for db_read_begin, or NULL (not worth it). */
	const char *read_begin_sql;
	/*
	 * Appends the WHERE fragment matching table.id against one "?"; and
	 * the one for a list that reads every match (db_fts_among), or NULL:
	 * fts_where serves.
	 */
	int (*fts_where)(const char *table, struct buf *sql);
	int (*fts_among)(const char *table, struct buf *sql);
	/*
	 * A search in id order: the FROM source where the index leads
	 * (db_fts_drive), or NULL; the test of the current row (db_fts_test);
	 * the SQL of db_fts_bound (%s: table, table, "<" or ">", "DESC" or
	 * "ASC"; params: the query when fts_bound_matches, after, skip).
	 */
	int (*fts_drive)(const char *table, struct buf *sql);
	int (*fts_test)(const char *table, struct buf *sql);
	const char *fts_bound_sql;
	bool fts_bound_matches;
	/*
	 * Human numbers (db_next_number). next_number_sql returns the next
	 * value of counter %s. With sequences (PostgreSQL: no hot row for
	 * serializable transactions to fight over), counters_save_sql writes a
	 * sequence's position into the counters table and counters_load_sql
	 * sets the sequence from it, so a copy carries the position; both NULL
	 * when the counters table itself is the truth (SQLite). Every %s is the
	 * counter's name.
	 */
	const char *next_number_sql;
	const char *counters_save_sql;
	const char *counters_load_sql;
	/*
	 * Ids taken ahead (db_next_id): the next ? values of the sequence
	 * that numbers table %s, in order, one a row; NULL when a row's id is
	 * only known once it is written (SQLite).
	 */
	const char *next_ids_sql;
	/*
	 * How db_fts_query spells a query: each word as quote + word + quote,
	 * joined by and; the last word's prefix as quote + word + quote +
	 * prefix, or, when fts_terms_sql is given, as the words of the index
	 * it stands for joined by or, in brackets. fts_terms_sql (%s: the
	 * table) lists the index's words from a word to before another, in
	 * order (params: from, before, most).
	 */
	const char *fts_quote, *fts_and, *fts_or, *fts_prefix;
	const char *fts_terms_sql;
	/*
	 * Folds user text (param) as the index does before its words are
	 * split out, or NULL: PostgreSQL's unaccent turns "«" into "<<" and
	 * "’" into "'", which must not reach to_tsquery as syntax; FTS5's
	 * tokenizer folds a quoted word itself.
	 */
	const char *fts_fold_sql;
	/* "More like this" (db_fts_ranked): the ranked ids. */
	int (*fts_ranked)(const char *table, struct buf *sql);
};

/* Sets the message db_errmsg() returns for an error of the layer itself
 * (not the driver's), until the next db_exec, db_prepare or db_txn. */
void db_fail(struct db *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * SQLite: connections opened with background checkpoints call fn after a
 * commit that leaves `frames` or more in the WAL (db.c wakes its
 * checkpointer). Set before they open.
 */
void sqlite_checkpoint_nudge(void (*fn)(void), int frames);

extern const struct db_driver db_sqlite_driver;
extern const struct db_driver db_pg_driver;

#endif
