/* media_cli.c: the operator's view of the media engine: `media` (ports and packet counts of
 * the whole engine) and `media workers` (the same per worker thread). */
#include "media_private.h"

static gboolean cmd_media(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	XbMediaWorkerStats all = {0};

	if (!xb_media_engine_running()) {
		xb_cli_reply_error(r, "the media engine is not running");
		return FALSE;
	}
	for (guint i = 0; i < xb_media_worker_count(); i++) {
		XbMediaWorkerStats s;
		xb_media_worker_stats(i, &s);
		all.endpoints += s.endpoints;
		all.rx_packets += s.rx_packets;
		all.tx_packets += s.tx_packets;
		all.dropped += s.dropped;
	}
	xb_cli_reply_field(r, "workers", g_variant_new_int64(xb_media_worker_count()));
	xb_cli_reply_field(r, "endpoints", g_variant_new_int64(all.endpoints));
	xb_cli_reply_field(r, "port_pairs", g_variant_new_int64(xb_media_ports_total()));
	xb_cli_reply_field(r, "port_pairs_in_use", g_variant_new_int64(xb_media_ports_in_use()));
	xb_cli_reply_field(r, "port_pairs_resting", g_variant_new_int64(xb_media_ports_resting()));
	xb_cli_reply_field(r, "packets_in", g_variant_new_int64((gint64)all.rx_packets));
	xb_cli_reply_field(r, "packets_out", g_variant_new_int64((gint64)all.tx_packets));
	xb_cli_reply_field(r, "packets_dropped", g_variant_new_int64((gint64)all.dropped));
	return TRUE;
}

static gboolean cmd_workers(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	if (!xb_media_engine_running()) {
		xb_cli_reply_error(r, "the media engine is not running");
		return FALSE;
	}
	for (guint i = 0; i < xb_media_worker_count(); i++) {
		XbMediaWorkerStats s;
		xb_media_worker_stats(i, &s);
		xb_cli_reply_row(r, "worker", g_variant_new_int64(i), "endpoints",
		                 g_variant_new_int64(s.endpoints), "packets_in",
		                 g_variant_new_int64((gint64)s.rx_packets), "packets_out",
		                 g_variant_new_int64((gint64)s.tx_packets), "dropped",
		                 g_variant_new_int64((gint64)s.dropped), NULL);
	}
	return TRUE;
}

const XbCliCommand xb_media_cli[] = {
    {"media", "", "the media engine: workers, RTP port pairs, packets", cmd_media},
    {"media workers", "", "endpoints and packets of each media worker thread", cmd_workers},
    XB_CLI_END,
};

/* ---- the engine's place in the daemon ---- */

#define PORT_REST_MS 4000 /* a port pair given back waits this long before its next call */

gboolean xb_media_start(GError **error)
{
	gint64 lo, hi;

	xb_config_get_range("media.rtp_ports", &lo, &hi);
	xb_media_engine_set_priority(xb_config_get_string("media.priority"));
	if (!xb_media_engine_start((guint)xb_config_get_int("media.workers"), (guint)lo, (guint)hi,
	                           PORT_REST_MS, error))
		return FALSE;
	xb_cli_register(NULL, xb_media_cli, NULL);
	return TRUE;
}

void xb_media_stop(void)
{
	xb_media_engine_stop();
}
