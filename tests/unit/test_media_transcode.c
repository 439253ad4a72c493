/* test_media_transcode.c: the media engine between far ends of different codecs, on
 * loopback: µ-law in on one endpoint comes out A-law (payload type 8) on the other, with
 * the same samples as G.711's own conversion; G.722 <-> PCMU turns 20 ms into 20 ms (160
 * bytes each way) and keeps a tone's frequency; telephone-events keep their payload and
 * take the other side's payload type; the same codec relays the bytes as they came. */
#include "config.h"
#include "core/media/media_private.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LO 60100
#define HI 60199

typedef struct {
	int fd;
	guint16 port;
} Phone;

static Phone phone_new(void)
{
	Phone p = {socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 0};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	struct timeval tv = {0, 500 * 1000};

	g_assert_cmpint(p.fd, >=, 0);
	g_assert_cmpint(bind(p.fd, (struct sockaddr *)&a, sizeof a), ==, 0);
	g_assert_cmpint(getsockname(p.fd, (struct sockaddr *)&a, &len), ==, 0);
	setsockopt(p.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	p.port = ntohs(a.sin_port);
	return p;
}

static void rtp_send(Phone *p, guint16 to, guint8 pt, guint16 seq, const guint8 *payload, gsize n)
{
	guint8 pkt[12 + 1024] = {0x80, pt, seq >> 8, seq & 0xff, 0, 0, 0, 0, 1, 2, 3, 4};
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons(to)};

	pkt[4] = (guint8)(seq * 160 >> 24);
	pkt[5] = (guint8)(seq * 160 >> 16);
	pkt[6] = (guint8)(seq * 160 >> 8);
	pkt[7] = (guint8)(seq * 160);
	memcpy(pkt + 12, payload, n);
	g_assert_cmpint(sendto(p->fd, pkt, 12 + n, 0, (struct sockaddr *)&a, sizeof a), ==,
	                (gssize)(12 + n));
}

/* The next packet the phone receives (its length, 0 for none within 500 ms). */
static gsize rtp_recv(Phone *p, guint8 *buf, gsize cap)
{
	ssize_t n = recv(p->fd, buf, cap, 0);
	return n >= 12 ? (gsize)n : 0;
}

typedef struct {
	Phone a, b;
	XbMediaEndpoint *ea, *eb;
} Call;

/* Two phones talking through two joined endpoints whose far ends use `ca`/`pa` and
 * `cb`/`pb`. */
static void call_setup(Call *c, const char *ca, guint pa, const char *cb, guint pb)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(xb_media_engine_start(1, LO, HI, 0, &error));
	g_assert_no_error(error);
	c->a = phone_new();
	c->b = phone_new();
	c->ea = xb_media_endpoint_new("127.0.0.1", NULL, NULL, NULL, &error);
	g_assert_no_error(error);
	c->eb = xb_media_endpoint_new("127.0.0.1", c->ea, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(xb_media_endpoint_set_remote(c->ea, "127.0.0.1", c->a.port));
	g_assert_true(xb_media_endpoint_set_remote(c->eb, "127.0.0.1", c->b.port));
	g_assert_true(xb_media_endpoint_set_codec(c->ea, ca, pa));
	g_assert_true(xb_media_endpoint_set_codec(c->eb, cb, pb));
	xb_media_join(c->ea, c->eb);
	g_usleep(50 * 1000);
}

static void call_teardown(Call *c)
{
	xb_media_endpoint_unref(c->ea);
	xb_media_endpoint_unref(c->eb);
	close(c->a.fd);
	close(c->b.fd);
	xb_media_engine_stop();
}

/* µ-law in, A-law out with the A-side's payload type: each code is G.711's µ -> A
 * conversion (through linear), and back the other way. */
static void test_pcmu_to_pcma(void)
{
	Call c;
	guint8 ulaw[160], buf[2048];

	call_setup(&c, "PCMU", 0, "PCMA", 8);
	for (int i = 0; i < 160; i++)
		ulaw[i] = (guint8)(i * 37);
	rtp_send(&c.a, xb_media_endpoint_port(c.ea), 0, 1, ulaw, 160);
	g_assert_cmpuint(rtp_recv(&c.b, buf, sizeof buf), ==, 172);
	g_assert_cmpuint(buf[1] & 0x7f, ==, 8);
	for (int i = 0; i < 160; i++)
		g_assert_cmpuint(buf[12 + i], ==, xb_g711_ulaw_to_alaw(ulaw[i]));

	guint8 alaw[160];
	for (int i = 0; i < 160; i++)
		alaw[i] = (guint8)(i * 53);
	rtp_send(&c.b, xb_media_endpoint_port(c.eb), 8 | 0x80, 1, alaw, 160);
	g_assert_cmpuint(rtp_recv(&c.a, buf, sizeof buf), ==, 172);
	g_assert_cmpuint(buf[1], ==, 0x80); /* the marker stays, the payload type is µ-law's */
	for (int i = 0; i < 160; i++)
		g_assert_cmpuint(buf[12 + i], ==, xb_g711_alaw_to_ulaw(alaw[i]));

	/* A packet already in the receiver's codec (a phone still sending what it sent before
	 * a new offer was answered) goes on as it is. */
	rtp_send(&c.a, xb_media_endpoint_port(c.ea), 8, 2, alaw, 160);
	g_assert_cmpuint(rtp_recv(&c.b, buf, sizeof buf), ==, 172);
	g_assert_cmpuint(buf[1] & 0x7f, ==, 8);
	g_assert_cmpmem(buf + 12, 160, alaw, 160);

	/* Another payload type than the codec's (comfort noise) cannot be transcoded. */
	rtp_send(&c.a, xb_media_endpoint_port(c.ea), 13, 3, ulaw, 1);
	g_assert_cmpuint(rtp_recv(&c.b, buf, sizeof buf), ==, 0);
	call_teardown(&c);
}

/* The frequency of the strongest of a few candidate tones in `pcm`. */
static double power_at(const gint16 *pcm, gsize n, double hz, guint rate)
{
	double re = 0, im = 0;
	for (gsize i = 0; i < n; i++) {
		re += pcm[i] * cos(2 * G_PI * hz * (double)i / rate);
		im += pcm[i] * sin(2 * G_PI * hz * (double)i / rate);
	}
	return re * re + im * im;
}

/* RFC 3551 §4.5.2: G.722 at clock 8000, 160 bytes a 20 ms frame like G.711's. A 1 kHz tone
 * in G.722 arrives as 20 ms PCMU frames holding 1 kHz, and PCMU comes back as G.722 frames
 * of 160 bytes. */
static void test_g722_to_pcmu(void)
{
	Call c;
	guint8 buf[2048];
	g_autoptr(XbCodecState) enc = xb_codec_state_new(xb_codec_find("G722", 0));
	gint16 pcm16[320 * 10], pcm8[160 * 10];

	call_setup(&c, "G722", 9, "PCMU", 0);
	for (gsize i = 0; i < G_N_ELEMENTS(pcm16); i++)
		pcm16[i] = (gint16)(8000 * sin(2 * G_PI * 1000 * (double)i / 16000));
	for (int f = 0; f < 10; f++) {
		guint8 g722[160];
		g_assert_cmpuint(xb_codec_encode(enc, pcm16 + f * 320, 320, g722), ==, 160);
		rtp_send(&c.a, xb_media_endpoint_port(c.ea), 9, (guint16)(f + 1), g722, 160);
		g_assert_cmpuint(rtp_recv(&c.b, buf, sizeof buf), ==, 172);
		g_assert_cmpuint(buf[1] & 0x7f, ==, 0);
		xb_g711_ulaw_decode_buf(buf + 12, pcm8 + f * 160, 160);
	}
	/* (the last half second, past the filters' start) */
	double at1k = power_at(pcm8 + 800, 800, 1000, 8000);
	g_assert_cmpfloat(at1k, >, 100 * power_at(pcm8 + 800, 800, 1500, 8000));
	g_assert_cmpfloat(at1k, >, 100 * power_at(pcm8 + 800, 800, 700, 8000));

	guint8 ulaw[160];
	memset(ulaw, 0xff, sizeof ulaw);
	rtp_send(&c.b, xb_media_endpoint_port(c.eb), 0, 1, ulaw, 160);
	g_assert_cmpuint(rtp_recv(&c.a, buf, sizeof buf), ==, 172);
	g_assert_cmpuint(buf[1] & 0x7f, ==, 9);
	call_teardown(&c);
}

/* A telephone-event (RFC 4733) is not audio: its payload goes on untouched, with the
 * payload type the other far end uses for telephone-events. */
static void test_dtmf_payload_type(void)
{
	Call c;
	guint8 ev[4] = {5, 0x0a, 0, 160}, buf[2048];

	call_setup(&c, "PCMU", 0, "PCMA", 8);
	xb_media_endpoint_set_dtmf(c.ea, 101, 8000);
	xb_media_endpoint_set_dtmf(c.eb, 96, 8000);
	g_usleep(20 * 1000);
	rtp_send(&c.a, xb_media_endpoint_port(c.ea), 101, 1, ev, 4);
	g_assert_cmpuint(rtp_recv(&c.b, buf, sizeof buf), ==, 16);
	g_assert_cmpuint(buf[1] & 0x7f, ==, 96);
	g_assert_cmpmem(buf + 12, 4, ev, 4);
	call_teardown(&c);
}

/* The same codec both ways: the payload is relayed byte for byte. */
static void test_same_codec_relayed(void)
{
	Call c;
	guint8 g722[160], buf[2048];

	call_setup(&c, "G722", 9, "G722", 9);
	for (int i = 0; i < 160; i++)
		g722[i] = (guint8)(i * 7 + 3);
	rtp_send(&c.a, xb_media_endpoint_port(c.ea), 9, 1, g722, 160);
	g_assert_cmpuint(rtp_recv(&c.b, buf, sizeof buf), ==, 172);
	g_assert_cmpuint(buf[1] & 0x7f, ==, 9);
	g_assert_cmpmem(buf + 12, 160, g722, 160);
	g_assert_false(xb_media_endpoint_set_codec(c.ea, "opus", 111));
	call_teardown(&c);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/media/transcode/pcmu-pcma", test_pcmu_to_pcma);
	g_test_add_func("/media/transcode/g722-pcmu-3551-4.5.2", test_g722_to_pcmu);
	g_test_add_func("/media/transcode/telephone-event-4733", test_dtmf_payload_type);
	g_test_add_func("/media/transcode/same-codec-relayed", test_same_codec_relayed);
	return g_test_run();
}
