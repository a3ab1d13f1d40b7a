/*
 * transfer.c - "servio import KIND FILE" and "servio export KIND": the
 * firm's companies, contacts, sites, assets and products as CSV
 * (transfer/transfer.h says what a file may hold). An import reports every
 * problem with its line number and writes nothing unless the whole file is
 * right; --dry-run only checks.
 */
#include "cli.h"

#include "auth/auth.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/result.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "resource/audit.h"
#include "transfer/transfer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAX_FILE (64u * 1024 * 1024)

static void kinds_text(char *out, size_t n)
{
	out[0] = '\0';
	for (int i = 0; transfer_kinds[i]; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? ", " : "", transfer_kinds[i]);
}

static int usage(FILE *f, int rc)
{
	char kinds[128];
	kinds_text(kinds, sizeof(kinds));
	fprintf(f, "usage: servio import KIND FILE [--dry-run] [--map HEADER=FIELD]...\n"
		   "       servio export KIND [--archived] > FILE\n\n"
		   "KIND is one of: %s. The first line of FILE names the columns: the\n"
		   "record's fields (\"company\" gives a company by name, \"id\" updates that record).\n"
		   "--map renames a header to a field (or to - to leave the column out).\n"
		   "Every problem is reported with its line; nothing is written unless the whole\n"
		   "file is right. --dry-run checks only. Exit status: 0 done, 1 problems or\n"
		   "failure, 2 usage.\n", kinds);
	return rc;
}

static bool help_asked(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static bool read_file(const char *path, struct buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "servio import: cannot open %s: %s\n", path, strerror(errno));
		return false;
	}
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n) < 0) {
			fprintf(stderr, "servio import: %s is larger than %u MiB\n", path,
				MAX_FILE >> 20);
			if (f != stdin)
				fclose(f);
			return false;
		}
	bool ok = !ferror(f);
	if (!ok)
		fprintf(stderr, "servio import: cannot read %s\n", path);
	if (f != stdin)
		fclose(f);
	return ok;
}

static const struct audit_actor cli_actor = { .label = "cli (servio import)",
					      .role = ROLE_ADMIN };

int cmd_import(struct conf *c, int argc, char **argv)
{
	if (help_asked(argc, argv))
		return usage(stdout, 0);
	const char *kind = NULL, *path = NULL;
	bool dry_run = false;
	json_t *mapping = json_object();
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0) {
			dry_run = true;
		} else if (strcmp(argv[i], "--map") == 0 && i + 1 < argc) {
			const char *eq = strrchr(argv[++i], '=');
			if (!eq || eq == argv[i]) {
				fprintf(stderr, "servio import: --map wants HEADER=FIELD, not \"%s\"\n",
					argv[i]);
				json_decref(mapping);
				return 2;
			}
			json_object_setn_new(mapping, argv[i], (size_t)(eq - argv[i]),
					     json_string(eq + 1));
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "servio import: unknown option %s\n", argv[i]);
			json_decref(mapping);
			return usage(stderr, 2);
		} else if (!kind) {
			kind = argv[i];
		} else if (!path) {
			path = argv[i];
		} else {
			json_decref(mapping);
			return usage(stderr, 2);
		}
	}
	if (!kind || !path || !transfer_resource(kind)) {
		if (kind && !transfer_resource(kind))
			fprintf(stderr, "servio import: no such kind \"%s\"\n", kind);
		json_decref(mapping);
		return usage(stderr, 2);
	}
	struct buf file;
	buf_init(&file, MAX_FILE);
	if (!read_file(path, &file)) {
		buf_release(&file);
		json_decref(mapping);
		return 1;
	}
	struct db *db = cli_open_db(c);
	if (!db) {
		buf_release(&file);
		json_decref(mapping);
		return 1;
	}
	struct arena arena;
	arena_init(&arena);
	struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &cli_actor,
				    .now = time_now() };
	json_t *report = NULL;
	int rc = transfer_import(&ctx, kind, file.data ? file.data : "", file.len, mapping, dry_run,
				 &report);
	buf_release(&file);
	json_decref(mapping);
	int status = 0;
	if (rc == RC_OK) {
		long long rows = json_integer_value(json_object_get(report, "rows"));
		if (dry_run)
			printf("servio import: %s: %lld rows are right; nothing written (--dry-run)\n",
			       path, rows);
		else
			printf("servio import: %s: %lld %s created, %lld updated\n", path,
			       (long long)json_integer_value(json_object_get(report, "created")), kind,
			       (long long)json_integer_value(json_object_get(report, "updated")));
	} else if (rc == RC_INVALID && report) {
		size_t i;
		json_t *p;
		json_t *problems = json_object_get(report, "problems");
		json_array_foreach(problems, i, p) {
			const char *field = json_string_value(json_object_get(p, "field"));
			fprintf(stderr, "%s:%lld: %s%s%s\n", path,
				(long long)json_integer_value(json_object_get(p, "line")),
				field ? field : "", field ? ": " : "",
				json_string_value(json_object_get(p, "message")));
		}
		fprintf(stderr, "servio import: %zu problem%s; nothing written\n",
			json_array_size(problems), json_array_size(problems) == 1 ? "" : "s");
		status = 1;
	} else {
		fprintf(stderr, "servio import: failed: %s\n", db_errmsg(db));
		status = 1;
	}
	arena_release(&arena);
	db_disconnect(db);
	return status;
}

int cmd_export(struct conf *c, int argc, char **argv)
{
	if (help_asked(argc, argv))
		return usage(stdout, 0);
	const char *kind = NULL;
	bool archived = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--archived") == 0)
			archived = true;
		else if (!kind && argv[i][0] != '-')
			kind = argv[i];
		else
			return usage(stderr, 2);
	}
	if (!kind || !transfer_resource(kind)) {
		if (kind)
			fprintf(stderr, "servio export: no such kind \"%s\"\n", kind);
		return usage(stderr, 2);
	}
	struct db *db = cli_open_db(c);
	if (!db)
		return 1;
	struct arena arena;
	arena_init(&arena);
	struct resource_ctx ctx = { .db = db, .arena = &arena, .actor = &cli_actor,
				    .now = time_now() };
	struct buf out;
	buf_init(&out, 0);
	int rc = transfer_export(&ctx, kind, archived, &out);
	int status = 0;
	if (rc == RC_OK) {
		if (fwrite(out.data ? out.data : "", 1, out.len, stdout) != out.len ||
		    fflush(stdout) != 0) {
			perror("servio export: cannot write");
			status = 1;
		}
	} else {
		fprintf(stderr, "servio export: failed: %s\n", db_errmsg(db));
		status = 1;
	}
	buf_release(&out);
	arena_release(&arena);
	db_disconnect(db);
	return status;
}
