/* mod_cdr.c: call detail records. One record per call, written from the channel layer's
 * state events (cdr_call.c) into the core's database (cdr_sqlite.c) and shown by
 * `crossbar-cli cdr` (cdr_cli.c). This file holds the module's life cycle and settings. The
 * columns and what a crash leaves behind: modules/cdr/README.md. */
#include "cdr.h"

static const XbSettingDef settings[] = {
    {"write_interval_ms", XB_SETTING_INT, "20",
     "a record's rewrites (answer, hang-up) within this many ms share one database commit; "
     "a crash loses at most this window of them (the record itself is committed when the "
     "call starts)",
     0, 60000},
    {"node", XB_SETTING_STRING, NULL,
     "this crossbar's name in its records and heartbeat (several nodes may share a store); "
     "empty: the host name"},
    XB_SETTINGS_END,
};

static const char *node_name(void)
{
	const char *node = xb_config_get_string("cdr.node");

	return node && *node ? node : g_get_host_name();
}

static void channel_state_cb(const char *type, GVariant *payload, gpointer user_data)
{
	cdr_channel_event(user_data, payload);
}

static void reloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	cdr_store_sqlite_set_write_interval(cdr_store(user_data),
	                                    (guint)xb_config_get_int("cdr.write_interval_ms"));
}

static gboolean cdr_load(XbModule *self, GError **error)
{
	CdrStore *store = cdr_store_sqlite_new(
	    xb_core_db(), (guint)xb_config_get_int("cdr.write_interval_ms"), error);
	Cdr *cdr;

	if (!store)
		return FALSE;
	cdr = cdr_new(self, store, node_name(), error);
	if (!cdr)
		return FALSE;
	if (!xb_event_subscribe(self, XB_EVENT_CHANNEL_STATE, channel_state_cb, cdr)) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DEPENDENCY,
		            "the core publishes no '%s' events", XB_EVENT_CHANNEL_STATE);
		cdr_free(cdr);
		return FALSE;
	}
	xb_event_subscribe(self, XB_EVENT_CONFIG_RELOADED, reloaded_cb, cdr);
	cdr_cli_register(self, cdr);
	xb_module_set_data(self, cdr);
	return TRUE;
}

static void cdr_unload(XbModule *self)
{
	cdr_free(xb_module_get_data(self));
}

static const char *const command_names[] = {"cdr", "cdr show", NULL};

XB_MODULE_DEFINE(.name = "cdr", .version = XB_VERSION_STRING, .description = "call detail records",
                 .settings = settings, .commands = command_names, .load = cdr_load,
                 .unload = cdr_unload);
