/* app.c: the registry of dialplan applications, filled by the core and by modules. Lookups
 * are by exact name; a name is owned by the first module to register it. */
#include "core_private.h"

#include <errno.h>

typedef struct {
	const XbApp *app;
	XbModule *owner;
	gpointer user_data;
} AppEntry;

static GHashTable *apps; /* name -> AppEntry * */

gboolean xb_app_register(XbModule *owner, const XbApp *table, gpointer user_data)
{
	gboolean ok = TRUE;

	if (!apps)
		apps = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	for (const XbApp *a = table; a->name; a++) {
		if (g_hash_table_contains(apps, a->name)) {
			g_warning("application '%s' is already registered; %s's copy ignored",
			          a->name, xb_module_name(owner));
			ok = FALSE;
			continue;
		}
		if (owner && g_strcmp0(xb_module_app_declarer(a->name), xb_module_name(owner)) != 0)
			g_warning(
			    "module %s registers application '%s' without declaring it in its "
			    "descriptor (.applications): crossbar --check-config cannot know it",
			    xb_module_name(owner), a->name);
		AppEntry *e = g_new0(AppEntry, 1);
		e->app = a;
		e->owner = owner;
		e->user_data = user_data;
		g_hash_table_insert(apps, (gpointer)a->name, e);
	}
	return ok;
}

gboolean xb_app_exists(const char *name)
{
	return apps && g_hash_table_contains(apps, name);
}

int xb_app_exec(XbChannel *channel, const char *name, const char *data)
{
	AppEntry *e = apps ? g_hash_table_lookup(apps, name) : NULL;

	if (!e)
		return -ENOENT;
	return e->app->func(channel, data ? data : "", e->user_data);
}

const char *xb_app_owner(const char *name)
{
	AppEntry *e = apps ? g_hash_table_lookup(apps, name) : NULL;
	return e ? xb_module_name(e->owner) : NULL;
}

static int app_cmp(gconstpointer a, gconstpointer b)
{
	const XbApp *x = *(const XbApp **)a, *y = *(const XbApp **)b;
	return g_strcmp0(x->name, y->name);
}

GPtrArray *xb_app_list(void)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	AppEntry *e;

	if (apps) {
		g_hash_table_iter_init(&it, apps);
		while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e))
			g_ptr_array_add(out, (gpointer)e->app);
	}
	g_ptr_array_sort(out, app_cmp);
	return out;
}

void xb_app_forget(XbModule *owner)
{
	GHashTableIter it;
	AppEntry *e;

	if (!apps || !owner)
		return;
	g_hash_table_iter_init(&it, apps);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&e))
		if (e->owner == owner)
			g_hash_table_iter_remove(&it);
}

void xb_app_reset(void)
{
	g_clear_pointer(&apps, g_hash_table_unref);
}
