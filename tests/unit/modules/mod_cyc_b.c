/* mod_cyc_b.c: half of a dependency cycle (cyc_b requires cyc_a). */
#include <crossbar/crossbar.h>

static gboolean load(XbModule *self, GError **error)
{
	return TRUE;
}

static const char *const requires[] = {"cyc_a", NULL};
XB_MODULE_DEFINE(.name = "cyc_b", .requires = requires, .load = load);
