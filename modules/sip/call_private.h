/* call_private.h: the bodies of SipCalls and SipCall and what the call*.c files share, one
 * file per operation (call.c life cycle and state table, call_uas.c, call_uac.c,
 * call_cancel.c, call_ack.c, call_request.c, call_bye.c). Private to those files: the UA
 * core and the API table only see call.h. */
#pragma once

#include "call.h"
#include "dialog.h"
#include "ua_auth.h"

/* A call's state: the table at the top of call.c gives its transitions. */
typedef enum {
	CALL_INCOMING,
	CALL_CALLING,
	CALL_EARLY,
	CALL_CONFIRMED,
	CALL_ENDED,
} CallState;

/* Our CANCEL of the INVITE we placed (§9.1). */
typedef enum {
	CALL_CANCEL_NONE,
	CALL_CANCEL_WANTED, /* hung up: CANCEL at the first provisional response */
	CALL_CANCEL_SENT,   /* the INVITE's final response is awaited for 64*T1 */
} CallCancel;

/* Which of our 2xx c->ok holds, retransmitted until its ACK (§13.3.1.4). */
typedef enum {
	CALL_OK_REFRESH,     /* a re-INVITE's: its ACK stops it */
	CALL_OK_INITIAL,     /* the initial INVITE's: its ACK answers the call */
	CALL_OK_INITIAL_BYE, /* ... and its user hung up: BYE once it is ACKed (§15) */
} CallOk;

struct sip_calls {
	SipUa *ua;
	XbModule *owner;
	SipDialogTable *dialogs; /* dialog user_data: its SipCall (borrowed) */
	GHashTable *live;        /* SipCall * -> one reference, until the call ends */
	XbModule *handler_owner;
	SipCallIncomingFunc incoming;
	void *incoming_data;
	SipCallIncomingFunc fallback; /* the channel driver's, when no module took calls */
	void *fallback_data;
};

/* One client transaction of a call: the initial INVITE (one per authentication round),
 * a request within the dialog, or a CANCEL. */
typedef struct {
	SipCall *call; /* borrowed: the call frees its pendings */
	SipTx *tx;
	char *method;
	gboolean initial;    /* a round of the initial INVITE */
	gboolean acked;      /* a 2xx to this INVITE was ACKed */
	gboolean ack_held;   /* ... or waits for call_ack: the 2xx carried the offer */
	gboolean other_fork; /* a BYE to a fork that is not the call's */
	/* to send the request again with credentials (within the dialog) */
	char *extra, *ctype, *body;
	size_t body_len;
	SipAuthAnswers *auth;
} Pending;

struct sip_call {
	SipCalls *calls;
	gboolean uas;
	CallState state;
	SipCallFunc func;
	void *user_data;
	gboolean hung_up; /* by its user: no more events */
	char *reason;     /* the Reason (RFC 3326) of what ends it, or NULL */
	SipFlow peer;     /* the flow of the initial INVITE */
	gboolean secure;  /* its Request-URI was sips */
	char *call_id;
	char *local_tag;
	SipDialog *dlg;
	GPtrArray *pending;     /* Pending *, client transactions in flight */
	GPtrArray *server_reqs; /* SipServerReq * within the call (one reference each) */

	/* UAS */
	SipServerReq *invite_req;   /* the initial INVITE */
	SipServerReq *reinvite_req; /* their last re-INVITE (borrowed from server_reqs) */
	GString *ok;                /* our 2xx to an INVITE, retransmitted until its ACK */
	SipFlow ok_peer;
	guint32 ok_cseq;
	CallOk ok_kind;
	gint64 ok_interval, ok_elapsed;
	XbTimer *ok_timer;

	/* UAC */
	Pending *invite; /* the latest round of the initial INVITE */
	char *ruri, *ctype, *body;
	size_t body_len;
	GString *invite_headers; /* From, To, Call-ID, Contact, Allow and the caller's */
	guint32 cseq;
	guint max_forwards;   /* of the initial INVITE (0: 70) */
	SipPeer *public_peer; /* peer's public form, made by call_peer */
	SipCredentials *cred; /* a copy, for requests within the dialog; NULL: none */
	SipAuthAnswers *auth;
	gboolean provisional; /* a 1xx came to the latest round */
	CallCancel cancel;
	XbTimer *cancel_timer;
	GString *ack; /* the ACK of the last 2xx, sent again for its retransmissions */
	guint32 ack_cseq;
	Pending *ack_wait;     /* an INVITE whose 2xx waits for call_ack (late offer) */
	guint32 ack_wait_cseq; /* ... and its CSeq; c->ack stays the last ACK sent meanwhile */
};

/* call.c: life cycle and helpers */
SipCall *call_new(SipCalls *calls, gboolean uas);
void call_end(SipCall *c);
void call_answer_pending(SipCall *c);
void call_emit(SipCall *c, SipCallEventType type, const struct sip_msg *msg, SipServerReq *req,
               int error);
void call_server_req_release(gpointer data);
char *call_contact_value(SipCall *c);
void call_append_contact(SipCall *c, GString *h);
char *call_split_request_line(const GString *d, const char **headers);

/* call_uas.c: the INVITE we received, and our answers to the requests of the call */
void call_incoming(SipCalls *calls, SipTx *tx, const struct sip_msg *req);
int call_uas_respond(SipCall *c, SipServerReq *r, const SipResponse *resp);

/* call_uac.c: the INVITE we placed, its rounds and forks */
void call_uac_response(SipCall *c, Pending *pd, const struct sip_msg *resp, int error);

/* call_cancel.c: CANCEL, ours and theirs */
void call_cancel_send(SipCall *c);
void call_cancel_received_cb(SipTx *tx, void *user_data);
void call_reinvite_cancel_cb(SipTx *tx, void *user_data);

/* call_ack.c: the 2xx of an INVITE and its ACK, either side, and the late offer */
void call_ok_arm(SipCall *c, GString *resp, const SipFlow *to, guint32 cseq, gboolean initial);
void call_ok_done(SipCall *c);
void call_ack_received(SipCall *c, const struct sip_msg *ack);
int call_ack_send(SipCall *c, SipDialog *dlg, guint32 cseq, GString **keep, const char *ctype,
                  const char *body, size_t len);
void call_ack_resend(SipCall *c, guint32 cseq);
void call_ack_or_hold(SipCall *c, Pending *pd, const struct sip_msg *resp);

/* call_request.c: client transactions of the call, and requests within its dialog */
Pending *call_pending_new(SipCall *c, const char *method);
void call_pending_free(gpointer data);
int call_pending_send(SipCall *c, Pending *pd, const char *ruri, const char *headers,
                      const char *ctype, const char *body, size_t len);
void call_pending_cb(SipTx *tx, const struct sip_msg *resp, int error, void *user_data);
int call_dialog_send(SipCall *c, SipDialog *dlg, const char *method, const char *extra,
                     const char *ctype, const char *body, size_t len, SipAuthAnswers *auth,
                     Pending **sent);
void call_in_dialog(SipCall *c, SipTx *tx, const struct sip_msg *req);

/* call_bye.c: ending the session */
int call_bye_send(SipCall *c);
void call_bye_with_credentials(SipCall *c, Pending *pd, const struct sip_msg *resp);
void call_bye_received(SipCall *c, SipServerReq *r, const struct sip_msg *req);
