/* lib/sip/peer.c: SipPeer's text forms (declared in crossbar/sipmsg.h). */
#include <crossbar/sipmsg.h>

#include <arpa/inet.h>
#include <string.h>

const char *sip_transport_name(XbTransport t)
{
	return t == XB_TRANSPORT_UDP ? "udp" : t == XB_TRANSPORT_TCP ? "tcp" : "tls";
}

void sip_sockaddr_text(const struct sockaddr_storage *ss, char *host, size_t hlen, guint16 *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, (socklen_t)hlen);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, (socklen_t)hlen);
		*port = ntohs(s4->sin_port);
	}
}

char *sip_peer_to_string(const SipPeer *peer)
{
	char host[INET6_ADDRSTRLEN];
	guint16 port;

	sip_sockaddr_text(&peer->addr, host, sizeof(host), &port);
	if (peer->addr.ss_family == AF_INET6)
		return g_strdup_printf("%s:[%s]:%u", sip_transport_name(peer->transport), host,
		                       port);
	return g_strdup_printf("%s:%s:%u", sip_transport_name(peer->transport), host, port);
}

gboolean sip_peer_from_host(SipPeer *peer, XbTransport transport, const char *host, guint16 port)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(host);

	memset(peer, 0, sizeof(*peer));
	peer->transport = transport;
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = 0;
		host = buf;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&peer->addr;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&peer->addr;
	if (sip_ipv6_parse(host, strlen(host), &s6->sin6_addr)) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		peer->addr_len = sizeof(*s6);
		return TRUE;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		peer->addr_len = sizeof(*s4);
		return TRUE;
	}
	return FALSE; /* names need DNS (RFC 3263), which is not done here */
}
