/* channel_private.h: what the files of core/channel/ share: the channel's structure and the
 * hooks the rest of the core (the dialplan's executor, the CLI) uses. Not for modules. */
#pragma once

#include "../core_private.h"

/* media.c: crossbar's own answer to the leg's offer, when nothing gave one yet. */
void xb_channel_media_answer_own(XbChannel *ch);
/* A digit from the far end; in_media when it came as RFC 4733 events in anchored RTP. */
void xb_channel_dtmf_digit(XbChannel *ch, char digit, gboolean in_media);
/* The leg's RTP timeout: media.rtp_timeout once answered while its far end sends, else none. */
void xb_channel_media_watch(XbChannel *ch);
/* A new offer from `holder` puts the bridged `held` on hold (music on hold starts) or takes
 * it off (the music stops). */
void xb_channel_media_hold(XbChannel *holder, XbChannel *held, const XbChannelBody *offer);
/* record.c, read.c: their applications. */
extern const XbApp xb_channel_record_apps[];
extern const XbApp xb_channel_read_apps[];

struct xb_channel {
	char *uuid;
	char *name;
	const XbChannelDriver *driver; /* NULL for a channel without signalling ("null") */
	gpointer pvt;
	XbChannelDirection direction;
	XbChannelState state;
	GHashTable *vars;
	XbChannelBody *remote, *local;
	XbCause cause;
	unsigned sip_status;
	gint64 created_us, answered_us, ended_us;
	XbChannel *partner;      /* the bridged leg (the bridge holds the references) */
	XbMediaEndpoint *media;  /* the leg's anchored media (one reference), or NULL */
	guint64 own_sdp_version; /* of the last answer crossbar made for the leg itself */
	gboolean far_sends;      /* its far end's description says it sends RTP */
	gboolean on_hold_music;  /* its far end hears media.hold_music */
	XbChannelEventFunc ctl;
	gpointer ctl_data;
	gboolean hangup_asked;    /* the core asked the driver to hang up */
	gboolean listed;          /* in the table of live channels */
	gboolean split;           /* its bridge is being ended by a transfer: nobody hangs up */
	struct xb_transfer *xfer; /* the transfer it is transferor or transferee of, or NULL */
	guint transfers;          /* how many times it was transferred */
};

/* State changes go through here: published on the bus, and GONE leaves the live table. */
void channel_set_state(XbChannel *ch, XbChannelState state);

/* The executor of the dialplan (core/dialplan/exec.c): routes a new incoming channel (or
 * an answered one a transfer sends on). */
void xb_dialplan_exec_route(XbChannel *channel);
/* ... and lets go of a channel without hanging it up: its pending application is over, a
 * transfer took the channel elsewhere. Nothing happens to a channel it does not run. */
void xb_dialplan_exec_release(XbChannel *channel);

/* dtmf.c: the send_dtmf application. */
void channel_dtmf_apps_register(void);

/* ringback.c: the caller of a call whose legs ring hears crossbar's ringback tone, after a
 * 183 with crossbar's own answer when it has none yet: FALSE when it cannot (turned off,
 * not anchored, no G.711), and the caller should get the 180 instead. */
gboolean channel_ringback_start(XbChannel *a);
void channel_ringback_stop(XbChannel *a);

/* bridge.c: end the bridge channel is in without hanging up either leg; the bridge's done
 * function sees both legs' `split` set. FALSE when channel is in no bridge. */
gboolean channel_bridge_split(XbChannel *channel);

/* transfer.c: a channel with a transfer changed state. */
void channel_transfer_state(XbChannel *channel);
