/* transfer.c: call transfer, the core's part (crossbar/channel.h). A driver that hears a
 * party ask for a transfer (mod_sip: REFER, RFC 3515) calls xb_channel_transfer (blind) or
 * xb_channel_transfer_join (attended) and tells its far end the outcome; the legs, the
 * bridges and the dialplan are this file's. Nothing here knows a protocol.
 *
 *   blind   the transferor's bridge ends with both legs up (channel_bridge_split), the
 *           dialplan lets go of both, and the transferee is routed to the number in the
 *           transferor's context, as a new call of its own (its caller ID kept; a placed leg
 *           presents the number it was called at)
 *             transferee BRIDGED ──> outcome 200
 *             transferee hangs up ──> outcome its SIP status (486 ...), or 487
 *             nothing within REPORT_TIMEOUT_MS ──> outcome 408, the transferee left as is
 *   attended the two transferees are bridged to each other (each gets the other's session
 *           description as a re-offer), the replaced leg is hung up ──> outcome 200
 *   either  the outcome is told (XbTransferFunc, the channel.transfer event) on the next
 *           turn of the loop; the transferor's leg, out of any bridge and dialplan, is hung
 *           up XB_TRANSFER_HANGUP_DELAY_MS later unless its far end ended it first.
 *
 * Limits: a channel is transferred at most XB_TRANSFER_MAX times (a REFER loop between two
 * phones ends there); a number must route in the context before anything changes, so a
 * refused transfer leaves the call as it was. */
#include "channel_private.h"

#include <string.h>

#define REPORT_TIMEOUT_MS (180 * 1000)

typedef struct xb_transfer Transfer;
struct xb_transfer {
	XbChannel *t; /* the transferor (reference) */
	XbChannel *e; /* the transferee (reference) */
	const char *kind;
	char *target;
	XbTransferFunc func;
	gpointer user_data;
	unsigned outcome; /* 0 until known */
	XbTimer *report;  /* tells the outcome; before one, gives up waiting */
	XbTimer *hangup;  /* the transferor's delay */
};

GQuark xb_transfer_error_quark(void)
{
	return g_quark_from_static_string("xb-transfer-error-quark");
}

static void transfer_free(Transfer *tr)
{
	if (tr->t->xfer == tr)
		tr->t->xfer = NULL;
	if (tr->e->xfer == tr)
		tr->e->xfer = NULL;
	xb_timer_clear(&tr->report);
	xb_timer_clear(&tr->hangup);
	xb_channel_unref(tr->t);
	xb_channel_unref(tr->e);
	g_free(tr->target);
	g_free(tr);
}

static gboolean over(const XbChannel *ch)
{
	return ch->state >= XB_CHANNEL_HANGING_UP;
}

static void hangup_cb(XbTimer *timer, gpointer user_data)
{
	Transfer *tr = user_data;

	tr->hangup = NULL;
	/* Its hang-up frees tr (channel_transfer_state). */
	xb_channel_hangup(tr->t, XB_CAUSE_NORMAL_CLEARING, 0);
}

static void publish(const Transfer *tr, unsigned status)
{
	xb_event_publish(XB_EVENT_CHANNEL_TRANSFER, g_variant_new("(ssssu)", tr->kind, tr->t->uuid,
	                                                          tr->e->uuid, tr->target, status));
}

static void set_outcome(Transfer *tr, unsigned status)
{
	tr->outcome = status;
	if (tr->e->xfer == tr)
		tr->e->xfer = NULL;
	xb_info("%s: transfer of %s to %s: %u", xb_channel_name(tr->t), xb_channel_name(tr->e),
	        tr->target, status);
	publish(tr, status);
}

/* The outcome reaches the driver from here, a turn of the loop after it is known, or
 * after REPORT_TIMEOUT_MS without one. */
static void report_cb(XbTimer *timer, gpointer user_data)
{
	Transfer *tr = user_data;

	tr->report = NULL;
	if (!tr->outcome) {
		xb_info("%s: nothing came of the transfer of %s in %d s", xb_channel_name(tr->t),
		        xb_channel_name(tr->e), REPORT_TIMEOUT_MS / 1000);
		set_outcome(tr, 408);
	}
	if (tr->func && !over(tr->t))
		tr->func(tr->t, tr->outcome, tr->user_data);
	if (over(tr->t)) {
		transfer_free(tr);
		return;
	}
	tr->hangup = xb_timer_start(NULL, XB_TRANSFER_HANGUP_DELAY_MS, hangup_cb, tr);
}

static void outcome(Transfer *tr, unsigned status)
{
	if (tr->outcome)
		return;
	set_outcome(tr, status);
	xb_timer_clear(&tr->report);
	if (over(tr->t)) {
		transfer_free(tr); /* nobody is left to tell */
		return;
	}
	tr->report = xb_timer_start(NULL, 0, report_cb, tr);
}

void channel_transfer_state(XbChannel *ch)
{
	Transfer *tr = ch->xfer;

	if (ch == tr->e) {
		if (ch->state == XB_CHANNEL_BRIDGED)
			outcome(tr, 200);
		else if (over(ch))
			outcome(tr, ch->sip_status ? ch->sip_status
			            : ch->cause == XB_CAUSE_NORMAL_CLEARING || !ch->cause
			                ? 487
			                : xb_cause_to_sip(ch->cause));
		return;
	}
	if (ch == tr->t && over(ch)) {
		/* The transferor hung up: nobody is left to tell. The transfer lives on until
		 * the transferee's outcome is known (for the event), not longer. */
		tr->func = NULL;
		ch->xfer = NULL;
		if (tr->outcome)
			transfer_free(tr);
	}
}

static Transfer *transfer_new(XbChannel *t, XbChannel *e, const char *kind, const char *target,
                              XbTransferFunc func, gpointer user_data)
{
	Transfer *tr = g_new0(Transfer, 1);

	tr->t = xb_channel_ref(t);
	tr->e = xb_channel_ref(e);
	tr->kind = kind;
	tr->target = g_strdup(target);
	tr->func = func;
	tr->user_data = user_data;
	return tr;
}

/* What a transfer needs of both calls before anything changes. */
static gboolean can_transfer(XbChannel *t, XbChannel *e, GError **error)
{
	if (!e || t->state != XB_CHANNEL_BRIDGED || over(e)) {
		g_set_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_NOT_BRIDGED,
		            "%s is not in a bridged call", t->name);
		return FALSE;
	}
	if (t->xfer || e->xfer) {
		g_set_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_IN_PROGRESS,
		            "a transfer of %s is under way", e->name);
		return FALSE;
	}
	if (e->transfers >= XB_TRANSFER_MAX) {
		g_set_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_LOOP,
		            "%s was transferred %u times already", e->name, e->transfers);
		return FALSE;
	}
	return TRUE;
}

static gboolean number_valid(const char *n)
{
	size_t len = n ? strlen(n) : 0;

	if (len == 0 || len > XB_TRANSFER_NUMBER_MAX)
		return FALSE;
	for (const char *p = n; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("+*#-_.", *p))
			return FALSE;
	return TRUE;
}

/* The transferee's fields as the dialplan will see them once transferred. */
typedef struct {
	XbChannel *e;
	const char *number, *context;
} Probe;

static const char *probe_lookup(const char *name, gpointer user_data)
{
	const Probe *p = user_data;

	if (!strcmp(name, "destination_number"))
		return p->number;
	if (!strcmp(name, "context"))
		return p->context;
	return xb_channel_get_var(p->e, name);
}

/* The plan has something to do for number in context: a dry hunt. */
static gboolean routes(XbChannel *e, const char *number, const char *context, GError **error)
{
	g_autoptr(XbDialplan) plan = xb_dialplan_current();
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autoptr(XbDialplanResult) r = NULL;
	Probe p = {e, number, context};

	if (plan)
		r = xb_dialplan_hunt(plan, context, probe_lookup, &p, now, NULL);
	if (!r || r->actions->len == 0) {
		g_set_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_NO_ROUTE,
		            "context '%s' has no extension for %s", context, number);
		return FALSE;
	}
	return TRUE;
}

gboolean xb_channel_transfer(XbChannel *t, const char *number, const char *context,
                             XbTransferFunc func, gpointer user_data, GError **error)
{
	XbChannel *e = t->partner;
	Transfer *tr;

	if (!context)
		context = xb_channel_get_var(t, "context");
	if (!number_valid(number)) {
		g_set_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_INVALID,
		            "'%.*s' is not a number to transfer to", XB_TRANSFER_NUMBER_MAX,
		            number ? number : "");
		return FALSE;
	}
	if (!can_transfer(t, e, error))
		return FALSE;
	if (!context || !*context) {
		g_set_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_NO_ROUTE,
		            "%s has no context to transfer in", t->name);
		return FALSE;
	}
	if (!routes(e, number, context, error))
		return FALSE;

	xb_channel_ref(e);
	tr = transfer_new(t, e, "blind", number, func, user_data);
	xb_info("%s: transfers %s to %s in context %s", t->name, e->name, number, context);
	channel_bridge_split(t);
	t->xfer = e->xfer = tr;
	e->transfers++;
	publish(tr, 100);
	/* A placed leg is the party it was called as; its caller ID becomes that number. */
	if (e->direction == XB_CHANNEL_OUTBOUND) {
		const char *as = xb_channel_get_var(e, "destination_number");
		g_autofree char *number_was = g_strdup(as);
		if (number_was && *number_was) {
			xb_channel_set_var(e, "caller_id_number", number_was);
			xb_channel_set_var(e, "caller_id_name", number_was);
		}
	}
	xb_channel_set_var(e, "transferor_uuid", t->uuid);
	xb_channel_set_var(e, "destination_number", number);
	xb_channel_set_var(e, "context", context);
	tr->report = xb_timer_start(NULL, REPORT_TIMEOUT_MS, report_cb, tr);
	xb_channel_route(e); /* may end e at once: the outcome is told later all the same */
	xb_channel_unref(e);
	return TRUE;
}

static void joined_done_cb(XbChannel *a, XbChannel *b, gpointer user_data)
{
	XbChannel *gone, *other;

	if (a->split)
		return; /* transferred again: both legs go on elsewhere */
	gone = over(a) ? a : b;
	other = gone == a ? b : a;
	xb_channel_hangup(other, gone->cause, 0);
}

static void rejoined_cb(XbChannel *ch, unsigned status, const XbChannelBody *body,
                        gpointer user_data)
{
	if (status >= 200 && status < 300 && body)
		xb_channel_set_remote_body(ch, body);
}

/* e learns its new partner's media by a re-offer (media still goes end to end). */
static void reoffer(XbChannel *e, const XbChannelBody *body)
{
	if (!body)
		return;
	xb_channel_set_local_body(e, body);
	if (xb_channel_request(e, XB_CHANNEL_REQ_REOFFER, body, rejoined_cb, NULL) < 0)
		xb_info("%s: no re-offer of the new partner's media", e->name);
}

gboolean xb_channel_transfer_join(XbChannel *t, XbChannel *r, XbTransferFunc func,
                                  gpointer user_data, GError **error)
{
	XbChannel *e1 = t->partner, *e2 = r->partner;
	g_autoptr(XbChannelBody) b1 = NULL;
	g_autoptr(XbChannelBody) b2 = NULL;
	Transfer *tr;

	if (t == r || e1 == r || e2 == t) {
		g_set_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_FORBIDDEN,
		            "%s and %s are one call", t->name, r->name);
		return FALSE;
	}
	if (!can_transfer(t, e1, error) || !can_transfer(r, e2, error))
		return FALSE;

	g_autoptr(XbChannel) keep1 = xb_channel_ref(e1);
	g_autoptr(XbChannel) keep2 = xb_channel_ref(e2);
	g_autoptr(XbChannel) keep_r = xb_channel_ref(r);
	xb_info("%s: joins %s and %s (attended transfer; %s replaced)", t->name, e1->name, e2->name,
	        r->name);
	channel_bridge_split(t);
	channel_bridge_split(r);
	e1->transfers++;
	e2->transfers++;
	b1 = xb_channel_body_copy(e1->remote);
	b2 = xb_channel_body_copy(e2->remote);
	xb_channel_bridge(e1, e2, joined_done_cb, NULL);
	if (e1->media && e2->media && xb_channel_media_anchored(e1, e2)) {
		/* Each phone keeps sending to its own endpoint, now joined to the other's. */
		xb_media_join(e1->media, e2->media);
	} else {
		reoffer(e1, b2);
		reoffer(e2, b1);
	}
	xb_channel_hangup(r, XB_CAUSE_NORMAL_CLEARING, 0);

	tr = transfer_new(t, e1, "attended", e2->uuid, func, user_data);
	t->xfer = tr;
	publish(tr, 100);
	outcome(tr, 200);
	return TRUE;
}

gboolean xb_channel_transfer_replace(XbChannel *in, XbChannel *r, GError **error)
{
	XbChannel *e = r->partner;
	g_autoptr(XbChannelBody) body = NULL;
	Transfer *tr;

	g_return_val_if_fail(in->direction == XB_CHANNEL_INBOUND, FALSE);
	if (in == r || in == e || in->state >= XB_CHANNEL_ANSWERED) {
		g_set_error(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_FORBIDDEN,
		            "%s cannot replace %s", in->name, r->name);
		return FALSE;
	}
	if (!can_transfer(r, e, error))
		return FALSE;

	g_autoptr(XbChannel) keep = xb_channel_ref(e);
	g_autoptr(XbChannel) keep_r = xb_channel_ref(r);
	xb_info("%s: replaces %s in its call with %s", in->name, r->name, e->name);
	channel_bridge_split(r);
	e->transfers++;
	gboolean anchored = e->media && xb_channel_media_anchored(in, e);
	if (anchored) {
		/* The new caller gets its own endpoint, joined to the one e keeps sending to;
		 * the answer is made last, so the codecs it settles are those the endpoints keep.
		 */
		g_autoptr(XbChannelBody) unused = xb_channel_media_pass(in, e, in->remote);
		g_autoptr(XbChannelBody) answer = xb_channel_media_pass(e, in, e->remote);
		xb_channel_set_local_body(in, answer);
	} else {
		xb_channel_set_local_body(in, e->remote);
	}
	if (xb_channel_answer(in) < 0) {
		/* The new caller is gone already: the old leg stays, alone. */
		xb_channel_hangup(in, XB_CAUSE_NORMAL_TEMPORARY_FAILURE, 0);
		xb_channel_hangup(r, XB_CAUSE_NORMAL_TEMPORARY_FAILURE, 0);
		xb_channel_hangup(e, XB_CAUSE_NORMAL_TEMPORARY_FAILURE, 0);
		return TRUE;
	}
	body = xb_channel_body_copy(in->remote);
	xb_channel_bridge(in, e, joined_done_cb, NULL);
	if (!anchored)
		reoffer(e, body);
	xb_channel_hangup(r, XB_CAUSE_NORMAL_CLEARING, 0);
	tr = transfer_new(r, e, "replaces", in->uuid, NULL, NULL);
	publish(tr, 200);
	transfer_free(tr);
	return TRUE;
}
