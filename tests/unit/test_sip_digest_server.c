/* test_sip_digest_server.c: the digest server (lib/sip/digest_server.c; RFC 7616, RFC 8760)
 * on its own: a SHA-256 and an MD5 answer accepted, a wrong one refused, an unknown user
 * refused alike, the nonce count replay refused, a foreign or old nonce reported stale,
 * challenges in the configured order, which failures may count towards a ban (only those on
 * a fresh nonce sent to the same address), a full nonce table that refuses new nonces as
 * stale rather than forget a count, 407 challenges answered in Proxy-Authorization (RFC
 * 3261 §22.3) through the client side, and the whole authentication with the core's shared
 * failure limiter. No peer here speaks SHA-256 digest (SIPp 3.6 and baresip 1.0 do MD5
 * only), so SHA-256 is proven at this level. */
#include <crossbar/authlimit.h>
#include <crossbar/sipdigest.h>
#include "test_util.h"

#include <openssl/evp.h>
#include <string.h>

static const SipDigestServerConfig cfg = {
    .nonce_ttl_s = 300,
    .md5_first = FALSE,
    .offer_md5 = TRUE,
    .offer_sha256 = TRUE,
};

static char *hex(const EVP_MD *md, const char *text)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	GString *s = g_string_new(NULL);

	EVP_Digest(text, strlen(text), out, &len, md, NULL);
	for (unsigned int i = 0; i < len; i++)
		g_string_append_printf(s, "%02x", out[i]);
	return g_string_free(s, FALSE);
}

/* The directory of this test: one user, 2000, password "secret", realm "pbx.test". */
static char *ha1_of(const char *user, SipDigestAlg alg, void *user_data)
{
	g_assert_true(alg == SIP_DIGEST_MD5 || alg == SIP_DIGEST_SHA256);
	if (strcmp(user, "2000") != 0)
		return NULL;
	return hex(alg == SIP_DIGEST_SHA256 ? EVP_sha256() : EVP_md5(), "2000:pbx.test:secret");
}

static char *nonce_of(const char *challenge, const char *alg)
{
	g_autofree char *needle = g_strdup_printf("algorithm=%s", alg);
	const char *line = strstr(challenge, needle);
	g_assert_nonnull(line);
	while (line > challenge && strncmp(line, "nonce=\"", 7) != 0)
		line--;
	const char *end = strchr(line + 7, '"');
	return g_strndup(line + 7, end - line - 7);
}

/* A REGISTER with an Authorization computed as a client would. */
static struct sip_msg *signed_register(const char *user, const char *password, const char *alg,
                                       const char *nonce, const char *nc)
{
	const EVP_MD *md = strcmp(alg, "SHA-256") == 0 ? EVP_sha256() : EVP_md5();
	g_autofree char *a1 = g_strdup_printf("%s:pbx.test:%s", user, password);
	g_autofree char *ha1 = hex(md, a1);
	g_autofree char *ha2 = hex(md, "REGISTER:sip:pbx.test");
	g_autofree char *kd = g_strdup_printf("%s:%s:%s:0a4f113b:auth:%s", ha1, nonce, nc, ha2);
	g_autofree char *resp = hex(md, kd);
	g_autofree char *text = g_strdup_printf(
	    "REGISTER sip:pbx.test SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK%u\r\n"
	    "From: <sip:%s@pbx.test>;tag=1\r\nTo: <sip:%s@pbx.test>\r\n"
	    "Call-ID: auth-test\r\nCSeq: 2 REGISTER\r\nMax-Forwards: 70\r\n"
	    "Authorization: Digest username=\"%s\", realm=\"pbx.test\", nonce=\"%s\", "
	    "uri=\"sip:pbx.test\", response=\"%s\", algorithm=%s, qop=auth, nc=%s, "
	    "cnonce=\"0a4f113b\"\r\nContent-Length: 0\r\n\r\n",
	    g_random_int(), user, user, user, nonce, resp, alg, nc);
	struct sip_msg *msg = NULL;
	struct sip_err err;

	g_assert_cmpint(sip_msg_parse(&msg, text, strlen(text), &err), ==, 0);
	return msg;
}

#define CLIENT "192.0.2.1" /* the address every request comes from unless said otherwise */

static SipPeer *peer_at(const char *source)
{
	SipPeer *peer = sip_peer_new_from_host(XB_TRANSPORT_UDP, source, 5060);

	g_assert_nonnull(peer);
	return peer;
}

/* A new challenge of kind for the client at source. */
static char *challenge_kind(SipDigestServer *a, SipDigestKind kind, const char *source, bool stale)
{
	g_autoptr(SipPeer) peer = peer_at(source);
	const SipDigestRequest r = {.peer = peer, .kind = kind, .realm = "pbx.test"};

	return sip_digest_server_challenge(a, &r, stale);
}

static char *challenge_to(SipDigestServer *a, const char *source, bool stale)
{
	return challenge_kind(a, SIP_DIGEST_WWW, source, stale);
}

static char *challenge(SipDigestServer *a, bool stale)
{
	return challenge_to(a, CLIENT, stale);
}

/* The verdict on msg's credentials of kind from source; msg is freed. */
static SipDigestVerdict verify(SipDigestServer *a, SipDigestKind kind, const char *source,
                               struct sip_msg *msg, char **user)
{
	g_autoptr(SipPeer) peer = peer_at(source);
	const SipDigestRequest r = {
	    .msg = msg,
	    .peer = peer,
	    .kind = kind,
	    .realm = "pbx.test",
	    .ha1_of = ha1_of,
	};
	SipDigestVerdict v = sip_digest_server_check(a, &r, user);

	sip_msg_free(msg);
	return v;
}

static SipDigestVerdict check_from(SipDigestServer *a, const char *source, struct sip_msg *msg,
                                   char **user)
{
	return verify(a, SIP_DIGEST_WWW, source, msg, user);
}

static SipDigestVerdict check(SipDigestServer *a, struct sip_msg *msg, char **user)
{
	return check_from(a, CLIENT, msg, user);
}

/* An INVITE from 2000 to 3000 carrying `header: value`. */
static struct sip_msg *invite_with(const char *header, const char *value)
{
	g_autofree char *text =
	    g_strdup_printf("INVITE sip:3000@pbx.test SIP/2.0\r\n"
	                    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%u\r\n"
	                    "From: <sip:2000@pbx.test>;tag=1\r\nTo: <sip:3000@pbx.test>\r\n"
	                    "Call-ID: proxy-auth-test\r\nCSeq: 2 INVITE\r\nMax-Forwards: 70\r\n"
	                    "Contact: <sip:2000@192.0.2.1:5060>\r\n"
	                    "%s: %s\r\nContent-Length: 0\r\n\r\n",
	                    g_random_int(), header, value);
	struct sip_msg *msg = NULL;
	struct sip_err err;

	g_assert_cmpint(sip_msg_parse(&msg, text, strlen(text), &err), ==, 0);
	return msg;
}

/* The 407 a B2BUA sends with the challenge lines, read back as the client reads it. */
static struct sip_msg *response_407(const char *challenge_lines)
{
	g_autofree char *text = g_strdup_printf(
	    "SIP/2.0 407 Proxy Authentication Required\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
	    "From: <sip:2000@pbx.test>;tag=1\r\nTo: <sip:3000@pbx.test>;tag=2\r\n"
	    "Call-ID: proxy-auth-test\r\nCSeq: 1 INVITE\r\n%sContent-Length: 0\r\n\r\n",
	    challenge_lines);
	struct sip_msg *msg = NULL;
	struct sip_err err;

	g_assert_cmpint(sip_msg_parse(&msg, text, strlen(text), &err), ==, 0);
	return msg;
}

/* The client side's answer (lib/sip/digest.c) to the first challenge of a 407 carrying
 * challenge_lines; *ch is filled. */
static char *answer_407(const char *challenge_lines, const char *password, guint32 nc,
                        SipDigestChallenge *ch)
{
	struct sip_msg *resp = response_407(challenge_lines);
	const SipDigestAnswer ans = {
	    .username = "2000",
	    .password = password,
	    .method = "INVITE",
	    .uri = "sip:3000@pbx.test",
	    .nc = nc,
	};

	g_assert_cmpint(sip_digest_challenge_pick(resp, "pbx.test", ch), ==, 0);
	sip_msg_free(resp);
	return sip_digest_authorization(ch, &ans);
}

/* sip_digest_server_authenticate on msg from source, as a module calls it; msg is freed. */
static guint authenticate(SipDigestServer *a, SipDigestKind kind, const char *source,
                          struct sip_msg *msg, SipDigestOutcome *out)
{
	g_autoptr(SipPeer) peer = peer_at(source);
	const SipDigestRequest r = {
	    .msg = msg,
	    .peer = peer,
	    .kind = kind,
	    .realm = "pbx.test",
	    .ha1_of = ha1_of,
	};
	guint status = sip_digest_server_authenticate(a, &r, "digest-test", out);

	sip_msg_free(msg);
	return status;
}

static void test_sha256_and_md5_rfc8760(void)
{
	SipDigestServer *a = sip_digest_server_new(&cfg);
	g_autofree char *ch = challenge(a, FALSE);
	g_autofree char *user = NULL, *user2 = NULL;

	/* RFC 8760 §2.4: both offered, the preferred (SHA-256 here) first. */
	g_assert_true(strstr(ch, "SHA-256") < strstr(ch, "algorithm=MD5"));
	g_autofree char *n1 = nonce_of(ch, "SHA-256");
	g_assert_cmpint(
	    check(a, signed_register("2000", "secret", "SHA-256", n1, "00000001"), &user), ==,
	    SIP_DIGEST_OK);
	g_assert_cmpstr(user, ==, "2000");
	g_autofree char *ch2 = challenge(a, FALSE);
	g_autofree char *n2 = nonce_of(ch2, "MD5");
	g_assert_cmpint(check(a, signed_register("2000", "secret", "MD5", n2, "00000001"), &user2),
	                ==, SIP_DIGEST_OK);
	sip_digest_server_free(a);
}

static void test_wrong_and_unknown_alike_rfc3261_22_4(void)
{
	SipDigestServer *a = sip_digest_server_new(&cfg);
	g_autofree char *ch = challenge(a, FALSE);
	g_autofree char *n = nonce_of(ch, "SHA-256");
	char *user = NULL;

	g_assert_cmpint(check(a, signed_register("2000", "wrong", "SHA-256", n, "00000001"), &user),
	                ==, SIP_DIGEST_FAILED);
	g_assert_cmpint(
	    check(a, signed_register("9999", "secret", "SHA-256", n, "00000001"), &user), ==,
	    SIP_DIGEST_FAILED);
	g_assert_null(user);
	sip_digest_server_free(a);
}

static void test_nonce_count_replay_rfc7616_3_4_5(void)
{
	SipDigestServer *a = sip_digest_server_new(&cfg);
	g_autofree char *ch = challenge(a, FALSE);
	g_autofree char *n = nonce_of(ch, "MD5");
	g_autofree char *u1 = NULL, *u2 = NULL;
	char *u3 = NULL;

	g_assert_cmpint(check(a, signed_register("2000", "secret", "MD5", n, "00000001"), &u1), ==,
	                SIP_DIGEST_OK);
	g_assert_cmpint(check(a, signed_register("2000", "secret", "MD5", n, "00000002"), &u2), ==,
	                SIP_DIGEST_OK);
	g_assert_cmpint(check(a, signed_register("2000", "secret", "MD5", n, "00000002"), &u3), ==,
	                SIP_DIGEST_REPLAYED);
	g_assert_cmpint(check(a, signed_register("2000", "secret", "MD5", n, "00000001"), &u3), ==,
	                SIP_DIGEST_REPLAYED);
	sip_digest_server_free(a);
}

static void test_foreign_nonce_is_stale(void)
{
	SipDigestServer *a = sip_digest_server_new(&cfg), *b = sip_digest_server_new(&cfg);
	g_autofree char *ch = challenge(b, TRUE);
	g_autofree char *n = nonce_of(ch, "MD5");
	char *user = NULL;

	g_assert_nonnull(strstr(ch, "stale=true"));
	/* A nonce of another run (another secret) with the right password: stale, not failed. */
	g_assert_cmpint(check(a, signed_register("2000", "secret", "MD5", n, "00000001"), &user),
	                ==, SIP_DIGEST_STALE);
	/* A made-up nonce with the right password: stale as well. */
	g_assert_cmpint(
	    check(a, signed_register("2000", "secret", "MD5", "abc.def.ghi", "00000001"), &user),
	    ==, SIP_DIGEST_STALE);
	sip_digest_server_free(a);
	sip_digest_server_free(b);
}

static void test_order_and_md5_only(void)
{
	SipDigestServerConfig c = cfg;
	c.md5_first = TRUE;
	SipDigestServer *a = sip_digest_server_new(&c);
	g_autofree char *ch = challenge(a, FALSE);
	g_assert_true(strstr(ch, "algorithm=MD5") < strstr(ch, "SHA-256"));
	c.offer_sha256 = FALSE;
	sip_digest_server_configure(a, &c);
	g_autofree char *ch2 = challenge(a, FALSE);
	g_assert_null(strstr(ch2, "SHA-256"));
	/* SHA-256 answers are refused when SHA-256 is not offered. */
	g_autofree char *n = nonce_of(ch2, "MD5");
	char *user = NULL;
	g_assert_cmpint(
	    check(a, signed_register("2000", "secret", "SHA-256", n, "00000001"), &user), ==,
	    SIP_DIGEST_FAILED);
	sip_digest_server_free(a);
}

/* A wrong answer counts towards a ban only on a nonce that we sent to this address and that
 * is fresh; a made-up, foreign-run or other address's nonce is what a forged source sends. */
static void test_only_genuine_nonces_count(void)
{
	SipDigestServer *a = sip_digest_server_new(&cfg), *b = sip_digest_server_new(&cfg);
	g_autofree char *ch = challenge(a, FALSE);
	g_autofree char *n = nonce_of(ch, "MD5");
	g_autofree char *chb = challenge(b, FALSE);
	g_autofree char *foreign = nonce_of(chb, "MD5");
	g_autofree char *cho = challenge_to(a, "192.0.2.99", FALSE);
	g_autofree char *other = nonce_of(cho, "MD5");
	char *user = NULL;

	g_assert_cmpint(check(a, signed_register("2000", "wrong", "MD5", "x", "00000001"), &user),
	                ==, SIP_DIGEST_UNTRUSTED);
	g_assert_cmpint(
	    check(a, signed_register("2000", "wrong", "MD5", foreign, "00000001"), &user), ==,
	    SIP_DIGEST_UNTRUSTED);
	g_assert_cmpint(check(a, signed_register("2000", "wrong", "MD5", other, "00000001"), &user),
	                ==, SIP_DIGEST_UNTRUSTED);
	g_assert_cmpint(check(a, signed_register("2000", "wrong", "MD4", "x", "00000001"), &user),
	                ==, SIP_DIGEST_UNTRUSTED);
	/* The genuine nonce, from its own address: a real guess. */
	g_assert_cmpint(check(a, signed_register("2000", "wrong", "MD5", n, "00000001"), &user), ==,
	                SIP_DIGEST_FAILED);
	g_assert_cmpint(check(a, signed_register("2000", "wrong", "MD4", n, "00000001"), &user), ==,
	                SIP_DIGEST_FAILED);
	g_assert_null(user);
	sip_digest_server_free(a);
	sip_digest_server_free(b);
}

/* The nonce's MAC binds the address it was sent to: from elsewhere, even the right password
 * only gets a new challenge (stale=true), so a captured Authorization is useless there. */
static void test_nonce_bound_to_address(void)
{
	SipDigestServer *a = sip_digest_server_new(&cfg);
	g_autofree char *ch = challenge(a, FALSE);
	g_autofree char *n = nonce_of(ch, "SHA-256");
	g_autofree char *user = NULL;

	g_assert_cmpint(check_from(a, "192.0.2.2",
	                           signed_register("2000", "secret", "SHA-256", n, "00000001"),
	                           &user),
	                ==, SIP_DIGEST_STALE);
	g_assert_null(user);
	g_assert_cmpint(
	    check(a, signed_register("2000", "secret", "SHA-256", n, "00000001"), &user), ==,
	    SIP_DIGEST_OK);
	sip_digest_server_free(a);
}

/* An expired nonce of ours: the right password is stale, a wrong one is not counted. */
static void test_expired_nonce_not_counted(void)
{
	SipDigestServerConfig c = cfg;
	c.nonce_ttl_s = 1;
	SipDigestServer *a = sip_digest_server_new(&c);
	g_autofree char *ch = challenge(a, FALSE);
	g_autofree char *n = nonce_of(ch, "MD5");
	char *user = NULL;

	g_usleep(2100 * 1000);
	g_assert_cmpint(check(a, signed_register("2000", "wrong", "MD5", n, "00000001"), &user), ==,
	                SIP_DIGEST_UNTRUSTED);
	g_assert_cmpint(check(a, signed_register("2000", "secret", "MD5", n, "00000001"), &user),
	                ==, SIP_DIGEST_STALE);
	sip_digest_server_free(a);
}

/* RFC 7616 §3.4.5: counts are kept for the latest nonces, in a ring. Any number of
 * registrations, each on a nonce of its own, is served; a nonce whose slot a newer one took
 * is stale (never replayable: its count is not forgotten while it could still be used). */
static void test_nonce_ring_rfc7616_3_4_5(void)
{
	SipDigestServerConfig c = cfg;
	c.nonce_slots = 1000; /* rounded up to 1024 */
	SipDigestServer *a = sip_digest_server_new(&c);
	g_autofree char *first = NULL;

	g_assert_cmpuint(sip_digest_server_nonce_slots(a), ==, 1024);
	SipDigestServer *dflt =
	    sip_digest_server_new(&cfg); /* no nonce_slots given: the fixed default */
	g_assert_cmpuint(sip_digest_server_nonce_slots(dflt), ==, SIP_DIGEST_NONCE_SLOTS);
	sip_digest_server_free(dflt);
	SipDigestServerConfig huge =
	    cfg; /* a count beyond the cap (2^31 would overflow the shift) */
	huge.nonce_slots = 0x80000001u;
	SipDigestServer *capped = sip_digest_server_new(&huge);
	g_assert_cmpuint(sip_digest_server_nonce_slots(capped), ==, SIP_DIGEST_NONCE_SLOTS_MAX);
	sip_digest_server_free(capped);
	for (guint i = 0; i < 5000; i++) {
		g_autofree char *ch = challenge(a, FALSE);
		g_autofree char *n = nonce_of(ch, "MD5");
		g_autofree char *user = NULL;
		g_assert_cmpint(
		    check(a, signed_register("2000", "secret", "MD5", n, "00000001"), &user), ==,
		    SIP_DIGEST_OK);
		if (i == 4500)
			first = g_steal_pointer(&n);
	}
	char *user = NULL;
	/* Within the last 1024 nonces: a captured Authorization sent again is a replay, and
	 * its client goes on counting up. */
	g_assert_cmpint(
	    check(a, signed_register("2000", "secret", "MD5", first, "00000001"), &user), ==,
	    SIP_DIGEST_REPLAYED);
	g_assert_null(user);
	g_autofree char *u2 = NULL;
	g_assert_cmpint(check(a, signed_register("2000", "secret", "MD5", first, "00000002"), &u2),
	                ==, SIP_DIGEST_OK);
	/* 1024 nonces later its slot is another's: stale, for the right password too. */
	for (guint i = 0; i < 1024; i++)
		g_free(challenge(a, FALSE));
	g_assert_cmpint(
	    check(a, signed_register("2000", "secret", "MD5", first, "00000003"), &user), ==,
	    SIP_DIGEST_STALE);
	g_assert_cmpint(
	    check(a, signed_register("2000", "secret", "MD5", first, "00000001"), &user), ==,
	    SIP_DIGEST_STALE);
	g_assert_null(user);
	sip_digest_server_free(a);
}

/* RFC 3261 §22.3: a 407 with Proxy-Authenticate lines only, read by the client side,
 * answered in Proxy-Authorization and verified, with the nonce counting on across uses; the
 * same answer in Authorization is not read for a 407, nor Proxy-Authorization for a 401. */
static void test_proxy_round_trip_22_3(void)
{
	SipDigestServer *a = sip_digest_server_new(&cfg);
	g_autofree char *lines = challenge_kind(a, SIP_DIGEST_PROXY, CLIENT, FALSE);
	g_auto(GStrv) each = g_strsplit(lines, "\r\n", -1);
	SipDigestChallenge ch;
	g_autofree char *user = NULL, *u2 = NULL;
	char *none = NULL;

	/* Two lines, SHA-256 first (RFC 8760 §2.4), then the CRLF's empty tail. */
	g_assert_cmpuint(g_strv_length(each), ==, 3);
	g_assert_true(g_str_has_prefix(each[0], "Proxy-Authenticate: Digest realm=\"pbx.test\""));
	g_assert_true(g_str_has_prefix(each[1], "Proxy-Authenticate: Digest realm=\"pbx.test\""));
	g_assert_nonnull(strstr(each[0], "algorithm=SHA-256"));
	g_assert_nonnull(strstr(each[1], "algorithm=MD5"));
	g_assert_cmpstr(each[2], ==, "");
	g_assert_null(strstr(lines, "WWW-Authenticate"));
	g_assert_null(strstr(lines, "stale"));

	g_autofree char *v1 = answer_407(lines, "secret", 1, &ch);
	g_assert_cmpint(ch.kind, ==, SIP_DIGEST_PROXY);
	g_assert_cmpint(ch.alg, ==, SIP_DIGEST_SHA256);
	g_assert_true(ch.qop_auth);
	g_assert_false(ch.stale);

	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Authorization", v1), &none), ==,
	    SIP_DIGEST_MISSING);
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_WWW, CLIENT, invite_with("Proxy-Authorization", v1), &none), ==,
	    SIP_DIGEST_MISSING);
	g_assert_null(none);
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Proxy-Authorization", v1), &user), ==,
	    SIP_DIGEST_OK);
	g_assert_cmpstr(user, ==, "2000");

	/* The next request on the same nonce counts up (RFC 7616 §3.4.5). */
	g_autofree char *v2 =
	    sip_digest_authorization(&ch, &(SipDigestAnswer){.username = "2000",
	                                                     .password = "secret",
	                                                     .method = "INVITE",
	                                                     .uri = "sip:3000@pbx.test",
	                                                     .nc = 2});
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Proxy-Authorization", v2), &u2), ==,
	    SIP_DIGEST_OK);
	g_assert_cmpstr(u2, ==, "2000");
	sip_digest_challenge_clear(&ch);

	/* MD5, the second line, is answered alike; both lines carry one nonce, whose count
	 * goes on from the SHA-256 answers (a count already seen is a replay). */
	g_autofree char *md5_line = g_strconcat(each[1], "\r\n", NULL);
	g_autofree char *v3_replay = answer_407(md5_line, "secret", 2, &ch);
	sip_digest_challenge_clear(&ch);
	g_autofree char *v3 = answer_407(md5_line, "secret", 3, &ch);
	g_autofree char *u3 = NULL;
	g_assert_cmpint(ch.alg, ==, SIP_DIGEST_MD5);
	g_assert_cmpint(verify(a, SIP_DIGEST_PROXY, CLIENT,
	                       invite_with("Proxy-Authorization", v3_replay), &none),
	                ==, SIP_DIGEST_REPLAYED);
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Proxy-Authorization", v3), &u3), ==,
	    SIP_DIGEST_OK);
	g_assert_cmpstr(u3, ==, "2000");
	sip_digest_challenge_clear(&ch);
	sip_digest_server_free(a);
}

/* Proxy-Authorization refused with the verdict that says what to do next: a wrong password
 * on our fresh nonce is FAILED (counted), a replayed nonce count REPLAYED (RFC 7616 §3.4.5),
 * a nonce whose count slot a newer one took, or one of another run, STALE, and the stale
 * challenge then carries stale=true, which the client side answers again (RFC 7616 §3.3). */
static void test_proxy_verdicts_rfc7616(void)
{
	SipDigestServerConfig two = cfg;
	two.nonce_slots = 2; /* the two latest nonces have their counts kept */
	SipDigestServer *a = sip_digest_server_new(&two), *other = sip_digest_server_new(&cfg);
	SipDigestChallenge ch;
	char *none = NULL;
	g_autofree char *ok = NULL;

	g_assert_cmpuint(sip_digest_server_nonce_slots(a), ==, 2);
	g_autofree char *lines = challenge_kind(a, SIP_DIGEST_PROXY, CLIENT, FALSE);
	g_autofree char *wrong = answer_407(lines, "wrong", 1, &ch);
	sip_digest_challenge_clear(&ch);
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Proxy-Authorization", wrong), &none),
	    ==, SIP_DIGEST_FAILED);
	/* The same wrong answer from another address: a forged source could send it. */
	g_assert_cmpint(verify(a, SIP_DIGEST_PROXY, "192.0.2.7",
	                       invite_with("Proxy-Authorization", wrong), &none),
	                ==, SIP_DIGEST_UNTRUSTED);

	g_autofree char *right = answer_407(lines, "secret", 1, &ch);
	sip_digest_challenge_clear(&ch);
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Proxy-Authorization", right), &ok), ==,
	    SIP_DIGEST_OK);
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Proxy-Authorization", right), &none),
	    ==, SIP_DIGEST_REPLAYED);

	/* Two newer nonces: the older one's slot is taken, so it is stale, even with nc
	 * counting on. */
	g_free(challenge_kind(a, SIP_DIGEST_PROXY, CLIENT, FALSE));
	g_free(challenge_kind(a, SIP_DIGEST_PROXY, CLIENT, FALSE));
	g_autofree char *later = answer_407(lines, "secret", 2, &ch);
	sip_digest_challenge_clear(&ch);
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Proxy-Authorization", later), &none),
	    ==, SIP_DIGEST_STALE);

	/* A nonce of another run (another secret) with the right password: stale too. */
	g_autofree char *foreign_lines = challenge_kind(other, SIP_DIGEST_PROXY, CLIENT, FALSE);
	g_autofree char *foreign = answer_407(foreign_lines, "secret", 1, &ch);
	sip_digest_challenge_clear(&ch);
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Proxy-Authorization", foreign), &none),
	    ==, SIP_DIGEST_STALE);
	g_assert_null(none);

	/* The challenge that follows a stale verdict, as the client side sees it. */
	g_autofree char *again = challenge_kind(a, SIP_DIGEST_PROXY, CLIENT, TRUE);
	g_autofree char *v = answer_407(again, "secret", 1, &ch);
	g_assert_true(ch.stale);
	g_assert_true(sip_digest_challenge_worth_answering(&ch, true));
	sip_digest_challenge_clear(&ch);
	g_autofree char *u = NULL;
	g_assert_cmpint(
	    verify(a, SIP_DIGEST_PROXY, CLIENT, invite_with("Proxy-Authorization", v), &u), ==,
	    SIP_DIGEST_OK);
	g_assert_cmpstr(u, ==, "2000");
	sip_digest_server_free(a);
	sip_digest_server_free(other);
}

/* The whole authentication as a module runs it, with the core's shared failure limiter
 * (crossbar/authlimit.h): no credentials get a 407 challenge (a 401 for WWW); wrong answers
 * to a nonce of another run count nothing, however many; the right password on it gets a
 * challenge with stale=true; wrong passwords on a genuine nonce count, and the one that
 * reaches the limit gets 403, after which the source is refused even with the right
 * password while another address authenticates. */
static void test_authenticate_with_limiter(void)
{
	static const XbAuthLimitConfig limit = {.failures = 3, .window_s = 60, .ban_s = 600};
	SipDigestServer *a = sip_digest_server_new(&cfg), *other = sip_digest_server_new(&cfg);
	SipDigestChallenge ch;
	SipDigestOutcome out;

	xb_authlimit_reset();
	xb_authlimit_configure(&limit);

	g_assert_cmpuint(authenticate(a, SIP_DIGEST_PROXY, CLIENT,
	                              invite_with("Subject", "no credentials"), &out),
	                 ==, 407);
	g_assert_cmpint(out.verdict, ==, SIP_DIGEST_MISSING);
	g_assert_cmpstr(out.reason, ==, "Proxy Authentication Required");
	g_assert_true(
	    g_str_has_prefix(out.headers, "Proxy-Authenticate: Digest realm=\"pbx.test\""));
	g_assert_null(strstr(out.headers, "stale"));
	g_assert_null(out.username);
	g_autofree char *lines = g_strdup(out.headers);
	sip_digest_outcome_clear(&out);
	g_assert_null(out.headers);

	g_autofree char *foreign_lines = challenge_kind(other, SIP_DIGEST_PROXY, CLIENT, FALSE);
	g_autofree char *foreign_wrong = answer_407(foreign_lines, "wrong", 1, &ch);
	sip_digest_challenge_clear(&ch);
	for (guint i = 0; i < 2 * limit.failures; i++) {
		g_assert_cmpuint(authenticate(a, SIP_DIGEST_PROXY, CLIENT,
		                              invite_with("Proxy-Authorization", foreign_wrong),
		                              &out),
		                 ==, 407);
		g_assert_cmpint(out.verdict, ==, SIP_DIGEST_UNTRUSTED);
		sip_digest_outcome_clear(&out);
	}
	g_assert_cmpuint(xb_authlimit_tracked_count(), ==, 0);

	g_autofree char *foreign_right = answer_407(foreign_lines, "secret", 1, &ch);
	sip_digest_challenge_clear(&ch);
	g_assert_cmpuint(authenticate(a, SIP_DIGEST_PROXY, CLIENT,
	                              invite_with("Proxy-Authorization", foreign_right), &out),
	                 ==, 407);
	g_assert_cmpint(out.verdict, ==, SIP_DIGEST_STALE);
	g_assert_nonnull(strstr(out.headers, ", stale=true\r\n"));
	sip_digest_outcome_clear(&out);

	g_autofree char *wrong = answer_407(lines, "wrong", 1, &ch);
	sip_digest_challenge_clear(&ch);
	for (guint i = 1; i < limit.failures; i++) {
		g_assert_cmpuint(authenticate(a, SIP_DIGEST_PROXY, CLIENT,
		                              invite_with("Proxy-Authorization", wrong), &out),
		                 ==, 407);
		g_assert_cmpint(out.verdict, ==, SIP_DIGEST_FAILED);
		sip_digest_outcome_clear(&out);
	}
	g_assert_cmpuint(xb_authlimit_tracked_count(), ==, 1);
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING,
	                      "digest-test: 192.0.2.1 banned for 600 s after 3 failed*");
	g_assert_cmpuint(authenticate(a, SIP_DIGEST_PROXY, CLIENT,
	                              invite_with("Proxy-Authorization", wrong), &out),
	                 ==, 403);
	g_test_assert_expected_messages();
	g_assert_cmpint(out.verdict, ==, SIP_DIGEST_FAILED);
	g_assert_cmpstr(out.reason, ==, "Forbidden");
	g_assert_null(out.headers);
	sip_digest_outcome_clear(&out);

	g_autofree char *right = answer_407(lines, "secret", 1, &ch);
	sip_digest_challenge_clear(&ch);
	g_assert_cmpuint(authenticate(a, SIP_DIGEST_PROXY, CLIENT,
	                              invite_with("Proxy-Authorization", right), &out),
	                 ==, 403);
	g_assert_cmpint(out.verdict, ==, SIP_DIGEST_BANNED);
	g_assert_null(out.headers);
	g_assert_null(out.username);
	sip_digest_outcome_clear(&out);

	/* Another address: its own nonce, its own count, not banned. */
	g_autofree char *elsewhere = challenge_kind(a, SIP_DIGEST_PROXY, "192.0.2.3", FALSE);
	g_autofree char *v = answer_407(elsewhere, "secret", 1, &ch);
	sip_digest_challenge_clear(&ch);
	g_assert_cmpuint(authenticate(a, SIP_DIGEST_PROXY, "192.0.2.3",
	                              invite_with("Proxy-Authorization", v), &out),
	                 ==, 0);
	g_assert_cmpint(out.verdict, ==, SIP_DIGEST_OK);
	g_assert_cmpstr(out.username, ==, "2000");
	g_assert_null(out.reason);
	g_assert_null(out.headers);
	sip_digest_outcome_clear(&out);
	g_assert_null(out.username);

	/* A registrar's 401 (RFC 3261 §22.2), and its REGISTER authenticated. */
	g_assert_cmpuint(
	    authenticate(a, SIP_DIGEST_WWW, "192.0.2.3", invite_with("Subject", "none"), &out), ==,
	    401);
	g_assert_cmpstr(out.reason, ==, "Unauthorized");
	g_assert_true(g_str_has_prefix(out.headers, "WWW-Authenticate: Digest realm=\"pbx.test\""));
	g_assert_null(strstr(out.headers, "Proxy-Authenticate"));
	g_autofree char *n = nonce_of(out.headers, "MD5");
	sip_digest_outcome_clear(&out);
	g_assert_cmpuint(authenticate(a, SIP_DIGEST_WWW, "192.0.2.3",
	                              signed_register("2000", "secret", "MD5", n, "00000001"),
	                              &out),
	                 ==, 0);
	g_assert_cmpstr(out.username, ==, "2000");
	sip_digest_outcome_clear(&out);

	xb_authlimit_reset();
	sip_digest_server_free(a);
	sip_digest_server_free(other);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/sip/digest/server/sha256-and-md5-rfc8760", test_sha256_and_md5_rfc8760);
	g_test_add_func("/sip/digest/server/wrong-and-unknown-alike-rfc3261-22.4",
	                test_wrong_and_unknown_alike_rfc3261_22_4);
	g_test_add_func("/sip/digest/server/nonce-count-replay-rfc7616-3.4.5",
	                test_nonce_count_replay_rfc7616_3_4_5);
	g_test_add_func("/sip/digest/server/foreign-nonce-is-stale", test_foreign_nonce_is_stale);
	g_test_add_func("/sip/digest/server/order-and-md5-only", test_order_and_md5_only);
	g_test_add_func("/sip/digest/server/only-genuine-nonces-count",
	                test_only_genuine_nonces_count);
	g_test_add_func("/sip/digest/server/nonce-bound-to-address", test_nonce_bound_to_address);
	g_test_add_func("/sip/digest/server/expired-nonce-not-counted",
	                test_expired_nonce_not_counted);
	g_test_add_func("/sip/digest/server/nonce-count-ring-rfc7616-3.4.5",
	                test_nonce_ring_rfc7616_3_4_5);
	g_test_add_func("/sip/digest/server/proxy-round-trip-rfc3261-22.3",
	                test_proxy_round_trip_22_3);
	g_test_add_func("/sip/digest/server/proxy-verdicts-rfc7616", test_proxy_verdicts_rfc7616);
	g_test_add_func("/sip/digest/server/authenticate-with-limiter",
	                test_authenticate_with_limiter);
	return g_test_run();
}
