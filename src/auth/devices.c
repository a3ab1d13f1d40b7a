/*
 * devices.c - known devices: after a successful sign-in the browser gets
 * a long-lived cookie naming the account and a random device id, signed
 * with HMAC-SHA256 under a server key (link_keys "devices", made on first
 * use). A sign-in that carries a valid one for its account is throttled
 * on that device's own counter alone, so an attacker hammering the
 * account or sharing the owner's address cannot lock the owner out. The
 * cookie proves nothing else: it is no credential and opens no session.
 *
 * Value: "<user id>.<device id>.<issued, Unix seconds>.<mac>", the mac
 * base64url over "device:v1:<user id>.<device id>.<issued>".
 */
#include "auth/auth.h"

#include "core/timeutil.h"
#include "db/db.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_NAME "devices"
#define LIFETIME_SECONDS ((int64_t)AUTH_DEVICE_DAYS * 86400)

/* The server's device key into key (made once on first use): 1, or -1. */
static int device_key(struct db *db, unsigned char key[crypto_auth_hmacsha256_KEYBYTES])
{
	return auth_server_key(db, KEY_NAME, true, time_now(), key) == RC_OK ? 1 : -1;
}

/* The mac of body (the value before its last dot) as base64url into out. */
static void device_mac(const unsigned char *key, const char *body, size_t len,
		       char out[AUTH_TOKEN_LEN])
{
	crypto_auth_hmacsha256_state s;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	static const char label[] = "device:v1:";
	crypto_auth_hmacsha256_init(&s, key, crypto_auth_hmacsha256_KEYBYTES);
	crypto_auth_hmacsha256_update(&s, (const unsigned char *)label, sizeof(label) - 1);
	crypto_auth_hmacsha256_update(&s, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&s, mac);
	sodium_bin2base64(out, AUTH_TOKEN_LEN, mac, sizeof(mac),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int auth_device_issue(struct db *db, int64_t user_id, int64_t now, char out[AUTH_DEVICE_MAX])
{
	unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
	if (device_key(db, key) < 0)
		return -1;
	unsigned char raw[16];
	char id[32], mac[AUTH_TOKEN_LEN];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(id, sizeof(id), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	int n = snprintf(out, AUTH_DEVICE_MAX, "%lld.%s.%lld", (long long)user_id, id,
			 (long long)now);
	device_mac(key, out, (size_t)n, mac);
	sodium_memzero(key, sizeof(key));
	snprintf(out + n, AUTH_DEVICE_MAX - (size_t)n, ".%s", mac);
	return 0;
}

int auth_device_check(struct db *db, const char *value, int64_t user_id, int64_t now,
		      char key_out[AUTH_DEVICE_MAX])
{
	if (!value || !user_id || strlen(value) >= AUTH_DEVICE_MAX)
		return 0;
	const char *dot = strrchr(value, '.');
	if (!dot || strlen(dot + 1) != AUTH_TOKEN_LEN - 1)
		return 0;
	/* "<user id>.<device id>.<issued>": the account first, the cheapest refusal */
	char *end;
	long long who = strtoll(value, &end, 10);
	if (end == value || *end != '.' || who != user_id)
		return 0;
	const char *id = end + 1, *id_end = strchr(id, '.');
	if (!id_end || id_end == id || id_end >= dot)
		return 0;
	long long issued = strtoll(id_end + 1, &end, 10);
	if (end != dot || issued <= 0 || now - issued > LIFETIME_SECONDS)
		return 0;
	unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
	if (device_key(db, key) < 0)
		return -1;
	char mac[AUTH_TOKEN_LEN];
	device_mac(key, value, (size_t)(dot - value), mac);
	sodium_memzero(key, sizeof(key));
	if (sodium_memcmp(mac, dot + 1, AUTH_TOKEN_LEN - 1) != 0)
		return 0;
	snprintf(key_out, AUTH_DEVICE_MAX, "%lld:%.*s", who, (int)(id_end - id), id);
	return 1;
}
