/* store_sqlite.c: the voicemail index in SQLite on the core's database (the "voicemail"
 * component's migrations). Every write commits before it returns (xb_db_flush): a message
 * is deposited once its file is complete and renamed into place, and its row must then
 * outlive a crash. */
#include "store.h"

#include <crossbar/crossbar.h>
#include <string.h>

typedef struct {
	VmStore base;
	XbDb *db;
} SqliteStore;

#define DB(s) (((SqliteStore *)(s))->db)

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

static gboolean sql_failed(XbDb *db, GError **error, const char *what)
{
	g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "%s: %s", what,
	            sqlite3_errmsg(xb_db_handle(db)));
	return FALSE;
}

static gboolean sq_add(VmStore *s, const VmMessage *m, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(
	    DB(s), "INSERT INTO vm_message (" COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    error);

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
		return sql_failed(DB(s), error, "cannot add a message");
	return xb_db_flush(DB(s), error);
}

static GPtrArray *collect(XbDb *db, sqlite3_stmt *st, GError **error)
{
	GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)vm_message_free);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(all, row_message(st));
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(all);
		sql_failed(db, error, "cannot read messages");
		return NULL;
	}
	return all;
}

static GPtrArray *sq_list(VmStore *s, const char *box, const char *folder, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(
	    DB(s),
	    "SELECT " COLUMNS " FROM vm_message WHERE box = ?1 AND (?2 IS NULL OR folder = ?2)"
	    " ORDER BY folder = 'new' DESC, created, rowid",
	    error);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, box, -1, SQLITE_TRANSIENT);
	if (folder)
		sqlite3_bind_text(st, 2, folder, -1, SQLITE_TRANSIENT);
	return collect(DB(s), st, error);
}

static VmMessage *sq_find(VmStore *s, const char *box, const char *id, gboolean *ambiguous,
                          GError **error)
{
	sqlite3_stmt *st;
	g_autofree char *pattern = NULL;
	VmMessage *found = NULL;
	int rc;

	*ambiguous = FALSE;
	if (strlen(id) < 4 || strlen(id) > 32 || strspn(id, "0123456789abcdef") != strlen(id))
		return NULL;
	st = xb_db_prepare(DB(s),
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

static gboolean sq_set_folder(VmStore *s, const char *id, const char *folder, GError **error)
{
	if (!xb_db_run(DB(s), error, "UPDATE vm_message SET folder = ?2 WHERE id = ?1", id, folder,
	               NULL))
		return FALSE;
	return xb_db_flush(DB(s), error);
}

static gboolean sq_delete(VmStore *s, const char *id, GError **error)
{
	if (!xb_db_run(DB(s), error, "DELETE FROM vm_message WHERE id = ?1", id, NULL))
		return FALSE;
	return xb_db_flush(DB(s), error);
}

static GPtrArray *sq_older(VmStore *s, gint64 before, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(
	    DB(s), "SELECT " COLUMNS " FROM vm_message WHERE created < ?1 ORDER BY created", error);

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, before);
	return collect(DB(s), st, error);
}

static gboolean sq_usage(VmStore *s, const char *box, guint *messages, guint64 *ms, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(
	    DB(s), "SELECT count(*), coalesce(sum(duration_ms), 0) FROM vm_message WHERE box = ?1",
	    error);

	if (!st)
		return FALSE;
	sqlite3_bind_text(st, 1, box, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sql_failed(DB(s), error, "cannot count messages");
	*messages = (guint)sqlite3_column_int64(st, 0);
	*ms = (guint64)sqlite3_column_int64(st, 1);
	return TRUE;
}

static GHashTable *sq_files(VmStore *s, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(DB(s), "SELECT file FROM vm_message", error);
	GHashTable *files;
	int rc;

	if (!st)
		return NULL;
	files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_hash_table_add(files, xb_db_column_dup(st, 0));
	if (rc != SQLITE_DONE) {
		g_hash_table_unref(files);
		sql_failed(DB(s), error, "cannot read messages");
		return NULL;
	}
	return files;
}

static gboolean sq_counts(VmStore *s, const char *box, guint *new_count, guint *old_count,
                          GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(DB(s),
	                                 "SELECT coalesce(sum(folder = 'new'), 0),"
	                                 " coalesce(sum(folder <> 'new'), 0)"
	                                 " FROM vm_message WHERE box = ?1",
	                                 error);

	if (!st)
		return FALSE;
	sqlite3_bind_text(st, 1, box, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sql_failed(DB(s), error, "cannot count messages");
	*new_count = (guint)sqlite3_column_int64(st, 0);
	*old_count = (guint)sqlite3_column_int64(st, 1);
	return TRUE;
}

static gboolean sq_drop_file(VmStore *s, const char *file, GError **error)
{
	return xb_db_run(DB(s), error, "DELETE FROM vm_message WHERE file = ?1", file, NULL) &&
	       xb_db_flush(DB(s), error);
}

static void sq_close(VmStore *s)
{
	xb_db_flush(DB(s), NULL);
	g_free(s);
}

VmStore *vm_store_sqlite_new(XbDb *db, GError **error)
{
	SqliteStore *s;

	if (!xb_db_migrate(db, "voicemail", migrations, G_N_ELEMENTS(migrations), error))
		return NULL;
	s = g_new0(SqliteStore, 1);
	s->db = db;
	s->base.add = sq_add;
	s->base.list = sq_list;
	s->base.find = sq_find;
	s->base.set_folder = sq_set_folder;
	s->base.remove = sq_delete;
	s->base.older = sq_older;
	s->base.usage = sq_usage;
	s->base.counts = sq_counts;
	s->base.files = sq_files;
	s->base.drop_file = sq_drop_file;
	s->base.close = sq_close;
	return &s->base;
}
