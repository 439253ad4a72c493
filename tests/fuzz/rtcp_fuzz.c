/* libFuzzer target for the RTCP side of lib/rtp/: compound validation and walking, the
 * decoders of SR, RR, SDES, BYE and APP, and SR/RR/BYE built back from what was decoded
 * (which must decode to the same). Pure library code only. */
#include <crossbar/rtp.h>

#include <string.h>

static void report(const XbRtcpPacket *pkt)
{
	static uint8_t out[2048];
	XbRtcpReport r, back;
	XbRtcpPacket p2;
	size_t off = 0;
	int n;

	if (xb_rtcp_report(pkt, &r) != 0)
		return;
	n = pkt->type == XB_RTCP_SR ? xb_rtcp_build_sr(&r, out, sizeof(out))
	                            : xb_rtcp_build_rr(&r, out, sizeof(out));
	if (n < 0 || xb_rtcp_validate(out, (size_t)n) != 0 ||
	    xb_rtcp_next(out, (size_t)n, &off, &p2) != 1 || xb_rtcp_report(&p2, &back) != 0 ||
	    memcmp(&r, &back, sizeof(r)) != 0)
		__builtin_trap(); /* a decoded report builds back to itself */
}

static void sdes(const XbRtcpPacket *pkt)
{
	XbRtcpSdesIter it;
	XbRtcpSdesItem item;
	unsigned guard = 0;

	xb_rtcp_sdes_iter_init(&it, pkt);
	while (xb_rtcp_sdes_next(pkt, &it, &item) == 1) {
		if (item.text < pkt->data || item.text + item.len > pkt->data + pkt->len ||
		    ++guard > 100000)
			__builtin_trap();
	}
}

static void bye(const XbRtcpPacket *pkt)
{
	static uint8_t out[1024];
	XbRtcpBye b, back;
	XbRtcpPacket p2;
	size_t off = 0;
	int n;

	if (xb_rtcp_bye(pkt, &b) != 0)
		return;
	n = xb_rtcp_build_bye(b.ssrc, b.n_ssrc, NULL, out, sizeof(out));
	if (n < 0 || xb_rtcp_next(out, (size_t)n, &off, &p2) != 1 || xb_rtcp_bye(&p2, &back) != 0 ||
	    back.n_ssrc != b.n_ssrc || memcmp(back.ssrc, b.ssrc, b.n_ssrc * 4) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	XbRtcpPacket pkt;
	XbRtcpApp app;
	size_t off = 0;

	(void)xb_rtcp_validate(data, size);
	while (xb_rtcp_next(data, size, &off, &pkt) == 1) {
		if (pkt.data < data || pkt.data + pkt.len > data + size || off > size)
			__builtin_trap();
		switch (pkt.type) {
		case XB_RTCP_SR:
		case XB_RTCP_RR:
			report(&pkt);
			break;
		case XB_RTCP_SDES:
			sdes(&pkt);
			break;
		case XB_RTCP_BYE:
			bye(&pkt);
			break;
		case XB_RTCP_APP:
			(void)xb_rtcp_app(&pkt, &app);
			break;
		}
	}
	return 0;
}
