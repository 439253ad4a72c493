/* transaction.h: mod_sip's transaction layer (RFC 3261 §17, with RFC 6026's Accepted states
 * and RFC 4320/4321's rules for non-INVITE). It sits between the transport, which hands it
 * parsed messages and sends its bytes, and the UA core (the TU), which it tells about new
 * requests and responses. It owns retransmissions and Timers A-M; it never builds a
 * response on its own except 100 Trying for INVITE and 200 for a matched CANCEL. */
#pragma once

#include <crossbar/crossbar.h>
#include <sys/socket.h>

#include <crossbar/sipmsg.h>
#include "flow.h"

typedef struct sip_txl SipTxLayer;
/* Reference counted. Owners: the layer holds one reference while the transaction lives
 * (until Terminated); the TU holds its own (sip_tx_client_new's result, or sip_tx_ref on the
 * tx given to ops->request). A terminated transaction's object stays valid while referenced
 * and answers every getter; sip_tx_respond on it returns -EINVAL. */
typedef struct sip_tx SipTx;

/* What the layer needs from the transport and the TU. ctx is given back to each. send and
 * request are required; stray may be NULL (such messages are then dropped). */
typedef struct {
	/* Send one complete message; 0 or a negative errno (a transport error, §17.1.4). */
	int (*send)(void *ctx, const SipFlow *to, const char *buf, size_t len);
	/* A request that starts a new server transaction (INVITE, non-INVITE, CANCEL that
	 * matched no INVITE). The TU must respond with sip_tx_respond() sooner or later; it may
	 * keep tx with sip_tx_ref(). */
	void (*request)(void *ctx, SipTx *tx, const struct sip_msg *req, const SipFlow *from);
	/* A message no transaction takes: an ACK for a 2xx (§17.2.1: it goes to the TU; also
	 * an ACK matching an INVITE server transaction in Accepted, RFC 6026 §7.1), or a 2xx
	 * to an INVITE whose client transaction already ended. */
	void (*stray)(void *ctx, const struct sip_msg *msg, const SipFlow *from);
} SipTxLayerOps;

typedef struct {
	gint64 t1, t2, t4; /* ms: 500, 4000, 5000 by default */
} SipTimers;

SipTxLayer *sip_txl_new(XbModule *owner, const SipTxLayerOps *ops, void *ctx);
void sip_txl_set_timers(SipTxLayer *txl, const SipTimers *timers);
/* Ends every transaction without telling anyone (module unload). */
void sip_txl_free(SipTxLayer *txl);
/* A parsed, validated message from the transport. The layer takes ownership of msg. */
void sip_txl_receive(SipTxLayer *txl, struct sip_msg *msg, const SipFlow *from);
/* At most max live server transactions (default 200000) holding at most max_bytes (keys,
 * requests and last responses; default 64 MB), so that a flood, of many requests or of
 * large ones, cannot grow memory without bound: at either limit the oldest non-INVITE
 * transactions that only wait out Timer J are ended to make room, and when that is not
 * enough a new request gets a stateless 503 with Retry-After. 0: the default. */
void sip_txl_set_max_server(SipTxLayer *txl, guint max);
void sip_txl_set_max_server_bytes(SipTxLayer *txl, gsize max_bytes);
/* Overload shedding, told by the transport when it is behind (its receive queue holds more
 * than a fraction of the buffer): while on, a new non-INVITE request outside a dialog (no
 * To tag) that carries no credentials (Authorization, Proxy-Authorization) is answered
 * with a stateless 503 and Retry-After (§21.5.4) and the TU never sees it. A request with
 * credentials finishes work a client already began (the second half of a digest
 * exchange), an INVITE is a call, a request within a dialog may end one, and a
 * retransmission of a live transaction gets its last response as always: these go on. */
void sip_txl_set_shedding(SipTxLayer *txl, gboolean on);
typedef struct {
	guint server;       /* live server transactions */
	gsize server_bytes; /* what they hold */
	guint max_server;   /* the limits above */
	gsize max_server_bytes;
	guint64 evicted;  /* ended early in Timer J to make room */
	guint64 rejected; /* new requests answered 503 at the limits */
	guint64 shed;     /* new requests answered 503 while shedding */
} SipTxlStats;
void sip_txl_stats(const SipTxLayer *txl, SipTxlStats *stats);
/* How many transactions are alive (for tests and `sip status`). */
guint sip_txl_count(const SipTxLayer *txl);

/* Called with each UDP datagram before it is parsed: one that is, octet for octet and from
 * the same source, the request of a live server transaction is its retransmission (§17.2.1,
 * §17.2.2) and is absorbed here (the last response sent again as the state says), which
 * costs a hash instead of a parse when a flood of retransmissions comes. TRUE when absorbed;
 * else the datagram's hash is remembered for the transaction that its delivery, next, may
 * create. */
gboolean sip_txl_absorb_datagram(SipTxLayer *txl, const char *buf, size_t len, const SipFlow *from);
/* Retransmissions absorbed so, for `sip status`. */
guint64 sip_txl_absorbed(const SipTxLayer *txl);

/* ---- transactions, both sides ---- */

SipTx *sip_tx_ref(SipTx *tx);
void sip_tx_unref(SipTx *tx);
/* "Trying", "Proceeding", "Completed", "Confirmed", "Accepted", "Terminated", "Calling". */
const char *sip_tx_state_name(const SipTx *tx);
gboolean sip_tx_is_terminated(const SipTx *tx);
/* Stop every callback to the TU (response, cancel) for good, e.g. when the call it served
 * is gone; the state machine runs on (retransmissions, ACK, timers) until Terminated. */
void sip_tx_detach(SipTx *tx);
/* End a transaction now, telling no one: e.g. the UAC core giving up on an INVITE in
 * Proceeding whose CANCEL got no final response within 64*T1 (§9.1), which Timer B no
 * longer covers. Cancels its timers and drops the layer's reference. */
void sip_tx_terminate(SipTx *tx);
/* The request that created the transaction (server: received; client: sent). A non-INVITE
 * server transaction drops it once its final response is sent: NULL from then on. */
const struct sip_msg *sip_tx_request(const SipTx *tx);
const SipFlow *sip_tx_peer(const SipTx *tx);

/* ---- server transactions (§17.2) ---- */

/* Send a complete response (built by the TU, e.g. with sip_msg_reply) and drive the state
 * machine: 1xx → Proceeding; 2xx to INVITE → Accepted (RFC 6026; the TU retransmits the
 * 2xx itself until the ACK, §13.3.1.4); 300-699 → Completed with Timer G/H (INVITE) or J
 * (non-INVITE). Returns 0, -EINVAL if no longer allowed (a final response was sent, or the
 * transaction is terminated), or the transport's error (the transaction is then
 * terminated). RFC 4320 §4 for non-INVITE: -EINVAL for 408, for a 101-199, and for 100
 * over UDP earlier than T2 after the request arrived. */
int sip_tx_respond(SipTx *tx, unsigned status, const char *buf, size_t len);
/* Told once when a CANCEL matched this INVITE server transaction (§9.2) while it had sent
 * no final response (Proceeding): the layer has already answered the CANCEL with 200 (To
 * tag: the one of the INVITE's last response, else a new one); the TU answers the INVITE
 * with 487. A CANCEL after the final response gets its 200 and changes nothing. */
typedef void (*SipTxCancelFunc)(SipTx *tx, void *user_data);
void sip_tx_set_cancel_cb(SipTx *tx, SipTxCancelFunc func, void *user_data);
/* TRUE once a CANCEL matched this INVITE server transaction in Proceeding. */
gboolean sip_tx_cancelled(const SipTx *tx);

/* ---- client transactions (§17.1) ---- */

/* Told of each response (1xx, and the final one; for INVITE also each 2xx retransmission
 * in the Accepted state), or of a failure with resp == NULL and error set: -ETIMEDOUT
 * (Timer B/F; never a made-up 408, RFC 4320), or the transport's error. After the final
 * call the transaction no longer calls back (INVITE: after a 300-699 or an error; 2xx
 * retransmissions and forks keep coming until Timer M). resp is valid during the call. */
typedef void (*SipTxResponseFunc)(SipTx *tx, const struct sip_msg *resp, int error,
                                  void *user_data);

/* Send a request as a new client transaction. buf is the complete request, with the top
 * Via's branch already unique (sip_branch_new). The layer sends it, retransmits it over
 * UDP (Timer A/E) and, for a non-2xx final response to INVITE, builds and sends the ACK
 * (§17.1.1.3). Returns a reference the caller owns, or NULL if the first send failed, buf
 * does not parse, is an ACK (never a transaction), or its branch is in use. */
SipTx *sip_tx_client_new(SipTxLayer *txl, const char *buf, size_t len, const SipFlow *to,
                         SipTxResponseFunc func, void *user_data);
/* A fresh branch parameter: "z9hG4bK" + random. g_free it. */
char *sip_branch_new(void);
