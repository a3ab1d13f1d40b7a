/*
 * resource.h - the table-driven resource engine.
 *
 * Most of a PSA is records with fields. A resource is described once, as a
 * table of fields, and the engine gives every resource the same behaviour:
 * validation with field-level errors, list with filters, full-text search,
 * sorting and keyset cursor paging, get, create, JSON merge-patch update
 * with optimistic concurrency (version), archive and restore, actions
 * (send, escalate: POST /{resource}/{id}/{action}), an audit entry and an
 * event for every change in the same transaction. Domain code adds only
 * what is particular, as hooks and action functions.
 *
 * Who may see and change what is declared here too and enforced by the
 * engine on every operation:
 *
 *   - row scoping: a resource says how its rows belong to a client company
 *     (company_field, or company_via a reference); a caller with a scope
 *     (ctx->scope_company, the client portal) sees and touches only that
 *     company's rows, and may refer only to records of that company;
 *   - same-company references (F_SAME_COMPANY): the contact of a ticket is
 *     one of the ticket's company's contacts, for every caller;
 *   - field masks by role (hidden_from, read_only_for): a technician never
 *     reads, filters or sorts by a price, nor writes one;
 *   - own rows (owner_field): a technician logs and edits only their own
 *     time.
 *
 * The engine knows no HTTP: it takes JSON and ids and returns JSON and a
 * result (core/result.h). The JSON name of a field is its column name,
 * spelled once here. SQL is assembled only from these constant tables;
 * every value is bound.
 *
 * Every record has id, created_at, updated_at, version and archived_at;
 * the engine manages them and they are read-only.
 *
 * Ownership: every json_t the engine hands out (*out, *errors) belongs to
 * ctx->arena and lives until the arena is released; callers never decref
 * them. Values passed in (bodies, patches) are borrowed.
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
	FT_TIMEZONE,	/* IANA name, as the calendar library knows them */
	FT_STRINGS,	/* array of strings, each 1..max characters, at most min items */
	FT_JSON,	/* any JSON value, stored as text; read-only records (audit) */
	FT_OBJECTS,	/* array of at most max objects, each checked against items */
	FT_QUANTITY,	/* a JSON number with at most three decimals, stored in thousandths;
			   min and max are in thousandths */
	FT_OBJECT,	/* one object whose members are items: only for F_COMPUTED members */
	FT_IDS,		/* array of at most max distinct ids of ref (not checked for existence) */
	FT__MAX
};

enum field_flag {
	F_REQUIRED = 1 << 0,	/* must be given on create, cannot be cleared */
	F_READ_ONLY = 1 << 1,	/* set by the server only (or by a trusted write) */
	/*
	 * list filter: name=a,b; dates/times get _before/_after; FT_STRINGS:
	 * records holding any of the items (compared in ASCII lower case:
	 * keep such items in lower case)
	 */
	F_FILTER = 1 << 2,
	F_SORT = 1 << 3,	/* list sort key */
	F_WRITE_ONLY = 1 << 4,	/* accepted, never returned, not a column: a hook stores it */
	F_HIDDEN = 1 << 5,	/* a column only the server sees: never accepted, never returned */
	F_NOT_NULL = 1 << 6,	/* may be left out (a hook fills it in) but never null */
	/* FT_REF: the record referred to belongs to this record's company */
	F_SAME_COMPANY = 1 << 7,
	/* not a column: the present hook adds it to every record read (documented here) */
	F_COMPUTED = 1 << 8,
	/*
	 * with F_READ_ONLY: a column the server keeps up to date beside the
	 * record's content (a ticket's last activity); a trusted write of such
	 * and F_HIDDEN columns alone is bookkeeping: no new version, no hooks,
	 * no audit
	 */
	F_KEPT = 1 << 9,
};

struct resource;
struct resource_row;
struct buf;

struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	int64_t min, max;
	const char *const *enum_values;	/* NULL-terminated, for FT_ENUM */
	const struct resource *ref;	/* for FT_REF */
	const char *dflt;		/* JSON text of the default on create, or NULL */
	/*
	 * For FT_OBJECTS (and FT_OBJECT): the fields of each item (F_REQUIRED:
	 * the item must have it; references inside items are not checked for
	 * existence).
	 */
	const struct field *items;
	/*
	 * Role masks (the role bits of auth/auth.h; the engine only ANDs them
	 * with the caller's role, ctx->actor->role): hidden_from roles never
	 * see the field (in records, filters or sort keys) nor write it;
	 * read_only_for roles see it but may not write it.
	 */
	unsigned hidden_from;
	unsigned read_only_for;
	/* What the field means, for the API description; may be NULL. */
	const char *doc;
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
#define FIELD_IDS(n, fl, res, most) { .name = n, .type = FT_IDS, .flags = fl, .ref = res, .max = most, .dflt = "[]" }
#define FIELD_END { .name = NULL }

/* A status change a PATCH (or an action) may make: from one status to any of to. */
struct resource_transition {
	const char *from;
	const char *const to[12];	/* NULL-terminated */
};

enum action_flag {
	/* If-Match may be left out (the action checks the state it needs itself) */
	ACTION_IF_MATCH_OPTIONAL = 1 << 0,
	/* the reply is a record the action made (ctx->reply): 201 with its Location */
	ACTION_CREATES = 1 << 1,
	/* the reply holds a secret (a link's token): never stored for Idempotency-Key */
	ACTION_SECRET_REPLY = 1 << 2,
};

/*
 * A verb that is not a field edit (send, accept, escalate, merge): a row
 * of the resource's action table. The engine gives it, when roles is not
 * 0, the route POST /{resource}/{id}/{name}; decodes the body against body
 * with field-level 422s; checks If-Match, the starting status and the
 * caller's scope; and runs apply inside the write's transaction (retried
 * on contention) followed by the resource's own hooks, the write of what
 * changed, the audit entry and the event "<singular>.<event>".
 */
struct resource_action {
	const char *name;		/* URL segment and audit action: "escalate" */
	const struct field *body;	/* the body's fields; NULL: no body (or {}) */
	const char *const *from;	/* statuses it may start from; NULL: any */
	unsigned roles;			/* who may call it over HTTP; 0: the server's own */
	unsigned flags;			/* enum action_flag */
	const char *event;		/* the event's verb: "escalated"; NULL: "<name>" */
	/*
	 * cur is the stored record, rec a copy the function changes (read-only
	 * fields included: the engine writes every column that differs), body
	 * the decoded body (an empty object when there is none). It may write
	 * other records through the engine (trusted writes, ctx) and set
	 * ctx->reply / ctx->reply_extra. Appends {field, message} to errors;
	 * returns RC_OK, RC_CONFLICT / RC_INVALID with errors, RC_RETRY or
	 * RC_ERROR.
	 */
	int (*apply)(struct resource_ctx *ctx, const json_t *cur, json_t *rec, const json_t *body,
		     json_t *errors);
	const char *summary;		/* one line for the API description */
	/* ACTION_CREATES: the resource of the record made (NULL: the action's own) */
	const struct resource *creates;
};

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
	 * retried), RC_CONFLICT with errors, or a failure. May be NULL.
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
	 * A create's work that prepare can take ready-made: runs before the
	 * write's transaction (without the write lock), on the body with its
	 * defaults, and leaves what it computed in ctx->plan. Prepare takes it
	 * only after checking, in the transaction, that everything it was
	 * computed from is unchanged, and else does the work itself: a plan
	 * that fails or goes stale costs time, never a wrong record. Not run
	 * when the create joins a caller's transaction. May be NULL.
	 */
	void (*plan)(struct resource_ctx *ctx, const json_t *rec);
	/*
	 * Side effects in the same transaction once the row is written
	 * (history rows, counters): before is NULL on create. Returns RC_OK,
	 * RC_RETRY or a failure. May be NULL.
	 */
	int (*after_write)(struct resource_ctx *ctx, const json_t *before, const json_t *after);
	/*
	 * Rules on archiving (archive true) or restoring the stored record
	 * cur, in the write's transaction before the row changes (a payment
	 * restored must still fit its invoice's balance). Same results as
	 * check. May be NULL.
	 */
	int (*archive_check)(struct resource_ctx *ctx, const json_t *cur, bool archive,
			     json_t *errors);
	/*
	 * A child resource's records belong to one record of parent (the
	 * notes of a ticket): parent_field holds its id. Every operation then
	 * needs ctx->parent_id, answers RC_NOT_FOUND for a missing parent or a
	 * record of another parent, and create sets parent_field itself.
	 */
	const struct resource *parent;
	const char *parent_field;
	/* Adds computed, read-only members (F_COMPUTED fields) to a record as it is read. */
	void (*present)(json_t *rec);
	/*
	 * present's twin for records written straight from their rows as
	 * JSON text (resource_list_text, resource_get_text): appends the
	 * same members, the same bytes (",\"name\":value" each), from the row
	 * (resource_row_int, resource_row_value). 0, or -1 when the buffer
	 * failed. A resource with present but no present_text is built as
	 * jansson objects, as resource_list does.
	 */
	int (*present_text)(struct buf *b, const struct resource_row *r);
	/*
	 * How a record belongs to a client company, for row scoping and for
	 * F_SAME_COMPANY references: company_field is the column holding its
	 * company's id ("company_id"; "id" for companies themselves), or
	 * company_via an FT_REF field whose record's company is this record's
	 * (a note's "ticket_id"). Both NULL: the records belong to no company
	 * (users, products) and a scoped caller sees none of them.
	 */
	const char *company_field;
	const char *company_via;
	/*
	 * The rows of the table that are this resource's, as a constant SQL
	 * condition ("contact_id IS NULL": the users that are staff), or NULL
	 * for all. Lists, reads, writes and references of callers see only
	 * those; the server's trusted writes see every row.
	 */
	const char *rows;
	/*
	 * Rows that belong to a user (time entries): a caller whose role is
	 * not in any_owner_roles may create, change, archive and act on only
	 * rows whose owner_field is their own user id. Reading is not limited.
	 */
	const char *owner_field;
	unsigned any_owner_roles;
	/*
	 * The record's life cycle: status_field names its status, and
	 * transitions (ended by a NULL from) the changes a write may make; a
	 * change the table does not list is a 409 naming the allowed ones.
	 * NULL transitions: any value of the field's enum.
	 */
	const char *status_field;
	const struct resource_transition *transitions;
	/* The verbs that are not field edits; NULL-terminated, or NULL. */
	const struct resource_action *const *actions;
	/* Events "<event>.created", "<event>.updated", …: the event name, or NULL for none. */
	const char *event;
	/* What the resource is, for the API description; may be NULL. */
	const char *doc;
};

/*
 * One caller's view of the engine, shared by every operation of a
 * request (or of one job's unit of work).
 */
struct resource_ctx {
	struct db *db;
	struct arena *arena;	/* owns every json_t the engine returns */
	const struct audit_actor *actor;	/* actor->role drives the field masks */
	int64_t parent_id;	/* for child resources, else 0 */
	int64_t now;		/* set by the engine when a write starts: created_at, updated_at */
	/*
	 * Row scope: when not 0, only records of this company exist for the
	 * caller (a client portal contact's company). 0: no scope (staff, the
	 * system).
	 */
	int64_t scope_company;
	/*
	 * A trusted write: the server's own (the domain writing another
	 * record inside an action, a job): read-only fields may be set, role
	 * masks and owner rules do not apply. Audited like any write, under
	 * actor. Never set from a caller's input.
	 */
	bool trusted;
	/* The action being applied, for hooks that must know one is (never its name). */
	const struct resource_action *action;
	/* From a prepare hook to its after_write hook (arena). */
	const char *hook_note;
	/*
	 * Set by an action's apply (arena-owned): reply replaces the record
	 * as the action's result (ACTION_CREATES: the record made); the
	 * members of reply_extra are added to the reply (a link made once).
	 * A create's prepare hook may set reply_extra too (a webhook's
	 * secret, shown once).
	 */
	json_t *reply;
	json_t *reply_extra;
	/* A create's plan hook's results for its prepare hook (arena), or NULL. */
	void *plan;
	/*
	 * What the observers' notices read that this transaction does not
	 * change (notify.h), kept by a caller that writes many records in one
	 * transaction (the SLA sweep); NULL: every notice reads afresh.
	 */
	struct notify_memo *memo;
	/* The records its writes refer to, found once (resource_refs_new); NULL: each time. */
	struct resource_refs *refs;
	/* Rows read ahead for its trusted writes (resource_rows_read); NULL: none. */
	struct resource_rows *rows;
	/*
	 * Its trusted creates are sent ahead where the database takes ids
	 * ahead (db_next_id: PostgreSQL): the row written with every column
	 * (NULL where the record has none) and the record made from what was
	 * written, so that no answer is waited for. A failure is then
	 * reported by a later statement or the commit: for a caller that can
	 * find the write that failed again without it (the SLA sweep).
	 */
	bool creates_ahead;
};

/*
 * What a run of trusted writes in one transaction found of the records
 * they refer to (that each exists, whether archived, its company), so
 * that each is looked up once. Only for a caller whose transaction
 * archives, deletes and moves none of them (the SLA sweep, which writes
 * tickets' clocks and notifications). Made in arena a for one
 * transaction; NULL without memory.
 */
struct resource_refs *resource_refs_new(struct arena *a);

/*
 * Rows read ahead: a caller about to make trusted writes to many records
 * in one transaction (the SLA sweep's batch) reads their rows in one
 * statement, and each write's load of its record takes the row from here,
 * once, instead of a statement of its own (a round trip on PostgreSQL).
 * Set it as resource_ctx.rows. resource_rows_read reads up to
 * RESOURCE_ROWS_MAX records of res by id (ids not found are left out) and
 * adds them to *rows (made in arena a when NULL; rows of up to
 * RESOURCE_ROWS_KINDS resources); RC_OK, or a failure (*rows as it was).
 * The rows hold for the transaction that read them, while nothing else
 * writes those records in it. A write whose record was read ahead sends
 * its UPDATE without waiting for the answer (db_step_later) and makes the
 * row as written from the row read and the columns it writes.
 */
#define RESOURCE_ROWS_MAX 200
#define RESOURCE_ROWS_KINDS 2
struct resource_rows;
int resource_rows_read(struct resource_ctx *ctx, struct arena *a, const struct resource *res,
		       const int64_t *ids, size_t n, struct resource_rows **rows);
/*
 * The row of record id of res as read (NULL when rows is NULL, of another
 * resource, or did not read it), taken by a write or not: for what reads
 * the members such a transaction leaves as they are.
 */
json_t *resource_rows_get(const struct resource_rows *rows, const struct resource *res,
			  int64_t id);

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
/* Looks an action up by name; NULL when the resource has none. */
const struct resource_action *resource_action(const struct resource *res, const char *name);
/* Whether role may see field f (its hidden_from mask; role 0, the system, sees all). */
bool resource_field_visible(const struct field *f, unsigned role);

/*
 * Validates a body against the field table without touching the database
 * (types, lengths, enums, formats, unknown and read-only fields, required
 * ones when creating, clearing required ones when patching), as role would
 * write it (role 0: every writable field; trusted: read-only fields too).
 * Appends {field, message} objects to errors. Returns the number of errors.
 */
int resource_validate(const struct resource *res, const json_t *body, bool create,
		      json_t *errors);
int resource_validate_as(const struct resource *res, const json_t *body, bool create,
			 unsigned role, bool trusted, json_t *errors);
/* Validates an action's body against its fields (all of them writable, F_REQUIRED needed). */
int resource_validate_fields(const struct field *fields, const char *what, const json_t *body,
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
 * Parses list parameters (already percent-decoded pairs) as role may ask
 * them (a field hidden from role is no filter or sort key; 0: all).
 * Unknown names, bad values and foreign cursors are refused: returns 0, or
 * -1 with a message naming the problem in *err (arena string).
 */
int resource_query_parse(const struct resource *res, unsigned role, const struct http_kv *pairs,
			 int n, struct resource_query *out, struct arena *arena, const char **err);

/* Cursors: opaque base64url of the sort key, the last row's sort value and id. */
char *resource_cursor_encode(struct arena *arena, const char *sort_key, const char *value,
			     int64_t id);
/* Returns 0 and sets the outputs (arena strings), or -1 for a malformed cursor. */
int resource_cursor_decode(struct arena *arena, const char *cursor, const char **sort_key,
			   const char **value, int64_t *id);

/*
 * Operations. Each returns a result (core/result.h); *out (owned by
 * ctx->arena) is written only on RC_OK (a write given out NULL builds no
 * record to return: a sweep's thousands of writes), *errors (owned by
 * ctx->arena) only on RC_INVALID, RC_CONFLICT or RC_FORBIDDEN. A record outside the
 * caller's scope is RC_NOT_FOUND, as if it did not exist.
 *
 * A write runs in its own transaction, or inside the caller's when one is
 * open (db_txn): then it may also return RC_RETRY, which the caller's
 * function returns so that db_txn tries the whole again, and any other
 * result but RC_OK means the caller must roll back.
 */
int resource_get(struct resource_ctx *ctx, const struct resource *res, int64_t id, json_t **out);
int resource_list(struct resource_ctx *ctx, const struct resource *res,
		  const struct resource_query *q, json_t **out, const char **next_cursor);
/*
 * resource_get and resource_list as JSON text appended to out, the same
 * bytes json_write gives of their results, written from the rows without
 * building a jansson object per record. *version: the record's version
 * (-1 for a resource without one). On a result other than RC_OK out is
 * as it was.
 */
int resource_get_text(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		      struct buf *out, int64_t *version);
int resource_list_text(struct resource_ctx *ctx, const struct resource *res,
		       const struct resource_query *q, struct buf *out, const char **next_cursor);

/*
 * A row being written as text, for present_text: a column by its field's
 * name (a constant: names are remembered by address), as an integer (0
 * when null), as text (NULL when null), or written as the record's member
 * would be (null for a name that is not a column).
 */
int64_t resource_row_int(const struct resource_row *r, const char *field);
const char *resource_row_text(const struct resource_row *r, const char *field);
int resource_row_value(struct buf *b, const struct resource_row *r, const char *field);
int resource_create(struct resource_ctx *ctx, const struct resource *res, const json_t *body,
		    json_t **out, json_t **errors);
/* expect_version: the If-Match version, or RESOURCE_ANY_VERSION. */
int resource_update(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		    const json_t *patch, int64_t expect_version, json_t **out, json_t **errors);
/* Archives (archive true) or restores record id; errors as resource_update's. */
int resource_archive(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		     int64_t expect_version, bool archive, json_t **out, json_t **errors);
/*
 * Applies an action of res's table to record id with body (NULL: none).
 * *out is the updated record, or ctx->reply when the action set one, with
 * the members of ctx->reply_extra added.
 */
int resource_act(struct resource_ctx *ctx, const struct resource *res,
		 const struct resource_action *action, int64_t id, const json_t *body,
		 int64_t expect_version, json_t **out, json_t **errors);

/*
 * Trusted writes: the server's own changes inside the caller's
 * transaction (or one of their own), with read-only fields settable and
 * no role masks, audited under ctx->actor like any write. For domain code
 * that must set a read-only field or write another record (an accepted
 * quote's contract and service orders, a merge moving notes), so that the
 * audit log and the rows always agree. ctx is not changed.
 */
int resource_create_trusted(struct resource_ctx *ctx, const struct resource *res,
			    const json_t *body, json_t **out, json_t **errors);
int resource_update_trusted(struct resource_ctx *ctx, const struct resource *res, int64_t id,
			    const json_t *patch, json_t **out, json_t **errors);
int resource_act_trusted(struct resource_ctx *ctx, const struct resource *res,
			 const struct resource_action *action, int64_t id, const json_t *body,
			 json_t **out, json_t **errors);

/*
 * A record as the caller may see it: a new arena-owned copy of rec
 * without the hidden columns and the fields masked from ctx's role.
 */
json_t *resource_visible(struct resource_ctx *ctx, const struct resource *res, const json_t *rec);

/*
 * The company a record belongs to (company_field or company_via, see
 * struct resource): RC_OK with *company (0 when it belongs to none),
 * RC_NOT_FOUND, or a failure.
 */
int resource_company_of(struct resource_ctx *ctx, const struct resource *res, int64_t id,
			int64_t *company);

/*
 * An event of the server's own that is no write of a record (a warning
 * reached): "<res->event>.<verb>" about record id with data (borrowed, may
 * be NULL), in the caller's transaction. RC_OK or a failure.
 */
int resource_event(struct resource_ctx *ctx, const struct resource *res, const char *verb,
		   int64_t id, const json_t *data);

/*
 * An observer of events: called for each event as it is written, inside
 * its transaction, with the type ("ticket.note.created"), the resource and
 * record, and the record as the system sees it (borrowed). It may write
 * through the engine (the mail module queues the client's mail so: sent
 * exactly when the change commits). Returns RC_OK, RC_RETRY or a failure,
 * which fails the write.
 */
typedef int (*resource_observer)(struct resource_ctx *ctx, const char *type,
				 const struct resource *res, int64_t id, const json_t *data);
/* Adds an observer, once, at start-up before any write; at most 8. */
void resource_observe(resource_observer fn);

/* Events: the outbox of changes for webhooks (GET /api/v1/events). */
extern const struct resource event_resource;

#endif
