/* test_media.c: the media engine on loopback: two "phones" (plain UDP sockets of the test)
 * talk through two joined endpoints, RTP and RTCP both ways; packets go back to where they
 * come from (symmetric RTP), the source is learnt early in a stream and later only from the
 * same SSRC (a stranger's packets are dropped, a NAT rebinding is followed; a stranger's
 * flood of RTP and junk changes nothing); a silent
 * stream times out; telephone-events (RFC 4733) are reported once each, as they end, and
 * still relayed; endpoints on different workers join; port pairs are even/odd, run out
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
	g_assert_cmpint(rtcp_recv(&br, &from), ==, 0x1111);
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
	/* The packets still reach the other leg. */
	g_assert_cmpint(rtp_recv(&b, NULL), ==, 100);
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

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/media/relay-both-ways", test_relay_both_ways);
	g_test_add_func("/media/symmetric-rtp", test_symmetric_rtp);
	g_test_add_func("/media/hijack-refused-rebinding-followed", test_hijack_refused);
	g_test_add_func("/media/flood-from-a-stranger", test_flood);
	g_test_add_func("/media/rtp-timeout", test_timeout);
	g_test_add_func("/media/dtmf-rfc4733", test_dtmf);
	g_test_add_func("/media/join-across-workers", test_join_across_workers);
	g_test_add_func("/media/ports-run-out-and-rest", test_ports_run_out_and_rest);
	return g_test_run();
}
