/* mod_voicemail.c: voicemail boxes of the directory's users. The `voicemail` application
 * leaves a message (deposit.c) or lets the owner listen (check.c); messages are WAV files
 * under the voicemail folder, indexed by the store (store.h, SQLite in store_sqlite.c);
 * new ones may be mailed (mail.c); `crossbar-cli voicemail ...` lists and deletes them
 * (vm_cli.c). This file holds the module's life cycle, settings, the folder's layout, the
 * start-up check of the files against the index and the purge of old messages. Operators'
 * and users' guide: docs/voicemail.md.
 *
 * A box's files: DIR/BOX/ID.wav for each message, DIR/BOX/greeting.wav when the owner
 * recorded one, and DIR/BOX/ID.part while a message is being recorded. A message is
 * renamed from .part to .wav only once its file is complete, and its row is added only
 * after that; a row is deleted before its file. So a crash leaves a complete message or
 * none: the start-up check removes .part files and .wav files that no row names. */
#include "vm.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define PURGE_INTERVAL_MS (3600 * 1000)

static const XbSettingDef settings[] = {
    {"dir", XB_SETTING_PATH, NULL,
     "folder of the boxes' messages and greetings; empty: core.data_dir/voicemail"},
    {"max_seconds", XB_SETTING_INT, "180", "longest message, in seconds", 1, 3600},
    {"min_seconds", XB_SETTING_INT, "1", "messages shorter than this many seconds are dropped", 0,
     60},
    {"silence_seconds", XB_SETTING_INT, "5",
     "a recording ends after this many seconds of silence (0: never)", 0, 600},
    {"silence_threshold", XB_SETTING_INT, "200",
     "mean absolute sample (0-32767) under which 20 ms count as silence", 1, 32767},
    {"quota_messages", XB_SETTING_INT, "100",
     "messages a box holds at most (0: no limit); a full box takes no message", 0, 1000000},
    {"quota_minutes", XB_SETTING_INT, "60", "minutes of audio a box holds at most (0: no limit)", 0,
     1000000},
    {"max_age_days", XB_SETTING_INT, "0",
     "messages older than this many days are deleted, at start and hourly (0: kept)", 0, 36500},
    {"mailer", XB_SETTING_STRING, NULL,
     "sendmail-compatible command each new message is mailed through, the message on its "
     "standard input (e.g. \"/usr/bin/msmtp -t\"); empty: no e-mail"},
    {"mail_from", XB_SETTING_STRING, "crossbar@localhost", "From address of those mails"},
    {"mail_template", XB_SETTING_PATH, NULL,
     "file with the mail's headers and text, ${fields} replaced; empty: the built-in one"},
    /* message waiting (mwi.c, docs/mwi.md) */
    {"mwi_min_expires", XB_SETTING_INT, "60",
     "shortest message-waiting subscription accepted (s); shorter: 423", 1, 86400},
    {"mwi_max_expires", XB_SETTING_INT, "3600", "longest message-waiting subscription granted (s)",
     1, 604800},
    {"mwi_default_expires", XB_SETTING_INT, "3600",
     "message-waiting subscription time when the SUBSCRIBE asks none (s)", 1, 604800},
    {"mwi_max_subscriptions", XB_SETTING_INT, "10000",
     "message-waiting subscriptions held at once; past it: 503", 1, 1000000},
    {"mwi_max_per_box", XB_SETTING_INT, "8",
     "message-waiting subscriptions per box; past it the one expiring first goes", 1, 1000},
    {"mwi_unsolicited", XB_SETTING_LIST, NULL,
     "boxes whose owner's registered phones get a NOTIFY on each change without subscribing: "
     "extensions, or all"},
    XB_SETTINGS_END,
};

static XbModule *the_module;
static XbTimer *purge_timer;

XbModule *vm_module(void)
{
	return the_module;
}

gboolean vm_box_name_valid(const char *box)
{
	gsize len = box ? strlen(box) : 0;

	if (len == 0 || len > 64 || box[0] == '.')
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isalnum(box[i]) && !strchr("-_.", box[i]))
			return FALSE;
	return TRUE;
}

char *vm_dir(void)
{
	const char *set = xb_config_get_string("voicemail.dir");

	if (set && *set)
		return g_strdup(set);
	return g_build_filename(xb_config_get_string("core.data_dir"), "voicemail", NULL);
}

char *vm_box_dir(const char *box)
{
	g_autofree char *dir = vm_dir();

	return g_build_filename(dir, box, NULL);
}

char *vm_greeting_path(const char *box)
{
	g_autofree char *dir = vm_box_dir(box);

	return g_build_filename(dir, "greeting.wav", NULL);
}

gboolean vm_message_remove(const VmMessage *msg, GError **error)
{
	if (!vm_store_delete(msg->id, error))
		return FALSE;
	if (g_unlink(msg->file) < 0 && errno != ENOENT)
		xb_warning("voicemail: cannot remove %s: %s", msg->file, g_strerror(errno));
	vm_mwi_changed(msg->box);
	return TRUE;
}

guint vm_purge(void)
{
	gint64 days = xb_config_get_int("voicemail.max_age_days");
	g_autoptr(GPtrArray) old = NULL;
	g_autoptr(GError) error = NULL;
	guint n = 0;

	if (days <= 0)
		return 0;
	old = vm_store_older(xb_clock_wall_s() - days * 86400, &error);
	if (!old) {
		xb_warning("voicemail: purge: %s", error->message);
		return 0;
	}
	for (guint i = 0; i < old->len; i++) {
		VmMessage *m = old->pdata[i];
		g_clear_error(&error);
		if (vm_message_remove(m, &error))
			n++;
		else
			xb_warning("voicemail: purge of %s: %s", m->id, error->message);
	}
	if (n)
		xb_notice("voicemail: purged %u message(s) older than %" G_GINT64_FORMAT " days", n,
		          days);
	return n;
}

static void purge_cb(XbTimer *timer, gpointer user_data)
{
	purge_timer = xb_timer_start(the_module, PURGE_INTERVAL_MS, purge_cb, NULL);
	vm_purge();
}

static gboolean is_message_name(const char *name, const char *suffix)
{
	gsize len = strlen(name);

	return len == 32 + strlen(suffix) && strspn(name, "0123456789abcdef") == 32 &&
	       g_str_has_suffix(name, suffix);
}

/* One box's folder at start: recordings a crash cut short and files no row names go. */
static void check_box_files(const char *box_dir, GHashTable *known)
{
	g_autoptr(GDir) dir = g_dir_open(box_dir, 0, NULL);
	const char *name;

	if (!dir)
		return;
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *path = g_build_filename(box_dir, name, NULL);
		gboolean part = is_message_name(name, ".part");

		if (!part &&
		    !(is_message_name(name, ".wav") && !g_hash_table_contains(known, path)))
			continue;
		xb_notice("voicemail: removing %s (%s)", path,
		          part ? "a recording cut short" : "no message names it");
		if (g_unlink(path) < 0)
			xb_warning("voicemail: cannot remove %s: %s", path, g_strerror(errno));
	}
}

/* Rows whose file is gone are dropped (someone removed it by hand), then stray files. */
static void check_files(void)
{
	g_autofree char *root = vm_dir();
	g_autoptr(GHashTable) known = NULL;
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GError) error = NULL;
	GHashTableIter it;
	const char *file;
	const char *name;

	known = vm_store_files(&error);
	if (!known) {
		xb_warning("voicemail: cannot check the messages' files: %s", error->message);
		return;
	}
	dir = g_dir_open(root, 0, NULL);
	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *box_dir = g_build_filename(root, name, NULL);
		if (vm_box_name_valid(name) && g_file_test(box_dir, G_FILE_TEST_IS_DIR))
			check_box_files(box_dir, known);
	}
	g_hash_table_iter_init(&it, known);
	while (g_hash_table_iter_next(&it, (gpointer *)&file, NULL)) {
		if (g_file_test(file, G_FILE_TEST_EXISTS))
			continue;
		xb_warning("voicemail: %s is gone; its message is dropped", file);
		g_clear_error(&error);
		if (!vm_store_drop_file(file, &error))
			xb_warning("voicemail: cannot drop the message of %s: %s", file,
			           error->message);
	}
}

int vm_app(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) w = xb_channel_app_words(data);
	guint n = g_strv_length(w);
	gboolean check = n > 0 && !strcmp(w[0], "check");
	const char *box = check ? (n > 2 ? w[2] : NULL) : (n > 1 ? w[1] : NULL);

	if ((check && (n < 2 || n > 3)) || (!check && n != 2)) {
		xb_warning("%s: voicemail: usage: voicemail PROFILE BOX | voicemail check PROFILE "
		           "[BOX], not '%s'",
		           xb_channel_name(ch), data);
		return -EINVAL;
	}
	if (box && !vm_box_name_valid(box)) {
		xb_warning("%s: voicemail: '%s' is not a box's name", xb_channel_name(ch), box);
		return check ? vm_check_start(ch, NULL) : 0;
	}
	return check ? vm_check_start(ch, box) : vm_deposit_start(ch, box);
}

static const XbApp apps[] = {
    {"voicemail", "PROFILE BOX | check PROFILE [BOX]",
     "leave a message in BOX, or listen to one's box (check; the box is asked for without "
     "BOX)",
     vm_app},
    XB_APPS_END,
};

static gboolean vm_load(XbModule *self, GError **error)
{
	the_module = self;
	if (!vm_store_open(error))
		return FALSE;
	check_files();
	if (!vm_mwi_start(self, error)) {
		vm_store_close();
		return FALSE;
	}
	xb_app_register(self, apps, NULL);
	vm_cli_register(self);
	vm_purge();
	purge_timer = xb_timer_start(self, PURGE_INTERVAL_MS, purge_cb, NULL);
	return TRUE;
}

static void vm_unload(XbModule *self)
{
	xb_timer_clear(&purge_timer);
	vm_mwi_stop();
	vm_store_close();
	the_module = NULL;
}

static const char *const requires[] = {"sip", NULL};
static const char *const app_names[] = {"voicemail", NULL};
static const char *const command_names[] = {"voicemail list", "voicemail delete",
                                            "voicemail subscriptions", NULL};

XB_MODULE_DEFINE(.name = "voicemail", .version = XB_VERSION_STRING,
                 .description = "voicemail boxes of the directory's users", .requires = requires,
                 .settings = settings, .applications = app_names, .commands = command_names,
                 .load = vm_load, .unload = vm_unload);
