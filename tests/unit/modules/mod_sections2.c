/* mod_sections2.c: a test module that declares the same dialplan section as mod_sections,
 * which the loader refuses. */
#include <crossbar/crossbar.h>

static gpointer compile(XbDialplanCompiler *c, struct _xmlNode *node, GError **error)
{
	return g_new0(int, 1);
}

static gboolean load(XbModule *self, GError **error)
{
	return TRUE;
}

static const XbDialplanSection sections[] = {
    {"things", compile, g_free},
    XB_DIALPLAN_SECTIONS_END,
};

XB_MODULE_DEFINE(.name = "sections2", .version = "1.0", .description = "test module",
                 .dialplan_sections = sections, .load = load);
