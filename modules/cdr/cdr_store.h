/* cdr_store.h: where call detail records are kept, behind a table of functions so that
 * another back end (PostgreSQL for several nodes) can take SQLite's place. One record per
 * call; the columns are described in modules/cdr/README.md. A store is used on the main
 * loop only. */
#pragma once

#include <crossbar/crossbar.h>

/* One call. Times are Unix seconds; end_time 0 while the call is up (NULL in the table). */
typedef struct {
	char *uuid;   /* the call's: its A-leg's uuid */
	char *b_uuid; /* the B-leg bridged to it, else the last leg tried; "" when none */
	char *node;   /* the crossbar that handled it (cdr.node) */
	char *direction;
	char *driver;
	char *b_driver;
	char *caller_id_number;
	char *caller_id_name;
	char *destination_number;
	char *context;
	gint64 start_time;
	gint64 answer_time; /* 0: never answered */
	gint64 end_time;    /* 0: not yet */
	gint64 duration;    /* end - start, once ended */
	gint64 billsec;     /* end - answer, once ended (0 when never answered) */
	char *hangup_cause; /* the A-leg's, "" until known */
	guint sip_status;
	char *b_hangup_cause;
	guint b_sip_status;
	char *gateway; /* the B-leg's "gateway" variable, "" when none */
	gboolean closed_by_restart;
	gint64 updated_at; /* the last write of the record */
} CdrRecord;

CdrRecord *cdr_record_new(void);
void cdr_record_free(CdrRecord *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CdrRecord, cdr_record_free)
/* end, duration and billsec from the times (end 0 leaves them unset). */
void cdr_record_set_end(CdrRecord *r, gint64 end_time);

typedef struct cdr_store CdrStore;
struct cdr_store {
	/* A new record, committed to disk when this returns: the row outlives a crash from
	 * then on. */
	gboolean (*insert)(CdrStore *store, const CdrRecord *rec, GError **error);
	/* Rewrite a record (matched by uuid); committed within the store's write window. */
	gboolean (*update)(CdrStore *store, const CdrRecord *rec, GError **error);
	/* The record whose uuid is or starts with `prefix`. NULL with no error when none
	 * matches, or several do (*ambiguous TRUE). */
	CdrRecord *(*find)(CdrStore *store, const char *prefix, gboolean *ambiguous,
	                   GError **error);
	/* The newest `n` records (CdrRecord *), newest first. */
	GPtrArray *(*list)(CdrStore *store, guint n, GError **error);
	/* Note that `node` is alive at `now` (Unix s); joins the write window. */
	gboolean (*heartbeat)(CdrStore *store, const char *node, gint64 now, GError **error);
	/* Close the records of `node` that a run which did not stop cleanly left open: end at
	 * the latest time known (the node's last heartbeat, or the record's last write when
	 * later), hang-up cause CRASH when none was known, closed_by_restart 1. Call it before
	 * this run's first heartbeat. How many were closed, or -1 with error. */
	int (*close_open)(CdrStore *store, const char *node, GError **error);
	/* Commit what the write window holds. */
	gboolean (*flush)(CdrStore *store, GError **error);
	void (*free)(CdrStore *store);
};

/* The SQLite store on db (its "cdr" schema migrated); writes after insert share commits
 * for write_interval_ms (0: each commits at once). */
CdrStore *cdr_store_sqlite_new(XbDb *db, guint write_interval_ms, GError **error);
void cdr_store_sqlite_set_write_interval(CdrStore *store, guint ms);
