/* mod_evtap.c: a test module that listens to every event on the bus and keeps the last
 * ones, and asks other modules' API tables on request, so that integration tests can see
 * from outside what the daemon published (registrations, TURN counters ...). Commands:
 * `evtap` (the events seen, oldest first) and `evtap locate EXT` (the location API). */
#include <crossbar/crossbar.h>

#define KEEP 256

typedef struct {
	GQueue events; /* char * "type payload" */
} Tap;

static void tap_cb(const char *type, GVariant *payload, gpointer user_data)
{
	Tap *tap = user_data;
	g_autofree char *text = g_variant_print(payload, FALSE);

	g_queue_push_tail(&tap->events, g_strdup_printf("%s %s", type, text));
	while (g_queue_get_length(&tap->events) > KEEP)
		g_free(g_queue_pop_head(&tap->events));
}

static gboolean cmd_evtap(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	Tap *tap = user_data;

	xb_cli_reply_columns(r, "event", NULL);
	for (GList *l = tap->events.head; l; l = l->next)
		xb_cli_reply_row(r, "event", g_variant_new_string(l->data), NULL);
	return TRUE;
}

static gboolean cmd_locate(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	const XbLocationApi *loc = xb_api_get(XB_LOCATION_API);

	if (argc != 1) {
		xb_cli_reply_error(r, "usage: evtap locate EXT");
		return FALSE;
	}
	if (!loc || loc->version != XB_LOCATION_API_VERSION) {
		xb_cli_reply_error(r, "no location API");
		return FALSE;
	}
	g_autoptr(GPtrArray) contacts = loc->lookup(argv[0]);
	xb_cli_reply_columns(r, "contact", "source", "conn_id", "expires_in", NULL);
	for (guint i = 0; i < contacts->len; i++) {
		XbContact *c = contacts->pdata[i];
		xb_cli_reply_row(r, "contact", g_variant_new_string(c->contact), "source",
		                 g_variant_new_string(c->source), "conn_id",
		                 g_variant_new_int64((gint64)c->conn_id), "expires_in",
		                 g_variant_new_int64(c->expires_in), NULL);
	}
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"evtap", "", "events seen on the bus (test module)", cmd_evtap},
    {"evtap locate", "EXT", "ask the location API (test module)", cmd_locate},
    XB_CLI_END,
};

static gboolean evtap_load(XbModule *self, GError **error)
{
	Tap *tap = g_new0(Tap, 1);

	g_queue_init(&tap->events);
	xb_module_set_data(self, tap);
	xb_event_subscribe(self, "*", tap_cb, tap);
	xb_cli_register(self, commands, tap);
	return TRUE;
}

static void evtap_unload(XbModule *self)
{
	Tap *tap = xb_module_get_data(self);

	g_queue_clear_full(&tap->events, g_free);
	g_free(tap);
}

static const char *const command_names[] = {"evtap", "evtap locate", NULL};

XB_MODULE_DEFINE(.name = "evtap", .version = "1.0", .description = "test: tap the event bus",
                 .commands = command_names, .load = evtap_load, .unload = evtap_unload);
