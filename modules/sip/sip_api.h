/* sip_api.h: what mod_sip offers other in-tree modules (mod_registrar, voicemail's MWI) as
 * an API table published under SIP_API_NAME: taking over a method (REGISTER, SUBSCRIBE),
 * answering those requests, and sending requests of their own (OPTIONS, NOTIFY, REGISTER
 * to a trunk) as a client transaction. Messages are the parsed struct sip_msg of msg.h; a
 * module using this table links modules/sip/libxbsipmsg.la for the accessors. */
#pragma once

#include "msg.h"
#include "transaction.h"
#include "auth_client.h" /* SipCredentials (added for send_request_auth) */

#define SIP_API_NAME    "sip"
#define SIP_API_VERSION 1

typedef struct sip_server_req SipServerReq;

/* A request of a method the module took over. Return TRUE when it answered (or keeps req
 * with ref to answer later); FALSE lets mod_sip answer 500. */
typedef gboolean (*SipMethodFunc)(SipServerReq *req, void *user_data);

/* The outcome of a request sent with send_request: each provisional response, then the
 * final one, or resp == NULL with error (-ETIMEDOUT after Timer B/F, or a transport
 * error). */
typedef void (*SipClientFunc)(const struct sip_msg *resp, int error, void *user_data);

/* Added with send_request_auth (UAC digest): a request to send, as send_request's
 * arguments plus the credentials that answer a 401/407. headers must hold a CSeq line. */
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
	/* Added for UAC digest (ua_auth.c); appended so that the table's version stays 1.
	 * Like send_request, but a 401/407 is answered by mod_sip when a challenge (the first
	 * in header order of MD5, SHA-256 or their -sess forms, qop=auth or none) suits
	 * req->credentials: the request goes again with the same Call-ID, CSeq + 1, a new
	 * branch and Authorization/Proxy-Authorization. A second challenge for a realm already
	 * answered (unless stale=true) is given to func as the final response; so is one that
	 * no challenge suits. The credentials are copied; func sees the final CSeq in resp. */
	int (*send_request_auth)(const SipRequest *req, SipClientFunc func, void *user_data);
} SipApi;
