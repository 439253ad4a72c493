/* auth.h: the digest server of the registrar (RFC 3261 §22, RFC 7616, RFC 8760): challenges
 * offering SHA-256 and MD5 together, nonces the server verifies without storing them
 * (time, sequence number, random and an HMAC of them and of the client's address under a
 * per-run secret) that expire, and nonce-count replay protection in a fixed ring. It tells its
 * caller which failures may count towards a ban (AUTH_FAILED) and which a forged source could send
 * (AUTH_UNTRUSTED); the counting is the core's (crossbar/authlimit.h). Every table here has a size
 * limit: a flood costs CPU, never unbounded memory. */
#pragma once

#include <crossbar/crossbar.h>

#include <crossbar/sipmsg.h>

typedef struct auth Auth;

/* Nonce counts remembered: the last this many nonces issued (4 MiB); an older one is
 * stale, whatever its age. */
#define AUTH_NONCE_SLOTS     (1u << 20)
#define AUTH_NONCE_SLOTS_MAX (1u << 24) /* 64 MiB of counts */

typedef struct {
	gint64 nonce_ttl_s;    /* a nonce older than this is stale */
	guint nonce_slots;     /* 0: AUTH_NONCE_SLOTS; else rounded up to a power of two, at most
	                        * AUTH_NONCE_SLOTS_MAX */
	gboolean md5_first;    /* challenge order: MD5 before SHA-256 for clients that read
	                        * only the first challenge */
	gboolean offer_md5;    /* FALSE: SHA-256 only */
	gboolean offer_sha256; /* FALSE: MD5 only (for clients that fail on any SHA-256) */
} AuthConfig;

typedef enum {
	AUTH_OK,
	AUTH_MISSING,   /* no credentials for our realm: challenge */
	AUTH_FAILED,    /* wrong user, password or malformed, on a fresh nonce we sent to this
	                 * address: challenge again, count it */
	AUTH_UNTRUSTED, /* the same on a nonce that is made up, expired or another address's:
	                 * challenge again, never count it (a forged source can send it) */
	AUTH_STALE,     /* right password, but a nonce that is old, foreign or another
	                 * address's, or one whose count slot a newer nonce took: challenge
	                 * with stale=true */
	AUTH_REPLAYED,  /* right password, a nonce count already seen: challenge again; not
	                 * counted, as whoever captured the request can resend it */
} AuthResult;

Auth *auth_new(const AuthConfig *cfg);
void auth_free(Auth *auth);
void auth_configure(Auth *auth, const AuthConfig *cfg);

/* The WWW-Authenticate header lines (SHA-256 first, then MD5) for a new challenge to the
 * client at `source` (its address without port, as text). */
char *auth_challenge(Auth *auth, const char *realm, const char *source, gboolean stale);

/* Check the request's Authorization for `realm` from the client at `source`. ha1_of looks up a
 * user's HA1 for an algorithm ("MD5" or "SHA-256") and returns a new string, or NULL for no such
 * user (which still costs a full digest computation, so that timing tells nothing). On AUTH_OK,
 * *username is the authenticated user (g_free). */
typedef char *(*AuthHa1Func)(const char *username, const char *algorithm, void *user_data);
AuthResult auth_check(Auth *auth, const struct sip_msg *req, const char *realm, const char *source,
                      AuthHa1Func ha1_of, void *user_data, char **username);
/* How many of the latest nonces have their counts remembered (tests). */
guint auth_nonce_slots(Auth *auth);
