/* transcode.c: what a worker does to an RTP packet that goes between two endpoints whose
 * far ends negotiated different codecs: decode the payload to 16-bit linear with the
 * sender's codec, resample 8 <-> 16 kHz when the rates differ (speexdsp), encode with the
 * receiver's codec and give it the receiver's payload type. Telephone-events (RFC 4733)
 * are not audio: they keep their payload and take the receiver's telephone-event payload
 * type. Endpoints of the same codec and payload type cost a comparison and nothing more.
 *
 * The three codecs share an RTP clock of 8000 (RFC 3551 §4.5.2 for G.722), so a packet
 * keeps its timestamp, and the engine's restamping carries on unchanged. A packet of the
 * receiver's own codec payload type goes on as it is (a far end still sending the codec it
 * used before a new offer is answered: descriptions that pass unchanged share payload
 * types); one of any other type than the sender's codec (comfort noise, a codec switched
 * to mid-call) cannot be transcoded and is dropped. Worker thread only, apart from making and
 * freeing a MediaCodec; no allocation per packet (the resampler is made at the first packet that
 * needs it). */
#include "media_private.h"

#include <crossbar/codec.h>
#include <speex/speex_resampler.h>
#include <string.h>

#define PAYLOAD_MAX 1024 /* bytes transcoded at most in one packet: 128 ms of G.711 */

struct media_codec {
	const XbCodec *codec;
	guint pt;
	XbCodecState *state;     /* decodes what the far end sends, encodes what goes to it */
	SpeexResamplerState *rs; /* to codec->sample_rate from rs_from, for what goes to it */
	guint rs_from;
};

MediaCodec *xb_media_codec_new(const XbCodec *codec, guint pt)
{
	MediaCodec *c = g_new0(MediaCodec, 1);

	c->codec = codec;
	c->pt = pt;
	c->state = xb_codec_state_new(codec);
	return c;
}

void xb_media_codec_free(MediaCodec *c)
{
	if (!c)
		return;
	xb_codec_state_free(c->state);
	if (c->rs)
		speex_resampler_destroy(c->rs);
	g_free(c);
}

guint xb_media_codec_pt(const MediaCodec *c)
{
	return c->pt;
}

const XbCodec *xb_media_codec_codec(const MediaCodec *c)
{
	return c->codec;
}

/* Where the payload starts (after CSRCs and a header extension) and how long it is
 * (without padding); FALSE for a packet whose header does not fit its length. */
static gboolean payload_of(const guint8 *p, unsigned len, unsigned *off, unsigned *n)
{
	unsigned o = 12 + 4u * (p[0] & 0x0f);

	if (p[0] & 0x10) { /* extension: 4 bytes, then its length in words */
		if (o + 4 > len)
			return FALSE;
		o += 4 + 4u * (unsigned)(p[o + 2] << 8 | p[o + 3]);
	}
	if (o > len)
		return FALSE;
	unsigned end = len;
	if (p[0] & 0x20) { /* padding: its count in the last byte */
		if (p[len - 1] > len - o)
			return FALSE;
		end -= p[len - 1];
	}
	*off = o;
	*n = end - o;
	return TRUE;
}

/* `n` samples at `from` Hz to `out`'s rate; returns the samples in *res (pcm itself when
 * the rates agree). */
static size_t resample(MediaCodec *out, guint from, const int16_t *pcm, size_t n, int16_t *buf,
                       size_t cap, const int16_t **res)
{
	guint to = out->codec->sample_rate;

	*res = pcm;
	if (from == to)
		return n;
	if (!out->rs || out->rs_from != from) {
		int err = 0;
		if (out->rs)
			speex_resampler_destroy(out->rs);
		out->rs = speex_resampler_init(1, from, to, SPEEX_RESAMPLER_QUALITY_VOIP, &err);
		out->rs_from = from;
		if (!out->rs)
			return 0;
	}
	spx_uint32_t in_len = (spx_uint32_t)n, out_len = (spx_uint32_t)cap;
	speex_resampler_process_int(out->rs, 0, pcm, &in_len, buf, &out_len);
	*res = buf;
	return out_len;
}

unsigned xb_media_transcode(XbMediaEndpoint *from, XbMediaEndpoint *to, guint8 *p, unsigned len)
{
	MediaCodec *in = from->codec, *out = to->codec;
	guint pt = p[1] & 0x7f;
	unsigned off, n;

	/* a telephone-event (the relay may have given it the receiver's payload type already) */
	if ((from->dtmf_pt >= 0 && pt == (guint)from->dtmf_pt) ||
	    (to->dtmf_pt >= 0 && pt == (guint)to->dtmf_pt)) {
		if (to->dtmf_pt >= 0)
			p[1] = (guint8)((p[1] & 0x80) | to->dtmf_pt);
		return len;
	}
	if (in->codec == out->codec) {
		if (pt == in->pt)
			p[1] = (guint8)((p[1] & 0x80) | out->pt);
		return len; /* the same audio: relayed as it is */
	}
	if (pt != in->pt)
		return pt == out->pt ? len : 0; /* already in the receiver's codec (see above) */
	if (!payload_of(p, len, &off, &n) || n > PAYLOAD_MAX)
		return 0;

	int16_t pcm[2 * PAYLOAD_MAX], rs[2 * PAYLOAD_MAX + 64];
	const int16_t *lin;
	size_t samples = xb_codec_decode(in->state, p + off, n, pcm);
	samples = resample(out, in->codec->sample_rate, pcm, samples, rs, G_N_ELEMENTS(rs), &lin);
	/* (as long as it came, at most PAYLOAD_MAX: within the buffer) */
	size_t bytes = xb_codec_encode(out->state, lin, samples, p + 12);
	p[0] = 0x80; /* no CSRC, extension or padding left */
	p[1] = (guint8)((p[1] & 0x80) | out->pt);
	return 12 + (unsigned)bytes;
}
