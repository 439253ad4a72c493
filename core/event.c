/* event.c: the event bus. Types are registered with a GVariant signature; publishing
 * queues the event and one idle source on the main context delivers the queue in order.
 * A subscriber may publish, subscribe or unsubscribe from its callback; it is never called
 * from inside xb_event_publish(). */
#include "core_private.h"

#include <string.h>

typedef struct {
	guint id;
	XbModule *owner;
	char *type; /* or "*" */
	XbEventFunc func;
	gpointer user_data;
	gboolean removed;
} Subscription;

typedef struct {
	char *type;
	GVariant *payload;
} Pending;

static GHashTable *types; /* name -> signature */
static GPtrArray *subs;   /* Subscription * */
static GQueue pending = G_QUEUE_INIT;
static guint idle_id;
static guint next_id = 1;
static guint dispatch_depth;

static void sub_free(gpointer data)
{
	Subscription *s = data;

	g_free(s->type);
	g_free(s);
}

void xb_event_init(void)
{
	if (types)
		return;
	types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	subs = g_ptr_array_new_with_free_func(sub_free);
	xb_event_type_register(XB_EVENT_MODULE_LOADED, "(s)");
	xb_event_type_register(XB_EVENT_MODULE_UNLOADED, "(s)");
	xb_event_type_register(XB_EVENT_CONFIG_RELOADED, "(s)");
	xb_event_type_register(XB_EVENT_SHUTDOWN, "()");
}

gboolean xb_event_type_register(const char *type, const char *signature)
{
	const char *known;

	xb_event_init();
	if (!g_variant_type_string_is_valid(signature) || strcmp(type, "*") == 0)
		return FALSE;
	known = g_hash_table_lookup(types, type);
	if (known)
		return strcmp(known, signature) == 0;
	g_hash_table_insert(types, g_strdup(type), g_strdup(signature));
	return TRUE;
}

guint xb_event_subscribe(XbModule *owner, const char *type, XbEventFunc func, gpointer user_data)
{
	Subscription *s;

	xb_event_init();
	if (strcmp(type, "*") != 0 && !g_hash_table_contains(types, type))
		return 0;
	s = g_new0(Subscription, 1);
	s->id = next_id++;
	s->owner = owner;
	s->type = g_strdup(type);
	s->func = func;
	s->user_data = user_data;
	g_ptr_array_add(subs, s);
	return s->id;
}

/* Removal while dispatching only marks; the sweep happens when dispatch unwinds. */
static void sweep(void)
{
	if (dispatch_depth)
		return;
	for (guint i = subs->len; i-- > 0;)
		if (((Subscription *)subs->pdata[i])->removed)
			g_ptr_array_remove_index(subs, i);
}

void xb_event_unsubscribe(guint id)
{
	for (guint i = 0; subs && i < subs->len; i++) {
		Subscription *s = subs->pdata[i];
		if (s->id == id)
			s->removed = TRUE;
	}
	if (subs)
		sweep();
}

void xb_event_forget(XbModule *owner)
{
	for (guint i = 0; subs && i < subs->len; i++) {
		Subscription *s = subs->pdata[i];
		if (s->owner == owner && owner)
			s->removed = TRUE;
	}
	if (subs)
		sweep();
}

static gboolean idle_cb(gpointer user_data)
{
	idle_id = 0;
	xb_event_dispatch_pending();
	return G_SOURCE_REMOVE;
}

gboolean xb_event_wanted(const char *type)
{
	for (guint i = 0; subs && i < subs->len; i++) {
		const Subscription *s = subs->pdata[i];
		if (!s->removed && (strcmp(s->type, "*") == 0 || strcmp(s->type, type) == 0))
			return TRUE;
	}
	return FALSE;
}

gboolean xb_event_publish(const char *type, GVariant *payload)
{
	const char *signature;
	Pending *p;

	xb_event_init();
	g_variant_ref_sink(payload);
	signature = g_hash_table_lookup(types, type);
	if (!signature || strcmp(g_variant_get_type_string(payload), signature) != 0) {
		g_warning("event '%s' %s: payload %s refused", type,
		          signature ? "expects another payload" : "is not a registered type",
		          g_variant_get_type_string(payload));
		g_variant_unref(payload);
		return FALSE;
	}
	p = g_new(Pending, 1);
	p->type = g_strdup(type);
	p->payload = payload;
	g_queue_push_tail(&pending, p);
	if (!idle_id)
		idle_id = g_idle_add(idle_cb, NULL);
	return TRUE;
}

guint xb_event_dispatch_pending(void)
{
	guint n = 0;
	Pending *p;

	if (!subs)
		return 0;
	while ((p = g_queue_pop_head(&pending))) {
		dispatch_depth++;
		/* Subscriptions added during delivery see the next event, not this one. */
		guint len = subs->len;
		for (guint i = 0; i < len; i++) {
			Subscription *s = subs->pdata[i];
			if (s->removed ||
			    (strcmp(s->type, "*") != 0 && strcmp(s->type, p->type) != 0))
				continue;
			s->func(p->type, p->payload, s->user_data);
		}
		dispatch_depth--;
		sweep();
		g_free(p->type);
		g_variant_unref(p->payload);
		g_free(p);
		n++;
	}
	return n;
}

void xb_event_shutdown(void)
{
	Pending *p;

	while ((p = g_queue_pop_head(&pending))) {
		g_free(p->type);
		g_variant_unref(p->payload);
		g_free(p);
	}
	if (idle_id)
		g_source_remove(idle_id);
	idle_id = 0;
	g_clear_pointer(&subs, g_ptr_array_unref);
	g_clear_pointer(&types, g_hash_table_unref);
}
