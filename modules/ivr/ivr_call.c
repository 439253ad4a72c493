/* ivr_call.c: the `ivr MENU` application. It answers the call, takes the channel's events
 * and carries out the steps of ivr_state.c: prompts are played on the leg (a key stops
 * them and starts an entry), keys make entries as ivr_menu_key says, the menu's timers
 * run on the core's clock, and an entry's application runs nested
 * (xb_app_exec_nested), the menu coming round again once it is over. A transfer (a
 * menu-transfer, or an application that hands the call to another extension) takes the
 * caller out of the menus and on in the dialplan; leaving otherwise (menu-exit, giving up)
 * lets the dialplan go on after `ivr`. The call holds the plan it was routed with, and so
 * the menus compiled with it: a reload meanwhile changes nothing for this caller.
 *
 *   phase       event                  what happens
 *   PLAY        prompt over            next prompt, or WAIT (the first-key timer)
 *   PLAY        key                    prompts stop; the key starts an entry: WAIT
 *   WAIT        key                    into the entry; judged, or the inter-digit timer
 *   WAIT        timer                  the entry is judged, or it is a timeout
 *   LEAVE_PLAY  prompt over            next, then exec-on-max-... or leave
 *   APP         application over       the menu comes round (or the caller leaves)
 *   any         hang-up                the application ends */
#include "ivr.h"

#include <errno.h>
#include <string.h>

typedef enum { PHASE_PLAY, PHASE_WAIT, PHASE_LEAVE_PLAY, PHASE_APP } Phase;

typedef struct {
	gint refs;
	XbChannel *ch;    /* reference */
	XbDialplan *plan; /* reference: the menus are the plan's */
	IvrState state;
	IvrStep step;
	guint play_next; /* the next of step.plays to play */
	Phase phase;
	GString *entry; /* the keys of the entry being typed */
	XbTimer *timer;
	gboolean over;    /* finished: it acts no more */
	gboolean hung_up; /* the caller hung up while an application ran for the menu */
} Ivr;

static GHashTable *calls; /* Ivr * -> TRUE: the menus callers are in */

static void step_run(Ivr *ivr);
static void ivr_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data);

static const char *channel_lookup(const char *name, gpointer user_data)
{
	return xb_channel_get_var(user_data, name);
}

static Ivr *ivr_ref(Ivr *ivr)
{
	ivr->refs++;
	return ivr;
}

static void ivr_unref(Ivr *ivr)
{
	if (--ivr->refs > 0)
		return;
	xb_timer_clear(&ivr->timer);
	ivr_state_clear(&ivr->state);
	ivr_step_clear(&ivr->step);
	g_string_free(ivr->entry, TRUE);
	xb_dialplan_unref(ivr->plan);
	xb_channel_unref(ivr->ch);
	g_free(ivr);
}

static const char *menu_name(const Ivr *ivr)
{
	return ivr_state_menu(&ivr->state)->name;
}

static void stop_prompt(Ivr *ivr)
{
	XbMediaEndpoint *ep = xb_channel_media(ivr->ch);

	if (ep && (ivr->phase == PHASE_PLAY || ivr->phase == PHASE_LEAVE_PLAY))
		xb_media_play_stop(ep);
}

/* The menu is over for this call: the dialplan hears `result` when `tell`. */
static void finish(Ivr *ivr, int result, gboolean tell)
{
	g_autoptr(XbChannel) ch = xb_channel_ref(ivr->ch);

	if (ivr->over)
		return;
	ivr->over = TRUE;
	xb_timer_clear(&ivr->timer);
	stop_prompt(ivr);
	/* While an application ran for the menu, the channel was that application's. */
	if (ivr->phase != PHASE_APP)
		xb_channel_set_controller(ch, NULL, NULL);
	if (calls)
		g_hash_table_remove(calls, ivr);
	ivr_unref(ivr);
	if (tell)
		xb_app_done(ch, result);
}

/* The caller leaves the menus; the dialplan goes on after `ivr`. */
static void leave(Ivr *ivr, const char *reason)
{
	xb_channel_set_var(ivr->ch, "ivr_result", reason);
	xb_info("%s: ivr: leaves menu '%s' (%s)", xb_channel_name(ivr->ch), menu_name(ivr), reason);
	finish(ivr, 0, TRUE);
}

static void start_timer(Ivr *ivr, guint ms);

static void plays_over(Ivr *ivr);

static void played(XbMediaEndpoint *ep, const GError *error, gpointer user_data);

/* Plays the step's next prompt; when there is none left, what comes after them. */
static void play_next(Ivr *ivr)
{
	while (ivr->step.plays[ivr->play_next]) {
		const char *file = ivr->step.plays[ivr->play_next++];
		g_autofree char *name = strstr(file, "${")
		                            ? xb_dialplan_expand(file, channel_lookup, ivr->ch)
		                            : g_strdup(file);
		if (*name && xb_channel_play(ivr->ch, name, played, ivr))
			return;
		if (*name)
			xb_info("%s: ivr: %s not played: the call has no audio crossbar can send",
			        xb_channel_name(ivr->ch), name);
	}
	plays_over(ivr);
}

static void played(XbMediaEndpoint *ep, const GError *error, gpointer user_data)
{
	Ivr *ivr = user_data;

	if (error)
		g_warning("%s: ivr: menu '%s': %s", xb_channel_name(ivr->ch), menu_name(ivr),
		          error->message);
	play_next(ivr);
}

static void app_over(Ivr *ivr, int rc);

static void app_done(XbChannel *ch, int result, gpointer user_data)
{
	Ivr *ivr = user_data;

	app_over(ivr, result);
	ivr_unref(ivr); /* the frame's */
}

/* The step's application, nested in `ivr` (its end goes to app_over). */
static void run_app(Ivr *ivr)
{
	g_autofree char *data =
	    xb_dialplan_expand(ivr->step.data ? ivr->step.data : "", channel_lookup, ivr->ch);
	int rc;

	ivr->phase = PHASE_APP;
	xb_info("%s: ivr: menu '%s' runs %s(%s)", xb_channel_name(ivr->ch), menu_name(ivr),
	        ivr->step.app, data);
	ivr_ref(ivr); /* for the frame, until app_done */
	rc = xb_app_exec_nested(ivr->ch, ivr->step.app, data, app_done, ivr);
	if (rc == XB_APP_PENDING)
		return;
	app_over(ivr, rc);
	ivr_unref(ivr);
}

static void app_over(Ivr *ivr, int rc)
{
	XbChannel *ch = ivr->ch;
	gboolean gone = ivr->hung_up || xb_channel_state(ch) >= XB_CHANNEL_HANGING_UP;

	if (ivr->over)
		return;
	if (rc == XB_APP_TRANSFERRED) {
		xb_channel_set_var(ch, "ivr_result", "transfer");
		xb_info("%s: ivr: leaves menu '%s' for %s", xb_channel_name(ch), menu_name(ivr),
		        xb_channel_get_var(ch, "destination_number") ?: "?");
		finish(ivr, 0, TRUE);
		return;
	}
	if (gone || rc == -EXDEV || rc == -ECONNRESET) {
		/* The caller is gone, or the call went elsewhere (the dialplan let go). */
		finish(ivr, rc < 0 ? rc : -ECONNRESET, TRUE);
		return;
	}
	if (rc < 0)
		g_warning("%s: ivr: menu '%s': %s(%s) failed: %s", xb_channel_name(ch),
		          menu_name(ivr), ivr->step.app, ivr->step.data ? ivr->step.data : "",
		          g_strerror(-rc));
	xb_channel_set_controller(ch, ivr_event, ivr);
	if (ivr->step.go == IVR_GO_LEAVE) {
		leave(ivr, ivr->step.reason);
		return;
	}
	ivr_state_resume(&ivr->state, &ivr->step);
	step_run(ivr);
}

static void plays_over(Ivr *ivr)
{
	if (ivr->phase == PHASE_PLAY) {
		ivr->phase = PHASE_WAIT;
		start_timer(ivr, ivr_state_menu(&ivr->state)->timeout_ms);
	} else if (ivr->step.app)
		run_app(ivr);
	else
		leave(ivr, ivr->step.reason);
}

/* Carries out ivr->step. */
static void step_run(Ivr *ivr)
{
	ivr->play_next = 0;
	switch (ivr->step.go) {
	case IVR_GO_COLLECT:
		if (ivr->step.entered) {
			xb_channel_set_var(ivr->ch, "ivr_menu", menu_name(ivr));
			xb_info("%s: ivr: enters menu '%s'", xb_channel_name(ivr->ch),
			        menu_name(ivr));
		}
		ivr->phase = PHASE_PLAY;
		play_next(ivr);
		break;
	case IVR_GO_LEAVE:
		ivr->phase = PHASE_LEAVE_PLAY;
		play_next(ivr);
		break;
	case IVR_GO_EXEC:
	case IVR_GO_TRANSFER:
		run_app(ivr);
		break;
	}
}

/* The entry typed so far is complete. */
static void judge(Ivr *ivr)
{
	g_autofree char *keys = g_strdup(ivr->entry->str);
	const IvrMenu *m = ivr_state_menu(&ivr->state);
	const IvrEntry *e = ivr_menu_match(m, keys, NULL);

	xb_timer_clear(&ivr->timer);
	g_string_truncate(ivr->entry, 0);
	xb_channel_set_var(ivr->ch, "ivr_digits", keys);
	if (e)
		xb_info("%s: ivr: menu '%s': '%s' -> %s%s%s (line %u)", xb_channel_name(ivr->ch),
		        m->name, keys, ivr_action_name(e->action), *e->param ? " " : "", e->param,
		        e->line);
	else
		xb_info("%s: ivr: menu '%s': '%s' is not a valid choice (failure %u of %u)",
		        xb_channel_name(ivr->ch), m->name, keys, ivr->state.failures + 1,
		        m->max_failures);
	ivr_state_entry(&ivr->state, keys, &ivr->step);
	step_run(ivr);
}

static void timer_cb(XbTimer *t, gpointer user_data)
{
	Ivr *ivr = user_data;
	const IvrMenu *m = ivr_state_menu(&ivr->state);

	ivr->timer = NULL;
	if (ivr->entry->len) {
		judge(ivr);
		return;
	}
	xb_info("%s: ivr: menu '%s': no key (timeout %u of %u)", xb_channel_name(ivr->ch), m->name,
	        ivr->state.timeouts + 1, m->max_timeouts);
	ivr_state_timeout(&ivr->state, &ivr->step);
	step_run(ivr);
}

static void start_timer(Ivr *ivr, guint ms)
{
	xb_timer_clear(&ivr->timer);
	ivr->timer = xb_timer_start(NULL, ms, timer_cb, ivr);
}

static void key(Ivr *ivr, char digit)
{
	const IvrMenu *m = ivr_state_menu(&ivr->state);

	if (ivr->phase == PHASE_PLAY) {
		stop_prompt(ivr);
		ivr->phase = PHASE_WAIT;
	}
	if (ivr->phase != PHASE_WAIT)
		return; /* the menu is leaving, or an application has the call */
	if (ivr_menu_key(m, ivr->entry, digit) == IVR_KEY_JUDGE)
		judge(ivr);
	else
		start_timer(ivr, m->inter_digit_ms);
}

static void ivr_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Ivr *ivr = user_data;

	switch (ev->type) {
	case XB_CHANNEL_EV_HANGUP:
		if (ivr->phase == PHASE_APP) {
			ivr->hung_up = TRUE; /* the application's end says what comes next */
			break;
		}
		xb_channel_set_var(ch, "ivr_result", "hangup");
		xb_info("%s: ivr: the caller hung up in menu '%s'", xb_channel_name(ch),
		        menu_name(ivr));
		finish(ivr, -ECONNRESET, TRUE);
		break;
	case XB_CHANNEL_EV_DTMF:
		ivr_ref(ivr);
		key(ivr, ev->digit);
		ivr_unref(ivr);
		break;
	case XB_CHANNEL_EV_REQUEST:
		xb_channel_media_own_request(ch, ev);
		break;
	default:
		break;
	}
}

/* "ivr MENU": the menu of the plan the call was routed with. */
static int app_ivr(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) w = xb_channel_app_words(data);
	XbDialplan *plan;
	const IvrMenus *menus;
	const IvrMenu *top;
	Ivr *ivr;

	if (!w[0] || w[1])
		return -EINVAL;
	plan = xb_app_plan(ch);
	if (!plan)
		plan = xb_dialplan_current();
	menus = plan ? xb_dialplan_section(plan, IVR_SECTION) : NULL;
	top = ivr_menus_find(menus, w[0]);
	if (!top) {
		g_warning("%s: ivr: no menu '%s' in the dialplan%s%s", xb_channel_name(ch), w[0],
		          plan ? " " : "", plan ? xb_dialplan_file(plan) : "");
		xb_dialplan_unref(plan);
		return -ENOENT;
	}
	if (xb_channel_state(ch) < XB_CHANNEL_ANSWERED) {
		int rc = xb_channel_answer(ch);
		if (rc < 0) {
			xb_dialplan_unref(plan);
			return rc;
		}
	}
	ivr = g_new0(Ivr, 1);
	ivr->refs = 1; /* the calls' */
	ivr->ch = xb_channel_ref(ch);
	ivr->plan = plan;
	ivr->entry = g_string_new(NULL);
	ivr_state_init(&ivr->state, menus, top);
	if (!calls)
		calls = g_hash_table_new(NULL, NULL);
	g_hash_table_add(calls, ivr);
	xb_channel_set_controller(ch, ivr_event, ivr);
	ivr_state_start(&ivr->state, &ivr->step);
	ivr_ref(ivr);
	step_run(ivr);
	ivr_unref(ivr);
	return XB_APP_PENDING;
}

const XbApp ivr_apps[] = {
    {"ivr", "MENU", "run an auto-attendant menu of the dialplan's <menus>", app_ivr},
    XB_APPS_END,
};

guint ivr_calls_count(void)
{
	return calls ? g_hash_table_size(calls) : 0;
}

void ivr_calls_stop(void)
{
	g_autoptr(GList) all = calls ? g_hash_table_get_keys(calls) : NULL;

	for (GList *l = all; l; l = l->next) {
		Ivr *ivr = l->data;
		g_autoptr(XbChannel) ch = xb_channel_ref(ivr->ch);
		if (ivr->over)
			continue;
		if (ivr->phase == PHASE_APP) {
			/* The application that runs for the menu ends the call's dialplan when it
			 * is over; the menu is not there to hear it. */
			xb_app_nested_forget(ch, ivr);
			finish(ivr, 0, FALSE);
			ivr_unref(ivr); /* the frame's */
			xb_channel_hangup(ch, XB_CAUSE_NORMAL_CLEARING, 0);
			continue;
		}
		xb_channel_set_controller(ch, NULL, NULL);
		xb_channel_hangup(ch, XB_CAUSE_NORMAL_CLEARING, 0);
		finish(ivr, -ECONNRESET, TRUE);
	}
	g_clear_pointer(&calls, g_hash_table_unref);
}
