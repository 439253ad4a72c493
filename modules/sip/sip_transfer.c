/* sip_transfer.c: REFER within a call (RFC 3515) as a call transfer, on the core's
 * xb_channel_transfer (blind) and xb_channel_transfer_join (attended: a Refer-To with
 * Replaces, RFC 3891). Only the SIP is here: what Refer-To says, who may replace which
 * dialog, 202 and the NOTIFYs of the implicit subscription; the legs are the core's.
 *
 *   REFER                                        answer
 *   -------------------------------------------  -------------------------------------------
 *   no Refer-To, two, one over REFER_TO_MAX      400
 *   bytes, one that does not parse, one
 *   without a user part (the number)
 *   a Refer-To that is not sip: or sips:         416
 *   a method parameter other than INVITE         403
 *   the leg is not bridged                       403 (Not In A Bridged Call)
 *   a REFER of this leg is being carried out,    491 (one transfer at a time; the second
 *   or the other party is being transferred      waits for the first's final NOTIFY)
 *   the number routes nowhere in the             403 (the transferor's context decides: a
 *   transferor's context                         trunk caller in "public" cannot reach a
 *                                                gateway through a transfer)
 *   the transferee was transferred too often     482
 *   Replaces naming no dialog of crossbar's, or  403, the same for both: nobody learns
 *   one of another party                         whether someone else's call exists
 *   otherwise                                    202, NOTIFY "SIP/2.0 100 Trying", then the
 *                                                outcome's NOTIFY, Subscription-State
 *                                                terminated ("SIP/2.0 200 OK", "SIP/2.0
 *                                                486 Busy Here" ...)
 * With Refer-Sub: false (RFC 4488) the 202 says Refer-Sub: false and no NOTIFY goes.
 *
 * The dialog Replaces names is looked up from crossbar's side, as RFC 3891 §3 has the
 * recipient of an INVITE do: to-tag is crossbar's local tag, from-tag the phone's. A phone
 * that writes them from its own side (swapped) is understood too; the Call-ID and both
 * tags must match either way. Who may replace a dialog: the same directory user
 * (user_ext, the authenticated caller or the user called), else the same gateway, else the
 * same source IP address.
 *
 * An INVITE with Replaces naming a bridged call of crossbar's takes the named leg's place:
 * it is answered and bridged to that leg's partner, and the named leg gets BYE. The same
 * party only (as above); a Replaces naming no dialog or another party's gets 481, one
 * naming a call not bridged (ringing, in the plan's hands) 603, a malformed one 400. */
#include "sip_channel.h"
#include "call.h"

#include <string.h>

#define REFER_TO_MAX 2048

/* ---- the implicit subscription's NOTIFYs ---- */

static void notify(SipLeg *leg, unsigned status, gboolean final)
{
	g_autofree char *frag = NULL, *headers = NULL;
	const char *reason = sip_reason_default(status);
	int rc;

	if (!leg->ch || !leg->call || !leg->refer_notify)
		return;
	frag = g_strdup_printf("SIP/2.0 %u %s\r\n", status, reason ? reason : "Unknown");
	headers = g_strdup_printf("Event: refer;id=%u\r\nSubscription-State: %s\r\n", leg->refer_id,
	                          final ? "terminated;reason=noresource" : "active;expires=60");
	rc = sip_drv.sip->call_request(leg->call, &(SipRequest){
	                                              .method = "NOTIFY",
	                                              .headers = headers,
	                                              .content_type = "message/sipfrag;version=2.0",
	                                              .body = frag,
	                                              .body_len = strlen(frag),
	                                          });
	if (rc < 0) {
		xb_info("%s: NOTIFY not sent: %s", xb_channel_name(leg->ch), g_strerror(-rc));
		return;
	}
	SipSent *s = g_new0(SipSent, 1);
	s->method = g_strdup("NOTIFY");
	g_queue_push_tail(&leg->sent, s);
}

static void transfer_done_cb(XbChannel *ch, unsigned status, gpointer user_data)
{
	SipLeg *leg = xb_channel_pvt(ch);

	notify(leg, status, TRUE);
	leg->referring = FALSE;
}

/* ---- Refer-To ---- */

static void respond(SipServerReq *req, unsigned status, const char *reason, const char *headers)
{
	sip_drv.sip->req_respond(
	    req, &(SipResponse){.status = status, .reason = reason, .headers = headers});
}

/* The user part of a URI, unescaped, or NULL when there is none or it is not text. */
static char *uri_number(const struct sip_uri *u)
{
	char buf[XB_TRANSFER_NUMBER_MAX + 1];
	size_t len;

	if (!u->has_user || sip_uri_unescape(&u->user, buf, sizeof(buf) - 1, &len) < 0)
		return NULL;
	buf[len] = '\0';
	if (strlen(buf) != len)
		return NULL;
	return g_strdup(buf);
}

/* RFC 3891 §6.1: "Replaces=call-id;to-tag=T;from-tag=F", escaped in the URI's headers.
 * TRUE when the URI carries one (*text, unescaped, NULL when it is malformed). */
static gboolean uri_replaces(const struct sip_uri *u, char **text)
{
	g_autofree char *hdrs = u->headers.l ? sip_pl_dup(&u->headers) : NULL;
	g_auto(GStrv) parts = hdrs ? g_strsplit(hdrs, "&", -1) : NULL;

	*text = NULL;
	for (guint i = 0; parts && parts[i]; i++) {
		char *eq = strchr(parts[i], '=');
		if (!eq || g_ascii_strncasecmp(parts[i], "Replaces", eq - parts[i]) ||
		    eq - parts[i] != 8)
			continue;
		struct sip_pl v = sip_pl_str(eq + 1);
		char buf[REFER_TO_MAX];
		size_t len;
		if (sip_uri_unescape(&v, buf, sizeof(buf) - 1, &len) == 0) {
			buf[len] = '\0';
			if (strlen(buf) == len)
				*text = g_strdup(buf);
		}
		return TRUE;
	}
	return FALSE;
}

/* ---- attended: the dialog Replaces names ---- */

static gboolean pl_is(const struct sip_pl *pl, const char *s)
{
	return pl->l == strlen(s) && !memcmp(pl->p, s, pl->l);
}

static SipLeg *leg_of_dialog(const char *call_id, const char *to_tag, const char *from_tag)
{
	GHashTableIter it;
	SipLeg *leg;

	g_hash_table_iter_init(&it, sip_drv.legs);
	while (g_hash_table_iter_next(&it, (gpointer *)&leg, NULL)) {
		struct sip_dialog_id id;
		if (!leg->ch || !leg->call || !sip_call_dialog_id(leg->call, &id) ||
		    !pl_is(&id.call_id, call_id))
			continue;
		if ((pl_is(&id.local_tag, to_tag) && pl_is(&id.remote_tag, from_tag)) ||
		    (pl_is(&id.local_tag, from_tag) && pl_is(&id.remote_tag, to_tag)))
			return leg;
	}
	return NULL;
}

static SipLeg *replaced_leg(const char *text)
{
	g_auto(GStrv) parts = g_strsplit(text, ";", -1);
	const char *to_tag = NULL, *from_tag = NULL;

	for (guint i = 1; parts[i]; i++) {
		g_strstrip(parts[i]);
		if (!g_ascii_strncasecmp(parts[i], "to-tag=", 7))
			to_tag = parts[i] + 7;
		else if (!g_ascii_strncasecmp(parts[i], "from-tag=", 9))
			from_tag = parts[i] + 9;
	}
	g_strstrip(parts[0]);
	if (!*parts[0] || !to_tag || !from_tag || !*to_tag || !*from_tag)
		return NULL;
	return leg_of_dialog(parts[0], to_tag, from_tag);
}

/* Who a far end is, for the check that one party replaces only its own calls: the
 * directory user (user_ext: the caller who proved itself, or the user a leg called), else
 * the trunk, else the source address. */
static char *party(const char *user, const char *gw, const SipPeer *peer)
{
	const GatewayDef *def;
	char host[INET6_ADDRSTRLEN] = "";
	guint16 port;
	SipFlow flow;

	if (user)
		return g_strconcat("user:", user, NULL);
	if (gw)
		return g_strconcat("gateway:", gw, NULL);
	/* A leg placed to a trunk's address by sip: URI is that trunk's as well. */
	sip_flow_from_peer(&flow, peer);
	if ((def = gateways_find_source(sip_drv.gws, &flow)))
		return g_strconcat("gateway:", def->name, NULL);
	sip_peer_host(peer, host, sizeof(host), &port);
	return g_strconcat("address:", host, NULL);
}

static char *party_of(SipLeg *leg)
{
	return party(xb_channel_get_var(leg->ch, "user_ext"),
	             xb_channel_get_var(leg->ch, "gateway"), sip_drv.sip->call_peer(leg->call));
}

/* ---- the transferor's context ---- */

/* Where the party at the far end of leg may route: an incoming leg's context (NULL: the
 * core takes the channel's); a placed leg's is its gateway's, its user's, a known trunk's
 * by address, else "public". */
static char *context_of(SipLeg *leg)
{
	const char *gw = xb_channel_get_var(leg->ch, "gateway");
	const char *user = xb_channel_get_var(leg->ch, "user_ext");
	const GatewayDef *def;
	SipFlow peer;

	if (leg->inbound)
		return NULL;
	if (gw && (def = gateways_find(sip_drv.gws, gw, &peer, NULL)))
		return g_strdup(def->context);
	if (user) {
		g_autoptr(XbDirUser) u = xb_directory_lookup(user);
		if (u)
			return g_strdup(*u->context ? u->context : "default");
	}
	sip_flow_from_peer(&peer, sip_drv.sip->call_peer(leg->call));
	def = gateways_find_source(sip_drv.gws, &peer);
	return g_strdup(def ? def->context : "public");
}

/* ---- REFER ---- */

static unsigned error_status(const GError *error, const char **reason)
{
	*reason = NULL;
	if (error->domain != XB_TRANSFER_ERROR)
		return 500;
	switch ((XbTransferError)error->code) {
	case XB_TRANSFER_ERROR_NOT_BRIDGED:
		*reason = "Not In A Bridged Call";
		return 403;
	case XB_TRANSFER_ERROR_IN_PROGRESS:
		return 491;
	case XB_TRANSFER_ERROR_INVALID:
		*reason = "Bad Refer-To Number";
		return 400;
	case XB_TRANSFER_ERROR_NO_ROUTE:
		*reason = "Transfer Target Not Allowed";
		return 403;
	case XB_TRANSFER_ERROR_LOOP:
		*reason = "Transferred Too Often";
		return 482;
	case XB_TRANSFER_ERROR_FORBIDDEN:
		return 403;
	}
	return 500;
}

static gboolean refer_sub_false(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr_byname(m, "Refer-Sub");

	return h && sip_pl_caseeq(&h->val, "false");
}

/* The attended transfer: the leg Replaces names, if it is the same party's. */
static gboolean refer_join(SipLeg *leg, const char *replaces, GError **error)
{
	SipLeg *other = replaces ? replaced_leg(replaces) : NULL;
	g_autofree char *mine = party_of(leg);
	g_autofree char *theirs = other ? party_of(other) : NULL;

	if (!other || strcmp(mine, theirs)) {
		xb_info("%s: REFER with Replaces naming %s: refused", xb_channel_name(leg->ch),
		        other ? "another party's call" : "no call of crossbar's");
		g_set_error_literal(error, XB_TRANSFER_ERROR, XB_TRANSFER_ERROR_FORBIDDEN,
		                    "no such call of this party");
		return FALSE;
	}
	return xb_channel_transfer_join(leg->ch, other->ch, transfer_done_cb, NULL, error);
}

void sip_leg_refer(SipLeg *leg, SipServerReq *req, const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_REFER_TO);
	g_autoptr(XbChannel) ch = xb_channel_ref(leg->ch);
	g_autoptr(GError) error = NULL;
	g_autofree char *number = NULL, *replaces = NULL, *context = NULL;
	struct sip_addr to;
	struct sip_pl method;
	const char *reason;
	gboolean ok;

	if (!h || sip_msg_hdr_count(m, SIP_HDR_REFER_TO) != 1) {
		respond(req, 400, h ? "One Refer-To Only" : "Missing Refer-To", NULL);
		return;
	}
	if (h->val.l > REFER_TO_MAX) {
		respond(req, 400, "Refer-To Too Long", NULL);
		return;
	}
	if (sip_addr_parse(&to, &h->val) < 0) {
		respond(req, 400, "Bad Refer-To", NULL);
		return;
	}
	if (to.puri.scheme != SIP_SCHEME_SIP && to.puri.scheme != SIP_SCHEME_SIPS) {
		respond(req, 416, NULL, NULL);
		return;
	}
	if (sip_param_get(&to.puri.params, "method", &method) &&
	    !sip_pl_caseeq(&method, "INVITE")) {
		respond(req, 403, "Refer-To Method Not Allowed", NULL);
		return;
	}
	if (leg->referring) {
		respond(req, 491, NULL, NULL);
		return;
	}
	if (uri_replaces(&to.puri, &replaces)) {
		ok = refer_join(leg, replaces, &error);
	} else {
		number = uri_number(&to.puri);
		if (!number) {
			respond(req, 400, "Refer-To Has No Number", NULL);
			return;
		}
		context = context_of(leg);
		ok = xb_channel_transfer(leg->ch, number, context, transfer_done_cb, NULL, &error);
	}
	if (!ok) {
		unsigned status = error_status(error, &reason);
		xb_info("%s: REFER refused (%u): %s", xb_channel_name(ch), status, error->message);
		respond(req, status, reason, NULL);
		return;
	}
	leg->referring = TRUE;
	leg->refer_notify = !refer_sub_false(m);
	leg->refer_id = m->cseq.num;
	respond(req, 202, NULL, leg->refer_notify ? NULL : "Refer-Sub: false\r\n");
	notify(leg, 100, FALSE);
}

/* ---- INVITE with Replaces (RFC 3891 §3) ---- */

unsigned sip_replaces_check(SipCall *call, const struct sip_msg *invite, const char *user,
                            const char *gateway, SipLeg **replaced)
{
	const struct sip_hdr *h = sip_msg_hdr(invite, SIP_HDR_REPLACES);
	g_autofree char *text = NULL, *mine = NULL, *theirs = NULL;
	SipLeg *old;

	*replaced = NULL;
	if (!h)
		return 0;
	if (sip_msg_hdr_count(invite, SIP_HDR_REPLACES) != 1 || h->val.l > REFER_TO_MAX ||
	    sip_pl_has_nul(&h->val))
		return 400;
	text = sip_pl_dup(&h->val);
	old = replaced_leg(text);
	mine = party(user, gateway, sip_drv.sip->call_peer(call));
	theirs = old ? party_of(old) : NULL;
	/* The same answer whether the dialog is unknown or another party's. */
	if (!old || strcmp(mine, theirs)) {
		xb_info("INVITE with Replaces naming %s: 481",
		        old ? "another party's call" : "no call of crossbar's");
		return 481;
	}
	if (xb_channel_state(old->ch) != XB_CHANNEL_BRIDGED)
		return 603;
	*replaced = old;
	return 0;
}

void sip_leg_replace(SipLeg *leg, SipLeg *old)
{
	g_autoptr(XbChannel) ch = xb_channel_ref(leg->ch);
	g_autoptr(GError) error = NULL;

	if (!old->ch || !xb_channel_transfer_replace(ch, old->ch, &error)) {
		xb_info("%s: cannot replace: %s", xb_channel_name(ch),
		        error ? error->message : "the call is over");
		xb_channel_hangup(ch, XB_CAUSE_CALL_REJECTED, 603);
	}
}
