/* ua_request.c: requests of our own outside a call (the API table's send_request) and the
 * request builder that call.c shares: Via with a fresh branch, Max-Forwards, User-Agent,
 * and the move from UDP to TCP for a request near the path MTU (§18.1.1). */
#include "ua_private.h"

#include <errno.h>
#include <string.h>

typedef struct {
	SipUa *ua;
	SipTx *tx;
	SipClientFunc func;
	void *user_data;
} ClientCall;

static void client_cb(SipTx *tx, const struct sip_msg *resp, int error, void *user_data)
{
	ClientCall *call = user_data;

	call->func(resp, error, call->user_data);
	if (!resp || resp->status >= 200) {
		g_hash_table_remove(call->ua->client_calls, call);
		g_free(call);
		sip_tx_unref(tx);
	}
}

void ua_client_calls_drop(SipUa *ua)
{
	GList *calls = g_hash_table_get_keys(ua->client_calls);

	g_hash_table_remove_all(ua->client_calls);
	for (GList *l = calls; l; l = l->next) {
		ClientCall *call = l->data;
		call->func(NULL, -ECANCELED, call->user_data);
		sip_tx_unref(call->tx);
		g_free(call);
	}
	g_list_free(calls);
}

GString *sip_ua_build_request(SipUa *ua, const SipUaRequest *req, SipFlow *dest, int *error)
{
	GString *out = NULL;
	struct sip_mb mb;
	const char *sent_by;

	for (int attempt = 0; attempt < 2; attempt++) {
		const char *proto = dest->transport == XB_TRANSPORT_UDP   ? "UDP"
		                    : dest->transport == XB_TRANSPORT_TCP ? "TCP"
		                                                          : "TLS";
		sent_by = sip_transport_sent_by(ua->tp, dest->transport, dest->addr.ss_family);
		if (!sent_by)
			sent_by =
			    sip_transport_sent_by(ua->tp, XB_TRANSPORT_UDP, dest->addr.ss_family);
		if (out)
			g_string_free(out, TRUE);
		if (!sent_by) {
			*error = -EAFNOSUPPORT;
			return NULL;
		}
		out = g_string_sized_new(512 + req->body_len);
		sip_mb_init_gstring(&mb, out);
		sip_mb_request_line(&mb, req->method, req->ruri);
		sip_mb_headerf(&mb, "Via", "SIP/2.0/%s %s;branch=%s;rport", proto, sent_by,
		               req->branch);
		sip_mb_headerf(&mb, "Max-Forwards", "%u",
		               req->max_forwards ? req->max_forwards : 70);
		g_string_append(out, req->headers ? req->headers : "");
		if (*ua->user_agent)
			sip_mb_header(&mb, "User-Agent", ua->user_agent);
		if ((req->body ? sip_mb_body(&mb, req->ctype, req->body, req->body_len)
		               : sip_mb_end(&mb)) < 0) {
			g_string_free(out, TRUE);
			*error = -ENOBUFS;
			return NULL;
		}
		/* §18.1.1: a request near the path MTU goes over a congestion-controlled
		 * transport instead. */
		if (dest->transport == XB_TRANSPORT_UDP && out->len > 1300 &&
		    sip_transport_sent_by(ua->tp, XB_TRANSPORT_TCP, dest->addr.ss_family)) {
			dest->transport = XB_TRANSPORT_TCP;
			dest->conn_id = 0;
			continue;
		}
		break;
	}
	return out;
}

SipTx *sip_ua_client_tx(SipUa *ua, const GString *req, const SipFlow *to, SipTxResponseFunc func,
                        void *user_data)
{
	return sip_tx_client_new(ua->txl, req->str, req->len, to, func, user_data);
}

int sip_ua_send_raw(SipUa *ua, const SipFlow *to, const GString *msg)
{
	return sip_transport_send(ua->tp, to, msg->str, msg->len);
}

int sip_ua_send_request(SipUa *ua, const char *method, const char *ruri, const SipFlow *to,
                        const char *headers, const char *ctype, const char *body, size_t body_len,
                        SipClientFunc func, void *user_data)
{
	SipFlow dest = *to;
	g_autofree char *branch = sip_branch_new();
	int rc = 0;
	SipUaRequest req = {
	    .method = method,
	    .ruri = ruri,
	    .branch = branch,
	    .headers = headers,
	    .ctype = ctype,
	    .body = body,
	    .body_len = body_len,
	};
	g_autoptr(GString) out = sip_ua_build_request(ua, &req, &dest, &rc);

	if (!out)
		return rc;
	ClientCall *call = g_new0(ClientCall, 1);
	call->ua = ua;
	call->func = func;
	call->user_data = user_data;
	call->tx = sip_ua_client_tx(ua, out, &dest, client_cb, call);
	if (!call->tx) {
		g_free(call);
		return -ECONNREFUSED;
	}
	g_hash_table_add(ua->client_calls, call);
	return 0;
}
