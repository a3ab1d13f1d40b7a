/*
 * engine.c - list, get, create, update, archive for any resource table.
 *
 * SQL is assembled from the constant names in the resource tables and
 * every value is bound. Writes run in one transaction (db_txn, retried on
 * contention) together with their audit entry. Records are read back after
 * a write so the reply is exactly what a GET returns.
 */
#include "resource.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX (64 * 1024)
/* matches beyond which walking the list order beats sorting them (bench/run.sh) */
#define FTS_COMMON 2000

static bool int_typed(enum field_type t)
{
	return t == FT_INT || t == FT_MONEY || t == FT_REF || t == FT_BOOL || t == FT_QUANTITY;
}

static bool is_column(const struct field *f)
{
	return !(f->flags & F_WRITE_ONLY);
}

/* "id, created_at, …, field1, field2" */
static void select_list(struct buf *sql, const struct resource *res)
{
	buf_addstr(sql, "id");
	if (!res->no_record_columns)
		buf_addstr(sql, ", created_at, updated_at, version, archived_at");
	for (const struct field *f = res->fields; f->name; f++)
		if (is_column(f))
			buf_addf(sql, ", %s", f->name);
}

/* Turns the current row (in select_list order) into a JSON object. */
static json_t *row_to_json(struct db_stmt *st, const struct resource *res)
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
		if (!is_column(f))
			continue;
		int c = col++;
		if (f->flags & F_HIDDEN)
			continue;
		json_t *v;
		if (db_col_null(st, c)) {
			v = json_null();
		} else if (f->type == FT_BOOL) {
			v = json_boolean(db_col_int(st, c));
		} else if (f->type == FT_QUANTITY) {
			v = resource_quantity_json(db_col_int(st, c));
		} else if (int_typed(f->type)) {
			v = json_integer(db_col_int(st, c));
		} else if (f->type == FT_STRINGS || f->type == FT_JSON || f->type == FT_OBJECTS) {
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
	if (res->present)
		res->present(obj);
	return obj;
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
	case FT_OBJECTS: {
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

static int load(struct resource_ctx *ctx, const struct resource *res, int64_t id, json_t **out)
{
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	buf_addstr(&sql, "SELECT ");
	select_list(&sql, res);
	buf_addf(&sql, " FROM %s WHERE id = ?", res->table);
	if (sql.failed)
		return RC_ERROR;
	struct db_stmt *st = db_prepare(ctx->db, buf_str(&sql));
	buf_release(&sql);
	if (!st)
		return RC_ERROR;
	db_bind_int(st, 1, id);
	int rc = db_step(st);
	if (rc == RC_DONE) {
		db_done(st);
		return RC_NOT_FOUND;
	}
	if (rc != RC_ROW) {
		db_done(st);
		return rc == RC_RETRY ? RC_RETRY : RC_ERROR;
	}
	json_t *obj = row_to_json(st, res);
	db_done(st);
	if (!obj)
		return RC_ERROR;
	*out = obj;
	return RC_OK;
}

/* A child resource's parent must exist: RC_OK, RC_NOT_FOUND, or an error. */
static int parent_exists(struct resource_ctx *ctx, const struct resource *res)
{
	if (!res->parent)
		return RC_OK;
	if (ctx->parent_id < 1)
		return RC_NOT_FOUND;
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE id = ?", res->parent->table);
	struct db_stmt *st;
	int rc = db_run(ctx->db, &st, sql, "i", ctx->parent_id);
	if (rc == RC_ROW) {
		db_done(st);
		return RC_OK;
	}
	return rc == RC_DONE ? RC_NOT_FOUND : rc == RC_RETRY ? RC_RETRY : RC_ERROR;
}

/* Loads a record, which for a child resource must belong to ctx->parent_id. */
static int load_owned(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		      json_t **out)
{
	int rc = parent_exists(ctx, res);
	if (rc != RC_OK)
		return rc;
	rc = load(ctx, res, id, out);
	if (rc == RC_OK && res->parent &&
	    json_integer_value(json_object_get(*out, res->parent_field)) != ctx->parent_id) {
		json_decref(*out);
		*out = NULL;
		return RC_NOT_FOUND;
	}
	return rc;
}

int resource_get(struct resource_ctx *ctx, const struct resource *res, int64_t id, json_t **out)
{
	int rc = load_owned(ctx, res, id, out);
	return rc == RC_RETRY ? RC_ERROR : rc;
}

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

int resource_list(struct resource_ctx *ctx, const struct resource *res,
		  const struct resource_query *q, json_t **out, const char **next_cursor)
{
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	const char *order = sort_expr(ctx->arena, q);
	bool by_id = strcmp(q->sort_column, "id") == 0;
	bool sort_int = q->sort_field ? int_typed(q->sort_field->type) ||
						q->sort_field->type == FT_ENUM
				      : by_id;
	char *fts = NULL;
	if (!order)
		return RC_ERROR;
	int prc = parent_exists(ctx, res);
	if (prc != RC_OK) {
		buf_release(&sql);
		return prc == RC_RETRY ? RC_ERROR : prc;
	}

	buf_addstr(&sql, "SELECT ");
	select_list(&sql, res);
	if (!by_id)
		buf_addf(&sql, ", %s", order);
	buf_addf(&sql, " FROM %s WHERE 1 = 1", res->table);
	if (!res->no_record_columns) {
		if (q->archived == ARCHIVED_NO)
			buf_addstr(&sql, " AND archived_at IS NULL");
		else if (q->archived == ARCHIVED_ONLY)
			buf_addstr(&sql, " AND archived_at IS NOT NULL");
	}
	if (res->parent)
		buf_addf(&sql, " AND %s = ?", res->parent_field);
	for (int i = 0; i < q->nfilters; i++) {
		const struct resource_filter *flt = &q->filters[i];
		if (flt->op == FILTER_NONE) {
			buf_addf(&sql, " AND %s IS NULL", flt->column);
		} else if (flt->op == FILTER_BEFORE) {
			buf_addf(&sql, " AND %s < ?", flt->column);
		} else if (flt->op == FILTER_AFTER) {
			buf_addf(&sql, " AND %s > ?", flt->column);
		} else if (flt->nvalues == 1) {
			buf_addf(&sql, " AND %s = ?", flt->column);
		} else {
			buf_addf(&sql, " AND %s IN (?", flt->column);
			for (int v = 1; v < flt->nvalues; v++)
				buf_addstr(&sql, ", ?");
			buf_addch(&sql, ')');
		}
	}
	if (q->q) {
		fts = db_fts_query(ctx->db, q->q);
		if (!fts) {
			/* a search with no words in it matches nothing */
			buf_release(&sql);
			*out = json_array();
			*next_cursor = NULL;
			return *out ? RC_OK : RC_ERROR;
		}
		buf_addstr(&sql, " AND ");
		/* a common word: walk the sort order rather than sort every match */
		if (db_fts_common(ctx->db, res->table, fts, FTS_COMMON))
			db_fts_where_common(ctx->db, res->table, &sql);
		else
			db_fts_where(ctx->db, res->table, &sql);
	}
	const char *cmp = q->sort_desc ? "<" : ">";
	if (q->has_cursor) {
		if (by_id)
			buf_addf(&sql, " AND id %s ?", cmp);
		else
			buf_addf(&sql, " AND (%s %s ? OR (%s = ? AND id %s ?))", order, cmp, order,
				 cmp);
	}
	const char *dir = q->sort_desc ? "DESC" : "ASC";
	if (by_id)
		buf_addf(&sql, " ORDER BY id %s LIMIT ?", dir);
	else
		buf_addf(&sql, " ORDER BY %s %s, id %s LIMIT ?", order, dir, dir);
	if (sql.failed) {
		xfree(fts);
		return RC_ERROR;
	}

	struct db_stmt *st = db_prepare(ctx->db, buf_str(&sql));
	buf_release(&sql);
	if (!st) {
		xfree(fts);
		return RC_ERROR;
	}
	int idx = 1;
	if (res->parent)
		db_bind_int(st, idx++, ctx->parent_id);
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
	if (fts)
		db_bind_text(st, idx++, fts);
	xfree(fts);
	if (q->has_cursor) {
		if (!by_id) {
			for (int k = 0; k < 2; k++) {
				if (sort_int)
					db_bind_int(st, idx++,
						    strtoll(q->cursor_value ? q->cursor_value : "0",
							    NULL, 10));
				else
					db_bind_text(st, idx++,
						     q->cursor_value ? q->cursor_value : "");
			}
		}
		db_bind_int(st, idx++, q->cursor_id);
	}
	db_bind_int(st, idx++, q->limit + 1);

	json_t *data = json_array();
	int rows = 0, rc;
	char *last_value = NULL;
	int64_t last_id = 0;
	*next_cursor = NULL;
	while ((rc = db_step(st)) == RC_ROW) {
		if (rows == q->limit) {
			const char *sk = q->sort_desc
				? arena_printf(ctx->arena, "-%s", q->sort_column)
				: q->sort_column;
			*next_cursor = resource_cursor_encode(ctx->arena, sk,
							      by_id ? NULL : last_value, last_id);
			break;
		}
		json_t *obj = row_to_json(st, res);
		if (!obj || json_array_append_new(data, obj) < 0) {
			rc = RC_ERROR;
			break;
		}
		last_id = db_col_int(st, 0);
		if (!by_id) {
			/* the sort value is the extra last column (counted once a row exists) */
			const char *v = db_col_text(st, db_col_count(st) - 1);
			last_value = arena_strdup(ctx->arena, v ? v : "");
		}
		rows++;
	}
	db_done(st);
	if (rc != RC_ROW && rc != RC_DONE) {
		json_decref(data);
		return RC_ERROR;
	}
	*out = data;
	return RC_OK;
}

/* Every reference in body must name a live record of its resource. */
static int check_refs(struct resource_ctx *ctx, const struct resource *res, const json_t *body,
		      json_t *errors)
{
	for (const struct field *f = res->fields; f->name; f++) {
		if (f->type != FT_REF)
			continue;
		json_t *v = json_object_get(body, f->name);
		if (!v || !json_is_integer(v))
			continue;
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT archived_at FROM %s WHERE id = ?",
			 f->ref->table);
		struct db_stmt *st;
		int rc = db_run(ctx->db, &st, sql, "i", (int64_t)json_integer_value(v));
		char msg[160];
		if (rc == RC_DONE) {
			snprintf(msg, sizeof(msg), "refers to no %s with id %lld", f->ref->singular,
				 (long long)json_integer_value(v));
			resource_error(errors, f->name, msg);
		} else if (rc == RC_ROW) {
			bool archived = !db_col_null(st, 0);
			db_done(st);
			if (archived) {
				snprintf(msg, sizeof(msg), "refers to an archived %s",
					 f->ref->singular);
				resource_error(errors, f->name, msg);
			}
		} else {
			return rc == RC_RETRY ? RC_RETRY : RC_ERROR;
		}
	}
	return RC_OK;
}

struct write {
	struct resource_ctx *ctx;
	const struct resource *res;
	const json_t *body;
	int64_t id;
	int64_t expect_version;
	bool archive;
	/* results */
	json_t *out;
	json_t *errors;
	int status;
};

static void write_reset(struct write *w)
{
	json_decref(w->out);
	w->out = NULL;
	json_array_clear(w->errors);
	w->status = RC_OK;
}

/* Ends a transaction body: RC_OK commits; any status but RC_OK rolls back. */
static int finish(struct write *w, int status)
{
	if (status == RC_RETRY)
		return RC_RETRY;
	w->status = status;
	return status == RC_OK ? RC_OK : RC_ERROR;
}

static json_t *without_write_only(const struct resource *res, const json_t *rec)
{
	json_t *copy = json_deep_copy(rec);
	for (const struct field *f = res->fields; copy && f->name; f++)
		if (f->flags & F_WRITE_ONLY)
			json_object_del(copy, f->name);
	return copy;
}

static int create_txn(struct db *db, void *arg)
{
	struct write *w = arg;
	const struct resource *res = w->res;
	write_reset(w);

	/* the record as it will be: the body with defaults filled in */
	json_t *rec = json_deep_copy(w->body);
	if (!rec)
		return finish(w, RC_ERROR);
	for (const struct field *f = res->fields; f->name; f++) {
		if (f->dflt && !json_object_get(rec, f->name))
			json_object_set_new(rec, f->name, json_loads(f->dflt, JSON_DECODE_ANY, NULL));
	}
	int rc = parent_exists(w->ctx, res);
	if (rc != RC_OK) {
		json_decref(rec);
		return finish(w, rc);
	}
	if (res->parent)
		json_object_set_new(rec, res->parent_field, json_integer(w->ctx->parent_id));
	rc = check_refs(w->ctx, res, rec, w->errors);
	if (rc == RC_OK && !json_array_size(w->errors) && res->prepare)
		rc = res->prepare(w->ctx, NULL, rec, w->errors);
	if (rc == RC_OK && !json_array_size(w->errors) && res->check)
		rc = res->check(w->ctx, rec, w->errors);
	if (rc != RC_OK || json_array_size(w->errors)) {
		json_decref(rec);
		return finish(w, rc != RC_OK ? rc : RC_INVALID);
	}

	char now[TIME_RFC3339_LEN];
	time_format(w->ctx->now, now);
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	buf_addf(&sql, "INSERT INTO %s (created_at, updated_at, version", res->table);
	for (const struct field *f = res->fields; f->name; f++)
		if (is_column(f) && json_object_get(rec, f->name))
			buf_addf(&sql, ", %s", f->name);
	buf_addstr(&sql, ") VALUES (?, ?, 1");
	for (const struct field *f = res->fields; f->name; f++)
		if (is_column(f) && json_object_get(rec, f->name))
			buf_addstr(&sql, ", ?");
	buf_addstr(&sql, ") RETURNING id");
	struct db_stmt *st = sql.failed ? NULL : db_prepare(db, buf_str(&sql));
	buf_release(&sql);
	if (!st) {
		json_decref(rec);
		return finish(w, RC_ERROR);
	}
	int idx = 1;
	db_bind_text(st, idx++, now);
	db_bind_text(st, idx++, now);
	for (const struct field *f = res->fields; f->name; f++) {
		json_t *v = json_object_get(rec, f->name);
		if (is_column(f) && v)
			bind_value(st, idx++, f, v);
	}
	json_decref(rec);
	rc = db_step(st);
	int64_t id = rc == RC_ROW ? db_col_int(st, 0) : 0;
	db_done(st);
	if (rc == RC_CONSTRAINT) {
		resource_error(w->errors, "", "conflicts with an existing record");
		return finish(w, RC_CONFLICT);
	}
	if (rc != RC_ROW)
		return finish(w, rc == RC_RETRY ? RC_RETRY : RC_ERROR);

	rc = load(w->ctx, res, id, &w->out);
	if (rc != RC_OK)
		return finish(w, rc == RC_RETRY ? RC_RETRY : RC_ERROR);
	if (res->after_write) {
		rc = res->after_write(w->ctx, NULL, w->out);
		if (rc != RC_OK)
			return finish(w, rc);
	}
	json_t *after = without_write_only(res, w->out);
	rc = audit_write(db, w->ctx->actor, "create", res->name, id, NULL, after);
	json_decref(after);
	w->id = id;
	return finish(w, rc == RC_OK ? RC_OK : rc);
}


static int run_write(struct resource_ctx *ctx, struct write *w, int (*fn)(struct db *, void *),
		     json_t **out, json_t **errors)
{
	w->errors = json_array();
	if (!w->errors)
		return RC_ERROR;
	ctx->now = time_now();
	ctx->hook_note = NULL;
	/*
	 * Inside a caller's transaction (an action that writes several
	 * records at once) the write joins it; a lost race is then the
	 * caller's to retry, whole.
	 */
	bool nested = db_in_txn(ctx->db);
	int rc = nested ? fn(ctx->db, w) : db_txn(ctx->db, fn, w);
	if (nested && rc == RC_RETRY) {
		json_decref(w->out);
		json_decref(w->errors);
		return RC_RETRY;
	}
	if (rc == RC_OK && w->status == RC_OK) {
		*out = w->out;
		json_decref(w->errors);
		return RC_OK;
	}
	json_decref(w->out);
	int status = rc == RC_OK || rc == RC_ERROR ? w->status : RC_ERROR;
	if (status == RC_OK)
		status = RC_ERROR;	/* the commit failed */
	if ((status == RC_INVALID || status == RC_CONFLICT) && errors)
		*errors = w->errors;
	else
		json_decref(w->errors);
	return status;
}

int resource_create(struct resource_ctx *ctx, const struct resource *res, const json_t *body,
		    json_t **out, json_t **errors)
{
	json_t *errs = json_array();
	if (!errs)
		return RC_ERROR;
	if (resource_validate(res, body, true, errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	json_decref(errs);
	struct write w = { .ctx = ctx, .res = res, .body = body };
	return run_write(ctx, &w, create_txn, out, errors);
}

/* Loads the current record for a write and checks the expected version. */
static int load_current(struct write *w, json_t **cur)
{
	int rc = load_owned(w->ctx, w->res, w->id, cur);
	if (rc != RC_OK)
		return rc;
	if (w->expect_version != RESOURCE_ANY_VERSION && !w->res->no_record_columns &&
	    json_integer_value(json_object_get(*cur, "version")) != w->expect_version) {
		json_decref(*cur);
		*cur = NULL;
		return RC_STALE;
	}
	return RC_OK;
}

static int update_txn(struct db *db, void *arg)
{
	struct write *w = arg;
	const struct resource *res = w->res;
	write_reset(w);

	json_t *cur = NULL;
	int rc = load_current(w, &cur);
	if (rc != RC_OK)
		return finish(w, rc);

	/* merge, and keep only what changes */
	json_t *rec = json_deep_copy(cur);
	json_t *changed = json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)w->body, key, v) {
		json_t *old = json_object_get(cur, key);
		if (!old || !json_equal(old, v)) {
			json_object_set(changed, key, v);
			json_object_set(rec, key, v);
		}
	}
	/* an action (ctx->action) is its hooks' doing: they run on an empty patch too */
	if (json_object_size(changed) == 0 && !w->ctx->action) {
		json_decref(rec);
		json_decref(changed);
		w->out = cur;
		return finish(w, RC_OK);
	}
	rc = check_refs(w->ctx, res, changed, w->errors);
	if (rc == RC_OK && !json_array_size(w->errors) && res->prepare)
		rc = res->prepare(w->ctx, cur, rec, w->errors);
	if (rc == RC_OK && !json_array_size(w->errors) && res->check)
		rc = res->check(w->ctx, rec, w->errors);
	if (rc != RC_OK || json_array_size(w->errors)) {
		json_decref(rec);
		json_decref(cur);
		json_decref(changed);
		return finish(w, rc != RC_OK ? rc : RC_INVALID);
	}
	/* what is written: every column the patch or the hook changed */
	json_object_clear(changed);
	for (const struct field *f = res->fields; f->name; f++) {
		json_t *nv = json_object_get(rec, f->name);
		json_t *old = json_object_get(cur, f->name);
		if (is_column(f) && nv && !(old && json_equal(old, nv)))
			json_object_set(changed, f->name, nv);
		else if (!is_column(f) && nv && json_object_get(w->body, f->name))
			json_object_set(changed, f->name, nv);	/* write-only: for the hooks */
	}
	json_decref(rec);
	if (json_object_size(changed) == 0) {
		json_decref(changed);
		w->out = cur;
		return finish(w, RC_OK);
	}

	char now[TIME_RFC3339_LEN];
	time_format(w->ctx->now, now);
	struct buf sql;
	buf_init(&sql, SQL_MAX);
	buf_addf(&sql, "UPDATE %s SET updated_at = ?, version = version + 1", res->table);
	for (const struct field *f = res->fields; f->name; f++)
		if (is_column(f) && json_object_get(changed, f->name))
			buf_addf(&sql, ", %s = ?", f->name);
	buf_addstr(&sql, " WHERE id = ? AND version = ?");
	struct db_stmt *st = sql.failed ? NULL : db_prepare(db, buf_str(&sql));
	buf_release(&sql);
	if (!st) {
		json_decref(cur);
		json_decref(changed);
		return finish(w, RC_ERROR);
	}
	int idx = 1;
	db_bind_text(st, idx++, now);
	for (const struct field *f = res->fields; f->name; f++) {
		json_t *val = json_object_get(changed, f->name);
		if (is_column(f) && val)
			bind_value(st, idx++, f, val);
	}
	json_decref(changed);
	db_bind_int(st, idx++, w->id);
	db_bind_int(st, idx++, json_integer_value(json_object_get(cur, "version")));
	rc = db_step(st);
	db_done(st);
	if (rc == RC_CONSTRAINT) {
		json_decref(cur);
		resource_error(w->errors, "", "conflicts with an existing record");
		return finish(w, RC_CONFLICT);
	}
	if (rc != RC_DONE) {
		json_decref(cur);
		return finish(w, rc == RC_RETRY ? RC_RETRY : RC_ERROR);
	}
	if (db_changes(db) != 1) {
		json_decref(cur);
		return finish(w, RC_STALE);
	}
	rc = load(w->ctx, res, w->id, &w->out);
	if (rc != RC_OK) {
		json_decref(cur);
		return finish(w, rc == RC_RETRY ? RC_RETRY : RC_ERROR);
	}
	if (res->after_write) {
		rc = res->after_write(w->ctx, cur, w->out);
		if (rc != RC_OK) {
			json_decref(cur);
			return finish(w, rc);
		}
	}
	json_t *before = without_write_only(res, cur);
	json_t *after = without_write_only(res, w->out);
	rc = audit_write(db, w->ctx->actor, "update", res->name, w->id, before, after);
	json_decref(before);
	json_decref(after);
	json_decref(cur);
	return finish(w, rc == RC_OK ? RC_OK : rc);
}

int resource_update(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		    const json_t *patch, int64_t expect_version, json_t **out, json_t **errors)
{
	if (res->read_only)
		return RC_NOT_FOUND;
	json_t *errs = json_array();
	if (!errs)
		return RC_ERROR;
	if (resource_validate(res, patch, false, errs)) {
		*errors = errs;
		return RC_INVALID;
	}
	json_decref(errs);
	struct write w = { .ctx = ctx, .res = res, .body = patch, .id = id,
			   .expect_version = expect_version };
	return run_write(ctx, &w, update_txn, out, errors);
}

static int archive_txn(struct db *db, void *arg)
{
	struct write *w = arg;
	write_reset(w);
	json_t *cur = NULL;
	int rc = load_current(w, &cur);
	if (rc != RC_OK)
		return finish(w, rc);
	bool archived = !json_is_null(json_object_get(cur, "archived_at"));
	if (archived == w->archive) {
		w->out = cur;	/* already so: nothing to do */
		return finish(w, RC_OK);
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
	if (rc != RC_DONE || db_changes(db) != 1) {
		json_decref(cur);
		return finish(w, rc == RC_RETRY ? RC_RETRY : rc == RC_DONE ? RC_STALE : RC_ERROR);
	}
	rc = load(w->ctx, w->res, w->id, &w->out);
	if (rc != RC_OK) {
		json_decref(cur);
		return finish(w, rc == RC_RETRY ? RC_RETRY : RC_ERROR);
	}
	json_t *before = without_write_only(w->res, cur);
	json_t *after = without_write_only(w->res, w->out);
	rc = audit_write(db, w->ctx->actor, w->archive ? "archive" : "restore", w->res->name,
			 w->id, before, after);
	json_decref(before);
	json_decref(after);
	json_decref(cur);
	return finish(w, rc == RC_OK ? RC_OK : rc);
}

int resource_archive(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		     int64_t expect_version, bool archive, json_t **out)
{
	if (res->read_only || res->no_record_columns)
		return RC_NOT_FOUND;
	struct write w = { .ctx = ctx, .res = res, .id = id, .expect_version = expect_version,
			   .archive = archive };
	return run_write(ctx, &w, archive_txn, out, NULL);
}
