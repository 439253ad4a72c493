/* mod_failload.c: a module whose load() refuses, as one with a bad environment would. */
#include <crossbar/crossbar.h>

static gboolean load(XbModule *self, GError **error)
{
	g_set_error_literal(error, g_quark_from_static_string("test"), 1,
	                    "device /dev/nothing not found");
	return FALSE;
}

XB_MODULE_DEFINE(.name = "failload", .load = load);
