/* lib/sip/peer.c: SipPeer, the public form of where a message came from or goes to, and the
 * text forms of addresses (declared in crossbar/sipmsg.h). */
#include <crossbar/sipmsg.h>

#include <arpa/inet.h>
#include <string.h>

struct sip_peer {
	XbTransport transport;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	guint64 conn_id;
};

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

char *sip_addr_to_string(XbTransport transport, const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN];
	guint16 port;

	sip_sockaddr_text((const struct sockaddr_storage *)sa, host, sizeof(host), &port);
	if (sa->sa_family == AF_INET6)
		return g_strdup_printf("%s:[%s]:%u", xb_transport_name(transport), host, port);
	return g_strdup_printf("%s:%s:%u", xb_transport_name(transport), host, port);
}

gboolean sip_sockaddr_from_host(struct sockaddr_storage *ss, socklen_t *len, const char *host,
                                guint16 port)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = 0;
		host = buf;
	}
	if (sip_ipv6_parse(host, strlen(host), &s6->sin6_addr)) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return TRUE;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return TRUE;
	}
	return FALSE;
}

SipPeer *sip_peer_new(XbTransport transport, const struct sockaddr *sa, socklen_t len,
                      guint64 conn_id)
{
	SipPeer *p = g_new0(SipPeer, 1);

	p->transport = transport;
	p->addr_len = MIN(len, (socklen_t)sizeof(p->addr));
	memcpy(&p->addr, sa, p->addr_len);
	p->conn_id = conn_id;
	return p;
}

SipPeer *sip_peer_new_from_host(XbTransport transport, const char *host, guint16 port)
{
	SipPeer *p = g_new0(SipPeer, 1);

	p->transport = transport;
	if (!sip_sockaddr_from_host(&p->addr, &p->addr_len, host, port)) {
		g_free(p);
		return NULL;
	}
	return p;
}

SipPeer *sip_peer_dup(const SipPeer *peer)
{
	return g_memdup2(peer, sizeof(*peer));
}

void sip_peer_free(SipPeer *peer)
{
	g_free(peer);
}

XbTransport sip_peer_transport(const SipPeer *peer)
{
	return peer->transport;
}

const struct sockaddr *sip_peer_sockaddr(const SipPeer *peer, socklen_t *len)
{
	*len = peer->addr_len;
	return (const struct sockaddr *)&peer->addr;
}

guint64 sip_peer_conn_id(const SipPeer *peer)
{
	return peer->conn_id;
}

void sip_peer_host(const SipPeer *peer, char *host, size_t hlen, guint16 *port)
{
	sip_sockaddr_text(&peer->addr, host, hlen, port);
}

char *sip_peer_to_string(const SipPeer *peer)
{
	return sip_addr_to_string(peer->transport, (const struct sockaddr *)&peer->addr);
}
