/* g722.c: ITU-T G.722 at 64 kbit/s, by spandsp's encoder and decoder (docs/decisions.md
 * says why spandsp). Only the wrapping is here: one state for each direction of a stream,
 * made and freed with it. */
#include <crossbar/codec.h>

#include <spandsp/telephony.h>
#include <spandsp/g722.h>

struct xb_g722 {
	g722_encode_state_t *enc;
	g722_decode_state_t *dec;
};

XbG722 *xb_g722_new(void)
{
	XbG722 *g = g_new0(XbG722, 1);

	g->enc = g722_encode_init(NULL, 64000, 0);
	g->dec = g722_decode_init(NULL, 64000, 0);
	if (!g->enc || !g->dec)
		g_error("g722: spandsp cannot make a state (out of memory)");
	return g;
}

void xb_g722_free(XbG722 *g)
{
	if (!g)
		return;
	g722_encode_free(g->enc);
	g722_decode_free(g->dec);
	g_free(g);
}

size_t xb_g722_encode(XbG722 *g, const int16_t *in, size_t n, uint8_t *out)
{
	int r = g722_encode(g->enc, out, in, (int)(n & ~(size_t)1));
	return r > 0 ? (size_t)r : 0;
}

size_t xb_g722_decode(XbG722 *g, const uint8_t *in, size_t len, int16_t *out)
{
	int r = g722_decode(g->dec, out, in, (int)len);
	return r > 0 ? (size_t)r : 0;
}
