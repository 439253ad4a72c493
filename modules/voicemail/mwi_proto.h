/* mwi_proto.h: the message-summary event package (RFC 3842) as text, without the daemon:
 * the NOTIFY body built and read back, a SUBSCRIBE's Event, Expires and Accept checked
 * (RFC 6665 §4.2.1.1-§4.2.1.2), and the Subscription-State value. Pure code over
 * crossbar/sipmsg.h, unit tested in tests/unit/test_mwi.c; mwi.c does the rest. */
#pragma once

#include <glib.h>
#include <crossbar/sipmsg.h>

#define MWI_EVENT        "message-summary"
#define MWI_CONTENT_TYPE "application/simple-message-summary"

/* What mwi.c stores of a SUBSCRIBE is bounded: a longer value is refused with 400. */
#define MWI_MAX_URI      512  /* From, To and Contact URIs */
#define MWI_MAX_ROUTE    1024 /* Record-Route values joined */
#define MWI_MAX_EVENT_ID 64   /* the Event header's id parameter */

/* The body of a NOTIFY (RFC 3842 §5.2): "Messages-Waiting: yes|no", "Message-Account:
 * ACCOUNT" and "Voice-Message: NEW/OLD (0/0)" (no urgent messages), CRLF after each line.
 * g_free it. */
char *mwi_body(const char *account, guint new_count, guint old_count);

/* Read back what mwi_body writes (any order of lines, header names without case, the
 * urgent counts optional). FALSE when there is no Messages-Waiting line or a line is
 * malformed. */
gboolean mwi_body_parse(const char *body, gsize len, gboolean *waiting, guint *new_count,
                        guint *old_count);

/* The subscription times a notifier grants (seconds). */
typedef struct {
	guint32 min_expires, max_expires, default_expires;
} MwiExpiry;

/* A SUBSCRIBE as the event package sees it. status 0: acceptable, with expires the time
 * granted (0 for a fetch or an unsubscription) and event_id the Event's id parameter
 * (g_free; "" when none). Otherwise the status to answer with and its reason; extra holds
 * header lines for the response (Allow-Events with 489, Min-Expires with 423) or NULL.
 *   489 Bad Event          no Event, or a package other than message-summary
 *   400 Bad Event / Bad Expires / header too long
 *   423 Interval Too Brief an Expires other than 0 below min_expires
 *   406 Not Acceptable     an Accept that names neither the body type nor a wildcard */
typedef struct {
	guint status;
	const char *reason;
	char *extra;
	guint32 expires;
	char *event_id;
} MwiCheck;

void mwi_subscribe_check(const struct sip_msg *msg, const MwiExpiry *lim, MwiCheck *out);
void mwi_check_clear(MwiCheck *c);

/* Subscription-State (RFC 6665 §8.2.3): "active;expires=N", or "terminated;reason=R" when
 * reason is not NULL. g_free it. */
char *mwi_substate(guint32 expires_left, const char *reason);
