/* console_channel.c: the channel driver "portaudio": the console (the machine's sound card,
 * an operator's headset) as one phone with one call at a time.
 *
 *   state     how it comes                               how it goes on
 *   --------  -----------------------------------------  ---------------------------------
 *   idle      -                                          a bridge to portaudio/DEVICE:
 *                                                        ringing; `console dial EXT`:
 *                                                        dialling
 *   ringing   a placed leg (outbound): the ring sound    `console answer`: talking (the
 *             plays on the device                        answer goes to the caller)
 *   dialling  an incoming leg (inbound) routed through   answered by the callee: talking;
 *             the dialplan in portaudio.context          early media is heard already
 *   talking   -                                          a hang-up of either side: idle
 *
 * A second call while one is up is refused as busy (USER_BUSY). The console's session
 * descriptions name its loopback RTP socket (console_audio.c) and the codecs G.722, PCMU
 * and PCMA; crossbar's media endpoint of the leg talks to it. A device that cannot be
 * opened or fails mid-call ends the call with DESTINATION_OUT_OF_ORDER and a log line. */
#include "console.h"

#include <crossbar/sdp.h>

#include <errno.h>
#include <string.h>

typedef enum {
	CONSOLE_IDLE,
	CONSOLE_RINGING,
	CONSOLE_DIALLING,
	CONSOLE_TALKING,
} ConsoleState;

static struct {
	XbChannel *ch; /* the driver's reference to the call's channel */
	ConsoleMedia *media;
	ConsoleState state;
	XbChannelBody *answer; /* ringing: the answer `console answer` gives */
	gboolean media_started;
	guint rings;
	guint sdp_version; /* of the console's last answer */
	gint64 sess_id;    /* o= of the console's descriptions in this call */
} con;

static const XbSdpCodec console_codecs[] = {
    {"G722", 8000, 1, NULL},
    {"PCMU", 8000, 1, NULL},
    {"PCMA", 8000, 1, NULL},
};

static gboolean is_sdp(const XbChannelBody *b)
{
	return b && b->body && b->content_type &&
	       !g_ascii_strcasecmp(b->content_type, "application/sdp");
}

static void config_read(ConsoleAudioConfig *cfg, const char *device, ConsoleAudioMode mode)
{
	gboolean named = device && g_strcmp0(device, "default");

	cfg->input_device = named ? device : xb_config_get_string("portaudio.input_device");
	cfg->output_device = named ? device : xb_config_get_string("portaudio.output_device");
	cfg->sample_rate = (guint)xb_config_get_int("portaudio.sample_rate");
	cfg->ring_file = xb_config_get_string("portaudio.ring_file");
	cfg->jitter_ms = (guint)xb_config_get_int("portaudio.jitter_ms");
	cfg->rtp_port = (guint)xb_config_get_int("portaudio.rtp_port");
	cfg->mode = mode;
}

/* The call is over on the console's side: its audio stops and its channel goes. */
static void call_clear(XbCause cause)
{
	XbChannel *ch = g_steal_pointer(&con.ch);

	console_media_stop(g_steal_pointer(&con.media));
	g_clear_pointer(&con.answer, xb_channel_body_free);
	con.state = CONSOLE_IDLE;
	con.media_started = FALSE;
	con.rings = 0;
	if (ch) {
		xb_channel_hangup_cb(ch, cause, 0);
		xb_channel_unref(ch);
	}
}

static void device_failed(ConsoleMedia *m, const char *message, gpointer user_data)
{
	if (m != con.media || !con.ch)
		return;
	g_warning("%s: %s: call ended (DESTINATION_OUT_OF_ORDER)", xb_channel_name(con.ch),
	          message);
	g_autoptr(XbChannel) ch = xb_channel_ref(con.ch);
	xb_channel_hangup(ch, XB_CAUSE_DESTINATION_OUT_OF_ORDER, 0);
	if (con.ch == ch) /* not through the driver's hangup: end it here */
		call_clear(XB_CAUSE_DESTINATION_OUT_OF_ORDER);
}

static void ring_played(ConsoleMedia *m, gpointer user_data)
{
	if (m == con.media && con.state == CONSOLE_RINGING)
		xb_info("%s: rang %u time%s", xb_channel_name(con.ch), con.rings + 1,
		        con.rings ? "s" : "");
	con.rings++;
}

/* Where a session description sends the console's RTP, and in which codec: its audio
 * stream's address and port, and its first codec the console has. */
static gboolean sdp_target(const XbChannelBody *b, char **ip, guint16 *port, const XbCodec **codec,
                           guint *pt)
{
	g_autoptr(XbSdpSession) sdp = is_sdp(b) ? xb_sdp_parse(b->body, b->len, NULL) : NULL;
	XbSdpMedia *audio = sdp ? xb_sdp_find_media(sdp, "audio") : NULL;
	const XbSdpConnection *c = audio ? xb_sdp_media_connection(sdp, audio) : NULL;

	if (!audio || !audio->port || audio->port > 65535 || !c || !c->present || c->ipv6)
		return FALSE;
	for (guint i = 0; i < audio->formats->len; i++) {
		const XbSdpFormat *f = audio->formats->pdata[i];
		const XbCodec *k = f->encoding ? xb_codec_find(f->encoding, f->clock_rate) : NULL;
		if (k) {
			*ip = g_strdup(c->address);
			*port = (guint16)audio->port;
			*codec = k;
			*pt = f->pt;
			return TRUE;
		}
	}
	return FALSE;
}

/* The console's audio goes to where `to` says, in the codec `answer` chose (the console's
 * own answer, or the far end's to the console's offer); FALSE when they say nothing
 * usable. */
static gboolean media_start_from(const XbChannelBody *to, const XbChannelBody *answer)
{
	g_autofree char *ip = NULL, *ignored = NULL;
	guint16 port, ignored_port;
	const XbCodec *codec, *ignored_codec;
	guint pt, ignored_pt;

	if (con.media_started)
		return TRUE;
	if (!sdp_target(to, &ip, &port, &ignored_codec, &ignored_pt) ||
	    !sdp_target(answer, &ignored, &ignored_port, &codec, &pt) ||
	    !console_media_start(con.media, ip, port, codec, pt))
		return FALSE;
	con.media_started = TRUE;
	xb_info("%s: audio %s/%u to %s:%u from 127.0.0.1:%u", xb_channel_name(con.ch), codec->name,
	        pt, ip, port, console_media_port(con.media));
	return TRUE;
}

/* ---- a call to the console: a bridge's placed leg ---- */

static char *own_answer(const XbChannelBody *offer, guint16 port, guint version, GError **error)
{
	g_autoptr(XbSdpSession) sdp = xb_sdp_parse(offer->body, offer->len, error);
	g_autoptr(XbSdpSession) answer = NULL;
	g_autofree char *sess_id = g_strdup_printf("%" G_GINT64_FORMAT, con.sess_id);
	XbSdpLocal local = {
	    .codecs = console_codecs,
	    .n_codecs = G_N_ELEMENTS(console_codecs),
	    .telephone_event = true,
	    .address = "127.0.0.1",
	    .port = port,
	    .username = "crossbar-console",
	    .sess_id = sess_id,
	    .sess_version = version,
	};

	if (!sdp)
		return NULL;
	answer = xb_sdp_answer(sdp, &local, error);
	return answer ? xb_sdp_print(answer) : NULL;
}

static gboolean ring_idle(gpointer data)
{
	XbChannel *ch = data;

	if (ch == con.ch && con.state == CONSOLE_RINGING)
		xb_channel_progress_cb(ch, NULL);
	xb_channel_unref(ch);
	return G_SOURCE_REMOVE;
}

static gboolean console_originate(const char *target, const XbOriginate *o, GPtrArray *legs,
                                  GError **error)
{
	const char *device = target + strlen("portaudio/");
	ConsoleAudioConfig cfg;
	g_autoptr(GError) err = NULL;
	g_autofree char *answer = NULL;

	if (con.state != CONSOLE_IDLE) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_USER_BUSY, "%s: the console is busy",
		            target);
		return FALSE;
	}
	if (!*device || strlen(device) > 200) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_INVALID_NUMBER_FORMAT,
		            "%s: not portaudio/DEVICE", target);
		return FALSE;
	}
	if (!is_sdp(o->offer)) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_INCOMPATIBLE_DESTINATION,
		            "%s: the console needs the caller's offer (none came)", target);
		return FALSE;
	}
	config_read(&cfg, device, CONSOLE_AUDIO_RING);
	con.media = console_media_new(&cfg, device_failed, ring_played, NULL, &err);
	if (!con.media) {
		g_set_error(error, XB_CHANNEL_ERROR, err->code, "%s: %s", target, err->message);
		return FALSE;
	}
	con.sdp_version = 1;
	con.sess_id = g_get_real_time();
	answer = own_answer(o->offer, console_media_port(con.media), con.sdp_version, &err);
	if (!answer) {
		console_media_stop(g_steal_pointer(&con.media));
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_INCOMPATIBLE_DESTINATION,
		            "%s: no codec in common with the console (%s)", target,
		            err ? err->message : "no answer");
		return FALSE;
	}
	g_autofree char *name = g_strdup_printf("portaudio/%s", device);
	con.ch = xb_channel_new(&console_driver, XB_CHANNEL_OUTBOUND, name, NULL);
	con.state = CONSOLE_RINGING;
	con.answer = g_new0(XbChannelBody, 1);
	con.answer->content_type = g_strdup("application/sdp");
	con.answer->len = strlen(answer);
	con.answer->body = g_steal_pointer(&answer);
	xb_channel_set_var(con.ch, "destination_number", device);
	if (!media_start_from(o->offer, con.answer)) {
		g_set_error(error, XB_CHANNEL_ERROR, XB_CAUSE_INCOMPATIBLE_DESTINATION,
		            "%s: the caller's offer has no audio the console can use", target);
		call_clear(XB_CAUSE_INCOMPATIBLE_DESTINATION);
		return FALSE;
	}
	xb_notice("%s: ringing: a call from %s (crossbar-cli console answer)",
	          xb_channel_name(con.ch), o->caller_id_number ? o->caller_id_number : "unknown");
	/* The ring is told once the caller's bridge listens to the leg. */
	g_idle_add(ring_idle, xb_channel_ref(con.ch));
	g_ptr_array_add(legs, xb_channel_ref(con.ch));
	return TRUE;
}

gboolean console_answer(GError **error)
{
	if (con.state != CONSOLE_RINGING) {
		g_set_error(error, XB_CHANNEL_ERROR, 0, "no call is ringing on the console");
		return FALSE;
	}
	g_autoptr(XbChannelBody) answer = g_steal_pointer(&con.answer);
	con.state = CONSOLE_TALKING;
	console_media_set_mode(con.media, CONSOLE_AUDIO_TALK);
	xb_notice("%s: answered on the console", xb_channel_name(con.ch));
	xb_channel_answered_cb(con.ch, answer);
	return TRUE;
}

/* ---- a call from the console: `console dial` ---- */

static char *own_offer(guint16 port)
{
	return g_strdup_printf("v=0\r\n"
	                       "o=crossbar-console %" G_GINT64_FORMAT " 1 IN IP4 127.0.0.1\r\n"
	                       "s=console\r\n"
	                       "c=IN IP4 127.0.0.1\r\n"
	                       "t=0 0\r\n"
	                       "m=audio %u RTP/AVP 9 0 8 101\r\n"
	                       "a=rtpmap:9 G722/8000\r\n"
	                       "a=rtpmap:0 PCMU/8000\r\n"
	                       "a=rtpmap:8 PCMA/8000\r\n"
	                       "a=rtpmap:101 telephone-event/8000\r\n"
	                       "a=fmtp:101 0-15\r\n"
	                       "a=ptime:20\r\n"
	                       "a=sendrecv\r\n",
	                       con.sess_id, port);
}

static gboolean number_valid(const char *n)
{
	gsize len = strlen(n);

	if (!len || len > XB_TRANSFER_NUMBER_MAX)
		return FALSE;
	for (const char *p = n; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("*#+-_.", *p))
			return FALSE;
	return TRUE;
}

gboolean console_dial(const char *number, GError **error)
{
	ConsoleAudioConfig cfg;
	g_autoptr(GError) err = NULL;

	if (!number_valid(number)) {
		g_set_error(error, XB_CHANNEL_ERROR, 0,
		            "'%s' is not a number to dial (1-%d of 0-9, A-Z, * # + - _ .)", number,
		            XB_TRANSFER_NUMBER_MAX);
		return FALSE;
	}
	if (con.state != CONSOLE_IDLE) {
		g_set_error(error, XB_CHANNEL_ERROR, 0, "the console has a call already (%s)",
		            xb_channel_name(con.ch));
		return FALSE;
	}
	config_read(&cfg, NULL, CONSOLE_AUDIO_TALK);
	con.media = console_media_new(&cfg, device_failed, ring_played, NULL, &err);
	if (!con.media) {
		g_set_error(error, XB_CHANNEL_ERROR, 0, "%s", err->message);
		return FALSE;
	}
	con.sess_id = g_get_real_time();
	con.sdp_version = 1;
	g_autofree char *offer = own_offer(console_media_port(con.media));
	XbChannelBody b = {.content_type = "application/sdp", .body = offer, .len = strlen(offer)};
	const char *cid = xb_config_get_string("portaudio.caller_id_number");
	const char *cname = xb_config_get_string("portaudio.caller_id_name");

	con.ch = xb_channel_new(&console_driver, XB_CHANNEL_INBOUND, "portaudio/console", NULL);
	con.state = CONSOLE_DIALLING;
	xb_channel_set_var(con.ch, "caller_id_number", cid);
	xb_channel_set_var(con.ch, "caller_id_name", cname && *cname ? cname : cid);
	xb_channel_set_var(con.ch, "destination_number", number);
	xb_channel_set_var(con.ch, "network_addr", "127.0.0.1");
	xb_channel_set_var(con.ch, "context", xb_config_get_string("portaudio.context"));
	xb_channel_set_remote_body(con.ch, &b);
	xb_notice("%s: dialling %s in context %s", xb_channel_name(con.ch), number,
	          xb_config_get_string("portaudio.context"));
	g_autoptr(XbChannel) ch = xb_channel_ref(con.ch);
	xb_channel_route(ch);
	return TRUE;
}

static int console_progress(XbChannel *ch, gboolean early_media)
{
	if (ch != con.ch)
		return -ENOENT;
	if (early_media && !media_start_from(xb_channel_local_body(ch), xb_channel_local_body(ch)))
		xb_info("%s: early media the console cannot use", xb_channel_name(ch));
	return 0;
}

static int console_answer_op(XbChannel *ch)
{
	if (ch != con.ch)
		return -ENOENT;
	if (con.state != CONSOLE_DIALLING)
		return 0; /* a placed leg: its answer was the console's own */
	if (!media_start_from(xb_channel_local_body(ch), xb_channel_local_body(ch))) {
		xb_info("%s: the answer has no audio the console can use", xb_channel_name(ch));
		return -EPROTO;
	}
	con.state = CONSOLE_TALKING;
	console_media_set_mode(con.media, CONSOLE_AUDIO_TALK);
	xb_notice("%s: the call is answered", xb_channel_name(ch));
	return 0;
}

static void console_hangup_op(XbChannel *ch)
{
	if (ch != con.ch) {
		xb_channel_hangup_cb(ch, XB_CAUSE_NONE, 0);
		return;
	}
	xb_notice("%s: hung up (%s)", xb_channel_name(ch), xb_cause_name(xb_channel_cause(ch)));
	call_clear(XB_CAUSE_NONE);
}

/* ---- requests within the call ---- */

typedef struct {
	XbChannel *ch;
	unsigned status;
	XbChannelBody *body;
	XbChannelReplyFunc func;
	gpointer user_data;
} Reply;

static gboolean reply_idle(gpointer data)
{
	Reply *r = data;

	r->func(r->ch, r->status, r->body, r->user_data);
	xb_channel_unref(r->ch);
	xb_channel_body_free(r->body);
	g_free(r);
	return G_SOURCE_REMOVE;
}

/* A re-offer (the other party's hold, a refresh) is answered with the console's own
 * answer: its socket and codecs stay what they are. */
static int console_request(XbChannel *ch, XbChannelRequestKind kind, const XbChannelBody *body,
                           XbChannelReplyFunc func, gpointer user_data)
{
	Reply *r = g_new0(Reply, 1);

	r->ch = xb_channel_ref(ch);
	r->func = func;
	r->user_data = user_data;
	r->status = 200;
	if (kind == XB_CHANNEL_REQ_REOFFER) {
		g_autofree char *answer =
		    is_sdp(body) && ch == con.ch && con.media
		        ? own_answer(body, console_media_port(con.media), ++con.sdp_version, NULL)
		        : NULL;
		if (answer) {
			r->body = g_new0(XbChannelBody, 1);
			r->body->content_type = g_strdup("application/sdp");
			r->body->len = strlen(answer);
			r->body->body = g_steal_pointer(&answer);
		} else {
			r->status = 488;
		}
	}
	g_idle_add(reply_idle, r);
	return 0;
}

static void console_request_reply(XbChannel *ch, XbChannelRequest *req, unsigned status,
                                  const XbChannelBody *body)
{
	/* The console hands no request of its own to the core. */
}

static int console_send_dtmf(XbChannel *ch, const char *digits)
{
	xb_info("%s: DTMF %s from the other party", xb_channel_name(ch), digits);
	return 0;
}

gboolean console_hangup(GError **error)
{
	if (!con.ch) {
		g_set_error(error, XB_CHANNEL_ERROR, 0, "the console has no call");
		return FALSE;
	}
	g_autoptr(XbChannel) ch = xb_channel_ref(con.ch);
	/* A call that rings is refused; one that is up ends. */
	xb_channel_hangup(
	    ch, con.state == CONSOLE_RINGING ? XB_CAUSE_CALL_REJECTED : XB_CAUSE_NORMAL_CLEARING,
	    0);
	return TRUE;
}

gboolean console_dtmf(const char *digits, GError **error)
{
	if (!*digits || strlen(digits) > 64 ||
	    strspn(digits, "0123456789*#ABCDabcd") != strlen(digits)) {
		g_set_error(error, XB_CHANNEL_ERROR, 0, "'%s' is not DTMF (1-64 of 0-9, *, #, A-D)",
		            digits);
		return FALSE;
	}
	if (!con.ch || (con.state != CONSOLE_TALKING && con.state != CONSOLE_DIALLING)) {
		g_set_error(error, XB_CHANNEL_ERROR, 0, "the console has no call to send DTMF in");
		return FALSE;
	}
	g_autoptr(XbChannel) ch = xb_channel_ref(con.ch);
	for (const char *p = digits; *p && con.ch == ch; p++)
		xb_channel_dtmf_cb(ch, g_ascii_toupper(*p));
	return TRUE;
}

const char *console_state(const char **channel)
{
	static const char *const names[] = {"idle", "ringing", "dialling", "talking"};

	*channel = con.ch ? xb_channel_name(con.ch) : NULL;
	return names[con.state];
}

static const char *const console_prefixes[] = {"portaudio/", NULL};

const XbChannelDriver console_driver = {
    .name = "portaudio",
    .prefixes = console_prefixes,
    .originate = console_originate,
    .progress = console_progress,
    .answer = console_answer_op,
    .hangup = console_hangup_op,
    .request = console_request,
    .request_reply = console_request_reply,
    .send_dtmf = console_send_dtmf,
};

void console_init(void)
{
	memset(&con, 0, sizeof con);
}

gboolean console_shutdown(void)
{
	if (con.ch) {
		g_autoptr(XbChannel) ch = xb_channel_ref(con.ch);
		xb_channel_hangup(ch, XB_CAUSE_NORMAL_CLEARING, 0);
		if (con.ch)
			call_clear(XB_CAUSE_NORMAL_CLEARING);
	}
	return console_media_stop_all();
}
