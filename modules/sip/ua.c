/* ua.c: mod_sip's UA core (RFC 3261 §8.2, §11, §12 for stray in-dialog requests): the
 * transaction user that every new request reaches. It applies the UAS checks in the RFC's
 * order (Max-Forwards, merged requests, Require, method) and answers OPTIONS itself; other
 * methods go to the module that took them over through the SIP API table. It also sends
 * out-of-dialog requests for those modules. INVITE sessions and their dialogs are in call.c:
 * requests within a dialog and ACKs for 2xx go there.
 *
 * This file makes and frees the UA core and answers what it is asked about (domain, timers,
 * Allow, statistics); the dispatch of what arrives is ua_dispatch.c's, the requests it
 * serves ua_server_req.c's, those it sends ua_request.c's, the API table ua_api.c's. */
#include "ua_private.h"

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

const char *sip_ua_allow(SipUa *ua)
{
	if (!ua->allow) { /* made again after a module takes or leaves a method */
		GString *s = g_string_new("INVITE, ACK, CANCEL, BYE, UPDATE, INFO, OPTIONS, REFER");
		g_autofree gpointer *keys = NULL;
		guint n;

		keys = g_hash_table_get_keys_as_array(ua->methods, &n);
		for (guint i = 0; i < n; i++)
			g_string_append_printf(s, ", %s", (const char *)keys[i]);
		ua->allow = g_string_free(s, FALSE);
	}
	return ua->allow;
}

SipUa *sip_ua_new(XbModule *owner, const SipUaConfig *cfg, GError **error)
{
	SipUa *ua = g_new0(SipUa, 1);
	static const SipTxLayerOps ops = {
	    .send = ua_send_cb, .request = ua_request_cb, .stray = ua_stray_cb};
	SipTransportConfig tcfg = cfg->transport;

	tcfg.server_header = cfg->user_agent;
	ua->owner = owner;
	ua->domain = g_strdup(cfg->domain && *cfg->domain ? cfg->domain : g_get_host_name());
	ua->user_agent = g_strdup(cfg->user_agent ? cfg->user_agent : "");
	ua->methods = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ua->client_calls = g_hash_table_new(NULL, NULL);
	ua->txl = sip_txl_new(owner, &ops, ua);
	sip_txl_set_timers(ua->txl, &cfg->timers);
	sip_txl_set_max_server(ua->txl, cfg->max_server_transactions);
	sip_txl_set_max_server_bytes(ua->txl, cfg->max_transaction_bytes);
	ua->timers = cfg->timers;
	ua->recent = sip_merged_new(0, 64 * cfg->timers.t1);
	if (!ua->recent) {
		g_set_error(error, XB_SIP_ERROR, XB_SIP_ERROR_UNSUPPORTED,
		            "OpenSSL offers no SipHash (needed for merged-request detection)");
		sip_ua_free(ua);
		return NULL;
	}
	ua->calls = sip_calls_new(ua, owner);
	ua->tp = sip_transports_new(owner, &tcfg, ua_recv_cb, ua);
	sip_transports_set_raw(ua->tp, ua_raw_cb);
	if (!sip_transports_listen(ua->tp, cfg->listen, error)) {
		sip_ua_free(ua);
		return NULL;
	}
	ua->recent_prune = xb_timer_start(owner, 64 * ua->timers.t1, ua_recent_prune_cb, ua);
	ua_api_publish(ua);
	return ua;
}

void sip_ua_free(SipUa *ua)
{
	if (!ua)
		return;
	ua_api_withdraw(ua);
	xb_timer_clear(&ua->recent_prune);
	sip_calls_free(ua->calls);
	if (ua->client_calls)
		ua_client_calls_drop(ua);
	sip_txl_free(ua->txl);
	sip_transports_free(ua->tp);
	g_hash_table_unref(ua->methods);
	g_clear_pointer(&ua->client_calls, g_hash_table_unref);
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

void sip_ua_set_call_fallback(SipUa *ua, SipCallIncomingFunc func, void *user_data)
{
	sip_calls_set_fallback(ua->calls, func, user_data);
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
