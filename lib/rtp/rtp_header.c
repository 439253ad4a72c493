/* rtp_header.c: the RTP fixed header, CSRC list, header extension and padding (RFC 3550
 * §5.1, §5.3.1): parsing into an XbRtpHeader that points into the packet, and building one.
 * Never reads or writes outside the given length. */
#include <crossbar/rtp.h>

#include <errno.h>
#include <string.h>

#include "rtp_bytes.h"

int xb_rtp_parse(XbRtpHeader *h, const uint8_t *buf, size_t len)
{
	size_t off = XB_RTP_HEADER_LEN, end = len;

	if (len < XB_RTP_HEADER_LEN || buf[0] >> 6 != XB_RTP_VERSION)
		return -EBADMSG;
	h->padding = buf[0] & 0x20;
	h->extension = buf[0] & 0x10;
	h->cc = buf[0] & 0x0F;
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7F;
	h->seq = rd16(buf + 2);
	h->ts = rd32(buf + 4);
	h->ssrc = rd32(buf + 8);
	if (len - off < (size_t)h->cc * 4)
		return -EBADMSG;
	for (unsigned i = 0; i < h->cc; i++, off += 4)
		h->csrc[i] = rd32(buf + off);
	h->ext_profile = 0;
	h->ext = NULL;
	h->ext_len = 0;
	if (h->extension) {
		if (len - off < 4)
			return -EBADMSG;
		h->ext_profile = rd16(buf + off);
		h->ext_len = (size_t)rd16(buf + off + 2) * 4;
		off += 4;
		if (len - off < h->ext_len)
			return -EBADMSG;
		h->ext = buf + off;
		off += h->ext_len;
	}
	h->pad_len = 0;
	if (h->padding) {
		/* The last byte counts the padding, itself included: 0 or more than the payload
		 * left is malformed (RFC 3550 A.1's check). */
		uint8_t pad = buf[len - 1];

		if (pad == 0 || pad > len - off)
			return -EBADMSG;
		h->pad_len = pad;
		end = len - pad;
	}
	h->payload = buf + off;
	h->payload_len = end - off;
	return 0;
}

size_t xb_rtp_header_len(const XbRtpHeader *h)
{
	size_t n = XB_RTP_HEADER_LEN + (size_t)h->cc * 4;

	if (h->extension)
		n += 4 + h->ext_len;
	return n;
}

int xb_rtp_build(const XbRtpHeader *h, const uint8_t *payload, size_t payload_len, uint8_t *buf,
                 size_t cap)
{
	size_t hlen, total, off = XB_RTP_HEADER_LEN;
	size_t pad = h->padding ? h->pad_len : 0;

	if (h->cc > XB_RTP_MAX_CSRC || h->pt > 127 || (h->padding && h->pad_len == 0) ||
	    (h->extension &&
	     (h->ext_len % 4 != 0 || h->ext_len > 0xFFFF * 4 || (h->ext_len && !h->ext))))
		return -EINVAL;
	hlen = xb_rtp_header_len(h);
	if (cap < hlen || cap - hlen < payload_len || cap - hlen - payload_len < pad ||
	    hlen + payload_len + pad > INT32_MAX)
		return -ENOSPC;
	total = hlen + payload_len + pad;
	buf[0] =
	    (uint8_t)(XB_RTP_VERSION << 6 | (pad ? 0x20 : 0) | (h->extension ? 0x10 : 0) | h->cc);
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	wr16(buf + 2, h->seq);
	wr32(buf + 4, h->ts);
	wr32(buf + 8, h->ssrc);
	for (unsigned i = 0; i < h->cc; i++, off += 4)
		wr32(buf + off, h->csrc[i]);
	if (h->extension) {
		wr16(buf + off, h->ext_profile);
		wr16(buf + off + 2, (uint16_t)(h->ext_len / 4));
		off += 4;
		if (h->ext_len)
			memmove(buf + off, h->ext, h->ext_len);
		off += h->ext_len;
	}
	if (payload && payload_len)
		memmove(buf + off, payload, payload_len);
	off += payload_len;
	if (pad) {
		memset(buf + off, 0, pad - 1);
		buf[off + pad - 1] = (uint8_t)pad;
	}
	return (int)total;
}

bool xb_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}
