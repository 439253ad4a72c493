/* app.h: dialplan applications. An application is a named action a dialplan runs on a
 * channel (answer, bridge, playback, voicemail ...). The core and modules register them in
 * tables; the dialplan engine looks them up by name when it compiles a plan, so a plan that
 * names an unknown application is refused at load, not when a call reaches it. */
#pragma once

#include <glib.h>
#include <crossbar/module.h>
#include <crossbar/channel.h>
#include <crossbar/dialplan.h>

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

/* ---- applications that run applications ----
 *
 * An application that lasts may run another application of the channel on its behalf, as
 * the dialplan would (a menu entry runs `playback`, `bridge`, `transfer`): the inner one
 * takes the channel's events while it runs, and its end (xb_app_done) is told to the
 * outer one's `done` instead of resuming the dialplan. Inner applications nest: each
 * xb_app_done ends the innermost one that is pending. Only for a channel the dialplan runs
 * (xb_app_plan is not NULL). */

/* xb_app_exec_nested's result, and the result `done` gets, when the inner application
 * handed the channel to another extension of the plan (`transfer`, a bridge that followed
 * a call forward): the dialplan has new actions to run. The outer application ends then
 * with xb_app_done(channel, 0), and the dialplan goes on with them. */
#define XB_APP_TRANSFERRED 2

/* How an inner application ended: as xb_app_done's result (0, a negative errno), or
 * XB_APP_TRANSFERRED. -EXDEV when the dialplan let go of the channel meanwhile (a transfer
 * by the far end took the call elsewhere): the outer application then lets go too (its
 * own xb_app_done is ignored). After `done`, the events are the outer application's
 * again: it sets itself as the controller (xb_channel_set_controller). */
typedef void (*XbAppDoneFunc)(XbChannel *channel, int result, gpointer user_data);

/* Runs application `name` with `data` on the channel for the application that waits with
 * `user_data`. Returns the result of an application that is over at once (0, a negative
 * errno, XB_APP_TRANSFERRED; done is not called), or XB_APP_PENDING: done is told once when
 * it ends. -ENOENT for no such application, -ESRCH when the dialplan does not run the
 * channel. */
int xb_app_exec_nested(XbChannel *channel, const char *name, const char *data, XbAppDoneFunc done,
                       gpointer user_data);
/* The outer application waiting with user_data for the channel's innermost pending inner
 * application is over (its module unloads): `done` will not be called, and the inner
 * application's end, when it comes, counts as the outer one's (the dialplan goes on or the
 * call ends). The outer application does not call xb_app_done itself then. */
void xb_app_nested_forget(XbChannel *channel, gpointer user_data);

/* The dialplan the channel's actions come from (its last hunt, which a reload leaves
 * alone): a new reference, or NULL when the dialplan does not run the channel. */
XbDialplan *xb_app_plan(XbChannel *channel);

gboolean xb_app_register(XbModule *owner, const XbApp *apps, gpointer user_data);
gboolean xb_app_exists(const char *name);
/* Run an application on a channel: -ENOENT when there is none by that name. */
int xb_app_exec(XbChannel *channel, const char *name, const char *data);

G_END_DECLS
