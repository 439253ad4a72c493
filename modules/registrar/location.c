/* location.c: bindings in SQLite (the "location" component's schema), expired by one timer
 * armed for the earliest expiry, with a "registration" event for each change. Expiry times
 * are wall-clock seconds so that they mean the same after a restart; a binding that expired
 * while the daemon was down is removed at start-up without a call.
 *
 * Writes are batched (xb_db_batch): the REGISTERs of one write interval share one commit,
 * which was a third of the registrar's CPU when each had its own. SQLite stays the only
 * copy, so reads need no cache to keep coherent; a crash loses at most the last interval's
 * bindings (a clean stop commits them), and phones that lost theirs register again. */
#include "location.h"

#include <string.h>

struct location {
	XbModule *owner;
	XbDb *db;
	XbTimer *timer;
	gint64 next_expiry;      /* wall-clock second the timer is armed for, 0 when unarmed */
	guint write_interval_ms; /* batch window; 0: every REGISTER commits its own writes */
};

static const XbMigration migrations[] = {
    {1, "CREATE TABLE location ("
        " ext TEXT NOT NULL,"
        " contact TEXT NOT NULL,"
        " call_id TEXT NOT NULL,"
        " cseq INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL,"
        " q INTEGER NOT NULL DEFAULT -1,"
        " path TEXT NOT NULL DEFAULT '',"
        " source TEXT NOT NULL,"
        " user_agent TEXT NOT NULL DEFAULT '',"
        " conn_id INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (ext, contact));"
        "CREATE INDEX location_expires ON location(expires_at);"},
};

#define COLUMNS "ext, contact, call_id, cseq, expires_at, q, path, source, user_agent, conn_id"

void binding_free(Binding *b)
{
	if (!b)
		return;
	g_free(b->ext);
	g_free(b->contact);
	g_free(b->call_id);
	g_free(b->path);
	g_free(b->source);
	g_free(b->user_agent);
	g_free(b);
}

static Binding *row(sqlite3_stmt *st)
{
	Binding *b = g_new0(Binding, 1);

	b->ext = xb_db_column_dup(st, 0);
	b->contact = xb_db_column_dup(st, 1);
	b->call_id = xb_db_column_dup(st, 2);
	b->cseq = (guint32)sqlite3_column_int64(st, 3);
	b->expires_at = sqlite3_column_int64(st, 4);
	b->q = sqlite3_column_int(st, 5);
	b->path = xb_db_column_dup(st, 6);
	b->source = xb_db_column_dup(st, 7);
	b->user_agent = xb_db_column_dup(st, 8);
	b->conn_id = (guint64)sqlite3_column_int64(st, 9);
	return b;
}

static GPtrArray *query(Location *loc, const char *sql, const char *ext, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(loc->db, sql, error);
	GPtrArray *out;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, xb_clock_wall_s());
	if (ext)
		sqlite3_bind_text(st, 2, ext, -1, SQLITE_STATIC);
	out = g_ptr_array_new_with_free_func((GDestroyNotify)binding_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, row(st));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "location: %s",
		            sqlite3_errmsg(xb_db_handle(loc->db)));
		g_ptr_array_unref(out);
		return NULL;
	}
	return out;
}

GPtrArray *location_bindings(Location *loc, const char *ext, GError **error)
{
	return query(loc,
	             "SELECT " COLUMNS " FROM location WHERE expires_at > ?1 AND ext = ?2 "
	             "ORDER BY expires_at DESC, contact",
	             ext, error);
}

GPtrArray *location_all(Location *loc, GError **error)
{
	return query(loc,
	             "SELECT " COLUMNS " FROM location WHERE expires_at > ?1 ORDER BY ext, contact",
	             NULL, error);
}

guint location_count(Location *loc)
{
	sqlite3_stmt *st =
	    xb_db_prepare(loc->db, "SELECT count(*) FROM location WHERE expires_at > ?1", NULL);
	guint n = 0;

	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, xb_clock_wall_s());
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (guint)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

static void publish(const char *ext, const char *contact, const char *source, gint64 left)
{
	xb_event_publish(REGISTRATION_EVENT,
	                 g_variant_new(REGISTRATION_EVENT_TYPE, ext, contact, source, left));
}

static gboolean step_done(Location *loc, sqlite3_stmt *st, GError **error)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return TRUE;
	g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "location: %s",
	            sqlite3_errmsg(xb_db_handle(loc->db)));
	return FALSE;
}

static void arm(Location *loc);

/* One REGISTER's writes. Several statements are wrapped in a savepoint so that they land
 * together or not at all without ending the batch around them; a single statement is
 * atomic by itself and spares the savepoint. */
static gboolean write_changes(Location *loc, const char *ext, GPtrArray *put, GPtrArray *removed,
                              GError **error)
{
	sqlite3_stmt *ins, *del;

	/* An upsert rewrites a refreshed binding in place; REPLACE would delete the row and
	 * insert a new one, touching every index twice. */
	ins =
	    xb_db_prepare(loc->db,
	                  "INSERT INTO location(" COLUMNS ") "
	                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	                  "ON CONFLICT(ext, contact) DO UPDATE SET call_id = excluded.call_id, "
	                  "cseq = excluded.cseq, expires_at = excluded.expires_at, q = excluded.q, "
	                  "path = excluded.path, source = excluded.source, "
	                  "user_agent = excluded.user_agent, conn_id = excluded.conn_id",
	                  error);
	del = ins ? xb_db_prepare(loc->db, "DELETE FROM location WHERE ext = ?1 AND contact = ?2",
	                          error)
	          : NULL;
	if (!del)
		return FALSE;
	for (guint i = 0; removed && i < removed->len; i++) {
		sqlite3_bind_text(del, 1, ext, -1, SQLITE_STATIC);
		sqlite3_bind_text(del, 2, removed->pdata[i], -1, SQLITE_STATIC);
		if (!step_done(loc, del, error))
			return FALSE;
	}
	for (guint i = 0; put && i < put->len; i++) {
		Binding *b = put->pdata[i];
		sqlite3_bind_text(ins, 1, ext, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, b->contact, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, b->call_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 4, b->cseq);
		sqlite3_bind_int64(ins, 5, b->expires_at);
		sqlite3_bind_int(ins, 6, b->q);
		sqlite3_bind_text(ins, 7, b->path ? b->path : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 8, b->source, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 9, b->user_agent ? b->user_agent : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 10, (sqlite3_int64)b->conn_id);
		if (!step_done(loc, ins, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean write_atomically(Location *loc, const char *ext, GPtrArray *put, GPtrArray *removed,
                                 GError **error)
{
	guint statements = (put ? put->len : 0) + (removed ? removed->len : 0);

	if (statements <= 1)
		return write_changes(loc, ext, put, removed, error);
	if (!xb_db_run(loc->db, error, "SAVEPOINT location_apply", NULL))
		return FALSE;
	if (write_changes(loc, ext, put, removed, error))
		return xb_db_run(loc->db, error, "RELEASE location_apply", NULL);
	xb_db_run(loc->db, NULL, "ROLLBACK TO location_apply", NULL);
	xb_db_run(loc->db, NULL, "RELEASE location_apply", NULL);
	return FALSE;
}

static void announce(Location *loc, const char *ext, GPtrArray *put, GPtrArray *removed)
{
	gint64 soonest = 0;

	for (guint i = 0; removed && i < removed->len; i++)
		publish(ext, removed->pdata[i], "", 0);
	for (guint i = 0; put && i < put->len; i++) {
		Binding *b = put->pdata[i];
		publish(ext, b->contact, b->source, b->expires_at - xb_clock_wall_s());
		if (!soonest || b->expires_at < soonest)
			soonest = b->expires_at;
	}
	/* The timer only needs moving when a new binding expires before it fires; a removal
	 * at most makes it fire early and find nothing. */
	if (soonest && (!loc->timer || soonest < loc->next_expiry))
		arm(loc);
}

gboolean location_apply(Location *loc, const char *ext, GPtrArray *put, GPtrArray *removed,
                        GError **error)
{
	if (!xb_db_batch(loc->db, loc->write_interval_ms, error) ||
	    !write_atomically(loc, ext, put, removed, error))
		return FALSE;
	if (loc->write_interval_ms == 0 && !xb_db_flush(loc->db, error))
		return FALSE;
	announce(loc, ext, put, removed);
	return TRUE;
}

static void expire_cb(XbTimer *t, gpointer user_data)
{
	Location *loc = user_data;

	loc->timer = NULL;
	location_expire(loc);
}

/* One timer, for the earliest expiry. */
static void arm(Location *loc)
{
	sqlite3_stmt *st = xb_db_prepare(loc->db, "SELECT min(expires_at) FROM location", NULL);
	gint64 next = 0;

	xb_timer_clear(&loc->timer);
	loc->next_expiry = 0;
	if (!st)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		next = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	loc->next_expiry = next;
	if (next)
		loc->timer = xb_timer_start(
		    loc->owner, MAX(next - xb_clock_wall_s(), 0) * 1000 + 10, expire_cb, loc);
}

void location_expire(Location *loc)
{
	g_autoptr(GError) error = NULL;
	sqlite3_stmt *st = xb_db_prepare(
	    loc->db, "SELECT " COLUMNS " FROM location WHERE expires_at <= ?1", &error);
	g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func((GDestroyNotify)binding_free);
	gint64 now = xb_clock_wall_s();

	if (!st) {
		g_warning("location: %s", error->message);
		return;
	}
	sqlite3_bind_int64(st, 1, now);
	while (sqlite3_step(st) == SQLITE_ROW)
		g_ptr_array_add(gone, row(st));
	sqlite3_reset(st);
	if (gone->len) {
		sqlite3_stmt *del =
		    xb_db_prepare(loc->db, "DELETE FROM location WHERE expires_at <= ?1", NULL);
		if (del) {
			sqlite3_bind_int64(del, 1, now);
			sqlite3_step(del);
			sqlite3_reset(del);
		}
		for (guint i = 0; i < gone->len; i++) {
			Binding *b = gone->pdata[i];
			g_info("registration of %s at %s expired", b->ext, b->contact);
			publish(b->ext, b->contact, b->source, 0);
		}
	}
	arm(loc);
}

void location_set_write_interval(Location *loc, guint ms)
{
	loc->write_interval_ms = ms;
}

Location *location_new(XbModule *owner, XbDb *db, GError **error)
{
	Location *loc;

	if (!xb_event_type_register(REGISTRATION_EVENT, REGISTRATION_EVENT_TYPE)) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_CONFLICT,
		            "event type '%s' is taken with another payload", REGISTRATION_EVENT);
		return NULL;
	}
	if (!xb_db_migrate(db, "location", migrations, G_N_ELEMENTS(migrations), error))
		return NULL;
	loc = g_new0(Location, 1);
	loc->owner = owner;
	loc->db = db;
	/* Connections of an earlier run are gone: their ids mean nothing now. */
	xb_db_run(db, NULL, "UPDATE location SET conn_id = 0", NULL);
	location_expire(loc);
	return loc;
}

void location_free(Location *loc)
{
	g_autoptr(GError) error = NULL;

	if (!loc)
		return;
	/* A clean stop keeps every binding that was answered with a 200. */
	if (!xb_db_flush(loc->db, &error))
		g_warning("location: %s", error->message);
	xb_timer_clear(&loc->timer);
	g_free(loc);
}
