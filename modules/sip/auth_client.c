/* modules/sip/auth_client.c: digest as a client (RFC 2617 §3.2.2, RFC 7616 §3.4, RFC 8760):
 * reading challenges and computing answers. Supports MD5, SHA-256 and their -sess forms,
 * with qop=auth or without qop; not auth-int, not userhash, not SHA-512-256. Keeps no
 * state and sends nothing: the retry itself is ua_auth.c's. */
#include "auth_client.h"

#include <openssl/evp.h>
#include <crossbar/random.h>
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

void sip_challenge_clear(SipChallenge *ch)
{
	g_clear_pointer(&ch->realm, g_free);
	g_clear_pointer(&ch->nonce, g_free);
	g_clear_pointer(&ch->opaque, g_free);
}

int sip_challenge_parse(SipChallenge *ch, const struct sip_pl *val, bool proxy)
{
	struct sip_auth a;

	memset(ch, 0, sizeof(*ch));
	if (sip_auth_parse(&a, val) < 0)
		return -EBADMSG;
	if (!sip_pl_caseeq(&a.scheme, "Digest"))
		return -ENOTSUP;
	if (!sip_pl_isset(&a.realm) || !sip_pl_isset(&a.nonce))
		return -EBADMSG;
	ch->proxy = proxy;
	ch->alg = SIP_DIGEST_MD5;
	if (sip_pl_isset(&a.algorithm)) {
		g_autofree char *name = param_text(&a.algorithm);
		ch->alg = 0;
		ch->has_algorithm = true;
		for (size_t i = 0; name && i < G_N_ELEMENTS(algs); i++)
			if (g_ascii_strcasecmp(name, algs[i].name) == 0)
				ch->alg = algs[i].alg;
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
		sip_challenge_clear(ch);
		return -EBADMSG;
	}
	return 0;
}

int sip_challenge_pick(const struct sip_msg *resp, const SipCredentials *cred, SipChallenge *ch)
{
	bool proxy = resp->status == 407;
	enum sip_hdrid id = proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE;

	for (const struct sip_hdr *h = sip_msg_hdr(resp, id); h; h = sip_msg_hdr_next(resp, h)) {
		if (sip_challenge_parse(ch, &h->val, proxy) < 0)
			continue;
		if (!*sip_credentials_realm(cred) ||
		    strcmp(sip_credentials_realm(cred), ch->realm) == 0)
			return 0;
		sip_challenge_clear(ch);
	}
	return -ENOENT;
}

bool sip_challenge_worth_answering(const SipChallenge *ch, bool realm_answered_before)
{
	return !realm_answered_before || ch->stale;
}

/* ---- hashing ---- */

static const EVP_MD *alg_md(SipDigestAlg alg)
{
	return alg == SIP_DIGEST_SHA256 || alg == SIP_DIGEST_SHA256_SESS ? EVP_sha256() : EVP_md5();
}

/* H(a:b:c...) of the NULL-terminated parts, in lower-case hex. */
static char *hash_join(const EVP_MD *md, ...)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
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
	EVP_MD_CTX_free(ctx);

	char *hex = g_malloc(len * 2 + 1);
	for (unsigned int i = 0; i < len; i++)
		g_snprintf(hex + i * 2, 3, "%02x", out[i]);
	return hex;
}

char *sip_digest_response(SipDigestAlg alg, const char *username, const char *realm,
                          const char *password, const char *method, const char *uri,
                          const char *nonce, const char *qop, const char *nc, const char *cnonce)
{
	const EVP_MD *md = alg_md(alg);
	g_autofree char *ha1 = hash_join(md, username, realm, password, NULL);
	g_autofree char *ha2 = hash_join(md, method, uri, NULL);

	/* RFC 7616 §3.4.2: the -sess forms hash the nonce and cnonce into HA1. */
	if (alg == SIP_DIGEST_MD5_SESS || alg == SIP_DIGEST_SHA256_SESS) {
		char *sess = hash_join(md, ha1, nonce, cnonce ? cnonce : "", NULL);
		g_free(ha1);
		ha1 = sess;
	}
	if (qop)
		return hash_join(md, ha1, nonce, nc, cnonce, qop, ha2, NULL);
	return hash_join(md, ha1, nonce, ha2, NULL);
}

/* A quoted-string of RFC 3261 §25.1: '"' and '\' escaped. */
static void append_quoted(GString *s, const char *name, const char *value)
{
	g_string_append_printf(s, ", %s=\"", name);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(s, '\\');
		g_string_append_c(s, *p);
	}
	g_string_append_c(s, '"');
}

char *sip_digest_authorization(const SipChallenge *ch, const SipCredentials *cred,
                               const char *method, const char *uri, const char *cnonce, guint32 nc)
{
	g_autofree char *own_cnonce = NULL;
	char nc_text[9];
	bool sess = ch->alg == SIP_DIGEST_MD5_SESS || ch->alg == SIP_DIGEST_SHA256_SESS;

	if (!cnonce && (ch->qop_auth || sess)) {
		guint8 rnd[12];
		xb_random_bytes(rnd, sizeof(rnd));
		own_cnonce = g_malloc(sizeof(rnd) * 2 + 1);
		for (size_t i = 0; i < sizeof(rnd); i++)
			g_snprintf(own_cnonce + i * 2, 3, "%02x", rnd[i]);
		cnonce = own_cnonce;
	}
	g_snprintf(nc_text, sizeof(nc_text), "%08x", nc);
	g_autofree char *response = sip_digest_response(
	    ch->alg, sip_credentials_username(cred), ch->realm, sip_credentials_password(cred),
	    method, uri, ch->nonce, ch->qop_auth ? "auth" : NULL, nc_text, cnonce);

	GString *s = g_string_new("Digest ");
	/* append_quoted starts with ", ": write the first one by hand. */
	append_quoted(s, "username", sip_credentials_username(cred));
	g_string_erase(s, 7, 2);
	append_quoted(s, "realm", ch->realm);
	append_quoted(s, "nonce", ch->nonce);
	append_quoted(s, "uri", uri);
	append_quoted(s, "response", response);
	if (ch->has_algorithm || ch->alg != SIP_DIGEST_MD5)
		g_string_append_printf(s, ", algorithm=%s", sip_digest_alg_name(ch->alg));
	if (cnonce && (ch->qop_auth || sess))
		append_quoted(s, "cnonce", cnonce);
	if (ch->opaque)
		append_quoted(s, "opaque", ch->opaque);
	if (ch->qop_auth)
		g_string_append_printf(s, ", qop=auth, nc=%s", nc_text);
	return g_string_free(s, FALSE);
}
