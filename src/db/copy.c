/*
 * copy.c - moving a whole database between backends (SQLite to
 * PostgreSQL and back) and proving nothing was lost: row counts and a
 * SHA-256 over every row of every table must match on both sides.
 *
 * Values travel as text, which both backends read back into their column
 * types; self-referencing foreign keys (companies.referred_by_id) are
 * fine because rows are copied in id order within one transaction.
 *
 * Which tables there are, and in which order they copy, is read from the
 * schema itself (db_table_list): a table a migration adds is copied and
 * checked without anyone listing it here.
 */
#include "driver.h"

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* From db.c: the driver of a connection. */
const struct db_driver *db_driver_of(const struct db *db);

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xfree(names[i]);
	xfree(names);
}

/*
 * The names sql returns (one column) as a heap array of n heap strings:
 * *out and *count are written on RC_OK only.
 */
static int read_names(struct db *db, const char *sql, char ***out, size_t *count)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct db_stmt *st;
	int rc = db_run(db, &st, sql, "");
	while (rc == RC_ROW) {
		if (n == cap) {
			char **more = xrealloc(names, (cap ? cap * 2 : 64) * sizeof(*names));
			if (!more)
				break;
			names = more;
			cap = cap ? cap * 2 : 64;
		}
		const char *name = db_col_text(st, 0);
		names[n] = xstrdup(name ? name : "");
		if (!names[n])
			break;
		n++;
		rc = db_step(st);
	}
	if (st)
		db_done(st);
	if (rc == RC_ROW)
		db_fail(db, "cannot list the tables: out of memory");
	if (rc != RC_DONE) {
		free_names(names, n);
		return rc < 0 ? rc : RC_ERROR;
	}
	*out = names;
	*count = n;
	return RC_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The index of name in the sorted names, or -1. */
static long find_name(char **names, size_t n, const char *name)
{
	char **hit = name && n ? bsearch(&name, names, n, sizeof(*names), by_name) : NULL;
	return hit ? (long)(hit - names) : -1;
}

/*
 * The order: repeatedly the first table by name whose parents are all
 * placed. When none is, tables refer to each other in a circle (contracts
 * and quotes do): then the one of a circle, waiting only for tables of its
 * circle, with the fewest of them. A table's references to itself do not
 * count. refers[c * n + p]: c refers to p; reach, placed: scratch of n * n
 * and n flags.
 */
static void order_tables(char **names, size_t n, const bool *refers, bool *reach, bool *placed,
			 char **order)
{
	/* reach[a * n + b]: a refers to b, directly or through others */
	memcpy(reach, refers, n * n * sizeof(*reach));
	for (size_t k = 0; k < n; k++)
		for (size_t a = 0; a < n; a++)
			for (size_t b = 0; a != k && reach[a * n + k] && b < n; b++)
				reach[a * n + b] = reach[a * n + b] || reach[k * n + b];
	memset(placed, 0, n * sizeof(*placed));
	for (size_t k = 0; k < n; k++) {
		size_t best = n, best_waits = n + 1;
		for (size_t c = 0; c < n && best_waits; c++) {
			if (placed[c])
				continue;
			size_t waits = 0;
			bool in_circle = true;
			for (size_t p = 0; p < n; p++) {
				if (p == c || placed[p] || !refers[c * n + p])
					continue;
				waits++;
				in_circle = in_circle && reach[p * n + c];
			}
			if (in_circle && waits < best_waits) {
				best = c;
				best_waits = waits;
			}
		}
		assert(best < n);	/* stuck tables always hold a circle */
		placed[best] = true;
		order[k] = names[best];
	}
	order[n] = NULL;
}

int db_table_list(struct db *db, char ***tables)
{
	const struct db_driver *drv = db_driver_of(db);
	char **names;
	size_t n;
	int rc = read_names(db, drv->tables_sql, &names, &n);
	if (rc != RC_OK)
		return rc;
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);
	/* n * n "refers" flags, n * n "reach" and n "placed" */
	bool *flags = xcalloc(2 * n * n + n + 1, sizeof(*flags));
	char **order = xcalloc(n + 1, sizeof(*order));
	struct db_stmt *st = NULL;
	if (flags && order) {
		rc = db_run(db, &st, drv->foreign_keys_sql, "");
	} else {
		db_fail(db, "cannot list the tables: out of memory");
		rc = RC_ERROR;
	}
	while (rc == RC_ROW) {
		long c = find_name(names, n, db_col_text(st, 0));
		long p = find_name(names, n, db_col_text(st, 1));
		if (c >= 0 && p >= 0)
			flags[(size_t)c * n + (size_t)p] = true;
		rc = db_step(st);
	}
	if (st)
		db_done(st);
	if (rc != RC_DONE) {
		xfree(flags);
		xfree(order);
		free_names(names, n);
		return rc < 0 ? rc : RC_ERROR;
	}
	order_tables(names, n, flags, flags + n * n, flags + 2 * n * n, order);
	xfree(flags);
	xfree(names);	/* the strings live on in order */
	*tables = order;
	return RC_OK;
}

void db_table_list_free(char **tables)
{
	for (char **t = tables; t && *t; t++)
		xfree(*t);
	xfree(tables);
}

/* The key order of a table: id, or version for schema_migrations, or the primary key. */
static const char *order_of(const char *table)
{
	if (strcmp(table, "schema_migrations") == 0)
		return "version";
	if (strcmp(table, "login_failures") == 0)
		return "scope, key";
	if (strcmp(table, "counters") == 0)
		return "name";
	return "id";
}

/*
 * The columns both sides compare: every column but those a backend
 * computes itself (the PostgreSQL search vector).
 */
static int column_list(struct db *db, const char *table, struct buf *cols, int *ncols)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT * FROM %s WHERE 1 = 0", table);
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return RC_ERROR;
	int rc = db_step(st);
	if (rc < 0) {
		db_done(st);
		return rc;
	}
	int n = db_col_count(st);
	*ncols = 0;
	for (int i = 0; i < n; i++) {
		const char *name = db_col_name(st, i);
		if (strcmp(name, "search_vector") == 0)
			continue;
		buf_addf(cols, "%s%s", *ncols ? ", " : "", name);
		(*ncols)++;
	}
	db_done(st);
	return cols->failed ? RC_ERROR : RC_OK;
}

int db_table_checksum(struct db *db, const char *table, char hex[65], int64_t *rows)
{
	struct buf cols, sql;
	buf_init(&cols, 64 * 1024);
	buf_init(&sql, 64 * 1024);
	int n;
	int rc = column_list(db, table, &cols, &n);
	if (rc != RC_OK) {
		buf_release(&cols);
		return rc;
	}
	buf_addf(&sql, "SELECT %s FROM %s ORDER BY %s", buf_str(&cols), table, order_of(table));
	buf_release(&cols);
	struct db_stmt *st = sql.failed ? NULL : db_prepare(db, buf_str(&sql));
	buf_release(&sql);
	if (!st)
		return RC_ERROR;
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	*rows = 0;
	while ((rc = db_step(st)) == RC_ROW) {
		for (int i = 0; i < n; i++) {
			const char *v = db_col_text(st, i);
			/* a tag byte keeps NULL apart from any text */
			unsigned char tag = v ? 'v' : 'n';
			crypto_hash_sha256_update(&h, &tag, 1);
			if (v)
				crypto_hash_sha256_update(&h, (const unsigned char *)v, strlen(v) + 1);
		}
		(*rows)++;
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc;
	unsigned char out[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, out);
	sodium_bin2hex(hex, 65, out, sizeof(out));
	return RC_OK;
}

/*
 * Rows go in batches of multi-row INSERTs: one statement per COPY_BATCH
 * rows instead of one per row, which is what makes a copy to a PostgreSQL
 * server over the network take seconds rather than minutes. A batch also
 * stays under both backends' limits on bound parameters.
 */
enum { COPY_BATCH = 200, COPY_MAX_PARAMS = 30000 };

/* The INSERT of `rows` rows of `ncols` columns into table, or NULL. */
static struct db_stmt *insert_stmt(struct db *to, const char *table, const char *cols,
				   int ncols, int rows)
{
	struct buf sql;
	buf_init(&sql, 4 * 1024 * 1024);
	buf_addf(&sql, "INSERT INTO %s (%s) VALUES ", table, cols);
	for (int r = 0; r < rows; r++) {
		buf_addstr(&sql, r ? ", (" : "(");
		for (int i = 0; i < ncols; i++)
			buf_addstr(&sql, i ? ", ?" : "?");
		buf_addch(&sql, ')');
	}
	struct db_stmt *st = sql.failed ? NULL : db_prepare(to, buf_str(&sql));
	buf_release(&sql);
	return st;
}

/* Inserts the `rows` buffered rows (values row-major in vals). */
static int insert_batch(struct db *to, const char *table, const char *cols, int ncols,
			int rows, char *const *vals)
{
	struct db_stmt *st = insert_stmt(to, table, cols, ncols, rows);
	if (!st)
		return RC_ERROR;
	for (int i = 0; i < rows * ncols; i++)
		db_bind_text(st, i + 1, vals[i]);
	int rc = db_step(st);
	db_done(st);
	return rc == RC_DONE ? RC_OK : rc < 0 ? rc : RC_ERROR;
}

static int copy_table(struct db *from, struct db *to, const char *table, int64_t *copied)
{
	struct buf cols, sql;
	buf_init(&cols, 64 * 1024);
	buf_init(&sql, 64 * 1024);
	int n;
	int rc = column_list(from, table, &cols, &n);
	if (rc != RC_OK) {
		buf_release(&cols);
		return rc;
	}
	buf_addf(&sql, "SELECT %s FROM %s ORDER BY %s", buf_str(&cols), table, order_of(table));
	struct db_stmt *src = sql.failed || cols.failed ? NULL : db_prepare(from, buf_str(&sql));
	buf_release(&sql);
	int batch = COPY_MAX_PARAMS / n < COPY_BATCH ? COPY_MAX_PARAMS / n : COPY_BATCH;
	char **vals = src ? xcalloc((size_t)batch * n, sizeof(*vals)) : NULL;
	struct arena a;
	arena_init(&a);
	*copied = 0;
	int rows = 0;
	rc = vals ? RC_OK : RC_ERROR;
	while (rc == RC_OK && (rc = db_step(src)) == RC_ROW) {
		rc = RC_OK;
		for (int i = 0; i < n && rc == RC_OK; i++) {
			const char *v = db_col_text(src, i);
			vals[rows * n + i] = v ? arena_strdup(&a, v) : NULL;
			if (v && !vals[rows * n + i])
				rc = RC_ERROR;
		}
		if (rc == RC_OK && ++rows == batch) {
			rc = insert_batch(to, table, buf_str(&cols), n, rows, vals);
			*copied += rows;
			rows = 0;
			arena_release(&a);
		}
	}
	if (rc == RC_DONE)
		rc = rows ? insert_batch(to, table, buf_str(&cols), n, rows, vals) : RC_OK;
	*copied += rc == RC_OK ? rows : 0;
	if (src)
		db_done(src);
	arena_release(&a);
	xfree(vals);
	buf_release(&cols);
	if (rc != RC_OK)
		return rc < 0 ? rc : RC_ERROR;
	const char *after = db_driver_of(to)->after_copy_sql;
	if (after && strcmp(order_of(table), "id") == 0) {
		char fix[512];
		snprintf(fix, sizeof(fix), after, table, table);
		struct db_stmt *st = db_prepare(to, fix);
		if (!st)
			return RC_ERROR;
		rc = db_step(st);
		db_done(st);
		if (rc < 0)
			return rc;
	}
	return RC_OK;
}

/* Runs a driver's counters SQL (if any) for every counter. */
static int counters_sql(struct db *db, const char *fmt)
{
	for (const char *const *c = db_counters; fmt && *c; c++) {
		char sql[512];
		snprintf(sql, sizeof(sql), fmt, *c, *c);
		struct db_stmt *st = db_prepare(db, sql);
		if (!st)
			return RC_ERROR;
		int rc = db_step(st);
		db_done(st);
		if (rc < 0)
			return rc;
	}
	return RC_OK;
}

struct copy_ctx {
	struct db *from;
	char **tables;		/* db_table_list of the source */
	bool verbose;
	char *err;
	size_t errlen;
};

/* Tables a migration fills: the source's rows replace the target's. */
static const char *const seeded[] = { "schema_migrations", "settings", "mail_templates",
				     "qa_templates", NULL };

static bool is_seeded(const char *table)
{
	for (const char *const *s = seeded; *s; s++)
		if (strcmp(*s, table) == 0)
			return true;
	return false;
}

static int copy_all(struct db *to, void *arg)
{
	struct copy_ctx *c = arg;
	/* a company may refer to one with a higher id: check references at commit */
	const char *defer = db_driver_of(to)->defer_constraints_sql;
	if (defer && db_exec(to, defer) != RC_OK)
		return RC_ERROR;
	/* the source's migration records and seeded rows replace the target's */
	for (const char *const *s = seeded; *s; s++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "DELETE FROM %s", *s);
		int rc0 = db_exec(to, sql);
		if (rc0 != RC_OK)
			return rc0;
	}
	for (char **t = c->tables; *t; t++) {
		int64_t rows;
		int rc = copy_table(c->from, to, *t, &rows);
		if (rc != RC_OK) {
			snprintf(c->err, c->errlen, "cannot copy table %s: %s", *t, db_errmsg(to));
			return rc;
		}
	}
	/* number sequences continue where the copied counters are */
	int rc = counters_sql(to, db_driver_of(to)->counters_load_sql);
	if (rc != RC_OK)
		snprintf(c->err, c->errlen, "cannot set the number sequences: %s", db_errmsg(to));
	return rc;
}

/* db_copy once both sides are at the same version and tables lists the source's. */
static int copy_checked(struct db *from, struct db *to, char **tables, bool verbose, char *err,
			size_t errlen)
{
	/*
	 * Where numbers come from sequences, their positions go into the
	 * counters table first, so the table copies (and checksums) like the
	 * others. The servers are stopped: nothing takes a number meanwhile.
	 */
	if (counters_sql(from, db_driver_of(from)->counters_save_sql) != RC_OK) {
		snprintf(err, errlen, "cannot read the number sequences: %s", db_errmsg(from));
		return RC_ERROR;
	}
	/* the target must be empty but for what its migrations put there; the
	 * message names every table that is not ("servio init" leaves a user
	 * and the audit entry of making them) */
	struct buf full;
	buf_init(&full, 0);
	for (char **t = tables; *t; t++) {
		if (is_seeded(*t))
			continue;
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", *t);
		struct db_stmt *st;
		if (db_run(to, &st, sql, "") != RC_ROW) {
			snprintf(err, errlen, "cannot count %s in the target: %s", *t, db_errmsg(to));
			buf_release(&full);
			return RC_ERROR;
		}
		int64_t n = db_col_int(st, 0);
		db_done(st);
		if (n)
			buf_addf(&full, "%s%s has %lld rows", full.len ? ", " : "", *t, (long long)n);
	}
	if (full.len || full.failed) {
		snprintf(err, errlen, "the target is not empty: %s",
			 full.failed ? "(out of memory listing the tables)" : buf_str(&full));
		buf_release(&full);
		return RC_ERROR;
	}
	buf_release(&full);
	err[0] = '\0';
	struct copy_ctx ctx = { from, tables, verbose, err, errlen };
	if (db_txn(to, copy_all, &ctx) != RC_OK) {
		if (!err[0])
			snprintf(err, errlen, "cannot copy: %s", db_errmsg(to));
		return RC_ERROR;	/* rolled back: the target is as it was */
	}
	for (char **t = tables; *t; t++) {
		char a[65], b[65];
		int64_t ra, rb;
		if (db_table_checksum(from, *t, a, &ra) != RC_OK ||
		    db_table_checksum(to, *t, b, &rb) != RC_OK) {
			snprintf(err, errlen, "cannot checksum table %s", *t);
			return RC_ERROR;
		}
		if (ra != rb || strcmp(a, b) != 0) {
			snprintf(err, errlen, "table %s differs after the copy: %lld rows, sha256 %.16s"
					      " in the source; %lld rows, sha256 %.16s in the target",
				 *t, (long long)ra, a, (long long)rb, b);
			return RC_ERROR;
		}
		if (verbose)
			printf("%-18s %10lld rows  sha256 %s\n", *t, (long long)ra, a);
		/*
		 * fresh planner statistics: without them the first queries on
		 * a bulk-loaded PostgreSQL database may scan whole tables (both
		 * dialects spell it alike). Not of an empty table: analyzed, it
		 * is planned as empty, and the session that fills it (a firm's
		 * first invoice run: 9,868 invoices) scans it whole for each
		 * row it checks a key against; never analyzed, it is planned as
		 * a table of some pages, through its indexes.
		 */
		char sql[128];
		snprintf(sql, sizeof(sql), "ANALYZE %s", *t);
		if (ra && db_exec(to, sql) != RC_OK) {
			snprintf(err, errlen, "copied, but cannot analyze %s in the target: %s", *t,
				 db_errmsg(to));
			return RC_ERROR;
		}
	}
	return RC_OK;
}

int db_copy(struct db *from, struct db *to, bool verbose, char *err, size_t errlen)
{
	int from_v, to_v, latest;
	if (db_schema_version(from, &from_v, &latest) != RC_OK ||
	    db_schema_version(to, &to_v, &latest) != RC_OK) {
		snprintf(err, errlen, "cannot read the schema versions");
		return RC_ERROR;
	}
	if (from_v != latest || to_v != latest) {
		snprintf(err, errlen, "both databases must be migrated to version %d (source %d, "
				      "target %d)", latest, from_v, to_v);
		return RC_ERROR;
	}
	/* the same version: the source's tables are the target's */
	char **tables;
	if (db_table_list(from, &tables) != RC_OK) {
		snprintf(err, errlen, "cannot list the tables of the source: %s", db_errmsg(from));
		return RC_ERROR;
	}
	int rc = copy_checked(from, to, tables, verbose, err, errlen);
	db_table_list_free(tables);
	return rc;
}
