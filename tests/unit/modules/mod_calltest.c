/* mod_calltest.c: a test module that drives mod_sip's INVITE sessions through the SIP API
 * table as the B2BUA will, so that integration tests (tests/integration/sip_call.sh) can
 * place and take calls against SIPp. Incoming calls behave by the Request-URI's user:
 *   answer  180, then 200 with SDP 50 ms later      ring    180, never answered
 *   race    180, then 200 on the next loop turn    busy    486
 *   hangup  180, 200, then a BYE 300 ms after the ACK
 *   other   404
 * In every call, a re-INVITE or UPDATE is answered 200 with SDP and an INFO 200.
 * Commands: `calltest` (every leg and its events), `calltest dial URI HOST:PORT [udp|tcp]
 * [USER PASS] [cancel-on-progress] [bye-after=MS]`, `calltest request CALL_ID METHOD`,
 * `calltest hangup CALL_ID`. */
#include <crossbar/crossbar.h>

#include <string.h>

#include <crossbar/sip.h>

static const char sdp[] = "v=0\r\n"
                          "o=crossbar 1 1 IN IP4 127.0.0.1\r\n"
                          "s=-\r\n"
                          "c=IN IP4 127.0.0.1\r\n"
                          "t=0 0\r\n"
                          "m=audio 40000 RTP/AVP 0\r\n"
                          "a=rtpmap:0 PCMU/8000\r\n";

typedef struct {
	const SipApi *sip;
	XbModule *self;
	GPtrArray *legs; /* Leg *, oldest first */
} CallTest;

typedef struct {
	CallTest *ct;
	SipCall *call;
	gboolean out;
	char *call_id;
	GString *events;
	char *behaviour;
	gboolean cancel_on_progress;
	gint64 bye_after;
	XbTimer *timer;
} Leg;

static CallTest *the_ct;

static void leg_free(gpointer data)
{
	Leg *leg = data;

	xb_timer_clear(&leg->timer);
	if (leg->call) {
		leg->ct->sip->call_hangup(leg->call, 0);
		leg->ct->sip->call_unref(leg->call);
	}
	g_free(leg->call_id);
	g_free(leg->behaviour);
	g_string_free(leg->events, TRUE);
	g_free(leg);
}

static void note(Leg *leg, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(Leg *leg, const char *fmt, ...)
{
	va_list ap;

	if (leg->events->len)
		g_string_append_c(leg->events, ' ');
	va_start(ap, fmt);
	g_string_append_vprintf(leg->events, fmt, ap);
	va_end(ap);
}

static Leg *leg_find(CallTest *ct, const char *call_id)
{
	for (guint i = 0; i < ct->legs->len; i++) {
		Leg *leg = ct->legs->pdata[i];
		if (!strcmp(leg->call_id, call_id))
			return leg;
	}
	return NULL;
}

static void bye_cb(XbTimer *t, gpointer user_data)
{
	Leg *leg = user_data;

	leg->timer = NULL;
	leg->ct->sip->call_hangup(leg->call, 0);
	note(leg, "hangup");
}

static void answer_cb(XbTimer *t, gpointer user_data)
{
	Leg *leg = user_data;

	leg->timer = NULL;
	leg->ct->sip->call_respond(leg->call, &(SipResponse){.status = 200,
	                                                     .content_type = "application/sdp",
	                                                     .body = sdp,
	                                                     .body_len = sizeof(sdp) - 1});
}

static void leg_event(SipCall *call, const SipCallEvent *ev, void *user_data)
{
	Leg *leg = user_data;
	const SipApi *sip = leg->ct->sip;

	switch (ev->type) {
	case SIP_CALL_PROGRESS:
		note(leg, "progress:%u", ev->status);
		if (leg->cancel_on_progress) {
			sip->call_hangup(call, 0);
			note(leg, "hangup");
		}
		break;
	case SIP_CALL_ANSWERED:
		if (leg->out)
			note(leg, "answered:%u", ev->status);
		else
			note(leg, "answered:ACK");
		if (leg->bye_after >= 0)
			leg->timer = xb_timer_start(leg->ct->self, leg->bye_after, bye_cb, leg);
		break;
	case SIP_CALL_FAILED:
		if (ev->msg)
			note(leg, "failed:%u", ev->status);
		else
			note(leg, "failed:%s", ev->error == -ETIMEDOUT ? "timeout" : "error");
		break;
	case SIP_CALL_CANCELLED:
		note(leg, "cancelled");
		break;
	case SIP_CALL_REQUEST: {
		g_autofree char *m = g_strndup(ev->msg->method_name.p, ev->msg->method_name.l);
		note(leg, "request:%s", m);
		if (ev->msg->method == SIP_METHOD_INVITE || ev->msg->method == SIP_METHOD_UPDATE)
			sip->req_respond(ev->req, &(SipResponse){.status = 200,
			                                         .content_type = "application/sdp",
			                                         .body = sdp,
			                                         .body_len = sizeof(sdp) - 1});
		else
			sip->req_respond(ev->req, &(SipResponse){.status = 200});
		break;
	}
	case SIP_CALL_RESPONSE:
		if (ev->msg)
			note(leg, "response:%u", ev->status);
		else
			note(leg, "response:error");
		break;
	case SIP_CALL_ENDED:
		note(leg, "ended");
		break;
	case SIP_CALL_ACK:
		note(leg, "ack");
		break;
	}
}

static Leg *leg_new(CallTest *ct, SipCall *call, gboolean out)
{
	Leg *leg = g_new0(Leg, 1);

	leg->ct = ct;
	leg->call = call;
	leg->out = out;
	leg->events = g_string_new(NULL);
	leg->bye_after = -1;
	g_ptr_array_add(ct->legs, leg);
	return leg;
}

static gboolean incoming(SipCall *call, void *user_data)
{
	CallTest *ct = user_data;
	const SipApi *sip = ct->sip;
	const struct sip_msg *inv = sip->call_invite(call);
	Leg *leg = leg_new(ct, sip->call_ref(call), FALSE);

	leg->call_id = g_strdup(sip->call_id(call));
	leg->behaviour = g_strndup(inv->ruri.user.p, inv->ruri.user.l);
	sip->call_set_handler(call, leg_event, leg);
	if (!strcmp(leg->behaviour, "busy")) {
		sip->call_respond(call, &(SipResponse){.status = 486});
		note(leg, "rejected:486");
		return TRUE;
	}
	if (strcmp(leg->behaviour, "answer") && strcmp(leg->behaviour, "ring") &&
	    strcmp(leg->behaviour, "race") && strcmp(leg->behaviour, "hangup")) {
		sip->call_respond(call, &(SipResponse){.status = 404});
		note(leg, "rejected:404");
		return TRUE;
	}
	sip->call_respond(call, &(SipResponse){.status = 180});
	if (!strcmp(leg->behaviour, "answer"))
		leg->timer = xb_timer_start(ct->self, 50, answer_cb, leg);
	else if (!strcmp(leg->behaviour, "race"))
		leg->timer = xb_timer_start(ct->self, 0, answer_cb, leg);
	else if (!strcmp(leg->behaviour, "hangup")) {
		leg->bye_after = 300;
		answer_cb(NULL, leg);
	}
	return TRUE;
}

/* "IPv4:PORT" or "[IPv6]:PORT"; NULL for anything else. */
static SipPeer *peer_parse(const char *text, XbTransport transport)
{
	g_autofree char *host = g_strdup(text);
	char *colon = strrchr(host, ':');

	if (!colon)
		return NULL;
	*colon = 0;
	return sip_peer_new_from_host(transport, host, (guint16)atoi(colon + 1));
}

static gboolean cmd_list(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	CallTest *ct = user_data;

	xb_cli_reply_columns(r, "call_id", "direction", "state", "events", NULL);
	for (guint i = 0; i < ct->legs->len; i++) {
		Leg *leg = ct->legs->pdata[i];
		xb_cli_reply_row(r, "call_id", g_variant_new_string(leg->call_id), "direction",
		                 g_variant_new_string(leg->out ? "out" : "in"), "state",
		                 g_variant_new_string(ct->sip->call_state(leg->call)), "events",
		                 g_variant_new_string(leg->events->str), NULL);
	}
	return TRUE;
}

static gboolean cmd_dial(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	CallTest *ct = user_data;
	XbTransport transport = XB_TRANSPORT_UDP;
	g_autoptr(SipCredentials) cred = NULL;
	g_autoptr(SipPeer) to = NULL;
	gboolean cancel_on_progress = FALSE;
	gint64 bye_after = -1;
	int i = 2, error = 0;

	if (argc < 2) {
		xb_cli_reply_error(r, "usage: calltest dial URI HOST:PORT [udp|tcp] [USER PASS] "
		                      "[cancel-on-progress] [bye-after=MS]");
		return FALSE;
	}
	if (i < argc && (!strcmp(argv[i], "udp") || !strcmp(argv[i], "tcp")))
		transport = !strcmp(argv[i++], "tcp") ? XB_TRANSPORT_TCP : XB_TRANSPORT_UDP;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "cancel-on-progress"))
			cancel_on_progress = TRUE;
		else if (g_str_has_prefix(argv[i], "bye-after="))
			bye_after = g_ascii_strtoll(argv[i] + 10, NULL, 10);
		else if (!cred && i + 1 < argc) {
			cred = sip_credentials_new(argv[i], argv[i + 1], NULL);
			i++;
		}
	}
	to = peer_parse(argv[1], transport);
	if (!to) {
		xb_cli_reply_error(r, "calltest dial: %s: not IPv4:PORT or [IPv6]:PORT", argv[1]);
		return FALSE;
	}
	g_autofree char *from = g_strdup_printf("sip:calltest@%s", ct->sip->domain());
	SipRequest p = {
	    .ruri = argv[0],
	    .to = to,
	    .from_uri = from,
	    .from_display = "Call Test",
	    .content_type = "application/sdp",
	    .body = sdp,
	    .body_len = sizeof(sdp) - 1,
	    .credentials = cred,
	};
	/* No event comes before this command returns: the handler is set just after. */
	SipCall *call = ct->sip->call_place(&p, NULL, NULL, &error);
	if (!call) {
		xb_cli_reply_error(r, "calltest dial: %s", g_strerror(-error));
		return FALSE;
	}
	Leg *leg = leg_new(ct, call, TRUE);
	leg->call_id = g_strdup(ct->sip->call_id(call));
	leg->cancel_on_progress = cancel_on_progress;
	leg->bye_after = bye_after;
	ct->sip->call_set_handler(call, leg_event, leg);
	xb_cli_reply_message(r, "%s", leg->call_id);
	return TRUE;
}

static gboolean cmd_request(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	CallTest *ct = user_data;
	static const char dtmf[] = "Signal=5\r\nDuration=160\r\n";
	Leg *leg = argc == 2 ? leg_find(ct, argv[0]) : NULL;
	int rc;

	if (!leg) {
		xb_cli_reply_error(r, "usage: calltest request CALL_ID METHOD (a known call)");
		return FALSE;
	}
	if (!g_ascii_strcasecmp(argv[1], "INFO"))
		rc = ct->sip->call_request(leg->call,
		                           &(SipRequest){.method = argv[1],
		                                         .content_type = "application/dtmf-relay",
		                                         .body = dtmf,
		                                         .body_len = sizeof(dtmf) - 1});
	else
		rc = ct->sip->call_request(leg->call,
		                           &(SipRequest){.method = argv[1],
		                                         .content_type = "application/sdp",
		                                         .body = sdp,
		                                         .body_len = sizeof(sdp) - 1});
	if (rc < 0) {
		xb_cli_reply_error(r, "calltest request: %s", g_strerror(-rc));
		return FALSE;
	}
	note(leg, "sent:%s", argv[1]);
	return TRUE;
}

static gboolean cmd_hangup(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	CallTest *ct = user_data;
	Leg *leg = argc == 1 ? leg_find(ct, argv[0]) : NULL;

	if (!leg) {
		xb_cli_reply_error(r, "usage: calltest hangup CALL_ID (a known call)");
		return FALSE;
	}
	ct->sip->call_hangup(leg->call, 0);
	note(leg, "hangup");
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"calltest", "", "call legs and their events (test module)", cmd_list},
    {"calltest dial", "URI HOST:PORT [udp|tcp] [USER PASS] [cancel-on-progress] [bye-after=MS]",
     "place a call (test module)", cmd_dial},
    {"calltest request", "CALL_ID METHOD", "re-INVITE, UPDATE or INFO (test module)", cmd_request},
    {"calltest hangup", "CALL_ID", "hang a call up (test module)", cmd_hangup},
    XB_CLI_END,
};

static gboolean calltest_load(XbModule *self, GError **error)
{
	const SipApi *sip = xb_api_get(SIP_API_NAME);
	CallTest *ct;

	if (!sip || sip->version != SIP_API_VERSION || !sip->call_handler_register) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DEPENDENCY,
		            "no SIP API with calls");
		return FALSE;
	}
	ct = g_new0(CallTest, 1);
	ct->sip = sip;
	ct->self = self;
	ct->legs = g_ptr_array_new_with_free_func(leg_free);
	if (!sip->call_handler_register(self, incoming, ct)) {
		g_ptr_array_unref(ct->legs);
		g_free(ct);
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_CONFLICT,
		            "calls are taken already");
		return FALSE;
	}
	the_ct = ct;
	xb_module_set_data(self, ct);
	xb_cli_register(self, commands, ct);
	return TRUE;
}

static void calltest_unload(XbModule *self)
{
	CallTest *ct = xb_module_get_data(self);

	g_ptr_array_unref(ct->legs);
	g_free(ct);
	the_ct = NULL;
}

static const char *const requires[] = {"sip", NULL};
static const char *const command_names[] = {"calltest", "calltest dial", "calltest request",
                                            "calltest hangup", NULL};

XB_MODULE_DEFINE(.name = "calltest", .version = "1.0",
                 .description = "test: place and take calls through mod_sip", .requires = requires,
                 .commands = command_names, .load = calltest_load, .unload = calltest_unload);
