/* app.h: dialplan applications. An application is a named action a dialplan runs on a
 * channel (answer, bridge, playback, voicemail ...). The core and modules register them in
 * tables; the dialplan engine looks them up by name when it compiles a plan, so a plan that
 * names an unknown application is refused at load, not when a call reaches it. */
#pragma once

#include <glib.h>
#include <crossbar/module.h>
#include <crossbar/channel.h>

G_BEGIN_DECLS

/* Return 0 to go on with the next action, a negative errno to stop the extension. */
typedef int (*XbAppFunc)(XbChannel *channel, const char *data, gpointer user_data);

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
