/*
 * conf.c - configuration from defaults, environment and flags.
 */
#include "conf.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char conf_flags_help[] =
	"  --data-dir DIR       data directory (SERVIO_DATA_DIR, default var)\n"
	"  --listen HOST:PORT   address to serve on (SERVIO_LISTEN, default 127.0.0.1:8080)\n"
	"  --database-url URL   sqlite:PATH or postgres://... (SERVIO_DATABASE_URL,\n"
	"                       default the SQLite file DIR/servio.db)\n"
	"  --log-level LEVEL    debug, info, warn or error (SERVIO_LOG_LEVEL, default info)\n"
	"  --web-root DIR       the built UI (SERVIO_WEB_ROOT, default web/dist)\n"
	"  --threads N          HTTP worker threads (SERVIO_THREADS, default one per core\n"
	"                       with SQLite, at least 2; four per core with PostgreSQL)\n"
	"  --max-body BYTES     largest request body (SERVIO_MAX_BODY, default 1048576)\n";

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

void conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->data_dir = env_or("SERVIO_DATA_DIR", "var");
	c->listen = env_or("SERVIO_LISTEN", "127.0.0.1:8080");
	c->database_url = env_or("SERVIO_DATABASE_URL", NULL);
	c->log_level = env_or("SERVIO_LOG_LEVEL", "info");
	c->web_root = env_or("SERVIO_WEB_ROOT", "web/dist");
	c->admin_email = env_or("SERVIO_ADMIN_EMAIL", NULL);
	c->admin_password = env_or("SERVIO_ADMIN_PASSWORD", NULL);
	c->max_body = 1024 * 1024;
	c->session_idle_minutes = 120;
	c->session_max_hours = 24 * 7;
	c->trusted_proxies = env_or("SERVIO_TRUSTED_PROXIES", NULL);
	c->max_connections = 1000;
	c->max_connections_per_addr = 64;
	c->https = -1;
	c->sqlite_sync = CONF_SYNC_FULL;
}

/* Numbers from the environment are checked in conf_validate, flags at once. */
int conf_flag(struct conf *c, const char *flag, const char *value, char *err, size_t errlen)
{
	static const char *const string_flags[] = { "--data-dir", "--listen", "--database-url",
						    "--log-level", "--web-root" };
	const char **slots[] = { &c->data_dir, &c->listen, &c->database_url, &c->log_level,
				 &c->web_root };
	int known = 0;
	for (size_t i = 0; i < sizeof(string_flags) / sizeof(string_flags[0]); i++)
		if (strcmp(flag, string_flags[i]) == 0)
			known = 1;
	if (!known && strcmp(flag, "--threads") && strcmp(flag, "--max-body"))
		return 0;
	if (!value || !*value) {
		snprintf(err, errlen, "%s needs a value", flag);
		return -1;
	}
	for (size_t i = 0; i < sizeof(string_flags) / sizeof(string_flags[0]); i++) {
		if (strcmp(flag, string_flags[i]) == 0) {
			*slots[i] = value;
			return 1;
		}
	}
	unsigned long long v;
	if (strcmp(flag, "--threads") == 0) {
		if (parse_uint(value, 1024, &v) || v == 0) {
			snprintf(err, errlen, "--threads must be a number from 1 to 1024, not \"%s\"",
				 value);
			return -1;
		}
		c->threads = (unsigned)v;
		c->threads_from_flag = true;
		return 1;
	}
	if (parse_uint(value, 1ull << 30, &v) || v < 1024) {
		snprintf(err, errlen, "--max-body must be bytes from 1024 to 1073741824, not \"%s\"",
			 value);
		return -1;
	}
	c->max_body = (size_t)v;
	c->max_body_from_flag = true;
	return 1;
}

static int env_uint(const char *name, unsigned long long min, unsigned long long max,
		    unsigned long long *out, char *err, size_t errlen)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	if (parse_uint(v, max, out) || *out < min) {
		snprintf(err, errlen, "%s must be a number from %llu to %llu, not \"%s\"", name, min,
			 max, v);
		return -1;
	}
	return 1;
}

int conf_validate(struct conf *c, char *err, size_t errlen)
{
	unsigned long long v;
	int rc;
	/* a flag wins over its environment variable */
	if ((rc = env_uint("SERVIO_THREADS", 1, 1024, &v, err, errlen)) < 0)
		return -1;
	if (rc > 0 && !c->threads_from_flag)
		c->threads = (unsigned)v;
	if ((rc = env_uint("SERVIO_MAX_BODY", 1024, 1ull << 30, &v, err, errlen)) < 0)
		return -1;
	if (rc > 0 && !c->max_body_from_flag)
		c->max_body = (size_t)v;
	if ((rc = env_uint("SERVIO_SESSION_IDLE_MINUTES", 1, 60 * 24 * 30, &v, err, errlen)) < 0)
		return -1;
	if (rc > 0)
		c->session_idle_minutes = (unsigned)v;
	if ((rc = env_uint("SERVIO_SESSION_MAX_HOURS", 1, 24 * 365, &v, err, errlen)) < 0)
		return -1;
	if (rc > 0)
		c->session_max_hours = (unsigned)v;
	const char *sync = getenv("SERVIO_SQLITE_SYNCHRONOUS");
	if (sync && *sync) {
		if (strcasecmp(sync, "full") == 0) {
			c->sqlite_sync = CONF_SYNC_FULL;
		} else if (strcasecmp(sync, "normal") == 0) {
			c->sqlite_sync = CONF_SYNC_NORMAL;
		} else if (strcasecmp(sync, "each") == 0) {
			c->sqlite_sync = CONF_SYNC_EACH;
		} else {
			snprintf(err, errlen,
				 "SERVIO_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EACH, not \"%s\"",
				 sync);
			return -1;
		}
	}

	if ((rc = env_uint("SERVIO_MAX_CONNECTIONS", 1, 100000, &v, err, errlen)) < 0)
		return -1;
	if (rc > 0)
		c->max_connections = (unsigned)v;
	if ((rc = env_uint("SERVIO_MAX_CONNECTIONS_PER_ADDRESS", 1, 100000, &v, err, errlen)) < 0)
		return -1;
	if (rc > 0)
		c->max_connections_per_addr = (unsigned)v;
	const char *https = env_or("SERVIO_HTTPS", "auto");
	if (strcmp(https, "auto") == 0) {
		c->https = -1;
	} else if (strcmp(https, "on") == 0 || strcmp(https, "off") == 0) {
		c->https = strcmp(https, "on") == 0;
	} else {
		snprintf(err, errlen, "SERVIO_HTTPS must be auto, on or off, not \"%s\"", https);
		return -1;
	}

	enum log_level level;
	if (log_level_parse(c->log_level, &level) < 0) {
		snprintf(err, errlen, "log level must be debug, info, warn or error, not \"%s\"",
			 c->log_level);
		return -1;
	}
	if (!*c->data_dir) {
		snprintf(err, errlen, "data directory must not be empty");
		return -1;
	}

	/* listen: HOST:PORT, [IPv6]:PORT or :PORT */
	const char *colon = strrchr(c->listen, ':');
	unsigned long long port;
	if (!colon || parse_uint(colon + 1, 65535, &port)) {
		snprintf(err, errlen, "listen address must be HOST:PORT, not \"%s\"", c->listen);
		return -1;
	}
	const char *host = c->listen;
	size_t hlen = (size_t)(colon - host);
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen == 0) {
		host = "0.0.0.0";
		hlen = strlen(host);
	}
	if (hlen >= sizeof(c->listen_host)) {
		snprintf(err, errlen, "listen host is too long: \"%s\"", c->listen);
		return -1;
	}
	memcpy(c->listen_host, host, hlen);
	c->listen_host[hlen] = '\0';
	if (strcmp(c->listen_host, "localhost") == 0)
		snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = (uint16_t)port;

	if (!c->database_url) {
		int n = snprintf(c->db_url_buf, sizeof(c->db_url_buf), "sqlite:%s/servio.db",
				 c->data_dir);
		if (n < 0 || (size_t)n >= sizeof(c->db_url_buf)) {
			snprintf(err, errlen, "data directory path is too long");
			return -1;
		}
		c->database_url = c->db_url_buf;
	} else if (strncmp(c->database_url, "sqlite:", 7) != 0 &&
		   strncmp(c->database_url, "postgres://", 11) != 0 &&
		   strncmp(c->database_url, "postgresql://", 13) != 0) {
		snprintf(err, errlen,
			 "database URL must start with sqlite: or postgres://, not \"%s\"",
			 c->database_url);
		return -1;
	}

	/*
	 * The HTTP threads only serve quick requests (slow ones have threads of
	 * their own, see http/slow.c). On SQLite a request is all CPU, and more
	 * threads than cores only take turns on them, which lengthens the tail
	 * (docs/PERFORMANCE.md); with PostgreSQL a thread also waits for the
	 * database server, so four a core keep the cores busy.
	 */
	if (!c->threads) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		cores = cores > 0 ? cores : 2;
		bool sqlite = strncmp(c->database_url, "sqlite:", 7) == 0;
		c->threads = (unsigned)(sqlite ? (cores < 2 ? 2 : cores) : cores * 4);
	}
	return 0;
}
