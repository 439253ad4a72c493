/* modules/sip/gateway_proxy.c: a gateway's proxy as written ("sip.carrier.example",
 * "192.0.2.10:5080", "[2001:db8::1]") and the look-up of a host name as RFC 3263 §4 says:
 * SRV for the transport when no port is written (_sip._udp, _sip._tcp, _sips._tcp for TLS),
 * each target's A/AAAA, and the name's own A/AAAA at 5060/5061 when it has no SRV record;
 * A/AAAA only when a port is written. The look-ups run on GLib's worker threads (GResolver)
 * and report on the main context: the main loop never waits for DNS. No NAPTR (§4.1):
 * GResolver cannot ask for NAPTR records, so the transport is the one configured. */
#include "gateway_proxy.h"

#include <crossbar/timer.h>

#include <arpa/inet.h>
#include <string.h>

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
		out->srv = !out->has_port; /* RFC 3263 §4.2: SRV only when no port is written */
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

/* ---- what a look-up found ---- */

static void target_clear(gpointer data)
{
	GatewayTarget *t = data;

	g_free(t->name);
	g_free(t->error);
}

static void targets_free(gpointer data)
{
	GatewayTargets *t = data;

	g_free(t->query);
	g_array_unref(t->targets);
}

static GatewayTargets *targets_new(const char *query, gboolean srv)
{
	GatewayTargets *t = g_rc_box_new0(GatewayTargets);

	t->query = g_strdup(query);
	t->srv = srv;
	t->targets = g_array_new(FALSE, TRUE, sizeof(GatewayTarget));
	g_array_set_clear_func(t->targets, target_clear);
	return t;
}

GatewayTargets *gateway_targets_ref(GatewayTargets *t)
{
	return g_rc_box_acquire(t);
}

void gateway_targets_unref(GatewayTargets *t)
{
	if (t)
		g_rc_box_release_full(t, targets_free);
}

int gateway_targets_next(const GatewayTargets *t, guint from)
{
	for (guint i = from; t && i < t->targets->len; i++)
		if (g_array_index(t->targets, GatewayTarget, i).peer.addr_len)
			return (int)i;
	return -1;
}

gboolean gateway_flow_equal(const SipFlow *a, const SipFlow *b)
{
	return a->transport == b->transport && a->addr_len == b->addr_len &&
	       memcmp(&a->addr, &b->addr, a->addr_len) == 0;
}

int gateway_targets_find(const GatewayTargets *t, const SipFlow *peer)
{
	for (guint i = 0; t && i < t->targets->len; i++) {
		const GatewayTarget *x = &g_array_index(t->targets, GatewayTarget, i);
		if (x->peer.addr_len && gateway_flow_equal(&x->peer, peer))
			return (int)i;
	}
	return -1;
}

/* ---- the asynchronous look-up ----
 *
 * One look-up: SRV (when asked), then the A/AAAA of every SRV target at once (or of the
 * host), each answer into its slot; when the last is in, the slots become the targets in
 * SRV order. */

typedef struct {
	GatewayLookup *l;
	char *name;
	guint16 port, priority, weight;
	GList *addresses; /* GInetAddress, the resolver's */
	char *error;
} Slot;

struct gateway_lookup {
	GCancellable *cancel;
	GatewayLookupFunc func; /* NULL once cancelled */
	void *user_data;
	char *host;       /* the name asked for, as errors name it */
	char *query;      /* the SRV name asked for, or the host */
	gboolean srv;     /* SRV records were found */
	guint16 port;     /* the host's port without SRV */
	GPtrArray *slots; /* Slot, in SRV order */
	guint waiting;    /* A/AAAA answers not in yet */
	XbTransport transport;
	gboolean ipv4, ipv6; /* the families mod_sip can send from */
};

static guint pending;

static void slot_free(gpointer data)
{
	Slot *s = data;

	g_free(s->name);
	g_resolver_free_addresses(s->addresses);
	g_free(s->error);
	g_free(s);
}

static void lookup_free(GatewayLookup *l)
{
	g_object_unref(l->cancel);
	g_ptr_array_unref(l->slots);
	g_free(l->host);
	g_free(l->query);
	g_free(l);
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

static gboolean family_usable(const GatewayLookup *l, GInetAddress *a)
{
	GSocketFamily f = g_inet_address_get_family(a);

	return (f == G_SOCKET_FAMILY_IPV4 && l->ipv4) || (f == G_SOCKET_FAMILY_IPV6 && l->ipv6);
}

static void target_add(GatewayTargets *t, const Slot *s, GInetAddress *a, const char *error,
                       XbTransport tp)
{
	GatewayTarget x = {
	    .name = g_strdup(s->name),
	    .port = s->port,
	    .priority = s->priority,
	    .weight = s->weight,
	    .error = g_strdup(error),
	};

	x.peer.transport = tp;
	if (a) {
		g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(a, s->port);
		x.peer.addr_len = g_socket_address_get_native_size(sa);
		if (!g_socket_address_to_native(sa, &x.peer.addr, sizeof(x.peer.addr), NULL)) {
			x.peer.addr_len = 0;
			x.error = g_strdup("unusable address");
		}
	}
	g_array_append_val(t->targets, x);
}

/* Every answer is in: the targets, and the error when none has an address. */
static void lookup_finish(GatewayLookup *l)
{
	g_autoptr(GatewayTargets) found = targets_new(l->query, l->srv);
	g_autofree char *why = NULL;

	found->at = xb_clock_now();
	for (guint i = 0; i < l->slots->len; i++) {
		const Slot *s = l->slots->pdata[i];
		guint usable = 0;
		for (GList *a = s->addresses; a; a = a->next) {
			if (!family_usable(l, a->data))
				continue;
			target_add(found, s, a->data, NULL, l->transport);
			usable++;
		}
		if (usable)
			continue;
		g_autofree char *none = NULL;
		if (!s->error)
			none =
			    g_strdup_printf("no %s address (crossbar listens on %s only)",
			                    l->ipv4 ? "IPv4" : "IPv6", l->ipv4 ? "IPv4" : "IPv6");
		target_add(found, s, NULL, s->error ? s->error : none, l->transport);
	}
	if (gateway_targets_next(found, 0) < 0) {
		const GatewayTarget *t =
		    found->targets->len ? &g_array_index(found->targets, GatewayTarget, 0) : NULL;
		if (!l->srv)
			why = g_strdup_printf("DNS: %s: %s", l->host, t ? t->error : "no address");
		else
			why = g_strdup_printf("DNS: %s: no SRV target resolves (%s: %s%s)",
			                      l->query, t->name, t->error,
			                      found->targets->len > 1 ? ", and the others" : "");
	}
	l->func(found, why, l->user_data);
}

static void name_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Slot *s = user_data;
	GatewayLookup *l = s->l;
	g_autoptr(GError) error = NULL;

	pending--;
	s->addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(source), res, &error);
	if (!s->addresses)
		s->error = g_strdup(resolver_reason(error, s->name));
	if (--l->waiting)
		return;
	if (l->func)
		lookup_finish(l);
	lookup_free(l);
}

static void slot_add(GatewayLookup *l, const char *name, guint16 port, guint16 priority,
                     guint16 weight)
{
	Slot *s = g_new0(Slot, 1);

	s->l = l;
	s->name = g_strdup(name);
	s->port = port;
	s->priority = priority;
	s->weight = weight;
	g_ptr_array_add(l->slots, s);
}

/* Ask for the A/AAAA of every slot at once. */
static void slots_resolve(GatewayLookup *l)
{
	g_autoptr(GResolver) resolver = g_resolver_get_default();

	l->waiting = l->slots->len;
	for (guint i = 0; i < l->slots->len; i++) {
		Slot *s = l->slots->pdata[i];
		pending++;
		g_resolver_lookup_by_name_async(resolver, s->name, l->cancel, name_done_cb, s);
	}
}

/* SRV answered: its targets (GLib sorts them by priority and, within one, at random by
 * weight, RFC 2782), or the host itself at its port when it has none (RFC 3263 §4.2). */
static void srv_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	GatewayLookup *l = user_data;
	GList *targets = g_resolver_lookup_service_finish(G_RESOLVER(source), res, NULL);

	pending--;
	for (GList *t = targets; t; t = t->next)
		slot_add(l, g_srv_target_get_hostname(t->data), g_srv_target_get_port(t->data),
		         g_srv_target_get_priority(t->data), g_srv_target_get_weight(t->data));
	g_resolver_free_targets(targets);
	if (!l->func) {
		lookup_free(l);
		return;
	}
	l->srv = l->slots->len > 0;
	if (!l->srv) {
		g_free(l->query);
		l->query = g_strdup(l->host);
		slot_add(l, l->host, l->port, 0, 0);
	}
	slots_resolve(l);
}

GatewayLookup *gateway_lookup_start(const GatewayProxy *proxy, const SipApi *sip,
                                    GatewayLookupFunc func, void *user_data)
{
	g_autoptr(GResolver) resolver = g_resolver_get_default();
	GatewayLookup *l = g_new0(GatewayLookup, 1);
	XbTransport tp = proxy->peer.transport;
	const char *service = tp == XB_TRANSPORT_TLS ? "sips" : "sip";
	const char *protocol = tp == XB_TRANSPORT_UDP ? "udp" : "tcp";

	l->cancel = g_cancellable_new();
	l->func = func;
	l->user_data = user_data;
	l->host = g_strdup(proxy->host);
	l->port = proxy->port;
	l->slots = g_ptr_array_new_with_free_func(slot_free);
	l->transport = tp;
	l->ipv4 = sip->sent_by(tp, AF_INET) || sip->sent_by(XB_TRANSPORT_UDP, AF_INET);
	l->ipv6 = sip->sent_by(tp, AF_INET6) || sip->sent_by(XB_TRANSPORT_UDP, AF_INET6);
	if (!l->ipv4 && !l->ipv6) /* no listener at all: let sending say so */
		l->ipv4 = l->ipv6 = TRUE;
	if (proxy->srv) {
		l->query = g_strdup_printf("_%s._%s.%s", service, protocol, l->host);
		pending++;
		g_resolver_lookup_service_async(resolver, service, protocol, l->host, l->cancel,
		                                srv_done_cb, l);
	} else {
		l->query = g_strdup(l->host);
		slot_add(l, l->host, l->port, 0, 0);
		slots_resolve(l);
	}
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
