/*
 * pg.c - the PostgreSQL driver (libpq). Portable "?" placeholders become
 * $1…$n at prepare time; values travel as text and PostgreSQL infers
 * their types from the statement. Serialization failures (40001) and
 * deadlocks (40P01) are retryable; integrity violations (class 23) are
 * constraint errors; disk_full (53100) is RC_FULL. Transactions are SERIALIZABLE, so the same code that
 * is correct on SQLite (which serializes writers) is correct here.
 *
 * Full-text search uses a generated tsvector column "search_vector" with
 * a GIN index on each searchable table (see migrate.c).
 */
#include "driver.h"

#include "core/alloc.h"
#include "core/buf.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL's own limit on the parameters of one statement */
#define MAX_PARAMS 65535

/* Writes sent ahead (pg_step_later) before their answers are read: a bound on what waits */
#define MAX_QUEUED 128

struct pg_conn {
	PGconn *conn;
	char *error;		/* last error message (heap) */
	unsigned long next_name;
	int64_t changes;
	int64_t total_changes;	/* rows INSERTed, UPDATEd or DELETEd since opened */
	int queued;		/* writes sent ahead whose answers are not read yet */
	int failed;		/* how one of them failed (RC_*), until the transaction ends */
};

struct pg_stmt {
	struct pg_conn *pc;
	char name[24];
	int nparams;
	PGresult *res;
	int row;		/* next row to return */
	int nrows;
	bool executed;
	char *text;		/* the SQL until the server has prepared it (pg_prepare) */
	char *values[];		/* nparams bound values, NULL for NULL */
};

static void set_error(struct pg_conn *pc, const char *msg)
{
	xfree(pc->error);
	pc->error = xstrdup(msg ? msg : "");
	if (pc->error) {
		size_t n = strlen(pc->error);
		while (n && (pc->error[n - 1] == '\n' || pc->error[n - 1] == ' '))
			pc->error[--n] = '\0';
	}
}

static int map_result(struct pg_conn *pc, PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return RC_OK;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	set_error(pc, PQresultErrorMessage(res));
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
		return RC_RETRY;
	if (state && strncmp(state, "23", 2) == 0)
		return RC_CONSTRAINT;
	/* the rest of class 53 (memory, connections, limits) is not want of room */
	if (state && strcmp(state, "53100") == 0)
		return RC_FULL;
	return RC_ERROR;
}

/* The rows a statement's answer says it changed, counted as pg_step does. */
static void count_changes(struct pg_conn *pc, PGresult *res)
{
	const char *tuples = PQcmdTuples(res);
	pc->changes = tuples && *tuples ? strtoll(tuples, NULL, 10) : 0;
	const char *cmd = PQcmdStatus(res);
	if (cmd && (strncmp(cmd, "INSERT", 6) == 0 || strncmp(cmd, "UPDATE", 6) == 0 ||
		    strncmp(cmd, "DELETE", 6) == 0 || strncmp(cmd, "MERGE", 5) == 0))
		pc->total_changes += pc->changes;
}

/*
 * Ends the pipeline of writes sent ahead: a sync, then their answers in
 * order, and when st is given, the answer of st, sent last into the same
 * pipeline (so that the writes cost no round trip of their own). The
 * first failure is kept in pc->failed until the transaction ends
 * (PostgreSQL skips the rest of the pipeline and the transaction is
 * aborted) and returned. st's own result is left in st->res.
 */
static int drain(struct pg_conn *pc, struct pg_stmt *st)
{
	int rc = RC_OK;
	bool synced = PQpipelineSync(pc->conn);
	if (!synced) {
		set_error(pc, PQerrorMessage(pc->conn));
		rc = RC_ERROR;
	}
	int answers = pc->queued + (st ? 1 : 0), at = 0, nulls = 0;
	pc->queued = 0;
	/* a NULL ends each statement's answer; the sync's PGRES_PIPELINE_SYNC ends them all */
	while (synced) {
		PGresult *res = PQgetResult(pc->conn);
		if (!res) {
			if (++nulls > 1 || ++at > answers) {
				if (rc == RC_OK) {
					set_error(pc, "PostgreSQL's answers to a pipeline ended early");
					rc = RC_ERROR;
				}
				break;
			}
			continue;
		}
		nulls = 0;
		ExecStatusType s = PQresultStatus(res);
		if (s == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (st && at == answers - 1 && !st->res) {
			st->res = res;	/* st's answer: pg_step maps it */
			continue;
		}
		int r = s == PGRES_PIPELINE_ABORTED ? RC_OK : map_result(pc, res);
		if (r == RC_OK)
			count_changes(pc, res);
		else if (rc == RC_OK)
			rc = r;
		PQclear(res);
	}
	if (PQpipelineStatus(pc->conn) != PQ_PIPELINE_OFF && !PQexitPipelineMode(pc->conn) &&
	    rc == RC_OK) {
		set_error(pc, PQerrorMessage(pc->conn));
		rc = RC_ERROR;
	}
	if (rc != RC_OK && !pc->failed)
		pc->failed = rc;
	return rc;
}

/* Before a statement that waits for its answer: the answers of the writes sent ahead. */
static int settle(struct pg_conn *pc)
{
	return pc->queued ? drain(pc, NULL) : RC_OK;
}

static int pg_open(const char *url, void **out, char *err, size_t errlen)
{
	struct pg_conn *pc = xcalloc(1, sizeof(*pc));
	if (!pc) {
		snprintf(err, errlen, "cannot connect to PostgreSQL: out of memory");
		return RC_ERROR;
	}
	pc->conn = PQconnectdb(url);
	if (PQstatus(pc->conn) != CONNECTION_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(pc->conn));
		size_t n = strlen(msg);
		while (n && msg[n - 1] == '\n')
			msg[--n] = '\0';
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", msg);
		PQfinish(pc->conn);
		xfree(pc);
		return RC_ERROR;
	}
	PGresult *res = PQexec(pc->conn, "SET client_min_messages = warning;"
					 "SET TIME ZONE 'UTC'");
	int rc = map_result(pc, res);
	PQclear(res);
	if (rc != RC_OK) {
		snprintf(err, errlen, "cannot set up PostgreSQL session: %s", pc->error);
		PQfinish(pc->conn);
		xfree(pc->error);
		xfree(pc);
		return RC_ERROR;
	}
	*out = pc;
	return RC_OK;
}

static void pg_close(void *conn)
{
	struct pg_conn *pc = conn;
	PQfinish(pc->conn);
	xfree(pc->error);
	xfree(pc);
}

static const char *pg_errmsg(void *conn)
{
	struct pg_conn *pc = conn;
	return pc->error ? pc->error : "";
}

static int pg_exec(void *conn, const char *sql)
{
	struct pg_conn *pc = conn;
	settle(pc);
	PGresult *res = PQexec(pc->conn, sql);
	int rc = map_result(pc, res);
	/* a COMMIT of a transaction a statement failed in is PostgreSQL's ROLLBACK: a failure */
	if (rc == RC_OK && strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		rc = pc->failed ? pc->failed : RC_ERROR;
		if (!pc->failed)
			set_error(pc, "the transaction was rolled back: a statement in it failed");
	}
	PQclear(res);
	if (PQtransactionStatus(pc->conn) == PQTRANS_IDLE)
		pc->failed = RC_OK;
	return rc;
}

/* "?" -> "$n", leaving quoted strings and identifiers alone. */
static char *number_placeholders(const char *sql, int *count)
{
	struct buf b;
	buf_init(&b, 1024 * 1024);
	int n = 0;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			buf_addch(&b, *p);
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			buf_addch(&b, *p);
		} else if (*p == '?') {
			buf_addf(&b, "$%d", ++n);
		} else {
			buf_addch(&b, *p);
		}
	}
	*count = n;
	return buf_take(&b);
}

/* A write sent ahead failed and the transaction is still open: PostgreSQL refuses the rest. */
static bool aborted(struct pg_conn *pc)
{
	return pc->failed && PQtransactionStatus(pc->conn) == PQTRANS_INERROR;
}

/* The server's half of a prepare; with no pipeline open. */
static int prepare_now(struct pg_stmt *st)
{
	PGresult *res = PQprepare(st->pc->conn, st->name, st->text, 0, NULL);
	int rc = map_result(st->pc, res);
	PQclear(res);
	if (rc == RC_OK) {
		xfree(st->text);
		st->text = NULL;
	}
	return rc;
}

/*
 * Ready to run: prepared on the server if it was not (after the answers
 * to the writes sent ahead), or the failure of the transaction it is in:
 * PostgreSQL would only say that the transaction has failed.
 */
static int ready(struct pg_stmt *st)
{
	struct pg_conn *pc = st->pc;
	if (st->text && !aborted(pc) && settle(pc) == RC_OK) {
		int rc = prepare_now(st);
		if (rc != RC_OK)
			return rc;
	}
	return aborted(pc) ? pc->failed : RC_OK;
}

/*
 * A statement, prepared on the server at once; or, when a write sent
 * ahead has failed the transaction (the server would refuse to prepare
 * it), at its first step, which returns that failure.
 */
static int pg_prepare(void *conn, const char *sql, void **out)
{
	struct pg_conn *pc = conn;
	int n;
	char *text = number_placeholders(sql, &n);
	if (!text || n > MAX_PARAMS) {
		xfree(text);
		set_error(pc, n > MAX_PARAMS ? "too many parameters" : "out of memory");
		return RC_ERROR;
	}
	struct pg_stmt *st = xcalloc(1, sizeof(*st) + (size_t)n * sizeof(st->values[0]));
	if (!st) {
		xfree(text);
		set_error(pc, "out of memory");
		return RC_ERROR;
	}
	st->pc = pc;
	st->nparams = n;
	st->text = text;
	snprintf(st->name, sizeof(st->name), "s%lu", ++pc->next_name);
	int rc = ready(st);
	if (aborted(pc))
		rc = RC_OK;	/* prepared at its first step, which reports the failure */
	if (rc != RC_OK) {
		xfree(st->text);
		xfree(st);
		return rc;
	}
	*out = st;
	return RC_OK;
}

static void clear_result(struct pg_stmt *st)
{
	if (st->res)
		PQclear(st->res);
	st->res = NULL;
	st->executed = false;
	st->row = st->nrows = 0;
}

static void pg_reset(void *stmt)
{
	struct pg_stmt *st = stmt;
	clear_result(st);
	for (int i = 0; i < st->nparams; i++) {
		xfree(st->values[i]);
		st->values[i] = NULL;
	}
}

static void pg_finalize(void *stmt)
{
	struct pg_stmt *st = stmt;
	pg_reset(st);
	if (st->text) {
		xfree(st->text);	/* never prepared on the server */
		xfree(st);
		return;
	}
	char sql[48];
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
	settle(st->pc);
	PGresult *res = PQexec(st->pc->conn, sql);
	PQclear(res);
	xfree(st);
}

static int set_param(struct pg_stmt *st, int idx, char *value)
{
	if (idx < 1 || idx > st->nparams) {
		xfree(value);
		set_error(st->pc, "parameter index out of range");
		return RC_ERROR;
	}
	xfree(st->values[idx - 1]);
	st->values[idx - 1] = value;
	return RC_OK;
}

static int pg_bind_int(void *stmt, int idx, int64_t v)
{
	char tmp[24];
	snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	char *s = xstrdup(tmp);
	return s ? set_param(stmt, idx, s) : RC_ERROR;
}

static int pg_bind_text(void *stmt, int idx, const char *v)
{
	if (!v)
		return set_param(stmt, idx, NULL);
	char *s = xstrdup(v);
	return s ? set_param(stmt, idx, s) : RC_ERROR;
}

static int pg_bind_null(void *stmt, int idx)
{
	return set_param(stmt, idx, NULL);
}

/* Sends st into the pipeline (entered if need be) without waiting for its answer. */
static int send_ahead(struct pg_stmt *st)
{
	struct pg_conn *pc = st->pc;
	if ((PQpipelineStatus(pc->conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(pc->conn)) ||
	    !PQsendQueryPrepared(pc->conn, st->name, st->nparams,
				 (const char *const *)st->values, NULL, NULL, 0)) {
		set_error(pc, PQerrorMessage(pc->conn));
		return RC_ERROR;
	}
	return RC_OK;
}

static int pg_step(void *stmt)
{
	struct pg_stmt *st = stmt;
	if (!st->executed) {
		struct pg_conn *pc = st->pc;
		st->executed = true;
		int rc = ready(st);
		if (rc == RC_OK && pc->queued) {
			/* the writes sent ahead and this statement: one round trip */
			rc = send_ahead(st);
			if (rc == RC_OK)
				rc = drain(pc, st);
			else
				drain(pc, NULL);
		} else if (rc == RC_OK) {
			st->res = PQexecPrepared(pc->conn, st->name, st->nparams,
						 (const char *const *)st->values, NULL, NULL, 0);
		}
		if (rc == RC_OK)
			rc = map_result(pc, st->res);
		if (rc != RC_OK) {
			PQclear(st->res);
			st->res = NULL;
			return rc;
		}
		st->nrows = PQntuples(st->res);
		st->row = 0;
		count_changes(pc, st->res);
		if (st->nrows)
			return RC_ROW;	/* row 0 is current */
		return RC_DONE;
	}
	if (st->row + 1 < st->nrows) {
		st->row++;
		return RC_ROW;
	}
	return RC_DONE;
}

/*
 * A write whose answer can wait, in a transaction: sent at once, its
 * answer read with the next statement's (or after MAX_QUEUED of them).
 * Its failure is that statement's, and the commit's.
 */
static int pg_step_later(void *stmt)
{
	struct pg_stmt *st = stmt;
	struct pg_conn *pc = st->pc;
	int rc = ready(st);
	if (rc != RC_OK)
		return rc;
	rc = send_ahead(st);
	if (rc != RC_OK) {
		drain(pc, NULL);
		return rc;
	}
	if (++pc->queued >= MAX_QUEUED)
		rc = drain(pc, NULL);
	return rc == RC_OK ? RC_DONE : rc;
}

static int pg_col_count(void *stmt)
{
	struct pg_stmt *st = stmt;
	return st->res ? PQnfields(st->res) : 0;
}

static bool pg_col_null(void *stmt, int col)
{
	struct pg_stmt *st = stmt;
	return !st->res || PQgetisnull(st->res, st->row, col);
}

static int64_t pg_col_int(void *stmt, int col)
{
	struct pg_stmt *st = stmt;
	if (pg_col_null(st, col))
		return 0;
	const char *v = PQgetvalue(st->res, st->row, col);
	if (v[0] == 't' && !v[1])
		return 1;	/* a boolean */
	if (v[0] == 'f' && !v[1])
		return 0;
	return strtoll(v, NULL, 10);
}

static const char *pg_col_text(void *stmt, int col)
{
	struct pg_stmt *st = stmt;
	if (pg_col_null(st, col))
		return NULL;
	return PQgetvalue(st->res, st->row, col);
}

static const char *pg_col_name(void *stmt, int col)
{
	struct pg_stmt *st = stmt;
	return st->res ? PQfname(st->res, col) : NULL;
}

static int64_t pg_changes(void *conn)
{
	struct pg_conn *pc = conn;
	return pc->changes;
}

static int64_t pg_total_changes(void *conn)
{
	struct pg_conn *pc = conn;
	return pc->total_changes;
}

/*
 * The planner cannot see how many rows a tsquery matches (with a prefix
 * term it guesses, badly), so the SQL leaves it no choice. Here the matches
 * are fetched through the GIN index once, then sorted or looked up: for a
 * rare word, or any word of a small table.
 */
static int pg_fts_where(const char *table, struct buf *sql)
{
	return buf_addf(sql, "%s.id = ANY(ARRAY(SELECT id FROM %s WHERE search_vector @@"
			     " to_tsquery('simple', servio_unaccent(?))))",
			table, table);
}

/* Each row tested against the query computed once; "IS TRUE" keeps the GIN index out */
static int pg_fts_test(const char *table, struct buf *sql)
{
	return buf_addf(sql, "(%s.search_vector @@ (SELECT to_tsquery('simple',"
			     " servio_unaccent(?)))) IS TRUE",
			table);
}

static int pg_fts_ranked(const char *table, struct buf *sql)
{
	return buf_addf(sql, "(SELECT %s.id, ts_rank(search_vector, fts_q) AS score FROM %s,"
			     " to_tsquery('simple', servio_unaccent(?)) fts_q"
			     " WHERE search_vector @@ fts_q)", table, table);
}

const struct db_driver db_pg_driver = {
	.name = "postgres",
	.id_pk = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
	.open = pg_open,
	.close = pg_close,
	.errmsg = pg_errmsg,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind_int = pg_bind_int,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.step_later = pg_step_later,
	.col_count = pg_col_count,
	.col_null = pg_col_null,
	.col_int = pg_col_int,
	.col_text = pg_col_text,
	.col_name = pg_col_name,
	.reset = pg_reset,
	.changes = pg_changes,
	.total_changes = pg_total_changes,
	.after_copy_sql = "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
			  " COALESCE((SELECT MAX(id) FROM %s), 0) + 1, false)",
	.migrate_lock_sql = "SELECT pg_advisory_lock(7355608)",
	.migrate_unlock_sql = "SELECT pg_advisory_unlock(7355608)",
	/* the tables in the schema the migrations create them in, but not an extension's */
	.tables_sql = "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		      " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
		      " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid ="
		      " 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')",
	.foreign_keys_sql = "SELECT c.relname, p.relname FROM pg_constraint k"
			    " JOIN pg_class c ON c.oid = k.conrelid"
			    " JOIN pg_class p ON p.oid = k.confrelid"
			    " JOIN pg_namespace n ON n.oid = c.relnamespace"
			    " WHERE k.contype = 'f' AND n.nspname = current_schema()",
	.defer_constraints_sql = "SET CONSTRAINTS ALL DEFERRED",
	.commit_failure_ends_txn = true,
	.skip_locked = " FOR UPDATE SKIP LOCKED",
	.txid_ended = "txid < pg_snapshot_xmin(pg_current_snapshot())",
	.txid_now = "pg_current_xact_id()",
	.begin_sql = "BEGIN ISOLATION LEVEL SERIALIZABLE",
	.next_number_sql = "SELECT nextval('counter_%s')",
	.counters_save_sql = "INSERT INTO counters (name, value) SELECT '%s', CASE WHEN is_called"
			     " THEN last_value ELSE last_value - 1 END FROM counter_%s"
			     " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	.counters_load_sql = "SELECT setval('counter_%s', COALESCE((SELECT value FROM counters"
			     " WHERE name = '%s'), 0) + 1, false)",
	.fts_where = pg_fts_where,
	.fts_test = pg_fts_test,
	/* the skip-th row (the second %s is not used) */
	.fts_bound_sql = "SELECT id FROM %s WHERE id %.0s%s ? ORDER BY id %s OFFSET ? LIMIT 1",
	/*
	 * printer hp -> 'printer' & 'hp':*, the words split out of the text
	 * unaccented first; quoted, a word that holds a space to the parser
	 * (a no-break space) is a phrase, not two operands without operator
	 */
	.fts_fold_sql = "SELECT servio_unaccent(?)",
	.fts_quote = "'",
	.fts_and = " & ",
	.fts_or = " | ",
	.fts_prefix = ":*",
	.fts_ranked = pg_fts_ranked,
};
