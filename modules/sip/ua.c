/* ua.c: mod_sip's UA core (RFC 3261 §8.2, §11, §12 for stray in-dialog requests): the
 * transaction user that every new request reaches. It applies the UAS checks in the RFC's
 * order (Max-Forwards, merged requests, Require, method) and answers OPTIONS itself; other
 * methods go to the module that took them over through the SIP API table. It also sends
 * out-of-dialog requests for those modules. INVITE sessions and their dialogs are in call.c:
 * requests within a dialog and ACKs for 2xx go there. */
#include "ua.h"
#include "call.h"
#include "merged.h"
#include "ua_auth.h" /* UAC digest for send_request_auth */

#include <errno.h>
#include <gio/gio.h> /* G_IO_ERROR */
#include <string.h>

/* Option tags this UA understands in Require (§8.2.2.3). */
static const char *const supported_tags[] = {"path", NULL};

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
};

struct sip_server_req {
	gatomicrefcount refs;
	SipUa *ua;
	SipTx *tx;
	SipCall *call; /* the call whose dialog the request is in (or that it made), or NULL */
	gboolean final_sent;
	char to_tag[20];
};

static SipUa *the_ua; /* for the API table's plain functions */

/* ---- answering ---- */

SipServerReq *sip_req_new(SipUa *ua, SipTx *tx)
{
	SipServerReq *r = g_new0(SipServerReq, 1);

	g_atomic_ref_count_init(&r->refs);
	r->ua = ua;
	r->tx = sip_tx_ref(tx);
	g_snprintf(r->to_tag, sizeof(r->to_tag), "%08x%08x", g_random_int(), g_random_int());
	return r;
}

SipServerReq *sip_req_ref(SipServerReq *r)
{
	g_atomic_ref_count_inc(&r->refs);
	return r;
}

void sip_req_unref(SipServerReq *r)
{
	if (!r || !g_atomic_ref_count_dec(&r->refs))
		return;
	sip_tx_unref(r->tx);
	g_free(r);
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
	return !g_atomic_ref_count_compare((gatomicrefcount *)&r->refs, mine);
}

gboolean sip_req_answered(const SipServerReq *r)
{
	return r->final_sent || sip_tx_is_terminated(r->tx);
}

const struct sip_msg *sip_req_msg(const SipServerReq *r)
{
	return sip_tx_request(r->tx);
}

const SipPeer *sip_req_peer(const SipServerReq *r)
{
	return sip_tx_peer(r->tx);
}

const char *sip_ua_allow(SipUa *ua)
{
	if (!ua->allow) { /* made again after a module takes or leaves a method */
		GString *s = g_string_new("INVITE, ACK, CANCEL, BYE, UPDATE, INFO, OPTIONS");
		g_autofree gpointer *keys = NULL;
		guint n;

		keys = g_hash_table_get_keys_as_array(ua->methods, &n);
		for (guint i = 0; i < n; i++)
			g_string_append_printf(s, ", %s", (const char *)keys[i]);
		ua->allow = g_string_free(s, FALSE);
	}
	return ua->allow;
}

GString *sip_req_build_response(SipServerReq *r, unsigned status, const char *reason,
                                const char *extra, const char *ctype, const char *body,
                                size_t body_len, int *error)
{
	const struct sip_msg *req = sip_tx_request(r->tx);
	GString *out;
	struct sip_mb mb;
	int rc;

	if (!req) {
		*error = -EINVAL; /* a final response was already sent */
		return NULL;
	}
	out = g_string_sized_new(512 + body_len);
	sip_mb_init_gstring(&mb, out);
	rc = sip_msg_reply(&mb, req, status, reason ? reason : sip_reason_default(status),
	                   status > 100 ? r->to_tag : NULL);
	if (rc == 0 && *r->ua->user_agent)
		rc = sip_mb_header(&mb, "Server", r->ua->user_agent);
	if (rc == 0 && extra && *extra)
		g_string_append(out, extra);
	if (rc == 0)
		rc = body ? sip_mb_body(&mb, ctype, body, body_len) : sip_mb_end(&mb);
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

int sip_req_respond(SipServerReq *r, unsigned status, const char *reason, const char *extra,
                    const char *ctype, const char *body, size_t body_len)
{
	int rc = 0;

	if (r->call) /* within an INVITE session: Contact, 2xx retransmission ... */
		return sip_call_req_respond(r->call, r, status, reason, extra, ctype, body,
		                            body_len);
	g_autoptr(GString) out =
	    sip_req_build_response(r, status, reason, extra, ctype, body, body_len, &rc);
	if (!out)
		return rc;
	return sip_req_send(r, status, out);
}

/* Answer within the UA core, with optional extra header lines. */
static void respond(SipUa *ua, SipTx *tx, unsigned status, const char *reason, const char *extra)
{
	SipServerReq *r = sip_req_new(ua, tx);

	sip_req_respond(r, status, reason, extra, NULL, NULL, 0);
	sip_req_unref(r);
}

/* ---- the UAS checks of §8.2 ---- */

/* The merged-request memory lives as long as a transaction could (64*T1, 32 s); entries
 * also expire as requests arrive, and this frees them when none do. */
static void recent_prune_cb(XbTimer *t, gpointer user_data)
{
	SipUa *ua = user_data;

	sip_merged_expire(ua->recent, xb_clock_now());
	ua->recent_prune = xb_timer_start(ua->owner, 64 * ua->timers.t1, recent_prune_cb, ua);
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
	g_autofree char *extra = g_strdup_printf("Allow: %s\r\nAccept: application/sdp\r\n"
	                                         "Accept-Encoding: identity\r\n"
	                                         "Accept-Language: en\r\nSupported: path\r\n",
	                                         allow);
	respond(ua, tx, 200, NULL, extra);
}

static void request_cb(void *ctx, SipTx *tx, const struct sip_msg *req, const SipPeer *from)
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
			sip_req_respond(r, 500, "Server Internal Error", NULL, NULL, NULL, 0);
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

static void stray_cb(void *ctx, const struct sip_msg *msg, const SipPeer *from)
{
	SipUa *ua = ctx;

	if (sip_calls_stray(ua->calls, msg, from))
		return; /* an ACK for a 2xx, or a 2xx retransmitted after Timer M */
	g_autofree char *who = sip_peer_to_string(from);

	g_debug("%s: %s with no transaction or dialog dropped", who,
	        msg->is_request ? "request" : "response");
}

static int send_cb(void *ctx, const SipPeer *to, const char *buf, size_t len)
{
	SipUa *ua = ctx;
	return sip_transport_send(ua->tp, to, buf, len);
}

static gboolean raw_cb(void *ctx, const char *buf, size_t len, const SipPeer *from)
{
	SipUa *ua = ctx;

	return sip_txl_absorb_datagram(ua->txl, buf, len, from);
}

static void recv_cb(void *ctx, struct sip_msg *msg, const SipPeer *from)
{
	SipUa *ua = ctx;

	sip_txl_set_shedding(ua->txl, sip_transport_behind(ua->tp));
	sip_txl_receive(ua->txl, msg, from);
}

/* ---- requests of our own ---- */

typedef struct {
	SipClientFunc func;
	void *user_data;
} ClientCall;

static void client_cb(SipTx *tx, const struct sip_msg *resp, int error, void *user_data)
{
	ClientCall *call = user_data;

	call->func(resp, error, call->user_data);
	if (!resp || resp->status >= 200) {
		g_free(call);
		sip_tx_unref(tx);
	}
}

GString *sip_ua_build_request(SipUa *ua, const char *method, const char *ruri, SipPeer *dest,
                              const char *branch, const char *headers, const char *ctype,
                              const char *body, size_t body_len, int *error)
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
		out = g_string_sized_new(512 + body_len);
		sip_mb_init_gstring(&mb, out);
		sip_mb_request_line(&mb, method, ruri);
		sip_mb_headerf(&mb, "Via", "SIP/2.0/%s %s;branch=%s;rport", proto, sent_by, branch);
		sip_mb_header(&mb, "Max-Forwards", "70");
		g_string_append(out, headers ? headers : "");
		if (*ua->user_agent)
			sip_mb_header(&mb, "User-Agent", ua->user_agent);
		if ((body ? sip_mb_body(&mb, ctype, body, body_len) : sip_mb_end(&mb)) < 0) {
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

SipTx *sip_ua_client_tx(SipUa *ua, const GString *req, const SipPeer *to, SipTxResponseFunc func,
                        void *user_data)
{
	return sip_tx_client_new(ua->txl, req->str, req->len, to, func, user_data);
}

int sip_ua_send_raw(SipUa *ua, const SipPeer *to, const GString *msg)
{
	return sip_transport_send(ua->tp, to, msg->str, msg->len);
}

int sip_ua_send_request(SipUa *ua, const char *method, const char *ruri, const SipPeer *to,
                        const char *headers, const char *ctype, const char *body, size_t body_len,
                        SipClientFunc func, void *user_data)
{
	SipPeer dest = *to;
	g_autofree char *branch = sip_branch_new();
	int rc = 0;
	g_autoptr(GString) out = sip_ua_build_request(ua, method, ruri, &dest, branch, headers,
	                                              ctype, body, body_len, &rc);

	if (!out)
		return rc;
	ClientCall *call = g_new0(ClientCall, 1);
	call->func = func;
	call->user_data = user_data;
	SipTx *tx = sip_ua_client_tx(ua, out, &dest, client_cb, call);
	if (!tx) {
		g_free(call);
		return -ECONNREFUSED;
	}
	return 0;
}

const char *sip_ua_domain(SipUa *ua)
{
	return ua->domain;
}

const char *sip_ua_user_agent(SipUa *ua)
{
	return ua->user_agent;
}

const SipTimers *sip_ua_timers(SipUa *ua)
{
	return &ua->timers;
}

const char *sip_ua_sent_by(SipUa *ua, XbTransport transport, int family)
{
	return sip_transport_sent_by(ua->tp, transport, family);
}

/* ---- the API table ---- */

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

static int api_send_request(const char *method, const char *ruri, const SipPeer *to,
                            const char *headers, const char *ctype, const char *body,
                            size_t body_len, SipClientFunc func, void *user_data)
{
	if (!the_ua)
		return -ESHUTDOWN;
	return sip_ua_send_request(the_ua, method, ruri, to, headers, ctype, body, body_len, func,
	                           user_data);
}

/* UAC digest (ua_auth.c): send_request that answers 401/407 with the caller's credentials. */
static int api_send_request_auth(const SipRequest *req, SipClientFunc func, void *user_data)
{
	if (!the_ua)
		return -ESHUTDOWN;
	return sip_ua_send_request_auth(the_ua, req, func, user_data);
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

static SipCall *api_call_place(const SipCallParams *p, SipCallFunc func, void *user_data,
                               int *error)
{
	if (!the_ua) {
		*error = -ESHUTDOWN;
		return NULL;
	}
	return sip_call_place(the_ua->calls, p, func, user_data, error);
}

static void api_tls_name(const SipPeer *to, const char *host)
{
	if (the_ua)
		sip_transport_tls_name(the_ua->tp, to, host);
}

static const SipApi sip_api = {
    .version = SIP_API_VERSION,
    .method_register = api_method_register,
    .req_msg = sip_req_msg,
    .req_peer = sip_req_peer,
    .req_ref = sip_req_ref,
    .req_unref = sip_req_unref,
    .req_respond = sip_req_respond,
    .send_request = api_send_request,
    .domain = api_domain,
    .sent_by = api_sent_by,
    .send_request_auth = api_send_request_auth, /* UAC digest */
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
};

/* Handlers of a module that unloads go with it. */
static void module_unloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	SipUa *ua = user_data;
	const char *name;
	GHashTableIter it;
	MethodHandler *h;

	g_variant_get(payload, "(&s)", &name);
	g_hash_table_iter_init(&it, ua->methods);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&h))
		if (g_strcmp0(xb_module_name(h->owner), name) == 0) {
			g_hash_table_iter_remove(&it);
			g_clear_pointer(&ua->allow, g_free);
		}
	sip_calls_module_unloaded(ua->calls, name);
}

/* ---- life cycle ---- */

SipUa *sip_ua_new(XbModule *owner, const SipUaConfig *cfg, GError **error)
{
	SipUa *ua = g_new0(SipUa, 1);
	static const SipTxLayerOps ops = {
	    .send = send_cb, .request = request_cb, .stray = stray_cb};
	SipTransportConfig tcfg = cfg->transport;

	tcfg.server_header = cfg->user_agent;
	ua->owner = owner;
	ua->domain = g_strdup(cfg->domain && *cfg->domain ? cfg->domain : g_get_host_name());
	ua->user_agent = g_strdup(cfg->user_agent ? cfg->user_agent : "");
	ua->methods = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ua->txl = sip_txl_new(owner, &ops, ua);
	sip_txl_set_timers(ua->txl, &cfg->timers);
	sip_txl_set_max_server(ua->txl, cfg->max_server_transactions);
	sip_txl_set_max_server_bytes(ua->txl, cfg->max_transaction_bytes);
	ua->timers = cfg->timers;
	ua->recent = sip_merged_new(0, 64 * cfg->timers.t1);
	if (!ua->recent) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		            "OpenSSL offers no SipHash (needed for merged-request detection)");
		sip_ua_free(ua);
		return NULL;
	}
	ua->calls = sip_calls_new(ua, owner);
	ua->tp = sip_transports_new(owner, &tcfg, recv_cb, ua);
	sip_transports_set_raw(ua->tp, raw_cb);
	if (!sip_transports_listen(ua->tp, cfg->listen, error)) {
		sip_ua_free(ua);
		return NULL;
	}
	ua->recent_prune = xb_timer_start(owner, 64 * ua->timers.t1, recent_prune_cb, ua);
	xb_event_subscribe(owner, XB_EVENT_MODULE_UNLOADED, module_unloaded_cb, ua);
	the_ua = ua;
	xb_api_publish(owner, SIP_API_NAME, &sip_api);
	return ua;
}

void sip_ua_free(SipUa *ua)
{
	if (!ua)
		return;
	if (the_ua == ua)
		the_ua = NULL;
	xb_timer_clear(&ua->recent_prune);
	sip_calls_free(ua->calls);
	sip_txl_free(ua->txl);
	sip_transports_free(ua->tp);
	g_hash_table_unref(ua->methods);
	sip_merged_free(ua->recent);
	g_free(ua->domain);
	g_free(ua->user_agent);
	g_free(ua->allow);
	g_free(ua);
}

void sip_ua_calls(SipUa *ua, XbCliReply *r)
{
	sip_calls_list(ua->calls, r);
}

void sip_ua_stats(SipUa *ua, XbCliReply *r)
{
	xb_cli_reply_field(r, "domain", g_variant_new_string(ua->domain));
	xb_cli_reply_field(r, "requests_received", g_variant_new_int64((gint64)ua->requests));
	xb_cli_reply_field(r, "responses_sent", g_variant_new_int64((gint64)ua->responses));
	SipTxlStats tx;

	sip_txl_stats(ua->txl, &tx);
	xb_cli_reply_field(r, "transactions", g_variant_new_int64(sip_txl_count(ua->txl)));
	xb_cli_reply_field(r, "server_transactions", g_variant_new_int64(tx.server));
	xb_cli_reply_field(r, "max_server_transactions", g_variant_new_int64(tx.max_server));
	xb_cli_reply_field(r, "server_transaction_bytes",
	                   g_variant_new_int64((gint64)tx.server_bytes));
	xb_cli_reply_field(r, "max_server_transaction_bytes",
	                   g_variant_new_int64((gint64)tx.max_server_bytes));
	xb_cli_reply_field(r, "transactions_evicted", g_variant_new_int64((gint64)tx.evicted));
	xb_cli_reply_field(r, "requests_rejected_503", g_variant_new_int64((gint64)tx.rejected));
	xb_cli_reply_field(r, "requests_shed_503",
	                   g_variant_new_int64((gint64)(tx.shed + sip_transport_shed(ua->tp))));
	xb_cli_reply_field(r, "retransmissions_absorbed",
	                   g_variant_new_int64((gint64)sip_txl_absorbed(ua->txl)));
	xb_cli_reply_field(r, "requests_dropped_behind",
	                   g_variant_new_int64((gint64)sip_transport_dropped_behind(ua->tp)));
	xb_cli_reply_field(r, "merged_table_entries",
	                   g_variant_new_int64(sip_merged_count(ua->recent)));
	xb_cli_reply_field(r, "max_merged_table_entries",
	                   g_variant_new_int64(sip_merged_max(ua->recent)));
	xb_cli_reply_field(r, "merged_table_bytes",
	                   g_variant_new_int64((gint64)sip_merged_bytes(ua->recent)));
	xb_cli_reply_field(r, "calls", g_variant_new_int64(sip_calls_count(ua->calls)));
	xb_cli_reply_field(r, "connections",
	                   g_variant_new_int64(sip_transport_connections(ua->tp)));
	xb_cli_reply_field(r, "connection_buffers_kib",
	                   g_variant_new_int64((gint64)sip_transport_buffered(ua->tp) / 1024));
}
