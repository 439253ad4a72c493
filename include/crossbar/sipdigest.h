/* sipdigest.h: HTTP digest authentication in SIP (RFC 3261 §22, RFC 2617, RFC 7616, RFC
 * 8760), both sides, in lib/sip/ (libcrossbar): the hashing (MD5, SHA-256 and their -sess
 * forms, with qop=auth or without qop), challenges read and written, the answer a client
 * sends, and a server's stateless nonces and their verification. Not auth-int, not
 * userhash, not SHA-512-256. A header of its own beside sipmsg.h, which stays pure message
 * code: this one uses OpenSSL and the core's random tokens and clock. */
#ifndef XB_SIP_DIGEST_H
#define XB_SIP_DIGEST_H

#include <crossbar/directory.h>
#include <crossbar/sipmsg.h>

typedef enum {
	SIP_DIGEST_MD5 = 1,
	SIP_DIGEST_MD5_SESS,
	SIP_DIGEST_SHA256,
	SIP_DIGEST_SHA256_SESS,
} SipDigestAlg;

/* Which pair of headers a challenge and its answer travel in (RFC 3261 §22.2, §22.3). */
typedef enum {
	SIP_DIGEST_WWW,   /* a 401's WWW-Authenticate, answered in Authorization */
	SIP_DIGEST_PROXY, /* a 407's Proxy-Authenticate, answered in Proxy-Authorization */
} SipDigestKind;

/* digest.c: the name of an algorithm as written in a challenge ("MD5", "SHA-256-sess"),
 * and back (ASCII case ignored; 0 for an algorithm not supported). */
const char *sip_digest_alg_name(SipDigestAlg alg);
SipDigestAlg sip_digest_alg_from_name(const char *name);

/* ---- the computation (RFC 7616 §3.4.1-3.4.3) ---- */

/* What a request-digest is computed over. */
typedef struct {
	SipDigestAlg alg;
	const char *username, *realm, *password;
	/* H(username:realm:password) in lower-case hex, as the directory keeps it; when set,
	 * username, realm and password are not read. A -sess algorithm hashes it further with
	 * nonce and cnonce. */
	const char *ha1;
	const char *method, *uri; /* A2 of qop=auth or no qop */
	const char *nonce;
	const char *qop;    /* "auth", or NULL for RFC 2069's form (no nc, no cnonce) */
	const char *nc;     /* the nonce count, 8 hex digits (with qop) */
	const char *cnonce; /* with qop, and with a -sess algorithm */
} SipDigestInput;

/* H(username:realm:password) of alg's hash in lower-case hex; g_free it. */
char *sip_digest_ha1(SipDigestAlg alg, const char *username, const char *realm,
                     const char *password);
/* The request-digest in lower-case hex; g_free it. */
char *sip_digest_response(const SipDigestInput *in);
/* Whether response is the request-digest of in, compared in constant time. */
bool sip_digest_response_check(const SipDigestInput *in, const char *response);

/* ---- challenges (WWW-Authenticate, Proxy-Authenticate) ---- */

/* One challenge, its strings unquoted and owned (sip_digest_challenge_clear). */
typedef struct {
	SipDigestAlg alg;
	SipDigestKind kind;
	bool qop_auth;      /* qop=auth offered (answered with qop=auth, cnonce, nc) */
	bool stale;         /* stale=true: the credentials were right, the nonce was old */
	bool has_algorithm; /* the algorithm is named (else MD5 is meant) */
	char *realm;
	char *nonce;
	char *opaque; /* NULL when absent */
} SipDigestChallenge;

/* Parse one WWW-/Proxy-Authenticate value. 0 when it can be answered; -ENOTSUP for another
 * scheme, algorithm, or a qop list without "auth" (auth-int alone); -EBADMSG when
 * malformed. */
int sip_digest_challenge_parse(SipDigestChallenge *ch, const struct sip_pl *val,
                               SipDigestKind kind);
void sip_digest_challenge_clear(SipDigestChallenge *ch);

/* The first challenge of resp (WWW-Authenticate of a 401, Proxy-Authenticate of a 407), in
 * header order, that can be answered and is of realm (NULL or "": any realm). 0, or
 * -ENOENT. */
int sip_digest_challenge_pick(const struct sip_msg *resp, const char *realm,
                              SipDigestChallenge *ch);

/* Whether a challenge is to be answered, given that its realm was answered already in an
 * earlier round of the same request: a first challenge is; a repeated one only with
 * stale=true (RFC 7616 §3.3: the nonce grew old, the credentials were right). Anything
 * else would resend wrong credentials forever. */
bool sip_digest_challenge_worth_answering(const SipDigestChallenge *ch, bool realm_answered_before);

/* Appends the header line carrying ch: `WWW-Authenticate: Digest realm="..", nonce="..",
 * opaque="..", algorithm=.., qop="auth", stale=true` and CRLF (Proxy-Authenticate for
 * SIP_DIGEST_PROXY), each parameter only when ch has it. */
void sip_digest_challenge_print(const SipDigestChallenge *ch, GString *out);

/* ---- answers (Authorization, Proxy-Authorization) ---- */

/* Who answers a challenge, for which request. */
typedef struct {
	const char *username;
	const char *password;
	const char *method;
	const char *uri;    /* the Request-URI, as the digest-uri */
	const char *cnonce; /* NULL: a random one, where the answer needs one */
	guint32 nc;         /* the nonce count: 1 for a nonce's first use */
} SipDigestAnswer;

/* The header value answering ch: `Digest username="..", realm="..", nonce="..", uri="..",
 * response="..", algorithm=.., cnonce="..", opaque="..", qop=auth, nc=..`; g_free it. */
char *sip_digest_authorization(const SipDigestChallenge *ch, const SipDigestAnswer *ans);

/* ---- the server side (digest_server.c) ----
 *
 * Challenges in a 401's WWW-Authenticate (a registrar, RFC 3261 §22.2) or a 407's
 * Proxy-Authenticate (a proxy or B2BUA challenging INVITE, §22.3), offering SHA-256 and MD5
 * together (each with qop="auth"); nonces the server verifies without storing them (time,
 * sequence number, random and an HMAC of them and of the client's address under a per-run
 * secret) that expire; nonce-count replay protection in a fixed ring. It tells its caller
 * which failures may count towards a ban (SIP_DIGEST_FAILED) and which a forged source
 * could send (SIP_DIGEST_UNTRUSTED); the counting is the core's (crossbar/authlimit.h),
 * which sip_digest_server_authenticate applies. Every table has a size limit: a flood costs
 * CPU, never unbounded memory. Main loop only. */
typedef struct sip_digest_server SipDigestServer;

/* Nonce counts remembered: the last this many nonces issued (4 MiB); an older one is
 * stale, whatever its age. */
#define SIP_DIGEST_NONCE_SLOTS     (1u << 20)
#define SIP_DIGEST_NONCE_SLOTS_MAX (1u << 24) /* 64 MiB of counts */

typedef struct {
	gint64 nonce_ttl_s;    /* a nonce older than this is stale */
	guint nonce_slots;     /* 0: SIP_DIGEST_NONCE_SLOTS; else rounded up to a power of two,
	                        * at most SIP_DIGEST_NONCE_SLOTS_MAX */
	gboolean md5_first;    /* challenge order: MD5 before SHA-256 for clients that read
	                        * only the first challenge */
	gboolean offer_md5;    /* FALSE: SHA-256 only */
	gboolean offer_sha256; /* FALSE: MD5 only (for clients that fail on any SHA-256) */
} SipDigestServerConfig;

typedef enum {
	SIP_DIGEST_OK,
	SIP_DIGEST_MISSING,   /* no credentials for the realm: challenge */
	SIP_DIGEST_FAILED,    /* wrong user, password or malformed, on a fresh nonce sent to
	                       * this address: challenge again, count it */
	SIP_DIGEST_UNTRUSTED, /* the same on a nonce that is made up, expired or another
	                       * address's: challenge again, never count it (a forged source
	                       * can send it) */
	SIP_DIGEST_STALE,     /* right password, but a nonce that is old, foreign or another
	                       * address's, or one whose count slot a newer nonce took:
	                       * challenge with stale=true */
	SIP_DIGEST_REPLAYED,  /* right password, a nonce count already seen: challenge again;
	                       * not counted, as whoever captured the request can resend it */
	SIP_DIGEST_BANNED,    /* the source is banned (sip_digest_server_authenticate): refused
	                       * without a look at its credentials */
} SipDigestVerdict;

/* A user's H(A1) for alg (SIP_DIGEST_MD5 or SIP_DIGEST_SHA256) as a new string, or NULL for
 * no such user (which still costs a full digest computation, so that timing tells
 * nothing). */
typedef char *(*SipDigestHa1Func)(const char *username, SipDigestAlg alg, void *user_data);
/* The HA1 of a directory user for the server's check (crossbar/directory.h): NULL when
 * there is no such user or its digests are for another realm than the directory's. *user
 * is replaced by the user looked up (or NULL), for the caller to keep or free. */
char *sip_digest_directory_ha1(const char *username, SipDigestAlg alg, XbDirUser **user);

/* The request to challenge or to verify. */
typedef struct {
	const struct sip_msg *msg; /* the request (verifying only) */
	const SipPeer *peer;       /* where it came from: nonces are bound to its address */
	SipDigestKind kind;        /* 401 and Authorization, or 407 and Proxy-Authorization */
	const char *realm;
	SipDigestHa1Func ha1_of; /* verifying only */
	void *user_data;         /* ha1_of's */
} SipDigestRequest;

SipDigestServer *sip_digest_server_new(const SipDigestServerConfig *cfg);
void sip_digest_server_free(SipDigestServer *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SipDigestServer, sip_digest_server_free)
void sip_digest_server_configure(SipDigestServer *s, const SipDigestServerConfig *cfg);

/* The challenge header lines (one per algorithm offered, the preferred first; WWW- or
 * Proxy-Authenticate by r->kind) with a new nonce for the client at r->peer; g_free it. */
char *sip_digest_server_challenge(SipDigestServer *s, const SipDigestRequest *r, bool stale);

/* Verify r->msg's credentials for r->realm, in Authorization or Proxy-Authorization by
 * r->kind (the other header is not looked at). On SIP_DIGEST_OK, *username is the
 * authenticated user (g_free); otherwise NULL. */
SipDigestVerdict sip_digest_server_check(SipDigestServer *s, const SipDigestRequest *r,
                                         char **username);

/* What to answer a request with, from sip_digest_server_authenticate. */
typedef struct {
	SipDigestVerdict verdict;
	guint status;       /* 0: authenticated; 401 or 407 (by kind): challenge; 403: banned */
	const char *reason; /* the status's reason phrase (static); NULL with status 0 */
	char *headers;      /* the challenge lines of a 401 or 407; else NULL */
	char *username;     /* the authenticated user, with status 0; else NULL */
} SipDigestOutcome;

/* The authentication of a request, as every module that checks SIP passwords does it: a
 * source that the core's failure limiter (crossbar/authlimit.h) bans is refused before any
 * password is looked at; a SIP_DIGEST_FAILED is counted against the source under module's
 * name ("registrar"), and the failure that starts a ban is refused too (403); anything else
 * that is not SIP_DIGEST_OK gets a new challenge, with stale=true after SIP_DIGEST_STALE.
 * Returns out->status; clear out with sip_digest_outcome_clear. */
guint sip_digest_server_authenticate(SipDigestServer *s, const SipDigestRequest *r,
                                     const char *module, SipDigestOutcome *out);
void sip_digest_outcome_clear(SipDigestOutcome *out);

/* How many of the latest nonces have their counts remembered (tests). */
guint sip_digest_server_nonce_slots(SipDigestServer *s);

#endif
