/* mod_badabi.c: a module built for another ABI; the loader must refuse it. */
#include <crossbar/crossbar.h>

static gboolean load(XbModule *self, GError **error)
{
	return TRUE;
}

__attribute__((visibility("default"))) const XbModuleDesc xb_module_descriptor = {
    .abi_version = XB_MODULE_ABI_VERSION + 98, .name = "badabi", .load = load};
