/* deposit.c: leaving a message. The caller hears the owner's greeting (the recorded one,
 * else "the person at extension N is not available ..."; '#' skips it), a beep, and is
 * recorded until '#', silence, a hang-up or voicemail.max_seconds. The recording goes to
 * BOX/ID.part; once the media engine has closed it complete it is renamed to BOX/ID.wav
 * and only then added to the store, so that a crash at any point leaves the message whole
 * or not at all (mod_voicemail.c removes what a crash left half done). A message shorter
 * than voicemail.min_seconds is dropped. A full box takes nothing; a recording that cannot
 * be written (a full disk, a folder that cannot be made) is removed and the caller hears
 * that the message could not be taken, and the box's other messages are not touched.
 *
 * The variable voicemail_result tells the plan how it went: saved, too_short, full,
 * failed, no_box or hangup (nothing recorded before the hang-up).
 *
 *   phase     event                       next
 *   GREETING  greeting and beep played     RECORD
 *   GREETING  '#'                          RECORD (after the beep)
 *   RECORD    '#', silence, max, hang-up   the file is closed: kept or dropped
 *   CLOSING   the outcome's prompt played  done */
#include "vm.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

typedef enum { PHASE_GREETING, PHASE_BEEP, PHASE_RECORD, PHASE_CLOSING } Phase;

typedef struct {
	XbChannel *ch; /* reference */
	char *box;
	char *id;
	char *part, *wav;
	VmPlayer player;
	XbMediaRecording *rec;
	guint max_seconds;
	Phase phase;
	gboolean hung_up;
} Deposit;

static void deposit_free(Deposit *d)
{
	vm_player_stop(&d->player);
	if (d->rec)
		xb_media_recording_unref(d->rec);
	xb_channel_unref(d->ch);
	g_free(d->box);
	g_free(d->id);
	g_free(d->part);
	g_free(d->wav);
	g_free(d);
}

static void deposit_done(gpointer owner)
{
	Deposit *d = owner;
	XbChannel *ch = xb_channel_ref(d->ch);
	gboolean hung_up = d->hung_up;

	deposit_free(d);
	if (!hung_up) {
		xb_channel_set_controller(ch, NULL, NULL);
		xb_app_done(ch, 0);
	}
	xb_channel_unref(ch);
}

/* Ends with `prompt` played to the caller (NULL: none), unless it hung up. */
static void deposit_close(Deposit *d, const char *result, const char *prompt)
{
	xb_channel_set_var(d->ch, "voicemail_result", result);
	d->phase = PHASE_CLOSING;
	if (d->hung_up || !prompt) {
		deposit_done(d);
		return;
	}
	vm_player_add(&d->player, prompt);
	vm_player_start(&d->player, deposit_done);
}

static void remove_part(Deposit *d)
{
	if (g_unlink(d->part) < 0 && errno != ENOENT)
		xb_warning("voicemail: cannot remove %s: %s", d->part, g_strerror(errno));
}

static void record_done(XbMediaRecording *rec, const XbMediaRecordResult *res, gpointer user_data)
{
	Deposit *d = user_data;
	guint64 ms = res->frames / 8;
	guint min_ms = (guint)xb_config_get_int("voicemail.min_seconds") * 1000;
	g_autoptr(GError) error = NULL;
	VmMessage msg = {0};

	if (res->end == XB_MEDIA_RECORD_ERROR) {
		xb_warning("%s: voicemail %s: the message could not be recorded: %s",
		           xb_channel_name(d->ch), d->box,
		           res->error ? res->error->message : "unknown error");
		remove_part(d);
		deposit_close(d, "failed", "vm-not-taken");
		return;
	}
	if (ms < min_ms || ms == 0) {
		xb_info("%s: voicemail %s: %" G_GUINT64_FORMAT " ms is too short; dropped",
		        xb_channel_name(d->ch), d->box, ms);
		remove_part(d);
		deposit_close(d, d->hung_up && ms == 0 ? "hangup" : "too_short", "goodbye");
		return;
	}
	if (g_rename(d->part, d->wav) < 0) {
		xb_warning("%s: voicemail %s: cannot rename %s: %s", xb_channel_name(d->ch), d->box,
		           d->part, g_strerror(errno));
		remove_part(d);
		deposit_close(d, "failed", "vm-not-taken");
		return;
	}
	msg.id = d->id;
	msg.box = d->box;
	msg.folder = (char *)VM_FOLDER_NEW;
	msg.caller_id_number = (char *)xb_channel_get_var(d->ch, "caller_id_number");
	msg.caller_id_name = (char *)xb_channel_get_var(d->ch, "caller_id_name");
	msg.created = xb_clock_wall_s();
	msg.duration_ms = (guint)MIN(ms, G_MAXUINT);
	msg.file = d->wav;
	if (!vm_store_add(&msg, &error)) {
		xb_warning("%s: voicemail %s: cannot store the message: %s", xb_channel_name(d->ch),
		           d->box, error->message);
		if (g_unlink(d->wav) < 0)
			xb_warning("voicemail: cannot remove %s: %s", d->wav, g_strerror(errno));
		deposit_close(d, "failed", "vm-not-taken");
		return;
	}
	xb_notice("%s: voicemail: message %s left in box %s by '%s', %" G_GUINT64_FORMAT " ms",
	          xb_channel_name(d->ch), d->id, d->box,
	          msg.caller_id_number ? msg.caller_id_number : "", ms);
	xb_channel_set_var(d->ch, "voicemail_message_id", d->id);
	vm_mwi_changed(d->box);
	vm_mail_message(&msg);
	deposit_close(d, "saved", "vm-message-saved");
}

static void record_start(gpointer owner)
{
	Deposit *d = owner;
	g_autofree char *dir = vm_box_dir(d->box);
	XbMediaRecordOptions o = {
	    .max_seconds = d->max_seconds,
	    .silence_threshold = (guint)xb_config_get_int("voicemail.silence_threshold"),
	    .silence_seconds = (guint)xb_config_get_int("voicemail.silence_seconds"),
	    .make_dir = dir,
	};

	if (!o.silence_seconds)
		o.silence_threshold = 0;
	d->phase = PHASE_RECORD;
	xb_info("%s: voicemail: recording a message for %s into %s", xb_channel_name(d->ch), d->box,
	        d->part);
	d->rec = xb_media_record(xb_channel_media(d->ch), d->part, &o, record_done, d);
}

static void beep(gpointer owner)
{
	Deposit *d = owner;

	d->phase = PHASE_BEEP;
	vm_player_add_tone(&d->player, "beep");
	vm_player_start(&d->player, record_start);
}

static void deposit_event(XbChannel *ch, const XbChannelEvent *ev, gpointer user_data)
{
	Deposit *d = user_data;

	switch (ev->type) {
	case XB_CHANNEL_EV_HANGUP:
		d->hung_up = TRUE;
		xb_channel_set_controller(ch, NULL, NULL);
		xb_channel_ref(ch);
		if (d->phase == PHASE_RECORD) {
			/* What was said until the hang-up is a message: kept when the file closes.
			 */
			xb_media_record_stop(xb_channel_media(ch), d->rec);
			xb_app_done(ch, -ECONNRESET);
		} else if (d->phase == PHASE_CLOSING) {
			vm_player_stop(&d->player);
			deposit_free(d);
			xb_app_done(ch, -ECONNRESET);
		} else {
			xb_channel_set_var(ch, "voicemail_result", "hangup");
			deposit_free(d);
			xb_app_done(ch, -ECONNRESET);
		}
		xb_channel_unref(ch);
		break;
	case XB_CHANNEL_EV_DTMF:
		if (ev->digit != '#')
			break;
		if (d->phase == PHASE_GREETING) {
			vm_player_stop(&d->player);
			beep(d);
		} else if (d->phase == PHASE_RECORD) {
			xb_media_record_stop(xb_channel_media(ch), d->rec);
		}
		break;
	case XB_CHANNEL_EV_REQUEST:
		xb_channel_media_own_request(ch, ev);
		break;
	default:
		break;
	}
}

/* Is the box full? *max_seconds is cut to the minutes it has left. */
static gboolean box_full(const char *box, guint *max_seconds)
{
	guint64 quota_msgs = (guint64)xb_config_get_int("voicemail.quota_messages");
	guint64 quota_ms = (guint64)xb_config_get_int("voicemail.quota_minutes") * 60000;
	g_autoptr(GError) error = NULL;
	guint64 ms = 0;
	guint n = 0;

	if (!vm_store_usage(box, &n, &ms, &error)) {
		xb_warning("voicemail %s: %s", box, error->message);
		return TRUE;
	}
	if ((quota_msgs && n >= quota_msgs) || (quota_ms && ms + 1000 > quota_ms))
		return TRUE;
	if (quota_ms && (quota_ms - ms) / 1000 < *max_seconds)
		*max_seconds = (guint)((quota_ms - ms) / 1000);
	return FALSE;
}

int vm_deposit_start(XbChannel *ch, const char *box)
{
	g_autoptr(XbDirUser) user = xb_directory_lookup(box);
	g_autofree char *greeting = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *name = NULL;
	guint max_seconds = (guint)xb_config_get_int("voicemail.max_seconds");
	const char *encoding;
	guint pt;
	Deposit *d;

	if (!user) {
		xb_warning("%s: voicemail: no box '%s' (no such user in the directory)",
		           xb_channel_name(ch), box);
		xb_channel_set_var(ch, "voicemail_result", "no_box");
		return 0;
	}
	if (xb_channel_state(ch) < XB_CHANNEL_ANSWERED) {
		int rc = xb_channel_answer(ch);
		if (rc < 0)
			return rc;
	}
	if (!xb_channel_media_ensure(ch) || !xb_channel_media_format(ch, &encoding, &pt)) {
		xb_warning("%s: voicemail %s: the call has no audio through crossbar",
		           xb_channel_name(ch), box);
		xb_channel_set_var(ch, "voicemail_result", "failed");
		return 0;
	}
	d = g_new0(Deposit, 1);
	d->ch = xb_channel_ref(ch);
	d->box = g_strdup(box);
	d->id = xb_random_hex_new(32);
	dir = vm_box_dir(box);
	name = g_strconcat(d->id, ".part", NULL);
	d->part = g_build_filename(dir, name, NULL);
	g_free(name);
	name = g_strconcat(d->id, ".wav", NULL);
	d->wav = g_build_filename(dir, name, NULL);
	vm_player_init(&d->player, ch, d);
	xb_channel_set_controller(ch, deposit_event, d);
	if (box_full(box, &max_seconds)) {
		xb_notice("%s: voicemail: box %s is full", xb_channel_name(ch), box);
		deposit_close(d, "full", "vm-box-full");
		return XB_APP_PENDING;
	}
	d->max_seconds = max_seconds;
	d->phase = PHASE_GREETING;
	greeting = vm_greeting_path(box);
	if (g_file_test(greeting, G_FILE_TEST_IS_REGULAR)) {
		vm_player_add(&d->player, greeting);
	} else {
		vm_player_add(&d->player, "vm-person-at");
		vm_player_add_digits(&d->player, box);
		vm_player_add(&d->player, "vm-not-available");
	}
	vm_player_start(&d->player, beep);
	return XB_APP_PENDING;
}
