/* sip.h: what mod_sip offers other modules (mod_registrar, voicemail's MWI) as an API table
 * published under SIP_API_NAME and fetched with xb_api_get(): taking over a method
 * (REGISTER, SUBSCRIBE), answering those requests, and sending requests of their own
 * (OPTIONS, NOTIFY, REGISTER to a trunk) as a client transaction; and call legs, for the
 * B2BUA. A module that uses it lists "sip" in its requires. Messages are the parsed struct sip_msg
 * of crossbar/sipmsg.h, whose accessors are in libcrossbar. */
#pragma once

#include <crossbar/module.h>
#include <crossbar/sipmsg.h>

#define SIP_API_NAME "sip"
/* The table's layout and meaning. A module checks `version == SIP_API_VERSION` and refuses
 * to load otherwise; any change to the table bumps it. */
#define SIP_API_VERSION 4

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
	XB_SIP_ERROR_DRIVER,      /* the channel driver "sip" cannot be registered */
} XbSipError;

/* Opaque, owned by mod_sip: a request of a method a module took over (method_register),
 * valid during its handler and, with req_ref, until req_unref. Peers (SipPeer) and
 * credentials (SipCredentials) are the opaque types of crossbar/sipmsg.h. */
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
 * handler, INVITEs go to mod_sip's channel driver, which routes them through the dialplan. */
typedef gboolean (*SipCallIncomingFunc)(SipCall *call, void *user_data);

/* Every request a module sends: out of any dialog (request_send), an INVITE that places a call
 * (call_place), or a request within a call's dialog (call_request). URIs are written without
 * angle brackets; headers are extra lines ("Name: value\r\n" each). Strings are copied.
 *                 request_send        call_place             call_request
 *   method        required            NULL ("INVITE")        required
 *   ruri, to      required            required               ignored (the dialog's)
 *   from_uri      ignored: in headers required (From, tag)   ignored
 *   from_display  ignored             optional               ignored
 *   to_uri        ignored: in headers optional (ruri)        ignored
 *   headers       From, To, Call-ID,  optional               optional
 *                 CSeq, Contact ...
 *   credentials   optional: answer 401/407 with them (NULL: do not)       ignored
 *   max_forwards  ignored: 70         the INVITE's (0: 70)   ignored: 70 */
typedef struct {
	const char *method;
	const char *ruri;
	const SipPeer *to; /* where it goes (a trunk, a phone's flow) */
	const char *from_uri;
	const char *from_display;
	const char *to_uri;
	const char *headers;
	const char *content_type; /* NULL without a body */
	const char *body;
	size_t body_len;
	const SipCredentials *credentials;
	guint max_forwards; /* Max-Forwards of the INVITE (RFC 3261 §8.1.1.6); 0 means 70 */
} SipRequest;

/* Every response a module sends, to a request it took over (req_respond) or to an INVITE
 * (call_respond). reason NULL gives the standard phrase; headers are extra lines. mod_sip
 * adds the To tag, Server, Contact where due, Content-Length. */
typedef struct {
	unsigned status;
	const char *reason;
	const char *headers;
	const char *content_type; /* NULL without a body */
	const char *body;
	size_t body_len;
} SipResponse;

/* A request of a method the module took over. Return TRUE when it answered (or keeps req
 * with ref to answer later); FALSE lets mod_sip answer 500. */
typedef gboolean (*SipMethodFunc)(SipServerReq *req, void *user_data);

/* The outcome of a request sent with request_send: each provisional response, then the
 * final one, or resp == NULL with error (-ETIMEDOUT after Timer B/F, a transport error, or
 * -ECANCELED when mod_sip stops with the request still waiting). Not called once the
 * module that sent the request has unloaded. */
typedef void (*SipClientFunc)(const struct sip_msg *resp, int error, void *user_data);

typedef struct {
	int version; /* SIP_API_VERSION */
	/* Take over a method ("REGISTER"); one module per method. */
	gboolean (*method_register)(XbModule *owner, const char *method, SipMethodFunc func,
	                            void *user_data);
	const struct sip_msg *(*req_msg)(const SipServerReq *req);
	const SipPeer *(*req_peer)(SipServerReq *req);
	SipServerReq *(*req_ref)(SipServerReq *req);
	void (*req_unref)(SipServerReq *req);
	/* Answer (see SipResponse). 0 or a negative errno. The peer stays the request's. */
	int (*req_respond)(SipServerReq *req, const SipResponse *resp);
	/* Send an out-of-dialog request (see SipRequest) as a client transaction. The UA core
	 * builds Via (with a new branch), Max-Forwards, Content-Length; the caller gives the
	 * request line's URI and From (with tag), To, Call-ID, CSeq, Contact and any others as
	 * header lines. With req->credentials, a 401/407 is answered by mod_sip when a challenge
	 * (the first in header order of MD5, SHA-256 or their -sess forms, qop=auth or none)
	 * suits them: the request goes again with the same Call-ID, CSeq + 1, a new branch and
	 * Authorization/Proxy-Authorization. A second challenge for a realm already answered
	 * (unless stale=true) is given to func as the final response; so is one that no
	 * challenge suits; func sees the final CSeq in resp. The owner's requests still waiting
	 * when it unloads are dropped without a call to func. 0 or a negative errno. */
	int (*request_send)(XbModule *owner, const SipRequest *req, SipClientFunc func,
	                    void *user_data);
	/* The SIP domain (sip.domain, else the host name) and a listen address to put in
	 * Contact for a transport and family ("127.0.0.1:5060"), or NULL. */
	const char *(*domain)(void);
	const char *(*sent_by)(XbTransport transport, int family);

	/* ---- INVITE sessions (call.c): the channel driver side of the B2BUA ---- */
	/* Take incoming calls away from mod_sip's channel driver; one module at most. */
	gboolean (*call_handler_register)(XbModule *owner, SipCallIncomingFunc func,
	                                  void *user_data);
	/* Place a call (see SipRequest): an INVITE with a new Call-ID, From tag and Contact,
	 * sent as a client transaction; 401/407 answered with req->credentials (a new CSeq each
	 * round). The returned call holds one reference for the caller; events go to func. */
	SipCall *(*call_place)(const SipRequest *req, SipCallFunc func, void *user_data,
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
	const SipPeer *(*call_peer)(SipCall *call);
	const char *(*call_id)(const SipCall *call);
	const char *(*call_state)(const SipCall *call);
	/* UAS: answer the INVITE. A 101-199 makes an early dialog; a 2xx confirms it (mod_sip
	 * adds Contact and retransmits the 2xx until the ACK, §13.3.1.4); 300-699 ends the
	 * call. 0, -EINVAL after the final response, -ESHUTDOWN if the call is over. */
	int (*call_respond)(SipCall *call, const SipResponse *resp);
	/* A request within the confirmed dialog (see SipRequest): "INVITE" (re-INVITE),
	 * "UPDATE" or "INFO" (or another method); its final response comes as SIP_CALL_RESPONSE (a
	 * 2xx to a re-INVITE is ACKed by mod_sip). -EBUSY while an INVITE transaction of the dialog
	 * is in progress (§14.1), -ENOTCONN before the dialog is confirmed. */
	int (*call_request)(SipCall *call, const SipRequest *req);
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
	/* ---- dialogs a module keeps itself (SUBSCRIBE) ---- */
	/* The To tag mod_sip adds to the responses (other than 100) to a request that came
	 * without one: the local tag of a dialog that a 2xx to it makes (RFC 3261 §12.1.1,
	 * RFC 6665 §4.2.1). The same for every response to req; valid while req is. */
	const char *(*req_to_tag)(const SipServerReq *req);
} SipApi;
