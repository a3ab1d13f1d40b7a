/*
 * conf.h - the program's configuration: defaults, then SERVIO_*
 * environment variables, then command-line flags (flags win).
 *
 * conf_validate refuses a configuration that cannot work and says why,
 * so "servio serve" never starts half-configured.
 */
#ifndef SERVIO_CORE_CONF_H
#define SERVIO_CORE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf {
	const char *data_dir;		/* SERVIO_DATA_DIR, --data-dir (default "var") */
	const char *listen;		/* SERVIO_LISTEN, --listen ("127.0.0.1:8080") */
	const char *database_url;	/* SERVIO_DATABASE_URL, --database-url */
	const char *log_level;		/* SERVIO_LOG_LEVEL, --log-level ("info") */
	const char *web_root;		/* SERVIO_WEB_ROOT, --web-root ("web/dist") */
	const char *admin_email;	/* SERVIO_ADMIN_EMAIL (init only) */
	const char *admin_password;	/* SERVIO_ADMIN_PASSWORD (init only) */
	/*
	 * SERVIO_THREADS, --threads; 0 until conf_validate picks the default:
	 * with SQLite one a core (at least two), with PostgreSQL four a core
	 */
	unsigned threads;
	size_t max_body;		/* SERVIO_MAX_BODY, --max-body (bytes) */
	unsigned session_idle_minutes;	/* SERVIO_SESSION_IDLE_MINUTES */
	unsigned session_max_hours;	/* SERVIO_SESSION_MAX_HOURS */
	const char *trusted_proxies;	/* SERVIO_TRUSTED_PROXIES: "10.0.0.1, 10.1.0.0/16" */
	unsigned max_connections;	/* SERVIO_MAX_CONNECTIONS (1000) */
	unsigned max_connections_per_addr; /* SERVIO_MAX_CONNECTIONS_PER_ADDRESS (64) */
	int https;			/* SERVIO_HTTPS: -1 auto (public_url's scheme), 0 off, 1 on */
	/* SERVIO_SQLITE_SYNCHRONOUS: FULL (default), NORMAL or EACH (db_sqlite_synchronous) */
	enum conf_sync { CONF_SYNC_FULL, CONF_SYNC_NORMAL, CONF_SYNC_EACH } sqlite_sync;

	bool threads_from_flag, max_body_from_flag;

	/* derived by conf_validate */
	char listen_host[64];
	uint16_t listen_port;
	char db_url_buf[1024];		/* database_url points here when defaulted */
};

/* Sets the defaults and then applies the environment. */
void conf_init(struct conf *c);

/*
 * Applies one flag ("--data-dir", value). Returns 1 when the flag is a
 * configuration flag and was applied, 0 when it is not one of ours, -1
 * when its value is missing or malformed (message in err).
 */
int conf_flag(struct conf *c, const char *flag, const char *value, char *err, size_t errlen);

/* Checks and derives; returns 0, or -1 with a message in err. */
int conf_validate(struct conf *c, char *err, size_t errlen);

/* The help text for the configuration flags, for every subcommand's --help. */
extern const char conf_flags_help[];

#endif
