/*
 * main.c - the servio command line: parse the configuration flags, pick
 * the subcommand, and hand it the rest of the arguments.
 *
 *   servio [--data-dir DIR] [--listen HOST:PORT] … COMMAND [ARGS]
 *
 * Configuration flags may stand before or after the command; everything
 * else belongs to the command.
 */
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/blob.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "mail/mail.h"
#include "notify/notify.h"
#include "quality/surveys.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_version(struct conf *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
#ifdef SERVIO_TEST_HOOKS
	/* the API tests tell the two builds apart by this */
	printf("servio %s (test build)\n", SERVIO_VERSION);
#else
	printf("servio %s\n", SERVIO_VERSION);
#endif
	return 0;
}

static const struct command {
	const char *name;
	int (*run)(struct conf *c, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "serve", cmd_serve, "serve the API and the web UI, and run the job worker" },
	{ "worker", cmd_worker, "run only the background job worker" },
	{ "init", cmd_init, "create the data directory, the database and the first admin" },
	{ "migrate", cmd_migrate, "apply pending database migrations" },
	{ "user", cmd_user, "manage staff users: add, list, passwd, disable" },
	{ "token", cmd_token, "manage API tokens: create, list, revoke" },
	{ "backup", cmd_backup, "write a consistent copy of a live SQLite database" },
	{ "copy", cmd_copy, "copy the whole database to another (SQLite <-> PostgreSQL)" },
	{ "demo", cmd_demo, "load a demo firm into an empty database" },
	{ "mail-in", cmd_mail_in, "take one e-mail message from standard input (an MTA pipe)" },
	{ "import", cmd_import, "import companies, contacts, sites, assets or products from CSV" },
	{ "export", cmd_export, "write companies, contacts, sites, assets or products as CSV" },
	{ "routes", cmd_routes, "list the HTTP routes with the roles allowed" },
	{ "schema", cmd_schema, "print the API's records as OpenAPI or TypeScript (make generate)" },
	{ "version", cmd_version, "print the version" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: servio [flags] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nflags (each also read from its environment variable):\n%s", conf_flags_help);
	fprintf(out, "\nrun \"servio COMMAND --help\" for a command's own arguments\n");
}

int main(int argc, char **argv)
{
	alloc_install_json();
	if (sodium_init() < 0) {
		fprintf(stderr, "servio: cannot initialise libsodium\n");
		return 1;
	}
	struct conf conf;
	conf_init(&conf);

	char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
	if (!rest)
		return 1;
	int nrest = 0;
	const struct command *cmd = NULL;
	char err[512];

	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (strncmp(arg, "--", 2) == 0 && arg[2]) {
			char *eq = strchr(arg, '=');
			char flag[64];
			const char *value;
			int used_next = 0;
			if (eq) {
				snprintf(flag, sizeof(flag), "%.*s", (int)(eq - arg), arg);
				value = eq + 1;
			} else {
				snprintf(flag, sizeof(flag), "%s", arg);
				value = i + 1 < argc ? argv[i + 1] : NULL;
				used_next = 1;
			}
			int rc = conf_flag(&conf, flag, value, err, sizeof(err));
			if (rc < 0) {
				fprintf(stderr, "servio: %s\n", err);
				xfree(rest);
				return 2;
			}
			if (rc > 0) {
				i += used_next;
				continue;
			}
		}
		if (!cmd && arg[0] != '-') {
			for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
				if (strcmp(arg, commands[k].name) == 0)
					cmd = &commands[k];
			if (!cmd) {
				fprintf(stderr, "servio: unknown command \"%s\"\n\n", arg);
				usage(stderr);
				xfree(rest);
				return 2;
			}
			continue;
		}
		if (!cmd && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
			usage(stdout);
			xfree(rest);
			return 0;
		}
		if (!cmd && strcmp(arg, "--version") == 0) {
			xfree(rest);
			return cmd_version(&conf, 0, NULL);
		}
		rest[nrest++] = arg;
	}
	if (!cmd) {
		if (nrest) {
			fprintf(stderr, "servio: unknown flag \"%s\"\n\n", rest[0]);
			usage(stderr);
			xfree(rest);
			return 2;
		}
		usage(stderr);
		xfree(rest);
		return 2;
	}
	bool wants_help = false;
	for (int i = 0; i < nrest; i++)
		if (strcmp(rest[i], "--help") == 0 || strcmp(rest[i], "-h") == 0)
			wants_help = true;
	if (!wants_help && conf_validate(&conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "servio: invalid configuration: %s\n", err);
		xfree(rest);
		return 2;
	}
	/* where attachments are kept, for every command that serves or copies them */
	if (!wants_help && blob_set_root(conf.data_dir) < 0) {
		fprintf(stderr, "servio: invalid configuration: data directory path is too long\n");
		xfree(rest);
		return 2;
	}
	db_sqlite_synchronous(conf.sqlite_sync == CONF_SYNC_NORMAL ? DB_SYNC_NORMAL
			      : conf.sqlite_sync == CONF_SYNC_EACH ? DB_SYNC_EACH
								 : DB_SYNC_FULL);
	enum log_level level = LOG_INFO;
	log_level_parse(conf.log_level, &level);
	log_set_level(level);
#ifdef SERVIO_TEST_HOOKS
	/* a worker or a CLI command shares the clock of the test server it runs beside */
	if (time_offset_from_env(err, sizeof(err)) < 0) {
		fprintf(stderr, "servio: %s\n", err);
		xfree(rest);
		return 2;
	}
#endif
	mail_startup();
	notify_startup();
	survey_startup();
	int rc = cmd->run(&conf, nrest, rest);
	xfree(rest);
	return rc;
}
