/* rtcp.c: the media workers' RTCP (RFC 3550 §6). For a stream crossbar sends itself (a
 * playback, a tone, ringback, DTMF to an endpoint joined to no other) the worker sends a
 * sender report with an SDES CNAME to the far end's RTCP address: the stream's SSRC, the
 * NTP time and the RTP time of the same instant, and the packets and payload octets
 * crossbar sent in it; the first within about 2.5 s, then every 5 s randomised to 2.5-7.5 s
 * (§6.3.1's rule for a session of two, without the bandwidth share). What comes in on an
 * endpoint that is not joined is dropped: no receiver reports go back.
 *
 * Between two joined endpoints RTCP is relayed, with the SSRCs it names rewritten so that
 * each far end reads about the streams it knows: the sender's own SSRC (SR, RR, SDES, BYE)
 * becomes the restamped stream's that the other far end receives, and a report block about
 * crossbar's stream to the sender names the other far end's own SSRC, with its highest
 * sequence number and an SR's RTP time moved by the restamping's offsets. Counts, loss and
 * jitter pass as the far end measured them. Never allocates; never reads past `len`. */
#include "media_private.h"

#include <errno.h>
#include <netinet/in.h>

#define INTERVAL_US       (5 * G_USEC_PER_SEC)
#define SENDING_WINDOW_US (2 * INTERVAL_US) /* a stream silent longer reports nothing */

static guint32 rd32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void wr32(guint8 *p, guint32 v)
{
	p[0] = (guint8)(v >> 24);
	p[1] = (guint8)(v >> 16);
	p[2] = (guint8)(v >> 8);
	p[3] = (guint8)v;
}

/* RFC 7022's short-term persistent CNAME: one random name for the daemon's life. */
static const char *cname(void)
{
	static char name[32];
	static gsize done;

	if (g_once_init_enter(&done)) {
		g_snprintf(name, sizeof name, "crossbar-%08x%08x", g_random_int(), g_random_int());
		g_once_init_leave(&done, 1);
	}
	return name;
}

/* §6.3.1: the deterministic interval times a random factor of 0.5 to 1.5. */
static gint64 next_interval(gboolean initial)
{
	gint64 t = initial ? INTERVAL_US / 2 : INTERVAL_US;
	return (gint64)(t * g_random_double_range(0.5, 1.5));
}

void xb_media_rtcp_tick(XbMediaEndpoint *ep, gint64 now)
{
	guint8 buf[128];

	if (ep->peer || !ep->out_started || !ep->out_last_us || !ep->send_len[1] ||
	    now - ep->out_last_us > SENDING_WINDOW_US) {
		ep->rtcp_next_us = 0; /* not a sender now: the next stream starts afresh */
		return;
	}
	if (!ep->rtcp_next_us) {
		ep->rtcp_next_us = now + next_interval(TRUE);
		return;
	}
	if (now < ep->rtcp_next_us)
		return;
	ep->rtcp_next_us = now + next_interval(FALSE);

	/* The RTP time of this instant: the last packet's, and the clock since (8 kHz). */
	gint64 since_us = now - ep->out_last_us;
	XbRtcpReport sr = {
	    .ssrc = ep->out_ssrc,
	    .ntp = xb_rtcp_ntp_from_unix_us(g_get_real_time()),
	    .rtp_ts = ep->out_ts + (guint32)(since_us * 8000 / G_USEC_PER_SEC),
	    .packet_count = ep->out_packets,
	    .octet_count = ep->out_octets,
	};
	int n = xb_rtcp_build_sr(&sr, buf, sizeof buf);
	int m = n > 0 ? xb_rtcp_build_sdes_cname(ep->out_ssrc, cname(), buf + n, sizeof buf - n)
	              : -ENOSPC;
	if (m <= 0 || sendto(ep->fd[1], buf, (size_t)(n + m), MSG_DONTWAIT,
	                     (struct sockaddr *)&ep->send_to[1], ep->send_len[1]) < 0) {
		__atomic_fetch_add(&ep->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_fetch_add(&ep->tx_packets, 1, __ATOMIC_RELAXED);
}

/* A report block at p about crossbar's stream to `from`'s far end comes to name the
 * stream `to`'s far end sends. */
static void rewrite_block(const XbMediaEndpoint *from, const XbMediaEndpoint *to, guint8 *p)
{
	if (rd32(p) != from->out_ssrc || !to->latched[0])
		return;
	wr32(p, to->ssrc);
	if (from->src_valid && from->src_ssrc == to->ssrc) {
		guint32 hs = rd32(p + 8);
		wr32(p + 8, (hs & 0xffff0000u) | (guint16)((guint16)hs - from->seq_delta));
	}
}

void xb_media_rtcp_rewrite(const XbMediaEndpoint *from, const XbMediaEndpoint *to, guint8 *p,
                           gsize len)
{
	XbRtcpPacket pkt;
	size_t off = 0;
	guint32 sender = len >= 8 ? rd32(p + 4) : 0;

	while (xb_rtcp_next(p, len, &off, &pkt) == 1) {
		guint8 *d = (guint8 *)pkt.data;
		size_t at = 8;
		switch (pkt.type) {
		case XB_RTCP_SR:
			if (pkt.len < 28)
				break;
			if (to->src_valid && to->src_ssrc == sender)
				wr32(d + 16, rd32(d + 16) + to->ts_delta);
			at = 28;
			/* fall through */
		case XB_RTCP_RR:
			if (pkt.len < 8)
				break;
			wr32(d + 4, to->out_ssrc);
			for (unsigned i = 0; i < pkt.count && at + 24 <= pkt.len; i++, at += 24)
				rewrite_block(from, to, d + at);
			break;
		case XB_RTCP_SDES: {
			XbRtcpSdesIter it;
			XbRtcpSdesItem item;
			size_t chunk = (size_t)-1;
			xb_rtcp_sdes_iter_init(&it, &pkt);
			/* Each chunk's SSRC, once, when it is the sender's. */
			while (xb_rtcp_sdes_next(&pkt, &it, &item) == 1)
				if (it.chunk != chunk && item.ssrc == sender) {
					chunk = it.chunk;
					wr32(d + it.chunk, to->out_ssrc);
				}
			break;
		}
		case XB_RTCP_BYE:
			for (unsigned i = 0; i < pkt.count && 4 + 4 * (size_t)i + 4 <= pkt.len; i++)
				if (rd32(d + 4 + 4 * i) == sender)
					wr32(d + 4 + 4 * i, to->out_ssrc);
			break;
		default:
			break;
		}
	}
}
