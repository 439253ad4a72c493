/* service.c: the live dialplan. The core compiles dialplan.file when it reads the
 * configuration, checks the plan's applications once the modules have loaded, and at a
 * reload compiles the new file aside and swaps it in only when it is whole and valid. A
 * hunt holds its own reference, so a swap never frees a plan under a call that uses it. */
#include "dialplan_private.h"

#include <string.h>

static XbDialplan *current;

XbDialplan *xb_dialplan_current(void)
{
	return current ? xb_dialplan_ref(current) : NULL;
}

void xb_dialplan_install(XbDialplan *plan)
{
	XbDialplan *old = current;

	current = plan ? xb_dialplan_ref(plan) : NULL;
	xb_dialplan_unref(old);
}

void xb_dialplan_reset(void)
{
	g_clear_pointer(&current, xb_dialplan_unref);
}

/* One line naming every application the plan uses that a part of crossbar not loaded
 * provides: the plan is valid, but a call reaching one of them fails. */
static void warn_unregistered(const XbDialplan *plan)
{
	g_autoptr(GArray) missing = xb_dialplan_unregistered_apps(plan);
	g_autoptr(GString) list = g_string_new(NULL);

	for (guint i = 0; i < missing->len; i++) {
		const XbDialplanAppUse *u = &g_array_index(missing, XbDialplanAppUse, i);
		g_string_append_printf(list, "%s%s (line %u, %s)", list->len ? ", " : "",
		                       u->application, u->line, u->provider);
	}
	if (list->len)
		g_warning("dialplan %s: nothing loaded registers %s; a call that reaches one "
		          "fails",
		          plan->file, list->str);
	for (guint i = 0; i < plan->foreign->len; i++) {
		const XbDialplanAppUse *u = &g_array_index(plan->foreign, XbDialplanAppUse, i);
		g_warning("dialplan %s:%u: <%s> is for %s, which is not loaded: left unchecked "
		          "and unused",
		          plan->file, u->line, u->application, u->provider);
	}
}

XbDialplan *xb_dialplan_prepare(const char *file, const char *timezone, GError **error)
{
	g_autoptr(XbDialplan) plan = xb_dialplan_load(file, timezone, error);

	if (!plan || !xb_dialplan_check_apps(plan, error))
		return NULL;
	warn_unregistered(plan);
	return g_steal_pointer(&plan);
}

static void log_loaded(const XbDialplan *plan)
{
	g_message("dialplan %s: %u context%s, %u extension%s", plan->file, plan->contexts->len,
	          plan->contexts->len == 1 ? "" : "s", plan->n_extensions,
	          plan->n_extensions == 1 ? "" : "s");
}

gboolean xb_dialplan_reload(const char *file, const char *timezone, GError **error)
{
	g_autoptr(XbDialplan) plan = xb_dialplan_prepare(file, timezone, error);

	if (!plan)
		return FALSE;
	xb_dialplan_install(plan);
	log_loaded(plan);
	return TRUE;
}

gboolean xb_dialplan_configure(GError **error)
{
	g_autoptr(XbDialplan) plan = NULL;

	xb_dialplan_apps_register();
	plan = xb_dialplan_load(xb_config_get_string("dialplan.file"),
	                        xb_config_get_string("dialplan.timezone"), error);
	if (!plan)
		return FALSE;
	xb_dialplan_install(plan);
	return TRUE;
}

gboolean xb_dialplan_start(GError **error)
{
	if (!current) {
		g_set_error(error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_IO, "no dialplan loaded");
		return FALSE;
	}
	if (!xb_dialplan_check_apps(current, error))
		return FALSE;
	warn_unregistered(current);
	log_loaded(current);
	xb_dialplan_cli_register();
	return TRUE;
}

gboolean xb_dialplan_check_report(char **report, GError **error)
{
	g_autoptr(GArray) missing = NULL;
	g_autoptr(GPtrArray) apps = xb_app_list();
	GString *out = g_string_new(NULL);

	*report = NULL;
	if (!current) {
		*report = g_string_free(out, FALSE);
		return TRUE;
	}
	g_string_append_printf(out, "dialplan OK: %s (%u contexts, %u extensions)\n", current->file,
	                       current->contexts->len, current->n_extensions);
	for (guint i = 0; i < current->sections->len; i++) {
		const SectionData *sd = current->sections->pdata[i];
		g_string_append_printf(out, "  %s:%u: <%s> checked by module %s\n", current->file,
		                       sd->line, sd->def ? sd->def->element : "?",
		                       xb_module_name(sd->owner));
	}
	for (guint i = 0; i < current->foreign->len; i++) {
		const XbDialplanAppUse *u = &g_array_index(current->foreign, XbDialplanAppUse, i);
		g_string_append_printf(out, "  %s:%u: <%s> comes with %s (not checked)\n",
		                       current->file, u->line, u->application, u->provider);
	}
	missing = xb_dialplan_unregistered_apps(current);
	for (guint i = 0; i < missing->len; i++) {
		const XbDialplanAppUse *u = &g_array_index(missing, XbDialplanAppUse, i);
		const char *module = xb_module_app_declarer(u->application);
		if (module) {
			g_string_append_printf(out, "  %s:%u: '%s' comes with module %s\n",
			                       current->file, u->line, u->application, module);
		} else if (u->provider) {
			g_string_append_printf(out, "  %s:%u: '%s' comes with %s\n", current->file,
			                       u->line, u->application, u->provider);
		} else {
			g_set_error(
			    error, XB_DIALPLAN_ERROR, XB_DIALPLAN_ERROR_APPLICATION,
			    "%s:%u: unknown application '%s': neither the core nor a module of "
			    "core.modules declares it (crossbar-cli apps lists them)",
			    current->file, u->line, u->application);
			g_string_free(out, TRUE);
			return FALSE;
		}
	}
	g_string_append(out, "applications known without modules:");
	for (guint i = 0; i < apps->len; i++)
		g_string_append_printf(out, " %s", ((const XbApp *)apps->pdata[i])->name);
	g_string_append_c(out, '\n');
	*report = g_string_free(out, FALSE);
	return TRUE;
}
