/* ua_server_req.c: the requests the UA core serves (SipServerReq, the API table's req_*
 * functions): a reference to a server transaction with the To tag of our responses,
 * and building and sending those responses. Within an INVITE session they go through
 * call_uas.c, which adds Contact and retransmits a 2xx. */
#include "ua_private.h"
#include "call.h"

#include <errno.h>
#include <string.h>

struct sip_server_req {
	int refs; /* references held, for sip_req_held_by_others (g_rc_box shows no count) */
	SipUa *ua;
	SipTx *tx;
	SipCall *call; /* the call whose dialog the request is in (or that it made), or NULL */
	SipPeer *public_peer; /* the peer's public form, made by sip_req_peer */
	gboolean final_sent;
	char to_tag[20];
};

SipServerReq *sip_req_new(SipUa *ua, SipTx *tx)
{
	SipServerReq *r = g_rc_box_new0(SipServerReq);

	r->refs = 1;
	r->ua = ua;
	r->tx = sip_tx_ref(tx);
	xb_random_hex(r->to_tag, sizeof(r->to_tag) - 1);
	return r;
}

SipServerReq *sip_req_ref(SipServerReq *r)
{
	r->refs++;
	return g_rc_box_acquire(r);
}

static void req_clear(gpointer data)
{
	SipServerReq *r = data;

	sip_tx_unref(r->tx);
	sip_peer_free(r->public_peer);
}

void sip_req_unref(SipServerReq *r)
{
	if (!r)
		return;
	r->refs--;
	g_rc_box_release_full(r, req_clear);
}

SipTx *sip_req_tx(const SipServerReq *r)
{
	return r->tx;
}

const char *sip_req_to_tag(const SipServerReq *r)
{
	return r->to_tag;
}

SipCall *sip_req_call(const SipServerReq *r)
{
	return r->call;
}

void sip_req_set_call(SipServerReq *r, SipCall *call)
{
	r->call = call;
}

gboolean sip_req_held_by_others(const SipServerReq *r, int mine)
{
	return r->refs != mine;
}

gboolean sip_req_answered(const SipServerReq *r)
{
	return r->final_sent || sip_tx_is_terminated(r->tx);
}

const struct sip_msg *sip_req_msg(const SipServerReq *r)
{
	return sip_tx_request(r->tx);
}

const SipFlow *sip_req_flow(const SipServerReq *r)
{
	return sip_tx_peer(r->tx);
}

const SipPeer *sip_req_peer(SipServerReq *r)
{
	if (!r->public_peer)
		r->public_peer = sip_flow_to_peer(sip_tx_peer(r->tx));
	return r->public_peer;
}

GString *sip_req_build_response(SipServerReq *r, const SipResponse *resp, int *error)
{
	unsigned status = resp->status;
	const struct sip_msg *req = sip_tx_request(r->tx);
	GString *out;
	struct sip_mb mb;
	int rc;

	if (!req) {
		*error = -EINVAL; /* a final response was already sent */
		return NULL;
	}
	out = g_string_sized_new(512 + resp->body_len);
	sip_mb_init_gstring(&mb, out);
	rc = sip_msg_reply(&mb, req, status,
	                   resp->reason ? resp->reason : sip_reason_default(status),
	                   status > 100 ? r->to_tag : NULL);
	if (rc == 0 && *r->ua->user_agent)
		rc = sip_mb_header(&mb, "Server", r->ua->user_agent);
	if (rc == 0 && resp->headers && *resp->headers)
		g_string_append(out, resp->headers);
	if (rc == 0)
		rc = resp->body ? sip_mb_body(&mb, resp->content_type, resp->body, resp->body_len)
		                : sip_mb_end(&mb);
	if (rc < 0) {
		g_string_free(out, TRUE);
		*error = rc;
		return NULL;
	}
	return out;
}

int sip_req_send(SipServerReq *r, unsigned status, const GString *resp)
{
	int rc = sip_tx_respond(r->tx, status, resp->str, resp->len);

	r->ua->responses++;
	if (rc == 0 && status >= 200)
		r->final_sent = TRUE;
	return rc;
}

int sip_req_respond(SipServerReq *r, const SipResponse *resp)
{
	int rc = 0;

	if (r->call) /* within an INVITE session: Contact, 2xx retransmission ... */
		return sip_call_req_respond(r->call, r, resp);
	g_autoptr(GString) out = sip_req_build_response(r, resp, &rc);
	if (!out)
		return rc;
	return sip_req_send(r, resp->status, out);
}
