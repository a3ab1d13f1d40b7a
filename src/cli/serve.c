/*
 * serve.c - "servio serve", "servio migrate", "servio routes" and the
 * database opening every command shares.
 */
#include "cli.h"

#include "api/api.h"
#include "auth/auth.h"
#include "core/conf.h"
#include "core/log.h"
#include "db/db.h"
#include "quotes/pdf.h"
#include "jobs/jobs.h"
#include "service/ical.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

static bool is_sqlite(const char *url)
{
	return strncmp(url, "sqlite:", 7) == 0;
}

static struct db *open_db(struct conf *c, bool must_exist, bool migrate)
{
	if (is_sqlite(c->database_url) && must_exist) {
		const char *path = c->database_url + 7;
		struct stat st;
		if (stat(path, &st) < 0) {
			fprintf(stderr, "servio: no database at %s: run \"servio init\" first\n", path);
			return NULL;
		}
	}
	struct db *db;
	char err[512];
	if (db_connect(c->database_url, &db, err, sizeof(err)) != RC_OK) {
		fprintf(stderr, "servio: %s\n", err);
		return NULL;
	}
	if (migrate && db_migrate(db, true) != RC_OK) {
		fprintf(stderr, "servio: cannot migrate the database: %s\n", db_errmsg(db));
		db_disconnect(db);
		return NULL;
	}
	return db;
}

struct db *cli_open_db(struct conf *c)
{
	return open_db(c, true, true);
}

static bool help_asked(int argc, char **argv, const char *text)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s", text);
			return true;
		}
	}
	return false;
}

int cmd_migrate(struct conf *c, int argc, char **argv)
{
	if (help_asked(argc, argv,
		       "usage: servio migrate\n\n"
		       "Applies pending schema migrations, each in one transaction.\n"))
		return 0;
	if (argc) {
		fprintf(stderr, "servio migrate: unexpected argument \"%s\"\n", argv[0]);
		return 2;
	}
	struct db *db = open_db(c, true, false);
	if (!db)
		return 1;
	int before, latest;
	int rc = db_migrate(db, true);
	if (rc == RC_OK && db_schema_version(db, &before, &latest) == RC_OK)
		printf("database schema is at version %d\n", before);
	db_disconnect(db);
	return rc == RC_OK ? 0 : 1;
}

static void roles_text(unsigned roles, char *out, size_t n)
{
	if (roles & HTTP_PUBLIC) {
		snprintf(out, n, "public");
		return;
	}
	out[0] = '\0';
	size_t off = 0;
	for (unsigned bit = 1; bit <= ROLE_PORTAL; bit <<= 1)
		if (roles & bit && off < n)
			off += (size_t)snprintf(out + off, n - off, "%s%s", off ? "," : "",
						role_name(bit));
}

int cmd_routes(struct conf *c, int argc, char **argv)
{
	(void)c;
	if (help_asked(argc, argv,
		       "usage: servio routes\n\n"
		       "Prints every HTTP route as: METHOD PATTERN ROLES\n"))
		return 0;
	const struct http_route *routes;
	size_t n;
	if (api_route_table(&routes, &n) < 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		char roles[128];
		roles_text(routes[i].roles, roles, sizeof(roles));
		printf("%s %s %s\n", routes[i].method, routes[i].pattern, roles);
	}
	return 0;
}

/* Blocks the stop signals in every thread to come; the caller sigwait()s. */
/*
 * Room for the connections we allow: the soft limit on open files raised
 * towards the hard one (a default 1024 would run out before 1000
 * connections plus the database, logs and files being served).
 */
static void raise_open_files(unsigned connections)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rlim_t want = (rlim_t)connections * 2 + 256;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_warn("open files are limited to %llu: fewer than %u connections may fit; "
			 "raise the limit (ulimit -n) or lower SERVIO_MAX_CONNECTIONS",
			 (unsigned long long)rl.rlim_cur, connections);
}

/*
 * Where to sign in, framed under the log's first lines: the address we
 * really listen on (a free port's too) and, while servio init's
 * first-admin file exists, the first admin's sign-in from it (that file
 * is the owner's, mode 0600).
 */
static void first_day_banner(const struct conf *c, uint16_t port)
{
	char path[4096], email[256] = "", password[256] = "", url[128];
	const char *h = c->listen_host;
	bool wildcard = strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0;
	snprintf(url, sizeof(url), strchr(h, ':') && !wildcard ? "http://[%s]:%u" : "http://%s:%u",
		 wildcard ? "localhost" : h, (unsigned)port);
	char title[160], note[4200];
	snprintf(title, sizeof(title), "Servio is running: open %s", url);
	FILE *f = snprintf(path, sizeof(path), "%s/%s", c->data_dir, CLI_FIRST_ADMIN_FILE) <
				  (int)sizeof(path)
			  ? fopen(path, "r")
			  : NULL;
	char lines[2][300];
	bool first = f && fgets(lines[0], sizeof(lines[0]), f) &&
		     fgets(lines[1], sizeof(lines[1]), f) &&
		     sscanf(lines[0], "e-mail: %255s", email) == 1 &&
		     sscanf(lines[1], "password: %255s", password) == 1;
	if (f)
		fclose(f);
	snprintf(note, sizeof(note), "from %s: delete it once you have changed the password", path);
	cli_banner(title, first ? email : NULL, first ? password : NULL, first ? note : NULL);
}

static void block_stop_signals(sigset_t *stop)
{
	sigemptyset(stop);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* past a file size limit (ulimit -f) a write fails with EFBIG, which the
	 * database layer answers as "no room" (507), instead of killing us */
	signal(SIGXFSZ, SIG_IGN);
}

static int wait_for_stop(sigset_t *stop)
{
	int sig = 0;
	while (sigwait(stop, &sig) != 0)
		;
	log_info("received %s: finishing the work in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	return sig;
}

/* Whether db's schema is the one this program knows; if not, says so. */
static bool schema_current(struct db *db)
{
	int current, latest;
	if (db_schema_version(db, &current, &latest) != RC_OK)
		fprintf(stderr, "servio: cannot read the schema's version: %s\n", db_errmsg(db));
	else if (current != latest)
		fprintf(stderr, "servio: the database schema is at version %d, this program needs "
				"%d: run \"servio migrate\"\n", current, latest);
	else
		return true;
	return false;
}

/* servio worker --run KIND: the kind's handler once, now, in this process. */
static int run_kind_now(struct conf *c, const char *kind)
{
	const struct job_kind *k = NULL;
	for (const struct job_kind *const *p = job_kinds; *p && !k; p++)
		if (strcmp((*p)->name, kind) == 0)
			k = *p;
	if (!k) {
		fprintf(stderr, "servio worker: no job kind \"%s\" (kinds:", kind);
		for (const struct job_kind *const *p = job_kinds; *p; p++)
			fprintf(stderr, " %s", (*p)->name);
		fprintf(stderr, ")\n");
		return 2;
	}
	/*
	 * before the connection opens: its commits never checkpoint (an SLA
	 * sweep's batches spent a sixth of their time copying the WAL back)
	 */
	char error[512] = "";
	if (db_checkpointer_start(c->database_url, error, sizeof(error)) != RC_OK) {
		fprintf(stderr, "servio: %s\n", error);
		return 1;
	}
	struct db *db = open_db(c, true, false);
	if (!db || !schema_current(db)) {
		db_disconnect(db);
		db_checkpointer_stop();
		return 1;
	}
	ical_init();
	json_t *payload = json_pack("{s:b}", "forced", 1);	/* asked for: no stepping aside */
	enum job_result r = k->run(db, payload, error, sizeof(error));
	json_decref(payload);
	db_disconnect(db);
	db_checkpointer_stop();
	if (r != JOB_DONE) {
		fprintf(stderr, "servio: %s failed: %s\n", kind, error);
		return 1;
	}
	return 0;
}

int cmd_worker(struct conf *c, int argc, char **argv)
{
	if (help_asked(argc, argv,
		       "usage: servio worker [--run KIND]\n\n"
		       "Runs only the background job worker (no HTTP), for running workers\n"
		       "apart from the web servers. Stops on SIGTERM or SIGINT after the job\n"
		       "in hand.\n\n"
		       "--run KIND runs that kind of job once, now, and exits (for operators,\n"
		       "and for scripts): housekeeping, or service-desk (recurring tickets\n"
		       "due, resolved tickets to close), qa-draw (the weekly quality draw),\n"
		       "or webhooks (events fanned out and every delivery due sent, until\n"
		       "none is left).\n"))
		return 0;
	if (argc == 2 && strcmp(argv[0], "--run") == 0)
		return run_kind_now(c, argv[1]);
	if (argc) {
		fprintf(stderr, "servio worker: unexpected argument \"%s\"\n", argv[0]);
		return 2;
	}
	struct db *db = open_db(c, true, false);
	if (!db)
		return 1;
	bool current = schema_current(db);
	db_disconnect(db);
	if (!current)
		return 1;
	db_pool_init(c->database_url);
	/* as serve does, before the worker's connections open: theirs never checkpoint */
	char err[512];
	if (db_checkpointer_start(c->database_url, err, sizeof(err)) != RC_OK) {
		fprintf(stderr, "servio: %s\n", err);
		return 1;
	}
	ical_init();	/* libical's zone table, before any thread */
	sigset_t stop;
	block_stop_signals(&stop);
	struct jobs_worker *jw = jobs_worker_start();
	if (!jw) {
		db_checkpointer_stop();
		return 1;
	}
	wait_for_stop(&stop);
	jobs_worker_stop(jw);
	db_pool_release();
	db_checkpointer_stop();
	return 0;
}

int cmd_serve(struct conf *c, int argc, char **argv)
{
	if (help_asked(argc, argv,
		       "usage: servio serve [--no-migrate] [--no-worker]\n\n"
		       "Serves the REST API, /healthz, /metrics and the web UI, and runs the\n"
		       "background job worker unless --no-worker. Applies pending migrations\n"
		       "first unless --no-migrate. Stops gracefully on SIGTERM or SIGINT,\n"
		       "finishing the requests and the job in flight.\n"))
		return 0;
	bool migrate = true, worker = true;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--no-migrate") == 0) {
			migrate = false;
		} else if (strcmp(argv[i], "--no-worker") == 0) {
			worker = false;
		} else {
			fprintf(stderr, "servio serve: unexpected argument \"%s\"\n", argv[i]);
			return 2;
		}
	}
	struct db *db = open_db(c, true, migrate);
	if (!db)
		return 1;
	int current, latest;
	if (db_schema_version(db, &current, &latest) != RC_OK || current != latest) {
		fprintf(stderr, "servio: the database schema is at version %d, this program needs "
				"%d: run \"servio migrate\"\n", current, latest);
		db_disconnect(db);
		return 1;
	}
	db_disconnect(db);

	db_pool_init(c->database_url);
	/* before the threads open their connections: theirs never checkpoint */
	char err[512];
	if (db_checkpointer_start(c->database_url, err, sizeof(err)) != RC_OK) {
		fprintf(stderr, "servio: %s\n", err);
		return 1;
	}
	ical_init();	/* libical's zone table, before any thread */
	api_settings.session_idle_minutes = c->session_idle_minutes;
	api_settings.session_max_hours = c->session_max_hours;
	api_settings.https = c->https;

	const char *web_root = c->web_root;
	struct stat st;
	if (web_root && (stat(web_root, &st) < 0 || !S_ISDIR(st.st_mode))) {
		log_warn("no web UI at \"%s\": serving the API only", web_root);
		web_root = NULL;
	}

	const struct http_route *routes;
	size_t nroutes;
	if (api_route_table(&routes, &nroutes) < 0)
		return 1;

	sigset_t stop;
	block_stop_signals(&stop);

	struct http_config hc = {
		.listen_addr = c->listen_host,
		.port = c->listen_port,
		.threads = c->threads,
		.max_body = c->max_body,
		.max_upload = api_upload_max_body,
		.max_url = 8192,
		.web_root = web_root,
		.connection_timeout = 60,
		.trusted_proxies = c->trusted_proxies,
		.max_connections = c->max_connections,
		.max_connections_per_addr = c->max_connections_per_addr,
	};
	raise_open_files(c->max_connections);
	struct http_server *srv;
	if (http_server_start(&srv, &hc, routes, nroutes, &api_hooks) < 0)
		return 1;
	struct jobs_worker *jw = worker ? jobs_worker_start() : NULL;
	first_day_banner(c, http_server_port(srv));

	wait_for_stop(&stop);
	http_server_stop(srv, 10);
	jobs_worker_stop(jw);
	db_pool_release();
	db_checkpointer_stop();
	if (db_commits_synced() || db_sqlite_busy_waits())
		log_info("group commit: %lu commits shared %lu WAL syncs; %lu waits for another"
			 " process's lock", db_commits_synced(), db_log_syncs(),
			 db_sqlite_busy_waits());
	/* fontconfig's caches, once no thread renders any more */
	quote_pdf_cleanup();
	log_info("stopped");
	return 0;
}
