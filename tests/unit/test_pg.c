/*
 * test_pg.c - the PostgreSQL driver (src/db/pg.c) against the throwaway
 * server the pg fixture starts (its URL in the file SERVIO_TEST_PG_URL_FILE
 * names): writes sent ahead with db_run_later, in order with the statements
 * that follow, past the bound on how many wait, and their failures, which
 * the next statement and the commit report and which roll the transaction
 * back. Each test works in a temporary table of its own connection.
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

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(later_writes_come_before_the_next_statement),
		cmocka_unit_test(a_failed_write_fails_the_transaction),
		cmocka_unit_test(the_commit_reports_a_failure_not_read),
		cmocka_unit_test(outside_a_transaction_it_runs_at_once),
	};
	return cmocka_run_group_tests(tests, read_url, NULL);
}
