/* mod_needs_missing.c: requires a module that does not exist. */
#include <crossbar/crossbar.h>

static gboolean load(XbModule *self, GError **error)
{
	return TRUE;
}

static const char *const requires[] = {"missing", NULL};
XB_MODULE_DEFINE(.name = "needs_missing", .requires = requires, .load = load);
