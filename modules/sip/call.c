/* call.c: INVITE sessions (RFC 3261 §13-§15) on the dialog layer (dialog.c) and the
 * transaction layer: the channel driver side that the B2BUA uses. A call is one leg: as
 * UAS, an INVITE we received and answer; as UAC, one we place, with digest answers for
 * 401/407. This file owns what the RFC gives the UA core rather than the transactions:
 * the 2xx retransmitted until its ACK and the ACK of a 2xx (§13.3.1.4, §13.2.2.4), CANCEL
 * (§9.1), re-INVITE glare (§14: 491 and 500 with Retry-After), BYE (§15), and the requests
 * within a dialog that its user sends and receives (re-INVITE, UPDATE, INFO).
 *
 * Requests within a dialog go to the flow of the call's initial INVITE (the address it came
 * from or went to, and its connection), not to a resolved remote target: crossbar only
 * talks to its neighbours (phones, often behind NAT, and trunks), there is no DNS yet, and
 * a phone's Contact behind NAT is not reachable (RFC 5626's flow, RFC 3581's spirit). */
#include "call.h"
#include "dialog.h"
#include "ua_auth.h"

#include <errno.h>
#include <string.h>

typedef enum {
	CALL_INCOMING,
	CALL_CALLING,
	CALL_EARLY,
	CALL_CONFIRMED,
	CALL_ENDED,
} CallState;

static const char *const state_names[] = {"incoming", "calling", "early", "confirmed", "ended"};

struct sip_calls {
	SipUa *ua;
	XbModule *owner;
	SipDialogTable *dialogs; /* dialog user_data: its SipCall (borrowed) */
	GHashTable *live;        /* SipCall * -> one reference, until the call ends */
	XbModule *handler_owner;
	SipCallIncomingFunc incoming;
	void *incoming_data;
};

/* One client transaction of a call: the initial INVITE (one per authentication round),
 * a request within the dialog, or a CANCEL. */
typedef struct {
	SipCall *call; /* borrowed: the call frees its pendings */
	SipTx *tx;
	char *method;
	gboolean initial;    /* a round of the initial INVITE */
	gboolean acked;      /* a 2xx to this INVITE was ACKed */
	gboolean ack_held;   /* ... or waits for call_ack: the 2xx carried the offer */
	gboolean other_fork; /* a BYE to a fork that is not the call's */
	/* to send the request again with credentials (within the dialog) */
	char *extra, *ctype, *body;
	size_t body_len;
	SipAuthAnswers *auth;
} Pending;

struct sip_call {
	grefcount refs;
	SipCalls *calls;
	gboolean uas;
	CallState state;
	SipCallFunc func;
	void *user_data;
	gboolean hung_up; /* by its user: no more events */
	SipPeer peer;     /* the flow of the initial INVITE */
	gboolean secure;  /* its Request-URI was sips */
	char *call_id;
	char *local_tag;
	SipDialog *dlg;
	GPtrArray *pending;     /* Pending *, client transactions in flight */
	GPtrArray *server_reqs; /* SipServerReq * within the call (one reference each) */

	/* UAS */
	SipServerReq *invite_req;   /* the initial INVITE */
	SipServerReq *reinvite_req; /* their last re-INVITE (borrowed from server_reqs) */
	GString *ok;                /* our 2xx to an INVITE, retransmitted until its ACK */
	SipPeer ok_peer;
	guint32 ok_cseq;
	gboolean ok_initial;
	gint64 ok_interval, ok_elapsed;
	XbTimer *ok_timer;
	gboolean bye_after_ack; /* hung up before the ACK of our 2xx (§15) */

	/* UAC */
	Pending *invite; /* the latest round of the initial INVITE */
	char *ruri, *ctype, *body;
	size_t body_len;
	GString *invite_headers; /* From, To, Call-ID, Contact, Allow and the caller's */
	guint32 cseq;
	SipCredentials cred; /* owned copies, for requests within the dialog */
	SipAuthAnswers *auth;
	gboolean provisional, cancel_wanted, cancel_sent;
	XbTimer *cancel_timer;
	GString *ack; /* the ACK of the last 2xx, sent again for its retransmissions */
	guint32 ack_cseq;
	Pending *ack_wait;     /* an INVITE whose 2xx waits for call_ack (late offer) */
	guint32 ack_wait_cseq; /* ... and its CSeq; c->ack stays the last ACK sent meanwhile */
};

static void call_end(SipCall *c);
static int send_bye(SipCall *c);
static int respond_in_call(SipCall *c, SipServerReq *r, unsigned status, const char *reason,
                           const char *extra, const char *ctype, const char *body, size_t len);
static void cancel_timeout_cb(XbTimer *t, gpointer user_data);

/* ---- life cycle ---- */

static void pending_free(gpointer data)
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

static void server_req_release(gpointer data)
{
	SipServerReq *r = data;

	sip_req_set_call(r, NULL);
	sip_tx_detach(sip_req_tx(r));
	sip_req_unref(r);
}

static SipCall *call_new(SipCalls *calls, gboolean uas)
{
	SipCall *c = g_new0(SipCall, 1);

	g_ref_count_init(&c->refs);
	c->calls = calls;
	c->uas = uas;
	c->pending = g_ptr_array_new_with_free_func(pending_free);
	c->server_reqs = g_ptr_array_new_with_free_func(server_req_release);
	g_hash_table_add(calls->live, sip_call_ref(c));
	return c;
}

SipCall *sip_call_ref(SipCall *c)
{
	g_ref_count_inc(&c->refs);
	return c;
}

static void secret_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		g_free(s);
	}
}

void sip_call_unref(SipCall *c)
{
	if (!c || !g_ref_count_dec(&c->refs))
		return;
	xb_timer_clear(&c->ok_timer);
	xb_timer_clear(&c->cancel_timer);
	g_ptr_array_unref(c->pending);
	g_ptr_array_unref(c->server_reqs);
	if (c->invite_req)
		server_req_release(c->invite_req);
	if (c->dlg)
		sip_dialog_unref(c->dlg);
	if (c->ok)
		g_string_free(c->ok, TRUE);
	if (c->ack)
		g_string_free(c->ack, TRUE);
	if (c->invite_headers)
		g_string_free(c->invite_headers, TRUE);
	sip_auth_answers_free(c->auth);
	g_free((char *)c->cred.username);
	secret_free((char *)c->cred.password);
	g_free((char *)c->cred.realm);
	g_free(c->call_id);
	g_free(c->local_tag);
	g_free(c->ruri);
	g_free(c->ctype);
	g_free(c->body);
	g_free(c);
}

/* The call is over: no timers, out of the dialog table and of the live set. Transactions
 * in flight (a BYE) run on until the last reference goes. */
/* §15.1.2: requests of the dialog still unanswered when it ends get 487. */
static void answer_pending(SipCall *c)
{
	for (guint i = 0; i < c->server_reqs->len; i++) {
		SipServerReq *r = c->server_reqs->pdata[i];
		if (!sip_req_answered(r))
			respond_in_call(c, r, 487, NULL, NULL, NULL, NULL, 0);
	}
}

static void call_end(SipCall *c)
{
	if (c->state == CALL_ENDED)
		return;
	answer_pending(c);
	c->state = CALL_ENDED;
	xb_timer_clear(&c->ok_timer);
	xb_timer_clear(&c->cancel_timer);
	if (c->dlg) {
		sip_dialog_terminate(c->dlg);
		sip_dialog_table_remove(c->calls->dialogs, c->dlg);
	}
	g_hash_table_remove(c->calls->live, c); /* may drop the last reference but the caller's */
}

static void emit(SipCall *c, SipCallEventType type, const struct sip_msg *msg, SipServerReq *req,
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

/* ---- helpers ---- */

static char *random_hex(void)
{
	return g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
}

/* Our Contact for the call's flow: sips when the Request-URI was sips (§12.1.1, §8.1.1.8),
 * else sip with the transport named (a sips Contact to a sip call breaks phones such as
 * baresip, which cannot send to it). */
static char *contact_value(SipCall *c)
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

static void append_contact(SipCall *c, GString *h)
{
	g_autofree char *contact = contact_value(c);
	const char *allow = sip_ua_allow(c->calls->ua);

	g_string_append_printf(h, "Contact: %s\r\nAllow: %s\r\n", contact, allow);
}

/* A request from sip_dialog_request: its Request-URI out of the request line, and the
 * header lines after it. */
static char *split_request_line(const GString *d, const char **headers)
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

/* ---- UAS: answering INVITEs ---- */

static void ok_timer_cb(XbTimer *t, gpointer user_data);

/* §13.3.1.4: the 2xx goes again at T1, 2*T1 ... up to T2 until the ACK; over a reliable
 * transport once is enough, but the ACK is still awaited for 64*T1. */
static void ok_arm(SipCall *c, GString *resp, const SipPeer *to, guint32 cseq, gboolean initial)
{
	const SipTimers *tm = sip_ua_timers(c->calls->ua);

	if (c->ok)
		g_string_free(c->ok, TRUE);
	c->ok = resp;
	c->ok_peer = *to;
	c->ok_cseq = cseq;
	c->ok_initial = initial;
	c->ok_interval = tm->t1;
	c->ok_elapsed = 0;
	xb_timer_clear(&c->ok_timer);
	c->ok_timer = xb_timer_start(c->calls->owner, tm->t1, ok_timer_cb, c);
}

static void ok_done(SipCall *c)
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
		ok_done(c);
		xb_info("call %s: no ACK for our 2xx in 64*T1, sending BYE", c->call_id);
		send_bye(c);
		emit(c, SIP_CALL_ENDED, NULL, NULL, -ETIMEDOUT);
		call_end(c);
		sip_call_unref(c);
		return;
	}
	if (!sip_peer_reliable(&c->ok_peer))
		sip_ua_send_raw(c->calls->ua, &c->ok_peer, c->ok);
	c->ok_interval = MIN(c->ok_interval * 2, tm->t2);
	c->ok_timer = xb_timer_start(
	    c->calls->owner, MIN(c->ok_interval, 64 * tm->t1 - c->ok_elapsed), ok_timer_cb, c);
}

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
static int respond_in_call(SipCall *c, SipServerReq *r, unsigned status, const char *reason,
                           const char *extra, const char *ctype, const char *body, size_t len)
{
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
			reason = NULL;
			ctype = body = NULL;
			extra = NULL;
		} else {
			append_record_route(req, h);
			if (c->state == CALL_INCOMING)
				c->state = CALL_EARLY;
		}
	}
	if (status > 100 && status < 300 && refresh && rc == 0)
		append_contact(c, h);
	if (extra)
		g_string_append(h, extra);

	GString *out = sip_req_build_response(r, status, reason, h->str, ctype, body, len, &rc);
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
		ok_arm(c, out, sip_tx_peer(sip_req_tx(r)), req->cseq.num, initial);
		return 0;
	}
	g_string_free(out, TRUE);
	if (initial)
		call_end(c); /* a 300-699: the call and its early dialog are over (§12.3) */
	return 0;
}

int sip_call_req_respond(SipCall *c, SipServerReq *r, unsigned status, const char *reason,
                         const char *extra, const char *ctype, const char *body, size_t len)
{
	int rc;

	sip_call_ref(c);
	rc = respond_in_call(c, r, status, reason, extra, ctype, body, len);
	sip_call_unref(c);
	return rc;
}

int sip_call_respond(SipCall *c, unsigned status, const char *reason, const char *extra,
                     const char *ctype, const char *body, size_t len)
{
	if (!c->uas || !c->invite_req)
		return -EINVAL;
	if (c->state == CALL_ENDED)
		return -ESHUTDOWN;
	return sip_call_req_respond(c, c->invite_req, status, reason, extra, ctype, body, len);
}

/* §9.2: the transaction layer answered the CANCEL with 200; the INVITE gets 487. */
static void cancel_cb(SipTx *tx, void *user_data)
{
	SipCall *c = user_data;

	sip_call_ref(c);
	if (c->state != CALL_ENDED) {
		respond_in_call(c, c->invite_req, 487, NULL, NULL, NULL, NULL, 0);
		emit(c, SIP_CALL_CANCELLED, NULL, NULL, 0);
		call_end(c);
	}
	sip_call_unref(c);
}

static void incoming(SipCalls *calls, SipTx *tx, const struct sip_msg *req)
{
	SipCall *c = call_new(calls, TRUE);

	c->invite_req = sip_req_new(calls->ua, tx);
	sip_req_set_call(c->invite_req, c);
	c->peer = *sip_tx_peer(tx);
	c->secure = req->ruri.scheme == SIP_SCHEME_SIPS;
	c->call_id = sip_pl_dup(&req->call_id);
	c->local_tag = g_strdup(sip_req_to_tag(c->invite_req));
	c->state = CALL_INCOMING;
	sip_tx_set_cancel_cb(tx, cancel_cb, c);
	if (!calls->incoming)
		respond_in_call(c, c->invite_req, 480, "No Call Handler", NULL, NULL, NULL, 0);
	else if (!calls->incoming(c, calls->incoming_data) && !sip_req_answered(c->invite_req))
		respond_in_call(c, c->invite_req, 500, NULL, NULL, NULL, NULL, 0);
	sip_call_unref(c);
}

/* ---- UAC: requests of the call ---- */

static void pending_cb(SipTx *tx, const struct sip_msg *resp, int error, void *user_data);

static Pending *pending_new(SipCall *c, const char *method)
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

/* Send req (complete but for Via, built by sip_ua_build_request) as a client transaction
 * of the call, to its flow. */
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

static int pending_send(SipCall *c, Pending *pd, const char *ruri, const char *headers,
                        const char *ctype, const char *body, size_t len)
{
	g_autofree char *branch = sip_branch_new();
	SipPeer dest = c->peer;
	int rc = 0;
	g_autoptr(GString) out = sip_ua_build_request(c->calls->ua, pd->method, ruri, &dest, branch,
	                                              headers, ctype, body, len, &rc);

	if (!out) {
		pending_free(pd);
		return rc;
	}
	pd->tx = sip_ua_client_tx(c->calls->ua, out, &dest, pending_cb, pd);
	if (!pd->tx) {
		pending_free(pd);
		return -ECONNREFUSED;
	}
	pending_prune(c);
	g_ptr_array_add(c->pending, pd);
	return 0;
}

static int send_invite_round(SipCall *c)
{
	g_autoptr(GString) h = g_string_new(c->invite_headers->str);
	Pending *pd = pending_new(c, "INVITE");
	int rc;

	g_string_append_printf(h, "CSeq: %u INVITE\r\n", c->cseq);
	sip_auth_answers_append(c->auth, h);
	pd->initial = TRUE;
	rc = pending_send(c, pd, c->ruri, h->str, c->ctype, c->body, c->body_len);
	if (rc == 0) {
		c->invite = pd;
		c->provisional = FALSE;
	}
	return rc;
}

/* A request within dlg (the call's, or a fork's being ended; §12.2.1.1). auth: the answers
 * of an earlier round, or NULL. */
static int dialog_send(SipCall *c, SipDialog *dlg, const char *method, const char *extra,
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
	g_autofree char *ruri = split_request_line(d, &rest);
	if (!ruri) {
		sip_auth_answers_free(auth);
		return -EINVAL;
	}
	g_autoptr(GString) h = g_string_new(rest);
	if (!strcmp(method, "INVITE") || !strcmp(method, "UPDATE"))
		append_contact(c, h);
	if (extra)
		g_string_append(h, extra);
	sip_auth_answers_append(auth, h);

	Pending *pd = pending_new(c, method);
	pd->extra = g_strdup(extra);
	pd->ctype = g_strdup(ctype);
	pd->body = body ? g_memdup2(body, len) : NULL;
	pd->body_len = len;
	pd->auth = auth;
	rc = pending_send(c, pd, ruri, h->str, ctype, body, len);
	if (rc == 0 && sent)
		*sent = pd;
	return rc;
}

static int send_bye(SipCall *c)
{
	int rc = dialog_send(c, c->dlg, "BYE", NULL, NULL, NULL, 0, NULL, NULL);

	if (rc < 0)
		xb_info("call %s: BYE not sent: %s", c->call_id, g_strerror(-rc));
	return rc;
}

/* §13.2.2.4: the ACK of a 2xx is built like a request within the dialog, with the INVITE's
 * CSeq number and credentials; it is no transaction, and goes again for each copy of the
 * 2xx. */
static int send_ack(SipCall *c, SipDialog *dlg, guint32 cseq, GString **keep, const char *ctype,
                    const char *body, size_t len)
{
	g_autoptr(GString) d = g_string_new(NULL);
	g_autofree char *branch = sip_branch_new();
	const char *rest;
	SipPeer dest = c->peer;
	int rc = sip_dialog_request(dlg, "ACK", d);

	if (rc < 0)
		return rc;
	g_autofree char *ruri = split_request_line(d, &rest);
	if (!ruri)
		return -EINVAL;
	g_autoptr(GString) h = g_string_new(rest);
	sip_auth_answers_append(c->auth, h);
	GString *out = sip_ua_build_request(c->calls->ua, "ACK", ruri, &dest, branch, h->str, ctype,
	                                    body, len, &rc);
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
static void resend_ack(SipCall *c, guint32 cseq)
{
	if (c->ack && c->ack_cseq == cseq)
		sip_ua_send_raw(c->calls->ua, &c->peer, c->ack);
}

/* §9.1: CANCEL copies the INVITE's Request-URI, top Via (its branch), From, To, Call-ID,
 * CSeq number and Route, and goes where the INVITE went. */
static void send_cancel(SipCall *c)
{
	const struct sip_msg *inv = c->invite ? sip_tx_request(c->invite->tx) : NULL;
	static const enum sip_hdrid copied[] = {SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID};
	const SipTimers *tm = sip_ua_timers(c->calls->ua);
	g_autoptr(GString) out = g_string_new(NULL);
	struct sip_mb mb;

	if (!inv || c->cancel_sent)
		return;
	c->cancel_sent = TRUE;
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
	if (sip_mb_end(&mb) < 0)
		return;
	Pending *pd = pending_new(c, "CANCEL");
	pd->tx = sip_ua_client_tx(c->calls->ua, out, sip_tx_peer(c->invite->tx), pending_cb, pd);
	if (!pd->tx) {
		pending_free(pd);
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

/* RFC 3264 in RFC 3261 §13.2.2.4: a 2xx to an INVITE without a body carries the offer, and
 * the ACK carries the answer: it waits for call_ack. Otherwise the ACK goes at once. */
static void ack_or_hold(SipCall *c, Pending *pd, const struct sip_msg *resp)
{
	gboolean offerless = pd->initial ? c->body == NULL : pd->body == NULL;

	if (offerless && resp->body.l > 0) {
		pd->ack_held = TRUE;
		c->ack_wait = pd;
		c->ack_wait_cseq = resp->cseq.num;
		return;
	}
	pd->acked = TRUE;
	send_ack(c, c->dlg, resp->cseq.num, &c->ack, NULL, NULL, 0);
}

int sip_call_ack(SipCall *c, const char *ctype, const char *body, size_t len)
{
	Pending *pd = c->ack_wait;

	if (!pd || !c->dlg)
		return -EINVAL;
	c->ack_wait = NULL;
	pd->ack_held = FALSE;
	pd->acked = TRUE;
	return send_ack(c, c->dlg, c->ack_wait_cseq, &c->ack, ctype, body, len);
}

/* §13.2.2.4: a second fork answered an INVITE already answered: ACK it and end it. */
static void end_other_fork(SipCall *c, Pending *pd, const struct sip_msg *resp)
{
	g_autoptr(SipDialog) other = NULL;

	if (sip_dialog_new_uac(&other, sip_tx_request(pd->tx), resp, NULL, NULL) < 0)
		return;
	send_ack(c, other, resp->cseq.num, NULL, NULL, NULL, 0);
	xb_info("call %s: a second fork answered; sending it BYE", c->call_id);
	Pending *bye = NULL;
	if (dialog_send(c, other, "BYE", NULL, NULL, NULL, 0, NULL, &bye) == 0)
		bye->other_fork = TRUE; /* its answers are not the call's */
}

/* A 2xx to the initial INVITE (first copy, retransmission, or another fork's). */
static void uac_2xx(SipCall *c, Pending *pd, const struct sip_msg *resp)
{
	struct sip_dialog_id id;
	int rc;

	if (c->dlg) {
		sip_dialog_id(c->dlg, &id);
		if (!sip_pl_eq_pl(&id.remote_tag, &resp->to.tag)) {
			if (c->state != CALL_CONFIRMED) {
				/* Another fork than the one that rang answered first: its dialog
				 * is the call's; the early one is over (§13.2.2.4). */
				sip_dialog_table_remove(c->calls->dialogs, c->dlg);
				g_clear_pointer(&c->dlg, sip_dialog_unref);
			} else {
				end_other_fork(c, pd, resp);
				return;
			}
		}
	}
	if (pd->acked || pd->ack_held) {
		if (pd->acked)
			resend_ack(c, resp->cseq.num);
		return;
	}
	if (c->dlg) {
		sip_dialog_uac_response(c->dlg, resp);
	} else {
		rc = sip_dialog_new_uac(&c->dlg, sip_tx_request(pd->tx), resp, NULL, c);
		if (rc == 0)
			rc = sip_dialog_table_add(c->calls->dialogs, c->dlg);
		if (rc < 0) {
			xb_info("call %s: a 2xx that makes no dialog: %s", c->call_id,
			        g_strerror(-rc));
			emit(c, SIP_CALL_FAILED, resp, NULL, rc);
			call_end(c);
			return;
		}
	}
	xb_timer_clear(&c->cancel_timer);
	if (c->cancel_wanted) {
		/* The 2xx crossed our CANCEL (§9.1): the call is up; end it. */
		pd->acked = TRUE;
		send_ack(c, c->dlg, resp->cseq.num, &c->ack, NULL, NULL, 0);
		send_bye(c);
		call_end(c);
		return;
	}
	c->state = CALL_CONFIRMED;
	ack_or_hold(c, pd, resp);
	emit(c, SIP_CALL_ANSWERED, resp, NULL, 0);
}

static void initial_response(SipCall *c, Pending *pd, const struct sip_msg *resp, int error)
{
	if (c->state == CALL_ENDED) {
		/* A copy of the 2xx that we ACKed (and BYEd, after a CANCEL): ACK it again. */
		if (resp && resp->status >= 200 && resp->status < 300 && pd->acked)
			resend_ack(c, resp->cseq.num);
		return;
	}
	if (!resp) {
		emit(c, SIP_CALL_FAILED, NULL, NULL, error);
		call_end(c);
		return;
	}
	if (resp->status < 200) {
		c->provisional = TRUE;
		if (c->cancel_wanted)
			send_cancel(c);
		if (resp->status > 100 && resp->to.has_tag && !c->dlg &&
		    sip_dialog_new_uac(&c->dlg, sip_tx_request(pd->tx), resp, NULL, c) == 0) {
			sip_dialog_table_add(c->calls->dialogs, c->dlg);
			c->state = CALL_EARLY;
		}
		if (resp->status > 100)
			emit(c, SIP_CALL_PROGRESS, resp, NULL, 0);
		return;
	}
	if (resp->status < 300) {
		uac_2xx(c, pd, resp);
		return;
	}
	if ((resp->status == 401 || resp->status == 407) && c->auth && !c->cancel_wanted &&
	    sip_auth_answers_update(c->auth, resp, "INVITE", c->ruri)) {
		if (c->dlg) { /* an early dialog of the challenged round is over */
			sip_dialog_table_remove(c->calls->dialogs, c->dlg);
			g_clear_pointer(&c->dlg, sip_dialog_unref);
		}
		c->cseq++;
		int rc = send_invite_round(c);
		if (rc == 0)
			return;
		emit(c, SIP_CALL_FAILED, NULL, NULL, rc);
		call_end(c);
		return;
	}
	emit(c, SIP_CALL_FAILED, resp, NULL, 0);
	call_end(c);
}

/* A BYE challenged (a trunk's): sent again as it was, CSeq + 1, with the answer. The dialog is
 * over by now (§15.1.1), so the request is copied rather than built from it. */
static void bye_with_credentials(SipCall *c, Pending *pd, const struct sip_msg *resp)
{
	const struct sip_msg *sent = sip_tx_request(pd->tx);
	SipAuthAnswers *aa = pd->auth ? pd->auth : sip_auth_answers_new(&c->cred);
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
	Pending *again = pending_new(c, "BYE");
	again->auth = aa;
	pending_send(c, again, ruri, h->str, NULL, NULL, 0);
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
		send_bye(c);
		emit(c, SIP_CALL_ENDED, NULL, NULL, error);
		call_end(c);
		return;
	}
	if (invite && resp->status < 300 && (pd->acked || pd->ack_held)) {
		if (pd->acked)
			resend_ack(c, resp->cseq.num);
		return;
	}
	/* The target refresh first: the ACK goes to the new target. */
	if (c->dlg && c->state != CALL_ENDED)
		sip_dialog_uac_response(c->dlg, resp);
	if (invite && resp->status < 300 && c->dlg) {
		if (c->state == CALL_ENDED) { /* it crossed our BYE: ACK it all the same */
			pd->acked = TRUE;
			send_ack(c, c->dlg, resp->cseq.num, &c->ack, NULL, NULL, 0);
		} else {
			ack_or_hold(c, pd, resp);
		}
	}
	if (bye && (resp->status == 401 || resp->status == 407) && c->cred.username) {
		bye_with_credentials(c, pd, resp);
		return;
	}
	if (bye || c->state == CALL_ENDED)
		return;
	if ((resp->status == 401 || resp->status == 407) && c->cred.username) {
		/* The same credentials answer a challenge within the dialog (a trunk's). */
		SipAuthAnswers *aa = pd->auth ? pd->auth : sip_auth_answers_new(&c->cred);
		const struct sip_msg *sent = sip_tx_request(pd->tx);
		g_autofree char *ruri = sent ? sip_pl_dup(&sent->ruri_pl) : NULL;

		pd->auth = NULL;
		if (ruri && sip_auth_answers_update(aa, resp, pd->method, ruri)) {
			/* dialog_send owns aa from here, sent or not */
			if (dialog_send(c, c->dlg, pd->method, pd->extra, pd->ctype, pd->body,
			                pd->body_len, aa, NULL) == 0)
				return;
		} else {
			sip_auth_answers_free(aa);
		}
	}
	if (resp->status == 481 || resp->status == 408) {
		/* §12.2.1.2: the dialog is gone (481) or unreachable (408: with a BYE). */
		if (resp->status == 408)
			send_bye(c);
		emit(c, SIP_CALL_ENDED, resp, NULL, resp->status == 481 ? -ENOENT : -ETIMEDOUT);
		call_end(c);
		return;
	}
	emit(c, SIP_CALL_RESPONSE, resp, NULL, 0);
}

static void pending_cb(SipTx *tx, const struct sip_msg *resp, int error, void *user_data)
{
	Pending *pd = user_data;
	SipCall *c = sip_call_ref(pd->call);
	gboolean done = !resp || resp->status >= 200;

	if (pd->initial)
		initial_response(c, pd, resp, error);
	else
		dialog_response(c, pd, resp, error);
	/* An INVITE's transaction goes on with 2xx retransmissions until Timer M. */
	if (done && !(resp && resp->status < 300 && !strcmp(pd->method, "INVITE")))
		pending_remove(c, pd);
	sip_call_unref(c);
}

/* A display name as a quoted-string (§25.1): '"' and '\\' escaped, control characters
 * (CR, LF: header injection) dropped. */
static char *quoted_display(const char *name)
{
	GString *q = g_string_new("\"");

	for (const char *p = name; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			g_string_append_c(q, '\\');
		g_string_append_c(q, *p);
	}
	g_string_append_c(q, '"');
	return g_string_free(q, FALSE);
}

SipCall *sip_call_place(SipCalls *calls, const SipCallParams *p, SipCallFunc func, void *user_data,
                        int *error)
{
	if (!p->ruri || !p->to || !p->from_uri) {
		*error = -EINVAL;
		return NULL;
	}
	SipCall *c = call_new(calls, FALSE);
	g_autofree char *contact = NULL;
	const char *allow = sip_ua_allow(calls->ua);

	c->peer = *p->to;
	c->secure = g_str_has_prefix(p->ruri, "sips:");
	c->func = func;
	c->user_data = user_data;
	c->state = CALL_CALLING;
	g_autofree char *id = random_hex();
	c->call_id = g_strdup_printf("%s@%s", id, sip_ua_domain(calls->ua));
	c->local_tag = random_hex();
	c->ruri = g_strdup(p->ruri);
	c->ctype = g_strdup(p->content_type);
	c->body = p->body ? g_memdup2(p->body, p->body_len) : NULL;
	c->body_len = p->body_len;
	c->cseq = (guint32)g_random_int_range(1, 1 << 30); /* §8.1.1.5 */
	if (p->credentials && p->credentials->username && p->credentials->password) {
		c->cred.username = g_strdup(p->credentials->username);
		c->cred.password = g_strdup(p->credentials->password);
		c->cred.realm = g_strdup(p->credentials->realm);
		c->auth = sip_auth_answers_new(&c->cred);
	}
	contact = contact_value(c);
	c->invite_headers = g_string_new(NULL);
	if (p->from_display && *p->from_display) {
		g_autofree char *display = quoted_display(p->from_display);
		g_string_append_printf(c->invite_headers, "From: %s <%s>;tag=%s\r\n", display,
		                       p->from_uri, c->local_tag);
	} else {
		g_string_append_printf(c->invite_headers, "From: <%s>;tag=%s\r\n", p->from_uri,
		                       c->local_tag);
	}
	g_string_append_printf(c->invite_headers,
	                       "To: <%s>\r\nCall-ID: %s\r\nContact: %s\r\nAllow: %s\r\n%s",
	                       p->to_uri ? p->to_uri : p->ruri, c->call_id, contact, allow,
	                       p->headers ? p->headers : "");
	*error = send_invite_round(c);
	if (*error < 0) {
		call_end(c);
		sip_call_unref(c);
		return NULL;
	}
	return c;
}

/* ---- requests within a call ---- */

/* A CANCEL of their re-INVITE (§9.2): 487, and the session stays as it was. */
static void reinvite_cancel_cb(SipTx *tx, void *user_data)
{
	SipCall *c = user_data;

	if (c->reinvite_req && sip_req_tx(c->reinvite_req) == tx)
		respond_in_call(c, c->reinvite_req, 487, NULL, NULL, NULL, NULL, 0);
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

	sip_req_respond(r, 500, NULL, ra, NULL, NULL, 0);
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

static void in_dialog(SipCall *c, SipTx *tx, const struct sip_msg *req)
{
	SipServerReq *r = sip_req_new(c->calls->ua, tx);
	int rc = sip_dialog_uas_request(c->dlg, req);

	if (rc < 0) {
		sip_req_respond(r, sip_dialog_err_status(rc), NULL, NULL, NULL, NULL, 0);
		sip_req_unref(r);
		return;
	}
	switch (req->method) {
	case SIP_METHOD_BYE:
		/* §15.1.2: what is still pending in the dialog gets 487. */
		if (c->uas && !sip_req_answered(c->invite_req))
			respond_in_call(c, c->invite_req, 487, NULL, NULL, NULL, NULL, 0);
		if (c->reinvite_req && !sip_req_answered(c->reinvite_req))
			respond_in_call(c, c->reinvite_req, 487, NULL, NULL, NULL, NULL, 0);
		call_end(c);
		/* Told before the 200: sending it frees the BYE (transaction_server.c). */
		emit(c, SIP_CALL_ENDED, req, NULL, 0);
		sip_req_respond(r, 200, NULL, NULL, NULL, NULL, 0);
		break;
	case SIP_METHOD_OPTIONS:
		sip_ua_answer_options(c->calls->ua, tx);
		break;
	case SIP_METHOD_INVITE: {
		if (our_invite_pending(c) || our_offer_pending(c) || c->state != CALL_CONFIRMED) {
			/* §14.2, RFC 3311 §5.2: our own re-INVITE or offer is in progress. */
			sip_req_respond(r, 491, NULL, NULL, NULL, NULL, 0);
			break;
		}
		if (c->ok || (c->reinvite_req && !sip_req_answered(c->reinvite_req)) ||
		    their_offer_pending(c)) {
			/* §14.2: theirs is still in progress. */
			retry_later(r);
			break;
		}
		c->reinvite_req = r;
		sip_tx_set_cancel_cb(tx, reinvite_cancel_cb, c);
	}
		/* fall through */
	case SIP_METHOD_UPDATE:
		/* RFC 3311 §5.2: an offer while another is unanswered. */
		if (req->body.l && our_offer_pending(c)) {
			sip_req_respond(r, 491, NULL, NULL, NULL, NULL, 0);
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
		emit(c, SIP_CALL_REQUEST, req, r, 0);
		/* Neither answered nor kept by the handler (we hold two references). */
		if (!sip_req_answered(r) && !sip_req_held_by_others(r, 2)) {
			/* An offer we cannot take; an INFO is taken; anything else unknown. */
			unsigned status = method == SIP_METHOD_INVITE            ? 488
			                  : method == SIP_METHOD_UPDATE && offer ? 488
			                  : method == SIP_METHOD_UPDATE || method == SIP_METHOD_INFO
			                      ? 200
			                      : 501;
			sip_req_respond(r, status, NULL, NULL, NULL, NULL, 0);
		}
		break;
	}
	}
	sip_req_unref(r);
}

gboolean sip_calls_request(SipCalls *calls, SipTx *tx, const struct sip_msg *req,
                           const SipPeer *from)
{
	SipDialog *dlg;

	if (req->to.has_tag) {
		if (sip_dialog_table_match(calls->dialogs, req, &dlg) < 0)
			return FALSE;
		SipCall *c = sip_call_ref(dialog_call(dlg));
		in_dialog(c, tx, req);
		sip_call_unref(c);
		return TRUE;
	}
	if (req->method != SIP_METHOD_INVITE)
		return FALSE;
	incoming(calls, tx, req);
	return TRUE;
}

/* The ACK of our 2xx: retransmission stops; the first one answers the call. */
static void got_ack(SipCall *c, const struct sip_msg *ack)
{
	gboolean initial = c->ok_initial;

	if (!c->ok || ack->cseq.num != c->ok_cseq)
		return; /* a copy of an ACK we had */
	ok_done(c);
	emit(c, initial ? SIP_CALL_ANSWERED : SIP_CALL_ACK, ack, NULL, 0);
	if (c->bye_after_ack && c->state != CALL_ENDED) {
		send_bye(c);
		call_end(c);
	}
}

gboolean sip_calls_stray(SipCalls *calls, const struct sip_msg *msg, const SipPeer *from)
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
		got_ack(c, msg);
	else
		resend_ack(c, msg->cseq.num); /* a 2xx copy after Timer M */
	sip_call_unref(c);
	return TRUE;
}

/* ---- the call's user ---- */

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

const SipPeer *sip_call_peer(const SipCall *c)
{
	return &c->peer;
}

const char *sip_call_id(const SipCall *c)
{
	return c->call_id;
}

const char *sip_call_state(const SipCall *c)
{
	return state_names[c->state];
}

int sip_call_request(SipCall *c, const char *method, const char *extra, const char *ctype,
                     const char *body, size_t len)
{
	g_autofree char *m = g_ascii_strup(method, -1);

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
	if (!strcmp(m, "UPDATE") && body && (our_offer_pending(c) || their_offer_pending(c)))
		return -EBUSY; /* RFC 3311 §5.2 */
	if (!c->dlg)
		return -ENOTCONN;
	return dialog_send(c, c->dlg, m, extra, ctype, body, len, NULL, NULL);
}

void sip_call_hangup(SipCall *c, unsigned status)
{
	sip_call_ref(c);
	c->hung_up = TRUE;
	if (c->state == CALL_ENDED) {
		/* nothing to say on the wire */
	} else if (c->uas && !sip_req_answered(c->invite_req)) {
		respond_in_call(c, c->invite_req, status >= 300 ? status : 480, NULL, NULL, NULL,
		                NULL, 0);
		call_end(c);
	} else if (c->uas && c->ok && c->ok_initial) {
		c->bye_after_ack = TRUE; /* §15: not before the ACK (or its timeout) */
	} else if (c->state == CALL_CONFIRMED) {
		if (c->ack_wait)
			sip_call_ack(c, NULL, NULL, 0); /* the 2xx still gets its ACK */
		answer_pending(c);
		send_bye(c);
		call_end(c);
	} else {
		c->cancel_wanted = TRUE;
		if (c->provisional)
			send_cancel(c); /* else at the first provisional response (§9.1) */
	}
	sip_call_unref(c);
}

/* ---- the table of calls ---- */

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
	g_autofree char *peer = sip_peer_to_string(&c->peer);
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
