/* features.c: a user's call features, do-not-disturb and call forwarding, kept in the
 * directory's database beside the user (the "call_features" component's table), with the
 * `user dnd`, `user forward` and `user features` commands and the dialplan's dnd and
 * call_forward applications. Which calls they affect is the bridge's (`bridge user/EXT`). */
#include "directory_private.h"

#include <crossbar/channel.h>
#include <errno.h>
#include <string.h>

static const XbMigration migrations[] = {
    {1, "CREATE TABLE call_features ("
        " ext TEXT PRIMARY KEY,"
        " dnd INTEGER NOT NULL DEFAULT 0,"
        " forward_always TEXT NOT NULL DEFAULT '',"
        " forward_busy TEXT NOT NULL DEFAULT '',"
        " forward_noanswer TEXT NOT NULL DEFAULT '',"
        " updated_at INTEGER NOT NULL);"},
};

static const char *const kind_names[] = {"always", "busy", "noanswer"};
static const char *const kind_columns[] = {"forward_always", "forward_busy", "forward_noanswer"};

gboolean xb_forward_kind_parse(const char *word, XbForwardKind *kind)
{
	for (guint i = 0; i < G_N_ELEMENTS(kind_names); i++)
		if (word && !g_ascii_strcasecmp(word, kind_names[i])) {
			*kind = (XbForwardKind)i;
			return TRUE;
		}
	return FALSE;
}

const char *xb_forward_kind_name(XbForwardKind kind)
{
	return kind < G_N_ELEMENTS(kind_names) ? kind_names[kind] : "?";
}

void xb_call_features_free(XbCallFeatures *f)
{
	if (!f)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(f->forward); i++)
		g_free(f->forward[i]);
	g_free(f);
}

gboolean dir_features_migrate(XbDb *db, GError **error)
{
	return xb_db_migrate(db, "call_features", migrations, G_N_ELEMENTS(migrations), error);
}

static XbDb *features_db(void)
{
	return dir_store() ? xb_core_db() : NULL;
}

XbCallFeatures *xb_directory_features(const char *ext)
{
	g_autoptr(XbDirUser) user = xb_directory_lookup(ext);
	XbDb *db = features_db();
	XbCallFeatures *f;
	sqlite3_stmt *st;

	if (!user || !db)
		return NULL;
	f = g_new0(XbCallFeatures, 1);
	st = xb_db_prepare(db,
	                   "SELECT dnd, forward_always, forward_busy, forward_noanswer "
	                   "FROM call_features WHERE ext = ?1",
	                   NULL);
	if (st) {
		sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			f->dnd = sqlite3_column_int(st, 0) != 0;
			for (guint i = 0; i < G_N_ELEMENTS(f->forward); i++)
				f->forward[i] = xb_db_column_dup(st, (int)i + 1);
		}
		sqlite3_reset(st);
	}
	for (guint i = 0; i < G_N_ELEMENTS(f->forward); i++)
		if (!f->forward[i])
			f->forward[i] = g_strdup("");
	return f;
}

/* Writes one column of a user's row, making the row if there is none. */
static gboolean features_put(const char *ext, const char *column, const char *text, int number,
                             GError **error)
{
	g_autoptr(XbDirUser) user = xb_directory_lookup(ext);
	XbDb *db = features_db();
	g_autofree char *sql = NULL;
	sqlite3_stmt *st;
	int rc;

	if (!user) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "no user %s", ext);
		return FALSE;
	}
	if (!db) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "the directory is not running");
		return FALSE;
	}
	sql = g_strdup_printf("INSERT INTO call_features(ext, %s, updated_at) VALUES (?1, ?2, ?3) "
	                      "ON CONFLICT(ext) DO UPDATE SET %s = excluded.%s, "
	                      "updated_at = excluded.updated_at",
	                      column, column, column);
	st = xb_db_prepare(db, sql, error);
	if (!st)
		return FALSE;
	sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
	if (text)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int(st, 2, number);
	sqlite3_bind_int64(st, 3, xb_clock_wall_s());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "call features: %s",
		            sqlite3_errmsg(xb_db_handle(db)));
		return FALSE;
	}
	return xb_db_flush(db, error);
}

gboolean xb_directory_set_dnd(const char *ext, gboolean on, GError **error)
{
	return features_put(ext, "dnd", NULL, on ? 1 : 0, error);
}

/* A forward target: digits, '+', '*', '#' (what a phone dials), 1-32 of them. */
static gboolean number_valid(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > 32)
		return FALSE;
	for (const char *p = n; *p; p++)
		if (!g_ascii_isdigit(*p) && !strchr("+*#", *p))
			return FALSE;
	return TRUE;
}

gboolean xb_directory_set_forward(const char *ext, XbForwardKind kind, const char *number,
                                  GError **error)
{
	if (kind >= G_N_ELEMENTS(kind_columns)) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "no forwarding kind %d", kind);
		return FALSE;
	}
	if (number && *number && !number_valid(number)) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL,
		            "'%s' is not a number to forward to (digits, +, *, #)", number);
		return FALSE;
	}
	return features_put(ext, kind_columns[kind], number ? number : "", 0, error);
}

/* ---- crossbar-cli user dnd | forward | features ---- */

static gboolean cmd_dnd(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gboolean on;

	if (argc != 2 ||
	    (g_ascii_strcasecmp(argv[1], "on") && g_ascii_strcasecmp(argv[1], "off"))) {
		xb_cli_reply_error(r, "usage: user dnd EXT on|off");
		return FALSE;
	}
	on = !g_ascii_strcasecmp(argv[1], "on");
	if (!xb_directory_set_dnd(argv[0], on, &error)) {
		xb_cli_reply_error(r, "user dnd: %s", error->message);
		return FALSE;
	}
	xb_cli_reply_message(r, "do-not-disturb %s for %s", on ? "on" : "off", argv[0]);
	return TRUE;
}

static gboolean cmd_forward(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	XbForwardKind kind;
	const char *number;

	if (argc != 3 || !xb_forward_kind_parse(argv[1], &kind)) {
		xb_cli_reply_error(r, "usage: user forward EXT always|busy|noanswer NUMBER|off");
		return FALSE;
	}
	number = g_ascii_strcasecmp(argv[2], "off") ? argv[2] : "";
	if (!xb_directory_set_forward(argv[0], kind, number, &error)) {
		xb_cli_reply_error(r, "user forward: %s", error->message);
		return FALSE;
	}
	if (*number)
		xb_cli_reply_message(r, "%s forwards to %s (%s)", argv[0], number, argv[1]);
	else
		xb_cli_reply_message(r, "%s forwards no calls (%s)", argv[0], argv[1]);
	return TRUE;
}

static void features_row(XbCliReply *r, const char *ext, const XbCallFeatures *f)
{
	xb_cli_reply_row(r, "ext", g_variant_new_string(ext), "dnd",
	                 g_variant_new_string(f->dnd ? "on" : "off"), "always",
	                 g_variant_new_string(f->forward[XB_FORWARD_ALWAYS]), "busy",
	                 g_variant_new_string(f->forward[XB_FORWARD_BUSY]), "noanswer",
	                 g_variant_new_string(f->forward[XB_FORWARD_NOANSWER]), NULL);
}

static gboolean cmd_features(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) users = NULL;

	xb_cli_reply_columns(r, "ext", "dnd", "always", "busy", "noanswer", NULL);
	if (argc == 1) {
		g_autoptr(XbCallFeatures) f = xb_directory_features(argv[0]);
		if (!f) {
			xb_cli_reply_error(r, "user features: no user %s", argv[0]);
			return FALSE;
		}
		features_row(r, argv[0], f);
		return TRUE;
	}
	users = dir_store() ? dir_store()->list(dir_store(), &error) : NULL;
	if (!users) {
		xb_cli_reply_error(r, "user features: %s", error ? error->message : "no directory");
		return FALSE;
	}
	for (guint i = 0; i < users->len; i++) {
		const XbDirUser *u = users->pdata[i];
		g_autoptr(XbCallFeatures) f = xb_directory_features(u->ext);
		if (f)
			features_row(r, u->ext, f);
	}
	return TRUE;
}

const XbCliCommand xb_features_cli[] = {
    {"user dnd", "EXT on|off", "turn a user's do-not-disturb on or off", cmd_dnd},
    {"user forward", "EXT always|busy|noanswer NUMBER|off", "set or clear call forwarding",
     cmd_forward},
    {"user features", "[EXT]", "do-not-disturb and forwarding of the users", cmd_features},
    XB_CLI_END,
};

/* ---- dialplan applications (the feature codes) ---- */

/* "dnd EXT on|off" */
static int app_dnd(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) w = g_strsplit_set(data, " \t", -1);
	g_autoptr(GError) error = NULL;

	if (g_strv_length(w) != 2 ||
	    (g_ascii_strcasecmp(w[1], "on") && g_ascii_strcasecmp(w[1], "off")))
		return -EINVAL;
	if (!xb_directory_set_dnd(w[0], !g_ascii_strcasecmp(w[1], "on"), &error)) {
		g_message("%s: dnd: %s", xb_channel_name(ch), error->message);
		return 0;
	}
	xb_channel_set_var(ch, "dnd_result", w[1]);
	return 0;
}

/* "call_forward EXT [always|busy|noanswer] NUMBER|off" */
static int app_call_forward(XbChannel *ch, const char *data, gpointer user_data)
{
	g_auto(GStrv) w = g_strsplit_set(data, " \t", -1);
	g_autoptr(GError) error = NULL;
	XbForwardKind kind = XB_FORWARD_ALWAYS;
	guint n = g_strv_length(w);
	const char *number;

	if (n == 3 && !xb_forward_kind_parse(w[1], &kind))
		return -EINVAL;
	if (n != 2 && n != 3)
		return -EINVAL;
	number = w[n - 1];
	if (!g_ascii_strcasecmp(number, "off"))
		number = "";
	if (!xb_directory_set_forward(w[0], kind, number, &error)) {
		g_message("%s: call_forward: %s", xb_channel_name(ch), error->message);
		return 0;
	}
	return 0;
}

static const XbApp feature_apps[] = {
    {"dnd", "EXT on|off", "turn a user's do-not-disturb on or off", app_dnd},
    {"call_forward", "EXT [always|busy|noanswer] NUMBER|off", "set or clear call forwarding",
     app_call_forward},
    XB_APPS_END,
};

void dir_features_register(void)
{
	xb_cli_register(NULL, xb_features_cli, NULL);
}

void xb_directory_apps_register(void)
{
	if (!xb_app_exists("dnd"))
		xb_app_register(NULL, feature_apps, NULL);
}
