/* flow.c: a flow's text forms and its conversions to and from the public SipPeer. */
#include "flow.h"

#include <string.h>

char *sip_flow_to_string(const SipFlow *flow)
{
	return sip_addr_to_string(flow->transport, (const struct sockaddr *)&flow->addr);
}

gboolean sip_flow_from_host(SipFlow *flow, XbTransport transport, const char *host, guint16 port)
{
	memset(flow, 0, sizeof(*flow));
	flow->transport = transport;
	return sip_sockaddr_from_host(&flow->addr, &flow->addr_len, host, port);
}

SipPeer *sip_flow_to_peer(const SipFlow *flow)
{
	return sip_peer_new(flow->transport, (const struct sockaddr *)&flow->addr, flow->addr_len,
	                    flow->conn_id);
}

void sip_flow_from_peer(SipFlow *flow, const SipPeer *peer)
{
	socklen_t len;
	const struct sockaddr *sa = sip_peer_sockaddr(peer, &len);

	memset(flow, 0, sizeof(*flow));
	flow->transport = sip_peer_transport(peer);
	memcpy(&flow->addr, sa, MIN(len, (socklen_t)sizeof(flow->addr)));
	flow->addr_len = len;
	flow->conn_id = sip_peer_conn_id(peer);
}
