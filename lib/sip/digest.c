/* lib/sip/digest.c: digest computation, challenges and answers (RFC 2617 §3.2, RFC 7616
 * §3.3-3.4, RFC 8760), shared by the server side (digest_server.c) and the client side
 * (mod_sip's retries). MD5, SHA-256 and their -sess forms, with qop=auth or without qop.
 * Keeps no state across calls and sends nothing. */
#include <crossbar/random.h>
#include <crossbar/sipdigest.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>

static const struct {
	const char *name;
	SipDigestAlg alg;
} algs[] = {
    {"MD5", SIP_DIGEST_MD5},
    {"MD5-sess", SIP_DIGEST_MD5_SESS},
    {"SHA-256", SIP_DIGEST_SHA256},
    {"SHA-256-sess", SIP_DIGEST_SHA256_SESS},
};

const char *sip_digest_alg_name(SipDigestAlg alg)
{
	for (size_t i = 0; i < G_N_ELEMENTS(algs); i++)
		if (algs[i].alg == alg)
			return algs[i].name;
	return "?";
}

SipDigestAlg sip_digest_alg_from_name(const char *name)
{
	for (size_t i = 0; name && i < G_N_ELEMENTS(algs); i++)
		if (g_ascii_strcasecmp(name, algs[i].name) == 0)
			return algs[i].alg;
	return 0;
}

static bool alg_sess(SipDigestAlg alg)
{
	return alg == SIP_DIGEST_MD5_SESS || alg == SIP_DIGEST_SHA256_SESS;
}

/* ---- hashing ---- */

/* OpenSSL 3 looks an algorithm up by name on every implicit fetch (EVP_md5() in
 * EVP_DigestInit); fetched once here, a digest costs a fraction per request. */
static const EVP_MD *alg_md(SipDigestAlg alg)
{
	static EVP_MD *md5, *sha256;
	static gsize fetched;

	if (g_once_init_enter(&fetched)) {
		md5 = EVP_MD_fetch(NULL, "MD5", NULL);
		sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
		/* Without them no digest can be made: a broken OpenSSL install. */
		g_assert(md5 && sha256);
		g_once_init_leave(&fetched, 1);
	}
	return alg == SIP_DIGEST_SHA256 || alg == SIP_DIGEST_SHA256_SESS ? sha256 : md5;
}

/* H(a:b:c...) of the NULL-terminated parts, in lower-case hex; ctx is re-initialised. */
static char *hash_join(EVP_MD_CTX *ctx, const EVP_MD *md, ...)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	va_list ap;
	const char *part;
	bool first = true;

	EVP_DigestInit_ex(ctx, md, NULL);
	va_start(ap, md);
	while ((part = va_arg(ap, const char *))) {
		if (!first)
			EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, part, strlen(part));
		first = false;
	}
	va_end(ap);
	EVP_DigestFinal_ex(ctx, out, &len);

	char *hex = g_malloc(len * 2 + 1);
	for (unsigned int i = 0; i < len; i++) {
		hex[2 * i] = digits[out[i] >> 4];
		hex[2 * i + 1] = digits[out[i] & 0xf];
	}
	hex[len * 2] = 0;
	return hex;
}

char *sip_digest_ha1(SipDigestAlg alg, const char *username, const char *realm,
                     const char *password)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *ha1 = hash_join(ctx, alg_md(alg), username, realm, password, NULL);

	EVP_MD_CTX_free(ctx);
	return ha1;
}

char *sip_digest_response(const SipDigestInput *in)
{
	const EVP_MD *md = alg_md(in->alg);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *ha1 = in->ha1 ? g_strdup(in->ha1)
	                    : hash_join(ctx, md, in->username, in->realm, in->password, NULL);
	g_autofree char *ha2 = hash_join(ctx, md, in->method, in->uri, NULL);
	char *response;

	/* RFC 7616 §3.4.2: the -sess forms hash the nonce and cnonce into HA1. */
	if (alg_sess(in->alg)) {
		char *sess = hash_join(ctx, md, ha1, in->nonce, in->cnonce ? in->cnonce : "", NULL);
		OPENSSL_cleanse(ha1, strlen(ha1));
		g_free(ha1);
		ha1 = sess;
	}
	/* A NULL part would end the list early: an absent nc or cnonce hashes as empty. */
	if (in->qop)
		response = hash_join(ctx, md, ha1, in->nonce, in->nc ? in->nc : "",
		                     in->cnonce ? in->cnonce : "", in->qop, ha2, NULL);
	else
		response = hash_join(ctx, md, ha1, in->nonce, ha2, NULL);
	OPENSSL_cleanse(ha1, strlen(ha1));
	g_free(ha1);
	EVP_MD_CTX_free(ctx);
	return response;
}

bool sip_digest_response_check(const SipDigestInput *in, const char *response)
{
	g_autofree char *expect = sip_digest_response(in);
	size_t len = strlen(expect);

	return strlen(response) == len && CRYPTO_memcmp(response, expect, len) == 0;
}

/* ---- challenges ---- */

/* A parameter's text: quoted strings unescaped, tokens as they are. */
static char *param_text(const struct sip_pl *pl)
{
	if (pl->l >= 2 && pl->p[0] == '"') {
		char *out = g_malloc(pl->l);
		if (sip_quoted_unescape(pl, out, pl->l, NULL) < 0) {
			g_free(out);
			return NULL;
		}
		return out;
	}
	return sip_pl_dup(pl);
}

static bool qop_has_auth(const char *list)
{
	g_auto(GStrv) items = g_strsplit(list, ",", -1);

	for (guint i = 0; items[i]; i++)
		if (g_ascii_strcasecmp(g_strstrip(items[i]), "auth") == 0)
			return true;
	return false;
}

void sip_digest_challenge_clear(SipDigestChallenge *ch)
{
	g_clear_pointer(&ch->realm, g_free);
	g_clear_pointer(&ch->nonce, g_free);
	g_clear_pointer(&ch->opaque, g_free);
}

int sip_digest_challenge_parse(SipDigestChallenge *ch, const struct sip_pl *val, SipDigestKind kind)
{
	struct sip_auth a;

	memset(ch, 0, sizeof(*ch));
	if (sip_auth_parse(&a, val) < 0)
		return -EBADMSG;
	if (!sip_pl_caseeq(&a.scheme, "Digest"))
		return -ENOTSUP;
	if (!sip_pl_isset(&a.realm) || !sip_pl_isset(&a.nonce))
		return -EBADMSG;
	ch->kind = kind;
	ch->alg = SIP_DIGEST_MD5;
	if (sip_pl_isset(&a.algorithm)) {
		g_autofree char *name = param_text(&a.algorithm);
		ch->has_algorithm = true;
		ch->alg = sip_digest_alg_from_name(name);
		if (!ch->alg)
			return -ENOTSUP;
	}
	if (sip_pl_isset(&a.qop)) {
		g_autofree char *qop = param_text(&a.qop);
		if (!qop || !qop_has_auth(qop))
			return -ENOTSUP;
		ch->qop_auth = true;
	}
	if (sip_pl_isset(&a.stale)) {
		g_autofree char *stale = param_text(&a.stale);
		ch->stale = stale && g_ascii_strcasecmp(stale, "true") == 0;
	}
	ch->realm = param_text(&a.realm);
	ch->nonce = param_text(&a.nonce);
	if (sip_pl_isset(&a.opaque))
		ch->opaque = param_text(&a.opaque);
	if (!ch->realm || !ch->nonce || (sip_pl_isset(&a.opaque) && !ch->opaque)) {
		sip_digest_challenge_clear(ch);
		return -EBADMSG;
	}
	return 0;
}

int sip_digest_challenge_pick(const struct sip_msg *resp, const char *realm, SipDigestChallenge *ch)
{
	SipDigestKind kind = resp->status == 407 ? SIP_DIGEST_PROXY : SIP_DIGEST_WWW;
	enum sip_hdrid id =
	    kind == SIP_DIGEST_PROXY ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE;

	for (const struct sip_hdr *h = sip_msg_hdr(resp, id); h; h = sip_msg_hdr_next(resp, h)) {
		if (sip_digest_challenge_parse(ch, &h->val, kind) < 0)
			continue;
		if (!realm || !*realm || strcmp(realm, ch->realm) == 0)
			return 0;
		sip_digest_challenge_clear(ch);
	}
	return -ENOENT;
}

bool sip_digest_challenge_worth_answering(const SipDigestChallenge *ch, bool realm_answered_before)
{
	return !realm_answered_before || ch->stale;
}

/* A quoted-string of RFC 3261 §25.1: '"' and '\' escaped. */
static void append_quoted(GString *s, const char *value)
{
	g_string_append_c(s, '"');
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(s, '\\');
		g_string_append_c(s, *p);
	}
	g_string_append_c(s, '"');
}

void sip_digest_challenge_print(const SipDigestChallenge *ch, GString *out)
{
	g_string_append(out, ch->kind == SIP_DIGEST_PROXY ? "Proxy-Authenticate: Digest realm="
	                                                  : "WWW-Authenticate: Digest realm=");
	append_quoted(out, ch->realm);
	g_string_append(out, ", nonce=");
	append_quoted(out, ch->nonce);
	if (ch->opaque) {
		g_string_append(out, ", opaque=");
		append_quoted(out, ch->opaque);
	}
	if (ch->has_algorithm || ch->alg != SIP_DIGEST_MD5)
		g_string_append_printf(out, ", algorithm=%s", sip_digest_alg_name(ch->alg));
	if (ch->qop_auth)
		g_string_append(out, ", qop=\"auth\"");
	if (ch->stale)
		g_string_append(out, ", stale=true");
	g_string_append(out, "\r\n");
}

/* ---- answers ---- */

char *sip_digest_authorization(const SipDigestChallenge *ch, const SipDigestAnswer *ans)
{
	char own_cnonce[25];
	const char *cnonce = ans->cnonce;
	char nc_text[9];
	bool sess = alg_sess(ch->alg);

	if (!cnonce && (ch->qop_auth || sess)) {
		xb_random_hex(own_cnonce, sizeof(own_cnonce) - 1);
		cnonce = own_cnonce;
	}
	g_snprintf(nc_text, sizeof(nc_text), "%08x", ans->nc);
	const SipDigestInput in = {
	    .alg = ch->alg,
	    .username = ans->username,
	    .realm = ch->realm,
	    .password = ans->password,
	    .method = ans->method,
	    .uri = ans->uri,
	    .nonce = ch->nonce,
	    .qop = ch->qop_auth ? "auth" : NULL,
	    .nc = nc_text,
	    .cnonce = cnonce,
	};
	g_autofree char *response = sip_digest_response(&in);

	GString *s = g_string_new("Digest username=");
	append_quoted(s, ans->username);
	g_string_append(s, ", realm=");
	append_quoted(s, ch->realm);
	g_string_append(s, ", nonce=");
	append_quoted(s, ch->nonce);
	g_string_append(s, ", uri=");
	append_quoted(s, ans->uri);
	g_string_append(s, ", response=");
	append_quoted(s, response);
	if (ch->has_algorithm || ch->alg != SIP_DIGEST_MD5)
		g_string_append_printf(s, ", algorithm=%s", sip_digest_alg_name(ch->alg));
	if (cnonce && (ch->qop_auth || sess)) {
		g_string_append(s, ", cnonce=");
		append_quoted(s, cnonce);
	}
	if (ch->opaque) {
		g_string_append(s, ", opaque=");
		append_quoted(s, ch->opaque);
	}
	if (ch->qop_auth)
		g_string_append_printf(s, ", qop=auth, nc=%s", nc_text);
	return g_string_free(s, FALSE);
}
