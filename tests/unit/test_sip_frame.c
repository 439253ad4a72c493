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

/* reply_503 TEXT HOST PORT: the unparsed 503 for TEXT from HOST:PORT, parsed back; NULL when
 * none was built. *rc gets the builder's answer, *dest where the 503 goes. */
static struct sip_msg *reply_503(const char *text, const char *host, guint16 port, int *rc,
                                 guint16 *dest, GString *out)
{
	struct sip_msg *msg = NULL;
	struct sip_err err;

	g_string_assign(out, "kept");
	*dest = 0;
	*rc = sip_dgram_reply_503(text, strlen(text), host, port, "f00d", out, dest);
	if (*rc != 1) {
		g_assert_cmpstr(out->str, ==, "kept"); /* nothing appended */
		return NULL;
	}
	g_assert_true(g_str_has_prefix(out->str, "kept"));
	g_assert_cmpint(sip_msg_parse(&msg, out->str + 4, out->len - 4, &err), ==, 0);
	return msg;
}

/* The 503 a transport far behind sends without parsing (§21.5.4, §8.2.6.2): the Vias in
 * order, the top one stamped with received and rport (§18.2.1, RFC 3581), From, To with a
 * tag, Call-ID and CSeq as they came, Retry-After; sent where §18.2.2 says. Whatever is
 * unusual is left to the parser. */
static void test_dgram_reply_503(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	struct sip_msg *m;
	guint16 dest;
	int rc;

	m = reply_503("REGISTER sip:pbx.test SIP/2.0\r\n"
	              "Via: SIP/2.0/UDP 192.0.2.1:5070;rport;branch=z9hG4bK1\r\n"
	              "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK0, SIP/2.0/UDP 192.0.2.8\r\n"
	              "From: <sip:a@pbx.test>;tag=1\r\nTo: <sip:a@pbx.test>\r\n"
	              "Call-ID: c1@x\r\nCSeq: 7 REGISTER\r\nContact: <sip:a@192.0.2.1>\r\n"
	              "Content-Length: 0\r\n\r\n",
	              "198.51.100.7", 40000, &rc, &dest, out);
	g_assert_cmpint(rc, ==, 1);
	g_assert_nonnull(m);
	g_assert_true(!m->is_request && m->status == 503);
	g_assert_cmpuint(m->nvia, ==, 3); /* values, as in the request */
	g_assert_true(sip_pl_eq(&m->via.received, "198.51.100.7"));
	g_assert_cmpint(m->via.rport, ==, 40000);
	g_assert_true(sip_pl_eq(&m->via.branch, "z9hG4bK1"));
	g_assert_true(m->to.has_tag && sip_pl_eq(&m->to.tag, "f00d"));
	g_assert_true(m->from.has_tag && sip_pl_eq(&m->from.tag, "1"));
	g_assert_true(sip_pl_eq(&m->call_id, "c1@x"));
	g_assert_cmpuint(m->cseq.num, ==, 7);
	g_assert_cmpuint(m->count[SIP_HDR_RETRY_AFTER], ==, 1);
	g_assert_cmpuint(m->count[SIP_HDR_CONTACT], ==, 0);
	g_assert_cmpuint(dest, ==, 40000); /* rport: back to the source port */
	g_assert_nonnull(strstr(out->str, "z9hG4bK0, SIP/2.0/UDP 192.0.2.8\r\n"));
	sip_msg_free(m);

	/* compact forms, bare LF, no rport: the Via's port, else 5060 */
	m = reply_503(
	    "OPTIONS sip:pbx.test SIP/2.0\nv: SIP/2.0/UDP [2001:db8::1]:5080;branch=z9hG4bKx\n"
	    "f: <sip:a@pbx.test>;tag=2\nt: sip:b@pbx.test\ni: c2\nCSeq: 1 OPTIONS\n\n",
	    "2001:db8::1", 41000, &rc, &dest, out);
	g_assert_nonnull(m);
	g_assert_cmpint(m->via.rport, ==, -1);
	g_assert_true(sip_pl_eq(&m->via.received, "2001:db8::1"));
	g_assert_true(m->to.has_tag && sip_pl_eq(&m->to.tag, "f00d"));
	g_assert_cmpuint(dest, ==, 5080);
	sip_msg_free(m);
	m = reply_503(
	    "OPTIONS sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP host.example;branch=z9hG4bKy\r\n"
	    "From: <sip:a@pbx.test>;tag=3\r\nTo: <sip:b@pbx.test>\r\nCall-ID: c3\r\n"
	    "CSeq: 1 OPTIONS\r\n\r\n",
	    "192.0.2.5", 42000, &rc, &dest, out);
	g_assert_nonnull(m);
	g_assert_cmpuint(dest, ==, 5060);
	sip_msg_free(m);

	/* not sheddable: served as usual */
	g_assert_null(
	    reply_503("INVITE sip:b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	              "From: <sip:a>;tag=1\r\nTo: <sip:b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
	              "192.0.2.5", 1, &rc, &dest, out));
	g_assert_cmpint(rc, ==, 0);
	/* sheddable but unusual: left to the parser */
	static const char *const unusual[] = {
	    "Via: SIP/2.0/UDP h;maddr=192.0.2.99;branch=z9hG4bK1\r\nFrom: <sip:a>;tag=1\r\n"
	    "To: <sip:b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n",
	    "Via: SIP/2.0/UDP h;received=192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a>;tag=1\r\n"
	    "To: <sip:b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n",
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a>;tag=1\r\nTo: <sip:b>\r\n"
	    "CSeq: 1 OPTIONS\r\n", /* no Call-ID */
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a>;tag=1\r\nFrom: <sip:c>;tag=2\r\n"
	    "To: <sip:b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n",
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a>;tag=1\r\nTo: <sip:b>\r\n"
	    "Call-ID: c\r\n d\r\nCSeq: 1 OPTIONS\r\n", /* folded */
	    "Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:a>;tag=1\r\nTo: <sip:b>\r\n"
	    "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n",
	    "Via: SIP/2.0/UDP h;x=\"a;b\";branch=z9hG4bK1\r\nFrom: <sip:a>;tag=1\r\n"
	    "To: <sip:b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n",
	    "Via: SIP/2.0/UDP h:99999;branch=z9hG4bK1\r\nFrom: <sip:a>;tag=1\r\n"
	    "To: <sip:b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n",
	};
	for (guint i = 0; i < G_N_ELEMENTS(unusual); i++) {
		g_autofree char *req =
		    g_strconcat("OPTIONS sip:b SIP/2.0\r\n", unusual[i], "\r\n", NULL);
		g_assert_null(reply_503(req, "192.0.2.5", 1, &rc, &dest, out));
		g_assert_cmpint(rc, ==, -1);
	}
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
	g_test_add_func("/sip/frame/dgram-503-unparsed-rfc3261-21.5.4", test_dgram_reply_503);
	return g_test_run();
}
