/* sip_channel.h: mod_sip's channel driver "sip" (crossbar/channel.h), private to
 * modules/sip/. Each channel is one SipCall (call.c): the INVITEs no module took become
 * incoming channels routed through the dialplan, and the core's originate places outgoing
 * ones to sip:/sips: URIs, gateway/NAME/NUMBER and user/EXT. sip_channel.c holds the legs,
 * their events and the driver's operations; sip_channel_out.c turns targets into legs. */
#pragma once

#include <crossbar/crossbar.h>
#include <crossbar/sipdigest.h>

#include "gateway.h"
#include "ua.h"

/* Register the driver and take the INVITEs that no module takes. FALSE with error when
 * the core refuses the driver. */
gboolean sip_channel_start(XbModule *self, SipUa *ua, Gateways *gws, GError **error);
/* End every leg (a final response, CANCEL or BYE, cause SERVICE_UNAVAILABLE) and
 * unregister; before the gateways and the UA core go. */
void sip_channel_stop(void);

/* ---- shared by sip_channel.c and sip_channel_out.c ---- */

/* A request of ours within a call, awaiting its final response (SIP_CALL_RESPONSE). */
typedef struct {
	char *method;
	XbChannelReplyFunc func; /* NULL: the driver's own (a DTMF INFO) */
	gpointer user_data;
} SipSent;

/* What an outgoing leg is placed with (call_place's SipRequest), kept while a host name is
 * looked up. */
typedef struct {
	char *ruri;
	char *to_uri;
	char *from_uri;
	char *from_display;
	char *headers;
	SipCredentials *cred;
	guint max_forwards;
	XbChannelBody *offer;
	SipFlow dest;
	char *tls_host; /* the name a TLS server must prove, or NULL */
} SipPlace;

/* One leg: the pvt of its channel, freed with it (free_pvt). */
typedef struct {
	XbChannel *ch; /* the driver's reference, until xb_channel_hangup_cb (NULL after) */
	SipCall *call; /* one reference; NULL while an outgoing leg waits for DNS */
	gboolean inbound;
	GQueue sent;           /* SipSent *, oldest first */
	GPtrArray *held;       /* SipServerReq *: their requests handed to the core */
	GString *dtmf;         /* digits still to send, one INFO at a time */
	gboolean dtmf_busy;    /* ... and one is on its way */
	gboolean late_offer;   /* outgoing: the INVITE had no body, so its 2xx may carry the
	                        * offer and its ACK waits for the answer */
	SipPlace *place;       /* outgoing: waiting for its look-up, or kept while alternates
	                        * are left */
	GatewayLookup *lookup; /* ... in flight */
	GArray *alternates;    /* outgoing: SipFlow, where the INVITE goes next when the one
	                        * in use times out, cannot be sent or answers 503 (RFC 3263
	                        * §4.3); NULL or empty when none is left */
	gboolean referring;    /* a REFER of its far end is being carried out */
	gboolean refer_notify; /* ... and its progress goes in NOTIFYs (no Refer-Sub: false) */
	guint32 refer_id;      /* ... the REFER's CSeq: the id of Event: refer */
} SipLeg;

/* The driver's state: one per process (mod_sip is loaded once). */
typedef struct {
	XbModule *owner;
	const SipApi *sip;
	SipUa *ua;
	Gateways *gws;
	GHashTable *legs;        /* SipLeg * whose channel is not over yet (borrowed) */
	SipDigestServer *digest; /* the 407 challenges of INVITEs from the directory's users */
	XbDirUser *checking;     /* the user whose HA1 the digest check asked for */
} SipDriver;

extern SipDriver sip_drv;
extern const XbChannelDriver sip_channel_driver;

/* sip_channel.c */
/* A new leg with its channel (the driver's reference in leg->ch); the leg is live. */
SipLeg *sip_leg_new(XbChannelDirection direction);
/* The leg is over: xb_channel_hangup_cb with cause and status, the driver's reference goes. */
void sip_leg_over(SipLeg *leg, XbCause cause, unsigned sip_status);
/* Place an outgoing leg now (its place's dest is known): 0 or a negative errno. */
int sip_leg_place(SipLeg *leg);
/* The flows of targets the leg may fail over to, after `first` (the one its INVITE goes to
 * first), in their order, `first` left out. */
void sip_leg_set_alternates(SipLeg *leg, const GatewayTargets *targets, const SipFlow *first);
void sip_place_free(SipPlace *p);

/* sip_transfer.c: a REFER within the leg's call (RFC 3515), answered there. */
void sip_leg_refer(SipLeg *leg, SipServerReq *req, const struct sip_msg *refer);
/* An INVITE's Replaces header (RFC 3891 §3), after the caller is authorised (user: the
 * directory user it proved to be, gateway: the trunk it came from): 0 when it has none
 * (*replaced NULL) or it names a bridged call of the same party (*replaced), else the
 * status to refuse the INVITE with. */
unsigned sip_replaces_check(SipCall *call, const struct sip_msg *invite, const char *user,
                            const char *gateway, SipLeg **replaced);
/* The new leg of that INVITE takes old's place in its call. */
void sip_leg_replace(SipLeg *leg, SipLeg *old);

/* sip_channel_out.c: XbChannelDriver.originate */
gboolean sip_channel_originate(const char *target, const XbOriginate *o, GPtrArray *legs,
                               GError **error);
