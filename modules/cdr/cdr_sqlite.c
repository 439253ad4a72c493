/* cdr_sqlite.c: call detail records in SQLite, on the core's database (the "cdr"
 * component's migrations), with a one-row-per-node heartbeat beside them.
 *
 * What is on disk when: a new record is committed before insert returns (xb_db_flush),
 * because the row must outlive a crash from the start of the call; the later rewrites of it
 * (answer, bridge, hang-up) and the heartbeat join the database's batch of writes
 * (xb_db_batch) and share one commit per write window. A crash loses at most that window's
 * rewrites: the row is there, and the next start closes it with what it holds. "Committed"
 * means in the WAL, which survives the daemon being killed; with the core's
 * synchronous=NORMAL a power cut may still take the last commits back. */
#include "cdr_store.h"

typedef struct {
	CdrStore base;
	XbDb *db;
	guint write_interval_ms;
} SqliteStore;

static const XbMigration migrations[] = {
    {1, "CREATE TABLE cdr ("
        " uuid TEXT PRIMARY KEY,"
        " b_uuid TEXT NOT NULL DEFAULT '',"
        " node TEXT NOT NULL,"
        " direction TEXT NOT NULL DEFAULT '',"
        " driver TEXT NOT NULL DEFAULT '',"
        " b_driver TEXT NOT NULL DEFAULT '',"
        " caller_id_number TEXT NOT NULL DEFAULT '',"
        " caller_id_name TEXT NOT NULL DEFAULT '',"
        " destination_number TEXT NOT NULL DEFAULT '',"
        " context TEXT NOT NULL DEFAULT '',"
        " start_time INTEGER NOT NULL,"
        " answer_time INTEGER NOT NULL DEFAULT 0,"
        " end_time INTEGER,"
        " duration INTEGER,"
        " billsec INTEGER,"
        " hangup_cause TEXT NOT NULL DEFAULT '',"
        " sip_status INTEGER NOT NULL DEFAULT 0,"
        " b_hangup_cause TEXT NOT NULL DEFAULT '',"
        " b_sip_status INTEGER NOT NULL DEFAULT 0,"
        " gateway TEXT NOT NULL DEFAULT '',"
        " closed_by_restart INTEGER NOT NULL DEFAULT 0,"
        " updated_at INTEGER NOT NULL);"
        "CREATE INDEX cdr_start ON cdr(start_time);"
        "CREATE INDEX cdr_open ON cdr(node) WHERE end_time IS NULL;"
        "CREATE TABLE cdr_heartbeat ("
        " node TEXT PRIMARY KEY,"
        " at INTEGER NOT NULL);"},
};

#define COLUMNS                                                                                    \
	"uuid, b_uuid, node, direction, driver, b_driver, caller_id_number, caller_id_name, "      \
	"destination_number, context, start_time, answer_time, end_time, duration, billsec, "      \
	"hangup_cause, sip_status, b_hangup_cause, b_sip_status, gateway, closed_by_restart, "     \
	"updated_at"

static CdrRecord *row_record(sqlite3_stmt *st)
{
	CdrRecord *r = g_new0(CdrRecord, 1);

	r->uuid = xb_db_column_dup(st, 0);
	r->b_uuid = xb_db_column_dup(st, 1);
	r->node = xb_db_column_dup(st, 2);
	r->direction = xb_db_column_dup(st, 3);
	r->driver = xb_db_column_dup(st, 4);
	r->b_driver = xb_db_column_dup(st, 5);
	r->caller_id_number = xb_db_column_dup(st, 6);
	r->caller_id_name = xb_db_column_dup(st, 7);
	r->destination_number = xb_db_column_dup(st, 8);
	r->context = xb_db_column_dup(st, 9);
	r->start_time = sqlite3_column_int64(st, 10);
	r->answer_time = sqlite3_column_int64(st, 11);
	r->end_time = sqlite3_column_int64(st, 12); /* NULL reads as 0: not ended */
	r->duration = sqlite3_column_int64(st, 13);
	r->billsec = sqlite3_column_int64(st, 14);
	r->hangup_cause = xb_db_column_dup(st, 15);
	r->sip_status = (guint)sqlite3_column_int64(st, 16);
	r->b_hangup_cause = xb_db_column_dup(st, 17);
	r->b_sip_status = (guint)sqlite3_column_int64(st, 18);
	r->gateway = xb_db_column_dup(st, 19);
	r->closed_by_restart = sqlite3_column_int(st, 20) != 0;
	r->updated_at = sqlite3_column_int64(st, 21);
	return r;
}

static gboolean sql_error(SqliteStore *s, GError **error)
{
	g_set_error(error, XB_DB_ERROR, XB_DB_ERROR_SQL, "cdr: %s",
	            sqlite3_errmsg(xb_db_handle(s->db)));
	return FALSE;
}

static gboolean step_done(SqliteStore *s, sqlite3_stmt *st, GError **error)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || sql_error(s, error);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_STATIC);
}

/* The whole record, inserted or rewritten. */
static gboolean write_record(SqliteStore *s, const CdrRecord *r, GError **error)
{
	sqlite3_stmt *st = xb_db_prepare(
	    s->db,
	    "INSERT INTO cdr(" COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22) "
	    "ON CONFLICT(uuid) DO UPDATE SET b_uuid = excluded.b_uuid, node = excluded.node, "
	    "direction = excluded.direction, driver = excluded.driver, "
	    "b_driver = excluded.b_driver, caller_id_number = excluded.caller_id_number, "
	    "caller_id_name = excluded.caller_id_name, "
	    "destination_number = excluded.destination_number, context = excluded.context, "
	    "start_time = excluded.start_time, answer_time = excluded.answer_time, "
	    "end_time = excluded.end_time, duration = excluded.duration, "
	    "billsec = excluded.billsec, hangup_cause = excluded.hangup_cause, "
	    "sip_status = excluded.sip_status, b_hangup_cause = excluded.b_hangup_cause, "
	    "b_sip_status = excluded.b_sip_status, gateway = excluded.gateway, "
	    "closed_by_restart = excluded.closed_by_restart, updated_at = excluded.updated_at",
	    error);

	if (!st)
		return FALSE;
	bind_text(st, 1, r->uuid);
	bind_text(st, 2, r->b_uuid);
	bind_text(st, 3, r->node);
	bind_text(st, 4, r->direction);
	bind_text(st, 5, r->driver);
	bind_text(st, 6, r->b_driver);
	bind_text(st, 7, r->caller_id_number);
	bind_text(st, 8, r->caller_id_name);
	bind_text(st, 9, r->destination_number);
	bind_text(st, 10, r->context);
	sqlite3_bind_int64(st, 11, r->start_time);
	sqlite3_bind_int64(st, 12, r->answer_time);
	if (r->end_time) {
		sqlite3_bind_int64(st, 13, r->end_time);
		sqlite3_bind_int64(st, 14, r->duration);
		sqlite3_bind_int64(st, 15, r->billsec);
	} /* else NULL: the call is up */
	bind_text(st, 16, r->hangup_cause);
	sqlite3_bind_int64(st, 17, r->sip_status);
	bind_text(st, 18, r->b_hangup_cause);
	sqlite3_bind_int64(st, 19, r->b_sip_status);
	bind_text(st, 20, r->gateway);
	sqlite3_bind_int(st, 21, r->closed_by_restart ? 1 : 0);
	sqlite3_bind_int64(st, 22, xb_clock_wall_s());
	return step_done(s, st, error);
}

static gboolean sq_insert(CdrStore *base, const CdrRecord *r, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;

	/* Outside a batch the statement commits by itself; inside one, the flush commits it
	 * with whatever the batch held. Either way the row is in the WAL on return. */
	return write_record(s, r, error) && xb_db_flush(s->db, error);
}

/* A write that may wait for the window's commit (or commits now, with no window). */
static gboolean windowed(SqliteStore *s, GError **error)
{
	return s->write_interval_ms == 0 || xb_db_batch(s->db, s->write_interval_ms, error);
}

static gboolean sq_update(CdrStore *base, const CdrRecord *r, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;

	return windowed(s, error) && write_record(s, r, error);
}

static CdrRecord *sq_find(CdrStore *base, const char *prefix, gboolean *ambiguous, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;
	/* A range on the primary key: every uuid starting with prefix sorts between prefix
	 * and prefix followed by DEL, above every character a uuid holds. */
	sqlite3_stmt *st = xb_db_prepare(s->db,
	                                 "SELECT " COLUMNS " FROM cdr WHERE uuid >= ?1 AND "
	                                 "uuid < ?1 || char(127) ORDER BY uuid LIMIT 2",
	                                 error);
	CdrRecord *found = NULL;
	int rc;

	*ambiguous = FALSE;
	if (!st)
		return NULL;
	bind_text(st, 1, prefix);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		found = row_record(st);
		/* An exact match sorts first and wins over the longer uuids it prefixes. */
		if (g_strcmp0(found->uuid, prefix) != 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			*ambiguous = TRUE;
			g_clear_pointer(&found, cdr_record_free);
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sql_error(s, error);
		g_clear_pointer(&found, cdr_record_free);
	}
	sqlite3_reset(st);
	return found;
}

static GPtrArray *sq_list(CdrStore *base, guint n, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;
	sqlite3_stmt *st = xb_db_prepare(s->db,
	                                 "SELECT " COLUMNS " FROM cdr "
	                                 "ORDER BY start_time DESC, rowid DESC LIMIT ?1",
	                                 error);
	GPtrArray *out;
	int rc;

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, n);
	out = g_ptr_array_new_with_free_func((GDestroyNotify)cdr_record_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, row_record(st));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		sql_error(s, error);
		g_ptr_array_unref(out);
		return NULL;
	}
	return out;
}

static gboolean sq_heartbeat(CdrStore *base, const char *node, gint64 now, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;
	sqlite3_stmt *st;

	if (!windowed(s, error))
		return FALSE;
	st = xb_db_prepare(s->db,
	                   "INSERT INTO cdr_heartbeat(node, at) VALUES (?1, ?2) "
	                   "ON CONFLICT(node) DO UPDATE SET at = excluded.at",
	                   error);
	if (!st)
		return FALSE;
	bind_text(st, 1, node);
	sqlite3_bind_int64(st, 2, now);
	return step_done(s, st, error);
}

/* Two statements in one transaction: SQLite's SET sees the old end_time, so duration and
 * billsec are worked out once it is written. */
static int sq_close_open(CdrStore *base, const char *node, GError **error)
{
	SqliteStore *s = (SqliteStore *)base;
	sqlite3_stmt *end, *len;
	int closed;

	if (!xb_db_begin(s->db, error))
		return -1;
	end = xb_db_prepare(
	    s->db,
	    "UPDATE cdr SET end_time = max(start_time, updated_at, "
	    "coalesce((SELECT at FROM cdr_heartbeat WHERE node = ?1), 0)), "
	    "hangup_cause = CASE hangup_cause WHEN '' THEN 'CRASH' ELSE hangup_cause END, "
	    "closed_by_restart = 1 WHERE node = ?1 AND end_time IS NULL",
	    error);
	if (!end)
		goto fail;
	bind_text(end, 1, node);
	if (!step_done(s, end, error))
		goto fail;
	closed = sqlite3_changes(xb_db_handle(s->db));
	len = xb_db_prepare(s->db,
	                    "UPDATE cdr SET duration = end_time - start_time, billsec = CASE "
	                    "WHEN answer_time > 0 THEN max(end_time - answer_time, 0) ELSE 0 END, "
	                    "updated_at = ?2 "
	                    "WHERE node = ?1 AND closed_by_restart = 1 AND duration IS NULL",
	                    error);
	if (!len)
		goto fail;
	bind_text(len, 1, node);
	sqlite3_bind_int64(len, 2, xb_clock_wall_s());
	if (!step_done(s, len, error) || !xb_db_commit(s->db, error))
		goto fail;
	return closed;
fail:
	xb_db_rollback(s->db);
	return -1;
}

static gboolean sq_flush(CdrStore *base, GError **error)
{
	return xb_db_flush(((SqliteStore *)base)->db, error);
}

static void sq_free(CdrStore *base)
{
	g_free(base);
}

void cdr_store_sqlite_set_write_interval(CdrStore *base, guint ms)
{
	((SqliteStore *)base)->write_interval_ms = ms;
}

CdrStore *cdr_store_sqlite_new(XbDb *db, guint write_interval_ms, GError **error)
{
	SqliteStore *s;

	if (!xb_db_migrate(db, "cdr", migrations, G_N_ELEMENTS(migrations), error))
		return NULL;
	s = g_new0(SqliteStore, 1);
	s->db = db;
	s->write_interval_ms = write_interval_ms;
	s->base.insert = sq_insert;
	s->base.update = sq_update;
	s->base.find = sq_find;
	s->base.list = sq_list;
	s->base.heartbeat = sq_heartbeat;
	s->base.close_open = sq_close_open;
	s->base.flush = sq_flush;
	s->base.free = sq_free;
	return &s->base;
}
