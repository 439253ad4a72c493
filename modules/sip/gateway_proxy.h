/* modules/sip/gateway_proxy.h: a gateway's `proxy` parameter, private to modules/sip/:
 * parsing "host", "host:port", an IPv4 address or "[IPv6]" with an optional port, and
 * finding where a host name points (through GResolver, off the main loop) as RFC 3263 §4
 * says: a literal address needs no DNS, a name with a port only A/AAAA, a name without one
 * SRV first (its targets in RFC 2782 order, each one's A/AAAA), then A/AAAA of the name at
 * the transport's default port when it has no SRV record. No NAPTR (§4.1): GLib has no
 * NAPTR look-up, so the transport is the one configured (or the URI's). */
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
	gboolean srv; /* look up _sip._udp, _sip._tcp or _sips._tcp.HOST first: a name
	               * written without a port (RFC 3263 §4.2) */
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

/* One place a look-up found: an SRV target (or the host itself) with one of its addresses,
 * or with the reason it has none. */
typedef struct {
	char *name;               /* the SRV target, or the host */
	guint16 port;             /* SRV's port, or the proxy's */
	guint16 priority, weight; /* SRV's; 0 for the host itself */
	SipFlow peer;             /* addr_len 0 when the name gave no usable address */
	char *error;              /* ... and why ("Name or service not known"), else NULL */
} GatewayTarget;

/* What one look-up found (g_rc_box, shared by a gateway and the calls through it): the
 * targets in the order RFC 3263 §4.3 tries them (SRV priority, weighted by GLib as RFC 2782
 * says; a name's addresses in the resolver's order). */
typedef struct {
	char *query;     /* what was asked first: "_sip._udp.carrier.example" or the host */
	gboolean srv;    /* the targets are SRV records' (else the host's own addresses) */
	GArray *targets; /* GatewayTarget */
	gint64 at;       /* xb_clock_now() of the answer */
} GatewayTargets;

GatewayTargets *gateway_targets_ref(GatewayTargets *t);
void gateway_targets_unref(GatewayTargets *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GatewayTargets, gateway_targets_unref)
/* The index of the first target at or after `from` that has an address, or -1. */
int gateway_targets_next(const GatewayTargets *t, guint from);
/* The target whose address is `peer` (same address and port), or -1. */
int gateway_targets_find(const GatewayTargets *t, const SipFlow *peer);
/* TRUE when a and b are the same transport, address and port. */
gboolean gateway_flow_equal(const SipFlow *a, const SipFlow *b);

typedef struct gateway_lookup GatewayLookup;

/* On success, found has at least one target with an address and error is NULL; on failure
 * error says why ("DNS: HOST: why", owned by the callee) and found, when not NULL, shows
 * what was asked and what each target gave. found is borrowed: ref it to keep it. */
typedef void (*GatewayLookupFunc)(GatewayTargets *found, const char *error, void *user_data);

/* Resolve proxy->host, keeping the addresses of the families mod_sip listens on (for the
 * proxy's transport, else UDP, as the Contact is chosen), and call func on the main
 * context. With proxy->srv, SRV first: every target's A/AAAA is asked at once, and the
 * host itself with proxy->port when it has no SRV record. */
GatewayLookup *gateway_lookup_start(const GatewayProxy *proxy, const SipApi *sip,
                                    GatewayLookupFunc func, void *user_data);
/* func will not be called; the look-up ends on its own worker thread. NULL is fine. */
void gateway_lookup_cancel(GatewayLookup *l);
/* Look-ups whose GLib callback has not run yet (cancelled ones included): a module that
 * unloads must let them finish first, or GLib would call into unmapped code. */
guint gateway_lookups_pending(void);
