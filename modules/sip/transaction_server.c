/* modules/sip/transaction_server.c: server transactions (RFC 3261 §17.2, RFC 6026 §7.1,
 * RFC 4320 §4): passing a new request to the TU, sending its responses, absorbing request
 * retransmissions, the ACK of a non-2xx, CANCEL (§9.2). It builds no response of its own
 * but 100 Trying to an INVITE and 200 to a matched CANCEL, and never retransmits a 2xx
 * (the UAS core does, §13.3.1.4).
 *
 * INVITE server transaction (§17.2.1 Figure 7, with RFC 6026 §7.1's Accepted state):
 *
 *   state       event                       action                              next
 *   ----------  --------------------------  ----------------------------------  ----------
 *   (network)   INVITE                      TU <- request; 100 in 200 ms        Proceeding
 *   Proceeding  200 ms, TU sent nothing     send 100 Trying                     Proceeding
 *   Proceeding  INVITE (retransmission)     resend the last 1xx (or 100 now)    Proceeding
 *   Proceeding  1xx from TU                 send                                Proceeding
 *   Proceeding  CANCEL (§9.2)               200 to the CANCEL; TU told once     Proceeding
 *   Proceeding  2xx from TU                 send; L = 64*T1                     Accepted
 *   Proceeding  300-699 from TU             send; G = T1 (UDP only); H = 64*T1  Completed
 *   Completed   INVITE (retransmission)     resend the final                    Completed
 *   Completed   Timer G                     resend the final; G = min(2G, T2)   Completed
 *   Completed   ACK                         stop G, H; I = T4 (UDP) or 0        Confirmed
 *   Completed   Timer H                     - (the ACK never came)              Terminated
 *   Confirmed   ACK, INVITE                 absorbed                            Confirmed
 *   Confirmed   Timer I                     -                                   Terminated
 *   Accepted    2xx from TU                 send (the TU's retransmissions)     Accepted
 *   Accepted    INVITE                      absorbed                            Accepted
 *   Accepted    ACK                         to the TU (ops->stray)              Accepted
 *   Accepted    Timer L                     -                                   Terminated
 *   any live    send fails (§17.2.4)        -                                   Terminated
 *
 * non-INVITE server transaction (§17.2.2 Figure 8, RFC 4320 §4.1):
 *
 *   (network)   request                     TU <- request (never a 100 here)    Trying
 *   Trying      request (retransmission)    absorbed                            Trying
 *   Trying,     100 from TU                 send (UDP: only after T2)           Proceeding
 *   Proceeding  200-699 from TU (not 408)   send; J = 64*T1 (UDP) or 0          Completed
 *   Proceeding  request (retransmission)    resend the 100                      Proceeding
 *   Completed   request (retransmission)    resend the final                    Completed
 *   Completed   Timer J                     -                                   Terminated
 */
#include "transaction_private.h"

#include <string.h>

static int resend_last(SipTx *tx)
{
	gsize len;
	const char *buf = g_bytes_get_data(tx->last_resp, &len);

	return sip_tx_send(tx, buf, len);
}

/* Keeps what a retransmitted request gets back, and our To tag for a CANCEL's 200 (§9.2)
 * and for the RFC 2543 ACK check (§17.2.3). */
static void remember(SipTx *tx, unsigned status, const char *buf, size_t len)
{
	struct sip_msg *resp = NULL;
	struct sip_err err;

	g_clear_pointer(&tx->last_resp, g_bytes_unref);
	tx->last_resp = g_bytes_new(buf, len); /* exactly its size: it may be kept 32 s */
	tx->last_status = status;
	if (tx->invite && status != 100 && sip_msg_parse(&resp, buf, len, &err) == 0 &&
	    resp->to.has_tag) {
		g_free(tx->to_tag);
		tx->to_tag = sip_pl_dup(&resp->to.tag);
	}
	g_clear_pointer(&resp, sip_msg_free);
	sip_tx_account(tx);
}

/* ---- timers ---- */

static void timer_g_cb(XbTimer *t, gpointer data)
{
	SipTx *tx = sip_tx_ref(data);

	tx->rtx = NULL;
	if (resend_last(tx) < 0) {
		sip_tx_terminate(tx);
	} else {
		tx->rtx_interval = MIN(2 * tx->rtx_interval, tx->txl->timers.t2);
		sip_tx_timer(tx, &tx->rtx, tx->rtx_interval, timer_g_cb);
	}
	sip_tx_unref(tx);
}

static void timer_h_cb(XbTimer *t, gpointer data)
{
	SipTx *tx = sip_tx_ref(data);

	tx->timeout = NULL;
	xb_info("transaction %s: Timer H: no ACK for %u", tx->key, tx->last_status);
	sip_tx_terminate(tx);
	sip_tx_unref(tx);
}

static int send_100(SipTx *tx)
{
	g_autoptr(GString) s = g_string_sized_new(512);
	struct sip_mb mb;
	int r;

	xb_timer_clear(&tx->trying);
	sip_mb_init_gstring(&mb, s);
	/* §17.2.1: no To tag is added to a 100 */
	if ((r = sip_msg_reply(&mb, tx->req, 100, NULL, NULL)) < 0 || (r = sip_mb_end(&mb)) < 0)
		return r;
	remember(tx, 100, s->str, s->len);
	if ((r = sip_tx_send(tx, s->str, s->len)) < 0)
		sip_tx_terminate(tx);
	return r;
}

static void trying_cb(XbTimer *t, gpointer data)
{
	SipTx *tx = sip_tx_ref(data);

	tx->trying = NULL;
	if (tx->state == SIP_TX_PROCEEDING && !tx->last_resp)
		send_100(tx);
	sip_tx_unref(tx);
}

/* ---- from the network ---- */

void sip_txs_new(SipTxLayer *txl, struct sip_msg *req, const SipFlow *from, const char *key,
                 guint64 dgram)
{
	SipTx *tx = sip_tx_new(txl, TRUE, key, from);

	if (dgram && !g_hash_table_contains(txl->dgrams, &dgram)) {
		tx->dgram = dgram;
		g_hash_table_insert(txl->dgrams, &tx->dgram, tx);
	}
	tx->invite = req->method == SIP_METHOD_INVITE;
	tx->state = tx->invite ? SIP_TX_PROCEEDING : SIP_TX_TRYING;
	tx->req = req;
	sip_tx_account(tx);
	/* §17.2.1: 100 Trying unless the TU answers within 200 ms; RFC 4320 §4.1: never
	 * for non-INVITE */
	if (tx->invite)
		sip_tx_timer(tx, &tx->trying, 200, trying_cb);
	sip_tx_ref(tx);
	txl->ops.request(txl->ctx, tx, tx->req, &tx->peer);
	sip_tx_unref(tx);
}

void sip_txs_retransmission(SipTx *tx)
{
	int r = 0;

	sip_tx_ref(tx);
	switch (tx->state) {
	case SIP_TX_PROCEEDING:
		if (tx->last_resp)
			r = resend_last(tx);
		else if (tx->invite) /* the client's Timer A fired: quench it now */
			r = send_100(tx);
		break;
	case SIP_TX_COMPLETED:
		r = resend_last(tx);
		break;
	default: /* Trying (RFC 4320: wait for the TU), Confirmed, Accepted: absorbed */
		break;
	}
	if (r < 0)
		sip_tx_terminate(tx);
	sip_tx_unref(tx);
}

void sip_txs_ack(SipTx *tx, const struct sip_msg *ack, const SipFlow *from)
{
	SipTxLayer *txl = tx->txl;

	/* §17.2.3: an RFC 2543 ACK matches only if its To tag is our response's */
	if (!sip_msg_rfc3261_branch(ack) && tx->to_tag &&
	    !(ack->to.has_tag && sip_pl_eq(&ack->to.tag, tx->to_tag))) {
		if (txl->ops.stray)
			txl->ops.stray(txl->ctx, ack, from);
		return;
	}
	switch (tx->state) {
	case SIP_TX_COMPLETED:
		xb_timer_clear(&tx->rtx);
		xb_timer_clear(&tx->timeout);
		tx->state = SIP_TX_CONFIRMED; /* Timer I absorbs the ACK's retransmissions */
		sip_tx_wait_then_end(tx, tx->reliable ? 0 : txl->timers.t4);
		break;
	case SIP_TX_ACCEPTED: /* RFC 6026 §7.1: the ACK for the 2xx is the TU's */
		if (txl->ops.stray)
			txl->ops.stray(txl->ctx, ack, from);
		break;
	default:
		break;
	}
}

/* §9.2: the CANCEL gets its own non-INVITE server transaction and our 200; the INVITE's TU
 * is told (once, and only while it can still answer 487). */
gboolean sip_txs_cancel(SipTxLayer *txl, struct sip_msg *msg, const SipFlow *from, const char *key)
{
	g_autoptr(GString) ok = NULL;
	g_autofree char *tag = NULL;
	struct sip_mb mb;
	SipTx *inv, *tx;

	if (sip_msg_cancel_key(msg, txl->scratch) < 0)
		return FALSE;
	inv = g_hash_table_lookup(txl->server, txl->scratch->str);
	if (!inv || !inv->invite)
		return FALSE; /* a new request: the TU answers 481 (§9.2) */

	sip_tx_ref(inv);
	tx = sip_tx_new(txl, TRUE, key, from);
	tx->state = SIP_TX_TRYING;
	tx->req = msg;
	sip_tx_account(tx);
	/* the same To tag as the INVITE's responses, when one was sent (§9.2) */
	tag = inv->to_tag ? g_strdup(inv->to_tag) : xb_random_hex_new(32);
	ok = g_string_sized_new(512);
	sip_mb_init_gstring(&mb, ok);
	if (sip_msg_reply(&mb, msg, 200, NULL, tag) < 0 || sip_mb_end(&mb) < 0) {
		xb_warning("transaction %s: cannot build the 200 for a CANCEL", inv->key);
		sip_tx_terminate(tx);
	} else {
		sip_tx_respond(tx, 200, ok->str, ok->len);
	}
	if (inv->state == SIP_TX_PROCEEDING && !inv->cancelled) {
		inv->cancelled = TRUE;
		if (inv->cancel_func)
			inv->cancel_func(inv, inv->cancel_data);
	}
	sip_tx_unref(inv);
	return TRUE;
}

/* ---- from the TU ---- */

static int invite_respond(SipTx *tx, unsigned status, const char *buf, size_t len)
{
	const SipTimers *tm = &tx->txl->timers;
	int r;

	if (tx->state == SIP_TX_ACCEPTED && status >= 200 && status < 300) {
		if ((r = sip_tx_send(tx, buf, len)) < 0) /* §13.3.1.4's retransmission */
			sip_tx_terminate(tx);
		return r;
	}
	if (tx->state != SIP_TX_PROCEEDING)
		return -EINVAL;
	xb_timer_clear(&tx->trying);
	remember(tx, status, buf, len);
	if ((r = sip_tx_send(tx, buf, len)) < 0) {
		sip_tx_terminate(tx);
		return r;
	}
	if (status < 200)
		return 0;
	if (status < 300) {
		tx->state = SIP_TX_ACCEPTED; /* Timer L */
		sip_tx_account(tx);
		sip_tx_wait_then_end(tx, 64 * tm->t1);
		return 0;
	}
	tx->state = SIP_TX_COMPLETED;
	tx->rtx_interval = tm->t1;
	if (!tx->reliable) /* Timer G */
		sip_tx_timer(tx, &tx->rtx, tm->t1, timer_g_cb);
	sip_tx_timer(tx, &tx->timeout, 64 * tm->t1, timer_h_cb);
	return 0;
}

/* RFC 4320 §4.1: no provisional but 100, and over UDP not before the client's Timer E has
 * reached T2 (T2 is a safe bound: T1 + 2*T1 + 4*T1 < T2 with the defaults); §4.2: no 408. */
static gboolean non_invite_allowed(const SipTx *tx, unsigned status)
{
	if (status == 408)
		return FALSE;
	if (status >= 200)
		return TRUE;
	if (status != 100)
		return FALSE;
	return tx->reliable || xb_clock_now() - tx->created >= tx->txl->timers.t2;
}

static int non_invite_respond(SipTx *tx, unsigned status, const char *buf, size_t len)
{
	int r;

	if (tx->state != SIP_TX_TRYING && tx->state != SIP_TX_PROCEEDING)
		return -EINVAL;
	if (!non_invite_allowed(tx, status)) {
		xb_debug("transaction %s: %u to a non-INVITE refused (RFC 4320)", tx->key, status);
		return -EINVAL;
	}
	remember(tx, status, buf, len);
	if ((r = sip_tx_send(tx, buf, len)) < 0) {
		sip_tx_terminate(tx);
		return r;
	}
	if (status < 200) {
		tx->state = SIP_TX_PROCEEDING;
		return 0;
	}
	tx->state = SIP_TX_COMPLETED; /* Timer J */
	/* For the 32 s of Timer J only the key and the final response are needed: dropping
	 * the parsed request keeps a flood of REGISTERs from holding ~7 KB each that long. */
	g_clear_pointer(&tx->req, sip_msg_free);
	sip_tx_account(tx);
	if (!tx->reliable) {
		g_queue_push_tail(&tx->txl->completed, tx);
		tx->completed_link = tx->txl->completed.tail;
	}
	sip_tx_wait_then_end(tx, tx->reliable ? 0 : 64 * tx->txl->timers.t1);
	return 0;
}

int sip_tx_respond(SipTx *tx, unsigned status, const char *buf, size_t len)
{
	int r;

	g_return_val_if_fail(tx != NULL && buf != NULL, -EINVAL);
	if (!tx->server || !tx->txl || status < 100 || status > 699)
		return -EINVAL;
	sip_tx_ref(tx);
	r = tx->invite ? invite_respond(tx, status, buf, len)
	               : non_invite_respond(tx, status, buf, len);
	sip_tx_unref(tx);
	return r;
}

void sip_tx_set_cancel_cb(SipTx *tx, SipTxCancelFunc func, void *user_data)
{
	tx->cancel_func = func;
	tx->cancel_data = user_data;
}

gboolean sip_tx_cancelled(const SipTx *tx)
{
	return tx->cancelled;
}
