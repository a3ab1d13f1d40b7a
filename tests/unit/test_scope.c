/*
 * test_scope.c - the engine's declared rules on a real (SQLite) database:
 * row scoping by company (what a client portal contact will see), field
 * masks by role, trusted writes, bookkeeping columns, action tables and the
 * event outbox. The portal has no routes yet, so the scope is set on the
 * context here exactly as its handlers will set it.
 */
#include "auth/auth.h"
#include "catalog/catalog.h"
#include "core/alloc.h"
#include "crm/crm.h"
#include "db/db.h"
#include "http/http.h"
#include "resource/resource.h"
#include "service/service.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char tmpdir[] = "/tmp/servio-test-scope-XXXXXX";
static int counter;

struct fx {
	struct db *db;
	struct arena arena;
	struct audit_actor actor;
	struct resource_ctx staff;	/* an admin: no scope */
	struct resource_ctx client;	/* scoped to company a */
	int64_t a, b;			/* two client companies */
	int64_t contact_a, contact_b, site_a, site_b, ticket_a, ticket_b, note_a, note_b;
};

static json_t *body_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *body_of(const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_t *j = json_loads(text, 0, NULL);
	if (!j)
		fail_msg("bad test JSON: %s", text);
	return j;
}

/* Creates as ctx and returns the result; *out gets the record's id on RC_OK. */
static int create_as(struct fx *fx, struct resource_ctx *ctx, const struct resource *res,
		     json_t *body, int64_t *id, json_t **errors)
{
	json_t *out = NULL, *errs = NULL;
	int rc = resource_create(ctx, res, arena_json(&fx->arena, body), &out, &errs);
	if (id)
		*id = rc == RC_OK ? json_integer_value(json_object_get(out, "id")) : 0;
	if (errors)
		*errors = errs;
	return rc;
}

static int64_t made(struct fx *fx, struct resource_ctx *ctx, const struct resource *res,
		    json_t *body)
{
	int64_t id;
	json_t *errors = NULL;
	int rc = create_as(fx, ctx, res, body, &id, &errors);
	if (rc != RC_OK) {
		char *e = errors ? json_dumps(errors, 0) : NULL;
		fail_msg("create %s: %d %s", res->name, rc, e ? e : "");
	}
	return id;
}

static const char *first_field(json_t *errors)
{
	return json_string_value(json_object_get(json_array_get(errors, 0), "field"));
}

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char url[256], err[256];
	snprintf(url, sizeof(url), "sqlite:%s/scope-%d.db", tmpdir, ++counter);
	if (!fx || db_connect(url, &fx->db, err, sizeof(err)) != RC_OK ||
	    db_migrate(fx->db, false) != RC_OK)
		return -1;
	arena_init(&fx->arena);
	fx->actor = (struct audit_actor){ .label = "test", .role = ROLE_ADMIN };
	fx->staff = (struct resource_ctx){ .db = fx->db, .arena = &fx->arena, .actor = &fx->actor };
	*state = fx;
	fx->a = made(fx, &fx->staff, &company_resource, body_of("{\"name\": \"Acme\"}"));
	fx->b = made(fx, &fx->staff, &company_resource, body_of("{\"name\": \"Globex\"}"));
	fx->contact_a = made(fx, &fx->staff, &contact_resource,
			     body_of("{\"company_id\": %lld, \"first_name\": \"Ann\","
				     " \"last_name\": \"A\"}", (long long)fx->a));
	fx->contact_b = made(fx, &fx->staff, &contact_resource,
			     body_of("{\"company_id\": %lld, \"first_name\": \"Bo\","
				     " \"last_name\": \"B\"}", (long long)fx->b));
	fx->site_a = made(fx, &fx->staff, &site_resource,
			  body_of("{\"company_id\": %lld, \"name\": \"HQ\"}", (long long)fx->a));
	fx->site_b = made(fx, &fx->staff, &site_resource,
			  body_of("{\"company_id\": %lld, \"name\": \"Depot\"}", (long long)fx->b));
	fx->ticket_a = made(fx, &fx->staff, &ticket_resource,
			    body_of("{\"company_id\": %lld, \"subject\": \"Printer\"}",
				    (long long)fx->a));
	fx->ticket_b = made(fx, &fx->staff, &ticket_resource,
			    body_of("{\"company_id\": %lld, \"subject\": \"Router\"}",
				    (long long)fx->b));
	struct resource_ctx on = fx->staff;
	on.parent_id = fx->ticket_a;
	fx->note_a = made(fx, &on, &ticket_note_resource,
			  body_of("{\"body\": \"toner low\", \"visibility\": \"public\"}"));
	on.parent_id = fx->ticket_b;
	fx->note_b = made(fx, &on, &ticket_note_resource, body_of("{\"body\": \"secret B\"}"));
	/* the portal contact of company a: no role masks of staff, its company's rows only */
	fx->client = fx->staff;
	fx->client.scope_company = fx->a;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;
	arena_release(&fx->arena);
	db_disconnect(fx->db);
	free(fx);
	return 0;
}

/* The ids of a full list as ctx sees it. */
static size_t list_ids(struct fx *fx, struct resource_ctx *ctx, const struct resource *res,
		       int64_t *ids, size_t max)
{
	struct resource_query q;
	const char *err;
	assert_int_equal(resource_query_parse(res, 0, NULL, 0, &q, &fx->arena, &err), 0);
	q.limit = 200;
	json_t *data;
	const char *next;
	int rc = resource_list(ctx, res, &q, &data, &next);
	if (rc != RC_OK)
		return (size_t)-1;
	size_t n = 0, i;
	json_t *rec;
	json_array_foreach(data, i, rec)
		if (n < max)
			ids[n++] = json_integer_value(json_object_get(rec, "id"));
	return n;
}

static void lists_hold_only_the_callers_company(void **state)
{
	struct fx *fx = *state;
	int64_t ids[16];
	assert_int_equal(list_ids(fx, &fx->client, &company_resource, ids, 16), 1);
	assert_int_equal(ids[0], fx->a);
	assert_int_equal(list_ids(fx, &fx->client, &contact_resource, ids, 16), 1);
	assert_int_equal(ids[0], fx->contact_a);
	assert_int_equal(list_ids(fx, &fx->client, &ticket_resource, ids, 16), 1);
	assert_int_equal(ids[0], fx->ticket_a);
	/* records of no company are nobody's in a scope */
	assert_int_equal(list_ids(fx, &fx->client, &user_resource, ids, 16), 0);
	assert_int_equal(list_ids(fx, &fx->client, &product_resource, ids, 16), 0);
	/* staff see both */
	assert_int_equal(list_ids(fx, &fx->staff, &ticket_resource, ids, 16), 2);
	/* children through their parent: a's notes; b's ticket does not exist here */
	struct resource_ctx on = fx->client;
	on.parent_id = fx->ticket_a;
	assert_int_equal(list_ids(fx, &on, &ticket_note_resource, ids, 16), 1);
	assert_int_equal(ids[0], fx->note_a);
	on.parent_id = fx->ticket_b;
	assert_int_equal(list_ids(fx, &on, &ticket_note_resource, ids, 16), (size_t)-1);
}

static void another_companys_records_do_not_exist(void **state)
{
	struct fx *fx = *state;
	json_t *out;
	assert_int_equal(resource_get(&fx->client, &contact_resource, fx->contact_a, &out), RC_OK);
	assert_int_equal(resource_get(&fx->client, &contact_resource, fx->contact_b, &out),
			 RC_NOT_FOUND);
	assert_int_equal(resource_get(&fx->client, &ticket_resource, fx->ticket_b, &out),
			 RC_NOT_FOUND);
	assert_int_equal(resource_get(&fx->client, &company_resource, fx->b, &out), RC_NOT_FOUND);
	struct resource_ctx on = fx->client;
	on.parent_id = fx->ticket_b;
	assert_int_equal(resource_get(&on, &ticket_note_resource, fx->note_b, &out), RC_NOT_FOUND);
	/* nor can they be written, archived or acted on */
	json_t *errors = NULL;
	json_t *patch = arena_json(&fx->arena, body_of("{\"subject\": \"mine now\"}"));
	assert_int_equal(resource_update(&fx->client, &ticket_resource, fx->ticket_b, patch,
					 RESOURCE_ANY_VERSION, &out, &errors), RC_NOT_FOUND);
	assert_int_equal(resource_archive(&fx->client, &contact_resource, fx->contact_b,
					  RESOURCE_ANY_VERSION, true, &out, &errors), RC_NOT_FOUND);
	const struct resource_action *resolve = resource_action(&ticket_resource, "resolve");
	assert_non_null(resolve);
	json_t *why = arena_json(&fx->arena, body_of("{\"resolution\": \"done\"}"));
	assert_int_equal(resource_act(&fx->client, &ticket_resource, resolve, fx->ticket_b, why,
				      RESOURCE_ANY_VERSION, &out, &errors), RC_NOT_FOUND);
	/* staff are not scoped */
	assert_int_equal(resource_get(&fx->staff, &ticket_resource, fx->ticket_b, &out), RC_OK);
	/* the scoped caller's own record changes as usual */
	assert_int_equal(resource_act(&fx->client, &ticket_resource, resolve, fx->ticket_a, why,
				      RESOURCE_ANY_VERSION, &out, &errors), RC_OK);
	assert_string_equal(json_string_value(json_object_get(out, "status")), "resolved");
}

static void bodies_may_name_only_the_callers_records(void **state)
{
	struct fx *fx = *state;
	json_t *errors;
	int64_t id;
	/* a new record is of the caller's company without saying so... */
	assert_int_equal(create_as(fx, &fx->client, &contact_resource,
				   body_of("{\"first_name\": \"Cy\", \"last_name\": \"C\"}"), &id,
				   &errors), RC_OK);
	json_t *c;
	assert_int_equal(resource_get(&fx->staff, &contact_resource, id, &c), RC_OK);
	assert_int_equal(json_integer_value(json_object_get(c, "company_id")), fx->a);
	/* ...and never of another */
	assert_int_equal(create_as(fx, &fx->client, &contact_resource,
				   body_of("{\"company_id\": %lld, \"first_name\": \"Eve\","
					   " \"last_name\": \"E\"}", (long long)fx->b),
				   &id, &errors), RC_INVALID);
	assert_string_equal(first_field(errors), "company_id");
	/* a ticket of a's may not point at b's site (the portal opening a ticket) */
	assert_int_equal(create_as(fx, &fx->client, &ticket_resource,
				   body_of("{\"subject\": \"Help\", \"site_id\": %lld}",
					   (long long)fx->site_b),
				   &id, &errors), RC_INVALID);
	assert_string_equal(first_field(errors), "site_id");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(errors, 0),
								  "message")),
			       "refers to no site"));
	assert_int_equal(create_as(fx, &fx->client, &ticket_resource,
				   body_of("{\"subject\": \"Help\", \"site_id\": %lld}",
					   (long long)fx->site_a),
				   &id, &errors), RC_OK);
	/* moving one's ticket to another company is naming a company one cannot see */
	json_t *out;
	json_t *patch = arena_json(&fx->arena, body_of("{\"company_id\": %lld}", (long long)fx->b));
	assert_int_equal(resource_update(&fx->client, &ticket_resource, fx->ticket_a, patch,
					 RESOURCE_ANY_VERSION, &out, &errors), RC_INVALID);
	assert_string_equal(first_field(errors), "company_id");
}

static void the_same_company_is_declared_once(void **state)
{
	struct fx *fx = *state;
	json_t *errors;
	int64_t id;
	/* for staff too: a's ticket with b's contact and site */
	assert_int_equal(create_as(fx, &fx->staff, &ticket_resource,
				   body_of("{\"company_id\": %lld, \"subject\": \"x\","
					   " \"contact_id\": %lld, \"site_id\": %lld}",
					   (long long)fx->a, (long long)fx->contact_b,
					   (long long)fx->site_b),
				   &id, &errors), RC_INVALID);
	assert_int_equal(json_array_size(errors), 2);
	/* a note's contact is of its ticket's company (company_via) */
	struct resource_ctx on = fx->staff;
	on.parent_id = fx->ticket_a;
	assert_int_equal(create_as(fx, &on, &ticket_note_resource,
				   body_of("{\"body\": \"said so\", \"contact_id\": %lld}",
					   (long long)fx->contact_b),
				   &id, &errors), RC_INVALID);
	assert_string_equal(first_field(errors), "contact_id");
	assert_int_equal(create_as(fx, &on, &ticket_note_resource,
				   body_of("{\"body\": \"said so\", \"contact_id\": %lld}",
					   (long long)fx->contact_a),
				   &id, &errors), RC_OK);
	int64_t company;
	assert_int_equal(resource_company_of(&fx->staff, &ticket_note_resource, id, &company),
			 RC_OK);
	assert_int_equal(company, fx->a);
}

static int64_t scalar(struct fx *fx, const char *sql, int64_t arg)
{
	struct db_stmt *st;
	assert_int_equal(db_run(fx->db, &st, sql, "i", arg), RC_ROW);
	int64_t v = db_col_int(st, 0);
	db_done(st);
	return v;
}

static void masks_follow_the_role(void **state)
{
	struct fx *fx = *state;
	int64_t p = made(fx, &fx->staff, &product_resource,
			 body_of("{\"sku\": \"T-1\", \"name\": \"Toner\", \"kind\": \"equipment\","
				 " \"unit_cost\": 100, \"unit_price\": 150}"));
	struct audit_actor tech = fx->actor;
	tech.role = ROLE_TECHNICIAN;
	struct resource_ctx as_tech = fx->staff;
	as_tech.actor = &tech;
	json_t *out;
	assert_int_equal(resource_get(&as_tech, &product_resource, p, &out), RC_OK);
	assert_null(json_object_get(out, "unit_price"));
	assert_null(json_object_get(out, "markup_bp"));
	assert_non_null(json_object_get(out, "sku"));
	assert_int_equal(resource_get(&fx->staff, &product_resource, p, &out), RC_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "markup_bp")), 5000);
	struct http_kv kv[] = { { "sort", "unit_cost" } };
	struct resource_query q;
	const char *err;
	assert_int_equal(resource_query_parse(&product_resource, ROLE_TECHNICIAN, kv, 1, &q,
					      &fx->arena, &err), -1);
	assert_int_equal(resource_query_parse(&product_resource, ROLE_MANAGER, kv, 1, &q,
					      &fx->arena, &err), 0);
	/* a trusted write is the server's: no masks */
	struct resource_ctx trusted = as_tech;
	trusted.trusted = true;
	assert_int_equal(resource_get(&trusted, &product_resource, p, &out), RC_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "unit_price")), 150);
}

static void trusted_writes_and_bookkeeping(void **state)
{
	struct fx *fx = *state;
	json_t *out, *errors = NULL;
	/* a read-only field is the server's to set, audited like any change */
	json_t *patch = arena_json(&fx->arena, body_of("{\"external_reference\": \"V-1\","
						       " \"paused_minutes\": 7}"));
	assert_int_equal(resource_update(&fx->staff, &ticket_resource, fx->ticket_a, patch,
					 RESOURCE_ANY_VERSION, &out, &errors), RC_INVALID);
	int64_t audits = scalar(fx, "SELECT COUNT(*) FROM audit_log WHERE record_id = ?"
				    " AND resource = 'tickets'", fx->ticket_a);
	patch = arena_json(&fx->arena, body_of("{\"merged_into_id\": %lld}",
					       (long long)fx->ticket_a));
	assert_int_equal(resource_update_trusted(&fx->staff, &ticket_resource, fx->ticket_b, patch,
						 &out, &errors), RC_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "merged_into_id")), fx->ticket_a);
	assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_log WHERE record_id = ?"
				    " AND resource = 'tickets' AND action = 'update'", fx->ticket_b), 1);
	/* hidden columns alone are bookkeeping: no new version, no audit entry */
	int64_t version = scalar(fx, "SELECT version FROM tickets WHERE id = ?", fx->ticket_a);
	patch = arena_json(&fx->arena, body_of("{\"sla_warnings\": 3}"));
	assert_int_equal(resource_update_trusted(&fx->staff, &ticket_resource, fx->ticket_a, patch,
						 &out, &errors), RC_OK);
	assert_int_equal(scalar(fx, "SELECT sla_warnings FROM tickets WHERE id = ?", fx->ticket_a),
			 3);
	assert_int_equal(scalar(fx, "SELECT version FROM tickets WHERE id = ?", fx->ticket_a),
			 version);
	assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_log WHERE record_id = ?"
				    " AND resource = 'tickets'", fx->ticket_a), audits);
	/* and never a caller's */
	assert_int_equal(resource_update(&fx->staff, &ticket_resource, fx->ticket_a, patch,
					 RESOURCE_ANY_VERSION, &out, &errors), RC_INVALID);
}

static void actions_check_where_they_start(void **state)
{
	struct fx *fx = *state;
	json_t *out, *errors = NULL;
	const struct resource_action *close = resource_action(&ticket_resource, "close");
	assert_non_null(close);
	assert_null(resource_action(&ticket_resource, "frobnicate"));
	assert_int_equal(resource_act(&fx->staff, &ticket_resource, close, fx->ticket_a, NULL,
				      RESOURCE_ANY_VERSION, &out, &errors), RC_CONFLICT);
	const char *msg = json_string_value(json_object_get(json_array_get(errors, 0), "message"));
	assert_non_null(strstr(msg, "only one that is resolved"));
	/* a stale version is refused before anything is applied */
	const struct resource_action *resolve = resource_action(&ticket_resource, "resolve");
	json_t *why = arena_json(&fx->arena, body_of("{\"resolution\": \"done\"}"));
	assert_int_equal(resource_act(&fx->staff, &ticket_resource, resolve, fx->ticket_a, why, 99,
				      &out, &errors), RC_STALE);
	/* the body is checked against the action's fields */
	json_t *bad = arena_json(&fx->arena, body_of("{\"resolution\": 5, \"extra\": true}"));
	assert_int_equal(resource_act(&fx->staff, &ticket_resource, resolve, fx->ticket_a, bad,
				      RESOURCE_ANY_VERSION, &out, &errors), RC_INVALID);
	assert_int_equal(json_array_size(errors), 2);
	assert_int_equal(resource_act(&fx->staff, &ticket_resource, resolve, fx->ticket_a, why,
				      RESOURCE_ANY_VERSION, &out, &errors), RC_OK);
	/* one audit entry named after the action, one event */
	assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_log WHERE record_id = ?"
				    " AND resource = 'tickets' AND action = 'resolve'", fx->ticket_a),
			 1);
	assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM events WHERE record_id = ?"
				    " AND type = 'ticket.resolved'", fx->ticket_a), 1);
	assert_int_equal(resource_act(&fx->staff, &ticket_resource, close, fx->ticket_a, NULL,
				      RESOURCE_ANY_VERSION, &out, &errors), RC_OK);
	assert_string_equal(json_string_value(json_object_get(out, "status")), "closed");
}

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

int main(void)
{
	alloc_install_json();
	setenv("SERVIO_ARGON2_FAST", "1", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lists_hold_only_the_callers_company, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(another_companys_records_do_not_exist, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(bodies_may_name_only_the_callers_records, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(the_same_company_is_declared_once, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(masks_follow_the_role, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(trusted_writes_and_bookkeeping, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(actions_check_where_they_start, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
