/* CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) for the STUN FINGERPRINT attribute
 * (RFC 8489 §14.7). Written here so that zlib is not a dependency; the table is built once,
 * thread-safely, and nothing else lives in this file. */
#include <crossbar/stun.h>

static uint32_t crc_table[256];

static void crc_table_build(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* Continues a CRC: start with crc = 0; stun_crc32(stun_crc32(0, a, n), b, m) equals the CRC
 * of a followed by b. */
uint32_t stun_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		crc_table_build();
		g_once_init_leave(&once, 1);
	}
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = crc_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}
