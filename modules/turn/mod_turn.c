/* mod_turn.c: the TURN/STUN server module: its settings, its life cycle, the
 * `turn` control command and its events. It wires turn_server.c (sockets), turn_request.c
 * (protocol) and turn_alloc.c (state) together and must not hold protocol logic itself.
 * Relay address: turn.relay_address, else each family's first specific listen address,
 * else (wildcard listeners) the host's routing source address for that family. */
#include "turn_private.h"

static const XbSettingDef settings[] = {
    {"listen", XB_SETTING_LISTEN, "udp:0.0.0.0:3478,tcp:0.0.0.0:3478",
     "addresses to serve STUN/TURN on: transport:address:port, comma-separated (udp, tcp, tls)"},
    {"tls_certificate", XB_SETTING_PATH, "", "PEM certificate chain for tls: listeners"},
    {"tls_key", XB_SETTING_PATH, "", "PEM private key for tls: listeners"},
    {"realm", XB_SETTING_STRING, "",
     "realm of the long-term credentials (default: the directory's realm, else crossbar)"},
    {"allow_loopback_peers", XB_SETTING_BOOL, "false",
     "relay to 127.0.0.0/8 and ::1 (for tests only; off by default)"},
    {"relay_ports", XB_SETTING_RANGE, "49152-65535", "UDP ports of relayed addresses", 1024, 65535},
    {"relay_address", XB_SETTING_LIST, "",
     "IPv4 and/or IPv6 address relays bind to and advertise (default: the listen address, "
     "or the host's routed address for a wildcard listener)"},
    {"static_auth_secret", XB_SETTING_STRING, "",
     "shared secret for time-limited credentials (coturn use-auth-secret compatible)"},
    {"users", XB_SETTING_LIST, "", "USER:PASSWORD accounts"},
    {"allowed_peers", XB_SETTING_LIST, "",
     "peer addresses or CIDRs relayed to even if special-purpose (private, loopback ...)"},
    {"denied_peers", XB_SETTING_LIST, "", "peer addresses or CIDRs never relayed to"},
    {"max_allocations", XB_SETTING_INT, "10000", "allocations in total (0: no limit)", 0, 1000000},
    {"max_allocations_per_user", XB_SETTING_INT, "100", "allocations per user (0: no limit)", 0,
     1000000},
    {"max_bps", XB_SETTING_INT, "0",
     "bytes per second each way per allocation, as coturn's max-bps (0: no limit)", 0, G_MAXINT32},
    {"default_lifetime", XB_SETTING_INT, "600", "allocation lifetime when not asked (s)", 60,
     86400},
    {"max_lifetime", XB_SETTING_INT, "3600", "longest allocation lifetime granted (s)", 60, 86400},
    {"nonce_lifetime", XB_SETTING_INT, "600", "seconds before a nonce is stale (438)", 30, 86400},
    {"rfc5766_channels", XB_SETTING_BOOL, "true",
     "accept channel numbers 0x5000-0x7FFF of RFC 5766 as well as RFC 8656's 0x4000-0x4FFF "
     "(coturn's turnutils_uclient and older WebRTC stacks use them); false refuses them"},
    {"unauth_rate", XB_SETTING_INT, "10",
     "answers per second to one source address for UDP requests not yet authenticated "
     "(Binding, 401/438 challenges); past it they are dropped (0: no limit)",
     0, 1000000},
    {"unauth_burst", XB_SETTING_INT, "40",
     "answers one source address may get at once before turn.unauth_rate applies", 1, 1000000},
    {"stats_interval", XB_SETTING_INT, "60", "seconds between turn.counters events (0: none)", 0,
     86400},
    XB_SETTINGS_END,
};

typedef struct {
	TurnServer *srv;
	XbTimer *stats;
	guint reload_sub;
} ModTurn;

/* ---- events ---- */

static GVariant *counters_variant(const TurnServer *srv)
{
	TurnCounters sum;
	const TurnCounters *k = &sum;
	GVariantBuilder b;

	turn_server_counters(srv, &sum);
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{st}"));
#define COUNTER(name, value) g_variant_builder_add(&b, "{st}", name, (guint64)(value))
	COUNTER("allocations_active", turn_table_count(srv->table));
	COUNTER("allocations_total", k->allocations);
	COUNTER("allocations_expired", k->expired);
	COUNTER("allocate_errors", k->allocate_errors);
	COUNTER("requests", k->requests);
	COUNTER("auth_failures", k->auth_failures);
	COUNTER("auth_refused_banned", k->auth_refused_banned);
	COUNTER("bytes_to_peer", k->bytes_to_peer);
	COUNTER("bytes_to_client", k->bytes_to_client);
	COUNTER("packets_to_peer", k->pkts_to_peer);
	COUNTER("packets_to_client", k->pkts_to_client);
	COUNTER("dropped_no_permission", k->dropped_no_permission);
	COUNTER("dropped_rate", k->dropped_rate);
	COUNTER("dropped_queue", k->dropped_queue);
	COUNTER("dropped_unauthenticated", k->dropped_unauth);
	COUNTER("dropped_busy", k->dropped_busy);
	COUNTER("tcp_connections", g_hash_table_size(srv->conns));
#undef COUNTER
	return g_variant_builder_end(&b);
}

static void stats_cb(XbTimer *timer, gpointer user_data)
{
	XbModule *self = user_data;
	ModTurn *m = xb_module_get_data(self);
	gint64 every = xb_config_get_int("turn.stats_interval");

	m->stats = NULL;
	xb_event_publish("turn.counters",
	                 g_variant_new_tuple((GVariant *[]){counters_variant(m->srv)}, 1));
	if (every > 0)
		m->stats = xb_timer_start(self, every * 1000, stats_cb, self);
}

static void reloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	XbModule *self = user_data;
	ModTurn *m = xb_module_get_data(self);
	g_autoptr(GError) error = NULL;
	TurnConfig *cfg = turn_config_read(&error);
	gint64 every = xb_config_get_int("turn.stats_interval");

	if (!cfg) {
		g_warning("reload: keeping the previous TURN settings: %s", error->message);
		return;
	}
	/* Listen and relay addresses stay as they were bound; the rest applies now. */
	turn_config_free(m->srv->cfg);
	m->srv->cfg = cfg;
	turn_server_config_changed(m->srv);
	xb_timer_clear(&m->stats);
	if (every > 0)
		m->stats = xb_timer_start(self, every * 1000, stats_cb, self);
}

/* ---- crossbar-cli turn ---- */

static gboolean cmd_turn(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	ModTurn *m = user_data;
	GHashTableIter it;
	gpointer value;

	xb_cli_reply_columns(r, "user", "transport", "client", "relayed", "lifetime_left",
	                     "permissions", "channels", "bytes_to_peer", "bytes_to_client", NULL);
	g_hash_table_iter_init(&it, m->srv->table->by_tuple);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		TurnAlloc *a = value;
		char client[64], relayed[64];
		TurnTraffic t;

		turn_alloc_traffic(a, &t);
		stun_addr_to_string(&a->from.client, client, sizeof(client));
		stun_addr_to_string(&a->relayed, relayed, sizeof(relayed));
		xb_cli_reply_row(
		    r, "user", g_variant_new_string(a->username), "transport",
		    g_variant_new_string(a->from.conn ? "tcp" : "udp"), "client",
		    g_variant_new_string(client), "relayed", g_variant_new_string(relayed),
		    "lifetime_left", g_variant_new_int64(turn_alloc_remaining_ms(a) / 1000),
		    "permissions", g_variant_new_uint32(turn_alloc_permission_count(a)), "channels",
		    g_variant_new_uint32(turn_alloc_channel_count(a)), "bytes_to_peer",
		    g_variant_new_uint64(t.bytes_to_peer), "bytes_to_client",
		    g_variant_new_uint64(t.bytes_to_client), NULL);
	}
	return TRUE;
}

static gboolean cmd_turn_stats(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	ModTurn *m = user_data;
	g_autoptr(GVariant) v = g_variant_ref_sink(counters_variant(m->srv));
	GVariantIter it;
	const char *key;
	guint64 n;

	g_variant_iter_init(&it, v);
	while (g_variant_iter_next(&it, "{&st}", &key, &n))
		xb_cli_reply_field(r, key, g_variant_new_uint64(n));
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"turn", "", "TURN allocations: user, client, relayed address, lifetime left, bytes each way",
     cmd_turn},
    {"turn stats", "", "TURN server counters", cmd_turn_stats},
    XB_CLI_END,
};

/* ---- life cycle ---- */

static gboolean turn_load(XbModule *self, GError **error)
{
	g_autoptr(GArray) listen = xb_config_get_listen("turn.listen");
	g_auto(GStrv) relay = xb_config_get_list("turn.relay_address");
	gint64 every = xb_config_get_int("turn.stats_interval");
	TurnConfig *cfg = turn_config_read(error);
	const char *cert, *key;
	ModTurn *m;

	if (!cfg)
		return FALSE;
	m = g_new0(ModTurn, 1);
	m->srv = turn_server_new(self, cfg);
	cert = xb_config_get_string("turn.tls_certificate");
	key = xb_config_get_string("turn.tls_key");
	if ((*cert || *key) && !turn_server_tls(m->srv, cert, key, error)) {
		turn_server_free(m->srv);
		g_free(m);
		return FALSE;
	}
	if (!turn_server_listen(m->srv, listen, error) ||
	    !turn_server_set_relay(m->srv, relay, error)) {
		turn_server_free(m->srv);
		g_free(m);
		return FALSE;
	}
	turn_server_check_fd_limit(m->srv);
	xb_event_type_register("turn.counters", "(a{st})");
	xb_module_set_data(self, m);
	xb_cli_register(self, commands, m);
	m->reload_sub = xb_event_subscribe(self, XB_EVENT_CONFIG_RELOADED, reloaded_cb, self);
	if (every > 0)
		m->stats = xb_timer_start(self, every * 1000, stats_cb, self);
	if (cfg->allow_loopback)
		g_warning("turn.allow_loopback_peers is on: peers on loopback are relayed to");
	return TRUE;
}

static void turn_unload(XbModule *self)
{
	ModTurn *m = xb_module_get_data(self);

	if (!m)
		return;
	xb_timer_clear(&m->stats);
	turn_server_free(m->srv);
	g_free(m);
}

/* --check-config and start-up: turn.users, the CIDR lists and the limits make sense. */
static gboolean turn_validate(GError **error)
{
	g_autoptr(TurnConfig) cfg = turn_config_read(error);

	return cfg != NULL;
}

static const char *const command_names[] = {"turn", "turn stats", NULL};

XB_MODULE_DEFINE(.name = "turn", .version = XB_VERSION_STRING,
                 .description = "TURN/STUN server: relays for phones and browsers behind NAT",
                 .settings = settings, .commands = command_names, .load = turn_load,
                 .unload = turn_unload, .validate = turn_validate);
