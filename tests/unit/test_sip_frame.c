/* tests/unit/test_sip_frame.c: unit tests of message framing (RFC 3261 §18.3, §7.5): where one
 * message ends in a datagram or in a byte stream read in pieces. No sockets: buffers only. */
#include <crossbar/sipmsg.h>

#include <string.h>

#define CRLF "\r\n"
#define HEAD                                                                                       \
	"MESSAGE sip:a@b.example.com SIP/2.0" CRLF "Via: SIP/2.0/TCP h;branch=z9hG4bK1" CRLF       \
	"To: <sip:a@b.example.com>" CRLF "From: <sip:c@d.example.com>;tag=1" CRLF                  \
	"Call-ID: fr" CRLF "CSeq: 1 MESSAGE" CRLF "Content-Type: text/plain" CRLF

/* §18.3: in a datagram, octets past Content-Length are ignored. */
static void test_dgram_trailing_octets(void)
{
	const char m[] = HEAD "Content-Length: 5" CRLF CRLF "hello, and more";
	struct sip_err err;
	size_t len;

	g_assert_cmpint(sip_frame_dgram(m, strlen(m), &len, &err), ==, 0);
	g_assert_cmpuint(len, ==, strlen(m) - strlen(", and more"));
}

/* §18.3: in a datagram without Content-Length, the body runs to the datagram's end. */
static void test_dgram_no_content_length(void)
{
	const char m[] = HEAD CRLF "whole rest";
	struct sip_err err;
	size_t len;

	g_assert_cmpint(sip_frame_dgram(m, strlen(m), &len, &err), ==, 0);
	g_assert_cmpuint(len, ==, strlen(m));
}

/* §18.3: a Content-Length past the datagram's end is an error. */
static void test_dgram_content_length_too_big(void)
{
	const char m[] = HEAD "Content-Length: 50" CRLF CRLF "short";
	struct sip_err err;
	size_t len;

	g_assert_cmpint(sip_frame_dgram(m, strlen(m), &len, &err), ==, -EBADMSG);
	g_assert_cmpuint(err.status, ==, 400);
	g_assert_cmpstr(err.reason, ==, "Content-Length Larger Than Datagram");
	g_assert_cmpint(sip_frame_dgram(HEAD, strlen(HEAD), &len, &err), ==, -EBADMSG);
	g_assert_cmpstr(err.reason, ==, "Missing Empty Line After Headers");
	g_assert_cmpint(sip_frame_dgram(CRLF CRLF, 4, &len, &err), ==, -ENODATA);
}

/* §18.3: over a stream Content-Length is mandatory. */
static void test_stream_missing_content_length(void)
{
	const char m[] = HEAD CRLF "body";
	struct sip_err err;
	size_t skip, len;

	g_assert_cmpint(sip_frame_stream(m, strlen(m), &skip, &len, &err), ==, -EBADMSG);
	g_assert_cmpuint(err.status, ==, 400);
	g_assert_cmpstr(err.reason, ==, "Missing Content-Length");
	const char b[] = HEAD "Content-Length: ten" CRLF CRLF;
	g_assert_cmpint(sip_frame_stream(b, strlen(b), &skip, &len, &err), ==, -EBADMSG);
	g_assert_cmpstr(err.reason, ==, "Bad Content-Length");
}

/* §18.3: a stream read one octet at a time asks for more until the message is whole. */
static void test_stream_partial_reads(void)
{
	const char m[] = HEAD "Content-Length: 4" CRLF CRLF "ping";
	size_t n = strlen(m);
	struct sip_err err;
	size_t skip, len;

	for (size_t i = 0; i < n; i++)
		g_assert_cmpint(sip_frame_stream(m, i, &skip, &len, &err), ==, -EAGAIN);
	g_assert_cmpint(sip_frame_stream(m, n, &skip, &len, &err), ==, 0);
	g_assert_cmpuint(skip, ==, 0);
	g_assert_cmpuint(len, ==, n);
}

/* Resumed framing gives the same answers octet by octet, and looks at each octet once: the
 * state says how far it got, so the next call starts there (and the body is not rescanned
 * once the headers gave its length). */
static void test_stream_resume(void)
{
	const char m[] = CRLF HEAD "Content-Length: 4" CRLF CRLF "ping";
	size_t n = strlen(m), off = 0;
	struct sip_frame_state st = {0, 0};
	struct sip_err err;
	size_t skip, len;

	for (size_t i = 1; i < n; i++) {
		g_assert_cmpint(sip_frame_stream_resume(m + off, i - off, &st, &skip, &len, &err),
		                ==, -EAGAIN);
		off += skip; /* the caller drops the skipped CRLFs */
		if (!st.need)
			g_assert_cmpuint(st.scanned, ==, i - off);
	}
	g_assert_cmpuint(st.need, ==, n - 2);
	g_assert_cmpint(sip_frame_stream_resume(m + off, n - off, &st, &skip, &len, &err), ==, 0);
	g_assert_cmpuint(len, ==, n - 2);
}

/* Bare line feeds never end a header section: scanning them an octet at a time keeps its
 * place, and the 513 comes when they pass the message size. */
static void test_stream_resume_bare_lf(void)
{
	g_autofree char *lf = g_malloc(SIP_MAX_MSG_SIZE + 2);
	struct sip_frame_state st = {0, 0};
	struct sip_err err;
	size_t skip, len;

	memset(lf, '\n', SIP_MAX_MSG_SIZE + 2);
	for (size_t i = 1; i <= SIP_MAX_MSG_SIZE; i++) {
		g_assert_cmpint(sip_frame_stream_resume(lf, i, &st, &skip, &len, &err), ==,
		                -EAGAIN);
		g_assert_cmpuint(st.scanned, ==, i);
	}
	g_assert_cmpint(sip_frame_stream_resume(lf, SIP_MAX_MSG_SIZE + 1, &st, &skip, &len, &err),
	                ==, -EMSGSIZE);
	g_assert_cmpuint(err.status, ==, 513);
}

/* §7.5, RFC 5626 §3.5.1: CRLF keep-alives between messages; two messages back to back; the
 * compact form l counts. */
static void test_stream_pipelined(void)
{
	const char m[] =
	    CRLF CRLF HEAD "l: 2" CRLF CRLF "ab" HEAD "Content-Length:  0 " CRLF CRLF "SIP/2.0";
	struct sip_err err;
	size_t skip, len, off;
	struct sip_msg *msg;

	g_assert_cmpint(sip_frame_stream(m, strlen(m), &skip, &len, &err), ==, 0);
	g_assert_cmpuint(skip, ==, 4);
	g_assert_cmpint(sip_msg_parse(&msg, m + skip, len, &err), ==, 0);
	g_assert_cmpmem(msg->body.p, msg->body.l, "ab", 2);
	sip_msg_free(msg);
	off = skip + len;
	g_assert_cmpint(sip_frame_stream(m + off, strlen(m) - off, &skip, &len, &err), ==, 0);
	g_assert_cmpuint(skip, ==, 0);
	g_assert_cmpint(sip_msg_parse(&msg, m + off, len, &err), ==, 0);
	g_assert_cmpuint(msg->body.l, ==, 0);
	sip_msg_free(msg);
	off += len;
	g_assert_cmpint(sip_frame_stream(m + off, strlen(m) - off, &skip, &len, &err), ==, -EAGAIN);
	g_assert_cmpint(sip_frame_stream(CRLF, 2, &skip, &len, &err), ==, -EAGAIN);
	g_assert_cmpuint(skip, ==, 2);
}

/* Limits: headers that never end, or a Content-Length past the maximum, are refused (513). */
static void test_stream_limits(void)
{
	char *junk = g_strnfill(SIP_MAX_MSG_SIZE + 1, 'a');
	const char big[] = HEAD "Content-Length: 4294967295" CRLF CRLF;
	struct sip_err err;
	size_t skip, len;

	g_assert_cmpint(sip_frame_stream(junk, strlen(junk), &skip, &len, &err), ==, -EMSGSIZE);
	g_assert_cmpuint(err.status, ==, 513);
	g_assert_cmpint(sip_frame_dgram(junk, strlen(junk), &len, &err), ==, -EMSGSIZE);
	g_assert_cmpint(sip_frame_stream(big, strlen(big), &skip, &len, &err), ==, -EMSGSIZE);
	g_assert_cmpuint(err.status, ==, 513);
	g_free(junk);
}

/* Conflicting Content-Length values are refused rather than guessed at. */
static void test_conflicting_content_length(void)
{
	const char m[] = HEAD "Content-Length: 1" CRLF "l: 2" CRLF CRLF "ab";
	struct sip_err err;
	size_t skip, len;

	g_assert_cmpint(sip_frame_stream(m, strlen(m), &skip, &len, &err), ==, -EBADMSG);
	g_assert_cmpint(sip_frame_dgram(m, strlen(m), &len, &err), ==, -EBADMSG);
}

static gboolean sheddable(const char *text)
{
	return sip_dgram_sheddable(text, strlen(text));
}

/* Under deep overload a datagram may be dropped unparsed only when it starts new work
 * without credentials: REGISTER, OPTIONS and such outside a dialog. Responses, INVITE,
 * ACK, CANCEL, BYE, requests within a dialog (To tag, in any case or folded) and the
 * second half of a digest exchange are kept, as is anything the parser must judge. */
static void test_dgram_sheddable(void)
{
#define REQ(method, extra, to)                                                                     \
	method " sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"           \
	       "From: <sip:a@pbx.test>;tag=1\r\nTo: <sip:a@pbx.test>" to "\r\n" extra              \
	       "Call-ID: c\r\nCSeq: 1 " method "\r\nContent-Length: 0\r\n\r\n"
	g_assert_true(sheddable(REQ("REGISTER", "", "")));
	g_assert_true(sheddable(REQ("OPTIONS", "", "")));
	g_assert_true(sheddable(REQ("SUBSCRIBE", "Expires: 60\r\n", ";foo=tag")));
	g_assert_false(sheddable(REQ("REGISTER", "Authorization: Digest username=\"a\"\r\n", "")));
	g_assert_false(sheddable(REQ("REGISTER", "authorization : Digest x\r\n", "")));
	g_assert_false(sheddable(REQ("MESSAGE", "Proxy-Authorization: Digest x\r\n", "")));
	g_assert_false(sheddable(REQ("MESSAGE", "", ";tag=b")));
	g_assert_false(sheddable(REQ("NOTIFY", "", "; TAG=b")));
	g_assert_false(sheddable(REQ("NOTIFY", "", "\r\n ;tag=b")));
	g_assert_false(sheddable("MESSAGE sip:a SIP/2.0\r\nt: <sip:b>;tag=x\r\n\r\n"));
	g_assert_false(sheddable(REQ("INVITE", "", "")));
	g_assert_false(sheddable(REQ("ACK", "", "")));
	g_assert_false(sheddable(REQ("CANCEL", "", "")));
	g_assert_false(sheddable(REQ("BYE", "", "")));
	g_assert_false(sheddable("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x\r\n\r\n"));
	g_assert_false(sheddable("REGISTER sip:pbx.test SIP/2.0\r\nVia: x")); /* no end */
	g_assert_false(sheddable("REG"));
#undef REQ
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip/frame/dgram-trailing-octets-rfc3261-18.3",
	                test_dgram_trailing_octets);
	g_test_add_func("/sip/frame/dgram-no-content-length-rfc3261-18.3",
	                test_dgram_no_content_length);
	g_test_add_func("/sip/frame/dgram-content-length-too-big-rfc3261-18.3",
	                test_dgram_content_length_too_big);
	g_test_add_func("/sip/frame/stream-missing-content-length-rfc3261-18.3",
	                test_stream_missing_content_length);
	g_test_add_func("/sip/frame/stream-partial-reads-rfc3261-18.3", test_stream_partial_reads);
	g_test_add_func("/sip/frame/stream-pipelined-keepalive-rfc3261-7.5", test_stream_pipelined);
	g_test_add_func("/sip/frame/stream-limits-513", test_stream_limits);
	g_test_add_func("/sip/frame/conflicting-content-length", test_conflicting_content_length);
	g_test_add_func("/sip/frame/stream-resume-scans-once", test_stream_resume);
	g_test_add_func("/sip/frame/stream-resume-bare-lf-513", test_stream_resume_bare_lf);
	g_test_add_func("/sip/frame/dgram-sheddable-unparsed", test_dgram_sheddable);
	return g_test_run();
}
