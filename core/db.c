/* db.c: the SQLite helper. Opens (or creates) the database in WAL mode, proves on open that
 * the file is a writable SQLite database, runs per-component migrations in transactions and
 * caches prepared statements. Errors say which file and what is wrong with it, never an
 * SQLite return code alone. */
#include "core_private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <unistd.h>

GQuark xb_db_error_quark(void)
{
	return g_quark_from_static_string("xb-db-error-quark");
}

struct xb_db {
	sqlite3 *handle;
	char *path;
	GHashTable *stmts;     /* sql text -> sqlite3_stmt * */
	gboolean in_batch;     /* a batch transaction is open (xb_db_batch) */
	XbTimer *batch_commit; /* commits it at the end of its window */
};

static XbDb *core_db;

XbDb *xb_core_db(void)
{
	return core_db;
}

void xb_core_set_db(XbDb *db)
{
	core_db = db;
}

sqlite3 *xb_db_handle(XbDb *db)
{
	return db->handle;
}

const char *xb_db_path(XbDb *db)
{
	return db->path;
}

static void stmt_free(gpointer data)
{
	sqlite3_finalize(data);
}

static int error_code_for(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return XB_DB_ERROR_CORRUPT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return XB_DB_ERROR_READONLY;
	case SQLITE_CANTOPEN:
		return XB_DB_ERROR_OPEN;
	default:
		return XB_DB_ERROR_SQL;
	}
}

static gboolean fail(XbDb *db, int rc, GError **error, const char *what)
{
	int code = error_code_for(rc);
	const char *hint = "";

	if (code == XB_DB_ERROR_CORRUPT)
		hint = " (the file is not a crossbar database or is damaged; restore it from a "
		       "backup or move it away)";
	else if (code == XB_DB_ERROR_READONLY)
		hint = " (the file or its folder is not writable by this user)";
	g_set_error(error, XB_DB_ERROR, code, "database %s: %s: %s%s", db->path, what,
	            sqlite3_errmsg(db->handle), hint);
	return FALSE;
}

static gboolean exec_script(XbDb *db, const char *sql, GError **error)
{
	const char *tail = sql;

	while (tail && *tail) {
		sqlite3_stmt *stmt = NULL;
		int rc = sqlite3_prepare_v2(db->handle, tail, -1, &stmt, &tail);

		if (rc != SQLITE_OK)
			return fail(db, rc, error, "statement does not compile");
		if (!stmt)
			break; /* only whitespace or comments were left */
		do
			rc = sqlite3_step(stmt);
		while (rc == SQLITE_ROW);
		sqlite3_finalize(stmt);
		if (rc != SQLITE_DONE)
			return fail(db, rc, error, "statement failed");
	}
	return TRUE;
}

XbDb *xb_db_open(const char *path, GError **error)
{
	XbDb *db = g_new0(XbDb, 1);
	int rc;

	db->path = g_strdup(path);
	db->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stmt_free);
	if (g_file_test(path, G_FILE_TEST_EXISTS) && access(path, W_OK) != 0) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_READONLY,
		            "database %s: not writable by this user: %s", path, g_strerror(errno));
		goto out;
	}
	/* The file holds password-equivalent digests: it is born 0600 (SQLite would make it
	 * 0644 less the umask, and its -wal and -shm files copy the database's mode), and an
	 * older one that others could read is closed to them. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		close(fd);
	} else {
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) &&
		    chmod(path, st.st_mode & 0700) == 0)
			g_message("database %s: others could read it; its mode is now %04o", path,
			          (unsigned)(st.st_mode & 0700));
	}
	rc =
	    sqlite3_open_v2(path, &db->handle,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		g_autofree char *dir = g_path_get_dirname(path);
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_OPEN, "database %s: cannot open: %s%s",
		            path, db->handle ? sqlite3_errmsg(db->handle) : "out of memory",
		            access(dir, W_OK) != 0 ? " (its folder is not writable)" : "");
		goto out;
	}
	sqlite3_extended_result_codes(db->handle, 1);
	sqlite3_busy_timeout(db->handle, 2000);
	if (sqlite3_db_readonly(db->handle, "main") == 1) {
		g_set_error(
		    error, XB_DB_ERROR, XB_DB_ERROR_READONLY,
		    "database %s: opened read-only (the file or its folder is not writable)", path);
		goto out;
	}
	/* The first read of the header tells a corrupt or foreign file from a database. */
	if (!exec_script(db,
	                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	                 "PRAGMA foreign_keys=ON; "
	                 "CREATE TABLE IF NOT EXISTS schema_version ("
	                 " component TEXT PRIMARY KEY, version INTEGER NOT NULL,"
	                 " updated_at INTEGER NOT NULL);",
	                 error))
		goto out;
	if (!exec_script(db, "PRAGMA quick_check;", error))
		goto out;
	return db;
out:
	xb_db_close(db);
	return NULL;
}

void xb_db_close(XbDb *db)
{
	g_autoptr(GError) error = NULL;

	if (!db)
		return;
	if (db->handle && !xb_db_flush(db, &error))
		g_warning("%s", error->message);
	xb_timer_clear(&db->batch_commit);
	g_hash_table_unref(db->stmts);
	if (db->handle)
		sqlite3_close(db->handle);
	if (core_db == db)
		core_db = NULL;
	g_free(db->path);
	g_free(db);
}

sqlite3_stmt *xb_db_prepare(XbDb *db, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = g_hash_table_lookup(db->stmts, sql);
	int rc;

	if (stmt) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return stmt;
	}
	rc = sqlite3_prepare_v3(db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	if (rc != SQLITE_OK) {
		fail(db, rc, error, "statement does not compile");
		return NULL;
	}
	g_hash_table_insert(db->stmts, g_strdup(sql), stmt);
	return stmt;
}

char *xb_db_column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return g_strdup(t ? (const char *)t : "");
}

gboolean xb_db_run(XbDb *db, GError **error, const char *sql, ...)
{
	sqlite3_stmt *stmt = xb_db_prepare(db, sql, error);
	va_list ap;
	int i = 1, rc;
	const char *arg;

	if (!stmt)
		return FALSE;
	va_start(ap, sql);
	while ((arg = va_arg(ap, const char *)))
		sqlite3_bind_text(stmt, i++, arg, -1, SQLITE_TRANSIENT);
	va_end(ap);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(db, rc, error, "write failed");
	return TRUE;
}

gboolean xb_db_begin(XbDb *db, GError **error)
{
	return xb_db_flush(db, error) && xb_db_run(db, error, "BEGIN IMMEDIATE", NULL);
}

gboolean xb_db_commit(XbDb *db, GError **error)
{
	return xb_db_run(db, error, "COMMIT", NULL);
}

void xb_db_rollback(XbDb *db)
{
	if (!sqlite3_get_autocommit(db->handle))
		xb_db_run(db, NULL, "ROLLBACK", NULL);
	db->in_batch = FALSE;
	xb_timer_clear(&db->batch_commit);
}

/* ---- batches ---- */

/* SQLite ends a transaction by itself on some errors (disk full, I/O error): a batch that
 * is gone must not be believed open, and its loss is worth a line in the log. */
static void batch_check_alive(XbDb *db)
{
	if (!db->in_batch || !sqlite3_get_autocommit(db->handle))
		return;
	g_warning("database %s: an error rolled back the batch of writes in progress", db->path);
	db->in_batch = FALSE;
	xb_timer_clear(&db->batch_commit);
}

static void batch_commit_cb(XbTimer *timer, gpointer user_data)
{
	XbDb *db = user_data;
	g_autoptr(GError) error = NULL;

	db->batch_commit = NULL;
	if (!xb_db_flush(db, &error))
		g_warning("%s", error->message);
}

gboolean xb_db_batch(XbDb *db, guint window_ms, GError **error)
{
	batch_check_alive(db);
	if (db->in_batch)
		return TRUE;
	if (!xb_db_run(db, error, "BEGIN IMMEDIATE", NULL))
		return FALSE;
	db->in_batch = TRUE;
	db->batch_commit = xb_timer_start(NULL, window_ms, batch_commit_cb, db);
	return TRUE;
}

gboolean xb_db_flush(XbDb *db, GError **error)
{
	batch_check_alive(db);
	if (!db->in_batch)
		return TRUE;
	xb_timer_clear(&db->batch_commit);
	if (xb_db_run(db, error, "COMMIT", NULL)) {
		db->in_batch = FALSE;
		return TRUE;
	}
	/* A COMMIT that failed busy leaves the transaction open: try again a little later
	 * rather than lose the writes. Any other failure ended it. */
	if (sqlite3_get_autocommit(db->handle))
		db->in_batch = FALSE;
	else
		db->batch_commit = xb_timer_start(NULL, 50, batch_commit_cb, db);
	g_prefix_error(error, "committing a batch of writes: ");
	return FALSE;
}

int xb_db_schema_version(XbDb *db, const char *component)
{
	sqlite3_stmt *stmt =
	    xb_db_prepare(db, "SELECT version FROM schema_version WHERE component = ?1", NULL);
	int version = 0;

	if (!stmt)
		return -1;
	sqlite3_bind_text(stmt, 1, component, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_reset(stmt);
	return version;
}

gboolean xb_db_migrate(XbDb *db, const char *component, const XbMigration *migrations,
                       guint n_migrations, GError **error)
{
	int have = xb_db_schema_version(db, component);
	int latest = n_migrations ? migrations[n_migrations - 1].version : 0;

	if (have < 0)
		return fail(db, SQLITE_ERROR, error, "cannot read schema_version");
	if (have > latest) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_NEWER,
		            "database %s: schema of '%s' is version %d, this build knows only up "
		            "to %d (was it written by a newer crossbar?)",
		            db->path, component, have, latest);
		return FALSE;
	}
	for (guint i = 0; i < n_migrations; i++) {
		const XbMigration *m = &migrations[i];
		g_autofree char *version = NULL, *now = NULL;

		if (m->version != (int)i + 1) {
			g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL,
			            "migrations of '%s' must be numbered 1, 2, 3 ... (found %d at "
			            "position %u)",
			            component, m->version, i + 1);
			return FALSE;
		}
		if (m->version <= have)
			continue;
		if (!xb_db_begin(db, error))
			return FALSE;
		version = g_strdup_printf("%d", m->version);
		now = g_strdup_printf("%" G_GINT64_FORMAT, xb_clock_wall_s());
		if (!exec_script(db, m->sql, error) ||
		    !xb_db_run(db, error,
		               "INSERT INTO schema_version(component, version, updated_at) "
		               "VALUES (?1, ?2, ?3) ON CONFLICT(component) DO UPDATE SET "
		               "version = excluded.version, updated_at = excluded.updated_at",
		               component, version, now, NULL) ||
		    !xb_db_commit(db, error)) {
			xb_db_rollback(db);
			g_prefix_error(error, "migration %d of '%s': ", m->version, component);
			return FALSE;
		}
		g_info("database: '%s' schema now at version %d", component, m->version);
	}
	return TRUE;
}
