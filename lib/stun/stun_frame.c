/* Telling STUN from ChannelData (RFC 8656 §12, RFC 7983) and cutting messages out of a
 * TCP/TLS byte stream. Pure functions over bytes: no buffering of its own, no sockets;
 * the caller keeps the stream buffer and asks again when more bytes arrive. */
#include <crossbar/stun.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* By the first two bits: 00 is STUN, 01 is ChannelData. On a port shared with RTP and DTLS
 * (ICE), a caller should narrow STUN to a first byte of 0-3 (RFC 7983 §7). */
enum stun_pkt_kind stun_pkt_classify(const uint8_t *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return STUN_PKT_OTHER;
	switch (buf[0] & 0xc0) {
	case 0x00:
		return STUN_PKT_STUN;
	case 0x40:
		return STUN_PKT_CHANNEL_DATA;
	}
	return STUN_PKT_OTHER;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

size_t stun_channel_data_frame_len(size_t data_len, bool stream)
{
	return STUN_CHANNEL_HEADER_LEN + (stream ? pad4(data_len) : data_len);
}

int stun_channel_data_parse(const uint8_t *buf, size_t len, bool stream, uint16_t *channel,
                            const uint8_t **data, size_t *data_len)
{
	uint16_t ch, dlen;

	if (buf == NULL || len < STUN_CHANNEL_HEADER_LEN)
		return STUN_E_TRUNCATED;
	ch = rd16(buf);
	/* RFC 8656 §12: 0x4000-0x4FFF; 0x5000-0x7FFF were valid in RFC 5766, now reserved. */
	if (ch < STUN_CHANNEL_MIN || ch > STUN_CHANNEL_MAX)
		return STUN_E_NOT_CHANNEL;
	dlen = rd16(buf + 2);
	if (len < stun_channel_data_frame_len(dlen, stream))
		return STUN_E_TRUNCATED;
	*channel = ch;
	*data = buf + STUN_CHANNEL_HEADER_LEN;
	*data_len = dlen;
	return 0;
}

int stun_channel_data_header(uint8_t out[STUN_CHANNEL_HEADER_LEN], uint16_t channel,
                             size_t data_len)
{
	if (channel < STUN_CHANNEL_MIN || channel > STUN_CHANNEL_MAX || data_len > 0xffff)
		return STUN_E_INVALID;
	out[0] = (uint8_t)(channel >> 8);
	out[1] = (uint8_t)channel;
	out[2] = (uint8_t)(data_len >> 8);
	out[3] = (uint8_t)data_len;
	return 0;
}

int stun_stream_frame(const uint8_t *buf, size_t avail, size_t *frame_len)
{
	size_t need;

	*frame_len = 0;
	if (buf == NULL || avail < 4)
		return stun_pkt_classify(buf, avail) == STUN_PKT_OTHER && avail ? STUN_E_NOT_STUN
		                                                                : 0;
	switch (stun_pkt_classify(buf, avail)) {
	case STUN_PKT_STUN:
		if (rd16(buf + 2) % 4)
			return STUN_E_BAD_PADDING;
		if (avail >= 8 &&
		    ((uint32_t)rd16(buf + 4) << 16 | rd16(buf + 6)) != STUN_MAGIC_COOKIE)
			return STUN_E_NOT_STUN;
		need = STUN_HEADER_LEN + (size_t)rd16(buf + 2);
		break;
	case STUN_PKT_CHANNEL_DATA:
		if (rd16(buf) > STUN_CHANNEL_MAX)
			return STUN_E_NOT_CHANNEL;
		/* RFC 8656 §12.5: over a stream the frame is padded to a multiple of 4. */
		need = stun_channel_data_frame_len(rd16(buf + 2), true);
		break;
	default:
		return STUN_E_NOT_STUN;
	}
	*frame_len = need;
	return avail >= need ? 1 : 0;
}
