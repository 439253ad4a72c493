/* mod_good.c: a well-formed test module with a setting, a command, an application and an
 * API table, so the loader tests can see every registration come and go. */
#include <crossbar/crossbar.h>

typedef struct {
	int version;
	int (*answer)(void);
} GoodApi;

static int answer(void)
{
	return 42;
}

static const GoodApi api = {1, answer};

static gboolean cmd_good(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	xb_cli_reply_message(r, "good");
	return TRUE;
}

static const XbCliCommand commands[] = {{"good", "", "test command", cmd_good}, XB_CLI_END};

static int app_good(XbChannel *ch, const char *data, gpointer user_data)
{
	xb_channel_set_var(ch, "good", data);
	return 0;
}

static const XbApp apps[] = {{"good", "DATA", "test application", app_good}, XB_APPS_END};

static const XbSettingDef settings[] = {
    {"level", XB_SETTING_INT, "3", "a number", 1, 9},
    XB_SETTINGS_END,
};

static gboolean good_load(XbModule *self, GError **error)
{
	xb_cli_register(self, commands, NULL);
	xb_app_register(self, apps, NULL);
	xb_api_publish(self, "good", &api);
	return TRUE;
}

static const char *const applications[] = {"good", NULL};
static const char *const command_names[] = {"good", NULL};

XB_MODULE_DEFINE(.name = "good", .version = "1.0", .description = "test module",
                 .settings = settings, .applications = applications, .commands = command_names,
                 .load = good_load);
