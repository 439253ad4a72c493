/* call_request.c: the client transactions of a call (its INVITE rounds, requests within the
 * dialog, CANCEL) and the requests within a dialog, both ways (RFC 3261 §12.2, §14; RFC 3311):
 * re-INVITE and UPDATE with their glare rules, INFO, OPTIONS. BYE is call_bye.c's. */
#include "call_private.h"

#include <errno.h>
#include <string.h>

void call_pending_free(gpointer data)
{
	Pending *pd = data;

	if (pd->tx) {
		sip_tx_detach(pd->tx);
		sip_tx_unref(pd->tx);
	}
	g_free(pd->method);
	g_free(pd->extra);
	g_free(pd->ctype);
	g_free(pd->body);
	sip_auth_answers_free(pd->auth);
	g_free(pd);
}

Pending *call_pending_new(SipCall *c, const char *method)
{
	Pending *pd = g_new0(Pending, 1);

	pd->call = c;
	pd->method = g_strdup(method);
	return pd;
}

static void pending_remove(SipCall *c, Pending *pd)
{
	if (c->invite == pd)
		c->invite = NULL;
	g_ptr_array_remove(c->pending, pd);
}

/* re-INVITEs long answered (their transactions over after Timer M) go, so that a long call
 * refreshed again and again keeps a bounded list. The initial INVITE stays: it is the call's. */
static void pending_prune(SipCall *c)
{
	for (guint i = c->pending->len; i-- > 0;) {
		Pending *pd = c->pending->pdata[i];
		if (!pd->initial && pd->acked && pd != c->ack_wait && sip_tx_is_terminated(pd->tx))
			g_ptr_array_remove_index(c->pending, i);
	}
}

/* Send req (complete but for Via, built by sip_ua_build_request) as a client transaction
 * of the call, to its flow. */
int call_pending_send(SipCall *c, Pending *pd, const char *ruri, const char *headers,
                      const char *ctype, const char *body, size_t len)
{
	g_autofree char *branch = sip_branch_new();
	SipFlow dest = c->peer;
	int rc = 0;
	SipUaRequest req = {
	    .method = pd->method,
	    .ruri = ruri,
	    .branch = branch,
	    .headers = headers,
	    .ctype = ctype,
	    .body = body,
	    .body_len = len,
	    .max_forwards = pd->initial ? c->max_forwards : 0,
	};
	g_autoptr(GString) out = sip_ua_build_request(c->calls->ua, &req, &dest, &rc);

	if (!out) {
		call_pending_free(pd);
		return rc;
	}
	pd->tx = sip_ua_client_tx(c->calls->ua, out, &dest, call_pending_cb, pd);
	if (!pd->tx) {
		call_pending_free(pd);
		return -ECONNREFUSED;
	}
	pending_prune(c);
	g_ptr_array_add(c->pending, pd);
	return 0;
}

/* A request within dlg (the call's, or a fork's being ended; §12.2.1.1). auth: the answers
 * of an earlier round, or NULL. */
int call_dialog_send(SipCall *c, SipDialog *dlg, const char *method, const char *extra,
                     const char *ctype, const char *body, size_t len, SipAuthAnswers *auth,
                     Pending **sent)
{
	g_autoptr(GString) d = g_string_new(NULL);
	const char *rest;
	int rc;

	if (!dlg)
		return -ENOTCONN;
	rc = sip_dialog_request(dlg, method, d);
	if (rc < 0) {
		sip_auth_answers_free(auth);
		return rc;
	}
	g_autofree char *ruri = call_split_request_line(d, &rest);
	if (!ruri) {
		sip_auth_answers_free(auth);
		return -EINVAL;
	}
	g_autoptr(GString) h = g_string_new(rest);
	/* Target refresh requests carry our Contact (RFC 3261 §12.2.1.1, RFC 3311, RFC 6665
	 * §4.1.2.4 for NOTIFY). */
	if (!strcmp(method, "INVITE") || !strcmp(method, "UPDATE") || !strcmp(method, "NOTIFY"))
		call_append_contact(c, h);
	if (extra)
		g_string_append(h, extra);
	sip_auth_answers_append(auth, h);

	Pending *pd = call_pending_new(c, method);
	pd->extra = g_strdup(extra);
	pd->ctype = g_strdup(ctype);
	pd->body = body ? g_memdup2(body, len) : NULL;
	pd->body_len = len;
	pd->auth = auth;
	rc = call_pending_send(c, pd, ruri, h->str, ctype, body, len);
	if (rc == 0 && sent)
		*sent = pd;
	return rc;
}

/* The final response to a request within the dialog. */
static void dialog_response(SipCall *c, Pending *pd, const struct sip_msg *resp, int error)
{
	gboolean invite = !strcmp(pd->method, "INVITE"), bye = !strcmp(pd->method, "BYE");

	if (!strcmp(pd->method, "CANCEL") || pd->other_fork || (resp && resp->status < 200))
		return;
	if (!resp) {
		if (bye || c->state == CALL_ENDED)
			return;
		/* §12.2.1.2, §14.1: no answer ends the dialog, with a BYE. */
		call_bye_send(c);
		call_emit(c, SIP_CALL_ENDED, NULL, NULL, error);
		call_end(c);
		return;
	}
	if (invite && resp->status < 300 && (pd->acked || pd->ack_held)) {
		if (pd->acked)
			call_ack_resend(c, resp->cseq.num);
		return;
	}
	/* The target refresh first: the ACK goes to the new target. */
	if (c->dlg && c->state != CALL_ENDED)
		sip_dialog_uac_response(c->dlg, resp);
	if (invite && resp->status < 300 && c->dlg) {
		if (c->state == CALL_ENDED) { /* it crossed our BYE: ACK it all the same */
			pd->acked = TRUE;
			call_ack_send(c, c->dlg, resp->cseq.num, &c->ack, NULL, NULL, 0);
		} else {
			call_ack_or_hold(c, pd, resp);
		}
	}
	if (bye && (resp->status == 401 || resp->status == 407) && c->cred) {
		call_bye_with_credentials(c, pd, resp);
		return;
	}
	if (bye || c->state == CALL_ENDED)
		return;
	if ((resp->status == 401 || resp->status == 407) && c->cred) {
		/* The same credentials answer a challenge within the dialog (a trunk's). */
		SipAuthAnswers *aa = pd->auth ? pd->auth : sip_auth_answers_new(c->cred);
		const struct sip_msg *sent = sip_tx_request(pd->tx);
		g_autofree char *ruri = sent ? sip_pl_dup(&sent->ruri_pl) : NULL;

		pd->auth = NULL;
		if (ruri && sip_auth_answers_update(aa, resp, pd->method, ruri)) {
			/* dialog_send owns aa from here, sent or not */
			if (call_dialog_send(c, c->dlg, pd->method, pd->extra, pd->ctype, pd->body,
			                     pd->body_len, aa, NULL) == 0)
				return;
		} else {
			sip_auth_answers_free(aa);
		}
	}
	if (resp->status == 481 || resp->status == 408) {
		/* §12.2.1.2: the dialog is gone (481) or unreachable (408: with a BYE). */
		if (resp->status == 408)
			call_bye_send(c);
		call_emit(c, SIP_CALL_ENDED, resp, NULL,
		          resp->status == 481 ? -ENOENT : -ETIMEDOUT);
		call_end(c);
		return;
	}
	call_emit(c, SIP_CALL_RESPONSE, resp, NULL, 0);
}

void call_pending_cb(SipTx *tx, const struct sip_msg *resp, int error, void *user_data)
{
	Pending *pd = user_data;
	SipCall *c = sip_call_ref(pd->call);
	gboolean done = !resp || resp->status >= 200;

	if (pd->initial)
		call_uac_response(c, pd, resp, error);
	else
		dialog_response(c, pd, resp, error);
	/* An INVITE's transaction goes on with 2xx retransmissions until Timer M. */
	if (done && !(resp && resp->status < 300 && !strcmp(pd->method, "INVITE")))
		pending_remove(c, pd);
	sip_call_unref(c);
}

/* Our re-INVITE in progress: sent, and its 2xx not ACKed yet (§14.1). */
static gboolean our_invite_pending(SipCall *c)
{
	for (guint i = 0; i < c->pending->len; i++) {
		Pending *pd = c->pending->pdata[i];
		if (!pd->initial && !strcmp(pd->method, "INVITE") && !pd->acked)
			return TRUE;
	}
	return FALSE;
}

/* RFC 3311 §5.2: an offer of ours (re-INVITE or UPDATE with a body) not answered yet. An
 * UPDATE's entry goes with its final response; a re-INVITE's stays, acked. */
static gboolean our_offer_pending(SipCall *c)
{
	for (guint i = 0; i < c->pending->len; i++) {
		Pending *pd = c->pending->pdata[i];
		if (pd->initial || !pd->body)
			continue;
		if (!strcmp(pd->method, "UPDATE") || (!strcmp(pd->method, "INVITE") && !pd->acked))
			return TRUE;
	}
	return FALSE;
}

/* ... and one of theirs that we have not answered. */
static gboolean their_offer_pending(SipCall *c)
{
	for (guint i = 0; i < c->server_reqs->len; i++) {
		SipServerReq *r = c->server_reqs->pdata[i];
		const struct sip_msg *req = sip_req_msg(r);
		if (req && !sip_req_answered(r) && req->body.l > 0 &&
		    (req->method == SIP_METHOD_INVITE || req->method == SIP_METHOD_UPDATE))
			return TRUE;
	}
	return FALSE;
}

/* §14.2: 500 with a Retry-After of 0 to 10 s. */
static void retry_later(SipServerReq *r)
{
	g_autofree char *ra = g_strdup_printf("Retry-After: %d\r\n", g_random_int_range(0, 11));

	sip_req_respond(r, &(SipResponse){.status = 500, .headers = ra});
}

/* Keep a request of the call until it is answered (call_end answers it 487 otherwise);
 * those answered already go. */
static void track_request(SipCall *c, SipServerReq *r)
{
	for (guint i = c->server_reqs->len; i-- > 0;) {
		SipServerReq *old = c->server_reqs->pdata[i];
		if (!sip_req_answered(old))
			continue;
		if (old == c->reinvite_req)
			c->reinvite_req = NULL;
		g_ptr_array_remove_index(c->server_reqs, i);
	}
	sip_req_set_call(r, c);
	g_ptr_array_add(c->server_reqs, sip_req_ref(r));
}

void call_in_dialog(SipCall *c, SipTx *tx, const struct sip_msg *req)
{
	SipServerReq *r = sip_req_new(c->calls->ua, tx);
	int rc = sip_dialog_uas_request(c->dlg, req);

	if (rc < 0) {
		sip_req_respond(r, &(SipResponse){.status = sip_dialog_err_status(rc)});
		sip_req_unref(r);
		return;
	}
	switch (req->method) {
	case SIP_METHOD_BYE:
		call_bye_received(c, r, req);
		break;
	case SIP_METHOD_OPTIONS:
		sip_ua_answer_options(c->calls->ua, tx);
		break;
	case SIP_METHOD_INVITE: {
		if (our_invite_pending(c) || our_offer_pending(c) || c->state != CALL_CONFIRMED) {
			/* §14.2, RFC 3311 §5.2: our own re-INVITE or offer is in progress. */
			sip_req_respond(r, &(SipResponse){.status = 491});
			break;
		}
		if (c->ok || (c->reinvite_req && !sip_req_answered(c->reinvite_req)) ||
		    their_offer_pending(c)) {
			/* §14.2: theirs is still in progress. */
			retry_later(r);
			break;
		}
		c->reinvite_req = r;
		sip_tx_set_cancel_cb(tx, call_reinvite_cancel_cb, c);
	}
		/* fall through */
	case SIP_METHOD_UPDATE:
		/* RFC 3311 §5.2: an offer while another is unanswered. */
		if (req->body.l && our_offer_pending(c)) {
			sip_req_respond(r, &(SipResponse){.status = 491});
			break;
		}
		if (req->body.l && their_offer_pending(c)) {
			retry_later(r);
			break;
		}
		/* fall through */
	default: {
		/* Answering a non-INVITE frees the request (transaction_server.c). */
		enum sip_method method = req->method;
		gboolean offer = req->body.l > 0;

		track_request(c, r);
		call_emit(c, SIP_CALL_REQUEST, req, r, 0);
		/* Neither answered nor kept by the handler (we hold two references). */
		if (!sip_req_answered(r) && !sip_req_held_by_others(r, 2)) {
			/* An offer we cannot take; an INFO is taken; anything else unknown. */
			unsigned status = method == SIP_METHOD_INVITE            ? 488
			                  : method == SIP_METHOD_UPDATE && offer ? 488
			                  : method == SIP_METHOD_UPDATE || method == SIP_METHOD_INFO
			                      ? 200
			                      : 501;
			sip_req_respond(r, &(SipResponse){.status = status});
		}
		break;
	}
	}
	sip_req_unref(r);
}

int sip_call_request(SipCall *c, const SipRequest *req)
{
	if (!req->method)
		return -EINVAL;
	g_autofree char *m = g_ascii_strup(req->method, -1);

	if (c->state == CALL_ENDED)
		return -ESHUTDOWN;
	if (!strcmp(m, "BYE") || !strcmp(m, "ACK") || !strcmp(m, "CANCEL"))
		return -EINVAL; /* call_hangup's business */
	if (!strcmp(m, "INVITE")) {
		if (c->state != CALL_CONFIRMED)
			return -ENOTCONN;
		if (c->ok || (c->reinvite_req && !sip_req_answered(c->reinvite_req)) ||
		    our_invite_pending(c) || our_offer_pending(c) || their_offer_pending(c))
			return -EBUSY;
	}
	if (!strcmp(m, "UPDATE") && req->body && (our_offer_pending(c) || their_offer_pending(c)))
		return -EBUSY; /* RFC 3311 §5.2 */
	if (!c->dlg)
		return -ENOTCONN;
	return call_dialog_send(c, c->dlg, m, req->headers, req->content_type, req->body,
	                        req->body_len, NULL, NULL);
}
