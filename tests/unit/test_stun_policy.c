/* Unit tests of the TURN server's pure policy helpers in lib/stun/: the peer
 * address classifier (relay abuse, CVE-2020-26262 class), coturn-compatible time-limited
 * credentials and stateless nonces. No sockets, no server state. */
#include <crossbar/stun.h>

#include <string.h>

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>

static struct stun_addr addr(const char *ip, uint16_t port)
{
	struct stun_addr a = {0};

	a.port = port;
	if (inet_pton(AF_INET, ip, a.ip) == 1) {
		a.family = STUN_FAMILY_IPV4;
	} else {
		g_assert_cmpint(inet_pton(AF_INET6, ip, a.ip), ==, 1);
		a.family = STUN_FAMILY_IPV6;
	}
	return a;
}

static void assert_class(const char *ip, enum stun_addr_class want)
{
	struct stun_addr a = addr(ip, 3478);
	enum stun_addr_class got = stun_addr_classify(&a);

	if (got != want)
		g_test_message("%s: got %s, want %s", ip, stun_addr_class_name(got),
		               stun_addr_class_name(want));
	g_assert_cmpint(got, ==, want);
	g_assert_true(stun_addr_peer_allowed(&a, 0) == (want == STUN_ADDR_PUBLIC));
}

/* RFC 8656 §21.1 and the IANA special-purpose registries; IPv6 forms that embed an IPv4
 * address get the IPv4 address's class. */
static void test_classify(void)
{
	static const struct {
		const char *ip;
		enum stun_addr_class c;
	} table[] = {
	    {"8.8.8.8", STUN_ADDR_PUBLIC},
	    {"1.1.1.1", STUN_ADDR_PUBLIC},
	    {"2001:4860::1", STUN_ADDR_PUBLIC},
	    {"2a00:1450:4001::200e", STUN_ADDR_PUBLIC},
	    {"0.0.0.0", STUN_ADDR_UNSPECIFIED},
	    {"0.1.2.3", STUN_ADDR_THIS_NETWORK},
	    {"::", STUN_ADDR_UNSPECIFIED},
	    {"127.0.0.1", STUN_ADDR_LOOPBACK},
	    {"127.255.255.254", STUN_ADDR_LOOPBACK},
	    {"::1", STUN_ADDR_LOOPBACK},
	    {"10.0.0.1", STUN_ADDR_PRIVATE},
	    {"172.16.0.1", STUN_ADDR_PRIVATE},
	    {"172.31.255.255", STUN_ADDR_PRIVATE},
	    {"172.32.0.1", STUN_ADDR_PUBLIC},
	    {"192.168.1.1", STUN_ADDR_PRIVATE},
	    {"100.64.0.1", STUN_ADDR_CGNAT},
	    {"100.127.255.255", STUN_ADDR_CGNAT},
	    {"100.128.0.1", STUN_ADDR_PUBLIC},
	    {"169.254.1.1", STUN_ADDR_LINK_LOCAL},
	    {"224.0.0.1", STUN_ADDR_MULTICAST},
	    {"239.255.255.250", STUN_ADDR_MULTICAST},
	    {"255.255.255.255", STUN_ADDR_BROADCAST},
	    {"240.0.0.1", STUN_ADDR_RESERVED},
	    {"192.0.0.170", STUN_ADDR_RESERVED},
	    {"198.18.0.1", STUN_ADDR_RESERVED},
	    {"192.0.2.1", STUN_ADDR_DOCUMENTATION},
	    {"198.51.100.7", STUN_ADDR_DOCUMENTATION},
	    {"203.0.113.9", STUN_ADDR_DOCUMENTATION},
	    {"fc00::1", STUN_ADDR_PRIVATE},
	    {"fd12:3456::1", STUN_ADDR_PRIVATE},
	    {"fe80::1", STUN_ADDR_LINK_LOCAL},
	    {"febf::1", STUN_ADDR_LINK_LOCAL},
	    {"fec0::1", STUN_ADDR_PRIVATE},
	    {"ff02::1", STUN_ADDR_MULTICAST},
	    {"2001:db8::1", STUN_ADDR_DOCUMENTATION},
	    {"3fff::1", STUN_ADDR_DOCUMENTATION},
	    {"100::1", STUN_ADDR_RESERVED},
	    {"2001:2::1", STUN_ADDR_RESERVED},
	    {"4000::1", STUN_ADDR_RESERVED},
	    /* IPv4-mapped: the coturn CVE-2020-26262 / CVE-2026-27624 class of bug */
	    {"::ffff:127.0.0.1", STUN_ADDR_LOOPBACK},
	    {"::ffff:10.0.0.1", STUN_ADDR_PRIVATE},
	    {"::ffff:0.0.0.0", STUN_ADDR_UNSPECIFIED},
	    {"::ffff:169.254.169.254", STUN_ADDR_LINK_LOCAL},
	    {"::ffff:8.8.8.8", STUN_ADDR_PUBLIC},
	    {"::ffff:0:127.0.0.1", STUN_ADDR_LOOPBACK},
	    /* IPv4-compatible (deprecated): never a usable peer */
	    {"::127.0.0.1", STUN_ADDR_LOOPBACK},
	    {"::10.1.2.3", STUN_ADDR_PRIVATE},
	    {"::8.8.8.8", STUN_ADDR_RESERVED},
	    /* NAT64, 6to4, Teredo embedding private or loopback addresses */
	    {"64:ff9b::127.0.0.1", STUN_ADDR_LOOPBACK},
	    {"64:ff9b::192.168.0.1", STUN_ADDR_PRIVATE},
	    {"64:ff9b::8.8.8.8", STUN_ADDR_PUBLIC},
	    {"64:ff9b:1::1", STUN_ADDR_PRIVATE},
	    {"2002:7f00:1::1", STUN_ADDR_LOOPBACK},
	    {"2002:a00:1::1", STUN_ADDR_PRIVATE},
	    {"2002:808:808::1", STUN_ADDR_PUBLIC},
	    {"2001:0:4136:e378:8000:63bf:80ff:fffe", STUN_ADDR_LOOPBACK}, /* client ~ = 127.0.0.1 */
	    {"2001:0:4136:e378:8000:63bf:f7f7:f7f7", STUN_ADDR_PUBLIC},   /* client 8.8.8.8 */
	    {"2001:0:7f00:1::1", STUN_ADDR_LOOPBACK},                     /* server 127.0.0.1 */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
		assert_class(table[i].ip, table[i].c);
}

/* turn.allow_loopback_peers: loopback is allowed by mask, the rest stays refused; port 0
 * and unknown families never are. */
static void test_peer_allowed(void)
{
	unsigned loop = 1u << STUN_ADDR_LOOPBACK;
	struct stun_addr a = addr("127.0.0.1", 5000), m = addr("::ffff:127.0.0.1", 5000);
	struct stun_addr p = addr("10.0.0.1", 5000), z = addr("8.8.8.8", 0);
	struct stun_addr bad = addr("8.8.8.8", 53);

	g_assert_false(stun_addr_peer_allowed(&a, 0));
	g_assert_true(stun_addr_peer_allowed(&a, loop));
	g_assert_false(stun_addr_peer_allowed(&m, 0));
	g_assert_true(stun_addr_peer_allowed(&m, loop));
	g_assert_false(stun_addr_peer_allowed(&p, loop));
	g_assert_false(stun_addr_peer_allowed(&z, 0));
	bad.family = 3;
	g_assert_false(stun_addr_peer_allowed(&bad, ~0u));
	g_assert_false(stun_addr_peer_allowed(NULL, ~0u));
}

static void test_addr_sockaddr(void)
{
	struct sockaddr_storage ss;
	struct stun_addr a = addr("2001:db8::5", 3478), b;
	char s[64];

	g_assert_cmpuint(stun_addr_to_sockaddr(&a, &ss, sizeof(ss)), ==,
	                 sizeof(struct sockaddr_in6));
	g_assert_cmpint(stun_addr_from_sockaddr(&b, (struct sockaddr *)&ss), ==, 0);
	g_assert_true(stun_addr_equal(&a, &b, true));
	g_assert_cmpstr(stun_addr_to_string(&b, s, sizeof(s)), ==, "[2001:db8::5]:3478");
	a = addr("192.0.2.1", 80);
	g_assert_cmpuint(stun_addr_to_sockaddr(&a, &ss, sizeof(ss)), ==,
	                 sizeof(struct sockaddr_in));
	g_assert_cmpint(stun_addr_from_sockaddr(&b, (struct sockaddr *)&ss), ==, 0);
	g_assert_cmpstr(stun_addr_to_string(&b, s, sizeof(s)), ==, "192.0.2.1:80");
	b.port = 81;
	g_assert_false(stun_addr_equal(&a, &b, true));
	g_assert_true(stun_addr_equal(&a, &b, false));
	g_assert_cmpuint(stun_addr_to_sockaddr(&a, &ss, 4), ==, 0);
}

/* base64(HMAC-SHA1(secret, username)) computed independently with GLib's GHmac. */
static gchar *expected_password(const char *secret, const char *username)
{
	g_autoptr(GHmac) h = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret, strlen(secret));
	guint8 mac[20];
	gsize len = sizeof(mac);

	g_hmac_update(h, (const guchar *)username, -1);
	g_hmac_get_digest(h, mac, &len);
	return g_base64_encode(mac, len);
}

/* coturn's "use-auth-secret" scheme: username "expiry:user" or "expiry". */
static void test_ephemeral_credentials(void)
{
	const char *secret = "north-wind";
	char pw[STUN_EPHEMERAL_PASSWORD_LEN + 1];
	g_autofree gchar *want1 = expected_password(secret, "1700000600:alice");
	g_autofree gchar *want2 = expected_password(secret, "1700000600");
	g_autofree gchar *other = expected_password("south-wind", "1700000600:alice");
	gint64 now = 1700000000;

	g_assert_cmpint(
	    stun_cred_ephemeral_password(secret, strlen(secret), "1700000600:alice", 16, now, pw),
	    ==, 0);
	g_assert_cmpstr(pw, ==, want1);
	g_assert_cmpint(
	    stun_cred_ephemeral_password(secret, strlen(secret), "1700000600", 10, now, pw), ==, 0);
	g_assert_cmpstr(pw, ==, want2);
	/* wrong secret: a different password, so the client's integrity check fails */
	g_assert_cmpstr(pw, !=, other);
	g_assert_cmpint(
	    stun_cred_ephemeral_password(secret, strlen(secret), "1700000600:alice", 16, now, pw),
	    ==, 0);
	g_assert_cmpstr(pw, !=, other);
	/* expired: expiry before now; the last valid second is expiry itself */
	g_assert_cmpint(stun_cred_ephemeral_password(secret, strlen(secret), "1700000600:alice", 16,
	                                             1700000601, pw),
	                ==, STUN_E_EXPIRED);
	g_assert_cmpstr(pw, ==, "");
	g_assert_cmpint(stun_cred_ephemeral_password(secret, strlen(secret), "1700000600:alice", 16,
	                                             1700000600, pw),
	                ==, 0);
	/* not of the form */
	g_assert_cmpint(stun_cred_ephemeral_password(secret, strlen(secret), "alice", 5, now, pw),
	                ==, STUN_E_MALFORMED);
	g_assert_cmpint(stun_cred_ephemeral_password(secret, strlen(secret), ":alice", 6, now, pw),
	                ==, STUN_E_MALFORMED);
	g_assert_cmpint(stun_cred_ephemeral_password(secret, strlen(secret), "", 0, now, pw), ==,
	                STUN_E_MALFORMED);
	g_assert_cmpint(stun_cred_ephemeral_password(secret, strlen(secret),
	                                             "99999999999999999999999:a", 25, now, pw),
	                ==, STUN_E_MALFORMED);
}

/* Stateless nonces: accepted within their lifetime from the address they were issued to. */
static void test_nonce(void)
{
	static const uint8_t secret[] = "server secret";
	struct stun_addr c = addr("203.0.113.5", 40000), c2 = addr("203.0.113.5", 40001);
	struct stun_addr other = addr("203.0.113.6", 40000), v6 = addr("2001:db8::5", 40000);
	char n[STUN_NONCE_LEN + 1], n6[STUN_NONCE_LEN + 1];
	gint64 t = 1700000000;

	g_assert_cmpint(stun_nonce_make(secret, sizeof(secret), t, &c, n), ==, 0);
	g_assert_cmpuint(strlen(n), ==, STUN_NONCE_LEN);
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n, strlen(n), t + 10, 600, &c), ==,
	                0);
	/* the port is not bound: a TCP reconnect keeps its nonce */
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n, strlen(n), t + 10, 600, &c2),
	                ==, 0);
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n, strlen(n), t + 601, 600, &c),
	                ==, STUN_E_EXPIRED);
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n, strlen(n), t + 10, 600, &other),
	                ==, STUN_E_MISMATCH);
	g_assert_cmpint(
	    stun_nonce_check((const uint8_t *)"other secret", 12, n, strlen(n), t + 10, 600, &c),
	    ==, STUN_E_MISMATCH);
	/* issued "in the future" beyond the allowed skew */
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n, strlen(n), t - 60, 600, &c), ==,
	                STUN_E_MISMATCH);
	/* tampered time field: the MAC no longer matches */
	n[15] = n[15] == '0' ? '1' : '0';
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n, strlen(n), t + 10, 600, &c), ==,
	                STUN_E_MISMATCH);
	n[0] = 'X';
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n, strlen(n), t + 10, 600, &c), ==,
	                STUN_E_MALFORMED);
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n, 10, t, 600, &c), ==,
	                STUN_E_MALFORMED);
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), NULL, 0, t, 600, &c), ==,
	                STUN_E_MALFORMED);

	g_assert_cmpint(stun_nonce_make(secret, sizeof(secret), t, &v6, n6), ==, 0);
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n6, strlen(n6), t, 600, &v6), ==,
	                0);
	g_assert_cmpint(stun_nonce_check(secret, sizeof(secret), n6, strlen(n6), t, 600, &c), ==,
	                STUN_E_MISMATCH);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/stun-policy/peer-address/classify", test_classify);
	g_test_add_func("/stun-policy/peer-address/allowed", test_peer_allowed);
	g_test_add_func("/stun-policy/peer-address/sockaddr", test_addr_sockaddr);
	g_test_add_func("/stun-policy/credentials/time-limited", test_ephemeral_credentials);
	g_test_add_func("/stun-policy/nonce/stateless", test_nonce);
	return g_test_run();
}
