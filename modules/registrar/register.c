/* register.c: REGISTER, step by step as RFC 3261 §10.3 orders it: the source's ban and
 * digest authentication (crossbar/sipdigest.h), the To AOR against the authenticated user,
 * the contacts and their expiry (423 with Min-Expires), Call-ID/CSeq ordering against
 * existing bindings, the per-user contact limit, and the 200 listing every binding with its
 * remaining time and a Date. A fetch (no Contact) only lists. Nothing is written unless all
 * of it holds. */
#include "register.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>

static const char *const wday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const month[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* RFC 3261 §20.17: RFC 1123 date, always GMT, always English (so not strftime, which
 * follows the locale). gmtime_r rather than a GDateTime: no allocation per 200. */
static void date_header(GString *out)
{
	time_t now = (time_t)xb_clock_wall_s();
	struct tm t;

	gmtime_r(&now, &t);
	g_string_append_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
	                       wday[t.tm_wday], t.tm_mday, month[t.tm_mon], t.tm_year + 1900,
	                       t.tm_hour, t.tm_min, t.tm_sec);
}

static int respond(Registrar *reg, SipServerReq *req, unsigned status, const char *reason,
                   const char *extra)
{
	SipResponse resp = {.status = status, .reason = reason, .headers = extra};

	return reg->sip->req_respond(req, &resp);
}

/* The user the digest was checked against is kept for the rest of the request, so that
 * the directory is read once per REGISTER. */
static char *ha1_of(const char *username, SipDigestAlg alg, void *user_data)
{
	Registrar *reg = user_data;

	return sip_digest_directory_ha1(username, alg, &reg->current_user);
}

/* One Contact of the request, with what §10.3 steps 6-7 need. */
typedef struct {
	char *uri;
	struct sip_uri parsed;
	guint32 expires;
	int q;
} NewContact;

static void new_contact_free(gpointer data)
{
	NewContact *c = data;
	g_free(c->uri);
	g_free(c);
}

static gboolean uri_same(const char *a, const struct sip_uri *b)
{
	struct sip_uri ua;
	return sip_uri_parse(&ua, a, strlen(a)) == 0 && sip_uri_equal(&ua, b);
}

/* The bindings after this REGISTER: the current ones less those it removed or replaced,
 * and those it put; listed without reading the table again. */
static void list_bindings(GPtrArray *current, GPtrArray *removed, GPtrArray *put, GString *out)
{
	gint64 now = xb_clock_wall_s();
	g_autoptr(GHashTable) gone = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *lists[] = {current, put};

	for (guint i = 0; i < removed->len; i++)
		g_hash_table_add(gone, removed->pdata[i]);
	for (guint i = 0; i < put->len; i++)
		g_hash_table_add(gone, ((Binding *)put->pdata[i])->contact);
	for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; i < lists[l]->len; i++) {
			Binding *b = lists[l]->pdata[i];
			if (l == 0 && g_hash_table_contains(gone, b->contact))
				continue;
			g_string_append_printf(out, "Contact: <%s>;expires=%" G_GINT64_FORMAT,
			                       b->contact, MAX(b->expires_at - now, 0));
			if (b->q >= 0)
				g_string_append_printf(out, ";q=%d.%03d", b->q / 1000, b->q % 1000);
			g_string_append(out, "\r\n");
		}
	}
}

/* The request's Path values joined, for storage and for the 200 (RFC 3327 §5.3). */
static char *path_of(const struct sip_msg *msg)
{
	GString *p = g_string_new(NULL);

	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_PATH); h;
	     h = sip_msg_hdr_next(msg, h)) {
		if (p->len)
			g_string_append(p, ", ");
		g_string_append_len(p, h->val.p, h->val.l);
	}
	return g_string_free(p, FALSE);
}

static gboolean handle_authorized(Registrar *reg, SipServerReq *req, const char *ext)
{
	const struct sip_msg *msg = reg->sip->req_msg(req);
	const SipPeer *peer = reg->sip->req_peer(req);
	g_autoptr(XbDirUser) user = g_steal_pointer(&reg->current_user);
	g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func(new_contact_free);
	g_autoptr(GPtrArray) current = NULL;
	g_autoptr(GPtrArray) put = g_ptr_array_new_with_free_func((GDestroyNotify)binding_free);
	g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) extra = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	gboolean star = FALSE;
	guint32 hdr_expires = reg->cfg.default_expires;
	gboolean has_hdr_expires = FALSE;
	g_autofree char *to_user = NULL;

	if (!user) { /* deleted between the digest check and now */
		respond(reg, req, 403, "Forbidden", NULL);
		return TRUE;
	}
	/* §10.3 step 5: the authenticated user may register only its own address. */
	to_user = msg->to.puri.has_user ? sip_pl_dup(&msg->to.puri.user) : g_strdup("");
	if (strcmp(to_user, ext) != 0) {
		respond(reg, req, 403, "Forbidden (To Does Not Match The Authenticated User)",
		        NULL);
		return TRUE;
	}
	const struct sip_hdr *eh = sip_msg_hdr(msg, SIP_HDR_EXPIRES);
	if (eh) {
		if (sip_pl_u32(&eh->val, UINT32_MAX, &hdr_expires) < 0) {
			respond(reg, req, 400, "Bad Expires", NULL);
			return TRUE;
		}
		has_hdr_expires = TRUE;
	}
	/* Path is stored as text, which a value holding an escaped NUL could not be. */
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_PATH); h;
	     h = sip_msg_hdr_next(msg, h)) {
		if (sip_pl_has_nul(&h->val)) {
			respond(reg, req, 400, "Bad Path (NUL Octet)", NULL);
			return TRUE;
		}
	}
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT); h;
	     h = sip_msg_hdr_next(msg, h)) {
		struct sip_addr addr;
		if (sip_contact_parse(&addr, &h->val) < 0) {
			respond(reg, req, 400, "Bad Contact", NULL);
			return TRUE;
		}
		if (addr.star) {
			star = TRUE;
			continue;
		}
		NewContact *c = g_new0(NewContact, 1);
		c->uri = sip_pl_dup(&addr.uri);
		c->parsed = addr.puri;
		if (sip_uri_parse(&c->parsed, c->uri, strlen(c->uri)) < 0) {
			new_contact_free(c);
			respond(reg, req, 400, "Bad Contact URI", NULL);
			return TRUE;
		}
		if (sip_contact_expires(&addr, &c->expires) != 0)
			c->expires = hdr_expires;
		unsigned q = 0;
		c->q = sip_contact_q(&addr, &q) == 0 ? (int)q : -1;
		g_ptr_array_add(contacts, c);
	}
	/* §10.3 step 6: "*" only alone and only with Expires: 0. */
	if (star && (contacts->len || !has_hdr_expires || hdr_expires != 0)) {
		respond(reg, req, 400,
		        "Invalid Wildcard Contact (Needs Expires: 0 And No Other "
		        "Contact)",
		        NULL);
		return TRUE;
	}
	for (guint i = 0; i < contacts->len; i++) {
		NewContact *c = contacts->pdata[i];
		if (c->expires != 0 && c->expires < reg->cfg.min_expires) {
			g_string_append_printf(extra, "Min-Expires: %u\r\n", reg->cfg.min_expires);
			respond(reg, req, 423, "Interval Too Brief", extra->str);
			return TRUE;
		}
		c->expires = MIN(c->expires, reg->cfg.max_expires);
	}

	current = location_bindings(reg->location, ext, &error);
	if (!current) {
		g_warning("registrar: %s", error->message);
		respond(reg, req, 500, "Server Internal Error", NULL);
		return TRUE;
	}
	g_autofree char *call_id = sip_pl_dup(&msg->call_id);
	g_autofree char *path = path_of(msg);
	g_autofree char *source = sip_peer_to_string(peer);
	const struct sip_hdr *uah = sip_msg_hdr(msg, SIP_HDR_USER_AGENT);
	/* shown only: one holding an escaped NUL is left out rather than kept cut short */
	g_autofree char *ua =
	    uah && !sip_pl_has_nul(&uah->val) ? sip_pl_dup(&uah->val) : g_strdup("");

	/* §10.3 step 7: a binding from the same Call-ID changes only with a higher CSeq. */
	for (guint i = 0; i < current->len; i++) {
		Binding *b = current->pdata[i];
		gboolean touched = star;
		for (guint j = 0; !touched && j < contacts->len; j++)
			touched = uri_same(b->contact, &((NewContact *)contacts->pdata[j])->parsed);
		if (touched && strcmp(b->call_id, call_id) == 0 && msg->cseq.num <= b->cseq) {
			respond(reg, req, 400, "Invalid CSeq Number (Not Above The Binding's)",
			        NULL);
			return TRUE;
		}
		if (star)
			g_ptr_array_add(removed, g_strdup(b->contact));
	}
	guint remaining = star ? 0 : current->len;
	for (guint j = 0; j < contacts->len; j++) {
		NewContact *c = contacts->pdata[j];
		const char *existing = NULL;
		for (guint i = 0; i < current->len && !existing; i++)
			if (uri_same(((Binding *)current->pdata[i])->contact, &c->parsed))
				existing = ((Binding *)current->pdata[i])->contact;
		if (c->expires == 0) {
			if (existing) {
				g_ptr_array_add(removed, g_strdup(existing));
				remaining--;
			}
			continue;
		}
		if (existing) {
			/* The same contact written differently: the old row goes. */
			if (strcmp(existing, c->uri) != 0)
				g_ptr_array_add(removed, g_strdup(existing));
			remaining--;
		}
		Binding *b = g_new0(Binding, 1);
		b->ext = g_strdup(ext);
		b->contact = g_strdup(c->uri);
		b->call_id = g_strdup(call_id);
		b->cseq = msg->cseq.num;
		b->expires_at = xb_clock_wall_s() + c->expires;
		b->q = c->q;
		b->path = g_strdup(path);
		b->source = g_strdup(source);
		b->user_agent = g_strdup(ua);
		b->conn_id = sip_peer_conn_id(peer);
		g_ptr_array_add(put, b);
	}
	if (remaining + put->len > (guint)user->max_contacts) {
		respond(reg, req, 403, "Too Many Registered Contacts", NULL);
		return TRUE;
	}
	if ((put->len || removed->len) &&
	    !location_apply(reg->location, ext, put, removed, &error)) {
		g_warning("registrar: %s", error->message);
		respond(reg, req, 500, "Server Internal Error", NULL);
		return TRUE;
	}
	list_bindings(current, removed, put, extra);
	date_header(extra);
	if (*path)
		g_string_append_printf(extra, "Path: %s\r\n", path);
	respond(reg, req, 200, "OK", extra->str);
	return TRUE;
}

gboolean registrar_register_cb(SipServerReq *req, void *user_data)
{
	Registrar *reg = user_data;
	const SipDigestRequest dr = {
	    .msg = reg->sip->req_msg(req),
	    .peer = reg->sip->req_peer(req),
	    .kind = SIP_DIGEST_WWW,
	    .realm = xb_directory_realm(),
	    .ha1_of = ha1_of,
	    .user_data = reg,
	};
	SipDigestOutcome out;

	/* A banned source is refused before any password is looked at; a failure that a forged
	 * source cannot produce counts towards a ban. */
	if (sip_digest_server_authenticate(reg->digest, &dr, "registrar", &out) == 0) {
		gboolean handled = handle_authorized(reg, req, out.username);
		sip_digest_outcome_clear(&out);
		return handled;
	}
	g_clear_pointer(&reg->current_user, xb_dir_user_free);
	respond(reg, req, out.status, out.reason, out.headers);
	sip_digest_outcome_clear(&out);
	return TRUE;
}
