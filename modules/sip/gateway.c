/* modules/sip/gateway.c: crossbar as a UAC towards carrier trunks: REGISTER (RFC 3261
 * §10.2) with digest answered by mod_sip (send_request_auth), refresh before expiry,
 * retries with back-off, OPTIONS pings, and unregistration when a gateway goes away or the
 * module unloads. It must not block the main loop, except for the bounded wait for the
 * unregistrations' answers at shutdown. One registration (one Call-ID) per gateway.
 *
 *   state          event                                 next
 *   -------------  ------------------------------------  ----------------------------------
 *   (new)          register=yes                          registering: REGISTER sent (a
 *                                                        host name is looked up first)
 *   (new)          register=no                           noreg (pings only, if any)
 *   registering    2xx                                   registered; refresh at 80 % of
 *                                                        the expiry granted (Contact
 *                                                        expires, else Expires)
 *   registering    423 with a longer Min-Expires         registering, asking for that
 *   registering    timeout, transport err. or 503, with  registering: the same REGISTER
 *                  another DNS target left               (CSeq+1) to the next target
 *   registering    other final, timeout, transport err., failed; retry after back-off
 *                  DNS look-up failure
 *   registered     refresh timer                         registering (same Call-ID, CSeq+1)
 *   failed         retry timer                           registering
 *   any            removed or changed by a reload,       unregistering (Expires: 0) when a
 *                  module unload                         registration may be in force; then
 *                                                        unregistered, and freed
 *
 * Back-off: retry_interval × 2^(failures-1), at most max(retry_interval, 300 s). A ping
 * (OPTIONS every `ping` s, the next one only after the last is answered) marks the gateway
 * up on any response and down on a timeout or a transport error; it does not touch the
 * registration.
 *
 * A proxy given as a host name is resolved (RFC 3263 §4: SRV, then A/AAAA; gateway_proxy.c)
 * before every registration attempt (first, refresh, retry) and every ping, so that a
 * carrier that moves is followed within one refresh or one retry. An attempt walks the
 * targets found in order: a timeout, a transport error or a 503 moves it to the next one
 * (§4.3), and only when the last fails does the attempt fail. The target that answered last
 * is the gateway's address (calls go there first); a 423's immediate retry and the
 * unregistration reuse it. Requests carry the host name in their URIs and go to the
 * address found. */
#include "gateway.h"

#include <errno.h>
#include <string.h>

#define BACKOFF_CAP_S    300
#define SHUTDOWN_WAIT_MS 2000
#define REFRESH_PERMILLE 800

typedef enum {
	GW_NOREG,
	GW_REGISTERING,
	GW_REGISTERED,
	GW_FAILED,
	GW_UNREGISTERING,
	GW_UNREGISTERED,
} GwState;

static const char *const state_names[] = {"noreg",  "registering",   "registered",
                                          "failed", "unregistering", "unregistered"};

typedef enum { PING_OFF, PING_UNKNOWN, PING_UP, PING_DOWN } PingState;
static const char *const ping_names[] = {"-", "unknown", "up", "down"};

typedef struct gateway Gateway;

/* One request in flight. gw is cleared when the gateway no longer wants the answer (it
 * was freed, or it sent something newer): the callback then only frees this. */
typedef struct {
	Gateway *gw;
	guint32 expires; /* REGISTER: what was asked; 0 for an unregistration */
} GwRequest;

struct gateway {
	Gateways *gws;
	GatewayDef *def;
	GwState state;
	char *call_id, *from_tag, *contact;
	guint32 cseq;
	guint32 asking; /* the expiry to ask for: def->expiry or a 423's Min-Expires */
	guint32 granted;
	gint64 expires_at; /* xb_clock ms; 0 when no registration may be in force */
	guint failures;
	char *last_error;
	XbTimer *reg_timer; /* refresh or retry */
	XbTimer *ping_timer;
	GwRequest *reg_req, *ping_req;
	GatewayLookup *reg_lookup, *ping_lookup; /* a host name's look-up in flight */
	SipFlow peer;          /* the address in use: the literal one, else the target that
	                        * answered last, else the first the look-up found (addr_len 0
	                        * before any look-up answered) */
	GatewayTargets *found; /* the last look-up's answer, error or not (a host name only) */
	char *lookup_error;    /* ... its error, or NULL */
	GatewayTargets *reg_targets, *ping_targets; /* those an attempt walks (NULL: literal) */
	guint reg_idx, ping_idx;                    /* ... the first target not tried yet */
	SipFlow reg_to, ping_to; /* where the REGISTER or OPTIONS in flight went */
	int contact_family;      /* the family `contact` was made for */
	PingState ping;
	gboolean dying;
};

struct gateways {
	XbModule *module;
	const SipApi *sip;
	GHashTable *by_name; /* name -> Gateway */
	GPtrArray *dying;    /* Gateway: unregistering, no longer configured */
	guint reload_sub;
};

static Gateways *the_gateways; /* for the API table's plain functions */

static void gw_send_register(Gateway *gw, guint32 expires);
static void gw_register_attempt(Gateway *gw);
static void gw_set_peer(Gateway *gw, const SipFlow *peer);
static gboolean worth_next_target(const struct sip_msg *resp, int error);
static gboolean gw_reg_next_target(Gateway *gw, const char *why);
static gboolean gw_ping_next_target(Gateway *gw, const char *why);

static void detach(GwRequest **req)
{
	if (*req) {
		(*req)->gw = NULL;
		*req = NULL;
	}
}

static void cancel_lookup(GatewayLookup **l)
{
	gateway_lookup_cancel(*l);
	*l = NULL;
}

static void gw_free(Gateway *gw)
{
	detach(&gw->reg_req);
	detach(&gw->ping_req);
	cancel_lookup(&gw->reg_lookup);
	cancel_lookup(&gw->ping_lookup);
	xb_timer_clear(&gw->reg_timer);
	xb_timer_clear(&gw->ping_timer);
	gateway_targets_unref(gw->found);
	gateway_targets_unref(gw->reg_targets);
	gateway_targets_unref(gw->ping_targets);
	g_free(gw->lookup_error);
	gateway_def_free(gw->def);
	g_free(gw->call_id);
	g_free(gw->from_tag);
	g_free(gw->contact);
	g_free(gw->last_error);
	g_free(gw);
}

static void gw_set_error(Gateway *gw, char *text)
{
	g_free(gw->last_error);
	gw->last_error = text;
}

/* Credentials for mod_sip, or NULL when the gateway has no password. */
static SipCredentials *gw_credentials(const Gateway *gw)
{
	if (!*gw->def->password)
		return NULL;
	return sip_credentials_new(gw->def->auth_username, gw->def->password, gw->def->realm);
}

/* Our Contact for this gateway: the listen address of its transport (else UDP's) in the
 * family of the address the REGISTER goes to. */
static gboolean gw_make_contact(Gateway *gw)
{
	const SipApi *sip = gw->gws->sip;
	XbTransport tp = gw->reg_to.transport;
	int family = gw->reg_to.addr.ss_family;
	const char *sent_by = sip->sent_by(tp, family);

	if (!sent_by)
		sent_by = sip->sent_by(XB_TRANSPORT_UDP, family);
	if (!sent_by)
		return FALSE;
	g_free(gw->contact);
	gw->contact_family = family;
	gw->contact = g_strdup_printf("sip:%s@%s%s%s", gw->def->username, sent_by,
	                              tp == XB_TRANSPORT_UDP ? "" : ";transport=",
	                              tp == XB_TRANSPORT_UDP ? "" : xb_transport_name(tp));
	return TRUE;
}

/* ---- failures and back-off ---- */

static void retry_cb(XbTimer *t, gpointer user_data)
{
	Gateway *gw = user_data;

	gw->reg_timer = NULL;
	gw_register_attempt(gw);
}

static guint backoff_s(const Gateway *gw)
{
	guint base = gw->def->retry_interval, cap = MAX(base, BACKOFF_CAP_S);
	guint shift = MIN(gw->failures - 1, 16u);
	guint64 d = (guint64)base << shift;

	return (guint)MIN(d, (guint64)cap);
}

static void gw_failed(Gateway *gw, char *reason)
{
	gw_set_error(gw, reason);
	gw->state = GW_FAILED;
	gw->failures++;
	guint delay = backoff_s(gw);
	g_warning("gateway %s: registration failed (%s); retrying in %u s", gw->def->name,
	          gw->last_error, delay);
	xb_timer_clear(&gw->reg_timer);
	gw->reg_timer = xb_timer_start(gw->gws->module, (gint64)delay * 1000, retry_cb, gw);
}

/* A 401/407 that reached us: mod_sip answered what it could. Say which case it was: a
 * challenge we could answer (so the credentials were refused), one of another algorithm
 * (we support MD5, SHA-256 and their -sess forms), or none for the configured realm. */
static const char *auth_failure_text(const struct sip_msg *resp, const char *realm)
{
	static const char *const algs[] = {"MD5", "MD5-sess", "SHA-256", "SHA-256-sess"};
	enum sip_hdrid id =
	    resp->status == 407 ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE;
	const char *why = "no digest challenge to answer";

	for (const struct sip_hdr *h = sip_msg_hdr(resp, id); h; h = sip_msg_hdr_next(resp, h)) {
		struct sip_auth a;
		gboolean known = FALSE;
		if (sip_auth_parse(&a, &h->val) < 0 || !sip_pl_caseeq(&a.scheme, "Digest"))
			continue;
		known = !sip_pl_isset(&a.algorithm);
		for (guint i = 0; i < G_N_ELEMENTS(algs); i++)
			known = known || sip_pl_caseeq(&a.algorithm, algs[i]);
		if (!known) {
			why = "no challenge with an algorithm we support";
			continue;
		}
		/* The realm is a quoted-string: compare inside the quotes. */
		if (*realm && !(a.realm.l == strlen(realm) + 2 &&
		                memcmp(a.realm.p + 1, realm, strlen(realm)) == 0)) {
			why = "no challenge for the configured realm";
			continue;
		}
		return "wrong credentials";
	}
	return why;
}

static char *failure_text(const struct sip_msg *resp, int error, Gateway *gw)
{
	if (!resp)
		return error == -ETIMEDOUT
		           ? g_strdup("timeout")
		           : g_strdup_printf("transport error: %s", g_strerror(-error));
	if (resp->status == 401 || resp->status == 407)
		return g_strdup_printf("%u %.*s: %s", resp->status, (int)resp->reason.l,
		                       resp->reason.p,
		                       *gw->def->password ? auth_failure_text(resp, gw->def->realm)
		                                          : "no password configured");
	return g_strdup_printf("%u %.*s", resp->status, (int)resp->reason.l, resp->reason.p);
}

/* ---- registered ---- */

static void refresh_cb(XbTimer *t, gpointer user_data)
{
	Gateway *gw = user_data;

	gw->reg_timer = NULL;
	gw_register_attempt(gw);
}

/* The expiry the registrar granted (§10.2.4): our Contact's expires parameter, else the
 * Expires header, else what we asked for. */
static guint32 granted_expiry(Gateway *gw, const struct sip_msg *resp, guint32 asked)
{
	struct sip_uri mine;
	guint32 v;
	unsigned ncontacts = sip_msg_hdr_count(resp, SIP_HDR_CONTACT);

	if (sip_uri_parse(&mine, gw->contact, strlen(gw->contact)) == 0) {
		for (const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_CONTACT); h;
		     h = sip_msg_hdr_next(resp, h)) {
			struct sip_addr a;
			if (sip_contact_parse(&a, &h->val) < 0 || a.star)
				continue;
			if ((ncontacts == 1 || sip_uri_equal(&a.puri, &mine)) &&
			    sip_contact_expires(&a, &v) == 0)
				return v;
		}
	}
	const struct sip_hdr *e = sip_msg_hdr(resp, SIP_HDR_EXPIRES);
	if (e && sip_pl_u32(&e->val, UINT32_MAX, &v) == 0)
		return v;
	return asked;
}

static void gw_registered(Gateway *gw, const struct sip_msg *resp, guint32 asked)
{
	guint32 granted = granted_expiry(gw, resp, asked);
	gboolean was = gw->state == GW_REGISTERED;

	if (granted == 0) /* a registrar that granted nothing: ask again later */
		granted = asked;
	gw->granted = granted;
	gw->state = GW_REGISTERED;
	gw->failures = 0;
	g_clear_pointer(&gw->last_error, g_free);
	gw->expires_at = xb_clock_now() + (gint64)granted * 1000;
	if (was)
		g_info("gateway %s: registration refreshed for %u s", gw->def->name, granted);
	else
		g_message("gateway %s: registered at %s as %s for %u s", gw->def->name,
		          gw->def->proxy, gw->contact, granted);
	xb_timer_clear(&gw->reg_timer);
	gw->reg_timer = xb_timer_start(
	    gw->gws->module, MAX((gint64)granted * REFRESH_PERMILLE, 500), refresh_cb, gw);
}

/* ---- unregistered ---- */

static void gw_unregistered(Gateway *gw, const struct sip_msg *resp, int error)
{
	gw->state = GW_UNREGISTERED;
	gw->expires_at = 0;
	if (resp && resp->status / 100 == 2) {
		g_message("gateway %s: unregistered from %s", gw->def->name, gw->def->proxy);
	} else {
		gw_set_error(gw, failure_text(resp, error, gw));
		g_warning("gateway %s: unregistration failed (%s)", gw->def->name, gw->last_error);
	}
	if (gw->dying) {
		g_ptr_array_remove_fast(gw->gws->dying, gw);
		gw_free(gw);
	}
}

/* ---- REGISTER ---- */

static void reg_cb(const struct sip_msg *resp, int error, void *user_data)
{
	GwRequest *r = user_data;
	Gateway *gw = r->gw;
	guint32 asked = r->expires;

	if (resp && resp->status < 200)
		return;
	g_free(r);
	if (!gw)
		return;
	gw->reg_req = NULL;
	/* The next CSeq follows the last one used, authentication rounds included. */
	if (resp)
		gw->cseq = MAX(gw->cseq, resp->cseq.num + 1);
	else
		gw->cseq += 8;

	if (resp)
		gw_set_peer(gw, &gw->reg_to); /* it answered */
	if (asked == 0) {
		gw_unregistered(gw, resp, error);
		return;
	}
	if (resp && resp->status / 100 == 2) {
		gw_registered(gw, resp, asked);
		return;
	}
	if (resp && resp->status == 423) {
		const struct sip_hdr *h = sip_msg_hdr(resp, SIP_HDR_MIN_EXPIRES);
		guint32 min = 0;
		if (h && sip_pl_u32(&h->val, UINT32_MAX, &min) == 0 && min > asked) {
			g_info("gateway %s: the registrar wants at least %u s", gw->def->name, min);
			gw->asking = min;
			gw_send_register(gw, min);
			return;
		}
	}
	g_autofree char *why = failure_text(resp, error, gw);
	if (worth_next_target(resp, error) && gw_reg_next_target(gw, why))
		return;
	gw_failed(gw, g_steal_pointer(&why));
}

/* Send REGISTER asking for `expires` s (0: unregister). On a local failure the gateway
 * fails (or, unregistering, is done). */
static void gw_send_register(Gateway *gw, guint32 expires)
{
	const GatewayDef *d = gw->def;
	g_autoptr(SipCredentials) cred = gw_credentials(gw);
	g_autoptr(SipPeer) to = sip_flow_to_peer(&gw->reg_to);
	g_autofree char *ruri = g_strdup_printf("sip:%s", d->from_domain);
	g_autofree char *headers = NULL;
	int rc;

	detach(&gw->reg_req);
	if ((!gw->contact || gw->contact_family != gw->reg_to.addr.ss_family) &&
	    !gw_make_contact(gw)) {
		rc = -EAFNOSUPPORT;
		goto out;
	}
	headers = g_strdup_printf("From: <sip:%s@%s>;tag=%s\r\n"
	                          "To: <sip:%s@%s>\r\n"
	                          "Call-ID: %s\r\n"
	                          "CSeq: %u REGISTER\r\n"
	                          "Contact: <%s>\r\n"
	                          "Expires: %u\r\n",
	                          d->from_user, d->from_domain, gw->from_tag, d->from_user,
	                          d->from_domain, gw->call_id, gw->cseq, gw->contact, expires);
	SipRequest req = {
	    .method = "REGISTER",
	    .ruri = ruri,
	    .to = to,
	    .headers = headers,
	    .credentials = cred,
	};
	GwRequest *r = g_new0(GwRequest, 1);
	r->gw = gw;
	r->expires = expires;
	gw->cseq++;
	/* A refresh keeps showing "registered": the binding at the carrier holds meanwhile. */
	if (!(expires && gw->state == GW_REGISTERED))
		gw->state = expires ? GW_REGISTERING : GW_UNREGISTERING;
	rc = gw->gws->sip->request_send(gw->gws->module, &req, reg_cb, r);
	if (rc == 0) {
		gw->reg_req = r;
		return;
	}
	g_free(r);
out:
	if (expires)
		gw_failed(gw, g_strdup_printf("cannot send: %s", g_strerror(-rc)));
	else
		gw_unregistered(gw, NULL, rc);
}

/* ---- looking the proxy up ---- */

/* Where requests go when nothing has answered yet, or when the carrier moved: the answer
 * that the address in use is no longer part of. Say so when it moved. */
static void gw_set_peer(Gateway *gw, const SipFlow *peer)
{
	if (gw->peer.addr_len && !gateway_flow_equal(&gw->peer, peer)) {
		g_autofree char *was = gateway_peer_text(&gw->peer);
		g_autofree char *now = gateway_peer_text(peer);
		g_message("gateway %s: %s is now at %s (was %s)", gw->def->name, gw->def->dest.host,
		          now, was);
	}
	gw->peer = *peer;
}

/* A carrier known by name must prove that name over TLS, not just any certificate. */
static void gw_tls_name(Gateway *gw, const SipFlow *to)
{
	if (gw->def->dest.is_name && to->transport == XB_TRANSPORT_TLS) {
		g_autoptr(SipPeer) p = sip_flow_to_peer(to);
		gw->gws->sip->tls_name(p, gw->def->dest.host);
	}
}

/* Keep a look-up's answer for `gateway show` and for calls; a first answer, or one that
 * no longer holds the address in use, gives the gateway its first target's address. */
static void gw_found(Gateway *gw, GatewayTargets *found, const char *error)
{
	if (found) {
		g_clear_pointer(&gw->found, gateway_targets_unref);
		gw->found = gateway_targets_ref(found);
	}
	g_free(gw->lookup_error);
	gw->lookup_error = g_strdup(error);
	if (error)
		return;
	if (!gw->peer.addr_len || gateway_targets_find(found, &gw->peer) < 0) {
		int first = gateway_targets_next(found, 0);
		gw_set_peer(gw, &g_array_index(found->targets, GatewayTarget, first).peer);
	}
}

/* RFC 3263 §4.3: a target that did not answer, or answered 503, is left for the next. */
static gboolean worth_next_target(const struct sip_msg *resp, int error)
{
	return resp ? resp->status == 503 : error != 0;
}

/* The next target of a walk after `why` (NULL: the first), into *to; FALSE when none is
 * left. */
static gboolean next_target(Gateway *gw, GatewayTargets *t, guint *idx, SipFlow *to,
                            const char *what, const char *why)
{
	int next = gateway_targets_next(t, *idx);

	if (next < 0)
		return FALSE;
	if (why) {
		g_autofree char *was = gateway_peer_text(to);
		const GatewayTarget *x = &g_array_index(t->targets, GatewayTarget, next);
		g_autofree char *now = gateway_peer_text(&x->peer);
		g_message("gateway %s: %s to %s failed (%s); trying %s at %s", gw->def->name, what,
		          was, why, x->name, now);
	}
	*to = g_array_index(t->targets, GatewayTarget, next).peer;
	*idx = (guint)next + 1;
	gw_tls_name(gw, to);
	return TRUE;
}

static gboolean gw_reg_next_target(Gateway *gw, const char *why)
{
	if (!next_target(gw, gw->reg_targets, &gw->reg_idx, &gw->reg_to, "REGISTER", why))
		return FALSE;
	gw_send_register(gw, gw->asking);
	return TRUE;
}

static void reg_resolved_cb(GatewayTargets *found, const char *error, void *user_data)
{
	Gateway *gw = user_data;

	gw->reg_lookup = NULL;
	gw_found(gw, found, error);
	if (error) {
		gw_failed(gw, g_strdup(error));
		return;
	}
	g_clear_pointer(&gw->reg_targets, gateway_targets_unref);
	gw->reg_targets = gateway_targets_ref(found);
	gw->reg_idx = 0;
	gw_reg_next_target(gw, NULL);
}

/* A registration attempt (the first, a refresh, a retry): a host name is looked up again
 * each time, so that a carrier that moved is followed, and its targets walked from the
 * first (RFC 3263 §4.3), so that the preferred one is taken back when it returns. */
static void gw_register_attempt(Gateway *gw)
{
	if (!gw->def->dest.is_name) {
		gw->reg_to = gw->def->dest.peer;
		gw_send_register(gw, gw->asking);
		return;
	}
	cancel_lookup(&gw->reg_lookup);
	if (gw->state != GW_REGISTERED)
		gw->state = GW_REGISTERING;
	gw->reg_lookup = gateway_lookup_start(&gw->def->dest, gw->gws->sip, reg_resolved_cb, gw);
}

/* ---- OPTIONS ping ---- */

static void ping_send_cb(XbTimer *t, gpointer user_data);

static void ping_next(Gateway *gw)
{
	xb_timer_clear(&gw->ping_timer);
	gw->ping_timer =
	    xb_timer_start(gw->gws->module, (gint64)gw->def->ping * 1000, ping_send_cb, gw);
}

static void ping_result(Gateway *gw, gboolean up, const char *why)
{
	PingState now = up ? PING_UP : PING_DOWN;

	if (now != gw->ping) {
		if (up)
			g_message("gateway %s is up (OPTIONS answered)", gw->def->name);
		else
			g_warning("gateway %s is down (OPTIONS: %s)", gw->def->name, why);
	}
	gw->ping = now;
}

static void ping_cb(const struct sip_msg *resp, int error, void *user_data)
{
	GwRequest *r = user_data;
	Gateway *gw = r->gw;

	if (resp && resp->status < 200)
		return;
	g_free(r);
	if (!gw)
		return;
	gw->ping_req = NULL;
	const char *why = resp ? NULL : error == -ETIMEDOUT ? "timeout" : g_strerror(-error);
	if (resp)
		gw_set_peer(gw, &gw->ping_to);
	else if (gw_ping_next_target(gw, why))
		return;
	/* Any answer, even 404 or 405, shows the carrier is there. */
	ping_result(gw, resp != NULL, why);
	ping_next(gw);
}

static void ping_send(Gateway *gw)
{
	const GatewayDef *d = gw->def;
	g_autoptr(SipCredentials) cred = gw_credentials(gw);
	g_autoptr(SipPeer) to = sip_flow_to_peer(&gw->ping_to);
	g_autofree char *ruri = g_strdup_printf("sip:%s", d->from_domain);
	g_autofree char *tag = xb_random_hex_new(16);
	g_autofree char *call_id = xb_random_hex_new(32);
	g_autofree char *headers = g_strdup_printf(
	    "From: <sip:%s@%s>;tag=%s\r\nTo: <%s>\r\nCall-ID: %s@crossbar\r\n"
	    "CSeq: 1 OPTIONS\r\nAccept: application/sdp\r\n",
	    *d->from_user ? d->from_user : "crossbar", d->from_domain, tag, ruri, call_id);
	SipRequest req = {
	    .method = "OPTIONS",
	    .ruri = ruri,
	    .to = to,
	    .headers = headers,
	    .credentials = cred,
	};
	GwRequest *r = g_new0(GwRequest, 1);

	r->gw = gw;
	int rc = gw->gws->sip->request_send(gw->gws->module, &req, ping_cb, r);
	if (rc < 0) {
		g_free(r);
		ping_result(gw, FALSE, g_strerror(-rc));
		ping_next(gw);
		return;
	}
	gw->ping_req = r;
}

static gboolean gw_ping_next_target(Gateway *gw, const char *why)
{
	if (!next_target(gw, gw->ping_targets, &gw->ping_idx, &gw->ping_to, "OPTIONS", why))
		return FALSE;
	ping_send(gw);
	return TRUE;
}

static void ping_resolved_cb(GatewayTargets *found, const char *error, void *user_data)
{
	Gateway *gw = user_data;

	gw->ping_lookup = NULL;
	gw_found(gw, found, error);
	if (error) {
		ping_result(gw, FALSE, error);
		ping_next(gw);
		return;
	}
	g_clear_pointer(&gw->ping_targets, gateway_targets_unref);
	gw->ping_targets = gateway_targets_ref(found);
	gw->ping_idx = 0;
	gw_ping_next_target(gw, NULL);
}

/* Each ping cycle looks a host name up again, as registration attempts do. */
static void ping_send_cb(XbTimer *t, gpointer user_data)
{
	Gateway *gw = user_data;

	gw->ping_timer = NULL;
	if (!gw->def->dest.is_name) {
		gw->ping_to = gw->def->dest.peer;
		ping_send(gw);
		return;
	}
	cancel_lookup(&gw->ping_lookup);
	gw->ping_lookup = gateway_lookup_start(&gw->def->dest, gw->gws->sip, ping_resolved_cb, gw);
}

/* ---- life of one gateway ---- */

static Gateway *gw_new(Gateways *gws, GatewayDef *def)
{
	Gateway *gw = g_new0(Gateway, 1);
	g_autofree char *id = xb_random_hex_new(32);

	gw->gws = gws;
	gw->def = def;
	gw->call_id = g_strdup_printf("%s@crossbar", id);
	gw->from_tag = xb_random_hex_new(16);
	gw->cseq = 1;
	gw->asking = def->expiry;
	gw->peer = def->dest.peer; /* complete for a literal address, else just the transport */
	gw->ping = def->ping ? PING_UNKNOWN : PING_OFF;
	gw->state = GW_NOREG;
	return gw;
}

static void gw_start(Gateway *gw)
{
	if (gw->def->reg)
		gw_register_attempt(gw);
	if (gw->def->ping)
		gw->ping_timer = xb_timer_start(gw->gws->module, 0, ping_send_cb, gw);
}

/* Stop everything and unregister when a registration of ours may be in force. TRUE when
 * an unregistration was sent (the gateway must live until it is answered). A host name
 * never resolved has no registration anywhere. */
static gboolean gw_stop(Gateway *gw)
{
	gboolean in_force = gw->state == GW_REGISTERED || gw->state == GW_REGISTERING ||
	                    (gw->state == GW_FAILED && gw->expires_at > xb_clock_now());

	xb_timer_clear(&gw->reg_timer);
	xb_timer_clear(&gw->ping_timer);
	detach(&gw->ping_req);
	cancel_lookup(&gw->reg_lookup);
	cancel_lookup(&gw->ping_lookup);
	if (!gw->peer.addr_len)
		return FALSE;
	if (!gw->def->reg || !in_force)
		return FALSE;
	gw->reg_to = gw->peer;
	gw_send_register(gw, 0);
	return gw->state == GW_UNREGISTERING;
}

/* A gateway leaving the configuration: unregistered in the background, then freed. */
static void gw_retire(Gateways *gws, Gateway *gw)
{
	if (gw_stop(gw)) {
		gw->dying = TRUE;
		g_ptr_array_add(gws->dying, gw);
	} else {
		gw_free(gw);
	}
}

/* ---- the set of gateways ---- */

static void install(Gateways *gws, GPtrArray *defs)
{
	g_autoptr(GHashTable) wanted = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTableIter it;
	Gateway *gw;

	for (guint i = 0; i < defs->len; i++) {
		GatewayDef *d = defs->pdata[i];
		g_hash_table_insert(wanted, d->name, d);
	}
	/* Removed or changed: retire. */
	g_hash_table_iter_init(&it, gws->by_name);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&gw)) {
		GatewayDef *d = g_hash_table_lookup(wanted, gw->def->name);
		if (d && gateway_def_equal(d, gw->def))
			continue;
		g_message("gateway %s %s", gw->def->name,
		          d ? "changed; registering it again" : "removed");
		g_hash_table_iter_steal(&it);
		gw_retire(gws, gw);
	}
	/* New (or changed): start. */
	for (guint i = 0; i < defs->len; i++) {
		GatewayDef *d = defs->pdata[i];
		if (g_hash_table_contains(gws->by_name, d->name))
			continue;
		defs->pdata[i] = NULL; /* the gateway takes it */
		gw = gw_new(gws, d);
		g_hash_table_insert(gws->by_name, gw->def->name, gw);
		gw_start(gw);
	}
}

void gateways_reload(Gateways *gws)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) defs = gateway_defs_from_config(&error);

	if (!defs) {
		g_warning("gateways unchanged: %s", error->message);
		return;
	}
	install(gws, defs);
}

static void reloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	gateways_reload(user_data);
}

/* ---- the API table ---- */

XbGateway *gateways_lookup(Gateways *gws, const char *name)
{
	Gateway *gw = gws ? g_hash_table_lookup(gws->by_name, name) : NULL;

	if (!gw)
		return NULL;
	const GatewayDef *d = gw->def;
	XbGateway *x = g_new0(XbGateway, 1);
	x->name = g_strdup(d->name);
	x->proxy = g_strdup(d->proxy);
	x->peer = gw->peer.addr_len ? sip_flow_to_peer(&gw->peer) : NULL;
	x->username = g_strdup(d->username);
	x->auth_username = g_strdup(d->auth_username);
	x->realm = g_strdup(d->realm);
	x->credentials = gw_credentials(gw);
	x->from_user = g_strdup(d->from_user);
	x->from_domain = g_strdup(d->from_domain);
	x->registered = gw->state == GW_REGISTERED;
	x->up = gw->ping != PING_DOWN;
	return x;
}

const GatewayDef *gateways_find(Gateways *gws, const char *name, SipFlow *peer,
                                GatewayTargets **targets)
{
	Gateway *gw = gws ? g_hash_table_lookup(gws->by_name, name) : NULL;

	*targets = NULL;
	if (!gw)
		return NULL;
	*peer = gw->peer;
	if (gw->found && !gw->lookup_error)
		*targets = gateway_targets_ref(gw->found);
	return gw->def;
}

static gboolean same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return FALSE;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return FALSE;
}

const GatewayDef *gateways_find_source(Gateways *gws, const SipFlow *from)
{
	GHashTableIter it;
	Gateway *gw;

	if (!gws)
		return NULL;
	g_hash_table_iter_init(&it, gws->by_name);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&gw)) {
		if (gw->peer.addr_len && same_ip(&gw->peer.addr, &from->addr))
			return gw->def;
		if (gw->def->dest.peer.addr_len && same_ip(&gw->def->dest.peer.addr, &from->addr))
			return gw->def;
		/* A carrier of several SRV targets calls from any of them. */
		for (guint i = 0; gw->found && i < gw->found->targets->len; i++) {
			const GatewayTarget *t =
			    &g_array_index(gw->found->targets, GatewayTarget, i);
			if (t->peer.addr_len && same_ip(&t->peer.addr, &from->addr))
				return gw->def;
		}
	}
	return NULL;
}

void xb_gateway_free(XbGateway *x)
{
	if (!x)
		return;
	g_free(x->name);
	g_free(x->proxy);
	g_free(x->username);
	g_free(x->auth_username);
	g_free(x->realm);
	sip_peer_free(x->peer);
	sip_credentials_free(x->credentials);
	g_free(x->from_user);
	g_free(x->from_domain);
	g_free(x);
}

char **gateways_names(Gateways *gws)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	const char *name;

	if (gws) {
		g_hash_table_iter_init(&it, gws->by_name);
		while (g_hash_table_iter_next(&it, (gpointer *)&name, NULL))
			g_ptr_array_add(out, g_strdup(name));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static XbGateway *api_lookup(const char *name)
{
	return gateways_lookup(the_gateways, name);
}

static char **api_names(void)
{
	return gateways_names(the_gateways);
}

static const XbGatewayApi gateway_api = {
    .version = XB_GATEWAY_API_VERSION,
    .lookup = api_lookup,
    .free_gateway = xb_gateway_free,
    .names = api_names,
};

/* ---- the `gateways` rows ---- */

static gint by_name_cmp(gconstpointer a, gconstpointer b)
{
	const Gateway *x = *(Gateway *const *)a, *y = *(Gateway *const *)b;
	return strcmp(x->def->name, y->def->name);
}

void gateways_report(Gateways *gws, XbCliReply *reply, const char *name)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	GHashTableIter it;
	gpointer value;
	gint64 now = xb_clock_now();

	g_hash_table_iter_init(&it, gws->by_name);
	while (g_hash_table_iter_next(&it, NULL, &value))
		g_ptr_array_add(all, value);
	g_ptr_array_sort(all, by_name_cmp);
	xb_cli_reply_columns(reply, "name", "proxy", "state", "ping", "expires_in", "retry_in",
	                     "last_error", NULL);
	for (guint i = 0; i < all->len; i++) {
		Gateway *gw = all->pdata[i];
		if (name && strcmp(name, gw->def->name) != 0)
			continue;
		gint64 expires_in = gw->state == GW_REGISTERED && gw->expires_at > now
		                        ? (gw->expires_at - now + 999) / 1000
		                        : 0;
		gint64 retry_in = gw->state == GW_FAILED && gw->reg_timer
		                      ? MAX(xb_timer_deadline(gw->reg_timer) - now + 999, 0) / 1000
		                      : 0;
		g_autofree char *proxy =
		    g_strdup_printf("%s:%s", xb_transport_name(gw->peer.transport), gw->def->proxy);
		xb_cli_reply_row(reply, "name", g_variant_new_string(gw->def->name), "proxy",
		                 g_variant_new_string(proxy), "state",
		                 g_variant_new_string(state_names[gw->state]), "ping",
		                 g_variant_new_string(ping_names[gw->ping]), "expires_in",
		                 g_variant_new_int64(expires_in), "retry_in",
		                 g_variant_new_int64(retry_in), "last_error",
		                 g_variant_new_string(gw->last_error ? gw->last_error : ""), NULL);
	}
}

/* ---- `gateway show NAME` ---- */

static void field_s(XbCliReply *reply, const char *key, const char *value)
{
	xb_cli_reply_field(reply, key, g_variant_new_string(value ? value : ""));
}

/* The address of a flow without its port (the table has a column for the port). */
static char *address_text(const SipFlow *peer)
{
	g_autoptr(GSocketAddress) sa =
	    g_socket_address_new_from_native((gpointer)&peer->addr, peer->addr_len);

	if (!sa || !G_IS_INET_SOCKET_ADDRESS(sa))
		return g_strdup("-");
	return g_inet_address_to_string(
	    g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
}

/* One row of the targets: SRV's priority and weight ("-" for a name without SRV or an
 * address), where it is, and "in use", or why it has no address. */
static void target_row(XbCliReply *reply, const Gateway *gw, const GatewayTarget *t, gboolean srv)
{
	g_autofree char *addr = t->peer.addr_len ? address_text(&t->peer) : g_strdup("-");
	g_autofree char *prio = srv ? g_strdup_printf("%u", t->priority) : g_strdup("-");
	g_autofree char *weight = srv ? g_strdup_printf("%u", t->weight) : g_strdup("-");
	gboolean in_use =
	    gw->peer.addr_len && t->peer.addr_len && gateway_flow_equal(&t->peer, &gw->peer);

	xb_cli_reply_row(reply, "prio", g_variant_new_string(prio), "weight",
	                 g_variant_new_string(weight), "target", g_variant_new_string(t->name),
	                 "port", g_variant_new_uint32(t->port), "address",
	                 g_variant_new_string(addr), "status",
	                 g_variant_new_string(t->error ? t->error
	                                      : in_use ? "in use"
	                                               : ""),
	                 NULL);
}

gboolean gateways_show(Gateways *gws, XbCliReply *reply, const char *name)
{
	Gateway *gw = g_hash_table_lookup(gws->by_name, name);
	const GatewayDef *d;

	if (!gw) {
		xb_cli_reply_error(reply, "gateway show: no gateway '%s' (see 'gateways')", name);
		return FALSE;
	}
	d = gw->def;
	g_autofree char *proxy =
	    g_strdup_printf("%s:%s", xb_transport_name(d->dest.peer.transport), d->proxy);
	g_autofree char *in_use = gw->peer.addr_len ? gateway_peer_text(&gw->peer) : NULL;
	g_autofree char *lookup = NULL;
	g_autofree char *age = NULL;
	if (!d->dest.is_name)
		lookup = g_strdup("none: an address");
	else if (!gw->found)
		lookup = g_strdup(d->dest.srv ? "SRV, then A/AAAA (not yet asked)"
		                              : "A/AAAA (not yet asked)");
	else
		lookup =
		    g_strdup_printf("%s %s", gw->found->srv ? "SRV" : "A/AAAA", gw->found->query);
	if (gw->found)
		age = g_strdup_printf("%" G_GINT64_FORMAT " s ago",
		                      (xb_clock_now() - gw->found->at) / 1000);
	field_s(reply, "name", d->name);
	field_s(reply, "proxy", proxy);
	field_s(reply, "state", state_names[gw->state]);
	field_s(reply, "address", in_use ? in_use : "-");
	field_s(reply, "lookup", lookup);
	field_s(reply, "looked_up", age ? age : "-");
	field_s(reply, "lookup_error", gw->lookup_error);
	field_s(reply, "last_error", gw->last_error);
	xb_cli_reply_columns(reply, "prio", "weight", "target", "port", "address", "status", NULL);
	if (!d->dest.is_name) {
		GatewayTarget t = {
		    .name = d->dest.host, .port = d->dest.port, .peer = d->dest.peer};
		target_row(reply, gw, &t, FALSE);
		return TRUE;
	}
	for (guint i = 0; gw->found && i < gw->found->targets->len; i++)
		target_row(reply, gw, &g_array_index(gw->found->targets, GatewayTarget, i),
		           gw->found->srv);
	return TRUE;
}

/* ---- life cycle ---- */

Gateways *gateways_new(XbModule *module, const SipApi *sip, GError **error)
{
	g_autoptr(GPtrArray) defs = gateway_defs_from_config(error);

	if (!defs)
		return NULL;
	Gateways *gws = g_new0(Gateways, 1);
	gws->module = module;
	gws->sip = sip;
	gws->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	gws->dying = g_ptr_array_new();
	the_gateways = gws;
	install(gws, defs);
	gws->reload_sub = xb_event_subscribe(module, XB_EVENT_CONFIG_RELOADED, reloaded_cb, gws);
	xb_api_publish(module, XB_GATEWAY_API, &gateway_api);
	return gws;
}

static gboolean deadline_cb(gpointer data)
{
	*(gboolean *)data = TRUE;
	return G_SOURCE_REMOVE;
}

void gateways_free(Gateways *gws)
{
	GHashTableIter it;
	Gateway *gw;
	gboolean late = FALSE;

	if (!gws)
		return;
	if (the_gateways == gws)
		the_gateways = NULL;
	if (gws->reload_sub)
		xb_event_unsubscribe(gws->reload_sub);
	g_hash_table_iter_init(&it, gws->by_name);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&gw)) {
		g_hash_table_iter_steal(&it);
		gw_retire(gws, gw);
	}
	/* Shutdown only: run the main context until the carriers answered (authentication
	 * rounds included) or the deadline passed, so that the unregistrations complete; and
	 * until the cancelled look-ups reported (GResolver does so at once on a cancel): their
	 * callbacks are in this module, which is about to be unmapped. */
	gboolean waiting = gws->dying->len || gateway_lookups_pending();
	guint src = waiting ? g_timeout_add(SHUTDOWN_WAIT_MS, deadline_cb, &late) : 0;
	while ((gws->dying->len || gateway_lookups_pending()) && !late)
		g_main_context_iteration(NULL, TRUE);
	if (src && !late)
		g_source_remove(src);
	for (guint i = 0; i < gws->dying->len; i++)
		gw_free(gws->dying->pdata[i]);
	g_ptr_array_unref(gws->dying);
	g_hash_table_unref(gws->by_name);
	g_free(gws);
}
