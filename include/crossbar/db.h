/* db.h: the core's SQLite helper. One database file (core.data_dir/crossbar.db) in WAL mode,
 * shared by the core and every module; a schema_version table records each component's
 * schema, and a component's migrations run in order, each in its own transaction, at
 * start-up. Queries go through cached prepared statements only: callers bind values,
 * never paste them into SQL. Each module keeps its tables behind its own small storage
 * interface so that another back end can take SQLite's place later. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

typedef struct xb_db XbDb;

#define XB_DB_ERROR (xb_db_error_quark())
GQuark xb_db_error_quark(void);
typedef enum {
	XB_DB_ERROR_OPEN,     /* cannot create or open the file */
	XB_DB_ERROR_READONLY, /* the file or its folder is not writable */
	XB_DB_ERROR_CORRUPT,  /* not a database, or damaged */
	XB_DB_ERROR_SQL,      /* a statement failed */
	XB_DB_ERROR_NEWER,    /* the schema is newer than this build knows */
} XbDbError;

typedef struct {
	int version;     /* 1, 2, 3 ... in order, no gaps */
	const char *sql; /* one or more statements, run in one transaction */
} XbMigration;

XbDb *xb_db_open(const char *path, GError **error);
void xb_db_close(XbDb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(XbDb, xb_db_close)
/* The daemon's database, or NULL before start-up opened it. */
XbDb *xb_core_db(void);
sqlite3 *xb_db_handle(XbDb *db);
const char *xb_db_path(XbDb *db);

/* Bring `component`'s schema to the last migration's version. */
gboolean xb_db_migrate(XbDb *db, const char *component, const XbMigration *migrations,
                       guint n_migrations, GError **error);
/* 0 when the component has no schema yet. */
int xb_db_schema_version(XbDb *db, const char *component);

/* A prepared statement for `sql`, cached per database and reset, bindings cleared: bind,
 * step, and leave it (the next prepare of the same text resets it). NULL with error set
 * when the SQL does not compile. */
sqlite3_stmt *xb_db_prepare(XbDb *db, const char *sql, GError **error);
/* The text of column `col` in the row a statement stands on, newly allocated (g_free);
 * "" when it is NULL. */
char *xb_db_column_dup(sqlite3_stmt *st, int col);
/* Run a statement that returns no rows, with text parameters bound in order ?1, ?2 ...
 * (NULL-terminated list). For simple writes; use xb_db_prepare for anything else. */
gboolean xb_db_run(XbDb *db, GError **error, const char *sql, ...) G_GNUC_NULL_TERMINATED;
/* An explicit transaction. xb_db_begin commits an open batch first (see below). */
gboolean xb_db_begin(XbDb *db, GError **error);
gboolean xb_db_commit(XbDb *db, GError **error);
void xb_db_rollback(XbDb *db);

/* Batched writes, for small frequent writes on the hot path (a REGISTER's binding):
 * xb_db_batch opens a transaction, unless one is open already, that every later write on
 * this database joins until it is committed, `window_ms` after it opened (a core timer),
 * or earlier by xb_db_flush, xb_db_begin or xb_db_close. Many writes then share one
 * commit: one WAL append and one round of file locks instead of one each. Reads on this
 * connection see the uncommitted writes; other processes see them after the commit. The
 * trade: a crash (not a clean stop) loses what the open batch holds. */
gboolean xb_db_batch(XbDb *db, guint window_ms, GError **error);
/* Commit the open batch now, if there is one (a write that must be durable before its
 * caller answers: a user added from the CLI). */
gboolean xb_db_flush(XbDb *db, GError **error);

G_END_DECLS
