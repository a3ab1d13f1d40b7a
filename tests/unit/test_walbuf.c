/*
 * test_walbuf.c - the VFS that writes a commit's WAL frames at once
 * (src/db/walbuf.c), on SQLite files in a temporary directory: a commit is
 * one write and another connection reads it; the files as they are on the
 * disk after a commit (a copy, as a crash would leave them) recover it;
 * frames a rolled-back transaction spilled never land on another
 * connection's commit; large transactions, index builds and SQLite's own
 * synchronous=FULL leave a sound database.
 */
#include "db/walbuf.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

static char tmpdir[] = "/tmp/servio-test-walbuf-XXXXXX";

static const char *path_of(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];
	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

/* vfs NULL: the default, which walbuf_register made this one */
static sqlite3 *open_wal(const char *name, const char *vfs, const char *sync)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path_of(name), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				 vfs);
	if (rc != SQLITE_OK)
		fail_msg("open %s: %s", name, sqlite3_errstr(rc));
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA wal_autocheckpoint=0",
		 sync);
	exec(db, sql);
	return db;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void assert_sound(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

static void make_table(sqlite3 *db)
{
	exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c INTEGER);"
		 " CREATE INDEX t_a ON t(a); CREATE INDEX t_b ON t(b); CREATE INDEX t_c ON t(c)");
}

static void insert_rows(sqlite3 *db, int from, int n, int blob)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE k(x) AS (SELECT %d UNION ALL SELECT x + 1 FROM k WHERE x < %d)"
		 " INSERT INTO t (id, a, b, c) SELECT x, hex(randomblob(%d)), 'b' || x, x %% 97"
		 " FROM k",
		 from, from + n - 1, blob);
	exec(db, sql);
}

/* Copies a file byte for byte (as the disk has it: no process state). */
static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(in >= 0 && out >= 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

/*
 * The database and its WAL as the disk has them, copied to a fresh name
 * (no shared-memory index: opening the copy recovers the WAL).
 */
static void copy_database(const char *name, const char *copy)
{
	char from[64], to[64];
	const char *suffixes[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(to, sizeof(to), "%s%s", copy, suffixes[i]);
		unlink(path_of(to));
	}
	for (int i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s%s", name, suffixes[i]);
		snprintf(to, sizeof(to), "%s%s", copy, suffixes[i]);
		copy_file(path_of(from), path_of(to));
	}
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	return walbuf_register() == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	DIR *d = opendir(tmpdir);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlink(path_of(e->d_name));
	closedir(d);
	return rmdir(tmpdir);
}

/* A commit's frames (a header and a page each) reach the file in one write. */
static void commit_is_one_write(void **state)
{
	(void)state;
	sqlite3 *db = open_wal("one.db", NULL, "NORMAL");
	make_table(db);
	insert_rows(db, 1, 500, 20);
	long long gathered, written, gathered2, written2;
	walbuf_counts(&gathered, &written);
	exec(db, "INSERT INTO t (id, a, b, c) VALUES (10000, 'new a', 'new b', 10000)");
	walbuf_counts(&gathered2, &written2);
	/* the table and its three indexes: four frames at least, two writes each */
	assert_true(gathered2 - gathered >= 8);
	assert_int_equal(written2 - written, 1);

	/* another connection, with SQLite's own VFS, reads it from the file */
	sqlite3 *other = open_wal("one.db", "unix", "NORMAL");
	assert_int_equal(scalar(other, "SELECT c FROM t WHERE a = 'new a'"), 10000);
	assert_int_equal(scalar(other, "SELECT COUNT(*) FROM t"), 501);
	sqlite3_close(other);
	sqlite3_close(db);
}

/*
 * The files as they are after each commit, copied while the connection is
 * open (a crash would leave them so), recover every commit: the frames are
 * all there and their checksums chain.
 */
static void files_after_a_commit_recover_it(void **state)
{
	(void)state;
	const char *modes[] = { "NORMAL", "FULL" };
	for (int m = 0; m < 2; m++) {
		char name[32], copy[32];
		snprintf(name, sizeof(name), "crash%d.db", m);
		snprintf(copy, sizeof(copy), "copy%d.db", m);
		sqlite3 *db = open_wal(name, NULL, modes[m]);
		make_table(db);
		for (int i = 0; i < 40; i++) {
			insert_rows(db, 1 + i * 50, 50, 100 + i * 10);
			copy_database(name, copy);
			sqlite3 *check = open_wal(copy, "unix", "NORMAL");
			assert_int_equal(scalar(check, "SELECT COUNT(*) FROM t"), (i + 1) * 50);
			if (i % 13 == 0)
				assert_sound(check);
			sqlite3_close(check);
		}
		sqlite3_close(db);
	}
}

/*
 * A transaction larger than its page cache writes frames before its
 * commit; rolled back, they must be on the file before the WAL's write
 * lock goes, or they would later land on the frames another connection
 * committed at the same place.
 */
static void spilled_frames_never_land_on_a_later_commit(void **state)
{
	(void)state;
	sqlite3 *a = open_wal("spill.db", NULL, "NORMAL");
	make_table(a);
	insert_rows(a, 1, 10, 10);
	exec(a, "PRAGMA cache_size = 10");
	for (int round = 0; round < 20; round++) {
		/* every page in the database file: the rollback reads nothing from the WAL */
		exec(a, "PRAGMA wal_checkpoint(TRUNCATE)");
		long long gathered, written, gathered2, written2;
		walbuf_counts(&gathered, &written);
		exec(a, "BEGIN");
		insert_rows(a, 1000 + round * 1000, 6 + round, 1500);
		walbuf_counts(&gathered2, &written2);
		assert_true(gathered2 > gathered);	/* spilled before the commit */
		exec(a, "ROLLBACK");

		/* b commits, over the place a's frames would have gone */
		sqlite3 *b = open_wal("spill.db", NULL, "NORMAL");
		char sql[160];
		exec(b, "BEGIN");
		snprintf(sql, sizeof(sql),
			 "INSERT INTO t (id, a, b, c) VALUES (%d, 'b wrote', 'round %d', %d)",
			 100 + round, round, round);
		exec(b, sql);
		insert_rows(b, 100000 + round * 100, 40, 1500);
		exec(b, "COMMIT");
		sqlite3_close(b);

		/* a reads (and would write out what it held), then a fresh reader */
		assert_int_equal(scalar(a, "SELECT COUNT(*) FROM t WHERE id < 1000"), 11 + round);
		assert_int_equal(scalar(a, "SELECT COUNT(*) FROM t"), 10 + 41 * (round + 1));
		sqlite3 *check = open_wal("spill.db", "unix", "NORMAL");
		assert_int_equal(scalar(check, "SELECT COUNT(*) FROM t WHERE a = 'b wrote'"),
				 round + 1);
		assert_int_equal(scalar(check, "SELECT COUNT(*) FROM t"), 10 + 41 * (round + 1));
		snprintf(sql, sizeof(sql), "SELECT c FROM t WHERE b = 'round %d'", round);
		assert_int_equal(scalar(check, sql), round);
		sqlite3_close(check);
	}
	sqlite3_close(a);
	sqlite3 *check = open_wal("spill.db", "unix", "NORMAL");
	assert_sound(check);
	sqlite3_close(check);
}

/* What a migration does: a transaction of many pages, an index built over
 * them, pages written twice in it; then a checkpoint and a restart. */
static void large_transactions_stay_sound(void **state)
{
	(void)state;
	sqlite3 *db = open_wal("large.db", NULL, "NORMAL");
	make_table(db);
	exec(db, "PRAGMA cache_size = 50");
	exec(db, "BEGIN");
	insert_rows(db, 1, 20000, 60);
	exec(db, "UPDATE t SET b = b || '!' WHERE id % 3 = 0");
	exec(db, "CREATE INDEX t_ab ON t(a, b)");
	exec(db, "COMMIT");
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM t WHERE b LIKE '%!'"), 6666);
	assert_sound(db);
	exec(db, "PRAGMA wal_checkpoint(RESTART)");
	insert_rows(db, 30000, 100, 60);
	sqlite3 *other = open_wal("large.db", "unix", "NORMAL");
	assert_int_equal(scalar(other, "SELECT COUNT(*) FROM t"), 20100);
	assert_sound(other);
	sqlite3_close(other);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commit_is_one_write),
		cmocka_unit_test(files_after_a_commit_recover_it),
		cmocka_unit_test(spilled_frames_never_land_on_a_later_commit),
		cmocka_unit_test(large_transactions_stay_sound),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
