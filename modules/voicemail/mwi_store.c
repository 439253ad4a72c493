/* mwi_store.c: message waiting's subscriptions in the core's SQLite database, so that a
 * restart keeps them (the phones keep their dialogs and only refresh them). Expiry times
 * are wall-clock seconds; those that passed while the daemon was down are dropped at load.
 * Writes join the database's batch (a commit per 20 ms); a crash can lose the last window,
 * so the NOTIFY CSeq is moved past what may have been lost when a subscription is loaded.
 * Failures are logged: a subscription that was not written still works until a restart. */
#include "mwi_private.h"

#define WRITE_WINDOW_MS 20

static const XbMigration migrations[] = {
    {1, "CREATE TABLE mwi_subscription ("
        " call_id TEXT NOT NULL,"
        " local_tag TEXT NOT NULL,"
        " remote_tag TEXT NOT NULL,"
        " box TEXT NOT NULL,"
        " local_uri TEXT NOT NULL,"
        " remote_uri TEXT NOT NULL,"
        " target TEXT NOT NULL,"
        " route TEXT NOT NULL DEFAULT '',"
        " event_id TEXT NOT NULL DEFAULT '',"
        " source TEXT NOT NULL,"
        " local_cseq INTEGER NOT NULL,"
        " remote_cseq INTEGER NOT NULL,"
        " expires_at INTEGER NOT NULL,"
        " PRIMARY KEY (call_id, local_tag, remote_tag));"
        "CREATE INDEX mwi_subscription_box ON mwi_subscription(box);"},
};

#define COLUMNS                                                                                    \
	"call_id, local_tag, remote_tag, box, local_uri, remote_uri, target, route, event_id, "    \
	"source, local_cseq, remote_cseq, expires_at"

/* NOTIFYs that a crash may have sent without their CSeq reaching the disk. */
#define CSEQ_MARGIN 64

gboolean mwi_store_open(GError **error)
{
	return xb_db_migrate(xb_core_db(), "mwi", migrations, G_N_ELEMENTS(migrations), error);
}

static void failed(const char *what)
{
	xb_warning("voicemail: message waiting: cannot %s a subscription: %s", what,
	           sqlite3_errmsg(xb_db_handle(xb_core_db())));
}

static gboolean step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE;
}

GPtrArray *mwi_store_load(GError **error)
{
	XbDb *db = xb_core_db();
	GPtrArray *out;
	sqlite3_stmt *st;
	int rc;

	st = xb_db_prepare(db, "DELETE FROM mwi_subscription WHERE expires_at <= ?1", error);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, xb_clock_wall_s());
	if (!step(st))
		failed("drop expired");
	st = xb_db_prepare(db, "SELECT " COLUMNS " FROM mwi_subscription ORDER BY expires_at",
	                   error);
	if (!st)
		return NULL;
	out = g_ptr_array_new_with_free_func((GDestroyNotify)mwi_sub_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		MwiSub *s = g_new0(MwiSub, 1);
		s->call_id = xb_db_column_dup(st, 0);
		s->local_tag = xb_db_column_dup(st, 1);
		s->remote_tag = xb_db_column_dup(st, 2);
		s->box = xb_db_column_dup(st, 3);
		s->local_uri = xb_db_column_dup(st, 4);
		s->remote_uri = xb_db_column_dup(st, 5);
		s->target = xb_db_column_dup(st, 6);
		s->route = xb_db_column_dup(st, 7);
		s->event_id = xb_db_column_dup(st, 8);
		s->source = xb_db_column_dup(st, 9);
		s->local_cseq = (guint32)sqlite3_column_int64(st, 10) + CSEQ_MARGIN;
		s->remote_cseq = (guint32)sqlite3_column_int64(st, 11);
		s->expires_at = sqlite3_column_int64(st, 12);
		s->key = g_strjoin("\n", s->call_id, s->local_tag, s->remote_tag, NULL);
		g_ptr_array_add(out, s);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "mwi_subscription: %s",
		            sqlite3_errmsg(xb_db_handle(db)));
		g_ptr_array_unref(out);
		return NULL;
	}
	return out;
}

static gboolean batch(void)
{
	g_autoptr(GError) error = NULL;

	if (xb_db_batch(xb_core_db(), WRITE_WINDOW_MS, &error))
		return TRUE;
	xb_warning("voicemail: message waiting: %s", error->message);
	return FALSE;
}

void mwi_store_put(const MwiSub *s)
{
	sqlite3_stmt *st;

	if (!batch())
		return;
	st = xb_db_prepare(xb_core_db(),
	                   "INSERT INTO mwi_subscription(" COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, "
	                   "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT(call_id, local_tag, "
	                   "remote_tag) DO UPDATE SET target = excluded.target, "
	                   "source = excluded.source, local_cseq = excluded.local_cseq, "
	                   "remote_cseq = excluded.remote_cseq, expires_at = excluded.expires_at",
	                   NULL);
	if (!st) {
		failed("store");
		return;
	}
	const char *text[] = {s->call_id,    s->local_tag, s->remote_tag, s->box,      s->local_uri,
	                      s->remote_uri, s->target,    s->route,      s->event_id, s->source};
	for (guint i = 0; i < G_N_ELEMENTS(text); i++)
		sqlite3_bind_text(st, (int)i + 1, text[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, s->local_cseq);
	sqlite3_bind_int64(st, 12, s->remote_cseq);
	sqlite3_bind_int64(st, 13, s->expires_at);
	if (!step(st))
		failed("store");
}

void mwi_store_cseq(const MwiSub *s)
{
	sqlite3_stmt *st;

	if (!batch())
		return;
	st = xb_db_prepare(xb_core_db(),
	                   "UPDATE mwi_subscription SET local_cseq = ?4 WHERE call_id = ?1 AND "
	                   "local_tag = ?2 AND remote_tag = ?3",
	                   NULL);
	if (!st) {
		failed("update");
		return;
	}
	sqlite3_bind_text(st, 1, s->call_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->local_tag, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->remote_tag, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, s->local_cseq);
	if (!step(st))
		failed("update");
}

void mwi_store_delete(const MwiSub *s)
{
	sqlite3_stmt *st;

	if (!batch())
		return;
	st = xb_db_prepare(xb_core_db(),
	                   "DELETE FROM mwi_subscription WHERE call_id = ?1 AND local_tag = ?2 "
	                   "AND remote_tag = ?3",
	                   NULL);
	if (!st) {
		failed("remove");
		return;
	}
	sqlite3_bind_text(st, 1, s->call_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->local_tag, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->remote_tag, -1, SQLITE_STATIC);
	if (!step(st))
		failed("remove");
}
