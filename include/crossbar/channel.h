/* channel.h: a channel is one leg of a call. Its signalling belongs to a channel driver
 * (mod_sip, mod_portaudio ...); the core keeps its identity, state, variables, caller ID,
 * hang-up cause and the session description it carries, and knows nothing of any protocol.
 *
 * The contract between the two:
 *   core -> driver  XbChannelDriver: place outgoing legs, ring / early media / answer, hang
 *                   up with a cause, requests within the call (re-offers, INFO), DTMF.
 *   driver -> core  xb_channel_*_cb functions below: what happened on the leg (it rings,
 *                   it answered, it hung up, the far end sent a request or a digit).
 * What the core does with those events is decided by the channel's controller: the
 * dialplan for a leg that came in, the bridge for a leg it placed.
 *
 * Channel states (xb_channel_state):
 *   NEW ──route──> ROUTING ──ring──> RINGING ──early media──> EARLY ──answer──> ANSWERED
 *    │  (incoming)                                                        │  bridge  │
 *    │  placed: NEW ──────────> RINGING / EARLY ─────> ANSWERED ──────> BRIDGED <────┘
 *    └───────────── any state ──hang-up──> HANGING_UP ──driver done──> GONE
 * Every change is published on the event bus as XB_EVENT_CHANNEL_STATE.
 *
 * Reference counted (g_rc_box): whoever holds a pointer holds a reference. The driver holds
 * one for as long as its leg lives and drops it after xb_channel_hangup_cb; the core's list
 * of live channels (xb_channel_find, `crossbar-cli calls`) holds one until the channel is
 * GONE. Main loop only. */
#pragma once

#include <glib.h>
#include <crossbar/module.h>
#include <crossbar/media.h>

G_BEGIN_DECLS

typedef struct xb_channel XbChannel;

typedef enum {
	XB_CHANNEL_NEW,
	XB_CHANNEL_ROUTING,
	XB_CHANNEL_RINGING,
	XB_CHANNEL_EARLY,
	XB_CHANNEL_ANSWERED,
	XB_CHANNEL_BRIDGED,
	XB_CHANNEL_HANGING_UP,
	XB_CHANNEL_GONE,
} XbChannelState;

typedef enum {
	XB_CHANNEL_INBOUND,  /* it called crossbar: the A-leg */
	XB_CHANNEL_OUTBOUND, /* crossbar placed it: a B-leg */
} XbChannelDirection;

/* Hang-up causes: ITU-T Q.850 cause values (the ones FreeSWITCH and Asterisk name too). The
 * SIP status that carried a cause is kept beside it (xb_channel_sip_status). */
typedef enum {
	XB_CAUSE_NONE = 0,
	XB_CAUSE_UNALLOCATED_NUMBER = 1,
	XB_CAUSE_NO_ROUTE_DESTINATION = 3,
	XB_CAUSE_NORMAL_CLEARING = 16,
	XB_CAUSE_USER_BUSY = 17,
	XB_CAUSE_NO_USER_RESPONSE = 18,
	XB_CAUSE_NO_ANSWER = 19,
	XB_CAUSE_SUBSCRIBER_ABSENT = 20,
	XB_CAUSE_CALL_REJECTED = 21,
	XB_CAUSE_NUMBER_CHANGED = 22,
	XB_CAUSE_DESTINATION_OUT_OF_ORDER = 27,
	XB_CAUSE_INVALID_NUMBER_FORMAT = 28,
	XB_CAUSE_FACILITY_REJECTED = 29,
	XB_CAUSE_NORMAL_UNSPECIFIED = 31,
	XB_CAUSE_NORMAL_CIRCUIT_CONGESTION = 34,
	XB_CAUSE_NETWORK_OUT_OF_ORDER = 38,
	XB_CAUSE_NORMAL_TEMPORARY_FAILURE = 41,
	XB_CAUSE_SWITCH_CONGESTION = 42,
	XB_CAUSE_REQUESTED_CHAN_UNAVAIL = 44,
	XB_CAUSE_OUTGOING_CALL_BARRED = 52,
	XB_CAUSE_INCOMING_CALL_BARRED = 54,
	XB_CAUSE_BEARERCAPABILITY_NOTAUTH = 57,
	XB_CAUSE_BEARERCAPABILITY_NOTAVAIL = 58,
	XB_CAUSE_SERVICE_UNAVAILABLE = 63,
	XB_CAUSE_BEARERCAPABILITY_NOTIMPL = 65,
	XB_CAUSE_SERVICE_NOT_IMPLEMENTED = 79,
	XB_CAUSE_INCOMPATIBLE_DESTINATION = 88,
	XB_CAUSE_RECOVERY_ON_TIMER_EXPIRE = 102,
	XB_CAUSE_INTERWORKING = 127,
	/* Not Q.850: what FreeSWITCH calls them, kept in the same space above 127. */
	XB_CAUSE_ORIGINATOR_CANCEL = 487,
	XB_CAUSE_LOSE_RACE = 502,             /* another leg of the same bridge answered first */
	XB_CAUSE_ALLOTTED_TIMEOUT = 602,      /* the maximum call duration passed */
	XB_CAUSE_MEDIA_TIMEOUT = 604,         /* no RTP from the far end for media.rtp_timeout */
	XB_CAUSE_EXCHANGE_ROUTING_ERROR = 25, /* a loop: too many hops (SIP 483) */
} XbCause;

/* "NORMAL_CLEARING", "USER_BUSY" ...; "UNKNOWN" for a value without a name. */
const char *xb_cause_name(XbCause cause);
/* The cause named so (case-insensitive), or a number; XB_CAUSE_NONE when it is neither. */
XbCause xb_cause_from_name(const char *name);
/* RFC 3398 §7.2.4.1 and RFC 4497 §8.2: the cause a SIP final status stands for, and the
 * status that best carries a cause back to a SIP caller (Q.850 -> SIP, RFC 3398 §8.2.6.1). */
XbCause xb_cause_from_sip(unsigned status);
unsigned xb_cause_to_sip(XbCause cause);

/* What a session description is: "application/sdp" and its octets. Until the media engine
 * anchors media, each leg's description is passed to the other unchanged. */
typedef struct {
	char *content_type;
	char *body;
	gsize len;
} XbChannelBody;

/* A request within the call that one leg's far end sent and the other leg's should see: a
 * re-offer (re-INVITE or UPDATE with a session description: hold, unhold, a codec change) or
 * an INFO. The driver that got it waits for xb_channel_request_reply. */
typedef struct xb_channel_request XbChannelRequest;

typedef enum {
	XB_CHANNEL_REQ_REOFFER, /* a new offer (body) to be answered (reply's body) */
	XB_CHANNEL_REQ_REFRESH, /* a re-INVITE or UPDATE without an offer: answered locally */
	XB_CHANNEL_REQ_INFO,    /* an INFO, its body passed on as it is */
} XbChannelRequestKind;

/* The outcome of a request a driver was asked to send (XbChannelDriver.request): its final
 * status (a SIP status: 200, 488, 491 ...; 0 when the leg ended first) and body. */
typedef void (*XbChannelReplyFunc)(XbChannel *channel, unsigned status, const XbChannelBody *body,
                                   gpointer user_data);

/* What a driver gets to place an outgoing leg. */
typedef struct {
	XbChannel *origin;            /* the leg it is for (caller ID, variables), or NULL */
	const char *caller_id_number; /* From user; NULL: the driver's default */
	const char *caller_id_name;
	const XbChannelBody *offer; /* the session description to offer, or NULL (late offer) */
	guint max_forwards;         /* what is left of the caller's Max-Forwards, minus one */
	const char *const *headers; /* extra header lines to pass on ("Name: value"), or NULL */
} XbOriginate;

typedef struct {
	const char *name; /* "sip": channels of this driver are named "sip/..." */
	/* The target prefixes it places legs to ("sip:", "gateway/"), NULL-terminated. */
	const char *const *prefixes;
	/* Place the legs a target stands for ("user/1001" may ring several phones at once) and
	 * append each new channel (a reference for the caller) to `legs`. The legs are already
	 * on their way; their events go to each channel's controller. FALSE with error (the
	 * cause in error->code, XB_CHANNEL_ERROR) when no leg could be placed. */
	gboolean (*originate)(const char *target, const XbOriginate *o, GPtrArray *legs,
	                      GError **error);
	/* An incoming leg: ring (early_media FALSE: 180) or give early media (TRUE: 183 with the
	 * channel's local body). 0 or a negative errno. */
	int (*progress)(XbChannel *channel, gboolean early_media);
	/* An incoming leg: answer with the channel's local body. An answered outgoing leg whose
	 * 2xx carried the offer: the ACK, with the local body as the answer (0 when there is
	 * no such ACK to send). */
	int (*answer)(XbChannel *channel);
	/* End the leg with the channel's cause, whatever its state (a final response, a CANCEL
	 * or a BYE). The driver calls xb_channel_hangup_cb when its leg is over. */
	void (*hangup)(XbChannel *channel);
	/* Send a request within the call; the outcome goes to func exactly once: its final
	 * status, or status 0 when the leg ends before one came. */
	int (*request)(XbChannel *channel, XbChannelRequestKind kind, const XbChannelBody *body,
	               XbChannelReplyFunc func, gpointer user_data);
	/* Answer a request of the far end this driver handed to the core (see
	 * xb_channel_request_cb) with a status and, for a re-offer, the answer. */
	void (*request_reply)(XbChannel *channel, XbChannelRequest *req, unsigned status,
	                      const XbChannelBody *body);
	/* Send DTMF digits (RFC 4733 events or INFO, the driver's choice). May be NULL. */
	int (*send_dtmf)(XbChannel *channel, const char *digits);
	/* Free the driver's private data of a channel that is gone. May be NULL. */
	void (*free_pvt)(gpointer pvt);
} XbChannelDriver;

#define XB_CHANNEL_ERROR (xb_channel_error_quark())
GQuark xb_channel_error_quark(void);
/* XB_CHANNEL_ERROR codes are XbCause values. */

/* A driver's table lives until it unregisters (its module's unload does). */
gboolean xb_channel_driver_register(XbModule *owner, const XbChannelDriver *driver);
void xb_channel_driver_unregister(const XbChannelDriver *driver);
/* The driver whose prefix starts target, or NULL. */
const XbChannelDriver *xb_channel_driver_for(const char *target);

/* ---- the channel ---- */

/* A channel with a new globally unique id. name NULL makes "DRIVER/UUID". */
XbChannel *xb_channel_new(const XbChannelDriver *driver, XbChannelDirection direction,
                          const char *name, gpointer pvt);
XbChannel *xb_channel_ref(XbChannel *channel);
void xb_channel_unref(XbChannel *channel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbChannel, xb_channel_unref)

const char *xb_channel_uuid(const XbChannel *channel);
const char *xb_channel_name(const XbChannel *channel);
/* "sip", "console", "null" */
const char *xb_channel_driver_name(const XbChannel *channel);
const XbChannelDriver *xb_channel_driver(const XbChannel *channel);
gpointer xb_channel_pvt(const XbChannel *channel);
XbChannelDirection xb_channel_direction(const XbChannel *channel);
XbChannelState xb_channel_state(const XbChannel *channel);
const char *xb_channel_state_name(XbChannelState state);
/* The live channel with this uuid (a new reference), or NULL. */
XbChannel *xb_channel_find(const char *uuid);
/* Every live channel (new references), oldest first; g_ptr_array_unref. */
GPtrArray *xb_channel_list(void);
guint xb_channel_count(void);

/* Variables: text keys and values; NULL value unsets. Some are the channel's own fields
 * under the names the dialplan uses: caller_id_number, caller_id_name,
 * destination_number, network_addr, context, uuid, hangup_cause, sip_hangup_status. */
void xb_channel_set_var(XbChannel *channel, const char *key, const char *value);
const char *xb_channel_get_var(const XbChannel *channel, const char *key);
/* Sorted keys, caller frees with g_free (the strings are the channel's). */
const char **xb_channel_var_names(const XbChannel *channel);

/* The session description the far end sent (remote) and the one crossbar sends (local). */
const XbChannelBody *xb_channel_remote_body(const XbChannel *channel);
const XbChannelBody *xb_channel_local_body(const XbChannel *channel);
void xb_channel_set_remote_body(XbChannel *channel, const XbChannelBody *body);
void xb_channel_set_local_body(XbChannel *channel, const XbChannelBody *body);
XbChannelBody *xb_channel_body_copy(const XbChannelBody *body);

/* ---- media anchored through crossbar (core/channel/media.c) ----
 * Unless bypass_media=true is set on either leg, a session description going from one leg
 * to the other is rewritten to name crossbar's address (media.ip, else the route's source
 * address) and a port of the receiving leg's media endpoint, and the sending leg's endpoint
 * learns from it where its far end listens; the two endpoints are joined. */
gboolean xb_channel_media_anchored(const XbChannel *a, const XbChannel *b);
/* The body for `to`'s far end, made from `body` that `from`'s far end sent (a new copy;
 * unchanged when not anchored or not SDP). */
XbChannelBody *xb_channel_media_pass(XbChannel *from, XbChannel *to, const XbChannelBody *body);
/* The offer for legs not made yet: *to_ep is a new endpoint (the caller's reference, NULL
 * when not anchored) that xb_channel_media_attach gives each leg placed with it. */
XbChannelBody *xb_channel_media_offer(XbChannel *from, const XbChannelBody *body,
                                      XbMediaEndpoint **to_ep);
/* The leg's endpoint becomes `ep` (a reference is taken; NULL drops it). */
void xb_channel_media_attach(XbChannel *channel, XbMediaEndpoint *ep);
XbMediaEndpoint *xb_channel_media(XbChannel *channel);
void xb_channel_body_free(XbChannelBody *body);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbChannelBody, xb_channel_body_free)

XbCause xb_channel_cause(const XbChannel *channel);
/* The SIP status of the hang-up when one was on the wire (0 otherwise). */
unsigned xb_channel_sip_status(const XbChannel *channel);
/* Wall-clock microseconds: made, answered (0: never), ended (0: not yet). */
gint64 xb_channel_created_us(const XbChannel *channel);
gint64 xb_channel_answered_us(const XbChannel *channel);
gint64 xb_channel_ended_us(const XbChannel *channel);
/* The channel bridged to this one, or NULL (no new reference). */
XbChannel *xb_channel_partner(const XbChannel *channel);

/* ---- what the core asks of a channel (through its driver) ---- */

int xb_channel_ring(XbChannel *channel);
int xb_channel_pre_answer(XbChannel *channel);
int xb_channel_answer(XbChannel *channel);
/* End the leg with this cause (and SIP status, 0 for the one the cause maps to). Safe on a
 * channel hanging up or gone (nothing happens). */
void xb_channel_hangup(XbChannel *channel, XbCause cause, unsigned sip_status);
int xb_channel_send_dtmf(XbChannel *channel, const char *digits);

/* ---- controllers: who hears a channel's events ---- */

typedef enum {
	XB_CHANNEL_EV_PROGRESS, /* placed leg rings (body: early media, or NULL) */
	XB_CHANNEL_EV_ANSWERED, /* placed leg answered (its remote body is set) */
	XB_CHANNEL_EV_HANGUP,   /* the leg is over (cause set) */
	XB_CHANNEL_EV_REQUEST,  /* the far end sent a request: answer with
	                         * xb_channel_request_reply, now or later */
	XB_CHANNEL_EV_DTMF,     /* a digit (digit) */
} XbChannelEventType;

typedef struct {
	XbChannelEventType type;
	const XbChannelBody *body; /* PROGRESS, REQUEST */
	XbChannelRequest *request; /* REQUEST */
	XbChannelRequestKind kind; /* REQUEST */
	char digit;                /* DTMF */
	gboolean dtmf_in_media;    /* DTMF: it came in the anchored RTP (RFC 4733), which the
	                            * media engine relays to the bridged leg by itself */
} XbChannelEvent;

typedef void (*XbChannelEventFunc)(XbChannel *channel, const XbChannelEvent *ev,
                                   gpointer user_data);
/* The one controller of a channel (the dialplan, a bridge); NULL to detach. Events that
 * come while there is none get the defaults: requests are answered 200 (re-offer with the
 * channel's local body again) or 488, digits are dropped. */
void xb_channel_set_controller(XbChannel *channel, XbChannelEventFunc func, gpointer user_data);

/* ---- driver -> core ---- */

/* A new incoming leg whose caller ID, destination_number, network_addr, context and remote
 * body the driver has set: the core routes it through the dialplan. */
void xb_channel_route(XbChannel *channel);
/* A placed leg rings, with early media when body is not NULL. */
void xb_channel_progress_cb(XbChannel *channel, const XbChannelBody *body);
/* A placed leg answered with body. */
void xb_channel_answered_cb(XbChannel *channel, const XbChannelBody *body);
/* The leg is over: the far end hung up, or the driver finished a hang-up the core asked
 * for. cause NONE keeps the one already set. The channel is GONE after this. */
void xb_channel_hangup_cb(XbChannel *channel, XbCause cause, unsigned sip_status);
/* The far end sent a request; the driver keeps req until request_reply is called. */
void xb_channel_request_cb(XbChannel *channel, XbChannelRequest *req, XbChannelRequestKind kind,
                           const XbChannelBody *body);
void xb_channel_dtmf_cb(XbChannel *channel, char digit);

/* A request handle for drivers: made with a pointer of the driver's, freed by the core once
 * answered. */
XbChannelRequest *xb_channel_request_new(gpointer driver_data);
gpointer xb_channel_request_data(const XbChannelRequest *req);
/* Answer a request a controller heard of (XB_CHANNEL_EV_REQUEST). */
void xb_channel_request_reply(XbChannel *channel, XbChannelRequest *req, unsigned status,
                              const XbChannelBody *body);
/* Send a request within the call on a channel (through its driver). */
int xb_channel_request(XbChannel *channel, XbChannelRequestKind kind, const XbChannelBody *body,
                       XbChannelReplyFunc func, gpointer user_data);

/* ---- audio for applications (core/channel/media.c) ----
 *
 * What an application of a module that talks to the caller itself (voicemail, a menu) uses,
 * beside the media engine's xb_media_play, xb_media_play_tone and xb_media_record on the
 * leg's endpoint. While such an application is the channel's controller it answers the far
 * end's requests with xb_channel_media_own_request and hears digits as
 * XB_CHANNEL_EV_DTMF. */

/* The leg's endpoint, made when the call is anchored and it has none yet (e.g. a call no
 * bridge has touched); NULL when its media bypasses crossbar. */
XbMediaEndpoint *xb_channel_media_ensure(XbChannel *channel);
/* The encoding ("PCMU", "PCMA", "G722") and payload type crossbar sends the leg: the first
 * codec of the answer. FALSE when the leg's codec is one crossbar cannot encode. */
gboolean xb_channel_media_format(XbChannel *channel, const char **encoding, guint *pt);
/* A prompt's file: `name` as it is when it has a folder, else a file of media.sounds_dir,
 * with or without its ".wav". g_free it. */
char *xb_channel_sound_path(const char *name);
/* Play `file` (a name as for xb_channel_sound_path) to the leg, which must be early or
 * answered; `func` is told once when it has been played, could not be (error set), or
 * not at all after xb_media_play_stop on xb_channel_media(channel). FALSE, and `func` not
 * told, when the leg has no audio through crossbar in a codec it can encode. */
gboolean xb_channel_play(XbChannel *channel, const char *file, XbMediaPlayFunc func,
                         gpointer user_data);
/* The same for a call progress tone (xb_media_play_tone): "beep", "busy" ... */
gboolean xb_channel_play_tone(XbChannel *channel, const char *tone, guint ms, XbMediaPlayFunc func,
                              gpointer user_data);
/* Answer a request of the far end (XB_CHANNEL_EV_REQUEST) of a leg crossbar answered
 * itself: a new offer (hold, a new address) gets a new answer, anything else 200. */
void xb_channel_media_own_request(XbChannel *channel, const XbChannelEvent *ev);
/* An application's data split into its words (blanks between them dropped); g_strfreev. */
char **xb_channel_app_words(const char *data);

/* ---- bridging ---- */

/* Join an answered or early incoming leg a to placed leg b: b's progress, answer, requests
 * and hang-up reach a and the other way around, with each leg's session description passed
 * to the other. When either hangs up, the bridge ends and `done` is called with the cause
 * (the other leg is left up: the dialplan decides, e.g. hangup_after_bridge). */
typedef void (*XbBridgeDoneFunc)(XbChannel *a, XbChannel *b, gpointer user_data);
void xb_channel_bridge(XbChannel *a, XbChannel *b, XbBridgeDoneFunc done, gpointer user_data);

/* ---- transfer ----
 *
 * A party of a bridged call hands its partner on (core/channel/transfer.c). Blind: the
 * partner (the transferee) leaves the bridge and is routed through the dialplan to a number
 * in a context, normally the transferor's own, so that a transfer never reaches what the
 * transferor could not call. Attended: the partners of two calls of one transferor are
 * bridged to each other. Either way the transferor's leg is left out of any bridge, with no
 * dialplan of its own, and is hung up a few seconds after the outcome unless its far end
 * hangs up first (a SIP phone sends BYE after the final NOTIFY). The transferee keeps its
 * own signalling; its new partner's session description reaches it as a re-offer. */
#define XB_TRANSFER_ERROR (xb_transfer_error_quark())
GQuark xb_transfer_error_quark(void);
typedef enum {
	XB_TRANSFER_ERROR_NOT_BRIDGED, /* the transferor is not in a bridged call */
	XB_TRANSFER_ERROR_IN_PROGRESS, /* a transfer of that call is under way already */
	XB_TRANSFER_ERROR_INVALID,     /* an empty or over-long number, or not a number's text */
	XB_TRANSFER_ERROR_NO_ROUTE,    /* the context has no extension for the number */
	XB_TRANSFER_ERROR_LOOP,        /* the transferee was transferred too often */
	XB_TRANSFER_ERROR_FORBIDDEN,   /* attended: the two calls cannot be joined */
} XbTransferError;

/* The longest number a transfer takes, in bytes. */
#define XB_TRANSFER_NUMBER_MAX 64
/* How many times one channel may be transferred. */
#define XB_TRANSFER_MAX 8
/* How long the transferor's leg may stay up after the outcome, in milliseconds. */
#define XB_TRANSFER_HANGUP_DELAY_MS 5000

/* The outcome of a transfer, told once and never from inside the call that started it: 200
 * when the transferee was bridged to its new partner (or, attended, joined), else the SIP
 * status of its failure (486, 404 ...; 487 when the transferee hung up, 408 when nothing
 * came of it in a few minutes: then the transferee is left where the dialplan put it). */
typedef void (*XbTransferFunc)(XbChannel *transferor, unsigned sip_status, gpointer user_data);

/* Blind transfer of transferor's partner to number in context (NULL: the transferor's
 * "context" variable). FALSE with XB_TRANSFER_ERROR when it cannot start; then nothing
 * has changed. */
gboolean xb_channel_transfer(XbChannel *transferor, const char *number, const char *context,
                             XbTransferFunc func, gpointer user_data, GError **error);
/* Attended transfer: the partners of transferor and of replaced (the transferor's other
 * call, whose driver checked that it is the same party's) are bridged to each other, and
 * replaced is hung up. FALSE with XB_TRANSFER_ERROR when it cannot be done. */
gboolean xb_channel_transfer_join(XbChannel *transferor, XbChannel *replaced, XbTransferFunc func,
                                  gpointer user_data, GError **error);

/* A new incoming call takes the place of `replaced` (RFC 3891 §3: an INVITE with Replaces):
 * it is answered with the description of replaced's partner, bridged to that partner
 * (which is re-offered its description), and replaced is hung up. The driver checked that
 * the caller may. FALSE with XB_TRANSFER_ERROR when replaced is not in a bridged call. */
gboolean xb_channel_transfer_replace(XbChannel *incoming, XbChannel *replaced, GError **error);

/* A transfer: (ssssu) kind ("blind", "attended", "replaces"), the transferor's uuid, the
 * transferee's, the target (the number, or the uuid of the party joined), and the SIP status: 100
 * when it starts, then its outcome. */
#define XB_EVENT_CHANNEL_TRANSFER "channel.transfer"

/* Channel state changes: (sssa{sv}) uuid, state name, cause name, and what is known of the
 * channel then: "name", "driver", "direction" ("in"/"out") (s); "created_us",
 * "answered_us", "ended_us" (x, 0 for not yet); "sip_status" (u); and every variable of the
 * channel (s): caller_id_number, destination_number, context, originator_uuid (the A-leg of
 * a placed leg), bridge_uuid, gateway ... */
#define XB_EVENT_CHANNEL_STATE "channel.state"
/* A digit a channel's far end sent: (ss) uuid, digit. */
#define XB_EVENT_CHANNEL_DTMF "channel.dtmf"

G_END_DECLS
