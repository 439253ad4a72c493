/* test_sip_merged.c: the UA core's merged-request table (RFC 3261 §8.2.2.2, merged.h):
 * which requests count as merged, expiry by age, the cap on entries with the oldest going
 * first, and a size per entry that does not grow with the request. */
#include "config.h"
#include "test_util.h"

#include <string.h>

#include "modules/sip/merged.h"

#define AGE 32000

static struct sip_msg *request(const char *method, const char *branch, const char *tag,
                               const char *call_id, unsigned cseq, const char *to_params)
{
	g_autofree char *text =
	    g_strdup_printf("%s sip:bob@example.com SIP/2.0\r\n"
	                    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=%s\r\n"
	                    "Max-Forwards: 70\r\n"
	                    "From: <sip:alice@example.com>;tag=%s\r\n"
	                    "To: <sip:bob@example.com>%s\r\n"
	                    "Call-ID: %s\r\n"
	                    "CSeq: %u %s\r\n"
	                    "Content-Length: 0\r\n\r\n",
	                    method, branch, tag, to_params, call_id, cseq, method);
	struct sip_msg *msg = NULL;
	struct sip_err err;

	g_assert_cmpint(sip_msg_parse(&msg, text, strlen(text), &err), ==, 0);
	return msg;
}

static gboolean check(SipMerged *m, const char *method, const char *branch, const char *tag,
                      const char *call_id, unsigned cseq, const char *to_params, gint64 now)
{
	struct sip_msg *msg = request(method, branch, tag, call_id, cseq, to_params);
	gboolean merged = sip_merged_check(m, msg, now);

	sip_msg_free(msg);
	return merged;
}

/* §8.2.2.2: same From tag, Call-ID and CSeq with another branch is merged; the same
 * branch again is a retransmission, and a change of any key field is another request. */
static void test_merged_detected(void)
{
	SipMerged *m = sip_merged_new(0, AGE);

	g_assert_false(check(m, "OPTIONS", "z9hG4bK1", "t1", "c1", 1, "", 0));
	g_assert_false(check(m, "OPTIONS", "z9hG4bK1", "t1", "c1", 1, "", 10));
	g_assert_true(check(m, "OPTIONS", "z9hG4bK2", "t1", "c1", 1, "", 20));
	g_assert_false(check(m, "OPTIONS", "z9hG4bK3", "t1", "c1", 2, "", 30));
	g_assert_false(check(m, "OPTIONS", "z9hG4bK4", "t2", "c1", 1, "", 40));
	g_assert_false(check(m, "OPTIONS", "z9hG4bK5", "t1", "c2", 1, "", 50));
	g_assert_false(check(m, "MESSAGE", "z9hG4bK6", "t1", "c1", 1, "", 60));
	/* the length prefixes keep "t1"+"c12" apart from "t1c"+"12" */
	g_assert_false(check(m, "OPTIONS", "z9hG4bK7", "t1c", "12", 1, "", 70));
	g_assert_false(check(m, "OPTIONS", "z9hG4bK8", "t1", "c12", 1, "", 80));
	g_assert_cmpuint(sip_merged_count(m), ==, 7);
	sip_merged_free(m);
}

/* Requests within a dialog, ACK and CANCEL are outside the check and leave no entry. */
static void test_merged_exempt(void)
{
	SipMerged *m = sip_merged_new(0, AGE);

	g_assert_false(check(m, "BYE", "z9hG4bK1", "t1", "c1", 1, ";tag=x", 0));
	g_assert_false(check(m, "BYE", "z9hG4bK2", "t1", "c1", 1, ";tag=x", 0));
	g_assert_false(check(m, "CANCEL", "z9hG4bK1", "t1", "c1", 1, "", 0));
	g_assert_false(check(m, "CANCEL", "z9hG4bK2", "t1", "c1", 1, "", 0));
	g_assert_cmpuint(sip_merged_count(m), ==, 0);
	sip_merged_free(m);
}

/* An entry lives 64*T1 from its first sighting; later the same key is a new request. */
static void test_merged_expiry_by_age(void)
{
	SipMerged *m = sip_merged_new(0, AGE);

	g_assert_false(check(m, "OPTIONS", "z9hG4bK1", "t1", "c1", 1, "", 1000));
	g_assert_false(check(m, "OPTIONS", "z9hG4bK9", "t9", "c9", 1, "", 20000));
	g_assert_true(check(m, "OPTIONS", "z9hG4bK2", "t1", "c1", 1, "", 1000 + AGE - 1));
	g_assert_false(check(m, "OPTIONS", "z9hG4bK3", "t1", "c1", 1, "", 1000 + AGE));
	/* the first entry went and the new one took its place; t9 is still remembered */
	g_assert_cmpuint(sip_merged_count(m), ==, 2);
	g_assert_true(check(m, "OPTIONS", "z9hG4bK8", "t9", "c9", 1, "", 1000 + AGE));
	sip_merged_expire(m, 20000 + AGE);
	g_assert_cmpuint(sip_merged_count(m), ==, 1);
	sip_merged_expire(m, 1000 + 2 * AGE);
	g_assert_cmpuint(sip_merged_count(m), ==, 0);
	sip_merged_free(m);
}

/* At the cap the oldest entry makes room: a flood shortens the memory, never grows it. */
static void test_merged_cap_evicts_oldest(void)
{
	SipMerged *m = sip_merged_new(4, AGE);

	for (int i = 0; i < 6; i++) {
		g_autofree char *tag = g_strdup_printf("t%d", i);
		g_assert_false(check(m, "OPTIONS", "z9hG4bKa", tag, "c", 1, "", i));
		g_assert_cmpuint(sip_merged_count(m), <=, 4);
	}
	g_assert_cmpuint(sip_merged_count(m), ==, 4);
	g_assert_cmpuint(sip_merged_max(m), ==, 4);
	g_assert_true(check(m, "OPTIONS", "z9hG4bKb", "t5", "c", 1, "", 10));
	g_assert_true(check(m, "OPTIONS", "z9hG4bKb", "t2", "c", 1, "", 10));
	g_assert_false(check(m, "OPTIONS", "z9hG4bKb", "t0", "c", 1, "", 10)); /* evicted */
	sip_merged_free(m);
}

/* An entry's size does not depend on the request: 8 KB tags, Call-IDs and branches cost
 * what short ones do, and they are still told apart. */
static void test_merged_size_fixed(void)
{
	SipMerged *m = sip_merged_new(0, AGE);
	g_autofree char *big = g_strnfill(8000, 'x');
	gsize small_bytes;

	for (int i = 0; i < 100; i++) {
		g_autofree char *tag = g_strdup_printf("s%d", i);
		g_assert_false(check(m, "OPTIONS", "z9hG4bKs", tag, "c", 1, "", 0));
	}
	small_bytes = sip_merged_bytes(m);
	for (int i = 0; i < 100; i++) {
		g_autofree char *tag = g_strdup_printf("%s%d", big, i);
		g_autofree char *branch = g_strdup_printf("z9hG4bK%s%d", big, i);
		g_assert_false(check(m, "OPTIONS", branch, tag, big, 1, "", 0));
	}
	g_assert_cmpuint(sip_merged_bytes(m), ==, 2 * small_bytes);
	g_assert_cmpuint(small_bytes, <, 100 * 256);
	{
		g_autofree char *tag = g_strdup_printf("%s%d", big, 7);
		g_autofree char *other = g_strdup_printf("z9hG4bK%s%d", big, 8);
		g_assert_true(check(m, "OPTIONS", other, tag, big, 1, "", 1));
	}
	sip_merged_free(m);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/sip/ua/merged/same-key-other-branch-8.2.2.2", test_merged_detected);
	g_test_add_func("/sip/ua/merged/in-dialog-ack-cancel-exempt-8.2.2.2", test_merged_exempt);
	g_test_add_func("/sip/ua/merged/expiry-by-age-64t1", test_merged_expiry_by_age);
	g_test_add_func("/sip/ua/merged/cap-evicts-oldest", test_merged_cap_evicts_oldest);
	g_test_add_func("/sip/ua/merged/entry-size-independent-of-request", test_merged_size_fixed);
	return g_test_run();
}
