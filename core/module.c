/* module.c: the module loader. Opens mod_<name>.so files, checks each descriptor (symbol,
 * ABI version, name), pulls in required modules, orders them so that every module loads
 * after what it requires (refusing cycles), calls load() in that order and unload() in
 * reverse. It must never call into a module whose descriptor it has not checked. */
#include "core_private.h"

#include <string.h>

GQuark xb_module_error_quark(void)
{
	return g_quark_from_static_string("xb-module-error-quark");
}

static GPtrArray *modules; /* XbModule *, in load order once ordered */
static GHashTable *apis;   /* name -> Api * */

typedef struct {
	XbModule *owner;
	const void *table;
} Api;

static void module_free(gpointer data)
{
	XbModule *mod = data;

	if (mod->gmodule)
		g_module_close(mod->gmodule);
	g_free(mod->name);
	g_free(mod->path);
	g_free(mod->error);
	g_free(mod);
}

const char *xb_module_name(const XbModule *mod)
{
	return mod ? mod->name : "core";
}

void xb_module_set_data(XbModule *mod, gpointer data)
{
	mod->data = data;
}

gpointer xb_module_get_data(const XbModule *mod)
{
	return mod->data;
}

XbModule *xb_module_find(const char *name)
{
	for (guint i = 0; modules && i < modules->len; i++) {
		XbModule *mod = modules->pdata[i];
		if (strcmp(mod->name, name) == 0)
			return mod;
	}
	return NULL;
}

GPtrArray *xb_modules_list(void)
{
	if (!modules)
		modules = g_ptr_array_new_with_free_func(module_free);
	return modules;
}

char **xb_modules_names(void)
{
	GPtrArray *names = g_ptr_array_new();

	for (guint i = 0; modules && i < modules->len; i++)
		g_ptr_array_add(names, g_strdup(((XbModule *)modules->pdata[i])->name));
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

/* `dirs` is one folder or several separated by ':' (searched in order, like PATH), so that
 * third-party modules can live apart from the installed ones. */
char *xb_module_path(const char *dirs, const char *name)
{
	g_autofree char *base = g_strdup_printf("mod_%s.so", name);
	g_auto(GStrv) list = g_strsplit(dirs, ":", -1);
	char *found = NULL;

	for (guint d = 0; list[d] && !found; d++) {
		const char *dir = list[d];
		if (!*dir)
			continue;
		/* Installed layout first, then the build tree's libtool layouts. */
		char *candidates[] = {
		    g_build_filename(dir, base, NULL),
		    g_build_filename(dir, name, ".libs", base, NULL),
		    g_build_filename(dir, ".libs", base, NULL),
		};
		for (guint i = 0; i < G_N_ELEMENTS(candidates); i++) {
			if (!found && g_file_test(candidates[i], G_FILE_TEST_EXISTS))
				found = g_strdup(candidates[i]);
			g_free(candidates[i]);
		}
	}
	return found;
}

static gboolean name_valid(const char *name)
{
	if (!*name || strlen(name) > 64)
		return FALSE;
	for (const char *p = name; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '_')
			return FALSE;
	return TRUE;
}

/* Open one module and check its descriptor; on failure the reason is in *error. */
static XbModule *module_open(const char *dir, const char *name, GError **error)
{
	g_autofree char *path = NULL;
	XbModule *mod;
	gpointer sym = NULL;

	if (!name_valid(name)) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_NAME,
		            "module '%s': not a valid module name", name);
		return NULL;
	}
	path = xb_module_path(dir, name);
	if (!path) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_NOT_FOUND,
		            "module '%s': mod_%s.so not found in %s", name, name, dir);
		return NULL;
	}
	mod = g_new0(XbModule, 1);
	mod->name = g_strdup(name);
	mod->path = g_steal_pointer(&path);
	mod->gmodule = g_module_open(mod->path, G_MODULE_BIND_LOCAL);
	if (!mod->gmodule) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_OPEN,
		            "module '%s': cannot open %s: %s", name, mod->path, g_module_error());
		goto fail;
	}
	if (!g_module_symbol(mod->gmodule, XB_MODULE_SYMBOL, &sym) || !sym) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DESCRIPTOR,
		            "module '%s': %s is not a crossbar module (no %s)", name, mod->path,
		            XB_MODULE_SYMBOL);
		goto fail;
	}
	mod->desc = sym;
	if (mod->desc->abi_version != XB_MODULE_ABI_VERSION) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_ABI,
		            "module '%s': built for module ABI %u, this crossbar has ABI %u "
		            "(rebuild it against crossbar %s)",
		            name, mod->desc->abi_version, XB_MODULE_ABI_VERSION, XB_VERSION_STRING);
		goto fail;
	}
	if (!mod->desc->name || strcmp(mod->desc->name, name) != 0) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DESCRIPTOR,
		            "module '%s': its descriptor calls it '%s'", name,
		            mod->desc->name ? mod->desc->name : "(null)");
		goto fail;
	}
	if (!mod->desc->load) {
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DESCRIPTOR,
		            "module '%s': descriptor has no load function", name);
		goto fail;
	}
	mod->state = XB_MODULE_OPENED;
	return mod;
fail:
	module_free(mod);
	return NULL;
}

/* Depth-first visit for the dependency order; `path` holds the chain for cycle messages. */
static gboolean order_visit(XbModule *mod, GHashTable *all, GHashTable *done, GPtrArray *path,
                            GPtrArray *out, GError **error)
{
	if (g_hash_table_contains(done, mod->name))
		return TRUE;
	for (guint i = 0; i < path->len; i++) {
		if (path->pdata[i] != mod)
			continue;
		g_autoptr(GString) chain = g_string_new(NULL);
		for (guint j = i; j < path->len; j++)
			g_string_append_printf(chain, "%s -> ", ((XbModule *)path->pdata[j])->name);
		g_string_append(chain, mod->name);
		g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_DEPENDENCY,
		            "module '%s': dependency cycle %s", mod->name, chain->str);
		return FALSE;
	}
	g_ptr_array_add(path, mod);
	for (const char *const *r = mod->desc->requires; r && *r; r++) {
		XbModule *dep = g_hash_table_lookup(all, *r);
		if (dep && !order_visit(dep, all, done, path, out, error))
			return FALSE;
	}
	g_ptr_array_remove_index(path, path->len - 1);
	g_hash_table_add(done, mod->name);
	g_ptr_array_add(out, mod);
	return TRUE;
}

static gboolean is_optional(char **optional, const char *name)
{
	return optional && g_strv_contains((const char *const *)optional, name);
}

gboolean xb_modules_open(const char *dir, char **names, char **optional, GError **error)
{
	g_autoptr(GHashTable) all = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) failed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GQueue) todo = g_queue_new();
	g_autoptr(GPtrArray) opened = g_ptr_array_new_with_free_func(module_free);

	xb_modules_list();
	for (guint i = 0; names && names[i]; i++)
		g_queue_push_tail(todo, g_strdup(names[i]));

	while (!g_queue_is_empty(todo)) {
		g_autofree char *name = g_queue_pop_head(todo);
		g_autoptr(GError) err = NULL;
		XbModule *mod;

		if (g_hash_table_contains(all, name) || g_hash_table_contains(failed, name))
			continue;
		mod = module_open(dir, name, &err);
		if (!mod) {
			if (!is_optional(optional, name)) {
				g_propagate_error(error, g_steal_pointer(&err));
				return FALSE;
			}
			g_warning("%s (optional, skipped)", err->message);
			g_hash_table_add(failed, g_strdup(name));
			continue;
		}
		mod->optional = is_optional(optional, name);
		g_ptr_array_add(opened, mod);
		g_hash_table_insert(all, mod->name, mod);
		for (const char *const *r = mod->desc->requires; r && *r; r++)
			g_queue_push_tail(todo, g_strdup(*r));
	}

	/* Every requirement must have opened, or the module that needs it goes too. */
	gboolean changed = TRUE;
	while (changed) {
		changed = FALSE;
		for (guint i = 0; i < opened->len; i++) {
			XbModule *mod = opened->pdata[i];
			for (const char *const *r = mod->desc->requires; r && *r; r++) {
				if (g_hash_table_contains(all, *r))
					continue;
				if (!mod->optional) {
					g_set_error(
					    error, XB_MODULE_ERROR, XB_MODULE_ERROR_DEPENDENCY,
					    "module '%s': requires module '%s', which could "
					    "not be loaded",
					    mod->name, *r);
					return FALSE;
				}
				g_warning("module '%s': requires module '%s', which could not be "
				          "loaded (optional, skipped)",
				          mod->name, *r);
				g_hash_table_remove(all, mod->name);
				g_hash_table_add(failed, g_strdup(mod->name));
				g_ptr_array_remove_index(opened, i);
				changed = TRUE;
				break;
			}
			if (changed)
				break;
		}
	}

	g_autoptr(GHashTable) done = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) path = g_ptr_array_new();
	g_autoptr(GPtrArray) order = g_ptr_array_new();
	for (guint i = 0; i < opened->len; i++)
		if (!order_visit(opened->pdata[i], all, done, path, order, error))
			return FALSE;

	/* Hand the modules over in load order. */
	g_ptr_array_set_free_func(opened, NULL);
	for (guint i = 0; i < order->len; i++) {
		XbModule *mod = order->pdata[i];
		g_ptr_array_add(modules, mod);
		xb_config_declare_section(mod->name, mod->name, mod->desc->settings,
		                          mod->desc->elements);
	}
	return TRUE;
}

static void module_forget_all(XbModule *mod)
{
	xb_cli_forget(mod);
	xb_app_forget(mod);
	xb_event_forget(mod);
	xb_timer_forget(mod);
	xb_api_forget(mod);
	xb_channel_driver_forget(mod);
}

static gboolean requirements_loaded(XbModule *mod, const char **missing)
{
	for (const char *const *r = mod->desc->requires; r && *r; r++) {
		XbModule *dep = xb_module_find(*r);
		if (!dep || dep->state != XB_MODULE_LOADED) {
			*missing = *r;
			return FALSE;
		}
	}
	return TRUE;
}

/* No two modules, nor a module and the core, declare the same control command. */
static gboolean commands_unique(GError **error)
{
	for (guint i = 0; modules && i < modules->len; i++) {
		const XbModule *mod = modules->pdata[i];
		for (const char *const *c = mod->desc->commands; c && *c; c++) {
			const char *first = xb_module_command_declarer(*c);
			g_autofree char *holder = NULL;
			if (xb_cli_core_has(*c))
				holder = g_strdup("the core");
			else if (g_strcmp0(first, mod->name) != 0)
				holder = g_strdup_printf("module '%s'", first);
			else
				continue;
			g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_CONFLICT,
			            "module '%s': declares command '%s', which %s has already",
			            mod->name, *c, holder);
			return FALSE;
		}
	}
	return TRUE;
}

/* No two modules declare the same section of the dialplan file. */
static gboolean sections_unique(GError **error)
{
	for (guint i = 0; modules && i < modules->len; i++) {
		XbModule *mod = modules->pdata[i];
		for (const XbDialplanSection *s = mod->desc->dialplan_sections; s && s->element;
		     s++) {
			XbModule *first = NULL;
			xb_module_dialplan_section(s->element, &first);
			if (first == mod)
				continue;
			g_set_error(error, XB_MODULE_ERROR, XB_MODULE_ERROR_CONFLICT,
			            "module '%s': declares the dialplan section <%s>, which module "
			            "'%s' has already",
			            mod->name, s->element, first->name);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean xb_modules_validate(GError **error)
{
	if (!commands_unique(error) || !sections_unique(error))
		return FALSE;
	for (guint i = 0; modules && i < modules->len; i++) {
		XbModule *mod = modules->pdata[i];
		g_autoptr(GError) err = NULL;

		if (mod->state != XB_MODULE_OPENED || !mod->desc->validate ||
		    mod->desc->validate(&err))
			continue;
		g_set_error(error, XB_CONFIG_ERROR, XB_CONFIG_ERROR_VALUE, "module '%s': %s",
		            mod->name, err ? err->message : "configuration refused");
		return FALSE;
	}
	return TRUE;
}

gboolean xb_modules_load(GError **error)
{
	for (guint i = 0; modules && i < modules->len; i++) {
		XbModule *mod = modules->pdata[i];
		g_autoptr(GError) err = NULL;
		const char *missing = NULL;

		if (mod->state != XB_MODULE_OPENED)
			continue;
		if (!requirements_loaded(mod, &missing)) {
			g_set_error(&err, XB_MODULE_ERROR, XB_MODULE_ERROR_DEPENDENCY,
			            "module '%s': requires module '%s', which failed to load",
			            mod->name, missing);
		} else if (!mod->desc->load(mod, &err)) {
			module_forget_all(mod);
			if (!err)
				g_set_error(&err, XB_MODULE_ERROR, XB_MODULE_ERROR_LOAD,
				            "load failed");
			g_prefix_error(&err, "module '%s': ", mod->name);
		}
		if (err) {
			mod->state = XB_MODULE_FAILED;
			mod->error = g_strdup(err->message);
			if (!mod->optional) {
				g_propagate_error(error, g_steal_pointer(&err));
				return FALSE;
			}
			g_warning("%s (optional, skipped)", err->message);
			continue;
		}
		mod->state = XB_MODULE_LOADED;
		g_message("module %s %s loaded", mod->name,
		          mod->desc->version ? mod->desc->version : "");
		xb_event_publish(XB_EVENT_MODULE_LOADED, g_variant_new("(s)", mod->name));
	}
	return TRUE;
}

void xb_modules_unload_all(void)
{
	if (!modules)
		return;
	for (guint i = modules->len; i-- > 0;) {
		XbModule *mod = modules->pdata[i];

		if (mod->state == XB_MODULE_LOADED) {
			if (mod->desc->unload)
				mod->desc->unload(mod);
			mod->state = XB_MODULE_UNLOADED;
			xb_event_publish(XB_EVENT_MODULE_UNLOADED, g_variant_new("(s)", mod->name));
			g_message("module %s unloaded", mod->name);
		}
		module_forget_all(mod);
		xb_config_forget_sections(mod->name);
		/* Plans still alive hold data its code made and frees: freed now, while the
		 * code is there. */
		xb_dialplan_forget_sections(mod);
	}
	/* Events about unloading reach core subscribers before the code goes away. */
	xb_event_dispatch_pending();
	g_clear_pointer(&modules, g_ptr_array_unref);
}

/* ---- API tables ---- */

void xb_api_publish(XbModule *owner, const char *name, const void *table)
{
	if (!apis)
		apis = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (g_hash_table_contains(apis, name)) {
		g_warning("API '%s' is already published; %s's copy ignored", name,
		          xb_module_name(owner));
		return;
	}
	Api *api = g_new0(Api, 1);
	api->owner = owner;
	api->table = table;
	g_hash_table_insert(apis, g_strdup(name), api);
}

const void *xb_api_get(const char *name)
{
	Api *api = apis ? g_hash_table_lookup(apis, name) : NULL;
	return api ? api->table : NULL;
}

void xb_api_forget(XbModule *owner)
{
	GHashTableIter it;
	Api *api;

	if (!apis)
		return;
	g_hash_table_iter_init(&it, apis);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&api))
		if (api->owner == owner)
			g_hash_table_iter_remove(&it);
}

const char *xb_module_command_declarer(const char *command)
{
	for (guint i = 0; modules && i < modules->len; i++) {
		const XbModule *mod = modules->pdata[i];
		if (mod->desc && mod->desc->commands &&
		    g_strv_contains((const char *const *)mod->desc->commands, command))
			return mod->name;
	}
	return NULL;
}

const XbDialplanSection *xb_module_dialplan_section(const char *element, XbModule **owner)
{
	for (guint i = 0; modules && i < modules->len; i++) {
		XbModule *mod = modules->pdata[i];
		for (const XbDialplanSection *s = mod->desc ? mod->desc->dialplan_sections : NULL;
		     s && s->element; s++) {
			if (strcmp(s->element, element) != 0)
				continue;
			if (owner)
				*owner = mod;
			return s;
		}
	}
	return NULL;
}

const char *xb_module_app_declarer(const char *application)
{
	for (guint i = 0; modules && i < modules->len; i++) {
		const XbModule *mod = modules->pdata[i];
		if (!mod->desc || !mod->desc->applications)
			continue;
		if (g_strv_contains((const char *const *)mod->desc->applications, application))
			return mod->name;
	}
	return NULL;
}
