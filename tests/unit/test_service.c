/*
 * test_service.c - the resource engine's hooks as the service desk uses
 * them (prepare, after_write, child resources, hidden and write-only
 * fields, arrays of objects, quantities), against a migrated SQLite
 * database in a temporary directory, plus the pure checks on their own.
 */
#include "auth/auth.h"
#include "catalog/catalog.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "http/http.h"
#include "resource/audit.h"
#include "resource/resource.h"
#include "service/internal.h"
#include "service/service.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* ---- pure: quantities and arrays of objects ---- */

/*
 * The engine's results belong to the context's arena; these tests keep
 * what they look at with a reference of their own (and drop it), so a
 * value outlives nothing it should not.
 */
static json_t *kept(int rc, json_t *v)
{
	return rc == RC_OK || rc == RC_INVALID || rc == RC_CONFLICT || rc == RC_FORBIDDEN
		       ? json_incref(v)
		       : v;
}

static int t_get(struct resource_ctx *ctx, const struct resource *res, int64_t id, json_t **out)
{
	int rc = resource_get(ctx, res, id, out);
	if (rc == RC_OK)
		json_incref(*out);
	return rc;
}

static int t_list(struct resource_ctx *ctx, const struct resource *res,
		  const struct resource_query *q, json_t **out, const char **next)
{
	int rc = resource_list(ctx, res, q, out, next);
	if (rc == RC_OK)
		json_incref(*out);
	return rc;
}

static int t_create(struct resource_ctx *ctx, const struct resource *res, const json_t *body,
		    json_t **out, json_t **errors)
{
	int rc = resource_create(ctx, res, body, out, errors);
	if (rc == RC_OK)
		json_incref(*out);
	else if (*errors)
		*errors = kept(rc, *errors);
	return rc;
}

static int t_update(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		    const json_t *patch, int64_t version, json_t **out, json_t **errors)
{
	int rc = resource_update(ctx, res, id, patch, version, out, errors);
	if (rc == RC_OK)
		json_incref(*out);
	else if (*errors)
		*errors = kept(rc, *errors);
	return rc;
}

static void quantities(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		int ok;
		int64_t thousandths;
	} cases[] = {
		{ "1", 1, 1000 },	 { "1.5", 1, 1500 },    { "0.001", 1, 1 },
		{ "0.1", 1, 100 },	 { "2.675", 1, 2675 },  { "-3.25", 1, -3250 },
		{ "0.0001", 0, 0 },	 { "1.2345", 0, 0 },    { "\"1\"", 0, 0 },
		{ "true", 0, 0 },	 { "null", 0, 0 },      { "1e300", 0, 0 },
		{ "123456.789", 1, 123456789 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		int64_t q = -7;
		int rc = resource_quantity(v, &q);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: rc %d", cases[i].json, rc);
		if (rc == 0 && q != cases[i].thousandths)
			fail_msg("%s: %lld thousandths", cases[i].json, (long long)q);
		json_decref(v);
	}
	json_t *one = resource_quantity_json(2000), *half = resource_quantity_json(1500);
	assert_true(json_is_integer(one));
	assert_int_equal(json_integer_value(one), 2);
	assert_true(json_is_real(half));
	assert_true(json_real_value(half) == 1.5);
	json_decref(one);
	json_decref(half);
}

static const struct field item_fields[] = {
	FIELD_INT("n", F_REQUIRED, 1, 5),
	FIELD_TEXT("label", 0, 1, 10),
	FIELD_QUANTITY("qty", 0, 1, 10000, NULL),
	FIELD_END
};

static const struct field holder_fields[] = {
	FIELD_OBJECTS("items", 0, item_fields, 2, NULL),
	{ .name = "secret", .type = FT_TEXT, .flags = F_HIDDEN, .min = 0, .max = 100 },
	FIELD_END
};

static const struct resource holder = { .name = "holders", .singular = "holder",
					 .table = "holders", .fields = holder_fields };

static const char *first_message(const char *body)
{
	static char out[512];
	json_t *b = json_loads(body, 0, NULL);
	json_t *errors = json_array();
	assert_non_null(b);
	resource_validate(&holder, b, true, errors);
	json_t *first = json_array_get(errors, 0);
	snprintf(out, sizeof(out), "%s: %s",
		 first ? json_string_value(json_object_get(first, "field")) : "",
		 first ? json_string_value(json_object_get(first, "message")) : "");
	json_decref(errors);
	json_decref(b);
	return first ? out : NULL;
}

static void objects_and_hidden(void **state)
{
	(void)state;
	assert_null(first_message("{\"items\": []}"));
	assert_null(first_message("{\"items\": [{\"n\": 1}, {\"n\": 5, \"label\": \"x\", \"qty\": 2.5}]}"));
	assert_string_equal(first_message("{\"items\": {}}"), "items: must be an array of objects");
	assert_string_equal(first_message("{\"items\": [1]}"), "items: [0]: must be an object");
	assert_string_equal(first_message("{\"items\": [{\"n\": 1}, {}]}"),
			    "items: [1].n: is required");
	assert_string_equal(first_message("{\"items\": [{\"n\": 9}]}"),
			    "items: [0].n: must be from 1 to 5");
	assert_string_equal(first_message("{\"items\": [{\"n\": 1, \"lable\": \"x\"}]}"),
			    "items: [0].lable: is not a field of an item");
	assert_string_equal(first_message("{\"items\": [{\"n\": null}]}"),
			    "items: [0].n: is required");
	assert_string_equal(first_message("{\"items\": [{\"n\": 1, \"qty\": 0.0005}]}"),
			    "items: [0].qty: must be a number with at most three decimals");
	assert_string_equal(first_message("{\"items\": [{\"n\": 1}, {\"n\": 2}, {\"n\": 3}]}"),
			    "items: must have at most 2 items");
	/* a hidden column is not a field to a client */
	assert_string_equal(first_message("{\"secret\": \"x\"}"),
			    "secret: is not a field of holder");
}

/* ---- the engine with the service desk's hooks ---- */

static char tmpdir[] = "/tmp/servio-test-service-XXXXXX";
static int counter;

struct fx {
	struct db *db;
	struct arena arena;
	struct audit_actor actor;
	struct resource_ctx ctx;
	int64_t company, user;
};

static int make_tmpdir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static json_t *create(struct fx *fx, const struct resource *res, const char *text, int want)
{
	json_t *body = json_loads(text, 0, NULL);
	assert_non_null(body);
	json_t *out = NULL, *errors = NULL;
	int rc = t_create(&fx->ctx, res, body, &out, &errors);
	json_decref(body);
	if (rc != want) {
		char *e = errors ? json_dumps(errors, 0) : NULL;
		fail_msg("create %s %s: status %d, want %d: %s", res->name, text, rc, want,
			 e ? e : "");
	}
	json_decref(errors);
	return out;
}

static int update(struct fx *fx, const struct resource *res, int64_t id, const char *text,
		  json_t **out)
{
	json_t *patch = json_loads(text, 0, NULL);
	json_t *rec = NULL, *errors = NULL;
	int rc = t_update(&fx->ctx, res, id, patch, RESOURCE_ANY_VERSION, &rec, &errors);
	json_decref(patch);
	json_decref(errors);
	if (out)
		*out = rec;
	else
		json_decref(rec);
	return rc;
}

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char url[256], err[256];
	snprintf(url, sizeof(url), "sqlite:%s/service-%d.db", tmpdir, ++counter);
	if (!fx || db_connect(url, &fx->db, err, sizeof(err)) != RC_OK ||
	    db_migrate(fx->db, false) != RC_OK)
		return -1;
	arena_init(&fx->arena);
	fx->actor = (struct audit_actor){ .label = "test", .role = ROLE_ADMIN };
	fx->ctx = (struct resource_ctx){ .db = fx->db, .arena = &fx->arena, .actor = &fx->actor };
	*state = fx;
	json_t *c = create(fx, &company_resource, "{\"name\": \"Acme\"}", RC_OK);
	fx->company = json_integer_value(json_object_get(c, "id"));
	json_decref(c);
	json_t *u = create(fx, &user_resource,
			   "{\"email\": \"Tech@Example.com\", \"name\": \"Tech\", \"role\":"
			   " \"technician\", \"password\": \"a-long-password-1\"}",
			   RC_OK);
	fx->user = json_integer_value(json_object_get(u, "id"));
	/* the password is hashed into a hidden column, never shown */
	assert_null(json_object_get(u, "password"));
	assert_null(json_object_get(u, "password_hash"));
	assert_string_equal(json_string_value(json_object_get(u, "email")), "tech@example.com");
	json_decref(u);
	fx->actor.user_id = fx->user;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;
	db_disconnect(fx->db);
	arena_release(&fx->arena);
	free(fx);
	return 0;
}

static int64_t scalar(struct fx *fx, const char *sql, int64_t arg)
{
	struct db_stmt *st;
	assert_int_equal(db_run(fx->db, &st, sql, "i", arg), RC_ROW);
	int64_t v = db_col_int(st, 0);
	db_done(st);
	return v;
}

static json_t *ticket(struct fx *fx, const char *extra)
{
	char body[512];
	snprintf(body, sizeof(body), "{\"subject\": \"Printer\", \"company_id\": %lld%s%s}",
		 (long long)fx->company, *extra ? ", " : "", extra);
	return create(fx, &ticket_resource, body, RC_OK);
}

static void numbers_history_and_hidden(void **state)
{
	struct fx *fx = *state;
	json_t *a = ticket(fx, ""), *b = ticket(fx, "");
	assert_string_equal(json_string_value(json_object_get(a, "number")), "T-000001");
	assert_string_equal(json_string_value(json_object_get(b, "number")), "T-000002");
	int64_t id = json_integer_value(json_object_get(a, "id"));
	/* after_write wrote the history in the same transaction */
	assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ?", id), 1);
	/* hidden columns are neither shown nor writable; kept ones are shown, not writable */
	assert_null(json_object_get(a, "notes_text"));
	assert_int_equal(update(fx, &ticket_resource, id, "{\"notes_text\": \"x\"}", NULL),
			 RC_INVALID);
	assert_true(json_is_integer(json_object_get(a, "sla_warnings")));
	assert_int_equal(update(fx, &ticket_resource, id, "{\"sla_warnings\": 3}", NULL),
			 RC_INVALID);
	/* present adds the sla object */
	assert_true(json_is_object(json_object_get(a, "sla")));
	assert_int_equal(update(fx, &ticket_resource, id, "{\"priority\": \"high\"}", NULL), RC_OK);
	assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ?"
				    " AND kind = 'priority'", id), 1);
	json_decref(a);
	json_decref(b);
}

static void transitions(void **state)
{
	struct fx *fx = *state;
	json_t *t = ticket(fx, "");
	int64_t id = json_integer_value(json_object_get(t, "id"));
	json_decref(t);
	assert_int_equal(update(fx, &ticket_resource, id, "{\"status\": \"closed\"}", NULL),
			 RC_CONFLICT);
	assert_int_equal(update(fx, &ticket_resource, id, "{\"status\": \"resolved\"}", NULL),
			 RC_INVALID);	/* no resolution */
	json_t *r;
	assert_int_equal(update(fx, &ticket_resource, id,
				"{\"status\": \"resolved\", \"resolution\": \"fixed\"}", &r), RC_OK);
	assert_true(json_is_string(json_object_get(r, "resolved_at")));
	json_decref(r);
	assert_int_equal(update(fx, &ticket_resource, id, "{\"status\": \"closed\"}", NULL), RC_OK);
	assert_int_equal(update(fx, &ticket_resource, id, "{\"subject\": \"x\"}", NULL), RC_CONFLICT);
	assert_int_equal(update(fx, &ticket_resource, id, "{\"status\": \"in_progress\"}", &r), RC_OK);
	assert_true(json_is_null(json_object_get(r, "resolved_at")));
	assert_true(json_is_null(json_object_get(r, "closed_at")));
	json_decref(r);
}

static void children_belong_to_their_parent(void **state)
{
	struct fx *fx = *state;
	json_t *a = ticket(fx, ""), *b = ticket(fx, "");
	int64_t ida = json_integer_value(json_object_get(a, "id"));
	int64_t idb = json_integer_value(json_object_get(b, "id"));
	json_decref(a);
	json_decref(b);
	fx->ctx.parent_id = ida;
	json_t *note = create(fx, &ticket_note_resource, "{\"body\": \"hello\"}", RC_OK);
	int64_t nid = json_integer_value(json_object_get(note, "id"));
	assert_int_equal(json_integer_value(json_object_get(note, "ticket_id")), ida);
	assert_int_equal(json_integer_value(json_object_get(note, "author_id")), fx->user);
	json_decref(note);
	json_t *got;
	assert_int_equal(t_get(&fx->ctx, &ticket_note_resource, nid, &got), RC_OK);
	json_decref(got);
	/* the same note through the other ticket does not exist */
	fx->ctx.parent_id = idb;
	assert_int_equal(t_get(&fx->ctx, &ticket_note_resource, nid, &got), RC_NOT_FOUND);
	assert_int_equal(update(fx, &ticket_note_resource, nid, "{\"body\": \"x\"}", NULL),
			 RC_NOT_FOUND);
	/* nor under a ticket that does not exist */
	fx->ctx.parent_id = 999999;
	json_decref(create(fx, &ticket_note_resource, "{\"body\": \"x\"}", RC_NOT_FOUND));
	fx->ctx.parent_id = 0;
}

static void parts_quantities_and_defaults(void **state)
{
	struct fx *fx = *state;
	json_t *p = create(fx, &product_resource,
			   "{\"sku\": \"F-1\", \"name\": \"Fuser\", \"kind\": \"equipment\","
			   " \"unit_cost\": 800, \"unit_price\": 1200}",
			   RC_OK);
	json_t *t = ticket(fx, "");
	fx->ctx.parent_id = json_integer_value(json_object_get(t, "id"));
	char body[128];
	snprintf(body, sizeof(body), "{\"product_id\": %lld, \"quantity\": 2.25}",
		 (long long)json_integer_value(json_object_get(p, "id")));
	json_t *part = create(fx, &part_resource, body, RC_OK);
	assert_true(json_real_value(json_object_get(part, "quantity")) == 2.25);
	assert_int_equal(json_integer_value(json_object_get(part, "unit_price")), 1200);
	assert_int_equal(scalar(fx, "SELECT quantity FROM ticket_parts WHERE id = ?",
				json_integer_value(json_object_get(part, "id"))), 2250);
	fx->ctx.parent_id = 0;
	json_decref(part);
	json_decref(t);
	json_decref(p);
}


/*
 * Walks every page of a companies search (query string pairs kv, a cursor
 * added); returns the ids seen in order into ids (at most max), and how many.
 */
static int walk_search(struct fx *fx, struct http_kv *kv, int nkv, int64_t *ids, int max)
{
	int n = 0;
	const char *cursor = NULL;
	for (int pages = 0; pages < 2000; pages++) {
		kv[nkv] = (struct http_kv){ "cursor", cursor };
		struct resource_query q;
		const char *err;
		if (resource_query_parse(&company_resource, 0, kv, nkv + (cursor != NULL), &q,
					 &fx->arena, &err) != 0)
			fail_msg("%s", err);
		json_t *data;
		const char *next;
		assert_int_equal(t_list(&fx->ctx, &company_resource, &q, &data, &next), RC_OK);
		size_t i;
		json_t *rec;
		json_array_foreach(data, i, rec) {
			assert_true(n < max);
			ids[n++] = json_integer_value(json_object_get(rec, "id"));
		}
		json_decref(data);
		cursor = next;
		if (!cursor)
			break;
	}
	return n;
}

/*
 * A search newest first lets the index lead; with a filter that turns
 * away most of its matches it stops after a window of them and goes on
 * from the filter's side: every match once, newest first, across pages.
 */
static void search_newest_first(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(db_exec(fx->db, "BEGIN"), RC_OK);
	for (int i = 0; i < 3000; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s %05d", i % 3 ? "Yak Printing" : "Other", i);
		/* a few of the oldest and one of the newest yaks are vendors */
		const char *kind = i % 3 && (i < 40 || i == 2990) ? "vendor" : "client";
		assert_int_equal(db_run(fx->db, NULL,
					"INSERT INTO companies (created_at, updated_at, name, kind)"
					" VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?, ?)",
					"ss", name, kind),
				 RC_DONE);
	}
	assert_int_equal(db_exec(fx->db, "COMMIT"), RC_OK);
	int64_t want[2000], got[2000];
	int nwant = 0;
	struct db_stmt *st;
	int rc = db_run(fx->db, &st, "SELECT id FROM companies WHERE name LIKE 'Yak %' ORDER BY id DESC", "");
	while (rc == RC_ROW) {
		want[nwant++] = db_col_int(st, 0);
		rc = db_step(st);
	}
	db_done(st);
	assert_int_equal(nwant, 2000);

	const char *sorts[] = { "-created_at", "-id" };
	for (size_t s = 0; s < sizeof(sorts) / sizeof(sorts[0]); s++) {
		struct http_kv kv[4] = { { "q", "yak" }, { "limit", "150" }, { "sort", sorts[s] } };
		int n = walk_search(fx, kv, 3, got, 2000);
		assert_int_equal(n, nwant);
		assert_memory_equal(got, want, sizeof(want[0]) * (size_t)n);
	}
	/* oldest first */
	struct http_kv up[4] = { { "q", "yak print" }, { "limit", "199" }, { "sort", "created_at" } };
	assert_int_equal(walk_search(fx, up, 3, got, 2000), nwant);
	for (int i = 0; i < nwant; i++)
		assert_int_equal(got[i], want[nwant - 1 - i]);
	/* the vendors among them: one in the window, the others far past it */
	struct http_kv vendors[5] = { { "q", "yak" }, { "kind", "vendor" }, { "limit", "3" },
				      { "sort", "-created_at" } };
	int n = walk_search(fx, vendors, 4, got, 2000);
	assert_int_equal(n, 27);
	for (int i = 1; i < n; i++)
		assert_true(got[i] < got[i - 1]);
	assert_int_equal(got[0], want[nwant - 1] + 2990 - 1);
	/* a word nobody has, and words that are not whole */
	struct http_kv none[4] = { { "q", "yakk" }, { "sort", "-created_at" } };
	assert_int_equal(walk_search(fx, none, 2, got, 2000), 0);
	struct http_kv part[4] = { { "q", "ya printing" }, { "sort", "-created_at" } };
	assert_int_equal(walk_search(fx, part, 2, got, 2000), 0);
}

/*
 * A word in many rows in another order than by id (by name): the matches
 * are sorted, the same rows, the same order, the same paging.
 */
static void search_common_word(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(db_exec(fx->db, "BEGIN"), RC_OK);
	for (int i = 0; i < 2600; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s %05d", i % 2 ? "Zebra Printing" : "Other", i);
		assert_int_equal(db_run(fx->db, NULL,
					"INSERT INTO companies (created_at, updated_at, name, kind)"
					" VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?,"
					" 'client')",
					"s", name),
				 RC_DONE);
	}
	assert_int_equal(db_exec(fx->db, "COMMIT"), RC_OK);
	/* walk every page: 1300 matches in name order, each once */
	int64_t seen = 0;
	char last[64] = "";
	const char *cursor = NULL;
	for (int pages = 0; pages < 20; pages++) {
		struct http_kv kv[3] = { { "q", "zebra" }, { "limit", "200" }, { "cursor", cursor } };
		struct resource_query q;
		const char *err;
		assert_int_equal(resource_query_parse(&company_resource, 0, kv, cursor ? 3 : 2, &q,
						      &fx->arena, &err), 0);
		json_t *data;
		const char *next;
		assert_int_equal(t_list(&fx->ctx, &company_resource, &q, &data, &next), RC_OK);
		size_t i;
		json_t *rec;
		json_array_foreach(data, i, rec) {
			const char *name = json_string_value(json_object_get(rec, "name"));
			assert_non_null(strstr(name, "Zebra"));
			assert_true(strcmp(last, name) < 0);
			snprintf(last, sizeof(last), "%s", name);
			seen++;
		}
		json_decref(data);
		cursor = next;
		if (!cursor)
			break;
	}
	assert_int_equal(seen, 1300);
}

/* ---- a new ticket's SLA clocks, worked out before its transaction ---- */

/* The response due time ticket_sla_update gives a new ticket (the plan in ctx, if any). */
static char *response_due(struct fx *fx, int64_t policy, const char *priority,
			  const char *status)
{
	json_t *rec = json_pack("{s:s, s:s, s:s, s:I}", "number", "T-000001", "priority",
				priority, "status", status, "sla_policy_id", (json_int_t)policy);
	assert_non_null(rec);
	if (strcmp(status, "in_progress") == 0)
		json_object_set_new(rec, "first_responded_at", json_string("2026-03-02T09:30:00Z"));
	assert_int_equal(ticket_sla_update(&fx->ctx, NULL, rec), RC_OK);
	const char *due = json_string_value(json_object_get(rec, "response_due_at"));
	char *out = strdup(due ? due : "none");
	json_decref(rec);
	return out;
}

/* Plans a new ticket's clocks as ticket_plan would (ctx->plan). */
static void plan(struct fx *fx, int64_t policy, const char *priority, const char *status)
{
	json_t *rec = json_pack("{s:s, s:s, s:I}", "priority", priority, "status", status,
				"sla_policy_id", (json_int_t)policy);
	assert_non_null(rec);
	fx->ctx.plan = NULL;
	ticket_sla_plan(&fx->ctx, rec);
	assert_non_null(fx->ctx.plan);
	json_decref(rec);
}

/*
 * ticket_sla_update takes the planned clocks only while the policy's row,
 * its calendar's and the ticket's inputs are what they were planned from;
 * either way the due times are those it computes itself from what is
 * there in the transaction.
 */
static void sla_plan_checked_in_the_transaction(void **state)
{
	struct fx *fx = *state;
	json_t *cal = create(fx, &calendar_resource,
			     "{\"name\": \"Office\", \"timezone\": \"Europe/Berlin\", \"hours\": ["
			     "{\"weekday\": 1, \"start\": \"09:00\", \"end\": \"17:00\"},"
			     "{\"weekday\": 2, \"start\": \"09:00\", \"end\": \"17:00\"}]}",
			     RC_OK);
	int64_t calendar = json_integer_value(json_object_get(cal, "id"));
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"name\": \"Gold\", \"calendar_id\": %lld, \"targets\": [{\"priority\":"
		 " \"high\", \"response_minutes\": 60, \"resolution_minutes\": 600}]}",
		 (long long)calendar);
	json_t *pol = create(fx, &sla_policy_resource, body, RC_OK);
	int64_t policy = json_integer_value(json_object_get(pol, "id"));
	json_decref(cal);
	json_decref(pol);
	/* Monday 2 March 2026, 08:00 in Berlin: the clock starts at 09:00 */
	const int64_t monday = 1772434800;
	fx->ctx.now = monday;

	fx->ctx.plan = NULL;
	char *fresh = response_due(fx, policy, "high", "new");
	assert_string_equal(fresh, "2026-03-02T09:00:00Z");
	plan(fx, policy, "high", "new");
	char *planned = response_due(fx, policy, "high", "new");
	assert_string_equal(planned, fresh);
	free(planned);

	/* other inputs than planned: computed for what the ticket is */
	plan(fx, policy, "high", "new");
	char *low = response_due(fx, policy, "low", "new");
	assert_string_equal(low, "none");
	free(low);
	plan(fx, policy, "high", "new");
	char *started = response_due(fx, policy, "high", "in_progress");
	fx->ctx.plan = NULL;
	char *started_fresh = response_due(fx, policy, "high", "in_progress");
	assert_string_equal(started, started_fresh);
	free(started);
	free(started_fresh);

	/* the policy changed after the plan: its new target counts */
	plan(fx, policy, "high", "new");
	snprintf(body, sizeof(body),
		 "{\"targets\": [{\"priority\": \"high\", \"response_minutes\": 30,"
		 " \"resolution_minutes\": 600}]}");
	assert_int_equal(update(fx, &sla_policy_resource, policy, body, NULL), RC_OK);
	fx->ctx.now = monday;	/* the engine's write set its own */
	char *changed = response_due(fx, policy, "high", "new");
	assert_string_equal(changed, "2026-03-02T08:30:00Z");
	free(changed);

	/* so did its calendar: its new hours count */
	plan(fx, policy, "high", "new");
	assert_int_equal(update(fx, &calendar_resource, calendar,
				"{\"hours\": [{\"weekday\": 1, \"start\": \"10:00\", \"end\":"
				" \"17:00\"}]}",
				NULL),
			 RC_OK);
	fx->ctx.now = monday;
	char *later = response_due(fx, policy, "high", "new");
	assert_string_equal(later, "2026-03-02T09:30:00Z");
	free(later);

	/* another time than planned (a retried write keeps its own) */
	plan(fx, policy, "high", "new");
	fx->ctx.now += 3600 * 24;
	char *tuesday = response_due(fx, policy, "high", "new");
	assert_string_equal(tuesday, "2026-03-09T09:30:00Z");
	free(tuesday);

	/* a ticket made through the engine gets the same */
	fx->ctx.plan = NULL;
	snprintf(body, sizeof(body), "{\"is_default\": true}");
	assert_int_equal(update(fx, &sla_policy_resource, policy, body, NULL), RC_OK);
	snprintf(body, sizeof(body),
		 "{\"subject\": \"Printer\", \"company_id\": %lld, \"priority\": \"high\"}",
		 (long long)fx->company);
	json_t *t = create(fx, &ticket_resource, body, RC_OK);
	assert_int_equal(json_integer_value(json_object_get(t, "sla_policy_id")), policy);
	json_t *made = json_pack("{s:s, s:s, s:I}", "priority", "high", "status", "new",
				 "sla_policy_id", (json_int_t)policy);
	int64_t created;
	assert_int_equal(time_parse(json_string_value(json_object_get(t, "created_at")), &created), 0);
	fx->ctx.now = created;
	fx->ctx.plan = NULL;
	assert_int_equal(ticket_sla_update(&fx->ctx, NULL, made), RC_OK);
	assert_true(json_equal(json_object_get(made, "response_due_at"),
			       json_object_get(t, "response_due_at")));
	assert_true(json_equal(json_object_get(made, "resolution_due_at"),
			       json_object_get(t, "resolution_due_at")));
	json_decref(made);
	json_decref(t);
	free(fresh);
}

int main(void)
{
	alloc_install_json();
	setenv("SERVIO_ARGON2_FAST", "1", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quantities),
		cmocka_unit_test(objects_and_hidden),
		cmocka_unit_test_setup_teardown(numbers_history_and_hidden, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(transitions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(children_belong_to_their_parent, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(parts_quantities_and_defaults, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(search_common_word, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(search_newest_first, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(sla_plan_checked_in_the_transaction, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
