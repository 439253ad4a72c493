/* channel.c: the core's side of a call leg: identity, state and variables. Signalling is
 * the channel driver's; this file must not learn any protocol. */
#include "core_private.h"

struct xb_channel {
	char *uuid;
	char *name;
	char *driver;
	XbChannelState state;
	GHashTable *vars;
};

XbChannel *xb_channel_new(const char *driver, const char *name)
{
	XbChannel *ch = g_rc_box_new0(XbChannel);

	ch->uuid = g_uuid_string_random();
	ch->driver = g_strdup(driver);
	ch->name = name ? g_strdup(name) : g_strdup_printf("%s/%s", driver, ch->uuid);
	ch->state = XB_CHANNEL_NEW;
	ch->vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return ch;
}

XbChannel *xb_channel_ref(XbChannel *ch)
{
	return g_rc_box_acquire(ch);
}

static void channel_clear(gpointer data)
{
	XbChannel *ch = data;

	g_hash_table_unref(ch->vars);
	g_free(ch->uuid);
	g_free(ch->name);
	g_free(ch->driver);
}

void xb_channel_unref(XbChannel *ch)
{
	if (ch)
		g_rc_box_release_full(ch, channel_clear);
}

const char *xb_channel_uuid(const XbChannel *ch)
{
	return ch->uuid;
}

const char *xb_channel_name(const XbChannel *ch)
{
	return ch->name;
}

const char *xb_channel_driver(const XbChannel *ch)
{
	return ch->driver;
}

XbChannelState xb_channel_state(const XbChannel *ch)
{
	return ch->state;
}

const char *xb_channel_state_name(XbChannelState state)
{
	static const char *const names[] = {"new",      "routing", "ringing",    "early",
	                                    "answered", "bridged", "hanging-up", "gone"};
	return state < G_N_ELEMENTS(names) ? names[state] : "?";
}

void xb_channel_set_state(XbChannel *ch, XbChannelState state)
{
	ch->state = state;
}

void xb_channel_set_var(XbChannel *ch, const char *key, const char *value)
{
	if (value)
		g_hash_table_replace(ch->vars, g_strdup(key), g_strdup(value));
	else
		g_hash_table_remove(ch->vars, key);
}

const char *xb_channel_get_var(const XbChannel *ch, const char *key)
{
	return g_hash_table_lookup(ch->vars, key);
}

static int name_cmp(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

const char **xb_channel_var_names(const XbChannel *ch)
{
	guint n;
	const char **keys = (const char **)g_hash_table_get_keys_as_array(ch->vars, &n);

	g_qsort_with_data(keys, n, sizeof(char *), name_cmp, NULL);
	return keys;
}
