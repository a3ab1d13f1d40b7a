/*
 * test_rowtext.c - records written straight from their rows as JSON text
 * (resource_list_text, resource_get_text) are byte for byte what
 * json_write gives of the jansson records resource_list and resource_get
 * build. Over the demo firm: every resource the API lists or reads
 * through the engine, for every role its route admits (the portal's with
 * its company's scope), a child resource under several parents, pages
 * with cursors, searches, and rows made odd on purpose (control
 * characters, quotes, non-ASCII, JSON columns not in compact form,
 * fractional quantities, nulls).
 */
#include "api/api.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/blob.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/jsonout.h"
#include "core/log.h"
#include "db/db.h"
#include "http/http.h"
#include "resource/resource.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

static char dir[64];
static struct db *db;
static int64_t portal_company;
static int compared;

/* Runs a command of the servio program with its output out of the test's. */
static int quietly(int (*cmd)(struct conf *, int, char **), struct conf *c, int argc,
		   char **argv)
{
	fflush(stdout);
	int saved = dup(1), null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	int rc = cmd(c, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(null);
	return rc;
}

static int64_t one_int(const char *sql)
{
	struct db_stmt *st;
	assert_int_equal(db_run(db, &st, sql, ""), RC_ROW);
	int64_t v = db_col_int(st, 0);
	db_done(st);
	return v;
}

static void exec(const char *sql)
{
	struct db_stmt *st;
	int rc = db_run(db, &st, sql, "");
	assert_true(rc == RC_DONE || rc == RC_ROW);
	if (rc == RC_ROW)
		db_done(st);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/servio-test-rowtext-%d", (int)getpid());
	struct conf c;
	char err[256];
	conf_init(&c);
	if (conf_flag(&c, "--data-dir", dir, err, sizeof(err)) < 0 ||
	    conf_validate(&c, err, sizeof(err)) < 0 || blob_set_root(c.data_dir) < 0)
		return -1;
	alloc_install_json();
	log_set_level(LOG_WARN);
	char *demo[] = { "--password", "Rowtext-Demo-Pass-42" };
	if (quietly(cmd_init, &c, 0, NULL) != 0 || quietly(cmd_demo, &c, 2, demo) != 0)
		return -1;
	if (db_connect(c.database_url, &db, err, sizeof(err)) != RC_OK)
		return -1;
	/* rows no API call would write, as the engine must still read them */
	exec("UPDATE tickets SET subject = 'ctl \x01\x1f tab\t quote\" back\\ slash/ "
	     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80', description = NULL, "
	     "required_skills = '[ \"networking\" , \"windows\" ]', "
	     "required_certifications = '{\"not\": \"a list\"}' "
	     "WHERE id = (SELECT MIN(id) FROM tickets)");
	exec("UPDATE tickets SET required_skills = 'not json', sla_warnings = 255 "
	     "WHERE id = (SELECT MAX(id) FROM tickets)");
	exec("UPDATE ticket_parts SET quantity = 1500 WHERE id = (SELECT MIN(id) FROM ticket_parts)");
	exec("UPDATE ticket_parts SET quantity = -2 WHERE id = (SELECT MAX(id) FROM ticket_parts)");
	portal_company = one_int("SELECT c.company_id FROM users u JOIN contacts c"
				 " ON c.id = u.contact_id ORDER BY u.id LIMIT 1");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	db_disconnect(db);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct caller {
	struct arena arena;
	struct audit_actor actor;
	struct resource_ctx ctx;
};

static void caller_init(struct caller *c, unsigned role, int64_t parent)
{
	arena_init(&c->arena);
	c->actor = (struct audit_actor){ .user_id = 1, .label = "test", .role = role };
	c->ctx = (struct resource_ctx){
		.db = db, .arena = &c->arena, .actor = &c->actor, .parent_id = parent,
		.scope_company = role == ROLE_PORTAL ? portal_company : 0,
	};
}

static void expect_same(const char *what, const struct resource *res, unsigned role,
			const struct buf *text, const struct buf *built)
{
	if (strcmp(buf_str(text), buf_str(built)) != 0)
		fail_msg("%s of %s as role %u:\n text:  %s\n built: %s", what, res->name, role,
			 buf_str(text), buf_str(built));
	compared++;
}

/* One record both ways: the same result, bytes and version. */
static void compare_get(struct caller *c, const struct resource *res, unsigned role, int64_t id)
{
	json_t *rec = NULL;
	struct buf text, built;
	buf_init(&text, BUF_DEFAULT_MAX);
	buf_init(&built, BUF_DEFAULT_MAX);
	buf_addstr(&text, "kept");
	int64_t version = -2;
	int want = resource_get(&c->ctx, res, id, &rec);
	int got = resource_get_text(&c->ctx, res, id, &text, &version);
	assert_int_equal(got, want);
	if (want == RC_OK) {
		buf_addstr(&built, "kept");
		assert_int_equal(json_write(&built, rec), 0);
		expect_same("a get", res, role, &text, &built);
		json_t *v = json_object_get(rec, "version");
		assert_int_equal(version, json_is_integer(v) ? json_integer_value(v) : -1);
	} else {
		assert_string_equal(buf_str(&text), "kept");
	}
	buf_release(&text);
	buf_release(&built);
}

/*
 * A list both ways with the query pairs given, then its next page when
 * there is one (up to pages), and a get of each record listed. Returns
 * false when the query is not one res takes.
 */
static bool compare_list(struct caller *c, const struct resource *res, unsigned role,
			 const struct http_kv *pairs, int n, int pages)
{
	struct resource_query q;
	const char *err;
	if (resource_query_parse(res, role, pairs, n, &q, &c->arena, &err) < 0)
		return false;
	json_t *data = NULL;
	const char *next_built = NULL, *next_text = NULL;
	struct buf text, built;
	buf_init(&text, BUF_DEFAULT_MAX);
	buf_init(&built, BUF_DEFAULT_MAX);
	int want = resource_list(&c->ctx, res, &q, &data, &next_built);
	int got = resource_list_text(&c->ctx, res, &q, &text, &next_text);
	assert_int_equal(got, want);
	if (want == RC_OK) {
		assert_int_equal(json_write(&built, data), 0);
		expect_same("a list", res, role, &text, &built);
		assert_true((next_built == NULL) == (next_text == NULL));
		if (next_built)
			assert_string_equal(next_text, next_built);
		for (size_t i = 0; i < json_array_size(data); i++)
			compare_get(c, res, role,
				    json_integer_value(json_object_get(json_array_get(data, i), "id")));
	}
	buf_release(&text);
	buf_release(&built);
	if (want == RC_OK && next_built && pages > 1) {
		struct http_kv more[8];
		int m = 0;
		for (int i = 0; i < n && m < 7; i++)
			if (strcmp(pairs[i].name, "cursor") != 0)
				more[m++] = pairs[i];
		more[m++] = (struct http_kv){ "cursor", next_built };
		compare_list(c, res, role, more, m, pages - 1);
	}
	return true;
}

/* The lists of res for role under one parent (0: none), plain, paged, sorted, searched. */
static void compare_all(const struct resource *res, unsigned role, int64_t parent)
{
	struct caller c;
	caller_init(&c, role, parent);
	assert_true(compare_list(&c, res, role, NULL, 0, 1));
	const struct http_kv paged[] = { { "limit", "3" } };
	compare_list(&c, res, role, paged, 1, 3);
	const struct http_kv sorted[] = { { "limit", "7" }, { "sort", "-updated_at" } };
	compare_list(&c, res, role, sorted, 2, 2);
	const struct http_kv searched[] = { { "q", "e" }, { "limit", "5" } };
	compare_list(&c, res, role, searched, 2, 2);
	const struct http_kv worded[] = { { "q", "server backup" } };
	compare_list(&c, res, role, worded, 1, 1);
	/* nothing there */
	compare_get(&c, res, role, INT64_MAX / 2);
	arena_release(&c.arena);
}

static void same_bytes_for_every_resource(void **state)
{
	(void)state;
	const struct http_route *routes;
	size_t n;
	assert_int_equal(api_route_table(&routes, &n), 0);
	int resources = 0;
	for (size_t i = 0; i < n; i++) {
		const struct resource_action *action;
		const struct resource *res = api_route_resource(&routes[i], &action);
		/* a list: a GET through the engine whose path ends in a name, not ":id" */
		const char *last = strrchr(routes[i].pattern, '/');
		if (!res || action || strcmp(routes[i].method, "GET") != 0 || !last || last[1] == ':')
			continue;
		resources++;
		for (unsigned role = ROLE_ADMIN; role <= ROLE_PORTAL; role <<= 1) {
			if (!(routes[i].roles & role))
				continue;
			if (!res->parent) {
				compare_all(res, role, 0);
				continue;
			}
			/* the parents with the most children, and the newest parent */
			char sql[512];
			snprintf(sql, sizeof(sql),
				 "SELECT %s FROM %s GROUP BY %s ORDER BY COUNT(*) DESC, %s LIMIT 4",
				 res->parent_field, res->table, res->parent_field, res->parent_field);
			struct db_stmt *st;
			int64_t parents[5];
			int np = 0;
			int rc;
			assert_non_null(st = db_prepare(db, sql));
			while ((rc = db_step(st)) == RC_ROW && np < 4)
				parents[np++] = db_col_int(st, 0);
			db_done(st);
			snprintf(sql, sizeof(sql), "SELECT MAX(id) FROM %s", res->parent->table);
			parents[np++] = one_int(sql);
			for (int k = 0; k < np; k++)
				compare_all(res, role, parents[k]);
		}
	}
	/* the engine's routes serve dozens of resources; the comparisons run in thousands */
	assert_true(resources > 20);
	assert_true(compared > 1000);
	print_message("%d resources, %d comparisons\n", resources, compared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_bytes_for_every_resource),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
