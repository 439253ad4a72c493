/* ua.h: mod_sip's UA core, private to modules/sip/. It owns the transports and the
 * transaction layer, answers what the RFC makes the UA core answer, and serves the SIP API
 * table (sip_api.h) to other modules. */
#pragma once

#include "sip_api.h"
#include "transport.h"

typedef struct sip_ua SipUa;

typedef struct {
	GArray *listen; /* XbListenAddr */
	const char *domain;
	const char *user_agent;
	SipTimers timers;
	gint64 tcp_idle_timeout_ms;
	const char *tls_certificate;
	const char *tls_key;
	const char *tls_ca_file;
	gboolean tls_verify_peer;
} SipUaConfig;

SipUa *sip_ua_new(XbModule *owner, const SipUaConfig *cfg, GError **error);
void sip_ua_free(SipUa *ua);
void sip_ua_stats(SipUa *ua, XbCliReply *reply);
int sip_ua_send_request(SipUa *ua, const char *method, const char *ruri, const SipPeer *to,
                        const char *headers, const char *ctype, const char *body, size_t body_len,
                        SipClientFunc func, void *user_data);

/* Server requests (the API table's functions). */
SipServerReq *sip_req_ref(SipServerReq *req);
void sip_req_unref(SipServerReq *req);
const struct sip_msg *sip_req_msg(const SipServerReq *req);
const SipPeer *sip_req_peer(const SipServerReq *req);
int sip_req_respond(SipServerReq *req, unsigned status, const char *reason, const char *extra,
                    const char *ctype, const char *body, size_t body_len);
