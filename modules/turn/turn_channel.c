/* turn_channel.c: ChannelData framing with the wider channel range of RFC 5766 §11
 * (0x4000-0x7FFF) when turn.rfc5766_channels is on (the default), because coturn's
 * turnutils_uclient and older WebRTC stacks still pick numbers up to 0x7FFF. RFC 8656 §12's range
 * (0x4000-0x4FFF) goes straight to lib/stun/; only the legacy numbers are framed here. No state, no
 * I/O. */
#include "turn_private.h"

static gboolean legacy_byte(gboolean legacy, const uint8_t *buf, size_t len)
{
	return legacy && len >= 1 && buf[0] >= 0x50 && buf[0] <= 0x7f;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

int turn_stream_frame(gboolean legacy, const uint8_t *buf, size_t avail, size_t *frame_len)
{
	if (!legacy_byte(legacy, buf, avail))
		return stun_stream_frame(buf, avail, frame_len);
	*frame_len = 0;
	if (avail < STUN_CHANNEL_HEADER_LEN)
		return 0;
	*frame_len = STUN_CHANNEL_HEADER_LEN + pad4(((size_t)buf[2] << 8) | buf[3]);
	return avail >= *frame_len ? 1 : 0;
}

gboolean turn_is_channel_data(gboolean legacy, const uint8_t *buf, size_t len)
{
	return stun_pkt_classify(buf, len) == STUN_PKT_CHANNEL_DATA ||
	       legacy_byte(legacy, buf, len);
}

int turn_channel_parse(gboolean legacy, const uint8_t *buf, size_t len, gboolean stream,
                       uint16_t *channel, const uint8_t **data, size_t *data_len)
{
	size_t dlen;

	if (!legacy_byte(legacy, buf, len))
		return stun_channel_data_parse(buf, len, stream, channel, data, data_len);
	if (len < STUN_CHANNEL_HEADER_LEN)
		return STUN_E_TRUNCATED;
	dlen = ((size_t)buf[2] << 8) | buf[3];
	if (STUN_CHANNEL_HEADER_LEN + (stream ? pad4(dlen) : dlen) > len)
		return STUN_E_TRUNCATED;
	*channel = (uint16_t)((buf[0] << 8) | buf[1]);
	*data = buf + STUN_CHANNEL_HEADER_LEN;
	*data_len = dlen;
	return 0;
}

void turn_channel_header(uint8_t out[STUN_CHANNEL_HEADER_LEN], uint16_t channel, size_t len)
{
	out[0] = (uint8_t)(channel >> 8);
	out[1] = (uint8_t)channel;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
}
