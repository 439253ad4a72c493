/* sip_channel.c: mod_sip's channel driver "sip", a channel per SipCall (call.c). INVITEs
 * that no module took are checked (RFC 3261 §8.2.3 bodies and Accept, §16.3 item 2
 * Max-Forwards, which a B2BUA forwarding the call applies as a proxy would) and become
 * incoming channels that the core routes through the dialplan. A SipCall's events become
 * its channel's (driver -> core), and the driver's operations become SIP (core -> driver).
 * Nothing here knows of bridges or dialplans: what a channel's events lead to is its
 * controller's business. Outgoing legs are placed by sip_channel_out.c.
 *
 *   SipCall event                  what the channel is told
 *   -----------------------------  ------------------------------------------------------
 *   PROGRESS (a 101-199)           progress_cb (the body when it is SDP, else NULL)
 *   ANSWERED out: the 2xx          answered_cb (its body)
 *            in:  the ACK          its body (the answer to an offer in our 2xx) becomes the
 *                                  remote one; a partner leg's held ACK goes with it
 *   FAILED   a 300-699             hangup_cb (xb_cause_from_sip(status), status)
 *            no answer (Timer B)   hangup_cb (RECOVERY_ON_TIMER_EXPIRE, 408)
 *            a transport error     hangup_cb (DESTINATION_OUT_OF_ORDER)
 *   CANCELLED                      hangup_cb (ORIGINATOR_CANCEL, 487)
 *   ENDED    BYE                   hangup_cb (its Reason's Q.850 cause, else NORMAL_CLEARING)
 *            no ACK, no answer     hangup_cb (RECOVERY_ON_TIMER_EXPIRE, 408)
 *            481, 408              hangup_cb (NORMAL_CLEARING, the status)
 *   REQUEST  re-INVITE/UPDATE+SDP  request_cb (REOFFER); without a body: REFRESH
 *            INFO                  request_cb (INFO); other methods stay call.c's (501)
 *            REFER                 a transfer (sip_transfer.c), answered there
 *   RESPONSE                       the reply function of the request it answers
 *   ACK      of our 2xx to theirs  its body becomes the remote one
 *
 *   operation   SIP
 *   ----------  ------------------------------------------------------------------------
 *   progress    180, or 183 with the local body (early media)
 *   answer      200 with the local body; on an answered outgoing leg whose 2xx carried
 *               the offer, the held ACK with the local body as the answer
 *   hangup      call_hangup with the channel's SIP status, else xb_cause_to_sip(cause): a
 *               final response, CANCEL or BYE; the channel ends at once (a SipCall told
 *               to hang up reports nothing more)
 *   request     REOFFER: re-INVITE, or UPDATE in an early dialog (RFC 3311); REFRESH:
 *               UPDATE without a body; INFO: INFO
 *   send_dtmf   INFO application/dtmf-relay, one digit at a time
 *
 * The method a request goes out with follows the far dialog's state, not the method the
 * other leg received: an UPDATE in a confirmed call reaches the other side as a re-INVITE. */
#include "sip_channel.h"
#include "call.h"

#include <errno.h>
#include <string.h>

SipDriver sip_drv;

/* ---- bodies ---- */

static gboolean is_sdp(const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype ct;

	return h && sip_ctype_parse(&ct, &h->val) == 0 && sip_pl_caseeq(&ct.type, "application") &&
	       sip_pl_caseeq(&ct.subtype, "sdp");
}

/* msg's body into b (its strings then b's: body_clear), FALSE when it has none. */
static gboolean body_of(const struct sip_msg *msg, XbChannelBody *b)
{
	const struct sip_hdr *ct;

	memset(b, 0, sizeof(*b));
	if (!msg || !msg->body.l)
		return FALSE;
	ct = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	b->content_type = ct ? sip_pl_dup(&ct->val) : g_strdup("application/octet-stream");
	b->body = g_malloc(msg->body.l + 1);
	memcpy(b->body, msg->body.p, msg->body.l);
	b->body[msg->body.l] = '\0';
	b->len = msg->body.l;
	return TRUE;
}

/* The digit of an INFO application/dtmf-relay ("Signal=5\r\nDuration=160", as SIP phones
 * send it; "Signal=10"/"11" for * and # too), or 0 when it is not one. */
static char info_digit(const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype ct;

	if (!h || sip_ctype_parse(&ct, &h->val) != 0 || !sip_pl_caseeq(&ct.type, "application") ||
	    (!sip_pl_caseeq(&ct.subtype, "dtmf-relay") && !sip_pl_caseeq(&ct.subtype, "dtmf")))
		return 0;
	g_autofree char *body = g_strndup(msg->body.p, MIN(msg->body.l, 512));
	g_auto(GStrv) lines = g_strsplit_set(body, "\r\n", -1);
	for (guint i = 0; lines[i]; i++) {
		char *eq = strchr(lines[i], '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (g_ascii_strcasecmp(g_strstrip(lines[i]), "Signal"))
			continue;
		const char *v = g_strstrip(eq + 1);
		if (!strcmp(v, "10"))
			return '*';
		if (!strcmp(v, "11"))
			return '#';
		char c = g_ascii_toupper(v[0]);
		if (v[0] && !v[1] &&
		    (g_ascii_isdigit(c) || c == '*' || c == '#' || (c >= 'A' && c <= 'D')))
			return c;
		return 0;
	}
	return 0;
}

static gboolean sdp_of(const struct sip_msg *msg, XbChannelBody *b)
{
	memset(b, 0, sizeof(*b));
	return msg && is_sdp(msg) && body_of(msg, b);
}

static void body_clear(XbChannelBody *b)
{
	g_free(b->content_type);
	g_free(b->body);
	memset(b, 0, sizeof(*b));
}

static SipResponse response_with(unsigned status, const XbChannelBody *b)
{
	gboolean has = b && b->body && b->content_type;

	return (SipResponse){
	    .status = status,
	    .content_type = has ? b->content_type : NULL,
	    .body = has ? b->body : NULL,
	    .body_len = has ? b->len : 0,
	};
}

/* ---- legs ---- */

static void leg_event_cb(SipCall *call, const SipCallEvent *ev, void *user_data);

static void sent_free(gpointer data)
{
	SipSent *s = data;

	g_free(s->method);
	g_free(s);
}

void sip_place_free(SipPlace *p)
{
	if (!p)
		return;
	g_free(p->ruri);
	g_free(p->to_uri);
	g_free(p->from_uri);
	g_free(p->from_display);
	g_free(p->headers);
	sip_credentials_free(p->cred);
	xb_channel_body_free(p->offer);
	g_free(p->tls_host);
	g_free(p);
}

SipLeg *sip_leg_new(XbChannelDirection direction)
{
	SipLeg *leg = g_new0(SipLeg, 1);

	leg->inbound = direction == XB_CHANNEL_INBOUND;
	g_queue_init(&leg->sent);
	leg->held = g_ptr_array_new();
	leg->dtmf = g_string_new(NULL);
	leg->ch = xb_channel_new(&sip_channel_driver, direction, NULL, leg);
	g_hash_table_add(sip_drv.legs, leg);
	return leg;
}

/* free_pvt: the channel is gone. Its SipCall was hung up or ended before. */
static void leg_free(gpointer pvt)
{
	SipLeg *leg = pvt;

	if (sip_drv.legs)
		g_hash_table_remove(sip_drv.legs, leg);
	gateway_lookup_cancel(leg->lookup);
	if (leg->call && sip_drv.sip) {
		sip_drv.sip->call_set_handler(leg->call, NULL, NULL);
		sip_drv.sip->call_unref(leg->call);
	}
	for (guint i = 0; i < leg->held->len && sip_drv.sip; i++)
		sip_drv.sip->req_unref(leg->held->pdata[i]);
	g_ptr_array_unref(leg->held);
	g_queue_clear_full(&leg->sent, sent_free);
	g_string_free(leg->dtmf, TRUE);
	sip_place_free(leg->place);
	if (leg->alternates)
		g_array_unref(leg->alternates);
	g_free(leg);
}

/* The caller holds a reference to the channel of its own: the driver's goes here, and
 * with the channel's last one the leg itself. */
void sip_leg_over(SipLeg *leg, XbCause cause, unsigned sip_status)
{
	XbChannel *ch = leg->ch;

	if (!ch)
		return;
	leg->ch = NULL;
	g_hash_table_remove(sip_drv.legs, leg);
	gateway_lookup_cancel(leg->lookup);
	leg->lookup = NULL;
	g_string_truncate(leg->dtmf, 0);
	/* Requests of ours still waiting hear status 0: the leg ended first. */
	for (SipSent *s; (s = g_queue_pop_head(&leg->sent));) {
		if (s->func)
			s->func(ch, 0, NULL, s->user_data);
		sent_free(s);
	}
	xb_channel_hangup_cb(ch, cause, sip_status);
	xb_channel_unref(ch);
}

int sip_leg_place(SipLeg *leg)
{
	const SipApi *sip = sip_drv.sip;
	SipPlace *p = leg->place;
	g_autoptr(SipPeer) to = sip_flow_to_peer(&p->dest);
	gboolean offer = p->offer && p->offer->body;
	SipRequest req = {
	    .ruri = p->ruri,
	    .to = to,
	    .from_uri = p->from_uri,
	    .from_display = p->from_display,
	    .to_uri = p->to_uri,
	    .headers = p->headers,
	    .content_type = offer ? p->offer->content_type : NULL,
	    .body = offer ? p->offer->body : NULL,
	    .body_len = offer ? p->offer->len : 0,
	    .credentials = p->cred,
	    .max_forwards = p->max_forwards,
	};
	int rc = 0;

	/* A server known by name proves that name over TLS (RFC 5922 §4). */
	if (p->tls_host && p->dest.transport == XB_TRANSPORT_TLS)
		sip->tls_name(to, p->tls_host);
	leg->late_offer = !offer;
	leg->call = sip->call_place(&req, leg_event_cb, leg, &rc);
	if (!leg->call)
		return rc;
	xb_channel_set_var(leg->ch, "sip_call_id", sip->call_id(leg->call));
	if (!leg->alternates || !leg->alternates->len)
		g_clear_pointer(&leg->place, sip_place_free);
	return 0;
}

void sip_leg_set_alternates(SipLeg *leg, const GatewayTargets *targets, const SipFlow *first)
{
	if (!leg->alternates)
		leg->alternates = g_array_new(FALSE, FALSE, sizeof(SipFlow));
	for (int i = gateway_targets_next(targets, 0); i >= 0;
	     i = gateway_targets_next(targets, (guint)i + 1)) {
		const SipFlow *f = &g_array_index(targets->targets, GatewayTarget, i).peer;
		if (!gateway_flow_equal(f, first))
			g_array_append_val(leg->alternates, *f);
	}
}

/* RFC 3263 §4.3: an INVITE that timed out, could not be delivered or got a 503 goes to
 * the next target, as a new call (Call-ID, tags) of the same leg. FALSE when no target is
 * left, or the failure is not one of those. */
static gboolean leg_next_target(SipLeg *leg, const SipCallEvent *ev)
{
	const SipApi *sip = sip_drv.sip;

	if (ev->msg ? ev->status != 503 : ev->error == 0)
		return FALSE;
	while (leg->place && leg->alternates && leg->alternates->len) {
		g_autofree char *was = gateway_peer_text(&leg->place->dest);
		g_autofree char *now = NULL;
		leg->place->dest = g_array_index(leg->alternates, SipFlow, 0);
		g_array_remove_index(leg->alternates, 0);
		now = gateway_peer_text(&leg->place->dest);
		xb_notice("%s: INVITE to %s failed (%s); trying the next target, %s",
		          xb_channel_name(leg->ch), was,
		          ev->msg                   ? "503"
		          : ev->error == -ETIMEDOUT ? "timeout"
		                                    : g_strerror(-ev->error),
		          now);
		if (leg->call) {
			sip->call_set_handler(leg->call, NULL, NULL);
			g_clear_pointer(&leg->call, sip->call_unref);
		}
		if (sip_leg_place(leg) == 0)
			return TRUE;
	}
	return FALSE;
}

/* ---- SipCall events ---- */

/* RFC 3326: the Q.850 cause a BYE carries in Reason, or NONE. */
static XbCause reason_cause(const struct sip_msg *msg)
{
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_REASON); h;
	     h = sip_msg_hdr_next(msg, h)) {
		const char *semi = memchr(h->val.p, ';', h->val.l);
		struct sip_pl proto = {h->val.p, semi ? (size_t)(semi - h->val.p) : h->val.l};
		struct sip_pl params, v;
		guint32 n;

		sip_pl_trim(&proto);
		if (!semi || !sip_pl_caseeq(&proto, "Q.850"))
			continue;
		params = (struct sip_pl){semi + 1, h->val.l - (size_t)(semi + 1 - h->val.p)};
		if (sip_param_get(&params, "cause", &v) && sip_pl_u32(&v, 127, &n) == 0 && n)
			return (XbCause)n;
	}
	return XB_CAUSE_NONE;
}

static void leg_failed(SipLeg *leg, const SipCallEvent *ev)
{
	if (leg_next_target(leg, ev))
		return;
	if (ev->msg) {
		sip_leg_over(leg, xb_cause_from_sip(ev->status), ev->status);
	} else if (ev->error == -ETIMEDOUT) {
		sip_leg_over(leg, XB_CAUSE_RECOVERY_ON_TIMER_EXPIRE, 408);
	} else {
		xb_info("%s: INVITE not delivered: %s", xb_channel_name(leg->ch),
		        g_strerror(-ev->error));
		sip_leg_over(leg, XB_CAUSE_DESTINATION_OUT_OF_ORDER, 0);
	}
}

static void leg_ended(SipLeg *leg, const SipCallEvent *ev)
{
	XbCause cause;

	if (ev->msg && ev->msg->is_request) {
		cause = reason_cause(ev->msg);
		sip_leg_over(leg, cause ? cause : XB_CAUSE_NORMAL_CLEARING, 0);
	} else if (ev->error == -ETIMEDOUT && (!ev->msg || ev->status == 408)) {
		sip_leg_over(leg, XB_CAUSE_RECOVERY_ON_TIMER_EXPIRE, 408);
	} else {
		sip_leg_over(leg, XB_CAUSE_NORMAL_CLEARING, ev->msg ? ev->status : 0);
	}
}

/* The ACK of our 2xx to the INVITE. When our 2xx carried the offer (their INVITE had
 * none, and the other leg's 2xx gave one), the ACK carries the answer, which the other
 * leg's ACK, held by mod_sip until now, takes along. */
static void leg_acked(SipLeg *leg, const struct sip_msg *ack)
{
	XbChannelBody b;
	gboolean has = sdp_of(ack, &b);
	XbChannel *partner = xb_channel_partner(leg->ch);

	if (has)
		xb_channel_set_remote_body(leg->ch, &b);
	if (partner && xb_channel_driver(partner) == &sip_channel_driver) {
		SipLeg *other = xb_channel_pvt(partner);
		if (other->late_offer && other->call) {
			XbChannelBody *answer =
			    has ? xb_channel_media_pass(leg->ch, partner, &b) : NULL;
			sip_drv.sip->call_ack(other->call, answer ? answer->content_type : NULL,
			                      answer ? answer->body : NULL,
			                      answer ? answer->len : 0);
			xb_channel_body_free(answer);
		}
		other->late_offer = FALSE;
	}
	body_clear(&b);
}

static void leg_request(SipLeg *leg, const SipCallEvent *ev)
{
	const struct sip_msg *m = ev->msg;
	XbChannelRequestKind kind;
	XbChannelBody b;

	switch (m->method) {
	case SIP_METHOD_INVITE:
	case SIP_METHOD_UPDATE:
		kind = m->body.l ? XB_CHANNEL_REQ_REOFFER : XB_CHANNEL_REQ_REFRESH;
		if (kind == XB_CHANNEL_REQ_REOFFER && !is_sdp(m)) {
			sip_drv.sip->req_respond(
			    ev->req, &(SipResponse){.status = 415,
			                            .headers = "Accept: application/sdp\r\n"});
			return;
		}
		break;
	case SIP_METHOD_INFO: {
		/* A digit is the call's, not the far end's: the channel hears it (the dialplan,
		 * an application, the bridge that sends it on its own way). */
		char digit = info_digit(m);
		if (digit) {
			sip_drv.sip->req_respond(ev->req, &(SipResponse){.status = 200});
			xb_channel_dtmf_cb(leg->ch, digit);
			return;
		}
		kind = XB_CHANNEL_REQ_INFO;
		break;
	}
	case SIP_METHOD_REFER:
		sip_leg_refer(leg, ev->req, m);
		return;
	default:
		return; /* call.c answers what nobody takes */
	}
	body_of(m, &b);
	g_ptr_array_add(leg->held, sip_drv.sip->req_ref(ev->req));
	xb_channel_request_cb(leg->ch, xb_channel_request_new(ev->req), kind, b.body ? &b : NULL);
	body_clear(&b);
}

static void dtmf_next(SipLeg *leg);

/* The final response to a request of ours: the oldest of its method waiting (or the
 * oldest of all when no message says which). */
static void leg_response(SipLeg *leg, const SipCallEvent *ev)
{
	g_autofree char *method = ev->msg ? sip_pl_dup(&ev->msg->cseq.method_name) : NULL;
	SipSent *s = NULL;
	XbChannelBody b;

	for (GList *l = leg->sent.head; l; l = l->next) {
		SipSent *x = l->data;
		if (!method || !g_ascii_strcasecmp(method, x->method)) {
			s = x;
			g_queue_delete_link(&leg->sent, l);
			break;
		}
	}
	if (!s)
		return;
	if (s->func) {
		body_of(ev->msg, &b);
		s->func(leg->ch, ev->msg ? ev->status : 0, b.body ? &b : NULL, s->user_data);
		body_clear(&b);
	} else {
		dtmf_next(leg);
	}
	sent_free(s);
}

static void leg_event_cb(SipCall *call, const SipCallEvent *ev, void *user_data)
{
	SipLeg *leg = user_data;
	XbChannelBody b = {0};

	if (!leg->ch)
		return;
	g_autoptr(XbChannel) ch = xb_channel_ref(leg->ch);
	switch (ev->type) {
	case SIP_CALL_PROGRESS:
		xb_channel_progress_cb(ch, sdp_of(ev->msg, &b) ? &b : NULL);
		break;
	case SIP_CALL_ANSWERED:
		if (leg->inbound)
			leg_acked(leg, ev->msg);
		else
			xb_channel_answered_cb(ch, body_of(ev->msg, &b) ? &b : NULL);
		break;
	case SIP_CALL_FAILED:
		leg_failed(leg, ev);
		break;
	case SIP_CALL_CANCELLED:
		sip_leg_over(leg, XB_CAUSE_ORIGINATOR_CANCEL, 487);
		break;
	case SIP_CALL_ENDED:
		leg_ended(leg, ev);
		break;
	case SIP_CALL_REQUEST:
		leg_request(leg, ev);
		break;
	case SIP_CALL_RESPONSE:
		leg_response(leg, ev);
		break;
	case SIP_CALL_ACK:
		if (sdp_of(ev->msg, &b))
			xb_channel_set_remote_body(ch, &b);
		break;
	}
	body_clear(&b);
}

/* ---- the driver's operations ---- */

static int drv_progress(XbChannel *ch, gboolean early_media)
{
	SipLeg *leg = xb_channel_pvt(ch);
	SipResponse r =
	    response_with(early_media ? 183 : 180, early_media ? xb_channel_local_body(ch) : NULL);

	if (!leg->inbound || !leg->call)
		return -EINVAL;
	return sip_drv.sip->call_respond(leg->call, &r);
}

static int drv_answer(XbChannel *ch)
{
	SipLeg *leg = xb_channel_pvt(ch);
	const XbChannelBody *local = xb_channel_local_body(ch);
	SipResponse r = response_with(200, local);

	if (!leg->call)
		return -EINVAL;
	if (!leg->inbound) {
		/* Answered already: a 2xx that carried the offer gets the answer in its ACK. */
		if (!leg->late_offer)
			return 0;
		leg->late_offer = FALSE;
		return sip_drv.sip->call_ack(leg->call, local ? local->content_type : NULL,
		                             local ? local->body : NULL, local ? local->len : 0);
	}
	return sip_drv.sip->call_respond(leg->call, &r);
}

/* RFC 3326: why crossbar ends a leg. A ring group's other phones are told the call was
 * answered elsewhere (so that they log no missed call); otherwise the Q.850 cause. */
static char *reason_of(XbCause cause)
{
	if (cause == XB_CAUSE_LOSE_RACE)
		return g_strdup("SIP;cause=200;text=\"Call completed elsewhere\"");
	if (!cause || cause > 127) /* crossbar's own causes have no Q.850 number */
		return NULL;
	return g_strdup_printf("Q.850;cause=%u;text=\"%s\"", (unsigned)cause, xb_cause_name(cause));
}

static void drv_hangup(XbChannel *ch)
{
	SipLeg *leg = xb_channel_pvt(ch);
	unsigned status = xb_channel_sip_status(ch);

	if (!leg->ch)
		return;
	if (!status)
		status = xb_cause_to_sip(xb_channel_cause(ch));
	if (leg->call) {
		g_autofree char *reason = reason_of(xb_channel_cause(ch));
		sip_call_set_reason(leg->call, reason);
		sip_drv.sip->call_hangup(leg->call, status);
	}
	sip_leg_over(leg, XB_CAUSE_NONE, 0);
}

static int drv_request(XbChannel *ch, XbChannelRequestKind kind, const XbChannelBody *body,
                       XbChannelReplyFunc func, gpointer user_data)
{
	SipLeg *leg = xb_channel_pvt(ch);
	gboolean has = body && body->body && body->content_type;
	const char *method;
	int rc;

	if (!leg->ch || !leg->call)
		return -ENOTCONN;
	if (kind == XB_CHANNEL_REQ_INFO)
		method = "INFO";
	else if (kind == XB_CHANNEL_REQ_REOFFER &&
	         strcmp(sip_drv.sip->call_state(leg->call), "early") != 0)
		method = "INVITE";
	else
		method = "UPDATE";
	rc = sip_drv.sip->call_request(leg->call,
	                               &(SipRequest){
	                                   .method = method,
	                                   .content_type = has ? body->content_type : NULL,
	                                   .body = has ? body->body : NULL,
	                                   .body_len = has ? body->len : 0,
	                               });
	if (rc < 0)
		return rc;
	SipSent *s = g_new0(SipSent, 1);
	s->method = g_strdup(method);
	s->func = func;
	s->user_data = user_data;
	g_queue_push_tail(&leg->sent, s);
	return 0;
}

static void drv_request_reply(XbChannel *ch, XbChannelRequest *req, unsigned status,
                              const XbChannelBody *body)
{
	SipLeg *leg = xb_channel_pvt(ch);
	SipServerReq *r = xb_channel_request_data(req);
	guint i;

	if (!g_ptr_array_find(leg->held, r, &i))
		return;
	g_ptr_array_remove_index(leg->held, i);
	if (status < 100 || status > 699)
		status = 500;
	SipResponse resp = response_with(status, body);
	sip_drv.sip->req_respond(r, &resp);
	sip_drv.sip->req_unref(r);
}

/* One INFO per digit (application/dtmf-relay, as SIP phones send it), the next once the
 * last one is answered, so that the digits arrive in order. */
static void dtmf_next(SipLeg *leg)
{
	leg->dtmf_busy = FALSE;
	while (leg->ch && leg->call && leg->dtmf->len) {
		g_autofree char *body =
		    g_strdup_printf("Signal=%c\r\nDuration=160\r\n", leg->dtmf->str[0]);
		g_string_erase(leg->dtmf, 0, 1);
		SipRequest req = {
		    .method = "INFO",
		    .content_type = "application/dtmf-relay",
		    .body = body,
		    .body_len = strlen(body),
		};
		if (sip_drv.sip->call_request(leg->call, &req) < 0)
			continue;
		SipSent *s = g_new0(SipSent, 1);
		s->method = g_strdup("INFO");
		g_queue_push_tail(&leg->sent, s);
		leg->dtmf_busy = TRUE;
		return;
	}
}

static int drv_send_dtmf(XbChannel *ch, const char *digits)
{
	SipLeg *leg = xb_channel_pvt(ch);

	if (!leg->ch || !leg->call)
		return -ENOTCONN;
	for (const char *p = digits; *p; p++) {
		char c = g_ascii_toupper(*p);
		if (g_ascii_isdigit(c) || c == '*' || c == '#' || (c >= 'A' && c <= 'D'))
			g_string_append_c(leg->dtmf, c);
	}
	if (!leg->dtmf_busy)
		dtmf_next(leg);
	return 0;
}

static const char *const prefixes[] = {"sip:", "sips:", "gateway/", "user/", NULL};

const XbChannelDriver sip_channel_driver = {
    .name = "sip",
    .prefixes = prefixes,
    .originate = sip_channel_originate,
    .progress = drv_progress,
    .answer = drv_answer,
    .hangup = drv_hangup,
    .request = drv_request,
    .request_reply = drv_request_reply,
    .send_dtmf = drv_send_dtmf,
    .free_pvt = leg_free,
};

/* ---- incoming calls ---- */

/* The text of a URI user or a display name for a channel variable: unescaped, without
 * control characters (they would reach logs, CLI tables and other requests' headers). */
static char *clean_text(const char *s, size_t len)
{
	GString *out = g_string_sized_new(len);

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
			g_string_append_c(out, s[i]);
	return g_string_free(out, FALSE);
}

static char *uri_user(const struct sip_uri *u)
{
	char buf[256];
	size_t len;

	if (!u->has_user || sip_uri_unescape(&u->user, buf, sizeof(buf), &len) < 0)
		return NULL;
	return clean_text(buf, len);
}

static char *display_name(const struct sip_addr *a)
{
	char buf[256];
	size_t len;

	if (!a->display.l)
		return NULL;
	if (a->display.p[0] != '"')
		return clean_text(a->display.p, a->display.l);
	if (sip_quoted_unescape(&a->display, buf, sizeof(buf), &len) < 0)
		return NULL;
	return clean_text(buf, len);
}

static gboolean q_is_zero(const struct sip_pl *q)
{
	for (size_t i = 0; i < q->l; i++)
		if (q->p[i] != '0' && q->p[i] != '.')
			return FALSE;
	return q->l > 0;
}

/* §20.1: without Accept, application/sdp is what the caller takes; an Accept names the
 * types it takes ("*" ranges allowed), a q of 0 refusing one (RFC 2616 §14.1). */
static gboolean accepts_sdp(const struct sip_msg *m)
{
	if (!sip_msg_hdr_count(m, SIP_HDR_ACCEPT))
		return TRUE;
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_ACCEPT); h;
	     h = sip_msg_hdr_next(m, h)) {
		struct sip_ctype ct;
		struct sip_pl q;
		if (sip_ctype_parse(&ct, &h->val) < 0)
			continue;
		if (!sip_pl_caseeq(&ct.type, "*") && !sip_pl_caseeq(&ct.type, "application"))
			continue;
		if (!sip_pl_caseeq(&ct.subtype, "*") && !sip_pl_caseeq(&ct.subtype, "sdp"))
			continue;
		if (sip_param_get(&ct.params, "q", &q) && q_is_zero(&q))
			continue;
		return TRUE;
	}
	return FALSE;
}

/* RFC 3261 §16.3 item 2, §8.2.3: 0 when the INVITE may be routed, else the status to
 * refuse it with (and extra header lines). */
static unsigned incoming_check(const struct sip_msg *m, const char **extra)
{
	const struct sip_hdr *enc = sip_msg_hdr(m, SIP_HDR_CONTENT_ENCODING);

	*extra = NULL;
	if (m->count[SIP_HDR_MAX_FORWARDS] && m->max_forwards == 0)
		return 483;
	if (m->body.l && enc && !sip_pl_caseeq(&enc->val, "identity")) {
		*extra = "Accept-Encoding: identity\r\n";
		return 415;
	}
	if (m->body.l && !is_sdp(m)) {
		*extra = "Accept: application/sdp\r\n";
		return 415;
	}
	if (!accepts_sdp(m))
		return 406;
	return 0;
}

/* The HA1 of a directory user for the digest check; the user is kept for its context and
 * caller ID. */
static char *ha1_of(const char *username, SipDigestAlg alg, void *user_data)
{
	return sip_digest_directory_ha1(username, alg, &sip_drv.checking);
}

/* Who may call, and in which context: what incoming_authorize found. */
typedef struct {
	char *context;
	char *gateway;   /* the trunk it came from, or NULL */
	XbDirUser *user; /* the directory user who proved itself, or NULL */
} Caller;

static void caller_clear(Caller *c)
{
	g_free(c->context);
	g_free(c->gateway);
	g_clear_pointer(&c->user, xb_dir_user_free);
}

/* Who may call what (toll fraud and ghost calls are the first attacks an office PBX on the
 * internet meets):
 *   a source banned by the shared limiter       403, before anything else is looked at
 *   a trunk, known by its address (a gateway's  routed in the gateway's context ("public"
 *     literal proxy or what its name resolved)  by default), its caller ID as it came
 *   Proxy-Authorization of a directory user     routed in the user's context, with the
 *     that verifies (RFC 3261 §22.3)            user's caller ID and name
 *   anyone else                                 407 with a challenge (failures count in the
 *                                               limiter; the one that bans gets 403), or,
 *                                               with sip.public_for_strangers, "public"
 * 0 with *caller filled, or the status to refuse with and its header lines in *headers.
 * Nothing is made for a refused INVITE: no channel, no event, no call record. */
static unsigned incoming_authorize(SipCall *call, const struct sip_msg *invite, Caller *caller,
                                   char **headers)
{
	const SipPeer *peer = sip_drv.sip->call_peer(call);
	const GatewayDef *gw;
	SipFlow from;
	SipDigestOutcome out;
	socklen_t len;

	*headers = NULL;
	memset(caller, 0, sizeof(*caller));
	if (xb_authlimit_is_banned(sip_peer_sockaddr(peer, &len)))
		return 403;
	sip_flow_from_peer(&from, peer);
	gw = gateways_find_source(sip_drv.gws, &from);
	if (gw) {
		caller->context = g_strdup(gw->context);
		caller->gateway = g_strdup(gw->name);
		return 0;
	}
	if (!sip_msg_hdr(invite, SIP_HDR_PROXY_AUTHORIZATION) &&
	    xb_config_get_bool("sip.public_for_strangers")) {
		caller->context = g_strdup("public");
		return 0;
	}
	const SipDigestRequest dr = {
	    .msg = invite,
	    .peer = peer,
	    .kind = SIP_DIGEST_PROXY,
	    .realm = xb_directory_realm(),
	    .ha1_of = ha1_of,
	};
	if (sip_digest_server_authenticate(sip_drv.digest, &dr, "sip", &out) != 0) {
		unsigned status = out.status;
		*headers = g_steal_pointer(&out.headers);
		sip_digest_outcome_clear(&out);
		g_clear_pointer(&sip_drv.checking, xb_dir_user_free);
		return status;
	}
	sip_digest_outcome_clear(&out);
	caller->user = g_steal_pointer(&sip_drv.checking);
	caller->context = g_strdup(*caller->user->context ? caller->user->context : "default");
	return 0;
}

static void caller_vars(XbChannel *ch, const Caller *c)
{
	xb_channel_set_var(ch, "context", c->context);
	if (c->gateway)
		xb_channel_set_var(ch, "gateway", c->gateway);
	if (c->user) {
		const XbDirUser *u = c->user;
		xb_channel_set_var(ch, "user_ext", u->ext);
		xb_channel_set_var(ch, "caller_id_number", *u->caller_id ? u->caller_id : u->ext);
		xb_channel_set_var(ch, "caller_id_name", *u->name ? u->name : u->ext);
	}
}

/* Caller ID, destination, source, the SIP identity of the call and what is left of its
 * Max-Forwards, as channel variables. */
static void incoming_vars(XbChannel *ch, SipCall *call, const struct sip_msg *m)
{
	const SipPeer *peer = sip_drv.sip->call_peer(call);
	const struct sip_hdr *ua = sip_msg_hdr(m, SIP_HDR_USER_AGENT);
	g_autofree char *number = uri_user(&m->from.puri);
	g_autofree char *name = display_name(&m->from);
	g_autofree char *dest = uri_user(&m->ruri);
	g_autofree char *from = sip_pl_dup(&m->from.uri), *to = sip_pl_dup(&m->to.uri);
	g_autofree char *ruri = sip_pl_dup(&m->ruri_pl), *call_id = sip_pl_dup(&m->call_id);
	g_autofree char *port_text = NULL, *mf = NULL, *agent = NULL;
	char host[INET6_ADDRSTRLEN] = "";
	guint16 port = 0;
	guint hops = m->count[SIP_HDR_MAX_FORWARDS] ? m->max_forwards : 70;

	sip_peer_host(peer, host, sizeof(host), &port);
	port_text = g_strdup_printf("%u", port);
	mf = g_strdup_printf("%u", hops ? hops - 1 : 0);
	agent = ua ? clean_text(ua->val.p, ua->val.l) : NULL;
	xb_channel_set_var(ch, "caller_id_number", number);
	xb_channel_set_var(ch, "caller_id_name", name ? name : number);
	xb_channel_set_var(ch, "destination_number", dest ? dest : "");
	xb_channel_set_var(ch, "network_addr", host);
	xb_channel_set_var(ch, "sip_network_port", port_text);
	xb_channel_set_var(ch, "sip_call_id", call_id);
	xb_channel_set_var(ch, "sip_from_uri", from);
	xb_channel_set_var(ch, "sip_to_uri", to);
	xb_channel_set_var(ch, "sip_req_uri", ruri);
	xb_channel_set_var(ch, "sip_user_agent", agent);
	xb_channel_set_var(ch, "max_forwards", mf);
}

/* An INVITE outside any dialog that no module took (call.c's fallback). */
static gboolean incoming_cb(SipCall *call, void *user_data)
{
	const SipApi *sip = sip_drv.sip;
	const struct sip_msg *m = sip->call_invite(call);
	g_autofree char *auth_headers = NULL;
	const char *extra;
	unsigned status;
	XbChannelBody b;

	if (!m)
		return FALSE;
	status = incoming_check(m, &extra);
	if (status) {
		sip->call_respond(call, &(SipResponse){.status = status, .headers = extra});
		return TRUE;
	}
	Caller caller;
	status = incoming_authorize(call, m, &caller, &auth_headers);
	if (status) {
		sip->call_respond(call, &(SipResponse){.status = status, .headers = auth_headers});
		return TRUE;
	}
	SipLeg *replaced;
	status = sip_replaces_check(call, m, caller.user ? caller.user->ext : NULL, caller.gateway,
	                            &replaced);
	if (status) {
		caller_clear(&caller);
		sip->call_respond(call, &(SipResponse){.status = status});
		return TRUE;
	}
	SipLeg *leg = sip_leg_new(XB_CHANNEL_INBOUND);
	g_autoptr(XbChannel) ch = xb_channel_ref(leg->ch);
	incoming_vars(ch, call, m);
	caller_vars(ch, &caller);
	caller_clear(&caller);
	leg->call = sip->call_ref(call);
	sip->call_set_handler(call, leg_event_cb, leg);
	if (sdp_of(m, &b))
		xb_channel_set_remote_body(ch, &b);
	body_clear(&b);
	if (replaced)
		sip_leg_replace(leg, replaced); /* RFC 3891 §3: not routed */
	else
		xb_channel_route(ch);
	return TRUE;
}

/* ---- life cycle ---- */

/* The challenges offered to INVITEs: sip.digest_algorithms. */
static void digest_config(SipDigestServerConfig *dcfg)
{
	const char *algs = xb_config_get_string("sip.digest_algorithms");

	dcfg->offer_md5 = strstr(algs, "MD5") != NULL;
	dcfg->offer_sha256 = strstr(algs, "SHA-256") != NULL;
	dcfg->md5_first = g_str_has_prefix(algs, "MD5");
}

static void reloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	SipDigestServerConfig dcfg = {.nonce_ttl_s = 300, .nonce_slots = SIP_DIGEST_NONCE_SLOTS};

	digest_config(&dcfg);
	sip_digest_server_configure(sip_drv.digest, &dcfg);
}

gboolean sip_channel_start(XbModule *self, SipUa *ua, Gateways *gws, GError **error)
{
	sip_drv.owner = self;
	sip_drv.sip = xb_api_get(SIP_API_NAME);
	sip_drv.ua = ua;
	sip_drv.gws = gws;
	sip_drv.legs = g_hash_table_new(NULL, NULL);
	SipDigestServerConfig dcfg = {
	    .nonce_ttl_s = 300,
	    .nonce_slots = SIP_DIGEST_NONCE_SLOTS,
	};
	digest_config(&dcfg);
	sip_drv.digest = sip_digest_server_new(&dcfg);
	if (!xb_channel_driver_register(self, &sip_channel_driver)) {
		g_set_error(error, XB_SIP_ERROR, XB_SIP_ERROR_DRIVER,
		            "another channel driver is named \"sip\"");
		g_clear_pointer(&sip_drv.legs, g_hash_table_unref);
		g_clear_pointer(&sip_drv.digest, sip_digest_server_free);
		memset(&sip_drv, 0, sizeof(sip_drv));
		return FALSE;
	}
	sip_ua_set_call_fallback(ua, incoming_cb, NULL);
	xb_event_subscribe(self, XB_EVENT_CONFIG_RELOADED, reloaded_cb, NULL);
	return TRUE;
}

void sip_channel_stop(void)
{
	g_autoptr(GPtrArray) chans = NULL;
	GHashTableIter it;
	SipLeg *leg;

	if (!sip_drv.legs)
		return;
	sip_ua_set_call_fallback(sip_drv.ua, NULL, NULL);
	chans = g_ptr_array_new_with_free_func((GDestroyNotify)xb_channel_unref);
	g_hash_table_iter_init(&it, sip_drv.legs);
	while (g_hash_table_iter_next(&it, (gpointer *)&leg, NULL))
		g_ptr_array_add(chans, xb_channel_ref(leg->ch));
	for (guint i = 0; i < chans->len; i++)
		xb_channel_hangup(chans->pdata[i], XB_CAUSE_SERVICE_UNAVAILABLE, 0);
	/* Any that the core did not hang up through the driver. */
	for (guint i = 0; i < chans->len; i++) {
		leg = xb_channel_pvt(chans->pdata[i]);
		if (!leg->ch)
			continue;
		if (leg->call)
			sip_drv.sip->call_hangup(leg->call, 503);
		sip_leg_over(leg, XB_CAUSE_SERVICE_UNAVAILABLE, 503);
	}
	xb_channel_driver_unregister(&sip_channel_driver);
	g_clear_pointer(&chans, g_ptr_array_unref);
	g_clear_pointer(&sip_drv.legs, g_hash_table_unref);
	g_clear_pointer(&sip_drv.digest, sip_digest_server_free);
	sip_drv.ua = NULL;
	sip_drv.gws = NULL;
}
