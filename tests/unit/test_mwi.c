/* test_mwi.c: the message-summary package's text (modules/voicemail/mwi_proto.c): NOTIFY
 * bodies (RFC 3842 §5.2) built and read back, the checks of a SUBSCRIBE (RFC 6665
 * §4.2.1.1-§4.2.1.2: 489, 423 with Min-Expires, 400, 406) and Subscription-State. */
#include "modules/voicemail/mwi_proto.h"
#include "test_util.h"

#include <string.h>

static const MwiExpiry lim = {.min_expires = 60, .max_expires = 3600, .default_expires = 3600};

static struct sip_msg *subscribe(const char *extra)
{
	g_autofree char *text =
	    g_strdup_printf("SUBSCRIBE sip:1001@pbx.test SIP/2.0\r\n"
	                    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n"
	                    "From: <sip:1001@pbx.test>;tag=a\r\n"
	                    "To: <sip:1001@pbx.test>\r\n"
	                    "Call-ID: c1\r\n"
	                    "CSeq: 1 SUBSCRIBE\r\n"
	                    "Contact: <sip:1001@127.0.0.1:5062>\r\n"
	                    "Max-Forwards: 70\r\n"
	                    "%s"
	                    "Content-Length: 0\r\n\r\n",
	                    extra);
	struct sip_msg *msg = NULL;
	struct sip_err err;

	g_assert_cmpint(sip_msg_parse(&msg, text, strlen(text), &err), ==, 0);
	return msg;
}

static void test_body(void)
{
	g_autofree char *b = mwi_body("sip:1001@pbx.test", 2, 5);
	gboolean waiting = FALSE;
	guint n = 9, o = 9;

	g_assert_cmpstr(b, ==,
	                "Messages-Waiting: yes\r\nMessage-Account: sip:1001@pbx.test\r\n"
	                "Voice-Message: 2/5 (0/0)\r\n");
	g_assert_true(mwi_body_parse(b, strlen(b), &waiting, &n, &o));
	g_assert_true(waiting);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpuint(o, ==, 5);

	g_autofree char *none = mwi_body("sip:1001@pbx.test", 0, 3);
	g_assert_nonnull(strstr(none, "Messages-Waiting: no\r\n"));
	g_assert_true(mwi_body_parse(none, strlen(none), &waiting, &n, &o));
	g_assert_false(waiting);
	g_assert_cmpuint(o, ==, 3);
}

static void test_body_parse_forms(void)
{
	gboolean waiting;
	guint n, o;
	const char *lower = "messages-waiting: YES\nvoice-message: 1/0\n";
	const char *bad[] = {
	    "Voice-Message: 1/0\r\n",                          /* no Messages-Waiting */
	    "Messages-Waiting: maybe\r\n",                     /* neither yes nor no */
	    "Messages-Waiting: yes\r\nVoice-Message: x/1\r\n", /* counts */
	    "Messages-Waiting: yes\r\nVoice-Message: 1\r\n",
	    "Messages-Waiting: yes\r\nno colon here\r\n",
	};

	g_assert_true(mwi_body_parse(lower, strlen(lower), &waiting, &n, &o));
	g_assert_true(waiting);
	g_assert_cmpuint(n, ==, 1);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_false(mwi_body_parse(bad[i], strlen(bad[i]), &waiting, &n, &o));
}

static void expect(const char *extra, guint status, const char *extra_re)
{
	g_autoptr(SipMsg) msg = subscribe(extra);
	MwiCheck c;

	mwi_subscribe_check(msg, &lim, &c);
	g_assert_cmpuint(c.status, ==, status);
	if (extra_re)
		g_assert_true(g_regex_match_simple(extra_re, c.extra ? c.extra : "", 0, 0));
	mwi_check_clear(&c);
}

/* RFC 6665 §4.2.1.1: the package, the interval, the body types a subscriber takes. */
static void test_subscribe_check(void)
{
	expect("", 489, "^Allow-Events: message-summary\r\n$");
	expect("Event: presence\r\n", 489, "Allow-Events: message-summary");
	expect("Event: ;id=1\r\n", 400, NULL);
	expect("Event: message-summary\r\nEvent: message-summary\r\n", 400, NULL);
	expect("Event: message-summary\r\nExpires: soon\r\n", 400, NULL);
	expect("Event: message-summary\r\nExpires: 99999999999\r\n", 400, NULL);
	expect("Event: message-summary\r\nExpires: 59\r\n", 423, "^Min-Expires: 60\r\n$");
	expect("Event: message-summary\r\nAccept: application/pidf+xml\r\n", 406, "Accept:");
	g_autofree char *long_id = g_strdup_printf("Event: message-summary;id=%0100d\r\n", 1);
	expect(long_id, 400, NULL);
}

static void granted(const char *extra, guint32 expires, const char *id)
{
	g_autoptr(SipMsg) msg = subscribe(extra);
	MwiCheck c;

	mwi_subscribe_check(msg, &lim, &c);
	g_assert_cmpuint(c.status, ==, 0);
	g_assert_cmpuint(c.expires, ==, expires);
	g_assert_cmpstr(c.event_id, ==, id);
	mwi_check_clear(&c);
}

static void test_subscribe_granted(void)
{
	granted("Event: message-summary\r\n", 3600, ""); /* the default */
	granted("Event: Message-Summary\r\nExpires: 600\r\n", 600, "");
	granted("Event: message-summary\r\nExpires: 86400\r\n", 3600, ""); /* cut */
	granted("Event: message-summary\r\nExpires: 0\r\n", 0, "");        /* fetch */
	granted("o: message-summary;id=7\r\nExpires: 60\r\n", 60, "7");    /* compact form */
	granted("Event: message-summary\r\nAccept: application/simple-message-summary\r\n", 3600,
	        "");
	granted("Event: message-summary\r\nAccept: text/plain, application/*\r\n", 3600, "");
	granted("Event: message-summary\r\nAccept: */*\r\n", 3600, "");
}

static void test_substate(void)
{
	g_autofree char *a = mwi_substate(600, NULL);
	g_autofree char *t = mwi_substate(0, "timeout");

	g_assert_cmpstr(a, ==, "active;expires=600");
	g_assert_cmpstr(t, ==, "terminated;reason=timeout");
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/mwi/body/rfc3842-5.2", test_body);
	g_test_add_func("/mwi/body/parse-forms", test_body_parse_forms);
	g_test_add_func("/mwi/subscribe/refused-rfc6665-4.2.1.1", test_subscribe_check);
	g_test_add_func("/mwi/subscribe/granted-rfc6665-4.2.1.1", test_subscribe_granted);
	g_test_add_func("/mwi/substate/rfc6665-8.2.3", test_substate);
	return g_test_run();
}
