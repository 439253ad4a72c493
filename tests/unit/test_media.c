/* test_media.c: the media engine on loopback: two "phones" (plain UDP sockets of the test)
 * talk through two joined endpoints, RTP and RTCP both ways; packets go back to where they
 * come from (symmetric RTP), the source is learnt early in a stream and later only from the
 * same SSRC (a stranger's packets are dropped, a NAT rebinding is followed; a stranger's
 * flood of RTP and junk changes nothing); a silent
 * stream times out; telephone-events (RFC 4733) are reported once each, as they end, and
 * still relayed; digits crossbar sends go as telephone-events in the endpoint's stream;
 * a stream crossbar plays gets sender reports, and relayed RTCP names the SSRCs each phone
 * knows; endpoints on different workers join; port pairs are even/odd, run out
 * with a clear error and rest before reuse; what is not RTP is dropped. */
#include "config.h"
#include "core/media/media_private.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LO 58100
#define HI 58199

typedef struct {
	int fd;
	guint16 port;
} Phone;

static Phone phone_new(void)
{
	Phone p = {socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 0};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	struct timeval tv = {0, 300 * 1000};

	g_assert_cmpint(p.fd, >=, 0);
	g_assert_cmpint(bind(p.fd, (struct sockaddr *)&a, sizeof a), ==, 0);
	g_assert_cmpint(getsockname(p.fd, (struct sockaddr *)&a, &len), ==, 0);
	setsockopt(p.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	p.port = ntohs(a.sin_port);
	return p;
}

/* An RTP packet (version 2, PT 0) with the given SSRC and sequence number. */
static void rtp_send(Phone *p, guint16 to, guint32 ssrc, guint16 seq)
{
	guint8 pkt[172] = {0x80, 0x00};
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons(to)};

	pkt[2] = seq >> 8;
	pkt[3] = seq & 0xff;
	pkt[8] = ssrc >> 24;
	pkt[9] = ssrc >> 16;
	pkt[10] = ssrc >> 8;
	pkt[11] = ssrc;
	g_assert_cmpint(sendto(p->fd, pkt, sizeof pkt, 0, (struct sockaddr *)&a, sizeof a), ==,
	                sizeof pkt);
}

/* An RTCP receiver report without report blocks from `ssrc`. */
static void rtcp_send(Phone *p, guint16 to, guint32 ssrc)
{
	guint8 pkt[8] = {0x80, 201, 0, 1, ssrc >> 24, ssrc >> 16, ssrc >> 8, ssrc};
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons(to)};

	g_assert_cmpint(sendto(p->fd, pkt, sizeof pkt, 0, (struct sockaddr *)&a, sizeof a), ==,
	                sizeof pkt);
}

/* The SSRC of the RTCP packet the phone receives within 300 ms, or -1. */
static gint64 rtcp_recv(Phone *p, guint16 *from_port)
{
	guint8 buf[2048];
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	ssize_t n = recvfrom(p->fd, buf, sizeof buf, 0, (struct sockaddr *)&a, &len);

	if (n < 8)
		return -1;
	*from_port = ntohs(a.sin_port);
	return (gint64)((guint32)buf[4] << 24 | buf[5] << 16 | buf[6] << 8 | buf[7]);
}

/* What the phone receives within 300 ms: the sequence number (-1: nothing), and from where. */
static int rtp_recv(Phone *p, guint16 *from_port)
{
	guint8 buf[2048];
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	for (int spins = 0; spins < 10; spins++) {
		ssize_t n = recvfrom(p->fd, buf, sizeof buf, 0, (struct sockaddr *)&a, &len);
		if (n >= 12) {
			if (from_port)
				*from_port = ntohs(a.sin_port);
			return buf[2] << 8 | buf[3];
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		xb_media_dispatch_events();
	}
	return -1;
}

static GPtrArray *seen; /* "latched:PORT", "timeout" */

static void event_cb(XbMediaEndpoint *ep, const XbMediaEvent *ev, gpointer user_data)
{
	if (ev->type == XB_MEDIA_EV_DTMF) {
		g_ptr_array_add(seen, g_strdup_printf("dtmf:%s:%c:%u", (char *)user_data, ev->digit,
		                                      ev->duration_ms));
		return;
	}
	if (ev->type == XB_MEDIA_EV_TIMEOUT) {
		g_ptr_array_add(seen, g_strdup_printf("timeout:%s", (char *)user_data));
		return;
	}
	g_ptr_array_add(seen, g_strdup_printf("latched:%s:%u", (char *)user_data,
	                                      g_inet_socket_address_get_port(ev->source)));
}

static gboolean saw(const char *what, guint ms)
{
	gint64 until = g_get_monotonic_time() + ms * 1000;

	do {
		xb_media_dispatch_events();
		for (guint i = 0; i < seen->len; i++)
			if (!strcmp(seen->pdata[i], what))
				return TRUE;
		g_usleep(10 * 1000);
	} while (g_get_monotonic_time() < until);
	return FALSE;
}

static void setup(guint lo, guint hi, gint64 rest_ms)
{
	g_autoptr(GError) error = NULL;

	seen = g_ptr_array_new_with_free_func(g_free);
	g_assert_true(xb_media_engine_start(2, lo, hi, rest_ms, &error));
	g_assert_no_error(error);
}

static void teardown(void)
{
	xb_media_engine_stop();
	g_ptr_array_unref(seen);
}

static XbMediaEndpoint *endpoint(XbMediaEndpoint *near, const char *name)
{
	g_autoptr(GError) error = NULL;
	XbMediaEndpoint *ep =
	    xb_media_endpoint_new("127.0.0.1", near, event_cb, (char *)name, &error);

	g_assert_no_error(error);
	g_assert_nonnull(ep);
	g_assert_cmpint(xb_media_endpoint_port(ep) % 2, ==, 0);
	g_assert_cmpint(xb_media_endpoint_port(ep), >=, LO);
	return ep;
}

static void test_relay_both_ways(void)
{
	setup(LO, HI, 0);
	Phone a = phone_new(), b = phone_new();
	XbMediaEndpoint *ea = endpoint(NULL, "a"), *eb = endpoint(ea, "b");
	guint16 from = 0;

	g_assert_true(xb_media_endpoint_set_remote(ea, "127.0.0.1", a.port));
	g_assert_true(xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port));
	xb_media_join(ea, eb);
	g_usleep(50 * 1000);
	rtp_send(&a, xb_media_endpoint_port(ea), 0x1111, 1);
	g_assert_cmpint(rtp_recv(&b, &from), ==, 1);
	g_assert_cmpint(from, ==, xb_media_endpoint_port(eb));
	rtp_send(&b, xb_media_endpoint_port(eb), 0x2222, 7);
	g_assert_cmpint(rtp_recv(&a, &from), ==, 7);
	g_assert_cmpint(from, ==, xb_media_endpoint_port(ea));
	/* RTCP between the odd ports: b's report teaches eb where b's RTCP comes from (these
	 * phones have no RTP port + 1), then a's report reaches it there. */
	Phone ar = phone_new(), br = phone_new();
	rtcp_send(&br, xb_media_endpoint_port(eb) + 1, 0x2222);
	g_usleep(50 * 1000);
	rtcp_send(&ar, xb_media_endpoint_port(ea) + 1, 0x1111);
	/* (named by the SSRC b receives a's RTP with) */
	g_assert_cmpint(rtcp_recv(&br, &from), ==, eb->out_ssrc);
	g_assert_cmpint(from, ==, xb_media_endpoint_port(eb) + 1);
	XbMediaCounters c;
	/* The worker counts just after it sends: wait for it. */
	for (int i = 0; i < 100; i++) {
		xb_media_endpoint_counters(ea, &c);
		if (c.rx_packets == 2 && c.tx_packets == 2)
			break;
		g_usleep(10 * 1000);
	}
	g_assert_cmpuint(c.rx_packets, ==, 2); /* a's RTP and RTCP */
	g_assert_cmpuint(c.tx_packets, ==, 2); /* b's, towards a */
	close(ar.fd);
	close(br.fd);
	xb_media_endpoint_unref(ea);
	xb_media_endpoint_unref(eb);
	close(a.fd);
	close(b.fd);
	teardown();
}

static void test_symmetric_rtp(void)
{
	setup(LO, HI, 0);
	Phone a = phone_new(), b = phone_new();
	XbMediaEndpoint *ea = endpoint(NULL, "a"), *eb = endpoint(ea, "b");
	g_autofree char *want = g_strdup_printf("latched:a:%u", a.port);

	/* a's session description names a port it does not send from (behind NAT). */
	xb_media_endpoint_set_remote(ea, "127.0.0.1", 9);
	xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port);
	xb_media_join(ea, eb);
	g_usleep(50 * 1000);
	rtp_send(&a, xb_media_endpoint_port(ea), 0x1111, 1);
	g_assert_cmpint(rtp_recv(&b, NULL), ==, 1);
	g_assert_true(saw(want, 1000));
	rtp_send(&b, xb_media_endpoint_port(eb), 0x2222, 2);
	g_assert_cmpint(rtp_recv(&a, NULL), ==, 2); /* to where a's packets came from */
	xb_media_endpoint_unref(ea);
	xb_media_endpoint_unref(eb);
	close(a.fd);
	close(b.fd);
	teardown();
}

static void test_hijack_refused(void)
{
	setup(LO, HI, 0);
	Phone a = phone_new(), b = phone_new(), stranger = phone_new(), moved = phone_new();
	XbMediaEndpoint *ea = endpoint(NULL, "a"), *eb = endpoint(ea, "b");
	XbMediaCounters c;

	xb_media_endpoint_set_remote(ea, "127.0.0.1", a.port);
	xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port);
	xb_media_join(ea, eb);
	g_usleep(50 * 1000);
	for (guint16 s = 1; s <= 20; s++) {
		rtp_send(&a, xb_media_endpoint_port(ea), 0x1111, s);
		g_assert_cmpint(rtp_recv(&b, NULL), ==, s);
	}
	/* A stranger's stream, once a's is established, goes nowhere. */
	rtp_send(&stranger, xb_media_endpoint_port(ea), 0x6666, 500);
	g_assert_cmpint(rtp_recv(&b, NULL), ==, -1);
	g_usleep(50 * 1000); /* (the worker counts after it sends) */
	xb_media_endpoint_counters(ea, &c);
	g_assert_cmpuint(c.dropped, ==, 1);
	rtp_send(&b, xb_media_endpoint_port(eb), 0x2222, 3);
	g_assert_cmpint(rtp_recv(&a, NULL), ==, 3);
	g_assert_cmpint(rtp_recv(&stranger, NULL), ==, -1);
	/* a's own stream from a new address (its NAT rebinding) is followed. */
	rtp_send(&moved, xb_media_endpoint_port(ea), 0x1111, 21);
	g_assert_cmpint(rtp_recv(&b, NULL), ==, 21);
	rtp_send(&b, xb_media_endpoint_port(eb), 0x2222, 4);
	g_assert_cmpint(rtp_recv(&moved, NULL), ==, 4);
	/* What is not RTP version 2 is dropped. */
	guint8 junk[40] = {0};
	struct sockaddr_in to = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                         .sin_port = htons(xb_media_endpoint_port(ea))};
	sendto(a.fd, junk, sizeof junk, 0, (struct sockaddr *)&to, sizeof to);
	g_assert_cmpint(rtp_recv(&b, NULL), ==, -1);
	g_usleep(50 * 1000); /* (the worker counts after it sends) */
	xb_media_endpoint_counters(ea, &c);
	g_assert_cmpuint(c.dropped, ==, 2);
	xb_media_endpoint_unref(ea);
	xb_media_endpoint_unref(eb);
	close(a.fd);
	close(b.fd);
	close(stranger.fd);
	close(moved.fd);
	teardown();
}

/* One RFC 4733 packet of `event` (PT 101) with the RTP timestamp ts. */
static void dtmf_send(Phone *p, guint16 to, guint16 seq, guint32 ts, guint8 event, gboolean end,
                      guint16 duration)
{
	guint8 pkt[16] = {0x80,
	                  101,
	                  seq >> 8,
	                  seq & 0xff,
	                  ts >> 24,
	                  ts >> 16,
	                  ts >> 8,
	                  ts,
	                  0,
	                  0,
	                  0x11,
	                  0x11,
	                  event,
	                  end ? 0x8a : 0x0a,
	                  duration >> 8,
	                  duration & 0xff};
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons(to)};

	if (seq == 100)
		pkt[1] |= 0x80; /* the marker starts an event */
	g_assert_cmpint(sendto(p->fd, pkt, sizeof pkt, 0, (struct sockaddr *)&a, sizeof a), ==,
	                sizeof pkt);
}

static void test_dtmf(void)
{
	setup(LO, HI, 0);
	Phone a = phone_new(), b = phone_new();
	XbMediaEndpoint *ea = endpoint(NULL, "a"), *eb = endpoint(ea, "b");
	guint16 port = 0;

	xb_media_endpoint_set_remote(ea, "127.0.0.1", a.port);
	xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port);
	xb_media_endpoint_set_dtmf(ea, 101, 8000);
	xb_media_endpoint_set_dtmf(eb, 96, 8000);
	xb_media_join(ea, eb);
	g_usleep(50 * 1000);
	port = xb_media_endpoint_port(ea);
	/* '5' for 100 ms: start, two updates, the end three times: reported once, at its end. */
	dtmf_send(&a, port, 100, 8000, 5, FALSE, 0);
	dtmf_send(&a, port, 101, 8000, 5, FALSE, 320);
	dtmf_send(&a, port, 102, 8000, 5, FALSE, 640);
	for (guint16 s = 103; s < 106; s++)
		dtmf_send(&a, port, s, 8000, 5, TRUE, 800);
	g_assert_true(saw("dtmf:a:5:100", 1000));
	/* The packets still reach the other leg, with its payload type. */
	guint8 buf[64];
	g_assert_cmpint(recv(b.fd, buf, sizeof buf, 0), ==, 16);
	g_assert_cmpuint(buf[1], ==, 0x80 | 96);
	/* '#' whose end packets are lost ends after a second without packets. */
	dtmf_send(&a, port, 107, 9600, 11, FALSE, 0);
	dtmf_send(&a, port, 108, 9600, 11, FALSE, 160);
	g_assert_false(saw("dtmf:a:#:20", 500));
	g_assert_true(saw("dtmf:a:#:20", 2000));
	guint n = 0;
	for (guint i = 0; i < seen->len; i++)
		n += g_str_has_prefix(seen->pdata[i], "dtmf:");
	g_assert_cmpuint(n, ==, 2);
	xb_media_endpoint_unref(ea);
	xb_media_endpoint_unref(eb);
	close(a.fd);
	close(b.fd);
	teardown();
}

/* A stranger floods an established stream's port with RTP of its own and with junk: none
 * of it reaches the other phone, it is counted as dropped, and the stream goes on. */
static void test_flood(void)
{
	setup(LO, HI, 0);
	Phone a = phone_new(), b = phone_new(), stranger = phone_new();
	XbMediaEndpoint *ea = endpoint(NULL, "a"), *eb = endpoint(ea, "b");
	guint16 port;
	guint8 junk[1500] = {0x00, 0xff};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	XbMediaCounters c;

	xb_media_endpoint_set_remote(ea, "127.0.0.1", a.port);
	xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port);
	xb_media_join(ea, eb);
	g_usleep(50 * 1000);
	port = xb_media_endpoint_port(ea);
	to.sin_port = htons(port);
	for (guint16 s = 1; s <= 20; s++) {
		rtp_send(&a, port, 0x1111, s);
		g_assert_cmpint(rtp_recv(&b, NULL), ==, s);
	}
	for (guint i = 0; i < 5000; i++) {
		if (i % 2)
			rtp_send(&stranger, port, 0x6666, (guint16)i);
		else
			sendto(stranger.fd, junk, sizeof junk, 0, (struct sockaddr *)&to,
			       sizeof to);
	}
	/* The flood may outrun the worker and fill the socket's buffer, where the kernel would
	 * drop a's next packets too: a's stream goes on once the worker has drained it. */
	guint64 seen = G_MAXUINT64;
	for (guint tries = 0; tries < 100; tries++) {
		xb_media_endpoint_counters(ea, &c);
		if (c.rx_packets == seen)
			break;
		seen = c.rx_packets;
		g_usleep(50 * 1000);
	}
	for (guint16 s = 21; s <= 25; s++) {
		rtp_send(&a, port, 0x1111, s);
		g_assert_cmpint(rtp_recv(&b, NULL), ==, s); /* a's, and nothing of the stranger's */
	}
	g_usleep(50 * 1000);
	xb_media_endpoint_counters(ea, &c);
	g_assert_cmpuint(c.dropped, >, 0);
	g_assert_cmpuint(c.rx_packets - c.dropped, ==, 25);
	xb_media_endpoint_unref(ea);
	xb_media_endpoint_unref(eb);
	close(a.fd);
	close(b.fd);
	close(stranger.fd);
	teardown();
}

static void test_timeout(void)
{
	setup(LO, HI, 0);
	Phone a = phone_new();
	XbMediaEndpoint *ea = endpoint(NULL, "a");

	xb_media_endpoint_set_remote(ea, "127.0.0.1", a.port);
	xb_media_endpoint_set_timeout(ea, 1);
	g_assert_false(saw("timeout:a", 600));
	g_assert_true(saw("timeout:a", 1500));
	xb_media_endpoint_unref(ea);
	close(a.fd);
	teardown();
}

static void test_join_across_workers(void)
{
	setup(LO, HI, 0);
	Phone a = phone_new(), b = phone_new();
	/* Two endpoints made apart land on the two workers (the least loaded takes each). */
	XbMediaEndpoint *ea = endpoint(NULL, "a"), *eb = endpoint(NULL, "b");
	XbMediaWorkerStats s0, s1;

	xb_media_worker_stats(0, &s0);
	xb_media_worker_stats(1, &s1);
	g_assert_cmpuint(s0.endpoints, ==, 1);
	g_assert_cmpuint(s1.endpoints, ==, 1);
	xb_media_endpoint_set_remote(ea, "127.0.0.1", a.port);
	xb_media_join(ea, eb);
	xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port); /* given while eb moves */
	for (int i = 0; i < 50 && (s0.endpoints == 1); i++) {
		g_usleep(10 * 1000);
		xb_media_dispatch_events();
		xb_media_worker_stats(0, &s0);
	}
	g_usleep(50 * 1000);
	xb_media_dispatch_events();
	rtp_send(&a, xb_media_endpoint_port(ea), 0x1111, 1);
	g_assert_cmpint(rtp_recv(&b, NULL), ==, 1);
	rtp_send(&b, xb_media_endpoint_port(eb), 0x2222, 2);
	g_assert_cmpint(rtp_recv(&a, NULL), ==, 2);
	xb_media_worker_stats(0, &s0);
	xb_media_worker_stats(1, &s1);
	g_assert_cmpuint(s0.endpoints + s1.endpoints, ==, 2);
	g_assert_true(s0.endpoints == 2 || s1.endpoints == 2);
	xb_media_endpoint_unref(ea);
	xb_media_endpoint_unref(eb);
	close(a.fd);
	close(b.fd);
	teardown();
}

static void test_ports_run_out_and_rest(void)
{
	g_autoptr(GError) error = NULL;

	setup(LO, LO + 3, 300); /* two pairs */
	XbMediaEndpoint *e1 = endpoint(NULL, "1"), *e2 = endpoint(NULL, "2");
	g_assert_null(xb_media_endpoint_new("127.0.0.1", NULL, event_cb, "3", &error));
	g_assert_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_NO_PORTS);
	g_assert_nonnull(strstr(error->message, "2 in use, 0 resting"));
	g_clear_error(&error);
	xb_media_endpoint_unref(e1);
	for (int i = 0; i < 50 && xb_media_ports_in_use() == 2; i++) {
		g_usleep(10 * 1000);
		xb_media_dispatch_events();
	}
	g_assert_cmpuint(xb_media_ports_resting(), ==, 1);
	g_assert_null(xb_media_endpoint_new("127.0.0.1", NULL, event_cb, "3", &error));
	g_assert_nonnull(strstr(error->message, "1 in use, 1 resting"));
	g_clear_error(&error);
	g_usleep(350 * 1000);
	XbMediaEndpoint *e3 = endpoint(NULL, "3");
	xb_media_endpoint_unref(e2);
	xb_media_endpoint_unref(e3);
	teardown();
}

/* RFC 4733 §2.5.1: digits crossbar sends go in the endpoint's own stream: each event's
 * packets share its timestamp, the first is marked, durations grow by 20 ms and the end
 * packet comes three times; sequence numbers run on without a gap; a far end that agreed
 * to no telephone-event gets nothing. */
static void test_dtmf_send(void)
{
	setup(LO, HI, 0);
	Phone a = phone_new();
	XbMediaEndpoint *ea = endpoint(NULL, "a");
	guint8 buf[64];
	guint8 events[8];
	guint32 ts[8];
	guint n_events = 0, n = 0;
	guint16 last_seq = 0;

	xb_media_endpoint_set_remote(ea, "127.0.0.1", a.port);
	g_assert_false(xb_media_send_dtmf(ea, "1", 60, -1));
	xb_media_endpoint_set_dtmf(ea, 101, 8000);
	g_assert_false(xb_media_send_dtmf(ea, "xyz", 60, -1));
	g_assert_true(xb_media_send_dtmf(ea, "1#", 60, -1));
	/* 60 ms: durations 160, 320, then 480 with E three times; 5 packets a digit. */
	while (n < 10 && recv(a.fd, buf, sizeof buf, 0) == 16) {
		XbRtpHeader h;
		XbRtpDtmf d;
		g_assert_cmpint(xb_rtp_parse(&h, buf, 16), ==, 0);
		g_assert_cmpint(xb_rtp_dtmf_decode(&d, h.payload, h.payload_len), ==, 0);
		g_assert_cmpuint(h.pt, ==, 101);
		g_assert_cmpuint(h.ssrc, ==, ea->out_ssrc);
		if (n)
			g_assert_cmpuint(h.seq, ==, (guint16)(last_seq + 1));
		last_seq = h.seq;
		guint k = n % 5;
		if (k == 0) {
			events[n_events] = d.event;
			ts[n_events++] = h.ts;
		}
		g_assert_cmpuint(h.ts, ==, ts[n_events - 1]);
		g_assert_true(h.marker == (k == 0));
		g_assert_cmpuint(d.duration, ==, MIN(160 * (k + 1), 480));
		g_assert_true(d.end == (k >= 2));
		n++;
	}
	g_assert_cmpuint(n, ==, 10);
	g_assert_cmpuint(events[0], ==, 1);
	g_assert_cmpuint(events[1], ==, 11);
	/* The second event's time is after the first's end and the gap. */
	g_assert_cmpuint(ts[1] - ts[0], >=, 480 + 800);
	g_assert_cmpint(recv(a.fd, buf, sizeof buf, 0), <, 0);
	xb_media_endpoint_unref(ea);
	close(a.fd);
	teardown();
}

/* RFC 3550 §6.4.1: an endpoint playing to its far end (joined to none) sends sender
 * reports to the far end's RTCP port, the port above RTP: its stream's SSRC, the packets
 * and octets sent, and an SDES CNAME. */
static void test_rtcp_sender_report(void)
{
	setup(LO, HI, 0);
	Phone ar = phone_new();
	XbMediaEndpoint *ea = endpoint(NULL, "a");
	guint8 buf[256];
	struct timeval tv = {0, 100 * 1000};
	ssize_t len = -1;

	setsockopt(ar.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	xb_media_endpoint_set_remote(ea, "127.0.0.1", ar.port - 1);
	guint8 *silence = g_malloc(160 * 50);
	memset(silence, 0xff, 160 * 50);
	g_autoptr(GBytes) frames = g_bytes_new_take(silence, 160 * 50);
	xb_media_engine_play(ea, frames, 0, 160, TRUE, 1);
	gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (len < 0 && g_get_monotonic_time() < until)
		len = recv(ar.fd, buf, sizeof buf, 0);
	g_assert_cmpint(len, >, 0);
	g_assert_cmpint(xb_rtcp_validate(buf, (size_t)len), ==, 0);
	XbRtcpPacket pkt;
	XbRtcpReport r;
	size_t off = 0;
	g_assert_cmpint(xb_rtcp_next(buf, (size_t)len, &off, &pkt), ==, 1);
	g_assert_cmpuint(pkt.type, ==, XB_RTCP_SR);
	g_assert_cmpint(xb_rtcp_report(&pkt, &r), ==, 0);
	g_assert_cmpuint(r.ssrc, ==, ea->out_ssrc);
	g_assert_cmpuint(r.packet_count, >, 10);
	g_assert_cmpuint(r.octet_count, ==, 160 * r.packet_count);
	gint64 ntp_s = (gint64)(r.ntp >> 32) - 2208988800LL;
	g_assert_cmpint(ABS(ntp_s - g_get_real_time() / G_USEC_PER_SEC), <=, 2);
	g_assert_cmpint(xb_rtcp_next(buf, (size_t)len, &off, &pkt), ==, 1);
	g_assert_cmpuint(pkt.type, ==, XB_RTCP_SDES);
	xb_media_endpoint_unref(ea);
	close(ar.fd);
	teardown();
}

/* Relayed RTCP names the SSRCs the other phone knows: the sender's own becomes the stream
 * the other phone receives, a report block about crossbar's stream to the sender names the
 * other phone's own SSRC. */
static void test_rtcp_rewritten(void)
{
	setup(LO, HI, 0);
	Phone a = phone_new(), b = phone_new(), ar = phone_new(), br = phone_new();
	XbMediaEndpoint *ea = endpoint(NULL, "a"), *eb = endpoint(ea, "b");
	guint8 buf[256];

	xb_media_endpoint_set_remote(ea, "127.0.0.1", a.port);
	xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port);
	xb_media_join(ea, eb);
	g_usleep(50 * 1000);
	rtp_send(&a, xb_media_endpoint_port(ea), 0x1111, 1);
	g_assert_cmpint(rtp_recv(&b, NULL), ==, 1);
	rtp_send(&b, xb_media_endpoint_port(eb), 0x2222, 7);
	g_assert_cmpint(rtp_recv(&a, NULL), ==, 7);
	rtcp_send(&br, xb_media_endpoint_port(eb) + 1, 0x2222);
	g_usleep(50 * 1000);
	/* a's RR: one block about the stream a receives (ea's), then SDES and BYE of a. */
	XbRtcpReport rr = {.ssrc = 0x1111, .n_blocks = 1};
	rr.blocks[0] = (XbRtcpReportBlock){.ssrc = ea->out_ssrc, .ext_highest_seq = 7};
	guint8 pkt[128];
	int n = xb_rtcp_build_rr(&rr, pkt, sizeof pkt);
	n += xb_rtcp_build_sdes_cname(0x1111, "a@example", pkt + n, sizeof pkt - n);
	guint32 bye = 0x1111;
	n += xb_rtcp_build_bye(&bye, 1, NULL, pkt + n, sizeof pkt - n);
	struct sockaddr_in to = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                         .sin_port = htons(xb_media_endpoint_port(ea) + 1)};
	g_assert_cmpint(sendto(ar.fd, pkt, n, 0, (struct sockaddr *)&to, sizeof to), ==, n);
	ssize_t len = recv(br.fd, buf, sizeof buf, 0);
	g_assert_cmpint(len, ==, n);
	XbRtcpPacket p;
	XbRtcpReport r;
	XbRtcpSdesIter it;
	XbRtcpSdesItem item;
	XbRtcpBye b2;
	size_t off = 0;
	g_assert_cmpint(xb_rtcp_next(buf, (size_t)len, &off, &p), ==, 1);
	g_assert_cmpint(xb_rtcp_report(&p, &r), ==, 0);
	g_assert_cmpuint(r.ssrc, ==, eb->out_ssrc);
	g_assert_cmpuint(r.blocks[0].ssrc, ==, 0x2222);
	g_assert_cmpuint(r.blocks[0].ext_highest_seq, ==, 7);
	g_assert_cmpint(xb_rtcp_next(buf, (size_t)len, &off, &p), ==, 1);
	xb_rtcp_sdes_iter_init(&it, &p);
	g_assert_cmpint(xb_rtcp_sdes_next(&p, &it, &item), ==, 1);
	g_assert_cmpuint(item.ssrc, ==, eb->out_ssrc);
	g_assert_cmpint(xb_rtcp_next(buf, (size_t)len, &off, &p), ==, 1);
	g_assert_cmpint(xb_rtcp_bye(&p, &b2), ==, 0);
	g_assert_cmpuint(b2.ssrc[0], ==, eb->out_ssrc);
	xb_media_endpoint_unref(ea);
	xb_media_endpoint_unref(eb);
	close(a.fd);
	close(b.fd);
	close(ar.fd);
	close(br.fd);
	teardown();
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/media/relay-both-ways", test_relay_both_ways);
	g_test_add_func("/media/symmetric-rtp", test_symmetric_rtp);
	g_test_add_func("/media/hijack-refused-rebinding-followed", test_hijack_refused);
	g_test_add_func("/media/flood-from-a-stranger", test_flood);
	g_test_add_func("/media/rtp-timeout", test_timeout);
	g_test_add_func("/media/dtmf-rfc4733", test_dtmf);
	g_test_add_func("/media/dtmf-send-rfc4733-2.5.1", test_dtmf_send);
	g_test_add_func("/media/rtcp-sender-report-6.4.1", test_rtcp_sender_report);
	g_test_add_func("/media/rtcp-ssrcs-rewritten", test_rtcp_rewritten);
	g_test_add_func("/media/join-across-workers", test_join_across_workers);
	g_test_add_func("/media/ports-run-out-and-rest", test_ports_run_out_and_rest);
	return g_test_run();
}
