/*
 * engine.c - list, get, create, update, archive and actions for any
 * resource table, with row scoping, field masks by role, same-company
 * references and trusted writes (see resource.h for the rules).
 *
 * SQL is assembled from the constant names in the resource tables and
 * every value is bound. Writes run in one transaction (db_txn, retried on
 * contention) together with their audit entry and event. Records are read
 * back after a write so the reply is exactly what a GET returns.
 *
 * Inside the engine a record is "raw": every column including the hidden
 * ones, without computed members. What leaves the engine is "visible":
 * hidden and write-only columns removed, computed members added by the
 * resource's present hook, and the fields masked from the caller's role
 * removed. Every json_t made here belongs to ctx->arena.
 */
#include "resource.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/jsonout.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX (64 * 1024)
/* how deep company_via may chain (a note's ticket's company is two steps) */
#define SCOPE_DEPTH 4

static bool int_typed(enum field_type t)
{
	return t == FT_INT || t == FT_MONEY || t == FT_REF || t == FT_BOOL || t == FT_QUANTITY;
}

static bool is_column(const struct field *f)
{
	return !(f->flags & (F_WRITE_ONLY | F_COMPUTED));
}

static unsigned role_of(const struct resource_ctx *ctx)
{
	return ctx->trusted || !ctx->actor ? 0 : ctx->actor->role;
}

static json_t *own(struct resource_ctx *ctx, json_t *v)
{
	return arena_json(ctx->arena, v);
}

const struct resource_action *resource_action(const struct resource *res, const char *name)
{
	for (const struct resource_action *const *a = res->actions; a && *a; a++)
		if (strcmp((*a)->name, name) == 0)
			return *a;
	return NULL;
}

/* How the fields of a resource are read and written as text (shape_of). */
struct column {
	int col;		/* its column in select_list's row, or -1 */
	const char *key;	/* ",\"name\":" */
	size_t keylen;
};

/*
 * What every read of a resource spells the same way, built once per
 * resource and kept to the end of the process (the resource tables are
 * constants): its select lists ("id, created_at, …, field1, field2",
 * without and with the hidden columns) and its fields' columns and keys.
 * Readers look without a lock: an entry is whole before nshapes counts it.
 */
#define SHAPES_MAX 256
struct shape {
	const struct resource *res;
	char *select[2];
	struct column *col[2];
	/* "SELECT … FROM table WHERE id = ?" [hidden][within the resource's rows] */
	char *by_id[2][2];
	/* "SELECT …hidden too… FROM table WHERE id IN (?, … RESOURCE_ROWS_MAX)" */
	char *by_ids;
};
static struct shape shapes[SHAPES_MAX];
static _Atomic int nshapes;
static pthread_mutex_t shapes_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct shape *find_shape(const struct resource *res)
{
	int n = atomic_load_explicit(&nshapes, memory_order_acquire);
	for (int i = 0; i < n; i++)
		if (shapes[i].res == res)
			return &shapes[i];
	return NULL;
}

static void drop_shape(struct shape *sh, size_t n)
{
	for (int hidden = 0; hidden < 2; hidden++) {
		for (size_t i = 0; sh->col[hidden] && i < n; i++)
			xfree((char *)sh->col[hidden][i].key);
		xfree(sh->col[hidden]);
		xfree(sh->select[hidden]);
		xfree(sh->by_id[hidden][0]);
		xfree(sh->by_id[hidden][1]);
	}
	xfree(sh->by_ids);
	memset(sh, 0, sizeof(*sh));
}

static int build_shape(struct shape *sh, const struct resource *res)
{
	size_t n = 0;
	while (res->fields[n].name)
		n++;
	for (int hidden = 0; hidden < 2; hidden++) {
		struct buf b;
		buf_init(&b, SQL_MAX);
		buf_addstr(&b, "id");
		if (!res->no_record_columns)
			buf_addstr(&b, ", created_at, updated_at, version, archived_at");
		struct column *col = xcalloc(n + 1, sizeof(*col));
		bool ok = col != NULL;
		int c = res->no_record_columns ? 1 : 5;
		for (size_t i = 0; ok && i < n; i++) {
			const struct field *f = &res->fields[i];
			bool selected = is_column(f) && (hidden || !(f->flags & F_HIDDEN));
			col[i].col = selected ? c++ : -1;
			if (selected)
				buf_addf(&b, ", %s", f->name);
			size_t size = strlen(f->name) + 5;
			char *key = xmalloc(size);
			ok = key != NULL;
			if (ok) {
				snprintf(key, size, ",\"%s\":", f->name);
				col[i].key = key;
				col[i].keylen = size - 1;
			}
		}
		sh->select[hidden] = buf_take(&b);
		sh->col[hidden] = col;
		for (int rows = 0; ok && sh->select[hidden] && rows < 2; rows++) {
			buf_addf(&b, "SELECT %s FROM %s WHERE id = ?", sh->select[hidden], res->table);
			if (rows && res->rows)
				buf_addf(&b, " AND (%s)", res->rows);
			ok = (sh->by_id[hidden][rows] = buf_take(&b)) != NULL;
		}
		if (ok && hidden) {
			buf_addf(&b, "SELECT %s FROM %s WHERE id IN (?", sh->select[hidden], res->table);
			for (int i = 1; i < RESOURCE_ROWS_MAX; i++)
				buf_addstr(&b, ", ?");
			buf_addstr(&b, ")");
			ok = (sh->by_ids = buf_take(&b)) != NULL;
		}
		if (!sh->select[hidden] || !ok) {
			drop_shape(sh, n);
			return -1;
		}
	}
	sh->res = res;
	return 0;
}

/* res's shape, built on first use; NULL when memory ran out. */
static const struct shape *shape_of(const struct resource *res)
{
	const struct shape *found = find_shape(res);
	if (found)
		return found;
	pthread_mutex_lock(&shapes_lock);
	found = find_shape(res);
	int n = atomic_load_explicit(&nshapes, memory_order_relaxed);
	if (!found && n < SHAPES_MAX && build_shape(&shapes[n], res) == 0) {
		found = &shapes[n];
		atomic_store_explicit(&nshapes, n + 1, memory_order_release);
	} else if (!found) {
		log_error("engine: cannot keep the shape of %s", res->name);
	}
	pthread_mutex_unlock(&shapes_lock);
	return found;
}

/* "id, created_at, …, field1, field2"; hidden columns only when asked. */
static void select_list(struct buf *sql, const struct resource *res, bool hidden)
{
	const struct shape *sh = shape_of(res);
	if (sh)
		buf_addstr(sql, sh->select[hidden]);
	else
		sql->failed = true;
}

/* "SELECT … FROM table WHERE id = ?", within the resource's rows for an untrusted caller. */
static const char *by_id_sql(const struct resource_ctx *ctx, const struct resource *res,
			     bool hidden)
{
	const struct shape *sh = shape_of(res);
	return sh ? sh->by_id[hidden][res->rows && !ctx->trusted] : NULL;
}

/* The current row (in select_list order) as a raw JSON object. */
static json_t *row_to_json(struct db_stmt *st, const struct resource *res, bool hidden)
{
	json_t *obj = json_object();
	if (!obj)
		return NULL;
	int col = 0;
	json_object_set_new(obj, "id", json_integer(db_col_int(st, col++)));
	if (!res->no_record_columns) {
		json_object_set_new(obj, "created_at", json_string(db_col_text(st, col++)));
		json_object_set_new(obj, "updated_at", json_string(db_col_text(st, col++)));
		json_object_set_new(obj, "version", json_integer(db_col_int(st, col++)));
		const char *archived = db_col_text(st, col++);
		json_object_set_new(obj, "archived_at", archived ? json_string(archived) : json_null());
	}
	for (const struct field *f = res->fields; f->name; f++) {
		if (!is_column(f) || (!hidden && f->flags & F_HIDDEN))
			continue;
		int c = col++;
		json_t *v;
		if (db_col_null(st, c)) {
			v = json_null();
		} else if (f->type == FT_BOOL) {
			v = json_boolean(db_col_int(st, c));
		} else if (f->type == FT_QUANTITY) {
			v = resource_quantity_json(db_col_int(st, c));
		} else if (int_typed(f->type)) {
			v = json_integer(db_col_int(st, c));
		} else if (f->type == FT_STRINGS || f->type == FT_JSON || f->type == FT_OBJECTS ||
			   f->type == FT_IDS) {
			v = json_loads(db_col_text(st, c), JSON_DECODE_ANY, NULL);
			if (!v)
				v = json_null();
		} else {
			v = json_string(db_col_text(st, c));
		}
		if (json_object_set_new(obj, f->name, v) < 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

/*
 * Turns a raw record into what role may see, in place: hidden columns
 * out, computed members in, masked fields out.
 */
static void make_visible(const struct resource *res, unsigned role, json_t *rec)
{
	for (const struct field *f = res->fields; f->name; f++)
		if (f->flags & (F_HIDDEN | F_WRITE_ONLY))
			json_object_del(rec, f->name);
	if (res->present)
		res->present(rec);
	if (!role)
		return;
	for (const struct field *f = res->fields; f->name; f++)
		if (!resource_field_visible(f, role))
			json_object_del(rec, f->name);
}

json_t *resource_visible(struct resource_ctx *ctx, const struct resource *res, const json_t *rec)
{
	json_t *copy = own(ctx, json_deep_copy(rec));
	if (copy)
		make_visible(res, role_of(ctx), copy);
	return copy;
}

/* Rows as JSON text ------------------------------------------------------- */

/*
 * What row_to_json and make_visible make of a row, and json_write then of
 * the object, written straight from the row: the record columns, the
 * columns of the fields the role may see in field order, then the
 * resource's present_text. A 50-row ticket list spent a third of its
 * instructions building jansson objects only to write them out.
 */
/* The names present_text asked for, by address (its constants), and their fields. */
#define NAMES_MAX 16
struct names {
	const char *name[NAMES_MAX];
	int field[NAMES_MAX];	/* the index in res->fields, or -1 */
	int n;
};

struct resource_row {
	struct db_stmt *st;
	const struct resource *res;
	const struct column *col;	/* per field of res */
	struct names *names;		/* kept from row to row of a page */
};

/* The field named (by present_text, a constant) and its column: -1 when not a column. */
static int column_of(const struct resource_row *r, const char *name, const struct field **f)
{
	*f = NULL;
	if (strcmp(name, "id") == 0)
		return 0;
	struct names *k = r->names;
	int i = -1;
	for (int j = 0; j < k->n && i < 0; j++)
		if (k->name[j] == name)
			i = k->field[j];
	if (i < 0) {
		for (int j = 0; r->res->fields[j].name && i < 0; j++)
			if (strcmp(r->res->fields[j].name, name) == 0)
				i = j;
		if (k->n < NAMES_MAX && i >= 0) {
			k->name[k->n] = name;
			k->field[k->n++] = i;
		}
	}
	if (i < 0)
		return -1;
	*f = &r->res->fields[i];
	return r->col[i].col;
}

/* A text column as a JSON string (json_string takes only UTF-8). */
static int string_text(struct buf *b, const char *s)
{
	return s ? json_write_utf8(b, s, strlen(s)) : -1;
}

/* Column c, of field f's type (NULL: a text column), as row_to_json's member. */
static int value_text(struct buf *b, struct db_stmt *st, const struct field *f, int c)
{
	if (db_col_null(st, c))
		return buf_addstr(b, "null");
	enum field_type t = f ? f->type : FT_TEXT;
	if (t == FT_BOOL)
		return buf_addstr(b, db_col_int(st, c) ? "true" : "false");
	if (t == FT_QUANTITY && db_col_int(st, c) % 1000) {
		json_t *v = resource_quantity_json(db_col_int(st, c));
		int rc = json_write(b, v);
		json_decref(v);
		return rc;
	}
	if (t == FT_QUANTITY)
		return json_write_integer(b, db_col_int(st, c) / 1000);
	if (int_typed(t))
		return json_write_integer(b, db_col_int(st, c));
	if (t == FT_STRINGS || t == FT_JSON || t == FT_OBJECTS || t == FT_IDS) {
		const char *s = db_col_text(st, c);
		if (s && strcmp(s, "[]") == 0)
			return buf_addstr(b, s);
		json_t *v = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
		int rc = v ? json_write(b, v) : buf_addstr(b, "null");
		json_decref(v);
		return rc;
	}
	return string_text(b, db_col_text(st, c));
}

int64_t resource_row_int(const struct resource_row *r, const char *field)
{
	const struct field *f;
	int c = column_of(r, field, &f);
	return c < 0 || db_col_null(r->st, c) ? 0 : db_col_int(r->st, c);
}

const char *resource_row_text(const struct resource_row *r, const char *field)
{
	const struct field *f;
	int c = column_of(r, field, &f);
	return c < 0 || db_col_null(r->st, c) ? NULL : db_col_text(r->st, c);
}

int resource_row_value(struct buf *b, const struct resource_row *r, const char *field)
{
	const struct field *f;
	int c = column_of(r, field, &f);
	if (c < 0)
		return buf_addstr(b, "null");
	if (c == 0)
		return json_write_integer(b, db_col_int(r->st, 0));
	return value_text(b, r->st, f, c);
}

/* Whether role's records of res can be written as text (see present_text). */
static bool text_ok(const struct resource *res, unsigned role)
{
	if (!res->present)
		return true;
	if (!res->present_text)
		return false;
	/* present_text writes every computed member; make_visible would drop a masked one */
	for (const struct field *f = res->fields; f->name; f++)
		if (f->flags & F_COMPUTED && role && !resource_field_visible(f, role))
			return false;
	return true;
}

/* The current row as the visible record's JSON text. */
static int row_text(struct buf *b, const struct resource_row *r, unsigned role)
{
	struct db_stmt *st = r->st;
	const struct resource *res = r->res;
	if (buf_addstr(b, "{\"id\":") < 0 || json_write_integer(b, db_col_int(st, 0)) < 0)
		return -1;
	if (!res->no_record_columns &&
	    (buf_addstr(b, ",\"created_at\":") < 0 || string_text(b, db_col_text(st, 1)) < 0 ||
	     buf_addstr(b, ",\"updated_at\":") < 0 || string_text(b, db_col_text(st, 2)) < 0 ||
	     buf_addstr(b, ",\"version\":") < 0 || json_write_integer(b, db_col_int(st, 3)) < 0 ||
	     buf_addstr(b, ",\"archived_at\":") < 0 || value_text(b, st, NULL, 4) < 0))
		return -1;
	for (int i = 0; res->fields[i].name; i++) {
		const struct field *f = &res->fields[i];
		const struct column *col = &r->col[i];
		if (col->col < 0 || (role && !resource_field_visible(f, role)))
			continue;
		if (buf_add(b, col->key, col->keylen) < 0 || value_text(b, st, f, col->col) < 0)
			return -1;
	}
	if (res->present_text && res->present_text(b, r) < 0)
		return -1;
	return buf_addch(b, '}');
}

/* Binds a JSON value for field f at idx. Values were validated before. */
static int bind_value(struct db_stmt *st, int idx, const struct field *f, const json_t *v)
{
	if (!v || json_is_null(v))
		return db_bind_null(st, idx);
	switch (f->type) {
	case FT_BOOL:
		return db_bind_int(st, idx, json_is_true(v));
	case FT_INT:
	case FT_MONEY:
	case FT_REF:
		return db_bind_int(st, idx, json_integer_value(v));
	case FT_QUANTITY: {
		int64_t q;
		if (resource_quantity(v, &q) < 0)
			return RC_ERROR;
		return db_bind_int(st, idx, q);
	}
	case FT_TIME: {
		int64_t t;
		char s[TIME_RFC3339_LEN];
		if (time_parse(json_string_value(v), &t) < 0)
			return RC_ERROR;
		time_format(t, s);
		return db_bind_text(st, idx, s);
	}
	case FT_STRINGS:
	case FT_JSON:
	case FT_OBJECTS:
	case FT_IDS: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!s)
			return RC_ERROR;
		int rc = db_bind_text(st, idx, s);
		free(s);
		return rc;
	}
	default:
		return db_bind_text(st, idx, json_string_value(v));
	}
}

/* What a read of f's column gives (row_to_json) after bind_value wrote v; NULL without memory. */
static json_t *as_read(const struct field *f, const json_t *v)
{
	if (!v || json_is_null(v))
		return json_null();
	switch (f->type) {
	case FT_BOOL:
		return json_boolean(json_is_true(v));
	case FT_INT:
	case FT_MONEY:
	case FT_REF:
		return json_integer(json_integer_value(v));
	case FT_QUANTITY: {
		int64_t q;
		return resource_quantity(v, &q) < 0 ? NULL : resource_quantity_json(q);
	}
	case FT_TIME: {
		int64_t t;
		char s[TIME_RFC3339_LEN];
		if (time_parse(json_string_value(v), &t) < 0)
			return NULL;
		time_format(t, s);
		return json_string(s);
	}
	case FT_STRINGS:
	case FT_JSON:
	case FT_OBJECTS:
	case FT_IDS: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		json_t *back = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
		free(s);
		return back;
	}
	default:
		return json_is_string(v) ? json_string(json_string_value(v)) : json_null();
	}
}

/* Rows read ahead (resource.h), each given once to a load for a write. */
struct rows_of {
	const struct resource *res;
	size_t n, next;		/* next: where the next load is likely to look */
	struct {
		int64_t id;
		json_t *row;
		bool taken;
	} r[RESOURCE_ROWS_MAX];
};

struct resource_rows {
	struct rows_of of[RESOURCE_ROWS_KINDS];
	size_t n;
};

int resource_rows_read(struct resource_ctx *ctx, struct arena *a, const struct resource *res,
		       const int64_t *ids, size_t n, struct resource_rows **rows)
{
	const struct shape *sh = shape_of(res);
	if (!sh || n > RESOURCE_ROWS_MAX || (*rows && (*rows)->n == RESOURCE_ROWS_KINDS))
		return RC_ERROR;
	struct resource_rows *all = *rows ? *rows : arena_alloc(a, sizeof(*all));
	struct db_stmt *st = all ? db_prepare_kept(ctx->db, sh->by_ids) : NULL;
	if (!st)
		return RC_ERROR;
	if (!*rows)
		all->n = 0;
	struct rows_of *of = &all->of[all->n];
	of->res = res;
	of->n = of->next = 0;
	for (size_t i = 0; i < RESOURCE_ROWS_MAX; i++)
		db_bind_int(st, (int)i + 1, i < n ? ids[i] : 0);
	int rc;
	while ((rc = db_step(st)) == RC_ROW) {
		json_t *row = arena_json(a, row_to_json(st, res, true));
		if (!row) {
			rc = RC_ERROR;
			break;
		}
		of->r[of->n].id = json_integer_value(json_object_get(row, "id"));
		of->r[of->n].taken = false;
		of->r[of->n++].row = row;
	}
	db_done(st);
	if (rc != RC_DONE)
		return rc == RC_ROW ? RC_ERROR : rc;
	all->n++;
	*rows = all;
	return RC_OK;
}

/* The index of res's rows read ahead (rows->n when none). */
static size_t rows_kind(const struct resource_rows *rows, const struct resource *res)
{
	size_t k = 0;
	while (k < rows->n && rows->of[k].res != res)
		k++;
	return k;
}

/* Where id is among of's rows (of->n: not there). */
static size_t rows_at(const struct rows_of *of, int64_t id)
{
	/* loads mostly come in the order read: look from the last one on */
	for (size_t j = 0; j < of->n; j++) {
		size_t at = (of->next + j) % of->n;
		if (of->r[at].id == id)
			return at;
	}
	return of->n;
}

json_t *resource_rows_get(const struct resource_rows *rows, const struct resource *res,
			  int64_t id)
{
	size_t k = rows ? rows_kind(rows, res) : 0;
	if (!rows || k == rows->n)
		return NULL;
	size_t i = rows_at(&rows->of[k], id);
	return i < rows->of[k].n ? rows->of[k].r[i].row : NULL;
}

/* A row read ahead for a trusted write's load, taken once; NULL when none. */
static json_t *rows_take(struct resource_ctx *ctx, const struct resource *res, int64_t id)
{
	struct resource_rows *rows = ctx->trusted ? ctx->rows : NULL;
	size_t k = rows ? rows_kind(rows, res) : 0;
	if (!rows || k == rows->n)
		return NULL;
	struct rows_of *of = &rows->of[k];
	size_t i = rows_at(of, id);
	if (i == of->n || of->r[i].taken)
		return NULL;
	of->r[i].taken = true;
	of->next = i + 1;
	return of->r[i].row;
}

/* Loads a record by id as raw JSON (arena), whatever its parent or scope. */
static int load(struct resource_ctx *ctx, const struct resource *res, int64_t id, bool hidden,
		json_t **out)
{
	json_t *ahead = hidden ? rows_take(ctx, res, id) : NULL;
	if (ahead) {
		*out = ahead;
		return RC_OK;
	}
	const char *sql = by_id_sql(ctx, res, hidden);
	struct db_stmt *st = sql ? db_prepare_kept(ctx->db, sql) : NULL;
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, id);
	int rc = db_step(st);
	if (rc != RC_ROW) {
		db_done(st);
		return rc == RC_DONE ? RC_NOT_FOUND : rc;
	}
	json_t *obj = own(ctx, row_to_json(st, res, hidden));
	db_done(st);
	if (!obj)
		return RC_ERROR;
	*out = obj;
	return RC_OK;
}

/* Scope ------------------------------------------------------------------- */

/*
 * Appends the condition that restricts res's rows to one company, with
 * one "?" for its id: "company_id = ?", or through company_via
 * "ticket_id IN (SELECT id FROM tickets WHERE company_id = ?)". A
 * resource of no company gets "1 = 0" and no parameter: *binds says.
 */
static void scope_sql(const struct resource *res, struct buf *sql, int depth, bool *binds)
{
	const struct field *via = res->company_via ? resource_field(res, res->company_via) : NULL;
	if (res->company_field) {
		buf_addf(sql, "%s = ?", res->company_field);
		*binds = true;
	} else if (via && via->ref && depth < SCOPE_DEPTH) {
		buf_addf(sql, "%s IN (SELECT id FROM %s WHERE ", via->name, via->ref->table);
		scope_sql(via->ref, sql, depth + 1, binds);
		buf_addch(sql, ')');
	} else {
		buf_addstr(sql, "1 = 0");
		*binds = false;
	}
}

/*
 * What the engine asks of a record it only refers to, in one small query:
 * whether it exists, whether it is archived, and (through company_via, as
 * deep as it goes) the company it belongs to (0 for none). RC_OK,
 * RC_NOT_FOUND or a failure.
 */
static int probe(struct resource_ctx *ctx, const struct resource *res, int64_t id, int depth,
		 bool *archived, int64_t *company)
{
	const struct field *via = res->company_via ? resource_field(res, res->company_via) : NULL;
	const char *col = res->company_field ? res->company_field
			  : via && via->ref && depth < SCOPE_DEPTH ? via->name : NULL;
	char sql[512];
	bool rows = res->rows && !ctx->trusted;
	snprintf(sql, sizeof(sql), "SELECT %s, %s FROM %s WHERE id = ?%s%s%s",
		 res->no_record_columns ? "NULL" : "archived_at", col ? col : "NULL", res->table,
		 rows ? " AND (" : "", rows ? res->rows : "", rows ? ")" : "");
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, sql, "i", id);
	if (rc != RC_ROW)
		return rc == RC_DONE ? RC_NOT_FOUND : rc;
	if (archived)
		*archived = !db_col_null(st, 0);
	bool known = !db_col_null(st, 1);
	int64_t v = known ? db_col_int(st, 1) : 0;
	db_done(st);
	*company = res->company_field ? v : 0;
	if (res->company_field || !known || !col)
		return RC_OK;
	rc = probe(ctx, via->ref, v, depth + 1, NULL, company);
	return rc == RC_NOT_FOUND ? RC_OK : rc;
}

#define REFS_KEPT 64

struct resource_refs {
	struct {
		const struct resource *res;
		int64_t id, company;
		bool archived;
	} ref[REFS_KEPT];
	unsigned n, next;	/* kept; the one to replace when full */
};

struct resource_refs *resource_refs_new(struct arena *a)
{
	struct resource_refs *r = arena_alloc(a, sizeof(*r));
	if (r)
		memset(r, 0, sizeof(*r));
	return r;
}

/* probe of a record a write refers to, through ctx->refs when there are. */
static int probe_ref(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		     bool *archived, int64_t *company)
{
	struct resource_refs *r = ctx->refs;
	for (unsigned i = 0; r && i < r->n; i++)
		if (r->ref[i].res == res && r->ref[i].id == id) {
			*archived = r->ref[i].archived;
			*company = r->ref[i].company;
			return RC_OK;
		}
	/* a record whose row was read ahead: what a probe would read is in it */
	const json_t *row = r && res->company_field ? resource_rows_get(ctx->rows, res, id) : NULL;
	int rc;
	if (row) {
		*archived = !json_is_null(json_object_get(row, "archived_at"));
		*company = json_integer_value(json_object_get(row, res->company_field));
		rc = RC_OK;
	} else {
		rc = probe(ctx, res, id, 0, archived, company);
	}
	if (rc == RC_OK && r) {
		unsigned i = r->n < REFS_KEPT ? r->n++ : r->next++ % REFS_KEPT;
		r->ref[i].res = res;
		r->ref[i].id = id;
		r->ref[i].archived = *archived;
		r->ref[i].company = *company;
	}
	return rc;
}

/* The company of a raw record of res (0 when it has none). */
static int company_of_rec(struct resource_ctx *ctx, const struct resource *res,
			  const json_t *rec, int depth, int64_t *company)
{
	*company = 0;
	if (res->company_field) {
		*company = json_integer_value(json_object_get(rec, res->company_field));
		return RC_OK;
	}
	const struct field *via = res->company_via ? resource_field(res, res->company_via) : NULL;
	json_t *ref = json_object_get(rec, res->company_via ? res->company_via : "");
	if (!via || !via->ref || !json_is_integer(ref) || depth >= SCOPE_DEPTH)
		return RC_OK;
	int rc = probe(ctx, via->ref, json_integer_value(ref), depth + 1, NULL, company);
	return rc == RC_NOT_FOUND ? RC_OK : rc;
}

int resource_company_of(struct resource_ctx *ctx, const struct resource *res, int64_t id,
			int64_t *company)
{
	return probe(ctx, res, id, 0, NULL, company);
}

/* Whether a raw record is the caller's to see: in scope (RC_OK) or RC_NOT_FOUND. */
static int in_scope(struct resource_ctx *ctx, const struct resource *res, const json_t *rec)
{
	if (!ctx->scope_company || ctx->trusted)
		return RC_OK;
	int64_t company;
	int rc = company_of_rec(ctx, res, rec, 0, &company);
	if (rc != RC_OK)
		return rc;
	return company == ctx->scope_company ? RC_OK : RC_NOT_FOUND;
}

/* Parents ----------------------------------------------------------------- */

/* A child resource's parent must exist (and be in scope): RC_OK, RC_NOT_FOUND, or an error. */
static int parent_exists(struct resource_ctx *ctx, const struct resource *res)
{
	if (!res->parent)
		return RC_OK;
	if (ctx->parent_id < 1)
		return RC_NOT_FOUND;
	int64_t company;
	int rc = probe(ctx, res->parent, ctx->parent_id, 0, NULL, &company);
	if (rc != RC_OK || !ctx->scope_company || ctx->trusted)
		return rc;
	return company == ctx->scope_company ? RC_OK : RC_NOT_FOUND;
}

/* Loads a raw record the caller may see: of ctx->parent_id for a child, in scope. */
static int load_owned(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		      bool hidden, json_t **out)
{
	int rc = parent_exists(ctx, res);
	if (rc != RC_OK)
		return rc;
	json_t *rec;
	rc = load(ctx, res, id, hidden, &rec);
	if (rc != RC_OK)
		return rc;
	if (res->parent &&
	    json_integer_value(json_object_get(rec, res->parent_field)) != ctx->parent_id)
		return RC_NOT_FOUND;
	if (!res->parent) {
		rc = in_scope(ctx, res, rec);
		if (rc != RC_OK)
			return rc;
	}
	*out = rec;
	return RC_OK;
}

int resource_get(struct resource_ctx *ctx, const struct resource *res, int64_t id, json_t **out)
{
	json_t *rec;
	int rc = load_owned(ctx, res, id, false, &rec);
	if (rc == RC_RETRY && !db_in_txn(ctx->db))
		return RC_ERROR;	/* a read outside a transaction has nothing to retry */
	if (rc != RC_OK)
		return rc;
	make_visible(res, role_of(ctx), rec);
	*out = rec;
	return RC_OK;
}

/*
 * The members of the current row that say whose it is (its parent, its
 * company or the record that knows it) as a raw record, for the checks of
 * load_owned.
 */
static json_t *owner_members(const struct resource_row *r)
{
	json_t *rec = json_object();
	const char *names[] = { r->res->parent ? r->res->parent_field : NULL,
				r->res->company_field, r->res->company_via };
	for (size_t i = 0; rec && i < sizeof(names) / sizeof(names[0]); i++) {
		const struct field *f;
		int c = names[i] ? column_of(r, names[i], &f) : -1;
		if (c >= 0 && !db_col_null(r->st, c) &&
		    json_object_set_new(rec, names[i], json_integer(db_col_int(r->st, c))) < 0) {
			json_decref(rec);
			return NULL;
		}
	}
	return rec;
}

int resource_get_text(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		      struct buf *out, int64_t *version)
{
	unsigned role = role_of(ctx);
	if (!text_ok(res, role)) {
		json_t *rec;
		int rc = resource_get(ctx, res, id, &rec);
		if (rc != RC_OK)
			return rc;
		json_t *v = json_object_get(rec, "version");
		*version = json_is_integer(v) ? json_integer_value(v) : -1;
		return json_write(out, rec) < 0 ? RC_ERROR : RC_OK;
	}
	int rc = parent_exists(ctx, res);
	if (rc != RC_OK)
		return rc == RC_RETRY && !db_in_txn(ctx->db) ? RC_ERROR : rc;
	const struct shape *sh = shape_of(res);
	const struct column *col = sh ? sh->col[0] : NULL;
	struct names names = { .n = 0 };
	const char *sql = col ? by_id_sql(ctx, res, false) : NULL;
	struct db_stmt *st = sql ? db_prepare_kept(ctx->db, sql) : NULL;
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, id);
	rc = db_step(st);
	if (rc != RC_ROW) {
		db_done(st);
		rc = rc == RC_DONE ? RC_NOT_FOUND : rc;
		return rc == RC_RETRY && !db_in_txn(ctx->db) ? RC_ERROR : rc;
	}
	struct resource_row r = { .st = st, .res = res, .col = col, .names = &names };
	size_t len = out->len;
	*version = res->no_record_columns ? -1 : db_col_int(st, 3);
	rc = row_text(out, &r, role) < 0 ? RC_ERROR : RC_OK;
	bool checks = res->parent || (ctx->scope_company && !ctx->trusted);
	json_t *owner = rc == RC_OK && checks ? owner_members(&r) : NULL;
	db_done(st);
	if (rc == RC_OK && checks) {
		/* the checks of load_owned, once the statement is done */
		if (!owner)
			rc = RC_ERROR;
		else if (res->parent)
			rc = json_integer_value(json_object_get(owner, res->parent_field)) ==
					     ctx->parent_id
				     ? RC_OK
				     : RC_NOT_FOUND;
		else
			rc = in_scope(ctx, res, owner);
		json_decref(owner);
	}
	if (rc == RC_RETRY && !db_in_txn(ctx->db))
		rc = RC_ERROR;
	if (rc != RC_OK)
		buf_truncate(out, len);
	return rc;
}

/* Lists ------------------------------------------------------------------- */

/*
 * The ORDER BY expression: nullable columns sort as '' or the smallest
 * integer; an enum sorts in the order its values are listed (priority
 * critical, high, medium, low; status as a ticket lives), not by spelling.
 * The values are the field table's constants, never input.
 */
static const char *sort_expr(struct arena *arena, const struct resource_query *q)
{
	const struct field *f = q->sort_field;
	if (f && f->type == FT_ENUM) {
		struct buf b;
		buf_init(&b, SQL_MAX);
		buf_addf(&b, "CASE %s", f->name);
		int i = 0;
		for (const char *const *v = f->enum_values; *v; v++, i++)
			buf_addf(&b, " WHEN '%s' THEN %d", *v, i);
		buf_addf(&b, " ELSE %d END", i);
		const char *e = b.failed ? NULL : arena_strdup(arena, buf_str(&b));
		buf_release(&b);
		return e;
	}
	if (!f || f->flags & F_REQUIRED)
		return q->sort_column;
	if (int_typed(f->type))
		return arena_printf(arena, "COALESCE(%s, -9223372036854775807)", f->name);
	return arena_printf(arena, "COALESCE(%s, '')", f->name);
}

/* A page of a list as its rows come, from one statement or two (a search). */
struct page {
	struct resource_ctx *ctx;
	const struct resource *res;
	const struct resource_query *q;
	const char *order;	/* the ORDER BY expression (sort_expr) */
	bool by_id;		/* sorted by id: no sort value is read back */
	bool sort_int;		/* the sort value binds as an integer */
	bool scope_bind;	/* the conditions bind the caller's company */
	json_t *data;		/* the records, or with text the JSON text they make */
	struct buf *text;
	const struct column *col;	/* with text: the shape's */
	struct names names;		/* with text: what present_text asked for */
	int rows;
	bool full;		/* a row past the page was seen: *next_cursor is set */
	const char *last_value;
	int64_t last_id;
	const char **next_cursor;
};

/*
 * The list's conditions, the search and the cursor aside: " AND …" each,
 * bound by bind_conditions in the same order. Returns whether they may
 * turn away most rows (anything but "not archived").
 */
static bool list_conditions(struct page *p, struct buf *sql)
{
	struct resource_ctx *ctx = p->ctx;
	const struct resource *res = p->res;
	const struct resource_query *q = p->q;
	bool narrow = q->nfilters > 0;
	if (!res->no_record_columns) {
		if (q->archived == ARCHIVED_NO)
			buf_addstr(sql, " AND archived_at IS NULL");
		else if (q->archived == ARCHIVED_ONLY)
			buf_addstr(sql, " AND archived_at IS NOT NULL");
		narrow |= q->archived == ARCHIVED_ONLY;
	}
	if (res->parent)
		buf_addf(sql, " AND %s = ?", res->parent_field);
	if (res->rows && !ctx->trusted)
		buf_addf(sql, " AND (%s)", res->rows);
	p->scope_bind = false;
	bool scoped = ctx->scope_company && !ctx->trusted && !res->parent;
	if (scoped) {
		buf_addstr(sql, " AND ");
		scope_sql(res, sql, 0, &p->scope_bind);
	}
	narrow |= res->parent || (res->rows && !ctx->trusted) || scoped;
	for (int i = 0; i < q->nfilters; i++) {
		const struct resource_filter *flt = &q->filters[i];
		if (flt->op == FILTER_NONE) {
			buf_addf(sql, " AND %s IS NULL", flt->column);
		} else if (flt->op == FILTER_BEFORE) {
			buf_addf(sql, " AND %s < ?", flt->column);
		} else if (flt->op == FILTER_AFTER) {
			buf_addf(sql, " AND %s > ?", flt->column);
		} else if (flt->field && flt->field->type == FT_STRINGS) {
			/* any of the items (the values are LIKE patterns, see query.c) */
			for (int v = 0; v < flt->nvalues; v++)
				buf_addf(sql, "%s%s LIKE ? ESCAPE '!'", v ? " OR " : " AND (",
					 flt->column);
			buf_addch(sql, ')');
		} else if (flt->nvalues == 1) {
			buf_addf(sql, " AND %s = ?", flt->column);
		} else {
			buf_addf(sql, " AND %s IN (?", flt->column);
			for (int v = 1; v < flt->nvalues; v++)
				buf_addstr(sql, ", ?");
			buf_addch(sql, ')');
		}
	}
	return narrow;
}

/* Binds what list_conditions wrote from parameter idx on; returns the next. */
static int bind_conditions(const struct page *p, struct db_stmt *st, int idx)
{
	const struct resource_query *q = p->q;
	if (p->res->parent)
		db_bind_int(st, idx++, p->ctx->parent_id);
	if (p->scope_bind)
		db_bind_int(st, idx++, p->ctx->scope_company);
	for (int i = 0; i < q->nfilters; i++) {
		const struct resource_filter *flt = &q->filters[i];
		bool as_int = flt->op == FILTER_IN &&
			      (!flt->field || int_typed(flt->field->type));
		for (int v = 0; v < flt->nvalues; v++) {
			if (as_int)
				db_bind_int(st, idx++, strtoll(flt->values[v], NULL, 10));
			else
				db_bind_text(st, idx++, flt->values[v]);
		}
	}
	return idx;
}

/* " AND" the rows after the cursor: by id alone, or by the sort value then id. */
static void cursor_sql(const struct page *p, struct buf *sql, const char *id, bool by_value)
{
	if (!p->q->has_cursor)
		return;
	const char *cmp = p->q->sort_desc ? "<" : ">";
	if (!by_value)
		buf_addf(sql, " AND %s %s ?", id, cmp);
	else
		buf_addf(sql, " AND (%s %s ? OR (%s = ? AND %s %s ?))", p->order, cmp, p->order,
			 id, cmp);
}

static int bind_cursor(const struct page *p, struct db_stmt *st, int idx, bool by_value)
{
	const struct resource_query *q = p->q;
	if (!q->has_cursor)
		return idx;
	if (by_value) {
		for (int k = 0; k < 2; k++) {
			if (p->sort_int)
				db_bind_int(st, idx++,
					    strtoll(q->cursor_value ? q->cursor_value : "0", NULL, 10));
			else
				db_bind_text(st, idx++, q->cursor_value ? q->cursor_value : "");
		}
	}
	db_bind_int(st, idx++, q->cursor_id);
	return idx;
}

/* "SELECT id, …[, sort value] FROM " */
static void select_from(const struct page *p, struct buf *sql)
{
	buf_addstr(sql, "SELECT ");
	select_list(sql, p->res, false);
	if (!p->by_id)
		buf_addf(sql, ", %s", p->order);
	buf_addstr(sql, " FROM ");
}

/*
 * Steps st (done here) and adds its rows to the page; a row past the page
 * sets the cursor after the last one and ends the page.
 */
static int page_rows(struct page *p, struct db_stmt *st)
{
	const struct resource_query *q = p->q;
	unsigned role = role_of(p->ctx);
	int rc;
	while ((rc = db_step(st)) == RC_ROW) {
		if (p->rows == q->limit) {
			const char *sk = q->sort_desc
				? arena_printf(p->ctx->arena, "-%s", q->sort_column)
				: q->sort_column;
			*p->next_cursor = resource_cursor_encode(p->ctx->arena, sk,
								 p->by_id ? NULL : p->last_value,
								 p->last_id);
			p->full = true;
			rc = RC_DONE;
			break;
		}
		if (p->text) {
			struct resource_row r = { .st = st, .res = p->res, .col = p->col,
						  .names = &p->names };
			if ((p->rows && buf_addch(p->text, ',') < 0) || row_text(p->text, &r, role) < 0) {
				rc = RC_ERROR;
				break;
			}
		} else {
			json_t *obj = row_to_json(st, p->res, false);
			if (obj)
				make_visible(p->res, role, obj);
			if (!obj || json_array_append_new(p->data, obj) < 0) {
				rc = RC_ERROR;
				break;
			}
		}
		p->last_id = db_col_int(st, 0);
		if (!p->by_id) {
			/* the sort value is the extra last column (counted once a row exists) */
			const char *v = db_col_text(st, db_col_count(st) - 1);
			p->last_value = arena_strdup(p->ctx->arena, v ? v : "");
		}
		p->rows++;
	}
	db_done(st);
	return rc == RC_DONE ? RC_OK : RC_ERROR;
}

/*
 * One statement: the conditions, the search as a condition the database
 * plans (fts may be NULL), the cursor; ordered by id when id_order, else by
 * the sort value then id.
 */
static int list_plain(struct page *p, const char *fts, bool id_order)
{
	const char *dir = p->q->sort_desc ? "DESC" : "ASC";
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	select_from(p, &sql);
	buf_addf(&sql, "%s WHERE 1 = 1", p->res->table);
	list_conditions(p, &sql);
	if (fts) {
		buf_addstr(&sql, " AND ");
		(id_order ? db_fts_where : db_fts_among)(p->ctx->db, p->res->table, &sql);
	}
	cursor_sql(p, &sql, "id", !id_order);
	if (id_order)
		buf_addf(&sql, " ORDER BY id %s LIMIT ?", dir);
	else
		buf_addf(&sql, " ORDER BY %s %s, id %s LIMIT ?", p->order, dir, dir);
	struct db_stmt *st = sql.failed ? NULL : db_prepare(p->ctx->db, buf_str(&sql));
	buf_release(&sql);
	if (!st)
		return RC_ERROR;
	int idx = bind_conditions(p, st, 1);
	if (fts)
		db_bind_text(st, idx++, fts);
	idx = bind_cursor(p, st, idx, !p->by_id && !id_order);
	db_bind_int(st, idx, p->q->limit + 1);
	return page_rows(p, st);
}

/*
 * A search in id order (newest first, or oldest) reads a window of rows
 * first and stops as soon as the page is full, so a common word costs no
 * more than a rare one; only when the window did not fill the page does it
 * go on past the window's end (db_fts_bound).
 */

/* The rest of the page past bound: the conditions, the search as cond. */
static int search_past(struct page *p, const char *fts, int64_t bound,
		       int (*cond)(struct db *, const char *, struct buf *))
{
	const struct resource_query *q = p->q;
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	select_from(p, &sql);
	buf_addf(&sql, "%s WHERE 1 = 1", p->res->table);
	list_conditions(p, &sql);
	buf_addf(&sql, " AND id %s ? AND ", q->sort_desc ? "<" : ">");
	cond(p->ctx->db, p->res->table, &sql);
	buf_addf(&sql, " ORDER BY id %s LIMIT ?", q->sort_desc ? "DESC" : "ASC");
	struct db_stmt *st = sql.failed ? NULL : db_prepare(p->ctx->db, buf_str(&sql));
	buf_release(&sql);
	if (!st)
		return RC_ERROR;
	int idx = bind_conditions(p, st, 1);
	db_bind_int(st, idx++, bound);
	db_bind_text(st, idx++, fts);
	db_bind_int(st, idx, p->q->limit + 1 - p->rows);
	return page_rows(p, st);
}

/*
 * Where the index leads (db_fts_drives, SQLite: FTS5 hands out its matches
 * in rowid order) each match is looked up by id until the page is full.
 * Conditions that may turn most matches away (anything but "not archived":
 * a company, a status, a portal user's scope) bound that to a window of
 * FTS_WINDOW matches; past it the conditions lead and each of their rows is
 * tested against the index.
 */
#define FTS_WINDOW 1000

static int search_led(struct page *p, const char *fts)
{
	struct db *db = p->ctx->db;
	const struct resource_query *q = p->q;
	const char *table = p->res->table;
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	select_from(p, &sql);
	db_fts_drive(db, table, &sql);
	buf_addstr(&sql, " WHERE 1 = 1");
	bool narrow = list_conditions(p, &sql);
	int64_t bound = 0;
	int rc = RC_DONE;
	if (narrow)
		rc = db_fts_bound(db, table, fts, q->sort_desc,
				  q->has_cursor ? &q->cursor_id : NULL, FTS_WINDOW, &bound);
	if (rc != RC_ROW && rc != RC_DONE) {
		buf_release(&sql);
		return RC_ERROR;
	}
	bool bounded = rc == RC_ROW;
	if (bounded)
		buf_addf(&sql, " AND fts.fts_id %s= ?", q->sort_desc ? ">" : "<");
	cursor_sql(p, &sql, "fts.fts_id", false);
	buf_addf(&sql, " ORDER BY fts.fts_id %s LIMIT ?", q->sort_desc ? "DESC" : "ASC");
	struct db_stmt *st = sql.failed ? NULL : db_prepare(db, buf_str(&sql));
	buf_release(&sql);
	if (!st)
		return RC_ERROR;
	db_bind_text(st, 1, fts);
	int idx = bind_conditions(p, st, 2);
	if (bounded)
		db_bind_int(st, idx++, bound);
	idx = bind_cursor(p, st, idx, false);
	db_bind_int(st, idx, q->limit + 1);
	rc = page_rows(p, st);
	if (rc != RC_OK || !bounded || p->full)
		return rc;
	return search_past(p, fts, bound, db_fts_test);
}

/*
 * Elsewhere (PostgreSQL: a GIN index fetches all the matches or none) the
 * rows are read in id order, each tested, a window at a time: the first of
 * FTS_ROWS rows, each next one four times as many. While at least 1 % of
 * the rows read so far match, the word is common and the next window will
 * likely fill the page; when fewer do, the rest of the matches are fetched
 * through the index at once (db_fts_where), few as they are. Conditions
 * that may turn most rows away end it after the first window: a common
 * word is then tested along the conditions' rows (their index leads), a
 * rare one fetched through its own.
 */
#define FTS_ROWS 200

/* How many of the rows in [from, to) (newest first) match, stopping at most. */
static int rows_matching(const struct page *p, const char *fts, const int64_t *from, int64_t to,
			 int64_t most, int64_t *n)
{
	const struct resource_query *q = p->q;
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	buf_addf(&sql, "SELECT COUNT(*) FROM (SELECT 1 FROM %s WHERE id %s ? AND id %s ? AND ",
		 p->res->table, q->sort_desc ? ">=" : "<=", q->sort_desc ? "<" : ">");
	db_fts_test(p->ctx->db, p->res->table, &sql);
	buf_addstr(&sql, " LIMIT ?) w");
	struct db_stmt *st = NULL;
	int rc = sql.failed ? RC_ERROR
			    : db_run(p->ctx->db, &st, buf_str(&sql), "iisi", to,
				     from ? *from : q->sort_desc ? INT64_MAX : INT64_MIN, fts, most);
	buf_release(&sql);
	if (rc != RC_ROW)
		return RC_ERROR;
	*n = db_col_int(st, 0);
	db_done(st);
	return RC_OK;
}

/*
 * The searches whose window found them rare (search_rows), remembered for
 * RARE_TTL_NS by table and query text: the same search again (the next
 * page, a word searched again, by anyone) goes to the index at once
 * instead of testing a window first, twice the searches a second for a
 * rare word at 1M. Only a route: both ways give the same rows; a word
 * grown common since is fetched whole through the index, slower, until
 * its entry expires. Direct-mapped by hash; a collision replaces.
 */
#define RARE_SLOTS 1024	/* power of two */
#define RARE_KEY 192
#define RARE_TTL_NS (600 * 1000000000LL)

static struct rare_route {
	uint64_t hash;
	int64_t until;	/* time_mono_ns */
	char key[RARE_KEY];
} rare_memo[RARE_SLOTS];
static pthread_mutex_t rare_lock = PTHREAD_MUTEX_INITIALIZER;

/* The memo's key of a search (table, a NUL, the query, a NUL) in key: its length, 0 when too long. */
static size_t rare_key(const char *table, const char *fts, char *key, uint64_t *hash)
{
	size_t t = strlen(table), f = strlen(fts);
	if (t + 1 + f + 1 > RARE_KEY)
		return 0;
	memcpy(key, table, t + 1);
	memcpy(key + t + 1, fts, f + 1);
	*hash = hash_bytes(key, t + 1 + f);
	return t + 1 + f + 1;
}

static bool rare_known(const char *table, const char *fts)
{
	char key[RARE_KEY];
	uint64_t h;
	size_t n = rare_key(table, fts, key, &h);
	if (!n)
		return false;
	int64_t now = time_mono_ns();
	pthread_mutex_lock(&rare_lock);
	const struct rare_route *m = &rare_memo[h & (RARE_SLOTS - 1)];
	bool known = m->hash == h && m->until > now && memcmp(m->key, key, n) == 0;
	pthread_mutex_unlock(&rare_lock);
	return known;
}

static void rare_note(const char *table, const char *fts)
{
	char key[RARE_KEY];
	uint64_t h;
	size_t n = rare_key(table, fts, key, &h);
	if (!n)
		return;
	int64_t until = time_mono_ns() + RARE_TTL_NS;
	pthread_mutex_lock(&rare_lock);
	struct rare_route *m = &rare_memo[h & (RARE_SLOTS - 1)];
	m->hash = h;
	m->until = until;
	memcpy(m->key, key, n);
	pthread_mutex_unlock(&rare_lock);
}

/* Whether the list's conditions may turn most rows away (list_conditions, written nowhere). */
static bool narrowed(struct page *p)
{
	struct buf scratch;
	buf_init(&scratch, SQL_MAX);
	bool narrow = list_conditions(p, &scratch);
	buf_release(&scratch);
	return narrow;
}

static int search_rows(struct page *p, const char *fts)
{
	struct db *db = p->ctx->db;
	const struct resource_query *q = p->q;
	const char *table = p->res->table;
	const char *past = q->sort_desc ? "<" : ">";
	const int64_t *from = q->has_cursor ? &q->cursor_id : NULL;
	int64_t at = 0, read = 0, matched = 0, size = FTS_ROWS;
	if (rare_known(table, fts) && !narrowed(p))
		return search_past(p, fts, from ? *from : q->sort_desc ? INT64_MAX : INT64_MIN,
				   db_fts_where);
	for (;;) {
		int64_t bound = 0;
		int rc = db_fts_bound(db, table, fts, q->sort_desc, from, size, &bound);
		if (rc != RC_ROW && rc != RC_DONE)
			return RC_ERROR;
		bool bounded = rc == RC_ROW;
		struct buf sql;
		buf_init(&sql, SQL_MAX);
		select_from(p, &sql);
		buf_addf(&sql, "%s WHERE 1 = 1", table);
		bool narrow = list_conditions(p, &sql);
		if (from)
			buf_addf(&sql, " AND id %s ?", past);
		if (bounded)
			buf_addf(&sql, " AND id %s= ?", q->sort_desc ? ">" : "<");
		buf_addstr(&sql, " AND ");
		db_fts_test(db, table, &sql);
		buf_addf(&sql, " ORDER BY id %s LIMIT ?", q->sort_desc ? "DESC" : "ASC");
		struct db_stmt *st = sql.failed ? NULL : db_prepare(db, buf_str(&sql));
		buf_release(&sql);
		if (!st)
			return RC_ERROR;
		int idx = bind_conditions(p, st, 1);
		if (from)
			db_bind_int(st, idx++, *from);
		if (bounded)
			db_bind_int(st, idx++, bound);
		db_bind_text(st, idx++, fts);
		db_bind_int(st, idx, q->limit + 1 - p->rows);
		int before = p->rows;
		rc = page_rows(p, st);
		if (rc != RC_OK || !bounded || p->full)
			return rc;
		read += size + 1;
		int64_t n = p->rows - before;	/* without conditions, the matches */
		if (narrow) {
			int64_t need = (read + 99) / 100;
			if (n < need && rows_matching(p, fts, from, bound, need, &n) != RC_OK)
				return RC_ERROR;
			return search_past(p, fts, bound, n >= need ? db_fts_test : db_fts_where);
		}
		matched += n;
		if (matched * 100 < read) {
			rare_note(table, fts);
			return search_past(p, fts, bound, db_fts_where);
		}
		at = bound;
		from = &at;
		size *= 4;
	}
}

/* A list into data (a JSON array) or, when data is NULL, as text onto text. */
static int list(struct resource_ctx *ctx, const struct resource *res,
		const struct resource_query *q, json_t *data, struct buf *text,
		const char **next_cursor)
{
	const char *order = sort_expr(ctx->arena, q);
	if (!order)
		return RC_ERROR;
	bool by_id = strcmp(q->sort_column, "id") == 0;
	/*
	 * Ids follow creation order (a record's id and created_at are both
	 * given when it is made), so a search newest or oldest first goes by
	 * id, the order the full-text index keeps; the cursor still carries
	 * created_at, as for the list without q.
	 */
	bool id_order = by_id || (q->q && strcmp(q->sort_column, "created_at") == 0);
	int prc = parent_exists(ctx, res);
	if (prc != RC_OK)
		return prc == RC_RETRY ? RC_ERROR : prc;
	*next_cursor = NULL;

	char *fts = NULL;
	if (q->q) {
		fts = db_fts_query(ctx->db, res->table, q->q);
		if (!fts)
			return RC_OK;	/* a search with no words in it matches nothing */
	}
	const struct shape *sh = data ? NULL : shape_of(res);
	struct page p = {
		.ctx = ctx,
		.res = res,
		.q = q,
		.order = order,
		.by_id = by_id,
		.sort_int = q->sort_field ? int_typed(q->sort_field->type) ||
						    q->sort_field->type == FT_ENUM
					  : by_id,
		.data = data,
		.text = data ? NULL : text,
		.col = sh ? sh->col[0] : NULL,
		.next_cursor = next_cursor,
	};
	int rc = RC_ERROR;
	if (data || p.col)
		rc = !fts || !id_order	   ? list_plain(&p, fts, id_order)
		     : db_fts_drives(ctx->db) ? search_led(&p, fts)
					      : search_rows(&p, fts);
	xfree(fts);
	if (rc != RC_OK) {
		*next_cursor = NULL;
		return RC_ERROR;
	}
	return RC_OK;
}

int resource_list(struct resource_ctx *ctx, const struct resource *res,
		  const struct resource_query *q, json_t **out, const char **next_cursor)
{
	json_t *data = own(ctx, json_array());
	if (!data)
		return RC_ERROR;
	int rc = list(ctx, res, q, data, NULL, next_cursor);
	if (rc == RC_OK)
		*out = data;
	return rc;
}

int resource_list_text(struct resource_ctx *ctx, const struct resource *res,
		       const struct resource_query *q, struct buf *out, const char **next_cursor)
{
	size_t len = out->len;
	int rc;
	if (text_ok(res, role_of(ctx))) {
		rc = buf_addch(out, '[') < 0 ? RC_ERROR : list(ctx, res, q, NULL, out, next_cursor);
		if (rc == RC_OK && buf_addch(out, ']') < 0)
			rc = RC_ERROR;
	} else {
		json_t *data;
		rc = resource_list(ctx, res, q, &data, next_cursor);
		if (rc == RC_OK && json_write(out, data) < 0)
			rc = RC_ERROR;
	}
	if (rc != RC_OK) {
		*next_cursor = NULL;
		buf_truncate(out, len);
	}
	return rc;
}

/* References -------------------------------------------------------------- */

static const char *fmt(struct resource_ctx *ctx, const char *f, const struct field *field,
		       int64_t id)
{
	return arena_printf(ctx->arena, f, field->ref->singular, (long long)id);
}

/*
 * The references among names (NULL: every reference of rec) must name live
 * records the caller may see; F_SAME_COMPANY ones records of rec's own
 * company. Appends errors; returns RC_OK or a failure.
 */
static int check_refs(struct resource_ctx *ctx, const struct resource *res, const json_t *rec,
		      const json_t *names, json_t *errors)
{
	bool company_known = false;
	int64_t company = 0;
	/* a record that changes company must not keep another company's contact */
	const char *owner = res->company_field ? res->company_field : res->company_via;
	bool moved = names && owner && json_object_get(names, owner);
	for (const struct field *f = res->fields; f->name; f++) {
		if (f->type != FT_REF || (names && !json_object_get(names, f->name) &&
					  !(moved && f->flags & F_SAME_COMPANY)))
			continue;
		json_t *v = json_object_get(rec, f->name);
		if (!v || !json_is_integer(v))
			continue;
		int64_t id = json_integer_value(v), theirs;
		bool archived;
		int rc = probe_ref(ctx, f->ref, id, &archived, &theirs);
		if (rc == RC_OK && !ctx->trusted && ctx->scope_company &&
		    (f->ref->company_field || f->ref->company_via) && theirs != ctx->scope_company)
			rc = RC_NOT_FOUND;	/* another company's record does not exist for them */
		if (rc == RC_NOT_FOUND) {
			resource_error(errors, f->name, fmt(ctx, "refers to no %s with id %lld", f, id));
			continue;
		}
		if (rc != RC_OK)
			return rc;
		if (archived) {
			resource_error(errors, f->name, fmt(ctx, "refers to an archived %s", f, 0));
			continue;
		}
		if (!(f->flags & F_SAME_COMPANY))
			continue;
		if (!company_known) {
			rc = company_of_rec(ctx, res, rec, 0, &company);
			if (rc != RC_OK)
				return rc;
			company_known = true;
		}
		if (company && theirs != company)
			resource_error(errors, f->name,
				       arena_printf(ctx->arena, "refers to a %s that belongs to another company than the %s's",
						    f->ref->singular, res->singular));
	}
	return RC_OK;
}

/* Writes ------------------------------------------------------------------ */

struct write {
	struct resource_ctx *ctx;
	const struct resource *res;
	const json_t *body;
	int64_t id;
	int64_t expect_version;
	bool archive;
	const struct resource_action *action;
	/* a create's record before its prepare hook: the body with defaults */
	json_t *rec0;
	bool no_reply;		/* the caller wants no record back (out NULL) */
	/* results, written on each attempt */
	json_t *out;
	json_t *errors;
	json_t *raw;	/* a create's record as written, for the reply made after it */
};

/* The owner rule: may the caller write a row owned by owner? */
static bool owner_ok(struct resource_ctx *ctx, const struct resource *res, const json_t *owner)
{
	if (!res->owner_field || ctx->trusted || !ctx->actor || !ctx->actor->role ||
	    (ctx->actor->role & res->any_owner_roles))
		return true;
	return !json_is_integer(owner) || json_integer_value(owner) == ctx->actor->user_id;
}

static int forbidden_owner(struct write *w)
{
	resource_error(w->errors, w->res->owner_field,
		       arena_printf(w->ctx->arena, "your role may change only your own %s",
				    w->res->name));
	return RC_FORBIDDEN;
}

/* The event outbox: one row per change of a resource that has events. */
static resource_observer observers[8];
static size_t nobservers;

void resource_observe(resource_observer fn)
{
	for (size_t i = 0; i < nobservers; i++)
		if (observers[i] == fn)
			return;
	if (nobservers < sizeof(observers) / sizeof(observers[0]))
		observers[nobservers++] = fn;
}

/* The event of a change; data is after as the events keep it: json_text_sorted (NULL with after). */
static int emit_dumped(struct resource_ctx *ctx, const struct resource *res, const char *verb,
		       int64_t id, const json_t *after, const char *data)
{
	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	const struct audit_actor *a = ctx->actor;
	const char *type = arena_printf(ctx->arena, "%s.%s", res->event, verb);
	if (!type)
		return RC_ERROR;
	int rc = db_run_later(ctx->db,
			"INSERT INTO events (at, type, resource, record_id, actor_id, actor,"
			" request_id, data) VALUES (?, ?, ?, ?, NULLIF(?, 0), ?, ?, ?)",
			"sssiisss", now, type, res->name, id, a ? a->user_id : 0,
			a && a->label ? a->label : "system", a ? a->request_id : NULL, data);
	if (rc != RC_DONE)
		return rc;
	for (size_t i = 0; i < nobservers; i++) {
		/* a copy: an observer reads the action's reply (a link made once), changes nothing */
		struct resource_ctx c = *ctx;
		rc = observers[i](&c, type, res, id, after);
		if (rc != RC_OK)
			return rc;
	}
	return RC_OK;
}

static int emit(struct resource_ctx *ctx, const struct resource *res, const char *verb,
		int64_t id, const json_t *after)
{
	if (!res->event)
		return RC_OK;
	char *data = json_text_sorted(after);
	if (after && !data)
		return RC_ERROR;
	int rc = emit_dumped(ctx, res, verb, id, after, data);
	xfree(data);
	return rc;
}

int resource_event(struct resource_ctx *ctx, const struct resource *res, const char *verb,
		   int64_t id, const json_t *data)
{
	if (!ctx->now)
		ctx->now = time_now();
	return emit(ctx, res, verb, id, data);
}

/*
 * A record as the system sees it, for the audit entry and the event: a
 * copy of the top level only, sharing the members' values with rec
 * (make_visible and the present hooks add and remove members, never
 * change one in place), and only ever written out. A deep copy here cost
 * a write two copies of every record, a run's summary of 10,000 invoices
 * among them.
 */
static json_t *system_view(struct resource_ctx *ctx, const struct resource *res,
			   const json_t *rec)
{
	json_t *copy = own(ctx, json_copy((json_t *)rec));
	if (copy)
		make_visible(res, 0, copy);
	return copy;
}

/* The audit entry and the event of a change, with the records as the system sees them. */
static int record_change(struct write *w, const char *action, const char *verb,
			 const json_t *before, const json_t *after)
{
	json_t *b = before ? system_view(w->ctx, w->res, before) : NULL;
	json_t *a = after ? system_view(w->ctx, w->res, after) : NULL;
	if ((before && !b) || (after && !a))
		return RC_ERROR;
	/* the audit entry and the event keep the same text: written once */
	char *bt = json_text_sorted(b), *at = json_text_sorted(a);
	int rc = (b && !bt) || (a && !at) ? RC_ERROR
		 : audit_write_dumped(w->ctx->db, w->ctx->actor, action, w->res->name, w->id,
				      bt, at);
	if (rc == RC_OK && w->res->event)
		rc = emit_dumped(w->ctx, w->res, verb, w->id, a, at);
	xfree(bt);
	xfree(at);
	return rc;
}

/* The reply of a write: the record as the caller sees it (and an action's extras). */
static int reply(struct write *w, const json_t *raw)
{
	struct resource_ctx *ctx = w->ctx;
	if (w->no_reply) {
		w->out = NULL;
		return RC_OK;
	}
	if (w->action && ctx->reply) {
		w->out = ctx->reply;
	} else {
		w->out = resource_visible(ctx, w->res, raw);
		if (!w->out)
			return RC_ERROR;
	}
	if (ctx->reply_extra)
		json_object_update(w->out, ctx->reply_extra);
	return RC_OK;
}

/* A fresh attempt: db_txn may run a transaction body several times. */
static int attempt(struct write *w)
{
	w->out = w->raw = NULL;
	w->errors = own(w->ctx, json_array());
	w->ctx->hook_note = NULL;
	w->ctx->reply = w->ctx->reply_extra = NULL;
	return w->errors ? RC_OK : RC_ERROR;
}

/* A create's row written (after, as read): its hook, audit entry and event; its reply to make. */
static int created(struct write *w, json_t *after)
{
	if (w->res->after_write) {
		int rc = w->res->after_write(w->ctx, NULL, after);
		if (rc != RC_OK)
			return rc;
	}
	int rc = record_change(w, "create", "created", NULL, after);
	if (rc == RC_OK)
		w->raw = after;	/* the reply is made once the write lock is given back */
	return rc;
}

/*
 * A create's INSERT of rec, prepared and bound: created_at and updated_at
 * now, version 1, and rec's columns; or, with an id taken ahead (id > 0),
 * that id and every column (NULL where rec has none, so that no default
 * of the database's makes the row differ from the record). Without one,
 * it returns the row as a load would read it (the hidden columns too).
 */
static struct db_stmt *insert_row(struct db *db, const struct resource *res, const json_t *rec,
				  int64_t id, const char *now)
{
	bool every = id > 0;
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	buf_addf(&sql, "INSERT INTO %s (%screated_at, updated_at, version", res->table,
		 every ? "id, " : "");
	for (const struct field *f = res->fields; f->name; f++)
		if (is_column(f) && (every || json_object_get(rec, f->name)))
			buf_addf(&sql, ", %s", f->name);
	buf_addstr(&sql, every ? ") VALUES (?, ?, ?, 1" : ") VALUES (?, ?, 1");
	for (const struct field *f = res->fields; f->name; f++)
		if (is_column(f) && (every || json_object_get(rec, f->name)))
			buf_addstr(&sql, ", ?");
	buf_addch(&sql, ')');
	if (!every) {
		buf_addstr(&sql, " RETURNING ");
		select_list(&sql, res, true);
	}
	struct db_stmt *st = sql.failed ? NULL : db_prepare(db, buf_str(&sql));
	buf_release(&sql);
	if (!st)
		return NULL;
	int idx = 1;
	if (every)
		db_bind_int(st, idx++, id);
	db_bind_text(st, idx++, now);
	db_bind_text(st, idx++, now);
	for (const struct field *f = res->fields; f->name; f++) {
		json_t *v = json_object_get(rec, f->name);
		if (is_column(f) && (every || v))
			bind_value(st, idx++, f, v);
	}
	return st;
}

/*
 * The create of rec sent ahead (ctx->creates_ahead): its id taken ahead,
 * every column written (insert_row), the record made from what was
 * written as a read would give it.
 */
static int create_ahead(struct write *w, const json_t *rec, const char *now)
{
	struct resource_ctx *ctx = w->ctx;
	const struct resource *res = w->res;
	int64_t id;
	int rc = db_next_id(ctx->db, res->table, &id);
	if (rc != RC_OK)
		return rc;
	json_t *after = own(ctx, json_pack("{s:I, s:s, s:s, s:i, s:n}", "id", (json_int_t)id,
					   "created_at", now, "updated_at", now, "version", 1,
					   "archived_at"));
	for (const struct field *f = res->fields; after && f->name; f++)
		if (is_column(f)) {
			json_t *v = as_read(f, json_object_get(rec, f->name));
			if (!v || json_object_set_new(after, f->name, v) < 0)
				after = NULL;
		}
	struct db_stmt *st = after ? insert_row(ctx->db, res, rec, id, now) : NULL;
	if (!st)
		return RC_ERROR;
	rc = db_step_later(st);
	db_done(st);
	if (rc == RC_CONSTRAINT) {
		resource_error(w->errors, "", "conflicts with an existing record");
		return RC_CONFLICT;
	}
	if (rc != RC_DONE)
		return rc;
	w->id = id;
	return created(w, after);
}

static int create_txn(struct db *db, void *arg)
{
	struct write *w = arg;
	struct resource_ctx *ctx = w->ctx;
	const struct resource *res = w->res;
	int rc = attempt(w);
	if (rc != RC_OK)
		return rc;

	/* the record as it will be: a copy, as the hooks change it */
	json_t *rec = own(ctx, json_deep_copy(w->rec0));
	if (!rec)
		return RC_ERROR;
	rc = parent_exists(ctx, res);
	if (rc != RC_OK)
		return rc;
	if (res->parent)
		json_object_set_new(rec, res->parent_field, json_integer(ctx->parent_id));
	if (res->owner_field && !owner_ok(ctx, res, json_object_get(rec, res->owner_field)))
		return forbidden_owner(w);
	if (res->prepare)
		rc = res->prepare(ctx, NULL, rec, w->errors);
	if (rc == RC_OK && !json_array_size(w->errors))
		rc = check_refs(ctx, res, rec, NULL, w->errors);
	if (rc == RC_OK && !json_array_size(w->errors)) {
		/* a scoped caller's record is of its company (via references, checked above) */
		if (res->company_field && ctx->scope_company && !ctx->trusted &&
		    strcmp(res->company_field, "id") != 0 &&
		    json_integer_value(json_object_get(rec, res->company_field)) !=
			    ctx->scope_company)
			resource_error(w->errors, res->company_field,
				       arena_printf(ctx->arena, "refers to no company with id %lld",
						    (long long)json_integer_value(json_object_get(
							    rec, res->company_field))));
	}
	if (rc == RC_OK && !json_array_size(w->errors) && res->check)
		rc = res->check(ctx, rec, w->errors);
	if (rc != RC_OK || json_array_size(w->errors))
		return rc != RC_OK ? rc : RC_INVALID;

	char now[TIME_RFC3339_LEN];
	time_format(ctx->now, now);
	if (ctx->creates_ahead && ctx->trusted && !res->no_record_columns && db_in_txn(db) &&
	    db_ids_ahead(db))
		return create_ahead(w, rec, now);
	struct db_stmt *st = insert_row(db, res, rec, 0, now);
	if (!st)
		return RC_ERROR;
	rc = db_step(st);
	w->id = rc == RC_ROW ? db_col_int(st, 0) : 0;
	json_t *after = rc == RC_ROW ? own(ctx, row_to_json(st, res, true)) : NULL;
	db_done(st);
	if (rc == RC_CONSTRAINT) {
		resource_error(w->errors, "", "conflicts with an existing record");
		return RC_CONFLICT;
	}
	if (rc != RC_ROW)
		return rc;
	return after ? created(w, after) : RC_ERROR;
}

/*
 * Runs a transaction body as its own transaction or inside the caller's,
 * on a copy of the caller's context: a write inside an action's apply
 * leaves the action's own state (reply, hook note) alone.
 */
static int run_write(struct resource_ctx *caller, struct write *w,
		     int (*fn)(struct db *, void *), json_t **out, json_t **errors)
{
	struct resource_ctx copy = *caller;
	struct resource_ctx *ctx = &copy;
	w->ctx = ctx;
	w->no_reply = !out;
	ctx->now = time_now();
	caller->now = ctx->now;
	ctx->plan = NULL;
	bool joins = db_in_txn(ctx->db);
	/* a create's work that needs no write lock, done before it is taken */
	if (w->rec0 && w->res->plan && !joins)
		w->res->plan(ctx, w->rec0);
	/*
	 * Inside a caller's transaction (an action that writes several
	 * records at once) the write joins it; a lost race is then the
	 * caller's to retry, whole.
	 */
	int rc = joins ? fn(ctx->db, w) : db_txn(ctx->db, fn, w);
	if (rc == RC_OK && w->raw)
		rc = reply(w, w->raw);
	if (rc == RC_OK) {
		if (out)
			*out = w->out;
		return RC_OK;
	}
	if (rc == RC_CONSTRAINT) {
		/* a constraint a hook's own statement ran into */
		if (!w->errors || !json_array_size(w->errors))
			resource_error(w->errors, "", "conflicts with an existing record");
		rc = RC_CONFLICT;
	}
	if ((rc == RC_INVALID || rc == RC_CONFLICT || rc == RC_FORBIDDEN) && errors)
		*errors = w->errors;
	return rc;
}

int resource_create(struct resource_ctx *ctx, const struct resource *res, const json_t *body,
		    json_t **out, json_t **errors)
{
	json_t *errs = own(ctx, json_array());
	if (!errs)
		return RC_ERROR;
	json_t *filled = NULL;
	if (ctx->scope_company && !ctx->trusted && res->company_field && json_is_object(body) &&
	    !json_object_get(body, res->company_field) && strcmp(res->company_field, "id") != 0) {
		/* a scoped caller's records are of its company without saying so */
		filled = own(ctx, json_copy((json_t *)body));
		if (!filled)
			return RC_ERROR;
		json_object_set_new(filled, res->company_field, json_integer(ctx->scope_company));
		body = filled;
	}
	if (resource_validate_as(res, body, true, role_of(ctx), ctx->trusted, errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	/* the record as it will be: the body with defaults filled in */
	json_t *rec0 = own(ctx, json_deep_copy(body));
	if (!rec0)
		return RC_ERROR;
	for (const struct field *f = res->fields; f->name; f++) {
		if (f->dflt && !json_object_get(rec0, f->name))
			json_object_set_new(rec0, f->name, json_loads(f->dflt, JSON_DECODE_ANY, NULL));
	}
	struct resource_ctx c = *ctx;
	c.action = NULL;
	struct write w = { .res = res, .body = body, .rec0 = rec0 };
	int rc = run_write(&c, &w, create_txn, out, errors);
	ctx->now = c.now;
	return rc;
}

/* Loads the current raw record for a write and checks the expected version. */
static int load_current(struct write *w, json_t **cur)
{
	int rc = load_owned(w->ctx, w->res, w->id, true, cur);
	if (rc != RC_OK)
		return rc;
	if (w->expect_version != RESOURCE_ANY_VERSION && !w->res->no_record_columns &&
	    json_integer_value(json_object_get(*cur, "version")) != w->expect_version)
		return RC_STALE;
	return RC_OK;
}

static bool in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* "a, b or c" of a NULL-terminated list, in the arena. */
static const char *joined(struct arena *a, const char *const *list)
{
	struct buf b;
	buf_init(&b, 4096);
	for (const char *const *p = list; p && *p; p++)
		buf_addf(&b, "%s%s", p == list ? "" : p[1] ? ", " : " or ", *p);
	const char *s = b.failed ? "" : arena_strdup(a, buf_str(&b));
	buf_release(&b);
	return s ? s : "";
}

/* A status change the transition table does not list: 409 naming the allowed ones. */
static int check_transition(struct write *w, const json_t *cur, const json_t *rec)
{
	const struct resource *res = w->res;
	if (!res->status_field || !res->transitions)
		return RC_OK;
	const char *from = json_string_value(json_object_get(cur, res->status_field));
	const char *to = json_string_value(json_object_get(rec, res->status_field));
	if (!from || !to || strcmp(from, to) == 0)
		return RC_OK;
	const char *const *ok = NULL;
	for (const struct resource_transition *t = res->transitions; t->from; t++)
		if (strcmp(t->from, from) == 0)
			ok = t->to;
	if (in_list(ok, to))
		return RC_OK;
	char msg[512];
	size_t off = (size_t)snprintf(msg, sizeof(msg), "cannot go from %s to %s; allowed:", from,
				      to);
	for (const char *const *p = ok; p && *p && off < sizeof(msg); p++)
		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s %s",
					p == ok ? "" : ",", *p);
	resource_error(w->errors, res->status_field, msg);
	return RC_CONFLICT;
}

/*
 * The row as an UPDATE of changed writes it, made from cur: what its
 * RETURNING would read (the columns are written as the record has them).
 */
static json_t *after_image(struct write *w, const json_t *cur, const json_t *changed, bool bump,
			   const char *now)
{
	json_t *after = own(w->ctx, json_deep_copy(cur));
	if (!after || json_object_update(after, (json_t *)changed) < 0)
		return NULL;
	if (bump && !w->res->no_record_columns) {
		json_object_set_new(after, "updated_at", json_string(now));
		json_object_set_new(after, "version", json_integer(json_integer_value(
			json_object_get(cur, "version")) + 1));
	}
	return after;
}

/*
 * Writes the columns of changed (a JSON object) to the row; bump: a new
 * version. With after, the row as written, read as a load would (the
 * hidden columns too) from the UPDATE itself. With ahead (cur is a row
 * read ahead in this transaction, which nothing else writes: see
 * resource_rows_read), the UPDATE is sent ahead (db_step_later) and the
 * row as written made from cur: no answer is waited for.
 */
static int write_columns(struct write *w, const json_t *cur, const json_t *changed, bool bump,
			 bool ahead, json_t **after)
{
	const struct resource *res = w->res;
	char now[TIME_RFC3339_LEN];
	time_format(w->ctx->now, now);
	bool record = !res->no_record_columns;
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	buf_addf(&sql, "UPDATE %s SET ", res->table);
	int n = 0;
	if (record && bump) {
		buf_addstr(&sql, "updated_at = ?, version = version + 1");
		n++;
	}
	for (const struct field *f = res->fields; f->name; f++)
		if (is_column(f) && json_object_get(changed, f->name))
			buf_addf(&sql, "%s%s = ?", n++ ? ", " : "", f->name);
	buf_addstr(&sql, record ? " WHERE id = ? AND version = ?" : " WHERE id = ?");
	ahead = ahead && after;
	if (after && !ahead) {
		buf_addstr(&sql, " RETURNING ");
		select_list(&sql, res, true);
	}
	struct db_stmt *st = sql.failed ? NULL : db_prepare(w->ctx->db, buf_str(&sql));
	buf_release(&sql);
	if (!st)
		return RC_ERROR;
	int idx = 1;
	if (record && bump)
		db_bind_text(st, idx++, now);
	for (const struct field *f = res->fields; f->name; f++) {
		json_t *val = json_object_get(changed, f->name);
		if (is_column(f) && val)
			bind_value(st, idx++, f, val);
	}
	db_bind_int(st, idx++, w->id);
	if (record)
		db_bind_int(st, idx++, json_integer_value(json_object_get(cur, "version")));
	if (ahead) {
		int rc = db_step_later(st);
		db_done(st);
		if (rc != RC_DONE && rc != RC_ROW)
			return rc;
		*after = after_image(w, cur, changed, bump, now);
		return *after ? RC_OK : RC_ERROR;
	}
	int rc = db_step(st);
	bool one = after ? rc == RC_ROW : rc == RC_DONE && db_changes(w->ctx->db) == 1;
	if (after && one && !(*after = own(w->ctx, row_to_json(st, res, true))))
		rc = RC_ERROR;
	db_done(st);
	if (rc == RC_CONSTRAINT) {
		resource_error(w->errors, "", "conflicts with an existing record");
		return RC_CONFLICT;
	}
	if (rc != RC_DONE && rc != RC_ROW)
		return rc;
	return one ? RC_OK : RC_STALE;
}

/* Whether every member of patch is a hidden or kept column: the server's bookkeeping. */
static bool bookkeeping(const struct resource *res, const json_t *patch)
{
	const char *key;
	json_t *v;
	if (!json_object_size(patch))
		return false;
	json_object_foreach((json_t *)patch, key, v) {
		const struct field *f = resource_field(res, key);
		if (!f || !(f->flags & (F_HIDDEN | F_KEPT)))
			return false;
	}
	return true;
}

static int update_txn(struct db *db, void *arg)
{
	struct write *w = arg;
	struct resource_ctx *ctx = w->ctx;
	const struct resource *res = w->res;
	int rc = attempt(w);
	if (rc != RC_OK)
		return rc;

	json_t *cur;
	rc = load_current(w, &cur);
	if (rc != RC_OK)
		return rc;
	if (res->owner_field && !owner_ok(ctx, res, json_object_get(cur, res->owner_field)))
		return forbidden_owner(w);
	json_t *rec = own(ctx, json_deep_copy(cur));
	if (!rec)
		return RC_ERROR;

	if (w->action) {
		const char *status = res->status_field
			? json_string_value(json_object_get(cur, res->status_field)) : NULL;
		if (w->action->from && !(status && in_list(w->action->from, status))) {
			resource_error(w->errors, res->status_field ? res->status_field : "",
				       arena_printf(ctx->arena, "cannot %s %s %s that is %s: only one"
							       " that is %s",
						    w->action->name,
						    strchr("aeiou", res->singular[0]) ? "an" : "a",
						    res->singular,
						    status ? status : "so",
						    joined(ctx->arena, w->action->from)));
			return RC_CONFLICT;
		}
		ctx->action = w->action;
		rc = w->action->apply(ctx, cur, rec, w->body, w->errors);
		if (rc == RC_OK && json_array_size(w->errors))
			rc = RC_INVALID;
		if (rc != RC_OK)
			return rc;
	} else if (ctx->trusted && bookkeeping(res, w->body)) {
		/* hidden and kept columns alone: no new version, no hooks, no audit */
		rc = write_columns(w, cur, w->body, false, false, NULL);
		if (rc != RC_OK)
			return rc;
		return reply(w, cur);
	} else {
		const char *key;
		json_t *v;
		bool any = false;
		json_object_foreach((json_t *)w->body, key, v) {
			json_t *old = json_object_get(cur, key);
			if (!old || !json_equal(old, v)) {
				json_object_set(rec, key, v);
				any = true;
			}
		}
		if (!any)
			return reply(w, cur);
	}
	if (res->owner_field && !owner_ok(ctx, res, json_object_get(rec, res->owner_field)))
		return forbidden_owner(w);
	rc = check_transition(w, cur, rec);
	if (rc == RC_OK && res->prepare)
		rc = res->prepare(ctx, cur, rec, w->errors);
	/* the references that change (by the patch, the action or a hook) */
	json_t *changed = own(ctx, json_object());
	if (!changed)
		return RC_ERROR;
	for (const struct field *f = res->fields; f->name; f++) {
		json_t *nv = json_object_get(rec, f->name), *old = json_object_get(cur, f->name);
		if (f->type == FT_REF && nv && !(old && json_equal(old, nv)))
			json_object_set(changed, f->name, nv);
	}
	if (rc == RC_OK && !json_array_size(w->errors))
		rc = check_refs(ctx, res, rec, changed, w->errors);
	if (rc == RC_OK && !json_array_size(w->errors) && res->check)
		rc = res->check(ctx, rec, w->errors);
	if (rc != RC_OK || json_array_size(w->errors))
		return rc != RC_OK ? rc : RC_INVALID;
	/* what is written: every column the patch, the action or a hook changed */
	json_object_clear(changed);
	bool visible = false;
	for (const struct field *f = res->fields; f->name; f++) {
		json_t *nv = json_object_get(rec, f->name);
		json_t *old = json_object_get(cur, f->name);
		if (is_column(f) && nv && !(old && json_equal(old, nv))) {
			json_object_set(changed, f->name, nv);
			visible = visible || !(f->flags & F_HIDDEN);
		}
		if (f->flags & F_WRITE_ONLY && json_object_get(w->body, f->name))
			visible = true;	/* a password: a change though nobody sees it */
	}
	if (!json_object_size(changed) && !w->action)
		return reply(w, cur);
	json_t *after = NULL;
	rc = json_object_size(changed)
		     ? write_columns(w, cur, changed, visible || w->action,
				     resource_rows_get(ctx->rows, res, w->id) == cur, &after)
		     : load(ctx, res, w->id, true, &after);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_ERROR : rc;
	if (res->after_write) {
		rc = res->after_write(ctx, cur, after);
		if (rc != RC_OK)
			return rc;
	}
	if (visible || w->action) {
		const char *name = w->action ? w->action->name : "update";
		const char *verb = !w->action ? "updated"
				   : w->action->event ? w->action->event : w->action->name;
		rc = record_change(w, name, verb, cur, after);
		if (rc != RC_OK)
			return rc;
	}
	return reply(w, after);
}

int resource_update(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		    const json_t *patch, int64_t expect_version, json_t **out, json_t **errors)
{
	if (res->read_only)
		return RC_NOT_FOUND;
	json_t *errs = own(ctx, json_array());
	if (!errs)
		return RC_ERROR;
	if (resource_validate_as(res, patch, false, role_of(ctx), ctx->trusted, errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	struct resource_ctx c = *ctx;
	c.action = NULL;
	struct write w = { .res = res, .body = patch, .id = id, .expect_version = expect_version };
	int rc = run_write(&c, &w, update_txn, out, errors);
	ctx->now = c.now;
	return rc;
}

int resource_act(struct resource_ctx *ctx, const struct resource *res,
		 const struct resource_action *action, int64_t id, const json_t *body,
		 int64_t expect_version, json_t **out, json_t **errors)
{
	json_t *errs = own(ctx, json_array());
	json_t *empty = own(ctx, json_object());
	if (!errs || !empty || res->read_only)
		return res->read_only ? RC_NOT_FOUND : RC_ERROR;
	if (!body || json_is_null(body))
		body = empty;
	if (!action->body && !(json_is_object(body) && json_object_size(body) == 0)) {
		resource_error(errs, "", arena_printf(ctx->arena, "%s takes no body (or {})",
						      action->name));
		*errors = errs;
		return RC_INVALID;
	}
	if (action->body &&
	    resource_validate_fields(action->body, action->name, body, errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	struct write w = { .res = res, .body = body, .id = id, .expect_version = expect_version,
			   .action = action };
	return run_write(ctx, &w, update_txn, out, errors);
}

static int archive_txn(struct db *db, void *arg)
{
	struct write *w = arg;
	int rc = attempt(w);
	if (rc != RC_OK)
		return rc;
	json_t *cur;
	rc = load_current(w, &cur);
	if (rc != RC_OK)
		return rc;
	if (w->res->owner_field && !owner_ok(w->ctx, w->res, json_object_get(cur, w->res->owner_field)))
		return forbidden_owner(w);
	bool archived = !json_is_null(json_object_get(cur, "archived_at"));
	if (archived == w->archive)
		return reply(w, cur);	/* already so: nothing to do */
	if (w->res->archive_check) {
		rc = w->res->archive_check(w->ctx, cur, w->archive, w->errors);
		if (rc != RC_OK)
			return rc;
	}
	char now[TIME_RFC3339_LEN];
	time_format(w->ctx->now, now);
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "UPDATE %s SET archived_at = ?, updated_at = ?, version = version + 1"
		 " WHERE id = ? AND version = ?",
		 w->res->table);
	int64_t version = json_integer_value(json_object_get(cur, "version"));
	if (w->archive)
		rc = db_run(db, NULL, sql, "ssii", now, now, w->id, version);
	else
		rc = db_run(db, NULL, sql, "nsii", now, w->id, version);
	if (rc != RC_DONE)
		return rc;
	if (db_changes(db) != 1)
		return RC_STALE;
	json_t *after;
	rc = load(w->ctx, w->res, w->id, true, &after);
	if (rc != RC_OK)
		return rc == RC_NOT_FOUND ? RC_ERROR : rc;
	if (w->res->after_write) {
		rc = w->res->after_write(w->ctx, cur, after);
		if (rc != RC_OK)
			return rc;
	}
	rc = record_change(w, w->archive ? "archive" : "restore",
			   w->archive ? "archived" : "restored", cur, after);
	return rc == RC_OK ? reply(w, after) : rc;
}

int resource_archive(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		     int64_t expect_version, bool archive, json_t **out, json_t **errors)
{
	if (res->read_only || res->no_record_columns)
		return RC_NOT_FOUND;
	struct write w = { .res = res, .id = id, .expect_version = expect_version,
			   .archive = archive };
	return run_write(ctx, &w, archive_txn, out, errors);
}

/* Trusted writes ------------------------------------------------------------ */

int resource_create_trusted(struct resource_ctx *ctx, const struct resource *res,
			    const json_t *body, json_t **out, json_t **errors)
{
	struct resource_ctx c = *ctx;
	c.trusted = true;
	c.action = NULL;
	int rc = resource_create(&c, res, body, out, errors);
	ctx->now = c.now;
	return rc;
}

int resource_update_trusted(struct resource_ctx *ctx, const struct resource *res, int64_t id,
			    const json_t *patch, json_t **out, json_t **errors)
{
	struct resource_ctx c = *ctx;
	c.trusted = true;
	c.action = NULL;
	int rc = resource_update(&c, res, id, patch, RESOURCE_ANY_VERSION, out, errors);
	ctx->now = c.now;
	return rc;
}

int resource_act_trusted(struct resource_ctx *ctx, const struct resource *res,
			 const struct resource_action *action, int64_t id, const json_t *body,
			 json_t **out, json_t **errors)
{
	struct resource_ctx c = *ctx;
	c.trusted = true;
	int rc = resource_act(&c, res, action, id, body, RESOURCE_ANY_VERSION, out, errors);
	ctx->now = c.now;
	return rc;
}

/* Events -------------------------------------------------------------------- */

static const struct field event_fields[] = {
	{ .name = "at", .type = FT_TIME, .flags = F_READ_ONLY | F_FILTER | F_SORT,
	  .doc = "When the change was committed." },
	{ .name = "type", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1, .max = 100,
	  .doc = "What happened: ticket.created, ticket.updated, ticket.escalated, quote.sent, "
		 "quote.accepted, contract.created, …" },
	{ .name = "resource", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .max = 50, .doc = "The resource changed (tickets, quotes, …)." },
	{ .name = "record_id", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .max = INT64_MAX, .doc = "The id of the record changed." },
	{ .name = "actor_id", .type = FT_INT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .max = INT64_MAX, .doc = "The user who made the change; null for the system or a client." },
	{ .name = "actor", .type = FT_TEXT, .flags = F_READ_ONLY, .min = 1, .max = 254,
	  .doc = "Who made the change: a user's e-mail, \"system\", or the client's link." },
	{ .name = "request_id", .type = FT_TEXT, .flags = F_READ_ONLY | F_FILTER, .min = 1,
	  .max = 64, .doc = "The request that made it (X-Request-Id), if any." },
	{ .name = "data", .type = FT_JSON, .flags = F_READ_ONLY,
	  .doc = "The record as it was after the change." },
	FIELD_END
};

const struct resource event_resource = {
	.name = "events",
	.singular = "event",
	.table = "events",
	.fields = event_fields,
	.default_sort = "-id",
	.read_only = true,
	.no_record_columns = true,
	.doc = "The changes to tickets, notes, quotes and contracts, in order, each with the "
	       "record as it was after it, for integrations (and the webhooks that deliver them). "
	       "Written in the same transaction as the change.",
};
