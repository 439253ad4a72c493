/* tests/unit/test_sip_uri.c: unit tests of SIP/SIPS/tel URI parsing (RFC 3261 §19.1, §25,
 * RFC 3966, RFC 5118) and URI equivalence (§19.1.4), with the RFC's own lists of equal and
 * unequal URIs plus our own. No network, no DNS. */
#include <crossbar/sipmsg.h>

#include <string.h>

static void assert_pl(const struct sip_pl *pl, const char *s)
{
	g_assert_cmpmem(pl->p, pl->l, s, strlen(s));
}

static void parse_ok(struct sip_uri *u, const char *s)
{
	int r = sip_uri_parse(u, s, strlen(s));
	if (r)
		g_test_message("rejected: %s", s);
	g_assert_cmpint(r, ==, 0);
}

/* §19.1.1: user, password, host, port, parameters, headers. */
static void test_sip_components(void)
{
	struct sip_uri u;
	struct sip_pl v;

	parse_ok(&u, "sip:alice:secretword@atlanta.com;transport=tcp;lr?subject=project%20x&"
	             "priority=urgent");
	g_assert_cmpint(u.scheme, ==, SIP_SCHEME_SIP);
	assert_pl(&u.user, "alice");
	assert_pl(&u.password, "secretword");
	assert_pl(&u.host, "atlanta.com");
	g_assert_false(u.has_port);
	assert_pl(&u.params, "transport=tcp;lr");
	assert_pl(&u.headers, "subject=project%20x&priority=urgent");
	g_assert_true(sip_param_get(&u.params, "transport", &v));
	assert_pl(&v, "tcp");
	g_assert_true(sip_param_exists(&u.params, "lr"));

	parse_ok(&u, "SIPS:+1-212-555-1212:1234@gateway.com;user=phone");
	g_assert_cmpint(u.scheme, ==, SIP_SCHEME_SIPS);
	assert_pl(&u.user, "+1-212-555-1212");
	assert_pl(&u.password, "1234");

	parse_ok(&u, "sip:192.0.2.4:5070");
	g_assert_false(u.has_user);
	assert_pl(&u.host, "192.0.2.4");
	g_assert_cmpuint(u.port, ==, 5070);

	/* user-unreserved characters (; ? / & = + $ ,) are allowed in the user part */
	parse_ok(&u, "sip:a;b?c/d&e=f+g$h,i@host.example.com");
	assert_pl(&u.user, "a;b?c/d&e=f+g$h,i");
	parse_ok(&u, "sip:host.example.com.");
}

/* RFC 5118 §4: IPv6 references in brackets, with and without port. */
static void test_ipv6_reference(void)
{
	struct sip_uri u;
	struct sip_uri u2;

	parse_ok(&u, "sip:[2001:db8::10]:5070");
	g_assert_true(u.host_is_ipv6);
	assert_pl(&u.host, "[2001:db8::10]");
	g_assert_cmpuint(u.port, ==, 5070);
	parse_ok(&u, "sip:user@[2001:db8::10];maddr=[2001:db8::20]");
	assert_pl(&u.user, "user");
	parse_ok(&u, "sip:[::ffff:192.0.2.1]");
	/* the same address written two ways is the same host */
	parse_ok(&u, "sip:[2001:db8::10]");
	parse_ok(&u2, "sip:[2001:DB8:0:0:0:0:0:10]");
	g_assert_true(sip_uri_equal(&u, &u2));
}

/* RFC 5118 §4.10: RFC 3261's IPv6address lets a hexpart ending in "::" be followed by
 * ":" IPv4address; that three-colon form and the usual one name the same host. */
static void test_ipv6_three_colons(void)
{
	struct sip_uri u, u2;
	struct in6_addr a, b;

	parse_ok(&u, "sip:[2001:db8:::192.0.2.1]");
	g_assert_true(u.host_is_ipv6);
	assert_pl(&u.host, "[2001:db8:::192.0.2.1]");
	parse_ok(&u2, "sip:[2001:db8::192.0.2.1]");
	g_assert_true(sip_uri_equal(&u, &u2));
	parse_ok(&u, "sip:user@[:::192.0.2.1]:5060");
	g_assert_true(sip_ipv6_parse("2001:db8:::192.0.2.1", 20, &a));
	g_assert_true(sip_ipv6_parse("2001:db8::c000:201", 18, &b));
	g_assert_cmpmem(&a, sizeof(a), &b, sizeof(b));
}

/* §19.1.1 says a parameter name appears once; a repeat that agrees with the first (as some
 * phones send ";transport=tls;transport=tls") is tolerated, one that conflicts is not. */
static void test_duplicate_params_agreeing(void)
{
	struct sip_uri u, u2;
	struct sip_pl v;

	parse_ok(&u, "sip:alice@example.com;transport=tls;transport=tls");
	g_assert_true(sip_param_get(&u.params, "transport", &v));
	assert_pl(&v, "tls");
	parse_ok(&u, "sip:host.example.com;lr;lr");
	parse_ok(&u, "sip:host.example.com;LR;%6cr");
	parse_ok(&u, "sip:alice@example.com;transport=TLS;Transport=tls");
	/* and it compares as the URI with the parameter once */
	parse_ok(&u, "sip:alice@example.com;transport=tls;transport=tls");
	parse_ok(&u2, "sip:alice@example.com;transport=tls");
	g_assert_true(sip_uri_equal(&u, &u2));
}

/* RFC 3966: tel URIs, global and local numbers. */
static void test_tel(void)
{
	struct sip_uri u, u2;
	struct sip_pl v;

	parse_ok(&u, "tel:+1-201-555-0123");
	g_assert_cmpint(u.scheme, ==, SIP_SCHEME_TEL);
	assert_pl(&u.user, "+1-201-555-0123");
	g_assert_cmpuint(u.host.l, ==, 0);
	parse_ok(&u, "tel:7042;phone-context=example.com");
	g_assert_true(sip_param_get(&u.params, "phone-context", &v));
	assert_pl(&v, "example.com");
	parse_ok(&u, "tel:+1-201-555-0123");
	parse_ok(&u2, "tel:+1(201)5550123");
	g_assert_true(sip_uri_equal(&u, &u2));
	parse_ok(&u2, "tel:+1-201-555-0124");
	g_assert_false(sip_uri_equal(&u, &u2));
	g_assert_cmpint(sip_uri_parse(&u, "tel:", 4), <, 0);
	g_assert_cmpint(sip_uri_parse(&u, "tel:+", 5), <, 0);
	g_assert_cmpint(sip_uri_parse(&u, "tel:12 34", 9), <, 0);
}

/* Other absolute URIs are kept opaque (the Request-URI check answers 416 for them). */
static void test_other_scheme(void)
{
	struct sip_uri u;

	parse_ok(&u, "mailto:alice@example.com");
	g_assert_cmpint(u.scheme, ==, SIP_SCHEME_OTHER);
	assert_pl(&u.scheme_pl, "mailto");
	assert_pl(&u.opaque, "alice@example.com");
	parse_ok(&u, "urn:service:sos");
	g_assert_cmpint(u.scheme, ==, SIP_SCHEME_OTHER);
}

/* §25: what is not a URI. */
static void test_invalid(void)
{
	static const char *const bad[] = {
	    "",
	    "sip:",
	    "sip:user@",
	    "sip:@host.example.com",
	    "sip:host.example.com:",
	    "sip:host.example.com:65536",
	    "sip:host.example.com:12a",
	    "sip:a b@host.example.com",
	    "sip:%G1@host.example.com",
	    "sip:%4@host.example.com",
	    "sip:host.example.com;=x",
	    "sip:host.example.com;x=",
	    "sip:host.example.com;",
	    "sip:host.example.com;transport=tls;transport=udp",
	    "sip:host.example.com;lr;lr=on",
	    "sip:host.example.com;maddr=[2001:db8::1];MADDR=[2001:db8::2]",
	    "sip:[2001:db8::::192.0.2.1]",
	    "sip:[2001:db8:::1]",
	    "sip:[2001:db8:::192.0.2]",
	    "sip:host.example.com?",
	    "sip:host.example.com?a",
	    "sip:host.example.com?a=b&",
	    "sip:[2001:db8::10",
	    "sip:[2001:db8::zz]",
	    "sip:2001:db8::10",
	    "sip:1.2.3.4.5",
	    "sip:256.1.1.1",
	    "sip:-host.example.com",
	    "sip:host..example.com",
	    "sip:host_name.example.com",
	    "sip:user@host@example.com",
	    "sip:host.example.com>",
	    ":nothing",
	    "1sip:host",
	    "sip\x01:host",
	    "http:",
	    "http:a b",
	};
	struct sip_uri u;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		int r = sip_uri_parse(&u, bad[i], strlen(bad[i]));
		if (r == 0)
			g_test_message("accepted: %s", bad[i]);
		g_assert_cmpint(r, <, 0);
	}
	/* over the size limit */
	char *user = g_strnfill(SIP_MAX_URI, 'a');
	char *big = g_strdup_printf("sip:%s@host.example.com", user);
	g_assert_cmpint(sip_uri_parse(&u, big, strlen(big)), <, 0);
	g_free(big);
	g_free(user);
}

static bool equal(const char *a, const char *b)
{
	struct sip_uri ua, ub;

	parse_ok(&ua, a);
	parse_ok(&ub, b);
	g_assert_cmpint(sip_uri_equal(&ua, &ub), ==, sip_uri_equal(&ub, &ua));
	return sip_uri_equal(&ua, &ub);
}

/* §19.1.4: the RFC's list of equivalent URIs, and more of the same rules. */
static void test_equal_rfc3261(void)
{
	static const char *const pairs[][2] = {
	    /* the RFC's examples */
	    {"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"},
	    {"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"},
	    {"sip:carol@chicago.com", "sip:carol@chicago.com;security=on"},
	    {"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"},
	    {"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
	     "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"},
	    {"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	     "sip:alice@atlanta.com?priority=urgent&subject=project%20x"},
	    /* ours: same rules */
	    {"sips:alice@atlanta.com:5061", "SIPS:alice@ATLANTA.com:5061"},
	    {"sip:alice@atlanta.com;maddr=239.255.255.1",
	     "sip:alice@atlanta.com;MADDR=239.255.255.1"},
	    {"sip:alice@atlanta.com;user=phone;ttl=1", "sip:alice@atlanta.com;ttl=1;user=phone"},
	    {"sip:al%69ce@atlanta.com", "sip:alice@atlanta.com"},
	    {"sip:a%3bb@atlanta.com", "sip:a%3Bb@atlanta.com"},
	    {"sip:alice@atlanta.com;lr", "sip:alice@atlanta.com;lr;x=1"},
	    {"sip:alice@[2001:db8::1]:5060", "sip:alice@[2001:0db8:0::1]:5060"},
	    {"sip:alice:pw@atlanta.com", "sip:alice:p%77@atlanta.com"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
		if (!equal(pairs[i][0], pairs[i][1]))
			g_test_message("not equal: %s %s", pairs[i][0], pairs[i][1]);
		g_assert_true(equal(pairs[i][0], pairs[i][1]));
	}
}

/* §19.1.4: the RFC's list of URIs that are not equivalent, and more of the same rules. */
static void test_not_equal_rfc3261(void)
{
	static const char *const pairs[][2] = {
	    /* the RFC's examples */
	    {"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"},
	    {"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"},
	    {"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"},
	    {"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"},
	    {"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"},
	    {"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"},
	    /* ours */
	    {"sip:alice@atlanta.com", "sips:alice@atlanta.com"},
	    {"sip:alice@atlanta.com", "sip:atlanta.com"},
	    {"sip:alice@atlanta.com", "sip:alice:pw@atlanta.com"},
	    {"sip:alice@atlanta.com;user=phone", "sip:alice@atlanta.com"},
	    {"sip:alice@atlanta.com;ttl=1", "sip:alice@atlanta.com"},
	    {"sip:alice@atlanta.com;method=INVITE", "sip:alice@atlanta.com"},
	    {"sip:alice@atlanta.com;maddr=239.255.255.1", "sip:alice@atlanta.com"},
	    {"sip:alice@atlanta.com;security=on", "sip:alice@atlanta.com;security=off"},
	    {"sip:a%3Bb@atlanta.com", "sip:a;b@atlanta.com"},
	    {"sip:alice@atlanta.com?a=b", "sip:alice@atlanta.com?a=c"},
	    {"sip:alice@atlanta.com?a=b&c=d", "sip:alice@atlanta.com?a=b"},
	    {"sip:alice@[2001:db8::1]", "sip:alice@[2001:db8::2]"},
	    {"sip:alice@[::ffff:192.0.2.1]", "sip:alice@192.0.2.1"},
	    {"sip:alice@atlanta.com:5060", "sip:alice@atlanta.com:5061"},
	    {"sip:alice@atlanta.com", "tel:+12015550123"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
		if (equal(pairs[i][0], pairs[i][1]))
			g_test_message("equal: %s %s", pairs[i][0], pairs[i][1]);
		g_assert_false(equal(pairs[i][0], pairs[i][1]));
	}
}

/* §19.1.2: %HH is unescaped once, never twice. */
static void test_unescape_once(void)
{
	struct sip_pl v = SIP_PL("%2541%41%");
	char out[16];
	size_t n;

	g_assert_cmpint(sip_uri_unescape(&v, out, sizeof(out), &n), ==, 0);
	g_assert_cmpstr(out, ==, "%41A%");
	g_assert_cmpuint(n, ==, 5);
	g_assert_cmpint(sip_uri_unescape(&v, out, 3, &n), ==, -ENOBUFS);
	/* %00 is valid in a URI but cannot be put in a C string without cutting it short */
	v = (struct sip_pl)SIP_PL("nul%00cut");
	g_assert_cmpint(sip_uri_unescape(&v, out, sizeof(out), &n), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip/uri/sip-components-rfc3261-19.1.1", test_sip_components);
	g_test_add_func("/sip/uri/ipv6-reference-rfc5118", test_ipv6_reference);
	g_test_add_func("/sip/uri/ipv6-three-colons-rfc5118-4.10", test_ipv6_three_colons);
	g_test_add_func("/sip/uri/duplicate-params-agreeing-rfc3261-19.1.1",
	                test_duplicate_params_agreeing);
	g_test_add_func("/sip/uri/tel-rfc3966", test_tel);
	g_test_add_func("/sip/uri/other-scheme-opaque", test_other_scheme);
	g_test_add_func("/sip/uri/invalid-rfc3261-25", test_invalid);
	g_test_add_func("/sip/uri/equal-rfc3261-19.1.4", test_equal_rfc3261);
	g_test_add_func("/sip/uri/not-equal-rfc3261-19.1.4", test_not_equal_rfc3261);
	g_test_add_func("/sip/uri/unescape-once-rfc3261-19.1.2", test_unescape_once);
	return g_test_run();
}
