/* originate.c: the `bridge` application: place the B-legs a target list stands for, relay
 * their ringing and early media to the A-leg, and join the first that answers to it.
 *
 * Targets (FreeSWITCH's syntax): "a,b" rings a and b at once (a ring group); "a|b" tries a,
 * then b when a failed (a hunt group, forwarding on busy or no answer); "[leg_timeout=N]a"
 * gives one target its own no-answer timeout. The driver is the one whose prefix starts the
 * target ("sip:", "gateway/", "user/").
 *
 *   group placed ──first 18x──> A rings: 183 with crossbar's own answer and its ringback
 *        │                      tone (ringback.c), or 180 (ringback=none, not anchored);
 *        │                      early media (183 with B's description) in the tone's place
 *        │  ──first 2xx──> the other legs end (LOSE_RACE), A answered, A and B bridged
 *        │  ──all legs failed──> next group, or the bridge fails
 *        │  ──A hangs up──> every leg ends (ORIGINATOR_CANCEL)
 *   bridged ──either hangs up──> the other is hung up, the application ends
 *
 * A "user/EXT" target is the directory's user: an unknown one fails at once
 * (UNALLOCATED_NUMBER, 404) and one with do-not-disturb on as busy (USER_BUSY, 486). When
 * the whole target list is one user, that user's forwarding applies: "always" transfers
 * the call to the forward number (in the user's context) before anything rings, "busy" when
 * the user was busy or on do-not-disturb, "noanswer" when no phone answered or none is
 * registered.
 *
 * When the bridge fails, the A-leg is hung up with the last leg's cause and SIP status (a
 * busy callee stays busy at the caller), unless continue_on_fail is "true" or names that
 * cause: then the next action runs, with originate_disposition telling why. A call's
 * variables: call_timeout (s, no-answer timeout of a group, default 60),
 * max_call_duration (s, after the answer, default 0: none), hangup_after_bridge ("false"
 * lets the dialplan go on after the B-leg hangs up). */
#include "channel_private.h"

#include <errno.h>
#include <string.h>

#define DEFAULT_CALL_TIMEOUT_S 60

typedef struct originate Originate;

typedef struct {
	Originate *o;
	XbChannel *ch; /* reference */
	XbTimer *timeout;
} Leg;

struct originate {
	XbChannel *a;     /* reference */
	char **groups;    /* targets split at '|' */
	guint next_group; /* the group to place after the current one */
	GPtrArray *legs;  /* Leg *, of the current group */
	XbChannel *b;     /* the leg that answered (reference) */
	XbTimer *duration;
	XbCause last_cause;
	unsigned last_status;
	gboolean done;
	char *user;               /* the one user the targets are, for its forwarding, or NULL */
	XbCallFeatures *features; /* that user's */
	char *user_context;
	gboolean ringback;    /* the caller hears crossbar's ringback (ringback.c) */
	gboolean own_early;   /* the caller's early answer is crossbar's own: its 200 repeats it */
	gboolean early_media; /* a leg's early media reaches the caller */
};

static void originate_next_group(Originate *o);
static void a_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data);

static void ringback_stop(Originate *o)
{
	if (o->ringback)
		channel_ringback_stop(o->a);
	o->ringback = FALSE;
}

static void leg_free(gpointer data)
{
	Leg *leg = data;

	xb_timer_clear(&leg->timeout);
	xb_channel_set_controller(leg->ch, NULL, NULL);
	xb_channel_unref(leg->ch);
	g_free(leg);
}

static void originate_free(Originate *o)
{
	g_ptr_array_unref(o->legs);
	g_strfreev(o->groups);
	xb_timer_clear(&o->duration);
	if (o->b)
		xb_channel_unref(o->b);
	xb_channel_unref(o->a);
	g_free(o->user);
	g_free(o->user_context);
	xb_call_features_free(o->features);
	g_free(o);
}

/* The user's forward number for how the call failed, or NULL. */
static const char *forward_for(const Originate *o, XbCause cause)
{
	const char *n = NULL;

	if (!o->features)
		return NULL;
	if (cause == XB_CAUSE_USER_BUSY)
		n = o->features->forward[XB_FORWARD_BUSY];
	else if (cause == XB_CAUSE_NO_ANSWER || cause == XB_CAUSE_NO_USER_RESPONSE ||
	         cause == XB_CAUSE_SUBSCRIBER_ABSENT || cause == XB_CAUSE_RECOVERY_ON_TIMER_EXPIRE)
		n = o->features->forward[XB_FORWARD_NOANSWER];
	return n && *n ? n : NULL;
}

static void originate_forward(Originate *o, const char *number, const char *why)
{
	XbChannel *a = xb_channel_ref(o->a);
	g_autofree char *to = g_strdup(number);
	g_autofree char *context = g_strdup(o->user_context);

	xb_info("%s: %s forwards (%s) to %s", xb_channel_name(a), o->user, why, to);
	ringback_stop(o);
	xb_channel_set_var(a, "forwarded_from", o->user);
	xb_channel_set_controller(a, NULL, NULL);
	o->done = TRUE;
	g_ptr_array_set_size(o->legs, 0);
	originate_free(o);
	/* The executor goes on with the forward number's actions. */
	xb_app_done(a, xb_dialplan_transfer(a, to, context));
	xb_channel_unref(a);
}

static gboolean var_true(const char *v)
{
	return v &&
	       (!g_ascii_strcasecmp(v, "true") || !g_ascii_strcasecmp(v, "yes") || !strcmp(v, "1"));
}

/* continue_on_fail: "true", or a comma list of cause names (FreeSWITCH's form). */
static gboolean continue_on(XbChannel *a, XbCause cause)
{
	const char *v = xb_channel_get_var(a, "continue_on_fail");

	if (!v || !*v)
		return FALSE;
	if (var_true(v))
		return TRUE;
	g_auto(GStrv) names = g_strsplit(v, ",", -1);
	for (guint i = 0; names[i]; i++)
		if (xb_cause_from_name(g_strstrip(names[i])) == cause)
			return TRUE;
	return FALSE;
}

/* The application is over: the executor goes on (0) or the channel is finished (< 0). */
static void originate_finish(Originate *o, int result)
{
	XbChannel *a = xb_channel_ref(o->a);

	ringback_stop(o);
	o->done = TRUE;
	xb_channel_set_controller(a, NULL, NULL);
	g_ptr_array_set_size(o->legs, 0);
	originate_free(o);
	xb_app_done(a, result);
	xb_channel_unref(a);
}

static void originate_failed(Originate *o)
{
	XbCause cause = o->last_cause ? o->last_cause : XB_CAUSE_NO_ROUTE_DESTINATION;
	g_autofree char *status = g_strdup_printf("%u", o->last_status);
	const char *forward = forward_for(o, cause);

	if (forward) {
		originate_forward(o, forward, xb_cause_name(cause));
		return;
	}
	xb_channel_set_var(o->a, "originate_disposition", xb_cause_name(cause));
	xb_channel_set_var(o->a, "last_bridge_hangup_cause", xb_cause_name(cause));
	xb_channel_set_var(o->a, "last_bridge_sip_status", o->last_status ? status : NULL);
	if (continue_on(o->a, cause)) {
		originate_finish(o, 0);
		return;
	}
	xb_channel_set_controller(o->a, NULL, NULL);
	xb_channel_hangup(o->a, cause, o->last_status);
	originate_finish(o, -ECONNRESET);
}

/* ---- once bridged ---- */

static void duration_cb(XbTimer *t, gpointer user_data)
{
	Originate *o = user_data;

	o->duration = NULL;
	xb_info("%s: the maximum call duration passed", xb_channel_name(o->a));
	/* The bridge ends with A, and takes B with A's cause; o is gone after this. */
	xb_channel_hangup(o->a, XB_CAUSE_ALLOTTED_TIMEOUT, 0);
}

static void bridge_done_cb(XbChannel *a, XbChannel *b, gpointer user_data)
{
	Originate *o = user_data;
	gboolean a_gone = xb_channel_state(a) >= XB_CHANNEL_HANGING_UP;

	xb_timer_clear(&o->duration);
	if (a->split) {
		/* A transfer takes both legs elsewhere: the application is over, nobody hangs
		 * up, and the dialplan lets go of the A-leg (transfer.c says where it goes). */
		xb_channel_ref(a);
		o->done = TRUE;
		xb_channel_set_controller(a, NULL, NULL);
		originate_free(o);
		xb_dialplan_exec_release(a);
		xb_channel_unref(a);
		return;
	}
	xb_channel_set_var(a, "last_bridge_hangup_cause", xb_cause_name(xb_channel_cause(b)));
	if (a_gone) {
		/* The caller hung up: the callee's leg goes with it (a BYE from either side ends
		 * both). */
		xb_channel_hangup(b, xb_channel_cause(a), 0);
		originate_finish(o, -ECONNRESET);
		return;
	}
	if (xb_channel_state(b) < XB_CHANNEL_HANGING_UP)
		xb_channel_hangup(b, XB_CAUSE_NORMAL_CLEARING, 0);
	if (!g_strcmp0(xb_channel_get_var(a, "hangup_after_bridge"), "false")) {
		originate_finish(o, 0);
		return;
	}
	xb_channel_hangup(a, XB_CAUSE_NORMAL_CLEARING, 0);
	originate_finish(o, -ECONNRESET);
}

static void reoffered_cb(XbChannel *ch, unsigned status, const XbChannelBody *body,
                         gpointer user_data)
{
	if (status >= 200 && status < 300 && body)
		xb_channel_set_remote_body(ch, body);
	else if (status >= 300)
		xb_info("%s: the re-offer of the new partner's media got %u", xb_channel_name(ch),
		        status);
}

static void originate_won(Originate *o, Leg *winner)
{
	XbChannel *a = o->a;
	const XbChannelBody *body = xb_channel_remote_body(winner->ch);
	gboolean was_answered = xb_channel_state(a) >= XB_CHANNEL_ANSWERED;
	gint64 max_s;

	o->b = xb_channel_ref(winner->ch);
	/* The others lost the race: each is cancelled. */
	for (guint i = 0; i < o->legs->len; i++) {
		Leg *leg = o->legs->pdata[i];
		if (leg != winner) {
			xb_channel_set_controller(leg->ch, NULL, NULL);
			xb_channel_hangup(leg->ch, XB_CAUSE_LOSE_RACE, 0);
		}
	}
	g_ptr_array_set_size(o->legs, 0);
	ringback_stop(o);
	if (body) {
		/* (after crossbar's own early answer, the 200 repeats it) */
		XbChannelBody *answer = xb_channel_media_pass(o->b, a, body);
		if (!o->own_early)
			xb_channel_set_local_body(a, answer);
		xb_channel_body_free(answer);
	}
	if (xb_channel_answer(a) < 0) {
		/* a's hang-up must not reach a_event, which would finish o a second time. */
		xb_channel_set_controller(a, NULL, NULL);
		xb_channel_hangup(o->b, XB_CAUSE_NORMAL_TEMPORARY_FAILURE, 0);
		xb_channel_hangup(a, XB_CAUSE_NORMAL_TEMPORARY_FAILURE, 0);
		originate_finish(o, -ECONNRESET);
		return;
	}
	xb_channel_set_var(a, "originate_disposition", "SUCCESS");
	xb_channel_bridge(a, o->b, bridge_done_cb, o);
	/* A call answered before (a transferred one) learns its new partner's media by a
	 * re-offer, as long as media goes end to end; anchored, its endpoint stays where it
	 * sends, now joined to the new partner's. */
	if (was_answered && body && !xb_channel_media_anchored(a, o->b) &&
	    xb_channel_request(a, XB_CHANNEL_REQ_REOFFER, body, reoffered_cb, NULL) < 0)
		xb_info("%s: no re-offer of the new partner's media", xb_channel_name(a));
	max_s = g_ascii_strtoll(xb_channel_get_var(a, "max_call_duration") ?: "0", NULL, 10);
	if (max_s > 0)
		o->duration = xb_timer_start(NULL, max_s * 1000, duration_cb, o);
}

/* ---- the legs ringing ---- */

static void leg_remove(Originate *o, Leg *leg)
{
	g_ptr_array_remove(o->legs, leg);
	if (o->legs->len == 0 && !o->b)
		originate_next_group(o);
}

static void leg_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Leg *leg = user_data;
	Originate *o = leg->o;

	switch (ev->type) {
	case XB_CHANNEL_EV_PROGRESS:
		if (xb_channel_state(o->a) >= XB_CHANNEL_ANSWERED)
			break;
		if (ev->body) {
			/* The leg's early media in place of crossbar's ringback; after crossbar's
			 * own early answer, through the answer the caller has. */
			XbChannelBody *early = xb_channel_media_pass(ch, o->a, ev->body);
			ringback_stop(o);
			o->early_media = TRUE;
			if (!o->own_early) {
				xb_channel_set_local_body(o->a, early);
				xb_channel_pre_answer(o->a);
			}
			xb_channel_body_free(early);
		} else if (!o->ringback && !o->early_media) {
			gboolean was_early = xb_channel_state(o->a) >= XB_CHANNEL_EARLY;
			o->ringback = channel_ringback_start(o->a);
			o->own_early |= o->ringback && !was_early;
			if (!o->ringback && xb_channel_state(o->a) < XB_CHANNEL_RINGING)
				xb_channel_ring(o->a);
		}
		break;
	case XB_CHANNEL_EV_ANSWERED:
		xb_timer_clear(&leg->timeout);
		originate_won(o, leg);
		break;
	case XB_CHANNEL_EV_HANGUP:
		o->last_cause = xb_channel_cause(ch);
		o->last_status = xb_channel_sip_status(ch);
		leg_remove(o, leg);
		break;
	case XB_CHANNEL_EV_REQUEST:
		/* Before the answer nothing is bridged: a request on a ringing leg is its own. */
		xb_channel_request_reply(ch, ev->request,
		                         ev->kind == XB_CHANNEL_REQ_REOFFER ? 488 : 200, NULL);
		break;
	case XB_CHANNEL_EV_DTMF:
		break;
	}
}

static void leg_timeout_cb(XbTimer *t, gpointer user_data)
{
	Leg *leg = user_data;

	leg->timeout = NULL;
	xb_channel_hangup(leg->ch, XB_CAUSE_NO_ANSWER, 0);
}

/* "[leg_timeout=20]sip:..." -> the target, and its timeout in seconds (or dflt). */
static const char *target_options(const char *target, gint64 *timeout_s)
{
	if (*target != '[')
		return target;
	const char *end = strchr(target, ']');
	if (!end)
		return target;
	g_autofree char *opts = g_strndup(target + 1, end - target - 1);
	g_auto(GStrv) pairs = g_strsplit(opts, ",", -1);
	for (guint i = 0; pairs[i]; i++) {
		char *eq = strchr(pairs[i], '=');
		if (eq && !strncmp(pairs[i], "leg_timeout", eq - pairs[i]))
			*timeout_s = g_ascii_strtoll(eq + 1, NULL, 10);
	}
	return end + 1;
}

static void place_target(Originate *o, const char *spec, gint64 group_timeout_s)
{
	gint64 timeout_s = group_timeout_s;
	g_autofree char *trimmed = g_strstrip(g_strdup(spec));
	const char *target = target_options(trimmed, &timeout_s);
	const XbChannelDriver *driver = xb_channel_driver_for(target);
	g_autoptr(GPtrArray) legs = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	const char *mf = xb_channel_get_var(o->a, "max_forwards");
	guint64 max_forwards = mf ? g_ascii_strtoull(mf, NULL, 10) : 70;
	XbOriginate params = {
	    .origin = o->a,
	    .caller_id_number = xb_channel_get_var(o->a, "effective_caller_id_number")
	                            ?: xb_channel_get_var(o->a, "caller_id_number"),
	    .caller_id_name = xb_channel_get_var(o->a, "effective_caller_id_name")
	                          ?: xb_channel_get_var(o->a, "caller_id_name"),
	    .offer = xb_channel_remote_body(o->a),
	    .max_forwards = (guint)MIN(max_forwards, 70),
	};

	if (!*target)
		return;
	if (!driver) {
		xb_info("%s: bridge: no channel driver places '%s'", xb_channel_name(o->a), target);
		o->last_cause = XB_CAUSE_NO_ROUTE_DESTINATION;
		o->last_status = 0;
		return;
	}
	if (g_str_has_prefix(target, "user/")) {
		g_autoptr(XbCallFeatures) f = xb_directory_features(target + 5);
		if (!f) {
			o->last_cause = XB_CAUSE_UNALLOCATED_NUMBER;
			o->last_status = 404;
			return;
		}
		if (f->dnd) {
			xb_info("%s: %s is on do-not-disturb", xb_channel_name(o->a), target + 5);
			o->last_cause = XB_CAUSE_USER_BUSY;
			o->last_status = 486;
			return;
		}
	}
	if (max_forwards == 0) {
		/* The call has crossed too many hops (a loop): RFC 3261 §16.3 item 2. */
		o->last_cause = XB_CAUSE_EXCHANGE_ROUTING_ERROR;
		o->last_status = 483;
		return;
	}
	/* The legs of one target (a user's phones) share one media endpoint until one answers. */
	g_autoptr(XbMediaEndpoint) offer_ep = NULL;
	XbChannelBody *offer = xb_channel_media_offer(o->a, params.offer, &offer_ep);
	params.offer = offer;
	gboolean placed = driver->originate(target, &params, legs, &error);
	xb_channel_body_free(offer);
	if (!placed) {
		xb_info("%s: bridge to %s: %s", xb_channel_name(o->a), target,
		        error ? error->message : "failed");
		o->last_cause = error ? (XbCause)error->code : XB_CAUSE_NORMAL_TEMPORARY_FAILURE;
		o->last_status = 0;
		return;
	}
	for (guint i = 0; i < legs->len; i++) {
		Leg *leg = g_new0(Leg, 1);
		leg->o = o;
		leg->ch = legs->pdata[i]; /* the driver's reference is ours */
		xb_channel_media_attach(leg->ch, offer_ep);
		/* A placed leg routed again (transferred) places legs for its call's A-leg. */
		xb_channel_set_var(leg->ch, "originator_uuid",
		                   xb_channel_get_var(o->a, "originator_uuid")
		                       ?: xb_channel_uuid(o->a));
		xb_channel_set_controller(leg->ch, leg_event, leg);
		if (timeout_s > 0)
			leg->timeout = xb_timer_start(NULL, timeout_s * 1000, leg_timeout_cb, leg);
		g_ptr_array_add(o->legs, leg);
	}
}

static void originate_next_group(Originate *o)
{
	const char *t = xb_channel_get_var(o->a, "call_timeout");
	gint64 timeout_s = t ? g_ascii_strtoll(t, NULL, 10) : DEFAULT_CALL_TIMEOUT_S;

	if (o->done)
		return;
	while (o->legs->len == 0 && o->groups[o->next_group]) {
		g_auto(GStrv) targets = g_strsplit(o->groups[o->next_group++], ",", -1);
		for (guint i = 0; targets[i]; i++)
			place_target(o, targets[i], timeout_s);
	}
	if (o->legs->len == 0)
		originate_failed(o);
}

/* The A-leg's events while its legs ring. */
static void a_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Originate *o = user_data;

	switch (ev->type) {
	case XB_CHANNEL_EV_HANGUP:
		/* A CANCEL (or BYE) from the caller: every leg is cancelled. */
		for (guint i = 0; i < o->legs->len; i++) {
			Leg *leg = o->legs->pdata[i];
			xb_channel_set_controller(leg->ch, NULL, NULL);
			xb_channel_hangup(leg->ch, XB_CAUSE_ORIGINATOR_CANCEL, 0);
		}
		originate_finish(o, -ECONNRESET);
		break;
	case XB_CHANNEL_EV_REQUEST:
		xb_channel_request_reply(ch, ev->request,
		                         ev->kind == XB_CHANNEL_REQ_REOFFER ? 491 : 200, NULL);
		break;
	default:
		break;
	}
}

/* When the targets are one user ("user/1005", options aside), keep its features. */
static gboolean one_user(Originate *o, const char *data)
{
	gint64 ignored;
	g_autofree char *trimmed = g_strstrip(g_strdup(data));
	const char *target = target_options(trimmed, &ignored);
	g_autoptr(XbDirUser) user = NULL;

	if (!g_str_has_prefix(target, "user/") || strpbrk(target, ",|"))
		return FALSE;
	user = xb_directory_lookup(target + 5);
	o->features = user ? xb_directory_features(target + 5) : NULL;
	if (!o->features)
		return FALSE;
	o->user = g_strdup(target + 5);
	o->user_context = g_strdup(*user->context ? user->context : "default");
	return TRUE;
}

static int app_bridge(XbChannel *a, const char *data, gpointer user_data)
{
	Originate *o;

	if (!data || !*data)
		return -EINVAL;
	if (xb_channel_state(a) >= XB_CHANNEL_HANGING_UP)
		return -ESHUTDOWN;
	o = g_new0(Originate, 1);
	o->a = xb_channel_ref(a);
	o->groups = g_strsplit(data, "|", -1);
	o->legs = g_ptr_array_new_with_free_func(leg_free);
	xb_channel_set_controller(a, a_event, o);
	if (one_user(o, data)) {
		const char *always = o->features->forward[XB_FORWARD_ALWAYS];
		if (*always) {
			originate_forward(o, always, "always");
			return XB_APP_PENDING; /* xb_app_done was called already */
		}
	}
	originate_next_group(o);
	return XB_APP_PENDING;
}

static const XbApp channel_apps[] = {
    {"bridge", "TARGET[,TARGET...][|TARGET...]",
     "call targets (at once: ',', in turn: '|') and join the first that answers", app_bridge},
    XB_APPS_END,
};

void xb_channel_apps_register(void)
{
	xb_app_register(NULL, channel_apps, NULL);
}
