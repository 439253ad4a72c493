/* auth.c: digest authentication of REGISTER (RFC 3261 §22.4, RFC 7616 with qop=auth, RFC
 * 8760's SHA-256). A nonce is "<time>.<random>.<mac>" in base64url with the MAC an HMAC-
 * SHA-256 of the rest and of the client's address under a secret made at start-up, so any
 * node that knows the secret can check it and none needs to remember it, and a nonce is
 * good only from the address it was sent to. What must be remembered, the highest nonce
 * count of each nonce (RFC 7616 §3.4.5), sits in a ring indexed by a sequence number that
 * the nonce carries under its MAC (as Kamailio's nonce-count array does): a nonce whose slot
 * a newer one took is stale, so no count is ever forgotten while its nonce is still good,
 * memory is fixed (four octets a slot), and any rate of registrations is served. Failures
 * are counted by the core's shared limiter (crossbar/authlimit.h), and only those a forged
 * source cannot produce. */
#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <string.h>

struct auth {
	AuthConfig cfg;
	guint8 secret[32];
	guint32 *nc;      /* the highest nonce count seen, by sequence number % slots */
	guint64 next_seq; /* the sequence number of the next nonce */
	guint slots;      /* the ring's size, a power of two */
	/* OpenSSL 3 looks an algorithm up by name on every one-shot call (HMAC(), EVP_md5()
	 * in EVP_Digest); fetched once here, keyed once, they cost a fraction per REGISTER. */
	EVP_MAC_CTX *nonce_mac; /* HMAC-SHA-256 under secret, re-initialised per use */
	EVP_MD *md5, *sha256;
};

static EVP_MAC_CTX *hmac_sha256_new(const guint8 *key, gsize key_len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};

	EVP_MAC_free(mac); /* the context keeps its own reference */
	if (ctx && !EVP_MAC_init(ctx, key, key_len, params))
		g_clear_pointer(&ctx, EVP_MAC_CTX_free);
	return ctx;
}

Auth *auth_new(const AuthConfig *cfg)
{
	Auth *a = g_new0(Auth, 1);

	a->cfg = *cfg;
	RAND_bytes(a->secret, sizeof(a->secret));
	a->slots = AUTH_NONCE_SLOTS;
	if (cfg->nonce_slots)
		a->slots = 1u << g_bit_storage(MIN(cfg->nonce_slots, AUTH_NONCE_SLOTS_MAX) - 1);
	a->nc = g_new0(guint32, a->slots);
	a->nonce_mac = hmac_sha256_new(a->secret, sizeof(a->secret));
	a->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	a->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	/* Without them no nonce or digest can be made: a broken OpenSSL install. */
	g_assert(a->nonce_mac && a->md5 && a->sha256);
	return a;
}

void auth_configure(Auth *a, const AuthConfig *cfg)
{
	a->cfg = *cfg;
}

void auth_free(Auth *a)
{
	if (!a)
		return;
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	EVP_MAC_CTX_free(a->nonce_mac);
	EVP_MD_free(a->md5);
	EVP_MD_free(a->sha256);
	g_free(a->nc);
	g_free(a);
}

/* ---- nonces ---- */

static void b64url(GString *out, const guint8 *data, gsize len)
{
	g_autofree char *b = g_base64_encode(data, len);

	for (char *p = b; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=') {
			*p = 0;
			break;
		}
	}
	g_string_append(out, b);
}

/* The MAC of a nonce covers its text and the client's address (a NUL between them, which
 * neither contains). */
static void nonce_mac(Auth *a, const char *body, gsize len, const char *source, guint8 mac[32])
{
	size_t mlen = 0;

	/* A NULL key re-uses the one set in auth_new. */
	if (!EVP_MAC_init(a->nonce_mac, NULL, 0, NULL) ||
	    !EVP_MAC_update(a->nonce_mac, (const guint8 *)body, len) ||
	    !EVP_MAC_update(a->nonce_mac, (const guint8 *)"", 1) ||
	    !EVP_MAC_update(a->nonce_mac, (const guint8 *)source, strlen(source)) ||
	    !EVP_MAC_final(a->nonce_mac, mac, &mlen, 32) || mlen != 32)
		RAND_bytes(mac, 32); /* a MAC nobody can match: the nonce is refused */
}

/* "<time>.<sequence>.<random>.<mac>"; the sequence number's slot starts with no count. */
static char *nonce_new(Auth *a, const char *source)
{
	guint8 rnd[12], mac[32];
	GString *n = g_string_new(NULL);
	guint64 seq = a->next_seq++;

	a->nc[seq & (a->slots - 1)] = 0;
	xb_random_bytes(rnd, sizeof(rnd));
	g_string_append_printf(n, "%" G_GINT64_MODIFIER "x.%" G_GINT64_MODIFIER "x.",
	                       xb_clock_wall_s(), seq);
	b64url(n, rnd, sizeof(rnd));
	nonce_mac(a, n->str, n->len, source, mac);
	g_string_append_c(n, '.');
	b64url(n, mac, 18);
	return g_string_free(n, FALSE);
}

/* Is this a nonce we made for this source address? Its time is put in *issued, its
 * sequence number in *seq. */
static gboolean nonce_valid(Auth *a, const char *nonce, const char *source, gint64 *issued,
                            guint64 *seq)
{
	const char *dot1 = strchr(nonce, '.');
	const char *dot2 = strrchr(nonce, '.');
	guint8 mac[32];

	if (!dot2 || strlen(nonce) > 128)
		return FALSE;
	nonce_mac(a, nonce, dot2 - nonce, source, mac);
	g_autoptr(GString) expect = g_string_new(NULL);
	b64url(expect, mac, 18);
	if (strlen(dot2 + 1) != expect->len || CRYPTO_memcmp(dot2 + 1, expect->str, expect->len))
		return FALSE;
	*issued = g_ascii_strtoll(nonce, NULL, 16);
	*seq = g_ascii_strtoull(dot1 + 1, NULL, 16); /* dot1 exists: the MAC matched */
	return TRUE;
}

static void challenge_line(GString *out, const char *realm, const char *nonce,
                           const char *algorithm, gboolean stale)
{
	g_string_append(out, "WWW-Authenticate: Digest realm=\"");
	g_string_append(out, realm);
	g_string_append(out, "\", nonce=\"");
	g_string_append(out, nonce);
	g_string_append(out, "\", algorithm=");
	g_string_append(out, algorithm);
	g_string_append(out, stale ? ", qop=\"auth\", stale=true\r\n" : ", qop=\"auth\"\r\n");
}

char *auth_challenge(Auth *a, const char *realm, const char *source, gboolean stale)
{
	g_autofree char *nonce = nonce_new(a, source);
	GString *out = g_string_sized_new(256);
	gboolean md5_first = a->cfg.offer_md5 && (a->cfg.md5_first || !a->cfg.offer_sha256);

	/* RFC 8760 §2.4: one challenge per algorithm, the preferred one first. */
	if (md5_first)
		challenge_line(out, realm, nonce, "MD5", stale);
	if (a->cfg.offer_sha256)
		challenge_line(out, realm, nonce, "SHA-256", stale);
	if (a->cfg.offer_md5 && !md5_first)
		challenge_line(out, realm, nonce, "MD5", stale);
	return g_string_free(out, FALSE);
}

/* ---- checking ---- */

static char *hex_digest(const EVP_MD *md, const char *text)
{
	static const char digits[] = "0123456789abcdef";
	guint8 out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *hex;

	EVP_Digest(text, strlen(text), out, &len, md, NULL);
	hex = g_malloc(len * 2 + 1);
	for (unsigned int i = 0; i < len; i++) {
		hex[2 * i] = digits[out[i] >> 4];
		hex[2 * i + 1] = digits[out[i] & 0xf];
	}
	hex[len * 2] = 0;
	return hex;
}

static char *unq(const struct sip_pl *pl)
{
	if (pl->l >= 2 && pl->p[0] == '"' && pl->p[pl->l - 1] == '"') {
		struct sip_pl inner = {pl->p + 1, pl->l - 2};
		return sip_pl_dup(&inner);
	}
	return sip_pl_dup(pl);
}

/* The Authorization header for our realm, parsed; FALSE when there is none. */
static gboolean find_credentials(const struct sip_msg *req, const char *realm, struct sip_auth *out)
{
	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_AUTHORIZATION); h;
	     h = sip_msg_hdr_next(req, h)) {
		struct sip_auth au;
		/* its fields become C strings: one holding an escaped NUL cannot be checked */
		if (sip_auth_parse(&au, &h->val) < 0 || !sip_pl_caseeq(&au.scheme, "Digest") ||
		    sip_pl_has_nul(&h->val))
			continue;
		g_autofree char *r = unq(&au.realm);
		if (strcmp(r, realm) == 0) {
			*out = au;
			return TRUE;
		}
	}
	return FALSE;
}

/* The nonce-count check of a right answer (RFC 7616 §3.4.5: counts must grow). A nonce
 * whose slot a newer nonce has taken is stale: its count is no longer known, so it cannot
 * be trusted not to be a replay, and the client asks again. */
static AuthResult nonce_count(Auth *a, guint64 seq, guint32 nc)
{
	guint32 *seen = &a->nc[seq & (a->slots - 1)];

	if (seq >= a->next_seq || a->next_seq - seq > a->slots)
		return AUTH_STALE;
	if (nc <= *seen)
		return AUTH_REPLAYED;
	*seen = nc;
	return AUTH_OK;
}

AuthResult auth_check(Auth *a, const struct sip_msg *req, const char *realm, const char *source,
                      AuthHa1Func ha1_of, void *user_data, char **username)
{
	struct sip_auth au;
	gint64 issued = 0;
	guint64 seq = 0;
	guint32 nc = 0;

	*username = NULL;
	if (!find_credentials(req, realm, &au))
		return AUTH_MISSING;
	g_autofree char *user = unq(&au.username);
	g_autofree char *nonce = unq(&au.nonce);
	g_autofree char *uri = unq(&au.uri);
	g_autofree char *response = unq(&au.response);
	g_autofree char *cnonce = unq(&au.cnonce);
	g_autofree char *qop = unq(&au.qop);
	g_autofree char *alg = sip_pl_isset(&au.algorithm) ? unq(&au.algorithm) : g_strdup("MD5");
	g_autofree char *ncs = sip_pl_dup(&au.nc);
	const EVP_MD *md;
	const char *alg_name;
	/* Only a wrong answer to a nonce that we sent to this address and that is still fresh
	 * may count towards a ban: anything else a forged source can send. */
	gboolean ours = nonce_valid(a, nonce, source, &issued, &seq);
	gboolean fresh = ours && xb_clock_wall_s() - issued <= a->cfg.nonce_ttl_s &&
	                 issued <= xb_clock_wall_s() + 5;
	AuthResult failed = fresh ? AUTH_FAILED : AUTH_UNTRUSTED;

	if (g_ascii_strcasecmp(alg, "SHA-256") == 0 && a->cfg.offer_sha256) {
		md = a->sha256;
		alg_name = "SHA-256";
	} else if (g_ascii_strcasecmp(alg, "MD5") == 0 && a->cfg.offer_md5) {
		md = a->md5;
		alg_name = "MD5";
	} else {
		return failed;
	}
	/* qop=auth is what we offer; a client without it or without cnonce/nc is refused. */
	if (strcmp(qop, "auth") != 0 || !*cnonce || strlen(ncs) != 8 || !*user || !*uri ||
	    !*response)
		return failed;
	char *end;
	nc = (guint32)g_ascii_strtoull(ncs, &end, 16);
	if (*end || nc == 0)
		return failed;

	/* The digest is computed whether or not the user exists (no timing oracle). */
	g_autofree char *ha1 = ha1_of(user, alg_name, user_data);
	gboolean known = ha1 != NULL;
	if (!ha1)
		ha1 = hex_digest(md, "nobody:nowhere:nothing");
	g_autofree char *method = sip_pl_dup(&req->method_name);
	g_autofree char *a2 = g_strdup_printf("%s:%s", method, uri);
	g_autofree char *ha2 = hex_digest(md, a2);
	g_autofree char *kd =
	    g_strdup_printf("%s:%s:%s:%s:%s:%s", ha1, nonce, ncs, cnonce, qop, ha2);
	g_autofree char *expect = hex_digest(md, kd);
	gboolean match = strlen(response) == strlen(expect) &&
	                 CRYPTO_memcmp(response, expect, strlen(expect)) == 0;

	if (!known || !match)
		return failed;
	/* The right password on a nonce that is old, not ours (made before a restart) or made
	 * for another address: a fresh challenge with stale=true, and no failure counted. */
	if (!fresh)
		return AUTH_STALE;
	AuthResult r = nonce_count(a, seq, nc);
	if (r == AUTH_OK)
		*username = g_steal_pointer(&user);
	return r;
}

guint auth_nonce_slots(Auth *a)
{
	return a->slots;
}
