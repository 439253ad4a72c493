/* mod_sip.c: the SIP channel driver's module descriptor, its settings and its life cycle:
 * it builds the UA core (which opens the sockets of sip.listen, so a port in use stops the
 * daemon with a clear line), starts the carrier trunks of <gateways> (gateway.c) on it,
 * registers the channel driver "sip" (sip_channel.c) and the `sip status` and `sip calls`
 * commands. */
#include "gateway.h"
#include "sip_channel.h"
#include "ua.h"

#include <sys/resource.h>

static const XbSettingDef settings[] = {
    {"listen", XB_SETTING_LISTEN, "udp:0.0.0.0:5060,tcp:0.0.0.0:5060",
     "addresses to listen on: transport:address:port, comma-separated"},
    {"domain", XB_SETTING_STRING, "", "the SIP domain of this PBX (default: the host's name)"},
    {"t1", XB_SETTING_INT, "500", "RFC 3261 T1, the round-trip estimate (ms)", 50, 10000},
    {"t2", XB_SETTING_INT, "4000", "RFC 3261 T2, the longest retransmit interval (ms)", 500, 60000},
    {"t4", XB_SETTING_INT, "5000", "RFC 3261 T4, how long the network holds a message (ms)", 500,
     60000},
    {"tls_certificate", XB_SETTING_PATH, "", "PEM certificate chain for tls: listeners"},
    {"tls_key", XB_SETTING_PATH, "", "PEM private key for tls: listeners"},
    {"tls_ca_file", XB_SETTING_PATH, "", "trust anchors for outgoing TLS (default: the system's)"},
    {"tls_verify_peer", XB_SETTING_BOOL, "yes", "check the certificate of TLS servers we call"},
    {"user_agent", XB_SETTING_STRING, "crossbar", "User-Agent and Server header value"},
    {"tcp_idle_timeout", XB_SETTING_INT, "120",
     "close a TCP/TLS connection that no message crossed for this long (s)", 5, 86400},
    {"tcp_first_message_timeout", XB_SETTING_INT, "10",
     "an accepted TCP/TLS connection must bring a whole message within (s)", 1, 3600},
    {"tls_handshake_timeout", XB_SETTING_INT, "5",
     "an accepted TLS connection must finish its handshake within (s)", 1, 3600},
    {"tcp_max_connections", XB_SETTING_INT, "4096", "TCP and TLS connections open at once", 1,
     1000000},
    {"tcp_max_per_source", XB_SETTING_INT, "256",
     "connections accepted from one IPv4 address or IPv6 /64", 1, 1000000},
    {"tcp_max_buffered", XB_SETTING_INT, "65536",
     "KiB queued in and out over all TCP/TLS connections together", 1024, 16777216},
    {"public_for_strangers", XB_SETTING_BOOL, "no",
     "route INVITEs without credentials from unknown sources in the public context instead of "
     "challenging them (a trunk is known by its gateway's address)"},
    {"digest_algorithms", XB_SETTING_ENUM, "MD5,SHA-256",
     "digest challenges to INVITEs from users, in the order offered (baresip 1.0 fails on "
     "any SHA-256 challenge: MD5 alone lets it call)",
     0, 0, "MD5,SHA-256|SHA-256,MD5|SHA-256|MD5"},
    {"max_transactions", XB_SETTING_INT, "200000",
     "live server transactions at most; past it new requests get 503", 100, 10000000},
    {"max_transaction_memory", XB_SETTING_INT, "64",
     "MB that live server transactions may hold; past it new requests get 503", 1, 65536},
    XB_SETTINGS_END,
};

static gboolean cmd_sip_status(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	sip_ua_stats(user_data, r);
	return TRUE;
}

static gboolean cmd_sip_calls(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	sip_ua_calls(user_data, r);
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"sip status", "", "SIP domain, counters, transactions and connections", cmd_sip_status},
    {"sip calls", "", "call legs in progress: direction, state, peer, From and To", cmd_sip_calls},
    XB_CLI_END,
};

static const char *const elements[] = {"gateways", NULL};

static Gateways *the_gateway_set; /* carrier trunks (gateway.c) */

/* Descriptors held besides the connections: listeners, the database, the control socket,
 * other modules' sockets. */
#define FD_RESERVE 64

/* Say at start when the open-file limit cannot hold sip.tcp_max_connections. */
static void check_fd_limit(guint max_connections)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= (rlim_t)max_connections + FD_RESERVE)
		return;
	g_warning("sip.tcp_max_connections=%u cannot be met: the open-file limit is %llu "
	          "(raise LimitNOFILE= or ulimit -n to at least %u); new connections are refused "
	          "while no descriptor is free",
	          max_connections, (unsigned long long)rl.rlim_cur, max_connections + FD_RESERVE);
}

static gboolean sip_load(XbModule *self, GError **error)
{
	g_autoptr(GArray) listen = xb_config_get_listen("sip.listen");
	SipUaConfig cfg = {
	    .listen = listen,
	    .domain = xb_config_get_string("sip.domain"),
	    .user_agent = xb_config_get_string("sip.user_agent"),
	    .timers = {xb_config_get_int("sip.t1"), xb_config_get_int("sip.t2"),
	               xb_config_get_int("sip.t4")},
	    .transport =
	        {
	            .tcp_idle_timeout_ms = xb_config_get_int("sip.tcp_idle_timeout") * 1000,
	            .first_message_timeout_ms =
	                xb_config_get_int("sip.tcp_first_message_timeout") * 1000,
	            .tls_handshake_timeout_ms =
	                xb_config_get_int("sip.tls_handshake_timeout") * 1000,
	            .max_connections = xb_config_get_int("sip.tcp_max_connections"),
	            .max_per_source = xb_config_get_int("sip.tcp_max_per_source"),
	            .max_buffered = (gsize)xb_config_get_int("sip.tcp_max_buffered") * 1024,
	            .tls_certificate = xb_config_get_string("sip.tls_certificate"),
	            .tls_key = xb_config_get_string("sip.tls_key"),
	            .tls_ca_file = xb_config_get_string("sip.tls_ca_file"),
	            .tls_verify_peer = xb_config_get_bool("sip.tls_verify_peer"),
	        },
	    .max_server_transactions = (guint)xb_config_get_int("sip.max_transactions"),
	    .max_transaction_bytes = (gsize)xb_config_get_int("sip.max_transaction_memory") << 20,
	};
	SipUa *ua;

	check_fd_limit(cfg.transport.max_connections);
	ua = sip_ua_new(self, &cfg, error);
	if (!ua)
		return FALSE;
	/* Trunks use the UA core through the API table it has just published. */
	the_gateway_set = gateways_new(self, xb_api_get(SIP_API_NAME), error);
	if (!the_gateway_set) {
		sip_ua_free(ua);
		return FALSE;
	}
	if (!sip_channel_start(self, ua, the_gateway_set, error)) {
		g_clear_pointer(&the_gateway_set, gateways_free);
		sip_ua_free(ua);
		return FALSE;
	}
	xb_module_set_data(self, ua);
	xb_cli_register(self, commands, ua);
	gateway_cli_register(self, the_gateway_set);
	return TRUE;
}

static void sip_unload(XbModule *self)
{
	/* Calls first, then trunks: their BYEs and unregistrations go out while the UA core is
	 * still there. */
	sip_channel_stop();
	g_clear_pointer(&the_gateway_set, gateways_free);
	sip_ua_free(xb_module_get_data(self));
}

/* --check-config and start-up: the <gateways> section parses (file, line, gateway and
 * parameter in the error). */
static gboolean sip_validate(GError **error)
{
	g_autoptr(GPtrArray) defs = gateway_defs_from_config(error);

	return defs != NULL;
}

static const char *const command_names[] = {"sip status", "sip calls", "gateways", "gateway show",
                                            NULL};

XB_MODULE_DEFINE(.name = "sip", .version = XB_VERSION_STRING,
                 .description = "SIP channel driver: transports, transactions, UA core, calls, "
                                "carrier trunks",
                 .settings = settings, .elements = elements, .commands = command_names,
                 .load = sip_load, .unload = sip_unload, .validate = sip_validate);
