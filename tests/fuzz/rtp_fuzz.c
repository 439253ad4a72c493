/* libFuzzer target for the RTP side of lib/rtp/: the header parser (what it parses must
 * build back to the same header and payload), RFC 4733 payloads and their receiver, and the
 * sequence/jitter book-keeping fed from the input. Pure library code only. */
#include <crossbar/rtp.h>

#include <string.h>

static void rebuild(const XbRtpHeader *h, const uint8_t *data, size_t size)
{
	static uint8_t out[70000];
	int n = xb_rtp_build(h, h->payload, h->payload_len, out, sizeof(out));
	size_t body = size - h->pad_len;

	if (n < 0 || (size_t)n != size)
		__builtin_trap(); /* a parsed packet builds back to its length */
	if (memcmp(out, data, body) != 0 || (h->pad_len && out[n - 1] != h->pad_len))
		__builtin_trap(); /* ... and to its bytes, padding contents aside */
}

static void dtmf(const uint8_t *data, size_t size)
{
	XbRtpDtmfRx rx;
	XbRtpDtmfReport out[3];
	XbRtpDtmf ev;
	uint8_t enc[4];

	xb_rtp_dtmf_rx_init(&rx);
	for (size_t off = 0; off + 6 <= size; off += 6) {
		uint32_t ts = (uint32_t)data[off] << 8 | data[off + 1];

		if (xb_rtp_dtmf_decode(&ev, data + off + 2, 4) != 0)
			__builtin_trap();
		if (xb_rtp_dtmf_rx_feed(&rx, ts * 160, &ev, out) > 3)
			__builtin_trap();
		if (xb_rtp_dtmf_encode(&ev, enc, sizeof(enc)) != 4 ||
		    memcmp(enc, data + off + 2, 1) != 0)
			__builtin_trap();
		(void)xb_rtp_dtmf_char(ev.event);
	}
	(void)xb_rtp_dtmf_rx_timeout(&rx, out);
}

static void source(const uint8_t *data, size_t size)
{
	XbRtpSource s;
	XbRtcpReportBlock rb;

	if (size < 2)
		return;
	xb_rtp_source_init(&s, (uint16_t)(data[0] << 8 | data[1]));
	for (size_t off = 0; off + 4 <= size; off += 4) {
		uint16_t seq = (uint16_t)(data[off] << 8 | data[off + 1]);

		(void)xb_rtp_source_update(&s, seq);
		xb_rtp_source_jitter(&s, (uint32_t)seq * 160,
		                     (uint32_t)(data[off + 2] << 8 | data[off + 3]) * 37);
	}
	xb_rtp_source_report(&s, &rb);
	if (rb.cumulative_lost > 0x7FFFFF || rb.cumulative_lost < -0x800000)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	XbRtpHeader h;

	if (xb_rtp_parse(&h, data, size) == 0) {
		if (h.payload + h.payload_len > data + size || h.payload < data)
			__builtin_trap();
		rebuild(&h, data, size);
		dtmf(h.payload, h.payload_len);
	}
	(void)xb_rtp_is_rtcp(data, size);
	source(data, size);
	return 0;
}
