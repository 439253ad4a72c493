/* test_sip_dialog.c: the dialog layer (RFC 3261 §12) on messages written as text and parsed;
 * each test names the clause it checks. No transactions, no sockets: the layer is pure
 * logic, so these tests must not need any. */
#include "config.h"
#include "test_util.h"

#include <errno.h>
#include <string.h>

#include "modules/sip/dialog.h"

/* "text\n" -> "text\r\n", parsed (it must parse). */
static struct sip_msg *parse(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *crlf = g_strjoinv("\r\n", lines);
	struct sip_msg *msg = NULL;
	struct sip_err err = {0};

	g_assert_cmpint(sip_msg_parse(&msg, crlf, strlen(crlf), &err), ==, 0);
	return msg;
}

/* An INVITE from Alice (tag a1) through two record-routing proxies. */
static const char invite_text[] = "INVITE sips:bob@example.com SIP/2.0\n"
                                  "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK1\n"
                                  "Max-Forwards: 70\n"
                                  "Record-Route: <sip:p1.example.com;lr>\n"
                                  "Record-Route: <sip:p2.example.com;lr>, <sip:p3.example.com;lr>\n"
                                  "From: \"Alice\" <sip:alice@example.com>;tag=a1\n"
                                  "To: Bob <sip:bob@example.com>\n"
                                  "Call-ID: c1@192.0.2.1\n"
                                  "CSeq: 10 INVITE\n"
                                  "Contact: <sip:alice@192.0.2.1:5061>\n"
                                  "Content-Length: 0\n"
                                  "\n";

/* What we send as UAC (From tag u1). */
static const char uac_invite_text[] = "INVITE sip:carol@example.net SIP/2.0\n"
                                      "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK9\n"
                                      "Max-Forwards: 70\n"
                                      "From: <sip:pbx@example.org>;tag=u1\n"
                                      "To: Carol <sip:carol@example.net>\n"
                                      "Call-ID: out-1@198.51.100.1\n"
                                      "CSeq: 5 INVITE\n"
                                      "Contact: <sip:pbx@198.51.100.1>\n"
                                      "Content-Length: 0\n"
                                      "\n";

/* A response to uac_invite_text with To tag, Contact host and Record-Route values. */
static struct sip_msg *uac_response(unsigned status, const char *tag, const char *contact_host,
                                    const char *rr)
{
	g_autofree char *contact = contact_host
	                               ? g_strdup_printf("Contact: <sip:carol@%s>\n", contact_host)
	                               : g_strdup("");
	g_autofree char *rrs = rr ? g_strdup_printf("Record-Route: %s\n", rr) : g_strdup("");
	g_autofree char *text = g_strdup_printf("SIP/2.0 %u X\n"
	                                        "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK9\n"
	                                        "%s"
	                                        "From: <sip:pbx@example.org>;tag=u1\n"
	                                        "To: Carol <sip:carol@example.net>;tag=%s\n"
	                                        "Call-ID: out-1@198.51.100.1\n"
	                                        "CSeq: 5 INVITE\n"
	                                        "%s"
	                                        "Content-Length: 0\n"
	                                        "\n",
	                                        status, rrs, tag, contact);
	return parse(text);
}

/* A request from Alice within the UAS dialog (To tag b1). */
static struct sip_msg *in_dialog_request(const char *method, unsigned cseq, const char *contact)
{
	g_autofree char *c = contact ? g_strdup_printf("Contact: <%s>\n", contact) : g_strdup("");
	g_autofree char *text = g_strdup_printf("%s sip:bob@192.0.2.9 SIP/2.0\n"
	                                        "Via: SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK%u\n"
	                                        "Max-Forwards: 70\n"
	                                        "From: <sip:alice@example.com>;tag=a1\n"
	                                        "To: <sip:bob@example.com>;tag=b1\n"
	                                        "Call-ID: c1@192.0.2.1\n"
	                                        "CSeq: %u %s\n"
	                                        "%s"
	                                        "Content-Length: 0\n"
	                                        "\n",
	                                        method, cseq, cseq, method, c);
	return parse(text);
}

static SipDialog *uas_dialog(void)
{
	g_autoptr(SipMsg) req = parse(invite_text);
	SipDialog *dlg = NULL;

	g_assert_cmpint(sip_dialog_new_uas(&dlg, req, "b1", NULL, NULL), ==, 0);
	return dlg;
}

static SipDialog *uac_dialog(unsigned status, const char *tag, const char *rr)
{
	g_autoptr(SipMsg) req = parse(uac_invite_text);
	g_autoptr(SipMsg) resp = uac_response(status, tag, "203.0.113.5", rr);
	SipDialog *dlg = NULL;

	g_assert_cmpint(sip_dialog_new_uac(&dlg, req, resp, NULL, NULL), ==, 0);
	return dlg;
}

/* The value of header name in a built request, NULL if absent. */
static char *header(const char *text, const char *name)
{
	g_auto(GStrv) lines = g_strsplit(text, "\r\n", -1);
	g_autofree char *prefix = g_strdup_printf("%s: ", name);

	for (char **l = lines; *l; l++)
		if (g_str_has_prefix(*l, prefix))
			return g_strdup(*l + strlen(prefix));
	return NULL;
}

/* All Route values of a built request, joined with " | ". */
static char *routes(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\r\n", -1);
	GString *s = g_string_new(NULL);

	for (char **l = lines; *l; l++)
		if (g_str_has_prefix(*l, "Route: "))
			g_string_append_printf(s, "%s%s", s->len ? " | " : "", *l + 7);
	return g_string_free(s, FALSE);
}

static char *first_line(const char *text)
{
	return g_strndup(text, strcspn(text, "\r"));
}

/* §12.1.1: route set = Record-Route in order; remote target = Contact; remote CSeq from the
 * request; local CSeq unset; sips Request-URI makes it secure; IDs from To tag / From tag. */
static void test_uas_create(void)
{
	g_autoptr(SipDialog) dlg = uas_dialog();
	struct sip_dialog_id id;
	uint32_t cseq;

	g_assert_cmpint(sip_dialog_state(dlg), ==, SIP_DIALOG_EARLY);
	g_assert_true(sip_dialog_is_uas(dlg));
	g_assert_true(sip_dialog_secure(dlg));
	g_assert_cmpuint(sip_dialog_route_count(dlg), ==, 3);
	g_assert_cmpstr(sip_dialog_route(dlg, 0), ==, "<sip:p1.example.com;lr>");
	g_assert_cmpstr(sip_dialog_route(dlg, 1), ==, "<sip:p2.example.com;lr>");
	g_assert_cmpstr(sip_dialog_route(dlg, 2), ==, "<sip:p3.example.com;lr>");
	g_assert_cmpstr(sip_dialog_remote_target(dlg), ==, "sip:alice@192.0.2.1:5061");
	g_assert_cmpstr(sip_dialog_remote_uri(dlg), ==, "sip:alice@example.com");
	g_assert_cmpstr(sip_dialog_local_uri(dlg), ==, "sip:bob@example.com");
	g_assert_true(sip_dialog_remote_cseq(dlg, &cseq));
	g_assert_cmpuint(cseq, ==, 10);
	g_assert_false(sip_dialog_local_cseq(dlg, &cseq));
	sip_dialog_id(dlg, &id);
	g_assert_true(sip_pl_eq(&id.call_id, "c1@192.0.2.1"));
	g_assert_true(sip_pl_eq(&id.local_tag, "b1"));
	g_assert_true(sip_pl_eq(&id.remote_tag, "a1"));
	sip_dialog_confirm(dlg);
	g_assert_cmpint(sip_dialog_state(dlg), ==, SIP_DIALOG_CONFIRMED);
}

/* §12.1.1: a dialog-creating request without Contact cannot make a dialog (400). */
static void test_uas_no_contact(void)
{
	g_autoptr(SipMsg) req = in_dialog_request("INVITE", 1, NULL);
	SipDialog *dlg = NULL;
	int r = sip_dialog_new_uas(&dlg, req, "b1", NULL, NULL);

	g_assert_cmpint(r, ==, -EBADMSG);
	g_assert_cmpuint(sip_dialog_err_status(r), ==, 400);
	g_assert_null(dlg);
}

/* §12.1.2: route set = the response's Record-Route reversed; remote target from its
 * Contact; local CSeq from the request; remote CSeq unset; IDs from From tag / To tag. */
static void test_uac_create(void)
{
	g_autoptr(SipDialog) dlg =
	    uac_dialog(200, "c7", "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
	struct sip_dialog_id id;
	uint32_t cseq;

	g_assert_cmpint(sip_dialog_state(dlg), ==, SIP_DIALOG_CONFIRMED);
	g_assert_false(sip_dialog_is_uas(dlg));
	g_assert_false(sip_dialog_secure(dlg));
	g_assert_cmpuint(sip_dialog_route_count(dlg), ==, 2);
	g_assert_cmpstr(sip_dialog_route(dlg, 0), ==, "<sip:p2.example.com;lr>");
	g_assert_cmpstr(sip_dialog_route(dlg, 1), ==, "<sip:p1.example.com;lr>");
	g_assert_cmpstr(sip_dialog_remote_target(dlg), ==, "sip:carol@203.0.113.5");
	g_assert_true(sip_dialog_local_cseq(dlg, &cseq));
	g_assert_cmpuint(cseq, ==, 5);
	g_assert_false(sip_dialog_remote_cseq(dlg, &cseq));
	sip_dialog_id(dlg, &id);
	g_assert_true(sip_pl_eq(&id.call_id, "out-1@198.51.100.1"));
	g_assert_true(sip_pl_eq(&id.local_tag, "u1"));
	g_assert_true(sip_pl_eq(&id.remote_tag, "c7"));
}

/* §12.1.2: a 1xx without a To tag makes no dialog. */
static void test_uac_no_tag(void)
{
	g_autoptr(SipMsg) req = parse(uac_invite_text);
	g_autoptr(SipMsg) resp = parse("SIP/2.0 180 Ringing\n"
	                               "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK9\n"
	                               "From: <sip:pbx@example.org>;tag=u1\n"
	                               "To: <sip:carol@example.net>\n"
	                               "Call-ID: out-1@198.51.100.1\n"
	                               "CSeq: 5 INVITE\n"
	                               "Content-Length: 0\n\n");
	SipDialog *dlg = NULL;

	g_assert_cmpint(sip_dialog_new_uac(&dlg, req, resp, NULL, NULL), ==, -EINVAL);
	g_assert_null(dlg);
}

/* §12.1.2, §13.2.2.4: a 180 with a tag makes an early dialog; the 2xx with the same tag
 * confirms it and recomputes route set and remote target. */
static void test_early_to_confirmed(void)
{
	g_autoptr(SipDialog) dlg = uac_dialog(180, "c7", "<sip:p1.example.com;lr>");
	g_autoptr(SipMsg) ok = uac_response(200, "c7", "203.0.113.6",
	                                    "<sip:p9.example.com;lr>, <sip:p1.example.com;lr>");

	g_assert_cmpint(sip_dialog_state(dlg), ==, SIP_DIALOG_EARLY);
	g_assert_cmpuint(sip_dialog_route_count(dlg), ==, 1);
	g_assert_cmpint(sip_dialog_uac_response(dlg, ok), ==, 0);
	g_assert_cmpint(sip_dialog_state(dlg), ==, SIP_DIALOG_CONFIRMED);
	g_assert_cmpuint(sip_dialog_route_count(dlg), ==, 2);
	g_assert_cmpstr(sip_dialog_route(dlg, 0), ==, "<sip:p1.example.com;lr>");
	g_assert_cmpstr(sip_dialog_remote_target(dlg), ==, "sip:carol@203.0.113.6");
}

/* §12.1.2 (forking): two 180s with different To tags make two early dialogs for one request;
 * the 200 of one confirms it through the table; a non-2xx final ends the rest (§12.3). */
static void test_forking(void)
{
	g_autoptr(SipMsg) req = parse(uac_invite_text);
	g_autoptr(SipMsg) r1 = uac_response(180, "f1", "203.0.113.1", NULL);
	g_autoptr(SipMsg) r2 = uac_response(183, "f2", "203.0.113.2", NULL);
	g_autoptr(SipMsg) ok2 = uac_response(200, "f2", "203.0.113.2", NULL);
	SipDialogTable *tbl = sip_dialog_table_new();
	SipDialog *d1 = NULL, *d2 = NULL, *found = NULL;

	g_assert_cmpint(sip_dialog_table_match(tbl, r1, &found), ==, -ENOENT);
	g_assert_cmpint(sip_dialog_new_uac(&d1, req, r1, NULL, NULL), ==, 0);
	g_assert_cmpint(sip_dialog_table_add(tbl, d1), ==, 0);
	g_assert_cmpint(sip_dialog_table_match(tbl, r2, &found), ==, -ENOENT);
	g_assert_cmpint(sip_dialog_new_uac(&d2, req, r2, NULL, NULL), ==, 0);
	g_assert_cmpint(sip_dialog_table_add(tbl, d2), ==, 0);
	g_assert_cmpint(sip_dialog_table_add(tbl, d2), ==, -EEXIST);
	g_assert_cmpuint(sip_dialog_table_size(tbl), ==, 2);
	g_assert_true(d1 != d2);

	g_assert_cmpint(sip_dialog_table_match(tbl, ok2, &found), ==, 0);
	g_assert_true(found == d2);
	g_assert_cmpint(sip_dialog_uac_response(found, ok2), ==, 0);
	g_assert_cmpint(sip_dialog_state(d2), ==, SIP_DIALOG_CONFIRMED);
	g_assert_cmpint(sip_dialog_state(d1), ==, SIP_DIALOG_EARLY);

	/* §12.3: only the early one goes */
	g_assert_cmpuint(sip_dialog_table_end_early(tbl, req), ==, 1);
	g_assert_cmpint(sip_dialog_state(d1), ==, SIP_DIALOG_TERMINATED);
	g_assert_cmpuint(sip_dialog_table_size(tbl), ==, 1);
	sip_dialog_unref(d1);
	sip_dialog_unref(d2);
	sip_dialog_table_free(tbl);
}

/* §12.2.1.1: loose first route (lr): Request-URI = remote target, Route = route set in
 * order; From/To carry the tags; Call-ID; CSeq = local + 1. */
static void test_request_loose(void)
{
	g_autoptr(SipDialog) dlg =
	    uac_dialog(200, "c7", "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>");
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *line = NULL, *rs = NULL, *from = NULL, *to = NULL, *cid = NULL,
	                *cseq = NULL;

	g_assert_cmpint(sip_dialog_request(dlg, "INFO", out), ==, 0);
	line = first_line(out->str);
	rs = routes(out->str);
	from = header(out->str, "From");
	to = header(out->str, "To");
	cid = header(out->str, "Call-ID");
	cseq = header(out->str, "CSeq");
	g_assert_cmpstr(line, ==, "INFO sip:carol@203.0.113.5 SIP/2.0");
	g_assert_cmpstr(rs, ==, "<sip:p2.example.com;lr> | <sip:p1.example.com;lr>");
	g_assert_cmpstr(from, ==, "<sip:pbx@example.org>;tag=u1");
	g_assert_cmpstr(to, ==, "Carol <sip:carol@example.net>;tag=c7");
	g_assert_cmpstr(cid, ==, "out-1@198.51.100.1");
	g_assert_cmpstr(cseq, ==, "6 INFO");
}

/* §12.2.1.1: strict first route (no lr): it becomes the Request-URI (without the method
 * parameter and headers), the other routes follow, the remote target goes last. */
static void test_request_strict(void)
{
	g_autoptr(SipDialog) dlg = uac_dialog(
	    200, "c7", "<sip:p3.example.com;lr>, <sip:p2.example.com;transport=tcp;method=INVITE>");
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *line = NULL, *rs = NULL;

	g_assert_cmpint(sip_dialog_request(dlg, "BYE", out), ==, 0);
	line = first_line(out->str);
	rs = routes(out->str);
	g_assert_cmpstr(line, ==, "BYE sip:p2.example.com;transport=tcp SIP/2.0");
	g_assert_cmpstr(rs, ==, "<sip:p3.example.com;lr> | <sip:carol@203.0.113.5>");
}

/* §12.2.1.1: no route set: Request-URI = remote target, no Route. */
static void test_request_no_routes(void)
{
	g_autoptr(SipDialog) dlg = uac_dialog(200, "c7", NULL);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *line = NULL, *rs = NULL;

	g_assert_cmpint(sip_dialog_request(dlg, "UPDATE", out), ==, 0);
	line = first_line(out->str);
	rs = routes(out->str);
	g_assert_cmpstr(line, ==, "UPDATE sip:carol@203.0.113.5 SIP/2.0");
	g_assert_cmpstr(rs, ==, "");
}

static uint32_t built_cseq(SipDialog *dlg, const char *method)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *v = NULL;

	g_assert_cmpint(sip_dialog_request(dlg, method, out), ==, 0);
	v = header(out->str, "CSeq");
	g_assert_nonnull(v);
	return (uint32_t)g_ascii_strtoull(v, NULL, 10);
}

/* §12.2.1.1: each request takes local CSeq + 1; the ACK of a re-INVITE repeats its number
 * (§13.2.2.4); a UAS dialog's unset local CSeq starts below 2^31 (§8.1.1.5). */
static void test_local_cseq(void)
{
	g_autoptr(SipDialog) uac = uac_dialog(200, "c7", NULL);
	g_autoptr(SipDialog) uas = uas_dialog();
	uint32_t first, n;

	g_assert_cmpuint(built_cseq(uac, "INFO"), ==, 6);
	g_assert_cmpuint(built_cseq(uac, "INVITE"), ==, 7);
	g_assert_cmpuint(built_cseq(uac, "ACK"), ==, 7);
	g_assert_cmpuint(built_cseq(uac, "UPDATE"), ==, 8);
	g_assert_true(sip_dialog_local_cseq(uac, &n));
	g_assert_cmpuint(n, ==, 8);

	first = built_cseq(uas, "INFO");
	g_assert_cmpuint(first, >, 0);
	g_assert_cmpuint(first, <, 1u << 31);
	g_assert_cmpuint(built_cseq(uas, "INFO"), ==, first + 1);
}

/* §12.2.2: a request with a CSeq lower than the remote one is out of order: 500. Equal and
 * higher are taken and remembered. */
static void test_remote_cseq_order(void)
{
	g_autoptr(SipDialog) dlg = uas_dialog();
	g_autoptr(SipMsg) info = in_dialog_request("INFO", 11, NULL);
	g_autoptr(SipMsg) old = in_dialog_request("INFO", 9, NULL);
	g_autoptr(SipMsg) ack = in_dialog_request("ACK", 10, NULL);
	uint32_t n;
	int r;

	sip_dialog_confirm(dlg);
	g_assert_cmpint(sip_dialog_uas_request(dlg, ack), ==, 0);
	g_assert_cmpint(sip_dialog_uas_request(dlg, info), ==, 0);
	g_assert_true(sip_dialog_remote_cseq(dlg, &n));
	g_assert_cmpuint(n, ==, 11);
	r = sip_dialog_uas_request(dlg, old);
	g_assert_cmpint(r, ==, -ERANGE);
	g_assert_cmpuint(sip_dialog_err_status(r), ==, 500);
	g_assert_true(sip_dialog_remote_cseq(dlg, &n));
	g_assert_cmpuint(n, ==, 11);
	g_assert_cmpint(sip_dialog_state(dlg), ==, SIP_DIALOG_CONFIRMED);
}

/* §12.2.2: a re-INVITE (target refresh) with a Contact replaces the remote target; an INFO
 * (not a target refresh) does not. */
static void test_target_refresh_uas(void)
{
	g_autoptr(SipDialog) dlg = uas_dialog();
	g_autoptr(SipMsg) info = in_dialog_request("INFO", 11, "sip:alice@192.0.2.77");
	g_autoptr(SipMsg) reinvite = in_dialog_request("INVITE", 12, "sip:alice@192.0.2.88");

	sip_dialog_confirm(dlg);
	g_assert_cmpint(sip_dialog_uas_request(dlg, info), ==, 0);
	g_assert_cmpstr(sip_dialog_remote_target(dlg), ==, "sip:alice@192.0.2.1:5061");
	g_assert_cmpint(sip_dialog_uas_request(dlg, reinvite), ==, 0);
	g_assert_cmpstr(sip_dialog_remote_target(dlg), ==, "sip:alice@192.0.2.88");
}

/* §12.2.1.2: the 2xx to our target refresh replaces the remote target. */
static void test_target_refresh_uac(void)
{
	g_autoptr(SipDialog) dlg = uac_dialog(200, "c7", NULL);
	g_autoptr(SipMsg) ok = uac_response(200, "c7", "203.0.113.99", NULL);

	g_assert_cmpint(sip_dialog_uac_response(dlg, ok), ==, 0);
	g_assert_cmpstr(sip_dialog_remote_target(dlg), ==, "sip:carol@203.0.113.99");
}

/* §12.2.2: a request whose dialog ID matches no dialog (or a terminated one) gets 481;
 * found by (Call-ID, To tag, From tag) for a request. */
static void test_lookup_miss(void)
{
	SipDialogTable *tbl = sip_dialog_table_new();
	g_autoptr(SipDialog) dlg = uas_dialog();
	g_autoptr(SipMsg) req = in_dialog_request("INFO", 11, NULL);
	g_autoptr(SipMsg) other = parse("INFO sip:bob@192.0.2.9 SIP/2.0\n"
	                                "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK77\n"
	                                "Max-Forwards: 70\n"
	                                "From: <sip:alice@example.com>;tag=a1\n"
	                                "To: <sip:bob@example.com>;tag=zz\n"
	                                "Call-ID: c1@192.0.2.1\n"
	                                "CSeq: 11 INFO\n"
	                                "Content-Length: 0\n\n");
	SipDialog *found = NULL;
	int r;

	g_assert_cmpint(sip_dialog_table_add(tbl, dlg), ==, 0);
	g_assert_cmpint(sip_dialog_table_match(tbl, req, &found), ==, 0);
	g_assert_true(found == dlg);
	r = sip_dialog_table_match(tbl, other, &found);
	g_assert_cmpint(r, ==, -ENOENT);
	g_assert_null(found);
	g_assert_cmpuint(sip_dialog_err_status(r), ==, 481);

	sip_dialog_terminate(dlg);
	g_assert_cmpint(sip_dialog_table_match(tbl, req, &found), ==, -ENOENT);
	g_assert_cmpint(sip_dialog_uas_request(dlg, req), ==, -ENOENT);
	sip_dialog_table_remove(tbl, dlg);
	g_assert_cmpuint(sip_dialog_table_size(tbl), ==, 0);
	sip_dialog_table_free(tbl);
}

/* §15.1.1, §15.1.2: a BYE sent or received terminates the dialog; nothing more can be sent
 * in it. */
static void test_bye_terminates(void)
{
	g_autoptr(SipDialog) uas = uas_dialog();
	g_autoptr(SipDialog) uac = uac_dialog(200, "c7", NULL);
	g_autoptr(SipMsg) bye = in_dialog_request("BYE", 11, NULL);
	g_autoptr(GString) out = g_string_new(NULL);

	sip_dialog_confirm(uas);
	g_assert_cmpint(sip_dialog_uas_request(uas, bye), ==, 0);
	g_assert_cmpint(sip_dialog_state(uas), ==, SIP_DIALOG_TERMINATED);
	g_assert_cmpint(sip_dialog_request(uas, "INFO", out), ==, -ENOENT);

	g_assert_cmpint(sip_dialog_request(uac, "BYE", out), ==, 0);
	g_assert_cmpint(sip_dialog_state(uac), ==, SIP_DIALOG_TERMINATED);
	g_assert_cmpstr(sip_dialog_state_name(sip_dialog_state(uac)), ==, "terminated");
	/* a 2xx that crossed the BYE still gets its ACK; nothing else is built */
	g_string_truncate(out, 0);
	g_assert_cmpint(sip_dialog_request(uac, "ACK", out), ==, 0);
	g_assert_nonnull(strstr(out->str, "ACK "));
	g_assert_cmpint(sip_dialog_request(uac, "INFO", out), ==, -ENOENT);
}

/* §12.2.1.2: a 481 to a request within the dialog terminates it. */
static void test_481_terminates(void)
{
	g_autoptr(SipDialog) dlg = uac_dialog(200, "c7", NULL);
	g_autoptr(SipMsg) r481 = uac_response(481, "c7", NULL, NULL);

	g_assert_cmpint(sip_dialog_uac_response(dlg, r481), ==, 0);
	g_assert_cmpint(sip_dialog_state(dlg), ==, SIP_DIALOG_TERMINATED);
}

static void count_destroy(void *p)
{
	(*(int *)p)++;
}

/* Ownership: the destructor given at creation runs once, when the last reference (the
 * table's or the caller's) goes; freeing the table drops its references. */
static void test_memory(void)
{
	g_autoptr(SipMsg) req = parse(invite_text);
	SipDialogTable *tbl = sip_dialog_table_new();
	SipDialog *dlg = NULL;
	int destroyed = 0;

	g_assert_cmpint(sip_dialog_new_uas(&dlg, req, "b1", count_destroy, &destroyed), ==, 0);
	g_assert_true(sip_dialog_user_data(dlg) == &destroyed);
	g_assert_cmpint(sip_dialog_table_add(tbl, dlg), ==, 0);
	sip_dialog_unref(dlg);
	g_assert_cmpint(destroyed, ==, 0);
	sip_dialog_table_free(tbl);
	g_assert_cmpint(destroyed, ==, 1);

	tbl = sip_dialog_table_new();
	g_assert_cmpint(sip_dialog_new_uas(&dlg, req, "b2", count_destroy, &destroyed), ==, 0);
	g_assert_cmpint(sip_dialog_table_add(tbl, dlg), ==, 0);
	sip_dialog_table_remove(tbl, dlg);
	g_assert_cmpint(destroyed, ==, 1);
	sip_dialog_unref(dlg);
	g_assert_cmpint(destroyed, ==, 2);
	sip_dialog_table_free(tbl);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/sip/dialog/uas/create-route-set-order-12.1.1", test_uas_create);
	g_test_add_func("/sip/dialog/uas/no-contact-400-12.1.1", test_uas_no_contact);
	g_test_add_func("/sip/dialog/uac/create-route-set-reversed-12.1.2", test_uac_create);
	g_test_add_func("/sip/dialog/uac/no-to-tag-no-dialog-12.1.2", test_uac_no_tag);
	g_test_add_func("/sip/dialog/uac/early-to-confirmed-13.2.2.4", test_early_to_confirmed);
	g_test_add_func("/sip/dialog/uac/forking-two-to-tags-12.1.2-12.3", test_forking);
	g_test_add_func("/sip/dialog/request/loose-routing-12.2.1.1", test_request_loose);
	g_test_add_func("/sip/dialog/request/strict-router-12.2.1.1", test_request_strict);
	g_test_add_func("/sip/dialog/request/no-route-set-12.2.1.1", test_request_no_routes);
	g_test_add_func("/sip/dialog/request/local-cseq-increments-12.2.1.1", test_local_cseq);
	g_test_add_func("/sip/dialog/uas/remote-cseq-out-of-order-500-12.2.2",
	                test_remote_cseq_order);
	g_test_add_func("/sip/dialog/uas/target-refresh-reinvite-12.2.2", test_target_refresh_uas);
	g_test_add_func("/sip/dialog/uac/target-refresh-2xx-12.2.1.2", test_target_refresh_uac);
	g_test_add_func("/sip/dialog/table/lookup-miss-481-12.2.2", test_lookup_miss);
	g_test_add_func("/sip/dialog/bye-terminates-15.1", test_bye_terminates);
	g_test_add_func("/sip/dialog/uac/481-terminates-12.2.1.2", test_481_terminates);
	g_test_add_func("/sip/dialog/memory-destructor-once", test_memory);
	return g_test_run();
}
