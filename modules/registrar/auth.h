/* auth.h: the digest server of the registrar (RFC 3261 §22, RFC 7616, RFC 8760): challenges
 * offering SHA-256 and MD5 together, nonces the server verifies without storing them
 * (time, random and an HMAC under a per-run secret) that expire, nonce-count replay
 * protection, and the per-source failure count behind the ban. Every table here has a size
 * limit: a flood costs CPU, never unbounded memory. */
#pragma once

#include <crossbar/crossbar.h>

#include "../sip/msg.h"

typedef struct auth Auth;

typedef struct {
	gint64 nonce_ttl_s; /* a nonce older than this is stale */
	guint ban_failures; /* failures from one source within ban_window_s ... */
	gint64 ban_window_s;
	gint64 ban_time_s;     /* ... ban it this long */
	gboolean md5_first;    /* challenge order: MD5 before SHA-256 for clients that read
	                        * only the first challenge */
	gboolean offer_md5;    /* FALSE: SHA-256 only */
	gboolean offer_sha256; /* FALSE: MD5 only (for clients that fail on any SHA-256) */
} AuthConfig;

typedef enum {
	AUTH_OK,
	AUTH_MISSING,  /* no credentials for our realm: challenge */
	AUTH_FAILED,   /* wrong user, password or malformed: challenge again, count it */
	AUTH_STALE,    /* right password, old nonce: challenge with stale=true */
	AUTH_REPLAYED, /* a nonce count already seen: challenge again, count it */
} AuthResult;

Auth *auth_new(const AuthConfig *cfg);
void auth_free(Auth *auth);
void auth_configure(Auth *auth, const AuthConfig *cfg);

/* The WWW-Authenticate header lines (SHA-256 first, then MD5) for a new challenge. */
char *auth_challenge(Auth *auth, const char *realm, gboolean stale);

/* Check the request's Authorization for `realm`. ha1_of looks up a user's HA1 for an
 * algorithm ("MD5" or "SHA-256") and returns a new string, or NULL for no such user (which
 * still costs a full digest computation, so that timing tells nothing). On AUTH_OK,
 * *username is the authenticated user (g_free). */
typedef char *(*AuthHa1Func)(const char *username, const char *algorithm, void *user_data);
AuthResult auth_check(Auth *auth, const struct sip_msg *req, const char *realm, AuthHa1Func ha1_of,
                      void *user_data, char **username);

/* Failure accounting by source address (text without port). */
gboolean auth_banned(Auth *auth, const char *source);
/* Count a failure; TRUE when this one started a ban (log it once). */
gboolean auth_failure(Auth *auth, const char *source);
guint auth_banned_count(Auth *auth);
