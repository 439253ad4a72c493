/* modules/sip/transaction_client.c: client transactions (RFC 3261 §17.1, RFC 6026 §7.2): sending
 * a request, retransmitting it over UDP, passing responses up, the ACK for a non-2xx final.
 * It never invents a response (no 408 on Timer B/F, RFC 4320 §4.2: the TU gets -ETIMEDOUT)
 * and never ACKs a 2xx, which is the UAC core's (§13.2.2.4).
 *
 * INVITE client transaction (§17.1.1.2 Figure 5, with RFC 6026 §7.2's Accepted state):
 *
 *   state       event                         action                            next
 *   ----------  ----------------------------  --------------------------------  ----------
 *   (TU)        sip_tx_client_new()           send; A = T1 (UDP only); B=64*T1  Calling
 *   Calling     Timer A                       resend; A doubles, no cap         Calling
 *   Calling     Timer B                       TU <- -ETIMEDOUT                  Terminated
 *   Calling     1xx                           stop A, B; TU <- 1xx              Proceeding
 *   Proceeding  1xx                           TU <- 1xx                         Proceeding
 *   Calling,    2xx                           stop A, B; TU <- 2xx; M = 64*T1   Accepted
 *   Proceeding  300-699                       send ACK; TU <- resp; D           Completed
 *   Completed   300-699 (retransmission)      resend the same ACK               Completed
 *   Completed   Timer D (>= 32 s UDP, 0 TCP)  -                                 Terminated
 *   Accepted    2xx (retransmission, fork)    TU <- 2xx                         Accepted
 *   Accepted    Timer M                       -                                 Terminated
 *   any live    transport error (§17.1.4)     TU <- -errno (unless told final)  Terminated
 *
 * non-INVITE client transaction (§17.1.2.2 Figure 6):
 *
 *   (TU)        sip_tx_client_new()           send; E = T1 (UDP only); F=64*T1  Trying
 *   Trying      Timer E                       resend; E = min(2E, T2)           Trying
 *   Proceeding  Timer E                       resend; E = T2                    Proceeding
 *   Trying,     1xx                           TU <- 1xx                         Proceeding
 *   Proceeding  200-699                       stop E, F; TU <- resp; K          Completed
 *               Timer F                       TU <- -ETIMEDOUT                  Terminated
 *   Completed   any response                  absorbed                          Completed
 *   Completed   Timer K (T4 UDP, 0 TCP)       -                                 Terminated
 */
#include "transaction_private.h"

static void tell_tu(SipTx *tx, const struct sip_msg *resp, int error)
{
	if (tx->resp_func)
		tx->resp_func(tx, resp, error, tx->resp_data);
}

/* §17.1.4: the TU hears of the failure, the transaction ends. */
static void fail(SipTx *tx, int error)
{
	tell_tu(tx, NULL, error);
	sip_tx_terminate(tx);
}

static int resend_request(SipTx *tx)
{
	gsize len;
	const char *buf = g_bytes_get_data(tx->out, &len);

	return sip_tx_send(tx, buf, len);
}

static gint64 timer_d_ms(const SipTx *tx)
{
	/* §17.1.1.2: at least 32 s, so that it outlasts the server's Timer H (64*T1) */
	return tx->reliable ? 0 : MAX(32000, 64 * tx->txl->timers.t1);
}

/* ---- timers ---- */

static void timer_a_cb(XbTimer *t, gpointer data)
{
	SipTx *tx = sip_tx_ref(data);
	int r;

	tx->rtx = NULL;
	if (tx->state == SIP_TX_CALLING) {
		if ((r = resend_request(tx)) < 0) {
			fail(tx, r);
		} else {
			tx->rtx_interval *= 2;
			sip_tx_timer(tx, &tx->rtx, tx->rtx_interval, timer_a_cb);
		}
	}
	sip_tx_unref(tx);
}

static void timer_e_cb(XbTimer *t, gpointer data)
{
	SipTx *tx = sip_tx_ref(data);
	const SipTimers *tm = &tx->txl->timers;
	int r;

	tx->rtx = NULL;
	if ((r = resend_request(tx)) < 0) {
		fail(tx, r);
	} else {
		/* RFC 4321 §1.2: in Proceeding the request is still resent, but only every T2 */
		if (tx->state == SIP_TX_PROCEEDING)
			tx->rtx_interval = tm->t2;
		else
			tx->rtx_interval = MIN(2 * tx->rtx_interval, tm->t2);
		sip_tx_timer(tx, &tx->rtx, tx->rtx_interval, timer_e_cb);
	}
	sip_tx_unref(tx);
}

/* Timer B (INVITE, Calling only) and Timer F (non-INVITE, Trying or Proceeding). */
static void timer_b_f_cb(XbTimer *t, gpointer data)
{
	SipTx *tx = sip_tx_ref(data);

	tx->timeout = NULL;
	xb_info("transaction %s: Timer %c: no final response", tx->key, tx->invite ? 'B' : 'F');
	fail(tx, -ETIMEDOUT);
	sip_tx_unref(tx);
}

/* ---- ACK for a non-2xx final (§17.1.1.3) ---- */

static int build_ack(const SipTx *tx, const struct sip_msg *resp, GString *out)
{
	const struct sip_msg *req = tx->req;
	const struct sip_hdr *to = sip_msg_hdr(resp, SIP_HDR_TO);
	const struct sip_hdr *h;
	g_autofree char *ruri = sip_pl_dup(&req->ruri_pl);
	struct sip_mb mb;
	int r;

	if (!to) /* a validated response has one; the original To is the closest */
		to = sip_msg_hdr(req, SIP_HDR_TO);
	sip_mb_init_gstring(&mb, out);
	if ((r = sip_mb_request_line(&mb, "ACK", ruri)) < 0)
		return r;
	/* the original's top Via only: the same branch puts the ACK in the server's
	 * transaction */
	if ((r = sip_mb_header_pl(&mb, "Via", &req->hdr[req->first[SIP_HDR_VIA]].val)) < 0)
		return r;
	if ((r = sip_mb_headerf(&mb, "Max-Forwards", "%u",
	                        req->count[SIP_HDR_MAX_FORWARDS] ? req->max_forwards : 70)) < 0)
		return r;
	for (h = sip_msg_hdr(req, SIP_HDR_ROUTE); h; h = sip_msg_hdr_next(req, h))
		if ((r = sip_mb_header_pl(&mb, "Route", &h->val)) < 0)
			return r;
	if ((h = sip_msg_hdr(req, SIP_HDR_FROM)) &&
	    (r = sip_mb_header_pl(&mb, "From", &h->val)) < 0)
		return r;
	if (to && (r = sip_mb_header_pl(&mb, "To", &to->val)) < 0)
		return r;
	if ((r = sip_mb_header_pl(&mb, "Call-ID", &req->call_id)) < 0)
		return r;
	if ((r = sip_mb_headerf(&mb, "CSeq", "%u ACK", req->cseq.num)) < 0)
		return r;
	return sip_mb_end(&mb);
}

static int send_ack(SipTx *tx)
{
	return sip_tx_send(tx, tx->ack->str, tx->ack->len);
}

/* ---- responses ---- */

static void invite_final_non2xx(SipTx *tx, const struct sip_msg *resp)
{
	int r;

	tx->ack = g_string_sized_new(512);
	if ((r = build_ack(tx, resp, tx->ack)) < 0) {
		xb_warning("transaction %s: cannot build the ACK for %u: %s", tx->key, resp->status,
		           g_strerror(-r));
		g_string_truncate(tx->ack, 0);
	}
	tx->state = SIP_TX_COMPLETED;
	r = tx->ack->len ? send_ack(tx) : 0;
	tell_tu(tx, resp, 0);
	if (r < 0 || tx->state != SIP_TX_COMPLETED)
		sip_tx_terminate(tx);
	else
		sip_tx_wait_then_end(tx, timer_d_ms(tx));
}

static void invite_receive(SipTx *tx, const struct sip_msg *resp)
{
	unsigned s = resp->status;

	switch (tx->state) {
	case SIP_TX_CALLING:
	case SIP_TX_PROCEEDING:
		/* Timer B only guards Calling (§17.1.1.2); after a 1xx the TU's Timer C does */
		xb_timer_clear(&tx->rtx);
		xb_timer_clear(&tx->timeout);
		if (s < 200) {
			tx->state = SIP_TX_PROCEEDING;
			tell_tu(tx, resp, 0);
		} else if (s < 300) {
			tx->state = SIP_TX_ACCEPTED; /* RFC 6026 §7.2: Timer M */
			sip_tx_wait_then_end(tx, 64 * tx->txl->timers.t1);
			tell_tu(tx, resp, 0);
		} else {
			invite_final_non2xx(tx, resp);
		}
		break;
	case SIP_TX_COMPLETED:
		/* a retransmitted final: our ACK was lost (§17.1.1.2) */
		if (s >= 300 && tx->ack->len && send_ack(tx) < 0)
			sip_tx_terminate(tx);
		break;
	case SIP_TX_ACCEPTED:
		if (s >= 200 && s < 300)
			tell_tu(tx, resp, 0);
		break;
	default:
		break;
	}
}

static void non_invite_receive(SipTx *tx, const struct sip_msg *resp)
{
	if (tx->state != SIP_TX_TRYING && tx->state != SIP_TX_PROCEEDING)
		return; /* Completed absorbs retransmitted finals */
	if (resp->status < 200) {
		tx->state = SIP_TX_PROCEEDING;
		tell_tu(tx, resp, 0);
		return;
	}
	xb_timer_clear(&tx->rtx);
	xb_timer_clear(&tx->timeout);
	tx->state = SIP_TX_COMPLETED;
	tell_tu(tx, resp, 0);
	if (tx->state == SIP_TX_COMPLETED) /* Timer K */
		sip_tx_wait_then_end(tx, tx->reliable ? 0 : tx->txl->timers.t4);
}

void sip_txc_receive(SipTx *tx, const struct sip_msg *resp)
{
	sip_tx_ref(tx);
	if (tx->invite)
		invite_receive(tx, resp);
	else
		non_invite_receive(tx, resp);
	sip_tx_unref(tx);
}

/* ---- creation ---- */

static struct sip_msg *parse_request(const char *buf, size_t len)
{
	struct sip_msg *req = NULL;
	struct sip_err err = {0};

	if (sip_msg_parse(&req, buf, len, &err) < 0) {
		xb_warning("client transaction: the TU's request does not parse: %u %s", err.status,
		           err.reason ? err.reason : "");
		return NULL;
	}
	if (!req->is_request || req->method == SIP_METHOD_ACK || !sip_msg_rfc3261_branch(req) ||
	    !req->count[SIP_HDR_CSEQ] || !req->count[SIP_HDR_CALL_ID]) {
		/* an ACK is never a client transaction (§17.1.1.3 builds the non-2xx one; the
		 * UAC core sends the 2xx one itself) */
		xb_warning("client transaction: not a request with a z9hG4bK branch, Call-ID "
		           "and CSeq, or an ACK");
		sip_msg_free(req);
		return NULL;
	}
	return req;
}

SipTx *sip_tx_client_new(SipTxLayer *txl, const char *buf, size_t len, const SipFlow *to,
                         SipTxResponseFunc func, void *user_data)
{
	const SipTimers *tm;
	struct sip_msg *req;
	SipTx *tx;

	g_return_val_if_fail(txl != NULL && buf != NULL && to != NULL, NULL);
	tm = &txl->timers;
	if (!(req = parse_request(buf, len)))
		return NULL;
	if (sip_msg_tx_key(req, false, txl->scratch) < 0 ||
	    g_hash_table_contains(txl->client, txl->scratch->str)) {
		xb_warning("client transaction: branch %.*s already in use", (int)req->via.branch.l,
		           req->via.branch.p);
		sip_msg_free(req);
		return NULL;
	}
	tx = sip_tx_new(txl, FALSE, txl->scratch->str, to);
	tx->invite = req->method == SIP_METHOD_INVITE;
	tx->state = tx->invite ? SIP_TX_CALLING : SIP_TX_TRYING;
	tx->req = req;
	tx->out = g_bytes_new(buf, len);
	tx->resp_func = func;
	tx->resp_data = user_data;
	sip_tx_ref(tx); /* the caller's */

	if (sip_tx_send(tx, buf, len) < 0) {
		sip_tx_terminate(tx);
		sip_tx_unref(tx);
		return NULL;
	}
	/* Timer A / E: only where the transport may lose the request */
	tx->rtx_interval = tm->t1;
	if (!tx->reliable)
		sip_tx_timer(tx, &tx->rtx, tm->t1, tx->invite ? timer_a_cb : timer_e_cb);
	/* Timer B / F */
	sip_tx_timer(tx, &tx->timeout, 64 * tm->t1, timer_b_f_cb);
	return tx;
}
