/* Unit tests of the codec table and of G.722 (lib/codec/codec.c, lib/codec/g722.c): names,
 * rates and 20 ms frame sizes as RFC 3551 gives them, a sine through G.722 and back with
 * the codec's delay found by correlation, and that two streams' states do not mix. */
#include <crossbar/codec.h>

#include <glib.h>
#include <math.h>
#include <string.h>

#define RATE16 16000

static void sine(int16_t *out, size_t n, double hz, double amp, guint rate)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (int16_t)(amp * sin(2 * G_PI * hz * (double)i / rate));
}

/* RFC 3551 §4.5.2 and §6: G.722 is payload type 9 with an RTP clock of 8000 although it
 * samples at 16000; 20 ms are 160 bytes for all three codecs. */
static void test_table_rfc3551(void)
{
	const XbCodec *g722 = xb_codec_find("g722", 8000);
	const XbCodec *pcmu = xb_codec_find("PCMU", 0);
	const XbCodec *pcma = xb_codec_find("PCMA", 8000);

	g_assert_nonnull(g722);
	g_assert_nonnull(pcmu);
	g_assert_nonnull(pcma);
	g_assert_cmpuint(g722->static_pt, ==, 9);
	g_assert_cmpuint(pcmu->static_pt, ==, 0);
	g_assert_cmpuint(pcma->static_pt, ==, 8);
	g_assert_cmpuint(g722->clock_rate, ==, 8000);
	g_assert_cmpuint(g722->sample_rate, ==, 16000);
	g_assert_cmpuint(pcmu->sample_rate, ==, 8000);
	for (guint i = 0; xb_codecs[i]; i++) {
		g_assert_cmpuint(xb_codecs[i]->frame_bytes, ==, 160);
		g_assert_cmpuint(xb_codecs[i]->frame_samples, ==, xb_codecs[i]->sample_rate / 50);
		g_assert_cmpuint(xb_codec_samples(xb_codecs[i], 160), ==,
		                 xb_codecs[i]->frame_samples);
		g_assert_cmpuint(xb_codec_bytes(xb_codecs[i], xb_codecs[i]->frame_samples), ==,
		                 160);
	}
	g_assert_null(xb_codec_find("G722", 16000));
	g_assert_null(xb_codec_find("opus", 0));
	g_assert_null(xb_codec_find(NULL, 0));
}

/* G.711 through the table is the G.711 of g711.c. */
static void test_table_g711(void)
{
	g_autoptr(XbCodecState) u = xb_codec_state_new(xb_codec_find("PCMU", 0));
	g_autoptr(XbCodecState) a = xb_codec_state_new(xb_codec_find("PCMA", 0));
	uint8_t codes[256], out[256];
	int16_t lin[256];

	for (int i = 0; i < 256; i++)
		codes[i] = (uint8_t)i;
	g_assert_cmpuint(xb_codec_decode(a, codes, 256, lin), ==, 256);
	for (int i = 0; i < 256; i++)
		g_assert_cmpint(lin[i], ==, xb_g711_alaw_decode((uint8_t)i));
	g_assert_cmpuint(xb_codec_encode(a, lin, 256, out), ==, 256);
	g_assert_cmpmem(out, 256, codes, 256);
	g_assert_cmpuint(xb_codec_decode(u, codes, 256, lin), ==, 256);
	for (int i = 0; i < 256; i++)
		g_assert_cmpint(lin[i], ==, xb_g711_ulaw_decode((uint8_t)i));
}

/* 20 ms of 16 kHz audio is 160 bytes of G.722, and back 320 samples. */
static void test_g722_frame_sizes(void)
{
	g_autoptr(XbG722) g = xb_g722_new();
	int16_t pcm[320], back[320];
	uint8_t enc[160];

	sine(pcm, 320, 440, 8000, RATE16);
	g_assert_cmpuint(xb_g722_encode(g, pcm, 320, enc), ==, 160);
	g_assert_cmpuint(xb_g722_decode(g, enc, 160, back), ==, 320);
}

/* The delay (in samples, 0-63) at which `out` best matches `in`. */
static guint best_lag(const int16_t *in, const int16_t *out, size_t n)
{
	double best = -1;
	guint lag = 0;

	for (guint d = 0; d < 64; d++) {
		double c = 0;
		for (size_t i = 1000; i < n - 64; i++)
			c += (double)in[i] * out[i + d];
		if (c > best) {
			best = c;
			lag = d;
		}
	}
	return lag;
}

static double snr_db(const int16_t *in, const int16_t *out, size_t n, guint lag)
{
	double sig = 0, noise = 0;

	for (size_t i = 1000; i < n - 64; i++) {
		double e = (double)out[i + lag] - in[i];
		sig += (double)in[i] * in[i];
		noise += e * e;
	}
	return 10 * log10(sig / MAX(noise, 1));
}

/* Three sines (1000, 1370 and 3100 Hz: no common short period, so one lag matches), one
 * second in 20 ms frames, through G.722 at 64 kbit/s and back: the same audio, delayed by
 * the codec's QMF filters (22 samples), with an SNR well above what telephony needs. */
static void test_g722_sine_round_trip(void)
{
	const XbCodec *c = xb_codec_find("G722", 0);
	g_autoptr(XbCodecState) st = xb_codec_state_new(c);
	size_t n = RATE16;
	g_autofree int16_t *in = g_new(int16_t, n);
	g_autofree int16_t *out = g_new0(int16_t, n);
	uint8_t enc[160];

	for (size_t i = 0; i < n; i++)
		in[i] = (int16_t)(6000 * sin(2 * G_PI * 1000 * (double)i / RATE16) +
		                  4000 * sin(2 * G_PI * 1370 * (double)i / RATE16) +
		                  2000 * sin(2 * G_PI * 3100 * (double)i / RATE16));
	for (size_t at = 0; at < n; at += 320) {
		g_assert_cmpuint(xb_codec_encode(st, in + at, 320, enc), ==, 160);
		g_assert_cmpuint(xb_codec_decode(st, enc, 160, out + at), ==, 320);
	}
	guint lag = best_lag(in, out, n);
	double snr = snr_db(in, out, n, lag);
	g_test_message("G.722 delay %u samples, SNR %.1f dB", lag, snr);
	g_assert_cmpuint(lag, ==, 22);
	g_assert_cmpfloat(snr, >, 20.0);

	/* A wideband tone (6 kHz, above G.711's band) survives too. */
	g_autoptr(XbCodecState) st2 = xb_codec_state_new(c);
	sine(in, n, 6000, 8000, RATE16);
	for (size_t at = 0; at < n; at += 320) {
		xb_codec_encode(st2, in + at, 320, enc);
		xb_codec_decode(st2, enc, 160, out + at);
	}
	g_assert_cmpfloat(snr_db(in, out, n, best_lag(in, out, n)), >, 10.0);
}

/* Two streams encoded frame by frame in turn give what each gives alone: the states are
 * the streams' own, with nothing shared. */
static void test_g722_state_independence(void)
{
	const XbCodec *c = xb_codec_find("G722", 0);
	int16_t a[3200], b[3200];
	uint8_t ea[1600], eb[1600], alone_a[1600], alone_b[1600];
	int16_t da[3200], alone_da[3200];

	sine(a, 3200, 700, 9000, RATE16);
	sine(b, 3200, 2300, 12000, RATE16);
	g_autoptr(XbCodecState) sa = xb_codec_state_new(c);
	g_autoptr(XbCodecState) sb = xb_codec_state_new(c);
	for (size_t f = 0; f < 10; f++) {
		xb_codec_encode(sa, a + f * 320, 320, ea + f * 160);
		xb_codec_encode(sb, b + f * 320, 320, eb + f * 160);
		xb_codec_decode(sa, eb + f * 160, 160, da + f * 320);
		xb_codec_decode(sb, ea + f * 160, 160, alone_da + f * 320);
	}
	g_autoptr(XbCodecState) sa2 = xb_codec_state_new(c);
	g_autoptr(XbCodecState) sb2 = xb_codec_state_new(c);
	xb_codec_encode(sa2, a, 3200, alone_a);
	xb_codec_encode(sb2, b, 3200, alone_b);
	g_assert_cmpmem(ea, sizeof ea, alone_a, sizeof alone_a);
	g_assert_cmpmem(eb, sizeof eb, alone_b, sizeof alone_b);
	g_assert_true(memcmp(ea, eb, sizeof ea) != 0);

	/* Decoding too: a fresh decoder of b's stream gives what sa's decoder gave. */
	g_autoptr(XbCodecState) d = xb_codec_state_new(c);
	int16_t db[3200];
	xb_codec_decode(d, eb, 1600, db);
	g_assert_cmpmem(db, sizeof db, da, sizeof da);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/codec/table/rfc3551-4.5.2", test_table_rfc3551);
	g_test_add_func("/codec/table/g711-is-g711", test_table_g711);
	g_test_add_func("/codec/g722/frame-sizes", test_g722_frame_sizes);
	g_test_add_func("/codec/g722/sine-round-trip", test_g722_sine_round_trip);
	g_test_add_func("/codec/g722/state-independence", test_g722_state_independence);
	return g_test_run();
}
