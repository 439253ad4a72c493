/* test_sip_util.h: what the message-layer tests share: parsing helpers that fail the test
 * with the parser's reason, and a well-formed INVITE of RFC 3261 §24.2's shape. */
#pragma once

#include <crossbar/sipmsg.h>

#include <string.h>

#define CRLF "\r\n"

static struct sip_msg *parse_ok(const char *s)
{
	struct sip_msg *msg = NULL;
	struct sip_err err = {0, NULL};
	int r = sip_msg_parse(&msg, s, strlen(s), &err);

	if (r != 0)
		g_test_message("parse failed: %d %u %s", r, err.status, err.reason);
	g_assert_cmpint(r, ==, 0);
	g_assert_nonnull(msg);
	return msg;
}

/* Parses s expecting a failure with this status and reason; returns the message if the parser
 * kept one (a request it can still answer). */
static struct sip_msg *parse_fail(const char *s, unsigned status, const char *reason)
{
	struct sip_msg *msg = NULL;
	struct sip_err err = {0, NULL};
	int r = sip_msg_parse(&msg, s, strlen(s), &err);

	g_assert_cmpint(r, <, 0);
	g_assert_cmpuint(err.status, ==, status);
	g_assert_cmpstr(err.reason, ==, reason);
	return msg;
}

static void assert_pl(const struct sip_pl *pl, const char *s)
{
	g_assert_cmpmem(pl->p, pl->l, s, strlen(s));
}

#define INVITE_HEAD                                                                                \
	"INVITE sip:bob@biloxi.example.com SIP/2.0" CRLF                                           \
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds" CRLF                   \
	"Max-Forwards: 70" CRLF "To: Bob <sip:bob@biloxi.example.com>" CRLF                        \
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774" CRLF                          \
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF "CSeq: 314159 INVITE" CRLF         \
	"Contact: <sip:alice@pc33.atlanta.example.com>" CRLF

static const char invite[] =
    INVITE_HEAD "Content-Type: application/sdp" CRLF "Content-Length: 5" CRLF CRLF "v=0" CRLF;
