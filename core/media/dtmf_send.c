/* dtmf_send.c: DTMF digits crossbar sends to an endpoint's far end as RFC 4733
 * telephone-events, in the stream the endpoint already sends (its SSRC, and sequence numbers
 * and timestamps that go on from the audio before). The main loop queues digits
 * (xb_media_send_dtmf); the worker sends one event at a time on its 10 ms tick: a packet
 * every 20 ms (lib/rtp's XbRtpDtmfTx makes them: marker on the first, growing durations,
 * the end packet three times), then a gap before the next digit. While an event is being
 * sent the relayed or played audio waits (RFC 4733 §2.5.1.5 lets a sender drop it); a
 * playback resumes where it was. Digits beyond what the queue holds are dropped, and so are
 * those still queued when the endpoint moves to another worker (a join across workers). */
#include "media_private.h"

#include <string.h>

#define QUEUE_MAX   64  /* digits waiting on one endpoint */
#define STEP_MS     20  /* between an event's packets */
#define GAP_MS      100 /* between two events */
#define DEFAULT_MS  100 /* an event's length when none is given */
#define MIN_MS      40
#define MAX_MS      5000 /* longer ones would need RFC 4733 §2.5.1.3's segments */
#define VOLUME_DBM0 10   /* -10 dBm0, what phones send */

struct media_dtmf_tx {
	char queue[QUEUE_MAX];
	guint head, len;
	guint pt, rate, ms;
	gboolean active; /* an event is being sent */
	XbRtpDtmfTx ev;
	guint32 ts;        /* the event's timestamp */
	gint64 next_us;    /* its next packet, or when the next event may start */
	gint64 started_us; /* when it started: a playback waits that long */
};

void xb_media_dtmf_queue(MediaWorker *w, XbMediaEndpoint *ep, const char *digits, gsize len,
                         guint pt, guint rate, guint ms)
{
	struct media_dtmf_tx *t = ep->dtmf_tx;

	if (!t) {
		t = ep->dtmf_tx = g_new0(struct media_dtmf_tx, 1);
		t->next_us = g_get_monotonic_time();
		xb_media_worker_tick(w, TRUE);
	}
	t->pt = pt & 0x7f;
	t->rate = rate ? rate : 8000;
	t->ms = ms;
	for (gsize i = 0; i < len && t->len < QUEUE_MAX; i++)
		t->queue[(t->head + t->len++) % QUEUE_MAX] = digits[i];
}

gboolean xb_media_dtmf_busy(const XbMediaEndpoint *ep)
{
	return ep->dtmf_tx && ep->dtmf_tx->active;
}

void xb_media_dtmf_clear(MediaWorker *w, XbMediaEndpoint *ep)
{
	if (!ep->dtmf_tx)
		return;
	g_clear_pointer(&ep->dtmf_tx, g_free);
	xb_media_worker_tick(w, FALSE);
}

/* The next digit's event begins: its timestamp is where the stream's clock is now. */
static void event_start(XbMediaEndpoint *ep, struct media_dtmf_tx *t, gint64 now)
{
	char c = t->queue[t->head];
	guint units = t->rate / 1000;

	t->head = (t->head + 1) % QUEUE_MAX;
	t->len--;
	if (!ep->out_started) {
		ep->out_seq = (guint16)g_random_int();
		ep->out_ts = g_random_int();
		ep->out_started = TRUE;
		t->ts = ep->out_ts;
	} else {
		/* Silence since the last packet still moves the clock (in whole 20 ms frames). */
		gint64 idle_ms = ep->out_last_us ? (now - ep->out_last_us) / 1000 : 0;
		guint frames = idle_ms > STEP_MS ? (guint)MIN(idle_ms, 60000) / STEP_MS : 1;
		t->ts = ep->out_ts + frames * STEP_MS * units;
	}
	xb_rtp_dtmf_tx_init(&t->ev, (uint8_t)xb_rtp_dtmf_event(c),
	                    (uint16_t)MIN(t->ms * units, 65535u), (uint16_t)(STEP_MS * units),
	                    VOLUME_DBM0);
	t->active = TRUE;
	t->started_us = now;
	t->next_us = now;
}

/* The event's packets are all sent: the stream's clock stands at its end, relayed audio
 * takes the stream up from there and a playback goes on where it paused. */
static void event_end(XbMediaEndpoint *ep, struct media_dtmf_tx *t, gint64 now)
{
	guint step = STEP_MS * (t->rate / 1000);

	t->active = FALSE;
	/* (as if the last audio frame went just before the event's end, when it would have) */
	ep->out_ts = t->ts + t->ev.duration - step;
	ep->out_last_us = t->started_us + (gint64)(t->ev.duration - step) * 1000 / (t->rate / 1000);
	ep->src_valid = FALSE;
	if (ep->play)
		ep->play_start_us += now - t->started_us;
	t->next_us = now + GAP_MS * 1000;
}

void xb_media_dtmf_tick(MediaWorker *w, XbMediaEndpoint *ep, gint64 now)
{
	struct media_dtmf_tx *t = ep->dtmf_tx;
	guint8 pkt[XB_RTP_HEADER_LEN + XB_RTP_DTMF_LEN];

	while (t && now >= t->next_us) {
		if (!t->active) {
			if (!t->len) {
				xb_media_dtmf_clear(w, ep);
				return;
			}
			event_start(ep, t, now);
		}
		bool marker;
		int n =
		    xb_rtp_dtmf_tx_next(&t->ev, pkt + XB_RTP_HEADER_LEN, XB_RTP_DTMF_LEN, &marker);
		if (n <= 0) {
			event_end(ep, t, now);
			continue;
		}
		XbRtpHeader h = {
		    .marker = marker,
		    .pt = (uint8_t)t->pt,
		    .seq = ++ep->out_seq,
		    .ts = t->ts,
		    .ssrc = ep->out_ssrc,
		};
		n = xb_rtp_build(&h, NULL, XB_RTP_DTMF_LEN, pkt, sizeof pkt);
		if (n > 0)
			xb_media_send_own(w, ep, pkt, (gsize)n);
		t->next_us += STEP_MS * 1000;
	}
}

/* ---- the main loop's side ---- */

gboolean xb_media_send_dtmf(XbMediaEndpoint *ep, const char *digits, guint duration_ms, int pt)
{
	char keep[QUEUE_MAX];
	gsize n = 0;

	if (!ep || ep->freed)
		return FALSE;
	if (pt < 0)
		pt = ep->tx_dtmf_pt;
	if (pt < 0 || pt > 127)
		return FALSE;
	for (const char *p = digits; *p && n < sizeof keep; p++)
		if (xb_rtp_dtmf_event(*p) >= 0 && xb_rtp_dtmf_event(*p) < 16)
			keep[n++] = *p;
	if (!n)
		return FALSE;
	if (!duration_ms)
		duration_ms = DEFAULT_MS;
	duration_ms = CLAMP(duration_ms, MIN_MS, MAX_MS);
	g_autoptr(GBytes) bytes = g_bytes_new(keep, n);
	xb_media_engine_send_dtmf(ep, bytes, (guint)pt, ep->tx_dtmf_rate, duration_ms);
	return TRUE;
}

int xb_media_endpoint_dtmf_pt(const XbMediaEndpoint *ep)
{
	return ep && !ep->freed ? ep->tx_dtmf_pt : -1;
}
