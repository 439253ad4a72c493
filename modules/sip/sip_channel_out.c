/* sip_channel_out.c: the legs a target stands for (XbChannelDriver.originate), each one
 * INVITE with a Call-ID, tags and CSeq of its own (call_place), From the caller ID with its
 * name, and what is left of the caller's Max-Forwards:
 *   sip:URI, sips:URI    a literal address, or a host name looked up off the main loop
 *                        (RFC 3263 §4.2: SRV, then A/AAAA; only A/AAAA when the URI has a
 *                        port), the leg waiting meanwhile; transport from sips or the
 *                        transport parameter (no NAPTR: GLib cannot ask for it). From:
 *                        caller ID @ sip.domain.
 *   gateway/NAME/NUMBER  a carrier trunk of <gateways>: sip:NUMBER@from_domain to its
 *                        address in use, its credentials answering 401/407, From its
 *                        from_user (or the caller ID, with caller_id_in_from) @ from_domain.
 *   user/EXT             every live contact the registrar's location service (mod_registrar,
 *                        crossbar/location.h) knows, rung at once, each along the flow its
 *                        REGISTER came on, its Path (RFC 3327) as Route; To: EXT @ sip.domain.
 * A leg to a host name keeps the other targets its look-up found: an INVITE that times out,
 * cannot be sent or gets 503 goes to the next (RFC 3263 §4.3, sip_channel.c). A name that
 * does not resolve ends the leg at once with NETWORK_OUT_OF_ORDER (503).
 * A target that stands for no leg at all fails at once with its cause; a leg that fails
 * later (DNS, the transport) hangs up with its own. */
#include "sip_channel.h"

#include <errno.h>
#include <string.h>

/* What every leg of one originate shares. */
typedef struct {
	char *number;  /* caller ID number, as it is */
	char *name;    /* caller ID name, or NULL */
	char *headers; /* the extra header lines that may go */
	guint max_forwards;
} Origin;

static void origin_clear(Origin *og)
{
	g_free(og->number);
	g_free(og->name);
	g_free(og->headers);
}

/* Headers mod_sip writes itself, and those no caller may set on the next hop. */
static const char *const own_headers[] = {"via",
                                          "v",
                                          "from",
                                          "f",
                                          "to",
                                          "t",
                                          "call-id",
                                          "i",
                                          "cseq",
                                          "contact",
                                          "m",
                                          "max-forwards",
                                          "content-length",
                                          "l",
                                          "content-type",
                                          "c",
                                          "allow",
                                          "route",
                                          "record-route",
                                          "require",
                                          "proxy-require",
                                          "authorization",
                                          "proxy-authorization",
                                          NULL};

/* The caller's extra headers ("Name: value"), one line each, those that could break the
 * request (CR, LF, a bad name) or take over one of mod_sip's dropped. */
static char *extra_headers(const char *const *headers)
{
	GString *out = g_string_new(NULL);

	for (; headers && *headers; headers++) {
		const char *h = *headers, *colon = strchr(h, ':');
		if (!colon || colon == h || strpbrk(h, "\r\n"))
			continue;
		g_autofree char *name = g_ascii_strdown(h, colon - h);
		struct sip_pl pl = sip_pl_str(g_strstrip(name));
		if (!sip_token_valid(&pl) || g_strv_contains(own_headers, name))
			continue;
		g_string_append_printf(out, "%s\r\n", h);
	}
	return g_string_free(out, FALSE);
}

/* What is left of the caller's Max-Forwards: the originate's, and no more than the
 * origin's max_forwards variable (RFC 3261 §16.6 item 3, as a B2BUA passes it on). 0 when
 * nothing is left; 70 when neither says. */
static guint hops_left(const XbOriginate *o)
{
	guint mf = o->max_forwards ? o->max_forwards : 70;
	const char *v = o->origin ? xb_channel_get_var(o->origin, "max_forwards") : NULL;
	guint64 n;

	if (v && g_ascii_string_to_unsigned(v, 10, 0, 255, &n, NULL) && n < mf)
		mf = (guint)n;
	return mf;
}

static void origin_init(Origin *og, const XbOriginate *o)
{
	const char *number = o->caller_id_number, *name = o->caller_id_name;

	if (!number && o->origin)
		number = xb_channel_get_var(o->origin, "caller_id_number");
	if (!name && o->origin)
		name = xb_channel_get_var(o->origin, "caller_id_name");
	og->number = g_strdup(number && *number ? number : "crossbar");
	og->name = g_strdup(name && *name ? name : NULL);
	og->headers = extra_headers(o->headers);
	og->max_forwards = hops_left(o);
}

/* RFC 3261 §25.1: a user part, its unreserved and user-unreserved characters as they are
 * and the rest escaped. */
static char *user_escape(const char *s)
{
	GString *out = g_string_new(NULL);

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (g_ascii_isalnum(*p) || strchr("-_.!~*'()&=+$,;?/", *p))
			g_string_append_c(out, (char)*p);
		else
			g_string_append_printf(out, "%%%02X", *p);
	}
	return g_string_free(out, FALSE);
}

/* A placement from the origin's shared parts; the caller fills in ruri, to_uri, dest. */
static SipPlace *place_new(const Origin *og, const XbOriginate *o, const char *from_user,
                           const char *from_domain, const char *route)
{
	SipPlace *p = g_new0(SipPlace, 1);
	g_autofree char *user = user_escape(from_user);

	p->from_uri = g_strdup_printf("sip:%s@%s", user, from_domain);
	p->from_display = g_strdup(og->name);
	p->headers = route && *route ? g_strdup_printf("Route: %s\r\n%s", route, og->headers)
	                             : g_strdup(og->headers);
	p->max_forwards = og->max_forwards;
	if (o->offer && o->offer->body)
		p->offer = xb_channel_body_copy(o->offer);
	return p;
}

/* ---- legs on their way ---- */

static void resolved_cb(GatewayTargets *found, const char *error, void *user_data)
{
	SipLeg *leg = user_data;
	int rc;

	leg->lookup = NULL;
	if (!leg->ch)
		return;
	g_autoptr(XbChannel) ch = xb_channel_ref(leg->ch);
	if (error) {
		xb_notice("%s: %s: no INVITE sent", xb_channel_name(ch), error);
		sip_leg_over(leg, XB_CAUSE_NETWORK_OUT_OF_ORDER, 0);
		return;
	}
	int first = gateway_targets_next(found, 0);
	leg->place->dest = g_array_index(found->targets, GatewayTarget, first).peer;
	sip_leg_set_alternates(leg, found, &leg->place->dest);
	rc = sip_leg_place(leg);
	if (rc < 0) {
		xb_info("%s: INVITE not sent: %s", xb_channel_name(ch), g_strerror(-rc));
		sip_leg_over(leg, XB_CAUSE_DESTINATION_OUT_OF_ORDER, 0);
	}
}

/* A leg with p (taken) and its channel's variables; host NULL: p->dest is complete, else
 * it is looked up first (srv: RFC 3263 SRV first). */
static SipLeg *leg_new(SipPlace *p, const char *destination, const char *host, guint16 port,
                       gboolean srv)
{
	SipLeg *leg = sip_leg_new(XB_CHANNEL_OUTBOUND);
	g_autofree char *mf = g_strdup_printf("%u", p->max_forwards);

	leg->place = p;
	xb_channel_set_var(leg->ch, "destination_number", destination);
	xb_channel_set_var(leg->ch, "sip_req_uri", p->ruri);
	xb_channel_set_var(leg->ch, "sip_from_uri", p->from_uri);
	xb_channel_set_var(leg->ch, "sip_to_uri", p->to_uri);
	xb_channel_set_var(leg->ch, "max_forwards", mf);
	if (host) {
		GatewayProxy gp = {
		    .host = (char *)host,
		    .port = port,
		    .has_port = !srv,
		    .is_name = TRUE,
		    .srv = srv,
		    .peer = {.transport = p->dest.transport},
		};
		leg->lookup = gateway_lookup_start(&gp, sip_drv.sip, resolved_cb, leg);
	}
	return leg;
}

/* Send the leg's INVITE (unless it waits for DNS) and give the caller its channel; a leg
 * that cannot go is over, its cause in *failed. It names its A-leg first, so that even a
 * leg that ends here is known as part of that call (call records). */
static void leg_go(SipLeg *leg, const XbOriginate *o, GPtrArray *legs, XbCause *failed)
{
	g_autoptr(XbChannel) ch = xb_channel_ref(leg->ch);
	int rc;

	if (o->origin)
		xb_channel_set_var(ch, "originator_uuid",
		                   xb_channel_get_var(o->origin, "originator_uuid")
		                       ?: xb_channel_uuid(o->origin));
	rc = leg->lookup ? 0 : sip_leg_place(leg);

	if (rc < 0) {
		xb_info("%s: INVITE to %s not sent: %s", xb_channel_name(ch), leg->place->ruri,
		        g_strerror(-rc));
		*failed = XB_CAUSE_DESTINATION_OUT_OF_ORDER;
		sip_leg_over(leg, *failed, 0);
		return;
	}
	g_ptr_array_add(legs, xb_channel_ref(ch));
}

/* ---- sip:URI, sips:URI ---- */

static gboolean target_uri(const char *target, const Origin *og, const XbOriginate *o,
                           GPtrArray *legs, GError **error)
{
	struct sip_uri u;
	struct sip_pl tp_pl;
	XbTransport tp = XB_TRANSPORT_UDP;
	XbCause failed = XB_CAUSE_NONE;
	SipFlow dest;

	if (sip_uri_parse(&u, target, strlen(target)) < 0 ||
	    (u.scheme != SIP_SCHEME_SIP && u.scheme != SIP_SCHEME_SIPS) || !u.host.l ||
	    u.headers.l) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_INVALID_NUMBER_FORMAT,
		            "%s: not a SIP URI for a Request-URI", target);
		return FALSE;
	}
	if (sip_param_get(&u.params, "transport", &tp_pl)) {
		if (sip_pl_caseeq(&tp_pl, "tcp"))
			tp = XB_TRANSPORT_TCP;
		else if (sip_pl_caseeq(&tp_pl, "tls"))
			tp = XB_TRANSPORT_TLS;
		else if (!sip_pl_caseeq(&tp_pl, "udp")) {
			g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_INVALID_NUMBER_FORMAT,
			            "%s: transport %.*s is not udp, tcp or tls", target,
			            (int)tp_pl.l, tp_pl.p);
			return FALSE;
		}
	}
	if (u.scheme == SIP_SCHEME_SIPS)
		tp = XB_TRANSPORT_TLS; /* §19.1.2, §26.2.2: sips is TLS all the way */
	g_autofree char *host =
	    u.host_is_ipv6 ? g_strndup(u.host.p + 1, u.host.l - 2) : sip_pl_dup(&u.host);
	guint16 port = u.has_port ? u.port : tp == XB_TRANSPORT_TLS ? 5061 : 5060;
	gboolean literal = sip_flow_from_host(&dest, tp, host, port);
	if (!literal && !gateway_host_name_valid(host)) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_INVALID_NUMBER_FORMAT,
		            "%s: %s is neither an address nor a host name", target, host);
		return FALSE;
	}
	g_autofree char *user = NULL;
	if (u.has_user) {
		char buf[256];
		size_t len;
		if (sip_uri_unescape(&u.user, buf, sizeof(buf), &len) == 0)
			user = g_strndup(buf, len);
	}
	SipPlace *p = place_new(og, o, og->number, sip_drv.sip->domain(), NULL);
	p->ruri = g_strdup(target);
	p->to_uri = g_strdup(target);
	p->dest = dest;
	p->dest.transport = tp;
	if (!literal)
		p->tls_host = g_strdup(host);
	SipLeg *leg = leg_new(p, user ? user : "", literal ? NULL : host, port, !u.has_port);
	leg_go(leg, o, legs, &failed);
	if (failed) {
		g_set_error(error, XB_CHANNEL_ERROR, failed, "%s: INVITE not sent", target);
		return FALSE;
	}
	return TRUE;
}

/* ---- gateway/NAME/NUMBER ---- */

static gboolean target_gateway(const char *rest, const Origin *og, const XbOriginate *o,
                               GPtrArray *legs, GError **error)
{
	const char *slash = strchr(rest, '/');
	XbCause failed = XB_CAUSE_NONE;
	SipFlow peer;
	g_autoptr(GatewayTargets) targets = NULL;

	if (!slash || slash == rest || !slash[1]) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_INVALID_NUMBER_FORMAT,
		            "gateway/%s: not gateway/NAME/NUMBER", rest);
		return FALSE;
	}
	g_autofree char *name = g_strndup(rest, slash - rest);
	const char *number = slash + 1;
	const GatewayDef *d = gateways_find(sip_drv.gws, name, &peer, &targets);
	if (!d) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_NO_ROUTE_DESTINATION,
		            "gateway/%s: no gateway named %s", rest, name);
		return FALSE;
	}
	g_autofree char *num = user_escape(number);
	const char *from_user = d->caller_id_in_from || !*d->from_user ? og->number : d->from_user;
	SipPlace *p = place_new(og, o, from_user, d->from_domain, NULL);
	p->ruri = g_strdup_printf("sip:%s@%s", num, d->from_domain);
	p->to_uri = g_strdup(p->ruri);
	if (*d->password)
		p->cred = sip_credentials_new(d->auth_username, d->password, d->realm);
	p->dest = peer.addr_len ? peer : d->dest.peer;
	gboolean lookup = !peer.addr_len && d->dest.is_name;
	if (d->dest.is_name)
		p->tls_host = g_strdup(d->dest.host);
	SipLeg *leg = leg_new(p, number, lookup ? d->dest.host : NULL, d->dest.port, d->dest.srv);
	/* The address in use first, then the gateway's other targets in their order. */
	if (!lookup && targets)
		sip_leg_set_alternates(leg, targets, &p->dest);
	xb_channel_set_var(leg->ch, "gateway", name);
	leg_go(leg, o, legs, &failed);
	if (failed) {
		g_set_error(error, XB_CHANNEL_ERROR, failed, "gateway/%s: INVITE not sent", rest);
		return FALSE;
	}
	return TRUE;
}

/* ---- user/EXT ---- */

/* "udp:192.0.2.1:5060", "tcp:[2001:db8::1]:5060" (a location's source) and its
 * connection into a flow. */
static gboolean flow_from_source(SipFlow *flow, const char *source, guint64 conn_id)
{
	const char *colon = strchr(source, ':'), *last = strrchr(source, ':');
	XbTransport tp;
	guint64 port;

	if (!colon || last == colon)
		return FALSE;
	if (!g_ascii_strncasecmp(source, "udp:", 4))
		tp = XB_TRANSPORT_UDP;
	else if (!g_ascii_strncasecmp(source, "tcp:", 4))
		tp = XB_TRANSPORT_TCP;
	else if (!g_ascii_strncasecmp(source, "tls:", 4))
		tp = XB_TRANSPORT_TLS;
	else
		return FALSE;
	if (!g_ascii_string_to_unsigned(last + 1, 10, 1, 65535, &port, NULL))
		return FALSE;
	g_autofree char *host = g_strndup(colon + 1, last - colon - 1);
	if (!sip_flow_from_host(flow, tp, host, (guint16)port))
		return FALSE;
	flow->conn_id = conn_id;
	return TRUE;
}

static gboolean target_user(const char *rest, const Origin *og, const XbOriginate *o,
                            GPtrArray *legs, GError **error)
{
	const XbLocationApi *loc = xb_api_get(XB_LOCATION_API);
	g_autofree char *ext = g_strndup(rest, strcspn(rest, "@"));
	g_autoptr(GPtrArray) contacts = NULL;
	const char *domain = sip_drv.sip->domain();
	XbCause failed = XB_CAUSE_SUBSCRIBER_ABSENT;

	if (!loc || loc->version != XB_LOCATION_API_VERSION) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_SUBSCRIBER_ABSENT,
		            "user/%s: no location service (mod_registrar is not loaded)", rest);
		return FALSE;
	}
	contacts = loc->lookup(ext);
	g_autofree char *to_user = user_escape(ext);
	for (guint i = 0; i < contacts->len; i++) {
		const XbContact *c = contacts->pdata[i];
		SipFlow dest;
		if (!flow_from_source(&dest, c->source, c->conn_id)) {
			xb_info("user/%s: contact %s: unusable source %s", ext, c->contact,
			        c->source);
			continue;
		}
		SipPlace *p = place_new(og, o, og->number, domain, c->path);
		p->ruri = g_strdup(c->contact);
		p->to_uri = g_strdup_printf("sip:%s@%s", to_user, domain);
		p->dest = dest;
		SipLeg *leg = leg_new(p, ext, NULL, 0, FALSE);
		xb_channel_set_var(leg->ch, "user_ext", ext); /* the user it reaches */
		leg_go(leg, o, legs, &failed);
	}
	if (!legs->len) {
		g_set_error(error, XB_CHANNEL_ERROR, failed, "user/%s: %s", ext,
		            contacts->len ? "no contact could be called" : "not registered");
		return FALSE;
	}
	return TRUE;
}

gboolean sip_channel_originate(const char *target, const XbOriginate *o, GPtrArray *legs,
                               GError **error)
{
	Origin og = {0};
	gboolean ok;

	if (!sip_drv.legs) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_SERVICE_UNAVAILABLE,
		            "%s: mod_sip is stopping", target);
		return FALSE;
	}
	origin_init(&og, o);
	if (og.max_forwards == 0) {
		/* RFC 3261 §16.3 item 2: the hop count is spent (a loop, most likely). */
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_EXCHANGE_ROUTING_ERROR,
		            "%s: Max-Forwards is spent", target);
		ok = FALSE;
	} else if (g_str_has_prefix(target, "sip:") || g_str_has_prefix(target, "sips:")) {
		ok = target_uri(target, &og, o, legs, error);
	} else if (g_str_has_prefix(target, "gateway/")) {
		ok = target_gateway(target + 8, &og, o, legs, error);
	} else if (g_str_has_prefix(target, "user/")) {
		ok = target_user(target + 5, &og, o, legs, error);
	} else {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_INVALID_NUMBER_FORMAT,
		            "%s: not a target of the sip driver", target);
		ok = FALSE;
	}
	origin_clear(&og);
	return ok;
}
