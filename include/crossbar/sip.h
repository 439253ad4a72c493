/* sip.h: what mod_sip offers other modules (mod_registrar, voicemail's MWI) as an API table
 * published under SIP_API_NAME and fetched with xb_api_get(): taking over a method
 * (REGISTER, SUBSCRIBE), answering those requests, and sending requests of their own
 * (OPTIONS, NOTIFY, REGISTER to a trunk) as a client transaction; and call legs, for the
 * B2BUA. Messages are the parsed struct sip_msg of crossbar/sipmsg.h, whose accessors are in
 * libcrossbar. */
#pragma once

#include <crossbar/module.h>
#include <crossbar/sipmsg.h>

#define SIP_API_NAME    "sip"
#define SIP_API_VERSION 1

/* What mod_sip reports when it cannot start or its configuration is wrong. Inline, not
 * exported by mod_sip: modules never link another module. */
#define XB_SIP_ERROR (xb_sip_error_quark())
static inline GQuark xb_sip_error_quark(void)
{
	return g_quark_from_static_string("xb-sip-error-quark");
}
typedef enum {
	XB_SIP_ERROR_LISTEN,      /* a sip.listen address that cannot be used or bound */
	XB_SIP_ERROR_TLS,         /* sip.tls_certificate or sip.tls_key cannot be used */
	XB_SIP_ERROR_CONFIG,      /* a <gateways> definition is wrong */
	XB_SIP_ERROR_UNSUPPORTED, /* the OpenSSL at hand lacks something mod_sip needs */
} XbSipError;

/* What a module gives to have its request's challenges answered. realm NULL (or "")
 * answers a challenge of any realm; otherwise only that realm's. */
typedef struct {
	const char *username; /* the digest user name (a trunk's auth user) */
	const char *password;
	const char *realm;
} SipCredentials;

typedef struct sip_server_req SipServerReq;
/* An INVITE session (call.c): one call leg, as UAS (an INVITE we received) or as UAC (one
 * we placed), with its dialog. Reference counted; see the call_* entries of SipApi. */
typedef struct sip_call SipCall;

/* What happens to a call leg, told to its handler (call_set_handler). After a terminal
 * event (FAILED, CANCELLED, ENDED) no other comes; after call_hangup none at all. */
typedef enum {
	SIP_CALL_PROGRESS,  /* UAC: a 101-199 response (msg; body: early media SDP, if any) */
	SIP_CALL_ANSWERED,  /* UAC: the 2xx (msg), already ACKed. UAS: the ACK of our 2xx (msg) */
	SIP_CALL_FAILED,    /* UAC: a 300-699 (msg, status), or no answer (msg NULL, error) */
	SIP_CALL_CANCELLED, /* UAS: the caller cancelled before our final response; 487 sent */
	SIP_CALL_REQUEST,   /* in the dialog: a re-INVITE, UPDATE or INFO (msg, req): answer
	                     * req with req_respond (now or later, holding a req_ref) */
	SIP_CALL_RESPONSE,  /* the final response (msg, status) to our call_request, or error */
	SIP_CALL_ENDED,     /* BYE received (msg); or no ACK for our 2xx in 64*T1, or a 481 or
	                     * 408 to an in-dialog request (msg NULL or it, error -ETIMEDOUT
	                     * or -ENOENT): mod_sip has sent the BYE where one was due */
	SIP_CALL_ACK,       /* UAS: the ACK of our 2xx to their re-INVITE (msg; its body is
	                     * the answer when our 2xx carried the offer) */
} SipCallEventType;

typedef struct {
	SipCallEventType type;
	/* Valid during the call only, and for SIP_CALL_REQUEST only until req is answered (a
	 * non-INVITE server transaction drops its request with the final response): copy what
	 * is needed first. */
	const struct sip_msg *msg;
	unsigned status;   /* of msg when it is a response */
	SipServerReq *req; /* SIP_CALL_REQUEST only */
	int error;         /* negative errno when there is no msg to tell */
} SipCallEvent;

typedef void (*SipCallFunc)(SipCall *call, const SipCallEvent *ev, void *user_data);
/* A new INVITE outside any dialog. The handler keeps the call (call_ref) and answers it
 * with call_respond, now or later; returning FALSE lets mod_sip answer 500. Without a
 * handler, INVITEs are answered 480 (nothing to route calls). */
typedef gboolean (*SipCallIncomingFunc)(SipCall *call, void *user_data);

/* What call_place needs. from_uri, to_uri (default: ruri) and ruri are URIs without angle
 * brackets; headers are extra lines ("Name: value\r\n" each); the body is the SDP offer. */
typedef struct {
	const char *ruri;
	const SipPeer *to; /* where the INVITE goes (the trunk, the phone's flow) */
	const char *from_uri;
	const char *from_display; /* NULL: none */
	const char *to_uri;       /* NULL: ruri */
	const char *headers;      /* NULL: none */
	const char *content_type; /* NULL without a body */
	const char *body;
	size_t body_len;
	const SipCredentials *credentials; /* answer 401/407 with these; NULL: do not */
} SipCallParams;

/* A request of a method the module took over. Return TRUE when it answered (or keeps req
 * with ref to answer later); FALSE lets mod_sip answer 500. */
typedef gboolean (*SipMethodFunc)(SipServerReq *req, void *user_data);

/* The outcome of a request sent with send_request: each provisional response, then the
 * final one, or resp == NULL with error (-ETIMEDOUT after Timer B/F, a transport error, or
 * -ECANCELED when mod_sip stops with the request still waiting). */
typedef void (*SipClientFunc)(const struct sip_msg *resp, int error, void *user_data);

/* A request for send_request_auth (UAC digest): send_request's arguments plus the
 * credentials that answer a 401/407. headers must hold a CSeq line. */
typedef struct {
	const char *method;
	const char *ruri;
	const SipPeer *to;
	const char *headers;
	const char *content_type; /* NULL without a body */
	const char *body;
	size_t body_len;
	const SipCredentials *credentials; /* NULL: like send_request */
} SipRequest;

typedef struct {
	int version; /* SIP_API_VERSION */
	/* Take over a method ("REGISTER"); one module per method. */
	gboolean (*method_register)(XbModule *owner, const char *method, SipMethodFunc func,
	                            void *user_data);
	const struct sip_msg *(*req_msg)(const SipServerReq *req);
	const SipPeer *(*req_peer)(const SipServerReq *req);
	SipServerReq *(*req_ref)(SipServerReq *req);
	void (*req_unref)(SipServerReq *req);
	/* Answer: status and reason (NULL for the standard phrase), extra header lines
	 * ("Name: value\r\n" each, or NULL), a body with its type (or NULL). The UA core adds
	 * the To tag, Server, Content-Length. 0 or a negative errno. */
	int (*req_respond)(SipServerReq *req, unsigned status, const char *reason,
	                   const char *extra_headers, const char *content_type, const char *body,
	                   size_t body_len);
	/* Send an out-of-dialog request to `to`. The UA core builds Via (with a new branch),
	 * Max-Forwards, Content-Length; the caller gives the rest: the request line's URI, From
	 * (with tag), To, Call-ID, CSeq, Contact and any others, as header lines. */
	int (*send_request)(const char *method, const char *ruri, const SipPeer *to,
	                    const char *headers, const char *content_type, const char *body,
	                    size_t body_len, SipClientFunc func, void *user_data);
	/* The SIP domain (sip.domain, else the host name) and a listen address to put in
	 * Contact for a transport and family ("127.0.0.1:5060"), or NULL. */
	const char *(*domain)(void);
	const char *(*sent_by)(XbTransport transport, int family);
	/* UAC digest (ua_auth.c). Like send_request, but a 401/407 is answered by mod_sip when a
	 * challenge (the first in header order of MD5, SHA-256 or their -sess forms, qop=auth or
	 * none) suits req->credentials: the request goes again with the same Call-ID, CSeq + 1, a
	 * new branch and Authorization/Proxy-Authorization. A second challenge for a realm already
	 * answered (unless stale=true) is given to func as the final response; so is one that
	 * no challenge suits. The credentials are copied; func sees the final CSeq in resp. */
	int (*send_request_auth)(const SipRequest *req, SipClientFunc func, void *user_data);

	/* ---- INVITE sessions (call.c): the channel driver side of the B2BUA ---- */
	/* Take incoming calls; one module (the B2BUA). */
	gboolean (*call_handler_register)(XbModule *owner, SipCallIncomingFunc func,
	                                  void *user_data);
	/* Place a call: an INVITE with a new Call-ID, From tag and Contact, sent as a client
	 * transaction; 401/407 answered with p->credentials (a new CSeq each round). The
	 * returned call holds one reference for the caller; events go to func. */
	SipCall *(*call_place)(const SipCallParams *p, SipCallFunc func, void *user_data,
	                       int *error);
	SipCall *(*call_ref)(SipCall *call);
	void (*call_unref)(SipCall *call);
	void (*call_set_handler)(SipCall *call, SipCallFunc func, void *user_data);
	/* The INVITE that made the call (received, or the last one sent), the peer it came
	 * from or went to, its Call-ID, and the state: "incoming", "calling", "early",
	 * "confirmed", "ended". A request within the dialog that is neither answered nor kept
	 * (req_ref) by the handler of SIP_CALL_REQUEST gets 488 (re-INVITE, UPDATE with an
	 * offer), 200 (UPDATE without one, INFO) or 501; one still unanswered when the call ends
	 * gets 487. */
	const struct sip_msg *(*call_invite)(const SipCall *call);
	const SipPeer *(*call_peer)(const SipCall *call);
	const char *(*call_id)(const SipCall *call);
	const char *(*call_state)(const SipCall *call);
	/* UAS: answer the INVITE. A 101-199 makes an early dialog; a 2xx confirms it (mod_sip
	 * adds Contact and retransmits the 2xx until the ACK, §13.3.1.4); 300-699 ends the
	 * call. 0, -EINVAL after the final response, -ESHUTDOWN if the call is over. */
	int (*call_respond)(SipCall *call, unsigned status, const char *reason,
	                    const char *extra_headers, const char *content_type, const char *body,
	                    size_t body_len);
	/* A request within the confirmed dialog: "INVITE" (re-INVITE), "UPDATE" or "INFO"
	 * (or another method); its final response comes as SIP_CALL_RESPONSE (a 2xx to a
	 * re-INVITE is ACKed by mod_sip). -EBUSY while an INVITE transaction of the dialog is
	 * in progress (§14.1), -ENOTCONN before the dialog is confirmed. */
	int (*call_request)(SipCall *call, const char *method, const char *extra_headers,
	                    const char *content_type, const char *body, size_t body_len);
	/* End the call, whatever its state: UAS before the final response: answer status
	 * (0 means 480); UAC before a final response: CANCEL (§9.1, once a provisional
	 * came; a 2xx that crosses it is ACKed and sent a BYE); confirmed: BYE. The handler is
	 * told nothing more. */
	void (*call_hangup)(SipCall *call, unsigned status);
	/* Late offer (RFC 3264 with RFC 3261 §13.2.2.4): when an INVITE we sent had no body
	 * and its 2xx carries the offer, mod_sip holds the ACK after SIP_CALL_ANSWERED (or the
	 * re-INVITE's SIP_CALL_RESPONSE) until this gives the answer. -EINVAL when no ACK
	 * waits. Hanging up sends it without a body. */
	int (*call_ack)(SipCall *call, const char *content_type, const char *body, size_t body_len);
	/* ---- TLS server names ---- */
	/* A TLS connection opened to `to` from now on must meet a certificate that names
	 * `host` (a DNS name looked up to reach `to`; also sent as SNI). Without a name, the
	 * certificate must carry the IP address itself. Give it before sending to a server
	 * known by name (a trunk); NULL forgets it. */
	void (*tls_name)(const SipPeer *to, const char *host);
} SipApi;
