/* record.c: the recording applications. `record` records what the caller says until it
 * hangs up, presses '#', stays silent or runs out of time, and the plan goes on (or ends
 * with the call); `record_session` records both ways of the call in stereo until its end
 * and the plan goes on at once. The media engine does the recording (core/media/record.c):
 * these only choose the file and turn how it ended into channel variables.
 *
 * A file named without a folder, or with a relative one, is under media.recordings_dir
 * (DATA_DIR/recordings by default, made when first needed); a name with a ".." part is
 * refused, so a plan's variable cannot reach outside that folder. */
#include "channel_private.h"
#include "../media/media_private.h"

#include <errno.h>
#include <string.h>

#define SILENCE_SECONDS 3 /* when a threshold is given without a time */

/* The file a plan names, or NULL (a ".." part); *root is the recordings folder to make when
 * the file is in it. */
static char *record_path(const char *name, char **root)
{
	g_auto(GStrv) parts = g_strsplit(name, "/", -1);
	const char *set = xb_config_get_string("media.recordings_dir");

	*root = NULL;
	for (guint i = 0; parts[i]; i++)
		if (!strcmp(parts[i], ".."))
			return NULL;
	if (g_path_is_absolute(name))
		return g_strdup(name);
	*root = set && *set
	            ? g_strdup(set)
	            : g_build_filename(xb_config_get_string("core.data_dir"), "recordings", NULL);
	return g_build_filename(*root, name, NULL);
}

static const char *end_name(XbMediaRecordEnd end)
{
	switch (end) {
	case XB_MEDIA_RECORD_MAX:
		return "max";
	case XB_MEDIA_RECORD_SILENCE:
		return "silence";
	case XB_MEDIA_RECORD_ERROR:
		return "error";
	case XB_MEDIA_RECORD_STOPPED:
	case XB_MEDIA_RECORD_GONE:
		break;
	}
	return "hangup";
}

/* The variables a recording leaves: record_file, record_seconds (whole), record_ms,
 * record_ended, record_error (an error's text, else empty), record_dropped. */
static void record_vars(XbChannel *ch, const char *prefix, const XbMediaRecordResult *r,
                        const char *ended)
{
	static const char *const names[] = {"file", "seconds", "ms", "ended", "error", "dropped"};
	guint64 ms = r->frames / 8;
	g_autofree char *sec = g_strdup_printf("%" G_GUINT64_FORMAT, (ms + 500) / 1000);
	g_autofree char *msec = g_strdup_printf("%" G_GUINT64_FORMAT, ms);
	g_autofree char *dropped = g_strdup_printf("%" G_GUINT64_FORMAT, r->dropped);
	const char *values[] = {r->path, sec, msec, ended, r->error ? r->error->message : "",
	                        dropped};

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *name = g_strdup_printf("%s_%s", prefix, names[i]);
		xb_channel_set_var(ch, name, values[i]);
	}
	if (r->dropped)
		g_warning("%s: %s: %" G_GUINT64_FORMAT " frames dropped (the disk is too slow)",
		          xb_channel_name(ch), r->path, r->dropped);
}

/* ---- record ---- */

typedef struct {
	XbChannel *ch; /* reference */
	XbMediaRecording *rec;
	const char *why; /* "dtmf", "hangup" once the application stopped it */
	gboolean hung_up;
} Record;

static void record_free(Record *r)
{
	xb_media_recording_unref(r->rec);
	xb_channel_unref(r->ch);
	g_free(r);
}

static void record_done(XbMediaRecording *rec, const XbMediaRecordResult *res, gpointer user_data)
{
	Record *r = user_data;
	XbChannel *ch = r->ch;
	const char *ended =
	    res->end == XB_MEDIA_RECORD_ERROR || !r->why ? end_name(res->end) : r->why;

	record_vars(ch, "record", res, ended);
	xb_info("%s: record %s: %" G_GUINT64_FORMAT " ms, ended by %s", xb_channel_name(ch),
	        res->path, res->frames / 8, ended);
	if (!r->hung_up) {
		xb_channel_set_controller(ch, NULL, NULL);
		xb_app_done(ch, 0);
	}
	record_free(r);
}

static void record_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Record *r = user_data;

	switch (ev->type) {
	case XB_CHANNEL_EV_HANGUP:
		/* The file is finished all the same; its variables come when it is. */
		r->why = r->why ? r->why : "hangup";
		r->hung_up = TRUE;
		xb_media_record_stop(ch->media, r->rec);
		xb_channel_set_controller(ch, NULL, NULL);
		xb_app_done(ch, -ECONNRESET);
		break;
	case XB_CHANNEL_EV_DTMF:
		if (ev->digit == '#' && !r->why) {
			r->why = "dtmf";
			xb_media_record_stop(ch->media, r->rec);
		}
		break;
	case XB_CHANNEL_EV_REQUEST:
		xb_channel_media_own_request(ch, ev);
		break;
	default:
		break;
	}
}

static gboolean parse_uint(const char *text, guint64 max, guint *out)
{
	guint64 v;

	if (!g_ascii_string_to_unsigned(text, 10, 0, max, &v, NULL))
		return FALSE;
	*out = (guint)v;
	return TRUE;
}

/* "record FILE [MAX_SECONDS [SILENCE_THRESHOLD [SILENCE_SECONDS]]]" */
static int app_record(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) w = xb_channel_app_words(data);
	XbMediaRecordOptions o = {0};
	g_autofree char *root = NULL;
	g_autofree char *path = NULL;
	guint n = g_strv_length(w);

	if (!w[0] || !*w[0] || n > 4 || (n > 1 && !parse_uint(w[1], 86400, &o.max_seconds)) ||
	    (n > 2 && !parse_uint(w[2], 32767, &o.silence_threshold)) ||
	    (n > 3 && !parse_uint(w[3], 3600, &o.silence_seconds)))
		return -EINVAL;
	if (o.silence_threshold && !o.silence_seconds)
		o.silence_seconds = SILENCE_SECONDS;
	path = record_path(w[0], &root);
	if (!path) {
		g_warning("%s: record %s: a name with '..' is refused", xb_channel_name(ch), w[0]);
		xb_channel_set_var(ch, "record_ended", "error");
		xb_channel_set_var(ch, "record_error", "a name with '..' is refused");
		return 0;
	}
	if (xb_channel_state(ch) < XB_CHANNEL_ANSWERED) {
		int rc = xb_channel_answer(ch);
		if (rc < 0)
			return rc;
	}
	if (!ch->media) {
		g_warning("%s: record %s: the call has no audio through crossbar",
		          xb_channel_name(ch), path);
		xb_channel_set_var(ch, "record_ended", "error");
		xb_channel_set_var(ch, "record_error", "no audio through crossbar");
		return 0;
	}
	o.make_dir = root;
	Record *r = g_new0(Record, 1);
	r->ch = xb_channel_ref(ch);
	xb_channel_set_controller(ch, record_event, r);
	r->rec = xb_media_record(ch->media, path, &o, record_done, r);
	return XB_APP_PENDING;
}

/* ---- record_session ---- */

static void session_done(XbMediaRecording *rec, const XbMediaRecordResult *res, gpointer user_data)
{
	XbChannel *ch = user_data;

	record_vars(ch, "record_session", res, end_name(res->end));
	xb_info("%s: record_session %s: %" G_GUINT64_FORMAT " ms", xb_channel_name(ch), res->path,
	        res->frames / 8);
	xb_media_recording_unref(rec);
	xb_channel_unref(ch);
}

/* "record_session FILE": both ways, stereo (left the caller, right what it hears), from now
 * until the leg's media ends, across a later bridge. */
static int app_record_session(XbChannel *ch, const char *data, gpointer user_data)
{
	XbMediaRecordOptions o = {.both_ways = TRUE};
	g_autofree char *root = NULL;
	g_autofree char *path = NULL;

	if (!*data || strpbrk(data, " \t"))
		return -EINVAL;
	path = record_path(data, &root);
	if (!path) {
		g_warning("%s: record_session %s: a name with '..' is refused", xb_channel_name(ch),
		          data);
		xb_channel_set_var(ch, "record_session_ended", "error");
		return 0;
	}
	if (!xb_channel_media_ensure(ch)) {
		g_warning("%s: record_session %s: the call has no audio through crossbar",
		          xb_channel_name(ch), path);
		xb_channel_set_var(ch, "record_session_ended", "error");
		return 0;
	}
	o.make_dir = root;
	xb_channel_set_var(ch, "record_session_file", path);
	/* The reference returned is the callback's to let go. */
	xb_media_record(ch->media, path, &o, session_done, xb_channel_ref(ch));
	return 0;
}

const XbApp xb_channel_record_apps[] = {
    {"record", "FILE [MAX_SECONDS [SILENCE_THRESHOLD [SILENCE_SECONDS]]]",
     "record the caller into a WAV file until hang-up, '#', silence or MAX_SECONDS", app_record},
    {"record_session", "FILE", "record both ways of the call (stereo WAV) until it ends",
     app_record_session},
    XB_APPS_END,
};
