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
#include <strings.h>

/* PostgreSQL's own limit on the parameters of one statement */
#define MAX_PARAMS 65535

/* Writes sent ahead (pg_step_later) before their answers are read: a bound on what waits */
#define MAX_QUEUED 128

/*
 * Rows of an INSERT sent ahead are held back and sent as one statement of
 * up to MERGE_ROWS rows (see "Rows held back" below): at most MERGE_SLOTS
 * such INSERTs (one per table) hold rows at once.
 */
#define MERGE_LOG2 6
#define MERGE_ROWS (1 << MERGE_LOG2)
#define MERGE_SLOTS 8

/* The (child, parent) table of every foreign key of the schema; a ")" ends it */
#define FOREIGN_KEYS_SQL                                                                  \
	"SELECT c.relname, p.relname FROM pg_constraint k"                              \
	" JOIN pg_class c ON c.oid = k.conrelid"                                        \
	" JOIN pg_class p ON p.oid = k.confrelid"                                       \
	" JOIN pg_namespace n ON n.oid = c.relnamespace"                                \
	" WHERE k.contype = 'f' AND (n.nspname = current_schema()"

/* What the holding back of rows needs to know of a statement. */
enum shape { SHAPE_OTHER, SHAPE_SELECT, SHAPE_INSERT, SHAPE_UPDATE };

struct pg_stmt;

/* The rows of one INSERT held back, in the order they came. */
struct merge {
	struct pg_stmt *st;
	int rows;
	char **values;		/* rows × st->nparams, owned; NULL for NULL */
};

/* A foreign key: rows of child refer to rows of parent. */
struct fk {
	char *child, *parent;
};

struct pg_conn {
	PGconn *conn;
	char *error;		/* last error message (heap) */
	unsigned long next_name;
	int64_t changes;
	int64_t total_changes;	/* rows INSERTed, UPDATEd or DELETEd since opened */
	int queued;		/* writes sent ahead whose answers are not read yet */
	int failed;		/* how one of them failed (RC_*), until the transaction ends */
	struct merge merge[MERGE_SLOTS];
	int nmerge;
	struct fk *fks;		/* the schema's foreign keys, read when rows are first held */
	int nfks;
	bool fks_read;
	unsigned fks_version;	/* counts their readings */
	bool no_merge;		/* they could not be read: rows are sent one by one */
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
	char *sql;		/* the SQL, kept: which tables a statement names */
	enum shape shape;
	char *table;		/* what an INSERT, UPDATE writes */
	char *head;		/* an INSERT … VALUES whose rows can be merged: up to VALUES */
	char *tuple;		/* and its one row, "($1, …)" */
	unsigned sized;		/* bit k: the statement of 2^k such rows is prepared */
	/* the tables table refers to, as of the foreign keys' reading fks_version */
	const char **parents;
	int nparents;
	unsigned fks_version;
	char *values[];		/* nparams bound values, NULL for NULL */
};

static int release_for(struct pg_conn *pc, struct pg_stmt *st, const struct pg_stmt *except);
static int merge_send(struct pg_conn *pc, int i);
static void merge_discard(struct pg_conn *pc);
static void fks_forget(struct pg_conn *pc);

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
	merge_discard(pc);
	fks_forget(pc);
	PQfinish(pc->conn);
	xfree(pc->error);
	xfree(pc);
}

static const char *pg_errmsg(void *conn)
{
	struct pg_conn *pc = conn;
	return pc->error ? pc->error : "";
}

/* SQL that ends, begins or marks a transaction (and so changes no table) */
static bool transaction_control(const char *sql)
{
	static const char *const verbs[] = { "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE",
					     "SET ", NULL };
	for (const char *const *v = verbs; *v; v++)
		if (strncasecmp(sql, *v, strlen(*v)) == 0)
			return true;
	return false;
}

static int pg_exec(void *conn, const char *sql)
{
	struct pg_conn *pc = conn;
	bool commit = strcmp(sql, "COMMIT") == 0;
	if (strcmp(sql, "ROLLBACK") == 0)
		merge_discard(pc);
	else
		release_for(pc, NULL, NULL);	/* a failure is kept in pc->failed */
	if (!transaction_control(sql))
		fks_forget(pc);	/* the schema may change */
	settle(pc);
	if (commit && pc->failed) {
		/*
		 * a write of it failed (or rows held back could not be sent,
		 * which PostgreSQL does not know of): it ends, not kept
		 */
		int failed = pc->failed;
		PQclear(PQexec(pc->conn, "ROLLBACK"));
		pc->failed = RC_OK;
		return failed;
	}
	PGresult *res = PQexec(pc->conn, sql);
	int rc = map_result(pc, res);
	/* a COMMIT of a transaction a statement failed in is PostgreSQL's ROLLBACK: a failure */
	if (rc == RC_OK && commit && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
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

/* Statement shapes ------------------------------------------------------------ */

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* Whether *p starts with the word kw (any case); if so, *p moves past it. */
static bool keyword(const char **p, const char *kw)
{
	size_t n = strlen(kw);
	if (strncasecmp(*p, kw, n) != 0 || word_char((*p)[n]))
		return false;
	*p = skip_space(*p + n);
	return true;
}

/* Past the parenthesis p opens (quoted text skipped), or NULL. */
static const char *past_parens(const char *p)
{
	int depth = 0;
	char quote = 0;
	for (; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')' && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

/* Whether sql names word (a table) as a whole word. */
static bool mentions(const char *sql, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = sql; (p = strstr(p, word)); p += n)
		if ((p == sql || !word_char(p[-1])) && !word_char(p[n]))
			return true;
	return false;
}

/* The table a statement writes, when *p (past INSERT INTO or UPDATE) names one. */
static char *target(const char **p)
{
	size_t n = 0;
	while (word_char((*p)[n]))
		n++;
	if (!n || (*p)[n] == '.')
		return NULL;
	char *t = xstrndup(*p, n);
	*p = skip_space(*p + n);
	return t;
}

/*
 * What st is (its numbered SQL in st->sql): a SELECT, an UPDATE or INSERT
 * of a table, or something else (a DELETE, a WITH: sent after every row
 * held back). An INSERT of one row of values, nothing after them, whose
 * rows can be merged: st->head and st->tuple. Out of memory, it is
 * something else.
 */
static void shape_of(struct pg_stmt *st)
{
	const char *p = skip_space(st->sql);
	st->shape = SHAPE_OTHER;
	if (keyword(&p, "SELECT")) {
		st->shape = SHAPE_SELECT;
	} else if (keyword(&p, "UPDATE")) {
		st->table = target(&p);
		st->shape = st->table ? SHAPE_UPDATE : SHAPE_OTHER;
	} else if (keyword(&p, "INSERT") && keyword(&p, "INTO") && (st->table = target(&p))) {
		st->shape = SHAPE_INSERT;
		const char *cols = *p == '(' ? past_parens(p) : NULL;
		const char *v = cols ? skip_space(cols) : NULL;
		if (!v || !keyword(&v, "VALUES") || *v != '(')
			return;
		const char *end = past_parens(v);
		if (!end || *skip_space(end) || !st->nparams ||
		    st->nparams > MAX_PARAMS / MERGE_ROWS)
			return;
		st->head = xstrndup(st->sql, (size_t)(v - st->sql));
		st->tuple = xstrndup(v, (size_t)(end - v));
		if (!st->head || !st->tuple) {
			xfree(st->head);
			xfree(st->tuple);
			st->head = st->tuple = NULL;
		}
	}
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

/* The client's half of a statement. */
static void stmt_free(struct pg_stmt *st)
{
	xfree(st->text);
	xfree(st->sql);
	xfree(st->table);
	xfree(st->head);
	xfree(st->tuple);
	xfree(st->parents);
	xfree(st);
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
	st->sql = xstrdup(text);
	if (!st->sql) {
		xfree(text);
		xfree(st);
		set_error(pc, "out of memory");
		return RC_ERROR;
	}
	shape_of(st);
	snprintf(st->name, sizeof(st->name), "s%lu", ++pc->next_name);
	int rc = ready(st);
	if (aborted(pc))
		rc = RC_OK;	/* prepared at its first step, which reports the failure */
	if (rc != RC_OK) {
		stmt_free(st);
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
	struct pg_conn *pc = st->pc;
	pg_reset(st);
	/* its rows held back go now (a failure is the transaction's: pc->failed) */
	for (int i = 0; i < pc->nmerge; i++)
		if (pc->merge[i].st == st) {
			merge_send(pc, i);
			break;	/* one slot a statement */
		}
	if (st->text) {
		stmt_free(st);	/* never prepared on the server */
		return;
	}
	/* it, and its statements of several rows */
	char sql[400];
	int n = snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
	for (int k = 1; k <= MERGE_LOG2; k++)
		if (st->sized & (1u << k))
			n += snprintf(sql + n, sizeof(sql) - (size_t)n, "; DEALLOCATE %sx%d", st->name,
				      1 << k);
	settle(pc);
	PGresult *res = PQexec(pc->conn, sql);
	PQclear(res);
	stmt_free(st);
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

/*
 * Sends prepared statement name with its n values into the pipeline
 * (entered if need be) without waiting for its answer. Flushed: in a
 * pipeline libpq would keep it until its buffer fills or the sync, and
 * the server is to work on it while we go on.
 */
static int send_prepared(struct pg_conn *pc, const char *name, int n, char *const *values)
{
	if ((PQpipelineStatus(pc->conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(pc->conn)) ||
	    !PQsendQueryPrepared(pc->conn, name, n, (const char *const *)values, NULL, NULL, 0) ||
	    PQflush(pc->conn) != 0) {
		set_error(pc, PQerrorMessage(pc->conn));
		return RC_ERROR;
	}
	return RC_OK;
}

static int send_ahead(struct pg_stmt *st)
{
	return send_prepared(st->pc, st->name, st->nparams, st->values);
}

/*
 * Rows held back ------------------------------------------------------------
 *
 * Most writes sent ahead are INSERTs of one row (the audit log, the event
 * outbox, a ticket's history), and to PostgreSQL each is a statement:
 * parsed, bound, planned and run, which costs it several times what the
 * row does. So the rows of such an INSERT are held back and sent as one
 * statement of up to MERGE_ROWS rows (prepared once per size, a power of
 * two), the rows of each INSERT in the order they came.
 *
 * Held back, a row is not yet in its table: rows are sent before any
 * statement that might see them or depend on them: one that names their
 * table (a read of it, another INSERT into it: a table's rows stay in
 * order), one that writes a table with a foreign key to theirs (its rows
 * may refer to them), one of another shape than SELECT, INSERT, UPDATE
 * (a DELETE cascades), and before the commit. A row held back never
 * depends on another: the rows of the tables it refers to are sent first.
 * What the order of tables changes is not seen: they are in the same
 * transaction, and a failure fails it whole (reported at the next
 * statement or the commit, as for any write sent ahead).
 */

static void fks_forget(struct pg_conn *pc)
{
	for (int i = 0; i < pc->nfks; i++) {
		xfree(pc->fks[i].child);
		xfree(pc->fks[i].parent);
	}
	xfree(pc->fks);
	pc->fks = NULL;
	pc->nfks = 0;
	pc->fks_read = false;
}

static int fks_read(struct pg_conn *pc)
{
	int rc = settle(pc);
	if (rc != RC_OK)
		return rc;
	/* the schema's, and this session's temporary tables' */
	PGresult *res = PQexec(pc->conn, FOREIGN_KEYS_SQL " OR n.oid = pg_my_temp_schema())");
	rc = map_result(pc, res);
	int n = rc == RC_OK ? PQntuples(res) : 0;
	if (rc == RC_OK && n && !(pc->fks = xcalloc((size_t)n, sizeof(*pc->fks))))
		rc = RC_ERROR;
	for (int i = 0; rc == RC_OK && i < n; i++) {
		pc->fks[i].child = xstrdup(PQgetvalue(res, i, 0));
		pc->fks[i].parent = xstrdup(PQgetvalue(res, i, 1));
		pc->nfks = i + 1;
		if (!pc->fks[i].child || !pc->fks[i].parent)
			rc = RC_ERROR;
	}
	PQclear(res);
	if (rc != RC_OK)
		fks_forget(pc);
	pc->fks_read = rc == RC_OK;
	pc->fks_version++;
	return rc;
}

/* Whether st's table refers to table parent (its parents found once per reading of the keys). */
static bool refers(struct pg_stmt *st, const char *parent)
{
	struct pg_conn *pc = st->pc;
	if (!st->table)
		return false;
	if (st->fks_version != pc->fks_version || !pc->fks_read) {
		xfree(st->parents);
		st->parents = NULL;
		st->nparents = 0;
		st->fks_version = pc->fks_version;
		for (int i = 0; i < pc->nfks; i++) {
			if (strcmp(pc->fks[i].child, st->table) != 0)
				continue;
			const char **grown = xrealloc(st->parents,
						      (size_t)(st->nparents + 1) * sizeof(*grown));
			if (!grown) {
				st->fks_version--;	/* found again next time */
				return true;	/* not knowing: as if it did */
			}
			st->parents = grown;
			st->parents[st->nparents++] = pc->fks[i].parent;
		}
	}
	for (int i = 0; i < st->nparents; i++)
		if (strcmp(st->parents[i], parent) == 0)
			return true;
	return false;
}

/* The tuple of an INSERT with its placeholders moved up by add. */
static void renumber(struct buf *b, const char *tuple, int add)
{
	char quote = 0;
	for (const char *p = tuple; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			char *end;
			long n = strtol(p + 1, &end, 10);
			buf_addf(b, "$%ld", n + add);
			p = end - 1;
			continue;
		}
		buf_addch(b, *p);
	}
}

/* Sends 2^log2 rows of st's INSERT (values: theirs, in order) as one statement. */
static int send_rows(struct pg_stmt *st, int log2, char *const *values)
{
	struct pg_conn *pc = st->pc;
	int k = 1 << log2, rc = RC_OK;
	char name[40];
	snprintf(name, sizeof(name), k == 1 ? "%s" : "%sx%d", st->name, k);
	if (k > 1 && !(st->sized & (1u << log2)) && (rc = settle(pc)) == RC_OK) {
		struct buf sql;
		buf_init(&sql, 1024 * 1024);
		buf_addstr(&sql, st->head);
		for (int r = 0; r < k; r++) {
			if (r)
				buf_addstr(&sql, ", ");
			renumber(&sql, st->tuple, r * st->nparams);
		}
		if (sql.failed) {
			set_error(pc, "out of memory");
			rc = RC_ERROR;
		} else {
			PGresult *res = PQprepare(pc->conn, name, buf_str(&sql), 0, NULL);
			rc = map_result(pc, res);
			PQclear(res);
		}
		buf_release(&sql);
		if (rc == RC_OK)
			st->sized |= 1u << log2;
	}
	if (rc != RC_OK)
		return rc;
	if (send_prepared(pc, name, k * st->nparams, values) != RC_OK)
		return RC_ERROR;
	return ++pc->queued >= MAX_QUEUED ? drain(pc, NULL) : RC_OK;
}

/* Sends the rows held in slot i, in statements of 64, 32, … rows. */
static int merge_send(struct pg_conn *pc, int i)
{
	struct merge m = pc->merge[i];
	memmove(&pc->merge[i], &pc->merge[i + 1], (size_t)(pc->nmerge - i - 1) * sizeof(m));
	pc->nmerge--;
	int np = m.st->nparams, done = 0, rc = RC_OK;
	while (rc == RC_OK && done < m.rows && !aborted(pc)) {
		int log2 = 0;
		while ((2 << log2) <= m.rows - done)
			log2++;
		rc = send_rows(m.st, log2, m.values + (size_t)done * (size_t)np);
		done += 1 << log2;
	}
	for (size_t v = 0; v < (size_t)m.rows * (size_t)np; v++)
		xfree(m.values[v]);
	xfree(m.values);
	if (rc != RC_OK && !pc->failed)
		pc->failed = rc;	/* the rows are lost: the transaction must not commit */
	return rc;
}

static void merge_discard(struct pg_conn *pc)
{
	while (pc->nmerge) {
		struct merge *m = &pc->merge[--pc->nmerge];
		for (size_t v = 0; v < (size_t)m->rows * (size_t)m->st->nparams; v++)
			xfree(m->values[v]);
		xfree(m->values);
	}
}

/*
 * Sends the rows held back that st (NULL: the commit, or SQL of its own)
 * might see or depend on, but except's. The first failure is returned
 * (and kept in pc->failed).
 */
static int release_for(struct pg_conn *pc, struct pg_stmt *st, const struct pg_stmt *except)
{
	int rc = RC_OK;
	for (int i = 0; i < pc->nmerge;) {
		const struct pg_stmt *held = pc->merge[i].st;
		if (held == except ||
		    (st && st->shape != SHAPE_OTHER && !mentions(st->sql, held->table) &&
		     !refers(st, held->table))) {
			i++;
			continue;
		}
		int r = merge_send(pc, i);
		if (rc == RC_OK)
			rc = r;
	}
	return rc;
}

/*
 * Holds st's row back when it is an INSERT whose rows can be (*held), its
 * bound values moved into the slot of st's rows; sends them when there
 * are MERGE_ROWS.
 */
static int merge_add(struct pg_stmt *st, bool *held)
{
	struct pg_conn *pc = st->pc;
	*held = false;
	if (!st->head || (!pc->fks_read && fks_read(pc) != RC_OK))
		return RC_OK;
	int i = 0;
	while (i < pc->nmerge && pc->merge[i].st != st)
		i++;
	if (i == MERGE_SLOTS) {
		int rc = release_for(pc, NULL, NULL);
		if (rc != RC_OK)
			return rc;
		i = 0;
	}
	struct merge *m = &pc->merge[i];
	size_t np = (size_t)st->nparams;
	if (i == pc->nmerge) {
		char **values = xmalloc(MERGE_ROWS * np * sizeof(*values));
		if (!values)
			return RC_OK;	/* sent alone */
		*m = (struct merge){ st, 0, values };
		pc->nmerge++;
	}
	memcpy(m->values + (size_t)m->rows * np, st->values, np * sizeof(*st->values));
	memset(st->values, 0, np * sizeof(*st->values));
	*held = true;
	return ++m->rows == MERGE_ROWS ? merge_send(pc, i) : RC_OK;
}

static int pg_step(void *stmt)
{
	struct pg_stmt *st = stmt;
	if (!st->executed) {
		struct pg_conn *pc = st->pc;
		st->executed = true;
		int rc = ready(st);
		if (rc == RC_OK && pc->nmerge)
			rc = release_for(pc, st, NULL);
		if (rc != RC_OK && pc->queued)
			drain(pc, NULL);
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
	bool held = false;
	if (rc == RC_OK && pc->nmerge)
		rc = release_for(pc, st, st);
	if (rc == RC_OK)
		rc = merge_add(st, &held);
	if (rc == RC_OK && held)
		return RC_DONE;
	if (rc == RC_OK)
		rc = send_ahead(st);
	if (rc != RC_OK) {
		if (pc->queued)
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
static int fts_matching(const char *table, const char *by, struct buf *sql)
{
	return buf_addf(sql, "%s.%s = ANY(ARRAY(SELECT %s FROM %s WHERE search_vector @@"
			     " to_tsquery('simple', servio_unaccent(?))))",
			table, by, by, table);
}

static int pg_fts_where(const char *table, struct buf *sql)
{
	return fts_matching(table, "id", sql);
}

/*
 * The same matches by their row address, for a list that sorts them all
 * (another order than id): a TID scan fetches each at once, where ids
 * were each looked up in the primary key first (a common word of 690
 * companies: 2,070 buffers read instead of ~700, 1.9 times the rate). One
 * statement, one snapshot: the addresses found are of the versions it
 * sees.
 */
static int pg_fts_among(const char *table, struct buf *sql)
{
	return fts_matching(table, "ctid", sql);
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
	.foreign_keys_sql = FOREIGN_KEYS_SQL ")",
	.defer_constraints_sql = "SET CONSTRAINTS ALL DEFERRED",
	.commit_failure_ends_txn = true,
	.skip_locked = " FOR UPDATE SKIP LOCKED",
	.txid_ended = "txid < pg_snapshot_xmin(pg_current_snapshot())",
	.txid_now = "pg_current_xact_id()",
	.begin_sql = "BEGIN ISOLATION LEVEL SERIALIZABLE",
	.begin_locking_sql = "BEGIN ISOLATION LEVEL REPEATABLE READ",
	.for_update = " FOR UPDATE",
	.next_number_sql = "SELECT nextval('counter_%s')",
	.next_ids_sql = "SELECT nextval(pg_get_serial_sequence('%s', 'id'))"
			" FROM generate_series(1, ?)",
	.counters_save_sql = "INSERT INTO counters (name, value) SELECT '%s', CASE WHEN is_called"
			     " THEN last_value ELSE last_value - 1 END FROM counter_%s"
			     " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	.counters_load_sql = "SELECT setval('counter_%s', COALESCE((SELECT value FROM counters"
			     " WHERE name = '%s'), 0) + 1, false)",
	.fts_where = pg_fts_where,
	.fts_among = pg_fts_among,
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
