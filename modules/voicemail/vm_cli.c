/* vm_cli.c: `crossbar-cli voicemail list EXT` (each message's envelope, length and file)
 * and `voicemail delete EXT ID` (ID, or a prefix of it of at least 4 digits, as `list`
 * shows). The text table fits 80 columns; the file goes under its row when it does not, and
 * --json gives every field whole. */
#include "vm.h"

#include <string.h>

static char *local_time(gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(t);

	return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M") : g_strdup("");
}

static gboolean known_box(XbCliReply *reply, const char *cmd, const char *box)
{
	g_autoptr(XbDirUser) user = vm_box_name_valid(box) ? xb_directory_lookup(box) : NULL;

	if (!user)
		xb_cli_reply_error(reply, "voicemail %s: no user '%s' in the directory", cmd, box);
	return user != NULL;
}

static gboolean cmd_list(XbCliReply *reply, int argc, char **argv, gpointer user_data)
{
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GError) error = NULL;

	if (argc != 1) {
		xb_cli_reply_error(reply, "usage: voicemail list EXT");
		return FALSE;
	}
	if (!known_box(reply, "list", argv[0]))
		return FALSE;
	all = vm_store_list(argv[0], NULL, &error);
	if (!all) {
		xb_cli_reply_error(reply, "voicemail list: %s", error->message);
		return FALSE;
	}
	xb_cli_reply_columns(reply, "id", "folder", "received", "from", "name", "secs", "file",
	                     NULL);
	for (guint i = 0; i < all->len; i++) {
		VmMessage *m = all->pdata[i];
		g_autofree char *when = local_time(m->created);
		g_autofree char *secs = g_strdup_printf("%.1f", m->duration_ms / 1000.0);

		xb_cli_reply_row(reply, "id", g_variant_new_string(m->id), "folder",
		                 g_variant_new_string(m->folder), "received",
		                 g_variant_new_string(when), "from",
		                 g_variant_new_string(m->caller_id_number), "name",
		                 g_variant_new_string(m->caller_id_name), "secs",
		                 g_variant_new_string(secs), "file", g_variant_new_string(m->file),
		                 "created", g_variant_new_int64(m->created), "duration_ms",
		                 g_variant_new_uint32(m->duration_ms), NULL);
	}
	xb_cli_reply_text_columns(reply, "id", "folder", "received", "from", "name", "secs", "file",
	                          NULL);
	return TRUE;
}

static gboolean cmd_delete(XbCliReply *reply, int argc, char **argv, gpointer user_data)
{
	g_autoptr(VmMessage) msg = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ambiguous = FALSE;

	if (argc != 2) {
		xb_cli_reply_error(reply, "usage: voicemail delete EXT ID");
		return FALSE;
	}
	if (!known_box(reply, "delete", argv[0]))
		return FALSE;
	msg = vm_store_find(argv[0], argv[1], &ambiguous, &error);
	if (!msg) {
		if (error)
			xb_cli_reply_error(reply, "voicemail delete: %s", error->message);
		else if (ambiguous)
			xb_cli_reply_error(reply,
			                   "voicemail delete: '%s' names several messages of %s",
			                   argv[1], argv[0]);
		else
			xb_cli_reply_error(reply, "voicemail delete: %s has no message '%s'",
			                   argv[0], argv[1]);
		return FALSE;
	}
	if (!vm_message_remove(msg, &error)) {
		xb_cli_reply_error(reply, "voicemail delete: %s", error->message);
		return FALSE;
	}
	xb_notice("voicemail: message %s of %s deleted from the control socket", msg->id, msg->box);
	xb_cli_reply_message(reply, "deleted message %s of %s", msg->id, msg->box);
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"voicemail list", "EXT", "a box's messages: envelope, length and file", cmd_list},
    {"voicemail delete", "EXT ID", "delete a message (ID as `voicemail list` shows it)",
     cmd_delete},
    XB_CLI_END,
};

void vm_cli_register(XbModule *module)
{
	xb_cli_register(module, commands, NULL);
}
