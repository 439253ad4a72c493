/* call.c: INVITE sessions (RFC 3261 §13-§15) on the dialog layer (dialog.c) and the
 * transaction layer: the channel driver side that the B2BUA uses. A call is one leg: as
 * UAS, an INVITE we received and answer; as UAC, one we place, with digest answers for
 * 401/407. The call*.c files own what the RFC gives the UA core rather than the
 * transactions: the 2xx retransmitted until its ACK and the ACK of a 2xx (§13.3.1.4,
 * §13.2.2.4), CANCEL (§9.1), re-INVITE glare (§14: 491 and 500 with Retry-After), BYE (§15),
 * and the requests within a dialog that its user sends and receives (re-INVITE, UPDATE,
 * INFO). This one holds a call's life cycle, the table of calls and the look-up of the
 * call a request belongs to.
 *
 * Requests within a dialog go to the flow of the call's initial INVITE (the address it came
 * from or went to, and its connection), not to a resolved remote target: crossbar only
 * talks to its neighbours (phones, often behind NAT, and trunks), there is no DNS yet, and
 * a phone's Contact behind NAT is not reachable (RFC 5626's flow, RFC 3581's spirit).
 *
 * A call's state (CallState, whose name sip_call_state() and `sip calls` show), with the
 * sub-states of our CANCEL (c->cancel, CallCancel) and of our 2xx awaiting its ACK
 * (c->ok_kind, CallOk; §13.3.1.4, §13.2.2.4, §9, §15):
 *
 *   state      event                            action                            next
 *   ---------  -------------------------------  --------------------------------  ---------
 *   UAS: call_uas.c, call_ack.c, call_cancel.c
 *   (UA core)  INVITE outside any dialog        a module's incoming handler, else incoming
 *                                               the channel driver's, else 480
 *   incoming   we respond 101-199               make the early dialog             early
 *   incoming,  we respond 2xx                   confirm the dialog; 2xx again at  confirmed
 *   early                                       T1..T2 until ACK (ok: initial)
 *              we respond 300-699, or cannot    -                                 ended
 *              CANCEL (§9.2)                    487; user <- CANCELLED            ended
 *              hang-up                          its status (>= 300), else 480     ended
 *   confirmed  ACK of our 2xx                   stop the 2xx; user <- ANSWERED    confirmed
 *              ... with ok: initial-bye         ... and BYE                       ended
 *              no ACK in 64*T1                  BYE; user <- ENDED (-ETIMEDOUT)   ended
 *              hang-up before the ACK           ok: initial-bye                   confirmed
 *
 *   UAC: call_uac.c, call_ack.c, call_cancel.c
 *   (user)     sip_call_place()                 send the INVITE                   calling
 *   calling    101-199 with a To tag            make the early dialog             early
 *   calling,   1xx                              user <- PROGRESS (but 100);       same
 *   early                                       CANCEL if cancel: wanted
 *              2xx (any fork)                   dialog; ACK, or hold the ACK for  confirmed
 *                                               call_ack() when the 2xx carries
 *                                               the offer; user <- ANSWERED
 *              2xx, cancel: wanted or sent      ACK and BYE (§9.1)                ended
 *              2xx that makes no dialog         user <- FAILED                    ended
 *              401/407, credentials, no cancel  drop the early dialog; INVITE     same
 *                                               again, CSeq + 1, with the answer
 *              300-699, or no answer            user <- FAILED                    ended
 *              hang-up                          cancel: wanted; CANCEL at once    same
 *                                               after a 1xx (cancel: sent)
 *              64*T1 after our CANCEL           end the INVITE transaction        ended
 *   confirmed  2xx of another fork              ACK it, BYE to that fork          confirmed
 *              2xx again                        the same ACK again                confirmed
 *              hang-up                          the held ACK; 487 to their        ended
 *                                               requests not answered; BYE
 *
 *   either side: call_request.c, call_bye.c
 *   early,     UPDATE, INFO ..., re-INVITE      user <- REQUEST; glare 491, 500;  same
 *   confirmed  (confirmed only)                 a re-INVITE while early 491
 *   early,     BYE                              487 to what is not answered;      ended
 *   confirmed                                   user <- ENDED; 200
 *   confirmed  our request: 481, 408, no        BYE (not on 481); user <- ENDED   ended
 *              answer
 *   ended      a copy of a 2xx we ACKed         the same ACK again                ended
 *   any        sip_calls_free() (unload)        nothing on the wire, no events    ended
 *
 * Besides the state, a call keeps: uas and secure (fixed when it is made), hung_up (its user
 * wants no more events, whatever the state) and provisional (a 1xx came to the latest round
 * of our INVITE, so a CANCEL may go). */
#include "call_private.h"

#include <errno.h>
#include <string.h>

static const char *const state_names[] = {"incoming", "calling", "early", "confirmed", "ended"};

SipCall *call_new(SipCalls *calls, gboolean uas)
{
	SipCall *c = g_rc_box_new0(SipCall);

	c->calls = calls;
	c->uas = uas;
	c->pending = g_ptr_array_new_with_free_func(call_pending_free);
	c->server_reqs = g_ptr_array_new_with_free_func(call_server_req_release);
	g_hash_table_add(calls->live, sip_call_ref(c));
	return c;
}

void call_server_req_release(gpointer data)
{
	SipServerReq *r = data;

	sip_req_set_call(r, NULL);
	sip_tx_detach(sip_req_tx(r));
	sip_req_unref(r);
}

SipCall *sip_call_ref(SipCall *c)
{
	return g_rc_box_acquire(c);
}

static void call_clear(gpointer data)
{
	SipCall *c = data;

	xb_timer_clear(&c->ok_timer);
	xb_timer_clear(&c->cancel_timer);
	g_ptr_array_unref(c->pending);
	g_ptr_array_unref(c->server_reqs);
	if (c->invite_req)
		call_server_req_release(c->invite_req);
	if (c->dlg)
		sip_dialog_unref(c->dlg);
	if (c->ok)
		g_string_free(c->ok, TRUE);
	if (c->ack)
		g_string_free(c->ack, TRUE);
	if (c->invite_headers)
		g_string_free(c->invite_headers, TRUE);
	sip_auth_answers_free(c->auth);
	sip_credentials_free(c->cred);
	sip_peer_free(c->public_peer);
	g_free(c->call_id);
	g_free(c->local_tag);
	g_free(c->ruri);
	g_free(c->reason);
	g_free(c->ctype);
	g_free(c->body);
}

void sip_call_unref(SipCall *c)
{
	if (c)
		g_rc_box_release_full(c, call_clear);
}

/* §15.1.2: requests of the dialog still unanswered when it ends get 487. */
void call_answer_pending(SipCall *c)
{
	for (guint i = 0; i < c->server_reqs->len; i++) {
		SipServerReq *r = c->server_reqs->pdata[i];
		if (!sip_req_answered(r))
			call_uas_respond(c, r, &(SipResponse){.status = 487});
	}
}

/* The call is over: no timers, out of the dialog table and of the live set. Transactions
 * in flight (a BYE) run on until the last reference goes. */
void call_end(SipCall *c)
{
	if (c->state == CALL_ENDED)
		return;
	call_answer_pending(c);
	c->state = CALL_ENDED;
	xb_timer_clear(&c->ok_timer);
	xb_timer_clear(&c->cancel_timer);
	if (c->dlg) {
		sip_dialog_terminate(c->dlg);
		sip_dialog_table_remove(c->calls->dialogs, c->dlg);
	}
	g_hash_table_remove(c->calls->live, c); /* may drop the last reference but the caller's */
}

void call_emit(SipCall *c, SipCallEventType type, const struct sip_msg *msg, SipServerReq *req,
               int error)
{
	SipCallEvent ev = {
	    .type = type,
	    .msg = msg,
	    .status = msg && !msg->is_request ? msg->status : 0,
	    .req = req,
	    .error = error,
	};

	if (c->hung_up || !c->func)
		return;
	c->func(c, &ev, c->user_data);
}

/* Our Contact for the call's flow: sips when the Request-URI was sips (§12.1.1, §8.1.1.8),
 * else sip with the transport named (a sips Contact to a sip call breaks phones such as
 * baresip, which cannot send to it). */
char *call_contact_value(SipCall *c)
{
	SipUa *ua = c->calls->ua;
	int family = c->peer.addr.ss_family;
	const char *sent_by = sip_ua_sent_by(ua, c->peer.transport, family);

	if (!sent_by)
		sent_by = sip_ua_sent_by(ua, XB_TRANSPORT_UDP, family);
	if (!sent_by)
		sent_by = "invalid";
	if (c->secure)
		return g_strdup_printf("<sips:crossbar@%s>", sent_by);
	return g_strdup_printf("<sip:crossbar@%s%s>", sent_by,
	                       c->peer.transport == XB_TRANSPORT_TCP   ? ";transport=tcp"
	                       : c->peer.transport == XB_TRANSPORT_TLS ? ";transport=tls"
	                                                               : "");
}

void call_append_contact(SipCall *c, GString *h)
{
	g_autofree char *contact = call_contact_value(c);
	const char *allow = sip_ua_allow(c->calls->ua);

	g_string_append_printf(h, "Contact: %s\r\nAllow: %s\r\n", contact, allow);
}

/* A request from sip_dialog_request: its Request-URI out of the request line, and the
 * header lines after it. */
char *call_split_request_line(const GString *d, const char **headers)
{
	const char *eol = strstr(d->str, "\r\n");
	const char *sp1 = eol ? memchr(d->str, ' ', (size_t)(eol - d->str)) : NULL;
	const char *sp2 = eol ? g_strrstr_len(d->str, eol - d->str, " ") : NULL;

	if (!sp1 || !sp2 || sp2 <= sp1)
		return NULL;
	*headers = eol + 2;
	return g_strndup(sp1 + 1, (gsize)(sp2 - sp1 - 1));
}

static SipCall *dialog_call(SipDialog *dlg)
{
	return sip_dialog_user_data(dlg);
}

gboolean sip_calls_request(SipCalls *calls, SipTx *tx, const struct sip_msg *req,
                           const SipFlow *from)
{
	SipDialog *dlg;

	if (req->to.has_tag) {
		if (sip_dialog_table_match(calls->dialogs, req, &dlg) < 0)
			return FALSE;
		SipCall *c = sip_call_ref(dialog_call(dlg));
		call_in_dialog(c, tx, req);
		sip_call_unref(c);
		return TRUE;
	}
	if (req->method != SIP_METHOD_INVITE)
		return FALSE;
	call_incoming(calls, tx, req);
	return TRUE;
}

gboolean sip_calls_stray(SipCalls *calls, const struct sip_msg *msg, const SipFlow *from)
{
	SipDialog *dlg;

	if (msg->is_request && msg->method != SIP_METHOD_ACK)
		return FALSE;
	if (!msg->is_request &&
	    (msg->status < 200 || msg->status >= 300 || msg->cseq.method != SIP_METHOD_INVITE))
		return FALSE;
	if (sip_dialog_table_match(calls->dialogs, msg, &dlg) < 0)
		return FALSE;
	SipCall *c = sip_call_ref(dialog_call(dlg));
	if (msg->is_request)
		call_ack_received(c, msg);
	else
		call_ack_resend(c, msg->cseq.num); /* a 2xx copy after Timer M */
	sip_call_unref(c);
	return TRUE;
}

void sip_call_set_handler(SipCall *c, SipCallFunc func, void *user_data)
{
	c->func = func;
	c->user_data = user_data;
}

const struct sip_msg *sip_call_invite(const SipCall *c)
{
	if (c->uas)
		return c->invite_req ? sip_tx_request(sip_req_tx(c->invite_req)) : NULL;
	return c->invite ? sip_tx_request(c->invite->tx) : NULL;
}

const SipFlow *sip_call_flow(const SipCall *c)
{
	return &c->peer;
}

const SipPeer *sip_call_peer(SipCall *c)
{
	if (!c->public_peer)
		c->public_peer = sip_flow_to_peer(&c->peer);
	return c->public_peer;
}

const char *sip_call_id(const SipCall *c)
{
	return c->call_id;
}

const char *sip_call_state(const SipCall *c)
{
	return state_names[c->state];
}

gboolean sip_call_dialog_id(const SipCall *c, struct sip_dialog_id *id)
{
	if (!c->dlg)
		return FALSE;
	sip_dialog_id(c->dlg, id);
	return TRUE;
}

SipCalls *sip_calls_new(SipUa *ua, XbModule *owner)
{
	SipCalls *calls = g_new0(SipCalls, 1);

	calls->ua = ua;
	calls->owner = owner;
	calls->dialogs = sip_dialog_table_new();
	calls->live = g_hash_table_new_full(g_direct_hash, g_direct_equal,
	                                    (GDestroyNotify)sip_call_unref, NULL);
	return calls;
}

/* Silence every call: no events, no timers, no transactions calling back. */
static void call_silence(gpointer key, gpointer value, gpointer user_data)
{
	SipCall *c = key;
	SipCalls *calls = user_data;

	/* Ended without a word: call_end will not touch the table of calls again. */
	if (c->dlg && c->state != CALL_ENDED)
		sip_dialog_table_remove(calls->dialogs, c->dlg);
	c->state = CALL_ENDED;
	c->hung_up = TRUE;
	xb_timer_clear(&c->ok_timer);
	xb_timer_clear(&c->cancel_timer);
	g_ptr_array_set_size(c->pending, 0);
	g_ptr_array_set_size(c->server_reqs, 0); /* they forget the call */
	c->reinvite_req = NULL;
	c->invite = NULL;
	c->ack_wait = NULL;
	if (c->invite_req) {
		sip_req_set_call(c->invite_req, NULL);
		sip_tx_detach(sip_req_tx(c->invite_req));
	}
}

void sip_calls_free(SipCalls *calls)
{
	if (!calls)
		return;
	g_hash_table_foreach(calls->live, call_silence, calls);
	g_hash_table_unref(calls->live);
	sip_dialog_table_free(calls->dialogs);
	g_free(calls);
}

guint sip_calls_count(const SipCalls *calls)
{
	return g_hash_table_size(calls->live);
}

void sip_calls_set_fallback(SipCalls *calls, SipCallIncomingFunc func, void *user_data)
{
	calls->fallback = func;
	calls->fallback_data = user_data;
}

gboolean sip_calls_set_handler(SipCalls *calls, XbModule *owner, SipCallIncomingFunc func,
                               void *user_data)
{
	if (calls->incoming)
		return FALSE;
	calls->handler_owner = owner;
	calls->incoming = func;
	calls->incoming_data = user_data;
	return TRUE;
}

static void list_row(gpointer key, gpointer value, gpointer user_data)
{
	SipCall *c = key;
	XbCliReply *r = user_data;
	const struct sip_msg *inv = sip_call_invite(c);
	g_autofree char *peer = sip_flow_to_string(&c->peer);
	g_autofree char *from = inv ? sip_pl_dup(&inv->from.uri) : g_strdup("");
	g_autofree char *to = inv ? sip_pl_dup(&inv->to.uri) : g_strdup("");

	xb_cli_reply_row(r, "call_id", g_variant_new_string(c->call_id), "direction",
	                 g_variant_new_string(c->uas ? "in" : "out"), "state",
	                 g_variant_new_string(state_names[c->state]), "peer",
	                 g_variant_new_string(peer), "from", g_variant_new_string(from), "to",
	                 g_variant_new_string(to), NULL);
}

void sip_calls_list(SipCalls *calls, XbCliReply *r)
{
	xb_cli_reply_columns(r, "call_id", "direction", "state", "peer", "from", "to", NULL);
	g_hash_table_foreach(calls->live, list_row, r);
}

/* The calls module goes: its calls are hung up (their handlers are in its code). */
void sip_calls_module_unloaded(SipCalls *calls, const char *module)
{
	if (!calls->handler_owner || g_strcmp0(xb_module_name(calls->handler_owner), module))
		return;
	calls->incoming = NULL;
	calls->handler_owner = NULL;
	g_autofree gpointer *all = g_hash_table_get_keys_as_array(calls->live, NULL);
	for (guint i = 0; all[i]; i++)
		sip_call_hangup(all[i], 503);
}
