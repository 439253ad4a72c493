/* media.c: a call's media anchored in crossbar. Each leg has an endpoint of the media
 * engine; a session description that goes from one leg to the other is rewritten on the way
 * (RFC 3264 offer or answer alike): its connection address becomes crossbar's and its
 * audio port the receiving leg's endpoint, while the sending leg's endpoint learns from it
 * where its far end listens. The two endpoints are joined, so RTP and RTCP flow through the
 * engine's workers. The channel variable bypass_media=true (on either leg) passes the
 * description unchanged and media goes end to end; so it does while the engine is not
 * running (unit tests).
 *
 * Codecs: phones that share a codec keep their choice and their audio is relayed as it
 * comes. For phones that do not, an offer for a B-leg also carries the codecs crossbar can
 * transcode to, and a description that goes to a far end which cannot take the codec in
 * use is cut down to one it can (codecs_agree): each endpoint is told its far end's codec
 * and the media engine transcodes between them.
 *
 * Only the first audio stream is anchored: other streams are refused (port 0), the far
 * end's ICE attributes are dropped (they name addresses the other leg cannot use) and so
 * are a=rtcp and a=rtcp-mux (RTCP on the port above RTP). A description lib/sdp cannot
 * parse passes unchanged, with a log line (and leaves ICE as it was).
 *
 * ICE: crossbar is an ICE-lite agent (RFC 8445 §2.5) toward a far end that uses ICE. When
 * a leg's far end sends a description with ICE (ice-ufrag, ice-pwd, candidates), the leg's
 * endpoint takes its credentials and answers its checks (core/media/ice.c), and every
 * description crossbar sends that far end from then on (the answer it passes or makes, a
 * later re-offer) carries a=ice-lite, the endpoint's own ice-ufrag and ice-pwd and its
 * host candidates for RTP and RTCP (rtcp-mux is never agreed); a description without ICE
 * from the far end turns it off again. A far end that sent no ICE gets none. Offers
 * crossbar makes to a B-leg carry no ICE: a lite agent answers ICE and need not offer it,
 * and a B-leg's far end that wants ICE can offer it in a re-INVITE. An offer whose default
 * address is not among its candidates (RFC 8839's ice-mismatch) is treated as any other
 * ICE offer. */
#include "channel_private.h"
#include "../media/media_private.h"

#include <crossbar/codec.h>
#include <crossbar/sdp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static gboolean is_sdp(const XbChannelBody *b)
{
	return b && b->body && b->content_type &&
	       !g_ascii_strcasecmp(b->content_type, "application/sdp");
}

static gboolean is_any(const char *address)
{
	return !address || !strcmp(address, "0.0.0.0") || !strcmp(address, "::");
}

/* ICE's attributes (crossbar is the only candidate) and RTCP's port or multiplexing (RTCP
 * goes to the port above RTP's) leave an anchored description. */
static void drop_attributes(GPtrArray *lines)
{
	static const char *const dropped[] = {"candidate",         "ice-ufrag", "ice-pwd",
	                                      "ice-options",       "ice-lite",  "end-of-candidates",
	                                      "remote-candidates", "rtcp",      "rtcp-mux"};
	for (guint i = lines->len; i-- > 0;) {
		const XbSdpLine *l = lines->pdata[i];
		if (l->type == 'a' && g_strv_contains(dropped, l->name))
			g_ptr_array_remove_index(lines, i);
	}
}

/* The far end's description sets ICE on its endpoint or off (logged when it changes). */
static void ice_learn(XbChannel *ch, XbMediaEndpoint *ep, const XbSdpSession *sdp,
                      const XbSdpMedia *audio)
{
	const char *ufrag = NULL, *pwd = NULL;
	gboolean was = xb_media_endpoint_ice_ufrag(ep) != NULL;

	if (audio)
		xb_sdp_ice_remote(sdp, audio, &ufrag, &pwd);
	xb_media_endpoint_set_ice(ep, ufrag, pwd);
	if (was != (ufrag != NULL))
		xb_debug("%s: media: ICE %s", ch ? xb_channel_name(ch) : "media",
		         ufrag ? "offered: crossbar is an ICE-lite agent" : "off");
}

/* The description for a far end with ICE carries crossbar's (no-op while ICE is off). */
static void ice_offer_own(XbMediaEndpoint *ep, XbSdpSession *sdp, XbSdpMedia *audio, const char *ip)
{
	const char *ufrag = xb_media_endpoint_ice_ufrag(ep);

	if (ufrag && audio && audio->port)
		xb_sdp_ice_add_lite(sdp, audio, ufrag, xb_media_endpoint_ice_pwd(ep), ip, false);
}

/* A c= line names crossbar; c=0.0.0.0 (a hold, RFC 3264 §8.4's older form) stays. */
static void connection_rewrite(XbSdpConnection *c, const char *ip)
{
	if (!c->present || is_any(c->address))
		return;
	g_free(c->address);
	c->address = g_strdup(ip);
	c->ipv6 = strchr(ip, ':') != NULL;
}

/* The description with crossbar's address and to_ep's port for `audio`; other streams
 * refused; ICE-lite's attributes when to_ep's far end uses ICE. */
static XbChannelBody *sdp_rewrite(XbSdpSession *sdp, XbSdpMedia *audio, const char *ip,
                                  XbMediaEndpoint *to_ep)
{
	guint16 port = xb_media_endpoint_port(to_ep);
	gboolean v6 = strchr(ip, ':') != NULL;

	g_free(sdp->origin.address);
	sdp->origin.address = g_strdup(ip);
	sdp->origin.ipv6 = v6;
	connection_rewrite(&sdp->connection, ip);
	drop_attributes(sdp->lines);
	for (guint i = 0; i < sdp->media->len; i++) {
		XbSdpMedia *m = sdp->media->pdata[i];
		if (m != audio) {
			m->port = 0;
			continue;
		}
		m->port = port;
		m->rtcp_port = 0;
		m->rtcp.present = false;
		connection_rewrite(&m->connection, ip);
		drop_attributes(m->lines);
	}
	ice_offer_own(to_ep, sdp, audio, ip);
	XbChannelBody *b = g_new0(XbChannelBody, 1);
	b->content_type = g_strdup("application/sdp");
	b->body = xb_sdp_print(sdp);
	b->len = strlen(b->body);
	return b;
}

/* The address the far end at `toward` reaches crossbar on: media.ip, else the source
 * address of the route to it (a connected UDP socket sends nothing), else loopback. */
static char *local_ip_toward(const char *toward)
{
	const char *set = xb_config_get_string("media.ip");
	g_autoptr(GInetAddress) a = toward ? g_inet_address_new_from_string(toward) : NULL;
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof ss;
	int fd;

	if (set && *set)
		return g_strdup(set);
	if (!a || g_inet_address_get_is_any(a))
		return g_strdup("127.0.0.1");
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(a, 9);
	if (!g_socket_address_to_native(sa, &ss, sizeof ss, NULL))
		return g_strdup("127.0.0.1");
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return g_strdup("127.0.0.1");
	char buf[INET6_ADDRSTRLEN] = "127.0.0.1";
	if (connect(fd, (struct sockaddr *)&ss, g_socket_address_get_native_size(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf,
			          sizeof buf);
		else
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, sizeof buf);
	}
	close(fd);
	return g_strdup(buf);
}

gboolean xb_channel_media_anchored(const XbChannel *a, const XbChannel *b)
{
	if (!xb_media_engine_running() || !xb_config_get_bool("media.anchor"))
		return FALSE;
	for (const XbChannel *ch = a; ch; ch = ch == a ? b : NULL)
		if (!g_strcmp0(xb_channel_get_var(ch, "bypass_media"), "true"))
			return FALSE;
	return TRUE;
}

/* Whether the far end sends RTP on the stream: it offers or answers sendrecv or sendonly,
 * not on hold by c=0.0.0.0. */
static gboolean far_end_sends(const XbSdpSession *sdp, const XbSdpMedia *audio)
{
	const XbSdpConnection *c = audio ? xb_sdp_media_connection(sdp, audio) : NULL;
	XbSdpDirection d = audio ? xb_sdp_media_direction(sdp, audio) : XB_SDP_DIR_INACTIVE;

	return audio && c && c->present && !is_any(c->address) &&
	       (d == XB_SDP_DIR_SENDRECV || d == XB_SDP_DIR_SENDONLY);
}

/* The far end's telephone-event payload type (RFC 4733), so that the engine reports its
 * digits; -1 when it offers none. */
static void learn_dtmf(XbMediaEndpoint *ep, const XbSdpMedia *audio)
{
	for (guint i = 0; audio && i < audio->formats->len; i++) {
		const XbSdpFormat *f = audio->formats->pdata[i];
		if (f->encoding && !g_ascii_strcasecmp(f->encoding, "telephone-event")) {
			xb_media_endpoint_set_dtmf(ep, (int)f->pt, f->clock_rate);
			return;
		}
	}
	xb_media_endpoint_set_dtmf(ep, -1, 0);
}

void xb_channel_media_watch(XbChannel *ch)
{
	if (!ch->media || ch->state < XB_CHANNEL_ANSWERED || ch->state >= XB_CHANNEL_HANGING_UP)
		return;
	xb_media_endpoint_set_timeout(
	    ch->media, ch->far_sends ? (guint)xb_config_get_int("media.rtp_timeout") : 0);
}

static void media_event(XbMediaEndpoint *ep, const XbMediaEvent *ev, gpointer user_data)
{
	XbChannel *ch = user_data;

	if (ev->type == XB_MEDIA_EV_DTMF || ev->type == XB_MEDIA_EV_TIMEOUT) {
		/* The legs whose endpoint it is (legs of one target share one until an answer). */
		g_autoptr(GPtrArray) all = xb_channel_list();
		for (guint i = 0; i < all->len; i++) {
			XbChannel *c = all->pdata[i];
			if (c->media != ep)
				continue;
			if (ev->type == XB_MEDIA_EV_DTMF && c->state >= XB_CHANNEL_EARLY) {
				xb_channel_dtmf_digit(c, ev->digit, TRUE);
			} else if (ev->type == XB_MEDIA_EV_TIMEOUT &&
			           c->state >= XB_CHANNEL_ANSWERED) {
				g_message("%s: no RTP for %" G_GINT64_FORMAT
				          " s: hung up (MEDIA_TIMEOUT)",
				          xb_channel_name(c),
				          xb_config_get_int("media.rtp_timeout"));
				xb_channel_hangup(c, XB_CAUSE_MEDIA_TIMEOUT, 0);
			}
		}
		return;
	}
	if (!ch || !ev->source)
		return;
	g_autofree char *ip =
	    g_inet_address_to_string(g_inet_socket_address_get_address(ev->source));
	if (ev->type == XB_MEDIA_EV_LATCHED)
		xb_debug("%s: RTP comes from %s:%u", xb_channel_name(ch), ip,
		         g_inet_socket_address_get_port(ev->source));
	else if (ev->type == XB_MEDIA_EV_NOMINATED)
		xb_info("%s: ICE nominated %s:%u for %s", xb_channel_name(ch), ip,
		        g_inet_socket_address_get_port(ev->source),
		        ev->component == 1 ? "RTP" : "RTCP");
}

/* A new endpoint, on the worker of `near` when given. */
static XbMediaEndpoint *endpoint_new(XbChannel *owner, XbMediaEndpoint *near)
{
	g_autoptr(GError) error = NULL;
	const char *set = xb_config_get_string("media.ip");
	XbMediaEndpoint *ep =
	    xb_media_endpoint_new(set && *set ? set : NULL, near, media_event, owner, &error);

	if (!ep)
		g_warning("%s: %s", owner ? xb_channel_name(owner) : "media", error->message);
	return ep;
}

void xb_channel_media_attach(XbChannel *ch, XbMediaEndpoint *ep)
{
	if (ch->media == ep)
		return;
	XbMediaEndpoint *old = ch->media;
	ch->media = ep ? xb_media_endpoint_ref(ep) : NULL;
	xb_media_endpoint_unref(old);
}

XbMediaEndpoint *xb_channel_media(XbChannel *ch)
{
	return ch->media;
}

static gboolean is_telephone_event(const XbSdpFormat *f)
{
	return f->encoding && !g_ascii_strcasecmp(f->encoding, "telephone-event");
}

/* The codec a far end uses: the first format of its audio stream that is audio (not
 * telephone-event, not comfort noise); *codec is the engine's for it, or NULL for one it
 * cannot transcode. */
static const XbSdpFormat *codec_in_use(const XbSdpMedia *audio, const XbCodec **codec)
{
	*codec = NULL;
	for (guint i = 0; audio && i < audio->formats->len; i++) {
		const XbSdpFormat *f = audio->formats->pdata[i];
		if (f->encoding &&
		    (is_telephone_event(f) || !g_ascii_strcasecmp(f->encoding, "CN")))
			continue;
		*codec = f->encoding ? xb_codec_find(f->encoding, f->clock_rate) : NULL;
		return f;
	}
	return NULL;
}

/* The format of `audio` for `codec` (or, codec NULL, its first telephone-event). */
static const XbSdpFormat *format_for(const XbSdpMedia *audio, const XbCodec *codec)
{
	for (guint i = 0; audio && i < audio->formats->len; i++) {
		const XbSdpFormat *f = audio->formats->pdata[i];
		if (codec ? xb_codec_find(f->encoding, f->clock_rate) == codec
		          : is_telephone_event(f))
			return f;
	}
	return NULL;
}

static gboolean pt_used(const XbSdpMedia *audio, guint pt)
{
	return xb_sdp_media_format(audio, pt) != NULL;
}

/* An offer for a far end whose codecs crossbar does not know yet (a B-leg) also carries
 * every codec crossbar can transcode to that it lacks, after its own (RFC 3264 §5.1: the
 * offerer's order is its preference), at their static payload types when free; not when
 * the offerer has none of them itself (there would be nothing to transcode from). */
static void offer_transcodable(XbSdpMedia *audio)
{
	gboolean any = FALSE;

	for (guint i = 0; xb_codecs[i]; i++)
		any |= format_for(audio, xb_codecs[i]) != NULL;
	for (guint i = 0; any && xb_codecs[i]; i++) {
		const XbCodec *c = xb_codecs[i];
		if (!format_for(audio, c) && !pt_used(audio, c->static_pt))
			xb_sdp_format_add(audio, c->static_pt, NULL, 0, 0, NULL);
	}
}

/* The description's audio cut down to `codec` and, when both sides have one, `event`
 * (the receiving far end's own formats, so its payload types). */
static void keep_only(XbSdpMedia *audio, const XbSdpFormat *codec, const XbSdpFormat *event)
{
	gboolean had_event = format_for(audio, NULL) != NULL;

	g_ptr_array_set_size(audio->fmts, 0);
	g_ptr_array_set_size(audio->formats, 0);
	xb_sdp_format_add(audio, codec->pt, codec->encoding, codec->clock_rate, codec->channels,
	                  codec->fmtp);
	if (event && had_event)
		xb_sdp_format_add(audio, event->pt, event->encoding, event->clock_rate,
		                  event->channels, event->fmtp);
}

/* The codecs of a description that goes from `from`'s far end to `to_ep`'s. from's far end
 * uses its first codec. When to_ep's far end has described itself (`to_remote`: the
 * offer this description answers, or its last description) and lists that codec, the
 * description goes on as it is and the engine relays the audio unchanged. When it does
 * not, the description is cut down to the first codec of to_remote the engine can
 * transcode to (with its telephone-event), and the engine transcodes between the two; with
 * no such codec it goes on as it is (the far ends sort it out, as without anchoring).
 * Without a to_remote (an offer for a B-leg), the codecs crossbar can transcode to are
 * added (offer_transcodable). */
static void codecs_agree(XbChannel *from, XbMediaEndpoint *to_ep, const XbChannelBody *to_remote,
                         XbSdpMedia *audio)
{
	const XbCodec *mine, *theirs = NULL;
	const XbSdpFormat *f = codec_in_use(audio, &mine);

	xb_media_endpoint_set_codec(from->media, mine ? mine->name : NULL, f ? f->pt : 0);
	if (!audio)
		return;
	if (!is_sdp(to_remote)) {
		offer_transcodable(audio);
		return;
	}
	g_autoptr(XbSdpSession) sdp = xb_sdp_parse(to_remote->body, to_remote->len, NULL);
	XbSdpMedia *their_audio = sdp ? xb_sdp_find_media(sdp, "audio") : NULL;
	const XbSdpFormat *same = mine ? format_for(their_audio, mine) : NULL;
	const XbSdpFormat *t = NULL;

	if (same) {
		xb_media_endpoint_set_codec(to_ep, mine->name, same->pt);
		return;
	}
	for (guint i = 0; mine && their_audio && i < their_audio->formats->len && !theirs; i++) {
		t = their_audio->formats->pdata[i];
		theirs = xb_codec_find(t->encoding, t->clock_rate);
	}
	if (!theirs) {
		xb_media_endpoint_set_codec(to_ep, NULL, 0);
		return;
	}
	xb_debug("%s: media: %s/%u on one side, %s/%u on the other: transcoded",
	         xb_channel_name(from), mine->name, f->pt, theirs->name, t->pt);
	keep_only(audio, t, format_for(their_audio, NULL));
	xb_media_endpoint_set_codec(to_ep, theirs->name, t->pt);
}

/* What the leg's far end said of itself: its endpoint sends there (or nowhere for a hold
 * by c=0.0.0.0 or no audio), takes up its ICE, its telephone-events and its RTP timeout.
 * Returns crossbar's address as that far end reaches it; *audio is its audio stream. */
static char *learn_far_end(XbChannel *ch, const XbSdpSession *sdp, XbSdpMedia **audio)
{
	*audio = xb_sdp_find_media(sdp, "audio");
	const XbSdpConnection *c = *audio ? xb_sdp_media_connection(sdp, *audio) : NULL;
	const char *far_ip = c && c->present ? c->address : NULL;

	ice_learn(ch, ch->media, sdp, *audio);
	if (!*audio || is_any(far_ip))
		xb_media_endpoint_set_remote(ch->media, NULL, 0);
	else if (!xb_media_endpoint_set_remote(ch->media, far_ip, (guint16)(*audio)->port))
		xb_info("%s: media: '%s' is not an address; nothing is sent there",
		        xb_channel_name(ch), far_ip);
	ch->far_sends = far_end_sends(sdp, *audio);
	learn_dtmf(ch->media, *audio);
	xb_channel_media_watch(ch);
	return local_ip_toward(is_any(far_ip) ? NULL : far_ip);
}

/* The body for a leg's far end made from `body`, which came from the far end of `from`:
 * from's endpoint learns where to send, and the copy names `to_ep` and carries codecs
 * to_ep's far end (last described by `to_remote`, or not yet) can use. */
static XbChannelBody *pass_to(XbChannel *from, XbMediaEndpoint *to_ep,
                              const XbChannelBody *to_remote, const XbChannelBody *body)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(XbSdpSession) sdp = xb_sdp_parse(body->body, body->len, &error);
	XbSdpMedia *audio;

	if (!sdp) {
		xb_info("%s: media: session description not understood (%s): passed unchanged",
		        xb_channel_name(from), error->message);
		return xb_channel_body_copy(body);
	}
	if (!from->media)
		from->media = endpoint_new(from, to_ep);
	if (!from->media)
		return xb_channel_body_copy(body);
	g_autofree char *ip = learn_far_end(from, sdp, &audio);
	codecs_agree(from, to_ep, to_remote, audio);
	return sdp_rewrite(sdp, audio, ip, to_ep);
}

XbChannelBody *xb_channel_media_pass(XbChannel *from, XbChannel *to, const XbChannelBody *body)
{
	if (!is_sdp(body) || !xb_channel_media_anchored(from, to))
		return xb_channel_body_copy(body);
	if (!to->media)
		to->media = endpoint_new(to, from->media);
	if (!to->media)
		return xb_channel_body_copy(body);
	XbChannelBody *out = pass_to(from, to->media, xb_channel_remote_body(to), body);
	if (from->media)
		xb_media_join(from->media, to->media);
	return out;
}

XbChannelBody *xb_channel_media_offer(XbChannel *from, const XbChannelBody *body,
                                      XbMediaEndpoint **to_ep)
{
	*to_ep = NULL;
	if (!is_sdp(body) || !xb_channel_media_anchored(from, NULL))
		return xb_channel_body_copy(body);
	*to_ep = endpoint_new(NULL, from->media);
	if (!*to_ep)
		return xb_channel_body_copy(body);
	return pass_to(from, *to_ep, NULL, body);
}

/* ---- crossbar's own answer, and the echo ---- */

/* The codecs crossbar answers with when it answers for itself: it relays without
 * transcoding, so the far end's own choice among these is kept. */
static const XbSdpCodec own_codecs[] = {
    {"PCMU", 8000, 1, NULL},
    {"PCMA", 8000, 1, NULL},
    {"G722", 8000, 1, NULL},
};

/* The answer to the offer the leg's far end made, naming crossbar and the leg's endpoint:
 * for a leg the dialplan answers itself (an echo, later a prompt). */
static gboolean own_answer(XbChannel *ch)
{
	const XbChannelBody *offer = xb_channel_remote_body(ch);
	g_autoptr(GError) error = NULL;
	g_autoptr(XbSdpSession) sdp = NULL;
	g_autoptr(XbSdpSession) answer = NULL;

	if (!is_sdp(offer) || !xb_channel_media_anchored(ch, NULL))
		return FALSE;
	sdp = xb_sdp_parse(offer->body, offer->len, &error);
	if (!sdp) {
		xb_info("%s: media: the offer is not understood (%s)", xb_channel_name(ch),
		        error->message);
		return FALSE;
	}
	if (!ch->media)
		ch->media = endpoint_new(ch, NULL);
	if (!ch->media)
		return FALSE;
	XbSdpMedia *audio;
	g_autofree char *ip = learn_far_end(ch, sdp, &audio);
	g_autofree char *sess_id = g_strdup_printf("%" G_GINT64_FORMAT, ch->created_us);
	const XbChannelBody *before = xb_channel_local_body(ch);
	XbSdpLocal local = {
	    .codecs = own_codecs,
	    .n_codecs = G_N_ELEMENTS(own_codecs),
	    .telephone_event = true,
	    .address = ip,
	    .ipv6 = strchr(ip, ':') != NULL,
	    .port = xb_media_endpoint_port(ch->media),
	    .username = "crossbar",
	    .sess_id = sess_id,
	    .sess_version = 1 + (before ? ch->own_sdp_version : 0),
	};
	answer = xb_sdp_answer(sdp, &local, &error);
	if (!answer) {
		xb_info("%s: media: no answer to the offer (%s)", xb_channel_name(ch),
		        error->message);
		return FALSE;
	}
	ice_offer_own(ch->media, answer, xb_sdp_find_media(answer, "audio"), ip);
	const XbCodec *codec;
	const XbSdpFormat *f = codec_in_use(xb_sdp_find_media(answer, "audio"), &codec);
	xb_media_endpoint_set_codec(ch->media, codec ? codec->name : NULL, f ? f->pt : 0);
	ch->own_sdp_version = local.sess_version;
	g_autofree char *text = xb_sdp_print(answer);
	XbChannelBody b = {.content_type = "application/sdp", .body = text, .len = strlen(text)};
	xb_channel_set_local_body(ch, &b);
	return TRUE;
}

void xb_channel_media_answer_own(XbChannel *ch)
{
	if (!xb_channel_local_body(ch))
		own_answer(ch);
}

/* A request of the far end of a leg crossbar answers itself: a new offer (hold, resume, a
 * new address) gets a new answer, anything else 200. */
static void own_request(XbChannel *ch, const XbChannelEvent *ev)
{
	if (ev->kind == XB_CHANNEL_REQ_REOFFER && !own_answer(ch)) {
		xb_channel_request_reply(ch, ev->request, 488, NULL);
		return;
	}
	xb_channel_request_reply(ch, ev->request, 200,
	                         ev->kind == XB_CHANNEL_REQ_INFO ? NULL
	                                                         : xb_channel_local_body(ch));
}

typedef struct {
	XbChannel *ch; /* reference */
} Echo;

static void echo_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Echo *e = user_data;

	switch (ev->type) {
	case XB_CHANNEL_EV_HANGUP:
		xb_channel_set_controller(ch, NULL, NULL);
		xb_app_done(ch, -ECONNRESET);
		xb_channel_unref(e->ch);
		g_free(e);
		break;
	case XB_CHANNEL_EV_REQUEST:
		own_request(ch, ev);
		break;
	default:
		break;
	}
}

/* "echo": answers and sends the caller's audio back to it until the caller hangs up. */
static int app_echo(XbChannel *ch, const char *data, gpointer user_data)
{
	int rc = xb_channel_answer(ch);

	if (rc < 0)
		return rc;
	if (ch->media)
		xb_media_join(ch->media, ch->media);
	else
		xb_info("%s: echo: no media to send back (bypass_media, or no offer)",
		        xb_channel_name(ch));
	Echo *e = g_new0(Echo, 1);
	e->ch = xb_channel_ref(ch);
	xb_channel_set_controller(ch, echo_event, e);
	return XB_APP_PENDING;
}

/* ---- playback ---- */

typedef struct {
	XbChannel *ch; /* reference */
	char *file;
} Playback;

static void playback_free(Playback *p)
{
	xb_channel_unref(p->ch);
	g_free(p->file);
	g_free(p);
}

static void playback_done(XbMediaEndpoint *ep, const GError *error, gpointer user_data)
{
	Playback *p = user_data;
	XbChannel *ch = p->ch;

	if (error)
		g_warning("%s: playback: %s", xb_channel_name(ch), error->message);
	xb_channel_set_controller(ch, NULL, NULL);
	xb_channel_set_var(ch, "playback_result", error ? "error" : "done");
	xb_app_done(ch, 0);
	playback_free(p);
}

static void playback_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Playback *p = user_data;

	switch (ev->type) {
	case XB_CHANNEL_EV_HANGUP:
		if (ch->media)
			xb_media_play_stop(ch->media);
		xb_channel_set_controller(ch, NULL, NULL);
		xb_app_done(ch, -ECONNRESET);
		playback_free(p);
		break;
	case XB_CHANNEL_EV_REQUEST:
		own_request(ch, ev);
		break;
	default:
		break;
	}
}

/* The format in use on the leg, if crossbar can encode it (G.711, G.722): the first codec
 * of the answer, crossbar's own (a call it answered) or its far end's (a leg it placed).
 * FALSE for another codec. */
static gboolean playable_format(XbChannel *ch, const char **encoding, guint *pt)
{
	const XbChannelBody *body = ch->direction == XB_CHANNEL_INBOUND
	                                ? xb_channel_local_body(ch)
	                                : xb_channel_remote_body(ch);
	g_autoptr(XbSdpSession) sdp =
	    is_sdp(body) ? xb_sdp_parse(body->body, body->len, NULL) : NULL;
	const XbCodec *codec;
	const XbSdpFormat *f = sdp ? codec_in_use(xb_sdp_find_media(sdp, "audio"), &codec) : NULL;

	if (!f || !codec)
		return FALSE;
	*encoding = codec->name;
	*pt = f->pt;
	return TRUE;
}

/* A file a plan names: as it is with a folder, else a prompt of media.sounds_dir, with or
 * without its ".wav". */
static char *sound_path(const char *name)
{
	if (g_path_is_absolute(name) || strchr(name, '/'))
		return g_strdup(name);
	const char *dir = xb_config_get_string("media.sounds_dir");
	char *file = g_build_filename(dir ? dir : ".", name, NULL);
	if (!g_file_test(file, G_FILE_TEST_EXISTS) && !g_str_has_suffix(file, ".wav")) {
		char *with = g_strconcat(file, ".wav", NULL);
		g_free(file);
		file = with;
	}
	return file;
}

/* "playback FILE": plays an audio file to the caller (early media before an answer); a
 * file without a folder is one of media.sounds_dir, with or without its ".wav". A file
 * that cannot be played is logged and the plan goes on. */
static int app_playback(XbChannel *ch, const char *data, gpointer user_data)
{
	g_autofree char *file = NULL;
	const char *encoding;
	guint pt;

	if (!*data)
		return -EINVAL;
	file = sound_path(data);
	if (ch->state < XB_CHANNEL_EARLY) {
		int rc = xb_channel_pre_answer(ch);
		if (rc < 0)
			return rc;
	}
	if (!ch->media || !playable_format(ch, &encoding, &pt)) {
		g_warning("%s: playback %s: the call has no G.711 or G.722 audio through "
		          "crossbar (bypass_media, no offer, or another codec)",
		          xb_channel_name(ch), file);
		xb_channel_set_var(ch, "playback_result", "error");
		return 0;
	}
	Playback *p = g_new0(Playback, 1);
	p->ch = xb_channel_ref(ch);
	p->file = g_steal_pointer(&file);
	xb_channel_set_controller(ch, playback_event, p);
	xb_media_play(ch->media, p->file, encoding, pt, playback_done, p);
	return XB_APP_PENDING;
}

/* ---- tones ---- */

static void tone_done(XbMediaEndpoint *ep, const GError *error, gpointer user_data)
{
	Playback *p = user_data;
	XbChannel *ch = p->ch;

	xb_channel_set_controller(ch, NULL, NULL);
	xb_app_done(ch, 0);
	playback_free(p);
}

/* "tone NAME [SECONDS]": a call progress tone of media.tone_country (ringback, busy,
 * congestion, beep), one cycle of its cadence or SECONDS long. */
static int app_tone(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) w = g_strsplit_set(data, " \t", -1);
	const char *encoding;
	guint pt;
	guint64 seconds = 0;

	if (!w[0] || !g_strv_contains(xb_media_tone_names, w[0]) ||
	    (w[1] && (!g_ascii_string_to_unsigned(w[1], 10, 1, 3600, &seconds, NULL) || w[2])))
		return -EINVAL;
	if (ch->state < XB_CHANNEL_EARLY) {
		int rc = xb_channel_pre_answer(ch);
		if (rc < 0)
			return rc;
	}
	if (!ch->media || !playable_format(ch, &encoding, &pt)) {
		g_warning("%s: tone %s: the call has no G.711 or G.722 audio through crossbar",
		          xb_channel_name(ch), w[0]);
		return 0;
	}
	Playback *p = g_new0(Playback, 1);
	p->ch = xb_channel_ref(ch);
	p->file = g_strdup(w[0]);
	xb_channel_set_controller(ch, playback_event, p);
	xb_media_play_tone(ch->media, w[0], encoding, pt, (guint)seconds * 1000, tone_done, p);
	return XB_APP_PENDING;
}

/* ---- music on hold ---- */

void xb_channel_media_hold(XbChannel *holder, XbChannel *held, const XbChannelBody *offer)
{
	const char *music, *encoding;
	guint pt;

	if (!is_sdp(offer) || !held->media || !xb_channel_media_anchored(holder, held))
		return;
	music = xb_config_get_string("media.hold_music");
	g_autoptr(XbSdpSession) sdp = xb_sdp_parse(offer->body, offer->len, NULL);
	XbSdpMedia *audio = sdp ? xb_sdp_find_media(sdp, "audio") : NULL;
	gboolean hold = audio && xb_sdp_media_is_hold(sdp, audio);
	if (hold && !held->on_hold_music && music && *music &&
	    playable_format(held, &encoding, &pt)) {
		g_autofree char *file = sound_path(music);
		xb_info("%s: on hold: %s", xb_channel_name(held), file);
		xb_media_play_loop(held->media, file, encoding, pt);
		held->on_hold_music = TRUE;
	} else if (!hold && held->on_hold_music) {
		xb_media_play_stop(held->media);
		held->on_hold_music = FALSE;
	}
}

static const XbApp media_apps[] = {
    {"tone", "NAME [SECONDS]", "a call progress tone: ringback, busy, congestion, beep", app_tone},
    {"echo", "", "answer and send the caller's audio back (an echo test)", app_echo},
    {"playback", "FILE", "play an audio file to the caller (WAV; media.sounds_dir)", app_playback},
    XB_APPS_END,
};

void xb_channel_media_apps_register(void)
{
	xb_app_register(NULL, media_apps, NULL);
	xb_app_register(NULL, xb_channel_record_apps, NULL);
	xb_app_register(NULL, xb_channel_read_apps, NULL);
	channel_dtmf_apps_register();
}

XbMediaEndpoint *xb_channel_media_ensure(XbChannel *ch)
{
	if (!ch->media && xb_channel_media_anchored(ch, NULL))
		ch->media = endpoint_new(ch, NULL);
	return ch->media;
}

gboolean xb_channel_media_format(XbChannel *ch, const char **encoding, guint *pt)
{
	return playable_format(ch, encoding, pt);
}

char *xb_channel_sound_path(const char *name)
{
	return sound_path(name);
}

void xb_channel_media_own_request(XbChannel *ch, const XbChannelEvent *ev)
{
	own_request(ch, ev);
}

gboolean xb_channel_play(XbChannel *ch, const char *file, XbMediaPlayFunc func, gpointer user_data)
{
	g_autofree char *path = NULL;
	const char *encoding;
	guint pt;

	if (!xb_channel_media_ensure(ch) || !playable_format(ch, &encoding, &pt))
		return FALSE;
	path = sound_path(file);
	xb_media_play(ch->media, path, encoding, pt, func, user_data);
	return TRUE;
}

gboolean xb_channel_play_tone(XbChannel *ch, const char *tone, guint ms, XbMediaPlayFunc func,
                              gpointer user_data)
{
	const char *encoding;
	guint pt;

	if (!xb_channel_media_ensure(ch) || !playable_format(ch, &encoding, &pt))
		return FALSE;
	return xb_media_play_tone(ch->media, tone, encoding, pt, ms, func, user_data);
}
