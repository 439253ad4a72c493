/* ua.h: mod_sip's UA core, private to modules/sip/. It owns the transports and the
 * transaction layer, answers what the RFC makes the UA core answer, and serves the SIP API
 * table (crossbar/sip.h) to other modules. */
#pragma once

#include <crossbar/sip.h>

#include "transaction.h"
#include "transport.h"

typedef struct sip_ua SipUa;

typedef struct {
	GArray *listen; /* XbListenAddr */
	const char *domain;
	const char *user_agent;
	SipTimers timers;
	SipTransportConfig transport;  /* its server_header is user_agent */
	guint max_server_transactions; /* 0: the transaction layer's default */
	gsize max_transaction_bytes;   /* 0: the transaction layer's default */
} SipUaConfig;

SipUa *sip_ua_new(XbModule *owner, const SipUaConfig *cfg, GError **error);
void sip_ua_free(SipUa *ua);
void sip_ua_stats(SipUa *ua, XbCliReply *reply);
void sip_ua_calls(SipUa *ua, XbCliReply *reply);
/* The taker of new INVITEs when no module took them (sip_calls_set_fallback). */
void sip_ua_set_call_fallback(SipUa *ua, SipCallIncomingFunc func, void *user_data);
int sip_ua_send_request(SipUa *ua, const char *method, const char *ruri, const SipFlow *to,
                        const char *headers, const char *ctype, const char *body, size_t body_len,
                        SipClientFunc func, void *user_data);

/* What sip_ua_build_request makes a request of: its request line, top Via branch, the
 * header lines (From, To, Call-ID, CSeq ...), the body and Max-Forwards (0: 70). */
typedef struct {
	const char *method;
	const char *ruri;
	const char *branch;
	const char *headers;
	const char *ctype; /* NULL without a body */
	const char *body;
	size_t body_len;
	guint max_forwards;
} SipUaRequest;

/* For call.c: a request built with Via (UDP switches dest to TCP past 1300 octets,
 * §18.1.1), Max-Forwards, the given header lines, User-Agent and the body; sent as a client
 * transaction, or as it is (an ACK for a 2xx, a 2xx retransmission). */
GString *sip_ua_build_request(SipUa *ua, const SipUaRequest *req, SipFlow *dest, int *error);
SipTx *sip_ua_client_tx(SipUa *ua, const GString *req, const SipFlow *to, SipTxResponseFunc func,
                        void *user_data);
int sip_ua_send_raw(SipUa *ua, const SipFlow *to, const GString *msg);
const char *sip_ua_domain(SipUa *ua);
const char *sip_ua_user_agent(SipUa *ua);
const SipTimers *sip_ua_timers(SipUa *ua);
const char *sip_ua_sent_by(SipUa *ua, XbTransport transport, int family);
/* The Allow value (our methods and those modules took over), kept until one changes. */
const char *sip_ua_allow(SipUa *ua);
void sip_ua_answer_options(SipUa *ua, SipTx *tx);

/* Server requests (the API table's functions). */
SipServerReq *sip_req_new(SipUa *ua, SipTx *tx);
SipTx *sip_req_tx(const SipServerReq *req);
const char *sip_req_to_tag(const SipServerReq *req);
SipCall *sip_req_call(const SipServerReq *req);
void sip_req_set_call(SipServerReq *req, SipCall *call);
/* TRUE when references other than the caller's own `mine` exist. */
gboolean sip_req_held_by_others(const SipServerReq *req, int mine);
/* TRUE once a final response went (or the transaction ended). */
gboolean sip_req_answered(const SipServerReq *req);
/* The response to req, built but not sent (NULL and *error on failure), and sending it. */
GString *sip_req_build_response(SipServerReq *req, const SipResponse *resp, int *error);
int sip_req_send(SipServerReq *req, unsigned status, const GString *resp);
SipServerReq *sip_req_ref(SipServerReq *req);
void sip_req_unref(SipServerReq *req);
const struct sip_msg *sip_req_msg(const SipServerReq *req);
const SipFlow *sip_req_flow(const SipServerReq *req);
/* The public form, kept by the request. */
const SipPeer *sip_req_peer(SipServerReq *req);
int sip_req_respond(SipServerReq *req, const SipResponse *resp);
