/* read.c: collecting digits. `read` and `play_and_get_digits` play a prompt, stop it at the
 * first digit, and collect the caller's DTMF (RFC 4733 in the media or SIP INFO, as the
 * channel reports them) until a terminator, the most digits, the inter-digit timeout after
 * a digit or the first-digit timeout after the prompt. An entry that is too short or does
 * not match the regular expression is a failed try: the invalid prompt plays and the prompt
 * again, up to `tries` times. The variable is set to the digits, or emptied on failure, and
 * read_result says success, timeout (nothing typed) or failure; the plan goes on.
 *
 *   state     event                   action                          next
 *   PROMPT    prompt ended            start the first-digit timer     COLLECT
 *   PROMPT    digit                   stop the prompt; take it        COLLECT
 *   COLLECT   digit                   take it; inter-digit timer      COLLECT (or try over)
 *   COLLECT   terminator, timer, max  judge the try                   done, or INVALID
 *   INVALID   prompt ended            play the prompt again           PROMPT
 *   INVALID   digit                   stop the prompt; new try, take  COLLECT */
#include "channel_private.h"
#include "../media/media_private.h"

#include <errno.h>
#include <string.h>

#define MAX_DIGITS 128

typedef enum { PHASE_PROMPT, PHASE_COLLECT, PHASE_INVALID } Phase;

typedef struct {
	XbChannel *ch; /* reference */
	guint min, max, tries;
	guint timeout_ms, digit_timeout_ms;
	char *terminators;
	char *prompt, *invalid; /* files, or NULL for none */
	char *var;
	GRegex *regex;
	GString *digits;
	guint try;
	gboolean typed; /* a digit came in some try */
	Phase phase;
	XbTimer *timer;
	const char *encoding;
	guint pt;
	gboolean can_play;
} Collect;

static void collect_free(Collect *c)
{
	xb_timer_clear(&c->timer);
	if (c->ch)
		xb_channel_unref(c->ch);
	g_free(c->terminators);
	g_free(c->prompt);
	g_free(c->invalid);
	g_free(c->var);
	if (c->regex)
		g_regex_unref(c->regex);
	if (c->digits)
		g_string_free(c->digits, TRUE);
	g_free(c);
}

static void collect_end(Collect *c, const char *digits, const char *result)
{
	g_autoptr(XbChannel) ch = xb_channel_ref(c->ch);

	xb_timer_clear(&c->timer);
	if (ch->media)
		xb_media_play_stop(ch->media);
	xb_channel_set_var(ch, c->var, digits);
	xb_channel_set_var(ch, "read_result", result);
	xb_info("%s: read %s: '%s' (%s)", xb_channel_name(ch), c->var, digits, result);
	xb_channel_set_controller(ch, NULL, NULL);
	collect_free(c);
	xb_app_done(ch, 0);
}

static void timer_cb(XbTimer *t, gpointer user_data);
static void try_start(Collect *c);

static void timer_set(Collect *c, guint ms)
{
	xb_timer_clear(&c->timer);
	c->timer = xb_timer_start(NULL, ms, timer_cb, c);
}

/* Plays `file` (none: as if it had been played at once). */
static void play(Collect *c, const char *file, XbMediaPlayFunc done)
{
	if (file && c->can_play && c->ch->media)
		xb_media_play(c->ch->media, file, c->encoding, c->pt, done, c);
	else
		done(NULL, NULL, c);
}

static void invalid_played(XbMediaEndpoint *ep, const GError *error, gpointer user_data)
{
	Collect *c = user_data;

	if (error)
		g_warning("%s: read: %s", xb_channel_name(c->ch), error->message);
	try_start(c);
}

/* The try is over: a valid entry ends the application, else the next try (or failure). */
static void try_judge(Collect *c)
{
	const char *d = c->digits->str;
	gboolean ok = c->digits->len >= c->min && c->digits->len <= c->max &&
	              (!c->regex || g_regex_match(c->regex, d, 0, NULL));

	xb_timer_clear(&c->timer);
	if (ok) {
		collect_end(c, d, "success");
		return;
	}
	xb_info("%s: read: '%s' is not a valid entry (try %u of %u)", xb_channel_name(c->ch), d,
	        c->try, c->tries);
	if (c->try >= c->tries) {
		collect_end(c, "", c->typed ? "failure" : "timeout");
		return;
	}
	c->phase = PHASE_INVALID;
	play(c, c->invalid, invalid_played);
}

static void timer_cb(XbTimer *t, gpointer user_data)
{
	Collect *c = user_data;

	c->timer = NULL;
	try_judge(c);
}

static void prompt_played(XbMediaEndpoint *ep, const GError *error, gpointer user_data)
{
	Collect *c = user_data;

	if (error)
		g_warning("%s: read: %s", xb_channel_name(c->ch), error->message);
	c->phase = PHASE_COLLECT;
	timer_set(c, c->timeout_ms);
}

static void try_start(Collect *c)
{
	c->try++;
	g_string_truncate(c->digits, 0);
	c->phase = PHASE_PROMPT;
	play(c, c->prompt, prompt_played);
}

static void take_digit(Collect *c, char digit)
{
	if (c->phase != PHASE_COLLECT && c->ch->media)
		xb_media_play_stop(c->ch->media);
	if (c->phase == PHASE_INVALID) {
		c->try++;
		g_string_truncate(c->digits, 0);
	}
	c->phase = PHASE_COLLECT;
	c->typed = TRUE;
	if (strchr(c->terminators, digit)) {
		try_judge(c);
		return;
	}
	g_string_append_c(c->digits, digit);
	if (c->digits->len >= c->max) {
		try_judge(c);
		return;
	}
	timer_set(c, c->digit_timeout_ms);
}

static void collect_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Collect *c = user_data;

	switch (ev->type) {
	case XB_CHANNEL_EV_HANGUP:
		xb_channel_ref(ch);
		xb_channel_set_var(ch, c->var, "");
		xb_channel_set_var(ch, "read_result", "hangup");
		if (ch->media)
			xb_media_play_stop(ch->media);
		xb_channel_set_controller(ch, NULL, NULL);
		collect_free(c);
		xb_app_done(ch, -ECONNRESET);
		xb_channel_unref(ch);
		break;
	case XB_CHANNEL_EV_DTMF:
		take_digit(c, ev->digit);
		break;
	case XB_CHANNEL_EV_REQUEST:
		xb_channel_media_own_request(ch, ev);
		break;
	default:
		break;
	}
}

char **xb_channel_app_words(const char *data)
{
	g_auto(GStrv) all = g_strsplit_set(data, " \t", -1);
	GPtrArray *words = g_ptr_array_new();

	for (guint i = 0; all[i]; i++)
		if (*all[i])
			g_ptr_array_add(words, g_strdup(all[i]));
	g_ptr_array_add(words, NULL);
	return (char **)g_ptr_array_free(words, FALSE);
}

/* A prompt argument: "none", "-" or empty for none, else a file (media.sounds_dir). */
static char *prompt_file(const char *arg)
{
	if (!arg || !*arg || !strcmp(arg, "none") || !strcmp(arg, "-"))
		return NULL;
	return xb_channel_sound_path(arg);
}

static gboolean number(const char *text, guint64 min, guint64 max, guint *out)
{
	guint64 v;

	if (!text || !g_ascii_string_to_unsigned(text, 10, min, max, &v, NULL))
		return FALSE;
	*out = (guint)v;
	return TRUE;
}

/* Starts collecting on the channel (answered first): XB_APP_PENDING. */
static int collect_start(XbChannel *ch, Collect *c)
{
	if (xb_channel_state(ch) < XB_CHANNEL_ANSWERED) {
		int rc = xb_channel_answer(ch);
		if (rc < 0) {
			collect_free(c);
			return rc;
		}
	}
	c->can_play = ch->media && xb_channel_media_format(ch, &c->encoding, &c->pt);
	if (!c->can_play && (c->prompt || c->invalid))
		g_warning("%s: read: the call has no audio crossbar can play: no prompt",
		          xb_channel_name(ch));
	c->ch = xb_channel_ref(ch);
	c->digits = g_string_new(NULL);
	xb_channel_set_controller(ch, collect_event, c);
	try_start(c);
	return XB_APP_PENDING;
}

static char *terminators(const char *arg)
{
	return g_strdup(!arg || !strcmp(arg, "none") ? "" : arg);
}

/* "read VAR [MIN MAX [PROMPT [TIMEOUT_MS [TERMINATORS]]]]": one try; TIMEOUT_MS (5000) is
 * both the first-digit and the inter-digit timeout; TERMINATORS default to "#". */
static int app_read(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) w = xb_channel_app_words(data);
	guint n = g_strv_length(w);
	Collect *c;

	if (!n || !*w[0] || n == 2 || n > 6)
		return -EINVAL;
	c = g_new0(Collect, 1);
	c->var = g_strdup(w[0]);
	c->min = 1;
	c->max = MAX_DIGITS;
	c->tries = 1;
	c->timeout_ms = 5000;
	if ((n > 2 && (!number(w[1], 0, MAX_DIGITS, &c->min) ||
	               !number(w[2], 1, MAX_DIGITS, &c->max) || c->min > c->max)) ||
	    (n > 4 && !number(w[4], 1, 3600000, &c->timeout_ms))) {
		collect_free(c);
		return -EINVAL;
	}
	c->digit_timeout_ms = c->timeout_ms;
	c->prompt = prompt_file(n > 3 ? w[3] : NULL);
	c->terminators = terminators(n > 5 ? w[5] : "#");
	return collect_start(ch, c);
}

/* "play_and_get_digits MIN MAX TRIES TIMEOUT_MS TERMINATORS PROMPT INVALID_PROMPT VAR REGEX
 * [DIGIT_TIMEOUT_MS]" (FreeSWITCH's order; REGEX "none" takes any digits; DIGIT_TIMEOUT_MS
 * defaults to TIMEOUT_MS). */
static int app_play_and_get_digits(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) w = xb_channel_app_words(data);
	g_autoptr(GError) error = NULL;
	guint n = g_strv_length(w);
	Collect *c;

	if (n < 9 || n > 10)
		return -EINVAL;
	c = g_new0(Collect, 1);
	c->var = g_strdup(w[7]);
	if (!number(w[0], 0, MAX_DIGITS, &c->min) || !number(w[1], 1, MAX_DIGITS, &c->max) ||
	    c->min > c->max || !number(w[2], 1, 100, &c->tries) ||
	    !number(w[3], 1, 3600000, &c->timeout_ms) || !*c->var) {
		collect_free(c);
		return -EINVAL;
	}
	c->digit_timeout_ms = c->timeout_ms;
	if (n > 9 && !number(w[9], 1, 3600000, &c->digit_timeout_ms)) {
		collect_free(c);
		return -EINVAL;
	}
	c->regex = strcmp(w[8], "none") ? g_regex_new(w[8], 0, 0, &error) : NULL;
	if (strcmp(w[8], "none") && !c->regex) {
		g_warning("%s: play_and_get_digits: %s", xb_channel_name(ch), error->message);
		collect_free(c);
		return -EINVAL;
	}
	c->terminators = terminators(w[4]);
	c->prompt = prompt_file(w[5]);
	c->invalid = prompt_file(w[6]);
	return collect_start(ch, c);
}

const XbApp xb_channel_read_apps[] = {
    {"read", "VAR [MIN MAX [PROMPT [TIMEOUT_MS [TERMINATORS]]]]",
     "play a prompt and collect DTMF digits into VAR", app_read},
    {"play_and_get_digits",
     "MIN MAX TRIES TIMEOUT_MS TERMINATORS PROMPT INVALID_PROMPT VAR REGEX [DIGIT_TIMEOUT_MS]",
     "collect digits matching REGEX into VAR, retrying with INVALID_PROMPT",
     app_play_and_get_digits},
    XB_APPS_END,
};
