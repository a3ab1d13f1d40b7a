/*
 * cli.h - the subcommands of the servio program. main.c parses the
 * configuration flags and dispatches; each command gets the arguments
 * after its name with the configuration flags already removed.
 * Each returns the process exit status: 0 ok, 1 failed, 2 usage error.
 */
#ifndef SERVIO_CLI_H
#define SERVIO_CLI_H

struct conf;

int cmd_serve(struct conf *c, int argc, char **argv);
int cmd_worker(struct conf *c, int argc, char **argv);
int cmd_init(struct conf *c, int argc, char **argv);
int cmd_migrate(struct conf *c, int argc, char **argv);
int cmd_user(struct conf *c, int argc, char **argv);	/* user add|list|passwd|disable */
int cmd_token(struct conf *c, int argc, char **argv);	/* token create|list|revoke */
int cmd_routes(struct conf *c, int argc, char **argv);	/* prints METHOD PATTERN ROLES */
int cmd_schema(struct conf *c, int argc, char **argv);	/* schema openapi|typescript|roles */
int cmd_copy(struct conf *c, int argc, char **argv);	/* copy --to URL */
int cmd_backup(struct conf *c, int argc, char **argv);	/* backup --to FILE */
int cmd_demo(struct conf *c, int argc, char **argv);	/* demo [--password P] */
int cmd_mail_in(struct conf *c, int argc, char **argv);	/* mail-in < message */
int cmd_import(struct conf *c, int argc, char **argv);	/* import KIND FILE [--dry-run] */
int cmd_export(struct conf *c, int argc, char **argv);	/* export KIND */

/* The first admin's sign-in, in the data directory (servio init writes it, mode 0600). */
#define CLI_FIRST_ADMIN_FILE "first-admin.txt"

/*
 * Prints a framed box to standard output: a title, then "e-mail" and
 * "password" lines, then a note (any may be NULL). For what a person must
 * see among a program's other output.
 */
void cli_banner(const char *title, const char *email, const char *password, const char *note);

/* Opens the configured database and applies migrations; NULL on failure (said). */
struct db *cli_open_db(struct conf *c);

#endif
