/* Unit tests of G.711 (lib/codec/g711.c): every code against the tables of ITU-T G.711
 * (computed here from the standard's segment/step definition, with spot values from its
 * tables), every 16-bit input against the reference encoder (the segment search of the
 * standard's companion C code), and code -> linear -> code round trips. */
#include <crossbar/codec.h>

#include <glib.h>

/* G.711 Table 2a (µ-law): code -> magnitude ((2m + 33) << e) - 33 in 14-bit units, sent
 * inverted; scaled to 16 bits by 4. */
static int ref_ulaw_decode(uint8_t code)
{
	unsigned c = (uint8_t)~code;
	int e = (c >> 4) & 7, m = c & 15;
	int mag = (((2 * m + 33) << e) - 33) * 4;

	return (c & 0x80) ? -mag : mag;
}

/* G.711 Table 1a (A-law): 2m + 1 (segment 0) or (2m + 33) << (e - 1), even bits inverted;
 * scaled to 16 bits by 8. */
static int ref_alaw_decode(uint8_t code)
{
	unsigned c = code ^ 0x55u;
	int e = (c >> 4) & 7, m = c & 15;
	int mag = (e == 0 ? 2 * m + 1 : (2 * m + 33) << (e - 1)) * 8;

	return (c & 0x80) ? mag : -mag;
}

/* The reference encoders: search the segment end points in order. */
static int search(int val, const int *table, int size)
{
	for (int i = 0; i < size; i++)
		if (val <= table[i])
			return i;
	return size;
}

static uint8_t ref_ulaw_encode(int16_t sample)
{
	static const int seg_end[8] = {0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF};
	int v = sample >> 2, mask, seg;

	if (v < 0) {
		v = -v;
		mask = 0x7F;
	} else {
		mask = 0xFF;
	}
	if (v > 8159)
		v = 8159;
	v += 0x21;
	seg = search(v, seg_end, 8);
	if (seg >= 8)
		return (uint8_t)(0x7F ^ mask);
	return (uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 0xF)) ^ mask);
}

static uint8_t ref_alaw_encode(int16_t sample)
{
	static const int seg_end[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
	int v = sample >> 3, mask, seg, a;

	if (v >= 0) {
		mask = 0xD5;
	} else {
		mask = 0x55;
		v = -v - 1;
	}
	seg = search(v, seg_end, 8);
	if (seg >= 8)
		return (uint8_t)(0x7F ^ mask);
	a = seg << 4;
	a |= seg < 2 ? (v >> 1) & 0xF : (v >> seg) & 0xF;
	return (uint8_t)(a ^ mask);
}

static void test_ulaw_decode_table(void)
{
	for (int c = 0; c < 256; c++)
		g_assert_cmpint(xb_g711_ulaw_decode((uint8_t)c), ==, ref_ulaw_decode((uint8_t)c));
	/* Spot values of the standard's table: the extremes and both zeros. */
	g_assert_cmpint(xb_g711_ulaw_decode(0x00), ==, -32124);
	g_assert_cmpint(xb_g711_ulaw_decode(0x80), ==, 32124);
	g_assert_cmpint(xb_g711_ulaw_decode(0xFF), ==, 0);
	g_assert_cmpint(xb_g711_ulaw_decode(0x7F), ==, 0);
	g_assert_cmpint(xb_g711_ulaw_decode(0xFE), ==, 8);
	g_assert_cmpint(xb_g711_ulaw_decode(0x7E), ==, -8);
}

static void test_alaw_decode_table(void)
{
	for (int c = 0; c < 256; c++)
		g_assert_cmpint(xb_g711_alaw_decode((uint8_t)c), ==, ref_alaw_decode((uint8_t)c));
	g_assert_cmpint(xb_g711_alaw_decode(0xD5), ==, 8);
	g_assert_cmpint(xb_g711_alaw_decode(0x55), ==, -8);
	g_assert_cmpint(xb_g711_alaw_decode(0xAA), ==, 32256);
	g_assert_cmpint(xb_g711_alaw_decode(0x2A), ==, -32256);
}

static void test_ulaw_encode_all(void)
{
	for (int s = -32768; s <= 32767; s++)
		if (xb_g711_ulaw_encode((int16_t)s) != ref_ulaw_encode((int16_t)s))
			g_error("µ-law encode of %d: 0x%02x, reference 0x%02x", s,
			        xb_g711_ulaw_encode((int16_t)s), ref_ulaw_encode((int16_t)s));
	g_assert_cmpuint(xb_g711_ulaw_encode(0), ==, 0xFF);
	g_assert_cmpuint(xb_g711_ulaw_encode(32767), ==, 0x80);
	g_assert_cmpuint(xb_g711_ulaw_encode(-32768), ==, 0x00);
}

static void test_alaw_encode_all(void)
{
	for (int s = -32768; s <= 32767; s++)
		if (xb_g711_alaw_encode((int16_t)s) != ref_alaw_encode((int16_t)s))
			g_error("A-law encode of %d: 0x%02x, reference 0x%02x", s,
			        xb_g711_alaw_encode((int16_t)s), ref_alaw_encode((int16_t)s));
	g_assert_cmpuint(xb_g711_alaw_encode(0), ==, 0xD5);
	g_assert_cmpuint(xb_g711_alaw_encode(32767), ==, 0xAA);
	g_assert_cmpuint(xb_g711_alaw_encode(-32768), ==, 0x2A);
}

/* Every code survives decode then encode, except µ-law's negative zero 0x7F, which decodes
 * to 0 like 0xFF and so comes back as 0xFF. */
static void test_round_trip(void)
{
	for (int c = 0; c < 256; c++) {
		uint8_t u = xb_g711_ulaw_encode(xb_g711_ulaw_decode((uint8_t)c));

		g_assert_cmpuint(u, ==, c == 0x7F ? 0xFF : c);
		g_assert_cmpuint(xb_g711_alaw_encode(xb_g711_alaw_decode((uint8_t)c)), ==, c);
	}
}

static void test_buffers(void)
{
	int16_t lin[256], back[256];
	uint8_t codes[256], out[256];

	for (int i = 0; i < 256; i++) {
		codes[i] = (uint8_t)i;
		lin[i] = (int16_t)(i * 256 - 32768);
	}
	xb_g711_ulaw_decode_buf(codes, back, 256);
	xb_g711_ulaw_encode_buf(lin, out, 256);
	for (int i = 0; i < 256; i++) {
		g_assert_cmpint(back[i], ==, xb_g711_ulaw_decode((uint8_t)i));
		g_assert_cmpuint(out[i], ==, xb_g711_ulaw_encode(lin[i]));
	}
	xb_g711_alaw_decode_buf(codes, back, 256);
	xb_g711_alaw_encode_buf(lin, out, 256);
	for (int i = 0; i < 256; i++) {
		g_assert_cmpint(back[i], ==, xb_g711_alaw_decode((uint8_t)i));
		g_assert_cmpuint(out[i], ==, xb_g711_alaw_encode(lin[i]));
	}
}

/* A-law <-> µ-law: the nearest code of the other law, and silence stays silence. */
static void test_transcode(void)
{
	g_assert_cmpuint(xb_g711_ulaw_to_alaw(0xFF), ==, 0xD5);
	g_assert_cmpuint(xb_g711_alaw_to_ulaw(0xD5), ==, 0xFE);
	for (int c = 0; c < 256; c++) {
		int lin = xb_g711_alaw_decode((uint8_t)c);
		int via = xb_g711_ulaw_decode(xb_g711_alaw_to_ulaw((uint8_t)c));

		/* within one µ-law step of the segment the value falls in */
		g_assert_cmpint(ABS(lin - via), <=, 1024);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/codec/g711/ulaw/decode-every-code", test_ulaw_decode_table);
	g_test_add_func("/codec/g711/alaw/decode-every-code", test_alaw_decode_table);
	g_test_add_func("/codec/g711/ulaw/encode-every-sample", test_ulaw_encode_all);
	g_test_add_func("/codec/g711/alaw/encode-every-sample", test_alaw_encode_all);
	g_test_add_func("/codec/g711/round-trip-code-linear-code", test_round_trip);
	g_test_add_func("/codec/g711/buffers", test_buffers);
	g_test_add_func("/codec/g711/alaw-ulaw-transcode", test_transcode);
	return g_test_run();
}
