/* g711.c: ITU-T G.711 µ-law and A-law. Decoding is a look-up in the standard's tables (scaled
 * to 16 bits); encoding finds the segment from the highest set bit instead of searching the
 * segment ends, which gives the same codes as the reference search (tests/unit/test_g711.c
 * compares all 65536 inputs). No state, no allocation. */
#include <crossbar/codec.h>

/* clang-format off */
/* µ-law code -> linear: magnitude ((2m + 33) << e) - 33 in 14 bits, times 4; the code is sent
 * inverted, and the sign bit (after inversion) set means negative. */
static const int16_t ulaw_to_linear[256] = {
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
	-23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
	-15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
	-11900, -11388, -10876, -10364,  -9852,  -9340,  -8828,  -8316,
	 -7932,  -7676,  -7420,  -7164,  -6908,  -6652,  -6396,  -6140,
	 -5884,  -5628,  -5372,  -5116,  -4860,  -4604,  -4348,  -4092,
	 -3900,  -3772,  -3644,  -3516,  -3388,  -3260,  -3132,  -3004,
	 -2876,  -2748,  -2620,  -2492,  -2364,  -2236,  -2108,  -1980,
	 -1884,  -1820,  -1756,  -1692,  -1628,  -1564,  -1500,  -1436,
	 -1372,  -1308,  -1244,  -1180,  -1116,  -1052,   -988,   -924,
	  -876,   -844,   -812,   -780,   -748,   -716,   -684,   -652,
	  -620,   -588,   -556,   -524,   -492,   -460,   -428,   -396,
	  -372,   -356,   -340,   -324,   -308,   -292,   -276,   -260,
	  -244,   -228,   -212,   -196,   -180,   -164,   -148,   -132,
	  -120,   -112,   -104,    -96,    -88,    -80,    -72,    -64,
	   -56,    -48,    -40,    -32,    -24,    -16,     -8,      0,
	 32124,  31100,  30076,  29052,  28028,  27004,  25980,  24956,
	 23932,  22908,  21884,  20860,  19836,  18812,  17788,  16764,
	 15996,  15484,  14972,  14460,  13948,  13436,  12924,  12412,
	 11900,  11388,  10876,  10364,   9852,   9340,   8828,   8316,
	  7932,   7676,   7420,   7164,   6908,   6652,   6396,   6140,
	  5884,   5628,   5372,   5116,   4860,   4604,   4348,   4092,
	  3900,   3772,   3644,   3516,   3388,   3260,   3132,   3004,
	  2876,   2748,   2620,   2492,   2364,   2236,   2108,   1980,
	  1884,   1820,   1756,   1692,   1628,   1564,   1500,   1436,
	  1372,   1308,   1244,   1180,   1116,   1052,    988,    924,
	   876,    844,    812,    780,    748,    716,    684,    652,
	   620,    588,    556,    524,    492,    460,    428,    396,
	   372,    356,    340,    324,    308,    292,    276,    260,
	   244,    228,    212,    196,    180,    164,    148,    132,
	   120,    112,    104,     96,     88,     80,     72,     64,
	    56,     48,     40,     32,     24,     16,      8,      0,
};

/* A-law code -> linear: magnitude 2m + 1 (e = 0) or (2m + 33) << (e - 1) in 13 bits, times 8;
 * even bits are sent inverted (xor 0x55), and the sign bit set means positive. */
static const int16_t alaw_to_linear[256] = {
	 -5504,  -5248,  -6016,  -5760,  -4480,  -4224,  -4992,  -4736,
	 -7552,  -7296,  -8064,  -7808,  -6528,  -6272,  -7040,  -6784,
	 -2752,  -2624,  -3008,  -2880,  -2240,  -2112,  -2496,  -2368,
	 -3776,  -3648,  -4032,  -3904,  -3264,  -3136,  -3520,  -3392,
	-22016, -20992, -24064, -23040, -17920, -16896, -19968, -18944,
	-30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,
	-11008, -10496, -12032, -11520,  -8960,  -8448,  -9984,  -9472,
	-15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568,
	  -344,   -328,   -376,   -360,   -280,   -264,   -312,   -296,
	  -472,   -456,   -504,   -488,   -408,   -392,   -440,   -424,
	   -88,    -72,   -120,   -104,    -24,     -8,    -56,    -40,
	  -216,   -200,   -248,   -232,   -152,   -136,   -184,   -168,
	 -1376,  -1312,  -1504,  -1440,  -1120,  -1056,  -1248,  -1184,
	 -1888,  -1824,  -2016,  -1952,  -1632,  -1568,  -1760,  -1696,
	  -688,   -656,   -752,   -720,   -560,   -528,   -624,   -592,
	  -944,   -912,  -1008,   -976,   -816,   -784,   -880,   -848,
	  5504,   5248,   6016,   5760,   4480,   4224,   4992,   4736,
	  7552,   7296,   8064,   7808,   6528,   6272,   7040,   6784,
	  2752,   2624,   3008,   2880,   2240,   2112,   2496,   2368,
	  3776,   3648,   4032,   3904,   3264,   3136,   3520,   3392,
	 22016,  20992,  24064,  23040,  17920,  16896,  19968,  18944,
	 30208,  29184,  32256,  31232,  26112,  25088,  28160,  27136,
	 11008,  10496,  12032,  11520,   8960,   8448,   9984,   9472,
	 15104,  14592,  16128,  15616,  13056,  12544,  14080,  13568,
	   344,    328,    376,    360,    280,    264,    312,    296,
	   472,    456,    504,    488,    408,    392,    440,    424,
	    88,     72,    120,    104,     24,      8,     56,     40,
	   216,    200,    248,    232,    152,    136,    184,    168,
	  1376,   1312,   1504,   1440,   1120,   1056,   1248,   1184,
	  1888,   1824,   2016,   1952,   1632,   1568,   1760,   1696,
	   688,    656,    752,    720,    560,    528,    624,    592,
	   944,    912,   1008,    976,    816,    784,    880,    848,
};
/* clang-format on */

/* Index of the highest set bit of v > 0. */
static inline int top_bit(unsigned v)
{
	return 31 - __builtin_clz(v);
}

int16_t xb_g711_ulaw_decode(uint8_t code)
{
	return ulaw_to_linear[code];
}

int16_t xb_g711_alaw_decode(uint8_t code)
{
	return alaw_to_linear[code];
}

/* µ-law: 14-bit magnitude plus the bias 33, clipped to 0x1FFF; segment e is where the
 * highest bit lies above bit 5, the mantissa the four bits below it. */
uint8_t xb_g711_ulaw_encode(int16_t sample)
{
	int v = sample >> 2;
	unsigned mask = 0xFF, mag;
	int seg;

	if (v < 0) {
		v = -v;
		mask = 0x7F;
	}
	mag = (unsigned)v + 0x21;
	if (mag > 0x1FFF)
		mag = 0x1FFF;
	seg = top_bit(mag) - 5;
	return (uint8_t)((((unsigned)seg << 4) | ((mag >> (seg + 1)) & 0xF)) ^ mask);
}

/* A-law: 13-bit magnitude (one's complement for negatives, so -4096 fits); segments 0 and 1
 * share the step of 2, each later segment doubles it. */
uint8_t xb_g711_alaw_encode(int16_t sample)
{
	int v = sample >> 3;
	unsigned mask = 0xD5, mag;
	int seg;

	if (v < 0) {
		v = -v - 1;
		mask = 0x55;
	}
	mag = (unsigned)v;
	if (mag < 0x20)
		return (uint8_t)(((mag >> 1) & 0xF) ^ mask);
	seg = top_bit(mag) - 4;
	return (uint8_t)((((unsigned)seg << 4) | ((mag >> (seg < 2 ? 1 : seg)) & 0xF)) ^ mask);
}

void xb_g711_ulaw_decode_buf(const uint8_t *in, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = ulaw_to_linear[in[i]];
}

void xb_g711_ulaw_encode_buf(const int16_t *in, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = xb_g711_ulaw_encode(in[i]);
}

void xb_g711_alaw_decode_buf(const uint8_t *in, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = alaw_to_linear[in[i]];
}

void xb_g711_alaw_encode_buf(const int16_t *in, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = xb_g711_alaw_encode(in[i]);
}

uint8_t xb_g711_alaw_to_ulaw(uint8_t code)
{
	return xb_g711_ulaw_encode(alaw_to_linear[code]);
}

uint8_t xb_g711_ulaw_to_alaw(uint8_t code)
{
	return xb_g711_alaw_encode(ulaw_to_linear[code]);
}
