/* modules/sip/transaction_private.h: the bodies of SipTxLayer and SipTx and what the three
 * transaction files share (terminate, send, the per-side entry points). Private to
 * transaction*.c and their tests; the transport and the UA core only see transaction.h. */
#pragma once

#include "transaction.h"

/* One enum for both sides; which states a transaction may take is in the figures at the top
 * of transaction_client.c and transaction_server.c. */
typedef enum {
	SIP_TX_CALLING,
	SIP_TX_TRYING,
	SIP_TX_PROCEEDING,
	SIP_TX_COMPLETED,
	SIP_TX_CONFIRMED,
	SIP_TX_ACCEPTED,
	SIP_TX_TERMINATED,
} SipTxState;

/* Live server transactions at most. Past it the oldest that only wait (non-INVITE ones in
 * Completed, holding their key and final response for Timer J) make room; when none does,
 * new requests get 503. */
#define SIP_TXL_MAX_SERVER 200000
/* ... and at most this many bytes held by them (keys, requests, last responses): a request
 * may be 64 KB, so the count alone would let 200000 of them hold gigabytes. */
#define SIP_TXL_MAX_SERVER_BYTES (64 * 1024 * 1024)

struct sip_txl {
	XbModule *owner;
	SipTxLayerOps ops;
	void *ctx;
	SipTimers timers;
	GHashTable *client; /* sip_msg_tx_key(resp, false) → SipTx (the layer's reference) */
	GHashTable *server; /* sip_msg_tx_key(req, true) → SipTx */
	GString *scratch;   /* key being built */
	guint max_server;   /* SIP_TXL_MAX_SERVER unless set otherwise */
	gsize max_server_bytes;
	gsize server_bytes; /* sum of the server transactions' SipTx.bytes */
	guint64 evicted, rejected, shed;
	gboolean shedding;  /* sip_txl_set_shedding */
	GHashTable *dgrams; /* &SipTx.dgram -> SipTx: live UDP server transactions by datagram */
	guint64 dgram_seed; /* makes dgram hashes unpredictable from outside */
	guint64 dgram_next; /* the hash of the datagram being delivered, 0 if none */
	guint64 absorbed;   /* retransmissions absorbed before parsing */
	GQueue completed;   /* non-INVITE server transactions waiting out Timer J, oldest first */
};

struct sip_tx {
	SipTxLayer *txl; /* NULL once terminated: a TU may hold the object longer */
	gboolean server;
	gboolean invite;
	gboolean reliable;
	SipTxState state;
	char *key;
	struct sip_msg *req;   /* server: as received; client: parsed from what we send */
	SipFlow peer;          /* server: where the request came from; client: where it goes */
	gint64 created;        /* on the core's clock */
	GList *completed_link; /* in txl->completed while waiting out Timer J */
	gsize bytes;           /* server: what it holds, counted in txl->server_bytes */
	guint64 dgram;         /* server over UDP: the request datagram's hash, in txl->dgrams */

	/* Timers. rtx is A, E or G; timeout is B, F or H; wait is D, I, J, K, L or M; trying is
	 * the INVITE server's 200 ms before 100 Trying (§17.2.1). */
	XbTimer *rtx, *timeout, *wait, *trying;
	gint64 rtx_interval;

	/* client */
	GBytes *out;  /* the request as given, retransmitted as is */
	GString *ack; /* §17.1.1.3: built once from the first non-2xx final */
	SipTxResponseFunc resp_func;
	void *resp_data;

	/* server */
	GBytes *last_resp; /* most recent response sent, for retransmissions */
	unsigned last_status;
	char *to_tag; /* our To tag, from the first response that carried one */
	SipTxCancelFunc cancel_func;
	void *cancel_data;
	gboolean cancelled;
};

/* transaction.c */
SipTx *sip_tx_new(SipTxLayer *txl, gboolean server, const char *key, const SipFlow *peer);
/* sip_tx_terminate (transaction.h) enters Terminated: cancels every timer, leaves the table,
 * drops the layer's reference. Inside the layer, the caller must hold its own reference if
 * it touches tx afterwards. */
/* Count again what a server transaction holds (after its request or last response
 * changed) into txl->server_bytes. */
void sip_tx_account(SipTx *tx);
/* ops->send to tx->peer; logs a failure. */
int sip_tx_send(SipTx *tx, const char *buf, size_t len);
/* Enter a waiting state (Timers D, I, J, K, L, M) for ms; 0 ends the transaction at once
 * (the reliable case). */
void sip_tx_wait_then_end(SipTx *tx, gint64 ms);
/* Restart *slot with func after ms. */
void sip_tx_timer(SipTx *tx, XbTimer **slot, gint64 ms, XbTimerFunc func);

/* transaction_client.c */
void sip_txc_receive(SipTx *tx, const struct sip_msg *resp);

/* transaction_server.c */
/* dgram: the request datagram's hash (sip_txl_absorb_datagram), 0 for none. */
void sip_txs_new(SipTxLayer *txl, struct sip_msg *req, const SipFlow *from, const char *key,
                 guint64 dgram);
void sip_txs_retransmission(SipTx *tx);
void sip_txs_ack(SipTx *tx, const struct sip_msg *ack, const SipFlow *from);
/* §9.2: TRUE when the CANCEL matched an INVITE server transaction and was answered (msg is
 * then owned by the new CANCEL transaction). */
gboolean sip_txs_cancel(SipTxLayer *txl, struct sip_msg *msg, const SipFlow *from, const char *key);
