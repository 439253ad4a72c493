/* cli_builtin.c: the core's own control commands (status, modules, reload, shutdown, help,
 * apps, app exec). Modules add theirs through the same table; the core's dialplan
 * applications are in core/dialplan/dialplan_apps.c. */
#include "core_private.h"

#include <string.h>
#include <unistd.h>

static gboolean cmd_status(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	gint64 up = (g_get_monotonic_time() - xb_core_started_at()) / G_USEC_PER_SEC;
	GPtrArray *mods = xb_modules_list();
	guint loaded = 0;
	g_autofree char *sock = xb_config_control_socket_path();

	for (guint i = 0; i < mods->len; i++)
		loaded += ((XbModule *)mods->pdata[i])->state == XB_MODULE_LOADED;
	xb_cli_reply_field(r, "version", g_variant_new_string(XB_VERSION_STRING));
	xb_cli_reply_field(r, "pid", g_variant_new_int64(getpid()));
	xb_cli_reply_field(r, "uptime_seconds", g_variant_new_int64(up));
	xb_cli_reply_field(
	    r, "config",
	    g_variant_new_string(xb_config_file() ? xb_config_file() : "(built-in defaults)"));
	xb_cli_reply_field(r, "data_dir",
	                   g_variant_new_string(xb_config_get_string("core.data_dir")));
	xb_cli_reply_field(r, "control_socket", g_variant_new_string(sock));
	xb_cli_reply_field(r, "modules_loaded", g_variant_new_int64(loaded));
	xb_cli_reply_field(r, "timers_pending", g_variant_new_int64(xb_timer_pending()));
	/* The shared authentication-failure limiter: sources counted, and banned now. */
	xb_cli_reply_field(r, "auth_sources_tracked",
	                   g_variant_new_int64(xb_authlimit_tracked_count()));
	xb_cli_reply_field(r, "auth_sources_banned",
	                   g_variant_new_int64(xb_authlimit_banned_count()));
	return TRUE;
}

static const char *state_name(XbModuleState s)
{
	switch (s) {
	case XB_MODULE_OPENED:
		return "opened";
	case XB_MODULE_LOADED:
		return "loaded";
	case XB_MODULE_FAILED:
		return "failed";
	case XB_MODULE_UNLOADED:
		return "unloaded";
	}
	return "?";
}

static gboolean cmd_modules(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	GPtrArray *mods = xb_modules_list();

	xb_cli_reply_columns(r, "name", "version", "state", "optional", "description", NULL);
	for (guint i = 0; i < mods->len; i++) {
		XbModule *m = mods->pdata[i];
		const char *desc = m->error ? m->error : m->desc->description;
		xb_cli_reply_row(r, "name", g_variant_new_string(m->name), "version",
		                 g_variant_new_string(m->desc->version ? m->desc->version : ""),
		                 "state", g_variant_new_string(state_name(m->state)), "optional",
		                 g_variant_new_boolean(m->optional), "description",
		                 g_variant_new_string(desc ? desc : ""), NULL);
	}
	return TRUE;
}

static gboolean cmd_reload(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	if (!xb_core_reload(&error)) {
		xb_cli_reply_error(r, "reload refused, the running configuration stays: %s",
		                   error->message);
		return FALSE;
	}
	xb_cli_reply_message(r, "configuration reloaded");
	return TRUE;
}

static gboolean cmd_shutdown(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_message("shutdown requested over the control socket");
	xb_cli_reply_message(r, "shutting down");
	xb_core_quit();
	return TRUE;
}

static int cmd_cmp(gconstpointer a, gconstpointer b)
{
	const XbCliCommand *x = *(const XbCliCommand **)a, *y = *(const XbCliCommand **)b;
	return strcmp(x->name, y->name);
}

static void help_row(XbCliReply *r, const XbCliCommand *c)
{
	xb_cli_reply_row(r, "command", g_variant_new_string(c->name), "usage",
	                 g_variant_new_string(c->usage ? c->usage : ""), "module",
	                 g_variant_new_string(xb_cli_command_owner(c)), "help",
	                 g_variant_new_string(c->help ? c->help : ""), NULL);
}

/* Whether the words of a command's name begin with the words of topic. */
static gboolean name_has_words(const char *name, const char *topic)
{
	gsize n = strlen(topic);

	return strncmp(name, topic, n) == 0 && (name[n] == '\0' || name[n] == ' ');
}

/* help: every command in a table. help WORDS: the command of that name as a record with
 * its whole usage line, or the commands whose names begin with those words. */
static gboolean cmd_help(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(GPtrArray) cmds = xb_cli_commands();
	g_autofree char *topic = argc > 0 ? g_strjoinv(" ", argv) : NULL;
	guint shown = 0;

	g_ptr_array_sort(cmds, cmd_cmp);
	for (guint i = 0; topic && i < cmds->len; i++) {
		const XbCliCommand *c = cmds->pdata[i];
		if (strcmp(c->name, topic) != 0)
			continue;
		g_autofree char *synopsis = c->usage && *c->usage
		                                ? g_strconcat(c->name, " ", c->usage, NULL)
		                                : g_strdup(c->name);
		xb_cli_reply_field(r, "command", g_variant_new_string(c->name));
		xb_cli_reply_field(r, "usage", g_variant_new_string(synopsis));
		xb_cli_reply_field(r, "module", g_variant_new_string(xb_cli_command_owner(c)));
		xb_cli_reply_field(r, "help", g_variant_new_string(c->help ? c->help : ""));
		return TRUE;
	}
	for (guint i = 0; i < cmds->len; i++)
		shown += !topic || name_has_words(((XbCliCommand *)cmds->pdata[i])->name, topic);
	if (shown == 0) {
		xb_cli_reply_error(r, "no command '%s' (try 'help')", topic);
		return FALSE;
	}
	xb_cli_reply_columns(r, "command", "usage", "module", "help", NULL);
	for (guint i = 0; i < cmds->len; i++) {
		const XbCliCommand *c = cmds->pdata[i];
		if (!topic || name_has_words(c->name, topic))
			help_row(r, c);
	}
	return TRUE;
}

static gboolean cmd_apps(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(GPtrArray) apps = xb_app_list();

	xb_cli_reply_columns(r, "application", "module", "usage", "help", NULL);
	for (guint i = 0; i < apps->len; i++) {
		const XbApp *a = apps->pdata[i];
		xb_cli_reply_row(r, "application", g_variant_new_string(a->name), "module",
		                 g_variant_new_string(xb_app_owner(a->name)), "usage",
		                 g_variant_new_string(a->usage ? a->usage : ""), "help",
		                 g_variant_new_string(a->help ? a->help : ""), NULL);
	}
	return TRUE;
}

/* Run one application on a channel with no signalling and show what it left behind: a way
 * to try an application from the shell before writing it into a dialplan. */
static gboolean cmd_app_exec(XbCliReply *r, int argc, char **argv, gpointer user_data)
{
	g_autoptr(XbChannel) ch = NULL;
	g_autofree char *data = NULL;
	int rc;

	if (argc < 1) {
		xb_cli_reply_error(r, "usage: app exec APPLICATION [DATA]");
		return FALSE;
	}
	if (!xb_app_exists(argv[0])) {
		xb_cli_reply_error(r, "no application '%s' (see 'apps')", argv[0]);
		return FALSE;
	}
	ch = xb_channel_new(NULL, XB_CHANNEL_INBOUND, NULL, NULL);
	data = g_strjoinv(" ", argv + 1);
	rc = xb_app_exec(ch, argv[0], data);
	xb_cli_reply_field(r, "channel", g_variant_new_string(xb_channel_name(ch)));
	xb_cli_reply_field(r, "result",
	                   g_variant_new_string(rc == 0                ? "continue"
	                                        : rc == XB_APP_PENDING ? "pending"
	                                                               : g_strerror(-rc)));
	g_autofree const char **keys = xb_channel_var_names(ch);
	for (guint i = 0; keys[i]; i++) {
		g_autofree char *k = g_strconcat("var.", keys[i], NULL);
		xb_cli_reply_field(r, k, g_variant_new_string(xb_channel_get_var(ch, keys[i])));
	}
	xb_channel_hangup(ch, XB_CAUSE_NORMAL_CLEARING, 0); /* it leaves the live channels */
	return TRUE;
}

const XbCliCommand xb_builtin_cli[] = {
    {"status", "", "version, uptime and state of the daemon", cmd_status},
    {"modules", "", "loaded modules and their state", cmd_modules},
    {"reload", "", "re-read the configuration (the running one stays if the new one is bad)",
     cmd_reload},
    {"shutdown", "", "stop the daemon cleanly", cmd_shutdown},
    {"help", "[COMMAND]", "list the commands, or show one with its whole usage", cmd_help},
    {"apps", "", "list the dialplan applications", cmd_apps},
    {"app exec", "APPLICATION [DATA]", "run an application on a test channel", cmd_app_exec},
    XB_CLI_END,
};

void xb_cli_builtin_register(void)
{
	xb_cli_register(NULL, xb_builtin_cli, NULL);
}
