/* test_media_record.c: recordings of the media engine on loopback. A "phone" (a UDP socket
 * of the test) sends known G.711 packets to an endpoint that records: the WAV file holds
 * their samples (8 kHz, 16-bit, one channel; both ways: left what the endpoint receives,
 * right what it sends on), its header is complete once the recording is told over; a file
 * in a folder that does not exist is an error told at once; two recordings of one endpoint
 * each get every packet; a write that fails ends a recording with an error; a time limit
 * and silence end a recording; a writer that falls behind costs dropped frames, never the
 * relay's pace. */
#include "config.h"
#include "core/media/media_private.h"
#include "test_util.h"

#include <crossbar/codec.h>
#include <math.h>
#include <netinet/in.h>
#include <sndfile.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define LO 58740
#define HI 58799

typedef struct {
	int fd;
	guint16 port;
	guint32 ssrc;
	guint16 seq;
} Phone;

static Phone phone_new(guint32 ssrc)
{
	Phone p = {socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 0, ssrc, 1};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int big = 1 << 20;

	g_assert_cmpint(p.fd, >=, 0);
	g_assert_cmpint(bind(p.fd, (struct sockaddr *)&a, sizeof a), ==, 0);
	g_assert_cmpint(getsockname(p.fd, (struct sockaddr *)&a, &len), ==, 0);
	setsockopt(p.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	p.port = ntohs(a.sin_port);
	return p;
}

/* 20 ms of G.711 (payload type 0 PCMU or 8 PCMA) to the endpoint's port. */
static void phone_send(Phone *p, guint16 to, guint8 pt, const guint8 *payload)
{
	guint8 pkt[12 + 160] = {0x80, pt};
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons(to)};
	guint32 ts = p->seq * 160u;

	pkt[2] = p->seq >> 8;
	pkt[3] = p->seq & 0xff;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = ts >> (24 - 8 * i);
		pkt[8 + i] = p->ssrc >> (24 - 8 * i);
	}
	p->seq++;
	memcpy(pkt + 12, payload, 160);
	g_assert_cmpint(sendto(p->fd, pkt, sizeof pkt, 0, (struct sockaddr *)&a, sizeof a), ==,
	                sizeof pkt);
}

/* `n` samples of a sine at `hz`, G.711-encoded, and what they decode to. */
static void tone(guint hz, gsize n, gboolean alaw, guint8 *enc, gint16 *dec)
{
	g_autofree gint16 *pcm = g_new(gint16, n);

	for (gsize i = 0; i < n; i++)
		pcm[i] = (gint16)(8000 * sin(2 * G_PI * hz * i / 8000));
	if (alaw) {
		xb_g711_alaw_encode_buf(pcm, enc, n);
		xb_g711_alaw_decode_buf(enc, dec, n);
	} else {
		xb_g711_ulaw_encode_buf(pcm, enc, n);
		xb_g711_ulaw_decode_buf(enc, dec, n);
	}
}

typedef struct {
	gboolean told;
	XbMediaRecordEnd end;
	guint64 frames, dropped;
	char *error;
} Told;

static void told_cb(XbMediaRecording *rec, const XbMediaRecordResult *r, gpointer user_data)
{
	Told *t = user_data;

	g_assert_false(t->told);
	t->told = TRUE;
	t->end = r->end;
	t->frames = r->frames;
	t->dropped = r->dropped;
	t->error = r->error ? g_strdup(r->error->message) : NULL;
}

static gboolean wait_told(Told *t, guint ms)
{
	gint64 until = g_get_monotonic_time() + ms * 1000;

	while (!t->told && g_get_monotonic_time() < until) {
		xb_media_dispatch_events();
		while (g_main_context_iteration(NULL, FALSE))
			;
		g_usleep(5 * 1000);
	}
	return t->told;
}

static XbMediaEndpoint *endpoint(XbMediaEndpoint *near)
{
	g_autoptr(GError) error = NULL;
	XbMediaEndpoint *ep = xb_media_endpoint_new("127.0.0.1", near, NULL, NULL, &error);

	g_assert_no_error(error);
	return ep;
}

static void setup(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(xb_media_engine_start(2, LO, HI, 0, &error));
	g_assert_no_error(error);
}

/* The WAV's samples (all channels interleaved); its header checked. */
static gint16 *wav_read(const char *path, int channels, sf_count_t *frames)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);

	g_assert_nonnull(f);
	g_assert_cmpint(info.samplerate, ==, 8000);
	g_assert_cmpint(info.channels, ==, channels);
	g_assert_cmpint(info.format, ==, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
	gint16 *s = g_new0(gint16, info.frames * channels + 1);
	g_assert_cmpint(sf_readf_short(f, s, info.frames), ==, info.frames);
	sf_close(f);
	*frames = info.frames;
	return s;
}

static void test_caller(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "caller.wav", NULL);
	guint8 enc[8000];
	gint16 dec[8000];
	Told t = {0};
	sf_count_t frames;

	setup();
	tone(1000, 8000, FALSE, enc, dec);
	Phone a = phone_new(0x1111);
	XbMediaEndpoint *ea = endpoint(NULL);
	XbMediaRecording *rec = xb_media_record(ea, path, NULL, told_cb, &t);
	g_usleep(50 * 1000);
	for (int i = 0; i < 50; i++) {
		phone_send(&a, xb_media_endpoint_port(ea), 0, enc + 160 * i);
		g_usleep(1000);
	}
	g_usleep(100 * 1000);
	g_assert_false(wait_told(&t, 10));
	xb_media_record_stop(ea, rec);
	g_assert_true(wait_told(&t, 2000));
	g_assert_cmpint(t.end, ==, XB_MEDIA_RECORD_STOPPED);
	g_assert_cmpuint(t.frames, ==, 8000);
	g_assert_cmpuint(t.dropped, ==, 0);
	g_autofree gint16 *s = wav_read(path, 1, &frames);
	g_assert_cmpint(frames, ==, 8000);
	g_assert_cmpmem(s, 8000 * 2, dec, sizeof dec);
	xb_media_recording_unref(rec);
	xb_media_endpoint_unref(ea);
	close(a.fd);
	xb_media_engine_stop();
	xb_test_rmdir(dir);
}

/* A session recording (both ways) and a message (one way) on one endpoint at once: each
 * gets the caller's audio; stopping the message leaves the session recording running. */
static void test_two_at_once(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *p1 = g_build_filename(dir, "session.wav", NULL);
	g_autofree char *p2 = g_build_filename(dir, "message.wav", NULL);
	XbMediaRecordOptions both = {.both_ways = TRUE};
	guint8 enc[3200];
	gint16 dec[3200];
	Told t1 = {0}, t2 = {0};
	sf_count_t frames;

	setup();
	tone(1000, 3200, FALSE, enc, dec);
	Phone a = phone_new(0x1111);
	XbMediaEndpoint *ea = endpoint(NULL);
	XbMediaRecording *r1 = xb_media_record(ea, p1, &both, told_cb, &t1);
	XbMediaRecording *r2 = xb_media_record(ea, p2, NULL, told_cb, &t2);
	g_usleep(50 * 1000);
	for (int i = 0; i < 10; i++)
		phone_send(&a, xb_media_endpoint_port(ea), 0, enc + 160 * i);
	g_usleep(100 * 1000);
	xb_media_record_stop(ea, r2);
	g_assert_true(wait_told(&t2, 2000));
	g_assert_false(t1.told);
	for (int i = 10; i < 20; i++)
		phone_send(&a, xb_media_endpoint_port(ea), 0, enc + 160 * i);
	g_usleep(100 * 1000);
	xb_media_record_stop(ea, r1);
	g_assert_true(wait_told(&t1, 2000));
	g_autofree gint16 *m = wav_read(p2, 1, &frames);
	g_assert_cmpint(frames, ==, 1600);
	g_assert_cmpmem(m, 1600 * 2, dec, 1600 * 2);
	g_autofree gint16 *s = wav_read(p1, 2, &frames);
	g_assert_cmpint(frames, ==, 3200); /* the right channel silent all along */
	for (int i = 0; i < 3200; i++) {
		g_assert_cmpint(s[2 * i], ==, dec[i]);
		g_assert_cmpint(s[2 * i + 1], ==, 0);
	}
	xb_media_recording_unref(r1);
	xb_media_recording_unref(r2);
	xb_media_endpoint_unref(ea);
	close(a.fd);
	xb_media_engine_stop();
	xb_test_rmdir(dir);
}

/* Both ways: a sends PCMU to ea, b PCMA to eb, joined; ea records in stereo. */
static void test_both_ways(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "session.wav", NULL);
	XbMediaRecordOptions o = {.both_ways = TRUE};
	guint8 enc_a[4000], enc_b[4000];
	gint16 dec_a[4000], dec_b[4000];
	Told t = {0};
	sf_count_t frames;

	setup();
	tone(1000, 4000, FALSE, enc_a, dec_a);
	tone(440, 4000, TRUE, enc_b, dec_b);
	Phone a = phone_new(0x1111), b = phone_new(0x2222);
	XbMediaEndpoint *ea = endpoint(NULL), *eb = endpoint(ea);
	xb_media_endpoint_set_remote(ea, "127.0.0.1", a.port);
	xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port);
	xb_media_join(ea, eb);
	XbMediaRecording *rec = xb_media_record(ea, path, &o, told_cb, &t);
	g_usleep(50 * 1000);
	for (int i = 0; i < 25; i++) {
		phone_send(&a, xb_media_endpoint_port(ea), 0, enc_a + 160 * i);
		phone_send(&b, xb_media_endpoint_port(eb), 8, enc_b + 160 * i);
		g_usleep(2000);
	}
	g_usleep(100 * 1000);
	/* The endpoint's last reference ends the recording (a hang-up). */
	xb_media_endpoint_unref(ea);
	g_assert_true(wait_told(&t, 2000));
	g_assert_cmpint(t.end, ==, XB_MEDIA_RECORD_GONE);
	g_autofree gint16 *s = wav_read(path, 2, &frames);
	g_assert_cmpint(frames, ==, 4000);
	for (int i = 0; i < 4000; i++) {
		g_assert_cmpint(s[2 * i], ==, dec_a[i]);
		g_assert_cmpint(s[2 * i + 1], ==, dec_b[i]);
	}
	xb_media_recording_unref(rec);
	xb_media_endpoint_unref(eb);
	close(a.fd);
	close(b.fd);
	xb_media_engine_stop();
	xb_test_rmdir(dir);
}

static void test_missing_folder(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "no-such-folder", "x.wav", NULL);
	Told t = {0};

	setup();
	XbMediaEndpoint *ea = endpoint(NULL);
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING, "record: *no-such-folder*");
	XbMediaRecording *rec = xb_media_record(ea, path, NULL, told_cb, &t);
	g_assert_true(wait_told(&t, 2000));
	g_test_assert_expected_messages();
	g_assert_cmpint(t.end, ==, XB_MEDIA_RECORD_ERROR);
	g_assert_nonnull(t.error);
	g_assert_nonnull(strstr(t.error, "x.wav"));
	g_free(t.error);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	xb_media_recording_unref(rec);
	xb_media_endpoint_unref(ea);
	xb_media_engine_stop();
	xb_test_rmdir(dir);
}

/* A write that fails mid-recording (the file may grow no more: RLIMIT_FSIZE, as a full
 * disk would) ends the recording with an error; the endpoint goes on relaying. */
static void test_write_error(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "full.wav", NULL);
	struct rlimit was, small = {.rlim_cur = 4096};
	guint8 enc[160];
	gint16 dec[160];
	Told t = {0};

	setup();
	tone(1000, 160, FALSE, enc, dec);
	Phone a = phone_new(0x1111);
	XbMediaEndpoint *ea = endpoint(NULL);
	g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &was), ==, 0);
	small.rlim_max = was.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
	g_test_expect_message("crossbar", G_LOG_LEVEL_WARNING, "record: write failed*");
	XbMediaRecording *rec = xb_media_record(ea, path, NULL, told_cb, &t);
	g_usleep(50 * 1000);
	for (int i = 0; i < 50; i++) {
		phone_send(&a, xb_media_endpoint_port(ea), 0, enc);
		g_usleep(1000);
	}
	g_assert_true(wait_told(&t, 2000));
	g_test_assert_expected_messages();
	g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &was), ==, 0);
	g_assert_cmpint(t.end, ==, XB_MEDIA_RECORD_ERROR);
	g_assert_nonnull(t.error);
	g_free(t.error);
	g_assert_cmpuint(t.frames, <, 2048);
	XbMediaCounters c;
	xb_media_endpoint_counters(ea, &c);
	g_assert_cmpuint(c.rx_packets, ==, 50);
	xb_media_recording_unref(rec);
	xb_media_endpoint_unref(ea);
	close(a.fd);
	xb_media_engine_stop();
	xb_test_rmdir(dir);
}

/* A time limit ends a recording even when nothing comes; silence ends one after sound. */
static void test_limits(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *p1 = g_build_filename(dir, "max.wav", NULL);
	g_autofree char *p2 = g_build_filename(dir, "silence.wav", NULL);
	XbMediaRecordOptions max = {.max_seconds = 1};
	XbMediaRecordOptions quiet = {.silence_threshold = 500, .silence_seconds = 1};
	guint8 loud[160], hush[160];
	gint16 dec[160];
	Told t1 = {0}, t2 = {0};
	sf_count_t frames;

	setup();
	tone(1000, 160, FALSE, loud, dec);
	memset(hush, 0xff, sizeof hush); /* PCMU's zero */
	XbMediaEndpoint *ea = endpoint(NULL);
	gint64 start = g_get_monotonic_time();
	XbMediaRecording *r1 = xb_media_record(ea, p1, &max, told_cb, &t1);
	g_assert_true(wait_told(&t1, 2500));
	g_assert_cmpint(t1.end, ==, XB_MEDIA_RECORD_MAX);
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 1000 * 1000);
	g_autofree gint16 *s1 = wav_read(p1, 1, &frames);
	g_assert_cmpint(frames, ==, 0);

	Phone a = phone_new(0x1111);
	XbMediaRecording *r2 = xb_media_record(ea, p2, &quiet, told_cb, &t2);
	g_usleep(50 * 1000);
	start = g_get_monotonic_time();
	for (int i = 0; i < 100 && !t2.told; i++) { /* 0.4 s of tone, then silence */
		phone_send(&a, xb_media_endpoint_port(ea), 0, i < 20 ? loud : hush);
		g_usleep(20 * 1000);
		xb_media_dispatch_events();
		while (g_main_context_iteration(NULL, FALSE))
			;
	}
	g_assert_true(wait_told(&t2, 2000));
	g_assert_cmpint(t2.end, ==, XB_MEDIA_RECORD_SILENCE);
	gint64 took = g_get_monotonic_time() - start;
	g_assert_cmpint(took, >=, 1300 * 1000);
	g_assert_cmpint(took, <, 2200 * 1000);
	xb_media_recording_unref(r1);
	xb_media_recording_unref(r2);
	xb_media_endpoint_unref(ea);
	close(a.fd);
	xb_media_engine_stop();
	xb_test_rmdir(dir);
}

/* A writer far behind (50 ms a frame): the relay keeps its pace, the recording drops what
 * does not fit in its queue and counts it. */
static void test_slow_writer(void)
{
	g_autofree char *dir = xb_test_tmpdir();
	g_autofree char *path = g_build_filename(dir, "slow.wav", NULL);
	guint8 enc[160];
	gint16 dec[160];
	Told t = {0};
	XbMediaCounters c = {0};
	const int n = XB_MEDIA_RECORD_QUEUE + 200;

	setup();
	tone(1000, 160, FALSE, enc, dec);
	Phone a = phone_new(0x1111), b = phone_new(0x2222);
	XbMediaEndpoint *ea = endpoint(NULL), *eb = endpoint(ea);
	xb_media_endpoint_set_remote(eb, "127.0.0.1", b.port);
	xb_media_join(ea, eb);
	XbMediaRecording *rec = xb_media_record(ea, path, NULL, told_cb, &t);
	g_usleep(50 * 1000);
	xb_media_record_writer_delay_us = 50 * 1000;
	gint64 start = g_get_monotonic_time();
	for (int i = 0; i < n; i++) {
		phone_send(&a, xb_media_endpoint_port(ea), 0, enc);
		if (i % 20 == 19)
			g_usleep(2000);
	}
	for (int i = 0; i < 300; i++) {
		xb_media_endpoint_counters(eb, &c);
		if (c.tx_packets == (guint64)n)
			break;
		g_usleep(10 * 1000);
	}
	/* Every packet went on long before the writer could have written a tenth of them. */
	g_assert_cmpuint(c.tx_packets, ==, n);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 3 * G_USEC_PER_SEC);
	xb_media_record_writer_delay_us = 0;
	xb_media_record_stop(ea, rec);
	g_assert_true(wait_told(&t, 5000));
	g_assert_cmpuint(t.dropped, >, 0);
	g_assert_cmpuint(t.frames / 160 + t.dropped, ==, n);
	g_assert_cmpuint(t.frames / 160, <=, XB_MEDIA_RECORD_QUEUE + 10);
	xb_media_recording_unref(rec);
	xb_media_endpoint_unref(ea);
	xb_media_endpoint_unref(eb);
	close(a.fd);
	close(b.fd);
	xb_media_engine_stop();
	xb_test_rmdir(dir);
}

int main(int argc, char **argv)
{
	xb_test_init(&argc, &argv);
	g_test_add_func("/media/record/caller-wav", test_caller);
	g_test_add_func("/media/record/both-ways-stereo", test_both_ways);
	g_test_add_func("/media/record/two-at-once", test_two_at_once);
	g_test_add_func("/media/record/missing-folder-is-an-error", test_missing_folder);
	g_test_add_func("/media/record/write-error-stops-cleanly", test_write_error);
	g_test_add_func("/media/record/max-seconds-and-silence", test_limits);
	g_test_add_func("/media/record/slow-writer-drops-never-blocks", test_slow_writer);
	return g_test_run();
}
