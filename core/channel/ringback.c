/* ringback.c: the ringback tone crossbar plays itself. When a placed leg rings without early
 * media (a 180 with no description) and the call's media is anchored, the caller gets 183
 * Session Progress with crossbar's own answer to its offer and hears media.tone_country's
 * ringback from its own endpoint until a leg answers or brings early media, or the call
 * fails (originate.c decides when). That early answer is the answer of the caller's
 * offer/answer exchange: the 200 repeats it, unchanged (RFC 3264 §4 and RFC 6337 §3.1.1:
 * one answer per offer, the same in the 18x and the 2xx), and the answering leg's endpoint
 * is joined to the caller's as for any answer.
 *
 * media.ringback=no turns it off, and so does the channel variable ringback set to "none"
 * (or "false", "off", "no") for one call, which any other value turns on: then the 180 is
 * relayed as it came. Nothing is played either when the answer's codec is not one crossbar
 * can send (G.711 or G.722), without an offer from the caller, or with bypass_media. */
#include "channel_private.h"

/* The call's ringback variable, else media.ringback. */
static gboolean ringback_off(const XbChannel *a)
{
	const char *v = xb_channel_get_var(a, "ringback");

	if (!v || !*v)
		return !xb_config_get_bool("media.ringback");
	return !g_ascii_strcasecmp(v, "none") || !g_ascii_strcasecmp(v, "false") ||
	       !g_ascii_strcasecmp(v, "off") || !g_ascii_strcasecmp(v, "no");
}

gboolean channel_ringback_start(XbChannel *a)
{
	const char *encoding;
	guint pt;

	if (!xb_channel_media_anchored(a, NULL) || ringback_off(a) ||
	    xb_channel_state(a) >= XB_CHANNEL_ANSWERED)
		return FALSE;
	if (xb_channel_state(a) < XB_CHANNEL_EARLY) {
		if (xb_channel_local_body(a))
			return FALSE; /* an answer made elsewhere, not sent yet */
		xb_channel_media_answer_own(a);
		if (!a->media || !xb_channel_media_format(a, &encoding, &pt)) {
			xb_channel_set_local_body(a, NULL);
			return FALSE;
		}
		if (xb_channel_pre_answer(a) < 0)
			return FALSE;
	} else if (!a->media || !xb_channel_media_format(a, &encoding, &pt)) {
		return FALSE;
	}
	xb_info("%s: ringback (%s)", xb_channel_name(a), encoding);
	return xb_media_play_tone(a->media, "ringback", encoding, pt, 0, NULL, NULL);
}

void channel_ringback_stop(XbChannel *a)
{
	if (a->media)
		xb_media_play_stop(a->media);
}
