/* peer.h: where a SIP message came from or goes to (SipPeer) and its text forms, shared by
 * mod_sip's transport and transaction layer and by the modules that link the message
 * library (the registrar's sources and gateway addresses). */
#pragma once

#include <crossbar/crossbar.h>
#include <sys/socket.h>

/* For TCP/TLS, conn_id names the connection a message came on (responses go back on it,
 * RFC 3261 §18.2.2); 0 lets the transport pick or open one. */
typedef struct {
	XbTransport transport;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	guint64 conn_id;
} SipPeer;

static inline gboolean sip_peer_reliable(const SipPeer *p)
{
	return p->transport != XB_TRANSPORT_UDP;
}

/* "udp", "tcp", "tls". */
const char *sip_transport_name(XbTransport t);
/* An address without brackets into host (INET6_ADDRSTRLEN), its port into *port. */
void sip_sockaddr_text(const struct sockaddr_storage *ss, char *host, size_t hlen, guint16 *port);
/* "udp:127.0.0.1:5060", "tcp:[::1]:5060"; g_free it. */
char *sip_peer_to_string(const SipPeer *peer);
/* A peer from a literal IPv4 or IPv6 address (brackets allowed) and a port; FALSE for
 * anything else (names need DNS, which is not done here). */
gboolean sip_peer_from_host(SipPeer *peer, XbTransport transport, const char *host, guint16 port);
