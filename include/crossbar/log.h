/* log.h: logging. Every module logs through GLib's structured logging under its own domain
 * ("crossbar-sip", "crossbar-turn" ...): define XB_LOG_DOMAIN before including crossbar.h,
 * or let the build define G_LOG_DOMAIN. The core's writer prints one line per message to
 * stderr with a timestamp, the level and the domain, filtered by core.log_level. */
#pragma once

#include <glib.h>

#define xb_error(...)   g_log(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, __VA_ARGS__)
#define xb_warning(...) g_log(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, __VA_ARGS__)
#define xb_notice(...)  g_log(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, __VA_ARGS__)
#define xb_info(...)    g_log(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, __VA_ARGS__)
#define xb_debug(...)   g_log(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, __VA_ARGS__)

typedef enum {
	XB_LOG_ERROR = 0,
	XB_LOG_WARNING,
	XB_LOG_NOTICE,
	XB_LOG_INFO,
	XB_LOG_DEBUG,
} XbLogLevel;

/* Parse "error", "warning", "notice", "info" or "debug"; FALSE for anything else. */
gboolean xb_log_level_parse(const char *text, XbLogLevel *out);
void xb_log_set_level(XbLogLevel level);
XbLogLevel xb_log_get_level(void);
/* Install the core's writer. Called by the daemon; tests may call it too. */
void xb_log_init(void);
