/* cdr_record.c: a call detail record in memory, and the one place its end, duration and
 * billable seconds are worked out, so that every store and the CLI agree on them. */
#include "cdr_store.h"

CdrRecord *cdr_record_new(void)
{
	CdrRecord *r = g_new0(CdrRecord, 1);

	r->uuid = g_strdup("");
	r->b_uuid = g_strdup("");
	r->node = g_strdup("");
	r->direction = g_strdup("");
	r->driver = g_strdup("");
	r->b_driver = g_strdup("");
	r->caller_id_number = g_strdup("");
	r->caller_id_name = g_strdup("");
	r->destination_number = g_strdup("");
	r->context = g_strdup("");
	r->hangup_cause = g_strdup("");
	r->b_hangup_cause = g_strdup("");
	r->gateway = g_strdup("");
	return r;
}

void cdr_record_free(CdrRecord *r)
{
	if (!r)
		return;
	g_free(r->uuid);
	g_free(r->b_uuid);
	g_free(r->node);
	g_free(r->direction);
	g_free(r->driver);
	g_free(r->b_driver);
	g_free(r->caller_id_number);
	g_free(r->caller_id_name);
	g_free(r->destination_number);
	g_free(r->context);
	g_free(r->hangup_cause);
	g_free(r->b_hangup_cause);
	g_free(r->gateway);
	g_free(r);
}

/* Whole seconds of wall-clock times, as FreeSWITCH counts billsec: a call answered for
 * 0.9 s bills 0 or 1 s depending on where the second boundaries fall. */
void cdr_record_set_end(CdrRecord *r, gint64 end_time)
{
	r->end_time = end_time;
	if (!end_time) {
		r->duration = r->billsec = 0;
		return;
	}
	r->end_time = MAX(end_time, r->start_time);
	r->duration = r->end_time - r->start_time;
	r->billsec = r->answer_time ? MAX(r->end_time - r->answer_time, 0) : 0;
}
