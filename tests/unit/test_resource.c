/*
 * test_resource.c - the resource engine: body validation against the field
 * tables (the CRM tables, the audit log, and a table with every field
 * type), list-query parsing, cursors, and then the engine itself (create,
 * get, update, archive, references, conflicts, audit entries, filters,
 * search and keyset paging) against a migrated SQLite database in a
 * temporary directory.
 */
#include "core/alloc.h"
#include "core/arena.h"
#include "core/timeutil.h"
#include "crm/crm.h"
#include "db/db.h"
#include "http/http.h"
#include "resource/audit.h"
#include "resource/resource.h"

#include <dirent.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* A resource with one field of every type, for validation only.       */

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

static int t_archive(struct resource_ctx *ctx, const struct resource *res, int64_t id,
		     int64_t version, bool archive, json_t **out)
{
	json_t *errors = NULL;
	int rc = resource_archive(ctx, res, id, version, archive, out, &errors);
	if (rc == RC_OK)
		json_incref(*out);
	return rc;
}

static const char *const colors[] = { "red", "green", NULL };

static const struct field every_fields[] = {
	FIELD_TEXT("title", F_REQUIRED, 2, 10),
	FIELD_INT("count", 0, -5, 5),
	FIELD_MONEY("price", 0),
	FIELD_BOOL("flag", 0, NULL),
	FIELD_ENUM("color", 0, colors, NULL),
	FIELD_REF("parent_id", 0, &company_resource),
	FIELD_DATE("due_on", 0),
	FIELD_TIME("due_at", 0),
	FIELD_EMAIL("email", 0),
	FIELD_URL("url", 0),
	FIELD_TIMEZONE("tz", 0),
	FIELD_STRINGS("tags", 0, 3, 5),
	FIELD_JSON("extra", 0),
	FIELD_TEXT("stamp", F_READ_ONLY, 1, 10),
	FIELD_TEXT("secret", F_WRITE_ONLY, 1, 10),
	FIELD_END
};

static const struct resource every_resource = {
	.name = "everything",
	.singular = "thing",
	.table = "nothing",
	.fields = every_fields,
	.default_sort = "title",
};

/* ------------------------------------------------------------------ */
/* Validation helpers                                                  */

static json_t *parse_json(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	if (!v)
		fail_msg("bad test JSON %s: %s", text, e.text);
	return v;
}

/* Validates body (JSON text); returns the errors array (caller decrefs). */
static json_t *check(const struct resource *res, const char *text, bool create)
{
	json_t *body = parse_json(text);
	json_t *errors = json_array();
	int n = resource_validate(res, body, create, errors);
	assert_int_equal((size_t)n, json_array_size(errors));
	/* every entry is {field: string, message: non-empty string} */
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e) {
		assert_true(json_is_string(json_object_get(e, "field")));
		assert_true(json_is_string(json_object_get(e, "message")));
		assert_true(strlen(json_string_value(json_object_get(e, "message"))) > 0);
	}
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
	if (!m) {
		char *dump = json_dumps(errors, 0);
		fail_msg("%s: no error for \"%s\" in %s", text, field, dump);
	}
	if (contains && !strstr(m, contains))
		fail_msg("%s: message \"%s\" lacks \"%s\"", text, m, contains);
	json_decref(errors);
}

/* Exactly one error, for field. */
static void expect_only_error(const struct resource *res, const char *text, bool create,
			      const char *field, const char *contains)
{
	json_t *errors = check(res, text, create);
	if (json_array_size(errors) != 1) {
		char *dump = json_dumps(errors, 0);
		fail_msg("%s: want one error for %s, got %s", text, field, dump);
	}
	json_decref(errors);
	expect_error(res, text, create, field, contains);
}

static void expect_ok(const struct resource *res, const char *text, bool create)
{
	json_t *errors = check(res, text, create);
	if (json_array_size(errors)) {
		char *dump = json_dumps(errors, 0);
		fail_msg("%s: unexpected errors %s", text, dump);
	}
	json_decref(errors);
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */

static void validate_basics(void **state)
{
	(void)state;
	const struct resource *co = &company_resource;
	expect_ok(co, "{\"name\": \"Acme\"}", true);
	expect_ok(co, "{\"name\": \"Acme\", \"kind\": \"partner\", \"email\": \"a@b.co\","
		      " \"website\": \"https://acme.example\", \"referred_by_id\": 3,"
		      " \"phone\": \"+1 555\", \"lead_source\": \"fair\", \"notes\": \"\"}", true);
	expect_ok(co, "{}", false);			/* a patch may be empty */
	expect_ok(co, "{\"kind\": \"vendor\"}", false);	/* and need not name required fields */
	expect_only_error(co, "{}", true, "name", "required");
	expect_only_error(co, "{\"kind\": \"client\"}", true, "name", "required");
	assert_non_null(resource_field(co, "name"));
	assert_int_equal(resource_field(co, "kind")->type, FT_ENUM);
	assert_null(resource_field(co, "nmae"));
	assert_null(resource_field(co, "id"));
}

static void validate_unknown_fields(void **state)
{
	(void)state;
	const struct resource *co = &company_resource;
	expect_only_error(co, "{\"nmae\": \"typo\", \"name\": \"x\"}", true, "nmae",
			  "is not a field of company");
	expect_error(co, "{\"Name\": \"x\"}", false, "Name", "not a field");	/* case matters */
	expect_error(co, "{\"\": 1}", false, "", "not a field");
	/* every unknown field is named */
	json_t *errors = check(co, "{\"a\": 1, \"b\": 2, \"name\": \"x\", \"c\": null}", true);
	assert_int_equal(json_array_size(errors), 3);
	assert_non_null(message_for(errors, "a"));
	assert_non_null(message_for(errors, "b"));
	assert_non_null(message_for(errors, "c"));
	json_decref(errors);
	expect_error(&contact_resource, "{\"name\": \"x\"}", false, "name",
		     "is not a field of contact");
	expect_error(&asset_resource, "{\"timezone\": \"UTC\"}", false, "timezone",
		     "is not a field of asset");
}

static void validate_read_only(void **state)
{
	(void)state;
	const char *cols[] = { "id", "version", "created_at", "updated_at", "archived_at" };
	const char *values[] = { "1", "null", "\"2026-01-01T00:00:00Z\"", "{}" };
	const struct resource *all[] = { &company_resource, &contact_resource, &site_resource,
					 &asset_resource };
	for (size_t r = 0; r < N_ELEMS(all); r++)
		for (size_t c = 0; c < N_ELEMS(cols); c++)
			for (size_t v = 0; v < N_ELEMS(values); v++)
				for (int create = 0; create < 2; create++) {
					char text[128];
					snprintf(text, sizeof(text), "{\"%s\": %s}", cols[c],
						 values[v]);
					expect_error(all[r], text, create, cols[c], "read-only");
				}
	/* a read-only field of the table too, even when null */
	expect_only_error(&every_resource, "{\"stamp\": \"x\"}", false, "stamp", "read-only");
	expect_only_error(&every_resource, "{\"stamp\": null}", false, "stamp", "read-only");
	/* a write-only field is accepted */
	expect_ok(&every_resource, "{\"secret\": \"pw\"}", false);
	/* the audit log cannot be written at all */
	expect_error(&audit_resource, "{\"action\": \"x\"}", true, "action", "read-only");
	expect_error(&audit_resource, "{\"before\": {}}", false, "before", "read-only");
	expect_error(&audit_resource, "{\"id\": 1}", false, "id", "read-only");
	expect_error(&audit_resource, "{\"bogus\": 1}", false, "bogus",
		     "is not a field of audit entry");
}

static void validate_required(void **state)
{
	(void)state;
	/* missing on create: each one named */
	json_t *errors = check(&contact_resource, "{}", true);
	assert_int_equal(json_array_size(errors), 3);
	assert_non_null(strstr(message_for(errors, "company_id"), "required"));
	assert_non_null(strstr(message_for(errors, "first_name"), "required"));
	assert_non_null(strstr(message_for(errors, "last_name"), "required"));
	json_decref(errors);
	errors = check(&asset_resource, "{}", true);
	assert_int_equal(json_array_size(errors), 3);
	assert_non_null(message_for(errors, "company_id"));
	assert_non_null(message_for(errors, "name"));
	assert_non_null(message_for(errors, "kind"));
	json_decref(errors);
	errors = check(&site_resource, "{}", true);
	assert_int_equal(json_array_size(errors), 2);
	json_decref(errors);
	expect_only_error(&asset_resource, "{\"company_id\": 1, \"name\": \"P\"}", true, "kind",
			  "required");

	/* null for a required field: required on create (once), cannot be cleared on patch */
	expect_only_error(&company_resource, "{\"name\": null}", true, "name", "is required");
	expect_only_error(&company_resource, "{\"name\": null}", false, "name", "cannot be cleared");
	expect_only_error(&contact_resource, "{\"company_id\": null}", false, "company_id",
			  "cannot be cleared");
	expect_only_error(&asset_resource, "{\"kind\": null}", false, "kind", "cannot be cleared");
	/* null clears an optional field */
	expect_ok(&company_resource, "{\"phone\": null, \"email\": null, \"website\": null,"
				     " \"referred_by_id\": null, \"notes\": null}", false);
	expect_ok(&company_resource, "{\"name\": \"x\", \"phone\": null}", true);
	expect_ok(&asset_resource, "{\"site_id\": null, \"warranty_expires_on\": null}", false);
	expect_ok(&site_resource, "{\"timezone\": null}", false);
	/* but not one with a default: leave it out instead */
	expect_only_error(&company_resource, "{\"kind\": null}", false, "kind", "default");
	expect_only_error(&company_resource, "{\"name\": \"x\", \"kind\": null}", true, "kind",
			  "\"client\"");
	expect_only_error(&contact_resource, "{\"portal_access\": null}", false, "portal_access",
			  "false");
}

static void validate_types(void **state)
{
	(void)state;
	const struct resource *ev = &every_resource;
	expect_ok(ev, "{\"title\": \"ok\", \"count\": -5, \"price\": -1000000000000000,"
		      " \"flag\": true, \"color\": \"red\", \"parent_id\": 1,"
		      " \"due_on\": \"2024-02-29\", \"due_at\": \"2026-11-22T14:05:00+01:00\","
		      " \"email\": \"a@b.co\", \"url\": \"http://x\", \"tz\": \"UTC\","
		      " \"tags\": [\"a\", \"bb\", \"ccccc\"], \"extra\": {\"any\": [1, null]},"
		      " \"secret\": \"s\"}", true);
	expect_ok(ev, "{\"count\": 5, \"price\": 1000000000000000, \"flag\": false,"
		      " \"tags\": [], \"extra\": null, \"color\": \"green\"}", false);
	expect_ok(ev, "{\"count\": 0, \"extra\": 5, \"title\": \"0123456789\"}", false);
	expect_ok(ev, "{\"extra\": [[[]]], \"parent_id\": 9223372036854775807}", false);

	struct {
		const char *body, *field, *contains;
	} bad[] = {
		{ "{\"title\": 5}", "title", "must be a string" },
		{ "{\"title\": [\"ab\"]}", "title", "must be a string" },
		{ "{\"title\": \"a\"}", "title", "at least 2 characters" },
		{ "{\"title\": \"\"}", "title", "at least 2 characters" },
		{ "{\"title\": \"abcdefghijk\"}", "title", "at most 10 characters" },
		{ "{\"count\": \"1\"}", "count", "must be an integer" },
		{ "{\"count\": 1.0}", "count", "must be an integer" },
		{ "{\"count\": 1.5}", "count", "must be an integer" },
		{ "{\"count\": true}", "count", "must be an integer" },
		{ "{\"count\": 6}", "count", "from -5 to 5" },
		{ "{\"count\": -6}", "count", "from -5 to 5" },
		{ "{\"count\": 9223372036854775807}", "count", "from -5 to 5" },
		{ "{\"price\": 12.50}", "price", "must be an integer" },
		{ "{\"price\": \"1250\"}", "price", "must be an integer" },
		{ "{\"price\": 1000000000000001}", "price", "from" },
		{ "{\"price\": -1000000000000001}", "price", "from" },
		{ "{\"flag\": 1}", "flag", "true or false" },
		{ "{\"flag\": \"true\"}", "flag", "true or false" },
		{ "{\"flag\": []}", "flag", "true or false" },
		{ "{\"color\": \"blue\"}", "color", "must be one of: red, green" },
		{ "{\"color\": \"RED\"}", "color", "must be one of: red, green" },
		{ "{\"color\": 1}", "color", "must be a string" },
		{ "{\"parent_id\": 0}", "parent_id", "positive" },
		{ "{\"parent_id\": -1}", "parent_id", "positive" },
		{ "{\"parent_id\": \"1\"}", "parent_id", "must be an id" },
		{ "{\"parent_id\": 1.0}", "parent_id", "must be an id" },
		{ "{\"parent_id\": {}}", "parent_id", "must be an id" },
		{ "{\"due_on\": \"2026-02-30\"}", "due_on", "YYYY-MM-DD" },
		{ "{\"due_on\": \"2026-02-28T00:00:00Z\"}", "due_on", "YYYY-MM-DD" },
		{ "{\"due_on\": 20260101}", "due_on", "must be a string" },
		{ "{\"due_at\": \"2026-01-01\"}", "due_at", "RFC 3339" },
		{ "{\"due_at\": \"2026-01-01T00:00:00\"}", "due_at", "RFC 3339" },
		{ "{\"due_at\": 1767225600}", "due_at", "must be a string" },
		{ "{\"email\": \"x\"}", "email", "e-mail" },
		{ "{\"email\": 5}", "email", "must be a string" },
		{ "{\"url\": \"ftp://x\"}", "url", "URL" },
		{ "{\"tz\": \"Mars/Base\"}", "tz", "IANA" },
		{ "{\"tz\": 1}", "tz", "must be a string" },
		{ "{\"tags\": \"a\"}", "tags", "array of strings" },
		{ "{\"tags\": {}}", "tags", "array of strings" },
		{ "{\"tags\": [1]}", "tags", "array of strings" },
		{ "{\"tags\": [\"a\", null]}", "tags", "array of strings" },
		{ "{\"tags\": [\"a\", \"b\", \"a\"]}", "tags", "must not repeat \"a\"" },
		{ "{\"tags\": [\"\"]}", "tags", "1 to 5 characters" },
		{ "{\"tags\": [\"abcdef\"]}", "tags", "1 to 5 characters" },
		{ "{\"tags\": [\"a\\u0001\"]}", "tags", "control" },
		{ "{\"tags\": [\"a\", \"b\", \"c\", \"d\"]}", "tags", "at most 3 items" },
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		expect_only_error(ev, bad[i].body, false, bad[i].field, bad[i].contains);
	/* tags count characters: five 4-byte letters fit */
	expect_ok(ev, "{\"tags\": [\"😀😀😀😀😀\"]}", false);

	/* the same through the CRM tables */
	expect_only_error(&company_resource, "{\"name\": 5}", true, "name", "must be a string");
	expect_only_error(&company_resource, "{\"name\": \"x\", \"referred_by_id\": \"3\"}", true,
			  "referred_by_id", "integer");
	expect_only_error(&company_resource, "{\"name\": \"x\", \"referred_by_id\": 0}", true,
			  "referred_by_id", "positive");
	expect_only_error(&contact_resource, "{\"portal_access\": \"yes\"}", false, "portal_access",
			  "true or false");
	expect_only_error(&contact_resource, "{\"portal_access\": 0}", false, "portal_access",
			  "true or false");
	expect_only_error(&asset_resource, "{\"warranty_expires_on\": \"2026-02-29\"}", false,
			  "warranty_expires_on", "YYYY-MM-DD");
	expect_ok(&asset_resource, "{\"warranty_expires_on\": \"2028-02-29\"}", false);
	expect_only_error(&asset_resource, "{\"site_id\": 0}", false, "site_id", "positive");
}

static void validate_enum_message(void **state)
{
	(void)state;
	json_t *errors = check(&company_resource, "{\"name\": \"x\", \"kind\": \"alien\"}", true);
	assert_int_equal(json_array_size(errors), 1);
	assert_string_equal(message_for(errors, "kind"),
			    "must be one of: client, prospect, partner, vendor");
	json_decref(errors);
	errors = check(&asset_resource, "{\"kind\": \"toaster\"}", false);
	assert_string_equal(message_for(errors, "kind"),
			    "must be one of: workstation, server, printer, network, phone, other");
	json_decref(errors);
	const char *kinds[] = { "client", "prospect", "partner", "vendor" };
	for (size_t i = 0; i < N_ELEMS(kinds); i++) {
		char text[64];
		snprintf(text, sizeof(text), "{\"kind\": \"%s\"}", kinds[i]);
		expect_ok(&company_resource, text, false);
	}
	expect_error(&company_resource, "{\"kind\": \"\"}", false, "kind", "must be one of");
	expect_error(&company_resource, "{\"kind\": \"client \"}", false, "kind", "must be one of");
}

/* Builds {"field": "<n copies of unit>"} into out. */
static void repeated_body(char *out, size_t outlen, const char *field, const char *unit, int n)
{
	size_t off = (size_t)snprintf(out, outlen, "{\"%s\": \"", field);
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, outlen - off, "%s", unit);
	snprintf(out + off, outlen - off, "\"}");
}

static void validate_text_length_in_characters(void **state)
{
	(void)state;
	static char text[8192];
	const char *units[] = { "a", "é", "日", "😀" };	/* 1, 2, 3 and 4 bytes */
	for (size_t u = 0; u < N_ELEMS(units); u++) {
		repeated_body(text, sizeof(text), "name", units[u], 200);
		expect_ok(&company_resource, text, false);
		repeated_body(text, sizeof(text), "name", units[u], 201);
		expect_only_error(&company_resource, text, false, "name", "at most 200 characters");
	}
	/* site country is exactly two characters */
	expect_ok(&site_resource, "{\"country\": \"DE\"}", false);
	expect_ok(&site_resource, "{\"country\": \"ÅÖ\"}", false);
	expect_only_error(&site_resource, "{\"country\": \"D\"}", false, "country",
			  "at least 2");
	expect_only_error(&site_resource, "{\"country\": \"DEU\"}", false, "country",
			  "at most 2");
	/* notes may be empty and long */
	expect_ok(&company_resource, "{\"notes\": \"\"}", false);
	repeated_body(text, sizeof(text), "notes", "n", 8000);
	expect_ok(&company_resource, text, false);
	/* an empty required name */
	expect_only_error(&company_resource, "{\"name\": \"\"}", true, "name", "must not be empty");
	/* unicode in general is fine */
	expect_ok(&company_resource, "{\"name\": \"Ünicode 日本 😀 \\u00e9\"}", true);
}

static void validate_control_characters(void **state)
{
	(void)state;
	const char *bad[] = { "a\\u0001b", "a\\u001fb", "a\\u007fb", "\\u001b[31mred",
			      "line\\nbreak", "tab\\there", "cr\\rhere" };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char text[128];
		snprintf(text, sizeof(text), "{\"name\": \"%s\"}", bad[i]);
		expect_only_error(&company_resource, text, false, "name", "control characters");
	}
	/* long text fields take newlines and tabs, but not other controls */
	expect_ok(&company_resource, "{\"notes\": \"line1\\nline2\\r\\n\\ttabbed\"}", false);
	expect_only_error(&company_resource, "{\"notes\": \"bell\\u0007\"}", false, "notes",
			  "control characters");
	expect_only_error(&company_resource, "{\"notes\": \"del\\u007f\"}", false, "notes",
			  "control characters");
	/* short ones (phone, 50) do not */
	expect_only_error(&company_resource, "{\"phone\": \"1\\n2\"}", false, "phone",
			  "control characters");
}

static void validate_email(void **state)
{
	(void)state;
	const char *good[] = { "a@b.co", "first.last+tag@sub.example.org", "x_y-z@ex-ample.io",
			       "ünï@exämple.de", "a@b.c" };
	for (size_t i = 0; i < N_ELEMS(good); i++) {
		char text[512];
		snprintf(text, sizeof(text), "{\"email\": \"%s\"}", good[i]);
		expect_ok(&company_resource, text, false);
	}
	char local65[128], long_total[400];
	memset(local65, 'l', 65);
	strcpy(local65 + 65, "@example.com");
	memset(long_total, 'd', 250);
	memcpy(long_total, "a@", 2);
	strcpy(long_total + 250, ".com");	/* 254 + "" → 254 total: fine; add one more below */
	const char *bad[] = { "", "plain", "@b.co", "a@", "a@b", "a@@b.co", "a@b@c.co",
			      "a b@c.co", "a@.b.co", "a@b.co.", "a@b..co", "<a@b.co>", "a@b.co ",
			      "a,b@c.co", "a;b@c.co", "a:b@c.co", "\\\"a\\\"@b.co", "a@[1.2.3.4]",
			      "a(b)@c.co", local65, "a@.", "a@b." };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char text[512];
		snprintf(text, sizeof(text), "{\"email\": \"%s\"}", bad[i]);
		expect_only_error(&company_resource, text, false, "email", "e-mail");
	}
	/* 254 characters is the most an address may have */
	char text[600];
	snprintf(text, sizeof(text), "{\"email\": \"%s\"}", long_total);
	expect_ok(&company_resource, text, false);
	snprintf(text, sizeof(text), "{\"email\": \"x%s\"}", long_total);
	expect_error(&company_resource, text, false, "email", NULL);
}

static void validate_url(void **state)
{
	(void)state;
	const char *good[] = { "http://x", "https://example.com", "https://example.com/path?q=1#f",
			       "http://127.0.0.1:8080/", "https://ex.example/ü" };
	for (size_t i = 0; i < N_ELEMS(good); i++) {
		char text[512];
		snprintf(text, sizeof(text), "{\"website\": \"%s\"}", good[i]);
		expect_ok(&company_resource, text, false);
	}
	const char *bad[] = { "", "example.com", "ftp://x.org", "javascript:alert(1)",
			      "data:text/html,x", "https://", "http://", "http:///x", "https://:80",
			      "https://exa mple.com", "https://x\\ty", "//example.com",
			      "mailto:a@b.co", "file:///etc/passwd", " https://x" };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char text[512];
		snprintf(text, sizeof(text), "{\"website\": \"%s\"}", bad[i]);
		expect_only_error(&company_resource, text, false, "website", "URL");
	}
	/* 2048 characters at most */
	static char text[4200];
	char *url = text + 100;
	strcpy(url, "https://x.example/");
	size_t len = strlen(url);
	memset(url + len, 'p', 2048 - len);
	url[2048] = '\0';
	char *body = xmalloc(5000);
	snprintf(body, 5000, "{\"website\": \"%s\"}", url);
	expect_ok(&company_resource, body, false);
	snprintf(body, 5000, "{\"website\": \"%sp\"}", url);
	expect_only_error(&company_resource, body, false, "website", "URL");
	xfree(body);
}

static void validate_timezone(void **state)
{
	(void)state;
	const char *good[] = { "Europe/Berlin", "UTC", "America/New_York",
			       "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Kolkata" };
	for (size_t i = 0; i < N_ELEMS(good); i++) {
		char text[256];
		snprintf(text, sizeof(text), "{\"timezone\": \"%s\"}", good[i]);
		expect_ok(&site_resource, text, false);
	}
	const char *bad[] = { "Mars/Base", "../etc/passwd", "/etc/passwd", "Europe/../Europe/Berlin",
			      "Europe//Berlin", "Europe/", "Europe", "", "leapseconds",
			      "zone.tab", "tzdata.zi", "Europe/Berlin ", "europe/berlin\\u0000",
			      "Europe/Berlin\\n", "Europe\\\\Berlin", "%2e%2e/etc/passwd",
			      "CET/../../../../etc/passwd" };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char text[256];
		snprintf(text, sizeof(text), "{\"timezone\": \"%s\"}", bad[i]);
		json_error_t e;
		json_t *probe = json_loads(text, 0, &e);
		if (!probe)
			continue;	/* jansson refuses it before we see it */
		json_decref(probe);
		expect_only_error(&site_resource, text, false, "timezone", "IANA");
	}
	/* over-long names never reach the file system */
	char text[256];
	snprintf(text, sizeof(text), "{\"timezone\": \"Europe/%s\"}",
		 "Berlinnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
	expect_only_error(&site_resource, text, false, "timezone", "IANA");
}

static void validate_not_an_object(void **state)
{
	(void)state;
	const char *bodies[] = { "[]", "[{\"name\": \"x\"}]", "\"name\"", "5", "true", "null" };
	const struct resource *all[] = { &company_resource, &contact_resource, &site_resource,
					 &asset_resource, &audit_resource };
	for (size_t r = 0; r < N_ELEMS(all); r++)
		for (size_t i = 0; i < N_ELEMS(bodies); i++)
			for (int create = 0; create < 2; create++) {
				json_t *errors = check(all[r], bodies[i], create);
				assert_int_equal(json_array_size(errors), 1);
				const char *m = message_for(errors, "");
				assert_non_null(m);
				assert_non_null(strstr(m, "object"));
				json_decref(errors);
			}
}

/* The count returned is of the errors this call added, not of the whole array. */
static void validate_appends_to_errors(void **state)
{
	(void)state;
	json_t *errors = json_array();
	resource_error(errors, "earlier", "from somewhere else");
	assert_int_equal(json_array_size(errors), 1);
	assert_string_equal(message_for(errors, "earlier"), "from somewhere else");
	json_t *body = parse_json("{\"kind\": \"alien\", \"bogus\": 1}");
	assert_int_equal(resource_validate(&company_resource, body, true, errors), 3);
	assert_int_equal(json_array_size(errors), 4);
	json_decref(body);
	body = parse_json("{\"name\": \"fine\"}");
	assert_int_equal(resource_validate(&company_resource, body, true, errors), 0);
	assert_int_equal(json_array_size(errors), 4);
	json_decref(body);
	json_decref(errors);
}

/* ------------------------------------------------------------------ */
/* List queries                                                        */

/* Splits "a=1&b=2" into pairs without percent-decoding (arena strings). */
static int split_query(const char *qs, struct arena *a, struct http_kv *kv, int max)
{
	int n = 0;
	char *copy = arena_strdup(a, qs);
	assert_non_null(copy);
	char *p = copy;
	while (*p) {
		char *amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		assert_true(n < max);
		char *eq = strchr(p, '=');
		if (eq) {
			*eq = '\0';
			kv[n].value = eq + 1;
		} else {
			kv[n].value = "";
		}
		kv[n].name = p;
		n++;
		if (!amp)
			break;
		p = amp + 1;
	}
	return n;
}

static int parse(const struct resource *res, const char *qs, struct resource_query *q,
		 struct arena *a, const char **err)
{
	struct http_kv kv[HTTP_MAX_QUERY];
	int n = split_query(qs, a, kv, HTTP_MAX_QUERY);
	*err = NULL;
	int rc = resource_query_parse(res, 0, kv, n, q, a, err);
	if (rc == 0)
		assert_null(*err);
	else
		assert_non_null(*err);
	return rc;
}

static void expect_query_error_for(const struct resource *res, const char *qs,
				   const char *contains)
{
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err = NULL;
	if (parse(res, qs, &q, &a, &err) == 0)
		fail_msg("%s: accepted", qs);
	if (!strstr(err, contains))
		fail_msg("%s: \"%s\" lacks \"%s\"", qs, err, contains);
	arena_release(&a);
}

static void expect_query_error(const char *qs, const char *contains)
{
	expect_query_error_for(&company_resource, qs, contains);
}

static void expect_query_ok(const struct resource *res, const char *qs)
{
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err = NULL;
	if (parse(res, qs, &q, &a, &err) != 0)
		fail_msg("%s: refused: %s", qs, err);
	arena_release(&a);
}

static void query_defaults(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&company_resource, "", &q, &a, &err), 0);
	assert_int_equal(q.limit, 50);
	assert_string_equal(q.sort_column, "name");
	assert_non_null(q.sort_field);
	assert_string_equal(q.sort_field->name, "name");
	assert_false(q.sort_desc);
	assert_int_equal(q.archived, ARCHIVED_NO);
	assert_int_equal(q.nfilters, 0);
	assert_null(q.q);
	assert_false(q.has_cursor);

	assert_int_equal(parse(&contact_resource, "", &q, &a, &err), 0);
	assert_string_equal(q.sort_column, "last_name");
	assert_int_equal(parse(&site_resource, "", &q, &a, &err), 0);
	assert_string_equal(q.sort_column, "name");
	assert_int_equal(parse(&asset_resource, "", &q, &a, &err), 0);
	assert_string_equal(q.sort_column, "name");
	assert_int_equal(parse(&audit_resource, "", &q, &a, &err), 0);
	assert_string_equal(q.sort_column, "id");
	assert_null(q.sort_field);
	assert_true(q.sort_desc);
	arena_release(&a);
}

static void query_limit(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&company_resource, "limit=1", &q, &a, &err), 0);
	assert_int_equal(q.limit, 1);
	assert_int_equal(parse(&company_resource, "limit=200", &q, &a, &err), 0);
	assert_int_equal(q.limit, 200);
	assert_int_equal(parse(&company_resource, "limit=007", &q, &a, &err), 0);
	assert_int_equal(q.limit, 7);
	arena_release(&a);
	const char *bad[] = { "limit=0", "limit=201", "limit=-1", "limit=", "limit=ten",
			      "limit=1.5", "limit= 5", "limit=5 ", "limit=+5",
			      "limit=99999999999999999999", "limit=0x10", "limit" };
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		expect_query_error(bad[i], "limit must be from 1 to 200");
}

static void query_unknown_and_repeated(void **state)
{
	(void)state;
	expect_query_error("bogus=1", "unknown query parameter \"bogus\" for companies");
	expect_query_error("Name=x", "unknown query parameter \"Name\"");
	expect_query_error("phone=1", "unknown query parameter \"phone\"");	/* not filterable */
	expect_query_error("notes=x", "unknown query parameter \"notes\"");
	expect_query_error("website=x", "unknown query parameter \"website\"");
	expect_query_error("version=1", "unknown query parameter \"version\"");
	expect_query_error("name=x&bogus=1", "\"bogus\"");
	expect_query_error("=x", "unknown query parameter \"\"");
	expect_query_error_for(&contact_resource, "first_name=Ann",
			       "unknown query parameter \"first_name\" for contacts");
	const char *twice[] = { "kind=client&kind=vendor", "limit=5&limit=6",
				"sort=name&sort=-name", "cursor=a&cursor=b", "q=a&q=b",
				"archived=true&archived=all", "name=a&kind=client&name=b",
				"created_at_after=2026-01-01&created_at_after=2026-01-02" };
	for (size_t i = 0; i < N_ELEMS(twice); i++)
		expect_query_error(twice[i], "is given twice");
	expect_query_error("kind=client&kind=vendor", "query parameter \"kind\" is given twice");
}

static void query_lists(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&company_resource, "kind=client,partner&name=Acme&id=1,2,3", &q, &a,
			       &err), 0);
	assert_int_equal(q.nfilters, 3);
	assert_string_equal(q.filters[0].column, "kind");
	assert_int_equal(q.filters[0].op, FILTER_IN);
	assert_int_equal(q.filters[0].nvalues, 2);
	assert_string_equal(q.filters[0].values[0], "client");
	assert_string_equal(q.filters[0].values[1], "partner");
	assert_ptr_equal(q.filters[0].field, resource_field(&company_resource, "kind"));
	assert_string_equal(q.filters[1].column, "name");
	assert_int_equal(q.filters[1].nvalues, 1);
	assert_string_equal(q.filters[1].values[0], "Acme");
	assert_string_equal(q.filters[2].column, "id");
	assert_null(q.filters[2].field);
	assert_int_equal(q.filters[2].nvalues, 3);
	assert_string_equal(q.filters[2].values[2], "3");

	/* 50 values at most */
	char qs[1024] = "id=1";
	for (int i = 2; i <= 50; i++)
		snprintf(qs + strlen(qs), sizeof(qs) - strlen(qs), ",%d", i);
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), 0);
	assert_int_equal(q.filters[0].nvalues, 50);
	strcat(qs, ",51");
	arena_release(&a);
	expect_query_error(qs, "at most 50 values");

	expect_query_error("kind=", "filter \"kind\" needs a value");
	expect_query_error("kind", "needs a value");
	expect_query_error("kind=client,", "filter \"kind\" has an empty value");
	expect_query_error("kind=,client", "empty value");
	expect_query_error("kind=client,,vendor", "empty value");
	expect_query_error("id=,", "empty value");
}

static void query_typed_filters(void **state)
{
	(void)state;
	/* enum values are checked, and named */
	expect_query_error("kind=alien", "\"alien\" is not a company kind");
	expect_query_error("kind=client,Client", "\"Client\"");
	expect_query_ok(&company_resource, "kind=client,prospect,partner,vendor");
	expect_query_ok(&asset_resource, "kind=printer");
	expect_query_error_for(&asset_resource, "kind=toaster", "\"toaster\"");

	/* references and ids are integers */
	expect_query_ok(&company_resource, "referred_by_id=7");
	expect_query_ok(&contact_resource, "company_id=1,2");
	const char *bad_ids[] = { "referred_by_id=abc", "referred_by_id=1.5", "referred_by_id=7x",
				  "referred_by_id=0x7", "referred_by_id= 7", "id=one",
				  "referred_by_id=99999999999999999999" };
	for (size_t i = 0; i < N_ELEMS(bad_ids); i++)
		expect_query_error(bad_ids[i], "is not an integer");
	expect_query_error_for(&contact_resource, "company_id=one", "\"one\" is not an integer");

	/* booleans become 1/0 */
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&contact_resource, "portal_access=true", &q, &a, &err), 0);
	assert_string_equal(q.filters[0].values[0], "1");
	assert_int_equal(parse(&contact_resource, "portal_access=false,true", &q, &a, &err), 0);
	assert_string_equal(q.filters[0].values[0], "0");
	assert_string_equal(q.filters[0].values[1], "1");
	arena_release(&a);
	expect_query_error_for(&contact_resource, "portal_access=yes", "must be true or false");
	expect_query_error_for(&contact_resource, "portal_access=1", "must be true or false");

	/* dates as a list filter are checked */
	expect_query_ok(&asset_resource, "warranty_expires_on=2027-01-01,2028-02-29");
	expect_query_error_for(&asset_resource, "warranty_expires_on=2027-02-29",
			       "not a date YYYY-MM-DD");

	/* audit: times as list values are normalised to UTC */
	arena_init(&a);
	assert_int_equal(parse(&audit_resource, "at=2026-01-01T01:00:00+01:00", &q, &a, &err), 0);
	assert_string_equal(q.filters[0].values[0], "2026-01-01T00:00:00Z");
	assert_int_equal(parse(&audit_resource, "resource=companies&record_id=3&action=update",
			       &q, &a, &err), 0);
	assert_int_equal(q.nfilters, 3);
	arena_release(&a);
	expect_query_error_for(&audit_resource, "at=yesterday", "RFC 3339");
	expect_query_error_for(&audit_resource, "record_id=x", "not an integer");
	/* JSON columns are not filters */
	expect_query_error_for(&audit_resource, "before=x", "unknown query parameter \"before\"");
}

static void query_time_bounds(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&company_resource, "created_at_after=2026-01-01T10:00:00+01:00", &q,
			       &a, &err), 0);
	assert_int_equal(q.nfilters, 1);
	assert_int_equal(q.filters[0].op, FILTER_AFTER);
	assert_string_equal(q.filters[0].column, "created_at");
	assert_int_equal(q.filters[0].nvalues, 1);
	assert_string_equal(q.filters[0].values[0], "2026-01-01T09:00:00Z");

	/* a bare date means its midnight UTC */
	assert_int_equal(parse(&company_resource, "created_at_after=2026-01-01", &q, &a, &err), 0);
	assert_string_equal(q.filters[0].values[0], "2026-01-01T00:00:00Z");

	assert_int_equal(parse(&company_resource, "updated_at_before=2026-02-01T00:00:00.5z"
				"&created_at_before=2026-03-01", &q, &a, &err), 0);
	assert_int_equal(q.filters[0].op, FILTER_BEFORE);
	assert_string_equal(q.filters[0].column, "updated_at");
	assert_string_equal(q.filters[0].values[0], "2026-02-01T00:00:00Z");
	assert_string_equal(q.filters[1].column, "created_at");
	assert_string_equal(q.filters[1].values[0], "2026-03-01T00:00:00Z");

	/* a date field takes dates only, and keeps them as they are */
	assert_int_equal(parse(&asset_resource, "warranty_expires_on_before=2027-01-01", &q, &a,
			       &err), 0);
	assert_string_equal(q.filters[0].column, "warranty_expires_on");
	assert_string_equal(q.filters[0].values[0], "2027-01-01");
	assert_int_equal(q.filters[0].op, FILTER_BEFORE);

	/* audit "at" is a time field */
	assert_int_equal(parse(&audit_resource, "at_after=2026-01-01", &q, &a, &err), 0);
	assert_string_equal(q.filters[0].values[0], "2026-01-01T00:00:00Z");
	arena_release(&a);

	expect_query_error("created_at_after=yesterday", "RFC 3339 time or a date");
	expect_query_error("created_at_after=", "RFC 3339 time or a date");
	expect_query_error("created_at_after=2026-02-30", "\"created_at_after\"");
	expect_query_error("created_at_after=2026-01-01T25:00:00Z", "RFC 3339");
	expect_query_error_for(&asset_resource,
			       "warranty_expires_on_after=2027-01-01T00:00:00Z",
			       "must be a date YYYY-MM-DD");
	/* only dates and times have bounds */
	expect_query_error("name_after=A", "unknown query parameter \"name_after\"");
	expect_query_error("phone_before=2026-01-01", "unknown query parameter");
	expect_query_error("_after=2026-01-01", "unknown query parameter");
	expect_query_error("_before=2026-01-01", "unknown query parameter");
	expect_query_error("bogus_after=2026-01-01", "unknown query parameter");
	/* the audit log has no record columns */
	expect_query_error_for(&audit_resource, "created_at_after=2026-01-01",
			       "unknown query parameter");
}

static void query_sort(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&company_resource, "sort=-name", &q, &a, &err), 0);
	assert_string_equal(q.sort_column, "name");
	assert_true(q.sort_desc);
	assert_int_equal(parse(&company_resource, "sort=name", &q, &a, &err), 0);
	assert_false(q.sort_desc);
	const char *builtins[] = { "id", "created_at", "updated_at" };
	for (size_t i = 0; i < N_ELEMS(builtins); i++) {
		char qs[64];
		snprintf(qs, sizeof(qs), "sort=-%s", builtins[i]);
		assert_int_equal(parse(&company_resource, qs, &q, &a, &err), 0);
		assert_string_equal(q.sort_column, builtins[i]);
		assert_null(q.sort_field);
		assert_true(q.sort_desc);
	}
	assert_int_equal(parse(&company_resource, "sort=lead_source", &q, &a, &err), 0);
	assert_string_equal(q.sort_field->name, "lead_source");
	assert_int_equal(parse(&contact_resource, "sort=-email", &q, &a, &err), 0);
	assert_int_equal(parse(&audit_resource, "sort=at", &q, &a, &err), 0);
	assert_int_equal(parse(&audit_resource, "sort=id", &q, &a, &err), 0);
	assert_false(q.sort_desc);
	arena_release(&a);

	const char *bad[] = { "phone", "email", "notes", "website", "referred_by_id", "archived_at",
			      "version", "", "-", "--name", "name,id", "NAME", "-bogus", "+name",
			      " name" };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char qs[64];
		snprintf(qs, sizeof(qs), "sort=%s", bad[i]);
		expect_query_error(qs, "cannot sort companies by");
	}
	expect_query_error("sort=phone", "cannot sort companies by \"phone\"");
	expect_query_error_for(&contact_resource, "sort=company_id", "cannot sort contacts");
	expect_query_error_for(&audit_resource, "sort=created_at", "cannot sort audit");
	expect_query_error_for(&audit_resource, "sort=actor", "cannot sort audit");
}

static void query_archived(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&company_resource, "archived=false", &q, &a, &err), 0);
	assert_int_equal(q.archived, ARCHIVED_NO);
	assert_int_equal(parse(&company_resource, "archived=true", &q, &a, &err), 0);
	assert_int_equal(q.archived, ARCHIVED_ONLY);
	assert_int_equal(parse(&company_resource, "archived=all", &q, &a, &err), 0);
	assert_int_equal(q.archived, ARCHIVED_ALL);
	arena_release(&a);
	const char *bad[] = { "archived=yes", "archived=", "archived=TRUE", "archived=1",
			      "archived=maybe", "archived=all,true" };
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		expect_query_error(bad[i], "archived must be false, true or all");
	/* the audit log has no archive */
	expect_query_error_for(&audit_resource, "archived=all", "unknown query parameter");
}

static void query_search(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	assert_int_equal(parse(&company_resource, "q=acme printing", &q, &a, &err), 0);
	assert_string_equal(q.q, "acme printing");
	assert_int_equal(q.nfilters, 0);
	assert_int_equal(parse(&company_resource, "q=", &q, &a, &err), 0);
	assert_null(q.q);
	char qs[512] = "q=";
	memset(qs + 2, 'x', 200);
	qs[202] = '\0';
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), 0);
	assert_int_equal(strlen(q.q), 200);
	const struct resource *searchable[] = { &contact_resource, &site_resource, &asset_resource };
	for (size_t i = 0; i < N_ELEMS(searchable); i++)
		assert_int_equal(parse(searchable[i], "q=x", &q, &a, &err), 0);
	arena_release(&a);
	strcat(qs, "x");
	expect_query_error(qs, "q must be at most 200 characters");
	/* q only where there is an index */
	expect_query_error_for(&audit_resource, "q=x", "unknown query parameter \"q\"");
	expect_query_error_for(&every_resource, "q=x", "unknown query parameter \"q\"");
}

/* "q must be at most 200 characters": characters, as for every other text. */
static void query_search_length_in_characters(void **state)
{
	(void)state;
	char qs[1024] = "q=";
	for (int i = 0; i < 100; i++)
		strcat(qs, "日");	/* 100 characters, 300 bytes */
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	int rc = parse(&company_resource, qs, &q, &a, &err);
	char msg[256] = "";
	if (rc != 0)
		snprintf(msg, sizeof(msg), "%s", err);
	arena_release(&a);
	if (rc != 0)
		fail_msg("q of 100 characters refused: %s", msg);
}

static void query_utf8(void **state)
{
	(void)state;
	expect_query_error("q=\xff", "UTF-8");
	expect_query_error("name=\xc3", "UTF-8");
	expect_query_error("\xff=1", "UTF-8");
	expect_query_error("name=a\xed\xa0\x80", "UTF-8");
	expect_query_ok(&company_resource, "name=Caf\xc3\xa9&q=\xe6\x97\xa5\xe6\x9c\xac");
}

/* ------------------------------------------------------------------ */
/* Cursors                                                             */

static const char urlsafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64(struct arena *a, const void *raw, size_t n)
{
	size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = arena_alloc(a, len);
	sodium_bin2base64(out, len, raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

static void cursor_round_trips(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	static char long_value[701];
	memset(long_value, 'v', 700);
	const char *values[] = { "Acme", "", "with,comma", "Ünicode 日本 😀", "x\x1fy", "\x1f",
				 "a=b&c", "-", "n", "v", "123", long_value, NULL };
	const char *keys[] = { "name", "-name", "-created_at", "id", "lead_source" };
	int64_t ids[] = { 0, 1, 12345, INT64_MAX };
	for (size_t k = 0; k < N_ELEMS(keys); k++)
		for (size_t i = 0; i < N_ELEMS(values); i++)
			for (size_t j = 0; j < N_ELEMS(ids); j++) {
				char *c = resource_cursor_encode(&a, keys[k], values[i], ids[j]);
				assert_non_null(c);
				assert_true(strlen(c) > 0);
				assert_int_equal(strspn(c, urlsafe), strlen(c));
				const char *key = NULL, *value = "unset";
				int64_t id = -5;
				assert_int_equal(resource_cursor_decode(&a, c, &key, &value, &id),
						 0);
				assert_string_equal(key, keys[k]);
				assert_int_equal(id, ids[j]);
				if (values[i])
					assert_string_equal(value, values[i]);
				else
					assert_null(value);
			}
	/* a NULL value and an empty one are different cursors */
	assert_string_not_equal(resource_cursor_encode(&a, "name", NULL, 1),
				resource_cursor_encode(&a, "name", "", 1));
	arena_release(&a);
}

static void cursor_refuses_garbage(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	const char *key, *value;
	int64_t id;
	const char *bad[] = { "", "!!!", "====", "bm90IGEgY3Vyc29y", "YQ", "YR9uHy0x", "a b",
			      "YWJj\n", "Zm9v+/8=", "%41%41" };
	for (size_t i = 0; i < N_ELEMS(bad); i++)
		if (resource_cursor_decode(&a, bad[i], &key, &value, &id) != -1)
			fail_msg("cursor \"%s\" accepted", bad[i]);
	/* well-formed base64 of malformed contents */
	struct {
		const char *raw;
		size_t len;
	} raws[] = {
		{ "name\x1fx\x1f" "1", 0 },		/* kind not v or n */
		{ "name\x1fnjunk\x1f" "1", 0 },		/* n with a value */
		{ "name\x1fvA\x1f-1", 0 },		/* negative id */
		{ "name\x1fvA\x1f" "12a", 0 },		/* id not a number */
		{ "name\x1fvA\x1f", 0 },			/* no id */
		{ "name\x1fvA\x1f 1", 0 },
		{ "name\x1fvA\x1f" "99999999999999999999", 0 },	/* id overflows */
		{ "name\x1f", 0 },
		{ "name\x1f\x1f" "1", 0 },		/* no kind */
		{ "name", 0 },
		{ "name\x1fv\xff\x1f" "1", 0 },		/* not UTF-8 */
		{ "name\x1fvA\x00" "B\x1f" "1", 12 },	/* a NUL inside */
	};
	for (size_t i = 0; i < N_ELEMS(raws); i++) {
		size_t n = raws[i].len ? raws[i].len : strlen(raws[i].raw);
		char *c = b64(&a, raws[i].raw, n);
		if (resource_cursor_decode(&a, c, &key, &value, &id) != -1)
			fail_msg("cursor of raw #%zu accepted", i);
	}
	/* and the same built by hand but well-formed is accepted (the helper is right) */
	char *ok = b64(&a, "name\x1fvA\x1f" "1", 9);
	assert_int_equal(resource_cursor_decode(&a, ok, &key, &value, &id), 0);
	assert_string_equal(value, "A");
	assert_int_equal(id, 1);
	/* over-long cursors are refused without decoding */
	static char huge[2000];
	memset(huge, 'A', sizeof(huge) - 1);
	assert_int_equal(resource_cursor_decode(&a, huge, &key, &value, &id), -1);
	huge[1025] = '\0';
	assert_int_equal(resource_cursor_decode(&a, huge, &key, &value, &id), -1);
	arena_release(&a);
}

static void cursor_bound_to_its_sort(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct resource_query q;
	const char *err;
	char qs[512];
	char *c = resource_cursor_encode(&a, "name", "Acme", 7);
	snprintf(qs, sizeof(qs), "sort=-created_at&cursor=%s", c);
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), -1);
	assert_non_null(strstr(err, "cursor was made for sort \"name\", not \"-created_at\""));
	snprintf(qs, sizeof(qs), "sort=-name&cursor=%s", c);
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), -1);
	assert_non_null(strstr(err, "made for sort"));
	snprintf(qs, sizeof(qs), "sort=name&cursor=%s", c);
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), 0);
	assert_true(q.has_cursor);
	assert_int_equal(q.cursor_id, 7);
	assert_string_equal(q.cursor_value, "Acme");
	/* the default sort is "name", so the cursor fits with no sort given, in any order */
	snprintf(qs, sizeof(qs), "cursor=%s&limit=10", c);
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), 0);
	assert_true(q.has_cursor);
	assert_int_equal(q.limit, 10);
	/* a NULL-valued cursor comes through as NULL */
	c = resource_cursor_encode(&a, "-id", NULL, 99);
	snprintf(qs, sizeof(qs), "sort=-id&cursor=%s", c);
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), 0);
	assert_null(q.cursor_value);
	assert_int_equal(q.cursor_id, 99);
	/* audit's default "-id" */
	snprintf(qs, sizeof(qs), "cursor=%s", c);
	assert_int_equal(parse(&audit_resource, qs, &q, &a, &err), 0);
	assert_int_equal(parse(&company_resource, qs, &q, &a, &err), -1);
	arena_release(&a);
	expect_query_error("cursor=garbage", "cursor is malformed");
	expect_query_error("cursor=", "cursor is malformed");
}

/* ------------------------------------------------------------------ */
/* The engine against SQLite                                           */

static char tmpdir[] = "/tmp/servio-test-resource-XXXXXX";
static int db_counter;

struct fx {
	struct db *db;
	struct arena arena;
	struct audit_actor actor;
	struct resource_ctx ctx;
};

static int make_tmpdir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	DIR *d = opendir(tmpdir);
	if (!d)
		return -1;
	struct dirent *e;
	char path[1024];
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(tmpdir);
}

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	char url[512], err[512];
	snprintf(url, sizeof(url), "sqlite:%s/engine-%d.db", tmpdir, ++db_counter);
	if (db_connect(url, &fx->db, err, sizeof(err)) != RC_OK || db_migrate(fx->db, false)) {
		fprintf(stderr, "fixture: %s\n", err);
		free(fx);
		return -1;
	}
	arena_init(&fx->arena);
	fx->actor = (struct audit_actor){ .user_id = 0, .label = "test", .request_id = "req-1" };
	fx->ctx = (struct resource_ctx){ .db = fx->db, .arena = &fx->arena, .actor = &fx->actor };
	*state = fx;
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

static int64_t count(struct fx *fx, const char *sql, const char *fmt, ...)
{
	/* only "" and "i" and "s" with one argument are needed here */
	struct db_stmt *st;
	int rc;
	va_list ap;
	va_start(ap, fmt);
	if (!*fmt)
		rc = db_run(fx->db, &st, sql, "");
	else if (fmt[0] == 'i')
		rc = db_run(fx->db, &st, sql, "i", va_arg(ap, int64_t));
	else
		rc = db_run(fx->db, &st, sql, "s", va_arg(ap, const char *));
	va_end(ap);
	assert_int_equal(rc, RC_ROW);
	int64_t n = db_col_int(st, 0);
	db_done(st);
	return n;
}

static int64_t audit_rows(struct fx *fx, int64_t id)
{
	return count(fx, "SELECT COUNT(*) FROM audit_log WHERE resource = 'companies'"
			 " AND record_id = ?", "i", id);
}

static void dump_errors(const char *what, json_t *errors)
{
	char *s = errors ? json_dumps(errors, 0) : NULL;
	fail_msg("%s: %s", what, s ? s : "(no errors)");
}

static json_t *create_ok(struct fx *fx, const struct resource *res, const char *text)
{
	json_t *body = parse_json(text);
	json_t *out = NULL, *errors = NULL;
	int rc = t_create(&fx->ctx, res, body, &out, &errors);
	json_decref(body);
	if (rc != RC_OK)
		dump_errors(text, errors);
	assert_null(errors);
	assert_non_null(out);
	return out;
}

/* Creates and expects RC_INVALID (or the status given); returns the errors. */
static json_t *create_fails(struct fx *fx, const struct resource *res, const char *text,
			    int want)
{
	json_t *body = parse_json(text);
	json_t *out = NULL, *errors = NULL;
	int rc = t_create(&fx->ctx, res, body, &out, &errors);
	json_decref(body);
	if (rc != want)
		fail_msg("%s: status %d, want %d", text, rc, want);
	assert_null(out);
	return errors;
}

static json_t *update(struct fx *fx, const struct resource *res, int64_t id, const char *text,
		      int64_t version, int want, json_t **errors)
{
	json_t *patch = parse_json(text);
	json_t *out = NULL, *errs = NULL;
	int rc = t_update(&fx->ctx, res, id, patch, version, &out, &errs);
	json_decref(patch);
	if (rc != want)
		fail_msg("update %lld with %s: status %d, want %d", (long long)id, text, rc, want);
	if (errors)
		*errors = errs;
	else
		json_decref(errs);
	if (rc != RC_OK)
		assert_null(out);
	return out;
}

static int64_t id_of(const json_t *rec)
{
	return json_integer_value(json_object_get(rec, "id"));
}

static int64_t version_of(const json_t *rec)
{
	return json_integer_value(json_object_get(rec, "version"));
}

static const char *str_of(const json_t *rec, const char *field)
{
	return json_string_value(json_object_get(rec, field));
}

/* Parses qs and lists one page; next cursor in *next (arena string or NULL). */
static json_t *page(struct fx *fx, const struct resource *res, const char *qs,
		    const char **next)
{
	struct resource_query q;
	const char *err = NULL;
	if (parse(res, qs, &q, &fx->arena, &err) != 0)
		fail_msg("%s: %s", qs, err);
	json_t *data = NULL;
	*next = "unset";
	int rc = t_list(&fx->ctx, res, &q, &data, next);
	if (rc != RC_OK)
		fail_msg("list %s: status %d", qs, rc);
	assert_non_null(data);
	assert_true(json_is_array(data));
	return data;
}

/* All the records of a list, in order. */
static json_t *list_all(struct fx *fx, const struct resource *res, const char *qs)
{
	char full[512];
	snprintf(full, sizeof(full), "%s%slimit=200", qs, *qs ? "&" : "");
	const char *next;
	json_t *data = page(fx, res, full, &next);
	assert_null(next);
	return data;
}

static bool has_id(const json_t *list, int64_t id)
{
	size_t i;
	json_t *r;
	json_array_foreach(list, i, r)
		if (id_of(r) == id)
			return true;
	return false;
}

typedef void (*between_pages)(struct fx *fx, int page_no, void *arg);

/*
 * Walks every page of a list (limit per page) by cursor and returns all
 * records in order (caller decrefs); *pages gets the number of pages.
 * Checks the page contract: full pages have a next cursor, the last page
 * does not, and no page is empty but a first one.
 */
static json_t *walk(struct fx *fx, const struct resource *res, const char *base, int limit,
		    int *pages, between_pages hook, void *arg)
{
	json_t *all = json_array();
	const char *next = NULL;
	int n = 0;
	do {
		char qs[4096];
		snprintf(qs, sizeof(qs), "%s%slimit=%d%s%s", base, *base ? "&" : "", limit,
			 next ? "&cursor=" : "", next ? next : "");
		json_t *data = page(fx, res, qs, &next);
		n++;
		size_t got = json_array_size(data);
		assert_true(got <= (size_t)limit);
		if (next)
			assert_int_equal(got, (size_t)limit);
		if (n > 1)
			assert_true(got > 0);
		json_array_extend(all, data);
		json_decref(data);
		if (next && hook)
			hook(fx, n, arg);
		if (n > 1000)
			fail_msg("paging does not end");
	} while (next);
	if (pages)
		*pages = n;
	return all;
}

/*
 * The sort key of a record for field ("" for null, as the engine sorts
 * nulls); a company's kind sorts by its place in the enum, as the engine
 * sorts enums.
 */
static const char *sort_key(const json_t *rec, const char *field)
{
	const json_t *v = json_object_get(rec, field);
	const struct field *f = resource_field(&company_resource, field);
	if (f && f->type == FT_ENUM && json_is_string(v)) {
		static const char *const places[] = { "0", "1", "2", "3", "4", "5", "6", "7", "8" };
		int i = 0;
		for (const char *const *e = f->enum_values; *e && i < 8; e++, i++)
			if (strcmp(*e, json_string_value(v)) == 0)
				return places[i];
		return places[8];
	}
	return json_is_string(v) ? json_string_value(v) : "";
}

/* Asserts records are strictly ordered by (field, id), asc or desc; field NULL: by id. */
static void assert_ordered(const json_t *list, const char *field, bool desc)
{
	for (size_t i = 1; i < json_array_size(list); i++) {
		const json_t *a = json_array_get(list, i - 1), *b = json_array_get(list, i);
		int cmp = field ? strcmp(sort_key(a, field), sort_key(b, field)) : 0;
		if (cmp == 0)
			cmp = id_of(a) < id_of(b) ? -1 : id_of(a) > id_of(b) ? 1 : 0;
		if (desc ? cmp <= 0 : cmp >= 0)
			fail_msg("out of order at %zu by %s%s: %lld \"%s\" then %lld \"%s\"", i,
				 desc ? "-" : "", field ? field : "id", (long long)id_of(a),
				 field ? sort_key(a, field) : "", (long long)id_of(b),
				 field ? sort_key(b, field) : "");
	}
}

/* Asserts each of ids[0..n) occurs exactly once in list, and nothing occurs twice. */
static void assert_each_once(const json_t *list, const int64_t *ids, size_t n)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		for (size_t j = i + 1; j < json_array_size(list); j++)
			if (id_of(json_array_get(list, i)) == id_of(json_array_get(list, j)))
				fail_msg("record %lld seen twice",
					 (long long)id_of(json_array_get(list, i)));
	for (size_t k = 0; k < n; k++)
		if (!has_id(list, ids[k]))
			fail_msg("record %lld never seen", (long long)ids[k]);
}

static void engine_create_and_get(void **state)
{
	struct fx *fx = *state;
	json_t *c = create_ok(fx, &company_resource,
			      "{\"name\": \"Acme Printing\", \"email\": \"info@acme.example\"}");
	int64_t id = id_of(c);
	assert_true(id > 0);
	assert_string_equal(str_of(c, "name"), "Acme Printing");
	assert_string_equal(str_of(c, "kind"), "client");	/* the default */
	assert_string_equal(str_of(c, "email"), "info@acme.example");
	const char *nulls[] = { "phone", "website", "referred_by_id", "lead_source", "notes",
				"tax_rate_bp", "payment_terms_days", "email_domain", "archived_at" };
	for (size_t i = 0; i < N_ELEMS(nulls); i++)
		if (!json_is_null(json_object_get(c, nulls[i])))
			fail_msg("%s is not null", nulls[i]);
	assert_int_equal(version_of(c), 1);
	/* exactly the record columns and the fields */
	assert_int_equal(json_object_size(c), 5 + 11);
	int64_t t;
	assert_int_equal(strlen(str_of(c, "created_at")), 20);
	assert_int_equal(time_parse(str_of(c, "created_at"), &t), 0);
	assert_true(t > time_now() - 60 && t <= time_now() + 1);
	assert_string_equal(str_of(c, "created_at"), str_of(c, "updated_at"));

	/* get returns exactly what create returned */
	json_t *g = NULL;
	assert_int_equal(t_get(&fx->ctx, &company_resource, id, &g), RC_OK);
	assert_true(json_equal(g, c));
	json_decref(g);
	g = (json_t *)0x1;
	assert_int_equal(t_get(&fx->ctx, &company_resource, id + 1000, &g), RC_NOT_FOUND);
	assert_ptr_equal(g, (json_t *)0x1);
	assert_int_equal(t_get(&fx->ctx, &company_resource, 0, &g), RC_NOT_FOUND);
	assert_int_equal(t_get(&fx->ctx, &company_resource, -1, &g), RC_NOT_FOUND);

	/* one audit entry, with the record as after and no before */
	struct db_stmt *st;
	assert_int_equal(db_run(fx->db, &st, "SELECT action, actor, actor_id, before, after,"
					     " request_id FROM audit_log WHERE record_id = ?",
				"i", id), RC_ROW);
	assert_string_equal(db_col_text(st, 0), "create");
	assert_string_equal(db_col_text(st, 1), "test");
	assert_true(db_col_null(st, 2));	/* the system: no user id */
	assert_true(db_col_null(st, 3));
	json_t *after = parse_json(db_col_text(st, 4));
	assert_string_equal(db_col_text(st, 5), "req-1");
	assert_int_equal(db_step(st), RC_DONE);
	db_done(st);
	assert_true(json_equal(after, c));
	json_decref(after);
	json_decref(c);

	/* contact and asset defaults; unicode and quotes stored verbatim */
	c = create_ok(fx, &company_resource,
		      "{\"name\": \"Robert'); DROP TABLE companies;-- Ünicode 日本 😀\","
		      " \"kind\": \"vendor\", \"referred_by_id\": 1}");
	assert_string_equal(str_of(c, "name"), "Robert'); DROP TABLE companies;-- Ünicode 日本 😀");
	assert_string_equal(str_of(c, "kind"), "vendor");
	assert_int_equal(json_integer_value(json_object_get(c, "referred_by_id")), id);
	json_decref(c);
	char text[256];
	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"first_name\": \"Ann\","
		 " \"last_name\": \"Lee\"}", (long long)id);
	c = create_ok(fx, &contact_resource, text);
	assert_true(json_is_false(json_object_get(c, "portal_access")));
	assert_int_equal(json_integer_value(json_object_get(c, "company_id")), id);
	json_decref(c);
	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"first_name\": \"Bo\","
		 " \"last_name\": \"Ng\", \"portal_access\": true}", (long long)id);
	c = create_ok(fx, &contact_resource, text);
	assert_true(json_is_true(json_object_get(c, "portal_access")));
	json_decref(c);
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM companies", ""), 2);
}

static void engine_create_invalid(void **state)
{
	struct fx *fx = *state;
	json_t *errors = create_fails(fx, &company_resource,
				      "{\"nmae\": \"x\", \"kind\": \"alien\"}", RC_INVALID);
	assert_non_null(errors);
	assert_int_equal(json_array_size(errors), 3);
	assert_non_null(message_for(errors, "nmae"));
	assert_non_null(message_for(errors, "kind"));
	assert_non_null(message_for(errors, "name"));
	json_decref(errors);
	errors = create_fails(fx, &company_resource, "{\"name\": \"x\", \"kind\": null}",
			      RC_INVALID);
	assert_non_null(message_for(errors, "kind"));
	json_decref(errors);
	errors = create_fails(fx, &company_resource, "[]", RC_INVALID);
	json_decref(errors);
	/* nothing was written */
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM companies", ""), 0);
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM audit_log", ""), 0);
	/* the audit log cannot be written through the engine */
	errors = create_fails(fx, &audit_resource, "{\"action\": \"x\"}", RC_INVALID);
	json_decref(errors);
}

/* Rows read ahead: a trusted write's load takes its row once; the rest read the database. */
static void engine_rows_read_ahead(void **state)
{
	struct fx *fx = *state;
	json_t *ca = create_ok(fx, &company_resource, "{\"name\": \"A\"}");
	json_t *cb = create_ok(fx, &company_resource, "{\"name\": \"B\"}");
	int64_t a = id_of(ca), b = id_of(cb);
	json_decref(ca);
	json_decref(cb);
	int64_t ids[] = { a, 999999 };
	struct resource_rows *rows = NULL;
	assert_int_equal(resource_rows_read(&fx->ctx, &fx->arena, &company_resource, ids, 2, &rows),
			 RC_OK);
	assert_non_null(rows);
	assert_string_equal(json_string_value(json_object_get(
		resource_rows_get(rows, &company_resource, a), "name")), "A");
	assert_null(resource_rows_get(rows, &company_resource, 999999));	/* none such */
	assert_null(resource_rows_get(rows, &company_resource, b));	/* not asked for */
	assert_null(resource_rows_get(rows, &contact_resource, a));	/* another resource's */
	assert_null(resource_rows_get(NULL, &company_resource, a));

	/* changed behind the engine's back after the reading: the first write sees the row read */
	assert_int_equal(db_run(fx->db, NULL, "UPDATE companies SET phone = '+1 555 0100' WHERE id = ?",
				"i", a), RC_DONE);
	struct resource_ctx ctx = fx->ctx;
	ctx.rows = rows;
	json_t *out, *errors = NULL;
	json_t *patch = parse_json("{\"website\": \"https://a.example\"}");
	assert_int_equal(resource_update_trusted(&ctx, &company_resource, a, patch, &out, &errors),
			 RC_OK);
	/* and the second reads the database: the row is given once */
	json_t *again = parse_json("{\"website\": \"https://a2.example\"}");
	assert_int_equal(resource_update_trusted(&ctx, &company_resource, a, again, &out, &errors),
			 RC_OK);
	json_decref(patch);
	json_decref(again);
	/* what each write's audit entry says the record was before it */
	struct db_stmt *st;
	assert_int_equal(db_run(fx->db, &st, "SELECT before FROM audit_log WHERE action = 'update'"
				" AND record_id = ? ORDER BY id", "i", a), RC_ROW);
	json_t *first = parse_json(db_col_text(st, 0));
	assert_int_equal(db_step(st), RC_ROW);
	json_t *second = parse_json(db_col_text(st, 0));
	db_done(st);
	bool read_ahead = json_is_null(json_object_get(first, "phone"));
	const char *read_after = str_of(second, "phone");
	bool from_db = read_after && strcmp(read_after, "+1 555 0100") == 0;
	json_decref(first);
	json_decref(second);
	assert_true(read_ahead);
	assert_true(from_db);

	/* the row a write of a record read ahead returns (made, not read back) is the row stored */
	struct resource_rows *rows_b = NULL;
	assert_int_equal(resource_rows_read(&fx->ctx, &fx->arena, &company_resource, &b, 1, &rows_b),
			 RC_OK);
	ctx.rows = rows_b;
	json_t *patch_b = parse_json("{\"phone\": \"+1 555 0199\", \"kind\": \"vendor\"}");
	json_t *out_b = NULL;
	assert_int_equal(resource_update_trusted(&ctx, &company_resource, b, patch_b, &out_b, &errors),
			 RC_OK);
	json_decref(patch_b);
	json_t *stored;
	assert_int_equal(t_get(&fx->ctx, &company_resource, b, &stored), RC_OK);
	bool same = json_equal(out_b, stored);
	json_decref(stored);
	assert_true(same);
	assert_int_equal(version_of(out_b), 2);

	/* at most RESOURCE_ROWS_MAX a reading */
	int64_t many[RESOURCE_ROWS_MAX + 1] = { 0 };
	struct resource_rows *none = NULL;
	assert_int_equal(resource_rows_read(&fx->ctx, &fx->arena, &company_resource, many,
					    RESOURCE_ROWS_MAX + 1, &none), RC_ERROR);
	assert_null(none);
	/* rows of another resource join them */
	char text[128];
	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"first_name\": \"Pat\","
		 " \"last_name\": \"Lee\"}", (long long)a);
	json_t *p = create_ok(fx, &contact_resource, text);
	int64_t pid = id_of(p);
	json_decref(p);
	assert_int_equal(resource_rows_read(&fx->ctx, &fx->arena, &contact_resource, &pid, 1, &rows),
			 RC_OK);
	assert_string_equal(json_string_value(json_object_get(
		resource_rows_get(rows, &contact_resource, pid), "first_name")), "Pat");
	assert_non_null(resource_rows_get(rows, &company_resource, a));
}

static void engine_update(void **state)
{
	struct fx *fx = *state;
	json_t *c = create_ok(fx, &company_resource, "{\"name\": \"Acme\"}");
	int64_t id = id_of(c);
	json_t *u = update(fx, &company_resource, id, "{\"phone\": \"+49 30 1234\"}",
			   RESOURCE_ANY_VERSION, RC_OK, NULL);
	assert_int_equal(version_of(u), 2);
	assert_string_equal(str_of(u, "phone"), "+49 30 1234");
	assert_string_equal(str_of(u, "name"), "Acme");
	assert_string_equal(str_of(u, "created_at"), str_of(c, "created_at"));
	assert_true(strcmp(str_of(u, "updated_at"), str_of(c, "updated_at")) >= 0);
	json_t *g;
	assert_int_equal(t_get(&fx->ctx, &company_resource, id, &g), RC_OK);
	assert_true(json_equal(g, u));
	json_decref(g);

	/* the audit entry holds before and after */
	assert_int_equal(audit_rows(fx, id), 2);
	struct db_stmt *st;
	assert_int_equal(db_run(fx->db, &st, "SELECT before, after FROM audit_log WHERE"
					     " record_id = ? AND action = 'update'", "i", id),
			 RC_ROW);
	json_t *before = parse_json(db_col_text(st, 0));
	json_t *after = parse_json(db_col_text(st, 1));
	db_done(st);
	assert_true(json_equal(before, c));
	assert_true(json_equal(after, u));
	assert_int_equal(version_of(before), 1);
	assert_true(json_is_null(json_object_get(before, "phone")));
	json_decref(before);
	json_decref(after);

	/* a no-op update keeps the version and writes no audit entry */
	json_t *same = update(fx, &company_resource, id, "{\"phone\": \"+49 30 1234\"}",
			      RESOURCE_ANY_VERSION, RC_OK, NULL);
	assert_int_equal(version_of(same), 2);
	assert_true(json_equal(same, u));
	json_decref(same);
	same = update(fx, &company_resource, id, "{}", 2, RC_OK, NULL);
	assert_int_equal(version_of(same), 2);
	json_decref(same);
	same = update(fx, &company_resource, id, "{\"kind\": \"client\", \"name\": \"Acme\"}",
		      RESOURCE_ANY_VERSION, RC_OK, NULL);
	assert_int_equal(version_of(same), 2);
	json_decref(same);
	assert_int_equal(audit_rows(fx, id), 2);

	/* a stale expected version is refused and changes nothing */
	update(fx, &company_resource, id, "{\"phone\": \"999\"}", 1, RC_STALE, NULL);
	update(fx, &company_resource, id, "{\"phone\": \"999\"}", 3, RC_STALE, NULL);
	assert_int_equal(audit_rows(fx, id), 2);
	assert_int_equal(t_get(&fx->ctx, &company_resource, id, &g), RC_OK);
	assert_int_equal(version_of(g), 2);
	assert_string_equal(str_of(g, "phone"), "+49 30 1234");
	json_decref(g);
	/* the current one works */
	json_t *v3 = update(fx, &company_resource, id, "{\"phone\": \"999\", \"kind\": \"partner\"}",
			    2, RC_OK, NULL);
	assert_int_equal(version_of(v3), 3);
	assert_string_equal(str_of(v3, "kind"), "partner");
	json_decref(v3);

	/* null clears an optional field */
	json_t *v4 = update(fx, &company_resource, id, "{\"phone\": null}", 3, RC_OK, NULL);
	assert_true(json_is_null(json_object_get(v4, "phone")));
	assert_int_equal(version_of(v4), 4);
	json_decref(v4);

	/* invalid patches: named errors, nothing changes */
	json_t *errors = NULL;
	update(fx, &company_resource, id, "{\"name\": null}", RESOURCE_ANY_VERSION, RC_INVALID,
	       &errors);
	assert_non_null(strstr(message_for(errors, "name"), "cannot be cleared"));
	json_decref(errors);
	update(fx, &company_resource, id, "{\"version\": 9}", RESOURCE_ANY_VERSION, RC_INVALID,
	       &errors);
	assert_non_null(message_for(errors, "version"));
	json_decref(errors);
	update(fx, &company_resource, id, "{\"kind\": \"alien\", \"bogus\": 1}",
	       RESOURCE_ANY_VERSION, RC_INVALID, &errors);
	assert_int_equal(json_array_size(errors), 2);
	json_decref(errors);
	update(fx, &company_resource, id, "{\"referred_by_id\": 424242}", RESOURCE_ANY_VERSION,
	       RC_INVALID, &errors);
	assert_non_null(strstr(message_for(errors, "referred_by_id"),
			       "refers to no company with id 424242"));
	json_decref(errors);
	assert_int_equal(t_get(&fx->ctx, &company_resource, id, &g), RC_OK);
	assert_int_equal(version_of(g), 4);
	json_decref(g);
	assert_int_equal(audit_rows(fx, id), 4);

	/* unknown records */
	update(fx, &company_resource, id + 1000, "{\"phone\": \"1\"}", RESOURCE_ANY_VERSION,
	       RC_NOT_FOUND, NULL);
	update(fx, &company_resource, id + 1000, "{}", RESOURCE_ANY_VERSION, RC_NOT_FOUND, NULL);
	/* the audit log is not updatable */
	update(fx, &audit_resource, 1, "{}", RESOURCE_ANY_VERSION, RC_NOT_FOUND, NULL);
	json_decref(u);
	json_decref(c);
}

static void engine_audit_actor_and_list(void **state)
{
	struct fx *fx = *state;
	fx->actor.user_id = 7;
	fx->actor.label = "ann@example.com";
	fx->actor.request_id = NULL;
	json_t *c = create_ok(fx, &company_resource, "{\"name\": \"Audited\"}");
	int64_t id = id_of(c);
	json_decref(update(fx, &company_resource, id, "{\"phone\": \"1\"}", 1, RC_OK, NULL));
	json_t *out = NULL;
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id, 2, true, &out), RC_OK);
	json_decref(out);
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id, 3, false, &out), RC_OK);
	json_decref(out);

	char qs[128];
	snprintf(qs, sizeof(qs), "resource=companies&record_id=%lld", (long long)id);
	json_t *log = list_all(fx, &audit_resource, qs);
	assert_int_equal(json_array_size(log), 4);
	const char *actions[] = { "restore", "archive", "update", "create" };	/* newest first */
	for (size_t i = 0; i < 4; i++) {
		json_t *e = json_array_get(log, i);
		assert_string_equal(str_of(e, "action"), actions[i]);
		assert_string_equal(str_of(e, "actor"), "ann@example.com");
		assert_int_equal(json_integer_value(json_object_get(e, "actor_id")), 7);
		assert_true(json_is_null(json_object_get(e, "request_id")));
		assert_int_equal(json_integer_value(json_object_get(e, "record_id")), id);
		assert_true(json_is_object(json_object_get(e, "after")));
	}
	assert_true(json_is_null(json_object_get(json_array_get(log, 3), "before")));
	assert_int_equal(version_of(json_object_get(json_array_get(log, 0), "before")), 3);
	assert_int_equal(version_of(json_object_get(json_array_get(log, 0), "after")), 4);
	assert_ordered(log, NULL, true);
	json_decref(log);
	log = list_all(fx, &audit_resource, "action=archive,restore&sort=id");
	assert_int_equal(json_array_size(log), 2);
	assert_string_equal(str_of(json_array_get(log, 0), "action"), "archive");
	json_decref(log);
	log = list_all(fx, &audit_resource, "actor_id=8");
	assert_int_equal(json_array_size(log), 0);
	json_decref(log);
	json_decref(c);
}

static void engine_archive_restore(void **state)
{
	struct fx *fx = *state;
	json_t *a = create_ok(fx, &company_resource, "{\"name\": \"Archived Co\"}");
	json_t *b = create_ok(fx, &company_resource, "{\"name\": \"Live Co\"}");
	int64_t id = id_of(a);
	json_t *out = NULL;
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id, 1, true, &out), RC_OK);
	assert_true(json_is_string(json_object_get(out, "archived_at")));
	assert_int_equal(version_of(out), 2);
	json_decref(out);

	/* hidden from the default list, alone in archived=true, both in archived=all */
	json_t *list = list_all(fx, &company_resource, "");
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(id_of(json_array_get(list, 0)), id_of(b));
	json_decref(list);
	list = list_all(fx, &company_resource, "archived=false");
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	list = list_all(fx, &company_resource, "archived=true");
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(id_of(json_array_get(list, 0)), id);
	json_decref(list);
	list = list_all(fx, &company_resource, "archived=all");
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	/* still readable by id */
	json_t *g;
	assert_int_equal(t_get(&fx->ctx, &company_resource, id, &g), RC_OK);
	assert_false(json_is_null(json_object_get(g, "archived_at")));
	json_decref(g);

	/* archiving again changes nothing */
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id, RESOURCE_ANY_VERSION,
					  true, &out), RC_OK);
	assert_int_equal(version_of(out), 2);
	json_decref(out);
	assert_int_equal(audit_rows(fx, id), 2);

	/* restore needs the current version */
	out = (json_t *)0x1;
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id, 1, false, &out),
			 RC_STALE);
	assert_ptr_equal(out, (json_t *)0x1);
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id, 2, false, &out), RC_OK);
	assert_true(json_is_null(json_object_get(out, "archived_at")));
	assert_int_equal(version_of(out), 3);
	json_decref(out);
	list = list_all(fx, &company_resource, "");
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	list = list_all(fx, &company_resource, "archived=true");
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	/* restoring a live record changes nothing */
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id, 3, false, &out), RC_OK);
	assert_int_equal(version_of(out), 3);
	json_decref(out);
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM audit_log WHERE record_id = ? AND"
				   " action IN ('archive', 'restore')", "i", id), 2);

	out = (json_t *)0x1;
	assert_int_equal(t_archive(&fx->ctx, &company_resource, 424242, RESOURCE_ANY_VERSION,
					  true, &out), RC_NOT_FOUND);
	assert_int_equal(t_archive(&fx->ctx, &audit_resource, 1, RESOURCE_ANY_VERSION, true,
					  &out), RC_NOT_FOUND);
	assert_ptr_equal(out, (json_t *)0x1);
	/* an archived record may still be edited */
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id, 3, true, &out), RC_OK);
	json_decref(out);
	json_t *u = update(fx, &company_resource, id, "{\"notes\": \"gone\"}", 4, RC_OK, NULL);
	assert_int_equal(version_of(u), 5);
	json_decref(u);
	json_decref(a);
	json_decref(b);
}

static void engine_references(void **state)
{
	struct fx *fx = *state;
	char text[512];
	json_t *errors = create_fails(fx, &contact_resource,
				      "{\"company_id\": 999999, \"first_name\": \"A\","
				      " \"last_name\": \"B\"}", RC_INVALID);
	assert_int_equal(json_array_size(errors), 1);
	assert_string_equal(message_for(errors, "company_id"),
			    "refers to no company with id 999999");
	json_decref(errors);
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM contacts", ""), 0);

	json_t *live = create_ok(fx, &company_resource, "{\"name\": \"Live\"}");
	json_t *gone = create_ok(fx, &company_resource, "{\"name\": \"Gone\"}");
	json_t *out;
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id_of(gone),
					  RESOURCE_ANY_VERSION, true, &out), RC_OK);
	json_decref(out);

	/* a reference to an archived company is refused, on create and on update */
	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"first_name\": \"A\","
		 " \"last_name\": \"B\"}", (long long)id_of(gone));
	errors = create_fails(fx, &contact_resource, text, RC_INVALID);
	assert_non_null(strstr(message_for(errors, "company_id"), "archived company"));
	json_decref(errors);
	snprintf(text, sizeof(text), "{\"name\": \"Referred\", \"referred_by_id\": %lld}",
		 (long long)id_of(gone));
	errors = create_fails(fx, &company_resource, text, RC_INVALID);
	assert_non_null(strstr(message_for(errors, "referred_by_id"), "archived"));
	json_decref(errors);

	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"first_name\": \"A\","
		 " \"last_name\": \"B\"}", (long long)id_of(live));
	json_t *contact = create_ok(fx, &contact_resource, text);
	snprintf(text, sizeof(text), "{\"company_id\": %lld}", (long long)id_of(gone));
	update(fx, &contact_resource, id_of(contact), text, RESOURCE_ANY_VERSION, RC_INVALID,
	       &errors);
	assert_non_null(strstr(message_for(errors, "company_id"), "archived"));
	json_decref(errors);
	update(fx, &contact_resource, id_of(contact), "{\"company_id\": 777777}",
	       RESOURCE_ANY_VERSION, RC_INVALID, &errors);
	assert_non_null(strstr(message_for(errors, "company_id"), "777777"));
	json_decref(errors);

	/* after its company is archived, other edits to the contact still work */
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id_of(live),
					  RESOURCE_ANY_VERSION, true, &out), RC_OK);
	json_decref(out);
	json_t *u = update(fx, &contact_resource, id_of(contact), "{\"title\": \"CEO\"}",
			   RESOURCE_ANY_VERSION, RC_OK, NULL);
	assert_string_equal(str_of(u, "title"), "CEO");
	json_decref(u);
	/* but naming the archived company again, even unchanged, is a no-op, not an error */
	snprintf(text, sizeof(text), "{\"company_id\": %lld}", (long long)id_of(live));
	u = update(fx, &contact_resource, id_of(contact), text, RESOURCE_ANY_VERSION, RC_OK, NULL);
	json_decref(u);

	/* assets: the site must belong to the asset's company */
	json_t *c1 = create_ok(fx, &company_resource, "{\"name\": \"One\"}");
	json_t *c2 = create_ok(fx, &company_resource, "{\"name\": \"Two\"}");
	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"name\": \"HQ\","
		 " \"timezone\": \"Europe/Berlin\"}", (long long)id_of(c1));
	json_t *site = create_ok(fx, &site_resource, text);
	assert_string_equal(str_of(site, "timezone"), "Europe/Berlin");
	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"site_id\": %lld, \"name\": \"P\","
		 " \"kind\": \"printer\"}", (long long)id_of(c2), (long long)id_of(site));
	errors = create_fails(fx, &asset_resource, text, RC_INVALID);
	assert_non_null(strstr(message_for(errors, "site_id"), "belongs to another company"));
	json_decref(errors);
	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"site_id\": %lld, \"name\": \"P\","
		 " \"kind\": \"printer\", \"warranty_expires_on\": \"2028-02-29\"}",
		 (long long)id_of(c1), (long long)id_of(site));
	json_t *asset = create_ok(fx, &asset_resource, text);
	assert_string_equal(str_of(asset, "warranty_expires_on"), "2028-02-29");
	/* moving the asset to the other company without moving its site is refused */
	snprintf(text, sizeof(text), "{\"company_id\": %lld}", (long long)id_of(c2));
	update(fx, &asset_resource, id_of(asset), text, RESOURCE_ANY_VERSION, RC_INVALID, &errors);
	assert_non_null(message_for(errors, "site_id"));
	json_decref(errors);
	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"site_id\": null}",
		 (long long)id_of(c2));
	u = update(fx, &asset_resource, id_of(asset), text, RESOURCE_ANY_VERSION, RC_OK, NULL);
	assert_true(json_is_null(json_object_get(u, "site_id")));
	json_decref(u);
	snprintf(text, sizeof(text), "{\"company_id\": %lld, \"site_id\": 555555,"
		 " \"name\": \"Q\", \"kind\": \"server\"}", (long long)id_of(c1));
	errors = create_fails(fx, &asset_resource, text, RC_INVALID);
	assert_non_null(strstr(message_for(errors, "site_id"), "refers to no site"));
	json_decref(errors);

	json_decref(asset);
	json_decref(site);
	json_decref(c1);
	json_decref(c2);
	json_decref(contact);
	json_decref(live);
	json_decref(gone);
}

/* A resource over the users table: unique e-mail, a string list, a boolean default. */
static const char *const user_roles[] = { "admin", "manager", "technician", "sales", "billing",
					  NULL };
static const struct field user_fields[] = {
	FIELD_EMAIL("email", F_REQUIRED | F_FILTER | F_SORT),
	FIELD_TEXT("name", F_REQUIRED | F_SORT, 1, 200),
	FIELD_ENUM("role", F_REQUIRED | F_FILTER, user_roles, NULL),
	FIELD_BOOL("active", F_FILTER, "true"),
	FIELD_STRINGS("skills", 0, 50, 100),
	FIELD_END
};
static const struct resource user_resource = {
	.name = "users",
	.singular = "user",
	.table = "users",
	.fields = user_fields,
	.default_sort = "email",
};

static void engine_conflicts_and_lists(void **state)
{
	struct fx *fx = *state;
	json_t *u1 = create_ok(fx, &user_resource, "{\"email\": \"a@example.com\", \"name\": \"A\","
						    " \"role\": \"admin\","
						    " \"skills\": [\"printers\", \"networks\"]}");
	assert_true(json_is_true(json_object_get(u1, "active")));
	json_t *skills = json_object_get(u1, "skills");
	assert_true(json_is_array(skills));
	assert_int_equal(json_array_size(skills), 2);
	assert_string_equal(json_string_value(json_array_get(skills, 1)), "networks");

	json_t *errors = create_fails(fx, &user_resource, "{\"email\": \"a@example.com\","
							  " \"name\": \"B\", \"role\": \"sales\"}",
				      RC_CONFLICT);
	assert_non_null(errors);
	assert_int_equal(json_array_size(errors), 1);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(errors, 0),
								 "message")), "conflicts"));
	json_decref(errors);
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM users", ""), 1);

	json_t *u2 = create_ok(fx, &user_resource, "{\"email\": \"b@example.com\", \"name\": \"B\","
						    " \"role\": \"sales\", \"active\": false}");
	assert_true(json_is_false(json_object_get(u2, "active")));
	/* left out: the column's default, an empty list */
	assert_true(json_is_array(json_object_get(u2, "skills")));
	assert_int_equal(json_array_size(json_object_get(u2, "skills")), 0);
	update(fx, &user_resource, id_of(u2), "{\"email\": \"a@example.com\"}", 1, RC_CONFLICT,
	       &errors);
	assert_int_equal(json_array_size(errors), 1);
	json_decref(errors);
	json_t *g;
	assert_int_equal(t_get(&fx->ctx, &user_resource, id_of(u2), &g), RC_OK);
	assert_int_equal(version_of(g), 1);
	assert_string_equal(str_of(g, "email"), "b@example.com");
	json_decref(g);
	/* lists replace as a whole; an equal list is no change */
	json_t *u = update(fx, &user_resource, id_of(u1),
			   "{\"skills\": [\"printers\", \"networks\"]}", 1, RC_OK, NULL);
	assert_int_equal(version_of(u), 1);
	json_decref(u);
	u = update(fx, &user_resource, id_of(u1), "{\"skills\": [\"cctv\"]}", 1, RC_OK, NULL);
	assert_int_equal(version_of(u), 2);
	assert_int_equal(json_array_size(json_object_get(u, "skills")), 1);
	json_decref(u);
	/* boolean filters */
	json_t *list = list_all(fx, &user_resource, "active=false");
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(id_of(json_array_get(list, 0)), id_of(u2));
	json_decref(list);
	list = list_all(fx, &user_resource, "active=true,false&sort=-email");
	assert_int_equal(json_array_size(list), 2);
	assert_ordered(list, "email", true);
	json_decref(list);
	json_decref(u1);
	json_decref(u2);
}

/* 25 companies, created in a scrambled name order, with repeated created_at values. */
struct firm {
	int64_t ids[25];
};

static void make_firm(struct fx *fx, struct firm *firm)
{
	const char *kinds[] = { "client", "prospect", "partner", "vendor" };
	for (int i = 0; i < 25; i++) {
		int n = (i * 7) % 25;	/* a permutation of 0..24 */
		char text[256];
		if (n % 3 == 0)
			snprintf(text, sizeof(text), "{\"name\": \"Company %02d\", \"kind\": \"%s\"}",
				 n, kinds[n % 4]);
		else
			snprintf(text, sizeof(text), "{\"name\": \"Company %02d\", \"kind\": \"%s\","
				 " \"lead_source\": \"source %d\"}", n, kinds[n % 4], n % 4);
		json_t *c = create_ok(fx, &company_resource, text);
		firm->ids[i] = id_of(c);
		json_decref(c);
		/* five distinct creation days, out of id order */
		char day[32];
		snprintf(day, sizeof(day), "2026-01-%02dT00:00:00Z", 1 + (i * 3) % 5);
		assert_int_equal(db_run(fx->db, NULL, "UPDATE companies SET created_at = ?,"
						      " updated_at = ? WHERE id = ?", "ssi", day,
					day, firm->ids[i]), RC_DONE);
	}
}

static void engine_paging(void **state)
{
	struct fx *fx = *state;
	struct firm firm;
	make_firm(fx, &firm);
	struct {
		const char *sort, *field;
		bool desc;
	} sorts[] = {
		{ "name", "name", false },		{ "-name", "name", true },
		{ "created_at", "created_at", false },	{ "-created_at", "created_at", true },
		{ "updated_at", "updated_at", false },	{ "id", NULL, false },
		{ "-id", NULL, true },			{ "kind", "kind", false },
		{ "-kind", "kind", true },		{ "lead_source", "lead_source", false },
		{ "-lead_source", "lead_source", true },
	};
	int limits[] = { 10, 1, 5, 7, 24, 25, 26 };
	for (size_t s = 0; s < N_ELEMS(sorts); s++)
		for (size_t l = 0; l < N_ELEMS(limits); l++) {
			char base[64];
			snprintf(base, sizeof(base), "sort=%s", sorts[s].sort);
			int pages;
			json_t *all = walk(fx, &company_resource, base, limits[l], &pages, NULL,
					   NULL);
			if (json_array_size(all) != 25)
				fail_msg("sort %s limit %d: %zu records", sorts[s].sort, limits[l],
					 json_array_size(all));
			assert_int_equal(pages, (25 + limits[l] - 1) / limits[l]);
			assert_each_once(all, firm.ids, 25);
			assert_ordered(all, sorts[s].field, sorts[s].desc);
			json_decref(all);
		}
	/* the default sort is by name */
	json_t *all = walk(fx, &company_resource, "", 10, NULL, NULL, NULL);
	assert_ordered(all, "name", false);
	assert_string_equal(str_of(json_array_get(all, 0), "name"), "Company 00");
	assert_string_equal(str_of(json_array_get(all, 24), "name"), "Company 24");
	json_decref(all);
	/* 20 records in pages of 10: two pages, no empty third */
	json_t *out;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(t_archive(&fx->ctx, &company_resource, firm.ids[i],
						  RESOURCE_ANY_VERSION, true, &out), RC_OK);
		json_decref(out);
	}
	int pages;
	all = walk(fx, &company_resource, "sort=name", 10, &pages, NULL, NULL);
	assert_int_equal(json_array_size(all), 20);
	assert_int_equal(pages, 2);
	json_decref(all);
	/* an empty list: one empty page, no cursor */
	all = walk(fx, &company_resource, "kind=vendor&name=nobody", 10, &pages, NULL, NULL);
	assert_int_equal(json_array_size(all), 0);
	assert_int_equal(pages, 1);
	json_decref(all);
}

struct insert_plan {
	const char *names[4];
	int64_t ids[4];
	int after_page;
	bool archive_next;	/* also archive one not-yet-seen original */
	int64_t archived;
	const int64_t *originals;
};

static void insert_between(struct fx *fx, int page_no, void *arg)
{
	struct insert_plan *p = arg;
	if (page_no != p->after_page)
		return;
	for (int i = 0; i < 4 && p->names[i]; i++) {
		char text[128];
		snprintf(text, sizeof(text), "{\"name\": \"%s\"}", p->names[i]);
		json_t *c = create_ok(fx, &company_resource, text);
		p->ids[i] = id_of(c);
		json_decref(c);
	}
	if (p->archive_next) {
		/* "Company 24" sorts last by name and was created last-but-none: unseen yet */
		int64_t id = count(fx, "SELECT id FROM companies WHERE name = 'Company 24'", "");
		json_t *out;
		assert_int_equal(t_archive(&fx->ctx, &company_resource, id,
						  RESOURCE_ANY_VERSION, true, &out), RC_OK);
		json_decref(out);
		p->archived = id;
	}
}

static void engine_paging_with_inserts(void **state)
{
	struct fx *fx = *state;
	struct firm firm;
	make_firm(fx, &firm);

	/* by name: new records after the cursor are seen, before it are not, none twice */
	struct insert_plan plan = {
		.names = { "Aaa early", "Company 09", "Zzz late", NULL },
		.after_page = 1,
	};
	json_t *all = walk(fx, &company_resource, "sort=name", 10, NULL, insert_between, &plan);
	assert_each_once(all, firm.ids, 25);
	assert_ordered(all, "name", false);
	assert_false(has_id(all, plan.ids[0]));	/* before the cursor */
	/* the cursor's own name ("Company 09" ends page 1), higher id: after the cursor */
	assert_true(has_id(all, plan.ids[1]));
	assert_true(has_id(all, plan.ids[2]));
	assert_int_equal(json_array_size(all), 27);
	json_decref(all);

	/* newest first: records created during the walk are newer, so not seen */
	struct insert_plan newest = { .names = { "New one", "New two", NULL }, .after_page = 2 };
	all = walk(fx, &company_resource, "sort=-created_at&archived=all", 10, NULL,
		   insert_between, &newest);
	assert_each_once(all, firm.ids, 25);
	assert_ordered(all, "created_at", true);
	assert_false(has_id(all, newest.ids[0]));
	json_decref(all);

	/* by id: new records come at the end */
	struct insert_plan by_id = { .names = { "Later", NULL }, .after_page = 1 };
	all = walk(fx, &company_resource, "sort=id&archived=all", 10, NULL, insert_between,
		   &by_id);
	assert_each_once(all, firm.ids, 25);
	assert_ordered(all, NULL, false);
	assert_true(has_id(all, by_id.ids[0]));
	assert_int_equal(id_of(json_array_get(all, json_array_size(all) - 1)), by_id.ids[0]);
	json_decref(all);

	/* a record archived mid-walk drops out; nothing else is lost or repeated */
	struct insert_plan archive = { .after_page = 1, .archive_next = true };
	all = walk(fx, &company_resource, "sort=name", 10, NULL, insert_between, &archive);
	assert_false(has_id(all, archive.archived));
	int64_t rest[25];
	size_t nrest = 0;
	for (int i = 0; i < 25; i++)
		if (firm.ids[i] != archive.archived)
			rest[nrest++] = firm.ids[i];
	assert_each_once(all, rest, nrest);
	assert_ordered(all, "name", false);
	json_decref(all);
}

/* Names of 200 characters are valid; the cursor after one must be usable. */
static void engine_paging_long_names(void **state)
{
	struct fx *fx = *state;
	static char text[2048];
	for (int i = 0; i < 3; i++) {
		size_t off = (size_t)snprintf(text, sizeof(text), "{\"name\": \"%c", 'a' + i);
		for (int k = 0; k < 199; k++)
			off += (size_t)snprintf(text + off, sizeof(text) - off, "😀");
		snprintf(text + off, sizeof(text) - off, "\"}");
		json_decref(create_ok(fx, &company_resource, text));
	}
	const char *next;
	json_t *data = page(fx, &company_resource, "sort=name&limit=1", &next);
	assert_int_equal(json_array_size(data), 1);
	json_decref(data);
	assert_non_null(next);
	char qs[4096];
	snprintf(qs, sizeof(qs), "sort=name&limit=1&cursor=%s", next);
	struct resource_query q;
	const char *err;
	if (parse(&company_resource, qs, &q, &fx->arena, &err) != 0)
		fail_msg("the server's own cursor (%zu characters) after a 200-character name"
			 " is refused: %s", strlen(next), err);
}

static void engine_filters(void **state)
{
	struct fx *fx = *state;
	struct firm firm;
	make_firm(fx, &firm);
	json_t *list = list_all(fx, &company_resource, "kind=client,partner");
	/* n % 4 == 0 (client) or 2 (partner): n even -> 13 of 0..24 */
	assert_int_equal(json_array_size(list), 13);
	size_t i;
	json_t *r;
	json_array_foreach(list, i, r) {
		const char *k = str_of(r, "kind");
		assert_true(strcmp(k, "client") == 0 || strcmp(k, "partner") == 0);
	}
	assert_ordered(list, "name", false);
	json_decref(list);
	list = list_all(fx, &company_resource, "kind=vendor");
	assert_int_equal(json_array_size(list), 6);	/* 3 7 11 15 19 23 */
	json_decref(list);
	list = list_all(fx, &company_resource, "name=Company 07");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(str_of(json_array_get(list, 0), "name"), "Company 07");
	json_decref(list);
	list = list_all(fx, &company_resource, "lead_source=source 1,source 2");
	json_array_foreach(list, i, r)
		assert_true(strcmp(str_of(r, "lead_source"), "source 1") == 0 ||
			    strcmp(str_of(r, "lead_source"), "source 2") == 0);
	assert_true(json_array_size(list) > 0);
	json_decref(list);
	char qs[256];
	snprintf(qs, sizeof(qs), "id=%lld,%lld,424242", (long long)firm.ids[3],
		 (long long)firm.ids[9]);
	list = list_all(fx, &company_resource, qs);
	assert_int_equal(json_array_size(list), 2);
	assert_true(has_id(list, firm.ids[3]));
	assert_true(has_id(list, firm.ids[9]));
	json_decref(list);

	/* creation days are 1 + (i*3)%5 for i = 0..24: five of each day */
	list = list_all(fx, &company_resource, "created_at_after=2026-01-03");
	assert_int_equal(json_array_size(list), 10);	/* days 4 and 5 (day 3 midnight is not after) */
	json_decref(list);
	list = list_all(fx, &company_resource, "created_at_before=2026-01-02T00:00:01Z");
	assert_int_equal(json_array_size(list), 10);	/* days 1 and 2 */
	json_decref(list);
	list = list_all(fx, &company_resource,
			"created_at_after=2026-01-02T00:00:00Z&created_at_before=2026-01-04");
	assert_int_equal(json_array_size(list), 5);	/* day 3 only */
	json_decref(list);
	/* times in other zones compare in UTC */
	list = list_all(fx, &company_resource, "created_at_before=2026-01-02T01:00:01+01:00");
	assert_int_equal(json_array_size(list), 10);
	json_decref(list);

	/* referrals */
	snprintf(qs, sizeof(qs), "{\"name\": \"Referred\", \"referred_by_id\": %lld}",
		 (long long)firm.ids[0]);
	json_t *c = create_ok(fx, &company_resource, qs);
	snprintf(qs, sizeof(qs), "referred_by_id=%lld", (long long)firm.ids[0]);
	list = list_all(fx, &company_resource, qs);
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(id_of(json_array_get(list, 0)), id_of(c));
	json_decref(list);
	json_decref(c);

	/* contacts by company, assets by warranty date */
	for (int k = 0; k < 3; k++) {
		snprintf(qs, sizeof(qs), "{\"company_id\": %lld, \"first_name\": \"F%d\","
			 " \"last_name\": \"L%d\", \"portal_access\": %s}",
			 (long long)firm.ids[k % 2], k, k, k == 2 ? "true" : "false");
		json_decref(create_ok(fx, &contact_resource, qs));
		snprintf(qs, sizeof(qs), "{\"company_id\": %lld, \"name\": \"A%d\","
			 " \"kind\": \"printer\", \"warranty_expires_on\": \"2027-0%d-15\"}",
			 (long long)firm.ids[0], k, k + 1);
		json_decref(create_ok(fx, &asset_resource, qs));
	}
	snprintf(qs, sizeof(qs), "company_id=%lld", (long long)firm.ids[0]);
	list = list_all(fx, &contact_resource, qs);
	assert_int_equal(json_array_size(list), 2);
	assert_ordered(list, "last_name", false);
	json_decref(list);
	list = list_all(fx, &contact_resource, "portal_access=true");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(str_of(json_array_get(list, 0), "first_name"), "F2");
	json_decref(list);
	list = list_all(fx, &asset_resource, "warranty_expires_on_before=2027-02-15");
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	list = list_all(fx, &asset_resource, "warranty_expires_on_after=2027-01-15&sort=-warranty_expires_on");
	assert_int_equal(json_array_size(list), 2);
	assert_ordered(list, "warranty_expires_on", true);
	json_decref(list);
	list = list_all(fx, &asset_resource, "warranty_expires_on=2027-02-15,2027-03-15&kind=printer");
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
}

static void engine_search(void **state)
{
	struct fx *fx = *state;
	json_t *acme = create_ok(fx, &company_resource, "{\"name\": \"Acme Printing\","
							"\"kind\": \"partner\"}");
	json_t *globex = create_ok(fx, &company_resource, "{\"name\": \"Globex\","
							  " \"notes\": \"printing contract\"}");
	json_t *cafe = create_ok(fx, &company_resource, "{\"name\": \"Café Ölmühle\"}");
	struct {
		const char *qs;
		size_t n;
	} cases[] = {
		{ "q=acm", 1 },		  { "q=printing acme", 1 }, { "q=ACME", 1 },
		{ "q=printing", 2 },	  { "q=print&kind=client", 1 },
		{ "q=cafe olmuhle", 1 }, { "q=zzz", 0 },	   { "q=\"", 0 },
		{ "q=*", 0 },		  { "q=NEAR(", 0 },	   { "q=OR", 0 },
		{ "q=-", 0 },		  { "q=:", 0 },		   { "q=acme OR globex", 0 },
		{ "q=-acme", 1 },	  { "q=name:acme", 0 },	   { "q=", 3 },	/* plain words */
		{ "q= ", 0 },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_t *list = list_all(fx, &company_resource, cases[i].qs);
		if (json_array_size(list) != cases[i].n)
			fail_msg("%s: %zu results, want %zu", cases[i].qs, json_array_size(list),
				 cases[i].n);
		json_decref(list);
	}
	json_t *list = list_all(fx, &company_resource, "q=acm");
	assert_int_equal(id_of(json_array_get(list, 0)), id_of(acme));
	json_decref(list);
	/* search pages like any list */
	int pages;
	list = walk(fx, &company_resource, "q=printing", 1, &pages, NULL, NULL);
	assert_int_equal(json_array_size(list), 2);
	assert_int_equal(pages, 2);
	assert_ordered(list, "name", false);
	json_decref(list);
	/* archived records drop out of search too, and the index follows renames */
	json_t *out;
	assert_int_equal(t_archive(&fx->ctx, &company_resource, id_of(globex),
					  RESOURCE_ANY_VERSION, true, &out), RC_OK);
	json_decref(out);
	list = list_all(fx, &company_resource, "q=printing");
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	json_decref(update(fx, &company_resource, id_of(acme), "{\"name\": \"Initech\"}",
			   RESOURCE_ANY_VERSION, RC_OK, NULL));
	list = list_all(fx, &company_resource, "q=acme");
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	list = list_all(fx, &company_resource, "q=initech");
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	json_decref(acme);
	json_decref(globex);
	json_decref(cafe);
}

/*
 * Writes inside a caller's transaction join it: what they wrote stays only
 * if the caller commits, and an invalid one leaves the caller to roll back.
 */
struct nested {
	struct fx *fx;
	const char *second;	/* the body of the second company */
	int first_rc, second_rc;
};

static int nested_txn(struct db *db, void *arg)
{
	struct nested *n = arg;
	json_t *a = parse_json("{\"name\": \"Nested One\"}"), *b = parse_json(n->second);
	json_t *out = NULL, *errors = NULL;
	n->first_rc = t_create(&n->fx->ctx, &company_resource, a, &out, &errors);
	json_decref(out);
	json_decref(errors);
	out = errors = NULL;
	n->second_rc = t_create(&n->fx->ctx, &company_resource, b, &out, &errors);
	json_decref(out);
	json_decref(errors);
	json_decref(a);
	json_decref(b);
	assert_true(db_in_txn(db));
	return n->first_rc == RC_OK && n->second_rc == RC_OK ? RC_OK : RC_ERROR;
}

static void engine_nested_writes(void **state)
{
	struct fx *fx = *state;
	/* the second one breaks a rule the engine checks in the transaction (a dangling
	   reference): the first, already written, goes with the rollback */
	struct nested bad = { fx, "{\"name\": \"Nested Two\", \"referred_by_id\": 999999}", -1, -1 };
	assert_int_equal(db_txn(fx->db, nested_txn, &bad), RC_ERROR);
	assert_int_equal(bad.first_rc, RC_OK);
	assert_int_equal(bad.second_rc, RC_INVALID);
	assert_false(db_in_txn(fx->db));
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM companies", ""), 0);
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM audit_log", ""), 0);
	/* both valid: one commit writes both, with their audit entries */
	struct nested good = { fx, "{\"name\": \"Nested Two\"}", -1, -1 };
	assert_int_equal(db_txn(fx->db, nested_txn, &good), RC_OK);
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM companies", ""), 2);
	assert_int_equal(count(fx, "SELECT COUNT(*) FROM audit_log WHERE resource = 'companies'",
			       ""),
			 2);
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validate_basics),
		cmocka_unit_test(validate_unknown_fields),
		cmocka_unit_test(validate_read_only),
		cmocka_unit_test(validate_required),
		cmocka_unit_test(validate_types),
		cmocka_unit_test(validate_enum_message),
		cmocka_unit_test(validate_text_length_in_characters),
		cmocka_unit_test(validate_control_characters),
		cmocka_unit_test(validate_email),
		cmocka_unit_test(validate_url),
		cmocka_unit_test(validate_timezone),
		cmocka_unit_test(validate_not_an_object),
		cmocka_unit_test(validate_appends_to_errors),
		cmocka_unit_test(query_defaults),
		cmocka_unit_test(query_limit),
		cmocka_unit_test(query_unknown_and_repeated),
		cmocka_unit_test(query_lists),
		cmocka_unit_test(query_typed_filters),
		cmocka_unit_test(query_time_bounds),
		cmocka_unit_test(query_sort),
		cmocka_unit_test(query_archived),
		cmocka_unit_test(query_search),
		cmocka_unit_test(query_search_length_in_characters),
		cmocka_unit_test(query_utf8),
		cmocka_unit_test(cursor_round_trips),
		cmocka_unit_test(cursor_refuses_garbage),
		cmocka_unit_test(cursor_bound_to_its_sort),
		cmocka_unit_test_setup_teardown(engine_create_and_get, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_rows_read_ahead, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_nested_writes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_create_invalid, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_update, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_audit_actor_and_list, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_archive_restore, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_references, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_conflicts_and_lists, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_paging, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_paging_with_inserts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_paging_long_names, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(engine_search, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
