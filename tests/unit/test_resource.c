/*
 * test_resource.c - the resource engine's pure parts: JSON body
 * validation against the field tables, list-query parsing and cursors.
 * (The database half is exercised through HTTP in tests/api.)
 */
#include "core/alloc.h"
#include "core/arena.h"
#include "crm/crm.h"
#include "http/http.h"
#include "resource/resource.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

/* Validates body (JSON text); returns the errors array (caller decrefs). */
static json_t *check(const struct resource *res, const char *text, bool create)
{
	json_error_t e;
	json_t *body = json_loads(text, 0, &e);
	assert_non_null(body);
	json_t *errors = json_array();
	int n = resource_validate(res, body, create, errors);
	assert_int_equal((size_t)n, json_array_size(errors));
	json_decref(body);
	return errors;
}

/* The message for field in errors, or NULL. */
static const char *message_for(json_t *errors, const char *field)
{
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
		if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
			return json_string_value(json_object_get(e, "message"));
	return NULL;
}

static void expect_error(const struct resource *res, const char *text, bool create,
			 const char *field, const char *contains)
{
	json_t *errors = check(res, text, create);
	const char *m = message_for(errors, field);
	if (!m)
		fail_msg("%s: no error for %s in %s", text, field, json_dumps(errors, 0));
	if (contains && !strstr(m, contains))
		fail_msg("%s: message \"%s\" lacks \"%s\"", text, m, contains);
	json_decref(errors);
}

static void expect_ok(const struct resource *res, const char *text, bool create)
{
	json_t *errors = check(res, text, create);
	if (json_array_size(errors))
		fail_msg("%s: unexpected errors %s", text, json_dumps(errors, 0));
	json_decref(errors);
}

static void validation(void **state)
{
	(void)state;
	const struct resource *co = &company_resource;
	expect_ok(co, "{\"name\": \"Acme\"}", true);
	expect_ok(co, "{\"name\": \"Acme\", \"kind\": \"partner\", \"email\": \"a@b.co\","
		      " \"website\": \"https://acme.example\", \"referred_by_id\": 3}", true);
	expect_error(co, "{}", true, "name", "required");
	expect_ok(co, "{}", false);			/* a patch may be empty */
	expect_error(co, "{\"name\": null}", false, "name", "cleared");
	expect_ok(co, "{\"phone\": null}", false);	/* optional fields clear */
	expect_error(co, "{\"name\": \"\"}", true, "name", "empty");
	expect_error(co, "{\"name\": 5}", true, "name", "string");
	expect_error(co, "{\"nmae\": \"typo\", \"name\": \"x\"}", true, "nmae", "not a field");
	expect_error(co, "{\"id\": 1, \"name\": \"x\"}", true, "id", "read-only");
	expect_error(co, "{\"version\": 2}", false, "version", "read-only");
	expect_error(co, "{\"created_at\": \"2026-01-01T00:00:00Z\"}", false, "created_at",
		     "read-only");
	expect_error(co, "{\"name\": \"x\", \"kind\": \"alien\"}", true, "kind",
		     "client, prospect, partner, vendor");
	expect_error(co, "{\"name\": \"x\", \"email\": \"not-an-address\"}", true, "email", "e-mail");
	expect_error(co, "{\"name\": \"x\", \"website\": \"ftp://x.org\"}", true, "website", "URL");
	expect_error(co, "{\"name\": \"x\", \"website\": \"javascript:alert(1)\"}", true,
		     "website", "URL");
	expect_error(co, "{\"name\": \"x\", \"referred_by_id\": \"3\"}", true, "referred_by_id",
		     "integer");
	expect_error(co, "{\"name\": \"x\", \"referred_by_id\": 0}", true, "referred_by_id",
		     "positive");
	expect_error(co, "{\"name\": \"a\\u0001b\"}", true, "name", "control");
	/* length in characters, not bytes: 200 two-byte letters fit, 201 do not */
	char text[1024];
	strcpy(text, "{\"name\": \"");
	for (int i = 0; i < 200; i++)
		strcat(text, "é");
	strcat(text, "\"}");
	expect_ok(co, text, true);
	text[strlen(text) - 2] = '\0';
	strcat(text, "é\"}");
	expect_error(co, text, true, "name", "at most 200");

	const struct resource *ct = &contact_resource;
	expect_error(ct, "{\"first_name\": \"A\", \"last_name\": \"B\"}", true, "company_id",
		     "required");
	expect_error(ct, "{\"company_id\": 1, \"first_name\": \"A\", \"last_name\": \"B\","
			 " \"portal_access\": \"yes\"}", true, "portal_access", "true or false");

	const struct resource *si = &site_resource;
	expect_ok(si, "{\"company_id\": 1, \"name\": \"HQ\", \"timezone\": \"Europe/Berlin\"}", true);
	expect_error(si, "{\"company_id\": 1, \"name\": \"HQ\", \"timezone\": \"Mars/Base\"}", true,
		     "timezone", "IANA");
	expect_error(si, "{\"company_id\": 1, \"name\": \"HQ\", \"timezone\": \"../etc/passwd\"}",
		     true, "timezone", "IANA");
	expect_error(si, "{\"company_id\": 1, \"name\": \"HQ\", \"timezone\": \"leapseconds\"}",
		     true, "timezone", "IANA");
	expect_error(si, "{\"company_id\": 1, \"name\": \"HQ\", \"country\": \"DEU\"}", true,
		     "country", "at most 2");

	const struct resource *as = &asset_resource;
	expect_error(as, "{\"company_id\": 1, \"name\": \"P\", \"kind\": \"printer\","
			 " \"warranty_expires_on\": \"2026-02-30\"}", true, "warranty_expires_on",
		     "YYYY-MM-DD");
	expect_error(as, "{\"company_id\": 1, \"name\": \"P\"}", true, "kind", "required");

	/* the audit log cannot be written at all */
	expect_error(&audit_resource, "{\"action\": \"x\"}", true, "action", "read-only");

	/* not an object */
	json_t *errors = json_array();
	json_t *arr = json_array();
	assert_int_equal(resource_validate(co, arr, true, errors), 1);
	json_decref(arr);
	json_decref(errors);
}

/* Parses "a=1&b=2" as the HTTP layer would, then as a list query. */
static int parse(const struct resource *res, const char *qs, struct resource_query *q,
		 struct arena *a, const char **err)
{
	struct http_kv kv[HTTP_MAX_QUERY];
	int n = http_query_parse(qs, a, kv, HTTP_MAX_QUERY);
	assert_true(n >= 0);
	return resource_query_parse(res, kv, n, q, a, err);
}

static void expect_query_error(const char *qs, const char *contains)
{
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err = NULL;
	if (parse(&company_resource, qs, &q, &a, &err) == 0)
		fail_msg("%s: accepted", qs);
	if (!strstr(err, contains))
		fail_msg("%s: \"%s\" lacks \"%s\"", qs, err, contains);
	arena_release(&a);
}

static void list_queries(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&company_resource, "", &q, &a, &err), 0);
	assert_int_equal(q.limit, 50);
	assert_string_equal(q.sort_column, "name");
	assert_false(q.sort_desc);
	assert_int_equal(q.archived, ARCHIVED_NO);

	assert_int_equal(parse(&company_resource, "kind=client,partner&sort=-created_at&limit=200"
				"&q=acme+printing&archived=all", &q, &a, &err), 0);
	assert_int_equal(q.nfilters, 1);
	assert_int_equal(q.filters[0].nvalues, 2);
	assert_string_equal(q.filters[0].values[1], "partner");
	assert_string_equal(q.sort_column, "created_at");
	assert_true(q.sort_desc);
	assert_int_equal(q.limit, 200);
	assert_string_equal(q.q, "acme printing");
	assert_int_equal(q.archived, ARCHIVED_ALL);

	assert_int_equal(parse(&company_resource, "created_at_after=2026-01-01&"
				"updated_at_before=2026-02-01T10:00:00%2B01:00", &q, &a, &err), 0);
	assert_int_equal(q.filters[0].op, FILTER_AFTER);
	assert_string_equal(q.filters[0].values[0], "2026-01-01T00:00:00Z");
	assert_string_equal(q.filters[1].values[0], "2026-02-01T09:00:00Z");

	assert_int_equal(parse(&asset_resource, "warranty_expires_on_before=2027-01-01&id=1,2,3",
			       &q, &a, &err), 0);
	assert_int_equal(parse(&contact_resource, "portal_access=true", &q, &a, &err), 0);
	assert_string_equal(q.filters[0].values[0], "1");
	arena_release(&a);

	expect_query_error("bogus=1", "unknown query parameter \"bogus\"");
	expect_query_error("kind=client&kind=vendor", "twice");
	expect_query_error("kind=alien", "alien");
	expect_query_error("referred_by_id=abc", "not an integer");
	expect_query_error("limit=0", "limit");
	expect_query_error("limit=201", "limit");
	expect_query_error("limit=ten", "limit");
	expect_query_error("sort=phone", "cannot sort");
	expect_query_error("sort=-bogus", "cannot sort");
	expect_query_error("archived=maybe", "archived");
	expect_query_error("created_at_after=yesterday", "RFC 3339");
	expect_query_error("phone_after=2026-01-01", "unknown");
	expect_query_error("kind=", "needs a value");
	expect_query_error("kind=client,,vendor", "empty value");
	expect_query_error("cursor=garbage", "cursor is malformed");
	expect_query_error("q=%FF", "UTF-8");

	/* q is for searchable resources only */
	arena_init(&a);
	assert_int_equal(parse(&audit_resource, "q=x", &q, &a, &err), -1);
	assert_int_equal(parse(&audit_resource, "resource=companies&record_id=3&sort=-id", &q, &a,
			       &err), 0);
	arena_release(&a);
}

static void cursors(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	const char *values[] = { "Acme", "", "with,comma", "Ünicode 日本", "x\x1fy", NULL };
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char *c = resource_cursor_encode(&a, "-name", values[i], 12345);
		assert_non_null(c);
		for (const char *p = c; *p; p++)	/* URL-safe as it stands */
			assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					       "0123456789-_", *p));
		const char *key, *value;
		int64_t id;
		assert_int_equal(resource_cursor_decode(&a, c, &key, &value, &id), 0);
		assert_string_equal(key, "-name");
		assert_int_equal(id, 12345);
		if (values[i])
			assert_string_equal(value, values[i]);
		else
			assert_null(value);
	}
	const char *key, *value;
	int64_t id;
	const char *bad[] = { "", "!!!", "bm90IGEgY3Vyc29y", "YQ", "YR9uHy0x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(resource_cursor_decode(&a, bad[i], &key, &value, &id), -1);
	char huge[2000];
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(resource_cursor_decode(&a, huge, &key, &value, &id), -1);

	/* a cursor made for one sort is refused by another */
	char *c = resource_cursor_encode(&a, "name", "Acme", 7);
	char qs[256];
	snprintf(qs, sizeof(qs), "sort=-created_at&cursor=%s", c);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), -1);
	assert_non_null(strstr(err, "made for sort"));
	snprintf(qs, sizeof(qs), "sort=name&cursor=%s", c);
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), 0);
	assert_true(q.has_cursor);
	assert_int_equal(q.cursor_id, 7);
	assert_string_equal(q.cursor_value, "Acme");
	arena_release(&a);
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validation),
		cmocka_unit_test(list_queries),
		cmocka_unit_test(cursors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
