/* modules/sip/gateway_proxy.c: a gateway's proxy as written ("sip.carrier.example",
 * "192.0.2.10:5080", "[2001:db8::1]") and the look-up of a host name: A/AAAA, after SRV
 * when the caller asks (RFC 3263 §4.2). The look-ups run on a GLib worker thread (GResolver)
 * and report on the main context: the main loop never waits for DNS. No NAPTR (§4.1): the
 * transport is the one given. */
#include "gateway_proxy.h"

#include <arpa/inet.h>
#include <string.h>

struct gateway_lookup {
	GCancellable *cancel;
	GatewayLookupFunc func; /* NULL once cancelled */
	void *user_data;
	char *host;         /* the name asked for, as errors name it */
	const char *target; /* the name whose A/AAAA records are asked for: host or a target */
	guint16 port;       /* ... and the port that goes with it */
	GPtrArray *targets; /* GSrvTarget: the SRV targets, in RFC 2782 order */
	guint next;         /* ... the first not tried yet */
	XbTransport transport;
	gboolean ipv4, ipv6; /* the families mod_sip can send from */
};

static guint pending;

/* RFC 1123 §2.1 host names; a last label of digits only is refused (RFC 3696 §2), so that
 * a mistyped address such as "10.0.0.300" is not sent to DNS. */
gboolean gateway_host_name_valid(const char *host)
{
	size_t len = strlen(host);
	g_auto(GStrv) labels = NULL;
	guint n;

	if (len && host[len - 1] == '.') /* a fully qualified "carrier.example." */
		len--;
	if (len == 0 || len > 253)
		return FALSE;
	g_autofree char *name = g_strndup(host, len);
	labels = g_strsplit(name, ".", -1);
	n = g_strv_length(labels);
	for (guint i = 0; i < n; i++) {
		size_t l = strlen(labels[i]);
		if (l == 0 || l > 63 || labels[i][0] == '-' || labels[i][l - 1] == '-')
			return FALSE;
		for (size_t j = 0; j < l; j++)
			if (!g_ascii_isalnum(labels[i][j]) && labels[i][j] != '-')
				return FALSE;
	}
	return strspn(labels[n - 1], "0123456789") != strlen(labels[n - 1]);
}

/* Split "host", "host:port", "[v6]", "[v6]:port" or a bare "v6" (two colons or more). */
static gboolean split_host_port(const char *text, char **host, const char **port_text,
                                gboolean *bracketed)
{
	const char *colon = strchr(text, ':');

	*port_text = NULL;
	*bracketed = text[0] == '[';
	if (*bracketed) {
		const char *close = strchr(text, ']');
		if (!close)
			return FALSE;
		*host = g_strndup(text + 1, close - text - 1);
		if (close[1] == ':')
			*port_text = close + 2;
		else if (close[1])
			return FALSE;
	} else if (colon && colon == strrchr(text, ':')) {
		*host = g_strndup(text, colon - text);
		*port_text = colon + 1;
	} else {
		*host = g_strdup(text);
	}
	return TRUE;
}

gboolean gateway_proxy_parse(const char *text, XbTransport tp, GatewayProxy *out)
{
	g_autofree char *host = NULL;
	const char *port_text;
	gboolean bracketed;
	guint64 port = tp == XB_TRANSPORT_TLS ? 5061 : 5060;

	memset(out, 0, sizeof(*out));
	if (!split_host_port(text, &host, &port_text, &bracketed))
		return FALSE;
	if (port_text && !g_ascii_string_to_unsigned(port_text, 10, 1, 65535, &port, NULL))
		return FALSE;
	out->has_port = port_text != NULL;
	out->peer.transport = tp;
	out->port = (guint16)port;
	if (!sip_flow_from_host(&out->peer, tp, host, out->port)) {
		/* Brackets are for IPv6 addresses only (RFC 3986 §3.2.2). */
		if (bracketed || !gateway_host_name_valid(host))
			return FALSE;
		out->is_name = TRUE;
	} else if (bracketed && out->peer.addr.ss_family != AF_INET6) {
		return FALSE;
	}
	out->host = g_steal_pointer(&host);
	return TRUE;
}

void gateway_proxy_clear(GatewayProxy *p)
{
	g_clear_pointer(&p->host, g_free);
}

char *gateway_peer_text(const SipFlow *peer)
{
	g_autoptr(GSocketAddress) sa =
	    g_socket_address_new_from_native((gpointer)&peer->addr, peer->addr_len);

	if (!sa || !G_IS_INET_SOCKET_ADDRESS(sa))
		return g_strdup("?");
	return g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(sa));
}

GInetAddress *gateway_address_pick(GList *addresses, gboolean ipv4, gboolean ipv6)
{
	for (GList *l = addresses; l; l = l->next) {
		GSocketFamily f = g_inet_address_get_family(l->data);
		if ((f == G_SOCKET_FAMILY_IPV4 && ipv4) || (f == G_SOCKET_FAMILY_IPV6 && ipv6))
			return l->data;
	}
	return NULL;
}

/* ---- the asynchronous look-up ---- */

static void lookup_free(GatewayLookup *l)
{
	g_object_unref(l->cancel);
	if (l->targets)
		g_ptr_array_unref(l->targets);
	g_free(l->host);
	g_free(l);
}

/* The SipFlow of what was found, or error text. */
static char *lookup_result(GatewayLookup *l, GList *addresses, SipFlow *peer)
{
	GInetAddress *a = gateway_address_pick(addresses, l->ipv4, l->ipv6);

	if (!a)
		return g_strdup_printf("DNS: %s: no %s address (crossbar listens on %s only)",
		                       l->target, l->ipv4 ? "IPv4" : "IPv6",
		                       l->ipv4 ? "IPv4" : "IPv6");
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(a, l->port);
	memset(peer, 0, sizeof(*peer));
	peer->transport = l->transport;
	peer->addr_len = g_socket_address_get_native_size(sa);
	if (!g_socket_address_to_native(sa, &peer->addr, sizeof(peer->addr), NULL))
		return g_strdup_printf("DNS: %s: unusable address", l->target);
	return NULL;
}

/* GResolver's message repeats the name ("Error resolving “x”: Name or service not known");
 * ours names it already. A translated message is kept whole. */
static const char *resolver_reason(const GError *error, const char *host)
{
	g_autofree char *prefix = g_strdup_printf("Error resolving “%s”: ", host);

	if (g_str_has_prefix(error->message, prefix))
		return error->message + strlen(prefix);
	return error->message;
}

static void lookup_done_cb(GObject *source, GAsyncResult *res, gpointer user_data);

/* A/AAAA of the next name: the next SRV target, else nothing (FALSE). */
static gboolean lookup_next_target(GatewayLookup *l)
{
	g_autoptr(GResolver) resolver = g_resolver_get_default();

	GSrvTarget *t;

	if (!l->targets || l->next >= l->targets->len)
		return FALSE;
	t = l->targets->pdata[l->next++];
	/* RFC 2782: a target "." says the service is not offered there. */
	if (!strcmp(g_srv_target_get_hostname(t), "."))
		return FALSE;
	l->target = g_srv_target_get_hostname(t);
	l->port = g_srv_target_get_port(t);
	pending++;
	g_resolver_lookup_by_name_async(resolver, l->target, l->cancel, lookup_done_cb, l);
	return TRUE;
}

static void lookup_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GatewayLookup *l = user_data;
	g_autoptr(GError) error = NULL;
	GList *addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(source), res, &error);
	g_autofree char *why = NULL;
	SipFlow peer;

	pending--;
	if (l->func) {
		if (addresses)
			why = lookup_result(l, addresses, &peer);
		else
			why = g_strdup_printf("DNS: %s: %s", l->target,
			                      resolver_reason(error, l->target));
		/* The next SRV target is tried when one fails (RFC 3263 §4.3). */
		if (why && lookup_next_target(l)) {
			g_resolver_free_addresses(addresses);
			return;
		}
		l->func(why ? NULL : &peer, why, l->user_data);
	}
	g_resolver_free_addresses(addresses);
	lookup_free(l);
}

/* SRV answered: its targets in turn, or the host itself when it has none. */
static void srv_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GatewayLookup *l = user_data;
	GList *targets = g_resolver_lookup_service_finish(G_RESOLVER(source), res, NULL);

	pending--;
	/* Into an array: the list's links are only walked forwards (GLib's sorted SRV list
	 * has been seen with prev links that g_list_delete_link calls corrupt). */
	l->targets = g_ptr_array_new_with_free_func((GDestroyNotify)g_srv_target_free);
	for (GList *t = targets; t; t = t->next)
		g_ptr_array_add(l->targets, t->data);
	g_list_free(targets);
	if (!l->func) {
		lookup_free(l);
		return;
	}
	if (lookup_next_target(l))
		return;
	g_autoptr(GResolver) resolver = g_resolver_get_default();
	pending++;
	g_resolver_lookup_by_name_async(resolver, l->host, l->cancel, lookup_done_cb, l);
}

GatewayLookup *gateway_lookup_start(const GatewayProxy *proxy, const SipApi *sip,
                                    GatewayLookupFunc func, void *user_data)
{
	g_autoptr(GResolver) resolver = g_resolver_get_default();
	GatewayLookup *l = g_new0(GatewayLookup, 1);
	XbTransport tp = proxy->peer.transport;

	l->cancel = g_cancellable_new();
	l->func = func;
	l->user_data = user_data;
	l->host = g_strdup(proxy->host);
	l->target = l->host;
	l->port = proxy->port;
	l->transport = tp;
	l->ipv4 = sip->sent_by(tp, AF_INET) || sip->sent_by(XB_TRANSPORT_UDP, AF_INET);
	l->ipv6 = sip->sent_by(tp, AF_INET6) || sip->sent_by(XB_TRANSPORT_UDP, AF_INET6);
	if (!l->ipv4 && !l->ipv6) /* no listener at all: let sending say so */
		l->ipv4 = l->ipv6 = TRUE;
	pending++;
	if (proxy->srv)
		g_resolver_lookup_service_async(resolver, tp == XB_TRANSPORT_TLS ? "sips" : "sip",
		                                tp == XB_TRANSPORT_UDP ? "udp" : "tcp", l->host,
		                                l->cancel, srv_done_cb, l);
	else
		g_resolver_lookup_by_name_async(resolver, l->host, l->cancel, lookup_done_cb, l);
	return l;
}

void gateway_lookup_cancel(GatewayLookup *l)
{
	if (!l)
		return;
	l->func = NULL;
	g_cancellable_cancel(l->cancel);
}

guint gateway_lookups_pending(void)
{
	return pending;
}
