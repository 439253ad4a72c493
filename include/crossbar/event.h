/* event.h: the event bus. Publish/subscribe on the main loop. An event type is a name and a
 * GVariant type string fixed when it is registered ("registration" carries "(sssi)" ...);
 * publishing a payload of another type is refused. Delivery is deferred to the main loop in
 * publication order, so a publisher is never re-entered by its own subscribers. */
#pragma once

#include <glib.h>
#include <crossbar/module.h>

G_BEGIN_DECLS

typedef void (*XbEventFunc)(const char *type, GVariant *payload, gpointer user_data);

/* Core event types, registered at start-up. */
#define XB_EVENT_MODULE_LOADED   "module.loaded"   /* (s) module name */
#define XB_EVENT_MODULE_UNLOADED "module.unloaded" /* (s) module name */
#define XB_EVENT_CONFIG_RELOADED "config.reloaded" /* (s) file or "" */
#define XB_EVENT_SHUTDOWN        "core.shutdown"   /* () */

/* Register a type; registering the same name with the same signature again is harmless,
 * with another signature is refused (FALSE). */
gboolean xb_event_type_register(const char *type, const char *signature);
/* Subscribe to one type, or to every type with type "*". owner may be NULL (core).
 * Returns an id > 0, or 0 when the type is unknown. */
guint xb_event_subscribe(XbModule *owner, const char *type, XbEventFunc func, gpointer user_data);
void xb_event_unsubscribe(guint id);
/* Takes a floating reference on payload (g_variant_new(...) can be passed straight in).
 * Returns FALSE, and drops the payload, when the type is unknown or does not match. */
gboolean xb_event_publish(const char *type, GVariant *payload);
/* Whether any subscription takes events of type now: a publisher whose payload is costly
 * to build (one per channel state change) skips it when nobody would see it. A
 * subscription made afterwards sees only the events published after it. */
gboolean xb_event_wanted(const char *type);
/* Deliver everything queued now; for tests and for shutdown. Returns how many. */
guint xb_event_dispatch_pending(void);

G_END_DECLS
