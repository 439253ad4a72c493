/* transport.c: mod_sip's listening sockets. Binds UDP and TCP sockets for each address of
 * sip.listen with large receive buffers, and watches them on the main loop. It must not
 * parse or answer SIP itself: that belongs to the transaction layer above it. */
#include "transport.h"

#include <errno.h>
#include <sys/socket.h>
#include <gio/gio.h>

#define SIP_RCVBUF (4 * 1024 * 1024)

typedef struct {
	GSocket *socket;
	GSource *source;
	XbListenAddr addr;
} Listener;

struct sip_transports {
	XbModule *owner;
	GPtrArray *listeners; /* Listener * */
};

static void listener_free(gpointer data)
{
	Listener *l = data;

	if (l->source) {
		g_source_destroy(l->source);
		g_source_unref(l->source);
	}
	if (l->socket) {
		g_socket_close(l->socket, NULL);
		g_object_unref(l->socket);
	}
	g_free(l);
}

SipTransports *sip_transports_new(XbModule *owner)
{
	SipTransports *tp = g_new0(SipTransports, 1);

	tp->owner = owner;
	tp->listeners = g_ptr_array_new_with_free_func(listener_free);
	return tp;
}

void sip_transports_free(SipTransports *tp)
{
	if (!tp)
		return;
	g_ptr_array_unref(tp->listeners);
	g_free(tp);
}

static gboolean udp_read_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	char buf[65536];
	gssize n = g_socket_receive(socket, buf, sizeof(buf), NULL, NULL);

	if (n > 0)
		g_debug("udp: %zd bytes received", n);
	return G_SOURCE_CONTINUE;
}

static gboolean tcp_accept_cb(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	GSocket *client = g_socket_accept(socket, NULL, NULL);

	if (client) {
		g_debug("tcp: connection accepted");
		g_socket_close(client, NULL);
		g_object_unref(client);
	}
	return G_SOURCE_CONTINUE;
}

static const char *transport_name(XbTransport t)
{
	return t == XB_TRANSPORT_UDP ? "udp" : t == XB_TRANSPORT_TCP ? "tcp" : "tls";
}

static gboolean listen_one(SipTransports *tp, const XbListenAddr *a, GError **error)
{
	g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(a->address);
	g_autoptr(GSocketAddress) sa = NULL;
	g_autoptr(GError) err = NULL;
	gboolean udp = a->transport == XB_TRANSPORT_UDP;
	Listener *l;

	if (!ia) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "sip.listen: %s:%s:%u: the address must be a literal IP address",
		            transport_name(a->transport), a->address, a->port);
		return FALSE;
	}
	if (a->transport == XB_TRANSPORT_TLS && (!*xb_config_get_string("sip.tls_certificate") ||
	                                         !*xb_config_get_string("sip.tls_key"))) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "sip.listen: tls:%s:%u needs sip.tls_certificate and sip.tls_key",
		            a->address, a->port);
		return FALSE;
	}
	sa = g_inet_socket_address_new(ia, a->port);
	l = g_new0(Listener, 1);
	l->addr = *a;
	l->socket = g_socket_new(g_inet_address_get_family(ia),
	                         udp ? G_SOCKET_TYPE_DATAGRAM : G_SOCKET_TYPE_STREAM,
	                         udp ? G_SOCKET_PROTOCOL_UDP : G_SOCKET_PROTOCOL_TCP, &err);
	if (!l->socket)
		goto fail;
	if (!g_socket_set_option(l->socket, SOL_SOCKET, SO_RCVBUF, SIP_RCVBUF, &err))
		goto fail;
	if (!g_socket_bind(l->socket, sa, !udp, &err))
		goto fail;
	if (!udp && !g_socket_listen(l->socket, &err))
		goto fail;
	g_socket_set_blocking(l->socket, FALSE);
	l->source = g_socket_create_source(l->socket, G_IO_IN, NULL);
	g_source_set_callback(l->source,
	                      udp ? (GSourceFunc)(void (*)(void))udp_read_cb
	                          : (GSourceFunc)(void (*)(void))tcp_accept_cb,
	                      tp, NULL);
	g_source_attach(l->source, NULL);
	g_ptr_array_add(tp->listeners, l);
	g_message("listening on %s:%s%s%s:%u", transport_name(a->transport), a->ipv6 ? "[" : "",
	          a->address, a->ipv6 ? "]" : "", a->port);
	return TRUE;
fail:
	g_set_error(error, G_IO_ERROR, err->code, "sip.listen: cannot listen on %s:%s%s%s:%u: %s",
	            transport_name(a->transport), a->ipv6 ? "[" : "", a->address,
	            a->ipv6 ? "]" : "", a->port, err->message);
	listener_free(l);
	return FALSE;
}

gboolean sip_transports_listen(SipTransports *tp, GArray *addrs, GError **error)
{
	for (guint i = 0; i < addrs->len; i++) {
		if (!listen_one(tp, &g_array_index(addrs, XbListenAddr, i), error)) {
			g_ptr_array_set_size(tp->listeners, 0);
			return FALSE;
		}
	}
	return TRUE;
}
