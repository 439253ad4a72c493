/* modules/sip/auth_client.h: the client side of HTTP digest in SIP (RFC 3261 §22.2-22.3,
 * RFC 2617, RFC 7616, RFC 8760): pick a challenge from a 401/407 and compute the
 * Authorization or Proxy-Authorization value that answers it. Pure computation (GLib and
 * OpenSSL's EVP); nothing here sends, keeps state across requests or touches the core. */
#ifndef XB_SIP_AUTH_CLIENT_H
#define XB_SIP_AUTH_CLIENT_H

#include <crossbar/sipmsg.h>

typedef enum {
	SIP_DIGEST_MD5 = 1,
	SIP_DIGEST_MD5_SESS,
	SIP_DIGEST_SHA256,
	SIP_DIGEST_SHA256_SESS,
} SipDigestAlg;

/* One challenge we can answer, its strings unquoted and owned (sip_challenge_clear). */
typedef struct {
	SipDigestAlg alg;
	bool proxy;         /* from Proxy-Authenticate (407): answer in Proxy-Authorization */
	bool qop_auth;      /* qop=auth offered (we then answer with qop=auth, cnonce, nc) */
	bool stale;         /* stale=true: the credentials were right, the nonce was old */
	bool has_algorithm; /* the challenge named its algorithm: echo it back */
	char *realm;
	char *nonce;
	char *opaque; /* NULL when absent */
} SipChallenge;

/* The name of an algorithm as written in a challenge ("MD5", "SHA-256-sess"). */
const char *sip_digest_alg_name(SipDigestAlg alg);

/* Parse one WWW-/Proxy-Authenticate value. 0 when we can answer it; -ENOTSUP for another
 * scheme, algorithm, or a qop list without "auth" (auth-int alone); -EBADMSG when
 * malformed. */
int sip_challenge_parse(SipChallenge *ch, const struct sip_pl *val, bool proxy);
void sip_challenge_clear(SipChallenge *ch);

/* The first challenge of resp (WWW-Authenticate of a 401, Proxy-Authenticate of a 407),
 * in header order, that we support and whose realm suits cred. 0, or -ENOENT. */
int sip_challenge_pick(const struct sip_msg *resp, const SipCredentials *cred, SipChallenge *ch);

/* Whether a challenge is to be answered, given that its realm was answered already in an
 * earlier round of the same request: a first challenge is; a repeated one only with
 * stale=true (RFC 7616 §3.3: the nonce grew old, the credentials were right). Anything
 * else would resend wrong credentials forever. */
bool sip_challenge_worth_answering(const SipChallenge *ch, bool realm_answered_before);

/* The request-digest as lower-case hex (g_free it). qop NULL means RFC 2069 style (no
 * cnonce, no nc); nc is the 8-hex-digit count text. */
char *sip_digest_response(SipDigestAlg alg, const char *username, const char *realm,
                          const char *password, const char *method, const char *uri,
                          const char *nonce, const char *qop, const char *nc, const char *cnonce);

/* The whole header value answering ch: `Digest username="..", realm="..", nonce="..",
 * uri="..", response="..", algorithm=.., cnonce="..", qop=auth, nc=.., opaque=".."`.
 * cnonce NULL makes a random one (when qop is used). g_free it. */
char *sip_digest_authorization(const SipChallenge *ch, const SipCredentials *cred,
                               const char *method, const char *uri, const char *cnonce, guint32 nc);

#endif
