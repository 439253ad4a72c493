/* modules/sip/dialog.c: the dialog layer of mod_sip (RFC 3261 §12): dialog state, requests
 * within a dialog, and the table that finds a dialog by its ID. Pure logic over parsed
 * messages; it must not send, start timers or answer anything itself.
 *
 *   state       entered on                                         left on
 *   ---------   ------------------------------------------------   --------------------------
 *   early       UAC: 1xx with a To tag (§12.1.2)                   2xx -> confirmed (§13.2.2.4)
 *               UAS: creation, our 1xx with our To tag (§12.1.1)   our 2xx -> confirmed
 *   confirmed   UAC: 2xx (§12.1.2); UAS: our 2xx (§12.1.1)         BYE -> terminated (§15)
 *   terminated  BYE sent or received; non-2xx final to the         (final; the table drops it)
 *               creating request (§12.3); 481/408 (§12.2.1.2)
 */
#include "dialog.h"

#include <string.h>

struct sip_dialog {
	GDestroyNotify destroy;
	void *user_data;

	SipDialogState state;
	bool uas;
	bool secure;
	char *call_id;
	char *local_tag;
	char *remote_tag;
	char *local_uri, *local_display; /* display "" when none */
	char *remote_uri, *remote_display;
	char *remote_target;
	GPtrArray *routes; /* char *, whole header values, in sending order */
	uint32_t local_cseq, remote_cseq;
	uint32_t invite_cseq; /* of the last INVITE we sent: what its ACK repeats (§13.2.2.4) */
	bool has_local_cseq, has_remote_cseq;
};

struct sip_dialog_table {
	GHashTable *by_id; /* key (owned string) -> SipDialog (a reference) */
};

unsigned sip_dialog_err_status(int err)
{
	switch (err) {
	case 0:
		return 0;
	case -ENOENT:
		return 481;
	case -EBADMSG:
	case -EINVAL:
		return 400;
	default: /* -ERANGE and anything unexpected */
		return 500;
	}
}

static SipDialog *dialog_new(GDestroyNotify destroy, void *user_data)
{
	SipDialog *dlg = g_rc_box_new0(SipDialog);

	dlg->destroy = destroy;
	dlg->user_data = user_data;
	dlg->routes = g_ptr_array_new_with_free_func(g_free);
	return dlg;
}

SipDialog *sip_dialog_ref(SipDialog *dlg)
{
	g_return_val_if_fail(dlg, NULL);
	return g_rc_box_acquire(dlg);
}

static void dialog_clear(gpointer data)
{
	SipDialog *dlg = data;

	if (dlg->destroy)
		dlg->destroy(dlg->user_data);
	g_free(dlg->call_id);
	g_free(dlg->local_tag);
	g_free(dlg->remote_tag);
	g_free(dlg->local_uri);
	g_free(dlg->local_display);
	g_free(dlg->remote_uri);
	g_free(dlg->remote_display);
	g_free(dlg->remote_target);
	g_ptr_array_unref(dlg->routes);
}

void sip_dialog_unref(SipDialog *dlg)
{
	if (dlg)
		g_rc_box_release_full(dlg, dialog_clear);
}

/* The URI of the first Contact; -EBADMSG when absent, '*' or unparsable. */
static int contact_uri(const struct sip_msg *msg, char **uri)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	struct sip_addr a;

	if (!h || sip_contact_parse(&a, &h->val) < 0 || a.star)
		return -EBADMSG;
	*uri = sip_pl_dup(&a.uri);
	return 0;
}

/* Route set from msg's Record-Route values, in order or reversed (§12.1.1, §12.1.2). */
static int route_set_from(GPtrArray *routes, const struct sip_msg *msg, bool reverse)
{
	struct sip_addr a;

	g_ptr_array_set_size(routes, 0);
	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_RECORD_ROUTE); h;
	     h = sip_msg_hdr_next(msg, h)) {
		/* a route is kept as text: one holding an escaped NUL could not be */
		if (sip_addr_parse(&a, &h->val) < 0 || sip_pl_has_nul(&h->val))
			return -EBADMSG;
		if (reverse)
			g_ptr_array_insert(routes, 0, sip_pl_dup(&h->val));
		else
			g_ptr_array_add(routes, sip_pl_dup(&h->val));
	}
	return 0;
}

static void set_party(char **uri, char **display, const struct sip_addr *a)
{
	*uri = sip_pl_dup(&a->uri);
	/* The display name is only shown, never compared (§12.2.1.1): one holding an escaped NUL
	 * is left out rather than kept cut short, which would leave its quote open. */
	*display = sip_pl_has_nul(&a->display) ? g_strdup("") : sip_pl_dup(&a->display);
}

int sip_dialog_new_uas(SipDialog **dlgp, const struct sip_msg *req, const char *local_tag,
                       GDestroyNotify destroy, void *user_data)
{
	SipDialog *dlg;
	int r;

	g_return_val_if_fail(dlgp && req && local_tag && *local_tag, -EINVAL);
	*dlgp = NULL;
	if (!req->is_request || !req->count[SIP_HDR_CALL_ID] || !req->count[SIP_HDR_FROM] ||
	    !req->count[SIP_HDR_TO] || !req->count[SIP_HDR_CSEQ])
		return -EBADMSG;
	dlg = dialog_new(destroy, user_data);
	dlg->uas = true;
	dlg->state = SIP_DIALOG_EARLY;
	/* §12.1.1: secure when the request came over TLS with a sips Request-URI; the
	 * transport is not ours to know, so the caller's sips check stands for both. */
	dlg->secure = req->ruri.scheme == SIP_SCHEME_SIPS;
	r = route_set_from(dlg->routes, req, false);
	if (r == 0)
		r = contact_uri(req, &dlg->remote_target);
	if (r < 0)
		goto out;
	dlg->remote_cseq = req->cseq.num;
	dlg->has_remote_cseq = true;
	dlg->call_id = sip_pl_dup(&req->call_id);
	dlg->local_tag = g_strdup(local_tag);
	/* an RFC 2543 peer may send no From tag: the remote tag is then empty (§12.1.1) */
	dlg->remote_tag = sip_pl_dup(&req->from.tag);
	set_party(&dlg->local_uri, &dlg->local_display, &req->to);
	set_party(&dlg->remote_uri, &dlg->remote_display, &req->from);
out:
	if (r < 0)
		sip_dialog_unref(dlg);
	else
		*dlgp = dlg;
	return r;
}

int sip_dialog_new_uac(SipDialog **dlgp, const struct sip_msg *req, const struct sip_msg *resp,
                       GDestroyNotify destroy, void *user_data)
{
	SipDialog *dlg;
	int r;

	g_return_val_if_fail(dlgp && req && resp, -EINVAL);
	*dlgp = NULL;
	if (!req->is_request || resp->is_request || resp->status < 101 || resp->status >= 300 ||
	    !resp->count[SIP_HDR_TO] || !resp->to.has_tag || !resp->to.tag.l)
		return -EINVAL;
	if (!req->count[SIP_HDR_CALL_ID] || !req->count[SIP_HDR_FROM] || !req->count[SIP_HDR_TO] ||
	    !req->count[SIP_HDR_CSEQ])
		return -EBADMSG;
	dlg = dialog_new(destroy, user_data);
	dlg->state = resp->status >= 200 ? SIP_DIALOG_CONFIRMED : SIP_DIALOG_EARLY;
	dlg->secure = req->ruri.scheme == SIP_SCHEME_SIPS;
	r = route_set_from(dlg->routes, resp, true);
	if (r < 0)
		goto out;
	r = contact_uri(resp, &dlg->remote_target);
	if (r < 0 && resp->status < 200 && !resp->count[SIP_HDR_CONTACT]) {
		/* a 1xx without Contact: keep sending to where the request went until the
		 * 2xx says otherwise */
		dlg->remote_target = sip_pl_dup(&req->ruri_pl);
		r = 0;
	}
	if (r < 0)
		goto out;
	dlg->local_cseq = req->cseq.num;
	dlg->has_local_cseq = true;
	if (req->method == SIP_METHOD_INVITE)
		dlg->invite_cseq = req->cseq.num;
	dlg->call_id = sip_pl_dup(&req->call_id);
	dlg->local_tag = sip_pl_dup(&req->from.tag);
	dlg->remote_tag = sip_pl_dup(&resp->to.tag);
	set_party(&dlg->local_uri, &dlg->local_display, &req->from);
	set_party(&dlg->remote_uri, &dlg->remote_display, &req->to);
out:
	if (r < 0)
		sip_dialog_unref(dlg);
	else
		*dlgp = dlg;
	return r;
}

void sip_dialog_confirm(SipDialog *dlg)
{
	g_return_if_fail(dlg);
	if (dlg->state == SIP_DIALOG_EARLY)
		dlg->state = SIP_DIALOG_CONFIRMED;
}

void sip_dialog_terminate(SipDialog *dlg)
{
	g_return_if_fail(dlg);
	dlg->state = SIP_DIALOG_TERMINATED;
}

static bool is_target_refresh(enum sip_method m)
{
	return m == SIP_METHOD_INVITE || m == SIP_METHOD_UPDATE;
}

/* "display <uri>;tag=tag" */
static int put_party(struct sip_mb *mb, const char *name, const char *display, const char *uri,
                     const char *tag)
{
	if (!*tag)
		return sip_mb_headerf(mb, name, "%s%s<%s>", display, *display ? " " : "", uri);
	return sip_mb_headerf(mb, name, "%s%s<%s>;tag=%s", display, *display ? " " : "", uri, tag);
}

/* The URI of a route value for a Request-URI: without the parameters a Request-URI may not
 * carry (method) and without headers (§12.2.1.1, §19.1.1's table). */
static char *route_ruri(const struct sip_addr *a)
{
	const struct sip_uri *u = &a->puri;
	const char *end = a->uri.p + a->uri.l;
	struct sip_pl rest = u->params;
	struct sip_param prm;
	GString *s;

	if (u->params.p)
		end = u->params.p - 1;
	else if (u->headers.p)
		end = u->headers.p - 1;
	s = g_string_new_len(a->uri.p, end - a->uri.p);
	while (sip_param_next(&rest, &prm) > 0) {
		if (sip_pl_caseeq(&prm.name, "method"))
			continue;
		g_string_append_c(s, ';');
		g_string_append_len(s, prm.name.p, (gssize)prm.name.l);
		if (prm.has_val) {
			g_string_append_c(s, '=');
			g_string_append_len(s, prm.val.p, (gssize)prm.val.l);
		}
	}
	return g_string_free(s, FALSE);
}

/* §12.2.1.1: Request-URI and Route headers. Loose first route (lr): the remote target is
 * the Request-URI and the route set goes as it is. Strict first route: it becomes the
 * Request-URI, the rest follow and the remote target goes last. */
static int put_target_and_routes(SipDialog *dlg, struct sip_mb *mb, const char *method)
{
	g_autofree char *ruri = NULL;
	struct sip_addr first;
	bool strict = false;
	guint i = 0;
	int r;

	if (dlg->routes->len) {
		const char *v = g_ptr_array_index(dlg->routes, 0);
		struct sip_pl pl = sip_pl_str(v);

		if (sip_addr_parse(&first, &pl) < 0)
			return -EBADMSG;
		strict = !sip_param_exists(&first.puri.params, "lr");
	}
	if (strict) {
		ruri = route_ruri(&first);
		i = 1;
	}
	r = sip_mb_request_line(mb, method, strict ? ruri : dlg->remote_target);
	for (; r == 0 && i < dlg->routes->len; i++)
		r = sip_mb_header(mb, "Route", g_ptr_array_index(dlg->routes, i));
	if (r == 0 && strict)
		r = sip_mb_headerf(mb, "Route", "<%s>", dlg->remote_target);
	return r;
}

int sip_dialog_request(SipDialog *dlg, const char *method, GString *out)
{
	struct sip_pl mpl = sip_pl_str(method);
	enum sip_method m = sip_method_from_pl(&mpl);
	struct sip_mb mb;
	uint32_t cseq;
	int r;

	g_return_val_if_fail(dlg && method && out, -EINVAL);
	/* An ACK is still due for a 2xx that crossed our BYE (§13.2.2.4). */
	if (dlg->state == SIP_DIALOG_TERMINATED && m != SIP_METHOD_ACK)
		return -ENOENT;
	if (m == SIP_METHOD_ACK) {
		if (!dlg->invite_cseq)
			return -EINVAL;
		cseq = dlg->invite_cseq;
	} else if (dlg->has_local_cseq) {
		cseq = dlg->local_cseq + 1;
	} else {
		/* §8.1.1.5: below 2^31, leaving room to count up */
		cseq = (uint32_t)g_random_int_range(1, 1 << 30);
	}

	sip_mb_init_gstring(&mb, out);
	r = put_target_and_routes(dlg, &mb, method);
	if (r == 0)
		r = put_party(&mb, "From", dlg->local_display, dlg->local_uri, dlg->local_tag);
	if (r == 0)
		r = put_party(&mb, "To", dlg->remote_display, dlg->remote_uri, dlg->remote_tag);
	if (r == 0)
		r = sip_mb_header(&mb, "Call-ID", dlg->call_id);
	if (r == 0)
		r = sip_mb_headerf(&mb, "CSeq", "%" G_GUINT32_FORMAT " %s", cseq, method);
	if (r < 0)
		return r;

	if (m != SIP_METHOD_ACK) {
		dlg->local_cseq = cseq;
		dlg->has_local_cseq = true;
	}
	if (m == SIP_METHOD_INVITE)
		dlg->invite_cseq = cseq;
	if (m == SIP_METHOD_BYE)
		dlg->state = SIP_DIALOG_TERMINATED;
	return 0;
}

/* Replaces the remote target from msg's Contact when it has a usable one. */
static void refresh_target(SipDialog *dlg, const struct sip_msg *msg)
{
	char *uri;

	if (contact_uri(msg, &uri) < 0)
		return;
	g_free(dlg->remote_target);
	dlg->remote_target = uri;
}

int sip_dialog_uas_request(SipDialog *dlg, const struct sip_msg *req)
{
	g_return_val_if_fail(dlg && req, -EINVAL);
	if (!req->is_request)
		return -EINVAL;
	if (dlg->state == SIP_DIALOG_TERMINATED)
		return -ENOENT;
	if (!req->count[SIP_HDR_CSEQ])
		return -EBADMSG;
	/* equal is allowed: ACK and CANCEL repeat their request's number */
	if (dlg->has_remote_cseq && req->cseq.num < dlg->remote_cseq)
		return -ERANGE;
	dlg->remote_cseq = req->cseq.num;
	dlg->has_remote_cseq = true;
	if (is_target_refresh(req->method))
		refresh_target(dlg, req);
	if (req->method == SIP_METHOD_BYE)
		dlg->state = SIP_DIALOG_TERMINATED;
	return 0;
}

int sip_dialog_uac_response(SipDialog *dlg, const struct sip_msg *resp)
{
	g_return_val_if_fail(dlg && resp, -EINVAL);
	if (resp->is_request || !resp->count[SIP_HDR_CSEQ])
		return -EINVAL;
	if (dlg->state == SIP_DIALOG_TERMINATED)
		return -ENOENT;
	if (resp->status == 481 || resp->status == 408) {
		dlg->state = SIP_DIALOG_TERMINATED;
		return 0;
	}
	if (resp->status < 200 && dlg->state == SIP_DIALOG_EARLY) {
		refresh_target(dlg, resp); /* a later 1xx may carry a newer Contact */
		return 0;
	}
	if (resp->status < 200 || resp->status >= 300)
		return 0;
	if (dlg->state == SIP_DIALOG_EARLY && resp->cseq.method == SIP_METHOD_INVITE) {
		/* §13.2.2.4: confirmed, route set recomputed from the 2xx */
		int r = route_set_from(dlg->routes, resp, true);
		if (r < 0)
			return r;
		dlg->state = SIP_DIALOG_CONFIRMED;
	}
	if (is_target_refresh(resp->cseq.method))
		refresh_target(dlg, resp);
	return 0;
}

SipDialogState sip_dialog_state(const SipDialog *dlg)
{
	return dlg->state;
}

const char *sip_dialog_state_name(SipDialogState state)
{
	switch (state) {
	case SIP_DIALOG_EARLY:
		return "early";
	case SIP_DIALOG_CONFIRMED:
		return "confirmed";
	case SIP_DIALOG_TERMINATED:
		return "terminated";
	}
	return "?";
}

bool sip_dialog_is_uas(const SipDialog *dlg)
{
	return dlg->uas;
}

bool sip_dialog_secure(const SipDialog *dlg)
{
	return dlg->secure;
}

void sip_dialog_id(const SipDialog *dlg, struct sip_dialog_id *id)
{
	id->call_id = sip_pl_str(dlg->call_id);
	id->local_tag = sip_pl_str(dlg->local_tag);
	id->remote_tag = sip_pl_str(dlg->remote_tag);
}

const char *sip_dialog_remote_target(const SipDialog *dlg)
{
	return dlg->remote_target;
}

const char *sip_dialog_local_uri(const SipDialog *dlg)
{
	return dlg->local_uri;
}

const char *sip_dialog_remote_uri(const SipDialog *dlg)
{
	return dlg->remote_uri;
}

guint sip_dialog_route_count(const SipDialog *dlg)
{
	return dlg->routes->len;
}

const char *sip_dialog_route(const SipDialog *dlg, guint i)
{
	g_return_val_if_fail(i < dlg->routes->len, NULL);
	return g_ptr_array_index(dlg->routes, i);
}

bool sip_dialog_local_cseq(const SipDialog *dlg, uint32_t *cseq)
{
	*cseq = dlg->local_cseq;
	return dlg->has_local_cseq;
}

bool sip_dialog_remote_cseq(const SipDialog *dlg, uint32_t *cseq)
{
	*cseq = dlg->remote_cseq;
	return dlg->has_remote_cseq;
}

void *sip_dialog_user_data(const SipDialog *dlg)
{
	return dlg->user_data;
}

/* Call-ID is a word and tags are tokens (§25.1): neither holds a line feed, so it cannot
 * make two IDs share a key. Octets compare exactly (§12). */
static char *id_key(const struct sip_dialog_id *id)
{
	return g_strdup_printf("%.*s\n%.*s\n%.*s", (int)id->call_id.l, id->call_id.p,
	                       (int)id->local_tag.l, id->local_tag.p, (int)id->remote_tag.l,
	                       id->remote_tag.p);
}

SipDialogTable *sip_dialog_table_new(void)
{
	SipDialogTable *tbl = g_new0(SipDialogTable, 1);

	tbl->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                   (GDestroyNotify)sip_dialog_unref);
	return tbl;
}

void sip_dialog_table_free(SipDialogTable *tbl)
{
	if (!tbl)
		return;
	g_hash_table_unref(tbl->by_id);
	g_free(tbl);
}

int sip_dialog_table_add(SipDialogTable *tbl, SipDialog *dlg)
{
	struct sip_dialog_id id;
	char *key;

	g_return_val_if_fail(tbl && dlg, -EINVAL);
	sip_dialog_id(dlg, &id);
	key = id_key(&id);
	if (g_hash_table_contains(tbl->by_id, key)) {
		g_free(key);
		return -EEXIST;
	}
	g_hash_table_insert(tbl->by_id, key, sip_dialog_ref(dlg));
	return 0;
}

void sip_dialog_table_remove(SipDialogTable *tbl, SipDialog *dlg)
{
	struct sip_dialog_id id;
	g_autofree char *key = NULL;

	g_return_if_fail(tbl && dlg);
	sip_dialog_id(dlg, &id);
	key = id_key(&id);
	/* only this very dialog, not another one that happens to share its ID */
	if (g_hash_table_lookup(tbl->by_id, key) == dlg)
		g_hash_table_remove(tbl->by_id, key);
}

guint sip_dialog_table_size(const SipDialogTable *tbl)
{
	return g_hash_table_size(tbl->by_id);
}

SipDialog *sip_dialog_table_lookup(SipDialogTable *tbl, const struct sip_dialog_id *id)
{
	g_autofree char *key = id_key(id);

	return g_hash_table_lookup(tbl->by_id, key);
}

int sip_dialog_table_match(SipDialogTable *tbl, const struct sip_msg *msg, SipDialog **dlgp)
{
	struct sip_dialog_id id;
	SipDialog *dlg;

	*dlgp = NULL;
	if (sip_msg_dialog_id(msg, msg->is_request, &id) < 0)
		return -ENOENT;
	dlg = sip_dialog_table_lookup(tbl, &id);
	if (!dlg || dlg->state == SIP_DIALOG_TERMINATED)
		return -ENOENT;
	*dlgp = dlg;
	return 0;
}

guint sip_dialog_table_end_early(SipDialogTable *tbl, const struct sip_msg *req)
{
	GHashTableIter it;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&it, tbl->by_id);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		SipDialog *dlg = value;

		if (dlg->uas || dlg->state != SIP_DIALOG_EARLY ||
		    !sip_pl_eq(&req->call_id, dlg->call_id) ||
		    !sip_pl_eq(&req->from.tag, dlg->local_tag))
			continue;
		dlg->state = SIP_DIALOG_TERMINATED;
		g_hash_table_iter_remove(&it);
		n++;
	}
	return n;
}
