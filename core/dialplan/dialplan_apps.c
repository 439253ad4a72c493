/* dialplan_apps.c: the core's dialplan applications, the applications a plan may name
 * although nothing registers them yet (those of modules and of parts of crossbar that are
 * not loaded), and the check of a plan's application names against both.
 *
 * set, unset, export and log work on any XbChannel; answer, pre_answer, ring_ready, hangup,
 * transfer and sleep are the executor's (exec.c), bridge the channel layer's. */
#include "dialplan_private.h"

#include <errno.h>
#include <string.h>

/* Applications a part of crossbar provides when it is loaded or built. A plan naming one
 * compiles with a warning while it is not registered; a call reaching it fails then. */
static const struct {
	const char *application;
	const char *provider;
} provided[] = {
    {"voicemail", "mod_voicemail"},
    {"ivr", "mod_ivr"},
};

/* Top-level elements of a plan file a part of crossbar compiles when it is loaded. */
static const struct {
	const char *element;
	const char *provider;
} provided_sections[] = {
    {"menus", "mod_ivr"},
};

const char *xb_dialplan_section_provider(const char *element)
{
	for (guint i = 0; i < G_N_ELEMENTS(provided_sections); i++)
		if (strcmp(provided_sections[i].element, element) == 0)
			return provided_sections[i].provider;
	return NULL;
}

const char *xb_dialplan_app_provider(const char *application)
{
	for (guint i = 0; i < G_N_ELEMENTS(provided); i++)
		if (strcmp(provided[i].application, application) == 0)
			return provided[i].provider;
	return NULL;
}

GArray *xb_dialplan_unregistered_apps(const XbDialplan *plan)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(XbDialplanAppUse));

	for (guint i = 0; i < plan->apps->len; i++) {
		XbDialplanAppUse use = g_array_index(plan->apps, XbDialplanAppUse, i);
		if (xb_app_exists(use.application))
			continue;
		use.provider = xb_dialplan_app_provider(use.application);
		g_array_append_val(out, use);
	}
	return out;
}

gboolean xb_dialplan_check_apps(const XbDialplan *plan, GError **error)
{
	g_autoptr(GArray) missing = xb_dialplan_unregistered_apps(plan);

	for (guint i = 0; i < missing->len; i++) {
		const XbDialplanAppUse *use = &g_array_index(missing, XbDialplanAppUse, i);
		if (use->provider)
			continue;
		g_set_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_APPLICATION,
		            "%s:%u: unknown application '%s' (crossbar-cli apps lists them)",
		            plan->file, use->line, use->application);
		return FALSE;
	}
	return TRUE;
}

/* ---- the core's applications ---- */

static int app_set(XbChannel *ch, const char *data, gpointer user_data)
{
	const char *eq = strchr(data, '=');

	if (!eq || eq == data)
		return -EINVAL;
	g_autofree char *key = g_strndup(data, eq - data);
	xb_channel_set_var(ch, g_strstrip(key), eq + 1);
	return 0;
}

static int app_unset(XbChannel *ch, const char *data, gpointer user_data)
{
	xb_channel_set_var(ch, data, NULL);
	return 0;
}

/* As set, and the name joins the comma list in export_vars, the variables a bridge copies
 * to the leg it places (FreeSWITCH's convention). */
static int app_export(XbChannel *ch, const char *data, gpointer user_data)
{
	const char *eq = strchr(data, '=');
	const char *list;
	int rc = app_set(ch, data, user_data);

	if (rc != 0)
		return rc;
	g_autofree char *key = g_strstrip(g_strndup(data, eq - data));
	list = xb_channel_get_var(ch, "export_vars");
	if (!list || !*list) {
		xb_channel_set_var(ch, "export_vars", key);
		return 0;
	}
	g_auto(GStrv) names = g_strsplit(list, ",", -1);
	if (!g_strv_contains((const char *const *)names, key)) {
		g_autofree char *joined = g_strconcat(list, ",", key, NULL);
		xb_channel_set_var(ch, "export_vars", joined);
	}
	return 0;
}

/* "[LEVEL] TEXT": LEVEL is one of FreeSWITCH's (DEBUG, INFO, NOTICE, WARNING, ERR, CRIT,
 * ALERT; any case); without one the line is logged as a notice. */
static int app_log(XbChannel *ch, const char *data, gpointer user_data)
{
	static const struct {
		const char *word;
		GLogLevelFlags level;
	} levels[] = {
	    {"debug", G_LOG_LEVEL_DEBUG},    {"info", G_LOG_LEVEL_INFO},
	    {"notice", G_LOG_LEVEL_MESSAGE}, {"warning", G_LOG_LEVEL_WARNING},
	    {"err", G_LOG_LEVEL_WARNING},    {"error", G_LOG_LEVEL_WARNING},
	    {"crit", G_LOG_LEVEL_WARNING},   {"alert", G_LOG_LEVEL_WARNING},
	};
	GLogLevelFlags level = G_LOG_LEVEL_MESSAGE;
	const char *space = strchr(data, ' ');
	const char *text = data;

	for (guint i = 0; space && i < G_N_ELEMENTS(levels); i++)
		if ((gsize)(space - data) == strlen(levels[i].word) &&
		    g_ascii_strncasecmp(data, levels[i].word, space - data) == 0) {
			level = levels[i].level;
			text = space + 1;
			break;
		}
	g_log(G_LOG_DOMAIN, level, "%s: %s", xb_channel_name(ch), text);
	return 0;
}

static const XbApp core_apps[] = {
    {"set", "NAME=VALUE", "set a channel variable", app_set},
    {"unset", "NAME", "remove a channel variable", app_unset},
    {"export", "NAME=VALUE", "set a variable, also on the leg a bridge places", app_export},
    {"log", "[LEVEL] TEXT", "write a line to the log", app_log},
    XB_APPS_END,
};

void xb_dialplan_apps_register(void)
{
	if (xb_app_exists("set"))
		return;
	xb_app_register(NULL, core_apps, NULL);
	xb_dialplan_exec_register();
	xb_channel_apps_register();
	xb_channel_media_apps_register();
	xb_directory_apps_register();
}
