/* ua_private.h: the body of SipUa and what the ua*.c files share (ua.c life cycle,
 * ua_dispatch.c, ua_server_req.c, ua_request.c, ua_api.c). Private to those files: the
 * rest of mod_sip sees ua.h. */
#pragma once

#include "ua.h"
#include "call.h"
#include "merged.h"

typedef struct {
	XbModule *owner;
	SipMethodFunc func;
	void *user_data;
} MethodHandler;

struct sip_ua {
	XbModule *owner;
	SipTransports *tp;
	SipTxLayer *txl;
	GHashTable *methods; /* upper-case name -> MethodHandler * */
	SipMerged *recent;   /* merged-request detection (§8.2.2.2), bounded */
	XbTimer *recent_prune;
	SipCalls *calls; /* INVITE sessions and the dialog table (call.c) */
	SipTimers timers;
	char *domain;
	char *user_agent;
	char *allow; /* the Allow value, NULL until asked for (sip_ua_allow) */
	guint64 requests, responses;
	GHashTable *client_calls; /* ClientCall * of send_request still waiting for a final */
};

/* ua_dispatch.c: the transaction layer's and the transports' callbacks */
int ua_send_cb(void *ctx, const SipFlow *to, const char *buf, size_t len);
void ua_request_cb(void *ctx, SipTx *tx, const struct sip_msg *req, const SipFlow *from);
void ua_stray_cb(void *ctx, const struct sip_msg *msg, const SipFlow *from);
gboolean ua_raw_cb(void *ctx, const char *buf, size_t len, const SipFlow *from);
void ua_recv_cb(void *ctx, struct sip_msg *msg, const SipFlow *from);
void ua_recent_prune_cb(XbTimer *t, gpointer user_data);

/* ua_request.c: ends the requests still waiting when the UA stops: each caller hears
 * -ECANCELED. (Every caller today is inside mod_sip; a module that sends requests is
 * unloaded before mod_sip, whose table it requires, and must not leave any waiting.) */
void ua_client_calls_drop(SipUa *ua);

/* ua_api.c: the SIP API table, published once the UA core is up */
void ua_api_publish(SipUa *ua);
void ua_api_withdraw(SipUa *ua);
