/*
 * keys.c - the server's own secret keys (table link_keys): one random
 * 256-bit key per use, by name ("surveys" signs survey links, "devices"
 * the known-device cookies), made on first use and kept in the database,
 * so every server of a scale-out signs and checks alike.
 */
#include "auth/auth.h"

#include "core/result.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <sodium.h>
#include <string.h>

int auth_server_key(struct db *db, const char *name, bool make, int64_t now,
		    unsigned char key[AUTH_KEY_BYTES])
{
	struct db_stmt *st;
	for (int pass = 0; pass < 2; pass++) {
		int rc = db_run(db, &st, "SELECT secret FROM link_keys WHERE name = ?", "s", name);
		if (rc == RC_ROW) {
			const char *hex = db_col_text(st, 0);
			size_t len = 0;
			int bad = sodium_hex2bin(key, AUTH_KEY_BYTES, hex ? hex : "",
						 hex ? strlen(hex) : 0, NULL, &len, NULL);
			db_done(st);
			return bad || len != AUTH_KEY_BYTES ? RC_ERROR : RC_OK;
		}
		if (rc != RC_DONE)
			return rc;
		if (!make)
			return RC_NOT_FOUND;
		if (pass)
			return RC_ERROR;
		unsigned char raw[AUTH_KEY_BYTES];
		char hex[2 * AUTH_KEY_BYTES + 1], at[TIME_RFC3339_LEN];
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
		sodium_memzero(raw, sizeof(raw));
		time_format(now, at);
		/* two servers making it at once: the first one's stays, both read it back */
		rc = db_run(db, NULL, "INSERT INTO link_keys (name, secret, created_at)"
			    " VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING", "sss", name, hex, at);
		sodium_memzero(hex, sizeof(hex));
		if (rc != RC_DONE)
			return rc;
	}
	return RC_ERROR;
}
