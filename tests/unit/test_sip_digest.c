/* tests/unit/test_sip_digest.c: unit tests of the shared digest computation, challenges and
 * answers (lib/sip/digest.c): the published example vectors of RFC 2617 §3.5 and RFC 7616
 * §3.9.1, the answer's header value, choosing among several challenges (RFC 8760 §2.4), and
 * stale=true. No network. */
#include <crossbar/sipdigest.h>
#include "test_util.h"

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
	const SipDigestInput in = {
	    .alg = SIP_DIGEST_MD5,
	    .username = "Mufasa",
	    .realm = "testrealm@host.com",
	    .password = "Circle Of Life",
	    .method = "GET",
	    .uri = "/dir/index.html",
	    .nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
	    .qop = "auth",
	    .nc = "00000001",
	    .cnonce = "0a4f113b",
	};
	g_autofree char *r = sip_digest_response(&in);
	g_assert_cmpstr(r, ==, "6629fae49393a05397450978507c4ef1");
}

/* RFC 7616 §3.9.1: the same request answered with SHA-256 and with MD5. */
static const SipDigestInput rfc7616 = {
    .username = "Mufasa",
    .realm = "http-auth@example.org",
    .password = "Circle of Life",
    .method = "GET",
    .uri = "/dir/index.html",
    .nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    .qop = "auth",
    .nc = "00000001",
    .cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
};

static char *rfc7616_response(SipDigestAlg alg)
{
	SipDigestInput in = rfc7616;

	in.alg = alg;
	return sip_digest_response(&in);
}

static void test_rfc7616_sha256(void)
{
	g_autofree char *sha = rfc7616_response(SIP_DIGEST_SHA256);
	g_autofree char *md5 = rfc7616_response(SIP_DIGEST_MD5);

	g_assert_cmpstr(sha, ==,
	                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	g_assert_cmpstr(md5, ==, "8ca523f5e9506fed4657c9700eebdbec");
}

/* RFC 7616 §3.9.1 as a server computes it: from the stored H(A1) rather than the password,
 * and checked against the client's response (a wrong, truncated, longer or upper-case
 * response is refused: RFC 7616 §3.4.1 writes it in lower-case hex). */
static void test_rfc7616_from_ha1_checked(void)
{
	static const struct {
		SipDigestAlg alg;
		GChecksumType sum;
		const char *response;
	} vec[] = {
	    {SIP_DIGEST_MD5, G_CHECKSUM_MD5, "8ca523f5e9506fed4657c9700eebdbec"},
	    {SIP_DIGEST_SHA256, G_CHECKSUM_SHA256,
	     "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(vec); i++) {
		g_autofree char *ha1 =
		    sip_digest_ha1(vec[i].alg, "Mufasa", "http-auth@example.org", "Circle of Life");
		g_autofree char *want_ha1 = g_compute_checksum_for_string(
		    vec[i].sum, "Mufasa:http-auth@example.org:Circle of Life", -1);
		g_assert_cmpstr(ha1, ==, want_ha1);

		SipDigestInput in = rfc7616;
		in.alg = vec[i].alg;
		in.password = "not read when ha1 is given";
		in.ha1 = ha1;
		g_autofree char *r = sip_digest_response(&in);
		g_assert_cmpstr(r, ==, vec[i].response);
		g_assert_true(sip_digest_response_check(&in, vec[i].response));

		g_autofree char *wrong = g_strdup(vec[i].response);
		wrong[5] = wrong[5] == '0' ? '1' : '0';
		g_autofree char *upper = g_ascii_strup(vec[i].response, -1);
		g_autofree char *longer = g_strconcat(vec[i].response, "0", NULL);
		g_autofree char *shorter = g_strndup(vec[i].response, strlen(vec[i].response) - 1);
		g_assert_false(sip_digest_response_check(&in, wrong));
		g_assert_false(sip_digest_response_check(&in, upper));
		g_assert_false(sip_digest_response_check(&in, longer));
		g_assert_false(sip_digest_response_check(&in, shorter));
		g_assert_false(sip_digest_response_check(&in, ""));
	}
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
	const SipDigestInput in1 = {
	    .alg = SIP_DIGEST_SHA256,
	    .username = "bob",
	    .realm = "pbx.test",
	    .password = "secret",
	    .method = "REGISTER",
	    .uri = "sip:pbx.test",
	    .nonce = "n1",
	};
	g_autofree char *got1 = sip_digest_response(&in1);
	g_assert_cmpstr(got1, ==, want1);

	g_autofree char *m1 = gsum(G_CHECKSUM_MD5, "bob:pbx.test:secret");
	g_autofree char *s1 = g_strdup_printf("%s:n1:c1", m1);
	g_autofree char *sess = gsum(G_CHECKSUM_MD5, s1);
	g_autofree char *m2 = gsum(G_CHECKSUM_MD5, "REGISTER:sip:pbx.test");
	g_autofree char *t2 = g_strdup_printf("%s:n1:00000001:c1:auth:%s", sess, m2);
	g_autofree char *want2 = gsum(G_CHECKSUM_MD5, t2);
	const SipDigestInput in2 = {
	    .alg = SIP_DIGEST_MD5_SESS,
	    .username = "bob",
	    .realm = "pbx.test",
	    .password = "secret",
	    .method = "REGISTER",
	    .uri = "sip:pbx.test",
	    .nonce = "n1",
	    .qop = "auth",
	    .nc = "00000001",
	    .cnonce = "c1",
	};
	g_autofree char *got2 = sip_digest_response(&in2);
	g_assert_cmpstr(got2, ==, want2);

	/* The -sess form from a stored H(A1) is the same. */
	SipDigestInput in3 = in2;
	g_autofree char *m1_copy = g_strdup(m1);
	in3.password = NULL;
	in3.ha1 = m1_copy;
	g_autofree char *got3 = sip_digest_response(&in3);
	g_assert_cmpstr(got3, ==, want2);
}

/* The whole Authorization value for RFC 2617's example, from a parsed challenge. */
static void test_authorization_value(void)
{
	const char *text = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
	                   "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
	                   "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	struct sip_pl val = sip_pl_str(text);
	SipDigestChallenge ch;
	const SipDigestAnswer ans = {
	    .username = "Mufasa",
	    .password = "Circle Of Life",
	    .method = "GET",
	    .uri = "/dir/index.html",
	    .cnonce = "0a4f113b",
	    .nc = 1,
	};

	g_assert_cmpint(sip_digest_challenge_parse(&ch, &val, SIP_DIGEST_WWW), ==, 0);
	g_assert_cmpint(ch.kind, ==, SIP_DIGEST_WWW);
	g_assert_true(ch.qop_auth);
	g_assert_false(ch.has_algorithm);
	g_assert_cmpint(ch.alg, ==, SIP_DIGEST_MD5);
	g_autofree char *v = sip_digest_authorization(&ch, &ans);
	g_assert_cmpstr(v, ==,
	                "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
	                "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
	                "response=\"6629fae49393a05397450978507c4ef1\", cnonce=\"0a4f113b\", "
	                "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, nc=00000001");

	/* A random cnonce when none is given; quotes in a user name are escaped. */
	const SipDigestAnswer odd = {
	    .username = "a\"b",
	    .password = "pw",
	    .method = "REGISTER",
	    .uri = "sip:x",
	    .nc = 2,
	};
	g_autofree char *v2 = sip_digest_authorization(&ch, &odd);
	g_assert_nonnull(strstr(v2, "username=\"a\\\"b\""));
	g_assert_nonnull(strstr(v2, "cnonce=\""));
	g_assert_nonnull(strstr(v2, "nc=00000002"));
	sip_digest_challenge_clear(&ch);
}

/* A challenge as a server writes it (RFC 7616 §3.3, RFC 3261 §22.2 and §22.3): the exact
 * WWW-Authenticate line, a Proxy-Authenticate line with every parameter, quoted strings
 * escaped, and what is written reads back the same. */
static void test_challenge_print(void)
{
	SipDigestChallenge www = {
	    .alg = SIP_DIGEST_MD5,
	    .kind = SIP_DIGEST_WWW,
	    .qop_auth = true,
	    .has_algorithm = true,
	    .realm = (char *)"pbx.test",
	    .nonce = (char *)"abc.def",
	};
	g_autoptr(GString) out = g_string_new(NULL);

	sip_digest_challenge_print(&www, out);
	g_assert_cmpstr(out->str, ==,
	                "WWW-Authenticate: Digest realm=\"pbx.test\", nonce=\"abc.def\", "
	                "algorithm=MD5, qop=\"auth\"\r\n");

	SipDigestChallenge proxy = {
	    .alg = SIP_DIGEST_SHA256_SESS,
	    .kind = SIP_DIGEST_PROXY,
	    .qop_auth = true,
	    .stale = true,
	    .has_algorithm = true,
	    .realm = (char *)"a \"quoted\" \\ realm",
	    .nonce = (char *)"n",
	    .opaque = (char *)"op",
	};
	g_string_truncate(out, 0);
	sip_digest_challenge_print(&proxy, out);
	g_assert_true(
	    g_str_has_prefix(out->str, "Proxy-Authenticate: Digest realm=\"a \\\"quoted"));
	g_assert_true(g_str_has_suffix(out->str, ", stale=true\r\n"));

	struct sip_pl val = {out->str + strlen("Proxy-Authenticate: "),
	                     out->len - strlen("Proxy-Authenticate: ") - 2};
	SipDigestChallenge back;
	g_assert_cmpint(sip_digest_challenge_parse(&back, &val, SIP_DIGEST_PROXY), ==, 0);
	g_assert_cmpint(back.alg, ==, SIP_DIGEST_SHA256_SESS);
	g_assert_cmpint(back.kind, ==, SIP_DIGEST_PROXY);
	g_assert_true(back.qop_auth);
	g_assert_true(back.stale);
	g_assert_true(back.has_algorithm);
	g_assert_cmpstr(back.realm, ==, proxy.realm);
	g_assert_cmpstr(back.nonce, ==, "n");
	g_assert_cmpstr(back.opaque, ==, "op");
	sip_digest_challenge_clear(&back);

	/* MD5 without qop and without a named algorithm: RFC 2069's bare form. */
	SipDigestChallenge bare = {.alg = SIP_DIGEST_MD5,
	                           .kind = SIP_DIGEST_WWW,
	                           .realm = (char *)"r",
	                           .nonce = (char *)"n"};
	g_string_truncate(out, 0);
	sip_digest_challenge_print(&bare, out);
	g_assert_cmpstr(out->str, ==, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n");
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
	const SipDigestAnswer mine = {
	    .username = "bob",
	    .password = "pw",
	    .method = "REGISTER",
	    .uri = "sip:pbx.test",
	    .cnonce = "c",
	    .nc = 1,
	};
	SipDigestChallenge ch;

	g_assert_cmpint(sip_digest_challenge_pick(msg, NULL, &ch), ==, 0);
	g_assert_cmpstr(ch.nonce, ==, "n2");
	g_assert_cmpint(ch.alg, ==, SIP_DIGEST_SHA256);
	g_assert_true(ch.qop_auth);
	g_assert_cmpint(ch.kind, ==, SIP_DIGEST_WWW);
	sip_digest_challenge_clear(&ch);
	g_assert_cmpint(sip_digest_challenge_pick(msg, "", &ch), ==, 0);
	g_assert_cmpstr(ch.nonce, ==, "n2");
	sip_digest_challenge_clear(&ch);

	g_assert_cmpint(sip_digest_challenge_pick(msg, "pbx.test", &ch), ==, 0);
	g_assert_cmpstr(ch.nonce, ==, "n3");
	g_assert_cmpint(ch.alg, ==, SIP_DIGEST_MD5);
	g_autofree char *v = sip_digest_authorization(&ch, &mine);
	g_assert_nonnull(strstr(v, "algorithm=MD5"));
	sip_digest_challenge_clear(&ch);

	g_assert_cmpint(sip_digest_challenge_pick(msg, "elsewhere", &ch), ==, -ENOENT);
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
	const SipDigestAnswer any = {
	    .username = "a",
	    .password = "pw",
	    .method = "INVITE",
	    .uri = "sip:x@b",
	    .nc = 1,
	};
	SipDigestChallenge ch;

	g_assert_cmpint(sip_digest_challenge_pick(msg, NULL, &ch), ==, 0);
	g_assert_cmpint(ch.kind, ==, SIP_DIGEST_PROXY);
	g_assert_cmpstr(ch.realm, ==, "p");
	g_assert_false(ch.qop_auth);
	/* No qop: no cnonce, no nc in the answer; the named algorithm is echoed. */
	g_autofree char *v = sip_digest_authorization(&ch, &any);
	g_assert_null(strstr(v, "cnonce"));
	g_assert_null(strstr(v, "nc="));
	g_assert_nonnull(strstr(v, "algorithm=SHA-256"));
	sip_digest_challenge_clear(&ch);
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
	SipDigestChallenge a, b, c;

	g_assert_cmpint(sip_digest_challenge_parse(&a, &stale, SIP_DIGEST_WWW), ==, 0);
	g_assert_cmpint(sip_digest_challenge_parse(&b, &fresh, SIP_DIGEST_WWW), ==, 0);
	g_assert_cmpint(sip_digest_challenge_parse(&c, &plain, SIP_DIGEST_WWW), ==, 0);
	g_assert_true(a.stale);
	g_assert_false(b.stale);
	g_assert_false(c.stale);
	g_assert_true(sip_digest_challenge_worth_answering(&a, true));
	g_assert_false(sip_digest_challenge_worth_answering(&b, true));
	g_assert_false(sip_digest_challenge_worth_answering(&c, true));
	g_assert_true(sip_digest_challenge_worth_answering(&c, false));
	sip_digest_challenge_clear(&a);
	sip_digest_challenge_clear(&b);
	sip_digest_challenge_clear(&c);
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
		SipDigestChallenge ch;
		int rc = sip_digest_challenge_parse(&ch, &v, SIP_DIGEST_WWW);
		g_assert_cmpint(rc, ==, strcmp(bad[i][1], "bad") == 0 ? -EBADMSG : -ENOTSUP);
	}
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/sip/digest/rfc2617-md5-qop-auth", test_rfc2617_md5_qop_auth);
	g_test_add_func("/sip/digest/rfc7616-3.9.1-sha256-and-md5", test_rfc7616_sha256);
	g_test_add_func("/sip/digest/rfc7616-3.9.1-from-ha1-checked",
	                test_rfc7616_from_ha1_checked);
	g_test_add_func("/sip/digest/no-qop-and-sess", test_no_qop_and_sess);
	g_test_add_func("/sip/digest/authorization-value", test_authorization_value);
	g_test_add_func("/sip/digest/challenge-print-rfc7616-3.3", test_challenge_print);
	g_test_add_func("/sip/digest/pick-first-supported-rfc8760-2.4", test_pick);
	g_test_add_func("/sip/digest/pick-proxy", test_pick_proxy);
	g_test_add_func("/sip/digest/stale-rfc7616-3.3", test_stale);
	g_test_add_func("/sip/digest/refused", test_refused);
	return g_test_run();
}
