/* tests/unit/test_sip_auth_client.c: unit tests of mod_sip's client digest (auth_client.c):
 * the published example vectors of RFC 2617 §3.5 and RFC 7616 §3.9.1, the answer's header
 * value, choosing among several challenges (RFC 8760 §2.4), and stale=true. No network. */
#include "modules/sip/auth_client.h"

#include <string.h>

#define CRLF "\r\n"

static struct sip_msg *parse_ok(const char *s)
{
	struct sip_msg *msg = NULL;
	struct sip_err err = {0, NULL};

	g_assert_cmpint(sip_msg_parse(&msg, s, strlen(s), &err), ==, 0);
	return msg;
}

/* RFC 2617 §3.5: Mufasa, "Circle Of Life", GET /dir/index.html with qop=auth. */
static void test_rfc2617_md5_qop_auth(void)
{
	g_autofree char *r =
	    sip_digest_response(SIP_DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life",
	                        "GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
	                        "auth", "00000001", "0a4f113b");
	g_assert_cmpstr(r, ==, "6629fae49393a05397450978507c4ef1");
}

/* RFC 7616 §3.9.1: the same request answered with SHA-256 and with MD5. */
#define RFC7616_ARGS(alg)                                                                          \
	alg, "Mufasa", "http-auth@example.org", "Circle of Life", "GET", "/dir/index.html",        \
	    "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "auth", "00000001",                    \
	    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"

static void test_rfc7616_sha256(void)
{
	g_autofree char *sha = sip_digest_response(RFC7616_ARGS(SIP_DIGEST_SHA256));
	g_autofree char *md5 = sip_digest_response(RFC7616_ARGS(SIP_DIGEST_MD5));

	g_assert_cmpstr(sha, ==,
	                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	g_assert_cmpstr(md5, ==, "8ca523f5e9506fed4657c9700eebdbec");
}

/* Without qop (RFC 2069 compatibility, RFC 2617 §3.2.2.1) and the -sess HA1 of RFC 7616
 * §3.4.2, checked against GLib's own hashes. */
static char *gsum(GChecksumType t, const char *text)
{
	return g_compute_checksum_for_string(t, text, -1);
}

static void test_no_qop_and_sess(void)
{
	g_autofree char *ha1 = gsum(G_CHECKSUM_SHA256, "bob:pbx.test:secret");
	g_autofree char *ha2 = gsum(G_CHECKSUM_SHA256, "REGISTER:sip:pbx.test");
	g_autofree char *t1 = g_strdup_printf("%s:n1:%s", ha1, ha2);
	g_autofree char *want1 = gsum(G_CHECKSUM_SHA256, t1);
	g_autofree char *got1 =
	    sip_digest_response(SIP_DIGEST_SHA256, "bob", "pbx.test", "secret", "REGISTER",
	                        "sip:pbx.test", "n1", NULL, NULL, NULL);
	g_assert_cmpstr(got1, ==, want1);

	g_autofree char *m1 = gsum(G_CHECKSUM_MD5, "bob:pbx.test:secret");
	g_autofree char *s1 = g_strdup_printf("%s:n1:c1", m1);
	g_autofree char *sess = gsum(G_CHECKSUM_MD5, s1);
	g_autofree char *m2 = gsum(G_CHECKSUM_MD5, "REGISTER:sip:pbx.test");
	g_autofree char *t2 = g_strdup_printf("%s:n1:00000001:c1:auth:%s", sess, m2);
	g_autofree char *want2 = gsum(G_CHECKSUM_MD5, t2);
	g_autofree char *got2 =
	    sip_digest_response(SIP_DIGEST_MD5_SESS, "bob", "pbx.test", "secret", "REGISTER",
	                        "sip:pbx.test", "n1", "auth", "00000001", "c1");
	g_assert_cmpstr(got2, ==, want2);
}

/* The whole Authorization value for RFC 2617's example, from a parsed challenge. */
static void test_authorization_value(void)
{
	const char *text = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
	                   "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
	                   "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	struct sip_pl val = sip_pl_str(text);
	SipChallenge ch;
	g_autoptr(SipCredentials) cred = sip_credentials_new("Mufasa", "Circle Of Life", NULL);

	g_assert_cmpint(sip_challenge_parse(&ch, &val, false), ==, 0);
	g_assert_true(ch.qop_auth);
	g_assert_false(ch.has_algorithm);
	g_assert_cmpint(ch.alg, ==, SIP_DIGEST_MD5);
	g_autofree char *v =
	    sip_digest_authorization(&ch, cred, "GET", "/dir/index.html", "0a4f113b", 1);
	g_assert_cmpstr(v, ==,
	                "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
	                "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
	                "response=\"6629fae49393a05397450978507c4ef1\", cnonce=\"0a4f113b\", "
	                "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, nc=00000001");

	/* A random cnonce when none is given; quotes in a user name are escaped. */
	g_autoptr(SipCredentials) odd = sip_credentials_new("a\"b", "pw", NULL);
	g_autofree char *v2 = sip_digest_authorization(&ch, odd, "REGISTER", "sip:x", NULL, 2);
	g_assert_nonnull(strstr(v2, "username=\"a\\\"b\""));
	g_assert_nonnull(strstr(v2, "cnonce=\""));
	g_assert_nonnull(strstr(v2, "nc=00000002"));
	sip_challenge_clear(&ch);
}

#define CHALLENGES                                                                                 \
	"SIP/2.0 401 Unauthorized" CRLF "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1" CRLF     \
	"From: <sip:bob@pbx.test>;tag=1" CRLF "To: <sip:bob@pbx.test>;tag=2" CRLF                  \
	"Call-ID: c1" CRLF "CSeq: 1 REGISTER" CRLF                                                 \
	"WWW-Authenticate: Basic realm=\"pbx.test\"" CRLF                                          \
	"WWW-Authenticate: Digest realm=\"pbx.test\", nonce=\"n0\", algorithm=SHA-512-256" CRLF    \
	"WWW-Authenticate: Digest realm=\"pbx.test\", nonce=\"n1\", qop=\"auth-int\"" CRLF         \
	"WWW-Authenticate: Digest realm=\"other\", nonce=\"n2\", algorithm=SHA-256, "              \
	"qop=\"auth\"" CRLF                                                                        \
	"WWW-Authenticate: Digest realm=\"pbx.test\", nonce=\"n3\", algorithm=MD5, qop=auth" CRLF  \
	"Content-Length: 0" CRLF CRLF

/* RFC 8760 §2.4: several challenges, the first one we can answer wins; a configured realm
 * narrows the choice. */
static void test_pick(void)
{
	struct sip_msg *msg = parse_ok(CHALLENGES);
	g_autoptr(SipCredentials) any = sip_credentials_new("bob", "pw", NULL);
	g_autoptr(SipCredentials) mine = sip_credentials_new("bob", "pw", "pbx.test");
	g_autoptr(SipCredentials) none = sip_credentials_new("bob", "pw", "elsewhere");
	SipChallenge ch;

	g_assert_cmpint(sip_challenge_pick(msg, any, &ch), ==, 0);
	g_assert_cmpstr(ch.nonce, ==, "n2");
	g_assert_cmpint(ch.alg, ==, SIP_DIGEST_SHA256);
	g_assert_true(ch.qop_auth);
	g_assert_false(ch.proxy);
	sip_challenge_clear(&ch);

	g_assert_cmpint(sip_challenge_pick(msg, mine, &ch), ==, 0);
	g_assert_cmpstr(ch.nonce, ==, "n3");
	g_assert_cmpint(ch.alg, ==, SIP_DIGEST_MD5);
	g_autofree char *v =
	    sip_digest_authorization(&ch, mine, "REGISTER", "sip:pbx.test", "c", 1);
	g_assert_nonnull(strstr(v, "algorithm=MD5"));
	sip_challenge_clear(&ch);

	g_assert_cmpint(sip_challenge_pick(msg, none, &ch), ==, -ENOENT);
	sip_msg_free(msg);
}

/* A 407 is answered from Proxy-Authenticate, never from WWW-Authenticate. */
static void test_pick_proxy(void)
{
	struct sip_msg *msg =
	    parse_ok("SIP/2.0 407 Proxy Authentication Required" CRLF
	             "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1" CRLF
	             "From: <sip:a@b>;tag=1" CRLF "To: <sip:a@b>;tag=2" CRLF "Call-ID: c1" CRLF
	             "CSeq: 1 INVITE" CRLF "WWW-Authenticate: Digest realm=\"w\", nonce=\"nw\"" CRLF
	             "Proxy-Authenticate: Digest realm=\"p\", nonce=\"np\", algorithm=SHA-256" CRLF
	             "Content-Length: 0" CRLF CRLF);
	g_autoptr(SipCredentials) any = sip_credentials_new("a", "pw", NULL);
	SipChallenge ch;

	g_assert_cmpint(sip_challenge_pick(msg, any, &ch), ==, 0);
	g_assert_true(ch.proxy);
	g_assert_cmpstr(ch.realm, ==, "p");
	g_assert_false(ch.qop_auth);
	/* No qop: no cnonce, no nc in the answer; the named algorithm is echoed. */
	g_autofree char *v = sip_digest_authorization(&ch, any, "INVITE", "sip:x@b", NULL, 1);
	g_assert_null(strstr(v, "cnonce"));
	g_assert_null(strstr(v, "nc="));
	g_assert_nonnull(strstr(v, "algorithm=SHA-256"));
	sip_challenge_clear(&ch);
	sip_msg_free(msg);
}

/* stale=true (RFC 7616 §3.3) makes a repeated challenge of the same realm worth answering;
 * without it, a repeated challenge means wrong credentials and is not answered again. */
static void test_stale(void)
{
	struct sip_pl stale =
	    sip_pl_str("Digest realm=\"r\", nonce=\"x\", stale=TRUE, qop=\"auth\"");
	struct sip_pl fresh = sip_pl_str("Digest realm=\"r\", nonce=\"y\", stale=false");
	struct sip_pl plain = sip_pl_str("Digest realm=\"r\", nonce=\"z\"");
	SipChallenge a, b, c;

	g_assert_cmpint(sip_challenge_parse(&a, &stale, false), ==, 0);
	g_assert_cmpint(sip_challenge_parse(&b, &fresh, false), ==, 0);
	g_assert_cmpint(sip_challenge_parse(&c, &plain, false), ==, 0);
	g_assert_true(a.stale);
	g_assert_false(b.stale);
	g_assert_false(c.stale);
	g_assert_true(sip_challenge_worth_answering(&a, true));
	g_assert_false(sip_challenge_worth_answering(&b, true));
	g_assert_false(sip_challenge_worth_answering(&c, true));
	g_assert_true(sip_challenge_worth_answering(&c, false));
	sip_challenge_clear(&a);
	sip_challenge_clear(&b);
	sip_challenge_clear(&c);
}

/* What is refused: other schemes, unknown algorithms, auth-int alone, no nonce. */
static void test_refused(void)
{
	const char *bad[][2] = {
	    {"Basic realm=\"r\"", "notsup"},
	    {"Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256", "notsup"},
	    {"Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"", "notsup"},
	    {"Digest realm=\"r\"", "bad"},
	    {"Digest realm=\"r\", nonce=\"n\", opaque=\"unterminated", "bad"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct sip_pl v = sip_pl_str(bad[i][0]);
		SipChallenge ch;
		int rc = sip_challenge_parse(&ch, &v, false);
		g_assert_cmpint(rc, ==, strcmp(bad[i][1], "bad") == 0 ? -EBADMSG : -ENOTSUP);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip/auth_client/rfc2617-md5-qop-auth", test_rfc2617_md5_qop_auth);
	g_test_add_func("/sip/auth_client/rfc7616-sha256", test_rfc7616_sha256);
	g_test_add_func("/sip/auth_client/no-qop-and-sess", test_no_qop_and_sess);
	g_test_add_func("/sip/auth_client/authorization-value", test_authorization_value);
	g_test_add_func("/sip/auth_client/pick-first-supported", test_pick);
	g_test_add_func("/sip/auth_client/pick-proxy", test_pick_proxy);
	g_test_add_func("/sip/auth_client/stale", test_stale);
	g_test_add_func("/sip/auth_client/refused", test_refused);
	return g_test_run();
}
