/*
 * auth.h - who the caller is: staff users and their roles, passwords
 * (argon2id), sessions with CSRF tokens, API tokens, TOTP, and the login
 * rate limits. Everything is kept in the database so several servers can
 * share it.
 *
 * Roles are bits so a route can allow several; a caller has exactly one.
 */
#ifndef SERVIO_AUTH_H
#define SERVIO_AUTH_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct arena;

enum role {
	ROLE_ADMIN = 1u << 0,
	ROLE_MANAGER = 1u << 1,
	ROLE_TECHNICIAN = 1u << 2,
	ROLE_SALES = 1u << 3,
	ROLE_BILLING = 1u << 4,
	ROLE_PORTAL = 1u << 5,	/* a client contact in the portal */
};

#define ROLE_STAFF (ROLE_ADMIN | ROLE_MANAGER | ROLE_TECHNICIAN | ROLE_SALES | ROLE_BILLING)
#define ROLE_ANYONE (ROLE_STAFF | ROLE_PORTAL)

/* "admin" -> ROLE_ADMIN; 0 for an unknown name. */
unsigned role_parse(const char *name);
/* ROLE_ADMIN -> "admin"; "" for anything else. */
const char *role_name(unsigned role);

/* The authenticated caller; strings live in the request arena. */
struct auth_user {
	int64_t id;
	const char *email;
	const char *name;
	unsigned role;
	bool totp_enabled;
	int64_t session_id;		/* 0 when authenticated by an API token */
	const char *csrf_token;		/* the session's, NULL for tokens */
	int64_t token_id;		/* 0 when authenticated by a session */
};

#endif
