/* dtmf.c: the send_dtmf application: digits to the channel's far end, as RFC 4733
 * telephone-events in the anchored RTP when the far end agreed to them, else the way its
 * driver sends DTMF (SIP INFO). FreeSWITCH's syntax: "DIGITS[@MS]". It does not wait for
 * the digits to be sent: the next action runs at once while they go out (about MS + 100
 * ms each). */
#include "channel_private.h"

#include <errno.h>
#include <string.h>

static int app_send_dtmf(XbChannel *ch, const char *data, gpointer user_data)
{
	g_autofree char *digits = g_strstrip(g_strdup(data));
	char *at = strchr(digits, '@');
	guint64 ms = 0;

	if (at) {
		*at = 0;
		if (!g_ascii_string_to_unsigned(at + 1, 10, 40, 5000, &ms, NULL))
			return -EINVAL;
	}
	if (!*digits)
		return -EINVAL;
	if (ch->media && xb_media_send_dtmf(ch->media, digits, (guint)ms, -1)) {
		xb_debug("%s: send_dtmf %s: telephone-events", xb_channel_name(ch), digits);
		return 0;
	}
	int rc = xb_channel_send_dtmf(ch, digits);
	if (rc < 0)
		xb_info("%s: send_dtmf %s: %s", xb_channel_name(ch), digits, g_strerror(-rc));
	return 0;
}

static const XbApp dtmf_apps[] = {
    {"send_dtmf", "DIGITS[@MS]",
     "send DTMF to the caller (RFC 4733 in the RTP when agreed, else SIP INFO)", app_send_dtmf},
    XB_APPS_END,
};

void channel_dtmf_apps_register(void)
{
	xb_app_register(NULL, dtmf_apps, NULL);
}
