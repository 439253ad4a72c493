/* directory_sqlite.c: the directory's SQLite store, on the core's database. Its schema is
 * the "directory" component's migrations; every query is a cached prepared statement. */
#include "directory_private.h"

typedef struct {
	DirStore base;
	XbDb *db;
} SqliteStore;

static const XbMigration migrations[] = {
    {1, "CREATE TABLE users ("
        " ext TEXT PRIMARY KEY,"
        " name TEXT NOT NULL DEFAULT '',"
        " realm TEXT NOT NULL,"
        " ha1_md5 TEXT NOT NULL,"
        " ha1_sha256 TEXT NOT NULL,"
        " pin_hash TEXT NOT NULL DEFAULT '',"
        " pin_salt TEXT NOT NULL DEFAULT '',"
        " context TEXT NOT NULL DEFAULT 'default',"
        " caller_id TEXT NOT NULL DEFAULT '',"
        " email TEXT NOT NULL DEFAULT '',"
        " turn_key TEXT NOT NULL DEFAULT '',"
        " turn_realm TEXT NOT NULL DEFAULT '',"
        " source TEXT NOT NULL DEFAULT 'cli',"
        " max_contacts INTEGER NOT NULL DEFAULT 3,"
        " updated_at INTEGER NOT NULL);"},
};

#define COLUMNS                                                                                    \
	"ext, name, realm, ha1_md5, ha1_sha256, pin_hash, pin_salt, context, caller_id, email, "   \
	"turn_key, turn_realm, source, max_contacts"

static DirUser *row_user(sqlite3_stmt *st)
{
	DirUser *u = g_new0(DirUser, 1);

	u->ext = xb_db_column_dup(st, 0);
	u->name = xb_db_column_dup(st, 1);
	u->realm = xb_db_column_dup(st, 2);
	u->ha1_md5 = xb_db_column_dup(st, 3);
	u->ha1_sha256 = xb_db_column_dup(st, 4);
	u->pin_hash = xb_db_column_dup(st, 5);
	u->pin_salt = xb_db_column_dup(st, 6);
	u->context = xb_db_column_dup(st, 7);
	u->caller_id = xb_db_column_dup(st, 8);
	u->email = xb_db_column_dup(st, 9);
	u->turn_key = xb_db_column_dup(st, 10);
	u->turn_realm = xb_db_column_dup(st, 11);
	u->source = xb_db_column_dup(st, 12);
	u->max_contacts = sqlite3_column_int(st, 13);
	return u;
}

static gboolean step_error(XbDb *db, int rc, GError **error)
{
	g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "directory: %s",
	            sqlite3_errmsg(xb_db_handle(db)));
	return FALSE;
}

static DirUser *sq_get(DirStore *base, const char *ext, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;
	sqlite3_stmt *st =
	    xb_db_prepare(s->db, "SELECT " COLUMNS " FROM users WHERE ext = ?1", error);
	DirUser *u = NULL;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		u = row_user(st);
	else if (rc != SQLITE_DONE)
		step_error(s->db, rc, error);
	sqlite3_reset(st);
	return u;
}

static gboolean sq_put(DirStore *base, const DirUser *u, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;
	sqlite3_stmt *st = xb_db_prepare(
	    s->db,
	    "INSERT INTO users(" COLUMNS ", updated_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
	    "ON CONFLICT(ext) DO UPDATE SET name = excluded.name, realm = excluded.realm, "
	    "ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256, "
	    "pin_hash = excluded.pin_hash, pin_salt = excluded.pin_salt, "
	    "context = excluded.context, caller_id = excluded.caller_id, email = excluded.email, "
	    "turn_key = excluded.turn_key, turn_realm = excluded.turn_realm, "
	    "source = excluded.source, max_contacts = excluded.max_contacts, "
	    "updated_at = excluded.updated_at",
	    error);
	const char *vals[] = {u->ext,      u->name,       u->realm,   u->ha1_md5,   u->ha1_sha256,
	                      u->pin_hash, u->pin_salt,   u->context, u->caller_id, u->email,
	                      u->turn_key, u->turn_realm, u->source};
	int rc;

	if (!st)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(vals); i++)
		sqlite3_bind_text(st, (int)i + 1, vals[i] ? vals[i] : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 14, u->max_contacts);
	sqlite3_bind_int64(st, 15, xb_clock_wall_s());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_error(s->db, rc, error);
	/* A write issued while the registrar's batch is open joins it: commit now, so that
	 * a user the CLI reports added is on disk. */
	return xb_db_flush(s->db, error);
}

static gboolean sq_del(DirStore *base, const char *ext, gboolean *existed, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;
	sqlite3_stmt *st = xb_db_prepare(s->db, "DELETE FROM users WHERE ext = ?1", error);
	int rc;

	if (!st)
		return FALSE;
	sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return step_error(s->db, rc, error);
	if (existed)
		*existed = sqlite3_changes(xb_db_handle(s->db)) > 0;
	/* A user's call features go with the user (features.c's table, on this database). */
	if (!xb_db_run(s->db, error, "DELETE FROM call_features WHERE ext = ?1", ext, NULL))
		return FALSE;
	return xb_db_flush(s->db, error);
}

static GPtrArray *sq_list(DirStore *base, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;
	sqlite3_stmt *st =
	    xb_db_prepare(s->db, "SELECT " COLUMNS " FROM users ORDER BY ext", error);
	GPtrArray *out;
	int rc;

	if (!st)
		return NULL;
	out = g_ptr_array_new_with_free_func((GDestroyNotify)xb_dir_user_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, row_user(st));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		step_error(s->db, rc, error);
		g_ptr_array_unref(out);
		return NULL;
	}
	return out;
}

static void sq_free(DirStore *base)
{
	g_free(base);
}

DirStore *dir_store_sqlite_new(XbDb *db, GError **error)
{
	SqliteStore *s;

	if (!xb_db_migrate(db, "directory", migrations, G_N_ELEMENTS(migrations), error))
		return NULL;
	s = g_new0(SqliteStore, 1);
	s->db = db;
	s->base.get = sq_get;
	s->base.put = sq_put;
	s->base.del = sq_del;
	s->base.list = sq_list;
	s->base.free = sq_free;
	return &s->base;
}
