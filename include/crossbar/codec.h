/* codec.h: the audio codecs of lib/codec/: G.711 µ-law and A-law (ITU-T G.711), written
 * here, between 8-bit codes and 16-bit linear samples, and G.722 (ITU-T G.722, 64 kbit/s
 * wideband) through spandsp. G.711's functions are pure: no allocation, no state. G.722
 * keeps state from one frame to the next, so a stream has an XbG722 (or an XbCodecState) of
 * its own. Everything here is safe on any thread (the media workers call it), one state per
 * thread at a time. */
#ifndef XB_CODEC_H
#define XB_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

G_BEGIN_DECLS

/* RTP static payload types of G.711 (RFC 3551 §6). */
#define XB_G711_PT_ULAW 0
#define XB_G711_PT_ALAW 8

/* One sample. Decoding reads a 256-entry table: the values are those of G.711's tables,
 * scaled to 16 bits (µ-law's 14-bit values times 4, A-law's 13-bit values times 8), so
 * µ-law spans ±32124 and A-law ±32256. Encoding truncates towards the decision level below
 * as G.711 does; both zero codes of µ-law (0x7F, 0xFF) decode to 0 and 0 encodes to 0xFF. */
int16_t xb_g711_ulaw_decode(uint8_t code);
uint8_t xb_g711_ulaw_encode(int16_t sample);
int16_t xb_g711_alaw_decode(uint8_t code);
uint8_t xb_g711_alaw_encode(int16_t sample);

/* n samples at once; in and out must not overlap. */
void xb_g711_ulaw_decode_buf(const uint8_t *in, int16_t *out, size_t n);
void xb_g711_ulaw_encode_buf(const int16_t *in, uint8_t *out, size_t n);
void xb_g711_alaw_decode_buf(const uint8_t *in, int16_t *out, size_t n);
void xb_g711_alaw_encode_buf(const int16_t *in, uint8_t *out, size_t n);

/* A-law <-> µ-law for a transcoding bridge, through linear (one table look-up each way). */
uint8_t xb_g711_alaw_to_ulaw(uint8_t code);
uint8_t xb_g711_ulaw_to_alaw(uint8_t code);

/* ---- G.722 (lib/codec/g722.c) ---- */

/* RTP's static payload type of G.722 (RFC 3551 §6); its RTP clock is 8000 although it
 * samples at 16 kHz (RFC 3551 §4.5.2), so 20 ms are 320 samples, 160 bytes and a
 * timestamp step of 160, like G.711's. */
#define XB_G722_PT 9

/* An encoder and a decoder at 64 kbit/s, two independent halves: one stream's audio each
 * way. The codec's filters delay what comes out by 22 samples (1.4 ms). */
typedef struct xb_g722 XbG722;
XbG722 *xb_g722_new(void);
void xb_g722_free(XbG722 *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbG722, xb_g722_free)
/* n 16 kHz samples (n even) to n / 2 bytes; returns the bytes written. */
size_t xb_g722_encode(XbG722 *g, const int16_t *in, size_t n, uint8_t *out);
/* len bytes to 2 len 16 kHz samples; returns the samples written. */
size_t xb_g722_decode(XbG722 *g, const uint8_t *in, size_t len, int16_t *out);

/* ---- the codec table (lib/codec/codec.c) ---- */

/* A codec the media engine can decode and encode, by its encoding name. */
typedef struct {
	const char *name;    /* as SDP's rtpmap writes it: "PCMU", "PCMA", "G722" */
	guint static_pt;     /* RFC 3551's payload type */
	guint clock_rate;    /* RTP's and SDP's: 8000 for all three */
	guint sample_rate;   /* of its linear audio: 8000, or 16000 for G.722 */
	guint frame_bytes;   /* of 20 ms */
	guint frame_samples; /* of linear audio in 20 ms */
} XbCodec;

/* The codec called `encoding` (without case) at RTP clock `clock_rate` (0: any), or
 * NULL. */
const XbCodec *xb_codec_find(const char *encoding, guint clock_rate);
/* Every codec of the table, NULL-terminated, best first (G.722, PCMU, PCMA). */
extern const XbCodec *const xb_codecs[];

/* A stream's state for one codec: G.722's encoder and decoder, nothing for G.711. */
typedef struct xb_codec_state XbCodecState;
XbCodecState *xb_codec_state_new(const XbCodec *codec);
void xb_codec_state_free(XbCodecState *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbCodecState, xb_codec_state_free)
const XbCodec *xb_codec_state_codec(const XbCodecState *st);
/* The samples that len bytes hold (len for G.711, 2 len for G.722), and the reverse. */
size_t xb_codec_samples(const XbCodec *codec, size_t len);
size_t xb_codec_bytes(const XbCodec *codec, size_t samples);
/* len bytes to xb_codec_samples(len) linear samples at the codec's sample_rate; n such
 * samples to xb_codec_bytes(n) bytes. Each returns what it wrote. */
size_t xb_codec_decode(XbCodecState *st, const uint8_t *in, size_t len, int16_t *out);
size_t xb_codec_encode(XbCodecState *st, const int16_t *in, size_t n, uint8_t *out);

G_END_DECLS

#endif /* XB_CODEC_H */
