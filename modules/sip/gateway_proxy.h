/* modules/sip/gateway_proxy.h: a gateway's `proxy` parameter, private to modules/sip/:
 * parsing "host", "host:port", an IPv4 address or "[IPv6]" with an optional port, and
 * finding where a host name points (through GResolver, off the main loop): A/AAAA, after
 * SRV when asked (RFC 3263 §4.2; the channel driver asks for a URI's host without a port,
 * gateways do not: their port is the configured one or the default). No NAPTR: the
 * transport is the one given. */
#pragma once

#include <crossbar/sip.h>
#include "flow.h"

#include <gio/gio.h>

/* A parsed proxy. For a literal address, peer is complete (transport, address, port) and no
 * look-up is ever needed; for a host name, peer holds only the transport. */
typedef struct {
	char *host; /* the host name or the address, without brackets or port */
	guint16 port;
	gboolean has_port; /* written, not the transport's default */
	gboolean is_name;
	gboolean srv; /* look up _sip._udp, _sip._tcp or _sips._tcp.HOST first */
	SipFlow peer;
} GatewayProxy;

/* FALSE when text is not one of the forms above (a host name is checked against RFC 1123's
 * syntax: letters, digits and hyphens, labels of 1-63, at most 253 in all). */
gboolean gateway_proxy_parse(const char *text, XbTransport tp, GatewayProxy *out);
void gateway_proxy_clear(GatewayProxy *p);
gboolean gateway_host_name_valid(const char *host);

/* "192.0.2.10:5060", "[2001:db8::1]:5060" (g_free). */
char *gateway_peer_text(const SipFlow *peer);

/* The first address (in the resolver's order) of a family we may use, or NULL. */
GInetAddress *gateway_address_pick(GList *addresses, gboolean ipv4, gboolean ipv6);

typedef struct gateway_lookup GatewayLookup;

/* peer (on success: the proxy's transport and port at the address found) or error text
 * ("DNS: HOST: why", owned by the callee). */
typedef void (*GatewayLookupFunc)(const SipFlow *peer, const char *error, void *user_data);

/* Resolve proxy->host, preferring the families mod_sip listens on (for the proxy's
 * transport, else UDP, as the Contact is chosen), and call func on the main context. With
 * proxy->srv, the SRV targets (RFC 2782 order) are tried in turn with their ports, and the
 * host itself with proxy->port when it has no SRV record. */
GatewayLookup *gateway_lookup_start(const GatewayProxy *proxy, const SipApi *sip,
                                    GatewayLookupFunc func, void *user_data);
/* func will not be called; the look-up ends on its own worker thread. NULL is fine. */
void gateway_lookup_cancel(GatewayLookup *l);
/* Look-ups whose GLib callback has not run yet (cancelled ones included): a module that
 * unloads must let them finish first, or GLib would call into unmapped code. */
guint gateway_lookups_pending(void);
