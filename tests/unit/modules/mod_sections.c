/* mod_sections.c: a test module that owns a section of the dialplan file, <things>, so the
 * dialplan tests can see a module's section compiled with the plan, refused with its file
 * and line, kept by the plan that holds it and freed when that plan goes or the module is
 * closed. Each freeing is logged ("things freed: N"), for g_test_expect_message. */
#include <crossbar/crossbar.h>
#include <libxml/tree.h>

typedef struct {
	guint things; /* <thing>s */
	guint logs;   /* the plan's actions of `log` */
} Things;

/* <things><thing name="x" [app="APP"]/>...</things> */
static gpointer things_compile(XbDialplanCompiler *c, xmlNode *node, GError **error)
{
	Things *t = g_new0(Things, 1);
	g_autoptr(GArray) logs = xb_dialplan_compiler_actions(c, "log");

	t->logs = logs->len;
	for (xmlNode *n = node->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlChar *name = xmlGetProp(n, BAD_CAST "name");
		xmlChar *app = xmlGetProp(n, BAD_CAST "app");
		gboolean ok = name != NULL;
		if (!ok)
			xb_dialplan_compiler_error(c, error, n, "a <thing> needs a name");
		else if (app)
			xb_dialplan_compiler_use_app(c, (const char *)app, xmlGetLineNo(n));
		xmlFree(name);
		xmlFree(app);
		if (!ok) {
			g_free(t);
			return NULL;
		}
		t->things++;
	}
	return t;
}

static void things_free(gpointer data)
{
	Things *t = data;

	g_message("things freed: %u", t->things);
	g_free(t);
}

static gboolean sections_load(XbModule *self, GError **error)
{
	return TRUE;
}

static const XbDialplanSection sections[] = {
    {"things", things_compile, things_free},
    XB_DIALPLAN_SECTIONS_END,
};

XB_MODULE_DEFINE(.name = "sections", .version = "1.0", .description = "test module",
                 .dialplan_sections = sections, .load = sections_load);
