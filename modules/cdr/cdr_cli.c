/* cdr_cli.c: `crossbar-cli cdr [--last N]`, the newest records first, and `cdr show UUID`,
 * one record whole. The list's text is a table of six columns that fits 80 (start, from,
 * to, seconds, billable seconds, cause); --json gives, beside those six, every column of
 * each record under its name in the table (modules/cdr/README.md). */
#include "cdr.h"

#include <string.h>

#define DEFAULT_LAST 20
#define MAX_LAST     10000

/* "YYYY-MM-DD HH:MM:SS" in the daemon's local time; "" for 0. */
static char *local_time(gint64 t)
{
	g_autoptr(GDateTime) dt = t ? g_date_time_new_from_unix_local(t) : NULL;

	return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S") : g_strdup("");
}

/* How long the call has lasted: to its end, or to now while it is up. */
static gint64 seconds(const CdrRecord *r, gint64 now)
{
	return r->end_time ? r->duration : MAX(now - r->start_time, 0);
}

static void add_row(XbCliReply *reply, const CdrRecord *r, gint64 now)
{
	g_autofree char *start = local_time(r->start_time);

	xb_cli_reply_row(
	    reply, "start", g_variant_new_string(start), "from",
	    g_variant_new_string(r->caller_id_number), "to",
	    g_variant_new_string(r->destination_number), "secs",
	    g_variant_new_int64(seconds(r, now)), "billsec", g_variant_new_int64(r->billsec),
	    "cause", g_variant_new_string(r->end_time ? r->hangup_cause : "(up)"), "uuid",
	    g_variant_new_string(r->uuid), "b_uuid", g_variant_new_string(r->b_uuid), "node",
	    g_variant_new_string(r->node), "direction", g_variant_new_string(r->direction),
	    "driver", g_variant_new_string(r->driver), "b_driver",
	    g_variant_new_string(r->b_driver), "caller_id_number",
	    g_variant_new_string(r->caller_id_number), "caller_id_name",
	    g_variant_new_string(r->caller_id_name), "destination_number",
	    g_variant_new_string(r->destination_number), "context",
	    g_variant_new_string(r->context), "start_time", g_variant_new_int64(r->start_time),
	    "answer_time", g_variant_new_int64(r->answer_time), "end_time",
	    g_variant_new_int64(r->end_time), "duration", g_variant_new_int64(r->duration),
	    "hangup_cause", g_variant_new_string(r->hangup_cause), "sip_status",
	    g_variant_new_uint32(r->sip_status), "b_hangup_cause",
	    g_variant_new_string(r->b_hangup_cause), "b_sip_status",
	    g_variant_new_uint32(r->b_sip_status), "gateway", g_variant_new_string(r->gateway),
	    "closed_by_restart", g_variant_new_boolean(r->closed_by_restart), "updated_at",
	    g_variant_new_int64(r->updated_at), NULL);
}

static gboolean cmd_cdr(XbCliReply *reply, int argc, char **argv, gpointer user_data)
{
	Cdr *cdr = user_data;
	CdrStore *store = cdr_store(cdr);
	const char *last = xb_cli_option(argc, argv, "--last");
	guint64 n = DEFAULT_LAST;
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GError) error = NULL;
	gint64 now = xb_clock_wall_s();

	if (argc != 0 && !(argc == 2 && last)) {
		xb_cli_reply_error(reply, "usage: cdr [--last N] | cdr show UUID");
		return FALSE;
	}
	if (last && (!g_ascii_string_to_unsigned(last, 10, 1, MAX_LAST, &n, NULL))) {
		xb_cli_reply_error(reply,
		                   "cdr: --last takes a number of records from 1 to %d, not '%s'",
		                   MAX_LAST, last);
		return FALSE;
	}
	all = store->list(store, (guint)n, &error);
	if (!all) {
		xb_cli_reply_error(reply, "cdr: %s", error->message);
		return FALSE;
	}
	/* Six columns: a row of E.164 numbers fills 80 already, and the rest of the record is
	 * in --json and `cdr show`. */
	xb_cli_reply_columns(reply, "start", "from", "to", "secs", "billsec", "cause", NULL);
	xb_cli_reply_text_columns(reply, "start", "from", "to", "secs", "billsec", "cause", NULL);
	for (guint i = 0; i < all->len; i++)
		add_row(reply, all->pdata[i], now);
	return TRUE;
}

static void field_s(XbCliReply *reply, const char *key, const char *v)
{
	xb_cli_reply_field(reply, key, g_variant_new_string(v));
}

static void field_x(XbCliReply *reply, const char *key, gint64 v)
{
	xb_cli_reply_field(reply, key, g_variant_new_int64(v));
}

static gboolean cmd_cdr_show(XbCliReply *reply, int argc, char **argv, gpointer user_data)
{
	CdrStore *store = cdr_store(user_data);
	g_autoptr(CdrRecord) r = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ambiguous = FALSE;

	if (argc != 1 || !*argv[0]) {
		xb_cli_reply_error(reply, "usage: cdr show UUID (a prefix will do)");
		return FALSE;
	}
	r = store->find(store, argv[0], &ambiguous, &error);
	if (!r) {
		if (error)
			xb_cli_reply_error(reply, "cdr: %s", error->message);
		else if (ambiguous)
			xb_cli_reply_error(
			    reply, "cdr show: several calls start with '%s'; give more", argv[0]);
		else
			xb_cli_reply_error(reply, "cdr show: no call '%s' (see 'cdr')", argv[0]);
		return FALSE;
	}
	g_autofree char *start = local_time(r->start_time);
	g_autofree char *answer = local_time(r->answer_time);
	g_autofree char *end = local_time(r->end_time);

	field_s(reply, "uuid", r->uuid);
	field_s(reply, "b_uuid", r->b_uuid);
	field_s(reply, "node", r->node);
	field_s(reply, "direction", r->direction);
	field_s(reply, "driver", r->driver);
	field_s(reply, "b_driver", r->b_driver);
	field_s(reply, "caller_id_number", r->caller_id_number);
	field_s(reply, "caller_id_name", r->caller_id_name);
	field_s(reply, "destination_number", r->destination_number);
	field_s(reply, "context", r->context);
	field_s(reply, "start", start);
	field_s(reply, "answer", answer);
	field_s(reply, "end", r->end_time ? end : "(up)");
	field_x(reply, "start_time", r->start_time);
	field_x(reply, "answer_time", r->answer_time);
	field_x(reply, "end_time", r->end_time);
	field_x(reply, "duration", r->duration);
	field_x(reply, "billsec", r->billsec);
	field_s(reply, "hangup_cause", r->hangup_cause);
	xb_cli_reply_field(reply, "sip_status", g_variant_new_uint32(r->sip_status));
	field_s(reply, "b_hangup_cause", r->b_hangup_cause);
	xb_cli_reply_field(reply, "b_sip_status", g_variant_new_uint32(r->b_sip_status));
	field_s(reply, "gateway", r->gateway);
	xb_cli_reply_field(reply, "closed_by_restart", g_variant_new_boolean(r->closed_by_restart));
	field_x(reply, "updated_at", r->updated_at);
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"cdr", "[--last N]", "call detail records, the newest first (20 unless N)", cmd_cdr},
    {"cdr show", "UUID", "one call detail record whole (a uuid prefix will do)", cmd_cdr_show},
    XB_CLI_END,
};

void cdr_cli_register(XbModule *module, Cdr *cdr)
{
	xb_cli_register(module, commands, cdr);
}
