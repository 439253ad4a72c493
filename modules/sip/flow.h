/* flow.h: where a message came from or goes to, as mod_sip's layers pass it around by value:
 * a transport, a remote address and, for TCP/TLS, the connection a message came on
 * (responses go back on it, RFC 3261 §18.2.2; 0 lets the transport pick or open one).
 * Other modules see a flow only as the opaque SipPeer of crossbar/sipmsg.h
 * (sip_flow_to_peer, sip_flow_from_peer). */
#pragma once

#include <crossbar/sipmsg.h>
#include <sys/socket.h>

typedef struct {
	XbTransport transport;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	guint64 conn_id;
} SipFlow;

static inline gboolean sip_flow_reliable(const SipFlow *f)
{
	return f->transport != XB_TRANSPORT_UDP;
}

/* "udp:127.0.0.1:5060", "tcp:[::1]:5060"; g_free it. */
char *sip_flow_to_string(const SipFlow *flow);
/* A flow to a literal IPv4 or IPv6 address (brackets allowed) and a port; FALSE for anything
 * else (names need DNS, RFC 3263, which is not done here). */
gboolean sip_flow_from_host(SipFlow *flow, XbTransport transport, const char *host, guint16 port);
/* The public form of a flow, for another module; sip_peer_free it. */
SipPeer *sip_flow_to_peer(const SipFlow *flow);
void sip_flow_from_peer(SipFlow *flow, const SipPeer *peer);
