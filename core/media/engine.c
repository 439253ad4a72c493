/* engine.c: the media workers and the endpoints' life on them. Each worker is a thread with
 * its own epoll poller, a command queue the main loop fills (woken by an eventfd), and the
 * endpoints it polls; it moves packets with recvmmsg/sendmmsg and takes no lock on the way.
 * The main loop learns what happened through one event queue, woken by another eventfd.
 *
 * An endpoint is made and bound on the main loop, handed to its worker (ATTACH) and let go
 * the same way (REMOVE: the worker closes its sockets and posts REMOVED; only then is its
 * memory freed). Joining two endpoints of different workers first moves one (DETACH on its
 * worker, DETACHED back, ATTACH on the other); commands for an endpoint on the move wait in
 * its `held` queue, so each worker sees an endpoint's commands in the order they were
 * given.
 *
 * With ICE on (ice.c), STUN that arrives on an endpoint is answered there and then, and a
 * nominating check sets where its component's packets go; from then on only packets from
 * the nominated address are relayed, and neither latching nor a new description with the
 * same credentials moves it (another nominating check does). */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "media_private.h"

#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define BATCH        32
#define PACKET_MAX   2048
#define SCAN_MS      250
#define LATCH_WINDOW 16 /* packets from the first source that any source may replace */

G_DEFINE_QUARK(xb - media - error - quark, xb_media_error)

typedef enum {
	CMD_ATTACH,
	CMD_DETACH, /* to another worker: `to` */
	CMD_REMOTE, /* addr/len: where to send (len 0: nowhere) */
	CMD_TIMEOUT,
	CMD_DTMF, /* seconds: payload type (or -1), len: clock rate */
	CMD_ICE,  /* ice (NULL: ICE off) */
	CMD_JOIN, /* with `other` */
	CMD_UNJOIN,
	CMD_REMOVE,
	CMD_PLAY, /* bytes: frames of `frame` bytes, payload type pt, id */
	CMD_PLAY_STOP,
	CMD_CODEC,     /* codec (NULL: relayed as it is) */
	CMD_RUN,       /* fn(ep, data) */
	CMD_CALL,      /* call(call_data): a module's task (fdtask.c) */
	CMD_SEND_DTMF, /* bytes: the digits, pt, seconds: clock rate, frame: ms each */
	CMD_STOP,
} CmdType;

typedef struct {
	CmdType type;
	XbMediaEndpoint *ep, *other;
	MediaWorker *to;
	struct sockaddr_storage addr;
	socklen_t len;
	guint seconds;
	GBytes *bytes;
	guint pt, frame;
	guint64 id;
	MediaIce *ice;
	MediaCodec *codec;
	MediaRunFunc fn;
	gpointer data;
	XbMediaCallFunc call;
	gpointer call_data;
} Cmd;

typedef enum {
	EV_TIMEOUT,
	EV_LATCHED,
	EV_NOMINATED,
	EV_DETACHED,
	EV_REMOVED,
	EV_DTMF,
	EV_PLAYED,
	EV_CALL, /* call(call_data) on the main loop */
} EvType;

typedef struct {
	EvType type;
	XbMediaEndpoint *ep;
	MediaWorker *to;
	struct sockaddr_storage from;
	socklen_t len;
	char digit;
	guint duration_ms;
	guint64 id;
	int which; /* NOMINATED: 0 RTP, 1 RTCP */
	XbMediaCallFunc call;
	gpointer call_data;
} Ev;

struct media_worker {
	guint index;
	GThread *thread;
	int epfd, cmdfd;
	int tickfd; /* a 10 ms timer while something plays */
	guint nplaying;
	GAsyncQueue *cmds;
	GPtrArray *eps;                          /* attached endpoints (worker only) */
	guint nendpoints;                        /* main loop's count, for placing new endpoints */
	guint64 rx_packets, tx_packets, dropped; /* atomic */
	/* packet buffers of one batch */
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	struct sockaddr_storage from[BATCH];
	guint8 buf[BATCH][PACKET_MAX];
};

static MediaWorker **workers;
static guint nworkers;
static GAsyncQueue *events;
static int evfd = -1;
static guint ev_source;

/* ---- the worker's side ---- */

static void post(Ev *ev)
{
	guint64 one = 1;

	g_async_queue_push(events, ev);
	if (write(evfd, &one, sizeof one) < 0 && errno != EAGAIN)
		g_warning("media: cannot wake the main loop: %s", g_strerror(errno));
}

static void post_simple(EvType type, XbMediaEndpoint *ep, MediaWorker *to)
{
	Ev *ev = g_new0(Ev, 1);
	ev->type = type;
	ev->ep = ep;
	ev->to = to;
	post(ev);
}

/* A command done, or one that never reached its worker. */
static void cmd_free(gpointer data)
{
	Cmd *c = data;

	if (c->bytes)
		g_bytes_unref(c->bytes);
	if (c->fn && c->data)
		c->fn(NULL, c->data);
	g_free(c->ice);
	xb_media_codec_free(c->codec);
	g_free(c);
}

static void post_source(EvType type, XbMediaEndpoint *ep, int which,
                        const struct sockaddr_storage *from, socklen_t len)
{
	Ev *ev = g_new0(Ev, 1);
	ev->type = type;
	ev->ep = ep;
	ev->which = which;
	ev->from = *from;
	ev->len = len;
	post(ev);
}

static void unjoin(XbMediaEndpoint *ep)
{
	if (ep->peer)
		ep->peer->peer = NULL;
	ep->peer = NULL;
}

static void poll_add(MediaWorker *w, XbMediaEndpoint *ep)
{
	for (int i = 0; i < 2; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = &ep->ref[i]};
		ep->ref[i].ep = ep;
		ep->ref[i].which = i;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, ep->fd[i], &e) < 0)
			g_warning("media: cannot poll port %u: %s", ep->port + i,
			          g_strerror(errno));
	}
	g_ptr_array_add(w->eps, ep);
	ep->attached = w;
	ep->last_rx_us = g_get_monotonic_time();
	ep->timed_out = FALSE;
}

static void tick_arm(MediaWorker *w, gboolean on)
{
	struct itimerspec its = {0};

	if (on) {
		its.it_interval.tv_nsec = 10 * 1000 * 1000;
		its.it_value.tv_nsec = 10 * 1000 * 1000;
	}
	timerfd_settime(w->tickfd, 0, &its, NULL);
}

/* The playback ends (played, stopped, or the endpoint leaves); the next relayed packet
 * takes the stream up where it stopped. */
static void play_end(MediaWorker *w, XbMediaEndpoint *ep, gboolean tell)
{
	if (!ep->play)
		return;
	g_clear_pointer(&ep->play, g_bytes_unref);
	ep->src_valid = FALSE;
	if (tell) {
		Ev *ev = g_new0(Ev, 1);
		ev->type = EV_PLAYED;
		ev->ep = ep;
		ev->id = ep->play_running_id;
		post(ev);
	}
	if (--w->nplaying == 0)
		tick_arm(w, FALSE);
}

static void poll_remove(MediaWorker *w, XbMediaEndpoint *ep)
{
	if (ep->attached != w)
		return;
	for (int i = 0; i < 2; i++)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, ep->fd[i], NULL);
	play_end(w, ep, FALSE);
	xb_media_dtmf_clear(w, ep);
	g_ptr_array_remove_fast(w->eps, ep);
	ep->attached = NULL;
	unjoin(ep);
}

static void run_command(MediaWorker *w, Cmd *c)
{
	XbMediaEndpoint *ep = c->ep;

	switch (c->type) {
	case CMD_ATTACH:
		poll_add(w, ep);
		break;
	case CMD_DETACH:
		poll_remove(w, ep);
		post_simple(EV_DETACHED, ep, c->to);
		break;
	case CMD_REMOTE:
		for (int i = 0; i < 2; i++) {
			if (c->len && ep->nominated[i])
				continue; /* ICE chose the address; the description is its default
				           */
			ep->nominated[i] = FALSE;
			ep->send_len[i] = c->len;
			ep->latched[i] = FALSE;
			if (!c->len)
				continue;
			ep->send_to[i] = c->addr;
			if (i == 1) { /* RTCP: the port above RTP's (RFC 3550 §11) */
				struct sockaddr_storage *s = &ep->send_to[1];
				if (s->ss_family == AF_INET6)
					((struct sockaddr_in6 *)s)->sin6_port =
					    htons(ntohs(((struct sockaddr_in6 *)s)->sin6_port) + 1);
				else
					((struct sockaddr_in *)s)->sin_port =
					    htons(ntohs(((struct sockaddr_in *)s)->sin_port) + 1);
			}
		}
		ep->latch_count = 0;
		break;
	case CMD_DTMF:
		ep->dtmf_pt = (int)c->seconds;
		ep->dtmf_rate = c->len ? c->len : 8000;
		xb_rtp_dtmf_rx_init(&ep->dtmf_rx);
		break;
	case CMD_ICE:
		/* New credentials of ours (on, off, a restart) start the checks afresh. */
		if (!ep->ice || !c->ice || strcmp(ep->ice->ufrag, c->ice->ufrag))
			ep->nominated[0] = ep->nominated[1] = FALSE;
		g_free(ep->ice);
		ep->ice = g_steal_pointer(&c->ice);
		break;
	case CMD_CODEC:
		xb_media_codec_free(ep->codec);
		ep->codec = g_steal_pointer(&c->codec);
		break;
	case CMD_TIMEOUT:
		ep->timeout_s = c->seconds;
		ep->last_rx_us = g_get_monotonic_time();
		ep->timed_out = FALSE;
		break;
	case CMD_JOIN:
		if (ep->attached != w || c->other->attached != w)
			break; /* one was freed meanwhile */
		unjoin(ep);
		unjoin(c->other); /* (the same one for an echo) */
		ep->peer = c->other;
		c->other->peer = ep;
		break;
	case CMD_UNJOIN:
		unjoin(ep);
		break;
	case CMD_REMOVE:
		poll_remove(w, ep);
		xb_media_record_detach(ep);
		post_simple(EV_REMOVED, ep, NULL); /* (its sockets go back to ports.c, to rest) */
		break;
	case CMD_PLAY:
		if (ep->attached != w)
			break; /* (cmd_free lets the frames go) */
		play_end(w, ep, FALSE);
		ep->play = g_steal_pointer(&c->bytes);
		ep->play_off = 0;
		ep->play_pt = c->pt;
		ep->play_frame = c->frame;
		ep->play_loop = c->seconds != 0;
		ep->play_start_us = g_get_monotonic_time();
		ep->play_frames_sent = 0;
		ep->play_running_id = c->id;
		if (w->nplaying++ == 0)
			tick_arm(w, TRUE);
		break;
	case CMD_PLAY_STOP:
		play_end(w, ep, FALSE);
		break;
	case CMD_RUN:
		c->fn(ep, g_steal_pointer(&c->data));
		break;
	case CMD_CALL:
		c->call(c->call_data);
		break;
	case CMD_SEND_DTMF:
		if (ep->attached == w)
			xb_media_dtmf_queue(w, ep, g_bytes_get_data(c->bytes, NULL),
			                    g_bytes_get_size(c->bytes), c->pt, c->seconds,
			                    c->frame);
		break;
	case CMD_STOP:
		break;
	}
}

/* One played frame towards the far end, continuing the endpoint's stream. */
static void play_frame(MediaWorker *w, XbMediaEndpoint *ep, const guint8 *payload, gsize len,
                       gboolean first)
{
	guint8 pkt[12 + 320];

	if (len > sizeof pkt - 12)
		len = sizeof pkt - 12;
	ep->out_seq = ep->out_started ? ep->out_seq + 1 : (guint16)g_random_int();
	ep->out_ts = ep->out_started ? ep->out_ts + 160 : g_random_int();
	ep->out_started = TRUE;
	pkt[0] = 0x80;
	pkt[1] = (first ? 0x80 : 0) | (ep->play_pt & 0x7f);
	pkt[2] = ep->out_seq >> 8;
	pkt[3] = ep->out_seq & 0xff;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = ep->out_ts >> (24 - 8 * i);
		pkt[8 + i] = ep->out_ssrc >> (24 - 8 * i);
	}
	memcpy(pkt + 12, payload, len);
	if (ep->rec)
		xb_media_record_packet(ep->rec, 1, pkt, 12 + len);
	xb_media_send_own(w, ep, pkt, 12 + len);
}

void xb_media_send_own(MediaWorker *w, XbMediaEndpoint *ep, const guint8 *pkt, gsize len)
{
	if (!ep->send_len[0] || sendto(ep->fd[0], pkt, len, MSG_DONTWAIT,
	                               (struct sockaddr *)&ep->send_to[0], ep->send_len[0]) < 0) {
		__atomic_fetch_add(&ep->dropped, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&w->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	ep->out_packets++;
	ep->out_octets += (guint32)(len - XB_RTP_HEADER_LEN);
	ep->out_last_us = g_get_monotonic_time();
	__atomic_fetch_add(&ep->tx_packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->tx_packets, 1, __ATOMIC_RELAXED);
}

void xb_media_worker_tick(MediaWorker *w, gboolean want)
{
	if (want ? w->nplaying++ == 0 : --w->nplaying == 0)
		tick_arm(w, want);
}

/* Every 10 ms: the frames that fell due since each playback began. */
static void play_tick(MediaWorker *w)
{
	gint64 now = g_get_monotonic_time();

	for (guint i = 0; i < w->eps->len; i++) {
		XbMediaEndpoint *ep = w->eps->pdata[i];
		if (ep->dtmf_tx)
			xb_media_dtmf_tick(w, ep, now);
		if (!ep->play || xb_media_dtmf_busy(ep))
			continue;
		gsize size;
		const guint8 *data = g_bytes_get_data(ep->play, &size);
		guint due = (guint)((now - ep->play_start_us) / 20000) + 1;
		while (ep->play && ep->play_frames_sent < due) {
			if (ep->play_off >= size && ep->play_loop && size) {
				ep->play_off = 0; /* a tone's cadence, music on hold */
			} else if (ep->play_off >= size) {
				play_end(w, ep, TRUE);
				break;
			}
			gsize n = MIN(ep->play_frame, size - ep->play_off);
			play_frame(w, ep, data + ep->play_off, n, ep->play_frames_sent == 0);
			ep->play_off += n;
			ep->play_frames_sent++;
		}
	}
}

/* A relayed RTP packet joins the stream towards the far end: the stream's own SSRC, and
 * sequence numbers and timestamps that go on from the last ones sent, whatever the source
 * (another phone, a transfer, a prompt before it). */
static void restamp(XbMediaEndpoint *out, guint8 *p)
{
	guint16 seq = (guint16)(p[2] << 8 | p[3]);
	guint32 ts = (guint32)p[4] << 24 | (guint32)p[5] << 16 | (guint32)p[6] << 8 | p[7];
	guint32 ssrc = (guint32)p[8] << 24 | (guint32)p[9] << 16 | (guint32)p[10] << 8 | p[11];

	if (!out->src_valid || ssrc != out->src_ssrc) {
		out->src_ssrc = ssrc;
		out->src_valid = TRUE;
		out->seq_delta = out->out_started ? (guint16)(out->out_seq + 1 - seq) : 0;
		out->ts_delta = out->out_started ? out->out_ts + 160 - ts : 0;
	}
	guint16 nseq = seq + out->seq_delta;
	guint32 nts = ts + out->ts_delta;
	if (!out->out_started || (gint16)(nseq - out->out_seq) > 0) {
		out->out_seq = nseq;
		out->out_ts = nts;
	}
	out->out_started = TRUE;
	p[2] = nseq >> 8;
	p[3] = nseq & 0xff;
	for (int i = 0; i < 4; i++) {
		p[4 + i] = nts >> (24 - 8 * i);
		p[8 + i] = out->out_ssrc >> (24 - 8 * i);
	}
}

static gboolean same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return FALSE;
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr);
	}
	const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
	return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* The sender's SSRC: RTP's at bytes 8-11, RTCP's (SR, RR, ...) at 4-7. */
static guint32 packet_ssrc(const guint8 *p, int which)
{
	const guint8 *s = p + (which ? 4 : 8);
	return (guint32)s[0] << 24 | (guint32)s[1] << 16 | (guint32)s[2] << 8 | s[3];
}

/* Whether a packet that arrived on the endpoint may go on, learning its source when the
 * stream is young or the source brings the SSRC already learnt. */
static gboolean admit(XbMediaEndpoint *ep, int which, const guint8 *p, unsigned len,
                      const struct sockaddr_storage *from, socklen_t fromlen)
{
	if (len < (which ? 8u : 12u) || p[0] >> 6 != 2)
		return FALSE; /* not RTP/RTCP version 2 */
	if (ep->nominated[which])
		return same_source(&ep->send_to[which], from);
	guint32 ssrc = packet_ssrc(p, which);
	if (ep->latched[which] && same_source(&ep->send_to[which], from)) {
		if (!which && ep->latch_count < LATCH_WINDOW)
			ep->latch_count++;
		return TRUE;
	}
	/* A new source: the first of the stream, or one within its first packets (the phone's
	 * NAT settling), or one that sends the stream already learnt (a NAT rebinding). */
	if (ep->latched[which] && ep->latch_count >= LATCH_WINDOW && ssrc != ep->ssrc)
		return FALSE;
	ep->send_to[which] = *from;
	ep->send_len[which] = fromlen;
	if (!ep->latched[which] && !which)
		post_source(EV_LATCHED, ep, which, from, fromlen);
	ep->latched[which] = TRUE;
	if (!which)
		ep->ssrc = ssrc;
	return TRUE;
}

static void post_dtmf(XbMediaEndpoint *ep, const XbRtpDtmfReport *r)
{
	char digit = xb_rtp_dtmf_char(r->event);

	if (r->kind != XB_RTP_DTMF_END || !digit || digit == '!')
		return;
	Ev *ev = g_new0(Ev, 1);
	ev->type = EV_DTMF;
	ev->ep = ep;
	ev->digit = digit;
	ev->duration_ms = r->duration * 1000u / ep->dtmf_rate;
	post(ev);
}

/* A telephone-event packet of the far end: reported once, as it ends. */
static void dtmf_packet(XbMediaEndpoint *ep, const guint8 *p, unsigned len)
{
	XbRtpHeader h;
	XbRtpDtmf d;
	XbRtpDtmfReport reports[3];

	if (xb_rtp_parse(&h, p, len) < 0 || h.pt != ep->dtmf_pt ||
	    xb_rtp_dtmf_decode(&d, h.payload, h.payload_len) < 0)
		return;
	unsigned n = xb_rtp_dtmf_rx_feed(&ep->dtmf_rx, h.ts, &d, reports);
	for (unsigned i = 0; i < n; i++)
		post_dtmf(ep, &reports[i]);
	ep->dtmf_last_us = g_get_monotonic_time();
}

/* A STUN packet on an endpoint with ICE on: answered; a nominating check makes its source
 * the component's destination, authenticated as it is, whatever latching learnt. */
static void ice_receive(XbMediaEndpoint *ep, int which, const guint8 *p, unsigned len,
                        const struct sockaddr_storage *from, socklen_t fromlen)
{
	switch (xb_media_ice_receive(ep->ice, ep->fd[which], p, len, from, fromlen)) {
	case MEDIA_ICE_NOMINATED:
		if (!ep->nominated[which] || !same_source(&ep->send_to[which], from))
			post_source(EV_NOMINATED, ep, which, from, fromlen);
		ep->send_to[which] = *from;
		ep->send_len[which] = fromlen;
		ep->latched[which] = TRUE;
		ep->nominated[which] = TRUE;
		/* fall through */
	case MEDIA_ICE_ANSWERED:
		__atomic_fetch_add(&ep->ice_checks, 1, __ATOMIC_RELAXED);
		break;
	case MEDIA_ICE_REFUSED:
		__atomic_fetch_add(&ep->ice_refused, 1, __ATOMIC_RELAXED);
		break;
	case MEDIA_ICE_IGNORED:
		break;
	}
}

static void relay(MediaWorker *w, XbMediaEndpoint *ep, int which)
{
	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			w->in_iov[i] = (struct iovec){w->buf[i], PACKET_MAX};
			w->in[i].msg_hdr = (struct msghdr){.msg_name = &w->from[i],
			                                   .msg_namelen = sizeof w->from[i],
			                                   .msg_iov = &w->in_iov[i],
			                                   .msg_iovlen = 1};
		}
		int n = recvmmsg(ep->fd[which], w->in, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		XbMediaEndpoint *peer = ep->peer;
		guint64 bytes = 0, dropped = 0;
		int out = 0, admitted = 0;
		for (int i = 0; i < n; i++) {
			unsigned len = w->in[i].msg_len;
			bytes += len;
			if (ep->ice && xb_media_ice_is_stun(w->buf[i], len)) {
				ice_receive(ep, which, w->buf[i], len, &w->from[i],
				            w->in[i].msg_hdr.msg_namelen);
				continue;
			}
			if (!admit(ep, which, w->buf[i], len, &w->from[i],
			           w->in[i].msg_hdr.msg_namelen)) {
				dropped++;
				continue;
			}
			admitted++;
			if (!which && ep->dtmf_pt >= 0 && len >= 2 &&
			    (w->buf[i][1] & 0x7f) == ep->dtmf_pt) {
				dtmf_packet(ep, w->buf[i], len);
				/* Events go on with the other far end's payload type; to one
				 * that agreed to none, the bridge sends the digit another way. */
				if (peer && peer->dtmf_pt < 0) {
					dropped++;
					continue;
				}
				if (peer)
					w->buf[i][1] =
					    (w->buf[i][1] & 0x80) | (guint8)peer->dtmf_pt;
			}
			if (!which && ep->rec)
				xb_media_record_packet(ep->rec, 0, w->buf[i], len);
			if (!peer || !peer->send_len[which] ||
			    (!which && (peer->play || xb_media_dtmf_busy(peer)))) {
				dropped++; /* (a playback or DTMF goes in its place) */
				continue;
			}
			if (!which && ep->codec && peer->codec &&
			    !(len = xb_media_transcode(ep, peer, w->buf[i], len))) {
				dropped++;
				continue;
			}
			if (!which && peer->rec && peer != ep)
				xb_media_record_packet(peer->rec, 1, w->buf[i], len);
			if (!which)
				restamp(peer, w->buf[i]);
			else
				xb_media_rtcp_rewrite(ep, peer, w->buf[i], len);
			w->out_iov[out] = (struct iovec){w->buf[i], len};
			w->out[out].msg_hdr = (struct msghdr){.msg_name = &peer->send_to[which],
			                                      .msg_namelen = peer->send_len[which],
			                                      .msg_iov = &w->out_iov[out],
			                                      .msg_iovlen = 1};
			out++;
		}
		if (!which && admitted)
			ep->last_rx_us = g_get_monotonic_time();
		int sent = out ? sendmmsg(peer->fd[which], w->out, out, MSG_DONTWAIT) : 0;
		if (sent < 0)
			sent = 0;
		dropped += out - sent;
		__atomic_fetch_add(&ep->rx_packets, n, __ATOMIC_RELAXED);
		__atomic_fetch_add(&ep->rx_bytes, bytes, __ATOMIC_RELAXED);
		__atomic_fetch_add(&ep->dropped, dropped, __ATOMIC_RELAXED);
		__atomic_fetch_add(&w->rx_packets, n, __ATOMIC_RELAXED);
		__atomic_fetch_add(&w->dropped, dropped, __ATOMIC_RELAXED);
		if (sent) {
			__atomic_fetch_add(&peer->tx_packets, sent, __ATOMIC_RELAXED);
			__atomic_fetch_add(&w->tx_packets, sent, __ATOMIC_RELAXED);
		}
		if (n < BATCH)
			return;
	}
}

static void scan_timeouts(MediaWorker *w, gint64 now)
{
	for (guint i = 0; i < w->eps->len; i++) {
		XbMediaEndpoint *ep = w->eps->pdata[i];
		XbRtpDtmfReport r;
		if (ep->rec)
			xb_media_record_scan(ep, now);
		/* An event whose end packets never came ends after a second of silence. */
		if (ep->dtmf_rx.state == XB_RTP_DTMF_RX_ACTIVE &&
		    now - ep->dtmf_last_us > G_USEC_PER_SEC &&
		    xb_rtp_dtmf_rx_timeout(&ep->dtmf_rx, &r))
			post_dtmf(ep, &r);
		xb_media_rtcp_tick(ep, now);
		if (!ep->timeout_s || ep->timed_out ||
		    now - ep->last_rx_us < (gint64)ep->timeout_s * G_USEC_PER_SEC)
			continue;
		ep->timed_out = TRUE;
		post_simple(EV_TIMEOUT, ep, NULL);
	}
}

typedef enum { PRIORITY_NORMAL, PRIORITY_HIGH, PRIORITY_REALTIME } Priority;
static Priority priority;

void xb_media_engine_set_priority(const char *name)
{
	priority = !g_strcmp0(name, "realtime") ? PRIORITY_REALTIME
	           : !g_strcmp0(name, "high")   ? PRIORITY_HIGH
	                                        : PRIORITY_NORMAL;
}

/* A worker's packets wait while other threads run: above them, they wait less. */
static void take_priority(MediaWorker *w)
{
	if (priority == PRIORITY_REALTIME) {
		struct sched_param sp = {.sched_priority = 10};
		int err = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
		if (err)
			g_warning("media: worker %u: no realtime priority (%s): normal priority",
			          w->index, g_strerror(err));
	} else if (priority == PRIORITY_HIGH &&
	           setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), -10) < 0) {
		g_warning("media: worker %u: no high priority (%s): normal priority", w->index,
		          g_strerror(errno));
	}
}

static gpointer worker_main(gpointer data)
{
	MediaWorker *w = data;
	struct epoll_event evs[64];
	gint64 last_scan = g_get_monotonic_time();
	gboolean stop = FALSE;

	take_priority(w);

	while (!stop) {
		int n = epoll_wait(w->epfd, evs, G_N_ELEMENTS(evs), SCAN_MS);
		/* Commands first: a packet that follows a change (a TURN permission, a module's
		 * new task) must find it made. */
		for (int i = 1; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				struct epoll_event t = evs[0];
				evs[0] = evs[i];
				evs[i] = t;
				break;
			}
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &w->tickfd) {
				guint64 v;
				if (read(w->tickfd, &v, sizeof v) < 0 && errno != EAGAIN)
					g_warning("media: worker %u: %s", w->index,
					          g_strerror(errno));
				play_tick(w);
				continue;
			}
			if (evs[i].data.ptr == NULL) {
				guint64 v;
				Cmd *c;
				if (read(w->cmdfd, &v, sizeof v) < 0 && errno != EAGAIN)
					g_warning("media: worker %u: %s", w->index,
					          g_strerror(errno));
				while ((c = g_async_queue_try_pop(w->cmds))) {
					stop |= c->type == CMD_STOP;
					run_command(w, c);
					cmd_free(c);
				}
				continue;
			}
			MediaFdRef *r = evs[i].data.ptr;
			if (r->which < 0) {
				xb_media_task_ready(r); /* a module's descriptor */
				continue;
			}
			if (r->ep->attached == w)
				relay(w, r->ep, r->which);
		}
		xb_media_task_reap(w->index); /* tasks removed in this batch: now done */
		gint64 now = g_get_monotonic_time();
		if (now - last_scan >= SCAN_MS * 1000) {
			scan_timeouts(w, now);
			last_scan = now;
		}
	}
	return NULL;
}

/* ---- the main loop's side ---- */

static void push(MediaWorker *w, Cmd *c)
{
	guint64 one = 1;

	g_async_queue_push(w->cmds, c);
	if (write(w->cmdfd, &one, sizeof one) < 0 && errno != EAGAIN)
		g_warning("media: cannot wake worker %u: %s", w->index, g_strerror(errno));
}

static Cmd *cmd_new(CmdType type, XbMediaEndpoint *ep)
{
	Cmd *c = g_new0(Cmd, 1);
	c->type = type;
	c->ep = ep;
	return c;
}

static void join_now(XbMediaEndpoint *a, XbMediaEndpoint *b);

/* A command for the endpoint's worker, or for later while it moves. */
static void send_cmd(XbMediaEndpoint *ep, Cmd *c)
{
	if (ep->moving) {
		g_queue_push_tail(&ep->held, c);
		return;
	}
	if (c->type == CMD_JOIN) {
		XbMediaEndpoint *other = c->other;
		cmd_free(c);
		join_now(ep, other);
		return;
	}
	if (c->type == CMD_DETACH) {
		ep->moving = TRUE;
		ep->w->nendpoints--;
		c->to->nendpoints++;
	}
	push(ep->w, c);
}

static void join_now(XbMediaEndpoint *a, XbMediaEndpoint *b)
{
	Cmd *c = cmd_new(CMD_JOIN, a);
	c->other = b;
	if (a->moving) {
		g_queue_push_tail(&a->held, c);
	} else if (b->w != a->w) {
		Cmd *d = cmd_new(CMD_DETACH, b);
		d->to = a->w;
		send_cmd(b, d);
		g_queue_push_tail(&b->held, c); /* b is moving now */
		c->ep = b;
		c->other = a;
	} else if (b->moving) {
		g_queue_push_tail(&b->held, c);
		c->ep = b;
		c->other = a;
	} else {
		push(a->w, c);
	}
}

static void on_detached(XbMediaEndpoint *ep, MediaWorker *to)
{
	Cmd *c;

	ep->w = to;
	ep->moving = FALSE;
	push(to, cmd_new(CMD_ATTACH, ep));
	while (!ep->moving && (c = g_queue_pop_head(&ep->held)))
		send_cmd(ep, c);
}

static void endpoint_free_memory(XbMediaEndpoint *ep)
{
	g_queue_clear_full(&ep->held, cmd_free);
	if (ep->play)
		g_bytes_unref(ep->play);
	g_free(ep->dtmf_tx);
	g_free(ep->ice);
	xb_media_codec_free(ep->codec);
	g_free(ep->ice_ufrag);
	g_free(ep->ice_pwd);
	g_free(ep->ice_remote_ufrag);
	g_free(ep->ice_remote_pwd);
	g_free(ep);
}

void xb_media_dispatch_events(void)
{
	Ev *ev;

	if (!events)
		return;
	while ((ev = g_async_queue_try_pop(events))) {
		XbMediaEndpoint *ep = ev->ep;
		switch (ev->type) {
		case EV_DETACHED:
			on_detached(ep, ev->to);
			break;
		case EV_REMOVED:
			xb_media_ports_release(ep->port, ep->fd);
			ep->w->nendpoints--;
			endpoint_free_memory(ep);
			break;
		case EV_TIMEOUT:
			if (!ep->freed && ep->func)
				ep->func(ep, &(XbMediaEvent){.type = XB_MEDIA_EV_TIMEOUT},
				         ep->user_data);
			break;
		case EV_PLAYED:
			if (!ep->freed)
				xb_media_play_ended(ep, ev->id);
			break;
		case EV_DTMF:
			if (!ep->freed && ep->func)
				ep->func(ep,
				         &(XbMediaEvent){.type = XB_MEDIA_EV_DTMF,
				                         .digit = ev->digit,
				                         .duration_ms = ev->duration_ms},
				         ep->user_data);
			break;
		case EV_CALL:
			ev->call(ev->call_data);
			break;
		case EV_LATCHED:
		case EV_NOMINATED:
			if (!ep->freed && ep->func) {
				g_autoptr(GSocketAddress) sa =
				    g_socket_address_new_from_native(&ev->from, ev->len);
				XbMediaEvent e = {.type = ev->type == EV_LATCHED
				                              ? XB_MEDIA_EV_LATCHED
				                              : XB_MEDIA_EV_NOMINATED,
				                  .source = G_IS_INET_SOCKET_ADDRESS(sa)
				                                ? G_INET_SOCKET_ADDRESS(sa)
				                                : NULL,
				                  .component = (guint)ev->which + 1};
				ep->func(ep, &e, ep->user_data);
			}
			break;
		}
		g_free(ev);
	}
}

static gboolean events_cb(gint fd, GIOCondition cond, gpointer user_data)
{
	guint64 v;

	if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
		g_warning("media: event queue: %s", g_strerror(errno));
	xb_media_dispatch_events();
	return G_SOURCE_CONTINUE;
}

gboolean xb_media_engine_start(guint n, guint lo, guint hi, gint64 rest_ms, GError **error)
{
	if (workers)
		return TRUE;
	if (!n)
		n = MAX(1, g_get_num_processors());
	xb_media_ports_init(lo, hi, rest_ms);
	events = g_async_queue_new();
	evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (evfd < 0) {
		g_set_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_SOCKET,
		            "media: cannot make an eventfd: %s", g_strerror(errno));
		return FALSE;
	}
	ev_source = g_unix_fd_add(evfd, G_IO_IN, events_cb, NULL);
	workers = g_new0(MediaWorker *, n);
	for (guint i = 0; i < n; i++) {
		MediaWorker *w = g_new0(MediaWorker, 1);
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
		w->index = i;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->cmdfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		w->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		w->cmds = g_async_queue_new();
		w->eps = g_ptr_array_new();
		workers[nworkers++] = w;
		struct epoll_event t = {.events = EPOLLIN, .data.ptr = &w->tickfd};
		if (w->epfd < 0 || w->cmdfd < 0 || w->tickfd < 0 ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->cmdfd, &e) ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tickfd, &t)) {
			g_set_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_SOCKET,
			            "media: cannot make worker %u's poller: %s", i,
			            g_strerror(errno));
			xb_media_engine_stop();
			return FALSE;
		}
		g_autofree char *name = g_strdup_printf("xb-media-%u", i);
		w->thread = g_thread_new(name, worker_main, w);
	}
	return TRUE;
}

void xb_media_engine_stop(void)
{
	for (guint i = 0; i < nworkers; i++) {
		MediaWorker *w = workers[i];
		if (w->thread) {
			push(w, cmd_new(CMD_STOP, NULL));
			g_thread_join(w->thread);
		}
	}
	/* What the workers posted last (REMOVED frees), then what nobody let go. */
	xb_media_dispatch_events();
	for (guint i = 0; i < nworkers; i++) {
		MediaWorker *w = workers[i];
		Cmd *c;
		while ((c = g_async_queue_try_pop(w->cmds)))
			cmd_free(c);
		for (guint j = 0; j < w->eps->len; j++) {
			XbMediaEndpoint *ep = w->eps->pdata[j];
			xb_media_record_detach(ep);
			close(ep->fd[0]);
			close(ep->fd[1]);
			endpoint_free_memory(ep);
		}
		g_ptr_array_unref(w->eps);
		g_async_queue_unref(w->cmds);
		if (w->epfd >= 0)
			close(w->epfd);
		if (w->cmdfd >= 0)
			close(w->cmdfd);
		if (w->tickfd >= 0)
			close(w->tickfd);
		g_free(w);
	}
	g_clear_pointer(&workers, g_free);
	nworkers = 0;
	if (ev_source)
		g_source_remove(ev_source);
	ev_source = 0;
	if (evfd >= 0)
		close(evfd);
	evfd = -1;
	g_clear_pointer(&events, g_async_queue_unref);
	xb_media_ports_reset();
	xb_media_record_shutdown();
}

void xb_media_engine_call(guint worker, XbMediaCallFunc func, gpointer data)
{
	Cmd *c = cmd_new(CMD_CALL, NULL);
	c->call = func;
	c->call_data = data;
	push(workers[worker % nworkers], c);
}

void xb_media_engine_post(XbMediaCallFunc func, gpointer data)
{
	Ev *ev = g_new0(Ev, 1);
	ev->type = EV_CALL;
	ev->call = func;
	ev->call_data = data;
	post(ev);
}

int xb_media_engine_epfd(guint worker)
{
	return workers[worker % nworkers]->epfd;
}

gboolean xb_media_engine_running(void)
{
	return workers != NULL;
}

guint xb_media_worker_count(void)
{
	return nworkers;
}

void xb_media_worker_stats(guint i, XbMediaWorkerStats *out)
{
	MediaWorker *w = workers[i];

	out->endpoints = w->nendpoints;
	out->rx_packets = __atomic_load_n(&w->rx_packets, __ATOMIC_RELAXED);
	out->tx_packets = __atomic_load_n(&w->tx_packets, __ATOMIC_RELAXED);
	out->dropped = __atomic_load_n(&w->dropped, __ATOMIC_RELAXED);
}

/* ---- the public API ---- */

XbMediaEndpoint *xb_media_endpoint_new(const char *bind_ip, XbMediaEndpoint *near,
                                       XbMediaEventFunc func, gpointer user_data, GError **error)
{
	XbMediaEndpoint *ep;
	MediaWorker *w;
	int fd[2];
	guint16 port;

	if (!workers) {
		g_set_error(error, XB_MEDIA_ERROR, XB_MEDIA_ERROR_STOPPED,
		            "media: the engine is not running");
		return NULL;
	}
	if (!xb_media_ports_open(bind_ip, fd, &port, error))
		return NULL;
	w = near ? near->w : workers[0];
	for (guint i = 1; !near && i < nworkers; i++)
		if (workers[i]->nendpoints < w->nendpoints)
			w = workers[i];
	ep = g_new0(XbMediaEndpoint, 1);
	ep->w = w;
	ep->port = port;
	ep->fd[0] = fd[0];
	ep->fd[1] = fd[1];
	ep->func = func;
	ep->user_data = user_data;
	ep->refs = 1;
	ep->dtmf_pt = -1;
	ep->tx_dtmf_pt = -1;
	ep->out_ssrc = g_random_int();
	g_queue_init(&ep->held);
	w->nendpoints++;
	send_cmd(ep, cmd_new(CMD_ATTACH, ep));
	return ep;
}

XbMediaEndpoint *xb_media_endpoint_ref(XbMediaEndpoint *ep)
{
	ep->refs++;
	return ep;
}

void xb_media_endpoint_unref(XbMediaEndpoint *ep)
{
	if (!ep || ep->freed || --ep->refs > 0)
		return;
	ep->freed = TRUE;
	ep->func = NULL;
	if (!workers)
		return; /* xb_media_engine_stop freed it */
	send_cmd(ep, cmd_new(CMD_REMOVE, ep));
}

guint16 xb_media_endpoint_port(const XbMediaEndpoint *ep)
{
	return ep->port;
}

gboolean xb_media_endpoint_set_remote(XbMediaEndpoint *ep, const char *ip, guint16 port)
{
	Cmd *c = cmd_new(CMD_REMOTE, ep);

	if (port) {
		g_autoptr(GInetAddress) a = ip ? g_inet_address_new_from_string(ip) : NULL;
		g_autoptr(GSocketAddress) sa = a ? g_inet_socket_address_new(a, port) : NULL;
		if (!sa || !g_socket_address_to_native(sa, &c->addr, sizeof c->addr, NULL)) {
			g_free(c);
			return FALSE;
		}
		c->len = g_socket_address_get_native_size(sa);
	}
	send_cmd(ep, c);
	return TRUE;
}

void xb_media_endpoint_set_dtmf(XbMediaEndpoint *ep, int payload_type, guint clock_rate)
{
	Cmd *c = cmd_new(CMD_DTMF, ep);
	c->seconds = (guint)payload_type;
	c->len = clock_rate;
	send_cmd(ep, c);
	ep->tx_dtmf_pt = payload_type;
	ep->tx_dtmf_rate = clock_rate ? clock_rate : 8000;
}

void xb_media_engine_send_dtmf(XbMediaEndpoint *ep, GBytes *digits, guint pt, guint rate, guint ms)
{
	Cmd *c = cmd_new(CMD_SEND_DTMF, ep);
	c->bytes = g_bytes_ref(digits);
	c->pt = pt;
	c->seconds = rate;
	c->frame = ms;
	send_cmd(ep, c);
}

gboolean xb_media_endpoint_set_codec(XbMediaEndpoint *ep, const char *encoding, guint pt)
{
	const XbCodec *codec = xb_codec_find(encoding, 8000);

	/* The same again (an answer after early media, a re-INVITE) keeps the stream's state. */
	if (codec != ep->codec_told || (pt & 0x7f) != ep->codec_told_pt) {
		Cmd *c = cmd_new(CMD_CODEC, ep);
		c->codec = codec ? xb_media_codec_new(codec, pt & 0x7f) : NULL;
		ep->codec_told = codec;
		ep->codec_told_pt = pt & 0x7f;
		send_cmd(ep, c);
	}
	return codec || !encoding;
}

void xb_media_engine_play(XbMediaEndpoint *ep, GBytes *frames, guint pt, guint frame, gboolean loop,
                          guint64 id)
{
	Cmd *c = cmd_new(CMD_PLAY, ep);
	c->seconds = loop;
	c->bytes = g_bytes_ref(frames);
	c->pt = pt;
	c->frame = frame;
	c->id = id;
	send_cmd(ep, c);
}

void xb_media_engine_play_stop(XbMediaEndpoint *ep)
{
	send_cmd(ep, cmd_new(CMD_PLAY_STOP, ep));
}

void xb_media_engine_run(XbMediaEndpoint *ep, MediaRunFunc fn, gpointer data)
{
	Cmd *c = cmd_new(CMD_RUN, ep);
	c->fn = fn;
	c->data = data;
	send_cmd(ep, c);
}

gboolean xb_media_endpoint_set_ice(XbMediaEndpoint *ep, const char *remote_ufrag,
                                   const char *remote_pwd)
{
	gboolean on = remote_ufrag && xb_sdp_ice_ufrag_valid(remote_ufrag) &&
	              xb_sdp_ice_pwd_valid(remote_pwd);

	if (!on) {
		if (!ep->ice_ufrag)
			return remote_ufrag == NULL;
		g_clear_pointer(&ep->ice_ufrag, g_free);
		g_clear_pointer(&ep->ice_pwd, g_free);
		g_clear_pointer(&ep->ice_remote_ufrag, g_free);
		g_clear_pointer(&ep->ice_remote_pwd, g_free);
		send_cmd(ep, cmd_new(CMD_ICE, ep));
		return remote_ufrag == NULL;
	}
	if (ep->ice_ufrag && !strcmp(ep->ice_remote_ufrag, remote_ufrag) &&
	    !strcmp(ep->ice_remote_pwd, remote_pwd))
		return TRUE; /* the same session: our credentials and nominations stay */
	g_free(ep->ice_ufrag);
	g_free(ep->ice_pwd);
	xb_media_ice_credentials(&ep->ice_ufrag, &ep->ice_pwd);
	g_free(ep->ice_remote_ufrag);
	g_free(ep->ice_remote_pwd);
	ep->ice_remote_ufrag = g_strdup(remote_ufrag);
	ep->ice_remote_pwd = g_strdup(remote_pwd);

	Cmd *c = cmd_new(CMD_ICE, ep);
	c->ice = g_new0(MediaIce, 1);
	g_strlcpy(c->ice->ufrag, ep->ice_ufrag, sizeof c->ice->ufrag);
	g_strlcpy(c->ice->pwd, ep->ice_pwd, sizeof c->ice->pwd);
	g_strlcpy(c->ice->remote_ufrag, remote_ufrag, sizeof c->ice->remote_ufrag);
	send_cmd(ep, c);
	return TRUE;
}

const char *xb_media_endpoint_ice_ufrag(const XbMediaEndpoint *ep)
{
	return ep->ice_ufrag;
}

const char *xb_media_endpoint_ice_pwd(const XbMediaEndpoint *ep)
{
	return ep->ice_pwd;
}

void xb_media_endpoint_set_timeout(XbMediaEndpoint *ep, guint seconds)
{
	Cmd *c = cmd_new(CMD_TIMEOUT, ep);
	c->seconds = seconds;
	send_cmd(ep, c);
}

void xb_media_join(XbMediaEndpoint *a, XbMediaEndpoint *b)
{
	if (!a || !b || a->freed || b->freed)
		return;
	Cmd *c = cmd_new(CMD_JOIN, a);
	c->other = b;
	send_cmd(a, c);
}

void xb_media_unjoin(XbMediaEndpoint *ep)
{
	if (ep && !ep->freed)
		send_cmd(ep, cmd_new(CMD_UNJOIN, ep));
}

void xb_media_endpoint_counters(const XbMediaEndpoint *ep, XbMediaCounters *out)
{
	out->rx_packets = __atomic_load_n(&ep->rx_packets, __ATOMIC_RELAXED);
	out->tx_packets = __atomic_load_n(&ep->tx_packets, __ATOMIC_RELAXED);
	out->rx_bytes = __atomic_load_n(&ep->rx_bytes, __ATOMIC_RELAXED);
	out->dropped = __atomic_load_n(&ep->dropped, __ATOMIC_RELAXED);
	out->ice_checks = __atomic_load_n(&ep->ice_checks, __ATOMIC_RELAXED);
	out->ice_refused = __atomic_load_n(&ep->ice_refused, __ATOMIC_RELAXED);
}
