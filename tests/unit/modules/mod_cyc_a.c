/* mod_cyc_a.c: half of a dependency cycle (cyc_a requires cyc_b). */
#include <crossbar/crossbar.h>

static gboolean load(XbModule *self, GError **error)
{
	return TRUE;
}

static const char *const requires[] = {"cyc_b", NULL};
XB_MODULE_DEFINE(.name = "cyc_a", .requires = requires, .load = load);
