/* codec.c: the table of codecs the media engine transcodes between, by encoding name, and
 * one decode/encode entry for each that hides which one it is. */
#include <crossbar/codec.h>

static const XbCodec g722 = {"G722", XB_G722_PT, 8000, 16000, 160, 320};
static const XbCodec pcmu = {"PCMU", XB_G711_PT_ULAW, 8000, 8000, 160, 160};
static const XbCodec pcma = {"PCMA", XB_G711_PT_ALAW, 8000, 8000, 160, 160};

const XbCodec *const xb_codecs[] = {&g722, &pcmu, &pcma, NULL};

struct xb_codec_state {
	const XbCodec *codec;
	XbG722 *g722; /* G.722's filters and predictors; NULL for G.711 */
};

const XbCodec *xb_codec_find(const char *encoding, guint clock_rate)
{
	for (guint i = 0; encoding && xb_codecs[i]; i++)
		if (!g_ascii_strcasecmp(encoding, xb_codecs[i]->name) &&
		    (!clock_rate || clock_rate == xb_codecs[i]->clock_rate))
			return xb_codecs[i];
	return NULL;
}

XbCodecState *xb_codec_state_new(const XbCodec *codec)
{
	XbCodecState *st = g_new0(XbCodecState, 1);

	st->codec = codec;
	if (codec == &g722)
		st->g722 = xb_g722_new();
	return st;
}

void xb_codec_state_free(XbCodecState *st)
{
	if (!st)
		return;
	xb_g722_free(st->g722);
	g_free(st);
}

const XbCodec *xb_codec_state_codec(const XbCodecState *st)
{
	return st->codec;
}

size_t xb_codec_samples(const XbCodec *codec, size_t len)
{
	return len * codec->sample_rate / 8000;
}

size_t xb_codec_bytes(const XbCodec *codec, size_t samples)
{
	return samples * 8000 / codec->sample_rate;
}

size_t xb_codec_decode(XbCodecState *st, const uint8_t *in, size_t len, int16_t *out)
{
	if (st->g722)
		return xb_g722_decode(st->g722, in, len, out);
	if (st->codec == &pcma)
		xb_g711_alaw_decode_buf(in, out, len);
	else
		xb_g711_ulaw_decode_buf(in, out, len);
	return len;
}

size_t xb_codec_encode(XbCodecState *st, const int16_t *in, size_t n, uint8_t *out)
{
	if (st->g722)
		return xb_g722_encode(st->g722, in, n, out);
	if (st->codec == &pcma)
		xb_g711_alaw_encode_buf(in, out, n);
	else
		xb_g711_ulaw_encode_buf(in, out, n);
	return n;
}
