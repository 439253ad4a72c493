/* mod_clash.c: a test module that declares a command module good declares too, and
 * registers one it does not declare, for the loader's checks of command declarations. */
#include <crossbar/crossbar.h>

static gboolean cmd_clash(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	xb_cli_reply_message(r, "clash");
	return TRUE;
}

static const XbCliCommand commands[] = {{"clash", "", "test command", cmd_clash}, XB_CLI_END};

static gboolean clash_load(XbModule *self, GError **error)
{
	xb_cli_register(self, commands, NULL);
	return TRUE;
}

static const char *const command_names[] = {"good", NULL};

XB_MODULE_DEFINE(.name = "clash", .version = "1.0", .description = "test module",
                 .commands = command_names, .load = clash_load);
