/* mod_example.c: a third-party crossbar module, built out of tree against the installed
 * headers and crossbar.pc. It shows the whole shape of a module: a descriptor with a
 * settings section, a control command, a dialplan application and an event listener. */
#include <crossbar/crossbar.h>

static const XbSettingDef settings[] = {
    {"greeting", XB_SETTING_STRING, "Hello", "the word the example greets with"},
    XB_SETTINGS_END,
};

typedef struct {
	guint reloads;
	guint subscription;
} Example;

/* crossbar-cli example hello [NAME] */
static gboolean cmd_hello(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	Example *ex = user_data;

	xb_cli_reply_field(r, "greeting",
	                   g_variant_new_take_string(
	                       g_strdup_printf("%s, %s!", xb_config_get_string("example.greeting"),
	                                       argc > 0 ? argv[0] : "world")));
	xb_cli_reply_field(r, "reloads_seen", g_variant_new_int64(ex->reloads));
	return TRUE;
}

static const XbCliCommand commands[] = {
    {"example hello", "[NAME]", "greet from the example module", cmd_hello},
    XB_CLI_END,
};

/* <action application="example_greet" data="NAME"/>: sets ${greeting} on the channel. */
static int app_greet(XbChannel *ch, const char *data, gpointer user_data)
{
	g_autofree char *text = g_strdup_printf("%s, %s", xb_config_get_string("example.greeting"),
	                                        *data ? data : "caller");
	xb_channel_set_var(ch, "greeting", text);
	return 0;
}

static const XbApp apps[] = {
    {"example_greet", "NAME", "set ${greeting} to a greeting for NAME", app_greet},
    XB_APPS_END,
};

static void reloaded_cb(const char *type, GVariant *payload, gpointer user_data)
{
	Example *ex = user_data;

	ex->reloads++;
	g_message("configuration reloaded; greeting is now '%s'",
	          xb_config_get_string("example.greeting"));
}

static gboolean example_load(XbModule *self, GError **error)
{
	Example *ex = g_new0(Example, 1);

	xb_module_set_data(self, ex);
	xb_cli_register(self, commands, ex);
	xb_app_register(self, apps, ex);
	ex->subscription = xb_event_subscribe(self, XB_EVENT_CONFIG_RELOADED, reloaded_cb, ex);
	return TRUE;
}

static void example_unload(XbModule *self)
{
	/* Commands, applications and subscriptions go with the module; its memory is ours. */
	g_free(xb_module_get_data(self));
}

XB_MODULE_DEFINE(.name = "example", .version = "1.0.0",
                 .description = "out-of-tree example: a command, an application, a listener",
                 .settings = settings, .load = example_load, .unload = example_unload);
