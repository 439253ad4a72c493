/* codec.h: the audio codecs crossbar implements itself (lib/codec/): G.711 µ-law and A-law
 * (ITU-T G.711) between 8-bit codes and 16-bit linear samples. Pure functions on caller
 * buffers: no allocation, no state, safe on any thread (the media workers call them). */
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

G_END_DECLS

#endif /* XB_CODEC_H */
