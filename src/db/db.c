/*
 * db.c - the driver-independent half of the database layer: connections,
 * the per-connection statement cache, transactions with retry, one writer
 * at a time on one writer connection with group commit, the checkpointer,
 * the per-thread pool, and the mark of a database with no room left to
 * write.
 */
#include "driver.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/log.h"

#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_SLOTS 512	/* power of two */
#define KEPT_SLOTS 64	/* power of two */
#define TXN_ATTEMPTS 12
#define IDS_AHEAD_MAX 64	/* ids taken ahead at most a statement (db_next_id) */
#define IDS_AHEAD_TABLES 4	/* tables a transaction takes ids ahead for */

struct db_link;

struct db_stmt {
	struct db *db;		/* who uses it (a writer's statement: who took it last) */
	struct db_link *link;	/* the connection it was prepared on */
	const char *user;	/* a writer's statement: the thread that took it last */
	struct db_stmt *next_used;	/* a writer's statement: in its link's used list */
	uint64_t used_turn;	/* ... of that turn */
	void *impl;
	char *sql;
	uint64_t hash;
	bool transient;		/* not in the cache: db_done finalizes it */
	bool writing;		/* a write outside a transaction, not ended yet */
	bool holds_write;	/* that write holds the write lock */
};

/* A connection and the statements prepared on it. */
struct db_link {
	void *conn;
	bool shared;		/* a writer's: threads take turns on it */
	struct db_stmt *cache[CACHE_SLOTS];
	size_t cached;
	/* db_prepare_kept's: a cached statement by the address of its text */
	struct {
		const char *sql;
		struct db_stmt *st;
	} kept[KEPT_SLOTS];
	int64_t changes_seen;	/* total_changes when the last write was counted (or BEGIN) */
	/* a writer's: the transaction holding it (its turn), the statements it took */
	uint64_t turn;
	struct db_stmt *used;
};

struct db_writer;

struct db {
	const struct db_driver *drv;
	struct db_link *link;	/* what statements run on: own, or the writer's in a write */
	struct db_link own;
	struct db_writer *writer;	/* SQLite: the database's writer connection */
	bool in_txn;
	bool reading;		/* in db_read_begin's read transaction */
	bool locking;		/* the next db_begin is db_txn_locking's */
	char *url;		/* what it was opened with (db_connect_again) */
	bool holds_write;	/* the transaction holds the write lock */
	const char *commit_mark;	/* db_set_commit_mark: run before each COMMIT */
	int64_t commit_mark_param;
	/* the ids taken ahead in this transaction (db_next_id), by table */
	struct ids_ahead {
		const char *table;
		int n, at, block;
		int64_t id[IDS_AHEAD_MAX];
	} ids[IDS_AHEAD_TABLES];
	int nids;
	char error[256];	/* the layer's own last error (db_fail), else empty */
};

static const struct db_driver *driver_for(const char *url)
{
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		return &db_pg_driver;
	return &db_sqlite_driver;
}

static void cache_clear(const struct db_driver *drv, struct db_link *link)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct db_stmt *st = link->cache[i];
		if (st) {
			drv->finalize(st->impl);
			xfree(st->sql);
			xfree(st);
			link->cache[i] = NULL;
		}
	}
	link->cached = 0;
	memset(link->kept, 0, sizeof(link->kept));
}

/*
 * The writer (SQLite). SQLite drops a connection's whole page cache when
 * another connection has committed since its last transaction (it keeps
 * no record of which pages changed), so writers taking turns on their own
 * connections read again every page they touch: 113 preads a ticket
 * create with two HTTP threads, 4.5 with one, and all of it under the
 * write lock. So a transaction that takes the write lock runs on the
 * database's one writer connection, whose cache only its own commits
 * change, and the thread's own connection is back when it ends. One writer
 * a database (by url), opened when first used, closed with the last
 * struct db of its url. A thread that made the process's last write on
 * its own connection keeps writing there (its cache is the warm one: a
 * process with one writing thread, a worker's sweep, never needs the
 * writer, whose commits would cool the thread's reads). Its statements
 * are cached on it, each marked with
 * the thread that took it last: a thread that resets or steps one after
 * its transaction ended (the next writer may have it) is told off in the
 * log and does nothing, and the transaction's end resets what it left.
 */
struct db_writer {
	char *url;
	unsigned users;		/* struct db's of this url, under writers_lock */
	bool failed;		/* could not open: transactions stay where they are */
	struct db_link link;	/* conn NULL until first used; under the write lock */
	struct db_writer *next;
};
static struct db_writer *writers;
static pthread_mutex_t writers_lock = PTHREAD_MUTEX_INITIALIZER;
/* The connection of the process's last write; under the write lock (compared, never used). */
static const struct db_link *last_written;
static _Thread_local const char this_thread;	/* its address names the thread */

static struct db_writer *writer_join(const char *url)
{
	pthread_mutex_lock(&writers_lock);
	struct db_writer *w = writers;
	while (w && strcmp(w->url, url) != 0)
		w = w->next;
	if (!w && (w = xcalloc(1, sizeof(*w))) != NULL) {
		w->url = xstrdup(url);
		if (!w->url) {
			xfree(w);
			w = NULL;
		} else {
			w->link.shared = true;
			w->next = writers;
			writers = w;
		}
	}
	if (w)
		w->users++;
	pthread_mutex_unlock(&writers_lock);
	return w;
}

static void writer_leave(const struct db_driver *drv, struct db_writer *w)
{
	pthread_mutex_lock(&writers_lock);
	bool last = --w->users == 0;
	if (last) {
		struct db_writer **p = &writers;
		while (*p != w)
			p = &(*p)->next;
		*p = w->next;
	}
	pthread_mutex_unlock(&writers_lock);
	if (!last)
		return;
	cache_clear(drv, &w->link);
	if (w->link.conn)
		drv->close(w->link.conn);
	xfree(w->url);
	xfree(w);
}

int db_connect(const char *url, struct db **out, char *err, size_t errlen)
{
	const struct db_driver *drv = driver_for(url);
	struct db *db = xcalloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, errlen, "cannot open database: out of memory");
		return RC_ERROR;
	}
	db->drv = drv;
	db->link = &db->own;
	db->url = xstrdup(url);
	if (!db->url) {
		snprintf(err, errlen, "cannot open database: out of memory");
		xfree(db);
		return RC_ERROR;
	}
	if (drv->open(url, &db->own.conn, err, errlen) != RC_OK) {
		xfree(db->url);
		xfree(db);
		return RC_ERROR;
	}
	/* none (an in-memory database is each connection's own): writes stay here */
	if (drv->open_writer && !strstr(url, ":memory:") && !strstr(url, "mode=memory"))
		db->writer = writer_join(url);
	*out = db;
	return RC_OK;
}

void db_disconnect(struct db *db)
{
	if (!db)
		return;
	cache_clear(db->drv, &db->own);
	db->drv->close(db->own.conn);
	if (db->writer)
		writer_leave(db->drv, db->writer);
	xfree(db->url);
	xfree(db);
}

int db_connect_again(const struct db *db, struct db **out, char *err, size_t errlen)
{
	return db_connect(db->url, out, err, errlen);
}

/*
 * Room to write. full: the last write of this process that ended was
 * refused with RC_FULL (any connection); seen_here: this thread met RC_FULL
 * since db_full_seen_reset().
 */
static atomic_bool full;
static _Thread_local bool seen_here;

static int noted(int rc)
{
	if (rc == RC_FULL) {
		atomic_store(&full, true);
		seen_here = true;
	}
	return rc;
}

/* Rows changed and kept since last counted: there was room after all. */
static void count_write(struct db *db)
{
	int64_t total = db->drv->total_changes(db->link->conn);
	if (total != db->link->changes_seen) {
		db->link->changes_seen = total;
		atomic_store(&full, false);
	}
}

bool db_full(void)
{
	return atomic_load(&full);
}

bool db_full_seen(void)
{
	return seen_here;
}

void db_full_seen_reset(void)
{
	seen_here = false;
}

const char *db_dialect(const struct db *db)
{
	return db->drv->name;
}

void db_fail(struct db *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->error, sizeof(db->error), fmt, ap);
	va_end(ap);
}

const char *db_errmsg(struct db *db)
{
	if (db->error[0])
		return db->error;
	const char *m = db->drv->errmsg(db->link->conn);
	return m ? m : "";
}

/*
 * One writer at a time (drivers with stmt_writes: SQLite). A thread that
 * holds the lock and writes on a second connection does not take it again
 * (SQLite's own lock then decides, as it did before this lock).
 */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local bool write_held;

static bool take_write(struct db *db)
{
	if (!db->drv->stmt_writes || write_held)
		return false;
	pthread_mutex_lock(&write_lock);
	write_held = true;
	return true;
}

static void give_write(void)
{
	write_held = false;
	pthread_mutex_unlock(&write_lock);
}

/*
 * Group commit. A commit made without an fsync (needs_log_sync) is
 * numbered under the write lock once it is in the WAL; after the lock is
 * given back, sync_upto waits until a sync that began after it ends. The
 * first waiter to find no sync running becomes the leader: it notes the
 * last number, syncs, and wakes everyone whose number it covered. Commits
 * made while it syncs share the next one.
 */
static atomic_uint_fast64_t commits_written;
static uint64_t commits_durable;	/* under sync_mutex */
static bool syncing;			/* under sync_mutex */
static pthread_mutex_t sync_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_done = PTHREAD_COND_INITIALIZER;
static atomic_ulong log_syncs, commits_synced;

unsigned long db_log_syncs(void)
{
	return atomic_load(&log_syncs);
}

unsigned long db_commits_synced(void)
{
	return atomic_load(&commits_synced);
}

/*
 * A reply that waits off its thread (db_sync_defer_begin): this thread's
 * commits between begin and end are numbered but not waited for; the
 * highest number is what the reply waits for.
 */
static _Thread_local bool sync_deferred;
static _Thread_local uint64_t sync_owed;

void db_sync_defer_begin(void)
{
	sync_deferred = true;
	sync_owed = 0;
}

uint64_t db_sync_defer_end(void)
{
	uint64_t owed = sync_owed;
	sync_deferred = false;
	sync_owed = 0;
	return owed;
}

bool db_synced(uint64_t upto)
{
	pthread_mutex_lock(&sync_mutex);
	bool done = commits_durable >= upto;
	pthread_mutex_unlock(&sync_mutex);
	return done;
}

static int sync_upto(struct db *db, uint64_t mine)
{
	int rc = RC_OK;
	pthread_mutex_lock(&sync_mutex);
	while (commits_durable < mine) {
		if (syncing) {
			pthread_cond_wait(&sync_done, &sync_mutex);
			continue;
		}
		syncing = true;
		uint64_t upto = atomic_load(&commits_written);
		pthread_mutex_unlock(&sync_mutex);
		rc = db->drv->sync_log(db->own.conn);
		atomic_fetch_add(&log_syncs, 1);
		pthread_mutex_lock(&sync_mutex);
		syncing = false;
		if (rc == RC_OK && upto > commits_durable)
			commits_durable = upto;
		pthread_cond_broadcast(&sync_done);
		if (rc != RC_OK) {
			log_error("cannot sync the database's log: %s", db_errmsg(db));
			break;
		}
	}
	pthread_mutex_unlock(&sync_mutex);
	return rc;
}

int db_sync_wait(struct db *db, uint64_t upto)
{
	return upto ? sync_upto(db, upto) : RC_OK;
}

/*
 * A write is in: number it if it waits for a sync, give the lock back,
 * and wait for the sync (wrote: it changed rows; a read-only transaction
 * has nothing to make durable), or leave the wait to the thread's reply.
 */
static int write_done(struct db *db, bool held, bool wrote)
{
	bool sync = wrote && db->drv->needs_log_sync && db->drv->needs_log_sync();
	uint64_t mine = sync ? atomic_fetch_add(&commits_written, 1) + 1 : 0;
	if (held)
		give_write();
	if (!sync)
		return RC_OK;
	atomic_fetch_add(&commits_synced, 1);
	if (sync_deferred) {
		sync_owed = mine;	/* numbers only grow */
		return RC_OK;
	}
	return sync_upto(db, mine);
}

int db_read_begin(struct db *db)
{
	if (db->in_txn || db->reading || !db->drv->read_begin_sql)
		return RC_OK;
	int rc = db->drv->exec(db->link->conn, db->drv->read_begin_sql);
	if (rc == RC_OK)
		db->reading = true;
	return rc;
}

void db_read_end(struct db *db)
{
	if (!db->reading)
		return;
	db->reading = false;
	if (db->drv->exec(db->link->conn, "COMMIT") != RC_OK)
		db->drv->exec(db->link->conn, "ROLLBACK");
}

int db_exec(struct db *db, const char *sql)
{
	db_read_end(db);	/* whatever it is, not inside the reads' snapshot */
	db->error[0] = '\0';
	int rc = noted(db->drv->exec(db->link->conn, sql));
	if (rc < 0 && rc != RC_RETRY)
		log_error("cannot run sql: %s", db_errmsg(db));
	else if (rc >= 0 && !db->in_txn)
		count_write(db);
	return rc;
}

/*
 * A statement is this thread's to use now (a writer's changes hands, and
 * joins the list its transaction's end resets).
 */
static struct db_stmt *taken(struct db *db, struct db_stmt *st)
{
	st->db = db;
	st->user = &this_thread;
	struct db_link *link = st->link;
	if (link->shared && !st->transient && st->used_turn != link->turn) {
		st->used_turn = link->turn;
		st->next_used = link->used;
		link->used = st;
	}
	return st;
}

/*
 * A writer's statement used after its transaction ended: the end reset it,
 * and the next writer may have it now (see db_writer).
 */
static bool late(const struct db_stmt *st)
{
	return st->link->shared && (st->user != &this_thread || st->db->link != st->link);
}

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
	db->error[0] = '\0';
	struct db_link *link = db->link;
	uint64_t h = hash_bytes(sql, strlen(sql));
	size_t slot = h & (CACHE_SLOTS - 1);
	for (size_t probe = 0; probe < CACHE_SLOTS; probe++) {
		struct db_stmt *st = link->cache[(slot + probe) & (CACHE_SLOTS - 1)];
		if (!st)
			break;
		if (st->hash == h && strcmp(st->sql, sql) == 0)
			return taken(db, st);
	}
	/* Past the limit, statements are not cached; the engine's SQL shapes are few. */
	bool transient = link->cached >= CACHE_SLOTS * 3 / 4;

	struct db_stmt *st = xcalloc(1, sizeof(*st));
	char *copy = xstrdup(sql);
	if (!st || !copy) {
		xfree(st);
		xfree(copy);
		log_error("cannot prepare statement: out of memory");
		return NULL;
	}
	if (noted(db->drv->prepare(link->conn, sql, &st->impl)) != RC_OK) {
		log_error("cannot prepare statement: %s: %s", db_errmsg(db), sql);
		xfree(st);
		xfree(copy);
		return NULL;
	}
	st->link = link;
	st->sql = copy;
	st->hash = h;
	st->transient = transient;
	if (transient)
		return taken(db, st);
	while (link->cache[slot])
		slot = (slot + 1) & (CACHE_SLOTS - 1);
	link->cache[slot] = st;
	link->cached++;
	return taken(db, st);
}

struct db_stmt *db_prepare_kept(struct db *db, const char *sql)
{
	uintptr_t a = (uintptr_t)sql;
	size_t slot = (size_t)((a >> 4) * 0x9e3779b97f4a7c15ull >> 58) & (KEPT_SLOTS - 1);
	struct db_link *link = db->link;
	if (link->kept[slot].sql == sql) {
		db->error[0] = '\0';
		return taken(db, link->kept[slot].st);
	}
	struct db_stmt *st = db_prepare(db, sql);
	if (st && !st->transient) {
		link->kept[slot].sql = sql;
		link->kept[slot].st = st;
	}
	return st;
}

int db_bind_int(struct db_stmt *st, int idx, int64_t v)
{
	return st->db->drv->bind_int(st->impl, idx, v);
}

int db_bind_text(struct db_stmt *st, int idx, const char *v)
{
	return st->db->drv->bind_text(st->impl, idx, v);
}

int db_bind_null(struct db_stmt *st, int idx)
{
	return st->db->drv->bind_null(st->impl, idx);
}

/* A write outside a transaction is over (its statement ended): let the next one in. */
static int autocommit_done(struct db_stmt *st)
{
	struct db *db = st->db;
	int64_t before = db->link->changes_seen;
	count_write(db);
	bool held = st->holds_write;
	st->writing = st->holds_write = false;
	bool wrote = db->link->changes_seen != before;
	if (held && wrote)
		last_written = db->link;
	return write_done(db, held, wrote);
}

int db_step(struct db_stmt *st)
{
	if (late(st)) {
		log_error("a statement was stepped after its transaction ended: %s", st->sql);
		return RC_ERROR;
	}
	struct db *db = st->db;
	if (!db->in_txn && !st->writing && db->drv->stmt_writes &&
	    db->drv->stmt_writes(st->impl)) {
		/* a write ends the reads' snapshot: it commits on its own, as before */
		db_read_end(db);
		st->writing = true;
		st->holds_write = take_write(db);
	}
	int rc = noted(db->drv->step(st->impl));
	if (rc == RC_ERROR || rc == RC_FULL)
		log_error("cannot run statement: %s: %s", db_errmsg(db), st->sql);
	if (st->writing && rc != RC_ROW) {
		/* the statement is done and SQLite has committed it */
		int synced = autocommit_done(st);
		if (synced != RC_OK && rc == RC_DONE)
			rc = synced;
	} else if (rc >= 0 && !db->in_txn && !st->writing) {
		count_write(db);
	}
	return rc;
}

int db_col_count(struct db_stmt *st)
{
	return st->db->drv->col_count(st->impl);
}

bool db_col_null(struct db_stmt *st, int col)
{
	return st->db->drv->col_null(st->impl, col);
}

int64_t db_col_int(struct db_stmt *st, int col)
{
	return st->db->drv->col_int(st->impl, col);
}

const char *db_col_text(struct db_stmt *st, int col)
{
	if (st->db->drv->col_null(st->impl, col))
		return NULL;
	return st->db->drv->col_text(st->impl, col);
}

const char *db_col_name(struct db_stmt *st, int col)
{
	return st->db->drv->col_name(st->impl, col);
}

void db_done(struct db_stmt *st)
{
	if (!st)
		return;
	if (late(st)) {
		log_error("a statement was let go after its transaction ended: %s", st->sql);
		if (st->transient) {
			st->db->drv->finalize(st->impl);	/* no cache has it */
			xfree(st->sql);
			xfree(st);
		}
		return;
	}
	if (st->writing) {
		/* a write that returned rows commits when it is reset */
		st->db->drv->reset(st->impl);
		autocommit_done(st);
	}
	if (st->transient) {
		st->db->drv->finalize(st->impl);
		xfree(st->sql);
		xfree(st);
		return;
	}
	st->db->drv->reset(st->impl);
}

int64_t db_changes(struct db *db)
{
	return db->drv->changes(db->link->conn);
}

/* db_run's arguments bound to st (done when one cannot be). */
static int bind_args(struct db_stmt *st, const char *fmt, va_list ap)
{
	int idx = 1, rc = RC_OK;
	for (const char *f = fmt; *f && rc == RC_OK; f++, idx++) {
		switch (*f) {
		case 'i':
			rc = db_bind_int(st, idx, va_arg(ap, int64_t));
			break;
		case 's':
			rc = db_bind_text(st, idx, va_arg(ap, const char *));
			break;
		case 'n':
			rc = db_bind_null(st, idx);
			break;
		default:
			abort();	/* a programming error in the caller's format */
		}
	}
	if (rc != RC_OK)
		db_done(st);
	return rc;
}

/* db_run and db_run_later: sql prepared, the arguments bound, stepped or (later) sent ahead. */
static int run(struct db *db, struct db_stmt **out, bool later, const char *sql, const char *fmt,
	       va_list ap)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return RC_ERROR;
	int rc = bind_args(st, fmt, ap);
	if (rc != RC_OK)
		return rc;
	rc = later ? db_step_later(st) : db_step(st);
	if (rc == RC_ROW && out) {
		*out = st;
		return RC_ROW;
	}
	db_done(st);
	return rc;
}

int db_run(struct db *db, struct db_stmt **out, const char *sql, const char *fmt, ...)
{
	if (out)
		*out = NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = run(db, out, false, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int db_step_later(struct db_stmt *st)
{
	struct db *db = st->db;
	if (!db->in_txn || !db->drv->step_later)
		return db_step(st);
	int rc = noted(db->drv->step_later(st->impl));
	if (rc < 0)
		log_error("cannot run statement: %s: %s", db_errmsg(db), st->sql);
	return rc;
}

int db_run_later(struct db *db, const char *sql, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = run(db, NULL, true, sql, fmt, ap);
	va_end(ap);
	return rc == RC_ROW ? RC_DONE : rc;
}

/* The write lock is this thread's: its transaction moves to the writer. */
static void writer_take(struct db *db)
{
	struct db_writer *w = db->writer;
	if (!w || w->failed || !last_written || last_written == &db->own)
		return;
	if (!w->link.conn) {
		char err[512];
		if (db->drv->open_writer(w->url, &w->link.conn, err, sizeof(err)) != RC_OK) {
			log_warn("%s: writes stay on each thread's connection", err);
			w->failed = true;
			return;
		}
	}
	w->link.turn++;
	w->link.used = NULL;
	db->link = &w->link;
}

/*
 * Back to the thread's own connection, before the write lock is given
 * back: what the transaction left running on the writer is reset (the
 * next writer's statements must start clean), and a failure's message is
 * kept for db_errmsg.
 */
static void writer_give(struct db *db, int rc)
{
	struct db_link *link = db->link;
	if (link == &db->own)
		return;
	if (rc < 0 && !db->error[0])
		db_fail(db, "%s", db->drv->errmsg(link->conn));
	for (struct db_stmt *st = link->used; st; st = st->next_used)
		db->drv->reset(st->impl);
	link->used = NULL;
	db->link = &db->own;
}

int db_begin(struct db *db)
{
	db_read_end(db);
	db->holds_write = take_write(db);
	if (db->holds_write)
		writer_take(db);
	const char *begin = db->locking && db->drv->begin_locking_sql ? db->drv->begin_locking_sql
								      : db->drv->begin_sql;
	int rc = noted(db->drv->exec(db->link->conn, begin));
	if (rc == RC_OK) {
		db->in_txn = true;
		db->nids = 0;
		db->link->changes_seen = db->drv->total_changes(db->link->conn);
	} else {
		if (rc != RC_RETRY)
			log_error("cannot begin transaction: %s", db_errmsg(db));
		if (db->holds_write) {
			writer_give(db, rc);
			db->holds_write = false;
			give_write();
		}
	}
	return rc;
}

bool db_ids_ahead(const struct db *db)
{
	return db->drv->next_ids_sql != NULL;
}

int db_next_id(struct db *db, const char *table, int64_t *id)
{
	if (!db->in_txn || !db->drv->next_ids_sql) {
		db_fail(db, "ids are taken ahead only in a transaction on PostgreSQL");
		return RC_ERROR;
	}
	struct ids_ahead *t = NULL;
	for (int i = 0; i < db->nids && !t; i++)
		if (strcmp(db->ids[i].table, table) == 0)
			t = &db->ids[i];
	if (!t) {
		if (db->nids == IDS_AHEAD_TABLES) {
			db_fail(db, "ids are taken ahead for %d tables at most", IDS_AHEAD_TABLES);
			return RC_ERROR;
		}
		t = &db->ids[db->nids++];
		*t = (struct ids_ahead){ .table = table };
	}
	if (t->at == t->n) {
		/* twice as many as last time: a transaction that makes one row takes one */
		t->block = t->block ? t->block * 2 : 1;
		if (t->block > IDS_AHEAD_MAX)
			t->block = IDS_AHEAD_MAX;
		char sql[256];
		snprintf(sql, sizeof(sql), db->drv->next_ids_sql, table);
		struct db_stmt *st;
		int rc = db_run(db, &st, sql, "i", (int64_t)t->block);
		t->n = t->at = 0;
		while (rc == RC_ROW && t->n < IDS_AHEAD_MAX) {
			t->id[t->n++] = db_col_int(st, 0);
			rc = db_step(st);
		}
		db_done(st);
		if (rc != RC_DONE || !t->n) {
			if (rc >= 0)
				db_fail(db, "no id was taken ahead for %s", table);
			return rc < 0 ? rc : RC_ERROR;
		}
	}
	*id = t->id[t->at++];
	return RC_OK;
}

/* The transaction has ended: the write lock goes to the next writer. */
static void txn_ended(struct db *db, int rc)
{
	db->in_txn = false;
	if (db->holds_write) {
		writer_give(db, rc);
		db->holds_write = false;
		give_write();
	}
}

void db_set_commit_mark(struct db *db, const char *sql, int64_t param)
{
	db->commit_mark = sql;
	db->commit_mark_param = param;
}

int db_commit(struct db *db)
{
	if (db->commit_mark) {
		int mark = noted(db_run(db, NULL, db->commit_mark, "i", db->commit_mark_param));
		if (mark < 0) {
			if (mark != RC_RETRY)
				log_error("cannot mark the commit: %s", db_errmsg(db));
			db_rollback(db);
			return mark;
		}
	}
	int rc = noted(db->drv->exec(db->link->conn, "COMMIT"));
	if (rc == RC_OK) {
		int64_t before = db->link->changes_seen;
		db->in_txn = false;
		count_write(db);
		bool wrote = db->link->changes_seen != before;
		bool held = db->holds_write;
		db->holds_write = false;
		if (held && wrote)
			last_written = db->link;
		if (held)
			writer_give(db, rc);
		rc = write_done(db, held, wrote);
	} else {
		if (rc != RC_RETRY)
			log_error("cannot commit: %s", db_errmsg(db));
		if (!db->error[0])
			db_fail(db, "%s", db->drv->errmsg(db->link->conn));	/* for db_errmsg */
		if (db->drv->commit_failure_ends_txn) {
			/* not kept */
			db->link->changes_seen = db->drv->total_changes(db->link->conn);
			txn_ended(db, rc);
		} else {
			db_rollback(db);
		}
	}
	return rc;
}

int db_rollback(struct db *db)
{
	int rc = db->drv->exec(db->link->conn, "ROLLBACK");
	/* what was rolled back was not written */
	db->link->changes_seen = db->drv->total_changes(db->link->conn);
	txn_ended(db, rc);
	return rc;
}

bool db_in_txn(const struct db *db)
{
	return db->in_txn;
}

static void backoff(int attempt)
{
	long ms = (long)(1 + randombytes_uniform(10)) * (attempt + 1);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int db_txn(struct db *db, int (*fn)(struct db *db, void *arg), void *arg)
{
	db->error[0] = '\0';
	int rc = RC_RETRY;
	for (int attempt = 0; attempt < TXN_ATTEMPTS && rc == RC_RETRY; attempt++) {
		if (attempt)
			backoff(attempt);
		rc = db_begin(db);
		if (rc != RC_OK)
			continue;
		/* an allocation failure fn absorbed may have left its work partial */
		unsigned long failures = alloc_failures();
		rc = fn(db, arg);
		if (rc == RC_OK && alloc_failures() != failures) {
			log_error("transaction rolled back: out of memory on its way");
			rc = RC_ERROR;
		}
		if (rc == RC_OK)
			rc = db_commit(db);
		else
			db_rollback(db);
	}
	if (rc == RC_RETRY)
		log_warn("transaction gave up after %d attempts: %s", TXN_ATTEMPTS, db_errmsg(db));
	return rc;
}

int db_txn_locking(struct db *db, int (*fn)(struct db *db, void *arg), void *arg)
{
	db->locking = true;
	int rc = db_txn(db, fn, arg);
	db->locking = false;
	return rc;
}

const char *db_for_update(const struct db *db)
{
	return db->drv->for_update ? db->drv->for_update : "";
}

int db_fts_where(struct db *db, const char *table, struct buf *sql)
{
	return db->drv->fts_where(table, sql);
}

int db_fts_among(struct db *db, const char *table, struct buf *sql)
{
	return (db->drv->fts_among ? db->drv->fts_among : db->drv->fts_where)(table, sql);
}

static bool word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

const char *const db_counters[] = { "tickets", "quotes", NULL };

int db_next_number(struct db *db, const char *counter, int64_t *value)
{
	char sql[512];
	snprintf(sql, sizeof(sql), db->drv->next_number_sql, counter, counter, counter);
	struct db_stmt *st;
	int rc = db_run(db, &st, sql, "");
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	*value = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

int db_next_gapless(struct db *db, const char *counter, int64_t *value)
{
	struct db_stmt *st;
	int rc = db_run(db, &st,
			"INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name)"
			" DO UPDATE SET value = counters.value + 1 RETURNING value",
			"s", counter);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_ERROR : rc;
	*value = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

/* The longest q is 200 characters: at most 100 words. */
#define FTS_WORDS_MAX 128
/* How many words of the index a last word's prefix is spelled out as, at most */
#define FTS_TERMS_MAX 16

struct fts_word {
	const char *p;
	size_t n;
};

/*
 * The words of text, at most max; returns how many. A word is a run of
 * ASCII letters and digits and of non-ASCII bytes; everything else
 * separates, so no word carries query syntax.
 */
static int fts_words(const char *text, struct fts_word *w, int max)
{
	int n = 0;
	const unsigned char *p = (const unsigned char *)text;
	while (*p && n < max) {
		while (*p && !word_byte(*p))
			p++;
		if (!*p)
			break;
		const unsigned char *start = p;
		while (word_byte(*p))
			p++;
		w[n].p = (const char *)start;
		w[n++].n = (size_t)(p - start);
	}
	return n;
}

/*
 * Appends to b, in brackets and joined by the dialect's or, the words of
 * table's index that start with w (from its list of words, fts_terms_sql).
 * Returns how many; 0 (b unchanged) when w is not plain ASCII (the index
 * folds other letters its own way), when none or more than FTS_TERMS_MAX
 * do, or on an error: the prefix form serves then.
 */
static int fts_expand(struct db *db, const char *table, const struct fts_word *w, struct buf *b)
{
	const struct db_driver *d = db->drv;
	char word[256], before[256];
	if (w->n >= sizeof(word))
		return 0;
	for (size_t i = 0; i < w->n; i++) {
		unsigned char c = (unsigned char)w->p[i];
		if (c >= 0x80)
			return 0;
		word[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	word[w->n] = '\0';
	/* the words from word on that start with it: up to word with its last letter the next */
	memcpy(before, word, w->n + 1);
	before[w->n - 1]++;
	char sql[512];
	snprintf(sql, sizeof(sql), d->fts_terms_sql, table);
	struct db_stmt *st;
	int rc = db_run(db, &st, sql, "ssi", word, before, (int64_t)FTS_TERMS_MAX + 1);
	bool live = rc == RC_ROW;
	struct buf terms;
	buf_init(&terms, 8192);
	int n = 0;
	while (rc == RC_ROW) {
		const char *term = db_col_text(st, 0);
		if (++n > FTS_TERMS_MAX || !term)
			break;
		buf_addf(&terms, "%s%s%s%s", n == 1 ? "(" : d->fts_or, d->fts_quote, term,
			 d->fts_quote);
		rc = db_step(st);
	}
	if (live)
		db_done(st);
	if (rc == RC_DONE && n > 0 && n <= FTS_TERMS_MAX) {
		buf_addch(&terms, ')');
		if (!terms.failed) {
			buf_addstr(b, buf_str(&terms));
			buf_release(&terms);
			return n;
		}
	}
	buf_release(&terms);
	return 0;
}

/*
 * text folded as the driver's index folds it (fts_fold_sql): a heap
 * string, NULL on failure. Plain ASCII is left as it is: folding (accents,
 * ligatures, quotes) changes only other characters.
 */
static char *fts_fold(struct db *db, const char *text)
{
	bool ascii = true;
	for (const unsigned char *p = (const unsigned char *)text; *p && ascii; p++)
		ascii = *p < 0x80;
	if (!db->drv->fts_fold_sql || ascii)
		return xstrdup(text);
	struct db_stmt *st;
	if (db_run(db, &st, db->drv->fts_fold_sql, "s", text) != RC_ROW)
		return NULL;
	const char *folded = db_col_text(st, 0);
	char *out = xstrdup(folded ? folded : "");
	db_done(st);
	return out;
}

/* The words of text as the driver folds it: pointers into *folded (the caller frees it). */
static int fts_split(struct db *db, const char *text, char **folded, struct fts_word *w)
{
	*folded = fts_fold(db, text);
	return *folded ? fts_words(*folded, w, FTS_WORDS_MAX) : -1;
}

char *db_fts_query(struct db *db, const char *table, const char *text)
{
	const struct db_driver *d = db->drv;
	char *folded;
	struct fts_word w[FTS_WORDS_MAX];
	int n = fts_split(db, text, &folded, w);
	if (n <= 0) {
		xfree(folded);
		return NULL;
	}
	struct buf b;
	buf_init(&b, 16384);
	for (int i = 0; i < n; i++) {
		buf_addstr(&b, i ? d->fts_and : "");
		if (i == n - 1 && table && d->fts_terms_sql && fts_expand(db, table, &w[i], &b))
			break;
		buf_addf(&b, "%s%.*s%s%s", d->fts_quote, (int)w[i].n, w[i].p, d->fts_quote,
			 i == n - 1 ? d->fts_prefix : "");
	}
	xfree(folded);
	if (b.failed) {
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b);
}

bool db_fts_drives(const struct db *db)
{
	return db->drv->fts_drive != NULL;
}

int db_fts_drive(struct db *db, const char *table, struct buf *sql)
{
	return db->drv->fts_drive(table, sql);
}

int db_fts_test(struct db *db, const char *table, struct buf *sql)
{
	return db->drv->fts_test(table, sql);
}

int db_fts_bound(struct db *db, const char *table, const char *fts, bool desc,
		 const int64_t *after, int64_t skip, int64_t *bound)
{
	char sql[512];
	snprintf(sql, sizeof(sql), db->drv->fts_bound_sql, table, table, desc ? "<" : ">",
		 desc ? "DESC" : "ASC");
	int64_t from = after ? *after : desc ? INT64_MAX : INT64_MIN;
	struct db_stmt *st;
	int rc = db->drv->fts_bound_matches ? db_run(db, &st, sql, "sii", fts, from, skip)
					    : db_run(db, &st, sql, "ii", from, skip);
	if (rc != RC_ROW)
		return rc;
	*bound = db_col_int(st, 0);
	db_done(st);
	return RC_ROW;
}

char *db_fts_any_query(struct db *db, const char *text)
{
	const struct db_driver *d = db->drv;
	char *folded;
	struct fts_word w[FTS_WORDS_MAX];
	int n = fts_split(db, text, &folded, w);
	if (n < 0)
		return NULL;
	struct buf b;
	buf_init(&b, 16384);
	for (int i = 0; i < n; i++)
		buf_addf(&b, "%s%s%.*s%s", i ? d->fts_or : "", d->fts_quote, (int)w[i].n, w[i].p,
			 d->fts_quote);
	xfree(folded);
	if (!n || b.failed) {
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b);
}

int db_fts_ranked(struct db *db, const char *table, struct buf *sql)
{
	return db->drv->fts_ranked(table, sql);
}

const char *db_skip_locked(const struct db *db)
{
	return db->drv->skip_locked;
}

const char *db_txid_ended(const struct db *db)
{
	return db->drv->txid_ended;
}

const char *db_txid_now(const struct db *db)
{
	return db->drv->txid_now;
}

/*
 * The checkpointer: db_checkpoint_pass every CHECKPOINT_MS on a thread and
 * a connection of its own (see db.h), and at once when a commit leaves
 * RESTART_FRAMES (16 MiB of 4 KiB pages) in the WAL: at 3,000 ticket
 * creates a second (150 KB of WAL each) the WAL grows 45 MiB between two
 * timed passes, past the 48 MiB the file is kept at, so each round
 * extended the file and cut it back; woken, the pass restarts it at ~20.
 *
 * Writers wait while a RESTART runs, so it should find little to do: the
 * passive passes before it copy until at most RESTART_LEFT frames are not
 * in the database yet (a few passes: each copies what came in during the
 * one before), and what they copied is synced before the lock is taken.
 * The RESTART then copies and syncs that rest (~1 ms where it took 4–9).
 */
#define CHECKPOINT_MS 100
#define RESTART_FRAMES 4096
#define RESTART_LEFT 256
#define RESTART_PASSES 4

int db_checkpoint_pass(struct db *db)
{
	if (!db->drv->checkpoint)
		return RC_OK;
	int64_t frames = 0, copied = 0;
	int rc = db->drv->checkpoint(db->own.conn, false, &frames, &copied);
	if (rc != RC_OK || frames < RESTART_FRAMES)
		return rc;
	if (db->drv->sync_data) {
		if ((rc = db->drv->sync_data(db->own.conn)) != RC_OK)
			return rc;
		/* frames came in during the sync */
		int i = 0;
		do {
			rc = db->drv->checkpoint(db->own.conn, false, &frames, &copied);
			if (rc != RC_OK)
				return rc;
		} while (++i < RESTART_PASSES && frames - copied > RESTART_LEFT);
	}
	bool held = take_write(db);
	rc = db->drv->checkpoint(db->own.conn, true, &frames, &copied);
	if (held)
		give_write();
	return rc;
}

static struct {
	pthread_mutex_t mutex;
	pthread_cond_t wake;
	pthread_t thread;
	struct db *db;
	bool running, stop;
	atomic_bool nudged;	/* a commit asked for a pass: the WAL is large */
} checkpointer = { .mutex = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

/* Called after a commit that left the WAL large, on the committing thread. */
static void checkpoint_nudge(void)
{
	if (atomic_exchange(&checkpointer.nudged, true))
		return;		/* asked already: the pass has not begun */
	pthread_mutex_lock(&checkpointer.mutex);
	pthread_cond_signal(&checkpointer.wake);
	pthread_mutex_unlock(&checkpointer.mutex);
}

static void *checkpointer_main(void *arg)
{
	(void)arg;
	bool warned = false;
	pthread_mutex_lock(&checkpointer.mutex);
	while (!checkpointer.stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += CHECKPOINT_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		if (!atomic_load(&checkpointer.nudged))
			pthread_cond_timedwait(&checkpointer.wake, &checkpointer.mutex, &ts);
		if (checkpointer.stop)
			break;
		atomic_store(&checkpointer.nudged, false);
		pthread_mutex_unlock(&checkpointer.mutex);
		int rc = db_checkpoint_pass(checkpointer.db);
		/* busy: readers held on past the wait; the next pass tries again */
		if (rc != RC_OK && rc != RC_RETRY && !warned) {
			log_warn("checkpoint failed: %s", db_errmsg(checkpointer.db));
			warned = true;
		} else if (rc == RC_OK) {
			warned = false;
		}
		pthread_mutex_lock(&checkpointer.mutex);
	}
	pthread_mutex_unlock(&checkpointer.mutex);
	db_checkpoint_pass(checkpointer.db);
	return NULL;
}

int db_checkpointer_start(const char *url, char *err, size_t errlen)
{
	if (driver_for(url)->checkpoint == NULL || checkpointer.running)
		return RC_OK;
	db_sqlite_background_checkpoints(true);
	sqlite_checkpoint_nudge(checkpoint_nudge, RESTART_FRAMES);
	if (db_connect(url, &checkpointer.db, err, errlen) != RC_OK) {
		sqlite_checkpoint_nudge(NULL, 0);
		db_sqlite_background_checkpoints(false);
		return RC_ERROR;
	}
	checkpointer.stop = false;
	/* signals are the main thread's business: the thread starts with them blocked */
	sigset_t all, before;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &before);
	int started = pthread_create(&checkpointer.thread, NULL, checkpointer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	if (started != 0) {
		snprintf(err, errlen, "cannot start the checkpointer thread");
		db_disconnect(checkpointer.db);
		checkpointer.db = NULL;
		sqlite_checkpoint_nudge(NULL, 0);
		db_sqlite_background_checkpoints(false);
		return RC_ERROR;
	}
	checkpointer.running = true;
	return RC_OK;
}

void db_checkpointer_stop(void)
{
	if (!checkpointer.running)
		return;
	pthread_mutex_lock(&checkpointer.mutex);
	checkpointer.stop = true;
	pthread_cond_signal(&checkpointer.wake);
	pthread_mutex_unlock(&checkpointer.mutex);
	pthread_join(checkpointer.thread, NULL);
	db_disconnect(checkpointer.db);
	checkpointer.db = NULL;
	checkpointer.running = false;
	sqlite_checkpoint_nudge(NULL, 0);
	db_sqlite_background_checkpoints(false);
}

/* The pool: one connection per thread. */

static char *pool_url;
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_destroy(void *p)
{
	db_disconnect(p);
}

static void pool_make_key(void)
{
	pthread_key_create(&pool_key, pool_destroy);
}

void db_pool_init(const char *url)
{
	pthread_once(&pool_once, pool_make_key);
	xfree(pool_url);
	pool_url = xstrdup(url);
}

struct db *db_pool_get(void)
{
	struct db *db = pthread_getspecific(pool_key);
	if (db)
		return db;
	char err[512];
	if (!pool_url || db_connect(pool_url, &db, err, sizeof(err)) != RC_OK) {
		log_error("%s", pool_url ? err : "database pool used before db_pool_init");
		return NULL;
	}
	pthread_setspecific(pool_key, db);
	return db;
}

void db_pool_release(void)
{
	struct db *db = pthread_getspecific(pool_key);
	if (db) {
		pthread_setspecific(pool_key, NULL);
		db_disconnect(db);
	}
}

static int probe_txn(struct db *db, void *arg)
{
	int rc = db_run(db, NULL,
			"INSERT INTO write_probes (id, probed_at) VALUES (1, ?)"
			" ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
			"s", (const char *)arg);
	return rc == RC_DONE ? RC_OK : rc < 0 ? rc : RC_ERROR;
}

int db_write_probe(struct db *db, const char *now)
{
	return db_txn(db, probe_txn, (void *)now);
}

int db_backup(struct db *db, const char *path, char *err, size_t errlen)
{
	if (!db->drv->backup) {
		snprintf(err, errlen, "servio backup is for SQLite; back up PostgreSQL with pg_dump");
		return RC_ERROR;
	}
	return db->drv->backup(db->own.conn, path, err, errlen);
}

const struct db_driver *db_driver_of(const struct db *db);
const struct db_driver *db_driver_of(const struct db *db)
{
	return db->drv;
}
