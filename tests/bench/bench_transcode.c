/* bench_transcode.c: what transcoding costs the media worker, per 20 ms frame: the
 * worker's own function (core/media/transcode.c) on one core, for each pair of codecs and
 * for the same codec (the relay's comparison alone). Prints µs per frame and the share of
 * one core that 1000 calls would take (two directions, 50 frames a second each). A
 * measurement, not a test; run by tests/bench/bench_media.sh. */
#include "config.h"
#include "core/media/media_private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FRAMES 20000

static double per_frame_us(const char *from, const char *to)
{
	XbMediaEndpoint a = {.dtmf_pt = -1}, b = {.dtmf_pt = -1};
	const XbCodec *ca = xb_codec_find(from, 0), *cb = xb_codec_find(to, 0);
	g_autoptr(XbCodecState) enc = xb_codec_state_new(ca);
	gint16 pcm[320];
	guint8 payload[160], pkt[2048];

	a.codec = xb_media_codec_new(ca, ca->static_pt);
	b.codec = xb_media_codec_new(cb, cb->static_pt);
	for (guint i = 0; i < ca->frame_samples; i++)
		pcm[i] = (gint16)(9000 * sin(2 * G_PI * 700 * i / ca->sample_rate));
	xb_codec_encode(enc, pcm, ca->frame_samples, payload);

	gint64 t0 = g_get_monotonic_time();
	for (int f = 0; f < FRAMES; f++) {
		pkt[0] = 0x80;
		pkt[1] = (guint8)ca->static_pt;
		memcpy(pkt + 12, payload, sizeof payload);
		if (!xb_media_transcode(&a, &b, pkt, 12 + sizeof payload))
			g_error("bench_transcode: %s -> %s dropped a frame", from, to);
	}
	double us = (double)(g_get_monotonic_time() - t0) / FRAMES;
	xb_media_codec_free(a.codec);
	xb_media_codec_free(b.codec);
	return us;
}

int main(void)
{
	static const char *const pairs[][2] = {
	    {"PCMU", "PCMU"}, {"PCMU", "PCMA"}, {"PCMA", "PCMU"}, {"G722", "G722"},
	    {"PCMU", "G722"}, {"G722", "PCMU"}, {"G722", "PCMA"},
	};

	printf("transcoding in the media worker, one core, %d frames of 20 ms each:\n", FRAMES);
	printf("  %-14s %12s %22s\n", "from -> to", "us/frame", "core% per 1000 calls");
	for (guint i = 0; i < G_N_ELEMENTS(pairs); i++) {
		double us = per_frame_us(pairs[i][0], pairs[i][1]);
		/* a call: 50 frames a second each way */
		printf("  %-5s -> %-5s %12.3f %21.1f%%\n", pairs[i][0], pairs[i][1], us,
		       us * 100 * 1000 / 1e6 * 100);
	}
	return 0;
}
