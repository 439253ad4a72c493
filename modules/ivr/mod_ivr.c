/* mod_ivr.c: auto-attendant menus. The menus are the dialplan's <menus> section, which
 * the core compiles with the plan through this module's descriptor (ivr_menus.c); the
 * `ivr` application runs them on calls (ivr_call.c); `ivr list` and `ivr test` show them
 * (ivr_cli.c). The module has no settings: everything is in the dialplan file. */
#include "ivr.h"

static gboolean ivr_load(XbModule *self, GError **error)
{
	xb_app_register(self, ivr_apps, NULL);
	xb_cli_register(self, ivr_cli, NULL);
	return TRUE;
}

/* Callers still in a menu are hung up (their menus' code is going); the core then frees
 * the menus of every plan before it closes the module. */
static void ivr_unload(XbModule *self)
{
	ivr_calls_stop();
}

static const char *const app_names[] = {"ivr", NULL};
static const char *const command_names[] = {"ivr list", "ivr test", NULL};
static const XbDialplanSection sections[] = {
    {IVR_SECTION, ivr_menus_compile, ivr_menus_free},
    XB_DIALPLAN_SECTIONS_END,
};

XB_MODULE_DEFINE(.name = "ivr", .version = XB_VERSION_STRING,
                 .description = "auto-attendant menus (the dialplan's <menus>)",
                 .applications = app_names, .commands = command_names,
                 .dialplan_sections = sections, .load = ivr_load, .unload = ivr_unload);
