/* rtp_dtmf.c: RFC 4733 telephone-events: the 4-byte payload (§2.3), the DTMF characters of
 * events 0-16 (§3.2), a receiver that turns an event's packets into one BEGIN and one END
 * report (its state table is in crossbar/rtp.h beside XbRtpDtmfRx), and a sender that
 * makes an event's packets (§2.5.1). */
#include <crossbar/rtp.h>

#include <errno.h>

#include "rtp_bytes.h"

static const char dtmf_chars[] = "0123456789*#ABCD!";

int xb_rtp_dtmf_decode(XbRtpDtmf *ev, const uint8_t *payload, size_t len)
{
	if (len < XB_RTP_DTMF_LEN)
		return -EBADMSG;
	ev->event = payload[0];
	ev->end = payload[1] & 0x80;
	ev->volume = payload[1] & 0x3F; /* the R bit (0x40) is ignored on receipt */
	ev->duration = rd16(payload + 2);
	return 0;
}

int xb_rtp_dtmf_encode(const XbRtpDtmf *ev, uint8_t *buf, size_t cap)
{
	if (ev->volume > 63)
		return -EINVAL;
	if (cap < XB_RTP_DTMF_LEN)
		return -ENOSPC;
	buf[0] = ev->event;
	buf[1] = (uint8_t)((ev->end ? 0x80 : 0) | ev->volume);
	wr16(buf + 2, ev->duration);
	return XB_RTP_DTMF_LEN;
}

char xb_rtp_dtmf_char(uint8_t event)
{
	return event < sizeof(dtmf_chars) - 1 ? dtmf_chars[event] : 0;
}

int xb_rtp_dtmf_event(char c)
{
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	for (int i = 0; dtmf_chars[i]; i++)
		if (dtmf_chars[i] == c && c != 0)
			return i;
	return -1;
}

void xb_rtp_dtmf_rx_init(XbRtpDtmfRx *rx)
{
	rx->state = XB_RTP_DTMF_RX_IDLE;
	rx->event = 0;
	rx->ts = 0;
	rx->duration = 0;
}

static XbRtpDtmfReport report(const XbRtpDtmfRx *rx, XbRtpDtmfReportKind kind)
{
	XbRtpDtmfReport r = {kind, rx->event, rx->ts, rx->duration};

	return r;
}

unsigned xb_rtp_dtmf_rx_feed(XbRtpDtmfRx *rx, uint32_t ts, const XbRtpDtmf *ev,
                             XbRtpDtmfReport out[3])
{
	unsigned n = 0;

	if (rx->state != XB_RTP_DTMF_RX_IDLE) {
		int32_t d = (int32_t)(ts - rx->ts);

		if (d < 0)
			return 0; /* a late packet of an earlier event */
		if (d == 0) {
			if (rx->state == XB_RTP_DTMF_RX_ENDED)
				return 0; /* the redundant end packets */
			if (ev->duration > rx->duration)
				rx->duration = ev->duration;
			if (ev->end) {
				rx->state = XB_RTP_DTMF_RX_ENDED;
				out[n++] = report(rx, XB_RTP_DTMF_END);
			}
			return n;
		}
		if (rx->state == XB_RTP_DTMF_RX_ACTIVE)
			out[n++] = report(rx, XB_RTP_DTMF_END); /* its end packets were lost */
	}
	rx->event = ev->event;
	rx->ts = ts;
	rx->duration = ev->duration;
	out[n++] = report(rx, XB_RTP_DTMF_BEGIN);
	if (ev->end) {
		rx->state = XB_RTP_DTMF_RX_ENDED;
		out[n++] = report(rx, XB_RTP_DTMF_END);
	} else {
		rx->state = XB_RTP_DTMF_RX_ACTIVE;
	}
	return n;
}

unsigned xb_rtp_dtmf_rx_timeout(XbRtpDtmfRx *rx, XbRtpDtmfReport *out)
{
	if (rx->state != XB_RTP_DTMF_RX_ACTIVE)
		return 0;
	rx->state = XB_RTP_DTMF_RX_ENDED;
	*out = report(rx, XB_RTP_DTMF_END);
	return 1;
}

int xb_rtp_dtmf_tx_init(XbRtpDtmfTx *tx, uint8_t event, uint16_t duration, uint16_t step,
                        uint8_t volume)
{
	if (volume > 63 || step == 0 || duration == 0)
		return -EINVAL;
	tx->event = event;
	tx->volume = volume;
	tx->duration = duration;
	tx->step = step;
	tx->sent = 0;
	tx->packets = 0;
	tx->ends = 0;
	return 0;
}

int xb_rtp_dtmf_tx_next(XbRtpDtmfTx *tx, uint8_t *buf, size_t cap, bool *marker)
{
	XbRtpDtmf ev = {.event = tx->event, .volume = tx->volume};

	if (tx->ends >= 3)
		return 0;
	if (cap < XB_RTP_DTMF_LEN)
		return -ENOSPC;
	if (tx->sent < tx->duration)
		tx->sent = tx->duration - tx->sent > tx->step ? (uint16_t)(tx->sent + tx->step)
		                                              : tx->duration;
	ev.duration = tx->sent;
	ev.end = tx->sent == tx->duration;
	if (ev.end)
		tx->ends++;
	*marker = tx->packets++ == 0;
	return xb_rtp_dtmf_encode(&ev, buf, cap);
}
