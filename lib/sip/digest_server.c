/* lib/sip/digest_server.c: digest authentication as a server (RFC 3261 §22.4, RFC 7616 with
 * qop=auth, RFC 8760's SHA-256). A nonce is "<time>.<sequence>.<random>.<mac>" with the MAC
 * an HMAC-SHA-256 of the rest and of the client's address under a secret made at start-up,
 * so any node that knows the secret can check it and none needs to remember it, and a nonce
 * is good only from the address it was sent to. What must be remembered, the highest nonce
 * count of each nonce (RFC 7616 §3.4.5), sits in a ring indexed by a sequence number that
 * the nonce carries under its MAC (as Kamailio's nonce-count array does): a nonce whose slot
 * a newer one took is stale, so no count is ever forgotten while its nonce is still good,
 * memory is fixed (four octets a slot), and any rate of requests is served. The hashing is
 * digest.c's; failures are counted by the core's shared limiter (crossbar/authlimit.h), and
 * only those a forged source cannot produce. */
#include <crossbar/authlimit.h>
#include <crossbar/random.h>
#include <crossbar/sipdigest.h>
#include <crossbar/timer.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

struct sip_digest_server {
	SipDigestServerConfig cfg;
	guint8 secret[32];
	guint32 *nc;      /* the highest nonce count seen, by sequence number % slots */
	guint64 next_seq; /* the sequence number of the next nonce */
	guint slots;      /* the ring's size, a power of two */
	/* HMAC-SHA-256 under secret, keyed once and re-initialised per use: OpenSSL 3's
	 * one-shot HMAC() looks the algorithm up by name on every call. */
	EVP_MAC_CTX *nonce_mac;
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

SipDigestServer *sip_digest_server_new(const SipDigestServerConfig *cfg)
{
	SipDigestServer *s = g_new0(SipDigestServer, 1);

	s->cfg = *cfg;
	RAND_bytes(s->secret, sizeof(s->secret));
	s->slots = SIP_DIGEST_NONCE_SLOTS;
	if (cfg->nonce_slots)
		s->slots =
		    1u << g_bit_storage(MIN(cfg->nonce_slots, SIP_DIGEST_NONCE_SLOTS_MAX) - 1);
	s->nc = g_new0(guint32, s->slots);
	s->nonce_mac = hmac_sha256_new(s->secret, sizeof(s->secret));
	/* Without it no nonce can be made: a broken OpenSSL install. */
	g_assert(s->nonce_mac);
	return s;
}

void sip_digest_server_configure(SipDigestServer *s, const SipDigestServerConfig *cfg)
{
	s->cfg = *cfg;
}

void sip_digest_server_free(SipDigestServer *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
	EVP_MAC_CTX_free(s->nonce_mac);
	g_free(s->nc);
	g_free(s);
}

guint sip_digest_server_nonce_slots(SipDigestServer *s)
{
	return s->slots;
}

/* ---- nonces ---- */

/* The address a nonce is bound to, without port, as text. */
static void peer_source(const SipPeer *peer, char *out, size_t len)
{
	guint16 port;

	sip_peer_host(peer, out, len, &port);
}

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
static void nonce_mac(SipDigestServer *s, const char *body, gsize len, const char *source,
                      guint8 mac[32])
{
	size_t mlen = 0;

	/* A NULL key re-uses the one set in sip_digest_server_new. */
	if (!EVP_MAC_init(s->nonce_mac, NULL, 0, NULL) ||
	    !EVP_MAC_update(s->nonce_mac, (const guint8 *)body, len) ||
	    !EVP_MAC_update(s->nonce_mac, (const guint8 *)"", 1) ||
	    !EVP_MAC_update(s->nonce_mac, (const guint8 *)source, strlen(source)) ||
	    !EVP_MAC_final(s->nonce_mac, mac, &mlen, 32) || mlen != 32)
		RAND_bytes(mac, 32); /* a MAC nobody can match: the nonce is refused */
}

/* "<time>.<sequence>.<random>.<mac>"; the sequence number's slot starts with no count. */
static char *nonce_new(SipDigestServer *s, const char *source)
{
	guint8 rnd[12], mac[32];
	GString *n = g_string_new(NULL);
	guint64 seq = s->next_seq++;

	s->nc[seq & (s->slots - 1)] = 0;
	xb_random_bytes(rnd, sizeof(rnd));
	g_string_append_printf(n, "%" G_GINT64_MODIFIER "x.%" G_GINT64_MODIFIER "x.",
	                       xb_clock_wall_s(), seq);
	b64url(n, rnd, sizeof(rnd));
	nonce_mac(s, n->str, n->len, source, mac);
	g_string_append_c(n, '.');
	b64url(n, mac, 18);
	return g_string_free(n, FALSE);
}

/* Is this a nonce we made for this source address? Its time is put in *issued, its
 * sequence number in *seq. */
static gboolean nonce_valid(SipDigestServer *s, const char *nonce, const char *source,
                            gint64 *issued, guint64 *seq)
{
	const char *dot1 = strchr(nonce, '.');
	const char *dot2 = strrchr(nonce, '.');
	guint8 mac[32];

	if (!dot2 || strlen(nonce) > 128)
		return FALSE;
	nonce_mac(s, nonce, dot2 - nonce, source, mac);
	g_autoptr(GString) expect = g_string_new(NULL);
	b64url(expect, mac, 18);
	if (strlen(dot2 + 1) != expect->len || CRYPTO_memcmp(dot2 + 1, expect->str, expect->len))
		return FALSE;
	*issued = g_ascii_strtoll(nonce, NULL, 16);
	*seq = g_ascii_strtoull(dot1 + 1, NULL, 16); /* dot1 exists: the MAC matched */
	return TRUE;
}

char *sip_digest_server_challenge(SipDigestServer *s, const SipDigestRequest *r, bool stale)
{
	char source[INET6_ADDRSTRLEN];

	peer_source(r->peer, source, sizeof(source));
	g_autofree char *nonce = nonce_new(s, source);
	GString *out = g_string_sized_new(256);
	gboolean md5_first = s->cfg.offer_md5 && (s->cfg.md5_first || !s->cfg.offer_sha256);
	SipDigestChallenge ch = {
	    .kind = r->kind,
	    .qop_auth = true,
	    .stale = stale,
	    .has_algorithm = true,
	    .realm = (char *)r->realm,
	    .nonce = nonce,
	};

	/* RFC 8760 §2.4: one challenge per algorithm, the preferred one first. */
	if (md5_first) {
		ch.alg = SIP_DIGEST_MD5;
		sip_digest_challenge_print(&ch, out);
	}
	if (s->cfg.offer_sha256) {
		ch.alg = SIP_DIGEST_SHA256;
		sip_digest_challenge_print(&ch, out);
	}
	if (s->cfg.offer_md5 && !md5_first) {
		ch.alg = SIP_DIGEST_MD5;
		sip_digest_challenge_print(&ch, out);
	}
	return g_string_free(out, FALSE);
}

/* ---- checking ---- */

/* A parameter without its quotes (escapes are kept). */
static char *unq(const struct sip_pl *pl)
{
	if (pl->l >= 2 && pl->p[0] == '"' && pl->p[pl->l - 1] == '"') {
		struct sip_pl inner = {pl->p + 1, pl->l - 2};
		return sip_pl_dup(&inner);
	}
	return sip_pl_dup(pl);
}

/* The credentials for our realm in the header of kind, parsed; FALSE when there are none. */
static gboolean find_credentials(const struct sip_msg *req, SipDigestKind kind, const char *realm,
                                 struct sip_auth *out)
{
	enum sip_hdrid id =
	    kind == SIP_DIGEST_PROXY ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION;

	for (const struct sip_hdr *h = sip_msg_hdr(req, id); h; h = sip_msg_hdr_next(req, h)) {
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
static SipDigestVerdict nonce_count(SipDigestServer *s, guint64 seq, guint32 nc)
{
	guint32 *seen = &s->nc[seq & (s->slots - 1)];

	if (seq >= s->next_seq || s->next_seq - seq > s->slots)
		return SIP_DIGEST_STALE;
	if (nc <= *seen)
		return SIP_DIGEST_REPLAYED;
	*seen = nc;
	return SIP_DIGEST_OK;
}

/* The algorithm of an answer, if it is one this server offers; else 0. */
static SipDigestAlg offered_alg(SipDigestServer *s, const char *name)
{
	if (g_ascii_strcasecmp(name, "SHA-256") == 0 && s->cfg.offer_sha256)
		return SIP_DIGEST_SHA256;
	if (g_ascii_strcasecmp(name, "MD5") == 0 && s->cfg.offer_md5)
		return SIP_DIGEST_MD5;
	return 0;
}

SipDigestVerdict sip_digest_server_check(SipDigestServer *s, const SipDigestRequest *r,
                                         char **username)
{
	struct sip_auth au;
	char source[INET6_ADDRSTRLEN];
	gint64 issued = 0;
	guint64 seq = 0;
	guint32 nc = 0;

	*username = NULL;
	if (!find_credentials(r->msg, r->kind, r->realm, &au))
		return SIP_DIGEST_MISSING;
	peer_source(r->peer, source, sizeof(source));
	g_autofree char *user = unq(&au.username);
	g_autofree char *nonce = unq(&au.nonce);
	g_autofree char *uri = unq(&au.uri);
	g_autofree char *response = unq(&au.response);
	g_autofree char *cnonce = unq(&au.cnonce);
	g_autofree char *qop = unq(&au.qop);
	g_autofree char *alg_name =
	    sip_pl_isset(&au.algorithm) ? unq(&au.algorithm) : g_strdup("MD5");
	g_autofree char *ncs = sip_pl_dup(&au.nc);
	SipDigestAlg alg = offered_alg(s, alg_name);
	/* Only a wrong answer to a nonce that we sent to this address and that is still fresh
	 * may count towards a ban: anything else a forged source can send. */
	gboolean ours = nonce_valid(s, nonce, source, &issued, &seq);
	gboolean fresh = ours && xb_clock_wall_s() - issued <= s->cfg.nonce_ttl_s &&
	                 issued <= xb_clock_wall_s() + 5;
	SipDigestVerdict failed = fresh ? SIP_DIGEST_FAILED : SIP_DIGEST_UNTRUSTED;

	if (!alg)
		return failed;
	/* qop=auth is what we offer; a client without it or without cnonce/nc is refused. */
	if (strcmp(qop, "auth") != 0 || !*cnonce || strlen(ncs) != 8 || !*user || !*uri ||
	    !*response)
		return failed;
	char *end;
	nc = (guint32)g_ascii_strtoull(ncs, &end, 16);
	if (*end || nc == 0)
		return failed;

	/* The digest is computed whether or not the user exists (no timing oracle). */
	g_autofree char *ha1 = r->ha1_of(user, alg, r->user_data);
	gboolean known = ha1 != NULL;
	if (!ha1)
		ha1 = sip_digest_ha1(alg, "nobody", "nowhere", "nothing");
	g_autofree char *method = sip_pl_dup(&r->msg->method_name);
	const SipDigestInput in = {
	    .alg = alg,
	    .ha1 = ha1,
	    .method = method,
	    .uri = uri,
	    .nonce = nonce,
	    .qop = qop,
	    .nc = ncs,
	    .cnonce = cnonce,
	};
	gboolean match = sip_digest_response_check(&in, response);

	OPENSSL_cleanse(ha1, strlen(ha1));
	if (!known || !match)
		return failed;
	/* The right password on a nonce that is old, not ours (made before a restart) or made
	 * for another address: a fresh challenge with stale=true, and no failure counted. */
	if (!fresh)
		return SIP_DIGEST_STALE;
	SipDigestVerdict v = nonce_count(s, seq, nc);
	if (v == SIP_DIGEST_OK)
		*username = g_steal_pointer(&user);
	return v;
}

/* ---- the whole authentication of a request ---- */

static guint forbid(SipDigestOutcome *out)
{
	out->status = 403;
	out->reason = "Forbidden";
	return out->status;
}

guint sip_digest_server_authenticate(SipDigestServer *s, const SipDigestRequest *r,
                                     const char *module, SipDigestOutcome *out)
{
	socklen_t sa_len;
	const struct sockaddr *sa = sip_peer_sockaddr(r->peer, &sa_len);
	bool stale = false;

	memset(out, 0, sizeof(*out));
	if (xb_authlimit_is_banned(sa)) {
		out->verdict = SIP_DIGEST_BANNED;
		return forbid(out);
	}
	out->verdict = sip_digest_server_check(s, r, &out->username);
	switch (out->verdict) {
	case SIP_DIGEST_OK:
		return 0;
	case SIP_DIGEST_FAILED:
		/* The limiter logs the failure that starts a ban, once. */
		if (xb_authlimit_failure(sa, module))
			return forbid(out);
		break;
	case SIP_DIGEST_STALE:
		stale = true;
		break;
	case SIP_DIGEST_MISSING:
	case SIP_DIGEST_UNTRUSTED:
	case SIP_DIGEST_REPLAYED:
	case SIP_DIGEST_BANNED:
		break;
	}
	if (r->kind == SIP_DIGEST_PROXY) {
		out->status = 407;
		out->reason = "Proxy Authentication Required";
	} else {
		out->status = 401;
		out->reason = "Unauthorized";
	}
	out->headers = sip_digest_server_challenge(s, r, stale);
	return out->status;
}

void sip_digest_outcome_clear(SipDigestOutcome *out)
{
	g_clear_pointer(&out->headers, g_free);
	g_clear_pointer(&out->username, g_free);
	out->reason = NULL;
	out->status = 0;
}

char *sip_digest_directory_ha1(const char *username, SipDigestAlg alg, XbDirUser **user)
{
	g_clear_pointer(user, xb_dir_user_free);
	*user = xb_directory_lookup(username);
	if (!*user || strcmp((*user)->realm, xb_directory_realm()) != 0)
		return NULL;
	return g_strdup(alg == SIP_DIGEST_SHA256 ? (*user)->ha1_sha256 : (*user)->ha1_md5);
}
