/* Unit tests of the SDP library (lib/sdp/): real-world descriptions (baresip with ICE,
 * SIPp's, Polycom's and Yealink's offers) parsed, printed and parsed again (RFC 8866);
 * malformed ones refused with their line number; the bounds; and the answers of RFC 3264
 * (codec intersection in the offerer's order, telephone-event, directions and hold,
 * rejected streams, version changes on re-offers); ICE credentials read from an offer and
 * an ICE-lite agent's attributes and host candidates written (RFC 8839). */
#include <crossbar/sdp.h>

#include <string.h>

#include <glib.h>

/* clang-format off */
/* baresip 3.x with its ICE module: opus, G.722, G.711 and telephone-event, RFC 3605 rtcp. */
static const char baresip_offer[] =
	"v=0\r\n"
	"o=- 3738124117 3459393823 IN IP4 192.168.1.10\r\n"
	"s=-\r\n"
	"c=IN IP4 192.168.1.10\r\n"
	"t=0 0\r\n"
	"a=tool:baresip 3.10.1\r\n"
	"a=ice-ufrag:c2d4\r\n"
	"a=ice-pwd:4a43c3a4f2a3dc0e1c0b2bb3\r\n"
	"m=audio 10086 RTP/AVP 96 9 0 8 101\r\n"
	"b=AS:96\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"a=rtcp:10087 IN IP4 192.168.1.10\r\n"
	"a=sendrecv\r\n"
	"a=label:1\r\n"
	"a=ssrc:1467238400 cname:cfa0d2c3-6b0f-4e4d\r\n"
	"a=rtcp-rsize\r\n"
	"a=ptime:20\r\n"
	"a=candidate:1 1 UDP 2113932031 192.168.1.10 10086 typ host\r\n"
	"a=candidate:1 2 UDP 2113932030 192.168.1.10 10087 typ host\r\n";

/* SIPp's built-in uac scenario. Already in the printer's order, so it prints back as is. */
static const char sipp_offer[] =
	"v=0\r\n"
	"o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 6000 RTP/AVP 0\r\n"
	"a=rtpmap:0 PCMU/8000\r\n";

/* A Polycom VVX: session-level direction, G.722 first, G.729 with annexb=no. LF only. */
static const char polycom_offer[] =
	"v=0\n"
	"o=- 1700000000 1700000000 IN IP4 192.168.10.20\n"
	"s=Polycom IP Phone\n"
	"c=IN IP4 192.168.10.20\n"
	"t=0 0\n"
	"a=sendrecv\n"
	"m=audio 2222 RTP/AVP 9 0 8 18 127\n"
	"a=rtpmap:9 G722/8000\n"
	"a=rtpmap:0 PCMU/8000\n"
	"a=rtpmap:8 PCMA/8000\n"
	"a=rtpmap:18 G729/8000\n"
	"a=fmtp:18 annexb=no\n"
	"a=rtpmap:127 telephone-event/8000\n";

/* A Yealink T4x: rtpmap of telephone-event after the direction, ptime, a trailing CRLF. */
static const char yealink_offer[] =
	"v=0\r\n"
	"o=- 20012 20012 IN IP4 192.168.1.100\r\n"
	"s=SDP data\r\n"
	"c=IN IP4 192.168.1.100\r\n"
	"t=0 0\r\n"
	"m=audio 11800 RTP/AVP 9 0 8 18 101\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:18 G729/8000\r\n"
	"a=fmtp:18 annexb=no\r\n"
	"a=ptime:20\r\n"
	"a=sendrecv\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=fmtp:101 0-15\r\n"
	"\r\n";
/* clang-format on */

static XbSdpSession *parse_ok(const char *text)
{
	g_autoptr(GError) error = NULL;
	XbSdpSession *sdp = xb_sdp_parse(text, -1, &error);

	g_assert_no_error(error);
	g_assert_nonnull(sdp);
	return sdp;
}

static const XbSdpFormat *fmt(const XbSdpMedia *m, guint i)
{
	g_assert_cmpuint(i, <, m->formats->len);
	return m->formats->pdata[i];
}

/* parse -> print -> parse -> print gives the same text twice. */
static void assert_round_trip(const char *text)
{
	g_autoptr(XbSdpSession) a = parse_ok(text);
	g_autofree char *pa = xb_sdp_print(a);
	g_autoptr(XbSdpSession) b = parse_ok(pa);
	g_autofree char *pb = xb_sdp_print(b);
	g_autoptr(XbSdpSession) c = xb_sdp_session_copy(b);
	g_autofree char *pc = xb_sdp_print(c);

	g_assert_cmpstr(pa, ==, pb);
	g_assert_cmpstr(pa, ==, pc);
}

static void test_parse_baresip(void)
{
	g_autoptr(XbSdpSession) sdp = parse_ok(baresip_offer);
	XbSdpMedia *m;
	bool found;
	unsigned candidates = 0;

	g_assert_cmpstr(sdp->origin.username, ==, "-");
	g_assert_cmpstr(sdp->origin.sess_id, ==, "3738124117");
	g_assert_cmpuint(sdp->origin.sess_version, ==, 3459393823u);
	g_assert_cmpstr(sdp->origin.address, ==, "192.168.1.10");
	g_assert_true(sdp->connection.present);
	g_assert_false(sdp->connection.ipv6);
	g_assert_cmpuint(sdp->media->len, ==, 1);
	m = sdp->media->pdata[0];
	g_assert_cmpstr(m->media, ==, "audio");
	g_assert_cmpuint(m->port, ==, 10086);
	g_assert_cmpstr(m->proto, ==, "RTP/AVP");
	g_assert_cmpuint(m->formats->len, ==, 5);
	g_assert_cmpstr(fmt(m, 0)->encoding, ==, "opus");
	g_assert_cmpuint(fmt(m, 0)->clock_rate, ==, 48000);
	g_assert_cmpuint(fmt(m, 0)->channels, ==, 2);
	g_assert_cmpstr(fmt(m, 0)->fmtp, ==, "stereo=1;sprop-stereo=1");
	g_assert_cmpstr(fmt(m, 1)->encoding, ==, "G722");
	g_assert_cmpstr(fmt(m, 4)->encoding, ==, "telephone-event");
	g_assert_cmpstr(fmt(m, 4)->fmtp, ==, "0-15");
	g_assert_cmpuint(m->ptime, ==, 20);
	g_assert_cmpuint(m->rtcp_port, ==, 10087);
	g_assert_cmpstr(m->rtcp.address, ==, "192.168.1.10");
	g_assert_cmpint(m->direction, ==, XB_SDP_DIR_SENDRECV);
	/* ICE attributes, kept as text: session-level ufrag/pwd, media-level candidates */
	g_assert_cmpstr(xb_sdp_media_attr(sdp, m, "ice-ufrag", NULL), ==, "c2d4");
	g_assert_cmpstr(xb_sdp_media_attr(sdp, m, "ice-pwd", NULL), ==, "4a43c3a4f2a3dc0e1c0b2bb3");
	g_assert_null(xb_sdp_media_attr(sdp, m, "ice-lite", &found));
	g_assert_false(found);
	g_assert_null(xb_sdp_media_attr(sdp, m, "rtcp-rsize", &found));
	g_assert_true(found);
	for (guint i = 0; i < m->lines->len; i++) {
		const XbSdpLine *l = m->lines->pdata[i];

		if (l->type == 'a' && strcmp(l->name, "candidate") == 0) {
			candidates++;
			g_assert_true(g_str_has_suffix(l->value, "typ host"));
		}
	}
	g_assert_cmpuint(candidates, ==, 2);
	g_assert_false(xb_sdp_media_is_hold(sdp, m));
	assert_round_trip(baresip_offer);
}

static void test_parse_sipp(void)
{
	g_autoptr(XbSdpSession) sdp = parse_ok(sipp_offer);
	g_autofree char *text = xb_sdp_print(sdp);
	XbSdpMedia *m = sdp->media->pdata[0];

	g_assert_cmpstr(sdp->origin.username, ==, "user1");
	g_assert_cmpstr(fmt(m, 0)->encoding, ==, "PCMU");
	g_assert_true(fmt(m, 0)->has_rtpmap);
	g_assert_cmpint(xb_sdp_media_direction(sdp, m), ==, XB_SDP_DIR_SENDRECV);
	g_assert_cmpint(m->direction, ==, XB_SDP_DIR_NONE);
	g_assert_cmpstr(text, ==, sipp_offer);
}

static void test_parse_polycom_yealink(void)
{
	g_autoptr(XbSdpSession) p = parse_ok(polycom_offer);
	g_autoptr(XbSdpSession) y = parse_ok(yealink_offer);
	XbSdpMedia *pm = p->media->pdata[0], *ym = y->media->pdata[0];

	g_assert_cmpstr(p->name, ==, "Polycom IP Phone");
	g_assert_cmpint(p->direction, ==, XB_SDP_DIR_SENDRECV);
	g_assert_cmpint(pm->direction, ==, XB_SDP_DIR_NONE);
	g_assert_cmpint(xb_sdp_media_direction(p, pm), ==, XB_SDP_DIR_SENDRECV);
	g_assert_cmpstr(fmt(pm, 0)->encoding, ==, "G722");
	g_assert_cmpuint(fmt(pm, 0)->clock_rate, ==, 8000);
	g_assert_cmpstr(fmt(pm, 3)->fmtp, ==, "annexb=no");
	g_assert_cmpuint(fmt(pm, 4)->pt, ==, 127);
	g_assert_cmpstr(fmt(pm, 4)->encoding, ==, "telephone-event");
	g_assert_cmpuint(pm->ptime, ==, 0);

	g_assert_cmpuint(ym->ptime, ==, 20);
	g_assert_cmpstr(xb_sdp_media_format(ym, 101)->fmtp, ==, "0-15");
	g_assert_cmpint(ym->direction, ==, XB_SDP_DIR_SENDRECV);
	g_assert_cmpuint(ym->lines->len, ==, 0);
	assert_round_trip(polycom_offer);
	assert_round_trip(yealink_offer);
}

/* Static payload types without rtpmap (RFC 3551), an IPv6 connection per media, a port
 * count, a non-RTP stream (T.38) and the kept line types. */
static void test_parse_details(void)
{
	static const char text[] = "v=0\r\n"
	                           "o=alice 1 2 IN IP6 2001:db8::1\r\n"
	                           "s= \r\n"
	                           "i=a call\r\n"
	                           "u=http://example.com/\r\n"
	                           "e=alice@example.com\r\n"
	                           "p=+1 555 0100\r\n"
	                           "b=CT:128\r\n"
	                           "t=3034423619 3042462419\r\n"
	                           "r=604800 3600 0 90000\r\n"
	                           "t=0 0\r\n"
	                           "z=2882844526 -1h\r\n"
	                           "a=recvonly\r\n"
	                           "m=audio 49170/2 RTP/AVP 0 8 3\r\n"
	                           "c=IN IP6 2001:db8::2\r\n"
	                           "a=ptime:20.5\r\n"
	                           "m=image 0 udptl t38\r\n"
	                           "a=T38FaxVersion:0\r\n";
	g_autoptr(XbSdpSession) sdp = parse_ok(text);
	XbSdpMedia *a = sdp->media->pdata[0], *t = sdp->media->pdata[1];

	g_assert_true(sdp->origin.ipv6);
	g_assert_false(sdp->connection.present);
	g_assert_cmpuint(sdp->start_time, ==, 3034423619u);
	g_assert_cmpint(sdp->direction, ==, XB_SDP_DIR_RECVONLY);
	g_assert_cmpuint(a->port_count, ==, 2);
	g_assert_true(a->connection.ipv6);
	g_assert_cmpstr(xb_sdp_media_connection(sdp, a)->address, ==, "2001:db8::2");
	g_assert_cmpstr(fmt(a, 1)->encoding, ==, "PCMA");
	g_assert_false(fmt(a, 1)->has_rtpmap);
	g_assert_cmpstr(fmt(a, 2)->encoding, ==, "GSM");
	g_assert_cmpuint(a->ptime, ==, 20);
	g_assert_cmpint(xb_sdp_media_direction(sdp, a), ==, XB_SDP_DIR_RECVONLY);
	g_assert_cmpuint(t->formats->len, ==, 0);
	g_assert_cmpstr(t->fmts->pdata[0], ==, "t38");
	g_assert_null(xb_sdp_media_connection(sdp, t));
	g_assert_true(xb_sdp_find_media(sdp, "audio") == a);
	g_assert_null(xb_sdp_find_media(sdp, "image"));
	assert_round_trip(text);
}

typedef struct {
	const char *name;
	const char *text;
	unsigned line;
	XbSdpError code;
} BadCase;

#define HEAD "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"

/* clang-format off */
static const BadCase bad_cases[] = {
	{"empty", "", 1, XB_SDP_ERROR_ORDER},
	{"no-v", "o=- 1 1 IN IP4 10.0.0.1\r\n", 1, XB_SDP_ERROR_ORDER},
	{"v-1", "v=1\r\n", 1, XB_SDP_ERROR_SYNTAX},
	{"o-fields", "v=0\r\no=- 1 1 IN IP4\r\n", 2, XB_SDP_ERROR_SYNTAX},
	{"o-version", "v=0\r\no=- 1 x IN IP4 1.2.3.4\r\n", 2, XB_SDP_ERROR_SYNTAX},
	{"o-version-overflow", "v=0\r\no=- 1 99999999999999999999 IN IP4 1.2.3.4\r\n", 2,
	 XB_SDP_ERROR_SYNTAX},
	{"o-nettype", "v=0\r\no=- 1 1 ATM NSAP x\r\n", 2, XB_SDP_ERROR_SYNTAX},
	{"s-missing", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n", 3, XB_SDP_ERROR_ORDER},
	{"ends-early", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n", 3, XB_SDP_ERROR_ORDER},
	{"no-t", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", 4, XB_SDP_ERROR_ORDER},
	{"m-before-t", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n", 4,
	 XB_SDP_ERROR_ORDER},
	{"no-equals", HEAD "a\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"space-before-equals", HEAD "a =x\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"upper-type", HEAD "A=x\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"unknown-type", HEAD "x=1\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"empty-line", HEAD "\r\na=x\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"cr-inside", HEAD "a=x\ry\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"second-o", HEAD "o=- 1 1 IN IP4 1.2.3.4\r\n", 6, XB_SDP_ERROR_ORDER},
	{"second-c", HEAD "c=IN IP4 1.2.3.4\r\n", 6, XB_SDP_ERROR_ORDER},
	{"c-addrtype", HEAD "m=audio 1 RTP/AVP 0\r\nc=IN IPX 1.2.3.4\r\n", 7,
	 XB_SDP_ERROR_SYNTAX},
	{"t-text", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=now later\r\n", 4,
	 XB_SDP_ERROR_SYNTAX},
	{"r-before-t", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nr=1 2 3\r\n", 4,
	 XB_SDP_ERROR_ORDER},
	{"u-in-media", HEAD "m=audio 1 RTP/AVP 0\r\nu=http://x\r\n", 7, XB_SDP_ERROR_ORDER},
	{"t-in-media", HEAD "m=audio 1 RTP/AVP 0\r\nt=0 0\r\n", 7, XB_SDP_ERROR_ORDER},
	{"m-short", HEAD "m=audio 1 RTP/AVP\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"m-port", HEAD "m=audio 65536 RTP/AVP 0\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"m-port-negative", HEAD "m=audio -1 RTP/AVP 0\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"m-pt-128", HEAD "m=audio 1 RTP/AVP 0 128\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"m-pt-text", HEAD "m=audio 1 RTP/AVP PCMU\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"m-pt-twice", HEAD "m=audio 1 RTP/AVP 0 0\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"m-no-c", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
	 "m=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n", 5,
	 XB_SDP_ERROR_ORDER},
	{"rtpmap-no-rate", HEAD "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus\r\n", 7,
	 XB_SDP_ERROR_SYNTAX},
	{"rtpmap-rate-zero", HEAD "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus/0\r\n", 7,
	 XB_SDP_ERROR_SYNTAX},
	{"rtpmap-channels", HEAD "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus/48000/two\r\n", 7,
	 XB_SDP_ERROR_SYNTAX},
	{"rtpmap-pt", HEAD "m=audio 1 RTP/AVP 96\r\na=rtpmap:x opus/48000\r\n", 7,
	 XB_SDP_ERROR_SYNTAX},
	{"rtpmap-twice", HEAD "m=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus/48000\r\n"
	 "a=rtpmap:96 opus/48000\r\n", 8, XB_SDP_ERROR_SYNTAX},
	{"fmtp-twice", HEAD "m=audio 1 RTP/AVP 96\r\na=fmtp:96 a=1\r\na=fmtp:96 a=2\r\n", 8,
	 XB_SDP_ERROR_SYNTAX},
	{"ptime-zero", HEAD "m=audio 1 RTP/AVP 0\r\na=ptime:0\r\n", 7, XB_SDP_ERROR_SYNTAX},
	{"ptime-text", HEAD "m=audio 1 RTP/AVP 0\r\na=ptime:20ms\r\n", 7, XB_SDP_ERROR_SYNTAX},
	{"rtcp-port", HEAD "m=audio 1 RTP/AVP 0\r\na=rtcp:70000\r\n", 7, XB_SDP_ERROR_SYNTAX},
	{"rtcp-address", HEAD "m=audio 1 RTP/AVP 0\r\na=rtcp:5 IN IP4\r\n", 7,
	 XB_SDP_ERROR_SYNTAX},
	{"two-directions", HEAD "m=audio 1 RTP/AVP 0\r\na=sendonly\r\na=sendrecv\r\n", 8,
	 XB_SDP_ERROR_SYNTAX},
	{"direction-value", HEAD "a=sendonly:yes\r\n", 6, XB_SDP_ERROR_SYNTAX},
	{"attr-name", HEAD "a=:x\r\n", 6, XB_SDP_ERROR_SYNTAX},
};
/* clang-format on */

static void test_malformed(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		const BadCase *c = &bad_cases[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(XbSdpSession) sdp = xb_sdp_parse(c->text, -1, &error);
		g_autofree char *prefix = g_strdup_printf("line %u: ", c->line);

		g_test_message("%s: %s", c->name, error ? error->message : "(parsed)");
		g_assert_null(sdp);
		g_assert_error(error, XB_SDP_ERROR, (gint)c->code);
		if (!g_str_has_prefix(error->message, prefix))
			g_error("%s: \"%s\" does not start with \"%s\"", c->name, error->message,
			        prefix);
		/* the same without a GError to fill */
		g_assert_null(xb_sdp_parse(c->text, -1, NULL));
	}
}

/* A NUL byte inside the given length, and text cut in the middle of a line. */
static void test_malformed_bytes(void)
{
	static const char with_nul[] = HEAD "a=x\0y\r\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(XbSdpSession) cut = NULL;

	g_assert_null(xb_sdp_parse(with_nul, sizeof(with_nul) - 1, &error));
	g_assert_error(error, XB_SDP_ERROR, XB_SDP_ERROR_SYNTAX);
	g_assert_true(g_str_has_prefix(error->message, "line 6: "));
	/* the last line without its line end is accepted */
	cut = xb_sdp_parse(sipp_offer, sizeof(sipp_offer) - 3, NULL);
	g_assert_nonnull(cut);
	g_assert_cmpstr(fmt(cut->media->pdata[0], 0)->encoding, ==, "PCMU");
}

static void test_limits(void)
{
	g_autoptr(GString) many = g_string_new(HEAD);
	g_autoptr(GString) media = g_string_new(HEAD);
	g_autoptr(GString) fmts = g_string_new(HEAD "m=audio 1 RTP/AVP");
	g_autofree char *long_line = g_strdup_printf(HEAD "a=x:%0*d\r\n", XB_SDP_MAX_LINE, 0);
	g_autofree char *huge = g_malloc0(XB_SDP_MAX_LEN + 2);
	g_autoptr(GError) error = NULL;

	for (int i = 0; i < XB_SDP_MAX_LINES; i++)
		g_string_append(many, "a=x\r\n");
	g_assert_null(xb_sdp_parse(many->str, -1, &error));
	g_assert_error(error, XB_SDP_ERROR, XB_SDP_ERROR_LIMIT);
	g_assert_true(g_str_has_prefix(error->message, "line 513: "));
	g_clear_error(&error);

	for (int i = 0; i <= XB_SDP_MAX_MEDIA; i++)
		g_string_append(media, "m=audio 0 RTP/AVP 0\r\n");
	g_assert_null(xb_sdp_parse(media->str, -1, &error));
	g_assert_error(error, XB_SDP_ERROR, XB_SDP_ERROR_LIMIT);
	g_assert_true(g_str_has_prefix(error->message, "line 22: "));
	g_clear_error(&error);

	for (int i = 0; i <= XB_SDP_MAX_FORMATS; i++)
		g_string_append_printf(fmts, " %d", i);
	g_string_append(fmts, "\r\n");
	g_assert_null(xb_sdp_parse(fmts->str, -1, &error));
	g_assert_error(error, XB_SDP_ERROR, XB_SDP_ERROR_LIMIT);
	g_clear_error(&error);

	g_assert_null(xb_sdp_parse(long_line, -1, &error));
	g_assert_error(error, XB_SDP_ERROR, XB_SDP_ERROR_LIMIT);
	g_assert_true(g_str_has_prefix(error->message, "line 6: "));
	g_clear_error(&error);

	memset(huge, 'a', XB_SDP_MAX_LEN + 1);
	g_assert_null(xb_sdp_parse(huge, -1, &error));
	g_assert_error(error, XB_SDP_ERROR, XB_SDP_ERROR_LIMIT);
}

/* ---- offer/answer ---- */

static const XbSdpCodec g711_only[] = {{"PCMA", 8000, 1, NULL}, {"PCMU", 8000, 1, NULL}};

static XbSdpLocal local_g711(void)
{
	XbSdpLocal l = {
	    .codecs = g711_only,
	    .n_codecs = G_N_ELEMENTS(g711_only),
	    .telephone_event = true,
	    .address = "203.0.113.5",
	    .port = 20000,
	    .sess_id = "4242",
	    .sess_version = 1,
	};

	return l;
}

static XbSdpSession *answer_ok(const char *offer_text, const XbSdpLocal *local,
                               XbSdpSession **offer_out)
{
	g_autoptr(XbSdpSession) offer = parse_ok(offer_text);
	g_autoptr(GError) error = NULL;
	XbSdpSession *answer = xb_sdp_answer(offer, local, &error);
	g_autofree char *text = NULL;
	g_autoptr(XbSdpSession) again = NULL;

	g_assert_no_error(error);
	g_assert_nonnull(answer);
	/* one m= line per offered one (RFC 3264 §6), and the answer parses */
	g_assert_cmpuint(answer->media->len, ==, offer->media->len);
	text = xb_sdp_print(answer);
	again = parse_ok(text);
	if (offer_out)
		*offer_out = g_steal_pointer(&offer);
	return answer;
}

/* §6.1: the codecs both have, in the offerer's order and numbers, then telephone-event with
 * the offerer's payload type; our address and port. */
static void test_answer_intersect(void)
{
	XbSdpLocal local = local_g711();
	g_autoptr(XbSdpSession) answer = answer_ok(polycom_offer, &local, NULL);
	XbSdpMedia *m = answer->media->pdata[0];
	g_autofree char *text = xb_sdp_print(answer);

	g_assert_true(xb_sdp_answer_accepted(answer));
	g_assert_cmpuint(m->port, ==, 20000);
	g_assert_cmpuint(m->formats->len, ==, 3);
	g_assert_cmpuint(fmt(m, 0)->pt, ==, 0);
	g_assert_cmpuint(fmt(m, 1)->pt, ==, 8);
	g_assert_cmpuint(fmt(m, 2)->pt, ==, 127);
	g_assert_cmpstr(fmt(m, 2)->encoding, ==, "telephone-event");
	g_assert_cmpint(m->direction, ==, XB_SDP_DIR_SENDRECV);
	g_assert_cmpstr(answer->connection.address, ==, "203.0.113.5");
	g_assert_cmpstr(answer->origin.sess_id, ==, "4242");
	g_assert_true(strstr(text, "m=audio 20000 RTP/AVP 0 8 127\r\n") != NULL);
	g_assert_true(strstr(text, "a=rtpmap:127 telephone-event/8000\r\n") != NULL);

	/* G.722 first when we have it; telephone-event keeps its fmtp; ptime echoed */
	{
		static const XbSdpCodec wide[] = {{"g722", 8000, 0, NULL}, {"PCMU", 8000, 1, NULL}};
		g_autoptr(XbSdpSession) y = NULL;

		local.codecs = wide;
		local.n_codecs = 2;
		y = answer_ok(yealink_offer, &local, NULL);
		m = y->media->pdata[0];
		g_assert_cmpuint(m->formats->len, ==, 3);
		g_assert_cmpstr(fmt(m, 0)->encoding, ==, "G722");
		g_assert_cmpuint(fmt(m, 1)->pt, ==, 0);
		g_assert_cmpuint(fmt(m, 2)->pt, ==, 101);
		g_assert_cmpstr(fmt(m, 2)->fmtp, ==, "0-15");
		g_assert_cmpuint(m->ptime, ==, 20);
	}
	/* without telephone-event support, none is answered */
	{
		g_autoptr(XbSdpSession) b = NULL;

		local = local_g711();
		local.telephone_event = false;
		b = answer_ok(baresip_offer, &local, NULL);
		m = b->media->pdata[0];
		g_assert_cmpuint(m->formats->len, ==, 2);
		g_assert_null(xb_sdp_media_format(m, 101));
	}
}

/* §6: nothing in common -> the stream is rejected with port 0, and nothing is accepted. */
static void test_answer_mismatch(void)
{
	static const char g729_only[] = HEAD "m=audio 4000 RTP/AVP 18 101\r\n"
	                                     "a=rtpmap:18 G729/8000\r\n"
	                                     "a=rtpmap:101 telephone-event/8000\r\n";
	XbSdpLocal local = local_g711();
	g_autoptr(XbSdpSession) answer = answer_ok(g729_only, &local, NULL);
	XbSdpMedia *m = answer->media->pdata[0];

	g_assert_false(xb_sdp_answer_accepted(answer));
	g_assert_cmpuint(m->port, ==, 0);
	g_assert_cmpstr(m->media, ==, "audio");
	g_assert_cmpuint(m->fmts->len, ==, 2);
}

/* Video, a second audio, SRTP and T.38 offered beside one usable audio stream. */
static void test_answer_streams(void)
{
	static const char offer[] = HEAD "m=video 5000 RTP/AVP 96\r\n"
	                                 "a=rtpmap:96 H264/90000\r\n"
	                                 "m=audio 5002 RTP/SAVP 0\r\n"
	                                 "m=audio 5004 RTP/AVP 0 8\r\n"
	                                 "m=audio 5006 RTP/AVP 0\r\n"
	                                 "m=image 5008 udptl t38\r\n";
	XbSdpLocal local = local_g711();
	g_autoptr(XbSdpSession) answer = answer_ok(offer, &local, NULL);
	g_autoptr(XbSdpSession) empty =
	    parse_ok("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n");
	g_autoptr(GError) error = NULL;
	unsigned ports[] = {0, 0, 20000, 0, 0};

	for (guint i = 0; i < 5; i++)
		g_assert_cmpuint(((XbSdpMedia *)answer->media->pdata[i])->port, ==, ports[i]);
	g_assert_cmpstr(((XbSdpMedia *)answer->media->pdata[1])->proto, ==, "RTP/SAVP");
	g_assert_cmpstr(((XbSdpMedia *)answer->media->pdata[4])->fmts->pdata[0], ==, "t38");
	g_assert_null(xb_sdp_answer(empty, &local, &error));
	g_assert_error(error, XB_SDP_ERROR, XB_SDP_ERROR_ANSWER);
}

/* §6.1 directions and §8.4 hold: sendonly -> recvonly, inactive -> inactive, recvonly ->
 * sendonly; RFC 2543's c=0.0.0.0 is a hold too. */
static void test_answer_hold(void)
{
	static const struct {
		const char *attr;
		XbSdpDirection want, expect;
		bool hold;
	} cases[] = {
	    {"a=sendonly\r\n", XB_SDP_DIR_NONE, XB_SDP_DIR_RECVONLY, true},
	    {"a=inactive\r\n", XB_SDP_DIR_SENDRECV, XB_SDP_DIR_INACTIVE, true},
	    {"a=recvonly\r\n", XB_SDP_DIR_SENDRECV, XB_SDP_DIR_SENDONLY, false},
	    {"a=sendrecv\r\n", XB_SDP_DIR_SENDRECV, XB_SDP_DIR_SENDRECV, false},
	    {"", XB_SDP_DIR_SENDONLY, XB_SDP_DIR_SENDONLY, false},
	    {"a=sendonly\r\n", XB_SDP_DIR_SENDONLY, XB_SDP_DIR_INACTIVE, true},
	    {"a=recvonly\r\n", XB_SDP_DIR_RECVONLY, XB_SDP_DIR_INACTIVE, false},
	};
	XbSdpLocal local = local_g711();

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text =
		    g_strdup_printf(HEAD "m=audio 4000 RTP/AVP 0\r\n%s", cases[i].attr);
		g_autoptr(XbSdpSession) offer = NULL;
		g_autoptr(XbSdpSession) answer = NULL;
		XbSdpMedia *m;

		local.want = cases[i].want;
		answer = answer_ok(text, &local, &offer);
		m = answer->media->pdata[0];
		g_assert_cmpint(m->direction, ==, cases[i].expect);
		g_assert_cmpint(xb_sdp_media_is_hold(offer, offer->media->pdata[0]), ==,
		                cases[i].hold);
	}
	{
		g_autoptr(XbSdpSession) old = parse_ok("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\n"
		                                       "c=IN IP4 0.0.0.0\r\nt=0 0\r\n"
		                                       "m=audio 4000 RTP/AVP 0\r\n");
		g_autoptr(XbSdpSession) rejected = parse_ok(HEAD "m=audio 0 RTP/AVP 0\r\n"
		                                                 "a=inactive\r\n");

		g_assert_true(xb_sdp_media_is_hold(old, old->media->pdata[0]));
		g_assert_false(xb_sdp_media_is_hold(rejected, rejected->media->pdata[0]));
	}
}

/* §8: a re-offer keeps the origin and bumps the version only when something changed; a
 * peer's repeat is SAME, its change NEWER, a new origin or an older version INVALID. */
static void test_reoffer_version(void)
{
	XbSdpLocal local = local_g711();
	g_autoptr(XbSdpSession) first = answer_ok(sipp_offer, &local, NULL);
	g_autoptr(XbSdpSession) same = answer_ok(sipp_offer, &local, NULL);
	g_autoptr(XbSdpSession) hold = NULL;
	g_autoptr(XbSdpSession) peer1 = parse_ok(sipp_offer);
	g_autoptr(XbSdpSession) peer2 = NULL;

	same->origin.sess_version = 77;
	g_assert_false(xb_sdp_update_version(first, same));
	g_assert_cmpuint(same->origin.sess_version, ==, 1);

	local.want = XB_SDP_DIR_SENDONLY;
	hold = answer_ok(sipp_offer, &local, NULL);
	g_assert_true(xb_sdp_update_version(first, hold));
	g_assert_cmpuint(hold->origin.sess_version, ==, 2);
	g_assert_cmpstr(hold->origin.sess_id, ==, first->origin.sess_id);
	g_assert_true(xb_sdp_update_version(hold, same));
	g_assert_cmpuint(same->origin.sess_version, ==, 3);

	g_assert_cmpint(xb_sdp_version_check(peer1, peer1), ==, XB_SDP_VERSION_SAME);
	peer2 = xb_sdp_session_copy(peer1);
	peer2->origin.sess_version++;
	g_assert_cmpint(xb_sdp_version_check(peer1, peer2), ==, XB_SDP_VERSION_NEWER);
	g_assert_cmpint(xb_sdp_version_check(peer2, peer1), ==, XB_SDP_VERSION_INVALID);
	g_free(peer2->origin.sess_id);
	peer2->origin.sess_id = g_strdup("1");
	g_assert_cmpint(xb_sdp_version_check(peer1, peer2), ==, XB_SDP_VERSION_INVALID);
}

/* A description built with the constructors prints as expected and parses back. */
static void test_build(void)
{
	g_autoptr(XbSdpSession) sdp = xb_sdp_session_new();
	g_autofree char *text = NULL;
	g_autoptr(XbSdpSession) back = NULL;
	XbSdpMedia *m;

	sdp->origin.sess_id = g_strdup("1");
	sdp->origin.address = g_strdup("192.0.2.1");
	sdp->connection.present = true;
	sdp->connection.address = g_strdup("192.0.2.1");
	m = xb_sdp_media_add(sdp, "audio", 30000, "RTP/AVP");
	xb_sdp_format_add(m, 8, NULL, 0, 0, NULL);
	xb_sdp_format_add(m, 101, "telephone-event", 8000, 1, "0-16");
	xb_sdp_attr_add(m->lines, "rtcp-mux", NULL);
	m->direction = XB_SDP_DIR_SENDONLY;
	text = xb_sdp_print(sdp);
	g_assert_cmpstr(text, ==,
	                "v=0\r\no=- 1 0 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	                "t=0 0\r\nm=audio 30000 RTP/AVP 8 101\r\n"
	                "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
	                "a=sendonly\r\na=rtcp-mux\r\n");
	back = parse_ok(text);
	g_assert_cmpstr(fmt(back->media->pdata[0], 0)->encoding, ==, "PCMA");
}

/* RFC 8839 §5.4: the far end offers ICE with ice-ufrag and ice-pwd (session or media level)
 * and candidates; a description without them, or with malformed ones, does not. */
static void test_ice_remote(void)
{
	g_autoptr(XbSdpSession) b = xb_sdp_parse(baresip_offer, -1, NULL);
	g_autoptr(XbSdpSession) p = xb_sdp_parse(polycom_offer, -1, NULL);
	const char *ufrag, *pwd;

	g_assert_true(xb_sdp_ice_remote(b, b->media->pdata[0], &ufrag, &pwd));
	g_assert_cmpstr(ufrag, ==, "c2d4");
	g_assert_cmpstr(pwd, ==, "4a43c3a4f2a3dc0e1c0b2bb3");
	g_assert_false(xb_sdp_ice_remote(p, p->media->pdata[0], &ufrag, &pwd));
	g_assert_null(ufrag);
	g_assert_null(pwd);

	g_assert_true(xb_sdp_ice_ufrag_valid("a+/9"));
	g_assert_false(xb_sdp_ice_ufrag_valid("abc"));
	g_assert_false(xb_sdp_ice_ufrag_valid("ab-cd"));
	g_assert_false(xb_sdp_ice_pwd_valid("4a43c3a4f2a3dc0e1c0b2b-x"));
	g_assert_false(xb_sdp_ice_pwd_valid("tooshort-for-a-pwd"));
	{
		g_autofree char *long_ufrag = g_strnfill(257, 'u');
		g_assert_false(xb_sdp_ice_ufrag_valid(long_ufrag));
		long_ufrag[256] = 0;
		g_assert_true(xb_sdp_ice_ufrag_valid(long_ufrag));
	}
	/* without a candidate, ICE is not offered */
	{
		XbSdpMedia *m = b->media->pdata[0];
		for (guint i = m->lines->len; i-- > 0;)
			if (!g_strcmp0(((XbSdpLine *)m->lines->pdata[i])->name, "candidate"))
				g_ptr_array_remove_index(m->lines, i);
		g_assert_false(xb_sdp_ice_remote(b, m, &ufrag, &pwd));
	}
}

/* RFC 8445 §2.5 and §5.1.2.1, RFC 8839 §5.1: an ICE-lite description carries a=ice-lite at
 * session level, the credentials, and one host candidate per component at the highest
 * priority a host candidate can have. */
static void test_ice_add_lite(void)
{
	g_autoptr(XbSdpSession) sdp = xb_sdp_parse(polycom_offer, -1, NULL);
	XbSdpMedia *m = sdp->media->pdata[0];

	g_assert_cmpuint(xb_sdp_ice_priority(XB_SDP_ICE_TYPE_HOST, 65535, 1), ==, 2130706431u);
	g_assert_cmpuint(xb_sdp_ice_priority(XB_SDP_ICE_TYPE_HOST, 65535, 2), ==, 2130706430u);
	m->port = 30000;
	xb_sdp_ice_add_lite(sdp, m, "Ab+/", "0123456789abcdefghijkl", "192.0.2.7", false);
	g_autofree char *text = xb_sdp_print(sdp);
	g_assert_nonnull(strstr(text, "a=ice-lite\r\n"));
	g_assert_true(strstr(text, "a=ice-lite\r\n") < strstr(text, "m=audio"));
	g_assert_nonnull(strstr(text, "a=ice-ufrag:Ab+/\r\n"));
	g_assert_nonnull(strstr(text, "a=ice-pwd:0123456789abcdefghijkl\r\n"));
	g_assert_nonnull(
	    strstr(text, "a=candidate:1 1 UDP 2130706431 192.0.2.7 30000 typ host\r\n"));
	g_assert_nonnull(
	    strstr(text, "a=candidate:1 2 UDP 2130706430 192.0.2.7 30001 typ host\r\n"));

	/* parsed back, it offers ICE with those credentials; rtcp-mux leaves RTCP's out */
	g_autoptr(XbSdpSession) again = xb_sdp_parse(text, -1, NULL);
	const char *ufrag, *pwd;
	g_assert_true(xb_sdp_ice_remote(again, again->media->pdata[0], &ufrag, &pwd));
	g_assert_cmpstr(ufrag, ==, "Ab+/");
	g_autoptr(XbSdpSession) mux = xb_sdp_parse(polycom_offer, -1, NULL);
	xb_sdp_ice_add_lite(mux, mux->media->pdata[0], "Ab+/", "0123456789abcdefghijkl",
	                    "192.0.2.7", true);
	g_autofree char *mux_text = xb_sdp_print(mux);
	g_assert_null(strstr(mux_text, "a=candidate:1 2 "));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sdp/parse/baresip-ice", test_parse_baresip);
	g_test_add_func("/sdp/parse/sipp-prints-back-verbatim", test_parse_sipp);
	g_test_add_func("/sdp/parse/polycom-yealink-g722", test_parse_polycom_yealink);
	g_test_add_func("/sdp/parse/static-types-ipv6-kept-lines-8866-5", test_parse_details);
	g_test_add_func("/sdp/parse/malformed-line-numbers", test_malformed);
	g_test_add_func("/sdp/parse/malformed-bytes", test_malformed_bytes);
	g_test_add_func("/sdp/parse/limits", test_limits);
	g_test_add_func("/sdp/build/print-and-parse", test_build);
	g_test_add_func("/sdp/answer/intersect-offerer-order-3264-6.1", test_answer_intersect);
	g_test_add_func("/sdp/answer/no-common-codec-rejects-3264-6", test_answer_mismatch);
	g_test_add_func("/sdp/answer/one-audio-others-port-0-3264-6", test_answer_streams);
	g_test_add_func("/sdp/answer/directions-hold-3264-8.4", test_answer_hold);
	g_test_add_func("/sdp/answer/reoffer-version-3264-8", test_reoffer_version);
	g_test_add_func("/sdp/ice/remote-credentials-8839-5.4", test_ice_remote);
	g_test_add_func("/sdp/ice/lite-host-candidates-8445-5.1.2", test_ice_add_lite);
	return g_test_run();
}
