/* call_bye.c: ending a session (RFC 3261 §15): BYE sent, and sent again with credentials
 * when a trunk challenges it, and hanging a call up, which says whatever the call's state
 * calls for (a final response, CANCEL, or BYE). */
#include "call_private.h"

#include <errno.h>
#include <string.h>

int call_bye_send(SipCall *c)
{
	g_autofree char *extra = c->reason ? g_strdup_printf("Reason: %s\r\n", c->reason) : NULL;
	int rc = call_dialog_send(c, c->dlg, "BYE", extra, NULL, NULL, 0, NULL, NULL);

	if (rc < 0)
		xb_info("call %s: BYE not sent: %s", c->call_id, g_strerror(-rc));
	return rc;
}

/* A BYE challenged (a trunk's): sent again as it was, CSeq + 1, with the answer. The dialog is
 * over by now (§15.1.1), so the request is copied rather than built from it. */
void call_bye_with_credentials(SipCall *c, Pending *pd, const struct sip_msg *resp)
{
	const struct sip_msg *sent = sip_tx_request(pd->tx);
	SipAuthAnswers *aa = pd->auth ? pd->auth : sip_auth_answers_new(c->cred);
	g_autofree char *ruri = sent ? sip_pl_dup(&sent->ruri_pl) : NULL;
	g_autoptr(GString) h = g_string_new(NULL);

	pd->auth = NULL;
	if (!ruri || !sip_auth_answers_update(aa, resp, "BYE", ruri)) {
		sip_auth_answers_free(aa);
		return;
	}
	for (unsigned i = 0; i < sent->nhdr; i++) {
		const struct sip_hdr *hd = &sent->hdr[i];
		switch (hd->id) {
		case SIP_HDR_VIA:
		case SIP_HDR_CSEQ:
		case SIP_HDR_MAX_FORWARDS:
		case SIP_HDR_CONTENT_LENGTH:
		case SIP_HDR_AUTHORIZATION:
		case SIP_HDR_PROXY_AUTHORIZATION:
		case SIP_HDR_USER_AGENT:
			continue; /* made again */
		default:
			g_string_append_printf(h, "%.*s: %.*s\r\n", (int)hd->name.l, hd->name.p,
			                       (int)hd->val.l, hd->val.p);
		}
	}
	g_string_append_printf(h, "CSeq: %u BYE\r\n", sent->cseq.num + 1);
	sip_auth_answers_append(aa, h);
	Pending *again = call_pending_new(c, "BYE");
	again->auth = aa;
	call_pending_send(c, again, ruri, h->str, NULL, NULL, 0);
}

/* Their BYE (§15.1.2): what is still pending in the dialog gets 487, then the BYE 200. */
void call_bye_received(SipCall *c, SipServerReq *r, const struct sip_msg *req)
{
	if (c->uas && !sip_req_answered(c->invite_req))
		call_uas_respond(c, c->invite_req, &(SipResponse){.status = 487});
	if (c->reinvite_req && !sip_req_answered(c->reinvite_req))
		call_uas_respond(c, c->reinvite_req, &(SipResponse){.status = 487});
	call_end(c);
	/* Told before the 200: sending it frees the BYE (transaction_server.c). */
	call_emit(c, SIP_CALL_ENDED, req, NULL, 0);
	sip_req_respond(r, &(SipResponse){.status = 200});
}

void sip_call_set_reason(SipCall *c, const char *reason)
{
	g_free(c->reason);
	c->reason = reason && *reason ? g_strdup(reason) : NULL;
}

void sip_call_hangup(SipCall *c, unsigned status)
{
	sip_call_ref(c);
	c->hung_up = TRUE;
	if (c->state == CALL_ENDED) {
		/* nothing to say on the wire */
	} else if (c->uas && !sip_req_answered(c->invite_req)) {
		g_autofree char *reason =
		    c->reason ? g_strdup_printf("Reason: %s\r\n", c->reason) : NULL;
		call_uas_respond(
		    c, c->invite_req,
		    &(SipResponse){.status = status >= 300 ? status : 480, .headers = reason});
		call_end(c);
	} else if (c->uas && c->ok && c->ok_kind != CALL_OK_REFRESH) {
		c->ok_kind = CALL_OK_INITIAL_BYE; /* §15: not before the ACK (or its timeout) */
	} else if (c->state == CALL_CONFIRMED) {
		if (c->ack_wait)
			sip_call_ack(c, NULL, NULL, 0); /* the 2xx still gets its ACK */
		call_answer_pending(c);
		call_bye_send(c);
		call_end(c);
	} else {
		if (c->cancel == CALL_CANCEL_NONE)
			c->cancel = CALL_CANCEL_WANTED;
		if (c->provisional)
			call_cancel_send(c); /* else at the first provisional response (§9.1) */
	}
	sip_call_unref(c);
}
