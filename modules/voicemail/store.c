/* store.c: the voicemail index in SQLite on the core's database (the "voicemail" component's
 * migrations). Every write commits before it returns (xb_db_flush): a message is deposited
 * once its file is complete and renamed into place, and its row must then outlive a crash.
 * A box exists when the directory has a user of that extension; the store keeps no box rows. */
#include "store.h"
#include "mwi.h"

#include <crossbar/crossbar.h>
#include <string.h>

static XbDb *store_db;

static const XbMigration migrations[] = {
    {1, "CREATE TABLE vm_message ("
        " id TEXT PRIMARY KEY,"
        " box TEXT NOT NULL,"
        " folder TEXT NOT NULL,"
        " caller_id_number TEXT NOT NULL DEFAULT '',"
        " caller_id_name TEXT NOT NULL DEFAULT '',"
        " created INTEGER NOT NULL,"
        " duration_ms INTEGER NOT NULL,"
        " file TEXT NOT NULL);"
        "CREATE INDEX vm_message_box ON vm_message(box, folder, created);"
        "CREATE INDEX vm_message_created ON vm_message(created);"},
};

#define COLUMNS "id, box, folder, caller_id_number, caller_id_name, created, duration_ms, file"

void vm_message_free(VmMessage *msg)
{
	if (!msg)
		return;
	g_free(msg->id);
	g_free(msg->box);
	g_free(msg->folder);
	g_free(msg->caller_id_number);
	g_free(msg->caller_id_name);
	g_free(msg->file);
	g_free(msg);
}

static VmMessage *row_message(sqlite3_stmt *st)
{
	VmMessage *m = g_new0(VmMessage, 1);

	m->id = xb_db_column_dup(st, 0);
	m->box = xb_db_column_dup(st, 1);
	m->folder = xb_db_column_dup(st, 2);
	m->caller_id_number = xb_db_column_dup(st, 3);
	m->caller_id_name = xb_db_column_dup(st, 4);
	m->created = sqlite3_column_int64(st, 5);
	m->duration_ms = (guint)sqlite3_column_int64(st, 6);
	m->file = xb_db_column_dup(st, 7);
	return m;
}

static gboolean sql_failed(GError **error, const char *what)
{
	g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "%s: %s", what,
	            sqlite3_errmsg(xb_db_handle(store_db)));
	return FALSE;
}

gboolean vm_store_open(GError **error)
{
	store_db = xb_core_db();
	if (!store_db) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_OPEN, "the core has no database");
		return FALSE;
	}
	return xb_db_migrate(store_db, "voicemail", migrations, G_N_ELEMENTS(migrations), error);
}

void vm_store_close(void)
{
	if (store_db)
		xb_db_flush(store_db, NULL);
	store_db = NULL;
}

gboolean vm_store_add(const VmMessage *m, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(
	    store_db,
	    "INSERT INTO vm_message (" COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);

	if (!st)
		return FALSE;
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, m->box, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, m->folder, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, m->caller_id_number ? m->caller_id_number : "", -1,
	                  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, m->caller_id_name ? m->caller_id_name : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, m->created);
	sqlite3_bind_int64(st, 7, m->duration_ms);
	sqlite3_bind_text(st, 8, m->file, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sql_failed(error, "cannot add a message");
	return xb_db_flush(store_db, error);
}

static GPtrArray *collect(sqlite3_stmt *st, GError **error)
{
	GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)vm_message_free);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(all, row_message(st));
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(all);
		sql_failed(error, "cannot read messages");
		return NULL;
	}
	return all;
}

GPtrArray *vm_store_list(const char *box, const char *folder, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(
	    store_db,
	    "SELECT " COLUMNS " FROM vm_message WHERE box = ?1 AND (?2 IS NULL OR folder = ?2)"
	    " ORDER BY folder = 'new' DESC, created, rowid",
	    error);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, box, -1, SQLITE_TRANSIENT);
	if (folder)
		sqlite3_bind_text(st, 2, folder, -1, SQLITE_TRANSIENT);
	return collect(st, error);
}

VmMessage *vm_store_find(const char *box, const char *id, gboolean *ambiguous, GError **error)
{
	sqlite3_stmt *st;
	g_autofree char *pattern = NULL;
	VmMessage *found = NULL;
	int rc;

	*ambiguous = FALSE;
	if (strlen(id) < 4 || strlen(id) > 32 || strspn(id, "0123456789abcdef") != strlen(id))
		return NULL;
	st = xb_db_prepare(store_db,
	                   "SELECT " COLUMNS " FROM vm_message WHERE box = ?1 AND id GLOB ?2"
	                   " LIMIT 2",
	                   error);
	if (!st)
		return NULL;
	pattern = g_strconcat(id, "*", NULL);
	sqlite3_bind_text(st, 1, box, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, pattern, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (found) {
			*ambiguous = TRUE;
			g_clear_pointer(&found, vm_message_free);
			break;
		}
		found = row_message(st);
	}
	return found;
}

gboolean vm_store_set_folder(const char *id, const char *folder, GError **error)
{
	if (!xb_db_run(store_db, error, "UPDATE vm_message SET folder = ?2 WHERE id = ?1", id,
	               folder, NULL))
		return FALSE;
	return xb_db_flush(store_db, error);
}

gboolean vm_store_delete(const char *id, GError **error)
{
	if (!xb_db_run(store_db, error, "DELETE FROM vm_message WHERE id = ?1", id, NULL))
		return FALSE;
	return xb_db_flush(store_db, error);
}

GPtrArray *vm_store_older(gint64 before, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(
	    store_db, "SELECT " COLUMNS " FROM vm_message WHERE created < ?1 ORDER BY created",
	    error);

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, before);
	return collect(st, error);
}

gboolean vm_store_usage(const char *box, guint *messages, guint64 *ms, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(
	    store_db,
	    "SELECT count(*), coalesce(sum(duration_ms), 0) FROM vm_message WHERE box = ?1", error);

	if (!st)
		return FALSE;
	sqlite3_bind_text(st, 1, box, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sql_failed(error, "cannot count messages");
	*messages = (guint)sqlite3_column_int64(st, 0);
	*ms = (guint64)sqlite3_column_int64(st, 1);
	return TRUE;
}

GHashTable *vm_store_files(GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(store_db, "SELECT file FROM vm_message", error);
	GHashTable *files;
	int rc;

	if (!st)
		return NULL;
	files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_hash_table_add(files, xb_db_column_dup(st, 0));
	if (rc != SQLITE_DONE) {
		g_hash_table_unref(files);
		sql_failed(error, "cannot read messages");
		return NULL;
	}
	return files;
}

gboolean vm_store_counts(const char *box, guint *new_count, guint *old_count)
{
	g_autoptr(XbDirUser) user = box ? xb_directory_lookup(box) : NULL;
	sqlite3_stmt *st;

	*new_count = *old_count = 0;
	if (!user || !store_db)
		return FALSE;
	st = xb_db_prepare(
	    store_db,
	    "SELECT coalesce(sum(folder = 'new'), 0), coalesce(sum(folder <> 'new'), 0)"
	    " FROM vm_message WHERE box = ?1",
	    NULL);
	if (!st)
		return FALSE;
	sqlite3_bind_text(st, 1, box, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		return FALSE;
	*new_count = (guint)sqlite3_column_int64(st, 0);
	*old_count = (guint)sqlite3_column_int64(st, 1);
	return TRUE;
}
