/* mwi.c: message waiting. mod_voicemail is the notifier of RFC 3842's message-summary
 * package (RFC 6665): it takes SUBSCRIBE over from mod_sip, keeps each subscription as a
 * dialog of its own (mwi_store.c keeps them across a restart), and sends NOTIFY with the
 * box's counts when it is made, refreshed, ended, and whenever vm_mwi_changed() says the
 * box changed. Registered phones of the owner that are configured to expect it
 * (voicemail.mwi_unsolicited) get an unsolicited NOTIFY on each change as well.
 *
 * A subscription's life (RFC 6665 §4.2.1, §4.2.2):
 *
 *   state    event                                   action                        next
 *   -        SUBSCRIBE, no To tag, digest ok, own box 200 Expires, NOTIFY active   active
 *   -        same with Expires: 0 (a fetch)           200, NOTIFY terminated       -
 *   active   SUBSCRIBE in the dialog, Expires N > 0   200 Expires, NOTIFY active   active
 *   active   SUBSCRIBE in the dialog, Expires: 0      200, NOTIFY terminated       -
 *   active   the box changed                          NOTIFY active (one at a time) active
 *   active   the expiry timer                         NOTIFY terminated;timeout    -
 *   active   NOTIFY answered 300-699 or not at all    (none)                       -
 *
 * A SUBSCRIBE outside a dialog needs the box owner's digest (401, as the registrar asks;
 * 403 for another user's box). One within the dialog is not challenged: its Call-ID and
 * both tags, ours 76 random bits, prove it. NOTIFYs go to the flow the last SUBSCRIBE came
 * on (the NAT binding the phone keeps open), with the Record-Route set as Route headers;
 * the Route's first URI is not resolved. Memory is bounded: voicemail.mwi_max_subscriptions
 * in all (past it: 503) and voicemail.mwi_max_per_box per box (past it the box's
 * subscription that expires first goes, which only the box's owner can cause). */
#include "mwi_private.h"
#include "vm.h"

#include <crossbar/location.h>
#include <crossbar/sipdigest.h>

#include <errno.h>
#include <string.h>

#define MAX_CALL_ID 256
#define MAX_TAG     128

typedef struct {
	XbModule *module;
	const SipApi *sip;
	SipDigestServer *digest;
	XbDirUser *current_user; /* of the SUBSCRIBE being authenticated */
	GHashTable *subs;        /* key -> MwiSub *, owned */
	GHashTable *inflight;    /* NOTIFY id -> MwiSub * */
	guint next_id;
	MwiExpiry expiry;
	guint max_total, max_per_box;
	gboolean unsolicited_all;
	char **unsolicited; /* extensions whose phones get unsolicited NOTIFYs */
} Mwi;

static Mwi *mwi;

void mwi_sub_free(MwiSub *s)
{
	if (!s)
		return;
	xb_timer_clear(&s->timer);
	g_free(s->key);
	g_free(s->box);
	g_free(s->call_id);
	g_free(s->local_tag);
	g_free(s->remote_tag);
	g_free(s->local_uri);
	g_free(s->remote_uri);
	g_free(s->target);
	g_free(s->route);
	g_free(s->event_id);
	g_free(s->source);
	g_free(s);
}

/* ---- settings ---- */

static gint64 cfg_int(const char *key, gint64 def)
{
	return xb_config_has(key) ? xb_config_get_int(key) : def;
}

static const char *cfg_str(const char *key, const char *def)
{
	const char *v = xb_config_has(key) ? xb_config_get_string(key) : NULL;

	return v && *v ? v : def;
}

static void read_config(Mwi *m)
{
	SipDigestServerConfig dcfg = {.nonce_slots = 1u << 16};
	const char *algs =
	    cfg_str("registrar.digest_algorithms", cfg_str("sip.digest_algorithms", "MD5,SHA-256"));

	m->expiry.min_expires = (guint32)cfg_int("voicemail.mwi_min_expires", 60);
	m->expiry.max_expires = (guint32)cfg_int("voicemail.mwi_max_expires", 3600);
	m->expiry.default_expires = (guint32)cfg_int("voicemail.mwi_default_expires", 3600);
	m->expiry.max_expires = MAX(m->expiry.max_expires, m->expiry.min_expires);
	m->expiry.default_expires =
	    CLAMP(m->expiry.default_expires, m->expiry.min_expires, m->expiry.max_expires);
	m->max_total = (guint)cfg_int("voicemail.mwi_max_subscriptions", 10000);
	m->max_per_box = (guint)cfg_int("voicemail.mwi_max_per_box", 8);
	g_clear_pointer(&m->unsolicited, g_strfreev);
	m->unsolicited = xb_config_has("voicemail.mwi_unsolicited")
	                     ? xb_config_get_list("voicemail.mwi_unsolicited")
	                     : g_new0(char *, 1);
	m->unsolicited_all = g_strv_contains((const char *const *)m->unsolicited, "all") ||
	                     g_strv_contains((const char *const *)m->unsolicited, "yes");
	dcfg.nonce_ttl_s = cfg_int("registrar.nonce_ttl", 300);
	dcfg.offer_md5 = strstr(algs, "MD5") != NULL;
	dcfg.offer_sha256 = strstr(algs, "SHA-256") != NULL;
	dcfg.md5_first = g_str_has_prefix(algs, "MD5");
	if (!dcfg.offer_md5 && !dcfg.offer_sha256)
		dcfg.offer_md5 = dcfg.md5_first = TRUE;
	if (m->digest)
		sip_digest_server_configure(m->digest, &dcfg);
	else
		m->digest = sip_digest_server_new(&dcfg);
}

static void reloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	read_config(user_data);
}

/* ---- where NOTIFYs go and what they say ---- */

/* "udp:192.0.2.1:5060", "tcp:[2001:db8::1]:5060" (sip_peer_to_string) back into a peer. */
static SipPeer *peer_from_source(const char *source, guint64 conn_id)
{
	const char *colon = strchr(source, ':'), *last = strrchr(source, ':');
	struct sockaddr_storage ss;
	socklen_t len;
	XbTransport tp;
	guint64 port;

	if (!colon || last == colon)
		return NULL;
	if (!g_ascii_strncasecmp(source, "udp:", 4))
		tp = XB_TRANSPORT_UDP;
	else if (!g_ascii_strncasecmp(source, "tcp:", 4))
		tp = XB_TRANSPORT_TCP;
	else if (!g_ascii_strncasecmp(source, "tls:", 4))
		tp = XB_TRANSPORT_TLS;
	else
		return NULL;
	if (!g_ascii_string_to_unsigned(last + 1, 10, 1, 65535, &port, NULL))
		return NULL;
	g_autofree char *host = g_strndup(colon + 1, last - colon - 1);
	if (!sip_sockaddr_from_host(&ss, &len, host, (guint16)port))
		return NULL;
	return sip_peer_new(tp, (struct sockaddr *)&ss, len, conn_id);
}

/* Our Contact towards a peer: the listen address of its transport and family. */
static char *our_contact(const SipPeer *peer, const char *user)
{
	XbTransport tp = sip_peer_transport(peer);
	socklen_t len;
	const struct sockaddr *sa = sip_peer_sockaddr(peer, &len);
	const char *sent_by = mwi->sip->sent_by(tp, sa->sa_family);

	if (!sent_by) {
		tp = XB_TRANSPORT_UDP;
		sent_by = mwi->sip->sent_by(tp, sa->sa_family);
	}
	return g_strdup_printf("<sip:%s@%s%s%s>", user, sent_by ? sent_by : "invalid",
	                       tp == XB_TRANSPORT_UDP ? "" : ";transport=",
	                       tp == XB_TRANSPORT_UDP ? "" : xb_transport_name(tp));
}

static char *summary_body(const char *box, guint *new_count, guint *old_count)
{
	g_autofree char *account = g_strdup_printf("sip:%s@%s", box, mwi->sip->domain());

	*new_count = *old_count = 0;
	vm_store_counts(box, new_count, old_count);
	return mwi_body(account, *new_count, *old_count);
}

static void sub_remove(MwiSub *s, const char *reason);
static void notify(MwiSub *s, const char *reason);

static void notify_cb(const struct sip_msg *resp, int error, void *user_data)
{
	guint id = GPOINTER_TO_UINT(user_data);
	MwiSub *s;

	if (resp && resp->status < 200)
		return;
	if (!mwi || !id || !(s = g_hash_table_lookup(mwi->inflight, user_data))) {
		if (!resp || resp->status >= 300)
			xb_info("voicemail: a NOTIFY outside a subscription failed: %s",
			        resp ? "refused" : g_strerror(-error));
		return;
	}
	g_hash_table_remove(mwi->inflight, user_data);
	s->inflight = 0;
	if (resp && resp->status < 300) {
		xb_info("voicemail: NOTIFY to %s for box %s answered %u", s->source, s->box,
		        resp->status);
		if (s->pending) {
			s->pending = FALSE;
			notify(s, NULL);
		}
		return;
	}
	/* RFC 6665 §4.2.2: a NOTIFY refused or lost ends the subscription. */
	if (resp)
		xb_info("voicemail: NOTIFY to %s for box %s answered %u: subscription removed",
		        s->source, s->box, resp->status);
	else
		xb_info("voicemail: NOTIFY to %s for box %s failed (%s): subscription removed",
		        s->source, s->box, g_strerror(-error));
	sub_remove(s, NULL);
}

/* A NOTIFY in the subscription's dialog: active with the time left, or terminated with
 * reason (then the subscription is being removed and its answer is not awaited). While
 * one waits for its answer the next is only noted (§4.2.2: one at a time); it goes with
 * the counts of that moment. */
static void notify(MwiSub *s, const char *reason)
{
	guint new_count, old_count;
	g_autoptr(SipPeer) peer = peer_from_source(s->source, s->conn_id);
	g_autoptr(GString) hdrs = g_string_new(NULL);
	guint id = 0;

	if (!reason && s->inflight) {
		s->pending = TRUE;
		return;
	}
	if (!peer) {
		xb_warning("voicemail: subscription of %s: unusable source %s", s->box, s->source);
		return;
	}
	g_autofree char *body = summary_body(s->box, &new_count, &old_count);
	g_autofree char *state =
	    mwi_substate((guint32)CLAMP(s->expires_at - xb_clock_wall_s(), 0, G_MAXUINT32), reason);
	g_autofree char *contact = our_contact(peer, s->box);
	s->local_cseq++;
	g_string_append_printf(hdrs,
	                       "From: <%s>;tag=%s\r\nTo: <%s>;tag=%s\r\nCall-ID: %s\r\n"
	                       "CSeq: %u NOTIFY\r\nContact: %s\r\nEvent: " MWI_EVENT "%s%s\r\n"
	                       "Subscription-State: %s\r\n",
	                       s->local_uri, s->local_tag, s->remote_uri, s->remote_tag, s->call_id,
	                       s->local_cseq, contact, *s->event_id ? ";id=" : "", s->event_id,
	                       state);
	if (*s->route)
		g_string_append_printf(hdrs, "Route: %s\r\n", s->route);
	if (!reason) {
		id = ++mwi->next_id ? mwi->next_id : ++mwi->next_id;
		s->inflight = id;
		g_hash_table_insert(mwi->inflight, GUINT_TO_POINTER(id), s);
	}
	const SipRequest req = {
	    .method = "NOTIFY",
	    .ruri = s->target,
	    .to = peer,
	    .headers = hdrs->str,
	    .content_type = MWI_CONTENT_TYPE,
	    .body = body,
	    .body_len = strlen(body),
	};
	g_autofree char *key = g_strdup(s->key), *source = g_strdup(s->source);
	int rc = mwi->sip->request_send(mwi->module, &req, notify_cb, GUINT_TO_POINTER(id));
	/* Should the answer come before request_send returns, it may have removed s. */
	if (id && g_hash_table_lookup(mwi->subs, key) != s)
		return;
	if (rc < 0) {
		xb_warning("voicemail: NOTIFY to %s for box %s not sent: %s", source, s->box,
		           g_strerror(-rc));
		if (id) {
			g_hash_table_remove(mwi->inflight, GUINT_TO_POINTER(id));
			s->inflight = 0;
		}
		return;
	}
	xb_info("voicemail: NOTIFY to %s for box %s: %u new, %u old, %s", source, s->box, new_count,
	        old_count, state);
	if (id)
		mwi_store_cseq(s);
}

/* Ends a subscription: a last NOTIFY with reason first (none when reason is NULL). */
static void sub_remove(MwiSub *s, const char *reason)
{
	if (reason)
		notify(s, reason);
	if (s->inflight)
		g_hash_table_remove(mwi->inflight, GUINT_TO_POINTER(s->inflight));
	mwi_store_delete(s);
	g_hash_table_remove(mwi->subs, s->key);
}

static void expire_cb(XbTimer *t, gpointer user_data)
{
	MwiSub *s = user_data;

	s->timer = NULL;
	xb_info("voicemail: subscription of %s from %s expired", s->box, s->source);
	sub_remove(s, "timeout");
}

static void arm(MwiSub *s)
{
	gint64 left = MAX(s->expires_at - xb_clock_wall_s(), 0);

	xb_timer_clear(&s->timer);
	s->timer = xb_timer_start(mwi->module, left * 1000, expire_cb, s);
}

/* ---- SUBSCRIBE ---- */

static void respond(SipServerReq *req, guint status, const char *reason, const char *extra)
{
	SipResponse resp = {.status = status, .reason = reason, .headers = extra};

	mwi->sip->req_respond(req, &resp);
}

/* 200 with the time granted and our Contact (RFC 6665 §4.2.1.1). */
static void respond_ok(SipServerReq *req, const char *box, guint32 expires)
{
	g_autofree char *contact = our_contact(mwi->sip->req_peer(req), box);
	g_autofree char *extra =
	    g_strdup_printf("Expires: %u\r\nContact: %s\r\n", expires, contact);

	respond(req, 200, "OK", extra);
}

static char *ha1_of(const char *username, SipDigestAlg alg, void *user_data)
{
	return sip_digest_directory_ha1(username, alg, &mwi->current_user);
}

/* A slice as a string of at most max octets without NUL, or NULL. */
static char *bounded(const struct sip_pl *pl, gsize max)
{
	if (!pl->l || pl->l > max || sip_pl_has_nul(pl))
		return NULL;
	return sip_pl_dup(pl);
}

/* The subscriber's Contact URI: exactly one, parsed, bounded. */
static char *contact_of(const struct sip_msg *msg)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct sip_addr a;

	if (!h || sip_msg_hdr_count(msg, SIP_HDR_CONTACT) != 1 ||
	    sip_contact_parse(&a, &h->val) < 0 || a.star)
		return NULL;
	return bounded(&a.uri, MWI_MAX_URI);
}

/* The Record-Route values in order, or NULL when they are too long together. */
static char *route_of(const struct sip_msg *msg)
{
	g_autoptr(GString) r = g_string_new(NULL);

	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_RECORD_ROUTE); h;
	     h = sip_msg_hdr_next(msg, h)) {
		if (sip_pl_has_nul(&h->val))
			return NULL;
		if (r->len)
			g_string_append(r, ", ");
		g_string_append_len(r, h->val.p, h->val.l);
		if (r->len > MWI_MAX_ROUTE)
			return NULL;
	}
	return g_string_free(g_steal_pointer(&r), FALSE);
}

static guint box_count(const char *box, MwiSub **first)
{
	GHashTableIter it;
	MwiSub *s;
	guint n = 0;

	*first = NULL;
	g_hash_table_iter_init(&it, mwi->subs);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s)) {
		if (strcmp(s->box, box) != 0)
			continue;
		n++;
		if (!*first || s->expires_at < (*first)->expires_at)
			*first = s;
	}
	return n;
}

/* A SUBSCRIBE that creates a subscription (or fetches once), from its authenticated user. */
static void subscribe_new(SipServerReq *req, const struct sip_msg *msg, const char *user,
                          const MwiCheck *c)
{
	const struct sip_pl *box_pl = msg->ruri.has_user ? &msg->ruri.user : &msg->to.puri.user;
	g_autofree char *box = bounded(box_pl, 64);
	g_autoptr(XbDirUser) owner = NULL;
	MwiSub *s;

	/* One's own box only: whether another box exists is not told either. */
	if (!box || strcmp(user, box) != 0) {
		respond(req, 403, "Forbidden (Not Your Box)", NULL);
		return;
	}
	if (!vm_box_name_valid(box) || !(owner = xb_directory_lookup(box))) {
		respond(req, 404, "No Such Box", NULL);
		return;
	}
	s = g_new0(MwiSub, 1);
	s->box = g_steal_pointer(&box);
	s->call_id = bounded(&msg->call_id, MAX_CALL_ID);
	s->remote_tag = msg->from.has_tag ? bounded(&msg->from.tag, MAX_TAG) : NULL;
	s->local_uri = bounded(&msg->to.uri, MWI_MAX_URI);
	s->remote_uri = bounded(&msg->from.uri, MWI_MAX_URI);
	s->target = contact_of(msg);
	s->route = route_of(msg);
	if (!s->call_id || !s->remote_tag || !s->local_uri || !s->remote_uri || !s->target ||
	    !s->route) {
		mwi_sub_free(s);
		respond(req, 400, "Bad Or Too Long Dialog Header (Call-ID, From, To, Contact)",
		        NULL);
		return;
	}
	s->local_tag = g_strdup(mwi->sip->req_to_tag(req));
	s->event_id = g_strdup(c->event_id);
	s->source = sip_peer_to_string(mwi->sip->req_peer(req));
	s->conn_id = sip_peer_conn_id(mwi->sip->req_peer(req));
	s->remote_cseq = msg->cseq.num;
	s->expires_at = xb_clock_wall_s() + c->expires;
	s->key = g_strjoin("\n", s->call_id, s->local_tag, s->remote_tag, NULL);
	if (c->expires == 0) { /* a fetch: one NOTIFY, no subscription (§4.4.3) */
		respond_ok(req, s->box, 0);
		notify(s, "timeout");
		mwi_sub_free(s);
		return;
	}
	MwiSub *oldest = NULL;
	if (box_count(s->box, &oldest) >= mwi->max_per_box && oldest) {
		xb_info("voicemail: box %s has %u subscriptions: the one from %s goes", s->box,
		        mwi->max_per_box, oldest->source);
		sub_remove(oldest, NULL);
	}
	if (g_hash_table_size(mwi->subs) >= mwi->max_total) {
		mwi_sub_free(s);
		respond(req, 503, "Too Many Subscriptions", "Retry-After: 300\r\n");
		return;
	}
	g_hash_table_insert(mwi->subs, s->key, s);
	respond_ok(req, s->box, c->expires);
	mwi_store_put(s);
	arm(s);
	xb_info("voicemail: %s subscribed to box %s for %u s", s->source, s->box, c->expires);
	notify(s, NULL);
}

/* A SUBSCRIBE within a subscription's dialog: a refresh, or Expires: 0 to end it. */
static void subscribe_refresh(SipServerReq *req, const struct sip_msg *msg, const MwiCheck *c)
{
	g_autofree char *call_id = sip_pl_dup(&msg->call_id);
	g_autofree char *local = sip_pl_dup(&msg->to.tag);
	g_autofree char *remote = msg->from.has_tag ? sip_pl_dup(&msg->from.tag) : g_strdup("");
	g_autofree char *key = g_strjoin("\n", call_id, local, remote, NULL);
	MwiSub *s = g_hash_table_lookup(mwi->subs, key);

	if (!s || strcmp(s->event_id, c->event_id) != 0) {
		respond(req, 481, "Subscription Does Not Exist", NULL);
		return;
	}
	/* RFC 3261 §12.2.2: a CSeq not above the last one is out of order. */
	if (msg->cseq.num <= s->remote_cseq) {
		respond(req, 500, "CSeq Out Of Order", NULL);
		return;
	}
	g_autofree char *target = NULL;
	if (sip_msg_hdr(msg, SIP_HDR_CONTACT) && !(target = contact_of(msg))) {
		respond(req, 400, "Bad Or Too Long Contact", NULL);
		return;
	}
	s->remote_cseq = msg->cseq.num;
	if (target) { /* a target refresh (RFC 6665 §4.1.2.1) */
		g_free(s->target);
		s->target = g_steal_pointer(&target);
	}
	g_free(s->source);
	s->source = sip_peer_to_string(mwi->sip->req_peer(req));
	s->conn_id = sip_peer_conn_id(mwi->sip->req_peer(req));
	respond_ok(req, s->box, c->expires);
	if (c->expires == 0) {
		xb_info("voicemail: %s unsubscribed from box %s", s->source, s->box);
		sub_remove(s, "timeout");
		return;
	}
	s->expires_at = xb_clock_wall_s() + c->expires;
	mwi_store_put(s);
	arm(s);
	notify(s, NULL);
}

static gboolean subscribe_cb(SipServerReq *req, void *user_data)
{
	const struct sip_msg *msg = mwi->sip->req_msg(req);
	MwiCheck c;

	mwi_subscribe_check(msg, &mwi->expiry, &c);
	if (c.status) {
		respond(req, c.status, c.reason, c.extra);
	} else if (msg->to.has_tag) {
		subscribe_refresh(req, msg, &c);
	} else {
		const SipDigestRequest dr = {
		    .msg = msg,
		    .peer = mwi->sip->req_peer(req),
		    .kind = SIP_DIGEST_WWW,
		    .realm = xb_directory_realm(),
		    .ha1_of = ha1_of,
		};
		SipDigestOutcome out;
		if (sip_digest_server_authenticate(mwi->digest, &dr, "voicemail", &out) == 0)
			subscribe_new(req, msg, out.username, &c);
		else
			respond(req, out.status, out.reason, out.headers);
		sip_digest_outcome_clear(&out);
		g_clear_pointer(&mwi->current_user, xb_dir_user_free);
	}
	mwi_check_clear(&c);
	return TRUE;
}

/* ---- unsolicited NOTIFY ---- */

static gboolean wants_unsolicited(const char *box)
{
	return mwi->unsolicited_all || g_strv_contains((const char *const *)mwi->unsolicited, box);
}

static gboolean source_subscribed(const char *box, const char *source)
{
	GHashTableIter it;
	MwiSub *s;

	g_hash_table_iter_init(&it, mwi->subs);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (!strcmp(s->box, box) && !strcmp(s->source, source))
			return TRUE;
	return FALSE;
}

/* A NOTIFY outside any dialog to each registered contact of the box's owner, except one
 * whose phone holds a subscription (it hears of the change in its dialog). */
static void notify_unsolicited(const char *box)
{
	const XbLocationApi *loc = xb_api_get(XB_LOCATION_API);
	g_autoptr(GPtrArray) contacts = NULL;
	guint new_count, old_count;

	if (!loc || loc->version != XB_LOCATION_API_VERSION)
		return;
	contacts = loc->lookup(box);
	if (!contacts->len)
		return;
	g_autofree char *body = summary_body(box, &new_count, &old_count);
	const char *domain = mwi->sip->domain();
	for (guint i = 0; i < contacts->len; i++) {
		const XbContact *c = contacts->pdata[i];
		g_autoptr(SipPeer) peer = NULL;
		if (source_subscribed(box, c->source) ||
		    !(peer = peer_from_source(c->source, c->conn_id)))
			continue;
		g_autofree char *tag = xb_random_hex_new(16);
		g_autofree char *call_id = xb_random_hex_new(24);
		g_autofree char *contact = our_contact(peer, box);
		g_autoptr(GString) hdrs = g_string_new(NULL);
		g_string_append_printf(hdrs,
		                       "From: <sip:%s@%s>;tag=%s\r\nTo: <sip:%s@%s>\r\n"
		                       "Call-ID: %s@%s\r\nCSeq: 1 NOTIFY\r\nContact: %s\r\n"
		                       "Event: " MWI_EVENT "\r\n"
		                       "Subscription-State: terminated;reason=noresource\r\n",
		                       box, domain, tag, box, domain, call_id, domain, contact);
		if (c->path && *c->path) /* RFC 3327 §5.3: the Path the phone came by */
			g_string_append_printf(hdrs, "Route: %s\r\n", c->path);
		const SipRequest req = {
		    .method = "NOTIFY",
		    .ruri = c->contact,
		    .to = peer,
		    .headers = hdrs->str,
		    .content_type = MWI_CONTENT_TYPE,
		    .body = body,
		    .body_len = strlen(body),
		};
		int rc = mwi->sip->request_send(mwi->module, &req, notify_cb, NULL);
		if (rc < 0)
			xb_warning("voicemail: unsolicited NOTIFY to %s not sent: %s", c->contact,
			           g_strerror(-rc));
		else
			xb_info(
			    "voicemail: unsolicited NOTIFY to %s (%s) for box %s: %u new, %u old",
			    c->contact, c->source, box, new_count, old_count);
	}
}

/* ---- mwi.h ---- */

void vm_mwi_changed(const char *box)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	MwiSub *s;

	if (!mwi || !box)
		return;
	/* Keys first: a NOTIFY that fails at once removes its subscription. */
	g_hash_table_iter_init(&it, mwi->subs);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (!strcmp(s->box, box))
			g_ptr_array_add(keys, g_strdup(s->key));
	for (guint i = 0; i < keys->len; i++)
		if ((s = g_hash_table_lookup(mwi->subs, keys->pdata[i])))
			notify(s, NULL);
	if (wants_unsolicited(box))
		notify_unsolicited(box);
}

GPtrArray *mwi_subscriptions(void)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	MwiSub *s;

	if (!mwi)
		return out;
	g_hash_table_iter_init(&it, mwi->subs);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		g_ptr_array_add(out, s);
	return out;
}

static void mwi_free(Mwi *m)
{
	g_clear_pointer(&m->inflight, g_hash_table_unref);
	g_clear_pointer(&m->subs, g_hash_table_unref);
	g_clear_pointer(&m->digest, sip_digest_server_free);
	g_clear_pointer(&m->current_user, xb_dir_user_free);
	g_strfreev(m->unsolicited);
	g_free(m);
}

gboolean vm_mwi_start(XbModule *module, GError **error)
{
	Mwi *m = g_new0(Mwi, 1);
	g_autoptr(GPtrArray) kept = NULL;

	m->module = module;
	m->sip = xb_api_get(SIP_API_NAME);
	if (!m->sip || m->sip->version != SIP_API_VERSION) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DEPENDENCY,
		            "mod_sip's API (version %d) is missing", SIP_API_VERSION);
		mwi_free(m);
		return FALSE;
	}
	m->subs =
	    g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)mwi_sub_free);
	m->inflight = g_hash_table_new(NULL, NULL);
	read_config(m);
	if (!mwi_store_open(error) || !(kept = mwi_store_load(error))) {
		mwi_free(m);
		return FALSE;
	}
	if (!m->sip->method_register(module, "SUBSCRIBE", subscribe_cb, m)) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_CONFLICT,
		            "another module already handles SUBSCRIBE");
		mwi_free(m);
		return FALSE;
	}
	mwi = m;
	for (guint i = 0; i < kept->len; i++) {
		MwiSub *s = kept->pdata[i];
		g_hash_table_insert(m->subs, s->key, s);
		arm(s);
	}
	g_ptr_array_set_free_func(kept, NULL);
	if (kept->len)
		xb_notice("voicemail: message waiting: %u subscription(s) kept from the last run",
		          kept->len);
	xb_event_subscribe(module, XB_EVENT_CONFIG_RELOADED, reloaded_cb, m);
	mwi_cli_register(module);
	return TRUE;
}

void vm_mwi_stop(void)
{
	g_autoptr(GError) error = NULL;

	if (!mwi)
		return;
	/* The subscriptions stay in the database for the next run. */
	if (!xb_db_flush(xb_core_db(), &error))
		xb_warning("voicemail: message waiting: %s", error->message);
	g_clear_pointer(&mwi, mwi_free);
}
