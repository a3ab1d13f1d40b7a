/*
 * migrate.c - versioned schema migrations, each applied in one transaction.
 *
 * A migration is a file, src/db/migrations/NNNN_name.sql, embedded at build
 * time: cmake/embed_migrations.cmake turns the files into the rows of the
 * table below, in version order (NNNN is the version, the rest the name),
 * and fails the build on a misnamed file or a gap in the numbers.
 *
 * The files are portable SQL that psql and sqlite3 read as they are. Where
 * the dialects differ, marker lines (src/db/migrations/README.md) say what
 * runs where, and db_migration_sql() reads them:
 *
 *   -- @sqlite / -- @postgres / -- @all   the lines up to the next section
 *                                         marker run on that dialect / both
 *   @ID_PK@                               the driver's self-numbering integer
 *                                         primary key type
 *   -- @fts TABLE COL,COL,...             a full-text index over those columns,
 *                                         built by fts_sqlite() or fts_postgres()
 *   -- @ftstext TABLE COL,COL,...         the SQLite update trigger of an older
 *                                         index remade to fire only when one
 *                                         of its columns changes
 *   -- @ftswords TABLE COL,COL,...        SQLite: the list of an index's words
 *                                         (fts_words()), filled from it; put it
 *                                         after every @fts
 *
 * so domain tables never spell FTS5 or tsvector. A file starts in "@all".
 *
 * Add a migration by adding a file with the next number; never edit one
 * that shipped: databases out there ran it as it was.
 */
#include "driver.h"

#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const struct db_driver *db_driver_of(const struct db *db);

struct migration {
	int version;		/* the file's NNNN */
	const char *name;	/* the rest, "_" read as " ": what schema_migrations records */
	const char *file;	/* the file name, for messages */
	const char *text;	/* the file as it is */
};

static const struct migration migrations[] = {
#include "migrations.inc"	/* generated in the build directory */
};

static const size_t nmigrations = sizeof(migrations) / sizeof(migrations[0]);

struct fts_index {
	char table[64];
	char columns[1024];	/* comma-separated, no spaces */
};

/* Appends "prefix.col1, prefix.col2" (prefix may be empty). */
static void columns_list(struct buf *b, const char *prefix, const char *cols)
{
	const char *p = cols;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (p != cols)
			buf_addstr(b, ", ");
		buf_addf(b, "%s%.*s", prefix, (int)n, p);
		p += n + (end ? 1 : 0);
	}
}

/*
 * The update trigger: only a change of an indexed column re-tokenizes the
 * row (an SLA clock or a status moving leaves the index alone).
 */
static void fts_sqlite_update(struct buf *b, const struct fts_index *f)
{
	const char *t = f->table;
	buf_addf(b, "CREATE TRIGGER %s_fts_au AFTER UPDATE OF ", t);
	columns_list(b, "", f->columns);
	buf_addf(b, " ON %s BEGIN INSERT INTO %s_fts(%s_fts, rowid, ", t, t, t);
	columns_list(b, "", f->columns);
	buf_addstr(b, ") VALUES ('delete', old.id, ");
	columns_list(b, "old.", f->columns);
	buf_addf(b, "); INSERT INTO %s_fts(rowid, ", t);
	columns_list(b, "", f->columns);
	buf_addstr(b, ") VALUES (new.id, ");
	columns_list(b, "new.", f->columns);
	buf_addstr(b, "); END;");
}

static void fts_sqlite(struct buf *b, const struct fts_index *f)
{
	const char *t = f->table;
	buf_addf(b, "CREATE VIRTUAL TABLE %s_fts USING fts5(", t);
	columns_list(b, "", f->columns);
	buf_addf(b, ", content='%s', content_rowid='id',"
		    " tokenize='unicode61 remove_diacritics 2');", t);

	buf_addf(b, "CREATE TRIGGER %s_fts_ai AFTER INSERT ON %s BEGIN"
		    " INSERT INTO %s_fts(rowid, ", t, t, t);
	columns_list(b, "", f->columns);
	buf_addstr(b, ") VALUES (new.id, ");
	columns_list(b, "new.", f->columns);
	buf_addstr(b, "); END;");

	buf_addf(b, "CREATE TRIGGER %s_fts_ad AFTER DELETE ON %s BEGIN"
		    " INSERT INTO %s_fts(%s_fts, rowid, ", t, t, t, t);
	columns_list(b, "", f->columns);
	buf_addstr(b, ") VALUES ('delete', old.id, ");
	columns_list(b, "old.", f->columns);
	buf_addstr(b, "); END;");

	fts_sqlite_update(b, f);
}

/* "coalesce(new.a, '') || ' ' || coalesce(new.b, '')" */
static void words_input(struct buf *b, const char *cols)
{
	const char *p = cols;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		buf_addf(b, "%scoalesce(new.%.*s, '')", p == cols ? "" : " || ' ' || ", (int)n, p);
		p += n + (end ? 1 : 0);
	}
}

/*
 * The words of an index (SQLite), one row each, for spelling out a prefix
 * (db_fts_query): FTS5 can list its own words only by reading each one's
 * whole list of rows. Rows add their words as they are written, through
 * the same tokenizer as the index (search_fts_tokens, made by the migration
 * search_words); a word no row holds any more stays, matching nothing.
 * It starts from the index's own words (read once, through fts5vocab).
 */
static void fts_words(struct buf *b, const struct fts_index *f)
{
	const char *t = f->table;
	buf_addf(b, "CREATE TABLE %s_fts_words (word TEXT PRIMARY KEY) WITHOUT ROWID;"
		    "CREATE VIRTUAL TABLE temp.%s_fts_row USING fts5vocab(main, %s_fts, row);"
		    "INSERT INTO %s_fts_words (word) SELECT term FROM temp.%s_fts_row;"
		    "DROP TABLE temp.%s_fts_row;", t, t, t, t, t, t);
	buf_addf(b, "CREATE TRIGGER %s_fts_words_ai AFTER INSERT ON %s BEGIN"
		    " INSERT OR IGNORE INTO %s_fts_words (word) SELECT token FROM search_fts_tokens"
		    " WHERE input = ", t, t, t);
	words_input(b, f->columns);
	buf_addf(b, "; END;CREATE TRIGGER %s_fts_words_au AFTER UPDATE OF ", t);
	columns_list(b, "", f->columns);
	buf_addf(b, " ON %s BEGIN INSERT OR IGNORE INTO %s_fts_words (word) SELECT token FROM"
		    " search_fts_tokens WHERE input = ", t, t);
	words_input(b, f->columns);
	buf_addstr(b, "; END;");
}

/*
 * PostgreSQL: a generated tsvector over the columns and a GIN index on it.
 * 'simple' (no stemming) over unaccented text matches what FTS5's
 * unicode61 with remove_diacritics does on SQLite, so "cafe" finds "Café"
 * on both. servio_unaccent wraps unaccent as IMMUTABLE (it is, with a
 * fixed dictionary) so a generated column may use it. The index's pending
 * list is kept small (64 kB): every search reads all of it
 * (0037_search_pending_list.sql).
 */
static const char fts_postgres_setup[] =
	"CREATE EXTENSION IF NOT EXISTS unaccent;"
	"CREATE OR REPLACE FUNCTION servio_unaccent(text) RETURNS text"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT"
	" AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;";

static void fts_postgres(struct buf *b, const struct fts_index *f)
{
	const char *t = f->table;
	buf_addf(b, "ALTER TABLE %s ADD COLUMN search_vector tsvector GENERATED ALWAYS AS"
		    " (to_tsvector('simple', servio_unaccent(", t);
	const char *p = f->columns;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		buf_addf(b, "%scoalesce(%.*s, '')", p == f->columns ? "" : " || ' ' || ", (int)n,
			 p);
		p += n + (end ? 1 : 0);
	}
	buf_addf(b, "))) STORED; CREATE INDEX %s_search ON %s USING GIN (search_vector)"
		    " WITH (gin_pending_list_limit = 64);", t, t);
}

/* What a migration file is read with: the dialect and where the SQL goes. */
struct reader {
	const char *dialect;
	const char *id_pk;
	struct buf *out;
	int line;
	const char *section;	/* "all" or a dialect name */
	bool fts_setup;		/* fts_postgres_setup is in out already */
	bool has_sql;		/* a line that is not blank or a comment is in out */
	char *err;
	size_t errlen;
};

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/* The length of the SQL identifier at s (0 when none starts there). */
static size_t ident_len(const char *s, size_t n)
{
	size_t i = 0;
	if (n && ident_start(s[0]))
		for (i = 1; i < n && ident_char(s[i]); i++)
			;
	return i;
}

static int refuse(struct reader *r, const char *fmt, const char *s, size_t n)
{
	char what[96];
	/* the line, shortened, in the message */
	snprintf(what, sizeof(what), "%.*s%s", n > 64 ? 64 : (int)n, s, n > 64 ? "…" : "");
	char why[200];
	snprintf(why, sizeof(why), fmt, what);
	snprintf(r->err, r->errlen, "line %d: %s", r->line, why);
	return RC_ERROR;
}

/* Whether a line means to be a marker: "--", then "@", blanks allowed around the dashes. */
static bool marker_like(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && blank(s[i]))
		i++;
	if (n - i < 2 || s[i] != '-' || s[i + 1] != '-')
		return false;
	for (i += 2; i < n && blank(s[i]); i++)
		;
	return i < n && s[i] == '@';
}

static bool rest_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!blank(s[i]))
			return false;
	return true;
}

/* "-- @fts TABLE COL,COL,...": the part after "-- @fts" into f. */
static int read_fts(struct reader *r, const char *line, size_t len, const char *s, size_t n,
		    struct fts_index *f)
{
	static const char usage[] = "malformed marker \"%s\": write \"-- @fts TABLE COLUMN,COLUMN,...\" (or @ftstext, @ftswords)";
	if (n < 2 || s[0] != ' ')
		return refuse(r, usage, line, len);
	size_t t = ident_len(s + 1, n - 1);
	if (!t || t >= sizeof(f->table) || 1 + t >= n || s[1 + t] != ' ')
		return refuse(r, usage, line, len);
	memcpy(f->table, s + 1, t);
	f->table[t] = '\0';
	size_t i = 2 + t, c = 0;
	for (;;) {
		size_t k = ident_len(s + i, n - i);
		if (!k || c + k + 1 >= sizeof(f->columns))
			return refuse(r, usage, line, len);
		memcpy(f->columns + c, s + i, k);
		c += k;
		i += k;
		if (i < n && s[i] == ',') {
			f->columns[c++] = ',';
			i++;
			continue;
		}
		break;
	}
	f->columns[c] = '\0';
	if (!rest_blank(s + i, n - i))
		return refuse(r, usage, line, len);
	return RC_OK;
}

static bool applies(const struct reader *r)
{
	return strcmp(r->section, "all") == 0 || strcmp(r->section, r->dialect) == 0;
}

static int read_marker(struct reader *r, const char *s, size_t n)
{
	static const char *const sections[] = { "all", "sqlite", "postgres" };
	if (n < 4 || memcmp(s, "-- @", 4) != 0)
		return refuse(r, "malformed marker \"%s\": markers start a line with \"-- @\"", s, n);
	const char *word = s + 4;
	size_t w = 0;
	while (4 + w < n && word[w] >= 'a' && word[w] <= 'z')
		w++;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (w == strlen(sections[i]) && memcmp(word, sections[i], w) == 0) {
			if (!rest_blank(word + w, n - 4 - w))
				return refuse(r, "malformed marker \"%s\": a section marker stands alone", s, n);
			r->section = sections[i];
			return RC_OK;
		}
	}
	bool text_only = w == 7 && memcmp(word, "ftstext", 7) == 0;
	bool words = w == 8 && memcmp(word, "ftswords", 8) == 0;
	if (!text_only && !words && (w != 3 || memcmp(word, "fts", 3) != 0))
		return refuse(r, "unknown marker \"%s\" (known: -- @all, -- @sqlite, -- @postgres,"
				 " -- @fts, -- @ftstext, -- @ftswords)", s, n);
	struct fts_index f;
	if (read_fts(r, s, n, word + w, n - 4 - w, &f) != RC_OK)
		return RC_ERROR;
	if (!applies(r))
		return RC_OK;
	if (text_only || words) {
		/* SQLite only: PostgreSQL keeps its generated column as it is */
		if (strcmp(r->dialect, "sqlite") == 0) {
			if (words) {
				fts_words(r->out, &f);
			} else {
				buf_addf(r->out, "DROP TRIGGER IF EXISTS %s_fts_au;", f.table);
				fts_sqlite_update(r->out, &f);
			}
			buf_addch(r->out, '\n');
			r->has_sql = true;
		}
		return RC_OK;
	}
	if (strcmp(r->dialect, "sqlite") == 0) {
		fts_sqlite(r->out, &f);
	} else {
		if (!r->fts_setup)
			buf_addstr(r->out, fts_postgres_setup);
		r->fts_setup = true;
		fts_postgres(r->out, &f);
	}
	buf_addch(r->out, '\n');
	r->has_sql = true;
	return RC_OK;
}

/*
 * A line of SQL, with @ID_PK@ replaced, into out when emit (lines of the
 * other dialect are only checked); any other @NAME@ is a typo.
 */
static int add_line(struct reader *r, const char *s, size_t n, bool emit)
{
	size_t i = 0, from = 0;
	while (i < n) {
		size_t k = i + 1;
		if (s[i] == '@')
			while (k < n && ((s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= '0' && s[k] <= '9') ||
					 s[k] == '_'))
				k++;
		if (s[i] != '@' || k == i + 1 || k == n || s[k] != '@') {
			i++;
			continue;
		}
		if (k - i - 1 != 5 || memcmp(s + i + 1, "ID_PK", 5) != 0)
			return refuse(r, "unknown placeholder in \"%s\" (known: @ID_PK@)", s, n);
		if (emit) {
			buf_add(r->out, s + from, i - from);
			buf_addstr(r->out, r->id_pk);
		}
		i = from = k + 1;
	}
	if (!emit)
		return RC_OK;
	buf_add(r->out, s + from, n - from);
	buf_addch(r->out, '\n');
	size_t b = 0;
	while (b < n && blank(s[b]))
		b++;
	if (b < n && !(n - b >= 2 && s[b] == '-' && s[b + 1] == '-'))
		r->has_sql = true;
	return RC_OK;
}

int db_migration_sql(const char *dialect, const char *text, struct buf *out, char *err,
		     size_t errlen)
{
	const struct db_driver *drv = NULL;
	if (strcmp(dialect, db_sqlite_driver.name) == 0)
		drv = &db_sqlite_driver;
	else if (strcmp(dialect, db_pg_driver.name) == 0)
		drv = &db_pg_driver;
	if (!drv) {
		snprintf(err, errlen, "unknown dialect \"%s\"", dialect);
		return RC_ERROR;
	}
	struct reader r = { .dialect = drv->name, .id_pk = drv->id_pk, .out = out,
			    .section = "all", .err = err, .errlen = errlen };
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		r.line++;
		int rc = RC_OK;
		if (marker_like(p, n))
			rc = read_marker(&r, p, n);
		else
			rc = add_line(&r, p, n, applies(&r));
		if (rc != RC_OK)
			return rc;
		p += n + (nl ? 1 : 0);
	}
	if (out->failed) {
		snprintf(err, errlen, "out of memory");
		return RC_ERROR;
	}
	if (!r.has_sql)
		buf_reset(out);	/* comments only: nothing to run on this dialect */
	return RC_OK;
}

struct apply_ctx {
	const struct migration *m;
	const char *sql;
};

static int apply_one(struct db *db, void *arg)
{
	struct apply_ctx *ctx = arg;
	/* several servers may start at once: one migrates, the others find it done */
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", "i",
			(int64_t)ctx->m->version);
	if (rc != RC_ROW)
		return rc;
	int64_t done = db_col_int(st, 0);
	db_done(st);
	if (done)
		return RC_OK;
	/* a migration with nothing for this dialect only records its version */
	if (ctx->sql[0]) {
		rc = db_exec(db, ctx->sql);
		if (rc != RC_OK)
			return rc;
	}
	char now[TIME_RFC3339_LEN];
	time_format(time_now(), now);
	return db_run(db, NULL,
		      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		      "iss", (int64_t)ctx->m->version, ctx->m->name, now) == RC_DONE
		       ? RC_OK
		       : RC_ERROR;
}

static int ensure_table(struct db *db)
{
	return db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			   " version BIGINT PRIMARY KEY,"
			   " name TEXT NOT NULL,"
			   " applied_at TEXT NOT NULL)");
}

int db_schema_version(struct db *db, int *current, int *latest)
{
	struct db_stmt *st;
	int rc = db_run(db, &st, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "");
	if (rc != RC_ROW)
		return RC_ERROR;
	*current = (int)db_col_int(st, 0);
	db_done(st);
	*latest = migrations[nmigrations - 1].version;
	return RC_OK;
}

static int migrate_locked(struct db *db, bool verbose);

/*
 * Several servers may start at once on one database: on PostgreSQL a
 * session lock lets one migrate while the others wait (and then find the
 * work done); on SQLite each migration's IMMEDIATE transaction does the
 * same, and apply_one re-reads the version inside it.
 */
int db_migrate(struct db *db, bool verbose)
{
	const struct db_driver *drv = db_driver_of(db);
	if (drv->migrate_lock_sql && db_exec(db, drv->migrate_lock_sql) != RC_OK)
		return RC_ERROR;
	int rc = migrate_locked(db, verbose);
	if (drv->migrate_unlock_sql) {
		char why[256];
		snprintf(why, sizeof(why), "%s", rc == RC_OK ? "" : db_errmsg(db));
		db_exec(db, drv->migrate_unlock_sql);
		if (rc != RC_OK)
			db_fail(db, "%s", why);	/* the reason, not the unlock's */
	}
	return rc;
}

/* The SQL of migration m on db's dialect into sql (emptied first). */
static int build_sql(struct db *db, const struct migration *m, struct buf *sql)
{
	char why[200];
	buf_reset(sql);
	if (db_migration_sql(db_dialect(db), m->text, sql, why, sizeof(why)) != RC_OK) {
		/* logged like a failed statement: "servio migrate" prints no more */
		log_error("cannot read migration %s: %s", m->file, why);
		db_fail(db, "cannot read migration %s: %s", m->file, why);
		return RC_ERROR;
	}
	return RC_OK;
}

static int migrate_locked(struct db *db, bool verbose)
{
	int current, latest;
	if (ensure_table(db) != RC_OK || db_schema_version(db, &current, &latest) != RC_OK)
		return RC_ERROR;
	if (current > latest) {
		db_fail(db, "the database schema version %d is newer than this program's (%d):"
			    " upgrade servio", current, latest);
		return RC_ERROR;
	}
	struct buf sql;
	buf_init(&sql, 0);
	/* every pending file must read before one runs: a bad marker changes nothing */
	for (size_t i = 0; i < nmigrations; i++) {
		assert(migrations[i].version == (int)i + 1);	/* the build checks the numbers */
		if (migrations[i].version > current && build_sql(db, &migrations[i], &sql) != RC_OK) {
			buf_release(&sql);
			return RC_ERROR;
		}
	}
	for (size_t i = 0; i < nmigrations; i++) {
		const struct migration *m = &migrations[i];
		if (m->version <= current)
			continue;
		if (build_sql(db, m, &sql) != RC_OK) {
			buf_release(&sql);
			return RC_ERROR;
		}
		struct apply_ctx ctx = { m, buf_str(&sql) };
		int rc = db_txn(db, apply_one, &ctx);
		if (rc != RC_OK) {
			char why[200];
			snprintf(why, sizeof(why), "%s", db_errmsg(db));
			db_fail(db, "cannot apply migration %d (%s): %s", m->version, m->name, why);
			buf_release(&sql);
			return RC_ERROR;
		}
		if (verbose)
			log_info("applied migration %d (%s)", m->version, m->name);
	}
	buf_release(&sql);
	return RC_OK;
}
