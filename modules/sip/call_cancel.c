/* call_cancel.c: CANCEL (RFC 3261 §9): ours of the INVITE we placed, sent once a provisional
 * response came and given up after 64*T1, and theirs of an INVITE or re-INVITE we have not
 * answered (the transaction layer answers the CANCEL itself). */
#include "call_private.h"

#include <errno.h>
#include <string.h>

/* §9.2: the transaction layer answered the CANCEL with 200; the INVITE gets 487. */
void call_cancel_received_cb(SipTx *tx, void *user_data)
{
	SipCall *c = user_data;

	sip_call_ref(c);
	if (c->state != CALL_ENDED) {
		call_uas_respond(c, c->invite_req, &(SipResponse){.status = 487});
		call_emit(c, SIP_CALL_CANCELLED, NULL, NULL, 0);
		call_end(c);
	}
	sip_call_unref(c);
}

/* A CANCEL of their re-INVITE (§9.2): 487, and the session stays as it was. */
void call_reinvite_cancel_cb(SipTx *tx, void *user_data)
{
	SipCall *c = user_data;

	if (c->reinvite_req && sip_req_tx(c->reinvite_req) == tx)
		call_uas_respond(c, c->reinvite_req, &(SipResponse){.status = 487});
}

static void cancel_timeout_cb(XbTimer *t, gpointer user_data);

/* §9.1: CANCEL copies the INVITE's Request-URI, top Via (its branch), From, To, Call-ID,
 * CSeq number and Route, and goes where the INVITE went. */
void call_cancel_send(SipCall *c)
{
	const struct sip_msg *inv = c->invite ? sip_tx_request(c->invite->tx) : NULL;
	static const enum sip_hdrid copied[] = {SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID};
	const SipTimers *tm = sip_ua_timers(c->calls->ua);
	g_autoptr(GString) out = g_string_new(NULL);
	struct sip_mb mb;

	if (!inv || c->cancel == CALL_CANCEL_SENT)
		return;
	c->cancel = CALL_CANCEL_SENT;
	sip_mb_init_gstring(&mb, out);
	sip_mb_request_line(&mb, "CANCEL", c->ruri);
	sip_mb_header_pl(&mb, "Via", &sip_msg_hdr(inv, SIP_HDR_VIA)->val);
	sip_mb_header(&mb, "Max-Forwards", "70");
	for (size_t i = 0; i < G_N_ELEMENTS(copied); i++)
		sip_mb_header_pl(&mb, sip_hdr_name(copied[i]), &sip_msg_hdr(inv, copied[i])->val);
	sip_mb_headerf(&mb, "CSeq", "%u CANCEL", inv->cseq.num);
	for (const struct sip_hdr *r = sip_msg_hdr(inv, SIP_HDR_ROUTE); r;
	     r = sip_msg_hdr_next(inv, r))
		sip_mb_header_pl(&mb, "Route", &r->val);
	if (c->reason)
		sip_mb_header(&mb, "Reason", c->reason);
	if (sip_mb_end(&mb) < 0)
		return;
	Pending *pd = call_pending_new(c, "CANCEL");
	pd->tx =
	    sip_ua_client_tx(c->calls->ua, out, sip_tx_peer(c->invite->tx), call_pending_cb, pd);
	if (!pd->tx) {
		call_pending_free(pd);
		return;
	}
	g_ptr_array_add(c->pending, pd);
	/* The INVITE may never get its final response (§9.1: give up after 64*T1). */
	xb_timer_clear(&c->cancel_timer);
	c->cancel_timer = xb_timer_start(c->calls->owner, 64 * tm->t1, cancel_timeout_cb, c);
}

static void cancel_timeout_cb(XbTimer *t, gpointer user_data)
{
	SipCall *c = user_data;

	c->cancel_timer = NULL;
	sip_call_ref(c);
	if (c->invite)
		sip_tx_terminate(c->invite->tx);
	call_end(c);
	sip_call_unref(c);
}
