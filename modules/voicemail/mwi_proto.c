/* mwi_proto.c: the message-summary package's text (see mwi_proto.h): bodies, the checks of
 * a SUBSCRIBE that need no state, and Subscription-State. No I/O, no core calls. */
#include "mwi_proto.h"

#include <string.h>

char *mwi_body(const char *account, guint new_count, guint old_count)
{
	return g_strdup_printf("Messages-Waiting: %s\r\n"
	                       "Message-Account: %s\r\n"
	                       "Voice-Message: %u/%u (0/0)\r\n",
	                       new_count ? "yes" : "no", account, new_count, old_count);
}

/* "N/M" or "N/M (U/V)" of a msg-summary-line (RFC 3842 §5.2). */
static gboolean counts_parse(const char *v, guint *new_count, guint *old_count)
{
	guint64 n, o;
	char *end;

	n = g_ascii_strtoull(v, &end, 10);
	if (end == v || *end != '/' || n > G_MAXUINT)
		return FALSE;
	v = end + 1;
	o = g_ascii_strtoull(v, &end, 10);
	if (end == v || o > G_MAXUINT)
		return FALSE;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end && *end != '(')
		return FALSE;
	*new_count = (guint)n;
	*old_count = (guint)o;
	return TRUE;
}

gboolean mwi_body_parse(const char *body, gsize len, gboolean *waiting, guint *new_count,
                        guint *old_count)
{
	g_autofree char *text = g_strndup(body, len);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	gboolean seen = FALSE;

	*new_count = *old_count = 0;
	for (char **l = lines; *l; l++) {
		char *line = g_strstrip(*l), *colon = strchr(line, ':');
		if (!*line)
			continue;
		if (!colon)
			return FALSE;
		*colon = '\0';
		char *name = g_strstrip(line), *value = g_strstrip(colon + 1);
		if (!g_ascii_strcasecmp(name, "Messages-Waiting")) {
			if (!g_ascii_strcasecmp(value, "yes"))
				*waiting = TRUE;
			else if (!g_ascii_strcasecmp(value, "no"))
				*waiting = FALSE;
			else
				return FALSE;
			seen = TRUE;
		} else if (!g_ascii_strcasecmp(name, "Voice-Message")) {
			if (!counts_parse(value, new_count, old_count))
				return FALSE;
		}
	}
	return seen;
}

static void refuse(MwiCheck *out, guint status, const char *reason, char *extra)
{
	out->status = status;
	out->reason = reason;
	out->extra = extra;
}

/* Does one Accept value take the body type? type/subtype, type/ or * / *, parameters
 * ignored. */
static gboolean accepts(const struct sip_pl *val)
{
	struct sip_ctype ct;

	if (sip_ctype_parse(&ct, val) < 0)
		return FALSE;
	if (sip_pl_eq(&ct.type, "*"))
		return TRUE;
	if (!sip_pl_caseeq(&ct.type, "application"))
		return FALSE;
	return sip_pl_eq(&ct.subtype, "*") || sip_pl_caseeq(&ct.subtype, "simple-message-summary");
}

void mwi_subscribe_check(const struct sip_msg *msg, const MwiExpiry *lim, MwiCheck *out)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_EVENT);
	struct sip_event ev;
	guint32 expires = lim->default_expires;

	memset(out, 0, sizeof(*out));
	/* RFC 6665 §4.2.1.1: the package must be one we serve; more than one Event header
	 * makes the request ambiguous. */
	if (!h) {
		refuse(out, 489, "Bad Event", g_strdup("Allow-Events: " MWI_EVENT "\r\n"));
		return;
	}
	if (sip_msg_hdr_count(msg, SIP_HDR_EVENT) > 1 || sip_event_parse(&ev, &h->val) < 0) {
		refuse(out, 400, "Bad Event Header", NULL);
		return;
	}
	if (!sip_pl_caseeq(&ev.package, MWI_EVENT)) {
		refuse(out, 489, "Bad Event", g_strdup("Allow-Events: " MWI_EVENT "\r\n"));
		return;
	}
	if (ev.id.l > MWI_MAX_EVENT_ID || sip_pl_has_nul(&ev.id)) {
		refuse(out, 400, "Event id Too Long", NULL);
		return;
	}
	h = sip_msg_hdr(msg, SIP_HDR_EXPIRES);
	if (h && (sip_msg_hdr_count(msg, SIP_HDR_EXPIRES) > 1 ||
	          sip_pl_u32(&h->val, UINT32_MAX, &expires) < 0)) {
		refuse(out, 400, "Bad Expires", NULL);
		return;
	}
	/* §4.2.1.1: shorter than we allow gets 423 with Min-Expires; 0 is a fetch or an
	 * unsubscription, never too brief. A longer one is cut to the maximum. */
	if (expires && expires < lim->min_expires) {
		refuse(out, 423, "Interval Too Brief",
		       g_strdup_printf("Min-Expires: %u\r\n", lim->min_expires));
		return;
	}
	expires = MIN(expires, lim->max_expires);
	if (sip_msg_hdr(msg, SIP_HDR_ACCEPT)) {
		gboolean ok = FALSE;
		for (h = sip_msg_hdr(msg, SIP_HDR_ACCEPT); h && !ok; h = sip_msg_hdr_next(msg, h))
			ok = accepts(&h->val);
		if (!ok) {
			refuse(out, 406, "Not Acceptable",
			       g_strdup("Accept: " MWI_CONTENT_TYPE "\r\n"));
			return;
		}
	}
	out->expires = expires;
	out->event_id = sip_pl_dup(&ev.id);
}

void mwi_check_clear(MwiCheck *c)
{
	g_clear_pointer(&c->extra, g_free);
	g_clear_pointer(&c->event_id, g_free);
}

char *mwi_substate(guint32 expires_left, const char *reason)
{
	if (reason)
		return g_strdup_printf("terminated;reason=%s", reason);
	return g_strdup_printf("active;expires=%u", expires_left);
}
