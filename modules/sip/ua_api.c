/* ua_api.c: the SIP API table (crossbar/sip.h) that mod_sip publishes for other modules:
 * plain functions that find the one UA core and call into it, and the method handlers
 * that go when their module unloads. */
#include "ua_private.h"
#include "call.h"
#include "ua_auth.h" /* UAC digest for send_request_auth */

#include <errno.h>
#include <string.h>

static SipUa *the_ua; /* for the API table's plain functions */

static gboolean api_method_register(XbModule *owner, const char *method, SipMethodFunc func,
                                    void *user_data)
{
	g_autofree char *name = g_ascii_strup(method, -1);

	if (!the_ua || g_hash_table_contains(the_ua->methods, name))
		return FALSE;
	MethodHandler *h = g_new0(MethodHandler, 1);
	h->owner = owner;
	h->func = func;
	h->user_data = user_data;
	g_hash_table_insert(the_ua->methods, g_steal_pointer(&name), h);
	g_clear_pointer(&the_ua->allow, g_free);
	return TRUE;
}

/* A request a module sent: its outcome goes to the module unless the module unloaded first
 * (owner NULL then), in which case it is dropped when the transaction ends. */
typedef struct {
	XbModule *owner;
	SipClientFunc func;
	void *user_data;
} ApiRequest;

static GHashTable *api_requests; /* ApiRequest * still waiting for a final response */

static void api_request_cb(const struct sip_msg *resp, int error, void *user_data)
{
	ApiRequest *r = user_data;
	gboolean last = !resp || resp->status >= 200;

	if (r->owner)
		r->func(resp, error, r->user_data);
	if (last) {
		if (api_requests)
			g_hash_table_remove(api_requests, r);
		g_free(r);
	}
}

/* UAC digest (ua_auth.c) answers 401/407 with the caller's credentials, if any. */
static int api_request_send(XbModule *owner, const SipRequest *req, SipClientFunc func,
                            void *user_data)
{
	if (!the_ua)
		return -ESHUTDOWN;
	if (!owner || !req || !req->method || !req->ruri || !req->to || !func)
		return -EINVAL;
	ApiRequest *r = g_new0(ApiRequest, 1);
	r->owner = owner;
	r->func = func;
	r->user_data = user_data;
	int rc = sip_ua_send_request_auth(the_ua, req, api_request_cb, r);
	if (rc < 0) {
		g_free(r);
		return rc;
	}
	if (!api_requests)
		api_requests = g_hash_table_new(NULL, NULL);
	g_hash_table_add(api_requests, r);
	return 0;
}

static int api_req_respond(SipServerReq *req, const SipResponse *resp)
{
	if (!req || !resp || resp->status < 100 || resp->status > 699)
		return -EINVAL;
	return sip_req_respond(req, resp);
}

static const char *api_domain(void)
{
	return the_ua ? the_ua->domain : "";
}

static const char *api_sent_by(XbTransport transport, int family)
{
	return the_ua ? sip_transport_sent_by(the_ua->tp, transport, family) : NULL;
}

static gboolean api_call_handler_register(XbModule *owner, SipCallIncomingFunc func,
                                          void *user_data)
{
	return the_ua && sip_calls_set_handler(the_ua->calls, owner, func, user_data);
}

static SipCall *api_call_place(const SipRequest *p, SipCallFunc func, void *user_data, int *error)
{
	if (!the_ua) {
		*error = -ESHUTDOWN;
		return NULL;
	}
	return sip_call_place(the_ua->calls, p, func, user_data, error);
}

static void api_tls_name(const SipPeer *to, const char *host)
{
	SipFlow flow;

	if (!the_ua || !to)
		return;
	sip_flow_from_peer(&flow, to);
	sip_transport_tls_name(the_ua->tp, &flow, host);
}

static const SipApi sip_api = {
    .version = SIP_API_VERSION,
    .method_register = api_method_register,
    .req_msg = sip_req_msg,
    .req_peer = sip_req_peer,
    .req_ref = sip_req_ref,
    .req_unref = sip_req_unref,
    .req_respond = api_req_respond,
    .request_send = api_request_send,
    .domain = api_domain,
    .sent_by = api_sent_by,
    .call_handler_register = api_call_handler_register,
    .call_place = api_call_place,
    .call_ref = sip_call_ref,
    .call_unref = sip_call_unref,
    .call_set_handler = sip_call_set_handler,
    .call_invite = sip_call_invite,
    .call_peer = sip_call_peer,
    .call_id = sip_call_id,
    .call_state = sip_call_state,
    .call_respond = sip_call_respond,
    .call_request = sip_call_request,
    .call_hangup = sip_call_hangup,
    .call_ack = sip_call_ack,
    .tls_name = api_tls_name,
    .req_to_tag = sip_req_to_tag,
};

/* Handlers of a module that unloads go with it. */
static void module_unloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	SipUa *ua = user_data;
	const char *name;
	GHashTableIter it;
	MethodHandler *h;

	g_variant_get(payload, "(&s)", &name);
	if (api_requests) {
		GHashTableIter ri;
		ApiRequest *r;
		g_hash_table_iter_init(&ri, api_requests);
		while (g_hash_table_iter_next(&ri, (gpointer *)&r, NULL))
			if (g_strcmp0(xb_module_name(r->owner), name) == 0)
				r->owner = NULL;
	}
	g_hash_table_iter_init(&it, ua->methods);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&h))
		if (g_strcmp0(xb_module_name(h->owner), name) == 0) {
			g_hash_table_iter_remove(&it);
			g_clear_pointer(&ua->allow, g_free);
		}
	sip_calls_module_unloaded(ua->calls, name);
}

void ua_api_publish(SipUa *ua)
{
	xb_event_subscribe(ua->owner, XB_EVENT_MODULE_UNLOADED, module_unloaded_cb, ua);
	the_ua = ua;
	xb_api_publish(ua->owner, SIP_API_NAME, &sip_api);
}

void ua_api_withdraw(SipUa *ua)
{
	if (the_ua == ua)
		the_ua = NULL;
	g_clear_pointer(&api_requests, g_hash_table_unref);
}
