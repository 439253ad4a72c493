/* bridge.c: two answered legs joined. Each leg keeps its own dialog; what one far end does
 * reaches the other through the drivers: a re-offer (hold, unhold, a new codec) is sent on
 * the other leg and its answer returned, an INFO passed on, a digit sent. A session refresh
 * without an offer is answered on its own leg. The bridge ends when either leg hangs up;
 * what becomes of the other is the caller's (`done`). A transfer ends a bridge with both
 * legs up (channel_bridge_split). */
#include "channel_private.h"

#include <errno.h>

typedef struct {
	XbChannel *a, *b; /* references */
	XbBridgeDoneFunc done;
	gpointer user_data;
} Bridge;

/* A request of one leg on its way through the other. */
typedef struct {
	XbChannel *from; /* reference */
	XbChannelRequest *req;
	XbChannelRequestKind kind;
} Passing;

static void passed_cb(XbChannel *to, unsigned status, const XbChannelBody *body, gpointer user_data)
{
	Passing *p = user_data;

	if (xb_channel_state(p->from) < XB_CHANNEL_HANGING_UP) {
		XbChannelBody *answer = status >= 200 && status < 300 && body
		                            ? xb_channel_media_pass(to, p->from, body)
		                            : NULL;
		if (p->kind == XB_CHANNEL_REQ_REOFFER && answer)
			xb_channel_set_local_body(p->from, answer);
		/* The other leg ended first: its request cannot be answered for it. */
		xb_channel_request_reply(p->from, p->req, status ? status : 500, answer);
		xb_channel_body_free(answer);
	} else {
		xb_channel_request_reply(p->from, p->req, 481, NULL);
	}
	xb_channel_unref(p->from);
	g_free(p);
}

static void pass_request(XbChannel *from, XbChannel *to, const XbChannelEvent *ev)
{
	Passing *p;
	int rc;

	if (ev->kind == XB_CHANNEL_REQ_REFRESH) {
		xb_channel_request_reply(from, ev->request, 200, xb_channel_local_body(from));
		return;
	}
	p = g_new0(Passing, 1);
	p->from = xb_channel_ref(from);
	p->req = ev->request;
	p->kind = ev->kind;
	XbChannelBody *body = ev->body ? xb_channel_media_pass(from, to, ev->body) : NULL;
	if (ev->kind == XB_CHANNEL_REQ_REOFFER && ev->body)
		xb_channel_media_hold(from, to, ev->body);
	rc = xb_channel_request(to, ev->kind, body, passed_cb, p);
	xb_channel_body_free(body);
	if (rc < 0) {
		/* §14.1: an offer crossing one in progress is 491; anything else 500. */
		xb_channel_request_reply(from, ev->request, rc == -EBUSY ? 491 : 500, NULL);
		xb_channel_unref(p->from);
		g_free(p);
	}
}

static void bridge_end(Bridge *br, XbChannel *gone)
{
	XbChannel *a = br->a, *b = br->b;

	xb_channel_set_controller(a, NULL, NULL);
	xb_channel_set_controller(b, NULL, NULL);
	a->partner = b->partner = NULL;
	if (a != gone && a->state == XB_CHANNEL_BRIDGED)
		channel_set_state(a, XB_CHANNEL_ANSWERED);
	if (b != gone && b->state == XB_CHANNEL_BRIDGED)
		channel_set_state(b, XB_CHANNEL_ANSWERED);
	if (br->done)
		br->done(a, b, br->user_data);
	xb_channel_unref(a);
	xb_channel_unref(b);
	g_free(br);
}

static void bridge_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Bridge *br = user_data;
	XbChannel *other = ch == br->a ? br->b : br->a;

	switch (ev->type) {
	case XB_CHANNEL_EV_HANGUP:
		bridge_end(br, ch);
		break;
	case XB_CHANNEL_EV_REQUEST:
		pass_request(ch, other, ev);
		break;
	case XB_CHANNEL_EV_DTMF: {
		char digits[2] = {ev->digit, 0};
		/* Events in the anchored RTP reach a far end that agreed to them by the engine's
		 * relay; any other way, the digit is sent on. */
		if (!ev->dtmf_in_media || xb_media_endpoint_dtmf_pt(other->media) < 0)
			xb_channel_send_dtmf(other, digits);
		break;
	}
	case XB_CHANNEL_EV_PROGRESS:
	case XB_CHANNEL_EV_ANSWERED:
		break;
	}
}

gboolean channel_bridge_split(XbChannel *ch)
{
	Bridge *br = ch->ctl == bridge_event ? ch->ctl_data : NULL;
	XbChannel *a, *b;

	if (!br)
		return FALSE;
	a = xb_channel_ref(br->a);
	b = xb_channel_ref(br->b);
	a->split = b->split = TRUE;
	bridge_end(br, NULL);
	a->split = b->split = FALSE;
	xb_channel_unref(a);
	xb_channel_unref(b);
	return TRUE;
}

void xb_channel_bridge(XbChannel *a, XbChannel *b, XbBridgeDoneFunc done, gpointer user_data)
{
	Bridge *br = g_new0(Bridge, 1);

	br->a = xb_channel_ref(a);
	br->b = xb_channel_ref(b);
	br->done = done;
	br->user_data = user_data;
	a->partner = b;
	b->partner = a;
	xb_channel_set_controller(a, bridge_event, br);
	xb_channel_set_controller(b, bridge_event, br);
	xb_channel_set_var(a, "bridge_uuid", b->uuid);
	xb_channel_set_var(b, "bridge_uuid", a->uuid);
	channel_set_state(a, XB_CHANNEL_BRIDGED);
	channel_set_state(b, XB_CHANNEL_BRIDGED);
}
