/* exec.c: running a call's dialplan. A new incoming channel is hunted in its context on the
 * live plan (xb_dialplan_current) and its actions run one after the other on the main loop.
 * An application that lasts returns XB_APP_PENDING and calls xb_app_done when it is over;
 * the executor then goes on from the next action, so no call ever holds the loop. The hunt
 * holds the plan it was made on: a reload meanwhile changes nothing for calls in progress.
 *
 * When the actions run out the call is hung up (NORMAL_CLEARING); when no extension matched
 * it is refused with NO_ROUTE_DESTINATION (404). `transfer` hunts again for another number,
 * at most MAX_TRANSFERS times per call (a plan that transfers in a circle ends the call with
 * EXCHANGE_ROUTING_ERROR instead of spinning).
 *
 * An application may run others on its call (xb_app_exec_nested: a menu's entries): each
 * inner application pending is a frame on the call's stack, and xb_app_done ends the
 * innermost one, telling the application that waits for it instead of going on with the
 * plan. A frame remembers how many hunts the call had when it started, so an inner
 * application that moved the call to another extension (a transfer, a bridge that
 * followed a forward) ends with XB_APP_TRANSFERRED, and the outer one lets the plan go on
 * there. */
#include "dialplan_private.h"

#include <crossbar/channel.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRANSFERS 16

/* An application run by another (xb_app_exec_nested), pending or about to be. */
typedef struct {
	XbAppDoneFunc done; /* NULL: the outer application is gone (xb_app_nested_forget) */
	gpointer user_data;
	guint hunts;      /* the executor's hunts when it started */
	gboolean running; /* inside the application's function */
	gboolean done_early;
	int early_result;
} Frame;

typedef struct {
	XbChannel *ch; /* reference */
	XbDialplanResult *result;
	guint hunts;       /* how many hunts made `result`: a transfer makes one more */
	GPtrArray *frames; /* Frame *: the inner applications pending, innermost last */
	guint next;
	guint transfers;
	gboolean running; /* inside an application's function */
	gboolean pending; /* an application returned XB_APP_PENDING and is not done */
	gboolean done_early;
	int done_result;
	XbCause end_with; /* once the running application is done, end the call so */
} Exec;

static GHashTable *execs; /* XbChannel * -> Exec * */

static void exec_run(Exec *ex);

static const char *channel_lookup(const char *name, gpointer user_data)
{
	return xb_channel_get_var(user_data, name);
}

static void exec_free(Exec *ex)
{
	g_clear_pointer(&ex->frames, g_ptr_array_unref);
	g_clear_pointer(&ex->result, xb_dialplan_result_free);
	xb_channel_unref(ex->ch);
	g_free(ex);
}

static void exec_finish(Exec *ex, XbCause cause)
{
	XbChannel *ch = ex->ch;

	if (xb_channel_state(ch) < XB_CHANNEL_HANGING_UP) {
		xb_channel_set_controller(ch, NULL, NULL);
		xb_channel_hangup(ch, cause, 0);
	}
	g_hash_table_remove(execs, ch);
	exec_free(ex);
}

/* Events while no application holds the channel. */
static void exec_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	if (ev->type != XB_CHANNEL_EV_REQUEST)
		return;
	const XbChannelBody *local = xb_channel_local_body(ch);
	if (ev->kind == XB_CHANNEL_REQ_REOFFER)
		xb_channel_request_reply(ch, ev->request, local ? 200 : 488, local);
	else
		xb_channel_request_reply(ch, ev->request, 200, NULL);
}

/* A new hunt of the channel's destination_number in its context. FALSE when there is no
 * plan or no such context (the call is refused). */
static gboolean exec_hunt(Exec *ex)
{
	g_autoptr(XbDialplan) plan = xb_dialplan_current();
	g_autoptr(GError) error = NULL;
	const char *context = xb_channel_get_var(ex->ch, "context");
	XbDialplanResult *r;
	GHashTableIter it;
	gpointer k, v;

	if (!context || !*context) {
		context = "default";
		xb_channel_set_var(ex->ch, "context", context);
	}
	if (!plan) {
		g_warning("%s: no dialplan is loaded: the call is refused",
		          xb_channel_name(ex->ch));
		return FALSE;
	}
	/* now: the hunt takes the time in the plan's zone (a local GDateTime would look the
	 * local zone up again, a readlink and two stats per call). */
	r = xb_dialplan_hunt(plan, context, channel_lookup, ex->ch, NULL, &error);
	if (!r) {
		g_warning("%s: %s", xb_channel_name(ex->ch), error->message);
		return FALSE;
	}
	g_hash_table_iter_init(&it, r->variables);
	while (g_hash_table_iter_next(&it, &k, &v))
		xb_channel_set_var(ex->ch, k, v);
	g_clear_pointer(&ex->result, xb_dialplan_result_free);
	ex->result = r;
	ex->hunts++;
	ex->next = 0;
	xb_info("%s: %s from %s to %s in context %s: %u action(s)", xb_channel_name(ex->ch),
	        r->matched->len ? "routing" : "no extension for",
	        xb_channel_get_var(ex->ch, "caller_id_number") ?: "?",
	        xb_channel_get_var(ex->ch, "destination_number") ?: "?", context, r->actions->len);
	return TRUE;
}

void xb_dialplan_exec_route(XbChannel *ch)
{
	Exec *ex = g_new0(Exec, 1);

	if (!execs)
		execs = g_hash_table_new(NULL, NULL);
	ex->ch = xb_channel_ref(ch);
	ex->frames = g_ptr_array_new_with_free_func(g_free);
	g_hash_table_insert(execs, ch, ex);
	xb_channel_set_controller(ch, exec_event, ex);
	if (!exec_hunt(ex)) {
		exec_finish(ex, XB_CAUSE_NO_ROUTE_DESTINATION);
		return;
	}
	if (ex->result->actions->len == 0) {
		exec_finish(ex, XB_CAUSE_NO_ROUTE_DESTINATION);
		return;
	}
	exec_run(ex);
}

void xb_dialplan_exec_release(XbChannel *ch)
{
	Exec *ex = execs ? g_hash_table_lookup(execs, ch) : NULL;

	if (!ex)
		return;
	/* Applications never transfer their own channel from inside their function. */
	g_return_if_fail(!ex->running);
	g_hash_table_remove(execs, ch);
	g_autoptr(GPtrArray) frames = g_steal_pointer(&ex->frames);
	exec_free(ex);
	/* The applications waiting for inner ones let go too, innermost first. */
	for (guint i = frames->len; i-- > 0;) {
		Frame *f = frames->pdata[i];
		if (f->done && !f->running)
			f->done(ch, -EXDEV, f->user_data);
	}
}

static void exec_run(Exec *ex)
{
	XbChannel *ch = ex->ch;

	if (ex->end_with) {
		exec_finish(ex, ex->end_with);
		return;
	}
	while (ex->next < ex->result->actions->len) {
		const XbDialplanAction *act = ex->result->actions->pdata[ex->next++];
		int rc;

		if (xb_channel_state(ch) >= XB_CHANNEL_HANGING_UP) {
			exec_finish(ex, XB_CAUSE_NORMAL_CLEARING);
			return;
		}
		if (act->ran_inline)
			continue;
		g_autofree char *data =
		    xb_dialplan_expand(act->data ? act->data : "", channel_lookup, ch);
		if (!xb_app_exists(act->application)) {
			/* The caller cannot get what the plan promised (a mailbox, a menu): the
			 * call ends with a cause that says so, rather than running on without it.
			 */
			const char *by = xb_dialplan_app_provider(act->application);
			g_warning("%s: %s:%u: application '%s' is not available%s%s%s; call ended "
			          "(SERVICE_NOT_IMPLEMENTED)",
			          xb_channel_name(ch), xb_dialplan_file(ex->result->plan),
			          act->line, act->application, by ? " (it comes with " : "",
			          by ? by : "", by ? ", not loaded)" : "");
			xb_channel_set_var(ch, "unavailable_application", act->application);
			/* A caller already answered hears so before the call ends. */
			if (xb_channel_state(ch) >= XB_CHANNEL_EARLY && xb_app_exists("playback")) {
				ex->end_with = XB_CAUSE_SERVICE_NOT_IMPLEMENTED;
				ex->running = TRUE;
				ex->done_early = FALSE;
				rc = xb_app_exec(ch, "playback", "not-available");
				ex->running = FALSE;
				if (rc == XB_APP_PENDING && !ex->done_early) {
					ex->pending = TRUE;
					return;
				}
			}
			exec_finish(ex, XB_CAUSE_SERVICE_NOT_IMPLEMENTED);
			return;
		}
		xb_debug("%s: execute %s(%s)", xb_channel_name(ch), act->application, data);
		ex->running = TRUE;
		ex->done_early = FALSE;
		rc = xb_app_exec(ch, act->application, data);
		ex->running = FALSE;
		if (rc == XB_APP_PENDING && ex->done_early)
			rc = ex->done_result;
		if (rc == XB_APP_PENDING) {
			ex->pending = TRUE;
			return; /* xb_app_done goes on */
		}
		if (rc < 0) {
			if (rc != -ECONNRESET && xb_channel_state(ch) < XB_CHANNEL_HANGING_UP)
				xb_info("%s: %s(%s) failed: %s", xb_channel_name(ch),
				        act->application, data, g_strerror(-rc));
			exec_finish(ex, XB_CAUSE_NORMAL_TEMPORARY_FAILURE);
			return;
		}
		if (!g_hash_table_contains(execs, ch) || g_hash_table_lookup(execs, ch) != ex)
			return; /* the application finished the call's execution (hangup) */
	}
	exec_finish(ex, XB_CAUSE_NORMAL_CLEARING);
}

void xb_app_done(XbChannel *ch, int result)
{
	Exec *ex = execs ? g_hash_table_lookup(execs, ch) : NULL;

	if (!ex)
		return;
	if (ex->frames->len) {
		/* The innermost inner application is over: its outer one hears of it. */
		Frame *f = ex->frames->pdata[ex->frames->len - 1];
		if (f->running) {
			f->done_early = TRUE;
			f->early_result = result;
			return;
		}
		f = g_ptr_array_steal_index(ex->frames, ex->frames->len - 1);
		if (result >= 0 && ex->hunts != f->hunts)
			result = XB_APP_TRANSFERRED;
		XbAppDoneFunc done = f->done;
		gpointer user_data = f->user_data;
		g_free(f);
		if (done)
			done(ch, result, user_data);
		else /* the outer one is gone: this ends it */
			xb_app_done(ch, result == XB_APP_TRANSFERRED ? 0 : result);
		return;
	}
	if (ex->running) {
		ex->done_early = TRUE;
		ex->done_result = result;
		return;
	}
	if (!ex->pending)
		return;
	ex->pending = FALSE;
	xb_channel_set_controller(ch, exec_event, ex);
	if (result < 0) {
		exec_finish(ex, XB_CAUSE_NORMAL_CLEARING);
		return;
	}
	exec_run(ex);
}

int xb_app_exec_nested(XbChannel *ch, const char *name, const char *data, XbAppDoneFunc done,
                       gpointer user_data)
{
	Exec *ex = execs ? g_hash_table_lookup(execs, ch) : NULL;
	Frame *f;
	int rc;

	g_return_val_if_fail(done != NULL, -EINVAL);
	if (!ex)
		return -ESRCH;
	if (!xb_app_exists(name))
		return -ENOENT;
	f = g_new0(Frame, 1);
	f->done = done;
	f->user_data = user_data;
	f->hunts = ex->hunts;
	f->running = TRUE;
	g_ptr_array_add(ex->frames, f);
	xb_debug("%s: execute %s(%s) for an application", xb_channel_name(ch), name, data);
	rc = xb_app_exec(ch, name, data);
	f->running = FALSE;
	if (rc == XB_APP_PENDING && f->done_early)
		rc = f->early_result;
	if (rc == XB_APP_PENDING)
		return rc;
	if (rc >= 0 && ex->hunts != f->hunts)
		rc = XB_APP_TRANSFERRED;
	g_ptr_array_remove(ex->frames, f); /* (frees it) */
	return rc;
}

void xb_app_nested_forget(XbChannel *ch, gpointer user_data)
{
	Exec *ex = execs ? g_hash_table_lookup(execs, ch) : NULL;

	for (guint i = ex ? ex->frames->len : 0; i-- > 0;) {
		Frame *f = ex->frames->pdata[i];
		if (f->done && f->user_data == user_data) {
			f->done = NULL;
			return;
		}
	}
}

XbDialplan *xb_app_plan(XbChannel *ch)
{
	Exec *ex = execs ? g_hash_table_lookup(execs, ch) : NULL;

	return ex && ex->result ? xb_dialplan_ref(ex->result->plan) : NULL;
}

/* ---- the applications that act on a call's signalling and its extension ---- */

static int app_answer(XbChannel *ch, const char *data, gpointer user_data)
{
	return xb_channel_answer(ch);
}

static int app_pre_answer(XbChannel *ch, const char *data, gpointer user_data)
{
	return xb_channel_pre_answer(ch);
}

static int app_ring_ready(XbChannel *ch, const char *data, gpointer user_data)
{
	return xb_channel_ring(ch);
}

/* "hangup [CAUSE]": a Q.850 cause name or number; NORMAL_CLEARING without one. */
static int app_hangup(XbChannel *ch, const char *data, gpointer user_data)
{
	XbCause cause = *data ? xb_cause_from_name(data) : XB_CAUSE_NORMAL_CLEARING;

	if (!cause) {
		g_warning("%s: hangup: unknown cause '%s'; NORMAL_CLEARING", xb_channel_name(ch),
		          data);
		cause = XB_CAUSE_NORMAL_CLEARING;
	}
	xb_channel_hangup(ch, cause, 0);
	return -ECONNRESET;
}

int xb_dialplan_transfer(XbChannel *ch, const char *number, const char *context)
{
	Exec *ex = execs ? g_hash_table_lookup(execs, ch) : NULL;

	if (!ex || !number || !*number)
		return -EINVAL;
	if (++ex->transfers > MAX_TRANSFERS) {
		g_warning("%s: more than %d transfers: a loop in the dialplan? The call ends",
		          xb_channel_name(ch), MAX_TRANSFERS);
		xb_channel_hangup(ch, XB_CAUSE_EXCHANGE_ROUTING_ERROR, 0);
		return -ECONNRESET;
	}
	xb_channel_set_var(ch, "destination_number", number);
	if (context && *context)
		xb_channel_set_var(ch, "context", context);
	if (!exec_hunt(ex) || ex->result->actions->len == 0) {
		xb_channel_hangup(ch, XB_CAUSE_NO_ROUTE_DESTINATION, 0);
		return -ECONNRESET;
	}
	return 0; /* exec_run goes on with the new list from its start */
}

/* "transfer NUMBER [XML [CONTEXT]]" (FreeSWITCH's form; "XML" is the only dialplan kind). */
static int app_transfer(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) words = g_strsplit_set(data, " \t", -1);
	const char *number = NULL, *context = NULL;

	for (guint i = 0; words[i]; i++) {
		if (!*words[i])
			continue;
		if (!number)
			number = words[i];
		else if (!g_ascii_strcasecmp(words[i], "XML") && !context)
			continue;
		else if (!context)
			context = words[i];
	}
	return xb_dialplan_transfer(ch, number, context);
}

typedef struct {
	XbChannel *ch;
	XbTimer *timer;
} Sleep;

static void sleep_over(Sleep *s, int result)
{
	XbChannel *ch = s->ch;

	xb_timer_clear(&s->timer);
	xb_channel_set_controller(ch, NULL, NULL);
	g_free(s);
	xb_app_done(ch, result);
	xb_channel_unref(ch);
}

static void sleep_cb(XbTimer *t, gpointer user_data)
{
	Sleep *s = user_data;

	s->timer = NULL;
	sleep_over(s, 0);
}

static void sleep_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	if (ev->type == XB_CHANNEL_EV_HANGUP)
		sleep_over(user_data, -ECONNRESET);
	else
		exec_event(ch, ev, NULL);
}

/* "sleep MILLISECONDS": the call waits on a timer, never on the loop. */
static int app_sleep(XbChannel *ch, const char *data, gpointer user_data)
{
	char *end;
	gint64 ms = g_ascii_strtoll(data, &end, 10);
	Sleep *s;

	if (end == data || *end || ms < 0)
		return -EINVAL;
	if (ms == 0)
		return 0;
	s = g_new0(Sleep, 1);
	s->ch = xb_channel_ref(ch);
	xb_channel_set_controller(ch, sleep_event, s);
	s->timer = xb_timer_start(NULL, ms, sleep_cb, s);
	return XB_APP_PENDING;
}

static const XbApp exec_apps[] = {
    {"answer", "", "answer the call", app_answer},
    {"pre_answer", "", "send early media (183) without answering", app_pre_answer},
    {"ring_ready", "", "tell the caller it rings (180)", app_ring_ready},
    {"hangup", "[CAUSE]", "end the call (Q.850 cause name)", app_hangup},
    {"transfer", "NUMBER [XML CONTEXT]", "hunt the dialplan again for another number",
     app_transfer},
    {"sleep", "MILLISECONDS", "pause the call's dialplan", app_sleep},
    XB_APPS_END,
};

void xb_dialplan_exec_register(void)
{
	xb_app_register(NULL, exec_apps, NULL);
}

guint xb_dialplan_exec_count(void)
{
	return execs ? g_hash_table_size(execs) : 0;
}
