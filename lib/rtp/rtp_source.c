/* rtp_source.c: what a receiver keeps about one RTP source: the extended highest sequence
 * number with its probation and restart rules (RFC 3550 A.1), packets expected and lost
 * (A.3) and the interarrival jitter (A.8). Pure arithmetic on the caller's struct. */
#include <crossbar/rtp.h>

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)

/* A.1 init_seq: counting restarts at seq. */
static void restart(XbRtpSource *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1; /* never equal to a 16-bit number */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

void xb_rtp_source_init(XbRtpSource *s, uint16_t seq)
{
	memset(s, 0, sizeof(*s));
	restart(s, seq);
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = XB_RTP_MIN_SEQUENTIAL;
}

bool xb_rtp_source_update(XbRtpSource *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		/* Packets must come in sequence until the source is believed. */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				restart(s, seq);
				s->received++;
				return true;
			}
		} else {
			s->probation = XB_RTP_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return false;
	}
	if (udelta < XB_RTP_MAX_DROPOUT) {
		/* In order, with a permissible gap. */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - XB_RTP_MAX_MISORDER) {
		/* A very large jump: believed only when the next packet follows it (the
		 * sender restarted); until then the packet is dropped. */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			return false;
		}
		restart(s, seq);
	}
	/* else a duplicate or a packet reordered by less than MAX_MISORDER: counted */
	s->received++;
	return true;
}

uint32_t xb_rtp_source_ext_max(const XbRtpSource *s)
{
	return s->cycles + s->max_seq;
}

uint32_t xb_rtp_source_expected(const XbRtpSource *s)
{
	return xb_rtp_source_ext_max(s) - s->base_seq + 1;
}

int64_t xb_rtp_source_lost(const XbRtpSource *s)
{
	return (int64_t)xb_rtp_source_expected(s) - (int64_t)s->received;
}

void xb_rtp_source_jitter(XbRtpSource *s, uint32_t rtp_ts, uint32_t arrival)
{
	uint32_t transit = arrival - rtp_ts;
	int32_t d;

	if (!s->have_transit) {
		s->have_transit = true;
		s->transit = transit;
		return;
	}
	d = (int32_t)(transit - s->transit);
	s->transit = transit;
	if (d < 0)
		d = d == INT32_MIN ? INT32_MAX : -d;
	/* J += (|D| - J) / 16, in fixed point with J scaled by 16 */
	s->jitter += (uint32_t)d - ((s->jitter + 8) >> 4);
}

uint32_t xb_rtp_source_jitter_ts(const XbRtpSource *s)
{
	return s->jitter >> 4;
}

void xb_rtp_source_report(XbRtpSource *s, XbRtcpReportBlock *rb)
{
	uint32_t expected = xb_rtp_source_expected(s);
	uint32_t expected_interval = expected - s->expected_prior;
	uint32_t received_interval = s->received - s->received_prior;
	int64_t lost = xb_rtp_source_lost(s);
	int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;

	s->expected_prior = expected;
	s->received_prior = s->received;
	if (lost > 0x7FFFFF)
		lost = 0x7FFFFF;
	if (lost < -0x800000)
		lost = -0x800000;
	rb->cumulative_lost = (int32_t)lost;
	if (expected_interval == 0 || lost_interval <= 0)
		rb->fraction_lost = 0;
	else
		rb->fraction_lost = (uint8_t)((lost_interval << 8) / expected_interval);
	rb->ext_highest_seq = xb_rtp_source_ext_max(s);
	rb->jitter = xb_rtp_source_jitter_ts(s);
}
