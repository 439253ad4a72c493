/* channel.h: a channel is one leg of a call. Its signalling belongs to a channel driver
 * (mod_sip, mod_portaudio); the core keeps its identity, its state and its variables.
 * Reference counted: whoever holds a pointer holds a reference. This is the part of the
 * channel API that dialplan applications use; drivers and bridges will extend it. */
#pragma once

#include <glib.h>

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

/* A channel with a new globally unique id. `driver` names its channel driver ("sip",
 * "null" for a channel without signalling). */
XbChannel *xb_channel_new(const char *driver, const char *name);
XbChannel *xb_channel_ref(XbChannel *channel);
void xb_channel_unref(XbChannel *channel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbChannel, xb_channel_unref)

const char *xb_channel_uuid(const XbChannel *channel);
const char *xb_channel_name(const XbChannel *channel);
const char *xb_channel_driver(const XbChannel *channel);
XbChannelState xb_channel_state(const XbChannel *channel);
const char *xb_channel_state_name(XbChannelState state);
void xb_channel_set_state(XbChannel *channel, XbChannelState state);

/* Variables: text keys and values; NULL value unsets. */
void xb_channel_set_var(XbChannel *channel, const char *key, const char *value);
const char *xb_channel_get_var(const XbChannel *channel, const char *key);
/* Sorted keys, caller frees with g_free (the strings are the channel's). */
const char **xb_channel_var_names(const XbChannel *channel);

G_END_DECLS
