/* call_ack.c: the 2xx of an INVITE and its ACK, which the UA core handles rather than the
 * transactions (RFC 3261 §13.3.1.4, §13.2.2.4): our 2xx retransmitted until their ACK, our
 * ACK sent again for each copy of their 2xx, and the ACK held for the answer of a late
 * offer (a 2xx that carried the offer). */
#include "call_private.h"

#include <errno.h>
#include <string.h>

static void ok_timer_cb(XbTimer *t, gpointer user_data);

/* §13.3.1.4: the 2xx goes again at T1, 2*T1 ... up to T2 until the ACK; over a reliable
 * transport once is enough, but the ACK is still awaited for 64*T1. */
void call_ok_arm(SipCall *c, GString *resp, const SipFlow *to, guint32 cseq, gboolean initial)
{
	const SipTimers *tm = sip_ua_timers(c->calls->ua);

	if (c->ok)
		g_string_free(c->ok, TRUE);
	c->ok = resp;
	c->ok_peer = *to;
	c->ok_cseq = cseq;
	c->ok_kind = initial ? CALL_OK_INITIAL : CALL_OK_REFRESH;
	c->ok_interval = tm->t1;
	c->ok_elapsed = 0;
	xb_timer_clear(&c->ok_timer);
	c->ok_timer = xb_timer_start(c->calls->owner, tm->t1, ok_timer_cb, c);
}

void call_ok_done(SipCall *c)
{
	xb_timer_clear(&c->ok_timer);
	if (c->ok) {
		g_string_free(c->ok, TRUE);
		c->ok = NULL;
	}
}

static void ok_timer_cb(XbTimer *t, gpointer user_data)
{
	SipCall *c = user_data;
	const SipTimers *tm = sip_ua_timers(c->calls->ua);

	c->ok_timer = NULL;
	c->ok_elapsed += c->ok_interval;
	if (c->ok_elapsed >= 64 * tm->t1) {
		/* No ACK: the dialog is confirmed, but the session ends with a BYE. */
		sip_call_ref(c);
		call_ok_done(c);
		xb_info("call %s: no ACK for our 2xx in 64*T1, sending BYE", c->call_id);
		call_bye_send(c);
		call_emit(c, SIP_CALL_ENDED, NULL, NULL, -ETIMEDOUT);
		call_end(c);
		sip_call_unref(c);
		return;
	}
	if (!sip_flow_reliable(&c->ok_peer))
		sip_ua_send_raw(c->calls->ua, &c->ok_peer, c->ok);
	c->ok_interval = MIN(c->ok_interval * 2, tm->t2);
	c->ok_timer = xb_timer_start(
	    c->calls->owner, MIN(c->ok_interval, 64 * tm->t1 - c->ok_elapsed), ok_timer_cb, c);
}

/* The ACK of our 2xx: retransmission stops; the first one answers the call. */
void call_ack_received(SipCall *c, const struct sip_msg *ack)
{
	CallOk kind = c->ok_kind;

	if (!c->ok || ack->cseq.num != c->ok_cseq)
		return; /* a copy of an ACK we had */
	call_ok_done(c);
	call_emit(c, kind != CALL_OK_REFRESH ? SIP_CALL_ANSWERED : SIP_CALL_ACK, ack, NULL, 0);
	if (kind == CALL_OK_INITIAL_BYE && c->state != CALL_ENDED) {
		call_bye_send(c);
		call_end(c);
	}
}

/* §13.2.2.4: the ACK of a 2xx is built like a request within the dialog, with the INVITE's
 * CSeq number and credentials; it is no transaction, and goes again for each copy of the
 * 2xx. */
int call_ack_send(SipCall *c, SipDialog *dlg, guint32 cseq, GString **keep, const char *ctype,
                  const char *body, size_t len)
{
	g_autoptr(GString) d = g_string_new(NULL);
	g_autofree char *branch = sip_branch_new();
	const char *rest;
	SipFlow dest = c->peer;
	int rc = sip_dialog_request(dlg, "ACK", d);

	if (rc < 0)
		return rc;
	g_autofree char *ruri = call_split_request_line(d, &rest);
	if (!ruri)
		return -EINVAL;
	g_autoptr(GString) h = g_string_new(rest);
	sip_auth_answers_append(c->auth, h);
	SipUaRequest req = {
	    .method = "ACK",
	    .ruri = ruri,
	    .branch = branch,
	    .headers = h->str,
	    .ctype = ctype,
	    .body = body,
	    .body_len = len,
	};
	GString *out = sip_ua_build_request(c->calls->ua, &req, &dest, &rc);
	if (!out)
		return rc;
	rc = sip_ua_send_raw(c->calls->ua, &dest, out);
	if (keep) {
		if (*keep)
			g_string_free(*keep, TRUE);
		*keep = out;
		c->ack_cseq = cseq;
	} else {
		g_string_free(out, TRUE);
	}
	return rc;
}

/* A copy of a 2xx we ACKed gets the same ACK again (§13.2.2.4). */
void call_ack_resend(SipCall *c, guint32 cseq)
{
	if (c->ack && c->ack_cseq == cseq)
		sip_ua_send_raw(c->calls->ua, &c->peer, c->ack);
}

/* RFC 3264 in RFC 3261 §13.2.2.4: a 2xx to an INVITE without a body carries the offer, and
 * the ACK carries the answer: it waits for call_ack. Otherwise the ACK goes at once. */
void call_ack_or_hold(SipCall *c, Pending *pd, const struct sip_msg *resp)
{
	gboolean offerless = pd->initial ? c->body == NULL : pd->body == NULL;

	if (offerless && resp->body.l > 0) {
		pd->ack_held = TRUE;
		c->ack_wait = pd;
		c->ack_wait_cseq = resp->cseq.num;
		return;
	}
	pd->acked = TRUE;
	call_ack_send(c, c->dlg, resp->cseq.num, &c->ack, NULL, NULL, 0);
}

int sip_call_ack(SipCall *c, const char *ctype, const char *body, size_t len)
{
	Pending *pd = c->ack_wait;

	if (!pd || !c->dlg)
		return -EINVAL;
	c->ack_wait = NULL;
	pd->ack_held = FALSE;
	pd->acked = TRUE;
	return call_ack_send(c, c->dlg, c->ack_wait_cseq, &c->ack, ctype, body, len);
}
