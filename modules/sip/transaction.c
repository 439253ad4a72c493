/* modules/sip/transaction.c: the transaction layer's tables and dispatch (RFC 3261 §17.1.3,
 * §17.2.3, §9.2): which transaction a received message belongs to, reference counting and
 * termination, branch generation. The state machines themselves are in transaction_client.c
 * and transaction_server.c; this file must not decide anything a state machine decides. */
#include "transaction_private.h"

#include <string.h>

SipTxLayer *sip_txl_new(XbModule *owner, const SipTxLayerOps *ops, void *ctx)
{
	SipTxLayer *txl;

	g_return_val_if_fail(ops != NULL && ops->send != NULL && ops->request != NULL, NULL);
	txl = g_new0(SipTxLayer, 1);
	txl->owner = owner;
	txl->ops = *ops;
	txl->ctx = ctx;
	txl->timers = (SipTimers){.t1 = 500, .t2 = 4000, .t4 = 5000};
	/* The tables hold the layer's reference: tx->key is the key and lives as long. */
	txl->client = g_hash_table_new(g_str_hash, g_str_equal);
	txl->server = g_hash_table_new(g_str_hash, g_str_equal);
	txl->scratch = g_string_sized_new(128);
	txl->max_server = SIP_TXL_MAX_SERVER;
	txl->max_server_bytes = SIP_TXL_MAX_SERVER_BYTES;
	txl->dgrams = g_hash_table_new(g_int64_hash, g_int64_equal);
	xb_random_bytes(&txl->dgram_seed, sizeof(txl->dgram_seed));
	return txl;
}

void sip_txl_set_timers(SipTxLayer *txl, const SipTimers *timers)
{
	g_return_if_fail(txl != NULL && timers != NULL);
	g_return_if_fail(timers->t1 > 0 && timers->t2 >= timers->t1 && timers->t4 > 0);
	txl->timers = *timers; /* applies to the timers started from now on */
}

static void clear_timers(SipTx *tx)
{
	xb_timer_clear(&tx->rtx);
	xb_timer_clear(&tx->timeout);
	xb_timer_clear(&tx->wait);
	xb_timer_clear(&tx->trying);
}

static void drop_table(GHashTable *table)
{
	GHashTableIter it;
	gpointer value;
	GPtrArray *live = g_ptr_array_new_with_free_func((GDestroyNotify)sip_tx_unref);

	g_hash_table_iter_init(&it, table);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		SipTx *tx = value;

		clear_timers(tx);
		tx->state = SIP_TX_TERMINATED;
		tx->txl = NULL;
		g_ptr_array_add(live, tx);
	}
	g_hash_table_steal_all(table);
	g_hash_table_unref(table);
	g_ptr_array_unref(live);
}

void sip_txl_free(SipTxLayer *txl)
{
	if (!txl)
		return;
	g_queue_clear(&txl->completed);
	g_hash_table_unref(txl->dgrams);
	drop_table(txl->client);
	drop_table(txl->server);
	g_string_free(txl->scratch, TRUE);
	g_free(txl);
}

guint sip_txl_count(const SipTxLayer *txl)
{
	return g_hash_table_size(txl->client) + g_hash_table_size(txl->server);
}

/* §17.1.3: a response goes to the client transaction with its branch and CSeq method. A 2xx
 * to an INVITE whose transaction has ended (Timer M) still belongs to the TU: a forked
 * INVITE's late answers each make a dialog the UAC must ACK and BYE (§13.2.2.4). */
static void receive_response(SipTxLayer *txl, const struct sip_msg *msg, const SipFlow *from)
{
	SipTx *tx = NULL;

	if (sip_msg_tx_key(msg, false, txl->scratch) == 0)
		tx = g_hash_table_lookup(txl->client, txl->scratch->str);
	if (tx) {
		sip_txc_receive(tx, msg);
		return;
	}
	if (msg->status >= 200 && msg->status < 300 && msg->count[SIP_HDR_CSEQ] &&
	    msg->cseq.method == SIP_METHOD_INVITE) {
		if (txl->ops.stray)
			txl->ops.stray(txl->ctx, msg, from);
		return;
	}
	xb_debug("response %u matches no transaction: dropped (§17.1.3)", msg->status);
}

/* Memory stays bounded under a flood: past SIP_TXL_MAX_SERVER live server transactions, or
 * SIP_TXL_MAX_SERVER_BYTES held by them, the oldest ones that merely wait out Timer J are
 * ended early (a late retransmission of their request would then reach the TU again; new
 * requests matter more than echoes of old ones); only when every live transaction is still
 * at work is a new request answered 503 with Retry-After, statelessly (§21.5.4), and
 * forgotten. The bytes are checked when a request arrives: the response a TU sends later
 * may overshoot the limit until the next arrival makes room. */
void sip_txl_set_max_server(SipTxLayer *txl, guint max)
{
	txl->max_server = max ? max : SIP_TXL_MAX_SERVER;
}

void sip_txl_set_max_server_bytes(SipTxLayer *txl, gsize max_bytes)
{
	txl->max_server_bytes = max_bytes ? max_bytes : SIP_TXL_MAX_SERVER_BYTES;
}

void sip_txl_stats(const SipTxLayer *txl, SipTxlStats *stats)
{
	*stats = (SipTxlStats){
	    .server = g_hash_table_size(txl->server),
	    .server_bytes = txl->server_bytes,
	    .max_server = txl->max_server,
	    .max_server_bytes = txl->max_server_bytes,
	    .evicted = txl->evicted,
	    .rejected = txl->rejected,
	    .shed = txl->shed,
	};
}

void sip_txl_set_shedding(SipTxLayer *txl, gboolean on)
{
	static gint64 last_notice;

	if (on && !txl->shedding && xb_clock_now() - last_notice > 10000) {
		last_notice = xb_clock_now();
		g_message("behind on received requests: new ones without credentials get 503");
	}
	txl->shedding = on;
}

static gboolean shed(const SipTxLayer *txl, const struct sip_msg *req)
{
	return txl->shedding && req->method != SIP_METHOD_INVITE && !req->to.has_tag &&
	       !req->count[SIP_HDR_AUTHORIZATION] && !req->count[SIP_HDR_PROXY_AUTHORIZATION];
}

/* The stateless 503 with Retry-After of §21.5.4. */
static void answer_503(SipTxLayer *txl, const struct sip_msg *req, const SipFlow *from)
{
	g_autoptr(GString) out = g_string_sized_new(512);
	struct sip_mb mb;

	sip_mb_init_gstring(&mb, out);
	if (sip_msg_reply(&mb, req, 503, "Service Unavailable", NULL) < 0 ||
	    sip_mb_header(&mb, "Retry-After", "5") < 0 || sip_mb_end(&mb) < 0)
		return;
	txl->ops.send(txl->ctx, from, out->str, out->len);
}

static void overloaded(SipTxLayer *txl, const struct sip_msg *req, const SipFlow *from)
{
	static gint64 last_warning;

	txl->rejected++;
	if (xb_clock_now() - last_warning > 10000) {
		last_warning = xb_clock_now();
		g_warning("%u server transactions alive holding %" G_GSIZE_FORMAT
		          " bytes: new requests get 503 until some end",
		          g_hash_table_size(txl->server), txl->server_bytes);
	}
	answer_503(txl, req, from);
}

static gboolean over_limits(const SipTxLayer *txl, gsize need)
{
	return g_hash_table_size(txl->server) >= txl->max_server ||
	       txl->server_bytes + need > txl->max_server_bytes;
}

/* Room for a new transaction holding need bytes: end the oldest waiting ones. */
static gboolean make_room(SipTxLayer *txl, gsize need)
{
	SipTx *oldest;

	while (over_limits(txl, need)) {
		if (!(oldest = g_queue_peek_head(&txl->completed)))
			return FALSE;
		sip_tx_terminate(oldest);
		txl->evicted++;
	}
	return TRUE;
}

/* §17.2.3: a request is a retransmission of a live server transaction, an ACK for one, a
 * CANCEL for an INVITE (§9.2), or the start of a new one. */
static void receive_request(SipTxLayer *txl, struct sip_msg *msg, const SipFlow *from)
{
	g_autofree char *key = NULL;
	SipTx *tx;
	guint64 dgram = txl->dgram_next;

	txl->dgram_next = 0; /* belongs to this message only */

	if (sip_msg_tx_key(msg, true, txl->scratch) < 0) {
		xb_debug("%s without Via, Call-ID or CSeq: dropped", sip_method_name(msg->method));
		sip_msg_free(msg);
		return;
	}
	key = g_strdup(txl->scratch->str);
	tx = g_hash_table_lookup(txl->server, key);
	if (msg->method == SIP_METHOD_ACK) {
		if (tx)
			sip_txs_ack(tx, msg, from);
		else if (txl->ops.stray) /* the ACK for a 2xx is the TU's (§17.2.1) */
			txl->ops.stray(txl->ctx, msg, from);
		sip_msg_free(msg);
		return;
	}
	if (tx) {
		sip_txs_retransmission(tx);
		sip_msg_free(msg);
		return;
	}
	if (msg->method == SIP_METHOD_CANCEL && sip_txs_cancel(txl, msg, from, key))
		return;
	if (shed(txl, msg)) {
		txl->shed++;
		answer_503(txl, msg, from);
		sip_msg_free(msg);
		return;
	}
	if (!make_room(txl, sip_msg_bytes(msg) + strlen(key) + 1 + sizeof(SipTx))) {
		overloaded(txl, msg, from);
		sip_msg_free(msg);
		return;
	}
	sip_txs_new(txl, msg, from, key, from->transport == XB_TRANSPORT_UDP ? dgram : 0);
}

/* A 64-bit hash over 8 octets at a time (multiply, then fold the high half down), from a
 * per-run seed. A collision costs little: a datagram taken for a retransmission of another
 * from the same source gets that one's last response again, and its sender retransmits;
 * the seed keeps anyone from aiming at one. */
static guint64 dgram_mix(guint64 h, guint64 w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static guint64 dgram_hash(guint64 h, const void *data, size_t len)
{
	const guint8 *p = data;
	guint64 w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = dgram_mix(h, w);
	}
	w = len; /* the tail, with its length, so that trailing zeros still count */
	for (size_t i = 0; i < len; i++)
		w = w << 8 | p[i];
	return dgram_mix(h, w);
}

gboolean sip_txl_absorb_datagram(SipTxLayer *txl, const char *buf, size_t len, const SipFlow *from)
{
	guint64 h;
	SipTx *tx;

	txl->dgram_next = 0;
	if (len < 4 || memcmp(buf, "SIP/", 4) == 0 || memcmp(buf, "ACK ", 4) == 0)
		return FALSE; /* responses, and ACKs (they end INVITE transactions) */
	h = dgram_hash(txl->dgram_seed, &from->addr, from->addr_len);
	h = dgram_hash(h, buf, len);
	h = h ? h : 1; /* 0 means none */
	tx = g_hash_table_lookup(txl->dgrams, &h);
	if (!tx) {
		txl->dgram_next = h; /* for the transaction this datagram may make */
		return FALSE;
	}
	txl->absorbed++;
	sip_txs_retransmission(tx);
	return TRUE;
}

guint64 sip_txl_absorbed(const SipTxLayer *txl)
{
	return txl->absorbed;
}

void sip_txl_receive(SipTxLayer *txl, struct sip_msg *msg, const SipFlow *from)
{
	g_return_if_fail(txl != NULL && msg != NULL && from != NULL);
	if (msg->is_request) {
		receive_request(txl, msg, from);
		return;
	}
	receive_response(txl, msg, from);
	sip_msg_free(msg);
}

/* ---- transactions ---- */

static void tx_clear(gpointer data)
{
	SipTx *tx = data;

	clear_timers(tx);
	g_free(tx->key);
	g_clear_pointer(&tx->req, sip_msg_free);
	g_clear_pointer(&tx->out, g_bytes_unref);
	if (tx->ack)
		g_string_free(tx->ack, TRUE);
	g_clear_pointer(&tx->last_resp, g_bytes_unref);
	g_free(tx->to_tag);
}

SipTx *sip_tx_new(SipTxLayer *txl, gboolean server, const char *key, const SipFlow *peer)
{
	SipTx *tx = g_rc_box_new0(SipTx);

	tx->txl = txl;
	tx->server = server;
	tx->key = g_strdup(key);
	tx->peer = *peer;
	tx->reliable = sip_flow_reliable(peer);
	tx->created = xb_clock_now();
	g_hash_table_insert(server ? txl->server : txl->client, tx->key, tx);
	return tx;
}

SipTx *sip_tx_ref(SipTx *tx)
{
	return g_rc_box_acquire(tx);
}

void sip_tx_unref(SipTx *tx)
{
	if (tx)
		g_rc_box_release_full(tx, tx_clear);
}

void sip_tx_terminate(SipTx *tx)
{
	SipTxLayer *txl = tx->txl;

	if (tx->state == SIP_TX_TERMINATED)
		return;
	tx->state = SIP_TX_TERMINATED;
	clear_timers(tx);
	tx->txl = NULL;
	if (txl && tx->server) {
		txl->server_bytes -= tx->bytes;
		tx->bytes = 0;
	}
	if (txl && tx->dgram) {
		g_hash_table_remove(txl->dgrams, &tx->dgram);
		tx->dgram = 0;
	}
	if (txl && tx->completed_link) {
		g_queue_delete_link(&txl->completed, tx->completed_link);
		tx->completed_link = NULL;
	}
	if (txl && g_hash_table_steal(tx->server ? txl->server : txl->client, tx->key))
		sip_tx_unref(tx);
}

void sip_tx_account(SipTx *tx)
{
	gsize bytes = sizeof(SipTx) + strlen(tx->key) + 1;

	if (!tx->txl || !tx->server)
		return;
	/* An Accepted INVITE transaction (RFC 6026) is an answered call's: its request is the
	 * call's INVITE, kept while the call lasts, and how many there are is bounded by the
	 * calls crossbar routed, not by what strangers send. The memory cap is for the latter:
	 * counted here, a few thousand answered calls within Timer L would close the door to
	 * every new request, BYEs included. */
	if (tx->req && tx->state != SIP_TX_ACCEPTED)
		bytes += sip_msg_bytes(tx->req);
	if (tx->last_resp)
		bytes += g_bytes_get_size(tx->last_resp) + 64; /* and the GBytes */
	if (tx->to_tag)
		bytes += strlen(tx->to_tag) + 1;
	tx->txl->server_bytes += bytes - tx->bytes;
	tx->bytes = bytes;
}

int sip_tx_send(SipTx *tx, const char *buf, size_t len)
{
	SipTxLayer *txl = tx->txl;
	int r;

	if (!txl)
		return -EINVAL;
	r = txl->ops.send(txl->ctx, &tx->peer, buf, len);
	if (r < 0)
		xb_info("transaction %s: transport error: %s (§17.1.4)", tx->key, g_strerror(-r));
	return r;
}

void sip_tx_timer(SipTx *tx, XbTimer **slot, gint64 ms, XbTimerFunc func)
{
	xb_timer_clear(slot);
	*slot = xb_timer_start(tx->txl->owner, ms, func, tx);
}

const char *sip_tx_state_name(const SipTx *tx)
{
	static const char *const names[] = {
	    [SIP_TX_CALLING] = "Calling",       [SIP_TX_TRYING] = "Trying",
	    [SIP_TX_PROCEEDING] = "Proceeding", [SIP_TX_COMPLETED] = "Completed",
	    [SIP_TX_CONFIRMED] = "Confirmed",   [SIP_TX_ACCEPTED] = "Accepted",
	    [SIP_TX_TERMINATED] = "Terminated",
	};
	return names[tx->state];
}

gboolean sip_tx_is_terminated(const SipTx *tx)
{
	return tx->state == SIP_TX_TERMINATED;
}

const struct sip_msg *sip_tx_request(const SipTx *tx)
{
	return tx->req;
}

const SipFlow *sip_tx_peer(const SipTx *tx)
{
	return &tx->peer;
}

void sip_tx_detach(SipTx *tx)
{
	tx->resp_func = NULL;
	tx->resp_data = NULL;
	tx->cancel_func = NULL;
	tx->cancel_data = NULL;
}

char *sip_branch_new(void)
{
	g_autofree char *token = xb_random_hex_new(32);

	return g_strconcat(SIP_BRANCH_MAGIC, token, NULL);
}

/* The waiting timers of both sides: D, K, M (client) and I, J, L (server) end the
 * transaction when they fire. */
static void wait_end_cb(XbTimer *t, gpointer data)
{
	SipTx *tx = sip_tx_ref(data);

	tx->wait = NULL;
	sip_tx_terminate(tx);
	sip_tx_unref(tx);
}

void sip_tx_wait_then_end(SipTx *tx, gint64 ms)
{
	if (ms <= 0)
		sip_tx_terminate(tx);
	else
		sip_tx_timer(tx, &tx->wait, ms, wait_end_cb);
}
