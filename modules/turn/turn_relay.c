/* turn_relay.c: binding relayed transport addresses (RFC 8656 §7.2) on a port of
 * turn.relay_ports, with the EVEN-PORT variants. It opens sockets only; reading and writing
 * them is turn_server.c's business. Ports are tried from a random start so that relayed
 * addresses are hard to predict (RFC 8656 §21.1.4). */
#include "turn_private.h"

#include <string.h>

static GSocket *bind_port(const struct stun_addr *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct stun_addr a = *addr;
	g_autoptr(GSocketAddress) sa = NULL;
	g_autoptr(GSocket) s = NULL;
	size_t len;

	a.port = port;
	len = stun_addr_to_sockaddr(&a, &ss, sizeof(ss));
	sa = g_socket_address_new_from_native(&ss, len);
	if (!sa)
		return NULL;
	s = g_socket_new(addr->family == STUN_FAMILY_IPV6 ? G_SOCKET_FAMILY_IPV6
	                                                  : G_SOCKET_FAMILY_IPV4,
	                 G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
	if (!s || !g_socket_bind(s, sa, FALSE, NULL))
		return NULL;
	g_socket_set_blocking(s, FALSE);
	return g_steal_pointer(&s);
}

GSocket *turn_relay_bind(const struct stun_addr *addr, guint16 lo, guint16 hi, gboolean even,
                         GSocket **next, uint16_t *port)
{
	guint span = (guint)hi - lo + 1;
	guint start = (guint)g_random_int_range(0, (gint32)span);

	if (next)
		*next = NULL;
	for (guint i = 0; i < span; i++) {
		uint16_t p = (uint16_t)(lo + (start + i) % span);
		GSocket *s;

		if (even && (p & 1))
			continue;
		if (next && p == G_MAXUINT16)
			continue;
		if (next && p + 1 > hi)
			continue;
		s = bind_port(addr, p);
		if (!s)
			continue;
		if (next) {
			*next = bind_port(addr, (uint16_t)(p + 1));
			if (!*next) {
				g_socket_close(s, NULL);
				g_object_unref(s);
				continue;
			}
		}
		*port = p;
		return s;
	}
	return NULL;
}
