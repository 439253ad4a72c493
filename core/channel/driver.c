/* driver.c: the registry of channel drivers, looked up by the prefix of a bridge target
 * ("sip:", "gateway/", "user/"). A driver's entries go with its module. */
#include "channel_private.h"

#include <string.h>

typedef struct {
	const XbChannelDriver *driver;
	XbModule *owner;
} DriverEntry;

static GPtrArray *drivers; /* DriverEntry *, in registration order */

gboolean xb_channel_driver_register(XbModule *owner, const XbChannelDriver *driver)
{
	if (!driver || !driver->name)
		return FALSE;
	if (!drivers)
		drivers = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < drivers->len; i++) {
		const DriverEntry *e = drivers->pdata[i];
		if (!strcmp(e->driver->name, driver->name)) {
			g_warning("channel driver '%s' is registered already; %s's is ignored",
			          driver->name, owner ? xb_module_name(owner) : "the core's");
			return FALSE;
		}
	}
	DriverEntry *e = g_new0(DriverEntry, 1);
	e->driver = driver;
	e->owner = owner;
	g_ptr_array_add(drivers, e);
	return TRUE;
}

void xb_channel_driver_unregister(const XbChannelDriver *driver)
{
	for (guint i = 0; drivers && i < drivers->len; i++)
		if (((DriverEntry *)drivers->pdata[i])->driver == driver) {
			g_ptr_array_remove_index(drivers, i);
			return;
		}
}

void xb_channel_driver_forget(XbModule *owner)
{
	for (guint i = drivers ? drivers->len : 0; i-- > 0;)
		if (((DriverEntry *)drivers->pdata[i])->owner == owner)
			g_ptr_array_remove_index(drivers, i);
}

const XbChannelDriver *xb_channel_driver_for(const char *target)
{
	for (guint i = 0; target && drivers && i < drivers->len; i++) {
		const XbChannelDriver *d = ((DriverEntry *)drivers->pdata[i])->driver;
		for (const char *const *p = d->prefixes; p && *p; p++)
			if (g_str_has_prefix(target, *p))
				return d;
	}
	return NULL;
}

void xb_channel_driver_reset(void)
{
	g_clear_pointer(&drivers, g_ptr_array_unref);
}
