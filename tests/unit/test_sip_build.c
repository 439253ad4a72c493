/* tests/unit/test_sip_build.c: unit tests of what the SIP message library derives from a parsed
 * message: transaction keys (RFC 3261 §17), dialog IDs (§12), responses (§8.2.6), the builder
 * and the printer. No network, no core: the message layer only. */
#include "test_sip_util.h"

/* §17.2.3: the server transaction key: branch + sent-by + method, ACK as INVITE; CANCEL is its
 * own transaction but finds the INVITE's (§9.2). */
static void test_tx_key_rfc3261(void)
{
	g_autoptr(GString) k1 = g_string_new(NULL), k2 = g_string_new(NULL);
	struct sip_msg *inv = parse_ok(invite);
	struct sip_msg *ack = parse_ok(
	    "ACK sip:bob@biloxi.example.com SIP/2.0" CRLF
	    "Via: SIP/2.0/UDP PC33.atlanta.example.com;branch=z9hG4bK776asdhds" CRLF
	    "To: Bob <sip:bob@biloxi.example.com>;tag=99" CRLF
	    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774" CRLF
	    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF "CSeq: 314159 ACK" CRLF CRLF);
	struct sip_msg *can =
	    parse_ok("CANCEL sip:bob@biloxi.example.com SIP/2.0" CRLF
	             "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds" CRLF
	             "To: Bob <sip:bob@biloxi.example.com>" CRLF
	             "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774" CRLF
	             "Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF
	             "CSeq: 314159 CANCEL" CRLF CRLF);

	g_assert_true(sip_msg_rfc3261_branch(inv));
	g_assert_cmpint(sip_msg_tx_key(inv, true, k1), ==, 0);
	g_assert_cmpint(sip_msg_tx_key(ack, true, k2), ==, 0);
	g_assert_cmpstr(k1->str, ==, k2->str);
	g_assert_cmpint(sip_msg_tx_key(can, true, k2), ==, 0);
	g_assert_cmpstr(k1->str, !=, k2->str);
	g_assert_cmpint(sip_msg_cancel_key(can, k2), ==, 0);
	g_assert_cmpstr(k1->str, ==, k2->str);
	sip_msg_free(inv);
	sip_msg_free(ack);
	sip_msg_free(can);
}

/* §17.2.3 (RFC 2543 fallback): no magic cookie: Request-URI, tags, Call-ID, CSeq, top Via. */
static void test_tx_key_rfc2543(void)
{
	const char *fmt =
	    "INVITE sip:bob@b.example.com SIP/2.0" CRLF
	    "Via: SIP/2.0/UDP h.example.com;branch=old1" CRLF "To: <sip:bob@b.example.com>" CRLF
	    "From: <sip:al@a.example.com>;tag=%s" CRLF "Call-ID: c2543" CRLF
	    "CSeq: 5 INVITE" CRLF CRLF;
	g_autoptr(GString) k1 = g_string_new(NULL), k2 = g_string_new(NULL),
	                   k3 = g_string_new(NULL);
	char *s1 = g_strdup_printf(fmt, "f1"), *s2 = g_strdup_printf(fmt, "f2");
	struct sip_msg *a = parse_ok(s1), *b = parse_ok(s1), *c = parse_ok(s2);

	g_assert_false(sip_msg_rfc3261_branch(a));
	g_assert_cmpint(sip_msg_tx_key(a, true, k1), ==, 0);
	g_assert_cmpint(sip_msg_tx_key(b, true, k2), ==, 0);
	g_assert_cmpint(sip_msg_tx_key(c, true, k3), ==, 0);
	g_assert_cmpstr(k1->str, ==, k2->str);
	g_assert_cmpstr(k1->str, !=, k3->str);
	g_assert_true(g_str_has_prefix(k1->str, "2543|"));
	sip_msg_free(a);
	sip_msg_free(b);
	sip_msg_free(c);
	g_free(s1);
	g_free(s2);
}

/* §17.2.3 (RFC 2543 fallback): a re-INVITE already carries the To tag; the ACK for our
 * non-2xx carries the same tag and must still find the INVITE's transaction. */
static void test_tx_key_rfc2543_reinvite_ack(void)
{
	const char *fmt =
	    "%s sip:bob@b.example.com SIP/2.0" CRLF
	    "Via: SIP/2.0/UDP h.example.com;branch=old2" CRLF
	    "To: <sip:bob@b.example.com>;tag=b2" CRLF "From: <sip:al@a.example.com>;tag=a1" CRLF
	    "Call-ID: c2543r" CRLF "CSeq: 2 %s" CRLF CRLF;
	g_autoptr(GString) k1 = g_string_new(NULL), k2 = g_string_new(NULL);
	g_autofree char *s1 = g_strdup_printf(fmt, "INVITE", "INVITE");
	g_autofree char *s2 = g_strdup_printf(fmt, "ACK", "ACK");
	struct sip_msg *inv = parse_ok(s1), *ack = parse_ok(s2);

	g_assert_cmpint(sip_msg_tx_key(inv, true, k1), ==, 0);
	g_assert_cmpint(sip_msg_tx_key(ack, true, k2), ==, 0);
	g_assert_cmpstr(k1->str, ==, k2->str);
	sip_msg_free(inv);
	sip_msg_free(ack);
}

/* §17.1.3: a response matches a client transaction by branch and CSeq method. */
static void test_tx_key_client(void)
{
	g_autoptr(GString) k = g_string_new(NULL);
	struct sip_msg *r = parse_ok("SIP/2.0 200 OK" CRLF "Via: SIP/2.0/UDP h;branch=z9hG4bKq" CRLF
	                             "CSeq: 1 BYE" CRLF CRLF);

	g_assert_cmpint(sip_msg_tx_key(r, false, k), ==, 0);
	g_assert_cmpstr(k->str, ==, "3261|z9hG4bKq|BYE|");
	sip_msg_free(r);
}

/* §12: the dialog ID is Call-ID, local tag, remote tag, seen from the UAS or the UAC. */
static void test_dialog_id(void)
{
	struct sip_msg *m =
	    parse_ok("BYE sip:a@b.example.com SIP/2.0" CRLF "To: <sip:a@b>;tag=tt" CRLF
	             "From: <sip:c@d>;tag=ff" CRLF "Call-ID: dlg" CRLF CRLF);
	struct sip_dialog_id uas, uac;

	g_assert_cmpint(sip_msg_dialog_id(m, true, &uas), ==, 0);
	g_assert_cmpint(sip_msg_dialog_id(m, false, &uac), ==, 0);
	assert_pl(&uas.call_id, "dlg");
	assert_pl(&uas.local_tag, "tt");
	assert_pl(&uas.remote_tag, "ff");
	assert_pl(&uac.local_tag, "ff");
	g_assert_false(sip_dialog_id_equal(&uas, &uac));
	g_assert_true(sip_dialog_id_equal(&uas, &uas));
	sip_msg_free(m);
}

/* The top Via of the reply to req stamped with (host, port): NULL when req gets no stamp. */
static char *stamped_top_via(const char *via, const char *host, uint16_t port)
{
	g_autofree char *text = g_strdup_printf(
	    "OPTIONS sip:bob@b.example.com SIP/2.0" CRLF "Via: %s" CRLF
	    "Via: SIP/2.0/UDP p2;branch=z9hG4bK2" CRLF "To: <sip:bob@b.example.com>" CRLF
	    "From: <sip:al@a.example.com>;tag=f" CRLF "Call-ID: s1" CRLF
	    "CSeq: 1 OPTIONS" CRLF CRLF,
	    via);
	struct sip_msg *req = parse_ok(text);
	g_autoptr(GString) gs = g_string_new(NULL);
	struct sip_mb mb;
	struct sip_msg *rsp;
	char *top;

	sip_msg_stamp_via(req, host, port);
	sip_mb_init_gstring(&mb, gs);
	g_assert_cmpint(sip_msg_reply(&mb, req, 200, NULL, "t"), ==, 0);
	g_assert_cmpint(sip_mb_end(&mb), ==, 0);
	rsp = parse_ok(gs->str);
	g_assert_cmpuint(sip_msg_hdr_count(rsp, SIP_HDR_VIA), ==, 2);
	g_assert_true(sip_pl_eq(&sip_msg_hdr_next(rsp, sip_msg_hdr(rsp, SIP_HDR_VIA))->val,
	                        "SIP/2.0/UDP p2;branch=z9hG4bK2"));
	top = sip_pl_dup(&sip_msg_hdr(rsp, SIP_HDR_VIA)->val);
	sip_msg_free(rsp);
	sip_msg_free(req);
	return top;
}

/* §18.2.1, RFC 3581: received when the Via's host is not the source address, or when rport
 * is asked (with rport's value); a stale received or rport value of the request is replaced,
 * other parameters kept in order; nothing added when the host is the source and no rport. */
static void test_stamp_via(void)
{
	char *v;

	v = stamped_top_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1", "192.0.2.1", 5060);
	g_assert_cmpstr(v, ==, "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1");
	g_free(v);
	v = stamped_top_via("SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1", "192.0.2.4", 5060);
	g_assert_cmpstr(v, ==, "SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1;received=192.0.2.4");
	g_free(v);
	v = stamped_top_via("SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK1;x=y", "192.0.2.4",
	                    61000);
	g_assert_cmpstr(
	    v, ==, "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;x=y;received=192.0.2.4;rport=61000");
	g_free(v);
	v = stamped_top_via("SIP/2.0/UDP 192.0.2.4;received=10.1.1.1;branch=z9hG4bK1;rport=9",
	                    "192.0.2.4", 5062);
	g_assert_cmpstr(v, ==,
	                "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK1;received=192.0.2.4;rport=5062");
	g_free(v);
	v = stamped_top_via("SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK1", "2001:db8::1", 5060);
	g_assert_cmpstr(v, ==, "SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK1");
	g_free(v);
	v = stamped_top_via("SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK1;rport", "2001:db8::9",
	                    40000);
	g_assert_cmpstr(
	    v, ==,
	    "SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK1;received=2001:db8::9;rport=40000");
	g_free(v);
}

/* §8.2.6: a response copies Via (all, in order), From, To (+ tag), Call-ID, CSeq. */
static void test_reply(void)
{
	struct sip_msg *req =
	    parse_ok("INVITE sip:bob@b.example.com SIP/2.0" CRLF
	             "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1" CRLF
	             "Via: SIP/2.0/UDP u.example.com;branch=z9hG4bK2;received=192.0.2.1" CRLF
	             "To: Bob <sip:bob@b.example.com>" CRLF
	             "From: <sip:al@a.example.com>;tag=f" CRLF "Call-ID: r1" CRLF
	             "CSeq: 9 INVITE" CRLF "Timestamp: 54" CRLF "Contact: <sip:al@u>" CRLF CRLF);
	g_autoptr(GString) gs = g_string_new(NULL);
	struct sip_mb mb;
	struct sip_msg *rsp;

	sip_mb_init_gstring(&mb, gs);
	g_assert_cmpint(sip_msg_reply(&mb, req, 180, NULL, "t0"), ==, 0);
	g_assert_cmpint(sip_mb_header(&mb, "Contact", "<sip:bob@192.0.2.4>"), ==, 0);
	g_assert_cmpint(sip_mb_end(&mb), ==, 0);
	rsp = parse_ok(gs->str);
	g_assert_cmpuint(rsp->status, ==, 180);
	assert_pl(&rsp->reason, "Ringing");
	g_assert_cmpuint(rsp->nvia, ==, 2);
	assert_pl(&rsp->via.host, "p1.example.com");
	assert_pl(&rsp->to.tag, "t0");
	assert_pl(&rsp->from.tag, "f");
	g_assert_cmpuint(rsp->cseq.num, ==, 9);
	g_assert_null(sip_msg_hdr(rsp, SIP_HDR_TIMESTAMP));
	g_assert_cmpint(sip_msg_validate_response(rsp, &(struct sip_err){0}), ==, 0);
	sip_msg_free(rsp);

	/* 100 Trying: no tag added, Timestamp copied (§8.2.6.1) */
	g_string_truncate(gs, 0);
	g_assert_cmpint(sip_msg_reply(&mb, req, 100, NULL, "t0"), ==, 0);
	g_assert_cmpint(sip_mb_end(&mb), ==, 0);
	rsp = parse_ok(gs->str);
	g_assert_false(rsp->to.has_tag);
	assert_pl(&sip_msg_hdr(rsp, SIP_HDR_TIMESTAMP)->val, "54");
	sip_msg_free(rsp);
	sip_msg_free(req);
}

/* A reply can answer a request whose parse failed once its headers were indexed. */
static void test_reply_to_bad_request(void)
{
	struct sip_msg *req =
	    parse_fail(INVITE_HEAD "Content-Length: x" CRLF CRLF, 400, "Bad Content-Length");
	char buf[1024];
	struct sip_mb mb;
	struct sip_msg *rsp;

	g_assert_nonnull(req);
	sip_mb_init_buf(&mb, buf, sizeof(buf));
	g_assert_cmpint(sip_msg_reply(&mb, req, 400, "Bad Content-Length", "z"), ==, 0);
	g_assert_cmpint(sip_mb_end(&mb), ==, 0);
	g_assert_true(g_str_has_prefix(buf, "SIP/2.0 400 Bad Content-Length\r\n"));
	rsp = parse_ok(buf);
	assert_pl(&rsp->to.tag, "z");
	sip_msg_free(rsp);
	sip_msg_free(req);
}

/* The builder refuses CR/LF in fields (no header injection) and never overflows its buffer. */
static void test_builder_safety(void)
{
	char small[48];
	struct sip_mb mb;

	sip_mb_init_buf(&mb, small, sizeof(small));
	g_assert_cmpint(sip_mb_request_line(&mb, "OPTIONS", "sip:a@b.example.com"), ==, 0);
	g_assert_cmpint(sip_mb_header(&mb, "Subject", "a\r\nVia: evil"), ==, -EINVAL);
	g_assert_cmpint(sip_mb_header(&mb, "Bad Name", "x"), ==, -EINVAL);
	g_assert_cmpint(sip_mb_request_line(&mb, "OPT IONS", "sip:x"), ==, -EINVAL);
	g_assert_cmpint(sip_mb_header(&mb, "Subject", "this line will not fit into the buffer"), ==,
	                -ENOBUFS);
	g_assert_true(mb.overflow);
	g_assert_cmpuint(strlen(small), <, sizeof(small));
	g_assert_cmpint(sip_mb_status_line(&mb, 700, "x"), ==, -EINVAL);
}

/* The printer writes long names, one value per line and a fresh Content-Length; what it
 * prints parses to the same message. */
static void test_print_roundtrip(void)
{
	struct sip_msg *m = parse_ok(
	    "MESSAGE sip:a@b.example.com SIP/2.0" CRLF
	    "v: SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/UDP g;branch=z9hG4bK2" CRLF
	    "f: <sip:c@d>;tag=1" CRLF "t: <sip:a@b>" CRLF "i: p" CRLF "CSeq: 1 MESSAGE" CRLF
	    "X-Y: z" CRLF "c: text/plain" CRLF "Subject: a" CRLF " b" CRLF CRLF "hi");
	g_autoptr(GString) gs = g_string_new(NULL);
	struct sip_mb mb;
	struct sip_msg *again;

	sip_mb_init_gstring(&mb, gs);
	g_assert_cmpint(sip_msg_print(&mb, m), ==, 0);
	g_assert_cmpstr(gs->str, ==,
	                "MESSAGE sip:a@b.example.com SIP/2.0" CRLF
	                "Via: SIP/2.0/UDP h;branch=z9hG4bK1" CRLF
	                "Via: SIP/2.0/UDP g;branch=z9hG4bK2" CRLF "From: <sip:c@d>;tag=1" CRLF
	                "To: <sip:a@b>" CRLF "Call-ID: p" CRLF "CSeq: 1 MESSAGE" CRLF "X-Y: z" CRLF
	                "Content-Type: text/plain" CRLF "Subject: a   b" CRLF
	                "Content-Length: 2" CRLF CRLF "hi");
	again = parse_ok(gs->str);
	g_assert_cmpuint(again->nhdr, ==, m->nhdr + 1);
	assert_pl(&again->body, "hi");
	sip_msg_free(again);
	sip_msg_free(m);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip/key/tx-rfc3261-17.2.3", test_tx_key_rfc3261);
	g_test_add_func("/sip/key/tx-rfc2543-fallback-17.2.3", test_tx_key_rfc2543);
	g_test_add_func("/sip/key/tx-rfc2543-reinvite-ack-17.2.3",
	                test_tx_key_rfc2543_reinvite_ack);
	g_test_add_func("/sip/key/tx-client-rfc3261-17.1.3", test_tx_key_client);
	g_test_add_func("/sip/key/dialog-id-rfc3261-12", test_dialog_id);
	g_test_add_func("/sip/build/reply-rfc3261-8.2.6", test_reply);
	g_test_add_func("/sip/build/stamp-via-rfc3581", test_stamp_via);
	g_test_add_func("/sip/build/reply-to-bad-request", test_reply_to_bad_request);
	g_test_add_func("/sip/build/builder-safety", test_builder_safety);
	g_test_add_func("/sip/build/print-roundtrip", test_print_roundtrip);
	return g_test_run();
}
