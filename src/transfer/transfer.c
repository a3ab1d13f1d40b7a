/*
 * transfer.c - CSV import and export (transfer.h says what a file may hold).
 *
 * An import runs in three steps. The header row becomes columns, each
 * bound to a field, to "id", or dropped; a header that names nothing is a
 * problem on line 1. Each data row then becomes a JSON body (cells
 * converted by their field's type, names of referenced records looked up)
 * and goes through the engine in a transaction of its own that is rolled
 * back: every problem of every row is found, not just the first. Only when
 * none was found, and this is not a dry run, are the rows written for
 * real, in one transaction; a row that fails then (two rows of the file
 * with the same unique value) rolls it all back and is reported.
 */
#include "transfer.h"

#include "catalog/catalog.h"
#include "core/csv.h"
#include "core/log.h"
#include "core/money.h"
#include "core/result.h"
#include "crm/crm.h"
#include "db/db.h"
#include "http/http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const transfer_kinds[] = { "companies", "contacts", "sites", "assets", "products",
				       NULL };

const struct resource *transfer_resource(const char *kind)
{
	const struct resource *const all[] = { &company_resource, &contact_resource,
					       &site_resource, &asset_resource,
					       &product_resource };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (kind && strcmp(kind, all[i]->name) == 0)
			return all[i];
	return NULL;
}

/* A field an import may set: writable by a person, one value per cell. */
static bool importable(const struct field *f)
{
	if (f->flags & (F_READ_ONLY | F_HIDDEN | F_WRITE_ONLY | F_COMPUTED))
		return false;
	return f->type != FT_JSON && f->type != FT_OBJECTS && f->type != FT_OBJECT &&
	       f->type != FT_IDS && f->type != FT_TIME;
}

/* What a column is for. */
struct column {
	const char *header;
	const struct field *field;	/* NULL: id, or dropped */
	bool is_id, by_name, dropped;
};

/* "Serial Number", "serial-number" -> "serial_number" */
static char *normalized(struct arena *a, const char *header)
{
	char *s = arena_strdup(a, header);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	for (char *c = p; *c; c++)
		*c = *c == ' ' || *c == '-' ? '_' : (char)tolower((unsigned char)*c);
	return p;
}

/* a and b equal but for underscores: "e_mail" names email, "firstname" first_name */
static bool same_name(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

static const struct field *field_named(const struct resource *res, const char *name)
{
	for (const struct field *f = res->fields; f->name; f++)
		if (importable(f) && strcmp(f->name, name) == 0)
			return f;
	for (const struct field *f = res->fields; f->name; f++)
		if (importable(f) && same_name(f->name, name))
			return f;
	return NULL;
}

/* A referenced record can be named when its resource has a name field. */
static bool nameable(const struct field *f)
{
	if (f->type != FT_REF || !f->ref)
		return false;
	for (const struct field *r = f->ref->fields; r->name; r++)
		if (strcmp(r->name, "name") == 0)
			return true;
	return false;
}

static void problem(struct arena *a, json_t *problems, int line, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void problem(struct arena *a, json_t *problems, int line, const char *field,
		    const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)a;
	json_t *p = json_pack("{s:i, s:s}", "line", line, "message", msg);
	if (p && field && *field)
		json_object_set_new(p, "field", json_string(field));
	json_array_append_new(problems, p);
}

/* Binds the header row. Returns the number of problems found. */
static size_t bind_columns(struct arena *a, const struct resource *res, const struct csv_row *head,
			   const json_t *mapping, struct column *cols, json_t *columns,
			   json_t *problems)
{
	size_t before = json_array_size(problems);
	for (size_t i = 0; i < head->nfields; i++) {
		struct column *c = &cols[i];
		memset(c, 0, sizeof(*c));
		c->header = head->fields[i];
		const char *want = json_string_value(json_object_get(mapping, c->header));
		const char *name = want ? want : normalized(a, c->header);
		if (!name)
			name = "";
		if (strcmp(name, "-") == 0) {
			c->dropped = true;
		} else if (strcmp(name, "id") == 0) {
			c->is_id = true;
		} else if ((c->field = field_named(res, name)) != NULL) {
			/* as named */
		} else {
			char *ref = arena_printf(a, "%s_id", name);
			const struct field *f = ref ? field_named(res, ref) : NULL;
			if (f && nameable(f)) {
				c->field = f;
				c->by_name = true;
			} else if (*c->header == '\0' && !want) {
				c->dropped = true;	/* a spreadsheet's empty trailing column */
			} else {
				problem(a, problems, head->line, NULL,
					"column \"%s\" matches no field of %s: rename it, map it "
					"to a field, or map it to \"-\" to leave it out",
					c->header, res->name);
				continue;
			}
		}
		for (size_t j = 0; j < i; j++) {
			bool same = (c->is_id && cols[j].is_id) ||
				    (c->field && cols[j].field == c->field);
			if (same)
				problem(a, problems, head->line, c->field ? c->field->name : "id",
					"columns \"%s\" and \"%s\" both give %s", cols[j].header,
					c->header, c->field ? c->field->name : "id");
		}
		json_array_append_new(columns, json_pack("{s:s, s:s?}", "header", c->header, "field",
							 c->dropped ? NULL
							 : c->is_id ? "id"
							 : c->by_name ? arena_printf(a, "%.*s (by name)",
										  (int)(strlen(c->field->name) - 3),
										  c->field->name)
							 : c->field->name));
	}
	bool has_id = false;
	for (size_t i = 0; i < head->nfields; i++)
		has_id = has_id || cols[i].is_id;
	for (const struct field *f = res->fields; f->name; f++) {
		if (!(f->flags & F_REQUIRED) || !importable(f) || f->dflt || has_id)
			continue;
		bool given = false;
		for (size_t i = 0; i < head->nfields; i++)
			given = given || cols[i].field == f;
		if (!given)
			problem(a, problems, head->line, f->name,
				"no column gives %s, which every new %s needs", f->name,
				res->singular);
	}
	return json_array_size(problems) - before;
}

/* "12.50", "1,234.50", "12,50" (a ";" file), "-3" -> minor units. */
static bool money_cell(const char *text, char sep, int exponent, int64_t *out)
{
	char digits[64];
	size_t n = 0;
	const char *s = text;
	bool neg = false;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	const char *last_mark = NULL;
	for (const char *p = s; *p; p++)
		if (*p == '.' || *p == ',')
			last_mark = p;
	/* the decimal mark: "." in a "," file; in a ";" file whichever comes last */
	char dec = sep == ';' ? (last_mark ? *last_mark : ',') : '.';
	int frac = -1;
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n + 1 >= sizeof(digits))
				return false;
			digits[n++] = *p;
			if (frac >= 0)
				frac++;
		} else if (*p == dec && frac < 0) {
			frac = 0;
		} else if ((*p == ',' || *p == '.' || *p == ' ') && frac < 0) {
			continue;	/* a thousands separator */
		} else if (isspace((unsigned char)*p)) {
			continue;
		} else {
			return false;
		}
	}
	if (n == 0 || frac > exponent)
		return false;
	for (int f = frac < 0 ? 0 : frac; f < exponent; f++)
		digits[n++] = '0';
	digits[n] = '\0';
	if (n > 18)
		return false;
	int64_t v = strtoll(digits, NULL, 10);
	*out = neg ? -v : v;
	return true;
}

static int bool_cell(const char *s)
{
	static const char *const yes[] = { "true", "yes", "y", "1", "x", NULL };
	static const char *const no[] = { "false", "no", "n", "0", NULL };
	for (int i = 0; yes[i]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (int i = 0; no[i]; i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

/* The one live record of ref named name (within company when > 0): its id, 0 none, -1 several. */
static int64_t id_by_name(struct db *db, const struct resource *ref, const char *name,
			  int64_t company, int *rc)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "SELECT id FROM %s WHERE lower(name) = lower(?) AND archived_at IS NULL%s "
		 "ORDER BY id LIMIT 2", ref->table, company > 0 ? " AND company_id = ?" : "");
	struct db_stmt *st;
	*rc = company > 0 ? db_run(db, &st, sql, "si", name, company) : db_run(db, &st, sql, "s", name);
	if (*rc != RC_ROW)
		return *rc == RC_DONE ? (*rc = RC_OK, 0) : 0;
	int64_t id = db_col_int(st, 0);
	int more = db_step(st);
	db_done(st);
	*rc = RC_OK;
	return more == RC_ROW ? -1 : id;
}

struct import {
	struct resource_ctx *ctx;
	const struct resource *res;
	const struct csv *csv;
	const struct column *cols;
	json_t *problems;
	int exponent;			/* the firm currency's decimals */
	size_t created, updated;
};

/*
 * Row r as a body for the engine (NULL with problems added when a cell is
 * wrong), and its id when it updates. Returns RC_OK or a failure of ours.
 */
static int row_body(struct import *im, const struct csv_row *row, json_t **body, int64_t *id)
{
	struct arena *a = im->ctx->arena;
	json_t *b = json_object();
	size_t before = json_array_size(im->problems);
	*id = 0;
	*body = NULL;
	if (!b)
		return RC_ERROR;
	if (row->nfields > im->csv->rows[0].nfields)
		problem(a, im->problems, row->line, NULL,
			"the row has %zu fields, the header %zu: a separator too many, or a "
			"quote missing?", row->nfields, im->csv->rows[0].nfields);
	/* references by name come last: a site is looked up within the row's company */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < row->nfields && i < im->csv->rows[0].nfields; i++) {
			const struct column *c = &im->cols[i];
			const char *cell = row->fields[i];
			if (c->dropped || (pass == 1) != c->by_name || *cell == '\0')
				continue;
			if (c->is_id) {
				char *end;
				long long v = strtoll(cell, &end, 10);
				if (*end || v <= 0)
					problem(a, im->problems, row->line, "id",
						"\"%s\" is not a record id", cell);
				else
					*id = v;
				continue;
			}
			const struct field *f = c->field;
			json_t *v = NULL;
			char *end;
			switch (f->type) {
			case FT_INT: {
				long long n = strtoll(cell, &end, 10);
				if (*end == '\0')
					v = json_integer(n);
				break;
			}
			case FT_REF:
				if (c->by_name) {
					int rc;
					int64_t company = f->flags & F_SAME_COMPANY
								  ? json_integer_value(json_object_get(
									    b, "company_id"))
								  : 0;
					int64_t ref = id_by_name(im->ctx->db, f->ref, cell, company, &rc);
					if (rc != RC_OK) {
						json_decref(b);
						return rc;
					}
					if (ref > 0)
						v = json_integer(ref);
					else
						problem(a, im->problems, row->line, f->name,
							ref == 0 ? "no %s is named \"%s\"%s"
								 : "more than one %s is named \"%s\"%s: "
								   "give its id instead",
							f->ref->singular, cell,
							company > 0 ? " at this company" : "");
					if (ref <= 0)
						continue;
				} else {
					long long n = strtoll(cell, &end, 10);
					if (*end == '\0' && n > 0)
						v = json_integer(n);
				}
				break;
			case FT_MONEY: {
				int64_t minor;
				const char *cur = json_string_value(json_object_get(b, "currency"));
				int exp = cur ? money_exponent(cur) : im->exponent;
				if (money_cell(cell, im->csv->sep, exp, &minor))
					v = json_integer(minor);
				else {
					problem(a, im->problems, row->line, f->name,
						"\"%s\" is not an amount with at most %d decimals", cell,
						exp);
					continue;
				}
				break;
			}
			case FT_BOOL: {
				int t = bool_cell(cell);
				if (t >= 0)
					v = json_boolean(t);
				break;
			}
			case FT_QUANTITY: {
				double d = strtod(cell, &end);
				if (*end == '\0')
					v = json_real(d);
				break;
			}
			case FT_ENUM:
				for (int e = 0; f->enum_values[e]; e++)
					if (strcasecmp(cell, f->enum_values[e]) == 0)
						v = json_string(f->enum_values[e]);
				if (!v)
					v = json_string(cell);	/* the engine names the choices */
				break;
			case FT_STRINGS: {
				v = json_array();
				const char *p = cell;
				while (v && *p) {
					size_t len = strcspn(p, ",");
					const char *item = p;
					p += len + (p[len] == ',');
					while (len && isspace((unsigned char)*item)) {
						item++;
						len--;
					}
					while (len && isspace((unsigned char)item[len - 1]))
						len--;
					if (len)
						json_array_append_new(v, json_stringn(item, len));
				}
				break;
			}
			default:
				/* our own export's guard against spreadsheet formulas, undone */
				if (cell[0] == '\'' && cell[1] && strchr("=+-@", cell[1]))
					cell++;
				v = json_string(cell);
				break;
			}
			if (!v) {
				problem(a, im->problems, row->line, f->name, "\"%s\" is not %s", cell,
					f->type == FT_BOOL ? "yes or no (true, false, 1, 0)"
					: f->type == FT_REF ? "a record id"
							    : "a number");
				continue;
			}
			json_object_set_new(b, f->name, v);
		}
	}
	if (!json_object_size(b) && !*id && json_array_size(im->problems) == before) {
		json_decref(b);
		return RC_OK;	/* a row of empty cells */
	}
	*body = b;
	return RC_OK;
}

/* Whether the problems from index from on name field at line. */
static bool named_already(const json_t *problems, size_t from, int line, const char *field)
{
	for (size_t i = from; i < json_array_size(problems); i++) {
		const json_t *p = json_array_get(problems, i);
		const char *f = json_string_value(json_object_get(p, "field"));
		if (json_integer_value(json_object_get(p, "line")) == line && f && field &&
		    strcmp(f, field) == 0)
			return true;
	}
	return false;
}

/* One row through the engine; its problems, if any, recorded. */
static int write_row(struct import *im, const struct csv_row *row, const json_t *body, int64_t id,
		     size_t row_problems)
{
	json_t *out, *errors = NULL;
	int rc = id ? resource_update(im->ctx, im->res, id, body, RESOURCE_ANY_VERSION, &out, &errors)
		    : resource_create(im->ctx, im->res, body, &out, &errors);
	if (rc == RC_OK) {
		if (id)
			im->updated++;
		else
			im->created++;
		return RC_OK;
	}
	if (rc == RC_NOT_FOUND) {
		problem(im->ctx->arena, im->problems, row->line, "id", "there is no %s with id %lld",
			im->res->singular, (long long)id);
		return RC_INVALID;
	}
	if (rc == RC_CONSTRAINT) {
		problem(im->ctx->arena, im->problems, row->line, NULL,
			"a value that must be unique (an SKU, an address) is taken already, "
			"by a record or by an earlier row of the file");
		return RC_INVALID;
	}
	if (rc == RC_INVALID || rc == RC_CONFLICT || rc == RC_FORBIDDEN) {
		size_t i;
		json_t *e;
		size_t given = json_array_size(im->problems);
		json_array_foreach(errors, i, e) {
			const char *field = json_string_value(json_object_get(e, "field"));
			if (!named_already(im->problems, row_problems, row->line, field))
				problem(im->ctx->arena, im->problems, row->line, field, "%s",
					json_string_value(json_object_get(e, "message")));
		}
		if (json_array_size(im->problems) == given && given == row_problems)
			problem(im->ctx->arena, im->problems, row->line, NULL,
				"the %s was refused", im->res->singular);
		return RC_INVALID;
	}
	return rc;
}

/* Every row in one transaction, for real: any problem rolls it all back. */
static int write_all(struct db *db, void *arg)
{
	struct import *im = arg;
	(void)db;
	im->created = im->updated = 0;
	json_array_clear(im->problems);
	for (size_t r = 1; r < im->csv->nrows; r++) {
		json_t *body;
		int64_t id;
		int rc = row_body(im, &im->csv->rows[r], &body, &id);
		if (rc != RC_OK)
			return rc;
		if (!body)
			continue;
		size_t before = json_array_size(im->problems);
		rc = before ? RC_INVALID : write_row(im, &im->csv->rows[r], body, id, before);
		json_decref(body);
		if (rc != RC_OK)
			return rc;
	}
	return RC_OK;
}

static int firm_exponent(struct db *db)
{
	struct db_stmt *st;
	int exp = 2;
	if (db_run(db, &st, "SELECT currency FROM settings WHERE id = 1", "") == RC_ROW) {
		if (db_col_text(st, 0))
			exp = money_exponent(db_col_text(st, 0));
		db_done(st);
	}
	return exp;
}

int transfer_import(struct resource_ctx *ctx, const char *kind, const char *text, size_t len,
		    const json_t *mapping, bool dry_run, json_t **report)
{
	const struct resource *res = transfer_resource(kind);
	json_t *problems = json_array(), *columns = json_array();
	json_t *r = json_pack("{s:s, s:b, s:i, s:i, s:i, s:o, s:o}", "kind", kind, "dry_run",
			      dry_run, "rows", 0, "created", 0, "updated", 0, "columns", columns,
			      "problems", problems);
	if (!r || !res || !ctx->arena)
		return json_decref(r), res ? RC_ERROR : RC_INVALID;
	*report = arena_json(ctx->arena, r);
	if (!*report)
		return RC_ERROR;
	struct csv csv;
	char err[256];
	if (csv_parse(ctx->arena, text, len, &csv, err, sizeof(err)) < 0) {
		problem(ctx->arena, problems, 0, NULL, "%s", err);
		return RC_INVALID;
	}
	if (csv.nrows == 0) {
		problem(ctx->arena, problems, 1, NULL, "the file is empty: the first line must "
			"name the columns");
		return RC_INVALID;
	}
	struct column *cols = arena_zalloc(ctx->arena, csv.rows[0].nfields * sizeof(*cols));
	if (!cols)
		return RC_ERROR;
	json_object_set_new(r, "rows", json_integer((json_int_t)csv.nrows - 1));
	if (bind_columns(ctx->arena, res, &csv.rows[0], mapping, cols, columns, problems))
		return RC_INVALID;

	struct import im = { ctx, res, &csv, cols, problems, firm_exponent(ctx->db), 0, 0 };
	/* every row on its own, rolled back: all the problems of the file */
	for (size_t i = 1; i < csv.nrows; i++) {
		json_t *body;
		int64_t id;
		size_t row_problems = json_array_size(problems);
		int rc = row_body(&im, &csv.rows[i], &body, &id);
		if (rc != RC_OK)
			return rc;
		if (!body)
			continue;
		for (;;) {
			rc = db_begin(ctx->db);
			if (rc == RC_OK) {
				rc = write_row(&im, &csv.rows[i], body, id, row_problems);
				db_rollback(ctx->db);
			}
			if (rc != RC_RETRY)
				break;
		}
		json_decref(body);
		if (rc != RC_OK && rc != RC_INVALID)
			return rc;
	}
	if (json_array_size(problems))
		return RC_INVALID;
	im.created = im.updated = 0;	/* the check wrote nothing */
	if (!dry_run) {
		int rc = db_txn(ctx->db, write_all, &im);
		if (rc != RC_OK)
			return rc == RC_INVALID ? RC_INVALID : rc;
	}
	json_object_set_new(r, "created", json_integer((json_int_t)im.created));
	json_object_set_new(r, "updated", json_integer((json_int_t)im.updated));
	return RC_OK;
}

/* --- export ----------------------------------------------------------------------- */

static void money_text(int64_t minor, int exponent, char *out, size_t n)
{
	int64_t scale = 1;
	for (int i = 0; i < exponent; i++)
		scale *= 10;
	unsigned long long a = minor < 0 ? 0ull - (unsigned long long)minor
					 : (unsigned long long)minor;
	if (exponent == 0)
		snprintf(out, n, "%s%llu", minor < 0 ? "-" : "", a);
	else
		snprintf(out, n, "%s%llu.%0*llu", minor < 0 ? "-" : "", a / (unsigned long long)scale,
			 exponent, a % (unsigned long long)scale);
}

int transfer_export(struct resource_ctx *ctx, const char *kind, bool archived, struct buf *out)
{
	const struct resource *res = transfer_resource(kind);
	if (!res)
		return RC_INVALID;
	const char sep = ',';
	int exponent = firm_exponent(ctx->db);
	buf_addstr(out, "id");
	for (const struct field *f = res->fields; f->name; f++)
		if (importable(f)) {
			buf_addch(out, sep);
			csv_field(out, f->name, sep, false);
		}
	buf_addstr(out, "\r\n");
	const char *cursor = NULL;
	do {
		struct http_kv pairs[3] = { { "limit", "200" } };
		int npairs = 1;
		if (archived)
			pairs[npairs++] = (struct http_kv){ "archived", "all" };
		if (cursor)
			pairs[npairs++] = (struct http_kv){ "cursor", cursor };
		struct resource_query q;
		const char *err;
		if (resource_query_parse(res, ctx->actor ? ctx->actor->role : 0, pairs, npairs, &q,
					 ctx->arena, &err) < 0) {
			log_error("export of %s: %s", kind, err);
			return RC_ERROR;
		}
		json_t *rows;
		const char *next = NULL;
		int rc = resource_list(ctx, res, &q, &rows, &next);
		if (rc != RC_OK)
			return rc;
		size_t i;
		json_t *rec;
		json_array_foreach(rows, i, rec) {
			buf_addf(out, "%lld", (long long)json_integer_value(json_object_get(rec, "id")));
			const char *cur = json_string_value(json_object_get(rec, "currency"));
			for (const struct field *f = res->fields; f->name; f++) {
				if (!importable(f))
					continue;
				buf_addch(out, sep);
				json_t *v = json_object_get(rec, f->name);
				char num[64];
				if (!v || json_is_null(v))
					continue;
				if (f->type == FT_MONEY) {
					money_text(json_integer_value(v),
						   cur ? money_exponent(cur) : exponent, num, sizeof(num));
					buf_addstr(out, num);
				} else if (json_is_integer(v)) {
					buf_addf(out, "%lld", (long long)json_integer_value(v));
				} else if (json_is_real(v)) {
					snprintf(num, sizeof(num), "%.3f", json_real_value(v));
					buf_addstr(out, num);
				} else if (json_is_boolean(v)) {
					buf_addstr(out, json_is_true(v) ? "true" : "false");
				} else if (json_is_array(v)) {
					struct buf list;
					buf_init(&list, 0);
					size_t k;
					json_t *item;
					json_array_foreach(v, k, item) {
						if (k)
							buf_addstr(&list, ", ");
						buf_addstr(&list, json_string_value(item)
									  ? json_string_value(item) : "");
					}
					csv_field(out, list.len ? buf_str(&list) : "", sep, true);
					buf_release(&list);
				} else {
					csv_field(out, json_string_value(v), sep, true);
				}
			}
			buf_addstr(out, "\r\n");
		}
		cursor = next;
	} while (cursor);
	return out->failed ? RC_ERROR : RC_OK;
}
