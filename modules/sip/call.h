/* call.h: mod_sip's INVITE sessions (RFC 3261 §13-§15), private to modules/sip/. A SipCall
 * is one call leg with its dialog; the UA core hands call.c new INVITEs, requests within a
 * call's dialog and ACKs for 2xx, and the SIP API table's call_* entries land here. */
#pragma once

#include "ua.h"

typedef struct sip_calls SipCalls;

SipCalls *sip_calls_new(SipUa *ua, XbModule *owner);
/* Ends every call without a word on the wire (module unload). */
void sip_calls_free(SipCalls *calls);
guint sip_calls_count(const SipCalls *calls);
/* `sip calls`: one row per live call leg. */
void sip_calls_list(SipCalls *calls, XbCliReply *reply);
gboolean sip_calls_set_handler(SipCalls *calls, XbModule *owner, SipCallIncomingFunc func,
                               void *user_data);
/* Who takes new INVITEs when no module did (sip_calls_set_handler): mod_sip's channel driver.
 * func NULL: nobody, and they get 480. */
void sip_calls_set_fallback(SipCalls *calls, SipCallIncomingFunc func, void *user_data);
void sip_calls_module_unloaded(SipCalls *calls, const char *module);

/* From the UA core, after its §8.2 checks: TRUE when call.c took the request (a new INVITE,
 * or any request within a call's dialog) and answers it. */
gboolean sip_calls_request(SipCalls *calls, SipTx *tx, const struct sip_msg *req,
                           const SipFlow *from);
/* A message no transaction took: the ACK of a 2xx, or a 2xx retransmitted after its client
 * transaction ended. TRUE when it belonged to a call. */
gboolean sip_calls_stray(SipCalls *calls, const struct sip_msg *msg, const SipFlow *from);

/* The SIP API table's call_* entries (crossbar/sip.h). */
SipCall *sip_call_place(SipCalls *calls, const SipRequest *p, SipCallFunc func, void *user_data,
                        int *error);
SipCall *sip_call_ref(SipCall *call);
void sip_call_unref(SipCall *call);
void sip_call_set_handler(SipCall *call, SipCallFunc func, void *user_data);
const struct sip_msg *sip_call_invite(const SipCall *call);
const SipFlow *sip_call_flow(const SipCall *call);
/* The public form, kept by the call. */
const SipPeer *sip_call_peer(SipCall *call);
const char *sip_call_id(const SipCall *call);
const char *sip_call_state(const SipCall *call);
/* The call's dialog ID from crossbar's side (slices valid while the call lives); FALSE
 * before it has a dialog. */
gboolean sip_call_dialog_id(const SipCall *call, struct sip_dialog_id *id);
int sip_call_respond(SipCall *call, const SipResponse *resp);
int sip_call_request(SipCall *call, const SipRequest *req);
void sip_call_hangup(SipCall *call, unsigned status);
/* The value of a Reason header (RFC 3326: 'Q.850;cause=17;text="USER_BUSY"') that the BYE,
 * the CANCEL or the final response ending the call carries; NULL for none. */
void sip_call_set_reason(SipCall *call, const char *reason);
int sip_call_ack(SipCall *call, const char *ctype, const char *body, size_t body_len);
/* req_respond on a request within a call (sip_req_call(req) == call). */
int sip_call_req_respond(SipCall *call, SipServerReq *req, const SipResponse *resp);
