/* mod_sip.c: the SIP channel driver's module descriptor, its settings and its life cycle.
 * It opens the listen sockets of sip.listen at load so that a port in use stops the daemon
 * with a clear line. The transaction layer, dialogs and the UA core plug in here as they
 * land (issue 3); until then received datagrams and connections are logged and dropped. */
#include <crossbar/crossbar.h>
#include <gio/gio.h>

#include "transport.h"

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
    {"user_agent", XB_SETTING_STRING, "crossbar", "User-Agent and Server header value"},
    {"max_message_size", XB_SETTING_INT, "65535", "largest SIP message accepted (bytes)", 1500,
     1048576},
    {"tcp_idle_timeout", XB_SETTING_INT, "120", "close idle TCP/TLS connections after (s)", 5,
     86400},
    XB_SETTINGS_END,
};

static gboolean sip_load(XbModule *self, GError **error)
{
	g_autoptr(GArray) listen = xb_config_get_listen("sip.listen");
	SipTransports *tp = sip_transports_new(self);

	if (!sip_transports_listen(tp, listen, error)) {
		sip_transports_free(tp);
		return FALSE;
	}
	xb_module_set_data(self, tp);
	return TRUE;
}

static void sip_unload(XbModule *self)
{
	sip_transports_free(xb_module_get_data(self));
}

XB_MODULE_DEFINE(.name = "sip", .version = XB_VERSION_STRING,
                 .description = "SIP channel driver: transports, transactions, dialogs",
                 .settings = settings, .load = sip_load, .unload = sip_unload);
