/* ua_dispatch.c: where every message the transports read goes (RFC 3261 §8.2): into the
 * transaction layer, then, for a new request, through the UAS checks in the RFC's order
 * (Max-Forwards, merged requests, Require, method) to call.c, to the module that took the
 * method over, or to the UA core's own answer (OPTIONS, 405, 481, 501). */
#include "ua_private.h"
#include "call.h"
#include "merged.h"

#include <errno.h>
#include <string.h>

/* Option tags this UA understands in Require (§8.2.2.3). */
static const char *const supported_tags[] = {"path", "replaces", NULL};

/* Answer within the UA core, with optional extra header lines. */
static void respond(SipUa *ua, SipTx *tx, unsigned status, const char *reason, const char *extra)
{
	SipServerReq *r = sip_req_new(ua, tx);

	sip_req_respond(r, &(SipResponse){.status = status, .reason = reason, .headers = extra});
	sip_req_unref(r);
}

/* The merged-request memory lives as long as a transaction could (64*T1, 32 s); entries
 * also expire as requests arrive, and this frees them when none do. */
void ua_recent_prune_cb(XbTimer *t, gpointer user_data)
{
	SipUa *ua = user_data;

	sip_merged_expire(ua->recent, xb_clock_now());
	ua->recent_prune = xb_timer_start(ua->owner, 64 * ua->timers.t1, ua_recent_prune_cb, ua);
}

/* §8.2.2.3: every Require tag must be one we support; the unknown ones go back in
 * Unsupported with 420. Returns the header line, or NULL when all are known. */
static char *unsupported(const struct sip_msg *req)
{
	GString *bad = NULL;

	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_REQUIRE); h;
	     h = sip_msg_hdr_next(req, h)) {
		g_autofree char *tag = sip_pl_dup(&h->val);
		if (g_strv_contains(supported_tags, g_strstrip(tag)))
			continue;
		if (!bad)
			bad = g_string_new("Unsupported: ");
		else
			g_string_append(bad, ", ");
		g_string_append(bad, tag);
	}
	if (!bad)
		return NULL;
	g_string_append(bad, "\r\n");
	return g_string_free(bad, FALSE);
}

void sip_ua_answer_options(SipUa *ua, SipTx *tx)
{
	const char *allow = sip_ua_allow(ua);
	g_autofree char *extra =
	    g_strdup_printf("Allow: %s\r\nAccept: application/sdp\r\n"
	                    "Accept-Encoding: identity\r\n"
	                    "Accept-Language: en\r\nSupported: path, replaces\r\n",
	                    allow);
	respond(ua, tx, 200, NULL, extra);
}

void ua_request_cb(void *ctx, SipTx *tx, const struct sip_msg *req, const SipFlow *from)
{
	SipUa *ua = ctx;
	struct sip_err err;
	g_autofree char *method = sip_pl_dup(&req->method_name);
	MethodHandler *h;

	ua->requests++;
	if (req->method == SIP_METHOD_ACK)
		return; /* an ACK never gets a response */
	if (sip_msg_check_max_forwards(req, &err) < 0) {
		respond(ua, tx, err.status, err.reason, NULL);
		return;
	}
	if (sip_merged_check(ua->recent, req, xb_clock_now())) {
		respond(ua, tx, 482, "Loop Detected", NULL);
		return;
	}
	g_autofree char *unsup = unsupported(req);
	if (unsup && req->method != SIP_METHOD_CANCEL) {
		respond(ua, tx, 420, NULL, unsup);
		return;
	}
	if (req->method == SIP_METHOD_UNKNOWN) {
		const char *allow = sip_ua_allow(ua);
		g_autofree char *extra = g_strdup_printf("Allow: %s\r\n", allow);
		respond(ua, tx, 501, NULL, extra);
		return;
	}
	if (req->method == SIP_METHOD_CANCEL) {
		respond(ua, tx, 481, "Call/Transaction Does Not Exist", NULL);
		return;
	}
	/* A request within an INVITE session's dialog, or a new INVITE. */
	if (sip_calls_request(ua->calls, tx, req, from))
		return;
	/* A request inside a dialog we do not have (§12.2.2). */
	if (req->to.has_tag && !g_hash_table_contains(ua->methods, method)) {
		respond(ua, tx, 481, "Call/Transaction Does Not Exist", NULL);
		return;
	}
	h = g_hash_table_lookup(ua->methods, method);
	if (h) {
		SipServerReq *r = sip_req_new(ua, tx);
		if (!h->func(r, h->user_data))
			sip_req_respond(
			    r, &(SipResponse){.status = 500, .reason = "Server Internal Error"});
		sip_req_unref(r);
		return;
	}
	if (req->method == SIP_METHOD_OPTIONS) {
		sip_ua_answer_options(ua, tx);
		return;
	}
	/* §8.2.1: a method we know but do not serve. */
	const char *allow = sip_ua_allow(ua);
	g_autofree char *extra = g_strdup_printf("Allow: %s\r\n", allow);
	respond(ua, tx, 405, NULL, extra);
}

void ua_stray_cb(void *ctx, const struct sip_msg *msg, const SipFlow *from)
{
	SipUa *ua = ctx;

	if (sip_calls_stray(ua->calls, msg, from))
		return; /* an ACK for a 2xx, or a 2xx retransmitted after Timer M */
	g_autofree char *who = sip_flow_to_string(from);

	g_debug("%s: %s with no transaction or dialog dropped", who,
	        msg->is_request ? "request" : "response");
}

int ua_send_cb(void *ctx, const SipFlow *to, const char *buf, size_t len)
{
	SipUa *ua = ctx;
	return sip_transport_send(ua->tp, to, buf, len);
}

gboolean ua_raw_cb(void *ctx, const char *buf, size_t len, const SipFlow *from)
{
	SipUa *ua = ctx;

	return sip_txl_absorb_datagram(ua->txl, buf, len, from);
}

void ua_recv_cb(void *ctx, struct sip_msg *msg, const SipFlow *from)
{
	SipUa *ua = ctx;

	sip_txl_set_shedding(ua->txl, sip_transport_behind(ua->tp));
	sip_txl_receive(ua->txl, msg, from);
}
