/*
 * test_pg.c - the PostgreSQL driver (src/db/pg.c) against the throwaway
 * server the pg fixture starts (its URL in the file SERVIO_TEST_PG_URL_FILE
 * names): writes sent ahead with db_run_later, in order with the statements
 * that follow, past the bound on how many wait, and their failures, which
 * the next statement and the commit report and which roll the transaction
 * back; the rows of such INSERTs held back and sent several to a
 * statement, in order, before anything that could see them or refer to
 * them. Each test works in temporary tables of its own connection.
 */
#include "core/alloc.h"
#include "db/db.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static char url[1024];

static int read_url(void **state)
{
	(void)state;
	const char *file = getenv("SERVIO_TEST_PG_URL_FILE");
	FILE *f = file ? fopen(file, "r") : NULL;
	if (!f || !fgets(url, sizeof(url), f)) {
		fprintf(stderr, "test_pg: no PostgreSQL URL in SERVIO_TEST_PG_URL_FILE (%s)\n",
			file ? file : "not set");
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	url[strcspn(url, "\r\n")] = '\0';
	return 0;
}

/* A connection with an empty temporary table t (id primary key, v text). */
static struct db *open_with_table(void)
{
	char err[512] = "";
	struct db *db = NULL;
	if (db_connect(url, &db, err, sizeof(err)) != RC_OK)
		fail_msg("cannot connect to %s: %s", url, err);
	assert_string_equal(db_dialect(db), "postgres");
	assert_int_equal(db_exec(db, "CREATE TEMPORARY TABLE t (id BIGINT PRIMARY KEY, v TEXT)"),
			 RC_OK);
	return db;
}

static int64_t count_rows(struct db *db)
{
	struct db_stmt *st;
	assert_int_equal(db_run(db, &st, "SELECT COUNT(*) FROM t", ""), RC_ROW);
	int64_t n = db_col_int(st, 0);
	db_done(st);
	return n;
}

static void insert_later(struct db *db, int64_t id, int want)
{
	char v[32];
	snprintf(v, sizeof(v), "row %lld", (long long)id);
	assert_int_equal(db_run_later(db, "INSERT INTO t (id, v) VALUES (?, ?)", "is", id, v),
			 want);
}

/* Sent ahead, the writes are done before the statement after them, in order. */
static void later_writes_come_before_the_next_statement(void **state)
{
	(void)state;
	struct db *db = open_with_table();
	assert_int_equal(db_begin(db), RC_OK);
	insert_later(db, 1, RC_DONE);
	insert_later(db, 2, RC_DONE);
	/* an UPDATE that waits for its answer sees both, and says how many it changed */
	assert_int_equal(db_run(db, NULL, "UPDATE t SET v = v || '!' WHERE id <= ?", "i",
				(int64_t)2), RC_DONE);
	assert_int_equal(db_changes(db), 2);
	/* more than the driver lets wait at once: the answers are read as it goes */
	for (int64_t id = 3; id <= 1000; id++)
		insert_later(db, id, RC_DONE);
	struct db_stmt *st;
	assert_int_equal(db_run(db, &st, "SELECT v FROM t WHERE id = ?", "i", (int64_t)2), RC_ROW);
	assert_string_equal(db_col_text(st, 0), "row 2!");
	db_done(st);
	insert_later(db, 1001, RC_DONE);
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(count_rows(db), 1001);
	db_disconnect(db);
}

/* A write that fails is reported by the next statement, and again by the commit. */
static void a_failed_write_fails_the_transaction(void **state)
{
	(void)state;
	struct db *db = open_with_table();
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (id, v) VALUES (1, 'kept')", ""),
			 RC_DONE);
	assert_int_equal(db_begin(db), RC_OK);
	insert_later(db, 2, RC_DONE);
	insert_later(db, 1, RC_DONE);	/* a duplicate: refused when its answer is read */
	insert_later(db, 3, RC_DONE);
	struct db_stmt *st;
	assert_int_equal(db_run(db, &st, "SELECT COUNT(*) FROM t", ""), RC_CONSTRAINT);
	assert_null(st);
	assert_non_null(strstr(db_errmsg(db), "duplicate key"));
	/* every statement after it says so, and the transaction cannot commit */
	assert_int_equal(db_run(db, NULL, "SELECT 1", ""), RC_CONSTRAINT);
	insert_later(db, 4, RC_CONSTRAINT);
	assert_int_equal(db_commit(db), RC_CONSTRAINT);
	assert_false(db_in_txn(db));
	/* nothing of it was kept, and the connection works on */
	assert_int_equal(count_rows(db), 1);
	assert_int_equal(db_begin(db), RC_OK);
	insert_later(db, 2, RC_DONE);
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(count_rows(db), 2);
	db_disconnect(db);
}

/* A failure nobody read before the commit: the commit fails, nothing is written. */
static void the_commit_reports_a_failure_not_read(void **state)
{
	(void)state;
	struct db *db = open_with_table();
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO t (id, v) VALUES (7, 'first')", ""),
			 RC_DONE);
	insert_later(db, 7, RC_DONE);
	assert_int_equal(db_commit(db), RC_CONSTRAINT);
	assert_false(db_in_txn(db));
	assert_int_equal(count_rows(db), 0);

	/* nor one a statement's caller chose not to look at */
	assert_int_equal(db_begin(db), RC_OK);
	insert_later(db, 8, RC_DONE);
	insert_later(db, 8, RC_DONE);
	db_run(db, NULL, "UPDATE t SET v = 'x' WHERE id = 8", "");
	assert_int_equal(db_commit(db), RC_CONSTRAINT);
	assert_int_equal(count_rows(db), 0);

	/* a rollback ends it too; the next transaction starts clean */
	assert_int_equal(db_begin(db), RC_OK);
	insert_later(db, 9, RC_DONE);
	insert_later(db, 9, RC_DONE);
	assert_int_equal(db_rollback(db), RC_OK);
	assert_int_equal(db_begin(db), RC_OK);
	insert_later(db, 9, RC_DONE);
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(count_rows(db), 1);
	db_disconnect(db);
}

/* Outside a transaction there is nothing to ride along with: it runs at once. */
static void outside_a_transaction_it_runs_at_once(void **state)
{
	(void)state;
	struct db *db = open_with_table();
	insert_later(db, 1, RC_DONE);
	assert_int_equal(count_rows(db), 1);
	insert_later(db, 1, RC_CONSTRAINT);
	assert_int_equal(count_rows(db), 1);
	db_disconnect(db);
}

static int64_t scalar(struct db *db, const char *sql)
{
	struct db_stmt *st;
	assert_int_equal(db_run(db, &st, sql, ""), RC_ROW);
	int64_t n = db_col_int(st, 0);
	db_done(st);
	return n;
}

/*
 * Rows of one INSERT sent ahead travel several to a statement (64 and
 * then what is left, in 32, 16, … row statements), in the order they
 * came: the identity numbers them in that order; a placeholder used twice
 * in the row (NULLIF) is each row's own.
 */
static void held_rows_keep_their_order(void **state)
{
	(void)state;
	struct db *db = open_with_table();
	assert_int_equal(db_exec(db, "CREATE TEMPORARY TABLE s (id BIGINT GENERATED BY DEFAULT"
				     " AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL, m BIGINT)"),
			 RC_OK);
	const char *ins = "INSERT INTO s (n, m) VALUES (?, NULLIF(?, 0))";
	for (int round = 0; round < 2; round++) {
		assert_int_equal(db_begin(db), RC_OK);
		for (int64_t n = 1; n <= 157; n++)
			assert_int_equal(db_run_later(db, ins, "ii", n, n % 3), RC_DONE);
		/* a statement that does not name s leaves the last rows held: they are not read */
		assert_int_equal(scalar(db, "SELECT COUNT(*) FROM t"), 0);
		assert_int_equal(scalar(db, "SELECT COUNT(*) FROM s"), 200 * round + 157);
		for (int64_t n = 158; n <= 200; n++)
			assert_int_equal(db_run_later(db, ins, "ii", n, n % 3), RC_DONE);
		assert_int_equal(db_commit(db), RC_OK);
	}
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM s"), 400);
	/* in id order the rows are 1…200, twice; m NULL where n % 3 was 0 */
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM (SELECT n, row_number() OVER"
				    " (ORDER BY id) AS k FROM s) x WHERE n <> (k - 1) % 200 + 1"), 0);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM s WHERE (m IS NULL) <> (n % 3 = 0)"),
			 0);
	db_disconnect(db);
}

/*
 * Rows that refer to rows held back are held after them: here the rows
 * of c (which refers to p) are held first, and a row of p comes, and then
 * a row of c that refers to it: the rows of p go first. A DELETE sends
 * every row held before it; a rollback drops them.
 */
static void held_rows_come_before_what_refers_to_them(void **state)
{
	(void)state;
	struct db *db = open_with_table();
	assert_int_equal(db_exec(db, "CREATE TEMPORARY TABLE p (id BIGINT PRIMARY KEY)"), RC_OK);
	assert_int_equal(db_exec(db, "CREATE TEMPORARY TABLE c (id BIGINT PRIMARY KEY,"
				     " p_id BIGINT NOT NULL REFERENCES p(id) ON DELETE CASCADE)"),
			 RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO p (id) VALUES (1)", ""), RC_DONE);
	const char *in_p = "INSERT INTO p (id) VALUES (?)";
	const char *in_c = "INSERT INTO c (id, p_id) VALUES (?, ?)";
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run_later(db, in_c, "ii", (int64_t)10, (int64_t)1), RC_DONE);
	for (int64_t id = 2; id <= 5; id++) {
		assert_int_equal(db_run_later(db, in_p, "i", id), RC_DONE);
		assert_int_equal(db_run_later(db, in_c, "ii", id * 10, id), RC_DONE);
	}
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM c"), 5);

	/* a DELETE that cascades sees the rows held before it */
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run_later(db, in_p, "i", (int64_t)6), RC_DONE);
	assert_int_equal(db_run_later(db, in_c, "ii", (int64_t)60, (int64_t)6), RC_DONE);
	assert_int_equal(db_run(db, NULL, "DELETE FROM p WHERE id = ?", "i", (int64_t)6), RC_DONE);
	assert_int_equal(db_changes(db), 1);
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM c"), 5);

	/* a rollback drops the rows held; the next transaction starts with none */
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run_later(db, in_p, "i", (int64_t)7), RC_DONE);
	assert_int_equal(db_run_later(db, in_c, "ii", (int64_t)70, (int64_t)7), RC_DONE);
	assert_int_equal(db_rollback(db), RC_OK);
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run_later(db, in_p, "i", (int64_t)7), RC_DONE);
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM p"), 6);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM c"), 5);

	/* a row held that fails fails the commit, with the database's reason */
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_run_later(db, in_c, "ii", (int64_t)80, (int64_t)8), RC_DONE);
	assert_int_equal(db_commit(db), RC_CONSTRAINT);
	assert_non_null(strstr(db_errmsg(db), "foreign key"));
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM c"), 5);
	db_disconnect(db);
}

/*
 * Ids taken ahead (db_next_id): in a transaction only, in order, each
 * once; a row written with one is the table's; a transaction that takes
 * one takes one from the sequence, the next 2, 4 … (64 at most).
 */
static void ids_taken_ahead(void **state)
{
	(void)state;
	struct db *db = open_with_table();
	assert_true(db_ids_ahead(db));
	assert_int_equal(db_exec(db, "CREATE TEMPORARY TABLE s (id BIGINT GENERATED BY DEFAULT"
				     " AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL)"),
			 RC_OK);
	int64_t id;
	assert_int_equal(db_next_id(db, "s", &id), RC_ERROR);	/* no transaction */
	assert_int_equal(db_begin(db), RC_OK);
	int64_t last = 0;
	for (int64_t n = 1; n <= 200; n++) {
		assert_int_equal(db_next_id(db, "s", &id), RC_OK);
		assert_true(id > last);
		last = id;
		assert_int_equal(db_run_later(db, "INSERT INTO s (id, n) VALUES (?, ?)", "ii", id, n),
				 RC_DONE);
	}
	assert_int_equal(db_commit(db), RC_OK);
	assert_int_equal(scalar(db, "SELECT COUNT(DISTINCT id) FROM s"), 200);
	/* 1 + 2 + 4 + … + 64 + 64 taken for 200: the sequence is at 255 */
	assert_int_equal(scalar(db, "SELECT last_value FROM pg_sequences"
				    " WHERE sequencename = 's_id_seq'"), 255);
	/* a row written without an id gets one past them all */
	assert_int_equal(db_run(db, NULL, "INSERT INTO s (n) VALUES (0)", ""), RC_DONE);
	assert_int_equal(scalar(db, "SELECT id FROM s WHERE n = 0"), 256);
	/* the next transaction starts afresh with one */
	assert_int_equal(db_begin(db), RC_OK);
	assert_int_equal(db_next_id(db, "s", &id), RC_OK);
	assert_int_equal(id, 257);
	assert_int_equal(db_rollback(db), RC_OK);
	db_disconnect(db);
}

/* db_txn_locking: a table both connections see, its rows 1 and 2 at 0 */
static void locking_table(struct db *db)
{
	assert_int_equal(db_exec(db, "DROP TABLE IF EXISTS test_pg_locking"), RC_OK);
	assert_int_equal(db_exec(db, "CREATE TABLE test_pg_locking (id BIGINT PRIMARY KEY,"
				     " v BIGINT NOT NULL)"),
			 RC_OK);
	assert_int_equal(db_run(db, NULL, "INSERT INTO test_pg_locking VALUES (1, 0), (2, 0)", ""),
			 RC_DONE);
}

struct race {
	struct db *other;
	int attempts;
	bool locking;		/* the other's transaction is db_txn_locking's (else db_txn's) */
};

static int add_to_2(struct db *db, void *arg)
{
	(void)arg;
	(void)scalar(db, "SELECT COUNT(*) FROM test_pg_locking");
	return db_run(db, NULL, "UPDATE test_pg_locking SET v = v + 1 WHERE id = 2", "") == RC_DONE
		? RC_OK : RC_ERROR;
}

/* Reads every row, the other connection reads them all and writes row 2, then this writes row 1. */
static int skew(struct db *db, void *arg)
{
	struct race *r = arg;
	r->attempts++;
	(void)scalar(db, "SELECT COUNT(*) FROM test_pg_locking");
	if (r->attempts == 1)
		assert_int_equal(r->locking ? db_txn_locking(r->other, add_to_2, NULL)
					    : db_txn(r->other, add_to_2, NULL),
				 RC_OK);
	int rc = db_run(db, NULL, "UPDATE test_pg_locking SET v = v + 10 WHERE id = 1", "");
	return rc == RC_DONE ? RC_OK : rc;
}

/* Locks row 1 as it reads it, after the other connection changed it since the snapshot. */
static int lost_race(struct db *db, void *arg)
{
	struct race *r = arg;
	r->attempts++;
	(void)scalar(db, "SELECT COUNT(*) FROM t");	/* the snapshot */
	if (r->attempts == 1)
		assert_int_equal(db_run(r->other, NULL, "UPDATE test_pg_locking SET v = v + 1"
							" WHERE id = 1", ""),
				 RC_DONE);
	struct db_stmt *st;
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT v FROM test_pg_locking WHERE id = 1%s",
		 db_for_update(db));
	int rc = db_run(db, &st, sql, "");
	if (rc != RC_ROW)
		return rc;
	int64_t v = db_col_int(st, 0);
	db_done(st);
	rc = db_run(db, NULL, "UPDATE test_pg_locking SET v = ? WHERE id = 1", "i", v + 10);
	return rc == RC_DONE ? RC_OK : rc;
}

/*
 * db_txn_locking runs at REPEATABLE READ: two transactions that each read
 * every row and write a different one both commit (at SERIALIZABLE, as
 * db_txn, the second to commit fails: each read what the other wrote);
 * a row locked as read that another changed since the snapshot is a lost
 * race, run again, and nothing is lost.
 */
static void locking_transactions(void **state)
{
	(void)state;
	struct db *db = open_with_table(), *other = open_with_table();
	locking_table(db);
	struct race r = { other, 0, true };
	assert_int_equal(db_txn_locking(db, skew, &r), RC_OK);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(scalar(db, "SELECT v FROM test_pg_locking WHERE id = 1"), 10);
	assert_int_equal(scalar(db, "SELECT v FROM test_pg_locking WHERE id = 2"), 1);
	/* the same at SERIALIZABLE: the first attempt fails, the second sees row 2 written */
	r.attempts = 0;
	r.locking = false;
	assert_int_equal(db_txn(db, skew, &r), RC_OK);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(scalar(db, "SELECT v FROM test_pg_locking WHERE id = 1"), 20);
	assert_int_equal(scalar(db, "SELECT v FROM test_pg_locking WHERE id = 2"), 2);

	r.attempts = 0;
	assert_int_equal(db_txn_locking(db, lost_race, &r), RC_OK);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(scalar(db, "SELECT v FROM test_pg_locking WHERE id = 1"), 31);
	assert_int_equal(db_exec(db, "DROP TABLE test_pg_locking"), RC_OK);
	db_disconnect(other);
	db_disconnect(db);
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(later_writes_come_before_the_next_statement),
		cmocka_unit_test(a_failed_write_fails_the_transaction),
		cmocka_unit_test(the_commit_reports_a_failure_not_read),
		cmocka_unit_test(outside_a_transaction_it_runs_at_once),
		cmocka_unit_test(held_rows_keep_their_order),
		cmocka_unit_test(held_rows_come_before_what_refers_to_them),
		cmocka_unit_test(ids_taken_ahead),
		cmocka_unit_test(locking_transactions),
	};
	return cmocka_run_group_tests(tests, read_url, NULL);
}
