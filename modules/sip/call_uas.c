/* call_uas.c: the INVITE sessions we answer (RFC 3261 §13.3): a new INVITE becomes a call,
 * its user answers it, and our responses to the requests of any call (the UAS dialog made
 * by the first one with a To tag, §12.1.1). The 2xx retransmitted until the ACK is call_ack.c's. */
#include "call_private.h"

#include <errno.h>
#include <string.h>

/* Copy the request's Record-Route lines into a response that makes the dialog (§12.1.1). */
static void append_record_route(const struct sip_msg *req, GString *h)
{
	for (const struct sip_hdr *rr = sip_msg_hdr(req, SIP_HDR_RECORD_ROUTE); rr;
	     rr = sip_msg_hdr_next(req, rr))
		g_string_append_printf(h, "Record-Route: %.*s\r\n", (int)rr->val.l, rr->val.p);
}

/* Make the UAS dialog with our first response that carries a To tag (101-299). */
static int uas_dialog(SipCall *c, const struct sip_msg *req)
{
	int rc;

	if (c->dlg)
		return 0;
	rc = sip_dialog_new_uas(&c->dlg, req, c->local_tag, NULL, c);
	if (rc == 0)
		rc = sip_dialog_table_add(c->calls->dialogs, c->dlg);
	return rc;
}

/* Answer a request of the call: the initial INVITE, a re-INVITE, UPDATE, INFO, BYE ... */
int call_uas_respond(SipCall *c, SipServerReq *r, const SipResponse *resp)
{
	SipResponse out_resp = *resp;
	unsigned status = resp->status;
	const struct sip_msg *req = sip_tx_request(sip_req_tx(r));
	gboolean initial = r == c->invite_req;
	gboolean invite, refresh, success = status >= 200 && status < 300;
	g_autoptr(GString) h = g_string_new(NULL);
	int rc = 0;

	if (!req || sip_req_answered(r))
		return -EINVAL;
	invite = req->method == SIP_METHOD_INVITE;
	refresh = invite || req->method == SIP_METHOD_UPDATE;
	if (initial && status > 100 && status < 300) {
		rc = uas_dialog(c, req);
		if (rc < 0) {
			xb_info("call %s: cannot make the dialog: %s", c->call_id, g_strerror(-rc));
			status = sip_dialog_err_status(rc);
			out_resp = (SipResponse){.status = status};
		} else {
			append_record_route(req, h);
			if (c->state == CALL_INCOMING)
				c->state = CALL_EARLY;
		}
	}
	if (status > 100 && status < 300 && refresh && rc == 0)
		call_append_contact(c, h);
	if (out_resp.headers)
		g_string_append(h, out_resp.headers);
	out_resp.headers = h->str;

	GString *out = sip_req_build_response(r, &out_resp, &rc);
	if (!out)
		return rc;
	rc = sip_req_send(r, status, out);
	if (rc < 0 || !invite || status < 200) {
		g_string_free(out, TRUE);
		if (rc < 0 && initial) {
			xb_info("call %s: response not sent: %s", c->call_id, g_strerror(-rc));
			call_end(c);
		}
		return rc;
	}
	if (success) {
		if (initial) {
			sip_dialog_confirm(c->dlg);
			c->state = CALL_CONFIRMED;
		}
		call_ok_arm(c, out, sip_tx_peer(sip_req_tx(r)), req->cseq.num, initial);
		return 0;
	}
	g_string_free(out, TRUE);
	if (initial)
		call_end(c); /* a 300-699: the call and its early dialog are over (§12.3) */
	return 0;
}

int sip_call_req_respond(SipCall *c, SipServerReq *r, const SipResponse *resp)
{
	int rc;

	sip_call_ref(c);
	rc = call_uas_respond(c, r, resp);
	sip_call_unref(c);
	return rc;
}

int sip_call_respond(SipCall *c, const SipResponse *resp)
{
	if (!c->uas || !c->invite_req)
		return -EINVAL;
	if (c->state == CALL_ENDED)
		return -ESHUTDOWN;
	return sip_call_req_respond(c, c->invite_req, resp);
}

void call_incoming(SipCalls *calls, SipTx *tx, const struct sip_msg *req)
{
	SipCall *c = call_new(calls, TRUE);

	c->invite_req = sip_req_new(calls->ua, tx);
	sip_req_set_call(c->invite_req, c);
	c->peer = *sip_tx_peer(tx);
	c->secure = req->ruri.scheme == SIP_SCHEME_SIPS;
	c->call_id = sip_pl_dup(&req->call_id);
	c->local_tag = g_strdup(sip_req_to_tag(c->invite_req));
	c->state = CALL_INCOMING;
	sip_tx_set_cancel_cb(tx, call_cancel_received_cb, c);
	SipCallIncomingFunc func = calls->incoming ? calls->incoming : calls->fallback;
	void *data = calls->incoming ? calls->incoming_data : calls->fallback_data;
	if (!func)
		call_uas_respond(c, c->invite_req,
		                 &(SipResponse){.status = 480, .reason = "No Call Handler"});
	else if (!func(c, data) && !sip_req_answered(c->invite_req))
		call_uas_respond(c, c->invite_req, &(SipResponse){.status = 500});
	sip_call_unref(c);
}
