/*
 * resource.h - the table-driven resource engine.
 *
 * Most of a PSA is records with fields. A resource is described once, as a
 * table of fields, and the engine gives every resource the same behaviour:
 * validation with field-level errors, list with filters, full-text search,
 * sorting and keyset cursor paging, get, create, JSON merge-patch update
 * with optimistic concurrency (version), archive and restore, and an audit
 * entry for every change in the same transaction. Domain code adds only
 * what is particular, as hooks.
 *
 * The engine knows no HTTP: it takes JSON and ids and returns JSON and a
 * status. The JSON name of a field is its column name, spelled once here.
 * SQL is assembled only from these constant tables; every value is bound.
 *
 * Every record has id, created_at, updated_at, version and archived_at;
 * the engine manages them and they are read-only.
 */
#ifndef SERVIO_RESOURCE_H
#define SERVIO_RESOURCE_H

#include "core/arena.h"
#include "core/result.h"
#include "resource/audit.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;
struct http_kv;
struct resource_ctx;

enum field_type {
	FT_TEXT,	/* string, length in characters between min and max */
	FT_INT,		/* integer between min and max */
	FT_MONEY,	/* integer minor units, min..max */
	FT_BOOL,
	FT_ENUM,	/* one of enum_values */
	FT_REF,		/* id of a live record of ref */
	FT_DATE,	/* "YYYY-MM-DD" */
	FT_TIME,	/* RFC 3339, stored in UTC */
	FT_EMAIL,
	FT_URL,		/* http(s) URL */
	FT_TIMEZONE,	/* IANA name, checked against the system zone database */
	FT_STRINGS,	/* array of strings, each 1..max characters, at most min items */
	FT_JSON,	/* any JSON value, stored as text; read-only records (audit) */
	FT_OBJECTS,	/* array of at most max objects, each checked against items */
	FT_QUANTITY,	/* a JSON number with at most three decimals, stored in thousandths;
			   min and max are in thousandths */
	FT__MAX
};

enum field_flag {
	F_REQUIRED = 1 << 0,	/* must be given on create, cannot be cleared */
	F_READ_ONLY = 1 << 1,	/* set by the server only */
	F_FILTER = 1 << 2,	/* list filter: name=a,b; dates/times get _before/_after */
	F_SORT = 1 << 3,	/* list sort key */
	F_WRITE_ONLY = 1 << 4,	/* accepted, never returned, not a column: a hook stores it */
	F_HIDDEN = 1 << 5,	/* a column only hooks see: never accepted, never returned */
	F_NOT_NULL = 1 << 6,	/* may be left out (a hook fills it in) but never null */
};

struct resource;

struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	int64_t min, max;
	const char *const *enum_values;	/* NULL-terminated, for FT_ENUM */
	const struct resource *ref;	/* for FT_REF */
	const char *dflt;		/* JSON text of the default on create, or NULL */
	/*
	 * For FT_OBJECTS: the fields of each item (F_REQUIRED: the item must
	 * have it; references inside items are not checked for existence).
	 */
	const struct field *items;
};

#define FIELD_TEXT(n, fl, lo, hi) { .name = n, .type = FT_TEXT, .flags = fl, .min = lo, .max = hi }
#define FIELD_INT(n, fl, lo, hi) { .name = n, .type = FT_INT, .flags = fl, .min = lo, .max = hi }
#define FIELD_MONEY(n, fl) { .name = n, .type = FT_MONEY, .flags = fl, .min = -1000000000000000, .max = 1000000000000000 }
#define FIELD_BOOL(n, fl, d) { .name = n, .type = FT_BOOL, .flags = fl, .dflt = d }
#define FIELD_ENUM(n, fl, values, d) { .name = n, .type = FT_ENUM, .flags = fl, .enum_values = values, .dflt = d }
#define FIELD_REF(n, fl, res) { .name = n, .type = FT_REF, .flags = fl, .ref = res }
#define FIELD_DATE(n, fl) { .name = n, .type = FT_DATE, .flags = fl }
#define FIELD_TIME(n, fl) { .name = n, .type = FT_TIME, .flags = fl }
#define FIELD_EMAIL(n, fl) { .name = n, .type = FT_EMAIL, .flags = fl, .max = 254 }
#define FIELD_URL(n, fl) { .name = n, .type = FT_URL, .flags = fl, .max = 2048 }
#define FIELD_TIMEZONE(n, fl) { .name = n, .type = FT_TIMEZONE, .flags = fl, .max = 64 }
#define FIELD_STRINGS(n, fl, items, len) { .name = n, .type = FT_STRINGS, .flags = fl, .min = items, .max = len }
#define FIELD_QUANTITY(n, fl, lo, hi, d) { .name = n, .type = FT_QUANTITY, .flags = fl, .min = lo, .max = hi, .dflt = d }
#define FIELD_JSON(n, fl) { .name = n, .type = FT_JSON, .flags = fl }
#define FIELD_OBJECTS(n, fl, sub, most, d) { .name = n, .type = FT_OBJECTS, .flags = fl, .items = sub, .max = most, .dflt = d }
#define FIELD_END { .name = NULL }

struct resource {
	const char *name;	/* plural, the URL segment and audit name: "companies" */
	const char *singular;	/* for messages: "company" */
	const char *table;
	const struct field *fields;
	bool searchable;	/* has a full-text index (see migrations): q= */
	const char *default_sort;	/* "name", "-created_at" */
	bool read_only;		/* list and get only (the audit log) */
	bool no_record_columns;	/* table lacks created_at/updated_at/version/archived_at */
	/*
	 * Domain rules over the whole record as it will be written (the
	 * stored record merged with the patch), run inside the write's
	 * transaction. Append {field, message} to errors; return RC_OK,
	 * RC_RETRY when a database call lost a race (the transaction is
	 * retried), or RC_ERROR for a failure of ours. May be NULL.
	 */
	int (*check)(struct resource_ctx *ctx, const json_t *record, json_t *errors);
	/*
	 * Server-set fields and rules that need the stored record: runs in
	 * the write's transaction before check, with the stored record (NULL
	 * on create) and the record as it will be written, which the hook may
	 * change (read-only fields included: numbers, computed clocks). The
	 * engine then writes every column that differs from the stored one.
	 * Same results as check. May be NULL.
	 */
	int (*prepare)(struct resource_ctx *ctx, const json_t *cur, json_t *rec, json_t *errors);
	/*
	 * Side effects in the same transaction once the row is written
	 * (history rows, counters): before is NULL on create. Returns RC_OK,
	 * RC_RETRY or RC_ERROR. May be NULL.
	 */
	int (*after_write)(struct resource_ctx *ctx, const json_t *before, const json_t *after);
	/*
	 * A child resource's records belong to one record of parent (the
	 * notes of a ticket): parent_field holds its id. Every operation then
	 * needs ctx->parent_id, answers RC_NOT_FOUND for a missing parent or a
	 * record of another parent, and create sets parent_field itself.
	 */
	const struct resource *parent;
	const char *parent_field;
	/* Adds computed, read-only members to a record as it is read. May be NULL. */
	void (*present)(json_t *rec);
};

/* Called by the engine, so callers share one context. */
struct resource_ctx {
	struct db *db;
	struct arena *arena;
	const struct audit_actor *actor;
	int64_t parent_id;	/* for child resources, else 0 */
	int64_t now;		/* set by the engine when a write starts: created_at, updated_at */
	const char *hook_note;	/* from a prepare hook to its after_write hook (arena) */
	/*
	 * Why the caller writes, when it is an action rather than an edit
	 * ("escalation", "merge"), and its detail (JSON text): hooks record it.
	 */
	const char *action;
	const char *action_detail;
};

#define RESOURCE_ANY_VERSION (-1)

/* Appends {"field": field, "message": message} to errors. */
void resource_error(json_t *errors, const char *field, const char *message);

/*
 * A quantity as thousandths: 1.5 -> 1500. Returns 0, or -1 when v is not a
 * number or has more than three decimals.
 */
int resource_quantity(const json_t *v, int64_t *thousandths);
/* Thousandths as a JSON number: 1500 -> 1.5, 2000 -> 2 (an integer). */
json_t *resource_quantity_json(int64_t thousandths);

/* Looks a field up by JSON name; NULL when the resource has none. */
const struct field *resource_field(const struct resource *res, const char *name);

/*
 * Validates a body against the field table without touching the database
 * (types, lengths, enums, formats, unknown and read-only fields, required
 * ones when creating, clearing required ones when patching). Appends
 * {field, message} objects to errors. Returns the number of errors.
 */
int resource_validate(const struct resource *res, const json_t *body, bool create,
		      json_t *errors);

/* The list query: filters, search, sort and page, parsed from a query string. */
struct resource_filter {
	const struct field *field;	/* NULL for the built-in columns */
	const char *column;
	/* FILTER_NONE: a reference that is null ("assignee_id=none"), no values */
	enum { FILTER_IN, FILTER_BEFORE, FILTER_AFTER, FILTER_NONE } op;
	const char **values;		/* decoded, validated */
	int nvalues;
};

struct resource_query {
	struct resource_filter filters[24];
	int nfilters;
	const char *q;			/* full-text, or NULL */
	const char *sort_column;
	const struct field *sort_field;	/* NULL for id / created_at / updated_at */
	bool sort_desc;
	int limit;
	enum { ARCHIVED_NO, ARCHIVED_ONLY, ARCHIVED_ALL } archived;
	bool has_cursor;
	const char *cursor_value;	/* NULL when the sort value was NULL */
	int64_t cursor_id;
};

/*
 * Parses list parameters (already percent-decoded pairs). Unknown names,
 * bad values and foreign cursors are refused: returns 0, or -1 with a
 * message naming the problem in *err (arena string).
 */
int resource_query_parse(const struct resource *res, const struct http_kv *pairs, int n,
			 struct resource_query *out, struct arena *arena, const char **err);

/* Cursors: opaque base64url of the sort key, the last row's sort value and id. */
char *resource_cursor_encode(struct arena *arena, const char *sort_key, const char *value,
			     int64_t id);
/* Returns 0 and sets the outputs (arena strings), or -1 for a malformed cursor. */
int resource_cursor_decode(struct arena *arena, const char *cursor, const char **sort_key,
			   const char **value, int64_t *id);

/*
 * Operations. Each returns an enum result; *out (a new JSON
 * reference the caller owns) is written only on RC_OK, *errors (new
 * reference) only on RC_INVALID or RC_CONFLICT.
 *
 * A write runs in its own transaction, or inside the caller's when one is
 * open (db_txn): then it may also return RC_RETRY, which the caller's
 * function returns so that db_txn tries the whole again, and any other
 * result but RC_OK means the caller must roll back.
 */
int resource_get(struct resource_ctx *ctx, const struct resource *res, int64_t id, json_t **out);
int resource_list(struct resource_ctx *ctx, const struct resource *res,
		  const struct resource_query *q, json_t **out, const char **next_cursor);
int resource_create(struct resource_ctx *ctx, const struct resource *res, const json_t *body,
		    json_t **out, json_t **errors);
/* expect_version: the If-Match version, or RESOURCE_ANY_VERSION. */
int resource_update(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		    const json_t *patch, int64_t expect_version, json_t **out, json_t **errors);
int resource_archive(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		     int64_t expect_version, bool archive, json_t **out);

#endif
