/* Unit tests of the RTP library (lib/rtp/): RTP header parse/build with CSRCs, extension and
 * padding and every bounds check (RFC 3550 §5.1, §5.3.1); RTCP compound packets (§6.4-6.7,
 * A.2); the receiver's extended sequence, loss and jitter (A.1, A.3, A.8) on synthetic
 * streams; RFC 4733 telephone-event payloads, the receiver of their packets and the sender
 * of an event's packets. */
#include <crossbar/rtp.h>

#include <errno.h>
#include <string.h>

#include <glib.h>

/* ---- RTP ---- */

/* A PCMU packet as a phone sends it: V=2, M=1, PT 0, seq 0x1234, ts 0xDEADBEEF. */
static const uint8_t rtp_pcmu[] = {0x80, 0x80, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
                                   0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xfe, 0x7f};

static void test_rtp_parse_basic(void)
{
	XbRtpHeader h;

	g_assert_cmpint(xb_rtp_parse(&h, rtp_pcmu, sizeof(rtp_pcmu)), ==, 0);
	g_assert_true(h.marker);
	g_assert_false(h.padding);
	g_assert_false(h.extension);
	g_assert_cmpuint(h.pt, ==, 0);
	g_assert_cmpuint(h.seq, ==, 0x1234);
	g_assert_cmpuint(h.ts, ==, 0xdeadbeef);
	g_assert_cmpuint(h.ssrc, ==, 0x01020304);
	g_assert_cmpuint(h.payload_len, ==, 4);
	g_assert_true(h.payload == rtp_pcmu + 12);
}

/* CSRCs, a header extension (RFC 8285 one-byte: profile 0xBEDE) and 3 bytes of padding. */
static void test_rtp_build_parse_full(void)
{
	static const uint8_t ext[8] = {0x10, 0xAA, 0, 0, 0, 0, 0, 0};
	static const uint8_t payload[5] = {1, 2, 3, 4, 5};
	XbRtpHeader h = {0}, r;
	uint8_t buf[128];
	int n;

	h.pt = 101;
	h.seq = 65535;
	h.ts = 160;
	h.ssrc = 0xCAFEBABE;
	h.cc = 2;
	h.csrc[0] = 11;
	h.csrc[1] = 22;
	h.extension = true;
	h.ext_profile = 0xBEDE;
	h.ext = ext;
	h.ext_len = sizeof(ext);
	h.padding = true;
	h.pad_len = 3;
	g_assert_cmpuint(xb_rtp_header_len(&h), ==, 12 + 8 + 4 + 8);
	n = xb_rtp_build(&h, payload, sizeof(payload), buf, sizeof(buf));
	g_assert_cmpint(n, ==, 12 + 8 + 4 + 8 + 5 + 3);
	g_assert_cmpuint(buf[0], ==, 0x80 | 0x20 | 0x10 | 2);
	g_assert_cmpuint(buf[n - 1], ==, 3);
	g_assert_cmpint(xb_rtp_parse(&r, buf, (size_t)n), ==, 0);
	g_assert_cmpuint(r.cc, ==, 2);
	g_assert_cmpuint(r.csrc[1], ==, 22);
	g_assert_cmpuint(r.ext_profile, ==, 0xBEDE);
	g_assert_cmpuint(r.ext_len, ==, 8);
	g_assert_cmpmem(r.ext, r.ext_len, ext, sizeof(ext));
	g_assert_cmpuint(r.pad_len, ==, 3);
	g_assert_cmpmem(r.payload, r.payload_len, payload, sizeof(payload));
	g_assert_cmpuint(r.seq, ==, 65535);
	g_assert_cmpuint(r.pt, ==, 101);
	/* one byte short of room at every point */
	for (int cap = 0; cap < n; cap++)
		g_assert_cmpint(xb_rtp_build(&h, payload, sizeof(payload), buf, (size_t)cap), ==,
		                -ENOSPC);
}

static void test_rtp_parse_bounds(void)
{
	uint8_t buf[64];
	XbRtpHeader h;

	memcpy(buf, rtp_pcmu, sizeof(rtp_pcmu));
	for (size_t len = 0; len < XB_RTP_HEADER_LEN; len++)
		g_assert_cmpint(xb_rtp_parse(&h, buf, len), ==, -EBADMSG);
	/* exactly a header: an empty payload is valid */
	g_assert_cmpint(xb_rtp_parse(&h, buf, 12), ==, 0);
	g_assert_cmpuint(h.payload_len, ==, 0);
	/* version 1, 0, 3 */
	for (uint8_t v = 0; v < 4; v++) {
		buf[0] = (uint8_t)(v << 6);
		g_assert_cmpint(xb_rtp_parse(&h, buf, 16), ==, v == 2 ? 0 : -EBADMSG);
	}
	/* CSRC count past the end: 15 CSRCs need 72 bytes */
	buf[0] = 0x8F;
	g_assert_cmpint(xb_rtp_parse(&h, buf, 16), ==, -EBADMSG);
	/* an extension header cut short, then its length past the end */
	buf[0] = 0x90;
	g_assert_cmpint(xb_rtp_parse(&h, buf, 14), ==, -EBADMSG);
	buf[12] = 0xBE;
	buf[13] = 0xDE;
	buf[14] = 0x00;
	buf[15] = 0x01;
	g_assert_cmpint(xb_rtp_parse(&h, buf, 16), ==, -EBADMSG);
	g_assert_cmpint(xb_rtp_parse(&h, buf, 20), ==, 0);
	g_assert_cmpuint(h.payload_len, ==, 0);
	/* padding: count 0, count beyond the payload, and exact */
	buf[0] = 0xA0;
	buf[15] = 0;
	g_assert_cmpint(xb_rtp_parse(&h, buf, 16), ==, -EBADMSG);
	buf[15] = 5;
	g_assert_cmpint(xb_rtp_parse(&h, buf, 16), ==, -EBADMSG);
	buf[15] = 4;
	g_assert_cmpint(xb_rtp_parse(&h, buf, 16), ==, 0);
	g_assert_cmpuint(h.payload_len, ==, 0);
}

static void test_rtp_build_invalid(void)
{
	XbRtpHeader h = {0};
	uint8_t buf[64];

	h.pt = 128;
	g_assert_cmpint(xb_rtp_build(&h, NULL, 0, buf, sizeof(buf)), ==, -EINVAL);
	h.pt = 0;
	h.cc = 16;
	g_assert_cmpint(xb_rtp_build(&h, NULL, 0, buf, sizeof(buf)), ==, -EINVAL);
	h.cc = 0;
	h.padding = true;
	g_assert_cmpint(xb_rtp_build(&h, NULL, 0, buf, sizeof(buf)), ==, -EINVAL);
	h.padding = false;
	h.extension = true;
	h.ext_len = 3;
	g_assert_cmpint(xb_rtp_build(&h, NULL, 0, buf, sizeof(buf)), ==, -EINVAL);
}

/* RFC 5761 §4: RTCP packet types 192-223 against RTP payload types. */
static void test_rtp_rtcp_demux(void)
{
	uint8_t sr[2] = {0x80, 200}, rtp[2] = {0x80, 0x80 | 8}, rtp_pt0[2] = {0x80, 0};

	g_assert_true(xb_rtp_is_rtcp(sr, 2));
	g_assert_false(xb_rtp_is_rtcp(rtp, 2));
	g_assert_false(xb_rtp_is_rtcp(rtp_pt0, 2));
	g_assert_false(xb_rtp_is_rtcp(sr, 1));
}

/* ---- RTCP ---- */

/* SR with one report block, then SDES with a CNAME, then BYE with a reason: built, then
 * walked and decoded back. */
static void test_rtcp_compound_round_trip(void)
{
	XbRtcpReport sr = {0}, r;
	XbRtcpPacket pkt;
	XbRtcpSdesIter it;
	XbRtcpSdesItem item;
	XbRtcpBye bye;
	uint8_t buf[512];
	uint32_t ssrc = 0x11223344;
	size_t off = 0, len = 0;
	int n;

	sr.ssrc = ssrc;
	sr.ntp = 0xE1234567890ABCDEull;
	sr.rtp_ts = 8000;
	sr.packet_count = 50;
	sr.octet_count = 8000;
	sr.n_blocks = 1;
	sr.blocks[0] = (XbRtcpReportBlock){0x55667788, 64, -3, 0x1FFFF, 42, 0xABCD, 0x10000};
	n = xb_rtcp_build_sr(&sr, buf, sizeof(buf));
	g_assert_cmpint(n, ==, 28 + 24);
	len += (size_t)n;
	n = xb_rtcp_build_sdes_cname(ssrc, "crossbar@192.0.2.1", buf + len, sizeof(buf) - len);
	g_assert_cmpint(n % 4, ==, 0);
	len += (size_t)n;
	n = xb_rtcp_build_bye(&ssrc, 1, "hung up", buf + len, sizeof(buf) - len);
	g_assert_cmpint(n, ==, 8 + 8);
	len += (size_t)n;
	g_assert_cmpint(xb_rtcp_validate(buf, len), ==, 0);

	g_assert_cmpint(xb_rtcp_next(buf, len, &off, &pkt), ==, 1);
	g_assert_cmpuint(pkt.type, ==, XB_RTCP_SR);
	g_assert_cmpint(xb_rtcp_report(&pkt, &r), ==, 0);
	g_assert_cmpuint(r.ssrc, ==, ssrc);
	g_assert_cmpuint(r.ntp, ==, sr.ntp);
	g_assert_cmpuint(r.rtp_ts, ==, 8000);
	g_assert_cmpuint(r.packet_count, ==, 50);
	g_assert_cmpuint(r.n_blocks, ==, 1);
	g_assert_cmpuint(r.blocks[0].ssrc, ==, 0x55667788);
	g_assert_cmpuint(r.blocks[0].fraction_lost, ==, 64);
	g_assert_cmpint(r.blocks[0].cumulative_lost, ==, -3);
	g_assert_cmpuint(r.blocks[0].ext_highest_seq, ==, 0x1FFFF);
	g_assert_cmpuint(r.blocks[0].jitter, ==, 42);
	g_assert_cmpuint(r.blocks[0].lsr, ==, 0xABCD);
	g_assert_cmpuint(r.blocks[0].dlsr, ==, 0x10000);

	g_assert_cmpint(xb_rtcp_next(buf, len, &off, &pkt), ==, 1);
	g_assert_cmpuint(pkt.type, ==, XB_RTCP_SDES);
	xb_rtcp_sdes_iter_init(&it, &pkt);
	g_assert_cmpint(xb_rtcp_sdes_next(&pkt, &it, &item), ==, 1);
	g_assert_cmpuint(item.ssrc, ==, ssrc);
	g_assert_cmpuint(item.type, ==, XB_RTCP_SDES_CNAME);
	g_assert_cmpmem(item.text, item.len, "crossbar@192.0.2.1", 18);
	g_assert_cmpint(xb_rtcp_sdes_next(&pkt, &it, &item), ==, 0);

	g_assert_cmpint(xb_rtcp_next(buf, len, &off, &pkt), ==, 1);
	g_assert_cmpint(xb_rtcp_bye(&pkt, &bye), ==, 0);
	g_assert_cmpuint(bye.n_ssrc, ==, 1);
	g_assert_cmpuint(bye.ssrc[0], ==, ssrc);
	g_assert_cmpmem(bye.reason, bye.reason_len, "hung up", 7);
	g_assert_cmpint(xb_rtcp_next(buf, len, &off, &pkt), ==, 0);
}

/* An RR as a phone sends it (no blocks), an SDES of two chunks with two items, and an APP. */
static void test_rtcp_parse_wire(void)
{
	static const uint8_t rr_sdes_app[] = {
	    0x80, 201,  0x00, 0x01, 0x0a, 0x0b, 0x0c, 0x0d, /* RR, no blocks */
	    0x82, 202,  0x00, 0x05,                         /* SDES, 2 chunks */
	    0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 'a',  'b',  0x06, 0x01, 'x', 0x00, /* chunk 1 */
	    0x00, 0x00, 0x00, 0x02, 0x02, 0x01, 'n',  0x00,                        /* chunk 2 */
	    0x83, 204,  0x00, 0x03, 0x00, 0x00, 0x00, 0x09, 'T',  'E',  'S', 'T',  /* APP */
	    0xde, 0xad, 0xbe, 0xef,
	};
	const uint8_t *buf = rr_sdes_app;
	size_t len = sizeof(rr_sdes_app), off = 0;
	XbRtcpPacket pkt;
	XbRtcpReport r;
	XbRtcpSdesIter it;
	XbRtcpSdesItem item;
	XbRtcpApp app;

	g_assert_cmpint(xb_rtcp_validate(buf, len), ==, 0);
	g_assert_cmpint(xb_rtcp_next(buf, len, &off, &pkt), ==, 1);
	g_assert_cmpint(xb_rtcp_report(&pkt, &r), ==, 0);
	g_assert_cmpuint(r.ssrc, ==, 0x0a0b0c0d);
	g_assert_cmpuint(r.n_blocks, ==, 0);
	g_assert_cmpint(xb_rtcp_next(buf, len, &off, &pkt), ==, 1);
	xb_rtcp_sdes_iter_init(&it, &pkt);
	g_assert_cmpint(xb_rtcp_sdes_next(&pkt, &it, &item), ==, 1);
	g_assert_cmpuint(item.ssrc, ==, 1);
	g_assert_cmpuint(item.type, ==, XB_RTCP_SDES_CNAME);
	g_assert_cmpmem(item.text, item.len, "ab", 2);
	g_assert_cmpint(xb_rtcp_sdes_next(&pkt, &it, &item), ==, 1);
	g_assert_cmpuint(item.type, ==, XB_RTCP_SDES_TOOL);
	g_assert_cmpmem(item.text, item.len, "x", 1);
	g_assert_cmpint(xb_rtcp_sdes_next(&pkt, &it, &item), ==, 1);
	g_assert_cmpuint(item.ssrc, ==, 2);
	g_assert_cmpuint(item.type, ==, XB_RTCP_SDES_NAME);
	g_assert_cmpint(xb_rtcp_sdes_next(&pkt, &it, &item), ==, 0);
	g_assert_cmpint(xb_rtcp_next(buf, len, &off, &pkt), ==, 1);
	g_assert_cmpint(xb_rtcp_app(&pkt, &app), ==, 0);
	g_assert_cmpuint(app.subtype, ==, 3);
	g_assert_cmpuint(app.ssrc, ==, 9);
	g_assert_cmpmem(app.name, 4, "TEST", 4);
	g_assert_cmpuint(app.len, ==, 4);
	g_assert_cmpint(xb_rtcp_next(buf, len, &off, &pkt), ==, 0);
}

/* RFC 3550 A.2: what a receiver must refuse. */
static void test_rtcp_validate_bad(void)
{
	uint8_t buf[64];
	XbRtcpReport rr = {.ssrc = 1};
	XbRtcpPacket pkt;
	XbRtcpReport r;
	size_t off;
	int n = xb_rtcp_build_rr(&rr, buf, sizeof(buf));

	g_assert_cmpint(n, ==, 8);
	g_assert_cmpint(xb_rtcp_validate(buf, 0), ==, -EBADMSG);
	g_assert_cmpint(xb_rtcp_validate(buf, 7), ==, -EBADMSG);  /* cut short */
	g_assert_cmpint(xb_rtcp_validate(buf, 12), ==, -EBADMSG); /* trailing bytes */
	buf[0] = 0x40;                                            /* version 1 */
	g_assert_cmpint(xb_rtcp_validate(buf, 8), ==, -EBADMSG);
	buf[0] = 0x80;
	buf[1] = XB_RTCP_SDES; /* first packet not SR/RR */
	g_assert_cmpint(xb_rtcp_validate(buf, 8), ==, -EBADMSG);
	buf[1] = XB_RTCP_RR;
	buf[0] = 0xA0; /* padding on the first packet */
	g_assert_cmpint(xb_rtcp_validate(buf, 8), ==, -EBADMSG);
	/* an RR claiming a block it does not carry */
	buf[0] = 0x81;
	off = 0;
	g_assert_cmpint(xb_rtcp_next(buf, 8, &off, &pkt), ==, 1);
	g_assert_cmpint(xb_rtcp_report(&pkt, &r), ==, -EBADMSG);
	/* a BYE whose reason runs past the packet */
	memcpy(buf, (uint8_t[]){0x81, 203, 0, 2, 0, 0, 0, 1, 9, 'a', 'b', 'c'}, 12);
	off = 0;
	g_assert_cmpint(xb_rtcp_next(buf, 12, &off, &pkt), ==, 1);
	g_assert_cmpint(xb_rtcp_bye(&pkt, &(XbRtcpBye){0}), ==, -EBADMSG);
	/* an SDES item longer than its packet */
	memcpy(buf, (uint8_t[]){0x81, 202, 0, 2, 0, 0, 0, 1, 1, 200, 'a', 0}, 12);
	off = 0;
	g_assert_cmpint(xb_rtcp_next(buf, 12, &off, &pkt), ==, 1);
	{
		XbRtcpSdesIter it;
		XbRtcpSdesItem item;

		xb_rtcp_sdes_iter_init(&it, &pkt);
		g_assert_cmpint(xb_rtcp_sdes_next(&pkt, &it, &item), ==, -EBADMSG);
	}
}

static void test_rtcp_build_limits(void)
{
	XbRtcpReport r = {0};
	uint8_t buf[1024];
	uint32_t ssrc[32] = {0};

	r.n_blocks = 31;
	g_assert_cmpint(xb_rtcp_build_rr(&r, buf, sizeof(buf)), ==, 8 + 31 * 24);
	g_assert_cmpint(xb_rtcp_build_rr(&r, buf, 8 + 31 * 24 - 1), ==, -ENOSPC);
	r.n_blocks = 32;
	g_assert_cmpint(xb_rtcp_build_sr(&r, buf, sizeof(buf)), ==, -EINVAL);
	g_assert_cmpint(xb_rtcp_build_bye(ssrc, 32, NULL, buf, sizeof(buf)), ==, -EINVAL);
	g_assert_cmpint(xb_rtcp_build_sdes_cname(1, "", buf, sizeof(buf)), ==, -EINVAL);
	g_assert_cmpint(xb_rtcp_build_sdes_cname(1, "abc", buf, 12), ==, -ENOSPC);
	/* a cumulative loss beyond 24 bits is clamped on the wire */
	r.n_blocks = 1;
	r.blocks[0].cumulative_lost = 0x1000000;
	g_assert_cmpint(xb_rtcp_build_rr(&r, buf, sizeof(buf)), ==, 32);
	g_assert_cmpmem(buf + 13, 3, ((uint8_t[]){0x7f, 0xff, 0xff}), 3);
}

/* ---- receiver statistics ---- */

static void feed(XbRtpSource *s, uint16_t seq, bool expect)
{
	g_assert_cmpint(xb_rtp_source_update(s, seq), ==, expect);
}

/* A.1: probation, then counting across the 16-bit wrap-around. */
static void test_source_wrap(void)
{
	XbRtpSource s;
	XbRtcpReportBlock rb = {0};
	uint16_t seq = 65530;

	xb_rtp_source_init(&s, seq);
	feed(&s, seq++, false); /* first packet: on probation */
	feed(&s, seq++, true);  /* second in sequence: valid, counting starts here */
	for (int i = 0; i < 20; i++)
		feed(&s, seq++, true);
	g_assert_cmpuint(s.cycles, ==, 65536);
	g_assert_cmpuint(xb_rtp_source_ext_max(&s), ==, 65536 + 15);
	g_assert_cmpuint(xb_rtp_source_expected(&s), ==, 21);
	g_assert_cmpint(xb_rtp_source_lost(&s), ==, 0);
	xb_rtp_source_report(&s, &rb);
	g_assert_cmpuint(rb.fraction_lost, ==, 0);
	g_assert_cmpint(rb.cumulative_lost, ==, 0);
	g_assert_cmpuint(rb.ext_highest_seq, ==, 65536 + 15);
}

/* A.3: loss counts, fraction per interval, duplicates making loss negative. */
static void test_source_loss(void)
{
	XbRtpSource s;
	XbRtcpReportBlock rb = {0};
	uint16_t seq = 100;

	xb_rtp_source_init(&s, seq);
	feed(&s, seq++, false);
	feed(&s, seq++, true);
	/* 100 packets, every fourth lost */
	for (int i = 0; i < 100; i++, seq++)
		if (i % 4 != 1)
			feed(&s, seq, true);
	g_assert_cmpint(xb_rtp_source_lost(&s), ==, 25);
	xb_rtp_source_report(&s, &rb);
	g_assert_cmpint(rb.cumulative_lost, ==, 25);
	/* 25 of the 101 expected since the start: 25 * 256 / 101 */
	g_assert_cmpuint(rb.fraction_lost, ==, 25 * 256 / 101);
	/* next interval: nothing lost, two duplicates */
	for (int i = 0; i < 10; i++)
		feed(&s, seq++, true);
	feed(&s, (uint16_t)(seq - 1), true);
	feed(&s, (uint16_t)(seq - 2), true);
	xb_rtp_source_report(&s, &rb);
	g_assert_cmpuint(rb.fraction_lost, ==, 0);
	g_assert_cmpint(rb.cumulative_lost, ==, 23);
}

/* A.1: a jump of more than MAX_DROPOUT is dropped, unless the next packet follows it (the
 * sender restarted its sequence); a small reordering is counted. */
static void test_source_jump_and_misorder(void)
{
	XbRtpSource s;
	uint16_t seq = 1000;

	xb_rtp_source_init(&s, seq);
	feed(&s, seq++, false);
	for (int i = 0; i < 10; i++)
		feed(&s, seq++, true);
	feed(&s, 20000, false); /* a stray packet far ahead */
	feed(&s, seq++, true);  /* the stream goes on */
	g_assert_cmpuint(s.max_seq, ==, seq - 1);
	feed(&s, (uint16_t)(seq - 50), true); /* reordered by 50: counted, max unchanged */
	g_assert_cmpuint(s.max_seq, ==, seq - 1);
	feed(&s, 40000, false); /* a restart: the first is dropped ... */
	feed(&s, 40001, true);  /* ... the next confirms it and counting restarts there */
	g_assert_cmpuint(s.base_seq, ==, 40001);
	g_assert_cmpuint(xb_rtp_source_ext_max(&s), ==, 40001);
	g_assert_cmpuint(s.received, ==, 1);
	/* a new source whose second packet is out of sequence stays on probation */
	xb_rtp_source_init(&s, 5);
	feed(&s, 5, false);
	feed(&s, 9, false);
	feed(&s, 10, true);
}

/* A.8: constant transit gives no jitter; alternating ±80 timestamp units of delay makes it
 * converge towards 160 (|D| = 160 each packet). */
static void test_source_jitter(void)
{
	XbRtpSource s;
	uint32_t ts = 1000;

	xb_rtp_source_init(&s, 0);
	for (int i = 0; i < 100; i++, ts += 160)
		xb_rtp_source_jitter(&s, ts, ts + 5000);
	g_assert_cmpuint(xb_rtp_source_jitter_ts(&s), ==, 0);
	for (int i = 0; i < 500; i++, ts += 160)
		xb_rtp_source_jitter(&s, ts, ts + 5000 + ((i & 1) ? 80 : -80));
	g_assert_cmpuint(xb_rtp_source_jitter_ts(&s), >=, 155);
	g_assert_cmpuint(xb_rtp_source_jitter_ts(&s), <=, 160);
	/* one late packet of 800 units moves it by about 1/16 of that */
	xb_rtp_source_init(&s, 0);
	xb_rtp_source_jitter(&s, 0, 0);
	xb_rtp_source_jitter(&s, 160, 960);
	g_assert_cmpuint(xb_rtp_source_jitter_ts(&s), ==, 50);
	/* the arrival clock wrapping around 2^32 changes nothing */
	xb_rtp_source_init(&s, 0);
	xb_rtp_source_jitter(&s, 0, 0xFFFFFF00u);
	xb_rtp_source_jitter(&s, 160, 0xFFFFFF00u + 160);
	g_assert_cmpuint(xb_rtp_source_jitter_ts(&s), ==, 0);
}

/* ---- RFC 4733 ---- */

/* §2.3: digit 5, end bit, volume 10, duration 1000 -> 05 8a 03 e8. */
static void test_dtmf_payload(void)
{
	XbRtpDtmf ev = {5, true, 10, 1000}, r;
	uint8_t buf[4];

	g_assert_cmpint(xb_rtp_dtmf_encode(&ev, buf, sizeof(buf)), ==, 4);
	g_assert_cmpmem(buf, 4, ((uint8_t[]){0x05, 0x8a, 0x03, 0xe8}), 4);
	g_assert_cmpint(xb_rtp_dtmf_decode(&r, buf, 4), ==, 0);
	g_assert_cmpuint(r.event, ==, 5);
	g_assert_true(r.end);
	g_assert_cmpuint(r.volume, ==, 10);
	g_assert_cmpuint(r.duration, ==, 1000);
	/* the reserved bit is ignored on receipt */
	buf[1] = 0x4a;
	g_assert_cmpint(xb_rtp_dtmf_decode(&r, buf, 4), ==, 0);
	g_assert_false(r.end);
	g_assert_cmpuint(r.volume, ==, 10);
	g_assert_cmpint(xb_rtp_dtmf_decode(&r, buf, 3), ==, -EBADMSG);
	g_assert_cmpint(xb_rtp_dtmf_encode(&ev, buf, 3), ==, -ENOSPC);
	ev.volume = 64;
	g_assert_cmpint(xb_rtp_dtmf_encode(&ev, buf, 4), ==, -EINVAL);
}

/* §3.2: events 0-15 are the DTMF characters, 16 flash. */
static void test_dtmf_chars(void)
{
	const char *all = "0123456789*#ABCD";

	for (int i = 0; i < 16; i++) {
		g_assert_cmpint(xb_rtp_dtmf_char((uint8_t)i), ==, all[i]);
		g_assert_cmpint(xb_rtp_dtmf_event(all[i]), ==, i);
	}
	g_assert_cmpint(xb_rtp_dtmf_char(16), ==, '!');
	g_assert_cmpint(xb_rtp_dtmf_char(17), ==, 0);
	g_assert_cmpint(xb_rtp_dtmf_event('d'), ==, 15);
	g_assert_cmpint(xb_rtp_dtmf_event('x'), ==, -1);
	g_assert_cmpint(xb_rtp_dtmf_event('\0'), ==, -1);
}

static unsigned rx(XbRtpDtmfRx *r, uint32_t ts, uint8_t event, bool end, uint16_t dur,
                   XbRtpDtmfReport out[3])
{
	XbRtpDtmf ev = {event, end, 10, dur};

	return xb_rtp_dtmf_rx_feed(r, ts, &ev, out);
}

/* §2.5: a digit as sent: start, updates every 50 ms, end three times. */
static void test_dtmf_rx_event(void)
{
	XbRtpDtmfRx r;
	XbRtpDtmfReport out[3];

	xb_rtp_dtmf_rx_init(&r);
	g_assert_cmpuint(rx(&r, 8000, 1, false, 400, out), ==, 1);
	g_assert_cmpint(out[0].kind, ==, XB_RTP_DTMF_BEGIN);
	g_assert_cmpuint(out[0].event, ==, 1);
	g_assert_cmpuint(rx(&r, 8000, 1, false, 800, out), ==, 0);
	g_assert_cmpuint(rx(&r, 8000, 1, false, 1200, out), ==, 0);
	g_assert_cmpuint(rx(&r, 8000, 1, true, 1600, out), ==, 1);
	g_assert_cmpint(out[0].kind, ==, XB_RTP_DTMF_END);
	g_assert_cmpuint(out[0].duration, ==, 1600);
	g_assert_cmpuint(out[0].ts, ==, 8000);
	g_assert_cmpuint(rx(&r, 8000, 1, true, 1600, out), ==, 0);
	g_assert_cmpuint(rx(&r, 8000, 1, true, 1600, out), ==, 0);
	/* a late update of it after its end is ignored too */
	g_assert_cmpuint(rx(&r, 8000, 1, false, 1200, out), ==, 0);
	/* the next digit */
	g_assert_cmpuint(rx(&r, 16000, 2, false, 160, out), ==, 1);
	g_assert_cmpuint(out[0].event, ==, 2);
	g_assert_cmpint(r.state, ==, XB_RTP_DTMF_RX_ACTIVE);
	/* a packet of the previous digit arriving late */
	g_assert_cmpuint(rx(&r, 8000, 1, true, 1600, out), ==, 0);
	g_assert_cmpuint(r.event, ==, 2);
}

/* Lost packets: only end packets arrive; the end packets never arrive; the sender goes
 * silent; the timestamp wraps around 2^32. */
static void test_dtmf_rx_losses(void)
{
	XbRtpDtmfRx r;
	XbRtpDtmfReport out[3];

	xb_rtp_dtmf_rx_init(&r);
	g_assert_cmpuint(rx(&r, 100, 9, true, 800, out), ==, 2);
	g_assert_cmpint(out[0].kind, ==, XB_RTP_DTMF_BEGIN);
	g_assert_cmpint(out[1].kind, ==, XB_RTP_DTMF_END);
	g_assert_cmpuint(out[1].duration, ==, 800);
	g_assert_cmpuint(rx(&r, 100, 9, true, 800, out), ==, 0);

	g_assert_cmpuint(rx(&r, 2000, 3, false, 160, out), ==, 1);
	g_assert_cmpuint(rx(&r, 2000, 3, false, 480, out), ==, 0);
	g_assert_cmpuint(rx(&r, 4000, 4, false, 160, out), ==, 2);
	g_assert_cmpint(out[0].kind, ==, XB_RTP_DTMF_END);
	g_assert_cmpuint(out[0].event, ==, 3);
	g_assert_cmpuint(out[0].duration, ==, 480);
	g_assert_cmpint(out[1].kind, ==, XB_RTP_DTMF_BEGIN);
	g_assert_cmpuint(out[1].event, ==, 4);

	g_assert_cmpuint(xb_rtp_dtmf_rx_timeout(&r, out), ==, 1);
	g_assert_cmpint(out[0].kind, ==, XB_RTP_DTMF_END);
	g_assert_cmpuint(out[0].event, ==, 4);
	g_assert_cmpuint(xb_rtp_dtmf_rx_timeout(&r, out), ==, 0);
	g_assert_cmpuint(rx(&r, 4000, 4, true, 800, out), ==, 0);

	xb_rtp_dtmf_rx_init(&r);
	g_assert_cmpuint(rx(&r, 0xFFFFFF00u, 7, false, 160, out), ==, 1);
	g_assert_cmpuint(rx(&r, 0x00000100u, 8, false, 160, out), ==, 2);
	g_assert_cmpuint(out[1].event, ==, 8);
}

/* One event of 100 ms in 20 ms steps: five packets of growing duration, the marker on the
 * first, the last with the E bit and sent three times; what the receiver makes of them is
 * one event of the same duration. */
static void test_dtmf_tx_event(void)
{
	static const uint16_t want[] = {160, 320, 480, 640, 800, 800, 800};
	XbRtpDtmfTx tx;
	XbRtpDtmfRx r;
	XbRtpDtmfReport out[3];
	uint8_t buf[8];
	bool marker;
	unsigned ends = 0;

	g_assert_cmpint(xb_rtp_dtmf_tx_init(&tx, 5, 800, 160, 10), ==, 0);
	xb_rtp_dtmf_rx_init(&r);
	for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
		XbRtpDtmf ev;
		g_assert_cmpint(xb_rtp_dtmf_tx_next(&tx, buf, sizeof(buf), &marker), ==, 4);
		g_assert_cmpint(xb_rtp_dtmf_decode(&ev, buf, 4), ==, 0);
		g_assert_cmpuint(ev.event, ==, 5);
		g_assert_cmpuint(ev.volume, ==, 10);
		g_assert_cmpuint(ev.duration, ==, want[i]);
		g_assert_true(ev.end == (i >= 4));
		g_assert_true(marker == (i == 0));
		g_assert_cmpuint(buf[1] & 0x40, ==, 0); /* R: zero */
		ends += ev.end;
		unsigned n = xb_rtp_dtmf_rx_feed(&r, 1000, &ev, out);
		if (i == 4) {
			g_assert_cmpuint(n, ==, 1);
			g_assert_cmpuint(out[0].kind, ==, XB_RTP_DTMF_END);
			g_assert_cmpuint(out[0].duration, ==, 800);
		}
	}
	g_assert_cmpuint(ends, ==, 3);
	g_assert_cmpint(xb_rtp_dtmf_tx_next(&tx, buf, sizeof(buf), &marker), ==, 0);
}

/* A duration that is not a whole number of steps ends on the duration itself; a short one
 * is a single packet with E; bad arguments are refused. */
static void test_dtmf_tx_edges(void)
{
	XbRtpDtmfTx tx;
	XbRtpDtmf ev;
	uint8_t buf[4];
	bool marker;

	g_assert_cmpint(xb_rtp_dtmf_tx_init(&tx, 11, 400, 160, 10), ==, 0);
	for (unsigned i = 0; i < 2; i++)
		g_assert_cmpint(xb_rtp_dtmf_tx_next(&tx, buf, 4, &marker), ==, 4);
	g_assert_cmpint(xb_rtp_dtmf_tx_next(&tx, buf, 4, &marker), ==, 4);
	g_assert_cmpint(xb_rtp_dtmf_decode(&ev, buf, 4), ==, 0);
	g_assert_cmpuint(ev.duration, ==, 400);
	g_assert_true(ev.end);

	g_assert_cmpint(xb_rtp_dtmf_tx_init(&tx, 0, 80, 160, 10), ==, 0);
	g_assert_cmpint(xb_rtp_dtmf_tx_next(&tx, buf, 4, &marker), ==, 4);
	g_assert_cmpint(xb_rtp_dtmf_decode(&ev, buf, 4), ==, 0);
	g_assert_true(marker && ev.end && ev.duration == 80);
	g_assert_cmpint(xb_rtp_dtmf_tx_next(&tx, buf, 3, &marker), ==, -ENOSPC);

	g_assert_cmpint(xb_rtp_dtmf_tx_init(&tx, 1, 800, 160, 64), ==, -EINVAL);
	g_assert_cmpint(xb_rtp_dtmf_tx_init(&tx, 1, 0, 160, 10), ==, -EINVAL);
	g_assert_cmpint(xb_rtp_dtmf_tx_init(&tx, 1, 800, 0, 10), ==, -EINVAL);
}

/* NTP time of the Unix epoch and of a half second after it (RFC 5905 §6); the middle 32
 * bits an RR's LSR carries (RFC 3550 §6.4.1). */
static void test_rtcp_ntp(void)
{
	g_assert_cmpuint(xb_rtcp_ntp_from_unix_us(0), ==, 2208988800ull << 32);
	g_assert_cmpuint(xb_rtcp_ntp_from_unix_us(1500000), ==,
	                 (2208988801ull << 32) | 0x80000000u);
	g_assert_cmpuint(xb_rtcp_ntp_middle(0x0123456789ABCDEFull), ==, 0x456789ABu);
}

/* A sender report as the media engine sends it: SR with no blocks, then SDES with the
 * CNAME, one compound that passes A.2's checks and reads back the same. */
static void test_rtcp_sr_cname(void)
{
	uint8_t buf[128];
	XbRtcpReport sr = {.ssrc = 0xCAFEF00D,
	                   .ntp = xb_rtcp_ntp_from_unix_us(1700000000000000),
	                   .rtp_ts = 123456,
	                   .packet_count = 250,
	                   .octet_count = 40000};
	int n = xb_rtcp_build_sr(&sr, buf, sizeof(buf));
	g_assert_cmpint(n, ==, 28);
	int m = xb_rtcp_build_sdes_cname(sr.ssrc, "crossbar@127.0.0.1", buf + n, sizeof(buf) - n);
	g_assert_cmpint(m, >, 0);
	g_assert_cmpint(xb_rtcp_validate(buf, (size_t)(n + m)), ==, 0);

	XbRtcpPacket pkt;
	XbRtcpReport r;
	XbRtcpSdesIter it;
	XbRtcpSdesItem item;
	size_t off = 0;
	g_assert_cmpint(xb_rtcp_next(buf, (size_t)(n + m), &off, &pkt), ==, 1);
	g_assert_cmpint(xb_rtcp_report(&pkt, &r), ==, 0);
	g_assert_cmpuint(pkt.type, ==, XB_RTCP_SR);
	g_assert_cmpuint(r.ssrc, ==, sr.ssrc);
	g_assert_cmpuint(r.ntp, ==, sr.ntp);
	g_assert_cmpuint(r.rtp_ts, ==, 123456);
	g_assert_cmpuint(r.packet_count, ==, 250);
	g_assert_cmpuint(r.octet_count, ==, 40000);
	g_assert_cmpint(xb_rtcp_next(buf, (size_t)(n + m), &off, &pkt), ==, 1);
	xb_rtcp_sdes_iter_init(&it, &pkt);
	g_assert_cmpint(xb_rtcp_sdes_next(&pkt, &it, &item), ==, 1);
	g_assert_cmpuint(item.ssrc, ==, sr.ssrc);
	g_assert_cmpuint(item.type, ==, XB_RTCP_SDES_CNAME);
	g_assert_cmpmem(item.text, item.len, "crossbar@127.0.0.1", 18);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtp/header/parse-pcmu-5.1", test_rtp_parse_basic);
	g_test_add_func("/rtp/header/csrc-extension-padding-5.3.1", test_rtp_build_parse_full);
	g_test_add_func("/rtp/header/parse-bounds", test_rtp_parse_bounds);
	g_test_add_func("/rtp/header/build-invalid", test_rtp_build_invalid);
	g_test_add_func("/rtp/header/rtcp-demux-rfc5761", test_rtp_rtcp_demux);
	g_test_add_func("/rtp/rtcp/sr-sdes-bye-round-trip-6.4", test_rtcp_compound_round_trip);
	g_test_add_func("/rtp/rtcp/rr-sdes-app-wire-6.5", test_rtcp_parse_wire);
	g_test_add_func("/rtp/rtcp/validate-refuses-A.2", test_rtcp_validate_bad);
	g_test_add_func("/rtp/rtcp/build-limits", test_rtcp_build_limits);
	g_test_add_func("/rtp/source/extended-seq-wrap-A.1", test_source_wrap);
	g_test_add_func("/rtp/source/loss-fraction-A.3", test_source_loss);
	g_test_add_func("/rtp/source/jump-restart-misorder-A.1", test_source_jump_and_misorder);
	g_test_add_func("/rtp/source/jitter-A.8", test_source_jitter);
	g_test_add_func("/rtp/dtmf/payload-rfc4733-2.3", test_dtmf_payload);
	g_test_add_func("/rtp/dtmf/characters-rfc4733-3.2", test_dtmf_chars);
	g_test_add_func("/rtp/dtmf/rx-one-event-rfc4733-2.5", test_dtmf_rx_event);
	g_test_add_func("/rtp/dtmf/rx-lost-packets", test_dtmf_rx_losses);
	g_test_add_func("/rtp/dtmf/tx-one-event-rfc4733-2.5.1", test_dtmf_tx_event);
	g_test_add_func("/rtp/dtmf/tx-edges", test_dtmf_tx_edges);
	g_test_add_func("/rtp/rtcp/ntp-timestamp-rfc5905-6", test_rtcp_ntp);
	g_test_add_func("/rtp/rtcp/sr-with-cname-6.4.1", test_rtcp_sr_cname);
	return g_test_run();
}
