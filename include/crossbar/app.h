/* app.h: dialplan applications. An application is a named action a dialplan runs on a
 * channel (answer, bridge, playback, voicemail ...). The core and modules register them in
 * tables; the dialplan engine looks them up by name when it compiles a plan, so a plan that
 * names an unknown application is refused at load, not when a call reaches it. */
#pragma once

#include <glib.h>
#include <crossbar/module.h>
#include <crossbar/channel.h>

G_BEGIN_DECLS

/* Return 0 to go on with the next action, a negative errno to stop the extension, or
 * XB_APP_PENDING when the application lasts (a bridge, a sleep, a prompt): one thread runs
 * every call, so nothing may wait on it. A pending application takes the channel's events
 * (xb_channel_set_controller) and ends with xb_app_done, which resumes the extension; when
 * the channel hangs up meanwhile it still calls xb_app_done (with a negative errno). */
typedef int (*XbAppFunc)(XbChannel *channel, const char *data, gpointer user_data);

#define XB_APP_PENDING 1

/* The pending application on channel is over: 0 goes on with the next action, a negative
 * errno ends the extension (and the call, if it is still up). May be called before the
 * application has returned XB_APP_PENDING. */
void xb_app_done(XbChannel *channel, int result);

typedef struct {
	const char *name;  /* as written in <action application="NAME"> */
	const char *usage; /* what data it takes */
	const char *help;  /* one line */
	XbAppFunc func;
} XbApp;

#define XB_APPS_END                                                                                \
	{                                                                                          \
		NULL, NULL, NULL, NULL                                                             \
	}

gboolean xb_app_register(XbModule *owner, const XbApp *apps, gpointer user_data);
gboolean xb_app_exists(const char *name);
/* Run an application on a channel: -ENOENT when there is none by that name. */
int xb_app_exec(XbChannel *channel, const char *name, const char *data);

G_END_DECLS
