/* tests/unit/test_sip_parse.c: unit tests of the SIP message parser (lib/sip/) (RFC 3261 §7, §20,
 * §25): valid and invalid messages written for these tests, each named for the rule it checks. No
 * network, no core: the message layer only. */
#include "test_sip_util.h"

/* §7.1, §20: a request's start line, the mandatory headers and the body. */
static void test_request_basic(void)
{
	struct sip_msg *msg = parse_ok(invite);

	g_assert_true(msg->is_request);
	g_assert_cmpint(msg->method, ==, SIP_METHOD_INVITE);
	assert_pl(&msg->method_name, "INVITE");
	assert_pl(&msg->ruri_pl, "sip:bob@biloxi.example.com");
	g_assert_cmpint(msg->ruri.scheme, ==, SIP_SCHEME_SIP);
	assert_pl(&msg->ruri.user, "bob");
	assert_pl(&msg->ruri.host, "biloxi.example.com");
	assert_pl(&msg->via.transport, "UDP");
	assert_pl(&msg->via.branch, "z9hG4bK776asdhds");
	assert_pl(&msg->from.tag, "1928301774");
	assert_pl(&msg->from.display, "Alice");
	g_assert_false(msg->to.has_tag);
	assert_pl(&msg->call_id, "a84b4c76e66710@pc33.atlanta.example.com");
	g_assert_cmpuint(msg->cseq.num, ==, 314159);
	g_assert_cmpint(msg->cseq.method, ==, SIP_METHOD_INVITE);
	g_assert_cmpuint(msg->max_forwards, ==, 70);
	g_assert_cmpuint(msg->content_length, ==, 5);
	assert_pl(&msg->body, "v=0" CRLF);
	g_assert_cmpuint(msg->nhdr, ==, 9);
	g_assert_cmpuint(sip_msg_hdr_count(msg, SIP_HDR_VIA), ==, 1);
	sip_msg_free(msg);
}

/* §7.2: Status-Line; an empty Reason-Phrase is allowed. */
static void test_response_status_line(void)
{
	struct sip_msg *msg = parse_ok(
	    "SIP/2.0 180 Ringing" CRLF "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKx" CRLF
	    "To: <sip:a@b.example.com>;tag=8" CRLF "From: <sip:c@d.example.com>;tag=9" CRLF
	    "Call-ID: 1" CRLF "CSeq: 2 INVITE" CRLF "Content-Length: 0" CRLF CRLF);

	g_assert_false(msg->is_request);
	g_assert_cmpuint(msg->status, ==, 180);
	assert_pl(&msg->reason, "Ringing");
	sip_msg_free(msg);

	msg = parse_ok("SIP/2.0 486 " CRLF "Call-ID: 1" CRLF CRLF);
	g_assert_cmpuint(msg->status, ==, 486);
	g_assert_cmpuint(msg->reason.l, ==, 0);
	sip_msg_free(msg);
}

/* §7.2: a malformed response is dropped: no message is kept and the error says why. */
static void test_response_malformed_dropped(void)
{
	g_assert_null(parse_fail("SIP/2.0 99 Low" CRLF CRLF, 400, "Bad Status Line"));
	g_assert_null(parse_fail("SIP/2.0 2000 OK" CRLF CRLF, 400, "Bad Status Line"));
	g_assert_null(parse_fail("SIP/3.0 200 OK" CRLF CRLF, 400, "Bad Status Line"));
	g_assert_null(
	    parse_fail("SIP/2.0 200 OK" CRLF "CSeq: x INVITE" CRLF CRLF, 400, "Bad CSeq"));
}

/* §7.3.3: compact forms i f t v m l k c s e o u and §7.3.1 case-insensitive names. */
static void test_compact_forms(void)
{
	struct sip_msg *msg = parse_ok(
	    "OPTIONS sip:a@b.example.com SIP/2.0" CRLF "v: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
	    "f: <sip:c@d.example.com>;tag=1" CRLF "t: <sip:a@b.example.com>" CRLF "i: cid" CRLF
	    "m: <sip:c@h>" CRLF "k: 100rel" CRLF "c: text/plain" CRLF "s: hi" CRLF "e: gzip" CRLF
	    "o: presence" CRLF "u: dialog" CRLF "cSEQ: 1 OPTIONS" CRLF "l: 2" CRLF CRLF "ab");
	static const enum sip_hdrid ids[] = {
	    SIP_HDR_VIA,
	    SIP_HDR_FROM,
	    SIP_HDR_TO,
	    SIP_HDR_CALL_ID,
	    SIP_HDR_CONTACT,
	    SIP_HDR_SUPPORTED,
	    SIP_HDR_CONTENT_TYPE,
	    SIP_HDR_SUBJECT,
	    SIP_HDR_CONTENT_ENCODING,
	    SIP_HDR_EVENT,
	    SIP_HDR_ALLOW_EVENTS,
	    SIP_HDR_CSEQ,
	    SIP_HDR_CONTENT_LENGTH,
	};
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
		g_assert_cmpuint(msg->hdr[i].id, ==, ids[i]);
	assert_pl(&msg->call_id, "cid");
	assert_pl(&msg->body, "ab");
	g_assert_nonnull(sip_msg_hdr_byname(msg, "content-type"));
	g_assert_nonnull(sip_msg_hdr_byname(msg, "SUPPORTED"));
	sip_msg_free(msg);
}

/* §7.3.1: a line starting with SP or HT continues the previous one; LWS equals one SP. */
static void test_folded_lines(void)
{
	struct sip_msg *msg = parse_ok(
	    "MESSAGE sip:a@b.example.com SIP/2.0" CRLF "Via: SIP/2.0/UDP h.example.com" CRLF
	    "  ;branch=z9hG4bKf" CRLF "To:" CRLF "\t<sip:a@b.example.com>" CRLF
	    "From: <sip:c@d.example.com>;tag=1" CRLF "Call-ID: f" CRLF "CSeq: 7" CRLF
	    " MESSAGE" CRLF "Subject: first" CRLF "   second" CRLF CRLF);

	assert_pl(&msg->via.branch, "z9hG4bKf");
	assert_pl(&msg->to.uri, "sip:a@b.example.com");
	g_assert_cmpuint(msg->cseq.num, ==, 7);
	g_assert_cmpint(msg->cseq.method, ==, SIP_METHOD_MESSAGE);
	assert_pl(&sip_msg_hdr(msg, SIP_HDR_SUBJECT)->val, "first     second");
	sip_msg_free(msg);
}

/* §7.3.1: several values in one line split on commas, except inside quotes and <>; one header
 * over several lines keeps its order. */
static void test_list_values(void)
{
	struct sip_msg *msg =
	    parse_ok("SIP/2.0 200 OK" CRLF "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, "
	             "SIP/2.0/UDP b.example.com;branch=z9hG4bK2" CRLF
	             "Via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3" CRLF
	             "Contact: \"Doe, John\" <sip:j@h;x=a,b>, <sip:k@h>;q=0.5" CRLF
	             "Record-Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>" CRLF
	             "Supported: 100rel , timer,,path" CRLF
	             "Date: Sat, 13 Nov 2010 23:29:00 GMT" CRLF "X-List: a, b" CRLF CRLF);
	const struct sip_hdr *h;
	const char *vias[] = {"a.example.com", "b.example.com", "c.example.com"};
	const char *tags[] = {"100rel", "timer", "path"};
	unsigned i = 0;

	for (h = sip_msg_hdr(msg, SIP_HDR_VIA); h; h = sip_msg_hdr_next(msg, h), i++) {
		struct sip_via v;
		g_assert_cmpint(sip_via_parse(&v, &h->val), ==, 0);
		assert_pl(&v.host, vias[i]);
	}
	g_assert_cmpuint(i, ==, 3);
	g_assert_cmpuint(msg->nvia, ==, 3);
	h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	assert_pl(&h->val, "\"Doe, John\" <sip:j@h;x=a,b>");
	assert_pl(&sip_msg_hdr_next(msg, h)->val, "<sip:k@h>;q=0.5");
	g_assert_cmpuint(sip_msg_hdr_count(msg, SIP_HDR_RECORD_ROUTE), ==, 2);
	i = 0;
	for (h = sip_msg_hdr(msg, SIP_HDR_SUPPORTED); h; h = sip_msg_hdr_next(msg, h))
		assert_pl(&h->val, tags[i++]);
	g_assert_cmpuint(i, ==, 3);
	/* not list-valued: the comma stays */
	assert_pl(&sip_msg_hdr(msg, SIP_HDR_DATE)->val, "Sat, 13 Nov 2010 23:29:00 GMT");
	assert_pl(&sip_msg_hdr_byname(msg, "x-list")->val, "a, b");
	sip_msg_free(msg);
}

/* §25.1: quoted-string with backslash escapes in a display name. */
static void test_quoted_display_name(void)
{
	struct sip_addr a;
	struct sip_pl v = SIP_PL("\"Bob \\\"the\\\\ builder\\\"\" <sip:bob@h.example.com>;tag=x1");
	char out[64];

	g_assert_cmpint(sip_addr_parse(&a, &v), ==, 0);
	assert_pl(&a.display, "\"Bob \\\"the\\\\ builder\\\"\"");
	g_assert_cmpint(sip_quoted_unescape(&a.display, out, sizeof(out), NULL), ==, 0);
	g_assert_cmpstr(out, ==, "Bob \"the\\ builder\"");
	assert_pl(&a.tag, "x1");

	v = (struct sip_pl)SIP_PL("\"unterminated <sip:bob@h>");
	g_assert_cmpint(sip_addr_parse(&a, &v), <, 0);
}

/* §20.10: an addr-spec without <> ends at ';': what follows are header parameters. */
static void test_addr_spec_params(void)
{
	struct sip_addr a;
	struct sip_pl v = SIP_PL("sip:alice@atlanta.example.com;tag=88sja8x");

	g_assert_cmpint(sip_addr_parse(&a, &v), ==, 0);
	assert_pl(&a.uri, "sip:alice@atlanta.example.com");
	assert_pl(&a.tag, "88sja8x");
	g_assert_cmpuint(a.puri.params.l, ==, 0);

	v = (struct sip_pl)SIP_PL("<sip:alice@atlanta.example.com;transport=tcp>;tag=1");
	g_assert_cmpint(sip_addr_parse(&a, &v), ==, 0);
	assert_pl(&a.puri.params, "transport=tcp");
}

/* §20.42, §18.2.1, RFC 3581, RFC 5118: Via parameters. */
static void test_via_params(void)
{
	struct sip_via v;
	struct sip_pl s = SIP_PL("SIP / 2.0 / TCP [2001:db8::9:1]:5061 ;branch=z9hG4bKab ; "
	                         "received=2001:db8::9:255;rport=5070;maddr=224.2.0.1;ttl=16;x=y");

	g_assert_cmpint(sip_via_parse(&v, &s), ==, 0);
	assert_pl(&v.transport, "TCP");
	assert_pl(&v.host, "[2001:db8::9:1]");
	g_assert_cmpuint(v.port, ==, 5061);
	assert_pl(&v.sent_by, "[2001:db8::9:1]:5061");
	assert_pl(&v.branch, "z9hG4bKab");
	assert_pl(&v.received, "2001:db8::9:255");
	g_assert_cmpint(v.rport, ==, 5070);
	assert_pl(&v.maddr, "224.2.0.1");
	g_assert_cmpint(v.ttl, ==, 16);

	s = (struct sip_pl)SIP_PL("SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bKc");
	g_assert_cmpint(sip_via_parse(&v, &s), ==, 0);
	g_assert_cmpint(v.rport, ==, 0);
	g_assert_cmpint(v.ttl, ==, -1);

	static const char *const bad[] = {
	    "SIP/2.0/UDP",           "SIP/2.0 UDP h",
	    "SIP/2.0/UDP h;ttl=256", "SIP/2.0/UDP h;received=host",
	    "SIP/2.0/UDP h:70000",   "SIP/2.0/UDP [::1",
	    "SIP/2.0/UDP h;branch",  "SIP/2.0/UDP h;rport=x",
	    "SIP/2.0/UDP h junk",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		s = sip_pl_str(bad[i]);
		g_assert_cmpint(sip_via_parse(&v, &s), <, 0);
	}
}

/* §20.10, §10.2.1: several Contacts, '*', expires and q. */
static void test_contact(void)
{
	struct sip_addr a;
	struct sip_pl v =
	    SIP_PL("\"Mr. Watson\" <sip:watson@worcester.example.com>;q=0.7;expires=3600");
	uint32_t ex;
	unsigned q;

	g_assert_cmpint(sip_contact_parse(&a, &v), ==, 0);
	g_assert_false(a.star);
	g_assert_cmpint(sip_contact_expires(&a, &ex), ==, 0);
	g_assert_cmpuint(ex, ==, 3600);
	g_assert_cmpint(sip_contact_q(&a, &q), ==, 0);
	g_assert_cmpuint(q, ==, 700);

	v = (struct sip_pl)SIP_PL(" * ");
	g_assert_cmpint(sip_contact_parse(&a, &v), ==, 0);
	g_assert_true(a.star);

	v = (struct sip_pl)SIP_PL("<sip:a@h>;q=1.5");
	g_assert_cmpint(sip_contact_parse(&a, &v), ==, 0);
	g_assert_cmpint(sip_contact_q(&a, &q), <, 0);
	v = (struct sip_pl)SIP_PL("<sip:a@h>;expires=99999999999");
	g_assert_cmpint(sip_contact_parse(&a, &v), ==, 0);
	g_assert_cmpint(sip_contact_expires(&a, &ex), ==, 0);
	g_assert_cmpuint(ex, ==, UINT32_MAX);
}

/* §20.7, §20.44, §25.1: Digest parameters, quoted and not. */
static void test_digest(void)
{
	struct sip_auth a;
	struct sip_pl v =
	    SIP_PL("Digest username=\"bob\", realm=\"biloxi.example.com\",nonce="
	           "\"dcd98b7102dd2f0e8b11d0f600bfb0c093\" ,uri=\"sip:biloxi.example.com\","
	           " qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae4\","
	           " algorithm=MD5, opaque=\"5ccc069c\"");
	char out[64];

	g_assert_cmpint(sip_auth_parse(&a, &v), ==, 0);
	assert_pl(&a.scheme, "Digest");
	assert_pl(&a.username, "\"bob\"");
	assert_pl(&a.realm, "\"biloxi.example.com\"");
	assert_pl(&a.qop, "auth");
	assert_pl(&a.nc, "00000001");
	assert_pl(&a.algorithm, "MD5");
	assert_pl(&a.opaque, "\"5ccc069c\"");
	g_assert_cmpint(sip_quoted_unescape(&a.uri, out, sizeof(out), NULL), ==, 0);
	g_assert_cmpstr(out, ==, "sip:biloxi.example.com");

	v = (struct sip_pl)SIP_PL("Digest realm=\"a, b\", stale=TRUE, domain=\"sip:x sip:y\"");
	g_assert_cmpint(sip_auth_parse(&a, &v), ==, 0);
	assert_pl(&a.realm, "\"a, b\"");
	assert_pl(&a.stale, "TRUE");

	v = (struct sip_pl)SIP_PL("Digest realm=\"open");
	g_assert_cmpint(sip_auth_parse(&a, &v), <, 0);
	v = (struct sip_pl)SIP_PL("Digest realm=a,");
	g_assert_cmpint(sip_auth_parse(&a, &v), <, 0);
}

/* A header of a message whose value parses with its own function. */
static const struct sip_hdr *hdr(const struct sip_msg *m, enum sip_hdrid id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);
	g_assert_nonnull(h);
	return h;
}

/* §20: the remaining structured headers (Content-Type, Expires, Min-Expires, Event, option
 * tags, Allow, Path, Route) located by id and parsed on demand. */
static void test_other_headers(void)
{
	struct sip_msg *msg = parse_ok(
	    "SUBSCRIBE sip:a@b.example.com SIP/2.0" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK9" CRLF
	    "To: <sip:a@b.example.com>" CRLF "From: <sip:c@d.example.com>;tag=1" CRLF
	    "Call-ID: s1" CRLF "CSeq: 1 SUBSCRIBE" CRLF "Contact: <sip:c@h>" CRLF
	    "Event: dialog;id=42;x" CRLF "Expires: 600" CRLF "Min-Expires: 60" CRLF
	    "Require: sec-agree" CRLF "Proxy-Require: foo, bar" CRLF "Unsupported: baz" CRLF
	    "Allow: INVITE, ACK,BYE" CRLF
	    "Path: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>" CRLF
	    "Route: <sip:r1.example.com;lr>" CRLF "Route: <sip:r2.example.com;lr>" CRLF
	    "Content-Type: application/dialog-info+xml ; charset=UTF-8" CRLF
	    "Content-Length: 0" CRLF CRLF);
	struct sip_ctype ct;
	struct sip_event ev;
	struct sip_addr a;
	struct sip_pl cs;
	uint32_t n;

	g_assert_cmpint(sip_event_parse(&ev, &hdr(msg, SIP_HDR_EVENT)->val), ==, 0);
	assert_pl(&ev.package, "dialog");
	assert_pl(&ev.id, "42");
	g_assert_cmpint(sip_ctype_parse(&ct, &hdr(msg, SIP_HDR_CONTENT_TYPE)->val), ==, 0);
	assert_pl(&ct.type, "application");
	assert_pl(&ct.subtype, "dialog-info+xml");
	g_assert_true(sip_param_get(&ct.params, "charset", &cs));
	assert_pl(&cs, "UTF-8");
	g_assert_cmpint(sip_pl_u32(&hdr(msg, SIP_HDR_EXPIRES)->val, UINT32_MAX, &n), ==, 0);
	g_assert_cmpuint(n, ==, 600);
	g_assert_cmpint(sip_pl_u32(&hdr(msg, SIP_HDR_MIN_EXPIRES)->val, UINT32_MAX, &n), ==, 0);
	g_assert_cmpuint(n, ==, 60);
	assert_pl(&hdr(msg, SIP_HDR_REQUIRE)->val, "sec-agree");
	g_assert_cmpuint(sip_msg_hdr_count(msg, SIP_HDR_PROXY_REQUIRE), ==, 2);
	assert_pl(&hdr(msg, SIP_HDR_UNSUPPORTED)->val, "baz");
	g_assert_cmpuint(sip_msg_hdr_count(msg, SIP_HDR_ALLOW), ==, 3);
	g_assert_cmpuint(sip_msg_hdr_count(msg, SIP_HDR_PATH), ==, 2);
	g_assert_cmpint(sip_addr_parse(&a, &sip_msg_hdr_next(msg, hdr(msg, SIP_HDR_ROUTE))->val),
	                ==, 0);
	assert_pl(&a.puri.host, "r2.example.com");
	g_assert_true(sip_param_exists(&a.puri.params, "lr"));
	g_assert_cmpint(sip_msg_validate_request(msg, &(struct sip_err){0}), ==, 0);
	sip_msg_free(msg);
}

/* §8.1.1.5: CSeq is a number below 2^31 and a method. */
static void test_bad_cseq(void)
{
	static const char *const bad[] = {
	    "CSeq: 2147483648 INVITE", "CSeq: INVITE",     "CSeq: 1",
	    "CSeq: -1 INVITE",         "CSeq: 1 INVITE x", "CSeq: 1INVITE"};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *s = g_strdup_printf("INVITE sip:a@b.example.com SIP/2.0" CRLF
		                          "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "%s" CRLF CRLF,
		                          bad[i]);
		struct sip_msg *msg = parse_fail(s, 400, "Bad CSeq");
		/* the headers are indexed: the transport can still answer 400 Bad CSeq */
		g_assert_nonnull(msg);
		sip_msg_free(msg);
		g_free(s);
	}
	struct sip_cseq cs;
	struct sip_pl v = SIP_PL("2147483647   ACK");
	g_assert_cmpint(sip_cseq_parse(&cs, &v), ==, 0);
	g_assert_cmpuint(cs.num, ==, 2147483647u);
}

/* §8.2.2 and §8.1.1: requests missing a mandatory header are refused with a reason naming it. */
static void test_missing_headers(void)
{
	static const struct {
		const char *drop;
		const char *reason;
	} cases[] = {
	    {"Call-ID:", "Missing Call-ID"}, {"CSeq:", "Missing CSeq"}, {"From:", "Missing From"},
	    {"To:", "Missing To"},           {"Via:", "Missing Via"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GString *s = g_string_new(NULL);
		gchar **lines = g_strsplit(INVITE_HEAD, CRLF, -1);
		struct sip_err err;
		struct sip_msg *msg;

		for (gchar **l = lines; *l && **l; l++)
			if (!g_str_has_prefix(*l, cases[i].drop))
				g_string_append_printf(s, "%s" CRLF, *l);
		g_string_append(s, CRLF);
		msg = parse_ok(s->str);
		g_assert_cmpint(sip_msg_validate_request(msg, &err), <, 0);
		g_assert_cmpuint(err.status, ==, 400);
		g_assert_cmpstr(err.reason, ==, cases[i].reason);
		sip_msg_free(msg);
		g_strfreev(lines);
		g_string_free(s, TRUE);
	}
}

/* §8.1.1.5: the CSeq method matches the request method (case-sensitively, §7.1). */
static void test_cseq_method_mismatch(void)
{
	struct sip_msg *msg = parse_ok(
	    "OPTIONS sip:a@b.example.com SIP/2.0" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
	    "To: <sip:a@b.example.com>" CRLF "From: <sip:c@d.example.com>;tag=1" CRLF
	    "Call-ID: m" CRLF "CSeq: 1 options" CRLF CRLF);
	struct sip_err err;

	g_assert_cmpint(sip_msg_validate_request(msg, &err), <, 0);
	g_assert_cmpuint(err.status, ==, 400);
	g_assert_cmpstr(err.reason, ==, "CSeq Method Does Not Match Request Method");
	sip_msg_free(msg);
}

/* §7.3.1 via RFC 4475 §3.1.2.19 in spirit: single-valued headers appear once. */
static void test_multiple_single_headers(void)
{
	struct sip_msg *msg = parse_ok(INVITE_HEAD "Call-ID: second@h" CRLF CRLF);
	struct sip_err err;

	g_assert_cmpint(sip_msg_validate_request(msg, &err), <, 0);
	g_assert_cmpstr(err.reason, ==, "Multiple Call-ID");
	sip_msg_free(msg);

	msg = parse_ok(INVITE_HEAD "Max-Forwards: 10" CRLF CRLF);
	g_assert_cmpint(sip_msg_validate_request(msg, &err), <, 0);
	g_assert_cmpstr(err.reason, ==, "Multiple Max-Forwards");
	sip_msg_free(msg);
}

/* §7.4.1: a non-empty body needs a Content-Type. */
static void test_body_without_content_type(void)
{
	struct sip_msg *msg = parse_ok(INVITE_HEAD "Content-Length: 3" CRLF CRLF "abc");
	struct sip_err err;

	g_assert_cmpint(sip_msg_validate_request(msg, &err), <, 0);
	g_assert_cmpstr(err.reason, ==, "Missing Content-Type");
	sip_msg_free(msg);
}

/* §10.3 step 6: Contact '*' only alone in a REGISTER with Expires: 0. */
static void test_wildcard_contact(void)
{
	const char *reg =
	    "REGISTER sip:r.example.com SIP/2.0" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
	    "To: <sip:a@r.example.com>" CRLF "From: <sip:a@r.example.com>;tag=1" CRLF
	    "Call-ID: w" CRLF "CSeq: 3 REGISTER" CRLF "Contact: *" CRLF "Expires: %s" CRLF CRLF;
	struct sip_err err;
	char *s = g_strdup_printf(reg, "0");
	struct sip_msg *msg = parse_ok(s);

	g_assert_cmpint(sip_msg_validate_request(msg, &err), ==, 0);
	sip_msg_free(msg);
	g_free(s);
	s = g_strdup_printf(reg, "60");
	msg = parse_ok(s);
	g_assert_cmpint(sip_msg_validate_request(msg, &err), <, 0);
	g_assert_cmpstr(err.reason, ==, "Bad Wildcard Contact");
	sip_msg_free(msg);
	g_free(s);
}

/* §8.2.2.1 via §21.5.6 and §7.1: an unknown version is answered 505, an unknown Request-URI
 * scheme 416 (§8.2.2.1), and both keep the message to answer with. */
static void test_version_and_scheme(void)
{
	struct sip_msg *msg =
	    parse_fail("INVITE sip:a@b.example.com SIP/7.0" CRLF "Call-ID: v" CRLF CRLF, 505,
	               "Version Not Supported");
	g_assert_nonnull(msg);
	sip_msg_free(msg);
	msg = parse_fail("OPTIONS http://www.example.com/ SIP/2.0" CRLF "Call-ID: s" CRLF CRLF, 416,
	                 "Unsupported URI Scheme");
	g_assert_nonnull(msg);
	sip_msg_free(msg);
	g_assert_null(
	    parse_fail("INVITE sip:a@b.example.com SIP/2" CRLF CRLF, 400, "Bad Request Line"));
	g_assert_null(
	    parse_fail("INVITE  sip:a@b.example.com SIP/2.0" CRLF CRLF, 400, "Bad Request Line"));
	g_assert_null(parse_fail("INVITE sip:a@b.example.com" CRLF CRLF, 400, "Bad Request Line"));
	msg =
	    parse_fail("INVITE sip:@ SIP/2.0" CRLF "Call-ID: x" CRLF CRLF, 400, "Bad Request-URI");
	sip_msg_free(msg);
}

/* §7.1: methods are case-sensitive tokens; an unknown one is kept as text. */
static void test_unknown_method(void)
{
	struct sip_msg *msg =
	    parse_ok("NEWMETHOD sip:a@b.example.com SIP/2.0" CRLF
	             "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF "To: <sip:a@b.example.com>" CRLF
	             "From: <sip:c@d>;tag=1" CRLF "Call-ID: u" CRLF "CSeq: 8 NEWMETHOD" CRLF CRLF);

	g_assert_cmpint(msg->method, ==, SIP_METHOD_UNKNOWN);
	assert_pl(&msg->method_name, "NEWMETHOD");
	g_assert_cmpint(sip_msg_validate_request(msg, &(struct sip_err){0}), ==, 0);
	sip_msg_free(msg);
	msg = parse_ok("invite sip:a@b.example.com SIP/2.0" CRLF CRLF);
	g_assert_cmpint(msg->method, ==, SIP_METHOD_UNKNOWN);
	sip_msg_free(msg);
}

/* §16.3 step 3: Max-Forwards 0 is a check (483), not a parse error. */
static void test_max_forwards_zero(void)
{
	struct sip_msg *msg =
	    parse_ok("OPTIONS sip:a@b.example.com SIP/2.0" CRLF "Max-Forwards: 0" CRLF CRLF);
	struct sip_err err;

	g_assert_cmpint(sip_msg_check_max_forwards(msg, &err), <, 0);
	g_assert_cmpuint(err.status, ==, 483);
	g_assert_cmpstr(err.reason, ==, "Too Many Hops");
	sip_msg_free(msg);
	msg = parse_ok("OPTIONS sip:a@b.example.com SIP/2.0" CRLF "Max-Forwards: 1" CRLF CRLF);
	g_assert_cmpint(sip_msg_check_max_forwards(msg, &err), ==, 0);
	sip_msg_free(msg);
	sip_msg_free(parse_fail("OPTIONS sip:a@b.example.com SIP/2.0" CRLF
	                        "Max-Forwards: 5x" CRLF CRLF,
	                        400, "Bad Max-Forwards"));
}

/* Limits: header count, line length and message size are refused with 513. */
static void test_limits(void)
{
	GString *s = g_string_new("OPTIONS sip:a@b.example.com SIP/2.0" CRLF);
	char *line;

	for (int i = 0; i < SIP_MAX_HEADERS; i++)
		g_string_append_printf(s, "X-H%d: %d" CRLF, i, i);
	g_string_append(s, "Call-ID: one-too-many" CRLF CRLF);
	g_assert_null(parse_fail(s->str, 513, "Too Many Headers"));
	g_string_free(s, TRUE);

	/* several values in one line count one slot each */
	s = g_string_new("OPTIONS sip:a@b.example.com SIP/2.0" CRLF "Supported: a");
	for (int i = 0; i < SIP_MAX_HEADERS; i++)
		g_string_append(s, ",x");
	g_string_append(s, CRLF CRLF);
	g_assert_null(parse_fail(s->str, 513, "Too Many Headers"));
	g_string_free(s, TRUE);

	line = g_strnfill(SIP_MAX_LINE + 1, 'a');
	s = g_string_new("OPTIONS sip:a@b.example.com SIP/2.0" CRLF "Subject: ");
	g_string_append_printf(s, "%s" CRLF CRLF, line);
	g_assert_null(parse_fail(s->str, 513, "Header Line Too Long"));
	g_string_free(s, TRUE);
	g_free(line);

	line = g_strnfill(SIP_MAX_MSG_SIZE, 'a');
	s = g_string_new("MESSAGE sip:a@b.example.com SIP/2.0" CRLF CRLF);
	g_string_append(s, line);
	g_assert_null(parse_fail(s->str, 513, "Message Too Large"));
	g_string_free(s, TRUE);
	g_free(line);

	s = g_string_new("SIP/2.0 200 OK" CRLF);
	for (int i = 0; i <= SIP_MAX_VIA; i++)
		g_string_append_printf(s, "Via: SIP/2.0/UDP h%d;branch=z9hG4bK%d" CRLF, i, i);
	g_string_append(s, CRLF);
	g_assert_null(parse_fail(s->str, 513, "Too Many Via Headers"));
	g_string_free(s, TRUE);
}

/* §7.3: a header line is name, colon, value, CRLF; anything else is refused. */
static void test_malformed_lines(void)
{
	static const char *const bad[] = {
	    "OPTIONS sip:a@b SIP/2.0" CRLF "NoColon" CRLF CRLF,
	    "OPTIONS sip:a@b SIP/2.0" CRLF ": empty name" CRLF CRLF,
	    "OPTIONS sip:a@b SIP/2.0" CRLF " leading: space" CRLF CRLF,
	    "OPTIONS sip:a@b SIP/2.0" CRLF "Sub ject: x" CRLF CRLF,
	    "OPTIONS sip:a@b SIP/2.0" CRLF "Subject: bare\nLF" CRLF CRLF,
	    "OPTIONS sip:a@b SIP/2.0" CRLF "Subject: bare\rCR" CRLF CRLF,
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_null(parse_fail(bad[i], 400, "Malformed Header Line"));
	g_assert_null(parse_fail("OPTIONS sip:a@b SIP/2.0" CRLF "Subject: x" CRLF, 400,
	                         "Missing Empty Line After Headers"));
	g_assert_null(parse_fail("OPTIONS sip:a@b SIP/2.0", 400, "Bad Start Line"));

	/* a NUL octet inside a header value */
	static const char nul[] = "OPTIONS sip:a@b SIP/2.0\r\nSubject: a\0b\r\n\r\n";
	struct sip_msg *msg = NULL;
	struct sip_err err;
	g_assert_cmpint(sip_msg_parse(&msg, nul, sizeof(nul) - 1, &err), <, 0);
	g_assert_cmpstr(err.reason, ==, "Malformed Header Line");
	g_assert_null(msg);
}

/* §18.3, §20.14: Content-Length bounds the body; octets past it are ignored; a longer one or a
 * bad one is an error. */
static void test_content_length(void)
{
	struct sip_msg *msg =
	    parse_ok(INVITE_HEAD "Content-Type: text/plain" CRLF "l: 3" CRLF CRLF "abcdef");

	assert_pl(&msg->body, "abc");
	sip_msg_free(msg);
	msg = parse_ok(INVITE_HEAD CRLF "no length: the rest");
	assert_pl(&msg->body, "no length: the rest");
	sip_msg_free(msg);
	sip_msg_free(parse_fail(INVITE_HEAD "Content-Length: 10" CRLF CRLF "abc", 400,
	                        "Content-Length Larger Than Message"));
	sip_msg_free(parse_fail(INVITE_HEAD "Content-Length: 1x" CRLF CRLF "abc", 400,
	                        "Bad Content-Length"));
	sip_msg_free(parse_fail(INVITE_HEAD "Content-Length: 1" CRLF "l: 2" CRLF CRLF "abc", 400,
	                        "Conflicting Content-Length"));
}

/* §7.5: CRLFs before the start line are ignored. */
static void test_leading_crlf(void)
{
	struct sip_msg *msg = parse_ok(CRLF CRLF "OPTIONS sip:a@b.example.com SIP/2.0" CRLF CRLF);

	g_assert_cmpint(msg->method, ==, SIP_METHOD_OPTIONS);
	sip_msg_free(msg);
}

/* Unknown headers are kept opaque under their own name, in order. */
static void test_unknown_headers(void)
{
	struct sip_msg *msg =
	    parse_ok("OPTIONS sip:a@b.example.com SIP/2.0" CRLF "X-One: 1, \"two\"" CRLF
	             "P-Foo: bar" CRLF "x-one: 3" CRLF CRLF);
	const struct sip_hdr *h = sip_msg_hdr_byname(msg, "X-ONE");

	g_assert_nonnull(h);
	assert_pl(&h->val, "1, \"two\"");
	g_assert_cmpint(h->id, ==, SIP_HDR_OTHER);
	assert_pl(&sip_msg_hdr_byname(msg, "p-foo")->val, "bar");
	g_assert_null(sip_msg_hdr_byname(msg, "X-None"));
	g_assert_cmpuint(sip_msg_hdr_count(msg, SIP_HDR_OTHER), ==, 3);
	sip_msg_free(msg);
}

/* §19.1.1 / §19.1.2: %HH escapes in the Request-URI stay escaped after parsing. */
static void test_escaped_ruri(void)
{
	struct sip_msg *msg = parse_ok("OPTIONS sip:%61lice%20x@b.example.com SIP/2.0" CRLF CRLF);
	char out[32];

	assert_pl(&msg->ruri.user, "%61lice%20x");
	g_assert_cmpint(sip_uri_unescape(&msg->ruri.user, out, sizeof(out), NULL), ==, 0);
	g_assert_cmpstr(out, ==, "alice x");
	sip_msg_free(msg);
}

/* Odd messages in the spirit of RFC 4475 (our own bytes): what is accepted, what is refused and
 * with which answer. status 0: parses and validates. */
static void test_torture_inspired(void)
{
	static const struct {
		const char *what;
		const char *extra; /* header lines appended to a valid OPTIONS */
		const char *ruri;  /* replaces the Request-URI if set */
		unsigned status;
		const char *reason;
	} cases[] = {
	    {"token method chars in an extension header", "X-!%*_+`'~: v" CRLF, NULL, 0, NULL},
	    {"escaped @ and : in the user part", NULL, "sip:sips%3Auser%40example.com@example.net",
	     0, NULL},
	    {"semicolon in the user part", NULL, "sip:user;par=u%40example.net@example.com", 0,
	     NULL},
	    {"escaped NUL in the user part", NULL, "sip:%00null@example.com", 0, NULL},
	    {"Request-URI in angle brackets", NULL, "<sip:user@example.com>", 400,
	     "Bad Request-URI"},
	    {"empty Via parameters", "Via: SIP/2.0/UDP 192.0.2.15;;,;,," CRLF, NULL, 400,
	     "Bad Via"},
	    {"negative Content-Length", "Content-Length: -999" CRLF, NULL, 400,
	     "Bad Content-Length"},
	    {"Max-Forwards past 255", "Max-Forwards: 300" CRLF, NULL, 400, "Bad Max-Forwards"},
	    {"unbalanced quote in To", "To: \"Mr. J. User <sip:j.user@example.com>" CRLF, NULL, 400,
	     "Bad To"},
	    {"To without a closing bracket", "To: <sip:j.user@example.com" CRLF, NULL, 400,
	     "Bad To"},
	    {"From with a bad tag", "From: <sip:c@d.example.com>;tag=a\"b" CRLF, NULL, 400,
	     "Bad From"},
	    {"Call-ID with a space", "Call-ID: a b" CRLF, NULL, 400, "Bad Call-ID"},
	    {"UTF-8 display name in quotes", "Contact: \"\xc3\xa9t\xc3\xa9\" <sip:c@h>" CRLF, NULL,
	     0, NULL},
	    {"LWS around the header colon", "Subject  :   spaced" CRLF, NULL, 0, NULL},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *s =
		    g_strdup_printf("OPTIONS %s SIP/2.0" CRLF
		                    "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bKt" CRLF "%s%s%s"
		                    "CSeq: 1 OPTIONS" CRLF "Max-Forwards: 70" CRLF CRLF,
		                    cases[i].ruri ? cases[i].ruri : "sip:user@example.com",
		                    cases[i].extra && g_str_has_prefix(cases[i].extra, "To:")
		                        ? ""
		                        : "To: <sip:user@example.com>" CRLF,
		                    cases[i].extra && g_str_has_prefix(cases[i].extra, "From:")
		                        ? ""
		                        : "From: <sip:c@d.example.com>;tag=1" CRLF,
		                    cases[i].extra && g_str_has_prefix(cases[i].extra, "Call-ID:")
		                        ? ""
		                        : "Call-ID: torture" CRLF);
		char *full =
		    g_strdup_printf("%.*s%s%s", (int)(strstr(s, "CSeq:") - s), s,
		                    cases[i].extra ? cases[i].extra : "", strstr(s, "CSeq:"));
		struct sip_msg *msg = NULL;
		struct sip_err err = {0, NULL};
		int r = sip_msg_parse(&msg, full, strlen(full), &err);

		g_test_message("%s", cases[i].what);
		if (r == 0)
			r = sip_msg_validate_request(msg, &err);
		if (!cases[i].status) {
			g_assert_cmpint(r, ==, 0);
		} else {
			g_assert_cmpint(r, <, 0);
			g_assert_cmpuint(err.status, ==, cases[i].status);
			g_assert_cmpstr(err.reason, ==, cases[i].reason);
		}
		sip_msg_free(msg);
		g_free(full);
		g_free(s);
	}
}

/* RFC 4475 §3.1.1.2 (intmeth): a quoted-pair may escape NUL, BEL and DEL (RFC 3261 §25.1), so
 * a display name holding them is valid; the slices keep every octet, a reply copies the To
 * as it came, and the C-string unescaper refuses the NUL rather than cut the name short. */
static const char intmeth[] =
    "!interesting-Method0123456789_*+`.%indeed'~ "
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
    "(doesn't-it)@example.com SIP/2.0" CRLF
    "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~" CRLF
    "To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" "
    "<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>" CRLF
    "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
    "\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9\";"
    "tag=_token~1'+`*%!-." CRLF "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{" CRLF
    "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~" CRLF "Max-Forwards: 255" CRLF
    "extensionHeader-!.%*+_`'~:\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb" CRLF
    "Content-Length: 0" CRLF CRLF;

static void test_intmeth_quoted_nul(void)
{
	static const char display[] = "\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\"";
	struct sip_msg *msg = NULL;
	struct sip_err err = {0, NULL};
	char out[64];

	g_assert_cmpint(sip_msg_parse(&msg, intmeth, sizeof(intmeth) - 1, &err), ==, 0);
	g_assert_cmpint(sip_msg_validate_request(msg, &err), ==, 0);
	g_assert_cmpint(msg->method, ==, SIP_METHOD_UNKNOWN);
	g_assert_cmpmem(msg->to.display.p, msg->to.display.l, display, sizeof(display) - 1);
	g_assert_true(sip_pl_has_nul(&msg->to.display));
	g_assert_false(sip_pl_has_nul(&msg->from.display));
	g_assert_cmpint(sip_quoted_unescape(&msg->to.display, out, sizeof(out), NULL), ==, -EINVAL);

	g_autoptr(GString) gs = g_string_new(NULL);
	struct sip_mb mb;
	const struct sip_hdr *to = sip_msg_hdr(msg, SIP_HDR_TO);
	sip_mb_init_gstring(&mb, gs);
	g_assert_cmpint(sip_msg_reply(&mb, msg, 200, NULL, "t1"), ==, 0);
	g_assert_cmpint(sip_mb_end(&mb), ==, 0);
	GString *line = g_string_new("\r\nTo: ");
	g_string_append_len(line, to->val.p, (gssize)to->val.l);
	g_string_append(line, ";tag=t1\r\n");
	gboolean found = FALSE;
	for (size_t i = 0; !found && i + line->len <= gs->len; i++)
		found = memcmp(gs->str + i, line->str, line->len) == 0;
	g_assert_true(found);
	g_string_free(line, TRUE);
	sip_msg_free(msg);

	/* a NUL is only ever the escaped octet of a quoted-pair inside a quoted-string */
	static const char *const bad[] = {
	    "To: <sip:a@b>;x=a\\\x00" CRLF,      /* escaped, but not quoted */
	    "To: \"a\x00\" <sip:a@b>" CRLF,      /* quoted, but not escaped */
	    "Subject: \"ok\\\x00\" \x00" CRLF,   /* after the quoted-string */
	    "Subject: \"open \\\x00 quote" CRLF, /* never closed */
	};
	static const size_t badlen[] = {
	    sizeof("To: <sip:a@b>;x=a\\\x00" CRLF) - 1,
	    sizeof("To: \"a\x00\" <sip:a@b>" CRLF) - 1,
	    sizeof("Subject: \"ok\\\x00\" \x00" CRLF) - 1,
	    sizeof("Subject: \"open \\\x00 quote" CRLF) - 1,
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GByteArray) m = g_byte_array_new();
		static const char head[] = "OPTIONS sip:a@b SIP/2.0" CRLF;
		g_byte_array_append(m, (const guint8 *)head, sizeof(head) - 1);
		g_byte_array_append(m, (const guint8 *)bad[i], (guint)badlen[i]);
		g_byte_array_append(m, (const guint8 *)CRLF, 2);
		msg = NULL;
		g_assert_cmpint(sip_msg_parse(&msg, (const char *)m->data, m->len, &err), <, 0);
		g_assert_cmpstr(err.reason, ==, "Malformed Header Line");
		g_assert_null(msg);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip/parse/request-basic-rfc3261-7.1", test_request_basic);
	g_test_add_func("/sip/parse/response-status-line-rfc3261-7.2", test_response_status_line);
	g_test_add_func("/sip/parse/response-malformed-dropped-rfc3261-7.2",
	                test_response_malformed_dropped);
	g_test_add_func("/sip/parse/compact-forms-rfc3261-7.3.3", test_compact_forms);
	g_test_add_func("/sip/parse/folded-lines-rfc3261-7.3.1", test_folded_lines);
	g_test_add_func("/sip/parse/list-values-rfc3261-7.3.1", test_list_values);
	g_test_add_func("/sip/parse/quoted-display-name-rfc3261-25.1", test_quoted_display_name);
	g_test_add_func("/sip/parse/addr-spec-params-rfc3261-20.10", test_addr_spec_params);
	g_test_add_func("/sip/parse/via-params-rfc3261-20.42", test_via_params);
	g_test_add_func("/sip/parse/contact-rfc3261-20.10", test_contact);
	g_test_add_func("/sip/parse/digest-rfc3261-20.7", test_digest);
	g_test_add_func("/sip/parse/other-headers-rfc3261-20", test_other_headers);
	g_test_add_func("/sip/parse/bad-cseq-rfc3261-8.1.1.5", test_bad_cseq);
	g_test_add_func("/sip/validate/missing-headers-rfc3261-8.1.1", test_missing_headers);
	g_test_add_func("/sip/validate/cseq-method-mismatch-rfc3261-8.1.1.5",
	                test_cseq_method_mismatch);
	g_test_add_func("/sip/validate/multiple-single-headers-rfc3261-7.3.1",
	                test_multiple_single_headers);
	g_test_add_func("/sip/validate/body-without-content-type-rfc3261-7.4.1",
	                test_body_without_content_type);
	g_test_add_func("/sip/validate/wildcard-contact-rfc3261-10.3", test_wildcard_contact);
	g_test_add_func("/sip/parse/version-and-scheme-rfc3261-8.2.2.1", test_version_and_scheme);
	g_test_add_func("/sip/parse/unknown-method-rfc3261-7.1", test_unknown_method);
	g_test_add_func("/sip/validate/max-forwards-zero-rfc3261-16.3", test_max_forwards_zero);
	g_test_add_func("/sip/parse/limits-513", test_limits);
	g_test_add_func("/sip/parse/malformed-lines-rfc3261-7.3", test_malformed_lines);
	g_test_add_func("/sip/parse/content-length-rfc3261-18.3", test_content_length);
	g_test_add_func("/sip/parse/leading-crlf-rfc3261-7.5", test_leading_crlf);
	g_test_add_func("/sip/parse/unknown-headers-opaque", test_unknown_headers);
	g_test_add_func("/sip/parse/escaped-ruri-rfc3261-19.1.2", test_escaped_ruri);
	g_test_add_func("/sip/parse/torture-inspired-rfc4475", test_torture_inspired);
	g_test_add_func("/sip/parse/intmeth-quoted-nul-rfc4475-3.1.1.2", test_intmeth_quoted_nul);
	return g_test_run();
}
